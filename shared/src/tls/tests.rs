//! The private CA file, and both clients against a real TLS server on 127.0.0.1 whose certificate
//! is issued by a test CA: trusted once the CA is added, refused without it.

use std::net::SocketAddr;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// A test CA and a server certificate for 127.0.0.1 that it issued.
struct TestPki {
    ca_pem: String,
    server_cert: CertificateDer<'static>,
    server_key: PrivateKeyDer<'static>,
}

fn test_pki() -> TestPki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "authbridge test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    TestPki {
        ca_pem: ca.pem(),
        server_cert: server.der().clone(),
        server_key: PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
    }
}

fn pem_file(text: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    file
}

fn roots_with(pem: &str) -> TrustRoots {
    let file = pem_file(pem);
    TrustRoots::with_pem_file(file.path()).unwrap()
}

/// An HTTPS server on 127.0.0.1 that answers every request `200` with a DynamoDB `ListTables`
/// body (which reqwest reads as text, too).
async fn https_server(pki: &TestPki) -> SocketAddr {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![pki.server_cert.clone()], pki.server_key.clone_key())
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to answer.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if read_request(&mut tls).await.is_none() {
                    return;
                }
                let body = r#"{"TableNames":[]}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

/// Reads one HTTP/1.1 request (head and `content-length` body).
async fn read_request(stream: &mut (impl AsyncReadExt + Unpin)) -> Option<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(());
        }
    }
}

fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

fn dynamodb(roots: &TrustRoots, addr: SocketAddr) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .endpoint_url(format!("https://{addr}"))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .http_client(roots.aws_http_client())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

#[test]
fn the_bundled_roots_are_the_mozilla_set() {
    let roots = TrustRoots::bundled();
    assert_eq!(roots.extra_count(), 0);
    assert!(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() > 100);
    assert_eq!(
        roots.root_store().len(),
        webpki_root_certs::TLS_SERVER_ROOT_CERTS.len()
    );
}

#[test]
fn the_extra_ca_file_adds_its_certificates() {
    let one = test_pki().ca_pem;
    let two = format!("{one}{}", test_pki().ca_pem);
    let file = pem_file(&two);
    let env = Env::from_pairs(&[(EXTRA_CA_FILE, file.path().to_str().unwrap())]);
    let roots = TrustRoots::from_env(&env).unwrap();
    assert_eq!(roots.extra_count(), 2);
    assert_eq!(
        roots.root_store().len(),
        webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() + 2
    );
    assert_eq!(
        TrustRoots::from_env(&Env::from_pairs(&[])).unwrap(),
        TrustRoots::bundled()
    );
}

#[test]
fn a_missing_file_is_an_error_naming_the_variable_and_the_path() {
    let env = Env::from_pairs(&[(EXTRA_CA_FILE, "/nonexistent/authbridge-ca.pem")]);
    let err = TrustRoots::from_env(&env).unwrap_err().to_string();
    assert!(err.contains("AUTHBRIDGE_EXTRA_CA_FILE"), "{err}");
    assert!(err.contains("/nonexistent/authbridge-ca.pem"), "{err}");
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn a_file_without_a_usable_certificate_is_refused() {
    let empty = pem_file("no certificate here\n");
    assert!(matches!(
        TrustRoots::with_pem_file(empty.path()),
        Err(TlsError::Empty { .. })
    ));
    let broken = pem_file("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
    assert!(matches!(
        TrustRoots::with_pem_file(broken.path()),
        Err(TlsError::NotPem { .. })
    ));
    let not_a_cert = pem_file("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assert!(matches!(
        TrustRoots::with_pem_file(not_a_cert.path()),
        Err(TlsError::BadCertificate { index: 1, .. })
    ));
}

#[test]
fn the_sdk_bundle_is_pem_of_every_root() {
    let roots = roots_with(&test_pki().ca_pem);
    let bundle = pem_bundle(
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .chain(roots.extra.iter()),
    );
    let parsed = CertificateDer::pem_slice_iter(&bundle)
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert_eq!(
        parsed.len(),
        webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() + 1
    );
    assert_eq!(parsed.last(), roots.extra.last());
}

#[tokio::test]
async fn reqwest_trusts_a_server_of_the_private_ca_and_refuses_it_without() {
    let pki = test_pki();
    let addr = https_server(&pki).await;
    let url = format!("https://{addr}/");

    let trusted = roots_with(&pki.ca_pem).reqwest_builder().build().unwrap();
    let response = trusted.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), r#"{"TableNames":[]}"#);

    let bundled = TrustRoots::bundled().reqwest_builder().build().unwrap();
    let err = bundled.get(&url).send().await.unwrap_err();
    let text = chain(&err);
    assert!(text.contains("UnknownIssuer"), "{text}");
}

#[tokio::test]
async fn the_aws_sdk_trusts_a_server_of_the_private_ca_and_refuses_it_without() {
    let pki = test_pki();
    let addr = https_server(&pki).await;

    let trusted = dynamodb(&roots_with(&pki.ca_pem), addr);
    let tables = trusted.list_tables().send().await.unwrap();
    assert!(tables.table_names().is_empty());

    let bundled = dynamodb(&TrustRoots::bundled(), addr);
    let err = bundled.list_tables().send().await.unwrap_err();
    assert!(
        matches!(err, aws_sdk_dynamodb::error::SdkError::DispatchFailure(_)),
        "{err:?}"
    );
    let text = chain(&err);
    assert!(text.contains("UnknownIssuer"), "{text}");
}

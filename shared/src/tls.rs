//! The one TLS configuration of every outbound connection: the AWS SDK's clients and the reqwest
//! clients (providers, WordPress, the webhook) use rustls with the *ring* provider and the same
//! trust roots.
//!
//! The roots are the Mozilla set bundled in the binary (as trust anchors for rustls,
//! `webpki-roots`, and as certificates for the SDK's trust store, which takes PEM,
//! `webpki-root-certs`), so starting a function reads no certificate file from disk. A private CA (a TLS-inspecting proxy, a
//! self-hosted identity provider) is added with [`EXTRA_CA_FILE`]: a PEM file of one or more
//! certificates, read once at start; a file that cannot be read or holds no certificate stops the
//! start with an error naming the variable. Verification is never turned off.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use base64::Engine as _;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::config::{ConfigError, Env};

/// Names a PEM file of extra CA certificates to trust beside the bundled roots.
pub const EXTRA_CA_FILE: &str = "AUTHBRIDGE_EXTRA_CA_FILE";

/// The trust roots of outbound TLS: the bundled Mozilla roots plus any private CA certificates.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct TrustRoots {
    extra: Arc<[CertificateDer<'static>]>,
}

impl std::fmt::Debug for TrustRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustRoots")
            .field("bundled", &webpki_root_certs::TLS_SERVER_ROOT_CERTS.len())
            .field("extra", &self.extra.len())
            .finish()
    }
}

/// Why the extra CA file could not be used.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TlsError {
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{path} is not a PEM file of certificates: {reason}")]
    NotPem { path: PathBuf, reason: String },
    #[error("{path} holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)")]
    Empty { path: PathBuf },
    #[error("certificate {index} in {path} cannot be used as a trust root: {reason}")]
    BadCertificate {
        path: PathBuf,
        index: usize,
        reason: String,
    },
}

impl From<TlsError> for ConfigError {
    fn from(err: TlsError) -> Self {
        ConfigError::Invalid {
            name: EXTRA_CA_FILE,
            reason: err.to_string(),
        }
    }
}

impl TrustRoots {
    /// The bundled roots only.
    pub fn bundled() -> Self {
        TrustRoots::default()
    }

    /// The bundled roots plus the file named by [`EXTRA_CA_FILE`] in `env`, when set.
    pub fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self::from_var(env)?)
    }

    fn from_var(env: &Env<'_>) -> Result<Self, TlsError> {
        match env.get(EXTRA_CA_FILE) {
            None => Ok(TrustRoots::bundled()),
            Some(path) => TrustRoots::with_pem_file(Path::new(&path)),
        }
    }

    /// The bundled roots plus every certificate of the PEM file at `path`.
    pub fn with_pem_file(path: &Path) -> Result<Self, TlsError> {
        let pem = std::fs::read(path).map_err(|e| TlsError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let extra = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::NotPem {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        if extra.is_empty() {
            return Err(TlsError::Empty {
                path: path.to_path_buf(),
            });
        }
        // Checked now, so a certificate that rustls cannot use fails the start, not a request.
        let mut check = RootCertStore::empty();
        for (index, cert) in extra.iter().enumerate() {
            check
                .add(cert.clone())
                .map_err(|e| TlsError::BadCertificate {
                    path: path.to_path_buf(),
                    index: index + 1,
                    reason: e.to_string(),
                })?;
        }
        Ok(TrustRoots {
            extra: extra.into(),
        })
    }

    /// How many private CA certificates are added to the bundled roots.
    pub fn extra_count(&self) -> usize {
        self.extra.len()
    }

    fn root_store(&self) -> RootCertStore {
        // The same Mozilla set as trust anchors made at build time (`webpki-roots`): nothing to
        // parse at start, where parsing ~150 certificates costs each client a millisecond.
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        // Each one was checked in `with_pem_file`.
        roots.add_parsable_certificates(self.extra.iter().cloned());
        roots
    }

    /// A rustls client configuration on *ring* with these roots (for reqwest).
    pub fn rustls_config(&self) -> rustls::ClientConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            // Not input: ring supports the default versions (TLS 1.2 and 1.3), always.
            .expect("the ring provider supports TLS 1.2 and 1.3")
            .with_root_certificates(self.root_store())
            .with_no_client_auth()
    }

    /// A reqwest client builder whose TLS is [`TrustRoots::rustls_config`].
    pub fn reqwest_builder(&self) -> reqwest::ClientBuilder {
        reqwest::Client::builder().use_preconfigured_tls(self.rustls_config())
    }

    /// The AWS SDK's HTTPS client (hyper + rustls on *ring*) with these roots; the system's
    /// certificate store is never read.
    pub fn aws_http_client(&self) -> SharedHttpClient {
        let mut store = TrustStore::empty().with_native_roots(false);
        store.add_pem_certificate(pem_bundle(
            webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .chain(self.extra.iter()),
        ));
        let context = TlsContext::builder()
            .with_trust_store(store)
            .build()
            // Not input: building a context only moves its parts (the PEM is parsed on first
            // connection, and every certificate in it was parsed once already).
            .expect("a TLS context of a trust store");
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .tls_context(context)
            .build_https()
    }
}

/// `certs` as one PEM text, which is what the SDK's trust store takes.
fn pem_bundle<'a>(certs: impl Iterator<Item = &'a CertificateDer<'a>>) -> Vec<u8> {
    let engine = base64::engine::general_purpose::STANDARD;
    let mut pem = Vec::with_capacity(256 * 1024);
    for cert in certs {
        pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        let body = engine.encode(cert.as_ref());
        for line in body.as_bytes().chunks(64) {
            pem.extend_from_slice(line);
            pem.push(b'\n');
        }
        pem.extend_from_slice(b"-----END CERTIFICATE-----\n");
    }
    pem
}

/// The process's roots, read from the process environment on first use. A bad
/// [`EXTRA_CA_FILE`] stops the start of every function ([`crate::context::AppContext::build`]
/// calls [`check`] first); anywhere else it leaves the bundled roots only, so a private host is
/// refused, never trusted without verification.
pub fn process() -> &'static TrustRoots {
    static BUNDLED: OnceLock<TrustRoots> = OnceLock::new();
    match loaded() {
        Ok(roots) => roots,
        Err(err) => {
            tracing::error!(error = %err, "using the bundled trust roots only");
            BUNDLED.get_or_init(TrustRoots::bundled)
        }
    }
}

/// Reads [`EXTRA_CA_FILE`] of the process environment (once) and says whether it can be used.
pub fn check() -> Result<&'static TrustRoots, ConfigError> {
    loaded().as_ref().map_err(|e| e.clone().into())
}

fn loaded() -> &'static Result<TrustRoots, TlsError> {
    static ROOTS: OnceLock<Result<TrustRoots, TlsError>> = OnceLock::new();
    ROOTS.get_or_init(|| TrustRoots::from_var(&Env::process()))
}

#[cfg(test)]
mod tests;

//! OpenID Connect Discovery 1.0: a provider's endpoints read from
//! `{issuer}/.well-known/openid-configuration`, and kept in-process for a while so a warm Lambda
//! does not fetch them on every request.
//!
//! Outbound calls stay outbound: an endpoint a remote issuer lists must be `https` on a host that
//! is not a loopback address, so a document can never point authbridge at a service on its own
//! machine (on Lambda, the runtime API on `127.0.0.1:9001`). Only an issuer that is itself on a
//! loopback address (a test server) may list plain-`http` loopback endpoints.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;
use url::Url;

use super::endpoint::{Issuer, is_loopback, parse_endpoint};

/// How long a fetched discovery document is used before it is fetched again.
pub const DEFAULT_DISCOVERY_TTL: Duration = Duration::from_secs(3600);

/// Longest wait for a discovery document.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest discovery document accepted; real ones are a few KiB.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// The parts of an OpenID Provider's metadata authbridge uses (OpenID Connect Discovery §3,
/// RFC 9207 §3), every URL checked like a configured one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcMetadata {
    /// The issuer, identical to the configured one.
    pub issuer: Issuer,
    /// `authorization_endpoint`.
    pub authorization_endpoint: Url,
    /// `token_endpoint`.
    pub token_endpoint: Url,
    /// `userinfo_endpoint`, when the provider has one.
    pub userinfo_endpoint: Option<Url>,
    /// `revocation_endpoint` (RFC 8414 §2, RFC 7009), when the provider has one.
    pub revocation_endpoint: Option<Url>,
    /// `authorization_response_iss_parameter_supported` (RFC 9207 §3), `false` when absent.
    pub authorization_response_iss_parameter_supported: bool,
}

/// The discovery document as sent; unknown members are ignored, as OpenID Connect Discovery §3 asks.
#[derive(Deserialize)]
struct Document {
    issuer: String,
    authorization_endpoint: String,
    #[serde(default)]
    token_endpoint: Option<String>,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
    #[serde(default)]
    revocation_endpoint: Option<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

/// Why a provider's discovery document could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The request failed (connection, timeout, reading the body).
    #[error("fetching {url}: {source}")]
    Fetch {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    /// The body is not a usable discovery document.
    #[error("{url}: {reason}")]
    Document { url: String, reason: String },
    /// The document names another issuer (OpenID Connect Discovery §4.3): possibly an
    /// impersonation attempt, never used.
    #[error(
        "the discovery document of {expected} names issuer {found:?}; they must be identical (OpenID Connect Discovery §4.3)"
    )]
    IssuerMismatch { expected: String, found: String },
}

/// Fetches and caches discovery documents, one fetch at a time per issuer.
///
/// The `reqwest::Client` is the caller's; it should not follow redirects (an issuer that redirects
/// its metadata elsewhere is not trusted here) and should carry the deployment's proxy settings.
pub struct OidcDiscovery {
    http: reqwest::Client,
    ttl: Duration,
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Fetched>>>>>,
}

struct Fetched {
    at: Instant,
    metadata: Arc<OidcMetadata>,
}

impl std::fmt::Debug for OidcDiscovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcDiscovery")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl OidcDiscovery {
    /// Discovery through `http`, keeping each document for [`DEFAULT_DISCOVERY_TTL`].
    pub fn new(http: reqwest::Client) -> Self {
        OidcDiscovery {
            http,
            ttl: DEFAULT_DISCOVERY_TTL,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The same, keeping documents for `ttl` instead.
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The issuer's metadata: from the cache while fresh, else fetched and checked. Concurrent
    /// callers for one issuer share one fetch; a failed fetch is not cached.
    pub async fn metadata(&self, issuer: &Issuer) -> Result<Arc<OidcMetadata>, DiscoveryError> {
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(issuer.as_str().to_string())
            .or_default()
            .clone();
        let mut cached = slot.lock().await;
        if let Some(hit) = cached.as_ref().filter(|c| c.at.elapsed() < self.ttl) {
            return Ok(hit.metadata.clone());
        }
        let metadata = Arc::new(self.fetch(issuer).await?);
        *cached = Some(Fetched {
            at: Instant::now(),
            metadata: metadata.clone(),
        });
        Ok(metadata)
    }

    async fn fetch(&self, issuer: &Issuer) -> Result<OidcMetadata, DiscoveryError> {
        let url = issuer.discovery_url();
        let fetch_error = |source| DiscoveryError::Fetch {
            url: url.to_string(),
            source,
        };
        let mut response = self
            .http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .map_err(fetch_error)?;
        if !response.status().is_success() {
            return Err(DiscoveryError::Status {
                url: url.to_string(),
                status: response.status().as_u16(),
            });
        }
        let bad = |reason: String| DiscoveryError::Document {
            url: url.to_string(),
            reason,
        };
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(fetch_error)? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(bad(format!(
                    "the document is larger than {MAX_DOCUMENT_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        let document: Document = serde_json::from_slice(&body)
            .map_err(|e| bad(format!("not an OpenID Provider metadata document: {e}")))?;
        if !issuer.matches(&document.issuer) {
            return Err(DiscoveryError::IssuerMismatch {
                expected: issuer.to_string(),
                found: document.issuer,
            });
        }
        check(issuer, document).map_err(bad)
    }
}

/// The metadata of `document`, each endpoint checked: a URL authbridge may call at all
/// ([`parse_endpoint`]), and for an issuer that is not on a loopback address, `https` on a host that
/// is not one either. The error names the field and says why.
fn check(issuer: &Issuer, document: Document) -> Result<OidcMetadata, String> {
    let local_issuer = Url::parse(issuer.as_str()).is_ok_and(|url| is_loopback(&url));
    let endpoint = |name: &str, raw: &str| -> Result<Url, String> {
        let url = parse_endpoint(raw).map_err(|e| format!("{name}: {e}"))?;
        if !local_issuer && (url.scheme() != "https" || is_loopback(&url)) {
            return Err(format!(
                "{name}: {raw:?} is not an https address of another machine; a remote issuer's \
                 endpoints must be (only an issuer on a loopback address may list loopback ones)"
            ));
        }
        Ok(url)
    };
    let token_endpoint = document
        .token_endpoint
        .as_deref()
        .ok_or_else(|| "token_endpoint is missing".to_string())?;
    Ok(OidcMetadata {
        issuer: issuer.clone(),
        authorization_endpoint: endpoint(
            "authorization_endpoint",
            &document.authorization_endpoint,
        )?,
        token_endpoint: endpoint("token_endpoint", token_endpoint)?,
        userinfo_endpoint: document
            .userinfo_endpoint
            .as_deref()
            .map(|raw| endpoint("userinfo_endpoint", raw))
            .transpose()?,
        revocation_endpoint: document
            .revocation_endpoint
            .as_deref()
            .map(|raw| endpoint("revocation_endpoint", raw))
            .transpose()?,
        authorization_response_iss_parameter_supported: document
            .authorization_response_iss_parameter_supported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_idp::{FakeIdp, test_http};

    #[tokio::test]
    async fn a_fresh_document_is_served_from_the_cache() {
        let idp = FakeIdp::start(None).await;
        let discovery = OidcDiscovery::new(test_http());
        let issuer = Issuer::parse(&idp.issuer).unwrap();
        let first = discovery.metadata(&issuer).await.unwrap();
        let second = discovery.metadata(&issuer).await.unwrap();
        assert_eq!(idp.hits(), 1);
        assert_eq!(first, second);
        assert_eq!(
            first.token_endpoint.as_str(),
            format!("{}/token", idp.issuer)
        );
        assert!(first.authorization_response_iss_parameter_supported);
    }

    #[tokio::test]
    async fn an_expired_document_is_fetched_again() {
        let idp = FakeIdp::start(None).await;
        let discovery = OidcDiscovery::new(test_http()).with_ttl(Duration::from_millis(50));
        let issuer = Issuer::parse(&idp.issuer).unwrap();
        discovery.metadata(&issuer).await.unwrap();
        tokio::time::sleep(Duration::from_millis(80)).await;
        discovery.metadata(&issuer).await.unwrap();
        assert_eq!(idp.hits(), 2);
    }

    #[tokio::test]
    async fn a_document_naming_another_issuer_is_refused() {
        let idp = FakeIdp::start(Some("https://evil.example")).await;
        let discovery = OidcDiscovery::new(test_http());
        let issuer = Issuer::parse(&idp.issuer).unwrap();
        let err = discovery.metadata(&issuer).await.unwrap_err();
        assert!(
            matches!(&err, DiscoveryError::IssuerMismatch { found, .. } if found == "https://evil.example"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_failed_fetch_is_not_cached() {
        let idp = FakeIdp::start(None).await;
        let discovery = OidcDiscovery::new(test_http());
        let issuer = Issuer::parse(&idp.issuer).unwrap();
        idp.set_down(true);
        let err = discovery.metadata(&issuer).await.unwrap_err();
        assert!(
            matches!(err, DiscoveryError::Status { status: 503, .. }),
            "{err}"
        );
        idp.set_down(false);
        assert!(discovery.metadata(&issuer).await.is_ok());
    }

    fn document(issuer: &str, token: &str, revocation: Option<&str>) -> Document {
        Document {
            issuer: issuer.to_string(),
            authorization_endpoint: format!("{issuer}/authorize"),
            token_endpoint: Some(token.to_string()),
            userinfo_endpoint: None,
            revocation_endpoint: revocation.map(str::to_string),
            authorization_response_iss_parameter_supported: false,
        }
    }

    #[test]
    fn a_remote_issuer_may_not_point_at_this_machine_or_plain_http() {
        let issuer = Issuer::parse("https://idp.example").unwrap();
        // The Lambda runtime API, and its like.
        for (token, revocation) in [
            (
                "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next",
                None,
            ),
            ("https://idp.example/token", Some("http://127.0.0.1:9001/x")),
            ("https://localhost/token", None),
            ("https://[::1]:8443/token", None),
        ] {
            let err =
                check(&issuer, document("https://idp.example", token, revocation)).unwrap_err();
            assert!(
                err.contains("is not an https address of another machine"),
                "{token} {revocation:?}: {err}"
            );
            let field = if revocation.is_some() {
                "revocation_endpoint"
            } else {
                "token_endpoint"
            };
            assert!(err.starts_with(field), "{err}");
        }
        // Plain http elsewhere was refused before (`parse_endpoint`), and still is.
        let err = check(
            &issuer,
            document("https://idp.example", "http://idp.example/token", None),
        )
        .unwrap_err();
        assert!(err.contains("plain http"), "{err}");
        let fine = check(
            &issuer,
            document(
                "https://idp.example",
                "https://idp.example/token",
                Some("https://idp.example/revoke"),
            ),
        )
        .unwrap();
        assert_eq!(fine.token_endpoint.as_str(), "https://idp.example/token");
    }

    #[test]
    fn a_loopback_issuer_may_list_loopback_endpoints() {
        let issuer = Issuer::parse("http://127.0.0.1:3000").unwrap();
        let metadata = check(
            &issuer,
            document(
                "http://127.0.0.1:3000",
                "http://127.0.0.1:3000/token",
                Some("http://localhost:3000/revoke"),
            ),
        )
        .unwrap();
        assert_eq!(
            metadata.token_endpoint.as_str(),
            "http://127.0.0.1:3000/token"
        );
        // Still only what authbridge may call at all.
        let err = check(
            &issuer,
            document("http://127.0.0.1:3000", "http://example.com/token", None),
        )
        .unwrap_err();
        assert!(err.contains("plain http"), "{err}");
    }
}

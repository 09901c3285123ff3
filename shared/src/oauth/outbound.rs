//! The outbound HTTP client for talking to providers: no redirects followed (an OAuth client that
//! follows redirects can be turned against internal hosts), connect and total timeouts, and server
//! errors (5xx) surfaced as transport failures so they are never mistaken for an OAuth answer.
//! Names under `localhost` resolve to loopback, as RFC 6761 asks ([`localhost`]).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use oauth2::{AsyncHttpClient, HttpClientError, HttpRequest, HttpResponse};

pub mod localhost;

/// Timeouts of outbound calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(3),
            total: Duration::from_secs(10),
        }
    }
}

/// An HTTP client for provider endpoints; cheap to clone (one connection pool).
#[derive(Debug, Clone)]
pub struct OutboundHttp {
    client: reqwest::Client,
}

impl OutboundHttp {
    /// A client with `timeouts` that follows no redirects, on the process's TLS configuration
    /// ([`crate::tls`]).
    pub fn new(timeouts: Timeouts) -> Result<Self, reqwest::Error> {
        Self::with_roots(timeouts, crate::tls::process())
    }

    /// A client with `timeouts` that trusts `roots` (a private CA: [`crate::tls::EXTRA_CA_FILE`]).
    pub fn with_roots(
        timeouts: Timeouts,
        roots: &crate::tls::TrustRoots,
    ) -> Result<Self, reqwest::Error> {
        let client = roots
            .reqwest_builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(std::sync::Arc::new(localhost::LocalhostResolver))
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .user_agent(concat!("authbridge/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(OutboundHttp { client })
    }

    /// The underlying client, for plain requests (discovery, userinfo).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }
}

impl<'c> AsyncHttpClient<'c> for OutboundHttp {
    type Error = HttpClientError<reqwest::Error>;
    type Future =
        Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let response = self.client.call(request).await?;
            if response.status().is_server_error() {
                return Err(HttpClientError::Other(format!(
                    "the provider answered HTTP {}",
                    response.status()
                )));
            }
            if response.status().is_redirection() {
                return Err(HttpClientError::Other(format!(
                    "the provider answered a redirect (HTTP {}), which is not followed",
                    response.status()
                )));
            }
            Ok(response)
        })
    }
}

//! Settings of the OAuth half, read once at cold start.

use std::time::Duration;

use url::Url;

use super::landing::LandingAllowlist;
use super::outbound::Timeouts;
use crate::config::{Backend, Config, ConfigError, Env};

/// Default lifetime of an authorization-flow state (10 minutes).
pub const DEFAULT_FLOW_TTL: Duration = Duration::from_secs(600);
/// Longest lifetime a caller may ask for (1 hour).
pub const MAX_FLOW_TTL: Duration = Duration::from_secs(3600);
/// The local stack's address, the default public URL of embedded runs.
pub const LOCAL_PUBLIC_URL: &str = "http://127.0.0.1:3000";
/// Where oauth-return is routed.
pub const RETURN_PATH: &str = "oauth/return";
/// Default expiring window: a week before a refresh token's stated end.
pub const DEFAULT_EXPIRING_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);
/// Default time a warm process keeps a client its token paths read (30 s).
pub const DEFAULT_CLIENT_CACHE_TTL: Duration = Duration::from_secs(30);

/// Where authbridge is reached, for the links and redirect URI of a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowUrls {
    /// The public base URL: the one-time link is `<base>/oauth/go/<id>`.
    pub public_base: Url,
    /// The redirect URI sent to the provider.
    pub redirect_uri: Url,
}

/// Settings of the OAuth functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    /// Where authbridge is reached (`AUTHBRIDGE_PUBLIC_URL`; default the local stack for embedded
    /// runs). On AWS it may be left unset: it is then the host the request came in on.
    pub public_url: Option<Url>,
    /// The redirect URI sent to providers (`AUTHBRIDGE_RETURN_URL`, like CiviCRM's
    /// `oauthClientRedirectUrl`; default `<public url>/oauth/return`).
    pub redirect_url: Option<Url>,
    /// Where browsers may land after a flow (`AUTHBRIDGE_LANDING_ALLOWLIST`).
    pub landing_allowlist: LandingAllowlist,
    /// Default lifetime of a flow state (`AUTHBRIDGE_FLOW_TTL`, seconds).
    pub flow_ttl: Duration,
    /// Outbound timeouts (`AUTHBRIDGE_HTTP_CONNECT_TIMEOUT`, `AUTHBRIDGE_HTTP_TIMEOUT`, seconds).
    pub timeouts: Timeouts,
    /// How long before its refresh token's stated end a connection is `expiring` and announced
    /// (`AUTHBRIDGE_EXPIRING_WINDOW`, seconds; default 7 days).
    pub expiring_window: Duration,
    /// How long a warm process keeps a client its token reads and refreshes read
    /// (`AUTHBRIDGE_CLIENT_CACHE_TTL`, seconds, default 30; [`super::kept_clients`]).
    pub client_cache_ttl: Duration,
}

impl OAuthSettings {
    /// Reads the settings; the public URL is required on AWS.
    pub fn from(env: &Env<'_>, config: &Config) -> Result<Self, ConfigError> {
        let public_url = match (env.url("AUTHBRIDGE_PUBLIC_URL")?, &config.backend) {
            (Some(url), _) => Some(url),
            (None, Backend::Embedded { .. }) => {
                let port = env.get("AUTHBRIDGE_PORT").unwrap_or_else(|| "3000".into());
                Some(
                    Url::parse(&format!("http://127.0.0.1:{port}")).map_err(|e| {
                        ConfigError::Invalid {
                            name: "AUTHBRIDGE_PORT",
                            reason: e.to_string(),
                        }
                    })?,
                )
            }
            (None, Backend::Aws(_)) => None,
        };
        let redirect_url = env
            .url("AUTHBRIDGE_RETURN_URL")?
            .or_else(|| public_url.as_ref().map(|base| join(base, RETURN_PATH)));
        let landing_allowlist = match env.get("AUTHBRIDGE_LANDING_ALLOWLIST") {
            Some(raw) => LandingAllowlist::parse(&raw).map_err(|reason| ConfigError::Invalid {
                name: "AUTHBRIDGE_LANDING_ALLOWLIST",
                reason,
            })?,
            None => LandingAllowlist::from_urls(public_url.iter().cloned().collect()),
        };
        let flow_ttl = env.seconds("AUTHBRIDGE_FLOW_TTL", DEFAULT_FLOW_TTL.as_secs())?;
        if flow_ttl.is_zero() || flow_ttl > MAX_FLOW_TTL {
            return Err(ConfigError::Invalid {
                name: "AUTHBRIDGE_FLOW_TTL",
                reason: "must be between 1 and 3600 seconds".into(),
            });
        }
        Ok(OAuthSettings {
            public_url,
            redirect_url,
            landing_allowlist,
            flow_ttl,
            timeouts: Timeouts {
                connect: env.seconds("AUTHBRIDGE_HTTP_CONNECT_TIMEOUT", 3)?,
                total: env.seconds("AUTHBRIDGE_HTTP_TIMEOUT", 10)?,
            },
            expiring_window: env.seconds(
                "AUTHBRIDGE_EXPIRING_WINDOW",
                DEFAULT_EXPIRING_WINDOW.as_secs(),
            )?,
            client_cache_ttl: env.seconds(
                "AUTHBRIDGE_CLIENT_CACHE_TTL",
                DEFAULT_CLIENT_CACHE_TTL.as_secs(),
            )?,
        })
    }

    /// The public base URL: configured, or else the scheme and host the request came in on.
    pub fn public_base(&self, request_uri: &http::Uri) -> Option<Url> {
        self.public_url.clone().or_else(|| {
            let scheme = request_uri.scheme_str().unwrap_or("https");
            let host = request_uri.authority()?.as_str();
            Url::parse(&format!("{scheme}://{host}/")).ok()
        })
    }

    /// The redirect URI to send to providers for a request that arrived at `request_uri`.
    pub fn redirect_for(&self, request_uri: &http::Uri) -> Option<Url> {
        self.redirect_url
            .clone()
            .or_else(|| self.public_base(request_uri).map(|b| join(&b, RETURN_PATH)))
    }
}

impl OAuthSettings {
    /// The public base and redirect URI of a flow started by a request that arrived at
    /// `request_uri` (any URI, for callers outside a request: then only configured URLs count).
    pub fn flow_urls(&self, request_uri: &http::Uri) -> Option<FlowUrls> {
        Some(FlowUrls {
            public_base: self.public_base(request_uri)?,
            redirect_uri: self.redirect_for(request_uri)?,
        })
    }

    /// The flow URLs from configuration alone, for callers outside a request (the CLI).
    pub fn configured_flow_urls(&self) -> Option<FlowUrls> {
        self.flow_urls(&http::Uri::default())
    }
}

fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{}", base.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<OAuthSettings, ConfigError> {
        let env = Env::from_pairs(vars);
        let config = Config::from(&env)?;
        OAuthSettings::from(&env, &config)
    }

    fn uri(raw: &str) -> http::Uri {
        raw.parse().unwrap()
    }

    #[test]
    fn local_runs_default_to_the_local_stack() {
        let s = settings(&[]).unwrap();
        assert_eq!(
            s.redirect_url.unwrap().as_str(),
            "http://127.0.0.1:3000/oauth/return"
        );
        assert!(s.landing_allowlist.check("http://127.0.0.1:3000/").is_ok());
        assert_eq!(s.flow_ttl, DEFAULT_FLOW_TTL);
    }

    #[test]
    fn the_return_url_setting_overrides_the_derived_one() {
        let s = settings(&[
            ("AUTHBRIDGE_PUBLIC_URL", "https://api.example.org/prod"),
            ("AUTHBRIDGE_RETURN_URL", "https://public.example.org/fwd"),
        ])
        .unwrap();
        let request = uri("https://other.example/x");
        assert_eq!(
            s.redirect_for(&request).unwrap().as_str(),
            "https://public.example.org/fwd"
        );
        let s = settings(&[("AUTHBRIDGE_PUBLIC_URL", "https://api.example.org/prod")]).unwrap();
        assert_eq!(
            s.redirect_for(&request).unwrap().as_str(),
            "https://api.example.org/prod/oauth/return"
        );
    }

    #[test]
    fn on_aws_without_a_public_url_the_request_host_is_used() {
        let s = settings(&[("AUTHBRIDGE_TABLE", "t")]).unwrap();
        let request = uri("https://abc.execute-api.eu-west-1.amazonaws.com/oauth/start?client=1");
        assert_eq!(
            s.redirect_for(&request).unwrap().as_str(),
            "https://abc.execute-api.eu-west-1.amazonaws.com/oauth/return"
        );
        let err = settings(&[("AUTHBRIDGE_FLOW_TTL", "7200")]).unwrap_err();
        assert!(err.to_string().contains("AUTHBRIDGE_FLOW_TTL"));
    }
}

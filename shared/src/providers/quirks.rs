//! How a provider departs from plain OAuth 2.0 in the shape of its requests and answers: extra
//! request parameters and headers, no PKCE, a form-encoded token response, lifetimes it does not
//! state or states on its own terms. Each is a key of the provider file (our own, next to
//! CiviCRM's), checked when the file loads.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::options::TokenAuthMethod;

/// Parameters authbridge sets itself; a provider file may not add them again.
const RESERVED_PARAMS: [&str; 14] = [
    "response_type",
    "client_id",
    "client_secret",
    "redirect_uri",
    "state",
    "scope",
    "code",
    "code_challenge",
    "code_challenge_method",
    "code_verifier",
    "grant_type",
    "refresh_token",
    "prompt",
    "access_type",
];

/// Headers authbridge (or HTTP) sets itself on a token request.
const RESERVED_HEADERS: [&str; 6] = [
    "authorization",
    "content-type",
    "content-length",
    "host",
    "transfer-encoding",
    "accept",
];

/// Extra parameters of one request (`authorizeParams`, `tokenParams`, `refreshParams`): sent as
/// given, after authbridge's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<String, String>",
    into = "BTreeMap<String, String>"
)]
pub struct RequestParams(BTreeMap<String, String>);

impl RequestParams {
    /// The parameters, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<BTreeMap<String, String>> for RequestParams {
    type Error = String;
    fn try_from(map: BTreeMap<String, String>) -> Result<Self, String> {
        for name in map.keys() {
            if name.is_empty() {
                return Err("a parameter name must not be empty".into());
            }
            if RESERVED_PARAMS.contains(&name.as_str()) {
                return Err(format!(
                    "{name:?} is set by authbridge (or by options.prompt / options.accessType); it cannot be an extra parameter"
                ));
            }
        }
        Ok(RequestParams(map))
    }
}

impl From<RequestParams> for BTreeMap<String, String> {
    fn from(params: RequestParams) -> Self {
        params.0
    }
}

/// Extra headers of a request: of the token requests (code exchange and refresh),
/// `tokenHeaders`, or of the revocation, `revocation.headers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<String, String>",
    into = "BTreeMap<String, String>"
)]
pub struct TokenHeaders(BTreeMap<String, String>);

impl TokenHeaders {
    /// The headers, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<BTreeMap<String, String>> for TokenHeaders {
    type Error = String;
    fn try_from(map: BTreeMap<String, String>) -> Result<Self, String> {
        for (name, value) in &map {
            if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(format!("{name:?} is not a header name"));
            }
            if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(format!(
                    "{name:?} is set by authbridge; it cannot be an extra header"
                ));
            }
            if http::HeaderValue::from_str(value).is_err() {
                return Err(format!("the value of {name:?} is not a header value"));
            }
        }
        Ok(TokenHeaders(map))
    }
}

impl From<TokenHeaders> for BTreeMap<String, String> {
    fn from(headers: TokenHeaders) -> Self {
        headers.0
    }
}

/// How the token endpoint encodes its answer (`tokenResponse`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenResponseFormat {
    /// `application/json`, as RFC 6749 §5.1 asks.
    #[default]
    Json,
    /// `application/x-www-form-urlencoded`, as some older servers answer.
    Form,
}

/// How a revocation request's body is encoded (`revocation.body`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RevocationBody {
    /// `application/x-www-form-urlencoded` with `token` and `token_type_hint`, as RFC 7009 §2.1
    /// asks.
    #[default]
    Form,
    /// A JSON object with `token` alone (Notion), and the client's credentials when they go in
    /// the body.
    Json,
}

/// How a provider's revocation request departs from RFC 7009 (`revocation`): its own client
/// authentication (Calendly authenticates token requests with Basic but wants the credentials in
/// the revocation's body), a JSON body (Notion), extra headers (Notion's `Notion-Version`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RevocationShape {
    /// How the client authenticates at the revocation endpoint; `options.tokenAuthMethod` (the
    /// client's, else the provider's) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<TokenAuthMethod>,
    /// How the body is encoded.
    #[serde(default)]
    pub body: RevocationBody,
    /// Extra headers of the revocation request.
    #[serde(default, skip_serializing_if = "TokenHeaders::is_empty")]
    pub headers: TokenHeaders,
}

/// From when a refresh token's lifetime runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LifetimeStart {
    /// From the authorization: refreshing does not extend it; the person must connect again.
    #[default]
    Authorization,
    /// From the refresh token's last use: every refresh starts it again (rotating refresh
    /// tokens, "expires after N days unused").
    LastUse,
}

/// The refresh token's lifetime, when the provider states it (`refreshTokenLifetime`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefreshTokenLifetime {
    /// The lifetime the documentation states, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
    /// The token-response member stating it, in seconds (e.g. `refresh_token_expires_in`); it
    /// wins over `seconds` when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_field: Option<String>,
    /// From when it runs.
    #[serde(default)]
    pub since: LifetimeStart,
}

impl RefreshTokenLifetime {
    /// The stated lifetime as a duration.
    pub fn duration(&self) -> Option<Duration> {
        self.seconds.map(Duration::from_secs)
    }
}

/// A provider's request and answer quirks, resolved: what the flows, refresh and revocation read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quirks {
    /// Whether authorization requests carry a PKCE challenge (RFC 7636); `pkce: false` turns it
    /// off for providers that refuse one.
    pub pkce: bool,
    /// How the token endpoint encodes its answer.
    pub token_response: TokenResponseFormat,
    /// Extra parameters of the authorization request.
    pub authorize_params: RequestParams,
    /// Extra parameters of the code exchange.
    pub token_params: RequestParams,
    /// Extra parameters of refresh requests.
    pub refresh_params: RequestParams,
    /// Extra headers of the code exchange and refresh requests.
    pub token_headers: TokenHeaders,
    /// The lifetime to assume for an access token whose response has no `expires_in`.
    pub assumed_access_token_lifetime: Option<Duration>,
    /// The refresh token's lifetime, when the provider states it.
    pub refresh_token_lifetime: Option<RefreshTokenLifetime>,
    /// The shape of the revocation request.
    pub revocation: RevocationShape,
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks {
            pkce: true,
            token_response: TokenResponseFormat::Json,
            authorize_params: RequestParams::default(),
            token_params: RequestParams::default(),
            refresh_params: RequestParams::default(),
            token_headers: TokenHeaders::default(),
            assumed_access_token_lifetime: None,
            refresh_token_lifetime: None,
            revocation: RevocationShape::default(),
        }
    }
}

//! The local stack's `demo` OAuth2 provider: a real authorization-code flow (RFC 6749 §4.1 with
//! PKCE S256, RFC 7636) that a person can click through in a browser with no account anywhere.
//!
//! LOCAL-ONLY: it has one registered client, keeps everything in memory, and approves on a click
//! with no login. It is served by the local stack itself under `/demo/...` as plain axum routes; it
//! is not an authbridge function and must never be deployed.
//!
//! | Route                                    | What it does                                    |
//! |------------------------------------------|-------------------------------------------------|
//! | `GET /demo/authorize`                    | the consent page (Approve / Deny)               |
//! | `POST /demo/authorize/decision`          | the user's answer: redirect back with a code    |
//! | `POST /demo/token`                       | `authorization_code` and `refresh_token` grants |
//! | `GET /demo/userinfo`                     | the demo user, for a Bearer access token        |
//! | `GET /demo/.well-known/openid-configuration` | the endpoints, for discovery                |

mod authorize;
mod client_auth;
mod discovery;
mod grants;
mod pages;
mod params;
mod pkce;
mod scope;
mod token;
mod userinfo;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use secrecy::SecretString;
use url::Url;

use grants::Grants;

/// The warning every page of the demo provider carries.
pub const LOCAL_ONLY_NOTICE: &str =
    "Local demo provider — for local development only; never deploy";

/// The one client registered with the demo provider (RFC 6749 §2).
#[derive(Debug, Clone)]
pub struct DemoClient {
    /// The public client identifier (authbridge's client `guid`).
    pub client_id: String,
    /// The client secret, checked on every token request.
    pub client_secret: SecretString,
    /// The only redirect URI accepted, compared as an exact string (RFC 9700 §4.1.1).
    pub redirect_uri: String,
}

/// The demo authorization server: its registered client, its issuer and its in-memory grants.
#[derive(Debug)]
pub struct DemoProvider {
    client: DemoClient,
    issuer: String,
    grants: Grants,
}

impl DemoProvider {
    /// A provider for `client`, served by the local stack at `base_url` (e.g.
    /// `http://127.0.0.1:3000`); its issuer is `base_url` + `/demo`.
    pub fn new(client: DemoClient, base_url: &Url) -> Self {
        let issuer = format!("{}/demo", base_url.as_str().trim_end_matches('/'));
        Self {
            client,
            issuer,
            grants: Grants::default(),
        }
    }

    /// The issuer identifier sent as `iss` in authorization responses (RFC 9207).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The registered client.
    pub fn client(&self) -> &DemoClient {
        &self.client
    }

    /// The `/demo/...` routes, to merge into the local stack's router (before its fallback).
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/demo/authorize", get(authorize::show))
            .route("/demo/authorize/decision", post(authorize::decide))
            .route("/demo/token", post(token::exchange))
            .route("/demo/userinfo", get(userinfo::userinfo))
            .route(
                "/demo/.well-known/openid-configuration",
                get(discovery::document),
            )
            .with_state(self)
    }

    /// The URL of one of the provider's endpoints, e.g. `endpoint("token")`.
    fn endpoint(&self, name: &str) -> String {
        format!("{}/{name}", self.issuer)
    }
}

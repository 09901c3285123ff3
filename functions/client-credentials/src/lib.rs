//! client-credentials: runs the grants that need no browser for API callers, authorised by a bearer
//! API token. `POST /oauth/token` with JSON
//! `{"client": ID, "grant": "client_credentials" | "password", "scopes": [...], "tag": T,
//! "username": ..., "password": ...}`; answers 200 with the stored record, redacted.
//!
//! The password grant is for legacy providers only: RFC 9700 §2.4 forbids it for new work.

use std::sync::Arc;

use authbridge::clock;
use authbridge::config::Env;
use authbridge::domain::Endpoint;
use authbridge::http::api_auth;
use authbridge::http::request::parse_body;
use authbridge::http::{ApiError, error::respond, response};
use authbridge::oauth::credentials::grant_client;
use authbridge::oauth::flow::{Initiator, active_client, provider_for, refresh_margin};
use authbridge::oauth::records::{self, Grant, TokenView};
use authbridge::oauth::{OAuthContext, OAuthError};
use authbridge::secrets::SecretString;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

/// What client-credentials builds at cold start.
pub struct Context {
    pub oauth: Arc<OAuthContext>,
}

impl Context {
    /// Reads the process environment.
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::from(&Env::process()).await
    }

    /// Reads any [`Env`].
    pub async fn from(env: &Env<'_>) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Context {
            oauth: Arc::new(OAuthContext::from(env).await?),
        })
    }
}

/// Which grant to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    ClientCredentials,
    Password,
}

/// The request body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub client: String,
    pub grant: GrantType,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<SecretString>,
}

/// Handles one request.
pub async fn handle(context: Arc<Context>, req: Request) -> Response<Body> {
    respond(run(&context, &req).await)
}

async fn run(context: &Context, req: &Request) -> Result<Response<Body>, ApiError> {
    if req.method() != lambda_http::http::Method::POST {
        return Err(ApiError::method_not_allowed());
    }
    let token = api_auth::authorize(
        context.oauth.app.stores.api_tokens.as_ref(),
        req,
        Endpoint::OauthToken,
    )
    .await?;
    let request: TokenRequest = parse_body(req)?;
    let record = run_grant(&context.oauth, request, &Initiator::api_token(&token)).await?;
    Ok(response::json(200, &TokenView::from(&record)))
}

async fn run_grant(
    ctx: &OAuthContext,
    request: TokenRequest,
    initiator: &Initiator,
) -> Result<authbridge::domain::StoredToken, OAuthError> {
    let client = active_client(ctx, &request.client).await?;
    let provider = provider_for(ctx, &client).await?;
    let scopes = request
        .scopes
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| provider.scopes.clone());
    let tag = request
        .tag
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| format!("client:{}", client.id));
    initiator.may_touch(&tag, None, &client.id)?;
    let grant = grant_client(ctx, &client, &provider, None).await?;
    let (grant_type, response) = match request.grant {
        GrantType::ClientCredentials => (
            "client_credentials",
            grant.client_credentials(&scopes).await?,
        ),
        GrantType::Password => {
            let username = request.username.filter(|u| !u.is_empty()).ok_or_else(|| {
                OAuthError::InvalidRequest("username is required for the password grant".into())
            })?;
            let password = request.password.ok_or_else(|| {
                OAuthError::InvalidRequest("password is required for the password grant".into())
            })?;
            (
                "password",
                grant.password(&username, &password, &scopes).await?,
            )
        }
    };
    let now = clock::now();
    let record = records::seal_new(
        ctx.vault().await?,
        Grant {
            tag: &tag,
            client_id: &client.id,
            grant_type,
            requested_scopes: &scopes,
            owner: None,
            owner_name: None,
            created_by: Some(initiator.as_str().to_string()),
        },
        &response,
        refresh_margin(&provider),
        now,
    )?;
    Ok(records::save(ctx.app.stores.tokens.as_ref(), record).await?)
}

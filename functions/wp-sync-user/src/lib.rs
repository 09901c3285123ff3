//! wp-sync-user: WordPress sites post their users here (`POST /api/v1/wordpress/sync-user`; `GET`
//! with a JSON body too, as the reference routes both), authorised by a bearer API token allowed
//! `sync-user`. The create / update / 409 logic is in `authbridge::wp_sync`.

use std::sync::Arc;

use authbridge::config::{Config, Env};
use authbridge::context::AppContext;
use authbridge::domain::Endpoint;
use authbridge::events::{Event, EventKind};
use authbridge::http::request::body_bytes;
use authbridge::http::{ApiError, api_auth, error::respond, response};
use authbridge::login::MigrationOptions;
use authbridge::wp_sync::{self, SyncPayload};
use lambda_http::{Body, Request, Response, http::Method};

/// What the function builds at cold start.
pub struct Context {
    pub app: Arc<AppContext>,
    /// `extIdReferencing` (`AUTHBRIDGE_WP_EXT_ID_REFERENCING`): write the WordPress ID into `ext_id`.
    pub ext_id_referencing: bool,
}

impl Context {
    /// Reads the process environment.
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::from(&Env::process()).await
    }

    /// Reads any [`Env`].
    pub async fn from(env: &Env<'_>) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Context {
            app: Arc::new(AppContext::build(Config::from(env)?).await?),
            ext_id_referencing: MigrationOptions::from(env)?.ext_id_referencing,
        })
    }
}

/// Handles one request.
pub async fn handle(context: Arc<Context>, req: Request) -> Response<Body> {
    respond(serve(&context, &req).await)
}

async fn serve(context: &Context, req: &Request) -> Result<Response<Body>, ApiError> {
    if req.method() != Method::POST && req.method() != Method::GET {
        return Err(ApiError::method_not_allowed());
    }
    api_auth::authorize(
        context.app.stores.api_tokens.as_ref(),
        req,
        Endpoint::SyncUser,
    )
    .await?;
    let payload = SyncPayload::parse(body_bytes(req))?;
    let synced = wp_sync::sync(
        context.app.stores.users.as_ref(),
        &payload,
        context.ext_id_referencing,
    )
    .await?;
    tracing::info!(wordpress_id = synced.wordpress_id, user = %synced.user_id, "user synchronized");
    context
        .app
        .events
        .publish(Event::user(
            EventKind::UserSynced,
            synced.user_id.as_str(),
            authbridge::clock::now(),
        ))
        .await;
    Ok(response::json(200, &synced))
}

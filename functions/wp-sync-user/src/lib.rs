//! wp-sync-user: WordPress sites post their users here (`POST /api/v1/wordpress/sync-user`; `GET`
//! with a JSON body too, as the reference routes both), authorised by a bearer API token allowed
//! `sync-user`. The create / update / 409 logic is in `authbridge::wp_sync`.

use std::sync::Arc;

use authbridge::config::{Config, Env};
use authbridge::context::AppContext;
use authbridge::domain::Endpoint;
use authbridge::http::request::body_bytes;
use authbridge::http::{ApiError, api_auth, error::respond, response};
use authbridge::login::MigrationOptions;
use authbridge::wp_sync::{SyncPayload, SyncService};
use lambda_http::{Body, Request, Response, http::Method};

/// What the function builds at cold start.
pub struct Context {
    pub app: Arc<AppContext>,
    pub sync: SyncService,
}

impl Context {
    /// The context over `app`; `ext_id_referencing` is `extIdReferencing`
    /// (`AUTHBRIDGE_WP_EXT_ID_REFERENCING`): write the WordPress ID into `ext_id`.
    pub fn new(app: Arc<AppContext>, ext_id_referencing: bool) -> Self {
        Context {
            sync: SyncService::new(&app, ext_id_referencing),
            app,
        }
    }

    /// Reads the process environment.
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::from(&Env::process()).await
    }

    /// Reads any [`Env`].
    pub async fn from(env: &Env<'_>) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Context::new(
            Arc::new(AppContext::build(Config::from(env)?).await?),
            MigrationOptions::from(env)?.ext_id_referencing,
        ))
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
    api_auth::authorize(context.app.api_tokens(), req, Endpoint::SyncUser).await?;
    let payload = SyncPayload::parse(body_bytes(req))?;
    let synced = context.sync.sync(&payload).await?;
    Ok(response::json(200, &synced))
}

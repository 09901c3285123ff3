//! login-authenticate: password login over local users first and WordPress as the migration
//! fallback (`POST /auth/login`), the user of a session (`GET /auth/me`), and the end of a
//! session (`POST /auth/logout`).
//!
//! The chain, throttling, migration and sessions are the domain's (`authbridge::login`); this
//! crate reads the request and writes the answer.

mod request;
mod view;

use std::sync::Arc;

use authbridge::config::{Config, Env};
use authbridge::context::AppContext;
use authbridge::http::request::{bearer_token, source_ip};
use authbridge::http::routes::{self, Operation};
use authbridge::http::{ApiError, error::respond, response};
use authbridge::login::{LoginError, LoginService, LoginSettings, SetupError};
use lambda_http::{Body, Request, Response};

pub use view::{LoginView, MeView, UserView};

/// What login-authenticate builds at cold start.
pub struct Context {
    pub login: LoginService,
}

impl Context {
    /// Reads the process environment.
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::from(&Env::process()).await
    }

    /// Reads any [`Env`].
    pub async fn from(env: &Env<'_>) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let config = Config::from(env)?;
        let settings = LoginSettings::from(env, &config)?;
        let app = AppContext::build(config).await?;
        Ok(Self::new(&app, &settings)?)
    }

    /// The context over `app` with `settings` (tests, the local stack).
    pub fn new(app: &AppContext, settings: &LoginSettings) -> Result<Self, SetupError> {
        Ok(Context {
            login: LoginService::new(app, settings)?,
        })
    }
}

/// Handles one request: `POST /auth/login` logs in, `GET /auth/me` answers the session's user,
/// `POST /auth/logout` ends the session.
pub async fn handle(context: Arc<Context>, req: Request) -> Response<Body> {
    let result = match routes::resolve(&req).map(|r| r.operation()) {
        Some(Operation::Login) => login(&context, &req).await,
        Some(Operation::CurrentUser) => me(&context, &req).await,
        Some(Operation::Logout) => logout(&context, &req).await,
        _ => return routes::unrouted(req.uri().path()),
    };
    respond(result)
}

async fn login(context: &Context, req: &Request) -> Result<Response<Body>, ApiError> {
    let credentials = request::credentials(req)?;
    let address = source_ip(req);
    let success = context
        .login
        .login(&credentials, address.as_deref())
        .await?;
    Ok(response::json(200, &LoginView::from(&success)))
}

/// 204 whether or not the token was a live session (the answer is the same either way: the
/// token no longer works); 401 without a bearer token.
async fn logout(context: &Context, req: &Request) -> Result<Response<Body>, ApiError> {
    let token = bearer_token(req).ok_or(LoginError::InvalidToken)?;
    context.login.logout(token).await?;
    Ok(response::empty(204))
}

async fn me(context: &Context, req: &Request) -> Result<Response<Body>, ApiError> {
    let token = bearer_token(req).ok_or(LoginError::InvalidToken)?;
    let user = context.login.current_user(token).await?;
    Ok(response::json(
        200,
        &MeView {
            user: UserView::from(&user),
        },
    ))
}

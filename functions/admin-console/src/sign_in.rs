//! Signing in and out: `POST /admin/sign-in` (the login bridge's check, then a role, then the
//! session's cookie; the domain records it for audit) and the sign-out form (the session ended,
//! recorded as `admin.session.ended`).

use authbridge::clock;
use authbridge::console::ConsoleError;
use authbridge::events::AdminAction;
use authbridge::http::cookie::CookieScope;
use authbridge::http::request::{body_bytes, source_ip};
use authbridge::http::{ApiError, response};
use authbridge::login::{Credentials, LoginError, LoginName};
use lambda_http::http::{HeaderValue, header};
use lambda_http::{Body, Request, Response};

use crate::form::Form;
use crate::pages::{self, Nav};
use crate::{Answer, Context, SESSION_COOKIE, Who, cross_site, page, refusal, set_cookie};

/// `POST /admin/sign-in`: the login bridge's check, then a role, then the session's cookie.
pub(crate) async fn post(context: &Context, req: &Request, base: &str) -> Response<Body> {
    let nav = Nav { base, signed: None };
    if cross_site(context, req) {
        return refusal(&nav, ConsoleError::CrossSite);
    }
    let form = Form::parse(body_bytes(req));
    let name = form.get("email").map(str::to_string);
    let credentials = match credentials(&form) {
        Ok(credentials) => credentials,
        Err(e) => return sign_in_refused(&nav, name.as_deref(), e),
    };
    let address = source_ip(req);
    let now = clock::now();
    match authbridge::console::sign_in(
        &context.login,
        &context.sessions,
        &context.oauth.app.events,
        &credentials,
        address.as_deref(),
        now,
    )
    .await
    {
        Ok(opened) => {
            let scope = CookieScope::for_console(&context.oauth.settings, req.uri());
            let lifetime =
                i64::try_from(context.sessions.settings().lifetime.as_secs()).unwrap_or(i64::MAX);
            let mut answer = response::redirect(303, base);
            set_cookie(
                &mut answer,
                &scope.set_strict(SESSION_COOKIE, opened.cookie.expose(), lifetime),
            );
            answer
        }
        Err(e) => sign_in_refused(&nav, name.as_deref(), e),
    }
}

/// The credentials of the sign-in form: an e-mail address, or a WordPress login name.
fn credentials(form: &Form) -> Result<Credentials, ConsoleError> {
    let name = form.require("email")?;
    let password = form
        .secret("password")
        .ok_or_else(|| ConsoleError::invalid("password", "is required"))?;
    let name = if name.contains('@') {
        LoginName::from_email(name)
    } else {
        LoginName::from_username(name)
    }
    .map_err(|e| ConsoleError::invalid(e.field, e.reason))?;
    Credentials::new(name, password).map_err(|e| ConsoleError::invalid(e.field, e.reason))
}

/// The sign-in page again, with why the attempt failed, under the failure's status.
fn sign_in_refused(nav: &Nav<'_>, name: Option<&str>, error: ConsoleError) -> Response<Body> {
    let said = match &error {
        ConsoleError::Login(LoginError::InvalidCredentials) => {
            "The e-mail address or the password is wrong.".to_string()
        }
        ConsoleError::Login(LoginError::Throttled { retry_after }) => format!(
            "Too many failed attempts: try again in {} minute(s).",
            retry_after.div_ceil(60).max(1)
        ),
        other => other.to_string(),
    };
    let answer = ApiError::from(error);
    let mut page = page(answer.status, pages::sign_in::page(nav, Some(&said), name));
    if let Some(seconds) = answer.retry_after
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        page.headers_mut().insert(header::RETRY_AFTER, value);
    }
    page
}

/// The sign-out form: ends the session, records it, and sends the browser to sign in (its
/// cookie cleared).
pub(crate) async fn sign_out(
    context: &Context,
    who: &Who<'_>,
    cookie: &str,
) -> Result<Answer, ConsoleError> {
    context.sessions.end(cookie).await?;
    tracing::info!(user_id = %who.signed.user.id, "console session ended by sign-out");
    let email = who.signed.user.email.as_str();
    who.record(context, AdminAction::SessionEnded, email).await;
    Ok(Answer::SeeOther("sign-in".into()))
}

//! admin-console: the admin console at `/admin`, server-rendered HTML for a browser. Who may
//! enter, sessions and permissions are the domain's (`authbridge::console`); this crate reads the
//! request (the session cookie, the form, where it came from), calls the service, and writes the
//! page, the redirect or the refusal with its status.
//!
//! Every page sends the console's security headers (no scripts at all, the stylesheet from
//! `/admin/static/`, no framing); every POST but the sign-in must carry the session's CSRF token,
//! and a POST another site started is refused before anything is read.

mod api_tokens;
mod clients;
mod connections;
mod form;
mod pages;
mod providers;
mod sign_in;
mod users;

use std::net::IpAddr;
use std::sync::Arc;

use authbridge::audit;
use authbridge::clock;
use authbridge::config::{Config, Env};
use authbridge::console::{ConsoleError, ConsoleSessions, ConsoleSettings, SignedIn};
use authbridge::domain::{Permission, Subject};
use authbridge::events::AdminAction;
use authbridge::http::cookie::{self, CookieScope};
use authbridge::http::request::{body_bytes, source_ip};
use authbridge::http::routes::{self, GREEDY, Operation};
use authbridge::http::{ApiError, response};
use authbridge::login::{LoginService, LoginSettings};
use authbridge::oauth::OAuthContext;
use authbridge::store::PageRequest;
use lambda_http::http::{HeaderValue, header};
use lambda_http::{Body, Request, Response};
use maud::Markup;

use form::{CSRF_FIELD, Form};
use pages::Nav;

/// Audit entries per page.
const AUDIT_PAGE: u32 = 50;

/// The console session's cookie.
pub const SESSION_COOKIE: &str = "authbridge_console";

/// The console's Content-Security-Policy: nothing but its own stylesheet and images, forms only to
/// itself, never framed.
pub const CONSOLE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The stylesheet, served at `/admin/static/console.css`.
const STYLESHEET: &str = include_str!("console.css");

/// What admin-console builds at cold start.
pub struct Context {
    pub oauth: Arc<OAuthContext>,
    pub login: LoginService,
    pub sessions: ConsoleSessions,
}

impl Context {
    /// Reads the process environment.
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::from(&Env::process()).await
    }

    /// Reads any [`Env`] (the process's, or a test's).
    pub async fn from(env: &Env<'_>) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let oauth = Arc::new(OAuthContext::from(env).await?);
        let config = Config::from(env)?;
        let login = LoginSettings::from(env, &config)?;
        let console = ConsoleSettings::from(env)?;
        Ok(Self::new(oauth, &login, console)?)
    }

    /// The context over `oauth` (the local stack's, tests').
    pub fn new(
        oauth: Arc<OAuthContext>,
        login: &LoginSettings,
        console: ConsoleSettings,
    ) -> Result<Self, authbridge::login::SetupError> {
        let app = &oauth.app;
        Ok(Context {
            login: LoginService::new(app, login)?,
            sessions: ConsoleSessions::of(app, console),
            oauth,
        })
    }
}

/// What a console handler answers (the statuses are this file's).
pub(crate) enum Answer {
    /// A page, 200.
    Page(Markup),
    /// 303 to a console path (`clients/c1`) after a change: post/redirect/get.
    SeeOther(String),
    /// A page that holds a secret shown once (a new API token's value, a flow's one-time link), 200 with
    /// `Cache-Control: no-store`: no browser or proxy keeps it.
    Secret(Markup),
}

/// Handles one console request.
pub async fn handle(context: Arc<Context>, req: Request) -> Response<Body> {
    let Some(routed) = routes::resolve(&req) else {
        return routes::unrouted(req.uri().path());
    };
    let rest = routed.param(GREEDY).unwrap_or("").to_string();
    let base = base_path(&context, &req);
    let post = routed.operation() == Operation::ConsoleAction;
    match (post, rest.as_str()) {
        (false, "static/console.css") => stylesheet(),
        (false, "sign-in") => {
            let nav = Nav {
                base: &base,
                signed: None,
            };
            page(200, pages::sign_in::page(&nav, None, None))
        }
        (true, "sign-in") => sign_in::post(&context, &req, &base).await,
        _ => signed_in(&context, &req, &base, post, &rest).await,
    }
}

/// Where the console lives under the public URL: `/admin`, or `/<path>/admin`.
fn base_path(context: &Context, req: &Request) -> String {
    let root = context
        .oauth
        .settings
        .public_base(req.uri())
        .map(|base| base.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    format!("{root}/admin")
}

/// A request of a signed-in user: resolve the session (or send the browser to sign in), check a
/// POST's origin and token, then the page or action.
async fn signed_in(
    context: &Context,
    req: &Request,
    base: &str,
    post: bool,
    rest: &str,
) -> Response<Body> {
    if post && cross_site(context, req) {
        return refusal(&Nav { base, signed: None }, ConsoleError::CrossSite);
    }
    let Some(cookie) = cookie::read(req, SESSION_COOKIE) else {
        return response::redirect(303, &format!("{base}/sign-in"));
    };
    let signed = match context.sessions.resolve(&cookie, clock::now()).await {
        Ok(signed) => signed,
        Err(ConsoleError::NotSignedIn) => {
            let mut answer = response::redirect(303, &format!("{base}/sign-in"));
            set_cookie(
                &mut answer,
                &CookieScope::for_console(&context.oauth.settings, req.uri()).clear(SESSION_COOKIE),
            );
            return answer;
        }
        Err(e) => return refusal(&Nav { base, signed: None }, e),
    };
    let nav = Nav {
        base,
        signed: Some(&signed),
    };
    let outcome = if post {
        let form = Form::parse(body_bytes(req));
        match signed.check_csrf(form.get(CSRF_FIELD)) {
            Ok(()) => action(context, req, &signed, &nav, &cookie, rest, &form).await,
            Err(e) => Err(e),
        }
    } else {
        show(context, req, &signed, &nav, rest).await
    };
    match outcome {
        Ok(Answer::Page(markup)) => page(200, markup),
        Ok(Answer::Secret(markup)) => {
            let mut answer = page(200, markup);
            answer
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            answer
        }
        Ok(Answer::SeeOther(to)) if to == "sign-in" => {
            let mut answer = response::redirect(303, &format!("{base}/sign-in"));
            set_cookie(
                &mut answer,
                &CookieScope::for_console(&context.oauth.settings, req.uri()).clear(SESSION_COOKIE),
            );
            answer
        }
        Ok(Answer::SeeOther(to)) => response::redirect(303, &nav.to(&to)),
        Err(e) => refusal(&nav, e),
    }
}

/// A GET page.
async fn show(
    context: &Context,
    req: &Request,
    signed: &SignedIn,
    nav: &Nav<'_>,
    rest: &str,
) -> Result<Answer, ConsoleError> {
    let segments: Vec<&str> = rest.split('/').collect();
    let markup = match segments.as_slice() {
        [""] => pages::home::page(nav),
        ["providers"] => providers::show(context, signed, nav).await?,
        ["clients"] => clients::list(context, signed, nav).await?,
        ["clients", id] => {
            let query = authbridge::http::request::query(req);
            clients::show(
                context,
                signed,
                nav,
                &clients::id_in_path(id)?,
                query.get("done").map(String::as_str),
            )
            .await?
        }
        ["connections"] => connections::list(context, req, signed, nav).await?,
        ["connections", "show"] => connections::show(context, req, signed, nav).await?,
        ["api-tokens"] => api_tokens::list(context, signed, nav).await?,
        ["api-tokens", "show"] => api_tokens::show(context, req, signed, nav).await?,
        ["users"] => users::list(context, req, signed, nav).await?,
        ["users", "show"] => users::show(context, req, signed, nav).await?,
        ["migration"] => migration(context, signed, nav).await?,
        ["audit"] => audit_log(context, req, signed, nav).await?,
        _ => return Err(ConsoleError::NotFound("page")),
    };
    Ok(Answer::Page(markup))
}

/// The migration panel; needs `migration`.
async fn migration(
    context: &Context,
    signed: &SignedIn,
    nav: &Nav<'_>,
) -> Result<Markup, ConsoleError> {
    signed.require(Permission::Migration)?;
    let now = clock::now();
    let status = context.oauth.app.migration_status(now).await?;
    Ok(pages::migration::page(nav, &status, now))
}

/// The audit log, a page at a time; needs `audit`.
async fn audit_log(
    context: &Context,
    req: &Request,
    signed: &SignedIn,
    nav: &Nav<'_>,
) -> Result<Markup, ConsoleError> {
    signed.require(Permission::Audit)?;
    let query = authbridge::http::request::query(req);
    let page = PageRequest {
        limit: AUDIT_PAGE,
        after: query.get("after").cloned(),
    };
    let entries = context
        .oauth
        .app
        .audit_trail()
        .entries(&Subject::Admin, &page)
        .await?;
    Ok(pages::audit::page(
        nav,
        &entries.items,
        page.after.as_deref(),
        entries.next.as_deref(),
    ))
}

/// Who makes a change, and from which address: what the audit trail names.
pub(crate) struct Who<'a> {
    pub signed: &'a SignedIn,
    pub address: Option<IpAddr>,
}

impl Who<'_> {
    /// Records that this console user did `action` to `target` (never a secret), through the
    /// audit trail the CLI records through (`authbridge::audit::record`).
    pub async fn record(&self, context: &Context, action: AdminAction, target: &str) {
        audit::record(
            &context.oauth.app.events,
            self.signed.user.email.as_str(),
            action,
            target,
            self.address,
        )
        .await;
    }
}

/// The client's address as API Gateway saw it, when it is one.
fn client_address(req: &Request) -> Option<IpAddr> {
    source_ip(req).and_then(|address| address.parse().ok())
}

/// A POST action (its token already checked).
async fn action(
    context: &Context,
    req: &Request,
    signed: &SignedIn,
    nav: &Nav<'_>,
    cookie: &str,
    rest: &str,
    form: &Form,
) -> Result<Answer, ConsoleError> {
    let who = Who {
        signed,
        address: client_address(req),
    };
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        ["sign-out"] => sign_in::sign_out(context, &who, cookie).await,
        ["clients"] => clients::register(context, &who, form).await,
        ["clients", id] => clients::update(context, &who, &clients::id_in_path(id)?, form).await,
        ["clients", id, "enable"] => {
            clients::set_active(context, &who, &clients::id_in_path(id)?, true).await
        }
        ["clients", id, "disable"] => {
            clients::set_active(context, &who, &clients::id_in_path(id)?, false).await
        }
        ["clients", id, "confirm-secret"] => {
            clients::confirm_secret(context, &who, &clients::id_in_path(id)?).await
        }
        ["clients", id, "delete"] => {
            clients::delete(context, &who, &clients::id_in_path(id)?).await
        }
        ["connections", "connect"] => {
            connections::connect(context, req, &who, form, nav, false).await
        }
        ["connections", "reconnect"] => {
            connections::connect(context, req, &who, form, nav, true).await
        }
        ["connections", "revoke"] => connections::revoke(context, &who, form).await,
        ["connections", "delete"] => connections::delete(context, &who, form).await,
        ["api-tokens"] => api_tokens::create(context, &who, form, nav).await,
        ["api-tokens", "scope"] => api_tokens::set_scope(context, &who, form).await,
        ["api-tokens", "enable"] => api_tokens::set_active(context, &who, form, true).await,
        ["api-tokens", "disable"] => api_tokens::set_active(context, &who, form, false).await,
        ["api-tokens", "delete"] => api_tokens::delete(context, &who, form).await,
        ["users", "enable"] => users::set_active(context, &who, form, true).await,
        ["users", "disable"] => users::set_active(context, &who, form, false).await,
        ["users", "password"] => users::set_password(context, &who, form).await,
        ["users", "grant-role"] => users::role(context, &who, form, true).await,
        ["users", "revoke-role"] => users::role(context, &who, form, false).await,
        _ => Err(ConsoleError::NotFound("page")),
    }
}

/// Whether a POST was started by another site: its `Sec-Fetch-Site` is not `same-origin`, or its
/// `Origin` is not the console's own. A request with neither header (an old browser, a script) is
/// left to the CSRF token and the `SameSite=Strict` cookie.
fn cross_site(context: &Context, req: &Request) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if header("sec-fetch-site").is_some_and(|site| site != "same-origin") {
        return true;
    }
    let own = context
        .oauth
        .settings
        .public_base(req.uri())
        .map(|base| base.origin().ascii_serialization());
    match header("origin") {
        Some(origin) => own.as_deref() != Some(origin),
        None => false,
    }
}

/// A refusal or failure as a page, under its status.
fn refusal(nav: &Nav<'_>, error: ConsoleError) -> Response<Body> {
    let permission = match &error {
        ConsoleError::Forbidden(p) => Some(p.name()),
        _ => None,
    };
    let answer = ApiError::from(error);
    let title = match answer.status {
        400 => "Not accepted",
        401 | 403 => "Not allowed",
        404 => "Not found",
        409 => "Not possible now",
        429 | 503 => "Try again shortly",
        _ => "Something went wrong",
    };
    let message = match answer.status {
        500 => "The console could not do this; the error is logged.".to_string(),
        _ => answer.message(),
    };
    let mut response = page(
        answer.status,
        pages::error(nav, title, &message, permission),
    );
    response
        .extensions_mut()
        .insert(authbridge::http::access_log::Reason(answer.reason()));
    response
}

/// An HTML page with `status` and the console's headers.
fn page(status: u16, markup: Markup) -> Response<Body> {
    let mut response = response::html(status, markup.into_string());
    response.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static(CONSOLE_CSP),
    );
    // Not `no-referrer` (the flow pages' policy): under it a browser posts the console's forms
    // with `Origin: null`, which the cross-site check refuses. No console URL carries a secret.
    response
        .headers_mut()
        .insert("referrer-policy", HeaderValue::from_static("same-origin"));
    response
}

fn stylesheet() -> Response<Body> {
    let mut response = Response::new(Body::Text(STYLESHEET.to_string()));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn set_cookie(response: &mut Response<Body>, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

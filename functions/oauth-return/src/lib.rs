//! oauth-return: step 3 of the authorization-code flow, where the provider sends the browser back.
//! Consumes the state once, checks the browser's binding cookie and `iss`, exchanges the code with
//! the PKCE verifier, stores the token record, and sends the browser to its landing URL (303) or
//! shows a small page. Every failure after the state is accepted lands the same way, with
//! `status=error&error=<code>`.

use std::sync::Arc;

use authbridge::clock;
use authbridge::http::cookie::{self, CookieScope};
use authbridge::http::request::query;
use authbridge::http::{ApiError, page, response};
use authbridge::oauth::OAuthContext;
use authbridge::oauth::flow::binding::cookie_name;
use authbridge::oauth::flow::{self, Completed, Failure, ReturnParams};
use lambda_http::{Body, Request, Response, http};

/// The context oauth-return builds at cold start.
pub type Context = OAuthContext;

/// Handles one request.
pub async fn handle(context: Arc<Context>, req: Request) -> Response<Body> {
    if req.method() != http::Method::GET {
        return ApiError::method_not_allowed().into_response();
    }
    let mut q = query(&req);
    let params = ReturnParams {
        state: q.remove("state"),
        code: q.remove("code"),
        error: q.remove("error"),
        error_description: q.remove("error_description"),
        iss: q.remove("iss"),
        others: q.into_iter().collect(),
    };
    let state = params.state.clone().unwrap_or_default();
    let completed = flow::complete(
        &context,
        params,
        |name| cookie::read(&req, name),
        clock::now(),
    )
    .await;
    let mut response = match completed {
        Ok(Completed::Connected {
            tag,
            landing_url,
            owner_name,
        }) => match landing_url {
            Some(landing) => land(&landing, &[("status", "connected"), ("tag", tag.as_str())]),
            None => page::message(
                200,
                "Connected",
                &match owner_name {
                    Some(owner) => format!(
                        "The connection \"{tag}\" is made for {owner}. You can close this page."
                    ),
                    None => format!("The connection \"{tag}\" is made. You can close this page."),
                },
            ),
        },
        Ok(Completed::Failed(failure)) => failed(failure),
        Err(err) => {
            let api: ApiError = err.into();
            return page::for_error(&api, "Not connected", &api.message());
        }
    };
    // The flow is consumed: its binding cookie has done its work.
    let clear = CookieScope::for_flows(&context.settings, req.uri()).clear(&cookie_name(&state));
    if let Ok(value) = http::HeaderValue::from_str(&clear) {
        response
            .headers_mut()
            .append(http::header::SET_COOKIE, value);
    }
    response
}

/// Where a failed flow sends the browser: its landing URL with the error, or a page in words.
fn failed(failure: Failure) -> Response<Body> {
    if let Some(landing) = &failure.landing_url {
        let mut params = vec![("status", "error"), ("error", failure.code.as_str())];
        if let Some(description) = failure.description.as_deref() {
            params.push(("error_description", description));
        }
        return land(landing, &params);
    }
    let denied = failure.code == "access_denied";
    let api: ApiError = failure.error.into();
    let text = if denied {
        "You did not allow access, so nothing was connected. You can close this page.".to_string()
    } else {
        api.message()
    };
    page::for_error(&api, "Not connected", &text)
}

/// A 303 to the landing URL with `params` added.
fn land(landing: &str, params: &[(&str, &str)]) -> Response<Body> {
    match url::Url::parse(landing) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            response::redirect(303, url.as_str())
        }
        Err(_) => page::message(500, "Not connected", "the landing URL is invalid"),
    }
}

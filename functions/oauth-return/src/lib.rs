//! oauth-return: step 2 of the authorization-code flow, where the provider sends the browser back.
//! Consumes the state once, checks `iss`, exchanges the code with the PKCE verifier, stores the
//! token record, and sends the browser to its landing URL (303) or shows a small page.

use std::sync::Arc;

use authbridge::clock;
use authbridge::http::request::query;
use authbridge::http::{ApiError, page, response};
use authbridge::oauth::OAuthContext;
use authbridge::oauth::flow::{self, Completed, ReturnParams};
use lambda_http::{Body, Request, Response};

/// The context oauth-return builds at cold start.
pub type Context = OAuthContext;

/// Handles one request.
pub async fn handle(context: Arc<Context>, req: Request) -> Response<Body> {
    if req.method() != lambda_http::http::Method::GET {
        return ApiError::method_not_allowed().into_response();
    }
    let mut q = query(&req);
    let params = ReturnParams {
        state: q.remove("state"),
        code: q.remove("code"),
        error: q.remove("error"),
        error_description: q.remove("error_description"),
        iss: q.remove("iss"),
    };
    match flow::complete(&context, params, clock::now()).await {
        Ok(Completed::Connected {
            tag,
            landing_url,
            owner_name,
        }) => match landing_url {
            Some(landing) => land(&landing, &[("status", "connected"), ("tag", &tag)]),
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
        Ok(Completed::Refused {
            error,
            description,
            landing_url,
        }) => match landing_url {
            Some(landing) => land(&landing, &[("status", "error"), ("error", &error)]),
            None => page::message(
                400,
                "Not connected",
                &format!(
                    "The provider said: {error}{}",
                    description.map(|d| format!(" — {d}")).unwrap_or_default()
                ),
            ),
        },
        Err(err) => {
            let api: ApiError = err.into();
            page::message(api.status, "Not connected", &api.message())
        }
    }
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

//! The authorization endpoint (RFC 6749 §4.1.1) and the consent form's answer (§4.1.2).
//!
//! Until the client and its exact redirect URI are known, errors are shown on a page and never
//! redirected (§4.1.2.1); after that they go back to the client with `error`, `state` and `iss`
//! (RFC 9207).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, LOCATION};
use http::{HeaderMap, StatusCode};
use url::Url;

use super::grants::AuthorizationRequest;
use super::params::{Params, RepeatedParameter, is_form};
use super::{DemoProvider, pages, pkce, scope};

/// A problem that must not be sent to the redirect URI: shown to the user instead.
#[derive(Debug, thiserror::Error)]
pub(super) enum ShownError {
    #[error(transparent)]
    Repeated(#[from] RepeatedParameter),
    #[error("the request has no client_id")]
    MissingClientId,
    #[error("the client {0:?} is not registered with the demo provider")]
    UnknownClient(String),
    #[error("the request has no redirect_uri")]
    MissingRedirectUri,
    #[error(
        "the redirect_uri {0:?} is not the one registered for this client; it must match exactly"
    )]
    UnregisteredRedirectUri(String),
    #[error(
        "the demo client's registered redirect_uri {0:?} is not an absolute URL without a fragment"
    )]
    BadRegisteredRedirectUri(String),
    #[error("the consent form must be posted as application/x-www-form-urlencoded")]
    NotAForm,
    #[error("the consent form's answer must be decision=approve or decision=deny")]
    NoDecision,
    #[error("this consent form was already answered or has expired")]
    UnknownConsent,
}

impl ShownError {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadRegisteredRedirectUri(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotAForm => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for ShownError {
    fn into_response(self) -> Response {
        tracing::info!(error = %self, "demo provider: authorization request refused");
        pages::error(self.status(), &self.to_string())
    }
}

/// An error response sent to the client's redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, thiserror::Error)]
#[error("{code}: {description}")]
struct RedirectedError {
    code: &'static str,
    description: &'static str,
}

impl RedirectedError {
    const fn new(code: &'static str, description: &'static str) -> Self {
        Self { code, description }
    }
}

/// `GET /demo/authorize`: validates the request and shows the consent page.
pub(super) async fn show(
    State(provider): State<Arc<DemoProvider>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ShownError> {
    let params = Params::parse(query.unwrap_or_default().as_bytes())?;
    let (redirect_uri, target) = provider.check_client(&params)?;
    let state = params.get("state");
    let prompt = params.get("prompt");
    let request = match checked_request(&provider, &params, redirect_uri) {
        Ok(request) => request,
        Err(e) => {
            let pairs = [("error", e.code), ("error_description", e.description)];
            return Ok(provider.redirect_back(target, &pairs, state));
        }
    };
    let nonce = provider.grants.await_consent(request.clone());
    Ok(pages::consent(&request, prompt, &nonce))
}

/// `POST /demo/authorize/decision`: the consent form's answer; redirects back with a code when
/// approved, with `access_denied` when denied.
pub(super) async fn decide(
    State(provider): State<Arc<DemoProvider>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ShownError> {
    if !is_form(&headers) {
        return Err(ShownError::NotAForm);
    }
    let params = Params::parse(&body)?;
    let approved = match params.get("decision") {
        Some("approve") => true,
        Some("deny") => false,
        _ => return Err(ShownError::NoDecision),
    };
    let request = params
        .get("request")
        .and_then(|nonce| provider.grants.take_consent(nonce))
        .ok_or(ShownError::UnknownConsent)?;
    let target = provider.registered_redirect()?;
    let state = request.state.as_deref();
    if approved {
        let code = provider.grants.issue_code(&request);
        tracing::info!(client_id = %request.client_id, scope = %request.scope, "demo provider: approved, code issued");
        Ok(provider.redirect_back(target, &[("code", &code)], state))
    } else {
        tracing::info!(client_id = %request.client_id, "demo provider: denied");
        let pairs = [
            ("error", "access_denied"),
            ("error_description", "The user denied the request"),
        ];
        Ok(provider.redirect_back(target, &pairs, state))
    }
}

/// The rest of the request, once the client and redirect URI are known to be right.
fn checked_request(
    provider: &DemoProvider,
    params: &Params,
    redirect_uri: &str,
) -> Result<AuthorizationRequest, RedirectedError> {
    match params.get("response_type") {
        Some("code") => {}
        None => {
            return Err(RedirectedError::new(
                "invalid_request",
                "response_type is required",
            ));
        }
        Some(_) => {
            return Err(RedirectedError::new(
                "unsupported_response_type",
                "the demo provider supports response_type=code only",
            ));
        }
    }
    let Some(code_challenge) = params.get("code_challenge") else {
        return Err(RedirectedError::new(
            "invalid_request",
            "code_challenge is required (PKCE, RFC 7636)",
        ));
    };
    if params.get("code_challenge_method") != Some(pkce::S256) {
        return Err(RedirectedError::new(
            "invalid_request",
            "code_challenge_method must be S256",
        ));
    }
    if !pkce::is_s256_challenge(code_challenge) {
        return Err(RedirectedError::new(
            "invalid_request",
            "code_challenge must be BASE64URL(SHA256(code_verifier)) without padding",
        ));
    }
    check_prompt(params.get("prompt"))?;
    let scope = scope::normalize(params.get("scope").unwrap_or_default())
        .map_err(|_| RedirectedError::new("invalid_scope", "the scope is malformed"))?;
    Ok(AuthorizationRequest {
        client_id: provider.client.client_id.clone(),
        redirect_uri: redirect_uri.to_string(),
        scope: if scope.is_empty() {
            scope::DEFAULT_SCOPE.to_string()
        } else {
            scope
        },
        state: params.get("state").map(str::to_string),
        code_challenge: code_challenge.to_string(),
    })
}

/// `prompt` (OpenID Connect Core §3.1.2.1): the demo always shows its page, so `none` cannot be
/// honoured; other values are accepted.
fn check_prompt(prompt: Option<&str>) -> Result<(), RedirectedError> {
    let Some(prompt) = prompt else { return Ok(()) };
    let values: Vec<&str> = prompt.split(' ').filter(|v| !v.is_empty()).collect();
    if !values.contains(&"none") {
        Ok(())
    } else if values.len() > 1 {
        Err(RedirectedError::new(
            "invalid_request",
            "prompt=none cannot be combined with other values",
        ))
    } else {
        Err(RedirectedError::new(
            "interaction_required",
            "the demo provider always asks the user",
        ))
    }
}

impl DemoProvider {
    /// The exact registered redirect URI, when the request names the registered client and it.
    fn check_client<'p>(&self, params: &'p Params) -> Result<(&'p str, Url), ShownError> {
        let client_id = params.get("client_id").ok_or(ShownError::MissingClientId)?;
        if client_id != self.client.client_id {
            return Err(ShownError::UnknownClient(client_id.to_string()));
        }
        let redirect_uri = params
            .get("redirect_uri")
            .ok_or(ShownError::MissingRedirectUri)?;
        if redirect_uri != self.client.redirect_uri {
            return Err(ShownError::UnregisteredRedirectUri(
                redirect_uri.to_string(),
            ));
        }
        Ok((redirect_uri, self.registered_redirect()?))
    }

    /// The registered redirect URI as a URL.
    fn registered_redirect(&self) -> Result<Url, ShownError> {
        match Url::parse(&self.client.redirect_uri) {
            Ok(url) if url.fragment().is_none() => Ok(url),
            _ => Err(ShownError::BadRegisteredRedirectUri(
                self.client.redirect_uri.clone(),
            )),
        }
    }

    /// A 303 to `target` with `pairs`, `state` (when the request had one) and `iss` added to its
    /// query; the registered query is kept (RFC 6749 §3.1.2).
    fn redirect_back(
        &self,
        mut target: Url,
        pairs: &[(&str, &str)],
        state: Option<&str>,
    ) -> Response {
        {
            let mut query = target.query_pairs_mut();
            query.extend_pairs(pairs);
            if let Some(state) = state {
                query.append_pair("state", state);
            }
            query.append_pair("iss", &self.issuer);
        }
        (
            StatusCode::SEE_OTHER,
            [(LOCATION, target.as_str()), (CACHE_CONTROL, "no-store")],
        )
            .into_response()
    }
}

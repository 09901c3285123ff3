//! The one place where errors become HTTP responses.
//!
//! Every error a handler can meet converts into [`ApiError`] (a status, a JSON body, maybe a
//! `Retry-After`), and [`ApiError::into_response`] renders it. Server-side failures are logged here
//! with their cause and answered with a generic body, so no internal detail (and no secret) reaches
//! a client.

use lambda_http::{Body, Response};
use serde_json::{Value, json};

use super::response;
use crate::secrets::SecretError;
use crate::store::StoreError;

/// An error ready to be answered.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<u64>,
    /// Why, for the access log, when the body does not say it (the cause of a 500); never sent.
    cause: Option<String>,
}

impl ApiError {
    /// Any status with a JSON body.
    pub fn new(status: u16, body: Value) -> Self {
        ApiError {
            status,
            body,
            retry_after: None,
            cause: None,
        }
    }

    /// 400 with an `error` code and a message naming what was wrong.
    pub fn bad_request(error: &str, message: impl Into<String>) -> Self {
        Self::new(400, json!({"error": error, "message": message.into()}))
    }

    /// 404 naming what was not found.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            404,
            json!({"error": "not_found", "message": format!("{what} not found")}),
        )
    }

    /// 405 for a method the route does not serve.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            json!({"error": "method_not_allowed", "message": "method not allowed"}),
        )
    }

    /// 500: the cause is logged here, the client sees only a generic body.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        let mut error = Self::new(
            500,
            json!({"error": "internal_error", "message": "internal error"}),
        );
        error.cause = Some(format!("internal_error: {cause}"));
        error
    }

    /// 503 with `Retry-After`.
    pub fn unavailable(error: &str, retry_after: u64) -> Self {
        Self::new(503, json!({"error": error})).with_retry_after(retry_after)
    }

    /// Adds `Retry-After`.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Why, in one line, for the access log: the cause of a 500, else what the body says.
    pub fn reason(&self) -> String {
        self.cause
            .clone()
            .unwrap_or_else(|| super::access_log::reason_from_body(&self.body))
    }

    /// The response, with its [`Reason`](super::access_log::Reason) for the access log.
    pub fn into_response(self) -> Response<Body> {
        let mut response = response::json(self.status, &self.body);
        response
            .extensions_mut()
            .insert(super::access_log::Reason(self.reason()));
        if let Some(seconds) = self.retry_after
            && let Ok(value) = http::HeaderValue::from_str(&seconds.to_string())
        {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::AlreadyExists(what) => Self::new(
                409,
                json!({"error": "conflict", "message": format!("{what} already exists")}),
            ),
            StoreError::StaleVersion => Self::new(
                409,
                json!({"error": "conflict", "message": "the record was changed concurrently; retry"}),
            ),
            StoreError::NotFound => Self::not_found("record"),
            unavailable @ StoreError::Unavailable { .. } => Self::store_unavailable(&unavailable),
            other @ StoreError::Backend { .. } => Self::internal(&other),
        }
    }
}

impl From<SecretError> for ApiError {
    fn from(err: SecretError) -> Self {
        match err {
            SecretError::Unavailable { .. } => Self::store_unavailable(&err),
            SecretError::Backend { .. } => Self::internal(&err),
        }
    }
}

impl ApiError {
    /// How long a caller should wait before trying again after a store outage.
    pub const STORE_RETRY_AFTER: u64 = 2;

    /// 503 for a store or secret store that is unreachable or throttling after the SDK's own
    /// retries: "try again", as opposed to a 500 for a bug. The cause is logged.
    pub fn store_unavailable(cause: &dyn std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "store unavailable");
        Self::new(
            503,
            json!({"error": "store_unavailable", "message": "the store is unavailable for now; retry shortly"}),
        )
        .with_retry_after(Self::STORE_RETRY_AFTER)
    }

    /// A store error on a path where only an outage is expected: 503 for an outage, else 500.
    pub fn from_store_failure(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable { .. } => Self::store_unavailable(&err),
            other => Self::internal(&other),
        }
    }
}

/// The response for a handler's result.
pub fn respond(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(ApiError::into_response)
}

impl From<crate::oauth::OAuthError> for ApiError {
    fn from(err: crate::oauth::OAuthError) -> Self {
        use crate::oauth::OAuthError as E;
        use crate::oauth::grant::GrantError as G;
        let message = err.to_string();
        match err {
            E::InvalidRequest(_) => Self::bad_request("invalid_request", message),
            E::Landing(_) => Self::bad_request("invalid_landing_url", message),
            E::UnknownClient(_) => {
                Self::new(404, json!({"error": "unknown_client", "message": message}))
            }
            E::ClientDisabled(_) => {
                Self::new(409, json!({"error": "client_disabled", "message": message}))
            }
            E::UnknownState | E::ExpiredState | E::LinkAlreadyUsed => {
                Self::bad_request("invalid_state", message)
            }
            E::OtherBrowser => Self::bad_request("browser_mismatch", message),
            E::ConnectionExists(_) => Self::new(
                409,
                json!({"error": "connection_exists", "message": message}),
            ),
            E::Refused { code, description } => Self::new(
                400,
                json!({"error": code, "message": message, "error_description": description}),
            ),
            E::IssuerMismatch => Self::bad_request("issuer_mismatch", message),
            E::Grant(G::Rejected { code, description }) => Self::new(
                502,
                json!({
                    "error": "provider_rejected",
                    "message": "the provider refused the token request",
                    "provider_error": code,
                    "provider_error_description": description,
                }),
            ),
            E::Grant(G::Unavailable(_)) => {
                tracing::warn!(error = %message, "provider unavailable");
                Self::unavailable("provider_unavailable", 30)
            }
            E::Grant(G::BadResponse(_)) => {
                tracing::warn!(error = %message, "bad provider response");
                Self::new(
                    502,
                    json!({"error": "provider_bad_response", "message": "the provider's answer was not a valid token response"}),
                )
            }
            E::Store(e) => e.into(),
            E::Secrets(e) => e.into(),
            E::Grant(G::Config(_)) | E::MissingSecret(_) | E::Provider(_) | E::Vault(_) => {
                Self::internal(&message)
            }
        }
    }
}

impl ApiError {
    /// The human-readable message of the body, for pages.
    pub fn message(&self) -> String {
        self.body
            .get("message")
            .or_else(|| self.body.get("error"))
            .and_then(Value::as_str)
            .unwrap_or("error")
            .to_string()
    }
}

impl From<crate::oauth::refresh::RefreshError> for ApiError {
    fn from(err: crate::oauth::refresh::RefreshError) -> Self {
        use crate::oauth::refresh::RefreshError as E;
        let message = err.to_string();
        match err {
            E::NotFound(_) => Self::new(404, json!({"error": "not_found", "message": message})),
            E::ReauthorizationRequired {
                tag,
                client_id,
                scopes,
            } => Self::new(
                409,
                json!({
                    "error": "reauthorization_required",
                    "message": message,
                    "tag": tag,
                    // How to make the new connection: a start by a caller with authority
                    // (an API token allowed `oauth-start`), whose link the user then opens.
                    "reauthorize": {
                        "method": "POST",
                        "path": "/oauth/start",
                        "body": {"client": client_id, "tag": tag, "scopes": scopes, "replace": true},
                    },
                }),
            ),
            E::Unavailable(_) => {
                tracing::warn!(error = %message, "no usable token");
                Self::new(
                    503,
                    json!({"error": "provider_unavailable", "message": message}),
                )
                .with_retry_after(30)
            }
            E::ClientRejected { client_id, code } => Self::new(
                502,
                json!({
                    "error": "client_rejected",
                    "message": message,
                    "client": client_id,
                    "provider_error": code,
                }),
            ),
            E::Busy => Self::new(
                503,
                json!({"error": "refresh_in_progress", "message": message}),
            )
            .with_retry_after(2),
            E::OAuth(e) => e.into(),
        }
    }
}

impl From<crate::oauth::mail::MailError> for ApiError {
    fn from(err: crate::oauth::mail::MailError) -> Self {
        use crate::oauth::mail::MailError as E;
        let message = err.to_string();
        match err {
            E::Refresh(e) => e.into(),
            E::NoTemplate { .. } => Self::new(
                404,
                json!({"error": "no_mail_settings", "message": message}),
            ),
            E::Owner { .. } => Self::new(
                409,
                json!({"error": "mail_user_unknown", "message": message}),
            ),
        }
    }
}

impl From<crate::login::LoginError> for ApiError {
    fn from(err: crate::login::LoginError) -> Self {
        use crate::login::LoginError as E;
        match err {
            E::InvalidRequest(invalid) => Self::new(
                400,
                json!({
                    "error": "invalid_request",
                    "field": invalid.field,
                    "message": invalid.to_string(),
                }),
            ),
            E::InvalidCredentials => Self::new(401, json!({"error": "invalid_credentials"})),
            E::InvalidToken => Self::new(401, json!({"error": "invalid_token"})),
            E::Throttled { retry_after } => {
                Self::new(429, json!({"error": "too_many_attempts"})).with_retry_after(retry_after)
            }
            E::Unavailable { retry_after } => {
                Self::unavailable("authentication_unavailable", retry_after)
            }
            E::Store(e) => Self::from_store_failure(e),
            E::Password(e) => Self::internal(&e),
        }
    }
}

impl From<crate::wp_sync::PayloadError> for ApiError {
    fn from(err: crate::wp_sync::PayloadError) -> Self {
        use crate::wp_sync::PayloadError as E;
        match err {
            E::Empty => Self::new(400, json!({"status": "error", "message": "Empty request"})),
            E::TooLarge => Self::new(
                413,
                json!({"status": "error", "message": "Request too large"}),
            ),
            E::Malformed(reason) => Self::new(
                400,
                json!({"status": "error", "message": "Malformed JSON", "errors": [reason]}),
            ),
            E::Invalid(problems) => Self::new(
                400,
                json!({
                    "status": "error",
                    "message": "Payload error",
                    "errors": problems
                        .into_iter()
                        .map(|(field, message)| json!({ field: message }))
                        .collect::<Vec<_>>(),
                }),
            ),
        }
    }
}

impl From<crate::wp_sync::SyncError> for ApiError {
    fn from(err: crate::wp_sync::SyncError) -> Self {
        use crate::wp_sync::SyncError as E;
        match err {
            E::EmailConflict(_) => Self::new(
                409,
                json!({"status": "error", "message": err.to_string(), "code": "email_conflict"}),
            ),
            E::LoginConflict(_) => Self::new(
                409,
                json!({"status": "error", "message": err.to_string(), "code": "login_conflict"}),
            ),
            E::Store(e) => e.into(),
        }
    }
}

//! Errors as HTTP answers: the generic part.
//!
//! Each service's error says its answer in [`super::answers`] by implementing [`ResponseError`]
//! (the model of zero-to-production's `ResponseError`): a status, a machine-readable code, a
//! message for people, and any `Retry-After` or extra body fields, built with [`ApiError`]'s
//! constructors. Any such error converts into an [`ApiError`] by the one [`From`] here, which logs
//! the cause of a server-side failure, and [`ApiError::into_response`] renders it as the one JSON
//! shape: `{"error": code, "message": text, ...fields}`.
//!
//! A 500 says only `internal error`: its cause goes to the log and the access line, never to a
//! client. No error's text carries a secret (each type's doc says so), so the cause may be logged.

use lambda_http::{Body, Response};
use serde_json::{Map, Value};

use super::response;

/// An error that knows its HTTP answer. Implemented for each service's error in
/// [`super::answers`] (`StoreError` in `answers::store`, `OAuthError` in `answers::oauth`, ...); a
/// wrapping error answers what the error it wraps answers.
pub trait ResponseError: std::error::Error {
    /// The answer a client gets: status, code, message, and any headers or fields.
    fn answer(&self) -> ApiError;
}

/// An error ready to be answered: a status, a code, a message, and what else the body or the
/// headers carry.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    /// The body's `error`: a short, stable, machine-readable code (`store_unavailable`). `None`
    /// only in the WordPress reference shape ([`ApiError::wordpress`]).
    code: Option<String>,
    /// The body's `message`, for people; some refusals carry only a code.
    message: Option<String>,
    /// More body fields (`tag`, `field`, `provider_error`, ...); boxed, so that a `Result` with
    /// an `ApiError` stays small when (as mostly) there are none.
    fields: Option<Box<Map<String, Value>>>,
    /// Seconds for `Retry-After`.
    pub retry_after: Option<u64>,
    /// Why, for the access log, when the body does not say it (the cause of a 500); never sent.
    cause: Option<String>,
}

impl ApiError {
    /// How long a caller should wait before trying again after a store outage.
    pub const STORE_RETRY_AFTER: u64 = 2;

    /// `status` with the code `code` and nothing else yet.
    pub fn new(status: u16, code: impl Into<String>) -> Self {
        ApiError {
            status,
            code: Some(code.into()),
            message: None,
            fields: None,
            retry_after: None,
            cause: None,
        }
    }

    /// The shape of the WordPress reference plugin's errors (sync-user):
    /// `{"status": "error", "message": message}`, with no `error` code unless one is added.
    pub fn wordpress(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: None,
            message: Some(message.into()),
            fields: Some(Box::new(Map::from_iter([(
                "status".to_string(),
                Value::from("error"),
            )]))),
            retry_after: None,
            cause: None,
        }
    }

    /// Sets the message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Sets the code (the body's `error`).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Adds a body field (`None` becomes `null`).
    pub fn with_field(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.fields
            .get_or_insert_default()
            .insert(name.to_string(), value.into());
        self
    }

    /// Adds `Retry-After`.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// 400 with a code and a message naming what was wrong.
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(400, code).with_message(message)
    }

    /// 404 naming what was not found.
    pub fn not_found(what: &str) -> Self {
        Self::new(404, "not_found").with_message(format!("{what} not found"))
    }

    /// 405 for a method the route does not serve.
    pub fn method_not_allowed() -> Self {
        Self::new(405, "method_not_allowed").with_message("method not allowed")
    }

    /// 500 with the generic body, which says nothing of the cause. The conversion from a
    /// [`ResponseError`] logs the cause; elsewhere use [`ApiError::internal`].
    pub fn internal_error() -> Self {
        Self::new(500, "internal_error").with_message("internal error")
    }

    /// 500: the cause is logged here, the client sees only the generic body.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::internal_error().with_cause(cause)
    }

    /// 503 with only a code, and `Retry-After`.
    pub fn unavailable(code: &str, retry_after: u64) -> Self {
        Self::new(503, code).with_retry_after(retry_after)
    }

    /// 503 for a store or secret store that is unreachable or throttling after the SDK's own
    /// retries: "try again", as opposed to a 500 for a bug.
    pub fn store_unavailable() -> Self {
        Self::new(503, "store_unavailable")
            .with_message("the store is unavailable for now; retry shortly")
            .with_retry_after(Self::STORE_RETRY_AFTER)
    }

    fn with_cause(mut self, cause: &dyn std::fmt::Display) -> Self {
        let code = self.code.as_deref().unwrap_or("error");
        self.cause = Some(format!("{code}: {cause}"));
        self
    }

    /// The code (the body's `error`), if the body has one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The human-readable message, for pages: the body's `message`, else its code.
    pub fn message(&self) -> String {
        self.message
            .as_deref()
            .or(self.code.as_deref())
            .unwrap_or("error")
            .to_string()
    }

    /// The JSON body: `{"error": code, "message": message, ...fields}` (each when there is one).
    pub fn body(&self) -> Value {
        let mut body = self.fields.as_deref().cloned().unwrap_or_default();
        if let Some(code) = &self.code {
            body.insert("error".to_string(), Value::from(code.as_str()));
        }
        if let Some(message) = &self.message {
            body.insert("message".to_string(), Value::from(message.as_str()));
        }
        Value::Object(body)
    }

    /// Why, in one line, for the access log: the cause of a 500, else what the body says.
    pub fn reason(&self) -> String {
        self.cause
            .clone()
            .unwrap_or_else(|| super::access_log::reason_from_body(&self.body()))
    }

    /// The response, with its [`Reason`](super::access_log::Reason) for the access log.
    pub fn into_response(self) -> Response<Body> {
        let mut response = response::json(self.status, &self.body());
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

/// The one conversion: an error's own answer, with the cause of a server-side failure logged
/// (a 500 at ERROR and in the access line, an outage or a provider's failure at WARN).
impl<E: ResponseError> From<E> for ApiError {
    fn from(err: E) -> Self {
        let answer = err.answer();
        match answer.status {
            500 => {
                tracing::error!(error = %err, "internal error");
                answer.with_cause(&err)
            }
            status if status > 500 => {
                tracing::warn!(status, code = answer.code(), error = %err, "failed for now");
                answer
            }
            _ => answer,
        }
    }
}

/// The response for a handler's result.
pub fn respond(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(ApiError::into_response)
}

#[cfg(test)]
mod tests;

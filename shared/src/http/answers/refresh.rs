//! No usable token for a tag: an unknown tag is a 404; a token the provider refused to refresh is
//! the one 409 `reauthorization_required`, which says how to make the new connection (the route
//! of [`START_FLOW`], with the connection's parameters); no usable token now is a 503 with `Retry-After`; a client the provider
//! refuses is a 502 naming the client.

use serde_json::json;

use super::grant::PROVIDER_RETRY_AFTER;
use crate::http::error::{ApiError, ResponseError};
use crate::http::routes::START_FLOW;
use crate::oauth::refresh::RefreshError;

/// Seconds a caller is asked to wait when another caller's refresh did not end in time.
const BUSY_RETRY_AFTER: u64 = 2;

impl ResponseError for RefreshError {
    fn answer(&self) -> ApiError {
        let message = self.to_string();
        match self {
            RefreshError::NotFound(_) => ApiError::new(404, "not_found").with_message(message),
            RefreshError::ReauthorizationRequired {
                tag,
                client_id,
                scopes,
                connection,
            } => {
                // How to make the new connection: a start by a caller with authority (an API
                // token allowed `oauth-start`), whose link the user then opens; with the
                // connection parameters the first start supplied (a Shopify shop), when any.
                let mut body =
                    json!({"client": client_id, "tag": tag, "scopes": scopes, "replace": true});
                if !connection.is_empty() {
                    body["connection"] = json!(connection);
                }
                ApiError::new(409, "reauthorization_required")
                    .with_message(message)
                    .with_field("tag", tag.as_str())
                    .with_field(
                        "reauthorize",
                        json!({
                            "method": START_FLOW.method,
                            "path": START_FLOW.path,
                            "body": body,
                        }),
                    )
            }
            RefreshError::Unavailable(_) => ApiError::new(503, "provider_unavailable")
                .with_message(message)
                .with_retry_after(PROVIDER_RETRY_AFTER),
            RefreshError::ClientRejected { client_id, code } => {
                ApiError::new(502, "client_rejected")
                    .with_message(message)
                    .with_field("client", client_id.as_str())
                    .with_field("provider_error", code.as_str())
            }
            RefreshError::Busy => ApiError::new(503, "refresh_in_progress")
                .with_message(message)
                .with_retry_after(BUSY_RETRY_AFTER),
            RefreshError::OAuth(e) => e.answer(),
        }
    }
}

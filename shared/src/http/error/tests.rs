//! The generic part: a 500's cause, the response's headers and extension, a page's message.

use serde_json::{Value, json};

use super::*;
use crate::http::access_log;
use crate::login::LoginError;
use crate::oauth::OAuthError;
use crate::store::StoreError;
use crate::wp_sync::PayloadError;

fn backend() -> StoreError {
    StoreError::backend("writing a user", std::io::Error::other("disk on fire"))
}

#[test]
fn a_500_keeps_its_cause_for_the_access_log_and_out_of_the_body() {
    let api = ApiError::from(backend());
    assert!(!api.body().to_string().contains("disk on fire"));
    assert_eq!(api.reason(), "internal_error: writing a user: disk on fire");
    let response = api.into_response();
    let Some(access_log::Reason(reason)) = response.extensions().get() else {
        panic!("a response without its reason");
    };
    assert!(reason.contains("disk on fire"), "{reason}");
}

#[test]
fn the_response_carries_status_body_retry_after_and_reason() {
    let response = ApiError::from(LoginError::Throttled { retry_after: 7 }).into_response();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(response.headers()["content-type"], "application/json");
    let Body::Text(text) = response.body() else {
        panic!("a text body");
    };
    assert_eq!(
        serde_json::from_str::<Value>(text).ok(),
        Some(json!({"error": "too_many_attempts"}))
    );
    assert_eq!(
        response.extensions().get(),
        Some(&access_log::Reason("too_many_attempts".into()))
    );
    assert!(
        ApiError::method_not_allowed()
            .into_response()
            .headers()
            .get("retry-after")
            .is_none()
    );
}

#[test]
fn the_message_for_a_page_is_the_message_else_the_code() {
    assert_eq!(
        ApiError::from(OAuthError::OtherBrowser).message(),
        OAuthError::OtherBrowser.to_string()
    );
    assert_eq!(
        ApiError::from(LoginError::InvalidToken).message(),
        "invalid_token"
    );
    assert_eq!(
        ApiError::from(PayloadError::Empty).message(),
        "Empty request"
    );
}

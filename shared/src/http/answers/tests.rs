//! Each service's answer: its status, its whole body, its headers.

use serde_json::{Value, json};

use crate::api_tokens::{ApiTokenRefusal, AuthorizationError};
use crate::domain::{ClientId, Tag};
use crate::http::error::{ApiError, ResponseError};
use crate::login::{InvalidField, LoginError};
use crate::oauth::OAuthError;
use crate::oauth::grant::GrantError;
use crate::oauth::mail::MailError;
use crate::oauth::refresh::RefreshError;
use crate::secrets::SecretError;
use crate::store::{StoreError, Unique};
use crate::wp_sync::{PayloadError, SyncError};

/// Status, body and `Retry-After` of an error's answer.
fn answer(err: impl ResponseError) -> (u16, Value, Option<u64>) {
    let api = ApiError::from(err);
    (api.status, api.body(), api.retry_after)
}

fn outage() -> StoreError {
    StoreError::Unavailable {
        context: "reading a token",
        reason: "throttled".into(),
    }
}

fn backend() -> StoreError {
    StoreError::backend("writing a user", std::io::Error::other("disk on fire"))
}

#[test]
fn store_errors_answer_conflict_not_found_outage_and_failure() {
    assert_eq!(
        answer(StoreError::AlreadyExists(Unique::Client)),
        (
            409,
            json!({"error": "conflict", "message": "client already exists"}),
            None
        )
    );
    assert_eq!(
        answer(StoreError::StaleVersion),
        (
            409,
            json!({"error": "conflict", "message": "the record was changed concurrently; retry"}),
            None
        )
    );
    assert_eq!(
        answer(StoreError::NotFound),
        (
            404,
            json!({"error": "not_found", "message": "record not found"}),
            None
        )
    );
    assert_eq!(
        answer(outage()),
        (
            503,
            json!({"error": "store_unavailable", "message": "the store is unavailable for now; retry shortly"}),
            Some(ApiError::STORE_RETRY_AFTER)
        )
    );
    assert_eq!(
        answer(backend()),
        (
            500,
            json!({"error": "internal_error", "message": "internal error"}),
            None
        )
    );
}

#[test]
fn a_secret_store_outage_answers_as_a_store_outage() {
    let outage = SecretError::Unavailable {
        context: "reading",
        name: "token-key".into(),
        message: "throttled".into(),
    };
    assert_eq!(answer(outage), answer(self::outage()));
    let failure = SecretError::backend("reading", "token-key", "denied");
    assert_eq!(answer(failure).0, 500);
}

#[test]
fn oauth_refusals_answer_their_code_and_message() {
    assert_eq!(
        answer(OAuthError::UnknownClient("c1".into())),
        (
            404,
            json!({"error": "unknown_client", "message": "unknown client \"c1\""}),
            None
        )
    );
    assert_eq!(
        answer(OAuthError::ConnectionExists(Tag::parse("t").unwrap())),
        (
            409,
            json!({"error": "connection_exists", "message": "a connection with tag \"t\" exists; ask again with replace: true to replace it"}),
            None
        )
    );
    assert_eq!(
        answer(OAuthError::Refused {
            code: "access_denied".into(),
            description: None,
        }),
        (
            400,
            json!({"error": "access_denied", "message": "the provider said: access_denied", "error_description": null}),
            None
        )
    );
    assert_eq!(
        answer(OAuthError::Store(outage())),
        answer(outage()),
        "a wrapped error answers what it wraps"
    );
    assert_eq!(
        answer(OAuthError::MissingSecret("c1".into())).1,
        json!({"error": "internal_error", "message": "internal error"})
    );
}

#[test]
fn connection_values_that_do_not_fit_answer_400_naming_the_parameter() {
    use crate::providers::ConnectionError;
    assert_eq!(
        answer(OAuthError::Connection(ConnectionError::Mismatch {
            name: "shop".into(),
            pattern: "[a-z0-9-]+".into(),
        })),
        (
            400,
            json!({"error": "invalid_connection", "parameter": "shop",
                "message": "connection value \"shop\" does not match \"[a-z0-9-]+\""}),
            None
        )
    );
    assert_eq!(
        answer(ConnectionError::MissingParameter {
            name: "subdomain".into(),
            description: "the account's subdomain".into(),
        })
        .1["parameter"],
        "subdomain"
    );
    assert_eq!(
        answer(ConnectionError::Unfilled {
            field: "options.urlAccessToken".into(),
            name: "shop".into(),
        })
        .0,
        500,
        "a URL the provider file cannot fill is no caller's fault"
    );
}

#[test]
fn grant_failures_answer_502_or_503() {
    let rejected = GrantError::Rejected {
        code: "invalid_scope".into(),
        description: Some("no such scope".into()),
    };
    assert_eq!(
        answer(OAuthError::Grant(rejected)),
        (
            502,
            json!({
                "error": "provider_rejected",
                "message": "the provider refused the token request",
                "provider_error": "invalid_scope",
                "provider_error_description": "no such scope",
            }),
            None
        )
    );
    assert_eq!(
        answer(GrantError::Unavailable("timed out".into())),
        (503, json!({"error": "provider_unavailable"}), Some(30))
    );
    assert_eq!(
        answer(GrantError::BadResponse("syntax error at .".into())),
        (
            502,
            json!({"error": "provider_bad_response", "message": "the provider's answer was not a valid token response"}),
            None
        )
    );
}

/// The one shape of the 409 (docs/openapi.json's `ReauthorizationRequired`), however the error
/// reaches the handler; its path is the route table's.
#[test]
fn reauthorization_has_one_body() {
    let required = || RefreshError::ReauthorizationRequired {
        tag: Tag::parse("crm").unwrap(),
        client_id: ClientId::stored("c1"),
        scopes: vec!["mail".into()],
        connection: Default::default(),
    };
    let want = json!({
        "error": "reauthorization_required",
        "message": "the token \"crm\" needs the user to authorize again",
        "tag": "crm",
        "reauthorize": {
            "method": "POST",
            "path": "/oauth/start",
            "body": {"client": "c1", "tag": "crm", "scopes": ["mail"], "replace": true},
        },
    });
    assert_eq!(answer(required()), (409, want.clone(), None));
    assert_eq!(answer(MailError::Refresh(required())), (409, want, None));

    // A connection with parameters (a Shopify shop): the start carries them.
    let shop = RefreshError::ReauthorizationRequired {
        tag: Tag::parse("crm").unwrap(),
        client_id: ClientId::stored("c1"),
        scopes: vec![],
        connection: [("shop".to_string(), "acme".to_string())].into(),
    };
    let (status, body, _) = answer(shop);
    assert_eq!(status, 409);
    assert_eq!(
        body["reauthorize"]["body"],
        json!({"client": "c1", "tag": "crm", "scopes": [], "replace": true, "connection": {"shop": "acme"}})
    );
}

#[test]
fn refresh_failures_say_when_to_retry() {
    assert_eq!(
        answer(RefreshError::Busy),
        (
            503,
            json!({"error": "refresh_in_progress", "message": "the token is being refreshed by another caller; try again"}),
            Some(2)
        )
    );
    assert_eq!(
        answer(RefreshError::Unavailable("temporarily_unavailable".into())),
        (
            503,
            json!({"error": "provider_unavailable", "message": "the provider is unavailable and the token has expired: temporarily_unavailable"}),
            Some(30)
        )
    );
    assert_eq!(
        answer(RefreshError::ClientRejected {
            client_id: ClientId::stored("c1"),
            code: "invalid_client".into(),
        }),
        (
            502,
            json!({
                "error": "client_rejected",
                "message": "the provider refused client c1 itself (invalid_client); check its secret and registration",
                "client": "c1",
                "provider_error": "invalid_client",
            }),
            None
        )
    );
    assert_eq!(
        answer(MailError::NoTemplate {
            tag: Tag::parse("crm").unwrap(),
            provider: "p".into(),
        }),
        (
            404,
            json!({"error": "no_mail_settings", "message": "the provider \"p\" of token \"crm\" has no mail settings"}),
            None
        )
    );
}

#[test]
fn login_refusals_are_bare_codes_and_name_a_bad_field() {
    assert_eq!(
        answer(LoginError::InvalidCredentials),
        (401, json!({"error": "invalid_credentials"}), None)
    );
    assert_eq!(
        answer(LoginError::Throttled { retry_after: 7 }),
        (429, json!({"error": "too_many_attempts"}), Some(7))
    );
    assert_eq!(
        answer(LoginError::Unavailable { retry_after: 30 }),
        (
            503,
            json!({"error": "authentication_unavailable"}),
            Some(30)
        )
    );
    assert_eq!(
        answer(LoginError::InvalidRequest(InvalidField {
            field: "password",
            reason: "is missing",
        })),
        (
            400,
            json!({"error": "invalid_request", "field": "password", "message": "password is missing"}),
            None
        )
    );
    assert_eq!(answer(LoginError::Store(outage())), answer(outage()));
    assert_eq!(
        answer(LoginError::Store(StoreError::AlreadyExists(Unique::User))).0,
        500,
        "on a login only an outage is expected of the store"
    );
}

#[test]
fn wordpress_errors_keep_the_reference_shape() {
    assert_eq!(
        answer(PayloadError::Empty),
        (
            400,
            json!({"status": "error", "message": "Empty request"}),
            None
        )
    );
    assert_eq!(
        answer(PayloadError::TooLarge),
        (
            413,
            json!({"status": "error", "message": "Request too large"}),
            None
        )
    );
    assert_eq!(
        answer(PayloadError::Invalid(vec![(
            "email".into(),
            "is not valid".into()
        )])),
        (
            400,
            json!({"status": "error", "message": "Payload error", "errors": [{"email": "is not valid"}]}),
            None
        )
    );
    assert_eq!(
        answer(SyncError::EmailConflict(
            crate::domain::Email::parse("ada@example.com").unwrap()
        )),
        (
            409,
            json!({
                "status": "error",
                "message": "User with following email already exists, cannot synchronize: ada@example.com",
                "code": "email_conflict",
            }),
            None
        )
    );
}

#[test]
fn api_token_refusals_say_why_in_the_references_words() {
    let refused = |refusal| answer(AuthorizationError::Refused(refusal));
    for (refusal, reason) in [
        (
            ApiTokenRefusal::Missing,
            "missing or malformed Authorization: Bearer header",
        ),
        (ApiTokenRefusal::Unknown, "unknown token"),
        (ApiTokenRefusal::Inactive, "inactive token"),
        (ApiTokenRefusal::Address, "address not allowed"),
        (ApiTokenRefusal::Endpoint, "no access to this endpoint"),
    ] {
        assert_eq!(
            refused(refusal),
            (
                403,
                json!({"status": "error", "message": format!("Not authorized: {reason}"), "error": "no_authorization"}),
                None
            )
        );
    }
    assert_eq!(
        answer(AuthorizationError::Store(outage())),
        answer(outage())
    );
}

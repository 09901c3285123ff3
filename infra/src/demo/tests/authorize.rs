//! The consent page and the redirects back to the client.

use http::StatusCode;
use http::header::{LOCATION, X_FRAME_OPTIONS};

use super::*;
use crate::demo::LOCAL_ONLY_NOTICE;

#[tokio::test]
async fn the_consent_page_asks_about_the_client_and_its_scopes() {
    let app = app();
    let page = get(&app, &authorize_uri(&[]), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.header(http::header::CONTENT_TYPE)
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(page.header(X_FRAME_OPTIONS), Some("DENY"));
    assert!(page.body.contains(LOCAL_ONLY_NOTICE));
    assert!(
        page.body
            .contains(&format!("<h1>Authorize {CLIENT_ID}?</h1>"))
    );
    assert!(
        page.body
            .contains("<li><code>profile</code></li><li><code>email</code></li>")
    );
    assert!(
        page.body
            .contains(r#"<form method="post" action="/demo/authorize/decision">"#)
    );
    assert!(page.body.contains(r#"value="approve">Approve</button>"#));
    assert!(page.body.contains(r#"value="deny">Deny</button>"#));
}

#[tokio::test]
async fn approving_redirects_back_with_a_code_the_state_and_the_issuer() {
    let app = app();
    let reply = answer(&app, &authorize_uri(&[]), "approve").await;
    let (target, params) = reply.redirect();
    assert_eq!(target, REDIRECT_URI);
    assert!(params["code"].len() >= 22, "at least 128 bits");
    assert_eq!(params["state"], "st-123");
    assert_eq!(params["iss"], ISSUER);
    assert_eq!(params.len(), 3);
}

#[tokio::test]
async fn denying_redirects_back_with_access_denied() {
    let app = app();
    let reply = answer(&app, &authorize_uri(&[]), "deny").await;
    assert_eq!(
        reply.header(LOCATION),
        Some(
            "http://127.0.0.1:3000/oauth/return?error=access_denied\
             &error_description=The+user+denied+the+request&state=st-123\
             &iss=http%3A%2F%2F127.0.0.1%3A3000%2Fdemo"
        )
    );
}

#[tokio::test]
async fn a_consent_form_can_be_answered_once() {
    let app = app();
    let nonce = consent_nonce(&get(&app, &authorize_uri(&[]), None).await);
    let form = [("request", nonce.as_str()), ("decision", "approve")];
    let first = post_form(&app, "/demo/authorize/decision", &form, None).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let again = post_form(&app, "/demo/authorize/decision", &form, None).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.header(LOCATION).is_none());
    assert!(again.body.contains("already answered or has expired"));
    let forged = [("request", "made-up"), ("decision", "approve")];
    let forged = post_form(&app, "/demo/authorize/decision", &forged, None).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_foreign_redirect_uri_shows_an_error_page_and_never_redirects() {
    let app = app();
    let evil = "https://evil.example/steal?x=<script>alert(1)</script>";
    let page = get(&app, &authorize_uri(&[("redirect_uri", evil)]), None).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.header(LOCATION).is_none());
    assert!(page.body.contains(LOCAL_ONLY_NOTICE));
    assert!(
        page.body
            .contains("is not the one registered for this client")
    );
    assert!(!page.body.contains("<script>"));
    assert!(page.body.contains("&lt;script&gt;"));

    // A prefix or a different port is just as foreign as another host.
    for near_miss in [
        "http://127.0.0.1:3000/oauth/return/more",
        "http://127.0.0.1:3001/oauth/return",
    ] {
        let page = get(&app, &authorize_uri(&[("redirect_uri", near_miss)]), None).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{near_miss}");
        assert!(page.header(LOCATION).is_none());
    }
}

#[tokio::test]
async fn an_unknown_or_missing_client_shows_an_error_page() {
    let app = app();
    for uri in [
        authorize_uri(&[("client_id", "someone-else")]),
        authorize_uri(&[("client_id", "")]),
        authorize_uri(&[("redirect_uri", "")]),
    ] {
        let page = get(&app, &uri, None).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(page.header(LOCATION).is_none());
    }
}

#[tokio::test]
async fn pkce_is_required_with_s256() {
    let app = app();
    for changes in [
        [("code_challenge", ""), ("code_challenge_method", "")],
        [
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "plain"),
        ],
        [("code_challenge", CHALLENGE), ("code_challenge_method", "")],
        [
            ("code_challenge", "too-short"),
            ("code_challenge_method", "S256"),
        ],
    ] {
        let (target, params) = get(&app, &authorize_uri(&changes), None).await.redirect();
        assert_eq!(target, REDIRECT_URI);
        assert_eq!(params["error"], "invalid_request", "{changes:?}");
        assert_eq!(params["state"], "st-123");
        assert_eq!(params["iss"], ISSUER);
        assert!(!params.contains_key("code"));
    }
}

#[tokio::test]
async fn other_response_types_and_prompt_none_are_refused_by_redirect() {
    let app = app();
    let reply = get(&app, &authorize_uri(&[("response_type", "token")]), None).await;
    assert_eq!(reply.redirect().1["error"], "unsupported_response_type");
    let reply = get(&app, &authorize_uri(&[("prompt", "none")]), None).await;
    assert_eq!(reply.redirect().1["error"], "interaction_required");
    let page = get(&app, &authorize_uri(&[("prompt", "consent")]), None).await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn without_a_scope_the_default_scopes_are_asked() {
    let app = app();
    let page = get(&app, &authorize_uri(&[("scope", "")]), None).await;
    assert!(
        page.body
            .contains("<li><code>profile</code></li><li><code>email</code></li>")
    );
}

#[tokio::test]
async fn reflected_values_are_html_escaped() {
    let app = app();
    let state = r#"<script>alert("state")</script>"#;
    let scope = "profile <script>alert(1)</script>";
    let page = get(
        &app,
        &authorize_uri(&[("state", state), ("scope", scope)]),
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(
        page.body
            .contains("&lt;script&gt;alert(\"state\")&lt;/script&gt;")
    );
    assert!(
        page.body
            .contains("<li><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></li>")
    );

    // The state still travels back unchanged.
    let nonce = consent_nonce(&page);
    let form = [("request", nonce.as_str()), ("decision", "deny")];
    let (_, params) = post_form(&app, "/demo/authorize/decision", &form, None)
        .await
        .redirect();
    assert_eq!(params["state"], state);
}

#[tokio::test]
async fn a_repeated_parameter_is_refused_on_a_page() {
    let app = app();
    let uri = format!("{}&state=again", authorize_uri(&[]));
    let page = get(&app, &uri, None).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.header(LOCATION).is_none());
    assert!(page.body.contains("state is sent more than once"));
}

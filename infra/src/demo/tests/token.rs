//! The token endpoint: code exchange, client authentication, refresh rotation.

use std::time::Duration;

use http::StatusCode;
use http::header::WWW_AUTHENTICATE;

use super::*;

#[tokio::test]
async fn the_code_with_the_right_verifier_and_basic_auth_gives_tokens() {
    let app = app();
    let code = new_code(&app).await;
    let reply = exchange(&app, &code, VERIFIER).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header(http::header::CACHE_CONTROL), Some("no-store"));
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "profile email");
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert!(
        access.len() >= 43 && refresh.len() >= 43,
        "at least 256 bits"
    );
    assert_ne!(access, refresh);
}

#[tokio::test]
async fn a_wrong_verifier_is_invalid_grant() {
    let app = app();
    let code = new_code(&app).await;
    let other = "x".repeat(43);
    let reply = exchange(&app, &code, &other).await;
    assert_eq!(error_code(&reply, StatusCode::BAD_REQUEST), "invalid_grant");
}

#[tokio::test]
async fn a_reused_code_is_invalid_grant_and_revokes_its_tokens() {
    let app = app();
    let code = new_code(&app).await;
    let first = exchange(&app, &code, VERIFIER).await.json();
    let again = exchange(&app, &code, VERIFIER).await;
    assert_eq!(error_code(&again, StatusCode::BAD_REQUEST), "invalid_grant");

    // RFC 6749 §4.1.2: the tokens issued for a replayed code are revoked.
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(
        get(&app, "/demo/userinfo", Some(access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let stale = refresh(&app, first["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(error_code(&stale, StatusCode::BAD_REQUEST), "invalid_grant");
}

#[tokio::test(start_paused = true)]
async fn a_code_expires_after_a_minute() {
    let app = app();
    let code = new_code(&app).await;
    tokio::time::advance(Duration::from_secs(61)).await;
    let reply = exchange(&app, &code, VERIFIER).await;
    assert_eq!(error_code(&reply, StatusCode::BAD_REQUEST), "invalid_grant");
}

#[tokio::test]
async fn the_code_is_bound_to_its_redirect_uri() {
    let app = app();
    let code = new_code(&app).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://127.0.0.1:3000/elsewhere"),
        ("code_verifier", VERIFIER),
    ];
    let reply = post_form(&app, "/demo/token", &form, Some(&basic(CLIENT_ID, SECRET))).await;
    assert_eq!(error_code(&reply, StatusCode::BAD_REQUEST), "invalid_grant");
}

#[tokio::test]
async fn a_wrong_or_missing_secret_is_401_invalid_client() {
    let app = app();
    let code = new_code(&app).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    let wrong = post_form(&app, "/demo/token", &form, Some(&basic(CLIENT_ID, "guess"))).await;
    assert_eq!(
        error_code(&wrong, StatusCode::UNAUTHORIZED),
        "invalid_client"
    );
    assert_eq!(
        wrong.header(WWW_AUTHENTICATE),
        Some(r#"Basic realm="demo""#)
    );

    let unencoded = format!("Basic {}", STANDARD.encode(format!("{CLIENT_ID}:{SECRET}")));
    let reply = post_form(&app, "/demo/token", &form, Some(&unencoded)).await;
    assert_eq!(
        error_code(&reply, StatusCode::UNAUTHORIZED),
        "invalid_client"
    );

    let missing = post_form(&app, "/demo/token", &form, None).await;
    assert_eq!(
        error_code(&missing, StatusCode::UNAUTHORIZED),
        "invalid_client"
    );
    assert!(missing.header(WWW_AUTHENTICATE).is_some());

    // A refused client did not spend the code.
    assert_eq!(exchange(&app, &code, VERIFIER).await.status, StatusCode::OK);
}

#[tokio::test]
async fn client_secret_post_works_but_not_together_with_basic() {
    let app = app();
    let code = new_code(&app).await;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
    ];
    let both = post_form(&app, "/demo/token", &form, Some(&basic(CLIENT_ID, SECRET))).await;
    assert_eq!(
        error_code(&both, StatusCode::BAD_REQUEST),
        "invalid_request"
    );

    let reply = post_form(&app, "/demo/token", &form, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["token_type"], "Bearer");

    form.retain(|(name, _)| *name != "client_secret");
    form.push(("client_secret", "wrong"));
    let wrong = post_form(&app, "/demo/token", &form, None).await;
    assert_eq!(
        error_code(&wrong, StatusCode::UNAUTHORIZED),
        "invalid_client"
    );
}

#[tokio::test]
async fn refresh_rotates_and_the_old_refresh_token_is_refused() {
    let app = app();
    let first = new_tokens(&app).await;
    let old = first["refresh_token"].as_str().unwrap();
    let reply = refresh(&app, old, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let second = reply.json();
    let new = second["refresh_token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(second["scope"], "profile email");
    let access = second["access_token"].as_str().unwrap();
    assert_eq!(
        get(&app, "/demo/userinfo", Some(access)).await.status,
        StatusCode::OK
    );

    let replay = refresh(&app, old, None).await;
    assert_eq!(
        error_code(&replay, StatusCode::BAD_REQUEST),
        "invalid_grant"
    );
    // The replay revoked the grant (RFC 9700 §4.14.2): the new tokens stop working too.
    let after = refresh(&app, new, None).await;
    assert_eq!(error_code(&after, StatusCode::BAD_REQUEST), "invalid_grant");
    assert_eq!(
        get(&app, "/demo/userinfo", Some(access)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scope_but_not_widen_it() {
    let app = app();
    let tokens = new_tokens(&app).await;
    let token = tokens["refresh_token"].as_str().unwrap();
    let wider = refresh(&app, token, Some("email admin")).await;
    assert_eq!(error_code(&wider, StatusCode::BAD_REQUEST), "invalid_scope");

    let narrower = refresh(&app, token, Some("email")).await;
    assert_eq!(
        narrower.status,
        StatusCode::OK,
        "the refused request left the token usable"
    );
    let narrower = narrower.json();
    assert_eq!(narrower["scope"], "email");
    let next = refresh(&app, narrower["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(
        next.json()["scope"],
        "profile email",
        "the refresh token keeps the grant's scope"
    );
}

#[tokio::test]
async fn other_grant_types_and_malformed_requests_are_refused() {
    let app = app();
    let auth = basic(CLIENT_ID, SECRET);
    let form = [("grant_type", "client_credentials")];
    let reply = post_form(&app, "/demo/token", &form, Some(&auth)).await;
    assert_eq!(
        error_code(&reply, StatusCode::BAD_REQUEST),
        "unsupported_grant_type"
    );

    let form = [("grant_type", "authorization_code"), ("code", "abc")];
    let reply = post_form(&app, "/demo/token", &form, Some(&auth)).await;
    assert_eq!(
        error_code(&reply, StatusCode::BAD_REQUEST),
        "invalid_request"
    );

    let form = [
        ("grant_type", "authorization_code"),
        ("grant_type", "refresh_token"),
    ];
    let reply = post_form(&app, "/demo/token", &form, Some(&auth)).await;
    assert_eq!(
        error_code(&reply, StatusCode::BAD_REQUEST),
        "invalid_request"
    );

    let unknown = refresh(&app, "not-a-token", None).await;
    assert_eq!(
        error_code(&unknown, StatusCode::BAD_REQUEST),
        "invalid_grant"
    );
}

//! The userinfo endpoint and the discovery document.

use std::time::Duration;

use http::StatusCode;
use http::header::WWW_AUTHENTICATE;

use super::*;

#[tokio::test]
async fn userinfo_answers_the_demo_user_for_a_live_token_only() {
    let app = app();
    let tokens = new_tokens(&app).await;
    let access = tokens["access_token"].as_str().unwrap();
    let reply = get(&app, "/demo/userinfo", Some(access)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        serde_json::json!({"sub": "demo-user", "name": "Demo User", "email": "demo.user@example.test"})
    );

    let without = get(&app, "/demo/userinfo", None).await;
    assert_eq!(without.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        without.header(WWW_AUTHENTICATE),
        Some(r#"Bearer realm="demo""#)
    );

    let unknown = get(&app, "/demo/userinfo", Some("made-up")).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(
        unknown
            .header(WWW_AUTHENTICATE)
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );

    // The refresh token is not an access token.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        get(&app, "/demo/userinfo", Some(refresh)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(start_paused = true)]
async fn an_access_token_expires_after_an_hour() {
    let app = app();
    let tokens = new_tokens(&app).await;
    let access = tokens["access_token"].as_str().unwrap();
    tokio::time::advance(Duration::from_secs(3599)).await;
    assert_eq!(
        get(&app, "/demo/userinfo", Some(access)).await.status,
        StatusCode::OK
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(
        get(&app, "/demo/userinfo", Some(access)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn discovery_names_the_issuer_and_its_endpoints() {
    let app = app();
    let reply = get(&app, "/demo/.well-known/openid-configuration", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json();
    assert_eq!(doc["issuer"], ISSUER);
    assert_eq!(doc["authorization_endpoint"], format!("{ISSUER}/authorize"));
    assert_eq!(doc["token_endpoint"], format!("{ISSUER}/token"));
    assert_eq!(doc["userinfo_endpoint"], format!("{ISSUER}/userinfo"));
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
}

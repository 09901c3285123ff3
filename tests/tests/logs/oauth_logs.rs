//! What the authorization-code flow leaves in the logs, against the real authorization server: no
//! authorization code, state, link id, binding cookie, token or client secret on any line, from the
//! start to a connected return and a refused one; every refusal's access line says why.

use authbridge::oauth::records::field;
use authbridge_tests::logs::Captured;
use authbridge_tests::oidc::{self, CODE_CLIENT_BASIC};
use authbridge_tests::sqlite_backend;
use authbridge_tests::stack::{self, Browser, LANDING, StackOptions};
use authbridge_tests::tokens::tag_of;
use serde_json::{Value, json};

fn query(url: &url::Url, key: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_code_state_link_cookie_token_or_secret_reaches_a_log_line() {
    let turn = Captured::turn().await;
    let captured = &turn.captured;
    let Some(s) = stack::start_on_test_server(sqlite_backend(), StackOptions::default()).await
    else {
        return;
    };
    let client = s.register_code_client(CODE_CLIENT_BASIC.secret).await;
    let wrong = s.register_code_client("Wrong-Secret-4c1f9").await;

    let mut secrets = vec![
        CODE_CLIENT_BASIC.secret.to_string(),
        "Wrong-Secret-4c1f9".to_string(),
    ];
    for (client, tag) in [(&client, "logged"), (&wrong, "refused")] {
        let browser = Browser::default();
        let link = s
            .start_link(client.id.as_str(), tag, json!({"landing_url": LANDING}))
            .await;
        let opened = browser.get(&link).await;
        let cookie = opened.headers()["set-cookie"].to_str().unwrap().to_string();
        let authorize = stack::location(&opened);
        let back = oidc::authorize(authorize.as_str(), "lena", true)
            .await
            .unwrap();
        let done = browser.get(back.clone()).await;
        assert_eq!(done.status(), 303);
        secrets.push(link.rsplit('/').next().unwrap().to_string());
        secrets.push(query(&authorize, "state"));
        secrets.push(query(&back, "code"));
        let value = cookie.split(';').next().unwrap().split('=').nth(1).unwrap();
        secrets.push(value.to_string());
    }
    let record = s
        .stack
        .app
        .stores
        .tokens
        .get_token(&tag_of("logged"))
        .await
        .unwrap()
        .expect("connected");
    for which in [field::ACCESS_TOKEN, field::REFRESH_TOKEN] {
        secrets.push(authbridge_tests::tokens::open(&s, &record, which).await);
    }

    let logs = captured.take();
    assert!(logs.contains("authorization code flow connected"), "{logs}");
    for secret in &secrets {
        assert!(secret.len() >= 16, "a real value: {secret:?}");
        assert!(
            !logs.contains(secret.as_str()),
            "secret #{} of {} is in the logs",
            secrets.iter().position(|s| s == secret).unwrap_or(0),
            secrets.len()
        );
    }
    let access: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["route"].is_string() && line["status"].is_u64())
        .collect();
    let routes: Vec<&str> = access.iter().filter_map(|l| l["route"].as_str()).collect();
    for route in [
        "POST /oauth/start",
        "GET /oauth/go/{link}",
        "GET /oauth/return",
    ] {
        assert!(routes.contains(&route), "{route} in {routes:?}");
    }
    assert!(
        logs.contains(r#""code":"invalid_client""#),
        "the refused exchange is logged with its reason: {logs}"
    );
}

/// Deleting a connection says in the log what became of its grant: kept, naming the connection that
/// holds the same account, or revoked when it was the last; never a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_grant_is_logged_as_kept_with_its_holder_or_revoked() {
    use authbridge::oauth::connections::delete_connection;
    let turn = Captured::turn().await;
    let captured = &turn.captured;
    let Some(s) = stack::start_on_test_server(sqlite_backend(), StackOptions::default()).await
    else {
        return;
    };
    let client = s.register_code_client(CODE_CLIENT_BASIC.secret).await;
    // One person signed in once at the server: one grant for both tags.
    let session = oidc::ProviderSession::new().unwrap();
    for tag in ["held:a", "held:b"] {
        let browser = Browser::default();
        let link = s.start_link(client.id.as_str(), tag, json!({})).await;
        let authorize = browser.open(&link).await;
        let back = oidc::authorize_in(&session, authorize.as_str(), "maya", true)
            .await
            .unwrap();
        assert_eq!(browser.get(back).await.status(), 200);
    }
    let b = s
        .stack
        .app
        .stores
        .tokens
        .get_token(&tag_of("held:b"))
        .await
        .unwrap()
        .unwrap();
    let refresh = authbridge_tests::tokens::open(&s, &b, field::REFRESH_TOKEN).await;
    captured.take();

    delete_connection(&s.stack.oauth, &tag_of("held:a"))
        .await
        .unwrap();
    let kept: Vec<Value> = captured
        .take()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["message"] == "connection deleted")
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["grant"], "kept");
    assert_eq!(kept[0]["held_by"], "held:b");

    delete_connection(&s.stack.oauth, &tag_of("held:b"))
        .await
        .unwrap();
    let logs = captured.take();
    assert!(!logs.contains(&refresh), "no token in the logs");
    let revoked: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["message"] == "connection deleted")
        .collect();
    assert_eq!(revoked.len(), 1, "{logs}");
    assert_eq!(revoked[0]["grant"], "revoked");
}

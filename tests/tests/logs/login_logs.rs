//! What login leaves in the logs: no password or token on any path (success, wrong password,
//! WordPress trouble, a malformed request), WordPress trouble told apart from wrong credentials,
//! and every line in the functions' format: a timestamp and a level, the request id and route on
//! every line of a request, one access line per request with status and duration, and a reason
//! on every refusal.

use authbridge::login::LoginSettings;
use authbridge_tests::login::{self, login, save_user, stored_user, user};
use authbridge_tests::logs::Captured;
use authbridge_tests::sqlite_backend;
use authbridge_tests::wordpress::{Account, Mode, WordpressStandIn};
use serde_json::json;

const WP_PASSWORD: &str = "Wp-Pa55word-7d1e";
const LOCAL_PASSWORD: &str = "Local-Pa55word-93b2";
const WRONG_PASSWORD: &str = "Wrong-Pa55word-5c40";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_password_reaches_a_log_line_and_wordpress_trouble_stands_out() {
    let turn = Captured::turn().await;
    let captured = &turn.captured;

    let site = WordpressStandIn::start(vec![Account::new(
        123,
        "admin.admin",
        "admin@example.com",
        WP_PASSWORD,
    )])
    .await;
    let stack = login::start(sqlite_backend(), Some(&site), LoginSettings::default()).await;
    let hash = authbridge::passwords::hash_password(&LOCAL_PASSWORD.to_string().into()).unwrap();
    save_user(&stack, user("local@example.org", Some(&hash.0)), None).await;
    captured.take();

    let attempts = [
        json!({"email": "local@example.org", "password": LOCAL_PASSWORD}),
        json!({"email": "admin@example.com", "password": WP_PASSWORD}),
        json!({"username": "admin.admin", "password": WRONG_PASSWORD}),
        json!({"email": "nobody@example.org", "password": WRONG_PASSWORD}),
        json!({"email": "bad address", "password": LOCAL_PASSWORD}),
    ];
    let mut tokens = Vec::new();
    for body in &attempts {
        let answer = login(&stack, body.clone()).await;
        if answer.status == 200 {
            tokens.push(answer.token());
        }
    }
    assert_eq!(tokens.len(), 2, "the local and the WordPress user log in");
    let refused = captured.take();
    let statuses = access_lines(&refused)
        .iter()
        .map(|line| line["status"].as_u64().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(statuses, [200, 200, 401, 401, 400], "{refused}");
    for line in access_lines(&refused) {
        if line["status"].as_u64() >= Some(400) {
            assert!(
                line["reason"].as_str().is_some_and(|r| !r.is_empty()),
                "{line}"
            );
        }
    }
    assert!(
        refused.contains(r#""reason":"invalid_credentials""#),
        "{refused}"
    );
    assert!(refused.contains("(field email)"), "{refused}");
    assert!(
        refused.contains("WordPress refused the credentials"),
        "{refused}"
    );
    assert!(
        refused.contains("login refused: invalid credentials"),
        "{refused}"
    );
    assert!(!refused.contains("wordpress_trouble"), "{refused}");

    site.set_mode(Mode::ServerError);
    let answer = login(
        &stack,
        json!({"email": "admin2@example.com", "password": WRONG_PASSWORD}),
    )
    .await;
    assert_eq!(answer.status, 503);
    let trouble = captured.take();
    let access = access_lines(&trouble);
    assert_eq!(access.len(), 1, "{trouble}");
    assert_eq!(access[0]["level"], "ERROR");
    assert_eq!(
        access[0]["reason"], "authentication_unavailable",
        "{trouble}"
    );
    assert!(trouble.contains("\"wordpress_trouble\":true"), "{trouble}");
    assert!(trouble.contains("HTTP 500"), "{trouble}");
    assert!(
        !trouble.contains("login refused: invalid credentials"),
        "{trouble}"
    );

    // A WordPress account with the address of a local user who has a password of its own: refused,
    // and a WARN line names both, in plain values (no Rust debug text).
    site.set_mode(Mode::Normal);
    site.put_account(Account::new(124, "taken", "local@example.org", WP_PASSWORD));
    let local = stored_user(&stack, "local@example.org").await.unwrap();
    let answer = login(
        &stack,
        json!({"username": "taken", "password": WP_PASSWORD}),
    )
    .await;
    assert_eq!(answer.status, 401, "{answer:?}");
    let conflict = captured.take();
    let line = conflict
        .lines()
        .find(|l| l.contains("\"conflict\":true"))
        .unwrap_or_else(|| panic!("no conflict line: {conflict}"));
    assert!(line.contains("\"level\":\"WARN\""), "{line}");
    assert!(line.contains(&local.id.to_string()), "{line}");
    assert!(line.contains("\"wordpress_id\":124"), "{line}");
    assert!(!line.contains("Some("), "{line}");

    for (logs, what) in [
        (&refused, "refusals"),
        (&trouble, "trouble"),
        (&conflict, "conflict"),
    ] {
        for password in [WP_PASSWORD, LOCAL_PASSWORD, WRONG_PASSWORD] {
            assert!(!logs.contains(password), "a password in the {what} logs");
        }
        for token in &tokens {
            assert!(
                !logs.contains(token.as_str()),
                "a session token in the {what} logs"
            );
        }
    }
}

/// Every line is one JSON object with a timestamp and a level; every line logged while a request
/// was served names its request and route. Returns the access lines (one per request), each with
/// the request id, the route, the status and the duration.
fn access_lines(logs: &str) -> Vec<serde_json::Value> {
    let mut access = Vec::new();
    for line in logs.lines() {
        let line: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let timestamp = line["timestamp"].as_str().unwrap_or_default();
        assert!(
            time::OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "an RFC 3339 timestamp: {line}"
        );
        assert!(line["level"].is_string(), "{line}");
        if let Some(spans) = line.get("spans").and_then(|s| s.as_array()) {
            let request = &spans[0];
            assert_eq!(request["name"], "request", "{line}");
            assert!(
                request["request_id"]
                    .as_str()
                    .is_some_and(|id| !id.is_empty()),
                "{line}"
            );
            assert_eq!(request["route"], "POST /auth/login", "{line}");
        }
        let message = line["message"].as_str().unwrap_or_default();
        if matches!(message, "request" | "request refused" | "request failed") {
            assert_eq!(line["route"], "POST /auth/login", "{line}");
            assert!(
                line["request_id"].as_str().is_some_and(|id| !id.is_empty()),
                "{line}"
            );
            assert!(line["status"].is_u64(), "{line}");
            assert!(line["duration_ms"].is_u64(), "{line}");
            access.push(line);
        }
    }
    access
}

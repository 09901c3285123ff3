//! The plugin's credential check (`POST {site}/api/v1/remp/auth`) on the real WordPress of the
//! test command: every answer of the REMP protocol (those of REMP's `dn-remp-wp-auth` plugin, as
//! the book's "Migrating from WordPress" lists them, `docs/book/src/wordpress-migration.md`), byte
//! for byte where the reference fixes the body.
//!
//! Decided where the reference is silent: a scheme other than `Bearer` (any case) is a 400 like a
//! header that is not two words; no `login` and no `email` is a 400; `token` (REMP's cookie
//! token) is not supported and ignored.

use authbridge_tests::stack::http;
use authbridge_tests::wordpress_site::{WordPress, wordpress};
use serde_json::{Value, json};

/// A password WordPress stores with slashes added on the way in: quotes, a backslash, non-ASCII.
const PASSWORD: &str = r#"pa"ss'wo\rd ü 1"#;

struct Answer {
    status: u16,
    content_type: Option<String>,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        assert_eq!(
            self.content_type.as_deref(),
            Some("application/json; charset=utf-8"),
            "{}",
            self.text
        );
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    fn assert(&self, status: u16, body: Value) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.json(), body);
    }

    /// A 400 whose body is `{"message": <some text>}`.
    fn assert_bad_request(&self) {
        assert_eq!(self.status, 400, "{}", self.text);
        let body = self.json();
        let message = body["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{body}");
        assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    }

    fn assert_no_such_user(&self) {
        assert_eq!(self.status, 404, "{}", self.text);
        assert_eq!(self.text, "", "404 has an empty body");
    }
}

async fn check(wp: &WordPress, authorization: Option<&str>, fields: &[(&str, &str)]) -> Answer {
    let mut request = http().post(wp.credential_check_url()).form(fields);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.expect("POST /api/v1/remp/auth");
    Answer {
        status: response.status().as_u16(),
        content_type: response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        text: response.text().await.expect("the answer's body"),
    }
}

fn bearer(wp: &WordPress) -> String {
    format!("Bearer {}", wp.auth_token)
}

/// A fresh subscriber: (ID, login, e-mail).
async fn subscriber(wp: &WordPress) -> (u64, String, String) {
    let login = WordPress::unique_login("check");
    let email = format!("{login}@example.org");
    let id = wp
        .create_user(&login, &email, PASSWORD, "Ada", "Lovelace")
        .await;
    (id, login, email)
}

const REFUSED_TOKEN: &str = "Invalid authorization token provided";
const REFUSED_PASSWORD: &str = "Unable to authenticate user";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_login_answers_the_user_with_a_string_id_an_integer_id_and_roles() {
    let Some(wp) = wordpress() else { return };
    let (id, login, email) = subscriber(&wp).await;

    let answer = check(
        &wp,
        Some(&bearer(&wp)),
        &[("login", &login), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    let registered = body["data"]["user_registered"].as_str().unwrap_or_default();
    assert_eq!(registered.len(), 19, "Y-m-d H:i:s: {registered}");
    assert_eq!(
        body,
        json!({
            "data": {
                "ID": id.to_string(),
                "user_login": login,
                "user_email": email,
                "user_nicename": login,
                "user_url": "",
                "user_registered": registered,
                "display_name": "Ada Lovelace",
                "first_name": "Ada",
                "last_name": "Lovelace",
            },
            "ID": id,
            "roles": ["subscriber"],
        })
    );
    assert!(body["data"]["ID"].is_string() && body["ID"].is_u64());
    assert!(!answer.text.contains("$P$"), "never the password hash");

    // By e-mail address: the same user.
    let by_email = check(
        &wp,
        Some(&bearer(&wp)),
        &[("email", &email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(by_email.status, 200, "{}", by_email.text);
    assert_eq!(by_email.json(), body);

    // The scheme's case does not matter, and the token field is ignored.
    let lower = check(
        &wp,
        Some(&format!("bearer {}", wp.auth_token)),
        &[("token", "x"), ("login", &login), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(lower.status, 200, "{}", lower.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_malformed_header_is_400_and_a_wrong_token_401() {
    let Some(wp) = wordpress() else { return };
    let (_, login, _) = subscriber(&wp).await;
    let good = [("login", login.as_str()), ("password", PASSWORD)];

    check(&wp, None, &good).await.assert_bad_request();
    for header in [
        "Bearer".to_string(),
        format!("Bearer {} extra", wp.auth_token),
        wp.auth_token.clone(),
        // The right token under another scheme: the word Bearer is checked.
        format!("Basic {}", wp.auth_token),
        format!("Token {}", wp.auth_token),
    ] {
        let answer = check(&wp, Some(&header), &good).await;
        answer.assert_bad_request();
    }

    for token in [
        "wrong".to_string(),
        format!("{}x", wp.auth_token),
        wp.auth_token[..wp.auth_token.len() - 1].to_string(),
    ] {
        check(&wp, Some(&format!("Bearer {token}")), &good)
            .await
            .assert(401, json!({ "message": REFUSED_TOKEN }));
    }

    // The token is checked before the user is looked up.
    check(
        &wp,
        Some("Bearer wrong"),
        &[("login", "nobody-at-all"), ("password", "x")],
    )
    .await
    .assert(401, json!({ "message": REFUSED_TOKEN }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_user_is_404_with_an_empty_body_and_a_wrong_password_401() {
    let Some(wp) = wordpress() else { return };
    let (_, login, email) = subscriber(&wp).await;
    let auth = bearer(&wp);
    let unknown = WordPress::unique_login("nobody");

    check(
        &wp,
        Some(&auth),
        &[("login", &unknown), ("password", PASSWORD)],
    )
    .await
    .assert_no_such_user();
    check(
        &wp,
        Some(&auth),
        &[
            ("email", &format!("{unknown}@example.org")),
            ("password", PASSWORD),
        ],
    )
    .await
    .assert_no_such_user();
    // `login` is a user_login only: an e-mail address sent as the login is no user.
    check(
        &wp,
        Some(&auth),
        &[("login", &email), ("password", PASSWORD)],
    )
    .await
    .assert_no_such_user();

    for password in ["wrong", "", &PASSWORD.replace('\\', "")] {
        for field in [("login", login.as_str()), ("email", email.as_str())] {
            check(&wp, Some(&auth), &[field, ("password", password)])
                .await
                .assert(401, json!({ "message": REFUSED_PASSWORD }));
        }
    }
    check(&wp, Some(&auth), &[("login", &login)])
        .await
        .assert(401, json!({ "message": REFUSED_PASSWORD }));

    // Neither login nor e-mail.
    check(&wp, Some(&auth), &[("password", PASSWORD)])
        .await
        .assert_bad_request();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_post_is_answered() {
    let Some(wp) = wordpress() else { return };
    let response = http()
        .get(wp.credential_check_url())
        .header("authorization", bearer(&wp))
        .send()
        .await
        .expect("GET /api/v1/remp/auth");
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(
        response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("POST")
    );
}

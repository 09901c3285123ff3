//! The reference's sync-user request: the seed's example payload, and posting it with the test
//! API token.

use serde_json::{Value, json};

use crate::stack::{self, TEST_API_TOKEN, TestStack};

/// The seed's example payload; WordPress ID 145 is `admin`, any other `admin<ID>` (WordPress
/// logins are unique, and so are the links' logins).
pub fn payload(wordpress_id: u64, email: &str) -> Value {
    let login = match wordpress_id {
        145 => "admin".to_string(),
        other => format!("admin{other}"),
    };
    json!({
        "wordpress_id": wordpress_id,
        "email": email,
        "registered_at": "2020-03-13T14:02:44+00:00",
        "user_login": login,
        "user_nicename": "admin",
        "user_url": "http://www.example.com",
        "display_name": "Example Admin",
        "first_name": "Example",
        "last_name": "vcvc"
    })
}

/// `POST /api/v1/wordpress/sync-user` of [`payload`] with the test API token: its status.
pub async fn post(s: &TestStack, wordpress_id: u64, email: &str) -> u16 {
    stack::http()
        .post(s.url("/api/v1/wordpress/sync-user"))
        .bearer_auth(TEST_API_TOKEN)
        .json(&payload(wordpress_id, email))
        .send()
        .await
        .expect("sync-user answers")
        .status()
        .as_u16()
}

//! sync-user over HTTP, on the embedded store and on DynamoDB: the reference's five cases, its
//! error bodies, idempotence, 20 concurrent posts of one new user (all 200, one body), control
//! characters refused naming the field, and a WordPress login that another account's link holds.

use authbridge::login::{LoginSettings, MigrationOptions};
use authbridge_tests::Backend;
use authbridge_tests::login::email_of;
use authbridge_tests::on_both_backends;
use authbridge_tests::stack::{self, StackOptions, TEST_API_TOKEN, TestStack};
use authbridge_tests::sync_user::payload;
use serde_json::{Value, json};

async fn post(s: &TestStack, body: &Value) -> (u16, Value) {
    post_raw(s, body.to_string()).await
}

async fn post_raw(s: &TestStack, body: String) -> (u16, Value) {
    let response = stack::http()
        .post(s.url("/api/v1/wordpress/sync-user"))
        .bearer_auth(TEST_API_TOKEN)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("sync-user answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn start(backend: Backend, ext_id_referencing: bool) -> TestStack {
    let login = LoginSettings {
        migration: MigrationOptions {
            ext_id_referencing,
            ..MigrationOptions::default()
        },
        ..LoginSettings::default()
    };
    stack::start_with_login(backend, StackOptions::default(), login).await
}

async fn the_five_cases_of_the_reference(b: Backend) {
    let s = start(b, true).await;
    let users = s.stack.app.stores.users.clone();

    // W absent, U absent: a new user, its link, ext_id (extIdReferencing on), no usable password.
    let (status, body) = post(&s, &payload(145, "admin@example.fu")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["wordpress_id"], 145);
    assert_eq!(body["email"], "admin@example.fu");
    assert_eq!(body["login"], "admin");
    assert_eq!(body["registered_at"], "2020-03-13T14:02:44Z");
    assert_eq!(body["last_name"], "vcvc");
    let user = users
        .find_user_by_email(&email_of("admin@example.fu"))
        .await
        .unwrap()
        .expect("created");
    assert_eq!(body["user_id"], user.id.as_str());
    assert_eq!(user.ext_id.as_deref(), Some("145"));
    assert!(
        user.password_hash.is_none(),
        "no usable password until a WordPress login"
    );
    assert_eq!(user.first_name.as_deref(), Some("Example"));

    // The same payload again: same result, no duplicate.
    let (status, again) = post(&s, &payload(145, "admin@example.fu")).await;
    assert_eq!((status, &again), (200, &body));

    // W exists, U is W's user: the link is updated.
    let mut renamed = payload(145, "admin@example.fu");
    renamed["display_name"] = json!("Renamed Admin");
    let (status, body) = post(&s, &renamed).await;
    assert_eq!(
        (status, body["display_name"].as_str()),
        (200, Some("Renamed Admin"))
    );

    // W exists, U absent: the linked user's e-mail changes.
    let (status, body) = post(&s, &payload(145, "new@example.fu")).await;
    assert_eq!(status, 200, "{body}");
    let moved = users.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(moved.email, "new@example.fu");
    assert!(
        users
            .find_user_by_email(&email_of("admin@example.fu"))
            .await
            .unwrap()
            .is_none()
    );

    // W absent, U exists: 409.
    let (status, body) = post(&s, &payload(146, "new@example.fu")).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "email_conflict");
    assert_eq!(
        body["message"],
        "User with following email already exists, cannot synchronize: new@example.fu"
    );

    // W exists, U is another user: 409.
    let (status, _) = post(&s, &payload(147, "other@example.fu")).await;
    assert_eq!(status, 200);
    let (status, body) = post(&s, &payload(145, "other@example.fu")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("email_conflict"))
    );
}

async fn twenty_concurrent_posts_make_one_user_and_one_link(b: Backend) {
    let s = start(b, false).await;
    let body = payload(900, "race@example.fu");
    let posts = (0..20).map(|_| post(&s, &body));
    let results = futures::future::join_all(posts).await;
    let mut ids = std::collections::HashSet::new();
    let first = &results[0].1;
    for (status, answer) in &results {
        // Every post asked for the same user: none of them is told it conflicts with itself.
        assert_eq!(*status, 200, "{answer}");
        assert_eq!(answer, first, "one body for all");
        ids.insert(answer["user_id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1, "one user: {results:?}");
    let users = s.stack.app.stores.users.clone();
    let link = users
        .get_wordpress_link(900)
        .await
        .unwrap()
        .expect("one link");
    assert!(ids.contains(link.user_id.as_str()));
    let listed = users
        .list_users(&authbridge::store::PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1, "no duplicate user");
}

async fn bad_payloads_get_the_references_errors(b: Backend) {
    let s = start(b, false).await;
    let (status, body) = post_raw(&s, String::new()).await;
    assert_eq!(
        (status, body),
        (400, json!({"status": "error", "message": "Empty request"}))
    );
    let (status, body) = post_raw(&s, "{not json".into()).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Malformed JSON"))
    );
    let (status, body) = post(
        &s,
        &json!({"wordpress_id": "x", "email": "nope", "extra": true}),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("Payload error"))
    );
    let fields: Vec<String> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e.as_object().unwrap().keys().cloned())
        .collect();
    for field in [
        "wordpress_id",
        "email",
        "extra",
        "registered_at",
        "user_login",
    ] {
        assert!(fields.contains(&field.to_string()), "{field} in {fields:?}");
    }
    let unauthorised = stack::http()
        .post(s.url("/api/v1/wordpress/sync-user"))
        .json(&payload(1, "a@example.fu"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status(), 403);
    // GET with a JSON body is routed to the same handler, as in the reference.
    let get = stack::http()
        .get(s.url("/api/v1/wordpress/sync-user"))
        .bearer_auth(TEST_API_TOKEN)
        .body(payload(2, "get@example.fu").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
}

async fn control_characters_are_refused_naming_the_field(b: Backend) {
    let s = start(b, false).await;
    let cases = [
        ("first_name", "Ada\u{0}"),
        ("last_name", "\u{1b}[31mRed"),
        ("display_name", "two\nlines"),
        ("user_nicename", "evil\u{202e}gpj.exe"),
        ("user_login", "ad\tmin"),
        ("email", "ada\u{7}@example.fu"),
    ];
    for (field, raw) in cases {
        let mut body = payload(300, "ctl@example.fu");
        body[field] = json!(raw);
        let (status, answer) = post(&s, &body).await;
        assert_eq!(status, 400, "{field}: {answer}");
        assert_eq!(answer["message"], "Payload error");
        let named: Vec<String> = answer["errors"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|e| e.as_object().unwrap().keys().cloned())
            .collect();
        assert_eq!(named, [field], "{answer}");
    }
    let users = s.stack.app.stores.users.clone();
    assert!(users.get_wordpress_link(300).await.unwrap().is_none());
    // Letters of every script are names, not control characters.
    let mut body = payload(300, "ctl@example.fu");
    body["first_name"] = json!("Zoë 李 مريم");
    assert_eq!(post(&s, &body).await.0, 200);
}

async fn a_login_linked_to_another_account_is_a_conflict(b: Backend) {
    let s = start(b, false).await;
    assert_eq!(post(&s, &payload(145, "admin@example.fu")).await.0, 200);
    // Another WordPress account posts the login 145 holds (a rename on the site not synced yet).
    let mut other = payload(146, "other@example.fu");
    other["user_login"] = json!("Admin");
    let (status, body) = post(&s, &other).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "login_conflict");
    let users = s.stack.app.stores.users.clone();
    assert!(users.get_wordpress_link(146).await.unwrap().is_none());
    assert!(
        users
            .find_user_by_email(&email_of("other@example.fu"))
            .await
            .unwrap()
            .is_none()
    );
}

on_both_backends!(
    the_five_cases_of_the_reference,
    twenty_concurrent_posts_make_one_user_and_one_link,
    bad_payloads_get_the_references_errors,
    control_characters_are_refused_naming_the_field,
    a_login_linked_to_another_account_is_a_conflict,
);

//! `authbridge tokens ...`: records written through the store API, always shown redacted.

use authbridge::domain::Tag;
use authbridge::domain::token::{Sealed, StoredToken, TokenStatus};
use authbridge::store::TokenStore;
use serde_json::{Value, json};

use crate::support::Deployment;

fn tag_of(raw: &str) -> Tag {
    Tag::parse(raw).expect("a valid tag")
}

fn token(tag: &str, client: &str) -> StoredToken {
    StoredToken {
        tag: tag_of(tag),
        // As the store holds it: any text reads back.
        client_id: serde_json::from_value(json!(client)).expect("a stored client id"),
        grant_type: "authorization_code".to_string(),
        scopes: vec!["Mail.Read".to_string(), "offline_access".to_string()],
        token_type: Some("Bearer".to_string()),
        access_token: Some(Sealed("SEALED-ACCESS-9d2e".into())),
        refresh_token: Some(Sealed("SEALED-REFRESH-77ab".into())),
        id_token: Some(Sealed("SEALED-ID-51c0".into())),
        raw: Some(Sealed("SEALED-RAW-e3f8".into())),
        expires: Some(1_700_000_000),
        lifetime: Some(3600),
        resource_owner_name: Some("jane@example.org".to_string()),
        resource_owner: Some(json!({"email": "jane@example.org"})),
        error: None,
        status: TokenStatus::Active,
        due_at: Some(1_699_999_700),
        refreshed_at: Some(1_699_996_400),
        attempts: 0,
        next_attempt_at: None,
        lease_owner: None,
        lease_until: None,
        owner: None,
        created_by: None,
        connection_id: None,
        metadata: Default::default(),
        sealed_metadata: Default::default(),
        refresh_expires: None,
        expiring_since: None,
        created: 1_699_996_400,
        modified: 1_699_996_400,
        version: 0,
    }
}

const SEALED: [&str; 4] = [
    "SEALED-ACCESS-9d2e",
    "SEALED-REFRESH-77ab",
    "SEALED-ID-51c0",
    "SEALED-RAW-e3f8",
];

#[tokio::test]
async fn tokens_are_listed_shown_and_deleted_redacted() {
    let deployment = Deployment::new();
    let store = deployment.store();
    store
        .create_token(&token("MailSettings:3", "client-1"))
        .await
        .unwrap();
    let mut bare = token("Contact:9", "client-2");
    bare.refresh_token = None;
    bare.expires = None;
    store.create_token(&bare).await.unwrap();

    let runs = [
        deployment.run(&["tokens", "list"]).ok(),
        deployment.run(&["tokens", "list", "--json"]).ok(),
        deployment.run(&["tokens", "show", "MailSettings:3"]).ok(),
        deployment
            .run(&["tokens", "show", "MailSettings:3", "--json"])
            .ok(),
    ];
    for run in &runs {
        for sealed in SEALED {
            run.assert_never_shows(sealed);
        }
    }

    let table = &runs[0].stdout;
    for shown in [
        "MailSettings:3",
        "Contact:9",
        "client-1",
        "2023-11-14T22:13:20Z",
        "jane@example.org",
        "Mail.Read offline_access",
        "active",
    ] {
        assert!(table.contains(shown), "{shown}: {table}");
    }

    let listed = runs[1].json();
    let records = listed.as_array().unwrap();
    assert_eq!(records.len(), 2);
    let mail = records
        .iter()
        .find(|t| t["tag"] == "MailSettings:3")
        .unwrap();
    assert_eq!(mail["expires"], "2023-11-14T22:13:20Z");
    assert_eq!(mail["has_refresh_token"], true);
    assert_eq!(mail["client_id"], "client-1");
    assert_eq!(mail["resource_owner_name"], "jane@example.org");
    assert_eq!(mail["status"], "active");
    let contact = records.iter().find(|t| t["tag"] == "Contact:9").unwrap();
    assert_eq!(contact["has_refresh_token"], false);
    assert_eq!(contact["expires"], Value::Null);

    assert!(runs[2].stdout.contains("(stored)"), "{}", runs[2].stdout);
    assert_eq!(runs[3].json()["grant_type"], "authorization_code");

    let unknown = deployment.run(&["tokens", "show", "Nope:1"]);
    assert_eq!(unknown.code, Some(1));
    assert!(unknown.stderr.contains("Nope:1"), "{}", unknown.stderr);

    deployment.run(&["tokens", "delete", "MailSettings:3"]).ok();
    assert!(
        store
            .get_token(&tag_of("MailSettings:3"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        deployment.run(&["tokens", "show", "MailSettings:3"]).code,
        Some(1)
    );
    assert_eq!(
        deployment.run(&["tokens", "delete", "MailSettings:3"]).code,
        Some(1)
    );
    let left = deployment.run(&["tokens", "list", "--json"]).ok().json();
    assert_eq!(left.as_array().map(Vec::len), Some(1));
}

#[test]
fn an_empty_store_lists_nothing() {
    let deployment = Deployment::new();
    assert_eq!(
        deployment.run(&["clients", "list", "--json"]).ok().json(),
        json!([])
    );
    assert_eq!(
        deployment.run(&["tokens", "list", "--json"]).ok().json(),
        json!([])
    );
    let table = deployment.run(&["tokens", "list"]).ok();
    assert!(table.stdout.contains("| tag "), "{}", table.stdout);
}

#[tokio::test]
async fn refreshing_an_unknown_or_disconnected_token_is_a_clear_error() {
    let deployment = Deployment::new();
    let unknown = deployment.run(&["tokens", "refresh", "nope"]);
    assert_eq!(unknown.code, Some(1));
    assert!(
        unknown.stderr.contains("no token record with tag \"nope\""),
        "{}",
        unknown.stderr
    );

    // A record whose client is gone cannot be refreshed, and nothing in it leaks.
    deployment
        .store()
        .create_token(&token("Orphan:1", "client-gone"))
        .await
        .unwrap();
    let orphan = deployment.run(&["tokens", "refresh", "Orphan:1"]);
    assert_eq!(orphan.code, Some(1));
    assert!(
        orphan.stderr.contains("unknown client"),
        "{}",
        orphan.stderr
    );
    for sealed in SEALED {
        orphan.assert_never_shows(sealed);
    }
}

#[tokio::test]
async fn connect_prints_a_one_time_link_and_refuses_a_taken_tag_without_replace() {
    let deployment = Deployment::new();
    let client = deployment.create_client("gmail", "s3cret-value");
    let started = deployment
        .run(&["connect", &client, "--tag", "Mail:1", "--json"])
        .ok()
        .json();
    let url = started["url"].as_str().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:3000/oauth/go/"),
        "{started}"
    );
    assert_eq!(started["tag"], "Mail:1");
    assert!(started["expires_at"].is_number());
    let text = deployment.run(&["connect", &client]).ok();
    assert!(text.stdout.contains("/oauth/go/"), "{}", text.stdout);
    assert!(text.stdout.contains("client:"), "{}", text.stdout);

    deployment
        .store()
        .create_token(&token("Mail:1", &client))
        .await
        .unwrap();
    let taken = deployment.run(&["connect", &client, "--tag", "Mail:1"]);
    assert_eq!(taken.code, Some(1));
    assert!(taken.stderr.contains("replace"), "{}", taken.stderr);
    deployment
        .run(&[
            "connect",
            &client,
            "--tag",
            "Mail:1",
            "--replace",
            "--owner",
            "contact:7",
        ])
        .ok();

    let mut owned = token("Mail:7", &client);
    owned.owner = Some("contact:7".parse().expect("an owner"));
    deployment.store().create_token(&owned).await.unwrap();
    let listed = deployment
        .run(&["tokens", "list", "--owner", "contact:7", "--json"])
        .ok()
        .json();
    let tags: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tag"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(tags, ["Mail:7"]);
}

#[tokio::test]
async fn a_client_with_tokens_is_deleted_only_with_its_tokens() {
    let deployment = Deployment::new();
    let client = deployment.create_client("gmail", "s3cret-value");
    let store = deployment.store();
    store.create_token(&token("Mail:2", &client)).await.unwrap();
    let refused = deployment.run(&["clients", "delete", &client]);
    assert_eq!(refused.code, Some(1));
    assert!(
        refused.stderr.contains("--with-tokens") && refused.stderr.contains("Mail:2"),
        "{}",
        refused.stderr
    );
    assert!(store.get_token(&tag_of("Mail:2")).await.unwrap().is_some());
    let deleted = deployment
        .run(&["clients", "delete", &client, "--with-tokens", "--json"])
        .ok()
        .json();
    assert_eq!(deleted["tokens_deleted"], json!(["Mail:2"]));
    assert!(store.get_token(&tag_of("Mail:2")).await.unwrap().is_none());
    assert_eq!(deployment.run(&["clients", "show", &client]).code, Some(1));
}

/// The error document `--json` writes to standard error.
fn error_code(stderr: &str) -> Value {
    stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|d| d.get("error").is_some())
        .map(|d| d["error"]["code"].clone())
        .unwrap_or_else(|| panic!("no error document: {stderr}"))
}

#[tokio::test]
async fn tokens_mail_refuses_clearly_before_touching_the_token() {
    let deployment = Deployment::new();
    let unknown = deployment.run(&["tokens", "mail", "nope", "--json"]);
    assert_eq!(unknown.code, Some(1));
    assert_eq!(error_code(&unknown.stderr), "not_found");

    // A provider without a mail template (github), and one whose username needs an `email` the
    // record's resource owner lacks (gmail): refused, and no sealed value shows.
    let github = deployment.create_client("github", "gh-secret");
    let gmail = deployment.create_client("gmail", "g-secret");
    let store = deployment.store();
    store.create_token(&token("Gh:1", &github)).await.unwrap();
    let mut no_email = token("Gm:1", &gmail);
    no_email.resource_owner = Some(json!({"sub": "1234"}));
    store.create_token(&no_email).await.unwrap();
    for (tag, code, words) in [
        ("Gh:1", "no_mail_settings", "has no mail settings"),
        ("Gm:1", "mail_user_unknown", "\"email\""),
    ] {
        let run = deployment.run(&["tokens", "mail", tag, "--json"]);
        assert_eq!(run.code, Some(1), "{tag}");
        assert_eq!(error_code(&run.stderr), code, "{tag}: {}", run.stderr);
        let text = deployment.run(&["tokens", "mail", tag]);
        assert!(text.stderr.contains(words), "{tag}: {}", text.stderr);
        for sealed in SEALED {
            run.assert_never_shows(sealed);
            text.assert_never_shows(sealed);
        }
    }
}

/// A provider's token endpoint that answers every request with one client-credentials token: a
/// thread on a free port, for as long as the test runs. Answers the provider file naming it.
fn fake_token_endpoint() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            // The request line, headers and the short form body arrive in a read or two.
            while let Ok(n) = stream.read(&mut buffer) {
                request.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&request);
                if n == 0 || text.contains("grant_type=") {
                    break;
                }
            }
            let body =
                r#"{"access_token":"CC-ACCESS-5f1e","token_type":"Bearer","expires_in":600}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    json!({
        "title": "Fake",
        "options": {
            "urlAuthorize": format!("{base}/authorize"),
            "urlAccessToken": format!("{base}/token"),
            "scopes": ["read"]
        }
    })
    .to_string()
}

#[tokio::test]
async fn grant_stores_a_connection_and_replaces_one_only_when_asked() {
    let deployment = Deployment::new();
    let providers = tempfile::tempdir().unwrap();
    std::fs::write(providers.path().join("fake.json"), fake_token_endpoint()).unwrap();
    let dir = providers.path().display().to_string();
    let vars = [("AUTHBRIDGE_PROVIDERS_DIR", dir.as_str())];
    let run = |args: &[&str]| deployment.run_with(args, "", &vars);
    let created = deployment
        .run_with(
            &[
                "clients",
                "create",
                "--json",
                "--provider",
                "fake",
                "--guid",
                "svc",
                "--secret-stdin",
            ],
            "s3cret\n",
            &vars,
        )
        .ok()
        .json();
    let client = created["id"].as_str().unwrap().to_string();

    let granted = run(&["grant", &client, "--json"]).ok();
    granted.assert_never_shows("CC-ACCESS-5f1e");
    let view = granted.json();
    assert_eq!(view["tag"], format!("client-credentials:{client}"));
    assert_eq!(view["grant_type"], "client_credentials");
    assert_eq!(view["created_by"], "cli");

    // A tag holding an authorization-code connection: refused, untouched, unless --replace.
    let store = deployment.store();
    store.create_token(&token("Mail:1", &client)).await.unwrap();
    let before = store.get_token(&tag_of("Mail:1")).await.unwrap();
    let taken = run(&["grant", &client, "--tag", "Mail:1", "--json"]);
    assert_eq!(taken.code, Some(1));
    assert_eq!(error_code(&taken.stderr), "conflict");
    assert_eq!(store.get_token(&tag_of("Mail:1")).await.unwrap(), before);
    let replaced = run(&["grant", &client, "--tag", "Mail:1", "--replace", "--json"])
        .ok()
        .json();
    assert_eq!(replaced["grant_type"], "client_credentials");
    assert_eq!(replaced["created_by"], "cli");

    for (args, why) in [
        (vec!["--tag", "a\nb"], "control characters"),
        (
            vec!["--grant", "password", "--username", "u"],
            "--password-stdin",
        ),
    ] {
        let mut all = vec!["grant", client.as_str(), "--json"];
        all.extend(args);
        let refused = run(&all);
        assert_eq!(refused.code, Some(1), "{all:?}");
        assert_eq!(error_code(&refused.stderr), "invalid_argument", "{all:?}");
        assert!(refused.stderr.contains(why), "{}", refused.stderr);
    }
}

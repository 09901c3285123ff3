//! The audit trail, the migration panel and the connections listing from the CLI: every change
//! the CLI makes is listed by `authbridge audit` (who, what, to what; never a secret), a read is
//! not; `migration status` and `connections list` answer on a fresh deployment.

use crate::support::Deployment;

#[tokio::test]
async fn every_change_is_in_the_audit_trail_without_its_secret() {
    let deployment = Deployment::new();
    let secret = "client-secret-never-shown-0123";
    let client = deployment.create_client("gmail", secret);
    let created = deployment
        .run(&["--json", "api-tokens", "create", "crm-site"])
        .ok()
        .json();
    let value = created["token"].as_str().unwrap().to_string();
    deployment.run(&["api-tokens", "list"]).ok();
    deployment.run(&["clients", "disable", &client]).ok();
    // A change that fails is not recorded.
    assert_ne!(
        deployment
            .run(&["clients", "enable", "no-such-client"])
            .code,
        Some(0)
    );

    let audit = deployment.run(&["--json", "audit"]).ok();
    audit.assert_never_shows(secret);
    audit.assert_never_shows(&value);
    let entries = audit.json();
    let seen: Vec<(String, String)> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_string(),
                e["summary"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "admin.client.disabled".to_string(),
                format!("target {client}")
            ),
            (
                "admin.api_token.created".to_string(),
                "target crm-site".to_string()
            ),
            (
                "admin.client.created".to_string(),
                "target gmail/app-1".to_string()
            ),
        ],
        "newest first, reads left out"
    );
    let actor = entries[0]["actor"].as_str().unwrap();
    assert!(actor.starts_with("cli"), "{actor}");

    // Pages: one entry, then the cursor to the rest.
    let first = deployment.run(&["--json", "audit", "--limit", "1"]).ok();
    assert_eq!(first.json().as_array().unwrap().len(), 1);
    let cursor = first
        .stderr
        .split("--after ")
        .nth(1)
        .map(|rest| rest.trim().trim_end_matches(['"', '}']).to_string())
        .expect("a cursor to the next page");
    let rest = deployment
        .run(&["--json", "audit", "--limit", "5", "--after", &cursor])
        .ok()
        .json();
    assert_eq!(rest.as_array().unwrap().len(), 2);

    // A subject that is not one is a usage error.
    assert_eq!(
        deployment.run(&["audit", "--subject", "mail:1"]).code,
        Some(2)
    );
}

#[tokio::test]
async fn migration_status_and_connections_answer_on_a_fresh_deployment() {
    let deployment = Deployment::new();
    let status = deployment
        .run(&["--json", "migration", "status"])
        .ok()
        .json();
    assert_eq!(status["synced"], 0);
    assert_eq!(status["never_seen"], 0);
    assert_eq!(status["last_fallback_login"], serde_json::Value::Null);
    let table = deployment.run(&["migration", "status"]).ok();
    assert!(
        table.stdout.contains("fallback logins (7 days)"),
        "{}",
        table.stdout
    );

    let list = deployment
        .run(&[
            "--json",
            "connections",
            "list",
            "--status",
            "refresh_failing",
        ])
        .ok()
        .json();
    assert_eq!(list, serde_json::json!([]));
    assert_eq!(
        deployment
            .run(&["connections", "list", "--status", "broken"])
            .code,
        Some(2)
    );
    let history = deployment
        .run(&["--json", "connections", "history", "mail:1"])
        .ok()
        .json();
    assert_eq!(history, serde_json::json!([]));
}

#[tokio::test]
async fn granting_and_revoking_a_role_is_in_the_audit_trail() {
    let deployment = Deployment::new();
    deployment
        .run_with_stdin(
            &[
                "users",
                "create",
                "--email",
                "ada@example.org",
                "--password-stdin",
            ],
            "a long enough password 1",
        )
        .ok();
    deployment
        .run(&["users", "grant-role", "ada@example.org", "operator"])
        .ok();
    deployment
        .run(&["users", "revoke-role", "ada@example.org", "operator"])
        .ok();
    let entries = deployment.run(&["--json", "audit"]).ok().json();
    let seen: Vec<(&str, &str)> = entries
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|e| (e["type"].as_str().unwrap(), e["summary"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("admin.role.revoked", "target ada@example.org operator"),
            ("admin.role.granted", "target ada@example.org operator"),
        ]
    );
}

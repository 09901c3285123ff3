//! What every command has in common: `--json` errors are JSON on standard error with a code, times
//! in JSON are RFC 3339, nothing is coloured off a terminal; and the commands an operator needs
//! to undo things (`users delete`, `api-tokens show` and `rotate`).

use authbridge::api_tokens::token_hash;
use authbridge::store::{ApiTokenStore, UserStore};
use serde_json::Value;

use crate::support::{Deployment, email_of};

/// Standard error under `--json`: JSON documents, one a line (notes, then the error); the error.
fn json_error(stderr: &str) -> Value {
    let documents: Vec<Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    documents
        .into_iter()
        .find(|d| d.get("error").is_some())
        .unwrap_or_else(|| panic!("no error document: {stderr}"))
}

#[test]
fn errors_under_json_are_json_with_a_code_and_plain_text_otherwise() {
    let deployment = Deployment::new();
    let missing = deployment.run(&["--json", "clients", "show", "nope"]);
    assert_eq!(missing.code, Some(1));
    assert!(missing.stdout.is_empty(), "{}", missing.stdout);
    let error = json_error(&missing.stderr);
    assert_eq!(error["error"]["code"], "not_found");
    assert!(error["error"]["message"].as_str().unwrap().contains("nope"));

    let usage = deployment.run(&["clients", "create", "--json", "--bogus"]);
    assert_eq!(usage.code, Some(2));
    assert_eq!(json_error(&usage.stderr)["error"]["code"], "usage");

    let plain = deployment.run(&["clients", "show", "nope"]);
    assert!(
        plain.stderr.starts_with("error: no client"),
        "{}",
        plain.stderr
    );
}

#[test]
fn nothing_is_coloured_when_the_output_is_not_a_terminal() {
    let deployment = Deployment::new();
    for args in [
        vec!["clients", "--bogus"],
        vec!["--help"],
        vec!["clients", "show", "nope"],
    ] {
        for vars in [vec![], vec![("NO_COLOR", "1")]] {
            let run = deployment.run_with(&args, "", &vars);
            assert!(
                !run.stderr.contains('\u{1b}') && !run.stdout.contains('\u{1b}'),
                "{args:?}: colour codes in {:?} / {:?}",
                run.stdout,
                run.stderr
            );
        }
    }
}

#[tokio::test]
async fn api_tokens_are_shown_and_rotated_by_name() {
    let deployment = Deployment::new();
    let created = deployment
        .run(&[
            "--json",
            "api-tokens",
            "create",
            "crm",
            "--allow",
            "sync-user",
        ])
        .ok()
        .json();
    let old = created["token"].as_str().unwrap().to_string();
    assert!(
        created["created"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z') && t.contains('T')),
        "RFC 3339: {created}"
    );

    let shown = deployment
        .run(&["--json", "api-tokens", "show", "crm"])
        .ok();
    shown.assert_never_shows(&old);
    assert_eq!(shown.json()["endpoints"][0], "sync-user");
    assert_eq!(shown.json()["last_used"], Value::Null);

    let rotated = deployment
        .run(&["--json", "api-tokens", "rotate", "crm"])
        .ok()
        .json();
    let new = rotated["token"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(rotated["name"], "crm");
    assert_eq!(rotated["endpoints"][0], "sync-user");
    let store = deployment.store();
    assert!(
        store
            .get_api_token(&token_hash(&old))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .get_api_token(&token_hash(&new))
            .await
            .unwrap()
            .is_some()
    );
    let listed = deployment.run(&["--json", "api-tokens", "list"]).ok();
    listed.assert_never_shows(&new);
    assert_eq!(listed.json().as_array().map(Vec::len), Some(1));

    let unknown = deployment.run(&["--json", "api-tokens", "rotate", "nope"]);
    assert_eq!(json_error(&unknown.stderr)["error"]["code"], "not_found");
}

#[tokio::test]
async fn a_deleted_user_is_gone_with_its_email() {
    let deployment = Deployment::new();
    deployment
        .run_with_stdin(
            &[
                "users",
                "create",
                "--email",
                "gone@example.org",
                "--password-stdin",
            ],
            "a long enough password\n",
        )
        .ok();
    let deleted = deployment
        .run(&["--json", "users", "delete", "gone@example.org"])
        .ok()
        .json();
    assert_eq!(deleted["deleted"], true);
    assert!(
        deployment
            .store()
            .find_user_by_email(&email_of("gone@example.org"))
            .await
            .unwrap()
            .is_none()
    );
    let again = deployment.run(&["--json", "users", "delete", "gone@example.org"]);
    assert_eq!(again.code, Some(1));
    assert_eq!(json_error(&again.stderr)["error"]["code"], "not_found");
    // The address is free again.
    deployment
        .run_with_stdin(
            &[
                "users",
                "create",
                "--email",
                "gone@example.org",
                "--password-stdin",
            ],
            "a long enough password\n",
        )
        .ok();
}

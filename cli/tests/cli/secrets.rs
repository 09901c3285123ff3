//! `authbridge secrets ...` and `authbridge wordpress set-token`: values go in, only names come out.

use authbridge::secrets::{ExposeSecret, SecretStore};

use crate::support::Deployment;

#[tokio::test]
async fn secrets_are_set_and_listed_by_name_only() {
    let deployment = Deployment::new();
    let value = "s3cret-value-8f2a";
    deployment
        .run_with_stdin(
            &["secrets", "set", "authbridge/example", "--value-stdin"],
            &format!("{value}\n"),
        )
        .ok()
        .assert_never_shows(value);
    deployment
        .run(&["secrets", "set", "authbridge/other", "--value", "v2"])
        .ok();
    let stored = deployment
        .store()
        .get_secret("authbridge/example")
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(stored.expose_secret(), value);

    let list = deployment.run(&["--json", "secrets", "list"]).ok();
    list.assert_never_shows(value);
    let names = list.json();
    assert!(
        names
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "authbridge/example"),
        "{names}"
    );
    assert!(
        names
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "authbridge/other")
    );

    let empty =
        deployment.run_with_stdin(&["secrets", "set", "authbridge/x", "--value-stdin"], "\n");
    assert_ne!(
        empty.code,
        Some(0),
        "an empty value is refused: {}",
        empty.stderr
    );
}

#[tokio::test]
async fn the_wordpress_token_goes_where_the_fallback_reads_it() {
    let deployment = Deployment::new();
    let token = "edc19a6a-5bc6-494f-ba51-9b0731fb0941";
    deployment
        .run_with_stdin(
            &["wordpress", "set-token", "--stdin"],
            &format!("{token}\n"),
        )
        .ok()
        .assert_never_shows(token);
    let stored = deployment
        .store()
        .get_secret("authbridge/wordpress-token")
        .await
        .unwrap()
        .expect("stored under <prefix>wordpress-token");
    assert_eq!(stored.expose_secret(), token);
    // No token on the command line.
    assert_ne!(deployment.run(&["wordpress", "set-token"]).code, Some(0));
}

#[tokio::test]
async fn a_rotated_secret_keeps_its_previous_value_until_confirmed_and_shows_when_it_was_set() {
    let deployment = Deployment::new();
    let name = "authbridge/clients/c1";
    deployment
        .run_with_stdin(&["secrets", "set", name, "--value-stdin"], "first-value\n")
        .ok();
    deployment
        .run_with_stdin(
            &["secrets", "rotate", name, "--value-stdin"],
            "second-value\n",
        )
        .ok()
        .assert_never_shows("first-value");
    let store = deployment.store();
    let pending = authbridge::secrets::rotation::versions(&store, name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.current.expose_secret(), "second-value");
    assert_eq!(
        pending
            .previous
            .as_ref()
            .map(|p| p.expose_secret().to_string()),
        Some("first-value".to_string())
    );
    let again = deployment.run_with_stdin(&["secrets", "rotate", name, "--value-stdin"], "x\n");
    assert_ne!(again.code, Some(0), "a second rotation waits for the first");

    let status = deployment.run(&["--json", "secrets", "status"]).ok();
    status.assert_never_shows("second-value");
    let rows = status.json();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .expect("the rotated secret is listed");
    assert_eq!(row["rotation_pending"], true);
    assert!(row["last_set"].is_string(), "{row}");
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| !r["name"].as_str().unwrap().ends_with(".previous")),
        "{rows}"
    );

    deployment.run(&["secrets", "confirm", name]).ok();
    let done = authbridge::secrets::rotation::versions(&store, name)
        .await
        .unwrap()
        .unwrap();
    assert!(done.previous.is_none());
    let old = store.get_secret(&format!("{name}.previous")).await.unwrap();
    assert_eq!(
        old.unwrap().expose_secret(),
        "second-value",
        "the old value is gone"
    );
}

#[tokio::test]
async fn the_token_key_secret_is_created_once_and_never_replaced() {
    let deployment = Deployment::new();
    let name = "authbridge/token-key";
    let first = "a-token-key-of-enough-characters-0001";
    deployment
        .run_with_stdin(
            &["secrets", "set", name, "--value-stdin"],
            &format!("{first}\n"),
        )
        .ok();
    for command in ["set", "rotate"] {
        let refused = deployment.run_with_stdin(
            &["secrets", command, name, "--value-stdin"],
            "a-token-key-of-enough-characters-0002\n",
        );
        assert_ne!(
            refused.code,
            Some(0),
            "secrets {command} replaced the token key"
        );
        assert!(
            refused.stderr.contains("authbridge keys rotate"),
            "{}",
            refused.stderr
        );
        refused.assert_never_shows("0002");
    }
    let store = deployment.store();
    let kept = authbridge::secrets::rotation::versions(&store, name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.current.expose_secret(), first);
    assert!(kept.previous.is_none(), "no rotation was begun");
}

//! `authbridge clients ...`: what is printed, what is stored, and that the secret is never shown.

use serde_json::{Value, json};

use crate::support::Deployment;

#[tokio::test]
async fn a_client_secret_is_stored_but_never_printed() {
    let deployment = Deployment::new();
    let secret = "s3cret-from-stdin-4f1c";
    let run = deployment
        .run_with_stdin(
            &[
                "clients",
                "create",
                "--provider",
                "ms-exchange",
                "--guid",
                "public-guid",
                "--tenant",
                "contoso",
                "--option",
                r#"scopes=["Mail.Read","offline_access"]"#,
                "--option",
                "tenancy=true",
                "--secret-stdin",
            ],
            &format!("{secret}\n"),
        )
        .ok();
    run.assert_never_shows(secret);
    for shown in ["public-guid", "ms-exchange", "contoso", "(stored)"] {
        assert!(run.stdout.contains(shown), "{shown}: {}", run.stdout);
    }

    let listed = deployment.run(&["clients", "list", "--json"]).ok();
    listed.assert_never_shows(secret);
    let clients = listed.json();
    assert_eq!(clients.as_array().map(Vec::len), Some(1));
    let id = clients[0]["id"].as_str().unwrap().to_string();
    assert_eq!(clients[0]["guid"], "public-guid");
    assert_eq!(clients[0]["tenant"], "contoso");
    assert_eq!(
        clients[0]["options"],
        json!({"scopes": ["Mail.Read", "offline_access"], "tenancy": true})
    );

    for args in [
        vec!["clients", "list"],
        vec!["clients", "show", &id],
        vec!["clients", "show", &id, "--json"],
    ] {
        let run = deployment.run(&args).ok();
        run.assert_never_shows(secret);
        assert!(run.stdout.contains(&id), "{args:?}: {}", run.stdout);
    }
    let shown = deployment.run(&["clients", "show", &id]).ok();
    assert!(shown.stdout.contains("(stored)"), "{}", shown.stdout);
    let shown = deployment
        .run(&["clients", "show", &id, "--json"])
        .ok()
        .json();
    assert_eq!(shown["has_secret"], true);
    assert_eq!(shown["secret_rotation_pending"], false);
    assert!(shown["secret_last_set"].is_string(), "{shown}");
    assert_eq!(shown["is_active"], true);

    // The newline that ended the line on standard input is not part of the secret.
    assert_eq!(deployment.stored_secret(&id).await.as_deref(), Some(secret));
}

#[test]
fn an_unknown_provider_is_refused_with_a_pointer_to_the_list() {
    let deployment = Deployment::new();
    let run = deployment.run(&[
        "clients",
        "create",
        "--provider",
        "nosuch",
        "--guid",
        "g",
        "--secret",
        "s3cret-arg",
    ]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.lines().any(|l| l.starts_with("error: ")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nosuch"), "{}", run.stderr);
    assert!(
        run.stderr.contains("authbridge providers list"),
        "{}",
        run.stderr
    );
    run.assert_never_shows("s3cret-arg");
    let listed = deployment.run(&["clients", "list", "--json"]).ok().json();
    assert_eq!(listed, json!([]));
}

#[test]
fn exactly_one_way_of_giving_the_secret_is_required() {
    let deployment = Deployment::new();
    let base = ["clients", "create", "--provider", "gmail", "--guid", "g"];
    let none = deployment.run(&base);
    assert_eq!(none.code, Some(2), "{}", none.stderr);
    let both = deployment.run_with_stdin(
        &[&base[..], &["--secret", "x", "--secret-stdin"]].concat(),
        "y\n",
    );
    assert_eq!(both.code, Some(2), "{}", both.stderr);
    let empty = deployment.run_with_stdin(&[&base[..], &["--secret-stdin"]].concat(), "\n");
    assert_eq!(empty.code, Some(1), "{}", empty.stderr);
    assert!(empty.stderr.contains("secret is empty"), "{}", empty.stderr);
}

#[test]
fn a_bad_option_is_refused_and_names_the_option() {
    let deployment = Deployment::new();
    let run = deployment.run(&[
        "clients",
        "create",
        "--provider",
        "gmail",
        "--guid",
        "g",
        "--secret",
        "s",
        "--option",
        "colour=blue",
    ]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("colour"), "{}", run.stderr);
    let malformed = deployment.run(&[
        "clients",
        "create",
        "--provider",
        "gmail",
        "--guid",
        "g",
        "--secret",
        "s",
        "--option",
        "tenancy",
    ]);
    assert_eq!(malformed.code, Some(2), "{}", malformed.stderr);
}

#[tokio::test]
async fn clients_update_enable_disable_and_delete() {
    let deployment = Deployment::new();
    let id = deployment.create_client("ms-exchange", "first-secret");

    let updated = deployment
        .run_with_stdin(
            &[
                "clients",
                "update",
                &id,
                "--json",
                "--guid",
                "new-guid",
                "--tenant",
                "fabrikam",
                "--option",
                "prompt=consent",
                "--secret-stdin",
            ],
            "second-secret\n",
        )
        .ok();
    updated.assert_never_shows("second-secret");
    let client = updated.json();
    assert_eq!(client["guid"], "new-guid");
    assert_eq!(client["tenant"], "fabrikam");
    assert_eq!(client["options"], json!({"prompt": "consent"}));
    assert_eq!(
        deployment.stored_secret(&id).await.as_deref(),
        Some("second-secret")
    );
    // The replaced secret stays usable until the rotation is confirmed ...
    let previous = format!("{id}.previous");
    assert_eq!(
        deployment.stored_secret(&previous).await.as_deref(),
        Some("first-secret")
    );
    // ... and another secret is refused until then, changing nothing.
    let refused = deployment.run_with_stdin(
        &[
            "clients",
            "update",
            &id,
            "--guid",
            "other-guid",
            "--secret-stdin",
        ],
        "third-secret\n",
    );
    assert_eq!(refused.code, Some(1), "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("confirm the pending rotation first")
            && refused.stderr.contains(&format!(
                "authbridge secrets confirm authbridge/clients/{id}"
            )),
        "{}",
        refused.stderr
    );
    refused.assert_never_shows("third-secret");
    let pending = |deployment: &Deployment| {
        deployment
            .run(&["clients", "show", &id, "--json"])
            .ok()
            .json()["secret_rotation_pending"]
            .clone()
    };
    assert_eq!(pending(&deployment), true);
    assert_eq!(
        deployment.stored_secret(&id).await.as_deref(),
        Some("second-secret")
    );
    deployment
        .run(&["secrets", "confirm", &format!("authbridge/clients/{id}")])
        .ok();
    assert_eq!(
        deployment.stored_secret(&previous).await.as_deref(),
        Some("second-secret"),
        "confirmed: the previous value is the current one, so only it is accepted"
    );
    assert_eq!(pending(&deployment), false);

    // Without --option the options stay; --no-tenant removes the tenant.
    let client = deployment
        .run(&["clients", "update", &id, "--json", "--no-tenant"])
        .ok()
        .json();
    assert_eq!(client["tenant"], Value::Null);
    assert_eq!(client["options"], json!({"prompt": "consent"}));
    assert_eq!(client["guid"], "new-guid");

    // Options given replace the whole map.
    let client = deployment
        .run(&[
            "clients",
            "update",
            &id,
            "--json",
            "--option",
            "accessType=offline",
        ])
        .ok()
        .json();
    assert_eq!(client["options"], json!({"accessType": "offline"}));
    let client = deployment
        .run(&["clients", "update", &id, "--json", "--no-options"])
        .ok()
        .json();
    assert_eq!(client["options"], json!({}));

    let nothing = deployment.run(&["clients", "update", &id]);
    assert_eq!(nothing.code, Some(1));
    assert!(
        nothing.stderr.contains("nothing to update"),
        "{}",
        nothing.stderr
    );

    let disabled = deployment
        .run(&["clients", "disable", &id, "--json"])
        .ok()
        .json();
    assert_eq!(disabled["is_active"], false);
    let listed = deployment.run(&["clients", "list"]).ok();
    assert!(listed.stdout.contains("| no "), "{}", listed.stdout);
    let enabled = deployment
        .run(&["clients", "enable", &id, "--json"])
        .ok()
        .json();
    assert_eq!(enabled["is_active"], true);

    let deleted = deployment.run(&["clients", "delete", &id]).ok();
    assert!(deleted.stdout.contains(&id), "{}", deleted.stdout);
    assert_eq!(deployment.stored_secret(&id).await, None);
    assert_eq!(deployment.stored_secret(&previous).await, None);
    let gone = deployment.run(&["clients", "show", &id]);
    assert_eq!(gone.code, Some(1));
    assert!(gone.stderr.contains(&id), "{}", gone.stderr);
    let again = deployment.run(&["clients", "delete", &id]);
    assert_eq!(again.code, Some(1), "{}", again.stderr);
    for action in ["enable", "disable"] {
        assert_eq!(deployment.run(&["clients", action, &id]).code, Some(1));
    }
}

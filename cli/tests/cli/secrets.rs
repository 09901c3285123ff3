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

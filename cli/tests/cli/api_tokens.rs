//! `authbridge api-tokens ...`: the value is printed once and stored only as its hash.

use authbridge::api_tokens::token_hash;
use authbridge::domain::Endpoint;
use authbridge::store::ApiTokenStore;

use crate::support::Deployment;

#[tokio::test]
async fn a_token_is_shown_once_stored_as_a_hash_and_administered_by_name() {
    let deployment = Deployment::new();
    let created = deployment
        .run(&[
            "--json",
            "api-tokens",
            "create",
            "crm-site",
            "--allow",
            "sync-user",
            "--ip",
            "10.0.0.0/8",
        ])
        .ok()
        .json();
    let value = created["token"]
        .as_str()
        .expect("the value, once")
        .to_string();
    assert!(value.len() >= 43, "256 bits, base64url");
    let stored = deployment
        .store()
        .get_api_token(&token_hash(&value))
        .await
        .unwrap()
        .expect("stored under its hash");
    assert_eq!(stored.endpoints, [Endpoint::SyncUser]);
    assert_eq!(stored.ip_restriction.to_string(), "10.0.0.0/8");

    let list = deployment.run(&["api-tokens", "list"]).ok();
    list.assert_never_shows(&value);
    assert!(list.stdout.contains("crm-site"));
    let json = deployment.run(&["--json", "api-tokens", "list"]).ok();
    json.assert_never_shows(&value);

    deployment
        .run(&["api-tokens", "allow", "crm-site", "oauth-token", "tokens"])
        .ok();
    deployment
        .run(&["api-tokens", "deny", "crm-site", "sync-user"])
        .ok();
    deployment.run(&["api-tokens", "disable", "crm-site"]).ok();
    let now = deployment
        .store()
        .get_api_token(&token_hash(&value))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.endpoints, [Endpoint::OauthToken, Endpoint::Tokens]);
    assert!(!now.active);
    deployment.run(&["api-tokens", "enable", "crm-site"]).ok();

    let again = deployment.run(&["api-tokens", "create", "crm-site"]);
    assert_eq!(again.code, Some(1), "names are unique");
    let bad = deployment.run(&["api-tokens", "create", "x", "--allow", "admin"]);
    assert_eq!(bad.code, Some(2), "unknown endpoints are a usage error");

    deployment.run(&["api-tokens", "delete", "crm-site"]).ok();
    assert!(
        deployment
            .store()
            .get_api_token(&token_hash(&value))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        deployment.run(&["api-tokens", "delete", "crm-site"]).code,
        Some(1)
    );
}

#[tokio::test]
async fn a_token_is_made_for_one_site_and_narrowed_by_name() {
    let deployment = Deployment::new();
    let help = deployment.run(&["api-tokens", "create", "--help"]).ok();
    for endpoint in Endpoint::ALL {
        assert!(
            help.stdout.contains(endpoint.name()),
            "--help names {}",
            endpoint.name()
        );
    }
    let created = deployment
        .run(&[
            "--json",
            "api-tokens",
            "create",
            "site-a",
            "--allow",
            "tokens",
            "--tags",
            "site-a:*",
        ])
        .ok()
        .json();
    assert_eq!(created["scope"]["tags"], serde_json::json!(["site-a:*"]));
    assert_eq!(created["scope"]["owners"], serde_json::json!(["*"]));
    let value = created["token"].as_str().expect("the value").to_string();
    let list = deployment.run(&["api-tokens", "list"]).ok();
    assert!(list.stdout.contains("site-a:*"), "{}", list.stdout);

    // Narrowing changes the parts named and keeps the others.
    deployment
        .run(&[
            "api-tokens",
            "scope",
            "site-a",
            "--owners",
            "contact:*",
            "--clients",
            "c1,c2",
        ])
        .ok();
    let stored = deployment
        .store()
        .get_api_token(&token_hash(&value))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(stored.scope.tags.to_string(), "site-a:*");
    assert_eq!(stored.scope.owners.to_string(), "contact:*");
    assert_eq!(stored.scope.clients.to_string(), "c1,c2");

    // Bad patterns and a blank address are refused, never read as "everything".
    let inner = deployment.run(&["api-tokens", "create", "x", "--tags", "a*b"]);
    assert_eq!(inner.code, Some(2), "{}", inner.stderr);
    let blank = deployment.run(&["api-tokens", "create", "y", "--ip", " "]);
    assert_eq!(blank.code, Some(1), "{}", blank.stderr);
    let nothing = deployment.run(&["api-tokens", "scope", "site-a"]);
    assert_ne!(nothing.code, Some(0));
    let names: Vec<String> = deployment
        .run(&["--json", "api-tokens", "list"])
        .ok()
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(names, ["site-a"], "neither refused token was made");
}

//! `authbridge api-tokens ...`: the value is printed once and stored only as its hash.

use authbridge::domain::Endpoint;
use authbridge::http::api_auth::token_hash;
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

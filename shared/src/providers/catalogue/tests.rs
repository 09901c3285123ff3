//! Every shipped provider loads, is checked and resolves; the quirks of the catalogue work as the
//! providers document them; a provider file that misuses them is refused naming file and key; the
//! book's table is the one the code generates.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use url::Url;

use super::*;
use crate::providers::test_idp::test_http;
use crate::providers::{ConnectionError, ProviderError, ResolvedProvider};

fn shipped() -> ProviderRegistry {
    ProviderRegistry::shipped(test_http()).unwrap()
}

async fn resolve(name: &str, options: Value) -> ResolvedProvider {
    let Value::Object(options) = options else {
        panic!("options are an object")
    };
    let local = Url::parse("http://127.0.0.1:3000/").unwrap();
    shipped()
        .resolve(name, None, &options, Some(&local))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn supplied(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn every_shipped_provider_resolves_and_fills_its_urls_with_its_examples() {
    let registry = shipped();
    let names: Vec<String> = registry.list().iter().map(|(n, _)| n.to_string()).collect();
    assert!(names.len() >= 29, "{names:?}");
    for required in [
        "salesforce",
        "hubspot",
        "zoho",
        "quickbooks",
        "xero",
        "microsoft-graph",
        "google",
        "github",
        "gitlab",
        "slack",
        "zoom",
        "dropbox",
        "box",
        "atlassian",
        "shopify",
        "mailchimp",
        "pipedrive",
        "zendesk",
        "intercom",
        "linkedin",
        "asana",
        "notion",
        "calendly",
        "okta",
        "keycloak",
    ] {
        assert!(names.iter().any(|n| n == required), "{required} is shipped");
    }
    for name in &names {
        let definition = registry.get(name).unwrap();
        let local_only = definition.tags.iter().any(|t| t == "local-only");
        assert!(
            local_only || definition.documentation.is_some(),
            "{name} names its documentation"
        );
        let provider = resolve(name, json!({})).await;
        let examples = crate::providers::ConnectionValues::examples(&provider.connection);
        let endpoints = provider
            .endpoints_for(&examples)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            local_only || endpoints.token.scheme() == "https",
            "{name}: {}",
            endpoints.token
        );
    }
}

#[tokio::test]
async fn shopify_and_zendesk_put_the_connection_in_their_host() {
    let shopify = resolve("shopify", json!({})).await;
    let err = shopify.fixed_endpoints().unwrap_err();
    assert!(
        matches!(&err, ConnectionError::MissingParameter { name, .. } if name == "shop"),
        "{err}"
    );
    let values = shopify
        .connection_values(&supplied(&[("shop", "acme-store")]))
        .unwrap();
    let endpoints = shopify.endpoints_for(&values).unwrap();
    assert_eq!(
        endpoints.authorize.as_str(),
        "https://acme-store.myshopify.com/admin/oauth/authorize"
    );
    assert_eq!(
        shopify.scope_param(&shopify.scopes),
        "read_products,read_orders"
    );
    for escape in ["evil.example/x", "evil.example", "EVIL", "a.b"] {
        let err = shopify
            .connection_values(&supplied(&[("shop", escape)]))
            .unwrap_err();
        assert!(
            matches!(err, ConnectionError::Mismatch { .. }),
            "{escape}: {err}"
        );
    }
    let err = shopify
        .connection_values(&supplied(&[("shop", "a"), ("shp", "b")]))
        .unwrap_err();
    assert!(
        matches!(err, ConnectionError::UnknownParameter { .. }),
        "{err}"
    );

    let zendesk = resolve("zendesk", json!({})).await;
    let values = zendesk
        .connection_values(&supplied(&[("subdomain", "acme")]))
        .unwrap();
    let endpoints = zendesk.endpoints_for(&values).unwrap();
    assert_eq!(
        endpoints.token.as_str(),
        "https://acme.zendesk.com/oauth/tokens"
    );
    let lifetime = zendesk.quirks.refresh_token_lifetime.as_ref().unwrap();
    assert_eq!(
        lifetime.response_field.as_deref(),
        Some("refresh_token_expires_in")
    );
    assert!(
        zendesk
            .quirks
            .token_params
            .iter()
            .any(|(k, _)| k == "expires_in")
    );
}

#[tokio::test]
async fn zoho_exchanges_and_refreshes_at_the_accounts_server_of_the_redirect() {
    let zoho = resolve("zoho", json!({})).await;
    let mut values = zoho.connection_values(&BTreeMap::new()).unwrap();
    assert_eq!(
        zoho.endpoints.authorize.fill(&values).unwrap().as_str(),
        "https://accounts.zoho.com/oauth/v2/auth"
    );
    assert!(
        zoho.endpoints.token.fill(&values).is_err(),
        "known only after the redirect"
    );
    let redirect = [
        ("code".to_string(), "1000.x".to_string()),
        ("location".to_string(), "eu".to_string()),
        (
            "accounts-server".to_string(),
            "https://accounts.zoho.eu".to_string(),
        ),
    ];
    let captured = zoho.capture_redirect(&redirect).unwrap();
    assert_eq!(
        captured.public["accounts_server"],
        "https://accounts.zoho.eu"
    );
    values.add(&captured);
    let endpoints = zoho.endpoints_for(&values).unwrap();
    assert_eq!(
        endpoints.token.as_str(),
        "https://accounts.zoho.eu/oauth/v2/token"
    );
    assert_eq!(
        endpoints.refresh.as_str(),
        "https://accounts.zoho.eu/oauth/v2/token"
    );
    assert_eq!(
        endpoints.revocation.unwrap().as_str(),
        "https://accounts.zoho.eu/oauth/v2/token/revoke"
    );
    let forged = [(
        "accounts-server".to_string(),
        "https://evil.example".to_string(),
    )];
    let err = zoho.capture_redirect(&forged).unwrap_err();
    assert!(matches!(err, ConnectionError::Mismatch { .. }), "{err}");
    let err = zoho.capture_redirect(&[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the provider's redirect lacks \"accounts-server\""
    );

    let Value::Object(body) = json!({"access_token": "x", "api_domain": "https://www.zohoapis.eu"})
    else {
        unreachable!()
    };
    let captured = zoho.capture_token(&body).unwrap();
    assert_eq!(captured.public["api_domain"], "https://www.zohoapis.eu");
    let stored = zoho
        .stored_values(&supplied(&[(
            "accounts_server",
            "https://accounts.zoho.in",
        )]))
        .unwrap();
    assert_eq!(
        zoho.endpoints.refresh.fill(&stored).unwrap().as_str(),
        "https://accounts.zoho.in/oauth/v2/token"
    );
}

#[tokio::test]
async fn quickbooks_and_salesforce_keep_what_the_token_alone_does_not_carry() {
    let quickbooks = resolve("quickbooks", json!({})).await;
    let redirect = [("realmId".to_string(), "9130350000000000".to_string())];
    let captured = quickbooks.capture_redirect(&redirect).unwrap();
    assert_eq!(captured.public["realm_id"], "9130350000000000");
    let lifetime = quickbooks.quirks.refresh_token_lifetime.clone().unwrap();
    assert_eq!(lifetime.since, LifetimeStart::LastUse);
    assert_eq!(lifetime.seconds, Some(100 * 86_400));

    let salesforce = resolve("salesforce", json!({})).await;
    let Value::Object(body) =
        json!({"access_token": "x", "instance_url": "https://acme.my.salesforce.com"})
    else {
        unreachable!()
    };
    let captured = salesforce.capture_token(&body).unwrap();
    assert_eq!(
        captured.public["instance_url"],
        "https://acme.my.salesforce.com"
    );
    assert_eq!(
        salesforce.quirks.assumed_access_token_lifetime,
        Some(std::time::Duration::from_secs(3600))
    );
}

#[tokio::test]
async fn a_reconnect_supplies_what_the_first_start_supplied_and_nothing_else() {
    let zendesk = resolve("zendesk", json!({})).await;
    let metadata = supplied(&[("subdomain", "acme"), ("other", "x")]);
    assert_eq!(
        zendesk.connection.supplied_by_start(&metadata),
        supplied(&[("subdomain", "acme")])
    );
    // Captured values are not parameters; values the client fixes are not a start's to give.
    let salesforce = resolve("salesforce", json!({})).await;
    let captured = supplied(&[("instance_url", "https://acme.my.salesforce.com")]);
    assert!(
        salesforce
            .connection
            .supplied_by_start(&captured)
            .is_empty()
    );
    let okta = resolve(
        "okta",
        json!({"connection": {"org_url": "https://dev-1.okta.com"}}),
    )
    .await;
    let fixed = supplied(&[("org_url", "https://dev-1.okta.com")]);
    assert!(okta.connection.supplied_by_start(&fixed).is_empty());
}

#[tokio::test]
async fn okta_and_keycloak_take_their_server_from_the_client_not_from_a_start() {
    let okta = resolve("okta", json!({})).await;
    let err = okta.fixed_endpoints().unwrap_err();
    assert!(
        matches!(&err, ConnectionError::MissingParameter { name, .. } if name == "org_url"),
        "{err}"
    );
    let okta = resolve(
        "okta",
        json!({"connection": {"org_url": "https://dev-1.okta.com"}}),
    )
    .await;
    assert_eq!(
        okta.fixed_endpoints().unwrap().token.as_str(),
        "https://dev-1.okta.com/oauth2/default/v1/token"
    );
    let err = okta
        .connection_values(&supplied(&[("org_url", "https://evil.example")]))
        .unwrap_err();
    assert!(matches!(err, ConnectionError::PerClient { .. }), "{err}");

    let keycloak = resolve(
        "keycloak",
        json!({"connection": {"server": "https://sso.example.org", "realm": "acme"}}),
    )
    .await;
    assert_eq!(
        keycloak.fixed_endpoints().unwrap().authorize.as_str(),
        "https://sso.example.org/realms/acme/protocol/openid-connect/auth"
    );
    let Value::Object(bad) = json!({"connection": {"server": "http://sso.example.org"}}) else {
        unreachable!()
    };
    let err = shipped()
        .resolve("keycloak", None, &bad, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::ClientOptions { field, .. } if field == "options.connection.server"),
        "{err}"
    );
}

#[tokio::test]
async fn request_quirks_are_read_from_the_files() {
    let atlassian = resolve("atlassian", json!({})).await;
    let params: Vec<_> = atlassian.quirks.authorize_params.iter().collect();
    assert_eq!(params, [("audience", "api.atlassian.com")]);
    let dropbox = resolve("dropbox", json!({})).await;
    assert!(dropbox.quirks.pkce);
    assert_eq!(dropbox.quirks.token_response, TokenResponseFormat::Json);
    let hubspot = resolve("hubspot", json!({})).await;
    assert_eq!(hubspot.token_auth_method, TokenAuthMethod::ClientSecretPost);

    // Calendly: Basic at the token endpoint, the credentials in the revocation's body.
    let calendly = resolve("calendly", json!({})).await;
    assert_eq!(
        calendly.token_auth_method,
        TokenAuthMethod::ClientSecretBasic
    );
    let revocation = &calendly.quirks.revocation;
    assert_eq!(
        revocation.auth_method,
        Some(TokenAuthMethod::ClientSecretPost)
    );
    assert_eq!(revocation.body, RevocationBody::Form);
    // Notion: a JSON body with its API version.
    let notion = resolve("notion", json!({})).await;
    let revocation = &notion.quirks.revocation;
    assert_eq!(revocation.auth_method, None);
    assert_eq!(revocation.body, RevocationBody::Json);
    let headers: Vec<_> = revocation.headers.iter().collect();
    assert_eq!(headers, [("Notion-Version", "2025-09-03")]);
    assert_eq!(
        notion
            .fixed_endpoints()
            .unwrap()
            .revocation
            .unwrap()
            .as_str(),
        "https://api.notion.com/v1/oauth/revoke"
    );
    // Everyone else: RFC 7009's form, authenticated as at the token endpoint.
    assert_eq!(hubspot.quirks.revocation, Default::default());
    // HubSpot's date-versioned OAuth API (its v1 token URL ends on 2027-02-16).
    let endpoints = hubspot.fixed_endpoints().unwrap();
    assert_eq!(
        endpoints.token.as_str(),
        "https://api.hubapi.com/oauth/2026-03/token"
    );
    assert_eq!(
        endpoints.revocation.unwrap().as_str(),
        "https://api.hubapi.com/oauth/2026-03/token/revoke"
    );

    // Shopify's expiring offline tokens: asked for at the exchange, refresh token rotated with
    // 90 days from each use.
    let shopify = resolve("shopify", json!({})).await;
    let params: Vec<_> = shopify.quirks.token_params.iter().collect();
    assert_eq!(params, [("expiring", "1")]);
    let lifetime = shopify.quirks.refresh_token_lifetime.clone().unwrap();
    assert_eq!(lifetime.seconds, Some(90 * 86_400));
    assert_eq!(lifetime.since, LifetimeStart::LastUse);
}

/// A provider file: the JSON of `extra` merged into a minimal valid definition.
fn file(extra: Value) -> String {
    let mut base = json!({"title": "Acme", "options": {
        "urlAuthorize": "https://a.example/authorize", "urlAccessToken": "https://a.example/token"}});
    let (Value::Object(base_map), Value::Object(extra)) = (&mut base, extra) else {
        unreachable!()
    };
    for (k, v) in extra {
        match (base_map.get_mut(&k), v) {
            (Some(Value::Object(into)), Value::Object(from)) => into.extend(from),
            (_, v) => {
                base_map.insert(k, v);
            }
        }
    }
    base.to_string()
}

fn refused(extra: Value) -> String {
    ProviderDefinition::parse("acme.json", &file(extra))
        .map(|_| ())
        .unwrap_err()
        .to_string()
}

#[test]
fn the_quirk_keys_parse_and_their_errors_name_file_and_key() {
    let def = ProviderDefinition::parse(
        "acme.json",
        &file(json!({
            "pkce": false, "tokenResponse": "form",
            "authorizeParams": {"audience": "x"}, "tokenHeaders": {"X-Api-Version": "2"},
            "assumedAccessTokenLifetime": 7200,
            "refreshTokenLifetime": {"seconds": 86400, "since": "lastUse"}})),
    )
    .unwrap();
    let quirks = def.quirks();
    assert!(!quirks.pkce);
    assert_eq!(quirks.token_response, TokenResponseFormat::Form);

    let cases = [
        (json!({"pkse": false}), "acme.json: pkse"),
        (json!({"tokenResponse": "xml"}), "acme.json: tokenResponse"),
        (
            json!({"authorizeParams": {"client_id": "x"}}),
            "acme.json: authorizeParams",
        ),
        (
            json!({"tokenHeaders": {"Authorization": "x"}}),
            "acme.json: tokenHeaders",
        ),
        (
            json!({"refreshTokenLifetime": {"since": "lastUse"}}),
            "acme.json: refreshTokenLifetime",
        ),
        (
            json!({"documentation": "http://a.example/doc"}),
            "acme.json: documentation",
        ),
        (
            json!({"connectionParameters": {"shop": {"description": "d", "pattern": "[a-z", "example": "a"}}}),
            "acme.json: connectionParameters.shop.pattern",
        ),
        (
            json!({"connectionParameters": {"shop": {"description": "d", "pattern": "[a-z]+", "example": "A1"}}}),
            "acme.json: connectionParameters.shop.example",
        ),
        (
            json!({"options": {"urlAccessToken": "https://{{connection.shopp}}.a.example/t"}}),
            "acme.json: options.urlAccessToken",
        ),
        (
            json!({"captureFromRedirect": {"accounts-server": {"secret": false}}}),
            "acme.json: captureFromRedirect.accounts-server",
        ),
        (
            json!({"revocation": {"body": "xml"}}),
            "acme.json: revocation.body",
        ),
        (
            json!({"revocation": {"headers": {"Authorization": "x"}}}),
            "acme.json: revocation.headers",
        ),
        (
            json!({"revocation": {"authMethod": "private_key_jwt"}}),
            "acme.json: revocation.authMethod",
        ),
        (
            json!({"captureFromToken": {"team..id": {"secret": false, "as": "team_id"}}}),
            "acme.json: captureFromToken.team..id",
        ),
        (
            json!({"captureFromToken": {"team.id": {"secret": false}}}),
            "acme.json: captureFromToken.team.id",
        ),
    ];
    for (extra, expected) in cases {
        let msg = refused(extra.clone());
        let prefix = format!("provider file {expected}");
        assert!(msg.starts_with(&prefix), "{extra}: {msg}");
    }
}

#[test]
fn a_url_may_name_only_values_known_when_it_is_used_and_never_a_secret() {
    let capture = |secret: bool| {
        json!({"captureFromToken": {"instance_url": {"secret": secret,
            "pattern": "https://[a-z.]+", "example": "https://x.example"}}})
    };
    let mut early = capture(false);
    early["options"] = json!({"urlAccessToken": "{{connection.instance_url}}/token"});
    let msg = refused(early);
    assert!(msg.contains("captured after this URL is used"), "{msg}");

    let mut secret = capture(true);
    secret["options"] = json!({"urlRevokeToken": "{{connection.instance_url}}/revoke"});
    let msg = refused(secret);
    assert!(msg.contains("acme.json: options.urlRevokeToken"), "{msg}");
    assert!(msg.contains("secret"), "{msg}");

    let start_origin = json!({
        "connectionParameters": {"server": {"description": "d", "pattern": "https://.+", "example": "https://a.example"}},
        "options": {"urlAccessToken": "{{connection.server}}/token"}});
    let msg = refused(start_origin);
    assert!(msg.contains("whole origin"), "{msg}");

    let mut fine = capture(false);
    fine["options"] = json!({"urlRevokeToken": "{{connection.instance_url}}/revoke"});
    assert!(ProviderDefinition::parse("acme.json", &file(fine)).is_ok());
}

#[test]
fn the_book_shows_the_table_the_code_generates() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/book/src/provider-catalogue.md");
    let book = std::fs::read_to_string(&path).unwrap();
    let table = markdown_table(&shipped());
    assert!(
        book.contains(&table),
        "docs/book/src/provider-catalogue.md is stale: put the output of \
         `authbridge providers table --markdown` (run without AUTHBRIDGE_PROVIDERS_DIR) in it"
    );
}

#[test]
fn the_table_names_each_quirk() {
    let table = markdown_table(&shipped());
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("{name} has a row"))
            .to_string()
    };
    assert!(row("zoho").contains("captures `accounts-server` from the redirect"));
    assert!(row("shopify").contains("parameter `shop` (set by the start)"));
    assert!(row("xero").contains("refresh token lives 60 days from its last use"));
    assert!(row("salesforce").contains("access token assumed to live 1 h"));
    assert!(row("slack").contains("scopes joined by `,`"));
    assert!(row("github").contains("<https://docs.github.com/"));
    let _ = Map::<String, Value>::new();
}

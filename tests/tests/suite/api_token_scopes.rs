//! Scoped API tokens: a token touches only the connections its scope names (tags, owners,
//! clients). A read outside the scope answers exactly as an unknown tag does (404), a listing
//! shows only what the token may see, and a start, grant or replace outside it is refused (403
//! naming the scope). Against the test command's authorization server, on both stores.

use authbridge::api_tokens;
use authbridge::domain::{Endpoint, IpRestriction, Patterns, Scope};
use authbridge::secrets::{ExposeSecret, SecretString};
use authbridge_tests::stack::{self, TestStack};
use authbridge_tests::tokens::{self, Answer, send};
use authbridge_tests::{Backend, oidc, on_both_backends};
use serde_json::{Value, json};

/// A token allowed every endpoint within `scope`; its value.
async fn scoped_token(s: &TestStack, name: &str, scope: Scope) -> SecretString {
    let (_, value) = api_tokens::create(
        s.stack.app.stores.api_tokens.as_ref(),
        &authbridge_tests::stack::api_token_name(name),
        Endpoint::ALL.to_vec(),
        IpRestriction::Any,
        scope,
    )
    .await
    .expect("creating a scoped token");
    value
}

fn scope(tags: &str, owners: &str) -> Scope {
    Scope {
        tags: Patterns::parse(tags).unwrap(),
        owners: Patterns::parse(owners).unwrap(),
        clients: Patterns::any(),
    }
}

async fn get(s: &TestStack, token: &SecretString, path: &str) -> Answer {
    send(
        stack::http()
            .get(s.url(path))
            .bearer_auth(token.expose_secret()),
    )
    .await
}

async fn post(s: &TestStack, token: &SecretString, path: &str, body: Value) -> Answer {
    send(
        stack::http()
            .post(s.url(path))
            .bearer_auth(token.expose_secret())
            .json(&body),
    )
    .await
}

/// The tags of a `GET /connections` answer.
fn listed(answer: &Answer) -> Vec<String> {
    assert_eq!(answer.0, 200, "{}", answer.2);
    let mut tags: Vec<String> = answer.2["connections"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["tag"].as_str().expect("a tag").to_string())
        .collect();
    tags.sort();
    tags
}

async fn a_tag_scope_reaches_its_own_connections_only(b: Backend) {
    let Some(issuer) = oidc::issuer() else {
        return;
    };
    let (s, _) = tokens::stack_on(b, &issuer).await;
    let a = tokens::connect(&s, "site-a:x").await;
    let client = a.client_id.as_str().to_string();
    let b_done = s.connect_as(&client, "site-b:y", "bob", json!({})).await;
    assert_eq!(b_done.status(), 200, "site-b:y connected");
    let b_version = tokens::record(&s, "site-b:y").await.version;
    let site_a = scoped_token(&s, "site-a", scope("site-a:*", "*")).await;

    // Reads: its own tag answers; another site's tag answers as a tag that does not exist.
    let own = get(&s, &site_a, "/tokens/site-a:x").await;
    assert_eq!(own.0, 200, "{}", own.2);
    assert!(own.2["access_token"].is_string());
    let other = get(&s, &site_a, "/tokens/site-b:y").await;
    let unknown = get(&s, &site_a, "/tokens/site-b:none").await;
    assert_eq!(other.0, 404, "{}", other.2);
    assert_eq!(
        other.2.to_string().replace("site-b:y", "T"),
        unknown.2.to_string().replace("site-b:none", "T"),
        "out of scope reads exactly as unknown"
    );
    let mail = get(&s, &site_a, "/tokens/site-b:y/mail").await;
    assert_eq!(mail.0, 404, "{}", mail.2);
    let refresh = send(
        stack::http()
            .post(s.url("/tokens/site-b:y/refresh"))
            .bearer_auth(site_a.expose_secret())
            .header("if-match", "\"1\""),
    )
    .await;
    assert_eq!(refresh.0, 404, "{}", refresh.2);

    // The listing holds only its own connections; the unscoped test token still sees both.
    assert_eq!(
        listed(&get(&s, &site_a, "/connections").await),
        ["site-a:x"]
    );
    let all = send(
        stack::http()
            .get(s.url("/connections"))
            .bearer_auth(stack::TEST_API_TOKEN),
    )
    .await;
    assert_eq!(listed(&all), ["site-a:x", "site-b:y"]);

    // Writes outside the scope are refused and name the scope; nothing is made or replaced.
    for body in [
        json!({"client": client, "tag": "site-b:new"}),
        json!({"client": client, "tag": "site-b:y", "replace": true}),
        json!({"client": client}),
    ] {
        let refused = post(&s, &site_a, "/oauth/start", body.clone()).await;
        assert_eq!(refused.0, 403, "{body}: {}", refused.2);
        assert_eq!(refused.2["error"], "out_of_scope");
        assert!(
            refused.2["message"].as_str().unwrap().contains("site-a:*"),
            "{}",
            refused.2
        );
    }
    let grant = post(
        &s,
        &site_a,
        "/oauth/token",
        json!({"client": client, "grant": "client_credentials", "tag": "site-b:cc"}),
    )
    .await;
    assert_eq!(grant.0, 403, "{}", grant.2);
    assert_eq!(grant.2["error"], "out_of_scope");
    assert!(tokens::stored(&s, "site-b:new").await.is_none());
    assert!(tokens::stored(&s, "site-b:cc").await.is_none());
    assert_eq!(
        tokens::record(&s, "site-b:y").await.version,
        b_version,
        "site-b:y untouched"
    );

    // Within the scope a replace is allowed.
    let replace = post(
        &s,
        &site_a,
        "/oauth/start",
        json!({"client": client, "tag": "site-a:x", "replace": true}),
    )
    .await;
    assert_eq!(replace.0, 200, "{}", replace.2);
}

async fn an_owner_scope_cannot_take_over_another_owners_connection(b: Backend) {
    let Some(issuer) = oidc::issuer() else {
        return;
    };
    let (s, _) = tokens::stack_on(b, &issuer).await;
    let mail = tokens::connect(&s, "MailSettings:3").await;
    let client = mail.client_id.as_str().to_string();
    let done = s
        .connect_as(
            &client,
            "contact:7:mail",
            "carol",
            json!({"owner": "contact:7"}),
        )
        .await;
    assert_eq!(done.status(), 200);
    let contacts = scoped_token(&s, "contacts", scope("*", "contact:*")).await;

    // The site-wide mailbox (no owner) is out of reach: no read, no replace, no listing.
    assert_eq!(get(&s, &contacts, "/tokens/MailSettings:3").await.0, 404);
    let takeover = post(
        &s,
        &contacts,
        "/oauth/start",
        json!({"client": client, "tag": "MailSettings:3", "replace": true, "owner": "contact:8"}),
    )
    .await;
    assert_eq!(takeover.0, 403, "{}", takeover.2);
    assert_eq!(takeover.2["error"], "out_of_scope");
    // A new connection must name an owner within the scope.
    let ownerless = post(
        &s,
        &contacts,
        "/oauth/start",
        json!({"client": client, "tag": "contact:9:mail"}),
    )
    .await;
    assert_eq!(ownerless.0, 403, "{}", ownerless.2);
    let owned = post(
        &s,
        &contacts,
        "/oauth/start",
        json!({"client": client, "tag": "contact:9:mail", "owner": "contact:9"}),
    )
    .await;
    assert_eq!(owned.0, 200, "{}", owned.2);
    // Its own contact's connection reads and lists.
    assert_eq!(get(&s, &contacts, "/tokens/contact:7:mail").await.0, 200);
    assert_eq!(
        listed(&get(&s, &contacts, "/connections").await),
        ["contact:7:mail"]
    );
    assert_eq!(
        listed(&get(&s, &contacts, "/connections?owner=contact:7").await),
        ["contact:7:mail"]
    );
    // The record that was not its to touch is unchanged.
    let after = tokens::record(&s, "MailSettings:3").await;
    assert_eq!(after.version, mail.version);
    assert_eq!(after.owner, None);
}

on_both_backends!(
    a_tag_scope_reaches_its_own_connections_only,
    an_owner_scope_cannot_take_over_another_owners_connection,
);

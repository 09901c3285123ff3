//! Captured values read from a token response: dotted keys into nested objects (Slack), numbers
//! as written, and a refresh answer that carries values again.

use serde_json::{Map, Value, json};

use super::*;
use crate::providers::test_idp::test_http;
use crate::providers::{ConnectionError, ProviderRegistry};

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("an object"),
    }
}

async fn shipped(name: &str) -> ResolvedProvider {
    ProviderRegistry::shipped(test_http())
        .unwrap()
        .resolve(name, None, &Map::new(), None)
        .await
        .unwrap()
}

#[test]
fn a_dotted_key_reads_nested_members_and_a_whole_name_wins() {
    let body = object(json!({
        "team": {"id": "T9TK3CUKW", "name": "Softball"},
        "authed_user": {"id": "U1234"},
        "hub": {"id": 42},
        "a.b": "whole",
        "a": {"b": "nested"},
        "enterprise": null,
        "deep": {"list": [1]}
    }));
    assert_eq!(member(&body, "team.id").as_deref(), Some("T9TK3CUKW"));
    assert_eq!(member(&body, "authed_user.id").as_deref(), Some("U1234"));
    assert_eq!(
        member(&body, "hub.id").as_deref(),
        Some("42"),
        "a number as written"
    );
    assert_eq!(member(&body, "a.b").as_deref(), Some("whole"));
    assert_eq!(member(&body, "enterprise.id"), None, "null is no value");
    assert_eq!(member(&body, "deep.list"), None, "a list is no value");
    assert_eq!(member(&body, "team.missing"), None);
    assert_eq!(member(&body, "team"), None, "an object is no value");
}

#[tokio::test]
async fn slack_keeps_its_team_and_user_from_the_nested_answer() {
    let slack = shipped("slack").await;
    let answer = object(json!({
        "ok": true, "access_token": "xoxb-1", "token_type": "bot",
        "team": {"id": "T9TK3CUKW", "name": "Softball"},
        "authed_user": {"id": "U1234", "scope": "chat:write"},
        "enterprise": null
    }));
    let captured = slack.capture_token(&answer).unwrap();
    assert_eq!(captured.public["team_id"], "T9TK3CUKW");
    assert_eq!(captured.public["authed_user_id"], "U1234");
    assert!(!captured.public.contains_key("enterprise_id"), "optional");
    let no_team = object(json!({"access_token": "xoxb-1", "token_type": "bot"}));
    let err = slack.capture_token(&no_team).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the provider's token response lacks \"team.id\""
    );
}

#[tokio::test]
async fn a_refresh_answer_replaces_what_it_carries_and_keeps_the_rest() {
    let salesforce = shipped("salesforce").await;
    let moved =
        object(json!({"access_token": "x", "instance_url": "https://acme2.my.salesforce.com"}));
    let captured = salesforce.recapture_token(&moved).unwrap();
    assert_eq!(
        captured.public["instance_url"],
        "https://acme2.my.salesforce.com"
    );
    // Required at the connection, but a refresh answer may leave it out: nothing to replace.
    let silent = object(json!({"access_token": "x"}));
    assert!(salesforce.capture_token(&silent).is_err());
    assert!(
        salesforce
            .recapture_token(&silent)
            .unwrap()
            .public
            .is_empty()
    );
    // A value that breaks its pattern is refused, never stored.
    let forged = object(json!({"access_token": "x", "instance_url": "http://evil.example/x"}));
    let err = salesforce.recapture_token(&forged).unwrap_err();
    assert!(matches!(err, ConnectionError::Mismatch { .. }), "{err}");
}

//! Events when a connection changes, against real peers: EventBridge in the emulator (a rule on
//! authbridge's bus sends every event to an SQS queue the test reads), and a webhook receiver in
//! the test that checks each delivery's signature the way the book tells receivers to
//! (`docs/book/src/events.md`).

use authbridge_tests::tokens::tag_of;
use std::time::Duration;

use authbridge::events::EventSettings;
use authbridge::events::webhook::verify;
use authbridge::oauth::records::field;
use authbridge_tests::oidc::{self, CODE_CLIENT_BASIC};
use authbridge_tests::stack::{self, StackOptions, TEST_API_TOKEN, TestStack};
use authbridge_tests::webhook::{HOOK_KEY, SilentReceiver, receiver, settings as webhook_settings};
use authbridge_tests::{
    Backend, dynamo_backend, emulator_endpoint, eventbridge_client, sqlite_backend, tokens, unique,
};
use serde_json::{Value, json};

const PROVIDER: &str = stack::TEST_PROVIDER;

async fn stack_with(backend: Backend, events: EventSettings) -> Option<TestStack> {
    stack::start_on_test_server(
        backend,
        StackOptions {
            events,
            ..Default::default()
        },
    )
    .await
}

/// One call of the emulator's SQS JSON protocol.
async fn sqs(endpoint: &str, action: &str, body: Value) -> Value {
    let answer = reqwest::Client::new()
        .post(endpoint)
        .header("x-amz-target", format!("AmazonSQS.{action}"))
        // The emulator picks the service by the credential scope; it checks no signature.
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0",
        )
        .header("content-type", "application/x-amz-json-1.0")
        .body(body.to_string())
        .send()
        .await
        .expect("the emulator answers");
    assert!(
        answer.status().is_success(),
        "SQS {action}: {}",
        answer.status()
    );
    answer.json().await.unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_events_reach_eventbridge() {
    let Some(endpoint) = emulator_endpoint() else {
        return;
    };
    // A bus, and a rule sending every authbridge event on it to a queue.
    let bus = unique("authbridge-bus");
    let queue = unique("authbridge-events");
    let events = eventbridge_client(&endpoint);
    events.create_event_bus().name(&bus).send().await.unwrap();
    let queue_url = sqs(&endpoint, "CreateQueue", json!({"QueueName": queue})).await["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let queue_arn = format!("arn:aws:sqs:us-east-1:123456789012:{queue}");
    events
        .put_rule()
        .event_bus_name(&bus)
        .name("all")
        .event_pattern(r#"{"source": ["authbridge"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .event_bus_name(&bus)
        .rule("all")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(&queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let Some(backend) = dynamo_backend().await else {
        return;
    };
    let settings = EventSettings {
        bus: Some(bus.clone()),
        ..Default::default()
    };
    let Some(s) = stack_with(backend, settings).await else {
        return;
    };
    let client = s.register_code_client(CODE_CLIENT_BASIC.secret).await;
    let done = s
        .connect_as(
            client.id.as_str(),
            "evt",
            "ivy",
            json!({"owner": "contact:9"}),
        )
        .await;
    assert_eq!(done.status(), 200);
    // The user revokes the grant at the provider; the next refresh is refused.
    let first = tokens::record(&s, "evt").await;
    let refresh = tokens::open(&s, &first, field::REFRESH_TOKEN).await;
    let issuer = oidc::issuer().unwrap();
    let revoked = reqwest::Client::new()
        .post(format!("{issuer}/token/revocation"))
        .basic_auth(CODE_CLIENT_BASIC.id, Some(CODE_CLIENT_BASIC.secret))
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success());
    tokens::age(&s, "evt", 7200).await;
    let refused = stack::http()
        .get(s.url("/tokens/evt"))
        .bearer_auth(TEST_API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    authbridge::oauth::connections::delete_connection(&s.stack.oauth, &tag_of("evt"))
        .await
        .unwrap()
        .expect("deleted");

    // Every event arrives, in EventBridge's envelope, with nothing secret in it.
    let mut seen: Vec<Value> = Vec::new();
    for _ in 0..20 {
        let got = sqs(
            &endpoint,
            "ReceiveMessage",
            json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1}),
        )
        .await;
        for message in got["Messages"].as_array().cloned().unwrap_or_default() {
            let body = message["Body"].as_str().unwrap_or_default();
            assert!(!body.contains(&refresh), "no token in an event");
            seen.push(serde_json::from_str(body).unwrap());
        }
        if seen.len() >= 3 {
            break;
        }
    }
    let types: Vec<&str> = seen
        .iter()
        .filter_map(|e| e["detail-type"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "connection.created",
            "connection.reauthorization_required",
            "connection.deleted"
        ],
        "{seen:?}"
    );
    let created = &seen[0];
    assert_eq!(created["source"], "authbridge");
    assert_eq!(created["detail"]["tag"], "evt");
    assert_eq!(created["detail"]["owner"], "contact:9");
    assert_eq!(created["detail"]["provider"], PROVIDER);
    assert_eq!(seen[1]["detail"]["error"], "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_gets_signed_events_and_a_failed_delivery_is_retried() {
    let (hook, received, server) = receiver(1).await;
    let backend = sqlite_backend();
    let settings = webhook_settings(&backend, &hook).await;
    let Some(s) = stack_with(backend, settings).await else {
        return;
    };
    let client = s.register_code_client(CODE_CLIENT_BASIC.secret).await;
    let done = s
        .connect_as(client.id.as_str(), "hooked", "jude", json!({}))
        .await;
    assert_eq!(done.status(), 200);
    tokio::time::sleep(Duration::from_millis(100)).await;

    let deliveries = received.0.lock().unwrap().clone();
    assert_eq!(
        deliveries.len(),
        2,
        "the first attempt failed and was retried"
    );
    let now = authbridge::clock::now();
    for (timestamp, signature, body) in &deliveries {
        let timestamp: i64 = timestamp.as_deref().unwrap().parse().unwrap();
        let signature = signature.as_deref().unwrap();
        let key = HOOK_KEY.as_bytes();
        assert!(
            verify(key, timestamp, body.as_bytes(), signature, now),
            "{body}"
        );
        let tampered = body.replace("hooked", "hijack");
        assert!(!verify(key, timestamp, tampered.as_bytes(), signature, now));
        let event: Value = serde_json::from_str(body).unwrap();
        assert_eq!(event["type"], "connection.created", "{body}");
        assert_eq!(event["tag"], "hooked");
    }
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migrated_and_a_synced_user_are_announced() {
    use authbridge_tests::login;
    use authbridge_tests::wordpress::{Account, WordpressStandIn};
    let (hook, received, server) = receiver(0).await;
    let site = WordpressStandIn::start(vec![Account::new(
        77,
        "mira",
        "mira@example.org",
        "Wp-Pa55word-77",
    )])
    .await;
    let backend = sqlite_backend();
    let settings = webhook_settings(&backend, &hook).await;
    let s = login::start_with(
        backend,
        Some(&site),
        authbridge::login::LoginSettings::default(),
        StackOptions {
            events: settings,
            ..Default::default()
        },
    )
    .await;
    let answer = login::login(
        &s,
        json!({"email": "mira@example.org", "password": "Wp-Pa55word-77"}),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let synced = stack::http()
        .post(s.url("/api/v1/wordpress/sync-user"))
        .bearer_auth(TEST_API_TOKEN)
        .json(&json!({"wordpress_id": 78, "email": "noor@example.org",
            "registered_at": "2024-01-02T03:04:05Z", "user_login": "noor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(synced.status(), 200);
    let events: Vec<Value> = received
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(_, _, body)| serde_json::from_str(body).unwrap())
        .collect();
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(types, ["user.migrated", "user.synced"], "{events:?}");
    for event in &events {
        assert!(event["user_id"].is_string(), "{event}");
        assert!(
            !event.to_string().contains("Pa55word"),
            "no password in an event"
        );
    }
    server.abort();
}

/// A function's own context (`AppContext::build`, as every `main.rs` builds it) makes an
/// EventBridge client when a bus is configured, and none without one.
#[tokio::test]
async fn a_function_context_sends_to_the_bus_only_when_there_is_one() {
    use authbridge::config::{AwsSettings, Backend as ConfigBackend, Config};
    use authbridge::context::AppContext;
    let Some(endpoint) = emulator_endpoint() else {
        return;
    };
    let config = |bus: Option<String>| Config {
        backend: ConfigBackend::Aws(AwsSettings {
            table: unique("authbridge-events"),
            region: Some("us-east-1".into()),
            endpoint_url: Some(endpoint.parse().expect("the emulator's URL")),
        }),
        secret_prefix: "authbridge/".into(),
        token_key_secret: "authbridge/token-key".into(),
        secret_cache_ttl: Duration::from_secs(60),
        api_token_cache_ttl: authbridge::api_tokens::cache::DEFAULT_TTL,
        events: EventSettings {
            bus,
            ..Default::default()
        },
        keys: Default::default(),
    };
    let with_bus = AppContext::build(config(Some(unique("authbridge-bus"))))
        .await
        .expect("a context with a bus");
    assert!(with_bus.events.enabled(), "a configured bus gets events");
    let without = AppContext::build(config(None))
        .await
        .expect("a context without a bus");
    assert!(!without.events.enabled(), "no bus, no webhook: no events");
}

/// A webhook receiver that never answers cannot hold a request past its invocation's deadline: the
/// delivery takes only what is left of the invocation (less the time kept to answer). Here that is
/// about 1.5 s, less than one attempt's own timeout (2 s), so the one attempt is cut short and no
/// retry starts; a delivery that ignored the deadline would make all three attempts (6.6 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_webhook_takes_only_what_is_left_of_the_invocation() {
    use authbridge::deadline::ANSWER_RESERVE;
    use authbridge::events::{WEBHOOK_ATTEMPTS, WEBHOOK_TIMEOUT};
    use lambda_http::RequestExt;
    use std::time::SystemTime;

    let hook = SilentReceiver::start().await;
    let backend = sqlite_backend();
    let settings = webhook_settings(&backend, &hook.url).await;
    let Some(s) = stack_with(backend, settings).await else {
        return;
    };
    let client = s.register_service_client().await;
    // `POST /oauth/token` as Lambda hands it to the function, with the invocation's deadline.
    let left = ANSWER_RESERVE + Duration::from_millis(1500);
    assert!(left - ANSWER_RESERVE < WEBHOOK_TIMEOUT && WEBHOOK_ATTEMPTS > 1);
    let deadline = SystemTime::now() + left;
    let body = json!({"client": client.id, "grant": "client_credentials", "scopes": ["api:read"],
        "tag": "slow-hook"});
    let mut req = lambda_http::Request::new(lambda_http::Body::from(body.to_string()));
    *req.method_mut() = lambda_http::http::Method::POST;
    *req.uri_mut() = "/oauth/token".parse().unwrap();
    let headers = req.headers_mut();
    headers.insert(
        "authorization",
        format!("Bearer {TEST_API_TOKEN}").parse().unwrap(),
    );
    headers.insert("content-type", "application/json".parse().unwrap());
    let mut lambda = lambda_http::Context::default();
    lambda.deadline = deadline
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let req = req.with_lambda_context(lambda);

    let response = authbridge::http::serve::invoke(
        s.stack.client_credentials.clone(),
        &client_credentials::handle,
        req,
    )
    .await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
    assert!(tokens::stored(&s, "slow-hook").await.is_some());
    assert!(
        hook.accepted() <= 1,
        "no webhook retry after the invocation's time ran out ({} connections)",
        hook.accepted()
    );
}

//! A provider that refuses the client itself (`invalid_client`: here a wrong client secret at the
//! test command's authorization server) is told apart from an outage: the record keeps its grant
//! (not `reauthorization_required`), the failure is typed `client_rejected` and backed off, callers
//! get 502 `client_rejected` naming the provider's code, and one log line names the client and
//! provider, with no secret.

use authbridge::domain::token::{FailureKind, TokenStatus};
use authbridge::secrets::SecretString;
use authbridge_tests::logs::Captured;

use authbridge_tests::tokens::{self, PROVIDER, age, connect, get_token, record};
use authbridge_tests::{oidc, sqlite_backend};

const WRONG_SECRET: &str = "wrong-secret-3f9a1c";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_client_is_a_misconfiguration_not_an_outage() {
    let turn = Captured::turn().await;
    let captured = &turn.captured;
    let Some(issuer) = oidc::issuer() else { return };
    let (s, proxy) = tokens::stack_on(sqlite_backend(), &issuer).await;
    let tag = "misconfigured";
    let connected = connect(&s, tag).await;
    let client = s
        .stack
        .app
        .stores
        .clients
        .get_client(&connected.client_id)
        .await
        .unwrap()
        .expect("the client");
    // Someone rotates the secret at the provider but not here.
    s.stack
        .app
        .secrets
        .put_secret(
            &client.secret_name(&s.stack.app.config.secret_prefix),
            &SecretString::from(WRONG_SECRET),
        )
        .await
        .unwrap();
    let left = connected.expires.expect("an expiry") - authbridge::clock::now();
    age(&s, tag, left + 1).await;
    captured.take();

    let (status, _, body) = get_token(&s, tag).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"], "client_rejected");
    assert_eq!(body["provider_error"], "invalid_client");
    assert_eq!(body["client"], client.id.as_str());
    assert_eq!(proxy.refreshes(), 1);

    let after = record(&s, tag).await;
    assert_eq!(after.status, TokenStatus::Active, "the grant is not lost");
    let failure = after.error.clone().expect("a failure");
    assert_eq!(failure.kind, FailureKind::ClientRejected);
    assert_eq!(failure.error, "invalid_client");
    assert!(after.backing_off(authbridge::clock::now()), "backed off");
    assert!(after.refresh_token.is_some());

    // Inside the backoff: the same answer, without calling the provider again.
    let (status, _, body) = get_token(&s, tag).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"], "client_rejected");
    assert_eq!(proxy.refreshes(), 1);

    let logs = captured.take();
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("refused the client itself"))
        .collect();
    assert_eq!(lines.len(), 1, "one log line: {logs}");
    let line = lines[0];
    assert!(
        line.contains(client.id.as_str()) && line.contains(PROVIDER),
        "{line}"
    );
    assert!(line.contains("\"level\":\"ERROR\""), "{line}");
    assert!(!logs.contains(WRONG_SECRET), "no secret in the logs");
    assert!(
        !logs.contains(oidc::CODE_CLIENT_BASIC.secret),
        "no secret in the logs"
    );
}

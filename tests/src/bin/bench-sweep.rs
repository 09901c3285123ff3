//! `bench-sweep`: how the scheduled sweep scales. Fills a store with N token records of which 1 %
//! are due, runs one sweep against a local token endpoint, and prints the items the sweep read, its
//! wall time and refreshes per second. The items read must grow with the number due, not with the
//! number stored.
//!
//! `cargo run --profile measure -p authbridge-tests --bin bench-sweep -- [--tokens N]... [--emulator-tokens N]...`
//! (`./infra/bench.sh` runs the documented set).

use std::time::{Duration, Instant};

use authbridge::clients::{ClientAdmin, NewClient};
use authbridge::clock;
use authbridge::config::{Backend as ConfigBackend, Config};
use authbridge::context::AppContext;
use authbridge::domain::ClientId;
use authbridge::domain::token::StoredToken;
use authbridge::oauth::OAuthContext;
use authbridge::oauth::landing::LandingAllowlist;
use authbridge::oauth::outbound::{OutboundHttp, Timeouts};
use authbridge::oauth::refresh::Refresher;
use authbridge::oauth::settings::OAuthSettings;
use authbridge::oauth::sweep::{self, SweepOptions};
use authbridge::providers::ProviderRegistry;
use authbridge::secrets::SecretString;
use authbridge_tests::tokens::sample_record;
use futures::StreamExt;

fn token(
    i: usize,
    client: &ClientId,
    sealed: &authbridge::domain::token::Sealed,
    due: bool,
) -> StoredToken {
    let now = clock::now();
    StoredToken {
        client_id: client.clone(),
        grant_type: "client_credentials".into(),
        scopes: vec!["read".into()],
        access_token: Some(sealed.clone()),
        resource_owner_name: None,
        due_at: Some(if due { now - 60 } else { now + 3000 }),
        ..sample_record(&format!("bench:{i:07}"))
    }
}

/// A token endpoint that answers every client-credentials request at once.
async fn token_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    let app = axum::Router::new().route(
        "/token",
        axum::routing::post(|| async {
            axum::Json(serde_json::json!({"access_token": "bench-token", "token_type": "Bearer", "expires_in": 3600}))
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

async fn run(label: &str, backend: authbridge_tests::Backend, n: usize, endpoint: &str) {
    let dir = tempfile::tempdir().expect("a folder");
    std::fs::write(
        dir.path().join("bench.json"),
        serde_json::json!({"title": "Bench", "options": {
            "urlAuthorize": format!("{endpoint}/authorize"), "urlAccessToken": format!("{endpoint}/token")}})
        .to_string(),
    )
    .expect("a provider file");
    let prefix = format!("{}/", authbridge_tests::unique("bench"));
    let config = Config {
        backend: ConfigBackend::Embedded {
            path: dir.path().join("unused.db"),
        },
        token_key_secret: format!("{prefix}token-key"),
        secret_prefix: prefix,
        secret_cache_ttl: Duration::from_secs(600),
        api_token_cache_ttl: authbridge::api_tokens::cache::DEFAULT_TTL,
        events: Default::default(),
        // The sweep is timed alone: no re-seal (the records share one placeholder value).
        keys: authbridge::config::KeySettings {
            reseal_batch: 0,
            ..Default::default()
        },
    };
    backend
        .secrets
        .put_secret(
            &config.token_key_secret,
            &SecretString::from("k".repeat(64)),
        )
        .await
        .expect("a key");
    let app = AppContext {
        config,
        stores: backend.stores.clone(),
        secrets: backend.secrets.clone(),
        events: Default::default(),
        sdk: None,
    };
    let http = OutboundHttp::new(Timeouts::default()).expect("an HTTP client");
    let providers =
        ProviderRegistry::load(Some(dir.path()), http.client().clone()).expect("providers");
    let settings = OAuthSettings {
        public_url: None,
        redirect_url: None,
        landing_allowlist: LandingAllowlist::default(),
        flow_ttl: Duration::from_secs(600),
        timeouts: Timeouts::default(),
        expiring_window: authbridge::oauth::settings::DEFAULT_EXPIRING_WINDOW,
        client_cache_ttl: authbridge::oauth::settings::DEFAULT_CLIENT_CACHE_TTL,
    };
    let ctx = OAuthContext::new(app, settings, providers, http);
    let client = ClientAdmin {
        app: &ctx.app,
        providers: &ctx.providers,
    }
    .create(NewClient {
        provider: "bench".into(),
        guid: "bench".into(),
        secret: Some(SecretString::from("s3cret")),
        tenant: None,
        options: Default::default(),
    })
    .await
    .expect("a client");
    let sealed = ctx
        .keyring()
        .await
        .expect("the keyring")
        .sealing()
        .await
        .expect("the keys")
        .seal(
            authbridge::keys::RecordId {
                tag: &authbridge_tests::tokens::tag_of("bench"),
                connection: "bench",
            },
            "access_token",
            &SecretString::from("x"),
        )
        .expect("a sealed value");

    let fill = Instant::now();
    let store = ctx.app.stores.tokens.clone();
    futures::stream::iter(0..n)
        .map(|i| {
            let store = store.clone();
            let record = token(i, &client.id, &sealed, i % 100 == 0);
            async move { store.create_token(&record).await }
        })
        .buffer_unordered(16)
        .for_each(|r| async move { r.expect("filling the store") })
        .await;
    let filled = fill.elapsed();

    let refresher = Refresher::default();
    let started = Instant::now();
    let summary = sweep::sweep(
        &ctx,
        &refresher,
        SweepOptions::within(Duration::from_secs(600), Duration::ZERO, 8),
    )
    .await;
    let wall = started.elapsed();
    println!(
        "{label:<22} stored {n:>7}  due {:>5}  read {:>5}  refreshed {:>5}  failed {}  sweep {:>8.1} ms  {:>7.0} refreshes/s  (fill {:.1} s)",
        n / 100,
        summary.read,
        summary.refreshed,
        summary.failed,
        wall.as_secs_f64() * 1000.0,
        summary.refreshed as f64 / wall.as_secs_f64(),
        filled.as_secs_f64(),
    );
}

#[tokio::main]
async fn main() {
    let mut sizes = Vec::new();
    let mut emulator_sizes = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|n| n.parse::<usize>().ok());
        match (arg.as_str(), value) {
            ("--tokens", Some(n)) => sizes.push(n),
            ("--emulator-tokens", Some(n)) => emulator_sizes.push(n),
            _ => {
                eprintln!("usage: bench-sweep [--tokens N]... [--emulator-tokens N]...");
                std::process::exit(2);
            }
        }
    }
    if sizes.is_empty() {
        sizes = vec![10_000, 100_000];
    }
    if emulator_sizes.is_empty() {
        emulator_sizes = vec![10_000];
    }
    let endpoint = token_endpoint().await;
    println!(
        "sweep benchmark: 1 % of the stored tokens are due; concurrency 8; local token endpoint"
    );
    for n in sizes {
        run(
            "embedded (SQLite)",
            authbridge_tests::sqlite_backend(),
            n,
            &endpoint,
        )
        .await;
    }
    // The emulator run needs AUTHBRIDGE_TEST_AWS_ENDPOINT (infra/bench.sh starts moto and sets it).
    if std::env::var("AUTHBRIDGE_TEST_AWS_ENDPOINT").is_ok() {
        for n in emulator_sizes {
            let backend = authbridge_tests::dynamo_backend()
                .await
                .expect("the emulator");
            run("DynamoDB (emulator)", backend, n, &endpoint).await;
        }
    } else {
        println!("(DynamoDB emulator run skipped: AUTHBRIDGE_TEST_AWS_ENDPOINT is not set)");
    }
}

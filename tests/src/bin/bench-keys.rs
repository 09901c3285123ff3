//! `bench-keys`: the time the keys add to a token read. For one stored record, it times what a
//! read does to open the access token: take the keys (`Keyring::keys_for`) and open the value,
//! with a cold key cache (the list of versions read from the store and the data key unwrapped on
//! every read, as after a cold start or once the cache period has passed) and with a warm one;
//! the format-1 open (one key derived from a secret, no versions) is the baseline.
//!
//! Key-encryption keys: the local key (AES key wrap, the embedded store and key file) and, when
//! the emulator runs (`AUTHBRIDGE_TEST_AWS_ENDPOINT`), KMS with the versions on DynamoDB.
//!
//! `cargo run --profile measure -p authbridge-tests --bin bench-keys -- [--reads N]`
//! (`./infra/bench.sh` runs it).

use std::sync::Arc;
use std::time::{Duration, Instant};

use authbridge::config::AwsSettings;
use authbridge::keys::kms::KmsWrapper;
use authbridge::keys::reseal::record_id;
use authbridge::keys::{AesKek, KeyWrapper, Keyring};
use authbridge::secrets::SecretString;
use authbridge::store::KeyStore;
use authbridge::store::sqlite::SqliteStore;
use authbridge::vault::{TokenVault, field};
use authbridge_tests::tokens::sample_record;

/// Median and 95th percentile of `samples`, in milliseconds.
fn summary(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i].as_secs_f64() * 1000.0
    };
    (at(0.5), at(0.95))
}

/// Times `reads` opens of one record's access token through `ring`, cold and warm.
async fn time_ring(ring: &Keyring, reads: usize) -> ((f64, f64), (f64, f64)) {
    let keys = ring.sealing().await.expect("the first key version");
    let mut record = sample_record("bench:keys");
    let sealed = keys
        .seal(
            record_id(&record),
            field::ACCESS_TOKEN,
            &SecretString::from("ya29.bench"),
        )
        .expect("sealing");
    record.access_token = Some(sealed);
    let once = || async {
        let started = Instant::now();
        let keys = ring
            .keys_for(record.access_token.iter())
            .await
            .expect("the keys");
        keys.open(
            record_id(&record),
            field::ACCESS_TOKEN,
            record.access_token.as_ref().unwrap(),
        )
        .expect("opening");
        started.elapsed()
    };
    let mut cold = Vec::with_capacity(reads);
    for _ in 0..reads {
        ring.forget();
        cold.push(once().await);
    }
    let mut warm = Vec::with_capacity(reads);
    for _ in 0..reads {
        warm.push(once().await);
    }
    (summary(cold), summary(warm))
}

fn print_row(name: &str, (cold, warm): ((f64, f64), (f64, f64))) {
    println!(
        "| {name} | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms |",
        cold.0, cold.1, warm.0, warm.1
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut reads = 200usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--reads", Some(n)) => reads = n.parse().expect("--reads N"),
            _ => panic!("usage: bench-keys [--reads N]"),
        }
    }
    println!("\nbench-keys: the time keys add to one token read ({reads} reads each)\n");
    println!("| keys | cold p50 | cold p95 | warm p50 | warm p95 |");
    println!("|---|---|---|---|---|");

    let vault = TokenVault::from_secret(&SecretString::from("k".repeat(64))).expect("a vault");
    let tag = authbridge_tests::tokens::tag_of("bench:keys");
    let sealed = vault
        .seal(&tag, field::ACCESS_TOKEN, &SecretString::from("ya29.bench"))
        .expect("sealing");
    let mut samples = Vec::with_capacity(reads);
    for _ in 0..reads {
        let started = Instant::now();
        vault
            .open(&tag, field::ACCESS_TOKEN, &sealed)
            .expect("opening");
        samples.push(started.elapsed());
    }
    let baseline = summary(samples);
    print_row("format 1 (baseline, no versions)", (baseline, baseline));

    let store = Arc::new(SqliteStore::in_memory().expect("a store"));
    let kek = AesKek::from_secret(&SecretString::from("k".repeat(64)), "bench").expect("a key");
    let ring = Keyring::new(store, Arc::new(kek), None, Duration::from_secs(300));
    print_row("local key, embedded store", time_ring(&ring, reads).await);

    if let Some(endpoint) = authbridge_tests::emulator_endpoint() {
        let settings = AwsSettings {
            table: "unused".into(),
            region: Some("us-east-1".into()),
            endpoint_url: Some(endpoint.parse().expect("the emulator's URL")),
        };
        let sdk = authbridge::aws::sdk_config(&settings).await;
        let setup = KmsWrapper::new(&sdk, "none", settings.endpoint_url.as_ref()).expect("KMS");
        let kms = setup.with_key(&setup.create_key("bench").await.expect("a KMS key"));
        let backend = authbridge_tests::dynamo_backend_at(&endpoint).await;
        let keys: Arc<dyn KeyStore> = backend.stores.keys.clone();
        let wrapper: Arc<dyn KeyWrapper> = Arc::new(kms);
        let ring = Keyring::new(keys, wrapper, None, Duration::from_secs(300));
        print_row(
            "KMS (emulator), DynamoDB (emulator)",
            time_ring(&ring, reads).await,
        );
    }
}

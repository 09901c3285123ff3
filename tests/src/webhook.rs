//! Webhook receivers for the event tests: one that records every delivery (with its signature
//! headers) and answers 500 to its first few, and one that accepts connections and never answers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use authbridge::events::EventSettings;
use authbridge::events::webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use authbridge::secrets::SecretString;
use serde_json::Value;

use crate::{Backend, unique};

/// The key the receivers' deliveries are signed with.
pub const HOOK_KEY: &str = "hook-signing-key-0123456789";

/// One delivery as the receiver got it: the timestamp and signature headers, and the body.
pub type Delivery = (Option<String>, Option<String>, String);

/// What a receiver got.
#[derive(Clone, Default)]
pub struct Received(pub Arc<Mutex<Vec<Delivery>>>);

impl Received {
    /// The bodies received so far, as JSON.
    pub fn events(&self) -> Vec<Value> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(_, _, body)| serde_json::from_str(body).expect("a JSON event"))
            .collect()
    }
}

/// A receiver on a free port that answers 500 to its first `failures` deliveries and 204 to the
/// rest: its URL, what it got, and its task (abort it at the end).
pub async fn receiver(failures: u32) -> (String, Received, tokio::task::JoinHandle<()>) {
    let received = Received::default();
    let failures = Arc::new(Mutex::new(failures));
    let app = {
        let received = received.clone();
        axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let received = received.clone();
                let failures = failures.clone();
                async move {
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string)
                    };
                    received.0.lock().unwrap_or_else(|e| e.into_inner()).push((
                        header(TIMESTAMP_HEADER),
                        header(SIGNATURE_HEADER),
                        body,
                    ));
                    let mut left = failures.lock().unwrap_or_else(|e| e.into_inner());
                    if *left > 0 {
                        *left -= 1;
                        return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let hook = format!(
        "http://{}/hook",
        listener.local_addr().expect("the bound address")
    );
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (hook, received, server)
}

/// A receiver that accepts every connection and then holds it, never reading a byte or answering:
/// the slowest receiver there is. Counts the connections it accepted.
pub struct SilentReceiver {
    pub url: String,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl SilentReceiver {
    /// Listens on a free port.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let url = format!(
            "http://{}/hook",
            listener.local_addr().expect("the bound address")
        );
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                held.push(socket);
            }
        });
        SilentReceiver {
            url,
            accepted,
            task,
        }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for SilentReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Event settings for the webhook at `hook`, its key ([`HOOK_KEY`]) stored in `backend`'s secret
/// store.
pub async fn settings(backend: &Backend, hook: &str) -> EventSettings {
    let secret_name = unique("webhook-key");
    backend
        .secrets
        .put_secret(&secret_name, &SecretString::from(HOOK_KEY))
        .await
        .expect("storing the webhook key");
    EventSettings {
        webhook_url: Some(hook.parse().expect("a webhook URL")),
        webhook_secret: Some(secret_name),
        ..Default::default()
    }
}

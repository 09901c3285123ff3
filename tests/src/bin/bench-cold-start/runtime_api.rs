//! A local Lambda Runtime API: the `2018-06-01` interface a custom runtime (here `lambda_runtime`)
//! polls for events and posts results to. One instance serves one function process.
//!
//! - `GET /2018-06-01/runtime/invocation/next` waits until the bench hands an event over, then
//!   answers it with the `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms`,
//!   `Lambda-Runtime-Invoked-Function-Arn` and `Lambda-Runtime-Trace-Id` headers;
//! - `POST /2018-06-01/runtime/invocation/{id}/response` and `.../{id}/error` take the result;
//! - `POST /2018-06-01/runtime/init/error` takes a failed initialisation.
//!
//! Every arrival is stamped with the time it reached the server and reported to the bench.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{Mutex, mpsc};

/// What the function process did, stamped when it reached the server.
#[derive(Debug)]
pub enum Arrival {
    /// It asked for the next event (the first time: it is initialised).
    Next(Instant),
    /// It answered invocation `id`.
    Response {
        id: String,
        at: Instant,
        body: Bytes,
    },
    /// It reported invocation `id` as failed.
    Error { id: String, body: Bytes },
    /// It reported a failed initialisation.
    InitError { body: Bytes },
}

/// One event handed to the function.
struct Invocation {
    id: String,
    body: String,
}

struct Shared {
    events: Mutex<mpsc::Receiver<Invocation>>,
    arrivals: mpsc::UnboundedSender<Arrival>,
    function_arn: String,
}

/// A running Runtime API on 127.0.0.1, for one function process.
pub struct RuntimeApi {
    addr: SocketAddr,
    events: mpsc::Sender<Invocation>,
    arrivals: mpsc::UnboundedReceiver<Arrival>,
    server: tokio::task::JoinHandle<()>,
    invocations: u64,
}

/// The base path of the interface version every runtime speaks.
const BASE: &str = "/2018-06-01/runtime";

impl RuntimeApi {
    /// Starts a Runtime API for the function `name` on a free port.
    pub async fn start(name: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (events_tx, events_rx) = mpsc::channel(1);
        let (arrivals_tx, arrivals_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            events: Mutex::new(events_rx),
            arrivals: arrivals_tx,
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
        });
        let app = Router::new()
            .route(&format!("{BASE}/invocation/next"), get(next))
            .route(
                &format!("{BASE}/invocation/{{id}}/response"),
                post(response),
            )
            .route(&format!("{BASE}/invocation/{{id}}/error"), post(error))
            .route(&format!("{BASE}/init/error"), post(init_error))
            .with_state(shared);
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("the local Runtime API stopped: {e}");
            }
        });
        Ok(RuntimeApi {
            addr,
            events: events_tx,
            arrivals: arrivals_rx,
            server,
            invocations: 0,
        })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Waits for the function's next poll and returns when it arrived.
    pub async fn next_poll(&mut self) -> Result<Instant, String> {
        match self.arrivals.recv().await {
            Some(Arrival::Next(at)) => Ok(at),
            other => Err(unexpected(other, "a poll for the next event")),
        }
    }

    /// Hands `event` to the waiting poll and waits for its answer: the time from the hand-over to
    /// the answer's arrival, and the answer's body. Call after [`RuntimeApi::next_poll`].
    pub async fn invoke(&mut self, event: &str) -> Result<(Duration, Bytes), String> {
        self.invocations += 1;
        let id = format!("bench-{:08}", self.invocations);
        let sent = Instant::now();
        self.events
            .send(Invocation {
                id: id.clone(),
                body: event.to_string(),
            })
            .await
            .map_err(|_| "the local Runtime API is gone".to_string())?;
        match self.arrivals.recv().await {
            Some(Arrival::Response { id: got, at, body }) if got == id => Ok((at - sent, body)),
            other => Err(unexpected(other, &format!("the answer to {id}"))),
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn unexpected(arrival: Option<Arrival>, expected: &str) -> String {
    let text = |body: &Bytes| {
        String::from_utf8_lossy(body)
            .chars()
            .take(500)
            .collect::<String>()
    };
    match arrival {
        None => format!("the local Runtime API stopped while waiting for {expected}"),
        Some(Arrival::Next(_)) => format!("a poll for the next event came instead of {expected}"),
        Some(Arrival::Response { id, .. }) => {
            format!("an answer to {id} came instead of {expected}")
        }
        Some(Arrival::Error { id, body }) => {
            format!("invocation {id} failed: {}", text(&body))
        }
        Some(Arrival::InitError { body }) => {
            format!("the function reported an init error: {}", text(&body))
        }
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    let _ = shared.arrivals.send(Arrival::Next(Instant::now()));
    let Some(invocation) = shared.events.lock().await.recv().await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let deadline = SystemTime::now()
        .checked_add(Duration::from_secs(30))
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis());
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    put("lambda-runtime-aws-request-id", invocation.id.clone());
    put("lambda-runtime-deadline-ms", deadline.to_string());
    put(
        "lambda-runtime-invoked-function-arn",
        shared.function_arn.clone(),
    );
    put(
        "lambda-runtime-trace-id",
        format!(
            "Root=1-00000000-{:024x};Parent=0000000000000001;Sampled=0",
            deadline
        ),
    );
    put("content-type", "application/json".to_string());
    (StatusCode::OK, headers, invocation.body).into_response()
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let at = Instant::now();
    let _ = shared.arrivals.send(Arrival::Response { id, at, body });
    StatusCode::ACCEPTED
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let _ = shared.arrivals.send(Arrival::Error { id, body });
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    let _ = shared.arrivals.send(Arrival::InitError { body });
    StatusCode::ACCEPTED
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A runtime's side of the interface, as `lambda_runtime` speaks it: poll, answer, poll.
    #[tokio::test]
    async fn hands_an_event_to_a_poll_and_takes_its_answer() {
        let mut api = RuntimeApi::start("bench-test")
            .await
            .expect("a Runtime API");
        let base = format!("http://{}{BASE}", api.address());
        let runtime = tokio::spawn(async move {
            let http = reqwest::Client::new();
            let event = http
                .get(format!("{base}/invocation/next"))
                .send()
                .await
                .expect("the first poll");
            let header = |name: &str| {
                event
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(String::from)
                    .unwrap_or_default()
            };
            let id = header("lambda-runtime-aws-request-id");
            let deadline: u128 = header("lambda-runtime-deadline-ms").parse().unwrap_or(0);
            let arn = header("lambda-runtime-invoked-function-arn");
            let trace = header("lambda-runtime-trace-id");
            let body = event.text().await.expect("the event");
            let posted = http
                .post(format!("{base}/invocation/{id}/response"))
                .body(format!("answer to {body}"))
                .send()
                .await
                .expect("the answer");
            let second_poll = http.get(format!("{base}/invocation/next")).send();
            // The second poll waits for an event that never comes.
            let waited = tokio::time::timeout(Duration::from_millis(200), second_poll).await;
            (id, deadline, arn, trace, posted.status(), waited.is_err())
        });

        api.next_poll().await.expect("the first poll arrives");
        let (_, answer) = api.invoke("{\"n\":1}").await.expect("an answer");
        assert_eq!(answer, "answer to {\"n\":1}");
        api.next_poll().await.expect("the second poll arrives");
        let (id, deadline, arn, trace, status, second_waits) =
            runtime.await.expect("the runtime side");
        assert_eq!(id, "bench-00000001");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        assert!(deadline > now, "the deadline {deadline} is in the future");
        assert_eq!(
            arn,
            "arn:aws:lambda:us-east-1:123456789012:function:bench-test"
        );
        assert!(trace.starts_with("Root=1-"), "{trace}");
        assert_eq!(status, reqwest::StatusCode::ACCEPTED);
        assert!(second_waits, "a poll waits until there is an event");
    }

    #[tokio::test]
    async fn reports_a_failed_invocation() {
        let mut api = RuntimeApi::start("bench-test")
            .await
            .expect("a Runtime API");
        let base = format!("http://{}{BASE}", api.address());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let event = http.get(format!("{base}/invocation/next")).send().await;
            let id = event
                .ok()
                .and_then(|e| {
                    e.headers()
                        .get("lambda-runtime-aws-request-id")
                        .and_then(|v| v.to_str().ok())
                        .map(String::from)
                })
                .unwrap_or_default();
            let _ = http
                .post(format!("{base}/invocation/{id}/error"))
                .body("{\"errorType\":\"boom\"}")
                .send()
                .await;
        });
        api.next_poll().await.expect("the poll arrives");
        let failed = api.invoke("{}").await.expect_err("the invocation failed");
        assert!(
            failed.contains("bench-00000001 failed") && failed.contains("boom"),
            "{failed}"
        );
    }
}

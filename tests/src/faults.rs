//! A fault-injecting proxy between the AWS SDK and the emulator, for the tests of faults and
//! bursts: each request, by a seeded draw, passes, is answered 500 or with a throttling error
//! without reaching the emulator, is delayed, or reaches the emulator and then has its answer
//! replaced by a 500, so the SDK retries a write that already happened (the "lost answer").
//!
//! The seed is `AUTHBRIDGE_TEST_FAULT_SEED` (default [`DEFAULT_SEED`]), so a failing run can be
//! replayed exactly; the counts of what was injected are kept for the test to report.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// The seed of the documented run.
pub const DEFAULT_SEED: u64 = 20_261_201;

/// How often each fault happens, in percent of requests.
#[derive(Debug, Clone, Copy)]
pub struct FaultRates {
    pub server_error: u32,
    pub throttle: u32,
    pub delay: u32,
    pub lost_answer: u32,
}

impl FaultRates {
    /// About one request in ten meets a fault, as in the run the issue describes.
    pub const TEN_PERCENT: FaultRates = FaultRates {
        server_error: 3,
        throttle: 3,
        delay: 1,
        lost_answer: 3,
    };
}

/// What was injected so far.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Injected {
    pub passed: u64,
    pub server_errors: u64,
    pub throttles: u64,
    pub delays: u64,
    pub lost_answers: u64,
}

struct Proxy {
    upstream: String,
    rates: FaultRates,
    rng: Mutex<u64>,
    down: AtomicBool,
    counts: [AtomicU64; 5],
    http: reqwest::Client,
}

/// A running proxy; stops when dropped.
pub struct FaultProxy {
    pub endpoint: String,
    proxy: Arc<Proxy>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The seed to use: `AUTHBRIDGE_TEST_FAULT_SEED`, else [`DEFAULT_SEED`].
pub fn seed() -> u64 {
    std::env::var("AUTHBRIDGE_TEST_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

impl FaultProxy {
    /// Starts a proxy to `upstream` on a free 127.0.0.1 port.
    pub async fn start(upstream: &str, rates: FaultRates, seed: u64) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr: SocketAddr = listener.local_addr().expect("the bound address");
        let proxy = Arc::new(Proxy {
            upstream: upstream.trim_end_matches('/').to_string(),
            rates,
            rng: Mutex::new(seed | 1),
            down: AtomicBool::new(false),
            counts: Default::default(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client"),
        });
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(proxy.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FaultProxy {
            endpoint: format!("http://{addr}"),
            proxy,
            server,
        }
    }

    /// While `down`, every request is answered 503 without reaching the emulator.
    pub fn set_down(&self, down: bool) {
        self.proxy.down.store(down, Ordering::SeqCst);
    }

    /// What was injected so far.
    pub fn injected(&self) -> Injected {
        let c = |i: usize| self.proxy.counts[i].load(Ordering::SeqCst);
        Injected {
            passed: c(0),
            server_errors: c(1),
            throttles: c(2),
            delays: c(3),
            lost_answers: c(4),
        }
    }
}

enum Fault {
    None,
    ServerError,
    Throttle,
    Delay,
    LostAnswer,
}

impl Proxy {
    /// A draw in 0..100 from a xorshift generator: the same seed, the same sequence.
    fn draw(&self) -> u32 {
        let mut state = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let mut x = *state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *state = x;
        (x % 100) as u32
    }

    fn fault(&self) -> Fault {
        let r = self.rates;
        let d = self.draw();
        let mut edge = r.server_error;
        if d < edge {
            return Fault::ServerError;
        }
        edge += r.throttle;
        if d < edge {
            return Fault::Throttle;
        }
        edge += r.delay;
        if d < edge {
            return Fault::Delay;
        }
        edge += r.lost_answer;
        if d < edge {
            return Fault::LostAnswer;
        }
        Fault::None
    }

    fn count(&self, i: usize) {
        self.counts[i].fetch_add(1, Ordering::SeqCst);
    }
}

fn aws_error(status: StatusCode, kind: &str) -> Response {
    (
        status,
        [("content-type", "application/x-amz-json-1.0")],
        format!(r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{kind}","message":"injected by the test proxy"}}"#),
    )
        .into_response()
}

async fn forward(
    State(proxy): State<Arc<Proxy>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if proxy.down.load(Ordering::SeqCst) {
        proxy.count(1);
        return aws_error(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable");
    }
    let fault = proxy.fault();
    match fault {
        Fault::ServerError => {
            proxy.count(1);
            return aws_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError");
        }
        Fault::Throttle => {
            proxy.count(2);
            return aws_error(StatusCode::BAD_REQUEST, "ThrottlingException");
        }
        Fault::Delay => {
            proxy.count(3);
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }
        Fault::LostAnswer | Fault::None => {}
    }
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut request = proxy
        .http
        .request(method, format!("{}{path}", proxy.upstream))
        .body(body);
    for (name, value) in headers.iter() {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let answer = match request.send().await {
        Ok(answer) => answer,
        Err(_) => return aws_error(StatusCode::BAD_GATEWAY, "InternalServerError"),
    };
    if matches!(fault, Fault::LostAnswer) {
        // The emulator did the work; the caller never learns it.
        proxy.count(4);
        return aws_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError");
    }
    if matches!(fault, Fault::None) {
        proxy.count(0);
    }
    let status = answer.status();
    let mut response = Response::builder().status(status.as_u16());
    for (name, value) in answer.headers() {
        if name != "content-length" && name != "transfer-encoding" && name != "connection" {
            response = response.header(name.as_str(), value.as_bytes());
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    response
        .body(axum::body::Body::from(bytes))
        .unwrap_or_else(|_| aws_error(StatusCode::BAD_GATEWAY, "InternalServerError"))
}

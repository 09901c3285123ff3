//! A tiny OpenID Provider on 127.0.0.1 for the discovery tests: it serves a discovery document and
//! counts how often it was asked.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// A running fake provider.
pub(crate) struct FakeIdp {
    /// Its issuer identifier, `http://127.0.0.1:<port>`.
    pub issuer: String,
    state: Arc<IdpState>,
}

struct IdpState {
    issuer: String,
    claimed_issuer: String,
    hits: AtomicUsize,
    down: AtomicBool,
}

impl FakeIdp {
    /// Starts a provider whose document names `claimed_issuer`, or its own issuer when `None`.
    pub async fn start(claimed_issuer: Option<&str>) -> FakeIdp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let issuer = format!("http://{}", listener.local_addr().expect("local address"));
        let state = Arc::new(IdpState {
            claimed_issuer: claimed_issuer.unwrap_or(&issuer).to_string(),
            issuer: issuer.clone(),
            hits: AtomicUsize::new(0),
            down: AtomicBool::new(false),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(document))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeIdp { issuer, state }
    }

    /// How many discovery documents it has served or refused.
    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    /// While down, it answers 503.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }
}

async fn document(State(state): State<Arc<IdpState>>) -> Result<Json<Value>, StatusCode> {
    state.hits.fetch_add(1, Ordering::SeqCst);
    if state.down.load(Ordering::SeqCst) {
        return Err(StatusCode::SERVICE_UNAVAILABLE);
    }
    let base = &state.issuer;
    Ok(Json(json!({
        "issuer": state.claimed_issuer,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "authorization_response_iss_parameter_supported": true,
        "response_types_supported": ["code"],
    })))
}

/// An HTTP client that ignores proxy settings, so requests reach the loopback server.
pub(crate) fn test_http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("build an HTTP client")
}

//! `authbridge-local`: the local stack on `http://127.0.0.1:3000`, on the embedded store by default.

use std::net::SocketAddr;
use std::sync::Arc;

use authbridge::context::AppContext;
use authbridge_infra::{apigw, routes};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use clap::Parser;

/// Runs every authbridge function behind one local HTTP endpoint.
#[derive(Debug, Parser)]
#[command(name = "authbridge-local", version)]
struct Args {
    /// Port on 127.0.0.1.
    #[arg(long, env = "AUTHBRIDGE_PORT", default_value_t = 3000)]
    port: u16,
}

async fn handle(
    State(context): State<Arc<AppContext>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let Ok(body): Result<Bytes, _> = axum::body::to_bytes(body, 1 << 20).await else {
        return apigw::to_http_response(
            authbridge::http::ApiError::new(
                413,
                serde_json::json!({"error": "payload_too_large", "message": "the body is over 1 MiB"}),
            )
            .into_response(),
        );
    };
    let response = match routes::route(&parts.method, parts.uri.path()) {
        None => routes::not_found(),
        Some((function, params)) => match apigw::to_lambda_request(&parts, &body, peer, &params) {
            Ok(req) => routes::dispatch(function, context, req).await,
            Err(e) => authbridge::http::ApiError::bad_request("invalid_request", e).into_response(),
        },
    };
    tracing::info!(method = %parts.method, path = parts.uri.path(), status = response.status().as_u16(), "request");
    apigw::to_http_response(response)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    authbridge::telemetry::init();
    let args = Args::parse();
    let context = Arc::new(AppContext::from_env().await?);
    let app = axum::Router::new().fallback(handle).with_state(context);
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("authbridge local stack on http://{addr}/  (Ctrl-C to stop)");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

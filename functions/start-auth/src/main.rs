//! The `start-auth` Lambda: wiring only; the handler is in `lib.rs`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    authbridge::telemetry::init();
    let context = start_auth::Context::from_env().await?;
    authbridge::http::serve::lambda(context, start_auth::handle).await
}

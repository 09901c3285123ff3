//! The `client-credentials` Lambda: wiring only; the handler is in `lib.rs`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    authbridge::telemetry::init();
    let context = client_credentials::Context::from_env().await?;
    authbridge::http::serve::lambda(context, client_credentials::handle).await
}

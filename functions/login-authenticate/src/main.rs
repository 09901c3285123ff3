//! The `login-authenticate` Lambda: wiring only; the handler is in `lib.rs`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    authbridge::telemetry::init();
    let context = login_authenticate::Context::from_env().await?;
    authbridge::http::serve::lambda(context, login_authenticate::handle).await
}

//! The `wp-sync-user` Lambda: wiring only; the handler is in `lib.rs`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    authbridge::telemetry::init();
    let context = wp_sync_user::Context::from_env().await?;
    authbridge::http::serve::lambda(context, wp_sync_user::handle).await
}

//! The `wp-sync-user` Lambda: wiring only; the handler is in `lib.rs`.

fn main() -> Result<(), lambda_http::Error> {
    authbridge::runtime::block_on(async {
        authbridge::telemetry::init();
        let context = wp_sync_user::Context::from_env().await?;
        authbridge::http::serve::lambda(context, wp_sync_user::handle).await
    })?
}

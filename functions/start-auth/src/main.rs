//! The `start-auth` Lambda: wiring only; the handler is in `lib.rs`.

fn main() -> Result<(), lambda_http::Error> {
    authbridge::runtime::block_on(async {
        authbridge::telemetry::init();
        let context = start_auth::Context::from_env().await?;
        authbridge::http::serve::lambda(context, start_auth::handle).await
    })?
}

//! The `client-credentials` Lambda: wiring only; the handler is in `lib.rs`.

fn main() -> Result<(), lambda_http::Error> {
    authbridge::runtime::block_on(async {
        authbridge::telemetry::init();
        let context = client_credentials::Context::from_env().await?;
        authbridge::http::serve::lambda(context, client_credentials::handle).await
    })?
}

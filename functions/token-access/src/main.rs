//! The `token-access` Lambda: wiring only; the handler is in `lib.rs`.

fn main() -> Result<(), lambda_http::Error> {
    authbridge::runtime::block_on(async {
        authbridge::telemetry::init();
        let context = token_access::Context::from_env().await?;
        authbridge::http::serve::lambda(context, token_access::handle).await
    })?
}

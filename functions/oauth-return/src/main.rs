//! The `oauth-return` Lambda: wiring only; the handler is in `lib.rs`.

fn main() -> Result<(), lambda_http::Error> {
    authbridge::runtime::block_on(async {
        authbridge::telemetry::init();
        let context = oauth_return::Context::from_env().await?;
        authbridge::http::serve::lambda(context, oauth_return::handle).await
    })?
}

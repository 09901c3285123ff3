//! The `login-authenticate` Lambda: wiring only; the handler is in `lib.rs`.

fn main() -> Result<(), lambda_http::Error> {
    authbridge::runtime::block_on(async {
        authbridge::telemetry::init();
        let context = login_authenticate::Context::from_env().await?;
        authbridge::http::serve::lambda(context, login_authenticate::handle).await
    })?
}

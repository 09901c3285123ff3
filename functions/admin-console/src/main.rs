//! The `admin-console` Lambda: wiring only; the handler is in `lib.rs`.

fn main() -> Result<(), lambda_http::Error> {
    authbridge::runtime::block_on(async {
        authbridge::telemetry::init();
        let context = admin_console::Context::from_env().await?;
        authbridge::http::serve::lambda(context, admin_console::handle).await
    })?
}

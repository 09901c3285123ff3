//! The `token-access` Lambda: wiring only; the handler is in `lib.rs`.

// The handler's future nests deeper than rustc's default query depth allows when the release
// profile lays it out (a token read that leases a due token beside the API token's write).
#![recursion_limit = "256"]

fn main() -> Result<(), lambda_http::Error> {
    authbridge::runtime::block_on(async {
        authbridge::telemetry::init();
        let context = token_access::Context::from_env().await?;
        authbridge::http::serve::lambda(context, token_access::handle).await
    })?
}

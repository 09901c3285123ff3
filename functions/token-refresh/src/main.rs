//! The `token-refresh` Lambda: wiring only; the sweep is in `lib.rs`.

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use token_refresh::ScheduledEvent;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    authbridge::telemetry::init();
    let context = Arc::new(token_refresh::Context::from_env().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<ScheduledEvent>| {
        let context = context.clone();
        async move {
            let deadline = event.context.deadline();
            Ok::<_, lambda_runtime::Error>(
                token_refresh::handle(&context, event.payload, deadline).await,
            )
        }
    }))
    .await
}

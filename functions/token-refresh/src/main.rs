//! The `token-refresh` Lambda: wiring only; the sweep is in `lib.rs`.

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use token_refresh::ScheduledEvent;
use tracing::Instrument;

fn main() -> Result<(), lambda_runtime::Error> {
    authbridge::runtime::block_on(run())?
}

async fn run() -> Result<(), lambda_runtime::Error> {
    authbridge::telemetry::init();
    let context = Arc::new(token_refresh::Context::from_env().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<ScheduledEvent>| {
        let context = context.clone();
        // Every line of the sweep carries the invocation's request id, as requests' lines do.
        let span = tracing::info_span!(
            "request",
            request_id = %event.context.request_id,
            route = "schedule"
        );
        async move {
            let deadline = event.context.deadline();
            Ok::<_, lambda_runtime::Error>(
                token_refresh::handle(&context, event.payload, deadline).await,
            )
        }
        .instrument(span)
    }))
    .await
}

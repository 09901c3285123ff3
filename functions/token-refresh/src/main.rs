//! The `token-refresh` Lambda: wiring only; the sweep is in `lib.rs`.

use token_refresh::ScheduledEvent;

fn main() -> Result<(), lambda_runtime::Error> {
    authbridge::runtime::block_on(async {
        authbridge::telemetry::init();
        let context = token_refresh::Context::from_env().await?;
        authbridge::runtime::serve_events(
            context,
            "schedule",
            |context, event: ScheduledEvent, deadline| async move {
                token_refresh::handle(&context, event, deadline).await
            },
        )
        .await
    })?
}

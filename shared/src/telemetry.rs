//! Logging set-up: one JSON object per line, the format CloudWatch Logs Insights reads best.

use tracing_subscriber::EnvFilter;

/// Installs the JSON log formatter once per process; the level comes from `RUST_LOG` (default `info`).
///
/// Calling it twice is harmless: the second call keeps the first subscriber.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .try_init();
}

//! Logging set-up: one JSON object per line, the format CloudWatch Logs Insights reads best.
//!
//! Every line has `timestamp` (RFC 3339, UTC), `level` and `message` with its fields at the top
//! level; a line logged while a request is served also has `spans`, one of which (`request`) holds the
//! request's `request_id` and `route` (see [`crate::http::access_log`]). No query string, secret, code or token is
//! logged: errors never carry one, and routes are route keys.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the JSON log formatter once per process, writing to standard output; the level comes
/// from `RUST_LOG` (default `info`).
///
/// Calling it twice is harmless: the second call keeps the first subscriber.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    init_with(filter, std::io::stdout);
}

/// The same format with any filter and writer (tests capture the lines).
pub fn init_with<W>(filter: EnvFilter, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(true)
        .with_target(false)
        .with_env_filter(filter)
        .with_writer(writer)
        .try_init();
}

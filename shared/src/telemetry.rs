//! Logging set-up: one JSON object per line, the format CloudWatch Logs Insights reads best.
//!
//! Every line has `timestamp` (RFC 3339, UTC), `level` and `message` with its fields at the top
//! level; a line logged while a request is served also has `spans`, one of which (`request`) holds
//! the request's `request_id` and `route` (see the HTTP edge's `access_log`). No query string,
//! secret, code or token is logged: errors never carry one, and routes are route keys.

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;

/// The level when `RUST_LOG` is unset or is not a filter.
const DEFAULT_LEVEL: Level = Level::INFO;

/// Installs the JSON log formatter once per process, writing to standard output; the filter comes
/// from `RUST_LOG` (default `info`).
///
/// `RUST_LOG` is a list of levels and `target=level` pairs, such as `authbridge=debug,info`
/// ([`Targets`]: no span or field filters, so no regex engine in every binary). A value that is
/// not one is logged as a warning, and the default applies.
///
/// Calling it twice is harmless: the second call keeps the first subscriber.
pub fn init() {
    let (filter, rejected) = filter_from(std::env::var("RUST_LOG").ok().as_deref());
    init_with(filter, std::io::stdout);
    if let Some(reason) = rejected {
        tracing::warn!(%reason, "RUST_LOG is not a log filter; logging at info");
    }
}

/// The filter `rust_log` names, or the default and why `rust_log` was refused.
fn filter_from(rust_log: Option<&str>) -> (Targets, Option<String>) {
    let default = || Targets::new().with_default(DEFAULT_LEVEL);
    match rust_log.map(str::trim).filter(|value| !value.is_empty()) {
        None => (default(), None),
        Some(value) => match value.parse::<Targets>() {
            Ok(filter) => (filter, None),
            Err(err) => (default(), Some(err.to_string())),
        },
    }
}

/// The same format with any filter and writer (tests capture the lines).
pub fn init_with<W>(filter: Targets, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let format = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(true)
        .with_target(false)
        .with_writer(writer);
    let _ = tracing_subscriber::registry()
        .with(format)
        .with(filter)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::level_filters::LevelFilter;

    #[test]
    fn rust_log_names_levels_per_target_and_a_default() {
        let (filter, rejected) = filter_from(Some("authbridge=debug,warn"));
        assert!(rejected.is_none());
        assert!(filter.would_enable("authbridge::login", &Level::DEBUG));
        assert!(!filter.would_enable("aws_config", &Level::INFO));
        assert!(filter.would_enable("aws_config", &Level::WARN));
    }

    #[test]
    fn no_rust_log_means_info() {
        for unset in [None, Some(""), Some("  ")] {
            let (filter, rejected) = filter_from(unset);
            assert!(rejected.is_none());
            assert_eq!(filter.default_level(), Some(LevelFilter::INFO));
        }
    }

    #[test]
    fn a_rust_log_that_is_no_filter_falls_back_to_info_and_says_so() {
        let (filter, rejected) = filter_from(Some("authbridge=loud"));
        assert!(rejected.is_some());
        assert_eq!(filter.default_level(), Some(LevelFilter::INFO));
        assert!(!filter.would_enable("authbridge", &Level::DEBUG));
    }
}

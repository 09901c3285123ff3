//! token-refresh: the scheduled sweep. An EventBridge schedule (every 5 minutes) invokes it; it
//! refreshes the token records that are due (see `authbridge::oauth::sweep`) and logs one summary
//! line with the counts.

use std::time::{Duration, SystemTime};

use authbridge::config::{ConfigError, Env};
use authbridge::oauth::OAuthContext;
use authbridge::oauth::refresh::Refresher;
use authbridge::oauth::sweep::{self, DEFAULT_CONCURRENCY, SweepOptions, SweepSummary};
use serde::Deserialize;

/// Time kept back from the function's timeout for refreshes already in flight.
pub const RESERVE: Duration = Duration::from_secs(15);

/// The fields of an EventBridge scheduled event that the sweep reads.
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduledEvent {
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    pub time: String,
}

/// What the function builds at cold start.
pub struct Context {
    pub oauth: OAuthContext,
    pub refresher: Refresher,
    /// Refreshes in flight at once (`AUTHBRIDGE_REFRESH_CONCURRENCY`, default 8).
    pub concurrency: usize,
}

impl Context {
    /// Reads the process environment.
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::from(&Env::process()).await
    }

    /// Reads any [`Env`].
    pub async fn from(env: &Env<'_>) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Context {
            oauth: OAuthContext::from(env).await?,
            refresher: Refresher::default(),
            concurrency: concurrency(env)?,
        })
    }
}

/// `AUTHBRIDGE_REFRESH_CONCURRENCY`.
pub fn concurrency(env: &Env<'_>) -> Result<usize, ConfigError> {
    env.parse_or(
        "AUTHBRIDGE_REFRESH_CONCURRENCY",
        DEFAULT_CONCURRENCY,
        |raw| {
            raw.parse::<usize>()
                .ok()
                .filter(|n| (1..=64).contains(n))
                .ok_or_else(|| format!("expected a number from 1 to 64, got {raw:?}"))
        },
    )
}

/// Handles one scheduled invocation that must end by `deadline`.
pub async fn handle(
    context: &Context,
    event: ScheduledEvent,
    deadline: SystemTime,
) -> SweepSummary {
    let budget = deadline
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    tracing::info!(event_id = %event.id, source = %event.source, "token sweep starting");
    sweep::sweep(
        &context.oauth,
        &context.refresher,
        SweepOptions::within(budget, RESERVE, context.concurrency),
    )
    .await
}

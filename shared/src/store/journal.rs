//! The journal's store: entries appended per subject and listed newest first, through a key
//! (never a scan), kept for [`RETENTION`](crate::domain::journal::RETENTION).

use async_trait::async_trait;

use super::{Page, PageRequest, StoreResult};
use crate::clock::Epoch;
use crate::domain::{JournalEntry, Subject};

/// Journal entries.
#[async_trait]
pub trait JournalStore: Send + Sync {
    /// Appends `entry` (its subject, sort key and id make it unique). Entries older than the
    /// retention are forgotten: DynamoDB expires them by their `ttl`; the embedded store deletes
    /// the expired ones here.
    async fn append_entry(&self, entry: &JournalEntry) -> StoreResult<()>;
    /// One page of `subject`'s entries still within the retention at `now`, newest first; `next`
    /// is the cursor of the following (older) page.
    async fn journal_entries(
        &self,
        subject: &Subject,
        now: Epoch,
        page: &PageRequest,
    ) -> StoreResult<Page<JournalEntry>>;
}

//! The journal in the embedded store: table `journal`, keyed by subject and sort key (the
//! primary key is the index a subject's page is read through), with an index on `expires_at` for
//! the prune each append makes.

use async_trait::async_trait;
use rusqlite::params;

use super::{Cached, SqliteStore, db, from_json, to_json};
use crate::clock::{self, Epoch};
use crate::domain::{JournalEntry, Subject};
use crate::store::{JournalStore, Page, PageRequest, StoreResult};

#[async_trait]
impl JournalStore for SqliteStore {
    async fn append_entry(&self, entry: &JournalEntry) -> StoreResult<()> {
        let context = "appending a journal entry";
        let (subject, sort_key) = (entry.subject.key(), entry.sort_key());
        let (data, expires_at) = (to_json(entry)?, entry.expires_at());
        let now = clock::now();
        self.write(context, move |tx| {
            tx.cached_execute("DELETE FROM journal WHERE expires_at <= ?1", [now])
                .map_err(db(context))?;
            tx.cached_execute(
                "INSERT OR REPLACE INTO journal (subject, sort_key, data, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![subject, sort_key, data, expires_at],
            )
            .map_err(db(context))?;
            Ok(())
        })
        .await
    }

    async fn journal_entries(
        &self,
        subject: &Subject,
        now: Epoch,
        page: &PageRequest,
    ) -> StoreResult<Page<JournalEntry>> {
        let context = "listing journal entries";
        let subject = subject.key();
        let limit = page.effective_limit() as usize;
        let after = page.after.clone();
        self.run(context, move |conn| {
            let mut statement = conn
                .prepare_cached(
                    "SELECT sort_key, data FROM journal
                     WHERE subject = ?1 AND (?2 IS NULL OR sort_key < ?2) AND expires_at > ?3
                     ORDER BY sort_key DESC LIMIT ?4",
                )
                .map_err(db(context))?;
            let rows = statement
                .query_map(params![subject, after, now, (limit + 1) as i64], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })
                .map_err(db(context))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db(context))?;
            let more = rows.len() > limit;
            let mut items = Vec::with_capacity(rows.len().min(limit));
            let mut last = None;
            for (key, data) in rows.into_iter().take(limit) {
                items.push(from_json(&data)?);
                last = Some(key);
            }
            Ok(Page {
                items,
                next: last.filter(|_| more),
            })
        })
        .await
    }
}

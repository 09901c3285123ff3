//! The migration's counters in the embedded store: table `counters`, one row per counter and
//! bucket (the hour's first second; the total under bucket -1), added to by an upsert.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{Cached, SqliteStore, db};
use crate::clock::Epoch;
use crate::domain::counter::{BUCKET_RETENTION, Counter, CounterTotal, hour_of};
use crate::store::{CounterStore, StoreResult};

/// The bucket holding a counter's total.
const TOTAL: Epoch = -1;

#[async_trait]
impl CounterStore for SqliteStore {
    async fn add_count(&self, counter: Counter, at: Epoch, n: u64) -> StoreResult<()> {
        let context = "counting";
        let (name, hour, n) = (counter.name(), hour_of(at), n as i64);
        self.write(context, move |tx| {
            for bucket in [TOTAL, hour] {
                tx.cached_execute(
                    "INSERT INTO counters (name, bucket, count, last) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (name, bucket) DO UPDATE SET count = count + excluded.count,
                         last = max(coalesce(last, excluded.last), excluded.last)",
                    params![name, bucket, n, at],
                )
                .map_err(db(context))?;
            }
            tx.cached_execute(
                "DELETE FROM counters WHERE name = ?1 AND bucket >= 0 AND bucket < ?2",
                params![name, hour - BUCKET_RETENTION],
            )
            .map_err(db(context))?;
            Ok(())
        })
        .await
    }

    async fn counter_total(&self, counter: Counter) -> StoreResult<CounterTotal> {
        let context = "reading a counter";
        let name = counter.name();
        self.run(context, move |conn| {
            let row: Option<(i64, Option<Epoch>)> = conn
                .cached_row(
                    "SELECT count, last FROM counters WHERE name = ?1 AND bucket = ?2",
                    params![name, TOTAL],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(db(context))?;
            Ok(row
                .map(|(count, last)| CounterTotal {
                    count: count.max(0) as u64,
                    last,
                })
                .unwrap_or_default())
        })
        .await
    }

    async fn counter_between(&self, counter: Counter, from: Epoch, to: Epoch) -> StoreResult<u64> {
        let context = "summing a counter";
        let (name, from, to) = (counter.name(), hour_of(from), hour_of(to));
        self.run(context, move |conn| {
            let sum: i64 = conn
                .cached_row(
                    "SELECT coalesce(sum(count), 0) FROM counters
                     WHERE name = ?1 AND bucket BETWEEN ?2 AND ?3",
                    params![name, from.max(0), to],
                    |row| row.get(0),
                )
                .map_err(db(context))?;
            Ok(sum.max(0) as u64)
        })
        .await
    }
}

//! Data-key versions in the embedded store (table `data_keys`).

use async_trait::async_trait;
use rusqlite::params;

use super::{Cached, SqliteStore, check_updated, db, from_json, get_data, insert_new, to_json};
use crate::domain::{KeyNumber, KeyVersion};
use crate::store::{KeyStore, StoreResult, Unique, Update};

#[async_trait]
impl KeyStore for SqliteStore {
    async fn create_key_version(&self, key: &KeyVersion) -> StoreResult<()> {
        let (number, data, version) = (key.number.0, to_json(key)?, key.version as i64);
        self.write("creating a key version", move |tx| {
            insert_new(
                tx,
                "INSERT INTO data_keys (number, data, version) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                params![number, data, version],
                Unique::KeyVersion,
                "creating a key version",
            )
        })
        .await
    }

    async fn key_versions(&self) -> StoreResult<Vec<KeyVersion>> {
        let context = "listing key versions";
        self.run(context, move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT data FROM data_keys ORDER BY number")
                .map_err(db(context))?;
            let rows = stmt
                .query_map([], |row| row.get::<_, String>(0))
                .map_err(db(context))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db(context))?;
            rows.iter().map(|raw| from_json(raw)).collect()
        })
        .await
    }

    async fn update_key_version(&self, key: &KeyVersion) -> StoreResult<KeyVersion> {
        let update = Update::of(key);
        let (number, data) = (key.number.0, to_json(&update.next)?);
        let (next, expected) = (update.next_sql(), update.expected_sql());
        let context = "updating a key version";
        self.write(context, move |tx| {
            let changed = tx
                .cached_execute(
                    "UPDATE data_keys SET data = ?2, version = ?3 WHERE number = ?1 AND version = ?4",
                    params![number, data, next, expected],
                )
                .map_err(db(context))?;
            check_updated(
                tx,
                changed,
                "SELECT 1 FROM data_keys WHERE number = ?1",
                number,
                context,
            )
        })
        .await?;
        Ok(update.next)
    }

    async fn get_key_version(&self, number: KeyNumber) -> StoreResult<Option<KeyVersion>> {
        self.run("reading a key version", move |conn| {
            get_data(
                conn,
                "SELECT data FROM data_keys WHERE number = ?1",
                number.0,
                "reading a key version",
            )
        })
        .await
    }
}

//! Console sessions in the embedded store. Expired rows are removed by the next new session, and
//! every read compares expiry with the time it is given.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{Cached, SqliteStore, db, from_json, insert_new, to_json};
use crate::clock::Epoch;
use crate::domain::ConsoleSession;
use crate::store::{ConsoleSessionStore, StoreResult, Unique};

#[async_trait]
impl ConsoleSessionStore for SqliteStore {
    async fn put_console_session(&self, session: &ConsoleSession) -> StoreResult<()> {
        let (key, data, expires) = (session.key.clone(), to_json(session)?, session.expires_at);
        let now = session.created;
        let context = "storing a console session";
        self.write(context, move |tx| {
            tx.cached_execute("DELETE FROM console_sessions WHERE expires_at <= ?1", [now])
                .map_err(db(context))?;
            insert_new(
                tx,
                "INSERT INTO console_sessions (key, data, expires_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                params![key, data, expires],
                Unique::Session,
                context,
            )
        })
        .await
    }

    async fn get_console_session(
        &self,
        key: &str,
        now: Epoch,
    ) -> StoreResult<Option<ConsoleSession>> {
        let key = key.to_string();
        let context = "reading a console session";
        self.run(context, move |conn| {
            let raw: Option<String> = conn
                .cached_row(
                    "SELECT data FROM console_sessions WHERE key = ?1 AND expires_at > ?2",
                    params![key, now],
                    |row| row.get(0),
                )
                .optional()
                .map_err(db(context))?;
            raw.as_deref().map(from_json).transpose()
        })
        .await
    }

    async fn touch_console_session(
        &self,
        key: &str,
        last_seen: Epoch,
        expires_at: Epoch,
        now: Epoch,
    ) -> StoreResult<bool> {
        let key = key.to_string();
        let context = "recording use of a console session";
        self.write(context, move |tx| {
            tx.cached_execute(
                "UPDATE console_sessions
                    SET data = json_set(data, '$.last_seen', ?2, '$.expires_at', ?3),
                        expires_at = ?3
                  WHERE key = ?1 AND expires_at > ?4",
                params![key, last_seen, expires_at, now],
            )
            .map(|n| n == 1)
            .map_err(db(context))
        })
        .await
    }

    async fn delete_console_session(&self, key: &str) -> StoreResult<bool> {
        let key = key.to_string();
        let context = "deleting a console session";
        self.write(context, move |tx| {
            tx.cached_execute("DELETE FROM console_sessions WHERE key = ?1", [key])
                .map(|n| n == 1)
                .map_err(db(context))
        })
        .await
    }
}

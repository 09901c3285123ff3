//! Login sessions and login-attempt counters in the embedded store. Expired rows are removed by
//! the next write of their kind, and every read compares expiry with the time it is given.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{Cached, SqliteStore, db, from_json, insert_new, to_json};
use crate::clock::{self, Epoch};
use crate::domain::Session;
use crate::store::{AttemptStore, Attempts, SessionStore, StoreResult, Unique};

#[async_trait]
impl SessionStore for SqliteStore {
    async fn put_session(&self, session: &Session) -> StoreResult<()> {
        let (key, data, expires) = (session.key.clone(), to_json(session)?, session.expires_at);
        let context = "storing a session";
        self.write(context, move |tx| {
            tx.cached_execute(
                "DELETE FROM sessions WHERE expires_at <= ?1",
                [clock::now()],
            )
            .map_err(db(context))?;
            insert_new(
                tx,
                "INSERT INTO sessions (key, data, expires_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                params![key, data, expires],
                Unique::Session,
                context,
            )
        })
        .await
    }

    async fn get_session(&self, key: &str, now: Epoch) -> StoreResult<Option<Session>> {
        let key = key.to_string();
        let context = "reading a session";
        self.run(context, move |conn| {
            let raw: Option<String> = conn
                .cached_row(
                    "SELECT data FROM sessions WHERE key = ?1 AND expires_at > ?2",
                    params![key, now],
                    |row| row.get(0),
                )
                .optional()
                .map_err(db(context))?;
            raw.as_deref().map(from_json).transpose()
        })
        .await
    }

    async fn delete_session(&self, key: &str) -> StoreResult<bool> {
        let key = key.to_string();
        let context = "deleting a session";
        self.write(context, move |tx| {
            tx.cached_execute("DELETE FROM sessions WHERE key = ?1", [key])
                .map(|n| n == 1)
                .map_err(db(context))
        })
        .await
    }
}

#[async_trait]
impl AttemptStore for SqliteStore {
    async fn get_attempts(&self, key: &str, now: Epoch) -> StoreResult<Option<Attempts>> {
        let key = key.to_string();
        let context = "reading a login-attempt counter";
        self.run(context, move |conn| {
            conn.cached_row(
                "SELECT count, window_ends FROM login_attempts WHERE key = ?1 AND window_ends > ?2",
                params![key, now],
                |row| {
                    Ok(Attempts {
                        count: row.get(0)?,
                        window_ends: row.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(db(context))
        })
        .await
    }

    async fn add_attempt(&self, key: &str, window: u64, now: Epoch) -> StoreResult<Attempts> {
        let key = key.to_string();
        let window_ends = now.saturating_add(Epoch::try_from(window).unwrap_or(Epoch::MAX));
        let context = "counting a login attempt";
        self.write(context, move |tx| {
            tx.cached_execute("DELETE FROM login_attempts WHERE window_ends <= ?1", [now])
                .map_err(db(context))?;
            // One statement: the insert, or the increment within the window, is atomic.
            tx.cached_row(
                "INSERT INTO login_attempts (key, count, window_ends) VALUES (?1, 1, ?2)
                 ON CONFLICT(key) DO UPDATE SET
                   count = CASE WHEN window_ends > ?3 THEN count + 1 ELSE 1 END,
                   window_ends = CASE WHEN window_ends > ?3 THEN window_ends
                                      ELSE excluded.window_ends END
                 RETURNING count, window_ends",
                params![key, window_ends, now],
                |row| {
                    Ok(Attempts {
                        count: row.get(0)?,
                        window_ends: row.get(1)?,
                    })
                },
            )
            .map_err(db(context))
        })
        .await
    }

    async fn clear_attempts(&self, key: &str) -> StoreResult<()> {
        let key = key.to_string();
        let context = "clearing login attempts";
        self.write(context, move |tx| {
            tx.cached_execute("DELETE FROM login_attempts WHERE key = ?1", [key])
                .map(|_| ())
                .map_err(db(context))
        })
        .await
    }
}

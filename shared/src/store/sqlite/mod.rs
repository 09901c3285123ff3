//! The embedded store: one SQLite file (bundled library) holding every table and the local secrets.
//!
//! Safe for several processes at once (the local stack and the admin CLI): WAL journal, a busy
//! timeout, and every conditional write inside a `BEGIN IMMEDIATE` transaction, which takes the
//! file's write lock before it reads.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::runtime::RuntimeFlavor;
use tokio::sync::Mutex;

use super::{Page, PageRequest, StoreError, StoreResult, Unique};

mod api_tokens;
mod clients;
mod connection_index;
mod console_sessions;
mod counters;
mod flow_states;
mod journal;
mod keys;
mod sessions;
mod tokens;
mod users;

/// Schema of the embedded store, applied when the file is opened.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS clients (
    id TEXT PRIMARY KEY, data TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    tag TEXT PRIMARY KEY, data TEXT NOT NULL, version INTEGER NOT NULL, due_at INTEGER,
    account_key TEXT);
CREATE INDEX IF NOT EXISTS tokens_due ON tokens(due_at) WHERE due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS tokens_owner ON tokens(json_extract(data, '$.owner'), tag)
    WHERE json_extract(data, '$.owner') IS NOT NULL;
CREATE TABLE IF NOT EXISTS flow_states (
    key TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, email_key TEXT NOT NULL UNIQUE, ext_id TEXT UNIQUE,
    data TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS wordpress_links (
    wordpress_id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, data TEXT NOT NULL,
    version INTEGER NOT NULL, login_key TEXT);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS data_keys (number INTEGER PRIMARY KEY, data TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS api_tokens (hash TEXT PRIMARY KEY, data TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions(expires_at);
CREATE TABLE IF NOT EXISTS console_sessions (
    key TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS console_sessions_expiry ON console_sessions(expires_at);
CREATE TABLE IF NOT EXISTS login_attempts (
    key TEXT PRIMARY KEY, count INTEGER NOT NULL, window_ends INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS login_attempts_expiry ON login_attempts(window_ends);
CREATE TABLE IF NOT EXISTS journal (
    subject TEXT NOT NULL, sort_key TEXT NOT NULL, data TEXT NOT NULL, expires_at INTEGER NOT NULL,
    PRIMARY KEY (subject, sort_key));
CREATE INDEX IF NOT EXISTS journal_expiry ON journal(expires_at);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT NOT NULL, bucket INTEGER NOT NULL, count INTEGER NOT NULL, last INTEGER,
    PRIMARY KEY (name, bucket));
";

/// Statements kept parsed per connection: more than the store has distinct ones.
const STATEMENT_CACHE: usize = 112;

/// The embedded store. Cheap to clone; clones share one connection.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating when needed) the file at `path` and its parent folder.
    pub fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::backend("creating the embedded store's folder", e))?;
        }
        let conn = Connection::open(path)
            .map_err(|e| StoreError::backend("opening the embedded store", e))?;
        Self::init(conn)
    }

    /// A private in-memory store, for tests and benchmarks.
    pub fn in_memory() -> StoreResult<Self> {
        let conn = Connection::open_in_memory()
            .map_err(|e| StoreError::backend("opening an in-memory store", e))?;
        Self::init(conn)
    }

    fn init(conn: Connection) -> StoreResult<Self> {
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.busy_timeout(Duration::from_secs(10))
            .and_then(|_| conn.pragma_update(None, "journal_mode", "WAL"))
            .and_then(|_| conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| conn.execute_batch(SCHEMA))
            .and_then(|_| migrate(&conn))
            .and_then(|_| connection_index::prepare(&conn))
            .map_err(|e| StoreError::backend("preparing the embedded store", e))?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection without holding up the async executor's other tasks.
    ///
    /// Callers wait for the connection as tasks (an async lock), so a burst queues without a
    /// thread per caller. Then, on a multi-threaded runtime (the local stack), `f` runs in place
    /// on this task's worker thread while the worker's other tasks move to another thread
    /// (`block_in_place`): a statement takes tens of microseconds, about what a hand-over to the
    /// blocking pool and back costs on its own. On a current-thread runtime (the CLI, most tests)
    /// `f` runs on the blocking pool; outside any runtime, in place.
    pub(crate) async fn run<T, F>(&self, context: &'static str, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let mut conn = self.conn.clone().lock_owned().await;
        match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(|| f(&mut conn)),
            Ok(_) => tokio::task::spawn_blocking(move || f(&mut conn))
                .await
                .map_err(|e| StoreError::backend(context, e))?,
            Err(_) => f(&mut conn),
        }
    }

    /// Runs `f` inside a `BEGIN IMMEDIATE` transaction, committed when `f` succeeds.
    pub(crate) async fn write<T, F>(&self, context: &'static str, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        self.run(context, move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| StoreError::backend(context, e))?;
            let out = f(&tx)?;
            tx.commit().map_err(|e| StoreError::backend(context, e))?;
            Ok(out)
        })
        .await
    }
}

/// Brings a file made by an earlier version up to the schema: links gained `login_key` (the
/// lower-case WordPress login, unique), filled from each link's stored login; token records gained
/// `account_key` (the [`AccountKey`](crate::domain::AccountKey) of their resource owner), filled
/// from each record's stored owner, so every record is in the account index from the first open.
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    if !has_column(conn, "wordpress_links", "login_key")? {
        conn.execute_batch("ALTER TABLE wordpress_links ADD COLUMN login_key TEXT")?;
        let links: Vec<(i64, String)> = conn
            .prepare("SELECT wordpress_id, data FROM wordpress_links")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (wordpress_id, data) in links {
            let key = serde_json::from_str::<crate::domain::WordpressLink>(&data)
                .ok()
                .and_then(|link| crate::domain::WordpressLink::login_key(&link.login));
            conn.execute(
                "UPDATE wordpress_links SET login_key = ?2 WHERE wordpress_id = ?1",
                rusqlite::params![wordpress_id, key],
            )?;
        }
    }
    if !has_column(conn, "tokens", "account_key")? {
        conn.execute_batch("ALTER TABLE tokens ADD COLUMN account_key TEXT")?;
        let records: Vec<(String, String)> = conn
            .prepare("SELECT tag, data FROM tokens")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (tag, data) in records {
            let key = serde_json::from_str::<crate::domain::StoredToken>(&data)
                .ok()
                .and_then(|record| record.account_key())
                .map(|key| key.as_str().to_string());
            conn.execute(
                "UPDATE tokens SET account_key = ?2 WHERE tag = ?1",
                rusqlite::params![tag, key],
            )?;
        }
    }
    // Secrets gained `changed` (when each was last set); older ones read as unknown.
    if !has_column(conn, "secrets", "changed")? {
        conn.execute_batch("ALTER TABLE secrets ADD COLUMN changed INTEGER")?;
    }
    conn.execute_batch(
        "CREATE UNIQUE INDEX IF NOT EXISTS wordpress_links_login ON wordpress_links(login_key);
         CREATE INDEX IF NOT EXISTS tokens_account ON tokens(account_key, tag)
             WHERE account_key IS NOT NULL;",
    )
}

/// Whether `table` has the column `column`.
fn has_column(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = ?2",
        [table, column],
        |row| row.get::<_, i64>(0).map(|n| n > 0),
    )
}

/// Statements run through the connection's statement cache, so each SQL text is parsed once per
/// connection rather than on every call (a login runs about ten of them).
pub(crate) trait Cached {
    /// `query_row` on a cached statement.
    fn cached_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
    /// `execute` on a cached statement.
    fn cached_execute<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
}

impl Cached for Connection {
    fn cached_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    fn cached_execute<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }
}

/// Maps a SQLite error to a backend error with context.
pub(crate) fn db(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::backend(context, e)
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::backend("encoding a record", e))
}

pub(crate) fn from_json<T: DeserializeOwned>(raw: &str) -> StoreResult<T> {
    serde_json::from_str(raw).map_err(|e| StoreError::backend("decoding a stored record", e))
}

/// Reads one `data` column by key.
pub(crate) fn get_data<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    key: impl rusqlite::ToSql,
    context: &'static str,
) -> StoreResult<Option<T>> {
    let raw: Option<String> = conn
        .cached_row(sql, [key], |row| row.get(0))
        .optional()
        .map_err(db(context))?;
    raw.as_deref().map(from_json).transpose()
}

/// Lists `data` in key order after the cursor; `sql` selects `key, data` with `?1` the cursor and
/// `?2` the limit.
pub(crate) fn list_page<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    page: &PageRequest,
    context: &'static str,
) -> StoreResult<Page<T>> {
    list_page_of(conn, sql, None, page, context)
}

/// [`list_page`] with a third parameter, `?3 = key` (e.g. the owner whose records are listed).
pub(crate) fn list_page_of<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    key: Option<&str>,
    page: &PageRequest,
    context: &'static str,
) -> StoreResult<Page<T>> {
    let limit = page.effective_limit() as usize;
    let after = page.after.clone().unwrap_or_default();
    let mut stmt = conn.prepare_cached(sql).map_err(db(context))?;
    let params: Vec<Box<dyn rusqlite::ToSql>> = match key {
        Some(key) => vec![
            Box::new(after),
            Box::new((limit + 1) as i64),
            Box::new(key.to_string()),
        ],
        None => vec![Box::new(after), Box::new((limit + 1) as i64)],
    };
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params.iter()), |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(db(context))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db(context))?;
    let more = rows.len() > limit;
    let mut items = Vec::with_capacity(limit.min(rows.len()));
    let mut last = None;
    for (key, data) in rows.into_iter().take(limit) {
        items.push(from_json(&data)?);
        last = Some(key);
    }
    Ok(Page {
        items,
        next: if more { last } else { None },
    })
}

/// Runs an `UPDATE ... WHERE key = ? AND version = ?` and tells stale from missing.
pub(crate) fn check_updated(
    tx: &rusqlite::Transaction<'_>,
    changed: usize,
    exists_sql: &str,
    key: impl rusqlite::ToSql,
    context: &'static str,
) -> StoreResult<()> {
    if changed == 1 {
        return Ok(());
    }
    let exists: Option<i64> = tx
        .cached_row(exists_sql, [key], |row| row.get(0))
        .optional()
        .map_err(db(context))?;
    Err(match exists {
        Some(_) => StoreError::StaleVersion,
        None => StoreError::NotFound,
    })
}

/// Runs an `INSERT ... ON CONFLICT DO NOTHING`: a create, which loses with `AlreadyExists(what)`
/// when the key is taken.
pub(crate) fn insert_new(
    tx: &rusqlite::Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
    what: Unique,
    context: &'static str,
) -> StoreResult<()> {
    match tx.cached_execute(sql, params).map_err(db(context))? {
        1 => Ok(()),
        _ => Err(StoreError::AlreadyExists(what)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SessionStore;

    /// A session written and read back through `store`, wherever the caller runs.
    async fn round_trip(store: &SqliteStore, key: &str) -> Option<crate::domain::Session> {
        let session = crate::domain::Session {
            key: key.to_string(),
            user_id: crate::domain::UserId::generate(),
            created: 1,
            expires_at: crate::clock::Epoch::MAX,
            generation: 0,
        };
        store
            .put_session(&session)
            .await
            .expect("storing a session");
        store.get_session(key, 2).await.expect("reading a session")
    }

    #[test]
    fn the_store_answers_on_either_runtime_and_outside_one() {
        let store = SqliteStore::in_memory().unwrap();
        let current = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert!(current.block_on(round_trip(&store, "a")).is_some());
        let multi = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        // On a worker thread (the statement runs in place) and in `block_on` itself.
        let spawned = {
            let store = store.clone();
            multi.spawn(async move { round_trip(&store, "b").await })
        };
        assert!(multi.block_on(spawned).unwrap().is_some());
        assert!(multi.block_on(round_trip(&store, "c")).is_some());
        assert!(futures::executor::block_on(round_trip(&store, "d")).is_some());
    }
}

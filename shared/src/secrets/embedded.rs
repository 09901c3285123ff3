//! Secrets in the embedded store's SQLite file, for local runs only: the file is the local
//! developer's, and nothing in it leaves the machine.

use async_trait::async_trait;
use rusqlite::OptionalExtension;
use secrecy::{ExposeSecret, SecretString};

use super::{SecretError, SecretStore};
use crate::store::sqlite::{Cached, SqliteStore};

#[async_trait]
impl SecretStore for SqliteStore {
    async fn put_secret(&self, name: &str, value: &SecretString) -> Result<(), SecretError> {
        let (key, value) = (name.to_string(), value.expose_secret().to_string());
        self.run("writing a secret", move |conn| {
            conn.cached_execute(
                "INSERT INTO secrets (name, value, changed) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO UPDATE SET value = excluded.value, changed = excluded.changed",
                rusqlite::params![key, value, crate::clock::now()],
            )
            .map(|_| ())
            .map_err(|e| crate::store::StoreError::backend("writing a secret", e))
        })
        .await
        .map_err(|e| SecretError::backend("writing a secret", name, e))
    }

    async fn create_secret(&self, name: &str, value: &SecretString) -> Result<bool, SecretError> {
        let (key, value) = (name.to_string(), value.expose_secret().to_string());
        self.run("creating a secret", move |conn| {
            conn.cached_execute(
                "INSERT INTO secrets (name, value, changed) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO NOTHING",
                rusqlite::params![key, value, crate::clock::now()],
            )
            .map(|n| n == 1)
            .map_err(|e| crate::store::StoreError::backend("creating a secret", e))
        })
        .await
        .map_err(|e| SecretError::backend("creating a secret", name, e))
    }

    async fn get_secret(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        let key = name.to_string();
        self.run("reading a secret", move |conn| {
            conn.cached_row("SELECT value FROM secrets WHERE name = ?1", [key], |row| {
                row.get::<_, String>(0)
            })
            .optional()
            .map_err(|e| crate::store::StoreError::backend("reading a secret", e))
        })
        .await
        .map(|value| value.map(SecretString::from))
        .map_err(|e| SecretError::backend("reading a secret", name, e))
    }

    async fn list_secrets(&self, prefix: &str) -> Result<Vec<String>, SecretError> {
        let prefix = prefix.to_string();
        let context = "listing secrets";
        self.run(context, move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT name FROM secrets WHERE substr(name, 1, length(?1)) = ?1 ORDER BY name",
                )
                .map_err(|e| crate::store::StoreError::backend(context, e))?;
            stmt.query_map([prefix], |row| row.get::<_, String>(0))
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(|e| crate::store::StoreError::backend(context, e))
        })
        .await
        .map_err(|e| SecretError::backend(context, "*", e))
    }

    async fn changed_at(&self, name: &str) -> Result<Option<crate::clock::Epoch>, SecretError> {
        let key = name.to_string();
        let context = "reading when a secret was set";
        self.run(context, move |conn| {
            conn.cached_row(
                "SELECT changed FROM secrets WHERE name = ?1",
                [key],
                |row| row.get::<_, Option<i64>>(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| crate::store::StoreError::backend(context, e))
        })
        .await
        .map_err(|e| SecretError::backend(context, name, e))
    }

    async fn delete_secret(&self, name: &str) -> Result<bool, SecretError> {
        let key = name.to_string();
        self.run("deleting a secret", move |conn| {
            conn.cached_execute("DELETE FROM secrets WHERE name = ?1", [key])
                .map(|n| n == 1)
                .map_err(|e| crate::store::StoreError::backend("deleting a secret", e))
        })
        .await
        .map_err(|e| SecretError::backend("deleting a secret", name, e))
    }
}

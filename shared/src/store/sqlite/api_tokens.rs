//! API tokens in the embedded store.

use async_trait::async_trait;
use rusqlite::params;

use super::{Cached, SqliteStore, check_updated, db, get_data, insert_new, list_page, to_json};
use crate::domain::ApiToken;
use crate::store::{ApiTokenStore, Page, PageRequest, StoreResult, Unique, Update};

#[async_trait]
impl ApiTokenStore for SqliteStore {
    async fn create_api_token(&self, token: &ApiToken) -> StoreResult<()> {
        let (hash, data, version) = (
            token.token_hash.clone(),
            to_json(token)?,
            token.version as i64,
        );
        self.write("creating an API token", move |tx| {
            insert_new(
                tx,
                "INSERT INTO api_tokens (hash, data, version) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                params![hash, data, version],
                Unique::ApiToken,
                "creating an API token",
            )
        })
        .await
    }

    async fn get_api_token(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        let hash = token_hash.to_string();
        self.run("reading an API token", move |conn| {
            get_data(
                conn,
                "SELECT data FROM api_tokens WHERE hash = ?1",
                hash,
                "reading an API token",
            )
        })
        .await
    }

    async fn update_api_token(&self, token: &ApiToken) -> StoreResult<ApiToken> {
        let update = Update::of(token);
        let (hash, data) = (token.token_hash.clone(), to_json(&update.next)?);
        let (next, expected) = (update.next_sql(), update.expected_sql());
        self.write("updating an API token", move |tx| {
            let changed = tx
                .cached_execute(
                    "UPDATE api_tokens SET data = ?2, version = ?3 WHERE hash = ?1 AND version = ?4",
                    params![hash, data, next, expected],
                )
                .map_err(db("updating an API token"))?;
            check_updated(tx, changed, "SELECT 1 FROM api_tokens WHERE hash = ?1", hash, "updating an API token")
        })
        .await?;
        Ok(update.next)
    }

    async fn delete_api_token(&self, token_hash: &str) -> StoreResult<bool> {
        let hash = token_hash.to_string();
        self.run("deleting an API token", move |conn| {
            conn.cached_execute("DELETE FROM api_tokens WHERE hash = ?1", [hash])
                .map(|n| n == 1)
                .map_err(db("deleting an API token"))
        })
        .await
    }

    async fn list_api_tokens(&self, page: &PageRequest) -> StoreResult<Page<ApiToken>> {
        let page = page.clone();
        self.run("listing API tokens", move |conn| {
            list_page(
                conn,
                "SELECT hash, data FROM api_tokens WHERE hash > ?1 ORDER BY hash LIMIT ?2",
                &page,
                "listing API tokens",
            )
        })
        .await
    }
}

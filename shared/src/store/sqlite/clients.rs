//! OAuth clients in the embedded store.

use async_trait::async_trait;
use rusqlite::params;

use super::{Cached, SqliteStore, check_updated, db, get_data, insert_new, list_page, to_json};
use crate::domain::{ClientId, OAuthClient};
use crate::store::{ClientStore, Page, PageRequest, StoreResult, Unique, Update};

#[async_trait]
impl ClientStore for SqliteStore {
    async fn create_client(&self, client: &OAuthClient) -> StoreResult<()> {
        let (id, data, version) = (client.id.to_string(), to_json(client)?, client.version);
        self.write("creating a client", move |tx| {
            insert_new(
                tx,
                "INSERT INTO clients (id, data, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                params![id, data, version as i64],
                Unique::Client,
                "creating a client",
            )
        })
        .await
    }

    async fn get_client(&self, id: &ClientId) -> StoreResult<Option<OAuthClient>> {
        let id = id.to_string();
        self.run("reading a client", move |conn| {
            get_data(
                conn,
                "SELECT data FROM clients WHERE id = ?1",
                id,
                "reading a client",
            )
        })
        .await
    }

    async fn update_client(&self, client: &OAuthClient) -> StoreResult<OAuthClient> {
        let update = Update::of(client);
        let (id, data) = (client.id.to_string(), to_json(&update.next)?);
        let (next, expected) = (update.next_sql(), update.expected_sql());
        self.write("updating a client", move |tx| {
            let changed = tx
                .cached_execute(
                    "UPDATE clients SET data = ?2, version = ?3 WHERE id = ?1 AND version = ?4",
                    params![id, data, next, expected],
                )
                .map_err(db("updating a client"))?;
            check_updated(
                tx,
                changed,
                "SELECT 1 FROM clients WHERE id = ?1",
                id,
                "updating a client",
            )
        })
        .await?;
        Ok(update.next)
    }

    async fn delete_client(&self, id: &ClientId) -> StoreResult<bool> {
        let id = id.to_string();
        self.run("deleting a client", move |conn| {
            conn.cached_execute("DELETE FROM clients WHERE id = ?1", [id])
                .map(|n| n == 1)
                .map_err(db("deleting a client"))
        })
        .await
    }

    async fn list_clients(&self, page: &PageRequest) -> StoreResult<Page<OAuthClient>> {
        let page = page.clone();
        self.run("listing clients", move |conn| {
            list_page(
                conn,
                "SELECT id, data FROM clients WHERE id > ?1 ORDER BY id LIMIT ?2",
                &page,
                "listing clients",
            )
        })
        .await
    }
}

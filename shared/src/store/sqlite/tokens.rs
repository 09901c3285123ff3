//! Token records in the embedded store.

use async_trait::async_trait;
use rusqlite::params;

use super::{
    Cached, SqliteStore, check_updated, db, from_json, get_data, insert_new, list_page,
    list_page_of, to_json,
};
use crate::clock::Epoch;
use crate::domain::token_lifecycle::SeenRecord;
use crate::domain::{AccountKey, Owner, StoredToken, Tag};
use crate::store::{
    DueCursor, LeaseAttempt, Page, PageRequest, StoreResult, TokenStore, Unique, Update,
};

#[async_trait]
impl TokenStore for SqliteStore {
    async fn create_token(&self, token: &StoredToken) -> StoreResult<()> {
        let (tag, data, due) = (token.tag.to_string(), to_json(token)?, token.due_at);
        let account = account_column(token);
        let version = token.version as i64;
        self.write("creating a token record", move |tx| {
            insert_new(
                tx,
                "INSERT INTO tokens (tag, data, version, due_at, account_key)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                params![tag, data, version, due, account],
                Unique::Token,
                "creating a token record",
            )
        })
        .await
    }

    async fn get_token(&self, tag: &Tag) -> StoreResult<Option<StoredToken>> {
        let tag = tag.to_string();
        self.run("reading a token record", move |conn| {
            get_data(
                conn,
                "SELECT data FROM tokens WHERE tag = ?1",
                tag,
                "reading a token record",
            )
        })
        .await
    }

    async fn update_token(&self, token: &StoredToken) -> StoreResult<StoredToken> {
        let update = Update::of(token);
        let (tag, data, due) = (token.tag.to_string(), to_json(&update.next)?, token.due_at);
        let account = account_column(token);
        let (next, expected) = (update.next_sql(), update.expected_sql());
        self.write("updating a token record", move |tx| {
            let changed = tx
                .cached_execute(
                    "UPDATE tokens SET data = ?2, version = ?3, due_at = ?4, account_key = ?6
                     WHERE tag = ?1 AND version = ?5",
                    params![tag, data, next, due, expected, account],
                )
                .map_err(db("updating a token record"))?;
            check_updated(
                tx,
                changed,
                "SELECT 1 FROM tokens WHERE tag = ?1",
                tag,
                "updating a token record",
            )
        })
        .await?;
        Ok(update.next)
    }

    /// One transaction: the record's read, and its leased form's write when it is the one seen.
    async fn lease_token(
        &self,
        seen: &SeenRecord,
        owner: &str,
        until: Epoch,
    ) -> StoreResult<LeaseAttempt> {
        let (seen, owner) = (seen.clone(), owner.to_string());
        let context = "leasing a token record";
        self.write(context, move |tx| {
            let tag = seen.tag.to_string();
            let current: Option<StoredToken> =
                get_data(tx, "SELECT data FROM tokens WHERE tag = ?1", &tag, context)?;
            let current = match current {
                Some(record) if seen.is(&record) => record,
                other => return Ok(LeaseAttempt::Lost(other)),
            };
            let update = Update::of(&current.leased_until(&owner, until));
            tx.cached_execute(
                "UPDATE tokens SET data = ?2, version = ?3 WHERE tag = ?1 AND version = ?4",
                params![
                    tag,
                    to_json(&update.next)?,
                    update.next_sql(),
                    update.expected_sql()
                ],
            )
            .map_err(db(context))?;
            Ok(LeaseAttempt::Won(update.next))
        })
        .await
    }

    async fn delete_token(&self, tag: &Tag) -> StoreResult<bool> {
        let tag = tag.to_string();
        self.run("deleting a token record", move |conn| {
            conn.cached_execute("DELETE FROM tokens WHERE tag = ?1", [tag])
                .map(|n| n == 1)
                .map_err(db("deleting a token record"))
        })
        .await
    }

    async fn due_tokens(&self, now: Epoch, page: &PageRequest) -> StoreResult<Page<StoredToken>> {
        let limit = page.effective_limit() as usize;
        let after = DueCursor::decode(page.after.as_deref()).unwrap_or(DueCursor {
            due: Epoch::MIN,
            tag: String::new(),
        });
        self.run("listing due token records", move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT due_at, tag, data FROM tokens
                     WHERE due_at IS NOT NULL AND due_at <= ?1
                       AND (due_at > ?2 OR (due_at = ?2 AND tag > ?3))
                     ORDER BY due_at, tag LIMIT ?4",
                )
                .map_err(db("listing due token records"))?;
            let rows = stmt
                .query_map(
                    params![now, after.due, after.tag, (limit + 1) as i64],
                    |row| {
                        Ok((
                            row.get::<_, Epoch>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                        ))
                    },
                )
                .map_err(db("listing due token records"))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db("listing due token records"))?;
            let more = rows.len() > limit;
            let mut items = Vec::with_capacity(rows.len().min(limit));
            let mut next = None;
            for (due, tag, data) in rows.into_iter().take(limit) {
                items.push(from_json(&data)?);
                next = Some(DueCursor { due, tag }.encode());
            }
            Ok(Page {
                items,
                next: if more { next } else { None },
            })
        })
        .await
    }

    async fn list_tokens(&self, page: &PageRequest) -> StoreResult<Page<StoredToken>> {
        let page = page.clone();
        self.run("listing token records", move |conn| {
            list_page(
                conn,
                "SELECT tag, data FROM tokens WHERE tag > ?1 ORDER BY tag LIMIT ?2",
                &page,
                "listing token records",
            )
        })
        .await
    }

    async fn owner_tokens(
        &self,
        owner: &Owner,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredToken>> {
        let (owner, page) = (owner.to_string(), page.clone());
        self.run("listing an owner's token records", move |conn| {
            // The expression is the index's own, so the index answers it.
            list_page_of(
                conn,
                "SELECT tag, data FROM tokens WHERE json_extract(data, '$.owner') = ?3
                 AND tag > ?1 ORDER BY tag LIMIT ?2",
                Some(&owner),
                &page,
                "listing an owner's token records",
            )
        })
        .await
    }

    async fn account_tokens(
        &self,
        account: &AccountKey,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredToken>> {
        let (account, page) = (account.as_str().to_string(), page.clone());
        self.run("listing the token records of an account", move |conn| {
            list_page_of(
                conn,
                "SELECT tag, data FROM tokens WHERE account_key = ?3
                 AND tag > ?1 ORDER BY tag LIMIT ?2",
                Some(&account),
                &page,
                "listing the token records of an account",
            )
        })
        .await
    }
}

/// The `account_key` column of `token`: its account index entry.
fn account_column(token: &StoredToken) -> Option<String> {
    token.account_key().map(|key| key.as_str().to_string())
}

//! Finding connections in the embedded store: one `SELECT` over `tokens` whose conditions are only
//! the filters given, so SQLite reads through the index that fits: `tokens_owner` for an owner,
//! `tokens_client_status` (expression index on the record's client and its connection status)
//! for clients, `tokens_status` for a status alone, the primary key (tag order) otherwise; a tag
//! prefix is a key range.

use async_trait::async_trait;

use super::{SqliteStore, db, from_json};
use crate::domain::{ConnectionFilter, StoredToken};
use crate::store::{ConnectionIndex, Page, PageRequest, StoreError, StoreResult};

/// A record's connection status, as [`StoredToken::connection_status`] decides it, in SQL: the
/// index and the query must spell it the same for SQLite to use the index.
const STATUS: &str = "(CASE WHEN json_extract(data, '$.status') = 'reauthorization_required' \
     THEN 'needs_reauthorization' WHEN json_extract(data, '$.error') IS NOT NULL \
     THEN 'refresh_failing' WHEN json_extract(data, '$.expiring_since') IS NOT NULL \
     THEN 'expiring' ELSE 'active' END)";

/// A record's client id, in SQL.
const CLIENT: &str = "json_extract(data, '$.client_id')";

/// Creates the client-and-status and status indexes (on a file made by an earlier version too:
/// an expression index covers the rows already there). The `_v2` indexes spell the status with
/// `expiring`; the earlier ones, without it, are dropped (the planner would not use them).
pub(super) fn prepare(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "DROP INDEX IF EXISTS tokens_client_status;
         DROP INDEX IF EXISTS tokens_status;
         CREATE INDEX IF NOT EXISTS tokens_client_status_v2 ON tokens({CLIENT}, {STATUS}, tag);
         CREATE INDEX IF NOT EXISTS tokens_status_v2 ON tokens({STATUS}, tag);"
    ))
}

/// The statement `find_tokens` runs for `filter` (its parameters in order: the cursor, then each
/// filter given, then the limit).
fn statement(filter: &ConnectionFilter) -> String {
    let mut conditions = vec!["tag > ?".to_string()];
    if filter.owner.is_some() {
        conditions.push("json_extract(data, '$.owner') = ?".into());
    }
    if filter.clients.is_some() {
        conditions.push(format!("{CLIENT} IN (SELECT value FROM json_each(?))"));
    }
    if filter.status.is_some() {
        conditions.push(format!("{STATUS} = ?"));
    }
    if filter.tag_prefix.is_some() {
        conditions.push("tag >= ? AND tag < ?".into());
    }
    format!(
        "SELECT tag, data FROM tokens WHERE {} ORDER BY tag LIMIT ?",
        conditions.join(" AND ")
    )
}

#[async_trait]
impl ConnectionIndex for SqliteStore {
    async fn find_tokens(
        &self,
        filter: &ConnectionFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredToken>> {
        let context = "finding connections";
        let mut params: Vec<Box<dyn rusqlite::ToSql + Send>> =
            vec![Box::new(page.after.clone().unwrap_or_default())];
        if let Some(owner) = &filter.owner {
            params.push(Box::new(owner.to_string()));
        }
        if let Some(clients) = &filter.clients {
            let ids: Vec<&str> = clients.iter().map(|c| c.as_str()).collect();
            let ids = serde_json::to_string(&ids).map_err(|e| StoreError::backend(context, e))?;
            params.push(Box::new(ids));
        }
        if let Some(status) = filter.status {
            params.push(Box::new(status.name()));
        }
        if let Some(prefix) = &filter.tag_prefix {
            params.push(Box::new(prefix.clone()));
            params.push(Box::new(format!("{prefix}{}", char::MAX)));
        }
        let limit = page.effective_limit() as usize;
        params.push(Box::new((limit + 1) as i64));
        let sql = statement(filter);
        self.run(context, move |conn| {
            let mut statement = conn.prepare_cached(&sql).map_err(db(context))?;
            let rows = statement
                .query_map(
                    rusqlite::params_from_iter(params.iter().map(|p| p as &dyn rusqlite::ToSql)),
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
                )
                .map_err(db(context))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db(context))?;
            let more = rows.len() > limit;
            let mut items = Vec::with_capacity(rows.len().min(limit));
            let mut last = None;
            for (tag, data) in rows.into_iter().take(limit) {
                items.push(from_json(&data)?);
                last = Some(tag);
            }
            Ok(Page {
                items,
                next: last.filter(|_| more),
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClientId, ConnectionStatus};

    /// What SQLite's plan for `filter` says it reads.
    fn plan(filter: &ConnectionFilter) -> String {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(super::super::SCHEMA).unwrap();
        prepare(&conn).unwrap();
        let sql = format!("EXPLAIN QUERY PLAN {}", statement(filter));
        let mut statement = conn.prepare(&sql).unwrap();
        let count = statement.parameter_count();
        let params: Vec<String> = (0..count).map(|_| "[]".to_string()).collect();
        statement
            .query_map(rusqlite::params_from_iter(params), |row| {
                row.get::<_, String>(3)
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
            .join("; ")
    }

    #[test]
    fn each_filter_is_read_through_its_index() {
        let status = ConnectionFilter {
            status: Some(ConnectionStatus::RefreshFailing),
            ..Default::default()
        };
        assert!(
            plan(&status).contains("USING INDEX tokens_status"),
            "{}",
            plan(&status)
        );
        let clients = ConnectionFilter {
            clients: Some(vec![ClientId::stored("a")]),
            ..Default::default()
        };
        assert!(
            plan(&clients).contains("USING INDEX tokens_client_status"),
            "{}",
            plan(&clients)
        );
        let owner = ConnectionFilter {
            owner: Some(crate::domain::Owner::parse("contact:1").unwrap()),
            tag_prefix: Some("mail".into()),
            ..Default::default()
        };
        assert!(
            plan(&owner).contains("USING INDEX tokens_owner"),
            "{}",
            plan(&owner)
        );
        let prefix = ConnectionFilter {
            tag_prefix: Some("mail".into()),
            ..Default::default()
        };
        assert!(!plan(&prefix).contains("SCAN tokens"), "{}", plan(&prefix));
    }
}

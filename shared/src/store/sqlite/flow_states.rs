//! Authorization-flow states in the embedded store.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{Cached, SqliteStore, db, from_json, insert_new, to_json};
use crate::clock::Epoch;
use crate::domain::FlowState;
use crate::store::{FlowStateStore, Opened, StoreResult, Taken, Unique};

#[async_trait]
impl FlowStateStore for SqliteStore {
    async fn put_flow_state(&self, state: &FlowState) -> StoreResult<()> {
        let (key, data, expires) = (state.key.clone(), to_json(state)?, state.expires_at);
        self.write("storing a flow state", move |tx| {
            // An expired state under the same key is garbage: replace it.
            tx.cached_execute(
                "DELETE FROM flow_states WHERE key = ?1 AND expires_at <= strftime('%s','now')",
                [&key],
            )
            .map_err(db("storing a flow state"))?;
            insert_new(
                tx,
                "INSERT INTO flow_states (key, data, expires_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                params![key, data, expires],
                Unique::FlowState,
                "storing a flow state",
            )
        })
        .await
    }

    async fn take_flow_state(&self, key: &str, now: Epoch) -> StoreResult<Taken<FlowState>> {
        let key = key.to_string();
        self.write("consuming a flow state", move |tx| {
            let row: Option<(String, Epoch)> = tx
                .cached_row(
                    "DELETE FROM flow_states WHERE key = ?1 RETURNING data, expires_at",
                    [key],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(db("consuming a flow state"))?;
            Ok(match row {
                None => Taken::Absent,
                Some((_, expires)) if expires <= now => Taken::Expired,
                Some((data, _)) => Taken::Live(from_json(&data)?),
            })
        })
        .await
    }

    async fn open_flow_state(
        &self,
        key: &str,
        binding: &str,
        now: Epoch,
    ) -> StoreResult<Opened<FlowState>> {
        let (key, binding) = (key.to_string(), binding.to_string());
        self.write("opening a flow state", move |tx| {
            let row: Option<(String, Epoch)> = tx
                .cached_row(
                    "SELECT data, expires_at FROM flow_states WHERE key = ?1",
                    [&key],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(db("opening a flow state"))?;
            let Some((data, expires)) = row else {
                return Ok(Opened::Absent);
            };
            if expires <= now {
                return Ok(Opened::Expired);
            }
            let mut state: FlowState = from_json(&data)?;
            if state.binding.is_some() {
                return Ok(Opened::AlreadyOpened);
            }
            state.binding = Some(binding);
            tx.cached_execute(
                "UPDATE flow_states SET data = ?2 WHERE key = ?1",
                params![key, to_json(&state)?],
            )
            .map_err(db("opening a flow state"))?;
            Ok(Opened::Opened(state))
        })
        .await
    }
}

//! Authorization-flow states in DynamoDB: item `STATE#<sha256>` with a TTL. DynamoDB deletes expired
//! items only eventually (the emulator never), so expiry is also checked on read.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::{DynamoStore, backend};
use crate::clock::Epoch;
use crate::domain::FlowState;
use crate::store::schema;
use crate::store::{FlowStateStore, StoreError, StoreResult, Taken, Unique};

fn pk(key: &str) -> String {
    format!("STATE#{key}")
}

#[async_trait]
impl FlowStateStore for DynamoStore {
    async fn put_flow_state(&self, state: &FlowState) -> StoreResult<()> {
        let item = Self::encode(state, pk(&state.key), None)?;
        self.put_short_lived(
            item,
            state.expires_at,
            "storing a flow state",
            StoreError::AlreadyExists(Unique::FlowState),
        )
        .await
    }

    async fn take_flow_state(&self, key: &str, now: Epoch) -> StoreResult<Taken<FlowState>> {
        let out = self
            .client()
            .delete_item()
            .table_name(self.table())
            .key(schema::PK, AttributeValue::S(pk(key)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| backend("consuming a flow state", e))?;
        let Some(item) = out.attributes else {
            return Ok(Taken::Absent);
        };
        let state: FlowState = Self::decode(item)?;
        Ok(if state.expires_at <= now {
            Taken::Expired
        } else {
            Taken::Live(state)
        })
    }
}

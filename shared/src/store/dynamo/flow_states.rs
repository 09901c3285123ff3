//! Authorization-flow states in DynamoDB: item `STATE#<sha256>` with a TTL. DynamoDB deletes expired
//! items only eventually (the emulator never), so expiry is also checked on read.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{Condition, DynamoStore, number};
use crate::clock::Epoch;
use crate::domain::FlowState;
use crate::store::{FlowStateStore, Opened, StoreError, StoreResult, Taken, Unique};

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
        let Some(item) = self.take_item(pk(key), "consuming a flow state").await? else {
            return Ok(Taken::Absent);
        };
        let state: FlowState = Self::decode(item)?;
        Ok(if state.expires_at <= now {
            Taken::Expired
        } else {
            Taken::Live(state)
        })
    }

    async fn open_flow_state(
        &self,
        key: &str,
        binding: &str,
        now: Epoch,
    ) -> StoreResult<Opened<FlowState>> {
        let context = "opening a flow state";
        let unopened = Condition::new(
            "attribute_exists(pk) AND attribute_not_exists(#binding) AND #expires > :now",
        )
        .name("#binding", "binding")
        .name("#expires", "expires_at")
        .value(":binding", AttributeValue::S(binding.to_string()))
        .value(":now", number(now));
        let opened = self
            .update_if(pk(key), "SET #binding = :binding", unopened, context)
            .await?;
        match opened {
            Some(item) => Ok(Opened::Opened(Self::decode(item)?)),
            None => {
                // Why it lost: read what is there now.
                let Some(item) = self.get_item(pk(key), context).await? else {
                    return Ok(Opened::Absent);
                };
                let state: FlowState = Self::decode(item)?;
                Ok(if state.expires_at <= now {
                    Opened::Expired
                } else if state.binding.as_deref() == Some(binding) {
                    // A retry after a lost answer met this very open.
                    Opened::Opened(state)
                } else {
                    Opened::AlreadyOpened
                })
            }
        }
    }
}

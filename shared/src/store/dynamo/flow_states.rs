//! Authorization-flow states in DynamoDB: item `STATE#<sha256>` with a TTL. DynamoDB deletes expired
//! items only eventually (the emulator never), so expiry is also checked on read.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::{DynamoStore, backend, is_condition_failure, number};
use crate::clock::Epoch;
use crate::domain::FlowState;
use crate::store::schema;
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

    async fn open_flow_state(
        &self,
        key: &str,
        binding: &str,
        now: Epoch,
    ) -> StoreResult<Opened<FlowState>> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .key(schema::PK, AttributeValue::S(pk(key)))
            .update_expression("SET #binding = :binding")
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(#binding) AND #expires > :now",
            )
            .expression_attribute_names("#binding", "binding")
            .expression_attribute_names("#expires", "expires_at")
            .expression_attribute_values(":binding", AttributeValue::S(binding.to_string()))
            .expression_attribute_values(":now", number(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => match out.attributes {
                Some(item) => Ok(Opened::Opened(Self::decode(item)?)),
                None => Err(StoreError::backend(
                    "opening a flow state",
                    "no item in the answer",
                )),
            },
            Err(e) if is_condition_failure(&e) => {
                // Why it lost: read what is there now.
                let Some(item) = self.get_item(pk(key), "opening a flow state").await? else {
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
            Err(e) => Err(backend("opening a flow state", e)),
        }
    }
}

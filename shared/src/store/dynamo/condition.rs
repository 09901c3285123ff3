//! Condition expressions of the store's conditional writes, with the names and values their
//! placeholders stand for, written once and applied to every kind of request that takes one.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::builders::{DeleteBuilder, PutBuilder};

use super::number;
use crate::clock::Epoch;
use crate::store::schema;

/// A condition expression and the placeholders of its request (an update's own placeholders
/// included: DynamoDB takes one set per request).
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    expression: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Condition {
    pub fn new(expression: impl Into<String>) -> Self {
        Condition {
            expression: expression.into(),
            names: HashMap::new(),
            values: HashMap::new(),
        }
    }

    /// `placeholder` (`#name`) stands for the attribute `attribute`.
    pub fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names.insert(placeholder.into(), attribute.into());
        self
    }

    /// `placeholder` (`:name`) stands for `value`.
    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.into(), value);
        self
    }

    /// This condition and `expression` (whose placeholders are named with [`Self::name`] and
    /// [`Self::value`]).
    pub fn and(mut self, expression: &str) -> Self {
        self.expression = format!("({}) AND ({expression})", self.expression);
        self
    }

    /// No item has the key: a create.
    pub fn absent() -> Self {
        Condition::new("attribute_not_exists(pk)")
    }

    /// No live item has the key: absent, or its `ttl` is at or before `now` (DynamoDB deletes
    /// expired items only eventually).
    pub fn absent_or_expired(now: Epoch) -> Self {
        Condition::new("attribute_not_exists(pk) OR #ttl <= :now")
            .name("#ttl", schema::TTL)
            .value(":now", number(now))
    }

    /// The stored item has version `expected`: an optimistic update.
    pub fn at_version(expected: u64) -> Self {
        Condition::new("attribute_exists(pk) AND version = :expected")
            .value(":expected", number(expected))
    }

    /// No item has the key, or the one there belongs to `owner` (its `user_id`): a guard item
    /// written or removed by its own user.
    pub fn absent_or_owned_by(owner: &str) -> Self {
        Condition::new("attribute_not_exists(pk) OR user_id = :owner")
            .value(":owner", AttributeValue::S(owner.to_string()))
    }
}

/// `map`, or `None` when it is empty: DynamoDB refuses an empty map of names or values.
fn non_empty<V>(map: HashMap<String, V>) -> Option<HashMap<String, V>> {
    (!map.is_empty()).then_some(map)
}

/// `Condition::apply_*`: the same three setters on each request builder that takes a condition.
macro_rules! apply {
    ($($method:ident($builder:ty)),*) => {
        impl Condition {$(
            pub fn $method(self, builder: $builder) -> $builder {
                builder
                    .condition_expression(self.expression)
                    .set_expression_attribute_names(non_empty(self.names))
                    .set_expression_attribute_values(non_empty(self.values))
            }
        )*}
    };
}

apply!(
    apply_put(PutItemFluentBuilder),
    apply_update(UpdateItemFluentBuilder),
    apply_tx_put(PutBuilder),
    apply_tx_delete(DeleteBuilder)
);

//! The one DynamoDB table: its key schema, indexes and TTL attribute.
//!
//! `template.yaml` declares the same table; `shared/tests/template_schema.rs` parses the template and
//! checks that both agree, and [`crate::store::dynamo::create_table`] creates exactly this.

/// Partition key of every item: `<KIND>#<id>`.
pub const PK: &str = "pk";
/// Partition key of the listing index: the item kind (`CLIENTS`, `TOKENS`, `USERS`, ...).
pub const GSI_KIND_PK: &str = "kind";
/// Sort key of the listing index: the item's id, so listing is in id order.
pub const GSI_KIND_SK: &str = "sort_key";
/// Partition key of the due-token index: one shard label per token.
pub const GSI_DUE_PK: &str = "due_shard";
/// Sort key of the due-token index: when the token is due for refresh (epoch seconds).
pub const GSI_DUE_SK: &str = "due_at";
/// DynamoDB's TTL attribute (epoch seconds) on short-lived items.
pub const TTL: &str = "ttl";
/// A random id of the call that wrote an item, so a write whose answer was lost is recognised
/// as the caller's own when the SDK's retry meets it (not a key: no index, no attribute definition).
pub const WRITE_ID: &str = "write_id";

/// Name of the listing index.
pub const INDEX_BY_KIND: &str = "by-kind";
/// Name of the due-token index (sparse: only tokens with a `due_at`).
pub const INDEX_DUE: &str = "due";
/// Attribute holding a token record's owner, the hash key of the sparse [`INDEX_BY_OWNER`].
pub const GSI_OWNER_PK: &str = "owner_key";
/// Connections by owner (`owner_key`, then `sort_key`, the tag): only records with an owner.
pub const INDEX_BY_OWNER: &str = "by-owner";

/// Attribute holding a token record's [`AccountKey`](crate::domain::AccountKey), the hash key of
/// the sparse [`INDEX_BY_ACCOUNT`].
pub const GSI_ACCOUNT_PK: &str = "account_key";
/// Connections by provider account and client (`account_key`, then `sort_key`, the tag): only
/// records whose resource owner has a stable id.
pub const INDEX_BY_ACCOUNT: &str = "by-account";

/// Attribute holding a token record's client and connection status (`<client id>#<status>`),
/// the hash key of [`INDEX_BY_CLIENT_STATUS`].
pub const GSI_CLIENT_STATUS_PK: &str = "client_status_key";
/// Connections by client and status (`client_status_key`, then `sort_key`, the tag): the
/// console's provider and status filters.
pub const INDEX_BY_CLIENT_STATUS: &str = "by-client-status";

/// A DynamoDB scalar attribute type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    S,
    N,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::S => "S",
            AttrType::N => "N",
        }
    }
}

/// A global secondary index with all attributes projected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: &'static str,
    pub hash_key: &'static str,
    pub range_key: &'static str,
}

/// The whole table definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    pub hash_key: &'static str,
    pub attributes: Vec<(&'static str, AttrType)>,
    pub indexes: Vec<Index>,
    pub ttl_attribute: &'static str,
}

/// The table authbridge needs.
pub fn table() -> TableDefinition {
    TableDefinition {
        hash_key: PK,
        attributes: vec![
            (PK, AttrType::S),
            (GSI_KIND_PK, AttrType::S),
            (GSI_KIND_SK, AttrType::S),
            (GSI_DUE_PK, AttrType::S),
            (GSI_DUE_SK, AttrType::N),
            (GSI_OWNER_PK, AttrType::S),
            (GSI_ACCOUNT_PK, AttrType::S),
            (GSI_CLIENT_STATUS_PK, AttrType::S),
        ],
        indexes: vec![
            Index {
                name: INDEX_BY_KIND,
                hash_key: GSI_KIND_PK,
                range_key: GSI_KIND_SK,
            },
            Index {
                name: INDEX_DUE,
                hash_key: GSI_DUE_PK,
                range_key: GSI_DUE_SK,
            },
            Index {
                name: INDEX_BY_OWNER,
                hash_key: GSI_OWNER_PK,
                range_key: GSI_KIND_SK,
            },
            Index {
                name: INDEX_BY_ACCOUNT,
                hash_key: GSI_ACCOUNT_PK,
                range_key: GSI_KIND_SK,
            },
            Index {
                name: INDEX_BY_CLIENT_STATUS,
                hash_key: GSI_CLIENT_STATUS_PK,
                range_key: GSI_KIND_SK,
            },
        ],
        ttl_attribute: TTL,
    }
}

//! Finding connections (token records) by owner, client, status and tag prefix, through indexes
//! (never a scan): what the console's connection table and `GET /connections` read.

use async_trait::async_trait;

use super::{Page, PageRequest, StoreResult};
use crate::domain::{ConnectionFilter, StoredToken};

/// Token records found by a [`ConnectionFilter`].
#[async_trait]
pub trait ConnectionIndex: Send + Sync {
    /// One page of the records `filter` matches. The index read is the owner's when an owner is
    /// given, else the client-and-status index when clients or a status are given (client by
    /// client, each in tag order, on DynamoDB), else the listing of every record in tag order; a
    /// tag prefix narrows the key range read. Filters the index does not decide are applied to
    /// what it reads, so a page may hold fewer items than its limit while `next` is set. The
    /// cursor is opaque.
    async fn find_tokens(
        &self,
        filter: &ConnectionFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredToken>>;
}

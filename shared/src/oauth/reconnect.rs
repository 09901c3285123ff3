//! What a new connection replacing a stored one must be started with: the connection parameters
//! the first start supplied (Shopify's `shop`, Zendesk's `subdomain`), read from the stored
//! connection's metadata. The 409 `reauthorization_required` hands them to the caller in its
//! `reauthorize` start, and the console's Reconnect starts with them, so reconnecting a Shopify
//! connection reaches the same shop without anyone typing it again.

use std::collections::BTreeMap;

use super::context::OAuthContext;
use super::flow::{active_client_or_disabled, provider_for};
use crate::domain::ClientId;

/// The parameters a start replacing the connection of `client` whose metadata is `metadata` must
/// supply (never a secret: connection parameters are not secrets, and captured values are left
/// out). Empty when the connection has no metadata (without reading anything) or when its client
/// or provider cannot be read (logged; a start then names what is missing).
pub async fn start_parameters(
    ctx: &OAuthContext,
    client: &ClientId,
    metadata: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    if metadata.is_empty() {
        return BTreeMap::new();
    }
    let provider = match active_client_or_disabled(ctx, client).await {
        Ok(client) => provider_for(ctx, &client).await,
        Err(e) => Err(e),
    };
    match provider {
        Ok(provider) => provider.connection.supplied_by_start(metadata),
        Err(e) => {
            tracing::warn!(client = %client, error = %e, "the connection parameters to reconnect with are unknown: the client or its provider cannot be read");
            BTreeMap::new()
        }
    }
}

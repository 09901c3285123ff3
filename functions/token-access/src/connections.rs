//! `GET /connections?owner=O&limit=N&after=CURSOR`: the connections other services build on,
//! redacted (no token), of one owner through the owner index, or all of them; paginated. Only
//! the connections within the API token's scope are listed.

use std::collections::HashMap;

use authbridge::domain::{Owner, Scope};
use authbridge::http::{ApiError, response};
use authbridge::oauth::OAuthError;
use authbridge::oauth::connections::list_connections;
use authbridge::store::PageRequest;
use lambda_http::{Body, Response};
use serde_json::json;

use crate::Context;

/// Most connections in one page, and the default.
pub const MAX_LIMIT: u32 = 100;
const DEFAULT_LIMIT: u32 = 50;

/// Serves one listing of the connections within `scope`, as the query `q` asks.
pub async fn serve(
    context: &Context,
    mut q: HashMap<String, String>,
    scope: &Scope,
) -> Result<Response<Body>, ApiError> {
    let owner = q
        .remove("owner")
        .map(|owner| Owner::parse(&owner))
        .transpose()
        .map_err(OAuthError::from)?;
    let limit = match q.remove("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_request",
                    format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
                )
            })?,
    };
    let page = PageRequest {
        limit,
        after: q.remove("after").filter(|a| !a.is_empty()),
    };
    let listed = list_connections(&context.oauth, owner.as_ref(), scope, &page).await?;
    Ok(response::json(
        200,
        &json!({"connections": listed.items, "next": listed.next}),
    ))
}

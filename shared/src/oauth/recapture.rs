//! A refresh answer's connection values: the values a provider file captures from the token
//! response, when a refresh answer carries them again, replace the stored ones (Salesforce answers
//! `instance_url` on every refresh, and it changes when the org moves to another instance); those
//! it leaves out stay as they are.

use crate::domain::StoredToken;
use crate::keys::{KeyError, KeySet};
use crate::oauth::records;
use crate::oauth::token_response::ProviderTokenResponse;
use crate::providers::ResolvedProvider;

/// Writes into `record` the captured values `response`, a refresh answer, carries: a public one
/// into its metadata, a secret one sealed under the active key. A value that does not match its
/// pattern changes nothing (the answer's token is kept all the same, since a rotated refresh token
/// cannot be asked for again) and is logged without the value.
pub fn keep_refreshed(
    keys: &KeySet,
    record: &mut StoredToken,
    provider: &ResolvedProvider,
    response: &ProviderTokenResponse,
) -> Result<(), KeyError> {
    let captured = match provider.recapture_token(response.extra()) {
        Ok(captured) => captured,
        Err(err) => {
            tracing::warn!(tag = %record.tag, provider = %provider.name, error = %err, "a connection value in the refresh answer is not usable; the stored values are kept");
            return Ok(());
        }
    };
    record.metadata.extend(captured.public);
    for (name, secret) in &captured.secret {
        records::seal_metadata(keys, record, name, secret)?;
    }
    Ok(())
}

//! Re-sealing: rewriting token records' sealed values under the active key version, and counting
//! which version seals how many records.
//!
//! A re-seal never races a refresh: it skips a record whose refresh lease is held, and writes
//! under the record's optimistic version check (`store/version.rs`), so a record changed since it
//! was read is read again (up to [`ATTEMPTS`] times) or left for the next pass. Every value opens
//! at every moment: the old version opens what it sealed until its retirement, which is refused
//! while any record uses it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::KeyError;
use super::ring::Keyring;
use super::sealed::{RecordId, SealedBy, sealed_by};
use super::set::KeySet;
use crate::clock::Epoch;
use crate::domain::token::Sealed;
use crate::domain::{StoredToken, Tag};
use crate::store::{PageRequest, StoreError, TokenStore};
use crate::vault::field;

/// Reads and writes of one record before a re-seal leaves it for the next pass.
pub const ATTEMPTS: usize = 3;

/// The record identity a record's values are sealed for: its tag and connection id (the tag
/// again for a record stored before connections had ids).
pub fn record_id(record: &StoredToken) -> RecordId<'_> {
    RecordId {
        tag: &record.tag,
        connection: record
            .connection_id
            .as_deref()
            .unwrap_or(record.tag.as_str()),
    }
}

/// The sealed values of a record, with their field labels: its credentials and its secret
/// captured values (`metadata.NAME`).
pub fn sealed_fields(record: &StoredToken) -> Vec<(Cow<'static, str>, &Sealed)> {
    let credentials = [
        (field::ACCESS_TOKEN, record.access_token.as_ref()),
        (field::REFRESH_TOKEN, record.refresh_token.as_ref()),
        (field::ID_TOKEN, record.id_token.as_ref()),
        (field::RAW, record.raw.as_ref()),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|v| (Cow::Borrowed(label), v)));
    let metadata = record
        .sealed_metadata
        .iter()
        .map(|(name, v)| (Cow::Owned(field::metadata(name)), v));
    credentials.chain(metadata).collect()
}

/// `record` with every value (credentials and secret captured values) sealed under the active
/// version of `keys`; `None` when all are.
pub fn resealed(record: &StoredToken, keys: &KeySet) -> Result<Option<StoredToken>, KeyError> {
    let values = sealed_fields(record);
    if values.iter().all(|(_, v)| keys.is_current(v)) {
        return Ok(None);
    }
    let id = record_id(record);
    let again = |label: &str, value: &Sealed| keys.seal(id, label, &keys.open(id, label, value)?);
    let again_opt = |label: &str, value: &Option<Sealed>| -> Result<Option<Sealed>, KeyError> {
        value.as_ref().map(|v| again(label, v)).transpose()
    };
    let mut next = record.clone();
    next.access_token = again_opt(field::ACCESS_TOKEN, &record.access_token)?;
    next.refresh_token = again_opt(field::REFRESH_TOKEN, &record.refresh_token)?;
    next.id_token = again_opt(field::ID_TOKEN, &record.id_token)?;
    next.raw = again_opt(field::RAW, &record.raw)?;
    next.sealed_metadata = record
        .sealed_metadata
        .iter()
        .map(|(name, v)| Ok((name.clone(), again(&field::metadata(name), v)?)))
        .collect::<Result<_, KeyError>>()?;
    Ok(Some(next))
}

/// How many records each key seals (a record counts once for each key one of its values uses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Records read.
    pub records: u64,
    /// Records per key.
    pub by_key: BTreeMap<SealedBy, u64>,
    /// Records with a value that is not a sealed value at all.
    pub malformed: u64,
}

impl Usage {
    /// The records that `key` seals.
    pub fn of(&self, key: SealedBy) -> u64 {
        self.by_key.get(&key).copied().unwrap_or(0)
    }
}

/// Counts which key seals each record, reading every record once (a full listing: an operator's
/// command, not a request's work).
pub async fn usage(tokens: &dyn TokenStore) -> Result<Usage, KeyError> {
    let mut usage = Usage::default();
    let mut page = PageRequest::first(500);
    loop {
        let listed = tokens.list_tokens(&page).await?;
        for record in &listed.items {
            usage.records += 1;
            let mut keys: Vec<SealedBy> = Vec::new();
            for (_, value) in sealed_fields(record) {
                match sealed_by(value) {
                    Ok(key) if !keys.contains(&key) => keys.push(key),
                    Ok(_) => {}
                    Err(_) => usage.malformed += 1,
                }
            }
            for key in keys {
                *usage.by_key.entry(key).or_default() += 1;
            }
        }
        match listed.next {
            Some(next) => page.after = Some(next),
            None => return Ok(usage),
        }
    }
}

/// What one re-seal batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResealReport {
    /// Records read.
    pub examined: u64,
    /// Records rewritten under the active version.
    pub resealed: u64,
    /// Records left for a later pass: a refresh held them, or they kept changing.
    pub deferred: u64,
    /// Records whose values do not open (their tags are logged, never their values).
    pub failed: u64,
    /// Where the next batch starts; `None` when this one reached the last record.
    pub next: Option<String>,
}

/// What re-sealing one record did.
enum One {
    Current,
    Resealed,
    Deferred,
}

async fn reseal_one(
    tokens: &dyn TokenStore,
    keyring: &Keyring,
    tag: &Tag,
    now: Epoch,
) -> Result<One, KeyError> {
    for _ in 0..ATTEMPTS {
        let Some(record) = tokens.get_token(tag).await? else {
            return Ok(One::Current);
        };
        if record.lease_until.is_some_and(|until| until > now) {
            return Ok(One::Deferred);
        }
        let keys = keyring
            .keys_for(sealed_fields(&record).into_iter().map(|(_, v)| v))
            .await?;
        let Some(next) = resealed(&record, &keys)? else {
            return Ok(One::Current);
        };
        match tokens.update_token(&next).await {
            Ok(_) => return Ok(One::Resealed),
            Err(StoreError::StaleVersion) => continue,
            Err(StoreError::NotFound) => return Ok(One::Current),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(One::Deferred)
}

/// Re-seals up to `limit` records from the cursor `after` (the `next` of the previous batch).
pub async fn reseal_batch(
    tokens: &dyn TokenStore,
    keyring: &Keyring,
    after: Option<String>,
    limit: u32,
    now: Epoch,
) -> Result<ResealReport, KeyError> {
    let page = PageRequest {
        limit: limit.max(1),
        after,
    };
    let listed = tokens.list_tokens(&page).await?;
    let mut report = ResealReport {
        next: listed.next,
        ..ResealReport::default()
    };
    for record in &listed.items {
        report.examined += 1;
        match reseal_one(tokens, keyring, &record.tag, now).await {
            Ok(One::Current) => {}
            Ok(One::Resealed) => report.resealed += 1,
            Ok(One::Deferred) => report.deferred += 1,
            Err(e) if e.is_transient() => return Err(e),
            Err(e) => {
                tracing::error!(tag = %record.tag, error = %e, "a record could not be re-sealed");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// One batch of the re-seal pass under the active version, going on where the last batch (of
/// the sweep or of `authbridge keys reseal`) stopped, and saving where this one stops. `None`
/// when the active version's pass is complete already (nothing to do).
pub async fn reseal_next(
    tokens: &dyn TokenStore,
    keyring: &Keyring,
    limit: u32,
    now: Epoch,
) -> Result<Option<ResealReport>, KeyError> {
    // Fresh, not cached: the progress of the last batch (this process's or another's) decides.
    let active = keyring.active_now().await?;
    if active.resealed_at.is_some() {
        return Ok(None);
    }
    let report = reseal_batch(tokens, keyring, active.reseal_after.clone(), limit, now).await?;
    keyring
        .save_reseal_progress(
            active.number,
            report.next.clone(),
            report.deferred + report.failed,
            now,
        )
        .await?;
    Ok(Some(report))
}

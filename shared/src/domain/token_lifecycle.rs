//! The life of a [`StoredToken`]: when it wants refreshing, and its transitions — leased,
//! refreshed, failed transiently, needs reauthorization — each one method that leaves the record
//! consistent (lease, failure, backoff and `due_at` together).
//!
//! The margin rule: a token is refreshed `margin` seconds before it expires, where `margin` is the
//! provider's configured margin capped at half of the lifetime the provider granted. So a token is
//! never "expiring" the moment it is issued, whatever its lifetime (a 60 s token with the default
//! 5-minute margin is refreshed 30 s before expiry, not on every use). A token whose provider gave
//! no `expires_in` is never refreshed proactively: only when a caller reports it rejected, or on
//! the administrator's `tokens refresh`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Tag;
use super::token::{Sealed, StoredToken, TokenStatus};
use crate::clock::Epoch;

/// An idle refresh token is exercised at least this often, so providers do not revoke it.
pub const IDLE_REFRESH_INTERVAL: Epoch = 24 * 3600;
/// First backoff after a transient failure; it doubles with each failure.
pub const BACKOFF_START: Epoch = 30;
/// Longest backoff.
pub const BACKOFF_CAP: Epoch = 3600;

/// What kind of failure a [`TokenFailure`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The provider could not be reached, failed, or refused for a reason worth retrying later.
    #[default]
    Transient,
    /// The provider refused the client itself (`invalid_client`, `unauthorized_client`, RFC 6749
    /// §5.2): a misconfiguration for an operator to fix, retried with the same backoff.
    ClientRejected,
    /// The provider refused the refresh token (`invalid_grant`): only the user can fix it.
    Reauthorization,
}

/// The last failed refresh of a record. Never holds a token or a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFailure {
    #[serde(default)]
    pub kind: FailureKind,
    /// The RFC 6749 §5.2 error code, or `temporarily_unavailable` for an outage.
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
    /// When it happened (epoch seconds).
    pub time: Epoch,
    /// Failed attempts since the last success, this one included.
    #[serde(default)]
    pub attempts: u32,
}

/// Which access token a record holds: an opaque tag that changes whenever a new access token is
/// written (and only then), served as the `ETag` of `GET /tokens/{tag}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenVersion(String);

impl TokenVersion {
    fn of(sealed: &Sealed) -> Self {
        // The sealed value carries a fresh nonce per write, so its digest names one write.
        TokenVersion(hex::encode(&Sha256::digest(sealed.0.as_bytes())[..12]))
    }

    /// Reads an `If-Match` value (RFC 9110 §13.1.1): one entity tag, quoted or not, strong or weak.
    /// `None` for an empty value, `*` or a list.
    pub fn from_if_match(header: &str) -> Option<Self> {
        let value = header.trim();
        let value = value.strip_prefix("W/").unwrap_or(value);
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        let valid = !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric());
        valid.then(|| TokenVersion(value.to_string()))
    }

    /// The `ETag` header value: the version, quoted.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.0)
    }
}

impl std::fmt::Display for TokenVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A token endpoint's answer with every credential already sealed: what [`StoredToken::refreshed`]
/// writes into the record.
#[derive(Debug, Clone)]
pub struct SealedCredentials {
    pub access_token: Sealed,
    /// `None` keeps the stored refresh token (RFC 6749 §6).
    pub refresh_token: Option<Sealed>,
    pub id_token: Option<Sealed>,
    /// The whole response.
    pub raw: Sealed,
    pub token_type: String,
    /// `expires_in`, in seconds.
    pub expires_in: Option<Epoch>,
    /// The scopes granted, when the provider said.
    pub scopes: Option<Vec<String>>,
    /// When the refresh token now expires, when this answer sets it anew (a provider stating
    /// its lifetime, or one counted from its last use); `None` keeps the stored expiry.
    pub refresh_expires: Option<Epoch>,
}

/// The margin that applies to a token of `lifetime` seconds: `configured`, capped at half the
/// lifetime.
pub fn effective_margin(configured: Epoch, lifetime: Option<Epoch>) -> Epoch {
    match lifetime {
        Some(lifetime) => configured.min(lifetime.max(0) / 2),
        None => configured,
    }
}

fn backoff(attempts: u32) -> Epoch {
    let exp = attempts.saturating_sub(1).min(16);
    (BACKOFF_START << exp).min(BACKOFF_CAP)
}

/// A token record as a caller last saw it: its tag, the connection stored under it (a replace or
/// a new connection under the same tag makes another id, and versions start again with a new
/// record) and its version. Still the same record only when all three match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRecord {
    pub tag: Tag,
    pub version: u64,
    pub connection_id: Option<String>,
}

impl SeenRecord {
    /// Whether `record` is still the record seen, unchanged.
    pub fn is(&self, record: &StoredToken) -> bool {
        record.tag == self.tag
            && record.version == self.version
            && record.connection_id == self.connection_id
    }
}

impl StoredToken {
    /// The lifetime the provider granted; for records written before it was stored, the time
    /// from the last refresh to the expiry.
    pub fn granted_lifetime(&self) -> Option<Epoch> {
        self.lifetime.or_else(|| {
            let start = self.refreshed_at.unwrap_or(self.created);
            self.expires.map(|e| e - start).filter(|l| *l > 0)
        })
    }

    /// When a caller's need makes this token worth refreshing: its expiry minus the effective
    /// margin; `None` when it has no known expiry.
    pub fn refresh_at(&self, configured_margin: Epoch) -> Option<Epoch> {
        let margin = effective_margin(configured_margin, self.granted_lifetime());
        self.expires.map(|e| e.saturating_sub(margin))
    }

    /// True when the access token is missing or within the effective margin of its expiry.
    pub fn expiring(&self, configured_margin: Epoch, now: Epoch) -> bool {
        self.access_token.is_none() || self.refresh_at(configured_margin).is_some_and(|t| t <= now)
    }

    /// True when the access token has expired.
    pub fn expired(&self, now: Epoch) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }

    /// When the scheduled sweep should next look at this token: at [`Self::refresh_at`], or a day
    /// after the last refresh when that is earlier (so an idle refresh token is not revoked).
    /// `None` when it cannot be refreshed without the user, or has no known expiry.
    pub fn due_at(&self, configured_margin: Epoch) -> Option<Epoch> {
        let renewable = self.refresh_token.is_some() || self.grant_type == "client_credentials";
        if self.status != TokenStatus::Active || !renewable {
            return None;
        }
        let by_expiry = self.refresh_at(configured_margin);
        // A refresh token with a stated lifetime is looked at when it lapses, and daily before
        // (so its coming end is announced), even when the access token states no expiry.
        let by_lapse = self
            .refresh_expires
            .filter(|_| self.refresh_token.is_some());
        if by_expiry.is_none() && by_lapse.is_none() {
            return None;
        }
        let by_idle = self
            .refresh_token
            .as_ref()
            .map(|_| self.refreshed_at.unwrap_or(self.created) + IDLE_REFRESH_INTERVAL);
        [by_expiry, by_idle, by_lapse].into_iter().flatten().min()
    }

    /// True when the refresh token's stated lifetime has ended: only the user can connect again.
    pub fn refresh_token_lapsed(&self, now: Epoch) -> bool {
        self.refresh_token.is_some() && self.refresh_expires.is_some_and(|e| e <= now)
    }

    /// Notes whether the refresh token ends within `window` seconds of `now`: the first time it
    /// does, `expiring_since` is set and `true` answered (the caller announces it, once); once a
    /// renewal moves its end out of the window again, `expiring_since` is cleared.
    pub fn note_refresh_expiry(&mut self, window: Epoch, now: Epoch) -> bool {
        let within = self.refresh_token.is_some()
            && self
                .refresh_expires
                .is_some_and(|e| e.saturating_sub(window) <= now);
        match (within, self.expiring_since) {
            (true, None) if self.status == TokenStatus::Active => {
                self.expiring_since = Some(now);
                self.modified = now;
                true
            }
            (false, Some(_)) => {
                self.expiring_since = None;
                self.modified = now;
                false
            }
            _ => false,
        }
    }

    /// Which access token is stored; `None` when there is none.
    pub fn token_version(&self) -> Option<TokenVersion> {
        self.access_token.as_ref().map(TokenVersion::of)
    }

    /// True while a process other than `owner` holds the refresh lease.
    pub fn leased_by_other(&self, owner: &str, now: Epoch) -> bool {
        self.lease_until.is_some_and(|until| until > now)
            && self.lease_owner.as_deref() != Some(owner)
    }

    /// True while a transient failure's backoff lasts.
    pub fn backing_off(&self, now: Epoch) -> bool {
        self.next_attempt_at.is_some_and(|t| t > now)
    }

    /// This record with the refresh lease taken by `owner` for `lease` seconds.
    pub fn leased(&self, owner: &str, lease: Epoch, now: Epoch) -> StoredToken {
        self.leased_until(owner, now + lease)
    }

    /// Which record this is and at which version: what a write made without reading the record
    /// again is conditioned on ([`SeenRecord`]).
    pub fn seen(&self) -> SeenRecord {
        SeenRecord {
            tag: self.tag.clone(),
            version: self.version,
            connection_id: self.connection_id.clone(),
        }
    }

    /// This record with the refresh lease taken by `owner` until `until`.
    pub fn leased_until(&self, owner: &str, until: Epoch) -> StoredToken {
        let mut leased = self.clone();
        leased.lease_owner = Some(owner.to_string());
        leased.lease_until = Some(until);
        leased
    }

    /// Writes new credentials: the access token, lifetime and scopes replaced, the refresh token
    /// only when a new one came; failure, backoff and lease cleared; `due_at` recomputed.
    pub fn refreshed(&mut self, new: SealedCredentials, configured_margin: Epoch, now: Epoch) {
        self.access_token = Some(new.access_token);
        if let Some(refresh) = new.refresh_token {
            self.refresh_token = Some(refresh);
        }
        if let Some(id_token) = new.id_token {
            self.id_token = Some(id_token);
        }
        self.raw = Some(new.raw);
        self.token_type = Some(new.token_type);
        self.lifetime = new.expires_in;
        self.expires = new.expires_in.map(|s| now.saturating_add(s));
        if let Some(scopes) = new.scopes {
            self.scopes = scopes;
        }
        if let Some(refresh_expires) = new.refresh_expires {
            self.refresh_expires = Some(refresh_expires);
        }
        self.status = TokenStatus::Active;
        self.error = None;
        self.attempts = 0;
        self.next_attempt_at = None;
        self.refreshed_at = Some(now);
        self.release(now);
        self.due_at = self.due_at(configured_margin);
    }

    /// Records a failure worth retrying (`Transient` or `ClientRejected`): the old token kept,
    /// the next attempt backed off (30 s, doubling, at most an hour).
    pub fn failed_transiently(
        &mut self,
        kind: FailureKind,
        error: String,
        error_description: Option<String>,
        now: Epoch,
    ) {
        self.attempts = self.attempts.saturating_add(1);
        let next = now + backoff(self.attempts);
        self.next_attempt_at = Some(next);
        self.due_at = Some(next);
        self.error = Some(TokenFailure {
            kind,
            error,
            error_description,
            time: now,
            attempts: self.attempts,
        });
        self.release(now);
    }

    /// Records that the provider refused the refresh token: the record is kept with its old token,
    /// marked `reauthorization_required` and taken out of the sweep.
    pub fn needs_reauthorization(
        &mut self,
        error: String,
        error_description: Option<String>,
        now: Epoch,
    ) {
        self.status = TokenStatus::ReauthorizationRequired;
        self.due_at = None;
        self.error = Some(TokenFailure {
            kind: FailureKind::Reauthorization,
            error,
            error_description,
            time: now,
            attempts: self.attempts.saturating_add(1),
        });
        self.release(now);
    }

    fn release(&mut self, now: Epoch) {
        self.lease_owner = None;
        self.lease_until = None;
        self.modified = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ClientId;

    fn token(lifetime: Option<Epoch>) -> StoredToken {
        let mut t: StoredToken = serde_json::from_value(serde_json::json!({
            "tag": "t", "client_id": "c", "grant_type": "authorization_code",
            "created": 1000, "modified": 1000,
        }))
        .unwrap();
        t.client_id = ClientId::stored("c");
        t.refreshed(
            SealedCredentials {
                access_token: Sealed("A1".into()),
                refresh_token: Some(Sealed("R1".into())),
                id_token: None,
                raw: Sealed("raw".into()),
                token_type: "Bearer".into(),
                expires_in: lifetime,
                scopes: None,
                refresh_expires: None,
            },
            300,
            1000,
        );
        t
    }

    #[test]
    fn the_margin_is_capped_at_half_the_lifetime() {
        assert_eq!(effective_margin(300, Some(60)), 30);
        assert_eq!(effective_margin(300, Some(120)), 60);
        assert_eq!(effective_margin(300, Some(3600)), 300);
        assert_eq!(effective_margin(300, None), 300);
        for lifetime in [1, 2, 60, 120, 599, 600, 3600] {
            let t = token(Some(lifetime));
            assert!(!t.expiring(300, 1000), "fresh at issue ({lifetime} s)");
            assert_eq!(t.refresh_at(300), t.due_at(300), "one rule for both");
        }
        let t = token(Some(60));
        assert!(!t.expiring(300, 1029) && t.expiring(300, 1030));
        assert_eq!(t.due_at(300), Some(1030));
        let t = token(Some(3600));
        assert_eq!(t.refresh_at(300), Some(4300));
    }

    #[test]
    fn a_token_without_expiry_is_never_refreshed_proactively() {
        let t = token(None);
        assert!(!t.expiring(300, i64::MAX / 2));
        assert_eq!(t.due_at(300), None);
    }

    #[test]
    fn an_old_record_without_lifetime_derives_it_from_its_expiry() {
        let mut t = token(Some(120));
        t.lifetime = None;
        assert_eq!(t.granted_lifetime(), Some(120));
        assert_eq!(t.refresh_at(300), Some(1060));
    }

    #[test]
    fn transitions_keep_lease_failure_and_backoff_consistent() {
        let mut t = token(Some(3600)).leased("me", 30, 1000);
        assert!(t.leased_by_other("other", 1010) && !t.leased_by_other("me", 1010));
        let before = t.token_version();
        t.failed_transiently(FailureKind::Transient, "server_error".into(), None, 1010);
        assert_eq!(
            (t.attempts, t.next_attempt_at, t.due_at),
            (1, Some(1040), Some(1040))
        );
        assert!(t.lease_owner.is_none() && t.backing_off(1039) && !t.backing_off(1040));
        t.failed_transiently(
            FailureKind::ClientRejected,
            "invalid_client".into(),
            None,
            1040,
        );
        assert_eq!(t.next_attempt_at, Some(1100));
        assert_eq!(
            t.error.as_ref().map(|e| e.kind),
            Some(FailureKind::ClientRejected)
        );
        assert_eq!(t.token_version(), before, "the old token is kept");

        let mut t = token(Some(3600));
        t.needs_reauthorization("invalid_grant".into(), None, 1050);
        assert_eq!(t.status, TokenStatus::ReauthorizationRequired);
        assert_eq!(t.due_at(300), None);
        assert_eq!(t.due_at, None);
    }

    #[test]
    fn a_version_names_one_written_token_and_reads_back_from_if_match() {
        let a = token(Some(60));
        let b = token(Some(60));
        assert_eq!(a.token_version(), a.clone().token_version());
        let v = a.token_version().unwrap();
        assert_eq!(TokenVersion::from_if_match(&v.etag()), Some(v.clone()));
        assert_eq!(
            TokenVersion::from_if_match(&format!("W/{}", v.etag())),
            Some(v.clone())
        );
        assert_eq!(TokenVersion::from_if_match(&v.to_string()), Some(v));
        for bad in ["", "*", "\"a\", \"b\"", "\"\""] {
            assert_eq!(TokenVersion::from_if_match(bad), None, "{bad}");
        }
        // Same sealed value in both test records, so the same version; real seals differ.
        assert_eq!(a.token_version(), b.token_version());
    }

    #[test]
    fn a_refresh_token_with_a_stated_lifetime_is_swept_announced_once_and_lapses() {
        let mut t = token(None);
        assert_eq!(t.due_at(300), None, "no expiry, no stated lifetime");
        t.refresh_expires = Some(1000 + 30 * 86400);
        assert_eq!(t.due_at(300), Some(1000 + IDLE_REFRESH_INTERVAL));
        let week = 7 * 86400;
        assert!(!t.note_refresh_expiry(week, 1000));
        assert_eq!(t.expiring_since, None);
        let inside = 1000 + 23 * 86400;
        assert!(t.note_refresh_expiry(week, inside));
        assert!(!t.note_refresh_expiry(week, inside + 1), "announced once");
        assert_eq!(t.expiring_since, Some(inside));
        // A renewal that moves the end out of the window ends `expiring`.
        t.refresh_expires = Some(inside + 30 * 86400);
        assert!(!t.note_refresh_expiry(week, inside + 2));
        assert_eq!(t.expiring_since, None);
        t.refresh_expires = Some(1000 + 30 * 86400);
        assert!(!t.refresh_token_lapsed(1000 + 30 * 86400 - 1));
        assert!(t.refresh_token_lapsed(1000 + 30 * 86400));
    }

    #[test]
    fn a_stored_failure_of_the_earlier_json_shape_still_reads() {
        let failure: TokenFailure = serde_json::from_value(serde_json::json!({
            "error": "temporarily_unavailable", "error_description": "x", "time": 5, "attempts": 2
        }))
        .unwrap();
        assert_eq!(failure.kind, FailureKind::Transient);
        assert_eq!(failure.attempts, 2);
    }
}

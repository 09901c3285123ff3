//! What a warm process remembers of the records it has served, so that a read of a tag it knows is
//! due takes the lease at once instead of reading the record first ([`Hints`], [`DueHint`]).
//!
//! Per tag, never a token: which record it was (its connection) and its version, the instant from which a caller's read wants it
//! refreshed (its access token's expiry less the provider's margin, or the end of a lease or a
//! backoff when later), when its refresh token lapses, the margin used, and what a caller's scope
//! is checked against (the tag, its owner and client). The lease is then a write conditioned on
//! that record and version: while the record is unchanged, everything known of it still holds, and once it
//! has changed the write loses and answers the record as it is, in the same round trip.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::clock::Epoch;
use crate::domain::token::{StoredToken, TokenStatus};
use crate::domain::token_lifecycle::SeenRecord;
use crate::domain::{ClientId, Owner, Scope, Tag};

/// Tags remembered at most; beyond, the map starts again (a process that serves more tags than
/// this reads their records first, as a process that knows none does).
const MAX_ENTRIES: usize = 1024;

/// What this process knows of one record, as it last served it.
#[derive(Debug, Clone)]
struct Hint {
    seen: SeenRecord,
    due_from: Epoch,
    lapses_at: Option<Epoch>,
    margin: Epoch,
    owner: Option<Owner>,
    client_id: ClientId,
}

/// A tag this process knows is due for a caller: what a read leases without reading the record.
#[derive(Debug, Clone)]
pub struct DueHint {
    pub(super) seen: SeenRecord,
    pub(super) margin: Epoch,
    pub(super) client_id: ClientId,
}

/// The hints of the tags this process has served.
#[derive(Default)]
pub(super) struct Hints(Mutex<HashMap<Tag, Hint>>);

impl Hints {
    fn map(&self) -> MutexGuard<'_, HashMap<Tag, Hint>> {
        // The map holds only hints: after a panic elsewhere it is still good to read.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Remembers `record` as just served, its provider's margin being `margin`; a record no
    /// caller's read would refresh by itself (needing reauthorization, or without an access
    /// token or an expiry) is forgotten instead.
    pub fn note(&self, record: &StoredToken, margin: Epoch) {
        let refresh_at = match (&record.access_token, record.status) {
            (Some(_), TokenStatus::Active) => record.refresh_at(margin),
            _ => None,
        };
        let Some(refresh_at) = refresh_at else {
            self.forget(&record.tag);
            return;
        };
        let due_from = [record.lease_until, record.next_attempt_at]
            .into_iter()
            .flatten()
            .fold(refresh_at, Epoch::max);
        let hint = Hint {
            seen: record.seen(),
            due_from,
            lapses_at: record.refresh_token.as_ref().and(record.refresh_expires),
            margin,
            owner: record.owner.clone(),
            client_id: record.client_id.clone(),
        };
        let mut map = self.map();
        if map.len() >= MAX_ENTRIES && !map.contains_key(&record.tag) {
            map.clear();
        }
        map.insert(record.tag.clone(), hint);
    }

    /// Forgets `tag`: its next read reads the record first.
    pub fn forget(&self, tag: &Tag) {
        self.map().remove(tag);
    }

    /// The hint of `tag` when, as this process last served it, its record is due `now` and within
    /// `scope`, and its refresh token has not lapsed.
    pub fn due(&self, tag: &Tag, scope: &Scope, now: Epoch) -> Option<DueHint> {
        let map = self.map();
        let hint = map.get(tag)?;
        let due = hint.due_from <= now
            && hint.lapses_at.is_none_or(|lapses| now < lapses)
            && scope.allows(tag, hint.owner.as_ref(), &hint.client_id);
        due.then(|| DueHint {
            seen: hint.seen.clone(),
            margin: hint.margin,
            client_id: hint.client_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::api_token::Patterns;
    use crate::domain::token::Sealed;

    fn record(expires: Epoch) -> StoredToken {
        StoredToken {
            access_token: Some(Sealed("A".into())),
            refresh_token: Some(Sealed("R".into())),
            expires: Some(expires),
            lifetime: Some(3600),
            owner: Some(Owner::parse("contact:1").unwrap()),
            version: 7,
            ..StoredToken::sample("t")
        }
    }

    #[test]
    fn a_tag_is_due_from_its_refresh_time_or_the_end_of_its_lease_or_backoff() {
        let hints = Hints::default();
        let all = Scope::everything();
        let tag = Tag::parse("t").unwrap();
        hints.note(&record(1000), 60);
        assert!(hints.due(&tag, &all, 939).is_none(), "before its margin");
        let due = hints.due(&tag, &all, 940).expect("due within its margin");
        assert_eq!((due.seen.version, due.margin), (7, 60));

        let mut leased = record(1000).leased("other", 30, 950);
        hints.note(&leased, 60);
        assert!(
            hints.due(&tag, &all, 979).is_none(),
            "while the lease lasts"
        );
        assert!(hints.due(&tag, &all, 980).is_some());
        leased.lease_until = None;
        leased.next_attempt_at = Some(1200);
        hints.note(&leased, 60);
        assert!(hints.due(&tag, &all, 1199).is_none(), "while it backs off");
        assert!(hints.due(&tag, &all, 1200).is_some());
    }

    #[test]
    fn a_lapsed_refresh_token_an_unrefreshable_record_or_another_scope_is_not_due() {
        let hints = Hints::default();
        let tag = Tag::parse("t").unwrap();
        let mut r = record(1000);
        r.refresh_expires = Some(2000);
        hints.note(&r, 60);
        assert!(hints.due(&tag, &Scope::everything(), 1999).is_some());
        assert!(hints.due(&tag, &Scope::everything(), 2000).is_none());

        let narrow = Scope {
            owners: Patterns::parse("contact:2").unwrap(),
            ..Scope::everything()
        };
        assert!(hints.due(&tag, &narrow, 1500).is_none(), "another owner's");

        r.status = TokenStatus::ReauthorizationRequired;
        hints.note(&r, 60);
        assert!(hints.due(&tag, &Scope::everything(), 1500).is_none());
        hints.note(&record(1000), 60);
        hints.forget(&tag);
        assert!(hints.due(&tag, &Scope::everything(), 1500).is_none());
    }
}

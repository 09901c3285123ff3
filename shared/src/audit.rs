//! The audit trail and connections' histories, read from one journal
//! ([`crate::domain::journal`]): every event authbridge publishes is appended to it by
//! [`Events::publish`]; [`record`] is how an administrator's change (through the CLI or the
//! console) becomes an `admin.*` event, delivered to the event bus and webhook like any other and
//! kept under the subject `admin`.

use std::net::IpAddr;

use crate::clock;
use crate::domain::{JournalEntry, Subject, Tag};
use crate::events::{AdminAction, Event, Events};
use crate::store::{JournalStore, Page, PageRequest, StoreError};

/// Records that `actor` did `action` to `target` (a client id, an e-mail address, a token name:
/// never a secret), from `address` when the change came over the network: an `admin.*` event,
/// journalled and delivered. Never fails (see [`Events::publish`]).
pub async fn record(
    events: &Events,
    actor: &str,
    action: AdminAction,
    target: &str,
    address: Option<IpAddr>,
) {
    events
        .publish(Event::admin(action, actor, target, address, clock::now()))
        .await;
}

/// Records a console sign-in refused from `address` after its check: `admin.session.refused`,
/// with why in `error` (`invalid_credentials`, `no_role`). It names `user` (actor and target) only
/// when a password verified (a user without a role); the name typed for a wrong password, or one
/// that matched nobody, is never recorded, as `POST /auth/login` records none. Never fails.
pub async fn record_refused_sign_in(
    events: &Events,
    user: Option<&str>,
    reason: &str,
    address: Option<IpAddr>,
) {
    let mut event = Event::admin(AdminAction::SessionRefused, "", "", address, clock::now())
        .with_actor(user)
        .with_error(Some(reason));
    event.target = user.map(str::to_string);
    events.publish(event).await;
}

/// One page of `subject`'s entries, newest first.
pub async fn entries(
    journal: &dyn JournalStore,
    subject: &Subject,
    page: &PageRequest,
) -> Result<Page<JournalEntry>, StoreError> {
    journal.journal_entries(subject, clock::now(), page).await
}

/// One page of the history of the connection `tag`, newest first.
pub async fn history(
    journal: &dyn JournalStore,
    tag: &Tag,
    page: &PageRequest,
) -> Result<Page<JournalEntry>, StoreError> {
    entries(journal, &Subject::Connection(tag.to_string()), page).await
}

/// The journal as a function reads it: the audit trail and connections' histories, without the
/// store. Got from `AppContext::audit_trail`.
#[derive(Clone, Copy)]
pub struct AuditTrail<'a> {
    journal: &'a dyn JournalStore,
}

impl<'a> AuditTrail<'a> {
    /// The trail kept in `journal`.
    pub fn new(journal: &'a dyn JournalStore) -> Self {
        AuditTrail { journal }
    }

    /// One page of `subject`'s entries, newest first ([`entries`]).
    pub async fn entries(
        &self,
        subject: &Subject,
        page: &PageRequest,
    ) -> Result<Page<JournalEntry>, StoreError> {
        entries(self.journal, subject, page).await
    }

    /// One page of the history of the connection `tag`, newest first ([`history`]).
    pub async fn history(
        &self,
        tag: &Tag,
        page: &PageRequest,
    ) -> Result<Page<JournalEntry>, StoreError> {
        history(self.journal, tag, page).await
    }
}

//! Recording what was changed through the console: one call per change, which for now sends an
//! `admin.*` event through the event bus and the webhook ([`crate::events`]) and logs it. The
//! record names who, what, when and from which address; never a secret.

use crate::clock::Epoch;
use crate::domain::User;
use crate::events::{AdminAction, Event, Events};

/// Who made a change, and from where.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub user: &'a User,
    /// The client address as API Gateway saw it.
    pub address: Option<&'a str>,
}

/// Records `action` on `subject` (a client id, a user's e-mail, ...) by `actor` at `now`.
pub async fn record(
    events: &Events,
    actor: Actor<'_>,
    action: AdminAction,
    subject: &str,
    now: Epoch,
) {
    tracing::info!(
        action = action.name(),
        actor = %actor.user.id,
        subject,
        client_address = actor.address.unwrap_or("-"),
        "console change"
    );
    let event = Event::admin(action, subject, now).with_actor(&actor.user.email, actor.address);
    events.publish(event).await;
}

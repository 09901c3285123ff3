//! Events other services build on (CiviCRM's `oauthReturn` hooks, Nango's webhooks): a connection
//! created, replaced or deleted, a refresh that failed (once per failure streak), a connection that
//! needs the user again or recovered, a user migrated from WordPress or synced.
//!
//! Each event is delivered to EventBridge (`AUTHBRIDGE_EVENT_BUS`, on AWS) and to an optional
//! webhook (`AUTHBRIDGE_WEBHOOK_URL`), signed with HMAC-SHA256 over the timestamp and the body
//! ([`webhook`]). An event names what changed, never a token, a code or a password; a delivery
//! that fails is logged (the webhook is retried a few times) and never fails the request.
//!
//! Delivery happens on the request path, within what is left of the invocation's time
//! ([`crate::deadline`]): an event still undelivered when only the time to answer is left is given
//! up and logged (`an event was not delivered`, with its type and tag), so a slow receiver never
//! pushes a function past its timeout.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::clock::Epoch;
use crate::domain::{ClientId, Owner, Tag, UserId};

mod admin;
mod bus;
mod journal;
pub mod webhook;

pub use admin::AdminAction;

/// Where events go: read with the rest of the configuration.
pub use crate::config::EventSettings;
pub use bus::{DELIVERY_CAP, Events, WEBHOOK_ATTEMPTS, WEBHOOK_TIMEOUT};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    ConnectionCreated,
    ConnectionReplaced,
    ConnectionDeleted,
    /// A refresh failed for a reason worth retrying; once per failure streak.
    RefreshFailed,
    /// The provider refused the refresh token: the user must connect again.
    ReauthorizationRequired,
    /// A refresh succeeded after a failure streak.
    Recovered,
    /// The refresh token's stated lifetime ends within the expiring window; once per refresh
    /// token.
    ConnectionExpiring,
    /// A user's first WordPress-validated login made them a local user.
    UserMigrated,
    /// A WordPress site posted a user to sync-user.
    UserSynced,
    /// An administrator changed something (through the CLI or the console): `admin.*`.
    Admin(AdminAction),
}

impl EventKind {
    /// The event's type, e.g. `connection.created` (EventBridge's `detail-type`).
    pub fn name(self) -> &'static str {
        match self {
            EventKind::ConnectionCreated => "connection.created",
            EventKind::ConnectionReplaced => "connection.replaced",
            EventKind::ConnectionDeleted => "connection.deleted",
            EventKind::RefreshFailed => "connection.refresh_failed",
            EventKind::ReauthorizationRequired => "connection.reauthorization_required",
            EventKind::Recovered => "connection.recovered",
            EventKind::ConnectionExpiring => "connection.expiring",
            EventKind::UserMigrated => "user.migrated",
            EventKind::UserSynced => "user.synced",
            EventKind::Admin(action) => action.name(),
        }
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// One event: its type and time, and what it is about. No credential ever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// Epoch seconds.
    pub time: Epoch,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<Tag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The connection's owner, in the caller's terms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// The provider's error code, for failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For a replaced or deleted connection: what became of the grant it held, `revoked`, `kept`
    /// (another connection holds the same account, see `grant_held_by`), `not_revoked` or `failed`
    /// (the provider refused or could not be reached; `error` says why).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant: Option<String>,
    /// The tag of the connection that keeps the grant, when `grant` is `kept`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_held_by: Option<Tag>,
    /// Who did it, when someone did: an administrator (`cli:<user>`, a console user) or an API
    /// token's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// What an administrator's change was made to: a client id, an e-mail address, a token name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The address the change came from, when it came over the network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
    /// The connection's public values (Salesforce's `instance_url`, QuickBooks' `realmId`), on
    /// connection events whose connection has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    /// When the connection's refresh token expires, when the provider states its lifetime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_at: Option<Epoch>,
}

impl Event {
    /// An event about the connection `tag`.
    pub fn connection(kind: EventKind, tag: &Tag, client: &ClientId, time: Epoch) -> Self {
        Event {
            kind,
            time,
            tag: Some(tag.clone()),
            user_id: None,
            client: Some(client.clone()),
            provider: None,
            owner: None,
            error: None,
            grant: None,
            grant_held_by: None,
            actor: None,
            target: None,
            address: None,
            metadata: None,
            refresh_token_expires_at: None,
        }
    }

    /// An event about the user `user_id`.
    pub fn user(kind: EventKind, user_id: &UserId, time: Epoch) -> Self {
        Event {
            kind,
            time,
            tag: None,
            user_id: Some(user_id.clone()),
            client: None,
            provider: None,
            owner: None,
            error: None,
            grant: None,
            grant_held_by: None,
            actor: None,
            target: None,
            address: None,
            metadata: None,
            refresh_token_expires_at: None,
        }
    }

    /// An administrator's change: `actor` did `action` to `target`, from `address` when it came
    /// over the network.
    pub fn admin(
        action: AdminAction,
        actor: &str,
        target: &str,
        address: Option<IpAddr>,
        time: Epoch,
    ) -> Self {
        Event {
            kind: EventKind::Admin(action),
            time,
            tag: None,
            user_id: None,
            client: None,
            provider: None,
            owner: None,
            error: None,
            grant: None,
            grant_held_by: None,
            actor: Some(actor.to_string()),
            target: Some(target.to_string()),
            address,
            metadata: None,
            refresh_token_expires_at: None,
        }
    }

    /// Who did it.
    pub fn with_actor(mut self, actor: Option<&str>) -> Self {
        self.actor = actor.map(str::to_string);
        self
    }

    /// Carries a connection's public values and its refresh token's expiry.
    pub fn with_connection_values(
        mut self,
        metadata: &BTreeMap<String, String>,
        refresh_token_expires_at: Option<Epoch>,
    ) -> Self {
        self.metadata = Some(metadata.clone()).filter(|m| !m.is_empty());
        self.refresh_token_expires_at = refresh_token_expires_at;
        self
    }

    /// Names the client's provider.
    pub fn with_provider(mut self, provider: Option<&str>) -> Self {
        self.provider = provider.map(str::to_string);
        self
    }

    pub fn with_owner(mut self, owner: Option<&Owner>) -> Self {
        self.owner = owner.cloned();
        self
    }

    pub fn with_error(mut self, error: Option<&str>) -> Self {
        self.error = error.map(str::to_string);
        self
    }

    /// What became of the grant the connection held (`revoked`, `kept`, `not_revoked`, `failed`), and the
    /// tag that keeps it.
    pub fn with_grant(mut self, grant: &str, held_by: Option<&Tag>) -> Self {
        self.grant = Some(grant.to_string());
        self.grant_held_by = held_by.cloned();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_names_what_changed_and_nothing_else() {
        let tag = Tag::parse("mail:1").unwrap();
        let client = ClientId::stored("c1");
        let event = Event::connection(EventKind::ConnectionCreated, &tag, &client, 1700)
            .with_provider(Some("gmail"))
            .with_owner(Some(&Owner::parse("contact:42").unwrap()));
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "connection.created", "time": 1700, "tag": "mail:1",
                "client": "c1", "provider": "gmail", "owner": "contact:42"})
        );
        let held_by = Tag::parse("mail:2").unwrap();
        let replaced = Event::connection(EventKind::ConnectionReplaced, &tag, &client, 1700)
            .with_grant("kept", Some(&held_by));
        let json = serde_json::to_value(&replaced).unwrap();
        assert_eq!(json["grant"], "kept");
        assert_eq!(json["grant_held_by"], "mail:2");
    }
}

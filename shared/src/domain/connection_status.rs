//! What a connection's record says about it, in the three states a person watching connections
//! cares about (Nango's ok / error / auth error), and the filter a listing of connections takes.

use serde::{Deserialize, Serialize};

use super::token::{StoredToken, TokenStatus};
use super::{ClientId, Owner};

/// A connection's state, from its record's fields (see `token_lifecycle.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Refreshed, or not yet due: nothing to do.
    Active,
    /// Usable, but its refresh token's stated lifetime ends soon (within the expiring window):
    /// the user should connect again before it lapses.
    Expiring,
    /// The last refresh failed for a reason worth retrying (the provider down, the client
    /// refused); authbridge keeps trying with backoff.
    RefreshFailing,
    /// The provider refused the refresh token: only the user can fix it, by connecting again.
    NeedsReauthorization,
}

impl ConnectionStatus {
    /// Every status, in the order a person reads them.
    pub const ALL: [ConnectionStatus; 4] = [
        ConnectionStatus::Active,
        ConnectionStatus::Expiring,
        ConnectionStatus::RefreshFailing,
        ConnectionStatus::NeedsReauthorization,
    ];

    /// The status's stored and spoken name.
    pub fn name(self) -> &'static str {
        match self {
            ConnectionStatus::Active => "active",
            ConnectionStatus::Expiring => "expiring",
            ConnectionStatus::RefreshFailing => "refresh_failing",
            ConnectionStatus::NeedsReauthorization => "needs_reauthorization",
        }
    }

    /// Reads a name (see [`ConnectionStatus::name`]).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl std::fmt::Display for ConnectionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl StoredToken {
    /// The connection's state: needs reauthorization once the provider refused the refresh
    /// token (or its stated lifetime ended); refresh failing while the last attempt's failure is
    /// recorded (a success clears it); expiring once the refresh token's coming end was
    /// announced; else active.
    pub fn connection_status(&self) -> ConnectionStatus {
        match (self.status, &self.error) {
            (TokenStatus::ReauthorizationRequired, _) => ConnectionStatus::NeedsReauthorization,
            (TokenStatus::Active, Some(_)) => ConnectionStatus::RefreshFailing,
            (TokenStatus::Active, None) if self.expiring_since.is_some() => {
                ConnectionStatus::Expiring
            }
            (TokenStatus::Active, None) => ConnectionStatus::Active,
        }
    }
}

/// Which connections a listing wants. Every filter given must hold; the store reads through the
/// index of the most selective one given (owner, then client, then status, else all records in
/// tag order) and applies the others to what it reads; a tag prefix narrows the key range of
/// whichever index is read. `docs/book/src/storage.md` maps each filter to its index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionFilter {
    /// Whose connections, in the caller's terms (`contact:42`).
    pub owner: Option<Owner>,
    /// Connections in this state.
    pub status: Option<ConnectionStatus>,
    /// Connections of one of these clients (a provider's clients); `Some(empty)` matches none.
    pub clients: Option<Vec<ClientId>>,
    /// Connections whose tag starts with this.
    pub tag_prefix: Option<String>,
}

impl ConnectionFilter {
    /// Whether `record` passes every filter (what an index read does not decide by itself).
    pub fn matches(&self, record: &StoredToken) -> bool {
        self.owner
            .as_ref()
            .is_none_or(|owner| record.owner.as_ref() == Some(owner))
            && self
                .status
                .is_none_or(|status| record.connection_status() == status)
            && self
                .clients
                .as_ref()
                .is_none_or(|clients| clients.contains(&record.client_id))
            && self
                .tag_prefix
                .as_ref()
                .is_none_or(|prefix| record.tag.as_str().starts_with(prefix.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::token::{FailureKind, TokenFailure};

    fn record() -> StoredToken {
        serde_json::from_value(serde_json::json!({
            "tag": "mail:1", "client_id": "c", "grant_type": "authorization_code",
            "created": 1, "modified": 1, "owner": "contact:1",
        }))
        .unwrap()
    }

    #[test]
    fn the_status_follows_the_records_fields() {
        let mut r = record();
        assert_eq!(r.connection_status(), ConnectionStatus::Active);
        r.expiring_since = Some(4);
        assert_eq!(r.connection_status(), ConnectionStatus::Expiring);
        r.error = Some(TokenFailure {
            kind: FailureKind::Transient,
            error: "server_error".into(),
            error_description: None,
            time: 5,
            attempts: 1,
        });
        assert_eq!(r.connection_status(), ConnectionStatus::RefreshFailing);
        r.needs_reauthorization("invalid_grant".into(), None, 6);
        assert_eq!(
            r.connection_status(),
            ConnectionStatus::NeedsReauthorization
        );
        for status in ConnectionStatus::ALL {
            assert_eq!(ConnectionStatus::parse(status.name()), Some(status));
        }
    }

    #[test]
    fn a_filter_needs_every_part_to_hold() {
        let r = record();
        assert!(ConnectionFilter::default().matches(&r));
        let owner = |o: &str| ConnectionFilter {
            owner: Some(Owner::parse(o).unwrap()),
            ..Default::default()
        };
        assert!(owner("contact:1").matches(&r) && !owner("contact:2").matches(&r));
        let prefix = ConnectionFilter {
            tag_prefix: Some("mail:".into()),
            status: Some(ConnectionStatus::Active),
            ..owner("contact:1")
        };
        assert!(prefix.matches(&r));
        let none = ConnectionFilter {
            clients: Some(vec![]),
            ..Default::default()
        };
        assert!(!none.matches(&r));
    }
}

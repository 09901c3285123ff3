//! The `admin.*` events: a change made through the admin console, with who made it and from
//! which address ([`super::Event::admin`]). Never a secret: a secret set says only that it was.

use serde::Serialize;

/// A change made through the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAction {
    ClientRegistered,
    ClientUpdated,
    /// A client's secret was set (its value is never recorded).
    ClientSecretSet,
    ClientEnabled,
    ClientDisabled,
    ClientDeleted,
}

impl AdminAction {
    /// The event's type, e.g. `admin.client_registered`.
    pub fn name(self) -> &'static str {
        match self {
            AdminAction::ClientRegistered => "admin.client_registered",
            AdminAction::ClientUpdated => "admin.client_updated",
            AdminAction::ClientSecretSet => "admin.client_secret_set",
            AdminAction::ClientEnabled => "admin.client_enabled",
            AdminAction::ClientDisabled => "admin.client_disabled",
            AdminAction::ClientDeleted => "admin.client_deleted",
        }
    }
}

impl Serialize for AdminAction {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

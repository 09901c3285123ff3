//! The `admin.*` events: one per change an administrator makes, through the CLI or the console.

/// What an administrator did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminAction {
    ClientCreated,
    ClientUpdated,
    ClientEnabled,
    ClientDisabled,
    ClientDeleted,
    /// A client's secret, or another named secret, was set (the value is never recorded).
    SecretSet,
    /// A secret was given a new value, its previous one kept usable until confirmed.
    SecretRotated,
    /// A secret's rotation was confirmed: its previous value is gone.
    SecretRotationConfirmed,
    /// A new token data-key version was made.
    KeyRotated,
    /// Records were re-sealed under the newest data-key version.
    KeysResealed,
    /// A data-key version was retired.
    KeyRetired,
    /// The WordPress plugin's token was stored.
    WordpressTokenSet,
    ApiTokenCreated,
    /// An API token's endpoints, addresses or scope changed.
    ApiTokenChanged,
    ApiTokenDisabled,
    ApiTokenEnabled,
    ApiTokenRotated,
    ApiTokenDeleted,
    UserCreated,
    UserDisabled,
    UserEnabled,
    PasswordSet,
    UserDeleted,
    UsersImported,
    RoleGranted,
    RoleRevoked,
    /// A connection was made by an administrator (an authorization-code link, a direct grant).
    ConnectionStarted,
    /// A connection's replacement was started (the console's Reconnect: an authorization-code
    /// link with `replace`, under the same tag).
    ConnectionReplaced,
    ConnectionRefreshed,
    /// A connection's grant was revoked at the provider; its record is kept, needing
    /// reauthorization.
    ConnectionRevoked,
    ConnectionDeleted,
    /// Every token record was written again (`tokens reindex`).
    ConnectionsReindexed,
    /// A console session was opened: the user signed in (with a verified password and a role).
    SessionStarted,
    /// A console session was ended by its user signing out.
    SessionEnded,
    /// A console sign-in was refused after its check (a wrong name or password, or no role); a
    /// sign-in refused by the throttle before any check is not recorded.
    SessionRefused,
}

impl AdminAction {
    /// The event's type, `admin.<what>.<change>`.
    pub fn name(self) -> &'static str {
        match self {
            AdminAction::ClientCreated => "admin.client.created",
            AdminAction::ClientUpdated => "admin.client.updated",
            AdminAction::ClientEnabled => "admin.client.enabled",
            AdminAction::ClientDisabled => "admin.client.disabled",
            AdminAction::ClientDeleted => "admin.client.deleted",
            AdminAction::SecretSet => "admin.secret.set",
            AdminAction::SecretRotated => "admin.secret.rotated",
            AdminAction::SecretRotationConfirmed => "admin.secret.rotation_confirmed",
            AdminAction::KeyRotated => "admin.key.rotated",
            AdminAction::KeysResealed => "admin.keys.resealed",
            AdminAction::KeyRetired => "admin.key.retired",
            AdminAction::WordpressTokenSet => "admin.wordpress.token_set",
            AdminAction::ApiTokenCreated => "admin.api_token.created",
            AdminAction::ApiTokenChanged => "admin.api_token.changed",
            AdminAction::ApiTokenDisabled => "admin.api_token.disabled",
            AdminAction::ApiTokenEnabled => "admin.api_token.enabled",
            AdminAction::ApiTokenRotated => "admin.api_token.rotated",
            AdminAction::ApiTokenDeleted => "admin.api_token.deleted",
            AdminAction::UserCreated => "admin.user.created",
            AdminAction::UserDisabled => "admin.user.disabled",
            AdminAction::UserEnabled => "admin.user.enabled",
            AdminAction::PasswordSet => "admin.user.password_set",
            AdminAction::UserDeleted => "admin.user.deleted",
            AdminAction::UsersImported => "admin.users.imported",
            AdminAction::RoleGranted => "admin.role.granted",
            AdminAction::RoleRevoked => "admin.role.revoked",
            AdminAction::ConnectionStarted => "admin.connection.started",
            AdminAction::ConnectionReplaced => "admin.connection.replaced",
            AdminAction::ConnectionRefreshed => "admin.connection.refreshed",
            AdminAction::ConnectionRevoked => "admin.connection.revoked",
            AdminAction::ConnectionDeleted => "admin.connection.deleted",
            AdminAction::ConnectionsReindexed => "admin.connections.reindexed",
            AdminAction::SessionStarted => "admin.session.started",
            AdminAction::SessionEnded => "admin.session.ended",
            AdminAction::SessionRefused => "admin.session.refused",
        }
    }
}

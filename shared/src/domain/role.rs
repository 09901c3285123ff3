//! Who may do what in the admin console: permissions modelled on CiviCRM's OAuth permissions
//! (manage clients, manage client secrets, connect through the authorization-code flow, manage my
//! or all connections), and the roles that carry them. A user holds roles (`User::roles`), never
//! permissions directly; a user without a role may not enter the console.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One thing a console user may do, spelled as in the issue and the book (`connections:all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Register, edit, enable and disable OAuth clients.
    Clients,
    /// Set a client's secret (never read one).
    ClientSecrets,
    /// Make a connection through the authorization-code flow.
    Connect,
    /// See, reconnect, revoke and delete the connections one made.
    ConnectionsOwn,
    /// See, reconnect, revoke and delete every connection.
    ConnectionsAll,
    /// Create, narrow, disable and delete API tokens.
    ApiTokens,
    /// Search users, disable, enable, set passwords, grant and revoke roles.
    Users,
    /// See the WordPress migration's progress.
    Migration,
    /// Read the audit log.
    Audit,
}

impl Permission {
    /// Every permission, in the order pages list them.
    pub const ALL: [Permission; 9] = [
        Permission::Clients,
        Permission::ClientSecrets,
        Permission::Connect,
        Permission::ConnectionsOwn,
        Permission::ConnectionsAll,
        Permission::ApiTokens,
        Permission::Users,
        Permission::Migration,
        Permission::Audit,
    ];

    /// Its name, e.g. `client-secrets`.
    pub fn name(self) -> &'static str {
        match self {
            Permission::Clients => "clients",
            Permission::ClientSecrets => "client-secrets",
            Permission::Connect => "connect",
            Permission::ConnectionsOwn => "connections:own",
            Permission::ConnectionsAll => "connections:all",
            Permission::ApiTokens => "api-tokens",
            Permission::Users => "users",
            Permission::Migration => "migration",
            Permission::Audit => "audit",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A role a user may hold. Only the shipped roles exist; each carries a fixed set of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Everything.
    Admin,
    /// Day-to-day running: every connection, connecting accounts and the migration's progress; no
    /// clients, no secrets, no users, no API tokens.
    Operator,
    /// A person who connects accounts and looks after their own connections (CiviCRM's "create
    /// OAuth tokens via auth code flow" and "manage my OAuth contact tokens"): `connect` and
    /// `connections:own`, nothing else.
    Connector,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Admin, Role::Operator, Role::Connector];

    /// Its name, e.g. `operator`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Connector => "connector",
        }
    }

    /// The permissions the role carries.
    pub fn permissions(self) -> &'static [Permission] {
        match self {
            Role::Admin => &Permission::ALL,
            Role::Operator => &[
                Permission::Connect,
                Permission::ConnectionsOwn,
                Permission::ConnectionsAll,
                Permission::Migration,
            ],
            Role::Connector => &[Permission::Connect, Permission::ConnectionsOwn],
        }
    }

    /// Whether the role carries `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A role name that is none of the shipped roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no role {0:?}; the roles are admin, operator and connector")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| UnknownRole(name.trim().to_string()))
    }
}

/// Whether any of `roles` carries `permission`.
pub fn allowed(roles: &[Role], permission: Permission) -> bool {
    roles.iter().any(|r| r.allows(permission))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admin_may_do_everything_and_an_operator_neither_secrets_users_nor_tokens() {
        for permission in Permission::ALL {
            assert!(Role::Admin.allows(permission), "{permission}");
        }
        for refused in [
            Permission::Clients,
            Permission::ClientSecrets,
            Permission::Users,
            Permission::ApiTokens,
            Permission::Audit,
        ] {
            assert!(!Role::Operator.allows(refused), "{refused}");
        }
        for granted in [
            Permission::ConnectionsAll,
            Permission::Connect,
            Permission::Migration,
        ] {
            assert!(Role::Operator.allows(granted), "{granted}");
        }
        for permission in Permission::ALL {
            let own = [Permission::Connect, Permission::ConnectionsOwn].contains(&permission);
            assert_eq!(Role::Connector.allows(permission), own, "{permission}");
        }
        assert!(
            !allowed(&[], Permission::ConnectionsOwn),
            "no role, nothing"
        );
        assert!(allowed(
            &[Role::Operator, Role::Admin],
            Permission::ClientSecrets
        ));
    }

    #[test]
    fn roles_and_permissions_read_and_print_as_the_book_spells_them() {
        assert_eq!("Admin".parse::<Role>(), Ok(Role::Admin));
        assert_eq!(" operator ".parse::<Role>(), Ok(Role::Operator));
        assert_eq!(
            "root".parse::<Role>(),
            Err(UnknownRole("root".into())),
            "no role is made up"
        );
        assert_eq!(
            serde_json::to_string(&Role::Operator).unwrap(),
            "\"operator\""
        );
        let names: Vec<&str> = Permission::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(
            names,
            [
                "clients",
                "client-secrets",
                "connect",
                "connections:own",
                "connections:all",
                "api-tokens",
                "users",
                "migration",
                "audit"
            ]
        );
    }
}

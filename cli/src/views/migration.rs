//! The migration panel as `migration status` shows it.

use authbridge::migration_status::MigrationStatus;
use serde::Serialize;

use crate::output::{Record, or_none, rfc3339, yes_no};

/// The figures; in JSON the last fallback login is RFC 3339 (UTC), `null` when there was none.
#[derive(Debug, Serialize)]
pub struct MigrationView {
    #[serde(flatten)]
    pub status: MigrationStatus,
    /// `last_fallback_login` as RFC 3339.
    pub last_fallback_login_at: Option<String>,
    /// Whether nobody needed the fallback for 7 days and every WordPress user has logged in.
    pub fallback_idle: bool,
}

impl From<MigrationStatus> for MigrationView {
    fn from(status: MigrationStatus) -> Self {
        MigrationView {
            last_fallback_login_at: status.last_fallback_login.map(rfc3339),
            fallback_idle: status.fallback_idle(),
            status,
        }
    }
}

impl Record for MigrationView {
    fn fields(&self) -> Vec<(&'static str, String)> {
        let s = &self.status;
        vec![
            ("users synced", s.synced.to_string()),
            ("users imported", s.imported.to_string()),
            ("migrated by login", s.migrated.to_string()),
            ("never seen", s.never_seen.to_string()),
            ("fallback logins (24 h)", s.fallback_logins_24h.to_string()),
            ("fallback logins (7 days)", s.fallback_logins_7d.to_string()),
            (
                "last fallback login",
                or_none(self.last_fallback_login_at.as_deref()),
            ),
            (
                "WordPress errors (24 h)",
                s.wordpress_errors_24h.to_string(),
            ),
            ("fallback idle", yes_no(self.fallback_idle)),
        ]
    }
}

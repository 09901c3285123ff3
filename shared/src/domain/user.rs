//! Users of the login bridge, and their links to WordPress accounts.

use serde::{Deserialize, Serialize};

use super::UserId;
use crate::clock::Epoch;

/// A password hash in PHC (Argon2id) or an imported WordPress format. Never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(pub String);

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

/// Where a user came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserSource {
    Local,
    Wordpress,
}

/// A local user. The e-mail is unique without regard to case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    /// `None`: no usable password (e.g. created by sync until the first WordPress-validated login).
    #[serde(default)]
    pub password_hash: Option<PasswordHash>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// A hard external reference, e.g. the WordPress ID with `extIdReferencing`.
    #[serde(default)]
    pub ext_id: Option<String>,
    pub active: bool,
    pub source: UserSource,
    /// The WordPress account this user is linked to, if any.
    #[serde(default)]
    pub wordpress_id: Option<u64>,
    pub created: Epoch,
    pub modified: Epoch,
    #[serde(default)]
    pub current_sign_in_at: Option<Epoch>,
    #[serde(default)]
    pub current_sign_in_ip: Option<String>,
    #[serde(default)]
    pub last_sign_in_at: Option<Epoch>,
    #[serde(default)]
    pub last_sign_in_ip: Option<String>,
    /// Sessions carry the generation they were issued under and work only while it is current:
    /// a new password or a disabling moves it on, which ends every session at once (and enabling
    /// the user again does not bring them back).
    #[serde(default)]
    pub session_generation: u64,
    #[serde(default)]
    pub version: u64,
}

impl User {
    /// A new active user with a fresh id, created at `now`: no password, names, `ext_id` or
    /// WordPress link yet, never signed in. Every place that makes a user starts here.
    pub fn new(email: impl Into<String>, source: UserSource, now: Epoch) -> Self {
        User {
            id: UserId::generate(),
            email: email.into(),
            password_hash: None,
            first_name: None,
            last_name: None,
            ext_id: None,
            active: true,
            source,
            wordpress_id: None,
            created: now,
            modified: now,
            current_sign_in_at: None,
            current_sign_in_ip: None,
            last_sign_in_at: None,
            last_sign_in_ip: None,
            session_generation: 0,
            version: 0,
        }
    }

    /// The form of an e-mail address under which uniqueness is enforced.
    pub fn email_key(email: &str) -> String {
        email.trim().to_lowercase()
    }

    /// Replaces the password with a hash of another one: every session of the user ends.
    pub fn set_password(&mut self, hash: PasswordHash) {
        self.password_hash = Some(hash);
        self.end_sessions();
    }

    /// Enables or disables the user. Disabling ends every session; enabling revives none.
    pub fn set_active(&mut self, active: bool) {
        if self.active && !active {
            self.end_sessions();
        }
        self.active = active;
    }

    /// Ends every session issued so far.
    pub fn end_sessions(&mut self) {
        self.session_generation = self.session_generation.wrapping_add(1);
    }

    /// Whether a session issued under `generation` still stands for this user.
    pub fn accepts_session(&self, generation: u64) -> bool {
        self.active && generation == self.session_generation
    }
}

/// The soft link between a local user and a WordPress account (the reference's `wordpress_users` row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WordpressLink {
    pub wordpress_id: u64,
    pub user_id: UserId,
    pub email: String,
    pub login: String,
    /// RFC 3339.
    pub registered_at: String,
    #[serde(default)]
    pub nicename: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub version: u64,
}

impl WordpressLink {
    /// The form of a WordPress `user_login` under which links are unique and looked up: trimmed
    /// and lower-case, as WordPress's own lookup (MySQL's case-insensitive collation) matches it.
    /// `None` for an empty login, which no lookup can find.
    pub fn login_key(login: &str) -> Option<String> {
        let key = login.trim().to_lowercase();
        (!key.is_empty()).then_some(key)
    }
}

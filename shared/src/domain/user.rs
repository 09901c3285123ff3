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
    #[serde(default)]
    pub version: u64,
}

impl User {
    /// The form of an e-mail address under which uniqueness is enforced.
    pub fn email_key(email: &str) -> String {
        email.trim().to_lowercase()
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

//! Users of the login bridge, and their links to WordPress accounts.

use serde::{Deserialize, Serialize};

use super::UserId;
use super::email::{self, Email};
use super::role::Role;
use super::spelling::wordpress_spelling;
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

/// Where a user's current password came from, which decides whether WordPress still has a say
/// over the account during the transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordOrigin {
    /// WordPress vouched for it: a login WordPress validated (migration, `passwordReset`) or an
    /// imported WordPress hash. WordPress keeps its say: a password changed on the site still logs
    /// in (and with `passwordReset` replaces this one).
    Wordpress,
    /// authbridge set it: `users create`, `users set-password`, an imported hash of a format
    /// WordPress does not write (Argon2), a future self-service change. Only it counts: WordPress
    /// is never asked about the account again.
    Authbridge,
}

/// A local user. The e-mail is unique without regard to case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// Unique without regard to case ([`Email::key`]).
    #[serde(deserialize_with = "email::stored::deserialize")]
    pub email: Email,
    /// `None`: no usable password (e.g. created by sync until the first WordPress-validated login).
    #[serde(default)]
    pub password_hash: Option<PasswordHash>,
    /// Where `password_hash` came from; `None` for users stored before it was recorded: read it
    /// with [`User::password_origin`], which gives those a default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_origin: Option<PasswordOrigin>,
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
    /// the user again does not bring them back). So while it stays the same, so does the password
    /// (a hash upgrade is the same password): a login checks it before issuing a session.
    #[serde(default)]
    pub session_generation: u64,
    /// The console roles the user holds (none: the user may not enter the console). A console
    /// session works only while the user still holds every role it was opened with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub version: u64,
}

impl User {
    /// A new active user with a fresh id, created at `now`: no password, names, `ext_id` or
    /// WordPress link yet, never signed in. Every place that makes a user starts here.
    pub fn new(email: Email, source: UserSource, now: Epoch) -> Self {
        User {
            id: UserId::generate(),
            email,
            password_hash: None,
            password_origin: None,
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
            roles: Vec::new(),
            version: 0,
        }
    }

    /// Gives the user `role`; `false` when it held it already.
    pub fn grant_role(&mut self, role: Role) -> bool {
        if self.roles.contains(&role) {
            return false;
        }
        self.roles.push(role);
        self.roles.sort_unstable();
        true
    }

    /// Takes `role` from the user, which ends every console session opened with it; `false` when
    /// it did not hold it.
    pub fn revoke_role(&mut self, role: Role) -> bool {
        let before = self.roles.len();
        self.roles.retain(|r| *r != role);
        self.roles.len() != before
    }

    /// Replaces the password with a hash of another one, which came from `origin`: every session
    /// of the user ends. (A stronger hash of the same password is no new password: it is written
    /// to `password_hash` alone, keeping the sessions and the origin.)
    pub fn set_password(&mut self, hash: PasswordHash, origin: PasswordOrigin) {
        self.password_hash = Some(hash);
        self.password_origin = Some(origin);
        self.end_sessions();
    }

    /// Where the current password came from. For a user stored before origins were recorded:
    /// WordPress when the user came from WordPress or is linked to it (what every such user's
    /// password meant then: the transition went on for it), else authbridge.
    pub fn password_origin(&self) -> PasswordOrigin {
        self.password_origin.unwrap_or(
            if self.source == UserSource::Wordpress || self.wordpress_id.is_some() {
                PasswordOrigin::Wordpress
            } else {
                PasswordOrigin::Authbridge
            },
        )
    }

    /// Whether WordPress may still vouch for a password of this user (the transition): it has no
    /// password yet, or its password came from WordPress. Once authbridge set the password, only
    /// that password opens the account.
    pub fn wordpress_may_vouch(&self) -> bool {
        self.password_hash.is_none() || self.password_origin() == PasswordOrigin::Wordpress
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
    #[serde(deserialize_with = "email::stored::deserialize")]
    pub email: Email,
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
    /// The form of a WordPress `user_login` under which links are unique and looked up: the
    /// spelling under which WordPress's own lookup finds it ([`wordpress_spelling`]: case, accents,
    /// width, tags, percent-escapes and entities as `sanitize_user` and MySQL's collation treat
    /// them), so `alice`, `ALICE` and `àlice` find one link. For the logins WordPress stores (strict
    /// `sanitize_user`) that is their trimmed lower-case form. `None` for an empty login, which no
    /// lookup can find.
    pub fn login_key(login: &str) -> Option<String> {
        let key = wordpress_spelling(login.trim());
        (!key.is_empty()).then_some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A user as stored before the password's origin was recorded: no `password_origin` field.
    fn stored_before(source: UserSource, wordpress_id: Option<u64>) -> User {
        let mut user = User::new(
            crate::domain::Email::parse("ada@example.org").unwrap(),
            source,
            1,
        );
        user.password_hash = Some(PasswordHash("$argon2id$x".into()));
        user.wordpress_id = wordpress_id;
        let json = serde_json::to_string(&user).unwrap();
        assert!(!json.contains("password_origin"), "{json}");
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn a_user_stored_before_origins_reads_wordpress_only_when_it_came_from_or_links_to_it() {
        let migrated = stored_before(UserSource::Wordpress, Some(7));
        assert_eq!(migrated.password_origin(), PasswordOrigin::Wordpress);
        assert!(migrated.wordpress_may_vouch());
        let imported_unlinked = stored_before(UserSource::Wordpress, None);
        assert_eq!(
            imported_unlinked.password_origin(),
            PasswordOrigin::Wordpress
        );
        let linked_by_email = stored_before(UserSource::Local, Some(7));
        assert_eq!(linked_by_email.password_origin(), PasswordOrigin::Wordpress);
        let made_here = stored_before(UserSource::Local, None);
        assert_eq!(made_here.password_origin(), PasswordOrigin::Authbridge);
        assert!(!made_here.wordpress_may_vouch());
    }

    #[test]
    fn a_login_key_is_the_lower_case_login_for_wordpress_logins_and_finds_its_variants() {
        for login in ["admin", "Admin.Admin", "john doe", "a_b-c@d.e", "  Ada  "] {
            assert_eq!(
                WordpressLink::login_key(login),
                Some(login.trim().to_lowercase()),
                "{login:?}: stored keys stay valid"
            );
        }
        for variant in ["ALICE", "àlice", "ａｌｉｃｅ", "al%41ice", "<b>alice</b>"] {
            assert_eq!(WordpressLink::login_key(variant).as_deref(), Some("alice"));
        }
        assert_eq!(WordpressLink::login_key(" <b></b> "), None);
    }

    #[test]
    fn a_recorded_origin_wins_and_is_stored() {
        let mut user = User::new(
            crate::domain::Email::parse("ada@example.org").unwrap(),
            UserSource::Wordpress,
            1,
        );
        user.wordpress_id = Some(7);
        assert!(user.wordpress_may_vouch(), "no password yet");
        user.set_password(
            PasswordHash("$argon2id$x".into()),
            PasswordOrigin::Authbridge,
        );
        assert_eq!(user.session_generation, 1);
        assert_eq!(user.password_origin(), PasswordOrigin::Authbridge);
        assert!(!user.wordpress_may_vouch());
        let json = serde_json::to_string(&user).unwrap();
        assert!(json.contains(r#""password_origin":"authbridge""#), "{json}");
        let read: User = serde_json::from_str(&json).unwrap();
        assert_eq!(read, user);
    }
}

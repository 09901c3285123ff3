//! What a login by one of a user's names decides on, kept beside the name (on DynamoDB, on the
//! guard item the name is looked up by), so that a refused login reads one item per spelling and
//! the throttle counters in one round trip: the user's password hash, whether the account is
//! active, its session generation, whether WordPress may still vouch for it, and the throttle
//! spellings of every name the account logs in by (so a failure counts under all of them, and a
//! throttled account is refused before its password is checked whichever spelling is typed).
//!
//! The store writes it with the user, in the same write, whenever one of these changes; a name
//! whose record was written before it was kept names its user alone ([`NameLookup::User`]).

use sha2::{Digest, Sha256};

use super::UserId;
use super::email::Email;
use super::spelling::wordpress_spelling;
use super::user::{PasswordHash, User};

/// The throttle key of a spelling (a [`wordpress_spelling`], or a WordPress link's login key,
/// which is one): its SHA-256 in hex, so the store never holds what people type.
pub fn spelling_digest(spelling: &str) -> String {
    hex::encode(Sha256::digest(spelling.as_bytes()))
}

/// What a login decides on, as the store keeps it with each of a user's names.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginRecord {
    pub user_id: UserId,
    pub password_hash: Option<PasswordHash>,
    pub active: bool,
    pub session_generation: u64,
    /// [`User::wordpress_may_vouch`] of the user.
    pub wordpress_may_vouch: bool,
    /// The [`spelling_digest`]s of every name the account logs in by: its e-mail address and the
    /// login of each of its WordPress links.
    pub spellings: Vec<String>,
}

impl LoginRecord {
    /// The record of `user`, whose WordPress links have the login keys `logins`.
    pub fn of(user: &User, logins: &[String]) -> Self {
        LoginRecord {
            user_id: user.id.clone(),
            password_hash: user.password_hash.clone(),
            active: user.active,
            session_generation: user.session_generation,
            wordpress_may_vouch: user.wordpress_may_vouch(),
            spellings: spellings(&user.email, logins),
        }
    }
}

/// The [`spelling_digest`]s of a user's names: its address's spelling, then each login key's.
pub fn spellings(email: &Email, logins: &[String]) -> Vec<String> {
    let mut all = vec![spelling_digest(&wordpress_spelling(email.as_str()))];
    for login in logins {
        let digest = spelling_digest(login);
        if !all.contains(&digest) {
            all.push(digest);
        }
    }
    all
}

/// The user and its spellings, never the hash.
impl std::fmt::Debug for LoginRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRecord")
            .field("user_id", &self.user_id)
            .field("active", &self.active)
            .field("session_generation", &self.session_generation)
            .field("spellings", &self.spellings.len())
            .finish_non_exhaustive()
    }
}

/// Which user a name stands for, as the store found it by the name alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameLookup {
    /// The name's login record: enough to refuse a login without reading the user.
    Record(LoginRecord),
    /// The user's id alone (a name written before records were kept with it): the login reads
    /// the user.
    User(UserId),
}

impl NameLookup {
    /// The user the name stands for.
    pub fn user_id(&self) -> &UserId {
        match self {
            NameLookup::Record(record) => &record.user_id,
            NameLookup::User(id) => id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserSource;

    #[test]
    fn a_record_lists_every_spelling_once_and_never_prints_the_hash() {
        let mut user = User::new(
            Email::parse("Ada@Example.org").unwrap(),
            UserSource::Local,
            1,
        );
        user.password_hash = Some(PasswordHash("$argon2id$secret-hash".into()));
        let record = LoginRecord::of(&user, &["ada".into(), "ada".into()]);
        assert_eq!(record.spellings.len(), 2);
        assert_eq!(
            record.spellings[0],
            spelling_digest(&wordpress_spelling("ada@example.org"))
        );
        assert_eq!(record.spellings[1], spelling_digest("ada"));
        assert!(!format!("{record:?}").contains("secret-hash"));
    }
}

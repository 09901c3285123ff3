//! A WordPress account, as every path from WordPress describes it: the credential check's answer
//! (the login fallback), a sync-user post, and a line of a user export. It is the one way from "a
//! WordPress account" to "a local user": [`WordpressAccount::new_user`] makes the user and
//! [`WordpressAccount::link`] its link row.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::user::{PasswordHash, PasswordOrigin, User, UserSource, WordpressLink};
use super::{Email, UserId};
use crate::clock::Epoch;

/// A WordPress account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordpressAccount {
    /// The WordPress user ID.
    pub id: u64,
    /// `user_login`: the username, which the link keeps so the user can log in by it locally.
    pub login: String,
    pub email: Email,
    pub nicename: Option<String>,
    pub url: Option<String>,
    /// `user_registered` as WordPress gave it (`YYYY-MM-DD HH:MM:SS` in UTC, or RFC 3339).
    pub registered: Option<String>,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl WordpressAccount {
    /// When the account was registered, as epoch seconds, if WordPress gave a usable date.
    pub fn registered_epoch(&self) -> Option<Epoch> {
        self.registered
            .as_deref()
            .and_then(parse_wordpress_time)
            .map(OffsetDateTime::unix_timestamp)
    }

    /// When the account was registered, as RFC 3339 in UTC; `now` when WordPress gave no usable date.
    pub fn registered_at(&self, now: Epoch) -> String {
        rfc3339(self.registered_epoch().unwrap_or(now))
    }

    /// The local user of this account, new: source WordPress, linked to the account, its names,
    /// `ext_id` set to the WordPress ID under `extIdReferencing`, and `password_hash` (none: no
    /// usable password until a WordPress-validated login), a password WordPress vouched for.
    pub fn new_user(
        &self,
        password_hash: Option<PasswordHash>,
        ext_id_referencing: bool,
        now: Epoch,
    ) -> User {
        User {
            password_origin: password_hash.as_ref().map(|_| PasswordOrigin::Wordpress),
            password_hash,
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            ext_id: ext_id_referencing.then(|| self.id.to_string()),
            wordpress_id: Some(self.id),
            ..User::new(self.email.clone(), UserSource::Wordpress, now)
        }
    }

    /// The link row (the reference's `wordpress_users`) between this account and `user`.
    pub fn link(&self, user: &UserId, now: Epoch) -> WordpressLink {
        let mut link = WordpressLink {
            wordpress_id: self.id,
            user_id: user.clone(),
            email: self.email.clone(),
            login: String::new(),
            registered_at: String::new(),
            nicename: None,
            url: None,
            display_name: None,
            first_name: None,
            last_name: None,
            version: 0,
        };
        self.update_link(&mut link, now);
        link
    }

    /// Writes this account's fields into `link`; `true` when something changed.
    pub fn update_link(&self, link: &mut WordpressLink, now: Epoch) -> bool {
        let before = link.clone();
        link.email.clone_from(&self.email);
        link.login.clone_from(&self.login);
        link.registered_at = match self.registered_epoch() {
            Some(at) => rfc3339(at),
            // Keep what the link knew rather than make up a date.
            None if !link.registered_at.is_empty() => link.registered_at.clone(),
            None => rfc3339(now),
        };
        link.nicename.clone_from(&self.nicename);
        link.url.clone_from(&self.url);
        link.display_name.clone_from(&self.display_name);
        link.first_name.clone_from(&self.first_name);
        link.last_name.clone_from(&self.last_name);
        *link != before
    }
}

/// A WordPress date-time: `user_registered`'s `YYYY-MM-DD HH:MM:SS` in UTC, or RFC 3339.
/// `None` for anything else (WordPress's `0000-00-00 00:00:00` included).
pub fn parse_wordpress_time(raw: &str) -> Option<OffsetDateTime> {
    let raw = raw.trim();
    if let Ok(t) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Some(t);
    }
    let mysql = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    PrimitiveDateTime::parse(raw, mysql)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// Epoch seconds as RFC 3339 in UTC (`2020-03-13T14:02:44Z`).
pub fn rfc3339(epoch: Epoch) -> String {
    OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> WordpressAccount {
        WordpressAccount {
            id: 145,
            login: "admin".into(),
            email: crate::domain::Email::parse("admin@example.fu").unwrap(),
            nicename: Some("admin".into()),
            url: None,
            registered: Some("2020-03-13 14:02:44".into()),
            display_name: Some("Example Admin".into()),
            first_name: Some("Example".into()),
            last_name: None,
        }
    }

    #[test]
    fn wordpress_times_read_as_utc() {
        let t = parse_wordpress_time("2017-01-01 01:12:23").unwrap();
        assert_eq!(t.unix_timestamp(), 1_483_233_143);
        let t = parse_wordpress_time("2020-03-13T14:02:44+01:00").unwrap();
        assert_eq!(rfc3339(t.unix_timestamp()), "2020-03-13T13:02:44Z");
        assert!(parse_wordpress_time("0000-00-00 00:00:00").is_none());
        assert!(parse_wordpress_time("yesterday").is_none());
    }

    #[test]
    fn one_account_makes_one_user_and_its_link() {
        let a = account();
        let user = a.new_user(None, true, 10);
        assert_eq!(user.email, "admin@example.fu");
        assert_eq!(user.source, UserSource::Wordpress);
        assert_eq!(user.wordpress_id, Some(145));
        assert_eq!(user.ext_id.as_deref(), Some("145"));
        assert_eq!(user.first_name.as_deref(), Some("Example"));
        assert!(user.password_hash.is_none() && user.active);
        let mut link = a.link(&user.id, 10);
        assert_eq!(link.login, "admin");
        assert_eq!(link.registered_at, "2020-03-13T14:02:44Z");
        assert!(!a.update_link(&mut link, 99), "nothing changed");
        let renamed = WordpressAccount {
            login: "admin2".into(),
            ..a
        };
        assert!(renamed.update_link(&mut link, 99));
        assert_eq!(link.login, "admin2");
    }
}

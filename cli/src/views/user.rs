//! A user as the `users` commands show it: never the password hash, only its format, so an
//! operator can follow the migration away from WordPress hashes.

use authbridge::clock::Epoch;
use authbridge::domain::{PasswordOrigin, Role, User, UserSource};
use authbridge::passwords::HashFormat;
use serde::Serialize;

use crate::output::{NONE, Record, Row, or_none, rfc3339, yes_no};

/// A user, without its password hash.
#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub ext_id: Option<String>,
    pub active: bool,
    pub source: UserSource,
    pub wordpress_id: Option<u64>,
    /// The stored hash's format (`Argon2`, `phpass`, ...); `null` when the user has no password.
    pub password: Option<String>,
    /// Where the password came from: `wordpress` (WordPress keeps its say over it during the
    /// transition) or `authbridge` (only it opens the account); `null` when there is none.
    pub password_from: Option<PasswordOrigin>,
    /// RFC 3339 in JSON.
    #[serde(serialize_with = "crate::output::epoch_json")]
    pub created: Epoch,
    /// RFC 3339 in JSON.
    #[serde(serialize_with = "crate::output::opt_epoch_json")]
    pub current_sign_in_at: Option<Epoch>,
    pub current_sign_in_ip: Option<String>,
    /// RFC 3339 in JSON.
    #[serde(serialize_with = "crate::output::opt_epoch_json")]
    pub last_sign_in_at: Option<Epoch>,
    /// The console roles the user holds (`admin`, `operator`); empty: no entry to the console.
    pub roles: Vec<Role>,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        let password = user
            .password_hash
            .as_ref()
            .map(|hash| match HashFormat::of(hash) {
                Some(format) => format.to_string(),
                None => "unrecognised".to_string(),
            });
        let password_from = user.password_hash.as_ref().map(|_| user.password_origin());
        UserView {
            id: user.id.to_string(),
            email: user.email.into(),
            first_name: user.first_name,
            last_name: user.last_name,
            ext_id: user.ext_id,
            active: user.active,
            source: user.source,
            wordpress_id: user.wordpress_id,
            password,
            password_from,
            created: user.created,
            current_sign_in_at: user.current_sign_in_at,
            current_sign_in_ip: user.current_sign_in_ip,
            last_sign_in_at: user.last_sign_in_at,
            roles: user.roles,
        }
    }
}

impl UserView {
    fn source(&self) -> &'static str {
        match self.source {
            UserSource::Local => "local",
            UserSource::Wordpress => "wordpress",
        }
    }

    fn password_from(&self) -> &'static str {
        match self.password_from {
            Some(PasswordOrigin::Wordpress) => "WordPress (it still vouches for it)",
            Some(PasswordOrigin::Authbridge) => "authbridge (WordPress has no say)",
            None => NONE,
        }
    }

    fn roles(&self) -> String {
        if self.roles.is_empty() {
            return NONE.to_string();
        }
        let names: Vec<&str> = self.roles.iter().map(|r| r.name()).collect();
        names.join(", ")
    }

    fn time(epoch: Option<Epoch>) -> String {
        epoch.map(rfc3339).unwrap_or_else(|| NONE.to_string())
    }
}

impl Row for UserView {
    const HEADERS: &'static [&'static str] =
        &["id", "email", "source", "active", "password", "signed in"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.email.clone(),
            self.source().to_string(),
            yes_no(self.active),
            or_none(self.password.as_deref()),
            Self::time(self.current_sign_in_at),
        ]
    }
}

impl Record for UserView {
    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("id", self.id.clone()),
            ("email", self.email.clone()),
            ("first name", or_none(self.first_name.as_deref())),
            ("last name", or_none(self.last_name.as_deref())),
            ("ext_id", or_none(self.ext_id.as_deref())),
            ("active", yes_no(self.active)),
            ("source", self.source().to_string()),
            (
                "wordpress id",
                or_none(self.wordpress_id.map(|id| id.to_string()).as_deref()),
            ),
            ("password", or_none(self.password.as_deref())),
            ("password from", self.password_from().to_string()),
            ("created", rfc3339(self.created)),
            ("signed in", Self::time(self.current_sign_in_at)),
            (
                "signed in from",
                or_none(self.current_sign_in_ip.as_deref()),
            ),
            ("previous sign-in", Self::time(self.last_sign_in_at)),
            ("console roles", self.roles()),
        ]
    }
}

//! Which local user a typed name stands for: the user with that e-mail address, or the user whose
//! WordPress link has that `user_login`, in any spelling WordPress takes for it (case, accents,
//! width, tags, percent-escapes: [`WordpressLink::login_key`](crate::domain::WordpressLink::login_key)).
//! Used by the local check and by the throttle, so that every spelling of one account meets in one
//! user; one login looks it up once ([`LocalUser`]). A login looks up what the store keeps with the
//! name ([`local_login`]: the login record, enough to refuse it), and reads the user only once its
//! password verified.

use super::name::LoginName;
use crate::domain::user::PasswordHash;
use crate::domain::{LoginRecord, NameLookup, User, UserId};
use crate::store::{StoreResult, UserStore};

/// The local user `name` stands for. An e-mail address is looked up as an address first, then as
/// a WordPress login (some WordPress usernames look like addresses); any other name as a
/// WordPress login only. Two key lookups at most, never a scan; an address's two go together
/// (one round trip, not two), and the address wins.
pub async fn local_user(users: &dyn UserStore, name: &LoginName) -> StoreResult<Option<User>> {
    match name {
        LoginName::Email(email) => {
            let (by_email, by_login) = tokio::join!(
                users.find_user_by_email(email),
                users.find_user_by_wordpress_login(email.as_str())
            );
            match by_email? {
                Some(user) => Ok(Some(user)),
                None => by_login,
            }
        }
        LoginName::Username(login) => users.find_user_by_wordpress_login(login).await,
    }
}

/// What the store keeps with the name `name` ([`UserStore::find_login_by_email`]), looked up as
/// [`local_user`] looks the user up: the login record where the store keeps one, else the user's
/// id. On DynamoDB the guard items alone (an address's two in one round trip).
pub async fn local_login(
    users: &dyn UserStore,
    name: &LoginName,
) -> StoreResult<Option<NameLookup>> {
    match name {
        LoginName::Email(email) => {
            let (by_email, by_login) = tokio::join!(
                users.find_login_by_email(email),
                users.find_login_by_wordpress_login(email.as_str())
            );
            match by_email? {
                Some(found) => Ok(Some(found)),
                None => by_login,
            }
        }
        LoginName::Username(login) => users.find_login_by_wordpress_login(login).await,
    }
}

/// The local user a login's name stands for, as the login found it: its login record (what a
/// refusal needs; the user itself is read once the password verified), or the user.
/// Printed without the hash (neither a record nor a user prints it).
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    Record(LoginRecord),
    User(Box<User>),
}

impl Found {
    /// The user's id.
    pub fn user_id(&self) -> &UserId {
        match self {
            Found::Record(record) => &record.user_id,
            Found::User(user) => &user.id,
        }
    }

    /// The user's password hash.
    pub fn password_hash(&self) -> Option<&PasswordHash> {
        match self {
            Found::Record(record) => record.password_hash.as_ref(),
            Found::User(user) => user.password_hash.as_ref(),
        }
    }

    /// Whether the account is active.
    pub fn active(&self) -> bool {
        match self {
            Found::Record(record) => record.active,
            Found::User(user) => user.active,
        }
    }

    /// [`User::wordpress_may_vouch`].
    pub fn wordpress_may_vouch(&self) -> bool {
        match self {
            Found::Record(record) => record.wordpress_may_vouch,
            Found::User(user) => user.wordpress_may_vouch(),
        }
    }
}

/// The local user a login's credentials name, looked up at most once per login: the throttle's
/// account key and the local authenticator both need it, and on DynamoDB a lookup is a round trip.
/// A clone made before the lookup looks up on its own.
#[derive(Clone, Default)]
pub struct LocalUser(tokio::sync::OnceCell<Option<Found>>);

impl LocalUser {
    /// Settles what this login's name stands for, read by the caller (the login service reads it
    /// together with its throttle counters); a later [`LocalUser::of`] answers it. No change when
    /// already looked up.
    pub fn found(&self, found: Option<Found>) {
        let _ = self.0.set(found);
    }

    /// What `name` stands for in `users` (the user, [`local_user`], when nobody settled it), from
    /// the first call's answer.
    pub async fn of(&self, users: &dyn UserStore, name: &LoginName) -> StoreResult<Option<Found>> {
        self.0
            .get_or_try_init(|| async {
                Ok(local_user(users, name)
                    .await?
                    .map(|u| Found::User(Box::new(u))))
            })
            .await
            .cloned()
    }
}

/// Whether it was looked up, never the user (a password hash has no place in a debug line).
impl std::fmt::Debug for LocalUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("LocalUser")
            .field(&if self.0.initialized() {
                "looked up"
            } else {
                "not looked up"
            })
            .finish()
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use crate::domain::UserSource;
    use crate::store::sqlite::SqliteStore;

    #[tokio::test]
    async fn one_login_looks_its_user_up_once() {
        let store = SqliteStore::in_memory().unwrap();
        let user = User::new(
            crate::domain::Email::parse("ada@example.org").unwrap(),
            UserSource::Local,
            1,
        );
        store.create_user(&user, None).await.unwrap();
        let name = LoginName::Email(crate::domain::Email::parse("ada@example.org").unwrap());
        let lookup = LocalUser::default();
        let first = lookup.of(&store, &name).await.unwrap();
        assert_eq!(first.as_ref().map(Found::user_id), Some(&user.id));
        // Gone from the store, the user is still the one this login found: no second lookup.
        store.delete_user(&user.id).await.unwrap();
        let again = lookup.of(&store, &name).await.unwrap();
        assert_eq!(again.as_ref().map(Found::user_id), Some(&user.id));
        assert_eq!(LocalUser::default().of(&store, &name).await.unwrap(), None);
        assert_eq!(format!("{lookup:?}"), "LocalUser(\"looked up\")");
    }
}

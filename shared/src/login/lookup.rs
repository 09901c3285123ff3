//! Which local user a typed name stands for: the user with that e-mail address, or the user whose
//! WordPress link has that `user_login`, in any spelling WordPress takes for it (case, accents,
//! width, tags, percent-escapes: [`WordpressLink::login_key`](crate::domain::WordpressLink::login_key)).
//! Used by the local check and by the throttle, so that every spelling of one account meets in one
//! user; one login looks it up once ([`LocalUser`]).

use super::name::LoginName;
use crate::domain::{User, UserId};
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

/// The id of the local user `name` stands for, as [`local_user`] finds it, without the user (see
/// [`UserStore::find_user_id_by_email`]).
pub async fn local_user_id(users: &dyn UserStore, name: &LoginName) -> StoreResult<Option<UserId>> {
    match name {
        LoginName::Email(email) => {
            let (by_email, by_login) = tokio::join!(
                users.find_user_id_by_email(email),
                users.find_user_id_by_wordpress_login(email.as_str())
            );
            match by_email? {
                Some(id) => Ok(Some(id)),
                None => by_login,
            }
        }
        LoginName::Username(login) => users.find_user_id_by_wordpress_login(login).await,
    }
}

/// The local user a login's credentials name, looked up at most once per login: the throttle's
/// account key and the local authenticator both need it, and on DynamoDB a lookup is a round trip.
/// A clone made before the lookup looks up on its own.
#[derive(Clone, Default)]
pub struct LocalUser(tokio::sync::OnceCell<Option<User>>);

impl LocalUser {
    /// Settles the user this login's name stands for, read by the caller (the login service reads
    /// it together with its throttle counter); a later [`LocalUser::of`] answers it. No change
    /// when already looked up.
    pub fn found(&self, user: Option<User>) {
        let _ = self.0.set(user);
    }

    /// The user `name` stands for in `users` ([`local_user`]), from the first call's answer.
    pub async fn of(&self, users: &dyn UserStore, name: &LoginName) -> StoreResult<Option<User>> {
        self.0
            .get_or_try_init(|| local_user(users, name))
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
        assert_eq!(first.as_ref().map(|u| &u.id), Some(&user.id));
        // Gone from the store, the user is still the one this login found: no second lookup.
        store.delete_user(&user.id).await.unwrap();
        let again = lookup.of(&store, &name).await.unwrap();
        assert_eq!(again.map(|u| u.id), Some(user.id));
        assert_eq!(LocalUser::default().of(&store, &name).await.unwrap(), None);
        assert_eq!(format!("{lookup:?}"), "LocalUser(\"looked up\")");
    }
}

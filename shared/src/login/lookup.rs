//! Which local user a typed name stands for: the user with that e-mail address, or the user whose
//! WordPress link has that `user_login`. Used by the local check and by the throttle, so that every
//! spelling of one account meets in one user.

use super::credentials::LoginName;
use crate::domain::User;
use crate::store::{StoreResult, UserStore};

/// The local user `name` stands for. An e-mail address is looked up as an address first, then as
/// a WordPress login (some WordPress usernames look like addresses); any other name as a
/// WordPress login only. Two key lookups at most, never a scan.
pub async fn local_user(users: &dyn UserStore, name: &LoginName) -> StoreResult<Option<User>> {
    match name {
        LoginName::Email(email) => match users.find_user_by_email(email).await? {
            Some(user) => Ok(Some(user)),
            None => users.find_user_by_wordpress_login(email).await,
        },
        LoginName::Username(login) => users.find_user_by_wordpress_login(login).await,
    }
}

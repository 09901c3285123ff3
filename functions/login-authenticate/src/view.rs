//! What the login endpoints answer.

use authbridge::domain::{Email, User, UserSource};
use authbridge::login::LoginSuccess;
use serde::Serialize;

/// A user as a client sees it.
#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: String,
    pub email: Email,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub source: UserSource,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        UserView {
            id: user.id.to_string(),
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            source: user.source,
        }
    }
}

/// The 200 answer of `POST /auth/login`.
#[derive(Debug, Serialize)]
pub struct LoginView<'a> {
    pub user: UserView,
    pub access_token: &'a str,
    pub token_type: &'static str,
    pub expires_in: u64,
}

impl<'a> From<&'a LoginSuccess> for LoginView<'a> {
    fn from(success: &'a LoginSuccess) -> Self {
        LoginView {
            user: UserView::from(&success.user),
            access_token: success.token.expose(),
            token_type: "Bearer",
            expires_in: success.expires_in,
        }
    }
}

/// The 200 answer of `GET /auth/me`.
#[derive(Debug, Serialize)]
pub struct MeView {
    pub user: UserView,
}

//! Signing in to the console: the login bridge's own check (its throttling, its authenticator
//! chain, so local users and, once migrated, WordPress users), then a role, then a console
//! session. A user without a role gets no session, whatever the password.

use super::error::ConsoleError;
use super::session::{ConsoleSessions, Opened};
use crate::clock::Epoch;
use crate::login::{Credentials, LoginService};

/// Signs in with `credentials` from `address` at `now`: the new session, or why not
/// (`Login(InvalidCredentials)`, `Login(Throttled)`, `NoRole`, ...).
pub async fn sign_in(
    login: &LoginService,
    sessions: &ConsoleSessions,
    credentials: &Credentials,
    address: Option<&str>,
    now: Epoch,
) -> Result<Opened, ConsoleError> {
    let user = login.authenticate(credentials, address, now).await?;
    if user.roles.is_empty() {
        tracing::info!(user_id = %user.id, "console sign-in refused: the user holds no role");
        return Err(ConsoleError::NoRole);
    }
    let opened = sessions.open(&user, now).await?;
    tracing::info!(user_id = %user.id, roles = ?user.roles, "console session opened");
    Ok(opened)
}

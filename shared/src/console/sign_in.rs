//! Signing in to the console: the login bridge's own check (its throttling, its authenticator
//! chain, so local users and, once migrated, WordPress users), then a role, then a console
//! session. A user without a role gets no session, whatever the password.
//!
//! Each sign-in is recorded for audit ([`crate::audit`]): `admin.session.started` naming the user
//! and the address; `admin.session.refused` for a wrong name or password (without the name typed)
//! or a user without a role (naming them). A sign-in the throttle refuses before any check, or one
//! that could not be checked (WordPress or the store unavailable), records nothing.

use std::net::IpAddr;

use super::error::ConsoleError;
use super::session::{ConsoleSessions, Opened};
use crate::audit;
use crate::clock::Epoch;
use crate::events::{AdminAction, Events};
use crate::login::{Credentials, LoginError, LoginService};

/// Why a refused sign-in was refused, as `admin.session.refused` says it (`error`).
const INVALID_CREDENTIALS: &str = "invalid_credentials";
const NO_ROLE: &str = "no_role";

/// Signs in with `credentials` from `address` at `now`, recording the outcome on `events`: the
/// new session, or why not (`Login(InvalidCredentials)`, `Login(Throttled)`, `NoRole`, ...).
pub async fn sign_in(
    login: &LoginService,
    sessions: &ConsoleSessions,
    events: &Events,
    credentials: &Credentials,
    address: Option<&str>,
    now: Epoch,
) -> Result<Opened, ConsoleError> {
    let ip: Option<IpAddr> = address.and_then(|a| a.parse().ok());
    let user = match login.authenticate(credentials, address, now).await {
        Ok(user) => user,
        Err(LoginError::InvalidCredentials) => {
            audit::record_refused_sign_in(events, None, INVALID_CREDENTIALS, ip).await;
            return Err(LoginError::InvalidCredentials.into());
        }
        Err(e) => return Err(e.into()),
    };
    let email = user.email.as_str();
    if user.roles.is_empty() {
        tracing::info!(user_id = %user.id, "console sign-in refused: the user holds no role");
        audit::record_refused_sign_in(events, Some(email), NO_ROLE, ip).await;
        return Err(ConsoleError::NoRole);
    }
    let opened = sessions.open(&user, now).await?;
    tracing::info!(user_id = %user.id, roles = ?user.roles, "console session opened");
    audit::record(events, email, AdminAction::SessionStarted, email, ip).await;
    Ok(opened)
}

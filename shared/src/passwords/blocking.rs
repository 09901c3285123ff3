//! Async wrappers that keep tens of milliseconds of CPU off the async executor: Argon2 on the
//! bounded [`super::pool`] (in a worker's reused memory), legacy formats on
//! `tokio::task::spawn_blocking`. The current tracing span follows the work.

use secrecy::{ExposeSecret, SecretString};

use super::argon::{self, Policy};
use super::cost::Cost;
use super::pool::Pool;
use super::work::{Kind, record};
use super::{PasswordError, Verification, verify_password};
use crate::domain::user::PasswordHash;

/// [`super::hash_password`] on the Argon2 pool.
#[tracing::instrument(name = "hash password", skip_all)]
pub async fn hash_password_blocking(
    password: &SecretString,
) -> Result<PasswordHash, PasswordError> {
    let password = password.clone();
    Pool::global()
        .run_async(move |memory| {
            argon::hash_in(memory, Policy::CURRENT, password.expose_secret().as_bytes())
        })
        .await?
}

/// [`verify_password`] off the executor: on the Argon2 pool for Argon2 hashes, on a blocking
/// thread for legacy ones. A hash whose cost is beyond the bounds (see [`Cost`]) is never run.
#[tracing::instrument(name = "verify password", skip_all)]
pub async fn verify_password_blocking(
    password: &SecretString,
    stored: &PasswordHash,
) -> Result<Verification, PasswordError> {
    let cost = Cost::of(stored)?;
    record(match cost {
        Cost::Argon2 { .. } => Kind::Argon2,
        Cost::Bcrypt { .. } => Kind::Bcrypt,
        Cost::Phpass { .. } | Cost::Md5 => Kind::Legacy,
    });
    let (password, stored) = (password.clone(), stored.clone());
    if matches!(cost, Cost::Argon2 { .. }) {
        return Pool::global()
            .run_async(move |memory| {
                argon::verify_in(memory, password.expose_secret().as_bytes(), &stored.0)
            })
            .await?;
    }
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(|| verify_password(&password, &stored)))
        .await
        .map_err(PasswordError::Task)?
}

/// [`super::verify_dummy`] on the Argon2 pool; fails only when the work does not complete.
#[tracing::instrument(name = "verify dummy password", skip_all)]
pub async fn verify_dummy_blocking(password: &SecretString) -> Result<(), PasswordError> {
    record(Kind::Argon2);
    let password = password.clone();
    Pool::global()
        .run_async(move |memory| {
            argon::verify_dummy_in(memory, password.expose_secret().as_bytes())
        })
        .await
}

//! Async wrappers that run hashing and verifying on `tokio::task::spawn_blocking`, so that tens of
//! milliseconds of CPU do not stall the async executor. The current tracing span follows the work.

use secrecy::SecretString;

use super::work::record;
use super::{
    HashFormat, PasswordError, Verification, hash_password, verify_dummy, verify_password,
};
use crate::domain::user::PasswordHash;

/// [`hash_password`] on a blocking thread.
#[tracing::instrument(name = "hash password", skip_all)]
pub async fn hash_password_blocking(
    password: &SecretString,
) -> Result<PasswordHash, PasswordError> {
    let password = password.clone();
    run_blocking(move || hash_password(&password)).await?
}

/// [`verify_password`] on a blocking thread.
#[tracing::instrument(name = "verify password", skip_all)]
pub async fn verify_password_blocking(
    password: &SecretString,
    stored: &PasswordHash,
) -> Result<Verification, PasswordError> {
    record(HashFormat::of(stored) == Some(HashFormat::Argon2));
    let (password, stored) = (password.clone(), stored.clone());
    run_blocking(move || verify_password(&password, &stored)).await?
}

/// [`verify_dummy`] on a blocking thread; fails only when the task does not complete.
#[tracing::instrument(name = "verify dummy password", skip_all)]
pub async fn verify_dummy_blocking(password: &SecretString) -> Result<(), PasswordError> {
    record(true);
    let password = password.clone();
    run_blocking(move || verify_dummy(&password)).await
}

async fn run_blocking<T, F>(work: F) -> Result<T, PasswordError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work))
        .await
        .map_err(PasswordError::Task)
}

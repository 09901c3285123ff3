//! WordPress user sync (`sync-user`): a WordPress site posts a user; authbridge creates it, or
//! updates the linked one, by the reference's five cases, with W the link found by `wordpress_id`
//! and U the user found by `email`:
//!
//! | W | U | result |
//! |---|---|--------|
//! | exists | absent | the linked user's e-mail changes to the new one; link updated; 200 |
//! | exists | W's user | link updated; 200 |
//! | exists | another user | 409 `email_conflict` |
//! | absent | exists | 409 `email_conflict` |
//! | absent | absent | new user (no usable password), names, `ext_id` with `extIdReferencing`, link; 200 |
//!
//! Idempotent, and safe under concurrency: the user and its link are created in one atomic write,
//! and a request that loses a race starts over from a fresh read, so 20 concurrent posts of one new
//! user make one user and one link.

use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use crate::clock;
use crate::domain::{User, UserId, UserSource, WordpressLink};
use crate::store::{StoreError, Unique, UserStore};

pub mod payload;

pub use payload::{PayloadError, SyncPayload};

/// How many times a request starts over after losing a race.
const ATTEMPTS: usize = 8;

/// Why a sync was refused.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Another local user holds the e-mail address.
    #[error("User with following email already exists, cannot synchronize: {0}")]
    EmailConflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The 200 body of the reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncedUser {
    pub user_id: UserId,
    pub wordpress_id: u64,
    pub email: String,
    pub login: String,
    pub registered_at: String,
    pub nicename: Option<String>,
    pub url: Option<String>,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

fn response(link: &WordpressLink) -> SyncedUser {
    SyncedUser {
        user_id: link.user_id.clone(),
        wordpress_id: link.wordpress_id,
        email: link.email.clone(),
        login: link.login.clone(),
        registered_at: link.registered_at.clone(),
        nicename: link.nicename.clone(),
        url: link.url.clone(),
        display_name: link.display_name.clone(),
        first_name: link.first_name.clone(),
        last_name: link.last_name.clone(),
    }
}

/// `link` with the payload's fields; `true` when something changed.
fn apply(link: &mut WordpressLink, p: &SyncPayload, registered_at: &str) -> bool {
    let before = link.clone();
    link.email = p.email.clone();
    link.login = p.user_login.clone();
    link.registered_at = registered_at.to_string();
    link.nicename = p.user_nicename.clone();
    link.url = p.user_url.clone();
    link.display_name = p.display_name.clone();
    link.first_name = p.first_name.clone();
    link.last_name = p.last_name.clone();
    *link != before
}

/// Runs one sync.
pub async fn sync(
    users: &dyn UserStore,
    payload: &SyncPayload,
    ext_id_referencing: bool,
) -> Result<SyncedUser, SyncError> {
    let registered_at = payload
        .registered_at
        .format(&Rfc3339)
        .unwrap_or_else(|_| payload.registered_at.to_string());
    for _ in 0..ATTEMPTS {
        match attempt(users, payload, &registered_at, ext_id_referencing).await {
            Err(SyncError::Store(StoreError::StaleVersion))
            | Err(SyncError::Store(StoreError::AlreadyExists(_)))
            | Err(SyncError::Store(StoreError::NotFound)) => continue,
            other => return other,
        }
    }
    Err(SyncError::Store(StoreError::StaleVersion))
}

async fn attempt(
    users: &dyn UserStore,
    p: &SyncPayload,
    registered_at: &str,
    ext_id_referencing: bool,
) -> Result<SyncedUser, SyncError> {
    let link = users.get_wordpress_link(p.wordpress_id).await?;
    let by_email = users.find_user_by_email(&p.email).await?;
    match (link, by_email) {
        (Some(mut link), by_email) => {
            if let Some(other) = &by_email
                && other.id != link.user_id
            {
                return Err(SyncError::EmailConflict(p.email.clone()));
            }
            let Some(mut user) = users.get_user(&link.user_id).await? else {
                // A link to a user that is gone: nothing sensible to update.
                return Err(SyncError::Store(StoreError::NotFound));
            };
            let mut changed = false;
            if User::email_key(&user.email) != User::email_key(&p.email) || user.email != p.email {
                user.email = p.email.clone();
                changed = true;
            }
            if ext_id_referencing && user.ext_id.is_none() {
                user.ext_id = Some(p.wordpress_id.to_string());
                changed = true;
            }
            if user.wordpress_id != Some(p.wordpress_id) {
                user.wordpress_id = Some(p.wordpress_id);
                changed = true;
            }
            if changed {
                user.modified = clock::now();
                match users.update_user(&user).await {
                    Err(StoreError::AlreadyExists(Unique::Email)) => {
                        return Err(SyncError::EmailConflict(p.email.clone()));
                    }
                    other => {
                        other?;
                    }
                }
            }
            if apply(&mut link, p, registered_at) {
                link = users.save_wordpress_link(&link).await?;
            }
            Ok(response(&link))
        }
        (None, Some(_)) => Err(SyncError::EmailConflict(p.email.clone())),
        (None, None) => {
            let now = clock::now();
            let user = User {
                id: UserId::generate(),
                email: p.email.clone(),
                password_hash: None,
                first_name: p.first_name.clone(),
                last_name: p.last_name.clone(),
                ext_id: ext_id_referencing.then(|| p.wordpress_id.to_string()),
                active: true,
                source: UserSource::Wordpress,
                wordpress_id: Some(p.wordpress_id),
                created: now,
                modified: now,
                current_sign_in_at: None,
                current_sign_in_ip: None,
                last_sign_in_at: None,
                last_sign_in_ip: None,
                version: 0,
            };
            let mut link = WordpressLink {
                wordpress_id: p.wordpress_id,
                user_id: user.id.clone(),
                email: String::new(),
                login: String::new(),
                registered_at: String::new(),
                nicename: None,
                url: None,
                display_name: None,
                first_name: None,
                last_name: None,
                version: 0,
            };
            apply(&mut link, p, registered_at);
            users.create_user(&user, Some(&link)).await?;
            Ok(response(&link))
        }
    }
}

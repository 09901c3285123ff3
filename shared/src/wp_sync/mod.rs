//! WordPress user sync (`sync-user`): a WordPress site posts a user; authbridge creates it, or
//! updates the linked one, by the reference's five cases, with W the link found by `wordpress_id`
//! and U the user found by `email`:
//!
//! | W | U | result |
//! |---|---|--------|
//! | exists | absent | the linked user's e-mail changes to the new one; link updated; synced |
//! | exists | W's user | link updated; synced |
//! | exists | another user | refused: [`SyncError::EmailConflict`] |
//! | absent | exists | refused: [`SyncError::EmailConflict`] |
//! | absent | absent | new user (no usable password), names, `ext_id` with `extIdReferencing`, link; synced |
//!
//! Idempotent, and safe under concurrency: the user and its link are created in one atomic write,
//! and a request that loses a race starts over from a fresh read, so 20 concurrent posts of one new
//! user make one user and one link, and all 20 are synced with the same [`SyncedUser`]. The payload becomes a
//! [`WordpressAccount`], which makes the user and the link exactly as the login fallback and the
//! import do.

use std::sync::Arc;

use serde::Serialize;

use crate::clock;
use crate::context::AppContext;
use crate::domain::counter::Counter;
use crate::domain::{Email, User, UserId, WordpressAccount, WordpressLink};
use crate::events::{Event, EventKind, Events};
use crate::migration_status::Meter;
use crate::store::{Contention, StoreError, Unique, UserStore, retry};

pub mod payload;

pub use payload::{PayloadError, SyncPayload};

/// Why a sync was refused.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Another local user holds the e-mail address.
    #[error("User with following email already exists, cannot synchronize: {0}")]
    EmailConflict(Email),
    /// Another WordPress account's link holds the login (a rename on the site not yet synced).
    #[error(
        "User with following login is linked to another WordPress user, cannot synchronize: {0}"
    )]
    LoginConflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A synced user, as the reference answers it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncedUser {
    pub user_id: UserId,
    pub wordpress_id: u64,
    pub email: Email,
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

/// WordPress user sync over one context's users: what wp-sync-user builds at cold start, then
/// one call per posted user.
pub struct SyncService {
    users: Arc<dyn UserStore>,
    events: Events,
    /// Counts the users a sync creates, for the migration panel.
    meter: Meter,
    /// `extIdReferencing` (`AUTHBRIDGE_WP_EXT_ID_REFERENCING`): write the WordPress ID into `ext_id`.
    ext_id_referencing: bool,
}

impl SyncService {
    /// The service over `app`'s users and events.
    pub fn new(app: &AppContext, ext_id_referencing: bool) -> Self {
        SyncService {
            users: app.stores.users.clone(),
            events: app.events.clone(),
            meter: Meter::new(app.stores.counters.clone()),
            ext_id_referencing,
        }
    }

    /// Synchronizes the posted user, then tells other services (`user.synced`).
    pub async fn sync(&self, payload: &SyncPayload) -> Result<SyncedUser, SyncError> {
        let (synced, created) = sync(self.users.as_ref(), payload, self.ext_id_referencing).await?;
        tracing::info!(wordpress_id = synced.wordpress_id, user = %synced.user_id, "user synchronized");
        // The migration's count and the event are independent: one round trip, not two.
        let event = Event::user(EventKind::UserSynced, &synced.user_id, clock::now());
        tokio::join!(
            async {
                if created {
                    self.meter.count(Counter::Synced, 1).await;
                }
            },
            self.events.publish(event),
        );
        Ok(synced)
    }
}

/// Runs one sync; `true` with the answer when it created the user.
async fn sync(
    users: &dyn UserStore,
    payload: &SyncPayload,
    ext_id_referencing: bool,
) -> Result<(SyncedUser, bool), SyncError> {
    let account = &payload.account();
    // A lost race: the winner's write (DynamoDB transactions take a moment, and are not seen all
    // at once by every reader of the emulator) is looked for again after a pause.
    let lost = |e: &SyncError| match e {
        SyncError::Store(StoreError::AlreadyExists(what)) => *what != Unique::WordpressLogin,
        SyncError::Store(StoreError::StaleVersion | StoreError::NotFound) => true,
        _ => false,
    };
    let synced = retry(Contention::Burst, lost, |n| async move {
        attempt(users, account, ext_id_referencing, n.last).await
    })
    .await;
    match synced {
        Err(SyncError::Store(StoreError::AlreadyExists(Unique::WordpressLogin))) => {
            Err(SyncError::LoginConflict(account.login.clone()))
        }
        Err(e) if lost(&e) => Err(SyncError::Store(StoreError::StaleVersion)),
        other => other,
    }
}

async fn attempt(
    users: &dyn UserStore,
    account: &WordpressAccount,
    ext_id_referencing: bool,
    last_try: bool,
) -> Result<(SyncedUser, bool), SyncError> {
    // The link and the user of the address do not depend on each other: read together.
    let (link, by_email) = tokio::join!(
        users.get_wordpress_link(account.id),
        users.find_user_by_email(&account.email)
    );
    let (link, by_email) = (link?, by_email?);
    let now = clock::now();
    match (link, by_email) {
        (Some(mut link), by_email) => {
            if let Some(other) = &by_email
                && other.id != link.user_id
            {
                return Err(SyncError::EmailConflict(account.email.clone()));
            }
            // The address's user, when there is one, is the linked user: already read.
            let user = match by_email {
                Some(user) => Some(user),
                None => users.get_user(&link.user_id).await?,
            };
            let Some(mut user) = user else {
                // A link to a user that is gone: nothing sensible to update.
                return Err(SyncError::Store(StoreError::NotFound));
            };
            let mut changed = false;
            if user.email != account.email {
                user.email.clone_from(&account.email);
                changed = true;
            }
            if ext_id_referencing && user.ext_id.is_none() {
                user.ext_id = Some(account.id.to_string());
                changed = true;
            }
            if user.wordpress_id != Some(account.id) {
                user.wordpress_id = Some(account.id);
                changed = true;
            }
            if changed {
                user.modified = now;
                match users.update_user(&user).await {
                    Err(StoreError::AlreadyExists(Unique::Email)) => {
                        return Err(SyncError::EmailConflict(account.email.clone()));
                    }
                    other => {
                        other?;
                    }
                }
            }
            if account.update_link(&mut link, now) {
                link = users.save_wordpress_link(&link).await?;
            }
            Ok((response(&link), false))
        }
        // The user with this address was made for this very account by a request that has not
        // finished (or whose link this request read too early): look again, do not refuse.
        (None, Some(user)) if user.wordpress_id == Some(account.id) && !last_try => {
            Err(SyncError::Store(StoreError::StaleVersion))
        }
        (None, Some(_)) => Err(SyncError::EmailConflict(account.email.clone())),
        (None, None) => {
            let user: User = account.new_user(None, ext_id_referencing, now);
            let link = account.link(&user.id, now);
            users.create_user(&user, Some(&link)).await?;
            Ok((response(&link), true))
        }
    }
}

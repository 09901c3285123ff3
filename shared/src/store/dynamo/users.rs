//! Users in DynamoDB. Uniqueness of e-mail (case-insensitive) and ext_id is kept by guard items
//! (`EMAIL#<address>`, `EXTID#<id>`) written in the same transaction as the user (`USER#<id>`), so
//! of two requests racing for one address exactly one wins; an update that keeps both is one
//! conditional put of the user (its item names the values its guards hold). WordPress links are
//! `WPLINK#<id>`, with a guard `WPLOGIN#<lower-case login>` (holding `user_id` and
//! `wordpress_id`) written with each link, so a WordPress username finds its user in two reads. Each link is listed under its
//! user (`WPLINKS#<user id>` in the `by-kind` index), so deleting a user deletes all its links.
//! The `EMAIL#` and `WPLOGIN#` guards also keep the user's login record ([`login_guards`]), so a
//! login refused by its password reads the guards alone.

mod login_guards;

use std::collections::BTreeSet;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use login_guards::{
    Address, Guard, Kept, Login, email_guard, fingerprint, guard, login_guard, write_guards,
};

use super::transaction::Tx;
use super::{Condition, DynamoStore, Item};
use crate::domain::{Email, NameLookup, User, UserId, WordpressLink};
use crate::store::{
    Page, PageRequest, Save, StoreError, StoreResult, Unique, Update, UserStore, all_pages, created,
};

const KIND: &str = "USERS";

fn user_pk(id: &UserId) -> String {
    format!("USER#{id}")
}
fn email_pk(email: &Email) -> String {
    format!("EMAIL#{}", email.key())
}
fn ext_pk(ext_id: &str) -> String {
    format!("EXTID#{ext_id}")
}
fn link_pk(wordpress_id: u64) -> String {
    format!("WPLINK#{wordpress_id}")
}
fn login_pk(key: &str) -> String {
    format!("WPLOGIN#{key}")
}

/// The attribute of a user's item that names the values its guard items hold (the e-mail key,
/// the ext_id, and what its login record copies: [`fingerprint`]), so that an update keeping them
/// is one conditional put, no transaction.
const UNIQUE_VALUES: &str = "unique_values";

/// [`UNIQUE_VALUES`] of `user`.
fn unique_values(user: &User) -> AttributeValue {
    let values = serde_json::json!([user.email.key(), user.ext_id, fingerprint(user)]);
    AttributeValue::S(values.to_string())
}

/// How often a write that rewrites a user's login record reads again when another such write
/// went first (the record it read changed).
const RECORD_ATTEMPTS: usize = 3;

/// The login of `link`, when it has one.
fn login_of(link: &WordpressLink) -> Option<Login> {
    WordpressLink::login_key(&link.login).map(|key| Login {
        key,
        wordpress_id: link.wordpress_id,
    })
}

fn user_item(user: &User) -> StoreResult<Item> {
    let mut item = DynamoStore::encode(user, user_pk(&user.id), Some((KIND, user.id.as_str())))?;
    item.insert(UNIQUE_VALUES.into(), unique_values(user));
    Ok(item)
}

/// The listing of a user's WordPress links in the `by-kind` index.
fn links_kind(user: &UserId) -> String {
    format!("WPLINKS#{user}")
}

/// A link's item, listed under its user (sort key: the WordPress ID).
fn link_item(link: &WordpressLink) -> StoreResult<Item> {
    let kind = links_kind(&link.user_id);
    let sort_key = link.wordpress_id.to_string();
    DynamoStore::encode(link, link_pk(link.wordpress_id), Some((&kind, &sort_key)))
}

/// Adds the creation of `link` and of its login guard (with its user's record `kept`) to `tx`.
fn put_new_link(tx: &mut Tx, link: &WordpressLink, kept: Option<&Kept>) -> StoreResult<()> {
    tx.put_new(
        link_item(link)?,
        StoreError::AlreadyExists(Unique::WordpressLink),
    )?;
    if let Some(login) = login_of(link) {
        tx.put_new(
            login_guard(&login, &link.user_id, kept)?,
            StoreError::AlreadyExists(Unique::WordpressLogin),
        )?;
    }
    Ok(())
}

/// A user's login record as a write that rewrites it starts from: as its `EMAIL#` guard keeps it
/// (`read`: the stored value, the rewrite's condition), or, from a guard written before records
/// were kept, made from the user and its links.
struct Current {
    kept: Kept,
    read: Option<AttributeValue>,
}

impl DynamoStore {
    /// Every WordPress link of `user`, as a consistent read has it: the links its listing names,
    /// and the link of its `wordpress_id` (which also finds a link written before links were
    /// listed). The listing is an index, so a link written a moment ago may be missing from it.
    async fn links_of(&self, user: &User) -> StoreResult<Vec<WordpressLink>> {
        let kind = links_kind(&user.id);
        let kind = kind.as_str();
        let listed: Vec<WordpressLink> = all_pages(100, |page| async move {
            self.list_kind(kind, &page, "listing a user's WordPress links")
                .await
        })
        .await?;
        let mut ids: BTreeSet<u64> = listed.iter().map(|link| link.wordpress_id).collect();
        ids.extend(user.wordpress_id);
        let mut links = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(link) = self.get_wordpress_link(id).await?
                && link.user_id == user.id
            {
                links.push(link);
            }
        }
        Ok(links)
    }

    /// The login record of `user` as its `EMAIL#` guard keeps it now ([`Current`]).
    async fn current_record(&self, user: &User, context: &'static str) -> StoreResult<Current> {
        let item = self.get_item(email_pk(&user.email), context).await?;
        let guard = item.map(|item| Guard::read(&item, context)).transpose()?;
        if let Some(Guard {
            user_id,
            kept: Some((kept, read)),
        }) = guard
            && user_id == user.id
        {
            return Ok(Current {
                kept,
                read: Some(read),
            });
        }
        let logins = self
            .links_of(user)
            .await?
            .iter()
            .filter_map(login_of)
            .collect();
        Ok(Current {
            kept: Kept::of(user, logins),
            read: None,
        })
    }

    /// What a login learns from the guard item `pk`.
    async fn lookup_by_guard(
        &self,
        pk: String,
        context: &'static str,
    ) -> StoreResult<Option<NameLookup>> {
        match self.get_item(pk, context).await? {
            Some(item) => Ok(Some(Guard::read(&item, context)?.lookup())),
            None => Ok(None),
        }
    }

    /// Follows a guard item to its user.
    async fn user_by_guard(&self, pk: String, context: &'static str) -> StoreResult<Option<User>> {
        match self.user_id_by_guard(pk, context).await? {
            Some(id) => self.get_user(&id).await,
            None => Ok(None),
        }
    }

    /// The user a guard item names.
    async fn user_id_by_guard(
        &self,
        pk: String,
        context: &'static str,
    ) -> StoreResult<Option<UserId>> {
        match self.get_item(pk, context).await? {
            Some(item) => Ok(Some(Guard::read(&item, context)?.user_id)),
            None => Ok(None),
        }
    }
}

#[async_trait]
impl UserStore for DynamoStore {
    async fn create_user(&self, user: &User, link: Option<&WordpressLink>) -> StoreResult<()> {
        let link = link.map(created);
        let kept = Kept::of(user, link.iter().filter_map(login_of).collect());
        let mut tx = Tx::new(self.table());
        tx.put_new(user_item(user)?, StoreError::AlreadyExists(Unique::User))?;
        tx.put_new(
            email_guard(&user.email, &user.id, &kept)?,
            StoreError::AlreadyExists(Unique::Email),
        )?;
        if let Some(ext_id) = &user.ext_id {
            tx.put_new(
                guard(ext_pk(ext_id), &user.id),
                StoreError::AlreadyExists(Unique::ExtId),
            )?;
        }
        if let Some(link) = &link {
            put_new_link(&mut tx, link, Some(&kept))?;
        }
        tx.commit(self, "creating a user").await
    }

    async fn get_user(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.get_item(user_pk(id), "reading a user")
            .await?
            .map(Self::decode)
            .transpose()
    }

    async fn find_user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
        self.user_by_guard(email_pk(email), "finding a user by e-mail")
            .await
    }

    async fn find_user_by_ext_id(&self, ext_id: &str) -> StoreResult<Option<User>> {
        self.user_by_guard(ext_pk(ext_id), "finding a user by ext_id")
            .await
    }

    async fn find_user_by_wordpress_login(&self, login: &str) -> StoreResult<Option<User>> {
        let Some(key) = WordpressLink::login_key(login) else {
            return Ok(None);
        };
        self.user_by_guard(login_pk(&key), "finding a user by WordPress login")
            .await
    }

    async fn find_login_by_email(&self, email: &Email) -> StoreResult<Option<NameLookup>> {
        self.lookup_by_guard(email_pk(email), "finding a login by e-mail")
            .await
    }

    async fn find_login_by_wordpress_login(&self, login: &str) -> StoreResult<Option<NameLookup>> {
        let Some(key) = WordpressLink::login_key(login) else {
            return Ok(None);
        };
        self.lookup_by_guard(login_pk(&key), "finding a login by WordPress login")
            .await
    }

    async fn find_user_id_by_email(&self, email: &Email) -> StoreResult<Option<UserId>> {
        self.user_id_by_guard(email_pk(email), "finding a user by e-mail")
            .await
    }

    async fn find_user_id_by_wordpress_login(&self, login: &str) -> StoreResult<Option<UserId>> {
        let Some(key) = WordpressLink::login_key(login) else {
            return Ok(None);
        };
        self.user_id_by_guard(login_pk(&key), "finding a user by WordPress login")
            .await
    }

    /// Most updates (a sign-in, a new password) keep the e-mail and the ext_id: one put, if the
    /// stored user is still at the version read and holds the same unique values. When it does
    /// not, the stored user (read by the failed put) tells a stale version from unique values
    /// that move, which take a transaction with their guard items.
    async fn update_user(&self, user: &User) -> StoreResult<User> {
        const CONTEXT: &str = "updating a user";
        let Update { next, expected } = Update::of(user);
        let unchanged = Condition::at_version(expected)
            .and("#unique = :unique")
            .name("#unique", UNIQUE_VALUES)
            .value(":unique", unique_values(&next));
        let mut stored = None;
        let put = self.put_if(user_item(&next)?, unchanged, CONTEXT, |found| {
            stored = found;
            StoreError::StaleVersion
        });
        match put.await {
            Ok(()) => return Ok(next),
            Err(StoreError::StaleVersion) => {}
            Err(e) => return Err(e),
        }
        let Some(mut current) = stored.map(DynamoStore::decode::<User>).transpose()? else {
            return Err(StoreError::NotFound);
        };
        // The transaction: the user, its guards moved, and its login record on every guard (as
        // its address's guard was read: a link saved meanwhile makes it read again).
        for _ in 0..RECORD_ATTEMPTS {
            if current.version != expected {
                return Err(StoreError::StaleVersion);
            }
            let record = self.current_record(&current, CONTEXT).await?;
            let kept = Kept::of(&next, record.kept.logins);
            let mut tx = Tx::new(self.table());
            tx.put_versioned(user_item(&next)?, expected)?;
            let address = match current.email.key() == next.email.key() {
                true => Address::Same(&next.email),
                false => Address::Moved {
                    from: &current.email,
                    to: &next.email,
                },
            };
            write_guards(
                &mut tx,
                &user.id,
                address,
                &kept,
                record.read.as_ref(),
                None,
            )?;
            if current.ext_id != next.ext_id {
                if let Some(old) = &current.ext_id {
                    tx.delete_owned(ext_pk(old), &user.id)?;
                }
                if let Some(new) = &next.ext_id {
                    tx.put_new(
                        guard(ext_pk(new), &user.id),
                        StoreError::AlreadyExists(Unique::ExtId),
                    )?;
                }
            }
            match tx.commit(self, CONTEXT).await {
                Ok(()) => return Ok(next),
                Err(StoreError::StaleVersion) => {
                    current = self.get_user(&user.id).await?.ok_or(StoreError::NotFound)?;
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::StaleVersion)
    }

    async fn delete_user(&self, id: &UserId) -> StoreResult<bool> {
        let Some(current) = self.get_user(id).await? else {
            return Ok(false);
        };
        let mut tx = Tx::new(self.table());
        tx.delete(user_pk(id), Condition::at_version(current.version))?;
        tx.delete_owned(email_pk(&current.email), id)?;
        if let Some(ext_id) = &current.ext_id {
            tx.delete_owned(ext_pk(ext_id), id)?;
        }
        for link in self.links_of(&current).await? {
            tx.delete_owned(link_pk(link.wordpress_id), id)?;
            if let Some(key) = WordpressLink::login_key(&link.login) {
                tx.delete_owned(login_pk(&key), id)?;
            }
        }
        tx.commit(self, "deleting a user").await?;
        Ok(true)
    }

    async fn list_users(&self, page: &PageRequest) -> StoreResult<Page<User>> {
        self.list_kind(KIND, page, "listing users").await
    }

    async fn get_wordpress_link(&self, wordpress_id: u64) -> StoreResult<Option<WordpressLink>> {
        self.get_item(link_pk(wordpress_id), "reading a WordPress link")
            .await?
            .map(Self::decode)
            .transpose()
    }

    async fn save_wordpress_link(&self, link: &WordpressLink) -> StoreResult<WordpressLink> {
        const CONTEXT: &str = "saving a WordPress link";
        let (next, current) = match Save::of(link) {
            Save::Create(next) => (next, None),
            Save::Update(update) => {
                // The link, and the guard of its login (its user's, with the user's record: the
                // usual update keeps the login, and then touches no guard), read together.
                let login_guard = async {
                    match login_of(link) {
                        Some(login) => self.get_item(login_pk(&login.key), CONTEXT).await,
                        None => Ok(None),
                    }
                };
                let (current, guard) =
                    tokio::join!(self.get_wordpress_link(link.wordpress_id), login_guard);
                let (current, guard) = (current?, guard?);
                let Some(current) = current else {
                    return Err(StoreError::NotFound);
                };
                if current.version != update.expected {
                    return Err(StoreError::StaleVersion);
                }
                if current.user_id != update.next.user_id {
                    // Its old user's login record would keep listing it.
                    return Err(StoreError::backend(
                        CONTEXT,
                        "a WordPress link does not move to another user",
                    ));
                }
                let kept_login = login_of(&current).map(|l| l.key) == login_of(link).map(|l| l.key);
                let guarded = match &guard {
                    Some(item) => Guard::read(item, CONTEXT)?.user_id == current.user_id,
                    None => login_of(link).is_none(),
                };
                if kept_login && guarded {
                    let mut tx = Tx::new(self.table());
                    tx.put_versioned(link_item(&update.next)?, update.expected)?;
                    tx.commit(self, CONTEXT).await?;
                    return Ok(update.next);
                }
                (update.next, Some((current, update.expected)))
            }
        };
        let login = login_of(&next);
        let old = current.as_ref().and_then(|(current, _)| login_of(current));
        let owner = &next.user_id;
        for _ in 0..RECORD_ATTEMPTS {
            let mut tx = Tx::new(self.table());
            match &current {
                None => tx.put_new(
                    link_item(&next)?,
                    StoreError::AlreadyExists(Unique::WordpressLink),
                )?,
                Some((_, expected)) => tx.put_versioned(link_item(&next)?, *expected)?,
            }
            if let Some(old) = &old
                && login.as_ref().map(|l| &l.key) != Some(&old.key)
            {
                tx.delete_owned(login_pk(&old.key), owner)?;
            }
            // The user's login record lists the link's login: every guard of the user gets it.
            let kept = match self.get_user(owner).await? {
                Some(user) => {
                    let record = self.current_record(&user, CONTEXT).await?;
                    let mut logins = record.kept.logins.clone();
                    logins.retain(|listed| {
                        Some(&listed.key) != old.as_ref().map(|o| &o.key)
                            && Some(&listed.key) != login.as_ref().map(|l| &l.key)
                    });
                    logins.extend(login.clone());
                    let kept = record.kept.with_logins(logins);
                    let written = login.as_ref().map(|l| l.key.as_str());
                    let address = Address::Same(&user.email);
                    write_guards(
                        &mut tx,
                        owner,
                        address,
                        &kept,
                        record.read.as_ref(),
                        written,
                    )?;
                    Some(kept)
                }
                // A link of no user (yet): its guard names the user alone.
                None => None,
            };
            // Also rewritten when unchanged: a link written before logins had guards gets its guard.
            if let Some(login) = &login {
                let item = login_guard(login, owner, kept.as_ref())?;
                let taken = StoreError::AlreadyExists(Unique::WordpressLogin);
                match current {
                    None => tx.put_new(item, taken)?,
                    Some(_) => tx.put_owned(item, owner, taken)?,
                }
            }
            match tx.commit(self, CONTEXT).await {
                Ok(()) => return Ok(next),
                // The link moved on, or another write rewrote the user's record: read again.
                Err(StoreError::StaleVersion) => {
                    if let Some((_, expected)) = &current {
                        let now = self.get_wordpress_link(next.wordpress_id).await?;
                        if now.map(|link| link.version) != Some(*expected) {
                            return Err(StoreError::StaleVersion);
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::StaleVersion)
    }
}

#[cfg(test)]
mod tests;

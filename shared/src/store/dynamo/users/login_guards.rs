//! The login record a user's guard items keep (the `EMAIL#` guard and each `WPLOGIN#` guard: the
//! names a login looks the user up by), so a login reads one item per spelling of its name and
//! learns what it decides on: the password hash, whether the account is active, its session
//! generation, whether WordPress may vouch for it, and the spellings of all its names.
//!
//! One builder ([`write_guards`]) writes every guard of a user with the record, in the same
//! transaction as the write that changes it: a user's create, an update that moves what the
//! record holds (its user item's [`fingerprint`] changes, so the update's one-put path refuses it),
//! and a link's save (the record lists the links' logins). Each rewrite is conditioned on the
//! `EMAIL#` guard's record being the one read, so two writes that both rewrite the record (a link
//! save and a password change) are serialised: the second one reads again. A guard written before
//! records were kept names its user alone; its user's next such write gives it the record.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::super::transaction::Tx;
use super::super::{Condition, Item, number};
use super::{email_pk, login_pk};
use crate::domain::login_record::spelling_digest;
use crate::domain::spelling::wordpress_spelling;
use crate::domain::user::PasswordHash;
use crate::domain::{Email, LoginRecord, NameLookup, User, UserId};
use crate::store::schema;
use crate::store::{StoreError, StoreResult, Unique};

/// The attribute of a guard item that holds its user's login record (JSON).
const LOGIN: &str = "login";

/// What of a user its login record copies, as one value: part of the user item's unique values,
/// so an update that changes it is not the one-put update and rewrites the guards.
pub(super) fn fingerprint(user: &User) -> serde_json::Value {
    serde_json::json!([
        user.password_hash.as_ref().map(|hash| hash.0.as_str()),
        user.active,
        user.session_generation,
        user.wordpress_may_vouch(),
    ])
}

/// One WordPress link's login, as the record lists it: its key and its WordPress account (what
/// its `WPLOGIN#` guard holds besides the record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Login {
    pub key: String,
    pub wordpress_id: u64,
}

/// A user's login record as its guards keep it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Kept {
    #[serde(default)]
    hash: Option<PasswordHash>,
    active: bool,
    generation: u64,
    may_vouch: bool,
    /// The spelling digest of the user's e-mail address.
    address: String,
    /// The logins of the user's WordPress links.
    pub logins: Vec<Login>,
}

impl Kept {
    /// The record of `user`, whose links have `logins`.
    pub fn of(user: &User, logins: Vec<Login>) -> Self {
        Kept {
            hash: user.password_hash.clone(),
            active: user.active,
            generation: user.session_generation,
            may_vouch: user.wordpress_may_vouch(),
            address: spelling_digest(&wordpress_spelling(user.email.as_str())),
            logins,
        }
    }

    /// This record with `logins` in place of its own.
    pub fn with_logins(&self, logins: Vec<Login>) -> Self {
        Kept {
            logins,
            ..self.clone()
        }
    }

    fn value(&self) -> StoreResult<AttributeValue> {
        serde_json::to_string(self)
            .map(AttributeValue::S)
            .map_err(|e| StoreError::backend("encoding a login record", e))
    }

    fn record(self, user_id: UserId) -> LoginRecord {
        let mut spellings = vec![self.address];
        for login in &self.logins {
            let digest = spelling_digest(&login.key);
            if !spellings.contains(&digest) {
                spellings.push(digest);
            }
        }
        LoginRecord {
            user_id,
            password_hash: self.hash,
            active: self.active,
            session_generation: self.generation,
            wordpress_may_vouch: self.may_vouch,
            spellings,
        }
    }
}

/// A guard item as read: its user, and its record with the stored value (what a rewrite is
/// conditioned on) when it keeps one.
pub(super) struct Guard {
    pub user_id: UserId,
    pub kept: Option<(Kept, AttributeValue)>,
}

impl Guard {
    /// Reads a guard item.
    pub fn read(item: &Item, context: &'static str) -> StoreResult<Self> {
        let user_id = match item.get("user_id") {
            Some(AttributeValue::S(id)) => UserId::from_stored(id.clone()),
            _ => return Err(StoreError::backend(context, "guard item without user_id")),
        };
        let kept = match item.get(LOGIN) {
            Some(value @ AttributeValue::S(json)) => {
                let kept = serde_json::from_str(json)
                    .map_err(|e| StoreError::backend("decoding a login record", e))?;
                Some((kept, value.clone()))
            }
            _ => None,
        };
        Ok(Guard { user_id, kept })
    }

    /// What a login learns from this guard.
    pub fn lookup(self) -> NameLookup {
        match self.kept {
            Some((kept, _)) => NameLookup::Record(kept.record(self.user_id)),
            None => NameLookup::User(self.user_id),
        }
    }
}

/// A guard item naming `user`.
pub(super) fn guard(pk: String, user: &UserId) -> Item {
    Item::from([
        (schema::PK.to_string(), AttributeValue::S(pk)),
        ("user_id".to_string(), AttributeValue::S(user.to_string())),
    ])
}

/// The `WPLOGIN#` guard of `login`, naming `user` and the login's WordPress account, with the
/// record `kept` when the user has one.
pub(super) fn login_guard(login: &Login, user: &UserId, kept: Option<&Kept>) -> StoreResult<Item> {
    let mut item = guard(login_pk(&login.key), user);
    item.insert("wordpress_id".to_string(), number(login.wordpress_id));
    if let Some(kept) = kept {
        item.insert(LOGIN.to_string(), kept.value()?);
    }
    Ok(item)
}

/// The `EMAIL#` guard of `email` with the record `kept`.
pub(super) fn email_guard(email: &Email, user: &UserId, kept: &Kept) -> StoreResult<Item> {
    let mut item = guard(email_pk(email), user);
    item.insert(LOGIN.to_string(), kept.value()?);
    Ok(item)
}

/// Where a write leaves a user's address.
pub(super) enum Address<'a> {
    /// Where it was: its guard is rewritten.
    Same(&'a Email),
    /// Moved: the old guard goes, the new one is created (unless another user holds it).
    Moved { from: &'a Email, to: &'a Email },
}

/// The `EMAIL#` guard still as read: its user's, with the record `read` (none: a guard written
/// before records were kept).
fn as_read(owner: &UserId, read: Option<&AttributeValue>) -> Condition {
    let owned = Condition::new("user_id = :owner")
        .value(":owner", AttributeValue::S(owner.to_string()))
        .name("#login", LOGIN);
    match read {
        Some(value) => owned.and("#login = :read").value(":read", value.clone()),
        None => owned.and("attribute_not_exists(#login)"),
    }
}

/// Adds to `tx` the guards of `owner`'s names, each with the record `kept`: its address's guard
/// (conditioned on the record `read` from it) and the guard of each login `kept` lists but
/// `written` (the login whose guard the caller writes itself: a link's own, being saved).
pub(super) fn write_guards(
    tx: &mut Tx,
    owner: &UserId,
    address: Address<'_>,
    kept: &Kept,
    read: Option<&AttributeValue>,
    written: Option<&str>,
) -> StoreResult<()> {
    match address {
        Address::Same(email) => {
            tx.put_unrecorded(
                email_guard(email, owner, kept)?,
                as_read(owner, read),
                StoreError::StaleVersion,
            )?;
        }
        Address::Moved { from, to } => {
            tx.delete(email_pk(from), as_read(owner, read))?;
            tx.put_new(
                email_guard(to, owner, kept)?,
                StoreError::AlreadyExists(Unique::Email),
            )?;
        }
    }
    for login in &kept.logins {
        if Some(login.key.as_str()) != written {
            tx.put_owned(
                login_guard(login, owner, Some(kept))?,
                owner,
                StoreError::AlreadyExists(Unique::WordpressLogin),
            )?;
        }
    }
    Ok(())
}

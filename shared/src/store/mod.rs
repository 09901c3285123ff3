//! Storage: one small trait per aggregate, each with a DynamoDB and an embedded (SQLite)
//! implementation that pass the same contract tests (`tests/tests/suite/store_contract.rs`).
//!
//! The design of the DynamoDB table (items, keys, indexes, access patterns) is in
//! `docs/book/src/storage.md`.

use std::sync::Arc;

use async_trait::async_trait;

use crate::clock::Epoch;
use crate::domain::token_lifecycle::SeenRecord;
use crate::domain::{
    AccountKey, ClientId, Email, FlowState, NameLookup, OAuthClient, Owner, StoredToken, Tag, User,
    UserId, WordpressLink,
};

mod api_tokens;
mod connection_index;
mod console_sessions;
mod counters;
pub mod dynamo;
mod journal;
mod keys;
mod pages;
mod retry;
pub mod schema;
mod sessions;
#[cfg(feature = "embedded")]
pub mod sqlite;
mod version;

pub use api_tokens::ApiTokenStore;
pub use connection_index::ConnectionIndex;
pub use console_sessions::ConsoleSessionStore;
pub use counters::CounterStore;
pub use journal::JournalStore;
pub use keys::KeyStore;
pub(crate) use pages::DueCursor;
pub use pages::all_pages;
pub use retry::{Attempt, Contention, retry};
pub use sessions::{AttemptStore, Attempts, SessionStore};
pub(crate) use version::{FIRST as FIRST_VERSION, Save, Update, created};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional create lost: an item with the same unique key exists.
    #[error("{0} already exists")]
    AlreadyExists(Unique),
    /// An optimistic update named a version that is no longer current.
    #[error("the record was changed by someone else (stale version)")]
    StaleVersion,
    /// The item to update does not exist.
    #[error("not found")]
    NotFound,
    /// The backend is unreachable, throttling or failing for now (after the SDK's own retries):
    /// worth trying again shortly. `context` says what authbridge was doing.
    #[error("{context}: the store is unavailable for now: {reason}")]
    Unavailable {
        context: &'static str,
        reason: String,
    },
    /// The backend failed; `context` says what authbridge was doing.
    #[error("{context}: {source}")]
    Backend {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    pub(crate) fn backend(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError::Backend {
            context,
            source: source.into(),
        }
    }
}

/// Which unique constraint a conditional create lost on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    Client,
    Token,
    FlowState,
    User,
    Email,
    ExtId,
    WordpressLink,
    /// A WordPress `user_login` already linked to another WordPress account.
    WordpressLogin,
    Session,
    ApiToken,
    KeyVersion,
}

impl std::fmt::Display for Unique {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unique::Client => "client",
            Unique::Token => "token tag",
            Unique::FlowState => "flow state",
            Unique::User => "user",
            Unique::Email => "e-mail address",
            Unique::ExtId => "ext_id",
            Unique::WordpressLink => "WordPress link",
            Unique::WordpressLogin => "WordPress login",
            Unique::ApiToken => "API token",
            Unique::Session => "session",
            Unique::KeyVersion => "key version",
        })
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A request for one page of a list, in key order.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// At most this many items (1..=1000; 0 means 100).
    pub limit: u32,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

impl PageRequest {
    pub fn first(limit: u32) -> Self {
        PageRequest { limit, after: None }
    }

    pub(crate) fn effective_limit(&self) -> u32 {
        match self.limit {
            0 => 100,
            n => n.min(1000),
        }
    }
}

/// One page of a list; `next` is set when more items may follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// The outcome of consuming a short-lived item.
#[derive(Debug, Clone, PartialEq)]
pub enum Taken<T> {
    /// It existed, had not expired, and is now gone.
    Live(T),
    /// It existed but had expired; it is gone too.
    Expired,
    /// Nothing was there: never created, or already consumed.
    Absent,
}

/// The outcome of opening a flow's one-time link.
#[derive(Debug, Clone, PartialEq)]
pub enum Opened<T> {
    /// It was live and unopened; it is now bound to the browser. The item as it is now.
    Opened(T),
    /// It was opened before: a link works once.
    AlreadyOpened,
    /// It existed but had expired.
    Expired,
    /// Nothing was there: never created, or already consumed.
    Absent,
}

/// What [`TokenStore::lease_token`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum LeaseAttempt {
    /// The record was the one seen: it is leased now, as stored (the next version).
    Won(StoredToken),
    /// The record is another (another version or connection: it is answered as it is), or is
    /// gone (`None`): nothing was written.
    Lost(Option<StoredToken>),
}

/// OAuth clients.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Creates a client; loses with `AlreadyExists` when the id is taken.
    async fn create_client(&self, client: &OAuthClient) -> StoreResult<()>;
    async fn get_client(&self, id: &ClientId) -> StoreResult<Option<OAuthClient>>;
    /// Writes `client` if its `version` is still current, and returns it with the next version.
    async fn update_client(&self, client: &OAuthClient) -> StoreResult<OAuthClient>;
    /// Deletes a client; `false` when there was none.
    async fn delete_client(&self, id: &ClientId) -> StoreResult<bool>;
    async fn list_clients(&self, page: &PageRequest) -> StoreResult<Page<OAuthClient>>;
}

/// Token records (credentials already sealed).
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Creates a record; loses with `AlreadyExists` when the tag is taken.
    async fn create_token(&self, token: &StoredToken) -> StoreResult<()>;
    async fn get_token(&self, tag: &Tag) -> StoreResult<Option<StoredToken>>;
    /// Writes `token` if its `version` is still current, and returns it with the next version.
    async fn update_token(&self, token: &StoredToken) -> StoreResult<StoredToken>;
    /// Takes the refresh lease of the record `seen` for `owner` until `until`, if it is still that
    /// record (same connection, same version): one conditional write, which also answers the
    /// record as it is when the condition fails, so that a caller that did not read the record
    /// first learns in the same round trip what happened to it. Of two callers naming one
    /// version, one wins.
    async fn lease_token(
        &self,
        seen: &SeenRecord,
        owner: &str,
        until: Epoch,
    ) -> StoreResult<LeaseAttempt>;
    async fn delete_token(&self, tag: &Tag) -> StoreResult<bool>;
    async fn list_tokens(&self, page: &PageRequest) -> StoreResult<Page<StoredToken>>;
    /// The records of `owner`, in tag order, through an index (never a scan).
    async fn owner_tokens(
        &self,
        owner: &Owner,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredToken>>;
    /// The records holding `account` (one provider account under one client, see
    /// [`AccountKey`]), in tag order, through an index (never a scan). The index is written with
    /// each record; a record stored before it existed is found once it is written again (its next
    /// refresh, or `authbridge tokens reindex`), see `docs/book/src/storage.md`. On DynamoDB the index is
    /// eventually consistent: a record written a moment ago may be missing, and one deleted a moment
    /// ago may still be listed, so a caller reads each record again before relying on it.
    async fn account_tokens(
        &self,
        account: &AccountKey,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredToken>>;
    /// Records whose `due_at` is at or before `now`, earliest first, through an index: the items
    /// read grow with the number due, not with the number stored. The cursor is opaque.
    async fn due_tokens(&self, now: Epoch, page: &PageRequest) -> StoreResult<Page<StoredToken>>;
}

/// Authorization-flow states (short-lived, consumed once).
#[async_trait]
pub trait FlowStateStore: Send + Sync {
    /// Stores a new state; loses with `AlreadyExists` on a key collision.
    async fn put_flow_state(&self, state: &FlowState) -> StoreResult<()>;
    /// Removes the state atomically and says what was there: of two concurrent takes, one wins.
    async fn take_flow_state(&self, key: &str, now: Epoch) -> StoreResult<Taken<FlowState>>;
    /// Sets the state's browser `binding` (a hash) if it has none yet, atomically: of two
    /// concurrent opens, one wins and the other reads `AlreadyOpened`.
    async fn open_flow_state(
        &self,
        key: &str,
        binding: &str,
        now: Epoch,
    ) -> StoreResult<Opened<FlowState>>;
}

/// Users, with unique e-mail addresses (case-insensitive) and unique `ext_id`s, and their
/// WordPress links, unique by WordPress ID and by WordPress login (case-insensitive).
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user, and its WordPress link when given, atomically; loses with
    /// `AlreadyExists(Email | ExtId | WordpressLink | WordpressLogin)` when another holds one of them.
    async fn create_user(&self, user: &User, link: Option<&WordpressLink>) -> StoreResult<()>;
    async fn get_user(&self, id: &UserId) -> StoreResult<Option<User>>;
    async fn find_user_by_email(&self, email: &Email) -> StoreResult<Option<User>>;
    async fn find_user_by_ext_id(&self, ext_id: &str) -> StoreResult<Option<User>>;
    /// The user whose WordPress link has this `user_login` (case-insensitive), through a unique
    /// key: no scan.
    async fn find_user_by_wordpress_login(&self, login: &str) -> StoreResult<Option<User>>;
    /// The id of the user with this e-mail address, without the user: on DynamoDB the guard
    /// item's read alone, so a login can read the user together with its throttle counter.
    async fn find_user_id_by_email(&self, email: &Email) -> StoreResult<Option<UserId>> {
        Ok(self.find_user_by_email(email).await?.map(|user| user.id))
    }
    /// The id of the user whose WordPress link has this `user_login`, without the user (see
    /// [`UserStore::find_user_id_by_email`]).
    async fn find_user_id_by_wordpress_login(&self, login: &str) -> StoreResult<Option<UserId>> {
        Ok(self
            .find_user_by_wordpress_login(login)
            .await?
            .map(|user| user.id))
    }
    /// What a login by the e-mail address `email` decides on, without reading the user where the
    /// store keeps it with the name ([`NameLookup::Record`]: on DynamoDB the guard item alone);
    /// else the user's id. `None`: no user has the address.
    async fn find_login_by_email(&self, email: &Email) -> StoreResult<Option<NameLookup>> {
        Ok(self
            .find_user_id_by_email(email)
            .await?
            .map(NameLookup::User))
    }
    /// [`UserStore::find_login_by_email`] for the WordPress `user_login` of a link.
    async fn find_login_by_wordpress_login(&self, login: &str) -> StoreResult<Option<NameLookup>> {
        Ok(self
            .find_user_id_by_wordpress_login(login)
            .await?
            .map(NameLookup::User))
    }
    /// Writes `user` if its version is current; moves the unique e-mail and ext_id with it.
    async fn update_user(&self, user: &User) -> StoreResult<User>;
    async fn delete_user(&self, id: &UserId) -> StoreResult<bool>;
    async fn list_users(&self, page: &PageRequest) -> StoreResult<Page<User>>;
    async fn get_wordpress_link(&self, wordpress_id: u64) -> StoreResult<Option<WordpressLink>>;
    /// Writes a link: a create when its version is 0, else an optimistic update; moves its login
    /// key with it, and loses with `AlreadyExists(WordpressLogin)` when another link holds the login.
    async fn save_wordpress_link(&self, link: &WordpressLink) -> StoreResult<WordpressLink>;
}

/// Every store, behind its trait, as the functions receive them.
#[derive(Clone)]
pub struct Stores {
    pub clients: Arc<dyn ClientStore>,
    pub tokens: Arc<dyn TokenStore>,
    pub flow_states: Arc<dyn FlowStateStore>,
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub attempts: Arc<dyn AttemptStore>,
    pub api_tokens: Arc<dyn ApiTokenStore>,
    pub keys: Arc<dyn KeyStore>,
    /// The admin console's sessions.
    pub console_sessions: Arc<dyn ConsoleSessionStore>,
    /// The journal: audit entries and connections' histories.
    pub journal: Arc<dyn JournalStore>,
    /// The migration's counters.
    pub counters: Arc<dyn CounterStore>,
    /// Connections found by owner, client, status and tag prefix.
    pub connections: Arc<dyn ConnectionIndex>,
}

impl Stores {
    /// All stores backed by one implementation.
    pub fn from_one<S>(store: Arc<S>) -> Self
    where
        S: ClientStore
            + TokenStore
            + FlowStateStore
            + UserStore
            + SessionStore
            + AttemptStore
            + ApiTokenStore
            + KeyStore
            + ConsoleSessionStore
            + JournalStore
            + CounterStore
            + ConnectionIndex
            + 'static,
    {
        Stores {
            clients: store.clone(),
            tokens: store.clone(),
            flow_states: store.clone(),
            users: store.clone(),
            sessions: store.clone(),
            attempts: store.clone(),
            api_tokens: store.clone(),
            keys: store.clone(),
            console_sessions: store.clone(),
            journal: store.clone(),
            counters: store.clone(),
            connections: store,
        }
    }
}

//! The domain: what authbridge stores and reasons about, free of HTTP and of any database.

pub mod account;
pub mod api_token;
pub mod api_token_name;
pub mod client;
pub mod connection_status;
pub mod console_session;
pub mod counter;
pub mod data_key;
pub mod email;
pub mod flow_state;
pub mod ids;
pub mod journal;
pub mod login_record;
pub mod owner;
pub mod role;
pub mod session;
pub mod spelling;
pub mod tag;
pub mod text;
pub mod token;
pub mod token_lifecycle;
pub mod user;
pub mod wordpress;

pub use account::AccountKey;
pub use api_token::{
    ApiToken, Endpoint, IpRestriction, OutOfScope, Pattern, Patterns, Scope, ScopeError,
};
pub use api_token_name::{ApiTokenName, ApiTokenNameError};
pub use client::OAuthClient;
pub use connection_status::{ConnectionFilter, ConnectionStatus};
pub use console_session::ConsoleSession;
pub use data_key::{KeyNumber, KeyVersion};
pub use email::Email;
pub use flow_state::FlowState;
pub use ids::{ClientId, InvalidId, UserId};
pub use journal::{JournalEntry, Subject};
pub use login_record::{LoginRecord, NameLookup};
pub use owner::{Owner, OwnerError};
pub use role::{Permission, Role, UnknownRole};
pub use session::Session;
pub use tag::{GrantType, Tag, TagError};
pub use token::StoredToken;
pub use user::{PasswordOrigin, User, UserSource, WordpressLink};
pub use wordpress::WordpressAccount;

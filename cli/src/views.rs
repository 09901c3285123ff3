//! What the commands print, one view per kind of item: the JSON document scripts rely on and the
//! table people read. No view holds a secret or a sealed credential, so nothing printed can leak one.

mod api_token;
mod client;
mod connection;
mod journal;
mod migration;
mod provider;
mod provider_detail;
mod token;
mod user;

pub use api_token::ApiTokenView;
pub use client::ClientView;
pub use connection::ConnectionRow;
pub use journal::JournalView;
pub use migration::MigrationView;
pub use provider::{ProviderQuirksView, ProviderView};
pub use provider_detail::ProviderDetail;
pub use token::TokenOutput;
pub use user::UserView;

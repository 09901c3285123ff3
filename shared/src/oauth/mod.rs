//! The OAuth2 client half: settings, the outbound HTTP client, the grants, the authorization-code
//! flow, the grants without a browser ([`direct_grant`]), and token records, which every path
//! writes under one rule ([`connecting`]).

pub mod connecting;
pub mod connections;
pub mod context;
pub mod credentials;
pub mod direct_grant;
pub mod error;
pub mod flow;
pub mod grant;
pub mod kept_clients;
pub mod landing;
pub mod mail;
pub mod outbound;
pub mod owner;
pub mod recapture;
pub mod reconnect;
pub mod records;
pub mod refresh;
pub mod revocation;
pub mod settings;
pub mod sweep;
pub mod token_http;
pub mod token_response;

pub use context::OAuthContext;
pub use error::OAuthError;

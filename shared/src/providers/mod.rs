//! Provider definitions: where an OAuth2 / OpenID Connect server authorizes, issues tokens and
//! describes the resource owner, in CiviCRM's `oauth-client` JSON format.
//!
//! One JSON file per provider, named `<name>.json`. A few ship with the binary
//! ([`ProviderRegistry::shipped`]); an operator folder of files extends them and replaces shipped ones
//! of the same name ([`ProviderRegistry::load`]). A provider may also be given by its OpenID Connect
//! issuer alone, its endpoints then read from the issuer's discovery document ([`OidcDiscovery`]).
//!
//! [`ProviderRegistry::resolve`] combines a definition with a client's tenant and option overrides
//! into a [`ResolvedProvider`]: parsed, validated URLs, the provider's [`Quirks`] and its
//! [`ConnectionSpec`]. URLs that name connection values (`{{connection.NAME}}`) become a
//! connection's own [`ConnectionEndpoints`] once its values are known.

mod catalogue;
mod connection;
mod definition;
mod discovery;
mod endpoint;
mod options;
mod plan;
mod quirks;
mod registry;
mod resolved;
mod shipped;
#[cfg(test)]
mod test_idp;
mod url_template;

pub use catalogue::{markdown_table, quirks};
pub use connection::{
    Capture, CaptureSource, CaptureSpec, Captured, ConnectionError, ConnectionSpec,
    ConnectionValues, ParameterSpec, Pattern, ValueName,
};
pub use definition::ProviderDefinition;
pub use discovery::{DEFAULT_DISCOVERY_TTL, DiscoveryError, OidcDiscovery, OidcMetadata};
pub use endpoint::{Issuer, OwnerSource};
pub use options::{ProviderOptions, TokenAuthMethod};
pub use plan::DEFAULT_TENANT;
pub use quirks::{
    LifetimeStart, Quirks, RefreshTokenLifetime, RequestParams, RevocationBody, RevocationShape,
    TokenHeaders, TokenResponseFormat,
};
pub use registry::{LAMBDA_PROVIDERS_DIR, PROVIDERS_DIR_VAR, ProviderRegistry, providers_dir};
pub use resolved::ResolvedProvider;
pub use url_template::{ConnectionEndpoints, Endpoints, OwnerTemplate, Position, UrlTemplate};

/// Why a provider could not be loaded or resolved. Names the file, the provider and the field.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// No provider of that name is shipped or in the operator folder.
    #[error("unknown provider {name:?}")]
    Unknown { name: String },
    /// The operator folder or one of its files could not be read.
    #[error("cannot read provider file(s) at {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A provider file is not a valid definition; `field` is the JSON path of the culprit.
    #[error("provider file {file}: {field}: {message}")]
    InvalidFile {
        file: String,
        field: String,
        message: String,
    },
    /// A provider file has neither `urlAuthorize` and `urlAccessToken` nor an `issuer`.
    #[error(
        "provider file {file}: needs options.urlAuthorize and options.urlAccessToken, or an issuer to discover them from"
    )]
    MissingEndpoints { file: String },
    /// A client's `options` do not fit the provider's option keys.
    #[error("client options for provider {provider:?}: {field}: {message}")]
    ClientOptions {
        provider: String,
        field: String,
        message: String,
    },
    /// The tenant cannot be placed in a URL.
    #[error("tenant {tenant:?} is invalid: letters, digits, '.', '-' and '_' only")]
    InvalidTenant { tenant: String },
    /// A URL uses `{{local}}` but no local stack base URL was given.
    #[error(
        "provider {provider:?}: {field} uses {{{{local}}}}, which only the local stack can fill in"
    )]
    LocalBaseRequired { provider: String, field: String },
    /// A URL, after templating, is not one authbridge may call.
    #[error("provider {provider:?}: {field}: {reason}")]
    InvalidUrl {
        provider: String,
        field: String,
        reason: String,
    },
    /// The provider's endpoints had to be discovered, and discovery failed.
    #[error("provider {provider:?}: {source}")]
    Discovery {
        provider: String,
        #[source]
        source: DiscoveryError,
    },
}

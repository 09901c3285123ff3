//! What the OAuth functions build once at cold start: the shared context plus the provider registry,
//! the outbound HTTP client, the settings, (on first use) the keyring that seals tokens, and the
//! clients the token paths keep.

use tokio::sync::OnceCell;

use super::kept_clients::KeptClients;
use super::outbound::OutboundHttp;
use super::settings::OAuthSettings;
use crate::api_tokens::ApiTokens;
use crate::config::{Backend, Config, Env};
use crate::context::{AppContext, ContextError};
use crate::domain::{ClientId, OAuthClient};
use crate::keys::{KeyError, Keyring};
use crate::providers::{ProviderError, ProviderRegistry};
use crate::store::StoreError;

/// Why the OAuth context could not be built.
#[derive(Debug, thiserror::Error)]
pub enum OAuthContextError {
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Providers(#[from] ProviderError),
    #[error("building the outbound HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// The context of the OAuth functions.
pub struct OAuthContext {
    pub app: AppContext,
    pub settings: OAuthSettings,
    pub providers: ProviderRegistry,
    pub http: OutboundHttp,
    keyring: OnceCell<Keyring>,
    clients: KeptClients,
}

impl OAuthContext {
    /// Reads the process environment.
    pub async fn from_env() -> Result<Self, OAuthContextError> {
        Self::from(&Env::process()).await
    }

    /// Reads any [`Env`].
    pub async fn from(env: &Env<'_>) -> Result<Self, OAuthContextError> {
        let config = Config::from(env).map_err(ContextError::from)?;
        let settings = OAuthSettings::from(env, &config)?;
        let app = AppContext::build(config).await?;
        let http = OutboundHttp::new(settings.timeouts)?;
        let mut providers = ProviderRegistry::from_env(env, http.client().clone())?;
        if matches!(app.config.backend, Backend::Aws(_)) {
            providers = providers.without_local_only();
        }
        Ok(Self::new(app, settings, providers, http))
    }

    /// Assembles a context from its parts (tests, the local stack).
    pub fn new(
        app: AppContext,
        settings: OAuthSettings,
        providers: ProviderRegistry,
        http: OutboundHttp,
    ) -> Self {
        let clients = KeptClients::new(settings.client_cache_ttl);
        OAuthContext {
            app,
            settings,
            providers,
            http,
            keyring: OnceCell::new(),
            clients,
        }
    }

    /// The keyring that seals and opens stored tokens, set up on first use (see
    /// [`crate::keys::setup`]).
    pub async fn keyring(&self) -> Result<&Keyring, KeyError> {
        self.keyring
            .get_or_try_init(|| async {
                crate::keys::setup::keyring(
                    &self.app.config,
                    self.app.stores.keys.clone(),
                    self.app.secrets.clone(),
                    self.app.sdk.as_ref(),
                )
            })
            .await
    }

    /// The client `id` as the token paths see it: kept by this process for the client cache
    /// period ([`super::kept_clients`]).
    pub async fn kept_client(&self, id: &ClientId) -> Result<Option<OAuthClient>, StoreError> {
        self.clients.get(self.app.stores.clients.as_ref(), id).await
    }

    /// The API tokens, through which a function checks a caller's bearer token.
    pub fn api_tokens(&self) -> ApiTokens<'_> {
        self.app.api_tokens()
    }

    /// The local stack's base URL, which fills `{{local}}` in the demo provider.
    pub fn local_base(&self) -> Option<&url::Url> {
        matches!(self.app.config.backend, Backend::Embedded { .. })
            .then_some(self.settings.public_url.as_ref())
            .flatten()
    }
}

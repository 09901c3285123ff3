//! What a function builds once at cold start and shares across invocations: the configuration, the
//! stores and the secrets, on AWS or on the embedded file.

use std::sync::Arc;

use crate::api_tokens::ApiTokens;
use crate::audit::AuditTrail;
use crate::clock::Epoch;
use crate::config::{Backend, Config, ConfigError};
use crate::events::Events;
use crate::migration_status::{self, MigrationStatus};
use crate::secrets::{CachedSecrets, SecretStore, SecretsManagerStore};
use crate::store::{StoreError, Stores, dynamo::DynamoStore};

/// Why the context could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The shared context of every function.
#[derive(Clone)]
pub struct AppContext {
    pub config: Config,
    pub stores: Stores,
    pub secrets: Arc<dyn SecretStore>,
    /// Where events about connections and users go.
    pub events: Events,
    /// The AWS SDK configuration, on the AWS backend (KMS is reached with its credentials).
    pub sdk: Option<aws_config::SdkConfig>,
}

impl AppContext {
    /// Reads the environment and builds the context.
    pub async fn from_env() -> Result<Self, ContextError> {
        Self::build(Config::from_env()?).await
    }

    /// Builds the context for `config`: AWS clients once, or the embedded file. A bad
    /// `AUTHBRIDGE_EXTRA_CA_FILE` stops it here (see [`crate::tls`]).
    pub async fn build(config: Config) -> Result<Self, ContextError> {
        crate::tls::check()?;
        let (stores, secrets, sdk): (Stores, Arc<dyn SecretStore>, _) = match &config.backend {
            Backend::Aws(aws) => {
                let sdk = crate::aws::sdk_config(aws).await;
                let dynamo = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &aws.table);
                let secrets = SecretsManagerStore::new(aws_sdk_secretsmanager::Client::new(&sdk));
                (
                    Stores::from_one(Arc::new(dynamo)),
                    Arc::new(secrets),
                    Some(sdk),
                )
            }
            Backend::Embedded { path } => {
                let (stores, secrets) = embedded(path)?;
                (stores, secrets, None)
            }
        };
        let stores = crate::api_tokens::cache::cached(stores, config.api_token_cache_ttl);
        let secrets: Arc<dyn SecretStore> =
            Arc::new(CachedSecrets::new(secrets, config.secret_cache_ttl));
        // An EventBridge client only for a bus: building an SDK client costs a tenth of an init.
        let eventbridge = sdk
            .as_ref()
            .filter(|_| config.events.bus.is_some())
            .map(aws_sdk_eventbridge::Client::new);
        let events = Events::new(&config.events, eventbridge, secrets.clone())
            .with_journal(stores.journal.clone());
        Ok(AppContext {
            config,
            stores,
            secrets,
            events,
            sdk,
        })
    }

    /// The API tokens, through which a function checks a caller's bearer token.
    pub fn api_tokens(&self) -> ApiTokens<'_> {
        ApiTokens::new(self.stores.api_tokens.as_ref())
    }

    /// The audit trail and connections' histories.
    pub fn audit_trail(&self) -> AuditTrail<'_> {
        AuditTrail::new(self.stores.journal.as_ref())
    }

    /// The migration panel's figures at `now`.
    pub async fn migration_status(&self, now: Epoch) -> Result<MigrationStatus, StoreError> {
        migration_status::status(self.stores.counters.as_ref(), now).await
    }
}

/// The stores and secrets of the embedded file.
#[cfg(feature = "embedded")]
fn embedded(path: &std::path::Path) -> Result<(Stores, Arc<dyn SecretStore>), ContextError> {
    let store = Arc::new(crate::store::sqlite::SqliteStore::open(path)?);
    Ok((Stores::from_one(store.clone()), store))
}

/// A build without the embedded store (the Lambda functions) refuses it; [`Config::from`] already
/// does, so this answers only a configuration built by hand.
#[cfg(not(feature = "embedded"))]
fn embedded(_: &std::path::Path) -> Result<(Stores, Arc<dyn SecretStore>), ContextError> {
    Err(crate::config::no_embedded_store().into())
}

//! Registering and administering OAuth clients. The secret goes to the secret store, never to the
//! client record, and no read returns it. Nothing is half written: the secret is stored first and
//! removed again when the client record cannot be created.
//!
//! A new secret for a client that has one rotates it without a gap ([`rotation::rotate`]): the
//! replaced secret stays usable (a token request the provider refuses is tried again with it)
//! until the operator confirms ([`ClientAdmin::confirm_secret`]), and another new secret is
//! refused until then.

use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::clock::{self, Epoch};
use crate::context::AppContext;
use crate::domain::{ClientId, OAuthClient};
use crate::providers::{ProviderError, ProviderOptions, ProviderRegistry};
use crate::secrets::SecretError;
use crate::secrets::rotation::{self, RotationError};
use crate::store::{Page, PageRequest, StoreError, all_pages};

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientAdminError {
    #[error("unknown provider {0:?}; `authbridge providers list` shows the known ones")]
    UnknownProvider(String),
    #[error("option {field}: {message}")]
    InvalidOption { field: String, message: String },
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("no client {0:?}; `authbridge clients list` shows the registered ones")]
    NotFound(String),
    /// A new secret was given while the previous rotation still keeps an older one usable.
    #[error(
        "the secret of client {client:?} has a pending rotation: confirm the pending rotation \
         first (the console's \"Confirm the new secret\", or `authbridge secrets confirm \
         {secret}`) once the provider uses the new secret"
    )]
    RotationPending { client: String, secret: String },
    /// The client has no secret, so there is no rotation to confirm.
    #[error("client {0:?} has no secret")]
    NoSecret(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secrets(#[from] SecretError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

/// A client to register.
pub struct NewClient {
    pub provider: String,
    pub guid: String,
    pub secret: Option<SecretString>,
    pub tenant: Option<String>,
    pub options: Map<String, Value>,
}

/// Changes to a client; `None` leaves a field as it is.
#[derive(Default)]
pub struct ClientChanges {
    pub guid: Option<String>,
    pub secret: Option<SecretString>,
    pub tenant: Option<Option<String>>,
    pub options: Option<Map<String, Value>>,
    pub is_active: Option<bool>,
}

/// When a client's secret was last set and whether a rotation keeps the previous one usable.
/// Never carries a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SecretState {
    /// Whether a secret is stored.
    pub stored: bool,
    /// When the current secret was set, when the secret store knows.
    pub last_set: Option<Epoch>,
    /// The previous secret is still accepted until [`ClientAdmin::confirm_secret`].
    pub rotation_pending: bool,
}

/// What setting a client's secret did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretChange {
    /// The client had no secret: this one is its first.
    Set,
    /// The client had a secret: it stays usable until the rotation is confirmed.
    Rotated,
}

fn check_options(options: &Map<String, Value>) -> Result<(), ClientAdminError> {
    ProviderOptions::from_map(options)
        .map(|_| ())
        .map_err(|(field, message)| ClientAdminError::InvalidOption { field, message })
}

/// Client administration over the shared context.
pub struct ClientAdmin<'a> {
    pub app: &'a AppContext,
    pub providers: &'a ProviderRegistry,
}

impl ClientAdmin<'_> {
    fn secret_name(&self, client: &OAuthClient) -> String {
        client.secret_name(&self.app.config.secret_prefix)
    }

    /// Registers a client. An unknown provider is refused.
    pub async fn create(&self, new: NewClient) -> Result<OAuthClient, ClientAdminError> {
        if !self.providers.contains(&new.provider) {
            return Err(ClientAdminError::UnknownProvider(new.provider));
        }
        if new.guid.trim().is_empty() {
            return Err(ClientAdminError::Empty("guid"));
        }
        check_options(&new.options)?;
        let now = clock::now();
        let client = OAuthClient {
            id: ClientId::generate(),
            guid: new.guid.trim().to_string(),
            provider: new.provider,
            tenant: new.tenant.filter(|t| !t.is_empty()),
            options: new.options,
            is_active: true,
            created: now,
            modified: now,
            version: 0,
        };
        if let Some(secret) = &new.secret {
            self.app
                .secrets
                .put_secret(&self.secret_name(&client), secret)
                .await?;
        }
        if let Err(e) = self.app.stores.clients.create_client(&client).await {
            if new.secret.is_some()
                && let Err(cleanup) = self
                    .app
                    .secrets
                    .delete_secret(&self.secret_name(&client))
                    .await
            {
                tracing::error!(error = %cleanup, client = %client.id, "could not remove the secret of a client that was not created");
            }
            return Err(e.into());
        }
        Ok(client)
    }

    /// The id an administrator typed: a text that is no id names no client (`NotFound`, as an
    /// unknown id does).
    pub fn parse_id(raw: &str) -> Result<ClientId, ClientAdminError> {
        ClientId::parse(raw).map_err(|_| ClientAdminError::NotFound(raw.to_string()))
    }

    /// The client with this id.
    pub async fn get(&self, id: &ClientId) -> Result<OAuthClient, ClientAdminError> {
        self.app
            .stores
            .clients
            .get_client(id)
            .await?
            .ok_or_else(|| ClientAdminError::NotFound(id.to_string()))
    }

    /// One page of clients.
    pub async fn list(&self, page: &PageRequest) -> Result<Page<OAuthClient>, ClientAdminError> {
        Ok(self.app.stores.clients.list_clients(page).await?)
    }

    /// Every client, following the pages.
    pub async fn list_all(&self) -> Result<Vec<OAuthClient>, ClientAdminError> {
        let clients = &self.app.stores.clients;
        Ok(all_pages(100, |page| async move { clients.list_clients(&page).await }).await?)
    }

    /// Applies `changes` (version-checked). A new secret for a client that has one rotates it
    /// (see the module); refused with `RotationPending`, changing nothing, while a rotation is
    /// pending.
    pub async fn update(
        &self,
        id: &ClientId,
        changes: ClientChanges,
    ) -> Result<OAuthClient, ClientAdminError> {
        Ok(self.update_reporting(id, changes).await?.0)
    }

    /// [`Self::update`], also saying what became of the secret (`None`: none was given).
    pub async fn update_reporting(
        &self,
        id: &ClientId,
        changes: ClientChanges,
    ) -> Result<(OAuthClient, Option<SecretChange>), ClientAdminError> {
        let mut client = self.get(id).await?;
        // Refused before anything is written.
        let had_secret = match &changes.secret {
            Some(_) => {
                let state = self.secret_state_of(&client).await?;
                if state.rotation_pending {
                    return Err(rotation_error(
                        RotationError::Pending(self.secret_name(&client)),
                        &client.id,
                    ));
                }
                state.stored
            }
            None => false,
        };
        if let Some(guid) = changes.guid {
            if guid.trim().is_empty() {
                return Err(ClientAdminError::Empty("guid"));
            }
            client.guid = guid.trim().to_string();
        }
        if let Some(tenant) = changes.tenant {
            client.tenant = tenant.filter(|t| !t.is_empty());
        }
        if let Some(options) = changes.options {
            check_options(&options)?;
            client.options = options;
        }
        if let Some(active) = changes.is_active {
            client.is_active = active;
        }
        client.modified = clock::now();
        // The record first: a stale version then changes nothing, not even the secret.
        let updated = self.app.stores.clients.update_client(&client).await?;
        let Some(secret) = &changes.secret else {
            return Ok((updated, None));
        };
        let name = self.secret_name(&updated);
        if !had_secret {
            self.app.secrets.put_secret(&name, secret).await?;
            return Ok((updated, Some(SecretChange::Set)));
        }
        rotation::rotate(self.app.secrets.as_ref(), &name, secret)
            .await
            .map_err(|e| rotation_error(e, &updated.id))?;
        Ok((updated, Some(SecretChange::Rotated)))
    }

    /// Ends a pending rotation of the client's secret: only the newest secret is used from now
    /// on. `false` when none was pending.
    pub async fn confirm_secret(&self, id: &ClientId) -> Result<bool, ClientAdminError> {
        let client = self.get(id).await?;
        rotation::confirm(self.app.secrets.as_ref(), &self.secret_name(&client))
            .await
            .map_err(|e| rotation_error(e, &client.id))
    }

    /// When the client's secret was last set, and whether a rotation is pending.
    pub async fn secret_state(&self, id: &ClientId) -> Result<SecretState, ClientAdminError> {
        let client = self.get(id).await?;
        self.secret_state_of(&client).await
    }

    async fn secret_state_of(&self, client: &OAuthClient) -> Result<SecretState, ClientAdminError> {
        let secrets = self.app.secrets.as_ref();
        let name = self.secret_name(client);
        let Some(versions) = rotation::versions(secrets, &name).await? else {
            return Ok(SecretState::default());
        };
        Ok(SecretState {
            stored: true,
            last_set: secrets.changed_at(&name).await?,
            rotation_pending: versions.previous.is_some(),
        })
    }

    /// Deletes a client and its secret; `false` when there was none.
    pub async fn delete(&self, id: &ClientId) -> Result<bool, ClientAdminError> {
        let Some(client) = self.app.stores.clients.get_client(id).await? else {
            return Ok(false);
        };
        let deleted = self.app.stores.clients.delete_client(&client.id).await?;
        let name = self.secret_name(&client);
        self.app.secrets.delete_secret(&name).await?;
        // The value a rotation kept, if any, goes too.
        self.app
            .secrets
            .delete_secret(&rotation::previous_name(&name))
            .await?;
        Ok(deleted)
    }
}

fn rotation_error(error: RotationError, id: &ClientId) -> ClientAdminError {
    match error {
        RotationError::Secrets(e) => ClientAdminError::Secrets(e),
        RotationError::Missing(_) => ClientAdminError::NoSecret(id.to_string()),
        RotationError::Pending(secret) => ClientAdminError::RotationPending {
            client: id.to_string(),
            secret,
        },
    }
}

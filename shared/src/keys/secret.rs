//! The key-encryption key for deployments without KMS: derived from the token-key secret in the
//! secret store (`AUTHBRIDGE_TOKEN_KEY_SECRET`), read on first use. The secret must exist (on AWS
//! the template declares it).

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::OnceCell;

use super::KeyError;
use super::wrap::{AesKek, DataKey, KeyWrapper};
use crate::domain::KeyNumber;
use crate::secrets::SecretStore;

/// Wraps data keys under the key derived from a secret.
pub struct SecretWrapper {
    secrets: Arc<dyn SecretStore>,
    name: String,
    kek: OnceCell<AesKek>,
}

impl SecretWrapper {
    /// The key-encryption key of the secret `name`.
    pub fn new(secrets: Arc<dyn SecretStore>, name: impl Into<String>) -> Self {
        SecretWrapper {
            secrets,
            name: name.into(),
            kek: OnceCell::new(),
        }
    }

    async fn kek(&self) -> Result<&AesKek, KeyError> {
        self.kek
            .get_or_try_init(|| async {
                let secret = self.secrets.get_secret(&self.name).await?.ok_or_else(|| {
                    KeyError::MissingSecret {
                        name: self.name.clone(),
                    }
                })?;
                AesKek::from_secret(&secret, &self.name)
            })
            .await
    }
}

#[async_trait]
impl KeyWrapper for SecretWrapper {
    fn label(&self) -> String {
        format!("secret:{}", self.name)
    }

    async fn generate(&self, number: KeyNumber) -> Result<(DataKey, Vec<u8>), KeyError> {
        self.kek().await?.generate(number).await
    }

    async fn unwrap(&self, number: KeyNumber, wrapped: &[u8]) -> Result<DataKey, KeyError> {
        self.kek().await?.unwrap(number, wrapped).await
    }
}

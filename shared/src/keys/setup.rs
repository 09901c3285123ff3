//! Which keyring a deployment has, from its configuration: the KMS key when one is named, else
//! the token-key secret on AWS, else the local key file beside the embedded database.

use std::sync::Arc;

use super::KeyError;
use super::kms::KmsWrapper;
use super::local_file;
use super::ring::{Keyring, LegacyKey};
use super::secret::SecretWrapper;
use super::wrap::KeyWrapper;
use crate::config::{Backend, Config};
use crate::secrets::SecretStore;
use crate::store::KeyStore;

/// The keyring of `config`'s deployment over `store`; `sdk` is the AWS configuration on the AWS
/// backend. Format-1 values open with the token-key secret when it exists.
///
/// On the embedded store the key file is read (or created) here: a key file others may read
/// stops the start.
pub fn keyring(
    config: &Config,
    store: Arc<dyn KeyStore>,
    secrets: Arc<dyn SecretStore>,
    sdk: Option<&aws_config::SdkConfig>,
) -> Result<Keyring, KeyError> {
    let wrapper: Arc<dyn KeyWrapper> = match (&config.keys.kms_key_id, &config.backend) {
        (Some(key_id), Backend::Aws(aws)) => {
            let sdk = sdk.ok_or_else(|| {
                KeyError::Refused("AUTHBRIDGE_KMS_KEY_ID needs the AWS configuration".into())
            })?;
            Arc::new(KmsWrapper::new(sdk, key_id, aws.endpoint_url.as_ref())?)
        }
        (Some(_), Backend::Embedded { .. }) => {
            return Err(KeyError::Refused(
                "AUTHBRIDGE_KMS_KEY_ID needs the AWS backend; the embedded store uses its key file"
                    .into(),
            ));
        }
        (None, Backend::Aws(_)) => Arc::new(SecretWrapper::new(
            secrets.clone(),
            config.token_key_secret.clone(),
        )),
        (None, Backend::Embedded { path }) => {
            let file = config
                .keys
                .key_file
                .clone()
                .unwrap_or_else(|| local_file::beside(path));
            Arc::new(local_file::load_or_create(&file)?)
        }
    };
    let legacy = LegacyKey::from_secret(secrets, config.token_key_secret.clone());
    Ok(Keyring::new(
        store,
        wrapper,
        Some(legacy),
        config.keys.cache_ttl,
    ))
}

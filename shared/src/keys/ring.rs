//! The keyring: the data-key versions of a deployment, the one new seals use (the newest live
//! one), and a cache of unwrapped keys bounded in time.
//!
//! A warm function unwraps each version it needs once per cache period
//! (`AUTHBRIDGE_KEY_CACHE_TTL`, default 300 s) and reads the list of versions as often: after a
//! rotation, a warm function may seal under the previous version for up to one period, so a
//! version can be retired only one period after it was superseded.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aes_gcm::Aes256Gcm;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::sync::OnceCell;

use super::KeyError;
use super::sealed::{self, SealedBy};
use super::set::KeySet;
use super::wrap::KeyWrapper;
use crate::clock::Epoch;
use crate::domain::data_key::active;
use crate::domain::token::Sealed;
use crate::domain::{KeyNumber, KeyVersion};
use crate::secrets::SecretStore;
use crate::store::{KeyStore, StoreError};
use crate::vault::{TokenVault, VaultError};

/// Where the format-1 key comes from: the token-key secret, read on first need and never created.
pub struct LegacyKey {
    secrets: Arc<dyn SecretStore>,
    name: String,
    vault: OnceCell<Option<TokenVault>>,
}

impl LegacyKey {
    /// The format-1 key derived from the secret `name`, when it exists.
    pub fn from_secret(secrets: Arc<dyn SecretStore>, name: impl Into<String>) -> Self {
        LegacyKey {
            secrets,
            name: name.into(),
            vault: OnceCell::new(),
        }
    }

    async fn vault(&self) -> Result<Option<TokenVault>, KeyError> {
        self.vault
            .get_or_try_init(|| async {
                match TokenVault::load(self.secrets.as_ref(), &self.name, false).await {
                    Ok(vault) => Ok(Some(vault)),
                    Err(VaultError::MissingSecret { .. }) => Ok(None),
                    Err(VaultError::Secrets(e)) => Err(KeyError::Secrets(e)),
                    Err(_) => Err(KeyError::SecretTooShort {
                        name: self.name.clone(),
                    }),
                }
            })
            .await
            .cloned()
    }
}

#[derive(Default)]
struct Cache {
    versions: Option<(Instant, Arc<Vec<KeyVersion>>)>,
    keys: HashMap<KeyNumber, (Instant, Arc<Aes256Gcm>)>,
}

/// The data-key versions of a deployment, behind a bounded cache.
pub struct Keyring {
    store: Arc<dyn KeyStore>,
    wrapper: Arc<dyn KeyWrapper>,
    legacy: Option<LegacyKey>,
    ttl: Duration,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Keyring {{ wrapper: {:?}, ttl: {:?} }}",
            self.wrapper.label(),
            self.ttl
        )
    }
}

impl Keyring {
    /// A keyring over the versions in `store`, wrapped by `wrapper`; `legacy` opens format-1
    /// values; unwrapped keys and the list of versions are kept for `ttl`.
    pub fn new(
        store: Arc<dyn KeyStore>,
        wrapper: Arc<dyn KeyWrapper>,
        legacy: Option<LegacyKey>,
        ttl: Duration,
    ) -> Self {
        Keyring {
            store,
            wrapper,
            legacy,
            ttl,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Which key-encryption key wraps new versions.
    pub fn wrapper_label(&self) -> String {
        self.wrapper.label()
    }

    /// How long unwrapped keys and the list of versions are kept.
    pub fn cache_ttl(&self) -> Duration {
        self.ttl
    }

    /// Forgets every cached key and version (the next use reads and unwraps again).
    pub fn forget(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            *cache = Cache::default();
        }
    }

    fn fresh(&self, at: Instant) -> bool {
        at.elapsed() < self.ttl
    }

    /// Every version, from the cache while it is fresh.
    pub async fn versions(&self) -> Result<Arc<Vec<KeyVersion>>, KeyError> {
        let cached = self.cache.lock().ok().and_then(|c| {
            c.versions
                .as_ref()
                .filter(|(at, _)| self.fresh(*at))
                .map(|(_, v)| v.clone())
        });
        match cached {
            Some(versions) => Ok(versions),
            None => self.reload().await,
        }
    }

    /// Every version, read from the store now.
    pub async fn reload(&self) -> Result<Arc<Vec<KeyVersion>>, KeyError> {
        let versions = Arc::new(self.store.key_versions().await?);
        if let Ok(mut cache) = self.cache.lock() {
            cache.versions = Some((Instant::now(), versions.clone()));
        }
        Ok(versions)
    }

    /// The unwrapped key of `version`, from the cache while it is fresh.
    async fn key(&self, version: &KeyVersion) -> Result<Arc<Aes256Gcm>, KeyError> {
        let cached = self.cache.lock().ok().and_then(|c| {
            c.keys
                .get(&version.number)
                .filter(|(at, _)| self.fresh(*at))
                .map(|(_, k)| k.clone())
        });
        if let Some(key) = cached {
            return Ok(key);
        }
        let label = self.wrapper.label();
        if version.wrapped_by != label {
            return Err(KeyError::OtherWrapper {
                number: version.number,
                wrapped_by: version.wrapped_by.clone(),
                have: label,
            });
        }
        let wrapped = version
            .wrapped
            .as_deref()
            .ok_or(KeyError::Retired(version.number))?;
        let wrapped = STANDARD.decode(wrapped).map_err(|_| KeyError::Unwrap {
            number: version.number,
        })?;
        let key = Arc::new(
            self.wrapper
                .unwrap(version.number, &wrapped)
                .await?
                .cipher(),
        );
        if let Ok(mut cache) = self.cache.lock() {
            cache
                .keys
                .insert(version.number, (Instant::now(), key.clone()));
        }
        Ok(key)
    }

    /// A new version numbered `number`, generated and wrapped by the wrapper.
    async fn make(&self, number: KeyNumber) -> Result<KeyVersion, KeyError> {
        let (key, wrapped) = self.wrapper.generate(number).await?;
        let version = KeyVersion {
            number,
            wrapped: Some(STANDARD.encode(wrapped)),
            wrapped_by: self.wrapper.label(),
            created: crate::clock::now(),
            retired: None,
            reseal_after: None,
            reseal_left: 0,
            resealed_at: None,
            version: crate::store::FIRST_VERSION,
        };
        self.store.create_key_version(&version).await?;
        if let Ok(mut cache) = self.cache.lock() {
            cache
                .keys
                .insert(number, (Instant::now(), Arc::new(key.cipher())));
        }
        Ok(version)
    }

    /// The version new seals use; the first one is made when there is none (of two processes
    /// making it at once, one wins and both use it).
    pub async fn active(&self) -> Result<KeyVersion, KeyError> {
        let versions = self.versions().await?;
        if let Some(version) = active(&versions) {
            return Ok(version.clone());
        }
        let versions = self.reload().await?;
        if let Some(version) = active(&versions) {
            return Ok(version.clone());
        }
        let first = versions
            .iter()
            .map(|v| v.number.next())
            .max()
            .unwrap_or(KeyNumber::FIRST);
        match self.make(first).await {
            Ok(version) => {
                self.reload().await?;
                Ok(version)
            }
            Err(KeyError::Store(StoreError::AlreadyExists(_))) => {
                let versions = self.reload().await?;
                active(&versions)
                    .cloned()
                    .ok_or(KeyError::UnknownVersion(first))
            }
            Err(e) => Err(e),
        }
    }

    /// The active version as stored now (its re-seal progress included), not as cached.
    pub async fn active_now(&self) -> Result<KeyVersion, KeyError> {
        let number = self.active().await?.number;
        self.reload().await?;
        self.store
            .get_key_version(number)
            .await?
            .ok_or(KeyError::UnknownVersion(number))
    }

    /// Keys to seal with (the active version) and to open `sealed` with.
    pub async fn keys_for<'a>(
        &self,
        sealed: impl IntoIterator<Item = &'a Sealed>,
    ) -> Result<KeySet, KeyError> {
        let active = self.active().await?;
        let mut needed = BTreeSet::new();
        let mut legacy = false;
        for value in sealed {
            match sealed::sealed_by(value) {
                Ok(SealedBy::Version(n)) => {
                    needed.insert(n);
                }
                Ok(SealedBy::Legacy) => legacy = true,
                // A malformed value fails when it is opened, with its field named.
                Err(_) => {}
            }
        }
        let mut keys = HashMap::new();
        keys.insert(active.number, self.key(&active).await?);
        needed.remove(&active.number);
        if !needed.is_empty() {
            let mut versions = self.versions().await?;
            if needed
                .iter()
                .any(|n| !versions.iter().any(|v| v.number == *n))
            {
                versions = self.reload().await?;
            }
            for number in needed {
                // An unknown or retired version is left out: opening its value says which.
                if let Some(version) = versions.iter().find(|v| v.number == number && v.is_live()) {
                    keys.insert(number, self.key(version).await?);
                }
            }
        }
        let legacy = match (&self.legacy, legacy) {
            (Some(source), true) => source.vault().await?,
            _ => None,
        };
        Ok(KeySet {
            active: active.number,
            keys,
            legacy,
            retired: self
                .versions()
                .await?
                .iter()
                .filter(|v| !v.is_live())
                .map(|v| v.number)
                .collect(),
        })
    }

    /// Keys to seal new values with.
    pub async fn sealing(&self) -> Result<KeySet, KeyError> {
        self.keys_for(std::iter::empty()).await
    }

    /// Makes the next version, which every new seal uses from now on (from one cache period on,
    /// in functions already warm); older versions still open what they sealed.
    pub async fn rotate(&self) -> Result<KeyVersion, KeyError> {
        let versions = self.reload().await?;
        let next = versions
            .iter()
            .map(|v| v.number.next())
            .max()
            .unwrap_or(KeyNumber::FIRST);
        let made = self.make(next).await.map_err(|e| match e {
            KeyError::Store(StoreError::AlreadyExists(_)) => KeyError::Refused(format!(
                "another rotation made version {next} at the same moment; nothing to do"
            )),
            other => other,
        })?;
        self.reload().await?;
        Ok(made)
    }

    /// Retires version `number`, which `records_using` records still use (see
    /// [`super::reseal::usage`]): refused while it is the active version, while any record uses
    /// it, or within one cache period of its successor's creation (a warm function may still
    /// seal under it). A retired version's wrapped key is deleted: it opens nothing any more.
    pub async fn retire(
        &self,
        number: KeyNumber,
        records_using: u64,
        now: Epoch,
    ) -> Result<KeyVersion, KeyError> {
        let versions = self.reload().await?;
        let version = versions
            .iter()
            .find(|v| v.number == number)
            .ok_or(KeyError::UnknownVersion(number))?;
        if !version.is_live() {
            return Err(KeyError::Refused(format!(
                "key version {number} is already retired"
            )));
        }
        let Some(successor) = versions
            .iter()
            .filter(|v| v.is_live() && v.number > number)
            .min_by_key(|v| v.number)
        else {
            return Err(KeyError::Refused(format!(
                "key version {number} is the active one: rotate first (authbridge keys rotate)"
            )));
        };
        if records_using > 0 {
            return Err(KeyError::Refused(format!(
                "key version {number} still seals {records_using} record(s): re-seal them first \
                 (authbridge keys reseal)"
            )));
        }
        let settled = successor.created + self.ttl.as_secs() as Epoch;
        if now < settled {
            return Err(KeyError::Refused(format!(
                "version {} was made less than one key-cache period ({} s) ago: functions may \
                 still seal under version {number}; try again in {} s",
                successor.number,
                self.ttl.as_secs(),
                settled - now
            )));
        }
        let mut retired = version.clone();
        retired.retired = Some(now);
        retired.wrapped = None;
        let saved = self.store.update_key_version(&retired).await?;
        self.forget();
        Ok(saved)
    }

    /// Records where a re-seal pass under `number` stopped (`after`, with `left` records left
    /// for a later pass by this batch). At the end of a pass (`after` is `None`): done at `now`
    /// when no batch of it left any record, else a new pass starts.
    pub async fn save_reseal_progress(
        &self,
        number: KeyNumber,
        after: Option<String>,
        left: u64,
        now: Epoch,
    ) -> Result<KeyVersion, KeyError> {
        for _ in 0..3 {
            let Some(mut version) = self.store.get_key_version(number).await? else {
                return Err(KeyError::UnknownVersion(number));
            };
            version.reseal_left += left;
            version.reseal_after = after.clone();
            if after.is_none() {
                if version.reseal_left == 0 {
                    version.resealed_at = Some(now);
                }
                version.reseal_left = 0;
            }
            match self.store.update_key_version(&version).await {
                Ok(saved) => return Ok(saved),
                Err(StoreError::StaleVersion) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(KeyError::Store(StoreError::StaleVersion))
    }
}

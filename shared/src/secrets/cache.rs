//! A small in-process cache in front of a secret store, with a time-to-live.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use secrecy::SecretString;

use super::{SecretError, SecretStore};

/// How long an absent secret is remembered: briefly, so a secret added after a failed read (the
/// operator fixing a missing WordPress token) is seen within seconds, not after the whole `ttl`.
pub const ABSENT_TTL: Duration = Duration::from_secs(5);

/// Keeps what was read for `ttl` (an absence for [`ABSENT_TTL`] at most); writes and deletes
/// through it update the cache.
pub struct CachedSecrets {
    inner: Arc<dyn SecretStore>,
    ttl: Duration,
    absent_ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, Option<SecretString>)>>,
}

impl CachedSecrets {
    /// A cache keeping values for `ttl` and absences for at most [`ABSENT_TTL`].
    pub fn new(inner: Arc<dyn SecretStore>, ttl: Duration) -> Self {
        Self::with_absent_ttl(inner, ttl, ttl.min(ABSENT_TTL))
    }

    /// A cache keeping values for `ttl` and absences for `absent_ttl`.
    pub fn with_absent_ttl(
        inner: Arc<dyn SecretStore>,
        ttl: Duration,
        absent_ttl: Duration,
    ) -> Self {
        CachedSecrets {
            inner,
            ttl,
            absent_ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, name: &str) -> Option<Option<SecretString>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(name)
            .filter(|(at, value)| {
                let ttl = match value {
                    Some(_) => self.ttl,
                    None => self.absent_ttl,
                };
                at.elapsed() < ttl
            })
            .map(|(_, value)| value.clone())
    }

    fn remember(&self, name: &str, value: Option<SecretString>) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(name.to_string(), (Instant::now(), value));
        }
    }
}

#[async_trait]
impl SecretStore for CachedSecrets {
    async fn put_secret(&self, name: &str, value: &SecretString) -> Result<(), SecretError> {
        self.inner.put_secret(name, value).await?;
        self.remember(name, Some(value.clone()));
        Ok(())
    }

    async fn create_secret(&self, name: &str, value: &SecretString) -> Result<bool, SecretError> {
        let created = self.inner.create_secret(name, value).await?;
        if created {
            self.remember(name, Some(value.clone()));
        } else if let Ok(mut entries) = self.entries.lock() {
            // Another value is there: read it afresh next time.
            entries.remove(name);
        }
        Ok(created)
    }

    async fn get_secret(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        if let Some(hit) = self.cached(name) {
            return Ok(hit);
        }
        let value = self.inner.get_secret(name).await?;
        self.remember(name, value.clone());
        Ok(value)
    }

    async fn list_secrets(&self, prefix: &str) -> Result<Vec<String>, SecretError> {
        self.inner.list_secrets(prefix).await
    }

    async fn changed_at(&self, name: &str) -> Result<Option<crate::clock::Epoch>, SecretError> {
        self.inner.changed_at(name).await
    }

    async fn delete_secret(&self, name: &str) -> Result<bool, SecretError> {
        let existed = self.inner.delete_secret(name).await?;
        self.remember(name, None);
        Ok(existed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts reads so the test sees whether the cache answered.
    struct Counting {
        reads: AtomicUsize,
    }

    #[async_trait]
    impl SecretStore for Counting {
        async fn put_secret(&self, _: &str, _: &SecretString) -> Result<(), SecretError> {
            Ok(())
        }
        async fn create_secret(&self, _: &str, _: &SecretString) -> Result<bool, SecretError> {
            Ok(false)
        }
        async fn get_secret(&self, _: &str) -> Result<Option<SecretString>, SecretError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            Ok(Some(SecretString::from("s3cret")))
        }
        async fn delete_secret(&self, _: &str) -> Result<bool, SecretError> {
            Ok(true)
        }
        async fn list_secrets(&self, _: &str) -> Result<Vec<String>, SecretError> {
            Ok(vec!["a".into()])
        }
    }

    #[tokio::test]
    async fn a_warm_process_reads_each_secret_once_per_ttl() {
        let inner = Arc::new(Counting {
            reads: AtomicUsize::new(0),
        });
        let cache = CachedSecrets::new(inner.clone(), Duration::from_millis(200));
        for _ in 0..5 {
            let v = cache.get_secret("a").await.unwrap().unwrap();
            assert_eq!(v.expose_secret(), "s3cret");
        }
        assert_eq!(inner.reads.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(250)).await;
        cache.get_secret("a").await.unwrap();
        assert_eq!(inner.reads.load(Ordering::SeqCst), 2);
    }

    /// Answers `None` until `present` is set.
    struct Appearing {
        present: std::sync::atomic::AtomicBool,
    }

    #[async_trait]
    impl SecretStore for Appearing {
        async fn put_secret(&self, _: &str, _: &SecretString) -> Result<(), SecretError> {
            Ok(())
        }
        async fn create_secret(&self, _: &str, _: &SecretString) -> Result<bool, SecretError> {
            Ok(false)
        }
        async fn get_secret(&self, _: &str) -> Result<Option<SecretString>, SecretError> {
            Ok(self
                .present
                .load(Ordering::SeqCst)
                .then(|| SecretString::from("token")))
        }
        async fn delete_secret(&self, _: &str) -> Result<bool, SecretError> {
            Ok(true)
        }
        async fn list_secrets(&self, _: &str) -> Result<Vec<String>, SecretError> {
            Ok(Vec::new())
        }
    }

    #[tokio::test]
    async fn a_missing_secret_is_remembered_briefly_and_a_present_one_for_the_ttl() {
        let inner = Arc::new(Appearing {
            present: false.into(),
        });
        let cache = CachedSecrets::with_absent_ttl(
            inner.clone(),
            Duration::from_secs(600),
            Duration::from_millis(100),
        );
        assert!(cache.get_secret("t").await.unwrap().is_none());
        inner.present.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(
            cache.get_secret("t").await.unwrap().is_some(),
            "seen once added"
        );
        inner.present.store(false, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(
            cache.get_secret("t").await.unwrap().is_some(),
            "kept for the ttl"
        );
        assert_eq!(
            CachedSecrets::new(inner, Duration::from_secs(300)).absent_ttl,
            ABSENT_TTL
        );
    }

    #[test]
    fn secret_values_never_print() {
        let s = SecretString::from("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}

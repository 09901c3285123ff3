//! A warm process's copy of the API tokens it has read, kept for a short time
//! (`AUTHBRIDGE_API_TOKEN_CACHE_TTL`, 30 s by default), so that one token called at any rate reads
//! its item at most once per process per period: no hot item in the table, however busy one
//! integration is. The price: a token disabled, deleted or narrowed by another process (the CLI)
//! keeps working in a warm process until its copy there ends, at most one period. A change made
//! through this store (a `last_used` write, an update, a deletion) replaces or drops the copy at
//! once. Unknown tokens are never kept: a token created elsewhere works at its first call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::domain::ApiToken;
use crate::store::{ApiTokenStore, Page, PageRequest, StoreResult, Stores};

/// The default time a process keeps a token's record.
pub const DEFAULT_TTL: Duration = Duration::from_secs(30);

/// Copies kept at most; beyond, the oldest are dropped (a process serves few tokens).
const MAX_ENTRIES: usize = 1024;

/// [`ApiTokenStore`] with a process-wide copy of each token read, for `ttl`.
pub struct CachedApiTokens {
    inner: Arc<dyn ApiTokenStore>,
    ttl: Duration,
    copies: Mutex<HashMap<String, (Instant, ApiToken)>>,
}

/// `stores` with their API tokens behind a process-wide copy kept for `ttl`, as every function
/// builds them ([`crate::context::AppContext::build`]).
pub fn cached(mut stores: Stores, ttl: Duration) -> Stores {
    stores.api_tokens = Arc::new(CachedApiTokens::new(stores.api_tokens, ttl));
    stores
}

impl CachedApiTokens {
    /// `inner`, with each token it answers kept for `ttl` (zero: nothing kept).
    pub fn new(inner: Arc<dyn ApiTokenStore>, ttl: Duration) -> Self {
        CachedApiTokens {
            inner,
            ttl,
            copies: Mutex::new(HashMap::new()),
        }
    }

    fn copies(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, ApiToken)>> {
        // The map holds only copies: after a panic elsewhere it is still good to read.
        self.copies
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn keep(&self, token: &ApiToken) {
        if self.ttl.is_zero() {
            return;
        }
        let mut copies = self.copies();
        if copies.len() >= MAX_ENTRIES && !copies.contains_key(&token.token_hash) {
            let now = Instant::now();
            copies.retain(|_, (kept, _)| now.duration_since(*kept) < self.ttl);
            if copies.len() >= MAX_ENTRIES {
                copies.clear();
            }
        }
        copies.insert(token.token_hash.clone(), (Instant::now(), token.clone()));
    }

    /// The copy of `token_hash`'s record, unless it is older than the period. An update keeps the
    /// time of the read it replaces, so writes never stretch a copy's life.
    fn copy(&self, token_hash: &str) -> Option<ApiToken> {
        let copies = self.copies();
        let (kept, token) = copies.get(token_hash)?;
        (kept.elapsed() < self.ttl).then(|| token.clone())
    }

    fn replace(&self, token: &ApiToken) {
        let mut copies = self.copies();
        if let Some((_, copy)) = copies.get_mut(&token.token_hash) {
            *copy = token.clone();
        }
    }

    fn forget(&self, token_hash: &str) {
        self.copies().remove(token_hash);
    }
}

#[async_trait]
impl ApiTokenStore for CachedApiTokens {
    async fn create_api_token(&self, token: &ApiToken) -> StoreResult<()> {
        self.inner.create_api_token(token).await
    }

    async fn get_api_token(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        if let Some(token) = self.copy(token_hash) {
            return Ok(Some(token));
        }
        let read = self.inner.get_api_token(token_hash).await?;
        match &read {
            Some(token) => self.keep(token),
            None => self.forget(token_hash),
        }
        Ok(read)
    }

    async fn update_api_token(&self, token: &ApiToken) -> StoreResult<ApiToken> {
        match self.inner.update_api_token(token).await {
            Ok(saved) => {
                self.replace(&saved);
                Ok(saved)
            }
            Err(e) => {
                // Stale or gone: the copy is no better than the store.
                self.forget(&token.token_hash);
                Err(e)
            }
        }
    }

    async fn delete_api_token(&self, token_hash: &str) -> StoreResult<bool> {
        self.forget(token_hash);
        self.inner.delete_api_token(token_hash).await
    }

    async fn list_api_tokens(&self, page: &PageRequest) -> StoreResult<Page<ApiToken>> {
        self.inner.list_api_tokens(page).await
    }

    fn kept_api_token(&self, token_hash: &str) -> Option<ApiToken> {
        self.copy(token_hash)
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::domain::{Endpoint, IpRestriction};
    use crate::store::sqlite::SqliteStore;

    /// Counts the reads that reach the store.
    struct Counting(SqliteStore, AtomicUsize);

    #[async_trait]
    impl ApiTokenStore for Counting {
        async fn create_api_token(&self, token: &ApiToken) -> StoreResult<()> {
            self.0.create_api_token(token).await
        }
        async fn get_api_token(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.get_api_token(token_hash).await
        }
        async fn update_api_token(&self, token: &ApiToken) -> StoreResult<ApiToken> {
            self.0.update_api_token(token).await
        }
        async fn delete_api_token(&self, token_hash: &str) -> StoreResult<bool> {
            self.0.delete_api_token(token_hash).await
        }
        async fn list_api_tokens(&self, page: &PageRequest) -> StoreResult<Page<ApiToken>> {
            self.0.list_api_tokens(page).await
        }
    }

    fn token() -> ApiToken {
        ApiToken {
            name: crate::domain::ApiTokenName::parse("t").unwrap(),
            token_hash: "ab".repeat(32),
            active: true,
            ip_restriction: IpRestriction::Any,
            endpoints: vec![Endpoint::Tokens],
            scope: Default::default(),
            created: 1,
            last_used: None,
            version: 0,
        }
    }

    #[tokio::test]
    async fn a_token_is_read_once_per_period_and_changes_made_here_show_at_once() {
        let counting = Arc::new(Counting(
            SqliteStore::in_memory().unwrap(),
            AtomicUsize::new(0),
        ));
        let cached = CachedApiTokens::new(counting.clone(), Duration::from_secs(3600));
        let hash = token().token_hash;
        assert_eq!(cached.get_api_token(&hash).await.unwrap(), None);
        counting.create_api_token(&token()).await.unwrap();
        assert!(
            cached.get_api_token(&hash).await.unwrap().is_some(),
            "an unknown token is not kept"
        );
        for _ in 0..100 {
            cached.get_api_token(&hash).await.unwrap();
        }
        assert_eq!(
            counting.1.load(Ordering::SeqCst),
            2,
            "one read of the token"
        );

        let mut off = cached.get_api_token(&hash).await.unwrap().unwrap();
        off.active = false;
        cached.update_api_token(&off).await.unwrap();
        assert!(!cached.get_api_token(&hash).await.unwrap().unwrap().active);
        cached.delete_api_token(&hash).await.unwrap();
        assert_eq!(cached.get_api_token(&hash).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_copy_ends_with_its_period() {
        let counting = Arc::new(Counting(
            SqliteStore::in_memory().unwrap(),
            AtomicUsize::new(0),
        ));
        counting.create_api_token(&token()).await.unwrap();
        let cached = CachedApiTokens::new(counting.clone(), Duration::ZERO);
        let hash = token().token_hash;
        cached.get_api_token(&hash).await.unwrap();
        // Disabled elsewhere: with no period the next call sees it.
        let mut off = counting.get_api_token(&hash).await.unwrap().unwrap();
        off.active = false;
        counting.update_api_token(&off).await.unwrap();
        assert!(!cached.get_api_token(&hash).await.unwrap().unwrap().active);
    }
}

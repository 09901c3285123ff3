//! A warm process's copy of the clients its token reads and refreshes resolve, kept for a short
//! time (`AUTHBRIDGE_CLIENT_CACHE_TTL`, 30 s by default). A record names its client, so without
//! the copy every token read would read the client after the record (a second round trip), and
//! every token of one client would read that one item: at any rate of calls a hot item. With it,
//! a warm token read reads the record alone, and one client's item is read at most once per
//! process per period.
//!
//! The price: a client disabled, changed or deleted (console, CLI) still serves its tokens in a
//! warm process until its copy there ends, at most one period. Only the token paths (reads,
//! refreshes, the sweep, mail settings) use the copy; starting a flow and administering clients
//! read the store. Unknown clients are never kept.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::domain::{ClientId, OAuthClient};
use crate::store::{ClientStore, StoreResult};

/// Copies kept at most; beyond, the expired ones are dropped, then all (a process serves few
/// clients).
const MAX_ENTRIES: usize = 256;

/// The clients a process has read for its tokens, each for `ttl`.
pub struct KeptClients {
    ttl: Duration,
    copies: Mutex<HashMap<ClientId, (Instant, OAuthClient)>>,
}

impl KeptClients {
    /// Keeps each client read for `ttl` (zero: nothing kept, every call reads the store).
    pub fn new(ttl: Duration) -> Self {
        KeptClients {
            ttl,
            copies: Mutex::new(HashMap::new()),
        }
    }

    fn copies(&self) -> MutexGuard<'_, HashMap<ClientId, (Instant, OAuthClient)>> {
        // The map holds only copies: after a panic elsewhere it is still good to read.
        self.copies
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The client `id`, from the copy while it is younger than the period, else read from
    /// `store` (and kept when it exists).
    pub async fn get(
        &self,
        store: &dyn ClientStore,
        id: &ClientId,
    ) -> StoreResult<Option<OAuthClient>> {
        if let Some(client) = self.copy(id) {
            return Ok(Some(client));
        }
        let read = store.get_client(id).await?;
        match &read {
            Some(client) => self.keep(client),
            None => {
                self.copies().remove(id);
            }
        }
        Ok(read)
    }

    fn copy(&self, id: &ClientId) -> Option<OAuthClient> {
        let copies = self.copies();
        let (kept, client) = copies.get(id)?;
        (kept.elapsed() < self.ttl).then(|| client.clone())
    }

    fn keep(&self, client: &OAuthClient) {
        if self.ttl.is_zero() {
            return;
        }
        let mut copies = self.copies();
        if copies.len() >= MAX_ENTRIES && !copies.contains_key(&client.id) {
            copies.retain(|_, (kept, _)| kept.elapsed() < self.ttl);
            if copies.len() >= MAX_ENTRIES {
                copies.clear();
            }
        }
        copies.insert(client.id.clone(), (Instant::now(), client.clone()));
    }
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;

    use super::*;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{Page, PageRequest};

    /// Counts the reads that reach the store.
    struct Counting(SqliteStore, AtomicUsize);

    #[async_trait]
    impl ClientStore for Counting {
        async fn create_client(&self, client: &OAuthClient) -> StoreResult<()> {
            self.0.create_client(client).await
        }
        async fn get_client(&self, id: &ClientId) -> StoreResult<Option<OAuthClient>> {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.get_client(id).await
        }
        async fn update_client(&self, client: &OAuthClient) -> StoreResult<OAuthClient> {
            self.0.update_client(client).await
        }
        async fn delete_client(&self, id: &ClientId) -> StoreResult<bool> {
            self.0.delete_client(id).await
        }
        async fn list_clients(&self, page: &PageRequest) -> StoreResult<Page<OAuthClient>> {
            self.0.list_clients(page).await
        }
    }

    fn client() -> OAuthClient {
        OAuthClient {
            id: ClientId::parse("0190a5c8-7b2e-7cc1-9c0f-6f1d2e3a4b5c").unwrap(),
            guid: "guid".into(),
            provider: "p".into(),
            tenant: None,
            options: Default::default(),
            is_active: true,
            created: 1,
            modified: 1,
            version: 0,
        }
    }

    fn counting() -> Counting {
        Counting(SqliteStore::in_memory().unwrap(), AtomicUsize::new(0))
    }

    #[tokio::test]
    async fn a_client_is_read_once_per_period_and_an_unknown_one_at_every_call() {
        let store = counting();
        let kept = KeptClients::new(Duration::from_secs(3600));
        let id = client().id;
        assert_eq!(kept.get(&store, &id).await.unwrap(), None);
        assert_eq!(kept.get(&store, &id).await.unwrap(), None);
        assert_eq!(
            store.1.load(Ordering::SeqCst),
            2,
            "an unknown client is not kept"
        );
        store.create_client(&client()).await.unwrap();
        for _ in 0..50 {
            assert_eq!(kept.get(&store, &id).await.unwrap(), Some(client()));
        }
        assert_eq!(store.1.load(Ordering::SeqCst), 3, "one read of the client");
        // Disabled elsewhere: the copy holds until its period ends.
        let mut off = store.0.get_client(&id).await.unwrap().unwrap();
        off.is_active = false;
        store.0.update_client(&off).await.unwrap();
        assert!(kept.get(&store, &id).await.unwrap().unwrap().is_active);
    }

    #[tokio::test]
    async fn with_no_period_every_call_reads_the_store() {
        let store = counting();
        store.create_client(&client()).await.unwrap();
        let kept = KeptClients::new(Duration::ZERO);
        let id = client().id;
        kept.get(&store, &id).await.unwrap();
        let mut off = store.0.get_client(&id).await.unwrap().unwrap();
        off.is_active = false;
        store.0.update_client(&off).await.unwrap();
        assert!(!kept.get(&store, &id).await.unwrap().unwrap().is_active);
        assert_eq!(store.1.load(Ordering::SeqCst), 2);
    }
}

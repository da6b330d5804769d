//! A watch cache in front of a remote backend: one watch on the whole key space keeps an in-memory copy of the
//! recent history, and reads and watches are served from it, as kube-apiserver's watch cache does for etcd.
//!
//! Writes (transactions too) go to the backend unchanged, so every compare-and-swap is still decided there and
//! several servers can share it. Reads stay consistent: a read of the current state first asks the backend for
//! its revision (one small request, no data) and waits until the cache has applied it, so it sees every write
//! acknowledged before it began, including other servers' writes. The cache applies each backend revision
//! whole, however many keys it wrote (an etcd transaction), so no read served from it sees part of one. What the
//! cache does not hold (revisions before it was loaded or compacted away) is read from the backend, which
//! answers exactly as it would without the cache.
//!
//! If the backend's watch fails (the backend compacted past the cache, or a connection broke), the cache is
//! loaded again from a fresh snapshot; watches served from the old copy end, and clients start again from their
//! last revision, which they would also have to do against the backend itself.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use tokio::task::JoinHandle;

use crate::mvcc::{Mutation, Mvcc};
use crate::{
    Compare, DynStore, Event, EventKind, KeyValue, ListOptions, ListResult, Revision, Store, StoreError, StoreStatus,
    TxnOp, WatchStream,
};

/// How long a read waits for the cache to reach the backend's revision before reading the backend itself.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(3);
/// Keys per page when loading a snapshot.
const LOAD_PAGE: usize = 10_000;
/// Pause between attempts to reload after the backend failed.
const RELOAD_BACKOFF: Duration = Duration::from_millis(200);

/// A backend with a watch cache in front of it.
#[derive(Debug)]
pub struct CachedStore {
    shared: Arc<Shared>,
    /// Invariant: runs exactly as long as the store is open; aborted by `close` and on drop.
    follower: JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    backend: DynStore,
    /// The current copy. Replaced as a whole when the backend's watch fails.
    mvcc: RwLock<Arc<Mvcc>>,
}

impl Shared {
    fn mvcc(&self) -> Arc<Mvcc> {
        Arc::clone(&self.mvcc.read().expect("cache lock poisoned by a panic"))
    }
}

impl CachedStore {
    /// Loads the backend's current state and starts following it.
    pub async fn new(backend: DynStore) -> Result<CachedStore, StoreError> {
        let mvcc = load(&*backend).await?;
        // Watching before returning leaves no gap in which a write could be missed.
        let events = backend.watch("", mvcc.revision()).await?;
        let shared = Arc::new(Shared { backend, mvcc: RwLock::new(Arc::new(mvcc)) });
        let follower = tokio::spawn(follow(Arc::clone(&shared), events));
        Ok(CachedStore { shared, follower })
    }

    /// Waits until the cache has applied `revision`. `false` when it did not within the timeout or the copy was
    /// replaced meanwhile; the caller then reads the backend.
    async fn catch_up(mvcc: &Mvcc, revision: Revision) -> bool {
        let mut signal = mvcc.subscribe();
        let reached = tokio::time::timeout(CATCH_UP_TIMEOUT, async {
            loop {
                let current = *signal.borrow_and_update();
                if current.revision >= revision {
                    return true;
                }
                if current.closed || signal.changed().await.is_err() {
                    return false;
                }
            }
        })
        .await;
        reached.unwrap_or(false)
    }

    /// The cache, caught up with the backend's current revision; `None` to read the backend instead.
    async fn current(&self) -> Result<Option<Arc<Mvcc>>, StoreError> {
        let mvcc = self.shared.mvcc();
        if mvcc.is_closed() {
            return Ok(None);
        }
        let revision = self.shared.backend.status().await?.revision;
        Ok(Self::catch_up(&mvcc, revision).await.then_some(mvcc))
    }

    /// The cache if it holds `revision`; `None` to read the backend instead.
    async fn at(&self, revision: Revision) -> Result<Option<Arc<Mvcc>>, StoreError> {
        let mvcc = self.shared.mvcc();
        if mvcc.is_closed() || revision <= mvcc.compacted() {
            return Ok(None);
        }
        if revision > mvcc.revision() {
            // Either the cache is behind or the revision is in the future; the backend tells which.
            let current = self.shared.backend.status().await?.revision;
            if revision > current {
                return Err(StoreError::FutureRevision { requested: revision, current });
            }
            if !Self::catch_up(&mvcc, revision).await {
                return Ok(None);
            }
        }
        Ok(Some(mvcc))
    }
}

impl Drop for CachedStore {
    fn drop(&mut self) {
        self.follower.abort();
    }
}

/// Reads the backend's whole key space at one revision into a fresh copy whose history starts there.
async fn load(backend: &dyn Store) -> Result<Mvcc, StoreError> {
    let revision = backend.status().await?.revision;
    let mut items = Vec::new();
    let mut start_after = None;
    loop {
        let options = ListOptions { limit: Some(LOAD_PAGE), start_after, revision: Some(revision) };
        let page = backend.list("", options).await?;
        start_after = page.items.last().map(|kv| kv.key.clone());
        items.extend(page.items);
        if !page.more {
            break;
        }
    }
    // The copy knows each key's latest version only, so its history begins (is "compacted") at `revision`.
    items.sort_by_key(|kv| kv.mod_revision);
    let mutations: Vec<Mutation> = items
        .into_iter()
        .map(|kv| Mutation {
            key: kv.key,
            revision: kv.mod_revision,
            create_revision: kv.create_revision,
            value: Some(kv.value),
            prev: None,
        })
        .collect();
    let mvcc = Mvcc::new(0, 0);
    mvcc.apply(&mutations, false);
    mvcc.advance(revision);
    mvcc.compact(revision);
    Ok(mvcc)
}

/// The backend's events grouped by revision.
struct Revisions {
    events: WatchStream,
    /// The item read after the end of the last revision, not yet handed out.
    peeked: Option<Option<Result<Event, StoreError>>>,
}

impl Revisions {
    /// Every event of the backend's next revision, in order. etcd sends all events of one revision in one watch
    /// response (it splits a revision only when a watch asks for fragments, which this store never does), and
    /// the in-memory watches hand out a revision in one scan, so the events of a revision are ready together:
    /// the batch ends at the first event of a later revision or when no further event is ready.
    async fn next(&mut self) -> Option<Result<Vec<Event>, StoreError>> {
        let first = match self.peeked.take() {
            Some(item) => item?,
            None => self.events.next().await?,
        };
        let mut batch = match first {
            Ok(event) => vec![event],
            Err(error) => return Some(Err(error)),
        };
        while let Some(item) = self.events.next().now_or_never() {
            match item {
                Some(Ok(event)) if event.revision() == batch[0].revision() => batch.push(event),
                other => {
                    self.peeked = Some(other);
                    break;
                }
            }
        }
        Some(Ok(batch))
    }
}

/// The copy's record of a backend event.
fn mutation(event: Event) -> Mutation {
    let value = match event.kind {
        EventKind::Put => Some(event.kv.value),
        EventKind::Delete => None,
    };
    Mutation {
        key: event.kv.key,
        revision: event.kv.mod_revision,
        create_revision: event.kv.create_revision,
        value,
        prev: event.prev,
    }
}

/// Applies the backend's events to the cache for as long as the store is open, reloading after failures.
async fn follow(shared: Arc<Shared>, first: WatchStream) {
    let mut first = Some(first);
    loop {
        let mvcc = shared.mvcc();
        if mvcc.is_closed() {
            return;
        }
        let events = match first.take() {
            Some(events) => Ok(events),
            None => shared.backend.watch("", mvcc.revision()).await,
        };
        let error = match events {
            Ok(events) => {
                let mut revisions = Revisions { events, peeked: None };
                loop {
                    match revisions.next().await {
                        Some(Ok(batch)) => {
                            let revision = batch[0].revision();
                            // The whole revision at once: readers waiting for it see all of its keys.
                            if revision > mvcc.revision() {
                                let mutations: Vec<Mutation> = batch.into_iter().map(mutation).collect();
                                mvcc.apply(&mutations, true);
                            } else {
                                tracing::warn!(revision, "watch cache skipped a revision it already holds");
                            }
                        }
                        Some(Err(error)) => break error,
                        None => break StoreError::Closed,
                    }
                }
            }
            Err(error) => error,
        };
        if matches!(error, StoreError::Closed) {
            mvcc.close();
            return;
        }
        tracing::warn!(%error, "watch cache lost the backend's watch; reloading");
        loop {
            match load(&*shared.backend).await {
                Ok(fresh) => {
                    let old = std::mem::replace(
                        &mut *shared.mvcc.write().expect("cache lock poisoned by a panic"),
                        Arc::new(fresh),
                    );
                    old.close();
                    break;
                }
                Err(StoreError::Closed) => {
                    mvcc.close();
                    return;
                }
                Err(error) => {
                    tracing::warn!(%error, "watch cache could not reload; retrying");
                    tokio::time::sleep(RELOAD_BACKOFF).await;
                }
            }
        }
    }
}

#[async_trait]
impl Store for CachedStore {
    async fn status(&self) -> Result<StoreStatus, StoreError> {
        self.shared.backend.status().await
    }

    async fn get(&self, key: &str, revision: Option<Revision>) -> Result<Option<KeyValue>, StoreError> {
        crate::check_key(key)?;
        match revision {
            // A single key costs the backend one request either way; reading it there is exact and cheapest.
            None => self.shared.backend.get(key, None).await,
            Some(revision) => match self.at(revision).await? {
                Some(mvcc) => mvcc.get(key, Some(revision)),
                None => self.shared.backend.get(key, Some(revision)).await,
            },
        }
    }

    async fn list(&self, prefix: &str, options: ListOptions) -> Result<ListResult, StoreError> {
        let mvcc = match options.revision {
            None => self.current().await?,
            Some(revision) => self.at(revision).await?,
        };
        match mvcc {
            Some(mvcc) => mvcc.list(prefix, &options),
            None => self.shared.backend.list(prefix, options).await,
        }
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError> {
        self.shared.backend.create(key, value).await
    }

    async fn update(&self, key: &str, value: Bytes, expected: Revision) -> Result<KeyValue, StoreError> {
        self.shared.backend.update(key, value, expected).await
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<(KeyValue, Revision), StoreError> {
        self.shared.backend.delete(key, expected).await
    }

    async fn txn(&self, compares: Vec<Compare>, ops: Vec<TxnOp>) -> Result<Revision, StoreError> {
        // A later current-state read waits for the copy to reach the backend's revision, so it sees the
        // transaction whole, as it sees single writes.
        self.shared.backend.txn(compares, ops).await
    }

    async fn watch(&self, prefix: &str, after_revision: Revision) -> Result<WatchStream, StoreError> {
        let mvcc = self.shared.mvcc();
        if mvcc.is_closed() || after_revision < mvcc.compacted() {
            return self.shared.backend.watch(prefix, after_revision).await;
        }
        crate::watch::watch(&mvcc, prefix, after_revision)
    }

    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        self.shared.backend.compact(revision).await?;
        let mvcc = self.shared.mvcc();
        let through = revision.min(mvcc.revision());
        if through > mvcc.compacted() {
            mvcc.compact(through);
        }
        Ok(())
    }

    async fn close(&self) -> Result<(), StoreError> {
        self.follower.abort();
        self.shared.mvcc().close();
        self.shared.backend.close().await
    }
}

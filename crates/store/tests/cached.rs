//! The watch cache: that it serves lists and watches from memory, stays consistent with writes made by other
//! servers, and falls back to the backend for history it does not hold. The shared suite runs it too.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use store::{
    CachedStore, Compare, DynStore, EventKind, KeyValue, ListOptions, ListResult, MemoryStore, Revision, Store,
    StoreError, StoreStatus, TxnOp, WatchStream,
};

/// A backend that counts the reads that reach it, and whose watches can be broken on demand.
#[derive(Debug, Default)]
struct Counting {
    inner: MemoryStore,
    lists: AtomicUsize,
    watches: AtomicUsize,
    broken: Arc<tokio::sync::Notify>,
}

#[async_trait]
impl Store for Counting {
    async fn status(&self) -> Result<StoreStatus, StoreError> {
        self.inner.status().await
    }
    async fn get(&self, key: &str, revision: Option<Revision>) -> Result<Option<KeyValue>, StoreError> {
        self.inner.get(key, revision).await
    }
    async fn list(&self, prefix: &str, options: ListOptions) -> Result<ListResult, StoreError> {
        self.lists.fetch_add(1, Ordering::SeqCst);
        self.inner.list(prefix, options).await
    }
    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError> {
        self.inner.create(key, value).await
    }
    async fn update(&self, key: &str, value: Bytes, expected: Revision) -> Result<KeyValue, StoreError> {
        self.inner.update(key, value, expected).await
    }
    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<(KeyValue, Revision), StoreError> {
        self.inner.delete(key, expected).await
    }
    async fn txn(&self, compares: Vec<Compare>, ops: Vec<TxnOp>) -> Result<Revision, StoreError> {
        self.inner.txn(compares, ops).await
    }
    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream, StoreError> {
        self.watches.fetch_add(1, Ordering::SeqCst);
        let events = self.inner.watch(prefix, after).await?;
        let broken = Arc::clone(&self.broken).notified_owned();
        let failure = futures::stream::once(async { Err(StoreError::Compacted { requested: 0, compacted: 0 }) });
        Ok(events.take_until(broken).chain(failure).boxed())
    }
    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        self.inner.compact(revision).await
    }
    async fn close(&self) -> Result<(), StoreError> {
        self.inner.close().await
    }
}

fn value(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

fn keys(result: &ListResult) -> Vec<&str> {
    result.items.iter().map(|kv| kv.key.as_str()).collect()
}

async fn next(watch: &mut WatchStream) -> store::Event {
    tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .expect("an event within 10 s")
        .expect("the watch goes on")
        .expect("no watch error")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_and_watches_are_served_from_memory() {
    let backend = Arc::new(Counting::default());
    let one = backend.create("/a/1", value("one")).await.unwrap();
    let cache = CachedStore::new(backend.clone() as DynStore).await.unwrap();
    let lists_after_load = backend.lists.load(Ordering::SeqCst);
    let watches_after_load = backend.watches.load(Ordering::SeqCst);

    let created = cache.create("/a/2", value("two")).await.unwrap();
    let listed = cache.list("/a/", ListOptions::default()).await.unwrap();
    assert_eq!(keys(&listed), ["/a/1", "/a/2"], "the cache sees its own write at once");
    assert!(listed.revision >= created.mod_revision);

    let mut watches: Vec<WatchStream> = Vec::new();
    for _ in 0..10 {
        watches.push(cache.watch("/a/", created.mod_revision).await.unwrap());
    }
    cache.update("/a/1", value("uno"), one.mod_revision).await.unwrap();
    for watch in &mut watches {
        let event = next(watch).await;
        assert_eq!((event.kv.key.as_str(), &event.kv.value[..]), ("/a/1", &b"uno"[..]));
        assert_eq!(event.prev.map(|kv| kv.value), Some(value("one")), "previous values travel through the cache");
    }
    let page = ListOptions { limit: Some(1), ..ListOptions::default() };
    let first = cache.list("/a/", page).await.unwrap();
    assert!(first.more);
    let rest = ListOptions { start_after: Some("/a/1".into()), revision: Some(first.revision), ..Default::default() };
    assert_eq!(keys(&cache.list("/a/", rest).await.unwrap()), ["/a/2"]);

    assert_eq!(backend.lists.load(Ordering::SeqCst), lists_after_load, "no list reached the backend");
    assert_eq!(backend.watches.load(Ordering::SeqCst), watches_after_load, "no watch reached the backend");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_older_than_the_cache_is_read_from_the_backend() {
    let backend = Arc::new(Counting::default());
    let first = backend.create("/k", value("v1")).await.unwrap();
    backend.update("/k", value("v2"), first.mod_revision).await.unwrap();
    let cache = CachedStore::new(backend.clone() as DynStore).await.unwrap();
    let lists_after_load = backend.lists.load(Ordering::SeqCst);

    let old = ListOptions { revision: Some(first.mod_revision), ..ListOptions::default() };
    let listed = cache.list("/", old).await.unwrap();
    assert_eq!(listed.items[0].value, value("v1"), "a revision before the cache was loaded");
    assert_eq!(backend.lists.load(Ordering::SeqCst), lists_after_load + 1, "that list went to the backend");
    assert_eq!(cache.get("/k", Some(first.mod_revision)).await.unwrap().unwrap().value, value("v1"));

    let mut watch = cache.watch("/", 0).await.unwrap();
    assert_eq!(next(&mut watch).await.kv.value, value("v1"), "a watch from before the cache replays the backend");
    assert_eq!(next(&mut watch).await.kv.value, value("v2"));

    let future = ListOptions { revision: Some(1_000), ..ListOptions::default() };
    assert!(matches!(cache.list("/", future).await, Err(StoreError::FutureRevision { requested: 1_000, .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_etcd_read_each_others_writes_at_once() {
    let etcd = support::etcd().await;
    let server_a = CachedStore::new(etcd.store.clone()).await.unwrap();
    let server_b = CachedStore::new(etcd.store.clone()).await.unwrap();
    let mut watch_b = server_b.watch("/shared/", server_b.status().await.unwrap().revision).await.unwrap();
    for round in 0..50 {
        let key = format!("/shared/{round:03}");
        server_a.create(&key, value("x")).await.unwrap();
        // No waiting: a list that starts after a write was acknowledged must include it.
        let listed = server_b.list("/shared/", ListOptions::default()).await.unwrap();
        assert_eq!(listed.items.len(), round + 1, "server B lists A's write {round} at once");
        assert_eq!(next(&mut watch_b).await.kv.key, key);
    }
    let compact_to = server_a.status().await.unwrap().revision;
    // Each server's compactor compacts the shared etcd (a no-op the second time) and its own cache.
    server_a.compact(compact_to).await.unwrap();
    server_b.compact(compact_to).await.unwrap();
    for server in [&server_a, &server_b] {
        let old = ListOptions { revision: Some(compact_to - 1), ..ListOptions::default() };
        assert!(matches!(server.list("/shared/", old).await, Err(StoreError::Compacted { .. })));
    }
    assert_eq!(server_b.list("/shared/", ListOptions::default()).await.unwrap().items.len(), 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_backend_watch_reloads_the_cache() {
    let backend = Arc::new(Counting::default());
    backend.create("/k/1", value("one")).await.unwrap();
    let cache = CachedStore::new(backend.clone() as DynStore).await.unwrap();
    let mut old_watch = cache.watch("/k/", cache.status().await.unwrap().revision).await.unwrap();
    let lists_before = backend.lists.load(Ordering::SeqCst);

    backend.broken.notify_waiters();
    // Writes made while the cache reloads are neither lost nor duplicated.
    let two = cache.create("/k/2", value("two")).await.unwrap();
    let listed = cache.list("/k/", ListOptions::default()).await.unwrap();
    assert_eq!(keys(&listed), ["/k/1", "/k/2"]);

    // Watches on the replaced copy end once they delivered what they had; clients watch again.
    let mut seen = Vec::new();
    while let Some(event) = tokio::time::timeout(Duration::from_secs(10), old_watch.next()).await.expect("ends") {
        seen.push(event.expect("no error").kv.key);
    }
    assert!(seen.len() <= 1, "at most the write made before the reload: {seen:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while backend.lists.load(Ordering::SeqCst) == lists_before {
        assert!(tokio::time::Instant::now() < deadline, "the cache reloaded from the backend");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut new_watch = cache.watch("/k/", two.mod_revision).await.unwrap();
    let three = cache.create("/k/3", value("three")).await.unwrap();
    let event = next(&mut new_watch).await;
    assert_eq!((event.kv.key.as_str(), event.kv.mod_revision), ("/k/3", three.mod_revision));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_txn_is_read_back_at_once_through_the_cache() {
    let etcd = support::etcd().await;
    let server_a = CachedStore::new(etcd.store.clone()).await.unwrap();
    let server_b = CachedStore::new(etcd.store.clone()).await.unwrap();
    let start = server_a.status().await.unwrap().revision;
    let mut watch_a = server_a.watch("/txn/", start).await.unwrap();
    let mut watch_b = server_b.watch("/txn/", start).await.unwrap();
    for round in 0..30u32 {
        // Each round writes three keys and deletes the previous round's first one, in one etcd revision.
        let written: Vec<String> = (0..3).map(|idx| format!("/txn/{round:02}/{idx}")).collect();
        let mut ops: Vec<TxnOp> = written.iter().map(|key| TxnOp::put(key.as_str(), value(key))).collect();
        let mut compares: Vec<Compare> = written.iter().map(|key| Compare::absent(key.as_str())).collect();
        if round > 0 {
            let gone = format!("/txn/{:02}/0", round - 1);
            let kv = server_a.get(&gone, None).await.unwrap().expect("the previous round's key");
            compares.push(Compare::unchanged(gone.as_str(), kv.mod_revision));
            ops.insert(1, TxnOp::delete(gone));
        }
        let at = server_a.txn(compares, ops).await.unwrap();
        // No waiting: a list on either server that starts after the transaction returned shows all of it.
        for server in [&server_a, &server_b] {
            let listed = server.list(&format!("/txn/{round:02}/"), ListOptions::default()).await.unwrap();
            assert_eq!(keys(&listed), written.iter().map(String::as_str).collect::<Vec<_>>(), "round {round}");
            assert!(listed.revision >= at);
            let past = ListOptions { revision: Some(at), ..ListOptions::default() };
            let listed = server.list("/txn/", past).await.unwrap();
            assert_eq!(listed.items.len(), 2 * round as usize + 3, "round {round}: the list at the txn's revision");
        }
        // Both servers' watches, served from their copies, report the round whole, in op order.
        let n_events = if round > 0 { 4 } else { 3 };
        for watch in [&mut watch_a, &mut watch_b] {
            let mut events = Vec::new();
            for _ in 0..n_events {
                events.push(next(watch).await);
            }
            assert!(events.iter().all(|event| event.kv.mod_revision == at), "one etcd revision: {events:?}");
            let seen: Vec<(EventKind, &str)> = events.iter().map(|e| (e.kind, e.kv.key.as_str())).collect();
            let mut expected: Vec<(EventKind, &str)> =
                written.iter().map(|key| (EventKind::Put, key.as_str())).collect();
            let gone = format!("/txn/{:02}/0", round.saturating_sub(1));
            if round > 0 {
                expected.insert(1, (EventKind::Delete, gone.as_str()));
            }
            assert_eq!(seen, expected, "round {round}");
        }
    }
}

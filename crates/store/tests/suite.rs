//! One suite, every backend: each case below runs against memory, SQLite, a real etcd server, and that etcd
//! behind the watch cache.

mod support;

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use store::{
    Compare, Event, EventKind, KeyValue, ListOptions, MAX_TXN_OPS, MAX_WRITE_BYTES, Revision, Store, StoreError, TxnOp,
    WatchStream,
};

/// Runs every case against every backend, each case on a fresh store.
macro_rules! suite {
    ($($case:ident),* $(,)?) => {
        mod memory { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() { let backend = crate::support::memory().await; crate::$case(&*backend.store).await; }
        )* }
        mod sqlite { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() { let backend = crate::support::sqlite().await; crate::$case(&*backend.store).await; }
        )* }
        mod etcd { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() { let backend = crate::support::etcd().await; crate::$case(&*backend.store).await; }
        )* }
        mod cached_etcd { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let backend = crate::support::cached(crate::support::etcd().await).await;
                crate::$case(&*backend.store).await;
            }
        )* }
    };
}

suite!(
    create_then_get,
    create_refuses_an_existing_key,
    every_write_takes_the_next_revision,
    update_compares_mod_revision,
    delete_compares_mod_revision,
    recreated_key_gets_a_new_create_revision,
    get_reads_past_revisions,
    list_returns_only_the_prefix_in_key_order,
    list_pages_through_one_snapshot,
    list_reads_past_revisions,
    values_are_opaque_bytes,
    watch_replays_history_then_follows,
    watch_reports_deletes_with_previous_value,
    watch_filters_by_prefix,
    compaction_forgets_old_history,
    compaction_is_idempotent_and_refuses_the_future,
    slow_watcher_does_not_stall_others,
    hundred_watchers_see_every_event,
    oversized_writes_are_refused_and_leave_nothing,
    invalid_keys_are_refused,
    concurrent_creates_of_one_key_have_one_winner,
    concurrent_compare_and_swap_loses_no_increment,
    closed_store_refuses_calls_and_ends_watches,
    txn_creates_keys_together,
    txn_refused_by_a_compare_writes_nothing,
    txn_deletes_and_replaces,
    concurrent_txns_lose_no_increment,
    txn_is_never_seen_in_part,
    watch_from_just_before_a_txn_sees_all_of_it,
    txn_limits_are_checked_before_anything_is_written,
    txns_and_writes_racing_for_one_key_have_one_winner,
);

const DEADLINE: Duration = Duration::from_secs(30);

fn value(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

async fn revision(store: &dyn Store) -> Revision {
    store.status().await.expect("status").revision
}

/// The next event, failing the test if none arrives before the deadline.
async fn next_event(watch: &mut WatchStream) -> Event {
    tokio::time::timeout(DEADLINE, watch.next())
        .await
        .expect("an event within the deadline")
        .expect("the watch is still open")
        .expect("an event, not an error")
}

/// Takes `n` events.
async fn take_events(watch: &mut WatchStream, n: usize) -> Vec<Event> {
    let mut events = Vec::with_capacity(n);
    for _ in 0..n {
        events.push(next_event(watch).await);
    }
    events
}

fn keys(items: &[KeyValue]) -> Vec<&str> {
    items.iter().map(|kv| kv.key.as_str()).collect()
}

async fn create_then_get(store: &dyn Store) {
    let before = revision(store).await;
    let created = store.create("/registry/pods/default/a", value("one")).await.unwrap();
    assert_eq!(created.key, "/registry/pods/default/a");
    assert_eq!(created.value, value("one"));
    assert_eq!(created.mod_revision, before + 1);
    assert_eq!(created.create_revision, created.mod_revision);
    assert_eq!(revision(store).await, created.mod_revision);
    assert_eq!(store.get("/registry/pods/default/a", None).await.unwrap(), Some(created));
    assert_eq!(store.get("/registry/pods/default/b", None).await.unwrap(), None);
}

async fn create_refuses_an_existing_key(store: &dyn Store) {
    let first = store.create("/k", value("first")).await.unwrap();
    let error = store.create("/k", value("second")).await.unwrap_err();
    assert!(matches!(&error, StoreError::AlreadyExists { key } if key == "/k"), "{error:?}");
    assert_eq!(revision(store).await, first.mod_revision, "a refused write takes no revision");
    assert_eq!(store.get("/k", None).await.unwrap().unwrap().value, value("first"));
}

async fn every_write_takes_the_next_revision(store: &dyn Store) {
    let mut expected = revision(store).await;
    for idx in 0..10 {
        let kv = store.create(&format!("/seq/{idx}"), value("v")).await.unwrap();
        expected += 1;
        assert_eq!(kv.mod_revision, expected);
    }
    let kv = store.update("/seq/3", value("w"), expected - 6).await.unwrap();
    expected += 1;
    assert_eq!(kv.mod_revision, expected);
    let (_, deleted_at) = store.delete("/seq/4", None).await.unwrap();
    expected += 1;
    assert_eq!(deleted_at, expected);
    assert_eq!(revision(store).await, expected);
}

async fn update_compares_mod_revision(store: &dyn Store) {
    let created = store.create("/cas", value("v1")).await.unwrap();
    let updated = store.update("/cas", value("v2"), created.mod_revision).await.unwrap();
    assert_eq!(updated.create_revision, created.create_revision);
    assert_eq!(updated.mod_revision, created.mod_revision + 1);
    assert_eq!(updated.value, value("v2"));

    let stale = store.update("/cas", value("v3"), created.mod_revision).await.unwrap_err();
    match stale {
        StoreError::Conflict { expected, current } => {
            assert_eq!(expected, created.mod_revision);
            assert_eq!(*current, updated, "the conflict carries the current state");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let missing = store.update("/nope", value("v"), updated.mod_revision).await.unwrap_err();
    assert!(matches!(&missing, StoreError::NotFound { key } if key == "/nope"), "{missing:?}");
    let zero = store.update("/nope", value("v"), 0).await.unwrap_err();
    assert!(matches!(zero, StoreError::NotFound { .. }), "revision 0 never matches a missing key: {zero:?}");
    assert_eq!(revision(store).await, updated.mod_revision, "refused updates take no revision");
    assert_eq!(store.get("/cas", None).await.unwrap(), Some(updated));
}

async fn delete_compares_mod_revision(store: &dyn Store) {
    let created = store.create("/del", value("v1")).await.unwrap();
    let updated = store.update("/del", value("v2"), created.mod_revision).await.unwrap();
    let stale = store.delete("/del", Some(created.mod_revision)).await.unwrap_err();
    assert!(matches!(&stale, StoreError::Conflict { current, .. } if **current == updated), "{stale:?}");
    assert_eq!(store.get("/del", None).await.unwrap(), Some(updated.clone()));

    let (prev, deleted_at) = store.delete("/del", Some(updated.mod_revision)).await.unwrap();
    assert_eq!(prev, updated);
    assert_eq!(deleted_at, updated.mod_revision + 1);
    assert_eq!(store.get("/del", None).await.unwrap(), None);
    let again = store.delete("/del", None).await.unwrap_err();
    assert!(matches!(again, StoreError::NotFound { .. }), "{again:?}");

    store.create("/del2", value("x")).await.unwrap();
    let (prev, _) = store.delete("/del2", None).await.unwrap();
    assert_eq!(prev.value, value("x"), "an unconditional delete also returns the old value");
}

async fn recreated_key_gets_a_new_create_revision(store: &dyn Store) {
    let first = store.create("/again", value("1")).await.unwrap();
    store.delete("/again", None).await.unwrap();
    let second = store.create("/again", value("2")).await.unwrap();
    assert!(second.create_revision > first.create_revision);
    assert_eq!(second.create_revision, second.mod_revision);
}

async fn get_reads_past_revisions(store: &dyn Store) {
    let v1 = store.create("/hist", value("1")).await.unwrap();
    let v2 = store.update("/hist", value("2"), v1.mod_revision).await.unwrap();
    let (_, deleted_at) = store.delete("/hist", None).await.unwrap();
    assert_eq!(store.get("/hist", Some(v1.mod_revision)).await.unwrap(), Some(v1.clone()));
    assert_eq!(store.get("/hist", Some(v2.mod_revision)).await.unwrap(), Some(v2));
    assert_eq!(store.get("/hist", Some(deleted_at)).await.unwrap(), None);
    assert_eq!(store.get("/hist", Some(v1.mod_revision - 1)).await.unwrap(), None, "before it was created");
    let future = store.get("/hist", Some(deleted_at + 100)).await.unwrap_err();
    assert!(
        matches!(future, StoreError::FutureRevision { requested, .. } if requested == deleted_at + 100),
        "{future:?}"
    );
}

async fn list_returns_only_the_prefix_in_key_order(store: &dyn Store) {
    for key in ["/a/3", "/a/1", "/ab/1", "/a/2", "/b/1", "/a"] {
        store.create(key, value(key)).await.unwrap();
    }
    let current = revision(store).await;
    let listed = store.list("/a/", ListOptions::default()).await.unwrap();
    assert_eq!(keys(&listed.items), ["/a/1", "/a/2", "/a/3"]);
    assert_eq!(listed.items[0].value, value("/a/1"));
    assert_eq!(listed.revision, current);
    assert!(!listed.more);

    let everything = store.list("", ListOptions::default()).await.unwrap();
    assert_eq!(keys(&everything.items), ["/a", "/a/1", "/a/2", "/a/3", "/ab/1", "/b/1"]);
    let nothing = store.list("/c/", ListOptions::default()).await.unwrap();
    assert!(nothing.items.is_empty() && !nothing.more);

    store.delete("/a/2", None).await.unwrap();
    let listed = store.list("/a/", ListOptions::default()).await.unwrap();
    assert_eq!(keys(&listed.items), ["/a/1", "/a/3"], "deleted keys are not listed");
}

async fn list_pages_through_one_snapshot(store: &dyn Store) {
    for idx in 0..10 {
        store.create(&format!("/pods/{idx:02}"), value("v")).await.unwrap();
    }
    let first = store.list("/pods/", ListOptions { limit: Some(4), ..ListOptions::default() }).await.unwrap();
    assert_eq!(keys(&first.items), ["/pods/00", "/pods/01", "/pods/02", "/pods/03"]);
    assert!(first.more);

    // Changes after the first page are not seen by the later pages of the same list.
    store.create("/pods/05a", value("new")).await.unwrap();
    store.delete("/pods/06", None).await.unwrap();
    store.update("/pods/07", value("changed"), first.revision - 2).await.unwrap();

    let mut seen = keys(&first.items).into_iter().map(str::to_owned).collect::<Vec<_>>();
    let mut last = first;
    while last.more {
        let options = ListOptions {
            limit: Some(4),
            start_after: last.items.last().map(|kv| kv.key.clone()),
            revision: Some(last.revision),
        };
        let page = store.list("/pods/", options).await.unwrap();
        assert_eq!(page.revision, last.revision, "every page is read at the first page's revision");
        assert!(page.items.iter().all(|kv| kv.value == value("v")), "no later value leaks in");
        seen.extend(page.items.iter().map(|kv| kv.key.clone()));
        last = page;
    }
    let expected: Vec<String> = (0..10).map(|idx| format!("/pods/{idx:02}")).collect();
    assert_eq!(seen, expected);

    let fresh = store.list("/pods/", ListOptions { limit: Some(0), ..ListOptions::default() }).await.unwrap();
    assert_eq!(fresh.items.len(), 10, "limit 0 means no limit, as in etcd");
    assert!(!fresh.more);
}

async fn list_reads_past_revisions(store: &dyn Store) {
    store.create("/ns/a", value("a1")).await.unwrap();
    let at = store.create("/ns/b", value("b1")).await.unwrap().mod_revision;
    store.create("/ns/c", value("c1")).await.unwrap();
    store.delete("/ns/a", None).await.unwrap();
    let past = store.list("/ns/", ListOptions { revision: Some(at), ..ListOptions::default() }).await.unwrap();
    assert_eq!(keys(&past.items), ["/ns/a", "/ns/b"]);
    assert_eq!(past.revision, at);
    let now = store.list("/ns/", ListOptions::default()).await.unwrap();
    assert_eq!(keys(&now.items), ["/ns/b", "/ns/c"]);
    let future = store.list("/ns/", ListOptions { revision: Some(now.revision + 5), ..ListOptions::default() }).await;
    assert!(matches!(future, Err(StoreError::FutureRevision { .. })), "{future:?}");
}

async fn values_are_opaque_bytes(store: &dyn Store) {
    let binary: Bytes = (0..=255u8).chain([0, 0, 0xff]).collect::<Vec<_>>().into();
    store.create("/bin", binary.clone()).await.unwrap();
    assert_eq!(store.get("/bin", None).await.unwrap().unwrap().value, binary);
    store.create("/empty", Bytes::new()).await.unwrap();
    let empty = store.get("/empty", None).await.unwrap().expect("an empty value is still a value");
    assert!(empty.value.is_empty());
    let unicode = "/registry/configmaps/ns/名前-ü";
    store.create(unicode, value("x")).await.unwrap();
    assert_eq!(keys(&store.list("/registry/configmaps/", ListOptions::default()).await.unwrap().items), [unicode]);
}

async fn watch_replays_history_then_follows(store: &dyn Store) {
    let start = revision(store).await;
    let a = store.create("/w/a", value("1")).await.unwrap();
    let a2 = store.update("/w/a", value("2"), a.mod_revision).await.unwrap();

    let mut watch = store.watch("/w/", start).await.unwrap();
    let replayed = take_events(&mut watch, 2).await;
    assert_eq!(replayed[0], Event { kind: EventKind::Put, kv: a.clone(), prev: None });
    assert_eq!(replayed[1], Event { kind: EventKind::Put, kv: a2.clone(), prev: Some(a.clone()) });

    let b = store.create("/w/b", value("b")).await.unwrap();
    let live = next_event(&mut watch).await;
    assert_eq!(live, Event { kind: EventKind::Put, kv: b, prev: None });

    // Starting after a revision skips it and everything before it.
    let mut later = store.watch("/w/", a.mod_revision).await.unwrap();
    assert_eq!(next_event(&mut later).await.kv, a2);
}

async fn watch_reports_deletes_with_previous_value(store: &dyn Store) {
    let created = store.create("/d/x", value("gone soon")).await.unwrap();
    let mut watch = store.watch("/d/", created.mod_revision).await.unwrap();
    let (_, deleted_at) = store.delete("/d/x", None).await.unwrap();
    let event = next_event(&mut watch).await;
    assert_eq!(event.kind, EventKind::Delete);
    assert_eq!(event.kv.key, "/d/x");
    assert_eq!(event.revision(), deleted_at);
    assert_eq!(event.prev, Some(created));
}

async fn watch_filters_by_prefix(store: &dyn Store) {
    let start = revision(store).await;
    let mut pods = store.watch("/registry/pods/", start).await.unwrap();
    let mut everything = store.watch("", start).await.unwrap();
    for idx in 0..20 {
        let prefix = if idx % 2 == 0 { "/registry/pods/" } else { "/registry/podsx/" };
        store.create(&format!("{prefix}{idx}"), value("v")).await.unwrap();
    }
    let events = take_events(&mut pods, 10).await;
    assert!(events.iter().all(|e| e.kv.key.starts_with("/registry/pods/")));
    let revisions: Vec<Revision> = events.iter().map(Event::revision).collect();
    assert!(revisions.windows(2).all(|pair| pair[0] < pair[1]), "in revision order: {revisions:?}");
    let all = take_events(&mut everything, 20).await;
    let expected: Vec<Revision> = (start + 1..=start + 20).collect();
    assert_eq!(all.iter().map(Event::revision).collect::<Vec<_>>(), expected);
    // Nothing else is pending on the filtered watch.
    let extra = tokio::time::timeout(Duration::from_millis(200), pods.next()).await;
    assert!(extra.is_err(), "no further event: {extra:?}");
}

async fn compaction_forgets_old_history(store: &dyn Store) {
    let v1 = store.create("/c/k", value("1")).await.unwrap();
    let v2 = store.update("/c/k", value("2"), v1.mod_revision).await.unwrap();
    let gone = store.create("/c/gone", value("x")).await.unwrap();
    store.delete("/c/gone", None).await.unwrap();
    let v3 = store.update("/c/k", value("3"), v2.mod_revision).await.unwrap();
    let compact_at = v3.mod_revision - 1;
    store.compact(compact_at).await.unwrap();

    let old = store.get("/c/k", Some(v1.mod_revision)).await.unwrap_err();
    assert!(matches!(old, StoreError::Compacted { .. }), "{old:?}");
    assert_eq!(
        store.get("/c/k", Some(compact_at)).await.unwrap(),
        Some(v2.clone()),
        "the compaction point stays readable"
    );
    assert_eq!(store.get("/c/gone", Some(compact_at)).await.unwrap(), None);
    assert_eq!(store.get("/c/k", None).await.unwrap(), Some(v3.clone()));
    let list = store.list("/c/", ListOptions { revision: Some(gone.mod_revision), ..ListOptions::default() }).await;
    assert!(matches!(list, Err(StoreError::Compacted { .. })), "{list:?}");

    let watch = store.watch("/c/", v1.mod_revision).await;
    assert!(matches!(watch, Err(StoreError::Compacted { .. })), "watching from before the compaction point fails");
    let mut watch = store.watch("/c/", compact_at).await.expect("watching from the compaction point works");
    assert_eq!(next_event(&mut watch).await, Event { kind: EventKind::Put, kv: v3, prev: Some(v2) });
}

async fn compaction_is_idempotent_and_refuses_the_future(store: &dyn Store) {
    for idx in 0..5 {
        store.create(&format!("/i/{idx}"), value("v")).await.unwrap();
    }
    let current = revision(store).await;
    store.compact(current - 1).await.unwrap();
    store.compact(current - 1).await.expect("compacting twice to the same revision");
    store.compact(current - 3).await.expect("compacting to an older revision does nothing");
    let future = store.compact(current + 10).await.unwrap_err();
    assert!(matches!(future, StoreError::FutureRevision { .. }), "{future:?}");
    assert_eq!(store.list("/i/", ListOptions::default()).await.unwrap().items.len(), 5, "no data is lost");
    store.compact(current).await.expect("compacting to the current revision");
    assert_eq!(store.list("/i/", ListOptions::default()).await.unwrap().items.len(), 5);
}

async fn slow_watcher_does_not_stall_others(store: &dyn Store) {
    const N: usize = 3000;
    let start = revision(store).await;
    let mut slow = store.watch("/s/", start).await.unwrap();
    let mut fast = store.watch("/s/", start).await.unwrap();
    let reader = tokio::spawn(async move {
        let events = take_events(&mut fast, N).await;
        events.iter().map(Event::revision).collect::<Vec<_>>()
    });
    let writes = futures::stream::iter(0..N)
        .map(|idx| async move { store.create(&format!("/s/{idx:05}"), value("payload")).await.unwrap() })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    assert_eq!(writes.len(), N);
    // The fast watcher received everything while the slow one has not read a single event.
    let fast_revisions = tokio::time::timeout(DEADLINE, reader).await.expect("fast watcher finished").unwrap();
    let expected: Vec<Revision> = (start + 1..=start + N as Revision).collect();
    assert_eq!(fast_revisions, expected);
    // The slow watcher still gets every event, in order, when it finally reads.
    let slow_revisions: Vec<Revision> = take_events(&mut slow, N).await.iter().map(Event::revision).collect();
    assert_eq!(slow_revisions, expected);
}

async fn hundred_watchers_see_every_event(store: &dyn Store) {
    const WATCHERS: usize = 100;
    const WRITES: usize = 200;
    let start = revision(store).await;
    let mut readers = Vec::new();
    for _ in 0..WATCHERS {
        let mut watch = store.watch("/many/", start).await.unwrap();
        readers.push(tokio::spawn(async move {
            take_events(&mut watch, WRITES).await.iter().map(Event::revision).collect::<Vec<_>>()
        }));
    }
    for idx in 0..WRITES {
        store.create(&format!("/many/{idx}"), value("v")).await.unwrap();
    }
    let expected: Vec<Revision> = (start + 1..=start + WRITES as Revision).collect();
    for reader in readers {
        assert_eq!(reader.await.unwrap(), expected);
    }
}

async fn oversized_writes_are_refused_and_leave_nothing(store: &dyn Store) {
    let existing = store.create("/big", value("small")).await.unwrap();
    let too_big = Bytes::from(vec![b'x'; MAX_WRITE_BYTES]);
    let error = store.create("/big2", too_big.clone()).await.unwrap_err();
    assert!(matches!(error, StoreError::TooLarge { limit: MAX_WRITE_BYTES, .. }), "{error:?}");
    let error = store.update("/big", too_big, existing.mod_revision).await.unwrap_err();
    assert!(matches!(error, StoreError::TooLarge { .. }), "{error:?}");
    assert_eq!(store.get("/big2", None).await.unwrap(), None);
    assert_eq!(store.get("/big", None).await.unwrap(), Some(existing.clone()));
    assert_eq!(revision(store).await, existing.mod_revision);
    // Just under the limit is fine.
    let fits = Bytes::from(vec![b'y'; MAX_WRITE_BYTES - "/big3".len()]);
    let stored = store.create("/big3", fits.clone()).await.expect("a write at exactly the limit");
    assert_eq!(store.get("/big3", None).await.unwrap().unwrap().value.len(), fits.len());
    assert_eq!(stored.mod_revision, existing.mod_revision + 1);
}

async fn invalid_keys_are_refused(store: &dyn Store) {
    let before = revision(store).await;
    for key in ["", "/with\0nul"] {
        let error = store.create(key, value("v")).await.unwrap_err();
        assert!(matches!(error, StoreError::InvalidKey { .. }), "{key:?}: {error:?}");
        assert!(matches!(store.get(key, None).await, Err(StoreError::InvalidKey { .. })));
        assert!(matches!(store.delete(key, None).await, Err(StoreError::InvalidKey { .. })));
    }
    assert_eq!(revision(store).await, before);
}

async fn concurrent_creates_of_one_key_have_one_winner(store: &dyn Store) {
    let results = futures::future::join_all((0..50).map(|idx| store.create("/race", value(&idx.to_string())))).await;
    let winners: Vec<&KeyValue> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one create wins");
    assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|e| matches!(e, StoreError::AlreadyExists { .. })));
    assert_eq!(store.get("/race", None).await.unwrap().as_ref(), Some(winners[0]));
}

async fn concurrent_compare_and_swap_loses_no_increment(store: &dyn Store) {
    const TASKS: usize = 8;
    const INCREMENTS: usize = 25;
    store.create("/counter", value("0")).await.unwrap();
    let increment = || async {
        for _ in 0..INCREMENTS {
            loop {
                let current = store.get("/counter", None).await.unwrap().unwrap();
                let n: usize = std::str::from_utf8(&current.value).unwrap().parse().unwrap();
                match store.update("/counter", value(&(n + 1).to_string()), current.mod_revision).await {
                    Ok(_) => break,
                    Err(StoreError::Conflict { .. }) => continue,
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
        }
    };
    futures::future::join_all((0..TASKS).map(|_| increment())).await;
    let last = store.get("/counter", None).await.unwrap().unwrap();
    assert_eq!(last.value, value(&(TASKS * INCREMENTS).to_string()));
}

async fn closed_store_refuses_calls_and_ends_watches(store: &dyn Store) {
    let kv = store.create("/closing", value("v")).await.unwrap();
    let mut watch = store.watch("/closing", kv.mod_revision).await.unwrap();
    store.close().await.unwrap();
    let ended = tokio::time::timeout(DEADLINE, watch.next()).await.expect("the watch ends when the store closes");
    assert!(ended.is_none(), "{ended:?}");
    assert!(matches!(store.create("/after", value("v")).await, Err(StoreError::Closed)));
    assert!(matches!(store.get("/closing", None).await, Err(StoreError::Closed)));
    let txn = store.txn(vec![], vec![TxnOp::put("/after", value("v"))]).await;
    assert!(matches!(txn, Err(StoreError::Closed)), "{txn:?}");
    assert!(matches!(store.watch("/", 0).await, Err(StoreError::Closed)));
}

/// The revisions a transaction that wrote `n_writes` keys gave them, in op order, checked to be either the
/// transaction's one revision (etcd) or consecutive ones ending at it (SQLite, memory).
#[track_caller]
fn check_txn_revisions(events: &[Event], before: Revision, at: Revision) {
    let revisions: Vec<Revision> = events.iter().map(Event::revision).collect();
    let shared = revisions.iter().all(|&revision| revision == at);
    let consecutive = revisions == (at - revisions.len() as Revision + 1..=at).collect::<Vec<_>>();
    assert!(shared || consecutive, "a transaction's revisions are one or consecutive, ending at {at}: {revisions:?}");
    assert!(revisions.iter().all(|&revision| revision > before), "after every earlier write: {revisions:?}");
}

async fn txn_creates_keys_together(store: &dyn Store) {
    let before = revision(store).await;
    let mut watch = store.watch("/t/", before).await.unwrap();
    // Op order differs from key order: events follow the ops.
    let written = ["/t/c", "/t/a", "/t/b"];
    let compares = written.iter().map(|&key| Compare::absent(key)).collect();
    let ops = written.iter().map(|&key| TxnOp::put(key, value(key))).collect();
    let at = store.txn(compares, ops).await.unwrap();
    assert!(at > before);
    assert_eq!(revision(store).await, at, "the transaction's last write is the store's revision");

    let events = take_events(&mut watch, 3).await;
    assert_eq!(events.iter().map(|e| e.kv.key.as_str()).collect::<Vec<_>>(), written, "events in op order");
    check_txn_revisions(&events, before, at);
    for event in &events {
        assert_eq!(event.kind, EventKind::Put);
        assert_eq!(event.prev, None);
        assert_eq!(event.kv.value, value(&event.kv.key));
        assert_eq!(event.kv.create_revision, event.kv.mod_revision);
        assert_eq!(store.get(&event.kv.key, None).await.unwrap().as_ref(), Some(&event.kv));
    }
    let listed = store.list("/t/", ListOptions::default()).await.unwrap();
    assert_eq!(keys(&listed.items), ["/t/a", "/t/b", "/t/c"]);
    assert_eq!(listed.revision, at);
    let next = store.create("/t/d", value("d")).await.unwrap();
    assert_eq!(next.mod_revision, at + 1, "the next write takes the next revision");

    // A transaction that writes nothing answers with the current revision and takes none.
    assert_eq!(store.txn(vec![], vec![]).await.unwrap(), next.mod_revision);
    let checked = store.txn(vec![Compare::unchanged("/t/d", next.mod_revision), Compare::absent("/t/e")], vec![]);
    assert_eq!(checked.await.unwrap(), next.mod_revision);
    assert_eq!(revision(store).await, next.mod_revision);
}

async fn txn_refused_by_a_compare_writes_nothing(store: &dyn Store) {
    let first = store.create("/f/x", value("1")).await.unwrap();
    let current = store.update("/f/x", value("2"), first.mod_revision).await.unwrap();
    let other = store.create("/f/y", value("y")).await.unwrap();
    let before = revision(store).await;
    let mut watch = store.watch("/f/", before).await.unwrap();
    // Every refused transaction would create /f/new, replace /f/x and delete /f/y.
    let ops = || vec![TxnOp::put("/f/new", value("n")), TxnOp::put("/f/x", value("3")), TxnOp::delete("/f/y")];
    // Each case: its compares, then the failing compare the error names, with the key's current state.
    let failing = |compare: Compare, state: Option<&KeyValue>| (compare, state.cloned());
    let cases = [
        (
            "a stale revision",
            vec![Compare::unchanged("/f/x", first.mod_revision)],
            failing(Compare::unchanged("/f/x", first.mod_revision), Some(&current)),
        ),
        ("absent, but the key exists", vec![Compare::absent("/f/x")], failing(Compare::absent("/f/x"), Some(&current))),
        (
            "a revision, but the key is missing",
            vec![Compare::unchanged("/f/missing", current.mod_revision)],
            failing(Compare::unchanged("/f/missing", current.mod_revision), None),
        ),
        (
            "the first failing compare is named",
            vec![
                Compare::unchanged("/f/x", current.mod_revision),
                Compare::absent("/f/missing"),
                Compare::unchanged("/f/y", other.mod_revision + 100),
                Compare::absent("/f/x"),
            ],
            failing(Compare::unchanged("/f/y", other.mod_revision + 100), Some(&other)),
        ),
        ("a failing compare alone", vec![Compare::absent("/f/y")], failing(Compare::absent("/f/y"), Some(&other))),
    ];
    for (case, compares, (failed, state)) in cases {
        let error = store.txn(compares, ops()).await.unwrap_err();
        match &error {
            StoreError::TxnFailed { key, expected, current } => {
                assert_eq!((key, *expected), (&failed.key, failed.mod_revision), "{case}: {error}");
                assert_eq!(current.as_deref(), state.as_ref(), "{case}: the error carries the key's current state");
            }
            other => panic!("{case}: expected TxnFailed, got {other:?}"),
        }
        let key = &failed.key;
        assert!(error.to_string().contains(key), "{case}: the message names the key: {error}");
        assert_eq!(revision(store).await, before, "{case}: a refused transaction takes no revision");
        assert_eq!(store.get("/f/new", None).await.unwrap(), None, "{case}");
        assert_eq!(store.get("/f/x", None).await.unwrap().as_ref(), Some(&current), "{case}");
        assert_eq!(store.get("/f/y", None).await.unwrap().as_ref(), Some(&other), "{case}");
    }
    // The watch saw none of them: its next event is this write.
    let marker = store.create("/f/marker", value("m")).await.unwrap();
    assert_eq!(next_event(&mut watch).await.kv, marker);
}

async fn txn_deletes_and_replaces(store: &dyn Store) {
    let old = store.create("/dr/old", value("old")).await.unwrap();
    let kept = store.create("/dr/kept", value("v1")).await.unwrap();
    let before = revision(store).await;
    let mut watch = store.watch("/dr/", before).await.unwrap();
    let ops = vec![
        TxnOp::delete("/dr/old"),
        TxnOp::delete("/dr/never-was"),
        TxnOp::put("/dr/kept", value("v2")),
        TxnOp::put("/dr/new", value("new")),
    ];
    let compares =
        vec![Compare::unchanged("/dr/old", old.mod_revision), Compare::unchanged("/dr/kept", kept.mod_revision)];
    let at = store.txn(compares, ops).await.unwrap();

    // Deleting a key that does not exist does nothing: three events, not four.
    let events = take_events(&mut watch, 3).await;
    check_txn_revisions(&events, before, at);
    assert_eq!(
        events.iter().map(|e| (e.kind, e.kv.key.as_str())).collect::<Vec<_>>(),
        [(EventKind::Delete, "/dr/old"), (EventKind::Put, "/dr/kept"), (EventKind::Put, "/dr/new")]
    );
    assert_eq!(events[0].prev.as_ref(), Some(&old), "a delete reports what it deleted");
    assert_eq!(events[1].prev.as_ref(), Some(&kept), "a replacing put reports what it replaced");
    assert_eq!(events[1].kv.create_revision, kept.create_revision, "a replaced key keeps its create_revision");
    assert_eq!(events[2].prev, None);
    assert_eq!(store.get("/dr/old", None).await.unwrap(), None);
    assert_eq!(store.get("/dr/never-was", None).await.unwrap(), None);
    assert_eq!(store.get("/dr/kept", None).await.unwrap().as_ref(), Some(&events[1].kv));
    assert_eq!(store.get("/dr/new", None).await.unwrap().as_ref(), Some(&events[2].kv));
    let listed = store.list("/dr/", ListOptions::default()).await.unwrap();
    assert_eq!(keys(&listed.items), ["/dr/kept", "/dr/new"]);

    // A transaction that only deletes missing keys changes nothing and takes no revision.
    assert_eq!(store.txn(vec![], vec![TxnOp::delete("/dr/old")]).await.unwrap(), at);
    assert_eq!(revision(store).await, at);
    let marker = store.create("/dr/marker", value("m")).await.unwrap();
    assert_eq!(next_event(&mut watch).await.kv, marker, "no event for a delete that deleted nothing");
}

async fn concurrent_txns_lose_no_increment(store: &dyn Store) {
    const TASKS: usize = 16;
    const INCREMENTS: usize = 50;
    store.create("/txn-counter", value("0")).await.unwrap();
    let increment = |task: usize| async move {
        for round in 0..INCREMENTS {
            loop {
                let current = store.get("/txn-counter", None).await.unwrap().unwrap();
                let n: usize = std::str::from_utf8(&current.value).unwrap().parse().unwrap();
                let mine = format!("/txn-increments/{task:02}/{round:02}");
                let compares = vec![Compare::unchanged("/txn-counter", current.mod_revision), Compare::absent(&mine)];
                let ops = vec![
                    TxnOp::put("/txn-counter", value(&(n + 1).to_string())),
                    TxnOp::put(mine, value(&n.to_string())),
                ];
                match store.txn(compares, ops).await {
                    Ok(_) => break,
                    Err(StoreError::TxnFailed { key, .. }) => assert_eq!(key, "/txn-counter", "only the counter races"),
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
        }
    };
    futures::future::join_all((0..TASKS).map(increment)).await;
    let last = store.get("/txn-counter", None).await.unwrap().unwrap();
    assert_eq!(last.value, value(&(TASKS * INCREMENTS).to_string()));
    let increments = store.list("/txn-increments/", ListOptions::default()).await.unwrap();
    assert_eq!(increments.items.len(), TASKS * INCREMENTS, "every increment wrote its own key with it");
    // Each increment saw a different counter value: the per-task keys hold 0..800 once each.
    let mut seen: Vec<usize> =
        increments.items.iter().map(|kv| std::str::from_utf8(&kv.value).unwrap().parse().unwrap()).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..TASKS * INCREMENTS).collect::<Vec<_>>());
}

/// Which pairs a listing holds, failing on a half pair.
#[track_caller]
fn whole_pairs(listed: &store::ListResult) -> Vec<u32> {
    let mut a = Vec::new();
    let mut b = Vec::new();
    for kv in &listed.items {
        let (side, n) = kv.key.strip_prefix("/pairs/").and_then(|rest| rest.split_once('/')).expect("a pair key");
        let n: u32 = n.parse().expect("a pair number");
        assert_eq!(kv.value, value(&n.to_string()));
        match side {
            "a" => a.push(n),
            "b" => b.push(n),
            other => panic!("unexpected side {other}"),
        }
    }
    assert_eq!(a, b, "half a transaction is visible at revision {}", listed.revision);
    a
}

async fn txn_is_never_seen_in_part(store: &dyn Store) {
    const PAIRS: u32 = 200;
    const KEPT: u32 = 3;
    let pair = |side: &str, n: u32| format!("/pairs/{side}/{n:04}");
    // A list's revision is then never 0, which as a list option means the current revision.
    store.create("/pairs-start", value("s")).await.unwrap();
    let before = revision(store).await;
    let mut watch = store.watch("/pairs/", before).await.unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    // Each transaction writes pair n and deletes pair n - KEPT, interleaving the two sides.
    let writer = async {
        for n in 0..PAIRS {
            let mut ops = vec![TxnOp::put(pair("a", n), value(&n.to_string()))];
            if n >= KEPT {
                ops.push(TxnOp::delete(pair("a", n - KEPT)));
            }
            ops.push(TxnOp::put(pair("b", n), value(&n.to_string())));
            if n >= KEPT {
                ops.push(TxnOp::delete(pair("b", n - KEPT)));
            }
            let compares = vec![Compare::absent(pair("a", n)), Compare::absent(pair("b", n))];
            store.txn(compares, ops).await.unwrap();
            tokio::task::yield_now().await;
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let reader = async {
        let mut n_lists = 0;
        while !done.load(std::sync::atomic::Ordering::SeqCst) {
            let listed = store.list("/pairs/", ListOptions::default()).await.unwrap();
            let seen = whole_pairs(&listed);
            assert!(seen.len() <= KEPT as usize, "{seen:?}");
            // A list at a revision the store reported shows the same whole state.
            let again = ListOptions { revision: Some(listed.revision), ..ListOptions::default() };
            assert_eq!(whole_pairs(&store.list("/pairs/", again).await.unwrap()), seen);
            n_lists += 1;
            tokio::task::yield_now().await;
        }
        n_lists
    };
    let ((), n_lists) = futures::join!(writer, reader);
    assert!(n_lists > 0);
    let last = store.list("/pairs/", ListOptions::default()).await.unwrap();
    assert_eq!(whole_pairs(&last), (PAIRS - KEPT..PAIRS).collect::<Vec<_>>());

    // The watch delivers each transaction's writes together and in op order.
    for n in 0..PAIRS {
        let n_ops = if n >= KEPT { 4 } else { 2 };
        let events = take_events(&mut watch, n_ops).await;
        let mut expected = vec![(EventKind::Put, pair("a", n))];
        if n >= KEPT {
            expected.push((EventKind::Delete, pair("a", n - KEPT)));
        }
        expected.push((EventKind::Put, pair("b", n)));
        if n >= KEPT {
            expected.push((EventKind::Delete, pair("b", n - KEPT)));
        }
        assert_eq!(events.iter().map(|e| (e.kind, e.kv.key.clone())).collect::<Vec<_>>(), expected, "txn {n}");
        let last = events.last().unwrap().revision();
        check_txn_revisions(&events, events[0].revision() - 1, last);
    }
}

async fn watch_from_just_before_a_txn_sees_all_of_it(store: &dyn Store) {
    let gone = store.create("/j/gone", value("g")).await.unwrap();
    let before = revision(store).await;
    let ops = vec![
        TxnOp::put("/j/1", value("1")),
        TxnOp::delete("/j/gone"),
        TxnOp::put("/j/2", value("2")),
        TxnOp::put("/j/3", value("3")),
    ];
    let at = store.txn(vec![Compare::unchanged("/j/gone", gone.mod_revision)], ops).await.unwrap();
    let all = take_events(&mut store.watch("/j/", before).await.unwrap(), 4).await;
    check_txn_revisions(&all, before, at);
    // From just before the transaction's first revision (R - 1 on etcd, where all its writes are at R), a watch
    // delivers every key of it, with the same events.
    let first = all[0].revision();
    let again = take_events(&mut store.watch("/j/", first - 1).await.unwrap(), 4).await;
    assert_eq!(again, all);
    // From R - 1, a watch delivers every write made at R.
    let at_last: Vec<&Event> = all.iter().filter(|e| e.revision() == at).collect();
    let from_last = take_events(&mut store.watch("/j/", at - 1).await.unwrap(), at_last.len()).await;
    assert_eq!(from_last.iter().collect::<Vec<_>>(), at_last);
    // A list or get at R shows all of the transaction.
    let listed = store.list("/j/", ListOptions { revision: Some(at), ..ListOptions::default() }).await.unwrap();
    assert_eq!(keys(&listed.items), ["/j/1", "/j/2", "/j/3"]);
    for event in all.iter().filter(|e| e.kind == EventKind::Put) {
        assert_eq!(store.get(&event.kv.key, Some(at)).await.unwrap().as_ref(), Some(&event.kv));
    }
    assert_eq!(store.get("/j/gone", Some(at)).await.unwrap(), None);
}

async fn txn_limits_are_checked_before_anything_is_written(store: &dyn Store) {
    let existing = store.create("/lim/existing", value("v")).await.unwrap();
    let before = revision(store).await;
    let puts = |n: usize| (0..n).map(|idx| TxnOp::put(format!("/lim/{idx:03}"), value("v"))).collect::<Vec<_>>();
    let absent = |n: usize| (0..n).map(|idx| Compare::absent(format!("/lim/{idx:03}"))).collect::<Vec<_>>();
    let half = MAX_WRITE_BYTES / 2;
    let long_key = "/".repeat(MAX_WRITE_BYTES + 1);
    type Refusal = fn(&StoreError) -> bool;
    let cases: Vec<(&str, Vec<Compare>, Vec<TxnOp>, Refusal)> = vec![
        ("too many ops", vec![], puts(MAX_TXN_OPS + 1), |e| matches!(e, StoreError::InvalidTxn { .. })),
        ("too many compares", absent(MAX_TXN_OPS + 1), puts(1), |e| matches!(e, StoreError::InvalidTxn { .. })),
        (
            "over the size limit in all",
            vec![],
            vec![TxnOp::put("/lim/big-1", vec![b'x'; half]), TxnOp::put("/lim/big-2", vec![b'x'; half])],
            |e| matches!(e, StoreError::TooLarge { key, limit: MAX_WRITE_BYTES, .. } if key == "/lim/big-1"),
        ),
        (
            "one value over the limit",
            vec![],
            vec![TxnOp::put("/lim/000", value("v")), TxnOp::put("/lim/big", vec![b'x'; MAX_WRITE_BYTES])],
            |e| matches!(e, StoreError::TooLarge { key, .. } if key == "/lim/big"),
        ),
        (
            "a key written twice",
            vec![],
            vec![TxnOp::put("/lim/000", value("v")), TxnOp::delete("/lim/000")],
            |e| matches!(e, StoreError::InvalidTxn { reason } if reason.contains("/lim/000")),
        ),
        ("an empty key", vec![], vec![TxnOp::put("/lim/000", value("v")), TxnOp::put("", value("v"))], |e| {
            matches!(e, StoreError::InvalidKey { .. })
        }),
        ("an empty key to delete", vec![], vec![TxnOp::delete("")], |e| matches!(e, StoreError::InvalidKey { .. })),
        ("an empty compared key", vec![Compare::absent("")], puts(1), |e| matches!(e, StoreError::InvalidKey { .. })),
        ("a key with NUL", vec![], vec![TxnOp::put("/lim/a\0b", value("v"))], |e| {
            matches!(e, StoreError::InvalidKey { .. })
        }),
        ("an over-long key", vec![], vec![TxnOp::put("/lim/000", value("v")), TxnOp::delete(long_key.clone())], |e| {
            matches!(e, StoreError::TooLarge { .. })
        }),
        ("an over-long compared key", vec![Compare::absent(long_key.clone())], puts(1), |e| {
            matches!(e, StoreError::TooLarge { .. })
        }),
        ("a negative compare", vec![Compare::unchanged("/lim/existing", -1)], puts(1), |e| {
            matches!(e, StoreError::InvalidTxn { .. })
        }),
    ];
    for (case, compares, ops, expected) in cases {
        let error = store.txn(compares, ops).await.unwrap_err();
        assert!(expected(&error), "{case}: {error:?}");
        assert!(error.to_string().len() < 300, "{case}: the message stays short: {error}");
        assert_eq!(revision(store).await, before, "{case}: nothing was written");
        let listed = store.list("/lim/", ListOptions::default()).await.unwrap();
        assert_eq!(listed.items, std::slice::from_ref(&existing), "{case}: nothing was written");
    }
    // At the limits the store takes the transaction, and it keeps working.
    let at = store.txn(absent(MAX_TXN_OPS), puts(MAX_TXN_OPS)).await.expect("the most ops and compares");
    assert_eq!(store.list("/lim/", ListOptions::default()).await.unwrap().items.len(), MAX_TXN_OPS + 1);
    let deletes: Vec<TxnOp> = (0..MAX_TXN_OPS).map(|idx| TxnOp::delete(format!("/lim/{idx:03}"))).collect();
    store.txn(vec![], deletes).await.unwrap();
    let fits = MAX_WRITE_BYTES - "/lim/fit-1".len() * 2 - half;
    let ops = vec![TxnOp::put("/lim/fit-1", vec![b'y'; half]), TxnOp::put("/lim/fit-2", vec![b'y'; fits])];
    let last = store.txn(vec![], ops).await.expect("exactly the size limit in all");
    assert!(last > at);
    assert_eq!(store.get("/lim/fit-2", None).await.unwrap().unwrap().value.len(), fits);
}

async fn txns_and_writes_racing_for_one_key_have_one_winner(store: &dyn Store) {
    // Queued together, a transaction must see the write before it (SQLite plans a whole group at once).
    for round in 0..20 {
        let key = format!("/race-txn/{round}");
        let attempts = (0..20).map(|idx| {
            let key = key.clone();
            async move {
                if idx % 2 == 0 {
                    store.create(&key, value(&idx.to_string())).await.map(|_| ())
                } else {
                    let ops = vec![
                        TxnOp::put(key.as_str(), value(&idx.to_string())),
                        TxnOp::put(format!("{key}/by-txn"), value("t")),
                    ];
                    store.txn(vec![Compare::absent(key.as_str())], ops).await.map(|_| ())
                }
            }
        });
        let results = futures::future::join_all(attempts).await;
        let winners = results.iter().filter(|result| result.is_ok()).count();
        assert_eq!(winners, 1, "round {round}: exactly one wins: {results:?}");
        assert!(
            results
                .iter()
                .filter_map(|r| r.as_ref().err())
                .all(|e| matches!(e, StoreError::AlreadyExists { .. } | StoreError::TxnFailed { .. })),
            "{results:?}"
        );
        let winner = results.iter().position(Result::is_ok).unwrap();
        let stored = store.get(&key, None).await.unwrap().unwrap();
        assert_eq!(stored.value, value(&winner.to_string()), "round {round}");
        let by_txn = store.get(&format!("{key}/by-txn"), None).await.unwrap();
        assert_eq!(by_txn.is_some(), winner % 2 == 1, "round {round}: the rest of a transaction goes with it");
    }
}

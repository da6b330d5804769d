use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use store::MemoryStore;

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Thing {
    name: String,
    size: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Name {
    name: String,
}

/// Decodes through the cache, counting the decodes.
fn decode<T: Send + Sync + 'static>(
    cache: &DecodeCache,
    key: &str,
    revision: Revision,
    decodes: &AtomicUsize,
    value: T,
) -> Arc<T> {
    cache
        .decode(key, revision, || {
            decodes.fetch_add(1, Ordering::SeqCst);
            Ok::<_, RecordError>(value)
        })
        .unwrap()
}

#[test]
fn a_key_is_decoded_once_per_revision_and_type() {
    let cache = DecodeCache::default();
    let decodes = AtomicUsize::new(0);
    let first = decode(&cache, "/k", 5, &decodes, Thing { name: "a".into(), size: 1 });
    let again = decode(&cache, "/k", 5, &decodes, Thing { name: "ignored".into(), size: 0 });
    assert!(Arc::ptr_eq(&first, &again), "the same revision is served from the cache");
    assert_eq!(decodes.load(Ordering::SeqCst), 1);

    let newer = decode(&cache, "/k", 6, &decodes, Thing { name: "b".into(), size: 2 });
    assert_eq!(*newer, Thing { name: "b".into(), size: 2 }, "a new revision is decoded anew");
    let other_type = decode(&cache, "/k", 6, &decodes, Name { name: "b".into() });
    assert_eq!(*other_type, Name { name: "b".into() }, "another type is decoded anew");
    assert_eq!(decodes.load(Ordering::SeqCst), 3);
}

#[test]
fn a_failed_decode_is_not_kept() {
    let cache = DecodeCache::default();
    let failed = cache.decode::<Thing, _>("/k", 1, || Err(RecordError::NotFound("/k".into())));
    assert!(failed.is_err());
    let decodes = AtomicUsize::new(0);
    decode(&cache, "/k", 1, &decodes, Thing { name: "a".into(), size: 1 });
    assert_eq!(decodes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn reads_follow_writes_through_the_cache() {
    let records = Records::new(Arc::new(MemoryStore::new()));
    let revision = records.create("/aws/a/things/x", &Thing { name: "x".into(), size: 1 }).await.unwrap();
    let shared = records.get_shared::<Thing>("/aws/a/things/x").await.unwrap().unwrap();
    let listed = records.list_shared::<Thing>("/aws/a/things/").await.unwrap();
    assert!(Arc::ptr_eq(&shared.value, &listed[0].value), "a list shares what a get decoded");

    records.update("/aws/a/things/x", &Thing { name: "x".into(), size: 2 }, revision).await.unwrap();
    let read = records.get::<Thing>("/aws/a/things/x").await.unwrap().unwrap();
    assert_eq!(read.value.size, 2, "a write is seen at once");
    let listed = records.list::<Thing>("/aws/a/things/").await.unwrap();
    assert_eq!(listed.iter().map(|stored| stored.value.size).collect::<Vec<_>>(), [2]);
    assert_eq!(shared.value.size, 1, "what a reader holds does not change under it");
}

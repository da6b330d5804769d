//! What only the SQLite backend has to get right: surviving restarts, and refusing files it must not touch.

use std::path::Path;

use bytes::Bytes;
use futures::StreamExt;
use store::{EventKind, ListOptions, SqliteStore, Store, StoreError};

const DB: &str = "ekslite.db";

async fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(dir).await.expect("open sqlite store")
}

fn value(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

#[tokio::test]
async fn reopening_keeps_data_history_and_the_revision_counter() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let a1 = store.create("/a", value("1")).await.unwrap();
    let a2 = store.update("/a", value("2"), a1.mod_revision).await.unwrap();
    store.create("/b", value("b")).await.unwrap();
    let (_, deleted_at) = store.delete("/b", None).await.unwrap();
    store.close().await.unwrap();
    drop(store);

    let store = open(dir.path()).await;
    assert_eq!(store.status().await.unwrap().revision, deleted_at);
    assert_eq!(store.get("/a", None).await.unwrap(), Some(a2.clone()));
    assert_eq!(store.get("/a", Some(a1.mod_revision)).await.unwrap(), Some(a1.clone()));
    assert_eq!(store.get("/b", None).await.unwrap(), None);
    // History replays to a watch after the restart, with previous values.
    let mut watch = store.watch("/", 0).await.unwrap();
    let kinds: Vec<(EventKind, String, bool)> = watch
        .by_ref()
        .take(4)
        .map(|event| {
            let event = event.unwrap();
            (event.kind, event.kv.key, event.prev.is_some())
        })
        .collect()
        .await;
    assert_eq!(
        kinds,
        [
            (EventKind::Put, "/a".into(), false),
            (EventKind::Put, "/a".into(), true),
            (EventKind::Put, "/b".into(), false),
            (EventKind::Delete, "/b".into(), true),
        ]
    );
    let next = store.create("/c", value("c")).await.unwrap();
    assert_eq!(next.mod_revision, deleted_at + 1, "revisions continue after a restart");
}

#[tokio::test]
async fn revisions_are_never_reused_after_compaction_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let kept = store.create("/kept", value("v")).await.unwrap();
    store.create("/gone", value("v")).await.unwrap();
    let (_, last) = store.delete("/gone", None).await.unwrap();
    store.compact(last).await.unwrap();
    store.close().await.unwrap();
    drop(store);

    // The rows of the newest revisions are gone, but the counter is not reset.
    let store = open(dir.path()).await;
    let status = store.status().await.unwrap();
    assert_eq!((status.revision, status.compacted), (last, last));
    assert_eq!(store.get("/kept", None).await.unwrap(), Some(kept.clone()));
    assert!(matches!(store.get("/kept", Some(last - 1)).await, Err(StoreError::Compacted { .. })));
    assert!(matches!(store.watch("/", last - 1).await, Err(StoreError::Compacted { .. })));
    assert_eq!(store.create("/new", value("v")).await.unwrap().mod_revision, last + 1);
    let listed = store.list("/", ListOptions::default()).await.unwrap();
    assert_eq!(listed.items.iter().map(|kv| kv.key.as_str()).collect::<Vec<_>>(), ["/kept", "/new"]);
}

#[tokio::test]
async fn compaction_shrinks_the_log_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let mut last = store.create("/hot", value("0")).await.unwrap();
    for idx in 1..500 {
        last = store.update("/hot", value(&idx.to_string()), last.mod_revision).await.unwrap();
    }
    store.compact(last.mod_revision).await.unwrap();
    store.close().await.unwrap();
    drop(store);
    let connection = rusqlite_count(&dir.path().join(DB));
    assert_eq!(connection, 1, "only the live version of the key is left");
    let store = open(dir.path()).await;
    assert_eq!(store.get("/hot", None).await.unwrap(), Some(last));
}

fn rusqlite_count(path: &Path) -> i64 {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection.query_row("SELECT count(*) FROM log", [], |row| row.get(0)).unwrap()
}

/// Opening must fail with [`StoreError::UnusableDatabase`] mentioning `reason`, and leave the file as it was.
async fn check_refused(dir: &Path, reason: &str) {
    let path = dir.join(DB);
    let before = std::fs::read(&path).unwrap();
    let error = SqliteStore::open(dir).await.expect_err("the file must be refused");
    let message = error.to_string();
    assert!(matches!(error, StoreError::UnusableDatabase { .. }), "{error:?}");
    assert!(message.contains(reason), "{message:?} should say {reason:?}");
    assert!(message.contains(&path.display().to_string()), "{message:?} names the file");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file is untouched");
    for suffix in ["-wal", "-shm", "-journal"] {
        let side = dir.join(format!("{DB}{suffix}"));
        assert!(!side.exists() || std::fs::metadata(&side).unwrap().len() == 0, "{} was written", side.display());
    }
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(DB), b"{\"this is\": \"a JSON file, not a database\"}\n".repeat(100)).unwrap();
    check_refused(dir.path(), "not an SQLite database").await;
    std::fs::write(dir.path().join(DB), b"SQLite").unwrap();
    check_refused(dir.path(), "not an SQLite database").await;
}

#[tokio::test]
async fn another_applications_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let connection = rusqlite::Connection::open(dir.path().join(DB)).unwrap();
        connection
            .execute_batch(
                "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'x');",
            )
            .unwrap();
    }
    check_refused(dir.path(), "did not create").await;
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path()).await.close().await.unwrap();
    {
        let connection = rusqlite::Connection::open(dir.path().join(DB)).unwrap();
        connection.pragma_update(None, "user_version", 99).unwrap();
        connection.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    check_refused(dir.path(), "schema version is 99").await;
}

#[tokio::test]
async fn a_damaged_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    for idx in 0..400 {
        store
            .create(&format!("/registry/configmaps/default/cm-{idx:04}"), Bytes::from(vec![b'x'; 1000]))
            .await
            .unwrap();
    }
    store.close().await.unwrap();
    drop(store);
    // Overwrite pages in the middle of the file (past the header and the schema page) with garbage.
    let path = dir.path().join(DB);
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    assert!(bytes.len() > 20 * page, "the database spans many pages");
    for (offset, byte) in bytes[4 * page..12 * page].iter_mut().enumerate() {
        *byte = (offset * 7 % 251) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();
    check_refused(dir.path(), "damaged").await;
}

#[tokio::test]
async fn an_empty_file_becomes_a_new_store() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(DB), b"").unwrap();
    let store = open(dir.path()).await;
    assert_eq!(store.create("/k", value("v")).await.unwrap().mod_revision, 1);
}

#[tokio::test]
async fn a_directory_in_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path()).await;
    let second = SqliteStore::open(dir.path()).await.expect_err("a second open of the same directory");
    assert!(matches!(second, StoreError::Locked { .. }), "{second:?}");
    assert!(second.to_string().contains("in use by another ekslite process"), "{second}");
    first.close().await.unwrap();
    drop(first);
    open(dir.path()).await;
}

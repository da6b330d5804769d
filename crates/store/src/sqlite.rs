//! The SQLite backend: every write is a row appended to one log table, and the row id is the revision.
//!
//! One writer thread owns the connection. Writes queue up on a channel; the thread takes whatever has queued,
//! checks each write against the latest state (including the writes before it in the same group), inserts the
//! group in one transaction and commits it with a single fsync (WAL, `synchronous=FULL`). Only then does it
//! apply the group to the in-memory index and answer the callers, so an acknowledged write is on disk. A store
//! transaction is one request of a group: its ops become consecutive rows of the same SQLite transaction, so a
//! crash keeps all of them or none.
//! Reads and watches are served from the in-memory index and never touch SQLite.
//!
//! On open, the whole log is replayed into memory. Compaction deletes the rows that no kept revision can see.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};

use crate::mvcc::{Mutation, Mvcc, Planned, WriteOp};
use crate::{Compare, KeyValue, ListOptions, ListResult, Revision, Store, StoreError, StoreStatus, TxnOp, WatchStream};

/// The file inside the data directory that holds the log.
pub const DATABASE_FILE: &str = "ekslite.db";
const LOCK_FILE: &str = "ekslite.lock";

/// `PRAGMA application_id` of an ekslite database: "EKSL".
const APPLICATION_ID: i32 = 0x454b_534c;
/// `PRAGMA user_version`: the schema this code reads and writes.
const SCHEMA_VERSION: i32 = 1;

/// The most requests one transaction takes.
const MAX_GROUP: usize = 4096;

const SCHEMA: &str = "
    CREATE TABLE log (
        revision        INTEGER PRIMARY KEY AUTOINCREMENT,
        key             TEXT    NOT NULL,
        create_revision INTEGER NOT NULL,
        deleted         INTEGER NOT NULL CHECK (deleted IN (0, 1)),
        value           BLOB    NOT NULL
    );
    CREATE TABLE meta (
        name  TEXT    PRIMARY KEY,
        value INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO meta (name, value) VALUES ('compacted', 0);
";

/// Where the writer answers a write.
type Reply = oneshot::Sender<Result<Planned, StoreError>>;

enum Request {
    Write { op: WriteOp, reply: Reply },
    Compact { revision: Revision, reply: oneshot::Sender<Result<(), StoreError>> },
    Close { reply: oneshot::Sender<()> },
}

#[derive(Debug)]
pub struct SqliteStore {
    mvcc: Arc<Mvcc>,
    requests: mpsc::Sender<Request>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    path: PathBuf,
    /// Held for the store's lifetime: an exclusive lock on the data directory.
    _lock: File,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Write { op, .. } => f.debug_struct("Write").field("key", &op.first_key()).finish(),
            Request::Compact { revision, .. } => f.debug_struct("Compact").field("revision", revision).finish(),
            Request::Close { .. } => f.write_str("Close"),
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `data_dir`. Refuses a database file that is not an ekslite one
    /// or is damaged, and a directory that another process has open; nothing is written in either case.
    pub async fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        let data_dir = data_dir.to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(&data_dir)).await.expect("sqlite open task panicked")
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open_blocking(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::Io { context: format!("creating {}", data_dir.display()), source })?;
        let lock = lock_directory(data_dir)?;
        let path = data_dir.join(DATABASE_FILE);
        let connection = open_database(&path)?;
        let mvcc = Arc::new(load(&connection)?);
        let (requests, receiver) = mpsc::channel(MAX_GROUP);
        let writer = {
            let mvcc = Arc::clone(&mvcc);
            std::thread::Builder::new()
                .name("sqlite-writer".into())
                .spawn(move || Writer { connection, mvcc, receiver }.run())
                .map_err(|source| StoreError::Io { context: "starting the sqlite writer".into(), source })?
        };
        tracing::info!(path = %path.display(), revision = mvcc.revision(), compacted = mvcc.compacted(), "sqlite store open");
        Ok(SqliteStore { mvcc, requests, writer: Mutex::new(Some(writer)), path, _lock: lock })
    }

    async fn write(&self, op: WriteOp) -> Result<Planned, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(Request::Write { op, reply }).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    fn open_index(&self) -> Result<&Mvcc, StoreError> {
        if self.mvcc.is_closed() { Err(StoreError::Closed) } else { Ok(&self.mvcc) }
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn status(&self) -> Result<StoreStatus, StoreError> {
        let mvcc = self.open_index()?;
        Ok(StoreStatus { backend: "sqlite", revision: mvcc.revision(), compacted: mvcc.compacted() })
    }

    async fn get(&self, key: &str, revision: Option<Revision>) -> Result<Option<KeyValue>, StoreError> {
        crate::check_key(key)?;
        self.open_index()?.get(key, revision)
    }

    async fn list(&self, prefix: &str, options: ListOptions) -> Result<ListResult, StoreError> {
        self.open_index()?.list(prefix, &options)
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError> {
        crate::check_write(key, &value)?;
        let mutation = self.write(WriteOp::Create { key: key.to_owned(), value }).await?.single();
        Ok(mutation.after().expect("a create leaves a value"))
    }

    async fn update(&self, key: &str, value: Bytes, expected: Revision) -> Result<KeyValue, StoreError> {
        crate::check_write(key, &value)?;
        let mutation = self.write(WriteOp::Update { key: key.to_owned(), value, expected }).await?.single();
        Ok(mutation.after().expect("an update leaves a value"))
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<(KeyValue, Revision), StoreError> {
        crate::check_key(key)?;
        let mutation = self.write(WriteOp::Delete { key: key.to_owned(), expected }).await?.single();
        Ok((mutation.prev.expect("a delete has a previous value"), mutation.revision))
    }

    async fn txn(&self, compares: Vec<Compare>, ops: Vec<TxnOp>) -> Result<Revision, StoreError> {
        crate::check_txn(&compares, &ops)?;
        Ok(self.write(WriteOp::Txn { compares, ops }).await?.revision)
    }

    async fn watch(&self, prefix: &str, after_revision: Revision) -> Result<WatchStream, StoreError> {
        crate::watch::watch(&self.mvcc, prefix, after_revision)
    }

    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        if !self.open_index()?.check_compact(revision)? {
            return Ok(());
        }
        let (reply, answer) = oneshot::channel();
        self.requests.send(Request::Compact { revision, reply }).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    async fn close(&self) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        if self.requests.send(Request::Close { reply }).await.is_ok() {
            // The writer answers after committing everything queued before the close.
            let _ = answer.await;
        }
        self.mvcc.close();
        let writer = self.writer.lock().expect("writer handle lock poisoned").take();
        if let Some(writer) = writer {
            tokio::task::spawn_blocking(move || writer.join()).await.expect("joining the sqlite writer").map_err(
                |_| StoreError::Io {
                    context: "sqlite writer".into(),
                    source: std::io::Error::other("the writer thread panicked"),
                },
            )?;
        }
        Ok(())
    }
}

fn lock_directory(data_dir: &Path) -> Result<File, StoreError> {
    let path = data_dir.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| StoreError::Io { context: format!("opening {}", path.display()), source })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked { path: data_dir.to_owned() }),
        Err(std::fs::TryLockError::Error(source)) => {
            Err(StoreError::Io { context: format!("locking {}", path.display()), source })
        }
    }
}

/// Opens the database file, creating the schema in a new or empty file, and refuses anything else that is not
/// an intact ekslite database.
fn open_database(path: &Path) -> Result<Connection, StoreError> {
    let unusable = |reason: String| StoreError::UnusableDatabase { path: path.to_owned(), reason };
    let exists_with_content = std::fs::metadata(path).map(|m| m.len() > 0).unwrap_or(false);
    if exists_with_content {
        let mut header = [0u8; 16];
        let read = File::open(path)
            .and_then(|mut file| file.read_exact(&mut header))
            .map_err(|source| StoreError::Io { context: format!("reading {}", path.display()), source });
        if read.is_err() || &header != b"SQLite format 3\0" {
            return Err(unusable("it is not an SQLite database".into()));
        }
    }
    let connection = Connection::open(path)?;
    let describe = |error: rusqlite::Error| match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            unusable(format!("the database is damaged ({error})"))
        }
        _ => StoreError::from(error),
    };
    let application_id: i32 =
        connection.pragma_query_value(None, "application_id", |row| row.get(0)).map_err(describe)?;
    let n_tables: i64 = connection
        .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", [], |row| row.get(0))
        .map_err(describe)?;
    if application_id == 0 && n_tables == 0 {
        connection.pragma_update(None, "journal_mode", "WAL")?;
        let transaction = connection.unchecked_transaction()?;
        transaction.execute_batch(SCHEMA)?;
        transaction.pragma_update(None, "application_id", APPLICATION_ID)?;
        transaction.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        transaction.commit()?;
    } else if application_id != APPLICATION_ID {
        return Err(unusable(format!(
            "it is an SQLite database that ekslite did not create (application_id {application_id:#x}, {n_tables} tables)"
        )));
    } else {
        let schema: i32 = connection.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(describe)?;
        if schema != SCHEMA_VERSION {
            return Err(unusable(format!(
                "its schema version is {schema}; this ekslite reads version {SCHEMA_VERSION}"
            )));
        }
        let check: String = connection.pragma_query_value(None, "quick_check", |row| row.get(0)).map_err(describe)?;
        if check != "ok" {
            return Err(unusable(format!("the database is damaged (quick_check: {check})")));
        }
    }
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    Ok(connection)
}

/// Replays the log into a fresh index.
fn load(connection: &Connection) -> Result<Mvcc, StoreError> {
    let compacted: Revision =
        connection.query_row("SELECT value FROM meta WHERE name = 'compacted'", [], |row| row.get(0))?;
    let sequence: Option<Revision> =
        connection.query_row("SELECT seq FROM sqlite_sequence WHERE name = 'log'", [], |row| row.get(0)).optional()?;
    let mvcc = Mvcc::new(0, compacted);
    let mut statement =
        connection.prepare("SELECT revision, key, create_revision, deleted, value FROM log ORDER BY revision")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let revision: Revision = row.get(0)?;
        let key: String = row.get(1)?;
        let deleted: bool = row.get(3)?;
        let value: Vec<u8> = row.get(4)?;
        let mutation = Mutation {
            prev: mvcc.latest(&key),
            key,
            revision,
            create_revision: row.get(2)?,
            value: (!deleted).then(|| Bytes::from(value)),
        };
        mvcc.apply(std::slice::from_ref(&mutation), revision > compacted);
    }
    // The counter continues past rows that compaction removed.
    let revision = sequence.unwrap_or(0).max(compacted).max(mvcc.revision());
    if revision > mvcc.revision() {
        mvcc.advance(revision);
    }
    Ok(mvcc)
}

struct Writer {
    connection: Connection,
    mvcc: Arc<Mvcc>,
    receiver: mpsc::Receiver<Request>,
}

/// The writes of one group, checked but not yet committed.
#[derive(Default)]
struct Group {
    /// The mutations of every accepted write, in revision order.
    mutations: Vec<Mutation>,
    /// The accepted writes in order, each with how many of `mutations` it planned (none for a transaction that
    /// changes nothing) and the revision it answers with.
    accepted: Vec<(Reply, usize, Revision)>,
    /// Writes refused against the group's state; answered once the group's fate is known.
    refused: Vec<(Reply, StoreError)>,
    /// The latest state of each key the group wrote.
    written: HashMap<String, Option<KeyValue>>,
}

impl Writer {
    fn run(mut self) {
        let mut requests = Vec::with_capacity(MAX_GROUP);
        while let Some(first) = self.receiver.blocking_recv() {
            requests.push(first);
            while requests.len() < MAX_GROUP {
                match self.receiver.try_recv() {
                    Ok(request) => requests.push(request),
                    Err(_) => break,
                }
            }
            let mut group = Group::default();
            for request in requests.drain(..) {
                match request {
                    Request::Write { op, reply } => self.plan(&mut group, op, reply),
                    Request::Compact { revision, reply } => {
                        self.commit(std::mem::take(&mut group));
                        let _ = reply.send(self.compact(revision));
                    }
                    Request::Close { reply } => {
                        self.commit(std::mem::take(&mut group));
                        self.receiver.close();
                        // Whatever raced in before the close is still committed.
                        while let Ok(Request::Write { op, reply }) = self.receiver.try_recv() {
                            self.plan(&mut group, op, reply);
                        }
                        self.commit(std::mem::take(&mut group));
                        if let Err(error) = self.connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
                            tracing::warn!(%error, "sqlite checkpoint at close failed");
                        }
                        let _ = reply.send(());
                        return;
                    }
                }
            }
            self.commit(group);
        }
    }

    fn plan(&self, group: &mut Group, op: WriteOp, reply: Reply) {
        let current = |key: &str| match group.written.get(key) {
            Some(state) => state.clone(),
            None => self.mvcc.latest(key),
        };
        let revision = self.mvcc.revision() + group.mutations.len() as Revision + 1;
        match op.plan(current, revision) {
            Ok(planned) => {
                for mutation in &planned.mutations {
                    group.written.insert(mutation.key.clone(), mutation.after());
                }
                group.accepted.push((reply, planned.mutations.len(), planned.revision));
                group.mutations.extend(planned.mutations);
            }
            Err(error) => group.refused.push((reply, error)),
        }
    }

    fn commit(&mut self, group: Group) {
        // With nothing to write, every answer already stands on committed state.
        let committed = if group.mutations.is_empty() { Ok(()) } else { self.insert(&group.mutations) };
        match committed {
            Ok(()) => {
                self.mvcc.apply(&group.mutations, true);
                let mut mutations = group.mutations.into_iter();
                for (reply, n_mutations, revision) in group.accepted {
                    let mutations = mutations.by_ref().take(n_mutations).collect();
                    let _ = reply.send(Ok(Planned { mutations, revision }));
                }
                for (reply, error) in group.refused {
                    let _ = reply.send(Err(error));
                }
            }
            Err(error) => {
                tracing::error!(%error, n_writes = group.mutations.len(), "sqlite commit failed");
                let error = Arc::new(error);
                let replies = group
                    .accepted
                    .into_iter()
                    .map(|(reply, ..)| reply)
                    .chain(group.refused.into_iter().map(|(reply, _)| reply));
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Sqlite(Arc::clone(&error))));
                }
            }
        }
    }

    fn insert(&mut self, mutations: &[Mutation]) -> Result<(), rusqlite::Error> {
        let transaction = self.connection.transaction()?;
        {
            let mut insert = transaction.prepare_cached(
                "INSERT INTO log (revision, key, create_revision, deleted, value) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for mutation in mutations {
                let value: &[u8] = mutation.value.as_deref().unwrap_or_default();
                insert.execute(params![
                    mutation.revision,
                    mutation.key,
                    mutation.create_revision,
                    mutation.value.is_none(),
                    value
                ])?;
            }
        }
        transaction.commit()
    }

    fn compact(&mut self, revision: Revision) -> Result<(), StoreError> {
        if !self.mvcc.check_compact(revision)? {
            return Ok(());
        }
        let victims = self.mvcc.compaction_victims(revision);
        let transaction = self.connection.transaction()?;
        {
            let mut delete = transaction.prepare_cached("DELETE FROM log WHERE revision = ?1")?;
            for victim in &victims {
                delete.execute([victim])?;
            }
            transaction.execute("UPDATE meta SET value = ?1 WHERE name = 'compacted'", [revision])?;
        }
        transaction.commit()?;
        self.mvcc.compact(revision);
        tracing::debug!(revision, n_rows = victims.len(), "compacted");
        Ok(())
    }
}

//! The errors every backend reports, in one vocabulary.

use std::path::PathBuf;
use std::sync::Arc;

use crate::{KeyValue, Revision};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The key does not exist (update or delete).
    #[error("key {key:?} not found")]
    NotFound { key: String },

    /// The key exists already (create).
    #[error("key {key:?} already exists")]
    AlreadyExists { key: String },

    /// The key's `mod_revision` is not the expected one; `current` is what it holds now.
    #[error("key {:?} changed: expected mod_revision {expected}, found {}", current.key, current.mod_revision)]
    Conflict { expected: Revision, current: Box<KeyValue> },

    /// A compare of a transaction did not hold, so nothing was written: the first failing one, with the key's
    /// current state (`None` when it does not exist).
    #[error(
        "transaction refused: key {key:?} was expected {}, but is {}",
        expected_state(*expected),
        current_state(current.as_deref())
    )]
    TxnFailed { key: String, expected: Revision, current: Option<Box<KeyValue>> },

    /// The transaction cannot run as given: too many ops or compares, a key written twice, a negative revision.
    #[error("invalid transaction: {reason}")]
    InvalidTxn { reason: String },

    /// The requested revision is older than the compaction point. `compacted` is 0 when the backend did not say.
    #[error("revision {requested} has been compacted (compacted through {compacted})")]
    Compacted { requested: Revision, compacted: Revision },

    /// The requested revision is newer than the store's current revision.
    #[error("revision {requested} is in the future (current revision is {current})")]
    FutureRevision { requested: Revision, current: Revision },

    /// The write is larger than one request may be.
    #[error("write to key {key:?} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { key: String, size: usize, limit: usize },

    /// The key cannot be stored.
    #[error("invalid key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },

    /// The store has been closed.
    #[error("store is closed")]
    Closed,

    /// The database file exists but is not one this store can use; it has been left untouched.
    #[error("refusing to open {}: {reason}", path.display())]
    UnusableDatabase { path: PathBuf, reason: String },

    /// Another process holds the data directory.
    #[error("{} is in use by another ekslite process", path.display())]
    Locked { path: PathBuf },

    // The two variants below quote their cause in their message and so do not also report it as `source`,
    // which would print it twice in an error chain.
    /// SQLite failed. Shared because one failed commit fails every write of its group.
    #[error("sqlite: {0}")]
    Sqlite(Arc<rusqlite::Error>),

    /// etcd failed.
    #[error("etcd: {0}")]
    Etcd(etcd_client::Error),

    /// No etcd member answered.
    #[error("no etcd member at {endpoints} answered within {timeout:?} ({detail})")]
    EtcdUnreachable { endpoints: String, timeout: std::time::Duration, detail: String },

    /// A file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

/// A compare's expectation, in words.
fn expected_state(expected: Revision) -> String {
    match expected {
        0 => "not to exist".to_owned(),
        revision => format!("at mod_revision {revision}"),
    }
}

/// A key's current state, in words.
fn current_state(current: Option<&KeyValue>) -> String {
    match current {
        None => "absent".to_owned(),
        Some(kv) => format!("at mod_revision {}", kv.mod_revision),
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Sqlite(Arc::new(error))
    }
}

//! A revisioned key-value store with watch: the part of etcd's contract that a Kubernetes API server relies on.
//!
//! Every write gets the next value of one global revision counter. Each key remembers the revision that created
//! it and the revision that last changed it, so writers can compare-and-swap on `mod_revision`. Reads can be
//! served at any revision that has not been compacted away, and `watch` replays every change after a revision
//! and then follows new ones. A transaction ([`Store::txn`]) writes several keys at once, each guarded by the
//! revision it was read at, or nothing at all.
//!
//! The crate knows nothing about Kubernetes or AWS: keys are strings, values are bytes. Three backends implement
//! [`Store`] and pass one test suite:
//! - [`SqliteStore`], the default: an append-only log table in SQLite (durable, group-committed), with the
//!   history held in memory so that reads and watches never touch the database;
//! - [`EtcdStore`]: a real etcd v3 cluster, for several ekslite servers sharing state;
//! - [`MemoryStore`]: the same in-memory engine without persistence, for tests and large simulations.
//!
//! [`CachedStore`] puts a watch cache in front of a remote backend (etcd), so that lists and watches are served
//! from memory there too.

mod cached;
mod compactor;
mod error;
mod etcd;
mod memory;
mod mvcc;
mod sqlite;
mod watch;

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

pub use cached::CachedStore;
pub use compactor::{CompactionPolicy, Compactor};
pub use error::StoreError;
pub use etcd::EtcdStore;
pub use memory::MemoryStore;
pub use sqlite::SqliteStore;

/// A point in the store's history. Revisions start at 1 with the first write and only grow; 0 means "none".
pub type Revision = i64;

/// The largest key plus value one write may carry: etcd's default request limit (`--max-request-bytes`).
pub const MAX_WRITE_BYTES: usize = 1536 * 1024;

/// The most writes one transaction may carry, and the most compares: etcd's default `--max-txn-ops`.
pub const MAX_TXN_OPS: usize = 128;

/// A key with the value it holds at some revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Bytes,
    /// The revision of the write that created the key (since it last did not exist).
    pub create_revision: Revision,
    /// The revision of the write that last changed the key.
    pub mod_revision: Revision,
}

/// What a watch reports for one write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// For a put, the key's new state. For a delete, the key with an empty value, `create_revision` 0 and
    /// `mod_revision` set to the revision of the delete (as etcd reports it).
    pub kv: KeyValue,
    /// The key's state before this write, if it existed.
    pub prev: Option<KeyValue>,
}

impl Event {
    /// The revision at which this event happened.
    pub fn revision(&self) -> Revision {
        self.kv.mod_revision
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Put,
    Delete,
}

/// An ordered stream of the events after some revision. It ends with an error item when it can no longer
/// continue (the history it needs was compacted, the backend failed) and ends plainly when the store closes.
pub type WatchStream = BoxStream<'static, Result<Event, StoreError>>;

/// How to page through a prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// At most this many items; `None` (or 0, as in etcd and Kubernetes) for all of them.
    pub limit: Option<usize>,
    /// Only keys after this one (exclusive): the last key of the previous page.
    pub start_after: Option<String>,
    /// Read the prefix as it was at this revision; `None` for the current revision.
    pub revision: Option<Revision>,
}

/// One page of a prefix, consistent at one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListResult {
    pub items: Vec<KeyValue>,
    /// The revision the page was read at. Pass it back as [`ListOptions::revision`] to read the next page
    /// from the same snapshot.
    pub revision: Revision,
    /// Whether keys remain after the last item.
    pub more: bool,
}

/// A condition of a transaction: the key's current `mod_revision` must be `mod_revision`; 0 means the key must
/// not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compare {
    pub key: String,
    pub mod_revision: Revision,
}

impl Compare {
    /// The key must not exist.
    pub fn absent(key: impl Into<String>) -> Compare {
        Compare { key: key.into(), mod_revision: 0 }
    }

    /// The key must still be as it was read: last changed at `mod_revision`.
    pub fn unchanged(key: impl Into<String>, mod_revision: Revision) -> Compare {
        Compare { key: key.into(), mod_revision }
    }
}

/// A write of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnOp {
    /// Creates the key or replaces its value.
    Put { key: String, value: Bytes },
    /// Deletes the key; nothing happens if it does not exist.
    Delete { key: String },
}

impl TxnOp {
    pub fn put(key: impl Into<String>, value: impl Into<Bytes>) -> TxnOp {
        TxnOp::Put { key: key.into(), value: value.into() }
    }

    pub fn delete(key: impl Into<String>) -> TxnOp {
        TxnOp::Delete { key: key.into() }
    }

    /// The key the op writes.
    pub fn key(&self) -> &str {
        match self {
            TxnOp::Put { key, .. } | TxnOp::Delete { key } => key,
        }
    }
}

/// Where the store stands, for health reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreStatus {
    /// `sqlite`, `etcd` or `memory`.
    pub backend: &'static str,
    pub revision: Revision,
    /// History at and before this revision has been compacted away (0 when never compacted).
    pub compacted: Revision,
}

/// The contract every backend fulfils. All methods are safe to call concurrently.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The backend's revision counter and compaction point.
    async fn status(&self) -> Result<StoreStatus, StoreError>;

    /// The key's value at `revision` (the current one when `None`), or `None` if it did not exist then.
    async fn get(&self, key: &str, revision: Option<Revision>) -> Result<Option<KeyValue>, StoreError>;

    /// The keys under `prefix` in key order, paged as `options` says.
    async fn list(&self, prefix: &str, options: ListOptions) -> Result<ListResult, StoreError>;

    /// Writes a new key. Fails with [`StoreError::AlreadyExists`] if it exists.
    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError>;

    /// Replaces the value of a key whose `mod_revision` is `expected_mod_revision`. Fails with
    /// [`StoreError::NotFound`] if the key does not exist and with [`StoreError::Conflict`] (carrying the
    /// current state) if it changed since.
    async fn update(&self, key: &str, value: Bytes, expected_mod_revision: Revision) -> Result<KeyValue, StoreError>;

    /// Deletes a key, if `expected_mod_revision` is given only when it still has that `mod_revision`. Returns
    /// the deleted state and the revision of the delete.
    async fn delete(
        &self,
        key: &str,
        expected_mod_revision: Option<Revision>,
    ) -> Result<(KeyValue, Revision), StoreError>;

    /// Applies every op if every compare holds, else nothing, atomically: no reader ever sees part of a
    /// transaction. Returns the revision of the transaction's last write (the current revision when it writes
    /// nothing: no ops, or only deletes of keys that do not exist).
    ///
    /// When a compare fails the error is [`StoreError::TxnFailed`] for the first failing compare, with the key's
    /// current state, and no revision is taken. A key may appear in at most one op, and a transaction carries at
    /// most [`MAX_TXN_OPS`] ops and as many compares, every key and value checked as single writes are, and at
    /// most [`MAX_WRITE_BYTES`] of keys (compared or written) and values in all; anything else is refused with
    /// [`StoreError::InvalidTxn`], [`StoreError::InvalidKey`] or [`StoreError::TooLarge`] before the backend
    /// sees it.
    ///
    /// A transaction's writes have revisions above every earlier write and are reported by watches in op order,
    /// each with the key's previous state. They may share one revision: etcd gives all of them the
    /// transaction's revision, while SQLite and memory give each op its own, consecutive ones. Every revision
    /// the store reports (its status, a list's revision, the revision `txn` returns) lies between transactions,
    /// so a read at one sees each transaction whole; only a revision strictly inside a transaction's range
    /// (the `mod_revision` of one of its earlier ops on SQLite and memory) shows the ops up to it.
    async fn txn(&self, compares: Vec<Compare>, ops: Vec<TxnOp>) -> Result<Revision, StoreError>;

    /// Every event under `prefix` after `after_revision`, in revision order, then new ones as they happen.
    /// Fails with [`StoreError::Compacted`] if events after `after_revision` are no longer kept.
    async fn watch(&self, prefix: &str, after_revision: Revision) -> Result<WatchStream, StoreError>;

    /// Forgets history before `revision`: reads at older revisions and watches from before it fail with
    /// [`StoreError::Compacted`] afterwards. Compacting to an already compacted revision does nothing.
    async fn compact(&self, revision: Revision) -> Result<(), StoreError>;

    /// Finishes every accepted write and releases the backend. Later calls fail with [`StoreError::Closed`]
    /// and open watches end.
    async fn close(&self) -> Result<(), StoreError>;
}

/// A shared handle to any backend.
pub type DynStore = Arc<dyn Store>;

/// Which backend to open, as `--store` spells it: `sqlite`, `memory` or `etcd://host:port[,host:port...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    Sqlite,
    Memory,
    Etcd { endpoints: Vec<String> },
}

impl std::str::FromStr for StoreConfig {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, String> {
        match spec {
            "sqlite" => Ok(StoreConfig::Sqlite),
            "memory" => Ok(StoreConfig::Memory),
            _ => {
                let Some(hosts) = spec.strip_prefix("etcd://") else {
                    return Err(format!(
                        "unknown store {spec:?}: expected sqlite, memory or etcd://host:port[,host:port...]"
                    ));
                };
                let mut endpoints = Vec::new();
                for host in hosts.split(',') {
                    let valid = match host.rsplit_once(':') {
                        Some((name, port)) => !name.is_empty() && port.parse::<u16>().is_ok_and(|p| p != 0),
                        None => false,
                    };
                    if !valid {
                        return Err(format!("bad etcd endpoint {host:?} in {spec:?}: expected host:port"));
                    }
                    endpoints.push(format!("http://{host}"));
                }
                Ok(StoreConfig::Etcd { endpoints })
            }
        }
    }
}

/// Checks a write's key and size before any backend sees it.
pub(crate) fn check_write(key: &str, value: &[u8]) -> Result<(), StoreError> {
    check_key(key)?;
    let size = key.len() + value.len();
    if size > MAX_WRITE_BYTES {
        return Err(StoreError::TooLarge { key: truncated(key), size, limit: MAX_WRITE_BYTES });
    }
    Ok(())
}

/// Checks a transaction's shape, keys and size before any backend sees it.
pub(crate) fn check_txn(compares: &[Compare], ops: &[TxnOp]) -> Result<(), StoreError> {
    if ops.len() > MAX_TXN_OPS {
        return Err(StoreError::InvalidTxn {
            reason: format!("{} ops, more than the {MAX_TXN_OPS} one transaction may carry", ops.len()),
        });
    }
    if compares.len() > MAX_TXN_OPS {
        return Err(StoreError::InvalidTxn {
            reason: format!("{} compares, more than the {MAX_TXN_OPS} one transaction may carry", compares.len()),
        });
    }
    let mut size = 0;
    for compare in compares {
        check_key(&compare.key)?;
        if compare.mod_revision < 0 {
            return Err(StoreError::InvalidTxn {
                reason: format!("the compare on key {:?} expects a negative revision", truncated(&compare.key)),
            });
        }
        size += compare.key.len();
    }
    let mut written = HashSet::with_capacity(ops.len());
    for op in ops {
        match op {
            TxnOp::Put { key, value } => {
                check_write(key, value)?;
                size += key.len() + value.len();
            }
            TxnOp::Delete { key } => {
                check_key(key)?;
                size += key.len();
            }
        }
        if !written.insert(op.key()) {
            return Err(StoreError::InvalidTxn {
                reason: format!("key {:?} is written by more than one op", truncated(op.key())),
            });
        }
    }
    if size > MAX_WRITE_BYTES {
        let first = ops.first().map(TxnOp::key).or_else(|| compares.first().map(|c| c.key.as_str()));
        return Err(StoreError::TooLarge { key: truncated(first.unwrap_or_default()), size, limit: MAX_WRITE_BYTES });
    }
    Ok(())
}

pub(crate) fn check_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() {
        return Err(StoreError::InvalidKey { key: String::new(), reason: "key is empty" });
    }
    if key.len() > MAX_WRITE_BYTES {
        return Err(StoreError::TooLarge { key: truncated(key), size: key.len(), limit: MAX_WRITE_BYTES });
    }
    if key.contains('\0') {
        return Err(StoreError::InvalidKey { key: truncated(key), reason: "key contains a NUL character" });
    }
    Ok(())
}

/// The first characters of a key, for error messages that must stay short.
fn truncated(key: &str) -> String {
    const SHOWN: usize = 80;
    match key.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}...", &key[..cut]),
        None => key.to_owned(),
    }
}

#[cfg(test)]
mod tests;

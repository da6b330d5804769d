//! AWS resources as JSON records in the store, one key each, written with compare-and-swap.
//!
//! Keys: `/aws/<account>/global/<service>/<kind>/<id>` for global services (IAM) and
//! `/aws/<account>/<region>/<service>/<kind>/<id>` for regional ones (EKS, EC2, ...).
//!
//! Reads decode a record once per revision: [`DecodeCache`] keeps the last decoded value of every key read, so
//! that reading the same record again (a describe, a list of a region's clusters) costs a lookup, not a JSON
//! parse.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use store::{Compare, DynStore, KeyValue, ListOptions, Revision, StoreError, TxnOp, WatchStream};

/// What can go wrong reading or writing records.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The key already holds a record (create).
    #[error("record {0} already exists")]
    Exists(String),
    /// The record changed since it was read (update, delete).
    #[error("record {0} changed concurrently")]
    Conflict(String),
    /// The record is gone (update, delete).
    #[error("record {0} not found")]
    NotFound(String),
    /// The stored bytes are not a record of the expected shape.
    #[error("record {key} is damaged: {reason}")]
    Damaged { key: String, reason: String },
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for RecordError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::AlreadyExists { key } => RecordError::Exists(key),
            StoreError::Conflict { current, .. } => RecordError::Conflict(current.key),
            StoreError::NotFound { key } => RecordError::NotFound(key),
            StoreError::TxnFailed { key, .. } => RecordError::Conflict(key),
            other => RecordError::Store(other),
        }
    }
}

/// A record with the revision it was read at, for a later compare-and-swap.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    pub key: String,
    pub value: T,
    pub revision: Revision,
}

impl<T: Clone> Versioned<Arc<T>> {
    /// A record as the cache shares it, as one of the caller's own, to change and write back.
    pub fn into_owned(self) -> Versioned<T> {
        Versioned { value: Arc::unwrap_or_clone(self.value), key: self.key, revision: self.revision }
    }
}

/// Decoded records by key and revision, shared by every reader of one [`Records`] (and by EC2's views), so that a
/// record is decoded once per write however often it is read. A key's bytes at a `mod_revision` never change, so
/// an entry is valid for as long as the store shows that revision.
#[derive(Debug, Default)]
pub(crate) struct DecodeCache {
    entries: Mutex<HashMap<String, (Revision, Decoded)>>,
}

/// A decoded value, of the type its reader asked for.
type Decoded = Arc<dyn Any + Send + Sync>;

/// Records kept decoded at most; past it the cache starts afresh.
const CACHED_RECORDS: usize = 200_000;

impl DecodeCache {
    /// The value of `key` as of `revision`, decoded by `decode` only when the cache does not hold it as a `T`.
    pub(crate) fn decode<T, E>(
        &self,
        key: &str,
        revision: Revision,
        decode: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
    {
        if let Some((cached, value)) = self.entries.lock().expect("decode cache lock").get(key)
            && *cached == revision
            && let Ok(found) = Arc::clone(value).downcast::<T>()
        {
            return Ok(found);
        }
        let value = Arc::new(decode()?);
        let mut entries = self.entries.lock().expect("decode cache lock");
        if entries.len() >= CACHED_RECORDS {
            entries.clear();
        }
        entries.insert(key.to_owned(), (revision, Arc::clone(&value) as Decoded));
        Ok(value)
    }
}

/// Typed access to records in the store.
#[derive(Debug, Clone)]
pub struct Records {
    store: DynStore,
    cache: Arc<DecodeCache>,
}

/// What a record type needs to be read through the [`DecodeCache`].
pub trait Record: DeserializeOwned + Clone + Send + Sync + 'static {}

impl<T: DeserializeOwned + Clone + Send + Sync + 'static> Record for T {}

impl Records {
    pub fn new(store: DynStore) -> Records {
        Records { store, cache: Arc::default() }
    }

    /// The cache this handle decodes through.
    pub(crate) fn cache(&self) -> &DecodeCache {
        &self.cache
    }

    /// The key of a regional resource.
    pub fn regional_key(account: &str, region: &str, service: &str, kind: &str, id: &str) -> String {
        format!("/aws/{account}/{region}/{service}/{kind}/{id}")
    }

    /// The key of a global resource (IAM).
    pub fn global_key(account: &str, service: &str, kind: &str, id: &str) -> String {
        format!("/aws/{account}/global/{service}/{kind}/{id}")
    }

    fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, RecordError> {
        serde_json::from_slice(bytes)
            .map_err(|error| RecordError::Damaged { key: key.to_owned(), reason: error.to_string() })
    }

    /// A stored key-value decoded through the cache, shared.
    fn shared<T: Record>(&self, kv: KeyValue) -> Result<Versioned<Arc<T>>, RecordError> {
        let value = self.cache.decode(&kv.key, kv.mod_revision, || Self::decode::<T>(&kv.key, &kv.value))?;
        Ok(Versioned { value, key: kv.key, revision: kv.mod_revision })
    }

    fn encode<T: Serialize>(value: &T) -> Bytes {
        Bytes::from(serde_json::to_vec(value).expect("records serialize"))
    }

    pub async fn get<T: Record>(&self, key: &str) -> Result<Option<Versioned<T>>, RecordError> {
        Ok(self.get_shared(key).await?.map(Versioned::into_owned))
    }

    /// [`Records::get`] without a copy of the value: the decoded record the cache holds.
    pub async fn get_shared<T: Record>(&self, key: &str) -> Result<Option<Versioned<Arc<T>>>, RecordError> {
        let Some(kv) = self.store.get(key, None).await? else { return Ok(None) };
        self.shared(kv).map(Some)
    }

    pub async fn create<T: Serialize>(&self, key: &str, value: &T) -> Result<Revision, RecordError> {
        Ok(self.store.create(key, Self::encode(value)).await?.mod_revision)
    }

    pub async fn update<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        revision: Revision,
    ) -> Result<Revision, RecordError> {
        Ok(self.store.update(key, Self::encode(value), revision).await?.mod_revision)
    }

    pub async fn delete(&self, key: &str, revision: Option<Revision>) -> Result<(), RecordError> {
        self.store.delete(key, revision).await?;
        Ok(())
    }

    /// The writes under a prefix from now on, one item each (an error item or the end when the watch stops).
    pub async fn changes(&self, prefix: &str) -> Result<WatchStream, RecordError> {
        let revision = self.store.status().await?.revision;
        Ok(self.store.watch(prefix, revision).await?)
    }

    /// The store's current revision: reads at it see one consistent state.
    pub async fn revision(&self) -> Result<Revision, RecordError> {
        Ok(self.store.status().await?.revision)
    }

    /// A key as stored at `revision` (now when `None`), undecoded.
    pub async fn get_raw_at(&self, key: &str, revision: Option<Revision>) -> Result<Option<KeyValue>, RecordError> {
        Ok(self.store.get(key, revision).await?)
    }

    /// Every key under a prefix as stored at `revision`, in key order, undecoded.
    pub async fn list_raw_at(&self, prefix: &str, revision: Revision) -> Result<Vec<KeyValue>, RecordError> {
        let options = ListOptions { revision: Some(revision), ..ListOptions::default() };
        Ok(self.store.list(prefix, options).await?.items)
    }

    /// Writes `ops` if every key of `compares` still has its revision (0: does not exist); else nothing, and
    /// [`RecordError::Conflict`] names the first key that moved.
    pub async fn txn(&self, compares: Vec<Compare>, ops: Vec<TxnOp>) -> Result<Revision, RecordError> {
        Ok(self.store.txn(compares, ops).await?)
    }

    /// How many keys are under a prefix, counting at most `limit` of them.
    pub async fn count_up_to(&self, prefix: &str, limit: usize) -> Result<usize, RecordError> {
        let options = ListOptions { limit: Some(limit.max(1)), ..ListOptions::default() };
        Ok(self.store.list(prefix, options).await?.items.len())
    }

    /// Every record under a prefix, in key order.
    pub async fn list<T: Record>(&self, prefix: &str) -> Result<Vec<Versioned<T>>, RecordError> {
        Ok(self.list_shared(prefix).await?.into_iter().map(Versioned::into_owned).collect())
    }

    /// [`Records::list`] without copies of the values: the decoded records the cache holds, so that a list of
    /// records that did not change since the last one decodes nothing and copies nothing.
    pub async fn list_shared<T: Record>(&self, prefix: &str) -> Result<Vec<Versioned<Arc<T>>>, RecordError> {
        let page = self.store.list(prefix, ListOptions::default()).await?;
        page.items.into_iter().map(|kv| self.shared(kv)).collect()
    }
}

#[cfg(test)]
mod tests;

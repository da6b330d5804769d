//! The memory backend: the in-memory index alone, for tests and large simulations. Nothing survives the process.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use crate::mvcc::{Mvcc, Planned, WriteOp};
use crate::{Compare, KeyValue, ListOptions, ListResult, Revision, Store, StoreError, StoreStatus, TxnOp, WatchStream};

#[derive(Debug, Clone)]
pub struct MemoryStore {
    mvcc: Arc<Mvcc>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore { mvcc: Arc::new(Mvcc::new(0, 0)) }
    }

    fn write(&self, op: WriteOp) -> Result<Planned, StoreError> {
        if self.mvcc.is_closed() {
            return Err(StoreError::Closed);
        }
        self.mvcc.write_now(op)
    }

    fn open(&self) -> Result<&Mvcc, StoreError> {
        if self.mvcc.is_closed() { Err(StoreError::Closed) } else { Ok(&self.mvcc) }
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn status(&self) -> Result<StoreStatus, StoreError> {
        let mvcc = self.open()?;
        Ok(StoreStatus { backend: "memory", revision: mvcc.revision(), compacted: mvcc.compacted() })
    }

    async fn get(&self, key: &str, revision: Option<Revision>) -> Result<Option<KeyValue>, StoreError> {
        crate::check_key(key)?;
        self.open()?.get(key, revision)
    }

    async fn list(&self, prefix: &str, options: ListOptions) -> Result<ListResult, StoreError> {
        self.open()?.list(prefix, &options)
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError> {
        crate::check_write(key, &value)?;
        let mutation = self.write(WriteOp::Create { key: key.to_owned(), value })?.single();
        Ok(mutation.after().expect("a create leaves a value"))
    }

    async fn update(&self, key: &str, value: Bytes, expected: Revision) -> Result<KeyValue, StoreError> {
        crate::check_write(key, &value)?;
        let mutation = self.write(WriteOp::Update { key: key.to_owned(), value, expected })?.single();
        Ok(mutation.after().expect("an update leaves a value"))
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<(KeyValue, Revision), StoreError> {
        crate::check_key(key)?;
        let mutation = self.write(WriteOp::Delete { key: key.to_owned(), expected })?.single();
        Ok((mutation.prev.expect("a delete has a previous value"), mutation.revision))
    }

    async fn txn(&self, compares: Vec<Compare>, ops: Vec<TxnOp>) -> Result<Revision, StoreError> {
        crate::check_txn(&compares, &ops)?;
        Ok(self.write(WriteOp::Txn { compares, ops })?.revision)
    }

    async fn watch(&self, prefix: &str, after_revision: Revision) -> Result<WatchStream, StoreError> {
        crate::watch::watch(&self.mvcc, prefix, after_revision)
    }

    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        if self.open()?.check_compact(revision)? {
            self.mvcc.compact(revision);
        }
        Ok(())
    }

    async fn close(&self) -> Result<(), StoreError> {
        self.mvcc.close();
        Ok(())
    }
}

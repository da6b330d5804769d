//! The etcd backend: each store operation is one etcd v3 request, so several ekslite servers can share state.
//!
//! Creates, updates and deletes are transactions that compare `create_revision` / `mod_revision` and, when the
//! comparison fails, read the key back in the same transaction to report what it holds. A store transaction is
//! one etcd transaction the same way: its compares, its writes if they hold, else a read of every compared key.
//! Revisions, compaction and watch history are etcd's own; all writes of one transaction share its revision.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, DeleteOptions, EventType, GetOptions, PutOptions, Txn, TxnOp,
    TxnOpResponse, TxnResponse, WatchOptions,
};
use futures::StreamExt;
use tokio::sync::watch;

use crate::{
    Event, EventKind, KeyValue, ListOptions, ListResult, Revision, Store, StoreError, StoreStatus, WatchStream,
};

#[derive(Clone)]
pub struct EtcdStore {
    client: Client,
    /// The highest revision this process compacted to; etcd does not report its compaction point.
    compacted: Arc<AtomicI64>,
    closed: watch::Sender<bool>,
}

impl std::fmt::Debug for EtcdStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdStore").field("compacted", &self.compacted).finish_non_exhaustive()
    }
}

impl EtcdStore {
    /// Connects to the etcd cluster at `endpoints` (`http://host:port`), failing if no member answers within
    /// `timeout`.
    pub async fn connect(endpoints: &[String], timeout: Duration) -> Result<EtcdStore, StoreError> {
        let options = ConnectOptions::new()
            .with_connect_timeout(timeout)
            .with_keep_alive(Duration::from_secs(10), Duration::from_secs(5));
        let connected = async {
            let mut client = Client::connect(endpoints, Some(options)).await?;
            client.status().await?;
            Ok::<_, etcd_client::Error>(client)
        };
        let unreachable =
            |detail: String| StoreError::EtcdUnreachable { endpoints: endpoints.join(","), timeout, detail };
        let client = match tokio::time::timeout(timeout, connected).await {
            Ok(Ok(client)) => client,
            Ok(Err(error)) => return Err(unreachable(innermost_cause(&error))),
            Err(_) => return Err(unreachable("timed out".into())),
        };
        Ok(EtcdStore { client, compacted: Arc::new(AtomicI64::new(0)), closed: watch::channel(false).0 })
    }

    fn client(&self) -> Result<Client, StoreError> {
        if *self.closed.borrow() { Err(StoreError::Closed) } else { Ok(self.client.clone()) }
    }

    /// etcd confirms a watch before it finds that the history the watch needs is compacted. A read at the
    /// watch's first revision fails the same way, so try one first and refuse the watch up front, as the other
    /// backends do.
    async fn check_watch_start(&self, after_revision: Revision) -> Result<(), StoreError> {
        let first = after_revision + 1;
        let current = self.status().await?.revision;
        if first > current {
            return Ok(());
        }
        let probe = GetOptions::new().with_revision(first).with_keys_only().with_limit(1);
        self.client()?.get("\0", Some(probe)).await.map_err(|error| map_error(error, first))?;
        Ok(())
    }

    async fn txn(&self, txn: Txn) -> Result<TxnResponse, StoreError> {
        self.client()?.txn(txn).await.map_err(|error| map_error(error, 0))
    }
}

#[async_trait]
impl Store for EtcdStore {
    async fn status(&self) -> Result<StoreStatus, StoreError> {
        let response = self.client()?.status().await.map_err(|error| map_error(error, 0))?;
        Ok(StoreStatus {
            backend: "etcd",
            revision: response.header().map_or(0, |h| h.revision()),
            compacted: self.compacted.load(Ordering::Relaxed),
        })
    }

    async fn get(&self, key: &str, revision: Option<Revision>) -> Result<Option<KeyValue>, StoreError> {
        crate::check_key(key)?;
        let options = GetOptions::new().with_revision(revision.unwrap_or(0));
        let response =
            self.client()?.get(key, Some(options)).await.map_err(|error| map_error(error, revision.unwrap_or(0)))?;
        Ok(response.kvs().first().map(convert_kv))
    }

    async fn list(&self, prefix: &str, options: ListOptions) -> Result<ListResult, StoreError> {
        let start = match &options.start_after {
            Some(after) if after.as_str() >= prefix => format!("{after}\0"),
            // etcd wants a key; NUL is the smallest one.
            _ if prefix.is_empty() => "\0".to_owned(),
            _ => prefix.to_owned(),
        };
        let mut get = GetOptions::new().with_range(prefix_end(prefix)).with_revision(options.revision.unwrap_or(0));
        if let Some(limit) = options.limit.filter(|&limit| limit > 0) {
            get = get.with_limit(limit as i64);
        }
        let requested = options.revision.unwrap_or(0);
        let response = self.client()?.get(start, Some(get)).await.map_err(|error| map_error(error, requested))?;
        let revision = if requested > 0 { requested } else { response.header().map_or(0, |h| h.revision()) };
        let items = response.kvs().iter().map(convert_kv).collect();
        let more = response.more();
        Ok(ListResult { items, revision, more })
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError> {
        crate::check_write(key, &value)?;
        let txn = Txn::new().when([Compare::create_revision(key, CompareOp::Equal, 0)]).and_then([TxnOp::put(
            key,
            value.to_vec(),
            None,
        )]);
        let response = self.txn(txn).await?;
        if !response.succeeded() {
            return Err(StoreError::AlreadyExists { key: key.to_owned() });
        }
        let revision = header_revision(&response);
        Ok(KeyValue { key: key.to_owned(), value, create_revision: revision, mod_revision: revision })
    }

    async fn update(&self, key: &str, value: Bytes, expected: Revision) -> Result<KeyValue, StoreError> {
        crate::check_write(key, &value)?;
        let txn = Txn::new()
            .when([
                Compare::create_revision(key, CompareOp::Greater, 0),
                Compare::mod_revision(key, CompareOp::Equal, expected),
            ])
            .and_then([TxnOp::put(key, value.to_vec(), Some(PutOptions::new().with_prev_key()))])
            .or_else([TxnOp::get(key, None)]);
        let response = self.txn(txn).await?;
        if !response.succeeded() {
            return Err(refusal(key, expected, &response));
        }
        let revision = header_revision(&response);
        let create_revision = match response.op_responses().first() {
            Some(TxnOpResponse::Put(put)) => put.prev_key().map_or(revision, |prev| prev.create_revision()),
            _ => revision,
        };
        Ok(KeyValue { key: key.to_owned(), value, create_revision, mod_revision: revision })
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<(KeyValue, Revision), StoreError> {
        crate::check_key(key)?;
        let mut compares = vec![Compare::create_revision(key, CompareOp::Greater, 0)];
        if let Some(expected) = expected {
            compares.push(Compare::mod_revision(key, CompareOp::Equal, expected));
        }
        let txn = Txn::new()
            .when(compares)
            .and_then([TxnOp::delete(key, Some(DeleteOptions::new().with_prev_key()))])
            .or_else([TxnOp::get(key, None)]);
        let response = self.txn(txn).await?;
        if !response.succeeded() {
            return Err(refusal(key, expected.unwrap_or(0), &response));
        }
        let revision = header_revision(&response);
        let prev = match response.op_responses().first() {
            Some(TxnOpResponse::Delete(delete)) => delete.prev_kvs().first().map(convert_kv),
            _ => None,
        };
        let prev = prev.ok_or_else(|| StoreError::NotFound { key: key.to_owned() })?;
        Ok((prev, revision))
    }

    async fn txn(&self, compares: Vec<crate::Compare>, ops: Vec<crate::TxnOp>) -> Result<Revision, StoreError> {
        crate::check_txn(&compares, &ops)?;
        let conditions: Vec<Compare> = compares
            .iter()
            .map(|compare| match compare.mod_revision {
                // A missing key compares as all zeroes; `create_revision` 0 says "absent" as create() does.
                0 => Compare::create_revision(compare.key.as_str(), CompareOp::Equal, 0),
                expected => Compare::mod_revision(compare.key.as_str(), CompareOp::Equal, expected),
            })
            .collect();
        let writes: Vec<TxnOp> = ops
            .into_iter()
            .map(|op| match op {
                crate::TxnOp::Put { key, value } => TxnOp::put(key, value.to_vec(), None),
                crate::TxnOp::Delete { key } => TxnOp::delete(key, None),
            })
            .collect();
        let reads: Vec<TxnOp> = compares.iter().map(|compare| TxnOp::get(compare.key.as_str(), None)).collect();
        let response = self.txn(Txn::new().when(conditions).and_then(writes).or_else(reads)).await?;
        if !response.succeeded() {
            return Err(txn_refusal(compares, &response));
        }
        Ok(header_revision(&response))
    }

    async fn watch(&self, prefix: &str, after_revision: Revision) -> Result<WatchStream, StoreError> {
        self.check_watch_start(after_revision).await?;
        let mut options = WatchOptions::new().with_prev_key().with_start_revision(after_revision + 1);
        options = if prefix.is_empty() { options.with_all_keys() } else { options.with_prefix() };
        let mut stream = self.client()?.watch(prefix, Some(options)).await.map_err(|error| map_error(error, 0))?;
        // The first response confirms the watch, or refuses it when the history it needs is compacted.
        let mut first = stream.message().await.map_err(|error| map_error(error, 0))?;
        if let Some(response) = &first {
            if response.compact_revision() > 0 {
                return Err(StoreError::Compacted {
                    requested: after_revision + 1,
                    compacted: response.compact_revision(),
                });
            }
            if response.created() && response.events().is_empty() {
                first = None;
            }
        }
        let requested = after_revision + 1;
        let responses = futures::stream::iter(first.map(Ok)).chain(stream);
        let events = responses
            .map(move |response| -> Vec<Result<Event, StoreError>> {
                let response = match response {
                    Ok(response) => response,
                    Err(error) => return vec![Err(map_error(error, 0))],
                };
                if response.compact_revision() > 0 {
                    return vec![Err(StoreError::Compacted { requested, compacted: response.compact_revision() })];
                }
                if response.canceled() {
                    let reason = format!("watch canceled by etcd: {}", response.cancel_reason());
                    return vec![Err(StoreError::Etcd(etcd_client::Error::WatchError(reason)))];
                }
                response.events().iter().map(|event| Ok(convert_event(event))).collect()
            })
            .flat_map(futures::stream::iter)
            .scan(false, |failed, item| {
                // End the stream after the first error, as the other backends do.
                if *failed {
                    return futures::future::ready(None);
                }
                *failed = item.is_err();
                futures::future::ready(Some(item))
            });
        let mut closed = self.closed.subscribe();
        let stop = async move {
            let _ = closed.wait_for(|closed| *closed).await;
        };
        Ok(events.take_until(Box::pin(stop)).boxed())
    }

    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        if revision <= self.compacted.load(Ordering::Relaxed) {
            return Ok(());
        }
        match self.client()?.compact(revision, None).await.map_err(|error| map_error(error, revision)) {
            Ok(_) | Err(StoreError::Compacted { .. }) => {
                self.compacted.fetch_max(revision, Ordering::Relaxed);
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    async fn close(&self) -> Result<(), StoreError> {
        self.closed.send_replace(true);
        Ok(())
    }
}

/// Why a guarded write was refused, from the read in the transaction's else branch.
fn refusal(key: &str, expected: Revision, response: &TxnResponse) -> StoreError {
    let current = match response.op_responses().first() {
        Some(TxnOpResponse::Get(get)) => get.kvs().first().map(convert_kv),
        _ => None,
    };
    match current {
        Some(current) => StoreError::Conflict { expected, current: Box::new(current) },
        None => StoreError::NotFound { key: key.to_owned() },
    }
}

/// Which compare of a refused transaction failed, from the reads in its else branch: one per compare, in order,
/// at the revision etcd decided the compares at.
fn txn_refusal(compares: Vec<crate::Compare>, response: &TxnResponse) -> StoreError {
    for (compare, read) in compares.into_iter().zip(response.op_responses()) {
        let current = match read {
            TxnOpResponse::Get(get) => get.kvs().first().map(convert_kv),
            _ => None,
        };
        if current.as_ref().map_or(0, |kv| kv.mod_revision) != compare.mod_revision {
            return StoreError::TxnFailed {
                key: compare.key,
                expected: compare.mod_revision,
                current: current.map(Box::new),
            };
        }
    }
    StoreError::Etcd(etcd_client::Error::Internal("etcd refused a transaction whose compares all hold".into()))
}

fn header_revision(response: &TxnResponse) -> Revision {
    response.header().map_or(0, |header| header.revision())
}

fn convert_kv(kv: &etcd_client::KeyValue) -> KeyValue {
    KeyValue {
        key: String::from_utf8_lossy(kv.key()).into_owned(),
        value: Bytes::copy_from_slice(kv.value()),
        create_revision: kv.create_revision(),
        mod_revision: kv.mod_revision(),
    }
}

fn convert_event(event: &etcd_client::Event) -> Event {
    let kv = event.kv().map(convert_kv).unwrap_or(KeyValue {
        key: String::new(),
        value: Bytes::new(),
        create_revision: 0,
        mod_revision: 0,
    });
    let kind = match event.event_type() {
        EventType::Put => EventKind::Put,
        EventType::Delete => EventKind::Delete,
    };
    Event { kind, kv, prev: event.prev_kv().map(convert_kv) }
}

/// The first key after every key that starts with `prefix` (etcd's range end for a prefix).
fn prefix_end(prefix: &str) -> Vec<u8> {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    // Empty prefix (or all 0xff): every key from the start.
    vec![0]
}

/// What went wrong, briefly: for a failed connection, the gRPC message and the failing socket call.
fn innermost_cause(error: &etcd_client::Error) -> String {
    let etcd_client::Error::GRpcStatus(status) = error else { return error.to_string() };
    let mut cause: &(dyn std::error::Error + 'static) = status;
    while let Some(source) = cause.source() {
        cause = source;
    }
    if std::ptr::addr_eq(cause, status as &(dyn std::error::Error + 'static)) {
        status.message().to_owned()
    } else {
        format!("{}: {cause}", status.message())
    }
}

/// Gives etcd's errors the store's names where the store has one. `requested` is the revision the call asked
/// for, if any.
fn map_error(error: etcd_client::Error, requested: Revision) -> StoreError {
    if let etcd_client::Error::GRpcStatus(status) = &error {
        let message = status.message();
        if message.contains("required revision has been compacted") {
            return StoreError::Compacted { requested, compacted: 0 };
        }
        if message.contains("required revision is a future revision") {
            return StoreError::FutureRevision { requested, current: 0 };
        }
        if message.contains("request is too large") {
            return StoreError::TooLarge { key: String::new(), size: 0, limit: crate::MAX_WRITE_BYTES };
        }
        // The store checks both before etcd sees a transaction; an etcd run with a lower `--max-txn-ops` can
        // still refuse one.
        if message.contains("too many operations in txn request") || message.contains("duplicate key given in txn") {
            return StoreError::InvalidTxn { reason: format!("etcd: {message}") };
        }
    }
    StoreError::Etcd(error)
}

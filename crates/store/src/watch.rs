//! Watches over the in-memory event log.
//!
//! Each watcher keeps its own cursor into its prefix's log (the writes under the prefix, which the index keeps
//! for every watched prefix) and copies out batches of events; writers only bump the wake-up channel of the
//! prefixes they wrote under. A watcher that stops reading therefore holds nothing up and buffers nothing: it
//! simply falls behind, and if compaction passes its cursor it ends with [`StoreError::Compacted`], as a slow
//! etcd watcher does. A watcher that wakes reads only the events under its prefix, however much was written
//! elsewhere since.

use std::collections::VecDeque;
use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::watch;

use crate::mvcc::Mvcc;
use crate::{Event, Revision, StoreError, WatchStream};

/// How many log entries one watcher reads per lock acquisition.
const SCAN_BUDGET: usize = 1024;

#[derive(Debug)]
struct Cursor {
    mvcc: Arc<Mvcc>,
    prefix: String,
    after: Revision,
    pending: VecDeque<Event>,
    /// Bumped by writes under `prefix` and by closing.
    wake: watch::Receiver<u64>,
    finished: bool,
}

impl Cursor {
    async fn next(&mut self) -> Option<Result<Event, StoreError>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            if self.finished {
                return None;
            }
            // Mark the wake-up seen (and read whether the store is closing) before scanning, so that a write or
            // the close that lands after the scan wakes us, and nothing logged before a close is left behind.
            self.wake.borrow_and_update();
            let closed = self.mvcc.is_closed();
            let scan = match self.mvcc.events_after(&self.prefix, self.after, SCAN_BUDGET, &mut self.pending) {
                Ok(scan) => scan,
                Err(error) => {
                    self.finished = true;
                    return Some(Err(error));
                }
            };
            self.after = scan.through;
            if !self.pending.is_empty() || !scan.caught_up {
                continue;
            }
            if closed || self.wake.changed().await.is_err() {
                self.finished = true;
            }
        }
    }
}

/// A stream of the events under `prefix` after `after`.
pub(crate) fn watch(mvcc: &Arc<Mvcc>, prefix: &str, after: Revision) -> Result<WatchStream, StoreError> {
    if mvcc.is_closed() {
        return Err(StoreError::Closed);
    }
    mvcc.check_watch(after)?;
    let cursor = Cursor {
        mvcc: Arc::clone(mvcc),
        prefix: prefix.to_owned(),
        after,
        pending: VecDeque::new(),
        wake: mvcc.subscribe_prefix(prefix),
        finished: false,
    };
    let stream = futures::stream::unfold(cursor, |mut cursor| async move {
        let item = cursor.next().await?;
        Some((item, cursor))
    });
    Ok(stream.boxed())
}

//! Watches over the in-memory event log.
//!
//! Each watcher keeps its own cursor into the shared log and copies out batches of matching events; writers
//! only bump a revision signal. A watcher that stops reading therefore holds nothing up and buffers nothing:
//! it simply falls behind, and if compaction passes its cursor it ends with [`StoreError::Compacted`], as a
//! slow etcd watcher does.

use std::collections::VecDeque;
use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::watch;

use crate::mvcc::{Mvcc, Signal};
use crate::{Event, Revision, StoreError, WatchStream};

/// How many log entries one watcher reads per lock acquisition.
const SCAN_BUDGET: usize = 1024;

#[derive(Debug)]
struct Cursor {
    mvcc: Arc<Mvcc>,
    prefix: String,
    after: Revision,
    pending: VecDeque<Event>,
    signal: watch::Receiver<Signal>,
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
            // Mark the signal seen before scanning, so a write that lands after the scan wakes us.
            let signal = *self.signal.borrow_and_update();
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
            if signal.closed || self.signal.changed().await.is_err() {
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
        signal: mvcc.subscribe(),
        finished: false,
    };
    let stream = futures::stream::unfold(cursor, |mut cursor| async move {
        let item = cursor.next().await?;
        Some((item, cursor))
    });
    Ok(stream.boxed())
}

//! Periodic compaction: forget history that is both older than a time window and more than a number of
//! revisions behind, the way kube-apiserver (and kine) keep etcd's history bounded.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::{DynStore, Revision};

/// How much history to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactionPolicy {
    /// How often to look at the store.
    pub interval: Duration,
    /// Keep every revision written within this long.
    pub keep_for: Duration,
    /// Keep at least this many of the newest revisions.
    pub keep_revisions: Revision,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        CompactionPolicy { interval: Duration::from_secs(60), keep_for: Duration::from_secs(300), keep_revisions: 1000 }
    }
}

impl CompactionPolicy {
    /// The revision to compact to, given `samples` of the store's revision (oldest first) and the current
    /// revision; `None` when nothing may go yet. Drops the samples it will never need again.
    pub fn target(
        &self,
        samples: &mut VecDeque<(Instant, Revision)>,
        now: Instant,
        current: Revision,
    ) -> Option<Revision> {
        // Every revision up to a sample's was written before the sample was taken, so a sample taken at least
        // `keep_for` ago bounds what is old enough. The newest such sample is the one that matters.
        let old_enough = samples.iter().take_while(|(taken, _)| now.duration_since(*taken) >= self.keep_for).count();
        let (_, old_revision) = *samples.get(old_enough.checked_sub(1)?)?;
        samples.drain(..old_enough - 1);
        let target = old_revision.min(current - self.keep_revisions);
        (target > 0).then_some(target)
    }
}

/// A running compaction task; dropping it stops the task.
#[derive(Debug)]
pub struct Compactor {
    task: JoinHandle<()>,
}

impl Compactor {
    pub fn spawn(store: DynStore, policy: CompactionPolicy) -> Compactor {
        let task = tokio::spawn(async move {
            let mut samples = VecDeque::new();
            let mut ticker = tokio::time::interval(policy.interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let status = match store.status().await {
                    Ok(status) => status,
                    Err(error) => {
                        tracing::warn!(%error, "compactor could not read the store's revision");
                        continue;
                    }
                };
                let now = Instant::now();
                samples.push_back((now, status.revision));
                let Some(target) = policy.target(&mut samples, now, status.revision) else { continue };
                if target <= status.compacted {
                    continue;
                }
                match store.compact(target).await {
                    Ok(()) => tracing::debug!(revision = target, "store compacted"),
                    Err(error) => tracing::warn!(%error, revision = target, "store compaction failed"),
                }
            }
        });
        Compactor { task }
    }
}

impl Drop for Compactor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

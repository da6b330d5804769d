//! EKS's reconciler: the task that takes the background steps of EKS's lifecycles
//! (`aws_model::eks::reconcile`): it releases what deleted clusters, node groups and add-ons held, removes their
//! records once their delay is over, and finishes creates a crash cut short. One per server, started by `serve`
//! once the clusters' API servers run and stopped before they stop.
//!
//! It passes over one account and region at a time. The regions with EKS records come from one listing of the
//! store's AWS keys at start and from the writes it watches from that listing on; a write that leaves an EKS
//! record `CREATING` or `DELETING` (`may_need_steps`: nothing else starts a step) marks its region for a pass, at
//! once when the reconciler is idle and at most once every [`GAP`] while writes keep coming, so a burst of
//! deletes costs a few passes and a burst of Fargate profiles created or records tagged costs none. A region is passed again when a pass reports a step due at a
//! known time (a delay running out), [`RETRY`] after a step failed, and every region every [`PERIOD`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use aws_model::clock::Clock;
use aws_model::eks::reconcile::{NodegroupInstances, may_need_steps, scope_of};
use aws_model::eks::{Caller, Eks};
use futures::{FutureExt, StreamExt};
use store::{DynStore, ListOptions, Revision, StoreError, WatchStream};
use tokio::sync::watch;
use tokio::time::Instant;

/// The least time between two passes while writes keep coming.
const GAP: Duration = Duration::from_millis(100);
/// How soon a failed step is tried again.
const RETRY: Duration = Duration::from_secs(1);
/// How often every region is passed over when nothing wakes the reconciler.
const PERIOD: Duration = Duration::from_secs(10);
/// Keys per page when the store's AWS keys are listed.
const PAGE: usize = 1000;

/// An account and region: `(account, region)`.
type Scope = (String, String);

/// The running reconciler.
#[derive(Debug)]
pub struct Reconciler {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Reconciler {
    /// Starts the reconciler of `eks` over `store`; `instances` tells when deleted node groups' instances are
    /// terminated.
    pub fn spawn(
        store: DynStore,
        eks: Eks,
        instances: Arc<dyn NodegroupInstances>,
        clock: Arc<dyn Clock>,
    ) -> Reconciler {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(store, eks, instances, clock, stopped));
        Reconciler { stop, task }
    }

    /// Stops the reconciler once the step it is taking is done.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::warn!(%error, "the EKS reconciler ended badly");
        }
    }
}

/// The regions with EKS records among the store's AWS keys, and the revision they were listed at.
async fn discover(store: &dyn store::Store) -> Result<(BTreeSet<Scope>, Revision), StoreError> {
    let mut scopes = BTreeSet::new();
    let mut options = ListOptions { limit: Some(PAGE), ..ListOptions::default() };
    loop {
        let page = store.list("/aws/", options.clone()).await?;
        scopes.extend(page.items.iter().filter_map(|kv| scope_of(&kv.key)).map(|c| (c.account, c.region)));
        options.revision = Some(page.revision);
        match page.items.last() {
            Some(last) if page.more => options.start_after = Some(last.key.clone()),
            _ => return Ok((scopes, page.revision)),
        }
    }
}

/// The writes under `/aws/` from the current state on, and the regions with EKS records in that state.
async fn watch_writes(store: &dyn store::Store) -> Result<(BTreeSet<Scope>, WatchStream), StoreError> {
    // Listed first and watched from the listing's revision, so that no write falls in between.
    let (scopes, revision) = discover(store).await?;
    Ok((scopes, store.watch("/aws/", revision).await?))
}

async fn run(
    store: DynStore,
    eks: Eks,
    instances: Arc<dyn NodegroupInstances>,
    clock: Arc<dyn Clock>,
    mut stopped: watch::Receiver<bool>,
) {
    // Every region known, with when it is next due on its own (a delay running out, a retry).
    let mut regions: BTreeMap<Scope, Option<Instant>> = BTreeMap::new();
    let mut marked: BTreeSet<Scope> = BTreeSet::new();
    let mut writes: Option<WatchStream> = None;
    let mut next_sweep = Instant::now();
    loop {
        if writes.is_none() {
            match watch_writes(&*store).await {
                Ok((scopes, stream)) => {
                    writes = Some(stream);
                    marked.extend(scopes);
                }
                Err(error) => tracing::warn!(%error, "the EKS reconciler cannot watch the store"),
            }
        }
        let started = Instant::now();
        if started >= next_sweep {
            marked.extend(regions.keys().cloned());
            next_sweep = started + PERIOD;
        }
        marked.extend(regions.iter().filter(|(_, due)| due.is_some_and(|at| at <= started)).map(|(s, _)| s.clone()));
        for scope in std::mem::take(&mut marked) {
            if *stopped.borrow() {
                return;
            }
            let due = pass(&eks, &*instances, &*clock, &scope).await;
            regions.insert(scope, due);
        }
        let wake = regions.values().flatten().copied().chain([next_sweep]).min().unwrap_or(next_sweep);
        let woke = tokio::select! {
            _ = stopped.changed() => return,
            write = next_write(&mut writes) => Some(write),
            () = tokio::time::sleep_until(wake) => None,
        };
        match woke {
            Some(Some(Ok(event))) => mark(&mut marked, &event),
            // The watch ended (compaction, a closed store) or was never made: watch again.
            Some(_) => writes = None,
            None => {}
        }
        tokio::select! {
            _ = stopped.changed() => return,
            () = tokio::time::sleep_until(started + GAP) => {}
        }
        // Writes that came meanwhile are covered by the next passes.
        while let Some(stream) = writes.as_mut() {
            match stream.next().now_or_never() {
                Some(Some(Ok(event))) => mark(&mut marked, &event),
                Some(_) => writes = None,
                None => break,
            }
        }
    }
}

/// The next write, or `None` after a while when there is no watch.
async fn next_write(writes: &mut Option<WatchStream>) -> Option<Result<store::Event, StoreError>> {
    match writes.as_mut() {
        Some(stream) => stream.next().await,
        None => {
            tokio::time::sleep(RETRY).await;
            None
        }
    }
}

/// Marks the region of a write that may leave a step to take.
fn mark(marked: &mut BTreeSet<Scope>, event: &store::Event) {
    if may_need_steps(&event.kv.key, &event.kv.value)
        && let Some(scope) = scope_of(&event.kv.key)
    {
        marked.insert((scope.account, scope.region));
    }
}

/// One pass over a region; returns when it is next due on its own.
async fn pass(eks: &Eks, instances: &dyn NodegroupInstances, clock: &dyn Clock, scope: &Scope) -> Option<Instant> {
    let caller = Caller { account: scope.0.clone(), region: scope.1.clone(), arn: String::new() };
    match eks.reconcile(&caller, instances).await {
        Ok(pass) => {
            for failure in &pass.failures {
                tracing::warn!(account = %scope.0, region = %scope.1, "EKS reconcile: {failure}");
            }
            if pass.steps > 0 {
                tracing::debug!(account = %scope.0, region = %scope.1, steps = pass.steps, "EKS reconciled");
            }
            let retry = (!pass.failures.is_empty()).then(|| Instant::now() + RETRY);
            let due = pass.due.map(|at| Instant::now() + Duration::from_secs_f64((at - clock.now()).max(0.0)));
            retry.into_iter().chain(due).min()
        }
        Err(error) => {
            tracing::warn!(%error, account = %scope.0, region = %scope.1, "EKS reconcile pass failed");
            Some(Instant::now() + RETRY)
        }
    }
}

#[cfg(test)]
mod tests;

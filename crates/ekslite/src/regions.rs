//! One Auto Scaling sync per region, shared by every cluster of the region.
//!
//! A cluster's nodes are its node groups' instances, which change when a node group or an instance is written
//! (CreateNodegroup, SetDesiredCapacity, TerminateInstances, ...) and when time passes (an instance finishes
//! booting, a deleted node group's delay ends). Each region in use has one task that reconciles the region's Auto
//! Scaling groups with its node groups as soon as something in the region is written, and at least every second,
//! and publishes the network it then reads; the clusters' node syncs read their instances from that snapshot. So
//! a new node group's nodes come up at once, and many clusters in a region cost one reconcile per change rather
//! than one each per second.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_model::autoscaling::AutoScaling;
use aws_model::ec2::Network;
use aws_model::eks::Caller;
use futures::{FutureExt, StreamExt};
use tokio::sync::watch;
use tokio_util::task::AbortOnDropHandle;

/// How often a region is reconciled when nothing in it is written.
const PERIOD: Duration = Duration::from_secs(1);
/// The least time between two reconciles of a region, so that a burst of writes costs one.
const GAP: Duration = Duration::from_millis(100);

/// A region's network as its last reconcile left it, and how many changed networks came before.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub generation: u64,
    /// `None` until the first reconcile.
    pub network: Option<Arc<Network>>,
}

/// The reconcile tasks of every region in use.
#[derive(Debug)]
pub struct RegionSyncs {
    autoscaling: AutoScaling,
    regions: Mutex<HashMap<(String, String), Region>>,
}

#[derive(Debug)]
struct Region {
    snapshots: watch::Receiver<Snapshot>,
    _task: AbortOnDropHandle<()>,
}

impl RegionSyncs {
    pub fn new(autoscaling: AutoScaling) -> RegionSyncs {
        RegionSyncs { autoscaling, regions: Mutex::default() }
    }

    /// The snapshots of the caller's region, starting its task on first use (inside a Tokio runtime).
    pub fn subscribe(&self, caller: &Caller) -> watch::Receiver<Snapshot> {
        let mut regions = self.regions.lock().expect("region lock");
        let key = (caller.account.clone(), caller.region.clone());
        let region = regions.entry(key).or_insert_with(|| {
            let (sender, snapshots) = watch::channel(Snapshot::default());
            let caller = Caller { account: caller.account.clone(), region: caller.region.clone(), arn: String::new() };
            let task = tokio::spawn(run(self.autoscaling.clone(), caller, sender));
            Region { snapshots, _task: AbortOnDropHandle::new(task) }
        });
        region.snapshots.clone()
    }

    /// The current time of the Auto Scaling service, at which snapshots are read.
    pub fn now(&self) -> f64 {
        self.autoscaling.now()
    }
}

async fn run(autoscaling: AutoScaling, caller: Caller, sender: watch::Sender<Snapshot>) {
    let mut writes = None;
    loop {
        // Watch from before the reconcile, so that no write after it goes unseen.
        if writes.is_none() {
            match autoscaling.changes(&caller).await {
                Ok(stream) => writes = Some(stream),
                Err(error) => tracing::warn!(%error, region = %caller.region, "cannot watch the region"),
            }
        }
        let started = tokio::time::Instant::now();
        match autoscaling.sync(&caller).await {
            Ok(network) => {
                sender.send_if_modified(|snapshot| {
                    if snapshot.network.as_deref() == Some(&network) {
                        return false;
                    }
                    snapshot.network = Some(Arc::new(network));
                    snapshot.generation += 1;
                    true
                });
            }
            Err(error) => tracing::warn!(%error, region = %caller.region, "cannot reconcile the region's node groups"),
        }
        let tick = tokio::time::sleep_until(started + PERIOD);
        match writes.as_mut() {
            Some(stream) => {
                tokio::select! {
                    write = stream.next() => {
                        if !matches!(write, Some(Ok(_))) {
                            // The watch ended (compaction, a closed store): watch again.
                            writes = None;
                        }
                    }
                    () = tick => {}
                }
            }
            None => tick.await,
        }
        tokio::time::sleep_until(started + GAP).await;
        // Writes that came meanwhile are covered by the next reconcile.
        if let Some(stream) = writes.as_mut() {
            while let Some(Some(write)) = stream.next().now_or_never() {
                if write.is_err() {
                    writes = None;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_model::clock::ManualClock;
    use aws_model::ec2::{Ec2, Tags};
    use aws_model::eks::{Eks, KubernetesClusters, KubernetesEndpoint, KubernetesSpec};
    use aws_model::records::Records;

    /// No Kubernetes side: the test makes no clusters.
    #[derive(Debug)]
    struct NoClusters;

    #[async_trait::async_trait]
    impl KubernetesClusters for NoClusters {
        async fn create(&self, _: &KubernetesSpec) -> Result<KubernetesEndpoint, String> {
            Err("no clusters here".into())
        }
        async fn delete(&self, _: &str) -> Result<(), String> {
            Ok(())
        }
    }

    fn caller(region: &str) -> Caller {
        Caller { account: "000000000000".into(), region: region.into(), arn: String::new() }
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_in_the_region_is_reconciled_at_once_and_other_regions_are_left_alone() {
        let store = Arc::new(store::MemoryStore::new());
        let clock = Arc::new(ManualClock::new(0.0));
        let ec2 = Ec2::new(Records::new(store.clone()), clock.clone());
        let eks = Eks::new(Records::new(store), Arc::new(NoClusters), clock, Default::default());
        let syncs = RegionSyncs::new(AutoScaling::new(eks, ec2.clone()));
        let east = caller("us-east-1");
        let mut snapshots = syncs.subscribe(&east);
        let first = snapshots.wait_for(|s| s.network.is_some()).await.unwrap().clone();
        let mut west = syncs.subscribe(&caller("us-west-2"));
        west.wait_for(|s| s.network.is_some()).await.unwrap();
        let west_generation = west.borrow_and_update().generation;

        let started = tokio::time::Instant::now();
        let vpc = ec2
            .change(&east, |network, ids| network.create_vpc(ids, Some("10.9.0.0/16"), None, &Tags::new()))
            .await
            .unwrap();
        let next = snapshots.wait_for(|s| s.generation > first.generation).await.unwrap().clone();
        assert!(next.network.unwrap().vpcs.contains_key(&vpc.id));
        // Woken by the write, not by the once-a-second reconcile (time here only moves when every task waits).
        assert!(started.elapsed() < PERIOD, "took {:?}", started.elapsed());
        assert_eq!(west.borrow().generation, west_generation, "another region's snapshot did not change");
        assert!(!west.has_changed().unwrap());
        // The same region is shared, not reconciled twice.
        assert_eq!(syncs.regions.lock().unwrap().len(), 2);
        assert_eq!(syncs.subscribe(&east).borrow().generation, next.generation);
    }
}

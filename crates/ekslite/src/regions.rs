//! One Auto Scaling sync per region, shared by every cluster of the region.
//!
//! A cluster's nodes are its node groups' instances, which change when a node group or an instance is written
//! (CreateNodegroup, SetDesiredCapacity, TerminateInstances, ...) and when time passes (an instance finishes
//! booting, a deleted node group's delay ends, a terminated instance is forgotten). Each region in use has one task
//! that reconciles the region's Auto Scaling groups with its node groups as soon as a node group or anything of EC2
//! or Auto Scaling is written in the region (writes of clusters, Fargate profiles, add-ons and the like move no
//! instance and wake nothing), and when the next of those times comes (`AutoScaling::sync_region` says which),
//! and publishes each cluster's instances as they then are, with a count that moves only when that cluster's
//! instances changed; a cluster's node sync waits for its own count. A region with nothing written and nothing
//! due sleeps; a reconcile with nothing to do reads the region once and writes nothing. So a new node group's
//! nodes come up at once, many clusters in a region cost one reconcile per change, and clusters wake only for
//! their own changes. EKS's reconciler waits on the same task ([`RegionSyncs::reconciled`]) to know a deleted
//! node group's instances are terminated, rather than reconciling the region once more itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_model::autoscaling::{AutoScaling, NodeInstance, RegionSync, instances_by_cluster};
use aws_model::ec2::Network;
use aws_model::eks::Caller;
use futures::{FutureExt, StreamExt};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tokio_util::task::AbortOnDropHandle;

/// How soon a failed reconcile is tried again, and how often a region is reconciled while its writes cannot be
/// watched.
const RETRY: Duration = Duration::from_secs(1);
/// The least time between two reconciles of a region, so that a burst of writes costs one.
const GAP: Duration = Duration::from_millis(100);
/// How long [`RegionSyncs::reconciled`] waits for a reconcile to succeed.
const RECONCILED_LIMIT: Duration = Duration::from_secs(10);

/// The reconciles of a region so far: how many began, and the number of the last that succeeded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Reconciles {
    began: u64,
    succeeded: u64,
}

/// A region as its last reconcile left it.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Grows with every change of the network; also the source of the clusters' counts.
    pub generation: u64,
    /// `None` until the first reconcile.
    pub network: Option<Arc<Network>>,
    /// The instances of each cluster (by EKS name) that has or had any.
    pub clusters: Arc<HashMap<String, ClusterInstances>>,
}

/// One cluster's node group instances, oldest first, and the region's generation when they last changed.
#[derive(Debug, Clone, Default)]
pub struct ClusterInstances {
    pub generation: u64,
    pub instances: Arc<Vec<NodeInstance>>,
}

impl Snapshot {
    /// The cluster's instances (none, at generation 0, for a cluster that never had any).
    pub fn cluster(&self, name: &str) -> ClusterInstances {
        self.clusters.get(name).cloned().unwrap_or_default()
    }

    /// The next snapshot for this network read at `now`: clusters whose instances did not change keep their
    /// count. Time alone changes instances (booting ones become running), so this is done on every reconcile.
    fn next(&self, network: Network, now: f64) -> Snapshot {
        let network_changed = self.network.as_deref() != Some(&network);
        let generation = self.generation + 1;
        let mut current = instances_by_cluster(&network, now);
        let mut names: Vec<String> = current.keys().chain(self.clusters.keys()).cloned().collect();
        names.sort_unstable();
        names.dedup();
        let mut clusters = HashMap::new();
        let mut any_changed = false;
        for name in names {
            let instances = current.remove(&name).unwrap_or_default();
            match self.clusters.get(&name) {
                // Gone, and already told: forgotten (its count comes back from the region's when it has
                // instances again, so it still only grows).
                None if instances.is_empty() => {}
                Some(before) if before.instances.is_empty() && instances.is_empty() => {}
                Some(before) if *before.instances == instances => {
                    clusters.insert(name, before.clone());
                }
                _ => {
                    any_changed = true;
                    clusters.insert(name, ClusterInstances { generation, instances: Arc::new(instances) });
                }
            }
        }
        if !network_changed && !any_changed {
            return self.clone();
        }
        Snapshot { generation, network: Some(Arc::new(network)), clusters: Arc::new(clusters) }
    }
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
    reconciles: watch::Receiver<Reconciles>,
    /// Asks for a reconcile without waiting for a write or a due time.
    wake: Arc<Notify>,
    _task: AbortOnDropHandle<()>,
}

impl RegionSyncs {
    pub fn new(autoscaling: AutoScaling) -> RegionSyncs {
        RegionSyncs { autoscaling, regions: Mutex::default() }
    }

    /// The snapshots of the caller's region, starting its task on first use (inside a Tokio runtime).
    pub fn subscribe(&self, caller: &Caller) -> watch::Receiver<Snapshot> {
        self.with_region(caller, |region| region.snapshots.clone())
    }

    /// Returns once a reconcile of the caller's region that began after this call has succeeded (asking for one
    /// at once): the region's instances then follow what its node groups said before the call, so those of a node
    /// group that was being deleted are terminated. Gives up after [`RECONCILED_LIMIT`].
    pub async fn reconciled(&self, caller: &Caller) -> Result<(), String> {
        let (mut reconciles, wake) =
            self.with_region(caller, |region| (region.reconciles.clone(), region.wake.clone()));
        let began = reconciles.borrow_and_update().began;
        wake.notify_one();
        let after = tokio::time::timeout(RECONCILED_LIMIT, reconciles.wait_for(|r| r.succeeded > began)).await;
        match after {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err("the region's reconcile stopped".into()),
            Err(_) => Err(format!("no reconcile of the region succeeded within {} s", RECONCILED_LIMIT.as_secs())),
        }
    }

    /// The caller's region, its task started on first use (inside a Tokio runtime).
    fn with_region<T>(&self, caller: &Caller, read: impl FnOnce(&Region) -> T) -> T {
        let mut regions = self.regions.lock().expect("region lock");
        let key = (caller.account.clone(), caller.region.clone());
        let region = regions.entry(key).or_insert_with(|| {
            let (sender, snapshots) = watch::channel(Snapshot::default());
            let (counter, reconciles) = watch::channel(Reconciles::default());
            let wake = Arc::new(Notify::new());
            let caller = Caller { account: caller.account.clone(), region: caller.region.clone(), arn: String::new() };
            let task = tokio::spawn(run(self.autoscaling.clone(), caller, sender, counter, wake.clone()));
            Region { snapshots, reconciles, wake, _task: AbortOnDropHandle::new(task) }
        });
        read(region)
    }
}

async fn run(
    autoscaling: AutoScaling,
    caller: Caller,
    sender: watch::Sender<Snapshot>,
    reconciles: watch::Sender<Reconciles>,
    wake: Arc<Notify>,
) {
    let mut writes = None;
    loop {
        // Watch from before the reconcile, so that no write after it goes unseen.
        if writes.is_none() {
            match autoscaling.changes(&caller).await {
                Ok(stream) => writes = Some(stream),
                Err(error) => tracing::warn!(%error, region = %caller.region, "cannot watch the region"),
            }
        }
        let started = Instant::now();
        reconciles.send_modify(|r| r.began += 1);
        // When the region next changes by itself; `None` when nothing waits for a time.
        let mut due = match autoscaling.sync_region(&caller).await {
            Ok(RegionSync { network, due }) => {
                let now = autoscaling.now();
                sender.send_if_modified(|snapshot| {
                    let next = snapshot.next(network, now);
                    let changed = next.generation != snapshot.generation;
                    *snapshot = next;
                    changed
                });
                reconciles.send_modify(|r| r.succeeded = r.began);
                due.map(|at| Instant::now() + Duration::from_secs_f64((at - now).max(0.0)))
            }
            Err(error) => {
                tracing::warn!(%error, region = %caller.region, "cannot reconcile the region's node groups");
                Some(Instant::now() + RETRY)
            }
        };
        if writes.is_none() {
            // Writes go unseen: look again before long.
            let retry = Instant::now() + RETRY;
            due = Some(due.map_or(retry, |at| at.min(retry)));
        }
        let until_due = async {
            match due {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(until_due);
        loop {
            let Some(stream) = writes.as_mut() else {
                tokio::select! {
                    () = wake.notified() => {}
                    () = &mut until_due => {}
                }
                break;
            };
            tokio::select! {
                write = stream.next() => match write {
                    Some(Ok(event)) if !may_move_instances(&event.kv.key) => continue,
                    Some(Ok(_)) => {}
                    // The watch ended (compaction, a closed store): watch again.
                    _ => writes = None,
                },
                () = wake.notified() => {}
                () = &mut until_due => {}
            }
            break;
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

/// Whether a write under a region's keys may change its node groups' instances: a node group's record, EC2's
/// (instances, launch templates, subnets) or Auto Scaling's. Clusters, Fargate profiles, add-ons and the like do
/// not.
fn may_move_instances(key: &str) -> bool {
    key.contains("/eks/nodegroups/") || key.contains("/ec2/") || key.contains("/autoscaling/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_model::clock::ManualClock;
    use aws_model::ec2::{Ec2, InstanceState};
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

    /// A store, a clock at 0, EC2 over the store and the region syncs over an EKS with no clusters.
    struct World {
        store: Arc<store::MemoryStore>,
        clock: Arc<ManualClock>,
        ec2: Ec2,
        syncs: RegionSyncs,
    }

    fn world() -> World {
        let store = Arc::new(store::MemoryStore::new());
        let clock = Arc::new(ManualClock::new(0.0));
        let ec2 = Ec2::new(Records::new(store.clone()), clock.clone());
        let eks = Eks::new(Records::new(store.clone()), Arc::new(NoClusters), clock.clone(), Default::default());
        let syncs = RegionSyncs::new(AutoScaling::new(eks, ec2.clone()));
        World { store, clock, ec2, syncs }
    }

    fn caller(region: &str) -> Caller {
        Caller { account: "000000000000".into(), region: region.into(), arn: String::new() }
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_in_the_region_is_reconciled_at_once_and_other_regions_are_left_alone() {
        let World { ec2, syncs, .. } = world();
        let east = caller("us-east-1");
        let mut snapshots = syncs.subscribe(&east);
        let first = snapshots.wait_for(|s| s.network.is_some()).await.unwrap().clone();
        let mut west = syncs.subscribe(&caller("us-west-2"));
        west.wait_for(|s| s.network.is_some()).await.unwrap();
        let west_generation = west.borrow_and_update().generation;

        let started = Instant::now();
        let id = "i-0123456789abcdef0";
        ec2.change(&east, &aws_model::ec2::Scope::everything(), |network, _| {
            let subnet = network.subnets.values().next().expect("the default VPC has subnets").clone();
            let ip = network.allocate_private_ip(&subnet.id)?;
            network.instances.insert(id.to_owned(), crate::eks::vpc_cni::tests::instance(id, &subnet, ip, None));
            Ok(())
        })
        .await
        .unwrap();
        let next = snapshots.wait_for(|s| s.generation > first.generation).await.unwrap().clone();
        assert!(next.network.unwrap().instances.contains_key(id));
        // Woken by the write (time here only moves when every task waits).
        assert!(started.elapsed() < RETRY, "took {:?}", started.elapsed());
        assert_eq!(west.borrow().generation, west_generation, "another region's snapshot did not change");
        assert!(!west.has_changed().unwrap());
        // The same region is shared, not reconciled twice.
        assert_eq!(syncs.regions.lock().unwrap().len(), 2);
        assert_eq!(syncs.subscribe(&east).borrow().generation, next.generation);
    }

    #[test]
    fn only_writes_of_node_groups_ec2_and_auto_scaling_move_instances() {
        for key in [
            "/aws/1/us-east-1/eks/nodegroups/demo/ng",
            "/aws/1/us-east-1/ec2/instance/i-0123",
            "/aws/1/us-east-1/autoscaling/group/eks-ng-1",
        ] {
            assert!(may_move_instances(key), "{key}");
        }
        for key in [
            "/aws/1/us-east-1/eks/clusters/demo",
            "/aws/1/us-east-1/eks/fargateprofiles/demo/fp",
            "/aws/1/us-east-1/eks/addons/demo/vpc-cni",
            "/aws/1/us-east-1/eks/updates/demo/id",
        ] {
            assert!(!may_move_instances(key), "{key}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_that_cannot_move_instances_wakes_no_reconcile() {
        let World { store, syncs, .. } = world();
        let east = caller("us-east-1");
        syncs.reconciled(&east).await.unwrap();
        let reconciles = || syncs.with_region(&east, |region| *region.reconciles.borrow());
        // Let the reconciles the first one's own write woke run out.
        tokio::time::sleep(RETRY).await;
        let before = reconciles();
        let profile = Records::regional_key("000000000000", "us-east-1", "eks", "fargateprofiles", "demo/fp");
        Records::new(store).create(&profile, &serde_json::json!({})).await.unwrap();
        tokio::time::sleep(RETRY).await;
        assert_eq!(reconciles(), before, "a Fargate profile's write is no reason to reconcile");
    }

    #[tokio::test(start_paused = true)]
    async fn reconciled_answers_after_a_reconcile_that_began_after_the_call_asked_for_at_once() {
        let World { syncs, .. } = world();
        let east = caller("us-east-1");
        syncs.reconciled(&east).await.unwrap();
        let reconciles = || syncs.with_region(&east, |region| *region.reconciles.borrow());
        let before = reconciles();
        assert_eq!(before.succeeded, before.began);

        let asked = Instant::now();
        syncs.reconciled(&east).await.unwrap();
        let after = reconciles();
        assert!(after.succeeded > before.began, "{before:?} then {after:?}");
        // Asked for, and done at once (time here only moves when every task waits).
        assert!(asked.elapsed() < RETRY, "took {:?}", asked.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_region_with_no_writes_and_nothing_due_is_not_reconciled() {
        let World { syncs, .. } = world();
        let east = caller("us-east-1");
        syncs.reconciled(&east).await.unwrap();
        let reconciles = || syncs.with_region(&east, |region| *region.reconciles.borrow());
        // The first reconcile's own write (the region's default VPC) wakes one more, which finds nothing to do.
        tokio::time::sleep(RETRY).await;
        let before = reconciles();
        tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
        assert_eq!(reconciles(), before, "a day with nothing written and nothing due");
    }

    #[tokio::test(start_paused = true)]
    async fn a_booting_instance_wakes_its_region_when_it_is_due_to_run() {
        let World { clock, ec2, syncs, .. } = world();
        let east = caller("us-east-1");
        let mut snapshots = syncs.subscribe(&east);
        let id = "i-0123456789abcdef0";
        ec2.change(&east, &aws_model::ec2::Scope::everything(), |network, _| {
            let subnet = network.subnets.values().next().expect("the default VPC has subnets").clone();
            let ip = network.allocate_private_ip(&subnet.id)?;
            let mut instance = crate::eks::vpc_cni::tests::instance(id, &subnet, ip, Some("blue"));
            instance.running_at = 60.0;
            network.instances.insert(id.to_owned(), instance);
            Ok(())
        })
        .await
        .unwrap();
        let state = |snapshot: &Snapshot| snapshot.cluster("blue").instances.first().map(|i| i.state);
        snapshots.wait_for(|s| state(s) == Some(InstanceState::Pending)).await.unwrap();
        tokio::time::sleep(RETRY).await;
        let before = syncs.with_region(&east, |region| *region.reconciles.borrow());

        // Nothing is written: the boot's end alone wakes the region, once.
        clock.advance(60.0);
        let woke = Instant::now();
        snapshots.wait_for(|s| state(s) == Some(InstanceState::Running)).await.unwrap();
        assert!(woke.elapsed() <= Duration::from_secs(60), "took {:?}", woke.elapsed());
        let after = syncs.with_region(&east, |region| *region.reconciles.borrow());
        assert_eq!(after.began, before.began + 1, "{before:?} then {after:?}");
    }

    #[test]
    fn a_cluster_s_count_moves_only_when_its_own_instances_change() {
        let mut network = Network::new("000000000000", "us-east-1");
        network.initialize(&mut aws_model::ec2::IdSource::Sequence(0));
        let subnet = network.subnets.values().next().unwrap().clone();
        let add = |network: &mut Network, id: &str, cluster: &str| {
            let ip = network.allocate_private_ip(&subnet.id).unwrap();
            let instance = crate::eks::vpc_cni::tests::instance(id, &subnet, ip, Some(cluster));
            network.instances.insert(id.to_owned(), instance);
        };
        add(&mut network, "i-00000000000000001", "blue");
        add(&mut network, "i-00000000000000002", "green");
        let first = Snapshot::default().next(network.clone(), 10.0);
        let (blue, green) = (first.cluster("blue"), first.cluster("green"));
        assert_eq!((blue.generation, blue.instances.len()), (1, 1));
        assert_eq!((green.generation, green.instances.len()), (1, 1));
        assert_eq!(first.cluster("nobody").generation, 0);

        // Nothing changed: the same snapshot.
        assert_eq!(first.next(network.clone(), 11.0).generation, first.generation);

        // A pod address for a green node: green moves, blue keeps its count.
        network.assign_private_ips("i-00000000000000002", 5).unwrap();
        let second = first.next(network.clone(), 12.0);
        assert_eq!(second.cluster("blue").generation, 1);
        assert_eq!(second.cluster("green").generation, 2);
        assert_eq!(second.cluster("green").instances[0].secondary_ips.len(), 5);

        // A change outside any cluster moves the region only.
        network.allocate_private_ip(&subnet.id).unwrap();
        let third = second.next(network.clone(), 13.0);
        assert_eq!(third.generation, 3);
        assert_eq!((third.cluster("blue").generation, third.cluster("green").generation), (1, 2));

        // Blue's only instance goes: blue moves once, to no instances, then is forgotten.
        network.instances.remove("i-00000000000000001");
        let fourth = third.next(network.clone(), 14.0);
        assert_eq!((fourth.cluster("blue").generation, fourth.cluster("blue").instances.len()), (4, 0));
        network.allocate_private_ip(&subnet.id).unwrap();
        let fifth = fourth.next(network, 15.0);
        assert!(!fifth.clusters.contains_key("blue"));
        assert_eq!(fifth.cluster("green").generation, 2);
    }
}

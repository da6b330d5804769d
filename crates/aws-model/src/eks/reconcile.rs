//! The background half of EKS's lifecycles. A call that deletes a resource answers as soon as its record says
//! `DELETING`; what the resource held is let go here afterwards: a cluster's Kubernetes cluster, security group and
//! child records, a node group's instances, an add-on's objects in its cluster. A record goes once that is done and
//! its delay (`EksConfig::delete_seconds`) is over. The same passes finish what a crash cut short: a cluster whose
//! create stopped before its Kubernetes side was made is made (or, when that fails, marked `FAILED` with a health
//! issue, as EKS reports a failed create), an add-on whose objects never went in is installed.
//!
//! [`cluster_step`], [`nodegroup_step`] and [`addon_step`] decide what a record needs now, with no IO;
//! [`Eks::reconcile`] takes the steps for one account and region. Any step may be taken twice (a retry, or the
//! reconcilers of two servers on one etcd), so each is idempotent and each record write a compare-and-swap. The
//! binary runs [`Eks::reconcile`] in a loop, woken by writes to EKS's records and by the times a pass reports.
//!
//! Passes also follow add-ons' health as EKS reports it: an `ACTIVE` add-on whose workloads do not have their
//! desired replicas ready (no nodes, pods that cannot be scheduled) turns `DEGRADED` with the health issue
//! `InsufficientNumberOfReplicas`, and back once they do ([`health_step`] decides when to look, [`health_verdict`]
//! what the answer of `KubernetesClusters::addon_ready` makes of the record). A region's add-ons are looked at
//! once every [`HEALTH_EVERY_SECONDS`] at most, however often passes come.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use serde::Serialize;

use super::addons::{Addon, AddonStatus};
use super::fargate::{FargateProfile, FargateProfileStatus};
use super::nodegroups::{Nodegroup, NodegroupStatus};
use super::{Caller, Cluster, ClusterStatus, CreateFailure, Eks, EksError, HealthIssue};
use crate::records::{RecordError, Records, Versioned};

/// How long a create that another server's call is making may go unfinished before this server takes it over,
/// taking the other server for dead. A create takes well under a second.
pub const CREATE_TAKEOVER_SECONDS: f64 = 60.0;

/// How many deleted clusters are released at once: their writes then share the store's commits.
const RELEASES_IN_FLIGHT: usize = 8;

/// The least time between two looks at a region's add-ons' health: passes come as often as writes wake them, and
/// each look reads the workloads of every add-on.
pub const HEALTH_EVERY_SECONDS: f64 = 5.0;

/// The code of the health issue of an add-on whose workloads lack ready replicas.
pub const INSUFFICIENT_REPLICAS: &str = "InsufficientNumberOfReplicas";

/// The kinds of EKS record whose lifecycle has a background half.
const KINDS: &[&str] = &["clusters", "nodegroups", "addons", "fargateprofiles"];

/// This server as the reconciler sees it: its name and boot, and the creates its calls are making right now.
#[derive(Debug)]
pub(crate) struct Process {
    server: String,
    boot: u64,
    /// The keys of the clusters being created by calls of this process, with how many calls (a second create of
    /// one name fails, but runs for a moment).
    creating: Arc<Mutex<HashMap<String, usize>>>,
    /// When each region's add-ons' health was last looked at (Unix seconds), by `<account>/<region>`.
    health_looked: Mutex<HashMap<String, f64>>,
}

impl Process {
    pub(crate) fn new(server: &str, boot: u64) -> Process {
        Process { server: server.to_owned(), boot, creating: Arc::default(), health_looked: Mutex::default() }
    }

    /// Whether a region's add-ons' health may be looked at `now` (at most once every [`HEALTH_EVERY_SECONDS`]);
    /// when it may, the look is taken as made now.
    fn may_look_at_health(&self, scope: &Caller, now: f64) -> bool {
        let mut looked = self.health_looked.lock().expect("health lock");
        let key = format!("{}/{}", scope.account, scope.region);
        match looked.get(&key) {
            Some(last) if now - last < HEALTH_EVERY_SECONDS && now >= *last => false,
            _ => {
                looked.insert(key, now);
                true
            }
        }
    }

    /// A process that was not named: a server of its own.
    pub(crate) fn anonymous() -> Process {
        Process::new(&crate::ids::hex_lower(8), 1)
    }

    /// `<server>#<boot>`, as a record's `created_by` holds it.
    pub(crate) fn name(&self) -> String {
        format!("{}#{}", self.server, self.boot)
    }

    /// Marks a create as running in this process until the guard is dropped (also when the call is cut short).
    pub(crate) fn creating(&self, key: &str) -> InFlight {
        *self.creating.lock().expect("in-flight lock").entry(key.to_owned()).or_default() += 1;
        InFlight { creating: Arc::clone(&self.creating), key: key.to_owned() }
    }

    fn in_flight(&self, key: &str) -> bool {
        self.creating.lock().expect("in-flight lock").contains_key(key)
    }

    fn viewpoint(&self, key: &str, now: f64) -> Viewpoint<'_> {
        Viewpoint { server: &self.server, boot: self.boot, in_flight: self.in_flight(key), now }
    }
}

/// A create running in this process; dropping it ends it.
#[derive(Debug)]
pub(crate) struct InFlight {
    creating: Arc<Mutex<HashMap<String, usize>>>,
    key: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut creating = self.creating.lock().expect("in-flight lock");
        if let Some(count) = creating.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                creating.remove(&self.key);
            }
        }
    }
}

/// Where a decision is taken from: this server, its boot, whether a call of this process is creating the
/// record, and the time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewpoint<'a> {
    pub server: &'a str,
    pub boot: u64,
    pub in_flight: bool,
    /// Unix seconds.
    pub now: f64,
}

/// What a cluster needs from the reconciler now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClusterStep {
    /// Nothing now; the next step is due at this time, if at a known one.
    Wait(Option<f64>),
    /// Its create was cut short: make its Kubernetes side and complete the record.
    FinishCreate,
    /// It is deleted: let go of what it holds.
    Release,
    /// Released, and its delay is over: remove the record.
    Remove,
}

/// What a node group needs from the reconciler now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NodegroupStep {
    /// Nothing now; the next step is due at this time, if at a known one.
    Wait(Option<f64>),
    /// It is deleted: terminate its instances.
    Release,
    /// Released, and its delay is over: remove the record.
    Remove,
}

/// What an add-on needs from the reconciler now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AddonStep {
    /// Nothing now; the next step is due at this time, if at a known one.
    Wait(Option<f64>),
    /// Its objects are not in its cluster yet: put them in.
    Install,
    /// It is deleted: take its objects out of its cluster, unless they are to be preserved.
    Release,
    /// Released, and its delay is over: remove the record.
    Remove,
}

/// When an add-on's health is to be looked at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HealthStep {
    /// Not in a state whose health is followed (`CREATING`, `DELETING`, failed, updating, objects not in).
    Never,
    /// Its grace period runs until this time.
    Wait(f64),
    /// Now.
    Look,
}

/// When an add-on's workloads are looked at, given the grace period after it became `ACTIVE` or an update of it
/// ended (`EksConfig::addon_health_grace_seconds`): EKS gives new pods time to be scheduled and start before it
/// calls an add-on degraded.
pub fn health_step(addon: &Addon, now: f64, grace: f64) -> HealthStep {
    // A `CREATING` add-on whose objects are in is `ACTIVE` from its `ready_at` on (reads settle it).
    let followed =
        matches!(addon.status, AddonStatus::Active | AddonStatus::Degraded | AddonStatus::Creating) && addon.installed;
    let updating = addon.updating_until.is_some_and(|until| now < until);
    if !followed || updating {
        return HealthStep::Never;
    }
    let settled = addon.ready_at.max(addon.modified_at).max(addon.updating_until.unwrap_or(0.0));
    let due = settled + grace;
    if now < due { HealthStep::Wait(due) } else { HealthStep::Look }
}

/// What a look at an add-on's workloads (`ready`: they have their replicas ready) makes of its record (one
/// [`health_step`] says to look at): `ACTIVE` without the issue when ready, `DEGRADED` with it when not; other
/// issues stay. `false` when nothing changes (or
/// the add-on is no longer in a state whose health is followed).
pub fn health_verdict(addon: &mut Addon, ready: bool) -> bool {
    let settled = match addon.status {
        AddonStatus::Creating if addon.installed => AddonStatus::Active,
        AddonStatus::Active | AddonStatus::Degraded => addon.status,
        _ => return false,
    };
    let had_issue = addon.health.iter().any(|issue| issue.code == INSUFFICIENT_REPLICAS);
    let status = if ready { AddonStatus::Active } else { AddonStatus::Degraded };
    if addon.status == status && settled == status && had_issue != ready {
        return false;
    }
    addon.status = status;
    addon.health.retain(|issue| issue.code != INSUFFICIENT_REPLICAS);
    if !ready {
        addon.health.push(HealthIssue {
            code: INSUFFICIENT_REPLICAS.into(),
            message: "The add-on is unhealthy because it doesn't have the desired number of replicas.".into(),
            resource_ids: Vec::new(),
        });
    }
    true
}

/// Who is making a cluster that is `CREATING` without an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CreateOwner {
    /// A call of this process, which finishes it.
    ThisProcess,
    /// Nobody any more: a call of this process that ended without finishing, an earlier run of this server, or a
    /// version that did not name servers.
    Nobody,
    /// Another server, which may still be at it.
    OtherServer,
}

fn create_owner(created_by: &str, at: &Viewpoint<'_>) -> CreateOwner {
    if created_by.is_empty() {
        return CreateOwner::Nobody;
    }
    match created_by.rsplit_once('#') {
        Some((server, boot)) if server == at.server => {
            if boot == at.boot.to_string() && at.in_flight {
                CreateOwner::ThisProcess
            } else {
                CreateOwner::Nobody
            }
        }
        _ => CreateOwner::OtherServer,
    }
}

/// When a `DELETING` record that is released goes: now, or at its `gone_at`.
fn removal(gone_at: Option<f64>, now: f64) -> Option<f64> {
    gone_at.filter(|at| now < *at)
}

/// What a cluster needs now.
pub fn cluster_step(cluster: &Cluster, at: &Viewpoint<'_>) -> ClusterStep {
    match cluster.status {
        ClusterStatus::Creating if cluster.endpoint.is_empty() => match create_owner(&cluster.created_by, at) {
            // The call's end is a write, which wakes the reconciler.
            CreateOwner::ThisProcess => ClusterStep::Wait(None),
            CreateOwner::Nobody => ClusterStep::FinishCreate,
            CreateOwner::OtherServer => {
                let takeover = cluster.created_at + CREATE_TAKEOVER_SECONDS;
                if at.now >= takeover { ClusterStep::FinishCreate } else { ClusterStep::Wait(Some(takeover)) }
            }
        },
        ClusterStatus::Deleting if !cluster.released => ClusterStep::Release,
        ClusterStatus::Deleting => match removal(cluster.gone_at, at.now) {
            Some(due) => ClusterStep::Wait(Some(due)),
            None => ClusterStep::Remove,
        },
        _ => ClusterStep::Wait(None),
    }
}

/// What a node group needs at `now`.
pub fn nodegroup_step(nodegroup: &Nodegroup, now: f64) -> NodegroupStep {
    match nodegroup.status {
        NodegroupStatus::Deleting if !nodegroup.released => NodegroupStep::Release,
        NodegroupStatus::Deleting => match removal(nodegroup.gone_at, now) {
            Some(due) => NodegroupStep::Wait(Some(due)),
            None => NodegroupStep::Remove,
        },
        _ => NodegroupStep::Wait(None),
    }
}

/// What an add-on needs at `now`.
pub fn addon_step(addon: &Addon, now: f64) -> AddonStep {
    match addon.status {
        AddonStatus::Creating if !addon.installed => AddonStep::Install,
        AddonStatus::Deleting if !addon.released => AddonStep::Release,
        AddonStatus::Deleting => match removal(addon.gone_at, now) {
            Some(due) => AddonStep::Wait(Some(due)),
            None => AddonStep::Remove,
        },
        _ => AddonStep::Wait(None),
    }
}

/// The account and region (as a caller) of an EKS record whose lifecycle the reconciler follows:
/// `/aws/<account>/<region>/eks/<kind>/...`.
pub fn scope_of(key: &str) -> Option<Caller> {
    let mut parts = key.strip_prefix("/aws/")?.splitn(5, '/');
    let (account, region, service, kind) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let reconciled = service == "eks" && KINDS.contains(&kind) && region != "global" && parts.next().is_some();
    reconciled.then(|| Caller { account: account.to_owned(), region: region.to_owned(), arn: String::new() })
}

/// Whether a write under `key` that left `value` (empty for a delete) may leave a step to take: the record is of a
/// kind whose lifecycle has a background half ([`scope_of`]) and in a status some step above starts from
/// (`DELETING`; `CREATING` for clusters and add-ons). Writes of records in other states (a Fargate profile
/// created, a tag, a node group resized) and deletes of records need no pass.
pub fn may_need_steps(key: &str, value: &[u8]) -> bool {
    /// The one field this reads of a record.
    #[derive(serde::Deserialize)]
    struct Status {
        status: Option<String>,
    }
    if scope_of(key).is_none() {
        return false;
    }
    let creates_in_background = matches!(key.split('/').nth(5), Some("clusters" | "addons"));
    serde_json::from_slice::<Status>(value)
        .ok()
        .and_then(|record| record.status)
        .is_some_and(|status| status == "DELETING" || (creates_in_background && status == "CREATING"))
}

/// Node group instances, which Auto Scaling keeps (the binary hands its Auto Scaling over).
#[async_trait::async_trait]
pub trait NodegroupInstances: Send + Sync {
    /// Brings the instances of the account and region's node groups in line with the node groups, so that the
    /// instances of every node group that was `DELETING` before the call are terminated when it returns.
    async fn follow(&self, scope: &Caller) -> Result<(), String>;
}

/// What a pass over one account and region left.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pass {
    /// Steps taken.
    pub steps: usize,
    /// The steps that failed, and why; the next pass tries them again.
    pub failures: Vec<String>,
    /// When the next record is due (Unix seconds), if any is waiting for a known time.
    pub due: Option<f64>,
}

impl Pass {
    fn due_at(&mut self, due: Option<f64>) {
        if let Some(due) = due {
            self.due = Some(self.due.map_or(due, |earlier| earlier.min(due)));
        }
    }

    fn took<E: std::fmt::Display>(&mut self, what: &str, result: Result<(), E>) {
        self.steps += 1;
        if let Err(error) = result {
            self.failures.push(format!("{what}: {error}"));
        }
    }
}

impl Eks {
    /// One pass over the EKS records of an account and region: takes every step that is due (see the module
    /// documentation) and reports what is left.
    pub async fn reconcile(&self, scope: &Caller, instances: &dyn NodegroupInstances) -> Result<Pass, EksError> {
        let mut pass = Pass::default();
        let now = self.clock.now();
        // Shared with the records' cache: a pass over a region where nothing is due copies no record.
        let clusters = self.records.list_shared::<Cluster>(&Self::clusters_prefix(scope)).await?;
        let by_name: BTreeMap<String, Arc<Cluster>> =
            clusters.iter().map(|stored| (stored.value.name.clone(), Arc::clone(&stored.value))).collect();
        let mut releasing = Vec::new();
        for stored in clusters {
            match cluster_step(&stored.value, &self.process.viewpoint(&stored.key, now)) {
                ClusterStep::Wait(due) => pass.due_at(due),
                ClusterStep::FinishCreate => {
                    let name = stored.value.name.clone();
                    pass.took(
                        &format!("finishing the create of cluster {name}"),
                        self.resume_create(scope, stored.into_owned()).await,
                    )
                }
                ClusterStep::Release => releasing.push(stored.into_owned()),
                ClusterStep::Remove => pass.took("removing a deleted cluster", self.remove(&stored).await),
            }
        }
        self.release_clusters(scope, releasing, now, &mut pass).await;
        self.reconcile_nodegroups(scope, instances, now, &mut pass).await?;
        self.reconcile_addons(scope, &by_name, now, &mut pass).await?;
        let prefix = Records::regional_key(&scope.account, &scope.region, "eks", "fargateprofiles", "");
        for stored in self.records.list_shared::<FargateProfile>(&prefix).await? {
            // Reading settles a profile: a `DELETING` one whose delay is over goes. Other statuses need nothing.
            if stored.value.status == FargateProfileStatus::Deleting
                && let Some(profile) =
                    self.settle_profile(&stored.key, Arc::unwrap_or_clone(stored.value), stored.revision).await?
            {
                pass.due_at(profile.gone_at.filter(|at| now < *at));
            }
        }
        Ok(pass)
    }

    /// Finishes a create that was cut short; when its Kubernetes side cannot be made, the cluster is `FAILED` with
    /// a health issue saying why.
    async fn resume_create(&self, scope: &Caller, stored: Versioned<Cluster>) -> Result<(), EksError> {
        let reason = match self.finish_create(scope, &stored.key, stored.value, stored.revision).await {
            Ok(_) => return Ok(()),
            Err(CreateFailure::Eks(error)) => return Err(error),
            Err(CreateFailure::Kubernetes(reason)) => reason,
        };
        self.edit::<Cluster, ()>(&stored.key, |cluster| {
            if cluster.status == ClusterStatus::Creating && cluster.endpoint.is_empty() {
                cluster.status = ClusterStatus::Failed;
                cluster.health = vec![HealthIssue {
                    code: "InternalFailure".into(),
                    message: format!("The cluster's control plane could not be created: {reason}"),
                    resource_ids: vec![cluster.name.clone()],
                }];
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Lets go of what deleted clusters hold: their Kubernetes clusters and child records (a few clusters at a
    /// time), then their security groups in one change of the network; then each is released (or removed, when
    /// its delay is over).
    async fn release_clusters(&self, scope: &Caller, clusters: Vec<Versioned<Cluster>>, now: f64, pass: &mut Pass) {
        let outcomes: Vec<_> = futures::stream::iter(clusters)
            .map(|stored| async move {
                let cluster = &stored.value;
                let result = match self.kubernetes.delete(&cluster.kubernetes_name).await {
                    Ok(()) => self.forget_cluster_children(scope, &cluster.name).await,
                    Err(reason) => Err(EksError::Server(reason)),
                };
                (stored, result)
            })
            .buffer_unordered(RELEASES_IN_FLIGHT)
            .collect()
            .await;
        let mut released = Vec::new();
        for (stored, result) in outcomes {
            match result {
                Ok(()) => released.push(stored),
                Err(error) => pass.took(&format!("releasing cluster {}", stored.value.name), Err(error)),
            }
        }
        let groups: Vec<String> = released
            .iter()
            .filter(|stored| !stored.value.vpc.vpc_id.is_empty())
            .map(|stored| stored.value.vpc.cluster_security_group_id.clone())
            .collect();
        if let Err(error) = self.delete_cluster_security_groups(scope, &groups).await {
            pass.took("deleting cluster security groups", Err(error));
            return;
        }
        self.mark_released(released, now, "marking a cluster released", pass).await;
    }

    /// Marks records released (or removes them), side by side so that their writes share the store's commits.
    async fn mark_released<T: Serialize + Releasable + Send + Sync>(
        &self,
        records: Vec<Versioned<T>>,
        now: f64,
        what: &str,
        pass: &mut Pass,
    ) {
        let results = futures::future::join_all(records.into_iter().map(|mut stored| async move {
            stored.value.set_released();
            let due = removal(stored.value.gone_at(), now);
            (due, self.released(&stored, now).await)
        }))
        .await;
        for (due, result) in results {
            pass.due_at(due);
            pass.took(what, result);
        }
    }

    async fn reconcile_nodegroups(
        &self,
        scope: &Caller,
        instances: &dyn NodegroupInstances,
        now: f64,
        pass: &mut Pass,
    ) -> Result<(), EksError> {
        let prefix = Records::regional_key(&scope.account, &scope.region, "eks", "nodegroups", "");
        let mut releasing = Vec::new();
        for stored in self.records.list_shared::<Nodegroup>(&prefix).await? {
            match nodegroup_step(&stored.value, now) {
                NodegroupStep::Wait(due) => pass.due_at(due),
                NodegroupStep::Release => releasing.push(stored.into_owned()),
                NodegroupStep::Remove => pass.took("removing a deleted node group", self.remove(&stored).await),
            }
        }
        if releasing.is_empty() {
            return Ok(());
        }
        // One reconcile of the region's Auto Scaling groups terminates the instances of all of them: they were
        // `DELETING` before it read the node groups.
        if let Err(reason) = instances.follow(scope).await {
            pass.took("terminating deleted node groups' instances", Err(reason));
            return Ok(());
        }
        self.mark_released(releasing, now, "marking a node group released", pass).await;
        Ok(())
    }

    async fn reconcile_addons(
        &self,
        scope: &Caller,
        clusters: &BTreeMap<String, Arc<Cluster>>,
        now: f64,
        pass: &mut Pass,
    ) -> Result<(), EksError> {
        let prefix = Records::regional_key(&scope.account, &scope.region, "eks", "addons", "");
        let grace = self.config.addon_health_grace_seconds;
        let mut looks = Vec::new();
        // Read as the cache shares them: only an add-on a step changes is copied.
        for stored in self.records.list_shared::<Addon>(&prefix).await? {
            // A cluster that is gone or going takes its add-ons' objects with it.
            let cluster = clusters.get(&stored.value.cluster).filter(|c| c.status != ClusterStatus::Deleting);
            match addon_step(&stored.value, now) {
                AddonStep::Wait(due) => {
                    pass.due_at(due);
                    let Some(cluster) = cluster.filter(|c| !c.endpoint.is_empty()) else { continue };
                    match health_step(&stored.value, now, grace) {
                        HealthStep::Never => {}
                        HealthStep::Wait(due) => pass.due_at(Some(due)),
                        HealthStep::Look => looks.push((stored, cluster.kubernetes_name.clone())),
                    }
                }
                AddonStep::Install => {
                    let Some(cluster) = cluster else { continue };
                    let name = stored.value.name.clone();
                    let result = self.install_addon(&stored.key, &stored.value, &cluster.kubernetes_name).await;
                    pass.took(&format!("installing add-on {name}"), result);
                }
                AddonStep::Release => {
                    let mut stored = stored.into_owned();
                    let addon = &stored.value;
                    let taken_out = match cluster {
                        Some(cluster) if !addon.preserve => {
                            self.kubernetes.addon(&cluster.kubernetes_name, addon, false).await
                        }
                        _ => Ok(()),
                    };
                    let result = match taken_out {
                        Ok(()) => {
                            stored.value.released = true;
                            pass.due_at(removal(stored.value.gone_at, now));
                            self.released(&stored, now).await
                        }
                        Err(reason) => Err(EksError::Server(reason)),
                    };
                    pass.took("releasing a deleted add-on", result);
                }
                AddonStep::Remove => pass.took("removing a deleted add-on", self.remove(&stored).await),
            }
        }
        if !looks.is_empty() && self.process.may_look_at_health(scope, now) {
            for (stored, kubernetes_name) in looks {
                let name = stored.value.name.clone();
                let result = self.follow_health(&stored.key, &stored.value, &kubernetes_name, now).await;
                if let Err(error) = result {
                    pass.took(&format!("looking at the health of add-on {name}"), Err(error));
                }
            }
        }
        Ok(())
    }

    /// Asks whether an add-on's workloads have their replicas ready and writes what that makes of its record, if
    /// it changes it (the record as it is then: an update or delete that came meanwhile wins).
    async fn follow_health(&self, key: &str, addon: &Addon, kubernetes_name: &str, now: f64) -> Result<(), EksError> {
        let ready = self.kubernetes.addon_ready(kubernetes_name, addon).await.map_err(EksError::Server)?;
        if !health_verdict(&mut addon.clone(), ready) {
            return Ok(());
        }
        let grace = self.config.addon_health_grace_seconds;
        self.edit::<Addon, ()>(key, |stored| {
            if health_step(stored, now, grace) == HealthStep::Look {
                health_verdict(stored, ready);
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Puts an add-on's objects into its cluster and marks it installed; when they cannot go in, the add-on is
    /// `CREATE_FAILED` with a health issue saying why.
    async fn install_addon(&self, key: &str, addon: &Addon, kubernetes_name: &str) -> Result<(), EksError> {
        let failure = self.kubernetes.addon(kubernetes_name, addon, true).await.err();
        self.edit::<Addon, ()>(key, |addon| {
            if addon.status != AddonStatus::Creating || addon.installed {
                return Ok(());
            }
            match &failure {
                None => addon.installed = true,
                Some(reason) => {
                    addon.status = AddonStatus::CreateFailed;
                    addon.health = vec![HealthIssue {
                        code: "ClusterUnreachable".into(),
                        message: format!("The add-on's objects could not be put into the cluster: {reason}"),
                        resource_ids: Vec::new(),
                    }];
                }
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Writes a record marked released, or removes it when its delay is over; losing the race to another
    /// writer is fine (the write wakes the next pass, which looks again).
    async fn released<T: Serialize + Releasable>(&self, stored: &Versioned<T>, now: f64) -> Result<(), EksError> {
        let written = match removal(stored.value.gone_at(), now) {
            None => self.records.delete(&stored.key, Some(stored.revision)).await,
            Some(_) => self.records.update(&stored.key, &stored.value, stored.revision).await.map(drop),
        };
        match written {
            Ok(()) | Err(RecordError::Conflict(_) | RecordError::NotFound(_)) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Removes a record as read; a record changed since is left for the next pass.
    async fn remove<T>(&self, stored: &Versioned<T>) -> Result<(), EksError> {
        match self.records.delete(&stored.key, Some(stored.revision)).await {
            Ok(()) | Err(RecordError::Conflict(_) | RecordError::NotFound(_)) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

/// A record that stays `DELETING` until what it holds is let go and a time has passed.
trait Releasable {
    fn gone_at(&self) -> Option<f64>;
    fn set_released(&mut self);
}

impl Releasable for Cluster {
    fn gone_at(&self) -> Option<f64> {
        self.gone_at
    }
    fn set_released(&mut self) {
        self.released = true;
    }
}

impl Releasable for Nodegroup {
    fn gone_at(&self) -> Option<f64> {
        self.gone_at
    }
    fn set_released(&mut self) {
        self.released = true;
    }
}

impl Releasable for Addon {
    fn gone_at(&self) -> Option<f64> {
        self.gone_at
    }
    fn set_released(&mut self) {
        self.released = true;
    }
}

#[cfg(test)]
mod tests;

//! Karpenter (github.com/kubernetes-sigs/karpenter with its AWS provider, `aws/karpenter-provider-aws`) and EKS
//! Auto Mode's managed Karpenter: NodePools and node classes turn pending pods into NodeClaims, NodeClaims into
//! instances of the cluster's [`Fleet`], and idle nodes back into nothing. Two flavours ([`ClassKind`]): Karpenter
//! acts while a Deployment (any namespace) whose container image repository is `karpenter/controller` has an
//! available replica, with `EC2NodeClass`es; Auto Mode acts while the fleet says the cluster's compute is on, with
//! Auto Mode's `NodeClass`es and its built-in objects ([`auto_mode`]). While either is active, the CRDs it needs
//! are created if absent ([`crds`]; what a chart installed is left alone), and one loop per cluster, woken by
//! watches and sleeping to its next deadline, does in upstream's order:
//!
//! - node classes: resolved through the fleet (subnets, security groups, images, instance profile) into their
//!   status and conditions, with the finalizer `karpenter.k8s.aws/termination` (a class goes when no claim uses it);
//! - NodePools: `ValidationSucceeded`, `NodeClassReady`, `Ready`, `resources` (the capacity of their claims),
//!   `nodes`, `nodeClassObservedGeneration`;
//! - NodeClaims ([`lifecycle`]): launched through the fleet (overrides cheapest first; insufficient capacity marks
//!   those offerings unavailable for 3 minutes and deletes the claim, as upstream; other errors keep `Launched`
//!   Unknown and are retried until the 5 minute launch TTL), registered when a node with the claim's provider id
//!   appears (labels, finalizer, owner reference, the claim's taints, the `karpenter.sh/unregistered` taint
//!   removed; deleted after the 15 minute registration TTL), initialized once the node is Ready without startup
//!   taints, and `Consolidatable` once `consolidateAfter` has passed since its pods last changed;
//! - termination: a deleted NodeClaim or Node (both hold `karpenter.sh/termination`) has its node tainted
//!   `karpenter.sh/disrupted:NoSchedule` and drained through the eviction API ([`crate::drain`], budgets honoured;
//!   after the claim's `terminationGracePeriod` the remaining pods are deleted), then its instance terminated and,
//!   once the fleet no longer lists it, the finalizers removed (node, then claim); instances without a claim are
//!   terminated after 30 seconds, claims whose instance vanished are deleted;
//! - provisioning ([`provisioning`]): pods the scheduler could not place, batched (1 s idle, 10 s at most), that
//!   neither fit an existing node nor are nominated to a claim not yet initialized, are planned onto new NodeClaims
//!   (events `Nominated` on the pods, `FailedScheduling` with upstream's reasons when no pool takes them);
//! - disruption ([`disruption`], [`drift`]): expiration (`expireAfter`, forceful), emptiness, drift and
//!   consolidation (deleting, or replacing by one cheaper node) within budgets; replacements are launched before
//!   the nodes they replace go, which are tainted `karpenter.sh/disrupted:NoSchedule` meanwhile (events
//!   `DisruptionLaunching`, `DisruptionWaitingReadiness`, `DisruptionTerminating`, `DisruptionBlocked`,
//!   `Unconsolidatable`).
//!
//! Differences from upstream: no spot interruption handling, no spot-to-spot consolidation (upstream's feature
//! gate, off by default), no static pools (`replicas`), no NodeOverlays, topology spread is not planned across new
//! claims, a claim is marked `Drifted` once initialized (upstream: once launched), and one disruption that needs
//! new nodes is under way at a time.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{Node, NodeSelectorRequirement, Pod, Taint};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::Clock;
use crate::batch_support::{record_event, reflect};
use crate::fleet::{ClassKind, Fleet, InstanceTypeInfo, ResolvedClass};
use crate::without_managed_fields;

pub mod auto_mode;
pub mod conditions;
pub mod crds;
pub mod disruption;
pub mod drift;
pub mod lifecycle;
pub mod provisioning;
pub mod requirements;

use conditions::Condition;
use requirements::{Allowed, Requirements};

/// Karpenter's API group.
pub const GROUP: &str = "karpenter.sh";
/// The AWS provider's API group.
pub const AWS_GROUP: &str = "karpenter.k8s.aws";
/// EKS Auto Mode's API group.
pub const AUTO_GROUP: &str = "eks.amazonaws.com";
/// The image repository that marks Karpenter's Deployment.
pub const IMAGE_REPOSITORY: &str = "karpenter/controller";
/// The label naming a node's or claim's pool.
pub const NODEPOOL_LABEL: &str = "karpenter.sh/nodepool";
/// The label a registered node carries.
pub const REGISTERED_LABEL: &str = "karpenter.sh/registered";
/// The label an initialized node carries.
pub const INITIALIZED_LABEL: &str = "karpenter.sh/initialized";
/// The finalizer of NodeClaims and their nodes.
pub const TERMINATION_FINALIZER: &str = "karpenter.sh/termination";
/// The finalizer of node classes.
pub const CLASS_FINALIZER: &str = "karpenter.k8s.aws/termination";
/// The taint a node registers with until Karpenter has synced it.
pub const UNREGISTERED_TAINT: &str = "karpenter.sh/unregistered";
/// The taint of a node being disrupted.
pub const DISRUPTED_TAINT: &str = "karpenter.sh/disrupted";

/// Seconds before Auto Mode's built-in objects are written again after a failure.
const BUILT_IN_RETRY_SECONDS: i64 = 10;
/// How often a cluster with neither Karpenter nor Auto Mode looks again at the cluster's compute settings.
const IDLE_LOOK: Duration = Duration::from_secs(10);
const COMPONENT: &str = "karpenter";
/// How long an offering that had no capacity is left out.
const UNAVAILABLE_SECONDS: i64 = 180;
/// How long an instance may live without a claim.
const ORPHAN_GRACE_SECONDS: i64 = 30;

/// Declares one of Karpenter's cluster-scoped kinds (`metadata`, and `spec` and `status` as JSON) with its
/// `kube::Resource`.
macro_rules! karpenter_resource {
    ($type:ident, $group:expr, $kind:literal, $plural:literal) => {
        #[doc = concat!("A `", $kind, "`, its spec and status kept as JSON.")]
        #[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
        pub struct $type {
            #[serde(default)]
            pub metadata: kube::core::ObjectMeta,
            #[serde(default)]
            pub spec: Value,
            #[serde(default, skip_serializing_if = "Value::is_null")]
            pub status: Value,
        }

        custom_resource!($type, kube::core::ClusterResourceScope, $group, "v1", $kind, $plural);
    };
}

karpenter_resource!(NodePool, GROUP, "NodePool", "nodepools");
karpenter_resource!(NodeClaim, GROUP, "NodeClaim", "nodeclaims");
karpenter_resource!(Ec2NodeClass, AWS_GROUP, "EC2NodeClass", "ec2nodeclasses");
karpenter_resource!(AutoNodeClass, AUTO_GROUP, "NodeClass", "nodeclasses");

/// Whether `image` is Karpenter's controller: its repository (`k8s_model::image_repository`, the last path
/// segment) is `controller` under a `karpenter` path (`public.ecr.aws/karpenter/controller:1.8.1`).
pub fn is_karpenter_image(image: &str) -> bool {
    let without_digest = image.split('@').next().unwrap_or(image);
    let path = without_digest.rsplit_once('/').map_or("", |(path, _)| path);
    k8s_model::image_repository(image) == "controller" && (path == "karpenter" || path.ends_with("/karpenter"))
}

/// Whether `deployment` runs Karpenter's controller with an available replica.
pub fn installed(deployment: &Deployment) -> bool {
    let available = deployment.status.as_ref().and_then(|status| status.available_replicas).unwrap_or(0);
    available >= 1
        && deployment.spec.as_ref().and_then(|spec| spec.template.spec.as_ref()).is_some_and(|spec| {
            spec.containers.iter().any(|container| container.image.as_deref().is_some_and(is_karpenter_image))
        })
}

/// The class kind a `nodeClassRef` names, if one this crate knows.
pub fn class_kind(reference: &Value) -> Option<ClassKind> {
    match (reference.get("group")?.as_str()?, reference.get("kind")?.as_str()?) {
        (AWS_GROUP, "EC2NodeClass") => Some(ClassKind::Ec2NodeClass),
        (AUTO_GROUP, "NodeClass") => Some(ClassKind::AutoModeNodeClass),
        _ => None,
    }
}

/// Settings tests change.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long provisioning waits for more pending pods after the last new one (upstream's batch idle duration).
    pub batch_idle: Duration,
    /// How long a batch lasts at most (upstream's batch max duration).
    pub batch_max: Duration,
    /// How often the fleet's instance types and node classes are read again.
    pub refresh: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            batch_idle: Duration::from_secs(1),
            batch_max: Duration::from_secs(10),
            refresh: Duration::from_secs(60),
        }
    }
}

/// Runs Karpenter for one cluster until the task is dropped; it acts only while installed or Auto Mode is on.
pub async fn run(client: kube::Client, fleet: Arc<dyn Fleet>, clock: Clock) {
    run_with(client, fleet, clock, Settings::default()).await;
}

/// [`run`] with explicit settings.
pub async fn run_with(client: kube::Client, fleet: Arc<dyn Fleet>, clock: Clock, settings: Settings) {
    let changed = Arc::new(tokio::sync::Notify::new());
    let (deployments, _d) =
        reflect(Api::<Deployment>::all(client.clone()), without_managed_fields, Some(changed.clone()));
    if deployments.wait_until_ready().await.is_err() {
        return;
    }
    let mut state = State::default();
    let mut caches: Option<Caches> = None;
    loop {
        let karpenter = deployments.state().iter().any(|d| installed(d));
        let auto = match fleet.auto_mode().await {
            Ok(auto) => auto,
            Err(error) => {
                tracing::debug!(%error, "karpenter: cannot read the cluster's compute settings");
                None
            }
        };
        let mut kinds = BTreeSet::new();
        if karpenter {
            kinds.insert(ClassKind::Ec2NodeClass);
        }
        if auto.is_some() {
            kinds.insert(ClassKind::AutoModeNodeClass);
        }
        if kinds.is_empty() {
            caches = None;
            // Installing Karpenter wakes the loop at once (a Deployment changes); turning Auto Mode on is an
            // EKS update, seen at the next look at the cluster's settings (a store read, so not every instant).
            tokio::select! {
                _ = changed.notified() => {}
                _ = tokio::time::sleep(IDLE_LOOK) => {}
            }
            continue;
        }
        if caches.as_ref().is_none_or(|c| c.kinds != kinds) {
            caches = None;
            if ensure_crds(&client, &kinds).await {
                caches = Caches::start(&client, &kinds, changed.clone()).await;
            }
        }
        let Some(cached) = &caches else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        let round = Round {
            client: &client,
            fleet: fleet.as_ref(),
            settings: &settings,
            now: clock.now(),
            auto: auto.clone(),
            kinds: kinds.clone(),
            pools: cached.pools.state(),
            claims: cached.claims.state(),
            classes: cached.classes(),
            nodes: cached.nodes.state(),
            pods: cached.pods.state(),
            budgets: cached.budgets.state().iter().map(|b| (**b).clone()).collect(),
            daemon_sets: cached.daemon_sets.state(),
        };
        let next = round.run(&mut state).await;
        let wait = next.clamp(Duration::from_millis(50), Duration::from_secs(10));
        tokio::select! {
            _ = changed.notified() => {
                // Let a burst of watch events settle into one round.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Creates the CRDs of `kinds` that are absent; whether they all exist.
async fn ensure_crds(client: &kube::Client, kinds: &BTreeSet<ClassKind>) -> bool {
    let mut seen = HashSet::new();
    let wanted: Vec<Value> = kinds
        .iter()
        .flat_map(|kind| crds::for_kind(*kind))
        .filter(|crd| seen.insert(crd["metadata"]["name"].as_str().unwrap_or_default().to_owned()))
        .collect();
    match crate::crds::ensure(client, wanted).await {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(%error, "karpenter: cannot create its CRDs");
            false
        }
    }
}

/// The caches a round reads, each kept by its own watch, which stops when they are dropped.
struct Caches {
    kinds: BTreeSet<ClassKind>,
    pools: kube::runtime::reflector::Store<NodePool>,
    claims: kube::runtime::reflector::Store<NodeClaim>,
    ec2_classes: Option<kube::runtime::reflector::Store<Ec2NodeClass>>,
    auto_classes: Option<kube::runtime::reflector::Store<AutoNodeClass>>,
    nodes: kube::runtime::reflector::Store<Node>,
    pods: kube::runtime::reflector::Store<Pod>,
    budgets: kube::runtime::reflector::Store<PodDisruptionBudget>,
    daemon_sets: kube::runtime::reflector::Store<DaemonSet>,
    _watches: Vec<tokio_util::task::AbortOnDropHandle<()>>,
}

/// A node class of either kind.
#[derive(Debug, Clone)]
struct Class {
    kind: ClassKind,
    metadata: kube::core::ObjectMeta,
    spec: Value,
    status: Value,
}

impl Caches {
    async fn start(
        client: &kube::Client,
        kinds: &BTreeSet<ClassKind>,
        changed: Arc<tokio::sync::Notify>,
    ) -> Option<Caches> {
        let c = Some(changed);
        let (pools, a) = reflect(Api::<NodePool>::all(client.clone()), without_managed_fields, c.clone());
        let (claims, b) = reflect(Api::<NodeClaim>::all(client.clone()), without_managed_fields, c.clone());
        let (nodes, d) = reflect(Api::<Node>::all(client.clone()), without_managed_fields, c.clone());
        let (pods, e) = reflect(Api::<Pod>::all(client.clone()), without_managed_fields, c.clone());
        let (budgets, f) = reflect(Api::<PodDisruptionBudget>::all(client.clone()), without_managed_fields, c.clone());
        let (daemon_sets, g) = reflect(Api::<DaemonSet>::all(client.clone()), without_managed_fields, c.clone());
        let mut watches = vec![a, b, d, e, f, g];
        let mut ready = pools.wait_until_ready().await.is_ok()
            && claims.wait_until_ready().await.is_ok()
            && nodes.wait_until_ready().await.is_ok()
            && pods.wait_until_ready().await.is_ok()
            && budgets.wait_until_ready().await.is_ok()
            && daemon_sets.wait_until_ready().await.is_ok();
        let mut ec2_classes = None;
        if kinds.contains(&ClassKind::Ec2NodeClass) {
            let (store, h) = reflect(Api::<Ec2NodeClass>::all(client.clone()), without_managed_fields, c.clone());
            ready = ready && store.wait_until_ready().await.is_ok();
            watches.push(h);
            ec2_classes = Some(store);
        }
        let mut auto_classes = None;
        if kinds.contains(&ClassKind::AutoModeNodeClass) {
            let (store, h) = reflect(Api::<AutoNodeClass>::all(client.clone()), without_managed_fields, c.clone());
            ready = ready && store.wait_until_ready().await.is_ok();
            watches.push(h);
            auto_classes = Some(store);
        }
        ready.then(|| Caches {
            kinds: kinds.clone(),
            pools,
            claims,
            ec2_classes,
            auto_classes,
            nodes,
            pods,
            budgets,
            daemon_sets,
            _watches: watches,
        })
    }

    fn classes(&self) -> Vec<Class> {
        let mut classes = Vec::new();
        for class in self.ec2_classes.iter().flat_map(|s| s.state()) {
            classes.push(Class {
                kind: ClassKind::Ec2NodeClass,
                metadata: class.metadata.clone(),
                spec: class.spec.clone(),
                status: class.status.clone(),
            });
        }
        for class in self.auto_classes.iter().flat_map(|s| s.state()) {
            classes.push(Class {
                kind: ClassKind::AutoModeNodeClass,
                metadata: class.metadata.clone(),
                spec: class.spec.clone(),
                status: class.status.clone(),
            });
        }
        classes
    }
}

/// Provisioning's batch window (upstream's batcher): it opens at the first new pending pod and closes once no new
/// one came for `idle`, or `max` after it opened.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    opened: Option<f64>,
    last: f64,
    seen: BTreeSet<String>,
}

impl Batch {
    /// Notes the pending pods at `now`.
    pub fn observe(&mut self, pending: &BTreeSet<String>, now: f64) {
        if pending.iter().any(|key| !self.seen.contains(key)) {
            self.opened.get_or_insert(now);
            self.last = now;
        }
        self.seen = pending.clone();
    }

    /// When the window closes, if it is open.
    pub fn closes_at(&self, idle: Duration, max: Duration) -> Option<f64> {
        let opened = self.opened?;
        Some((self.last + idle.as_secs_f64()).min(opened + max.as_secs_f64()))
    }

    /// Closes the window (the pods seen stay seen until they change).
    pub fn close(&mut self) {
        self.opened = None;
    }
}

/// What a class resolved to, and when.
#[derive(Debug, Clone)]
struct Resolution {
    generation: i64,
    at: i64,
    result: Result<ResolvedClass, String>,
}

/// What the loop remembers between rounds.
#[derive(Default)]
struct State {
    resolved: HashMap<(ClassKind, String), Resolution>,
    types: HashMap<(ClassKind, String), (i64, Vec<InstanceTypeInfo>)>,
    /// (instance type, zone, capacity type) → unavailable until.
    unavailable: HashMap<(String, String, String), i64>,
    batch: Batch,
    /// Pod key → the claim it was nominated to, and when.
    nominated: HashMap<String, (String, i64)>,
    /// Pod key → the last FailedScheduling message told, and when.
    told: HashMap<String, (String, i64)>,
    /// Claim name → when its launch may be tried again.
    launch_retry: HashMap<String, i64>,
    /// Claims whose instance was asked to terminate.
    terminated: HashSet<String>,
    /// Instance id → when it was first seen without a claim.
    orphans: HashMap<String, i64>,
    last_gc: i64,
    /// Node → its reschedulable pods when last seen.
    node_pods: HashMap<String, BTreeSet<String>>,
    /// Events already said (object, reason, message) with when, for deduplication.
    said: HashMap<String, i64>,
    /// The Auto Mode settings whose built-in objects were last written.
    built_in: Option<crate::fleet::AutoMode>,
    /// When a failed write of the built-in objects is tried again (seconds, as `seconds()` counts).
    built_in_retry_at: i64,
    /// Disruptions waiting for their replacement nodes to initialize (upstream's orchestration queue).
    commands: Vec<InFlight>,
    /// The cluster's instances by provider id, as last listed (what drift compares with the classes).
    instances: HashMap<String, crate::fleet::FleetInstance>,
    /// Claims disruption deleted, with when (their nodes' taint is termination's now).
    disrupted: HashMap<String, i64>,
}

/// A disruption whose candidates go once their replacements are initialized.
#[derive(Debug, Clone)]
struct InFlight {
    /// (claim, node) of each candidate; their nodes carry `karpenter.sh/disrupted:NoSchedule` meanwhile.
    candidates: Vec<(String, String)>,
    /// The replacement claims' names.
    replacements: Vec<String>,
    reason: disruption::Reason,
    /// When it started (seconds).
    started: i64,
}

/// One round's inputs.
struct Round<'a> {
    client: &'a kube::Client,
    fleet: &'a dyn Fleet,
    settings: &'a Settings,
    now: jiff::Timestamp,
    auto: Option<crate::fleet::AutoMode>,
    kinds: BTreeSet<ClassKind>,
    pools: Vec<Arc<NodePool>>,
    claims: Vec<Arc<NodeClaim>>,
    classes: Vec<Class>,
    nodes: Vec<Arc<Node>>,
    pods: Vec<Arc<Pod>>,
    budgets: Vec<PodDisruptionBudget>,
    daemon_sets: Vec<Arc<DaemonSet>>,
}

fn generation(meta: &kube::core::ObjectMeta) -> i64 {
    meta.generation.unwrap_or(0)
}

fn has_finalizer(meta: &kube::core::ObjectMeta, finalizer: &str) -> bool {
    meta.finalizers.iter().flatten().any(|f| f == finalizer)
}

/// Whether `node` carries a taint with `key`.
fn has_taint(node: &Node, key: &str) -> bool {
    node.spec.as_ref().and_then(|s| s.taints.as_ref()).into_iter().flatten().any(|t| t.key == key)
}

fn taints_of(value: Option<&Value>) -> Vec<Taint> {
    value.and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default()
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value.and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default()
}

/// The instance id a provider id names (`aws:///us-west-2a/i-0123` is `i-0123`).
pub fn instance_id(provider_id: &str) -> &str {
    provider_id.rsplit('/').next().unwrap_or(provider_id)
}

/// What a NodePool's spec says, validated as upstream's CRD rules would.
#[derive(Debug, Clone)]
pub struct PoolSpec {
    pub requirements: Requirements,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub startup_taints: Vec<Taint>,
    pub class_ref: Value,
    pub expire_after: Option<Duration>,
    pub consolidate_after: Option<Duration>,
    pub policy: String,
    pub weight: i32,
}

/// Reads and validates a NodePool's spec; the error is the `ValidationSucceeded` message.
pub fn pool_spec(spec: &Value) -> Result<PoolSpec, String> {
    let template = spec.get("template").and_then(|t| t.get("spec")).ok_or("spec.template.spec is required")?;
    let list: Vec<NodeSelectorRequirement> = match template.get("requirements") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| format!("invalid requirements: {e}"))?,
    };
    for requirement in &list {
        if requirement.key == NODEPOOL_LABEL || requirement.key == requirements::HOSTNAME {
            return Err(format!("label {:?} is restricted", requirement.key));
        }
    }
    let mut requirements = Requirements::parse(&list)?;
    let metadata = spec.get("template").and_then(|t| t.get("metadata"));
    let labels = string_map(metadata.and_then(|m| m.get("labels")));
    for (key, value) in &labels {
        requirements.add(key, Allowed::is(value));
    }
    let class_ref = template.get("nodeClassRef").cloned().ok_or("spec.template.spec.nodeClassRef is required")?;
    let disruption = spec.get("disruption");
    let duration = |value: Option<&Value>, default: &str, what: &str| {
        lifecycle::nillable_duration(value.and_then(Value::as_str), default).map_err(|e| format!("{what}: {e}"))
    };
    for budget in disruption.and_then(|d| d.get("budgets")).and_then(Value::as_array).into_iter().flatten() {
        let nodes = budget.get("nodes").and_then(Value::as_str).unwrap_or("10%");
        let valid = match nodes.strip_suffix('%') {
            Some(p) => p.parse::<u32>().is_ok_and(|p| p <= 100),
            None => nodes.parse::<u64>().is_ok(),
        };
        if !valid {
            return Err(format!("budget nodes {nodes:?} is not a count or a percentage"));
        }
        if budget.get("schedule").is_some() != budget.get("duration").is_some() {
            return Err("'schedule' must be set with 'duration'".to_owned());
        }
        if let Some(schedule) = budget.get("schedule").and_then(Value::as_str) {
            k8s_model::parse_schedule(schedule).map_err(|e| format!("budget schedule {schedule:?}: {e}"))?;
        }
    }
    Ok(PoolSpec {
        requirements,
        annotations: string_map(metadata.and_then(|m| m.get("annotations"))),
        labels,
        taints: taints_of(template.get("taints")),
        startup_taints: taints_of(template.get("startupTaints")),
        class_ref,
        expire_after: duration(template.get("expireAfter"), "720h", "expireAfter")?,
        consolidate_after: duration(disruption.and_then(|d| d.get("consolidateAfter")), "0s", "consolidateAfter")?,
        policy: disruption
            .and_then(|d| d.get("consolidationPolicy"))
            .and_then(Value::as_str)
            .unwrap_or("WhenEmptyOrUnderutilized")
            .to_owned(),
        weight: spec.get("weight").and_then(Value::as_i64).map_or(0, |w| w.clamp(0, 100) as i32),
    })
}

/// Resources as a status writes them.
fn resources_json(cpu_millis: u64, memory: u64, storage: u64, pods: u64) -> Value {
    json!({
        "cpu": k8s_model::canonical_quantity(&format!("{cpu_millis}m"), true).unwrap_or(format!("{cpu_millis}m")),
        "memory": k8s_model::canonical_quantity(&memory.to_string(), false).unwrap_or(memory.to_string()),
        "ephemeral-storage": k8s_model::canonical_quantity(&storage.to_string(), false).unwrap_or(storage.to_string()),
        "pods": pods.to_string(),
    })
}

fn quantity(value: Option<&Value>, milli: bool) -> i64 {
    let Some(text) = value.and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }) else {
        return 0;
    };
    k8s_model::parse_quantity(&text).map_or(0, |v| if milli { (v * 1000.0).round() as i64 } else { v.round() as i64 })
}

impl Round<'_> {
    fn seconds(&self) -> i64 {
        self.now.as_second()
    }

    fn class(&self, reference: &Value) -> Option<&Class> {
        let kind = class_kind(reference)?;
        let name = reference.get("name")?.as_str()?;
        self.classes.iter().find(|c| c.kind == kind && c.metadata.name.as_deref() == Some(name))
    }

    fn node_by_provider(&self, provider_id: &str) -> Option<&Arc<Node>> {
        self.nodes.iter().find(|n| n.spec.as_ref().and_then(|s| s.provider_id.as_deref()) == Some(provider_id))
    }

    /// Records an event unless the same was said within `dedupe_seconds`.
    async fn event<K: kube::Resource<DynamicType = ()>>(
        &self,
        state: &mut State,
        object: &K,
        warning: bool,
        reason: &str,
        message: &str,
        dedupe_seconds: i64,
    ) {
        let key = format!("{}/{}/{reason}/{message}", K::kind(&()), object.meta().name.clone().unwrap_or_default());
        if state.said.get(&key).is_some_and(|at| self.seconds() - at < dedupe_seconds) {
            return;
        }
        state.said.insert(key, self.seconds());
        record_event(self.client, COMPONENT, object, warning, reason, message).await;
    }

    async fn run(&self, state: &mut State) -> Duration {
        let mut next = self.settings.refresh;
        state.said.retain(|_, at| self.seconds() - *at < 900);
        if self.auto.is_some() {
            self.built_ins(state).await;
        }
        self.reconcile_classes(state).await;
        self.reconcile_pools(state).await;
        next = next.min(self.reconcile_claims(state).await);
        next = next.min(self.terminate(state).await);
        next = next.min(self.provision(state).await);
        next = next.min(self.disrupt(state).await);
        self.collect_garbage(state).await;
        next
    }

    // Auto Mode's built-in objects.

    async fn built_ins(&self, state: &mut State) {
        let Some(auto) = &self.auto else { return };
        let pools: Vec<&str> =
            auto.node_pools.iter().map(String::as_str).filter(|p| auto_mode::BUILT_IN_POOLS.contains(p)).collect();
        let present_pools: BTreeSet<String> = self.pools.iter().map(|p| p.name_any()).collect();
        let class_present = self.classes.iter().any(|c| {
            c.kind == ClassKind::AutoModeNodeClass && c.metadata.name.as_deref() == Some(auto_mode::DEFAULT_CLASS)
        });
        let complete = (pools.is_empty() || class_present) && pools.iter().all(|p| present_pools.contains(*p));
        let stale = self.pools.iter().any(|p| {
            p.labels().get(auto_mode::MANAGED_BY).map(String::as_str) == Some(auto_mode::EKS)
                && !pools.contains(&p.name_any().as_str())
                && p.metadata.deletion_timestamp.is_none()
        });
        if complete && !stale && state.built_in.as_ref() == Some(auto) {
            return;
        }
        // A failure (the cluster's subnets not resolved yet) is retried a while later, not on every wake-up.
        if self.seconds() < state.built_in_retry_at {
            return;
        }
        let mut done = true;
        if !pools.is_empty() && !class_present {
            // The cluster's own subnets and security group, as the class EKS makes selects them.
            let role = auto.node_role_arn.as_deref().map(auto_mode::role_name);
            let terms = json!({ "role": role });
            let resolved = self.fleet.resolve(ClassKind::AutoModeNodeClass, auto_mode::DEFAULT_CLASS, &terms).await;
            match resolved {
                Ok(resolved) => {
                    let spec = auto_mode::default_class_spec(auto.node_role_arn.as_deref(), &resolved);
                    let class: AutoNodeClass =
                        serde_json::from_value(auto_mode::default_class(spec)).unwrap_or_default();
                    let api: Api<AutoNodeClass> = Api::all(self.client.clone());
                    if let Err(error) = api.create(&PostParams::default(), &class).await
                        && !matches!(&error, kube::Error::Api(s) if s.code == 409)
                    {
                        tracing::warn!(%error, "auto mode: cannot create the default NodeClass");
                        done = false;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "auto mode: cannot resolve the cluster's subnets");
                    done = false;
                }
            }
        }
        let api: Api<NodePool> = Api::all(self.client.clone());
        for name in &pools {
            if present_pools.contains(*name) {
                continue;
            }
            let Some(pool) = auto_mode::built_in_pool(name) else { continue };
            let pool: NodePool = serde_json::from_value(pool).unwrap_or_default();
            if let Err(error) = api.create(&PostParams::default(), &pool).await
                && !matches!(&error, kube::Error::Api(s) if s.code == 409)
            {
                tracing::warn!(%error, pool = name, "auto mode: cannot create a built-in NodePool");
                done = false;
            }
        }
        for pool in self.pools.iter().filter(|p| {
            p.labels().get(auto_mode::MANAGED_BY).map(String::as_str) == Some(auto_mode::EKS)
                && !pools.contains(&p.name_any().as_str())
                && p.metadata.deletion_timestamp.is_none()
        }) {
            if let Err(error) = api.delete(&pool.name_any(), &DeleteParams::default()).await {
                tracing::debug!(%error, "auto mode: cannot delete a built-in NodePool");
                done = false;
            }
        }
        if done {
            state.built_in = Some(auto.clone());
        } else {
            state.built_in_retry_at = self.seconds() + BUILT_IN_RETRY_SECONDS;
        }
    }

    // Node classes.

    async fn reconcile_classes(&self, state: &mut State) {
        for class in &self.classes {
            if !self.kinds.contains(&class.kind) {
                continue;
            }
            let name = class.metadata.name.clone().unwrap_or_default();
            let key = (class.kind, name.clone());
            if class.metadata.deletion_timestamp.is_some() {
                let used = self.claims.iter().any(|c| {
                    class_kind(&c.spec["nodeClassRef"]) == Some(class.kind) && c.spec["nodeClassRef"]["name"] == name
                });
                if !used && has_finalizer(&class.metadata, CLASS_FINALIZER) {
                    self.set_finalizers(class, false).await;
                }
                state.resolved.remove(&key);
                continue;
            }
            if !has_finalizer(&class.metadata, CLASS_FINALIZER) {
                self.set_finalizers(class, true).await;
            }
            let fresh = state.resolved.get(&key).is_some_and(|r| {
                r.generation == generation(&class.metadata)
                    && self.seconds() - r.at < self.settings.refresh.as_secs() as i64
            });
            if !fresh {
                let result = self.fleet.resolve(class.kind, &name, &class.spec).await;
                state.resolved.insert(
                    key.clone(),
                    Resolution { generation: generation(&class.metadata), at: self.seconds(), result },
                );
            }
            let Some(resolution) = state.resolved.get(&key) else { continue };
            let status = class_status(&class.status, &resolution.result, generation(&class.metadata), self.now);
            if status != class.status {
                self.patch_class_status(class, status).await;
            }
            let (hash_key, version_key) = drift::class_hash_annotations(class.kind);
            let hash = drift::class_hash(&class.spec);
            let annotations = class.metadata.annotations.clone().unwrap_or_default();
            if annotations.get(hash_key) != Some(&hash)
                || annotations.get(version_key).map(String::as_str) != Some(drift::CLASS_HASH_VERSION_VALUE)
            {
                let patch = json!({ "metadata": { "annotations": {
                    hash_key: hash, version_key: drift::CLASS_HASH_VERSION_VALUE } } });
                self.patch_class(class, &patch).await;
            }
        }
    }

    async fn set_finalizers(&self, class: &Class, present: bool) {
        let mut finalizers: Vec<String> = class.metadata.finalizers.clone().unwrap_or_default();
        finalizers.retain(|f| f != CLASS_FINALIZER);
        if present {
            finalizers.push(CLASS_FINALIZER.to_owned());
        }
        let patch =
            json!({ "metadata": { "finalizers": finalizers, "resourceVersion": class.metadata.resource_version } });
        self.patch_class(class, &patch).await;
    }

    /// Merges `patch` into a node class (its metadata: finalizers, annotations).
    async fn patch_class(&self, class: &Class, patch: &Value) {
        let name = class.metadata.name.clone().unwrap_or_default();
        let result = match class.kind {
            ClassKind::Ec2NodeClass => Api::<Ec2NodeClass>::all(self.client.clone())
                .patch(&name, &PatchParams::default(), &Patch::Merge(patch))
                .await
                .map(drop),
            ClassKind::AutoModeNodeClass => Api::<AutoNodeClass>::all(self.client.clone())
                .patch(&name, &PatchParams::default(), &Patch::Merge(patch))
                .await
                .map(drop),
        };
        if let Err(error) = result {
            tracing::debug!(%error, class = %name, "karpenter: cannot update a node class");
        }
    }

    async fn patch_class_status(&self, class: &Class, status: Value) {
        let patch = json!({ "status": status });
        let name = class.metadata.name.clone().unwrap_or_default();
        let result = match class.kind {
            ClassKind::Ec2NodeClass => Api::<Ec2NodeClass>::all(self.client.clone())
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map(drop),
            ClassKind::AutoModeNodeClass => Api::<AutoNodeClass>::all(self.client.clone())
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map(drop),
        };
        if let Err(error) = result {
            tracing::debug!(%error, class = %name, "karpenter: cannot write a node class's status");
        }
    }

    fn class_ready(&self, reference: &Value) -> bool {
        self.class(reference).is_some_and(|c| {
            c.metadata.deletion_timestamp.is_none() && conditions::is_true(&c.status["conditions"], "Ready")
        })
    }

    // NodePools.

    async fn reconcile_pools(&self, _state: &mut State) {
        let api: Api<NodePool> = Api::all(self.client.clone());
        for pool in &self.pools {
            let name = pool.name_any();
            let kind = class_kind(&pool.spec["template"]["spec"]["nodeClassRef"]);
            if kind.is_some_and(|k| !self.kinds.contains(&k)) {
                continue;
            }
            let current = &pool.status;
            let mut set = Vec::new();
            match pool_spec(&pool.spec) {
                Ok(_) => set.push(Condition::true_("ValidationSucceeded")),
                Err(message) => {
                    set.push(Condition::false_("ValidationSucceeded", "NodePoolValidationFailed", &message))
                }
            }
            let reference = &pool.spec["template"]["spec"]["nodeClassRef"];
            let class = self.class(reference);
            let mut observed = current.get("nodeClassObservedGeneration").cloned().unwrap_or(Value::Null);
            match class {
                None => {
                    set.push(Condition::false_("NodeClassReady", "NodeClassNotFound", "NodeClass not found on cluster"))
                }
                Some(class) => {
                    observed = json!(generation(&class.metadata));
                    match conditions::status_of(&class.status["conditions"], "Ready") {
                        Some("True") => set.push(Condition::true_("NodeClassReady")),
                        Some("False") => set.push(Condition::false_(
                            "NodeClassReady",
                            "NodeClassNotReady",
                            &format!(
                                "{} {} is not ready",
                                reference["kind"].as_str().unwrap_or_default(),
                                class.metadata.name.clone().unwrap_or_default()
                            ),
                        )),
                        _ => set.push(Condition::unknown(
                            "NodeClassReady",
                            "NodeClassReadinessUnknown",
                            "Node Class Readiness Unknown",
                        )),
                    }
                }
            }
            let staged = conditions::apply(&current["conditions"], &set, generation(&pool.metadata), self.now);
            let ready = conditions::ready(&staged, &["ValidationSucceeded", "NodeClassReady"]);
            let conditions = conditions::apply(&staged, &[ready], generation(&pool.metadata), self.now);
            let owned: Vec<&Arc<NodeClaim>> =
                self.claims.iter().filter(|c| c.labels().get(NODEPOOL_LABEL) == Some(&name)).collect();
            let (mut cpu, mut memory, mut storage, mut pods) = (0i64, 0i64, 0i64, 0i64);
            for claim in &owned {
                let capacity = &claim.status["capacity"];
                cpu += quantity(capacity.get("cpu"), true);
                memory += quantity(capacity.get("memory"), false);
                storage += quantity(capacity.get("ephemeral-storage"), false);
                pods += quantity(capacity.get("pods"), false);
            }
            let nodes = owned.iter().filter(|c| !c.status["nodeName"].is_null()).count();
            let mut resources =
                resources_json(cpu.max(0) as u64, memory.max(0) as u64, storage.max(0) as u64, pods.max(0) as u64);
            resources["nodes"] = json!(nodes.to_string());
            let status = json!({
                "resources": resources,
                "nodes": nodes,
                "nodeClassObservedGeneration": observed,
                "conditions": conditions,
            });
            let differs = ["resources", "nodes", "nodeClassObservedGeneration", "conditions"]
                .iter()
                .any(|k| current.get(*k).unwrap_or(&Value::Null) != &status[*k]);
            if differs {
                let patch = json!({ "status": status });
                if let Err(error) = api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                    tracing::debug!(%error, pool = %name, "karpenter: cannot write a NodePool's status");
                }
            }
            // The template's hash, which the claims made from it carry too (upstream's hash controller).
            let hash = drift::pool_hash(&pool.spec["template"]);
            let annotations = pool.annotations();
            if annotations.get(drift::NODEPOOL_HASH) != Some(&hash)
                || annotations.get(drift::NODEPOOL_HASH_VERSION).map(String::as_str)
                    != Some(drift::NODEPOOL_HASH_VERSION_VALUE)
            {
                let patch = json!({ "metadata": { "annotations": {
                    drift::NODEPOOL_HASH: hash, drift::NODEPOOL_HASH_VERSION: drift::NODEPOOL_HASH_VERSION_VALUE } } });
                if let Err(error) = api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                    tracing::debug!(%error, pool = %name, "karpenter: cannot annotate a NodePool with its hash");
                }
            }
        }
    }
}

/// A class's status from what it resolved to (upstream's EC2NodeClass status and conditions).
pub fn class_status(
    current: &Value,
    resolved: &Result<ResolvedClass, String>,
    generation: i64,
    now: jiff::Timestamp,
) -> Value {
    let mut status = current.as_object().cloned().unwrap_or_default();
    let mut set = Vec::new();
    match resolved {
        Ok(resolved) => {
            let subnets: Vec<Value> =
                resolved.subnets.iter().map(|s| json!({ "id": s.id, "zone": s.zone, "zoneID": s.zone_id })).collect();
            let groups: Vec<Value> =
                resolved.security_groups.iter().map(|g| json!({ "id": g.id, "name": g.name })).collect();
            let images: Vec<Value> = resolved
                .images
                .iter()
                .map(|i| {
                    json!({ "id": i.id, "name": i.name, "requirements": [
                        { "key": requirements::ARCH, "operator": "In", "values": [i.architecture] } ] })
                })
                .collect();
            status.insert("subnets".into(), json!(subnets));
            status.insert("securityGroups".into(), json!(groups));
            status.insert("amis".into(), json!(images));
            status.insert("instanceProfile".into(), json!(resolved.instance_profile));
            set.push(if subnets.is_empty() {
                Condition::false_("SubnetsReady", "SubnetsNotFound", "SubnetSelector did not match any Subnets")
            } else {
                Condition::true_("SubnetsReady")
            });
            set.push(if groups.is_empty() {
                Condition::false_(
                    "SecurityGroupsReady",
                    "SecurityGroupsNotFound",
                    "SecurityGroupSelector did not match any SecurityGroups",
                )
            } else {
                Condition::true_("SecurityGroupsReady")
            });
            set.push(if images.is_empty() {
                Condition::false_("AMIsReady", "AMINotFound", "AMISelector did not match any AMIs")
            } else {
                Condition::true_("AMIsReady")
            });
            set.push(if resolved.instance_profile.is_empty() {
                Condition::false_("InstanceProfileReady", "InstanceProfileNotFound", "Instance profile is not resolved")
            } else {
                Condition::true_("InstanceProfileReady")
            });
            set.push(Condition::true_("ValidationSucceeded"));
        }
        Err(message) => {
            for type_ in ["SubnetsReady", "SecurityGroupsReady", "AMIsReady", "InstanceProfileReady"] {
                if conditions::find(&current["conditions"], type_).is_none() {
                    set.push(Condition::unknown(type_, "AwaitingReconciliation", "object is awaiting reconciliation"));
                }
            }
            set.push(Condition::false_("ValidationSucceeded", "ValidationFailed", message));
        }
    }
    let dependents =
        ["AMIsReady", "SubnetsReady", "SecurityGroupsReady", "InstanceProfileReady", "ValidationSucceeded"];
    let staged = conditions::apply(&current["conditions"], &set, generation, now);
    let ready = conditions::ready(&staged, &dependents);
    status.insert("conditions".into(), conditions::apply(&staged, &[ready], generation, now));
    Value::Object(status)
}

mod claims;
mod scaling;

#[cfg(test)]
mod tests;

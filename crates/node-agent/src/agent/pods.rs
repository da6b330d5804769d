//! The pod task: one watch of every pod bound to a node, and a deadline queue. A pod on one of the agent's live
//! nodes is admitted (max pods), gets an IP, and is then re-evaluated with [`simulate`] whenever the watch shows a
//! change or its next deadline passes; the task writes the status and events that differ from what it wrote last.
//! Deleted pods have their containers stopped and are then deleted for good; pods of a node that left are deleted
//! as the pod garbage collector would.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::authentication::v1::{BoundObjectReference, TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{
    Container, EphemeralContainer, Pod, PodCondition, PodSpec, PodStatus, ProjectedVolumeSource, ResourceRequirements,
    ServiceAccount, Volume, VolumeProjection,
};
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::time::Instant;

use super::{Involved, Recorder, is_not_found};
use crate::lifecycle::{
    ContainerPlan, ContainerSnapshot, Phase, PodPlan, PodSnapshot, State, Stop, Timing, simulate, simulate_ephemeral,
};
use crate::status::{self, EventSpec, PodContext};
use crate::usage::{self, ContainerEntry, Load, Loads, PodEntry, Resources, Usage, Workload};
use crate::{AgentConfig, DesiredNode, PodNetwork, PodVolumes, Shared, node};

/// How soon a failed write or a failed IP allocation is tried again.
const RETRY: Duration = Duration::from_secs(1);

/// Where the agent is with one pod.
#[derive(Debug)]
enum Stage {
    /// Seen, not yet admitted (or on a node that is not the agent's).
    New,
    /// Refused at admission, or finished before the agent saw it: nothing more to do.
    Idle,
    /// Admitted: the simulation runs.
    Active(Box<Active>),
}

#[derive(Debug)]
struct Active {
    plan: PodPlan,
    origin: OffsetDateTime,
    ip: Option<IpAddr>,
    /// The IP came from the network and goes back to it.
    ip_allocated: bool,
    previous: Option<PodSnapshot>,
    /// The status last written, as JSON text (a decoded `Value` of every pod's status costs several times more).
    last_status: Option<String>,
    stop: Option<Stop>,
    /// Counts against the node's max pods.
    counted: bool,
    /// The ephemeral containers seen so far, in the spec's order, with when each was first seen (time since
    /// `origin`).
    ephemeral: Vec<(ContainerPlan, Duration)>,
    /// The ephemeral containers' snapshots as last written.
    ephemeral_previous: Vec<ContainerSnapshot>,
}

#[derive(Debug)]
struct Tracked {
    pod: Pod,
    node: String,
    stage: Stage,
    /// The deadline this pod waits for; queue entries for other instants are stale.
    due: Option<Instant>,
}

impl Tracked {
    fn name(&self) -> &str {
        self.pod.metadata.name.as_deref().unwrap_or_default()
    }

    fn namespace(&self) -> &str {
        self.pod.metadata.namespace.as_deref().unwrap_or_default()
    }

    fn uid(&self) -> &str {
        self.pod.metadata.uid.as_deref().unwrap_or_default()
    }

    fn involved(&self) -> Involved<'_> {
        Involved { kind: "Pod", namespace: self.namespace(), name: self.name(), uid: self.uid() }
    }
}

struct Driver {
    /// Which of the drivers this is.
    index: usize,
    client: kube::Client,
    recorder: Recorder,
    timing: Timing,
    /// The load table, for the OOM decision at admission.
    loads: Arc<Loads>,
    shared: Arc<Shared>,
    network: Arc<dyn PodNetwork>,
    volumes: Option<Arc<dyn PodVolumes>>,
    /// Every bound pod, by uid.
    pods: HashMap<String, Tracked>,
    /// Pod uids by node name.
    by_node: HashMap<String, HashSet<String>>,
    /// Admitted, unfinished pods per node.
    running: HashMap<String, u32>,
    /// The agent's nodes as last read.
    nodes: HashMap<String, DesiredNode>,
    queue: BinaryHeap<Reverse<(Instant, String)>>,
    /// The uids listed since the watch restarted.
    relisted: Option<HashSet<String>>,
}

/// How many drivers run the pods side by side. Each owns the pods of a fixed share of the nodes and handles them
/// one at a time, so a node's pods keep their order while a write that waits on the store (a status, an IP) holds
/// up only its share, as kubelets of different nodes never wait on each other.
pub(crate) const SHARDS: usize = 8;
/// How many watch events may wait for one driver.
const SHARD_QUEUE: usize = 1024;

pub(crate) async fn run(
    client: kube::Client,
    config: Arc<AgentConfig>,
    shared: Arc<Shared>,
    network: Arc<dyn PodNetwork>,
    volumes: Option<Arc<dyn PodVolumes>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let pods: Api<Pod> = Api::all(client.clone());
    let mut stream =
        watcher(pods, watcher::Config::default().fields("spec.nodeName!=")).default_backoff().modify(lean_pod).boxed();
    let recorder = Recorder::start();
    let mut shards = Vec::with_capacity(SHARDS);
    let mut drivers = tokio::task::JoinSet::new();
    for index in 0..SHARDS {
        let (sender, receiver) = tokio::sync::mpsc::channel(SHARD_QUEUE);
        shards.push(sender);
        let driver = Driver {
            index,
            client: client.clone(),
            recorder: recorder.clone(),
            timing: config.timing(),
            loads: Arc::clone(&config.loads),
            shared: Arc::clone(&shared),
            network: Arc::clone(&network),
            volumes: volumes.clone(),
            pods: HashMap::new(),
            by_node: HashMap::new(),
            running: HashMap::new(),
            nodes: HashMap::new(),
            queue: BinaryHeap::new(),
            relisted: None,
        };
        drivers.spawn(drive(driver, receiver, shutdown.clone()));
    }
    let hasher = std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default();
    loop {
        let event = tokio::select! {
            _ = shutdown.changed() => break,
            event = stream.next() => event,
        };
        let event = match event {
            Some(Ok(event)) => event,
            Some(Err(error)) => {
                tracing::warn!(%error, "node agent: pod watch");
                continue;
            }
            None => break,
        };
        // The start and end of a relist reach every driver; a pod goes to the driver of its node.
        let node = match &event {
            watcher::Event::InitApply(pod) | watcher::Event::Apply(pod) | watcher::Event::Delete(pod) => {
                pod.spec.as_ref().and_then(|spec| spec.node_name.as_deref())
            }
            watcher::Event::Init | watcher::Event::InitDone => None,
        };
        let delivered = match node {
            Some(node) => shards[hasher.hash_one(node) as usize % SHARDS].send(event).await.is_ok(),
            None => {
                let mut all = true;
                for shard in &shards {
                    all &= shard.send(event.clone()).await.is_ok();
                }
                all
            }
        };
        if !delivered {
            break;
        }
    }
    drop(shards);
    while drivers.join_next().await.is_some() {}
}

/// A pod as the agent needs it, cut down as the watch hands it over: every bound pod is kept, and most of a decoded
/// pod (managed fields, volumes, environment, container statuses the agent writes itself) is never read. Kept:
/// identity, labels, annotations and deletion; its controller and its containers' CPU and memory requests
/// and limits (for [`usage`]; labels select pods' metrics); its readiness gates; what `PodPlan::of` reads (restart policy, grace
/// period, each container's name, image, pull policy and probes); the node, host networking; the claims its
/// volumes name (which must be mounted before it starts) and its projected tokens for an audience with its service
/// account (requested before it starts); the status fields admission reads; and the conditions others own, which
/// every status write carries over.
fn lean_pod(pod: &mut Pod) {
    pod.metadata.managed_fields = None;
    pod.metadata.owner_references = pod.metadata.owner_references.take().and_then(|owners| {
        let controller = owners.into_iter().find(|owner| owner.controller == Some(true))?;
        Some(vec![controller])
    });
    let lean_resources = |resources: Option<ResourceRequirements>| {
        let keep = |map: Option<BTreeMap<String, _>>| {
            map.map(|map| {
                map.into_iter().filter(|(name, _)| name == "cpu" || name == "memory").collect::<BTreeMap<_, _>>()
            })
            .filter(|map| !map.is_empty())
        };
        resources
            .map(|r| ResourceRequirements { requests: keep(r.requests), limits: keep(r.limits), ..Default::default() })
            .filter(|r| r.requests.is_some() || r.limits.is_some())
    };
    let lean_containers = |containers: Vec<Container>| -> Vec<Container> {
        containers
            .into_iter()
            .map(|c| Container {
                name: c.name,
                image: c.image,
                image_pull_policy: c.image_pull_policy,
                liveness_probe: c.liveness_probe,
                readiness_probe: c.readiness_probe,
                startup_probe: c.startup_probe,
                restart_policy: c.restart_policy,
                ports: c.ports,
                resources: lean_resources(c.resources),
                ..Container::default()
            })
            .collect()
    };
    pod.spec = pod.spec.take().map(|spec| PodSpec {
        containers: lean_containers(spec.containers),
        init_containers: spec.init_containers.map(lean_containers),
        ephemeral_containers: spec.ephemeral_containers.map(|containers| {
            containers
                .into_iter()
                .map(|c| EphemeralContainer {
                    name: c.name,
                    image: c.image,
                    image_pull_policy: c.image_pull_policy,
                    ..EphemeralContainer::default()
                })
                .collect()
        }),
        restart_policy: spec.restart_policy,
        readiness_gates: spec.readiness_gates,
        termination_grace_period_seconds: spec.termination_grace_period_seconds,
        host_network: spec.host_network,
        node_name: spec.node_name,
        service_account_name: spec.service_account_name,
        volumes: spec
            .volumes
            .map(|volumes| {
                volumes
                    .into_iter()
                    .filter_map(|volume| {
                        if volume.persistent_volume_claim.is_some() {
                            return Some(Volume {
                                name: volume.name,
                                persistent_volume_claim: volume.persistent_volume_claim,
                                ..Volume::default()
                            });
                        }
                        // Projected tokens for an audience (IRSA's, Pod Identity's) are requested before the pod
                        // starts; the audience-less API token every pod mounts is not, to spare large clusters.
                        let sources: Vec<VolumeProjection> = volume
                            .projected?
                            .sources?
                            .into_iter()
                            .filter(|source| {
                                source.service_account_token.as_ref().is_some_and(|token| token.audience.is_some())
                            })
                            .map(|source| VolumeProjection {
                                service_account_token: source.service_account_token,
                                ..VolumeProjection::default()
                            })
                            .collect();
                        (!sources.is_empty()).then(|| Volume {
                            name: volume.name,
                            projected: Some(ProjectedVolumeSource { sources: Some(sources), ..Default::default() }),
                            ..Volume::default()
                        })
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|volumes| !volumes.is_empty()),
        ..PodSpec::default()
    });
    pod.status = pod.status.take().map(|status| PodStatus {
        phase: status.phase,
        start_time: status.start_time,
        pod_ip: status.pod_ip,
        conditions: status
            .conditions
            .map(|conditions| conditions.into_iter().filter(owned_by_others).collect::<Vec<_>>())
            .filter(|conditions| !conditions.is_empty()),
        ..PodStatus::default()
    });
}

/// Whether a pod condition belongs to someone other than kubelet (a `DisruptionTarget` from the scheduler or the
/// eviction API, readiness gates' conditions).
fn owned_by_others(condition: &PodCondition) -> bool {
    !status::KUBELET_CONDITIONS.contains(&condition.type_.as_str())
}

/// The conditions of `pod` that others own, as JSON.
fn foreign_conditions(pod: &Pod) -> Vec<Value> {
    let conditions = pod.status.as_ref().and_then(|s| s.conditions.as_deref()).unwrap_or_default();
    conditions.iter().filter(|c| owned_by_others(c)).filter_map(|c| serde_json::to_value(c).ok()).collect()
}

/// One driver's loop: its share of the watch, node changes, and its pods' deadlines.
async fn drive(
    mut driver: Driver,
    mut events: tokio::sync::mpsc::Receiver<watcher::Event<Pod>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut changed = driver.shared.changed.subscribe();
    driver.refresh_nodes().await;
    loop {
        let wake = driver.queue.peek().map(|Reverse((at, _))| *at);
        tokio::select! {
            _ = shutdown.changed() => return,
            event = events.recv() => match event {
                Some(event) => driver.on_event(event).await,
                None => return,
            },
            _ = changed.changed() => driver.refresh_nodes().await,
            _ = sleep_until(wake) => driver.on_due().await,
        }
    }
}

async fn sleep_until(wake: Option<Instant>) {
    match wake {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Driver {
    async fn on_event(&mut self, event: watcher::Event<Pod>) {
        match event {
            watcher::Event::Init => self.relisted = Some(HashSet::new()),
            watcher::Event::InitApply(pod) => {
                if let (Some(seen), Some(uid)) = (self.relisted.as_mut(), pod.metadata.uid.clone()) {
                    seen.insert(uid);
                }
                self.apply(pod).await;
            }
            watcher::Event::InitDone => {
                if let Some(seen) = self.relisted.take() {
                    let vanished: Vec<String> = self.pods.keys().filter(|uid| !seen.contains(*uid)).cloned().collect();
                    for uid in vanished {
                        self.forget(&uid).await;
                    }
                }
            }
            watcher::Event::Apply(pod) => self.apply(pod).await,
            watcher::Event::Delete(pod) => {
                if let Some(uid) = pod.metadata.uid {
                    self.forget(&uid).await;
                }
            }
        }
    }

    async fn apply(&mut self, pod: Pod) {
        let Some(uid) = pod.metadata.uid.clone() else { return };
        let node = pod.spec.as_ref().and_then(|spec| spec.node_name.clone()).unwrap_or_default();
        match self.pods.get_mut(&uid) {
            Some(tracked) => tracked.pod = pod,
            None => {
                self.by_node.entry(node.clone()).or_default().insert(uid.clone());
                self.pods.insert(uid.clone(), Tracked { pod, node, stage: Stage::New, due: None });
            }
        }
        self.process(&uid).await;
    }

    /// The pod is gone from the API: its IP goes back.
    async fn forget(&mut self, uid: &str) {
        let Some(tracked) = self.pods.remove(uid) else { return };
        self.shared.board.publish(self.index, uid, None);
        if let Some(uids) = self.by_node.get_mut(&tracked.node) {
            uids.remove(uid);
            if uids.is_empty() {
                self.by_node.remove(&tracked.node);
            }
        }
        if let Stage::Active(active) = tracked.stage {
            self.finish(&tracked.node, &active).await;
        }
    }

    /// Releases what an admitted pod holds: its count against max pods and its IP.
    async fn finish(&mut self, node: &str, active: &Active) {
        if active.counted
            && let Some(count) = self.running.get_mut(node)
        {
            *count = count.saturating_sub(1);
        }
        if active.ip_allocated
            && let Some(ip) = active.ip
        {
            self.network.release(node, ip).await;
        }
    }

    async fn refresh_nodes(&mut self) {
        let nodes: HashMap<String, DesiredNode> = {
            let desired = self.shared.desired.read().expect("the node lock is never poisoned");
            desired.nodes.iter().map(|(name, node)| (name.clone(), node.clone())).collect()
        };
        let previous = std::mem::replace(&mut self.nodes, nodes);
        let mut touched = Vec::new();
        for (name, node) in &self.nodes {
            let before = previous.get(name);
            let woke = before.is_none_or(|before| before.failed) && !node.failed;
            if woke {
                touched.extend(self.by_node.get(name).into_iter().flatten().cloned());
            }
        }
        // A name that now belongs to another machine counts as a node that left: its pods died with the old one.
        let left: Vec<String> = previous
            .iter()
            .filter(|(name, before)| {
                self.nodes.get(*name).is_none_or(|now| now.spec.provider_id != before.spec.provider_id)
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in left {
            let uids: Vec<String> = self.by_node.get(&name).into_iter().flatten().cloned().collect();
            for uid in uids {
                self.collect_orphan(&uid).await;
            }
        }
        for uid in touched {
            self.process(&uid).await;
        }
    }

    /// A pod of a node that left: deleted at once, as the pod garbage collector deletes pods of deleted nodes.
    async fn collect_orphan(&mut self, uid: &str) {
        self.shared.board.publish(self.index, uid, None);
        let Some(tracked) = self.pods.get_mut(uid) else { return };
        if let Stage::Active(active) = std::mem::replace(&mut tracked.stage, Stage::Idle) {
            let node = tracked.node.clone();
            self.finish(&node, &active).await;
        }
        let Some(tracked) = self.pods.get(uid) else { return };
        if let Err(error) = delete_now(&self.client, tracked).await {
            tracing::warn!(%error, pod = %tracked.name(), "node agent: deleting a pod of a node that left");
        }
    }

    async fn on_due(&mut self) {
        let now = Instant::now();
        let mut due = Vec::new();
        while let Some(Reverse((at, _))) = self.queue.peek() {
            if *at > now {
                break;
            }
            let Reverse((at, uid)) = self.queue.pop().expect("peeked");
            if self.pods.get(&uid).is_some_and(|tracked| tracked.due == Some(at)) {
                due.push(uid);
            }
        }
        for uid in due {
            if let Some(tracked) = self.pods.get_mut(&uid) {
                tracked.due = None;
            }
            self.process(&uid).await;
        }
    }

    fn schedule(&mut self, uid: &str, after: Duration) {
        let Some(tracked) = self.pods.get_mut(uid) else { return };
        let at = Instant::now() + after;
        if tracked.due.is_some_and(|due| due <= at) {
            return;
        }
        tracked.due = Some(at);
        self.queue.push(Reverse((at, uid.to_owned())));
    }

    /// Brings one pod forward: admission, then the status and events of its simulated present.
    async fn process(&mut self, uid: &str) {
        let Some(tracked) = self.pods.get(uid) else { return };
        let Some(node) = self.nodes.get(&tracked.node).cloned() else { return };
        if node.failed {
            return;
        }
        match tracked.stage {
            Stage::Idle => {}
            Stage::New => self.admit(uid, &node).await,
            Stage::Active(_) => self.advance(uid, &node).await,
        }
    }

    async fn admit(&mut self, uid: &str, node: &DesiredNode) {
        let Some(tracked) = self.pods.get(uid) else { return };
        let status = tracked.pod.status.as_ref();
        let phase = status.and_then(|status| status.phase.as_deref());
        if matches!(phase, Some("Succeeded" | "Failed")) {
            // Finished before this agent saw it (or refused by an earlier one).
            self.pods.get_mut(uid).expect("tracked").stage = Stage::Idle;
            return;
        }
        let host_ip = node::internal_ip(&node.spec);
        let started = status.and_then(|status| status.start_time.as_ref()).map(|time| time.0);
        let capacity = node.spec.capacity.pods;
        let running = self.running.get(&tracked.node).copied().unwrap_or(0);
        if started.is_none() && running >= capacity {
            let (status, event) = status::rejected_status(running, capacity, host_ip, OffsetDateTime::now_utc());
            let result = write_status(&self.client, tracked, &status).await;
            if let Err(error) = result {
                tracing::warn!(%error, pod = %tracked.name(), "node agent: rejecting a pod");
                self.schedule(uid, RETRY);
                return;
            }
            self.event(uid, &event).await;
            self.pods.get_mut(uid).expect("tracked").stage = Stage::Idle;
            return;
        }

        // Volumes are mounted before the sandbox starts; a pod whose volume cannot be mounted on this node waits.
        if started.is_none()
            && let Some(volumes) = &self.volumes
        {
            let claims: Vec<String> = tracked
                .pod
                .spec
                .iter()
                .flat_map(|spec| spec.volumes.iter().flatten())
                .filter_map(|volume| volume.persistent_volume_claim.as_ref().map(|claim| claim.claim_name.clone()))
                .collect();
            if !claims.is_empty() {
                let volumes = Arc::clone(volumes);
                let (namespace, pod_uid) = (tracked.namespace().to_owned(), tracked.uid().to_owned());
                if let Err(message) = volumes.mount(&node.spec, &namespace, &pod_uid, &claims).await {
                    let event = EventSpec { type_: "Warning", reason: "FailedMount", message, field_path: None };
                    self.event(uid, &event).await;
                    self.schedule(uid, RETRY * 5);
                    return;
                }
            }
        }
        if started.is_none()
            && let Err(message) = self.request_tokens(uid).await
        {
            let event = EventSpec { type_: "Warning", reason: "FailedMount", message, field_path: None };
            self.event(uid, &event).await;
            self.schedule(uid, RETRY * 5);
            return;
        }
        let tracked = self.pods.get(uid).expect("tracked");
        let host_network = tracked.pod.spec.as_ref().and_then(|spec| spec.host_network).unwrap_or(false);
        let status = tracked.pod.status.as_ref();
        let existing_ip = status.and_then(|status| status.pod_ip.as_deref()).and_then(|ip| ip.parse().ok());
        let (ip, ip_allocated) = if host_network {
            (host_ip, false)
        } else if let (Some(ip), Some(_)) = (existing_ip, started) {
            // Admitted by an earlier run of the agent: the pod keeps its address, which the network learns is
            // taken, and gives it back when the pod is gone.
            self.network.claim(&tracked.node, ip);
            (Some(ip), true)
        } else {
            let node_name = tracked.node.clone();
            match self.network.allocate(&node_name).await {
                Ok(ip) => (Some(ip), true),
                Err(reason) => {
                    let event = EventSpec {
                        type_: "Warning",
                        reason: "FailedCreatePodSandBox",
                        message: format!(
                            "Failed to create pod sandbox: plugin type=\"aws-cni\" name=\"aws-cni\" failed (add): add \
                             cmd: failed to assign an IP address to container: {reason}"
                        ),
                        field_path: None,
                    };
                    self.event(uid, &event).await;
                    self.schedule(uid, RETRY * 5);
                    return;
                }
            }
        };
        let tracked = self.pods.get(uid).expect("tracked");
        let (plan, garbage) = PodPlan::of(&tracked.pod);
        let plan = plan.with_probe_failures(crate::probe::failures(&tracked.pod, ip).await);
        let board = &self.shared.board;
        let plan =
            plan.with_oom(usage::out_of_memory(&tracked.pod, &self.loads, |workload| board.ready_pods(workload)));
        let now = OffsetDateTime::now_utc();
        let (origin, previous) = match started {
            // An earlier run of the agent admitted it: carry on from its start without replaying events.
            Some(origin) => {
                let origin = OffsetDateTime::from_unix_timestamp(origin.as_second()).unwrap_or(now);
                (origin, Some(simulate(&plan, &self.timing, elapsed(origin, now), None)))
            }
            None => (now, None),
        };
        let node_name = tracked.node.clone();
        *self.running.entry(node_name).or_default() += 1;
        let tracked = self.pods.get_mut(uid).expect("tracked");
        tracked.stage = Stage::Active(Box::new(Active {
            plan,
            origin,
            ip,
            ip_allocated,
            previous,
            last_status: None,
            stop: None,
            counted: true,
            ephemeral: Vec::new(),
            ephemeral_previous: Vec::new(),
        }));
        if started.is_none() {
            for error in garbage {
                let event = EventSpec {
                    type_: "Warning",
                    reason: "InvalidAnnotation",
                    message: error.to_string(),
                    field_path: None,
                };
                self.event(uid, &event).await;
            }
        }
        self.advance(uid, node).await;
    }

    /// Requests the pod's projected service account tokens for an audience through TokenRequest, bound to the
    /// pod, as kubelet does before it starts the containers; the message of kubelet's `FailedMount` if one fails.
    async fn request_tokens(&self, uid: &str) -> Result<(), String> {
        let Some(tracked) = self.pods.get(uid) else { return Ok(()) };
        let Some(spec) = tracked.pod.spec.as_ref() else { return Ok(()) };
        let account = spec.service_account_name.as_deref().unwrap_or("default");
        let accounts: Api<ServiceAccount> = Api::namespaced(self.client.clone(), tracked.namespace());
        for volume in spec.volumes.iter().flatten() {
            let sources = volume.projected.iter().flat_map(|projected| projected.sources.iter().flatten());
            for token in sources.filter_map(|source| source.service_account_token.as_ref()) {
                let request = TokenRequest {
                    spec: TokenRequestSpec {
                        audiences: token.audience.iter().cloned().collect(),
                        expiration_seconds: token.expiration_seconds,
                        bound_object_ref: Some(BoundObjectReference {
                            api_version: Some("v1".into()),
                            kind: Some("Pod".into()),
                            name: Some(tracked.name().to_owned()),
                            uid: Some(tracked.uid().to_owned()),
                        }),
                    },
                    ..TokenRequest::default()
                };
                if let Err(error) = accounts.create_token_request(account, &Default::default(), &request).await {
                    let reason = match error {
                        kube::Error::Api(status) => status.message.clone(),
                        other => other.to_string(),
                    };
                    return Err(format!(
                        "MountVolume.SetUp failed for volume \"{}\" : failed to fetch token: {reason}",
                        volume.name
                    ));
                }
            }
        }
        Ok(())
    }

    async fn advance(&mut self, uid: &str, node: &DesiredNode) {
        let now = OffsetDateTime::now_utc();
        let host_ip = node::internal_ip(&node.spec);
        let Some(tracked) = self.pods.get_mut(uid) else { return };
        let deleting = tracked.pod.metadata.deletion_timestamp.is_some();
        let grace = tracked
            .pod
            .metadata
            .deletion_grace_period_seconds
            .map(|seconds| Duration::from_secs(seconds.max(0) as u64));
        let Stage::Active(active) = &mut tracked.stage else { return };
        let at = elapsed(active.origin, now);
        let mut events = Vec::new();
        if deleting && active.stop.is_none() {
            let stop = active.plan.stop(at, grace);
            let present = simulate(&active.plan, &self.timing, at, None);
            events.extend(status::stopping_events(&active.plan, &present));
            active.stop = Some(stop);
        }
        let snapshot = simulate(&active.plan, &self.timing, at, active.stop);
        // Ephemeral containers join the simulation when the agent first sees them in the spec.
        let ephemeral_specs = tracked.pod.spec.as_ref().and_then(|spec| spec.ephemeral_containers.as_deref());
        for container in ephemeral_specs.unwrap_or_default() {
            if !active.ephemeral.iter().any(|(plan, _)| plan.name == container.name) {
                active.ephemeral.push((ContainerPlan::of_ephemeral(container), at));
            }
        }
        let (ephemeral_snapshots, ephemeral_next): (Vec<ContainerSnapshot>, Vec<Option<Duration>>) =
            active.ephemeral.iter().map(|(_, added)| simulate_ephemeral(&self.timing, *added, at, active.stop)).unzip();
        let tracked = self.pods.get(uid).expect("tracked");
        let Stage::Active(active) = &tracked.stage else { return };
        let ephemeral_plans: Vec<ContainerPlan> = active.ephemeral.iter().map(|(plan, _)| plan.clone()).collect();
        let context = PodContext {
            name: tracked.name(),
            namespace: tracked.namespace(),
            uid: tracked.uid(),
            origin: active.origin,
            pod_ip: active.ip,
            host_ip,
        };
        events.extend(status::events(&active.plan, &self.timing, active.previous.as_ref(), &snapshot, &context));
        events.extend(status::ephemeral_events(
            &ephemeral_plans,
            &self.timing,
            &active.ephemeral_previous,
            &ephemeral_snapshots,
        ));
        let mut status = status::pod_status(&active.plan, &snapshot, &context, now);
        if !ephemeral_plans.is_empty() {
            status["ephemeralContainerStatuses"] =
                json!(status::ephemeral_statuses(&ephemeral_plans, &ephemeral_snapshots, &context));
        }
        // The conditions others own come first and stay, as kubelet's status manager merges them.
        let foreign = foreign_conditions(&tracked.pod);
        if !foreign.is_empty()
            && let Some(conditions) = status["conditions"].as_array_mut()
        {
            conditions.splice(0..0, foreign);
        }
        let gates = tracked.pod.spec.as_ref().and_then(|spec| spec.readiness_gates.as_deref()).unwrap_or_default();
        if !gates.is_empty() {
            let gates: Vec<String> = gates.iter().map(|gate| gate.condition_type.clone()).collect();
            status::apply_readiness_gates(&mut status, &gates);
        }
        let entry = usage_entry(tracked, active.origin, &active.plan, &snapshot, &status);
        self.shared.board.publish(self.index, uid, entry);
        let last = active.last_status.as_deref().and_then(|last| serde_json::from_str::<Value>(last).ok());
        if let Some(last) = &last {
            status::carry_transition_times(last, &mut status);
        }
        let write = last.as_ref() != Some(&status);
        for event in &events {
            self.recorder.record(&self.client, &tracked.node, tracked.involved(), event);
        }
        if write && let Err(error) = write_status(&self.client, tracked, &status).await {
            let gone = matches!(&error, kube::Error::Api(status) if status.code == 404);
            if !gone {
                tracing::warn!(%error, pod = %tracked.name(), "node agent: writing pod status");
                // The events were recorded; remember the snapshot so that they are not repeated.
                if let Some(Tracked { stage: Stage::Active(active), .. }) = self.pods.get_mut(uid) {
                    active.previous = Some(snapshot);
                    active.ephemeral_previous = ephemeral_snapshots;
                }
                self.schedule(uid, RETRY);
            }
            return;
        }
        let stopped = active.stop.is_some_and(|stop| stop.at <= at);
        let terminal = snapshot.phase.is_terminal();
        let next = ephemeral_next.into_iter().flatten().filter(|when| *when > at).chain(snapshot.next).min();
        let node_name = tracked.node.clone();
        {
            let Some(Tracked { stage: Stage::Active(active), .. }) = self.pods.get_mut(uid) else { return };
            active.previous = Some(snapshot);
            active.ephemeral_previous = ephemeral_snapshots;
            active.last_status = Some(status.to_string());
        }
        if terminal || stopped {
            // The sandbox is torn down: the pod no longer counts against max pods and its IP goes back (the
            // status keeps showing it, as kubelet's does).
            let Some(Tracked { stage: Stage::Active(active), .. }) = self.pods.get_mut(uid) else { return };
            let counted = std::mem::replace(&mut active.counted, false);
            let release = std::mem::replace(&mut active.ip_allocated, false).then_some(active.ip).flatten();
            if counted && let Some(count) = self.running.get_mut(&node_name) {
                *count = count.saturating_sub(1);
            }
            if let Some(ip) = release {
                self.network.release(&node_name, ip).await;
            }
        }
        if stopped {
            let tracked = self.pods.get(uid).expect("tracked");
            match delete_now(&self.client, tracked).await {
                Ok(()) => {}
                Err(error) if is_not_found(&error) => {}
                Err(error) => {
                    tracing::warn!(%error, pod = %tracked.name(), "node agent: deleting a stopped pod");
                    self.schedule(uid, RETRY);
                }
            }
            return;
        }
        if let Some(next) = next {
            self.schedule(uid, next.saturating_sub(at));
        }
    }

    async fn event(&self, uid: &str, event: &EventSpec) {
        let Some(tracked) = self.pods.get(uid) else { return };
        self.recorder.record(&self.client, &tracked.node, tracked.involved(), event);
    }
}

/// What [`crate::NodeAgent::usage`] needs of a pod, while it runs: its running regular containers and restartable
/// sidecars with their resources, its readiness (from the computed `status`, readiness gates included), its
/// workload and its usage annotations. `None` for a pod that is not `Running` or runs no container.
fn usage_entry(
    tracked: &Tracked,
    origin: OffsetDateTime,
    plan: &PodPlan,
    snapshot: &PodSnapshot,
    status: &Value,
) -> Option<PodEntry> {
    if snapshot.phase != Phase::Running {
        return None;
    }
    let spec = tracked.pod.spec.as_ref()?;
    let groups = [
        (&spec.containers[..], &plan.containers, &snapshot.containers, false),
        (spec.init_containers.as_deref().unwrap_or_default(), &plan.init_containers, &snapshot.init_containers, true),
    ];
    let mut containers = Vec::new();
    let mut start: Option<Duration> = None;
    for (specs, plans, snapshots, init) in groups {
        for ((container, plan), snapshot) in specs.iter().zip(plans).zip(snapshots) {
            if init && container.restart_policy.as_deref() != Some("Always") {
                continue;
            }
            if let State::Running { since } = snapshot.state {
                start = Some(start.map_or(since, |earliest| earliest.min(since)));
                containers.push(ContainerEntry { name: plan.name.clone(), resources: Resources::of(container) });
            }
        }
    }
    let start = start?;
    let conditions = status["conditions"].as_array().map(Vec::as_slice).unwrap_or_default();
    let ready = conditions.iter().any(|condition| condition["type"] == "Ready" && condition["status"] == "True");
    Some(PodEntry {
        namespace: tracked.namespace().to_owned(),
        name: tracked.name().to_owned(),
        node: tracked.node.clone(),
        labels: tracked.pod.metadata.labels.clone().unwrap_or_default(),
        workload: Workload::of(&tracked.pod),
        ready,
        start: origin + start,
        containers,
        fixed: Usage::of(&tracked.pod),
        load: Load::of(&tracked.pod),
    })
}

/// Time since `origin`, never negative.
fn elapsed(origin: OffsetDateTime, now: OffsetDateTime) -> Duration {
    Duration::try_from(now - origin).unwrap_or(Duration::ZERO)
}

async fn write_status(client: &kube::Client, tracked: &Tracked, status: &Value) -> Result<(), kube::Error> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), tracked.namespace());
    let patch = json!({ "status": status });
    pods.patch_status(tracked.name(), &PatchParams::default(), &Patch::Merge(&patch)).await.map(drop)
}

/// Deletes the pod with no grace period, only if it is still the same pod.
async fn delete_now(client: &kube::Client, tracked: &Tracked) -> Result<(), kube::Error> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), tracked.namespace());
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        preconditions: Some(Preconditions { uid: Some(tracked.uid().to_owned()), resource_version: None }),
        ..DeleteParams::default()
    };
    pods.delete(tracked.name(), &params).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lean_pod_plans_and_admits_as_the_whole_pod_does() {
        let mut pod: Pod = serde_json::from_value(json!({
            "metadata": {
                "name": "web", "namespace": "default", "uid": "u1",
                "labels": { "app": "web", "pod-template-hash": "5d8f" },
                "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d8f", "uid": "r1",
                                      "controller": true },
                                    { "apiVersion": "v1", "kind": "ConfigMap", "name": "other", "uid": "c1" }],
                "deletionTimestamp": "2026-01-01T00:00:00Z", "deletionGracePeriodSeconds": 5,
                "annotations": { "ekslite.dev/run-seconds": "3", "ekslite.dev/exit-code": "2",
                                 "ekslite.dev/fail-readiness": "true", "ekslite.dev/fail-liveness-after": "7" },
                "managedFields": [{ "manager": "kubectl", "operation": "Update", "fieldsV1": { "f:spec": {} } }],
            },
            "spec": {
                "nodeName": "node-1", "hostNetwork": true, "restartPolicy": "OnFailure",
                "terminationGracePeriodSeconds": 9,
                "volumes": [{ "name": "data", "emptyDir": {} }],
                "initContainers": [{ "name": "setup", "image": "busybox", "restartPolicy": "Always",
                                     "env": [{ "name": "A", "value": "1" }] }],
                "containers": [{
                    "name": "app", "image": "nginx", "imagePullPolicy": "Always",
                    "readinessProbe": { "httpGet": { "port": 80 }, "initialDelaySeconds": 2, "periodSeconds": 3 },
                    "livenessProbe": { "tcpSocket": { "port": 80 }, "failureThreshold": 4 },
                    "startupProbe": { "exec": { "command": ["true"] } },
                    "volumeMounts": [{ "name": "data", "mountPath": "/data" }],
                    "resources": { "requests": { "cpu": "250m", "memory": "64Mi", "ephemeral-storage": "1Gi" },
                                   "limits": { "memory": "128Mi" } },
                }],
                "ephemeralContainers": [{ "name": "debugger", "image": "busybox", "imagePullPolicy": "Always",
                                          "targetContainerName": "app", "tty": true }],
            },
            "status": { "phase": "Running", "podIP": "10.0.0.9", "startTime": "2026-01-01T00:00:00Z",
                        "conditions": [{ "type": "Ready", "status": "True" },
                                       { "type": "DisruptionTarget", "status": "True",
                                         "reason": "PreemptionByScheduler" }] },
        }))
        .expect("a pod");
        let whole = pod.clone();
        lean_pod(&mut pod);
        assert_eq!(PodPlan::of(&pod), PodPlan::of(&whole));
        assert_eq!(pod.metadata.deletion_timestamp, whole.metadata.deletion_timestamp);
        assert_eq!(pod.metadata.deletion_grace_period_seconds, Some(5));
        let (spec, status) = (pod.spec.as_ref().unwrap(), pod.status.as_ref().unwrap());
        assert_eq!((spec.node_name.as_deref(), spec.host_network), (Some("node-1"), Some(true)));
        assert_eq!((status.phase.as_deref(), status.pod_ip.as_deref()), (Some("Running"), Some("10.0.0.9")));
        assert_eq!(status.start_time, whole.status.as_ref().unwrap().start_time);
        // Conditions the agent writes itself go; those others own stay, for every status write to carry over.
        let foreign = foreign_conditions(&pod);
        assert_eq!(foreign, foreign_conditions(&whole));
        assert_eq!(
            foreign,
            vec![json!({ "type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler" })]
        );
        assert_eq!(status.conditions.as_ref().map(Vec::len), Some(1));
        // What is dropped is what the agent never reads.
        assert!(pod.metadata.managed_fields.is_none() && spec.volumes.is_none());
        assert!(spec.containers[0].volume_mounts.is_none());
        // Usage reads the workload and the containers' CPU and memory.
        assert_eq!(Workload::of(&pod), Workload::of(&whole));
        assert_eq!(Workload::of(&pod).kind, "Deployment");
        let resources = |pod: &Pod| usage::long_running(pod).map(|(c, _)| Resources::of(c)).collect::<Vec<_>>();
        assert_eq!(resources(&pod), resources(&whole));
        assert_eq!(resources(&pod)[0].memory_limit, Some(128 << 20));
        assert_eq!(pod.metadata.labels.as_ref().map(|labels| labels.len()), Some(2), "labels select metrics");
        assert_eq!(pod.metadata.owner_references.as_ref().map(Vec::len), Some(1));
        let kept = spec.containers[0].resources.as_ref().and_then(|r| r.requests.as_ref()).map(|r| r.len());
        assert_eq!(kept, Some(2));
        // Ephemeral containers keep what their plan reads.
        let ephemeral = spec.ephemeral_containers.as_ref().expect("kept");
        assert_eq!(ContainerPlan::of_ephemeral(&ephemeral[0]).image, "busybox");
        assert!(ContainerPlan::of_ephemeral(&ephemeral[0]).pull_always);
    }
}

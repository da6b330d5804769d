//! The scheduling loop: watches nodes and pods into a [`Snapshot`], takes pending pods one at a time, assumes each
//! on the node [`schedule`] picks and binds it in the background, and records what happened as kube-scheduler
//! does (events, the pod's `PodScheduled` condition, preemption of lower-priority pods).
//!
//! A pod whose claims wait for their first consumer is bound only after each such claim names the chosen node in
//! its `volume.kubernetes.io/selected-node` annotation and the PersistentVolume controller has bound it (provisioned
//! or bound a volume there), as kube-scheduler's VolumeBinding plugin waits in PreBind; the pod stays assumed on the
//! node meanwhile, and is tried again if that takes longer than [`VOLUME_BIND_TIMEOUT`].
//!
//! An unschedulable pod waits until the cluster changes (a node comes or changes, a pod goes, a claim, volume or
//! storage class changes) and its back-off has passed, or until the flush interval, so that it is never retried in
//! a hot loop.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::{FutureExt, StreamExt, stream};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    EphemeralVolumeSource, Event, EventSource, Namespace, Node, ObjectReference, PersistentVolume,
    PersistentVolumeClaim, Pod, Volume,
};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::SchedulerConfig;
use crate::schedule::{Unschedulable, schedule};
use crate::snapshot::{PREEMPTED_REASON, PodKey, Snapshot, pod_key};
use crate::volumes::{self, SELECTED_NODE_ANNOTATION};

/// The back-off after a pod's first failed attempt (upstream's `podInitialBackoffSeconds`).
const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
/// The longest back-off (upstream's `podMaxBackoffSeconds`).
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How long an unschedulable pod waits for a cluster change before it is tried again anyway.
const FLUSH_INTERVAL: Duration = Duration::from_secs(60);

/// How many bindings may be in flight: the loop goes on deciding while the API writes them, as kube-scheduler
/// binds in the background once a pod is assumed on its node.
const BINDS_IN_FLIGHT: usize = 64;
/// How long a pod assumed on a node waits for its claims to be bound before it is tried again (upstream's
/// `bindTimeoutSeconds`).
const VOLUME_BIND_TIMEOUT: Duration = Duration::from_secs(600);
/// How often the claims a pod waits for are looked at, at most.
const VOLUME_POLL_MAX: Duration = Duration::from_secs(1);
/// How many events may wait to be posted; more are dropped (and logged), as client-go's broadcaster drops them.
const EVENT_QUEUE: usize = 1000;
/// How many events are posted at once.
const EVENT_WRITERS: usize = 16;

/// A binding's result: the pod's key, the pod as scheduled, its node and what the API said.
type Bound = (PodKey, Pod, String, Result<(), BindError>);

/// Why a pod assumed on a node was not bound.
#[derive(Debug)]
enum BindError {
    /// A claim waiting for the pod's node could not be annotated with it (the claim is gone, say): the pod is tried
    /// again after its back-off, as upstream retries a pod whose PreBind failed.
    Claim(kube::Error),
    /// The claims were not bound in time.
    VolumesNotBound,
    /// The pod went away while its claims were waited for.
    PodGone,
    /// The binding itself failed.
    Binding(kube::Error),
}

/// One change seen by the watches.
enum Change {
    Node(Box<Result<watcher::Event<Node>, watcher::Error>>),
    Pod(Box<Result<watcher::Event<Pod>, watcher::Error>>),
    Namespace(Box<Result<watcher::Event<Namespace>, watcher::Error>>),
    Claim(Box<Result<watcher::Event<PersistentVolumeClaim>, watcher::Error>>),
    Volume(Box<Result<watcher::Event<PersistentVolume>, watcher::Error>>),
    Class(Box<Result<watcher::Event<StorageClass>, watcher::Error>>),
}

/// An unschedulable pod waiting for another attempt.
#[derive(Debug)]
struct Waiting {
    attempts: u32,
    /// When its back-off ends.
    backoff_until: Instant,
    /// When it is tried even if nothing changed.
    flush_at: Instant,
    /// Whether the cluster changed since it failed.
    changed: bool,
}

/// Runs the scheduler until the future is dropped.
pub async fn run(client: kube::Client, config: SchedulerConfig) {
    let nodes = watcher(Api::<Node>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .modify(without_managed_fields)
        .map(|event| Change::Node(Box::new(event)))
        .boxed();
    let pods = watcher(Api::<Pod>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .modify(lean_pod)
        .map(|e| Change::Pod(Box::new(e)))
        .boxed();
    // Namespaces' labels, for pod affinity terms that select namespaces.
    let namespaces = watcher(Api::<Namespace>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .modify(|namespace: &mut Namespace| {
            namespace.metadata.managed_fields = None;
            namespace.metadata.annotations = None;
            namespace.spec = None;
            namespace.status = None;
        })
        .map(|e| Change::Namespace(Box::new(e)))
        .boxed();
    // What pods' volumes depend on; only what scheduling reads of each object is kept.
    let claims = watcher(Api::<PersistentVolumeClaim>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .map(|e| Change::Claim(Box::new(e)))
        .boxed();
    let volumes = watcher(Api::<PersistentVolume>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .map(|e| Change::Volume(Box::new(e)))
        .boxed();
    let classes = watcher(Api::<StorageClass>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .map(|e| Change::Class(Box::new(e)))
        .boxed();
    let mut changes = stream::select_all([nodes, pods, namespaces, claims, volumes, classes]);
    let mut scheduler = Scheduler::new(client, config);
    loop {
        // Take in every change and finished binding that is ready before deciding anything.
        while let Some(change) = changes.next().now_or_never() {
            match change {
                Some(change) => scheduler.apply(change),
                None => return,
            }
        }
        while let Some(done) = scheduler.binds.try_join_next() {
            scheduler.bound(done);
        }
        while let Some(done) = scheduler.volume_binds.try_join_next() {
            scheduler.bound(done);
        }
        if scheduler.binds.len() < BINDS_IN_FLIGHT
            && let Some(key) = scheduler.next_pod()
        {
            scheduler.schedule_one(&key).await;
            continue;
        }
        let wake = scheduler.next_wake();
        tokio::select! {
            change = changes.next() => match change {
                Some(change) => scheduler.apply(change),
                None => return,
            },
            Some(done) = scheduler.binds.join_next(), if !scheduler.binds.is_empty() => scheduler.bound(done),
            Some(done) = scheduler.volume_binds.join_next(), if !scheduler.volume_binds.is_empty() => {
                scheduler.bound(done);
            }
            () = sleep_until(wake) => {}
        }
    }
}

/// Drops a pod's or node's `managedFields` as the watch hands it over: nothing here reads them and they are often
/// half of a decoded object.
fn without_managed_fields<K: kube::Resource>(object: &mut K) {
    object.meta_mut().managed_fields = None;
}

/// A pod without what no scheduling decision reads: managed fields, annotations, volumes other than claims (and
/// of those only their names and the claims they use) and each container's command, environment, mounts, probes
/// and lifecycle. Pods waiting for a node are kept whole otherwise, and under load tens of thousands wait.
fn lean_pod(pod: &mut Pod) {
    pod.metadata.managed_fields = None;
    pod.metadata.annotations = None;
    if let Some(spec) = pod.spec.as_mut() {
        let claims: Vec<Volume> = spec
            .volumes
            .take()
            .unwrap_or_default()
            .into_iter()
            .filter(|volume| volume.persistent_volume_claim.is_some() || volume.ephemeral.is_some())
            .map(|volume| Volume {
                name: volume.name,
                persistent_volume_claim: volume.persistent_volume_claim,
                // An ephemeral volume's claim is named after the pod and the volume; its template is not read.
                ephemeral: volume.ephemeral.map(|_| EphemeralVolumeSource::default()),
                ..Volume::default()
            })
            .collect();
        spec.volumes = (!claims.is_empty()).then_some(claims);
        let lean = |container: &mut k8s_openapi::api::core::v1::Container| {
            container.command = None;
            container.args = None;
            container.env = None;
            container.env_from = None;
            container.volume_mounts = None;
            container.volume_devices = None;
            container.liveness_probe = None;
            container.readiness_probe = None;
            container.startup_probe = None;
            container.lifecycle = None;
            container.security_context = None;
        };
        spec.containers.iter_mut().for_each(lean);
        spec.init_containers.iter_mut().flatten().for_each(lean);
    }
}

/// Applies one watch event to what the snapshot keeps of a kind, by key (`keep` gives an object's key and what is
/// kept of it); true when what is kept changed. A relist drops what vanished meanwhile.
/// Where the scheduler keeps one kind's records and the names seen while its watch lists.
type KeptFields<T> = for<'a> fn(&'a mut Scheduler) -> (&'a mut HashMap<String, T>, &'a mut Option<HashSet<String>>);

fn apply_kept<K, T: PartialEq>(
    kept: &mut HashMap<String, T>,
    listing: &mut Option<HashSet<String>>,
    event: watcher::Event<K>,
    keep: fn(&K) -> (String, T),
) -> bool {
    match event {
        watcher::Event::Init => {
            *listing = Some(HashSet::new());
            false
        }
        watcher::Event::InitApply(object) | watcher::Event::Apply(object) => {
            let (key, value) = keep(&object);
            if let Some(seen) = listing {
                seen.insert(key.clone());
            }
            if kept.get(&key) == Some(&value) {
                return false;
            }
            kept.insert(key, value);
            true
        }
        watcher::Event::Delete(object) => kept.remove(&keep(&object).0).is_some(),
        watcher::Event::InitDone => {
            let Some(seen) = listing.take() else { return false };
            let before = kept.len();
            kept.retain(|key, _| seen.contains(key));
            kept.len() != before
        }
    }
}

/// Waits until each of `claims` is bound to a volume (polling, with a deadline), as upstream's PreBind waits
/// for the PersistentVolume controller; stops early once the pod (`name`, `uid`) is gone.
async fn wait_for_claims(
    claims_api: &Api<PersistentVolumeClaim>,
    claims: &[String],
    pods: &Api<Pod>,
    name: &str,
    uid: Option<&str>,
) -> Result<(), BindError> {
    let deadline = Instant::now() + VOLUME_BIND_TIMEOUT;
    let mut pause = Duration::from_millis(50);
    for claim in claims {
        loop {
            let pod = pods.get_opt(name).await.map_err(BindError::Binding)?;
            if pod.is_none_or(|pod| pod.metadata.uid.as_deref() != uid) {
                return Err(BindError::PodGone);
            }
            let current = claims_api.get(claim).await.map_err(BindError::Claim)?;
            if current.metadata.deletion_timestamp.is_none()
                && current.spec.as_ref().and_then(|s| s.volume_name.as_deref()).is_some_and(|v| !v.is_empty())
            {
                break;
            }
            if Instant::now() >= deadline {
                return Err(BindError::VolumesNotBound);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(VOLUME_POLL_MAX);
        }
    }
    Ok(())
}

async fn sleep_until(wake: Option<Instant>) {
    match wake {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

struct Scheduler {
    client: kube::Client,
    config: SchedulerConfig,
    /// Bindings being written.
    binds: JoinSet<Bound>,
    /// Pods waiting for their claims to be bound before their binding is written; apart from `binds`, so that
    /// they never hold up other pods.
    volume_binds: JoinSet<Bound>,
    /// Posts events in the background, counting repeats on one event.
    events: k8s_events::Recorder,
    snapshot: Snapshot,
    /// Pods waiting for a node, as last seen.
    pending: HashMap<PodKey, Pod>,
    /// Pods to try now, by priority.
    active: crate::queue::ActiveQueue<PodKey>,
    queued: HashSet<PodKey>,
    waiting: HashMap<PodKey, Waiting>,
    /// Names seen since a watch (re)started listing, to drop what vanished meanwhile.
    listing_nodes: Option<HashSet<String>>,
    listing_pods: Option<HashSet<PodKey>>,
    listing_namespaces: Option<HashSet<String>>,
    listing_claims: Option<HashSet<String>>,
    listing_volumes: Option<HashSet<String>>,
    listing_classes: Option<HashSet<String>>,
}

impl Scheduler {
    fn new(client: kube::Client, config: SchedulerConfig) -> Scheduler {
        Scheduler {
            client,
            config,
            binds: JoinSet::new(),
            volume_binds: JoinSet::new(),
            events: k8s_events::Recorder::start(EVENT_QUEUE, EVENT_WRITERS),
            snapshot: Snapshot::new(),
            pending: HashMap::new(),
            active: crate::queue::ActiveQueue::default(),
            queued: HashSet::new(),
            waiting: HashMap::new(),
            listing_nodes: None,
            listing_pods: None,
            listing_namespaces: None,
            listing_claims: None,
            listing_volumes: None,
            listing_classes: None,
        }
    }

    fn apply(&mut self, change: Change) {
        match change {
            Change::Node(event) => match *event {
                Ok(event) => self.apply_node(event),
                Err(error) => tracing::debug!(%error, "scheduler watch error; retrying"),
            },
            Change::Pod(event) => match *event {
                Ok(event) => self.apply_pod(event),
                Err(error) => tracing::debug!(%error, "scheduler watch error; retrying"),
            },
            Change::Namespace(event) => match *event {
                Ok(event) => self.apply_namespace(event),
                Err(error) => tracing::debug!(%error, "scheduler watch error; retrying"),
            },
            Change::Claim(event) => {
                self.apply_kept_change(
                    *event,
                    |s| (&mut s.snapshot.volumes.claims, &mut s.listing_claims),
                    volumes::claim_info,
                );
            }
            Change::Volume(event) => {
                self.apply_kept_change(
                    *event,
                    |s| (&mut s.snapshot.volumes.volumes, &mut s.listing_volumes),
                    volumes::volume_info,
                );
            }
            Change::Class(event) => {
                self.apply_kept_change(
                    *event,
                    |s| (&mut s.snapshot.volumes.classes, &mut s.listing_classes),
                    volumes::class_info,
                );
            }
        }
    }

    /// Applies a watch event of a kind of which only what `keep` takes is kept (in the map and listing `fields`
    /// picks), retrying unschedulable pods when that changed.
    fn apply_kept_change<K, T: PartialEq>(
        &mut self,
        event: Result<watcher::Event<K>, watcher::Error>,
        fields: KeptFields<T>,
        keep: fn(&K) -> (String, T),
    ) {
        match event {
            Ok(event) => {
                let (kept, listing) = fields(self);
                if apply_kept(kept, listing, event, keep) {
                    self.cluster_changed();
                }
            }
            Err(error) => tracing::debug!(%error, "scheduler watch error; retrying"),
        }
    }

    fn apply_namespace(&mut self, event: watcher::Event<Namespace>) {
        match event {
            watcher::Event::Init => self.listing_namespaces = Some(HashSet::new()),
            watcher::Event::InitApply(namespace) | watcher::Event::Apply(namespace) => {
                let name = namespace.metadata.name.unwrap_or_default();
                if let Some(seen) = &mut self.listing_namespaces {
                    seen.insert(name.clone());
                }
                if self.snapshot.set_namespace(&name, namespace.metadata.labels.unwrap_or_default()) {
                    self.cluster_changed();
                }
            }
            watcher::Event::Delete(namespace) => {
                self.snapshot.remove_namespace(namespace.metadata.name.as_deref().unwrap_or_default());
                self.cluster_changed();
            }
            watcher::Event::InitDone => {
                if let Some(seen) = self.listing_namespaces.take() {
                    let gone: Vec<String> =
                        self.snapshot.namespace_names().filter(|name| !seen.contains(*name)).cloned().collect();
                    for name in gone {
                        self.snapshot.remove_namespace(&name);
                    }
                }
            }
        }
    }

    fn apply_node(&mut self, event: watcher::Event<Node>) {
        match event {
            watcher::Event::Init => self.listing_nodes = Some(HashSet::new()),
            watcher::Event::InitApply(node) | watcher::Event::Apply(node) => {
                if let Some(seen) = &mut self.listing_nodes {
                    seen.insert(node.metadata.name.clone().unwrap_or_default());
                }
                self.snapshot.upsert_node(&node);
                self.cluster_changed();
            }
            watcher::Event::Delete(node) => {
                self.snapshot.remove_node(node.metadata.name.as_deref().unwrap_or_default());
            }
            watcher::Event::InitDone => {
                if let Some(seen) = self.listing_nodes.take() {
                    let gone: Vec<String> = self
                        .snapshot
                        .nodes
                        .iter()
                        .filter(|n| n.present && !seen.contains(&n.name))
                        .map(|n| n.name.clone())
                        .collect();
                    for name in gone {
                        self.snapshot.remove_node(&name);
                    }
                }
            }
        }
    }

    fn apply_pod(&mut self, event: watcher::Event<Pod>) {
        match event {
            watcher::Event::Init => self.listing_pods = Some(HashSet::new()),
            watcher::Event::InitApply(pod) | watcher::Event::Apply(pod) => {
                let key = pod_key(&pod);
                if let Some(seen) = &mut self.listing_pods {
                    seen.insert(key.clone());
                }
                self.pod_changed(key, pod);
            }
            watcher::Event::Delete(pod) => self.pod_gone(&pod_key(&pod)),
            watcher::Event::InitDone => {
                if let Some(seen) = self.listing_pods.take() {
                    let known: Vec<PodKey> =
                        self.snapshot.pods.keys().chain(self.pending.keys()).cloned().collect::<Vec<_>>();
                    for key in known.into_iter().filter(|k| !seen.contains(k)) {
                        self.pod_gone(&key);
                    }
                }
            }
        }
    }

    fn pod_changed(&mut self, key: PodKey, pod: Pod) {
        let spec = pod.spec.as_ref();
        let bound = spec.and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty());
        if bound {
            let finished = matches!(pod.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed"));
            let was_counted = self.snapshot.pod(&key).is_some();
            self.snapshot.add_pod(&pod);
            self.forget_pending(&key);
            if finished && was_counted {
                self.cluster_changed();
            }
            return;
        }
        let ours =
            spec.and_then(|s| s.scheduler_name.as_deref()).unwrap_or("default-scheduler") == self.config.scheduler_name;
        let gated = spec.and_then(|s| s.scheduling_gates.as_ref()).is_some_and(|g| !g.is_empty());
        let finished = matches!(pod.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed"));
        if !ours || gated || finished || pod.metadata.deletion_timestamp.is_some() {
            self.forget_pending(&key);
            return;
        }
        // A nomination written to the pod holds; one made here and not written yet is not undone by an update
        // that predates it.
        if let Some(node) = pod.status.as_ref().and_then(|s| s.nominated_node_name.as_deref()).filter(|n| !n.is_empty())
        {
            self.snapshot.nominate(&pod, node);
        }
        let priority = pod.spec.as_ref().and_then(|spec| spec.priority).unwrap_or(0);
        let new = self.pending.insert(key.clone(), pod).is_none();
        if new && !self.waiting.contains_key(&key) && self.queued.insert(key.clone()) {
            self.active.push(key, priority);
        }
    }

    fn pod_gone(&mut self, key: &str) {
        if self.snapshot.pod(key).is_some() {
            self.snapshot.remove_pod(key);
            self.cluster_changed();
        }
        self.forget_pending(key);
    }

    fn forget_pending(&mut self, key: &str) {
        self.snapshot.forget_nomination(key);
        self.pending.remove(key);
        self.waiting.remove(key);
        // A key left in `active` is skipped when it comes up.
        self.queued.remove(key);
    }

    /// Something that may make room happened: every waiting pod may go once its back-off ends.
    fn cluster_changed(&mut self) {
        for waiting in self.waiting.values_mut() {
            waiting.changed = true;
        }
    }

    /// The next pod to try: from the active queue, else a waiting pod whose time has come.
    fn next_pod(&mut self) -> Option<PodKey> {
        let now = Instant::now();
        let due: Vec<PodKey> = self
            .waiting
            .iter()
            .filter(|(_, w)| (w.changed && w.backoff_until <= now) || w.flush_at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            if self.queued.insert(key.clone()) {
                let priority = self.pending.get(&key).and_then(|pod| pod.spec.as_ref()?.priority).unwrap_or(0);
                self.active.push(key, priority);
            }
        }
        while let Some(key) = self.active.pop() {
            // A pod assumed on a node, its binding in flight, is not scheduled twice.
            if self.queued.remove(&key) && self.pending.contains_key(&key) && self.snapshot.pod(&key).is_none() {
                return Some(key);
            }
        }
        None
    }

    fn next_wake(&self) -> Option<Instant> {
        self.waiting.values().map(|w| if w.changed { w.backoff_until.min(w.flush_at) } else { w.flush_at }).min()
    }

    async fn schedule_one(&mut self, key: &PodKey) {
        let Some(pod) = self.pending.get(key).cloned() else { return };
        match schedule(&pod, &self.snapshot) {
            Ok(node) => {
                let claims = volumes::claims_to_select(&pod, &self.snapshot.volumes, &node);
                let unbound = volumes::claims_to_wait_for(&pod, &self.snapshot.volumes);
                self.bind(key, pod, &node, claims, unbound);
            }
            Err(unschedulable) => self.failed(key, &pod, &unschedulable).await,
        }
    }

    /// Assumes the pod on its node and, in the background, annotates `claims` (those waiting for the pod's node)
    /// with the node, waits until every claim of `unbound` is bound, then writes the binding; [`Scheduler::bound`]
    /// takes the result.
    fn bind(&mut self, key: &PodKey, pod: Pod, node: &str, claims: Vec<String>, unbound: Vec<String>) {
        let mut assumed = pod.clone();
        assumed.spec.get_or_insert_default().node_name = Some(node.to_owned());
        // Its room is now taken by the pod itself, and it is not tried again unless the binding fails.
        self.snapshot.forget_nomination(key);
        self.snapshot.add_pod(&assumed);
        self.waiting.remove(key);
        let namespace = pod.metadata.namespace.clone().unwrap_or_else(|| "default".into());
        let name = pod.metadata.name.clone().unwrap_or_default();
        let binding = json!({
            "apiVersion": "v1", "kind": "Binding",
            "metadata": { "name": name, "namespace": namespace, "uid": pod.metadata.uid },
            "target": { "apiVersion": "v1", "kind": "Node", "name": node },
        });
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        let claims_api: Api<PersistentVolumeClaim> = Api::namespaced(self.client.clone(), &namespace);
        let (key, node) = (key.clone(), node.to_owned());
        let tasks = if unbound.is_empty() { &mut self.binds } else { &mut self.volume_binds };
        tasks.spawn(async move {
            let selected = Patch::Merge(json!({ "metadata": { "annotations": { SELECTED_NODE_ANNOTATION: node } } }));
            for claim in &claims {
                if let Err(error) = claims_api.patch(claim, &PatchParams::default(), &selected).await {
                    return (key, pod, node, Err(BindError::Claim(error)));
                }
            }
            if let Err(error) = wait_for_claims(&claims_api, &unbound, &pods, &name, pod.metadata.uid.as_deref()).await
            {
                return (key, pod, node, Err(error));
            }
            let bound: Result<serde_json::Value, kube::Error> =
                pods.create_subresource("binding", &name, &PostParams::default(), &binding).await;
            (key, pod, node, bound.map(drop).map_err(BindError::Binding))
        });
    }

    /// A binding was written, or failed.
    fn bound(&mut self, done: Result<Bound, tokio::task::JoinError>) {
        let Ok((key, pod, node, result)) = done else { return };
        match result {
            Ok(()) => {
                self.pending.remove(&key);
                self.waiting.remove(&key);
                let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
                let name = pod.metadata.name.as_deref().unwrap_or_default();
                let message = format!("Successfully assigned {namespace}/{name} to {node}");
                self.record(&pod, false, "Scheduled", "Binding", &message);
            }
            Err(BindError::PodGone) => {
                self.snapshot.remove_pod(&key);
                self.pending.remove(&key);
                self.waiting.remove(&key);
            }
            Err(BindError::Binding(kube::Error::Api(status))) if status.code == 404 || status.code == 409 => {
                // Gone, bound by someone else, or being deleted: the watch tells the rest.
                self.snapshot.remove_pod(&key);
                self.pending.remove(&key);
                self.waiting.remove(&key);
            }
            Err(BindError::Binding(error)) => {
                tracing::warn!(pod = %key, %error, "cannot bind the pod");
                self.snapshot.remove_pod(&key);
                self.back_off(&key);
            }
            Err(error @ (BindError::Claim(_) | BindError::VolumesNotBound)) => {
                tracing::debug!(pod = %key, ?error, "the pod's claims were not made ready for its node");
                self.snapshot.remove_pod(&key);
                let why = match &error {
                    BindError::Claim(kube::Error::Api(status)) => status.message.clone(),
                    BindError::Claim(error) => error.to_string(),
                    _ => "binding volumes: context deadline exceeded".to_owned(),
                };
                let message = format!("running PreBind plugin \"VolumeBinding\": {why}");
                self.record(&pod, true, "FailedScheduling", "Scheduling", &message);
                self.back_off(&key);
                // Tried again once its back-off ends, whether or not the cluster changes meanwhile.
                if let Some(waiting) = self.waiting.get_mut(&key) {
                    waiting.changed = true;
                }
            }
        }
    }

    async fn failed(&mut self, key: &PodKey, pod: &Pod, unschedulable: &Unschedulable) {
        let message = unschedulable.message();
        self.back_off(key);
        self.record(pod, true, "FailedScheduling", "Scheduling", &message);
        let namespace = pod.metadata.namespace.clone().unwrap_or_else(|| "default".into());
        let name = pod.metadata.name.clone().unwrap_or_default();
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        let pod_status = pod.status.as_ref();
        let already = pod_status.and_then(|s| s.conditions.as_ref()).and_then(|conditions| {
            conditions.iter().find(|c| c.type_ == "PodScheduled" && c.status == "False").map(|c| c.message.clone())
        });
        let written_nomination = pod_status.and_then(|s| s.nominated_node_name.as_deref()).filter(|n| !n.is_empty());
        let mut status = json!({});
        if already != Some(Some(message.clone())) {
            status["conditions"] = json!([{
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
                "lastProbeTime": null, "lastTransitionTime": Time(Timestamp::now()),
            }]);
        }
        if let Some(preemption) = &unschedulable.preemption {
            // Pods of lower priority nominated to the same node lose their claim to it, as upstream clears them.
            let priority = pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0);
            let displaced: Vec<PodKey> = self.snapshot.node(&preemption.node).map_or_else(Vec::new, |node| {
                node.nominated
                    .iter()
                    .filter(|n| n.priority < priority && n.key != *key)
                    .map(|n| n.key.clone())
                    .collect()
            });
            for other in displaced {
                self.snapshot.forget_nomination(&other);
                self.clear_nomination(&other).await;
            }
            self.snapshot.nominate(pod, &preemption.node);
            if written_nomination != Some(preemption.node.as_str()) {
                status["nominatedNodeName"] = json!(preemption.node);
            }
            for victim in &preemption.victims {
                self.preempt(pod, victim, &preemption.node).await;
            }
        } else if unschedulable.not_eligible.is_none() && unschedulable.n_nodes > 0 {
            // Preemption was tried and found nowhere: an earlier nomination no longer holds.
            self.snapshot.forget_nomination(key);
            if written_nomination.is_some() {
                status["nominatedNodeName"] = serde_json::Value::Null;
            }
        }
        if status.as_object().is_some_and(|s| !s.is_empty()) {
            let patch = Patch::Strategic(json!({ "status": status }));
            if let Err(error) = pods.patch_status(&name, &PatchParams::default(), &patch).await {
                tracing::debug!(pod = %key, %error, "cannot update the pod's status");
            }
        }
    }

    /// Removes a pending pod's `status.nominatedNodeName`.
    async fn clear_nomination(&self, key: &PodKey) {
        let Some((namespace, name)) = key.split_once('/') else { return };
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let patch = Patch::Strategic(json!({ "status": { "nominatedNodeName": null } }));
        if let Err(error) = pods.patch_status(name, &PatchParams::default(), &patch).await {
            tracing::debug!(pod = %key, %error, "cannot clear the pod's nominated node");
        }
    }

    /// Marks a victim as disrupted by preemption, deletes it gracefully and says why on it.
    async fn preempt(&mut self, preemptor: &Pod, victim: &PodKey, node: &str) {
        let Some((namespace, name)) = victim.split_once('/') else { return };
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let victim_pod = match pods.get_opt(name).await {
            Ok(Some(pod)) => pod,
            Ok(None) => return,
            Err(error) => {
                tracing::debug!(pod = %victim, %error, "cannot read a preemption victim");
                return;
            }
        };
        if victim_pod.metadata.deletion_timestamp.is_some() {
            return;
        }
        let condition = json!({ "status": { "conditions": [{
            "type": "DisruptionTarget", "status": "True", "reason": PREEMPTED_REASON,
            "message": format!("{}: preempting to accommodate a higher priority pod", self.config.scheduler_name),
            "lastTransitionTime": Time(Timestamp::now()),
        }] } });
        if let Err(error) = pods.patch_status(name, &PatchParams::default(), &Patch::Strategic(condition)).await {
            tracing::debug!(pod = %victim, %error, "cannot mark a preemption victim");
        }
        if let Err(error) = pods.delete(name, &DeleteParams::default()).await {
            tracing::debug!(pod = %victim, %error, "cannot delete a preemption victim");
            return;
        }
        let preemptor_name = format!(
            "{}/{}",
            preemptor.metadata.namespace.as_deref().unwrap_or("default"),
            preemptor.metadata.name.as_deref().unwrap_or_default()
        );
        let message = format!("Preempted by pod {preemptor_name} on node {node}");
        self.record(&victim_pod, false, "Preempted", "Preempting", &message);
    }

    fn back_off(&mut self, key: &PodKey) {
        let now = Instant::now();
        let attempts = self.waiting.get(key).map_or(0, |w| w.attempts) + 1;
        let backoff = INITIAL_BACKOFF.saturating_mul(1 << (attempts - 1).min(8)).min(MAX_BACKOFF);
        self.waiting.insert(
            key.clone(),
            Waiting { attempts, backoff_until: now + backoff, flush_at: now + FLUSH_INTERVAL, changed: false },
        );
    }

    /// Queues a core/v1 Event about `pod` (a repeat of one said lately bumps that one's count); failing to record
    /// is only logged.
    fn record(&self, pod: &Pod, warning: bool, reason: &str, action: &str, message: &str) {
        let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
        let now = Timestamp::now();
        // Events name the scheduler by its name, as kube-scheduler names them by profile (`default-scheduler`).
        let component = self.config.scheduler_name.clone();
        let mut event = Event {
            involved_object: ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Pod".into()),
                name: pod.metadata.name.clone(),
                namespace: Some(namespace.to_owned()),
                uid: pod.metadata.uid.clone(),
                resource_version: pod.metadata.resource_version.clone(),
                field_path: None,
            },
            reason: Some(reason.into()),
            message: Some(message.into()),
            type_: Some(if warning { "Warning" } else { "Normal" }.into()),
            action: Some(action.into()),
            source: Some(EventSource { component: Some(component.clone()), host: None }),
            first_timestamp: Some(Time(now)),
            last_timestamp: Some(Time(now)),
            count: Some(1),
            reporting_component: Some(component.clone()),
            reporting_instance: Some(component),
            ..Event::default()
        };
        event.metadata.name =
            Some(format!("{}.{:x}", pod.metadata.name.as_deref().unwrap_or_default(), now.as_nanosecond()));
        event.metadata.namespace = Some(namespace.to_owned());
        self.events.record(&self.client, event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lean_pod_keeps_everything_scheduling_reads() {
        let mut pod: Pod = serde_json::from_value(json!({
            "metadata": { "name": "web", "namespace": "default", "uid": "u", "labels": { "app": "web" },
                          "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1",
                                                "uid": "r", "controller": true }],
                          "annotations": { "note": "x" },
                          "managedFields": [{ "manager": "m", "fieldsV1": { "f:spec": {} } }] },
            "spec": {
                "schedulerName": "default-scheduler", "priority": 10, "preemptionPolicy": "Never",
                "nodeSelector": { "disk": "ssd" },
                "tolerations": [{ "key": "k", "operator": "Exists" }],
                "affinity": { "podAntiAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": [
                    { "labelSelector": { "matchLabels": { "app": "web" } }, "topologyKey": "kubernetes.io/hostname" }
                ] } },
                "topologySpreadConstraints": [{ "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                                "whenUnsatisfiable": "DoNotSchedule" }],
                "overhead": { "cpu": "10m" },
                "volumes": [{ "name": "data", "emptyDir": {} }],
                "initContainers": [{ "name": "init", "resources": { "requests": { "cpu": "2" } },
                                     "command": ["sh"] }],
                "containers": [{ "name": "app", "image": "nginx",
                                 "resources": { "requests": { "cpu": "500m", "memory": "1Gi" } },
                                 "ports": [{ "containerPort": 80, "hostPort": 8080 }],
                                 "env": [{ "name": "A", "value": "1" }],
                                 "readinessProbe": { "httpGet": { "port": 80 } },
                                 "volumeMounts": [{ "name": "data", "mountPath": "/d" }] }],
            },
        }))
        .expect("a pod");
        let whole = pod.clone();
        lean_pod(&mut pod);
        assert_eq!(crate::pod_requests(&pod), crate::pod_requests(&whole));
        let (spec, full) = (pod.spec.as_ref().unwrap(), whole.spec.as_ref().unwrap());
        assert_eq!(spec.affinity, full.affinity);
        assert_eq!(spec.tolerations, full.tolerations);
        assert_eq!(spec.node_selector, full.node_selector);
        assert_eq!(spec.topology_spread_constraints, full.topology_spread_constraints);
        assert_eq!((spec.priority, &spec.preemption_policy), (full.priority, &full.preemption_policy));
        assert_eq!(spec.containers[0].ports, full.containers[0].ports);
        assert_eq!(pod.metadata.labels, whole.metadata.labels);
        assert_eq!(pod.metadata.owner_references, whole.metadata.owner_references);
        assert!(spec.volumes.is_none() && spec.containers[0].env.is_none() && pod.metadata.managed_fields.is_none());
    }

    #[test]
    fn a_lean_pod_keeps_the_claims_of_its_volumes() {
        let mut pod: Pod = serde_json::from_value(json!({
            "metadata": { "name": "db", "namespace": "default" },
            "spec": {
                "volumes": [
                    { "name": "config", "configMap": { "name": "db" } },
                    { "name": "data", "persistentVolumeClaim": { "claimName": "db-data" } },
                    { "name": "scratch", "ephemeral": { "volumeClaimTemplate": { "spec": {
                        "accessModes": ["ReadWriteOnce"], "resources": { "requests": { "storage": "1Gi" } } } } } },
                ],
                "containers": [{ "name": "db", "image": "postgres" }],
            },
        }))
        .expect("a pod");
        let whole = pod.clone();
        lean_pod(&mut pod);
        assert_eq!(volumes::pod_claims(&pod), volumes::pod_claims(&whole));
        assert_eq!(volumes::pod_claims(&pod), ["db-data", "db-scratch"]);
        let kept = pod.spec.and_then(|s| s.volumes).unwrap_or_default();
        assert_eq!(kept.len(), 2);
        assert!(kept[1].ephemeral.as_ref().is_some_and(|e| e.volume_claim_template.is_none()));
    }

    #[test]
    fn a_relist_drops_the_claims_that_vanished_meanwhile() {
        let claim = |name: &str, volume: Option<&str>| -> PersistentVolumeClaim {
            serde_json::from_value(json!({
                "metadata": { "name": name, "namespace": "default" },
                "spec": { "volumeName": volume },
            }))
            .expect("a claim")
        };
        let mut kept = HashMap::new();
        let mut listing = None;
        let mut apply = |event| apply_kept(&mut kept, &mut listing, event, volumes::claim_info);
        assert!(apply(watcher::Event::Apply(claim("old", None))));
        assert!(apply(watcher::Event::Apply(claim("data", None))));
        // The same claim again changes nothing; bound, it does.
        assert!(!apply(watcher::Event::Apply(claim("data", None))));
        assert!(apply(watcher::Event::Apply(claim("data", Some("pv")))));
        assert!(!apply(watcher::Event::Init));
        assert!(!apply(watcher::Event::InitApply(claim("data", Some("pv")))));
        assert!(apply(watcher::Event::InitDone));
        assert!(!apply(watcher::Event::Delete(claim("old", None))));
        assert!(apply(watcher::Event::Delete(claim("data", None))));
        assert!(kept.is_empty());
    }
}

//! The Vertical Pod Autoscaler (github.com/kubernetes/autoscaler, `vertical-pod-autoscaler/`) as users install it
//! on EKS: its three components act while Deployments of their images (`registry.k8s.io/autoscaling/
//! vpa-recommender`, `vpa-updater`, `vpa-admission-controller`, as the Fairwinds chart and upstream's
//! `vpa-up.sh` install them, any namespace) have an available replica, each configured by its container's flags
//! ([`flags`]). While any is installed the CRDs `verticalpodautoscalers` and `verticalpodautoscalercheckpoints`
//! exist (created if absent, never replaced: [`api::crds`]).
//!
//! - **Recommender** (every `--recommender-interval`): reads the VPAs it serves, resolves each `targetRef` to a pod
//!   selector (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, ReplicationControllers by their
//!   spec, anything else through its `scale` subresource; otherwise condition `ConfigUnsupported` with upstream's
//!   message), feeds its model ([`recommender`]) with the running pods and the `metrics.k8s.io/v1beta1` PodMetrics
//!   of every namespace (as upstream reads metrics-server; without it no sample arrives and no recommendation is
//!   provided), and writes `status.recommendation` and the conditions `RecommendationProvided`, `NoPodsMatched`
//!   and `ConfigUnsupported`. Checkpoints are not written: the history lives in memory.
//! - **Updater** (every `--updater-interval`, while the admission controller runs unless
//!   `--use-admission-controller-status=false`): for VPAs in `Recreate`, `Auto` or `InPlaceOrRecreate` mode (the
//!   last as `Recreate`: no in-place resize), evicts the pods [`updater`] picks through the eviction API, so that
//!   disruption budgets hold, with the event `EvictedByVPA` on the pod and `EvictedPod` on the VPA.
//! - **Admission controller**: new pods of a VPA's target get the recommendation ([`admission`]), through the
//!   binary's pod admission hook reading the [`Recommendations`] table kept here.
//!
//! Differences from upstream: no LimitRange capping, no startup boost, no in-place resize, no checkpoints; a VPA
//! whose pods report no usage gets no recommendation (upstream would give the pod minimum).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::ResourceExt;
use kube::api::{Api, ApiResource, DynamicObject, EvictParams, ListParams, Patch, PatchParams};
use kube::core::{Expression, Selector, SelectorExt};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::Clock;
use crate::batch_support::{is_not_found, record_event, reflect, status_message};
use crate::without_managed_fields;

pub mod admission;
pub mod api;
pub mod flags;
pub mod histogram;
pub mod recommender;
pub mod updater;

pub use admission::Recommendations;
use api::{ContainerRecommendation, Spec, TargetRef, VerticalPodAutoscaler};
use recommender::{Model, PodInfo, PodSample};

/// The image repository of the recommender.
pub const RECOMMENDER_IMAGE: &str = "vpa-recommender";
/// The image repository of the updater.
pub const UPDATER_IMAGE: &str = "vpa-updater";
/// The image repository of the admission controller.
pub const ADMISSION_IMAGE: &str = "vpa-admission-controller";

/// The updater's event source.
const UPDATER: &str = "vpa-updater";
/// How often targets are resolved again between recommender passes.
const TARGET_REFRESH: Duration = Duration::from_secs(5);

/// Which components run, with their command lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Installed {
    pub recommender: Option<Vec<String>>,
    pub updater: Option<Vec<String>>,
    pub admission: bool,
}

impl Installed {
    /// Whether any component runs.
    pub fn any(&self) -> bool {
        self.recommender.is_some() || self.updater.is_some() || self.admission
    }
}

/// The components the Deployments run with an available replica.
pub fn installed(deployments: &[Arc<Deployment>]) -> Installed {
    let mut found = Installed::default();
    for deployment in deployments {
        let available = deployment.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0);
        if available < 1 {
            continue;
        }
        let Some(spec) = deployment.spec.as_ref().and_then(|s| s.template.spec.as_ref()) else { continue };
        for container in &spec.containers {
            let Some(image) = container.image.as_deref() else { continue };
            let mut args = container.command.clone().unwrap_or_default();
            args.extend(container.args.clone().unwrap_or_default());
            match k8s_model::image_repository(image) {
                RECOMMENDER_IMAGE if found.recommender.is_none() => found.recommender = Some(args),
                UPDATER_IMAGE if found.updater.is_none() => found.updater = Some(args),
                ADMISSION_IMAGE => found.admission = true,
                _ => {}
            }
        }
    }
    found
}

/// Where the recommender reads container usage.
#[async_trait]
pub trait ContainerMetrics: Send + Sync {
    /// Every pod's latest usage sample, across namespaces.
    async fn pod_samples(&self) -> Result<Vec<PodSample>, String>;
}

/// The resource metrics API of the cluster (`metrics.k8s.io/v1beta1` PodMetrics of every namespace).
#[derive(Clone)]
pub struct ResourceMetrics {
    client: kube::Client,
}

impl std::fmt::Debug for ResourceMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResourceMetrics")
    }
}

impl ResourceMetrics {
    /// The metrics API `client` reaches.
    pub fn new(client: kube::Client) -> ResourceMetrics {
        ResourceMetrics { client }
    }
}

#[async_trait]
impl ContainerMetrics for ResourceMetrics {
    async fn pod_samples(&self) -> Result<Vec<PodSample>, String> {
        let resource = ApiResource {
            group: "metrics.k8s.io".into(),
            version: "v1beta1".into(),
            api_version: "metrics.k8s.io/v1beta1".into(),
            kind: "PodMetrics".into(),
            plural: "pods".into(),
        };
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &resource);
        let list = api.list(&ListParams::default()).await.map_err(|e| status_message(&e))?;
        Ok(list
            .items
            .iter()
            .filter_map(|item| {
                let mut value = item.data.clone();
                value.as_object_mut()?.insert("metadata".into(), serde_json::to_value(&item.metadata).ok()?);
                pod_sample(&value)
            })
            .collect())
    }
}

/// A `PodMetrics` item (JSON) as a sample; `None` without a name or namespace.
pub fn pod_sample(item: &Value) -> Option<PodSample> {
    let namespace = item.pointer("/metadata/namespace")?.as_str()?.to_owned();
    let usage = crate::hpa::metrics::pod_usage(item)?;
    Some(PodSample {
        namespace,
        name: usage.name,
        at: usage.timestamp.as_nanosecond() as f64 / 1e9,
        containers: usage
            .containers
            .into_iter()
            .map(|c| {
                let cpu = c.usage.get("cpu").copied();
                // Memory comes in thousandths of a byte.
                let memory = c.usage.get("memory").map(|m| (m + 999) / 1000);
                (c.name, cpu, memory)
            })
            .collect(),
    })
}

/// Parses a label selector string as the scale subresource gives it (`app=web,tier in (a,b),!old`).
pub fn parse_selector(text: &str) -> Option<Selector> {
    let mut expressions = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (term, tail) = split_term(rest)?;
        expressions.push(expression(term.trim())?);
        rest = tail.trim_start_matches(',').trim();
    }
    Some(expressions.into_iter().collect())
}

/// The first term of a selector and what follows it (commas inside parentheses belong to the term).
fn split_term(text: &str) -> Option<(&str, &str)> {
    let mut depth = 0i32;
    for (index, byte) in text.bytes().enumerate() {
        match byte {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth == 0 => return Some((&text[..index], &text[index..])),
            _ => {}
        }
        if depth < 0 {
            return None;
        }
    }
    (depth == 0).then_some((text, ""))
}

fn expression(term: &str) -> Option<Expression> {
    let set = |values: &str| -> Option<BTreeSet<String>> {
        let inner = values.trim().strip_prefix('(')?.strip_suffix(')')?;
        Some(inner.split(',').map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect())
    };
    if let Some((key, values)) = term.split_once(" notin ") {
        return Some(Expression::NotIn(key.trim().to_owned(), set(values)?));
    }
    if let Some((key, values)) = term.split_once(" in ") {
        return Some(Expression::In(key.trim().to_owned(), set(values)?));
    }
    if let Some((key, value)) = term.split_once("!=") {
        return Some(Expression::NotEqual(key.trim().to_owned(), value.trim().to_owned()));
    }
    if let Some((key, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
        return Some(Expression::Equal(key.trim().to_owned(), value.trim().to_owned()));
    }
    if let Some(key) = term.strip_prefix('!') {
        return (!key.trim().is_empty()).then(|| Expression::DoesNotExist(key.trim().to_owned()));
    }
    let valid = !term.is_empty() && !term.contains([' ', '(', ')', '<', '>']);
    valid.then(|| Expression::Exists(term.to_owned()))
}

/// The API resource of a well-known controller kind (upstream's informers), if it is one.
fn well_known(kind: &str) -> Option<ApiResource> {
    let (group, version, plural) = match kind {
        "Deployment" => ("apps", "v1", "deployments"),
        "ReplicaSet" => ("apps", "v1", "replicasets"),
        "StatefulSet" => ("apps", "v1", "statefulsets"),
        "DaemonSet" => ("apps", "v1", "daemonsets"),
        "Job" => ("batch", "v1", "jobs"),
        "CronJob" => ("batch", "v1", "cronjobs"),
        "ReplicationController" => ("", "v1", "replicationcontrollers"),
        _ => return None,
    };
    let api_version = if group.is_empty() { version.to_owned() } else { format!("{group}/{version}") };
    Some(ApiResource {
        group: group.into(),
        version: version.into(),
        api_version,
        kind: kind.into(),
        plural: plural.into(),
    })
}

/// The pod selector a well-known controller's spec gives (upstream's `getLabelSelector`).
pub fn spec_selector(kind: &str, object: &Value) -> Result<Selector, String> {
    let unreadable = || "don't know how to read label selector".to_owned();
    let selector: LabelSelector = match kind {
        "CronJob" => {
            let labels = object.pointer("/spec/jobTemplate/spec/template/metadata/labels").cloned();
            LabelSelector { match_labels: labels.and_then(|l| serde_json::from_value(l).ok()), ..Default::default() }
        }
        "ReplicationController" => {
            let labels = object.pointer("/spec/selector").cloned();
            LabelSelector { match_labels: labels.and_then(|l| serde_json::from_value(l).ok()), ..Default::default() }
        }
        _ => serde_json::from_value(object.pointer("/spec/selector").cloned().unwrap_or(Value::Null))
            .map_err(|_| unreadable())?,
    };
    Selector::try_from(selector).map_err(|e| e.to_string())
}

/// A VPA's target as resolved: its pod selector, or the `ConfigUnsupported` message.
pub type Resolved = Result<(TargetRef, Selector), String>;

/// Resolves a VPA's `targetRef` as upstream's selector fetcher and controller fetcher do.
async fn resolve(client: &kube::Client, namespace: &str, spec: &Spec) -> Resolved {
    let Some(target) = spec.target_ref.clone() else {
        return Err("Cannot read targetRef. Reason: targetRef not defined. If this is a v1beta1 object, switch to v1"
            .to_owned());
    };
    if let Some(resource) = well_known(&target.kind) {
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
        let object = match api.get_opt(&target.name).await {
            Ok(Some(object)) => object,
            Ok(None) => {
                return Err(format!(
                    "Cannot read targetRef. Reason: {} {namespace}/{} does not exist",
                    target.kind, target.name
                ));
            }
            Err(error) => return Err(format!("Cannot read targetRef. Reason: {}", status_message(&error))),
        };
        let value = serde_json::to_value(&object).unwrap_or_default();
        let selector =
            spec_selector(&target.kind, &value).map_err(|e| format!("Cannot read targetRef. Reason: {e}"))?;
        let parent = object
            .metadata
            .owner_references
            .iter()
            .flatten()
            .any(|owner| owner.controller == Some(true) && well_known(&owner.kind).is_some());
        if parent {
            return Err(format!(
                "The target {}.{}/{} has a parent controller but it should point to a topmost well-known or scalable \
                 controller",
                target.api_version, target.kind, target.name
            ));
        }
        return Ok((target, selector));
    }
    let unhandled = |error: String| {
        format!(
            "Cannot read targetRef. Reason: unhandled targetRef {} / {} / {}, last error {error}",
            target.api_version, target.kind, target.name
        )
    };
    let (group, version) = match target.api_version.split_once('/') {
        Some((group, version)) => (group.to_owned(), version.to_owned()),
        None => (String::new(), target.api_version.clone()),
    };
    let gvk = kube::core::GroupVersionKind::gvk(&group, &version, &target.kind);
    let (resource, _) = match kube::discovery::pinned_kind(client, &gvk).await {
        Ok(found) => found,
        Err(error) => return Err(unhandled(error.to_string())),
    };
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
    let scale = api.get_scale(&target.name).await.map_err(|e| unhandled(status_message(&e)))?;
    let text = scale.status.and_then(|s| s.selector).unwrap_or_default();
    if text.is_empty() {
        return Err(unhandled(format!(
            "resource {namespace}/{} has an empty selector for scale sub-resource",
            target.name
        )));
    }
    let selector = parse_selector(&text).ok_or_else(|| unhandled(format!("unable to parse selector {text:?}")))?;
    Ok((target, selector))
}

/// Whether the recommender named `name` serves a VPA naming `recommenders` (upstream's `filterVPAs`).
pub fn serves(name: &str, recommenders: &[String]) -> bool {
    match recommenders.first() {
        None => name == "default",
        Some(first) => first == name,
    }
}

/// The conditions a recommender pass leaves on a VPA (upstream's `UpdateConditions` after the feeder's), sorted by
/// type; times of conditions whose status did not change are kept from `previous`.
pub fn conditions(previous: &Value, unsupported: Option<&str>, pods: usize, provided: bool, now: &str) -> Vec<Value> {
    let mut kept: BTreeMap<String, Value> = previous
        .get("conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c.get("type")?.as_str()?.to_owned(), c.clone())))
        .collect();
    let set = set_condition;
    match unsupported {
        Some(message) => set(&mut kept, now, "ConfigUnsupported", true, "", message),
        None => {
            kept.remove("ConfigUnsupported");
        }
    }
    kept.remove("ConfigDeprecated");
    let (reason, message) = if pods == 0 { ("NoPodsMatched", "No pods match this VPA object") } else { ("", "") };
    if pods == 0 {
        set(&mut kept, now, "NoPodsMatched", true, reason, message);
    } else {
        kept.remove("NoPodsMatched");
    }
    if provided {
        set(&mut kept, now, "RecommendationProvided", true, "", "");
    } else {
        set(&mut kept, now, "RecommendationProvided", false, reason, message);
    }
    kept.into_values().collect()
}

/// Sets a condition, keeping its transition time when its status stays (upstream's `vpaConditionsMap.Set`).
fn set_condition(kept: &mut BTreeMap<String, Value>, now: &str, kind: &str, status: bool, reason: &str, message: &str) {
    let status = if status { "True" } else { "False" };
    let time = kept
        .get(kind)
        .filter(|old| old.get("status").and_then(Value::as_str) == Some(status))
        .and_then(|old| old.get("lastTransitionTime").cloned())
        .unwrap_or_else(|| json!(now));
    let mut condition = json!({ "type": kind, "status": status, "lastTransitionTime": time });
    if !reason.is_empty() {
        condition["reason"] = json!(reason);
    }
    if !message.is_empty() {
        condition["message"] = json!(message);
    }
    kept.insert(kind.to_owned(), condition);
}

/// The status a recommender pass writes.
pub fn status(recommendation: &[ContainerRecommendation], conditions: Vec<Value>, generation: Option<i64>) -> Value {
    let mut status = json!({ "conditions": conditions });
    if !recommendation.is_empty() {
        let list: Vec<Value> = recommendation.iter().map(ContainerRecommendation::to_json).collect();
        status["recommendation"] = json!({ "containerRecommendations": list });
    }
    if let Some(generation) = generation {
        status["observedGeneration"] = json!(generation);
    }
    status
}

fn seconds(at: jiff::Timestamp) -> f64 {
    at.as_nanosecond() as f64 / 1e9
}

fn phase(pod: &Pod) -> &str {
    crate::batch_support::pod_phase(pod)
}

/// A pod as the recommender's model reads it.
fn pod_info(pod: &Pod) -> PodInfo {
    let spec = pod.spec.as_ref();
    let containers = spec
        .map(|s| &s.containers)
        .into_iter()
        .flatten()
        .map(|c| {
            let request = c
                .resources
                .as_ref()
                .and_then(|r| r.requests.as_ref())
                .and_then(|r| r.get("memory"))
                .and_then(|q| k8s_model::rounded_up(&q.0, false))
                .map_or(0, |b| i64::try_from(b).unwrap_or(i64::MAX));
            (c.name.clone(), request)
        })
        .collect();
    let init_containers =
        spec.and_then(|s| s.init_containers.as_ref()).into_iter().flatten().map(|c| c.name.clone()).collect();
    let oom_kills =
        updater::PodView::of(pod).oom_kills.into_iter().map(|(container, _, finished)| (container, finished)).collect();
    PodInfo {
        namespace: pod.namespace().unwrap_or_default(),
        name: pod.name_any(),
        labels: pod.labels().clone(),
        phase: phase(pod).to_owned(),
        containers,
        init_containers,
        oom_kills,
    }
}

/// What the controller keeps between passes.
struct State {
    model: Option<Model>,
    next_recommend: Option<Instant>,
    next_update: Option<Instant>,
    next_targets: Instant,
    crds: bool,
    targets: HashMap<String, Resolved>,
    warned: HashSet<String>,
}

/// The watched objects the components read, kept only while one is installed.
struct Caches {
    vpas: kube::runtime::reflector::Store<VerticalPodAutoscaler>,
    pods: kube::runtime::reflector::Store<Pod>,
    _watches: Vec<tokio_util::task::AbortOnDropHandle<()>>,
}

impl Caches {
    async fn start(client: &kube::Client, changed: Arc<tokio::sync::Notify>) -> Option<Caches> {
        let (vpas, v) =
            reflect(Api::<VerticalPodAutoscaler>::all(client.clone()), without_managed_fields, Some(changed));
        let (pods, p) = reflect(Api::<Pod>::all(client.clone()), without_managed_fields, None);
        let ready = tokio::time::timeout(Duration::from_secs(10), async {
            vpas.wait_until_ready().await.is_ok() && pods.wait_until_ready().await.is_ok()
        })
        .await
        .unwrap_or(false);
        ready.then(|| Caches { vpas, pods, _watches: vec![v, p] })
    }
}

/// Runs the VPA's components for one cluster until the task is dropped, reading usage from the cluster's
/// metrics API; they act only while installed.
pub async fn run(client: kube::Client, table: Arc<Recommendations>, clock: Clock) {
    let metrics = Arc::new(ResourceMetrics::new(client.clone()));
    run_with(client, table, clock, metrics).await;
}

/// [`run`] with usage from `metrics`.
pub async fn run_with(
    client: kube::Client,
    table: Arc<Recommendations>,
    clock: Clock,
    metrics: Arc<dyn ContainerMetrics>,
) {
    let changed = Arc::new(tokio::sync::Notify::new());
    let (deployments, _d) =
        reflect(Api::<Deployment>::all(client.clone()), without_managed_fields, Some(changed.clone()));
    if deployments.wait_until_ready().await.is_err() {
        return;
    }
    let mut state = State {
        model: None,
        next_recommend: None,
        next_update: None,
        next_targets: Instant::now(),
        crds: false,
        targets: HashMap::new(),
        warned: HashSet::new(),
    };
    let mut caches: Option<Caches> = None;
    loop {
        let components = installed(&deployments.state());
        table.set_installed(components.admission);
        if !components.any() {
            if caches.take().is_some() {
                table.replace(HashMap::new());
            }
            state.model = None;
            state.crds = false;
            state.next_recommend = None;
            state.next_update = None;
            wait(&changed, Duration::from_secs(1)).await;
            continue;
        }
        if !state.crds {
            match crate::crds::ensure(&client, api::crds()).await {
                Ok(()) => state.crds = true,
                Err(error) => {
                    tracing::debug!(%error, "vpa: cannot ensure the CRDs");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            }
        }
        if caches.is_none() {
            caches = Caches::start(&client, changed.clone()).await;
        }
        let Some(cached) = &caches else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        let vpas = cached.vpas.state();
        let now = Instant::now();
        if now >= state.next_targets {
            refresh_targets(&client, &vpas, &mut state.targets).await;
            state.next_targets = now + TARGET_REFRESH;
        }
        let mut sleep = Duration::from_secs(1);
        match &components.recommender {
            Some(args) => {
                let (options, warnings) = flags::recommender(args);
                warn(&mut state.warned, "vpa-recommender", warnings);
                if state.model.as_ref().is_none_or(|m| *m.options() != options) {
                    state.model = Some(Model::new(options.clone()));
                    state.next_recommend = None;
                }
                let due = *state.next_recommend.get_or_insert(now + options.interval);
                if now >= due {
                    refresh_targets(&client, &vpas, &mut state.targets).await;
                    if let Some(model) = state.model.as_mut() {
                        recommend(
                            &client,
                            model,
                            metrics.as_ref(),
                            &vpas,
                            &cached.pods.state(),
                            &state.targets,
                            &clock,
                        )
                        .await;
                    }
                    state.next_recommend = Some(Instant::now() + options.interval);
                }
                sleep = sleep.min(state.next_recommend.map_or(sleep, |at| at.saturating_duration_since(now)));
            }
            None => {
                state.model = None;
                state.next_recommend = None;
            }
        }
        match &components.updater {
            Some(args) => {
                let (options, warnings) = flags::updater(args);
                warn(&mut state.warned, "vpa-updater", warnings);
                let due = *state.next_update.get_or_insert(now + options.interval);
                if now >= due {
                    if components.admission || !options.use_admission_controller_status {
                        let pods = cached.pods.state();
                        update(&client, &options, &vpas, &pods, &state.targets, &clock).await;
                    }
                    state.next_update = Some(Instant::now() + options.interval);
                }
                sleep = sleep.min(state.next_update.map_or(sleep, |at| at.saturating_duration_since(now)));
            }
            None => state.next_update = None,
        }
        table.replace(admission_table(&cached.vpas.state(), &state.targets));
        wait(&changed, sleep.max(Duration::from_millis(50))).await;
    }
}

async fn wait(changed: &tokio::sync::Notify, at_most: Duration) {
    tokio::select! {
        _ = changed.notified() => {}
        _ = tokio::time::sleep(at_most) => {}
    }
}

fn warn(warned: &mut HashSet<String>, component: &str, warnings: Vec<String>) {
    for warning in warnings {
        if warned.insert(format!("{component}: {warning}")) {
            tracing::warn!("{component}: {warning}");
        }
    }
}

fn key(vpa: &VerticalPodAutoscaler) -> String {
    format!("{}/{}", vpa.namespace().unwrap_or_default(), vpa.name_any())
}

async fn refresh_targets(
    client: &kube::Client,
    vpas: &[Arc<VerticalPodAutoscaler>],
    targets: &mut HashMap<String, Resolved>,
) {
    let mut fresh = HashMap::new();
    for vpa in vpas {
        let resolved = resolve(client, &vpa.namespace().unwrap_or_default(), &vpa.parsed()).await;
        fresh.insert(key(vpa), resolved);
    }
    *targets = fresh;
}

/// The admission table: every VPA whose target resolved, with its spec and current recommendation.
fn admission_table(
    vpas: &[Arc<VerticalPodAutoscaler>],
    targets: &HashMap<String, Resolved>,
) -> HashMap<String, Vec<admission::Entry>> {
    let mut table: HashMap<String, Vec<admission::Entry>> = HashMap::new();
    for vpa in vpas {
        let Some(Ok((target, selector))) = targets.get(&key(vpa)) else { continue };
        let spec = vpa.parsed();
        if spec.target_ref.as_ref() != Some(target) {
            continue;
        }
        table.entry(vpa.namespace().unwrap_or_default()).or_default().push(admission::Entry {
            vpa: vpa.name_any(),
            target: target.clone(),
            selector: selector.clone(),
            spec,
            recommendation: api::recommendation_of(&vpa.status),
        });
    }
    table
}

/// One recommender pass (upstream's `RunOnce`).
async fn recommend(
    client: &kube::Client,
    model: &mut Model,
    metrics: &dyn ContainerMetrics,
    vpas: &[Arc<VerticalPodAutoscaler>],
    pods: &[Arc<Pod>],
    targets: &HashMap<String, Resolved>,
    clock: &Clock,
) {
    let now = seconds(clock.now());
    let running: Vec<PodInfo> = pods.iter().filter(|p| phase(p) != "Pending").map(|p| pod_info(p)).collect();
    model.observe_pods(&running, now);
    match metrics.pod_samples().await {
        Ok(samples) => {
            model.add_samples(&samples);
        }
        Err(error) => tracing::debug!(%error, "vpa-recommender: cannot get container metrics"),
    }
    model.collect_garbage(now);
    let stamp = clock.now().round(jiff::Unit::Second).unwrap_or(clock.now()).to_string();
    let name = model.options().name.clone();
    for vpa in vpas {
        let spec = vpa.parsed();
        if !serves(&name, &spec.recommenders) {
            continue;
        }
        let namespace = vpa.namespace().unwrap_or_default();
        let (selector, unsupported) = match targets.get(&key(vpa)) {
            Some(Ok((_, selector))) => (Some(selector.clone()), None),
            Some(Err(message)) => (None, Some(message.clone())),
            None => (None, Some("Cannot read targetRef".to_owned())),
        };
        let matches = |labels: &BTreeMap<String, String>| selector.as_ref().is_some_and(|s| s.matches(labels));
        let count = model.pod_count(&namespace, &matches);
        let recommendation = if selector.is_some() { model.recommend(&namespace, &matches, &spec) } else { Vec::new() };
        let conditions = conditions(&vpa.status, unsupported.as_deref(), count, !recommendation.is_empty(), &stamp);
        let wanted = status(&recommendation, conditions, vpa.metadata.generation);
        if same_status(&vpa.status, &wanted) {
            continue;
        }
        let api: Api<VerticalPodAutoscaler> = Api::namespaced(client.clone(), &namespace);
        let mut patch = json!({ "status": wanted });
        if wanted.get("recommendation").is_none() {
            patch["status"]["recommendation"] = Value::Null;
        }
        if let Err(error) = api.patch_status(&vpa.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await
            && !is_not_found(&error)
        {
            tracing::debug!(%error, vpa = %key(vpa), "vpa-recommender: cannot write status");
        }
    }
}

/// Whether a status already says what `wanted` says (quantities compared by amount).
fn same_status(current: &Value, wanted: &Value) -> bool {
    let recommendations_equal = api::recommendation_of(current) == api::recommendation_of(wanted);
    let conditions = |v: &Value| v.get("conditions").cloned().unwrap_or(json!([]));
    recommendations_equal
        && conditions(current) == conditions(wanted)
        && current.get("observedGeneration") == wanted.get("observedGeneration")
        && current.get("recommendation").is_some() == wanted.get("recommendation").is_some()
}

/// Which controller a pod's replicas come from: its controller owner reference.
fn creator(pod: &Pod) -> Option<(String, String)> {
    let owner = pod.metadata.owner_references.iter().flatten().find(|o| o.controller == Some(true))?;
    Some((owner.kind.clone(), owner.name.clone()))
}

/// How many replicas a controller is configured with (upstream's `getReplicaCount`).
async fn configured_replicas(
    client: &kube::Client,
    namespace: &str,
    kind: &str,
    name: &str,
    live: usize,
) -> Option<i64> {
    if kind == "Job" {
        return Some(live as i64);
    }
    let resource = well_known(kind)?;
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
    let object = serde_json::to_value(api.get_opt(name).await.ok()??).ok()?;
    let count = match kind {
        "DaemonSet" => object.pointer("/status/numberReady").and_then(Value::as_i64),
        "ReplicaSet" | "StatefulSet" | "ReplicationController" => {
            object.pointer("/spec/replicas").and_then(Value::as_i64)
        }
        _ => None,
    };
    count.filter(|n| *n > 0)
}

/// One updater pass (upstream's `RunOnce`).
async fn update(
    client: &kube::Client,
    options: &flags::UpdaterOptions,
    vpas: &[Arc<VerticalPodAutoscaler>],
    pods: &[Arc<Pod>],
    targets: &HashMap<String, Resolved>,
    clock: &Clock,
) {
    let now = seconds(clock.now());
    let live: Vec<&Arc<Pod>> = pods
        .iter()
        .filter(|p| {
            let scheduled = p.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty());
            scheduled && p.metadata.deletion_timestamp.is_none() && !crate::batch_support::is_terminal(p)
        })
        .collect();
    let config = updater::UpdateConfig {
        min_change: options.update_threshold,
        lifetime_threshold: options.lifetime_threshold.as_secs_f64(),
        evict_after_oom: options.evict_after_oom.as_secs_f64(),
    };
    for vpa in vpas {
        let spec = vpa.parsed();
        if !spec.update_mode.evicts() {
            continue;
        }
        let Some(Ok((target, selector))) = targets.get(&key(vpa)) else { continue };
        let namespace = vpa.namespace().unwrap_or_default();
        let controlled: Vec<&Arc<Pod>> = live
            .iter()
            .filter(|p| p.namespace().as_deref() == Some(namespace.as_str()) && selector.matches(p.labels()))
            .filter(|p| creator(p).is_some_and(|owner| admission::controlled_by_target(&owner, p.labels(), target)))
            .copied()
            .collect();
        let recommendation = api::recommendation_of(&vpa.status);
        let mut groups: BTreeMap<(String, String), Vec<&Arc<Pod>>> = BTreeMap::new();
        for pod in &controlled {
            if let Some(owner) = creator(pod) {
                groups.entry(owner).or_default().push(pod);
            }
        }
        let min_replicas = spec.min_replicas.unwrap_or(options.min_replicas);
        let mut budgets: BTreeMap<(String, String), updater::GroupBudget> = BTreeMap::new();
        for ((kind, name), members) in &groups {
            let Some(configured) = configured_replicas(client, &namespace, kind, name, members.len()).await else {
                continue;
            };
            let phases: Vec<&str> = members.iter().map(|p| phase(p)).collect();
            let budget = updater::GroupBudget::new(configured, &phases, min_replicas, options.eviction_tolerance);
            budgets.insert((kind.clone(), name.clone()), budget);
        }
        let oom_config = updater::UpdateConfig {
            evict_after_oom: spec.evict_after_oom_seconds.map_or(config.evict_after_oom, |s| s as f64),
            ..config
        };
        let mut candidates: Vec<(updater::Priority, &Arc<Pod>)> = controlled
            .iter()
            .filter(|pod| creator(pod).and_then(|owner| budgets.get(&owner)).is_some_and(|b| b.can_evict(phase(pod))))
            .filter_map(|pod| {
                let view = updater::PodView::of(pod);
                let capped = updater::capped_for_pod(&recommendation, &spec, &view.containers);
                if capped.is_empty() {
                    return None;
                }
                Some((updater::wants_update(&view, &capped, &spec, &oom_config, now)?, *pod))
            })
            .collect();
        candidates.sort_by(|(a, _), (b, _)| {
            if b.less(a) {
                std::cmp::Ordering::Less
            } else if a.less(b) {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        });
        for (_, pod) in candidates {
            let Some(owner) = creator(pod) else { continue };
            let Some(budget) = budgets.get_mut(&owner) else { continue };
            if !budget.can_evict(phase(pod)) {
                continue;
            }
            let api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
            match api.evict(&pod.name_any(), &EvictParams::default()).await {
                Ok(_) => {
                    budget.evicted(phase(pod));
                    let message = "Pod was evicted by VPA Updater to apply resource recommendation.";
                    record_event(client, UPDATER, pod.as_ref(), false, "EvictedByVPA", message).await;
                    let message =
                        format!("VPA Updater evicted Pod {} to apply resource recommendation.", pod.name_any());
                    record_event(client, UPDATER, vpa.as_ref(), false, "EvictedPod", &message).await;
                }
                Err(error) => {
                    tracing::debug!(%error, pod = %pod.name_any(), "vpa-updater: eviction failed");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

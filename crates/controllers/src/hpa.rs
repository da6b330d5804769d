//! The HorizontalPodAutoscaler controller, as kube-controller-manager's (`pkg/controller/podautoscaler`): every
//! sync period, and when an autoscaler's spec changes, it reads the target's `scale` subresource, lists the pods
//! its `status.selector` selects, asks each metric of `spec.metrics` how many replicas it wants
//! ([`replicas`]), takes the largest proposal, stabilizes and rate-limits it ([`behavior`]), writes the scale
//! when the count changes, and writes `autoscaling/v2` status: current and desired replicas, the metrics'
//! current values, `lastScaleTime` and the `AbleToScale`, `ScalingActive` and `ScalingLimited` conditions, with
//! upstream's reasons, messages and events (source `horizontal-pod-autoscaler`).
//!
//! Resource and container resource metrics come from the resource metrics API through a [`metrics::MetricsSource`];
//! pods, object and external metrics ask the same source, whose default answers fail as upstream does without a
//! custom or external metrics API. A target whose replicas are 0 is not autoscaled (`ScalingDisabled`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::autoscaling::v1::Scale;
use k8s_openapi::api::autoscaling::v2::{
    ContainerResourceMetricStatus, ExternalMetricStatus, HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition,
    HorizontalPodAutoscalerStatus, MetricIdentifier, MetricSpec, MetricStatus, MetricTarget, MetricValueStatus,
    ObjectMetricStatus, PodsMetricStatus, ResourceMetricStatus,
};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, Time};
use kube::ResourceExt;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, PostParams};

use crate::Clock;
use crate::batch_support::{record_event, reflect, status_message};
use crate::without_managed_fields;

pub mod behavior;
pub mod metrics;
pub mod replicas;

use behavior::{Behavior, History, Normalized, Request};
use metrics::{MetricsSource, ResourceMetricsApi};
use replicas::{Calculator, Tolerances};

const COMPONENT: &str = "horizontal-pod-autoscaler";

/// The controller's settings: kube-controller-manager's `--horizontal-pod-autoscaler-*` flags.
#[derive(Debug, Clone, PartialEq)]
pub struct HpaConfig {
    /// How often every autoscaler is reconciled (`--horizontal-pod-autoscaler-sync-period`, 15 s).
    pub sync_period: Duration,
    /// How far the usage ratio may stray from 1 before the count changes (`--horizontal-pod-autoscaler-tolerance`,
    /// 0.1); an autoscaler's `behavior.scaleUp/scaleDown.tolerance` overrides it per direction.
    pub tolerance: f64,
    /// How long after a pod starts its cpu samples may be skipped as not yet representative
    /// (`--horizontal-pod-autoscaler-cpu-initialization-period`, 5 minutes).
    pub cpu_initialization_period: Duration,
    /// How long after a pod starts a not-Ready pod is taken as never having been ready
    /// (`--horizontal-pod-autoscaler-initial-readiness-delay`, 30 s).
    pub initial_readiness_delay: Duration,
    /// How far back a scale down looks for higher recommendations when `behavior` does not say
    /// (`--horizontal-pod-autoscaler-downscale-stabilization`, 5 minutes).
    pub downscale_stabilization: Duration,
}

impl Default for HpaConfig {
    fn default() -> Self {
        HpaConfig {
            sync_period: Duration::from_secs(15),
            tolerance: 0.1,
            cpu_initialization_period: Duration::from_secs(300),
            initial_readiness_delay: Duration::from_secs(30),
            downscale_stabilization: Duration::from_secs(300),
        }
    }
}

/// Runs the controller against the cluster's resource metrics API until the task is dropped.
pub async fn run(client: kube::Client, config: HpaConfig, clock: Clock) {
    let source = Arc::new(ResourceMetricsApi::new(client.clone()));
    run_with(client, config, clock, source).await;
}

/// Runs the controller with metrics from `source` until the task is dropped.
pub async fn run_with(client: kube::Client, config: HpaConfig, clock: Clock, source: Arc<dyn MetricsSource>) {
    let changed = Arc::new(tokio::sync::Notify::new());
    let (autoscalers, _watch) =
        reflect(Api::<HorizontalPodAutoscaler>::all(client.clone()), without_managed_fields, Some(changed.clone()));
    if autoscalers.wait_until_ready().await.is_err() {
        return;
    }
    let period = config.sync_period.max(Duration::from_millis(100));
    let mut controller = Controller { client, config, clock, source, histories: HashMap::new() };
    // When each autoscaler was last reconciled, and at which generation: a spec change is reconciled at once,
    // a status write (ours) waits for the period.
    let mut synced: HashMap<String, (Option<i64>, tokio::time::Instant)> = HashMap::new();
    loop {
        let state = autoscalers.state();
        let live: HashSet<String> = state.iter().map(|hpa| key_of(hpa)).collect();
        synced.retain(|key, _| live.contains(key));
        controller.histories.retain(|key, _| live.contains(key));
        let mut next = tokio::time::Instant::now() + period;
        for hpa in state {
            let key = key_of(&hpa);
            let generation = hpa.metadata.generation;
            let now = tokio::time::Instant::now();
            let due = match synced.get(&key) {
                None => true,
                Some((seen, at)) => *seen != generation || now >= *at + period,
            };
            if due {
                controller.reconcile(&hpa).await;
                let done = tokio::time::Instant::now();
                synced.insert(key, (generation, done));
                next = next.min(done + period);
            } else if let Some((_, at)) = synced.get(&key) {
                next = next.min(*at + period);
            }
        }
        tokio::select! {
            _ = changed.notified() => {}
            _ = tokio::time::sleep_until(next) => {}
        }
    }
}

fn key_of(hpa: &HorizontalPodAutoscaler) -> String {
    format!("{}/{}", hpa.namespace().unwrap_or_default(), hpa.name_any())
}

struct Controller {
    client: kube::Client,
    config: HpaConfig,
    clock: Clock,
    source: Arc<dyn MetricsSource>,
    histories: HashMap<String, History>,
}

/// An event to record about the autoscaler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Whether it is a Warning.
    pub warning: bool,
    /// The reason.
    pub reason: String,
    /// The message.
    pub message: String,
}

/// Sets a condition of an autoscaler's status as upstream's `setCondition`: added when absent, its time moved
/// only when its status changes.
pub fn set_condition(
    status: &mut HorizontalPodAutoscalerStatus,
    type_: &str,
    value: bool,
    reason: &str,
    message: &str,
    now: Timestamp,
) {
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    let index = match conditions.iter().position(|c| c.type_ == type_) {
        Some(index) => index,
        None => {
            conditions.push(HorizontalPodAutoscalerCondition { type_: type_.to_owned(), ..Default::default() });
            conditions.len() - 1
        }
    };
    let condition = &mut conditions[index];
    let value = if value { "True" } else { "False" };
    if condition.status != value {
        condition.last_transition_time = Some(Time(now));
    }
    condition.status = value.to_owned();
    condition.reason = Some(reason.to_owned());
    condition.message = Some(message.to_owned());
}

/// The API group and version of a `scaleTargetRef.apiVersion`, as Kubernetes' `ParseGroupVersion` reads it.
pub fn parse_group_version(api_version: &str) -> Result<(String, String), String> {
    let invalid = || format!("unexpected GroupVersion string: {api_version}");
    if api_version.is_empty() {
        return Ok((String::new(), String::new()));
    }
    match api_version.split('/').collect::<Vec<_>>().as_slice() {
        [version] if *version == "v1" => Ok((String::new(), "v1".to_owned())),
        [group, version] if !group.is_empty() && !version.is_empty() => {
            Ok(((*group).to_owned(), (*version).to_owned()))
        }
        [_] => Ok((String::new(), api_version.to_owned())),
        _ => Err(invalid()),
    }
}

/// The resource of a built-in scalable kind.
fn builtin_resource(group: &str, kind: &str) -> Option<ApiResource> {
    let (version, plural) = match (group, kind) {
        ("apps", "Deployment") => ("v1", "deployments"),
        ("apps", "ReplicaSet") => ("v1", "replicasets"),
        ("apps", "StatefulSet") => ("v1", "statefulsets"),
        ("", "ReplicationController") => ("v1", "replicationcontrollers"),
        _ => return None,
    };
    let api_version = if group.is_empty() { version.to_owned() } else { format!("{group}/{version}") };
    Some(ApiResource {
        group: group.to_owned(),
        version: version.to_owned(),
        api_version,
        kind: kind.to_owned(),
        plural: plural.to_owned(),
    })
}

/// What one metric proposed.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// The replicas it asks for.
    pub replicas: i32,
    /// How the metric is named in events (`cpu resource utilization (percentage of request)`).
    pub metric: String,
    /// Its current value for `status.currentMetrics`.
    pub status: MetricStatus,
}

/// Why one metric failed: the `ScalingActive` reason and the message of its event, and the error it returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// `FailedGetResourceMetric`, `FailedGetPodsMetric`, ...
    pub reason: &'static str,
    /// The event's message (the condition's after upstream's prefix).
    pub condition_message: String,
    /// The error as the sync reports it.
    pub error: String,
}

fn milli_quantity(milli: i64) -> Quantity {
    Quantity(k8s_model::canonical_quantity(&format!("{milli}m"), false).unwrap_or_else(|| format!("{milli}m")))
}

fn milli_of(quantity: Option<&Quantity>) -> Option<i64> {
    let value = k8s_model::parse_quantity(quantity?.0.trim())?;
    let milli = (value * 1000.0 - 1e-9).ceil();
    milli.is_finite().then(|| milli.clamp(i64::MIN as f64, i64::MAX as f64) as i64)
}

/// A metric selector as a label selector string; one that does not compile is an error.
fn selector_string(selector: Option<&LabelSelector>) -> Result<String, String> {
    match selector {
        None => Ok(String::new()),
        Some(selector) => {
            kube::core::Selector::try_from(selector.clone()).map(|s| s.to_string()).map_err(|e| e.to_string())
        }
    }
}

/// The pods the scale selects, or why they could not be listed.
pub type Pods = Result<Vec<Pod>, String>;

fn pods_or(pods: &Pods) -> Result<&[Pod], String> {
    pods.as_deref().map_err(|error| format!("unable to get pods while calculating replica count: {error}"))
}

impl Controller {
    fn calculator(&self, tolerances: Tolerances, now: Timestamp) -> Calculator {
        Calculator {
            tolerances,
            cpu_initialization_period: self.config.cpu_initialization_period,
            initial_readiness_delay: self.config.initial_readiness_delay,
            now,
        }
    }

    fn behavior_of(&self, hpa: &HorizontalPodAutoscaler) -> Option<Behavior> {
        let window = i32::try_from(self.config.downscale_stabilization.as_secs()).unwrap_or(i32::MAX);
        hpa.spec.as_ref()?.behavior.as_ref().map(|behavior| Behavior::from_spec(behavior, window))
    }

    /// The target's resource: built in, or found through discovery by group and kind.
    async fn target_resource(&self, group: &str, kind: &str) -> Result<ApiResource, String> {
        if let Some(resource) = builtin_resource(group, kind) {
            return Ok(resource);
        }
        let no_match = || format!("no matches for kind \"{kind}\" in group \"{group}\"");
        let discovered = kube::discovery::group(&self.client, group).await.map_err(|_| no_match())?;
        discovered.recommended_kind(kind).map(|(resource, _)| resource).ok_or_else(no_match)
    }

    async fn reconcile(&mut self, shared: &HorizontalPodAutoscaler) {
        let key = key_of(shared);
        let mut history = self.histories.remove(&key).unwrap_or_default();
        let mut notes = Vec::new();
        let outcome = self.sync(shared, &mut history, &mut notes).await;
        self.histories.insert(key.clone(), history);
        for note in notes {
            record_event(&self.client, COMPONENT, shared, note.warning, &note.reason, &note.message).await;
        }
        if let Err(error) = outcome {
            tracing::debug!(autoscaler = %key, %error, "autoscaler not synced");
        }
    }

    /// One pass of upstream's `reconcileAutoscaler`; events go to `notes`.
    async fn sync(
        &self,
        shared: &HorizontalPodAutoscaler,
        history: &mut History,
        notes: &mut Vec<Note>,
    ) -> Result<(), String> {
        let now = self.clock.now();
        let namespace = shared.namespace().unwrap_or_default();
        let spec = shared.spec.clone().unwrap_or_default();
        let original = shared.status.clone().unwrap_or_default();
        let mut status = original.clone();
        let target = &spec.scale_target_ref;
        let reference = format!("{}/{}/{}", target.kind, namespace, target.name);
        let scale_failed = |status: &mut HorizontalPodAutoscalerStatus, error: &str| {
            let message = format!("the HPA controller was unable to get the target's current scale: {error}");
            set_condition(status, "AbleToScale", false, "FailedGetScale", &message, now);
        };
        let resource = match parse_group_version(target.api_version.as_deref().unwrap_or_default()) {
            Ok((group, _)) => self.target_resource(&group, &target.kind).await,
            Err(error) => Err(error),
        };
        let resource = match resource {
            Ok(resource) => resource,
            Err(error) => {
                notes.push(Note { warning: true, reason: "FailedGetScale".to_owned(), message: error.clone() });
                scale_failed(&mut status, &error);
                self.write_status(shared, &original, status, notes).await;
                return Err(format!("unable to determine resource for scale target reference: {error}"));
            }
        };
        let scales: Api<DynamicObject> = Api::namespaced_with(self.client.clone(), &namespace, &resource);
        let scale = match scales.get_scale(&target.name).await {
            Ok(scale) => scale,
            Err(error) => {
                let error = status_message(&error);
                notes.push(Note { warning: true, reason: "FailedGetScale".to_owned(), message: error.clone() });
                scale_failed(&mut status, &error);
                self.write_status(shared, &original, status, notes).await;
                return Err(format!("failed to query scale subresource for {reference}: {error}"));
            }
        };
        set_condition(
            &mut status,
            "AbleToScale",
            true,
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
            now,
        );
        let current = scale.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0);
        history.record_initial(current, now);
        let min = spec.min_replicas.unwrap_or(1);
        let max = spec.max_replicas;
        let behavior = self.behavior_of(shared);

        let mut desired = 0;
        let mut rescale_reason = String::new();
        let mut metric_statuses: Option<Vec<MetricStatus>> = None;
        let mut result = Ok(());
        let rescale;
        if current == 0 && min != 0 {
            rescale = false;
            set_condition(
                &mut status,
                "ScalingActive",
                false,
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
                now,
            );
        } else if current > max {
            rescale_reason = "Current number of replicas above Spec.MaxReplicas".to_owned();
            desired = max;
            rescale = desired != current;
        } else if current < min {
            rescale_reason = "Current number of replicas below Spec.MinReplicas".to_owned();
            desired = min;
            rescale = desired != current;
        } else {
            let tolerances = Tolerances {
                scale_down: behavior.as_ref().and_then(|b| b.scale_down.tolerance).unwrap_or(self.config.tolerance),
                scale_up: behavior.as_ref().and_then(|b| b.scale_up.tolerance).unwrap_or(self.config.tolerance),
            };
            let computed = self
                .compute_replicas(
                    shared,
                    &spec.metrics.clone().unwrap_or_default(),
                    &scale,
                    tolerances,
                    now,
                    &mut status,
                    notes,
                )
                .await;
            let (proposed, metric, statuses, error) = computed;
            metric_statuses = statuses;
            if proposed == -1 {
                let error = error.unwrap_or_default();
                status.current_replicas = Some(current);
                status.current_metrics = metric_statuses;
                self.write_status(shared, &original, status, notes).await;
                notes.push(Note {
                    warning: true,
                    reason: "FailedComputeMetricsReplicas".to_owned(),
                    message: error.clone(),
                });
                return Err(format!(
                    "failed to compute desired number of replicas based on listed metrics for {reference}: {error}"
                ));
            }
            if let Some(error) = error {
                result = Err(error);
            }
            let mut rescale_metric = String::new();
            if proposed > desired {
                desired = proposed;
                rescale_metric = metric;
            }
            if desired > current {
                rescale_reason = format!("{rescale_metric} above target");
            }
            if desired < current {
                rescale_reason = "All metrics below target".to_owned();
            }
            let request = Request {
                current,
                desired,
                min,
                max,
                behavior: behavior.as_ref(),
                downscale_window_seconds: i64::try_from(self.config.downscale_stabilization.as_secs())
                    .unwrap_or(i64::MAX),
            };
            let Normalized { replicas, able, limited, limit } = history.normalize(request, now);
            set_condition(&mut status, "AbleToScale", true, able.0, able.1, now);
            set_condition(&mut status, "ScalingLimited", limited, limit.reason, limit.message, now);
            desired = replicas;
            rescale = desired != current;
        }

        if rescale {
            if let Err(error) = self.update_scale(&scales, &target.name, scale.clone(), desired).await {
                notes.push(Note {
                    warning: true,
                    reason: "FailedRescale".to_owned(),
                    message: format!("New size: {desired}; reason: {rescale_reason}; error: {error}"),
                });
                let message = format!("the HPA controller was unable to update the target scale: {error}");
                set_condition(&mut status, "AbleToScale", false, "FailedUpdateScale", &message, now);
                status.current_replicas = Some(current);
                status.current_metrics = metric_statuses;
                self.write_status(shared, &original, status, notes).await;
                return Err(format!("failed to rescale {reference}: {error}"));
            }
            let message = format!("the HPA controller was able to update the target scale to {desired}");
            set_condition(&mut status, "AbleToScale", true, "SucceededRescale", &message, now);
            notes.push(Note {
                warning: false,
                reason: "SuccessfulRescale".to_owned(),
                message: format!("New size: {desired}; reason: {rescale_reason}"),
            });
            history.record_scale(behavior.as_ref(), current, desired, now);
            status.last_scale_time = Some(Time(now));
        } else {
            desired = current;
        }
        status.current_replicas = Some(current);
        status.desired_replicas = desired;
        status.current_metrics = metric_statuses;
        status.observed_generation = shared.metadata.generation;
        self.write_status(shared, &original, status, notes).await;
        result
    }

    async fn update_scale(
        &self,
        scales: &Api<DynamicObject>,
        name: &str,
        mut scale: Scale,
        replicas: i32,
    ) -> Result<(), String> {
        scale.spec.get_or_insert_with(Default::default).replicas = Some(replicas);
        scales.replace_scale(name, &PostParams::default(), &scale).await.map(|_| ()).map_err(|e| status_message(&e))
    }

    /// Writes the status when it changed (upstream's `updateStatusIfNeeded`).
    async fn write_status(
        &self,
        shared: &HorizontalPodAutoscaler,
        original: &HorizontalPodAutoscalerStatus,
        status: HorizontalPodAutoscalerStatus,
        notes: &mut Vec<Note>,
    ) {
        if &status == original {
            return;
        }
        let mut updated = shared.clone();
        updated.status = Some(status);
        let api: Api<HorizontalPodAutoscaler> =
            Api::namespaced(self.client.clone(), &shared.namespace().unwrap_or_default());
        match api.replace_status(&shared.name_any(), &PostParams::default(), &updated).await {
            Ok(_) => {}
            // The cached autoscaler was older than the stored one (a write crossed this sync): the next sync
            // starts from the newer one.
            Err(error) if crate::batch_support::is_conflict(&error) => {
                tracing::debug!(autoscaler = %shared.name_any(), "status not written: the autoscaler changed");
            }
            Err(error) => notes.push(Note {
                warning: true,
                reason: "FailedUpdateStatus".to_owned(),
                message: status_message(&error),
            }),
        }
    }

    /// Upstream's `computeReplicasForMetrics`: the largest proposal, the metric that made it, the metrics'
    /// statuses, and the first error; `-1` when no metric (or, scaling down, not every metric) worked.
    #[allow(clippy::too_many_arguments)]
    async fn compute_replicas(
        &self,
        hpa: &HorizontalPodAutoscaler,
        specs: &[MetricSpec],
        scale: &Scale,
        tolerances: Tolerances,
        now: Timestamp,
        status: &mut HorizontalPodAutoscalerStatus,
        notes: &mut Vec<Note>,
    ) -> (i32, String, Option<Vec<MetricStatus>>, Option<String>) {
        let selector = scale.status.as_ref().and_then(|s| s.selector.clone()).unwrap_or_default();
        if selector.is_empty() {
            notes.push(Note {
                warning: true,
                reason: "SelectorRequired".into(),
                message: "selector is required".into(),
            });
            set_condition(
                status,
                "ScalingActive",
                false,
                "InvalidSelector",
                "the HPA target's scale is missing a selector",
                now,
            );
            return (-1, String::new(), None, Some("selector is required".to_owned()));
        }
        let namespace = hpa.namespace().unwrap_or_default();
        let pods_api: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        let pods: Pods = match pods_api.list(&ListParams::default().labels(&selector)).await {
            Ok(list) => Ok(list.items),
            Err(kube::Error::Api(error)) if error.code == 400 => {
                let message = format!(
                    "couldn't convert selector into a corresponding internal selector object: {}",
                    error.message
                );
                notes.push(Note { warning: true, reason: "InvalidSelector".into(), message: message.clone() });
                set_condition(status, "ScalingActive", false, "InvalidSelector", &message, now);
                return (-1, String::new(), None, Some(message));
            }
            Err(error) => Err(status_message(&error)),
        };
        let spec_replicas = scale.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0);
        let status_replicas = scale.status.as_ref().map_or(0, |s| s.replicas);
        let calculator = self.calculator(tolerances, now);
        let context = MetricContext {
            namespace: &namespace,
            selector: &selector,
            pods: &pods,
            spec_replicas,
            status_replicas,
            calculator: &calculator,
        };
        let mut outcomes = Vec::with_capacity(specs.len());
        for spec in specs {
            outcomes.push(compute_metric(self.source.as_ref(), spec, &context).await);
        }
        let combined = combine(outcomes, spec_replicas, status, now, notes);
        (combined.replicas, combined.metric, Some(combined.statuses), combined.error)
    }
}

/// What the metrics of one sync came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Combined {
    /// The largest proposal, or `-1` when the sync cannot go on.
    pub replicas: i32,
    /// The metric that made it.
    pub metric: String,
    /// Each metric's current value (empty for a metric that failed, as upstream writes it).
    pub statuses: Vec<MetricStatus>,
    /// The first failure, summarized.
    pub error: Option<String>,
}

/// Upstream's `computeReplicasForMetrics` after each metric was computed: the largest proposal wins; when every
/// metric failed, or some failed and the rest would scale down, the first failure decides `ScalingActive` and
/// the sync stops (`-1`). Each failure is a warning event.
pub fn combine(
    outcomes: Vec<Result<Proposal, Failure>>,
    spec_replicas: i32,
    status: &mut HorizontalPodAutoscalerStatus,
    now: Timestamp,
    notes: &mut Vec<Note>,
) -> Combined {
    let count = outcomes.len();
    let mut statuses = vec![MetricStatus::default(); count];
    let (mut replicas, mut metric) = (0, String::new());
    let mut invalid = 0;
    let mut first: Option<Failure> = None;
    for (index, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(proposal) => {
                statuses[index] = proposal.status;
                if replicas == 0 || proposal.replicas > replicas {
                    replicas = proposal.replicas;
                    metric = proposal.metric;
                }
            }
            Err(failure) => {
                notes.push(Note {
                    warning: true,
                    reason: failure.reason.to_owned(),
                    message: failure.condition_message.clone(),
                });
                invalid += 1;
                if first.is_none() {
                    first = Some(failure);
                }
            }
        }
    }
    let error = first.as_ref().map(|failure| {
        format!("invalid metrics ({invalid} invalid out of {count}), first error is: {}", failure.error)
    });
    if let Some(failure) = &first
        && (invalid >= count || replicas < spec_replicas)
    {
        let message = format!("the HPA was unable to compute the replica count: {}", failure.condition_message);
        set_condition(status, "ScalingActive", false, failure.reason, &message, now);
        return Combined { replicas: -1, metric: String::new(), statuses, error };
    }
    if count == 0 {
        // Nothing to compute from (the API server defaults a cpu target, so only garbage gets here).
        let message = "the HPA was unable to compute the replica count: no metrics are set";
        set_condition(status, "ScalingActive", false, "InvalidMetricSourceType", message, now);
        return Combined { replicas: -1, metric, statuses, error: Some("no metrics are set".to_owned()) };
    }
    let message = format!("the HPA was able to successfully calculate a replica count from {metric}");
    set_condition(status, "ScalingActive", true, "ValidMetricFound", &message, now);
    Combined { replicas, metric, statuses, error }
}

/// Upstream's `computeReplicasForMetric`, one metric of any source type.
pub async fn compute_metric(
    from: &dyn MetricsSource,
    spec: &MetricSpec,
    context: &MetricContext<'_>,
) -> Result<Proposal, Failure> {
    let fail = |reason: &'static str, inner: String, wrapped: String| Failure {
        reason,
        condition_message: inner,
        error: wrapped,
    };
    match spec.type_.as_str() {
        "Resource" => {
            let Some(source) = spec.resource.as_ref() else {
                return Err(missing_source("resource"));
            };
            let (replicas, current, metric) =
                resource_generic(from, &source.target, &source.name, None, context).await.map_err(|error| {
                    let wrapped = format!("failed to get {} resource metric value: {error}", source.name);
                    fail("FailedGetResourceMetric", error, wrapped)
                })?;
            let status = MetricStatus {
                type_: "Resource".into(),
                resource: Some(ResourceMetricStatus { name: source.name.clone(), current }),
                ..Default::default()
            };
            Ok(Proposal { replicas, metric, status })
        }
        "ContainerResource" => {
            let Some(source) = spec.container_resource.as_ref() else {
                return Err(missing_source("containerResource"));
            };
            let (replicas, current, metric) =
                resource_generic(from, &source.target, &source.name, Some(&source.container), context).await.map_err(
                    |error| {
                        let wrapped = format!("failed to get {} container metric value: {error}", source.name);
                        fail("FailedGetContainerResourceMetric", error, wrapped)
                    },
                )?;
            let status = MetricStatus {
                type_: "ContainerResource".into(),
                container_resource: Some(ContainerResourceMetricStatus {
                    name: source.name.clone(),
                    container: source.container.clone(),
                    current,
                }),
                ..Default::default()
            };
            Ok(Proposal { replicas, metric, status })
        }
        "Pods" => {
            let Some(source) = spec.pods.as_ref() else {
                return Err(missing_source("pods"));
            };
            let wrap = |error: String| {
                let wrapped = format!("failed to get pods metric value: {error}");
                fail("FailedGetPodsMetric", error, wrapped)
            };
            let metric_selector = selector_string(source.metric.selector.as_ref()).map_err(wrap)?;
            let (replicas, usage) =
                pods_metric(from, &source.metric, &source.target, &metric_selector, context).await.map_err(wrap)?;
            let status = MetricStatus {
                type_: "Pods".into(),
                pods: Some(PodsMetricStatus {
                    metric: source.metric.clone(),
                    current: MetricValueStatus { average_value: Some(milli_quantity(usage)), ..Default::default() },
                }),
                ..Default::default()
            };
            Ok(Proposal { replicas, metric: format!("pods metric {}", source.metric.name), status })
        }
        "Object" => {
            let Some(source) = spec.object.as_ref() else {
                return Err(missing_source("object"));
            };
            let wrap = |error: String| {
                let wrapped = format!("failed to get object metric value: {error}");
                fail("FailedGetObjectMetric", error, wrapped)
            };
            let metric_selector = selector_string(source.metric.selector.as_ref()).map_err(wrap)?;
            let object = &source.described_object;
            let sample = from.object_metric(&source.metric.name, context.namespace, object, &metric_selector).await;
            let (value, _) = sample.map_err(|error| {
                wrap(format!(
                    "unable to get metric {}: {} on {} {}/unable to fetch metrics from custom metrics API: {error}",
                    source.metric.name, object.kind, context.namespace, object.name
                ))
            })?;
            let (replicas, current) = if let Some(target) = milli_of(source.target.value.as_ref()) {
                let ratio = value as f64 / target as f64;
                let pods = pods_or(context.pods).map_err(wrap)?;
                let replicas =
                    context.calculator.usage_ratio_replicas(context.spec_replicas, ratio, pods).map_err(wrap)?;
                (replicas, MetricValueStatus { value: Some(milli_quantity(value)), ..Default::default() })
            } else if let Some(target) = milli_of(source.target.average_value.as_ref()) {
                let (replicas, average) = context.calculator.per_pod_replicas(context.status_replicas, value, target);
                (replicas, MetricValueStatus { average_value: Some(milli_quantity(average)), ..Default::default() })
            } else {
                return Err(wrap(
                    "invalid object metric source: neither a value target nor an average value target was set"
                        .to_owned(),
                ));
            };
            let status = MetricStatus {
                type_: "Object".into(),
                object: Some(ObjectMetricStatus {
                    described_object: object.clone(),
                    metric: source.metric.clone(),
                    current,
                }),
                ..Default::default()
            };
            Ok(Proposal { replicas, metric: format!("{} metric {}", object.kind, source.metric.name), status })
        }
        "External" => {
            let Some(source) = spec.external.as_ref() else {
                return Err(missing_source("external"));
            };
            let name = &source.metric.name;
            let wrap = |error: String| {
                let wrapped = format!("failed to get {name} external metric value: {error}");
                fail("FailedGetExternalMetric", error, wrapped)
            };
            let metric_selector = selector_string(source.metric.selector.as_ref()).map_err(wrap)?;
            let shown = if source.metric.selector.is_some() { metric_selector.clone() } else { "nil".to_owned() };
            let sample = from.external_metric(name, context.namespace, &metric_selector).await;
            let (values, _) = sample.map_err(|error| {
                    wrap(format!(
                        "unable to get external metric {}/{name}/{shown}: unable to fetch metrics from external metrics API: {error}",
                        context.namespace
                    ))
                })?;
            let total = values.iter().fold(0i64, |sum, v| sum.saturating_add(*v));
            let (replicas, current) = if let Some(target) = milli_of(source.target.value.as_ref()) {
                let pods = pods_or(context.pods).map_err(wrap)?;
                let ratio = total as f64 / target as f64;
                let replicas =
                    context.calculator.usage_ratio_replicas(context.spec_replicas, ratio, pods).map_err(wrap)?;
                (replicas, MetricValueStatus { value: Some(milli_quantity(total)), ..Default::default() })
            } else if let Some(target) = milli_of(source.target.average_value.as_ref()) {
                let (replicas, average) = context.calculator.per_pod_replicas(context.status_replicas, total, target);
                (replicas, MetricValueStatus { average_value: Some(milli_quantity(average)), ..Default::default() })
            } else {
                return Err(wrap(
                    "invalid external metric source: neither a value target nor an average value target was set"
                        .to_owned(),
                ));
            };
            let status = MetricStatus {
                type_: "External".into(),
                external: Some(ExternalMetricStatus { metric: source.metric.clone(), current }),
                ..Default::default()
            };
            Ok(Proposal { replicas, metric: format!("external metric {name}({shown})"), status })
        }
        other => {
            let error = format!("unknown metric source type {other:?}");
            Err(fail("InvalidMetricSourceType", error.clone(), error))
        }
    }
}

/// Upstream's `computeStatusForResourceMetricGeneric`: a `Utilization` or `AverageValue` target of a
/// resource, of every container or of one.
async fn resource_generic(
    source: &dyn MetricsSource,
    target: &MetricTarget,
    resource: &str,
    container: Option<&str>,
    context: &MetricContext<'_>,
) -> Result<(i32, MetricValueStatus, String), String> {
    let fetch = || async {
        metrics::resource_metric(source, resource, context.namespace, context.selector, container)
            .await
            .map_err(|error| format!("unable to get metrics for resource {resource}: {error}"))
    };
    if let Some(average) = target.average_value.as_ref() {
        let target = milli_of(Some(average)).unwrap_or(0);
        let outcome = async {
            let (samples, _) = fetch().await?;
            let pods = pods_or(context.pods)?;
            context.calculator.plain_replicas(context.spec_replicas, target, resource, pods, samples)
        };
        let (replicas, usage) = outcome.await.map_err(|error| format!("failed to get {resource} usage: {error}"))?;
        let status = MetricValueStatus { average_value: Some(milli_quantity(usage)), ..Default::default() };
        return Ok((replicas, status, format!("{resource} resource")));
    }
    let Some(utilization) = target.average_utilization else {
        return Err(
                "invalid resource metric source: neither an average utilization target nor an average value (usage) target was set"
                    .to_owned(),
            );
    };
    let outcome = async {
        let (samples, _) = fetch().await?;
        let pods = pods_or(context.pods)?;
        context.calculator.resource_replicas(context.spec_replicas, utilization, resource, container, pods, samples)
    };
    let proposal = outcome.await.map_err(|error| format!("failed to get {resource} utilization: {error}"))?;
    let status = MetricValueStatus {
        average_utilization: Some(proposal.utilization),
        average_value: Some(milli_quantity(proposal.raw_average)),
        ..Default::default()
    };
    let metric = if container.is_some() {
        format!("{resource} container resource utilization (percentage of request)")
    } else {
        format!("{resource} resource utilization (percentage of request)")
    };
    Ok((proposal.replicas, status, metric))
}

/// Upstream's `GetMetricReplicas` for a pods metric's `AverageValue` target.
async fn pods_metric(
    source: &dyn MetricsSource,
    metric: &MetricIdentifier,
    target: &MetricTarget,
    metric_selector: &str,
    context: &MetricContext<'_>,
) -> Result<(i32, i64), String> {
    let target = milli_of(target.average_value.as_ref()).unwrap_or(0);
    let (samples, _) = source
        .pods_metric(&metric.name, context.namespace, context.selector, metric_selector)
        .await
        .map_err(|error| {
            format!("unable to get metric {}: unable to fetch metrics from custom metrics API: {error}", metric.name)
        })?;
    let pods = pods_or(context.pods)?;
    context.calculator.plain_replicas(context.spec_replicas, target, "", pods, samples)
}

/// What every metric of one sync shares.
#[derive(Debug, Clone, Copy)]
pub struct MetricContext<'a> {
    /// The autoscaler's namespace.
    pub namespace: &'a str,
    /// The scale's pod selector.
    pub selector: &'a str,
    /// The pods it selects.
    pub pods: &'a Pods,
    /// The target's `spec.replicas`.
    pub spec_replicas: i32,
    /// The target's `status.replicas`.
    pub status_replicas: i32,
    /// The calculation's settings.
    pub calculator: &'a Calculator,
}

/// A metric whose type names a source it does not carry (the API server refuses these; garbage only).
fn missing_source(field: &str) -> Failure {
    let error = format!("invalid metric spec: {field} is not set");
    Failure { reason: "InvalidMetricSourceType", condition_message: error.clone(), error }
}

#[cfg(test)]
mod tests;

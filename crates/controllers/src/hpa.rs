//! The HorizontalPodAutoscaler controller, as kube-controller-manager's (`pkg/controller/podautoscaler`): every
//! sync period, and when an autoscaler's spec changes, it reads the target's `scale` subresource, lists the pods
//! its `status.selector` selects, asks each metric of `spec.metrics` how many replicas it wants
//! ([`compute`], [`replicas`]), takes the largest proposal, stabilizes and rate-limits it ([`behavior`], with
//! recommendations and scale events kept in memory per autoscaler until it is deleted), writes the scale
//! when the count changes, and writes `autoscaling/v2` status: current and desired replicas, the metrics'
//! current values, `lastScaleTime` and the `AbleToScale`, `ScalingActive` and `ScalingLimited` conditions, with
//! upstream's reasons, messages and events (source `horizontal-pod-autoscaler`).
//!
//! Resource and container resource metrics come from the resource metrics API through a [`metrics::MetricsSource`];
//! pods, object and external metrics ask the same source, whose default answers fail as upstream does without a
//! custom or external metrics API. A target whose replicas are 0 is not autoscaled (`ScalingDisabled`).
//!
//! Unlike upstream's queue, which takes a new or changed autoscaler up only after a sync period, a spec change
//! (a new generation) is reconciled at once; the controller's own status writes wait for the period.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::autoscaling::v1::Scale;
use k8s_openapi::api::autoscaling::v2::{
    HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerStatus, MetricSpec, MetricStatus,
};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, PostParams};

use crate::Clock;
use crate::batch_support::{record_event, reflect, status_message};
use crate::without_managed_fields;

pub mod behavior;
pub mod compute;
pub mod metrics;
pub mod replicas;

use behavior::{Behavior, History, Normalized, Request};
use compute::{MetricContext, Pods, combine, compute_metric};
use metrics::{MetricsSource, ResourceMetricsApi};
use replicas::{Calculator, Tolerances};

const COMPONENT: &str = "horizontal-pod-autoscaler";

/// The controller's settings: kube-controller-manager's `--horizontal-pod-autoscaler-*` flags.
#[derive(Debug, Clone, PartialEq)]
pub struct HpaConfig {
    /// How often every autoscaler is reconciled (`--horizontal-pod-autoscaler-sync-period`, 15 s; kept between
    /// 100 ms and a day).
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
    // Between a tenth of a second and a day: never a busy loop, never a time past what the clock can hold.
    let period = config.sync_period.clamp(Duration::from_millis(100), Duration::from_secs(86_400));
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
            // The cached autoscaler was older than the stored one (a write crossed this sync, or it was deleted):
            // the next sync starts from what is there then.
            Err(error) if crate::batch_support::is_conflict(&error) || crate::batch_support::is_not_found(&error) => {
                tracing::debug!(autoscaler = %shared.name_any(), "status not written: the autoscaler changed or went");
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

#[cfg(test)]
mod tests;

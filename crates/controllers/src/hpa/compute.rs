//! One metric's proposal and the metrics of a sync combined: kube-controller-manager's
//! `computeReplicasForMetric(s)` and the `computeStatusFor*Metric` functions
//! (`pkg/controller/podautoscaler/horizontal.go`), over a [`MetricsSource`] and the pods the scale selects.
//!
//! Each metric source type fails with upstream's reason (`FailedGetResourceMetric`,
//! `FailedGetContainerResourceMetric`, `FailedGetPodsMetric`, `FailedGetObjectMetric`, `FailedGetExternalMetric`,
//! `InvalidMetricSourceType`) and message; its status is the metric's current value as upstream writes it.

use jiff::Timestamp;
use k8s_openapi::api::autoscaling::v2::{
    ContainerResourceMetricStatus, ExternalMetricStatus, HorizontalPodAutoscalerStatus, MetricIdentifier, MetricSpec,
    MetricStatus, MetricTarget, MetricValueStatus, ObjectMetricStatus, PodsMetricStatus, ResourceMetricStatus,
};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::metrics::{self, MetricsSource};
use super::replicas::Calculator;
use super::{Note, set_condition};

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

//! How many replicas one metric asks for: kube-controller-manager's replica calculator
//! (`pkg/controller/podautoscaler/replica_calculator.go`) and the ratios of its metrics client
//! (`metrics/utilization.go`), as pure functions of the pods, their metric samples and the time.
//!
//! Every value is in thousandths (Kubernetes' `MilliValue`). Pods being deleted and failed pods are ignored;
//! pending pods, and for cpu pods not yet Ready (or whose sample predates readiness) within the initialization
//! period, are unready; pods without a sample are missing. Unready pods count as using nothing when the ready ones
//! ask for more, and are left out otherwise; missing pods count as using nothing on a scale up and exactly the
//! target on a scale down; a rebalanced ratio that flips direction or falls within the tolerance keeps the
//! current count.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, Pod};

/// One pod's sample of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodMetric {
    /// The value in thousandths (cpu in millicores, memory in thousandths of a byte).
    pub value: i64,
    /// When the sample was taken (the end of its window).
    pub timestamp: Timestamp,
    /// The window the sample averages over.
    pub window: Duration,
}

/// The samples of one metric by pod name.
pub type PodMetrics = BTreeMap<String, PodMetric>;

/// How far the usage ratio may stray from 1 before the replica count changes, below and above.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerances {
    /// Below 1: a ratio of at least `1 - scale_down` keeps the count.
    pub scale_down: f64,
    /// Above 1: a ratio of at most `1 + scale_up` keeps the count.
    pub scale_up: f64,
}

impl Tolerances {
    /// The same tolerance both ways.
    pub fn both(tolerance: f64) -> Tolerances {
        Tolerances { scale_down: tolerance, scale_up: tolerance }
    }

    /// Whether a usage ratio is close enough to 1 to change nothing.
    pub fn is_within(&self, ratio: f64) -> bool {
        (1.0 - self.scale_down) <= ratio && ratio <= (1.0 + self.scale_up)
    }
}

/// The settings and the moment a calculation runs with.
#[derive(Debug, Clone, Copy)]
pub struct Calculator {
    /// The tolerances of the autoscaler being computed.
    pub tolerances: Tolerances,
    /// `--horizontal-pod-autoscaler-cpu-initialization-period`.
    pub cpu_initialization_period: Duration,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay`.
    pub initial_readiness_delay: Duration,
    /// Now.
    pub now: Timestamp,
}

/// What a utilization target asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtilizationProposal {
    /// The replicas proposed.
    pub replicas: i32,
    /// The pods' usage as a percentage of their requests.
    pub utilization: i32,
    /// The pods' average usage, in thousandths.
    pub raw_average: i64,
}

/// The pods of a calculation sorted by how they count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups {
    /// Pods that count with their sample.
    pub ready: usize,
    /// Pending pods, and cpu samples of pods still starting.
    pub unready: BTreeSet<String>,
    /// Pods without a sample.
    pub missing: BTreeSet<String>,
    /// Pods being deleted and failed pods.
    pub ignored: BTreeSet<String>,
}

fn after(time: Timestamp, duration: Duration) -> Timestamp {
    time.checked_add(duration).unwrap_or(Timestamp::MAX)
}

fn phase(pod: &Pod) -> &str {
    pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("")
}

fn name(pod: &Pod) -> String {
    pod.metadata.name.clone().unwrap_or_default()
}

/// Sorts the pods as upstream's `groupPods` does; the readiness rules apply to `cpu` only.
pub fn group_pods(pods: &[Pod], metrics: &PodMetrics, resource: &str, calculator: &Calculator) -> Groups {
    let mut groups = Groups::default();
    for pod in pods {
        let name = name(pod);
        if pod.metadata.deletion_timestamp.is_some() || phase(pod) == "Failed" {
            groups.ignored.insert(name);
            continue;
        }
        if phase(pod) == "Pending" {
            groups.unready.insert(name);
            continue;
        }
        let Some(metric) = metrics.get(&name) else {
            groups.missing.insert(name);
            continue;
        };
        if resource == "cpu" && cpu_sample_unready(pod, metric, calculator) {
            groups.unready.insert(name);
            continue;
        }
        groups.ready += 1;
    }
    groups
}

/// Whether a pod's cpu sample cannot be trusted yet: no Ready condition or start time; within the initialization
/// period, not Ready or sampled (a whole window) before it became Ready; after it, never Ready since starting.
fn cpu_sample_unready(pod: &Pod, metric: &PodMetric, calculator: &Calculator) -> bool {
    let status = pod.status.as_ref();
    let condition = status.and_then(|s| s.conditions.as_ref()).and_then(|c| c.iter().find(|c| c.type_ == "Ready"));
    let start = status.and_then(|s| s.start_time.as_ref()).map(|t| t.0);
    let (Some(condition), Some(start)) = (condition, start) else {
        return true;
    };
    let transition = condition.last_transition_time.as_ref().map_or(Timestamp::UNIX_EPOCH, |t| t.0);
    if after(start, calculator.cpu_initialization_period) > calculator.now {
        condition.status == "False" || metric.timestamp < after(transition, metric.window)
    } else {
        condition.status == "False" && after(start, calculator.initial_readiness_delay) > transition
    }
}

/// The containers whose requests count: the regular ones and the restartable (sidecar) init containers.
fn counted_containers(pod: &Pod) -> Vec<&Container> {
    let Some(spec) = pod.spec.as_ref() else {
        return Vec::new();
    };
    let sidecars = spec.init_containers.iter().flatten().filter(|c| c.restart_policy.as_deref() == Some("Always"));
    spec.containers.iter().chain(sidecars).collect()
}

fn milli_of(quantity: &k8s_openapi::apimachinery::pkg::api::resource::Quantity) -> Option<i64> {
    k8s_model::rounded_up(&quantity.0, true).and_then(|v| i64::try_from(v).ok())
}

/// Each pod's request of `resource` in thousandths (summed over its containers, or only `container`'s); a
/// container without one is an error with upstream's message.
pub fn pod_requests(pods: &[Pod], container: Option<&str>, resource: &str) -> Result<BTreeMap<String, i64>, String> {
    let mut requests = BTreeMap::new();
    for pod in pods {
        let pod_level = pod
            .spec
            .as_ref()
            .and_then(|s| s.resources.as_ref())
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get(resource));
        if let (None, Some(request)) = (container, pod_level)
            && let Some(value) = milli_of(request)
        {
            requests.insert(name(pod), value);
            continue;
        }
        let mut sum: i64 = 0;
        for c in counted_containers(pod) {
            if container.is_some_and(|wanted| wanted != c.name) {
                continue;
            }
            let request = c.resources.as_ref().and_then(|r| r.requests.as_ref()).and_then(|r| r.get(resource));
            match request.and_then(milli_of) {
                Some(value) => sum = sum.saturating_add(value),
                None => {
                    return Err(format!("missing request for {resource} in container {} of Pod {}", c.name, name(pod)));
                }
            }
        }
        requests.insert(name(pod), sum);
    }
    Ok(requests)
}

/// Upstream's `GetResourceUtilizationRatio`: the ratio of the pods' usage (as a whole percentage of their
/// requests) to the target, that percentage, and the average usage.
pub fn utilization_ratio(
    metrics: &PodMetrics,
    requests: &BTreeMap<String, i64>,
    target_utilization: i32,
) -> Result<(f64, i32, i64), String> {
    let (mut used, mut requested, mut entries) = (0i64, 0i64, 0i64);
    for (pod, metric) in metrics {
        let Some(request) = requests.get(pod) else { continue };
        used = used.saturating_add(metric.value);
        requested = requested.saturating_add(*request);
        entries += 1;
    }
    if requested == 0 {
        return Err("no metrics returned matched known pods".to_owned());
    }
    let utilization = i32::try_from(used.saturating_mul(100) / requested).unwrap_or(i32::MAX);
    Ok((f64::from(utilization) / f64::from(target_utilization), utilization, used / entries))
}

/// Upstream's `GetMetricUsageRatio`: the average of the samples against the target, and the average.
pub fn usage_ratio(metrics: &PodMetrics, target: i64) -> (f64, i64) {
    let total: i64 = metrics.values().fold(0i64, |sum, m| sum.saturating_add(m.value));
    let average = total / i64::try_from(metrics.len().max(1)).unwrap_or(i64::MAX);
    (average as f64 / target as f64, average)
}

fn ceil_replicas(value: f64) -> i32 {
    let rounded = value.ceil();
    if rounded >= f64::from(i32::MAX) { i32::MAX } else { rounded as i32 }
}

impl Calculator {
    /// Upstream's `GetResourceReplicas`: the replicas a `Utilization` target of `resource` (of every container,
    /// or of `container`) asks for. `metrics` is what the resource metrics API returned.
    pub fn resource_replicas(
        &self,
        current: i32,
        target_utilization: i32,
        resource: &str,
        container: Option<&str>,
        pods: &[Pod],
        mut metrics: PodMetrics,
    ) -> Result<UtilizationProposal, String> {
        if pods.is_empty() {
            return Err("no pods returned by selector while calculating replica count".to_owned());
        }
        let groups = group_pods(pods, &metrics, resource, self);
        metrics.retain(|pod, _| !groups.ignored.contains(pod) && !groups.unready.contains(pod));
        let requests = pod_requests(pods, container, resource)?;
        if metrics.is_empty() {
            return Err("did not receive metrics for targeted pods (pods might be unready)".to_owned());
        }
        let (ratio, utilization, raw_average) = utilization_ratio(&metrics, &requests, target_utilization)?;
        let proposal = |replicas| UtilizationProposal { replicas, utilization, raw_average };
        let scale_up_with_unready = !groups.unready.is_empty() && ratio > 1.0;
        if !scale_up_with_unready && groups.missing.is_empty() {
            if self.tolerances.is_within(ratio) {
                return Ok(proposal(current));
            }
            return Ok(proposal(ceil_replicas(ratio * groups.ready as f64)));
        }
        let zero = PodMetric { value: 0, timestamp: self.now, window: Duration::ZERO };
        if ratio < 1.0 {
            for pod in &groups.missing {
                let value = requests.get(pod).copied().unwrap_or(0);
                metrics.insert(pod.clone(), PodMetric { value, ..zero });
            }
        } else if ratio > 1.0 {
            for pod in &groups.missing {
                metrics.insert(pod.clone(), zero);
            }
        }
        if scale_up_with_unready {
            for pod in &groups.unready {
                metrics.insert(pod.clone(), zero);
            }
        }
        let (new_ratio, _, _) = utilization_ratio(&metrics, &requests, target_utilization)?;
        Ok(proposal(self.rebalanced(current, ratio, new_ratio, metrics.len())))
    }

    /// Upstream's `calcPlainMetricReplicas`: the replicas an `AverageValue` target (in thousandths) of a
    /// per-pod metric asks for, and the pods' average. `resource` is the resource's name for resource
    /// metrics (its readiness rules), empty for pod metrics.
    pub fn plain_replicas(
        &self,
        current: i32,
        target: i64,
        resource: &str,
        pods: &[Pod],
        mut metrics: PodMetrics,
    ) -> Result<(i32, i64), String> {
        if pods.is_empty() {
            return Err("no pods returned by selector while calculating replica count".to_owned());
        }
        let groups = group_pods(pods, &metrics, resource, self);
        metrics.retain(|pod, _| !groups.ignored.contains(pod) && !groups.unready.contains(pod));
        if metrics.is_empty() {
            return Err("did not receive metrics for targeted pods (pods might be unready)".to_owned());
        }
        let (ratio, usage) = usage_ratio(&metrics, target);
        let scale_up_with_unready = !groups.unready.is_empty() && ratio > 1.0;
        if !scale_up_with_unready && groups.missing.is_empty() {
            if self.tolerances.is_within(ratio) {
                return Ok((current, usage));
            }
            return Ok((ceil_replicas(ratio * groups.ready as f64), usage));
        }
        let zero = PodMetric { value: 0, timestamp: self.now, window: Duration::ZERO };
        for pod in &groups.missing {
            let value = if ratio < 1.0 { target } else { 0 };
            metrics.insert(pod.clone(), PodMetric { value, ..zero });
        }
        if scale_up_with_unready {
            for pod in &groups.unready {
                metrics.insert(pod.clone(), zero);
            }
        }
        let (new_ratio, _) = usage_ratio(&metrics, target);
        Ok((self.rebalanced(current, ratio, new_ratio, metrics.len()), usage))
    }

    /// The count after unready and missing pods were filled in: the current one when the new ratio is within
    /// the tolerance or points the other way (or the new count does).
    fn rebalanced(&self, current: i32, ratio: f64, new_ratio: f64, counted: usize) -> i32 {
        if self.tolerances.is_within(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0)
        {
            return current;
        }
        let replicas = ceil_replicas(new_ratio * counted as f64);
        if (new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current) {
            return current;
        }
        replicas
    }

    /// Upstream's `getUsageRatioReplicaCount`, for object and external metrics: the ready pods scaled by the
    /// ratio (the current count within the tolerance), or with no replicas the ratio itself rounded up.
    pub fn usage_ratio_replicas(&self, current: i32, ratio: f64, pods: &[Pod]) -> Result<i32, String> {
        if current == 0 {
            return Ok(ceil_replicas(ratio));
        }
        if self.tolerances.is_within(ratio) {
            return Ok(current);
        }
        if pods.is_empty() {
            return Err("unable to calculate ready pods: no pods returned by selector while calculating replica count"
                .to_owned());
        }
        let ready = pods.iter().filter(|pod| phase(pod) == "Running" && crate::batch_support::is_ready(pod)).count();
        Ok(ceil_replicas(ratio * ready as f64))
    }

    /// Upstream's per-pod object and external metrics (`AverageValue` targets): the total over the target per
    /// pod, and the total per current replica.
    pub fn per_pod_replicas(&self, status_replicas: i32, total: i64, target_per_pod: i64) -> (i32, i64) {
        let mut replicas = status_replicas;
        let ratio = total as f64 / (target_per_pod as f64 * f64::from(status_replicas));
        if !self.tolerances.is_within(ratio) {
            replicas = ceil_replicas(total as f64 / target_per_pod as f64);
        }
        let per_replica = (total as f64 / f64::from(status_replicas)).ceil();
        (replicas, if per_replica.is_finite() { per_replica as i64 } else { 0 })
    }
}

//! The updater's decisions (upstream's `pkg/updater/priority` and `pkg/updater/restriction`), pure.
//!
//! - The recommendation a pod is compared with is the VPA's, capped per container as the admission controller
//!   would cap it: `minAllowed`/`maxAllowed`, and for `RequestsOnly` containers the container's limits.
//! - A pod's priority: whether some container's request lies outside `[lowerBound, upperBound]` (or is missing),
//!   whether some container would grow, and the sum over resources of `|requests - targets| / requests` over the
//!   containers the admission controller observed (`vpaObservedContainers`).
//! - A pod is updated when a request is out of bounds, when it OOM-killed a container within
//!   `--evict-after-oom-threshold` of its start (and something would change), or when it has lived for
//!   `--in-recommendation-bounds-eviction-lifetime-threshold` and the change is at least `--pod-update-threshold`.
//!   Those that would grow go first, then by the size of the change.
//! - Eviction is per controller (the pod's owner): none while fewer than `minReplicas` live, and at most
//!   `replicas × --eviction-tolerance` (truncated) at once, or one when that is 0 and every replica runs; pending
//!   pods may always go.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::api::{Amounts, ContainerRecommendation, ControlledValues, Resource, Spec, amounts};
use super::recommender::cap_to_policy;

/// The annotation in which the admission controller lists the containers it saw.
pub const OBSERVED_CONTAINERS: &str = "vpaObservedContainers";

/// A pod's containers' requests and limits, and what the updater reads of its status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodView {
    pub namespace: String,
    pub name: String,
    /// Containers in order: name, requests, limits.
    pub containers: Vec<(String, Amounts, Amounts)>,
    /// The observed containers annotation, if any and readable.
    pub observed: Option<HashSet<String>>,
    pub phase: String,
    /// When the pod started (seconds since the Unix epoch).
    pub start_time: Option<f64>,
    /// Containers' last terminations by OOM kill: (container, started, finished).
    pub oom_kills: Vec<(String, f64, f64)>,
}

impl PodView {
    /// Reads a pod.
    pub fn of(pod: &k8s_openapi::api::core::v1::Pod) -> PodView {
        let value = serde_json::to_value(pod).unwrap_or_default();
        let containers = value
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| {
                let name = c.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
                let requests = amounts(c.pointer("/resources/requests"));
                let limits = amounts(c.pointer("/resources/limits"));
                (name, requests, limits)
            })
            .collect();
        let observed = pod
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(OBSERVED_CONTAINERS))
            .and_then(|text| parse_observed(text));
        let seconds = |t: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time| t.0.as_nanosecond() as f64 / 1e9;
        let status = pod.status.as_ref();
        let oom_kills = status
            .and_then(|s| s.container_statuses.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|cs| {
                let terminated = cs.last_state.as_ref()?.terminated.as_ref()?;
                if terminated.reason.as_deref() != Some("OOMKilled") {
                    return None;
                }
                Some((
                    cs.name.clone(),
                    seconds(terminated.started_at.as_ref()?),
                    seconds(terminated.finished_at.as_ref()?),
                ))
            })
            .collect();
        PodView {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            name: pod.metadata.name.clone().unwrap_or_default(),
            containers,
            observed,
            phase: status.and_then(|s| s.phase.clone()).unwrap_or_else(|| "Pending".to_owned()),
            start_time: status.and_then(|s| s.start_time.as_ref()).map(seconds),
            oom_kills,
        }
    }

    fn observes(&self, container: &str) -> bool {
        self.observed.as_ref().is_none_or(|set| set.contains(container))
    }
}

/// The observed containers annotation's value (`app, sidecar`) as a set; `None` when a name is not a DNS label.
pub fn parse_observed(text: &str) -> Option<HashSet<String>> {
    if text.is_empty() {
        return Some(HashSet::new());
    }
    let names: Vec<&str> = text.split(", ").collect();
    let label = |name: &str| {
        !name.is_empty()
            && name.len() <= 63
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-')
            && !name.ends_with('-')
    };
    names.iter().all(|n| label(n)).then(|| names.iter().map(|n| (*n).to_owned()).collect())
}

/// The recommendation for a pod's containers as the updater and the admission controller apply it (upstream's
/// capping processor): containers absent from the pod are dropped, the rest capped by their policy and, for
/// `RequestsOnly`, by the container's limits.
pub fn capped_for_pod(
    recommendation: &[ContainerRecommendation],
    spec: &Spec,
    containers: &[(String, Amounts, Amounts)],
) -> Vec<ContainerRecommendation> {
    recommendation
        .iter()
        .filter_map(|rec| {
            let (_, _, limits) = containers.iter().find(|(name, _, _)| *name == rec.container_name)?;
            let policy = spec.policy_of(&rec.container_name);
            let requests_only = spec.controlled_values(&rec.container_name) == ControlledValues::RequestsOnly;
            let process = |amounts: &Amounts| {
                let mut capped = cap_to_policy(amounts, policy);
                if requests_only {
                    for (resource, limit) in limits {
                        if let Some(value) = capped.get_mut(resource)
                            && *value > *limit
                        {
                            *value = *limit;
                        }
                    }
                }
                capped
            };
            Some(ContainerRecommendation {
                container_name: rec.container_name.clone(),
                target: process(&rec.target),
                lower_bound: process(&rec.lower_bound),
                upper_bound: process(&rec.upper_bound),
                uncapped_target: rec.uncapped_target.clone(),
            })
        })
        .collect()
}

/// How much a pod wants updating (upstream's `PodPriority`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Priority {
    pub outside_recommended_range: bool,
    pub scale_up: bool,
    pub resource_diff: f64,
}

impl Priority {
    /// Whether `self` comes after `other`: growth first, then the larger change.
    pub fn less(&self, other: &Priority) -> bool {
        if self.scale_up != other.scale_up {
            return other.scale_up;
        }
        self.resource_diff < other.resource_diff
    }
}

/// The priority of a pod against a (capped) recommendation.
pub fn priority(pod: &PodView, recommendation: &[ContainerRecommendation]) -> Priority {
    let mut outside = false;
    let mut scale_up = false;
    let mut requested: BTreeMap<Resource, f64> = BTreeMap::new();
    let mut recommended: BTreeMap<Resource, f64> = BTreeMap::new();
    for (name, requests, _) in &pod.containers {
        if !pod.observes(name) {
            continue;
        }
        let Some(rec) = recommendation.iter().find(|r| r.container_name == *name) else { continue };
        for (resource, target) in &rec.target {
            // Both in thousandths, as upstream sums `MilliValue`s.
            let milli = |amount: i64| if *resource == Resource::Cpu { amount as f64 } else { amount as f64 * 1000.0 };
            *recommended.entry(*resource).or_default() += milli(*target);
            match requests.get(resource) {
                Some(request) => {
                    *requested.entry(*resource).or_default() += milli(*request);
                    if target > request {
                        scale_up = true;
                    }
                    let below = rec.lower_bound.get(resource).is_some_and(|lower| request < lower);
                    let above = rec.upper_bound.get(resource).is_some_and(|upper| request > upper);
                    if below || above {
                        outside = true;
                    }
                }
                None => {
                    scale_up = true;
                    outside = true;
                }
            }
        }
    }
    let resource_diff = recommended
        .iter()
        .map(|(resource, total)| {
            let request = requested.get(resource).copied().unwrap_or(0.0).max(1.0);
            (request - total).abs() / request
        })
        .sum();
    Priority { outside_recommended_range: outside, scale_up, resource_diff }
}

/// What decides whether a pod is worth updating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpdateConfig {
    pub min_change: f64,
    pub lifetime_threshold: f64,
    pub evict_after_oom: f64,
}

/// The pod's priority if the updater should update it at `now` (upstream's `AddPod`), else `None`.
pub fn wants_update(
    pod: &PodView,
    recommendation: &[ContainerRecommendation],
    spec: &Spec,
    config: &UpdateConfig,
    now: f64,
) -> Option<Priority> {
    let priority = priority(pod, recommendation);
    let quick_oom = pod.oom_kills.iter().any(|(container, started, finished)| {
        pod.observes(container)
            && !spec.policy_of(container).is_some_and(|p| p.off)
            && finished - started < config.evict_after_oom
    });
    if !priority.outside_recommended_range && !quick_oom {
        let started = pod.start_time?;
        if now < started + config.lifetime_threshold {
            return None;
        }
        if priority.resource_diff < config.min_change {
            return None;
        }
    }
    if quick_oom && priority.resource_diff == 0.0 {
        return None;
    }
    Some(priority)
}

/// The eviction budget of one controller's pods in one pass (upstream's `singleGroupStats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupBudget {
    pub configured: i64,
    pub pending: i64,
    pub running: i64,
    pub tolerance: i64,
    pub evicted: i64,
    /// Fewer live pods than `minReplicas`: none may be evicted.
    pub below_min_replicas: bool,
}

impl GroupBudget {
    /// The budget of a controller with `configured` replicas and these live pods' phases.
    pub fn new(configured: i64, phases: &[&str], min_replicas: i64, tolerance_fraction: f64) -> GroupBudget {
        let live = phases.len() as i64;
        let pending = phases.iter().filter(|p| **p == "Pending").count() as i64;
        GroupBudget {
            configured,
            pending,
            running: live - pending,
            tolerance: (configured as f64 * tolerance_fraction) as i64,
            evicted: 0,
            below_min_replicas: live < min_replicas,
        }
    }

    /// Whether a pod of this phase may be evicted now.
    pub fn can_evict(&self, phase: &str) -> bool {
        if phase == "Pending" {
            return true;
        }
        if self.below_min_replicas {
            return false;
        }
        let should_be_alive = self.configured - self.tolerance;
        let alive = self.running - self.evicted;
        alive > should_be_alive || (self.configured == self.running && self.tolerance == 0 && self.evicted == 0)
    }

    /// Counts an eviction.
    pub fn evicted(&mut self, phase: &str) {
        if phase != "Pending" {
            self.evicted += 1;
        }
    }
}

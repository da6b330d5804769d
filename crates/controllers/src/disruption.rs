//! The disruption controller: keeps every PodDisruptionBudget's status true (expected, healthy and desired pods,
//! `disruptionsAllowed`, the `DisruptionAllowed` condition), which the API server's eviction subresource then
//! spends. The arithmetic ([`budget_status`]) is pure; [`run`] watches budgets, pods and the workloads that scale
//! them.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Pod, PodStatus};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, PostParams};
use kube::runtime::reflector::{ObjectRef, Store};

use crate::batch_support::reflect;
use crate::without_managed_fields;

/// How long an eviction the API server allowed may take before the pod counts again (upstream's
/// `DeletionTimeout`).
const DELETION_TIMEOUT: Duration = Duration::from_secs(120);
const PERIOD: Duration = Duration::from_secs(1);

/// What the budget's pods look like now.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// The pods the selector selects, not counting those being deleted.
    pub pods: usize,
    /// Those of them that are Ready and not awaiting an allowed eviction.
    pub healthy: usize,
    /// The replicas the pods' controllers want, or `None` when a pod has no controller that scales.
    pub scale: Option<i32>,
}

/// The budget's expected pods, desired healthy pods and allowed disruptions, as upstream computes them; `None`
/// when they cannot be known (a percentage or `maxUnavailable` needs the controllers' scale).
pub fn budget_status(budget: &PodDisruptionBudget, observed: &Observed) -> Option<(i32, i32, i32)> {
    let spec = budget.spec.as_ref()?;
    let healthy = i32::try_from(observed.healthy).unwrap_or(i32::MAX);
    let (expected, desired) = match (&spec.min_available, &spec.max_unavailable) {
        (Some(IntOrString::Int(min)), _) => (i32::try_from(observed.pods).unwrap_or(i32::MAX), *min),
        (Some(min @ IntOrString::String(_)), _) => {
            let expected = observed.scale?;
            (expected, scaled(min, expected)?)
        }
        (None, Some(max)) => {
            let expected = observed.scale?;
            (expected, (expected - scaled(max, expected)?).max(0))
        }
        (None, None) => return None,
    };
    Some((expected, desired, (healthy - desired).max(0)))
}

/// An int or a percentage of `total`, rounded up as upstream rounds budgets.
fn scaled(value: &IntOrString, total: i32) -> Option<i32> {
    match value {
        IntOrString::Int(n) => Some(*n),
        IntOrString::String(text) => {
            let percent: i64 = text.strip_suffix('%')?.parse().ok()?;
            Some(i32::try_from((percent * i64::from(total) + 99) / 100).ok()?)
        }
    }
}

/// policy/v1: an absent selector selects no pod; an empty one selects every pod of the namespace.
fn selects(selector: Option<&LabelSelector>, labels: Option<&BTreeMap<String, String>>) -> bool {
    let empty = BTreeMap::new();
    selector.is_some_and(|selector| crate::batch_support::selector_matches(selector, labels.unwrap_or(&empty)))
}

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|status| status.conditions.as_ref())
        .is_some_and(|conditions| conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The workloads a budget's scale comes from.
#[derive(Debug, Clone)]
struct Workloads {
    replica_sets: Store<ReplicaSet>,
    deployments: Store<Deployment>,
    stateful_sets: Store<StatefulSet>,
}

impl Workloads {
    /// The replicas the pod's controller wants, and who that controller is.
    fn scale_of(&self, pod: &Pod, namespace: &str) -> Option<(String, i32)> {
        let owner = pod.metadata.owner_references.as_ref()?.iter().find(|o| o.controller == Some(true))?;
        match owner.kind.as_str() {
            "ReplicaSet" => {
                let set = self.replica_sets.get(&ObjectRef::new(&owner.name).within(namespace))?;
                let parent =
                    set.metadata.owner_references.as_ref().and_then(|owners| {
                        owners.iter().find(|o| o.controller == Some(true) && o.kind == "Deployment")
                    });
                if let Some(parent) = parent {
                    let deployment = self.deployments.get(&ObjectRef::new(&parent.name).within(namespace))?;
                    let replicas = deployment.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
                    return Some((format!("Deployment/{}", parent.name), replicas));
                }
                Some((format!("ReplicaSet/{}", owner.name), set.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)))
            }
            "StatefulSet" => {
                let set = self.stateful_sets.get(&ObjectRef::new(&owner.name).within(namespace))?;
                Some((format!("StatefulSet/{}", owner.name), set.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)))
            }
            _ => None,
        }
    }
}

/// A pod as budgets need it: identity, labels, owners, deletion and the conditions; the rest (most of a pod: its
/// spec, annotations, container statuses) is dropped.
fn lean_pod(pod: &mut Pod) {
    pod.metadata.managed_fields = None;
    pod.metadata.annotations = None;
    pod.spec = None;
    pod.status = pod.status.take().map(|status| PodStatus { conditions: status.conditions, ..PodStatus::default() });
}

/// Runs the disruption controller until the future is dropped.
pub async fn run(client: kube::Client) {
    let (budgets, _budget_watch) =
        reflect(Api::<PodDisruptionBudget>::all(client.clone()), without_managed_fields, None);
    let (pods, _pod_watch) = reflect(Api::<Pod>::all(client.clone()), lean_pod, None);
    let (replica_sets, _replica_set_watch) = reflect(Api::all(client.clone()), without_managed_fields, None);
    let (deployments, _deployment_watch) = reflect(Api::all(client.clone()), without_managed_fields, None);
    let (stateful_sets, _stateful_set_watch) = reflect(Api::all(client.clone()), without_managed_fields, None);
    let workloads = Workloads { replica_sets, deployments, stateful_sets };
    let mut ticker = tokio::time::interval(PERIOD);
    loop {
        ticker.tick().await;
        if budgets.wait_until_ready().await.is_err() || pods.wait_until_ready().await.is_err() {
            return;
        }
        for budget in budgets.state() {
            sync(&client, &budget, &pods, &workloads).await;
        }
    }
}

async fn sync(client: &kube::Client, budget: &PodDisruptionBudget, pods: &Store<Pod>, workloads: &Workloads) {
    let (Some(name), Some(namespace)) = (budget.metadata.name.as_deref(), budget.metadata.namespace.as_deref()) else {
        return;
    };
    let selector = budget.spec.as_ref().and_then(|spec| spec.selector.as_ref());
    let selected: Vec<_> = pods
        .state()
        .into_iter()
        .filter(|pod| pod.metadata.namespace.as_deref() == Some(namespace))
        .filter(|pod| pod.metadata.deletion_timestamp.is_none())
        .filter(|pod| selects(selector, pod.metadata.labels.as_ref()))
        .collect();
    let now = k8s_openapi::jiff::Timestamp::now();
    let current = budget.status.clone().unwrap_or_default();
    // Allowed evictions stay noted until their pod goes or the timeout passes.
    let disrupted: BTreeMap<String, Time> = current
        .disrupted_pods
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|(pod, at)| {
            let young = now.duration_since(at.0).as_secs() < DELETION_TIMEOUT.as_secs() as i64;
            young && selected.iter().any(|p| p.metadata.name.as_deref() == Some(pod.as_str()))
        })
        .collect();
    let healthy = selected
        .iter()
        .filter(|pod| is_ready(pod) && !pod.metadata.name.as_ref().is_some_and(|n| disrupted.contains_key(n)))
        .count();
    let mut controllers: HashMap<String, i32> = HashMap::new();
    let mut every_pod_scaled = true;
    for pod in &selected {
        match workloads.scale_of(pod, namespace) {
            Some((controller, replicas)) => {
                controllers.insert(controller, replicas);
            }
            None => every_pod_scaled = false,
        }
    }
    let scale = every_pod_scaled.then(|| controllers.values().sum());
    let observed = Observed { pods: selected.len(), healthy, scale };
    let generation = budget.metadata.generation;
    let (expected, desired, allowed, reason) = match budget_status(budget, &observed) {
        Some((expected, desired, allowed)) => {
            (expected, desired, allowed, if allowed > 0 { "SufficientPods" } else { "InsufficientPods" })
        }
        None => (0, 0, 0, "SyncFailed"),
    };
    let status_word = if allowed > 0 { "True" } else { "False" };
    let previous = current.conditions.as_ref().and_then(|c| c.iter().find(|c| c.type_ == "DisruptionAllowed"));
    let condition = Condition {
        type_: "DisruptionAllowed".into(),
        status: status_word.into(),
        reason: reason.into(),
        message: String::new(),
        observed_generation: generation,
        last_transition_time: match previous {
            Some(previous) if previous.status == status_word => previous.last_transition_time.clone(),
            _ => Time(now),
        },
    };
    let status = PodDisruptionBudgetStatus {
        observed_generation: generation,
        disrupted_pods: (!disrupted.is_empty()).then_some(disrupted),
        disruptions_allowed: allowed,
        current_healthy: i32::try_from(healthy).unwrap_or(i32::MAX),
        desired_healthy: desired,
        expected_pods: expected,
        conditions: Some(vec![condition]),
    };
    if budget.status.as_ref() == Some(&status) {
        return;
    }
    let mut updated = budget.clone();
    updated.status = Some(status);
    let api: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), namespace);
    // With the budget's resourceVersion: an eviction that spent the budget meanwhile wins, and the next round
    // recounts.
    if let Err(error) = api.replace_status(name, &PostParams::default(), &updated).await {
        tracing::debug!(budget = %name, %error, "budget status not written");
    }
}

#[cfg(test)]
mod tests;

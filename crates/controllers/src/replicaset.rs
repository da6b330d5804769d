//! The ReplicaSet controller: keeps `spec.replicas` pods matching a ReplicaSet's selector, creating them from its
//! template in slow-start batches and deleting the cheapest first; adopts orphan pods the selector matches and
//! releases pods it no longer matches; and reports replicas, fully labeled, ready and available counts with the
//! `ReplicaFailure` condition when pods cannot be created. The same sync runs for ReplicationControllers, read
//! as ReplicaSets (a selector map is a `matchLabels` selector), as upstream's replication manager does.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetCondition, ReplicaSetSpec, ReplicaSetStatus};
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec, ReplicationController};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, OwnerReference, Time};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};
use serde_json::json;

use crate::batch_support::{
    ReconcileError, controller_ref, is_available, is_conflict, is_not_found, is_ready, is_terminal, is_terminating,
    pod_phase, ready_since, record_event, retry_later, selector_matches, status_message,
};

/// The most pods one sync creates or deletes, as upstream's `burstReplicas`.
const BURST_REPLICAS: usize = 500;

/// A kind whose objects this controller keeps pods for.
pub(crate) trait Replicated:
    Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
    + Clone
    + std::fmt::Debug
    + serde::de::DeserializeOwned
    + serde::Serialize
    + Send
    + Sync
    + 'static
{
    /// The component its events are reported by.
    const COMPONENT: &'static str;
    /// Its spec and status in ReplicaSet terms.
    fn as_replica_set(&self) -> (ReplicaSetSpec, ReplicaSetStatus);
}

impl Replicated for ReplicaSet {
    const COMPONENT: &'static str = "replicaset-controller";

    fn as_replica_set(&self) -> (ReplicaSetSpec, ReplicaSetStatus) {
        (self.spec.clone().unwrap_or_default(), self.status.clone().unwrap_or_default())
    }
}

impl Replicated for ReplicationController {
    const COMPONENT: &'static str = "replication-controller";

    fn as_replica_set(&self) -> (ReplicaSetSpec, ReplicaSetStatus) {
        let spec = self.spec.clone().unwrap_or_default();
        let status = self.status.clone().unwrap_or_default();
        let spec = ReplicaSetSpec {
            min_ready_seconds: spec.min_ready_seconds,
            replicas: spec.replicas,
            selector: LabelSelector { match_labels: spec.selector, match_expressions: None },
            template: spec.template,
        };
        let conditions = status.conditions.map(|conditions| {
            conditions
                .into_iter()
                .map(|c| ReplicaSetCondition {
                    last_transition_time: c.last_transition_time,
                    message: c.message,
                    reason: c.reason,
                    status: c.status,
                    type_: c.type_,
                })
                .collect()
        });
        let status = ReplicaSetStatus {
            available_replicas: status.available_replicas,
            conditions,
            fully_labeled_replicas: status.fully_labeled_replicas,
            observed_generation: status.observed_generation,
            ready_replicas: status.ready_replicas,
            replicas: status.replicas,
            terminating_replicas: None,
        };
        (spec, status)
    }
}

struct Context {
    client: kube::Client,
}

/// Runs the ReplicaSet controller until the task is dropped.
pub async fn run(client: kube::Client) {
    run_for::<ReplicaSet>(client).await;
}

/// Runs the ReplicationController controller until the task is dropped.
pub async fn run_replication_controllers(client: kube::Client) {
    run_for::<ReplicationController>(client).await;
}

async fn run_for<K: Replicated>(client: kube::Client) {
    let context = Arc::new(Context { client: client.clone() });
    let controller = Controller::new(Api::<K>::all(client.clone()), watcher::Config::default());
    let sets = controller.store();
    let sets_selecting_orphan = move |pod: Pod| {
        if controller_of(&pod).is_some() || is_terminating(&pod) {
            return Vec::new();
        }
        sets.state()
            .into_iter()
            .filter(|set| set.namespace() == pod.namespace() && selects(Some(&set.as_replica_set().0.selector), &pod))
            .map(|set| ObjectRef::from_obj(set.as_ref()))
            .collect::<Vec<_>>()
    };
    controller
        .owns(Api::<Pod>::all(client.clone()), watcher::Config::default())
        .watches(Api::<Pod>::all(client), watcher::Config::default(), sets_selecting_orphan)
        .run(reconcile::<K>, retry_later, context)
        .for_each(|_| async {})
        .await;
}

/// The controller reference of an object, if it has one.
pub fn controller_of(object: &impl Resource) -> Option<&OwnerReference> {
    object.meta().owner_references.iter().flatten().find(|owner| owner.controller == Some(true))
}

/// Whether a workload's selector selects `object`. A missing or empty selector selects nothing: the API server
/// refuses them, and one left over must not adopt every pod of its namespace.
pub fn selects(selector: Option<&LabelSelector>, object: &impl Resource) -> bool {
    let empty = BTreeMap::new();
    let labels = object.meta().labels.as_ref().unwrap_or(&empty);
    selector.is_some_and(|selector| {
        let is_empty = selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
            && selector.match_expressions.as_ref().is_none_or(Vec::is_empty);
        !is_empty && selector_matches(selector, labels)
    })
}

/// A pod made from `template` for the controller `owner`, named `<prefix>-<random>` by the API server.
pub fn pod_from_template(template: &PodTemplateSpec, prefix: &str, namespace: &str, owner: OwnerReference) -> Pod {
    let metadata = template.metadata.clone().unwrap_or_default();
    let mut pod = Pod { spec: template.spec.clone(), ..Pod::default() };
    pod.metadata.labels = metadata.labels;
    pod.metadata.annotations = metadata.annotations;
    pod.metadata.finalizers = metadata.finalizers;
    pod.metadata.generate_name = Some(format!("{prefix}-"));
    pod.metadata.namespace = Some(namespace.to_owned());
    pod.metadata.owner_references = Some(vec![owner]);
    pod
}

/// The slow-start batch sizes for creating `count` pods: 1, 2, 4, ... until the total is reached.
pub fn slow_start_batches(count: usize) -> Vec<usize> {
    let mut batches = Vec::new();
    let (mut remaining, mut size) = (count, 1usize);
    while remaining > 0 {
        let batch = size.min(remaining);
        batches.push(batch);
        remaining -= batch;
        size *= 2;
    }
    batches
}

/// What the controller weighs when choosing which pods to delete first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionCandidate {
    /// Whether the pod is bound to a node.
    pub scheduled: bool,
    /// The pod's phase.
    pub phase: String,
    /// When the pod turned ready, if it is ready.
    pub ready_since: Option<Timestamp>,
    /// How many of this set's pods share the pod's node (more means delete first).
    pub colocated: usize,
    /// The highest restart count among the pod's containers.
    pub restarts: i32,
    /// When the pod was created.
    pub created: Option<Timestamp>,
}

impl DeletionCandidate {
    /// The candidate view of `pod`, with `colocated` pods of the same set on its node.
    pub fn of(pod: &Pod, colocated: usize) -> DeletionCandidate {
        let restarts = pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .and_then(|statuses| statuses.iter().map(|c| c.restart_count).max())
            .unwrap_or(0);
        DeletionCandidate {
            scheduled: pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty()),
            phase: pod_phase(pod).to_owned(),
            ready_since: ready_since(pod),
            colocated,
            restarts,
            created: pod.metadata.creation_timestamp.as_ref().map(|t| t.0),
        }
    }
}

/// Orders pods so that the ones to delete first come first: unscheduled before scheduled, pending before
/// unknown before running, not ready before ready, more pods on the same node first, ready for less time
/// first, more restarts first, newer first.
pub fn deletion_order(a: &DeletionCandidate, b: &DeletionCandidate) -> Ordering {
    fn phase_rank(phase: &str) -> u8 {
        match phase {
            "Pending" => 0,
            "Unknown" => 1,
            "Running" => 2,
            _ => 3,
        }
    }
    a.scheduled
        .cmp(&b.scheduled)
        .then_with(|| phase_rank(&a.phase).cmp(&phase_rank(&b.phase)))
        .then_with(|| a.ready_since.is_some().cmp(&b.ready_since.is_some()))
        .then_with(|| b.colocated.cmp(&a.colocated))
        .then_with(|| match (a.ready_since, b.ready_since) {
            (Some(a_since), Some(b_since)) => b_since.cmp(&a_since),
            _ => Ordering::Equal,
        })
        .then_with(|| b.restarts.cmp(&a.restarts))
        .then_with(|| b.created.cmp(&a.created))
}

/// Picks `count` pods to delete from `pods`, the cheapest first.
fn pods_to_delete<'a>(pods: &[&'a Pod], count: usize) -> Vec<&'a Pod> {
    let mut per_node: HashMap<String, usize> = HashMap::new();
    for pod in pods {
        if let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) {
            *per_node.entry(node).or_default() += 1;
        }
    }
    let mut ranked: Vec<(DeletionCandidate, &Pod)> = pods
        .iter()
        .map(|pod| {
            let node = pod.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default();
            (DeletionCandidate::of(pod, per_node.get(&node).copied().unwrap_or(0)), *pod)
        })
        .collect();
    ranked.sort_by(|a, b| deletion_order(&a.0, &b.0));
    ranked.into_iter().take(count).map(|(_, pod)| pod).collect()
}

/// Sets the controller reference of `object` to `owner` (adoption) or removes the one to `owner_uid` (release),
/// guarded by the object's resourceVersion. An object that changed or vanished meanwhile is left alone.
pub async fn set_controller<K>(
    api: &Api<K>,
    object: &K,
    adopt: Option<OwnerReference>,
    owner_uid: &str,
) -> Result<(), ReconcileError>
where
    K: Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned,
{
    let mut owners: Vec<OwnerReference> =
        object.owner_references().iter().filter(|o| o.uid != owner_uid).cloned().collect();
    owners.extend(adopt);
    let patch = json!({"metadata": {
        "ownerReferences": owners,
        "resourceVersion": object.resource_version(),
    }});
    match api.patch(&object.name_any(), &PatchParams::default(), &Patch::Merge(patch)).await {
        Err(error) if is_conflict(&error) || is_not_found(&error) => Ok(()),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

async fn reconcile<K: Replicated>(rs: Arc<K>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let client = &context.client;
    let namespace = rs.namespace().unwrap_or_default();
    let name = rs.name_any();
    let uid = rs.uid().unwrap_or_default();
    let (spec, status) = rs.as_replica_set();
    let deleting = rs.meta().deletion_timestamp.is_some();
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let all_pods = pods_api.list(&ListParams::default()).await?.items;

    // Claim: keep our pods that still match, release those that don't, adopt matching orphans.
    let mut owned: Vec<&Pod> = Vec::new();
    for pod in &all_pods {
        let matches = selects(Some(&spec.selector), pod);
        match controller_of(pod) {
            Some(owner) if owner.uid == uid => {
                if matches {
                    owned.push(pod);
                } else if !is_terminating(pod) {
                    set_controller(&pods_api, pod, None, &uid).await?;
                }
            }
            Some(_) => {}
            None if matches && !deleting && !is_terminating(pod) => {
                set_controller(&pods_api, pod, Some(controller_ref(rs.as_ref())), &uid).await?;
                owned.push(pod);
            }
            None => {}
        }
    }
    let active: Vec<&Pod> = owned.iter().copied().filter(|p| !is_terminating(p) && !is_terminal(p)).collect();

    let replicas = usize::try_from(spec.replicas.unwrap_or(1).max(0)).unwrap_or(0);
    let mut failure: Option<(&str, String)> = None;
    if !deleting {
        if active.len() < replicas {
            let missing = (replicas - active.len()).min(BURST_REPLICAS);
            match &spec.template {
                Some(template) => {
                    if let Err(message) = create_pods(client, rs.as_ref(), template, missing).await {
                        failure = Some(("FailedCreate", message));
                    }
                }
                None => failure = Some(("FailedCreate", "the replica set has no pod template".to_owned())),
            }
        } else if active.len() > replicas {
            let excess = (active.len() - replicas).min(BURST_REPLICAS);
            for pod in pods_to_delete(&active, excess) {
                match pods_api.delete(&pod.name_any(), &DeleteParams::default()).await {
                    Ok(_) => {
                        let message = format!("Deleted pod: {}", pod.name_any());
                        record_event(client, K::COMPONENT, rs.as_ref(), false, "SuccessfulDelete", &message).await;
                    }
                    Err(error) if is_not_found(&error) => {}
                    Err(error) => {
                        failure = Some(("FailedDelete", status_message(&error)));
                        break;
                    }
                }
            }
        }
    }

    let now = Timestamp::now();
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let template_labels =
        spec.template.as_ref().and_then(|t| t.metadata.as_ref()).and_then(|m| m.labels.clone()).unwrap_or_default();
    let count = |f: &dyn Fn(&Pod) -> bool| i32::try_from(active.iter().filter(|p| f(p)).count()).unwrap_or(0);
    let fully_labeled = count(&|p| template_labels.iter().all(|(k, v)| p.labels().get(k) == Some(v)));
    let ready = count(&|p| is_ready(p));
    let available = count(&|p| is_available(p, min_ready, now));
    let mut conditions: Vec<ReplicaSetCondition> = status.conditions.clone().unwrap_or_default();
    let had_failure = conditions.iter().any(|c| c.type_ == "ReplicaFailure");
    let failed = failure.is_some();
    match failure {
        Some((reason, message)) if !had_failure => conditions.push(ReplicaSetCondition {
            type_: "ReplicaFailure".to_owned(),
            status: "True".to_owned(),
            reason: Some(reason.to_owned()),
            message: Some(message),
            last_transition_time: Some(Time(now)),
        }),
        Some(_) => {}
        None => conditions.retain(|c| c.type_ != "ReplicaFailure"),
    }
    let wanted = json!({
        "replicas": i32::try_from(active.len()).unwrap_or(0),
        "fullyLabeledReplicas": fully_labeled,
        "readyReplicas": ready,
        "availableReplicas": available,
        "observedGeneration": rs.meta().generation,
        "conditions": conditions,
    });
    let current = json!({
        "replicas": status.replicas,
        "fullyLabeledReplicas": status.fully_labeled_replicas.unwrap_or(0),
        "readyReplicas": status.ready_replicas.unwrap_or(0),
        "availableReplicas": status.available_replicas.unwrap_or(0),
        "observedGeneration": status.observed_generation,
        "conditions": status.conditions.clone().unwrap_or_default(),
    });
    if wanted != current {
        let mut patch = json!({"status": wanted});
        if conditions.is_empty() {
            patch["status"]["conditions"] = serde_json::Value::Null;
        }
        let api: Api<K> = Api::namespaced(client.clone(), &namespace);
        match api.patch_status(&name, &PatchParams::default(), &Patch::Merge(patch)).await {
            Err(error) if is_not_found(&error) => return Ok(Action::await_change()),
            other => {
                other?;
            }
        }
    }
    if failed {
        return Ok(Action::requeue(Duration::from_secs(5)));
    }
    // Pods ready but not yet available become available with time alone.
    let waiting = active
        .iter()
        .filter_map(|p| ready_since(p).filter(|_| !is_available(p, min_ready, now)))
        .map(|since| since.as_second() + i64::from(min_ready) - now.as_second())
        .min();
    Ok(match waiting {
        Some(seconds) => Action::requeue(Duration::from_secs(u64::try_from(seconds.max(1)).unwrap_or(1))),
        None => Action::await_change(),
    })
}

/// Creates `count` pods in slow-start batches; the first failure stops the rest and is returned as a message.
async fn create_pods<K: Replicated>(
    client: &kube::Client,
    rs: &K,
    template: &PodTemplateSpec,
    count: usize,
) -> Result<(), String> {
    let namespace = rs.namespace().unwrap_or_default();
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let pod = pod_from_template(template, &rs.name_any(), &namespace, controller_ref(rs));
    let params = PostParams::default();
    for batch in slow_start_batches(count) {
        let creations = (0..batch).map(|_| pods_api.create(&params, &pod));
        let results = futures::future::join_all(creations).await;
        let mut first_error = None;
        for result in results {
            match result {
                Ok(created) => {
                    let message = format!("Created pod: {}", created.name_any());
                    record_event(client, K::COMPONENT, rs, false, "SuccessfulCreate", &message).await;
                }
                Err(error) => {
                    let message = status_message(&error);
                    record_event(client, K::COMPONENT, rs, true, "FailedCreate", &format!("Error creating: {message}"))
                        .await;
                    first_error.get_or_insert(message);
                }
            }
        }
        if let Some(message) = first_error {
            return Err(message);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;

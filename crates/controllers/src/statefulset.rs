//! The StatefulSet controller: pods `<sts>-0` to `<sts>-N-1` with stable names, created and removed in order
//! (OrderedReady) or all at once (Parallel); a PersistentVolumeClaim per volume claim template and ordinal
//! (`<claim>-<sts>-<ordinal>`, created only: nothing provisions volumes yet) with the retention policy;
//! RollingUpdate from the highest ordinal down to the partition, or OnDelete; ControllerRevisions; and the
//! StatefulSet's status.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod, PodTemplateSpec, Volume,
};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use serde_json::json;

use crate::batch_support::revisions::{self, HASH_LABEL};
use crate::batch_support::{
    Clock, ReconcileError, controller_ref, ignore_not_found, is_available, is_conflict, is_controlled_by, is_ready,
    is_terminating, pod_phase, record_event, retry_later,
};

const COMPONENT: &str = "statefulset-controller";
/// The label holding a StatefulSet pod's name.
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// The label holding a StatefulSet pod's ordinal.
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

struct Context {
    client: kube::Client,
    clock: Clock,
}

/// Runs the StatefulSet controller until the task is dropped.
pub async fn run(client: kube::Client, clock: Clock) {
    let context = Arc::new(Context { client: client.clone(), clock });
    Controller::new(Api::<StatefulSet>::all(client.clone()), watcher::Config::default())
        .owns(Api::<Pod>::all(client), watcher::Config::default())
        .run(reconcile, retry_later, context)
        .for_each(|_| async {})
        .await;
}

/// What the controller knows about the pod at one ordinal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrdinalPod {
    /// The pod's ordinal.
    pub ordinal: i32,
    /// Whether its revision is the update revision.
    pub updated: bool,
    /// Whether it is running and ready.
    pub ready: bool,
    /// Whether it is being deleted.
    pub terminating: bool,
    /// Whether it failed (or succeeded: a StatefulSet pod never should finish).
    pub finished: bool,
}

/// One step of the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Create the pod at this ordinal.
    Create(i32),
    /// Delete the pod at this ordinal.
    Delete(i32),
}

/// The steps to take now: create missing and replace finished pods in `0..replicas`, remove pods at higher
/// ordinals from the highest down, then roll pods at `partition` and above to the update revision from the
/// highest down. OrderedReady (`parallel` false) takes one step at a time and waits for readiness in between.
pub fn plan(replicas: i32, parallel: bool, rolling: bool, partition: i32, pods: &[OrdinalPod]) -> Vec<Step> {
    let by_ordinal: BTreeMap<i32, &OrdinalPod> = pods.iter().map(|p| (p.ordinal, p)).collect();
    let mut steps = Vec::new();
    for ordinal in 0..replicas.max(0) {
        match by_ordinal.get(&ordinal) {
            None => steps.push(Step::Create(ordinal)),
            Some(pod) if pod.finished && !pod.terminating => steps.push(Step::Delete(ordinal)),
            Some(pod) if pod.ready && !pod.terminating => continue,
            Some(_) => {}
        }
        if !parallel {
            return steps;
        }
    }
    let condemned: Vec<&OrdinalPod> = by_ordinal.range(replicas.max(0)..).rev().map(|(_, p)| *p).collect();
    for pod in condemned {
        if pod.terminating {
            if !parallel {
                return steps;
            }
            continue;
        }
        steps.push(Step::Delete(pod.ordinal));
        if !parallel {
            return steps;
        }
    }
    if !steps.is_empty() || !rolling {
        return steps;
    }
    let all_ready = (0..replicas).all(|o| by_ordinal.get(&o).is_some_and(|p| p.ready && !p.terminating));
    if !all_ready {
        return steps;
    }
    if let Some(pod) = (partition.max(0)..replicas).rev().filter_map(|o| by_ordinal.get(&o)).find(|p| !p.updated) {
        steps.push(Step::Delete(pod.ordinal));
    }
    steps
}

fn ordinal_of(sts: &str, pod: &Pod) -> Option<i32> {
    let name = pod.metadata.name.as_deref()?;
    let suffix = name.strip_prefix(sts)?.strip_prefix('-')?;
    let ordinal: i32 = suffix.parse().ok()?;
    (ordinal >= 0 && ordinal.to_string() == suffix).then_some(ordinal)
}

/// The name of the claim for `template` at `ordinal`.
pub fn claim_name(template: &str, sts: &str, ordinal: i32) -> String {
    format!("{template}-{sts}-{ordinal}")
}

fn pod_for(sts: &StatefulSet, ordinal: i32, template: &PodTemplateSpec, hash: &str) -> Pod {
    let name = format!("{}-{ordinal}", sts.name_any());
    let mut pod =
        Pod { metadata: template.metadata.clone().unwrap_or_default(), spec: template.spec.clone(), status: None };
    pod.metadata.name = Some(name.clone());
    pod.metadata.generate_name = None;
    pod.metadata.namespace = sts.namespace();
    let labels = pod.metadata.labels.get_or_insert_default();
    labels.insert(POD_NAME_LABEL.to_owned(), name.clone());
    labels.insert(POD_INDEX_LABEL.to_owned(), ordinal.to_string());
    labels.insert(HASH_LABEL.to_owned(), hash.to_owned());
    pod.metadata.owner_references = Some(vec![controller_ref(sts)]);
    let spec = pod.spec.get_or_insert_default();
    spec.hostname = Some(name.clone());
    if let Some(service) = sts.spec.as_ref().and_then(|s| s.service_name.clone()).filter(|s| !s.is_empty()) {
        spec.subdomain = Some(service);
    }
    for claim in sts.spec.as_ref().and_then(|s| s.volume_claim_templates.as_ref()).into_iter().flatten() {
        let claim_template = claim.metadata.name.clone().unwrap_or_default();
        let volumes = spec.volumes.get_or_insert_default();
        volumes.retain(|v| v.name != claim_template);
        volumes.push(Volume {
            name: claim_template.clone(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim_name(&claim_template, &sts.name_any(), ordinal),
                read_only: None,
            }),
            ..Volume::default()
        });
    }
    pod
}

async fn ensure_claims(client: &kube::Client, sts: &StatefulSet, ordinal: i32) -> Result<(), ReconcileError> {
    let namespace = sts.namespace().unwrap_or_default();
    let api: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &namespace);
    let spec = sts.spec.as_ref();
    let delete_with_set =
        spec.and_then(|s| s.persistent_volume_claim_retention_policy.as_ref()).and_then(|p| p.when_deleted.as_deref())
            == Some("Delete");
    for template in spec.and_then(|s| s.volume_claim_templates.as_ref()).into_iter().flatten() {
        let name = claim_name(template.metadata.name.as_deref().unwrap_or_default(), &sts.name_any(), ordinal);
        let mut claim = PersistentVolumeClaim { spec: template.spec.clone(), ..PersistentVolumeClaim::default() };
        claim.metadata.name = Some(name);
        claim.metadata.namespace = Some(namespace.clone());
        let mut labels = template.metadata.labels.clone().unwrap_or_default();
        labels.extend(spec.and_then(|s| s.selector.match_labels.clone()).unwrap_or_default());
        claim.metadata.labels = Some(labels);
        if delete_with_set {
            let mut owner = controller_ref(sts);
            owner.controller = None;
            claim.metadata.owner_references = Some(vec![owner]);
        }
        match api.create(&PostParams::default(), &claim).await {
            Err(error) if is_conflict(&error) => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}

async fn reconcile(sts: Arc<StatefulSet>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let client = &context.client;
    let Some(spec) = sts.spec.clone() else { return Ok(Action::await_change()) };
    if sts.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = sts.namespace().unwrap_or_default();
    let name = sts.name_any();
    let uid = sts.uid().unwrap_or_default();
    let now = context.clock.now();
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let pods: Vec<Pod> =
        pods_api.list(&ListParams::default()).await?.items.into_iter().filter(|p| is_controlled_by(p, &uid)).collect();
    let live: BTreeSet<String> = pods.iter().filter_map(|p| p.labels().get(HASH_LABEL).cloned()).collect();
    let status = sts.status.clone().unwrap_or_default();
    let (update_hash, revisions) = revisions::sync(
        client,
        sts.as_ref(),
        &spec.template,
        status.collision_count.unwrap_or(0),
        spec.revision_history_limit.unwrap_or(10),
        &live,
    )
    .await?;
    let update_revision = format!("{name}-{update_hash}");
    let current_revision = status
        .current_revision
        .clone()
        .filter(|r| revisions.iter().any(|rev| &rev.name_any() == r))
        .unwrap_or_else(|| update_revision.clone());
    let current_template = revisions
        .iter()
        .find(|r| r.name_any() == current_revision)
        .and_then(revisions::template_of)
        .unwrap_or_else(|| spec.template.clone());
    let current_hash = current_revision.strip_prefix(&format!("{name}-")).unwrap_or_default().to_owned();

    let replicas = spec.replicas.unwrap_or(1);
    let parallel = spec.pod_management_policy.as_deref() == Some("Parallel");
    let strategy = spec.update_strategy.clone().unwrap_or_default();
    let rolling = strategy.type_.as_deref().unwrap_or("RollingUpdate") == "RollingUpdate";
    let partition = strategy.rolling_update.and_then(|r| r.partition).unwrap_or(0);
    let by_ordinal: BTreeMap<i32, &Pod> = pods.iter().filter_map(|p| Some((ordinal_of(&name, p)?, p))).collect();
    let views: Vec<OrdinalPod> = by_ordinal
        .iter()
        .map(|(ordinal, pod)| OrdinalPod {
            ordinal: *ordinal,
            updated: pod.labels().get(HASH_LABEL) == Some(&update_hash),
            ready: pod_phase(pod) == "Running" && is_ready(pod),
            terminating: is_terminating(pod),
            finished: matches!(pod_phase(pod), "Failed" | "Succeeded"),
        })
        .collect();
    for step in plan(replicas, parallel, rolling, partition, &views) {
        match step {
            Step::Create(ordinal) => {
                ensure_claims(client, &sts, ordinal).await?;
                let (template, hash) = if ordinal < partition && current_hash != update_hash && rolling {
                    (&current_template, current_hash.as_str())
                } else {
                    (&spec.template, update_hash.as_str())
                };
                let pod = pod_for(&sts, ordinal, template, hash);
                match pods_api.create(&PostParams::default(), &pod).await {
                    Ok(created) => {
                        let message = format!("create Pod {} in StatefulSet {name} successful", created.name_any());
                        record_event(client, COMPONENT, sts.as_ref(), false, "SuccessfulCreate", &message).await;
                    }
                    Err(error) if is_conflict(&error) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            Step::Delete(ordinal) => {
                let pod_name = format!("{name}-{ordinal}");
                ignore_not_found(pods_api.delete(&pod_name, &DeleteParams::default()).await)?;
                let message = format!("delete Pod {pod_name} in StatefulSet {name} successful");
                record_event(client, COMPONENT, sts.as_ref(), false, "SuccessfulDelete", &message).await;
                let scaled_away = ordinal >= replicas;
                let delete_claims =
                    spec.persistent_volume_claim_retention_policy.as_ref().and_then(|p| p.when_scaled.as_deref())
                        == Some("Delete");
                if scaled_away && delete_claims {
                    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &namespace);
                    for template in spec.volume_claim_templates.iter().flatten() {
                        let claim = claim_name(template.metadata.name.as_deref().unwrap_or_default(), &name, ordinal);
                        ignore_not_found(claims.delete(&claim, &DeleteParams::default()).await)?;
                    }
                }
            }
        }
    }

    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let counted: Vec<&Pod> = by_ordinal.values().copied().filter(|p| !is_terminating(p)).collect();
    let count = |f: &dyn Fn(&Pod) -> bool| i32::try_from(counted.iter().filter(|p| f(p)).count()).unwrap_or(0);
    let ready = count(&|p| is_ready(p));
    let available = count(&|p| is_available(p, min_ready, now));
    let updated = count(&|p| p.labels().get(HASH_LABEL) == Some(&update_hash));
    let mut current = count(&|p| p.labels().get(HASH_LABEL) == Some(&current_hash));
    let mut new_current = current_revision.clone();
    let total = i32::try_from(counted.len()).unwrap_or(0);
    if updated == replicas && total == replicas && ready == replicas {
        new_current = update_revision.clone();
        current = updated;
    }
    let patch = json!({"status": {
        "replicas": total,
        "readyReplicas": ready,
        "availableReplicas": available,
        "currentReplicas": current,
        "updatedReplicas": updated,
        "currentRevision": new_current,
        "updateRevision": update_revision,
        "observedGeneration": sts.metadata.generation,
        "collisionCount": status.collision_count.unwrap_or(0),
    }});
    let api: Api<StatefulSet> = Api::namespaced(client.clone(), &namespace);
    api.patch_status(&name, &PatchParams::default(), &Patch::Merge(patch)).await?;
    let waiting_for_min_ready = ready > available;
    Ok(if waiting_for_min_ready { Action::requeue(Duration::from_secs(1)) } else { Action::await_change() })
}

#[cfg(test)]
mod tests;

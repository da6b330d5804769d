//! The Deployment controller: a ReplicaSet per pod template (`<deployment>-<pod-template-hash>`), numbered by the
//! `deployment.kubernetes.io/revision` annotation so `kubectl rollout history` and `undo` work; RollingUpdate
//! within maxSurge and maxUnavailable, Recreate, pausing, proportional scaling during a rollout, cleanup of old
//! ReplicaSets beyond `revisionHistoryLimit`, and the status with the `Progressing` and `Available`
//! conditions of kube-controller-manager's deployment controller.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use serde_json::json;

use crate::batch_support::{
    ReconcileError, controller_ref, ignore_not_found, is_conflict, is_not_found, is_terminal, record_event,
    retry_later, scaled_value, stable_hash,
};
use crate::replicaset::{controller_of, selects, set_controller};

const COMPONENT: &str = "deployment-controller";
/// The label that tells a Deployment's ReplicaSets (and their pods) apart.
pub const HASH_LABEL: &str = "pod-template-hash";
/// The revision of a ReplicaSet (and of its Deployment's newest one).
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// The revisions a reused ReplicaSet had before.
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
/// The Deployment's replicas when the ReplicaSet was last scaled.
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
/// The Deployment's replicas plus maxSurge when the ReplicaSet was last scaled.
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
/// Deployment annotations that are not copied onto its ReplicaSets.
const SKIPPED_ANNOTATIONS: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
];

struct Context {
    client: kube::Client,
}

/// Runs the Deployment controller until the task is dropped.
pub async fn run(client: kube::Client) {
    let context = Arc::new(Context { client: client.clone() });
    let controller = Controller::new(Api::<Deployment>::all(client.clone()), watcher::Config::default());
    let deployments = controller.store();
    let deployments_selecting_orphan = move |rs: ReplicaSet| {
        if controller_of(&rs).is_some() {
            return Vec::new();
        }
        deployments
            .state()
            .into_iter()
            .filter(|d| d.namespace() == rs.namespace() && selects(d.spec.as_ref().map(|s| &s.selector), &rs))
            .map(|d| ObjectRef::from_obj(d.as_ref()))
            .collect::<Vec<_>>()
    };
    controller
        .owns(Api::<ReplicaSet>::all(client.clone()), watcher::Config::default())
        .watches(Api::<ReplicaSet>::all(client), watcher::Config::default(), deployments_selecting_orphan)
        .run(reconcile, retry_later, context)
        .for_each(|_| async {})
        .await;
}

/// maxSurge and maxUnavailable as numbers for `replicas`: surge rounds up, unavailable rounds down, and when
/// both come to zero one pod may be unavailable.
pub fn resolve_fenceposts(
    max_surge: Option<&k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>,
    max_unavailable: Option<&k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>,
    replicas: i32,
) -> (i32, i32) {
    let surge = scaled_value(max_surge, replicas, true, 0);
    let unavailable = scaled_value(max_unavailable, replicas, false, 0);
    if surge == 0 && unavailable == 0 { (0, 1) } else { (surge, unavailable) }
}

fn replicas_of(d: &Deployment) -> i32 {
    d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1).max(0)
}

fn is_rolling(d: &Deployment) -> bool {
    d.spec.as_ref().and_then(|s| s.strategy.as_ref()).and_then(|s| s.type_.as_deref()).unwrap_or("RollingUpdate")
        != "Recreate"
}

fn fenceposts(d: &Deployment) -> (i32, i32) {
    let rolling = d.spec.as_ref().and_then(|s| s.strategy.as_ref()).and_then(|s| s.rolling_update.as_ref());
    let default = k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("25%".to_owned());
    let surge = rolling.map_or(Some(&default), |r| r.max_surge.as_ref());
    let unavailable = rolling.map_or(Some(&default), |r| r.max_unavailable.as_ref());
    resolve_fenceposts(surge, unavailable, replicas_of(d))
}

/// How many more pods than desired a rollout may run.
pub fn max_surge(d: &Deployment) -> i32 {
    if is_rolling(d) { fenceposts(d).0 } else { 0 }
}

/// How many desired pods may be unavailable during a rollout.
pub fn max_unavailable(d: &Deployment) -> i32 {
    let replicas = replicas_of(d);
    if !is_rolling(d) || replicas == 0 {
        return 0;
    }
    fenceposts(d).1.min(replicas)
}

fn spec_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

fn annotation_int(rs: &ReplicaSet, key: &str) -> Option<i64> {
    rs.annotations().get(key).and_then(|v| v.parse().ok())
}

/// A ReplicaSet's revision, 0 without one.
pub fn revision_of(rs: &ReplicaSet) -> i64 {
    annotation_int(rs, REVISION).unwrap_or(0)
}

fn status_of(rs: &ReplicaSet) -> (i32, i32, i32) {
    let status = rs.status.clone().unwrap_or_default();
    (status.replicas, status.ready_replicas.unwrap_or(0), status.available_replicas.unwrap_or(0))
}

/// The available pods of ReplicaSets, each counted at most up to its size: one just scaled down may still report
/// the pods it had as available until its controller writes its status, and counting those would let a second
/// scale-down step take the same pods again and go below minAvailable.
fn available_within_size(sets: &[ReplicaSet]) -> i32 {
    sets.iter().map(|rs| status_of(rs).2.min(spec_replicas(rs))).sum()
}

/// Whether two templates are the same but for the `pod-template-hash` label.
pub fn equal_ignoring_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let strip = |template: &PodTemplateSpec| {
        let mut template = template.clone();
        if let Some(metadata) = template.metadata.as_mut() {
            if let Some(labels) = metadata.labels.as_mut() {
                labels.remove(HASH_LABEL);
                if labels.is_empty() {
                    metadata.labels = None;
                }
            }
            if metadata == &Default::default() {
                template.metadata = None;
            }
        }
        serde_json::to_value(template).unwrap_or_default()
    };
    strip(a) == strip(b)
}

/// The `pod-template-hash` of a template with the Deployment's collision count.
pub fn template_hash(template: &PodTemplateSpec, collision_count: i32) -> String {
    stable_hash(&serde_json::to_value(template).unwrap_or_default(), collision_count)
}

/// One ReplicaSet as proportional scaling sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleInput {
    /// Its `spec.replicas`.
    pub replicas: i32,
    /// Its `max-replicas` annotation.
    pub max_replicas: Option<i32>,
    /// When it was created.
    pub created: Option<Timestamp>,
}

/// The new sizes of the active ReplicaSets `sets` when a Deployment of `replicas` (with `surge`) is scaled in the
/// middle of a rollout: each gets its share of the change, the biggest the leftovers. `status_replicas` stands in
/// for a missing `max-replicas` annotation.
pub fn proportional_sizes(replicas: i32, surge: i32, status_replicas: i32, sets: &[ScaleInput]) -> Vec<i32> {
    let allowed = if replicas > 0 { replicas + surge } else { 0 };
    let current: i32 = sets.iter().map(|s| s.replicas).sum();
    let to_add = allowed - current;
    let mut order: Vec<usize> = (0..sets.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&sets[a], &sets[b]);
        let by_size = b.replicas.cmp(&a.replicas);
        let by_age = if to_add > 0 { b.created.cmp(&a.created) } else { a.created.cmp(&b.created) };
        by_size.then(by_age)
    });
    let mut sizes: Vec<i32> = sets.iter().map(|s| s.replicas).collect();
    if to_add == 0 {
        return sizes;
    }
    let mut added = 0;
    for &index in &order {
        let set = &sets[index];
        if set.replicas == 0 || to_add == added {
            continue;
        }
        let fraction = if replicas == 0 {
            -set.replicas
        } else {
            let annotated = set.max_replicas.unwrap_or(status_replicas);
            if annotated == 0 {
                0
            } else {
                let scaled = f64::from(set.replicas) * f64::from(replicas + surge) / f64::from(annotated);
                scaled.round() as i32 - set.replicas
            }
        };
        let allowed_here = to_add - added;
        let proportion = if to_add > 0 { fraction.min(allowed_here) } else { fraction.max(allowed_here) };
        sizes[index] += proportion;
        added += proportion;
    }
    if let Some(&first) = order.first() {
        sizes[first] = (sizes[first] + to_add - added).max(0);
    }
    sizes
}

fn condition(type_: &str, status: &str, reason: &str, message: String, now: Timestamp) -> DeploymentCondition {
    DeploymentCondition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: Some(reason.to_owned()),
        message: Some(message),
        last_update_time: Some(Time(now)),
        last_transition_time: Some(Time(now)),
    }
}

fn get_condition<'a>(conditions: &'a [DeploymentCondition], type_: &str) -> Option<&'a DeploymentCondition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Sets a condition; one of the same status and reason is kept as it is, and the transition time survives a
/// change that keeps the status.
fn set_condition(conditions: &mut Vec<DeploymentCondition>, mut new: DeploymentCondition) {
    if let Some(current) = conditions.iter().find(|c| c.type_ == new.type_) {
        if current.status == new.status && current.reason == new.reason {
            return;
        }
        if current.status == new.status {
            new.last_transition_time = current.last_transition_time.clone();
        }
    }
    conditions.retain(|c| c.type_ != new.type_);
    conditions.push(new);
}

fn progress_deadline(d: &Deployment) -> Option<i32> {
    d.spec.as_ref().and_then(|s| s.progress_deadline_seconds).filter(|s| *s != i32::MAX)
}

/// The Deployment's status computed from its ReplicaSets, with its conditions carried over and `Available` set.
fn calculate_status(d: &Deployment, all: &[&ReplicaSet], new: Option<&ReplicaSet>, now: Timestamp) -> DeploymentStatus {
    let available: i32 = all.iter().map(|rs| status_of(rs).2).sum();
    let total: i32 = all.iter().map(|rs| spec_replicas(rs)).sum();
    let old = d.status.clone().unwrap_or_default();
    let mut status = DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: Some(all.iter().map(|rs| status_of(rs).0).sum()),
        updated_replicas: Some(new.map_or(0, |rs| status_of(rs).0)),
        ready_replicas: Some(all.iter().map(|rs| status_of(rs).1).sum()),
        available_replicas: Some(available),
        unavailable_replicas: Some((total - available).max(0)),
        collision_count: old.collision_count,
        conditions: old.conditions.clone(),
        terminating_replicas: None,
    };
    let conditions = status.conditions.get_or_insert_default();
    if available >= replicas_of(d) - max_unavailable(d) {
        let message = "Deployment has minimum availability.".to_owned();
        set_condition(conditions, condition("Available", "True", "MinimumReplicasAvailable", message, now));
    } else {
        let message = "Deployment does not have minimum availability.".to_owned();
        set_condition(conditions, condition("Available", "False", "MinimumReplicasUnavailable", message, now));
    }
    status
}

fn is_complete(d: &Deployment, status: &DeploymentStatus) -> bool {
    let replicas = replicas_of(d);
    status.updated_replicas == Some(replicas)
        && status.replicas == Some(replicas)
        && status.available_replicas == Some(replicas)
        && status.observed_generation >= d.metadata.generation
}

fn made_progress(old: &DeploymentStatus, new: &DeploymentStatus) -> bool {
    let get = |v: Option<i32>| v.unwrap_or(0);
    let old_old = get(old.replicas) - get(old.updated_replicas);
    let new_old = get(new.replicas) - get(new.updated_replicas);
    get(new.updated_replicas) > get(old.updated_replicas)
        || new_old < old_old
        || get(new.ready_replicas) > get(old.ready_replicas)
        || get(new.available_replicas) > get(old.available_replicas)
}

fn timed_out(d: &Deployment, status: &DeploymentStatus, now: Timestamp) -> bool {
    let Some(deadline) = progress_deadline(d) else { return false };
    let Some(progressing) = get_condition(status.conditions.as_deref().unwrap_or_default(), "Progressing") else {
        return false;
    };
    match progressing.reason.as_deref() {
        Some("NewReplicaSetAvailable") => false,
        Some("ProgressDeadlineExceeded") => true,
        _ => {
            let from = progressing.last_update_time.as_ref().map_or(now, |t| t.0);
            from.as_second() + i64::from(deadline) < now.as_second()
        }
    }
}

/// One reconcile's view: the Deployment and its ReplicaSets, changed in place as the controller scales them.
struct Sync<'a> {
    client: &'a kube::Client,
    d: &'a Deployment,
    sets: Api<ReplicaSet>,
    now: Timestamp,
    /// Every ReplicaSet the Deployment controls, oldest first.
    owned: Vec<ReplicaSet>,
    /// The index in `owned` of the ReplicaSet whose template is the Deployment's.
    new: Option<usize>,
    /// Conditions set along the way (created or found the new ReplicaSet).
    conditions: Vec<DeploymentCondition>,
}

impl Sync<'_> {
    fn old_indexes(&self) -> Vec<usize> {
        (0..self.owned.len()).filter(|i| Some(*i) != self.new).collect()
    }

    fn template(&self) -> PodTemplateSpec {
        self.d.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default()
    }

    /// Finds the new ReplicaSet (creating it when `create`) and brings the revision annotations up to date.
    async fn sync_revision(&mut self, create: bool) -> Result<(), ReconcileError> {
        let template = self.template();
        self.new = self.owned.iter().position(|rs| {
            rs.spec.as_ref().and_then(|s| s.template.as_ref()).is_some_and(|t| equal_ignoring_hash(t, &template))
        });
        let max_old = self.old_indexes().iter().map(|&i| revision_of(&self.owned[i])).max().unwrap_or(0);
        let new_revision = max_old + 1;
        match self.new {
            Some(index) => {
                let rs = &self.owned[index];
                let mut annotations = rs.annotations().clone();
                let changed_copy = copy_annotations(self.d, &mut annotations);
                let old_revision = annotations.get(REVISION).cloned();
                let old_number = old_revision.as_deref().and_then(|r| r.parse::<i64>().ok()).unwrap_or(0);
                let mut changed = changed_copy;
                if old_number < new_revision {
                    annotations.insert(REVISION.to_owned(), new_revision.to_string());
                    if let Some(old) = old_revision.filter(|r| !r.is_empty()) {
                        let history = match annotations.get(REVISION_HISTORY).filter(|h| !h.is_empty()) {
                            Some(history) => format!("{history},{old}"),
                            None => old,
                        };
                        annotations.insert(REVISION_HISTORY.to_owned(), history);
                    }
                    changed = true;
                }
                if changed {
                    let patch = json!({"metadata": {"annotations": annotations}});
                    let updated =
                        self.sets.patch(&rs.name_any(), &PatchParams::default(), &Patch::Merge(patch)).await?;
                    self.owned[index] = updated;
                }
                let name = self.owned[index].name_any();
                if progress_deadline(self.d).is_some() && get_condition(&self.conditions, "Progressing").is_none() {
                    let message = format!("Found new replica set \"{name}\"");
                    self.conditions.push(condition("Progressing", "True", "FoundNewReplicaSet", message, self.now));
                }
            }
            None if create => self.create_new(new_revision).await?,
            None => {}
        }
        if let Some(index) = self.new {
            let revision = self.owned[index].annotations().get(REVISION).cloned().unwrap_or_default();
            if self.d.annotations().get(REVISION) != Some(&revision) {
                let deployments: Api<Deployment> =
                    Api::namespaced(self.client.clone(), &self.d.namespace().unwrap_or_default());
                let patch = json!({"metadata": {"annotations": {REVISION: revision}}});
                deployments.patch(&self.d.name_any(), &PatchParams::default(), &Patch::Merge(patch)).await?;
            }
        }
        Ok(())
    }

    async fn create_new(&mut self, revision: i64) -> Result<(), ReconcileError> {
        let d = self.d;
        let spec = d.spec.clone().unwrap_or_default();
        let collision_count = d.status.as_ref().and_then(|s| s.collision_count).unwrap_or(0);
        let hash = template_hash(&spec.template, collision_count);
        let name = format!("{}-{hash}", d.name_any());
        let mut template = spec.template.clone();
        template
            .metadata
            .get_or_insert_default()
            .labels
            .get_or_insert_default()
            .insert(HASH_LABEL.into(), hash.clone());
        let mut selector = spec.selector.clone();
        selector.match_labels.get_or_insert_default().insert(HASH_LABEL.to_owned(), hash.clone());
        let replicas = self.new_replicas(0);
        let mut annotations = BTreeMap::new();
        copy_annotations(d, &mut annotations);
        annotations.insert(REVISION.to_owned(), revision.to_string());
        annotations.insert(DESIRED_REPLICAS.to_owned(), replicas_of(d).to_string());
        annotations.insert(MAX_REPLICAS.to_owned(), (replicas_of(d) + max_surge(d)).to_string());
        let mut rs = ReplicaSet {
            spec: Some(ReplicaSetSpec {
                replicas: Some(replicas),
                min_ready_seconds: spec.min_ready_seconds,
                selector,
                template: Some(template.clone()),
            }),
            ..ReplicaSet::default()
        };
        rs.metadata.name = Some(name.clone());
        rs.metadata.namespace = d.namespace();
        rs.metadata.labels = template.metadata.as_ref().and_then(|m| m.labels.clone());
        rs.metadata.annotations = Some(annotations);
        rs.metadata.owner_references = Some(vec![controller_ref(d)]);
        let created = match self.sets.create(&PostParams::default(), &rs).await {
            Ok(created) => created,
            Err(error) if is_conflict(&error) => {
                let existing = self.sets.get(&name).await?;
                let ours = controller_of(&existing).is_some_and(|o| Some(&o.uid) == d.metadata.uid.as_ref());
                let same = existing
                    .spec
                    .as_ref()
                    .and_then(|s| s.template.as_ref())
                    .is_some_and(|t| equal_ignoring_hash(t, &spec.template));
                if ours && same {
                    self.owned.push(existing);
                    self.new = Some(self.owned.len() - 1);
                    return Ok(());
                }
                // A hash collision: the next try hashes with a higher collision count.
                let deployments: Api<Deployment> =
                    Api::namespaced(self.client.clone(), &d.namespace().unwrap_or_default());
                let patch = json!({"status": {"collisionCount": collision_count + 1}});
                deployments.patch_status(&d.name_any(), &PatchParams::default(), &Patch::Merge(patch)).await?;
                return Err(error.into());
            }
            Err(error) => return Err(error.into()),
        };
        if replicas > 0 {
            let message = format!("Scaled up replica set {name} from 0 to {replicas}");
            record_event(self.client, COMPONENT, d, false, "ScalingReplicaSet", &message).await;
        }
        if progress_deadline(d).is_some() {
            let message = format!("Created new replica set \"{name}\"");
            self.conditions.retain(|c| c.type_ != "Progressing");
            self.conditions.push(condition("Progressing", "True", "NewReplicaSetCreated", message, self.now));
        }
        self.owned.push(created);
        self.new = Some(self.owned.len() - 1);
        Ok(())
    }

    /// The replicas the new ReplicaSet (now at `current`) should have.
    fn new_replicas(&self, current: i32) -> i32 {
        let replicas = replicas_of(self.d);
        if !is_rolling(self.d) {
            return replicas;
        }
        let pods: i32 = self.old_indexes().iter().map(|&i| spec_replicas(&self.owned[i])).sum::<i32>() + current;
        let max_total = replicas + max_surge(self.d);
        if pods >= max_total {
            return current;
        }
        current + (max_total - pods).min(replicas - current)
    }

    /// Scales one ReplicaSet and stamps the Deployment's sizes on it; returns whether its size changed.
    async fn scale(&mut self, index: usize, replicas: i32) -> Result<bool, ReconcileError> {
        let rs = &self.owned[index];
        let from = spec_replicas(rs);
        let desired = replicas_of(self.d).to_string();
        let max = (replicas_of(self.d) + max_surge(self.d)).to_string();
        let annotations = rs.annotations();
        let stale = annotations.get(DESIRED_REPLICAS) != Some(&desired) || annotations.get(MAX_REPLICAS) != Some(&max);
        if from == replicas && !stale {
            return Ok(false);
        }
        let patch = json!({
            "metadata": {"annotations": {DESIRED_REPLICAS: desired, MAX_REPLICAS: max}},
            "spec": {"replicas": replicas},
        });
        let name = rs.name_any();
        let updated = self.sets.patch(&name, &PatchParams::default(), &Patch::Merge(patch)).await?;
        self.owned[index] = updated;
        if from != replicas {
            let direction = if replicas > from { "up" } else { "down" };
            let message = format!("Scaled {direction} replica set {name} from {from} to {replicas}");
            record_event(self.client, COMPONENT, self.d, false, "ScalingReplicaSet", &message).await;
        }
        Ok(from != replicas)
    }

    fn active_indexes(&self) -> Vec<usize> {
        (0..self.owned.len()).filter(|&i| spec_replicas(&self.owned[i]) > 0).collect()
    }

    fn is_scaling_event(&self) -> bool {
        let replicas = replicas_of(self.d).to_string();
        self.active_indexes().into_iter().chain(self.new).any(|i| {
            let rs = &self.owned[i];
            rs.annotations().get(DESIRED_REPLICAS).is_some_and(|desired| desired != &replicas)
        })
    }

    /// Scales the ReplicaSets to the Deployment's replicas without rolling anything out.
    async fn scale_all(&mut self) -> Result<(), ReconcileError> {
        let replicas = replicas_of(self.d);
        let active = self.active_indexes();
        let only = match active.as_slice() {
            [] => self.new.or_else(|| self.old_indexes().last().copied()),
            [one] => Some(*one),
            _ => None,
        };
        if let Some(index) = only {
            if spec_replicas(&self.owned[index]) != replicas {
                self.scale(index, replicas).await?;
            }
            return Ok(());
        }
        if let Some(new) = self.new {
            let rs = &self.owned[new];
            let saturated = spec_replicas(rs) == replicas
                && annotation_int(rs, DESIRED_REPLICAS) == Some(i64::from(replicas))
                && status_of(rs).2 == replicas;
            if saturated {
                for index in active.into_iter().filter(|i| *i != new) {
                    self.scale(index, 0).await?;
                }
                return Ok(());
            }
        }
        if !is_rolling(self.d) {
            return Ok(());
        }
        let inputs: Vec<ScaleInput> = active
            .iter()
            .map(|&i| {
                let rs = &self.owned[i];
                ScaleInput {
                    replicas: spec_replicas(rs),
                    max_replicas: annotation_int(rs, MAX_REPLICAS).and_then(|v| i32::try_from(v).ok()),
                    created: rs.metadata.creation_timestamp.as_ref().map(|t| t.0),
                }
            })
            .collect();
        let status_replicas = self.d.status.as_ref().and_then(|s| s.replicas).unwrap_or(0);
        let sizes = proportional_sizes(replicas, max_surge(self.d), status_replicas, &inputs);
        for (index, size) in active.into_iter().zip(sizes) {
            self.scale(index, size).await?;
        }
        Ok(())
    }

    /// One step of a rolling update; returns whether something was scaled.
    async fn roll(&mut self) -> Result<(), ReconcileError> {
        self.sync_revision(true).await?;
        let Some(new) = self.new else { return Ok(()) };
        let replicas = replicas_of(self.d);
        // Scale the new ReplicaSet up within maxSurge.
        let current = spec_replicas(&self.owned[new]);
        let target = if current > replicas { replicas } else { self.new_replicas(current) };
        if target != current && self.scale(new, target).await? {
            return Ok(());
        }
        // Scale old ReplicaSets down within maxUnavailable.
        let mut olds = self.old_indexes();
        olds.sort_by_key(|&i| self.owned[i].metadata.creation_timestamp.as_ref().map(|t| t.0));
        let old_pods: i32 = olds.iter().map(|&i| spec_replicas(&self.owned[i])).sum();
        if old_pods > 0 {
            let all_pods: i32 = self.owned.iter().map(spec_replicas).sum();
            let min_available = replicas - max_unavailable(self.d);
            let new_rs = &self.owned[new];
            let new_unavailable = spec_replicas(new_rs) - status_of(new_rs).2;
            let max_scaled_down = all_pods - min_available - new_unavailable;
            if max_scaled_down > 0 {
                let mut scaled = 0;
                // Unhealthy old pods go first: they count against availability anyway.
                for &index in &olds {
                    if scaled >= max_scaled_down {
                        break;
                    }
                    let rs = &self.owned[index];
                    let unhealthy = spec_replicas(rs) - status_of(rs).2;
                    if spec_replicas(rs) == 0 || unhealthy <= 0 {
                        continue;
                    }
                    let down = (max_scaled_down - scaled).min(unhealthy);
                    let target = spec_replicas(rs) - down;
                    self.scale(index, target).await?;
                    scaled += down;
                }
                let available = available_within_size(&self.owned);
                if available > min_available {
                    let budget = available - min_available;
                    let mut taken = 0;
                    for &index in &olds {
                        if taken >= budget {
                            break;
                        }
                        let size = spec_replicas(&self.owned[index]);
                        if size == 0 {
                            continue;
                        }
                        let down = size.min(budget - taken);
                        self.scale(index, size - down).await?;
                        taken += down;
                    }
                    scaled += taken;
                }
                if scaled > 0 {
                    return Ok(());
                }
            }
        }
        if is_complete(self.d, &self.d.status.clone().unwrap_or_default()) {
            self.cleanup().await?;
        }
        Ok(())
    }

    /// One step of a Recreate rollout; returns whether to look again soon (old pods are still going away).
    async fn recreate(&mut self, pods: &[Pod]) -> Result<bool, ReconcileError> {
        self.sync_revision(false).await?;
        let mut scaled = false;
        for index in self.old_indexes() {
            if spec_replicas(&self.owned[index]) > 0 {
                scaled |= self.scale(index, 0).await?;
            }
        }
        if scaled {
            return Ok(true);
        }
        let old_uids: BTreeSet<String> =
            self.old_indexes().iter().filter_map(|&i| self.owned[i].metadata.uid.clone()).collect();
        let old_actual: i32 = self.old_indexes().iter().map(|&i| status_of(&self.owned[i]).0).sum();
        let old_running =
            pods.iter().any(|p| controller_of(p).is_some_and(|o| old_uids.contains(&o.uid)) && !is_terminal(p));
        if old_actual > 0 || old_running {
            return Ok(true);
        }
        if self.new.is_none() {
            self.sync_revision(true).await?;
        }
        if let Some(new) = self.new {
            let replicas = replicas_of(self.d);
            if spec_replicas(&self.owned[new]) != replicas {
                self.scale(new, replicas).await?;
            }
        }
        if is_complete(self.d, &self.d.status.clone().unwrap_or_default()) {
            self.cleanup().await?;
        }
        Ok(false)
    }

    /// Deletes the oldest scaled-down ReplicaSets beyond `revisionHistoryLimit`.
    async fn cleanup(&mut self) -> Result<(), ReconcileError> {
        let Some(limit) = self.d.spec.as_ref().and_then(|s| s.revision_history_limit) else { return Ok(()) };
        let mut olds: Vec<usize> =
            self.old_indexes().into_iter().filter(|&i| self.owned[i].metadata.deletion_timestamp.is_none()).collect();
        let excess = olds.len().saturating_sub(usize::try_from(limit.max(0)).unwrap_or(0));
        if excess == 0 {
            return Ok(());
        }
        olds.sort_by_key(|&i| {
            (revision_of(&self.owned[i]), self.owned[i].metadata.creation_timestamp.as_ref().map(|t| t.0))
        });
        let mut deleted = Vec::new();
        for &index in olds.iter().take(excess) {
            let rs = &self.owned[index];
            let status = rs.status.clone().unwrap_or_default();
            let settled = status.observed_generation >= rs.metadata.generation;
            if status.replicas != 0 || spec_replicas(rs) != 0 || !settled {
                continue;
            }
            ignore_not_found(self.sets.delete(&rs.name_any(), &DeleteParams::background()).await)?;
            deleted.push(index);
        }
        let new_name = self.new.map(|i| self.owned[i].name_any());
        let mut index = 0;
        self.owned.retain(|_| {
            index += 1;
            !deleted.contains(&(index - 1))
        });
        self.new = new_name.and_then(|name| self.owned.iter().position(|rs| rs.name_any() == name));
        Ok(())
    }
}

/// Copies the Deployment's annotations (but the controller's own) onto a ReplicaSet's; returns whether any changed.
fn copy_annotations(d: &Deployment, annotations: &mut BTreeMap<String, String>) -> bool {
    let mut changed = false;
    for (key, value) in d.annotations() {
        if SKIPPED_ANNOTATIONS.contains(&key.as_str()) || annotations.get(key) == Some(value) {
            continue;
        }
        annotations.insert(key.clone(), value.clone());
        changed = true;
    }
    changed
}

async fn reconcile(d: Arc<Deployment>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let client = &context.client;
    let namespace = d.namespace().unwrap_or_default();
    let uid = d.uid().unwrap_or_default();
    let Some(spec) = d.spec.clone() else { return Ok(Action::await_change()) };
    let now = Timestamp::now();
    let sets: Api<ReplicaSet> = Api::namespaced(client.clone(), &namespace);
    let deleting = d.metadata.deletion_timestamp.is_some();
    let selector_empty = spec.selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && spec.selector.match_expressions.as_ref().is_none_or(Vec::is_empty);
    if selector_empty {
        return Ok(Action::await_change());
    }

    // Claim ReplicaSets: keep ours that match, release ours that don't, adopt matching orphans.
    let mut owned = Vec::new();
    for rs in sets.list(&ListParams::default()).await?.items {
        let matches = selects(Some(&spec.selector), &rs);
        match controller_of(&rs) {
            Some(owner) if owner.uid == uid => {
                if matches {
                    owned.push(rs);
                } else if rs.metadata.deletion_timestamp.is_none() {
                    set_controller(&sets, &rs, None, &uid).await?;
                }
            }
            None if matches && !deleting && rs.metadata.deletion_timestamp.is_none() => {
                set_controller(&sets, &rs, Some(controller_ref(d.as_ref())), &uid).await?;
                owned.push(rs);
            }
            _ => {}
        }
    }
    owned.sort_by(|a, b| {
        let by_time = a
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0)
            .cmp(&b.metadata.creation_timestamp.as_ref().map(|t| t.0));
        by_time.then_with(|| a.name_any().cmp(&b.name_any()))
    });
    let conditions = d.status.as_ref().and_then(|s| s.conditions.clone()).unwrap_or_default();
    let mut sync = Sync { client, d: &d, sets, now, owned, new: None, conditions };

    if deleting {
        sync.sync_revision(false).await?;
        return write_status(&sync, false).await;
    }

    // Pausing and resuming show on the Progressing condition.
    let paused = spec.paused == Some(true);
    if progress_deadline(&d).is_some() {
        let progressing = get_condition(&sync.conditions, "Progressing");
        let timed_out = progressing.is_some_and(|c| c.reason.as_deref() == Some("ProgressDeadlineExceeded"));
        let paused_shown = progressing.is_some_and(|c| c.reason.as_deref() == Some("DeploymentPaused"));
        if !timed_out && paused && !paused_shown {
            let message = "Deployment is paused".to_owned();
            set_condition(&mut sync.conditions, condition("Progressing", "Unknown", "DeploymentPaused", message, now));
        } else if !timed_out && !paused && paused_shown {
            let message = "Deployment is resumed".to_owned();
            set_condition(&mut sync.conditions, condition("Progressing", "Unknown", "DeploymentResumed", message, now));
        }
    }

    sync.sync_revision(false).await?;
    if paused || sync.is_scaling_event() {
        sync.scale_all().await?;
        if paused {
            sync.cleanup().await?;
        }
        return write_status(&sync, false).await;
    }

    let soon = if is_rolling(&d) {
        sync.roll().await?;
        false
    } else {
        let pods = Api::<Pod>::namespaced(client.clone(), &namespace).list(&ListParams::default()).await?.items;
        sync.recreate(&pods).await?
    };
    let action = write_status(&sync, true).await?;
    Ok(if soon { Action::requeue(Duration::from_secs(1)) } else { action })
}

/// Writes the Deployment's status if it changed; with `rollout`, the Progressing condition follows the rollout
/// and the deployment is looked at again when its progress deadline would pass.
async fn write_status(sync: &Sync<'_>, rollout: bool) -> Result<Action, ReconcileError> {
    let d = sync.d;
    let now = sync.now;
    let all: Vec<&ReplicaSet> = sync.owned.iter().collect();
    let new = sync.new.map(|i| &sync.owned[i]);
    let mut with_conditions = d.clone();
    with_conditions.status.get_or_insert_default().conditions = Some(sync.conditions.clone());
    let mut status = calculate_status(&with_conditions, &all, new, now);
    let old = d.status.clone().unwrap_or_default();
    let mut requeue = None;
    if rollout {
        let conditions = status.conditions.get_or_insert_default();
        if progress_deadline(d).is_none() {
            conditions.retain(|c| c.type_ != "Progressing");
        }
        let current = get_condition(conditions, "Progressing").cloned();
        let complete_shown = status.replicas == status.updated_replicas
            && current.as_ref().is_some_and(|c| c.reason.as_deref() == Some("NewReplicaSetAvailable"));
        if progress_deadline(d).is_some() && !complete_shown {
            let subject = match new {
                Some(rs) => format!("ReplicaSet \"{}\"", rs.name_any()),
                None => format!("Deployment \"{}\"", d.name_any()),
            };
            if is_complete(d, &status) {
                let message = format!("{subject} has successfully progressed.");
                let mut fresh = condition("Progressing", "True", "NewReplicaSetAvailable", message, now);
                if let Some(current) = current.as_ref().filter(|c| c.status == "True") {
                    fresh.last_transition_time = current.last_transition_time.clone();
                }
                let conditions = status.conditions.get_or_insert_default();
                conditions.retain(|c| c.type_ != "Progressing");
                conditions.push(fresh);
            } else if made_progress(&old, &status) {
                let message = format!("{subject} is progressing.");
                let mut fresh = condition("Progressing", "True", "ReplicaSetUpdated", message, now);
                if let Some(current) = current.as_ref().filter(|c| c.status == "True") {
                    fresh.last_transition_time = current.last_transition_time.clone();
                }
                let conditions = status.conditions.get_or_insert_default();
                conditions.retain(|c| c.type_ != "Progressing");
                conditions.push(fresh);
            } else if timed_out(d, &status, now) {
                let message = format!("{subject} has timed out progressing.");
                let conditions = status.conditions.get_or_insert_default();
                set_condition(conditions, condition("Progressing", "False", "ProgressDeadlineExceeded", message, now));
            }
        }
        let failure = new
            .into_iter()
            .chain(all.iter().copied())
            .find_map(|rs| rs.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == "ReplicaFailure"))
            .cloned();
        let complete = is_complete(d, &status);
        let conditions = status.conditions.get_or_insert_default();
        match failure {
            Some(failure) => set_condition(
                conditions,
                DeploymentCondition {
                    type_: failure.type_,
                    status: failure.status,
                    reason: failure.reason,
                    message: failure.message,
                    last_update_time: failure.last_transition_time.clone(),
                    last_transition_time: failure.last_transition_time,
                },
            ),
            None => conditions.retain(|c| c.type_ != "ReplicaFailure"),
        }
        // A rollout still in progress is looked at again when its deadline would pass.
        let progressing = get_condition(conditions, "Progressing");
        if let (Some(deadline), Some(progressing)) = (progress_deadline(d), progressing)
            && !complete
            && progressing.reason.as_deref() != Some("ProgressDeadlineExceeded")
        {
            let from = progressing.last_update_time.as_ref().map_or(now, |t| t.0);
            let left = from.as_second() + i64::from(deadline) + 1 - now.as_second();
            requeue = Some(Duration::from_secs(u64::try_from(left.max(1)).unwrap_or(1)));
        }
    }
    if status.conditions.as_ref().is_some_and(Vec::is_empty) {
        status.conditions = None;
    }
    let unchanged = serde_json::to_value(&status).ok() == serde_json::to_value(&old).ok();
    if !unchanged {
        let deployments: Api<Deployment> = Api::namespaced(sync.client.clone(), &d.namespace().unwrap_or_default());
        let mut patch = json!({"status": status});
        if status.conditions.is_none() {
            patch["status"]["conditions"] = serde_json::Value::Null;
        }
        match deployments.patch_status(&d.name_any(), &PatchParams::default(), &Patch::Merge(patch)).await {
            Err(error) if is_not_found(&error) => return Ok(Action::await_change()),
            other => {
                other?;
            }
        }
    }
    Ok(requeue.map(Action::requeue).unwrap_or_else(Action::await_change))
}

#[cfg(test)]
mod tests;

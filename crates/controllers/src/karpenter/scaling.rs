//! The I/O half of provisioning and disruption ([`super::provisioning`] and [`super::disruption`] decide): which
//! pods are pending for Karpenter, the batch window, the NodeClaims a plan makes with their events, and the
//! NodeClaims expiration, emptiness and consolidation delete.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::ResourceExt;
use kube::api::{Api, PostParams};
use scheduler::{Snapshot, pod_key};
use serde_json::json;

use super::conditions;
use super::disruption::{self, Candidate, Reason};
use super::provisioning::{self, PoolInput, Remaining};
use super::requirements::{Allowed, INSTANCE_TYPE};
use super::{
    GROUP, NODEPOOL_HASH_ANNOTATION, NODEPOOL_LABEL, NodeClaim, NodePool, Round, State, TERMINATION_FINALIZER,
    class_kind, lifecycle, pool_spec, quantity,
};
use crate::batch_support::stable_hash;

/// How long a nomination to a claim the caches have not seen yet holds.
const NOMINATION_GRACE_SECONDS: i64 = 30;
/// Most instance types a NodeClaim's requirements list (upstream's `MaxInstanceTypes`).
const MAX_INSTANCE_TYPES: usize = 60;

fn owned_by_daemon_set(pod: &Pod) -> bool {
    pod.metadata.owner_references.iter().flatten().any(|o| o.kind == "DaemonSet")
}

fn is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

impl Round<'_> {
    /// The scheduler's view of the cluster's nodes and bound pods.
    fn snapshot(&self) -> Snapshot {
        let mut snapshot = Snapshot::new();
        for node in &self.nodes {
            snapshot.upsert_node(node);
        }
        for pod in &self.pods {
            let bound = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty());
            if bound && !crate::batch_support::is_terminal(pod) {
                snapshot.add_pod(pod);
            }
        }
        snapshot
    }

    /// Pods waiting for a node that Karpenter provisions for.
    fn pending(&self, state: &State) -> Vec<Arc<Pod>> {
        let live: BTreeMap<String, &Arc<NodeClaim>> =
            self.claims.iter().filter(|c| c.metadata.deletion_timestamp.is_none()).map(|c| (c.name_any(), c)).collect();
        self.pods
            .iter()
            .filter(|pod| crate::cluster_autoscaler::unschedulable(pod) && !owned_by_daemon_set(pod))
            .filter(|pod| {
                // Nominated to a claim whose node is not ready for it yet (or so new the cache has not seen it).
                let waiting = state.nominated.get(&pod_key(pod)).is_some_and(|(claim, at)| match live.get(claim) {
                    Some(claim) => !conditions::is_true(&claim.status["conditions"], "Initialized"),
                    None => self.seconds() - at < NOMINATION_GRACE_SECONDS,
                });
                !waiting
            })
            .cloned()
            .collect()
    }

    /// Runs the batch window and, when it closes, plans and creates NodeClaims; returns how soon to look again.
    pub(super) async fn provision(&self, state: &mut State) -> Duration {
        let live: BTreeSet<String> = self.claims.iter().map(|c| c.name_any()).collect();
        let now_seconds = self.seconds();
        state.nominated.retain(|_, (claim, at)| live.contains(claim) || now_seconds - *at < NOMINATION_GRACE_SECONDS);
        let pending = self.pending(state);
        let keys: BTreeSet<String> = pending.iter().map(|p| pod_key(p)).collect();
        state.told.retain(|key, _| keys.contains(key));
        let now = self.now.as_nanosecond() as f64 / 1e9;
        state.batch.observe(&keys, now);
        let Some(closes) = state.batch.closes_at(self.settings.batch_idle, self.settings.batch_max) else {
            return Duration::from_secs(60);
        };
        if closes > now {
            return Duration::from_secs_f64(closes - now);
        }
        state.batch.close();
        if pending.is_empty() {
            return Duration::from_secs(60);
        }
        // Pods that fit a node already there (the scheduler has not retried them yet) wait for it.
        let mut snapshot = self.snapshot();
        let mut waiting: Vec<&Pod> = Vec::new();
        for pod in &pending {
            match scheduler::schedule(pod, &snapshot) {
                Ok(node) if snapshot.node(&node).is_some_and(|n| n.ready) => {
                    let mut placed = (**pod).clone();
                    placed.spec.get_or_insert_with(Default::default).node_name = Some(node);
                    snapshot.add_pod(&placed);
                }
                _ => waiting.push(pod),
            }
        }
        if waiting.is_empty() {
            return Duration::from_secs(60);
        }
        let (inputs, pools) = self.pool_inputs(state).await;
        let plan = provisioning::plan(&waiting, &inputs);
        for (index, reason) in &plan.failures {
            let pod = waiting[*index];
            let message = format!("Failed to schedule pod, {reason}");
            let key = pod_key(pod);
            let said = state.told.get(&key).is_some_and(|(m, at)| *m == message && self.seconds() - at < 300);
            if !said {
                crate::batch_support::record_event(
                    self.client,
                    super::COMPONENT,
                    pod,
                    true,
                    "FailedScheduling",
                    &message,
                )
                .await;
                state.told.insert(key, (message, self.seconds()));
            }
        }
        for claim in &plan.claims {
            let input = &inputs[claim.pool];
            let pool = &pools[claim.pool];
            let pods: Vec<&Pod> = claim.pods.iter().map(|&i| waiting[i]).collect();
            if let Some(name) = self.create_claim(pool, input, claim).await {
                for pod in pods {
                    state.nominated.insert(pod_key(pod), (name.clone(), self.seconds()));
                    let message = format!("Pod should schedule on: nodeclaim/{name}");
                    crate::batch_support::record_event(
                        self.client,
                        super::COMPONENT,
                        pod,
                        false,
                        "Nominated",
                        &message,
                    )
                    .await;
                }
            }
        }
        Duration::from_secs(60)
    }

    /// The pools provisioning may use, with their instance types, daemon pods and remaining limits.
    async fn pool_inputs(&self, state: &mut State) -> (Vec<PoolInput>, Vec<Arc<NodePool>>) {
        let daemon_pods: Vec<Pod> = self.daemon_sets.iter().filter_map(|ds| daemon_pod(ds)).collect();
        let mut inputs = Vec::new();
        let mut pools = Vec::new();
        for pool in &self.pools {
            if pool.metadata.deletion_timestamp.is_some() || !conditions::is_true(&pool.status["conditions"], "Ready") {
                continue;
            }
            let Ok(spec) = pool_spec(&pool.spec) else { continue };
            let Some(kind) = class_kind(&spec.class_ref) else { continue };
            if !self.kinds.contains(&kind) || !self.class_ready(&spec.class_ref) {
                continue;
            }
            let class_name = spec.class_ref["name"].as_str().unwrap_or_default().to_owned();
            let Some(Ok(resolved)) = state.resolved.get(&(kind, class_name.clone())).map(|r| r.result.clone()) else {
                continue;
            };
            let types = self.types_for(state, kind, &class_name).await;
            let zones = resolved.subnets.iter().filter(|s| s.available_ips > 0).map(|s| s.zone.clone()).collect();
            let mut requirements = spec.requirements.clone();
            requirements.add(NODEPOOL_LABEL, Allowed::is(&pool.name_any()));
            let limits = pool.spec.get("limits");
            let owned: Vec<&Arc<NodeClaim>> =
                self.claims.iter().filter(|c| c.labels().get(NODEPOOL_LABEL) == Some(&pool.name_any())).collect();
            let used = |resource: &str, milli: bool| -> i64 {
                owned
                    .iter()
                    .map(|c| {
                        let capacity = quantity(c.status["capacity"].get(resource), milli);
                        if capacity > 0 {
                            capacity
                        } else {
                            quantity(c.spec["resources"]["requests"].get(resource), milli)
                        }
                    })
                    .sum()
            };
            let limit =
                |resource: &str, milli: bool| limits.and_then(|l| l.get(resource)).map(|v| quantity(Some(v), milli));
            let remaining = Remaining {
                cpu_millis: limit("cpu", true).map(|l| l - used("cpu", true)),
                memory_bytes: limit("memory", false).map(|l| l - used("memory", false)),
                nodes: limit("nodes", false).map(|l| l - owned.len() as i64),
            };
            inputs.push(PoolInput {
                name: pool.name_any(),
                weight: spec.weight,
                kind,
                requirements,
                taints: spec.taints.clone(),
                types,
                zones,
                daemon_pods: daemon_pods.clone(),
                remaining,
            });
            pools.push(pool.clone());
        }
        (inputs, pools)
    }

    async fn create_claim(
        &self,
        pool: &NodePool,
        input: &PoolInput,
        planned: &provisioning::PlannedClaim,
    ) -> Option<String> {
        let spec = pool_spec(&pool.spec).ok()?;
        let template = &pool.spec["template"]["spec"];
        let mut requirements = planned.requirements.clone();
        let names: Vec<String> =
            planned.types.iter().take(MAX_INSTANCE_TYPES).map(|&t| input.types[t].name.clone()).collect();
        requirements.add(INSTANCE_TYPE, Allowed::one_of(names));
        let mut labels = spec.labels.clone();
        labels.insert(NODEPOOL_LABEL.into(), pool.name_any());
        let mut annotations = spec.annotations.clone();
        annotations.insert(NODEPOOL_HASH_ANNOTATION.into(), stable_hash(&pool.spec["template"], 0));
        annotations.insert("karpenter.sh/nodepool-hash-version".into(), "v3".into());
        let requests = &planned.requests;
        let mut claim = json!({
            "apiVersion": "karpenter.sh/v1", "kind": "NodeClaim",
            "metadata": {
                "generateName": format!("{}-", pool.name_any()),
                "labels": labels,
                "annotations": annotations,
                "finalizers": [TERMINATION_FINALIZER],
                "ownerReferences": [{ "apiVersion": format!("{GROUP}/v1"), "kind": "NodePool", "name": pool.name_any(),
                                      "uid": pool.metadata.uid, "blockOwnerDeletion": true }],
            },
            "spec": {
                "requirements": requirements.to_json(),
                "resources": { "requests": claim_requests(requests) },
                "nodeClassRef": template["nodeClassRef"],
                "expireAfter": template.get("expireAfter").cloned().unwrap_or(json!("720h")),
            },
        });
        for key in ["taints", "startupTaints", "terminationGracePeriod"] {
            if let Some(value) = template.get(key).filter(|v| !v.is_null()) {
                claim["spec"][key] = value.clone();
            }
        }
        let claim: NodeClaim = serde_json::from_value(claim).ok()?;
        let api: Api<NodeClaim> = Api::all(self.client.clone());
        match api.create(&PostParams::default(), &claim).await {
            Ok(created) => {
                let name = created.name_any();
                tracing::info!(pool = %pool.name_any(), claim = %name, pods = planned.pods.len(),
                               "karpenter: created nodeclaim");
                Some(name)
            }
            Err(error) => {
                tracing::warn!(%error, pool = %pool.name_any(), "karpenter: cannot create a NodeClaim");
                None
            }
        }
    }

    /// Expiration, emptiness and consolidation; returns how soon to look again.
    pub(super) async fn disrupt(&self, state: &mut State) -> Duration {
        let mut next = Duration::from_secs(60);
        // Expiration is forceful: budgets do not hold it back.
        for claim in self.claims.iter().filter(|c| c.metadata.deletion_timestamp.is_none()) {
            let expire = lifecycle::nillable_duration(claim.spec["expireAfter"].as_str(), "720h").ok().flatten();
            let Some(created) = claim.metadata.creation_timestamp.as_ref().map(|t| t.0) else { continue };
            let Some(at) = lifecycle::expires_at(created, expire) else { continue };
            if at <= self.seconds() {
                tracing::info!(claim = %claim.name_any(), "karpenter: nodeclaim expired");
                let api: Api<NodeClaim> = Api::all(self.client.clone());
                let _ = api.delete(&claim.name_any(), &Default::default()).await;
            } else {
                next = next.min(Duration::from_secs((at - self.seconds()) as u64));
            }
        }
        let nodes: BTreeMap<String, &Arc<Node>> = self.nodes.iter().map(|n| (n.name_any(), n)).collect();
        // A claim that pods were nominated to, and that they have not reached yet, is not empty: the scheduler is
        // about to bind them there (upstream keeps nominated nodes out of disruption the same way).
        let pending: BTreeSet<String> = self
            .pods
            .iter()
            .filter(|p| p.spec.as_ref().is_some_and(|s| s.node_name.is_none()))
            .map(|p| pod_key(p))
            .collect();
        let awaited: BTreeSet<String> = state
            .nominated
            .iter()
            .filter(|(pod, (_, at))| pending.contains(*pod) && self.seconds() - at < NOMINATION_GRACE_SECONDS)
            .map(|(_, (claim, _))| claim.clone())
            .collect();
        let mut candidates: Vec<(Candidate, String)> = Vec::new();
        for claim in &self.claims {
            if claim.metadata.deletion_timestamp.is_some()
                || !conditions::is_true(&claim.status["conditions"], "Consolidatable")
                || awaited.contains(&claim.name_any())
            {
                continue;
            }
            let Some(node) = claim.status["nodeName"].as_str().and_then(|n| nodes.get(n)) else { continue };
            if node.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let pool_name = claim.labels().get(NODEPOOL_LABEL).cloned().unwrap_or_default();
            let Some(pool) = self.pools.iter().find(|p| p.name_any() == pool_name) else { continue };
            let Ok(spec) = pool_spec(&pool.spec) else { continue };
            let pods: Vec<Pod> = self
                .pods
                .iter()
                .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node.name_any().as_str()))
                .filter(|p| !crate::drain::stays(p) && p.metadata.deletion_timestamp.is_none())
                .map(|p| (**p).clone())
                .collect();
            if let Some(message) = disruption::blocked(node.metadata.annotations.as_ref(), &pods, &self.budgets) {
                self.event(state, node.as_ref(), false, "DisruptionBlocked", &message, 900).await;
                self.event(state, claim.as_ref(), false, "DisruptionBlocked", &message, 900).await;
                continue;
            }
            let price = state
                .types
                .values()
                .flat_map(|(_, types)| types.iter())
                .find(|t| claim.labels().get(INSTANCE_TYPE) == Some(&t.name))
                .and_then(|t| t.offerings.iter().map(|o| o.price).reduce(f64::min))
                .unwrap_or(0.0);
            candidates.push((
                Candidate { claim: claim.name_any(), node: node.name_any(), pool: pool_name, pods, price },
                spec.policy,
            ));
        }
        if candidates.is_empty() {
            return next;
        }
        let mut budgets: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for pool in &self.pools {
            let owned: Vec<&Arc<NodeClaim>> =
                self.claims.iter().filter(|c| c.labels().get(NODEPOOL_LABEL) == Some(&pool.name_any())).collect();
            let deleting = owned.iter().filter(|c| c.metadata.deletion_timestamp.is_some()).count();
            budgets.insert(pool.name_any(), (owned.len(), deleting));
        }
        let allowed = |pool: &str, reason: Reason, taken: usize| -> usize {
            let Some(p) = self.pools.iter().find(|p| p.name_any() == pool) else { return 0 };
            let (total, deleting) = budgets.get(pool).copied().unwrap_or((0, 0));
            disruption::allowed(p.spec["disruption"].get("budgets"), total, deleting + taken, reason, self.now)
        };
        // Emptiness.
        let mut taken: BTreeMap<String, usize> = BTreeMap::new();
        let mut chosen: Vec<(&Candidate, Reason)> = Vec::new();
        for (candidate, _) in candidates.iter().filter(|(c, _)| c.pods.is_empty()) {
            let used = taken.get(&candidate.pool).copied().unwrap_or(0);
            if allowed(&candidate.pool, Reason::Empty, used) > 0 {
                *taken.entry(candidate.pool.clone()).or_default() += 1;
                chosen.push((candidate, Reason::Empty));
            } else if let Some(pool) = self.pools.iter().find(|p| p.name_any() == candidate.pool) {
                let message = "No allowed disruptions for disruption reason Empty due to blocking budget";
                self.event(state, pool.as_ref(), false, "DisruptionBlocked", message, 60).await;
            }
        }
        // Consolidation of underutilized nodes, when nothing empty went this round.
        if chosen.is_empty() {
            let underutilized: Vec<&Candidate> = candidates
                .iter()
                .filter(|(c, policy)| policy == "WhenEmptyOrUnderutilized" && !c.pods.is_empty())
                .map(|(c, _)| c)
                .collect();
            if !underutilized.is_empty() {
                let mut snapshot = self.snapshot();
                // Nodes going away take nothing.
                for node in self.nodes.iter().filter(|n| n.metadata.deletion_timestamp.is_some() || !is_ready(n)) {
                    snapshot.remove_node(&node.name_any());
                }
                let limit = underutilized
                    .iter()
                    .map(|c| c.pool.clone())
                    .collect::<BTreeSet<_>>()
                    .iter()
                    .map(|pool| allowed(pool, Reason::Underutilized, 0))
                    .min()
                    .unwrap_or(0);
                for candidate in disruption::consolidate(&underutilized, &snapshot, limit) {
                    chosen.push((candidate, Reason::Underutilized));
                }
            }
        }
        let api: Api<NodeClaim> = Api::all(self.client.clone());
        for (candidate, reason) in chosen {
            let title = reason.as_str();
            if let Some(node) = nodes.get(&candidate.node) {
                self.event(
                    state,
                    node.as_ref(),
                    false,
                    "DisruptionTerminating",
                    &format!("Disrupting Node: {title}"),
                    60,
                )
                .await;
            }
            if let Some(claim) = self.claims.iter().find(|c| c.name_any() == candidate.claim) {
                let message = format!("Disrupting NodeClaim: {title}");
                self.event(state, claim.as_ref(), false, "DisruptionTerminating", &message, 60).await;
            }
            tracing::info!(claim = %candidate.claim, node = %candidate.node, reason = title,
                           "karpenter: disrupting node(s)");
            if let Err(error) = api.delete(&candidate.claim, &Default::default()).await {
                tracing::debug!(%error, "karpenter: cannot delete a NodeClaim");
            }
        }
        next.min(Duration::from_secs(10))
    }
}

/// A DaemonSet's pod as it would be on a new node.
fn daemon_pod(daemon_set: &k8s_openapi::api::apps::v1::DaemonSet) -> Option<Pod> {
    let template = &daemon_set.spec.as_ref()?.template;
    let pod = json!({
        "metadata": {
            "name": daemon_set.name_any(),
            "namespace": daemon_set.namespace().unwrap_or_default(),
            "labels": template.metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default(),
        },
        "spec": template.spec,
    });
    serde_json::from_value(pod).ok()
}

/// A NodeClaim's `resources.requests`: what its pods and DaemonSets ask for, extended resources included.
fn claim_requests(requests: &scheduler::Resources) -> serde_json::Value {
    let mut list = serde_json::json!({
        "cpu": format!("{}m", requests.milli_cpu),
        "memory": requests.memory.to_string(),
        "pods": requests.pods.to_string(),
    });
    for (name, amount) in requests.scalar.iter().filter(|(_, amount)| **amount > 0) {
        list[name] = serde_json::json!(amount.to_string());
    }
    list
}

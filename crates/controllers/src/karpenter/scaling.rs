//! The I/O half of provisioning and disruption ([`super::provisioning`] and [`super::disruption`] decide): which
//! pods are pending for Karpenter, the batch window, the NodeClaims a plan makes with their events, and the
//! NodeClaims expiration, emptiness and consolidation delete.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod, Taint};
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams, PostParams};
use scheduler::{Snapshot, pod_key};
use serde_json::json;

use super::conditions;
use super::disruption::{self, Candidate, Reason};
use super::provisioning::{self, PoolInput, Remaining};
use super::requirements::{Allowed, INSTANCE_TYPE};
use super::{
    DISRUPTED_TAINT, GROUP, InFlight, NODEPOOL_LABEL, NodeClaim, NodePool, Round, State, TERMINATION_FINALIZER,
    class_kind, drift, has_taint, lifecycle, pool_spec, quantity,
};

/// How long a nomination to a claim the caches have not seen yet holds.
const NOMINATION_GRACE_SECONDS: i64 = 30;
/// Most instance types a NodeClaim's requirements list (upstream's `MaxInstanceTypes`).
const MAX_INSTANCE_TYPES: usize = 60;
/// How long a disruption waits for its replacements to initialize before it gives up (upstream's orchestration
/// queue retries for 10 minutes at least).
const REPLACEMENT_TIMEOUT_SECONDS: i64 = 600;

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
            if let Some(created) = self.create_claim(pool, input, claim).await {
                let name = created.name_any();
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

    /// Creates a NodeClaim for a planned one; the claim as created.
    async fn create_claim(
        &self,
        pool: &NodePool,
        input: &PoolInput,
        planned: &provisioning::PlannedClaim,
    ) -> Option<NodeClaim> {
        let spec = pool_spec(&pool.spec).ok()?;
        let template = &pool.spec["template"]["spec"];
        let mut requirements = planned.requirements.clone();
        let names: Vec<String> =
            planned.types.iter().take(MAX_INSTANCE_TYPES).map(|&t| input.types[t].name.clone()).collect();
        requirements.add(INSTANCE_TYPE, Allowed::one_of(names));
        let mut labels = spec.labels.clone();
        labels.insert(NODEPOOL_LABEL.into(), pool.name_any());
        let mut annotations = spec.annotations.clone();
        annotations.insert(drift::NODEPOOL_HASH.into(), drift::pool_hash(&pool.spec["template"]));
        annotations.insert(drift::NODEPOOL_HASH_VERSION.into(), drift::NODEPOOL_HASH_VERSION_VALUE.into());
        if let Some(class) = self.class(&template["nodeClassRef"]) {
            let (hash, version) = drift::class_hash_annotations(class.kind);
            annotations.insert(hash.into(), drift::class_hash(&class.spec));
            annotations.insert(version.into(), drift::CLASS_HASH_VERSION_VALUE.into());
        }
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
                tracing::info!(pool = %pool.name_any(), claim = %created.name_any(), pods = planned.pods.len(),
                               "karpenter: created nodeclaim");
                Some(created)
            }
            Err(error) => {
                tracing::warn!(%error, pool = %pool.name_any(), "karpenter: cannot create a NodeClaim");
                None
            }
        }
    }

    /// Expiration, the disruptions waiting for replacements, then emptiness, drift and consolidation; returns how
    /// soon to look again.
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
        if !state.commands.is_empty() {
            self.advance_commands(state).await;
            next = next.min(Duration::from_secs(1));
        }
        self.untaint_abandoned(state).await;
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
        let in_flight: BTreeSet<String> = state
            .commands
            .iter()
            .flat_map(|c| c.candidates.iter().map(|(claim, _)| claim.clone()).chain(c.replacements.iter().cloned()))
            .collect();
        let mut candidates: Vec<Entry> = Vec::new();
        for claim in &self.claims {
            let conditions_now = &claim.status["conditions"];
            let consolidatable = conditions::is_true(conditions_now, "Consolidatable");
            let drifted = conditions::is_true(conditions_now, "Drifted");
            if claim.metadata.deletion_timestamp.is_some()
                || !(consolidatable || drifted)
                || awaited.contains(&claim.name_any())
                || in_flight.contains(&claim.name_any())
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
            let labels = claim.labels();
            let capacity_type = labels.get(super::requirements::CAPACITY_TYPE).cloned().unwrap_or_default();
            let zone = labels.get(super::requirements::ZONE);
            // What the node costs: its type's offering in its zone for its capacity type, else the cheapest.
            let offerings: Vec<&crate::fleet::Offering> = state
                .types
                .values()
                .flat_map(|(_, types)| types.iter())
                .find(|t| labels.get(INSTANCE_TYPE) == Some(&t.name))
                .map(|t| t.offerings.iter().collect())
                .unwrap_or_default();
            let price = offerings
                .iter()
                .find(|o| Some(&o.zone) == zone && o.capacity_type == capacity_type)
                .map(|o| o.price)
                .or_else(|| offerings.iter().map(|o| o.price).reduce(f64::min))
                .unwrap_or(0.0);
            candidates.push(Entry {
                candidate: Candidate {
                    claim: claim.name_any(),
                    node: node.name_any(),
                    pool: pool_name,
                    pods,
                    price,
                    capacity_type,
                },
                policy: spec.policy,
                consolidatable,
                drifted_since: drifted.then(|| conditions::since(conditions_now, "Drifted")).flatten(),
                drifted,
            });
        }
        if candidates.is_empty() {
            return next;
        }
        let mut budgets: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for pool in &self.pools {
            let owned: Vec<&Arc<NodeClaim>> =
                self.claims.iter().filter(|c| c.labels().get(NODEPOOL_LABEL) == Some(&pool.name_any())).collect();
            let deleting = owned
                .iter()
                .filter(|c| {
                    c.metadata.deletion_timestamp.is_some()
                        || state.commands.iter().any(|f| f.candidates.iter().any(|(n, _)| *n == c.name_any()))
                })
                .count();
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
        for entry in candidates.iter().filter(|e| e.consolidatable && e.candidate.pods.is_empty()) {
            let candidate = &entry.candidate;
            let used = taken.get(&candidate.pool).copied().unwrap_or(0);
            if allowed(&candidate.pool, Reason::Empty, used) > 0 {
                *taken.entry(candidate.pool.clone()).or_default() += 1;
                chosen.push((candidate, Reason::Empty));
            } else if let Some(pool) = self.pools.iter().find(|p| p.name_any() == candidate.pool) {
                let message = "No allowed disruptions for disruption reason Empty due to blocking budget";
                self.event(state, pool.as_ref(), false, "DisruptionBlocked", message, 60).await;
            }
        }
        // Drift, then consolidation, when nothing empty went this round. New nodes are planned only while no
        // other disruption waits for its own (the plans would not see each other's).
        let replacing = state.commands.is_empty();
        let mut started = false;
        if chosen.is_empty() {
            let mut snapshot = self.snapshot();
            // Nodes going away take nothing.
            for node in self.nodes.iter().filter(|n| n.metadata.deletion_timestamp.is_some() || !is_ready(n)) {
                snapshot.remove_node(&node.name_any());
            }
            let (inputs, pools) = self.pool_inputs(state).await;
            let mut drifted: Vec<&Entry> = candidates.iter().filter(|e| e.drifted).collect();
            // Empty ones first (they cost nothing to move), then the longest drifted.
            drifted.sort_by_key(|e| (!e.candidate.pods.is_empty(), e.drifted_since.map(|t| t.as_second())));
            for entry in drifted {
                let candidate = &entry.candidate;
                if allowed(&candidate.pool, Reason::Drifted, 0) == 0 {
                    continue;
                }
                match disruption::simulate(&[candidate], &snapshot, &inputs) {
                    Err(message) => self.blocked(state, candidate, &message).await,
                    Ok(claims) if claims.is_empty() => {
                        chosen.push((candidate, Reason::Drifted));
                        break;
                    }
                    Ok(claims) if replacing => {
                        started = self.start(state, &[candidate], &claims, &inputs, &pools, Reason::Drifted).await;
                        break;
                    }
                    Ok(_) => {}
                }
            }
            if chosen.is_empty() && !started {
                let underutilized: Vec<&Candidate> = candidates
                    .iter()
                    .filter(|e| {
                        e.consolidatable && e.policy == "WhenEmptyOrUnderutilized" && !e.candidate.pods.is_empty()
                    })
                    .map(|e| &e.candidate)
                    .collect();
                if !underutilized.is_empty() {
                    let limit = underutilized
                        .iter()
                        .map(|c| c.pool.clone())
                        .collect::<BTreeSet<_>>()
                        .iter()
                        .map(|pool| allowed(pool, Reason::Underutilized, 0))
                        .min()
                        .unwrap_or(0);
                    let (decision, refused) = disruption::consolidate(&underutilized, &snapshot, &inputs, limit);
                    for (candidate, message) in refused {
                        self.unconsolidatable(state, candidate, &message).await;
                    }
                    match decision {
                        Some(decision) if decision.replacement.is_none() => {
                            chosen.extend(decision.candidates.iter().map(|c| (*c, Reason::Underutilized)));
                        }
                        Some(decision) if replacing => {
                            let claims: Vec<_> = decision.replacement.into_iter().collect();
                            self.start(state, &decision.candidates, &claims, &inputs, &pools, Reason::Underutilized)
                                .await;
                        }
                        _ => {}
                    }
                }
            }
        }
        for (candidate, reason) in chosen {
            self.terminate_candidate(state, &candidate.claim, &candidate.node, reason).await;
        }
        next.min(Duration::from_secs(10))
    }

    /// Emits `DisruptionTerminating` on a candidate's node and claim and deletes the claim (termination drains it).
    async fn terminate_candidate(&self, state: &mut State, claim_name: &str, node_name: &str, reason: Reason) {
        let title = reason.as_str();
        if let Some(node) = self.nodes.iter().find(|n| n.name_any() == node_name) {
            let message = format!("Disrupting Node: {title}");
            self.event(state, node.as_ref(), false, "DisruptionTerminating", &message, 60).await;
        }
        if let Some(claim) = self.claims.iter().find(|c| c.name_any() == claim_name) {
            let message = format!("Disrupting NodeClaim: {title}");
            self.event(state, claim.as_ref(), false, "DisruptionTerminating", &message, 60).await;
        }
        tracing::info!(claim = %claim_name, node = %node_name, reason = title, "karpenter: disrupting node");
        state.disrupted.insert(claim_name.to_owned(), self.seconds());
        let api: Api<NodeClaim> = Api::all(self.client.clone());
        if let Err(error) = api.delete(claim_name, &Default::default()).await {
            tracing::debug!(%error, "karpenter: cannot delete a NodeClaim");
        }
    }

    /// `DisruptionBlocked` on a candidate's node and claim.
    async fn blocked(&self, state: &mut State, candidate: &Candidate, message: &str) {
        if let Some(node) = self.nodes.iter().find(|n| n.name_any() == candidate.node) {
            self.event(state, node.as_ref(), false, "DisruptionBlocked", message, 900).await;
        }
        if let Some(claim) = self.claims.iter().find(|c| c.name_any() == candidate.claim) {
            self.event(state, claim.as_ref(), false, "DisruptionBlocked", message, 900).await;
        }
    }

    /// `Unconsolidatable` on a candidate's node and claim (upstream deduplicates them for 15 minutes).
    async fn unconsolidatable(&self, state: &mut State, candidate: &Candidate, message: &str) {
        if let Some(node) = self.nodes.iter().find(|n| n.name_any() == candidate.node) {
            self.event(state, node.as_ref(), false, "Unconsolidatable", message, 900).await;
        }
        if let Some(claim) = self.claims.iter().find(|c| c.name_any() == candidate.claim) {
            self.event(state, claim.as_ref(), false, "Unconsolidatable", message, 900).await;
        }
    }

    /// Starts a disruption that needs new nodes: taints the candidates' nodes `karpenter.sh/disrupted:NoSchedule`,
    /// creates the replacement claims (`DisruptionLaunching`, `DisruptionWaitingReadiness`) and queues it; whether
    /// it started.
    async fn start(
        &self,
        state: &mut State,
        candidates: &[&Candidate],
        planned: &[provisioning::PlannedClaim],
        inputs: &[PoolInput],
        pools: &[Arc<NodePool>],
        reason: Reason,
    ) -> bool {
        for candidate in candidates {
            if !self.set_disrupted_taint(&candidate.node, true).await {
                for candidate in candidates {
                    self.set_disrupted_taint(&candidate.node, false).await;
                }
                return false;
            }
        }
        let mut replacements = Vec::new();
        for claim in planned {
            let Some(created) = self.create_claim(&pools[claim.pool], &inputs[claim.pool], claim).await else {
                // What was created stays, empty, and is consolidated away later; the candidates keep their nodes.
                for candidate in candidates {
                    self.set_disrupted_taint(&candidate.node, false).await;
                }
                return false;
            };
            let launching = format!("Launching NodeClaim: {}", reason.as_str());
            self.event(state, &created, false, "DisruptionLaunching", &launching, 60).await;
            let waiting = "Waiting on readiness to continue disruption";
            self.event(state, &created, false, "DisruptionWaitingReadiness", waiting, 60).await;
            replacements.push(created.name_any());
        }
        tracing::info!(candidates = ?candidates.iter().map(|c| c.claim.as_str()).collect::<Vec<_>>(),
                       replacements = ?replacements, reason = reason.as_str(),
                       "karpenter: replacing node(s)");
        state.commands.push(InFlight {
            candidates: candidates.iter().map(|c| (c.claim.clone(), c.node.clone())).collect(),
            replacements,
            reason,
            started: self.seconds(),
        });
        true
    }

    /// Deletes the candidates of disruptions whose replacements are initialized; gives up on those whose
    /// replacements failed or took longer than [`REPLACEMENT_TIMEOUT_SECONDS`] (their nodes are untainted).
    async fn advance_commands(&self, state: &mut State) {
        let commands = std::mem::take(&mut state.commands);
        for command in commands {
            let age = self.seconds() - command.started;
            let mut ready = true;
            let mut failed = age > REPLACEMENT_TIMEOUT_SECONDS;
            for name in &command.replacements {
                match self.claims.iter().find(|c| c.name_any() == *name) {
                    // A claim created this very moment may not be in the cache yet.
                    None => {
                        ready = false;
                        failed |= age > NOMINATION_GRACE_SECONDS;
                    }
                    Some(claim) if claim.metadata.deletion_timestamp.is_some() => failed = true,
                    Some(claim) => ready &= conditions::is_true(&claim.status["conditions"], "Initialized"),
                }
            }
            if ready {
                for (claim, node) in &command.candidates {
                    self.terminate_candidate(state, claim, node, command.reason).await;
                }
            } else if failed {
                tracing::warn!(candidates = ?command.candidates, replacements = ?command.replacements,
                               "karpenter: replacements did not initialize; the nodes stay");
            } else {
                state.commands.push(command);
            }
        }
    }

    /// Removes `karpenter.sh/disrupted` from nodes no disruption is under way for (a disruption given up, or one
    /// this process no longer remembers), as upstream's disruption controller does.
    async fn untaint_abandoned(&self, state: &mut State) {
        let now = self.seconds();
        state.disrupted.retain(|_, at| now - *at < NOMINATION_GRACE_SECONDS);
        let going: BTreeSet<&str> =
            state.commands.iter().flat_map(|c| c.candidates.iter().map(|(_, node)| node.as_str())).collect();
        for node in &self.nodes {
            let tainted = has_taint(node, DISRUPTED_TAINT);
            if !tainted || node.metadata.deletion_timestamp.is_some() || going.contains(node.name_any().as_str()) {
                continue;
            }
            let provider = node.spec.as_ref().and_then(|s| s.provider_id.as_deref()).unwrap_or_default();
            let Some(claim) = self.claims.iter().find(|c| c.status["providerID"].as_str() == Some(provider)) else {
                continue;
            };
            if claim.metadata.deletion_timestamp.is_some() || state.disrupted.contains_key(&claim.name_any()) {
                continue;
            }
            self.set_disrupted_taint(&node.name_any(), false).await;
        }
    }

    /// Adds or removes a node's `karpenter.sh/disrupted:NoSchedule` taint; whether the node has it as asked.
    async fn set_disrupted_taint(&self, node_name: &str, present: bool) -> bool {
        let Some(node) = self.nodes.iter().find(|n| n.name_any() == node_name) else { return false };
        let mut taints: Vec<Taint> = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
        let has = taints.iter().any(|t| t.key == DISRUPTED_TAINT);
        if has == present {
            return true;
        }
        taints.retain(|t| t.key != DISRUPTED_TAINT);
        if present {
            taints.push(Taint { key: DISRUPTED_TAINT.into(), effect: "NoSchedule".into(), ..Taint::default() });
        }
        let patch = json!({ "spec": { "taints": taints },
                            "metadata": { "resourceVersion": node.metadata.resource_version } });
        let api: Api<Node> = Api::all(self.client.clone());
        match api.patch(node_name, &PatchParams::default(), &Patch::Merge(&patch)).await {
            Ok(_) => true,
            Err(error) => {
                tracing::debug!(%error, node = %node_name, "karpenter: cannot change a node's disrupted taint");
                false
            }
        }
    }
}

/// A candidate with what the disruption methods ask of it.
struct Entry {
    candidate: Candidate,
    policy: String,
    consolidatable: bool,
    drifted: bool,
    drifted_since: Option<jiff::Timestamp>,
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

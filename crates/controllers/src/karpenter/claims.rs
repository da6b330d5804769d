//! The I/O half of a NodeClaim's life ([`super::lifecycle`] decides): launching it through the fleet, registering
//! and initializing its node, the liveness TTLs, termination (taint, drain, terminate, finalizers) and garbage
//! collection of instances and claims that lost each other.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod, Taint};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::conditions::{self, Condition};
use super::provisioning::{type_admitted, type_holds};
use super::requirements::{INSTANCE_TYPE, Requirements};
use super::{
    DISRUPTED_TAINT, INITIALIZED_LABEL, NODEPOOL_LABEL, NodeClaim, ORPHAN_GRACE_SECONDS, REGISTERED_LABEL, Round,
    State, TERMINATION_FINALIZER, UNAVAILABLE_SECONDS, UNREGISTERED_TAINT, class_kind, drift, generation,
    has_finalizer, has_taint, instance_id, lifecycle, resources_json, string_map, taints_of,
};
use crate::batch_support::status_message;
use crate::fleet::{ClassKind, InstanceTypeInfo, LaunchError, LaunchOverride, LaunchRequest};

const CLAIM_DEPENDENTS: [&str; 3] = ["Launched", "Registered", "Initialized"];

impl Round<'_> {
    fn claims_api(&self) -> Api<NodeClaim> {
        Api::all(self.client.clone())
    }

    async fn write_claim_status(&self, claim: &NodeClaim, mut status: Value) {
        let staged = status["conditions"].clone();
        let ready = conditions::ready(&staged, &CLAIM_DEPENDENTS);
        status["conditions"] = conditions::apply(&staged, &[ready], generation(&claim.metadata), self.now);
        let differs = status.as_object().into_iter().flatten().any(|(k, v)| claim.status.get(k) != Some(v));
        if !differs {
            return;
        }
        let patch = json!({ "status": status });
        if let Err(error) =
            self.claims_api().patch_status(&claim.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await
        {
            tracing::debug!(%error, claim = %claim.name_any(), "karpenter: cannot write a NodeClaim's status");
        }
    }

    async fn delete_claim(&self, name: &str, why: &str) {
        tracing::info!(claim = %name, reason = why, "karpenter: deleting nodeclaim");
        if let Err(error) = self.claims_api().delete(name, &DeleteParams::default()).await {
            tracing::debug!(%error, claim = %name, "karpenter: cannot delete a NodeClaim");
        }
    }

    /// The fleet's instance types for a class, read again after the refresh interval, with offerings marked
    /// unavailable while they are in the unavailable cache.
    pub(super) async fn types_for(&self, state: &mut State, kind: ClassKind, class: &str) -> Vec<InstanceTypeInfo> {
        let key = (kind, class.to_owned());
        let Some(Ok(resolved)) = state.resolved.get(&key).map(|r| r.result.clone()) else { return Vec::new() };
        let fresh =
            state.types.get(&key).is_some_and(|(at, _)| self.seconds() - at < self.settings.refresh.as_secs() as i64);
        if !fresh {
            match self.fleet.instance_types(&resolved).await {
                Ok(types) => {
                    state.types.insert(key.clone(), (self.seconds(), types));
                }
                Err(error) => tracing::warn!(%error, class, "karpenter: cannot list instance types"),
            }
        }
        let now = self.seconds();
        state.unavailable.retain(|_, until| *until > now);
        let mut types = state.types.get(&key).map(|(_, t)| t.clone()).unwrap_or_default();
        for info in &mut types {
            for offering in &mut info.offerings {
                let id = (info.name.clone(), offering.zone.clone(), offering.capacity_type.clone());
                if state.unavailable.contains_key(&id) {
                    offering.available = false;
                }
            }
        }
        types
    }

    /// Launches, registers and initializes claims; returns how soon a claim needs looking at again.
    pub(super) async fn reconcile_claims(&self, state: &mut State) -> Duration {
        let mut next = Duration::from_secs(60);
        let claims = self.claims.clone();
        for claim in &claims {
            if claim.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let Some(kind) = class_kind(&claim.spec["nodeClassRef"]) else { continue };
            if !self.kinds.contains(&kind) {
                continue;
            }
            let conditions_now = &claim.status["conditions"];
            if !conditions::is_true(conditions_now, "Launched") {
                let retry = state.launch_retry.get(&claim.name_any()).copied().unwrap_or(0);
                if retry <= self.seconds() {
                    self.launch(state, claim, kind).await;
                } else {
                    next = next.min(Duration::from_secs((retry - self.seconds()) as u64));
                }
                if lifecycle::waited(conditions::since(conditions_now, "Launched"), lifecycle::LAUNCH_TTL, self.now)
                    && conditions::status_of(conditions_now, "Launched").is_some()
                {
                    self.delete_claim(&claim.name_any(), "launch_timeout").await;
                }
                continue;
            }
            if !conditions::is_true(conditions_now, "Registered") {
                if !self.register(claim).await
                    && lifecycle::waited(
                        conditions::since(conditions_now, "Registered"),
                        lifecycle::REGISTRATION_TTL,
                        self.now,
                    )
                {
                    self.delete_claim(&claim.name_any(), "registration_timeout").await;
                }
                continue;
            }
            if !conditions::is_true(conditions_now, "Initialized") {
                self.initialize(claim).await;
                continue;
            }
            if let Some(wait) = self.disruption_conditions(state, claim).await {
                next = next.min(wait);
            }
        }
        next
    }

    async fn launch(&self, state: &mut State, claim: &Arc<NodeClaim>, kind: ClassKind) {
        let name = claim.name_any();
        let class_name = claim.spec["nodeClassRef"]["name"].as_str().unwrap_or_default().to_owned();
        let Some(class) = self.class(&claim.spec["nodeClassRef"]).cloned() else {
            self.launch_failed(state, claim, "NodeClassNotFound", "NodeClass not found on cluster").await;
            return;
        };
        let resolved = match state.resolved.get(&(kind, class_name.clone())).map(|r| r.result.clone()) {
            Some(Ok(resolved)) if conditions::is_true(&class.status["conditions"], "Ready") => resolved,
            _ => {
                self.launch_failed(state, claim, "NodeClassNotReady", "NodeClass is not ready").await;
                return;
            }
        };
        let requirements = Requirements::parse_json(claim.spec.get("requirements")).unwrap_or_default();
        let requests = claim.spec["resources"]["requests"].clone();
        let list = serde_json::from_value(requests).unwrap_or_default();
        let wanted = scheduler::Resources::from_list(&list);
        let zones = resolved.subnets.iter().filter(|s| s.available_ips > 0).map(|s| s.zone.clone()).collect();
        let types = self.types_for(state, kind, &class_name).await;
        let mut overrides = Vec::new();
        for info in
            types.iter().filter(|info| type_admitted(info, kind, &requirements, &zones) && type_holds(info, &wanted))
        {
            for offering in
                info.offerings.iter().filter(|o| o.available && super::requirements::offering_allowed(&requirements, o))
            {
                let subnet = resolved
                    .subnets
                    .iter()
                    .filter(|s| s.zone == offering.zone && s.available_ips > 0)
                    .max_by_key(|s| s.available_ips);
                if let Some(subnet) = subnet {
                    overrides.push(LaunchOverride {
                        instance_type: info.name.clone(),
                        subnet_id: subnet.id.clone(),
                        zone: offering.zone.clone(),
                        capacity_type: offering.capacity_type.clone(),
                        price: offering.price,
                    });
                }
            }
        }
        overrides.sort_by(|a, b| a.price.total_cmp(&b.price).then_with(|| a.instance_type.cmp(&b.instance_type)));
        if overrides.is_empty() {
            let message =
                format!("NodeClaim {name} event: all requested instance types were unavailable during launch");
            self.event(state, claim.as_ref(), true, "InsufficientCapacityError", &message, 60).await;
            self.delete_claim(&name, "insufficient_capacity").await;
            return;
        }
        let mut labels = string_map(claim.metadata.labels.as_ref().map(|l| json!(l)).as_ref());
        labels.extend(requirements.labels());
        labels.remove(INSTANCE_TYPE);
        if kind == ClassKind::AutoModeNodeClass {
            labels.insert("eks.amazonaws.com/compute-type".into(), "auto".into());
            labels.insert("eks.amazonaws.com/nodeclass".into(), class_name.clone());
        }
        let mut taints = taints_of(claim.spec.get("taints"));
        taints.extend(taints_of(claim.spec.get("startupTaints")));
        taints.push(Taint { key: UNREGISTERED_TAINT.into(), effect: "NoExecute".into(), ..Taint::default() });
        let pool = claim.labels().get(NODEPOOL_LABEL).cloned().unwrap_or_default();
        let mut tags: BTreeMap<String, String> = string_map(class.spec.get("tags"));
        tags.insert("karpenter.sh/nodepool".into(), pool.clone());
        tags.insert("karpenter.sh/nodeclaim".into(), name.clone());
        match kind {
            ClassKind::Ec2NodeClass => {
                tags.insert("karpenter.k8s.aws/ec2nodeclass".into(), class_name.clone());
            }
            ClassKind::AutoModeNodeClass => {
                tags.insert("eks:kubernetes-node-class-name".into(), class_name.clone());
                tags.insert("eks:kubernetes-node-pool-name".into(), pool.clone());
            }
        }
        let request = LaunchRequest {
            node_claim: name.clone(),
            node_pool: pool,
            class_kind: kind,
            class_name: class_name.clone(),
            class: resolved.clone(),
            overrides,
            labels: labels.clone(),
            taints,
            tags,
        };
        match self.fleet.launch(&request).await {
            Ok(launched) => {
                let info = types.iter().find(|t| t.name == launched.instance_type);
                let labels = lifecycle::launched_labels(&labels, info, &launched, kind, &class_name);
                tracing::info!(claim = %name, provider_id = %launched.provider_id, instance_type = %launched.instance_type,
                               zone = %launched.zone, capacity_type = %launched.capacity_type, "karpenter: launched nodeclaim");
                let patch = json!({ "metadata": { "labels": labels } });
                if let Err(error) = self.claims_api().patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await
                {
                    tracing::warn!(%error, claim = %name, "karpenter: cannot label a launched NodeClaim");
                }
                let (capacity, allocatable) = match info {
                    Some(i) => (
                        resources_json(
                            i.capacity_cpu_millis,
                            i.capacity_memory_bytes,
                            i.allocatable_ephemeral_storage_bytes,
                            u64::from(i.max_pods),
                        ),
                        resources_json(
                            i.allocatable_cpu_millis,
                            i.allocatable_memory_bytes,
                            i.allocatable_ephemeral_storage_bytes,
                            u64::from(i.max_pods),
                        ),
                    ),
                    None => (json!({}), json!({})),
                };
                let staged = conditions::apply(
                    &claim.status["conditions"],
                    &[
                        Condition::true_("Launched"),
                        Condition::unknown("Registered", "NodeNotFound", "Node not registered with cluster"),
                        Condition::unknown("Initialized", "NodeNotFound", "Node not registered with cluster"),
                    ],
                    generation(&claim.metadata),
                    self.now,
                );
                let status = json!({
                    "providerID": launched.provider_id, "imageID": launched.image_id,
                    "capacity": capacity, "allocatable": allocatable, "conditions": staged,
                });
                self.write_claim_status(claim, status).await;
                state.launch_retry.remove(&name);
            }
            Err(LaunchError::InsufficientCapacity { offerings, message }) => {
                for offering in offerings {
                    state.unavailable.insert(offering, self.seconds() + UNAVAILABLE_SECONDS);
                }
                let text = format!("NodeClaim {name} event: {}", truncate(&message));
                self.event(state, claim.as_ref(), true, "InsufficientCapacityError", &text, 60).await;
                tracing::warn!(claim = %name, %message, "karpenter: failed launching nodeclaim");
                self.delete_claim(&name, "insufficient_capacity").await;
            }
            Err(LaunchError::Other(message)) => {
                tracing::warn!(claim = %name, %message, "karpenter: failed launching nodeclaim");
                self.launch_failed(state, claim, "LaunchFailed", &truncate(&message)).await;
            }
        }
    }

    async fn launch_failed(&self, state: &mut State, claim: &NodeClaim, reason: &str, message: &str) {
        state.launch_retry.insert(claim.name_any(), self.seconds() + 10);
        let staged = conditions::apply(
            &claim.status["conditions"],
            &[Condition::unknown("Launched", reason, message)],
            generation(&claim.metadata),
            self.now,
        );
        self.write_claim_status(claim, json!({ "conditions": staged })).await;
    }

    /// Registers the claim's node if it has appeared; whether it has.
    async fn register(&self, claim: &NodeClaim) -> bool {
        let Some(provider_id) = claim.status["providerID"].as_str() else { return false };
        let Some(node) = self.node_by_provider(provider_id).cloned() else { return false };
        let name = node.name_any();
        let mut labels = claim.labels().clone();
        labels.insert(REGISTERED_LABEL.into(), "true".into());
        let mut finalizers = node.metadata.finalizers.clone().unwrap_or_default();
        if !finalizers.iter().any(|f| f == TERMINATION_FINALIZER) {
            finalizers.push(TERMINATION_FINALIZER.into());
        }
        let mut owners = node.metadata.owner_references.clone().unwrap_or_default();
        let uid = claim.metadata.uid.clone().unwrap_or_default();
        if !owners.iter().any(|o| o.uid == uid) {
            owners.push(k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
                api_version: "karpenter.sh/v1".into(),
                kind: "NodeClaim".into(),
                name: claim.name_any(),
                uid,
                block_owner_deletion: Some(true),
                controller: None,
            });
        }
        let mut taints: Vec<Taint> = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
        taints.retain(|t| t.key != UNREGISTERED_TAINT);
        let syncs_taints = node.labels().get("karpenter.sh/do-not-sync-taints").map(String::as_str) != Some("true");
        if syncs_taints {
            for taint in
                taints_of(claim.spec.get("taints")).into_iter().chain(taints_of(claim.spec.get("startupTaints")))
            {
                if !taints.iter().any(|t| t.key == taint.key && t.effect == taint.effect) {
                    taints.push(taint);
                }
            }
        }
        let mut annotations = node.annotations().clone();
        annotations.extend(claim.annotations().clone());
        let patch = json!({
            "metadata": { "labels": labels, "annotations": annotations, "finalizers": finalizers,
                          "ownerReferences": owners, "resourceVersion": node.metadata.resource_version },
            "spec": { "taints": taints },
        });
        let nodes: Api<Node> = Api::all(self.client.clone());
        if let Err(error) = nodes.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
            tracing::debug!(%error, node = %name, "karpenter: cannot sync a registering node");
            return false;
        }
        tracing::info!(claim = %claim.name_any(), node = %name, "karpenter: registered nodeclaim");
        let staged = conditions::apply(
            &claim.status["conditions"],
            &[Condition::true_("Registered")],
            generation(&claim.metadata),
            self.now,
        );
        self.write_claim_status(claim, json!({ "nodeName": name, "conditions": staged })).await;
        true
    }

    async fn initialize(&self, claim: &NodeClaim) {
        let node = claim.status["providerID"].as_str().and_then(|p| self.node_by_provider(p)).cloned();
        let condition = match &node {
            None => Condition::unknown("Initialized", "NodeNotFound", "Node not registered with cluster"),
            Some(node) => match lifecycle::initialization(node, &taints_of(claim.spec.get("startupTaints"))) {
                Err(condition) => condition,
                Ok(()) => {
                    if node.labels().get(INITIALIZED_LABEL).map(String::as_str) != Some("true") {
                        let patch = json!({ "metadata": { "labels": { INITIALIZED_LABEL: "true" } } });
                        let nodes: Api<Node> = Api::all(self.client.clone());
                        if let Err(error) =
                            nodes.patch(&node.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await
                        {
                            tracing::debug!(%error, "karpenter: cannot label an initialized node");
                            return;
                        }
                    }
                    tracing::info!(claim = %claim.name_any(), node = %node.name_any(), "karpenter: initialized nodeclaim");
                    Condition::true_("Initialized")
                }
            },
        };
        let staged =
            conditions::apply(&claim.status["conditions"], &[condition], generation(&claim.metadata), self.now);
        self.write_claim_status(claim, json!({ "conditions": staged })).await;
    }

    /// Why an initialized claim has drifted, if it has ([`drift::drifted`] on its pool, class and instance).
    fn drift_of(&self, state: &State, claim: &NodeClaim) -> Option<&'static str> {
        let pool = self.pools.iter().find(|p| claim.labels().get(NODEPOOL_LABEL) == Some(&p.name_any()))?;
        let spec = super::pool_spec(&pool.spec).ok()?;
        let reference = &claim.spec["nodeClassRef"];
        let kind = class_kind(reference)?;
        let class_name = reference["name"].as_str().unwrap_or_default().to_owned();
        let none = BTreeMap::new();
        let class_annotations = self.class(reference).and_then(|c| c.metadata.annotations.as_ref()).unwrap_or(&none);
        let resolved = state.resolved.get(&(kind, class_name)).and_then(|r| r.result.as_ref().ok());
        let instance = claim.status["providerID"].as_str().and_then(|p| state.instances.get(p));
        drift::drifted(&drift::DriftInput {
            claim_annotations: claim.annotations(),
            claim_labels: claim.labels(),
            claim_image: claim.status["imageID"].as_str(),
            pool_annotations: pool.annotations(),
            pool_requirements: &spec.requirements,
            class_kind: kind,
            class_annotations,
            resolved,
            instance,
        })
    }

    /// Keeps `lastPodEventTime`, `Consolidatable` and `Drifted`; returns when `Consolidatable` turns true, if it
    /// will.
    async fn disruption_conditions(&self, state: &mut State, claim: &NodeClaim) -> Option<Duration> {
        let node_name = claim.status["nodeName"].as_str()?.to_owned();
        let pods: std::collections::BTreeSet<String> = self
            .pods
            .iter()
            .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node_name.as_str()))
            .filter(|p| !crate::drain::stays(p))
            .map(|p| scheduler::pod_key(p))
            .collect();
        let mut last_event = claim.status["lastPodEventTime"].as_str().and_then(|t| t.parse::<jiff::Timestamp>().ok());
        let previous = state.node_pods.insert(node_name.clone(), pods.clone());
        if previous.is_some_and(|p| p != pods) {
            last_event = Some(self.now);
        }
        let pool = self.pools.iter().find(|p| claim.labels().get(NODEPOOL_LABEL) == Some(&p.name_any()));
        let after = pool.and_then(|p| super::pool_spec(&p.spec).ok()).and_then(|s| s.consolidate_after);
        let initialized = conditions::since(&claim.status["conditions"], "Initialized");
        let decision = lifecycle::consolidatable(initialized, last_event, after, self.now);
        let mut conditions_now = claim.status["conditions"].clone();
        let mut wait = None;
        match decision {
            Some((true, _)) => {
                conditions_now = conditions::apply(
                    &conditions_now,
                    &[Condition::true_("Consolidatable")],
                    generation(&claim.metadata),
                    self.now,
                );
            }
            Some((false, at)) => {
                conditions_now = conditions::clear(&conditions_now, "Consolidatable");
                wait = Some(Duration::from_secs((at - self.seconds()).max(0) as u64));
            }
            None => conditions_now = conditions::clear(&conditions_now, "Consolidatable"),
        }
        match self.drift_of(state, claim) {
            Some(reason) => {
                let drifted = Condition {
                    type_: "Drifted".to_owned(),
                    status: "True",
                    reason: reason.to_owned(),
                    message: reason.to_owned(),
                };
                if conditions::status_of(&conditions_now, "Drifted") != Some("True") {
                    tracing::info!(claim = %claim.name_any(), reason, "karpenter: marking nodeclaim drifted");
                }
                conditions_now = conditions::apply(&conditions_now, &[drifted], generation(&claim.metadata), self.now);
            }
            None => conditions_now = conditions::clear(&conditions_now, "Drifted"),
        }
        let mut status = json!({ "conditions": conditions_now });
        if let Some(at) = last_event {
            status["lastPodEventTime"] = json!(at.round(jiff::Unit::Second).unwrap_or(at).to_string());
        }
        self.write_claim_status(claim, status).await;
        wait
    }

    // Termination.

    /// Moves deleted claims and nodes towards their end; returns how soon to look again.
    pub(super) async fn terminate(&self, state: &mut State) -> Duration {
        let mut next = Duration::from_secs(60);
        let nodes: Api<Node> = Api::all(self.client.clone());
        // A deleted node takes its claim with it; a node without a claim goes with its instance.
        for node in self
            .nodes
            .iter()
            .filter(|n| n.metadata.deletion_timestamp.is_some() && has_finalizer(&n.metadata, TERMINATION_FINALIZER))
        {
            let provider = node.spec.as_ref().and_then(|s| s.provider_id.clone()).unwrap_or_default();
            let claim = self.claims.iter().find(|c| c.status["providerID"].as_str() == Some(provider.as_str()));
            match claim {
                Some(claim) if claim.metadata.deletion_timestamp.is_none() => {
                    self.delete_claim(&claim.name_any(), "node_deleted").await;
                }
                Some(_) => {}
                None => {
                    if crate::drain::drain_step(self.client, &node.name_any()).await.unwrap_or(false) {
                        if !provider.is_empty()
                            && let Err(error) = self.fleet.terminate(instance_id(&provider)).await
                        {
                            tracing::warn!(%error, "karpenter: cannot terminate an instance");
                            continue;
                        }
                        self.remove_finalizer(&nodes, node).await;
                    }
                    next = next.min(Duration::from_secs(1));
                }
            }
        }
        let deleting: Vec<Arc<NodeClaim>> =
            self.claims.iter().filter(|c| c.metadata.deletion_timestamp.is_some()).cloned().collect();
        if deleting.is_empty() {
            return next;
        }
        next = next.min(Duration::from_secs(1));
        let instances = if deleting.iter().any(|c| state.terminated.contains(&c.name_any())) {
            match self.fleet.instances().await {
                Ok(list) => Some(list),
                Err(error) => {
                    tracing::debug!(%error, "karpenter: cannot list instances");
                    None
                }
            }
        } else {
            None
        };
        for claim in deleting {
            let name = claim.name_any();
            let provider = claim.status["providerID"].as_str().unwrap_or_default().to_owned();
            let node = if provider.is_empty() { None } else { self.node_by_provider(&provider).cloned() };
            if let Some(node) = &node {
                if node.metadata.deletion_timestamp.is_none()
                    && let Err(error) = nodes.delete(&node.name_any(), &DeleteParams::default()).await
                {
                    tracing::debug!(%error, "karpenter: cannot delete a node");
                }
                if !self.drained(node, &claim).await {
                    continue;
                }
            }
            if !provider.is_empty() && !state.terminated.contains(&name) {
                if let Err(error) = self.fleet.terminate(instance_id(&provider)).await {
                    tracing::warn!(%error, claim = %name, "karpenter: cannot terminate the instance");
                    continue;
                }
                state.terminated.insert(name.clone());
                continue;
            }
            let still_running = !provider.is_empty()
                && match &instances {
                    Some(list) => {
                        list.iter().any(|i| i.provider_id == provider || i.instance_id == instance_id(&provider))
                            && list.iter().any(|i| {
                                (i.provider_id == provider || i.instance_id == instance_id(&provider))
                                    && i.state != "terminated"
                            })
                    }
                    None => true,
                };
            if still_running {
                continue;
            }
            if let Some(node) = &node {
                self.remove_finalizer(&nodes, node).await;
            }
            let mut finalizers = claim.metadata.finalizers.clone().unwrap_or_default();
            finalizers.retain(|f| f != TERMINATION_FINALIZER);
            let patch = json!({ "metadata": { "finalizers": finalizers } });
            match self.claims_api().patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                Ok(_) => {
                    tracing::info!(claim = %name, "karpenter: deleted nodeclaim");
                    state.terminated.remove(&name);
                }
                Err(error) => tracing::debug!(%error, claim = %name, "karpenter: cannot finish a NodeClaim"),
            }
        }
        next
    }

    async fn remove_finalizer(&self, nodes: &Api<Node>, node: &Node) {
        let mut finalizers = node.metadata.finalizers.clone().unwrap_or_default();
        finalizers.retain(|f| f != TERMINATION_FINALIZER);
        let patch = json!({ "metadata": { "finalizers": finalizers } });
        if let Err(error) = nodes.patch(&node.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await {
            tracing::debug!(%error, "karpenter: cannot remove a node's finalizer");
        }
    }

    /// Taints and drains the node of a deleted claim; whether it is drained. Past the claim's
    /// `terminationGracePeriod` the pods left are deleted outright.
    async fn drained(&self, node: &Node, claim: &NodeClaim) -> bool {
        let name = node.name_any();
        let tainted = has_taint(node, DISRUPTED_TAINT);
        let nodes: Api<Node> = Api::all(self.client.clone());
        if !tainted {
            let mut taints: Vec<Taint> = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
            taints.push(Taint { key: DISRUPTED_TAINT.into(), effect: "NoSchedule".into(), ..Taint::default() });
            let patch = json!({ "spec": { "taints": taints }, "metadata": { "resourceVersion": node.metadata.resource_version } });
            if let Err(error) = nodes.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                tracing::debug!(%error, node = %name, "karpenter: cannot taint a node being deleted");
                return false;
            }
        }
        let grace = claim.spec["terminationGracePeriod"].as_str().and_then(k8s_model::parse_go_duration);
        let deleted_at = claim.metadata.deletion_timestamp.as_ref().map(|t| t.0);
        let expired = match (grace, deleted_at) {
            (Some(grace), Some(at)) => lifecycle::waited(Some(at), grace, self.now),
            _ => false,
        };
        if expired {
            let on_node: Vec<&Arc<Pod>> = self
                .pods
                .iter()
                .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(name.as_str()))
                .filter(|p| !crate::drain::stays(p))
                .collect();
            for pod in &on_node {
                let api: Api<Pod> =
                    Api::namespaced(self.client.clone(), pod.metadata.namespace.as_deref().unwrap_or("default"));
                let _ = api.delete(&pod.name_any(), &DeleteParams::default()).await;
            }
            return on_node.is_empty();
        }
        match crate::drain::drain_step(self.client, &name).await {
            Ok(drained) => drained,
            Err(error) => {
                tracing::debug!(node = %name, error = %status_message(&error), "karpenter: draining");
                false
            }
        }
    }

    /// Terminates instances without a claim (after a grace period) and deletes claims whose instance is gone.
    pub(super) async fn collect_garbage(&self, state: &mut State) {
        if self.seconds() - state.last_gc < 10 {
            return;
        }
        state.last_gc = self.seconds();
        let instances = match self.fleet.instances().await {
            Ok(list) => list,
            Err(error) => {
                tracing::debug!(%error, "karpenter: cannot list instances");
                return;
            }
        };
        state.instances = instances.iter().map(|i| (i.provider_id.clone(), i.clone())).collect();
        let claimed: std::collections::HashSet<&str> =
            self.claims.iter().filter_map(|c| c.status["providerID"].as_str()).collect();
        let names: std::collections::HashSet<String> = self.claims.iter().map(|c| c.name_any()).collect();
        let mut seen = std::collections::HashSet::new();
        for instance in instances.iter().filter(|i| i.state != "terminated" && i.state != "shutting-down") {
            let owned = claimed.contains(instance.provider_id.as_str())
                || instance.tags.get("karpenter.sh/nodeclaim").is_some_and(|c| names.contains(c));
            if owned {
                continue;
            }
            seen.insert(instance.instance_id.clone());
            let first = *state.orphans.entry(instance.instance_id.clone()).or_insert(self.seconds());
            if self.seconds() - first >= ORPHAN_GRACE_SECONDS {
                tracing::info!(instance = %instance.instance_id, "karpenter: garbage collecting an instance without a nodeclaim");
                if let Err(error) = self.fleet.terminate(&instance.instance_id).await {
                    tracing::warn!(%error, "karpenter: cannot terminate an instance");
                }
            }
        }
        state.orphans.retain(|id, _| seen.contains(id));
        let live: std::collections::HashSet<&str> = instances
            .iter()
            .filter(|i| i.state != "terminated")
            .flat_map(|i| [i.provider_id.as_str(), i.instance_id.as_str()])
            .collect();
        for claim in self.claims.iter().filter(|c| c.metadata.deletion_timestamp.is_none()) {
            let Some(provider) = claim.status["providerID"].as_str() else { continue };
            let launched_at = conditions::since(&claim.status["conditions"], "Launched");
            if !live.contains(provider)
                && !live.contains(instance_id(provider))
                && lifecycle::waited(launched_at, Duration::from_secs(30), self.now)
            {
                self.delete_claim(&claim.name_any(), "instance_gone").await;
            }
        }
    }
}

fn truncate(message: &str) -> String {
    if message.chars().count() < 300 {
        message.to_owned()
    } else {
        format!("{}...", message.chars().take(300).collect::<String>())
    }
}

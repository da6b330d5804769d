//! Volumes in the scheduling decision, as kube-scheduler's VolumeBinding and VolumeZone plugins decide it, simplified:
//! every PersistentVolumeClaim a pod uses must exist and not be going away; a bound claim's PersistentVolume must
//! exist and its node affinity and zone labels must admit the node; an unbound claim must wait for its first
//! consumer (an `Immediate` claim is the PersistentVolume controller's to bind first), within its storage class's
//! allowed topologies. Once a node is chosen, each such waiting claim is annotated with it
//! (`volume.kubernetes.io/selected-node`) before the pod is bound, for the controller to provision or bind there.
//!
//! Of claims, volumes and storage classes only what these rules read is kept. Pure: no IO.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{
    NodeSelectorTerm, PersistentVolume, PersistentVolumeClaim, Pod, TopologySelectorTerm,
};
use k8s_openapi::api::storage::v1::StorageClass;

use crate::schedule::{Failure, node_term_matches};
use crate::snapshot::NodeInfo;

/// The annotation naming the node the scheduler chose for a pod using a claim that waits for its first consumer.
pub(crate) const SELECTED_NODE_ANNOTATION: &str = "volume.kubernetes.io/selected-node";
/// The class of a claim as it was named before `spec.storageClassName`; it still wins when set.
const BETA_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";
/// The topology labels a bound volume may carry and a node must then share, each with the label of the other
/// generation that means the same.
const TOPOLOGY_LABELS: [(&str, &str); 4] = [
    ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"),
    ("failure-domain.beta.kubernetes.io/zone", "topology.kubernetes.io/zone"),
    ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region"),
    ("failure-domain.beta.kubernetes.io/region", "topology.kubernetes.io/region"),
];

/// What the scheduler keeps of a PersistentVolumeClaim.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ClaimInfo {
    /// `spec.volumeName`: the claim is bound to that volume.
    pub volume_name: Option<String>,
    /// The claim's storage class; `None` for none.
    pub class: Option<String>,
    /// The claim has a `deletionTimestamp`.
    pub deleting: bool,
    /// The node named by its `volume.kubernetes.io/selected-node` annotation.
    pub selected_node: Option<String>,
}

/// What the scheduler keeps of a PersistentVolume.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct VolumeInfo {
    /// `spec.nodeAffinity.required`'s terms: the nodes that can reach the volume match one of them.
    pub node_terms: Option<Vec<NodeSelectorTerm>>,
    /// The volume's topology labels with their values (several values are joined by `__`).
    pub topology: Vec<(String, Vec<String>)>,
}

/// What the scheduler keeps of a StorageClass.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ClassInfo {
    /// `volumeBindingMode: WaitForFirstConsumer`; otherwise `Immediate`.
    pub wait_for_first_consumer: bool,
    /// Where volumes of the class can be provisioned; empty for anywhere.
    pub allowed_topologies: Vec<TopologySelectorTerm>,
}

/// The claims, volumes and storage classes of a cluster, as far as scheduling reads them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Volumes {
    /// Claims by `namespace/name`.
    pub claims: HashMap<String, ClaimInfo>,
    /// PersistentVolumes by name.
    pub volumes: HashMap<String, VolumeInfo>,
    /// StorageClasses by name.
    pub classes: HashMap<String, ClassInfo>,
}

/// A claim's key and what is kept of it.
pub(crate) fn claim_info(claim: &PersistentVolumeClaim) -> (String, ClaimInfo) {
    let meta = &claim.metadata;
    let key = format!("{}/{}", meta.namespace.as_deref().unwrap_or("default"), meta.name.as_deref().unwrap_or(""));
    let annotations = meta.annotations.as_ref();
    let spec = claim.spec.as_ref();
    let class = annotations
        .and_then(|a| a.get(BETA_CLASS_ANNOTATION))
        .or(spec.and_then(|s| s.storage_class_name.as_ref()))
        .filter(|class| !class.is_empty())
        .cloned();
    let info = ClaimInfo {
        volume_name: spec.and_then(|s| s.volume_name.clone()).filter(|name| !name.is_empty()),
        class,
        deleting: meta.deletion_timestamp.is_some(),
        selected_node: annotations.and_then(|a| a.get(SELECTED_NODE_ANNOTATION)).cloned(),
    };
    (key, info)
}

/// A volume's name and what is kept of it.
pub(crate) fn volume_info(volume: &PersistentVolume) -> (String, VolumeInfo) {
    let labels = volume.metadata.labels.as_ref();
    let topology = TOPOLOGY_LABELS
        .iter()
        .filter_map(|(label, _)| {
            let value = labels?.get(*label)?;
            Some(((*label).to_owned(), value.split("__").map(str::to_owned).collect()))
        })
        .collect();
    let node_terms = volume
        .spec
        .as_ref()
        .and_then(|s| s.node_affinity.as_ref())
        .and_then(|a| a.required.as_ref())
        .map(|selector| selector.node_selector_terms.clone());
    (volume.metadata.name.clone().unwrap_or_default(), VolumeInfo { node_terms, topology })
}

/// A storage class's name and what is kept of it.
pub(crate) fn class_info(class: &StorageClass) -> (String, ClassInfo) {
    let info = ClassInfo {
        wait_for_first_consumer: class.volume_binding_mode.as_deref() == Some("WaitForFirstConsumer"),
        allowed_topologies: class.allowed_topologies.clone().unwrap_or_default(),
    };
    (class.metadata.name.clone().unwrap_or_default(), info)
}

/// The names of the claims a pod's volumes use: each `persistentVolumeClaim.claimName`, and for a generic
/// ephemeral volume the claim made for it, `<pod name>-<volume name>`.
pub(crate) fn pod_claims(pod: &Pod) -> Vec<String> {
    let Some(volumes) = pod.spec.as_ref().and_then(|s| s.volumes.as_ref()) else { return Vec::new() };
    let pod_name = pod.metadata.name.as_deref().unwrap_or("");
    volumes
        .iter()
        .filter_map(|volume| match (&volume.persistent_volume_claim, &volume.ephemeral) {
            (Some(source), _) => Some(source.claim_name.clone()),
            (None, Some(_)) => Some(format!("{pod_name}-{}", volume.name)),
            (None, None) => None,
        })
        .collect()
}

/// What a pod's claims ask of a node, worked out once per decision.
#[derive(Debug, Default)]
pub(crate) struct PodVolumes<'s> {
    /// The volume of each bound claim, in the pod's order; `None` when that volume does not exist.
    bound: Vec<Option<&'s VolumeInfo>>,
    /// The class of each unbound claim that waits for its first consumer.
    waiting: Vec<&'s ClassInfo>,
}

/// Reads the pod's claims, or says why no node can take the pod whatever the node (upstream's PreFilter failing
/// as unschedulable and unresolvable): a claim is missing or being deleted, or an unbound claim binds
/// immediately (the PersistentVolume controller binds it first).
pub(crate) fn pod_volumes<'s>(pod: &Pod, volumes: &'s Volumes) -> Result<PodVolumes<'s>, String> {
    let names = pod_claims(pod);
    let mut pod_volumes = PodVolumes::default();
    if names.is_empty() {
        return Ok(pod_volumes);
    }
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
    let mut unbound_immediate = false;
    for name in &names {
        let Some(claim) = volumes.claims.get(&format!("{namespace}/{name}")) else {
            return Err(format!("persistentvolumeclaim \"{name}\" not found"));
        };
        if claim.deleting {
            return Err(format!("persistentvolumeclaim \"{name}\" is being deleted"));
        }
        match &claim.volume_name {
            Some(volume) => pod_volumes.bound.push(volumes.volumes.get(volume)),
            // A claim without a class, or whose class does not exist, binds immediately.
            None => match claim.class.as_ref().and_then(|class| volumes.classes.get(class)) {
                Some(class) if class.wait_for_first_consumer => pod_volumes.waiting.push(class),
                _ => unbound_immediate = true,
            },
        }
    }
    if unbound_immediate {
        return Err("pod has unbound immediate PersistentVolumeClaims".into());
    }
    Ok(pod_volumes)
}

impl PodVolumes<'_> {
    /// Whether the node can reach the pod's volumes: VolumeBinding's filter, then VolumeZone's.
    pub(crate) fn check(&self, node: &NodeInfo) -> Result<(), Failure> {
        if self.bound.is_empty() && self.waiting.is_empty() {
            return Ok(());
        }
        // As upstream, the bound claims are looked at until the first that fails.
        let mut missing_volume = false;
        let mut affinity_conflict = false;
        for volume in &self.bound {
            match volume {
                None => missing_volume = true,
                Some(volume) => affinity_conflict = !volume.admits(node),
            }
            if missing_volume || affinity_conflict {
                break;
            }
        }
        let nothing_to_bind = self.waiting.iter().any(|class| !class.admits(node));
        if missing_volume || affinity_conflict || nothing_to_bind {
            return Err(Failure::VolumeBinding { missing_volume, affinity_conflict, nothing_to_bind });
        }
        if !self.bound.iter().flatten().all(|volume| volume.zone_admits(node)) {
            return Err(Failure::VolumeZone);
        }
        Ok(())
    }
}

impl VolumeInfo {
    /// Whether the volume's required node affinity selects the node (none selects every node). A term the
    /// scheduler cannot read (an unknown operator, a bound that is not a number) selects nothing.
    fn admits(&self, node: &NodeInfo) -> bool {
        self.node_terms.as_ref().is_none_or(|terms| terms.iter().any(|term| node_term_matches(term, node)))
    }

    /// Whether the node is in the volume's zones and regions. A node without any topology label is taken to be in
    /// a cluster of one zone and passes.
    fn zone_admits(&self, node: &NodeInfo) -> bool {
        if self.topology.is_empty() || !TOPOLOGY_LABELS.iter().any(|(label, _)| node.labels.contains_key(*label)) {
            return true;
        }
        self.topology.iter().all(|(label, values)| {
            let other = TOPOLOGY_LABELS.iter().find(|(l, _)| l == label).map(|(_, other)| *other);
            let value = node.labels.get(label).or_else(|| other.and_then(|other| node.labels.get(other)));
            value.is_some_and(|value| values.contains(value))
        })
    }
}

impl ClassInfo {
    /// Whether a volume of the class can be provisioned for the node: it matches one of the allowed topology
    /// terms (every expression's key has one of its values among the node's labels), or there are none.
    fn admits(&self, node: &NodeInfo) -> bool {
        if self.allowed_topologies.is_empty() {
            return true;
        }
        self.allowed_topologies.iter().any(|term| {
            let expressions = term.match_label_expressions.as_deref().unwrap_or(&[]);
            !expressions.is_empty()
                && expressions.iter().all(|expression| {
                    node.labels.get(&expression.key).is_some_and(|value| expression.values.contains(value))
                })
        })
    }
}

/// The pod's claims that wait for their first consumer and are not bound yet: the pod is bound to its node only
/// once the PersistentVolume controller has bound them.
pub(crate) fn claims_to_wait_for(pod: &Pod, volumes: &Volumes) -> Vec<String> {
    let mut names = pod_claims(pod);
    if names.is_empty() {
        return names;
    }
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
    names.sort();
    names.dedup();
    names.retain(|name| {
        volumes.claims.get(&format!("{namespace}/{name}")).is_some_and(|claim| {
            claim.volume_name.is_none()
                && claim
                    .class
                    .as_ref()
                    .and_then(|class| volumes.classes.get(class))
                    .is_some_and(|c| c.wait_for_first_consumer)
        })
    });
    names
}

/// The claims to annotate with `node` before the pod is bound there: those it waits for that do not name that
/// node already.
pub(crate) fn claims_to_select(pod: &Pod, volumes: &Volumes, node: &str) -> Vec<String> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
    let mut names = claims_to_wait_for(pod, volumes);
    names.retain(|name| {
        volumes.claims.get(&format!("{namespace}/{name}")).is_some_and(|c| c.selected_node.as_deref() != Some(node))
    });
    names
}

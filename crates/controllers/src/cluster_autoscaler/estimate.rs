//! Simulated nodes: the template node of a group (upstream's `TemplateNodeInfo`: the node a new instance would
//! register, with the DaemonSet pods that would land on it), whether a pod fits one (the scheduler's own filters,
//! [`scheduler::schedule`], on a snapshot holding only that node), and how many new nodes a set of pods needs
//! (upstream's `BinpackingNodeEstimator`: pods sorted by their share of a node, largest first, each put on a
//! new node that takes it, a further node added only when none does).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, Pod};
use scheduler::{HOSTNAME_LABEL, Snapshot, pod_requests};
use serde_json::json;

use crate::node_groups::NodeTemplate;

/// The template node `index` of a group: named as upstream names them, with the group's labels and taints and
/// the allocatable of its instance type.
pub fn template_node(group: &str, template: &NodeTemplate, index: usize) -> Node {
    let name = format!("template-node-for-{group}-{index}");
    let mut labels = template.labels.clone();
    labels.insert(HOSTNAME_LABEL.to_owned(), name.clone());
    let mut node = json!({
        "metadata": { "name": name, "labels": labels },
        "spec": { "taints": template.taints },
        "status": {
            "capacity": {
                "cpu": format!("{}m", template.capacity_cpu_millis),
                "memory": template.capacity_memory_bytes.to_string(),
                "pods": template.max_pods.to_string(),
            },
            "allocatable": {
                "cpu": format!("{}m", template.allocatable_cpu_millis),
                "memory": template.allocatable_memory_bytes.to_string(),
                "ephemeral-storage": template.allocatable_ephemeral_storage_bytes.to_string(),
                "pods": template.max_pods.to_string(),
            },
            "conditions": [{ "type": "Ready", "status": "True" }],
        },
    });
    if template.gpus > 0 {
        for list in ["capacity", "allocatable"] {
            node["status"][list][k8s_model::NVIDIA_GPU] = json!(template.gpus.to_string());
        }
    }
    serde_json::from_value(node).unwrap_or_default()
}

/// `pod` placed on `node` under a name of its own (a DaemonSet's pod on a simulated node).
fn bound_copy(pod: &Pod, node: &str, suffix: usize) -> Pod {
    let mut copy = pod.clone();
    let name = copy.metadata.name.clone().unwrap_or_default();
    copy.metadata.name = Some(format!("{name}-sim-{suffix}"));
    copy.spec.get_or_insert_with(Default::default).node_name = Some(node.to_owned());
    copy
}

/// A pod with `node_name` set, as the snapshot counts bound pods.
pub fn bound(pod: &Pod, node: &str) -> Pod {
    let mut copy = pod.clone();
    copy.spec.get_or_insert_with(Default::default).node_name = Some(node.to_owned());
    copy
}

/// A group's template: its node and the DaemonSet pods that would run on it.
#[derive(Debug, Clone)]
pub struct Template {
    pub group: String,
    pub node: Node,
    pub daemon_pods: Vec<Pod>,
}

impl Template {
    /// The template of `group`, with those of `daemon_pods` (one pod per DaemonSet, from its pod template) that
    /// fit a fresh node of the group.
    pub fn new(group: &str, template: &NodeTemplate, daemon_pods: &[Pod]) -> Template {
        let node = template_node(group, template, 0);
        let mut empty = Snapshot::new();
        empty.upsert_node(&node);
        let daemon_pods = daemon_pods.iter().filter(|pod| scheduler::schedule(pod, &empty).is_ok()).cloned().collect();
        Template { group: group.to_owned(), node, daemon_pods }
    }

    /// Adds new node `index` to `snapshot` with its DaemonSet pods; returns its name.
    pub fn add_to(&self, snapshot: &mut Snapshot, index: usize) -> String {
        let mut node = self.node.clone();
        let name = format!("template-node-for-{}-{index}", self.group);
        node.metadata.name = Some(name.clone());
        node.metadata.labels.get_or_insert_with(BTreeMap::new).insert(HOSTNAME_LABEL.to_owned(), name.clone());
        snapshot.upsert_node(&node);
        for pod in &self.daemon_pods {
            snapshot.add_pod(&bound_copy(pod, &name, index));
        }
        name
    }

    /// Whether `pod` fits a fresh node of the group; else the scheduler's reasons.
    pub fn check(&self, pod: &Pod) -> Result<(), BTreeMap<String, usize>> {
        let mut snapshot = Snapshot::new();
        self.add_to(&mut snapshot, 0);
        match scheduler::schedule(pod, &snapshot) {
            Ok(_) => Ok(()),
            Err(why) => match &why.pre_filter {
                Some(reason) => Err([(reason.clone(), 1)].into()),
                None => Err(why.reasons.clone()),
            },
        }
    }

    /// The node's allocatable cpu (millicores) and memory (bytes).
    pub fn allocatable(&self) -> (i64, i64) {
        let list = self.node.status.as_ref().and_then(|status| status.allocatable.clone()).unwrap_or_default();
        let resources = scheduler::Resources::from_list(&list);
        (resources.milli_cpu, resources.memory)
    }
}

/// What binpacking found: how many new nodes, and which of the pods (indexes into the input) they take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Estimate {
    pub nodes: i64,
    pub scheduled: Vec<usize>,
}

/// How many new nodes of `template` the pods need, at most `limit`: pods sorted by their share of a node's cpu
/// plus memory, largest first; each goes to a new node that takes it, else to one more node while the limit
/// allows. A pod that does not fit an empty node is left out.
pub fn estimate(pods: &[&Pod], template: &Template, limit: i64) -> Estimate {
    let (cpu, memory) = template.allocatable();
    let share = |pod: &Pod| {
        let requests = pod_requests(pod);
        let cpu_share = if cpu > 0 { requests.milli_cpu as f64 / cpu as f64 } else { 0.0 };
        let memory_share = if memory > 0 { requests.memory as f64 / memory as f64 } else { 0.0 };
        cpu_share + memory_share
    };
    let mut order: Vec<(usize, f64)> = pods.iter().enumerate().map(|(index, pod)| (index, share(pod))).collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut snapshot = Snapshot::new();
    let mut nodes = 0i64;
    let mut scheduled = Vec::new();
    for (index, _) in order {
        let pod = pods[index];
        if nodes > 0
            && let Ok(node) = scheduler::schedule(pod, &snapshot)
        {
            snapshot.add_pod(&bound(pod, &node));
            scheduled.push(index);
            continue;
        }
        if nodes >= limit {
            continue;
        }
        let name = template.add_to(&mut snapshot, nodes as usize);
        match scheduler::schedule(pod, &snapshot) {
            Ok(node) => {
                nodes += 1;
                snapshot.add_pod(&bound(pod, &node));
                scheduled.push(index);
            }
            Err(_) => snapshot.remove_node(&name),
        }
    }
    scheduled.sort_unstable();
    Estimate { nodes, scheduled }
}

//! Draining a node as `kubectl drain` does, and as EKS does before it takes a managed node group's instance away:
//! the node is cordoned (`spec.unschedulable`), then every pod on it is evicted through the eviction subresource,
//! so that disruption budgets hold, except DaemonSet pods, mirror (static) pods and pods that have finished. An
//! eviction a budget refuses (429) is tried again at the next step.

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, EvictParams, ListParams, Patch, PatchParams};
use serde_json::json;

use crate::batch_support::is_not_found;

/// Whether draining leaves the pod where it is: it belongs to a DaemonSet, mirrors a static pod, or has finished.
pub fn stays(pod: &Pod) -> bool {
    let finished = pod
        .status
        .as_ref()
        .and_then(|status| status.phase.as_deref())
        .is_some_and(|p| p == "Succeeded" || p == "Failed");
    let mirror = pod.metadata.annotations.as_ref().is_some_and(|a| a.contains_key("kubernetes.io/config.mirror"));
    let daemon = pod.metadata.owner_references.iter().flatten().any(|owner| owner.kind == "DaemonSet");
    finished || mirror || daemon
}

/// One step of draining `node`: cordons it if it is not yet, and asks to evict every pod that must go and is not
/// already going. Answers whether the node is drained (no such pod is left on it, going or not); a node that is
/// gone is drained.
pub async fn drain_step(client: &kube::Client, node: &str) -> Result<bool, kube::Error> {
    let nodes: Api<Node> = Api::all(client.clone());
    let Some(current) = nodes.get_opt(node).await? else { return Ok(true) };
    if !current.spec.as_ref().and_then(|spec| spec.unschedulable).unwrap_or(false) {
        let cordon = json!({ "spec": { "unschedulable": true } });
        nodes.patch(node, &PatchParams::default(), &Patch::Merge(&cordon)).await?;
    }
    let pods: Api<Pod> = Api::all(client.clone());
    let on_node = pods.list(&ListParams::default().fields(&format!("spec.nodeName={node}"))).await?;
    let leaving: Vec<&Pod> = on_node.items.iter().filter(|pod| !stays(pod)).collect();
    for pod in leaving.iter().filter(|pod| pod.metadata.deletion_timestamp.is_none()) {
        let (Some(name), Some(namespace)) = (pod.metadata.name.as_deref(), pod.metadata.namespace.as_deref()) else {
            continue;
        };
        let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
        match api.evict(name, &EvictParams::default()).await {
            Ok(_) => {}
            // Gone meanwhile, or a budget that allows no disruption now: looked at again at the next step.
            Err(error) if is_not_found(&error) => {}
            Err(kube::Error::Api(status)) if status.code == 429 => {}
            Err(error) => return Err(error),
        }
    }
    Ok(leaving.is_empty())
}

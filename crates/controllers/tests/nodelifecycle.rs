//! The node lifecycle controller against an in-process API server: a node whose lease stops is marked Unknown and
//! tainted, pods that do not tolerate it are evicted, and pods that tolerate it for a while stay that long.

use std::time::Duration;

use common::{cluster, eventually};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, PostParams};
use serde_json::json;

mod common;

fn pod(name: &str, tolerations: serde_json::Value) -> Pod {
    serde_json::from_value(json!({
        "metadata": { "name": name, "namespace": "default" },
        "spec": { "nodeName": "node-a", "containers": [{ "name": "c", "image": "nginx" }], "tolerations": tolerations },
    }))
    .expect("a pod")
}

#[tokio::test]
async fn a_silent_node_goes_unknown_is_tainted_and_its_pods_leave() {
    let (planes, client) = cluster().await;
    let nodes: Api<Node> = Api::all(client.clone());
    let node: Node = serde_json::from_value(json!({
        "metadata": { "name": "node-a" },
        "status": { "conditions": [{ "type": "Ready", "status": "True", "reason": "KubeletReady" }] },
    }))
    .expect("a node");
    nodes.create(&PostParams::default(), &node).await.expect("create the node");
    let leases: Api<Lease> = Api::namespaced(client.clone(), "kube-node-lease");
    let lease: Lease = serde_json::from_value(json!({
        "metadata": { "name": "node-a" },
        "spec": { "holderIdentity": "node-a", "leaseDurationSeconds": 40, "renewTime": "2026-01-01T00:00:00.000000Z" },
    }))
    .expect("a lease");
    leases.create(&PostParams::default(), &lease).await.expect("create the lease");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    // Admission gives every pod 300 s of tolerance for unreachable nodes; this one asks for one second.
    let impatient = json!([{ "key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                             "tolerationSeconds": 1 }]);
    pods.create(&PostParams::default(), &pod("impatient", impatient)).await.expect("create a pod");
    let patient = json!([{ "key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                           "tolerationSeconds": 3600 }]);
    pods.create(&PostParams::default(), &pod("patient", patient)).await.expect("create a pod");

    let controllers = controllers::Controllers::start(
        client.clone(),
        controllers::ControllersConfig { node_monitor_grace_period: Duration::from_secs(1), ..Default::default() },
    );
    // The lease is never renewed: Unknown, then tainted unreachable.
    let tainted = eventually("the node lifecycle to settle", Duration::from_secs(20), || async {
        let node = nodes.get("node-a").await.ok()?;
        let ready = node.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == "Ready")?.clone();
        let taints = node.spec.as_ref()?.taints.clone().unwrap_or_default();
        (ready.status == "Unknown" && taints.len() == 2).then_some((ready, taints))
    })
    .await;
    assert_eq!(tainted.0.reason.as_deref(), Some("NodeStatusUnknown"));
    let mut keys: Vec<String> = tainted.1.iter().map(|t| format!("{}:{}", t.key, t.effect)).collect();
    keys.sort();
    assert_eq!(keys, ["node.kubernetes.io/unreachable:NoExecute", "node.kubernetes.io/unreachable:NoSchedule"]);

    // The impatient pod is deleted a second after the taint (gracefully: the node is gone, so it lingers).
    eventually("the node lifecycle to settle", Duration::from_secs(20), || async {
        let pod = pods.get_opt("impatient").await.ok()?;
        pod.is_none_or(|pod| pod.metadata.deletion_timestamp.is_some()).then_some(())
    })
    .await;
    let patient = pods.get("patient").await.expect("the patient pod");
    assert!(patient.metadata.deletion_timestamp.is_none(), "a pod tolerating the taint for an hour stays");

    // The kubelet comes back: a renewed lease and Ready True lift the taints.
    let renewed = json!({ "spec": { "renewTime": "2026-01-01T00:01:00.000000Z" } });
    leases.patch("node-a", &Default::default(), &kube::api::Patch::Merge(&renewed)).await.expect("renew");
    let ready =
        json!({ "status": { "conditions": [{ "type": "Ready", "status": "True", "reason": "KubeletReady" }] } });
    nodes.patch_status("node-a", &Default::default(), &kube::api::Patch::Merge(&ready)).await.expect("ready");
    eventually("the node lifecycle to settle", Duration::from_secs(20), || async {
        let node = nodes.get("node-a").await.ok()?;
        node.spec.as_ref()?.taints.as_ref().is_none_or(|taints| taints.is_empty()).then_some(())
    })
    .await;
    controllers.stop().await;
    planes.stop_all().await;
}

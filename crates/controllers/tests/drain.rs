//! Draining a node against an in-process API server: the node is cordoned, pods go through evictions that their
//! disruption budget allows, and DaemonSet and mirror pods stay.

use std::time::Duration;

use common::{cluster, eventually, object};
use controllers::drain::drain_step;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

mod common;

/// A pod on `n1`, running and ready; `metadata` members replace the defaults (labels `app: web`).
async fn running_pod(pods: &Api<Pod>, name: &str, metadata: serde_json::Value) {
    let mut pod = json!({
        "metadata": { "name": name, "labels": { "app": "web" } },
        "spec": { "nodeName": "n1", "containers": [{ "name": "c", "image": "nginx" }] },
    });
    for (key, value) in metadata.as_object().into_iter().flatten() {
        pod["metadata"][key] = value.clone();
    }
    pods.create(&PostParams::default(), &object::<Pod>(pod)).await.expect("create a pod");
    let running = json!({ "status": { "phase": "Running", "conditions": [{ "type": "Ready", "status": "True" }] } });
    pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&running)).await.expect("running");
}

/// What the node's kubelet does with pods being deleted: confirms they are gone.
async fn kubelet_confirms(pods: &Api<Pod>) {
    for pod in pods.list(&Default::default()).await.expect("list").items {
        if pod.metadata.deletion_timestamp.is_some() {
            let name = pod.metadata.name.expect("a name");
            let _ = pods.delete(&name, &DeleteParams { grace_period_seconds: Some(0), ..Default::default() }).await;
        }
    }
}

#[tokio::test]
async fn a_drain_cordons_evicts_within_the_budget_and_leaves_daemon_and_mirror_pods() {
    // Only the disruption controller runs (the garbage collector would take the DaemonSet pod, whose owner is
    // not made here).
    let (planes, client) = cluster().await;
    let disruption = tokio::spawn(controllers::disruption::run(client.clone()));
    let nodes: Api<Node> = Api::all(client.clone());
    nodes.create(&PostParams::default(), &object::<Node>(json!({ "metadata": { "name": "n1" } }))).await.unwrap();
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    running_pod(&pods, "web-a", json!({})).await;
    running_pod(&pods, "web-b", json!({})).await;
    let daemon = json!({ "labels": { "app": "agent" }, "ownerReferences": [{
        "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": "d-1" }] });
    running_pod(&pods, "agent-x", daemon).await;
    let mirror = json!({ "labels": { "app": "static" }, "annotations": { "kubernetes.io/config.mirror": "abc" } });
    running_pod(&pods, "static-n1", mirror).await;
    let budgets: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), "default");
    let budget = json!({ "metadata": { "name": "web" },
                         "spec": { "minAvailable": 1, "selector": { "matchLabels": { "app": "web" } } } });
    budgets.create(&PostParams::default(), &object(budget)).await.unwrap();
    eventually("the budget to allow one disruption", Duration::from_secs(20), || async {
        (budgets.get("web").await.ok()?.status?.disruptions_allowed == 1).then_some(())
    })
    .await;

    // The first step cordons the node and evicts the one pod the budget allows.
    assert!(!drain_step(&client, "n1").await.unwrap());
    assert_eq!(nodes.get("n1").await.unwrap().spec.unwrap().unschedulable, Some(true));
    kubelet_confirms(&pods).await;
    let left = |items: Vec<Pod>| -> Vec<String> { items.into_iter().filter_map(|p| p.metadata.name).collect() };
    let remaining = left(pods.list(&Default::default()).await.unwrap().items);
    assert_eq!(remaining.len(), 3, "{remaining:?}");

    // The budget allows nothing more: the drain waits.
    eventually("the budget to count the eviction", Duration::from_secs(20), || async {
        let status = budgets.get("web").await.ok()?.status?;
        (status.current_healthy == 1 && status.disruptions_allowed == 0).then_some(())
    })
    .await;
    assert!(!drain_step(&client, "n1").await.unwrap());
    kubelet_confirms(&pods).await;
    assert_eq!(left(pods.list(&Default::default()).await.unwrap().items).len(), 3);

    // With the budget relaxed, the last web pod goes and the node is drained; the DaemonSet and mirror pods stay.
    let relaxed = json!({ "spec": { "minAvailable": 0 } });
    budgets.patch("web", &PatchParams::default(), &Patch::Merge(&relaxed)).await.unwrap();
    eventually("the drain to finish", Duration::from_secs(20), || async {
        let drained = drain_step(&client, "n1").await.unwrap();
        kubelet_confirms(&pods).await;
        drained.then_some(())
    })
    .await;
    let mut remaining = left(pods.list(&Default::default()).await.unwrap().items);
    remaining.sort();
    assert_eq!(remaining, ["agent-x", "static-n1"]);
    // A node that is gone is drained.
    assert!(drain_step(&client, "nobody").await.unwrap());
    disruption.abort();
    planes.stop_all().await;
}

//! The cluster autoscaler against an in-process API server and scheduler, with a fake node group whose instances
//! register as nodes at once: installing its Deployment turns it on, pending pods grow the group (with upstream's
//! events and status), a pod no group can take is told why, and empty nodes go once unneeded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use common::{cluster, eventually, object};
use controllers::Clock;
use controllers::node_groups::{GroupInstance, NodeGroup, NodeGroups, NodeTemplate};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

mod common;

const GROUP: &str = "eks-workers-1234";

/// One Auto Scaling group whose instances become Ready nodes as soon as they are asked for.
struct FakeGroup {
    client: kube::Client,
    /// Desired capacity, instances, instances ever launched.
    state: Mutex<(i64, Vec<String>, usize)>,
    /// Whether new instances register as nodes (else they never do).
    register: bool,
}

impl std::fmt::Debug for FakeGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeGroup").field("state", &self.state).finish()
    }
}

fn template() -> NodeTemplate {
    NodeTemplate {
        instance_type: "t3.medium".into(),
        labels: [("eks.amazonaws.com/nodegroup".to_owned(), "workers".to_owned())].into(),
        taints: Vec::new(),
        zone: "us-west-2a".into(),
        capacity_cpu_millis: 2000,
        capacity_memory_bytes: 4 << 30,
        allocatable_cpu_millis: 1930,
        allocatable_memory_bytes: 3554 << 20,
        allocatable_ephemeral_storage_bytes: 17 << 30,
        max_pods: 17,
        gpus: 0,
        price_per_hour: None,
    }
}

#[async_trait]
impl NodeGroups for FakeGroup {
    async fn groups(&self) -> Result<Vec<NodeGroup>, String> {
        let (target, instances, _) = self.state.lock().unwrap().clone();
        Ok(vec![NodeGroup {
            id: GROUP.into(),
            min_size: 0,
            max_size: 5,
            target_size: target,
            tags: [
                ("k8s.io/cluster-autoscaler/enabled".to_owned(), "true".to_owned()),
                ("k8s.io/cluster-autoscaler/demo".to_owned(), "owned".to_owned()),
            ]
            .into(),
            template: Some(template()),
            instances: instances
                .iter()
                .map(|id| GroupInstance { id: id.clone(), provider_id: format!("aws:///us-west-2a/{id}") })
                .collect(),
        }])
    }

    async fn set_target_size(&self, group: &str, size: i64) -> Result<(), String> {
        assert_eq!(group, GROUP);
        let added: Vec<String> = {
            let mut state = self.state.lock().unwrap();
            let mut added = Vec::new();
            while (state.1.len() as i64) < size {
                state.2 += 1;
                let id = format!("i-{:04}", state.2);
                state.1.push(id.clone());
                added.push(id);
            }
            state.0 = size;
            added
        };
        let nodes: Api<Node> = Api::all(self.client.clone());
        for id in added.into_iter().filter(|_| self.register) {
            let name = format!("ip-{id}.ec2.internal");
            let node = json!({
                "metadata": { "name": name, "labels": { "eks.amazonaws.com/nodegroup": "workers",
                                                        "kubernetes.io/hostname": name } },
                "spec": { "providerID": format!("aws:///us-west-2a/{id}") },
            });
            nodes.create(&PostParams::default(), &object::<Node>(node)).await.map_err(|e| e.to_string())?;
            let status = json!({ "status": {
                "allocatable": { "cpu": "1930m", "memory": "3554Mi", "pods": "17" },
                "capacity": { "cpu": "2", "memory": "4Gi", "pods": "17" },
                "conditions": [{ "type": "Ready", "status": "True" }] } });
            nodes
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    async fn delete_instance(&self, group: &str, instance_id: &str) -> Result<(), String> {
        assert_eq!(group, GROUP);
        {
            let mut state = self.state.lock().unwrap();
            state.1.retain(|id| id != instance_id);
            state.0 -= 1;
        }
        let nodes: Api<Node> = Api::all(self.client.clone());
        let _ = nodes.delete(&format!("ip-{instance_id}.ec2.internal"), &DeleteParams::default()).await;
        Ok(())
    }
}

async fn install_autoscaler(client: &kube::Client) {
    install_autoscaler_with(client, &[]).await;
}

async fn install_autoscaler_with(client: &kube::Client, extra: &[&str]) {
    let mut command = vec![
        "./cluster-autoscaler",
        "--cloud-provider=aws",
        "--namespace=kube-system",
        "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/demo",
        "--scan-interval=200ms",
        "--scale-down-unneeded-time=1s",
        "--scale-down-delay-after-add=0s",
    ];
    command.extend_from_slice(extra);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "kube-system");
    let deployment = json!({
        "metadata": { "name": "cluster-autoscaler-aws-cluster-autoscaler" },
        "spec": {
            "selector": { "matchLabels": { "app": "ca" } },
            "template": { "metadata": { "labels": { "app": "ca" } }, "spec": { "containers": [{
                "name": "aws-cluster-autoscaler",
                "image": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.1",
                "command": command }] } },
        },
    });
    deployments.create(&PostParams::default(), &object(deployment)).await.expect("create the deployment");
    let available = json!({ "status": { "replicas": 1, "readyReplicas": 1, "availableReplicas": 1 } });
    deployments
        .patch_status("cluster-autoscaler-aws-cluster-autoscaler", &PatchParams::default(), &Patch::Merge(&available))
        .await
        .expect("available");
}

async fn create_pod(pods: &Api<Pod>, name: &str, extra_spec: serde_json::Value) {
    let mut pod = json!({
        "metadata": { "name": name, "labels": { "app": "web" }, "ownerReferences": [{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "rs-1", "controller": true }] },
        "spec": { "containers": [{ "name": "app", "image": "nginx",
                                   "resources": { "requests": { "cpu": "500m", "memory": "64Mi" } } }] },
    });
    for (key, value) in extra_spec.as_object().into_iter().flatten() {
        pod["spec"][key] = value.clone();
    }
    pods.create(&PostParams::default(), &object::<Pod>(pod)).await.expect("create a pod");
}

async fn event_message(events: &Api<Event>, reason: &str, name: &str) -> Option<String> {
    let list = events.list(&ListParams::default()).await.ok()?;
    list.items
        .into_iter()
        .find(|e| e.reason.as_deref() == Some(reason) && e.involved_object.name.as_deref() == Some(name))
        .and_then(|e| e.message)
}

#[tokio::test]
async fn pending_pods_grow_the_group_and_empty_nodes_go() {
    let (planes, client) = cluster().await;
    let scheduler = tokio::spawn(scheduler::run(client.clone(), scheduler::SchedulerConfig::default()));
    let fake = Arc::new(FakeGroup { client: client.clone(), state: Mutex::new((0, Vec::new(), 0)), register: true });
    let autoscaler = tokio::spawn(controllers::cluster_autoscaler::run(client.clone(), fake.clone(), Clock::system()));
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let system_events: Api<Event> = Api::namespaced(client.clone(), "kube-system");
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), "kube-system");

    for i in 0..7 {
        create_pod(&pods, &format!("web-{i}"), json!({})).await;
    }
    create_pod(&pods, "picky", json!({ "nodeSelector": { "disk": "ssd" } })).await;
    eventually("the pods to be unschedulable", Duration::from_secs(20), || async {
        let list = pods.list(&ListParams::default()).await.ok()?;
        list.items.iter().all(controllers::cluster_autoscaler::unschedulable).then_some(())
    })
    .await;
    // Unschedulable pods alone do nothing until the autoscaler's Deployment is installed.
    assert_eq!(fake.state.lock().unwrap().0, 0);
    install_autoscaler(&client).await;
    // Seven 500m pods, three to a 1930m node: three nodes.
    eventually("the group to grow to 3", Duration::from_secs(20), || async {
        (fake.state.lock().unwrap().0 == 3).then_some(())
    })
    .await;
    let triggered =
        eventually("TriggeredScaleUp", Duration::from_secs(20), || event_message(&events, "TriggeredScaleUp", "web-0"))
            .await;
    assert_eq!(triggered, format!("pod triggered scale-up: [{{{GROUP} 0->3 (max: 5)}}]"));
    let told = eventually("NotTriggerScaleUp", Duration::from_secs(20), || {
        event_message(&events, "NotTriggerScaleUp", "picky")
    })
    .await;
    assert_eq!(told, "pod didn't trigger scale-up: 1 node(s) didn't match Pod's node affinity/selector");
    let scaled = eventually("ScaledUpGroup", Duration::from_secs(20), || {
        event_message(&system_events, "ScaledUpGroup", "cluster-autoscaler-status")
    })
    .await;
    assert_eq!(scaled, format!("Scale-up: setting group {GROUP} size to 3 instead of 0 (max: 5)"));
    eventually("the pods to be scheduled", Duration::from_secs(20), || async {
        let list = pods.list(&ListParams::default()).await.ok()?;
        let bound = list.items.iter().filter(|p| p.spec.as_ref().is_some_and(|s| s.node_name.is_some())).count();
        (bound == 7).then_some(())
    })
    .await;
    let status = config_maps.get("cluster-autoscaler-status").await.expect("the status ConfigMap");
    assert!(status.metadata.annotations.unwrap().contains_key("cluster-autoscaler.kubernetes.io/last-updated"));
    let text = status.data.unwrap()["status"].clone();
    assert!(text.contains(&format!("- name: {GROUP}")), "{text}");
    assert!(text.contains("autoscalerStatus: Running"), "{text}");

    // Six pods go: the emptied nodes are removed, the one still running a pod stays.
    for i in 1..7 {
        pods.delete(&format!("web-{i}"), &DeleteParams { grace_period_seconds: Some(0), ..Default::default() })
            .await
            .expect("delete a pod");
    }
    pods.delete("picky", &DeleteParams::default()).await.expect("delete a pod");
    eventually("the group to shrink", Duration::from_secs(30), || async {
        (fake.state.lock().unwrap().0 <= 2).then_some(())
    })
    .await;
    let removed = eventually("ScaleDown", Duration::from_secs(20), || async {
        let list = system_events.list(&ListParams::default()).await.ok()?;
        list.items.into_iter().find(|e| e.reason.as_deref() == Some("ScaleDown")).and_then(|e| e.message)
    })
    .await;
    assert!(removed.starts_with("Scale-down: removing empty node"), "{removed}");
    eventually("the status to show one node", Duration::from_secs(30), || async {
        let text = config_maps.get("cluster-autoscaler-status").await.ok()?.data?.remove("status")?;
        text.contains("cloudProviderTarget: 1").then_some(())
    })
    .await;
    let web_0_node = pods.get("web-0").await.unwrap().spec.unwrap().node_name.unwrap();
    Api::<Node>::all(client.clone()).get(&web_0_node).await.expect("the node with a pod stays");

    autoscaler.abort();
    scheduler.abort();
    planes.stop_all().await;
}

/// What the kubelets do with pods being deleted: confirm they are gone, until aborted.
fn kubelets_confirm(pods: Api<Pod>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            for pod in pods.list(&ListParams::default()).await.map(|l| l.items).unwrap_or_default() {
                if pod.metadata.deletion_timestamp.is_some() {
                    let name = pod.metadata.name.unwrap_or_default();
                    let _ =
                        pods.delete(&name, &DeleteParams { grace_period_seconds: Some(0), ..Default::default() }).await;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

#[tokio::test]
async fn an_underused_node_is_tainted_drained_and_its_instance_terminated() {
    let (planes, client) = cluster().await;
    let fake = Arc::new(FakeGroup { client: client.clone(), state: Mutex::new((0, Vec::new(), 0)), register: true });
    fake.set_target_size(GROUP, 2).await.expect("two nodes");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    for (pod, node) in [("web-a", "ip-i-0001.ec2.internal"), ("web-b", "ip-i-0002.ec2.internal")] {
        create_pod(&pods, pod, json!({ "nodeName": node })).await;
        let running =
            json!({ "status": { "phase": "Running", "conditions": [{ "type": "Ready", "status": "True" }] } });
        pods.patch_status(pod, &PatchParams::default(), &Patch::Merge(&running)).await.expect("running");
    }
    let kubelets = kubelets_confirm(pods.clone());
    let autoscaler = tokio::spawn(controllers::cluster_autoscaler::run(client.clone(), fake.clone(), Clock::system()));
    install_autoscaler(&client).await;

    // Each node is a quarter used: one can take the other's pod, not both.
    eventually("one node to go", Duration::from_secs(30), || async {
        let state = fake.state.lock().unwrap().clone();
        (state.0 == 1 && state.1.len() == 1).then_some(())
    })
    .await;
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let list = events.list(&ListParams::default()).await.expect("events").items;
    let said = |kind: &str, message: &str| {
        list.iter().any(|e| e.involved_object.kind.as_deref() == Some(kind) && e.message.as_deref() == Some(message))
    };
    assert!(said("Node", "marked the node as toBeDeleted/unschedulable"), "{list:?}");
    assert!(said("Node", "deleting node"), "{list:?}");
    assert!(said("Pod", "deleting pod for node scale down"), "{list:?}");
    let left = pods.list(&ListParams::default()).await.expect("pods").items;
    assert_eq!(left.len(), 1, "the evicted pod is gone");
    let system_events: Api<Event> = Api::namespaced(client.clone(), "kube-system");
    let removed = system_events.list(&ListParams::default()).await.expect("events").items;
    let message = removed.iter().find(|e| e.reason.as_deref() == Some("ScaleDown")).and_then(|e| e.message.clone());
    let message = message.expect("a ScaleDown event on the status ConfigMap");
    assert!(message.starts_with("Scale-down: removing node ip-i-000"), "{message}");
    assert!(message.contains("pods to reschedule: default/web-"), "{message}");
    // The node that stays is not tainted.
    let nodes = Api::<Node>::all(client.clone()).list(&ListParams::default()).await.expect("nodes").items;
    let remaining: Vec<&Node> = nodes.iter().filter(|n| n.metadata.deletion_timestamp.is_none()).collect();
    assert_eq!(remaining.len(), 1);
    assert!(remaining[0].spec.as_ref().unwrap().taints.as_ref().is_none_or(|t| t.is_empty()));

    autoscaler.abort();
    kubelets.abort();
    planes.stop_all().await;
}

#[tokio::test]
async fn a_group_whose_nodes_do_not_register_in_time_is_backed_off_and_shrunk_back() {
    let (planes, client) = cluster().await;
    let scheduler = tokio::spawn(scheduler::run(client.clone(), scheduler::SchedulerConfig::default()));
    let fake = Arc::new(FakeGroup { client: client.clone(), state: Mutex::new((0, Vec::new(), 0)), register: false });
    let autoscaler = tokio::spawn(controllers::cluster_autoscaler::run(client.clone(), fake.clone(), Clock::system()));
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    create_pod(&pods, "web-0", json!({})).await;
    install_autoscaler_with(&client, &["--max-node-provision-time=1s"]).await;

    eventually("the scale-up", Duration::from_secs(20), || async { (fake.state.lock().unwrap().0 == 1).then_some(()) })
        .await;
    // The node never registers: once the provision time is over the group goes back to what registered.
    eventually("the group to shrink back", Duration::from_secs(20), || async {
        (fake.state.lock().unwrap().0 == 0).then_some(())
    })
    .await;
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), "kube-system");
    let text = eventually("the backoff in the status", Duration::from_secs(20), || async {
        let text = config_maps.get("cluster-autoscaler-status").await.ok()?.data?.remove("status")?;
        text.contains("  scaleUp:\n    status: Backoff\n").then_some(text)
    })
    .await;
    assert!(text.contains("errorCode: timeout"), "{text}");
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let told = eventually("NotTriggerScaleUp", Duration::from_secs(20), || {
        event_message(&events, "NotTriggerScaleUp", "web-0")
    })
    .await;
    assert_eq!(told, "pod didn't trigger scale-up: 1 in backoff after failed scale-up");
    assert_eq!(fake.state.lock().unwrap().0, 0, "no new scale-up while backed off");

    autoscaler.abort();
    scheduler.abort();
    planes.stop_all().await;
}

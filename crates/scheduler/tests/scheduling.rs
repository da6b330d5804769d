//! The scheduler against a real in-process API server: pods get bound and events recorded, unschedulable pods
//! say why and are scheduled once a node fits, and a high-priority pod preempts a lower one.

use std::sync::Arc;
use std::time::Duration;

use apiserver::{ControlPlanes, Identity, LocalService};
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use serde_json::json;
use tokio::task::JoinHandle;

/// How long a test waits for the scheduler before it fails.
const DEADLINE: Duration = Duration::from_secs(30);

struct Cluster {
    planes: ControlPlanes,
    client: kube::Client,
    scheduler: JoinHandle<()>,
}

impl Cluster {
    async fn start() -> Cluster {
        let planes = ControlPlanes::new(Arc::new(store::MemoryStore::new()));
        planes.create("test", None).await.expect("create a cluster");
        let api = planes.api("test").expect("the cluster runs");
        let identity =
            Identity::Certificate { user: "system:kube-scheduler".into(), groups: vec!["system:masters".into()] };
        let client = kube::Client::new(LocalService::new(api, identity), "default");
        let scheduler = tokio::spawn(scheduler::run(client.clone(), scheduler::SchedulerConfig::default()));
        Cluster { planes, client, scheduler }
    }

    async fn stop(self) {
        self.scheduler.abort();
        let _ = self.scheduler.await;
        self.planes.stop_all().await;
    }

    fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), "default")
    }

    async fn add_node(&self, name: &str, cpu: &str, pods: u32) {
        let node: Node = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": { "name": name, "labels": { "kubernetes.io/hostname": name } },
            "status": {
                "allocatable": { "cpu": cpu, "memory": "8Gi", "pods": pods.to_string() },
                "capacity": { "cpu": cpu, "memory": "8Gi", "pods": pods.to_string() },
                "conditions": [{ "type": "Ready", "status": "True", "reason": "KubeletReady" }],
            },
        }))
        .expect("a node");
        Api::<Node>::all(self.client.clone()).create(&PostParams::default(), &node).await.expect("create a node");
    }

    /// Adds a pod requesting `cpu`; a priority other than 0 comes from a PriorityClass of that value, as the
    /// API server's Priority admission allows no other way.
    async fn add_pod(&self, name: &str, cpu: &str, priority: i32) {
        let mut spec = json!({ "containers": [{ "name": "c", "image": "nginx",
                                                "resources": { "requests": { "cpu": cpu } } }] });
        if priority != 0 {
            let class: PriorityClass = serde_json::from_value(json!({
                "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                "metadata": { "name": format!("priority-{priority}") }, "value": priority,
            }))
            .expect("a priority class");
            let classes = Api::<PriorityClass>::all(self.client.clone());
            match classes.create(&PostParams::default(), &class).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 409 => {}
                Err(error) => panic!("create a priority class: {error}"),
            }
            spec["priorityClassName"] = json!(format!("priority-{priority}"));
        }
        let pod: Pod = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": { "name": name }, "spec": spec,
        }))
        .expect("a pod");
        self.pods().create(&PostParams::default(), &pod).await.expect("create a pod");
    }

    async fn node_of(&self, pod: &str) -> String {
        let pods = self.pods();
        eventually(&format!("{pod} to be bound"), || async { pods.get(pod).await.ok()?.spec?.node_name }).await
    }

    async fn event(&self, pod: &str, reason: &str) -> Event {
        let events: Api<Event> = Api::namespaced(self.client.clone(), "default");
        eventually(&format!("a {reason} event for {pod}"), || async {
            let listed = events.list(&ListParams::default()).await.ok()?;
            listed
                .items
                .into_iter()
                .rev()
                .find(|e| e.involved_object.name.as_deref() == Some(pod) && e.reason.as_deref() == Some(reason))
        })
        .await
    }
}

/// Polls `check` until it gives a value, failing once the deadline passes.
async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn pending_pods_are_bound_with_a_scheduled_event() {
    let cluster = Cluster::start().await;
    cluster.add_node("node-a", "2", 110).await;
    cluster.add_node("node-b", "2", 110).await;
    for idx in 0..4 {
        cluster.add_pod(&format!("web-{idx}"), "100m", 0).await;
    }
    for idx in 0..4 {
        let name = format!("web-{idx}");
        let node = cluster.node_of(&name).await;
        assert!(node == "node-a" || node == "node-b", "{node}");
        let pod = cluster.pods().get(&name).await.expect("the pod");
        let conditions = pod.status.and_then(|s| s.conditions).unwrap_or_default();
        assert!(conditions.iter().any(|c| c.type_ == "PodScheduled" && c.status == "True"), "{conditions:?}");
        let event = cluster.event(&name, "Scheduled").await;
        let expected = format!("Successfully assigned default/{name} to {node}");
        assert_eq!(event.message.as_deref(), Some(expected.as_str()));
        assert_eq!(event.type_.as_deref(), Some("Normal"));
        assert_eq!(event.source.and_then(|s| s.component).as_deref(), Some("default-scheduler"));
        assert_eq!(event.reporting_component.as_deref(), Some("default-scheduler"));
    }
    cluster.stop().await;
}

#[tokio::test]
async fn an_unschedulable_pod_says_why_and_goes_once_a_node_fits() {
    let cluster = Cluster::start().await;
    cluster.add_node("small", "1", 110).await;
    cluster.add_pod("big", "3", 0).await;
    let event = cluster.event("big", "FailedScheduling").await;
    let message = "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: \
                   1 No preemption victims found for incoming pod.";
    assert_eq!((event.type_.as_deref(), event.message.as_deref()), (Some("Warning"), Some(message)));
    let pods = cluster.pods();
    let condition = eventually("PodScheduled=False", || async {
        let pod = pods.get("big").await.ok()?;
        pod.status?.conditions?.into_iter().find(|c| c.type_ == "PodScheduled" && c.status == "False")
    })
    .await;
    assert_eq!((condition.reason.as_deref(), condition.message.as_deref()), (Some("Unschedulable"), Some(message)));

    cluster.add_node("large", "4", 110).await;
    assert_eq!(cluster.node_of("big").await, "large");
    cluster.stop().await;
}

#[tokio::test]
async fn a_pod_with_nowhere_to_go_fails_with_too_many_pods() {
    let cluster = Cluster::start().await;
    cluster.add_node("tiny", "2", 1).await;
    cluster.add_pod("first", "100m", 0).await;
    assert_eq!(cluster.node_of("first").await, "tiny");
    cluster.add_pod("second", "100m", 0).await;
    let event = cluster.event("second", "FailedScheduling").await;
    let message = "0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: \
                   1 No preemption victims found for incoming pod.";
    assert_eq!(event.message.as_deref(), Some(message));
    cluster.stop().await;
}

#[tokio::test]
async fn a_higher_priority_pod_preempts_a_lower_one() {
    let cluster = Cluster::start().await;
    cluster.add_node("only", "1", 110).await;
    cluster.add_pod("batch", "800m", 0).await;
    assert_eq!(cluster.node_of("batch").await, "only");
    cluster.add_pod("urgent", "800m", 1000).await;

    // The victim is deleted gracefully; its node's agent would then finish it, which the test does here.
    let pods = cluster.pods();
    eventually("the victim to be terminating", || async {
        match pods.get_opt("batch").await.ok()? {
            Some(pod) if pod.metadata.deletion_timestamp.is_none() => None,
            _ => Some(()),
        }
    })
    .await;
    let nominated =
        eventually("the nominated node", || async { pods.get("urgent").await.ok()?.status?.nominated_node_name }).await;
    assert_eq!(nominated, "only");
    let preempted = cluster.event("batch", "Preempted").await;
    assert_eq!(preempted.message.as_deref(), Some("Preempted by pod default/urgent on node only"));
    let _ = pods.delete("batch", &DeleteParams { grace_period_seconds: Some(0), ..DeleteParams::default() }).await;
    assert_eq!(cluster.node_of("urgent").await, "only");
    cluster.stop().await;
}

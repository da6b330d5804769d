//! The scheduler against a real in-process API server: pods get bound and events recorded, unschedulable pods
//! say why and are scheduled once a node fits, a high-priority pod preempts a lower one, and pods go where their
//! volumes are (claims waiting for their first consumer are told the chosen node).

use std::time::Duration;

use apiserver::ControlPlanes;
use k8s_openapi::api::core::v1::{Event, Node, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
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
        let (planes, client) = test_support::cluster_as("system:kube-scheduler").await;
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
        self.create_node(name, cpu, pods, json!({ "kubernetes.io/hostname": name })).await;
    }

    /// Adds a node of 2 CPUs in `zone`.
    async fn add_zoned_node(&self, name: &str, zone: &str) {
        let labels = json!({ "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone });
        self.create_node(name, "2", 110, labels).await;
    }

    async fn create_node(&self, name: &str, cpu: &str, pods: u32, labels: serde_json::Value) {
        let node: Node = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": { "name": name, "labels": labels },
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

    /// Adds a pod that mounts each claim in `claims` (a volume per claim, named after it).
    async fn add_pod_using(&self, name: &str, claims: &[&str]) {
        let volumes: Vec<serde_json::Value> =
            claims.iter().map(|c| json!({ "name": c, "persistentVolumeClaim": { "claimName": c } })).collect();
        let pod: Pod = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": { "name": name },
            "spec": { "volumes": volumes, "containers": [{ "name": "c", "image": "nginx",
                "volumeMounts": claims.iter().map(|c| json!({ "name": c, "mountPath": format!("/{c}") }))
                    .collect::<Vec<_>>() }] },
        }))
        .expect("a pod");
        self.pods().create(&PostParams::default(), &pod).await.expect("create a pod");
    }

    /// Adds a claim in `default` of the storage class `class` (none when empty), bound to `volume` when given.
    async fn add_claim(&self, name: &str, class: &str, volume: Option<&str>) {
        let mut spec = json!({ "accessModes": ["ReadWriteOnce"], "resources": { "requests": { "storage": "1Gi" } } });
        if !class.is_empty() {
            spec["storageClassName"] = json!(class);
        }
        if let Some(volume) = volume {
            spec["volumeName"] = json!(volume);
        }
        let claim: PersistentVolumeClaim = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": { "name": name }, "spec": spec,
        }))
        .expect("a claim");
        self.claims().create(&PostParams::default(), &claim).await.expect("create a claim");
    }

    /// Adds an EBS volume that only nodes in `zone` reach.
    async fn add_zonal_volume(&self, name: &str, zone: &str) {
        let volume: PersistentVolume = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "PersistentVolume", "metadata": { "name": name },
            "spec": {
                "capacity": { "storage": "1Gi" }, "accessModes": ["ReadWriteOnce"],
                "csi": { "driver": "ebs.csi.aws.com", "volumeHandle": format!("vol-{name}") },
                "nodeAffinity": { "required": { "nodeSelectorTerms": [{ "matchExpressions": [
                    { "key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone] }] }] } },
            },
        }))
        .expect("a volume");
        Api::<PersistentVolume>::all(self.client.clone())
            .create(&PostParams::default(), &volume)
            .await
            .expect("create a volume");
    }

    /// Adds an EBS storage class whose volumes are made once a pod using them is scheduled.
    async fn add_waiting_class(&self, name: &str) {
        let class: StorageClass = serde_json::from_value(json!({
            "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": { "name": name },
            "provisioner": "ebs.csi.aws.com", "volumeBindingMode": "WaitForFirstConsumer",
        }))
        .expect("a storage class");
        Api::<StorageClass>::all(self.client.clone())
            .create(&PostParams::default(), &class)
            .await
            .expect("create a storage class");
    }

    fn claims(&self) -> Api<PersistentVolumeClaim> {
        Api::namespaced(self.client.clone(), "default")
    }

    /// The node named by a claim's `volume.kubernetes.io/selected-node` annotation, as it is now.
    async fn selected_node(&self, claim: &str) -> Option<String> {
        let claim = self.claims().get(claim).await.expect("the claim");
        claim.metadata.annotations?.remove("volume.kubernetes.io/selected-node")
    }

    /// Waits for the scheduler to name a node in the claim's `volume.kubernetes.io/selected-node` annotation.
    async fn selected_node_eventually(&self, claim: &str) -> String {
        eventually(&format!("a selected node on {claim}"), || self.selected_node(claim)).await
    }

    /// Plays the PersistentVolume controller: binds the claim to a volume.
    async fn bind_claim(&self, claim: &str, volume: &str) {
        let patch = json!({ "spec": { "volumeName": volume } });
        self.claims().patch(claim, &PatchParams::default(), &Patch::Merge(&patch)).await.expect("bind the claim");
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
    test_support::eventually(what, DEADLINE, check).await
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

/// Three nodes, one per zone.
async fn zoned_cluster() -> Cluster {
    let cluster = Cluster::start().await;
    for zone in ["a", "b", "c"] {
        cluster.add_zoned_node(&format!("node-{zone}"), &format!("us-east-1{zone}")).await;
    }
    cluster
}

#[tokio::test]
async fn a_claim_waiting_for_its_first_consumer_is_told_the_node_before_the_pod_is_bound() {
    let cluster = zoned_cluster().await;
    cluster.add_waiting_class("gp3").await;
    cluster.add_claim("data", "gp3", None).await;
    cluster.add_pod_using("db", &["data"]).await;
    let selected = cluster.selected_node_eventually("data").await;
    // The pod is bound only once its claim is: until then it waits, assumed on the selected node.
    let pod = cluster.pods().get("db").await.expect("the pod");
    assert_eq!(pod.spec.and_then(|s| s.node_name), None, "bound before its claim");
    cluster.bind_claim("data", "pvc-data").await;
    let node = cluster.node_of("db").await;
    assert_eq!(node, selected);
    let event = cluster.event("db", "Scheduled").await;
    assert_eq!(event.message, Some(format!("Successfully assigned default/db to {node}")));
    cluster.stop().await;
}

#[tokio::test]
async fn pods_go_to_the_zone_of_their_bound_volume() {
    let cluster = zoned_cluster().await;
    cluster.add_zonal_volume("pv-b", "us-east-1b").await;
    cluster.add_claim("shared", "", Some("pv-b")).await;
    // Several pods, so that none lands in the zone by chance alone.
    for idx in 0..6 {
        cluster.add_pod_using(&format!("reader-{idx}"), &["shared"]).await;
    }
    for idx in 0..6 {
        assert_eq!(cluster.node_of(&format!("reader-{idx}")).await, "node-b");
    }
    cluster.stop().await;
}

#[tokio::test]
async fn a_pod_whose_claim_is_missing_waits_for_it() {
    let cluster = zoned_cluster().await;
    cluster.add_pod_using("db", &["data"]).await;
    cluster.add_pod_using("cache", &["scratch"]).await;
    for (pod, claim) in [("db", "data"), ("cache", "scratch")] {
        let event = cluster.event(pod, "FailedScheduling").await;
        let message = format!(
            "0/3 nodes are available: persistentvolumeclaim \"{claim}\" not found. preemption: 0/3 nodes are \
             available: 3 Preemption is not helpful for scheduling."
        );
        assert_eq!((event.type_.as_deref(), event.message), (Some("Warning"), Some(message)));
        let pod = cluster.pods().get(pod).await.expect("the pod");
        assert_eq!(pod.spec.and_then(|s| s.node_name), None);
    }

    // Once its claim is bound to a volume in us-east-1c, the first goes there.
    cluster.add_zonal_volume("pv-c", "us-east-1c").await;
    cluster.add_claim("data", "", Some("pv-c")).await;
    assert_eq!(cluster.node_of("db").await, "node-c");
    // Once its claim exists and waits for it, the second goes anywhere and the claim is told where.
    cluster.add_waiting_class("gp3").await;
    cluster.add_claim("scratch", "gp3", None).await;
    let selected = cluster.selected_node_eventually("scratch").await;
    cluster.bind_claim("scratch", "pvc-scratch").await;
    assert_eq!(cluster.node_of("cache").await, selected);
    cluster.stop().await;
}

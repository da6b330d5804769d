//! The agent against an in-process API server: node registration and Leases, pods driven through their lifecycle
//! as kubelet reports it, deletion, max pods and failed nodes, the usage the agent reports and OOM kills.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use apiserver::ControlPlanes;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use node_agent::{AgentConfig, Capacity, Cidr, NodeAgent, NodeSpec, SubnetPool};
use serde_json::json;
use test_support::cluster;

const DEADLINE: Duration = Duration::from_secs(20);

fn config() -> AgentConfig {
    AgentConfig {
        renew_interval: Duration::from_millis(200),
        status_interval: Duration::from_secs(1),
        backoff_base: Duration::from_millis(500),
        backoff_max: Duration::from_secs(2),
        start_delay: Duration::from_millis(200),
        ..AgentConfig::default()
    }
}

fn spec(name: &str, host: &str, pods: u32) -> NodeSpec {
    NodeSpec {
        name: name.into(),
        labels: [("topology.kubernetes.io/zone".to_owned(), "us-east-1a".to_owned())].into(),
        capacity: Capacity {
            cpu_millis: 2000,
            memory_bytes: 4 << 30,
            pods,
            ephemeral_storage_bytes: 20 << 30,
            gpus: 0,
        },
        addresses: vec![("InternalIP".into(), host.into()), ("Hostname".into(), name.into())],
        provider_id: Some(format!("aws:///us-east-1a/i-{name}")),
        pod_subnet: Some("10.0.1.0/24".into()),
        ..NodeSpec::default()
    }
}

/// Polls `probe` until it gives a value; fails after the deadline with `what`.
async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    test_support::eventually(what, DEADLINE, probe).await
}

struct Harness {
    planes: ControlPlanes,
    client: kube::Client,
    agent: NodeAgent,
}

async fn harness(nodes: Vec<NodeSpec>) -> Harness {
    let (planes, client) = cluster().await;
    let agent = NodeAgent::start(client.clone(), config(), Arc::new(SubnetPool::new()));
    agent.set_nodes(nodes);
    Harness { planes, client, agent }
}

impl Harness {
    fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), "default")
    }

    async fn create_pod(&self, name: &str, node: &str, restart_policy: &str, annotations: &[(&str, &str)]) -> Pod {
        let annotations: std::collections::BTreeMap<&str, &str> = annotations.iter().copied().collect();
        let pod: Pod = serde_json::from_value(json!({
            "metadata": { "name": name, "annotations": annotations },
            "spec": {
                "nodeName": node,
                "restartPolicy": restart_policy,
                "containers": [{ "name": "web", "image": "nginx" }],
            },
        }))
        .unwrap();
        self.pods().create(&PostParams::default(), &pod).await.expect("create a pod")
    }

    /// The pod once `check` holds for it.
    async fn pod_when(&self, name: &str, what: &str, check: impl Fn(&Pod) -> bool) -> Pod {
        eventually(what, || async { self.pods().get_opt(name).await.unwrap().filter(|pod| check(pod)) }).await
    }

    async fn events_of(&self, pod: &str) -> Vec<(String, String)> {
        let events: Api<Event> = Api::namespaced(self.client.clone(), "default");
        let mut list = events.list(&ListParams::default()).await.unwrap().items;
        list.retain(|event| event.involved_object.name.as_deref() == Some(pod));
        list.into_iter().map(|event| (event.reason.unwrap_or_default(), event.message.unwrap_or_default())).collect()
    }

    async fn event_when(&self, pod: &str, reason: &str) -> String {
        eventually(reason, || async {
            self.events_of(pod).await.into_iter().find(|(r, _)| r == reason).map(|(_, message)| message)
        })
        .await
    }

    async fn stop(self) {
        self.agent.stop().await;
        self.planes.stop_all().await;
    }
}

fn phase(pod: &Pod) -> &str {
    pod.status.as_ref().and_then(|status| status.phase.as_deref()).unwrap_or_default()
}

fn condition(pod: &Pod, type_: &str) -> Option<String> {
    let conditions = pod.status.as_ref()?.conditions.as_ref()?;
    conditions.iter().find(|c| c.type_ == type_).map(|c| c.status.clone())
}

fn container(pod: &Pod) -> Option<&k8s_openapi::api::core::v1::ContainerStatus> {
    pod.status.as_ref()?.container_statuses.as_ref()?.first()
}

async fn renew_time(leases: &Api<Lease>, name: &str) -> Option<String> {
    let lease = leases.get_opt(name).await.unwrap()?;
    let renew = lease.spec?.renew_time?;
    Some(serde_json::to_string(&renew).unwrap())
}

#[tokio::test]
async fn nodes_register_and_renew_their_leases() {
    let harness = harness(vec![spec("n1", "10.0.1.10", 17)]).await;
    let nodes: Api<Node> = Api::all(harness.client.clone());
    let node = eventually("node n1 Ready", || async {
        let node = nodes.get_opt("n1").await.unwrap()?;
        let ready = node.status.as_ref()?.conditions.as_ref()?.iter().any(|c| c.type_ == "Ready" && c.status == "True");
        ready.then_some(node)
    })
    .await;
    let labels = node.metadata.labels.clone().unwrap();
    assert_eq!(labels["kubernetes.io/hostname"], "n1");
    assert_eq!(labels["kubernetes.io/os"], "linux");
    assert_eq!(labels["failure-domain.beta.kubernetes.io/zone"], "us-east-1a");
    assert_eq!(node.spec.as_ref().unwrap().provider_id.as_deref(), Some("aws:///us-east-1a/i-n1"));
    let status = node.status.unwrap();
    assert_eq!(status.allocatable.unwrap()["cpu"].0, "1930m");
    assert_eq!(status.node_info.unwrap().kubelet_version, AgentConfig::default().kubelet_version);

    let leases: Api<Lease> = Api::namespaced(harness.client.clone(), "kube-node-lease");
    let lease = eventually("lease n1", || async { leases.get_opt("n1").await.unwrap() }).await;
    let lease_spec = lease.spec.unwrap();
    assert_eq!(lease_spec.holder_identity.as_deref(), Some("n1"));
    assert_eq!(lease_spec.lease_duration_seconds, Some(40));
    let owner = &lease.metadata.owner_references.unwrap()[0];
    assert_eq!((owner.kind.as_str(), owner.name.as_str()), ("Node", "n1"));
    assert_eq!(Some(&owner.uid), node.metadata.uid.as_ref());
    let first = renew_time(&leases, "n1").await.unwrap();
    eventually("a renewal", || async { renew_time(&leases, "n1").await.filter(|time| *time != first) }).await;

    // The status heartbeat moves on every status interval.
    let heartbeat = |node: Node| {
        let conditions = node.status?.conditions?;
        conditions.into_iter().find(|c| c.type_ == "Ready")?.last_heartbeat_time.map(|time| time.0)
    };
    let first_beat = heartbeat(nodes.get("n1").await.unwrap()).unwrap();
    eventually("a heartbeat", || async { heartbeat(nodes.get("n1").await.unwrap()).filter(|beat| *beat > first_beat) })
        .await;

    // A node that leaves the desired set is deleted, with its Lease.
    harness.agent.set_nodes(vec![]);
    eventually("node n1 deleted", || async { nodes.get_opt("n1").await.unwrap().is_none().then_some(()) }).await;
    eventually("lease n1 deleted", || async { leases.get_opt("n1").await.unwrap().is_none().then_some(()) }).await;
    harness.stop().await;
}

#[tokio::test]
async fn label_and_taint_changes_are_applied() {
    let harness = harness(vec![spec("n1", "10.0.1.10", 17)]).await;
    let nodes: Api<Node> = Api::all(harness.client.clone());
    eventually("node n1", || async { nodes.get_opt("n1").await.unwrap() }).await;
    let mut changed = spec("n1", "10.0.1.10", 17);
    changed.labels = [("team".to_owned(), "a".to_owned())].into();
    changed.taints =
        vec![serde_json::from_value(json!({ "key": "dedicated", "value": "a", "effect": "NoSchedule" })).unwrap()];
    harness.agent.set_nodes(vec![changed]);
    let node = eventually("new labels and taints", || async {
        let node = nodes.get_opt("n1").await.unwrap()?;
        let tainted = node.spec.as_ref()?.taints.as_ref().is_some_and(|taints| taints.len() == 1);
        let labels = node.metadata.labels.as_ref()?;
        (tainted && labels.get("team").is_some_and(|team| team == "a")).then_some(node)
    })
    .await;
    assert!(!node.metadata.labels.unwrap().contains_key("topology.kubernetes.io/zone"), "the old label is removed");
    harness.stop().await;
}

#[tokio::test]
async fn a_pod_runs_and_is_ready_with_an_ip_of_the_node_subnet() {
    let harness = harness(vec![spec("n1", "10.0.1.10", 17)]).await;
    harness.create_pod("web", "n1", "Always", &[]).await;
    let pod = harness.pod_when("web", "web Ready", |pod| condition(pod, "Ready").as_deref() == Some("True")).await;
    assert_eq!(phase(&pod), "Running");
    let status = pod.status.as_ref().unwrap();
    let ip: std::net::IpAddr = status.pod_ip.as_deref().unwrap().parse().unwrap();
    assert!(Cidr::parse("10.0.1.0/24").unwrap().contains(ip), "{ip}");
    assert_ne!(ip.to_string(), "10.0.1.10", "not the node's own address");
    assert_eq!(status.host_ip.as_deref(), Some("10.0.1.10"));
    assert!(status.start_time.is_some());
    let web = container(&pod).unwrap();
    assert!(web.ready && web.started == Some(true) && web.restart_count == 0);
    assert!(web.container_id.as_deref().unwrap().starts_with("containerd://"));
    assert!(web.image_id.starts_with("docker.io/library/nginx@sha256:"));
    assert!(web.state.as_ref().unwrap().running.as_ref().unwrap().started_at.is_some());
    let reasons: Vec<String> = harness.events_of("web").await.into_iter().map(|(reason, _)| reason).collect();
    for reason in ["Pulling", "Pulled", "Created", "Started"] {
        assert!(reasons.iter().any(|r| r == reason), "{reason} in {reasons:?}");
    }
    harness.stop().await;
}

#[tokio::test]
async fn run_to_completion_pods_succeed_or_fail() {
    let harness = harness(vec![spec("n1", "10.0.1.10", 17)]).await;
    harness.create_pod("job", "n1", "Never", &[("ekslite.dev/run-seconds", "0.5")]).await;
    harness.create_pod("bad", "n1", "Never", &[("ekslite.dev/exit-code", "1")]).await;
    let job = harness.pod_when("job", "job Succeeded", |pod| phase(pod) == "Succeeded").await;
    let terminated = container(&job).unwrap().state.clone().unwrap().terminated.unwrap();
    assert_eq!((terminated.exit_code, terminated.reason.as_deref()), (0, Some("Completed")));
    let bad = harness.pod_when("bad", "bad Failed", |pod| phase(pod) == "Failed").await;
    let terminated = container(&bad).unwrap().state.clone().unwrap().terminated.unwrap();
    assert_eq!((terminated.exit_code, terminated.reason.as_deref()), (1, Some("Error")));
    assert_eq!(condition(&bad, "Ready").as_deref(), Some("False"));
    harness.stop().await;
}

#[tokio::test]
async fn a_crashing_container_loops_with_back_off() {
    let harness = harness(vec![spec("n1", "10.0.1.10", 17)]).await;
    let annotations = [("ekslite.dev/run-seconds", "0.2"), ("ekslite.dev/exit-code", "3")];
    let created = harness.create_pod("crash", "n1", "Always", &annotations).await;
    let pod = harness
        .pod_when("crash", "CrashLoopBackOff", |pod| {
            container(pod).and_then(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone()).as_deref()
                == Some("CrashLoopBackOff")
        })
        .await;
    let web = container(&pod).unwrap();
    let uid = created.metadata.uid.unwrap();
    let message = web.state.as_ref().unwrap().waiting.as_ref().unwrap().message.clone().unwrap();
    assert!(
        message.starts_with("back-off ") && message.ends_with(&format!("container=web pod=crash_default({uid})")),
        "{message}"
    );
    assert_eq!(web.last_state.as_ref().unwrap().terminated.as_ref().unwrap().exit_code, 3);
    assert_eq!(phase(&pod), "Running");
    harness.pod_when("crash", "restartCount 3", |pod| container(pod).is_some_and(|c| c.restart_count >= 3)).await;
    let back_off = harness.event_when("crash", "BackOff").await;
    assert_eq!(back_off, format!("Back-off restarting failed container web in pod crash_default({uid})"));
    harness.stop().await;
}

#[tokio::test]
async fn failing_readiness_keeps_a_running_pod_unready() {
    let harness = harness(vec![spec("n1", "10.0.1.10", 17)]).await;
    harness.create_pod("unready", "n1", "Always", &[("ekslite.dev/fail-readiness", "true")]).await;
    let message = harness.event_when("unready", "Unhealthy").await;
    assert!(message.starts_with("Readiness probe failed"), "{message}");
    let pod = harness.pod_when("unready", "Running", |pod| phase(pod) == "Running").await;
    assert_eq!(condition(&pod, "Ready").as_deref(), Some("False"));
    assert!(!container(&pod).unwrap().ready);
    harness.stop().await;
}

#[tokio::test]
async fn garbage_annotations_are_ignored_with_a_warning() {
    let harness = harness(vec![spec("n1", "10.0.1.10", 17)]).await;
    harness.create_pod("odd", "n1", "Always", &[("ekslite.dev/exit-code", "lots")]).await;
    let message = harness.event_when("odd", "InvalidAnnotation").await;
    assert!(message.contains("ekslite.dev/exit-code"), "{message}");
    harness.pod_when("odd", "Ready", |pod| condition(pod, "Ready").as_deref() == Some("True")).await;
    harness.stop().await;
}

#[tokio::test]
async fn a_deleted_pod_stops_and_goes_and_its_ip_is_reused() {
    let mut small = spec("n1", "10.0.1.10", 17);
    // Three usable addresses: .4, .5 and .6.
    small.pod_subnet = Some("10.0.1.0/29".into());
    small.addresses[0].1 = "10.0.9.9".into();
    let harness = harness(vec![small]).await;
    for name in ["a", "b", "c"] {
        harness.create_pod(name, "n1", "Always", &[]).await;
    }
    for name in ["a", "b", "c"] {
        harness.pod_when(name, "Ready", |pod| condition(pod, "Ready").as_deref() == Some("True")).await;
    }
    let pods = harness.pods();
    let deleting = pods.delete("a", &DeleteParams::default()).await.unwrap();
    assert!(deleting.left().is_some_and(|pod| pod.metadata.deletion_timestamp.is_some()), "deletion is graceful");
    eventually("a gone", || async { pods.get_opt("a").await.unwrap().is_none().then_some(()) }).await;
    let killing = harness.event_when("a", "Killing").await;
    assert_eq!(killing, "Stopping container web");
    // Its address went back: a fourth pod gets one.
    harness.create_pod("d", "n1", "Always", &[]).await;
    harness.pod_when("d", "Ready", |pod| condition(pod, "Ready").as_deref() == Some("True")).await;
    harness.stop().await;
}

#[tokio::test]
async fn pods_beyond_max_pods_are_rejected() {
    let harness = harness(vec![spec("n1", "10.0.1.10", 2)]).await;
    for name in ["a", "b"] {
        harness.create_pod(name, "n1", "Always", &[]).await;
        harness.pod_when(name, "Running", |pod| phase(pod) == "Running").await;
    }
    harness.create_pod("c", "n1", "Always", &[]).await;
    let rejected = harness.pod_when("c", "Failed", |pod| phase(pod) == "Failed").await;
    let status = rejected.status.unwrap();
    assert_eq!(status.reason.as_deref(), Some("OutOfpods"));
    assert_eq!(
        status.message.as_deref(),
        Some("Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2")
    );
    harness.stop().await;
}

#[tokio::test]
async fn a_failed_node_stops_renewing_and_leaves_its_pods_alone() {
    let harness = harness(vec![spec("n1", "10.0.1.10", 17)]).await;
    let leases: Api<Lease> = Api::namespaced(harness.client.clone(), "kube-node-lease");
    eventually("lease n1", || async { leases.get_opt("n1").await.unwrap() }).await;
    harness.agent.fail("n1");
    // Let a renewal that was under way finish, then watch several intervals pass without one.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let frozen = renew_time(&leases, "n1").await.unwrap();
    harness.create_pod("stuck", "n1", "Always", &[]).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(renew_time(&leases, "n1").await.unwrap(), frozen, "no renewal while failed");
    let stuck = harness.pods().get("stuck").await.unwrap();
    assert!(stuck.status.as_ref().and_then(|status| status.pod_ip.as_ref()).is_none(), "the pod is not started");
    let nodes: Api<Node> = Api::all(harness.client.clone());
    assert!(nodes.get_opt("n1").await.unwrap().is_some(), "the Node stays");

    harness.agent.recover("n1");
    eventually("a renewal", || async { renew_time(&leases, "n1").await.filter(|time| *time != frozen) }).await;
    harness.pod_when("stuck", "Running", |pod| phase(pod) == "Running").await;
    harness.stop().await;
}

#[tokio::test]
async fn pods_of_a_node_that_left_are_deleted() {
    let harness = harness(vec![spec("n1", "10.0.1.10", 17), spec("n2", "10.0.1.11", 17)]).await;
    harness.create_pod("orphan", "n2", "Always", &[]).await;
    harness.pod_when("orphan", "Running", |pod| phase(pod) == "Running").await;
    harness.agent.set_nodes(vec![spec("n1", "10.0.1.10", 17)]);
    let pods = harness.pods();
    eventually("orphan gone", || async { pods.get_opt("orphan").await.unwrap().is_none().then_some(()) }).await;
    harness.stop().await;
}

#[tokio::test]
async fn a_replacement_machine_under_the_same_name_registers_afresh_and_its_predecessors_pods_go() {
    let harness = harness(vec![spec("n1", "10.0.1.10", 17)]).await;
    let nodes: Api<Node> = Api::all(harness.client.clone());
    let leases: Api<Lease> = Api::namespaced(harness.client.clone(), "kube-node-lease");
    harness.create_pod("old-machine", "n1", "Always", &[]).await;
    harness.pod_when("old-machine", "Running", |pod| phase(pod) == "Running").await;
    let old = nodes.get("n1").await.unwrap();

    // The terminated instance's address, and so its node name, goes to a new instance.
    let mut replacement = spec("n1", "10.0.1.10", 17);
    replacement.provider_id = Some("aws:///us-east-1a/i-replacement".into());
    harness.agent.set_nodes(vec![replacement]);
    let new = eventually("the replacement's Node", || async {
        let node = nodes.get_opt("n1").await.unwrap()?;
        let provider = node.spec.as_ref()?.provider_id.as_deref()?;
        (provider == "aws:///us-east-1a/i-replacement").then_some(node)
    })
    .await;
    assert_ne!(new.metadata.uid, old.metadata.uid, "a new Node object, not a patched one");
    let lease = eventually("the replacement's Lease", || async {
        let lease = leases.get_opt("n1").await.unwrap()?;
        let owner = lease.metadata.owner_references.as_ref()?.first()?.uid.clone();
        (Some(&owner) == new.metadata.uid.as_ref()).then_some(lease)
    })
    .await;
    assert_eq!(lease.spec.unwrap().holder_identity.as_deref(), Some("n1"));
    let pods = harness.pods();
    eventually("the old machine's pod gone", || async {
        pods.get_opt("old-machine").await.unwrap().is_none().then_some(())
    })
    .await;
    eventually("the replacement Ready", || async {
        let node = nodes.get_opt("n1").await.unwrap()?;
        let conditions = node.status?.conditions?;
        conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True").then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn a_failure_is_the_machine_s_and_a_replacement_under_the_same_name_starts_sound() {
    let harness = harness(vec![spec("n1", "10.0.1.10", 17)]).await;
    let nodes: Api<Node> = Api::all(harness.client.clone());
    let leases: Api<Lease> = Api::namespaced(harness.client.clone(), "kube-node-lease");
    let renewed = || async {
        let lease = leases.get_opt("n1").await.unwrap()?;
        lease.spec?.renew_time
    };
    eventually("the first Lease", renewed).await;
    harness.agent.fail("n1");
    let failed_at = eventually("the last renewal", renewed).await;
    // A new machine takes the name (the failed one's address reused): it is not the failed machine, so it
    // registers, is Ready and renews its Lease.
    let mut replacement = spec("n1", "10.0.1.10", 17);
    replacement.provider_id = Some("aws:///us-east-1a/i-replacement".into());
    harness.agent.set_nodes(vec![replacement]);
    eventually("the replacement Ready and renewing", || async {
        let node = nodes.get_opt("n1").await.unwrap()?;
        let sound = node.spec.as_ref()?.provider_id.as_deref() == Some("aws:///us-east-1a/i-replacement")
            && node.status?.conditions?.iter().any(|c| c.type_ == "Ready" && c.status == "True");
        let renewal = renewed().await?;
        (sound && renewal > failed_at).then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn a_failing_liveness_probe_kills_and_restarts_the_container() {
    let harness = harness(vec![spec("n1", "10.0.1.10", 17)]).await;
    harness.create_pod("sick", "n1", "Always", &[("ekslite.dev/fail-liveness-after", "0.3")]).await;
    let pod = harness.pod_when("sick", "a restart", |pod| container(pod).is_some_and(|c| c.restart_count >= 1)).await;
    let last = container(&pod).unwrap().last_state.clone().unwrap().terminated.unwrap();
    assert_eq!((last.exit_code, last.reason.as_deref()), (137, Some("Error")));
    assert_eq!(harness.event_when("sick", "Killing").await, "Container web failed liveness probe, will be restarted");
    assert!(harness.event_when("sick", "Unhealthy").await.starts_with("Liveness probe failed"));
    harness.stop().await;
}

/// Volumes that mount once `ready` is set, recording what they were asked.
#[derive(Debug, Default)]
struct GatedVolumes {
    ready: std::sync::atomic::AtomicBool,
    asked: std::sync::Mutex<Vec<(String, String, Vec<String>)>>,
}

#[async_trait::async_trait]
impl node_agent::PodVolumes for GatedVolumes {
    async fn mount(&self, node: &NodeSpec, namespace: &str, _pod_uid: &str, claims: &[String]) -> Result<(), String> {
        let zone = node.labels.get("topology.kubernetes.io/zone").cloned().unwrap_or_default();
        self.asked.lock().unwrap().push((zone, namespace.to_owned(), claims.to_vec()));
        if self.ready.load(std::sync::atomic::Ordering::SeqCst) {
            Ok(())
        } else {
            Err("MountVolume.SetUp failed for volume \"data\" : no mount target".into())
        }
    }
}

#[tokio::test]
async fn a_pod_waits_with_failed_mount_until_its_volumes_mount() {
    let (planes, client) = cluster().await;
    let volumes = Arc::new(GatedVolumes::default());
    let agent = NodeAgent::start_with_volumes(
        client.clone(),
        config(),
        Arc::new(SubnetPool::new()),
        Some(Arc::clone(&volumes) as Arc<dyn node_agent::PodVolumes>),
    );
    agent.set_nodes(vec![spec("n1", "10.0.1.10", 17)]);
    let harness = Harness { planes, client, agent };
    let pod: Pod = serde_json::from_value(json!({
        "metadata": { "name": "db" },
        "spec": {
            "nodeName": "n1",
            "containers": [{ "name": "db", "image": "postgres" }],
            "volumes": [
                { "name": "data", "persistentVolumeClaim": { "claimName": "shared" } },
                { "name": "scratch", "emptyDir": {} },
            ],
        },
    }))
    .unwrap();
    harness.pods().create(&PostParams::default(), &pod).await.unwrap();
    harness.create_pod("plain", "n1", "Always", &[]).await;
    let message = harness.event_when("db", "FailedMount").await;
    assert!(message.contains("no mount target"), "{message}");
    harness.pod_when("plain", "a pod without claims runs", |pod| phase(pod) == "Running").await;
    let waiting = harness.pods().get("db").await.unwrap();
    assert!(waiting.status.as_ref().and_then(|s| s.start_time.as_ref()).is_none(), "not started");
    assert_eq!(
        volumes.asked.lock().unwrap()[0],
        ("us-east-1a".to_owned(), "default".to_owned(), vec!["shared".to_owned()])
    );

    volumes.ready.store(true, std::sync::atomic::Ordering::SeqCst);
    harness.pod_when("db", "db runs once its volume mounts", |pod| phase(pod) == "Running").await;
    harness.stop().await;
}

#[tokio::test]
async fn projected_tokens_for_an_audience_are_requested_before_the_pod_starts() {
    let harness = harness(Vec::new()).await;
    let accounts: Api<k8s_openapi::api::core::v1::ServiceAccount> = Api::namespaced(harness.client.clone(), "default");
    let account = serde_json::from_value(json!({ "metadata": { "name": "app" } })).unwrap();
    accounts.create(&PostParams::default(), &account).await.unwrap();
    let pod: Pod = serde_json::from_value(json!({
        "metadata": { "name": "irsa" },
        "spec": {
            "nodeName": "n1",
            "serviceAccountName": "app",
            "containers": [{ "name": "app", "image": "nginx" }],
            "volumes": [{ "name": "aws-iam-token", "projected": { "sources": [{ "serviceAccountToken": {
                "audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token" } }] } }],
        },
    }))
    .unwrap();
    harness.pods().create(&PostParams::default(), &pod).await.unwrap();
    // The account goes before the node takes the pod: kubelet cannot get the token, so the pod waits.
    accounts.delete("app", &Default::default()).await.unwrap();
    harness.agent.set_nodes(vec![spec("n1", "10.0.1.10", 17)]);
    let message = harness.event_when("irsa", "FailedMount").await;
    assert!(
        message.starts_with("MountVolume.SetUp failed for volume \"aws-iam-token\" : failed to fetch token:")
            && message.contains("not found"),
        "{message}"
    );
    let waiting = harness.pods().get("irsa").await.unwrap();
    assert!(waiting.status.as_ref().and_then(|s| s.start_time.as_ref()).is_none(), "not started");

    accounts.create(&PostParams::default(), &account).await.unwrap();
    harness.pod_when("irsa", "the pod runs once its token can be had", |pod| phase(pod) == "Running").await;
    harness.stop().await;
}

/// `(cpu millicores, memory MiB)` of each container of the pod `name` in `usage`, if it is there.
fn usage_of(usage: &node_agent::UsageSnapshot, name: &str) -> Option<Vec<(u64, u64)>> {
    let pod = usage.pods.iter().find(|pod| pod.name == name)?;
    Some(pod.containers.iter().map(|c| (c.cpu_nanocores / 1_000_000, c.memory_bytes >> 20)).collect())
}

#[tokio::test]
async fn usage_follows_the_running_pods_and_the_load_table() {
    let (planes, client) = cluster().await;
    let loads = Arc::new(node_agent::Loads::new());
    let config = AgentConfig { loads: Arc::clone(&loads), ..config() };
    let agent = NodeAgent::start(client.clone(), config, Arc::new(SubnetPool::new()));
    agent.set_nodes(vec![spec("n1", "10.0.1.10", 17), spec("n2", "10.0.1.11", 17)]);
    let harness = Harness { planes, client, agent };
    let pods = harness.pods();
    let fixed: Pod = test_support::object(json!({
        "metadata": { "name": "fixed", "annotations": { "ekslite.dev/cpu-usage": "400m",
                                                        "ekslite.dev/memory-usage": "300Mi" } },
        "spec": { "nodeName": "n1", "containers": [
            { "name": "app", "image": "nginx", "resources": { "requests": { "cpu": "100m", "memory": "100Mi" } } },
            { "name": "log", "image": "fluentbit", "resources": { "requests": { "cpu": "300m", "memory": "200Mi" } } },
        ] },
    }));
    pods.create(&PostParams::default(), &fixed).await.unwrap();
    // Two pods of one Deployment, from its old and its new ReplicaSet, share its CPU load.
    for (rs, hash, node) in [("web-6d4cf56db6", "6d4cf56db6", "n1"), ("web-7f8b9c", "7f8b9c", "n2")] {
        let pod: Pod = test_support::object(json!({
            "metadata": { "name": format!("{rs}-x"), "labels": { "pod-template-hash": hash },
                          "annotations": { "ekslite.dev/cpu-load": "2" },
                          "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs,
                                                "uid": format!("uid-{rs}"), "controller": true }] },
            "spec": { "nodeName": node, "containers": [{ "name": "web", "image": "nginx" }] },
        }));
        pods.create(&PostParams::default(), &pod).await.unwrap();
    }
    let usage = eventually("every pod's usage", || async {
        let usage = harness.agent.usage();
        let shared = [usage_of(&usage, "web-6d4cf56db6-x")?, usage_of(&usage, "web-7f8b9c-x")?];
        (usage_of(&usage, "fixed")?.len() == 2 && shared.iter().all(|web| web == &[(1000, 4)])).then_some(usage)
    })
    .await;
    assert_eq!(usage_of(&usage, "fixed"), Some(vec![(100, 100), (300, 200)]));
    let n2 = usage.nodes.iter().find(|node| node.name == "n2").unwrap();
    assert_eq!(n2.labels.get("kubernetes.io/hostname").map(String::as_str), Some("n2"), "nodes carry their labels");
    let web_pod = usage.pods.iter().find(|pod| pod.name == "web-7f8b9c-x").unwrap();
    assert!(web_pod.labels.contains_key("pod-template-hash"), "pods carry their labels");
    let system = (node_agent::usage::SYSTEM_CPU_MILLIS, node_agent::usage::SYSTEM_MEMORY_BYTES >> 20);
    assert_eq!((n2.cpu_nanocores / 1_000_000, n2.memory_bytes >> 20), (1000 + system.0, 4 + system.1));
    // The load table overrides the annotation at once; n1 (2 cores) is then full.
    let web = node_agent::Workload { namespace: "default".into(), kind: "Deployment".into(), name: "web".into() };
    loads.set(web, node_agent::Load { cpu_millis: Some(4000), memory_bytes: None });
    let usage = harness.agent.usage();
    assert_eq!(usage_of(&usage, "web-7f8b9c-x"), Some(vec![(2000, 4)]));
    let n1 = usage.nodes.iter().find(|node| node.name == "n1").unwrap();
    assert_eq!(n1.cpu_nanocores, 2_000_000_000);
    // A failed node reports nothing; a deleted pod goes.
    harness.agent.fail("n2");
    let usage = harness.agent.usage();
    assert!(usage_of(&usage, "web-7f8b9c-x").is_none() && usage.nodes.iter().all(|node| node.name != "n2"));
    pods.delete("fixed", &DeleteParams::default()).await.unwrap();
    eventually("the deleted pod's usage gone", || async {
        usage_of(&harness.agent.usage(), "fixed").is_none().then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn a_container_above_its_memory_limit_is_oom_killed_and_restarted() {
    let harness = harness(vec![spec("n1", "10.0.1.10", 17)]).await;
    let hog: Pod = test_support::object(json!({
        "metadata": { "name": "hog", "annotations": { "ekslite.dev/memory-usage": "512Mi" } },
        "spec": { "nodeName": "n1", "containers": [
            { "name": "web", "image": "nginx", "resources": { "limits": { "memory": "256Mi" } } },
        ] },
    }));
    harness.pods().create(&PostParams::default(), &hog).await.unwrap();
    let pod = harness.pod_when("hog", "a restart", |pod| container(pod).is_some_and(|c| c.restart_count >= 1)).await;
    let last = container(&pod).unwrap().last_state.clone().unwrap().terminated.unwrap();
    assert_eq!((last.exit_code, last.reason.as_deref()), (137, Some("OOMKilled")));
    assert_eq!(phase(&pod), "Running");
    harness.stop().await;
}

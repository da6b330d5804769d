//! Karpenter against an in-process API server with a fake fleet whose instances register as Ready nodes at once:
//! installing its Deployment creates the CRDs and turns it on; a pending pod becomes a NodeClaim whose node
//! registers and initializes; an empty node is consolidated away through termination; garbage in a NodePool is
//! refused by the schema.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;
use test_support::{cluster, eventually, object};

use super::super::{Ec2NodeClass, NodeClaim, NodePool, Settings, run_with};
use super::catalogue;
use crate::Clock;
use crate::fleet::{
    AutoMode, ClassImage, ClassKind, ClassSecurityGroup, ClassSubnet, Fleet, FleetInstance, InstanceTypeInfo,
    LaunchError, LaunchRequest, Launched, ResolvedClass,
};

/// A fleet whose launches become Ready nodes in the cluster.
struct FakeFleet {
    client: kube::Client,
    /// Instance id → (provider id, state, tags).
    instances: Mutex<BTreeMap<String, FleetInstance>>,
    launches: Mutex<Vec<LaunchRequest>>,
    terminated: Mutex<Vec<String>>,
}

impl std::fmt::Debug for FakeFleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeFleet").finish()
    }
}

#[async_trait::async_trait]
impl Fleet for FakeFleet {
    async fn auto_mode(&self) -> Result<Option<AutoMode>, String> {
        Ok(None)
    }

    async fn resolve(&self, _kind: ClassKind, _name: &str, spec: &serde_json::Value) -> Result<ResolvedClass, String> {
        if spec.get("role").is_none() {
            return Err("role is required".into());
        }
        Ok(ResolvedClass {
            subnets: vec![ClassSubnet {
                id: "subnet-a".into(),
                zone: "us-west-2a".into(),
                zone_id: "usw2-az1".into(),
                available_ips: 100,
            }],
            security_groups: vec![ClassSecurityGroup { id: "sg-1".into(), name: "nodes".into() }],
            images: vec![ClassImage { id: "ami-1".into(), name: "al2023".into(), architecture: "amd64".into() }],
            instance_profile: "demo_1234".into(),
        })
    }

    async fn instance_types(&self, _class: &ResolvedClass) -> Result<Vec<InstanceTypeInfo>, String> {
        Ok(catalogue())
    }

    async fn launch(&self, request: &LaunchRequest) -> Result<Launched, LaunchError> {
        let chosen = request.overrides.first().cloned().ok_or(LaunchError::Other("no overrides".into()))?;
        let id = {
            let mut launches = self.launches.lock().unwrap();
            launches.push(request.clone());
            format!("i-{:04}", launches.len())
        };
        let provider_id = format!("aws:///{}/{id}", chosen.zone);
        let info = catalogue().into_iter().find(|t| t.name == chosen.instance_type).expect("a known type");
        let name = format!("ip-{id}.us-west-2.compute.internal");
        let mut labels = request.labels.clone();
        labels.insert("kubernetes.io/hostname".into(), name.clone());
        labels.insert("node.kubernetes.io/instance-type".into(), info.name.clone());
        labels.insert("kubernetes.io/arch".into(), info.architecture.clone());
        labels.insert("topology.kubernetes.io/zone".into(), chosen.zone.clone());
        let nodes: Api<Node> = Api::all(self.client.clone());
        let node = json!({
            "metadata": { "name": name, "labels": labels },
            "spec": { "providerID": provider_id, "taints": request.taints },
        });
        nodes
            .create(&PostParams::default(), &object::<Node>(node))
            .await
            .map_err(|e| LaunchError::Other(e.to_string()))?;
        let status = json!({ "status": {
            "allocatable": { "cpu": format!("{}m", info.allocatable_cpu_millis), "memory": info.allocatable_memory_bytes.to_string(), "pods": "29" },
            "capacity": { "cpu": format!("{}m", info.capacity_cpu_millis), "memory": info.capacity_memory_bytes.to_string(), "pods": "29" },
            "conditions": [{ "type": "Ready", "status": "True" }] } });
        nodes
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
            .await
            .map_err(|e| LaunchError::Other(e.to_string()))?;
        self.instances.lock().unwrap().insert(
            id.clone(),
            FleetInstance {
                instance_id: id.clone(),
                provider_id: provider_id.clone(),
                state: "running".into(),
                tags: request.tags.clone(),
                subnet_id: chosen.subnet_id.clone(),
                security_groups: request.class.security_groups.iter().map(|g| g.id.clone()).collect(),
            },
        );
        Ok(Launched {
            instance_id: id,
            provider_id,
            instance_type: chosen.instance_type,
            zone: chosen.zone,
            capacity_type: chosen.capacity_type,
            image_id: "ami-1".into(),
        })
    }

    async fn terminate(&self, instance_id: &str) -> Result<(), String> {
        self.instances.lock().unwrap().remove(instance_id);
        self.terminated.lock().unwrap().push(instance_id.to_owned());
        Ok(())
    }

    async fn instances(&self) -> Result<Vec<FleetInstance>, String> {
        Ok(self.instances.lock().unwrap().values().cloned().collect())
    }
}

async fn install(client: &kube::Client) {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "kube-system");
    let deployment = json!({
        "metadata": { "name": "karpenter", "labels": { "app.kubernetes.io/name": "karpenter" } },
        "spec": {
            "selector": { "matchLabels": { "app.kubernetes.io/name": "karpenter" } },
            "template": { "metadata": { "labels": { "app.kubernetes.io/name": "karpenter" } }, "spec": { "containers": [{
                "name": "controller", "image": "public.ecr.aws/karpenter/controller:1.8.1",
                "env": [{ "name": "CLUSTER_NAME", "value": "demo" }] }] } },
        },
    });
    deployments.create(&PostParams::default(), &object(deployment)).await.expect("create the deployment");
    let available = json!({ "status": { "replicas": 1, "readyReplicas": 1, "availableReplicas": 1 } });
    deployments
        .patch_status("karpenter", &PatchParams::default(), &Patch::Merge(&available))
        .await
        .expect("make it available");
}

async fn pending_pod(client: &kube::Client, name: &str, cpu: &str) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pod = json!({
        "metadata": { "name": name, "labels": { "app": "web" },
                      "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "u1", "controller": true }] },
        "spec": { "containers": [{ "name": "app", "image": "nginx", "resources": { "requests": { "cpu": cpu, "memory": "128Mi" } } }] },
    });
    pods.create(&PostParams::default(), &object(pod)).await.expect("create a pod");
    let status = json!({ "status": { "phase": "Pending", "conditions": [{ "type": "PodScheduled", "status": "False", "reason": "Unschedulable" }] } });
    pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&status)).await.expect("mark it unschedulable");
}

/// Karpenter running against the cluster with a fake fleet, installed.
async fn start(client: &kube::Client) -> (Arc<FakeFleet>, tokio::task::JoinHandle<()>) {
    let fleet = Arc::new(FakeFleet {
        client: client.clone(),
        instances: Mutex::new(BTreeMap::new()),
        launches: Mutex::new(Vec::new()),
        terminated: Mutex::new(Vec::new()),
    });
    let settings = Settings {
        batch_idle: Duration::from_millis(100),
        batch_max: Duration::from_millis(500),
        refresh: Duration::from_secs(60),
    };
    let task = tokio::spawn(run_with(client.clone(), fleet.clone(), Clock::system(), settings));
    install(client).await;
    (fleet, task)
}

/// The getting-started EC2NodeClass and an on-demand amd64 NodePool, once the CRDs are served; waits for the pool
/// to be Ready.
async fn class_and_pool(client: &kube::Client) {
    let classes: Api<Ec2NodeClass> = Api::all(client.clone());
    let pools: Api<NodePool> = Api::all(client.clone());
    let class = json!({ "apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": { "name": "default" },
        "spec": { "role": "KarpenterNodeRole-demo", "amiSelectorTerms": [{ "alias": "al2023@latest" }],
                  "subnetSelectorTerms": [{ "tags": { "karpenter.sh/discovery": "demo" } }],
                  "securityGroupSelectorTerms": [{ "tags": { "karpenter.sh/discovery": "demo" } }] } });
    eventually("the EC2NodeClass kind served", Duration::from_secs(10), || async {
        classes.create(&PostParams::default(), &object(class.clone())).await.ok()
    })
    .await;
    let pool = json!({ "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": { "name": "default" },
        "spec": { "template": { "spec": {
            "nodeClassRef": { "group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default" },
            "requirements": [{ "key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"] },
                             { "key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"] }] } },
                  "disruption": { "consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "0s" } } });
    eventually("the NodePool kind served", Duration::from_secs(10), || async {
        pools.create(&PostParams::default(), &object(pool.clone())).await.ok()
    })
    .await;
    eventually("the pool ready", Duration::from_secs(10), || async {
        let pool = pools.get("default").await.ok()?;
        super::conditions::is_true(&pool.status["conditions"], "Ready").then_some(())
    })
    .await;
}

#[tokio::test]
async fn karpenter_provisions_registers_and_consolidates_a_node() {
    let (_planes, client) = cluster().await;
    let (fleet, task) = start(&client).await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    eventually("the CRDs", Duration::from_secs(10), || async {
        crds.get_opt("ec2nodeclasses.karpenter.k8s.aws").await.ok().flatten()?;
        crds.get_opt("nodeclaims.karpenter.sh").await.ok().flatten()
    })
    .await;
    let classes: Api<Ec2NodeClass> = Api::all(client.clone());
    let pools: Api<NodePool> = Api::all(client.clone());
    // The API server refuses a requirement with an operator upstream does not know.
    let garbage = json!({ "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": { "name": "garbage" },
        "spec": { "template": { "spec": {
            "nodeClassRef": { "group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default" },
            "requirements": [{ "key": "kubernetes.io/arch", "operator": "Equals", "values": ["amd64"] }] } } } });
    let refused = eventually("the NodePool kind served", Duration::from_secs(10), || async {
        match pools.create(&PostParams::default(), &object(garbage.clone())).await {
            Err(kube::Error::Api(status)) if status.code == 422 => Some(status.message),
            _ => None,
        }
    })
    .await;
    assert!(refused.contains("Unsupported value"), "{refused}");
    class_and_pool(&client).await;
    let class = classes.get("default").await.unwrap();
    assert_eq!(class.status["subnets"][0]["id"], "subnet-a");
    assert!(class.metadata.finalizers.unwrap_or_default().contains(&"karpenter.k8s.aws/termination".to_owned()));

    pending_pod(&client, "web-1", "1").await;
    let claims: Api<NodeClaim> = Api::all(client.clone());
    let claim = eventually("an initialized NodeClaim", Duration::from_secs(15), || async {
        let list = claims.list(&ListParams::default()).await.ok()?;
        let claim = list.items.into_iter().next()?;
        super::conditions::is_true(&claim.status["conditions"], "Ready").then_some(claim)
    })
    .await;
    let name = claim.metadata.name.clone().unwrap();
    assert!(name.starts_with("default-"), "{name}");
    let labels = claim.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("karpenter.sh/nodepool").map(String::as_str), Some("default"));
    assert_eq!(
        labels.get("node.kubernetes.io/instance-type").map(String::as_str),
        Some("t3.medium"),
        "the cheapest that fits"
    );
    assert_eq!(labels.get("karpenter.k8s.aws/instance-family").map(String::as_str), Some("t3"));
    assert_eq!(labels.get("karpenter.sh/capacity-type").map(String::as_str), Some("on-demand"));
    let launch = fleet.launches.lock().unwrap()[0].clone();
    assert!(launch.taints.iter().any(|t| t.key == "karpenter.sh/unregistered" && t.effect == "NoExecute"));
    assert!(launch.overrides.iter().all(|o| o.capacity_type == "on-demand"));
    assert_eq!(launch.tags.get("karpenter.sh/nodeclaim"), Some(&name));
    let node_name = claim.status["nodeName"].as_str().expect("a node name").to_owned();
    let nodes: Api<Node> = Api::all(client.clone());
    let node = nodes.get(&node_name).await.unwrap();
    let node_labels = node.metadata.labels.clone().unwrap_or_default();
    assert_eq!(node_labels.get("karpenter.sh/registered").map(String::as_str), Some("true"));
    assert_eq!(node_labels.get("karpenter.sh/initialized").map(String::as_str), Some("true"));
    assert!(node.metadata.finalizers.clone().unwrap_or_default().contains(&"karpenter.sh/termination".to_owned()));
    assert!(node.spec.unwrap().taints.unwrap_or_default().iter().all(|t| t.key != "karpenter.sh/unregistered"));
    assert_eq!(node.metadata.owner_references.unwrap()[0].kind, "NodeClaim");
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let nominated = events.list(&ListParams::default()).await.unwrap().items.into_iter().any(|e| {
        e.reason.as_deref() == Some("Nominated")
            && e.message.as_deref() == Some(&format!("Pod should schedule on: nodeclaim/{name}"))
    });
    assert!(nominated);
    // The pod fits the new node now: no second claim.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(claims.list(&ListParams::default()).await.unwrap().items.len(), 1);
    assert_eq!(fleet.launches.lock().unwrap().len(), 1);

    // The pod goes: the empty node is consolidated away, drained, its instance terminated.
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    pods.delete("web-1", &DeleteParams::default().grace_period(0)).await.unwrap();
    eventually("the claim and node gone", Duration::from_secs(20), || async {
        let claims_left = claims.list(&ListParams::default()).await.ok()?.items.len();
        let node = nodes.get_opt(&node_name).await.ok()?;
        (claims_left == 0 && node.is_none()).then_some(())
    })
    .await;
    assert_eq!(fleet.terminated.lock().unwrap().as_slice(), ["i-0001"]);
    task.abort();
}

/// A pod bound to `node`, Running, that goes at once when evicted.
async fn bound_pod(client: &kube::Client, name: &str, cpu: &str, node: &str) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pod = json!({
        "metadata": { "name": name, "labels": { "app": "web" },
                      "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "u1", "controller": true }] },
        "spec": { "nodeName": node, "terminationGracePeriodSeconds": 0,
                  "containers": [{ "name": "app", "image": "nginx", "resources": { "requests": { "cpu": cpu, "memory": "128Mi" } } }] },
    });
    pods.create(&PostParams::default(), &object(pod)).await.expect("create a bound pod");
    let status = json!({ "status": { "phase": "Running", "conditions": [{ "type": "Ready", "status": "True" }] } });
    pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&status)).await.expect("mark it running");
}

#[tokio::test]
async fn karpenter_replaces_a_drifted_node_before_it_goes() {
    let (_planes, client) = cluster().await;
    let (fleet, task) = start(&client).await;
    class_and_pool(&client).await;
    let pools: Api<NodePool> = Api::all(client.clone());
    let claims: Api<NodeClaim> = Api::all(client.clone());
    pending_pod(&client, "web-1", "1").await;
    let first = eventually("an initialized NodeClaim", Duration::from_secs(15), || async {
        let claim = claims.list(&ListParams::default()).await.ok()?.items.into_iter().next()?;
        super::conditions::is_true(&claim.status["conditions"], "Initialized").then_some(claim)
    })
    .await;
    let first_name = first.metadata.name.clone().unwrap();
    let first_node = first.status["nodeName"].as_str().unwrap().to_owned();
    // The pool and its claims carry the template's hash.
    let pool = pools.get("default").await.unwrap();
    let hash = pool.metadata.annotations.clone().unwrap_or_default().get("karpenter.sh/nodepool-hash").cloned();
    assert!(hash.is_some());
    assert_eq!(first.metadata.annotations.clone().unwrap_or_default().get("karpenter.sh/nodepool-hash"), hash.as_ref());
    // The pod lands there (as the scheduler would put it; bound before the pending one goes, so the node is
    // never empty).
    bound_pod(&client, "web-2", "1", &first_node).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    pods.delete("web-1", &DeleteParams::default().grace_period(0)).await.unwrap();

    // A new label in the template drifts the node: a replacement with the label comes first, then the node goes.
    // (Consolidation waits an hour, so the replacement, empty here with no ReplicaSet to bring the pod back, stays.)
    let patch = json!({ "spec": { "template": { "metadata": { "labels": { "team": "blue" } } },
                                  "disruption": { "consolidateAfter": "1h" } } });
    pools.patch("default", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    let replacement = eventually("a replacement NodeClaim", Duration::from_secs(15), || async {
        let list = claims.list(&ListParams::default()).await.ok()?;
        list.items.into_iter().find(|c| c.metadata.name.as_deref() != Some(first_name.as_str()))
    })
    .await;
    let labels = replacement.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("team").map(String::as_str), Some("blue"));
    let events: Api<Event> = Api::all(client.clone());
    let said = |reason: &'static str, message: &'static str, name: String| {
        let events = events.clone();
        async move {
            events.list(&ListParams::default()).await.ok()?.items.into_iter().find(|e| {
                e.reason.as_deref() == Some(reason)
                    && e.message.as_deref() == Some(message)
                    && e.involved_object.name.as_deref() == Some(name.as_str())
            })
        }
    };
    let replacement_name = replacement.metadata.name.clone().unwrap();
    eventually("DisruptionLaunching", Duration::from_secs(5), || {
        said("DisruptionLaunching", "Launching NodeClaim: Drifted", replacement_name.clone())
    })
    .await;
    eventually("DisruptionTerminating", Duration::from_secs(15), || {
        said("DisruptionTerminating", "Disrupting NodeClaim: Drifted", first_name.clone())
    })
    .await;
    let nodes: Api<Node> = Api::all(client.clone());
    eventually("the drifted node gone", Duration::from_secs(20), || async {
        let gone =
            claims.get_opt(&first_name).await.ok()?.is_none() && nodes.get_opt(&first_node).await.ok()?.is_none();
        gone.then_some(())
    })
    .await;
    assert_eq!(fleet.terminated.lock().unwrap().as_slice(), ["i-0001"]);
    // The replacement is not drifted: it stays.
    let kept = claims.get(&replacement_name).await.unwrap();
    assert!(kept.metadata.deletion_timestamp.is_none());
    assert!(!super::conditions::is_true(&kept.status["conditions"], "Drifted"));
    task.abort();
}

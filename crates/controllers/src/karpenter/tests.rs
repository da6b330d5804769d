use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Node, NodeSelectorRequirement, Pod, Taint};
use scheduler::Snapshot;
use serde_json::json;

use super::conditions;
use super::disruption::{self, Candidate, Reason};
use super::provisioning::{PoolInput, Remaining, plan};
use super::requirements::{Allowed, Requirements, pod_requirements, type_labels};
use super::{Batch, auto_mode, class_status, crds, installed, lifecycle, pool_spec};
use crate::fleet::{ClassKind, ClassSubnet, InstanceTypeInfo, Offering, ResolvedClass};

mod cluster;

const GIB: u64 = 1 << 30;

pub(super) fn instance(name: &str, arch: &str, vcpus: u32, memory_gib: u64, price: f64) -> InstanceTypeInfo {
    let (family, size) = name.split_once('.').unwrap_or((name, "large"));
    let category = family.chars().next().unwrap_or('m').to_string();
    let generation: u32 = family.chars().filter(char::is_ascii_digit).collect::<String>().parse().unwrap_or(5);
    let offering = |zone: &str, capacity_type: &str, price: f64| Offering {
        zone: zone.into(),
        capacity_type: capacity_type.into(),
        price,
        available: true,
    };
    InstanceTypeInfo {
        name: name.into(),
        architecture: arch.into(),
        category,
        family: family.into(),
        generation,
        size: size.into(),
        vcpus,
        memory_mib: memory_gib * 1024,
        hypervisor: "nitro".into(),
        cpu_manufacturer: if arch == "arm64" { "aws".into() } else { "intel".into() },
        gpu_count: 0,
        gpu_name: None,
        gpu_manufacturer: None,
        gpu_memory_mib: 0,
        network_bandwidth_mbps: 750,
        max_pods: 29,
        capacity_cpu_millis: u64::from(vcpus) * 1000,
        capacity_memory_bytes: memory_gib * GIB,
        allocatable_cpu_millis: u64::from(vcpus) * 1000 - 70,
        allocatable_memory_bytes: memory_gib * GIB - GIB / 2,
        allocatable_ephemeral_storage_bytes: 17 * GIB,
        offerings: vec![
            offering("us-west-2a", "on-demand", price),
            offering("us-west-2b", "on-demand", price),
            offering("us-west-2a", "spot", price / 3.0),
        ],
    }
}

pub(super) fn catalogue() -> Vec<InstanceTypeInfo> {
    vec![
        instance("m5.large", "amd64", 2, 8, 0.096),
        instance("m5.xlarge", "amd64", 4, 16, 0.192),
        instance("c6g.large", "arm64", 2, 4, 0.068),
        instance("t3.medium", "amd64", 2, 4, 0.0416),
    ]
}

fn pod(name: &str, cpu: &str, extra: serde_json::Value) -> Pod {
    let mut value = json!({
        "metadata": { "name": name, "namespace": "default" },
        "spec": { "containers": [{ "name": "app", "image": "nginx",
                                   "resources": { "requests": { "cpu": cpu, "memory": "256Mi" } } }] },
    });
    merge(&mut value, extra);
    serde_json::from_value(value).expect("a pod")
}

fn merge(base: &mut serde_json::Value, extra: serde_json::Value) {
    match (base, extra) {
        (serde_json::Value::Object(base), serde_json::Value::Object(extra)) => {
            for (key, value) in extra {
                merge(base.entry(key).or_insert(serde_json::Value::Null), value);
            }
        }
        (base, extra) => *base = extra,
    }
}

fn requirement(key: &str, operator: &str, values: &[&str]) -> NodeSelectorRequirement {
    NodeSelectorRequirement {
        key: key.into(),
        operator: operator.into(),
        values: Some(values.iter().map(|v| (*v).to_owned()).collect()),
    }
}

fn pool(name: &str, requirements: &[NodeSelectorRequirement]) -> PoolInput {
    let mut parsed = Requirements::parse(requirements).expect("valid requirements");
    parsed.add("karpenter.sh/nodepool", Allowed::is(name));
    PoolInput {
        name: name.into(),
        weight: 0,
        kind: ClassKind::Ec2NodeClass,
        requirements: parsed,
        taints: Vec::new(),
        types: catalogue(),
        zones: ["us-west-2a".to_owned(), "us-west-2b".to_owned()].into(),
        daemon_pods: Vec::new(),
        remaining: Remaining::default(),
    }
}

fn type_names(input: &PoolInput, types: &[usize]) -> Vec<String> {
    types.iter().map(|&t| input.types[t].name.clone()).collect()
}

// Activation.

#[test]
fn karpenter_is_installed_while_its_controller_image_has_an_available_replica() {
    let deployment = |image: &str, available: i32| -> Deployment {
        serde_json::from_value(json!({
            "metadata": { "name": "karpenter", "namespace": "kube-system" },
            "spec": { "selector": {}, "template": { "spec": { "containers": [{ "name": "controller", "image": image }] } } },
            "status": { "availableReplicas": available },
        }))
        .expect("a deployment")
    };
    assert!(installed(&deployment("public.ecr.aws/karpenter/controller:1.8.1", 1)));
    assert!(installed(&deployment("public.ecr.aws/karpenter/controller:1.8.1@sha256:abcd", 2)));
    assert!(!installed(&deployment("public.ecr.aws/karpenter/controller:1.8.1", 0)));
    assert!(!installed(&deployment("example.com/other/controller:1.0", 1)));
    assert!(!installed(&deployment("registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.1", 1)));
}

// CRDs.

#[test]
fn karpenter_crds_are_upstreams_names_scopes_columns_and_short_names() {
    let pools = crds::node_pools();
    assert_eq!(pools["metadata"]["name"], "nodepools.karpenter.sh");
    assert_eq!(pools["spec"]["scope"], "Cluster");
    let columns: Vec<&str> = pools["spec"]["versions"][0]["additionalPrinterColumns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("priority").is_none())
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["NodeClass", "Nodes", "Ready", "Age"]);
    let claims = crds::node_claims();
    let columns: Vec<&str> = claims["spec"]["versions"][0]["additionalPrinterColumns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("priority").is_none())
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["Type", "Capacity", "Zone", "Node", "Ready", "Age"]);
    let classes = crds::ec2_node_classes();
    assert_eq!(classes["metadata"]["name"], "ec2nodeclasses.karpenter.k8s.aws");
    assert_eq!(classes["spec"]["names"]["shortNames"], json!(["ec2nc", "ec2ncs"]));
    assert_eq!(crds::auto_mode_node_classes()["metadata"]["name"], "nodeclasses.eks.amazonaws.com");
    let operators = &pools["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["template"]
        ["properties"]["spec"]["properties"]["requirements"]["items"]["properties"]["operator"]["enum"];
    assert!(operators.as_array().unwrap().contains(&json!("Gt")));
    assert!(!operators.as_array().unwrap().contains(&json!("Equals")));
    for crd in crds::for_kind(ClassKind::Ec2NodeClass).into_iter().chain(crds::for_kind(ClassKind::AutoModeNodeClass)) {
        let parsed: Result<
            k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
            _,
        > = serde_json::from_value(crd);
        assert!(parsed.is_ok(), "{parsed:?}");
    }
}

// Auto Mode.

#[test]
fn karpenter_auto_modes_built_in_pools_are_the_documented_ones() {
    let system = auto_mode::built_in_pool("system").unwrap();
    let spec = pool_spec(&system["spec"]).expect("valid");
    assert_eq!(spec.taints.len(), 1);
    assert_eq!(spec.taints[0].key, "CriticalAddonsOnly");
    assert_eq!(spec.expire_after, Some(Duration::from_secs(336 * 3600)));
    assert_eq!(spec.consolidate_after, Some(Duration::from_secs(30)));
    assert!(spec.requirements.get("kubernetes.io/arch").unwrap().allows(Some("arm64")));
    let general = pool_spec(&auto_mode::built_in_pool("general-purpose").unwrap()["spec"]).unwrap();
    assert!(!general.requirements.get("kubernetes.io/arch").unwrap().allows(Some("arm64")));
    assert!(general.taints.is_empty());
    let generation = general.requirements.get("eks.amazonaws.com/instance-generation").unwrap();
    assert!(generation.allows(Some("5")) && !generation.allows(Some("4")));
    assert!(auto_mode::built_in_pool("gpu").is_none());
    let resolved = ResolvedClass {
        subnets: vec![ClassSubnet {
            id: "subnet-1".into(),
            zone: "us-west-2a".into(),
            zone_id: "usw2-az1".into(),
            available_ips: 10,
        }],
        ..ResolvedClass::default()
    };
    let class =
        auto_mode::default_class_spec(Some("arn:aws:iam::111122223333:role/path/AmazonEKSAutoNodeRole"), &resolved);
    assert_eq!(class["role"], "AmazonEKSAutoNodeRole");
    assert_eq!(class["subnetSelectorTerms"], json!([{ "id": "subnet-1" }]));
}

// Requirements.

#[test]
fn karpenter_requirements_are_validated_with_upstreams_messages() {
    let error = Requirements::parse(&[requirement("kubernetes.io/arch", "In", &[])]).unwrap_err();
    assert_eq!(error, "requirements with operator 'In' must have a value defined");
    let error =
        Requirements::parse(&[requirement("karpenter.k8s.aws/instance-generation", "Gt", &["five"])]).unwrap_err();
    assert!(error.contains("must have a single positive integer value"), "{error}");
    assert!(Requirements::parse(&[requirement("a", "Equals", &["b"])]).is_err());
    let pool = Requirements::parse(&[requirement("kubernetes.io/arch", "In", &["amd64"])]).unwrap();
    let pod = Requirements::parse(&[requirement("kubernetes.io/arch", "In", &["arm64"])]).unwrap();
    assert_eq!(
        pool.compatible(&pod).unwrap_err(),
        "key kubernetes.io/arch, kubernetes.io/arch In [arm64] not in kubernetes.io/arch In [amd64]"
    );
    // A label no pool defines may only be asked to be absent.
    let custom = Requirements::parse(&[requirement("team", "In", &["a"])]).unwrap();
    assert!(pool.compatible(&custom).unwrap_err().contains("does not have known values"));
    let absent = Requirements::parse(&[requirement("team", "DoesNotExist", &[])]).unwrap();
    assert!(pool.compatible(&absent).is_ok());
    // Gt bounds are exclusive.
    let newer = Requirements::parse(&[requirement("karpenter.k8s.aws/instance-generation", "Gt", &["5"])]).unwrap();
    let labels =
        |name: &str| type_labels(catalogue().iter().find(|t| t.name == name).unwrap(), ClassKind::Ec2NodeClass);
    assert!(!newer.admits(&labels("m5.large")));
    assert!(newer.admits(&labels("c6g.large")));
}

#[test]
fn karpenter_reads_a_pods_node_selector_and_each_required_affinity_term() {
    let pod = pod(
        "p",
        "100m",
        json!({ "spec": { "nodeSelector": { "kubernetes.io/arch": "arm64" }, "affinity": { "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": { "nodeSelectorTerms": [
                { "matchExpressions": [{ "key": "topology.kubernetes.io/zone", "operator": "In", "values": ["us-west-2a"] }] },
                { "matchExpressions": [{ "key": "topology.kubernetes.io/zone", "operator": "In", "values": ["us-west-2b"] }] },
            ] } } } } }),
    );
    let options = pod_requirements(&pod);
    assert_eq!(options.len(), 2);
    assert_eq!(options[1].labels().get("topology.kubernetes.io/zone").map(String::as_str), Some("us-west-2b"));
    assert_eq!(options[0].labels().get("kubernetes.io/arch").map(String::as_str), Some("arm64"));
}

// Provisioning.

#[test]
fn karpenter_binpacks_pods_onto_new_claims_keeping_every_type_that_fits() {
    let input = pool("default", &[requirement("kubernetes.io/arch", "In", &["amd64"])]);
    let pods: Vec<Pod> = (0..3).map(|i| pod(&format!("web-{i}"), "1500m", json!({}))).collect();
    let refs: Vec<&Pod> = pods.iter().collect();
    let plan = plan(&refs, std::slice::from_ref(&input));
    assert!(plan.failures.is_empty(), "{:?}", plan.failures);
    // 4.5 cores: an xlarge takes two pods (3 of its 3.93 cores), the third needs another claim.
    assert_eq!(plan.claims.len(), 2);
    let mut sizes: Vec<usize> = plan.claims.iter().map(|c| c.pods.len()).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [1, 2]);
    let pair = plan.claims.iter().find(|c| c.pods.len() == 2).unwrap();
    assert_eq!(type_names(&input, &pair.types), ["m5.xlarge"]);
    let single = plan.claims.iter().find(|c| c.pods.len() == 1).unwrap();
    // Cheapest first; arm64 left out by the pool.
    assert_eq!(type_names(&input, &single.types), ["t3.medium", "m5.large", "m5.xlarge"]);
    assert_eq!(pair.requests.milli_cpu, 3000);
}

#[test]
fn karpenter_gives_an_arm64_pod_an_arm64_type() {
    let input = pool("default", &[]);
    let arm = pod("arm", "500m", json!({ "spec": { "nodeSelector": { "kubernetes.io/arch": "arm64" } } }));
    let plan = plan(&[&arm], std::slice::from_ref(&input));
    assert_eq!(plan.claims.len(), 1);
    assert_eq!(type_names(&input, &plan.claims[0].types), ["c6g.large"]);
    assert_eq!(plan.claims[0].requirements.labels().get("kubernetes.io/arch").map(String::as_str), Some("arm64"));
}

#[test]
fn karpenter_tells_why_no_pool_takes_a_pod() {
    let mut tainted = pool("gpu", &[]);
    tainted.taints = vec![Taint { key: "nvidia.com/gpu".into(), effect: "NoSchedule".into(), ..Taint::default() }];
    let mut limited = pool("default", &[]);
    limited.remaining = Remaining { cpu_millis: Some(1000), ..Remaining::default() };
    let web = pod("web", "500m", json!({}));
    let plan = plan(&[&web], &[limited, tainted]);
    assert!(plan.claims.is_empty());
    let message = &plan.failures[&0];
    assert!(message.contains("all available instance types exceed limits for nodepool"), "{message}");
    assert!(message.contains("did not tolerate taint"), "{message}");
    let huge = pod("huge", "64", json!({}));
    let plan = super::provisioning::plan(&[&huge], &[pool("default", &[])]);
    assert!(plan.failures[&0].starts_with("no instance type has enough resources"), "{:?}", plan.failures);
    let none = super::provisioning::plan(&[&huge], &[]);
    assert_eq!(none.failures[&0], "nodepool requirements filtered out all available instance types");
}

#[test]
fn karpenter_tries_pools_by_weight_and_counts_limits_and_daemon_overhead() {
    let mut heavy = pool("heavy", &[]);
    heavy.weight = 50;
    let light = pool("light", &[]);
    let web = pod("web", "100m", json!({}));
    let plan = plan(&[&web], &[light, heavy]);
    assert_eq!(plan.claims[0].pool, 1, "the heavier pool first");
    // Limits: each new claim counts as its largest type, so a 4-core limit allows one claim.
    let mut limited = pool("default", &[]);
    limited.remaining = Remaining { cpu_millis: Some(4000), ..Remaining::default() };
    let big: Vec<Pod> = (0..2).map(|i| pod(&format!("big-{i}"), "1800m", json!({ "spec": { "affinity": { "podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [{ "topologyKey": "kubernetes.io/hostname",
            "labelSelector": { "matchLabels": { "app": "big" } } }] } } }, "metadata": { "labels": { "app": "big" } } }))).collect();
    let refs: Vec<&Pod> = big.iter().collect();
    let plan = super::provisioning::plan(&refs, &[limited]);
    assert_eq!(plan.claims.len(), 1, "anti-affinity keeps the pods apart and the limit allows one node");
    assert!(plan.failures[&1].contains("exceed limits"), "{:?}", plan.failures);
    // A DaemonSet pod's requests ride along.
    let mut with_daemon = pool("default", &[]);
    with_daemon.daemon_pods = vec![pod("agent", "1", json!({}))];
    let plan = super::provisioning::plan(&[&web], std::slice::from_ref(&with_daemon));
    assert_eq!(plan.claims[0].requests.milli_cpu, 1100);
    assert_eq!(plan.claims[0].requests.pods, 2);
}

#[test]
fn karpenter_batches_pending_pods_until_idle_or_max() {
    let mut batch = Batch::default();
    let idle = Duration::from_secs(1);
    let max = Duration::from_secs(10);
    assert_eq!(batch.closes_at(idle, max), None);
    let one: BTreeSet<String> = ["default/a".to_owned()].into();
    batch.observe(&one, 100.0);
    assert_eq!(batch.closes_at(idle, max), Some(101.0));
    batch.observe(&one, 100.5);
    assert_eq!(batch.closes_at(idle, max), Some(101.0), "nothing new keeps the window");
    let mut keys = one.clone();
    for step in 1..20 {
        keys.insert(format!("default/p{step}"));
        batch.observe(&keys, 100.0 + f64::from(step) * 0.9);
    }
    assert_eq!(batch.closes_at(idle, max), Some(110.0), "at most max after it opened");
    batch.close();
    assert_eq!(batch.closes_at(idle, max), None);
    batch.observe(&keys, 120.0);
    assert_eq!(batch.closes_at(idle, max), None, "pods already seen open no new window");
}

// Node classes and pools.

#[test]
fn karpenter_writes_a_classes_status_and_conditions() {
    let now: jiff::Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
    let failed = class_status(&json!({}), &Err("no role".to_owned()), 1, now);
    assert_eq!(conditions::status_of(&failed["conditions"], "ValidationSucceeded"), Some("False"));
    let ready = conditions::find(&failed["conditions"], "Ready").unwrap();
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "UnhealthyDependents");
    assert_eq!(ready["message"], "ValidationSucceeded=False");
    let resolved = ResolvedClass {
        subnets: vec![ClassSubnet {
            id: "subnet-1".into(),
            zone: "us-west-2a".into(),
            zone_id: "usw2-az1".into(),
            available_ips: 10,
        }],
        security_groups: vec![crate::fleet::ClassSecurityGroup { id: "sg-1".into(), name: "nodes".into() }],
        images: vec![crate::fleet::ClassImage {
            id: "ami-1".into(),
            name: "al2023".into(),
            architecture: "amd64".into(),
        }],
        instance_profile: "KarpenterNodeInstanceProfile".into(),
    };
    let later: jiff::Timestamp = "2025-01-01T00:05:00Z".parse().unwrap();
    let ok = class_status(&failed, &Ok(resolved.clone()), 1, later);
    assert!(conditions::is_true(&ok["conditions"], "Ready"));
    assert_eq!(ok["subnets"], json!([{ "id": "subnet-1", "zone": "us-west-2a", "zoneID": "usw2-az1" }]));
    assert_eq!(ok["instanceProfile"], "KarpenterNodeInstanceProfile");
    // Nothing changes: the same status, transition times kept.
    let again = class_status(&ok, &Ok(resolved), 1, "2025-01-01T01:00:00Z".parse().unwrap());
    assert_eq!(again, ok);
    let no_subnets = class_status(&ok, &Ok(ResolvedClass::default()), 1, later);
    assert_eq!(conditions::find(&no_subnets["conditions"], "SubnetsReady").unwrap()["reason"], "SubnetsNotFound");
}

#[test]
fn karpenter_validates_a_nodepool_as_upstreams_rules_do() {
    let spec = |disruption: serde_json::Value, requirements: serde_json::Value| {
        json!({ "disruption": disruption, "template": { "spec": {
            "nodeClassRef": { "group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default" },
            "requirements": requirements } } })
    };
    let ok = pool_spec(&spec(json!({ "consolidateAfter": "1m" }), json!([]))).unwrap();
    assert_eq!(ok.consolidate_after, Some(Duration::from_secs(60)));
    assert_eq!(ok.expire_after, Some(Duration::from_secs(720 * 3600)));
    assert_eq!(ok.policy, "WhenEmptyOrUnderutilized");
    let never = pool_spec(&spec(json!({ "consolidateAfter": "Never" }), json!([]))).unwrap();
    assert_eq!(never.consolidate_after, None);
    assert!(pool_spec(&spec(json!({ "consolidateAfter": "soon" }), json!([]))).is_err());
    assert!(pool_spec(&spec(json!({ "budgets": [{ "nodes": "150%" }] }), json!([]))).is_err());
    assert!(pool_spec(&spec(json!({ "budgets": [{ "nodes": "1", "schedule": "@daily" }] }), json!([]))).is_err());
    let bad = pool_spec(&spec(json!({}), json!([{ "key": "kubernetes.io/arch", "operator": "In" }]))).unwrap_err();
    assert_eq!(bad, "requirements with operator 'In' must have a value defined");
    assert!(
        pool_spec(&spec(json!({}), json!([{ "key": "karpenter.sh/nodepool", "operator": "In", "values": ["x"] }])))
            .is_err()
    );
    assert!(pool_spec(&json!({ "template": {} })).is_err());
}

// Lifecycle.

#[test]
fn karpenter_initializes_a_node_once_ready_without_startup_taints() {
    let node = |ready: &str, taints: serde_json::Value| -> Node {
        serde_json::from_value(json!({ "metadata": { "name": "n" }, "spec": { "taints": taints },
            "status": { "conditions": [{ "type": "Ready", "status": ready }] } }))
        .unwrap()
    };
    let startup = vec![Taint { key: "example.com/agent".into(), effect: "NoSchedule".into(), ..Taint::default() }];
    assert_eq!(lifecycle::initialization(&node("False", json!([])), &startup).unwrap_err().reason, "NodeNotReady");
    let waiting = lifecycle::initialization(
        &node("True", json!([{ "key": "example.com/agent", "effect": "NoSchedule" }])),
        &startup,
    )
    .unwrap_err();
    assert_eq!(waiting.reason, "StartupTaintsExist");
    assert_eq!(waiting.message, "StartupTaint \"example.com/agent:NoSchedule\" still exists");
    let ephemeral = json!([{ "key": "node.kubernetes.io/not-ready", "effect": "NoSchedule" }]);
    assert_eq!(
        lifecycle::initialization(&node("True", ephemeral), &startup).unwrap_err().reason,
        "KnownEphemeralTaintsExist"
    );
    assert!(lifecycle::initialization(&node("True", json!([])), &startup).is_ok());
}

#[test]
fn karpenter_times_consolidation_expiry_and_liveness() {
    let at = |s: i64| jiff::Timestamp::from_second(s).unwrap();
    let after = Some(Duration::from_secs(30));
    assert_eq!(lifecycle::consolidatable(Some(at(100)), None, after, at(120)), Some((false, 130)));
    assert_eq!(lifecycle::consolidatable(Some(at(100)), None, after, at(130)), Some((true, 130)));
    assert_eq!(lifecycle::consolidatable(Some(at(100)), Some(at(125)), after, at(140)), Some((false, 155)));
    assert_eq!(lifecycle::consolidatable(Some(at(100)), None, None, at(1000)), None);
    assert_eq!(lifecycle::consolidatable(None, None, after, at(1000)), None);
    assert_eq!(lifecycle::expires_at(at(0), Some(Duration::from_secs(3600))), Some(3600));
    assert_eq!(lifecycle::expires_at(at(0), None), None);
    assert!(!lifecycle::waited(Some(at(0)), lifecycle::REGISTRATION_TTL, at(899)));
    assert!(lifecycle::waited(Some(at(0)), lifecycle::REGISTRATION_TTL, at(900)));
    assert!(!lifecycle::waited(None, lifecycle::LAUNCH_TTL, at(10_000)));
}

// Disruption.

#[test]
fn karpenter_budgets_allow_a_share_of_a_pools_nodes() {
    let now: jiff::Timestamp = "2025-01-06T10:30:00Z".parse().unwrap();
    assert_eq!(disruption::allowed(None, 5, 0, Reason::Empty, now), 1, "10% of 5 rounds up");
    assert_eq!(disruption::allowed(None, 20, 1, Reason::Empty, now), 1);
    let budgets = json!([{ "nodes": "50%" }, { "nodes": "0", "reasons": ["Underutilized"] }]);
    assert_eq!(disruption::allowed(Some(&budgets), 4, 0, Reason::Empty, now), 2);
    assert_eq!(disruption::allowed(Some(&budgets), 4, 0, Reason::Underutilized, now), 0);
    let window = json!([{ "nodes": "0", "schedule": "0 10 * * *", "duration": "1h" }, { "nodes": "3" }]);
    assert_eq!(disruption::allowed(Some(&window), 10, 0, Reason::Empty, now), 0, "inside the window");
    let outside: jiff::Timestamp = "2025-01-06T11:30:00Z".parse().unwrap();
    assert_eq!(disruption::allowed(Some(&window), 10, 0, Reason::Empty, outside), 3);
}

fn sim_node(name: &str, cpu: &str) -> Node {
    serde_json::from_value(json!({
        "metadata": { "name": name, "labels": { "kubernetes.io/hostname": name } },
        "status": { "allocatable": { "cpu": cpu, "memory": "8Gi", "pods": "29" },
                    "conditions": [{ "type": "Ready", "status": "True" }] },
    }))
    .unwrap()
}

fn bound(name: &str, cpu: &str, node: &str) -> Pod {
    pod(name, cpu, json!({ "spec": { "nodeName": node } }))
}

#[test]
fn karpenter_consolidates_nodes_whose_pods_fit_elsewhere() {
    let mut snapshot = Snapshot::new();
    for name in ["a", "b", "c"] {
        snapshot.upsert_node(&sim_node(name, "2"));
    }
    let pods = [bound("p1", "500m", "a"), bound("p2", "500m", "b"), bound("big", "1800m", "c")];
    for p in &pods {
        snapshot.add_pod(p);
    }
    let candidate = |claim: &str, node: &str, pods: Vec<Pod>| Candidate {
        claim: claim.into(),
        node: node.into(),
        pool: "default".into(),
        pods,
        price: 0.1,
        capacity_type: "on-demand".into(),
    };
    let a = candidate("ca", "a", vec![pods[0].clone()]);
    let b = candidate("cb", "b", vec![pods[1].clone()]);
    let c = candidate("cc", "c", vec![pods[2].clone()]);
    // Both small nodes cannot go at once onto the full node c, so one of them goes, replaced by nothing.
    let (chosen, _) = disruption::consolidate(&[&a, &b, &c], &snapshot, &[], 10);
    let chosen = chosen.expect("one candidate goes");
    assert_eq!(chosen.candidates.len(), 1);
    assert!(chosen.replacement.is_none());
    assert!(chosen.candidates[0].claim == "ca" || chosen.candidates[0].claim == "cb");
    assert!(disruption::consolidate(&[&a, &b], &snapshot, &[], 0).0.is_none(), "a budget of 0 allows nothing");
    let budgets: Vec<k8s_openapi::api::policy::v1::PodDisruptionBudget> = vec![
        serde_json::from_value(json!({
            "metadata": { "name": "web", "namespace": "default" },
            "spec": { "selector": { "matchLabels": { "app": "web" } } },
            "status": { "disruptionsAllowed": 0, "currentHealthy": 1, "desiredHealthy": 1, "expectedPods": 1 },
        }))
        .unwrap(),
    ];
    let web = pod("w", "100m", json!({ "metadata": { "labels": { "app": "web" } } }));
    assert_eq!(disruption::blocked(None, &[web], &budgets).unwrap(), "Pdb \"default/web\" prevents pod evictions");
    let pinned = pod("x", "100m", json!({ "metadata": { "annotations": { "karpenter.sh/do-not-disrupt": "true" } } }));
    assert!(disruption::blocked(None, &[pinned], &[]).unwrap().contains("do-not-disrupt"));
    assert!(disruption::blocked(None, &[pods[0].clone()], &budgets).is_none());
}

#[test]
fn karpenter_replaces_a_node_by_a_cheaper_one_that_holds_its_pods() {
    // Two m5.xlarge nodes ($0.192/h each), one holding a 3-core pod and one a 1.5-core pod: neither pod fits beside
    // the other, nor do both fit one new node, so consolidation replaces the second node by a cheaper type.
    let mut snapshot = Snapshot::new();
    snapshot.upsert_node(&sim_node("a", "3930m"));
    snapshot.upsert_node(&sim_node("b", "3930m"));
    let pods = [bound("p1", "3", "a"), bound("p2", "1500m", "b")];
    for p in &pods {
        snapshot.add_pod(p);
    }
    let on_demand = [requirement("karpenter.sh/capacity-type", "In", &["on-demand"])];
    let pools = [pool("default", &on_demand)];
    let candidate = |claim: &str, node: &str, pod: &Pod, capacity_type: &str| Candidate {
        claim: claim.into(),
        node: node.into(),
        pool: "default".into(),
        pods: vec![pod.clone()],
        price: 0.192,
        capacity_type: capacity_type.into(),
    };
    let a = candidate("ca", "a", &pods[0], "on-demand");
    let b = candidate("cb", "b", &pods[1], "on-demand");
    let (chosen, refused) = disruption::consolidate(&[&a, &b], &snapshot, &pools, 10);
    let chosen = chosen.expect("b is replaced");
    assert_eq!(chosen.candidates.iter().map(|c| c.claim.as_str()).collect::<Vec<_>>(), ["cb"]);
    let replacement = chosen.replacement.expect("by a new node");
    let names = type_names(&pools[0], &replacement.types);
    assert!(names.contains(&"m5.large".to_owned()), "{names:?}");
    assert!(!names.contains(&"m5.xlarge".to_owned()), "not as dear as the node it replaces: {names:?}");
    // a's 3-core pod needs an xlarge again: nothing cheaper holds it.
    assert_eq!(
        refused.iter().map(|(c, m)| (c.claim.as_str(), m.as_str())).collect::<Vec<_>>(),
        [("ca", "Can't replace with a cheaper node")]
    );
    // A spot node is not replaced by another spot node.
    let spot = candidate("cs", "b", &pods[1], "spot");
    let any = [pool("default", &[])];
    assert_eq!(
        disruption::consolidation(&[&spot], &snapshot, &any).unwrap_err(),
        "SpotToSpotConsolidation is disabled, can't replace a spot node with a spot node"
    );
    // An on-demand node whose pool allows both is replaced by spot only: a launch never lands on on-demand at a
    // price the decision did not count on.
    let replacement = disruption::consolidation(&[&b], &snapshot, &any).unwrap().expect("a replacement");
    assert_eq!(replacement.requirements.get("karpenter.sh/capacity-type"), Some(&Allowed::is("spot")));
    // A pod that no pool takes blocks consolidation with the provisioner's reason.
    let gpu = bound("gpu", "100m", "b");
    let mut gpu = gpu;
    gpu.spec.as_mut().unwrap().node_selector = Some([("team".to_owned(), "x".to_owned())].into());
    let stuck = candidate("cg", "b", &gpu, "on-demand");
    let message = disruption::simulate(&[&stuck], &Snapshot::new(), &pools).unwrap_err();
    assert!(message.starts_with("pod \"default/gpu\" cannot be rescheduled: "), "{message}");
}

#[test]
fn karpenter_drift_of_a_claim_needs_its_replacements_or_none() {
    let mut snapshot = Snapshot::new();
    snapshot.upsert_node(&sim_node("a", "1930m"));
    snapshot.upsert_node(&sim_node("b", "1930m"));
    let p = bound("p", "1500m", "a");
    snapshot.add_pod(&p);
    let pools = [pool("default", &[])];
    let drifted = Candidate {
        claim: "ca".into(),
        node: "a".into(),
        pool: "default".into(),
        pods: vec![p.clone()],
        price: 0.096,
        capacity_type: "on-demand".into(),
    };
    assert_eq!(disruption::simulate(&[&drifted], &snapshot, &pools).unwrap(), Vec::new(), "b takes the pod");
    snapshot.add_pod(&bound("q", "1500m", "b"));
    let claims = disruption::simulate(&[&drifted], &snapshot, &pools).unwrap();
    assert_eq!(claims.len(), 1, "a new node is needed");
    assert_eq!(claims[0].pods, [0]);
}

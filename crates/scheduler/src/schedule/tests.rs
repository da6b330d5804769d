use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::{Value, json};

use crate::resources::pod_requests;
use crate::schedule::schedule;
use crate::snapshot::Snapshot;
use crate::volumes;

/// A ready node with `cpu`, `memory` and room for `pods`, plus `extra` merged into it.
fn node(name: &str, cpu: &str, memory: &str, pods: u32, extra: Value) -> Node {
    let mut node = json!({
        "metadata": { "name": name, "labels": { "kubernetes.io/hostname": name } },
        "spec": {},
        "status": {
            "allocatable": { "cpu": cpu, "memory": memory, "pods": pods.to_string(), "ephemeral-storage": "20Gi" },
            "conditions": [{ "type": "Ready", "status": "True" }],
        },
    });
    merge(&mut node, extra);
    serde_json::from_value(node).expect("a node")
}

/// A pod requesting `cpu` and `memory` ("" for none), plus `extra` merged into it.
fn pod(name: &str, cpu: &str, memory: &str, extra: Value) -> Pod {
    let mut requests = serde_json::Map::new();
    if !cpu.is_empty() {
        requests.insert("cpu".into(), json!(cpu));
    }
    if !memory.is_empty() {
        requests.insert("memory".into(), json!(memory));
    }
    let mut pod = json!({
        "metadata": { "name": name, "namespace": "default", "uid": format!("uid-{name}") },
        "spec": { "containers": [{ "name": "c", "image": "nginx", "resources": { "requests": requests } }] },
    });
    merge(&mut pod, extra);
    serde_json::from_value(pod).expect("a pod")
}

fn merge(target: &mut Value, extra: Value) {
    match (target, extra) {
        (Value::Object(target), Value::Object(extra)) => {
            for (key, value) in extra {
                merge(target.entry(key).or_insert(Value::Null), value);
            }
        }
        (target, extra) => *target = extra,
    }
}

fn bound(mut pod: Pod, node: &str) -> Pod {
    pod.spec.get_or_insert_default().node_name = Some(node.into());
    pod
}

fn snapshot(nodes: &[Node], pods: &[Pod]) -> Snapshot {
    let mut snapshot = Snapshot::new();
    for node in nodes {
        snapshot.upsert_node(node);
    }
    for pod in pods {
        snapshot.add_pod(pod);
    }
    snapshot
}

/// Schedules `pod` and compares the node (or the failure message) with `expect`.
fn check(nodes: &[Node], pods: &[Pod], pod: &Pod, expect: &str) {
    let snapshot = snapshot(nodes, pods);
    let got = match schedule(pod, &snapshot) {
        Ok(node) => node,
        Err(unschedulable) => unschedulable.message(),
    };
    assert_eq!(got, expect);
}

fn plain(name: &str) -> Node {
    node(name, "2", "4Gi", 110, json!({}))
}

#[test]
fn requests_take_the_larger_of_containers_and_init_containers_plus_overhead() {
    let pod = pod(
        "p",
        "100m",
        "64Mi",
        json!({ "spec": {
            "containers": [
                { "name": "a", "resources": { "requests": { "cpu": "100m", "memory": "64Mi" } } },
                { "name": "b", "resources": { "limits": { "cpu": "200m" } } },
            ],
            "initContainers": [{ "name": "init", "resources": { "requests": { "cpu": "500m", "memory": "32Mi" } } }],
            "overhead": { "cpu": "50m" },
        } }),
    );
    let requests = pod_requests(&pod);
    assert_eq!((requests.milli_cpu, requests.memory, requests.pods), (550, 64 * 1024 * 1024, 1));
}

#[test]
fn extended_resources_must_fit_the_allocatable() {
    let gpu = |name: &str| {
        let with = json!({ "status": { "allocatable": { "nvidia.com/gpu": "1" } } });
        node(name, "4", "16Gi", 110, with)
    };
    let nodes = [node("plain", "4", "16Gi", 110, json!({})), gpu("g1"), gpu("g2")];
    let wants = |name: &str, gpus: &str| {
        let resources = json!({ "limits": { "nvidia.com/gpu": gpus }, "requests": { "cpu": "100m" } });
        pod(
            name,
            "",
            "",
            json!({ "spec": { "containers": [{ "name": "c", "image": "cuda", "resources": resources }] } }),
        )
    };
    assert_eq!(pod_requests(&wants("p", "1")).scalar.get("nvidia.com/gpu"), Some(&1));
    let used = [bound(wants("x", "1"), "g1")];
    check(&nodes, &used, &wants("p", "1"), "g2");
    let message = "0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available: \
                   3 No preemption victims found for incoming pod.";
    let full = [bound(wants("x", "1"), "g1"), bound(wants("y", "1"), "g2")];
    let got = schedule(&wants("p", "1"), &snapshot(&nodes, &full)).expect_err("no GPU free").message();
    assert_eq!(got, message);
    // A pod asking for none goes anywhere; kubernetes.io names are not extended resources.
    check(&nodes[..1], &[], &pod("plain-pod", "100m", "", json!({})), "plain");
    assert!(!crate::resources::is_scalar("kubernetes.io/something"));
    assert!(crate::resources::is_scalar("vpc.amazonaws.com/pod-eni"));
    assert!(crate::resources::is_scalar("hugepages-2Mi"));
    assert!(!crate::resources::is_scalar("cpu"));
}

#[test]
fn resources_must_fit_the_allocatable() {
    let nodes = [node("a", "1", "1Gi", 110, json!({})), node("b", "2", "1Gi", 110, json!({}))];
    check(&nodes, &[], &pod("p", "1500m", "", json!({})), "b");
    let message = "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: \
                   2 No preemption victims found for incoming pod.";
    check(&nodes, &[], &pod("p", "3", "", json!({})), message);
    let used = [bound(pod("x", "1500m", "", json!({})), "b")];
    check(&nodes, &used, &pod("p", "600m", "", json!({})), "a");
    let message = "0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory. preemption: \
                   0/2 nodes are available: 2 No preemption victims found for incoming pod.";
    check(&nodes, &used, &pod("p", "1", "2Gi", json!({})), message);
}

#[test]
fn a_t3_medium_takes_17_pods() {
    let nodes: Vec<Node> = (0..3).map(|i| node(&format!("n{i}"), "1930m", "3Gi", 17, json!({}))).collect();
    let mut pods = Vec::new();
    for i in 0..51 {
        let candidate = pod(&format!("p{i}"), "", "", json!({}));
        let node = schedule(&candidate, &snapshot(&nodes, &pods)).expect("room for 51 pods");
        pods.push(bound(candidate, &node));
    }
    let message = "0/3 nodes are available: 3 Too many pods. preemption: 0/3 nodes are available: \
                   3 No preemption victims found for incoming pod.";
    check(&nodes, &pods, &pod("extra", "", "", json!({})), message);
}

#[test]
fn cordoned_and_unready_nodes_take_no_pods() {
    let cordoned = node("cordoned", "2", "4Gi", 110, json!({ "spec": { "unschedulable": true } }));
    let unready = node(
        "unready",
        "2",
        "4Gi",
        110,
        json!({ "status": { "conditions": [{ "type": "Ready", "status": "False" }] } }),
    );
    let message = "0/2 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, \
                   1 node(s) were unschedulable. preemption: 0/2 nodes are available: \
                   2 Preemption is not helpful for scheduling.";
    check(&[cordoned.clone(), unready], &[], &pod("p", "", "", json!({})), message);
    let tolerant = json!({ "spec": { "tolerations": [
        { "key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule" }] } });
    check(&[cordoned], &[], &pod("p", "", "", tolerant), "cordoned");
}

#[test]
fn taints_need_tolerations() {
    let tainted = node(
        "gpu",
        "2",
        "4Gi",
        110,
        json!({ "spec": { "taints": [{ "key": "gpu", "value": "true", "effect": "NoSchedule" }] } }),
    );
    let message = "0/1 nodes are available: 1 node(s) had untolerated taint {gpu: true}. preemption: \
                   0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    check(std::slice::from_ref(&tainted), &[], &pod("p", "", "", json!({})), message);
    let equal = json!({ "spec": { "tolerations": [{ "key": "gpu", "value": "true", "effect": "NoSchedule" }] } });
    check(std::slice::from_ref(&tainted), &[], &pod("p", "", "", equal), "gpu");
    let wrong = json!({ "spec": { "tolerations": [{ "key": "gpu", "value": "false" }] } });
    check(std::slice::from_ref(&tainted), &[], &pod("p", "", "", wrong), message);
    let everything = json!({ "spec": { "tolerations": [{ "operator": "Exists" }] } });
    check(std::slice::from_ref(&tainted), &[], &pod("p", "", "", everything), "gpu");

    // PreferNoSchedule only scores.
    let soft = node(
        "soft",
        "2",
        "4Gi",
        110,
        json!({ "spec": { "taints": [{ "key": "spot", "effect": "PreferNoSchedule" }] } }),
    );
    check(&[soft.clone(), plain("clean")], &[], &pod("p", "", "", json!({})), "clean");
    check(&[soft], &[], &pod("p", "", "", json!({})), "soft");
}

#[test]
fn node_selectors_and_required_node_affinity_choose_nodes() {
    let labelled = |name: &str, labels: Value| node(name, "2", "4Gi", 110, json!({ "metadata": { "labels": labels } }));
    let nodes = [
        labelled("small", json!({ "size": "2", "disk": "ssd" })),
        labelled("large", json!({ "size": "8" })),
        labelled("plain", json!({})),
    ];
    let selector = |labels: Value| json!({ "spec": { "nodeSelector": labels } });
    check(&nodes, &[], &pod("p", "", "", selector(json!({ "disk": "ssd" }))), "small");
    let affinity = |expressions: Value| {
        json!({ "spec": { "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{ "matchExpressions": expressions }] } } } } })
    };
    let cases = [
        (json!([{ "key": "size", "operator": "In", "values": ["8"] }]), "large"),
        (json!([{ "key": "size", "operator": "Gt", "values": ["4"] }]), "large"),
        (json!([{ "key": "size", "operator": "Lt", "values": ["4"] }]), "small"),
        (json!([{ "key": "size", "operator": "DoesNotExist" }]), "plain"),
        (json!([{ "key": "disk", "operator": "Exists" }]), "small"),
        (
            json!([{ "key": "size", "operator": "Exists" }, { "key": "disk", "operator": "NotIn", "values": ["ssd"] }]),
            "large",
        ),
    ];
    for (expressions, expect) in cases {
        check(&nodes, &[], &pod("p", "", "", affinity(expressions.clone())), expect);
    }
    let by_name = json!({ "spec": { "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{ "matchFields": [{ "key": "metadata.name", "operator": "In", "values": ["plain"] }] }] } } } } });
    check(&nodes, &[], &pod("p", "", "", by_name), "plain");
    let message = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: \
                   0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    check(&nodes, &[], &pod("p", "", "", selector(json!({ "disk": "hdd" }))), message);

    let preferred = json!({ "spec": { "affinity": { "nodeAffinity": { "preferredDuringSchedulingIgnoredDuringExecution": [
        { "weight": 10, "preference": { "matchExpressions": [{ "key": "size", "operator": "In", "values": ["8"] }] } }] } } } });
    check(&nodes, &[], &pod("p", "", "", preferred), "large");
}

#[test]
fn pod_affinity_and_anti_affinity_follow_their_topology() {
    let zoned = |name: &str, zone: &str| {
        node(name, "2", "4Gi", 110, json!({ "metadata": { "labels": { "topology.kubernetes.io/zone": zone } } }))
    };
    let nodes = [zoned("a1", "a"), zoned("a2", "a"), zoned("b1", "b")];
    let cache = bound(pod("cache", "", "", json!({ "metadata": { "labels": { "app": "cache" } } })), "a1");
    let term = |key: &str| json!([{ "topologyKey": key, "labelSelector": { "matchLabels": { "app": "cache" } } }]);
    let with = |kind: &str, key: &str| json!({ "spec": { "affinity": { kind: { "requiredDuringSchedulingIgnoredDuringExecution": term(key) } } } });
    check(&nodes, std::slice::from_ref(&cache), &pod("p", "", "", with("podAffinity", "kubernetes.io/hostname")), "a1");
    let away = pod("p", "", "", with("podAntiAffinity", "topology.kubernetes.io/zone"));
    check(&nodes, std::slice::from_ref(&cache), &away, "b1");
    let message = "0/1 nodes are available: 1 node(s) didn't match pod anti-affinity rules. preemption: \
                   0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    check(&nodes[..1], std::slice::from_ref(&cache), &away, message);
    // Nothing to be near yet: a pod matching its own affinity term may start the group anywhere.
    let first = pod(
        "first",
        "",
        "",
        json!({ "metadata": { "labels": { "app": "cache" } },
                "spec": { "affinity": { "podAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": term("kubernetes.io/hostname") } } } }),
    );
    assert!(schedule(&first, &snapshot(&nodes, &[])).is_ok());
    // An existing pod's anti-affinity keeps matching pods off its zone.
    let loner = bound(
        pod(
            "loner",
            "",
            "",
            json!({ "spec": { "affinity": { "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [{ "topologyKey": "topology.kubernetes.io/zone",
                "labelSelector": { "matchLabels": { "app": "web" } } }] } } } }),
        ),
        "b1",
    );
    let web = pod("web", "", "", json!({ "metadata": { "labels": { "app": "web" } } }));
    let snapshot = snapshot(&nodes[2..], std::slice::from_ref(&loner));
    let message = schedule(&web, &snapshot).expect_err("kept away").message();
    assert!(message.contains("1 node(s) didn't satisfy existing pods anti-affinity rules"), "{message}");
}

#[test]
fn topology_spread_constraints_bound_the_skew() {
    let zoned = |name: &str, zone: &str| {
        node(name, "2", "4Gi", 110, json!({ "metadata": { "labels": { "topology.kubernetes.io/zone": zone } } }))
    };
    let nodes = [zoned("a1", "a"), zoned("b1", "b")];
    let labels = json!({ "app": "web" });
    let member = |name: &str| pod(name, "", "", json!({ "metadata": { "labels": labels.clone() } }));
    let existing = [bound(member("w1"), "a1"), bound(member("w2"), "a1")];
    let constrained = pod(
        "w3",
        "",
        "",
        json!({ "metadata": { "labels": labels.clone() }, "spec": { "topologySpreadConstraints": [{
            "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": { "matchLabels": { "app": "web" } } }] } }),
    );
    check(&nodes, &existing, &constrained, "b1");
    // Only zone a is eligible for a pod selecting it, so there is no skew to keep.
    let pinned = {
        let mut pinned = constrained.clone();
        pinned.spec.as_mut().expect("a spec").node_selector =
            Some(BTreeMap::from([("topology.kubernetes.io/zone".to_owned(), "a".to_owned())]));
        pinned
    };
    assert!(schedule(&pinned, &snapshot(&nodes, &existing)).is_ok());
    // A tainted node's zone still counts as a domain (with no pods), so zone a is too far ahead.
    let mut tainted = nodes[1].clone();
    tainted.spec.get_or_insert_default().taints = Some(vec![k8s_openapi::api::core::v1::Taint {
        key: "k".into(),
        value: Some("v".into()),
        effect: "NoSchedule".into(),
        time_added: None,
    }]);
    let message = "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints, \
                   1 node(s) had untolerated taint {k: v}. preemption: 0/2 nodes are available: \
                   2 Preemption is not helpful for scheduling.";
    check(&[nodes[0].clone(), tainted], &existing, &constrained, message);
}

#[test]
fn replicas_spread_two_per_zone_by_default() {
    let nodes: Vec<Node> = ["a", "b", "c"]
        .iter()
        .map(|zone| {
            node(
                &format!("node-{zone}"),
                "4",
                "8Gi",
                110,
                json!({ "metadata": { "labels": { "topology.kubernetes.io/zone": zone } } }),
            )
        })
        .collect();
    let owner = json!({ "metadata": { "labels": { "app": "web" }, "ownerReferences": [{
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "rs-uid", "controller": true }] } });
    let mut pods = Vec::new();
    for i in 0..6 {
        let replica = pod(&format!("web-{i}"), "100m", "128Mi", owner.clone());
        let node = schedule(&replica, &snapshot(&nodes, &pods)).expect("room");
        pods.push(bound(replica, &node));
    }
    let mut per_node: BTreeMap<String, usize> = BTreeMap::new();
    for pod in &pods {
        *per_node.entry(pod.spec.as_ref().and_then(|s| s.node_name.clone()).expect("bound")).or_default() += 1;
    }
    assert_eq!(per_node.values().copied().collect::<Vec<_>>(), [2, 2, 2], "{per_node:?}");
}

#[test]
fn the_emptier_node_wins() {
    let nodes = [plain("busy"), plain("idle")];
    let used = [bound(pod("x", "1", "2Gi", json!({})), "busy")];
    check(&nodes, &used, &pod("p", "100m", "100Mi", json!({})), "idle");
}

#[test]
fn preemption_evicts_the_fewest_lowest_priority_pods() {
    let nodes = [node("a", "2", "4Gi", 110, json!({})), node("b", "2", "4Gi", 110, json!({}))];
    let with_priority =
        |name: &str, cpu: &str, priority: i32| pod(name, cpu, "", json!({ "spec": { "priority": priority } }));
    let pods = [
        bound(with_priority("a-low", "1", 1), "a"),
        bound(with_priority("a-high", "1", 100), "a"),
        bound(with_priority("b-mid-1", "1", 5), "b"),
        bound(with_priority("b-mid-2", "500m", 5), "b"),
    ];
    let urgent = with_priority("urgent", "1", 50);
    let unschedulable = schedule(&urgent, &snapshot(&nodes, &pods)).expect_err("both nodes are full");
    let preemption = unschedulable.preemption.expect("a node where preemption helps");
    assert_eq!((preemption.node.as_str(), preemption.victims), ("a", vec!["default/a-low".to_owned()]));

    let modest = with_priority("modest", "1", 1);
    let unschedulable = schedule(&modest, &snapshot(&nodes, &pods)).expect_err("full");
    assert_eq!(
        (unschedulable.preemption.clone(), unschedulable.message()),
        (
            None,
            "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: \
             2 No preemption victims found for incoming pod."
                .to_owned()
        ),
    );
}

#[test]
fn min_domains_and_match_label_keys_shape_the_spread() {
    let zoned = |name: &str, zone: &str| {
        node(name, "2", "4Gi", 110, json!({ "metadata": { "labels": { "topology.kubernetes.io/zone": zone } } }))
    };
    let nodes = [zoned("a1", "a"), zoned("b1", "b")];
    let member = |name: &str, hash: &str| {
        pod(name, "", "", json!({ "metadata": { "labels": { "app": "web", "pod-template-hash": hash } } }))
    };
    let spread = |extra: Value| {
        let mut constraint = json!({ "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                     "whenUnsatisfiable": "DoNotSchedule",
                                     "labelSelector": { "matchLabels": { "app": "web" } } });
        merge(&mut constraint, extra);
        pod(
            "new",
            "",
            "",
            json!({ "metadata": { "labels": { "app": "web", "pod-template-hash": "v2" } },
                                   "spec": { "topologySpreadConstraints": [constraint] } }),
        )
    };
    // One pod in each zone: without minDomains the skew allows either zone.
    let even = [bound(member("w1", "v1"), "a1"), bound(member("w2", "v1"), "b1")];
    assert!(schedule(&spread(json!({})), &snapshot(&nodes, &even)).is_ok());
    // With minDomains 3 and two zones, the global minimum counts as 0: a zone already holding maxSkew pods is full.
    let message = "0/2 nodes are available: 2 node(s) didn't match pod topology spread constraints. preemption: \
                   0/2 nodes are available: 2 Preemption is not helpful for scheduling.";
    check(&nodes, &even, &spread(json!({ "minDomains": 3 })), message);
    // Satisfied minDomains change nothing.
    assert!(schedule(&spread(json!({ "minDomains": 2 })), &snapshot(&nodes, &even)).is_ok());

    // Two old-revision pods in zone a, and zone b's node tainted (its zone still counts as a domain): with the
    // plain selector zone a is too far ahead and nothing fits ...
    let old = [bound(member("w1", "v1"), "a1"), bound(member("w2", "v1"), "a1")];
    let mut tainted = nodes[1].clone();
    tainted.spec.get_or_insert_default().taints = Some(vec![k8s_openapi::api::core::v1::Taint {
        key: "k".into(),
        value: None,
        effect: "NoSchedule".into(),
        time_added: None,
    }]);
    let skewed = [nodes[0].clone(), tainted];
    assert!(schedule(&spread(json!({})), &snapshot(&skewed, &old)).is_err());
    // ... but with matchLabelKeys only pods of the new pod's own revision count, and zone a has none.
    let by_revision = spread(json!({ "matchLabelKeys": ["pod-template-hash"] }));
    check(&skewed, &old, &by_revision, "a1");
    // Pods of its own revision still count.
    let same_revision = [bound(member("w1", "v2"), "a1"), bound(member("w2", "v2"), "a1")];
    assert!(schedule(&by_revision, &snapshot(&skewed, &same_revision)).is_err());
    // A key the pod has no label for is ignored.
    let unknown = spread(json!({ "matchLabelKeys": ["no-such-label"] }));
    assert!(schedule(&unknown, &snapshot(&skewed, &old)).is_err());
    check(&nodes, &old, &unknown, "b1");
}

#[test]
fn affinity_terms_select_namespaces_by_their_labels() {
    let nodes = [plain("a"), plain("b")];
    let cache =
        bound(pod("cache", "", "", json!({ "metadata": { "namespace": "data", "labels": { "app": "cache" } } })), "b");
    let near = |selector: Value| {
        pod(
            "web",
            "",
            "",
            json!({ "spec": { "affinity": { "podAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": [{
                "topologyKey": "kubernetes.io/hostname", "namespaceSelector": selector,
                "labelSelector": { "matchLabels": { "app": "cache" } } }] } } } }),
        )
    };
    let mut cluster = snapshot(&nodes, std::slice::from_ref(&cache));
    cluster.set_namespace("default", BTreeMap::new());
    cluster.set_namespace("data", BTreeMap::from([("team".to_owned(), "storage".to_owned())]));
    // The selector picks the cache's namespace by its label; an empty selector picks every namespace.
    assert_eq!(schedule(&near(json!({ "matchLabels": { "team": "storage" } })), &cluster), Ok("b".to_owned()));
    assert_eq!(schedule(&near(json!({})), &cluster), Ok("b".to_owned()));
    // A selector no namespace matches finds no cache, and the pod does not match its own term.
    let message = schedule(&near(json!({ "matchLabels": { "team": "web" } })), &cluster).expect_err("").message();
    assert!(message.contains("2 node(s) didn't match pod affinity rules"), "{message}");
    // Relabelling the namespace changes the answer.
    cluster.set_namespace("data", BTreeMap::from([("team".to_owned(), "web".to_owned())]));
    assert_eq!(schedule(&near(json!({ "matchLabels": { "team": "web" } })), &cluster), Ok("b".to_owned()));

    // An existing pod's anti-affinity that selects namespaces by label keeps matching pods of those away.
    let loner = bound(
        pod(
            "loner",
            "",
            "",
            json!({ "metadata": { "namespace": "data" }, "spec": { "affinity": { "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [{ "topologyKey": "kubernetes.io/hostname",
                    "namespaceSelector": { "matchLabels": { "tier": "front" } },
                    "labelSelector": { "matchLabels": { "app": "web" } } }] } } } }),
        ),
        "a",
    );
    let web = pod("web", "", "", json!({ "metadata": { "labels": { "app": "web" } } }));
    let mut cluster = snapshot(&nodes[..1], std::slice::from_ref(&loner));
    cluster.set_namespace("default", BTreeMap::from([("tier".to_owned(), "front".to_owned())]));
    assert!(schedule(&web, &cluster).is_err());
    cluster.set_namespace("default", BTreeMap::new());
    assert_eq!(schedule(&web, &cluster), Ok("a".to_owned()));
}

#[test]
fn room_made_by_preemption_is_kept_for_the_nominated_pod() {
    let nodes = [node("a", "2", "4Gi", 110, json!({})), node("b", "2", "4Gi", 110, json!({}))];
    let with_priority =
        |name: &str, cpu: &str, priority: i32| pod(name, cpu, "", json!({ "spec": { "priority": priority } }));
    let pods = [bound(with_priority("a-busy", "1", 0), "a"), bound(with_priority("b-busy", "1500m", 0), "b")];
    let urgent = with_priority("urgent", "1", 100);
    let mut cluster = snapshot(&nodes, &pods);
    cluster.nominate(&urgent, "a");
    // A pod of lower priority may not take the nominated pod's room on a; b has none either.
    let filler = with_priority("filler", "1", 10);
    let message = schedule(&filler, &cluster).expect_err("the room on a is reserved").message();
    assert!(message.starts_with("0/2 nodes are available: 2 Insufficient cpu."), "{message}");
    // A pod of higher priority may.
    assert_eq!(schedule(&with_priority("vip", "1", 1000), &cluster), Ok("a".to_owned()));
    // The nominated pod goes to its node first, though b would score no worse were it free.
    assert_eq!(schedule(&urgent, &cluster), Ok("a".to_owned()));
    // Its nomination gone, the room is anyone's.
    cluster.forget_nomination("default/urgent");
    assert_eq!(schedule(&filler, &cluster), Ok("a".to_owned()));
}

#[test]
fn a_preemptor_waits_for_its_victims_to_terminate() {
    let nodes = [node("a", "1", "4Gi", 110, json!({}))];
    let victim = bound(
        pod(
            "victim",
            "1",
            "",
            json!({ "metadata": { "deletionTimestamp": "2026-01-01T00:00:00Z" },
                    "spec": { "priority": 1 },
                    "status": { "conditions": [{ "type": "DisruptionTarget", "status": "True",
                                                  "reason": "PreemptionByScheduler" }] } }),
        ),
        "a",
    );
    let other = bound(pod("other", "", "", json!({ "spec": { "priority": 1 } })), "a");
    let urgent = pod("urgent", "1", "", json!({ "spec": { "priority": 100 }, "status": { "nominatedNodeName": "a" } }));
    let unschedulable = schedule(&urgent, &snapshot(&nodes, &[victim.clone(), other.clone()])).expect_err("full");
    assert_eq!(unschedulable.preemption, None);
    assert_eq!(
        unschedulable.message(),
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to a terminating pod on the \
         nominated node."
    );
    // Without a nomination (or once the victim is gone and the node is full again) it may preempt.
    let fresh = pod("urgent", "1", "", json!({ "spec": { "priority": 100 } }));
    let preemption = schedule(&fresh, &snapshot(&nodes, &[victim, other])).expect_err("full").preemption;
    assert_eq!(preemption.map(|p| p.node), Some("a".to_owned()));
}

/// Three nodes of 4 CPUs, one per zone: `a` in us-east-1a, `b` in us-east-1b, `c` in us-east-1c.
fn zoned_nodes() -> Vec<Node> {
    ["a", "b", "c"]
        .iter()
        .map(|zone| {
            let labels = json!({ "topology.kubernetes.io/zone": format!("us-east-1{zone}") });
            node(zone, "4", "8Gi", 110, json!({ "metadata": { "labels": labels } }))
        })
        .collect()
}

/// A snapshot of `nodes` that knows the claims, volumes and storage classes in `storage` (told apart by kind).
fn with_storage(nodes: &[Node], storage: &[Value]) -> Snapshot {
    let mut snapshot = snapshot(nodes, &[]);
    for object in storage {
        let object = object.clone();
        match object["kind"].as_str() {
            Some("PersistentVolumeClaim") => {
                let (key, info) = volumes::claim_info(&serde_json::from_value(object).expect("a claim"));
                snapshot.volumes.claims.insert(key, info);
            }
            Some("PersistentVolume") => {
                let (key, info) = volumes::volume_info(&serde_json::from_value(object).expect("a volume"));
                snapshot.volumes.volumes.insert(key, info);
            }
            Some("StorageClass") => {
                let (key, info) = volumes::class_info(&serde_json::from_value(object).expect("a storage class"));
                snapshot.volumes.classes.insert(key, info);
            }
            kind => panic!("not a storage object: {kind:?}"),
        }
    }
    snapshot
}

/// Schedules `pod` on the zoned nodes knowing `storage`, and compares the node (or the failure) with `expect`.
fn check_volumes(storage: &[Value], pod: &Pod, expect: &str) {
    check_volumes_on(&zoned_nodes(), storage, pod, expect);
}

fn check_volumes_on(nodes: &[Node], storage: &[Value], pod: &Pod, expect: &str) {
    let got = match schedule(pod, &with_storage(nodes, storage)) {
        Ok(node) => node,
        Err(unschedulable) => unschedulable.message(),
    };
    assert_eq!(got, expect);
}

/// A claim in `default`, plus `extra` merged into it.
fn claim(name: &str, extra: Value) -> Value {
    let mut claim = json!({
        "kind": "PersistentVolumeClaim",
        "metadata": { "name": name, "namespace": "default" },
        "spec": { "accessModes": ["ReadWriteOnce"], "resources": { "requests": { "storage": "1Gi" } } },
    });
    merge(&mut claim, extra);
    claim
}

/// A claim bound to the volume `volume`.
fn bound_claim(name: &str, volume: &str) -> Value {
    claim(name, json!({ "spec": { "volumeName": volume } }))
}

/// A claim of the storage class `class`, not bound.
fn class_claim(name: &str, class: &str) -> Value {
    claim(name, json!({ "spec": { "storageClassName": class } }))
}

/// A volume whose node affinity requires `expressions` (one term); none when `expressions` is null.
fn persistent_volume(name: &str, expressions: Value) -> Value {
    let mut volume = json!({
        "kind": "PersistentVolume",
        "metadata": { "name": name },
        "spec": { "capacity": { "storage": "1Gi" }, "accessModes": ["ReadWriteOnce"],
                  "csi": { "driver": "ebs.csi.aws.com", "volumeHandle": format!("vol-{name}") } },
    });
    if !expressions.is_null() {
        volume["spec"]["nodeAffinity"] = json!({ "required": { "nodeSelectorTerms": [
            { "matchExpressions": expressions }] } });
    }
    volume
}

/// A volume that requires nodes in `zone`.
fn zonal_volume(name: &str, zone: &str) -> Value {
    persistent_volume(name, json!([{ "key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone] }]))
}

fn storage_class(name: &str, mode: &str, extra: Value) -> Value {
    let mut class = json!({
        "kind": "StorageClass",
        "metadata": { "name": name },
        "provisioner": "ebs.csi.aws.com",
        "volumeBindingMode": mode,
    });
    merge(&mut class, extra);
    class
}

/// Pod `p` with a volume per claim, each named after its claim.
fn using(claims: &[&str]) -> Pod {
    let volumes: Vec<Value> =
        claims.iter().map(|c| json!({ "name": c, "persistentVolumeClaim": { "claimName": c } })).collect();
    pod("p", "100m", "", json!({ "spec": { "volumes": volumes } }))
}

const NOT_HELPFUL: &str = " preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";

#[test]
fn a_missing_or_deleted_claim_keeps_the_pod_off_every_node() {
    let missing = format!("0/3 nodes are available: persistentvolumeclaim \"data\" not found.{NOT_HELPFUL}");
    check_volumes(&[], &using(&["data"]), &missing);
    // A missing claim is named even when another claim of the pod would bind immediately.
    check_volumes(&[claim("logs", json!({}))], &using(&["logs", "data"]), &missing);
    let deleting = claim("data", json!({ "metadata": { "deletionTimestamp": "2026-01-01T00:00:00Z" } }));
    let message = format!("0/3 nodes are available: persistentvolumeclaim \"data\" is being deleted.{NOT_HELPFUL}");
    check_volumes(&[deleting], &using(&["data"]), &message);

    // A generic ephemeral volume's claim is named after the pod and the volume.
    let ephemeral = pod(
        "p",
        "",
        "",
        json!({ "spec": { "volumes": [{ "name": "scratch", "ephemeral": { "volumeClaimTemplate": { "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": { "requests": { "storage": "1Gi" } } } } } }] } }),
    );
    let message = format!("0/3 nodes are available: persistentvolumeclaim \"p-scratch\" not found.{NOT_HELPFUL}");
    check_volumes(&[], &ephemeral, &message);
    check_volumes(&[zonal_volume("pv", "us-east-1c"), bound_claim("p-scratch", "pv")], &ephemeral, "c");

    // A pod that may not preempt says so instead; without nodes, that is all there is to say.
    let never = pod(
        "p",
        "",
        "",
        json!({ "spec": { "preemptionPolicy": "Never",
                          "volumes": [{ "name": "data", "persistentVolumeClaim": { "claimName": "data" } }] } }),
    );
    let message = "0/3 nodes are available: persistentvolumeclaim \"data\" not found. preemption: not eligible due to \
         preemptionPolicy=Never.";
    check_volumes(&[], &never, message);
    check_volumes_on(&[], &[], &never, "no nodes available to schedule pods");
}

#[test]
fn a_bound_claim_needs_its_volume_and_a_node_that_reaches_it() {
    check_volumes(&[zonal_volume("pv", "us-east-1b"), bound_claim("data", "pv")], &using(&["data"]), "b");
    let conflict = format!("0/3 nodes are available: 3 node(s) had volume node affinity conflict.{NOT_HELPFUL}");
    check_volumes(&[zonal_volume("pv", "us-east-1d"), bound_claim("data", "pv")], &using(&["data"]), &conflict);
    let missing = format!(
        "0/3 nodes are available: 3 node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s).\
         {NOT_HELPFUL}"
    );
    check_volumes(&[bound_claim("data", "gone")], &using(&["data"]), &missing);
    // A volume without node affinity is reachable from every node.
    let anywhere = schedule(
        &using(&["data"]),
        &with_storage(&zoned_nodes(), &[persistent_volume("pv", Value::Null), bound_claim("data", "pv")]),
    );
    assert!(anywhere.is_ok(), "{anywhere:?}");
    // With two claims the node must reach both volumes.
    let storage = [
        zonal_volume("pv-1", "us-east-1b"),
        persistent_volume("pv-2", json!([{ "key": "kubernetes.io/hostname", "operator": "NotIn", "values": ["b"] }])),
        bound_claim("one", "pv-1"),
        bound_claim("two", "pv-2"),
    ];
    check_volumes(&storage, &using(&["one"]), "b");
    check_volumes(&storage, &using(&["one", "two"]), &conflict);

    // Reasons add up with the other filters', and only the nodes short of CPU could be helped by preemption.
    let mut nodes = zoned_nodes();
    nodes[0] = node(
        "a",
        "1",
        "8Gi",
        110,
        json!({ "metadata": { "labels": {
        "topology.kubernetes.io/zone": "us-east-1a" } } }),
    );
    let big = pod(
        "p",
        "2",
        "",
        json!({ "spec": { "volumes": [
        { "name": "data", "persistentVolumeClaim": { "claimName": "data" } }] } }),
    );
    let message = "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had volume node affinity conflict. \
                   preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, \
                   2 Preemption is not helpful for scheduling.";
    check_volumes_on(&nodes, &[zonal_volume("pv", "us-east-1a"), bound_claim("data", "pv")], &big, message);
}

#[test]
fn an_unbound_claim_waits_for_its_first_consumer_or_blocks_the_pod() {
    let immediate = format!("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.{NOT_HELPFUL}");
    let gp3 = storage_class("gp3", "Immediate", json!({}));
    check_volumes(&[gp3, class_claim("data", "gp3")], &using(&["data"]), &immediate);
    // Without a class, or with a class that does not exist, a claim binds immediately.
    check_volumes(&[claim("data", json!({}))], &using(&["data"]), &immediate);
    check_volumes(&[class_claim("data", "nowhere")], &using(&["data"]), &immediate);

    let waiting = storage_class("gp3", "WaitForFirstConsumer", json!({}));
    let anywhere = schedule(&using(&["data"]), &with_storage(&zoned_nodes(), &[waiting, class_claim("data", "gp3")]));
    assert!(matches!(anywhere.as_deref(), Ok("a" | "b" | "c")), "{anywhere:?}");
    // The class given by the beta annotation wins over the spec's.
    let annotated = claim(
        "data",
        json!({ "metadata": { "annotations": { "volume.beta.kubernetes.io/storage-class": "gp3" } },
                "spec": { "storageClassName": "other" } }),
    );
    let waiting = storage_class("gp3", "WaitForFirstConsumer", json!({}));
    let other = storage_class("other", "Immediate", json!({}));
    assert!(schedule(&using(&["data"]), &with_storage(&zoned_nodes(), &[waiting, other, annotated])).is_ok());

    let topologies = |zones: Value| {
        json!({ "allowedTopologies": [
            { "matchLabelExpressions": [{ "key": "kubernetes.io/hostname", "values": ["a", "b", "c"] }] },
            { "matchLabelExpressions": [{ "key": "topology.kubernetes.io/zone", "values": zones },
                                        { "key": "kubernetes.io/hostname", "values": ["b", "c"] }] },
        ] })
    };
    let limited = |zones: Value| {
        let mut allowed = topologies(zones);
        // The first term would admit every node; keep only the zonal one.
        allowed["allowedTopologies"].as_array_mut().expect("terms").remove(0);
        storage_class("gp3", "WaitForFirstConsumer", allowed)
    };
    check_volumes(&[limited(json!(["us-east-1b"])), class_claim("data", "gp3")], &using(&["data"]), "b");
    let message =
        format!("0/3 nodes are available: 3 node(s) didn't find available persistent volumes to bind.{NOT_HELPFUL}");
    check_volumes(&[limited(json!(["us-east-1a"])), class_claim("data", "gp3")], &using(&["data"]), &message);
    // A node matching any one term is enough.
    let any = storage_class("gp3", "WaitForFirstConsumer", topologies(json!(["us-east-1d"])));
    let any_node = schedule(&using(&["data"]), &with_storage(&zoned_nodes(), &[any, class_claim("data", "gp3")]));
    assert!(any_node.is_ok(), "{any_node:?}");
    // A term without expressions admits nothing.
    let empty = storage_class("gp3", "WaitForFirstConsumer", json!({ "allowedTopologies": [{}] }));
    check_volumes(&[empty, class_claim("data", "gp3")], &using(&["data"]), &message);
}

#[test]
fn a_bound_volumes_zone_labels_keep_the_pod_in_its_zone() {
    let labelled = |labels: Value| {
        let mut volume = persistent_volume("pv", Value::Null);
        volume["metadata"]["labels"] = labels;
        volume
    };
    let storage = |labels: Value| [labelled(labels), bound_claim("data", "pv")];
    check_volumes(&storage(json!({ "topology.kubernetes.io/zone": "us-east-1c" })), &using(&["data"]), "c");
    // The beta label stands for the zone label of nodes.
    let beta = json!({ "failure-domain.beta.kubernetes.io/zone": "us-east-1a" });
    check_volumes(&storage(beta), &using(&["data"]), "a");
    let message = format!("0/3 nodes are available: 3 node(s) had no available volume zone.{NOT_HELPFUL}");
    check_volumes(&storage(json!({ "topology.kubernetes.io/zone": "us-east-1d" })), &using(&["data"]), &message);
    // Several zones are joined by `__`.
    let two = json!({ "topology.kubernetes.io/zone": "us-east-1a__us-east-1b" });
    check_volumes_on(&zoned_nodes()[1..], &storage(two), &using(&["data"]), "b");
    // A node without any topology label is in a cluster of one zone.
    let far = json!({ "topology.kubernetes.io/zone": "us-east-1d" });
    check_volumes_on(&[plain("plain")], &storage(far), &using(&["data"]), "plain");
}

#[test]
fn a_volume_node_affinity_the_scheduler_cannot_read_matches_no_node() {
    let message = format!("0/3 nodes are available: 3 node(s) had volume node affinity conflict.{NOT_HELPFUL}");
    let garbage = [
        json!([{ "key": "topology.kubernetes.io/zone", "operator": "Near", "values": ["us-east-1b"] }]),
        json!([{ "key": "topology.kubernetes.io/zone", "operator": "In" }]),
        json!([{ "key": "topology.kubernetes.io/zone", "operator": "Gt", "values": ["east"] }]),
        json!([{ "key": "topology.kubernetes.io/zone", "operator": "Lt", "values": ["1", "2"] }]),
        json!([{ "key": "", "operator": "" }]),
        json!([]),
    ];
    for expressions in garbage {
        let storage = [persistent_volume("pv", expressions.clone()), bound_claim("data", "pv")];
        check_volumes(&storage, &using(&["data"]), &message);
    }
    // Fields other than the node's name select nothing either; no terms at all neither.
    let mut by_field = persistent_volume("pv", Value::Null);
    by_field["spec"]["nodeAffinity"] = json!({ "required": { "nodeSelectorTerms": [
        { "matchFields": [{ "key": "metadata.uid", "operator": "In", "values": ["b"] }] }] } });
    check_volumes(&[by_field, bound_claim("data", "pv")], &using(&["data"]), &message);
    let mut no_terms = persistent_volume("pv", Value::Null);
    no_terms["spec"]["nodeAffinity"] = json!({ "required": { "nodeSelectorTerms": [] } });
    check_volumes(&[no_terms, bound_claim("data", "pv")], &using(&["data"]), &message);
}

#[test]
fn claims_waiting_for_a_consumer_are_selected_for_the_chosen_node() {
    let storage = with_storage(
        &zoned_nodes(),
        &[
            storage_class("gp3", "WaitForFirstConsumer", json!({})),
            storage_class("io2", "Immediate", json!({})),
            class_claim("wait", "gp3"),
            claim(
                "chosen",
                json!({ "metadata": { "annotations": { "volume.kubernetes.io/selected-node": "b" } },
                                     "spec": { "storageClassName": "gp3" } }),
            ),
            claim("bound", json!({ "spec": { "storageClassName": "gp3", "volumeName": "pv" } })),
            class_claim("now", "io2"),
        ],
    );
    let pod = using(&["wait", "chosen", "bound", "now", "wait", "missing"]);
    assert_eq!(volumes::claims_to_select(&pod, &storage.volumes, "b"), ["wait"]);
    assert_eq!(volumes::claims_to_select(&pod, &storage.volumes, "c"), ["chosen", "wait"]);
    assert!(volumes::claims_to_select(&plain_pod(), &storage.volumes, "b").is_empty());
}

fn plain_pod() -> Pod {
    pod("p", "", "", json!({ "spec": { "volumes": [{ "name": "tmp", "emptyDir": {} }] } }))
}

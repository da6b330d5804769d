use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use scheduler::Snapshot;
use serde_json::json;

use super::estimate::{Template, estimate};
use super::expander::{self, ScaleUpOption, parse_priorities};
use super::flags::{Expander, Options, StaticGroup, parse, parse_duration};
use super::scale_down::{self, Blocker, Candidate};
use super::scale_up::{self, GroupState};
use super::status::{self, GroupStatus, NodeCounts, Transitions};
use super::{discovered, installed, unschedulable};
use crate::node_groups::{NodeGroup, NodeTemplate};
use k8s_model::image_repository;

const GIB: u64 = 1024 * 1024 * 1024;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// A t3.medium as an EKS node registers it: 2 vCPU / 4 GiB, 17 pods.
fn t3_medium(zone: &str, nodegroup: &str) -> NodeTemplate {
    NodeTemplate {
        instance_type: "t3.medium".into(),
        labels: [
            ("eks.amazonaws.com/nodegroup".to_owned(), nodegroup.to_owned()),
            ("topology.kubernetes.io/zone".to_owned(), zone.to_owned()),
            ("node.kubernetes.io/instance-type".to_owned(), "t3.medium".to_owned()),
        ]
        .into(),
        taints: Vec::new(),
        zone: zone.into(),
        capacity_cpu_millis: 2000,
        capacity_memory_bytes: 4 * GIB,
        allocatable_cpu_millis: 1930,
        allocatable_memory_bytes: 3554 * 1024 * 1024,
        allocatable_ephemeral_storage_bytes: 17 * GIB,
        max_pods: 17,
        gpus: 0,
        price_per_hour: Some(0.0416),
    }
}

fn pod(name: &str, cpu: &str, extra: serde_json::Value) -> Pod {
    let mut value = json!({
        "metadata": { "name": name, "namespace": "default",
                      "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                                            "uid": "u1", "controller": true }] },
        "spec": { "containers": [{ "name": "app", "image": "nginx",
                                   "resources": { "requests": { "cpu": cpu, "memory": "64Mi" } } }] },
        "status": { "phase": "Pending",
                    "conditions": [{ "type": "PodScheduled", "status": "False", "reason": "Unschedulable" }] },
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

fn node(name: &str, cpu: &str, extra: serde_json::Value) -> Node {
    let mut value = json!({
        "metadata": { "name": name, "labels": { "kubernetes.io/hostname": name } },
        "spec": { "providerID": format!("aws:///us-west-2a/i-{name}") },
        "status": { "allocatable": { "cpu": cpu, "memory": "4Gi", "pods": "17" },
                    "conditions": [{ "type": "Ready", "status": "True" }] },
    });
    merge(&mut value, extra);
    serde_json::from_value(value).expect("a node")
}

fn group_state(id: &str, target: i64, max: i64, template: NodeTemplate) -> GroupState {
    let sim = Template::new(id, &template, &[]);
    GroupState {
        id: id.into(),
        min: 0,
        max,
        target,
        registered: target,
        template: Some((template, sim)),
        backed_off: false,
    }
}

// Flags.

#[test]
fn the_charts_flags_are_read_with_upstreams_defaults_for_the_rest() {
    let (options, warnings) = parse(&args(&[
        "./cluster-autoscaler",
        "--cloud-provider=aws",
        "--namespace=kube-system",
        "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/demo",
        "--logtostderr=true",
        "--stderrthreshold=info",
        "--v=4",
        "--scan-interval=1s",
        "--scale-down-unneeded-time=5s",
        "--scale-down-delay-after-add=0s",
    ]));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        options.auto_discovery,
        vec![vec![
            ("k8s.io/cluster-autoscaler/enabled".to_owned(), None),
            ("k8s.io/cluster-autoscaler/demo".to_owned(), None)
        ]]
    );
    assert_eq!(options.scan_interval, Duration::from_secs(1));
    assert_eq!(options.scale_down_unneeded_time, Duration::from_secs(5));
    assert_eq!(options.scale_down_delay_after_add, Duration::ZERO);
    assert_eq!(options.expanders, vec![Expander::LeastWaste]);
    assert!(options.scale_down_enabled && options.skip_nodes_with_system_pods && options.skip_nodes_with_local_storage);
    assert_eq!(options.max_node_provision_time, Duration::from_secs(900));
    assert_eq!(options.scale_down_utilization_threshold, 0.5);
}

#[test]
fn flags_take_values_in_every_form_go_accepts() {
    let (options, warnings) = parse(&args(&[
        "--nodes=1:10:asg-a",
        "--nodes",
        "0:3:asg-b",
        "-expander=priority,most-pods",
        "--balance-similar-node-groups",
        "--scale-down-enabled=false",
        "--max-nodes-total",
        "25",
        "--node-group-auto-discovery=asg:tag=team=blue",
        "--scale-down-utilization-threshold=0.7",
    ]));
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        options.nodes,
        vec![
            StaticGroup { min: 1, max: 10, name: "asg-a".into() },
            StaticGroup { min: 0, max: 3, name: "asg-b".into() }
        ]
    );
    assert_eq!(options.expanders, vec![Expander::Priority, Expander::MostPods]);
    assert!(options.balance_similar_node_groups);
    assert!(!options.scale_down_enabled);
    assert_eq!(options.max_nodes_total, 25);
    assert_eq!(options.auto_discovery, vec![vec![("team".to_owned(), Some("blue".to_owned()))]]);
    assert_eq!(options.scale_down_utilization_threshold, 0.7);
}

#[test]
fn garbage_flags_are_ignored_with_a_warning_and_defaults_kept() {
    let (options, warnings) = parse(&args(&[
        "--scan-interval=ten",
        "--expander=cheapest",
        "--nodes=5:2:asg",
        "--nodes=a:b",
        "--scale-down-utilization-threshold=7",
        "--max-nodes-total=-1",
        "--node-group-auto-discovery=mig:namePrefix=x",
        "--scale-down-enabled=maybe",
        "--",
        "plain",
    ]));
    assert_eq!(warnings.len(), 8, "{warnings:?}");
    assert_eq!(options, Options::default());
}

#[test]
fn go_durations() {
    assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
    assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
    assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
    assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
    for bad in ["", "10", "-1s", "1x", "s", "1..2s", "99999999999h"] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
}

// Activation and discovery.

#[test]
fn the_deployment_counts_once_a_replica_of_the_autoscaler_image_is_available() {
    let deployment = |image: &str, available: i32| -> Deployment {
        serde_json::from_value(json!({
            "metadata": { "name": "cluster-autoscaler-aws-cluster-autoscaler", "namespace": "kube-system" },
            "spec": { "selector": {}, "template": { "spec": { "containers": [{
                "name": "aws-cluster-autoscaler", "image": image,
                "command": ["./cluster-autoscaler", "--cloud-provider=aws"], "args": ["--scan-interval=1s"] }] } } },
            "status": { "availableReplicas": available },
        }))
        .expect("a deployment")
    };
    let image = "registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.1";
    assert_eq!(image_repository(image), "cluster-autoscaler");
    assert_eq!(image_repository("cluster-autoscaler@sha256:abc"), "cluster-autoscaler");
    assert_eq!(
        installed(&deployment(image, 1)),
        Some(args(&["./cluster-autoscaler", "--cloud-provider=aws", "--scan-interval=1s"]))
    );
    assert_eq!(installed(&deployment(image, 0)), None);
    assert_eq!(installed(&deployment("registry.k8s.io/autoscaling/vpa-recommender:1.0", 1)), None);
}

#[test]
fn groups_are_discovered_by_tags_or_named_with_their_sizes() {
    let group = |id: &str, tags: &[(&str, &str)], min: i64, max: i64| NodeGroup {
        id: id.into(),
        min_size: min,
        max_size: max,
        target_size: min,
        tags: tags.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        template: None,
        instances: Vec::new(),
    };
    let (options, _) = parse(&args(&[
        "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/demo",
        "--nodes=2:4:named",
    ]));
    let tags = [("k8s.io/cluster-autoscaler/enabled", "true"), ("k8s.io/cluster-autoscaler/demo", "owned")];
    assert_eq!(discovered(&group("a", &tags, 0, 10), &options), Some((0, 10)));
    assert_eq!(discovered(&group("b", &tags[..1], 0, 10), &options), None);
    assert_eq!(discovered(&group("named", &[], 0, 10), &options), Some((2, 4)));
    assert_eq!(discovered(&group("c", &tags, 5, 3), &options), None, "max below min");
    let (valued, _) = parse(&args(&["--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/demo=shared"]));
    assert_eq!(discovered(&group("a", &tags, 0, 10), &valued), None);
}

#[test]
fn pods_the_scheduler_gave_up_on_are_unschedulable() {
    assert!(unschedulable(&pod("p", "100m", json!({}))));
    assert!(!unschedulable(&pod("p", "100m", json!({ "spec": { "nodeName": "n1" } }))));
    assert!(!unschedulable(&pod("p", "100m", json!({ "status": { "conditions": [] } }))));
}

// Template fit and binpacking.

#[test]
fn binpacking_fills_template_nodes_first_fit_decreasing_up_to_the_limit() {
    let template = Template::new("workers", &t3_medium("us-west-2a", "workers"), &[]);
    let pods: Vec<Pod> = (0..40).map(|i| pod(&format!("web-{i}"), "500m", json!({}))).collect();
    let refs: Vec<&Pod> = pods.iter().collect();
    // 1930m allocatable: three 500m pods a node.
    let all = estimate(&refs, &template, 100);
    assert_eq!(all.nodes, 14);
    assert_eq!(all.scheduled.len(), 40);
    let capped = estimate(&refs, &template, 10);
    assert_eq!(capped.nodes, 10);
    assert_eq!(capped.scheduled.len(), 30);
    // Larger pods go first: 600m, 600m, 1300m, 1300m need two nodes, where first fit in that order needs three.
    let mixed: Vec<Pod> = [("s1", "600m"), ("s2", "600m"), ("b1", "1300m"), ("b2", "1300m")]
        .iter()
        .map(|(n, c)| pod(n, c, json!({})))
        .collect();
    let mixed_refs: Vec<&Pod> = mixed.iter().collect();
    assert_eq!(estimate(&mixed_refs, &template, 10).nodes, 2);
}

#[test]
fn a_pod_that_fits_no_template_node_says_why() {
    let mut template = t3_medium("us-west-2a", "workers");
    template.taints = vec![k8s_openapi::api::core::v1::Taint {
        key: "dedicated".into(),
        value: Some("gpu".into()),
        effect: "NoSchedule".into(),
        time_added: None,
    }];
    let tainted = Template::new("gpu", &template, &[]);
    let reasons = tainted.check(&pod("p", "100m", json!({}))).expect_err("the taint keeps it out");
    assert!(reasons.keys().any(|r| r.contains("untolerated taint")), "{reasons:?}");
    let plain = Template::new("workers", &t3_medium("us-west-2a", "workers"), &[]);
    let too_big = plain.check(&pod("p", "4", json!({}))).expect_err("4 cpus do not fit");
    assert!(too_big.contains_key("Insufficient cpu"), "{too_big:?}");
    let elsewhere = plain
        .check(&pod("p", "100m", json!({ "spec": { "nodeSelector": { "disk": "ssd" } } })))
        .expect_err("the selector does not match");
    assert!(elsewhere.contains_key("node(s) didn't match Pod's node affinity/selector"), "{elsewhere:?}");
    assert_eq!(plain.check(&pod("p", "1", json!({}))), Ok(()));
}

#[test]
fn a_gpu_pod_fits_only_a_template_node_with_gpus() {
    let gpu_pod = pod(
        "train",
        "1",
        json!({ "spec": { "containers": [{ "name": "c", "resources": { "limits": { "nvidia.com/gpu": "1" } } }] } }),
    );
    let plain = Template::new("workers", &t3_medium("us-west-2a", "workers"), &[]);
    let reasons = plain.check(&gpu_pod).expect_err("a t3.medium has no GPU");
    assert!(reasons.contains_key("Insufficient nvidia.com/gpu"), "{reasons:?}");
    let mut g4dn = t3_medium("us-west-2a", "gpu");
    g4dn.gpus = 1;
    let gpu = Template::new("gpu", &g4dn, &[]);
    assert_eq!(gpu.check(&gpu_pod), Ok(()));
    // One GPU a node: two such pods need two nodes.
    let second = pod(
        "train-2",
        "100m",
        json!({ "spec": { "containers": [{ "name": "c", "resources": { "limits": { "nvidia.com/gpu": "1" } } }] } }),
    );
    assert_eq!(estimate(&[&gpu_pod, &second], &gpu, 10).nodes, 2);
}

#[test]
fn daemonset_pods_take_their_share_of_a_template_node() {
    let daemon = pod("kube-proxy", "1", json!({ "metadata": { "namespace": "kube-system" } }));
    let template = Template::new("workers", &t3_medium("us-west-2a", "workers"), &[daemon]);
    assert_eq!(template.daemon_pods.len(), 1);
    // 930m left: one 500m pod a node.
    let pods = [pod("a", "500m", json!({})), pod("b", "500m", json!({}))];
    let refs: Vec<&Pod> = pods.iter().collect();
    assert_eq!(estimate(&refs, &template, 10).nodes, 2);
}

// Scale-up plans.

#[test]
fn pending_pods_grow_the_group_that_fits_them() {
    let pods: Vec<Pod> = (0..7).map(|i| pod(&format!("web-{i}"), "500m", json!({}))).collect();
    let refs: Vec<&Pod> = pods.iter().collect();
    let groups = [group_state("workers", 1, 10, t3_medium("us-west-2a", "workers"))];
    let plan = scale_up::plan(&refs, &Snapshot::new(), &groups, &Options::default(), 1, None, 0);
    assert_eq!(plan.increases, vec![scale_up::Increase { group: "workers".into(), from: 1, to: 4, max: 10 }]);
    assert_eq!(plan.helped.len(), 7);
    assert_eq!(scale_up::triggered_message(&plan.increases), "pod triggered scale-up: [{workers 1->4 (max: 10)}]");
}

#[test]
fn pods_that_fit_existing_or_upcoming_nodes_ask_for_nothing() {
    let pods: Vec<Pod> = (0..3).map(|i| pod(&format!("web-{i}"), "500m", json!({}))).collect();
    let refs: Vec<&Pod> = pods.iter().collect();
    let mut cluster = Snapshot::new();
    cluster.upsert_node(&node("n1", "1", json!({})));
    let mut group = group_state("workers", 2, 10, t3_medium("us-west-2a", "workers"));
    group.registered = 1;
    let plan = scale_up::plan(&refs, &cluster, &[group], &Options::default(), 1, None, 0);
    // Two fit the existing node, the third the node already asked for.
    assert_eq!(plan.fits_existing.len(), 3);
    assert!(plan.increases.is_empty());
}

#[test]
fn a_group_at_its_max_size_leaves_pods_with_upstreams_reason() {
    let pods =
        [pod("web", "500m", json!({})), pod("picky", "100m", json!({ "spec": { "nodeSelector": { "disk": "ssd" } } }))];
    let refs: Vec<&Pod> = pods.iter().collect();
    let full = group_state("full", 10, 10, t3_medium("us-west-2a", "full"));
    let open = group_state("open", 0, 10, t3_medium("us-west-2a", "open"));
    let plan = scale_up::plan(&refs, &Snapshot::new(), std::slice::from_ref(&full), &Options::default(), 10, None, 0);
    assert_eq!(plan.not_helped["default/web"], "pod didn't trigger scale-up: 1 max node group size reached");
    let plan = scale_up::plan(&refs, &Snapshot::new(), &[full, open], &Options::default(), 10, None, 0);
    assert!(plan.helped.contains("default/web"));
    assert_eq!(
        plan.not_helped["default/picky"],
        "pod didn't trigger scale-up: 1 max node group size reached, 1 node(s) didn't match Pod's node \
         affinity/selector"
    );
    let mut backed_off = group_state("slow", 0, 10, t3_medium("us-west-2a", "slow"));
    backed_off.backed_off = true;
    let plan = scale_up::plan(&refs[..1], &Snapshot::new(), &[backed_off], &Options::default(), 0, None, 0);
    assert_eq!(plan.not_helped["default/web"], "pod didn't trigger scale-up: 1 in backoff after failed scale-up");
}

#[test]
fn max_nodes_total_caps_the_increase() {
    let pods: Vec<Pod> = (0..30).map(|i| pod(&format!("web-{i}"), "500m", json!({}))).collect();
    let refs: Vec<&Pod> = pods.iter().collect();
    let groups = [group_state("workers", 2, 10, t3_medium("us-west-2a", "workers"))];
    let options = Options { max_nodes_total: 5, ..Options::default() };
    let plan = scale_up::plan(&refs, &Snapshot::new(), &groups, &options, 2, None, 0);
    assert_eq!(plan.increases[0].to, 5);
}

#[test]
fn similar_groups_share_the_increase_smallest_first() {
    let pods: Vec<Pod> = (0..12).map(|i| pod(&format!("web-{i}"), "500m", json!({}))).collect();
    let refs: Vec<&Pod> = pods.iter().collect();
    let groups =
        [group_state("a", 2, 10, t3_medium("us-west-2a", "a")), group_state("b", 0, 10, t3_medium("us-west-2b", "b"))];
    let options = Options { balance_similar_node_groups: true, ..Options::default() };
    let plan = scale_up::plan(&refs, &Snapshot::new(), &groups, &options, 2, None, 7);
    let mut sizes: Vec<(String, i64)> = plan.increases.iter().map(|i| (i.group.clone(), i.to)).collect();
    sizes.sort();
    // Four new nodes: b catches up to a, then they alternate.
    assert_eq!(sizes, vec![("a".to_owned(), 3), ("b".to_owned(), 3)]);
    assert!(scale_up::similar(&t3_medium("x", "a"), &t3_medium("y", "b")));
    let mut larger = t3_medium("x", "a");
    larger.capacity_cpu_millis = 4000;
    assert!(!scale_up::similar(&larger, &t3_medium("y", "b")));
    assert_eq!(
        scale_up::balance(&[("a".into(), 9, 10), ("b".into(), 0, 1)], 5),
        vec![("a".into(), 1), ("b".into(), 1)]
    );
}

// Expanders.

fn option(group: &str, nodes: i64, pods: usize, requested_cpu: i64, price: Option<f64>) -> ScaleUpOption {
    ScaleUpOption {
        group: group.into(),
        node_count: nodes,
        pods: (0..pods).map(|i| format!("default/p{i}")).collect(),
        requested_cpu,
        requested_memory: 0,
        node_cpu: 2000,
        node_memory: 4 * GIB as i64,
        price_per_hour: price,
    }
}

#[test]
fn expanders_pick_as_upstreams_do() {
    let options = vec![option("small", 1, 2, 1800, Some(0.04)), option("big", 2, 3, 2000, Some(0.02))];
    let pick = |chain: &[Expander], priorities: Option<&expander::Priorities>| {
        expander::choose(chain, options.clone(), priorities, 0).map(|o| o.group)
    };
    assert_eq!(pick(&[Expander::MostPods], None).as_deref(), Some("big"));
    assert_eq!(pick(&[Expander::LeastWaste], None).as_deref(), Some("small"));
    assert_eq!(pick(&[Expander::Price], None).as_deref(), Some("small"), "0.04 for one node beats 0.04 for two");
    let priorities = parse_priorities("10:\n  - .*small.*\n50:\n  - ^big$\n").expect("priorities");
    assert_eq!(pick(&[Expander::Priority], Some(&priorities)).as_deref(), Some("big"));
    let unmatched = parse_priorities("100: [\"nothing\"]").expect("a flow list");
    assert_eq!(pick(&[Expander::Priority, Expander::LeastWaste], Some(&unmatched)).as_deref(), Some("small"));
    let random: Vec<String> = (0..4)
        .filter_map(|seed| expander::choose(&[Expander::Random], options.clone(), None, seed))
        .map(|o| o.group)
        .collect();
    assert!(random.contains(&"small".to_owned()) && random.contains(&"big".to_owned()));
    assert!(parse_priorities("ten:\n  - x").is_err());
    assert!(parse_priorities("10:\n  - \"(unclosed\"").is_err());
    assert!(parse_priorities("- orphan").is_err());
}

// Scale down.

#[test]
fn pods_that_may_not_move_block_their_node() {
    let options = Options::default();
    let plain = pod("web", "100m", json!({}));
    assert_eq!(scale_down::pod_blocker(&plain, &[], &options), None);
    let annotated =
        pod("keep", "100m", json!({ "metadata": { "annotations": { scale_down::SAFE_TO_EVICT: "false" } } }));
    assert_eq!(
        scale_down::pod_blocker(&annotated, &[], &options),
        Some(Blocker::NotSafeToEvictAnnotation("default/keep".into()))
    );
    let bare = pod("bare", "100m", json!({ "metadata": { "ownerReferences": [] } }));
    assert_eq!(scale_down::pod_blocker(&bare, &[], &options), Some(Blocker::NotReplicated("default/bare".into())));
    let safe_bare = pod(
        "ok",
        "100m",
        json!({ "metadata": { "ownerReferences": [], "annotations": { scale_down::SAFE_TO_EVICT: "true" } } }),
    );
    assert_eq!(scale_down::pod_blocker(&safe_bare, &[], &options), None);
    let system =
        pod("coredns", "100m", json!({ "metadata": { "namespace": "kube-system", "labels": { "app": "dns" } } }));
    assert_eq!(
        scale_down::pod_blocker(&system, &[], &options),
        Some(Blocker::UnmovableKubeSystemPod("kube-system/coredns".into()))
    );
    let relaxed =
        Options { skip_nodes_with_system_pods: false, skip_nodes_with_local_storage: false, ..Options::default() };
    assert_eq!(scale_down::pod_blocker(&system, &[], &relaxed), None);
    let budget = |allowed: i32| -> PodDisruptionBudget {
        serde_json::from_value(json!({
            "metadata": { "name": "dns", "namespace": "kube-system" },
            "spec": { "selector": { "matchLabels": { "app": "dns" } } },
            "status": { "disruptionsAllowed": allowed, "currentHealthy": 1, "desiredHealthy": 1, "expectedPods": 1 },
        }))
        .expect("a budget")
    };
    assert_eq!(scale_down::pod_blocker(&system, &[budget(1)], &options), None, "a budget lets it move");
    assert_eq!(
        scale_down::pod_blocker(&system, &[budget(0)], &options),
        Some(Blocker::NotEnoughPdb("kube-system/coredns".into()))
    );
    let scratch = json!({ "spec": { "volumes": [{ "name": "scratch", "emptyDir": {} }] } });
    let local = pod("cache", "100m", scratch.clone());
    assert_eq!(
        scale_down::pod_blocker(&local, &[], &options),
        Some(Blocker::LocalStorageRequested("default/cache".into()))
    );
    let mut listed = scratch;
    merge(
        &mut listed,
        json!({ "metadata": { "annotations": { scale_down::SAFE_TO_EVICT_LOCAL_VOLUMES: "scratch" } } }),
    );
    assert_eq!(scale_down::pod_blocker(&pod("cache", "100m", listed), &[], &options), None);
}

#[test]
fn an_underused_node_whose_pods_fit_elsewhere_is_unneeded() {
    let options = Options::default();
    let n1 = node("n1", "2", json!({}));
    let n2 = node("n2", "2", json!({}));
    let busy = node("busy", "2", json!({}));
    let kept = node("kept", "2", json!({ "metadata": { "annotations": { scale_down::SCALE_DOWN_DISABLED: "true" } } }));
    let on = |name: &str, node: &str, cpu: &str| {
        pod(name, cpu, json!({ "spec": { "nodeName": node }, "status": { "phase": "Running" } }))
    };
    let a = on("a", "n1", "400m");
    let b = on("b", "n2", "300m");
    let c = on("c", "busy", "1500m");
    let mut snapshot = Snapshot::new();
    for node in [&n1, &n2, &busy, &kept] {
        snapshot.upsert_node(node);
    }
    for pod in [&a, &b, &c] {
        snapshot.add_pod(pod);
    }
    let candidates = [
        Candidate { node: &n1, pods: vec![&a], ready: true },
        Candidate { node: &n2, pods: vec![&b], ready: true },
        Candidate { node: &busy, pods: vec![&c], ready: true },
        Candidate { node: &kept, pods: vec![], ready: true },
    ];
    let verdicts = scale_down::find_unneeded(&candidates, &snapshot, &[], &options);
    let unneeded: Vec<String> = verdicts.iter().filter_map(|v| v.as_ref().ok()).map(|u| u.node.clone()).collect();
    // Least used first: kept stays for its annotation (but still takes pods), n2's pod moves, then n1's.
    assert_eq!(unneeded, vec!["n2".to_owned(), "n1".to_owned()], "{verdicts:?}");
    assert!(verdicts.iter().any(|v| matches!(v, Err((n, Blocker::NotUnderutilized)) if n == "busy")));
    assert!(verdicts.iter().any(|v| matches!(v, Err((n, Blocker::ScaleDownDisabledAnnotation)) if n == "kept")));
    assert_eq!(scale_down::utilization(&n1, &[&a]), 0.2);
    // With no other node, nothing can move.
    let mut alone = Snapshot::new();
    alone.upsert_node(&n1);
    alone.add_pod(&a);
    let verdicts = scale_down::find_unneeded(&candidates[..1], &alone, &[], &options);
    assert_eq!(verdicts, vec![Err(("n1".to_owned(), Blocker::NoPlaceToMovePods))]);
}

#[test]
fn a_node_goes_after_the_unneeded_time_and_the_delay_after_add() {
    let options = Options::default();
    assert!(!scale_down::due(1000.0, 1599.0, true, None, &options));
    assert!(scale_down::due(1000.0, 1600.0, true, None, &options));
    assert!(!scale_down::due(1000.0, 1600.0, true, Some(1500.0), &options));
    assert!(scale_down::due(1000.0, 2100.0, true, Some(1500.0), &options));
    // An unready node waits for --scale-down-unready-time (20m) instead.
    assert!(!scale_down::due(1000.0, 1600.0, false, None, &options));
    assert!(scale_down::due(1000.0, 2200.0, false, None, &options));
    let short = options_of(&["--scale-down-unready-time=30s"]);
    assert!(scale_down::due(1000.0, 1030.0, false, None, &short));
}

fn options_of(list: &[&str]) -> Options {
    let (options, warnings) = parse(&args(list));
    assert!(warnings.is_empty(), "{warnings:?}");
    options
}

#[test]
fn an_unready_node_is_a_candidate_unless_unready_scale_down_is_off() {
    let n1 = node("n1", "2", json!({}));
    let n2 = node("n2", "2", json!({}));
    let mut snapshot = Snapshot::new();
    for node in [&n1, &n2] {
        snapshot.upsert_node(node);
    }
    let candidates = [Candidate { node: &n1, pods: vec![], ready: false }];
    let verdicts = scale_down::find_unneeded(&candidates, &snapshot, &[], &Options::default());
    assert!(matches!(&verdicts[..], [Ok(unneeded)] if unneeded.node == "n1" && !unneeded.ready), "{verdicts:?}");
    let off = options_of(&["--scale-down-unready-enabled=false"]);
    let verdicts = scale_down::find_unneeded(&candidates, &snapshot, &[], &off);
    assert_eq!(verdicts, vec![Err(("n1".to_owned(), Blocker::ScaleDownUnreadyDisabled))]);
}

// Status.

#[test]
fn the_status_is_upstreams_yaml() {
    let now: jiff::Timestamp = "2026-05-01T10:00:00.5Z".parse().expect("a time");
    assert_eq!(status::go_time(now), "2026-05-01 10:00:00.5 +0000 UTC");
    let group = GroupStatus {
        name: "eks-workers-1234".into(),
        counts: NodeCounts { registered: 2, ready: 2, unregistered: 1, ..NodeCounts::default() },
        target: 3,
        min: 0,
        max: 10,
        scale_up: "InProgress",
        candidates: 0,
    };
    let cluster = NodeCounts { registered: 2, ready: 2, unregistered: 1, ..NodeCounts::default() };
    let mut transitions = Transitions::default();
    let text = status::render(std::slice::from_ref(&group), &cluster, &mut transitions, now);
    for line in [
        "time: 2026-05-01 10:00:00.5 +0000 UTC",
        "autoscalerStatus: Running",
        "clusterWide:\n  health:\n    status: Healthy\n    nodeCounts:\n      registered:\n        total: 2\n        ready: 2\n        notStarted: 0\n      longUnregistered: 0\n      unregistered: 1\n",
        "  scaleUp:\n    status: InProgress\n",
        "  scaleDown:\n    status: NoCandidates\n",
        "nodeGroups:\n- name: eks-workers-1234\n  health:\n    status: Healthy\n",
        "    cloudProviderTarget: 3\n    minSize: 0\n    maxSize: 10\n",
        "lastTransitionTime: \"2026-05-01T10:00:00Z\"",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
    // A later probe keeps the transition time while the status holds, and moves it when it changes.
    let later = now + jiff::SignedDuration::from_secs(30);
    let done = GroupStatus { scale_up: "NoActivity", candidates: 1, ..group };
    let text = status::render(&[done], &cluster, &mut transitions, later);
    assert!(text.contains("    status: CandidatesPresent\n    candidates: 1\n"), "{text}");
    assert!(
        text.contains("lastProbeTime: \"2026-05-01T10:00:30Z\"\n    lastTransitionTime: \"2026-05-01T10:00:00Z\""),
        "{text}"
    );
    assert!(text.contains("  scaleUp:\n    status: NoActivity\n    lastProbeTime: \"2026-05-01T10:00:30Z\"\n    lastTransitionTime: \"2026-05-01T10:00:30Z\""), "{text}");
    let unhealthy = NodeCounts { registered: 5, ready: 1, unready: 4, ..NodeCounts::default() };
    let text = status::render(&[], &unhealthy, &mut Transitions::default(), now);
    assert!(text.contains("status: Unhealthy"), "{text}");
    assert!(!text.contains("nodeGroups"));
}

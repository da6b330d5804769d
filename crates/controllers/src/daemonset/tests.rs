use k8s_openapi::api::core::v1::{Node, PodSpec};
use serde_json::json;

use super::*;

fn node(labels: serde_json::Value, taints: serde_json::Value) -> Node {
    serde_json::from_value(json!({"metadata": {"name": "node-a", "labels": labels}, "spec": {"taints": taints}}))
        .expect("a node")
}

fn check_eligible(node: Node, spec: serde_json::Value, expect: bool) {
    let mut spec = spec;
    spec["containers"] = json!([{"name": "c", "image": "i"}]);
    let spec: PodSpec = serde_json::from_value(spec.clone()).expect("a pod spec");
    assert_eq!(should_run(&node, &spec), expect, "{spec:?}");
}

#[test]
fn node_eligibility() {
    let zone_a = || node(json!({"zone": "a", "size": "4"}), json!([]));
    check_eligible(zone_a(), json!({}), true);
    check_eligible(zone_a(), json!({"nodeSelector": {"zone": "a"}}), true);
    check_eligible(zone_a(), json!({"nodeSelector": {"zone": "b"}}), false);
    let affinity = |term: serde_json::Value| json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}});
    check_eligible(
        zone_a(),
        affinity(json!({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]})),
        true,
    );
    check_eligible(
        zone_a(),
        affinity(json!({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]})),
        false,
    );
    check_eligible(
        zone_a(),
        affinity(json!({"matchExpressions": [{"key": "size", "operator": "Gt", "values": ["3"]}]})),
        true,
    );
    check_eligible(
        zone_a(),
        affinity(json!({"matchExpressions": [{"key": "size", "operator": "Lt", "values": ["x"]}]})),
        false,
    );
    check_eligible(zone_a(), affinity(json!({"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]})), true);
    check_eligible(
        zone_a(),
        affinity(json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-a"]}]})),
        true,
    );
    check_eligible(
        zone_a(),
        affinity(json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-b"]}]})),
        false,
    );
    check_eligible(zone_a(), affinity(json!({})), false);
    check_eligible(zone_a(), affinity(json!({"matchExpressions": [{"key": "zone", "operator": "Bogus"}]})), false);

    let tainted = |key: &str, effect: &str| node(json!({}), json!([{"key": key, "value": "v", "effect": effect}]));
    check_eligible(tainted("dedicated", "NoSchedule"), json!({}), false);
    check_eligible(tainted("dedicated", "PreferNoSchedule"), json!({}), true);
    check_eligible(tainted("dedicated", "NoExecute"), json!({}), false);
    check_eligible(
        tainted("dedicated", "NoSchedule"),
        json!({"tolerations": [{"key": "dedicated", "operator": "Exists"}]}),
        true,
    );
    check_eligible(
        tainted("dedicated", "NoSchedule"),
        json!({"tolerations": [{"key": "dedicated", "value": "v"}]}),
        true,
    );
    check_eligible(
        tainted("dedicated", "NoSchedule"),
        json!({"tolerations": [{"key": "dedicated", "value": "w"}]}),
        false,
    );
    check_eligible(tainted("dedicated", "NoSchedule"), json!({"tolerations": [{"operator": "Exists"}]}), true);
    check_eligible(
        tainted("dedicated", "NoSchedule"),
        json!({"tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}]}),
        false,
    );
    check_eligible(tainted("node.kubernetes.io/unschedulable", "NoSchedule"), json!({}), true);
    check_eligible(tainted("node.kubernetes.io/not-ready", "NoExecute"), json!({}), true);
    check_eligible(tainted("node.kubernetes.io/unreachable", "NoExecute"), json!({}), true);
    check_eligible(tainted("node.kubernetes.io/disk-pressure", "NoSchedule"), json!({}), true);
    check_eligible(tainted("node.kubernetes.io/memory-pressure", "NoSchedule"), json!({}), true);
    check_eligible(tainted("node.kubernetes.io/pid-pressure", "NoSchedule"), json!({}), true);
    check_eligible(tainted("node.kubernetes.io/network-unavailable", "NoSchedule"), json!({}), false);
    check_eligible(tainted("node.kubernetes.io/network-unavailable", "NoSchedule"), json!({"hostNetwork": true}), true);
}

fn rollout(new: Option<bool>, old: Option<bool>) -> NodeRollout {
    NodeRollout { new, old }
}

fn check_rolling(nodes: &[NodeRollout], max_unavailable: i32, max_surge: i32, expect: (&[usize], &[usize])) {
    let (delete, surge) = rolling_update(nodes, max_unavailable, max_surge);
    assert_eq!((delete.as_slice(), surge.as_slice()), expect, "{nodes:?}");
}

#[test]
fn rolling_updates() {
    let all_old = [rollout(None, Some(true)), rollout(None, Some(true)), rollout(None, Some(true))];
    check_rolling(&all_old, 1, 0, (&[0], &[]));
    check_rolling(&all_old, 2, 0, (&[0, 1], &[]));
    let one_pending = [rollout(Some(false), None), rollout(None, Some(true)), rollout(None, Some(true))];
    check_rolling(&one_pending, 1, 0, (&[], &[]));
    let unavailable_old = [rollout(None, Some(false)), rollout(None, Some(true))];
    check_rolling(&unavailable_old, 1, 0, (&[0], &[]));
    check_rolling(&all_old, 0, 1, (&[], &[0]));
    let surged = [rollout(Some(true), Some(true)), rollout(Some(false), Some(true)), rollout(None, Some(true))];
    check_rolling(&surged, 0, 1, (&[0], &[]));
    check_rolling(&surged, 0, 2, (&[0], &[2]));
    check_rolling(&[], 1, 0, (&[], &[]));
}

#[test]
fn daemon_pods_name_their_node() {
    let ds: DaemonSet = serde_json::from_value(json!({
        "metadata": {"name": "agent", "namespace": "kube-system", "uid": "u", "generation": 2},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}},
    }))
    .expect("a daemonset");
    let pod = pod_for(&ds, "node-b", "abc");
    assert_eq!(target_node(&pod).as_deref(), Some("node-b"));
    assert_eq!(pod.labels()["controller-revision-hash"], "abc");
    assert_eq!(pod.labels()["pod-template-generation"], "2");
    assert_eq!(pod.spec.expect("spec").tolerations.expect("tolerations").len(), 6);
}

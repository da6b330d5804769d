use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod, Taint, Toleration};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::json;

use super::*;

fn node(value: serde_json::Value) -> Node {
    serde_json::from_value(value).expect("a node")
}

fn ready(status: &str) -> Node {
    node(json!({ "metadata": { "name": "n" }, "status": { "conditions": [{ "type": "Ready", "status": status }] } }))
}

fn at(text: &str) -> Time {
    Time(text.parse().expect("a timestamp"))
}

fn taint(key: &str, effect: &str, added: Option<&str>) -> Taint {
    Taint { key: key.into(), effect: effect.into(), value: None, time_added: added.map(at) }
}

fn toleration(value: serde_json::Value) -> Toleration {
    serde_json::from_value(value).expect("a toleration")
}

fn pod(tolerations: serde_json::Value) -> Pod {
    serde_json::from_value(
        json!({ "metadata": { "name": "p" }, "spec": { "containers": [], "tolerations": tolerations } }),
    )
    .expect("a pod")
}

#[test]
fn health_follows_the_lease_then_the_ready_condition() {
    let grace = Duration::from_secs(40);
    let check = |node: &Node, silent: u64, expect: Health| {
        assert_eq!(health(node, Duration::from_secs(silent), grace), expect, "silent {silent}s");
    };
    check(&ready("True"), 0, Health::Ready);
    check(&ready("True"), 39, Health::Ready);
    check(&ready("True"), 40, Health::Unknown);
    check(&ready("False"), 5, Health::NotReady);
    check(&ready("Unknown"), 5, Health::Unknown);
    check(&ready("garbage"), 5, Health::NotReady);
    check(&node(json!({ "metadata": { "name": "n" } })), 5, Health::NotReady);
}

#[test]
fn taints_follow_health_and_keep_others_and_their_times() {
    let now = at("2026-01-01T00:00:00Z");
    let mut tainted = ready("False");
    tainted.spec = Some(
        serde_json::from_value(json!({ "taints": [
        { "key": "dedicated", "value": "gpu", "effect": "NoSchedule" },
        { "key": NOT_READY, "effect": "NoExecute", "timeAdded": "2025-12-31T23:59:00Z" },
        { "key": NOT_READY, "effect": "NoSchedule" },
    ] }))
        .expect("a spec"),
    );
    // Already right: nothing to write.
    assert_eq!(desired_taints(&tainted, Health::NotReady, &now), None);
    // Unreachable replaces not-ready, with the new time; the other taint stays.
    let taints = desired_taints(&tainted, Health::Unknown, &now).expect("a change");
    let keys: Vec<(&str, &str)> = taints.iter().map(|t| (t.key.as_str(), t.effect.as_str())).collect();
    assert_eq!(keys, [("dedicated", "NoSchedule"), (UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")]);
    assert_eq!(taints[2].time_added, Some(now.clone()));
    assert_eq!(taints[1].time_added, None, "only NoExecute taints carry timeAdded");
    // Ready again: only the other taint.
    let taints = desired_taints(&tainted, Health::Ready, &now).expect("a change");
    assert_eq!(taints.len(), 1);
    assert_eq!(desired_taints(&ready("True"), Health::Ready, &now), None);
}

#[test]
fn tolerations_match_as_upstream_matches_them() {
    let unreachable = taint(UNREACHABLE, "NoExecute", None);
    let check =
        |t: serde_json::Value, expect: bool| assert_eq!(tolerates(&toleration(t.clone()), &unreachable), expect, "{t}");
    check(json!({ "operator": "Exists" }), true);
    check(json!({ "key": UNREACHABLE, "operator": "Exists" }), true);
    check(json!({ "key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute" }), true);
    check(json!({ "key": UNREACHABLE, "operator": "Exists", "effect": "NoSchedule" }), false);
    check(json!({ "key": UNREACHABLE }), true);
    check(json!({ "key": UNREACHABLE, "value": "x" }), false);
    check(json!({ "key": NOT_READY, "operator": "Exists" }), false);
    check(json!({ "key": UNREACHABLE, "operator": "Garbage" }), false);
    check(json!({ "operator": "Equal" }), false);
}

#[test]
fn eviction_waits_for_the_shortest_toleration() {
    let taints = [taint(UNREACHABLE, "NoExecute", Some("2026-01-01T00:00:00Z")), taint("x", "NoSchedule", None)];
    let check = |tolerations: serde_json::Value, expect: Eviction| {
        assert_eq!(eviction(&pod(tolerations.clone()), &taints), expect, "{tolerations}")
    };
    let deadline = |text: &str| {
        Eviction::At(time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).expect("a time"))
    };
    check(json!([]), Eviction::Now);
    check(json!([{ "key": NOT_READY, "operator": "Exists", "tolerationSeconds": 300 }]), Eviction::Now);
    check(
        json!([{ "key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300 }]),
        deadline("2026-01-01T00:05:00Z"),
    );
    check(
        json!([{ "key": UNREACHABLE, "operator": "Exists", "tolerationSeconds": 300 }, { "operator": "Exists", "tolerationSeconds": 5 }]),
        deadline("2026-01-01T00:00:05Z"),
    );
    check(json!([{ "operator": "Exists" }]), Eviction::Never);
    // NoSchedule taints never evict.
    assert_eq!(eviction(&pod(json!([])), &[taint("x", "NoSchedule", None)]), Eviction::Never);
}

#[test]
fn a_silent_node_reports_unknown_conditions() {
    let now = at("2026-01-01T00:00:00Z");
    let conditions = unknown_conditions(&ready("True"), &now);
    assert_eq!(conditions.len(), 1);
    assert_eq!(conditions[0].status, "Unknown");
    assert_eq!(conditions[0].reason.as_deref(), Some("NodeStatusUnknown"));
    assert_eq!(conditions[0].message.as_deref(), Some("Kubelet stopped posting node status."));
    let never = unknown_conditions(&node(json!({ "metadata": { "name": "n" } })), &now);
    assert_eq!(never[0].reason.as_deref(), Some("NodeStatusNeverUpdated"));
}

#[test]
fn the_cached_pod_keeps_what_eviction_and_readiness_read() {
    let mut whole = pod(json!([{ "key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
                                  "operator": "Exists", "tolerationSeconds": 30 }]));
    whole.metadata.uid = Some("u1".into());
    whole.metadata.labels = Some([("app".to_owned(), "web".to_owned())].into());
    whole.spec.as_mut().unwrap().node_name = Some("n".into());
    whole.status = serde_json::from_value(json!({ "phase": "Running", "podIP": "10.0.0.1",
        "conditions": [{ "type": "Ready", "status": "True" }], "containerStatuses": [] }))
    .unwrap();
    let mut lean = whole.clone();
    lean_pod(&mut lean);
    let taints = [taint("node.kubernetes.io/unreachable", "NoExecute", Some("2026-01-01T00:00:00Z"))];
    assert_eq!(eviction(&lean, &taints), eviction(&whole, &taints));
    assert!(matches!(eviction(&lean, &taints), Eviction::At(_)));
    assert_eq!(lean.metadata.name, whole.metadata.name);
    assert_eq!(lean.metadata.uid, whole.metadata.uid);
    assert_eq!(lean.spec.as_ref().unwrap().node_name.as_deref(), Some("n"));
    assert_eq!(lean.status.as_ref().unwrap().conditions, whole.status.as_ref().unwrap().conditions);
    assert!(lean.spec.as_ref().unwrap().containers.is_empty() && lean.metadata.labels.is_none());
}

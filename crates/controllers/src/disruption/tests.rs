use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use serde_json::json;

use super::*;

fn budget(spec: serde_json::Value) -> PodDisruptionBudget {
    serde_json::from_value(json!({ "metadata": { "name": "b", "namespace": "default" }, "spec": spec }))
        .expect("a budget")
}

fn check(spec: serde_json::Value, pods: usize, healthy: usize, scale: Option<i32>, expect: Option<(i32, i32, i32)>) {
    let observed = Observed { pods, healthy, scale };
    assert_eq!(budget_status(&budget(spec.clone()), &observed), expect, "{spec} pods {pods} healthy {healthy}");
}

#[test]
fn budgets_count_as_upstream_counts_them() {
    // minAvailable as a number counts the selected pods, no scale needed.
    check(json!({ "minAvailable": 2 }), 3, 3, None, Some((3, 2, 1)));
    check(json!({ "minAvailable": 2 }), 3, 2, None, Some((3, 2, 0)));
    check(json!({ "minAvailable": 5 }), 3, 3, None, Some((3, 5, 0)));
    // Percentages round up, and need the controllers' scale.
    check(json!({ "minAvailable": "50%" }), 3, 3, Some(3), Some((3, 2, 1)));
    check(json!({ "minAvailable": "50%" }), 3, 3, None, None);
    check(json!({ "maxUnavailable": 1 }), 3, 3, Some(3), Some((3, 2, 1)));
    check(json!({ "maxUnavailable": "34%" }), 3, 3, Some(3), Some((3, 1, 2)));
    check(json!({ "maxUnavailable": 0 }), 3, 3, Some(3), Some((3, 3, 0)));
    check(json!({ "maxUnavailable": 9 }), 3, 3, Some(3), Some((3, 0, 3)));
    // Garbage percentages and budgets without either field are unknown.
    check(json!({ "maxUnavailable": "lots" }), 3, 3, Some(3), None);
    check(json!({}), 3, 3, Some(3), None);
}

#[test]
fn selectors_select_as_policy_v1_says() {
    let labels: BTreeMap<String, String> = [("app".to_owned(), "web".to_owned())].into();
    let selector = |value: serde_json::Value| serde_json::from_value::<LabelSelector>(value).expect("a selector");
    let check = |value: serde_json::Value, expect: bool| {
        assert_eq!(selects(Some(&selector(value.clone())), Some(&labels)), expect, "{value}");
    };
    check(json!({ "matchLabels": { "app": "web" } }), true);
    check(json!({ "matchLabels": { "app": "db" } }), false);
    check(json!({}), true);
    check(json!({ "matchExpressions": [{ "key": "app", "operator": "In", "values": ["web", "api"] }] }), true);
    check(json!({ "matchExpressions": [{ "key": "app", "operator": "NotIn", "values": ["web"] }] }), false);
    check(json!({ "matchExpressions": [{ "key": "tier", "operator": "DoesNotExist" }] }), true);
    check(json!({ "matchExpressions": [{ "key": "app", "operator": "Garbage" }] }), false);
    assert!(!selects(None, Some(&labels)), "no selector selects nothing");
}

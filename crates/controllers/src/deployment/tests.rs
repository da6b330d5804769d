use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::json;

use k8s_openapi::api::apps::v1::ReplicaSet;

use super::{
    ScaleInput, available_within_size, equal_ignoring_hash, proportional_sizes, resolve_fenceposts, template_hash,
};

fn int_or_percent(text: &str) -> IntOrString {
    match text.parse() {
        Ok(n) => IntOrString::Int(n),
        Err(_) => IntOrString::String(text.to_owned()),
    }
}

fn check_fenceposts(surge: &str, unavailable: &str, replicas: i32, expect: (i32, i32)) {
    let (surge, unavailable) = (int_or_percent(surge), int_or_percent(unavailable));
    assert_eq!(resolve_fenceposts(Some(&surge), Some(&unavailable), replicas), expect, "{surge:?} {unavailable:?}");
}

#[test]
fn surge_rounds_up_and_unavailable_rounds_down() {
    check_fenceposts("25%", "25%", 10, (3, 2));
    check_fenceposts("25%", "25%", 1, (1, 0));
    check_fenceposts("0", "0", 4, (0, 1));
    check_fenceposts("0%", "10%", 5, (0, 1));
    check_fenceposts("2", "1", 3, (2, 1));
    check_fenceposts("50%", "50%", 3, (2, 1));
}

#[test]
fn the_template_hash_is_a_safe_name_and_ignores_its_own_label() {
    let template: PodTemplateSpec = serde_json::from_value(json!({
        "metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "main", "image": "nginx"}]}}))
    .expect("a template");
    let hash = template_hash(&template, 0);
    assert!((6..=10).contains(&hash.len()), "{hash}");
    assert!(hash.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)), "{hash}");
    assert_eq!(hash, template_hash(&template, 0), "stable");
    assert_ne!(hash, template_hash(&template, 1), "the collision count changes it");
    let mut labelled = template.clone();
    labelled
        .metadata
        .as_mut()
        .and_then(|m| m.labels.as_mut())
        .expect("labels")
        .insert("pod-template-hash".into(), hash);
    assert!(equal_ignoring_hash(&template, &labelled));
    let mut changed = template.clone();
    changed.spec.as_mut().expect("spec").containers[0].image = Some("nginx:2".into());
    assert!(!equal_ignoring_hash(&template, &changed));
}

fn set(replicas: i32, max_replicas: Option<i32>, created: i64) -> ScaleInput {
    ScaleInput { replicas, max_replicas, created: Some(jiff::Timestamp::from_second(created).expect("a time")) }
}

#[test]
fn scaling_mid_rollout_is_proportional() {
    // 10 replicas with surge 3 rolling (8 old, 5 new); scaled to 20 with surge 5 the sets grow by about 25/13.
    let sizes = proportional_sizes(20, 5, 13, &[set(8, Some(13), 1), set(5, Some(13), 2)]);
    assert_eq!(sizes.iter().sum::<i32>(), 25);
    assert_eq!(sizes, [15, 10]);
    // Scaling down takes from both, the leftovers from the biggest.
    let sizes = proportional_sizes(5, 2, 13, &[set(8, Some(13), 1), set(5, Some(13), 2)]);
    assert_eq!(sizes.iter().sum::<i32>(), 7);
    assert_eq!(sizes, [4, 3]);
    // To zero, everything goes.
    assert_eq!(proportional_sizes(0, 0, 13, &[set(8, Some(13), 1), set(5, Some(13), 2)]), [0, 0]);
}

#[test]
fn a_replica_set_scaled_down_counts_no_more_available_pods_than_its_size() {
    let with = |replicas: i32, available: i32| -> ReplicaSet {
        serde_json::from_value(serde_json::json!({
            "metadata": { "name": "web" },
            "spec": { "replicas": replicas, "selector": {} },
            "status": { "replicas": available, "availableReplicas": available },
        }))
        .expect("a ReplicaSet")
    };
    // The old set was scaled from 6 to 5 but its status still says 6: 5 + 2, not 8.
    assert_eq!(available_within_size(&[with(5, 6), with(2, 2)]), 7);
    assert_eq!(available_within_size(&[with(5, 3), with(2, 0)]), 3);
    assert_eq!(available_within_size(&[]), 0);
}

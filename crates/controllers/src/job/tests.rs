use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::batch::v1::{JobSpec, PodFailurePolicy, SuccessPolicy};
use k8s_openapi::api::core::v1::Pod;

use super::*;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn check_backoff(failures: u32, expect: Duration) {
    assert_eq!(Backoff::default().delay(failures), expect, "{failures} failures");
}

#[test]
fn backoff_doubles_up_to_the_maximum() {
    check_backoff(0, secs(0));
    check_backoff(1, secs(10));
    check_backoff(2, secs(20));
    check_backoff(3, secs(40));
    check_backoff(6, secs(320));
    check_backoff(7, secs(600));
    check_backoff(40, secs(600));
    check_backoff(u32::MAX, secs(600));
}

fn check_indexes(text: &str, expect: &str) {
    assert_eq!(format_indexes(&parse_indexes(text)), expect, "{text:?}");
}

#[test]
fn completed_indexes_round_trip() {
    check_indexes("", "");
    check_indexes("0", "0");
    check_indexes("0,1,2,4", "0-2,4");
    check_indexes("3-5,1", "1,3-5");
    check_indexes("1,2", "1-2");
    check_indexes("garbage,2,-3,5-4,x-y,7", "2,7");
}

fn spec(yaml: serde_json::Value) -> JobSpec {
    let mut value = yaml;
    value["template"] = serde_json::json!({});
    serde_json::from_value(value).expect("a job spec")
}

fn counts(active: i32, succeeded: i32, failed: i32, indexes: &str) -> Counts {
    Counts { active, succeeded, failed, completed_indexes: parse_indexes(indexes) }
}

/// The (success, failure) verdict reasons for a spec and counts; the job started 100 s before now.
fn check_verdict(spec_json: serde_json::Value, counts: Counts, expect: (Option<&str>, Option<&str>)) {
    let spec = spec(spec_json);
    let now: jiff::Timestamp = "2026-01-01T00:01:40Z".parse().expect("now");
    let start: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().expect("start");
    let got_success = success(&spec, &counts).map(|v| v.reason);
    let got_failure = failure(&spec, &counts, Some(start), now).map(|v| v.reason);
    assert_eq!((got_success.as_deref(), got_failure.as_deref()), expect, "{spec:?} {counts:?}");
}

#[test]
fn job_status_accounting() {
    use serde_json::json;
    check_verdict(json!({"completions": 3}), counts(1, 2, 0, ""), (None, None));
    check_verdict(json!({"completions": 3}), counts(0, 3, 0, ""), (Some("CompletionsReached"), None));
    check_verdict(json!({}), counts(1, 1, 0, ""), (None, None));
    check_verdict(json!({}), counts(0, 1, 0, ""), (Some("CompletionsReached"), None));
    check_verdict(json!({"backoffLimit": 2}), counts(0, 0, 2, ""), (None, None));
    check_verdict(json!({"backoffLimit": 2}), counts(0, 0, 3, ""), (None, Some("BackoffLimitExceeded")));
    check_verdict(json!({}), counts(0, 0, 7, ""), (None, Some("BackoffLimitExceeded")));
    check_verdict(json!({"activeDeadlineSeconds": 100}), counts(1, 0, 0, ""), (None, Some("DeadlineExceeded")));
    check_verdict(json!({"activeDeadlineSeconds": 101}), counts(1, 0, 0, ""), (None, None));
    let indexed = json!({"completions": 3, "completionMode": "Indexed"});
    check_verdict(indexed.clone(), counts(0, 3, 0, "0,2"), (None, None));
    check_verdict(indexed, counts(0, 3, 0, "0-2"), (Some("CompletionsReached"), None));
    let policy = json!({"completions": 5, "completionMode": "Indexed",
        "successPolicy": {"rules": [{"succeededIndexes": "0", "succeededCount": 1}, {"succeededCount": 2}]}});
    check_verdict(policy.clone(), counts(0, 1, 0, "3"), (None, None));
    check_verdict(policy.clone(), counts(0, 1, 0, "0"), (Some("SuccessPolicy"), None));
    check_verdict(policy, counts(0, 2, 0, "3-4"), (Some("SuccessPolicy"), None));
}

fn check_wanted(spec_json: serde_json::Value, counts: Counts, expect: i32) {
    assert_eq!(wanted_active(&spec(spec_json), &counts), expect);
}

#[test]
fn active_pods_wanted() {
    use serde_json::json;
    check_wanted(json!({"completions": 3, "parallelism": 2}), counts(0, 0, 0, ""), 2);
    check_wanted(json!({"completions": 3, "parallelism": 2}), counts(2, 2, 0, ""), 1);
    check_wanted(json!({"completions": 3, "parallelism": 2}), counts(0, 3, 0, ""), 0);
    check_wanted(json!({"parallelism": 4}), counts(0, 0, 0, ""), 4);
    check_wanted(json!({"parallelism": 4}), counts(3, 1, 0, ""), 3);
    check_wanted(json!({"parallelism": -1}), counts(0, 0, 0, ""), 0);
    check_wanted(json!({"completions": 4, "parallelism": 3, "completionMode": "Indexed"}), counts(0, 2, 0, "0,3"), 2);
    assert_eq!(pending_indexes(5, &parse_indexes("0,2"), &BTreeSet::from([1]), 2), [3, 4]);
    assert_eq!(pending_indexes(3, &parse_indexes("0-2"), &BTreeSet::new(), 2), Vec::<i32>::new());
    assert_eq!(pending_indexes(-3, &BTreeSet::new(), &BTreeSet::new(), 2), Vec::<i32>::new());
}

fn failed_pod(exit_code: i32, conditions: &[&str]) -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "p", "namespace": "ns"},
        "status": {
            "phase": "Failed",
            "conditions": conditions.iter().map(|c| serde_json::json!({"type": c, "status": "True"})).collect::<Vec<_>>(),
            "containerStatuses": [{"name": "main", "image": "i", "imageID": "", "ready": false, "restartCount": 0,
                "state": {"terminated": {"exitCode": exit_code}}}],
        },
    }))
    .expect("a pod")
}

fn check_policy(rules: serde_json::Value, pod: Pod, expect: PolicyAction) {
    let policy: PodFailurePolicy = serde_json::from_value(serde_json::json!({"rules": rules})).expect("a policy");
    assert_eq!(match_failure_policy(&policy, &pod), expect, "{rules}");
}

#[test]
fn pod_failure_policy_rules() {
    use serde_json::json;
    let fail_42 = json!([{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}}]);
    check_policy(
        fail_42.clone(),
        failed_pod(42, &[]),
        PolicyAction::FailJob(
            "Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 0".into(),
        ),
    );
    check_policy(fail_42, failed_pod(1, &[]), PolicyAction::Count);
    let not_in = json!([{"action": "Ignore", "onExitCodes": {"operator": "NotIn", "values": [1, 2]}}]);
    check_policy(not_in.clone(), failed_pod(3, &[]), PolicyAction::Ignore);
    check_policy(not_in, failed_pod(2, &[]), PolicyAction::Count);
    let other_container =
        json!([{"action": "FailJob", "onExitCodes": {"containerName": "side", "operator": "In", "values": [1]}}]);
    check_policy(other_container, failed_pod(1, &[]), PolicyAction::Count);
    let disruption = json!([
        {"action": "Count", "onExitCodes": {"operator": "In", "values": [7]}},
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
        {"action": "FailJob", "onPodConditions": [{"type": "ConfigIssue", "status": "True"}]},
    ]);
    check_policy(disruption.clone(), failed_pod(1, &["DisruptionTarget"]), PolicyAction::Ignore);
    check_policy(
        disruption.clone(),
        failed_pod(1, &["ConfigIssue"]),
        PolicyAction::FailJob("Pod ns/p has condition ConfigIssue matching FailJob rule at index 2".into()),
    );
    check_policy(disruption, failed_pod(7, &["DisruptionTarget"]), PolicyAction::Count);
    check_policy(
        json!([{"action": "Bogus", "onExitCodes": {"operator": "In", "values": [1]}}]),
        failed_pod(1, &[]),
        PolicyAction::Count,
    );
    check_policy(
        json!([{"action": "FailJob", "onExitCodes": {"operator": "Between", "values": [1]}}]),
        failed_pod(1, &[]),
        PolicyAction::Count,
    );
    // Exit code 0 never matches, not even NotIn.
    check_policy(
        json!([{"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [1]}}]),
        failed_pod(0, &[]),
        PolicyAction::Count,
    );
}

#[test]
fn success_policy_needs_its_indexes() {
    let policy: SuccessPolicy =
        serde_json::from_value(serde_json::json!({"rules": [{"succeededIndexes": "1-3"}]})).expect("a policy");
    assert_eq!(success_policy_met(&policy, &parse_indexes("1,2")), None);
    assert_eq!(success_policy_met(&policy, &parse_indexes("0-3")), Some(0));
}

#[test]
fn pods_carry_the_job_labels_finalizer_and_index() {
    let job: k8s_openapi::api::batch::v1::Job = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "pi", "namespace": "ns", "uid": "u-1"},
        "spec": {"template": {"metadata": {"labels": {"app": "pi"}},
            "spec": {"containers": [{"name": "main", "image": "busybox"}], "restartPolicy": "Never"}}},
    }))
    .expect("a job");
    let pod = pod_for(&job, Some(2));
    assert_eq!(pod.metadata.generate_name.as_deref(), Some("pi-2-"));
    let labels = pod.metadata.labels.expect("labels");
    assert_eq!(labels["batch.kubernetes.io/job-name"], "pi");
    assert_eq!(labels["job-name"], "pi");
    assert_eq!(labels["controller-uid"], "u-1");
    assert_eq!(labels["app"], "pi");
    assert_eq!(pod.metadata.annotations.expect("annotations")[COMPLETION_INDEX], "2");
    assert_eq!(pod.metadata.finalizers.expect("finalizers"), [TRACKING_FINALIZER]);
    assert_eq!(pod.spec.expect("spec").hostname.as_deref(), Some("pi-2"));
    assert_eq!(pod_for(&job, None).metadata.generate_name.as_deref(), Some("pi-"));
}

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use k8s_openapi::api::autoscaling::v2::{HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerStatus, MetricSpec};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde_json::json;

use super::behavior::{Behavior, History, Request, Rules};
use super::compute::*;
use super::metrics::{ContainerUsage, MetricsSource, PodUsage, container_samples, go_duration, pod_samples, pod_usage};
use super::replicas::{Calculator, PodMetric, PodMetrics, Tolerances, group_pods, pod_requests};
use super::*;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + seconds).expect("a time")
}

fn rfc(time: Timestamp) -> String {
    time.to_string()
}

/// A running pod, Ready since long ago, with one container requesting `cpu` and `memory`.
fn pod(name: &str, cpu: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": { "name": name, "namespace": "default", "labels": { "app": "web" } },
        "spec": { "containers": [{ "name": "app", "image": "nginx",
                                   "resources": { "requests": { "cpu": cpu, "memory": "100Mi" } } }] },
        "status": {
            "phase": "Running",
            "startTime": rfc(at(-3600)),
            "conditions": [{ "type": "Ready", "status": "True", "lastTransitionTime": rfc(at(-3590)) }],
        },
    }))
    .expect("a pod")
}

fn with_status(mut pod: Pod, status: serde_json::Value) -> Pod {
    pod.status = Some(serde_json::from_value(status).expect("a pod status"));
    pod
}

fn calculator() -> Calculator {
    Calculator {
        tolerances: Tolerances::both(0.1),
        cpu_initialization_period: Duration::from_secs(300),
        initial_readiness_delay: Duration::from_secs(30),
        now: at(0),
    }
}

fn sample(value: i64) -> PodMetric {
    PodMetric { value, timestamp: at(-5), window: Duration::from_secs(15) }
}

fn samples(values: &[(&str, i64)]) -> PodMetrics {
    values.iter().map(|(name, value)| ((*name).to_owned(), sample(*value))).collect()
}

#[test]
fn a_scale_up_from_nine_hundred_percent() {
    let pods = [pod("a", "100m"), pod("b", "100m")];
    let proposal = calculator()
        .resource_replicas(2, 100, "cpu", None, &pods, samples(&[("a", 900), ("b", 900)]))
        .expect("a proposal");
    assert_eq!(proposal.replicas, 18);
    assert_eq!(proposal.utilization, 900);
    assert_eq!(proposal.raw_average, 900);
    // A 50% target doubles it.
    let proposal = calculator()
        .resource_replicas(2, 50, "cpu", None, &pods, samples(&[("a", 900), ("b", 900)]))
        .expect("a proposal");
    assert_eq!(proposal.replicas, 36);
}

#[test]
fn the_tolerance_keeps_small_changes_and_not_larger_ones() {
    let pods: Vec<Pod> = (0..10).map(|i| pod(&format!("p{i}"), "100m")).collect();
    let all = |value: i64| -> PodMetrics { (0..10).map(|i| (format!("p{i}"), sample(value))).collect() };
    let replicas = |value: i64, tolerances: Tolerances| {
        Calculator { tolerances, ..calculator() }
            .resource_replicas(10, 100, "cpu", None, &pods, all(value))
            .expect("a proposal")
            .replicas
    };
    let default = Tolerances::both(0.1);
    assert_eq!(replicas(110, default), 10, "exactly 10% above stays");
    assert_eq!(replicas(111, default), 12, "11% above grows: ceil(1.11 * 10)");
    assert_eq!(replicas(90, default), 10, "exactly 10% below stays");
    assert_eq!(replicas(89, default), 9, "11% below shrinks: ceil(0.89 * 10)");
    // Per-direction tolerances, as `behavior.scaleUp/scaleDown.tolerance` give them.
    let eager_up = Tolerances { scale_down: 0.1, scale_up: 0.0 };
    assert_eq!(replicas(105, eager_up), 11);
    assert_eq!(replicas(95, eager_up), 10);
}

#[test]
fn missing_pods_count_as_nothing_up_and_as_their_request_down() {
    let pods = [pod("a", "100m"), pod("b", "100m"), pod("c", "100m")];
    // Up: 200% on two pods, the third without a sample counts as 0: 400/300 -> 133% -> ceil(1.33 * 3).
    let up = calculator().resource_replicas(3, 100, "cpu", None, &pods, samples(&[("a", 200), ("b", 200)]));
    assert_eq!(up.expect("a proposal").replicas, 4);
    // Down: 10% on two pods, the third at 100%: 120/300 -> 40% -> ceil(0.4 * 3); without it, 1.
    let down = calculator().resource_replicas(3, 100, "cpu", None, &pods, samples(&[("a", 10), ("b", 10)]));
    assert_eq!(down.expect("a proposal").replicas, 2);
    // The rebalanced ratio within the tolerance keeps the count: 100% on two and 0 for the third against 70%.
    let kept = calculator().resource_replicas(3, 70, "cpu", None, &pods, samples(&[("a", 100), ("b", 100)]));
    assert_eq!(kept.expect("a proposal").replicas, 3, "200/300 = 66% of a 70% target is within 10%");
}

#[test]
fn unready_pods_count_as_nothing_up_and_are_left_out_down() {
    let pending = with_status(pod("c", "100m"), json!({ "phase": "Pending" }));
    let pods = [pod("a", "100m"), pod("b", "100m"), pending];
    let up = calculator().resource_replicas(3, 100, "cpu", None, &pods, samples(&[("a", 200), ("b", 200), ("c", 900)]));
    assert_eq!(up.expect("a proposal").replicas, 4, "the pending pod's sample is not taken");
    let down = calculator().resource_replicas(3, 100, "cpu", None, &pods, samples(&[("a", 10), ("b", 10)]));
    assert_eq!(down.expect("a proposal").replicas, 1, "ceil(0.1 * 2): the pending pod is left out");
}

#[test]
fn cpu_samples_of_starting_pods_are_unready_but_memory_ones_count() {
    let calculator = calculator();
    // Started 60 s ago, Ready 10 s ago: a sample whose window began before readiness is skipped for cpu.
    let starting = with_status(
        pod("starting", "100m"),
        json!({ "phase": "Running", "startTime": rfc(at(-60)),
                "conditions": [{ "type": "Ready", "status": "True", "lastTransitionTime": rfc(at(-10)) }] }),
    );
    // Started 10 minutes ago, never Ready (its condition turned False within the readiness delay).
    let never_ready = with_status(
        pod("never", "100m"),
        json!({ "phase": "Running", "startTime": rfc(at(-600)),
                "conditions": [{ "type": "Ready", "status": "False", "lastTransitionTime": rfc(at(-590)) }] }),
    );
    // Started 10 minutes ago, Ready then, now not Ready after a while: its sample counts.
    let was_ready = with_status(
        pod("was", "100m"),
        json!({ "phase": "Running", "startTime": rfc(at(-600)),
                "conditions": [{ "type": "Ready", "status": "False", "lastTransitionTime": rfc(at(-100)) }] }),
    );
    let pods = [pod("a", "100m"), starting, never_ready, was_ready];
    let metrics = samples(&[("a", 100), ("starting", 100), ("never", 100), ("was", 100)]);
    let cpu = group_pods(&pods, &metrics, "cpu", &calculator);
    assert_eq!(cpu.ready, 2);
    assert_eq!(cpu.unready.iter().map(String::as_str).collect::<Vec<_>>(), ["never", "starting"]);
    let memory = group_pods(&pods, &metrics, "memory", &calculator);
    assert_eq!(memory.ready, 4);
    assert!(memory.unready.is_empty());
}

#[test]
fn deleted_and_failed_pods_are_ignored() {
    let mut deleting = pod("deleting", "100m");
    deleting.metadata.deletion_timestamp = Some(Time(at(-1)));
    let failed = with_status(pod("failed", "100m"), json!({ "phase": "Failed" }));
    let pods = [pod("a", "100m"), deleting, failed];
    let metrics = samples(&[("a", 50), ("deleting", 900), ("failed", 900)]);
    let groups = group_pods(&pods, &metrics, "cpu", &calculator());
    assert_eq!(groups.ignored.len(), 2);
    let proposal = calculator().resource_replicas(3, 100, "cpu", None, &pods, metrics).expect("a proposal");
    assert_eq!((proposal.replicas, proposal.utilization), (1, 50));
}

#[test]
fn a_container_without_a_request_is_upstreams_error() {
    let mut pods = vec![pod("a", "100m")];
    let mut no_request = pod("b", "100m");
    no_request.spec.as_mut().expect("spec").containers[0].resources = None;
    pods.push(no_request);
    let error = calculator()
        .resource_replicas(2, 80, "cpu", None, &pods, samples(&[("a", 100), ("b", 100)]))
        .expect_err("no request");
    assert_eq!(error, "missing request for cpu in container app of Pod b");
    // Requests of one container, and of sidecars (restartable init containers) too.
    let mut sidecar = pod("c", "100m");
    let spec = sidecar.spec.as_mut().expect("spec");
    spec.init_containers = Some(vec![
        serde_json::from_value(json!({ "name": "proxy", "restartPolicy": "Always",
                                       "resources": { "requests": { "cpu": "50m" } } }))
        .expect("a container"),
        serde_json::from_value(json!({ "name": "setup" })).expect("a container"),
    ]);
    let requests = pod_requests(&[sidecar.clone()], None, "cpu").expect("requests");
    assert_eq!(requests["c"], 150);
    let requests = pod_requests(&[sidecar], Some("proxy"), "cpu").expect("requests");
    assert_eq!(requests["c"], 50);
}

#[test]
fn no_samples_for_ready_pods_and_no_pods_are_errors() {
    let pods = [pod("a", "100m")];
    let error = calculator().resource_replicas(1, 80, "cpu", None, &pods, PodMetrics::new()).expect_err("no samples");
    assert_eq!(error, "did not receive metrics for targeted pods (pods might be unready)");
    let error = calculator().resource_replicas(1, 80, "cpu", None, &[], samples(&[("a", 1)])).expect_err("no pods");
    assert_eq!(error, "no pods returned by selector while calculating replica count");
    // A resource no pod requests (neither cpu nor memory).
    let error =
        calculator().resource_replicas(1, 80, "gpu", None, &pods, samples(&[("a", 1)])).expect_err("no request");
    assert_eq!(error, "missing request for gpu in container app of Pod a");
}

#[test]
fn an_average_value_target_scales_by_the_average() {
    let pods = [pod("a", "100m"), pod("b", "100m")];
    let mebibyte = 1024 * 1024 * 1000;
    let (replicas, average) = calculator()
        .plain_replicas(2, 100 * mebibyte, "memory", &pods, samples(&[("a", 300 * mebibyte), ("b", 300 * mebibyte)]))
        .expect("a proposal");
    assert_eq!((replicas, average), (6, 300 * mebibyte));
    let (replicas, _) = calculator()
        .plain_replicas(2, 100 * mebibyte, "memory", &pods, samples(&[("a", 105 * mebibyte), ("b", 95 * mebibyte)]))
        .expect("a proposal");
    assert_eq!(replicas, 2, "on target");
}

fn default_behavior() -> Behavior {
    Behavior::from_spec(&HorizontalPodAutoscalerBehavior::default(), 300)
}

fn request(current: i32, desired: i32, behavior: Option<&Behavior>) -> Request<'_> {
    Request { current, desired, min: 1, max: 100, behavior, downscale_window_seconds: 300 }
}

#[test]
fn the_stabilization_window_holds_a_scale_down() {
    for behavior in [None, Some(default_behavior())] {
        let mut history = History::default();
        history.record_initial(5, at(0));
        let held = history.normalize(request(5, 2, behavior.as_ref()), at(15));
        assert_eq!(held.replicas, 5, "{behavior:?}");
        assert_eq!(held.able.0, "ScaleDownStabilized");
        assert!(!held.limited);
        let still = history.normalize(request(5, 2, behavior.as_ref()), at(299));
        assert_eq!(still.replicas, 5, "the first recommendation is still in the window");
        // Past the window only the later recommendations (2) count.
        let released = history.normalize(request(5, 2, behavior.as_ref()), at(320));
        assert_eq!(released.replicas, 2, "{behavior:?}");
        assert_eq!(released.able.0, "ReadyForNewScale");
    }
}

#[test]
fn a_scale_up_stabilization_window_holds_a_scale_up() {
    let mut behavior = default_behavior();
    behavior.scale_up.stabilization_window_seconds = 60;
    let mut history = History::default();
    history.record_initial(3, at(0));
    let held = history.normalize(request(3, 6, Some(&behavior)), at(15));
    assert_eq!((held.replicas, held.able.0), (3, "ScaleUpStabilized"));
    let released = history.normalize(request(3, 6, Some(&behavior)), at(90));
    assert_eq!((released.replicas, released.able.0), (6, "ReadyForNewScale"));
}

fn rules(select: &str, policies: &[(&str, i32, i32)]) -> Rules {
    Rules {
        stabilization_window_seconds: 0,
        select_policy: select.to_owned(),
        policies: policies
            .iter()
            .map(|(kind, value, period)| behavior::Policy {
                kind: (*kind).to_owned(),
                value: *value,
                period_seconds: *period,
            })
            .collect(),
        tolerance: None,
    }
}

#[test]
fn policies_limit_a_scale_up_over_their_period() {
    let behavior = Behavior { scale_up: rules("Max", &[("Pods", 2, 60)]), scale_down: Rules::default_scale_down(0) };
    let mut history = History::default();
    history.record_initial(3, at(0));
    let first = history.normalize(request(3, 10, Some(&behavior)), at(0));
    assert_eq!(first.replicas, 5);
    assert!(first.limited);
    assert_eq!(first.limit.reason, "ScaleUpLimit");
    assert_eq!(first.limit.message, "the desired replica count is increasing faster than the maximum scale rate");
    history.record_scale(Some(&behavior), 3, 5, at(0));
    // Within the period the 2 pods are spent.
    let spent = history.normalize(request(5, 10, Some(&behavior)), at(30));
    assert_eq!((spent.replicas, spent.limit.reason), (5, "ScaleUpLimit"));
    // After it, 2 more.
    let next = history.normalize(request(5, 10, Some(&behavior)), at(61));
    assert_eq!(next.replicas, 7);
}

#[test]
fn select_policy_picks_the_largest_or_smallest_change_or_none() {
    let history = History::default();
    let policies = [("Pods", 4, 15), ("Percent", 100, 15)];
    assert_eq!(history.scale_up_limit(10, &rules("Max", &policies), at(0)), 20);
    assert_eq!(history.scale_up_limit(10, &rules("Min", &policies), at(0)), 14);
    assert_eq!(history.scale_up_limit(10, &rules("Disabled", &policies), at(0)), 10);
    // The defaults: max(100%, 4 pods) up, 100% down.
    assert_eq!(history.scale_up_limit(1, &Rules::default_scale_up(), at(0)), 5);
    assert_eq!(history.scale_down_limit(10, &Rules::default_scale_down(300), at(0)), 0);
    let down = [("Pods", 1, 60), ("Percent", 50, 60)];
    assert_eq!(history.scale_down_limit(10, &rules("Max", &down), at(0)), 5);
    assert_eq!(history.scale_down_limit(10, &rules("Min", &down), at(0)), 9);

    let behavior = Behavior { scale_up: Rules::default_scale_up(), scale_down: rules("Max", &[("Percent", 50, 60)]) };
    let mut history = History::default();
    let limited = history.normalize(request(10, 1, Some(&behavior)), at(0));
    assert_eq!((limited.replicas, limited.limit.reason), (5, "ScaleDownLimit"));
    let disabled = Behavior { scale_up: rules("Disabled", &[]), scale_down: Rules::default_scale_down(0) };
    let mut history = History::default();
    let none = history.normalize(request(3, 9, Some(&disabled)), at(0));
    assert_eq!(none.replicas, 3);
}

#[test]
fn min_and_max_bound_the_count() {
    let mut history = History::default();
    let bounded = |current, desired, min, max| Request {
        current,
        desired,
        min,
        max,
        behavior: None,
        downscale_window_seconds: 0,
    };
    let too_many = history.normalize(bounded(3, 20, 1, 5), at(0));
    assert_eq!((too_many.replicas, too_many.limit.reason), (5, "TooManyReplicas"));
    // Without behavior, at most twice the current count (at least 4) in one step.
    let fast = history.normalize(bounded(1, 10, 1, 100), at(1));
    assert_eq!((fast.replicas, fast.limit.reason), (4, "ScaleUpLimit"));
    let too_few = history.normalize(bounded(3, 0, 2, 10), at(2));
    assert_eq!((too_few.replicas, too_few.limit.reason), (2, "TooFewReplicas"));
    assert_eq!(too_few.limit.message, "the desired replica count is less than the minimum replica count");
    let within = history.normalize(bounded(3, 4, 2, 10), at(3));
    assert_eq!((within.replicas, within.limited, within.limit.reason), (4, false, "DesiredWithinRange"));
    // With behavior too.
    let behavior = default_behavior();
    let mut history = History::default();
    let capped = history.normalize(Request { behavior: Some(&behavior), ..bounded(3, 20, 1, 5) }, at(0));
    assert_eq!((capped.replicas, capped.limit.reason), (5, "TooManyReplicas"));
}

#[test]
fn behavior_defaults_fill_what_is_left_out() {
    let given: HorizontalPodAutoscalerBehavior = serde_json::from_value(json!({
        "scaleDown": { "policies": [{ "type": "Pods", "value": 1, "periodSeconds": 60 }], "tolerance": "0.05" },
    }))
    .expect("a behavior");
    let behavior = Behavior::from_spec(&given, 120);
    assert_eq!(behavior.scale_up, Rules::default_scale_up());
    assert_eq!(behavior.scale_down.stabilization_window_seconds, 120);
    assert_eq!(behavior.scale_down.select_policy, "Max");
    assert_eq!(behavior.scale_down.policies.len(), 1);
    assert_eq!(behavior.scale_down.tolerance, Some(0.05));
}

#[test]
fn conditions_keep_their_time_while_their_status_holds() {
    let mut status = HorizontalPodAutoscalerStatus::default();
    set_condition(&mut status, "AbleToScale", true, "SucceededGetScale", "one", at(0));
    set_condition(&mut status, "AbleToScale", true, "ReadyForNewScale", "two", at(10));
    let condition = &status.conditions.as_ref().expect("conditions")[0];
    assert_eq!(condition.last_transition_time, Some(Time(at(0))));
    assert_eq!(condition.reason.as_deref(), Some("ReadyForNewScale"));
    set_condition(&mut status, "AbleToScale", false, "FailedGetScale", "three", at(20));
    let condition = &status.conditions.as_ref().expect("conditions")[0];
    assert_eq!(condition.last_transition_time, Some(Time(at(20))));
    set_condition(&mut status, "ScalingActive", true, "ValidMetricFound", "four", at(30));
    assert_eq!(status.conditions.as_ref().expect("conditions").len(), 2);
}

#[test]
fn group_versions_parse_as_kubernetes_does() {
    assert_eq!(parse_group_version("apps/v1"), Ok(("apps".to_owned(), "v1".to_owned())));
    assert_eq!(parse_group_version("v1"), Ok((String::new(), "v1".to_owned())));
    assert_eq!(parse_group_version("a/b/c"), Err("unexpected GroupVersion string: a/b/c".to_owned()));
    assert!(parse_group_version("/v1").is_err());
}

#[test]
fn pod_metrics_items_and_go_durations_are_read() {
    let item = json!({
        "metadata": { "name": "a", "namespace": "default" },
        "timestamp": "2027-01-01T00:00:00Z", "window": "1m0.5s",
        "containers": [{ "name": "app", "usage": { "cpu": "250m", "memory": "10Mi" } },
                       { "name": "proxy", "usage": { "cpu": "1500000n", "memory": "garbage" } }],
    });
    let usage = pod_usage(&item).expect("an item");
    assert_eq!(usage.window, Duration::from_millis(60_500));
    assert_eq!(usage.containers[0].usage["cpu"], 250);
    assert_eq!(usage.containers[1].usage["cpu"], 2, "1.5 millicores rounds up");
    assert!(!usage.containers[1].usage.contains_key("memory"));
    let cpu = pod_samples(std::slice::from_ref(&usage), "cpu");
    assert_eq!(cpu["a"].value, 252);
    assert!(pod_samples(std::slice::from_ref(&usage), "memory").is_empty(), "a container lacks memory");
    assert_eq!(
        container_samples(std::slice::from_ref(&usage), "cpu", "app", "default").expect("samples")["a"].value,
        250
    );
    assert_eq!(
        container_samples(&[usage], "cpu", "missing", "default").expect_err("no container"),
        "container missing not present in metrics for pod default/a"
    );
    assert!(pod_usage(&json!({ "containers": [] })).is_none());
    assert_eq!(go_duration("150ms"), Some(Duration::from_millis(150)));
    assert_eq!(go_duration("1h"), Some(Duration::from_secs(3600)));
    assert_eq!(go_duration("5 parsecs"), None);
    assert_eq!(go_duration(""), None);
}

/// A metrics source with fixed usage per pod and container.
struct Fake {
    usage: BTreeMap<String, Vec<(String, i64, i64)>>,
}

#[async_trait]
impl MetricsSource for Fake {
    async fn pod_metrics(&self, _namespace: &str, _selector: &str) -> Result<Vec<PodUsage>, String> {
        if self.usage.is_empty() {
            return Err("the server could not find the requested resource".to_owned());
        }
        Ok(self
            .usage
            .iter()
            .map(|(pod, containers)| PodUsage {
                name: pod.clone(),
                timestamp: at(-5),
                window: Duration::from_secs(15),
                containers: containers
                    .iter()
                    .map(|(name, cpu, memory)| ContainerUsage {
                        name: name.clone(),
                        usage: [("cpu".to_owned(), *cpu), ("memory".to_owned(), *memory)].into(),
                    })
                    .collect(),
            })
            .collect())
    }
}

fn metric(value: serde_json::Value) -> MetricSpec {
    serde_json::from_value(value).expect("a metric")
}

#[tokio::test]
async fn several_metrics_take_the_largest_proposal() {
    let mebibyte = 1024 * 1024 * 1000;
    let fake = Fake {
        usage: [
            ("a".to_owned(), vec![("app".to_owned(), 200, 50 * mebibyte)]),
            ("b".to_owned(), vec![("app".to_owned(), 200, 50 * mebibyte)]),
        ]
        .into(),
    };
    let pods: Pods = Ok(vec![pod("a", "100m"), pod("b", "100m")]);
    let calculator = calculator();
    let context = MetricContext {
        namespace: "default",
        selector: "app=web",
        pods: &pods,
        spec_replicas: 2,
        status_replicas: 2,
        calculator: &calculator,
    };
    let specs = [
        metric(json!({ "type": "Resource",
                       "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": 50 } } })),
        metric(json!({ "type": "Resource",
                       "resource": { "name": "memory", "target": { "type": "AverageValue", "averageValue": "10Mi" } } })),
        metric(json!({ "type": "ContainerResource",
                       "containerResource": { "name": "cpu", "container": "app",
                                              "target": { "type": "Utilization", "averageUtilization": 100 } } })),
    ];
    let mut outcomes = Vec::new();
    for spec in &specs {
        outcomes.push(compute_metric(&fake, spec, &context).await);
    }
    let cpu = outcomes[0].as_ref().expect("cpu");
    assert_eq!(cpu.replicas, 8);
    assert_eq!(cpu.metric, "cpu resource utilization (percentage of request)");
    let current = &cpu.status.resource.as_ref().expect("a resource status").current;
    assert_eq!(
        (current.average_utilization, current.average_value.clone()),
        (Some(200), Some(Quantity("200m".into())))
    );
    let memory = outcomes[1].as_ref().expect("memory");
    assert_eq!((memory.replicas, memory.metric.as_str()), (10, "memory resource"));
    assert_eq!(
        memory.status.resource.as_ref().expect("status").current.average_value,
        Some(Quantity("52428800".into()))
    );
    let container = outcomes[2].as_ref().expect("container cpu");
    assert_eq!(container.replicas, 4);
    assert_eq!(container.metric, "cpu container resource utilization (percentage of request)");

    let mut status = HorizontalPodAutoscalerStatus::default();
    let mut notes = Vec::new();
    let combined = combine(outcomes, 2, &mut status, at(0), &mut notes);
    assert_eq!((combined.replicas, combined.metric.as_str()), (10, "memory resource"));
    assert_eq!(combined.statuses.len(), 3);
    assert!(notes.is_empty());
    let active = &status.conditions.expect("conditions")[0];
    assert_eq!((active.type_.as_str(), active.status.as_str()), ("ScalingActive", "True"));
    assert_eq!(
        active.message.as_deref(),
        Some("the HPA was able to successfully calculate a replica count from memory resource")
    );
}

#[tokio::test]
async fn failing_metrics_report_upstreams_reasons_and_messages() {
    let unavailable = Fake { usage: BTreeMap::new() };
    let pods: Pods = Ok(vec![pod("a", "100m")]);
    let calculator = calculator();
    let context = MetricContext {
        namespace: "default",
        selector: "app=web",
        pods: &pods,
        spec_replicas: 1,
        status_replicas: 1,
        calculator: &calculator,
    };
    let cpu = metric(json!({ "type": "Resource",
                             "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": 50 } } }));
    let failure = compute_metric(&unavailable, &cpu, &context).await.expect_err("no metrics API");
    assert_eq!(failure.reason, "FailedGetResourceMetric");
    assert_eq!(
        failure.condition_message,
        "failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource \
         metrics API: the server could not find the requested resource"
    );
    let pods_metric = metric(json!({ "type": "Pods", "pods": { "metric": { "name": "requests" },
                                     "target": { "type": "AverageValue", "averageValue": "10" } } }));
    let failure = compute_metric(&unavailable, &pods_metric, &context).await.expect_err("no custom metrics API");
    assert_eq!(failure.reason, "FailedGetPodsMetric");
    assert_eq!(
        failure.condition_message,
        "unable to get metric requests: unable to fetch metrics from custom metrics API: no custom metrics API \
         (custom.metrics.k8s.io) registered"
    );
    let object = metric(json!({ "type": "Object", "object": {
        "describedObject": { "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "main" },
        "metric": { "name": "hits" }, "target": { "type": "Value", "value": "10" } } }));
    assert_eq!(
        compute_metric(&unavailable, &object, &context).await.expect_err("none").reason,
        "FailedGetObjectMetric"
    );
    let external = metric(json!({ "type": "External", "external": { "metric": { "name": "queue" },
                                  "target": { "type": "AverageValue", "averageValue": "10" } } }));
    assert_eq!(
        compute_metric(&unavailable, &external, &context).await.expect_err("none").reason,
        "FailedGetExternalMetric"
    );
    let unknown = metric(json!({ "type": "Telepathy" }));
    let failure = compute_metric(&unavailable, &unknown, &context).await.expect_err("unknown");
    assert_eq!(
        (failure.reason, failure.error.as_str()),
        ("InvalidMetricSourceType", "unknown metric source type \"Telepathy\"")
    );

    // Every metric failed: the first decides the condition, and the sync stops.
    let outcomes = vec![
        compute_metric(&unavailable, &cpu, &context).await,
        compute_metric(&unavailable, &pods_metric, &context).await,
    ];
    let mut status = HorizontalPodAutoscalerStatus::default();
    let mut notes = Vec::new();
    let combined = combine(outcomes, 1, &mut status, at(0), &mut notes);
    assert_eq!(combined.replicas, -1);
    assert_eq!(
        notes.iter().map(|n| n.reason.as_str()).collect::<Vec<_>>(),
        ["FailedGetResourceMetric", "FailedGetPodsMetric"]
    );
    let error = combined.error.expect("an error");
    assert!(
        error.starts_with(
            "invalid metrics (2 invalid out of 2), first error is: failed to get cpu resource metric value: "
        ),
        "{error}"
    );
    let active = &status.conditions.expect("conditions")[0];
    assert_eq!((active.status.as_str(), active.reason.as_deref()), ("False", Some("FailedGetResourceMetric")));
    assert!(
        active
            .message
            .as_deref()
            .expect("a message")
            .starts_with("the HPA was unable to compute the replica count: failed to get cpu utilization")
    );
}

#[test]
fn a_failing_metric_does_not_stop_a_scale_up_but_stops_a_scale_down() {
    let proposal = |replicas| {
        Ok(Proposal {
            replicas,
            metric: "cpu resource utilization (percentage of request)".into(),
            status: MetricStatus::default(),
        })
    };
    let failure = || {
        Err(Failure {
            reason: "FailedGetPodsMetric",
            condition_message: "no".into(),
            error: "failed to get pods metric value: no".into(),
        })
    };
    let mut status = HorizontalPodAutoscalerStatus::default();
    let up = combine(vec![proposal(6), failure()], 3, &mut status, at(0), &mut Vec::new());
    assert_eq!(up.replicas, 6);
    assert!(up.error.is_some());
    let down = combine(vec![proposal(2), failure()], 3, &mut status, at(0), &mut Vec::new());
    assert_eq!(down.replicas, -1);
    let condition = &status.conditions.expect("conditions")[0];
    assert_eq!(condition.reason.as_deref(), Some("FailedGetPodsMetric"));
}

use serde_json::json;

use super::*;
use crate::lifecycle::{self, PodPlan, simulate};

fn pod(restart_policy: &str, annotations: &[(&str, &str)]) -> k8s_openapi::api::core::v1::Pod {
    let annotations: std::collections::BTreeMap<&str, &str> = annotations.iter().copied().collect();
    serde_json::from_value(json!({
        "metadata": { "name": "web-1", "namespace": "shop", "uid": "u-1", "annotations": annotations },
        "spec": {
            "restartPolicy": restart_policy,
            "containers": [{ "name": "web", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent",
                             "readinessProbe": { "httpGet": { "port": 80 } } }],
        },
    }))
    .unwrap()
}

fn context() -> PodContext<'static> {
    PodContext {
        name: "web-1",
        namespace: "shop",
        uid: "u-1",
        origin: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        pod_ip: Some("10.0.1.4".parse().unwrap()),
        host_ip: Some("10.0.1.23".parse().unwrap()),
    }
}

fn status_at(pod: &k8s_openapi::api::core::v1::Pod, seconds: u64) -> Value {
    let (plan, _) = PodPlan::of(pod);
    let snapshot = simulate(&plan, &Timing::default(), Duration::from_secs(seconds), None);
    pod_status(&plan, &snapshot, &context(), context().origin + Duration::from_secs(seconds))
}

fn conditions(status: &Value) -> Vec<String> {
    status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}={}{}",
                c["type"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
                c["reason"].as_str().map(|r| format!("({r})")).unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn a_pending_pod_waits_in_container_creating() {
    let status = status_at(&pod("Always", &[]), 0);
    assert_eq!(status["phase"], "Pending");
    assert_eq!(
        conditions(&status),
        [
            "PodReadyToStartContainers=True",
            "Initialized=True",
            "Ready=False(ContainersNotReady)",
            "ContainersReady=False(ContainersNotReady)",
            "PodScheduled=True"
        ]
    );
    assert_eq!(status["conditions"][2]["message"], "containers with unready status: [web]");
    let web = &status["containerStatuses"][0];
    assert_eq!(web["state"], json!({ "waiting": { "reason": "ContainerCreating" } }));
    assert_eq!((web["image"].as_str(), web["imageID"].as_str()), (Some("nginx:1.27"), Some("")));
    assert!(web.get("containerID").is_none());
    assert_eq!(status["podIP"], "10.0.1.4");
    assert_eq!(status["podIPs"], json!([{ "ip": "10.0.1.4" }]));
    assert_eq!(status["hostIPs"], json!([{ "ip": "10.0.1.23" }]));
    assert_eq!(status["startTime"], "2027-01-15T08:00:00Z");
}

#[test]
fn a_running_pod_reports_its_container() {
    let status = status_at(&pod("Always", &[]), 1);
    assert_eq!(status["phase"], "Running");
    assert_eq!(conditions(&status)[2], "Ready=True");
    let web = &status["containerStatuses"][0];
    assert_eq!(web["state"], json!({ "running": { "startedAt": "2027-01-15T08:00:01Z" } }));
    assert_eq!((web["ready"].as_bool(), web["started"].as_bool()), (Some(true), Some(true)));
    assert_eq!(web["image"], "docker.io/library/nginx:1.27");
    let image_id = web["imageID"].as_str().unwrap();
    assert!(image_id.starts_with("docker.io/library/nginx@sha256:") && image_id.len() == 31 + 64, "{image_id}");
    let id = web["containerID"].as_str().unwrap();
    assert!(id.starts_with("containerd://") && id.len() == 13 + 64, "{id}");
    assert_eq!(status_at(&pod("Always", &[]), 50)["containerStatuses"][0]["containerID"], id, "stable");
}

#[test]
fn crash_loops_and_completions() {
    let crashing = pod("Always", &[(lifecycle::RUN_SECONDS, "1"), (lifecycle::EXIT_CODE, "1")]);
    let status = status_at(&crashing, 3);
    let web = &status["containerStatuses"][0];
    assert_eq!(web["restartCount"], 1);
    assert_eq!(web["state"]["waiting"]["reason"], "CrashLoopBackOff");
    assert_eq!(web["state"]["waiting"]["message"], "back-off 10s restarting failed container=web pod=web-1_shop(u-1)");
    assert_eq!(web["lastState"]["terminated"]["exitCode"], 1);
    assert_eq!(web["lastState"]["terminated"]["reason"], "Error");
    assert_eq!(web["lastState"]["terminated"]["finishedAt"], "2027-01-15T08:00:03Z");
    // The id of the run that ended is the one the restarted container had before.
    let restarted = status_at(&crashing, 2);
    assert_ne!(
        restarted["containerStatuses"][0]["containerID"],
        restarted["containerStatuses"][0]["lastState"]["terminated"]["containerID"]
    );

    let done = status_at(&pod("Never", &[]), 2);
    assert_eq!(done["phase"], "Succeeded");
    assert_eq!(conditions(&done)[0], "PodReadyToStartContainers=False");
    assert_eq!(conditions(&done)[2], "Ready=False(PodCompleted)");
    assert_eq!(done["containerStatuses"][0]["state"]["terminated"]["reason"], "Completed");
}

#[test]
fn transition_times_carry_over_while_a_condition_holds() {
    let pending = status_at(&pod("Always", &[]), 0);
    let mut still = status_at(&pod("Always", &[]), 0);
    still["conditions"][0]["lastTransitionTime"] = json!("later");
    carry_transition_times(&pending, &mut still);
    assert_eq!(still, pending);
    let mut running = status_at(&pod("Always", &[]), 1);
    carry_transition_times(&pending, &mut running);
    assert_eq!(running["conditions"][2]["lastTransitionTime"], "2027-01-15T08:00:01Z");
    assert_eq!(running["conditions"][4]["lastTransitionTime"], "2027-01-15T08:00:00Z");
    carry_transition_times(&json!("garbage"), &mut running);
}

fn check_events(pod: &k8s_openapi::api::core::v1::Pod, from: Option<u64>, to: u64, expect: &[&str]) {
    let (plan, _) = PodPlan::of(pod);
    let at = |seconds: u64| simulate(&plan, &Timing::default(), Duration::from_secs(seconds), None);
    let previous = from.map(at);
    let events = events(&plan, &Timing::default(), previous.as_ref(), &at(to), &context());
    let lines: Vec<String> = events.iter().map(|e| format!("{} {}: {}", e.type_, e.reason, e.message)).collect();
    assert_eq!(lines, expect, "{from:?} -> {to}");
}

#[test]
fn events_follow_the_changes() {
    let web = pod("Always", &[]);
    check_events(&web, None, 0, &[]);
    check_events(
        &web,
        Some(0),
        1,
        &[
            "Normal Pulling: Pulling image \"nginx:1.27\"",
            "Normal Pulled: Successfully pulled image \"nginx:1.27\" in 1s (1s including waiting). Image size: 72225394 bytes.",
            "Normal Created: Created container: web",
            "Normal Started: Started container web",
        ],
    );
    check_events(&web, Some(1), 100, &[]);
    let crashing = pod("Always", &[(lifecycle::RUN_SECONDS, "1"), (lifecycle::EXIT_CODE, "1")]);
    check_events(
        &crashing,
        Some(1),
        2,
        &[
            "Normal Pulled: Container image \"nginx:1.27\" already present on machine",
            "Normal Created: Created container: web",
            "Normal Started: Started container web",
        ],
    );
    check_events(
        &crashing,
        Some(2),
        3,
        &["Warning BackOff: Back-off restarting failed container web in pod web-1_shop(u-1)"],
    );
    let unready = pod("Always", &[(lifecycle::FAIL_READINESS, "true")]);
    check_events(
        &unready,
        Some(0),
        1,
        &[
            "Normal Pulling: Pulling image \"nginx:1.27\"",
            "Normal Pulled: Successfully pulled image \"nginx:1.27\" in 1s (1s including waiting). Image size: 72225394 bytes.",
            "Normal Created: Created container: web",
            "Normal Started: Started container web",
            "Warning Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503",
        ],
    );
    check_events(&unready, Some(2), 3, &[]);
    let dying = pod("Always", &[(lifecycle::FAIL_LIVENESS_AFTER, "3")]);
    check_events(
        &dying,
        Some(3),
        4,
        &[
            "Warning Unhealthy: Liveness probe failed: ",
            "Normal Killing: Container web failed liveness probe, will be restarted",
            "Normal Pulled: Container image \"nginx:1.27\" already present on machine",
            "Normal Created: Created container: web",
            "Normal Started: Started container web",
        ],
    );
}

fn check_probed_events(found: lifecycle::ContainerProbeFailures, from: u64, to: u64, expect: &[&str]) {
    let (plan, _) = PodPlan::of(&pod("Always", &[]));
    let plan = plan.with_probe_failures(vec![found]);
    let at = |seconds: u64| simulate(&plan, &Timing::default(), Duration::from_secs(seconds), None);
    let events = events(&plan, &Timing::default(), Some(&at(from)), &at(to), &context());
    let lines: Vec<String> = events.iter().map(|e| format!("{} {}: {}", e.type_, e.reason, e.message)).collect();
    assert_eq!(lines, expect, "{from} -> {to}");
}

#[test]
fn probed_failures_are_reported_in_kubelets_words() {
    let failure = |detail: &str, kill_after: Option<u64>| {
        Some(lifecycle::ProbeFailure { detail: detail.into(), kill_after: kill_after.map(Duration::from_secs) })
    };
    let refused = "failed: Get \"http://10.0.1.4:81/\": dial tcp 10.0.1.4:81: connect: connection refused";
    let unready = lifecycle::ContainerProbeFailures { readiness: failure(refused, None), ..Default::default() };
    check_probed_events(
        unready.clone(),
        0,
        1,
        &[
            "Normal Pulling: Pulling image \"nginx:1.27\"",
            "Normal Pulled: Successfully pulled image \"nginx:1.27\" in 1s (1s including waiting). Image size: 72225394 bytes.",
            "Normal Created: Created container: web",
            "Normal Started: Started container web",
            "Warning Unhealthy: Readiness probe failed: Get \"http://10.0.1.4:81/\": dial tcp 10.0.1.4:81: connect: connection refused",
        ],
    );
    check_probed_events(unready, 1, 100, &[]);
    let dying = lifecycle::ContainerProbeFailures {
        liveness: failure("failed: dial tcp 10.0.1.4:81: connect: connection refused", Some(20)),
        ..Default::default()
    };
    check_probed_events(
        dying,
        20,
        21,
        &[
            "Warning Unhealthy: Liveness probe failed: dial tcp 10.0.1.4:81: connect: connection refused",
            "Normal Killing: Container web failed liveness probe, will be restarted",
            "Normal Pulled: Container image \"nginx:1.27\" already present on machine",
            "Normal Created: Created container: web",
            "Normal Started: Started container web",
        ],
    );
    let stuck = lifecycle::ContainerProbeFailures {
        startup: failure("failed: HTTP probe failed with statuscode: 503", Some(20)),
        ..Default::default()
    };
    check_probed_events(
        stuck,
        20,
        21,
        &[
            "Warning Unhealthy: Startup probe failed: HTTP probe failed with statuscode: 503",
            "Normal Killing: Container web failed startup probe, will be restarted",
            "Normal Pulled: Container image \"nginx:1.27\" already present on machine",
            "Normal Created: Created container: web",
            "Normal Started: Started container web",
        ],
    );
    let named = "errored and resulted in unknown state: strconv.Atoi: parsing \"http\": invalid syntax";
    let erroring = lifecycle::ContainerProbeFailures {
        startup: failure(named, None),
        liveness: failure(named, None),
        ..Default::default()
    };
    check_probed_events(erroring.clone(), 1, 2, &[]);
    let (plan, _) = PodPlan::of(&pod("Always", &[]));
    let plan = plan.with_probe_failures(vec![erroring]);
    let found = events(
        &plan,
        &Timing::default(),
        None,
        &simulate(&plan, &Timing::default(), Duration::from_secs(1), None),
        &context(),
    );
    let unhealthy: Vec<&str> = found.iter().filter(|e| e.reason == "Unhealthy").map(|e| e.message.as_str()).collect();
    assert_eq!(
        unhealthy,
        ["Startup probe errored and resulted in unknown state: strconv.Atoi: parsing \"http\": invalid syntax"]
    );
    // A liveness probe that errors says so once the container runs, and kills nothing.
    let erroring = lifecycle::ContainerProbeFailures { liveness: failure(named, None), ..Default::default() };
    let plan = plan.with_probe_failures(vec![erroring]);
    let at = |seconds| simulate(&plan, &Timing::default(), Duration::from_secs(seconds), None);
    let lines: Vec<String> =
        events(&plan, &Timing::default(), Some(&at(0)), &at(1), &context()).into_iter().map(|e| e.message).collect();
    assert_eq!(
        lines.last().map(String::as_str),
        Some("Liveness probe errored and resulted in unknown state: strconv.Atoi: parsing \"http\": invalid syntax")
    );
    assert!(events(&plan, &Timing::default(), Some(&at(1)), &at(3600), &context()).is_empty());
}

#[test]
fn stopping_and_rejection() {
    let (plan, _) = PodPlan::of(&pod("Always", &[]));
    let running = simulate(&plan, &Timing::default(), Duration::from_secs(5), None);
    let killing: Vec<String> = stopping_events(&plan, &running).into_iter().map(|e| e.message).collect();
    assert_eq!(killing, ["Stopping container web"]);
    let pending = simulate(&plan, &Timing::default(), Duration::ZERO, None);
    assert!(stopping_events(&plan, &pending).is_empty());
    let (status, event) = rejected_status(17, 17, None, context().origin);
    assert_eq!(status["reason"], "OutOfpods");
    assert_eq!(status["phase"], "Failed");
    assert_eq!(
        status["message"],
        "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 17, capacity: 17"
    );
    assert_eq!(event.reason, "OutOfpods");
}

fn check_image(image: &str, expect: &str) {
    assert_eq!(normalize_image(image), expect, "{image:?}");
}

#[test]
fn images_are_normalized_as_containerd_reports_them() {
    check_image("nginx", "docker.io/library/nginx:latest");
    check_image("nginx:1.27", "docker.io/library/nginx:1.27");
    check_image("bitnami/redis", "docker.io/bitnami/redis:latest");
    check_image(
        "public.ecr.aws/eks/aws-load-balancer-controller:v2.9.0",
        "public.ecr.aws/eks/aws-load-balancer-controller:v2.9.0",
    );
    check_image("localhost:5000/app", "localhost:5000/app:latest");
    check_image("registry.k8s.io/pause@sha256:abc", "registry.k8s.io/pause@sha256:abc");
    check_image("", "");
    check_image("  ", "");
    assert!(image_id("docker.io/library/nginx:latest").starts_with("docker.io/library/nginx@sha256:"));
    assert!(image_id("localhost:5000/app:latest").starts_with("localhost:5000/app@sha256:"));
    assert!(image_id("registry.k8s.io/pause@sha256:abc").starts_with("registry.k8s.io/pause@sha256:"));
    assert_ne!(hex64(&["a", "b"]), hex64(&["ab"]));
    assert_eq!(hex64(&["x"]).len(), 64);
}

#[test]
fn readiness_gates_hold_ready_false_until_their_conditions_are_true() {
    let status_with = |extra: Vec<Value>| {
        let mut conditions = extra;
        conditions.push(json!({ "type": "Ready", "status": "True" }));
        conditions.push(json!({ "type": "ContainersReady", "status": "True" }));
        json!({ "conditions": conditions })
    };
    let gates = vec!["target-health.elbv2.k8s.aws/a".to_owned(), "example.com/b".to_owned()];
    let ready = |status: &Value| {
        status["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Ready").unwrap().clone()
    };

    let mut missing = status_with(vec![json!({ "type": "example.com/b", "status": "False" })]);
    apply_readiness_gates(&mut missing, &gates);
    let condition = ready(&missing);
    assert_eq!(condition["status"], "False");
    assert_eq!(condition["reason"], "ReadinessGatesNotReady");
    assert_eq!(
        condition["message"],
        "corresponding condition of pod readiness gate \"target-health.elbv2.k8s.aws/a\" does not exist., the status \
         of pod readiness gate \"example.com/b\" is not \"True\", but False"
    );

    let mut met = status_with(vec![
        json!({ "type": "target-health.elbv2.k8s.aws/a", "status": "True" }),
        json!({ "type": "example.com/b", "status": "True" }),
    ]);
    apply_readiness_gates(&mut met, &gates);
    assert_eq!(ready(&met)["status"], "True");
    assert!(ready(&met).get("reason").is_none());

    // Containers that are not ready keep their own reason.
    let mut unready = json!({ "conditions": [{ "type": "Ready", "status": "False", "reason": "ContainersNotReady" }] });
    apply_readiness_gates(&mut unready, &gates);
    assert_eq!(ready(&unready)["reason"], "ContainersNotReady");
}

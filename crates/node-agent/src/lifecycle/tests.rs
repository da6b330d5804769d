use std::fmt::Write;

use serde_json::json;

use super::*;

/// A pod with one container `web` (nginx), the given restart policy, annotations and extra container fields.
fn pod(restart_policy: &str, annotations: &[(&str, &str)], container: serde_json::Value) -> Pod {
    let mut web = json!({ "name": "web", "image": "nginx" });
    if let (Some(web), Some(extra)) = (web.as_object_mut(), container.as_object()) {
        web.extend(extra.clone());
    }
    let annotations: BTreeMap<&str, &str> = annotations.iter().copied().collect();
    serde_json::from_value(json!({
        "metadata": { "name": "p", "namespace": "default", "uid": "u-1", "annotations": annotations },
        "spec": { "restartPolicy": restart_policy, "containers": [web] },
    }))
    .expect("a pod")
}

/// One line per container: `name: state rN [ready] [last=code@start..end]`, after the phase and readiness.
fn summary(snapshot: &PodSnapshot) -> String {
    let mut text = format!("{}{}", snapshot.phase.as_str(), if snapshot.ready { " ready" } else { "" });
    let secs = |d: Duration| format!("{}s", d.as_secs_f64());
    for (kind, list) in [("init", &snapshot.init_containers), ("", &snapshot.containers)] {
        for container in list {
            let state = match &container.state {
                State::Waiting { reason, backoff: Some(delay) } => format!("{reason} {}", secs(*delay)),
                State::Waiting { reason, backoff: None } => reason.to_string(),
                State::Running { since } => format!("running@{}", secs(*since)),
                State::Terminated(t) => format!("exit {} {}..{}", t.exit_code, secs(t.started), secs(t.finished)),
            };
            write!(text, " | {kind}{state} r{}", container.restart_count).unwrap();
            if container.ready {
                text.push_str(" ready");
            }
            if let Some(last) = container.last {
                write!(text, " last={}@{}..{}", last.exit_code, secs(last.started), secs(last.finished)).unwrap();
            }
        }
    }
    text
}

fn check(pod: &Pod, elapsed: f64, expect: &str) {
    let (plan, errors) = PodPlan::of(pod);
    assert!(errors.is_empty(), "{errors:?}");
    let snapshot = simulate(&plan, &Timing::default(), Duration::from_secs_f64(elapsed), None);
    assert_eq!(summary(&snapshot), expect, "at {elapsed}s");
}

#[test]
fn a_long_running_pod_starts_after_the_pull_and_is_ready_without_a_probe() {
    let web = pod("Always", &[], json!({}));
    check(&web, 0.0, "Pending | ContainerCreating r0");
    check(&web, 0.9, "Pending | ContainerCreating r0");
    check(&web, 1.0, "Running ready | running@1s r0 ready");
    check(&web, 86_400.0, "Running ready | running@1s r0 ready");
}

#[test]
fn readiness_follows_the_probe_delay_and_the_startup_probe() {
    let probed =
        pod("Always", &[], json!({ "readinessProbe": { "httpGet": { "port": 80 }, "initialDelaySeconds": 5 } }));
    check(&probed, 5.9, "Running | running@1s r0");
    check(&probed, 6.0, "Running ready | running@1s r0 ready");
    let startup =
        pod("Always", &[], json!({ "startupProbe": { "exec": { "command": ["true"] }, "initialDelaySeconds": 3 } }));
    let (plan, _) = PodPlan::of(&startup);
    let early = simulate(&plan, &Timing::default(), Duration::from_secs(2), None);
    assert!(!early.containers[0].started && !early.containers[0].ready);
    let later = simulate(&plan, &Timing::default(), Duration::from_secs(4), None);
    assert!(later.containers[0].started && later.containers[0].ready);
}

#[test]
fn run_to_completion_pods_succeed_or_fail_by_exit_code() {
    let job = pod("Never", &[], json!({}));
    check(&job, 1.5, "Running ready | running@1s r0 ready");
    check(&job, 2.0, "Succeeded | exit 0 1s..2s r0");
    let long = pod("Never", &[(RUN_SECONDS, "5")], json!({}));
    check(&long, 5.0, "Running ready | running@1s r0 ready");
    check(&long, 6.0, "Succeeded | exit 0 1s..6s r0");
    check(&pod("Never", &[(EXIT_CODE, "1")], json!({})), 2.0, "Failed | exit 1 1s..2s r0");
    check(&pod("OnFailure", &[], json!({})), 2.0, "Succeeded | exit 0 1s..2s r0");
}

#[test]
fn failing_containers_restart_with_a_doubling_back_off() {
    let crash = pod("Always", &[(RUN_SECONDS, "1"), (EXIT_CODE, "1")], json!({}));
    check(&crash, 1.5, "Running ready | running@1s r0 ready");
    // The first restart is immediate, the second waits 10 s, the third 20 s.
    check(&crash, 2.0, "Running ready | running@2s r1 ready last=1@1s..2s");
    check(&crash, 3.0, "Running | CrashLoopBackOff 10s r1 last=1@2s..3s");
    check(&crash, 12.9, "Running | CrashLoopBackOff 10s r1 last=1@2s..3s");
    check(&crash, 13.0, "Running ready | running@13s r2 ready last=1@2s..3s");
    check(&crash, 14.0, "Running | CrashLoopBackOff 20s r2 last=1@13s..14s");
    check(&crash, 34.0, "Running ready | running@34s r3 ready last=1@13s..14s");
    let on_failure = pod("OnFailure", &[(EXIT_CODE, "2")], json!({}));
    check(&on_failure, 3.0, "Running | CrashLoopBackOff 10s r1 last=2@2s..3s");
    // Always restarts even a container that exited with 0.
    check(&pod("Always", &[(RUN_SECONDS, "1")], json!({})), 2.0, "Running ready | running@2s r1 ready last=0@1s..2s");
}

#[test]
fn a_container_that_ran_long_enough_resets_its_back_off() {
    let slow = pod("Always", &[(RUN_SECONDS, "700"), (EXIT_CODE, "1")], json!({}));
    check(&slow, 701.0, "Running ready | running@701s r1 ready last=1@1s..701s");
    check(&slow, 1401.0, "Running ready | running@1401s r2 ready last=1@701s..1401s");
}

#[test]
fn failing_probes() {
    let unready = pod("Always", &[(FAIL_READINESS, "true")], json!({}));
    check(&unready, 10.0, "Running | running@1s r0");
    let (plan, _) = PodPlan::of(&unready);
    assert!(simulate(&plan, &Timing::default(), Duration::from_secs(10), None).containers[0].readiness_failing);
    let dying = pod("Always", &[(FAIL_LIVENESS_AFTER, "5")], json!({}));
    check(&dying, 5.9, "Running ready | running@1s r0 ready");
    check(&dying, 6.0, "Running ready | running@6s r1 ready last=137@1s..6s");
    check(&dying, 11.0, "Running | CrashLoopBackOff 10s r1 last=137@6s..11s");
    let (plan, _) = PodPlan::of(&dying);
    assert_eq!(simulate(&plan, &Timing::default(), Duration::from_secs(11), None).containers[0].liveness_kills, 2);
}

fn failure(detail: &str, kill_after: Option<u64>) -> Option<ProbeFailure> {
    Some(ProbeFailure { detail: detail.into(), kill_after: kill_after.map(Duration::from_secs) })
}

fn check_probed(
    found: ContainerProbeFailures,
    annotations: &[(&str, &str)],
    elapsed: f64,
    expect: &str,
) -> ContainerSnapshot {
    let web = pod("Always", annotations, json!({}));
    let (plan, _) = PodPlan::of(&web);
    let plan = plan.with_probe_failures(vec![found]);
    let snapshot = simulate(&plan, &Timing::default(), Duration::from_secs_f64(elapsed), None);
    assert_eq!(summary(&snapshot), expect, "at {elapsed}s");
    snapshot.containers[0].clone()
}

#[test]
fn probes_that_found_a_closed_port_play_out_over_time() {
    let unready = ContainerProbeFailures { readiness: failure("failed: x", None), ..Default::default() };
    let web = check_probed(unready.clone(), &[], 60.0, "Running | running@1s r0");
    assert!(web.readiness_failing && web.started);
    // A liveness probe that fails kills after its threshold; one that errors only says so.
    let dying = ContainerProbeFailures { liveness: failure("failed: x", Some(20)), ..Default::default() };
    check_probed(dying.clone(), &[], 20.9, "Running ready | running@1s r0 ready");
    let web = check_probed(dying.clone(), &[], 21.0, "Running ready | running@21s r1 ready last=137@1s..21s");
    assert_eq!((web.liveness_kills, web.startup_kills), (1, 0));
    // The annotation kills sooner when it says so.
    check_probed(dying, &[(FAIL_LIVENESS_AFTER, "5")], 6.0, "Running ready | running@6s r1 ready last=137@1s..6s");
    let erroring = ContainerProbeFailures {
        liveness: failure("errored and resulted in unknown state: x", None),
        ..Default::default()
    };
    let web = check_probed(erroring, &[], 3600.0, "Running ready | running@1s r0 ready");
    assert!(web.liveness_erroring && web.liveness_kills == 0);
    // A startup probe that fails: never started nor ready, killed after its threshold, and no liveness kill first.
    let stuck = ContainerProbeFailures {
        startup: failure("failed: x", Some(20)),
        liveness: failure("failed: y", Some(5)),
        ..Default::default()
    };
    let web = check_probed(stuck.clone(), &[(FAIL_LIVENESS_AFTER, "3")], 20.0, "Running | running@1s r0");
    assert!(!web.started && !web.startup_erroring);
    let web = check_probed(stuck, &[], 21.0, "Running | running@21s r1 last=137@1s..21s");
    assert_eq!((web.startup_kills, web.liveness_kills), (1, 0));
    let erroring = ContainerProbeFailures {
        startup: failure("errored and resulted in unknown state: x", None),
        ..Default::default()
    };
    let web = check_probed(erroring, &[], 3600.0, "Running | running@1s r0");
    assert!(web.startup_erroring && !web.started);
}

#[test]
fn init_containers_run_in_order_before_the_containers() {
    let mut with_init = pod("Always", &[(INIT_SECONDS, "2")], json!({}));
    let init = |name: &str| serde_json::from_value(json!({ "name": name, "image": "busybox:1.36" })).unwrap();
    with_init.spec.as_mut().unwrap().init_containers = Some(vec![init("a"), init("b")]);
    check(&with_init, 0.5, "Pending | initPodInitializing r0 | initPodInitializing r0 | PodInitializing r0");
    check(&with_init, 1.0, "Pending | initrunning@1s r0 | initPodInitializing r0 | PodInitializing r0");
    check(&with_init, 3.0, "Pending | initexit 0 1s..3s r0 ready | initrunning@3s r0 | PodInitializing r0");
    check(
        &with_init,
        5.0,
        "Running ready | initexit 0 1s..3s r0 ready | initexit 0 3s..5s r0 ready | running@5s r0 ready",
    );
}

#[test]
fn deletion_stops_containers_within_the_grace_period() {
    let web = pod("Always", &[], json!({}));
    let (plan, _) = PodPlan::of(&web);
    let stop = plan.stop(Duration::from_secs(5), None);
    assert_eq!(stop, Stop { at: Duration::from_secs(5), exit_code: 0 });
    let stopped = simulate(&plan, &Timing::default(), Duration::from_secs(5), Some(stop));
    assert_eq!(summary(&stopped), "Succeeded | exit 0 1s..5s r0");
    assert_eq!(stopped.next, None);
    let slow = pod("Always", &[(TERMINATION_SECONDS, "60")], json!({}));
    let (plan, _) = PodPlan::of(&slow);
    assert_eq!(plan.stop(Duration::from_secs(5), None), Stop { at: Duration::from_secs(35), exit_code: 137 });
    assert_eq!(
        plan.stop(Duration::from_secs(5), Some(Duration::from_secs(90))),
        Stop { at: Duration::from_secs(65), exit_code: 0 }
    );
    let stop = plan.stop(Duration::from_secs(5), None);
    let stopping = simulate(&plan, &Timing::default(), Duration::from_secs(20), Some(stop));
    assert_eq!(summary(&stopping), "Running ready | running@1s r0 ready");
    assert_eq!(stopping.next, Some(Duration::from_secs(35)));
    let killed = simulate(&plan, &Timing::default(), Duration::from_secs(35), Some(stop));
    assert_eq!(summary(&killed), "Failed | exit 137 1s..35s r0");
    // Deleted before anything started.
    let early = simulate(&plan, &Timing::default(), Duration::ZERO, Some(Stop { at: Duration::ZERO, exit_code: 0 }));
    assert_eq!(summary(&early), "Failed | ContainerCreating r0");
}

#[test]
fn the_next_change_is_announced() {
    let check_next = |pod: &Pod, at: u64, expect: Option<u64>| {
        let (plan, _) = PodPlan::of(pod);
        let next = simulate(&plan, &Timing::default(), Duration::from_secs(at), None).next;
        assert_eq!(next, expect.map(Duration::from_secs), "at {at}s");
    };
    check_next(&pod("Always", &[], json!({})), 0, Some(1));
    check_next(&pod("Always", &[], json!({})), 1, None);
    check_next(&pod("Never", &[], json!({})), 1, Some(2));
    check_next(&pod("Never", &[], json!({})), 2, None);
    check_next(&pod("Always", &[(RUN_SECONDS, "1")], json!({})), 3, Some(13));
}

fn check_backoff(step: u32, expect_seconds: u64) {
    assert_eq!(backoff(&Timing::default(), step), Duration::from_secs(expect_seconds), "step {step}");
}

#[test]
fn backoff_schedule() {
    check_backoff(0, 0);
    check_backoff(1, 10);
    check_backoff(2, 20);
    check_backoff(3, 40);
    check_backoff(4, 80);
    check_backoff(5, 160);
    check_backoff(6, 300);
    check_backoff(7, 300);
    check_backoff(40, 300);
    check_backoff(u32::MAX, 300);
}

fn check_go(millis: u64, expect: &str) {
    assert_eq!(go_duration(Duration::from_millis(millis)), expect);
}

#[test]
fn go_durations() {
    check_go(500, "500ms");
    check_go(1000, "1s");
    check_go(1200, "1.2s");
    check_go(10_000, "10s");
    check_go(80_000, "1m20s");
    check_go(300_000, "5m0s");
    check_go(3_661_000, "1h1m1s");
}

fn check_annotations(annotations: &[(&str, &str)], expect: &[&str]) {
    let (_, errors) = PodPlan::of(&pod("Always", annotations, json!({})));
    let keys: Vec<&str> = errors.iter().map(|error| error.key.as_str()).collect();
    assert_eq!(keys, expect, "{annotations:?}");
}

#[test]
fn garbage_annotations_are_reported_and_ignored() {
    check_annotations(&[(RUN_SECONDS, "abc")], &[RUN_SECONDS]);
    check_annotations(&[(RUN_SECONDS, "-1")], &[RUN_SECONDS]);
    check_annotations(&[(RUN_SECONDS, "NaN")], &[RUN_SECONDS]);
    check_annotations(&[(RUN_SECONDS, "1e99")], &[RUN_SECONDS]);
    check_annotations(&[(EXIT_CODE, "256")], &[EXIT_CODE]);
    check_annotations(&[(EXIT_CODE, "one")], &[EXIT_CODE]);
    check_annotations(&[(FAIL_READINESS, "maybe")], &[FAIL_READINESS]);
    check_annotations(&[(FAIL_LIVENESS_AFTER, "")], &[FAIL_LIVENESS_AFTER]);
    check_annotations(&[(TERMINATION_SECONDS, "x"), (INIT_SECONDS, "y")], &[INIT_SECONDS, TERMINATION_SECONDS]);
    check_annotations(&[(RUN_SECONDS, "2.5"), (EXIT_CODE, "3"), (FAIL_READINESS, "false")], &[]);
    // An unreadable value behaves as if it were absent.
    let (plan, _) = PodPlan::of(&pod("Never", &[(EXIT_CODE, "x"), (RUN_SECONDS, "soon")], json!({})));
    assert_eq!((plan.exit_code, plan.run), (0, Some(Duration::from_secs(1))));
}

#[test]
fn an_ephemeral_container_waits_for_its_image_then_runs_until_the_pod_stops() {
    let timing = Timing::default();
    let added = Duration::from_secs(30);
    let (waiting, next) = simulate_ephemeral(&timing, added, added, None);
    assert_eq!(waiting.state, State::Waiting { reason: "ContainerCreating", backoff: None });
    assert_eq!((waiting.starts, next), (0, Some(added + timing.start_delay)));
    let (running, next) = simulate_ephemeral(&timing, added, added + Duration::from_secs(5), None);
    assert_eq!(running.state, State::Running { since: added + timing.start_delay });
    assert_eq!((running.starts, running.started, running.ready, next), (1, true, false, None));
    let stop = Stop { at: Duration::from_secs(60), exit_code: 137 };
    let (stopped, next) = simulate_ephemeral(&timing, added, Duration::from_secs(61), Some(stop));
    let expected =
        Terminated { exit_code: 137, started: added + timing.start_delay, finished: stop.at, oom_killed: false };
    assert_eq!((stopped.state, next), (State::Terminated(expected), None));
}

#[test]
fn a_container_out_of_memory_is_oom_killed_after_each_start_and_backs_off() {
    let web = pod("Always", &[], json!({}));
    let (plan, _) = PodPlan::of(&web);
    let plan = plan.with_oom(vec![true]);
    let timing = Timing::default();
    let at = |elapsed: f64| simulate(&plan, &timing, Duration::from_secs_f64(elapsed), None);
    let check_oom = |elapsed: f64, expect: &str| assert_eq!(summary(&at(elapsed)), expect, "at {elapsed}s");
    check_oom(1.0, "Running ready | running@1s r0 ready");
    // Killed OOM_AFTER the start, reported for a moment while the pod still runs, restarted at once.
    check_oom(3.0, "Running | exit 137 1s..3s r0");
    let killed = at(3.5);
    let State::Terminated(exit) = killed.containers[0].state else { panic!("{killed:?}") };
    assert_eq!((exit.reason(), exit.exit_code), ("OOMKilled", 137));
    assert_eq!(killed.next, Some(Duration::from_secs(4)));
    check_oom(4.0, "Running ready | running@4s r1 ready last=137@1s..3s");
    check_oom(6.5, "Running | exit 137 4s..6s r1 last=137@1s..3s");
    // The second kill waits in CrashLoopBackOff (10 s from the kill), then doubles.
    check_oom(7.0, "Running | CrashLoopBackOff 10s r1 last=137@4s..6s");
    assert_eq!(at(7.0).containers[0].backoffs, 1);
    assert_eq!(at(7.0).next, Some(Duration::from_secs(16)));
    check_oom(16.0, "Running ready | running@16s r2 ready last=137@4s..6s");
    check_oom(19.0, "Running | CrashLoopBackOff 20s r2 last=137@16s..18s");
    check_oom(38.0, "Running ready | running@38s r3 ready last=137@16s..18s");
    assert_eq!(at(7.0).containers[0].last.map(|last| last.reason()), Some("OOMKilled"));
    // The status kubelet writes: OOMKilled, then CrashLoopBackOff with the OOM kill as the last state.
    let context = crate::status::PodContext {
        name: "p",
        namespace: "default",
        uid: "u-1",
        origin: time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        pod_ip: None,
        host_ip: None,
    };
    let status = |elapsed: f64| crate::status::pod_status(&plan, &at(elapsed), &context, context.origin);
    let killed = status(6.5);
    assert_eq!(killed["phase"], "Running");
    assert_eq!(killed["containerStatuses"][0]["state"]["terminated"]["reason"], "OOMKilled");
    assert_eq!(killed["containerStatuses"][0]["state"]["terminated"]["exitCode"], 137);
    let waiting = status(7.0);
    assert_eq!(waiting["containerStatuses"][0]["state"]["waiting"]["reason"], "CrashLoopBackOff");
    assert_eq!(waiting["containerStatuses"][0]["lastState"]["terminated"]["reason"], "OOMKilled");
    // A deletion during the report ends it for good.
    let stop = plan.stop(Duration::from_secs_f64(3.5), None);
    let stopped = simulate(&plan, &timing, Duration::from_secs(5), Some(stop));
    assert_eq!(summary(&stopped), "Failed | exit 137 1s..3s r0");

    // Never restarted: the pod fails with the OOM kill.
    let (plan, _) = PodPlan::of(&pod("Never", &[("ekslite.dev/run-seconds", "10")], json!({})));
    let plan = plan.with_oom(vec![true]);
    assert_eq!(summary(&simulate(&plan, &timing, Duration::from_secs(60), None)), "Failed | exit 137 1s..3s r0");
    // The container's own earlier exit comes first.
    let (plan, _) = PodPlan::of(&pod("Never", &[("ekslite.dev/run-seconds", "1")], json!({})));
    let plan = plan.with_oom(vec![true]);
    assert_eq!(summary(&simulate(&plan, &timing, Duration::from_secs(60), None)), "Succeeded | exit 0 1s..2s r0");
}

//! The Job, CronJob, DaemonSet, StatefulSet and Endpoints controllers against an in-process API server. Nothing
//! runs pods here: the tests play the kubelet by patching pod status.

use std::sync::Arc;
use std::time::Duration;

use common::{Harness, eventually, object, start_with};
use controllers::{Clock, ControllersConfig};
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Endpoints, Node, PersistentVolumeClaim, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::ResourceExt;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

mod common;

/// How long a step may take: generous, as the whole workspace's tests share two cores in CI.
const DEADLINE: Duration = Duration::from_secs(30);

async fn start(clock: Clock) -> Harness {
    let config =
        ControllersConfig { job_backoff_base: Duration::from_millis(100), clock, ..ControllersConfig::default() };
    start_with(config).await
}

async fn pods(client: &kube::Client, selector: &str) -> Vec<Pod> {
    let mut pods = Api::<Pod>::namespaced(client.clone(), "default")
        .list(&ListParams::default().labels(selector))
        .await
        .expect("list")
        .items;
    pods.sort_by_key(|p| p.metadata.creation_timestamp.as_ref().map(|t| t.0));
    pods
}

/// Plays the kubelet: sets a pod's phase (and Ready condition, and an IP).
async fn set_phase(client: &kube::Client, name: &str, phase: &str, ready: bool, exit_code: i32) {
    let api: Api<Pod> = Api::namespaced(client.clone(), "default");
    let ip = format!("10.0.0.{}", name.bytes().map(u32::from).sum::<u32>() % 250 + 1);
    let terminated = json!({"terminated": {"exitCode": exit_code}});
    let status = json!({"status": {
        "phase": phase,
        "podIP": ip,
        "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }, "lastTransitionTime": "2026-01-01T00:00:00Z"}],
        "containerStatuses": [{"name": "main", "image": "busybox", "imageID": "", "ready": ready, "restartCount": 0,
            "state": if phase == "Running" { json!({"running": {}}) } else { terminated }}],
    }});
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(status)).await.expect("patch pod status");
}

fn job_condition(job: &Job, type_: &str) -> Option<(String, String)> {
    let condition =
        job.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == type_ && c.status == "True")?;
    Some((condition.reason.clone().unwrap_or_default(), condition.message.clone().unwrap_or_default()))
}

fn job_spec(name: &str, spec: serde_json::Value) -> Job {
    let mut spec = spec;
    spec["template"] =
        json!({"spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox"}]}});
    object(json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec}))
}

#[tokio::test]
async fn a_job_with_three_completions_two_at_a_time_completes() {
    let harness = start(Clock::system()).await;
    let client = harness.client.clone();
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    jobs.create(&PostParams::default(), &job_spec("pi", json!({"completions": 3, "parallelism": 2})))
        .await
        .expect("create job");
    let mut finished = Vec::new();
    for round in 0..3 {
        let want_running = if round < 2 { 2 } else { 1 };
        let running = eventually("running job pods", DEADLINE, || async {
            let pods = pods(&client, "job-name=pi").await;
            let running: Vec<Pod> = pods.into_iter().filter(|p| !finished.contains(&p.name_any())).collect();
            (running.len() == want_running).then_some(running)
        })
        .await;
        let pod = &running[0];
        assert!(pod.name_any().starts_with("pi-"));
        assert_eq!(pod.finalizers(), ["batch.kubernetes.io/job-tracking"]);
        assert_eq!(pod.labels()["batch.kubernetes.io/job-name"], "pi");
        set_phase(&client, &pod.name_any(), "Succeeded", false, 0).await;
        finished.push(pod.name_any());
    }
    let job = eventually("the job completes", DEADLINE, || async {
        let job = jobs.get("pi").await.expect("get job");
        job_condition(&job, "Complete").is_some().then_some(job)
    })
    .await;
    let status = job.status.clone().expect("status");
    assert_eq!(status.succeeded, Some(3));
    assert_eq!(status.active, Some(0));
    assert!(status.completion_time.is_some() && status.start_time.is_some());
    assert_eq!(
        job_condition(&job, "SuccessCriteriaMet"),
        Some(("CompletionsReached".into(), "Reached expected number of succeeded pods".into()))
    );
    // Counted pods lose the tracking finalizer.
    let pods = eventually("finalizers removed", DEADLINE, || async {
        let pods = pods(&client, "job-name=pi").await;
        pods.iter().all(|p| p.finalizers().is_empty()).then_some(pods)
    })
    .await;
    assert_eq!(pods.len(), 3);
    harness.stop().await;
}

#[tokio::test]
async fn a_failing_job_is_retried_backoff_limit_times_then_fails() {
    let harness = start(Clock::system()).await;
    let client = harness.client.clone();
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    jobs.create(&PostParams::default(), &job_spec("fails", json!({"backoffLimit": 2}))).await.expect("create job");
    for attempt in 1..=3 {
        let pod = eventually("a new pod", DEADLINE, || async {
            let pods = pods(&client, "job-name=fails").await;
            let pending = pods.iter().find(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Failed"));
            (pods.len() == attempt).then(|| pending.cloned()).flatten()
        })
        .await;
        set_phase(&client, &pod.name_any(), "Failed", false, 1).await;
    }
    let job = eventually("the job fails", DEADLINE, || async {
        let job = jobs.get("fails").await.expect("get job");
        job_condition(&job, "Failed").is_some().then_some(job)
    })
    .await;
    let expected = Some(("BackoffLimitExceeded".to_owned(), "Job has reached the specified backoff limit".to_owned()));
    assert_eq!(job_condition(&job, "Failed"), expected);
    assert_eq!(job_condition(&job, "FailureTarget"), expected);
    assert_eq!(job.status.as_ref().and_then(|s| s.failed), Some(3));
    assert_eq!(pods(&client, "job-name=fails").await.len(), 3, "no fourth pod");
    harness.stop().await;
}

#[tokio::test]
async fn a_cronjob_creates_a_job_when_its_schedule_fires() {
    // The controllers' clock runs two minutes ahead, so a `* * * * *` schedule is due at once.
    let harness = start(Clock::new(|| jiff::Timestamp::now() + jiff::SignedDuration::from_secs(120))).await;
    let client = harness.client.clone();
    let cronjobs: Api<CronJob> = Api::namespaced(client.clone(), "default");
    let cronjob = object(json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"},
        "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox"}]}}}}}}));
    cronjobs.create(&PostParams::default(), &cronjob).await.expect("create cronjob");
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    let job = eventually("a job", DEADLINE, || async {
        jobs.list(&ListParams::default()).await.expect("list").items.into_iter().next()
    })
    .await;
    let minutes = (jiff::Timestamp::now().as_second() + 120) / 60;
    let name = job.name_any();
    let suffix: i64 = name.strip_prefix("tick-").and_then(|s| s.parse().ok()).expect("tick-<minutes>");
    assert!((minutes - 1..=minutes).contains(&suffix), "{name} vs {minutes}");
    assert!(job.annotations().contains_key("batch.kubernetes.io/cronjob-scheduled-timestamp"));
    assert_eq!(job.owner_references()[0].kind, "CronJob");
    let status = eventually("cronjob status", DEADLINE, || async {
        let status = cronjobs.get("tick").await.expect("get").status?;
        (status.last_schedule_time.is_some() && status.active.as_ref().is_some_and(|a| a.len() == 1)).then_some(status)
    })
    .await;
    assert_eq!(status.active.expect("active")[0].name.as_deref(), Some(name.as_str()));
    // The job's pod runs through the job controller.
    eventually("the job's pod", DEADLINE, || async {
        (!pods(&client, &format!("job-name={name}")).await.is_empty()).then_some(())
    })
    .await;
    harness.stop().await;
}

async fn create_node(client: &kube::Client, name: &str, zone: &str) {
    let node: Node = object(json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone}}}));
    Api::<Node>::all(client.clone()).create(&PostParams::default(), &node).await.expect("create node");
}

fn daemon_target(pod: &Pod) -> String {
    let affinity = pod.spec.as_ref().and_then(|s| s.affinity.as_ref()).and_then(|a| a.node_affinity.as_ref());
    let terms = &affinity
        .and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref())
        .expect("pinned")
        .node_selector_terms;
    terms[0].match_fields.as_ref().expect("fields")[0].values.as_ref().expect("values")[0].clone()
}

#[tokio::test]
async fn a_daemonset_runs_one_pod_per_node() {
    let harness = start(Clock::system()).await;
    let client = harness.client.clone();
    create_node(&client, "node-a", "us-east-1a").await;
    create_node(&client, "node-b", "us-east-1b").await;
    let daemonsets: Api<DaemonSet> = Api::namespaced(client.clone(), "default");
    let ds = object(json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": {"metadata": {"labels": {"app": "agent"}},
            "spec": {"containers": [{"name": "main", "image": "busybox"}]}}}}));
    daemonsets.create(&PostParams::default(), &ds).await.expect("create daemonset");
    let targets = |pods: Vec<Pod>| {
        let mut nodes: Vec<String> = pods.iter().map(daemon_target).collect();
        nodes.sort();
        nodes
    };
    eventually("a pod per node", DEADLINE, || async {
        (targets(pods(&client, "app=agent").await) == ["node-a", "node-b"]).then_some(())
    })
    .await;
    create_node(&client, "node-c", "us-east-1c").await;
    eventually("a pod on the new node", DEADLINE, || async {
        (targets(pods(&client, "app=agent").await) == ["node-a", "node-b", "node-c"]).then_some(())
    })
    .await;
    let status = eventually("daemonset status", DEADLINE, || async {
        let status = daemonsets.get("agent").await.expect("get").status?;
        (status.desired_number_scheduled == 3 && status.current_number_scheduled == 3).then_some(status)
    })
    .await;
    assert_eq!(status.updated_number_scheduled, Some(3));
    let revisions = Api::<ControllerRevision>::namespaced(client.clone(), "default")
        .list(&ListParams::default())
        .await
        .expect("list revisions")
        .items;
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0].revision, 1);
    harness.stop().await;
}

#[tokio::test]
async fn a_statefulset_creates_its_pods_in_order() {
    let harness = start(Clock::system()).await;
    let client = harness.client.clone();
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), "default");
    let sts = object(json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "main", "image": "busybox"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}));
    sets.create(&PostParams::default(), &sts).await.expect("create statefulset");
    for ordinal in 0..3 {
        let names = eventually("the next pod", DEADLINE, || async {
            let names: Vec<String> = pods(&client, "app=db").await.iter().map(|p| p.name_any()).collect();
            (names.len() == ordinal + 1).then_some(names)
        })
        .await;
        let expected: Vec<String> = (0..=ordinal).map(|o| format!("db-{o}")).collect();
        assert_eq!(names, expected, "pods come one at a time, in order");
        let pod: Pod = Api::namespaced(client.clone(), "default").get(&format!("db-{ordinal}")).await.expect("get pod");
        assert_eq!(pod.labels()["statefulset.kubernetes.io/pod-name"], format!("db-{ordinal}"));
        assert_eq!(pod.labels()["apps.kubernetes.io/pod-index"], ordinal.to_string());
        assert!(pod.labels().contains_key("controller-revision-hash"));
        set_phase(&client, &format!("db-{ordinal}"), "Running", true, 0).await;
    }
    let claims: Vec<String> = Api::<PersistentVolumeClaim>::namespaced(client.clone(), "default")
        .list(&ListParams::default())
        .await
        .expect("list claims")
        .items
        .iter()
        .map(|c| c.name_any())
        .collect();
    assert_eq!(claims, ["data-db-0", "data-db-1", "data-db-2"]);
    let status = eventually("statefulset status", DEADLINE, || async {
        let status = sets.get("db").await.expect("get").status?;
        (status.ready_replicas == Some(3)).then_some(status)
    })
    .await;
    assert_eq!(status.current_revision, status.update_revision);
    assert_eq!(status.updated_replicas, Some(3));
    // Scaling down removes the highest ordinals.
    sets.patch("db", &PatchParams::default(), &Patch::Merge(json!({"spec": {"replicas": 1}}))).await.expect("scale");
    eventually("one pod left", DEADLINE, || async {
        let names: Vec<String> = pods(&client, "app=db").await.iter().map(|p| p.name_any()).collect();
        (names == ["db-0"]).then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn a_service_gets_endpoints_and_a_slice_of_its_ready_pods() {
    let harness = start(Clock::system()).await;
    let client = harness.client.clone();
    create_node(&client, "node-a", "us-east-1a").await;
    let services: Api<Service> = Api::namespaced(client.clone(), "default");
    let service = object(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}));
    services.create(&PostParams::default(), &service).await.expect("create service");
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), "default");
    for name in ["web-1", "web-2"] {
        let pod = object(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "web"}},
            "spec": {"nodeName": "node-a", "containers": [{"name": "main", "image": "nginx", "ports": [{"name": "http", "containerPort": 8080}]}]}}),
        );
        pods_api.create(&PostParams::default(), &pod).await.expect("create pod");
    }
    set_phase(&client, "web-1", "Running", true, 0).await;
    set_phase(&client, "web-2", "Running", false, 0).await;
    let ready_ip = pods_api.get("web-1").await.expect("get").status.and_then(|s| s.pod_ip).expect("ip");
    let endpoints_api: Api<Endpoints> = Api::namespaced(client.clone(), "default");
    let subset = eventually("endpoints", DEADLINE, || async {
        let endpoints = endpoints_api.get_opt("web").await.expect("get")?;
        let subset = endpoints.subsets?.into_iter().next()?;
        (subset.not_ready_addresses.is_some() && subset.addresses.is_some()).then_some(subset)
    })
    .await;
    let addresses = subset.addresses.expect("ready");
    assert_eq!(addresses.len(), 1);
    assert_eq!(addresses[0].ip, ready_ip);
    assert_eq!(addresses[0].node_name.as_deref(), Some("node-a"));
    assert_eq!(subset.ports.expect("ports")[0].port, 8080);
    let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), "default");
    let slice = eventually("a slice", DEADLINE, || async {
        let list = slices.list(&ListParams::default().labels("kubernetes.io/service-name=web")).await.expect("list");
        list.items.into_iter().find(|s| s.endpoints.len() == 2)
    })
    .await;
    assert!(slice.name_any().starts_with("web-"));
    assert_eq!(slice.labels()["endpointslice.kubernetes.io/managed-by"], "endpointslice-controller.k8s.io");
    assert_eq!(slice.address_type, "IPv4");
    let ready = slice.endpoints.iter().find(|e| e.addresses == [ready_ip.clone()]).expect("the ready pod");
    assert_eq!(ready.conditions.as_ref().and_then(|c| c.ready), Some(true));
    assert_eq!(ready.zone.as_deref(), Some("us-east-1a"));
    // The default/kubernetes endpoints (no selector) are left alone.
    let kubernetes = endpoints_api.get_opt("kubernetes").await.expect("get");
    assert!(kubernetes.is_none_or(|e| !e.labels().contains_key("kubernetes.io/service-name")));
    harness.stop().await;
}

#[tokio::test]
async fn an_indexed_job_completes_its_indexes_and_its_time_to_live_deletes_it() {
    let harness = start(Clock::system()).await;
    let client = harness.client.clone();
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    let spec = json!({"completions": 2, "parallelism": 2, "completionMode": "Indexed", "ttlSecondsAfterFinished": 1});
    jobs.create(&PostParams::default(), &job_spec("indexed", spec)).await.expect("create job");
    let running = eventually("two indexed pods", DEADLINE, || async {
        let pods = pods(&client, "job-name=indexed").await;
        (pods.len() == 2).then_some(pods)
    })
    .await;
    let mut indexes: Vec<String> =
        running.iter().map(|p| p.annotations()["batch.kubernetes.io/job-completion-index"].clone()).collect();
    indexes.sort();
    assert_eq!(indexes, ["0", "1"]);
    for pod in &running {
        set_phase(&client, &pod.name_any(), "Succeeded", false, 0).await;
    }
    let job = eventually("the job completes", DEADLINE, || async {
        let job = jobs.get_opt("indexed").await.expect("get job")?;
        job_condition(&job, "Complete").is_some().then_some(job)
    })
    .await;
    assert_eq!(job.status.and_then(|s| s.completed_indexes).as_deref(), Some("0-1"));
    eventually("the finished job is deleted", DEADLINE, || async {
        jobs.get_opt("indexed").await.expect("get job").is_none().then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn a_daemonset_template_change_rolls_its_pods() {
    let harness = start(Clock::system()).await;
    let client = harness.client.clone();
    create_node(&client, "node-a", "us-east-1a").await;
    create_node(&client, "node-b", "us-east-1b").await;
    let daemonsets: Api<DaemonSet> = Api::namespaced(client.clone(), "default");
    let ds = object(json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "roll"},
        "spec": {"selector": {"matchLabels": {"app": "roll"}}, "template": {"metadata": {"labels": {"app": "roll"}},
            "spec": {"containers": [{"name": "main", "image": "busybox:1"}]}}}}));
    daemonsets.create(&PostParams::default(), &ds).await.expect("create daemonset");
    let image =
        |pod: &Pod| pod.spec.as_ref().map(|s| s.containers[0].image.clone().unwrap_or_default()).unwrap_or_default();
    eventually("two old pods", DEADLINE, || async {
        let pods = pods(&client, "app=roll").await;
        (pods.len() == 2 && pods.iter().all(|p| image(p) == "busybox:1")).then_some(())
    })
    .await;
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "busybox:2"}]}}}});
    daemonsets.patch("roll", &PatchParams::default(), &Patch::Strategic(patch)).await.expect("patch image");
    eventually("two new pods", DEADLINE, || async {
        let pods = pods(&client, "app=roll").await;
        (pods.len() == 2 && pods.iter().all(|p| image(p) == "busybox:2")).then_some(())
    })
    .await;
    let mut revisions: Vec<i64> = Api::<ControllerRevision>::namespaced(client.clone(), "default")
        .list(&ListParams::default())
        .await
        .expect("list revisions")
        .items
        .iter()
        .map(|r| r.revision)
        .collect();
    revisions.sort();
    assert_eq!(revisions, [1, 2]);
    harness.stop().await;
}

#[tokio::test]
async fn a_deleted_pod_leaves_the_endpoints() {
    let harness = start(Clock::system()).await;
    let client = harness.client.clone();
    let services: Api<Service> = Api::namespaced(client.clone(), "default");
    let service = object(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
        "spec": {"selector": {"app": "api"}, "ports": [{"port": 80}]}}));
    services.create(&PostParams::default(), &service).await.expect("create service");
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pod =
        object(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api-1", "labels": {"app": "api"}},
        "spec": {"containers": [{"name": "main", "image": "nginx"}]}}));
    pods_api.create(&PostParams::default(), &pod).await.expect("create pod");
    set_phase(&client, "api-1", "Running", true, 0).await;
    let endpoints_api: Api<Endpoints> = Api::namespaced(client.clone(), "default");
    eventually("the pod in the endpoints", DEADLINE, || async {
        let endpoints = endpoints_api.get_opt("api").await.expect("get")?;
        endpoints.subsets.is_some_and(|s| s.len() == 1).then_some(())
    })
    .await;
    pods_api.delete("api-1", &Default::default()).await.expect("delete pod");
    eventually("empty endpoints", DEADLINE, || async {
        let endpoints = endpoints_api.get_opt("api").await.expect("get")?;
        endpoints.subsets.is_none_or(|s| s.is_empty()).then_some(())
    })
    .await;
    services.delete("api", &Default::default()).await.expect("delete service");
    eventually("the endpoints go with the service", DEADLINE, || async {
        endpoints_api.get_opt("api").await.expect("get").is_none().then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn a_suspended_job_runs_nothing_until_resumed() {
    let harness = start(Clock::system()).await;
    let client = harness.client.clone();
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    jobs.create(&PostParams::default(), &job_spec("later", json!({"suspend": true}))).await.expect("create job");
    let job = eventually("the Suspended condition", DEADLINE, || async {
        let job = jobs.get("later").await.expect("get job");
        job_condition(&job, "Suspended").is_some().then_some(job)
    })
    .await;
    assert_eq!(job_condition(&job, "Suspended"), Some(("JobSuspended".into(), "Job suspended".into())));
    assert!(pods(&client, "job-name=later").await.is_empty());
    jobs.patch("later", &PatchParams::default(), &Patch::Merge(json!({"spec": {"suspend": false}})))
        .await
        .expect("resume");
    eventually("a pod once resumed", DEADLINE, || async {
        (pods(&client, "job-name=later").await.len() == 1).then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn a_pod_failure_policy_fails_the_job_at_once() {
    let harness = start(Clock::system()).await;
    let client = harness.client.clone();
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    let policy = json!({"backoffLimit": 5, "podFailurePolicy": {"rules": [
        {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}}]}});
    jobs.create(&PostParams::default(), &job_spec("strict", policy)).await.expect("create job");
    let pod =
        eventually("a pod", DEADLINE, || async { pods(&client, "job-name=strict").await.into_iter().next() }).await;
    set_phase(&client, &pod.name_any(), "Failed", false, 42).await;
    let job = eventually("the job fails", DEADLINE, || async {
        let job = jobs.get("strict").await.expect("get job");
        job_condition(&job, "Failed").is_some().then_some(job)
    })
    .await;
    let message = format!(
        "Container main for pod default/{} failed with exit code 42 matching FailJob rule at index 0",
        pod.name_any()
    );
    assert_eq!(job_condition(&job, "Failed"), Some(("PodFailurePolicy".into(), message)));
    assert_eq!(pods(&client, "job-name=strict").await.len(), 1, "no retry");
    harness.stop().await;
}

#[tokio::test]
async fn a_replace_cronjob_swaps_its_running_job_when_the_schedule_fires_again() {
    use std::sync::atomic::{AtomicI64, Ordering};
    // The controllers' clock runs `ahead` seconds in front of the wall clock; the test moves it on.
    let ahead = Arc::new(AtomicI64::new(120));
    let offset = ahead.clone();
    let clock =
        Clock::new(move || jiff::Timestamp::now() + jiff::SignedDuration::from_secs(offset.load(Ordering::SeqCst)));
    let harness = start(clock).await;
    let client = harness.client.clone();
    let cronjobs: Api<CronJob> = Api::namespaced(client.clone(), "default");
    let cronjob = object(json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "swap"},
        "spec": {"schedule": "* * * * *", "concurrencyPolicy": "Replace", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox"}]}}}}}}));
    cronjobs.create(&PostParams::default(), &cronjob).await.expect("create cronjob");
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    let job_names = || async {
        let list = jobs.list(&ListParams::default()).await.expect("list").items;
        list.into_iter().filter(|j| j.metadata.deletion_timestamp.is_none()).map(|j| j.name_any()).collect::<Vec<_>>()
    };
    let first = eventually("a first job", DEADLINE, || async {
        let names = job_names().await;
        (names.len() == 1).then(|| names[0].clone())
    })
    .await;
    ahead.fetch_add(120, Ordering::SeqCst);
    // Any change makes the controller look again (it would on its own at the next minute).
    let touch = json!({"metadata": {"annotations": {"touched": "yes"}}});
    cronjobs.patch("swap", &PatchParams::default(), &Patch::Merge(touch)).await.expect("touch");
    let second = eventually("the job replaced", DEADLINE, || async {
        let names = job_names().await;
        (names.len() == 1 && names[0] != first).then(|| names[0].clone())
    })
    .await;
    let minutes = |name: &str| name.strip_prefix("swap-").and_then(|m| m.parse::<i64>().ok()).expect("minutes");
    assert!(minutes(&second) >= minutes(&first) + 2, "{first} then {second}");
    harness.stop().await;
}

#[tokio::test]
async fn deleting_a_job_releases_its_pods() {
    let harness = start(Clock::system()).await;
    let client = harness.client.clone();
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    jobs.create(&PostParams::default(), &job_spec("gone", json!({}))).await.expect("create job");
    let pod = eventually("a pod", DEADLINE, || async { pods(&client, "job-name=gone").await.into_iter().next() }).await;
    let orphan = kube::api::DeleteParams {
        propagation_policy: Some(kube::api::PropagationPolicy::Orphan),
        ..Default::default()
    };
    jobs.delete("gone", &orphan).await.expect("delete job");
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), "default");
    pods_api.delete(&pod.name_any(), &Default::default()).await.expect("delete pod");
    eventually("the pod is gone", DEADLINE, || async {
        pods_api.get_opt(&pod.name_any()).await.expect("get").is_none().then_some(())
    })
    .await;
    harness.stop().await;
}

/// Pods of many Jobs finish one right after another, so the controller reconciles while its own status writes
/// are still on their way back through the watch: every success is counted once, and no Job completes early
/// (completing early would delete a still-running pod).
#[tokio::test]
async fn pods_finishing_in_a_burst_are_each_counted_once() {
    const JOBS: usize = 16;
    const COMPLETIONS: usize = 6;
    let harness = start(Clock::system()).await;
    let client = harness.client.clone();
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    for n in 0..JOBS {
        let spec = json!({"completions": COMPLETIONS, "parallelism": COMPLETIONS});
        jobs.create(&PostParams::default(), &job_spec(&format!("burst-{n}"), spec)).await.expect("create job");
    }
    let all = eventually("every job pod created", Duration::from_secs(20), || async {
        let pods = pods(&client, "batch.kubernetes.io/job-name").await;
        (pods.len() == JOBS * COMPLETIONS).then_some(pods)
    })
    .await;
    // Interleave the Jobs so that each Job sees one success after another while it is reconciling.
    for round in 0..COMPLETIONS {
        let finishing = (0..JOBS).map(|n| {
            let job = format!("burst-{n}");
            let pod = all.iter().filter(|p| p.labels()["batch.kubernetes.io/job-name"] == job).nth(round).expect("pod");
            let client = client.clone();
            async move { set_phase(&client, &pod.name_any(), "Succeeded", false, 0).await }
        });
        futures::future::join_all(finishing).await;
    }
    for n in 0..JOBS {
        let name = format!("burst-{n}");
        let job = eventually("the job completes", Duration::from_secs(20), || async {
            let job = jobs.get(&name).await.expect("get job");
            job_condition(&job, "Complete").is_some().then_some(job)
        })
        .await;
        let status = job.status.expect("status");
        assert_eq!(status.succeeded, Some(i32::try_from(COMPLETIONS).expect("small")), "{name}");
        let pods = pods(&client, &format!("batch.kubernetes.io/job-name={name}")).await;
        assert_eq!(pods.len(), COMPLETIONS, "{name}: a pod was deleted");
        assert!(pods.iter().all(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Succeeded")));
    }
    harness.stop().await;
}

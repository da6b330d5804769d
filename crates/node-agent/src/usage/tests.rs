use serde_json::json;

use super::*;

const MI: u64 = 1 << 20;
const GI: u64 = 1 << 30;
const MILLI: u64 = 1_000_000;

fn at() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

fn workload(kind: &str, name: &str) -> Workload {
    Workload { namespace: "shop".into(), kind: kind.into(), name: name.into() }
}

/// A container `(name, cpu request m, memory request MiB, cpu limit m, memory limit MiB)`.
type Spec<'a> = (&'a str, u64, u64, Option<u64>, Option<u64>);

fn entry(name: &str, node: &str, workload: &Workload, ready: bool, containers: &[Spec<'_>]) -> PodEntry {
    PodEntry {
        namespace: "shop".into(),
        name: name.into(),
        node: node.into(),
        labels: [("app".to_owned(), name.to_owned())].into(),
        workload: workload.clone(),
        ready,
        start: at(),
        containers: containers
            .iter()
            .map(|(name, cpu, memory, cpu_limit, memory_limit)| ContainerEntry {
                name: (*name).into(),
                resources: Resources {
                    cpu_request: *cpu,
                    memory_request: memory * MI,
                    cpu_limit: *cpu_limit,
                    memory_limit: memory_limit.map(|limit| limit * MI),
                },
            })
            .collect(),
        fixed: Usage::default(),
        load: Load::default(),
    }
}

fn capacity(cpu_millis: u64) -> Capacity {
    Capacity { cpu_millis, memory_bytes: 8 * GI, pods: 29, ephemeral_storage_bytes: 20 * GI, gpus: 0 }
}

fn snapshot_of(nodes: &[(&str, Capacity)], pods: &[PodEntry], loads: &Loads) -> UsageSnapshot {
    compute(at(), nodes, loads, &mut |visit| pods.iter().for_each(&mut *visit))
}

/// `(cpu nanocores, memory bytes)` of each container of pod `name`.
fn containers_of(snapshot: &UsageSnapshot, name: &str) -> Vec<(u64, u64)> {
    let pod = snapshot.pods.iter().find(|pod| pod.name == name).unwrap_or_else(|| panic!("{name} in {snapshot:?}"));
    pod.containers.iter().map(|c| (c.cpu_nanocores, c.memory_bytes)).collect()
}

fn pod_with(metadata: serde_json::Value) -> Pod {
    serde_json::from_value(json!({ "metadata": metadata })).unwrap()
}

#[test]
fn fixed_usage_is_split_by_requests_or_evenly() {
    let nodes = [("n1", capacity(2000))];
    let mut web = entry(
        "web",
        "n1",
        &workload("Pod", "web"),
        true,
        &[("app", 100, 64, None, None), ("proxy", 300, 192, None, None)],
    );
    web.fixed = Usage { cpu_millis: Some(1000), memory_bytes: Some(256 * MI) };
    let mut bare =
        entry("bare", "n1", &workload("Pod", "bare"), false, &[("a", 0, 0, None, None), ("b", 0, 0, None, None)]);
    bare.fixed = Usage { cpu_millis: Some(500), memory_bytes: None };
    let snapshot = snapshot_of(&nodes, &[web, bare], &Loads::new());
    assert_eq!(containers_of(&snapshot, "web"), [(250 * MILLI, 64 * MI), (750 * MILLI, 192 * MI)]);
    // Fixed usage applies whether or not the pod is Ready; the memory it does not fix is idle.
    assert_eq!(containers_of(&snapshot, "bare"), [(250 * MILLI, IDLE_MEMORY_BYTES), (250 * MILLI, IDLE_MEMORY_BYTES)]);
    // Parts add up, the remainder going to the first.
    assert_eq!(split(10, [1, 1, 1].into_iter()), [4, 3, 3]);
    assert_eq!(split(7, [0, 2, 5].into_iter()), [0, 2, 5]);
    assert_eq!(
        split(u64::MAX, [u64::MAX, u64::MAX].into_iter()).iter().map(|p| u128::from(*p)).sum::<u128>(),
        u128::from(u64::MAX)
    );
    assert!(split(5, std::iter::empty()).is_empty());
}

#[test]
fn a_deployment_s_replica_sets_are_one_workload() {
    let owned = |rs: &str, hash: &str| {
        pod_with(json!({
            "name": format!("{rs}-x"), "namespace": "shop", "labels": { "pod-template-hash": hash },
            "ownerReferences": [
                { "apiVersion": "v1", "kind": "Node", "name": "n1", "uid": "0" },
                { "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": "1", "controller": true },
            ],
        }))
    };
    assert_eq!(Workload::of(&owned("web-6d4cf56db6", "6d4cf56db6")), workload("Deployment", "web"));
    assert_eq!(Workload::of(&owned("web-7f8b9c", "7f8b9c")), workload("Deployment", "web"));
    assert_eq!(Workload::of(&owned("my-web-7f8b9c", "7f8b9c")), workload("Deployment", "my-web"));
    // A ReplicaSet of its own (no matching hash) is the workload itself.
    assert_eq!(Workload::of(&owned("cache", "abc")), workload("ReplicaSet", "cache"));
    assert_eq!(Workload::of(&owned("abc", "abc")), workload("ReplicaSet", "abc"));
    let job = pod_with(json!({ "name": "pi-1", "namespace": "shop", "ownerReferences": [
        { "apiVersion": "batch/v1", "kind": "Job", "name": "pi", "uid": "2", "controller": true }] }));
    assert_eq!(Workload::of(&job), workload("Job", "pi"));
    // No controller: the pod itself.
    let lone = pod_with(json!({ "name": "debug", "namespace": "shop", "ownerReferences": [
        { "apiVersion": "v1", "kind": "Node", "name": "n1", "uid": "0" }] }));
    assert_eq!(Workload::of(&lone), workload("Pod", "debug"));
}

#[test]
fn a_load_is_shared_by_the_workload_s_ready_pods() {
    let nodes = [("n1", capacity(8000)), ("n2", capacity(8000))];
    let web = workload("Deployment", "web");
    let load = Load { cpu_millis: Some(3000), memory_bytes: Some(3 * GI) };
    let pod = |name: &str, node: &str, ready: bool| {
        let mut pod = entry(name, node, &web, ready, &[("app", 100, 128, None, None)]);
        pod.load = load;
        pod
    };
    // Two Ready pods (of the old and the new ReplicaSet, one workload) on two nodes, and one starting.
    let pods = [pod("web-a", "n1", true), pod("web-b", "n2", true), pod("web-c", "n1", false)];
    let snapshot = snapshot_of(&nodes, &pods, &Loads::new());
    assert_eq!(containers_of(&snapshot, "web-a"), [(1500 * MILLI, 3 * GI / 2)]);
    assert_eq!(containers_of(&snapshot, "web-b"), [(1500 * MILLI, 3 * GI / 2)]);
    assert_eq!(containers_of(&snapshot, "web-c"), [(IDLE_CPU_NANOCORES, IDLE_MEMORY_BYTES)]);
    // Scaled out: each Ready pod carries less.
    let pods = [pod("web-a", "n1", true), pod("web-b", "n2", true), pod("web-c", "n1", true)];
    let snapshot = snapshot_of(&nodes, &pods, &Loads::new());
    for name in ["web-a", "web-b", "web-c"] {
        assert_eq!(containers_of(&snapshot, name), [(1000 * MILLI, GI)]);
    }
    // Another workload's load is its own.
    let mut other = entry("api", "n2", &workload("Deployment", "api"), true, &[("app", 0, 0, None, None)]);
    other.load = Load { cpu_millis: Some(200), memory_bytes: None };
    let snapshot = snapshot_of(&nodes, &[pod("web-a", "n1", true), other], &Loads::new());
    assert_eq!(containers_of(&snapshot, "web-a"), [(3000 * MILLI, 3 * GI)]);
    assert_eq!(containers_of(&snapshot, "api"), [(200 * MILLI, IDLE_MEMORY_BYTES)]);
}

#[test]
fn the_load_table_overrides_the_annotations() {
    let nodes = [("n1", capacity(8000))];
    let web = workload("Deployment", "web");
    let pod = |name: &str| {
        let mut pod = entry(name, "n1", &web, true, &[("app", 0, 0, None, None)]);
        pod.load = Load { cpu_millis: Some(3000), memory_bytes: Some(GI) };
        pod
    };
    let pods = [pod("web-a"), pod("web-b")];
    let loads = Loads::new();
    assert_eq!(containers_of(&snapshot_of(&nodes, &pods, &loads), "web-a"), [(1500 * MILLI, GI / 2)]);
    loads.set(web.clone(), Load { cpu_millis: Some(6000), memory_bytes: None });
    // The table's CPU wins; the memory it does not set stays the annotation's.
    assert_eq!(containers_of(&snapshot_of(&nodes, &pods, &loads), "web-a"), [(3000 * MILLI, GI / 2)]);
    assert_eq!(loads.get(&web), Some(Load { cpu_millis: Some(6000), memory_bytes: None }));
    assert_eq!(loads.list(), [(web.clone(), Load { cpu_millis: Some(6000), memory_bytes: None })]);
    // A table entry works without annotations too.
    let bare = entry("api-a", "n1", &workload("Deployment", "api"), true, &[("app", 0, 0, None, None)]);
    loads.set(workload("Deployment", "api"), Load { cpu_millis: Some(400), memory_bytes: Some(512 * MI) });
    assert_eq!(containers_of(&snapshot_of(&nodes, &[bare], &loads), "api-a"), [(400 * MILLI, 512 * MI)]);
    assert_eq!(loads.clear(&web), Some(Load { cpu_millis: Some(6000), memory_bytes: None }));
    assert_eq!(loads.clear(&web), None);
    assert_eq!(containers_of(&snapshot_of(&nodes, &pods, &loads), "web-a"), [(1500 * MILLI, GI / 2)]);
}

#[test]
fn fixed_usage_wins_over_a_load_resource_by_resource() {
    let nodes = [("n1", capacity(8000))];
    let mut pod = entry("web-a", "n1", &workload("Deployment", "web"), true, &[("app", 0, 0, None, None)]);
    pod.fixed = Usage { cpu_millis: Some(100), memory_bytes: None };
    pod.load = Load { cpu_millis: Some(3000), memory_bytes: Some(GI) };
    let loads = Loads::new();
    loads.set(workload("Deployment", "web"), Load { cpu_millis: Some(5000), memory_bytes: None });
    assert_eq!(containers_of(&snapshot_of(&nodes, &[pod], &loads), "web-a"), [(100 * MILLI, GI)]);
}

#[test]
fn cpu_limits_throttle_and_idle_containers_use_little() {
    let nodes = [("n1", capacity(4000))];
    let mut busy = entry(
        "busy",
        "n1",
        &workload("Pod", "busy"),
        true,
        &[("capped", 500, 64, Some(500), Some(64)), ("free", 500, 64, None, None)],
    );
    busy.fixed = Usage { cpu_millis: Some(2000), memory_bytes: Some(512 * MI) };
    let idle = entry(
        "idle",
        "n1",
        &workload("Pod", "idle"),
        true,
        &[("app", 250, 256, Some(1), None), ("tiny", 0, 0, Some(0), None)],
    );
    let snapshot = snapshot_of(&nodes, &[busy, idle], &Loads::new());
    // The limit caps CPU; memory above its limit is not capped (the container is OOM-killed instead).
    assert_eq!(containers_of(&snapshot, "busy"), [(500 * MILLI, 256 * MI), (1000 * MILLI, 256 * MI)]);
    assert_eq!(containers_of(&snapshot, "idle"), [(IDLE_CPU_NANOCORES, IDLE_MEMORY_BYTES), (0, IDLE_MEMORY_BYTES)]);
    const { assert!(IDLE_CPU_NANOCORES <= 5 * MILLI && IDLE_MEMORY_BYTES <= 16 * MI) };
}

#[test]
fn a_node_uses_its_pods_and_its_system_up_to_its_capacity() {
    let nodes = [("n2", capacity(2000)), ("n1", capacity(2000)), ("empty", capacity(2000))];
    let mut a = entry("a", "n1", &workload("Pod", "a"), true, &[("app", 0, 0, None, None), ("side", 0, 0, None, None)]);
    a.fixed = Usage { cpu_millis: Some(300), memory_bytes: Some(100 * MI) };
    let b = entry("b", "n1", &workload("Pod", "b"), false, &[("app", 0, 0, None, None)]);
    let mut hot = entry("hot", "n2", &workload("Pod", "hot"), true, &[("app", 0, 0, None, None)]);
    hot.fixed = Usage { cpu_millis: Some(5000), memory_bytes: None };
    // A pod on a node not listed (failed, or gone) reports nothing.
    let lost = entry("lost", "n9", &workload("Pod", "lost"), true, &[("app", 0, 0, None, None)]);
    let snapshot = snapshot_of(&nodes, &[hot, lost, b, a], &Loads::new());
    assert_eq!(snapshot.at, at());
    let names: Vec<&str> = snapshot.pods.iter().map(|pod| pod.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "hot"]);
    let by_name: Vec<(&str, u64, u64)> =
        snapshot.nodes.iter().map(|node| (node.name.as_str(), node.cpu_nanocores, node.memory_bytes)).collect();
    assert_eq!(
        by_name,
        [
            ("empty", SYSTEM_CPU_MILLIS * MILLI, SYSTEM_MEMORY_BYTES),
            (
                "n1",
                (300 + SYSTEM_CPU_MILLIS) * MILLI + IDLE_CPU_NANOCORES,
                100 * MI + IDLE_MEMORY_BYTES + SYSTEM_MEMORY_BYTES
            ),
            // 5 cores on a 2-core node: the node's CPU is its capacity.
            ("n2", 2000 * MILLI, IDLE_MEMORY_BYTES + SYSTEM_MEMORY_BYTES),
        ]
    );
    let pod = &snapshot.pods[0];
    assert_eq!((pod.namespace.as_str(), pod.node.as_str(), pod.start), ("shop", "n1", at()));
    assert_eq!(pod.containers.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["app", "side"]);
}

#[test]
fn annotations_are_read_and_garbage_is_absent_or_saturates() {
    let pod = pod_with(json!({ "name": "p", "annotations": {
        CPU_USAGE: "250m", MEMORY_USAGE: "128Mi", CPU_LOAD: "1.5", MEMORY_LOAD: "6Gi" } }));
    assert_eq!(Usage::of(&pod), Usage { cpu_millis: Some(250), memory_bytes: Some(128 * MI) });
    assert_eq!(Load::of(&pod), Load { cpu_millis: Some(1500), memory_bytes: Some(6 * GI) });
    let garbage = pod_with(json!({ "name": "p", "annotations": {
        CPU_USAGE: "lots", MEMORY_USAGE: "-1Gi", CPU_LOAD: "", MEMORY_LOAD: "1e99999" } }));
    assert_eq!((Usage::of(&garbage), Load::of(&garbage)), (Usage::default(), Load::default()));
    assert_eq!(Usage::of(&pod_with(json!({ "name": "p" }))), Usage::default());
    let huge = pod_with(json!({ "name": "p", "annotations": {
        CPU_USAGE: "99999999999999999999Gi", MEMORY_USAGE: "99999999999999999999Gi",
        CPU_LOAD: "99999999999999999999", MEMORY_LOAD: "99999999999999999999Gi" } }));
    let usage = Usage::of(&huge);
    assert_eq!(usage, Usage { cpu_millis: Some(u64::MAX), memory_bytes: Some(u64::MAX) });
    // Saturated values go through the model without overflow.
    let nodes = [("n1", capacity(2000))];
    let mut a = entry(
        "a",
        "n1",
        &workload("Pod", "a"),
        true,
        &[("x", 1, 1, None, None), ("y", u64::MAX, u64::MAX / MI, None, None)],
    );
    a.fixed = usage;
    let mut b = entry("b", "n1", &workload("Deployment", "b"), true, &[("x", 0, 0, None, None)]);
    b.load = Load::of(&huge);
    let snapshot = snapshot_of(&nodes, &[a, b], &Loads::new());
    assert_eq!(containers_of(&snapshot, "b"), [(u64::MAX, u64::MAX)]);
    assert_eq!((snapshot.nodes[0].cpu_nanocores, snapshot.nodes[0].memory_bytes), (2000 * MILLI, u64::MAX));
}

#[test]
fn loads_and_workloads_serialize_in_camel_case() {
    let load = Load { cpu_millis: Some(3000), memory_bytes: None };
    assert_eq!(serde_json::to_value(load).unwrap(), json!({ "cpuMillis": 3000 }));
    let back: Load = serde_json::from_value(json!({ "memoryBytes": 1024 })).unwrap();
    assert_eq!(back, Load { cpu_millis: None, memory_bytes: Some(1024) });
    let web = workload("Deployment", "web");
    assert_eq!(
        serde_json::to_value(&web).unwrap(),
        json!({ "namespace": "shop", "kind": "Deployment", "name": "web" })
    );
}

fn limited_pod(annotations: serde_json::Value, memory_limit: Option<&str>, extra: serde_json::Value) -> Pod {
    let resources = match memory_limit {
        Some(limit) => json!({ "limits": { "memory": limit } }),
        None => json!({}),
    };
    let mut pod = json!({
        "metadata": { "name": "web-x", "namespace": "shop", "annotations": annotations,
                      "labels": { "pod-template-hash": "abc" },
                      "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc",
                                            "uid": "1", "controller": true }] },
        "spec": { "containers": [{ "name": "app", "image": "nginx", "resources": resources }] },
    });
    if let (Some(spec), Some(extra)) = (pod["spec"].as_object_mut(), extra.as_object()) {
        spec.extend(extra.clone());
    }
    serde_json::from_value(pod).unwrap()
}

#[test]
fn containers_above_their_memory_limit_run_out_of_memory() {
    let loads = Loads::new();
    let none = |_: &Workload| 0;
    let over = limited_pod(json!({ MEMORY_USAGE: "512Mi" }), Some("256Mi"), json!({}));
    assert_eq!(out_of_memory(&over, &loads, none), [true]);
    let under = limited_pod(json!({ MEMORY_USAGE: "256Mi" }), Some("256Mi"), json!({}));
    assert_eq!(out_of_memory(&under, &loads, none), [false]);
    let unlimited = limited_pod(json!({ MEMORY_USAGE: "64Gi" }), None, json!({}));
    assert_eq!(out_of_memory(&unlimited, &loads, none), [false]);
    // A memory load is compared as shared by the workload's Ready pods and this one.
    let loaded = limited_pod(json!({ MEMORY_LOAD: "6Gi" }), Some("1Gi"), json!({}));
    let mut asked = None;
    assert_eq!(
        out_of_memory(&loaded, &loads, |workload: &Workload| {
            asked = Some(workload.clone());
            2
        }),
        [true]
    );
    assert_eq!(asked, Some(workload("Deployment", "web")));
    assert_eq!(out_of_memory(&loaded, &loads, |_: &Workload| 5), [false]);
    // The table's load wins over the annotation.
    loads.set(workload("Deployment", "web"), Load { cpu_millis: None, memory_bytes: Some(12 * GI) });
    assert_eq!(out_of_memory(&loaded, &loads, |_: &Workload| 5), [true]);
    // Fixed memory wins over the load; idle containers never run out.
    let fixed = limited_pod(json!({ MEMORY_USAGE: "100Mi", MEMORY_LOAD: "60Gi" }), Some("1Gi"), json!({}));
    assert_eq!(out_of_memory(&fixed, &loads, none), [false]);
    assert_eq!(out_of_memory(&limited_pod(json!({}), Some("1Mi"), json!({})), &Loads::new(), none), [false]);
    // The fixed usage is split with a restartable sidecar by requests; only regular containers are answered for.
    let sidecar = limited_pod(
        json!({ MEMORY_USAGE: "1Gi" }),
        Some("600Mi"),
        json!({ "initContainers": [
            { "name": "setup", "image": "busybox", "resources": { "requests": { "memory": "10Gi" } } },
            { "name": "proxy", "image": "envoy", "restartPolicy": "Always",
              "resources": { "requests": { "memory": "600Mi" } } },
        ] }),
    );
    // 1 GiB over app (600Mi, its limit) and proxy (600Mi): 512Mi each, under the limit.
    assert_eq!(out_of_memory(&sidecar, &Loads::new(), none), [false]);
    let garbage = limited_pod(json!({ MEMORY_USAGE: "99999999999999999999Gi" }), Some("lots"), json!({}));
    assert_eq!(out_of_memory(&garbage, &Loads::new(), none), [false]);
}

#[test]
fn the_board_publishes_replaces_and_forgets() {
    let board = Board::new(3);
    let web = workload("Deployment", "web");
    let a = entry("a", "n1", &web, true, &[("app", 0, 0, None, None)]);
    let b = entry("b", "n1", &web, false, &[("app", 0, 0, None, None)]);
    board.publish(0, "uid-a", Some(a.clone()));
    board.publish(4, "uid-b", Some(b.clone()));
    assert_eq!(board.ready_pods(&web), 1);
    board.publish(4, "uid-b", Some(PodEntry { ready: true, ..b }));
    assert_eq!(board.ready_pods(&web), 2);
    assert_eq!(board.ready_pods(&workload("Deployment", "api")), 0);
    let snapshot = board.snapshot(at(), &[("n1", capacity(2000))], &Loads::new());
    assert_eq!(snapshot.pods.len(), 2);
    assert_eq!(snapshot.pods[0].labels.get("app").map(String::as_str), Some("a"), "labels select metrics");
    board.publish(0, "uid-a", None);
    board.publish(0, "uid-missing", None);
    assert_eq!(board.ready_pods(&web), 1);
    assert_eq!(board.snapshot(at(), &[("n1", capacity(2000))], &Loads::new()).pods.len(), 1);
}

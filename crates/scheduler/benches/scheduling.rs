//! Decision throughput of [`scheduler::schedule`]: pods per second over clusters of 1,000 and 5,000 nodes in
//! three zones, each node already running ten pods, for replicas of one Deployment (default spreading applies).
//! Each decided pod is added to the snapshot, as the scheduling loop assumes it, so later decisions see it.
//!
//! `cargo bench -p scheduler --bench scheduling` (set `SCHEDULER_BENCH_PODS` to change the pods per run). Results
//! go to stdout and to `target/bench/scheduler.json` and `.md`.

use std::time::{Duration, Instant};

use bench_report::{Report, human_duration, with_thousands};
use k8s_openapi::api::core::v1::{Node, Pod};
use scheduler::{Snapshot, schedule};
use serde_json::json;

fn node(idx: usize) -> Node {
    let zone = ["us-east-1a", "us-east-1b", "us-east-1c"][idx % 3];
    serde_json::from_value(json!({
        "metadata": { "name": format!("node-{idx}"), "labels": {
            "kubernetes.io/hostname": format!("node-{idx}"), "topology.kubernetes.io/zone": zone,
            "node.kubernetes.io/instance-type": "m5.4xlarge" } },
        "spec": {},
        "status": {
            "allocatable": { "cpu": "15890m", "memory": "61Gi", "pods": "234", "ephemeral-storage": "95Gi" },
            "conditions": [{ "type": "Ready", "status": "True" }],
        },
    }))
    .expect("a node")
}

fn pod(name: &str, owner: &str, node: Option<String>) -> Pod {
    serde_json::from_value(json!({
        "metadata": { "name": name, "namespace": "default", "uid": format!("uid-{name}"),
            "labels": { "app": owner },
            "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner,
                "uid": format!("uid-{owner}"), "controller": true }] },
        "spec": { "nodeName": node, "containers": [{ "name": "c", "image": "nginx",
            "resources": { "requests": { "cpu": "10m", "memory": "16Mi" } } }] },
    }))
    .expect("a pod")
}

/// Decides `n_pods` pods over `n_nodes` nodes; the pods scheduled and the time the decisions took.
fn run(n_nodes: usize, n_pods: usize) -> (usize, Duration) {
    let mut snapshot = Snapshot::new();
    for idx in 0..n_nodes {
        snapshot.upsert_node(&node(idx));
    }
    for idx in 0..n_nodes * 10 {
        snapshot.add_pod(&pod(
            &format!("existing-{idx}"),
            &format!("rs-{}", idx % 50),
            Some(format!("node-{}", idx % n_nodes)),
        ));
    }
    let pending: Vec<Pod> = (0..n_pods).map(|idx| pod(&format!("web-{idx}"), "web", None)).collect();
    let started = Instant::now();
    let mut scheduled = 0;
    for mut candidate in pending {
        if let Ok(node) = schedule(&candidate, &snapshot) {
            candidate.spec.get_or_insert_default().node_name = Some(node);
            snapshot.add_pod(&candidate);
            scheduled += 1;
        }
    }
    (scheduled, started.elapsed())
}

fn main() {
    let n_pods = std::env::var("SCHEDULER_BENCH_PODS").ok().and_then(|v| v.parse().ok()).unwrap_or(5_000);
    let mut report = Report::new(
        "scheduler",
        "Scheduler benchmark",
        format!(
            "`cargo bench -p scheduler --bench scheduling`: {} replicas of one Deployment (10m CPU, 16Mi each) \
             decided one after another by `scheduler::schedule` over three zones, every node already running ten \
             pods; each decision is added to the snapshot before the next, as the scheduling loop assumes it.",
            with_thousands(n_pods)
        ),
        "| Nodes | Pods scheduled | Seconds | Pods/s | Per decision | Anchor |\n|---:|---:|---:|---:|---:|---|",
        "Anchor: kube-scheduler's CI floor of 680 pods/s at 5,000 nodes; the goal is ten times that. This measures \
         decisions alone (filters, scores, default spreading); binding through the API is in the data plane \
         benchmark.",
        json!({ "pods": n_pods }),
    );
    println!("{}\n", report.caption());
    for n_nodes in [1_000, 5_000] {
        let (scheduled, elapsed) = run(n_nodes, n_pods);
        let rate = scheduled as f64 / elapsed.as_secs_f64();
        let per_decision = elapsed / u32::try_from(scheduled.max(1)).unwrap_or(u32::MAX);
        let anchor = if n_nodes == 5_000 { "680 pods/s (goal 6,800)" } else { "" };
        report.add(
            json!({ "nodes": n_nodes, "pods_scheduled": scheduled, "seconds": elapsed.as_secs_f64(),
                    "pods_per_second": rate }),
            format!(
                "| {} | {} | {:.3} | {} | {} | {anchor} |",
                with_thousands(n_nodes),
                with_thousands(scheduled),
                elapsed.as_secs_f64(),
                with_thousands(rate.round() as u64),
                human_duration(per_decision)
            ),
        );
    }
}

//! Decision throughput of [`scheduler::schedule`]: pods per second over clusters of 1,000 and 5,000 nodes in
//! three zones, each node already running ten pods, for replicas of one Deployment (default spreading applies).
//! Each decided pod is added to the snapshot, as the scheduling loop assumes it, so later decisions see it.
//!
//! `cargo bench -p scheduler --bench scheduling` (set `SCHEDULER_BENCH_PODS` to change the pods per run).

use std::time::Instant;

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

fn run(n_nodes: usize, n_pods: usize) {
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
    let elapsed = started.elapsed();
    let rate = scheduled as f64 / elapsed.as_secs_f64();
    println!(
        "{n_nodes:>5} nodes: {scheduled} pods in {:.3} s = {rate:.0} pods/s ({:.1} µs per decision)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / scheduled.max(1) as f64
    );
}

fn main() {
    let n_pods = std::env::var("SCHEDULER_BENCH_PODS").ok().and_then(|v| v.parse().ok()).unwrap_or(5_000);
    for n_nodes in [1_000, 5_000] {
        run(n_nodes, n_pods);
    }
}

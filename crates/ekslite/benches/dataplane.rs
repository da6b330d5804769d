//! The data plane benchmark: a cluster of simulated nodes in this process (API server on an in-memory or SQLite
//! store, scheduler, controllers and the node agent, wired as `ekslite serve` wires them), then pods created as
//! fast as a client can and timed from the create request to the watch event that shows them Running and Ready.
//!
//! Run it with `cargo bench -p ekslite --bench dataplane`, optionally followed by
//! `-- --nodes 1000 --pods 30000 --store memory|sqlite --pull-seconds 0 --rate 0` (`--rate`: pods created per
//! second, as Kubernetes' density tests pace them; 0, the default, creates them as fast as the API takes them, so
//! that startup latency then mostly measures the queue). It reports, beside the anchors of the
//! Kubernetes scalability SLOs (pod startup p99 <= 5 s) and kube-scheduler's CI floor (680 pods/s at 5,000
//! nodes): the time until every node is Ready, pod startup latency p50/p99/max, the throughput from the first
//! create to the last pod Running, the latency of the create calls under that load (API call SLO: p99 <= 1 s),
//! and the process's peak resident memory.
//!
//! Results go to stdout and to `target/bench/dataplane.json` and `.md`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use apiserver::{ControlPlanes, Identity, LocalService};
use bench_report::{Report, human_duration, percentile, with_thousands};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams, PostParams, WatchEvent, WatchParams};
use node_agent::{AgentConfig, Capacity, NodeAgent, NodeSpec, SubnetPool};
use serde_json::json;
use store::{DynStore, MemoryStore, SqliteStore};

/// The allocator the `ekslite` binary uses, so that the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];
/// Pods created at once.
const IN_FLIGHT: usize = 64;

struct Settings {
    nodes: usize,
    pods: usize,
    store: String,
    pull_seconds: f64,
    /// Pods created per second; 0 creates them as fast as the API takes them.
    rate: f64,
}

fn settings() -> Settings {
    let mut settings = Settings { nodes: 1000, pods: 30_000, store: "memory".into(), pull_seconds: 0.0, rate: 0.0 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--nodes" => settings.nodes = value().parse().expect("--nodes is a number"),
            "--pods" => settings.pods = value().parse().expect("--pods is a number"),
            "--store" => settings.store = value(),
            "--pull-seconds" => settings.pull_seconds = value().parse().expect("--pull-seconds is a number"),
            "--rate" => settings.rate = value().parse().expect("--rate is a number"),
            // cargo bench passes --bench; anything else is a mistake.
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    settings
}

/// The process's peak resident memory, from /proc.
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// m5.8xlarge-sized nodes (32 vCPUs, 128 GiB, 234 pods as the VPC CNI counts them), three zones, one /16 each.
fn node_specs(count: usize) -> Vec<NodeSpec> {
    (0..count)
        .map(|index| {
            let zone = ZONES[index % ZONES.len()];
            let subnet = index % ZONES.len();
            let host = index / ZONES.len() + 10;
            let ip = format!("10.{}.{}.{}", subnet, host / 250, host % 250 + 4);
            let name = format!("ip-{}.ec2.internal", ip.replace('.', "-"));
            let labels: BTreeMap<String, String> = [
                ("topology.kubernetes.io/zone", zone.to_owned()),
                ("topology.kubernetes.io/region", "us-east-1".to_owned()),
                ("node.kubernetes.io/instance-type", "m5.8xlarge".to_owned()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            NodeSpec {
                name: name.clone(),
                labels,
                annotations: BTreeMap::new(),
                taints: Vec::new(),
                capacity: Capacity {
                    cpu_millis: 32_000,
                    memory_bytes: 128 << 30,
                    pods: 234,
                    ephemeral_storage_bytes: 20 << 30,
                },
                addresses: vec![("InternalIP".into(), ip), ("Hostname".into(), name)],
                provider_id: Some(format!("aws:///{zone}/i-{index:017x}")),
                pod_subnet: Some(format!("10.{subnet}.0.0/16")),
            }
        })
        .collect()
}

fn pod(index: usize) -> Pod {
    serde_json::from_value(json!({
        "metadata": { "name": format!("bench-{index}"), "labels": { "app": "bench" } },
        "spec": { "containers": [{ "name": "app", "image": "nginx",
                                   "resources": { "requests": { "cpu": "10m", "memory": "16Mi" } } }] },
    }))
    .expect("a pod")
}

fn running_and_ready(pod: &Pod) -> bool {
    let status = pod.status.as_ref();
    status.and_then(|s| s.phase.as_deref()) == Some("Running")
        && status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn main() {
    let settings = settings();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(run(settings));
}

async fn run(settings: Settings) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let store: DynStore = match settings.store.as_str() {
        "memory" => Arc::new(MemoryStore::new()),
        "sqlite" => Arc::new(SqliteStore::open(directory.path()).await.expect("open SQLite")),
        other => panic!("--store is memory or sqlite, not {other}"),
    };
    let mut report = Report::new(
        "dataplane",
        "Data plane: nodes, scheduling and pod startup",
        format!(
            "{} simulated nodes and {} pods in one process ({} store), image pull {} s; pods are created {} at a \
             time{} and timed from the create request to the watch event showing them Running and Ready.",
            with_thousands(settings.nodes),
            with_thousands(settings.pods),
            settings.store,
            settings.pull_seconds,
            IN_FLIGHT,
            if settings.rate > 0.0 { format!(", paced at {} per second", settings.rate) } else { String::new() }
        ),
        "| Measure | Result | Anchor |\n|---|---|---|",
        "Anchors: the Kubernetes scalability SLO for pod startup (p99 <= 5 s, pods with pulled images) and \
         kube-scheduler's CI floor (680 pods/s at 5,000 nodes).",
        json!({ "nodes": settings.nodes, "pods": settings.pods, "store": settings.store,
                "pull_seconds": settings.pull_seconds, "in_flight": IN_FLIGHT, "rate": settings.rate }),
    );
    println!("{}\n", report.caption());
    println!("| Measure | Result | Anchor |\n|---|---|---|");

    let planes = ControlPlanes::new(store);
    planes.create("bench", None).await.expect("create a cluster");
    let api = planes.api("bench").expect("the cluster runs");
    let client = |user: &str| {
        let identity = Identity::Certificate { user: user.into(), groups: vec!["system:masters".into()] };
        kube::Client::new(LocalService::new(Arc::clone(&api), identity), "default")
    };
    let controllers = controllers::Controllers::start(client("controllers"), controllers::ControllersConfig::default());
    let scheduler = tokio::spawn(scheduler::run(client("scheduler"), scheduler::SchedulerConfig::default()));
    let config = AgentConfig { start_delay: Duration::from_secs_f64(settings.pull_seconds), ..AgentConfig::default() };
    let agent = NodeAgent::start(client("agent"), config, Arc::new(SubnetPool::default()));
    let admin = client("admin");

    // Nodes.
    let started = Instant::now();
    agent.set_nodes(node_specs(settings.nodes));
    let nodes: Api<Node> = Api::all(admin.clone());
    loop {
        let list = nodes.list(&ListParams::default()).await.expect("list nodes");
        let ready = list
            .items
            .iter()
            .filter(|node| {
                node.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
            })
            .count();
        if ready == settings.nodes {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let nodes_ready = started.elapsed();
    report.add(
        json!({ "measure": "nodes_ready_seconds", "value": nodes_ready.as_secs_f64() }),
        format!("| {} nodes Ready | {} | |", with_thousands(settings.nodes), human_duration(nodes_ready)),
    );

    // Pods: a watch records when each is Running and Ready.
    let pods: Api<Pod> = Api::namespaced(admin.clone(), "default");
    let version = pods.list(&ListParams::default()).await.expect("list pods").metadata.resource_version;
    let mut events =
        pods.watch(&WatchParams::default(), &version.unwrap_or_default()).await.expect("watch pods").boxed();
    let total = settings.pods;
    let watcher = tokio::spawn(async move {
        let mut seen: HashMap<String, Instant> = HashMap::with_capacity(total);
        while seen.len() < total {
            let Ok(Some(event)) = events.try_next().await else { break };
            if let WatchEvent::Modified(pod) = event
                && running_and_ready(&pod)
                && let Some(name) = pod.metadata.name
            {
                seen.entry(name).or_insert_with(Instant::now);
            }
        }
        seen
    });
    let creates_started = Instant::now();
    let sent: Vec<(String, Instant, Duration)> = futures::stream::iter(0..settings.pods)
        .map(|index| {
            let pods = pods.clone();
            let due = (settings.rate > 0.0).then(|| {
                tokio::time::Instant::from_std(creates_started) + Duration::from_secs_f64(index as f64 / settings.rate)
            });
            async move {
                if let Some(due) = due {
                    tokio::time::sleep_until(due).await;
                }
                let at = Instant::now();
                pods.create(&PostParams::default(), &pod(index)).await.expect("create a pod");
                (format!("bench-{index}"), at, at.elapsed())
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let created = creates_started.elapsed();
    let seen = tokio::time::timeout(Duration::from_secs(1800), watcher)
        .await
        .expect("every pod runs within 30 minutes")
        .expect("the watcher");
    let mut latencies: Vec<Duration> =
        sent.iter().filter_map(|(name, at, _)| seen.get(name).map(|running| running.duration_since(*at))).collect();
    latencies.sort();
    // The API's own latency under this load: every create call, while the scheduler, controllers and agent
    // write beside it.
    let mut create_calls: Vec<Duration> = sent.iter().map(|(_, _, call)| *call).collect();
    create_calls.sort();
    let last = seen.values().max().copied().unwrap_or(creates_started);
    let elapsed = last.duration_since(creates_started);
    let rate = settings.pods as f64 / elapsed.as_secs_f64();
    report.add(
        json!({ "measure": "create_seconds", "value": created.as_secs_f64() }),
        format!("| {} pods created | {} | |", with_thousands(settings.pods), human_duration(created)),
    );
    report.add(
        json!({ "measure": "scheduled_and_running_per_second", "value": rate }),
        format!(
            "| pods Running per second (create to last Running) | {} | 680 pods/s (scheduler only) |",
            with_thousands(rate.round() as u64)
        ),
    );
    for (label, fraction) in [("p50", 0.5), ("p99", 0.99), ("max", 1.0)] {
        let value = percentile(&latencies, fraction);
        report.add(
            json!({ "measure": format!("pod_startup_{label}_seconds"), "value": value.as_secs_f64() }),
            format!(
                "| pod startup {label} | {} | {} |",
                human_duration(value),
                if label == "p99" { "<= 5 s" } else { "" }
            ),
        );
    }
    for (label, fraction) in [("p50", 0.5), ("p99", 0.99)] {
        let value = percentile(&create_calls, fraction);
        report.add(
            json!({ "measure": format!("create_call_{label}_seconds"), "value": value.as_secs_f64() }),
            format!(
                "| API latency {label} (pod create calls under load) | {} | {} |",
                human_duration(value),
                if label == "p99" { "<= 1 s (API call SLO)" } else { "" }
            ),
        );
    }
    let rss = peak_rss_bytes();
    report.add(
        json!({ "measure": "peak_rss_bytes", "value": rss }),
        format!("| peak RSS | {} MiB | |", with_thousands(rss / (1024 * 1024))),
    );
    println!("\nwritten to {} and {}", report.json_path.display(), report.markdown_path.display());
    scheduler.abort();
    controllers.stop().await;
    agent.stop().await;
    planes.stop_all().await;
}

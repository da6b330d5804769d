//! The data plane benchmark, wired as `ekslite serve` wires it: one in-process server (`ekslite::server::Server`
//! on an in-memory or SQLite store, its routes served on a loopback port), then, through its own AWS endpoint as an
//! EKS user's script would, a VPC with four subnets per cluster, IAM roles, EKS clusters and managed node groups
//! whose instances Auto Scaling launches and the node agent registers; then pods created as fast as a client can and
//! timed from the create request to the watch event that shows them Running and Ready. Pod addresses come from the
//! VPC CNI (secondary addresses of the nodes' instances in EC2), as on a served cluster.
//!
//! Run it with `cargo bench -p ekslite --bench dataplane`, optionally followed by
//! `-- --clusters 5 --nodes 5000 --pods 150000 --store memory|sqlite --pull-seconds 0 --rate 0
//! --instance-type m5.xlarge` (`--nodes` and `--pods` are totals, spread evenly over the clusters; `--rate`: pods
//! created per second, as Kubernetes' density tests pace them; 0, the default, creates them as fast as the API takes
//! them, so that startup latency then mostly measures the queue). It reports, beside the anchors of the Kubernetes
//! scalability SLOs (pod startup p99 <= 5 s) and kube-scheduler's CI floor (680 pods/s at 5,000 nodes): the time
//! until every node is Ready, pod startup latency p50/p99/max, the throughput from the first create to the last pod
//! Running, the latency of the create calls under that load (API call SLO: p99 <= 1 s), the process's peak resident
//! memory, the bytes written to the store per node and per pod (all of it, and the AWS side's share), the largest
//! value ever written (goal: no record over 64 KB), what one `CreateTags` on a VPC writes, and DescribeInstances
//! paging through every instance.
//!
//! The store's writes are counted by a watch on the whole key space from the first revision, as a watch cache
//! would follow it.
//!
//! Results go to stdout and to `target/bench/dataplane.json` and `.md`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apiserver::{Identity, LocalService};
use bench_report::{Report, human_duration, percentile, with_thousands};
use ekslite::aws_client::{Aws, xml_values};
use ekslite::health::ServerInfo;
use ekslite::server::{Server, ServerOptions};
use futures::{StreamExt, TryStreamExt};
use hyper::Method;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams, PostParams, WatchEvent, WatchParams};
use serde_json::{Value, json};
use store::{DynStore, MemoryStore, SqliteStore};

/// The allocator the `ekslite` binary uses, so that the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const REGION: &str = "us-east-1";
/// Each cluster's VPC is split into four /18 subnets, one per zone.
const ZONES: [&str; 4] = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"];
/// Nodes per managed node group at most (EKS allows 450).
const NODES_PER_NODEGROUP: usize = 400;
/// Pods created at once.
const IN_FLIGHT: usize = 64;
/// The goal for the largest record.
const RECORD_LIMIT_BYTES: usize = 64 * 1024;
/// How long the AWS side may take to settle (a cluster or node group ACTIVE, nodes Ready).
const DEADLINE: Duration = Duration::from_secs(1800);

struct Settings {
    clusters: usize,
    nodes: usize,
    pods: usize,
    store: String,
    pull_seconds: f64,
    /// Pods created per second; 0 creates them as fast as the API takes them.
    rate: f64,
    instance_type: String,
}

fn settings() -> Settings {
    let mut settings = Settings {
        clusters: 1,
        nodes: 1000,
        pods: 30_000,
        store: "memory".into(),
        pull_seconds: 0.0,
        rate: 0.0,
        instance_type: "m5.xlarge".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--clusters" => settings.clusters = value().parse().expect("--clusters is a number"),
            "--nodes" => settings.nodes = value().parse().expect("--nodes is a number"),
            "--pods" => settings.pods = value().parse().expect("--pods is a number"),
            "--store" => settings.store = value(),
            "--pull-seconds" => settings.pull_seconds = value().parse().expect("--pull-seconds is a number"),
            "--rate" => settings.rate = value().parse().expect("--rate is a number"),
            "--instance-type" => settings.instance_type = value(),
            // cargo bench passes --bench; anything else is a mistake.
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    assert!((1..=200).contains(&settings.clusters), "--clusters is 1 to 200");
    assert!(settings.nodes >= settings.clusters, "at least one node per cluster");
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

/// Every write the store makes, as a watch from the start sees it: bytes and counts, the AWS side apart, and
/// the largest value.
#[derive(Default)]
struct Meter {
    bytes: AtomicU64,
    aws_bytes: AtomicU64,
    writes: AtomicU64,
    aws_writes: AtomicU64,
    /// The bytes written under one prefix at a time (see [`Meter::under`]).
    prefix: Mutex<Option<String>>,
    prefix_bytes: AtomicU64,
    largest: Mutex<(usize, String)>,
    revision: AtomicI64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    bytes: u64,
    aws_bytes: u64,
    writes: u64,
    aws_writes: u64,
}

impl std::ops::Sub for Counts {
    type Output = Counts;
    fn sub(self, other: Counts) -> Counts {
        Counts {
            bytes: self.bytes - other.bytes,
            aws_bytes: self.aws_bytes - other.aws_bytes,
            writes: self.writes - other.writes,
            aws_writes: self.aws_writes - other.aws_writes,
        }
    }
}

impl Meter {
    async fn follow(store: &DynStore) -> Arc<Meter> {
        let meter = Arc::new(Meter::default());
        let mut events = store.watch("/", 0).await.expect("watch the store");
        let counting = Arc::clone(&meter);
        tokio::spawn(async move {
            while let Some(Ok(event)) = events.next().await {
                let size = event.kv.key.len() + event.kv.value.len();
                let aws = event.kv.key.starts_with("/aws/");
                counting.bytes.fetch_add(size as u64, Ordering::Relaxed);
                counting.writes.fetch_add(1, Ordering::Relaxed);
                if aws {
                    counting.aws_bytes.fetch_add(size as u64, Ordering::Relaxed);
                    counting.aws_writes.fetch_add(1, Ordering::Relaxed);
                }
                if let Some(prefix) = counting.prefix.lock().expect("meter lock").as_deref()
                    && event.kv.key.starts_with(prefix)
                {
                    counting.prefix_bytes.fetch_add(size as u64, Ordering::Relaxed);
                }
                {
                    let mut largest = counting.largest.lock().expect("meter lock");
                    if event.kv.value.len() > largest.0 {
                        *largest = (event.kv.value.len(), event.kv.key.clone());
                    }
                }
                counting.revision.store(event.revision(), Ordering::Release);
            }
        });
        meter
    }

    /// The counts once the meter has seen every write the store has made so far.
    async fn settled(&self, store: &DynStore) -> Counts {
        let revision = store.status().await.expect("store status").revision;
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.revision.load(Ordering::Acquire) < revision {
            assert!(Instant::now() < deadline, "the meter fell behind the store");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Counts {
            bytes: self.bytes.load(Ordering::Relaxed),
            aws_bytes: self.aws_bytes.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
            aws_writes: self.aws_writes.load(Ordering::Relaxed),
        }
    }

    /// Counts, from now on, what is written under `prefix` apart.
    fn under(&self, prefix: &str) {
        *self.prefix.lock().expect("meter lock") = Some(prefix.to_owned());
        self.prefix_bytes.store(0, Ordering::Relaxed);
    }
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

fn node_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// When each pod became Running and Ready, until `total` have, from a watch that resumes where it ended (the API
/// server ends a watch after its timeout, as kube-apiserver does).
async fn watch_running(pods: Api<Pod>, mut version: String, total: usize) -> HashMap<String, Instant> {
    let mut seen: HashMap<String, Instant> = HashMap::with_capacity(total);
    let deadline = Instant::now() + DEADLINE;
    while seen.len() < total && Instant::now() < deadline {
        let Ok(events) = pods.watch(&WatchParams::default(), &version).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let mut events = events.boxed();
        while seen.len() < total {
            let Ok(Some(event)) = events.try_next().await else { break };
            match event {
                WatchEvent::Added(pod) | WatchEvent::Modified(pod) => {
                    version = pod.metadata.resource_version.clone().unwrap_or(version);
                    if running_and_ready(&pod)
                        && let Some(name) = pod.metadata.name
                    {
                        seen.entry(name).or_insert_with(Instant::now);
                    }
                }
                WatchEvent::Bookmark(bookmark) => version = bookmark.metadata.resource_version,
                WatchEvent::Deleted(_) => {}
                WatchEvent::Error(error) => panic!("the pod watch failed: {error:?}"),
            }
        }
    }
    seen
}

/// Polls `probe` every 100 ms until it answers, for at most [`DEADLINE`].
async fn poll<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn eks(aws: &Aws, method: Method, path: &str, body: Option<Value>) -> Value {
    aws.eks(method, path, body).await.expect("reach the EKS API").unwrap_or_else(|failure| panic!("{path}: {failure}"))
}

async fn role(aws: &Aws, name: &str, service: &str, policies: &[&str]) -> String {
    let trust = json!({ "Version": "2012-10-17", "Statement": [{ "Effect": "Allow",
        "Principal": { "Service": service }, "Action": "sts:AssumeRole" }] });
    let created = aws
        .must("iam", "CreateRole", &[("RoleName", name.into()), ("AssumeRolePolicyDocument", trust.to_string())])
        .await
        .expect("CreateRole");
    for policy in policies {
        aws.must(
            "iam",
            "AttachRolePolicy",
            &[("RoleName", name.into()), ("PolicyArn", format!("arn:aws:iam::aws:policy/{policy}"))],
        )
        .await
        .expect("AttachRolePolicy");
    }
    xml_values(&created, "Arn").into_iter().next().expect("CreateRole answers an Arn")
}

/// One cluster's VPC: 10.<index>.0.0/16 in four /18 subnets, one per zone. Returns the VPC and subnet ids.
async fn network(aws: &Aws, index: usize) -> (String, Vec<String>) {
    let created =
        aws.must("ec2", "CreateVpc", &[("CidrBlock", format!("10.{index}.0.0/16"))]).await.expect("CreateVpc");
    let vpc = xml_values(&created, "vpcId").into_iter().next().expect("a VPC id");
    let mut subnets = Vec::new();
    for (quarter, zone) in ZONES.iter().enumerate() {
        let created = aws
            .must(
                "ec2",
                "CreateSubnet",
                &[
                    ("VpcId", vpc.clone()),
                    ("CidrBlock", format!("10.{index}.{}.0/18", quarter * 64)),
                    ("AvailabilityZone", (*zone).to_owned()),
                ],
            )
            .await
            .expect("CreateSubnet");
        subnets.push(xml_values(&created, "subnetId").into_iter().next().expect("a subnet id"));
    }
    (vpc, subnets)
}

/// `count` split into `parts` near-equal shares.
fn shares(count: usize, parts: usize) -> Vec<usize> {
    (0..parts).map(|part| count / parts + usize::from(part < count % parts)).collect()
}

fn main() {
    let settings = settings();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(run(settings));
}

async fn open_store(settings: &Settings, directory: &std::path::Path) -> DynStore {
    match settings.store.as_str() {
        "memory" => Arc::new(MemoryStore::new()),
        "sqlite" => Arc::new(SqliteStore::open(directory).await.expect("open SQLite")),
        other => panic!("--store is memory or sqlite, not {other}"),
    }
}

async fn run(settings: Settings) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let store = open_store(&settings, directory.path()).await;
    let meter = Meter::follow(&store).await;
    let mut report = Report::new(
        "dataplane",
        "Data plane: nodes, scheduling and pod startup, wired as `ekslite serve`",
        format!(
            "{} EKS cluster(s) of {} {} nodes in all (managed node groups of at most {NODES_PER_NODEGROUP}, their \
             instances launched by Auto Scaling) and {} pods, in one region of one account, one server in one process \
             ({} store), image pull {} s; made through the server's own AWS endpoint; pods are created {} at a time{} \
             and timed from the create request to the watch event showing them Running and Ready.",
            settings.clusters,
            with_thousands(settings.nodes),
            settings.instance_type,
            with_thousands(settings.pods),
            settings.store,
            settings.pull_seconds,
            IN_FLIGHT,
            if settings.rate > 0.0 { format!(", paced at {} per second", settings.rate) } else { String::new() }
        ),
        "| Measure | Result | Anchor |\n|---|---|---|",
        "Anchors: the Kubernetes scalability SLO for pod startup (p99 <= 5 s, pods with pulled images) and \
         kube-scheduler's CI floor (680 pods/s at 5,000 nodes). Bytes written are keys and values as a watch of the \
         whole store sees them.",
        json!({ "clusters": settings.clusters, "nodes": settings.nodes, "pods": settings.pods,
                "store": settings.store, "pull_seconds": settings.pull_seconds, "in_flight": IN_FLIGHT,
                "rate": settings.rate, "instance_type": settings.instance_type }),
    );
    println!("{}\n", report.caption());
    println!("| Measure | Result | Anchor |\n|---|---|---|");

    let mut options = ServerOptions::default();
    options.data_plane.agent.start_delay = Duration::from_secs_f64(settings.pull_seconds);
    options.eks.max_clusters = options.eks.max_clusters.max(settings.clusters);
    let info = ServerInfo { id: "0123456789abcdef".into(), boot: 1 };
    let server = Server::start(Arc::clone(&store), info, &options).await.expect("start the server");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listen on loopback");
    let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
    let router = server.router();
    let serving = tokio::spawn(async move { axum::serve(listener, router).await });
    let aws = Aws::new(&endpoint, REGION);

    // The AWS side: roles, then per cluster a VPC, the cluster and its node groups.
    let cluster_role = role(&aws, "bench-cluster", "eks.amazonaws.com", &["AmazonEKSClusterPolicy"]).await;
    let node_role = role(
        &aws,
        "bench-node",
        "ec2.amazonaws.com",
        &["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"],
    )
    .await;
    let mut vpcs = Vec::new();
    let mut names = Vec::new();
    for (index, nodes) in shares(settings.nodes, settings.clusters).into_iter().enumerate() {
        let (vpc, subnets) = network(&aws, index).await;
        let name = format!("bench-{index}");
        let body = json!({ "name": name, "roleArn": cluster_role, "resourcesVpcConfig": { "subnetIds": subnets } });
        eks(&aws, Method::POST, "/clusters", Some(body)).await;
        poll("a cluster to be ACTIVE", || async {
            let described = eks(&aws, Method::GET, &format!("/clusters/{name}"), None).await;
            (described["cluster"]["status"] == "ACTIVE").then_some(())
        })
        .await;
        vpcs.push(vpc);
        names.push((name, nodes, subnets));
    }
    let before_nodes = meter.settled(&store).await;
    let started = Instant::now();
    for (name, nodes, subnets) in &names {
        for (group, size) in shares(*nodes, nodes.div_ceil(NODES_PER_NODEGROUP)).into_iter().enumerate() {
            let body = json!({
                "nodegroupName": format!("group-{group}"),
                "nodeRole": node_role,
                "subnets": subnets,
                "instanceTypes": [settings.instance_type],
                "scalingConfig": { "minSize": size, "maxSize": size, "desiredSize": size },
            });
            eks(&aws, Method::POST, &format!("/clusters/{name}/node-groups"), Some(body)).await;
        }
    }

    // The clusters' own API, reached in-process as the old data plane benchmark and the node agent reach it.
    let account = aws_protocol::DEFAULT_ACCOUNT_ID;
    let admins: Vec<kube::Client> = names
        .iter()
        .map(|(name, _, _)| {
            let api = server.control_planes.api(&format!("{name}.{REGION}.{account}")).expect("the cluster runs");
            let identity = Identity::Certificate { user: "admin".into(), groups: vec!["system:masters".into()] };
            kube::Client::new(LocalService::new(api, identity), "default")
        })
        .collect();
    for (admin, (_, nodes, _)) in admins.iter().zip(&names) {
        let api: Api<Node> = Api::all(admin.clone());
        poll("the nodes to be Ready", || async {
            let list = api.list(&ListParams::default()).await.ok()?;
            (list.items.iter().filter(|node| node_ready(node)).count() == *nodes).then_some(())
        })
        .await;
    }
    let nodes_ready = started.elapsed();
    let node_writes = meter.settled(&store).await - before_nodes;
    report.add(
        json!({ "measure": "nodes_ready_seconds", "value": nodes_ready.as_secs_f64() }),
        format!(
            "| {} nodes Ready (create-nodegroup to every Node Ready) | {} | |",
            with_thousands(settings.nodes),
            human_duration(nodes_ready)
        ),
    );
    per_item(&mut report, "node", settings.nodes, node_writes);

    // Pods: a watch per cluster records when each is Running and Ready.
    let before_pods = meter.settled(&store).await;
    let mut watchers = Vec::new();
    let pod_apis: Vec<Api<Pod>> = admins.iter().map(|admin| Api::namespaced(admin.clone(), "default")).collect();
    for (index, pods) in pod_apis.iter().enumerate() {
        let version = pods.list(&ListParams::default()).await.expect("list pods").metadata.resource_version;
        let total = shares(settings.pods, settings.clusters)[index];
        watchers.push(tokio::spawn(watch_running(pods.clone(), version.unwrap_or_default(), total)));
    }
    let creates_started = Instant::now();
    let sent: Vec<(usize, Instant, Duration)> = futures::stream::iter(0..settings.pods)
        .map(|index| {
            let pods = pod_apis[index % pod_apis.len()].clone();
            let due = (settings.rate > 0.0).then(|| {
                tokio::time::Instant::from_std(creates_started) + Duration::from_secs_f64(index as f64 / settings.rate)
            });
            async move {
                if let Some(due) = due {
                    tokio::time::sleep_until(due).await;
                }
                let at = Instant::now();
                pods.create(&PostParams::default(), &pod(index)).await.expect("create a pod");
                (index, at, at.elapsed())
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let created = creates_started.elapsed();
    let mut seen: Vec<HashMap<String, Instant>> = Vec::new();
    for watcher in watchers {
        seen.push(tokio::time::timeout(DEADLINE, watcher).await.expect("every pod runs in time").expect("a watcher"));
    }
    let mut latencies: Vec<Duration> = sent
        .iter()
        .filter_map(|(index, at, _)| {
            seen[index % seen.len()].get(&format!("bench-{index}")).map(|running| running.duration_since(*at))
        })
        .collect();
    assert_eq!(latencies.len(), settings.pods, "every pod was seen Running and Ready");
    latencies.sort();
    // The API's own latency under this load: every create call, while the scheduler, controllers and agent
    // write beside it.
    let mut create_calls: Vec<Duration> = sent.iter().map(|(_, _, call)| *call).collect();
    create_calls.sort();
    let last = seen.iter().flat_map(|cluster| cluster.values()).max().copied().unwrap_or(creates_started);
    let elapsed = last.duration_since(creates_started);
    let rate = settings.pods as f64 / elapsed.as_secs_f64();
    let pod_writes = meter.settled(&store).await - before_pods;
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
    per_item(&mut report, "pod", settings.pods, pod_writes);

    // One tag on a VPC, with the region full: what it stores.
    let ec2_prefix = format!("/aws/{account}/{REGION}/ec2/");
    meter.settled(&store).await;
    meter.under(&ec2_prefix);
    aws.must(
        "ec2",
        "CreateTags",
        &[("ResourceId.1", vpcs[0].clone()), ("Tag.1.Key", "team".into()), ("Tag.1.Value", "bench".into())],
    )
    .await
    .expect("CreateTags");
    meter.settled(&store).await;
    let tag_bytes = meter.prefix_bytes.load(Ordering::Relaxed);
    report.add(
        json!({ "measure": "create_tags_vpc_bytes", "value": tag_bytes }),
        format!(
            "| EC2 bytes stored by one `CreateTags` on a VPC, region full | {} B | < 4 KB {} |",
            with_thousands(tag_bytes),
            if tag_bytes < 4096 { "✓" } else { "✗" }
        ),
    );

    // DescribeInstances pages through every instance, each with its addresses.
    let paging = Instant::now();
    let (mut instances, mut pages, mut token) = (0usize, 0usize, None::<String>);
    loop {
        let mut params = vec![("MaxResults", "1000".to_owned())];
        if let Some(token) = token.take() {
            params.push(("NextToken", token));
        }
        let page = aws.must("ec2", "DescribeInstances", &params).await.expect("DescribeInstances");
        let ids = xml_values(&page, "instanceId").len();
        let addressed = xml_values(&page, "privateIpAddress").len();
        assert!(addressed >= ids, "every instance has its private address");
        instances += ids;
        pages += 1;
        token = xml_values(&page, "nextToken").into_iter().next();
        if token.is_none() {
            break;
        }
    }
    let paged = paging.elapsed();
    assert_eq!(instances, settings.nodes, "DescribeInstances lists every node's instance");
    report.add(
        json!({ "measure": "describe_instances_seconds", "value": paged.as_secs_f64(), "pages": pages }),
        format!(
            "| DescribeInstances through all {} instances ({pages} pages of 1,000) | {} | |",
            with_thousands(instances),
            human_duration(paged)
        ),
    );

    let (largest, largest_key) = meter.largest.lock().expect("meter lock").clone();
    report.add(
        json!({ "measure": "largest_value_bytes", "value": largest, "key": largest_key }),
        format!(
            "| largest value written (`{largest_key}`) | {} B | < 64 KB {} |",
            with_thousands(largest),
            if largest < RECORD_LIMIT_BYTES { "✓" } else { "✗" }
        ),
    );
    let rss = peak_rss_bytes();
    report.add(
        json!({ "measure": "peak_rss_bytes", "value": rss }),
        format!("| peak RSS | {} MiB | |", with_thousands(rss / (1024 * 1024))),
    );
    println!("\nwritten to {} and {}", report.json_path.display(), report.markdown_path.display());
    serving.abort();
    server.stop().await;
    let _ = store.close().await;
}

/// Bytes written to the store per node or per pod while they were made, all of it and the AWS side's share.
fn per_item(report: &mut Report, item: &str, count: usize, writes: Counts) {
    let count = count.max(1) as u64;
    report.add(
        json!({ "measure": format!("store_bytes_per_{item}"), "value": writes.bytes / count,
                "aws_bytes": writes.aws_bytes / count, "writes": writes.writes, "aws_writes": writes.aws_writes }),
        format!(
            "| store bytes written per {item} (AWS side) | {} B ({} B) | |",
            with_thousands(writes.bytes / count),
            with_thousands(writes.aws_bytes / count)
        ),
    );
}

//! The API server benchmark: ConfigMap creates, gets, updates and lists, and watch delivery latency under a
//! steady write load, measured through one cluster's real HTTPS endpoint with a real HTTP client.
//!
//! Run it with `cargo bench -p apiserver --bench apiserver`, optionally followed by
//! `-- --store sqlite|memory --seconds 3 --protocol h2|http1.1`. It opens a fresh store (SQLite in a temporary
//! directory unless `--store memory`), starts [`apiserver::ControlPlanes`] in this process, creates one cluster
//! and talks to `https://127.0.0.1:<port>` as its admin: hyper's pooled client over rustls (the `ring`
//! provider), trusting the cluster's CA and presenting the admin client certificate. HTTP/2 is the default, as
//! client-go and kubectl negotiate it; client and server share this process and its cores.
//!
//! Every measurement is time-boxed: closed-loop workers repeat one request for `--seconds` and record the
//! latency of each, from sending the request to having the whole answer. The watch measurement instead creates
//! objects at a steady rate for `--seconds` while one watcher follows the namespace, and takes each event's
//! latency from the wall-clock time the writer sent the request (carried in the object's data) to the arrival of
//! the event at the watcher.
//!
//! Results go to stdout as a markdown table while the run goes, and to `target/bench/apiserver.json` and
//! `target/bench/apiserver.md`, which are rewritten after every measurement so that a run that fails part way
//! keeps what it measured.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use apiserver::{ClusterRecord, ControlPlanes};
use bench_report::{Report, human_duration, microseconds, percentile, with_thousands};
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use store::{DynStore, MemoryStore, SqliteStore};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Requests in flight at once for creates, gets and updates.
const IN_FLIGHT: usize = 16;
/// Lists in flight at once. A list of 10,000 ConfigMaps is about 16 MB of JSON that the server decodes and
/// encodes on the same cores as everything else, so a few keep it busy and more only queue.
const LISTS_IN_FLIGHT: usize = 4;
/// Creates in flight while filling namespaces before a measurement; these are not timed.
const FILL_IN_FLIGHT: usize = 32;
/// Entries in every benchmark ConfigMap's `data`, each [`DATA_VALUE_BYTES`] long: 1 KiB of data in all.
const DATA_ENTRIES: usize = 8;
const DATA_VALUE_BYTES: usize = 128;
/// How many ConfigMaps each update worker owns. Workers never share one, so no update ever conflicts.
const OBJECTS_PER_UPDATER: usize = 4;
/// The sizes of the listed namespaces.
const LIST_SIZES: [usize; 2] = [1_000, 10_000];
/// The rate at which the watch measurement creates objects.
const WATCH_WRITES_PER_SECOND: f64 = 1_000.0;
/// The most watch-measurement creates in flight at once; a create due while all are busy is sent late.
const WATCH_WRITERS: usize = 16;
/// How long the watcher may take to receive every event once the writes are done before the run gives up.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long shutdown may take before the run reports the tasks still alive.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
/// The measurement time per operation when `--seconds` is not given.
const DEFAULT_SECONDS: f64 = 3.0;
/// Containers in the pod of the oversized-admission measurement (the reproduction).
const HUGE_POD_CONTAINERS: usize = 20_000;
/// Workers reading ConfigMaps while the oversized pods are admitted.
const READERS_BESIDE_HUGE: usize = 4;

/// The Kubernetes SLO for the latency of single-object API calls.
const SLO_P99: Duration = Duration::from_secs(1);
/// The latency ekslite aims for.
const AIM_P99: Duration = Duration::from_millis(10);

const CLUSTER_NAME: &str = "bench";
const CREATE_NAMESPACE: &str = "default";
const WATCH_NAMESPACE: &str = "bench-watch";
/// The data key that carries the wall-clock time, in nanoseconds since the Unix epoch, at which a
/// watch-measurement create was sent.
const SENT_AT_KEY: &str = "sentAtNanos";

const TABLE_HEADER: &str = "| operation | concurrency | count | seconds | per second | p50 | p99 | anchor: SLO p99 ≤ 1 s; aim < 10 ms |\n\
                            |---|---|---:|---:|---:|---:|---:|---|";

const TABLE_NOTES: &str = "\
Every request goes over HTTPS to the cluster's endpoint on 127.0.0.1 with the admin client certificate; the \
client, the API server and the store share this process and its cores. ConfigMaps carry 1 KiB of data (8 \
entries of 128 bytes). Concurrency is the number of closed-loop workers, each with one request in flight; \
`per second` is requests per second and p50/p99 are request latencies from sending to having the whole answer. \
Lists are unpaged JSON (no `limit`); the client reads every byte of each answer but keeps and decodes only the \
first, untimed, to check its item count. The listed namespaces are filled with creates through the same HTTPS endpoint \
(32 in flight) before the lists are timed. For the watch row, writers create ConfigMaps at a steady 1,000 per \
second (at most 16 in flight) while one watcher follows the namespace with `?watch=true&resourceVersion=N` on a \
connection of its own; `count` is the events the watcher received, `per second` the achieved write rate, and \
p50/p99 the latency from the wall-clock time a writer sent the create (carried in the object's data) to the \
arrival of the event at the watcher. The last two rows run together: one worker dry-run creates a Pod of \
20,000 containers (748 KB sent, 11.8 MB answered, as kube-apiserver fills in each container's defaults) again \
and again while 4 workers get ConfigMaps; they show what admitting an oversized object costs it and its \
neighbours. The anchor compares p99 with the Kubernetes API call latency SLO \
(p99 ≤ 1 s for single-object calls; upstream allows namespace-scoped lists 5 s) and with ekslite's aim of \
p99 < 10 ms.";

fn main() {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("apiserver bench: {message}");
            eprintln!(
                "usage: cargo bench -p apiserver --bench apiserver -- [--store sqlite|memory] [--seconds N] \
                 [--protocol h2|http1.1]"
            );
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("build the tokio runtime");
    let run_started = Instant::now();
    runtime.block_on(run(&options));
    eprintln!("apiserver bench: finished in {:.1} s", run_started.elapsed().as_secs_f64());
}

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq)]
struct Options {
    store: StoreKind,
    protocol: Protocol,
    /// How long each measurement runs.
    duration: Duration,
}

impl Options {
    /// Reads `--store`, `--seconds` and `--protocol` (also as `--flag=value`). Anything else is ignored: cargo
    /// passes `--bench` to benchmarks that bring their own harness.
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
        let mut options = Options {
            store: StoreKind::Sqlite,
            protocol: Protocol::Http2,
            duration: Duration::from_secs_f64(DEFAULT_SECONDS),
        };
        while let Some(arg) = args.next() {
            let (flag, inline_value) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
                None => (arg, None),
            };
            match flag.as_str() {
                "--store" => {
                    let name = inline_value.or_else(|| args.next()).ok_or("--store needs a value")?;
                    options.store = match name.as_str() {
                        "sqlite" => StoreKind::Sqlite,
                        "memory" => StoreKind::Memory,
                        _ => return Err(format!("unknown store {name:?}: expected sqlite or memory")),
                    };
                }
                "--protocol" => {
                    let name = inline_value.or_else(|| args.next()).ok_or("--protocol needs a value")?;
                    options.protocol = match name.as_str() {
                        "h2" | "http2" => Protocol::Http2,
                        "http1.1" | "http1" => Protocol::Http1,
                        _ => return Err(format!("unknown protocol {name:?}: expected h2 or http1.1")),
                    };
                }
                "--seconds" => {
                    let text = inline_value.or_else(|| args.next()).ok_or("--seconds needs a value")?;
                    let seconds: f64 =
                        text.parse().map_err(|_| format!("--seconds wants a number of seconds, not {text:?}"))?;
                    if !(seconds.is_finite() && seconds > 0.0) {
                        return Err(format!("--seconds must be positive, not {text}"));
                    }
                    options.duration = Duration::from_secs_f64(seconds);
                }
                _ => {}
            }
        }
        Ok(options)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreKind {
    Sqlite,
    Memory,
}

impl StoreKind {
    fn name(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Memory => "memory",
        }
    }
}

/// The HTTP version the client offers in ALPN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Http2,
    Http1,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::Http2 => "h2",
            Protocol::Http1 => "http1.1",
        }
    }
}

/// A fresh store and the temporary directory that holds its files, if any.
#[derive(Debug)]
struct OpenedStore {
    store: DynStore,
    _directory: Option<tempfile::TempDir>,
}

impl OpenedStore {
    async fn open(kind: StoreKind) -> OpenedStore {
        match kind {
            StoreKind::Memory => OpenedStore { store: Arc::new(MemoryStore::new()), _directory: None },
            StoreKind::Sqlite => {
                let directory = tempfile::tempdir().expect("create a temporary directory");
                let store = SqliteStore::open(directory.path()).await.expect("open a SQLite store");
                OpenedStore { store: Arc::new(store), _directory: Some(directory) }
            }
        }
    }
}

async fn run(options: &Options) {
    let mut report = new_report(options);
    eprintln!("apiserver bench: {}", report.machine.summary());
    eprintln!("apiserver bench: opening a fresh {} store and creating cluster {CLUSTER_NAME:?}", options.store.name());
    let opened = OpenedStore::open(options.store).await;
    let control_planes = ControlPlanes::new(Arc::clone(&opened.store));
    let cluster = control_planes.create(CLUSTER_NAME, None).await.expect("create the benchmark cluster");
    eprintln!(
        "apiserver bench: cluster API server at {}, client speaks {}",
        cluster.endpoint(),
        options.protocol.name()
    );

    println!("{}", report.caption());
    println!();
    println!("{TABLE_HEADER}");
    {
        let client = ApiClient::new(&cluster, options.protocol);
        measure_all(&mut report, &client, &cluster, options).await;
        // Dropping the client closes its pooled connections, which ends their tasks.
    }
    println!();
    println!("{TABLE_NOTES}");
    println!();
    println!("Machine: {}", report.machine.summary());

    control_planes.stop_all().await;
    opened.store.close().await.expect("close the store");
    drop(control_planes);
    drop(opened);
    wait_for_tasks_to_end().await;
    eprintln!("apiserver bench: wrote {} and {}", report.json_path.display(), report.markdown_path.display());
}

/// Runs every measurement, in an order where each finds the objects it needs.
async fn measure_all(report: &mut Report, client: &ApiClient, cluster: &ClusterRecord, options: &Options) {
    let duration = options.duration;
    let mut namespaces = vec![WATCH_NAMESPACE.to_owned()];
    namespaces.extend(LIST_SIZES.iter().map(|&size| list_namespace(size)));
    for namespace in &namespaces {
        let body = json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": namespace } });
        client.call(Method::POST, "/api/v1/namespaces", Some(&body), StatusCode::CREATED).await;
    }

    let (row, created) = measure_creates(client, duration).await;
    add_row(report, row);

    eprintln!("apiserver bench: creating the ConfigMaps that updates use");
    let names: Vec<String> = (0..IN_FLIGHT * OBJECTS_PER_UPDATER).map(|index| format!("update-{index:04}")).collect();
    let updated = create_objects(client, CREATE_NAMESPACE, &names).await;
    // A run too short to have created anything reads the update workers' ConfigMaps instead.
    let readable = if created.is_empty() { names } else { created };
    add_row(report, measure_gets(client, &readable, duration).await);
    add_row(report, measure_updates(client, updated, duration).await);

    for size in LIST_SIZES {
        let namespace = list_namespace(size);
        eprintln!("apiserver bench: filling namespace {namespace} with {} ConfigMaps over HTTPS", with_thousands(size));
        let names: Vec<String> = (0..size).map(|index| format!("listed-{index:05}")).collect();
        let started = Instant::now();
        create_objects(client, &namespace, &names).await;
        let elapsed = started.elapsed();
        eprintln!(
            "apiserver bench: filled {namespace} in {:.1} s ({} creates/s with {FILL_IN_FLIGHT} in flight)",
            elapsed.as_secs_f64(),
            with_thousands((size as f64 / elapsed.as_secs_f64()).round() as usize)
        );
        add_row(report, measure_lists(client, &namespace, size, duration).await);
    }

    let watch_client = ApiClient::new(cluster, options.protocol);
    add_row(report, measure_watch_delivery(client, &watch_client, duration).await);

    let (huge, beside) = measure_huge_pod_admission(client, &readable, duration).await;
    add_row(report, huge);
    add_row(report, beside);
}

fn list_namespace(size: usize) -> String {
    format!("bench-list-{size}")
}

/// Creates of new ConfigMaps in `default`. Returns the row and the names created.
async fn measure_creates(client: &ApiClient, duration: Duration) -> (Row, Vec<String>) {
    let deadline = Instant::now() + duration;
    let (outcomes, elapsed) = run_workers(IN_FLIGHT, |worker| {
        let client = client.clone();
        async move {
            let mut samples = Vec::new();
            let mut names = Vec::new();
            let path = format!("/api/v1/namespaces/{CREATE_NAMESPACE}/configmaps");
            while Instant::now() < deadline {
                let name = format!("create-{worker:02}-{:06}", names.len());
                let body = config_map(&name, CREATE_NAMESPACE, None, &[]);
                timed(&mut samples, client.call(Method::POST, &path, Some(&body), StatusCode::CREATED)).await;
                names.push(name);
            }
            (samples, names)
        }
    })
    .await;
    let mut samples = Vec::new();
    let mut names = Vec::new();
    for (worker_samples, worker_names) in outcomes {
        samples.extend(worker_samples);
        names.extend(worker_names);
    }
    (Row::closed_loop("create ConfigMap", IN_FLIGHT, samples, elapsed), names)
}

/// Dry-run creates of one pod with [`HUGE_POD_CONTAINERS`] containers, one at a time, while
/// [`READERS_BESIDE_HUGE`] workers keep getting ConfigMaps: how long admission of an oversized object takes, and
/// what it does to the latency of everything else.
async fn measure_huge_pod_admission(client: &ApiClient, names: &[String], duration: Duration) -> (Row, Row) {
    let containers: Vec<Value> =
        (0..HUGE_POD_CONTAINERS).map(|index| json!({ "name": format!("c{index}"), "image": "nginx" })).collect();
    let pod = Arc::new(json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "huge" }, "spec": { "containers": containers },
    }));
    let deadline = Instant::now() + duration;
    let admitting = {
        let client = client.clone();
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let path = format!("/api/v1/namespaces/{CREATE_NAMESPACE}/pods?dryRun=All");
            let started = Instant::now();
            while Instant::now() < deadline || samples.is_empty() {
                timed(&mut samples, client.call(Method::POST, &path, Some(pod.as_ref()), StatusCode::CREATED)).await;
            }
            (samples, started.elapsed())
        })
    };
    let (readers, read_elapsed) = read_until(client, names, READERS_BESIDE_HUGE, deadline).await;
    let (admissions, admit_elapsed) = admitting.await.expect("the admitting worker panicked");
    let huge = Row::closed_loop(
        format!("dry-run create of a Pod with {} containers", with_thousands(HUGE_POD_CONTAINERS)),
        1,
        admissions,
        admit_elapsed,
    );
    let beside = Row::closed_loop("get ConfigMap while those are admitted", READERS_BESIDE_HUGE, readers, read_elapsed);
    (huge, beside)
}

/// Gets of existing ConfigMaps, each worker striding through all of them.
async fn measure_gets(client: &ApiClient, names: &[String], duration: Duration) -> Row {
    let (samples, elapsed) = read_until(client, names, IN_FLIGHT, Instant::now() + duration).await;
    Row::closed_loop("get ConfigMap", IN_FLIGHT, samples, elapsed)
}

/// `n_workers` closed-loop workers getting the ConfigMaps `names` until `deadline`, each striding through all of
/// them: every request's latency, and how long they ran.
async fn read_until(
    client: &ApiClient,
    names: &[String],
    n_workers: usize,
    deadline: Instant,
) -> (Vec<Duration>, Duration) {
    assert!(!names.is_empty(), "the gets need ConfigMaps to read");
    let names: Arc<[String]> = names.into();
    let (outcomes, elapsed) = run_workers(n_workers, |worker| {
        let client = client.clone();
        let names = Arc::clone(&names);
        async move {
            let mut samples = Vec::new();
            let mut index = worker;
            while Instant::now() < deadline {
                let path = format!("/api/v1/namespaces/{CREATE_NAMESPACE}/configmaps/{}", names[index % names.len()]);
                timed(&mut samples, client.call(Method::GET, &path, None, StatusCode::OK)).await;
                index += n_workers;
            }
            samples
        }
    })
    .await;
    (outcomes.into_iter().flatten().collect(), elapsed)
}

/// Updates (PUT with the current resourceVersion) of existing ConfigMaps, each worker cycling through ones only
/// it writes.
async fn measure_updates(client: &ApiClient, objects: Vec<(String, String)>, duration: Duration) -> Row {
    assert_eq!(objects.len(), IN_FLIGHT * OBJECTS_PER_UPDATER, "one set of ConfigMaps per update worker");
    let mut owned_sets: Vec<Vec<(String, String)>> =
        objects.chunks(OBJECTS_PER_UPDATER).map(<[(String, String)]>::to_vec).collect();
    let deadline = Instant::now() + duration;
    let (outcomes, elapsed) = run_workers(IN_FLIGHT, |worker| {
        let client = client.clone();
        let mut owned = std::mem::take(&mut owned_sets[worker]);
        async move {
            let mut samples = Vec::new();
            let mut turn = 0usize;
            while Instant::now() < deadline {
                let (name, resource_version) = &mut owned[turn % OBJECTS_PER_UPDATER];
                let path = format!("/api/v1/namespaces/{CREATE_NAMESPACE}/configmaps/{name}");
                let revision = turn.to_string();
                let body = config_map(name, CREATE_NAMESPACE, Some(resource_version), &[("revision", &revision)]);
                let answer = timed(&mut samples, client.call(Method::PUT, &path, Some(&body), StatusCode::OK)).await;
                *resource_version = resource_version_of(&answer);
                turn += 1;
            }
            samples
        }
    })
    .await;
    Row::closed_loop(
        "update ConfigMap (PUT with resourceVersion)",
        IN_FLIGHT,
        outcomes.into_iter().flatten().collect(),
        elapsed,
    )
}

/// Unpaged lists of a namespace holding `size` ConfigMaps.
async fn measure_lists(client: &ApiClient, namespace: &str, size: usize, duration: Duration) -> Row {
    let path = format!("/api/v1/namespaces/{namespace}/configmaps");
    let first = client.call(Method::GET, &path, None, StatusCode::OK).await;
    let list: Value = serde_json::from_slice(&first).expect("a list answer is JSON");
    let n_items = list["items"].as_array().map_or(0, Vec::len);
    // Every namespace also holds the cluster's kube-root-ca.crt, as on a real cluster.
    assert_eq!(n_items, size + 1, "namespace {namespace} holds {size} ConfigMaps and kube-root-ca.crt");
    let list_bytes = first.len();
    drop(list);

    let path: Arc<str> = path.into();
    let deadline = Instant::now() + duration;
    let (outcomes, elapsed) = run_workers(LISTS_IN_FLIGHT, |_| {
        let client = client.clone();
        let path = Arc::clone(&path);
        async move {
            let mut samples = Vec::new();
            while Instant::now() < deadline {
                let n_bytes = timed(&mut samples, client.call_counting(&path)).await;
                assert_eq!(n_bytes, list_bytes, "nothing writes to {path} while it is listed");
            }
            samples
        }
    })
    .await;
    let operation = format!("list {} ConfigMaps", with_thousands(size));
    let mut row = Row::closed_loop(operation, LISTS_IN_FLIGHT, outcomes.into_iter().flatten().collect(), elapsed);
    row.extra.insert("list_items".into(), json!(size));
    row.extra.insert("list_bytes".into(), json!(list_bytes));
    row
}

/// What the watch-measurement writers did.
#[derive(Debug, Default)]
struct WriterOutcome {
    n_written: usize,
    /// The latency of each create call.
    call_latencies: Vec<Duration>,
    /// How late each create was sent after its scheduled time.
    send_lags: Vec<Duration>,
}

/// One watcher on a namespace while writers create ConfigMaps in it at [`WATCH_WRITES_PER_SECOND`] for
/// `duration`: the latency from each create's sending to its event's arrival at the watcher.
async fn measure_watch_delivery(client: &ApiClient, watch_client: &ApiClient, duration: Duration) -> Row {
    let collection = format!("/api/v1/namespaces/{WATCH_NAMESPACE}/configmaps");
    let empty = client.call(Method::GET, &format!("{collection}?limit=1"), None, StatusCode::OK).await;
    let start_revision = resource_version_of(&empty);
    let body = watch_client.open_stream(&format!("{collection}?watch=true&resourceVersion={start_revision}")).await;
    let (expected_sender, expected_receiver) = watch::channel(None::<usize>);
    let mut watcher = JoinSet::new();
    watcher.spawn(follow(body, expected_receiver));

    let interval = Duration::from_secs_f64(1.0 / WATCH_WRITES_PER_SECOND);
    let started = Instant::now();
    let next_index = Arc::new(AtomicUsize::new(0));
    let mut writers = JoinSet::new();
    for _ in 0..WATCH_WRITERS {
        let client = client.clone();
        let next_index = Arc::clone(&next_index);
        let path = collection.clone();
        writers.spawn(async move {
            let mut outcome = WriterOutcome::default();
            loop {
                let index = next_index.fetch_add(1, Ordering::Relaxed);
                let due = started + interval.mul_f64(index as f64);
                if due >= started + duration {
                    return outcome;
                }
                tokio::time::sleep_until(due.into()).await;
                outcome.send_lags.push(due.elapsed());
                let name = format!("watched-{index:06}");
                let sent_at = unix_nanos(SystemTime::now()).to_string();
                let body = config_map(&name, WATCH_NAMESPACE, None, &[(SENT_AT_KEY, &sent_at)]);
                timed(&mut outcome.call_latencies, client.call(Method::POST, &path, Some(&body), StatusCode::CREATED))
                    .await;
                outcome.n_written += 1;
            }
        });
    }
    let mut written = WriterOutcome::default();
    while let Some(joined) = writers.join_next().await {
        let outcome = joined.expect("a watch-measurement writer panicked");
        written.n_written += outcome.n_written;
        written.call_latencies.extend(outcome.call_latencies);
        written.send_lags.extend(outcome.send_lags);
    }
    let writing_time = started.elapsed();
    expected_sender.send_replace(Some(written.n_written));

    let collected = tokio::time::timeout(DELIVERY_TIMEOUT, watcher.join_next()).await;
    let Ok(Some(joined)) = collected else {
        panic!(
            "the watcher did not receive all {} events within {} s of the last write",
            written.n_written,
            DELIVERY_TIMEOUT.as_secs()
        );
    };
    let delivery = joined.expect("the watcher panicked");
    assert_eq!(delivery.latencies.len(), written.n_written, "the watcher receives one event per create");

    let write_rate = written.n_written as f64 / writing_time.as_secs_f64();
    let mut row = Row::new(
        "watch delivery under ~1,000 writes/s".into(),
        format!("1 watcher, {WATCH_WRITERS} writers"),
        written.n_written,
        writing_time,
        delivery.latencies,
    );
    row.per_second = write_rate;
    written.call_latencies.sort_unstable();
    written.send_lags.sort_unstable();
    row.extra.insert("target_writes_per_sec".into(), json!(WATCH_WRITES_PER_SECOND));
    row.extra.insert("achieved_writes_per_sec".into(), json!(write_rate));
    row.extra.insert("events".into(), json!(written.n_written));
    row.extra.insert("create_p50_us".into(), json!(microseconds(percentile(&written.call_latencies, 0.50))));
    row.extra.insert("create_p99_us".into(), json!(microseconds(percentile(&written.call_latencies, 0.99))));
    row.extra.insert("send_lag_p99_us".into(), json!(microseconds(percentile(&written.send_lags, 0.99))));
    row.extra
        .insert("send_lag_max_us".into(), json!(microseconds(written.send_lags.last().copied().unwrap_or_default())));
    row.extra.insert("events_before_send".into(), json!(delivery.n_before_send));
    eprintln!(
        "apiserver bench: watch writers: {:.0} creates/s achieved (target {WATCH_WRITES_PER_SECOND:.0}), create p50 {}, p99 {}, send lag p99 {}",
        write_rate,
        human_duration(percentile(&written.call_latencies, 0.50)),
        human_duration(percentile(&written.call_latencies, 0.99)),
        human_duration(percentile(&written.send_lags, 0.99)),
    );
    row
}

/// What the watcher saw.
#[derive(Debug, Default)]
struct Delivery {
    /// One per event: its arrival minus the time its create was sent.
    latencies: Vec<Duration>,
    /// Events that arrived, by the wall clock, before their create was sent; counted as zero latency.
    n_before_send: usize,
}

/// One line of a watch stream, as far as the benchmark reads it.
#[derive(Debug, Deserialize)]
struct WatchEvent {
    #[serde(rename = "type")]
    kind: String,
    object: WatchedObject,
}

#[derive(Debug, Deserialize)]
struct WatchedObject {
    #[serde(default)]
    data: Map<String, Value>,
}

/// Reads one watch stream until it has as many events as arrive on `expected` once the writers are done.
async fn follow(mut body: Incoming, mut expected: watch::Receiver<Option<usize>>) -> Delivery {
    let mut delivery = Delivery::default();
    let mut buffer = BytesMut::new();
    let mut n_expected = None;
    loop {
        if n_expected.is_some_and(|n_expected| delivery.latencies.len() >= n_expected) {
            return delivery;
        }
        tokio::select! {
            frame = body.frame() => {
                let frame = frame.expect("the watch ended before the last event").expect("a watch frame, not an error");
                let arrived = unix_nanos(SystemTime::now());
                let Ok(data) = frame.into_data() else { continue };
                buffer.extend_from_slice(&data);
                while let Some(end) = buffer.iter().position(|&byte| byte == b'\n') {
                    let line = buffer.split_to(end + 1);
                    let event: WatchEvent = serde_json::from_slice(&line).expect("a watch line is a JSON event");
                    assert_eq!(event.kind, "ADDED", "the watched namespace only gets creates: {}", String::from_utf8_lossy(&line));
                    let sent_at: u128 = event.object.data.get(SENT_AT_KEY).and_then(Value::as_str).and_then(|text| text.parse().ok()).expect("every watched ConfigMap carries its sending time");
                    if arrived < sent_at {
                        delivery.n_before_send += 1;
                    }
                    let nanos = u64::try_from(arrived.saturating_sub(sent_at)).unwrap_or(u64::MAX);
                    delivery.latencies.push(Duration::from_nanos(nanos));
                }
            }
            changed = expected.changed(), if n_expected.is_none() => {
                changed.expect("the watch measurement ended without saying how many events to expect");
                n_expected = *expected.borrow_and_update();
            }
        }
    }
}

/// Creates ConfigMaps named `names` in `namespace` without timing them, [`FILL_IN_FLIGHT`] at a time, and
/// returns each name with its resourceVersion, in the order of `names`.
async fn create_objects(client: &ApiClient, namespace: &str, names: &[String]) -> Vec<(String, String)> {
    let names: Arc<[String]> = names.into();
    let mut tasks = JoinSet::new();
    for worker in 0..FILL_IN_FLIGHT.min(names.len()) {
        let client = client.clone();
        let names = Arc::clone(&names);
        let namespace = namespace.to_owned();
        tasks.spawn(async move {
            let path = format!("/api/v1/namespaces/{namespace}/configmaps");
            let mut created = Vec::new();
            for index in (worker..names.len()).step_by(FILL_IN_FLIGHT) {
                let body = config_map(&names[index], &namespace, None, &[]);
                let answer = client.call(Method::POST, &path, Some(&body), StatusCode::CREATED).await;
                created.push((index, resource_version_of(&answer)));
            }
            created
        });
    }
    let mut created = Vec::with_capacity(names.len());
    while let Some(joined) = tasks.join_next().await {
        created.extend(joined.expect("a ConfigMap-creating task panicked"));
    }
    created.sort_by_key(|(index, _)| *index);
    created.into_iter().map(|(index, resource_version)| (names[index].clone(), resource_version)).collect()
}

/// A ConfigMap with 1 KiB of data plus `extra` entries; with a resourceVersion when it is an update.
fn config_map(name: &str, namespace: &str, resource_version: Option<&str>, extra: &[(&str, &str)]) -> Value {
    let mut data = Map::new();
    for entry in 0..DATA_ENTRIES {
        let filler = char::from(b'a' + entry as u8).to_string().repeat(DATA_VALUE_BYTES);
        data.insert(format!("entry-{entry}"), Value::String(filler));
    }
    for (key, value) in extra {
        data.insert((*key).to_owned(), Value::String((*value).to_owned()));
    }
    let mut metadata = json!({ "name": name, "namespace": namespace });
    if let Some(resource_version) = resource_version {
        metadata["resourceVersion"] = json!(resource_version);
    }
    json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data })
}

#[derive(Debug, Deserialize)]
struct Versioned {
    metadata: VersionedMetadata,
}

#[derive(Debug, Deserialize)]
struct VersionedMetadata {
    #[serde(rename = "resourceVersion")]
    resource_version: String,
}

/// The `metadata.resourceVersion` of an object or list answer.
fn resource_version_of(answer: &[u8]) -> String {
    let versioned: Versioned = serde_json::from_slice(answer).unwrap_or_else(|error| {
        panic!("an answer without metadata.resourceVersion ({error}): {}", String::from_utf8_lossy(answer))
    });
    versioned.metadata.resource_version
}

/// A client of the cluster's endpoint as its admin: a pool of TLS connections, cheap to clone.
#[derive(Debug, Clone)]
struct ApiClient {
    client: Client<TlsConnector, Full<Bytes>>,
    endpoint: Arc<str>,
}

impl ApiClient {
    fn new(cluster: &ClusterRecord, protocol: Protocol) -> ApiClient {
        let connector = TlsConnector::new(cluster, protocol);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        ApiClient { client, endpoint: cluster.endpoint().into() }
    }

    fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Request<Full<Bytes>> {
        let payload = body.map(|body| Bytes::from(serde_json::to_vec(body).expect("JSON serializes")));
        Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.endpoint))
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, "apiserver-bench/0.0.0")
            .body(Full::new(payload.unwrap_or_default()))
            .expect("a valid request")
    }

    /// Sends one request, reads the whole answer and checks its status.
    async fn call(&self, method: Method, path: &str, body: Option<&Value>, expect: StatusCode) -> Bytes {
        let response = self.send(self.request(method.clone(), path, body)).await;
        let status = response.status();
        let answer = response.into_body().collect().await.expect("read an answer").to_bytes();
        assert_eq!(status, expect, "{method} {path} answered {status}: {}", String::from_utf8_lossy(&answer));
        answer
    }

    /// Sends a GET, checks that it answers 200 and reads the whole answer without keeping it: the length of a
    /// large list, at no more cost to the client than receiving it.
    async fn call_counting(&self, path: &str) -> usize {
        let response = self.send(self.request(Method::GET, path, None)).await;
        let status = response.status();
        let mut body = response.into_body();
        if status != StatusCode::OK {
            let answer = body.collect().await.expect("read an answer").to_bytes();
            panic!("GET {path} answered {status}: {}", String::from_utf8_lossy(&answer));
        }
        let mut n_bytes = 0;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.expect("read an answer").into_data() {
                n_bytes += data.len();
            }
        }
        n_bytes
    }

    /// Starts a streaming GET (a watch) and returns its body once the headers say 200.
    async fn open_stream(&self, path: &str) -> Incoming {
        let response = self.send(self.request(Method::GET, path, None)).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path} answered {}", response.status());
        response.into_body()
    }

    async fn send(&self, request: Request<Full<Bytes>>) -> Response<Incoming> {
        let target = format!("{} {}", request.method(), request.uri());
        self.client.request(request).await.unwrap_or_else(|error| {
            let mut cause: &dyn std::error::Error = &error;
            while let Some(source) = cause.source() {
                cause = source;
            }
            panic!("{target} failed: {error} ({cause})")
        })
    }
}

/// Opens TLS connections to the cluster's endpoint: trusts only the cluster's CA, presents the admin client
/// certificate and offers one HTTP version in ALPN.
#[derive(Debug, Clone)]
struct TlsConnector {
    config: Arc<rustls::ClientConfig>,
}

impl TlsConnector {
    fn new(cluster: &ClusterRecord, protocol: Protocol) -> TlsConnector {
        let pki = &cluster.pki;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(pki.ca_cert.as_bytes()).expect("the cluster CA is PEM"))
            .expect("trust the cluster CA");
        let chain =
            vec![CertificateDer::from_pem_slice(pki.admin_cert.as_bytes()).expect("the admin certificate is PEM")];
        let key = PrivateKeyDer::from_pem_slice(pki.admin_key.as_bytes()).expect("the admin key is PEM");
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default TLS versions")
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .expect("the admin certificate and key match");
        config.alpn_protocols = match protocol {
            Protocol::Http2 => vec![b"h2".to_vec()],
            Protocol::Http1 => vec![b"http/1.1".to_vec()],
        };
        TlsConnector { config: Arc::new(config) }
    }
}

impl tower_service::Service<Uri> for TlsConnector {
    type Response = TlsConnection;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TlsConnection>> + Send>>;

    fn poll_ready(&mut self, _context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(&self.config));
        Box::pin(async move {
            let invalid = |message: String| io::Error::new(io::ErrorKind::InvalidInput, message);
            let host = uri.host().ok_or_else(|| invalid(format!("{uri} names no host")))?.to_owned();
            let port = uri.port_u16().unwrap_or(443);
            let socket = TcpStream::connect((host.as_str(), port)).await?;
            // Client-go's sockets do the same (Go sets TCP_NODELAY on every TCP connection).
            socket.set_nodelay(true)?;
            let server_name = ServerName::try_from(host).map_err(|error| invalid(error.to_string()))?;
            let tls = connector.connect(server_name, socket).await?;
            Ok(TlsConnection { io: TokioIo::new(tls) })
        })
    }
}

/// A client TLS connection, telling hyper whether ALPN chose HTTP/2.
#[derive(Debug)]
struct TlsConnection {
    io: TokioIo<tokio_rustls::client::TlsStream<TcpStream>>,
}

impl Connection for TlsConnection {
    fn connected(&self) -> Connected {
        let (_, session) = self.io.inner().get_ref();
        if session.alpn_protocol() == Some(b"h2") { Connected::new().negotiated_h2() } else { Connected::new() }
    }
}

impl hyper::rt::Read for TlsConnection {
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(context, buffer)
    }
}

impl hyper::rt::Write for TlsConnection {
    fn poll_write(self: Pin<&mut Self>, context: &mut Context<'_>, buffer: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(context, buffer)
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(context)
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(context)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffers: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(context, buffers)
    }
}

/// Waits until every task of the runtime has ended: the clients' connections, the API server's and the
/// store's. Reports, rather than hangs, when some outlive [`SHUTDOWN_TIMEOUT`].
async fn wait_for_tasks_to_end() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
    while metrics.num_alive_tasks() > 0 {
        if Instant::now() >= deadline {
            eprintln!(
                "apiserver bench: {} tasks still alive {} s after shutdown",
                metrics.num_alive_tasks(),
                SHUTDOWN_TIMEOUT.as_secs()
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Spawns `n_workers` workers and waits for all of them. Returns what each returned and the wall time from the
/// first spawn to the last worker's return.
async fn run_workers<Worker, Work, Output>(n_workers: usize, mut worker: Worker) -> (Vec<Output>, Duration)
where
    Worker: FnMut(usize) -> Work,
    Work: Future<Output = Output> + Send + 'static,
    Output: Send + 'static,
{
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for worker_index in 0..n_workers {
        tasks.spawn(worker(worker_index));
    }
    let mut outputs = Vec::with_capacity(n_workers);
    while let Some(joined) = tasks.join_next().await {
        outputs.push(joined.expect("a benchmark worker panicked"));
    }
    (outputs, started.elapsed())
}

/// Awaits `operation` and appends how long it took to `samples`.
async fn timed<T>(samples: &mut Vec<Duration>, operation: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let output = operation.await;
    samples.push(started.elapsed());
    output
}

/// Nanoseconds since the Unix epoch.
fn unix_nanos(time: SystemTime) -> u128 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_nanos())
}

/// One line of the results.
#[derive(Debug)]
struct Row {
    operation: String,
    /// Who was busy at once, in words.
    concurrency: String,
    /// Requests made, or for the watch, events received.
    count: usize,
    elapsed: Duration,
    /// Requests per second, or for the watch, the achieved write rate.
    per_second: f64,
    n_latency_samples: usize,
    p50: Duration,
    p99: Duration,
    /// Measurement-specific fields for the JSON file.
    extra: Map<String, Value>,
}

impl Row {
    fn new(
        operation: String,
        concurrency: String,
        count: usize,
        elapsed: Duration,
        mut latencies: Vec<Duration>,
    ) -> Row {
        latencies.sort_unstable();
        Row {
            operation,
            concurrency,
            count,
            elapsed,
            per_second: count as f64 / elapsed.as_secs_f64().max(f64::MIN_POSITIVE),
            n_latency_samples: latencies.len(),
            p50: percentile(&latencies, 0.50),
            p99: percentile(&latencies, 0.99),
            extra: Map::new(),
        }
    }

    /// A row for closed-loop workers, where every request is one latency sample.
    fn closed_loop(operation: impl Into<String>, n_workers: usize, latencies: Vec<Duration>, elapsed: Duration) -> Row {
        let mut row = Row::new(operation.into(), n_workers.to_string(), latencies.len(), elapsed, latencies);
        row.extra.insert("in_flight".into(), json!(n_workers));
        row
    }

    fn meets_slo(&self) -> bool {
        self.p99 <= SLO_P99
    }

    fn meets_aim(&self) -> bool {
        self.p99 < AIM_P99
    }

    /// How p99 compares with the SLO and the aim, in a few words.
    fn anchor(&self) -> String {
        let slo = if self.meets_slo() { "SLO ✓" } else { "SLO ✗" };
        let aim = if self.meets_aim() {
            "aim ✓".to_owned()
        } else {
            format!("aim ✗ ({:.1}x)", self.p99.as_secs_f64() / AIM_P99.as_secs_f64())
        };
        format!("{slo} · {aim}")
    }

    fn markdown(&self) -> String {
        format!(
            "| {} | {} | {} | {:.2} | {} | {} | {} | {} |",
            self.operation,
            self.concurrency,
            with_thousands(self.count),
            self.elapsed.as_secs_f64(),
            with_thousands(self.per_second.round() as usize),
            human_duration(self.p50),
            human_duration(self.p99),
            self.anchor(),
        )
    }

    fn to_json(&self) -> Value {
        let mut fields = Map::new();
        fields.insert("operation".into(), json!(self.operation));
        fields.insert("per_sec".into(), json!(self.per_second));
        fields.insert("p50_us".into(), json!(microseconds(self.p50)));
        fields.insert("p99_us".into(), json!(microseconds(self.p99)));
        fields.insert("count".into(), json!(self.count));
        fields.insert("seconds".into(), json!(self.elapsed.as_secs_f64()));
        fields.insert("concurrency".into(), json!(self.concurrency));
        fields.insert("latency_samples".into(), json!(self.n_latency_samples));
        fields.insert("meets_slo_p99_1s".into(), json!(self.meets_slo()));
        fields.insert("meets_aim_p99_10ms".into(), json!(self.meets_aim()));
        fields.extend(self.extra.clone());
        Value::Object(fields)
    }
}

/// The API server benchmark's report, with the settings it ran with.
fn new_report(options: &Options) -> Report {
    let settings = json!({
        "store": options.store.name(),
        "protocol": options.protocol.name(),
        "seconds_per_measurement": options.duration.as_secs_f64(),
        "in_flight": IN_FLIGHT,
        "lists_in_flight": LISTS_IN_FLIGHT,
        "fill_in_flight": FILL_IN_FLIGHT,
        "data_bytes": DATA_ENTRIES * DATA_VALUE_BYTES,
        "list_sizes": LIST_SIZES,
        "lists_filled_through": "https",
        "watch_writes_per_sec": WATCH_WRITES_PER_SECOND,
        "watch_writers": WATCH_WRITERS,
        "slo_p99_us": microseconds(SLO_P99),
        "aim_p99_us": microseconds(AIM_P99),
    });
    let caption = format!(
        "Store: {}; client protocol: {}; {} s per measurement.",
        options.store.name(),
        options.protocol.name(),
        options.duration.as_secs_f64(),
    );
    Report::new("apiserver", "API server benchmark", caption, TABLE_HEADER, TABLE_NOTES, settings)
}

fn add_row(report: &mut Report, row: Row) {
    report.add(row.to_json(), row.markdown());
}

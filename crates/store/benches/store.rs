//! The store benchmark: creates, compare-and-swap updates, transactions, point gets, prefix lists and watch
//! fan-out, measured against every backend (SQLite, memory and a real etcd) side by side in one run.
//!
//! Run it with `cargo bench -p store --bench store`, optionally followed by
//! `-- --backends sqlite,memory,etcd --seconds 3`. Every measurement is time-boxed: closed-loop workers repeat
//! one operation for `--seconds` and record the latency of each call. The watch measurement writes for at most
//! that long (and at most [`MAX_WATCH_EVENTS`] events) and then waits until every watcher has everything.
//!
//! Results go to stdout as a markdown table while the run goes, and to `target/bench/store.json` and
//! `target/bench/store.md`, which are rewritten after every measurement so that a run that fails part way keeps
//! what it measured.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bench_report::{Report, human_duration, microseconds, percentile, with_thousands};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Map, Value, json};
use store::{Compare, DynStore, KeyValue, ListOptions, Revision, TxnOp, WatchStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::task::coop::consume_budget;

/// Writes in flight at once: enough that SQLite's writer finds a large group queued at every commit.
const WRITES_IN_FLIGHT: usize = 256;
/// Point reads in flight at once.
const READS_IN_FLIGHT: usize = 256;
/// Lists in flight at once. Each answer carries the whole prefix (about half a megabyte), so a few keep any
/// backend busy.
const LISTS_IN_FLIGHT: usize = 8;
/// The size of every value written, about that of a small Kubernetes object.
const VALUE_BYTES: usize = 500;
/// How many keys each update worker owns. Workers never share a key, so no compare-and-swap ever conflicts.
const KEYS_PER_UPDATER: usize = 16;
/// How many keys the listed prefix holds.
const LIST_SIZE: usize = 1000;
/// How many watchers follow the watched prefix.
const N_WATCHERS: usize = 100;
/// The most events the watch measurement writes, however fast the backend is.
const MAX_WATCH_EVENTS: usize = 10_000;
/// Delivery latency is recorded for every event whose revision, counted from the start of the watch
/// measurement, is a multiple of this.
const DELIVERY_SAMPLE_EVERY: Revision = 10;
/// How long the watchers may take to receive everything once the writes are done before the run gives up.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(120);
/// The measurement time per operation when `--seconds` is not given.
const DEFAULT_SECONDS: f64 = 3.0;

const CREATE_PREFIX: &str = "/registry/bench/create/";
const TXN_PREFIX: &str = "/registry/bench/txn/";
const OBJECT_PREFIX: &str = "/registry/bench/objects/";
const LIST_PREFIX: &str = "/registry/bench/list/";
const WATCH_PREFIX: &str = "/registry/bench/watch/";

const TABLE_HEADER: &str = "| backend | operation | concurrency | count | seconds | per second | p50 | p99 |\n\
                            |---|---|---|---:|---:|---:|---:|---:|";

const TABLE_NOTES: &str = "\
Values are 500 bytes. SQLite writes are durable when acknowledged (WAL, `synchronous=FULL`, group commit); \
etcd fsyncs its own log; memory keeps nothing. Concurrency is the number of closed-loop workers, each with one \
call in flight. `per second` is calls per second, except for the watch fan-out, where it is events delivered \
per second summed over all watchers (events x watchers / time from the first write until the last watcher has \
the last event). p50 and p99 are call latencies, except for the watch fan-out, where they are the delivery \
latency from a write's acknowledgement to the event's arrival at a watcher (sampled every 10th event, counted \
as zero when the event arrives before the writer sees its acknowledgement).";

fn main() {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("store bench: {message}");
            eprintln!("usage: cargo bench -p store --bench store -- [--backends sqlite,memory,etcd] [--seconds N]");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("build the tokio runtime");
    let run_started = Instant::now();
    runtime.block_on(run(&options));
    eprintln!("store bench: finished in {:.1} s", run_started.elapsed().as_secs_f64());
}

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq)]
struct Options {
    backends: Vec<BackendKind>,
    /// How long each measurement runs.
    duration: Duration,
}

impl Options {
    /// Reads `--backends a,b` and `--seconds N` (also as `--flag=value`). Anything else is ignored: cargo passes
    /// `--bench` to benchmarks that bring their own harness.
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
        let mut options =
            Options { backends: BackendKind::ALL.to_vec(), duration: Duration::from_secs_f64(DEFAULT_SECONDS) };
        while let Some(arg) = args.next() {
            let (flag, inline_value) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
                None => (arg, None),
            };
            match flag.as_str() {
                "--backends" => {
                    let list = inline_value.or_else(|| args.next()).ok_or("--backends needs a value")?;
                    options.backends = Vec::new();
                    for name in list.split(',').map(str::trim).filter(|name| !name.is_empty()) {
                        let backend = BackendKind::parse(name)
                            .ok_or_else(|| format!("unknown backend {name:?}: expected sqlite, memory or etcd"))?;
                        if !options.backends.contains(&backend) {
                            options.backends.push(backend);
                        }
                    }
                    if options.backends.is_empty() {
                        return Err("--backends names no backend".into());
                    }
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
enum BackendKind {
    Sqlite,
    Memory,
    Etcd,
}

impl BackendKind {
    const ALL: [BackendKind; 3] = [BackendKind::Sqlite, BackendKind::Memory, BackendKind::Etcd];

    fn name(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Memory => "memory",
            BackendKind::Etcd => "etcd",
        }
    }

    fn parse(name: &str) -> Option<BackendKind> {
        BackendKind::ALL.into_iter().find(|backend| backend.name() == name)
    }

    /// A fresh, empty store of this kind: SQLite in a temporary directory, etcd as a server of its own.
    async fn open(self) -> support::Backend {
        match self {
            BackendKind::Sqlite => support::sqlite().await,
            BackendKind::Memory => support::memory().await,
            BackendKind::Etcd => support::etcd().await,
        }
    }
}

async fn run(options: &Options) {
    let mut report = new_report(options);
    eprintln!("store bench: {}", report.machine.summary());
    println!("{TABLE_HEADER}");
    for &backend in &options.backends {
        eprintln!("store bench: opening a fresh {} store", backend.name());
        let opened = backend.open().await;
        measure_backend(&mut report, backend.name(), &opened.store, options.duration).await;
        opened.store.close().await.expect("close the store");
        // Dropping the backend removes its temporary directory and kills the etcd server.
        drop(opened);
    }
    println!();
    println!("{TABLE_NOTES}");
    println!();
    println!("Machine: {}", report.machine.summary());
    eprintln!("store bench: wrote {} and {}", report.json_path.display(), report.markdown_path.display());
}

/// Runs every measurement against one store, in an order where each finds the keys it needs.
async fn measure_backend(report: &mut Report, backend: &'static str, store: &DynStore, duration: Duration) {
    let value = Bytes::from(vec![b'v'; VALUE_BYTES]);
    add_row(report, measure_creates(backend, store, &value, duration).await);
    add_row(report, measure_txns(backend, store, &value, duration).await);
    eprintln!("store bench: {backend}: writing the keys that updates, gets and lists use");
    let objects = create_keys(store, OBJECT_PREFIX, WRITES_IN_FLIGHT * KEYS_PER_UPDATER, &value).await;
    create_keys(store, LIST_PREFIX, LIST_SIZE, &value).await;
    add_row(report, measure_updates(backend, store, &objects, &value, duration).await);
    add_row(report, measure_gets(backend, store, &objects, duration).await);
    add_row(report, measure_lists(backend, store, duration).await);
    add_row(report, measure_watch_fan_out(backend, store, &value, duration).await);
}

/// Creates of distinct new keys.
async fn measure_creates(backend: &'static str, store: &DynStore, value: &Bytes, duration: Duration) -> Row {
    let deadline = Instant::now() + duration;
    let (samples, elapsed) = run_workers(WRITES_IN_FLIGHT, |worker| {
        let store = Arc::clone(store);
        let value = value.clone();
        async move {
            let mut samples = Vec::new();
            let mut sequence = 0usize;
            while Instant::now() < deadline {
                let key = format!("{CREATE_PREFIX}{worker:03}/{sequence:09}");
                timed(&mut samples, store.create(&key, value.clone())).await.expect("create a new key");
                sequence += 1;
                consume_budget().await;
            }
            samples
        }
    })
    .await;
    Row::closed_loop(backend, "create", WRITES_IN_FLIGHT, samples, elapsed)
}

/// Transactions that each create two new keys, guarded by compares that they do not exist yet.
async fn measure_txns(backend: &'static str, store: &DynStore, value: &Bytes, duration: Duration) -> Row {
    let deadline = Instant::now() + duration;
    let (samples, elapsed) = run_workers(WRITES_IN_FLIGHT, |worker| {
        let store = Arc::clone(store);
        let value = value.clone();
        async move {
            let mut samples = Vec::new();
            let mut sequence = 0usize;
            while Instant::now() < deadline {
                let pair = ["a", "b"].map(|side| format!("{TXN_PREFIX}{worker:03}/{sequence:09}/{side}"));
                let compares = pair.iter().map(|key| Compare::absent(key.as_str())).collect();
                let ops = pair.iter().map(|key| TxnOp::put(key.as_str(), value.clone())).collect();
                timed(&mut samples, store.txn(compares, ops)).await.expect("create two new keys");
                sequence += 1;
                consume_budget().await;
            }
            samples
        }
    })
    .await;
    Row::closed_loop(backend, "txn (create 2 keys)", WRITES_IN_FLIGHT, samples, elapsed)
}

/// Compare-and-swap updates of existing keys, each worker cycling through keys only it writes.
async fn measure_updates(
    backend: &'static str,
    store: &DynStore,
    objects: &[KeyValue],
    value: &Bytes,
    duration: Duration,
) -> Row {
    assert!(objects.len() >= WRITES_IN_FLIGHT * KEYS_PER_UPDATER, "too few objects for the update workers");
    let deadline = Instant::now() + duration;
    let (samples, elapsed) = run_workers(WRITES_IN_FLIGHT, |worker| {
        let store = Arc::clone(store);
        let value = value.clone();
        let mut owned = objects[worker * KEYS_PER_UPDATER..(worker + 1) * KEYS_PER_UPDATER].to_vec();
        async move {
            let mut samples = Vec::new();
            let mut turn = 0usize;
            while Instant::now() < deadline {
                let object = &mut owned[turn % KEYS_PER_UPDATER];
                let updated = timed(&mut samples, store.update(&object.key, value.clone(), object.mod_revision))
                    .await
                    .expect("update a key that only this worker writes");
                *object = updated;
                turn += 1;
                consume_budget().await;
            }
            samples
        }
    })
    .await;
    Row::closed_loop(backend, "update (CAS)", WRITES_IN_FLIGHT, samples, elapsed)
}

/// Point gets of existing keys at the current revision, each worker striding through all of them.
async fn measure_gets(backend: &'static str, store: &DynStore, objects: &[KeyValue], duration: Duration) -> Row {
    let keys: Arc<[String]> = objects.iter().map(|object| object.key.clone()).collect();
    let deadline = Instant::now() + duration;
    let (samples, elapsed) = run_workers(READS_IN_FLIGHT, |worker| {
        let store = Arc::clone(store);
        let keys = Arc::clone(&keys);
        async move {
            let mut samples = Vec::new();
            let mut index = worker;
            while Instant::now() < deadline {
                let key = &keys[index % keys.len()];
                let found = timed(&mut samples, store.get(key, None)).await.expect("get a key");
                assert!(found.is_some(), "key {key} vanished");
                index += READS_IN_FLIGHT;
                consume_budget().await;
            }
            samples
        }
    })
    .await;
    Row::closed_loop(backend, "get", READS_IN_FLIGHT, samples, elapsed)
}

/// Lists of a prefix holding [`LIST_SIZE`] keys, unpaged, at the current revision.
async fn measure_lists(backend: &'static str, store: &DynStore, duration: Duration) -> Row {
    let deadline = Instant::now() + duration;
    let (samples, elapsed) = run_workers(LISTS_IN_FLIGHT, |_| {
        let store = Arc::clone(store);
        async move {
            let mut samples = Vec::new();
            while Instant::now() < deadline {
                let page =
                    timed(&mut samples, store.list(LIST_PREFIX, ListOptions::default())).await.expect("list a prefix");
                assert_eq!(page.items.len(), LIST_SIZE, "the listed prefix holds {LIST_SIZE} keys");
                consume_budget().await;
            }
            samples
        }
    })
    .await;
    Row::closed_loop(backend, "list 1,000 keys", LISTS_IN_FLIGHT, samples, elapsed)
}

/// What one watcher saw during the watch measurement.
#[derive(Debug)]
struct Delivery {
    n_received: usize,
    /// When the last event arrived.
    last_arrival: Option<Instant>,
    /// The arrival time of every sampled event, by revision.
    sampled_arrivals: Vec<(Revision, Instant)>,
}

/// [`N_WATCHERS`] watchers on one prefix while writers create keys under it: how fast the events reach all of
/// them, and how long after each write's acknowledgement.
async fn measure_watch_fan_out(backend: &'static str, store: &DynStore, value: &Bytes, duration: Duration) -> Row {
    let start_revision = store.status().await.expect("read the store's revision").revision;
    let (end_sender, end_receiver) = watch::channel(None::<Revision>);
    let mut watchers = JoinSet::new();
    for _ in 0..N_WATCHERS {
        let stream = store.watch(WATCH_PREFIX, start_revision).await.expect("start a watch");
        watchers.spawn(follow(stream, start_revision, end_receiver.clone()));
    }

    let started = Instant::now();
    let deadline = started + duration;
    let next_index = Arc::new(AtomicUsize::new(0));
    let mut writers = JoinSet::new();
    for _ in 0..WRITES_IN_FLIGHT {
        let store = Arc::clone(store);
        let value = value.clone();
        let next_index = Arc::clone(&next_index);
        writers.spawn(async move {
            let mut n_written = 0usize;
            let mut sampled_acks = Vec::new();
            while Instant::now() < deadline {
                let index = next_index.fetch_add(1, Ordering::Relaxed);
                if index >= MAX_WATCH_EVENTS {
                    break;
                }
                let key = format!("{WATCH_PREFIX}{index:06}");
                let created = store.create(&key, value.clone()).await.expect("create a watched key");
                let acknowledged = Instant::now();
                if (created.mod_revision - start_revision) % DELIVERY_SAMPLE_EVERY == 0 {
                    sampled_acks.push((created.mod_revision, acknowledged));
                }
                n_written += 1;
                consume_budget().await;
            }
            (n_written, sampled_acks)
        });
    }
    let mut n_events = 0usize;
    let mut acknowledged_at = HashMap::new();
    while let Some(joined) = writers.join_next().await {
        let (n_written, sampled_acks) = joined.expect("a watch-measurement writer panicked");
        n_events += n_written;
        acknowledged_at.extend(sampled_acks);
    }
    let end_revision = start_revision + n_events as Revision;
    let current_revision = store.status().await.expect("read the store's revision").revision;
    assert_eq!(current_revision, end_revision, "only the benchmark's writers write during the watch measurement");
    end_sender.send_replace(Some(end_revision));

    let collected = tokio::time::timeout(DELIVERY_TIMEOUT, async {
        let mut deliveries = Vec::with_capacity(N_WATCHERS);
        while let Some(joined) = watchers.join_next().await {
            deliveries.push(joined.expect("a watcher panicked"));
        }
        deliveries
    })
    .await;
    let Ok(deliveries) = collected else {
        panic!(
            "{backend}: the watchers did not receive all {n_events} events within {}s of the last write",
            DELIVERY_TIMEOUT.as_secs()
        );
    };

    let mut latencies = Vec::new();
    let mut n_arrived_before_ack = 0usize;
    let mut finished = started;
    for delivery in &deliveries {
        assert_eq!(delivery.n_received, n_events, "every watcher receives every event");
        finished = finished.max(delivery.last_arrival.unwrap_or(started));
        for (revision, arrived) in &delivery.sampled_arrivals {
            let acknowledged = acknowledged_at.get(revision).expect("every sampled event was acknowledged");
            if arrived < acknowledged {
                n_arrived_before_ack += 1;
            }
            latencies.push(arrived.saturating_duration_since(*acknowledged));
        }
    }
    let n_delivered = n_events * N_WATCHERS;
    let mut row = Row::new(
        backend,
        "watch fan-out",
        format!("{N_WATCHERS} watchers, {WRITES_IN_FLIGHT} writers"),
        n_delivered,
        finished - started,
        latencies,
    );
    row.extra.insert("events".into(), json!(n_events));
    row.extra.insert("watchers".into(), json!(N_WATCHERS));
    row.extra.insert("writers".into(), json!(WRITES_IN_FLIGHT));
    row.extra.insert("arrived_before_ack".into(), json!(n_arrived_before_ack));
    row
}

/// Reads one watch until it has passed the end revision, which arrives on `end` once the writers are done.
async fn follow(
    mut stream: WatchStream,
    start_revision: Revision,
    mut end: watch::Receiver<Option<Revision>>,
) -> Delivery {
    let mut delivery = Delivery { n_received: 0, last_arrival: None, sampled_arrivals: Vec::new() };
    let mut last_revision = start_revision;
    let mut end_revision = None;
    loop {
        if end_revision.is_some_and(|end_revision| last_revision >= end_revision) {
            return delivery;
        }
        tokio::select! {
            item = stream.next() => {
                let event = item.expect("the watch ended before the last event").expect("a watch event, not an error");
                let arrived = Instant::now();
                last_revision = event.revision();
                delivery.n_received += 1;
                delivery.last_arrival = Some(arrived);
                if (last_revision - start_revision) % DELIVERY_SAMPLE_EVERY == 0 {
                    delivery.sampled_arrivals.push((last_revision, arrived));
                }
            }
            changed = end.changed(), if end_revision.is_none() => {
                changed.expect("the watch measurement ended without saying where the events end");
                end_revision = *end.borrow_and_update();
            }
        }
    }
}

/// Creates `n_keys` keys under `prefix` without timing them, [`WRITES_IN_FLIGHT`] at a time, and returns them in
/// key order.
async fn create_keys(store: &DynStore, prefix: &str, n_keys: usize, value: &Bytes) -> Vec<KeyValue> {
    let mut tasks = JoinSet::new();
    for worker in 0..WRITES_IN_FLIGHT.min(n_keys) {
        let store = Arc::clone(store);
        let value = value.clone();
        let prefix = prefix.to_owned();
        tasks.spawn(async move {
            let mut created = Vec::new();
            for index in (worker..n_keys).step_by(WRITES_IN_FLIGHT) {
                let key = format!("{prefix}{index:06}");
                created.push((index, store.create(&key, value.clone()).await.expect("create a benchmark key")));
            }
            created
        });
    }
    let mut created = Vec::with_capacity(n_keys);
    while let Some(joined) = tasks.join_next().await {
        created.extend(joined.expect("a key-creating task panicked"));
    }
    created.sort_by_key(|(index, _)| *index);
    created.into_iter().map(|(_, kv)| kv).collect()
}

/// Spawns `n_workers` closed-loop workers, each returning the latency of every call it made, and waits for all of
/// them. Returns every sample and the wall time from the first spawn to the last worker's return.
async fn run_workers<Worker, Work>(n_workers: usize, mut worker: Worker) -> (Vec<Duration>, Duration)
where
    Worker: FnMut(usize) -> Work,
    Work: Future<Output = Vec<Duration>> + Send + 'static,
{
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for worker_index in 0..n_workers {
        tasks.spawn(worker(worker_index));
    }
    let mut samples = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        samples.extend(joined.expect("a benchmark worker panicked"));
    }
    (samples, started.elapsed())
}

/// Awaits `operation` and appends how long it took to `samples`.
async fn timed<T>(samples: &mut Vec<Duration>, operation: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let output = operation.await;
    samples.push(started.elapsed());
    output
}

/// One line of the results.
#[derive(Debug)]
struct Row {
    backend: &'static str,
    operation: &'static str,
    /// Who was busy at once, in words.
    concurrency: String,
    /// Calls made, or for the watch fan-out, events delivered summed over the watchers.
    count: usize,
    elapsed: Duration,
    n_latency_samples: usize,
    p50: Duration,
    p99: Duration,
    /// Measurement-specific fields for the JSON file.
    extra: Map<String, Value>,
}

impl Row {
    fn new(
        backend: &'static str,
        operation: &'static str,
        concurrency: String,
        count: usize,
        elapsed: Duration,
        mut latencies: Vec<Duration>,
    ) -> Row {
        latencies.sort_unstable();
        Row {
            backend,
            operation,
            concurrency,
            count,
            elapsed,
            n_latency_samples: latencies.len(),
            p50: percentile(&latencies, 0.50),
            p99: percentile(&latencies, 0.99),
            extra: Map::new(),
        }
    }

    /// A row for closed-loop workers, where every call is one latency sample.
    fn closed_loop(
        backend: &'static str,
        operation: &'static str,
        n_workers: usize,
        latencies: Vec<Duration>,
        elapsed: Duration,
    ) -> Row {
        let mut row = Row::new(backend, operation, n_workers.to_string(), latencies.len(), elapsed, latencies);
        row.extra.insert("in_flight".into(), json!(n_workers));
        row
    }

    fn per_second(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    fn markdown(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {:.2} | {} | {} | {} |",
            self.backend,
            self.operation,
            self.concurrency,
            with_thousands(self.count as u64),
            self.elapsed.as_secs_f64(),
            with_thousands(self.per_second().round() as u64),
            human_duration(self.p50),
            human_duration(self.p99),
        )
    }

    fn to_json(&self) -> Value {
        let mut fields = Map::new();
        fields.insert("backend".into(), json!(self.backend));
        fields.insert("operation".into(), json!(self.operation));
        fields.insert("ops_per_sec".into(), json!(self.per_second()));
        fields.insert("p50_us".into(), json!(microseconds(self.p50)));
        fields.insert("p99_us".into(), json!(microseconds(self.p99)));
        fields.insert("count".into(), json!(self.count));
        fields.insert("seconds".into(), json!(self.elapsed.as_secs_f64()));
        fields.insert("concurrency".into(), json!(self.concurrency));
        fields.insert("latency_samples".into(), json!(self.n_latency_samples));
        fields.extend(self.extra.clone());
        Value::Object(fields)
    }
}

/// The store benchmark's report, with the settings it ran with.
fn new_report(options: &Options) -> Report {
    let settings = json!({
        "backends": options.backends.iter().map(|backend| backend.name()).collect::<Vec<_>>(),
        "seconds_per_measurement": options.duration.as_secs_f64(),
        "value_bytes": VALUE_BYTES,
        "writes_in_flight": WRITES_IN_FLIGHT,
        "reads_in_flight": READS_IN_FLIGHT,
        "lists_in_flight": LISTS_IN_FLIGHT,
        "list_size": LIST_SIZE,
        "watchers": N_WATCHERS,
        "max_watch_events": MAX_WATCH_EVENTS,
        "delivery_sample_every": DELIVERY_SAMPLE_EVERY,
    });
    Report::new("store", "Store benchmark", String::new(), TABLE_HEADER, TABLE_NOTES, settings)
}

fn add_row(report: &mut Report, row: Row) {
    report.add(row.to_json(), row.markdown());
}

//! An acknowledged write survives `kill -9`: a child process writes to a SQLite store as fast as it can and
//! prints each write it was told succeeded; the test kills it with SIGKILL at a different moment each round,
//! reopens the store, and checks that every acknowledged write is there and that revisions go on from there.
//! Some of the writes are transactions writing pairs of keys: each acknowledged one must be there whole, and no
//! pair may ever be half there, acknowledged or not.
//!
//! The child is this same test binary, re-run with `DURABILITY_CHILD_DIR` set.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use bytes::Bytes;
use store::{Compare, ListOptions, Revision, SqliteStore, Store, TxnOp};

const CHILD_DIR: &str = "DURABILITY_CHILD_DIR";
const ROUNDS: usize = 20;
const WRITERS: usize = 16;

#[test]
fn acknowledged_writes_survive_sigkill() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        write_until_killed(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut acked_so_far = Acked::default();
    let mut last_revision = 0;
    for round in 0..ROUNDS {
        // Vary how long the child runs so the kill lands in different places of the group commit cycle.
        let kill_after = 50 + (round * 389) % 1500;
        let acks = run_child_and_kill(dir.path(), kill_after);
        assert!(acks.len() >= kill_after, "round {round}: the child acknowledged {} writes", acks.len());
        for ack in acks {
            match ack {
                Line::Write(ack) => {
                    let previous = acked_so_far.writes.insert(ack.key.clone(), ack.clone());
                    assert!(previous.is_none_or(|p| p.revision < ack.revision), "revisions were reused: {ack:?}");
                }
                Line::Txn(txn) => {
                    let previous = acked_so_far.newest_txn.insert(txn.writer.clone(), txn.revision);
                    assert!(previous.is_none_or(|p| p < txn.revision), "revisions were reused: {txn:?}");
                    for key in &txn.keys {
                        acked_so_far.txn_keys.insert(key.clone(), txn.seq);
                    }
                    acked_so_far.txns.push(txn);
                }
            }
        }
        assert!(!acked_so_far.txns.is_empty(), "round {round}: the child committed transactions");
        last_revision = verify(dir.path(), &acked_so_far, last_revision, round);
    }
}

/// Everything the children acknowledged so far.
#[derive(Debug, Default)]
struct Acked {
    /// The newest acknowledged single write of each key.
    writes: HashMap<String, Ack>,
    txns: Vec<TxnAck>,
    /// The sequence number of the newest acknowledged transaction that wrote each key.
    txn_keys: HashMap<String, u64>,
    /// The revision of each writer's newest acknowledged transaction.
    newest_txn: HashMap<String, Revision>,
}

#[derive(Debug, Clone)]
struct Ack {
    key: String,
    revision: Revision,
    value: String,
}

/// A transaction the child was told succeeded: every key got the value `p-<seq>`.
#[derive(Debug, Clone)]
struct TxnAck {
    writer: String,
    seq: u64,
    revision: Revision,
    keys: Vec<String>,
}

#[derive(Debug)]
enum Line {
    Write(Ack),
    Txn(TxnAck),
}

fn run_child_and_kill(dir: &Path, kill_after: usize) -> Vec<Line> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "acknowledged_writes_survive_sigkill", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the child writer");
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines_rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        // Only whole lines count: a line cut short by the kill was never acknowledged.
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            if line.ends_with('\n') && lines_tx.send(line.trim_end().to_owned()).is_err() {
                break;
            }
            line.clear();
        }
    });
    let mut acks = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while acks.len() < kill_after {
        let remaining = deadline.saturating_duration_since(std::time::Instant::now());
        match lines_rx.recv_timeout(remaining) {
            Ok(line) => acks.extend(parse_ack(&line)),
            Err(error) => panic!("the child stopped acknowledging writes ({error}) after {}", acks.len()),
        }
    }
    child.kill().expect("SIGKILL the child");
    child.wait().unwrap();
    reader.join().unwrap();
    // Lines the child wrote before it died were acknowledged too.
    acks.extend(lines_rx.try_iter().filter_map(|line| parse_ack(&line)));
    acks
}

/// `ack <key> <revision> <value>` or `txn <writer> <seq> <revision> <key>...`.
fn parse_ack(line: &str) -> Option<Line> {
    if let Some(txn) = line.strip_prefix("txn ") {
        let mut fields = txn.split(' ');
        let writer = fields.next()?.to_owned();
        let seq = fields.next()?.parse().ok()?;
        let revision = fields.next()?.parse().ok()?;
        let keys: Vec<String> = fields.map(str::to_owned).collect();
        return (!keys.is_empty()).then_some(Line::Txn(TxnAck { writer, seq, revision, keys }));
    }
    let mut fields = line.strip_prefix("ack ")?.split(' ');
    let key = fields.next()?.to_owned();
    let revision = fields.next()?.parse().ok()?;
    let value = fields.next()?.to_owned();
    Some(Line::Write(Ack { key, revision, value }))
}

/// The sequence number in a transaction's value, `p-<seq>`.
fn txn_seq(value: &[u8]) -> u64 {
    let text = std::str::from_utf8(value).expect("a text value");
    text.strip_prefix("p-").and_then(|seq| seq.parse().ok()).unwrap_or_else(|| panic!("not a txn value: {text}"))
}

/// Checks that every pair under `prefix` (keys `<pair>/a` and `<pair>/b`) is whole: both sides, one value.
fn check_pairs(items: &[store::KeyValue], prefix: &str, round: usize) -> usize {
    let mut pairs: BTreeMap<&str, Vec<(&str, &[u8])>> = BTreeMap::new();
    for kv in items.iter().filter(|kv| kv.key.starts_with(prefix)) {
        let (pair, side) = kv.key.rsplit_once('/').expect("a pair key");
        pairs.entry(pair).or_default().push((side, &kv.value));
    }
    for (pair, sides) in &pairs {
        let names: Vec<&str> = sides.iter().map(|(side, _)| *side).collect();
        assert_eq!(names, ["a", "b"], "round {round}: pair {pair} is half there");
        assert_eq!(sides[0].1, sides[1].1, "round {round}: the sides of pair {pair} differ");
    }
    pairs.len()
}

/// Reopens the store and checks every acknowledged write; returns the revision it stood at.
fn verify(dir: &Path, acked: &Acked, last_revision: Revision, round: usize) -> Revision {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(dir).await.expect("reopen after SIGKILL");
        let revision = store.status().await.unwrap().revision;
        let newest_write = acked.writes.values().map(|ack| ack.revision).max().unwrap_or(0);
        let newest_ack = newest_write.max(acked.newest_txn.values().copied().max().unwrap_or(0));
        assert!(revision >= newest_ack, "round {round}: store at {revision}, but {newest_ack} was acknowledged");
        assert!(revision >= last_revision, "round {round}: the revision went back");
        let listed = store.list("/", ListOptions::default()).await.unwrap();
        let stored: HashMap<&str, _> = listed.items.iter().map(|kv| (kv.key.as_str(), kv)).collect();
        for ack in acked.writes.values() {
            let kv = stored.get(ack.key.as_str()).unwrap_or_else(|| panic!("round {round}: lost {ack:?}"));
            assert!(kv.mod_revision >= ack.revision, "round {round}: {} went back: {ack:?}", kv.mod_revision);
            if kv.mod_revision == ack.revision {
                assert_eq!(kv.value, Bytes::from(ack.value.clone()), "round {round}: {ack:?}");
            }
        }
        // Every acknowledged transaction is there whole (or overwritten by a later transaction of its writer).
        for txn in &acked.txns {
            for key in &txn.keys {
                let kv = stored.get(key.as_str()).unwrap_or_else(|| panic!("round {round}: lost {key} of {txn:?}"));
                let newest = acked.txn_keys[key];
                assert!(txn_seq(&kv.value) >= newest, "round {round}: {key} went back before {newest}: {txn:?}");
                if txn_seq(&kv.value) == txn.seq {
                    assert!(kv.mod_revision <= txn.revision, "round {round}: {key} is newer than {txn:?}");
                }
            }
        }
        // No pair is ever half there, acknowledged or not.
        let n_pairs = check_pairs(&listed.items, "/pairs/", round);
        check_pairs(&listed.items, "/hotpair/", round);
        assert!(n_pairs > 0, "round {round}: pairs were written");
        let next = store.create(&format!("/check/{round}"), Bytes::from_static(b"x")).await.unwrap();
        assert_eq!(next.mod_revision, revision + 1, "round {round}: revisions continue");
        store.close().await.unwrap();
        next.mod_revision
    })
}

/// The child: creates fresh keys, updates a hot key, and writes two pairs per transaction (a fresh one, and a hot
/// one per writer guarded by the revisions it read) until it is killed.
fn write_until_killed(dir: &Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = std::sync::Arc::new(SqliteStore::open(dir).await.expect("child opens the store"));
        let boot = store.status().await.unwrap().revision;
        let writers = (0..WRITERS).map(|writer| {
            let store = std::sync::Arc::clone(&store);
            tokio::spawn(async move {
                let hot = format!("/hot/{boot}/{writer}");
                let mut hot_revision = None;
                for seq in 0u64.. {
                    if seq % 4 == 3 {
                        let fresh = format!("/pairs/{boot}/{writer}/{seq}");
                        let hot_pair = format!("/hotpair/{boot}/{writer}");
                        let keys = [
                            format!("{fresh}/a"),
                            format!("{hot_pair}/a"),
                            format!("{fresh}/b"),
                            format!("{hot_pair}/b"),
                        ];
                        let mut compares = vec![Compare::absent(&keys[0]), Compare::absent(&keys[2])];
                        for key in [&keys[1], &keys[3]] {
                            let read = store.get(key, None).await.expect("child read");
                            compares.push(Compare::unchanged(key.as_str(), read.map_or(0, |kv| kv.mod_revision)));
                        }
                        let ops = keys.iter().map(|key| TxnOp::put(key.as_str(), format!("p-{seq}"))).collect();
                        let revision = store.txn(compares, ops).await.expect("child transaction");
                        println!("txn {boot}/{writer} {seq} {revision} {}", keys.join(" "));
                        continue;
                    }
                    let (key, value) = if seq % 3 == 2 {
                        (hot.clone(), format!("hot-{seq}"))
                    } else {
                        (format!("/keys/{boot}/{writer}/{seq}"), format!("v-{seq}"))
                    };
                    let kv = match (key == hot, hot_revision) {
                        (true, Some(expected)) => store.update(&key, Bytes::from(value.clone()), expected).await,
                        _ => store.create(&key, Bytes::from(value.clone())).await,
                    }
                    .expect("child write");
                    if key == hot {
                        hot_revision = Some(kv.mod_revision);
                    }
                    println!("ack {key} {} {value}", kv.mod_revision);
                }
            })
        });
        futures::future::join_all(writers).await;
    });
}

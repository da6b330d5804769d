//! An acknowledged write survives `kill -9`: a child process writes to a SQLite store as fast as it can and
//! prints each write it was told succeeded; the test kills it with SIGKILL at a different moment each round,
//! reopens the store, and checks that every acknowledged write is there and that revisions go on from there.
//!
//! The child is this same test binary, re-run with `DURABILITY_CHILD_DIR` set.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use bytes::Bytes;
use store::{ListOptions, Revision, SqliteStore, Store};

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
    let mut acked_so_far: HashMap<String, Ack> = HashMap::new();
    let mut last_revision = 0;
    for round in 0..ROUNDS {
        // Vary how long the child runs so the kill lands in different places of the group commit cycle.
        let kill_after = 50 + (round * 389) % 1500;
        let acks = run_child_and_kill(dir.path(), kill_after);
        assert!(acks.len() >= kill_after, "round {round}: the child acknowledged {} writes", acks.len());
        for ack in acks {
            let previous = acked_so_far.insert(ack.key.clone(), ack.clone());
            assert!(previous.is_none_or(|p| p.revision < ack.revision), "revisions were reused: {ack:?}");
        }
        last_revision = verify(dir.path(), &acked_so_far, last_revision, round);
    }
}

#[derive(Debug, Clone)]
struct Ack {
    key: String,
    revision: Revision,
    value: String,
}

fn run_child_and_kill(dir: &Path, kill_after: usize) -> Vec<Ack> {
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

fn parse_ack(line: &str) -> Option<Ack> {
    let mut fields = line.strip_prefix("ack ")?.split(' ');
    let key = fields.next()?.to_owned();
    let revision = fields.next()?.parse().ok()?;
    let value = fields.next()?.to_owned();
    Some(Ack { key, revision, value })
}

/// Reopens the store and checks every acknowledged write; returns the revision it stood at.
fn verify(dir: &Path, acked: &HashMap<String, Ack>, last_revision: Revision, round: usize) -> Revision {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(dir).await.expect("reopen after SIGKILL");
        let revision = store.status().await.unwrap().revision;
        let newest_ack = acked.values().map(|ack| ack.revision).max().unwrap_or(0);
        assert!(revision >= newest_ack, "round {round}: store at {revision}, but {newest_ack} was acknowledged");
        assert!(revision >= last_revision, "round {round}: the revision went back");
        let listed = store.list("/", ListOptions::default()).await.unwrap();
        let stored: HashMap<&str, _> = listed.items.iter().map(|kv| (kv.key.as_str(), kv)).collect();
        for ack in acked.values() {
            let kv = stored.get(ack.key.as_str()).unwrap_or_else(|| panic!("round {round}: lost {ack:?}"));
            assert!(kv.mod_revision >= ack.revision, "round {round}: {} went back: {ack:?}", kv.mod_revision);
            if kv.mod_revision == ack.revision {
                assert_eq!(kv.value, Bytes::from(ack.value.clone()), "round {round}: {ack:?}");
            }
        }
        let next = store.create(&format!("/check/{round}"), Bytes::from_static(b"x")).await.unwrap();
        assert_eq!(next.mod_revision, revision + 1, "round {round}: revisions continue");
        store.close().await.unwrap();
        next.mod_revision
    })
}

/// The child: creates fresh keys and updates a hot key per writer until it is killed.
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

//! The in-memory multi-version index that the SQLite and memory backends serve reads and watches from.
//!
//! It holds, per key, every version since the compaction point, and the log of events after it. Writers plan a
//! write against the latest versions ([`WriteOp::plan`]), make it durable if their backend persists anything,
//! and then [`Mvcc::apply`] it, which wakes the watchers of the prefixes the written keys fall under (and only
//! them: with thousands of watches over many clusters, a write wakes the few that can see it).
//!
//! Besides the log of every write, each watched prefix keeps its own log of the writes under it, so that a
//! watcher reads only the events it delivers: tearing down one cluster costs the other clusters' watchers
//! nothing, however long they slept. A watch that starts before its prefix was first watched reads the shared
//! log, filtered, up to that point.
//!
//! Several keys may be written at one revision (an etcd transaction, in the copy the watch cache keeps). Such a
//! revision is applied in one step and read by watchers in one scan, so no reader sees part of it.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ops::Bound;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;
use tokio::sync::watch;

use crate::{Compare, Event, EventKind, KeyValue, ListOptions, ListResult, Revision, StoreError, TxnOp};

/// One version of a key; `value` is `None` for the tombstone a delete leaves.
#[derive(Debug, Clone)]
struct Version {
    mod_revision: Revision,
    create_revision: Revision,
    value: Option<Bytes>,
}

#[derive(Debug, Default)]
struct State {
    /// Invariant: revisions only grow; every applied mutation carries a revision above this one, or this one
    /// when it writes another key of the same revision (a transaction's writes in etcd share one).
    revision: Revision,
    /// Versions superseded at or before this revision, and events at or before it, are gone.
    compacted: Revision,
    /// Invariant: each history is sorted by `mod_revision` and never empty. A key's name is allocated once and
    /// shared with its log entries.
    keys: BTreeMap<Arc<str>, Vec<Version>>,
    /// Invariant: sorted by revision, the entries of one revision in the order they were written; holds exactly
    /// the writes in `(compacted, revision]` that were applied with `log_event` set, each as its revision and
    /// key. The event itself is read back from the key's history, which keeps the written version and the one
    /// before it for as long as the log keeps the write: a log entry costs a few words, not a copy of two
    /// key-values.
    log: VecDeque<(Revision, Arc<str>)>,
    /// The watched prefixes, each with the log of the writes under it.
    watched: HashMap<Arc<str>, Watched>,
    /// Invariant: the lengths of the prefixes in `watched`, sorted, each once: a written key is looked up only
    /// at these lengths.
    watched_lengths: Vec<usize>,
    /// Subscriptions since prefixes nobody watches any more were last dropped.
    since_sweep: usize,
}

/// The log entries of the writes under one watched prefix, and the wake-up channel its watches share.
#[derive(Debug)]
struct Watched {
    /// Counts the applied batches that logged a write under the prefix (and closing).
    wake: Arc<watch::Sender<u64>>,
    /// Invariant: `log` holds exactly the entries of `State::log` under the prefix whose revision is above both
    /// `since` and the compaction point, in the same order. Entries are not kept while nobody watches the prefix;
    /// the next subscription starts it afresh.
    since: Revision,
    log: VecDeque<(Revision, Arc<str>)>,
}

impl Watched {
    fn new(since: Revision) -> Watched {
        Watched { wake: Arc::new(watch::channel(0).0), since, log: VecDeque::new() }
    }

    fn is_watched(&self) -> bool {
        self.wake.receiver_count() > 0
    }
}

/// What watchers are told after each write.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Signal {
    pub revision: Revision,
    pub closed: bool,
}

#[derive(Debug)]
pub(crate) struct Mvcc {
    state: RwLock<State>,
    signal: watch::Sender<Signal>,
}

/// How many subscriptions pass between sweeps of prefixes nobody watches any more.
const SWEEP_EVERY: usize = 256;

/// A write a caller asked for, not yet checked against the store.
#[derive(Debug)]
pub(crate) enum WriteOp {
    Create {
        key: String,
        value: Bytes,
    },
    Update {
        key: String,
        value: Bytes,
        expected: Revision,
    },
    Delete {
        key: String,
        expected: Option<Revision>,
    },
    /// A transaction whose shape `check_txn` has accepted: in particular no key appears in two ops.
    Txn {
        compares: Vec<Compare>,
        ops: Vec<TxnOp>,
    },
}

/// A checked write with its revision, ready to persist and apply.
#[derive(Debug, Clone)]
pub(crate) struct Mutation {
    pub key: String,
    pub revision: Revision,
    pub create_revision: Revision,
    /// `None` for a delete.
    pub value: Option<Bytes>,
    /// The key's state before the write.
    pub prev: Option<KeyValue>,
}

/// A checked write: its mutations, ready to persist and apply, and the revision it answers with.
#[derive(Debug)]
pub(crate) struct Planned {
    /// In revision order; one for a single-key write, one per op that changes something for a transaction.
    pub mutations: Vec<Mutation>,
    /// The revision of the last mutation, or the store's revision before the write when it changes nothing.
    pub revision: Revision,
}

impl Planned {
    /// The one mutation of a single-key write.
    pub fn single(self) -> Mutation {
        debug_assert_eq!(self.mutations.len(), 1, "a single-key write plans one mutation");
        self.mutations.into_iter().next().expect("a single-key write plans one mutation")
    }
}

impl WriteOp {
    /// A key the write touches, to name it in logs (empty for an empty transaction).
    pub fn first_key(&self) -> &str {
        match self {
            WriteOp::Create { key, .. } | WriteOp::Update { key, .. } | WriteOp::Delete { key, .. } => key,
            WriteOp::Txn { compares, ops } => {
                ops.first().map(TxnOp::key).or_else(|| compares.first().map(|c| c.key.as_str())).unwrap_or_default()
            }
        }
    }

    /// Checks the write against the current state of the keys it touches, as `current` reports it (the latest
    /// version, including writes planned before this one but not yet applied), and gives its mutations
    /// consecutive revisions starting at `revision`.
    pub fn plan(
        self,
        mut current: impl FnMut(&str) -> Option<KeyValue>,
        revision: Revision,
    ) -> Result<Planned, StoreError> {
        let single = |mutation: Mutation| Planned { revision: mutation.revision, mutations: vec![mutation] };
        match self {
            WriteOp::Create { key, value } => match current(&key) {
                Some(_) => Err(StoreError::AlreadyExists { key }),
                None => Ok(single(Mutation::put(key, value, None, revision))),
            },
            WriteOp::Update { key, value, expected } => {
                let current = current(&key).ok_or_else(|| StoreError::NotFound { key: key.clone() })?;
                if current.mod_revision != expected {
                    return Err(StoreError::Conflict { expected, current: Box::new(current) });
                }
                Ok(single(Mutation::put(key, value, Some(current), revision)))
            }
            WriteOp::Delete { key, expected } => {
                let current = current(&key).ok_or_else(|| StoreError::NotFound { key: key.clone() })?;
                if let Some(expected) = expected
                    && current.mod_revision != expected
                {
                    return Err(StoreError::Conflict { expected, current: Box::new(current) });
                }
                Ok(single(Mutation::delete(key, current, revision)))
            }
            WriteOp::Txn { compares, ops } => {
                for Compare { key, mod_revision: expected } in compares {
                    let state = current(&key);
                    if state.as_ref().map_or(0, |kv| kv.mod_revision) != expected {
                        return Err(StoreError::TxnFailed { key, expected, current: state.map(Box::new) });
                    }
                }
                // Every op reads the state before the transaction: no key appears in two ops.
                let mut mutations = Vec::with_capacity(ops.len());
                let mut next = revision;
                for op in ops {
                    let mutation = match op {
                        TxnOp::Put { key, value } => {
                            let prev = current(&key);
                            Mutation::put(key, value, prev, next)
                        }
                        TxnOp::Delete { key } => match current(&key) {
                            Some(prev) => Mutation::delete(key, prev, next),
                            // As in etcd, deleting a key that does not exist changes nothing and takes no revision.
                            None => continue,
                        },
                    };
                    mutations.push(mutation);
                    next += 1;
                }
                Ok(Planned { mutations, revision: next - 1 })
            }
        }
    }
}

impl Mutation {
    /// A put of `value` over `prev` (`None` when it creates the key).
    fn put(key: String, value: Bytes, prev: Option<KeyValue>, revision: Revision) -> Mutation {
        let create_revision = prev.as_ref().map_or(revision, |prev| prev.create_revision);
        Mutation { key, revision, create_revision, value: Some(value), prev }
    }

    /// A delete of a key that exists as `prev`.
    fn delete(key: String, prev: KeyValue, revision: Revision) -> Mutation {
        Mutation { key, revision, create_revision: 0, value: None, prev: Some(prev) }
    }

    /// The key's state after a put; `None` after a delete.
    pub fn after(&self) -> Option<KeyValue> {
        self.value.as_ref().map(|value| KeyValue {
            key: self.key.clone(),
            value: value.clone(),
            create_revision: self.create_revision,
            mod_revision: self.revision,
        })
    }
}

/// How far one call to [`Mvcc::events_after`] got.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scan {
    /// The last revision looked at; the next scan starts after it.
    pub through: Revision,
    /// Whether the scan reached the newest event.
    pub caught_up: bool,
    /// How many log entries it looked at, delivered or not.
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests that check what a scan looks at"))]
    pub visited: usize,
}

impl Mvcc {
    pub fn new(revision: Revision, compacted: Revision) -> Self {
        let state = State { revision, compacted, ..State::default() };
        Mvcc { state: RwLock::new(state), signal: watch::channel(Signal { revision, closed: false }).0 }
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().expect("store index lock poisoned by a panic")
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().expect("store index lock poisoned by a panic")
    }

    pub fn revision(&self) -> Revision {
        self.read().revision
    }

    pub fn compacted(&self) -> Revision {
        self.read().compacted
    }

    /// The key's latest state, if it exists.
    pub fn latest(&self, key: &str) -> Option<KeyValue> {
        self.read().latest(key)
    }

    pub fn get(&self, key: &str, revision: Option<Revision>) -> Result<Option<KeyValue>, StoreError> {
        let state = self.read();
        let at = state.resolve(revision)?;
        Ok(state.keys.get(key).and_then(|history| version_at(history, at)).and_then(|v| version_kv(key, v)))
    }

    pub fn list(&self, prefix: &str, options: &ListOptions) -> Result<ListResult, StoreError> {
        let state = self.read();
        let at = state.resolve(options.revision)?;
        let start = match &options.start_after {
            Some(after) if after.as_str() >= prefix => Bound::Excluded(after.as_str()),
            _ => Bound::Included(prefix),
        };
        let limit = options.limit.filter(|&limit| limit > 0).unwrap_or(usize::MAX);
        let mut items = Vec::new();
        let mut more = false;
        let live = state
            .keys
            .range::<str, _>((start, Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix))
            .filter_map(|(key, history)| version_kv(key, version_at(history, at)?));
        for kv in live {
            if items.len() == limit {
                more = true;
                break;
            }
            items.push(kv);
        }
        Ok(ListResult { items, revision: at, more })
    }

    /// Makes planned mutations visible, all in one step, and wakes the watchers. The mutations are in revision
    /// order; several may share a revision, and then all of that revision's mutations must be in this call. With
    /// `log_event` unset (replaying history that is older than the compaction point) the mutations update the
    /// index only.
    pub fn apply(&self, mutations: &[Mutation], log_event: bool) {
        let Some(last) = mutations.last() else { return };
        let mut woken = Vec::new();
        {
            let mut state = self.write();
            for mutation in mutations {
                state.push(mutation, log_event, &mut woken);
            }
        }
        self.signal.send_modify(|signal| signal.revision = last.revision);
        wake(&woken);
    }

    /// Wakes every watcher (closing).
    fn wake_all(&self) {
        let woken: Vec<_> = self.read().watched.values().map(|watched| Arc::clone(&watched.wake)).collect();
        wake(&woken);
    }

    /// Moves the revision counter forward without a write: after a restart, past revisions whose rows
    /// compaction removed.
    pub fn advance(&self, revision: Revision) {
        let mut state = self.write();
        state.revision = state.revision.max(revision);
        drop(state);
        self.signal.send_modify(|signal| signal.revision = signal.revision.max(revision));
    }

    /// Checks a write against the latest state and applies it in one step: the memory backend's write path.
    pub fn write_now(&self, op: WriteOp) -> Result<Planned, StoreError> {
        let mut woken = Vec::new();
        let planned = {
            let mut state = self.write();
            let planned = op.plan(|key| state.latest(key), state.revision + 1)?;
            for mutation in &planned.mutations {
                state.push(mutation, true, &mut woken);
            }
            planned
        };
        if !planned.mutations.is_empty() {
            self.signal.send_modify(|signal| signal.revision = planned.revision);
            wake(&woken);
        }
        Ok(planned)
    }

    /// Checks that `revision` may be compacted to: `Ok(false)` if it already is, an error if it is in the future.
    pub fn check_compact(&self, revision: Revision) -> Result<bool, StoreError> {
        let state = self.read();
        if revision > state.revision {
            return Err(StoreError::FutureRevision { requested: revision, current: state.revision });
        }
        Ok(revision > state.compacted)
    }

    /// Drops every version superseded at or before `revision`, every tombstone at or before it, and the events
    /// up to it.
    pub fn compact(&self, revision: Revision) {
        let mut state = self.write();
        if revision <= state.compacted {
            return;
        }
        state.keys.retain(|_, history| {
            history.drain(..first_kept(history, revision));
            !history.is_empty()
        });
        while state.log.front().is_some_and(|(logged, _)| *logged <= revision) {
            state.log.pop_front();
        }
        state.sweep();
        for watched in state.watched.values_mut() {
            while watched.log.front().is_some_and(|(logged, _)| *logged <= revision) {
                watched.log.pop_front();
            }
        }
        state.compacted = revision;
    }

    /// The revisions of the versions that compacting to `revision` will drop, in no particular order.
    pub fn compaction_victims(&self, revision: Revision) -> Vec<Revision> {
        let state = self.read();
        let mut victims = Vec::new();
        for history in state.keys.values() {
            victims.extend(history[..first_kept(history, revision)].iter().map(|v| v.mod_revision));
        }
        victims
    }

    /// Appends to `out` the events under `prefix` after `after`, looking at no more than `budget` log entries
    /// unless the last of them shares its revision with the next: a scan never ends inside a revision, because
    /// the next one starts after the revision it ended at. A watched prefix is read from its own log, so only
    /// its events are looked at; before that log starts, and for a prefix nobody watches, the shared log is read
    /// and filtered.
    pub fn events_after(
        &self,
        prefix: &str,
        after: Revision,
        budget: usize,
        out: &mut VecDeque<Event>,
    ) -> Result<Scan, StoreError> {
        let state = self.read();
        if after < state.compacted {
            return Err(StoreError::Compacted { requested: after + 1, compacted: state.compacted });
        }
        let scan = match state.watched.get(prefix).filter(|watched| watched.is_watched()) {
            Some(watched) if watched.since <= after => {
                state.scan(&watched.log, None, after, state.revision, budget, out)
            }
            // Up to where the prefix's own log starts; the next scan goes on from there.
            Some(watched) => state.scan(&state.log, Some(prefix), after, watched.since, budget, out),
            None => state.scan(&state.log, Some(prefix), after, state.revision, budget, out),
        };
        Ok(scan)
    }

    /// Whether a watch may start after `after`.
    pub fn check_watch(&self, after: Revision) -> Result<(), StoreError> {
        let compacted = self.compacted();
        if after < compacted {
            return Err(StoreError::Compacted { requested: after + 1, compacted });
        }
        Ok(())
    }

    pub fn subscribe(&self) -> watch::Receiver<Signal> {
        self.signal.subscribe()
    }

    /// Wakes on every write under `prefix` after this call, and on closing. While a receiver is held, the
    /// prefix keeps its own log of the writes under it from this call on, which [`Mvcc::events_after`] reads.
    pub fn subscribe_prefix(&self, prefix: &str) -> watch::Receiver<u64> {
        let mut state = self.write();
        state.since_sweep += 1;
        if state.since_sweep >= SWEEP_EVERY {
            state.since_sweep = 0;
            state.sweep();
        }
        let revision = state.revision;
        if !state.watched.contains_key(prefix)
            && let Err(at) = state.watched_lengths.binary_search(&prefix.len())
        {
            state.watched_lengths.insert(at, prefix.len());
        }
        let watched = state.watched.entry(Arc::from(prefix)).or_insert_with(|| Watched::new(revision));
        if !watched.is_watched() {
            // Nobody watched it for a while, so its log has a gap: it starts again here.
            *watched = Watched { wake: Arc::clone(&watched.wake), ..Watched::new(revision) };
        }
        watched.wake.subscribe()
    }

    /// Ends every watch once it has delivered what is already logged.
    pub fn close(&self) {
        self.signal.send_modify(|signal| signal.closed = true);
        self.wake_all();
    }

    pub fn is_closed(&self) -> bool {
        self.signal.borrow().closed
    }
}

impl State {
    fn latest(&self, key: &str) -> Option<KeyValue> {
        version_kv(key, self.keys.get(key)?.last()?)
    }

    /// Adds a mutation's version to its key's history and, with `log_event`, its entry to the log and to the
    /// logs of the watched prefixes it falls under, whose wake-up channels go into `woken` (each once).
    fn push(&mut self, mutation: &Mutation, log_event: bool, woken: &mut Vec<Arc<watch::Sender<u64>>>) {
        debug_assert!(mutation.revision >= self.revision, "revisions must grow");
        let version = Version {
            mod_revision: mutation.revision,
            create_revision: mutation.create_revision,
            value: mutation.value.clone(),
        };
        let key = match self.keys.get_key_value(mutation.key.as_str()) {
            Some((key, _)) => Arc::clone(key),
            None => Arc::from(mutation.key.as_str()),
        };
        let history = self.keys.entry(Arc::clone(&key)).or_default();
        debug_assert!(
            history.last().is_none_or(|v| v.mod_revision < mutation.revision),
            "one write per key and revision"
        );
        history.push(version);
        if log_event {
            for &end in &self.watched_lengths {
                if end > key.len() {
                    break;
                }
                if let Some(prefix) = key.get(..end)
                    && let Some(watched) = self.watched.get_mut(prefix)
                {
                    if !watched.is_watched() {
                        continue;
                    }
                    watched.log.push_back((mutation.revision, Arc::clone(&key)));
                    if !woken.iter().any(|known| Arc::ptr_eq(known, &watched.wake)) {
                        woken.push(Arc::clone(&watched.wake));
                    }
                }
            }
            self.log.push_back((mutation.revision, key));
        }
        self.revision = mutation.revision;
    }

    /// Drops the prefixes nobody watches any more.
    fn sweep(&mut self) {
        self.watched.retain(|_, watched| watched.is_watched());
        let mut lengths: Vec<usize> = self.watched.keys().map(|prefix| prefix.len()).collect();
        lengths.sort_unstable();
        lengths.dedup();
        self.watched_lengths = lengths;
    }

    /// Appends to `out` the events of `entries` (a log) after `after` and up to `until`, those under `prefix`
    /// when one is given, looking at no more than `budget` entries unless the last shares its revision with the
    /// next.
    fn scan(
        &self,
        entries: &VecDeque<(Revision, Arc<str>)>,
        prefix: Option<&str>,
        after: Revision,
        until: Revision,
        budget: usize,
        out: &mut VecDeque<Event>,
    ) -> Scan {
        let start = entries.partition_point(|(logged, _)| *logged <= after);
        let mut through = after;
        let mut visited = 0;
        let mut stopped = false;
        for (revision, key) in entries.range(start..) {
            if *revision > until {
                break;
            }
            if visited >= budget && *revision != through {
                stopped = true;
                break;
            }
            visited += 1;
            through = *revision;
            if prefix.is_none_or(|prefix| key.starts_with(prefix)) {
                out.push_back(self.event(key, *revision));
            }
        }
        // Every entry up to `until` was looked at: nothing else happened under the prefix before it.
        if !stopped {
            through = through.max(until);
        }
        Scan { through, caught_up: through >= self.revision, visited }
    }

    /// The event of the logged write of `key` at `revision`, from the key's history: the version written and,
    /// as the state before it, the version it replaced unless that was a delete.
    fn event(&self, key: &str, revision: Revision) -> Event {
        let history = self.keys.get(key).map(Vec::as_slice).unwrap_or_default();
        let at = history.partition_point(|v| v.mod_revision < revision);
        debug_assert!(history.get(at).is_some_and(|v| v.mod_revision == revision), "a logged write is in its history");
        let prev = at.checked_sub(1).and_then(|before| version_kv(key, &history[before]));
        match history.get(at).and_then(|version| version_kv(key, version)) {
            Some(kv) => Event { kind: EventKind::Put, kv, prev },
            None => Event {
                kind: EventKind::Delete,
                kv: KeyValue { key: key.to_owned(), value: Bytes::new(), create_revision: 0, mod_revision: revision },
                prev,
            },
        }
    }

    /// The revision a read asked for, checked against the kept history.
    fn resolve(&self, requested: Option<Revision>) -> Result<Revision, StoreError> {
        match requested {
            None | Some(0) => Ok(self.revision),
            Some(at) if at > self.revision => Err(StoreError::FutureRevision { requested: at, current: self.revision }),
            Some(at) if at < self.compacted => Err(StoreError::Compacted { requested: at, compacted: self.compacted }),
            Some(at) => Ok(at),
        }
    }
}

/// Bumps each wake-up channel once.
fn wake(woken: &[Arc<watch::Sender<u64>>]) {
    for channel in woken {
        channel.send_modify(|writes| *writes += 1);
    }
}

/// Where a key's history starts after compacting to `revision`: at the newest version a read at `revision`
/// sees, unless that is a tombstone, in which case after it.
fn first_kept(history: &[Version], revision: Revision) -> usize {
    let visible = history.partition_point(|v| v.mod_revision <= revision);
    match visible.checked_sub(1) {
        Some(newest) if history[newest].value.is_some() => newest,
        _ => visible,
    }
}

fn version_at(history: &[Version], revision: Revision) -> Option<&Version> {
    let visible = history.partition_point(|v| v.mod_revision <= revision);
    visible.checked_sub(1).map(|idx| &history[idx])
}

fn version_kv(key: &str, version: &Version) -> Option<KeyValue> {
    Some(KeyValue {
        key: key.to_owned(),
        value: version.value.clone()?,
        create_revision: version.create_revision,
        mod_revision: version.mod_revision,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(mvcc: &Mvcc, key: &str) {
        mvcc.write_now(WriteOp::Create { key: key.to_owned(), value: Bytes::from_static(b"v") }).unwrap();
    }

    #[test]
    fn a_write_wakes_only_the_watchers_of_prefixes_it_falls_under() {
        let mvcc = Mvcc::new(0, 0);
        let (mut pods, mut pods_again) =
            (mvcc.subscribe_prefix("/registry/a/pods/"), mvcc.subscribe_prefix("/registry/a/pods/"));
        let mut cluster = mvcc.subscribe_prefix("/registry/a/");
        let mut other = mvcc.subscribe_prefix("/registry/b/");
        let mut everything = mvcc.subscribe_prefix("");
        let mut odd = mvcc.subscribe_prefix("/registry/a/po");

        put(&mvcc, "/registry/b/pods/x");
        assert!(!pods.has_changed().unwrap() && !cluster.has_changed().unwrap() && !odd.has_changed().unwrap());
        assert!(other.has_changed().unwrap() && everything.has_changed().unwrap());
        other.borrow_and_update();
        everything.borrow_and_update();

        put(&mvcc, "/registry/a/pods/x");
        for receiver in [&mut pods, &mut pods_again, &mut cluster, &mut everything, &mut odd] {
            assert!(receiver.has_changed().unwrap());
            receiver.borrow_and_update();
        }
        assert!(!other.has_changed().unwrap());

        // A batch wakes each prefix once; a multi-byte key is cut only at character boundaries.
        let batch = [("/registry/a/pods/y", 3), ("/registry/a/pods/ü", 4)].map(|(key, revision)| Mutation {
            key: key.to_owned(),
            revision,
            create_revision: revision,
            value: Some(Bytes::from_static(b"v")),
            prev: None,
        });
        let before = *pods.borrow();
        mvcc.apply(&batch, true);
        assert_eq!(*pods.borrow_and_update() - before, 1);
        assert!(!other.has_changed().unwrap());

        // Closing wakes everyone.
        mvcc.close();
        assert!(other.has_changed().unwrap() && pods_again.has_changed().unwrap());
    }

    #[test]
    fn logged_writes_read_back_as_events_with_the_state_before_them() {
        use EventKind::{Delete, Put};
        let mvcc = Mvcc::new(0, 0);
        let value = |text: &'static str| Bytes::from_static(text.as_bytes());
        let write = |op| mvcc.write_now(op).expect("the write applies");
        write(WriteOp::Create { key: "/a".into(), value: value("1") });
        write(WriteOp::Update { key: "/a".into(), value: value("2"), expected: 1 });
        write(WriteOp::Create { key: "/b".into(), value: value("x") });
        write(WriteOp::Delete { key: "/a".into(), expected: None });
        write(WriteOp::Create { key: "/a".into(), value: value("3") });
        let events = |prefix: &str, after| {
            let mut out = VecDeque::new();
            mvcc.events_after(prefix, after, 100, &mut out).expect("kept");
            let seen: Vec<_> = out
                .into_iter()
                .map(|e| {
                    let prev = e.prev.map(|p| (p.value, p.create_revision, p.mod_revision));
                    (e.kind, e.kv.key, e.kv.value, e.kv.create_revision, e.kv.mod_revision, prev)
                })
                .collect();
            seen
        };
        let a = || "/a".to_owned();
        assert_eq!(
            events("/a", 0),
            vec![
                (Put, a(), value("1"), 1, 1, None),
                (Put, a(), value("2"), 1, 2, Some((value("1"), 1, 1))),
                (Delete, a(), Bytes::new(), 0, 4, Some((value("2"), 1, 2))),
                (Put, a(), value("3"), 5, 5, None),
            ]
        );
        assert_eq!(events("/b", 0), vec![(Put, "/b".to_owned(), value("x"), 3, 3, None)]);
        // Compaction drops what no kept event needs and keeps what the later events say they replaced.
        mvcc.compact(3);
        assert_eq!(
            events("/", 3),
            vec![(Delete, a(), Bytes::new(), 0, 4, Some((value("2"), 1, 2))), (Put, a(), value("3"), 5, 5, None),]
        );
        mvcc.compact(4);
        assert_eq!(events("/", 4), vec![(Put, a(), value("3"), 5, 5, None)]);
        assert!(matches!(mvcc.events_after("/", 2, 100, &mut VecDeque::new()), Err(StoreError::Compacted { .. })));
        // The key's name is shared by its history and its log entries, not copied per write.
        let state = mvcc.read();
        let (name, _) = state.keys.get_key_value("/a").expect("kept");
        assert!(state.log.iter().all(|(_, logged)| logged.as_ref() != "/a" || Arc::ptr_eq(logged, name)));
    }

    #[test]
    fn a_revision_shared_by_several_keys_is_read_whole() {
        a_revision_shared_by_several_keys_is_read_whole_when(false);
        a_revision_shared_by_several_keys_is_read_whole_when(true);
    }

    fn a_revision_shared_by_several_keys_is_read_whole_when(watched: bool) {
        let mvcc = Mvcc::new(0, 0);
        let _watching = watched.then(|| mvcc.subscribe_prefix("/t/"));
        let at = |revision, keys: &[&str]| -> Vec<Mutation> {
            keys.iter()
                .map(|key| Mutation {
                    key: (*key).to_owned(),
                    revision,
                    create_revision: revision,
                    value: Some(Bytes::from_static(b"v")),
                    prev: None,
                })
                .collect()
        };
        mvcc.apply(&at(1, &["/t/c", "/t/a", "/t/b"]), true);
        mvcc.apply(&at(2, &["/t/d"]), true);
        // A scan with room for one event still takes the whole of revision 1, in the order it was written,
        // and the next scan goes on with revision 2.
        let mut out = VecDeque::new();
        let scan = mvcc.events_after("/t/", 0, 1, &mut out).expect("kept");
        assert_eq!(out.iter().map(|e| e.kv.key.as_str()).collect::<Vec<_>>(), ["/t/c", "/t/a", "/t/b"]);
        assert_eq!((scan.through, scan.caught_up), (1, false));
        out.clear();
        let scan = mvcc.events_after("/t/", scan.through, 1, &mut out).expect("kept");
        assert_eq!(out.iter().map(|e| e.kv.key.as_str()).collect::<Vec<_>>(), ["/t/d"]);
        assert!(scan.caught_up);
        // Reads at the shared revision see every key of it.
        let listed = mvcc.list("/t/", &ListOptions { revision: Some(1), ..ListOptions::default() }).expect("kept");
        assert_eq!(listed.items.iter().map(|kv| kv.key.as_str()).collect::<Vec<_>>(), ["/t/a", "/t/b", "/t/c"]);
        mvcc.compact(1);
        assert_eq!(mvcc.list("/t/", &ListOptions::default()).expect("kept").items.len(), 4);
    }

    #[test]
    fn a_transaction_is_planned_against_the_state_before_it() {
        use crate::{Compare, TxnOp};
        let existing =
            KeyValue { key: "/x".into(), value: Bytes::from_static(b"1"), create_revision: 3, mod_revision: 5 };
        let current = |key: &str| (key == "/x").then(|| existing.clone());
        let txn = |compares, ops| WriteOp::Txn { compares, ops }.plan(current, 10);
        let planned = txn(
            vec![Compare::unchanged("/x", 5), Compare::absent("/y")],
            vec![
                TxnOp::delete("/missing"),
                TxnOp::put("/x", Bytes::from_static(b"2")),
                TxnOp::put("/y", Bytes::new()),
                TxnOp::delete("/x2"),
            ],
        )
        .expect("the compares hold");
        let summary: Vec<_> = planned
            .mutations
            .iter()
            .map(|m| (m.key.as_str(), m.revision, m.create_revision, m.prev.is_some()))
            .collect();
        assert_eq!(summary, [("/x", 10, 3, true), ("/y", 11, 11, false)], "deletes of missing keys take no revision");
        assert_eq!(planned.revision, 11);
        let nothing = txn(vec![], vec![TxnOp::delete("/missing")]).expect("no compares");
        assert!(nothing.mutations.is_empty());
        assert_eq!(nothing.revision, 9, "a transaction that changes nothing answers with the revision before it");
        let refused = txn(vec![Compare::absent("/y"), Compare::absent("/x")], vec![TxnOp::delete("/x")]).unwrap_err();
        let StoreError::TxnFailed { key, expected, current } = refused else { panic!("{refused:?}") };
        assert_eq!((key.as_str(), expected, current.as_deref()), ("/x", 0, Some(&existing)));
    }

    /// The keys of the events under `prefix` after `after`, and the scan.
    fn scan_keys(mvcc: &Mvcc, prefix: &str, after: Revision, budget: usize) -> (Vec<String>, Scan) {
        let mut out = VecDeque::new();
        let scan = mvcc.events_after(prefix, after, budget, &mut out).expect("kept");
        (out.into_iter().map(|event| event.kv.key).collect(), scan)
    }

    #[test]
    fn a_watched_prefix_reads_only_its_own_events() {
        let mvcc = Mvcc::new(0, 0);
        let _watching = mvcc.subscribe_prefix("/a/");
        put(&mvcc, "/a/1");
        for index in 0..1000 {
            put(&mvcc, &format!("/b/{index}"));
        }
        put(&mvcc, "/a/2");
        let (keys, scan) = scan_keys(&mvcc, "/a/", 0, 1024);
        assert_eq!(keys, ["/a/1", "/a/2"]);
        assert_eq!((scan.visited, scan.through, scan.caught_up), (2, 1002, true), "{scan:?}");
        // From between its events: only what is left.
        let (keys, scan) = scan_keys(&mvcc, "/a/", 1, 1024);
        assert_eq!((keys, scan.visited), (vec!["/a/2".to_owned()], 1));
        // A prefix nobody watches reads the shared log, filtered.
        let (keys, scan) = scan_keys(&mvcc, "/a/1", 0, 2000);
        assert_eq!((keys, scan.visited), (vec!["/a/1".to_owned()], 1002));
        // A budget stops a scan of the prefix's log too, and the next goes on after it.
        let (keys, scan) = scan_keys(&mvcc, "/a/", 0, 1);
        assert_eq!((keys, scan.through, scan.caught_up), (vec!["/a/1".to_owned()], 1, false));
    }

    #[test]
    fn a_watch_from_before_its_prefix_was_watched_reads_the_shared_log_up_to_there() {
        let mvcc = Mvcc::new(0, 0);
        put(&mvcc, "/a/1");
        put(&mvcc, "/b/1");
        let watching = mvcc.subscribe_prefix("/a/");
        put(&mvcc, "/b/2");
        put(&mvcc, "/a/2");
        let (keys, first) = scan_keys(&mvcc, "/a/", 0, 100);
        assert_eq!(keys, ["/a/1"]);
        assert_eq!((first.through, first.caught_up, first.visited), (2, false, 2), "{first:?}");
        let (keys, second) = scan_keys(&mvcc, "/a/", first.through, 100);
        assert_eq!(keys, ["/a/2"]);
        assert_eq!((second.through, second.caught_up, second.visited), (4, true, 1), "{second:?}");

        // Unwatched for a while, the prefix's log has a gap: a new watcher starts it afresh, and older events
        // come from the shared log again.
        drop(watching);
        put(&mvcc, "/a/3");
        let _again = mvcc.subscribe_prefix("/a/");
        put(&mvcc, "/a/4");
        let (keys, _) = scan_keys(&mvcc, "/a/", 1, 100);
        assert_eq!(keys, ["/a/2", "/a/3"]);
        let (keys, scan) = scan_keys(&mvcc, "/a/", 5, 100);
        assert_eq!((keys, scan.visited), (vec!["/a/4".to_owned()], 1));
    }

    #[test]
    fn compaction_trims_the_prefixes_logs() {
        let mvcc = Mvcc::new(0, 0);
        let _watching = mvcc.subscribe_prefix("/a/");
        for index in 0..4 {
            put(&mvcc, &format!("/a/{index}"));
        }
        mvcc.compact(2);
        assert!(matches!(mvcc.events_after("/a/", 1, 100, &mut VecDeque::new()), Err(StoreError::Compacted { .. })));
        let (keys, scan) = scan_keys(&mvcc, "/a/", 2, 100);
        assert_eq!((keys, scan.visited), (vec!["/a/2".to_owned(), "/a/3".to_owned()], 2));
        assert_eq!(mvcc.read().watched["/a/"].log.len(), 2);
    }

    #[test]
    fn prefixes_nobody_watches_are_dropped() {
        let mvcc = Mvcc::new(0, 0);
        for index in 0..SWEEP_EVERY {
            drop(mvcc.subscribe_prefix(&format!("/gone/{index}/")));
        }
        let _kept = mvcc.subscribe_prefix("/kept/");
        let state = mvcc.read();
        assert!(state.watched.len() <= 2, "{} prefixes left", state.watched.len());
        assert!(state.watched.contains_key("/kept/"));
    }
}

//! Store values decoded once for all of a cluster's watches.
//!
//! Every write to a pod reaches each watch on pods (the scheduler, the node agent and a dozen controllers), and
//! each watch needs the object as JSON with its `resourceVersion` set: decoding and encoding it once per watch was
//! most of the CPU a busy cluster spent. Watches of one cluster see the same writes at nearly the same time, so a
//! small cache of the most recent decodes, keyed by the write's revision and key, serves all but the first.
//!
//! A watch that falls further behind than the cache holds decodes for itself; nothing depends on a hit.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::object;

/// How many writes the cache holds. Under load the slowest watches trail the fastest by thousands of writes;
/// an entry keeps the stored bytes (shared with the store) and, once asked for, their encoding with the
/// resourceVersion set.
const CAPACITY: usize = 8192;

/// One stored value as watches need it, each form made the first time a watch asks for it.
#[derive(Debug)]
pub struct Decoded {
    stored: Bytes,
    revision: i64,
    selectable: OnceLock<Option<Value>>,
    json: OnceLock<Option<Bytes>>,
}

impl Decoded {
    fn new(stored: Bytes, revision: i64) -> Decoded {
        Decoded { stored, revision, selectable: OnceLock::new(), json: OnceLock::new() }
    }

    /// What label and field selectors look at (see [`selectable`]); `None` when the stored bytes are not a JSON
    /// object. Kept small on purpose: thousands of entries hold one, and a full decoded pod is tens of kilobytes.
    pub fn selectable(&self) -> Option<&Value> {
        self.selectable.get_or_init(|| selectable(&self.stored)).as_ref()
    }

    /// The whole object with `metadata.resourceVersion` set, decoded for the caller alone (watches that present
    /// objects their own way: custom resources, tables); `None` when the stored bytes are not a JSON object.
    pub fn value(&self) -> Option<Value> {
        let mut value: Value = serde_json::from_slice(&self.stored).ok()?;
        value.is_object().then(|| object::set_resource_version(&mut value, self.revision))?;
        Some(value)
    }

    /// The object encoded as JSON with `metadata.resourceVersion` set; `None` when the stored bytes are not a
    /// JSON object. Only the top level and `metadata` are taken apart: the rest is copied as it was stored.
    pub fn json(&self) -> Option<&Bytes> {
        self.json.get_or_init(|| with_resource_version(&self.stored, self.revision)).as_ref()
    }
}

/// The part of `stored` (a JSON object) that selectors can see: the top level's scalars, the scalars of each
/// object directly under it, and `metadata.labels`. Every selectable field is at most two levels deep
/// (`spec.nodeName`, `involvedObject.kind`, `type`), so specs, statuses' lists and managed fields are skipped
/// without being decoded.
fn selectable(stored: &[u8]) -> Option<Value> {
    let top: BTreeMap<String, &RawValue> = serde_json::from_slice(stored).ok()?;
    let mut kept = Map::new();
    for (key, raw) in top {
        let text = raw.get();
        if text.starts_with('{') {
            let members: BTreeMap<String, &RawValue> = serde_json::from_str(text).ok()?;
            let mut inner = Map::new();
            for (name, raw) in members {
                let nested = raw.get().starts_with(['{', '[']);
                if !nested || (key == "metadata" && name == "labels") {
                    inner.insert(name, serde_json::from_str(raw.get()).ok()?);
                }
            }
            kept.insert(key, Value::Object(inner));
        } else if !text.starts_with('[') {
            kept.insert(key, serde_json::from_str(text).ok()?);
        }
    }
    Some(Value::Object(kept))
}

/// `stored` (a JSON object) with `metadata.resourceVersion` set to `revision`.
fn with_resource_version(stored: &[u8], revision: i64) -> Option<Bytes> {
    let mut top: BTreeMap<String, &RawValue> = serde_json::from_slice(stored).ok()?;
    let mut metadata: BTreeMap<String, &RawValue> = match top.get("metadata") {
        // Metadata that is not an object is replaced, as the full decode replaces it.
        Some(raw) => serde_json::from_str(raw.get()).unwrap_or_default(),
        None => BTreeMap::new(),
    };
    let version = RawValue::from_string(format!("\"{revision}\"")).expect("a JSON string");
    metadata.insert("resourceVersion".to_owned(), &version);
    let metadata = RawValue::from_string(serde_json::to_string(&metadata).ok()?).ok()?;
    top.insert("metadata".to_owned(), &metadata);
    serde_json::to_vec(&top).ok().map(Bytes::from)
}

/// Which state of a key an event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The state a write left.
    Current,
    /// The state before the write (what a DELETED event reports).
    Previous,
}

type CacheKey = (i64, Side, String);

/// The cache; one per cluster.
#[derive(Debug, Default)]
pub struct DecodeCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<CacheKey, Arc<Decoded>>,
    order: VecDeque<CacheKey>,
}

impl DecodeCache {
    /// The stored value of `key` as watch events at `revision` report it, shared with every other watch that
    /// asks for the same write.
    pub fn decode(&self, key: &str, side: Side, revision: i64, stored: &Bytes) -> Arc<Decoded> {
        let cache_key = (revision, side, key.to_owned());
        let mut inner = self.lock();
        if let Some(hit) = inner.entries.get(&cache_key) {
            return Arc::clone(hit);
        }
        let decoded = Arc::new(Decoded::new(stored.clone(), revision));
        inner.entries.insert(cache_key.clone(), Arc::clone(&decoded));
        inner.order.push_back(cache_key);
        while inner.order.len() > CAPACITY {
            if let Some(oldest) = inner.order.pop_front() {
                inner.entries.remove(&oldest);
            }
        }
        decoded
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("the decode cache lock is never poisoned")
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(text: &str) -> Bytes {
        Bytes::from(text.to_owned())
    }

    #[test]
    fn one_write_is_decoded_once_and_shared() {
        let cache = DecodeCache::default();
        let bytes = stored(r#"{"kind":"Pod","metadata":{"name":"a"},"spec":{"x":[1,{"y":"\"metadata\":{"}]}}"#);
        let first = cache.decode("/pods/a", Side::Current, 7, &bytes);
        let second = cache.decode("/pods/a", Side::Current, 7, &bytes);
        assert!(Arc::ptr_eq(&first, &second));
        let value = first.value().expect("an object");
        assert_eq!(value["metadata"]["resourceVersion"], "7");
        // The spliced encoding says what the full decode says.
        let spliced: Value = serde_json::from_slice(first.json().expect("an object")).expect("JSON");
        assert_eq!(spliced, value);
        assert!(std::ptr::eq(first.json().expect("encoded"), second.json().expect("encoded")));
    }

    #[test]
    fn an_object_without_metadata_gets_one() {
        let cache = DecodeCache::default();
        let decoded = cache.decode("/x", Side::Current, 3, &stored(r#"{"kind":"X"}"#));
        assert_eq!(decoded.json().expect("an object").as_ref(), br#"{"kind":"X","metadata":{"resourceVersion":"3"}}"#);
    }

    #[test]
    fn the_revision_side_and_key_each_tell_entries_apart() {
        let cache = DecodeCache::default();
        let bytes = stored(r#"{"metadata":{"name":"a"}}"#);
        let current = cache.decode("/pods/a", Side::Current, 7, &bytes);
        let previous = cache.decode("/pods/a", Side::Previous, 7, &bytes);
        let later = cache.decode("/pods/a", Side::Current, 8, &bytes);
        let other = cache.decode("/pods/a2", Side::Current, 7, &bytes);
        assert!(!Arc::ptr_eq(&current, &previous));
        assert!(!Arc::ptr_eq(&current, &other));
        assert_eq!(later.value().expect("an object")["metadata"]["resourceVersion"], "8");
        assert_eq!(cache.len(), 4);
    }

    #[test]
    fn garbage_decodes_to_nothing_and_the_cache_stays_bounded() {
        let cache = DecodeCache::default();
        for (index, garbage) in ["{not json", "[1,2]", "\"text\"", "", "{\"a\":1} trailing"].into_iter().enumerate() {
            let decoded = cache.decode(&format!("/pods/{index}"), Side::Current, 1, &stored(garbage));
            assert!(decoded.json().is_none(), "{garbage:?} encoded");
            assert!(decoded.value().is_none(), "{garbage:?} decoded");
            assert!(decoded.selectable().is_none(), "{garbage:?} selectable");
        }
        let odd = cache.decode("/pods/odd", Side::Current, 2, &stored(r#"{"metadata":7}"#));
        let spliced: Value = serde_json::from_slice(odd.json().expect("an object")).expect("JSON");
        assert_eq!(spliced, odd.value().expect("an object"));
        assert_eq!(odd.selectable().expect("an object"), &serde_json::json!({ "metadata": 7 }));
        cache.inner.lock().expect("not poisoned").entries.clear();
        cache.inner.lock().expect("not poisoned").order.clear();
        for revision in 0..(CAPACITY as i64 + 100) {
            cache.decode("/pods/a", Side::Current, revision, &stored("{}"));
        }
        assert_eq!(cache.len(), CAPACITY);
        let newest = cache.decode("/pods/a", Side::Current, CAPACITY as i64 + 99, &stored("{}"));
        let again = cache.decode("/pods/a", Side::Current, CAPACITY as i64 + 99, &stored("{}"));
        assert!(Arc::ptr_eq(&newest, &again));
        assert_eq!(cache.len(), CAPACITY);
    }

    #[test]
    fn selectors_see_two_levels_of_scalars_and_the_labels() {
        let cache = DecodeCache::default();
        let pod = serde_json::json!({
            "kind": "Pod",
            "metadata": { "name": "a", "namespace": "n", "labels": { "app": "web", "tier": "x" },
                          "annotations": { "big": "skipped" },
                          "managedFields": [{ "manager": "m", "fieldsV1": { "f:spec": {} } }] },
            "spec": { "nodeName": "node-1", "hostNetwork": true, "containers": [{ "name": "c" }],
                      "affinity": { "nodeAffinity": {} } },
            "status": { "phase": "Running", "podIP": "10.0.0.1", "conditions": [{ "type": "Ready" }] },
            "type": "Normal",
            "source": { "component": "kubelet", "host": "node-1" },
            "list": [1, 2],
        });
        let decoded = cache.decode("/pods/n/a", Side::Current, 4, &Bytes::from(pod.to_string()));
        let expected = serde_json::json!({
            "kind": "Pod",
            "metadata": { "name": "a", "namespace": "n", "labels": { "app": "web", "tier": "x" } },
            "spec": { "nodeName": "node-1", "hostNetwork": true },
            "status": { "phase": "Running", "podIP": "10.0.0.1" },
            "type": "Normal",
            "source": { "component": "kubelet", "host": "node-1" },
        });
        assert_eq!(decoded.selectable().expect("an object"), &expected);
        // Every selector reaches the same answer on the kept part as on the whole object.
        let whole = decoded.value().expect("an object");
        for fields in [
            "spec.nodeName=node-1",
            "spec.nodeName!=",
            "status.phase=Running",
            "spec.hostNetwork=true",
            "metadata.name=a,metadata.namespace=n",
            "status.podIP=10.0.0.2",
            "spec.restartPolicy=",
        ] {
            let selector = crate::selector::FieldSelector::parse(fields, "", "pods").expect("a selector");
            assert_eq!(selector.matches(&whole), selector.matches(decoded.selectable().unwrap()), "{fields}");
        }
        for labels in ["app=web", "app in (web,db),tier", "!app", "tier!=x"] {
            let selector = crate::selector::LabelSelector::parse(labels).expect("a selector");
            let labels_of = |value: &Value| selector.matches(crate::object::labels(value));
            assert_eq!(labels_of(&whole), labels_of(decoded.selectable().unwrap()), "{labels}");
        }
    }
}

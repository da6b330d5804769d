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
use serde_json::Value;
use serde_json::value::RawValue;

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
    value: OnceLock<Option<Value>>,
    json: OnceLock<Option<Bytes>>,
}

impl Decoded {
    fn new(stored: Bytes, revision: i64) -> Decoded {
        Decoded { stored, revision, value: OnceLock::new(), json: OnceLock::new() }
    }

    /// The object with `metadata.resourceVersion` set; `None` when the stored bytes are not a JSON object.
    pub fn value(&self) -> Option<&Value> {
        self.value
            .get_or_init(|| {
                let mut value: Value = serde_json::from_slice(&self.stored).ok()?;
                value.is_object().then(|| object::set_resource_version(&mut value, self.revision))?;
                Some(value)
            })
            .as_ref()
    }

    /// The object encoded as JSON with `metadata.resourceVersion` set; `None` when the stored bytes are not a
    /// JSON object. Only the top level and `metadata` are taken apart: the rest is copied as it was stored.
    pub fn json(&self) -> Option<&Bytes> {
        self.json.get_or_init(|| with_resource_version(&self.stored, self.revision)).as_ref()
    }
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
        assert_eq!(&spliced, value);
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
        }
        let odd = cache.decode("/pods/odd", Side::Current, 2, &stored(r#"{"metadata":7}"#));
        let spliced: Value = serde_json::from_slice(odd.json().expect("an object")).expect("JSON");
        assert_eq!(&spliced, odd.value().expect("an object"));
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
}

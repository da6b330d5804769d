//! The records of one kind that a [`Network`](super::Network) view holds: every record of the kind, or only
//! those a change asked for by id.
//!
//! A change loads only what it needs (see `storage.rs`), so the decision core must never conclude anything from
//! a record it did not load: asking a partial kind for an id it was not loaded with, or iterating it, is a bug
//! in the change's scope, and panics in debug builds (tests) instead of silently answering "not found".

use std::collections::{BTreeMap, BTreeSet};

/// Records of one kind by id, with what was loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    items: BTreeMap<String, T>,
    /// Whether every record of the kind was loaded.
    complete: bool,
    /// The ids loaded (or created) when not complete.
    asked: BTreeSet<String>,
}

impl<T> Default for Loaded<T> {
    /// Nothing loaded.
    fn default() -> Self {
        Loaded { items: BTreeMap::new(), complete: false, asked: BTreeSet::new() }
    }
}

impl<T> Loaded<T> {
    /// Every record of the kind.
    pub fn complete(items: BTreeMap<String, T>) -> Loaded<T> {
        Loaded { items, complete: true, asked: BTreeSet::new() }
    }

    /// The records found of those asked for by id.
    pub fn partial(items: BTreeMap<String, T>, asked: BTreeSet<String>) -> Loaded<T> {
        Loaded { items, complete: false, asked }
    }

    /// Puts a record read from the store (what was asked for is marked apart, with [`Loaded::mark`]).
    pub(crate) fn insert_loaded(&mut self, id: String, value: T) {
        self.items.insert(id, value);
    }

    /// Records what was asked for: the whole kind, or these ids.
    pub(crate) fn mark(&mut self, all: bool, ids: BTreeSet<String>) {
        self.complete |= all;
        if !self.complete {
            self.asked.extend(ids);
        }
    }

    /// Every loaded record, whatever was asked for, to fill in what is stored apart.
    pub(crate) fn loaded_values_mut(&mut self) -> std::collections::btree_map::ValuesMut<'_, String, T> {
        self.items.values_mut()
    }

    /// A loaded record, whatever was asked for.
    pub(crate) fn get_loaded_mut(&mut self, id: &str) -> Option<&mut T> {
        self.items.get_mut(id)
    }

    /// Whether every record of the kind was loaded.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    fn check_id(&self, id: &str) {
        debug_assert!(self.complete || self.asked.contains(id), "record {id} was read but not loaded");
    }

    fn check_all(&self) {
        debug_assert!(self.complete, "a kind loaded in part was read whole");
    }

    pub fn get(&self, id: &str) -> Option<&T> {
        self.check_id(id);
        self.items.get(id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        self.check_id(id);
        self.items.get_mut(id)
    }

    pub fn contains_key(&self, id: &str) -> bool {
        self.check_id(id);
        self.items.contains_key(id)
    }

    /// Adds or replaces a record (a new one is loaded from then on).
    pub fn insert(&mut self, id: String, value: T) -> Option<T> {
        if !self.complete {
            self.asked.insert(id.clone());
        }
        self.items.insert(id, value)
    }

    pub fn remove(&mut self, id: &str) -> Option<T> {
        self.check_id(id);
        self.items.remove(id)
    }

    pub fn values(&self) -> std::collections::btree_map::Values<'_, String, T> {
        self.check_all();
        self.items.values()
    }

    pub fn values_mut(&mut self) -> std::collections::btree_map::ValuesMut<'_, String, T> {
        self.check_all();
        self.items.values_mut()
    }

    pub fn keys(&self) -> std::collections::btree_map::Keys<'_, String, T> {
        self.check_all();
        self.items.keys()
    }

    pub fn iter(&self) -> std::collections::btree_map::Iter<'_, String, T> {
        self.check_all();
        self.items.iter()
    }

    pub fn len(&self) -> usize {
        self.check_all();
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.check_all();
        self.items.is_empty()
    }

    /// The records that were loaded, whatever the kind's completeness: for storing them back.
    pub fn loaded(&self) -> &BTreeMap<String, T> {
        &self.items
    }

    /// The loaded records that pass `keep`, with no completeness check: for a change that loaded the ids it
    /// looks through (an Auto Scaling group's members, say).
    pub fn loaded_values(&self) -> std::collections::btree_map::Values<'_, String, T> {
        self.items.values()
    }
}

impl<T> std::ops::Index<&str> for Loaded<T> {
    type Output = T;

    fn index(&self, id: &str) -> &T {
        self.get(id).unwrap_or_else(|| panic!("record {id} is not in the view"))
    }
}

impl<T> std::ops::Index<&String> for Loaded<T> {
    type Output = T;

    fn index(&self, id: &String) -> &T {
        &self[id.as_str()]
    }
}

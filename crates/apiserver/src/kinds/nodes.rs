//! Nodes: a new node keeps the status its kubelet reports, and nodes carry no `metadata.generation`.

use serde_json::Value;

use super::Strategy;
use crate::registry::ResourceType;

/// The strategy of `v1` Nodes.
#[derive(Debug)]
pub(crate) struct Nodes;

impl Strategy for Nodes {
    fn prepare_status_for_create(&self, _resource: &ResourceType, _object: &mut Value) {}

    fn tracks_generation(&self, _resource: &ResourceType) -> bool {
        false
    }
}

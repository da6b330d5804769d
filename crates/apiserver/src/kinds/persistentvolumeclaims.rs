//! PersistentVolumeClaims: a new one starts `Pending`, whatever status the client sent.

use serde_json::{Value, json};

use super::Strategy;
use crate::registry::ResourceType;

/// The strategy of `v1` PersistentVolumeClaims.
#[derive(Debug)]
pub(crate) struct PersistentVolumeClaims;

impl Strategy for PersistentVolumeClaims {
    fn prepare_status_for_create(&self, resource: &ResourceType, object: &mut Value) {
        if resource.has_subresource("status")
            && let Some(map) = object.as_object_mut()
        {
            map.insert("status".into(), json!({ "phase": "Pending" }));
        }
    }
}

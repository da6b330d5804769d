//! PriorityClasses: the Priority admission plugin's rule that at most one class is the global default, and the
//! lookup of that default, which pods without a class get their priority from.

use serde_json::{Value, json};
use store::ListOptions;

use super::Strategy;
use crate::api::ClusterApi;
use crate::status::ApiError;

/// The strategy of `scheduling.k8s.io` PriorityClasses.
#[derive(Debug)]
pub(crate) struct PriorityClasses;

#[async_trait::async_trait]
impl Strategy for PriorityClasses {
    async fn admit(&self, api: &ClusterApi, object: &Value, creating: bool) -> Result<(), ApiError> {
        api.admit_priority_class(object, creating).await
    }
}

impl ClusterApi {
    /// The PriorityClass marked `globalDefault`; the lowest-valued one should a race have left several.
    pub(crate) async fn default_priority_class(&self) -> Result<Option<Value>, ApiError> {
        let classes = self.registry.find("scheduling.k8s.io", "v1", "priorityclasses").expect("registered");
        let listed = self.store.list(&self.collection_prefix(classes, None), ListOptions::default()).await?;
        let defaults = listed
            .items
            .iter()
            .filter_map(|kv| serde_json::from_slice::<Value>(&kv.value).ok())
            .filter(|class| class.get("globalDefault").and_then(Value::as_bool) == Some(true));
        Ok(defaults.min_by_key(|class| class.get("value").and_then(Value::as_i64).unwrap_or(0)))
    }

    /// The Priority admission plugin for a PriorityClass being created or updated: only one class may be the
    /// global default.
    pub(crate) async fn admit_priority_class(&self, class: &Value, creating: bool) -> Result<(), ApiError> {
        if class.get("globalDefault").and_then(Value::as_bool) != Some(true) {
            return Ok(());
        }
        let name = crate::object::name(class).unwrap_or_default();
        match self.default_priority_class().await? {
            Some(existing) if creating || crate::object::name(&existing) != Some(name) => {
                let existing = crate::object::name(&existing).unwrap_or_default();
                Err(ApiError::new(
                    403,
                    "Forbidden",
                    format!(
                        "priorityclasses.scheduling.k8s.io \"{name}\" is forbidden: PriorityClass {existing} is \
                         already marked as default. Only one default can exist"
                    ),
                )
                .with_details(json!({ "name": name, "group": "scheduling.k8s.io", "kind": "priorityclasses" })))
            }
            _ => Ok(()),
        }
    }
}

//! CustomResourceDefinitions: a new CRD is checked by the definition rules and answers `Established`; every
//! write makes the cluster serve what its CRDs define now; a deleted CRD takes its custom objects with it.

use serde_json::Value;
use store::{ListOptions, StoreError};

use super::Strategy;
use crate::api::ClusterApi;
use crate::object;
use crate::registry::ResourceType;
use crate::status::{ApiError, Cause};

/// The strategy of `apiextensions.k8s.io` CustomResourceDefinitions.
#[derive(Debug)]
pub(crate) struct CustomResourceDefinitions;

#[async_trait::async_trait]
impl Strategy for CustomResourceDefinitions {
    async fn prepare_for_create(
        &self,
        _api: &ClusterApi,
        resource: &ResourceType,
        _namespace: Option<&str>,
        object: &mut Value,
    ) -> Result<(), ApiError> {
        let causes = crate::crd::validate_definition(object);
        if !causes.is_empty() {
            return Err(ApiError::invalid(resource, object::name(object).unwrap_or_default(), causes));
        }
        object["status"] = crate::crd::established_status(object, &object::now_timestamp());
        Ok(())
    }

    fn validate_update(&self, updated: &Value) -> Vec<Cause> {
        crate::crd::validate_definition(updated)
    }

    async fn after_delete(&self, api: &ClusterApi, object: &Value) -> Result<(), ApiError> {
        api.delete_custom_objects(object).await
    }

    async fn after_write(&self, api: &ClusterApi) -> Result<(), ApiError> {
        Ok(api.reload_custom_resources().await?)
    }
}

impl ClusterApi {
    /// Deletes every object of a deleted CRD's resource, in every version and namespace.
    async fn delete_custom_objects(&self, crd: &Value) -> Result<(), ApiError> {
        let Some(resource) = crate::crd::resources_of(crd).into_iter().next() else { return Ok(()) };
        let prefix = self.collection_prefix(&resource, None);
        loop {
            let page = self.store.list(&prefix, ListOptions { limit: Some(1000), ..ListOptions::default() }).await?;
            for kv in &page.items {
                match self.store.delete(&kv.key, None).await {
                    Ok(_) | Err(StoreError::NotFound { .. }) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            if !page.more {
                return Ok(());
            }
        }
    }
}

//! Services: their cluster IPs and node ports, allocated from the cluster's allocations before the write and
//! given back when the service goes; an update keeps the allocations the client left out and drops what a new
//! type no longer needs.

use serde_json::Value;

use super::Strategy;
use crate::allocate::Allocation;
use crate::api::ClusterApi;
use crate::object;
use crate::registry::ResourceType;
use crate::status::ApiError;

/// The strategy of `v1` Services.
#[derive(Debug)]
pub(crate) struct Services;

#[async_trait::async_trait]
impl Strategy for Services {
    fn prepare_for_update(&self, updated: &mut Value, current: &Value) {
        // What the new type does not need goes when the client left it as stored; allocations a client left out
        // are kept, before validation sees them missing.
        k8s_model::service_drop_type_dependent_fields(updated, current);
        k8s_model::service_keep_allocated(updated, current);
    }

    async fn prepare_for_create(
        &self,
        api: &ClusterApi,
        _resource: &ResourceType,
        namespace: Option<&str>,
        object: &mut Value,
    ) -> Result<(), ApiError> {
        let Some(namespace) = namespace else { return Ok(()) };
        for hook in &api.service_admission {
            hook.admit(&api.name, namespace, object)
                .await
                .map_err(|message| ApiError::internal(format!("failed calling webhook: {message}")))?;
        }
        Ok(())
    }

    async fn allocate(
        &self,
        api: &ClusterApi,
        resource: &ResourceType,
        namespace: Option<&str>,
        object: &mut Value,
        current: Option<&Value>,
    ) -> Result<Option<Allocation>, ApiError> {
        let name = object::name(object).unwrap_or_default().to_owned();
        let owner = format!("{}/{name}", namespace.unwrap_or_default());
        match api.services.allocate(object, &owner, current).await? {
            Ok(allocation) => Ok(Some(allocation)),
            Err(causes) => Err(ApiError::invalid(resource, &name, causes)),
        }
    }

    async fn after_delete(&self, api: &ClusterApi, object: &Value) -> Result<(), ApiError> {
        api.services.release(object).await;
        Ok(())
    }
}

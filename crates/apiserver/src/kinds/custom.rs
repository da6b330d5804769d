//! Custom resources, the objects of the resources CRDs define: every write is defaulted and validated by the
//! structural schema of the CRD version it goes through (pruning happens when the object is decoded), and PATCH
//! takes no strategic merge patch, which needs the Go types' merge keys.

use serde_json::Value;

use super::Strategy;
use crate::api::ClusterApi;
use crate::object;
use crate::registry::{Decoder, ResourceType};
use crate::status::ApiError;

/// The strategy of every resource a CRD serves.
#[derive(Debug)]
pub(crate) struct CustomResources;

/// Applies the schema's defaults to `object` and refuses it if it does not validate.
fn apply_schema(resource: &ResourceType, object: &mut Value) -> Result<(), ApiError> {
    if let Decoder::Custom(schema) = &resource.decoder {
        crate::crd::apply_defaults(schema, object);
        let causes = crate::crd::validate(schema, object);
        if !causes.is_empty() {
            return Err(ApiError::invalid(resource, object::name(object).unwrap_or_default(), causes));
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl Strategy for CustomResources {
    async fn prepare_for_create(
        &self,
        _api: &ClusterApi,
        resource: &ResourceType,
        _namespace: Option<&str>,
        object: &mut Value,
    ) -> Result<(), ApiError> {
        apply_schema(resource, object)
    }

    fn finish_update(&self, resource: &ResourceType, updated: &mut Value) -> Result<(), ApiError> {
        apply_schema(resource, updated)
    }

    fn accepts_strategic_merge_patch(&self) -> bool {
        false
    }
}

//! CREATE: a new object's name (`generateName`), namespace, server-owned metadata and status, then defaulting,
//! the kind's preparation and admission, validation, managed fields, dry run, allocations and the write.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use store::StoreError;

use super::{Ownership, field_manager, is_dry_run};
use crate::api::ClusterApi;
use crate::http::{Query, decode_body, json_response, with_warnings};
use crate::kinds;
use crate::object::{self, FieldValidation, metadata_mut};
use crate::registry::ResourceType;
use crate::request::ResourceRequest;
use crate::status::causes_of;
use crate::status::{ApiError, Cause};

impl ClusterApi {
    pub(crate) async fn create(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        headers: &HeaderMap,
        body: &[u8],
        query: &Query,
    ) -> Result<Response, ApiError> {
        let object = decode_body(headers, body)?;
        let manager = field_manager(query, headers)?;
        self.insert_new(resource, request, object, query, Ownership::Update(&manager)).await
    }

    /// Creates an object from its decoded body.
    pub(super) async fn insert_new(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        mut object: Value,
        query: &Query,
        ownership: Ownership<'_>,
    ) -> Result<Response, ApiError> {
        let namespace = Self::namespace_of(resource, request)?;
        let validation = FieldValidation::parse(query.get("fieldValidation").map(String::as_str))?;
        object::check_kind(&mut object, resource)?;
        let (mut object, warnings) = object::decode_typed(resource, object, validation)?;
        if let Some(namespace) = namespace {
            match object::metadata_str(&object, "namespace") {
                Some(given) if !given.is_empty() && given != namespace => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => {}
            }
            let shown = object::name(&object).unwrap_or_default().to_owned();
            self.require_namespace(resource, &shown, namespace).await?;
        }
        let name = match object::name(&object) {
            Some(name) => name.to_owned(),
            None => match object::metadata_str(&object, "generateName").filter(|g| !g.is_empty()) {
                Some(prefix) => format!("{prefix}{}", object::name_suffix()),
                None => {
                    return Err(ApiError::invalid(
                        resource,
                        "",
                        vec![Cause {
                            reason: "FieldValueRequired",
                            message: "Required value: name or generateName is required".into(),
                            field: "metadata.name".into(),
                        }],
                    ));
                }
            },
        };
        let strategy = kinds::strategy(resource);
        strategy.prepare_status_for_create(resource, &mut object);
        let tracks_generation = strategy.tracks_generation(resource);
        {
            let metadata = metadata_mut(&mut object);
            metadata.insert("name".into(), Value::String(name.clone()));
            match namespace {
                Some(namespace) => metadata.insert("namespace".into(), Value::String(namespace.to_owned())),
                None => metadata.remove("namespace"),
            };
            metadata.insert("uid".into(), Value::String(object::new_uid()));
            metadata.insert("creationTimestamp".into(), Value::String(object::now_timestamp()));
            for field in ["resourceVersion", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"] {
                metadata.remove(field);
            }
            if tracks_generation {
                metadata.insert("generation".into(), json!(1));
            } else {
                metadata.remove("generation");
            }
        }
        // Defaulting, the mutating admission plugins, then validation, in kube-apiserver's order.
        k8s_model::default_object(&mut object);
        k8s_model::prepare_for_create(&mut object);
        strategy.prepare_for_create(self, resource, namespace, &mut object).await?;
        let checked = Self::storage_form(resource, &object);
        let causes = causes_of(k8s_model::validate_create(&checked, crate::selector::selects_labels));
        if !causes.is_empty() {
            return Err(ApiError::invalid(resource, &name, causes));
        }
        strategy.admit(self, &object, true).await?;
        if let Ownership::Update(manager) = ownership {
            crate::ssa::record_update(resource, manager, None, None, &mut object);
        }
        if is_dry_run(query) {
            Self::as_read_back(resource, &mut object);
            return Ok(with_warnings(json_response(StatusCode::CREATED, &object), &warnings));
        }
        let key = self.key(resource, namespace, &name);
        let allocation = strategy.allocate(self, resource, namespace, &mut object, None).await?;
        let created = self.store.create(&key, Self::encode_for_store(resource, &object)).await;
        if let (Err(_), Some(allocation)) = (&created, allocation) {
            self.services.undo(allocation).await;
        }
        let stored = created.map_err(|error| match error {
            StoreError::AlreadyExists { .. } => ApiError::already_exists(resource, &name),
            other => ApiError::from(other),
        })?;
        object::set_resource_version(&mut object, stored.mod_revision);
        Self::as_read_back(resource, &mut object);
        strategy.after_create(self, &object).await?;
        Ok(with_warnings(json_response(StatusCode::CREATED, &object), &warnings))
    }
}

//! UPDATE and PATCH (JSON, merge, strategic, server-side apply), and the `scale` subresource: every change to an
//! existing object goes through one read-change-compare-and-swap loop with resourceVersion preconditions, the
//! status kept apart from the rest, generation bumps, and removal once a deleted object's last finalizer goes.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use store::StoreError;

use super::{Ownership, WRITE_RETRIES, WriteOptions, field_manager, is_dry_run};
use crate::api::ClusterApi;
use crate::http::{Query, decode_body, json_response, with_warnings};
use crate::kinds;
use crate::object::{self, FieldValidation, metadata_mut};
use crate::patch::{Patch, patch_precondition};
use crate::registry::ResourceType;
use crate::request::ResourceRequest;
use crate::status::causes_of;
use crate::status::{ApiError, Cause};

impl ClusterApi {
    pub(crate) async fn update(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        headers: &HeaderMap,
        body: &[u8],
        query: &Query,
    ) -> Result<Response, ApiError> {
        let mut object = decode_body(headers, body)?;
        object::check_kind(&mut object, resource)?;
        let url_name = request.name.as_deref().unwrap_or_default();
        match object::name(&object) {
            Some(name) if name != url_name => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({name}) does not match the name on the URL ({url_name})"
                )));
            }
            _ => {}
        }
        let precondition = match object::metadata_str(&object, "resourceVersion").filter(|rv| !rv.is_empty()) {
            Some(text) => Some(text.parse::<i64>().map_err(|_| {
                ApiError::invalid(
                    resource,
                    url_name,
                    vec![Cause {
                        reason: "FieldValueInvalid",
                        message: format!("Invalid value: \"{text}\": must be a number"),
                        field: "metadata.resourceVersion".into(),
                    }],
                )
            })?),
            None => None,
        };
        let subresource = request.subresource.clone();
        let validation = FieldValidation::parse(query.get("fieldValidation").map(String::as_str))?;
        let manager = field_manager(query, headers)?;
        let (updated, warnings) = self
            .write_existing(
                resource,
                request,
                WriteOptions {
                    precondition,
                    dry_run: is_dry_run(query),
                    validation,
                    ownership: Ownership::Update(&manager),
                },
                move |current| Ok(merge_update(resource, current, object.clone(), subresource.as_deref())),
            )
            .await?;
        Ok(with_warnings(json_response(StatusCode::OK, &updated), &warnings))
    }

    /// Server-side apply: `PATCH` with `application/apply-patch+yaml`. Creates the object if it does not
    /// exist.
    async fn apply(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        headers: &HeaderMap,
        body: &[u8],
        query: &Query,
    ) -> Result<Response, ApiError> {
        let manager = match query.get("fieldManager") {
            Some(manager) => field_manager(query, headers).map(|_| manager.clone())?,
            None => {
                return Err(ApiError::bad_request(
                    "PATCH, application/apply-patch+yaml requests require fieldManager to be set",
                ));
            }
        };
        let force = match query.get("force").map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => return Err(ApiError::bad_request(format!("invalid force value {other:?}"))),
        };
        let mut applied: Value = serde_norway::from_slice(body)
            .map_err(|error| ApiError::bad_request(format!("error decoding YAML: {error}")))?;
        object::check_kind(&mut applied, resource)?;
        let name = request.name.clone().unwrap_or_default();
        match object::name(&applied) {
            Some(given) if given != name => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({given}) does not match the name on the URL ({name})"
                )));
            }
            _ => {}
        }
        let validation = FieldValidation::parse(query.get("fieldValidation").map(String::as_str))?;
        let (applied, warnings) = object::decode_typed(resource, applied, validation)?;
        let namespace = Self::namespace_of(resource, request)?;
        let key = self.key(resource, namespace, &name);
        if self.store.get(&key, None).await?.is_none() {
            let mut created = crate::ssa::apply(resource, &manager, force, None, &applied, &name)?;
            object::metadata_mut(&mut created).insert("name".into(), Value::String(name.clone()));
            let mut create_query = query.clone();
            create_query.insert("fieldValidation".into(), "Ignore".into());
            return match self.insert_new(resource, request, created, &create_query, Ownership::Apply).await {
                Err(error) if error.reason == "AlreadyExists" => Err(ApiError::conflict(resource, &name)),
                other => other.map(|response| with_warnings(response, &warnings)),
            };
        }
        let (updated, _) = self
            .write_existing(
                resource,
                request,
                WriteOptions {
                    precondition: None,
                    dry_run: is_dry_run(query),
                    validation: FieldValidation::Ignore,
                    ownership: Ownership::Apply,
                },
                |current| crate::ssa::apply(resource, &manager, force, Some(current), &applied, &name),
            )
            .await?;
        Ok(with_warnings(json_response(StatusCode::OK, &updated), &warnings))
    }

    /// `GET .../<name>/scale`: the object's replicas as an `autoscaling/v1` `Scale`.
    pub(crate) async fn get_scale(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
    ) -> Result<Value, ApiError> {
        Ok(scale_of(&self.get(resource, request).await?))
    }

    /// `PUT` or `PATCH .../<name>/scale`: sets the object's `spec.replicas` from the new `Scale`.
    pub(crate) async fn write_scale(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        headers: &HeaderMap,
        body: &[u8],
        query: &Query,
        patch: bool,
    ) -> Result<Response, ApiError> {
        let name = request.name.clone().unwrap_or_default();
        // The new Scale: the current one patched (`Ok`), or the one in the body (`Err`).
        let scale_change: Result<Patch, Value> = if patch {
            Ok(Patch::decode(headers, body)?)
        } else {
            let scale = decode_body(headers, body)?;
            if scale.get("kind").and_then(Value::as_str).is_some_and(|kind| kind != "Scale") {
                return Err(ApiError::bad_request("the body of a scale update must be an autoscaling/v1 Scale"));
            }
            Err(scale)
        };
        let precondition = if patch { patch_precondition(body) } else { None };
        let scale_resource = scale_resource(resource);
        let manager = field_manager(query, headers)?;
        let (updated, _) = self
            .write_existing(
                resource,
                request,
                WriteOptions {
                    precondition,
                    dry_run: is_dry_run(query),
                    validation: FieldValidation::Ignore,
                    ownership: Ownership::Update(&manager),
                },
                |current| {
                    let new_scale = match &scale_change {
                        Ok(scale_patch) => scale_patch.apply("Scale", &scale_of(current))?,
                        Err(scale) => scale.clone(),
                    };
                    if !patch
                        && let Some(rv) =
                            object::metadata_str(&new_scale, "resourceVersion").filter(|rv| !rv.is_empty())
                        && Some(rv) != object::metadata_str(current, "resourceVersion")
                    {
                        return Err(ApiError::conflict(resource, &name));
                    }
                    let replicas = match new_scale.pointer("/spec/replicas") {
                        None | Some(Value::Null) => 0,
                        Some(value) => {
                            value.as_i64().filter(|r| (0..=i64::from(i32::MAX)).contains(r)).ok_or_else(|| {
                                ApiError::invalid(
                                    &scale_resource,
                                    &name,
                                    vec![Cause {
                                        reason: "FieldValueInvalid",
                                        message: format!("Invalid value: {value}: must be greater than or equal to 0"),
                                        field: "spec.replicas".into(),
                                    }],
                                )
                            })?
                        }
                    };
                    let mut updated = current.clone();
                    updated["spec"]["replicas"] = json!(replicas);
                    Ok(updated)
                },
            )
            .await?;
        Ok(json_response(StatusCode::OK, &scale_of(&updated)))
    }

    pub(crate) async fn patch(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        headers: &HeaderMap,
        body: &[u8],
        query: &Query,
    ) -> Result<Response, ApiError> {
        if media_type_of(headers) == "application/apply-patch+yaml" {
            return self.apply(resource, request, headers, body, query).await;
        }
        if !kinds::strategy(resource).accepts_strategic_merge_patch()
            && media_type_of(headers) == "application/strategic-merge-patch+json"
        {
            return Err(ApiError::new(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
            ));
        }
        let patch = Patch::decode(headers, body)?;
        let precondition = patch_precondition(body);
        let subresource = request.subresource.clone();
        let validation = FieldValidation::parse(query.get("fieldValidation").map(String::as_str))?;
        let manager = field_manager(query, headers)?;
        let (updated, warnings) = self
            .write_existing(
                resource,
                request,
                WriteOptions {
                    precondition,
                    dry_run: is_dry_run(query),
                    validation,
                    ownership: Ownership::Update(&manager),
                },
                move |current| {
                    let patched = patch.apply(&resource.kind, current)?;
                    if !patched.is_object() {
                        return Err(ApiError::bad_request("the patch did not produce an object"));
                    }
                    Ok(merge_update(resource, current, patched, subresource.as_deref()))
                },
            )
            .await?;
        Ok(with_warnings(json_response(StatusCode::OK, &updated), &warnings))
    }

    /// Rewrites an existing object with `change` on behalf of a subresource (`request.subresource` set), skipping
    /// the main resource's update validation as subresource writes do; retried when the object changes underneath.
    pub(crate) async fn rewrite<F>(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        headers: &HeaderMap,
        query: &Query,
        change: F,
    ) -> Result<Value, ApiError>
    where
        F: Fn(&Value) -> Result<Value, ApiError>,
    {
        let manager = field_manager(query, headers)?;
        let options = WriteOptions {
            precondition: None,
            dry_run: is_dry_run(query),
            validation: FieldValidation::Ignore,
            ownership: Ownership::Update(&manager),
        };
        Ok(self.write_existing(resource, request, options, change).await?.0)
    }

    /// Reads the object, computes its new state with `change`, and writes it back with compare-and-swap,
    /// retrying when another writer got there first unless the client gave a resourceVersion precondition.
    async fn write_existing<F>(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        options: WriteOptions<'_>,
        change: F,
    ) -> Result<(Value, Vec<String>), ApiError>
    where
        F: Fn(&Value) -> Result<Value, ApiError>,
    {
        let WriteOptions { precondition, dry_run, validation, ownership } = options;
        let namespace = Self::namespace_of(resource, request)?;
        let name = request.name.as_deref().unwrap_or_default();
        let key = self.key(resource, namespace, name);
        let strategy = kinds::strategy(resource);
        let main_resource = request.subresource.is_none();
        for _ in 0..WRITE_RETRIES {
            let kv = self.store.get(&key, None).await?.ok_or_else(|| ApiError::not_found(resource, name))?;
            if precondition.is_some_and(|rv| rv != kv.mod_revision) {
                return Err(ApiError::conflict(resource, name));
            }
            let current = self.decode_stored(resource, &kv)?;
            let mut updated = change(&current)?;
            object::check_kind(&mut updated, resource)?;
            let (mut updated, warnings) = object::decode_typed(resource, updated, validation)?;
            if let Ownership::Update(manager) = ownership {
                crate::ssa::record_update(
                    resource,
                    manager,
                    request.subresource.as_deref(),
                    Some(&current),
                    &mut updated,
                );
            }
            if object::name(&updated) != Some(name) {
                return Err(ApiError::bad_request(format!(
                    "the name of the object does not match the name on the URL ({name})"
                )));
            }
            k8s_model::default_object(&mut updated);
            if main_resource {
                strategy.prepare_for_update(&mut updated, &current);
                let (checked, old) = (Self::storage_form(resource, &updated), Self::storage_form(resource, &current));
                let mut causes = causes_of(k8s_model::validate_update(&checked, &old, crate::selector::selects_labels));
                causes.extend(strategy.validate_update(&updated));
                if !causes.is_empty() {
                    return Err(ApiError::invalid(resource, name, causes));
                }
                strategy.admit(self, &updated, false).await?;
            }
            strategy.finish_update(resource, &mut updated)?;
            let allocation = if main_resource {
                strategy.allocate(self, resource, namespace, &mut updated, Some(&current)).await?
            } else {
                None
            };
            if strategy.tracks_generation(resource) && object::spec_changed(&current, &updated) {
                let generation = current["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
                metadata_mut(&mut updated).insert("generation".into(), json!(generation));
            }
            if without_times(&updated) == without_times(&current) || dry_run {
                if let Some(allocation) = allocation {
                    self.services.undo(allocation).await;
                }
                let unchanged = without_times(&updated) == without_times(&current);
                if unchanged {
                    return Ok((current, warnings));
                }
                // A dry run answers with the stored version, as nothing was written (`kubectl diff` compares it).
                object::set_resource_version(&mut updated, kv.mod_revision);
                Self::as_read_back(resource, &mut updated);
                return Ok((updated, warnings));
            }
            // An object being deleted goes once its last finalizer is removed, unless it is still within a grace
            // period (a terminating pod waits for its node).
            let finalized = object::metadata_str(&updated, "deletionTimestamp").is_some()
                && object::finalizers(&current) > 0
                && object::finalizers(&updated) == 0
                && updated["metadata"]["deletionGracePeriodSeconds"].as_i64().unwrap_or(0) == 0;
            if finalized {
                let deleted = self.store.delete(&key, Some(kv.mod_revision)).await;
                if let Some(allocation) = allocation {
                    self.services.undo(allocation).await;
                }
                return match deleted {
                    Ok((_, revision)) => {
                        object::set_resource_version(&mut updated, revision);
                        self.after_delete(resource, namespace, &current).await?;
                        Ok((updated, warnings))
                    }
                    Err(StoreError::Conflict { .. }) if precondition.is_none() => continue,
                    Err(StoreError::Conflict { .. }) => Err(ApiError::conflict(resource, name)),
                    Err(error) => Err(error.into()),
                };
            }
            let written = self.store.update(&key, Self::encode_for_store(resource, &updated), kv.mod_revision).await;
            if let Some(allocation) = allocation {
                match &written {
                    Ok(_) => self.services.commit(allocation).await,
                    Err(_) => self.services.undo(allocation).await,
                }
            }
            match written {
                Ok(stored) => {
                    object::set_resource_version(&mut updated, stored.mod_revision);
                    Self::as_read_back(resource, &mut updated);
                    return Ok((updated, warnings));
                }
                Err(StoreError::Conflict { .. }) if precondition.is_none() => continue,
                Err(StoreError::Conflict { .. }) => return Err(ApiError::conflict(resource, name)),
                Err(StoreError::NotFound { .. }) => return Err(ApiError::not_found(resource, name)),
                Err(error) => return Err(error.into()),
            }
        }
        Err(ApiError::conflict(resource, name))
    }
}

/// The `autoscaling/v1` `Scale` view of an object with replicas.
fn scale_of(object: &Value) -> Value {
    let metadata = object.get("metadata").cloned().unwrap_or_default();
    let pick = |field: &str| metadata.get(field).cloned().unwrap_or(Value::Null);
    let selector = object.pointer("/spec/selector").map(crate::selector::format_selector).unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": pick("name"),
            "namespace": pick("namespace"),
            "uid": pick("uid"),
            "resourceVersion": pick("resourceVersion"),
            "creationTimestamp": pick("creationTimestamp"),
        },
        "spec": { "replicas": object.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1) },
        "status": {
            "replicas": object.pointer("/status/replicas").and_then(Value::as_i64).unwrap_or(0),
            "selector": selector,
        },
    })
}

/// How errors about a `Scale` name it.
fn scale_resource(parent: &ResourceType) -> ResourceType {
    ResourceType { group: "autoscaling".into(), version: "v1".into(), kind: "Scale".into(), ..parent.clone() }
}

/// The media type of a request body, without parameters.
fn media_type_of(headers: &HeaderMap) -> &str {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    content_type.split(';').next().unwrap_or_default().trim()
}

/// An object with the times of its managed-fields entries blanked: what decides whether a write changes
/// anything.
fn without_times(object: &Value) -> Value {
    let mut copy = object.clone();
    if let Some(entries) = copy.pointer_mut("/metadata/managedFields").and_then(Value::as_array_mut) {
        for entry in entries {
            if let Some(map) = entry.as_object_mut() {
                map.remove("time");
            }
        }
    }
    copy
}

/// The new state of an object after a full update: server-owned metadata comes from the current object, and
/// `status` from the current object on the main resource or everything but `status` on the status subresource.
/// Annotations in which the resource's version keeps status fields (autoscaling/v1's conditions) count as status.
fn merge_update(resource: &ResourceType, current: &Value, mut updated: Value, subresource: Option<&str>) -> Value {
    if subresource == Some("status") {
        let mut result = current.clone();
        if let Some(status) = updated.get("status") {
            result["status"] = status.clone();
        } else if let Some(map) = result.as_object_mut() {
            map.remove("status");
        }
        for name in resource.conversion.map_or(&[][..], |conversion| conversion.status_annotations) {
            let given = updated.pointer(&format!("/metadata/annotations/{}", name.replace('/', "~1"))).cloned();
            let metadata = metadata_mut(&mut result);
            match given {
                Some(value) => {
                    let annotations = metadata.entry("annotations").or_insert_with(|| json!({}));
                    if let Some(annotations) = annotations.as_object_mut() {
                        annotations.insert((*name).to_owned(), value);
                    }
                }
                None => {
                    if let Some(annotations) = metadata.get_mut("annotations").and_then(Value::as_object_mut) {
                        annotations.remove(*name);
                    }
                }
            }
        }
        return result;
    }
    if let (Some(map), Some(status)) = (updated.as_object_mut(), current.get("status")) {
        map.insert("status".into(), status.clone());
    } else if let Some(map) = updated.as_object_mut() {
        map.remove("status");
    }
    let current_metadata = current.get("metadata").and_then(Value::as_object).cloned().unwrap_or_default();
    let metadata = metadata_mut(&mut updated);
    for field in [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
    ] {
        match current_metadata.get(field) {
            Some(value) => metadata.insert(field.into(), value.clone()),
            None => metadata.remove(field),
        };
    }
    metadata.remove("resourceVersion");
    metadata.remove("selfLink");
    updated
}

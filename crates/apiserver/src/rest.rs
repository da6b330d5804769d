//! The REST verbs on stored resources: get, list, create, update, patch, delete and delete-collection, over the
//! store, with kube-apiserver's rules for names, namespaces, resourceVersion preconditions, pagination and
//! finalizers.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use serde_json::{Map, Value, json};
use store::{ListOptions, StoreError};

use crate::api::ClusterApi;
use crate::http::{Query, decode_body, json_response, with_warnings};
use crate::kinds::{self, DeleteOptions};
use crate::object::{self, FieldValidation, metadata_mut};
use crate::registry::{Decoder, ResourceType};
use crate::request::ResourceRequest;
use crate::selector::{FieldSelector, LabelSelector};
use crate::status::{ApiError, Cause};

/// How many times an unconditional write retries when the object changes underneath it.
const WRITE_RETRIES: usize = 16;

impl ClusterApi {
    fn namespace_of<'a>(resource: &ResourceType, request: &'a ResourceRequest) -> Result<Option<&'a str>, ApiError> {
        match (resource.namespaced, request.namespace.as_deref()) {
            (true, namespace) => Ok(namespace),
            (false, None) => Ok(None),
            (false, Some(_)) => Err(ApiError::no_such_resource()),
        }
    }

    pub async fn get(&self, resource: &ResourceType, request: &ResourceRequest) -> Result<Value, ApiError> {
        let namespace = Self::namespace_of(resource, request)?;
        let name = request.name.as_deref().unwrap_or_default();
        let key = self.key(resource, namespace, name);
        let kv = self.store.get(&key, None).await?.ok_or_else(|| ApiError::not_found(resource, name))?;
        self.decode_stored(resource, &kv)
    }

    /// A list as a JSON value (for tables and delete-collection).
    pub async fn list(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        query: &Query,
    ) -> Result<Value, ApiError> {
        let listed = self.list_items(resource, request, query).await?;
        let items = listed
            .items
            .iter()
            .map(|item| serde_json::from_slice(item).map_err(|error| ApiError::internal(error.to_string())))
            .collect::<Result<Vec<Value>, ApiError>>()?;
        Ok(json!({
            "kind": resource.list_kind,
            "apiVersion": resource.api_version(),
            "metadata": listed.metadata,
            "items": items,
        }))
    }

    /// A list as JSON bytes, assembled from the stored objects without decoding them when no selector needs
    /// to look inside: the fast path for large lists.
    pub async fn list_json(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        query: &Query,
    ) -> Result<Vec<u8>, ApiError> {
        let listed = self.list_items(resource, request, query).await?;
        let size: usize = listed.items.iter().map(|item| item.len() + 1).sum();
        let mut out = Vec::with_capacity(size + 256);
        out.extend_from_slice(b"{\"kind\":");
        serde_json::to_writer(&mut out, &resource.list_kind).expect("writing to a vector");
        out.extend_from_slice(b",\"apiVersion\":");
        serde_json::to_writer(&mut out, &resource.api_version()).expect("writing to a vector");
        out.extend_from_slice(b",\"metadata\":");
        serde_json::to_writer(&mut out, &listed.metadata).expect("writing to a vector");
        out.extend_from_slice(b",\"items\":[");
        for (idx, item) in listed.items.iter().enumerate() {
            if idx > 0 {
                out.push(b',');
            }
            out.extend_from_slice(item);
        }
        out.extend_from_slice(b"]}");
        Ok(out)
    }

    /// The objects a list request selects, each as JSON bytes with its resourceVersion, and the list's
    /// metadata (resourceVersion, continue).
    async fn list_items(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        query: &Query,
    ) -> Result<ListedItems, ApiError> {
        let namespace = Self::namespace_of(resource, request)?;
        let labels = LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))?;
        let fields = FieldSelector::parse(
            query.get("fieldSelector").map_or("", String::as_str),
            &resource.group,
            &resource.plural,
        )?;
        let limit = match query.get("limit").map(String::as_str) {
            None | Some("") => None,
            Some(text) => {
                Some(text.parse::<i64>().map_err(|_| ApiError::bad_request(format!("invalid limit {text:?}")))?)
            }
        }
        .filter(|&limit| limit > 0)
        .map(|limit| limit as usize);
        let prefix = self.collection_prefix(resource, namespace);
        let (mut start_after, mut revision) = match query.get("continue").filter(|c| !c.is_empty()) {
            Some(token) => {
                let (rv, start) = decode_continue(token, &prefix)?;
                (Some(start), Some(rv))
            }
            None => (None, list_revision(query)?),
        };
        let mut items = Vec::new();
        let mut next_key = None;
        let list_revision;
        loop {
            let want = limit.map(|limit| limit - items.len());
            let page = self
                .store
                .list(&prefix, ListOptions { limit: want, start_after: start_after.clone(), revision })
                .await
                .map_err(|error| match error {
                    StoreError::Compacted { .. } if query.contains_key("continue") => ApiError::expired(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from the response to get a consistent list result.",
                    ),
                    other => ApiError::from(other),
                })?;
            revision = Some(page.revision);
            let last_key = page.items.last().map(|kv| kv.key.clone());
            for kv in &page.items {
                let spliced = if labels.is_empty() && fields.is_empty() && matches!(resource.decoder, Decoder::Typed(_))
                {
                    object::splice_resource_version(&kv.value, kv.mod_revision)
                } else {
                    None
                };
                match spliced {
                    Some(bytes) => items.push(bytes),
                    None => {
                        let object = self.decode_stored(resource, kv)?;
                        if labels.matches(object::labels(&object)) && fields.matches(&object) {
                            items.push(serde_json::to_vec(&object).expect("JSON values serialize"));
                        }
                    }
                }
            }
            match (page.more, limit) {
                (true, Some(limit)) if items.len() >= limit => {
                    next_key = last_key;
                    list_revision = page.revision;
                    break;
                }
                (true, _) => start_after = last_key,
                (false, _) => {
                    list_revision = page.revision;
                    break;
                }
            }
        }
        let mut metadata = json!({ "resourceVersion": list_revision.to_string() });
        if let Some(key) = next_key {
            metadata["continue"] = Value::String(encode_continue(list_revision, &key, &prefix));
        }
        Ok(ListedItems { items, metadata })
    }

    pub async fn create(
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
    async fn insert_new(
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
        let (mut object, warnings) = object::decode_typed(resource, &object, validation)?;
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
        let causes = causes_of(k8s_model::validate_create(&object));
        if !causes.is_empty() {
            return Err(ApiError::invalid(resource, &name, causes));
        }
        strategy.admit(self, &object, true).await?;
        if let Ownership::Update(manager) = ownership {
            crate::ssa::record_update(resource, manager, None, None, &mut object);
        }
        if is_dry_run(query) {
            return Ok(with_warnings(json_response(StatusCode::CREATED, &object), &warnings));
        }
        let key = self.key(resource, namespace, &name);
        let allocation = strategy.allocate(self, resource, namespace, &mut object, None).await?;
        let created = self.store.create(&key, Self::encode_for_store(&object)).await;
        if let (Err(_), Some(allocation)) = (&created, allocation) {
            self.services.undo(allocation).await;
        }
        let stored = created.map_err(|error| match error {
            StoreError::AlreadyExists { .. } => ApiError::already_exists(resource, &name),
            other => ApiError::from(other),
        })?;
        object::set_resource_version(&mut object, stored.mod_revision);
        strategy.after_create(self, &object).await?;
        Ok(with_warnings(json_response(StatusCode::CREATED, &object), &warnings))
    }

    pub async fn update(
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
                move |current| Ok(merge_update(current, object.clone(), subresource.as_deref())),
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
        let (applied, warnings) = object::decode_typed(resource, &applied, validation)?;
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
    pub async fn get_scale(&self, resource: &ResourceType, request: &ResourceRequest) -> Result<Value, ApiError> {
        Ok(scale_of(&self.get(resource, request).await?))
    }

    /// `PUT` or `PATCH .../<name>/scale`: sets the object's `spec.replicas` from the new `Scale`.
    pub async fn write_scale(
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

    pub async fn patch(
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
                    Ok(merge_update(current, patched, subresource.as_deref()))
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
            let (mut updated, warnings) = object::decode_typed(resource, &updated, validation)?;
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
                let mut causes = causes_of(k8s_model::validate_update(&updated, &current));
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
            let written = self.store.update(&key, Self::encode_for_store(&updated), kv.mod_revision).await;
            if let Some(allocation) = allocation {
                match &written {
                    Ok(_) => self.services.commit(allocation).await,
                    Err(_) => self.services.undo(allocation).await,
                }
            }
            match written {
                Ok(stored) => {
                    object::set_resource_version(&mut updated, stored.mod_revision);
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

    pub async fn delete(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        headers: &HeaderMap,
        body: &[u8],
        query: &Query,
    ) -> Result<Response, ApiError> {
        let namespace = Self::namespace_of(resource, request)?;
        let name = request.name.as_deref().unwrap_or_default();
        let options = delete_options(headers, body, query)?;
        let strategy = kinds::strategy(resource);
        if let Some(deleted) = strategy.delete(self, resource, name, &options).await {
            return deleted;
        }
        let key = self.key(resource, namespace, name);
        for _ in 0..WRITE_RETRIES {
            let kv = self.store.get(&key, None).await?.ok_or_else(|| ApiError::not_found(resource, name))?;
            let mut current = self.decode_stored(resource, &kv)?;
            options.check_preconditions(resource, name, &current)?;
            if options.dry_run {
                return Ok(json_response(StatusCode::OK, &current));
            }
            if let Some(grace) = strategy.graceful_period(self, &current, &options).await? {
                // Graceful deletion: the pod's node stops its containers and then deletes it with no grace.
                if !mark_graceful(&mut current, grace) {
                    return Ok(json_response(StatusCode::OK, &current));
                }
                match self.store.update(&key, Self::encode_for_store(&current), kv.mod_revision).await {
                    Ok(stored) => {
                        object::set_resource_version(&mut current, stored.mod_revision);
                        return Ok(json_response(StatusCode::OK, &current));
                    }
                    Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => continue,
                    Err(error) => return Err(error.into()),
                }
            }
            // Foreground and Orphan deletions leave the object to the garbage collector, which deletes or
            // orphans its dependents first and then removes the finalizer.
            let policy_finalizer = match options.propagation_policy.as_deref() {
                Some("Foreground") => Some("foregroundDeletion"),
                Some("Orphan") => Some("orphan"),
                _ => None,
            };
            if object::finalizers(&current) > 0 || policy_finalizer.is_some() {
                // Mark for deletion; whoever owns the finalizers removes them, and the last removal deletes.
                if object::metadata_str(&current, "deletionTimestamp").is_some() {
                    return Ok(json_response(StatusCode::OK, &current));
                }
                let metadata = metadata_mut(&mut current);
                metadata.insert("deletionTimestamp".into(), Value::String(object::now_timestamp()));
                metadata.insert("deletionGracePeriodSeconds".into(), json!(0));
                if let Some(finalizer) = policy_finalizer {
                    let finalizers = metadata.entry("finalizers").or_insert_with(|| json!([]));
                    if let Some(list) = finalizers.as_array_mut()
                        && !list.iter().any(|f| f == finalizer)
                    {
                        list.push(json!(finalizer));
                    }
                }
                match self.store.update(&key, Self::encode_for_store(&current), kv.mod_revision).await {
                    Ok(stored) => {
                        object::set_resource_version(&mut current, stored.mod_revision);
                        return Ok(json_response(StatusCode::OK, &current));
                    }
                    Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => continue,
                    Err(error) => return Err(error.into()),
                }
            }
            match self.store.delete(&key, Some(kv.mod_revision)).await {
                Ok((_, revision)) => {
                    object::set_resource_version(&mut current, revision);
                    self.after_delete(resource, namespace, &current).await?;
                    return Ok(json_response(StatusCode::OK, &current));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(StoreError::NotFound { .. }) => return Err(ApiError::not_found(resource, name)),
                Err(error) => return Err(error.into()),
            }
        }
        Err(ApiError::conflict(resource, name))
    }

    pub async fn delete_collection(
        &self,
        resource: &ResourceType,
        request: &ResourceRequest,
        headers: &HeaderMap,
        body: &[u8],
        query: &Query,
    ) -> Result<Response, ApiError> {
        let list = self.list(resource, request, query).await?;
        let mut deleted = Vec::new();
        for item in list["items"].as_array().cloned().unwrap_or_default() {
            let Some(name) = object::name(&item) else { continue };
            let mut one = request.clone();
            one.name = Some(name.to_owned());
            one.namespace = object::metadata_str(&item, "namespace").map(str::to_owned).or(one.namespace);
            match self.delete(resource, &one, headers, body, query).await {
                Ok(response) => {
                    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                        .await
                        .map_err(|error| ApiError::internal(error.to_string()))?;
                    deleted.push(serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null));
                }
                Err(error) if error.code == 404 => {}
                Err(error) => return Err(error),
            }
        }
        let revision = self.store.status().await?.revision;
        let list = json!({
            "kind": resource.list_kind,
            "apiVersion": resource.api_version(),
            "metadata": { "resourceVersion": revision.to_string() },
            "items": deleted,
        });
        Ok(json_response(StatusCode::OK, &list))
    }

    /// What follows an object's removal from the store: its kind gives back what it held, and a terminating
    /// namespace may now be empty.
    async fn after_delete(
        &self,
        resource: &ResourceType,
        namespace: Option<&str>,
        object: &Value,
    ) -> Result<(), ApiError> {
        kinds::strategy(resource).after_delete(self, object).await?;
        self.finish_namespace_after_delete(resource, namespace).await
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

/// The selected objects of a list, as JSON bytes, and the list's metadata.
#[derive(Debug)]
struct ListedItems {
    items: Vec<Vec<u8>>,
    metadata: Value,
}

/// How a write to an existing object is checked and recorded.
#[derive(Debug, Clone, Copy)]
struct WriteOptions<'a> {
    /// The resourceVersion the client requires the object to be at.
    precondition: Option<i64>,
    dry_run: bool,
    validation: FieldValidation,
    ownership: Ownership<'a>,
}

/// Who a write's fields belong to.
#[derive(Debug, Clone, Copy)]
enum Ownership<'a> {
    /// An update by this field manager.
    Update(&'a str),
    /// A server-side apply, which sets ownership itself.
    Apply,
}

/// The media type of a request body, without parameters.
fn media_type_of(headers: &HeaderMap) -> &str {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    content_type.split(';').next().unwrap_or_default().trim()
}

/// The request's field manager: `fieldManager`, else the user agent up to its first `/`, as kube-apiserver
/// names managers.
fn field_manager(query: &Query, headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(manager) = query.get("fieldManager") {
        if manager.is_empty() || manager.len() > 128 || manager.chars().any(|c| c.is_control()) {
            return Err(ApiError::bad_request(format!(
                "fieldManager: Invalid value: \"{manager}\": must be non-empty, at most 128 characters, without control characters"
            )));
        }
        return Ok(manager.clone());
    }
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let prefix: String = agent.split('/').next().unwrap_or_default().chars().take(128).collect();
    Ok(if prefix.is_empty() { "unknown".to_owned() } else { prefix })
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

/// A decoded PATCH body.
enum Patch {
    /// RFC 7386.
    Merge(Value),
    /// RFC 6902.
    Json(json_patch::Patch),
    Strategic(Value),
}

impl Patch {
    /// Decodes a PATCH body by its content type.
    fn decode(headers: &HeaderMap, body: &[u8]) -> Result<Patch, ApiError> {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        let patch: Value = serde_json::from_slice(body)
            .map_err(|error| ApiError::bad_request(format!("error decoding patch: {error}")))?;
        match media_type {
            "application/merge-patch+json" => Ok(Patch::Merge(patch)),
            "application/strategic-merge-patch+json" => Ok(Patch::Strategic(patch)),
            "application/json-patch+json" => Ok(Patch::Json(
                serde_json::from_value(patch)
                    .map_err(|error| ApiError::bad_request(format!("error decoding patch: {error}")))?,
            )),
            other => Err(ApiError::unsupported_media_type(other)),
        }
    }

    fn apply(&self, kind: &str, current: &Value) -> Result<Value, ApiError> {
        match self {
            Patch::Merge(patch) => {
                let mut patched = current.clone();
                json_patch::merge(&mut patched, patch);
                Ok(patched)
            }
            Patch::Json(operations) => {
                let mut patched = current.clone();
                json_patch::patch(&mut patched, operations).map_err(|error| {
                    ApiError::new(
                        422,
                        "Invalid",
                        format!("the server rejected our request due to an error in our request: {error}"),
                    )
                })?;
                Ok(patched)
            }
            Patch::Strategic(patch) => crate::smp::apply(kind, current, patch),
        }
    }
}

/// The new state of an object after a full update: server-owned metadata comes from the current object, and
/// `status` from the current object on the main resource or everything but `status` on the status subresource.
fn merge_update(current: &Value, mut updated: Value, subresource: Option<&str>) -> Value {
    if subresource == Some("status") {
        let mut result = current.clone();
        if let Some(status) = updated.get("status") {
            result["status"] = status.clone();
        } else if let Some(map) = result.as_object_mut() {
            map.remove("status");
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

/// A `metadata.resourceVersion` inside a patch is a precondition.
fn patch_precondition(body: &[u8]) -> Option<i64> {
    let patch: Value = serde_json::from_slice(body).ok()?;
    patch.get("metadata")?.get("resourceVersion")?.as_str()?.parse().ok()
}

fn is_dry_run(query: &Query) -> bool {
    query.get("dryRun").is_some_and(|v| v == "All")
}

/// `resourceVersion` and `resourceVersionMatch` of a list: `None` reads the latest state.
fn list_revision(query: &Query) -> Result<Option<i64>, ApiError> {
    let rv = query.get("resourceVersion").map(String::as_str).unwrap_or_default();
    let exact = query.get("resourceVersionMatch").is_some_and(|m| m == "Exact");
    match rv {
        "" | "0" => Ok(None),
        text => {
            let revision: i64 =
                text.parse().map_err(|_| ApiError::bad_request(format!("invalid resource version: {text}")))?;
            Ok(exact.then_some(revision))
        }
    }
}

/// Field errors as the causes of an `Invalid` status.
fn causes_of(errors: Vec<k8s_model::FieldError>) -> Vec<Cause> {
    errors
        .into_iter()
        .map(|error| Cause { reason: error.reason(), message: error.message(), field: error.field.clone() })
        .collect()
}

/// Marks an object for deletion in `grace` seconds; `false` when an earlier delete already gave it as short a
/// grace period.
fn mark_graceful(object: &mut Value, grace: i64) -> bool {
    let metadata = metadata_mut(object);
    let existing = metadata.get("deletionGracePeriodSeconds").and_then(Value::as_i64);
    let deadline = match (metadata.get("deletionTimestamp").and_then(Value::as_str), existing) {
        (Some(_), Some(existing)) if existing <= grace => return false,
        // A shorter grace period moves the deadline earlier by the difference, as kube-apiserver does.
        (Some(at), Some(existing)) => match object::parse_timestamp(at) {
            Some(at) => {
                let shortened = at - time::Duration::seconds(existing - grace);
                shortened.format(&time::format_description::well_known::Rfc3339).expect("RFC 3339 formats it")
            }
            None => object::timestamp_in(grace),
        },
        _ => object::timestamp_in(grace),
    };
    metadata.insert("deletionTimestamp".into(), Value::String(deadline));
    metadata.insert("deletionGracePeriodSeconds".into(), json!(grace));
    if let Some(generation) = metadata.get("generation").and_then(Value::as_i64).filter(|g| *g > 0) {
        metadata.insert("generation".into(), json!(generation + 1));
    }
    true
}

fn delete_options(headers: &HeaderMap, body: &[u8], query: &Query) -> Result<DeleteOptions, ApiError> {
    let grace = |text: &str| {
        text.parse::<i64>().map_err(|_| {
            ApiError::bad_request(format!("gracePeriodSeconds: Invalid value: \"{text}\": must be an integer"))
        })
    };
    let mut options = DeleteOptions {
        grace_period_seconds: query.get("gracePeriodSeconds").map(|text| grace(text)).transpose()?,
        propagation_policy: query.get("propagationPolicy").cloned(),
        dry_run: is_dry_run(query),
        ..DeleteOptions::default()
    };
    if body.iter().any(|b| !b.is_ascii_whitespace()) {
        let value = decode_body(headers, body)?;
        if let Some(policy) = value.get("propagationPolicy").and_then(Value::as_str) {
            options.propagation_policy = Some(policy.to_owned());
        }
        match value.get("gracePeriodSeconds") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) if n.is_i64() => options.grace_period_seconds = n.as_i64(),
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "gracePeriodSeconds: Invalid value: {other}: must be an integer"
                )));
            }
        }
        if let Some(preconditions) = value.get("preconditions") {
            options.precondition_uid = preconditions.get("uid").and_then(Value::as_str).map(str::to_owned);
            options.precondition_rv = preconditions.get("resourceVersion").and_then(Value::as_str).map(str::to_owned);
        }
        if value.get("dryRun").and_then(Value::as_array).is_some_and(|d| d.iter().any(|v| v == "All")) {
            options.dry_run = true;
        }
    }
    match options.propagation_policy.as_deref() {
        None | Some("Orphan" | "Background" | "Foreground") => Ok(options),
        Some(other) => Err(ApiError::bad_request(format!(
            "propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
        ))),
    }
}

/// The continue token: base64url of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key after the prefix>\u0000"}`, as
/// kube-apiserver writes it.
fn encode_continue(revision: i64, last_key: &str, prefix: &str) -> String {
    let start = format!("{}\u{0}", last_key.strip_prefix(prefix).unwrap_or(last_key));
    let token = json!({ "v": "meta.k8s.io/v1", "rv": revision, "start": start });
    base64::engine::general_purpose::URL_SAFE.encode(serde_json::to_vec(&token).expect("JSON serializes"))
}

/// The list revision and the key to continue after.
fn decode_continue(token: &str, prefix: &str) -> Result<(i64, String), ApiError> {
    let invalid = || {
        ApiError::bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE.decode(token).map_err(|_| invalid())?;
    let value: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if value.get("v").and_then(Value::as_str) != Some("meta.k8s.io/v1") {
        return Err(invalid());
    }
    let revision = value.get("rv").and_then(Value::as_i64).filter(|rv| *rv > 0).ok_or_else(invalid)?;
    let start = value.get("start").and_then(Value::as_str).ok_or_else(invalid)?;
    let start = start.strip_suffix('\u{0}').unwrap_or(start);
    if start.contains("..") || start.starts_with('/') {
        return Err(invalid());
    }
    Ok((revision, format!("{prefix}{start}")))
}

//! DELETE and DELETECOLLECTION: preconditions, dry run, graceful deletion for kinds that stop first,
//! finalizers and `propagationPolicy`, and what follows an object's removal.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use store::StoreError;

use super::{WRITE_RETRIES, is_dry_run};
use crate::api::ClusterApi;
use crate::http::{Query, decode_body, json_response};
use crate::kinds::{self, DeleteOptions};
use crate::object::{self, metadata_mut};
use crate::registry::ResourceType;
use crate::request::ResourceRequest;
use crate::status::ApiError;

impl ClusterApi {
    pub(crate) async fn delete(
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
                match self.store.update(&key, Self::encode_for_store(resource, &current), kv.mod_revision).await {
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
                match self.store.update(&key, Self::encode_for_store(resource, &current), kv.mod_revision).await {
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

    pub(crate) async fn delete_collection(
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
    pub(super) async fn after_delete(
        &self,
        resource: &ResourceType,
        namespace: Option<&str>,
        object: &Value,
    ) -> Result<(), ApiError> {
        kinds::strategy(resource).after_delete(self, object).await?;
        self.finish_namespace_after_delete(resource, namespace).await
    }
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

//! Namespaces, and the namespace lifecycle every namespaced object goes through: a namespace starts `Active`
//! with the `kubernetes` finalizer and gets its `default` service account and `kube-root-ca.crt` config map;
//! objects are created only in a namespace that exists and is not terminating; deleting a namespace (never
//! `default`, `kube-system` or `kube-public`) marks it `Terminating`, deletes its content and then the
//! namespace, which otherwise goes when the last object a finalizer held is deleted.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use store::{KeyValue, ListOptions, StoreError};

use super::{DeleteOptions, Strategy};
use crate::api::ClusterApi;
use crate::http::json_response;
use crate::object::{self, metadata_mut};
use crate::registry::ResourceType;
use crate::status::ApiError;

/// Namespaces that kube-apiserver's lifecycle admission refuses to delete.
const IMMORTAL_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public"];

/// The strategy of `v1` Namespaces.
#[derive(Debug)]
pub(crate) struct Namespaces;

#[async_trait::async_trait]
impl Strategy for Namespaces {
    fn prepare_status_for_create(&self, resource: &ResourceType, object: &mut Value) {
        if !resource.has_subresource("status") {
            return;
        }
        if let Some(map) = object.as_object_mut() {
            map.insert("status".into(), json!({ "phase": "Active" }));
            let spec = map.entry("spec").or_insert_with(|| json!({}));
            if spec.get("finalizers").is_none()
                && let Some(spec) = spec.as_object_mut()
            {
                spec.insert("finalizers".into(), json!(["kubernetes"]));
            }
        }
    }

    fn tracks_generation(&self, _resource: &ResourceType) -> bool {
        false
    }

    async fn after_create(&self, api: &ClusterApi, object: &Value) -> Result<(), ApiError> {
        api.populate_namespace(object::name(object).unwrap_or_default()).await
    }

    async fn delete(
        &self,
        api: &ClusterApi,
        resource: &ResourceType,
        name: &str,
        options: &DeleteOptions,
    ) -> Option<Result<Response, ApiError>> {
        if IMMORTAL_NAMESPACES.contains(&name) {
            return Some(Err(ApiError::new(
                403,
                "Forbidden",
                format!("namespaces \"{name}\" is forbidden: this namespace may not be deleted"),
            )));
        }
        if options.dry_run {
            return None;
        }
        Some(api.delete_namespace(resource, name, options).await)
    }
}

impl ClusterApi {
    /// Creates the `default` service account and the `kube-root-ca.crt` config map in a namespace, when missing.
    pub(crate) async fn populate_namespace(&self, namespace: &str) -> Result<(), ApiError> {
        let service_account = json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": { "name": "default", "namespace": namespace },
        });
        let root_ca = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "kube-root-ca.crt",
                "namespace": namespace,
                "annotations": {
                    "kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."
                },
            },
            "data": { "ca.crt": self.ca_cert },
        });
        for (plural, mut object) in [("serviceaccounts", service_account), ("configmaps", root_ca)] {
            let resource = self.registry.find("", "v1", plural).expect("registered");
            let name = object["metadata"]["name"].as_str().unwrap_or_default().to_owned();
            let metadata = object["metadata"].as_object_mut().expect("built above");
            metadata.insert("uid".into(), json!(crate::object::new_uid()));
            metadata.insert("creationTimestamp".into(), json!(crate::object::now_timestamp()));
            let key = self.key(resource, Some(namespace), &name);
            let value = bytes::Bytes::from(serde_json::to_vec(&object).expect("JSON serializes"));
            match self.store.create(&key, value).await {
                Ok(_) | Err(StoreError::AlreadyExists { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    /// Refuses to create objects in a namespace that does not exist.
    pub(crate) async fn require_namespace(
        &self,
        resource: &ResourceType,
        name: &str,
        namespace: &str,
    ) -> Result<(), ApiError> {
        let namespaces = self.registry.find("", "v1", "namespaces").expect("namespaces are registered");
        let key = self.key(namespaces, None, namespace);
        let Some(kv) = self.store.get(&key, None).await? else {
            return Err(ApiError::namespace_not_found(namespace));
        };
        let object = self.decode_stored(resource, &kv)?;
        if object::metadata_str(&object, "deletionTimestamp").is_some() {
            return Err(ApiError::namespace_terminating(resource, name, namespace));
        }
        Ok(())
    }

    /// Deleting a namespace marks it `Terminating`, deletes everything in it, and then removes it; while
    /// anything in it waits on finalizers the namespace stays `Terminating`, and deleting it again retries.
    async fn delete_namespace(
        &self,
        namespaces: &ResourceType,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<Response, ApiError> {
        let key = self.key(namespaces, None, name);
        let mut marked = loop {
            let kv = self.store.get(&key, None).await?.ok_or_else(|| ApiError::not_found(namespaces, name))?;
            let mut current = self.decode_stored(namespaces, &kv)?;
            options.check_preconditions(namespaces, name, &current)?;
            if object::metadata_str(&current, "deletionTimestamp").is_some() {
                break (current, kv.mod_revision);
            }
            metadata_mut(&mut current).insert("deletionTimestamp".into(), Value::String(object::now_timestamp()));
            metadata_mut(&mut current).insert("deletionGracePeriodSeconds".into(), json!(0));
            current["status"] = json!({ "phase": "Terminating" });
            match self.store.update(&key, Self::encode_for_store(namespaces, &current), kv.mod_revision).await {
                Ok(stored) => {
                    object::set_resource_version(&mut current, stored.mod_revision);
                    break (current, stored.mod_revision);
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        };
        let remaining = self.delete_namespace_content(name).await?;
        if remaining > 0 {
            tracing::info!(namespace = name, remaining, "namespace waits for objects with finalizers");
            return Ok(json_response(StatusCode::OK, &marked.0));
        }
        match self.store.delete(&key, Some(marked.1)).await {
            Ok((_, revision)) => object::set_resource_version(&mut marked.0, revision),
            Err(StoreError::NotFound { .. } | StoreError::Conflict { .. }) => {}
            Err(error) => return Err(error.into()),
        }
        Ok(json_response(StatusCode::OK, &marked.0))
    }

    /// After an object in a terminating namespace is finally deleted, removes the namespace if that was the last
    /// thing holding it, as the namespace controller does.
    pub(crate) async fn finish_namespace_after_delete(
        &self,
        resource: &ResourceType,
        namespace: Option<&str>,
    ) -> Result<(), ApiError> {
        let Some(namespace) = namespace.filter(|_| resource.namespaced) else { return Ok(()) };
        let namespaces = self.registry.find("", "v1", "namespaces").expect("namespaces are registered");
        let key = self.key(namespaces, None, namespace);
        let Some(kv) = self.store.get(&key, None).await? else { return Ok(()) };
        let Ok(current) = self.decode_stored(resource, &kv) else { return Ok(()) };
        if object::metadata_str(&current, "deletionTimestamp").is_none() {
            return Ok(());
        }
        if self.delete_namespace_content(namespace).await? == 0 {
            match self.store.delete(&key, Some(kv.mod_revision)).await {
                Ok(_) | Err(StoreError::NotFound { .. } | StoreError::Conflict { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    /// Deletes every object in a namespace; returns how many remain (held by finalizers).
    async fn delete_namespace_content(&self, namespace: &str) -> Result<usize, ApiError> {
        let mut remaining = 0;
        let resources: Vec<ResourceType> = self.served().stored_resources().filter(|r| r.namespaced).cloned().collect();
        for resource in &resources {
            let prefix = self.collection_prefix(resource, Some(namespace));
            let page = self.store.list(&prefix, ListOptions::default()).await?;
            for kv in page.items {
                if !self.delete_namespaced_object(resource, kv).await? {
                    remaining += 1;
                }
            }
        }
        Ok(remaining)
    }

    /// Deletes one object of a terminating namespace, or marks it deleted when finalizers hold it; a write that
    /// raced this one (a controller updating its status) is read again and retried. Returns whether it is gone.
    async fn delete_namespaced_object(&self, resource: &ResourceType, mut kv: KeyValue) -> Result<bool, ApiError> {
        loop {
            let Ok(object) = self.decode_stored(resource, &kv) else { return Ok(true) };
            let written = if object::finalizers(&object) > 0 {
                if object::metadata_str(&object, "deletionTimestamp").is_some() {
                    return Ok(false);
                }
                let mut marked = object.clone();
                metadata_mut(&mut marked).insert("deletionTimestamp".into(), Value::String(object::now_timestamp()));
                self.store
                    .update(&kv.key, Self::encode_for_store(resource, &marked), kv.mod_revision)
                    .await
                    .map(|_| false)
            } else {
                self.store.delete(&kv.key, Some(kv.mod_revision)).await.map(|_| true)
            };
            match written {
                Ok(gone) => {
                    if gone {
                        super::strategy(resource).after_delete(self, &object).await?;
                    }
                    return Ok(gone);
                }
                Err(StoreError::NotFound { .. }) => return Ok(true),
                Err(StoreError::Conflict { .. }) => match self.store.get(&kv.key, None).await? {
                    Some(current) => kv = current,
                    None => return Ok(true),
                },
                Err(error) => return Err(error.into()),
            }
        }
    }
}

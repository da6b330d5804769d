//! Pods: they start `Pending`; on create the admission plugins run (Priority, DefaultTolerationSeconds,
//! ServiceAccount with its API access volume, then the webhook the embedding program installed), done inline
//! with the write so that a client sees them at once; a pod on a node is deleted gracefully; and pods serve the
//! `binding` subresource (with the older `bindings` resource), the `eviction` subresource, and the
//! `ephemeralcontainers` subresource that `kubectl debug` adds containers through.

use axum::response::Response;
use serde_json::{Value, json};

use super::{Call, DeleteOptions, Strategy};
use crate::api::ClusterApi;
use crate::registry::ResourceType;
use crate::request::Verb;
use crate::status::ApiError;

mod binding;
mod ephemeralcontainers;
mod eviction;

/// A pod's grace period when neither the delete nor the pod names one (`terminationGracePeriodSeconds`).
const DEFAULT_TERMINATION_GRACE_SECONDS: i64 = 30;

/// Where the API access volume is mounted in every container.
const TOKEN_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// The token lifetime the projected volume asks for (kube-apiserver's default: one hour plus 7 seconds).
const TOKEN_EXPIRATION_SECONDS: i64 = 3607;

/// The strategy of `v1` Pods.
#[derive(Debug)]
pub(crate) struct Pods;

#[async_trait::async_trait]
impl Strategy for Pods {
    fn serves(&self, subresource: Option<&str>) -> bool {
        matches!(subresource, Some("binding" | "eviction" | "ephemeralcontainers"))
    }

    async fn serve(&self, api: &ClusterApi, call: &Call<'_>) -> Result<Response, ApiError> {
        let Call { resource, info, headers, body, query, .. } = *call;
        match info.subresource.as_deref() {
            Some("binding") if info.verb == Verb::Create => api.bind(resource, info, headers, body, query).await,
            Some("binding") => Err(ApiError::method_not_allowed("the binding subresource only accepts create")),
            Some("eviction") if info.verb == Verb::Create => api.evict(resource, info, headers, body, query).await,
            Some("eviction") => Err(ApiError::method_not_allowed("the eviction subresource only accepts create")),
            Some("ephemeralcontainers") => api.ephemeral_containers(resource, info, headers, body, query).await,
            _ => Err(ApiError::no_such_resource()),
        }
    }

    fn prepare_status_for_create(&self, resource: &ResourceType, object: &mut Value) {
        if resource.has_subresource("status")
            && let Some(map) = object.as_object_mut()
        {
            map.insert("status".into(), json!({ "phase": "Pending" }));
        }
    }

    async fn prepare_for_create(
        &self,
        api: &ClusterApi,
        _resource: &ResourceType,
        namespace: Option<&str>,
        object: &mut Value,
    ) -> Result<(), ApiError> {
        let Some(namespace) = namespace else { return Ok(()) };
        api.admit_priority(object).await?;
        k8s_model::admit_pod_with(object, api.default_toleration_seconds);
        let service_account = api.admit_service_account(object, namespace).await?;
        for hook in &api.pod_admission {
            hook.admit(&api.name, namespace, object, service_account.as_ref())
                .await
                .map_err(|message| ApiError::internal(format!("failed calling webhook: {message}")))?;
        }
        Ok(())
    }

    /// Only pods that run on a node are deleted gracefully: as kube-apiserver's pod strategy, an unscheduled or
    /// finished pod goes at once. A pod bound to a node that does not exist also goes at once, which on a real
    /// cluster the pod garbage collector does shortly after.
    async fn graceful_period(
        &self,
        api: &ClusterApi,
        pod: &Value,
        options: &DeleteOptions,
    ) -> Result<Option<i64>, ApiError> {
        let mut period = options
            .grace_period_seconds
            .or_else(|| pod["spec"]["terminationGracePeriodSeconds"].as_i64())
            .unwrap_or(DEFAULT_TERMINATION_GRACE_SECONDS);
        let node = pod["spec"]["nodeName"].as_str().unwrap_or_default();
        let finished = matches!(pod["status"]["phase"].as_str(), Some("Succeeded" | "Failed"));
        if node.is_empty() || finished {
            period = 0;
        }
        if period < 0 {
            period = 1;
        }
        if period == 0 {
            return Ok(None);
        }
        let nodes = api.registry.find("", "v1", "nodes").expect("nodes are registered");
        if api.store.get(&api.key(nodes, None, node), None).await?.is_none() {
            return Ok(None);
        }
        Ok(Some(period))
    }
}

/// The strategy of the `v1` `bindings` resource, the older way to bind a pod: a create in the pod's namespace.
#[derive(Debug)]
pub(crate) struct Bindings;

#[async_trait::async_trait]
impl Strategy for Bindings {
    fn serves(&self, _subresource: Option<&str>) -> bool {
        true
    }

    async fn serve(&self, api: &ClusterApi, call: &Call<'_>) -> Result<Response, ApiError> {
        let Call { info, headers, body, query, .. } = *call;
        if info.verb != Verb::Create || info.name.is_some() {
            return Err(ApiError::method_not_allowed("bindings only accepts create"));
        }
        let pods = api.served().find("", "v1", "pods").ok_or_else(ApiError::no_such_resource)?.clone();
        api.bind(&pods, info, headers, body, query).await
    }
}

impl ClusterApi {
    /// The Priority admission plugin for a pod being created: finds the PriorityClass the pod names, or the
    /// global default class when it names none, and sets the pod's priority and preemption policy from it.
    pub(crate) async fn admit_priority(&self, pod: &mut Value) -> Result<(), ApiError> {
        let named = pod.pointer("/spec/priorityClassName").and_then(Value::as_str).filter(|n| !n.is_empty());
        let class = match named {
            Some(name) => {
                let classes = self.registry.find("scheduling.k8s.io", "v1", "priorityclasses").expect("registered");
                let kv = self.store.get(&self.key(classes, None, name), None).await?;
                kv.and_then(|kv| serde_json::from_slice::<Value>(&kv.value).ok())
            }
            None => self.default_priority_class().await?,
        };
        let class_ref = class.as_ref().map(|class| k8s_model::PriorityClassRef {
            name: class.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default(),
            value: class.get("value").and_then(Value::as_i64).unwrap_or(0),
            preemption_policy: class.get("preemptionPolicy").and_then(Value::as_str),
        });
        k8s_model::admit_priority(pod, class_ref).map_err(|reason| {
            let pod_name = crate::object::name(pod).unwrap_or_default().to_owned();
            ApiError::new(403, "Forbidden", format!("pods \"{pod_name}\" is forbidden: {reason}"))
                .with_details(json!({ "name": pod_name, "kind": "pods" }))
        })
    }

    /// The ServiceAccount admission plugin for a pod being created: names the `default` service account when
    /// the pod names none, refuses a service account that does not exist, and mounts a projected API access
    /// volume into every container unless the pod or its service account opts out.
    pub(crate) async fn admit_service_account(
        &self,
        pod: &mut Value,
        namespace: &str,
    ) -> Result<Option<Value>, ApiError> {
        let pod_name = crate::object::name(pod).unwrap_or_default().to_owned();
        let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else { return Ok(None) };
        // Mirror pods and pods created by the kubelet are out of scope here: no node agent creates them yet.
        let account = match spec.get("serviceAccountName").and_then(Value::as_str).filter(|n| !n.is_empty()) {
            Some(name) => name.to_owned(),
            None => spec
                .get("serviceAccount")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .unwrap_or("default")
                .to_owned(),
        };
        spec.insert("serviceAccountName".into(), json!(account));
        spec.insert("serviceAccount".into(), json!(account));

        let accounts = self.registry.find("", "v1", "serviceaccounts").expect("registered");
        let Some(kv) = self.store.get(&self.key(accounts, Some(namespace), &account), None).await? else {
            return Err(ApiError::new(
                403,
                "Forbidden",
                format!(
                    "pods \"{pod_name}\" is forbidden: error looking up service account {namespace}/{account}: serviceaccount \"{account}\" not found"
                ),
            )
            .with_details(json!({ "name": pod_name, "kind": "pods" })));
        };
        let service_account: Value = serde_json::from_slice(&kv.value).unwrap_or_default();
        let automount = spec
            .get("automountServiceAccountToken")
            .and_then(Value::as_bool)
            .or_else(|| service_account["automountServiceAccountToken"].as_bool())
            .unwrap_or(true);
        let already_mounted = ["initContainers", "containers"].iter().any(|list| {
            spec.get(*list).and_then(Value::as_array).is_some_and(|containers| {
                containers.iter().any(|c| {
                    c["volumeMounts"]
                        .as_array()
                        .is_some_and(|mounts| mounts.iter().any(|m| m["mountPath"] == TOKEN_MOUNT_PATH))
                })
            })
        });
        if !automount || already_mounted {
            return Ok(Some(service_account));
        }
        let volume_name = format!("kube-api-access-{}", crate::object::name_suffix());
        let volumes = spec.entry("volumes").or_insert_with(|| json!([]));
        let Some(volumes) = volumes.as_array_mut() else { return Ok(Some(service_account)) };
        volumes.push(json!({
            "name": volume_name,
            "projected": {
                "defaultMode": 420,
                "sources": [
                    { "serviceAccountToken": { "expirationSeconds": TOKEN_EXPIRATION_SECONDS, "path": "token" } },
                    { "configMap": { "name": "kube-root-ca.crt", "items": [{ "key": "ca.crt", "path": "ca.crt" }] } },
                    { "downwardAPI": { "items": [{
                        "path": "namespace",
                        "fieldRef": { "apiVersion": "v1", "fieldPath": "metadata.namespace" },
                    }] } },
                ],
            },
        }));
        let mount = json!({ "name": volume_name, "readOnly": true, "mountPath": TOKEN_MOUNT_PATH });
        for list in ["initContainers", "containers"] {
            let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else { continue };
            for container in containers.iter_mut().filter_map(Value::as_object_mut) {
                let mounts = container.entry("volumeMounts").or_insert_with(|| json!([]));
                if let Some(mounts) = mounts.as_array_mut() {
                    mounts.push(mount.clone());
                }
            }
        }
        Ok(Some(service_account))
    }
}

//! What a real control plane adds around writes without being asked: the ServiceAccount admission plugin (a
//! pod's service account and its API access volume), the Priority admission plugin (a pod's priority from its
//! PriorityClass; one global default class at most) and, for each new namespace, what the service account and
//! root CA publisher controllers create there (the `default` service account and the `kube-root-ca.crt` config
//! map). Done inline with the write, so that a client sees them at once.

use serde_json::{Value, json};
use store::{ListOptions, StoreError};

use crate::api::ClusterApi;
use crate::status::ApiError;

/// Where the API access volume is mounted in every container.
const TOKEN_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// The token lifetime the projected volume asks for (kube-apiserver's default: one hour plus 7 seconds).
const TOKEN_EXPIRATION_SECONDS: i64 = 3607;

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

    /// The PriorityClass marked `globalDefault`; the lowest-valued one should a race have left several.
    async fn default_priority_class(&self) -> Result<Option<Value>, ApiError> {
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

    /// The ServiceAccount admission plugin for a pod being created: names the `default` service account when
    /// the pod names none, refuses a service account that does not exist, and mounts a projected API access
    /// volume into every container unless the pod or its service account opts out.
    pub(crate) async fn admit_service_account(&self, pod: &mut Value, namespace: &str) -> Result<(), ApiError> {
        let pod_name = crate::object::name(pod).unwrap_or_default().to_owned();
        let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else { return Ok(()) };
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
            return Ok(());
        }
        let volume_name = format!("kube-api-access-{}", crate::object::name_suffix());
        let volumes = spec.entry("volumes").or_insert_with(|| json!([]));
        let Some(volumes) = volumes.as_array_mut() else { return Ok(()) };
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
        Ok(())
    }
}

//! EKS's clusters as ekslite's Kubernetes clusters: created in `ControlPlanes` with the issuer and Service range
//! EKS chose, given the objects every EKS cluster starts with (the `gp2` StorageClass and, unless CreateCluster
//! said otherwise, the networking add-ons of `addons.rs`) and those add-ons install (`addons.rs` has them all:
//! workloads, RBAC, CustomResourceDefinitions, the CSI drivers' registrations), read for their `aws-auth`
//! ConfigMap, and asked whether an add-on's workloads have their replicas ready.

use std::collections::BTreeMap;
use std::sync::Arc;

use apiserver::ControlPlanes;
use aws_model::eks::{KubernetesClusters, KubernetesEndpoint, KubernetesSpec};

use aws_model::eks::addons::Addon;

use super::addons::{AddonContext, Manifest, configured, manifests, workload_ready};

/// EKS's clusters, created as ekslite clusters.
#[derive(Debug)]
pub struct Clusters(pub Arc<ControlPlanes>);

#[async_trait::async_trait]
impl KubernetesClusters for Clusters {
    async fn create(&self, spec: &KubernetesSpec) -> Result<KubernetesEndpoint, String> {
        let created =
            self.0.create_with(&spec.name, Some(&spec.version), Some(&spec.service_cidr), Some(&spec.issuer_id)).await;
        let record = match created {
            Ok(record) => record,
            // A create cut short after its Kubernetes cluster was made, resumed: the cluster runs since start-up.
            Err(apiserver::ClusterError::AlreadyExists(_)) => match self.0.get(&spec.name) {
                Some(record) if record.oidc_issuer_id.as_deref() == Some(spec.issuer_id.as_str()) => record,
                Some(_) => return Err(format!("another Kubernetes cluster named {} exists", spec.name)),
                None => return Err(format!("the Kubernetes cluster {} exists but does not run here", spec.name)),
            },
            Err(error) => return Err(error.to_string()),
        };
        self.0
            .ensure_object(&spec.name, "storage.k8s.io", "storageclasses", gp2_storage_class())
            .await
            .map_err(|error| error.to_string())?;
        if spec.bootstrap_addons {
            for addon in super::addons::BOOTSTRAP_ADDONS {
                self.install(&spec.name, &super::addons::bootstrap(addon)).await?;
            }
        }
        Ok(KubernetesEndpoint { endpoint: record.endpoint(), ca_pem: record.pki.ca_cert.clone() })
    }

    async fn delete(&self, name: &str) -> Result<(), String> {
        match self.0.delete(name).await {
            Ok(_) | Err(apiserver::ClusterError::NotFound(_)) => Ok(()),
            Err(error) => Err(error.to_string()),
        }
    }

    async fn config_map(
        &self,
        cluster: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, String> {
        self.0.config_map(cluster, namespace, name).await.map_err(|error| error.to_string())
    }

    async fn addon(&self, cluster: &str, addon: &Addon, installed: bool) -> Result<(), String> {
        if installed { self.install(cluster, addon).await } else { self.uninstall(cluster, &addon.name).await }
    }

    /// Reads the add-on's Deployments and DaemonSets (a few objects, whatever the number of pods); one that is
    /// missing is not ready.
    async fn addon_ready(&self, cluster: &str, addon: &Addon) -> Result<bool, String> {
        let (service, context) = self.addon_manager(cluster)?;
        for manifest in configured(addon, &context) {
            let kind = manifest.object["kind"].as_str().unwrap_or_default().to_owned();
            if kind != "Deployment" && kind != "DaemonSet" {
                continue;
            }
            let request =
                axum::http::Request::get(object_path(&manifest)).body(axum::body::Body::empty()).expect("a request");
            let (status, answer) = service.send(request).await;
            if status == axum::http::StatusCode::NOT_FOUND {
                return Ok(false);
            }
            if !status.is_success() {
                return Err(format!("{}: reading {}: {status}", addon.name, object_path(&manifest)));
            }
            let object: serde_json::Value = serde_json::from_slice(&answer).map_err(|error| error.to_string())?;
            if !workload_ready(&kind, &object) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// How many times an apply that meets a conflict is made.
const APPLY_TRIES: usize = 5;

/// Where a manifest's object is read, patched and deleted.
fn object_path(manifest: &Manifest) -> String {
    format!("{}/{}", manifest.collection, manifest.object["metadata"]["name"].as_str().unwrap_or_default())
}

impl Clusters {
    /// A client of `cluster`'s API acting as EKS's add-on manager.
    fn addon_manager(&self, cluster: &str) -> Result<(apiserver::LocalService, AddonContext), String> {
        let record =
            self.0.get(cluster).ok_or_else(|| format!("the Kubernetes cluster {cluster} does not run here"))?;
        let context = AddonContext::of(&record).ok_or_else(|| format!("{cluster} is not an EKS cluster"))?;
        let api = self.0.api(cluster).ok_or_else(|| format!("the Kubernetes cluster {cluster} does not run here"))?;
        let identity = apiserver::Identity::Certificate {
            user: "eks:addon-manager".into(),
            groups: vec!["system:masters".into()],
        };
        Ok((apiserver::LocalService::new(api, identity), context))
    }

    /// Applies `addon`'s objects through the cluster's API (server-side apply as the field manager `eks`, forced,
    /// as EKS's `OVERWRITE` takes the fields back) in their order (namespaces and CustomResourceDefinitions
    /// first): created when missing, brought back to the add-on's version and settings when not. Objects its
    /// settings turn off are deleted.
    async fn install(&self, cluster: &str, addon: &Addon) -> Result<(), String> {
        let (service, context) = self.addon_manager(cluster)?;
        let wanted = configured(addon, &context);
        for manifest in &wanted {
            let body = serde_json::to_vec(&manifest.object).expect("a manifest encodes");
            // An apply names no resourceVersion, yet a write in between (a controller's status, the reconciler
            // finishing the same create) can fail it with a conflict, which the next try does not meet.
            let mut tries = 0;
            let (status, answer) = loop {
                let request =
                    axum::http::Request::patch(format!("{}?fieldManager=eks&force=true", object_path(manifest)))
                        .header("content-type", "application/apply-patch+yaml")
                        .body(axum::body::Body::from(body.clone()))
                        .expect("a request");
                let (status, answer) = service.send(request).await;
                tries += 1;
                if status != axum::http::StatusCode::CONFLICT || tries == APPLY_TRIES {
                    break (status, answer);
                }
            };
            if !status.is_success() {
                return Err(format!(
                    "{}: applying {}: {status} {}",
                    addon.name,
                    object_path(manifest),
                    String::from_utf8_lossy(&answer)
                ));
            }
        }
        let turned_off = manifests(&addon.name, &context)
            .into_iter()
            .filter(|manifest| !wanted.iter().any(|kept| object_path(kept) == object_path(manifest)));
        delete_all(&service, &addon.name, turned_off).await
    }

    /// Deletes `addon`'s objects, last put in first out (their pods go with them, a namespace last); those
    /// already gone are fine.
    async fn uninstall(&self, cluster: &str, addon: &str) -> Result<(), String> {
        let Ok((service, context)) = self.addon_manager(cluster) else { return Ok(()) };
        delete_all(&service, addon, manifests(addon, &context).into_iter().rev()).await
    }
}

/// Deletes the objects of manifests in order, in the background for their dependents; missing ones are fine.
async fn delete_all(
    service: &apiserver::LocalService,
    addon: &str,
    manifests: impl Iterator<Item = Manifest>,
) -> Result<(), String> {
    for manifest in manifests {
        let path = object_path(&manifest);
        let request = axum::http::Request::delete(format!("{path}?propagationPolicy=Background"))
            .body(axum::body::Body::empty())
            .expect("a request");
        let (status, answer) = service.send(request).await;
        if !status.is_success() && status != axum::http::StatusCode::NOT_FOUND {
            return Err(format!("{addon}: deleting {path}: {status} {}", String::from_utf8_lossy(&answer)));
        }
    }
    Ok(())
}

/// The StorageClass every EKS cluster is created with: in-tree EBS (served by the EBS CSI driver once that is
/// installed), not the default class (EKS stopped marking it default with Kubernetes 1.30).
fn gp2_storage_class() -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": { "name": "gp2" },
        "provisioner": "kubernetes.io/aws-ebs",
        "parameters": { "type": "gp2", "fsType": "ext4" },
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": false,
    })
}

//! EKS's clusters as ekslite's Kubernetes clusters: created in `ControlPlanes` with the issuer and Service range
//! EKS chose, given the objects every EKS cluster starts with (the `gp2` StorageClass and, unless CreateCluster
//! said otherwise, the networking add-ons of `addons.rs`) and those add-ons install (their workloads, the CSI
//! drivers' registrations), and read for their `aws-auth` ConfigMap.

use std::collections::BTreeMap;
use std::sync::Arc;

use apiserver::ControlPlanes;
use aws_model::eks::{KubernetesClusters, KubernetesEndpoint, KubernetesSpec};

use aws_model::eks::addons::Addon;

use super::addons::{AddonContext, configured, manifests};

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
        if installed {
            self.install(cluster, addon).await?;
        } else {
            self.uninstall(cluster, &addon.name).await?;
        }
        // The CSI drivers' registrations are what the cluster's volume provisioner answers to.
        let (driver, object) = match addon.name.as_str() {
            "aws-ebs-csi-driver" => ("ebs.csi.aws.com", ebs_csi_driver()),
            "aws-efs-csi-driver" => ("efs.csi.aws.com", efs_csi_driver()),
            _ => return Ok(()),
        };
        let result = if installed {
            self.0.ensure_object(cluster, "storage.k8s.io", "csidrivers", object).await
        } else {
            self.0.remove_object(cluster, "storage.k8s.io", "csidrivers", None, driver).await
        };
        match result {
            Ok(()) | Err(apiserver::ClusterError::NotFound(_)) => Ok(()),
            Err(error) => Err(error.to_string()),
        }
    }
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
    /// as EKS's `OVERWRITE` takes the fields back): created when missing, brought back to the add-on's version and
    /// settings when not.
    async fn install(&self, cluster: &str, addon: &Addon) -> Result<(), String> {
        let (service, context) = self.addon_manager(cluster)?;
        for manifest in configured(addon, &context) {
            let name = manifest.object["metadata"]["name"].as_str().unwrap_or_default();
            let body = serde_json::to_vec(&manifest.object).expect("a manifest encodes");
            let request =
                axum::http::Request::patch(format!("{}/{name}?fieldManager=eks&force=true", manifest.collection))
                    .header("content-type", "application/apply-patch+yaml")
                    .body(axum::body::Body::from(body))
                    .expect("a request");
            let (status, answer) = service.send(request).await;
            if !status.is_success() {
                return Err(format!(
                    "{}: applying {}/{name}: {status} {}",
                    addon.name,
                    manifest.collection,
                    String::from_utf8_lossy(&answer)
                ));
            }
        }
        Ok(())
    }

    /// Deletes `addon`'s objects (their pods go with them); those already gone are fine.
    async fn uninstall(&self, cluster: &str, addon: &str) -> Result<(), String> {
        let Ok((service, context)) = self.addon_manager(cluster) else { return Ok(()) };
        for manifest in manifests(addon, &context).into_iter().rev() {
            let name = manifest.object["metadata"]["name"].as_str().unwrap_or_default();
            let request =
                axum::http::Request::delete(format!("{}/{name}?propagationPolicy=Background", manifest.collection))
                    .body(axum::body::Body::empty())
                    .expect("a request");
            let (status, answer) = service.send(request).await;
            if !status.is_success() && status != axum::http::StatusCode::NOT_FOUND {
                return Err(format!(
                    "{addon}: deleting {}/{name}: {status} {}",
                    manifest.collection,
                    String::from_utf8_lossy(&answer)
                ));
            }
        }
        Ok(())
    }
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

/// The CSIDriver object the `aws-ebs-csi-driver` add-on registers.
fn ebs_csi_driver() -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "storage.k8s.io/v1",
        "kind": "CSIDriver",
        "metadata": { "name": "ebs.csi.aws.com", "labels": { "app.kubernetes.io/name": "aws-ebs-csi-driver" } },
        "spec": {
            "attachRequired": true,
            "podInfoOnMount": false,
            "fsGroupPolicy": "ReadWriteOnceWithFSType",
            "requiresRepublish": false,
            "storageCapacity": false,
            "seLinuxMount": false,
            "volumeLifecycleModes": ["Persistent"],
        },
    })
}

/// The CSIDriver object the `aws-efs-csi-driver` add-on registers: nothing to attach, EFS mounts over the network.
fn efs_csi_driver() -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "storage.k8s.io/v1",
        "kind": "CSIDriver",
        "metadata": { "name": "efs.csi.aws.com", "labels": { "app.kubernetes.io/name": "aws-efs-csi-driver" } },
        "spec": {
            "attachRequired": false,
            "podInfoOnMount": false,
            "fsGroupPolicy": "ReadWriteOnceWithFSType",
            "requiresRepublish": false,
            "storageCapacity": false,
            "seLinuxMount": false,
            "volumeLifecycleModes": ["Persistent"],
        },
    })
}

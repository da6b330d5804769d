//! EKS's clusters as ekslite's Kubernetes clusters: created in `ControlPlanes` with the issuer and Service range
//! EKS chose, given the objects every EKS cluster starts with (the `gp2` StorageClass) and those add-ons register
//! (the EBS CSI driver), and read for their `aws-auth` ConfigMap.

use std::collections::BTreeMap;
use std::sync::Arc;

use apiserver::ControlPlanes;
use aws_model::eks::{KubernetesClusters, KubernetesEndpoint, KubernetesSpec};

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

    async fn addon(&self, cluster: &str, addon: &str, installed: bool) -> Result<(), String> {
        // The CSI drivers' registrations are what the cluster's volume provisioner answers to.
        let (driver, object) = match addon {
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

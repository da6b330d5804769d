//! The EFS CSI driver of EKS clusters against EFS: what `controllers::efs::EfsVolumes` asks (access points made
//! and deleted as the driver's controller makes them, whether a zone has a mount target), done in EFS in the
//! cluster's account and region; and the driver's node plugin as the node agent's `PodVolumes`, which lets a pod
//! start only once every EFS volume it uses can be mounted in its node's zone.

use std::sync::Arc;

use aws_model::efs::{CreateAccessPoint, CreationInfo, Efs, EfsError, PosixUser};
use aws_model::eks::Caller;
use controllers::efs::{AccessPointRequest, EfsVolumes, check_mounts};
use node_agent::{NodeSpec, PodVolumes};

/// The label naming a node's zone.
const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// One EKS cluster's file systems in EFS.
#[derive(Debug, Clone)]
pub struct EfsCsi {
    caller: Caller,
    efs: Efs,
}

impl EfsCsi {
    /// The file systems of the cluster named `cluster` on the Kubernetes side (`<name>.<region>.<account>`);
    /// `None` for clusters EKS does not run.
    pub fn for_cluster(cluster: &str, efs: Efs) -> Option<EfsCsi> {
        Some(EfsCsi { caller: super::nodes::caller_of(cluster)?, efs })
    }
}

/// What CreateAccessPoint gets for a driver request: the volume name as the client token, the POSIX user and the
/// root directory's owner both uid and gid, the class's permissions, the driver's tags.
pub fn create_request(request: &AccessPointRequest) -> CreateAccessPoint {
    CreateAccessPoint {
        client_token: request.client_token.chars().take(64).collect(),
        file_system_id: request.file_system_id.clone(),
        posix_user: Some(PosixUser { uid: request.uid, gid: request.gid, secondary_gids: Vec::new() }),
        path: Some(request.path.clone()),
        creation_info: Some(CreationInfo {
            owner_uid: request.uid,
            owner_gid: request.gid,
            permissions: request.permissions.clone(),
        }),
        tags: request.tags.iter().map(|(key, value)| (key.clone(), value.clone())).collect(),
    }
}

/// What the mount helper (efs-utils) prints when a file system's DNS name does not resolve in a zone: there is no
/// mount target there.
pub fn unresolved_message(file_system_id: &str, region: &str) -> String {
    format!(
        "Failed to resolve \"{file_system_id}.efs.{region}.amazonaws.com\" - check that your file system ID is \
         correct, and ensure that the VPC has an EFS mount target for this file system ID.\nSee \
         https://docs.aws.amazon.com/console/efs/mount-dns-name for more detail."
    )
}

#[async_trait::async_trait]
impl EfsVolumes for EfsCsi {
    async fn gids_in_use(&self, file_system_id: &str) -> Result<Vec<i64>, String> {
        let mut gids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let (points, next) = self
                .efs
                .describe_access_points(&self.caller, None, Some(file_system_id), Some(100), token.as_deref())
                .await
                .map_err(|error| error.to_string())?;
            gids.extend(points.iter().filter_map(|point| point.posix_user.as_ref().map(|user| user.gid)));
            match next {
                Some(next) => token = Some(next),
                None => return Ok(gids),
            }
        }
    }

    async fn create_access_point(&self, request: &AccessPointRequest) -> Result<String, String> {
        let point = self.efs.create_access_point(&self.caller, create_request(request)).await;
        point.map(|point| point.id).map_err(|error| error.to_string())
    }

    async fn delete_access_point(&self, access_point_id: &str) -> Result<(), String> {
        match self.efs.delete_access_point(&self.caller, access_point_id).await {
            Ok(()) | Err(EfsError::AccessPointNotFound(_)) => Ok(()),
            Err(error) => Err(error.to_string()),
        }
    }

    async fn mountable(&self, file_system_id: &str, access_point_id: Option<&str>, zone: &str) -> Result<(), String> {
        let target = self.efs.mount_target_in_zone(&self.caller, file_system_id, zone).await;
        match target {
            Ok(Some(_)) => {}
            Ok(None) | Err(EfsError::FileSystemNotFound(_)) => {
                return Err(unresolved_message(file_system_id, &self.caller.region));
            }
            Err(error) => return Err(error.to_string()),
        }
        if let Some(access_point) = access_point_id {
            let point = self.efs.access_point(&self.caller, access_point).await.map_err(|error| error.to_string())?;
            if point.file_system_id != file_system_id {
                return Err(format!("Access point {access_point} does not belong to file system {file_system_id}"));
            }
        }
        Ok(())
    }
}

/// The EFS CSI node plugin of one cluster: a pod's EFS volumes must be mountable in its node's zone.
pub struct EfsMounts {
    client: kube::Client,
    csi: Arc<EfsCsi>,
}

impl std::fmt::Debug for EfsMounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EfsMounts").field("csi", &self.csi).finish_non_exhaustive()
    }
}

impl EfsMounts {
    pub fn new(client: kube::Client, csi: Arc<EfsCsi>) -> EfsMounts {
        EfsMounts { client, csi }
    }
}

#[async_trait::async_trait]
impl PodVolumes for EfsMounts {
    async fn mount(&self, node: &NodeSpec, namespace: &str, pod_uid: &str, claims: &[String]) -> Result<(), String> {
        let zone = node.labels.get(ZONE_LABEL).map(String::as_str).unwrap_or_default();
        check_mounts(&self.client, self.csi.as_ref(), zone, namespace, pod_uid, claims).await
    }
}

#[cfg(test)]
mod tests;

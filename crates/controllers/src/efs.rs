//! The simulated EFS CSI driver (`efs.csi.aws.com`): what its controller does when a claim of an `efs-ap` class is
//! provisioned (an access point with the driver's tags, POSIX identity and root directory, and a volume whose
//! handle is `fs-...::fsap-...`) and what its node plugin needs to mount a volume (a mount target in the node's
//! zone). Where file systems live is the narrow [`EfsVolumes`] trait, which the binary implements with EFS for
//! clusters EKS runs; this crate knows nothing of AWS.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::ResourceExt;
use kube::api::Api;
use serde_json::json;

/// The EFS CSI driver's name.
pub const EFS_DRIVER: &str = "efs.csi.aws.com";
/// The tag the driver puts on the access points it creates.
pub const DRIVER_TAG: &str = "efs.csi.aws.com/cluster";
/// The first gid of the driver's default range.
pub const DEFAULT_GID_MIN: i64 = 50_000;
/// The last gid of the driver's default range (the first plus the access points a file system may have).
pub const DEFAULT_GID_MAX: i64 = DEFAULT_GID_MIN + 10_000;

/// What the driver asks EFS for when it provisions a claim: `CreateAccessPoint`'s input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPointRequest {
    pub file_system_id: String,
    /// The volume's name (`pvc-<claim uid>`), so a retry finds the access point made.
    pub client_token: String,
    pub uid: i64,
    pub gid: i64,
    /// The root directory: `/<basePath>/<volume name>`.
    pub path: String,
    /// The root directory's permissions (`directoryPerms`), with uid and gid as its owner.
    pub permissions: String,
    pub tags: BTreeMap<String, String>,
}

/// Where a cluster's EFS file systems live. Errors are messages, recorded as events and retried.
#[async_trait::async_trait]
pub trait EfsVolumes: Send + Sync + std::fmt::Debug {
    /// The gids of the POSIX users of a file system's access points, for the driver's gid allocation.
    async fn gids_in_use(&self, file_system_id: &str) -> Result<Vec<i64>, String>;
    /// Creates the access point `request` names, or finds the one an earlier try made; returns its id.
    async fn create_access_point(&self, request: &AccessPointRequest) -> Result<String, String>;
    /// Deletes an access point; one already gone counts as deleted.
    async fn delete_access_point(&self, access_point_id: &str) -> Result<(), String>;
    /// Whether a client in `zone` can mount the file system (through the access point, if any): `Err` holds
    /// what the mount helper prints when it cannot, such as when the file system has no mount target there.
    async fn mountable(&self, file_system_id: &str, access_point_id: Option<&str>, zone: &str) -> Result<(), String>;
}

/// The file system, and access point if any, of an EFS volume handle: `fs-...`, `fs-...:/path`,
/// `fs-...::fsap-...` or `fs-...:/path:fsap-...`.
pub fn parse_volume_handle(handle: &str) -> Option<(String, Option<String>)> {
    let mut parts = handle.split(':');
    let file_system = parts.next().filter(|fs| fs.starts_with("fs-") && fs.len() > 3)?;
    let _subpath = parts.next();
    let access_point = parts.next().filter(|ap| !ap.is_empty());
    if parts.next().is_some() || access_point.is_some_and(|ap| !ap.starts_with("fsap-")) {
        return None;
    }
    Some((file_system.to_owned(), access_point.map(str::to_owned)))
}

/// The access point the driver asks for when it provisions `volume_name` with a class's `parameters`
/// (`provisioningMode: efs-ap`, `fileSystemId`, `directoryPerms`, `basePath`, `gidRangeStart`/`gidRangeEnd`,
/// `uid`, `gid`), the gid being the lowest of the range no access point of the file system uses (when `uid` or
/// `gid` is not given). `Err` is the driver's message.
pub fn access_point_request(
    parameters: &BTreeMap<String, String>,
    volume_name: &str,
    gids_in_use: &[i64],
) -> Result<AccessPointRequest, String> {
    match parameters.get("provisioningMode").map(String::as_str) {
        Some("efs-ap") => {}
        Some(other) => return Err(format!("Provisioning mode {other} is not supported.")),
        None => return Err("Missing provisioningMode parameter".into()),
    }
    let file_system_id = match parameters.get("fileSystemId") {
        Some(id) if !id.trim().is_empty() => id.trim().to_owned(),
        Some(_) => return Err("Parameter fileSystemId cannot be empty".into()),
        None => return Err("Missing fileSystemId parameter".into()),
    };
    let number = |key: &str| -> Result<Option<i64>, String> {
        parameters
            .get(key)
            .map(|value| value.parse::<i64>().map_err(|error| format!("Failed to parse invalid {key}: {error}")))
            .transpose()
    };
    let uid = number("uid")?;
    let gid = number("gid")?;
    for (key, value) in [("uid", uid), ("gid", gid)] {
        if value.is_some_and(|value| value < 0) {
            return Err(format!("{key} must be greater or equal than 0"));
        }
    }
    let (gid_min, gid_max) = match (number("gidRangeStart")?, number("gidRangeEnd")?) {
        (None, None) => (DEFAULT_GID_MIN, DEFAULT_GID_MAX),
        (Some(min), _) if min <= 0 => return Err("gidRangeStart must be greater than 0".into()),
        (Some(min), Some(max)) if max <= min => return Err("gidRangeEnd must be greater than gidRangeStart".into()),
        (Some(min), Some(max)) => (min, max),
        (Some(_), None) => return Err("Missing gidRangeEnd parameter".into()),
        (None, Some(_)) => return Err("Missing gidRangeStart parameter".into()),
    };
    let allocated = if uid.is_none() || gid.is_none() {
        let free = (gid_min..=gid_max).find(|candidate| !gids_in_use.contains(candidate));
        Some(free.ok_or_else(|| {
            format!(
                "Failed to locate a free GID for given the file system: {file_system_id}. Please create a new storage \
                 class with a new file-system"
            )
        })?)
    } else {
        None
    };
    let base = parameters.get("basePath").map(String::as_str).unwrap_or_default();
    let mut components: Vec<&str> = base.split('/').filter(|part| !part.is_empty()).collect();
    components.push(volume_name);
    let path = format!("/{}", components.join("/"));
    Ok(AccessPointRequest {
        file_system_id,
        client_token: volume_name.to_owned(),
        uid: uid.or(allocated).unwrap_or_default(),
        gid: gid.or(allocated).unwrap_or_default(),
        path,
        permissions: parameters.get("directoryPerms").cloned().unwrap_or_else(|| "700".into()),
        tags: BTreeMap::from([(DRIVER_TAG.to_owned(), "true".to_owned())]),
    })
}

/// The volume the driver makes for `claim` of `class`: the access point's handle, the claim's access modes
/// (`ReadWriteMany` included) and size, no node affinity (EFS is regional).
pub fn provisioned_volume(claim: &PersistentVolumeClaim, class: &StorageClass, handle: &str) -> PersistentVolume {
    let uid = claim.uid().unwrap_or_default();
    let spec = claim.spec.clone().unwrap_or_default();
    let size = spec
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"))
        .map_or_else(|| "5Gi".to_owned(), |q| q.0.clone());
    let volume = json!({
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {
            "name": format!("pvc-{uid}"),
            "annotations": {
                "pv.kubernetes.io/provisioned-by": EFS_DRIVER,
                "volume.kubernetes.io/provisioner-deletion-secret-name": "",
                "volume.kubernetes.io/provisioner-deletion-secret-namespace": "",
            },
            "finalizers": [crate::volumes::PV_PROTECTION, crate::volumes::PROVISIONER_FINALIZER],
        },
        "spec": {
            "accessModes": spec.access_modes.unwrap_or_default(),
            "capacity": {"storage": size},
            "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": claim.namespace(),
                         "name": claim.name_any(), "uid": uid, "resourceVersion": claim.resource_version()},
            "persistentVolumeReclaimPolicy": class.reclaim_policy.as_deref().unwrap_or("Delete"),
            "storageClassName": class.name_any(),
            "volumeMode": spec.volume_mode.unwrap_or_else(|| "Filesystem".into()),
            "mountOptions": class.mount_options,
            "csi": {"driver": EFS_DRIVER, "volumeHandle": handle,
                    "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": "ekslite-efs.csi.aws.com"}},
        },
    });
    serde_json::from_value(volume).expect("a valid volume")
}

/// The EFS volume handle of a volume, if the EFS driver serves it.
pub fn volume_handle(volume: &PersistentVolume) -> Option<&str> {
    let csi = volume.spec.as_ref()?.csi.as_ref()?;
    (csi.driver == EFS_DRIVER).then_some(csi.volume_handle.as_str())
}

/// What the node plugin checks before a pod's containers start on a node of `zone`: every EFS volume of the pod's
/// claims (in `namespace`) must be mountable there. `Err` is kubelet's `FailedMount` message for the first that is
/// not. Claims that are missing or unbound, and volumes of other drivers, are left to the rest of the data plane.
pub async fn check_mounts(
    client: &kube::Client,
    efs: &dyn EfsVolumes,
    zone: &str,
    namespace: &str,
    pod_uid: &str,
    claims: &[String],
) -> Result<(), String> {
    let claims_api: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), namespace);
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    for claim in claims {
        let found = claims_api.get_opt(claim).await.map_err(|error| error.to_string())?;
        let Some(volume_name) = found.and_then(|c| c.spec?.volume_name).filter(|name| !name.is_empty()) else {
            continue;
        };
        let Some(volume) = volumes.get_opt(&volume_name).await.map_err(|error| error.to_string())? else { continue };
        let Some(handle) = volume_handle(&volume) else { continue };
        let Some((file_system, access_point)) = parse_volume_handle(handle) else {
            return Err(format!(
                "MountVolume.SetUp failed for volume \"{volume_name}\" : rpc error: code = InvalidArgument desc = \
                 Volume ID '{handle}' is invalid"
            ));
        };
        if let Err(output) = efs.mountable(&file_system, access_point.as_deref(), zone).await {
            let target = format!("/var/lib/kubelet/pods/{pod_uid}/volumes/kubernetes.io~csi/{volume_name}/mount");
            let options = access_point.map_or_else(|| "tls".to_owned(), |ap| format!("accesspoint={ap},tls"));
            return Err(format!(
                "MountVolume.SetUp failed for volume \"{volume_name}\" : rpc error: code = Internal desc = Could not \
                 mount \"{file_system}:/\" at \"{target}\": mount failed: exit status 32\nMounting command: mount\n\
                 Mounting arguments: -t efs -o {options} {file_system}:/ {target}\nOutput: {output}"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;

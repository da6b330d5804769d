//! The narrow view the simulated EBS CSI driver has of where EBS volumes live: [`EbsVolumes`], which the binary
//! implements with EC2 for clusters EKS runs. This crate knows nothing of AWS; it hands over what the driver's
//! `CreateVolume`, `ControllerPublishVolume`, `ControllerUnpublishVolume` and `DeleteVolume` carry.

use std::collections::BTreeMap;

/// What the EBS CSI driver asks for when it provisions a claim.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VolumeRequest {
    /// The volume's name: `pvc-<claim uid>`, the same for every retry, so that a retry finds the volume made.
    pub name: String,
    pub zone: String,
    /// Whole GiB.
    pub size_gib: u64,
    /// The StorageClass's parameters, as the driver reads them (`type`, `iops`, `iopsPerGB`, `throughput`,
    /// `encrypted`, `kmsKeyId`); keys compared without case.
    pub parameters: BTreeMap<String, String>,
    /// The tags the driver puts on the volume.
    pub tags: BTreeMap<String, String>,
}

/// The EBS CSI driver's tag naming the volume (its idempotency key).
pub const VOLUME_NAME_TAG: &str = "CSIVolumeName";
/// The EBS CSI driver's tag marking the volumes it manages.
pub const DRIVER_TAG: &str = "ebs.csi.aws.com/cluster";
/// The tags of the claim and volume a volume was provisioned for (the external provisioner's
/// `--extra-create-metadata`, which the EKS add-on turns on).
pub const CLAIM_NAME_TAG: &str = "kubernetes.io/created-for/pvc/name";
pub const CLAIM_NAMESPACE_TAG: &str = "kubernetes.io/created-for/pvc/namespace";
pub const PV_NAME_TAG: &str = "kubernetes.io/created-for/pv/name";

/// Where a cluster's EBS volumes live. Errors are messages, recorded as events and retried.
#[async_trait::async_trait]
pub trait EbsVolumes: Send + Sync + std::fmt::Debug {
    /// Creates the volume `request` names, or finds the one an earlier try made; returns its id.
    async fn create(&self, request: &VolumeRequest) -> Result<String, String>;
    /// Deletes a volume; one already gone counts as deleted.
    async fn delete(&self, volume_id: &str) -> Result<(), String>;
    /// Attaches a volume to an instance at a device the driver picks; returns the device path. A volume already
    /// attached to that instance keeps its device.
    async fn attach(&self, volume_id: &str, instance_id: &str) -> Result<String, String>;
    /// Detaches a volume from an instance; one not attached there counts as detached.
    async fn detach(&self, volume_id: &str, instance_id: &str) -> Result<(), String>;
    /// Whether the cluster has EKS Auto Mode's block storage capability on now (read from the cluster each time),
    /// which registers Auto Mode's EBS driver.
    async fn auto_mode_block_storage(&self) -> Result<bool, String> {
        Ok(false)
    }
}

/// The tags the driver puts on the volume it provisions for `namespace/claim` as `pv`.
pub fn driver_tags(pv: &str, namespace: &str, claim: &str) -> BTreeMap<String, String> {
    [
        (VOLUME_NAME_TAG, pv),
        (DRIVER_TAG, "true"),
        (CLAIM_NAME_TAG, claim),
        (CLAIM_NAMESPACE_TAG, namespace),
        (PV_NAME_TAG, pv),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect()
}

/// The instance id in a node's `spec.providerID` (`aws:///us-east-1a/i-0123...`): EC2 nodes only.
pub fn instance_of_provider_id(provider_id: &str) -> Option<&str> {
    let id = provider_id.strip_prefix("aws://")?.rsplit('/').next()?;
    id.starts_with("i-").then_some(id)
}

//! The EBS CSI driver's volumes of EKS clusters as EC2 volumes: what `controllers::ebs::EbsVolumes` asks, done in
//! EC2 in the cluster's account and region, as the driver's controller does it through the EC2 API. Built with
//! [`EbsCsi::for_cluster`], it also answers whether the EKS cluster has EKS Auto Mode's block storage on (read from
//! the cluster each time), which registers Auto Mode's driver `ebs.csi.eks.amazonaws.com` beside the add-on's.

use std::collections::BTreeMap;

use aws_model::ec2::{CreateVolume, Ec2, Ec2Error, scopes};
use aws_model::eks::{Caller, Eks};
use controllers::ebs::{EbsVolumes, VolumeRequest};

/// The volume type the driver creates when the StorageClass names none.
const DEFAULT_TYPE: &str = "gp3";

/// One EKS cluster's EBS volumes in EC2.
#[derive(Debug)]
pub struct EbsCsi {
    caller: Caller,
    ec2: Ec2,
    /// EKS and the EKS cluster's name, where Auto Mode's block storage setting is read.
    cluster: Option<(Eks, String)>,
}

impl EbsCsi {
    /// The volumes of a cluster owned by `caller`'s account and region.
    pub fn new(caller: Caller, ec2: Ec2) -> EbsCsi {
        EbsCsi { caller, ec2, cluster: None }
    }

    /// The volumes of the Kubernetes cluster `kubernetes_name` (`<name>.<region>.<account>`) of an EKS cluster,
    /// which also follow its Auto Mode block storage setting; `None` for a name EKS did not give.
    pub fn for_cluster(kubernetes_name: &str, eks: Eks, ec2: Ec2) -> Option<EbsCsi> {
        let (caller, name) = aws_model::eks::kubernetes_owner(kubernetes_name)?;
        let name = name.to_owned();
        Some(EbsCsi { caller, ec2, cluster: Some((eks, name)) })
    }
}

/// What CreateVolume gets for a driver request: the class's `type` (gp3 by default), `iops` or `iopsPerGB`,
/// `throughput`, `encrypted` and `kmsKeyId` (keys without case, as the driver reads them), the driver's tags,
/// and the volume's name as the client token, so that a retried provisioning finds the volume it made.
pub fn create_request(request: &VolumeRequest) -> Result<CreateVolume, String> {
    let parameters: BTreeMap<String, &str> =
        request.parameters.iter().map(|(key, value)| (key.to_ascii_lowercase(), value.as_str())).collect();
    let number = |key: &str| -> Result<Option<i64>, String> {
        parameters
            .get(key)
            .map(|value| value.parse::<i64>().map_err(|_| format!("could not parse {key}: {value:?}")))
            .transpose()
    };
    let size = i64::try_from(request.size_gib).map_err(|_| "the requested size is too large".to_owned())?;
    let iops = match (number("iops")?, number("iopspergb")?) {
        (Some(iops), _) => Some(iops),
        (None, Some(per_gib)) => Some(per_gib.saturating_mul(size)),
        (None, None) => None,
    };
    let encrypted = match parameters.get("encrypted") {
        None => None,
        Some(value) => Some(value.parse::<bool>().map_err(|_| format!("could not parse encrypted: {value:?}"))?),
    };
    Ok(CreateVolume {
        availability_zone: Some(request.zone.clone()),
        size: Some(size),
        snapshot_id: None,
        volume_type: Some(parameters.get("type").copied().unwrap_or(DEFAULT_TYPE).to_ascii_lowercase()),
        iops,
        throughput: number("throughput")?,
        encrypted,
        kms_key_id: parameters.get("kmskeyid").map(|key| (*key).to_owned()),
        client_token: Some(request.name.clone()),
        tags: request.tags.clone(),
    })
}

#[async_trait::async_trait]
impl EbsVolumes for EbsCsi {
    async fn auto_mode_block_storage(&self) -> Result<bool, String> {
        let Some((eks, name)) = &self.cluster else { return Ok(false) };
        let cluster = eks.describe_cluster(&self.caller, name).await.map_err(|e| e.to_string())?;
        Ok(cluster.auto_mode_block_storage())
    }

    async fn create(&self, request: &VolumeRequest) -> Result<String, String> {
        let input = create_request(request)?;
        let now = self.ec2.now();
        let scope = scopes::create_volume(None, true);
        let volume = self
            .ec2
            .change(&self.caller, &scope, |network, ids| network.create_volume(ids, &input, now))
            .await
            .map_err(|error| error.to_string())?;
        Ok(volume.id)
    }

    async fn delete(&self, volume_id: &str) -> Result<(), String> {
        let result = self
            .ec2
            .change(&self.caller, &scopes::volume(volume_id), |network, _| network.delete_volume(volume_id))
            .await;
        match result {
            Ok(()) | Err(Ec2Error::VolumeNotFound(_)) => Ok(()),
            Err(error) => Err(error.to_string()),
        }
    }

    async fn attach(&self, volume_id: &str, instance_id: &str) -> Result<String, String> {
        let now = self.ec2.now();
        self.ec2
            .change_widening(
                &self.caller,
                &scopes::attach_volume(volume_id, instance_id),
                |network| scopes::volumes_of_instance(network, instance_id),
                |network, _| {
                    let attachment = network.volume(volume_id)?.attachment.clone();
                    if let Some(attachment) = attachment.filter(|a| a.instance_id == instance_id) {
                        return Ok(attachment.device);
                    }
                    network.check_instance_ids(&[instance_id.to_owned()])?;
                    let device = network.next_device(&network.instances[instance_id]).ok_or_else(|| {
                        Ec2Error::AttachmentLimitExceeded(format!("no device name is free on {instance_id}"))
                    })?;
                    network.attach_volume(volume_id, instance_id, &device, now).map(|a| a.device)
                },
            )
            .await
            .map_err(|error| error.to_string())
    }

    async fn detach(&self, volume_id: &str, instance_id: &str) -> Result<(), String> {
        let result = self
            .ec2
            .change_widening(&self.caller, &scopes::volume(volume_id), scopes::volume_instance, |network, _| {
                let attached_here =
                    network.volume(volume_id)?.attachment.as_ref().is_some_and(|a| a.instance_id == instance_id);
                if attached_here {
                    network.detach_volume(volume_id, Some(instance_id), None)?;
                }
                Ok(())
            })
            .await;
        match result {
            Ok(()) | Err(Ec2Error::VolumeNotFound(_)) => Ok(()),
            Err(error) => Err(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests;

//! EBS volumes and snapshots over a [`Network`]: each volume its own record (`ec2/volume/<id>`, its one
//! attachment and its last modification inside), each snapshot its own record (`ec2/snapshot/<id>`).
//! CreateVolume, DeleteVolume, AttachVolume, DetachVolume, ModifyVolume, DescribeVolumes,
//! DescribeVolumesModifications, CreateSnapshot, DeleteSnapshot and DescribeSnapshots, with EC2's size, IOPS and
//! throughput rules per volume type and its errors.
//!
//! States move at once: a volume is `available` as soon as CreateVolume answers (its reply says `creating`, as
//! EC2's does), `in-use` as soon as AttachVolume answers (`attaching` in the reply) and `available` again when
//! DetachVolume answers (`detaching`); a modification is `completed` and a snapshot `completed` (100%) once made.
//! An instance lists the volumes attached to it, so that terminating it reads them by id: it detaches them, and
//! deletes those attached with `DeleteOnTermination`.

use serde::{Deserialize, Serialize};

use super::network::{check_filters, passes};
use super::{Ec2Error, Filter, IdSource, Instance, Network, Tags};

/// The volume types EC2 offers, in the order its messages list them.
pub const VOLUME_TYPES: [&str; 7] = ["standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"];
/// The type of a volume created without one.
pub const DEFAULT_VOLUME_TYPE: &str = "gp2";
/// The most EBS volumes attached to one instance besides its root volume.
pub const ATTACHMENTS_MAX: usize = 27;
/// The device name of an instance's root volume, which no attachment may take.
pub const ROOT_DEVICE: &str = "/dev/xvda";

/// A volume's attachment to an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeAttachment {
    pub instance_id: String,
    /// `/dev/sdf`, `/dev/xvdaa`, ...
    pub device: String,
    /// Unix seconds.
    pub attached_at: f64,
    pub delete_on_termination: bool,
}

/// What a volume was and became in its last modification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeModification {
    pub original: VolumeShape,
    pub target: VolumeShape,
    /// Unix seconds.
    pub started_at: f64,
}

/// A volume's size and performance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeShape {
    /// GiB.
    pub size: u32,
    pub volume_type: String,
    /// Provisioned (io1, io2, gp3) or baseline (gp2) IOPS; none for st1, sc1 and standard.
    pub iops: Option<u32>,
    /// MiB/s, gp3 only.
    pub throughput: Option<u32>,
}

/// An EBS volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    pub id: String,
    pub availability_zone: String,
    #[serde(flatten)]
    pub shape: VolumeShape,
    /// The snapshot it was created from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    pub encrypted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Unix seconds.
    pub created_at: f64,
    /// The idempotency token it was created with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<VolumeAttachment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modification: Option<VolumeModification>,
}

impl Volume {
    /// `in-use` while attached, else `available`.
    pub fn state(&self) -> &'static str {
        if self.attachment.is_some() { "in-use" } else { "available" }
    }
}

/// An EBS snapshot, owned by the account that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub id: String,
    pub volume_id: String,
    /// GiB.
    pub volume_size: u32,
    pub description: String,
    pub encrypted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Unix seconds.
    pub started_at: f64,
}

/// What CreateVolume asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateVolume {
    pub availability_zone: Option<String>,
    pub size: Option<i64>,
    pub snapshot_id: Option<String>,
    pub volume_type: Option<String>,
    pub iops: Option<i64>,
    pub throughput: Option<i64>,
    pub encrypted: Option<bool>,
    pub kms_key_id: Option<String>,
    pub client_token: Option<String>,
    pub tags: Tags,
}

/// What ModifyVolume asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModifyVolume {
    pub size: Option<i64>,
    pub volume_type: Option<String>,
    pub iops: Option<i64>,
    pub throughput: Option<i64>,
}

/// The sizes (GiB), IOPS and throughput a volume type allows.
struct TypeLimits {
    size: (u32, u32),
    /// The IOPS range and the most IOPS per GiB, for types whose IOPS are provisioned.
    iops: Option<((u32, u32), u32)>,
}

fn limits(volume_type: &str) -> TypeLimits {
    match volume_type {
        "gp3" => TypeLimits { size: (1, 65_536), iops: Some(((3000, 80_000), 500)) },
        "io1" => TypeLimits { size: (4, 16_384), iops: Some(((100, 64_000), 50)) },
        "io2" => TypeLimits { size: (4, 65_536), iops: Some(((100, 256_000), 1000)) },
        "st1" | "sc1" => TypeLimits { size: (125, 16_384), iops: None },
        "standard" => TypeLimits { size: (1, 1024), iops: None },
        _ => TypeLimits { size: (1, 16_384), iops: None },
    }
}

/// gp3's baseline IOPS and throughput, and its limits on throughput (MiB/s, and per provisioned IOPS).
const GP3_IOPS: u32 = 3000;
const GP3_THROUGHPUT: u32 = 125;
const GP3_THROUGHPUT_MAX: u32 = 2000;
const GP3_THROUGHPUT_PER_IOPS: f64 = 0.25;

/// gp2's IOPS: 3 per GiB, between 100 and 16,000.
fn gp2_iops(size: u32) -> u32 {
    size.saturating_mul(3).clamp(100, 16_000)
}

fn invalid(message: String) -> Ec2Error {
    Ec2Error::InvalidParameterValue(message)
}

/// A whole number of a request in `u32` range, or EC2's refusal naming the parameter.
fn whole(value: i64, parameter: &str) -> Result<u32, Ec2Error> {
    u32::try_from(value).map_err(|_| invalid(format!("Value ({value}) for parameter {parameter} is invalid.")))
}

/// Checks a volume type's name.
pub(super) fn check_type(volume_type: &str) -> Result<(), Ec2Error> {
    if VOLUME_TYPES.contains(&volume_type) {
        return Ok(());
    }
    Err(invalid(format!(
        "Value ({volume_type}) for parameter volumeType is invalid. Allowed values are [{}]",
        VOLUME_TYPES.join(", ")
    )))
}

/// The shape a volume of `volume_type` and `size` GiB gets with the IOPS and throughput asked for (or kept from
/// `keep`, a modified volume's), with EC2's rules: sizes per type, IOPS only and always for provisioned types
/// within their range and per-GiB ratio, throughput only for gp3.
pub(super) fn shape(
    volume_type: &str,
    size: u32,
    iops: Option<u32>,
    throughput: Option<u32>,
    keep: Option<&VolumeShape>,
) -> Result<VolumeShape, Ec2Error> {
    check_type(volume_type)?;
    let limits = limits(volume_type);
    if size < limits.size.0 {
        return Err(invalid(format!(
            "Volume of {size}GiB is too small for volume type {volume_type}; minimum is {}GiB",
            limits.size.0
        )));
    }
    if size > limits.size.1 {
        return Err(invalid(format!(
            "Volume of {size}GiB is too large for volume type {volume_type}; maximum is {}GiB",
            limits.size.1
        )));
    }
    if throughput.is_some() && volume_type != "gp3" {
        return Err(Ec2Error::InvalidParameterCombination(
            "throughput can only be specified for volumeType gp3.".into(),
        ));
    }
    let same_type = keep.filter(|kept| kept.volume_type == volume_type);
    let Some(((low, high), per_gib)) = limits.iops else {
        if iops.is_some() {
            return Err(Ec2Error::InvalidParameterCombination(format!(
                "The parameter iops is not supported for {volume_type} volumes."
            )));
        }
        let iops = (volume_type == "gp2").then(|| gp2_iops(size));
        return Ok(VolumeShape { size, volume_type: volume_type.to_owned(), iops, throughput: None });
    };
    let iops = match iops.or_else(|| same_type.and_then(|kept| kept.iops)) {
        Some(iops) => iops,
        None if volume_type == "gp3" => GP3_IOPS,
        None => {
            return Err(Ec2Error::MissingParameter(format!(
                "The parameter iops must be specified for {volume_type} volumes."
            )));
        }
    };
    if iops < low {
        return Err(invalid(format!("Volume iops of {iops} is too low; minimum is {low}.")));
    }
    if iops > high {
        return Err(invalid(format!("Volume iops of {iops} is too high; maximum is {high}.")));
    }
    // gp3's baseline IOPS hold at any size; above it, and for io1 and io2, IOPS are bounded per GiB.
    let floor = if volume_type == "gp3" { GP3_IOPS } else { 0 };
    if iops > floor && f64::from(iops) / f64::from(size) > f64::from(per_gib) {
        return Err(invalid(format!(
            "Iops to volume size ratio of {:.6} is too high; maximum is {per_gib}.000000",
            f64::from(iops) / f64::from(size)
        )));
    }
    let throughput = if volume_type == "gp3" {
        let throughput = throughput.or_else(|| same_type.and_then(|kept| kept.throughput)).unwrap_or(GP3_THROUGHPUT);
        if throughput < GP3_THROUGHPUT {
            return Err(invalid(format!(
                "Throughput of {throughput} MiB/s is too low; minimum is {GP3_THROUGHPUT} MiB/s."
            )));
        }
        if throughput > GP3_THROUGHPUT_MAX {
            return Err(invalid(format!(
                "Throughput of {throughput} MiB/s is too high; maximum is {GP3_THROUGHPUT_MAX} MiB/s."
            )));
        }
        let ratio = f64::from(throughput) / f64::from(iops);
        if throughput > GP3_THROUGHPUT && ratio > GP3_THROUGHPUT_PER_IOPS {
            return Err(invalid(format!(
                "Throughput (MiBps) to iops ratio of {ratio:.6} is too high; maximum is {GP3_THROUGHPUT_PER_IOPS:.6} \
                 MiBps per iops."
            )));
        }
        Some(throughput)
    } else {
        None
    };
    Ok(VolumeShape { size, volume_type: volume_type.to_owned(), iops: Some(iops), throughput })
}

/// Whether `id` has the shape of `<prefix>-` and 8 or 17 lowercase hex digits.
fn is_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('-')).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Whether `id` looks like a volume id.
pub fn is_volume_id(id: &str) -> bool {
    is_id(id, "vol")
}

/// Whether `id` looks like a snapshot id.
pub fn is_snapshot_id(id: &str) -> bool {
    is_id(id, "snap")
}

/// Whether `device` is a device name EC2 attaches EBS volumes at: `/dev/sd`, `/dev/xvd` or `/dev/hd` and one or
/// two letters (and, for `sd`, an optional partition number).
pub fn is_device_name(device: &str) -> bool {
    let Some(rest) = device.strip_prefix("/dev/") else { return false };
    let letters = ["xvd", "sd", "hd"].iter().find_map(|prefix| rest.strip_prefix(prefix));
    let Some(letters) = letters else { return false };
    let name: String = letters.chars().take_while(char::is_ascii_lowercase).collect();
    let digits = &letters[name.len()..];
    (1..=2).contains(&name.len()) && digits.len() <= 2 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The filters DescribeVolumes takes, besides the tag filters.
const VOLUME_FILTERS: &[&str] = &[
    "volume-id",
    "status",
    "availability-zone",
    "size",
    "volume-type",
    "snapshot-id",
    "encrypted",
    "multi-attach-enabled",
    "attachment.instance-id",
    "attachment.status",
    "attachment.device",
    "attachment.delete-on-termination",
];

/// The filters DescribeVolumesModifications takes.
const MODIFICATION_FILTERS: &[&str] = &[
    "volume-id",
    "modification-state",
    "target-size",
    "target-iops",
    "target-volume-type",
    "target-throughput",
    "original-size",
    "original-iops",
    "original-volume-type",
    "original-throughput",
];

/// The filters DescribeSnapshots takes, besides the tag filters.
const SNAPSHOT_FILTERS: &[&str] =
    &["snapshot-id", "volume-id", "status", "owner-id", "description", "volume-size", "encrypted", "progress"];

impl Network {
    /// A volume by id, with EC2's errors for malformed and unknown ids.
    pub fn volume(&self, id: &str) -> Result<&Volume, Ec2Error> {
        if !is_volume_id(id) {
            return Err(Ec2Error::VolumeIdMalformed(id.to_owned()));
        }
        self.volumes.get(id).ok_or_else(|| Ec2Error::VolumeNotFound(id.to_owned()))
    }

    /// A snapshot by id, with EC2's errors for malformed and unknown ids.
    pub fn snapshot(&self, id: &str) -> Result<&Snapshot, Ec2Error> {
        if !is_snapshot_id(id) {
            return Err(Ec2Error::SnapshotIdMalformed(id.to_owned()));
        }
        self.snapshots.get(id).ok_or_else(|| Ec2Error::SnapshotNotFound(id.to_owned()))
    }

    /// The key of the KMS key EBS encrypts with when none is named: the account's `aws/ebs` key.
    fn default_ebs_key(&self) -> String {
        format!("arn:aws:kms:{}:{}:alias/aws/ebs", self.region, self.account)
    }

    /// CreateVolume: in a zone of the region, of a size and/or from a snapshot (at least its size), gp2 unless a
    /// type is named, with the type's IOPS and throughput rules; encrypted with the `aws/ebs` key unless one is
    /// named (a key needs `Encrypted`), a snapshot's encryption kept. With a client token, the volume made with
    /// that token is returned again. The change reads the snapshot by id, and every volume when a token is given
    /// (a token never changes).
    pub fn create_volume(&mut self, ids: &mut IdSource, input: &CreateVolume, now: f64) -> Result<Volume, Ec2Error> {
        if let Some(token) = &input.client_token {
            if token.len() > 64 || token.chars().any(char::is_control) {
                return Err(invalid(format!("Value ({token}) for parameter clientToken is invalid.")));
            }
            if let Some(made) = self.volumes.values().find(|volume| volume.client_token.as_ref() == Some(token)) {
                return Ok(made.clone());
            }
        }
        let zone = input
            .availability_zone
            .as_deref()
            .ok_or_else(|| Ec2Error::MissingParameter("The request must contain the parameter zone".into()))?;
        if !super::zones::zones(&self.region).iter().any(|known| known.name == zone) {
            return Err(Ec2Error::ZoneNotFound(zone.to_owned()));
        }
        let snapshot = match input.snapshot_id.as_deref() {
            Some(id) => Some(self.snapshot(id)?.clone()),
            None => None,
        };
        let size = match (input.size, &snapshot) {
            (Some(size), _) => whole(size, "size")?,
            (None, Some(snapshot)) => snapshot.volume_size,
            (None, None) => {
                return Err(Ec2Error::MissingParameter(
                    "The request must contain the parameter size or snapshotId".into(),
                ));
            }
        };
        if let Some(snapshot) = snapshot.as_ref().filter(|snapshot| size < snapshot.volume_size) {
            return Err(invalid(format!(
                "Volume of {size}GiB is too small; minimum is {}GiB for snapshot {}",
                snapshot.volume_size, snapshot.id
            )));
        }
        let volume_type = input.volume_type.as_deref().unwrap_or(DEFAULT_VOLUME_TYPE);
        let iops = input.iops.map(|iops| whole(iops, "iops")).transpose()?;
        let throughput = input.throughput.map(|throughput| whole(throughput, "throughput")).transpose()?;
        let shape = shape(volume_type, size, iops, throughput, None)?;
        if input.kms_key_id.is_some()
            && input.encrypted != Some(true)
            && !snapshot.as_ref().is_some_and(|s| s.encrypted)
        {
            return Err(Ec2Error::InvalidParameterDependency(
                "The parameter KmsKeyId requires the parameter Encrypted to be set.".into(),
            ));
        }
        if let Some(key) = input.kms_key_id.as_deref().filter(|key| key.is_empty() || key.chars().any(char::is_control))
        {
            return Err(invalid(format!("Value ({key}) for parameter kmsKeyId is invalid.")));
        }
        super::check_tags(&input.tags)?;
        let encrypted = input.encrypted == Some(true) || snapshot.as_ref().is_some_and(|s| s.encrypted);
        let kms_key_id = match (&input.kms_key_id, &snapshot) {
            _ if !encrypted => None,
            (Some(key), _) => Some(key.clone()),
            (None, Some(snapshot)) if snapshot.kms_key_id.is_some() => snapshot.kms_key_id.clone(),
            (None, _) => Some(self.default_ebs_key()),
        };
        let volume = Volume {
            id: ids.id("vol"),
            availability_zone: zone.to_owned(),
            shape,
            snapshot_id: snapshot.map(|snapshot| snapshot.id),
            encrypted,
            kms_key_id,
            created_at: now,
            client_token: input.client_token.clone(),
            attachment: None,
            modification: None,
        };
        self.volumes.insert(volume.id.clone(), volume.clone());
        self.tag(&volume.id, &input.tags);
        Ok(volume)
    }

    /// DeleteVolume: not while attached. The change reads the volume.
    pub fn delete_volume(&mut self, id: &str) -> Result<(), Ec2Error> {
        let volume = self.volume(id)?;
        if let Some(attachment) = &volume.attachment {
            return Err(Ec2Error::VolumeInUse(format!(
                "Volume {id} is currently attached to {}",
                attachment.instance_id
            )));
        }
        self.volumes.remove(id);
        self.untag(id);
        Ok(())
    }

    /// The volumes attached to an instance, as loaded.
    pub fn instance_volumes(&self, instance: &Instance) -> Vec<&Volume> {
        instance.volumes.iter().filter_map(|id| self.volumes.get(id)).collect()
    }

    /// The first device name the EBS CSI driver would give a new attachment of `instance`: `/dev/xvdaa`,
    /// `/dev/xvdab`, ... skipping those its volumes use.
    pub fn next_device(&self, instance: &Instance) -> Option<String> {
        let used: Vec<&str> = self
            .instance_volumes(instance)
            .iter()
            .filter_map(|v| v.attachment.as_ref())
            .map(|a| a.device.as_str())
            .collect();
        let letters = 'a'..='z';
        letters
            .clone()
            .flat_map(|first| letters.clone().map(move |second| format!("/dev/xvd{first}{second}")))
            .find(|device| !used.contains(&device.as_str()))
    }

    /// AttachVolume: an `available` volume to a live instance of its zone, at a device name the instance does not
    /// use (nor its root volume's), at most [`ATTACHMENTS_MAX`] a instance. The change reads the volume, the
    /// instance, and (widened) the instance's volumes.
    pub fn attach_volume(
        &mut self,
        volume_id: &str,
        instance_id: &str,
        device: &str,
        now: f64,
    ) -> Result<VolumeAttachment, Ec2Error> {
        let volume = self.volume(volume_id)?.clone();
        self.check_instance_ids(&[instance_id.to_owned()])?;
        let instance = self.instances[instance_id].clone();
        if !is_device_name(device) {
            return Err(invalid(format!(
                "Value ({device}) for parameter device is invalid. {device} is not a valid EBS device name."
            )));
        }
        if let Some(attachment) = &volume.attachment {
            if attachment.instance_id == instance_id {
                return Err(Ec2Error::VolumeInUse(format!("{volume_id} is already attached to {instance_id}")));
            }
            return Err(Ec2Error::VolumeInUse(format!("{volume_id} is already attached to an instance")));
        }
        if !instance.is_live() {
            return Err(Ec2Error::IncorrectInstanceState(format!(
                "Instance '{instance_id}' is not 'running' or 'stopped'."
            )));
        }
        if volume.availability_zone != instance.availability_zone {
            return Err(Ec2Error::VolumeZoneMismatch {
                volume: volume_id.to_owned(),
                instance: instance_id.to_owned(),
            });
        }
        let attached = self.instance_volumes(&instance);
        if device == ROOT_DEVICE || attached.iter().any(|v| v.attachment.as_ref().is_some_and(|a| a.device == device)) {
            return Err(invalid(format!(
                "Invalid value '{device}' for unixDevice. Attachment point {device} is already in use"
            )));
        }
        if attached.len() >= ATTACHMENTS_MAX {
            return Err(Ec2Error::AttachmentLimitExceeded(format!(
                "Instance '{instance_id}' has reached its limit of {ATTACHMENTS_MAX} attached volumes."
            )));
        }
        let attachment = VolumeAttachment {
            instance_id: instance_id.to_owned(),
            device: device.to_owned(),
            attached_at: now,
            delete_on_termination: false,
        };
        self.volumes.get_mut(volume_id).expect("checked above").attachment = Some(attachment.clone());
        self.instances.get_mut(instance_id).expect("checked above").volumes.push(volume_id.to_owned());
        Ok(attachment)
    }

    /// DetachVolume: an attached volume, from the instance and device named if they are. Returns the attachment
    /// it had. The change reads the volume, then (widened) its instance.
    pub fn detach_volume(
        &mut self,
        volume_id: &str,
        instance_id: Option<&str>,
        device: Option<&str>,
    ) -> Result<VolumeAttachment, Ec2Error> {
        let volume = self.volume(volume_id)?;
        let Some(attachment) = volume.attachment.clone() else {
            return Err(Ec2Error::IncorrectState(format!("Volume '{volume_id}' is in the 'available' state.")));
        };
        if let Some(instance_id) = instance_id {
            if !super::instances::is_instance_id(instance_id) {
                return Err(Ec2Error::InstanceIdMalformed(instance_id.to_owned()));
            }
            if instance_id != attachment.instance_id {
                return Err(Ec2Error::VolumeAttachmentNotFound(format!(
                    "Volume '{volume_id}' can not be detached from instance '{instance_id}' as it is not attached to it."
                )));
            }
        }
        if let Some(device) = device.filter(|device| *device != attachment.device) {
            return Err(Ec2Error::VolumeAttachmentNotFound(format!(
                "Volume '{volume_id}' is not attached to device '{device}'."
            )));
        }
        self.volumes.get_mut(volume_id).expect("checked above").attachment = None;
        if let Some(instance) = self.instances.get_mut(&attachment.instance_id) {
            instance.volumes.retain(|id| id != volume_id);
        }
        Ok(attachment)
    }

    /// ModifyVolume: a larger size, another type, other IOPS or throughput, with the rules of the type it ends
    /// up as; completed at once. The change reads the volume.
    pub fn modify_volume(&mut self, id: &str, input: &ModifyVolume, now: f64) -> Result<VolumeModification, Ec2Error> {
        let volume = self.volume(id)?.clone();
        if input == &ModifyVolume::default() {
            return Err(Ec2Error::MissingParameter(
                "The request must contain at least one of the parameters size, volumeType, iops or throughput".into(),
            ));
        }
        let size = input.size.map(|size| whole(size, "size")).transpose()?.unwrap_or(volume.shape.size);
        if size < volume.shape.size {
            return Err(invalid(format!(
                "New size cannot be smaller than existing size. Existing size: {}GiB, requested size: {size}GiB",
                volume.shape.size
            )));
        }
        let volume_type = input.volume_type.clone().unwrap_or_else(|| volume.shape.volume_type.clone());
        let iops = input.iops.map(|iops| whole(iops, "iops")).transpose()?;
        let throughput = input.throughput.map(|throughput| whole(throughput, "throughput")).transpose()?;
        let target = shape(&volume_type, size, iops, throughput, Some(&volume.shape))?;
        if target == volume.shape {
            return Err(invalid(format!(
                "Modification of volume {id} is not needed: it already has the size, type, iops and throughput asked for."
            )));
        }
        let modification =
            VolumeModification { original: volume.shape.clone(), target: target.clone(), started_at: now };
        let stored = self.volumes.get_mut(id).expect("checked above");
        stored.shape = target;
        stored.modification = Some(modification.clone());
        Ok(modification)
    }

    /// DescribeVolumes: the volumes asked for (all when none is named) that pass the filters, in id order.
    pub fn describe_volumes(&self, ids: &[String], filters: &[Filter]) -> Result<Vec<&Volume>, Ec2Error> {
        check_filters(filters, VOLUME_FILTERS)?;
        for id in ids {
            self.volume(id)?;
        }
        let one = |value: &str| vec![value.to_owned()];
        Ok(self
            .volumes
            .values()
            .filter(|volume| ids.is_empty() || ids.contains(&volume.id))
            .filter(|volume| {
                let attachment = volume.attachment.as_ref();
                passes(filters, self.tags.get(&volume.id), |name| match name {
                    "volume-id" => one(&volume.id),
                    "status" => one(volume.state()),
                    "availability-zone" => one(&volume.availability_zone),
                    "size" => vec![volume.shape.size.to_string()],
                    "volume-type" => one(&volume.shape.volume_type),
                    "snapshot-id" => volume.snapshot_id.iter().cloned().collect(),
                    "encrypted" => vec![volume.encrypted.to_string()],
                    "multi-attach-enabled" => one("false"),
                    "attachment.instance-id" => attachment.map(|a| a.instance_id.clone()).into_iter().collect(),
                    "attachment.status" => attachment.map(|_| "attached".to_owned()).into_iter().collect(),
                    "attachment.device" => attachment.map(|a| a.device.clone()).into_iter().collect(),
                    "attachment.delete-on-termination" => {
                        attachment.map(|a| a.delete_on_termination.to_string()).into_iter().collect()
                    }
                    _ => Vec::new(),
                })
            })
            .collect())
    }

    /// DescribeVolumesModifications: the last modification of each volume asked for (all modified volumes when
    /// none is named) that passes the filters; a volume named that was never modified is refused.
    pub fn describe_volume_modifications(
        &self,
        ids: &[String],
        filters: &[Filter],
    ) -> Result<Vec<(&Volume, &VolumeModification)>, Ec2Error> {
        for filter in filters {
            if !MODIFICATION_FILTERS.contains(&filter.name.as_str()) {
                return Err(Ec2Error::InvalidFilter(filter.name.clone()));
            }
        }
        for id in ids {
            if self.volume(id)?.modification.is_none() {
                return Err(Ec2Error::ModificationNotFound(id.clone()));
            }
        }
        let number = |value: Option<u32>| value.map(|n| n.to_string()).into_iter().collect::<Vec<_>>();
        Ok(self
            .volumes
            .values()
            .filter(|volume| ids.is_empty() || ids.contains(&volume.id))
            .filter_map(|volume| Some((volume, volume.modification.as_ref()?)))
            .filter(|(volume, modification)| {
                let (original, target) = (&modification.original, &modification.target);
                passes(filters, None, |name| match name {
                    "volume-id" => vec![volume.id.clone()],
                    "modification-state" => vec!["completed".to_owned()],
                    "target-size" => vec![target.size.to_string()],
                    "target-iops" => number(target.iops),
                    "target-volume-type" => vec![target.volume_type.clone()],
                    "target-throughput" => number(target.throughput),
                    "original-size" => vec![original.size.to_string()],
                    "original-iops" => number(original.iops),
                    "original-volume-type" => vec![original.volume_type.clone()],
                    "original-throughput" => number(original.throughput),
                    _ => Vec::new(),
                })
            })
            .collect())
    }

    /// CreateSnapshot: of a volume, with a description of at most 255 characters; completed at once. The change
    /// reads the volume.
    pub fn create_snapshot(
        &mut self,
        ids: &mut IdSource,
        volume_id: &str,
        description: Option<&str>,
        tags: &Tags,
        now: f64,
    ) -> Result<Snapshot, Ec2Error> {
        let volume = self.volume(volume_id)?.clone();
        let description = description.unwrap_or_default();
        super::interfaces::check_description(description)?;
        super::check_tags(tags)?;
        let snapshot = Snapshot {
            id: ids.id("snap"),
            volume_id: volume.id,
            volume_size: volume.shape.size,
            description: description.to_owned(),
            encrypted: volume.encrypted,
            kms_key_id: volume.kms_key_id,
            started_at: now,
        };
        self.snapshots.insert(snapshot.id.clone(), snapshot.clone());
        self.tag(&snapshot.id, tags);
        Ok(snapshot)
    }

    /// DeleteSnapshot. The change reads the snapshot.
    pub fn delete_snapshot(&mut self, id: &str) -> Result<(), Ec2Error> {
        self.snapshot(id)?;
        self.snapshots.remove(id);
        self.untag(id);
        Ok(())
    }

    /// DescribeSnapshots: the snapshots asked for (all of the account's when none is named) owned by one of
    /// `owners` (`self` or the account's id; any when none is named) that pass the filters, in id order.
    pub fn describe_snapshots(
        &self,
        ids: &[String],
        owners: &[String],
        filters: &[Filter],
    ) -> Result<Vec<&Snapshot>, Ec2Error> {
        check_filters(filters, SNAPSHOT_FILTERS)?;
        for id in ids {
            self.snapshot(id)?;
        }
        let mine = owners.is_empty() || owners.iter().any(|owner| owner == "self" || *owner == self.account);
        if !mine {
            return Ok(Vec::new());
        }
        let one = |value: &str| vec![value.to_owned()];
        Ok(self
            .snapshots
            .values()
            .filter(|snapshot| ids.is_empty() || ids.contains(&snapshot.id))
            .filter(|snapshot| {
                passes(filters, self.tags.get(&snapshot.id), |name| match name {
                    "snapshot-id" => one(&snapshot.id),
                    "volume-id" => one(&snapshot.volume_id),
                    "status" => one("completed"),
                    "owner-id" => one(&self.account),
                    "description" => one(&snapshot.description),
                    "volume-size" => vec![snapshot.volume_size.to_string()],
                    "encrypted" => vec![snapshot.encrypted.to_string()],
                    "progress" => one("100%"),
                    _ => Vec::new(),
                })
            })
            .collect())
    }

    /// What terminating an instance does to its volumes: those attached with `DeleteOnTermination` are deleted,
    /// the others detached.
    pub(crate) fn release_instance_volumes(&mut self, instance_id: &str) {
        let Some(instance) = self.instances.get_mut(instance_id) else { return };
        for id in std::mem::take(&mut instance.volumes) {
            let Some(volume) = self.volumes.get_mut(&id) else { continue };
            if volume.attachment.as_ref().is_some_and(|a| a.delete_on_termination) {
                self.volumes.remove(&id);
                self.untag(&id);
            } else {
                volume.attachment = None;
            }
        }
    }
}

#[cfg(test)]
mod tests;

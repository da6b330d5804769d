//! EBS volumes and snapshots over the `ec2` protocol: CreateVolume, DescribeVolumes (filters, `VolumeId.N`,
//! paging), DeleteVolume, AttachVolume, DetachVolume, ModifyVolume, DescribeVolumesModifications, CreateSnapshot,
//! DescribeSnapshots and DeleteSnapshot. The rules are `aws_model::ec2::volumes`'.

use aws_model::ec2::volumes::VolumeShape;
use aws_model::ec2::{
    CreateVolume, ModifyVolume, Network, Snapshot, Volume, VolumeAttachment, VolumeModification, scopes,
};
use aws_protocol::AwsError;
use aws_protocol::xml::XmlWriter;

use super::instances::synced;
use super::paging::page;
use super::{Input, bad_params, returns_true, start, tag_set, timestamp};
use crate::registry::{Outcome, wire};
use crate::{AwsApi, Call};

/// `MaxResults` with ids refused, as EC2 refuses it for its paged Describe calls.
fn max_results(input: &Input<'_>, ids: &[String], ids_name: &str) -> Result<Option<i64>, AwsError> {
    let max = input.params.int("MaxResults").map_err(bad_params)?;
    if max.is_some() && !ids.is_empty() {
        return Err(AwsError::bad_request(
            "InvalidParameterCombination",
            format!("The parameter {ids_name} cannot be used with the parameter maxResults"),
        ));
    }
    Ok(max)
}

pub(super) async fn create_volume(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let request = CreateVolume {
        availability_zone: input.get("AvailabilityZone"),
        size: input.params.int("Size").map_err(bad_params)?,
        snapshot_id: input.get("SnapshotId"),
        volume_type: input.get("VolumeType"),
        iops: input.params.int("Iops").map_err(bad_params)?,
        throughput: input.params.int("Throughput").map_err(bad_params)?,
        encrypted: input.params.bool("Encrypted").map_err(bad_params)?,
        kms_key_id: input.get("KmsKeyId"),
        client_token: input.get("ClientToken"),
        tags: input.tag_specifications("volume")?,
    };
    if input.params.bool("MultiAttachEnabled").map_err(bad_params)? == Some(true) {
        return Err(AwsError::bad_request(
            "UnsupportedOperation",
            "Multi-Attach volumes are not supported: each volume attaches to one instance.",
        ));
    }
    let now = ec2.now();
    let scope = scopes::create_volume(request.snapshot_id.as_deref(), request.client_token.is_some());
    let (volume, network) = ec2
        .change(caller, &scope, |network, ids| {
            let volume = network.create_volume(ids, &request, now)?;
            Ok((volume, network.clone()))
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| volume_xml(xml, &network, &volume, Some("creating")))
}

pub(super) async fn describe_volumes(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("VolumeId")?;
    let filters = input.filters()?;
    // EC2 answers at most 500 a page: a larger MaxResults (the aws CLI's 1,000) gets 500.
    let max = max_results(&input, &ids, "volumeSet")?.map(|max| max.min(500));
    let network = synced(api, ec2, caller, &scopes::volumes()).await?;
    let found: Vec<Volume> = network.describe_volumes(&ids, &filters).map_err(wire)?.into_iter().cloned().collect();
    let (page, token) = page(found, |volume| volume.id.clone(), max, input.get("NextToken").as_deref(), (5, 500))?;
    call.xml(move |xml| {
        xml.list("volumeSet", "item", &page, |xml, volume| volume_xml(xml, &network, volume, None));
        xml.optional("nextToken", token.as_deref());
    })
}

pub(super) async fn delete_volume(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("VolumeId")?;
    ec2.change(caller, &scopes::volume(&id), |network, _| network.delete_volume(&id)).await.map_err(wire)?;
    returns_true(call)
}

pub(super) async fn attach_volume(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let volume_id = input.required("VolumeId")?;
    let instance_id = input.required("InstanceId")?;
    let device = input.required("Device")?;
    let now = ec2.now();
    synced(api, ec2, caller, &aws_model::ec2::Scope::new()).await?;
    let attachment = ec2
        .change_widening(
            caller,
            &scopes::attach_volume(&volume_id, &instance_id),
            |network| scopes::volumes_of_instance(network, &instance_id),
            |network, _| network.attach_volume(&volume_id, &instance_id, &device, now),
        )
        .await
        .map_err(wire)?;
    call.xml(move |xml| attachment_xml(xml, &volume_id, &attachment, "attaching"))
}

pub(super) async fn detach_volume(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let volume_id = input.required("VolumeId")?;
    let instance_id = input.get("InstanceId");
    let device = input.get("Device");
    // Force only skips the guest's unmounting, which no simulated instance does.
    input.params.bool("Force").map_err(bad_params)?;
    let attachment = ec2
        .change_widening(caller, &scopes::volume(&volume_id), scopes::volume_instance, |network, _| {
            network.detach_volume(&volume_id, instance_id.as_deref(), device.as_deref())
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| attachment_xml(xml, &volume_id, &attachment, "detaching"))
}

pub(super) async fn modify_volume(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("VolumeId")?;
    if input.params.bool("MultiAttachEnabled").map_err(bad_params)? == Some(true) {
        return Err(AwsError::bad_request(
            "UnsupportedOperation",
            "Multi-Attach volumes are not supported: each volume attaches to one instance.",
        ));
    }
    let request = ModifyVolume {
        size: input.params.int("Size").map_err(bad_params)?,
        volume_type: input.get("VolumeType"),
        iops: input.params.int("Iops").map_err(bad_params)?,
        throughput: input.params.int("Throughput").map_err(bad_params)?,
    };
    let now = ec2.now();
    let modification = ec2
        .change(caller, &scopes::volume(&id), |network, _| network.modify_volume(&id, &request, now))
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.element("volumeModification", |xml| modification_xml(xml, &id, &modification, "modifying"));
    })
}

pub(super) async fn describe_volumes_modifications(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("VolumeId")?;
    let filters = input.filters()?;
    let max = input.params.int("MaxResults").map_err(bad_params)?;
    let network = synced(api, ec2, caller, &scopes::volumes()).await?;
    let found: Vec<(String, VolumeModification)> = network
        .describe_volume_modifications(&ids, &filters)
        .map_err(wire)?
        .into_iter()
        .map(|(volume, modification)| (volume.id.clone(), modification.clone()))
        .collect();
    let (page, token) = page(found, |(id, _)| id.clone(), max, input.get("NextToken").as_deref(), (1, 500))?;
    call.xml(move |xml| {
        xml.list("volumeModificationSet", "item", &page, |xml, (id, modification)| {
            modification_xml(xml, id, modification, "completed");
        });
        xml.optional("nextToken", token.as_deref());
    })
}

pub(super) async fn create_snapshot(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let volume_id = input.required("VolumeId")?;
    let description = input.get("Description");
    let tags = input.tag_specifications("snapshot")?;
    let now = ec2.now();
    let (snapshot, network) = ec2
        .change(caller, &scopes::volume(&volume_id), |network, ids| {
            let snapshot = network.create_snapshot(ids, &volume_id, description.as_deref(), &tags, now)?;
            Ok((snapshot, network.clone()))
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| snapshot_xml(xml, &network, &snapshot, false))
}

pub(super) async fn describe_snapshots(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("SnapshotId")?;
    let owners = input.strings("Owner")?;
    let filters = input.filters()?;
    let max = max_results(&input, &ids, "snapshotSet")?;
    let network = ec2.view(caller, &scopes::snapshots(), Clone::clone).await.map_err(wire)?;
    let found: Vec<Snapshot> =
        network.describe_snapshots(&ids, &owners, &filters).map_err(wire)?.into_iter().cloned().collect();
    let (page, token) = page(found, |s| s.id.clone(), max, input.get("NextToken").as_deref(), (5, 1000))?;
    call.xml(move |xml| {
        xml.list("snapshotSet", "item", &page, |xml, snapshot| snapshot_xml(xml, &network, snapshot, true));
        xml.optional("nextToken", token.as_deref());
    })
}

pub(super) async fn delete_snapshot(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("SnapshotId")?;
    ec2.change(caller, &scopes::snapshot(&id), |network, _| network.delete_snapshot(&id)).await.map_err(wire)?;
    returns_true(call)
}

/// A `Volume`'s members; `state` overrides the stored state (CreateVolume answers `creating`).
fn volume_xml(xml: &mut XmlWriter, network: &Network, volume: &Volume, state: Option<&str>) {
    xml.text("volumeId", &volume.id)
        .value("size", volume.shape.size)
        .text("snapshotId", volume.snapshot_id.as_deref().unwrap_or_default())
        .text("availabilityZone", &volume.availability_zone)
        .text("status", state.unwrap_or(volume.state()))
        .timestamp("createTime", timestamp(volume.created_at));
    xml.list("attachmentSet", "item", volume.attachment.iter(), |xml, attachment| {
        attachment_xml(xml, &volume.id, attachment, "attached");
    });
    xml.text("volumeType", &volume.shape.volume_type);
    if let Some(iops) = volume.shape.iops {
        xml.value("iops", iops);
    }
    if let Some(throughput) = volume.shape.throughput {
        xml.value("throughput", throughput);
    }
    xml.value("encrypted", volume.encrypted).optional("kmsKeyId", volume.kms_key_id.as_deref());
    xml.value("multiAttachEnabled", false);
    tag_set(xml, network.tags.get(&volume.id));
}

/// A `VolumeAttachment`'s members.
fn attachment_xml(xml: &mut XmlWriter, volume_id: &str, attachment: &VolumeAttachment, status: &str) {
    xml.text("volumeId", volume_id)
        .text("instanceId", &attachment.instance_id)
        .text("device", &attachment.device)
        .text("status", status)
        .timestamp("attachTime", timestamp(attachment.attached_at))
        .value("deleteOnTermination", attachment.delete_on_termination);
}

/// A `VolumeModification`'s members, in `state` (`modifying` as ModifyVolume answers, `completed` after).
fn modification_xml(xml: &mut XmlWriter, volume_id: &str, modification: &VolumeModification, state: &str) {
    let shape = |xml: &mut XmlWriter, prefix: &str, shape: &VolumeShape| {
        xml.value(&format!("{prefix}Size"), shape.size).text(&format!("{prefix}VolumeType"), &shape.volume_type);
        if let Some(iops) = shape.iops {
            xml.value(&format!("{prefix}Iops"), iops);
        }
        if let Some(throughput) = shape.throughput {
            xml.value(&format!("{prefix}Throughput"), throughput);
        }
        xml.value(&format!("{prefix}MultiAttachEnabled"), false);
    };
    xml.text("volumeId", volume_id).text("modificationState", state);
    shape(xml, "target", &modification.target);
    shape(xml, "original", &modification.original);
    let completed = state == "completed";
    xml.value("progress", if completed { 100 } else { 0 }).timestamp("startTime", timestamp(modification.started_at));
    if completed {
        xml.timestamp("endTime", timestamp(modification.started_at));
    }
}

/// A `Snapshot`'s members: `pending` as CreateSnapshot answers, `completed` once described.
fn snapshot_xml(xml: &mut XmlWriter, network: &Network, snapshot: &Snapshot, completed: bool) {
    xml.text("snapshotId", &snapshot.id)
        .text("volumeId", &snapshot.volume_id)
        .text("status", if completed { "completed" } else { "pending" })
        .timestamp("startTime", timestamp(snapshot.started_at))
        .text("progress", if completed { "100%" } else { "" })
        .text("ownerId", &network.account)
        .value("volumeSize", snapshot.volume_size)
        .text("description", &snapshot.description)
        .value("encrypted", snapshot.encrypted)
        .optional("kmsKeyId", snapshot.kms_key_id.as_deref())
        .text("storageTier", "standard");
    tag_set(xml, network.tags.get(&snapshot.id));
}

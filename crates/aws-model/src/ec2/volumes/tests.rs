use std::net::Ipv4Addr;

use super::*;
use crate::ec2::StateRequest;

const NOW: f64 = 1_000_000.0;

fn filter(name: &str, values: &[&str]) -> Filter {
    Filter { name: name.into(), values: values.iter().map(|v| v.to_string()).collect() }
}

/// The default network of us-east-1 with a running instance in us-east-1a.
fn network() -> (Network, IdSource, String) {
    let mut ids = IdSource::Sequence(0);
    let mut network = Network::new("000000000000", "us-east-1");
    network.initialize(&mut ids);
    let mut instance = crate::ec2::instances::test_instance(&ids.id("i"), "subnet-1", Ipv4Addr::new(172, 31, 0, 9));
    instance.availability_zone = "us-east-1a".into();
    let id = instance.id.clone();
    network.instances.insert(id.clone(), instance);
    (network, ids, id)
}

fn volume_in(zone: &str, size: i64) -> CreateVolume {
    CreateVolume { availability_zone: Some(zone.into()), size: Some(size), ..CreateVolume::default() }
}

/// The message of the error creating `input` gives, or the volume's shape.
fn created(input: CreateVolume) -> Result<VolumeShape, String> {
    let (mut network, mut ids, _) = network();
    network.create_volume(&mut ids, &input, NOW).map(|volume| volume.shape).map_err(|error| error.to_string())
}

fn typed(volume_type: &str, size: i64, iops: Option<i64>, throughput: Option<i64>) -> CreateVolume {
    CreateVolume { volume_type: Some(volume_type.into()), iops, throughput, ..volume_in("us-east-1a", size) }
}

fn shape_of(volume_type: &str, size: u32, iops: Option<u32>, throughput: Option<u32>) -> VolumeShape {
    VolumeShape { size, volume_type: volume_type.into(), iops, throughput }
}

#[test]
fn volume_types_get_their_defaults_and_limits() {
    assert_eq!(created(volume_in("us-east-1a", 10)), Ok(shape_of("gp2", 10, Some(100), None)));
    assert_eq!(created(typed("gp2", 100, None, None)), Ok(shape_of("gp2", 100, Some(300), None)));
    assert_eq!(created(typed("gp2", 16_000, None, None)), Ok(shape_of("gp2", 16_000, Some(16_000), None)));
    assert_eq!(created(typed("gp3", 1, None, None)), Ok(shape_of("gp3", 1, Some(3000), Some(125))));
    assert_eq!(created(typed("gp3", 100, Some(6000), Some(500))), Ok(shape_of("gp3", 100, Some(6000), Some(500))));
    assert_eq!(created(typed("io1", 10, Some(500), None)), Ok(shape_of("io1", 10, Some(500), None)));
    assert_eq!(created(typed("io2", 10, Some(10_000), None)), Ok(shape_of("io2", 10, Some(10_000), None)));
    assert_eq!(created(typed("st1", 125, None, None)), Ok(shape_of("st1", 125, None, None)));
    assert_eq!(created(typed("standard", 1024, None, None)), Ok(shape_of("standard", 1024, None, None)));

    let refused = |input, expect: &str| assert_eq!(created(input), Err(expect.to_owned()));
    refused(volume_in("us-east-1a", 0), "Volume of 0GiB is too small for volume type gp2; minimum is 1GiB");
    refused(
        volume_in("us-east-1a", 16_385),
        "Volume of 16385GiB is too large for volume type gp2; maximum is 16384GiB",
    );
    refused(
        typed("standard", 2000, None, None),
        "Volume of 2000GiB is too large for volume type standard; maximum is 1024GiB",
    );
    refused(typed("st1", 100, None, None), "Volume of 100GiB is too small for volume type st1; minimum is 125GiB");
    refused(typed("io1", 2, Some(100), None), "Volume of 2GiB is too small for volume type io1; minimum is 4GiB");
    refused(typed("gp2", 10, Some(300), None), "The parameter iops is not supported for gp2 volumes.");
    refused(typed("io1", 10, None, None), "The parameter iops must be specified for io1 volumes.");
    refused(typed("io1", 10, Some(50), None), "Volume iops of 50 is too low; minimum is 100.");
    refused(
        typed("io1", 10, Some(1000), None),
        "Iops to volume size ratio of 100.000000 is too high; maximum is 50.000000",
    );
    refused(
        typed("gp3", 20, Some(15_000), None),
        "Iops to volume size ratio of 750.000000 is too high; maximum is 500.000000",
    );
    refused(typed("gp3", 100, Some(2000), None), "Volume iops of 2000 is too low; minimum is 3000.");
    refused(typed("io1", 10, Some(500), Some(200)), "throughput can only be specified for volumeType gp3.");
    refused(
        typed("gp3", 100, None, Some(1000)),
        "Throughput (MiBps) to iops ratio of 0.333333 is too high; maximum is 0.250000 MiBps per iops.",
    );
    refused(
        typed("gp3", 100, Some(16_000), Some(2500)),
        "Throughput of 2500 MiB/s is too high; maximum is 2000 MiB/s.",
    );
    refused(
        typed("gp9", 10, None, None),
        "Value (gp9) for parameter volumeType is invalid. Allowed values are [standard, io1, io2, gp2, sc1, st1, gp3]",
    );
    refused(volume_in("us-east-1a", -1), "Value (-1) for parameter size is invalid.");
    refused(volume_in("us-east-1z", 1), "The zone 'us-east-1z' does not exist.");
    refused(CreateVolume { size: Some(1), ..CreateVolume::default() }, "The request must contain the parameter zone");
    refused(
        CreateVolume { availability_zone: Some("us-east-1a".into()), ..CreateVolume::default() },
        "The request must contain the parameter size or snapshotId",
    );
    refused(
        CreateVolume { kms_key_id: Some("alias/mine".into()), ..volume_in("us-east-1a", 1) },
        "The parameter KmsKeyId requires the parameter Encrypted to be set.",
    );
    let many: Tags = (0..51).map(|n| (format!("k{n}"), String::new())).collect();
    refused(
        CreateVolume { tags: many, ..volume_in("us-east-1a", 1) },
        "The maximum number of Tags for a resource has been reached.",
    );
}

#[test]
fn volumes_attach_detach_and_delete_with_ec2s_errors() {
    let (mut network, mut ids, instance) = network();
    let tags: Tags = [("team".to_owned(), "data".to_owned())].into_iter().collect();
    let volume = network
        .create_volume(&mut ids, &CreateVolume { tags, encrypted: Some(true), ..volume_in("us-east-1a", 8) }, NOW)
        .unwrap();
    assert_eq!(volume.kms_key_id.as_deref(), Some("arn:aws:kms:us-east-1:000000000000:alias/aws/ebs"));
    let elsewhere = network.create_volume(&mut ids, &volume_in("us-east-1b", 8), NOW).unwrap();
    assert_eq!(network.volume(&volume.id).unwrap().state(), "available");

    let error = network.attach_volume(&elsewhere.id, &instance, "/dev/sdf", NOW).unwrap_err();
    assert_eq!(error, Ec2Error::VolumeZoneMismatch { volume: elsewhere.id.clone(), instance: instance.clone() });
    let error = network.attach_volume(&volume.id, &instance, "/dev/nope", NOW).unwrap_err();
    assert!(matches!(error, Ec2Error::InvalidParameterValue(_)), "{error:?}");
    let error = network.attach_volume(&volume.id, &instance, ROOT_DEVICE, NOW).unwrap_err();
    assert!(error.to_string().contains("is already in use"), "{error}");
    let error = network.attach_volume(&volume.id, "i-0000000000000ffff", "/dev/sdf", NOW).unwrap_err();
    assert!(matches!(error, Ec2Error::InstanceNotFound(_)), "{error:?}");
    let device = network.next_device(&network.instances[&instance]).unwrap();
    assert_eq!(device, "/dev/xvdaa");
    network.attach_volume(&volume.id, &instance, &device, NOW).unwrap();
    assert_eq!(network.volume(&volume.id).unwrap().state(), "in-use");
    assert_eq!(network.instances[&instance].volumes, vec![volume.id.clone()]);
    assert_eq!(network.next_device(&network.instances[&instance]).as_deref(), Some("/dev/xvdab"));
    let error = network.attach_volume(&volume.id, &instance, "/dev/sdg", NOW).unwrap_err();
    assert!(matches!(error, Ec2Error::VolumeInUse(_)), "{error:?}");

    let by_instance = network.describe_volumes(&[], &[filter("attachment.instance-id", &[&instance])]).unwrap();
    assert_eq!(by_instance.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(), [volume.id.as_str()]);
    let tagged =
        network.describe_volumes(&[], &[filter("tag:team", &["data"]), filter("status", &["in-use"])]).unwrap();
    assert_eq!(tagged.len(), 1);
    assert_eq!(network.describe_volumes(&[], &[filter("size", &["8"])]).unwrap().len(), 2);
    assert_eq!(network.describe_volumes(&[], &[filter("availability-zone", &["us-east-1b"])]).unwrap().len(), 1);
    assert_eq!(network.describe_volumes(&[], &[filter("tag-key", &["team"])]).unwrap().len(), 1);
    assert!(matches!(network.describe_volumes(&[], &[filter("colour", &["x"])]), Err(Ec2Error::InvalidFilter(_))));
    assert!(matches!(network.describe_volumes(&["vol-x\0".into()], &[]), Err(Ec2Error::VolumeIdMalformed(_))));
    let unknown = "vol-0000000000000beef".to_owned();
    assert_eq!(
        network.describe_volumes(std::slice::from_ref(&unknown), &[]),
        Err(Ec2Error::VolumeNotFound(unknown.clone()))
    );

    let error = network.delete_volume(&volume.id).unwrap_err();
    assert_eq!(error.to_string(), format!("Volume {} is currently attached to {instance}", volume.id));
    let error = network.detach_volume(&volume.id, Some("i-0000000000000ffff"), None).unwrap_err();
    assert!(matches!(error, Ec2Error::VolumeAttachmentNotFound(_)), "{error:?}");
    network.detach_volume(&volume.id, Some(&instance), None).unwrap();
    assert!(network.instances[&instance].volumes.is_empty());
    let error = network.detach_volume(&volume.id, None, None).unwrap_err();
    assert_eq!(error, Ec2Error::IncorrectState(format!("Volume '{}' is in the 'available' state.", volume.id)));
    network.delete_volume(&volume.id).unwrap();
    assert_eq!(network.delete_volume(&volume.id), Err(Ec2Error::VolumeNotFound(volume.id.clone())));
    assert!(!network.tags.contains_key(&volume.id), "its tags go with it");
}

#[test]
fn a_client_token_makes_one_volume() {
    let (mut network, mut ids, _) = network();
    let input = CreateVolume { client_token: Some("pvc-1".into()), ..volume_in("us-east-1a", 4) };
    let first = network.create_volume(&mut ids, &input, NOW).unwrap();
    let again = network.create_volume(&mut ids, &input, NOW).unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(network.volumes.len(), 1);
}

#[test]
fn modifications_follow_the_rules_of_the_type_they_end_up_as() {
    let (mut network, mut ids, _) = network();
    let volume = network.create_volume(&mut ids, &volume_in("us-east-1a", 10), NOW).unwrap();
    let none = ModifyVolume::default();
    assert!(matches!(network.modify_volume(&volume.id, &none, NOW), Err(Ec2Error::MissingParameter(_))));
    let smaller = ModifyVolume { size: Some(5), ..ModifyVolume::default() };
    assert!(network.modify_volume(&volume.id, &smaller, NOW).unwrap_err().to_string().contains("cannot be smaller"));
    let to_gp3 = ModifyVolume { size: Some(20), volume_type: Some("gp3".into()), ..ModifyVolume::default() };
    let modification = network.modify_volume(&volume.id, &to_gp3, NOW).unwrap();
    assert_eq!(modification.original, shape_of("gp2", 10, Some(100), None));
    assert_eq!(modification.target, shape_of("gp3", 20, Some(3000), Some(125)));
    assert_eq!(network.volume(&volume.id).unwrap().shape, modification.target);
    let faster = ModifyVolume { throughput: Some(250), ..ModifyVolume::default() };
    let modification = network.modify_volume(&volume.id, &faster, NOW).unwrap();
    assert_eq!(modification.target, shape_of("gp3", 20, Some(3000), Some(250)), "the IOPS are kept");
    let to_io1 = ModifyVolume { volume_type: Some("io1".into()), ..ModifyVolume::default() };
    assert!(matches!(network.modify_volume(&volume.id, &to_io1, NOW), Err(Ec2Error::MissingParameter(_))));
    let found = network
        .describe_volume_modifications(std::slice::from_ref(&volume.id), &[filter("target-volume-type", &["gp3"])]);
    assert_eq!(found.unwrap().len(), 1);
    let other = network.create_volume(&mut ids, &volume_in("us-east-1a", 1), NOW).unwrap();
    assert_eq!(
        network.describe_volume_modifications(std::slice::from_ref(&other.id), &[]),
        Err(Ec2Error::ModificationNotFound(other.id))
    );
}

#[test]
fn snapshots_are_made_described_restored_and_deleted() {
    let (mut network, mut ids, _) = network();
    let volume = network.create_volume(&mut ids, &volume_in("us-east-1a", 12), NOW).unwrap();
    let snapshot = network.create_snapshot(&mut ids, &volume.id, Some("nightly"), &Tags::new(), NOW).unwrap();
    assert_eq!(snapshot.volume_size, 12);
    assert!(network.create_snapshot(&mut ids, &volume.id, Some("bad\0"), &Tags::new(), NOW).is_err());
    let mine = network.describe_snapshots(&[], &["self".into()], &[filter("volume-id", &[&volume.id])]).unwrap();
    assert_eq!(mine.len(), 1);
    assert!(network.describe_snapshots(&[], &["amazon".into()], &[]).unwrap().is_empty());

    let from = CreateVolume { snapshot_id: Some(snapshot.id.clone()), ..volume_in("us-east-1b", 0) };
    let restored = network.create_volume(&mut ids, &CreateVolume { size: None, ..from.clone() }, NOW).unwrap();
    assert_eq!((restored.shape.size, restored.snapshot_id.as_deref()), (12, Some(snapshot.id.as_str())));
    let error = network.create_volume(&mut ids, &CreateVolume { size: Some(5), ..from }, NOW).unwrap_err();
    assert!(matches!(error, Ec2Error::InvalidParameterValue(_)), "{error:?}");

    network.delete_snapshot(&snapshot.id).unwrap();
    assert_eq!(network.delete_snapshot(&snapshot.id), Err(Ec2Error::SnapshotNotFound(snapshot.id.clone())));
    assert_eq!(network.delete_snapshot("snap-nope"), Err(Ec2Error::SnapshotIdMalformed("snap-nope".into())));
}

#[test]
fn terminating_an_instance_detaches_its_volumes_and_deletes_those_told_to_go() {
    let (mut network, mut ids, instance) = network();
    let kept = network.create_volume(&mut ids, &volume_in("us-east-1a", 1), NOW).unwrap();
    let goes = network.create_volume(&mut ids, &volume_in("us-east-1a", 1), NOW).unwrap();
    network.attach_volume(&kept.id, &instance, "/dev/sdf", NOW).unwrap();
    network.attach_volume(&goes.id, &instance, "/dev/sdg", NOW).unwrap();
    network.volumes.get_mut(&goes.id).unwrap().attachment.as_mut().unwrap().delete_on_termination = true;
    network.change_instance_states(std::slice::from_ref(&instance), StateRequest::Terminate, NOW).unwrap();
    assert_eq!(network.volume(&kept.id).unwrap().state(), "available");
    assert!(network.volumes.get(&goes.id).is_none());
    assert!(network.instances[&instance].volumes.is_empty());
}

#[test]
fn device_names_are_ebs_ones() {
    for good in ["/dev/sdf", "/dev/xvdaa", "/dev/xvdf", "/dev/sdb1", "/dev/hdb"] {
        assert!(is_device_name(good), "{good}");
    }
    for bad in ["", "/dev/", "sdf", "/dev/sd", "/dev/xvdabc", "/dev/nvme1n1", "/dev/sdf\0", "/dev/sdF"] {
        assert!(!is_device_name(bad), "{bad:?}");
    }
}

use store::MemoryStore;

use super::*;
use crate::clock::ManualClock;
use crate::ec2::{Kind, Scope};
use crate::eks::tests::caller;

fn efs() -> Efs {
    let records = Records::new(Arc::new(MemoryStore::new()));
    let clock = Arc::new(ManualClock::new(1_800_000_000.0));
    Efs::new(records.clone(), clock.clone(), Ec2::new(records, clock))
}

fn create(token: &str) -> CreateFileSystem {
    CreateFileSystem { creation_token: token.into(), ..CreateFileSystem::default() }
}

/// The default VPC's subnets: `(subnet id, zone)` by zone.
async fn subnets(efs: &Efs) -> Vec<(String, String)> {
    let scope = Scope::new().all(Kind::Subnet);
    let mut found: Vec<(String, String)> = efs
        .ec2
        .view(&caller(), &scope, |network| {
            network.subnets.loaded().values().map(|s| (s.id.clone(), s.availability_zone.clone())).collect()
        })
        .await
        .unwrap();
    found.sort_by(|a, b| a.1.cmp(&b.1));
    found
}

fn in_subnet(fs: &str, subnet: &str) -> CreateMountTarget {
    CreateMountTarget { file_system_id: fs.into(), subnet_id: subnet.into(), ..CreateMountTarget::default() }
}

#[tokio::test]
async fn a_file_system_is_made_once_per_creation_token_and_read_back_available() {
    let efs = efs();
    let input = CreateFileSystem { tags: vec![("Name".into(), "shared".into())], ..create("tok-1") };
    let made = efs.create_file_system(&caller(), input.clone()).await.unwrap();
    assert_eq!(made.life_cycle_state, "creating");
    assert!(is_id(&made.id, "fs") && made.id.len() == 20, "{}", made.id);
    assert_eq!(
        (made.name(), made.throughput_mode.as_str(), made.performance_mode.as_str()),
        (Some("shared"), "bursting", "generalPurpose")
    );
    let again = efs.create_file_system(&caller(), input).await.unwrap_err();
    assert!(matches!(&again, EfsError::FileSystemAlreadyExists { file_system_id, .. } if *file_system_id == made.id));
    let (listed, next) = efs.describe_file_systems(&caller(), None, Some("tok-1"), None, None).await.unwrap();
    assert_eq!((listed.len(), listed[0].life_cycle_state, next), (1, "available", None));
    let by_arn = efs.describe_file_systems(&caller(), Some(&made.arn()), None, None, None).await.unwrap().0;
    assert_eq!(by_arn[0].id, made.id);

    let second = efs.create_file_system(&caller(), create("tok-2")).await.unwrap();
    // Made at the same time (the clock stands still), they are listed by id.
    let mut order = [made.id.clone(), second.id.clone()];
    order.sort();
    let (first_page, marker) = efs.describe_file_systems(&caller(), None, None, Some(1), None).await.unwrap();
    assert_eq!((&first_page[0].id, marker.as_ref()), (&order[0], Some(&order[1])));
    let (rest, end) = efs.describe_file_systems(&caller(), None, None, Some(1), marker.as_deref()).await.unwrap();
    assert_eq!((&rest[0].id, end), (&order[1], None));

    efs.delete_file_system(&caller(), &made.id).await.unwrap();
    let gone = efs.describe_file_systems(&caller(), Some(&made.id), None, None, None).await.unwrap_err();
    assert_eq!(gone, EfsError::FileSystemNotFound(format!("File system '{}' does not exist.", made.id)));
    // Its token is free again.
    efs.create_file_system(&caller(), create("tok-1")).await.unwrap();
}

#[tokio::test]
async fn bad_file_system_requests_are_refused_and_store_nothing() {
    let efs = efs();
    let cases = [
        CreateFileSystem { creation_token: String::new(), ..create("") },
        create(&"t".repeat(65)),
        create("nul\0byte"),
        CreateFileSystem { performance_mode: Some("turbo".into()), ..create("a") },
        CreateFileSystem { throughput_mode: Some("provisioned".into()), ..create("a") },
        CreateFileSystem { provisioned_mibps: Some(10.0), ..create("a") },
        CreateFileSystem {
            throughput_mode: Some("provisioned".into()),
            provisioned_mibps: Some(f64::NAN),
            ..create("a")
        },
        CreateFileSystem { kms_key_id: Some("alias/x".into()), ..create("a") },
        CreateFileSystem { tags: vec![("aws:reserved".into(), "x".into())], ..create("a") },
        CreateFileSystem { tags: vec![("k".into(), "v".repeat(257))], ..create("a") },
        CreateFileSystem { tags: vec![("bad\u{0}key".into(), "v".into())], ..create("a") },
        CreateFileSystem { tags: (0..51).map(|n| (format!("k{n}"), String::new())).collect(), ..create("a") },
        CreateFileSystem {
            performance_mode: Some("maxIO".into()),
            throughput_mode: Some("elastic".into()),
            ..create("a")
        },
    ];
    for input in cases {
        let error = efs.create_file_system(&caller(), input.clone()).await.unwrap_err();
        assert!(matches!(error, EfsError::BadRequest(_)), "{input:?}: {error:?}");
    }
    let zone = CreateFileSystem { availability_zone: Some("mars-1a".into()), ..create("a") };
    assert!(matches!(efs.create_file_system(&caller(), zone).await, Err(EfsError::UnsupportedAvailabilityZone(_))));
    assert!(efs.describe_file_systems(&caller(), None, None, None, None).await.unwrap().0.is_empty());
    for id in ["bogus", "fs-XYZ", "fs-1234567", "arn:aws:s3:::bucket/fs-12345678"] {
        let error = efs.describe_file_systems(&caller(), Some(id), None, None, None).await.unwrap_err();
        assert!(matches!(error, EfsError::BadRequest(ref m) if m.contains("fileSystemId")), "{id}: {error:?}");
    }
    assert!(matches!(
        efs.describe_file_systems(&caller(), None, None, Some(0), None).await,
        Err(EfsError::BadRequest(_))
    ));
    assert!(matches!(
        efs.describe_file_systems(&caller(), None, None, None, Some("fs-0000000000000000")).await,
        Err(EfsError::BadRequest(_))
    ));
}

#[tokio::test]
async fn throughput_lifecycle_backup_and_policy_are_kept_on_the_file_system() {
    let efs = efs();
    let fs = efs.create_file_system(&caller(), create("t")).await.unwrap();
    let updated = efs.update_throughput(&caller(), &fs.id, Some("provisioned".into()), Some(64.0)).await.unwrap();
    assert_eq!((updated.throughput_mode.as_str(), updated.provisioned_mibps), ("provisioned", Some(64.0)));
    assert!(efs.update_throughput(&caller(), &fs.id, Some("elastic".into()), Some(5.0)).await.is_err());
    let elastic = efs.update_throughput(&caller(), &fs.id, Some("elastic".into()), None).await.unwrap();
    assert_eq!((elastic.throughput_mode.as_str(), elastic.provisioned_mibps), ("elastic", None));

    let ia = LifecyclePolicy { transition_to_ia: Some("AFTER_30_DAYS".into()), ..LifecyclePolicy::default() };
    let back = LifecyclePolicy {
        transition_to_primary_storage_class: Some("AFTER_1_ACCESS".into()),
        ..LifecyclePolicy::default()
    };
    let kept = efs.put_lifecycle(&caller(), &fs.id, vec![ia.clone(), back.clone()]).await.unwrap();
    assert_eq!(kept, vec![ia.clone(), back]);
    assert!(efs.put_lifecycle(&caller(), &fs.id, vec![ia.clone(), ia.clone()]).await.is_err(), "twice the same kind");
    let both = LifecyclePolicy { transition_to_archive: Some("AFTER_90_DAYS".into()), ..ia.clone() };
    assert!(efs.put_lifecycle(&caller(), &fs.id, vec![both]).await.is_err(), "two transitions in one policy");
    let wrong = LifecyclePolicy { transition_to_ia: Some("AFTER_2_DAYS".into()), ..LifecyclePolicy::default() };
    assert!(efs.put_lifecycle(&caller(), &fs.id, vec![wrong]).await.is_err());
    assert!(efs.put_lifecycle(&caller(), &fs.id, Vec::new()).await.unwrap().is_empty(), "an empty list clears");

    assert!(matches!(efs.backup(&caller(), &fs.id).await, Err(EfsError::PolicyNotFound(_))));
    assert!(efs.put_backup(&caller(), &fs.id, "ENABLED").await.unwrap());
    assert!(efs.backup(&caller(), &fs.id).await.unwrap());
    assert!(matches!(efs.put_backup(&caller(), &fs.id, "ENABLING").await, Err(EfsError::ValidationException(_))));
    let one_zone = CreateFileSystem { availability_zone: Some("us-east-1b".into()), ..create("oz") };
    let one_zone = efs.create_file_system(&caller(), one_zone).await.unwrap();
    assert!(efs.backup(&caller(), &one_zone.id).await.unwrap(), "One Zone file systems back up by default");
    assert_eq!(one_zone.availability_zone_id().as_deref(), Some("use1-az2"));

    assert!(matches!(efs.policy(&caller(), &fs.id).await, Err(EfsError::PolicyNotFound(_))));
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"elasticfilesystem:ClientMount","Resource":"{}"}}]}}"#,
        fs.arn()
    );
    efs.put_policy(&caller(), &fs.id, &policy).await.unwrap();
    assert_eq!(efs.policy(&caller(), &fs.id).await.unwrap(), (fs.id.clone(), policy));
    assert!(matches!(efs.put_policy(&caller(), &fs.id, "{not json").await, Err(EfsError::InvalidPolicy(_))));
    efs.delete_policy(&caller(), &fs.id).await.unwrap();
    efs.delete_policy(&caller(), &fs.id).await.unwrap();
    assert!(matches!(efs.policy(&caller(), &fs.id).await, Err(EfsError::PolicyNotFound(_))));
}

#[tokio::test]
async fn mount_targets_take_one_zone_each_and_hold_an_efs_interface_in_their_subnet() {
    let efs = efs();
    let fs = efs.create_file_system(&caller(), create("mt")).await.unwrap();
    let subnets = subnets(&efs).await;
    let (subnet_a, zone_a) = subnets[0].clone();
    let target = efs.create_mount_target(&caller(), in_subnet(&fs.id, &subnet_a)).await.unwrap();
    assert_eq!((target.life_cycle_state, target.availability_zone.as_str()), ("creating", zone_a.as_str()));
    let conflict = efs.create_mount_target(&caller(), in_subnet(&fs.id, &subnet_a)).await.unwrap_err();
    assert!(matches!(conflict, EfsError::MountTargetConflict(_)));

    let eni_id = target.network_interface_id.clone();
    let eni = efs
        .ec2
        .view(&caller(), &scopes::network_interface(&eni_id), |network| network.interface(&eni_id).cloned())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(eni.description, format!("EFS mount target for {} ({})", fs.id, target.id));
    assert_eq!(
        (eni.interface_type(), eni.status(), eni.private_ip.to_string()),
        ("efs", "in-use", target.ip_address.clone())
    );
    let default_group = target.security_groups.clone();
    assert_eq!(default_group.len(), 1, "the VPC's default group");

    let (subnet_b, _) = subnets[1].clone();
    let chosen = CreateMountTarget { ip_address: Some(target.ip_address.clone()), ..in_subnet(&fs.id, &subnet_b) };
    assert!(
        matches!(efs.create_mount_target(&caller(), chosen).await, Err(EfsError::BadRequest(_))),
        "not in subnet b"
    );
    let second = efs.create_mount_target(&caller(), in_subnet(&fs.id, &subnet_b)).await.unwrap();
    let (listed, _) =
        efs.describe_mount_targets(&caller(), &MountTargetQuery::FileSystem(fs.id.clone()), None, None).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(efs.file_system(&caller(), &fs.id).await.unwrap().mount_targets, 2);
    assert!(efs.mount_target_in_zone(&caller(), &fs.id, &zone_a).await.unwrap().is_some());
    assert!(efs.mount_target_in_zone(&caller(), &fs.id, "us-east-1z").await.unwrap().is_none());

    let in_use = efs.delete_file_system(&caller(), &fs.id).await.unwrap_err();
    assert!(matches!(in_use, EfsError::FileSystemInUse(_)));
    efs.delete_mount_target(&caller(), &target.id).await.unwrap();
    let scope = scopes::network_interface(&eni_id);
    let gone = efs.ec2.view(&caller(), &scope, |network| network.interface(&eni_id).is_err()).await.unwrap();
    assert!(gone, "the interface goes with the mount target");
    assert!(matches!(efs.delete_mount_target(&caller(), &target.id).await, Err(EfsError::MountTargetNotFound(_))));
    efs.delete_mount_target(&caller(), &second.id).await.unwrap();
    efs.delete_file_system(&caller(), &fs.id).await.unwrap();
}

#[tokio::test]
async fn bad_mount_target_requests_are_refused_without_an_interface_left_behind() {
    let efs = efs();
    let fs = efs.create_file_system(&caller(), create("bad-mt")).await.unwrap();
    let (subnet, zone) = subnets(&efs).await[0].clone();
    let missing_fs = efs.create_mount_target(&caller(), in_subnet("fs-0123456789abcdef0", &subnet)).await;
    assert!(matches!(missing_fs, Err(EfsError::FileSystemNotFound(_))));
    let missing_subnet = efs.create_mount_target(&caller(), in_subnet(&fs.id, "subnet-0123456789abcdef0")).await;
    assert!(matches!(missing_subnet, Err(EfsError::SubnetNotFound(_))));
    assert!(matches!(
        efs.create_mount_target(&caller(), in_subnet(&fs.id, "nope")).await,
        Err(EfsError::BadRequest(_))
    ));
    let groups =
        CreateMountTarget { security_groups: vec!["sg-0123456789abcdef0".into()], ..in_subnet(&fs.id, &subnet) };
    assert!(matches!(efs.create_mount_target(&caller(), groups).await, Err(EfsError::SecurityGroupNotFound(_))));
    let six = CreateMountTarget {
        security_groups: (0..6).map(|n| format!("sg-0{n}")).collect(),
        ..in_subnet(&fs.id, &subnet)
    };
    assert!(matches!(efs.create_mount_target(&caller(), six).await, Err(EfsError::SecurityGroupLimitExceeded(_))));
    let ip = CreateMountTarget { ip_address: Some("999.1.1.1".into()), ..in_subnet(&fs.id, &subnet) };
    assert!(matches!(efs.create_mount_target(&caller(), ip).await, Err(EfsError::BadRequest(_))));
    let other_zone = if zone.ends_with('a') { "us-east-1b" } else { "us-east-1a" };
    let one_zone = CreateFileSystem { availability_zone: Some(other_zone.into()), ..create("oz") };
    let one_zone = efs.create_file_system(&caller(), one_zone).await.unwrap();
    let mismatch = efs.create_mount_target(&caller(), in_subnet(&one_zone.id, &subnet)).await;
    assert!(matches!(mismatch, Err(EfsError::AvailabilityZonesMismatch(_))));

    let interfaces = efs
        .ec2
        .view(&caller(), &Scope::new().all(Kind::NetworkInterface), |network| network.network_interfaces.loaded().len())
        .await
        .unwrap();
    assert_eq!(interfaces, 0);
    assert_eq!(efs.file_system(&caller(), &fs.id).await.unwrap().mount_targets, 0);
}

#[tokio::test]
async fn security_groups_of_a_mount_target_are_its_interface_s() {
    let efs = efs();
    let fs = efs.create_file_system(&caller(), create("sg")).await.unwrap();
    let (subnet, _) = subnets(&efs).await[0].clone();
    let target = efs.create_mount_target(&caller(), in_subnet(&fs.id, &subnet)).await.unwrap();
    let groups = efs.mount_target_security_groups(&caller(), &target.id).await.unwrap();
    let unknown = vec!["sg-0123456789abcdef0".to_owned()];
    let refused = efs.modify_mount_target_security_groups(&caller(), &target.id, unknown).await;
    assert!(matches!(refused, Err(EfsError::SecurityGroupNotFound(_))));
    efs.modify_mount_target_security_groups(&caller(), &target.id, groups.clone()).await.unwrap();
    assert_eq!(efs.mount_target_security_groups(&caller(), &target.id).await.unwrap(), groups);
    assert!(matches!(
        efs.mount_target_security_groups(&caller(), "fsmt-0123456789abcdef0").await,
        Err(EfsError::MountTargetNotFound(_))
    ));
}

#[tokio::test]
async fn access_points_answer_their_client_token_and_go_with_their_file_system() {
    let efs = efs();
    let fs = efs.create_file_system(&caller(), create("ap")).await.unwrap();
    let input = CreateAccessPoint {
        client_token: "pvc-1".into(),
        file_system_id: fs.id.clone(),
        posix_user: Some(PosixUser { uid: 50000, gid: 50000, secondary_gids: Vec::new() }),
        path: Some("/dynamic/pvc-1".into()),
        creation_info: Some(CreationInfo { owner_uid: 50000, owner_gid: 50000, permissions: "700".into() }),
        tags: vec![("efs.csi.aws.com/cluster".into(), "true".into())],
    };
    let point = efs.create_access_point(&caller(), input.clone()).await.unwrap();
    assert_eq!(point.life_cycle_state, "creating");
    assert!(is_id(&point.id, "fsap"), "{}", point.id);
    let again = efs.create_access_point(&caller(), input.clone()).await.unwrap();
    assert_eq!(again.id, point.id, "the same request with the same token answers the same access point");
    let other = CreateAccessPoint { path: Some("/elsewhere".into()), ..input.clone() };
    let refused = efs.create_access_point(&caller(), other).await.unwrap_err();
    assert!(
        matches!(refused, EfsError::AccessPointAlreadyExists { ref access_point_id, .. } if *access_point_id == point.id)
    );
    assert_eq!(efs.file_system(&caller(), &fs.id).await.unwrap().access_points, 1);

    let (listed, _) = efs.describe_access_points(&caller(), None, Some(&fs.id), None, None).await.unwrap();
    assert_eq!(listed.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), [point.id.as_str()]);
    assert!(efs.describe_access_points(&caller(), Some(&point.id), Some(&fs.id), None, None).await.is_err());
    efs.tag(&caller(), &point.arn(), &vec![("Name".into(), "data".into())]).await.unwrap();
    assert_eq!(efs.access_point(&caller(), &point.id).await.unwrap().name(), Some("data"));
    efs.untag(&caller(), &point.id, &["Name".into()]).await.unwrap();
    assert_eq!(efs.tags(&caller(), &point.id).await.unwrap(), input.tags);

    efs.delete_access_point(&caller(), &point.id).await.unwrap();
    assert!(matches!(efs.access_point(&caller(), &point.id).await, Err(EfsError::AccessPointNotFound(_))));
    assert_eq!(efs.file_system(&caller(), &fs.id).await.unwrap().access_points, 0);
    let remade = efs.create_access_point(&caller(), input).await.unwrap();
    efs.delete_file_system(&caller(), &fs.id).await.unwrap();
    assert!(matches!(efs.access_point(&caller(), &remade.id).await, Err(EfsError::AccessPointNotFound(_))));
}

#[tokio::test]
async fn bad_access_points_are_refused() {
    let efs = efs();
    let fs = efs.create_file_system(&caller(), create("bad-ap")).await.unwrap();
    let good =
        CreateAccessPoint { client_token: "t".into(), file_system_id: fs.id.clone(), ..CreateAccessPoint::default() };
    let user = |uid| Some(PosixUser { uid, gid: 1, secondary_gids: Vec::new() });
    let info = |permissions: &str| Some(CreationInfo { owner_uid: 1, owner_gid: 1, permissions: permissions.into() });
    let cases = [
        CreateAccessPoint { posix_user: user(-1), ..good.clone() },
        CreateAccessPoint { posix_user: user(4_294_967_296), ..good.clone() },
        CreateAccessPoint { path: Some("relative".into()), ..good.clone() },
        CreateAccessPoint { path: Some("/a/b/c/d/e".into()), ..good.clone() },
        CreateAccessPoint { path: Some("/.hidden".into()), ..good.clone() },
        CreateAccessPoint { path: Some("/a;b".into()), ..good.clone() },
        CreateAccessPoint { path: Some("/a//b".into()), ..good.clone() },
        CreateAccessPoint { path: Some(format!("/{}", "a".repeat(100))), ..good.clone() },
        CreateAccessPoint { creation_info: info("999"), ..good.clone() },
        CreateAccessPoint { creation_info: info("7"), ..good.clone() },
        CreateAccessPoint { client_token: String::new(), ..good.clone() },
        CreateAccessPoint { file_system_id: "fs-nope".into(), ..good.clone() },
    ];
    for input in cases {
        let error = efs.create_access_point(&caller(), input.clone()).await.unwrap_err();
        assert!(matches!(error, EfsError::BadRequest(_)), "{input:?}: {error:?}");
    }
    let missing = CreateAccessPoint { file_system_id: "fs-0123456789abcdef0".into(), ..good.clone() };
    assert!(matches!(efs.create_access_point(&caller(), missing).await, Err(EfsError::FileSystemNotFound(_))));
    let root = efs.create_access_point(&caller(), good).await.unwrap();
    assert_eq!(root.path, "/", "the root directory by default");
    assert_eq!(efs.file_system(&caller(), &fs.id).await.unwrap().access_points, 1);
}

#[tokio::test]
async fn file_system_tags_merge_and_name_follows_the_name_tag() {
    let efs = efs();
    let fs = efs.create_file_system(&caller(), create("tags")).await.unwrap();
    efs.tag(&caller(), &fs.id, &vec![("Name".into(), "one".into()), ("team".into(), "a".into())]).await.unwrap();
    efs.tag(&caller(), &fs.arn(), &vec![("Name".into(), "two".into())]).await.unwrap();
    let tagged = efs.file_system(&caller(), &fs.id).await.unwrap();
    assert_eq!(tagged.name(), Some("two"));
    assert_eq!(tagged.tags, vec![("Name".to_owned(), "two".to_owned()), ("team".to_owned(), "a".to_owned())]);
    efs.untag(&caller(), &fs.id, &["Name".into(), "absent".into()]).await.unwrap();
    assert_eq!(efs.file_system(&caller(), &fs.id).await.unwrap().name(), None);
    assert!(matches!(efs.untag(&caller(), &fs.id, &[]).await, Err(EfsError::BadRequest(_))));
    assert!(matches!(efs.tags(&caller(), "i-0123456789abcdef0").await, Err(EfsError::BadRequest(_))));
    assert!(matches!(efs.tags(&caller(), "fsap-0123456789abcdef0").await, Err(EfsError::AccessPointNotFound(_))));
}

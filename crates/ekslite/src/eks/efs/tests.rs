use std::sync::Arc;

use super::*;
use aws_model::clock::ManualClock;
use aws_model::ec2::{Ec2, Scope};
use aws_model::efs::{CreateFileSystem, CreateMountTarget};
use aws_model::records::Records;

/// The driver of cluster `demo` in us-east-1 over a fresh EFS, a file system, and the default VPC's subnets
/// (subnet, zone), by zone.
async fn driver() -> (EfsCsi, String, Vec<(String, String)>) {
    let records = Records::new(Arc::new(store::MemoryStore::new()));
    let clock = Arc::new(ManualClock::new(0.0));
    let ec2 = Ec2::new(records.clone(), clock.clone());
    let efs = Efs::new(records, clock, ec2.clone());
    let driver = EfsCsi::for_cluster("demo.us-east-1.000000000000", efs).unwrap();
    let input = CreateFileSystem { creation_token: "csi".into(), ..CreateFileSystem::default() };
    let fs = driver.efs.create_file_system(&driver.caller, input).await.unwrap();
    let mut subnets: Vec<(String, String)> = ec2
        .view(&driver.caller, &Scope::everything(), |network| {
            network.subnets.values().map(|s| (s.id.clone(), s.availability_zone.clone())).collect()
        })
        .await
        .unwrap();
    subnets.sort_by(|a, b| a.1.cmp(&b.1));
    (driver, fs.id, subnets)
}

fn request(file_system_id: &str, name: &str, gid: i64) -> AccessPointRequest {
    AccessPointRequest {
        file_system_id: file_system_id.into(),
        client_token: name.into(),
        uid: gid,
        gid,
        path: format!("/dynamic/{name}"),
        permissions: "700".into(),
        tags: [(controllers::efs::DRIVER_TAG.to_owned(), "true".to_owned())].into(),
    }
}

#[test]
fn plain_clusters_have_no_efs_driver() {
    let records = Records::new(Arc::new(store::MemoryStore::new()));
    let clock = Arc::new(ManualClock::new(0.0));
    let efs = Efs::new(records.clone(), clock.clone(), Ec2::new(records, clock));
    assert!(EfsCsi::for_cluster("plain", efs).is_none());
}

#[tokio::test]
async fn access_points_are_made_once_counted_for_gids_and_deleted() {
    let (driver, fs, _) = driver().await;
    let id = driver.create_access_point(&request(&fs, "pvc-1", 50_000)).await.unwrap();
    assert_eq!(driver.create_access_point(&request(&fs, "pvc-1", 50_000)).await.unwrap(), id, "a retry finds it");
    driver.create_access_point(&request(&fs, "pvc-2", 50_001)).await.unwrap();
    let mut gids = driver.gids_in_use(&fs).await.unwrap();
    gids.sort();
    assert_eq!(gids, [50_000, 50_001]);
    let point = driver.efs.access_point(&driver.caller, &id).await.unwrap();
    assert_eq!((point.path.as_str(), point.tags.len()), ("/dynamic/pvc-1", 1));
    assert_eq!(point.creation_info.unwrap().permissions, "700");
    driver.delete_access_point(&id).await.unwrap();
    driver.delete_access_point(&id).await.unwrap();
    assert!(driver.gids_in_use("fs-0123456789abcdef0").await.is_err(), "an unknown file system");
}

#[tokio::test]
async fn a_zone_mounts_only_with_a_mount_target_there() {
    let (driver, fs, subnets) = driver().await;
    let (subnet, zone) = subnets[0].clone();
    let (_, other_zone) = subnets[1].clone();
    let refused = driver.mountable(&fs, None, &zone).await.unwrap_err();
    assert!(refused.contains("ensure that the VPC has an EFS mount target"), "{refused}");
    assert!(refused.contains(&format!("{fs}.efs.us-east-1.amazonaws.com")), "{refused}");
    let target = CreateMountTarget { file_system_id: fs.clone(), subnet_id: subnet, ..CreateMountTarget::default() };
    driver.efs.create_mount_target(&driver.caller, target).await.unwrap();
    driver.mountable(&fs, None, &zone).await.unwrap();
    assert!(driver.mountable(&fs, None, &other_zone).await.is_err());
    let point = driver.create_access_point(&request(&fs, "pvc-1", 1)).await.unwrap();
    driver.mountable(&fs, Some(&point), &zone).await.unwrap();
    assert!(driver.mountable(&fs, Some("fsap-0123456789abcdef0"), &zone).await.is_err());
}

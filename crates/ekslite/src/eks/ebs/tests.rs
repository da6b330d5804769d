use std::sync::Arc;

use super::*;
use aws_model::clock::ManualClock;
use aws_model::ec2::{Filter, Scope, StateRequest};
use aws_model::records::Records;

/// EC2 with one running instance in us-east-1's first zone, the driver of cluster `demo` over it, and the
/// instance's id and zone.
async fn driver() -> (EbsCsi, String, String) {
    let ec2 = Ec2::new(Records::new(Arc::new(store::MemoryStore::new())), Arc::new(ManualClock::new(0.0)));
    let caller = Caller { account: "000000000000".into(), region: "us-east-1".into(), arn: String::new() };
    let (id, zone) = ec2
        .change(&caller, &Scope::everything(), |network, ids| {
            let subnet = network.subnets.values().min_by_key(|s| s.availability_zone.clone()).unwrap().clone();
            let ip = network.allocate_private_ip(&subnet.id)?;
            let mut instance = crate::eks::vpc_cni::tests::instance("i-0123456789abcdef0", &subnet, ip, Some("demo"));
            instance.network_interfaces = vec![network.add_primary_interface(ids, &instance)];
            network.instances.insert(instance.id.clone(), instance);
            Ok(("i-0123456789abcdef0".to_owned(), subnet.availability_zone))
        })
        .await
        .unwrap();
    (EbsCsi::new(caller, ec2), id, zone)
}

fn request(zone: &str, parameters: &[(&str, &str)]) -> VolumeRequest {
    VolumeRequest {
        name: "pvc-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0".into(),
        zone: zone.into(),
        size_gib: 4,
        parameters: parameters.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        tags: controllers::ebs::driver_tags("pvc-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "default", "data"),
    }
}

async fn described(driver: &EbsCsi, filters: &[Filter]) -> Vec<aws_model::ec2::Volume> {
    driver
        .ec2
        .view(&driver.caller, &scopes::volumes(), |network| {
            network.describe_volumes(&[], filters).unwrap().into_iter().cloned().collect()
        })
        .await
        .unwrap()
}

#[test]
fn class_parameters_become_create_volume_input() {
    let input = create_request(&request("us-east-1a", &[])).unwrap();
    assert_eq!(input.volume_type.as_deref(), Some("gp3"));
    assert_eq!((input.size, input.iops, input.encrypted), (Some(4), None, None));
    let input =
        create_request(&request("us-east-1a", &[("Type", "IO1"), ("iopsPerGB", "10"), ("encrypted", "true")])).unwrap();
    assert_eq!((input.volume_type.as_deref(), input.iops, input.encrypted), (Some("io1"), Some(40), Some(true)));
    assert!(create_request(&request("us-east-1a", &[("iops", "lots")])).is_err());
    assert!(create_request(&request("us-east-1a", &[("encrypted", "maybe")])).is_err());
}

#[tokio::test]
async fn a_claims_volume_is_made_once_attached_detached_and_deleted_in_ec2() {
    let (driver, instance, zone) = driver().await;
    let id = driver.create(&request(&zone, &[("type", "gp2")])).await.unwrap();
    assert_eq!(driver.create(&request(&zone, &[("type", "gp2")])).await.unwrap(), id, "a retry finds it");
    let filter = |name: &str, value: &str| Filter { name: name.into(), values: vec![value.into()] };
    let found = described(&driver, &[filter("tag:kubernetes.io/created-for/pvc/name", "data")]).await;
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].id.as_str(), found[0].shape.volume_type.as_str()), (id.as_str(), "gp2"));

    assert_eq!(driver.attach(&id, &instance).await.unwrap(), "/dev/xvdaa");
    assert_eq!(driver.attach(&id, &instance).await.unwrap(), "/dev/xvdaa", "attached already: the same device");
    let in_use = described(&driver, &[filter("attachment.instance-id", &instance)]).await;
    assert_eq!(in_use[0].state(), "in-use");
    assert!(driver.delete(&id).await.unwrap_err().contains("currently attached"));
    driver.detach(&id, "i-0123456789abcdef1").await.unwrap();
    assert_eq!(described(&driver, &[]).await[0].state(), "in-use", "detaching elsewhere leaves it");
    driver.detach(&id, &instance).await.unwrap();
    driver.detach(&id, &instance).await.unwrap();
    assert_eq!(described(&driver, &[]).await[0].state(), "available");
    driver.delete(&id).await.unwrap();
    driver.delete(&id).await.unwrap();
    assert!(described(&driver, &[]).await.is_empty());
}

#[tokio::test]
async fn an_attached_volume_is_detached_when_its_instance_terminates() {
    let (driver, instance, zone) = driver().await;
    let id = driver.create(&request(&zone, &[])).await.unwrap();
    driver.attach(&id, &instance).await.unwrap();
    driver
        .ec2
        .change_widening(
            &driver.caller,
            &scopes::instance_ids(std::slice::from_ref(&instance)),
            scopes::instance_subnets,
            |n, _| n.change_instance_states(std::slice::from_ref(&instance), StateRequest::Terminate, 0.0),
        )
        .await
        .unwrap();
    assert_eq!(described(&driver, &[]).await[0].state(), "available");
    assert!(driver.attach(&id, &instance).await.is_err(), "a terminated instance takes no volume");
}

/// Kubernetes clusters that exist only as names.
#[derive(Debug)]
struct Names;

#[async_trait::async_trait]
impl aws_model::eks::KubernetesClusters for Names {
    async fn create(
        &self,
        _spec: &aws_model::eks::KubernetesSpec,
    ) -> Result<aws_model::eks::KubernetesEndpoint, String> {
        Ok(aws_model::eks::KubernetesEndpoint { endpoint: "https://127.0.0.1:6443".into(), ca_pem: "PEM".into() })
    }
    async fn delete(&self, _name: &str) -> Result<(), String> {
        Ok(())
    }
}

#[tokio::test]
async fn the_driver_follows_the_clusters_auto_mode_block_storage() {
    use aws_model::eks::auto_mode::{AutoModeRequest, ComputeRequest};
    use aws_model::eks::updates::ClusterConfigChange;
    let records = Records::new(Arc::new(store::MemoryStore::new()));
    let clock = Arc::new(ManualClock::new(1_800_000_000.0));
    let eks = Eks::new(records.clone(), Arc::new(Names), clock.clone(), Default::default());
    let ec2 = Ec2::new(records, clock);
    let caller = Caller {
        account: "000000000000".into(),
        region: "us-east-1".into(),
        arn: "arn:aws:iam::000000000000:root".into(),
    };
    let input = aws_model::eks::CreateCluster {
        name: "auto".into(),
        role_arn: "arn:aws:iam::000000000000:role/cluster".into(),
        subnet_ids: vec!["subnet-1".into()],
        authentication_mode: Some("API".into()),
        ..Default::default()
    };
    eks.create_cluster(&caller, input).await.unwrap();
    let driver = EbsCsi::for_cluster("auto.us-east-1.000000000000", eks.clone(), ec2.clone()).unwrap();
    assert!(!driver.auto_mode_block_storage().await.unwrap());
    let on = AutoModeRequest {
        compute: Some(ComputeRequest { enabled: Some(true), ..ComputeRequest::default() }),
        block_storage: Some(Some(true)),
        load_balancing: Some(Some(true)),
    };
    let change = ClusterConfigChange { auto_mode: on, ..ClusterConfigChange::default() };
    eks.update_cluster_config(&caller, "auto", change).await.unwrap();
    assert!(driver.auto_mode_block_storage().await.unwrap(), "read again on every ask");
    // A driver built without the cluster never registers Auto Mode's.
    assert!(!EbsCsi::new(caller, ec2).auto_mode_block_storage().await.unwrap());
    assert!(
        EbsCsi::for_cluster(
            "not-an-eks-name",
            eks,
            Ec2::new(Records::new(Arc::new(store::MemoryStore::new())), Arc::new(ManualClock::new(0.0)))
        )
        .is_none()
    );
}

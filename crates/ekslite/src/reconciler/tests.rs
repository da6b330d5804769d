use std::sync::Mutex;

use aws_model::autoscaling::AutoScaling;
use aws_model::clock::ManualClock;
use aws_model::ec2::Ec2;
use aws_model::eks::{
    Cluster, ClusterStatus, CreateCluster, EksConfig, EksError, KubernetesClusters, KubernetesEndpoint, KubernetesSpec,
};
use aws_model::records::Records;

use super::*;

/// Kubernetes clusters as names: what was made and deleted.
#[derive(Debug, Default)]
struct Names {
    created: Mutex<Vec<String>>,
    deleted: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl KubernetesClusters for Names {
    async fn create(&self, spec: &KubernetesSpec) -> Result<KubernetesEndpoint, String> {
        self.created.lock().unwrap().push(spec.name.clone());
        Ok(KubernetesEndpoint { endpoint: "https://127.0.0.1:6443".into(), ca_pem: "PEM".into() })
    }
    async fn delete(&self, name: &str) -> Result<(), String> {
        self.deleted.lock().unwrap().push(name.to_owned());
        Ok(())
    }
}

/// Node group instances as the region's Auto Scaling reconcile keeps them.
struct Regions(crate::regions::RegionSyncs);

#[async_trait::async_trait]
impl NodegroupInstances for Regions {
    async fn follow(&self, scope: &Caller) -> Result<(), String> {
        self.0.reconciled(scope).await
    }
}

fn caller() -> Caller {
    Caller { account: "000000000000".into(), region: "eu-west-1".into(), arn: "arn:aws:iam::000000000000:root".into() }
}

/// Polls `done` every 10 ms for up to a minute of (paused, so instant) time.
async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done().await {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_create_an_earlier_run_left_is_finished_at_start_and_a_delete_is_released_as_soon_as_it_is_written() {
    let store: DynStore = Arc::new(store::MemoryStore::new());
    let clock = Arc::new(ManualClock::new(1_800_000_000.0));
    let kubernetes = Arc::new(Names::default());
    let eks = |boot| {
        Eks::new(Records::new(Arc::clone(&store)), kubernetes.clone(), clock.clone(), EksConfig::default())
            .with_server("s", boot)
    };
    let input = CreateCluster {
        name: "demo".into(),
        role_arn: "arn:aws:iam::000000000000:role/eks".into(),
        subnet_ids: vec!["subnet-1".into(), "subnet-2".into()],
        ..CreateCluster::default()
    };
    eks(1).create_cluster(&caller(), input).await.unwrap();
    // As the first run left it when it was killed before the control plane answered.
    let records = Records::new(Arc::clone(&store));
    let key = Records::regional_key("000000000000", "eu-west-1", "eks", "clusters", "demo");
    let stored = records.get::<Cluster>(&key).await.unwrap().unwrap();
    let cut = Cluster { endpoint: String::new(), status: ClusterStatus::Creating, ..stored.value };
    records.update(&key, &cut, stored.revision).await.unwrap();

    let second = eks(2);
    let ec2 = Ec2::new(Records::new(Arc::clone(&store)), clock.clone());
    let regions = Arc::new(Regions(crate::regions::RegionSyncs::new(AutoScaling::new(second.clone(), ec2))));
    let reconciler = Reconciler::spawn(Arc::clone(&store), second.clone(), regions, clock.clone());
    until("the create to be finished", async || {
        second.describe_cluster(&caller(), "demo").await.unwrap().status == ClusterStatus::Active
    })
    .await;
    assert_eq!(kubernetes.created.lock().unwrap().len(), 2, "made by the first run, then by the reconciler");

    let asked = Instant::now();
    second.delete_cluster(&caller(), "demo").await.unwrap();
    until("the cluster to go", async || {
        matches!(second.describe_cluster(&caller(), "demo").await, Err(EksError::ResourceNotFound(_)))
    })
    .await;
    // Woken by the write, not by the periodic pass (time here only moves when every task waits).
    assert!(asked.elapsed() < PERIOD, "took {:?}", asked.elapsed());
    assert_eq!(*kubernetes.deleted.lock().unwrap(), ["demo.eu-west-1.000000000000"]);
    reconciler.stop().await;
}

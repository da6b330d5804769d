use std::sync::Mutex;

use store::MemoryStore;

use super::*;
use crate::clock::ManualClock;

/// Kubernetes clusters that exist only as names.
#[derive(Debug, Default)]
pub(crate) struct FakeKubernetes {
    pub(crate) created: Mutex<Vec<KubernetesSpec>>,
    pub(crate) deleted: Mutex<Vec<String>>,
    /// Add-on objects put in (`true`) and taken out (`false`), by cluster and add-on.
    pub(crate) addons: Mutex<Vec<(String, String, bool)>>,
    pub(crate) fail: bool,
    pub(crate) fail_addons: bool,
    /// The add-ons whose workloads lack ready replicas, by name.
    pub(crate) unready: Mutex<Vec<String>>,
    /// How many times `addon_ready` was asked.
    pub(crate) readiness_looks: Mutex<usize>,
    /// Creates wait while a test holds this for writing.
    pub(crate) gate: tokio::sync::RwLock<()>,
}

#[async_trait::async_trait]
impl KubernetesClusters for FakeKubernetes {
    async fn create(&self, spec: &KubernetesSpec) -> Result<KubernetesEndpoint, String> {
        let _open = self.gate.read().await;
        if self.fail {
            return Err("no ports left".into());
        }
        self.created.lock().unwrap().push(spec.clone());
        Ok(KubernetesEndpoint { endpoint: "https://127.0.0.1:6443".into(), ca_pem: "PEM".into() })
    }
    async fn delete(&self, name: &str) -> Result<(), String> {
        self.deleted.lock().unwrap().push(name.to_owned());
        Ok(())
    }
    async fn addon(&self, cluster: &str, addon: &addons::Addon, installed: bool) -> Result<(), String> {
        if self.fail_addons {
            return Err("the API server does not answer".into());
        }
        self.addons.lock().unwrap().push((cluster.to_owned(), addon.name.clone(), installed));
        Ok(())
    }
    async fn addon_ready(&self, _cluster: &str, addon: &addons::Addon) -> Result<bool, String> {
        *self.readiness_looks.lock().unwrap() += 1;
        Ok(!self.unready.lock().unwrap().contains(&addon.name))
    }
}

/// Node groups whose instances need nothing to terminate; counts the calls.
#[derive(Debug, Default)]
pub(crate) struct NoInstances(pub(crate) Mutex<usize>);

#[async_trait::async_trait]
impl reconcile::NodegroupInstances for NoInstances {
    async fn follow(&self, _: &Caller) -> Result<(), String> {
        *self.0.lock().unwrap() += 1;
        Ok(())
    }
}

/// One reconcile pass over [`caller`]'s account and region, in which no step fails.
pub(crate) async fn reconcile(eks: &Eks) -> reconcile::Pass {
    let pass = eks.reconcile(&caller(), &NoInstances::default()).await.unwrap();
    assert!(pass.failures.is_empty(), "{:?}", pass.failures);
    pass
}

pub(crate) struct Fixture {
    pub(crate) eks: Eks,
    pub(crate) kubernetes: Arc<FakeKubernetes>,
    pub(crate) clock: Arc<ManualClock>,
}

pub(crate) fn fixture(config: EksConfig) -> Fixture {
    fixture_with(config, FakeKubernetes::default())
}

pub(crate) fn fixture_with(config: EksConfig, kubernetes: FakeKubernetes) -> Fixture {
    let records = Records::new(Arc::new(MemoryStore::new()));
    let kubernetes = Arc::new(kubernetes);
    let clock = Arc::new(ManualClock::new(1_800_000_000.0));
    let eks = Eks::new(records, kubernetes.clone(), clock.clone(), config);
    Fixture { eks, kubernetes, clock }
}

pub(crate) fn caller() -> Caller {
    Caller { account: "000000000000".into(), region: "us-east-1".into(), arn: "arn:aws:iam::000000000000:root".into() }
}

pub(crate) fn input(name: &str) -> CreateCluster {
    CreateCluster {
        name: name.into(),
        role_arn: "arn:aws:iam::000000000000:role/eks-cluster".into(),
        subnet_ids: vec!["subnet-1".into(), "subnet-2".into()],
        ..CreateCluster::default()
    }
}

#[tokio::test]
async fn a_cluster_is_creating_then_active_with_its_defaults() {
    let f = fixture(EksConfig { create_seconds: 10.0, ..EksConfig::default() });
    let created = f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    assert_eq!(created.status, ClusterStatus::Creating);
    assert_eq!(created.arn, "arn:aws:eks:us-east-1:000000000000:cluster/demo");
    assert_eq!(created.version, "1.34", "the newest version by default");
    assert_eq!(created.service_ipv4_cidr, "10.100.0.0/16");
    assert_eq!(created.authentication_mode, "CONFIG_MAP");
    assert!(created.bootstrap_cluster_creator_admin_permissions);
    assert_eq!(created.endpoint, "https://127.0.0.1:6443");
    assert_eq!(created.certificate_authority, "UEVN", "base64 of the PEM");
    // The issuer is served by the cluster's own endpoint, under the id the Kubernetes side was given.
    let spec = f.kubernetes.created.lock().unwrap()[0].clone();
    assert_eq!(spec.issuer_id.len(), 32);
    assert!(spec.issuer_id.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
    assert_eq!(created.oidc_issuer, format!("https://127.0.0.1:6443/id/{}", spec.issuer_id));
    assert_eq!(spec.name, "demo.us-east-1.000000000000");

    assert_eq!(f.eks.describe_cluster(&caller(), "demo").await.unwrap().status, ClusterStatus::Creating);
    f.clock.advance(10.0);
    assert_eq!(f.eks.describe_cluster(&caller(), "demo").await.unwrap().status, ClusterStatus::Active);
}

#[tokio::test]
async fn deleting_reports_deleting_then_the_cluster_is_gone() {
    let f = fixture(EksConfig { delete_seconds: 5.0, ..EksConfig::default() });
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    let deleting = f.eks.delete_cluster(&caller(), "demo").await.unwrap();
    assert_eq!(deleting.status, ClusterStatus::Deleting);
    assert!(f.kubernetes.deleted.lock().unwrap().is_empty(), "the call answers before the Kubernetes side is touched");
    assert_eq!(f.eks.describe_cluster(&caller(), "demo").await.unwrap().status, ClusterStatus::Deleting);
    assert_eq!(f.eks.delete_cluster(&caller(), "demo").await.unwrap().status, ClusterStatus::Deleting);
    f.clock.advance(5.0);
    // Its time is up, but it holds its Kubernetes cluster until the reconciler lets go of it.
    assert_eq!(f.eks.describe_cluster(&caller(), "demo").await.unwrap().status, ClusterStatus::Deleting);
    reconcile(&f.eks).await;
    assert_eq!(*f.kubernetes.deleted.lock().unwrap(), ["demo.us-east-1.000000000000"]);
    let gone = f.eks.describe_cluster(&caller(), "demo").await.unwrap_err();
    assert_eq!(gone, EksError::ResourceNotFound("No cluster found for name: demo.".into()));
    assert_eq!(f.eks.list_clusters(&caller(), None, None).await.unwrap().0, Vec::<String>::new());
}

#[tokio::test]
async fn clusters_are_per_account_and_region_and_listed_in_pages() {
    let f = fixture(EksConfig::default());
    for name in ["c", "a", "b"] {
        f.eks.create_cluster(&caller(), input(name)).await.unwrap();
    }
    let elsewhere = Caller { region: "eu-west-1".into(), ..caller() };
    f.eks.create_cluster(&elsewhere, input("a")).await.unwrap();
    let (first, token) = f.eks.list_clusters(&caller(), Some(2), None).await.unwrap();
    assert_eq!(first, ["a", "b"]);
    let (rest, end) = f.eks.list_clusters(&caller(), Some(2), token.as_deref()).await.unwrap();
    assert_eq!((rest, end), (vec!["c".to_owned()], None));
    assert_eq!(f.eks.list_clusters(&elsewhere, None, None).await.unwrap().0, ["a"]);
    for (max, token) in [(Some(0), None), (Some(101), None), (None, Some("%%%"))] {
        assert!(matches!(f.eks.list_clusters(&caller(), max, token).await, Err(EksError::InvalidParameter(_))));
    }
}

#[tokio::test]
async fn invalid_creates_are_refused_and_leave_nothing() {
    let f = fixture(EksConfig { max_clusters: 1, ..EksConfig::default() });
    let cases: Vec<(CreateCluster, &str)> = vec![
        (input("-bad"), "failed to satisfy constraint"),
        (input(&"x".repeat(101)), "failed to satisfy constraint"),
        (input("has.dot"), "failed to satisfy constraint"),
        (CreateCluster { version: Some("1.12".into()), ..input("old") }, "unsupported Kubernetes version"),
        (CreateCluster { role_arn: "arn:aws:iam::1:role/x".into(), ..input("role") }, "Invalid role ARN"),
        (CreateCluster { subnet_ids: vec![], ..input("nets") }, "at least two different AZs"),
        (CreateCluster { service_ipv4_cidr: Some("8.8.0.0/16".into()), ..input("cidr") }, "serviceIpv4Cidr"),
        (CreateCluster { service_ipv4_cidr: Some("10.0.0.0/8".into()), ..input("wide") }, "serviceIpv4Cidr"),
        (CreateCluster { service_ipv4_cidr: Some("garbage".into()), ..input("junk") }, "serviceIpv4Cidr"),
        (CreateCluster { enabled_log_types: vec!["kubelet".into()], ..input("logs") }, "Unknown log type"),
        (CreateCluster { authentication_mode: Some("LDAP".into()), ..input("auth") }, "authentication mode"),
    ];
    for (case, message) in cases {
        let name = case.name.clone();
        let error = f.eks.create_cluster(&caller(), case).await.unwrap_err();
        assert!(matches!(&error, EksError::InvalidParameter(m) if m.contains(message)), "{name}: {error:?}");
    }
    assert!(f.kubernetes.created.lock().unwrap().is_empty());
    assert_eq!(f.eks.list_clusters(&caller(), None, None).await.unwrap().0, Vec::<String>::new());

    f.eks.create_cluster(&caller(), input("one")).await.unwrap();
    let again = f.eks.create_cluster(&caller(), input("one")).await.unwrap_err();
    assert_eq!(again, EksError::ResourceInUse("Cluster already exists with name: one".into()));
    let over = f.eks.create_cluster(&caller(), input("two")).await.unwrap_err();
    assert!(matches!(over, EksError::ResourceLimitExceeded(_)));
}

#[tokio::test]
async fn a_failed_control_plane_leaves_no_record() {
    let f = fixture_with(EksConfig::default(), FakeKubernetes { fail: true, ..FakeKubernetes::default() });
    let error = f.eks.create_cluster(&caller(), input("demo")).await.unwrap_err();
    assert!(matches!(error, EksError::Server(_)));
    assert!(matches!(f.eks.describe_cluster(&caller(), "demo").await, Err(EksError::ResourceNotFound(_))));
}

#[tokio::test]
async fn a_kubernetes_name_leads_back_to_its_cluster() {
    let f = fixture(EksConfig::default());
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    let (owner, cluster) = f.eks.by_kubernetes_name("demo.us-east-1.000000000000").await.unwrap().unwrap();
    assert_eq!((owner.account.as_str(), cluster.name.as_str()), ("000000000000", "demo"));
    for garbage in ["demo", "", "x.y.z", "demo.us-east-1"] {
        assert!(f.eks.by_kubernetes_name(garbage).await.unwrap().is_none(), "{garbage}");
    }
}

#[test]
fn service_cidrs_are_normalised() {
    assert_eq!(validate_service_cidr("172.20.5.0/16").unwrap(), "172.20.0.0/16");
    assert_eq!(validate_service_cidr("192.168.0.0/24").unwrap(), "192.168.0.0/24");
    for bad in ["192.168.0.0/12", "172.32.0.0/16", "10.0.0.0/25", "10.0.0.0", "10.0.0.0/x", "/16"] {
        assert!(validate_service_cidr(bad).is_err(), "{bad}");
    }
}

/// A Kubernetes side that, while its control plane starts, reads the cluster as the data plane does.
#[derive(Debug, Default)]
struct ReadsWhileStarting(std::sync::OnceLock<Eks>);

#[async_trait::async_trait]
impl KubernetesClusters for ReadsWhileStarting {
    async fn create(&self, spec: &KubernetesSpec) -> Result<KubernetesEndpoint, String> {
        let eks = self.0.get().expect("set before any create");
        let (_, seen) = eks.by_kubernetes_name(&spec.name).await.unwrap().expect("the record comes first");
        assert_eq!(seen.status, ClusterStatus::Creating, "not ACTIVE before its control plane is up");
        assert_eq!(seen.endpoint, "");
        Ok(KubernetesEndpoint { endpoint: "https://127.0.0.1:6443".into(), ca_pem: "PEM".into() })
    }
    async fn delete(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
}

#[tokio::test]
async fn a_read_while_the_control_plane_starts_neither_activates_the_cluster_nor_fails_the_create() {
    let kubernetes = Arc::new(ReadsWhileStarting::default());
    let records = Records::new(Arc::new(MemoryStore::new()));
    let clock = Arc::new(ManualClock::new(1_800_000_000.0));
    let eks = Eks::new(records, kubernetes.clone(), clock, EksConfig::default());
    kubernetes.0.set(eks.clone()).unwrap();
    let created = eks.create_cluster(&caller(), input("demo")).await.unwrap();
    assert_eq!(created.endpoint, "https://127.0.0.1:6443");
    let described = eks.describe_cluster(&caller(), "demo").await.unwrap();
    assert_eq!(described.status, ClusterStatus::Active);
    assert_eq!(described.endpoint, "https://127.0.0.1:6443");
    assert_eq!(described.certificate_authority, "UEVN");
}

#[tokio::test]
async fn a_cluster_defaults_to_extended_support_and_keeps_what_it_was_given() {
    let f = fixture(EksConfig::default());
    let created = f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    assert_eq!(created.support_type, "EXTENDED");
    assert!(!created.deletion_protection && created.encryption.is_empty() && created.remote_network.is_none());
    let key = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let given = CreateCluster {
        support_type: Some("STANDARD".into()),
        encryption: vec![encryption::EncryptionConfig { resources: vec!["secrets".into()], key_arn: key.into() }],
        remote_network: Some(hybrid::RemoteNetworkConfig {
            node_networks: vec![vec!["10.80.0.0/16".into()]],
            pod_networks: vec![vec!["10.90.0.0/16".into()]],
        }),
        deletion_protection: Some(true),
        ..input("kept")
    };
    f.eks.create_cluster(&caller(), given.clone()).await.unwrap();
    let read = f.eks.describe_cluster(&caller(), "kept").await.unwrap();
    assert_eq!(read.support_type, "STANDARD");
    assert_eq!(read.encryption, given.encryption);
    assert_eq!(read.remote_network, given.remote_network);
    assert!(read.deletion_protection);
    let bad = CreateCluster { support_type: Some("FOREVER".into()), ..input("bad") };
    assert!(matches!(f.eks.create_cluster(&caller(), bad).await, Err(EksError::InvalidParameter(_))));
}

#[tokio::test]
async fn the_same_client_request_token_gets_the_same_cluster() {
    let f = fixture(EksConfig::default());
    let first = CreateCluster { client_request_token: Some("token-1".into()), ..input("demo") };
    let made = f.eks.create_cluster(&caller(), first.clone()).await.unwrap();
    let again = f.eks.create_cluster(&caller(), first).await.unwrap();
    assert_eq!((again.arn, again.created_at), (made.arn, made.created_at));
    assert_eq!(f.kubernetes.created.lock().unwrap().len(), 1, "one control plane");
    // Another token, or none, is a second create of a taken name.
    for token in [Some("token-2".to_owned()), None] {
        let other = CreateCluster { client_request_token: token, ..input("demo") };
        assert!(matches!(f.eks.create_cluster(&caller(), other).await, Err(EksError::ResourceInUse(_))));
    }
    for bad in ["", "a\0b", &"t".repeat(65)] {
        let other = CreateCluster { client_request_token: Some(bad.into()), ..input("other") };
        assert!(matches!(f.eks.create_cluster(&caller(), other).await, Err(EksError::InvalidParameter(_))));
    }
}

#[tokio::test]
async fn deletion_protection_holds_an_active_cluster_until_it_is_turned_off() {
    let f = fixture(EksConfig::default());
    let protected = CreateCluster { deletion_protection: Some(true), ..input("demo") };
    f.eks.create_cluster(&caller(), protected).await.unwrap();
    let refused = f.eks.delete_cluster(&caller(), "demo").await.unwrap_err();
    assert!(matches!(&refused, EksError::InvalidRequest(m) if m.contains("deletion protection")), "{refused:?}");
    assert_eq!(f.eks.describe_cluster(&caller(), "demo").await.unwrap().status, ClusterStatus::Active);
    let off = updates::ClusterConfigChange { deletion_protection: Some(false), ..Default::default() };
    let update = f.eks.update_cluster_config(&caller(), "demo", off).await.unwrap();
    assert_eq!(update.kind, "DeletionProtectionUpdate");
    assert_eq!(update.params, [("DeletionProtection".to_owned(), "false".to_owned())]);
    assert_eq!(f.eks.delete_cluster(&caller(), "demo").await.unwrap().status, ClusterStatus::Deleting);
}

#[tokio::test]
async fn a_cluster_with_node_groups_names_one_when_it_refuses_deletion() {
    let f = fixture(EksConfig::default());
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    let group = nodegroups::CreateNodegroup {
        cluster: "demo".into(),
        name: "workers".into(),
        subnets: vec!["subnet-a".into()],
        node_role: "arn:aws:iam::000000000000:role/node".into(),
        ..nodegroups::CreateNodegroup::default()
    };
    f.eks.create_nodegroup(&caller(), group).await.unwrap();
    let refused = f.eks.delete_cluster(&caller(), "demo").await.unwrap_err();
    assert_eq!(
        refused,
        EksError::NodegroupInUse { message: "Cluster has nodegroups attached".into(), nodegroup: "workers".into() }
    );
}

#[tokio::test]
async fn config_map_clusters_must_bootstrap_their_creator() {
    let f = fixture(EksConfig::default());
    let refused = CreateCluster { bootstrap_cluster_creator_admin_permissions: Some(false), ..input("demo") };
    let error = f.eks.create_cluster(&caller(), refused).await.unwrap_err();
    assert!(matches!(&error, EksError::InvalidParameter(m) if m.contains("CONFIG_MAP")), "{error:?}");
    let api = CreateCluster {
        authentication_mode: Some("API".into()),
        bootstrap_cluster_creator_admin_permissions: Some(false),
        ..input("demo")
    };
    assert!(!f.eks.create_cluster(&caller(), api).await.unwrap().bootstrap_cluster_creator_admin_permissions);
}

#[tokio::test]
async fn children_made_with_a_token_are_answered_again_for_the_same_token() {
    let f = fixture(EksConfig::default());
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    let token = Some("token-1".to_owned());
    let group = nodegroups::CreateNodegroup {
        cluster: "demo".into(),
        name: "workers".into(),
        subnets: vec!["subnet-a".into()],
        node_role: "arn:aws:iam::000000000000:role/node".into(),
        client_request_token: token.clone(),
        ..nodegroups::CreateNodegroup::default()
    };
    let made = f.eks.create_nodegroup(&caller(), group.clone()).await.unwrap();
    assert_eq!(f.eks.create_nodegroup(&caller(), group.clone()).await.unwrap().arn, made.arn);
    let other = nodegroups::CreateNodegroup { client_request_token: Some("token-2".into()), ..group };
    assert!(matches!(f.eks.create_nodegroup(&caller(), other).await, Err(EksError::ResourceInUse(_))));

    let profile = fargate::CreateFargateProfile {
        cluster: "demo".into(),
        name: "fp".into(),
        pod_execution_role_arn: "arn:aws:iam::000000000000:role/pods".into(),
        selectors: vec![fargate::Selector { namespace: Some("default".into()), labels: Default::default() }],
        client_request_token: token.clone(),
        ..fargate::CreateFargateProfile::default()
    };
    let made = f.eks.create_fargate_profile(&caller(), profile.clone()).await.unwrap();
    assert_eq!(f.eks.create_fargate_profile(&caller(), profile.clone()).await.unwrap().arn, made.arn);
    let untokened = fargate::CreateFargateProfile { client_request_token: None, ..profile };
    assert!(matches!(f.eks.create_fargate_profile(&caller(), untokened).await, Err(EksError::ResourceInUse(_))));

    let addon = addons::AddonRequest {
        cluster: "demo".into(),
        name: "vpc-cni".into(),
        client_request_token: token,
        ..addons::AddonRequest::default()
    };
    let made = f.eks.create_addon(&caller(), addon.clone()).await.unwrap();
    assert_eq!(f.eks.create_addon(&caller(), addon.clone()).await.unwrap().arn, made.arn);
    let bad = addons::AddonRequest { name: "coredns".into(), client_request_token: Some("\0".into()), ..addon };
    assert!(matches!(f.eks.create_addon(&caller(), bad).await, Err(EksError::InvalidParameter(_))));
}

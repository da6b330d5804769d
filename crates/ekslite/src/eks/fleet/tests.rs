use std::sync::Arc;

use aws_model::clock::ManualClock;
use aws_model::ec2::instances::bootstrap::read_user_data;
use aws_model::eks::{CreateCluster, EksConfig, KubernetesClusters, KubernetesEndpoint, KubernetesSpec};
use aws_model::iam::{CreateRole, Iam};
use aws_model::records::Records;
use controllers::fleet::LaunchOverride;
use k8s_openapi::api::core::v1::Taint;
use serde_json::json;

use super::*;

#[derive(Debug)]
struct Endpoints;

#[async_trait::async_trait]
impl KubernetesClusters for Endpoints {
    async fn create(&self, _: &KubernetesSpec) -> Result<KubernetesEndpoint, String> {
        Ok(KubernetesEndpoint { endpoint: "https://127.0.0.1:6443".into(), ca_pem: "PEM".into() })
    }
    async fn delete(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
}

fn caller() -> Caller {
    Caller { account: "000000000000".into(), region: "us-east-1".into(), arn: "arn:aws:iam::000000000000:root".into() }
}

/// A cluster `demo` in the default VPC's subnets, a role `KarpenterNodeRole`, and its fleet.
async fn world() -> (ClusterFleet, Vec<String>, Arc<ManualClock>) {
    let store: store::DynStore = Arc::new(store::MemoryStore::new());
    let clock = Arc::new(ManualClock::new(1_800_000_000.0));
    let shared = clock.clone();
    let ec2 = Ec2::new(Records::new(store.clone()), shared.clone());
    let eks = Eks::new(Records::new(store.clone()), Arc::new(Endpoints), shared.clone(), EksConfig::default());
    let iam = Iam::new(Records::new(store.clone()), shared);
    let subnets: Vec<String> =
        ec2.view(&caller(), &scopes::subnets(), |network| network.subnets.keys().cloned().collect()).await.unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let role =
        CreateRole { name: "KarpenterNodeRole".into(), assume_role_policy: trust.into(), ..CreateRole::default() };
    iam.create_role("000000000000", role).await.unwrap();
    let input = CreateCluster {
        name: "demo".into(),
        role_arn: "arn:aws:iam::000000000000:role/eks".into(),
        subnet_ids: subnets.clone(),
        ..CreateCluster::default()
    };
    eks.create_cluster(&caller(), input).await.unwrap();
    (ClusterFleet::new(caller(), "demo", eks, ec2, Some(iam)), subnets, clock)
}

fn class(subnets: &[String]) -> Value {
    json!({
        "role": "KarpenterNodeRole",
        "subnetSelectorTerms": [{"id": subnets[0]}, {"id": subnets[1]}],
        "securityGroupSelectorTerms": [{"name": "default"}],
        "amiSelectorTerms": [{"alias": "al2023@latest"}],
    })
}

fn request(resolved: &ResolvedClass, overrides: Vec<LaunchOverride>) -> LaunchRequest {
    LaunchRequest {
        node_claim: "default-abcde".into(),
        node_pool: "default".into(),
        class_kind: ClassKind::Ec2NodeClass,
        class_name: "default".into(),
        class: resolved.clone(),
        overrides,
        labels: [("karpenter.sh/nodepool".to_owned(), "default".to_owned())].into(),
        taints: vec![Taint {
            key: "karpenter.sh/unregistered".into(),
            value: None,
            effect: "NoExecute".into(),
            time_added: None,
        }],
        tags: [("karpenter.k8s.aws/ec2nodeclass".to_owned(), "default".to_owned())].into(),
    }
}

fn offer(kind: &str, subnet: &ClassSubnet, capacity_type: &str) -> LaunchOverride {
    let price = instance_type(kind).unwrap().price(capacity_type);
    LaunchOverride {
        instance_type: kind.into(),
        subnet_id: subnet.id.clone(),
        zone: subnet.zone.clone(),
        capacity_type: capacity_type.into(),
        price,
    }
}

#[tokio::test]
async fn a_class_resolves_to_subnets_groups_images_and_a_profile_made_once() {
    let (fleet, subnets, _) = world().await;
    let resolved = fleet.resolve(ClassKind::Ec2NodeClass, "default", &class(&subnets)).await.unwrap();
    assert_eq!(resolved.subnets.len(), 2);
    assert!(resolved.subnets.iter().all(|subnet| subnets[..2].contains(&subnet.id) && subnet.available_ips > 4000));
    assert_eq!(resolved.security_groups.len(), 1);
    assert_eq!(resolved.security_groups[0].name, "default");
    let architectures: Vec<&str> = resolved.images.iter().map(|image| image.architecture.as_str()).collect();
    assert_eq!(architectures.len(), 2);
    assert!(architectures.contains(&"amd64") && architectures.contains(&"arm64"));
    assert!(resolved.images.iter().all(|image| image.name.starts_with("amazon-eks-node-al2023-")));
    let expected = profile_name(ClassKind::Ec2NodeClass, "demo", "us-east-1", "KarpenterNodeRole");
    assert_eq!(resolved.instance_profile, expected);
    assert!(expected.starts_with("demo_"));
    let view = fleet.iam.as_ref().unwrap().get_instance_profile("000000000000", &expected).await.unwrap();
    assert_eq!(view.profile.roles, vec!["KarpenterNodeRole".to_owned()]);
    // Resolving again reuses it.
    let again = fleet.resolve(ClassKind::Ec2NodeClass, "default", &class(&subnets)).await.unwrap();
    assert_eq!(again, resolved);
}

#[tokio::test]
async fn classes_that_select_nothing_or_name_a_missing_role_are_refused() {
    let (fleet, subnets, _) = world().await;
    let check = async |spec: Value, expect: &str| {
        let refused = fleet.resolve(ClassKind::Ec2NodeClass, "default", &spec).await.unwrap_err();
        assert!(refused.contains(expect), "{refused}");
    };
    let mut spec = class(&subnets);
    spec["subnetSelectorTerms"] = json!([{"tags": {"karpenter.sh/discovery": "demo"}}]);
    check(spec, "SubnetSelector did not match any Subnets").await;
    let mut spec = class(&subnets);
    spec["securityGroupSelectorTerms"] = json!([{"id": "sg-0123456789abcdef0"}]);
    check(spec, "SecurityGroupSelector").await;
    let mut spec = class(&subnets);
    spec["amiSelectorTerms"] = json!([{"alias": "windows2022@latest"}]);
    check(spec, "not supported").await;
    let mut spec = class(&subnets);
    spec["amiSelectorTerms"] = json!([{"name": "no-such-image-*"}]);
    check(spec, "AMISelector").await;
    let mut spec = class(&subnets);
    spec["role"] = json!("Missing");
    check(spec, "adding role \"Missing\" to instance profile").await;
    check(json!({"role": "KarpenterNodeRole"}), "required").await;
    check(json!("garbage"), "no spec").await;
    let mut spec = class(&subnets);
    spec["subnetSelectorTerms"] = json!("all of them");
    check(spec, "list of selector terms").await;
}

#[tokio::test]
async fn auto_mode_classes_default_to_the_clusters_subnets_and_group_with_bottlerocket() {
    let (fleet, subnets, _) = world().await;
    // This cluster was made without its cluster security group (EKS here is not wired to EC2).
    let refused = fleet.resolve(ClassKind::AutoModeNodeClass, "default", &json!({"role": "KarpenterNodeRole"})).await;
    assert_eq!(refused.unwrap_err(), "SecurityGroupSelector did not match any SecurityGroups");
    let spec = json!({"role": "arn:aws:iam::000000000000:role/KarpenterNodeRole",
                      "securityGroupSelectorTerms": [{"name": "default"}]});
    let resolved = fleet.resolve(ClassKind::AutoModeNodeClass, "default", &spec).await.unwrap();
    assert_eq!(resolved.subnets.len(), subnets.len());
    assert!(resolved.images.iter().all(|image| image.name.starts_with("bottlerocket-")));
    assert!(resolved.instance_profile.starts_with("eks-us-east-1-demo-"));
}

#[tokio::test]
async fn instance_types_are_priced_offerings_with_the_nodes_allocatable() {
    let (fleet, subnets, _) = world().await;
    let resolved = fleet.resolve(ClassKind::Ec2NodeClass, "default", &class(&subnets)).await.unwrap();
    let types = fleet.instance_types(&resolved).await.unwrap();
    assert_eq!(types.len(), INSTANCE_TYPES.len());
    let m5 = types.iter().find(|kind| kind.name == "m5.large").unwrap();
    assert_eq!((m5.category.as_str(), m5.family.as_str(), m5.generation, m5.size.as_str()), ("m", "m5", 5, "large"));
    assert_eq!((m5.cpu_manufacturer.as_str(), m5.architecture.as_str()), ("intel", "amd64"));
    assert_eq!(m5.offerings.len(), 4);
    let spot = m5.offerings.iter().find(|o| o.capacity_type == "spot").unwrap();
    assert_eq!(spot.price, instance_type("m5.large").unwrap().spot_price());
    assert!(m5.offerings.iter().all(|o| o.available));
    // As the node registers: 2 vCPU less the AMI's 70m; 8 GiB less 11 MiB per pod (29) + 255 MiB and the 100 MiB
    // eviction threshold.
    assert_eq!((m5.capacity_cpu_millis, m5.allocatable_cpu_millis), (2000, 1930));
    assert_eq!(m5.capacity_memory_bytes, 8192 << 20);
    assert_eq!(m5.allocatable_memory_bytes, (8192 - 11 * 29 - 255 - 100) << 20);
    assert_eq!(m5.max_pods, 29);
    let gpu = types.iter().find(|kind| kind.name == "p3.2xlarge").unwrap();
    assert_eq!((gpu.gpu_name.as_deref(), gpu.gpu_manufacturer.as_deref()), (Some("v100"), Some("nvidia")));
    assert_eq!(gpu.hypervisor, "xen");
}

#[tokio::test]
async fn a_launch_makes_a_template_and_an_instance_that_joins_the_cluster() {
    let (fleet, subnets, clock) = world().await;
    let resolved = fleet.resolve(ClassKind::Ec2NodeClass, "default", &class(&subnets)).await.unwrap();
    let (a, b) = (&resolved.subnets[0], &resolved.subnets[1]);
    let overrides =
        vec![offer("m5.large", a, "on-demand"), offer("c7g.large", b, "on-demand"), offer("m5.xlarge", a, "on-demand")];
    let launched = fleet.launch(&request(&resolved, overrides.clone())).await.unwrap();
    assert_eq!((launched.instance_type.as_str(), launched.capacity_type.as_str()), ("c7g.large", "on-demand"));
    assert_eq!(launched.provider_id, format!("aws:///{}/{}", b.zone, launched.instance_id));
    let arm = resolved.images.iter().find(|image| image.architecture == "arm64").unwrap();
    assert_eq!(launched.image_id, arm.id);
    let ids = vec![launched.instance_id.clone()];
    let (instance, tags) = fleet
        .ec2
        .view(&caller(), &scopes::instance_ids(&ids), |n| (n.instances[&ids[0]].clone(), n.tags[&ids[0]].clone()))
        .await
        .unwrap();
    let bootstrap = read_user_data(instance.user_data.as_deref().unwrap()).unwrap();
    assert_eq!(bootstrap.cluster, "demo");
    assert_eq!(bootstrap.labels["karpenter.sh/nodepool"], "default");
    assert_eq!(bootstrap.taints[0].key, "karpenter.sh/unregistered");
    assert_eq!(bootstrap.taints[0].effect, "NO_EXECUTE");
    assert!(instance.instance_profile_arn.as_deref().unwrap().ends_with(&resolved.instance_profile));
    assert_eq!(tags[NODE_CLAIM_TAG], "default-abcde");
    assert_eq!(tags["kubernetes.io/cluster/demo"], "owned");
    assert_eq!(tags["Name"], "karpenter.sh/nodepool/default");
    assert!(tags["aws:ec2launchtemplate:id"].starts_with("lt-"));
    // The same NodeClaim launched again is the same instance.
    let again = fleet.launch(&request(&resolved, overrides)).await.unwrap();
    assert_eq!(again.instance_id, launched.instance_id);
    let listed = fleet.instances().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].instance_id, launched.instance_id);
    fleet.terminate(&launched.instance_id).await.unwrap();
    fleet.terminate(&launched.instance_id).await.unwrap();
    fleet.terminate("i-0123456789abcdef0").await.unwrap();
    clock.advance(1.0);
    let listed = fleet.instances().await.unwrap();
    assert!(listed.is_empty(), "{listed:?}");
}

#[tokio::test]
async fn spot_is_preferred_and_a_full_subnet_makes_its_offerings_unavailable_for_a_while() {
    let (fleet, subnets, clock) = world().await;
    let resolved = fleet.resolve(ClassKind::Ec2NodeClass, "default", &class(&subnets)).await.unwrap();
    let a = resolved.subnets[0].clone();
    let overrides = vec![offer("m5.large", &a, "on-demand"), offer("m5.large", &a, "spot")];
    let launched = fleet.launch(&request(&resolved, overrides)).await.unwrap();
    assert_eq!(launched.capacity_type, "spot");
    // Fill the subnet.
    fleet
        .ec2
        .change(&caller(), &Scope::new().addresses(a.id.as_str()), |network, _| {
            while network.allocate_private_ip(&a.id).is_ok() {}
            Ok(())
        })
        .await
        .unwrap();
    let mut full = request(&resolved, vec![offer("m5.large", &a, "on-demand")]);
    full.node_claim = "default-full".into();
    let refused = fleet.launch(&full).await.unwrap_err();
    let LaunchError::InsufficientCapacity { offerings, .. } = refused else { panic!("{refused:?}") };
    assert_eq!(offerings, vec![("m5.large".to_owned(), a.zone.clone(), "on-demand".to_owned())]);
    let offered = |types: &[InstanceTypeInfo]| {
        let m5 = types.iter().find(|kind| kind.name == "m5.large").unwrap();
        m5.offerings.iter().find(|o| o.zone == a.zone && o.capacity_type == "on-demand").unwrap().available
    };
    assert!(!offered(&fleet.instance_types(&resolved).await.unwrap()));
    clock.advance(UNAVAILABLE_SECONDS);
    assert!(offered(&fleet.instance_types(&resolved).await.unwrap()));
}

#[test]
fn selector_terms_match_ids_names_and_tags_with_wildcards() {
    let tags: BTreeMap<String, String> = [("karpenter.sh/discovery".to_owned(), "demo".to_owned())].into();
    assert!(term_matches(&json!({"tags": {"karpenter.sh/discovery": "demo"}}), "subnet-1", None, Some(&tags)));
    assert!(term_matches(&json!({"tags": {"karpenter.sh/discovery": "*"}}), "subnet-1", None, Some(&tags)));
    assert!(!term_matches(&json!({"tags": {"karpenter.sh/discovery": "other"}}), "subnet-1", None, Some(&tags)));
    assert!(!term_matches(&json!({"tags": {}}), "subnet-1", None, Some(&tags)));
    assert!(term_matches(&json!({"id": "subnet-1"}), "subnet-1", None, None));
    assert!(!term_matches(&json!({"id": "subnet-2"}), "subnet-1", None, None));
    assert!(term_matches(&json!({"name": "web-*"}), "sg-1", Some("web-nodes"), None));
    assert!(!term_matches(&json!({}), "sg-1", Some("web"), None));
    assert!(!term_matches(&json!({"id": "sg-1", "name": "other"}), "sg-1", Some("web"), None));
}

#[test]
fn fleet_instances_carry_the_node_claim_and_the_clusters_tag() {
    let tags = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    };
    assert!(owned_by(Some(&tags(&[(NODE_CLAIM_TAG, "a"), ("kubernetes.io/cluster/demo", "owned")])), "demo"));
    assert!(owned_by(Some(&tags(&[(NODE_CLAIM_TAG, "a"), (AUTO_MODE_CLUSTER_TAG, "demo")])), "demo"));
    assert!(!owned_by(Some(&tags(&[(NODE_CLAIM_TAG, "a"), (AUTO_MODE_CLUSTER_TAG, "other")])), "demo"));
    assert!(!owned_by(Some(&tags(&[("kubernetes.io/cluster/demo", "owned")])), "demo"));
    assert!(!owned_by(None, "demo"));
}

#[tokio::test]
async fn user_data_takes_the_image_familys_form_and_reads_back() {
    let (fleet, subnets, _) = world().await;
    let cluster = fleet.cluster().await.unwrap();
    let resolved = fleet.resolve(ClassKind::Ec2NodeClass, "default", &class(&subnets)).await.unwrap();
    let mut asked = request(&resolved, Vec::new());
    asked.taints.push(Taint {
        key: "gpu".into(),
        value: Some("yes".into()),
        effect: "NoSchedule".into(),
        time_added: None,
    });
    for image in [
        "amazon-eks-node-al2023-x86_64-standard-1.34-v20251016",
        "bottlerocket-aws-k8s-1.34-x86_64-v1.49.0",
        "amazon-eks-node-1.32-v20251016",
    ] {
        let text = user_data(&cluster, image, &asked);
        let read = aws_model::ec2::instances::bootstrap::read_document(&text).unwrap_or_else(|| panic!("{text}"));
        assert_eq!(read.cluster, "demo", "{text}");
        assert_eq!(read.labels, asked.labels, "{text}");
        let taints: Vec<(&str, Option<&str>, &str)> = read
            .taints
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_deref().filter(|v| !v.is_empty()), t.effect.as_str()))
            .collect();
        assert_eq!(
            taints,
            vec![("karpenter.sh/unregistered", None, "NO_EXECUTE"), ("gpu", Some("yes"), "NO_SCHEDULE")],
            "{text}"
        );
    }
    assert!(user_data(&cluster, "bottlerocket-x", &asked).starts_with("[settings.kubernetes]"));
    assert!(user_data(&cluster, "amazon-eks-node-al2023-x", &asked).contains("kind: NodeConfig"));
}

use std::collections::BTreeMap;
use std::sync::Arc;

use store::MemoryStore;

use super::*;
use crate::clock::ManualClock;
use crate::ec2::{CreateSubnet, IdSource};
use crate::eks::fargate::{CreateFargateProfile, Selector};
use crate::eks::nodegroups::{CreateNodegroup, LaunchTemplate};
use crate::eks::tests::{FakeKubernetes, caller};
use crate::eks::{CreateCluster, EksConfig};
use crate::iam::CreateRole;
use crate::records::Records;

const ACCOUNT: &str = "000000000000";
const WORKER: &str = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy";
const REGISTRY: &str = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly";

fn trust(service: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

fn arn(role: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{role}")
}

/// An EKS wired to IAM and EC2, with roles for every use and one wrong one, and a VPC with a subnet in each of
/// three zones plus one in a second VPC.
struct World {
    eks: Eks,
    ec2: Ec2,
    /// Subnets of the main VPC in us-east-1a, -1b and -1c, then a second one in us-east-1a.
    subnets: Vec<String>,
    vpc: String,
    other_vpc_subnet: String,
    other_vpc_group: String,
    /// A subnet of the default VPC, whose route table leads to an internet gateway.
    public_subnet: String,
}

async fn world() -> World {
    let records = Records::new(Arc::new(MemoryStore::new()));
    let clock = Arc::new(ManualClock::new(1_800_000_000.0));
    let iam = Iam::new(records.clone(), clock.clone());
    let ec2 = Ec2::new(records.clone(), clock.clone());
    let eks = Eks::new(records, Arc::new(FakeKubernetes::default()), clock, EksConfig::default())
        .with_iam_and_ec2(iam.clone(), ec2.clone());
    for (name, service, policies) in [
        ("cluster", CLUSTER_SERVICE, &[][..]),
        ("node", NODE_SERVICE, &[WORKER, REGISTRY][..]),
        ("bare-node", NODE_SERVICE, &[WORKER][..]),
        ("pods", FARGATE_SERVICE, &[][..]),
        ("lambda", "lambda.amazonaws.com", &[WORKER, REGISTRY][..]),
    ] {
        let input = CreateRole { name: name.into(), assume_role_policy: trust(service), ..CreateRole::default() };
        iam.create_role(ACCOUNT, input).await.unwrap();
        for policy in policies {
            iam.attach_role_policy(ACCOUNT, name, policy).await.unwrap();
        }
    }
    let zones = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1a"];
    let (vpc, subnets, other_vpc_subnet, other_vpc_group, public_subnet) = ec2
        .change(&caller(), &crate::ec2::Scope::everything(), |network, ids: &mut IdSource| {
            let vpc = network.create_vpc(ids, Some("10.0.0.0/16"), None, &Default::default())?;
            let mut subnets = Vec::new();
            for (index, zone) in zones.iter().enumerate() {
                let input = CreateSubnet {
                    vpc_id: vpc.id.clone(),
                    cidr_block: Some(format!("10.0.{index}.0/24")),
                    availability_zone: Some(zone.to_string()),
                    ..CreateSubnet::default()
                };
                subnets.push(network.create_subnet(ids, &input)?.id);
            }
            let other = network.create_vpc(ids, Some("10.1.0.0/16"), None, &Default::default())?;
            let input = CreateSubnet {
                vpc_id: other.id.clone(),
                cidr_block: Some("10.1.0.0/24".into()),
                availability_zone: Some("us-east-1b".into()),
                ..CreateSubnet::default()
            };
            let other_subnet = network.create_subnet(ids, &input)?.id;
            let group = CreateSecurityGroup {
                name: Some("elsewhere".into()),
                description: Some("d".into()),
                vpc_id: Some(other.id.clone()),
                ..CreateSecurityGroup::default()
            };
            let other_group = network.create_security_group(ids, &group)?.id;
            let public = network.subnets.values().find(|subnet| subnet.default_for_az).unwrap().id.clone();
            Ok((vpc.id, subnets, other_subnet, other_group, public))
        })
        .await
        .unwrap();
    World { eks, ec2, subnets, vpc, other_vpc_subnet, other_vpc_group, public_subnet }
}

impl World {
    fn cluster(&self, name: &str) -> CreateCluster {
        CreateCluster {
            name: name.into(),
            role_arn: arn("cluster"),
            subnet_ids: self.subnets[..3].to_vec(),
            ..CreateCluster::default()
        }
    }

    fn nodegroup(&self) -> CreateNodegroup {
        CreateNodegroup {
            cluster: "demo".into(),
            name: "ng".into(),
            subnets: self.subnets[..2].to_vec(),
            node_role: arn("node"),
            ..CreateNodegroup::default()
        }
    }

    fn profile(&self) -> CreateFargateProfile {
        CreateFargateProfile {
            cluster: "demo".into(),
            name: "fp".into(),
            pod_execution_role_arn: arn("pods"),
            selectors: vec![Selector { namespace: Some("default".into()), labels: Default::default() }],
            ..CreateFargateProfile::default()
        }
    }

    async fn active_demo(&self) {
        self.eks.create_cluster(&caller(), self.cluster("demo")).await.unwrap();
        self.eks.describe_cluster(&caller(), "demo").await.unwrap();
    }
}

fn invalid(message: &str) -> Result<(), EksError> {
    Err(EksError::InvalidParameter(message.into()))
}

/// Creates a cluster and compares the refusal; an `InvalidParameter` expectation may be a prefix.
async fn check_cluster(change: impl FnOnce(&World, &mut CreateCluster), expect: Result<(), EksError>) {
    let w = world().await;
    let mut input = w.cluster("c");
    change(&w, &mut input);
    let got = w.eks.create_cluster(&caller(), input).await.map(drop);
    match (&got, &expect) {
        (Err(EksError::InvalidParameter(got)), Err(EksError::InvalidParameter(prefix))) => {
            assert!(got.starts_with(prefix.as_str()), "{got}")
        }
        _ => assert_eq!(got, expect),
    }
    if expect.is_err() {
        assert_eq!(w.eks.list_clusters(&caller(), None, None).await.unwrap().0, Vec::<String>::new());
        let count = |n: &crate::ec2::Network| n.security_groups.values().filter(|g| g.name.starts_with("eks-")).count();
        assert_eq!(
            w.ec2.view(&caller(), &crate::ec2::Scope::everything(), count).await.unwrap(),
            0,
            "no cluster security group is left behind"
        );
    }
}

const ASSUME: &str = "could not be assumed because it does not exist or the trusted entity is not correct";

#[tokio::test]
async fn cluster_roles_must_exist_in_the_account_and_trust_eks() {
    check_cluster(|_, _| {}, Ok(())).await;
    let refused = |role: &str| format!("Role with arn: {role}, {ASSUME}");
    check_cluster(|_, i| i.role_arn = arn("missing"), invalid(&refused(&arn("missing")))).await;
    check_cluster(|_, i| i.role_arn = arn("node"), invalid(&refused(&arn("node")))).await;
    let foreign = "arn:aws:iam::123456789012:role/cluster";
    check_cluster(|_, i| i.role_arn = foreign.into(), invalid(&refused(foreign))).await;
    check_cluster(|_, i| i.role_arn = "arn:aws:iam::000000000000:role/dev/cluster".into(), invalid("Role with arn"))
        .await;
    for garbage in ["", "cluster", "arn:aws:iam::0:role/x", "arn:aws:s3:::bucket", "arn:aws:iam::000000000000:user/x"] {
        check_cluster(|_, i| i.role_arn = garbage.into(), invalid("Invalid role ARN")).await;
    }
}

#[tokio::test]
async fn cluster_subnets_must_exist_share_a_vpc_and_span_two_zones() {
    check_cluster(|w, i| i.subnet_ids = w.subnets[..2].to_vec(), Ok(())).await;
    let two_zones = "Subnets specified must be in at least two different AZs";
    check_cluster(|w, i| i.subnet_ids = vec![w.subnets[0].clone()], invalid(two_zones)).await;
    check_cluster(|w, i| i.subnet_ids = vec![w.subnets[0].clone(), w.subnets[3].clone()], invalid(two_zones)).await;
    check_cluster(|_, i| i.subnet_ids = vec![], invalid(two_zones)).await;
    check_cluster(
        |w, i| i.subnet_ids = vec![w.subnets[0].clone(), "subnet-nope".into()],
        invalid("The subnet ID 'subnet-nope' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound; Request ID: "),
    )
    .await;
    check_cluster(|_, i| i.subnet_ids = vec!["garbage".into(), "".into()], invalid("The subnet ID 'garbage'")).await;
    check_cluster(
        |w, i| i.subnet_ids = vec![w.subnets[0].clone(), w.other_vpc_subnet.clone()],
        invalid("Subnets specified must belong to the same VPC"),
    )
    .await;
}

#[tokio::test]
async fn cluster_security_groups_must_exist_in_the_subnets_vpc() {
    check_cluster(
        |_, i| i.security_group_ids = vec!["sg-nope".into()],
        invalid("The security group 'sg-nope' does not exist"),
    )
    .await;
    check_cluster(|w, i| i.security_group_ids = vec![w.other_vpc_group.clone()], invalid("Security group(s) [")).await;
}

#[tokio::test]
async fn a_cluster_gets_its_subnets_vpc_and_a_security_group_that_goes_with_it() {
    let w = world().await;
    let cluster = w.eks.create_cluster(&caller(), w.cluster("demo")).await.unwrap();
    assert_eq!(cluster.vpc.vpc_id, w.vpc);
    let described = w.eks.describe_cluster(&caller(), "demo").await.unwrap();
    let group_id = described.vpc.cluster_security_group_id.clone();
    let read = |n: &crate::ec2::Network| (n.security_groups.get(&group_id).cloned(), n.tags.get(&group_id).cloned());
    let (group, tags) = w.ec2.view(&caller(), &crate::ec2::Scope::everything(), read).await.unwrap();
    let group = group.expect("the cluster security group exists in EC2");
    assert_eq!(group.vpc_id, w.vpc);
    assert!(group.name.starts_with("eks-cluster-sg-demo-"), "{}", group.name);
    assert_eq!(group.name.len(), "eks-cluster-sg-demo-".len() + 10);
    assert!(matches!(&group.ingress[0].peer, Peer::Group { group_id: id, .. } if *id == group_id));
    let tags = tags.unwrap();
    assert_eq!(tags.get("kubernetes.io/cluster/demo").map(String::as_str), Some("owned"));
    assert_eq!(tags.get("aws:eks:cluster-name").map(String::as_str), Some("demo"));
    let groups = w.eks.cluster_security_groups(&caller()).await.unwrap();
    assert_eq!(groups, BTreeMap::from([("demo".to_owned(), group_id.clone())]), "what node groups' instances get");

    w.eks.delete_cluster(&caller(), "demo").await.unwrap();
    crate::eks::tests::reconcile(&w.eks).await;
    let gone = w
        .ec2
        .view(&caller(), &crate::ec2::Scope::everything(), |n| n.security_groups.contains_key(&group_id))
        .await
        .unwrap();
    assert!(!gone, "the security group goes with the cluster");
}

/// Creates a node group on an active `demo` and compares the refusal as [`check_cluster`] does.
async fn check_nodegroup(change: impl FnOnce(&World, &mut CreateNodegroup), expect: Result<(), EksError>) {
    let w = world().await;
    w.active_demo().await;
    let mut input = w.nodegroup();
    change(&w, &mut input);
    let got = w.eks.create_nodegroup(&caller(), input).await.map(drop);
    match (&got, &expect) {
        (Err(EksError::InvalidParameter(got)), Err(EksError::InvalidParameter(prefix))) => {
            assert!(got.starts_with(prefix.as_str()), "{got}")
        }
        _ => assert_eq!(got, expect),
    }
}

#[tokio::test]
async fn node_roles_must_trust_ec2_and_carry_the_worker_policies() {
    check_nodegroup(|_, _| {}, Ok(())).await;
    check_nodegroup(
        |_, i| i.node_role = arn("missing"),
        invalid(&format!("Role with arn: {}, {ASSUME}", arn("missing"))),
    )
    .await;
    check_nodegroup(
        |_, i| i.node_role = arn("lambda"),
        invalid(&format!(
            "Following required service principals [ec2.amazonaws.com] were not found in the trust relationships of nodeRole {}",
            arn("lambda")
        )),
    )
    .await;
    check_nodegroup(
        |_, i| i.node_role = arn("bare-node"),
        invalid("The provided role doesn't have the Amazon EKS Managed Policies associated with it. Please ensure the following policies [arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy, arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly] are attached"),
    )
    .await;
    check_nodegroup(|_, i| i.node_role = "node".into(), invalid("Invalid role ARN")).await;
}

#[tokio::test]
async fn node_group_subnets_must_exist_in_the_cluster_vpc() {
    check_nodegroup(|w, i| i.subnets = vec![w.subnets[3].clone()], Ok(())).await;
    check_nodegroup(
        |_, i| i.subnets = vec!["subnet-nope".into()],
        invalid("The subnet ID 'subnet-nope' does not exist"),
    )
    .await;
    check_nodegroup(
        |w, i| i.subnets = vec![w.other_vpc_subnet.clone()],
        invalid("Specified subnets must belong to cluster's vpc vpc-"),
    )
    .await;
}

#[tokio::test]
async fn a_remote_access_key_must_name_a_key_pair_of_the_region() {
    use crate::eks::nodegroups::RemoteAccess;
    let access = |key: &str| Some(RemoteAccess { ec2_ssh_key: Some(key.into()), ..RemoteAccess::default() });
    check_nodegroup(|_, i| i.remote_access = access("missing"), invalid("KeyPair missing not found")).await;
    let w = world().await;
    w.active_demo().await;
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPqAPPUzRy9bR3I2kfMedAP202CZLSpcpgRdNyJ9YAjN me@host";
    w.ec2
        .change(&caller(), &crate::ec2::scopes::key_pairs(), |network, ids| {
            network.import_key_pair(ids, "laptop", key.as_bytes(), &Default::default(), 1.0)
        })
        .await
        .unwrap();
    let input = CreateNodegroup { remote_access: access("laptop"), ..w.nodegroup() };
    let created = w.eks.create_nodegroup(&caller(), input).await.unwrap();
    assert_eq!(created.remote_access.and_then(|access| access.ec2_ssh_key).as_deref(), Some("laptop"));
}

#[tokio::test]
async fn a_launch_template_named_either_way_comes_back_with_both_and_a_version() {
    let w = world().await;
    w.active_demo().await;
    let input = crate::ec2::templates::CreateLaunchTemplate { name: "nodes".into(), ..Default::default() };
    let template = w
        .ec2
        .change(&caller(), &crate::ec2::scopes::launch_templates(None), |network, ids: &mut IdSource| {
            network.create_launch_template(ids, &input, "arn:aws:iam::000000000000:root", 1_800_000_000.0)
        })
        .await
        .unwrap();
    let by_name = LaunchTemplate { name: Some("nodes".into()), ..LaunchTemplate::default() };
    let by_id = LaunchTemplate { id: Some(template.id.clone()), version: Some("$Latest".into()), name: None };
    for (name, given, version) in [("by-name", by_name, "1"), ("by-id", by_id, "$Latest")] {
        let mut group = w.nodegroup();
        group.name = name.into();
        group.launch_template = Some(given);
        let made = w.eks.create_nodegroup(&caller(), group).await.unwrap();
        let expected =
            LaunchTemplate { id: Some(template.id.clone()), name: Some("nodes".into()), version: Some(version.into()) };
        assert_eq!(made.launch_template, Some(expected));
    }
    for (missing, fragment) in [
        (LaunchTemplate { name: Some("absent".into()), ..LaunchTemplate::default() }, "template name absent"),
        (LaunchTemplate { id: Some("lt-0123456789abcdef0".into()), ..LaunchTemplate::default() }, "does not exist"),
        (
            LaunchTemplate { name: Some("nodes".into()), version: Some("7".into()), id: None },
            "Could not find launch template version 7",
        ),
    ] {
        let mut group = w.nodegroup();
        group.name = "missing".into();
        group.launch_template = Some(missing);
        let refused = w.eks.create_nodegroup(&caller(), group).await.unwrap_err();
        assert!(matches!(&refused, EksError::InvalidParameter(m) if m.contains(fragment)), "{refused:?}");
    }
    assert_eq!(w.eks.list_nodegroups(&caller(), "demo", None, None).await.unwrap().0, ["by-id", "by-name"]);
}

#[tokio::test]
async fn access_entries_name_principals_that_exist() {
    let w = world().await;
    let api = CreateCluster {
        authentication_mode: Some("API".into()),
        bootstrap_cluster_creator_admin_permissions: Some(false),
        ..w.cluster("demo")
    };
    w.eks.create_cluster(&caller(), api).await.unwrap();
    let entry = |principal: &str| crate::eks::access::CreateAccessEntry {
        cluster: "demo".into(),
        principal_arn: principal.into(),
        ..Default::default()
    };
    for principal in [
        arn("node"),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/cluster/session"),
        format!("arn:aws:iam::{ACCOUNT}:root"),
    ] {
        w.eks.create_access_entry(&caller(), entry(&principal)).await.unwrap();
    }
    for principal in [
        arn("missing"),
        format!("arn:aws:iam::{ACCOUNT}:role/wrong-path/pods"),
        format!("arn:aws:iam::{ACCOUNT}:user/nobody"),
        "arn:aws:iam::111111111111:role/node".to_owned(),
    ] {
        let refused = w.eks.create_access_entry(&caller(), entry(&principal)).await.unwrap_err();
        assert_eq!(
            refused,
            invalid("The specified principalArn is invalid: invalid principal").unwrap_err(),
            "{principal}"
        );
    }
}

#[tokio::test]
async fn amazon_linux_2_is_refused_from_kubernetes_1_33() {
    check_nodegroup(
        |_, i| i.ami_type = Some("AL2_x86_64".into()),
        invalid("AMI Type AL2_x86_64 is only supported for kubernetes versions 1.32 or earlier"),
    )
    .await;
    let w = world().await;
    let old = CreateCluster { version: Some("1.32".into()), ..w.cluster("demo") };
    w.eks.create_cluster(&caller(), old).await.unwrap();
    w.eks.describe_cluster(&caller(), "demo").await.unwrap();
    let group = CreateNodegroup { ami_type: Some("AL2_ARM_64".into()), ..w.nodegroup() };
    assert_eq!(w.eks.create_nodegroup(&caller(), group).await.unwrap().version, "1.32");
}

async fn check_profile(change: impl FnOnce(&World, &mut CreateFargateProfile), expect: Result<(), EksError>) {
    let w = world().await;
    w.active_demo().await;
    let mut input = w.profile();
    change(&w, &mut input);
    let got = w.eks.create_fargate_profile(&caller(), input).await.map(drop);
    match (&got, &expect) {
        (Err(EksError::InvalidParameter(got)), Err(EksError::InvalidParameter(prefix))) => {
            assert!(got.starts_with(prefix.as_str()), "{got}")
        }
        _ => assert_eq!(got, expect),
    }
}

#[tokio::test]
async fn pod_execution_roles_trust_fargate_and_profiles_take_private_subnets_of_the_cluster() {
    check_profile(|_, _| {}, Ok(())).await;
    check_profile(|w, i| i.subnets = vec![w.subnets[1].clone()], Ok(())).await;
    check_profile(|_, i| i.pod_execution_role_arn = arn("gone"), invalid("Role with arn: ")).await;
    check_profile(
        |_, i| i.pod_execution_role_arn = arn("node"),
        invalid("Following required service principals [eks-fargate-pods.amazonaws.com] were not found in the trust relationships of podExecutionRoleArn"),
    )
    .await;
    check_profile(|_, i| i.subnets = vec!["subnet-x".into()], invalid("The subnet ID 'subnet-x' does not exist")).await;
    check_profile(
        |w, i| i.subnets = vec![w.other_vpc_subnet.clone()],
        invalid("Specified subnets must belong to cluster's vpc"),
    )
    .await;
}

#[tokio::test]
async fn fargate_refuses_public_subnets() {
    let w = world().await;
    let mut input = w.cluster("public");
    input.subnet_ids = w
        .ec2
        .view(&caller(), &crate::ec2::Scope::everything(), |n| {
            n.subnets.values().filter(|s| s.default_for_az).map(|s| s.id.clone()).take(2).collect()
        })
        .await
        .unwrap();
    w.eks.create_cluster(&caller(), input).await.unwrap();
    w.eks.describe_cluster(&caller(), "public").await.unwrap();
    let profile = CreateFargateProfile { cluster: "public".into(), ..w.profile() };
    let error = w.eks.create_fargate_profile(&caller(), profile.clone()).await.unwrap_err();
    assert!(
        matches!(&error, EksError::InvalidParameter(m) if m.ends_with("provided in Fargate Profile is not a private subnet")),
        "{error:?}"
    );
    let explicit = CreateFargateProfile { subnets: vec![w.public_subnet.clone()], ..profile };
    let error = w.eks.create_fargate_profile(&caller(), explicit).await.unwrap_err();
    assert_eq!(
        error,
        EksError::InvalidParameter(format!(
            "Subnet {} provided in Fargate Profile is not a private subnet",
            w.public_subnet
        ))
    );
}

#[test]
fn the_decisions_hold_without_io() {
    let place = |id: &str, vpc: &str, zone: &str| SubnetPlacement {
        subnet_id: id.into(),
        vpc_id: vpc.into(),
        availability_zone: zone.into(),
        cidr_block: "10.0.0.0/24".into(),
        public: false,
    };
    assert_eq!(cluster_vpc(&[place("a", "v", "z1"), place("b", "v", "z2")]).unwrap().vpc_id, "v");
    assert!(cluster_vpc(&[]).is_err());
    assert!(cluster_vpc(&[place("a", "v", "z1"), place("b", "w", "z2")]).is_err());
    assert!(child_subnets_problem(&[place("a", "v", "z1")], "v", true).is_none());
    assert!(child_subnets_problem(&[place("a", "w", "z1")], "v", false).is_some());
    let public = SubnetPlacement { public: true, ..place("a", "v", "z1") };
    assert!(child_subnets_problem(std::slice::from_ref(&public), "v", false).is_none());
    assert!(child_subnets_problem(&[public], "v", true).is_some());
}

#[tokio::test]
async fn one_pass_deletes_every_deleted_clusters_group_but_one_another_group_still_names() {
    let w = world().await;
    let mut groups = Vec::new();
    for name in ["one", "two", "three"] {
        let cluster = w.eks.create_cluster(&caller(), w.cluster(name)).await.unwrap();
        groups.push(w.eks.describe_cluster(&caller(), name).await.unwrap().vpc.cluster_security_group_id);
        assert_eq!(cluster.vpc.vpc_id, w.vpc);
    }
    // A group of the user's names the second cluster's group in a rule, so EC2 refuses to delete that one.
    let (referenced, vpc) = (groups[1].clone(), w.vpc.clone());
    w.ec2
        .change(&caller(), &crate::ec2::Scope::everything(), |network, ids: &mut IdSource| {
            let input = CreateSecurityGroup {
                name: Some("users".into()),
                description: Some("d".into()),
                vpc_id: Some(vpc.clone()),
                ..CreateSecurityGroup::default()
            };
            let group = network.create_security_group(ids, &input)?;
            let rule =
                Rule::new("-1", None, None, Peer::Group { group_id: referenced.clone(), user_id: ACCOUNT.into() });
            network.authorize(&group.id, Direction::Ingress, &[rule]).map(drop)
        })
        .await
        .unwrap();

    for name in ["one", "two", "three"] {
        w.eks.delete_cluster(&caller(), name).await.unwrap();
    }
    crate::eks::tests::reconcile(&w.eks).await;
    let left: Vec<bool> = w
        .ec2
        .view(&caller(), &crate::ec2::Scope::everything(), |n| {
            groups.iter().map(|group| n.security_groups.contains_key(group)).collect()
        })
        .await
        .unwrap();
    assert_eq!(left, [false, true, false], "only the group another group names is left");
    for name in ["one", "two", "three"] {
        assert!(w.eks.describe_cluster(&caller(), name).await.is_err(), "cluster {name} is gone");
    }
}

#[tokio::test]
async fn more_groups_than_one_transaction_holds_are_deleted_a_batch_at_a_time() {
    let w = world().await;
    let vpc = w.vpc.clone();
    let mut groups = Vec::new();
    for batch in 0..5 {
        let made = w
            .ec2
            .change(&caller(), &crate::ec2::Scope::everything(), |network, ids: &mut IdSource| {
                (0..30)
                    .map(|index| {
                        let input = CreateSecurityGroup {
                            name: Some(format!("eks-cluster-sg-{batch}-{index}")),
                            description: Some("d".into()),
                            vpc_id: Some(vpc.clone()),
                            ..CreateSecurityGroup::default()
                        };
                        network.create_security_group(ids, &input).map(|group| group.id)
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .await
            .unwrap();
        groups.extend(made);
    }
    assert!(groups.len() > crate::ec2::storage::MAX_WRITES);
    w.eks.delete_cluster_security_groups(&caller(), &groups).await.unwrap();
    let left = w
        .ec2
        .view(&caller(), &crate::ec2::Scope::everything(), |n| {
            groups.iter().filter(|group| n.security_groups.contains_key(group)).count()
        })
        .await
        .unwrap();
    assert_eq!(left, 0);
}

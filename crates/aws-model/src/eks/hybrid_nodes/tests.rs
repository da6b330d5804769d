use super::*;
use crate::eks::access::CreateAccessEntry;
use crate::eks::hybrid::RemoteNetworkConfig;
use crate::eks::tests::{caller, fixture, input};
use crate::eks::{CreateCluster, EksConfig};

const ROLE: &str = "arn:aws:iam::000000000000:role/AmazonEKSHybridNodesRole";

async fn hybrid_cluster(pod_networks: &[&str]) -> crate::eks::tests::Fixture {
    let f = fixture(EksConfig { create_seconds: 1.0, ..EksConfig::default() });
    let request = CreateCluster {
        authentication_mode: Some("API".into()),
        remote_network: Some(RemoteNetworkConfig {
            node_networks: vec![vec!["10.80.0.0/16".into()]],
            pod_networks: if pod_networks.is_empty() {
                Vec::new()
            } else {
                vec![pod_networks.iter().map(|block| (*block).to_owned()).collect()]
            },
        }),
        ..input("demo")
    };
    f.eks.create_cluster(&caller(), request).await.unwrap();
    f.clock.advance(1.0);
    f
}

async fn allow(f: &crate::eks::tests::Fixture, kind: &str) {
    let entry = CreateAccessEntry {
        cluster: "demo".into(),
        principal_arn: ROLE.into(),
        kind: Some(kind.into()),
        ..CreateAccessEntry::default()
    };
    f.eks.create_access_entry(&caller(), entry).await.unwrap();
}

fn join(name: &str, ip: &str) -> JoinHybridNode {
    JoinHybridNode {
        cluster: "demo".into(),
        name: name.into(),
        ip: ip.into(),
        credential_provider: "ssm".into(),
        role_arn: ROLE.into(),
        labels: BTreeMap::new(),
        taints: Vec::new(),
        cpus: 4,
        memory_mib: 16384,
        max_pods: 110,
    }
}

#[tokio::test]
async fn a_node_joins_through_a_hybrid_linux_entry_and_gets_a_pod_block() {
    let f = hybrid_cluster(&["10.90.0.0/23"]).await;
    let refused = f.eks.join_hybrid_node(&caller(), join("mi-0123456789abcdef0", "10.80.1.5")).await.unwrap_err();
    assert!(refused.to_string().contains("access entry of type HYBRID_LINUX"), "{refused}");
    allow(&f, "HYBRID_LINUX").await;
    let first = f.eks.join_hybrid_node(&caller(), join("mi-0123456789abcdef0", "10.80.1.5")).await.unwrap();
    assert_eq!(first.pod_cidr.as_deref(), Some("10.90.0.0/24"));
    let second = f.eks.join_hybrid_node(&caller(), join("edge-2", "10.80.1.6")).await.unwrap();
    assert_eq!(second.pod_cidr.as_deref(), Some("10.90.1.0/24"));
    let again = f.eks.join_hybrid_node(&caller(), join("edge-2", "10.80.1.7")).await.unwrap_err();
    assert!(matches!(again, EksError::ResourceInUse(_)), "{again}");
    let full = f.eks.join_hybrid_node(&caller(), join("edge-3", "10.80.1.8")).await.unwrap_err();
    assert!(matches!(full, EksError::ResourceLimitExceeded(_)), "{full}");

    // A node that leaves frees its block for the next one.
    f.eks.remove_hybrid_node(&caller(), "demo", "mi-0123456789abcdef0").await.unwrap();
    let third = f.eks.join_hybrid_node(&caller(), join("edge-3", "10.80.1.8")).await.unwrap();
    assert_eq!(third.pod_cidr.as_deref(), Some("10.90.0.0/24"));
    let names: Vec<String> =
        f.eks.hybrid_nodes(&caller(), "demo").await.unwrap().into_iter().map(|node| node.name).collect();
    assert_eq!(names, ["edge-2", "edge-3"]);
    let missing = f.eks.remove_hybrid_node(&caller(), "demo", "nope").await.unwrap_err();
    assert!(matches!(missing, EksError::ResourceNotFound(_)));
}

#[tokio::test]
async fn a_standard_entry_does_not_make_a_node() {
    let f = hybrid_cluster(&[]).await;
    allow(&f, "STANDARD").await;
    let refused = f.eks.join_hybrid_node(&caller(), join("edge-1", "10.80.0.9")).await.unwrap_err();
    assert!(refused.to_string().contains("HYBRID_LINUX"), "{refused}");
}

#[tokio::test]
async fn without_pod_networks_a_node_has_no_pod_block() {
    let f = hybrid_cluster(&[]).await;
    allow(&f, "HYBRID_LINUX").await;
    let node = f.eks.join_hybrid_node(&caller(), join("edge-1", "10.80.0.9")).await.unwrap();
    assert_eq!(node.pod_cidr, None);
}

#[tokio::test]
async fn joins_outside_the_rules_are_refused_and_store_nothing() {
    let f = hybrid_cluster(&["10.90.0.0/16"]).await;
    allow(&f, "HYBRID_LINUX").await;
    let cases = [
        (join("edge-1", "192.168.1.1"), "not in any of the remote network CIDR blocks"),
        (join("edge-1", "10.80.0.300"), "not an IPv4 address"),
        (join("Edge_1", "10.80.0.9"), "is not valid"),
        (join(&"n".repeat(65), "10.80.0.9"), "is not valid"),
        (join("edge\0", "10.80.0.9"), "is not valid"),
        (JoinHybridNode { credential_provider: "ec2".into(), ..join("edge-1", "10.80.0.9") }, "ssm, iam-ra"),
        (JoinHybridNode { cluster: "nope".into(), ..join("edge-1", "10.80.0.9") }, "No cluster found"),
        (
            JoinHybridNode { role_arn: "arn:aws:iam::111111111111:role/x".into(), ..join("edge-1", "10.80.0.9") },
            "not a role of this account",
        ),
    ];
    for (request, fragment) in cases {
        let error = f.eks.join_hybrid_node(&caller(), request.clone()).await.unwrap_err();
        assert!(error.to_string().contains(fragment), "{request:?}: {error}");
    }
    assert!(f.eks.hybrid_nodes(&caller(), "demo").await.unwrap().is_empty());

    // A cluster without remote networks takes no hybrid node.
    f.eks.create_cluster(&caller(), input("plain")).await.unwrap();
    f.clock.advance(1.0);
    let plain = JoinHybridNode { cluster: "plain".into(), ..join("edge-1", "10.80.0.9") };
    let error = f.eks.join_hybrid_node(&caller(), plain).await.unwrap_err();
    assert!(error.to_string().contains("remote node networks not found"), "{error}");
}

#[test]
fn node_names_are_dns_labels_of_at_most_64() {
    for good in ["mi-0123456789abcdef0", "edge-1", "rack1.node7"] {
        assert!(valid_node_name(good), "{good}");
    }
    for bad in ["", "-edge", "edge-", "Edge", "edge_1", "edge 1"] {
        assert!(!valid_node_name(bad), "{bad}");
    }
}

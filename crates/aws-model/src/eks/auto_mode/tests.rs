use super::*;
use crate::eks::tests::{caller, fixture, input};
use crate::eks::updates::{ClusterConfigChange, UpdateStatus};
use crate::eks::{CreateCluster, EksConfig};

const NODE_ROLE: &str = "arn:aws:iam::000000000000:role/auto-node";

fn all(enabled: bool) -> AutoModeRequest {
    AutoModeRequest {
        compute: Some(ComputeRequest {
            enabled: Some(enabled),
            node_pools: enabled.then(|| vec!["general-purpose".to_owned(), "system".to_owned()]),
            node_role_arn: enabled.then(|| NODE_ROLE.to_owned()),
        }),
        block_storage: Some(Some(enabled)),
        load_balancing: Some(Some(enabled)),
    }
}

fn auto_cluster(name: &str) -> CreateCluster {
    CreateCluster { authentication_mode: Some("API".into()), auto_mode: all(true), ..input(name) }
}

fn message(error: EksError) -> String {
    match error {
        EksError::InvalidParameter(message) => message,
        other => panic!("expected InvalidParameterException, got {other:?}"),
    }
}

#[test]
fn the_three_capabilities_are_enabled_together_or_not_at_all() {
    let enabled = resolve(None, &all(true)).unwrap().unwrap();
    assert!(enabled.enabled());
    assert_eq!(enabled.node_pools, ["general-purpose", "system"]);
    assert_eq!(enabled.node_role_arn.as_deref(), Some(NODE_ROLE));
    let disabled = resolve(None, &all(false)).unwrap().unwrap();
    assert_eq!(disabled, AutoMode::default(), "explicitly disabled is kept, unlike never set");
    assert_eq!(resolve(None, &AutoModeRequest::default()).unwrap(), None);

    let mut partial = all(true);
    partial.block_storage = None;
    assert_eq!(message(resolve(None, &partial).unwrap_err()), ALL_OR_NONE);
    let mut partial = all(true);
    partial.load_balancing = Some(Some(false));
    assert_eq!(message(resolve(None, &partial).unwrap_err()), ALL_OR_NONE);
    let only_storage = AutoModeRequest { block_storage: Some(Some(true)), ..AutoModeRequest::default() };
    assert_eq!(message(resolve(None, &only_storage).unwrap_err()), ALL_OR_NONE);
}

#[test]
fn node_pools_and_the_node_role_follow_eks_rules() {
    let with = |compute: ComputeRequest| AutoModeRequest { compute: Some(compute), ..all(true) };
    let unknown = with(ComputeRequest {
        enabled: Some(true),
        node_pools: Some(vec!["gpu".into()]),
        node_role_arn: Some(NODE_ROLE.into()),
    });
    assert!(message(resolve(None, &unknown).unwrap_err()).contains("Invalid nodePools value: gpu"));
    let twice = with(ComputeRequest {
        enabled: Some(true),
        node_pools: Some(vec!["system".into(), "system".into()]),
        node_role_arn: Some(NODE_ROLE.into()),
    });
    assert!(message(resolve(None, &twice).unwrap_err()).contains("Duplicate"));
    let no_role =
        with(ComputeRequest { enabled: Some(true), node_pools: Some(vec!["system".into()]), node_role_arn: None });
    assert!(message(resolve(None, &no_role).unwrap_err()).contains("nodeRoleArn is required"));
    let bad_role = with(ComputeRequest {
        enabled: Some(true),
        node_pools: Some(vec!["system".into()]),
        node_role_arn: Some("not-an-arn".into()),
    });
    assert_eq!(message(resolve(None, &bad_role).unwrap_err()), "Invalid role ARN: not-an-arn");
    // No built-in pools is fine: the cluster's own NodePools do the work.
    let custom_only = with(ComputeRequest { enabled: Some(true), node_pools: None, node_role_arn: None });
    assert!(resolve(None, &custom_only).unwrap().unwrap().node_pools.is_empty());
    // A role with compute off is refused.
    let mut off = all(false);
    off.compute.as_mut().unwrap().node_role_arn = Some(NODE_ROLE.into());
    assert!(message(resolve(None, &off).unwrap_err()).contains("only be specified when computeConfig is enabled"));
}

#[test]
fn an_update_changes_pools_keeps_the_role_and_disabling_clears_both() {
    let current = resolve(None, &all(true)).unwrap().unwrap();
    let pools_only = AutoModeRequest {
        compute: Some(ComputeRequest {
            enabled: Some(true),
            node_pools: Some(vec!["system".into()]),
            node_role_arn: None,
        }),
        ..AutoModeRequest::default()
    };
    let changed = resolve(Some(&current), &pools_only).unwrap().unwrap();
    assert_eq!(changed.node_pools, ["system"]);
    assert_eq!(changed.node_role_arn.as_deref(), Some(NODE_ROLE), "the role stays");
    assert!(changed.enabled());

    let mut other_role = all(true);
    other_role.compute.as_mut().unwrap().node_role_arn = Some("arn:aws:iam::000000000000:role/other".into());
    assert!(message(resolve(Some(&current), &other_role).unwrap_err()).contains("cannot be changed"));

    let disabled = resolve(Some(&current), &all(false)).unwrap().unwrap();
    assert_eq!(disabled, AutoMode::default());
}

#[test]
fn update_params_are_the_settings_as_json() {
    let settings = resolve(None, &all(true)).unwrap().unwrap();
    let params = update_params(&settings);
    let names: Vec<&str> = params.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["ComputeConfig", "StorageConfig", "KubernetesNetworkConfig"]);
    let compute: serde_json::Value = serde_json::from_str(&params[0].1).unwrap();
    assert_eq!(
        compute,
        serde_json::json!({ "enabled": true, "nodePools": ["general-purpose", "system"], "nodeRoleArn": NODE_ROLE })
    );
    assert_eq!(params[1].1, r#"{"blockStorage":{"enabled":true}}"#);
    assert_eq!(params[2].1, r#"{"elasticLoadBalancing":{"enabled":true}}"#);
}

#[tokio::test]
async fn an_auto_mode_cluster_stores_its_settings_and_gives_its_node_role_an_ec2_entry() {
    let f = fixture(EksConfig::default());
    let created = f.eks.create_cluster(&caller(), auto_cluster("auto")).await.unwrap();
    let settings = created.auto_mode.clone().unwrap();
    assert!(settings.enabled());
    assert!(created.auto_mode_load_balancing() && created.auto_mode_block_storage());
    assert_eq!(created.auto_mode_compute().and_then(|a| a.node_role_arn.as_deref()), Some(NODE_ROLE));
    let entry = f.eks.describe_access_entry(&caller(), "auto", NODE_ROLE).await.unwrap();
    assert_eq!(entry.kind, "EC2");
    assert_eq!(entry.username, "system:node:{{EC2PrivateDNSName}}");
    assert!(entry.kubernetes_groups.is_empty());
    let policies: Vec<&str> = entry.policies.iter().map(|p| p.policy_arn.as_str()).collect();
    assert_eq!(policies, ["arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy"]);
    assert_eq!(entry.policies[0].scope.kind, "cluster");
}

#[tokio::test]
async fn auto_mode_needs_access_entries() {
    let f = fixture(EksConfig::default());
    let request = CreateCluster { auto_mode: all(true), ..input("config-map") };
    let refused = f.eks.create_cluster(&caller(), request).await.unwrap_err();
    assert!(message(refused).contains("API or API_AND_CONFIG_MAP"));
    assert!(f.eks.describe_cluster(&caller(), "config-map").await.is_err(), "nothing was made");
}

#[tokio::test]
async fn a_cluster_without_auto_mode_keeps_none_and_older_records_read_so() {
    let f = fixture(EksConfig::default());
    let created = f.eks.create_cluster(&caller(), input("plain")).await.unwrap();
    assert_eq!(created.auto_mode, None);
    assert!(!created.auto_mode_load_balancing());
    let mut stored = serde_json::to_value(&created).unwrap();
    assert!(stored.get("auto_mode").is_none(), "not written when never set");
    stored.as_object_mut().unwrap().remove("auto_mode");
    let read: Cluster = serde_json::from_value(stored).unwrap();
    assert_eq!(read.auto_mode, None);
}

#[tokio::test]
async fn update_cluster_config_turns_auto_mode_on_with_one_auto_mode_update() {
    let f = fixture(EksConfig { update_seconds: 30.0, ..EksConfig::default() });
    let request = CreateCluster { authentication_mode: Some("API".into()), ..input("later") };
    f.eks.create_cluster(&caller(), request).await.unwrap();
    let change = ClusterConfigChange {
        auto_mode: all(true),
        service_ipv4_cidr: Some("10.100.0.0/16".into()),
        ip_family: Some("ipv4".into()),
        ..ClusterConfigChange::default()
    };
    let update = f.eks.update_cluster_config(&caller(), "later", change).await.unwrap();
    assert_eq!(update.kind, "AutoModeUpdate");
    assert_eq!(update.status, UpdateStatus::InProgress);
    assert_eq!(update.params.len(), 3);
    let described = f.eks.describe_cluster(&caller(), "later").await.unwrap();
    assert!(described.auto_mode.as_ref().is_some_and(AutoMode::enabled));
    let entry = f.eks.describe_access_entry(&caller(), "later", NODE_ROLE).await.unwrap();
    assert_eq!(entry.kind, "EC2");
    f.clock.advance(31.0);
    let done = f.eks.describe_update(&caller(), "later", &update.id, Default::default()).await.unwrap();
    assert_eq!(done.status, UpdateStatus::Successful);

    // The service CIDR cannot change along the way; mixing parts is refused as any two parts are.
    let cidr = ClusterConfigChange {
        auto_mode: all(false),
        service_ipv4_cidr: Some("172.20.0.0/16".into()),
        ..ClusterConfigChange::default()
    };
    assert!(message(f.eks.update_cluster_config(&caller(), "later", cidr).await.unwrap_err()).contains("cannot be"));
    let mixed = ClusterConfigChange {
        auto_mode: all(false),
        deletion_protection: Some(true),
        ..ClusterConfigChange::default()
    };
    assert_eq!(
        message(f.eks.update_cluster_config(&caller(), "later", mixed).await.unwrap_err()),
        "Only one type of update can be allowed."
    );
    let partial = ClusterConfigChange {
        auto_mode: AutoModeRequest { load_balancing: Some(Some(false)), ..AutoModeRequest::default() },
        ..ClusterConfigChange::default()
    };
    assert_eq!(message(f.eks.update_cluster_config(&caller(), "later", partial).await.unwrap_err()), ALL_OR_NONE);

    let off = ClusterConfigChange { auto_mode: all(false), ..ClusterConfigChange::default() };
    f.eks.update_cluster_config(&caller(), "later", off).await.unwrap();
    let described = f.eks.describe_cluster(&caller(), "later").await.unwrap();
    assert_eq!(described.auto_mode, Some(AutoMode::default()));
}

use std::collections::BTreeMap;

use super::*;
use crate::eks::tests::{caller, fixture, input, reconcile};
use crate::eks::updates::UpdateStatus;
use crate::eks::{ClusterStatus, EksConfig};

const ROLE: &str = "arn:aws:iam::000000000000:role/node";

fn nodegroup(name: &str) -> CreateNodegroup {
    CreateNodegroup {
        cluster: "demo".into(),
        name: name.into(),
        subnets: vec!["subnet-a".into()],
        node_role: ROLE.into(),
        ..CreateNodegroup::default()
    }
}

async fn with_cluster(config: EksConfig) -> crate::eks::tests::Fixture {
    let f = fixture(config);
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    // The cluster delay is zero unless a test says otherwise: one read makes it ACTIVE.
    f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    f
}

#[tokio::test]
async fn a_node_group_is_creating_then_active_with_eks_defaults_then_deleting_then_gone() {
    let f = with_cluster(EksConfig::default()).await;
    let config = EksConfig { create_seconds: 30.0, delete_seconds: 20.0, ..EksConfig::default() };
    let eks = Eks::new(f.eks.records.clone(), f.kubernetes.clone(), f.clock.clone(), config);
    let created = eks.create_nodegroup(&caller(), nodegroup("ng")).await.unwrap();
    assert_eq!(created.status, NodegroupStatus::Creating);
    assert_eq!(created.instance_types, ["t3.medium"]);
    assert_eq!(created.ami_type, "AL2023_x86_64_STANDARD");
    assert_eq!(created.capacity_type, "ON_DEMAND");
    assert_eq!(created.disk_size, Some(20));
    assert_eq!(created.scaling, ScalingConfig { min_size: 1, max_size: 2, desired_size: 2 });
    assert_eq!(created.version, "1.34");
    assert_eq!(created.release_version, "1.34.0-20251016");
    assert_eq!(created.max_unavailable, MaxUnavailable::Count(1));
    let uuid = created.arn.rsplit('/').next().unwrap();
    assert!(created.arn.starts_with("arn:aws:eks:us-east-1:000000000000:nodegroup/demo/ng/"));
    assert_eq!(created.auto_scaling_group, format!("eks-ng-{uuid}"));
    assert_eq!(uuid.len(), 36);

    assert_eq!(eks.describe_nodegroup(&caller(), "demo", "ng").await.unwrap().status, NodegroupStatus::Creating);
    f.clock.advance(30.0);
    assert_eq!(eks.describe_nodegroup(&caller(), "demo", "ng").await.unwrap().status, NodegroupStatus::Active);

    let deleting = eks.delete_nodegroup(&caller(), "demo", "ng").await.unwrap();
    assert_eq!(deleting.status, NodegroupStatus::Deleting);
    assert_eq!(eks.delete_nodegroup(&caller(), "demo", "ng").await.unwrap().status, NodegroupStatus::Deleting);
    let refused = eks.delete_cluster(&caller(), "demo").await.unwrap_err();
    let nodegroup = "ng".to_owned();
    assert_eq!(refused, EksError::NodegroupInUse { message: "Cluster has nodegroups attached".into(), nodegroup });
    f.clock.advance(20.0);
    // Its time is up, but it stays until the reconciler has seen its instances go.
    assert_eq!(eks.describe_nodegroup(&caller(), "demo", "ng").await.unwrap().status, NodegroupStatus::Deleting);
    reconcile(&eks).await;
    let gone = eks.describe_nodegroup(&caller(), "demo", "ng").await.unwrap_err();
    assert_eq!(gone, EksError::ResourceNotFound("No node group found for name: ng.".into()));
    assert_eq!(eks.list_nodegroups(&caller(), "demo", None, None).await.unwrap().0, Vec::<String>::new());
    assert_eq!(eks.delete_cluster(&caller(), "demo").await.unwrap().status, ClusterStatus::Deleting);
}

#[tokio::test]
async fn node_groups_need_an_existing_active_cluster() {
    let f = fixture(EksConfig { create_seconds: 60.0, ..EksConfig::default() });
    let missing = f.eks.create_nodegroup(&caller(), nodegroup("ng")).await.unwrap_err();
    assert_eq!(missing, EksError::ResourceNotFound("No cluster found for name: demo.".into()));
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    let creating = f.eks.create_nodegroup(&caller(), nodegroup("ng")).await.unwrap_err();
    assert_eq!(creating, EksError::InvalidRequest("Cluster 'demo' is not in ACTIVE status".into()));
    f.clock.advance(60.0);
    f.eks.create_nodegroup(&caller(), nodegroup("ng")).await.unwrap();
}

/// Creates `nodegroup("ng")` changed by `change`; `expect` is `Ok(())` or a fragment of the error message.
async fn check(change: impl FnOnce(&mut CreateNodegroup), expect: Result<(), &str>) {
    let f = with_cluster(EksConfig::default()).await;
    let mut request = nodegroup("ng");
    change(&mut request);
    let got = f.eks.create_nodegroup(&caller(), request.clone()).await;
    match (&got, expect) {
        (Ok(_), Ok(())) => {}
        (Err(error), Err(fragment)) => assert!(error.to_string().contains(fragment), "{request:?}: {error}"),
        _ => panic!("{request:?}: got {got:?}, expected {expect:?}"),
    }
}

fn sizes(min: Option<i64>, max: Option<i64>, desired: Option<i64>) -> Option<ScalingChange> {
    Some(ScalingChange { min_size: min, max_size: max, desired_size: desired })
}

fn taint(key: &str, effect: &str) -> Taint {
    Taint { key: key.into(), value: Some("v".into()), effect: effect.into() }
}

fn template() -> Option<LaunchTemplate> {
    Some(LaunchTemplate { name: Some("lt".into()), ..LaunchTemplate::default() })
}

#[tokio::test]
async fn create_validations_follow_eks() {
    check(|_| {}, Ok(())).await;
    check(|r| r.name = "-bad".into(), Err("failed to satisfy constraint")).await;
    check(|r| r.name = "x".repeat(64), Err("failed to satisfy constraint")).await;
    check(|r| r.node_role = "arn:aws:iam::1:role/x".into(), Err("Invalid role ARN")).await;
    check(|r| r.node_role = "garbage".into(), Err("Invalid role ARN")).await;
    check(|r| r.subnets.clear(), Err("Subnets are required")).await;
    check(|r| r.scaling = sizes(Some(0), Some(1), Some(0)), Ok(())).await;
    check(|r| r.scaling = sizes(Some(1), None, Some(1)), Err("both minSize and maxSize")).await;
    check(|r| r.scaling = sizes(Some(-1), Some(2), Some(1)), Err("Minimum capacity can't be less than 0")).await;
    check(|r| r.scaling = sizes(Some(0), Some(0), Some(0)), Err("Maximum capacity can't be less than 1")).await;
    check(|r| r.scaling = sizes(Some(0), Some(2), Some(-1)), Err("Desired capacity can't be less than 0")).await;
    check(|r| r.scaling = sizes(Some(3), Some(2), Some(2)), Err("Minimum capacity 3 can't be greater than max")).await;
    check(|r| r.scaling = sizes(Some(2), Some(3), Some(1)), Err("can't be greater than desired size 1")).await;
    check(|r| r.scaling = sizes(Some(1), Some(3), Some(4)), Err("Desired capacity 4 can't be greater than")).await;
    check(|r| r.scaling = sizes(Some(1), Some(451), Some(1)), Err("Maximum limit of nodes per nodegroup is 450")).await;
    check(|r| r.scaling = sizes(Some(1), Some(450), Some(1)), Ok(())).await;
    check(|r| (r.launch_template, r.disk_size) = (template(), Some(50)), Err("Disk size must be specified")).await;
    check(|r| (r.launch_template, r.remote_access) = (template(), Some(RemoteAccess::default())), Err("Remote access"))
        .await;
    check(|r| r.launch_template = Some(LaunchTemplate::default()), Err("launch template ID or launch template name"))
        .await;
    check(|r| r.launch_template = template(), Ok(())).await;
    check(|r| r.disk_size = Some(0), Err("Disk size 0 is not valid")).await;
    check(|r| r.ami_type = Some("WINDOWS_95".into()), Err("Unsupported amiType")).await;
    check(|r| r.ami_type = Some("BOTTLEROCKET_ARM_64".into()), Ok(())).await;
    check(|r| r.capacity_type = Some("CHEAP".into()), Err("Unsupported capacityType")).await;
    check(|r| r.capacity_type = Some("SPOT".into()), Ok(())).await;
    check(|r| r.instance_types = Some(vec![]), Err("instanceTypes must not be empty")).await;
    check(|r| r.labels = BTreeMap::from([("".into(), "v".into())]), Err("Label")).await;
    check(|r| r.labels = BTreeMap::from([("k".into(), "v".repeat(64))]), Err("Label")).await;
    check(|r| r.taints = vec![taint("k", "NO_SCHEDULE"), taint("j", "PREFER_NO_SCHEDULE")], Ok(())).await;
    check(|r| r.taints = vec![taint("k", "NoSchedule")], Err("Unsupported taint effect NoSchedule")).await;
    check(|r| r.taints = vec![taint("", "NO_EXECUTE")], Err("Taint  is not valid")).await;
    check(|r| r.tags = BTreeMap::from([("aws:x".into(), "v".into())]), Err("reserved")).await;
    check(|r| r.max_unavailable = Some(MaxUnavailable::Count(0)), Err("maxUnavailable must be between")).await;
    check(|r| r.max_unavailable = Some(MaxUnavailable::Percentage(101)), Err("maxUnavailablePercentage")).await;
    check(|r| r.version = Some("1.33".into()), Ok(())).await;
    check(|r| r.version = Some("1.35".into()), Err("Requested Nodegroup Kubernetes version 1.35")).await;
    check(|r| r.version = Some("junk".into()), Err("Requested Nodegroup Kubernetes version junk")).await;
    check(|r| r.release_version = Some("1.34.1-20250101".into()), Ok(())).await;
    check(|r| r.release_version = Some("1.29.1-20250101".into()), Err("is not valid for kubernetes version 1.34"))
        .await;
}

#[tokio::test]
async fn duplicates_and_the_quota_are_refused_and_lists_page() {
    let f = with_cluster(EksConfig { max_nodegroups: 3, ..EksConfig::default() }).await;
    for name in ["c", "a", "b"] {
        f.eks.create_nodegroup(&caller(), nodegroup(name)).await.unwrap();
    }
    let again = f.eks.create_nodegroup(&caller(), nodegroup("a")).await.unwrap_err();
    assert_eq!(again, EksError::ResourceInUse("NodeGroup already exists with name a and cluster name demo".into()));
    let over = f.eks.create_nodegroup(&caller(), nodegroup("d")).await.unwrap_err();
    assert!(matches!(over, EksError::ResourceLimitExceeded(m) if m.contains("(3)")));
    let (first, token) = f.eks.list_nodegroups(&caller(), "demo", Some(2), None).await.unwrap();
    assert_eq!(first, ["a", "b"]);
    let (rest, end) = f.eks.list_nodegroups(&caller(), "demo", Some(2), token.as_deref()).await.unwrap();
    assert_eq!((rest, end), (vec!["c".to_owned()], None));
    let missing = f.eks.list_nodegroups(&caller(), "nope", None, None).await.unwrap_err();
    assert!(matches!(missing, EksError::ResourceNotFound(_)));
    assert!(matches!(
        f.eks.list_nodegroups(&caller(), "demo", Some(0), None).await,
        Err(EksError::InvalidParameter(_))
    ));
}

#[tokio::test]
async fn config_updates_change_the_group_and_leave_an_update_in_progress_then_successful() {
    let f = with_cluster(EksConfig { update_seconds: 60.0, ..EksConfig::default() }).await;
    let mut request = nodegroup("ng");
    request.labels = BTreeMap::from([("keep".into(), "1".into()), ("drop".into(), "1".into())]);
    request.taints = vec![taint("old", "NO_SCHEDULE")];
    f.eks.create_nodegroup(&caller(), request).await.unwrap();
    let change = NodegroupConfigChange {
        scaling: sizes(None, Some(5), Some(4)),
        add_labels: BTreeMap::from([("new".into(), "2".into())]),
        remove_labels: vec!["drop".into()],
        add_taints: vec![taint("fresh", "NO_EXECUTE")],
        remove_taints: vec![taint("old", "NO_SCHEDULE")],
        max_unavailable: Some(MaxUnavailable::Percentage(25)),
        client_request_token: Some("resize-1".into()),
    };
    let update = f.eks.update_nodegroup_config(&caller(), "demo", "ng", change.clone()).await.unwrap();
    let replayed = f.eks.update_nodegroup_config(&caller(), "demo", "ng", change).await.unwrap();
    assert_eq!(replayed.id, update.id, "the same token answers with the same update");
    assert_eq!((update.kind.as_str(), update.status), ("ConfigUpdate", UpdateStatus::InProgress));
    let kinds: Vec<&str> = update.params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "DesiredSize",
            "MaxSize",
            "LabelsToAdd",
            "LabelsToRemove",
            "TaintsToAdd",
            "TaintsToRemove",
            "MaxUnavailablePercentage"
        ]
    );
    let changed = f.eks.describe_nodegroup(&caller(), "demo", "ng").await.unwrap();
    assert_eq!(changed.status, NodegroupStatus::Updating);
    assert_eq!(changed.scaling, ScalingConfig { min_size: 1, max_size: 5, desired_size: 4 });
    assert_eq!(changed.labels, BTreeMap::from([("keep".into(), "1".into()), ("new".into(), "2".into())]));
    assert_eq!(changed.taints, [taint("fresh", "NO_EXECUTE")]);
    assert_eq!(changed.max_unavailable, MaxUnavailable::Percentage(25));
    let busy = f.eks.update_nodegroup_version(&caller(), "demo", "ng", None, None, None).await.unwrap_err();
    assert!(matches!(busy, EksError::ResourceInUse(m) if m.contains("currently being updated")));

    let scope = UpdateScope { nodegroup: Some("ng"), addon: None };
    let (ids, _) = f.eks.list_updates(&caller(), "demo", scope, None, None).await.unwrap();
    assert_eq!(ids, std::slice::from_ref(&update.id));
    assert!(f.eks.list_updates(&caller(), "demo", UpdateScope::default(), None, None).await.unwrap().0.is_empty());
    f.clock.advance(60.0);
    let done = f.eks.describe_update(&caller(), "demo", &update.id, scope).await.unwrap();
    assert_eq!(done.status, UpdateStatus::Successful);
    assert_eq!(f.eks.describe_nodegroup(&caller(), "demo", "ng").await.unwrap().status, NodegroupStatus::Active);
}

async fn check_config(change: NodegroupConfigChange, expect: &str) {
    let f = with_cluster(EksConfig::default()).await;
    f.eks.create_nodegroup(&caller(), nodegroup("ng")).await.unwrap();
    let error = f.eks.update_nodegroup_config(&caller(), "demo", "ng", change.clone()).await.unwrap_err();
    assert!(error.to_string().contains(expect), "{change:?}: {error}");
    let unchanged = f.eks.describe_nodegroup(&caller(), "demo", "ng").await.unwrap();
    assert_eq!(unchanged.scaling, ScalingConfig { min_size: 1, max_size: 2, desired_size: 2 });
}

#[tokio::test]
async fn invalid_config_updates_change_nothing() {
    let none = NodegroupConfigChange::default();
    check_config(none.clone(), "No changes needed").await;
    check_config(NodegroupConfigChange { scaling: sizes(None, None, Some(3)), ..none.clone() }, "Desired capacity 3")
        .await;
    check_config(NodegroupConfigChange { scaling: sizes(Some(3), None, None), ..none.clone() }, "Minimum capacity 3")
        .await;
    let both = NodegroupConfigChange {
        add_labels: BTreeMap::from([("k".into(), "v".into())]),
        remove_labels: vec!["k".into()],
        ..none.clone()
    };
    check_config(both, "both addOrUpdateLabels and removeLabels").await;
    check_config(NodegroupConfigChange { add_taints: vec![taint("k", "bad")], ..none.clone() }, "taint effect").await;
    check_config(NodegroupConfigChange { max_unavailable: Some(MaxUnavailable::Count(101)), ..none }, "between").await;
}

#[tokio::test]
async fn version_updates_move_the_group_up_to_its_cluster_version() {
    let f = with_cluster(EksConfig::default()).await;
    let old = CreateNodegroup { version: Some("1.32".into()), ..nodegroup("ng") };
    f.eks.create_nodegroup(&caller(), old).await.unwrap();
    let update = f.eks.update_nodegroup_version(&caller(), "demo", "ng", Some("1.33"), None, None).await.unwrap();
    assert_eq!(update.kind, "VersionUpdate");
    assert_eq!(update.params[0], ("Version".to_owned(), "1.33".to_owned()));
    assert_eq!(f.eks.describe_nodegroup(&caller(), "demo", "ng").await.unwrap().version, "1.33");
    f.eks.update_nodegroup_version(&caller(), "demo", "ng", None, Some("1.34.1-20250101"), None).await.unwrap();
    let current = f.eks.describe_nodegroup(&caller(), "demo", "ng").await.unwrap();
    assert_eq!((current.version.as_str(), current.release_version.as_str()), ("1.34", "1.34.1-20250101"));
    let cases = [
        (Some("1.35"), None, "not supported for cluster version 1.34"),
        (Some("1.33"), None, "older than the node group's version 1.34"),
        (None, Some("1.33.0-1"), "not valid for kubernetes version 1.34"),
    ];
    for (version, release, expect) in cases {
        let error = f.eks.update_nodegroup_version(&caller(), "demo", "ng", version, release, None).await.unwrap_err();
        assert!(error.to_string().contains(expect), "{version:?} {release:?}: {error}");
    }
    let missing = f.eks.update_nodegroup_version(&caller(), "demo", "nope", None, None, None).await.unwrap_err();
    assert!(matches!(missing, EksError::ResourceNotFound(_)));
}

use std::sync::Arc;

use super::*;
use crate::eks::addons::AddonRequest;
use crate::eks::nodegroups::CreateNodegroup;
use crate::eks::tests::{FakeKubernetes, NoInstances, caller, fixture, fixture_with, input, reconcile};
use crate::eks::{CreateCluster, EksConfig, KubernetesClusters, VpcConfig};

const NOW: f64 = 1_800_000_000.0;

/// A cluster record as a create left it, before its Kubernetes side was made.
fn creating(created_by: &str) -> Cluster {
    Cluster {
        name: "demo".into(),
        arn: "arn:aws:eks:us-east-1:000000000000:cluster/demo".into(),
        id: "id".into(),
        created_at: NOW,
        version: "1.34".into(),
        platform_version: "eks.1".into(),
        role_arn: "arn:aws:iam::000000000000:role/eks".into(),
        vpc: VpcConfig::default(),
        service_ipv4_cidr: "10.100.0.0/16".into(),
        ip_family: "ipv4".into(),
        enabled_log_types: Vec::new(),
        oidc_issuer: "https://oidc.eks.us-east-1.amazonaws.com/id/ABC".into(),
        status: ClusterStatus::Creating,
        ready_at: NOW,
        gone_at: None,
        endpoint: String::new(),
        certificate_authority: String::new(),
        tags: Default::default(),
        authentication_mode: "API".into(),
        bootstrap_cluster_creator_admin_permissions: true,
        support_type: "STANDARD".into(),
        creator_arn: "arn:aws:iam::000000000000:root".into(),
        kubernetes_name: "demo.us-east-1.000000000000".into(),
        updating_until: None,
        created_by: created_by.into(),
        released: false,
        bootstrap_self_managed_addons: true,
        health: Vec::new(),
        encryption: Vec::new(),
        remote_network: None,
        deletion_protection: false,
        client_request_token: None,
        auto_mode: None,
    }
}

/// The viewpoint of boot 2 of server `s`.
fn at(in_flight: bool, now: f64) -> Viewpoint<'static> {
    Viewpoint { server: "s", boot: 2, in_flight, now }
}

fn check(cluster: Cluster, view: Viewpoint<'_>, expect: ClusterStep) {
    assert_eq!(cluster_step(&cluster, &view), expect, "{:?} by {:?} at {view:?}", cluster.status, cluster.created_by);
}

#[test]
fn a_create_is_finished_by_the_reconciler_once_nobody_else_is_making_it() {
    // A call of this process is making it: its end is a write, which wakes the reconciler.
    check(creating("s#2"), at(true, NOW), ClusterStep::Wait(None));
    // A call of this process ended without finishing it (its client went away).
    check(creating("s#2"), at(false, NOW), ClusterStep::FinishCreate);
    // An earlier run of this server was killed while making it.
    check(creating("s#1"), at(false, NOW), ClusterStep::FinishCreate);
    check(creating("s#1"), at(true, NOW), ClusterStep::FinishCreate);
    // A version that did not name servers.
    check(creating(""), at(false, NOW), ClusterStep::FinishCreate);
    // Another server may still be at it: taken over only after a while.
    let takeover = NOW + CREATE_TAKEOVER_SECONDS;
    check(creating("t#2"), at(false, NOW + 1.0), ClusterStep::Wait(Some(takeover)));
    check(creating("t#2"), at(false, takeover), ClusterStep::FinishCreate);
    check(creating("garbage"), at(false, NOW), ClusterStep::Wait(Some(takeover)));
    // Made: whatever the clock still says, the reconciler has nothing to do.
    let made = Cluster { endpoint: "https://127.0.0.1:6443".into(), ready_at: NOW + 30.0, ..creating("s#1") };
    check(made, at(false, NOW), ClusterStep::Wait(None));
}

#[test]
fn a_deleted_cluster_is_released_then_removed_when_its_delay_is_over() {
    let deleting = |released, gone_at| Cluster {
        status: ClusterStatus::Deleting,
        endpoint: "https://127.0.0.1:6443".into(),
        released,
        gone_at,
        ..creating("s#1")
    };
    check(deleting(false, Some(NOW + 5.0)), at(false, NOW), ClusterStep::Release);
    check(deleting(false, Some(NOW - 5.0)), at(false, NOW), ClusterStep::Release);
    check(deleting(true, Some(NOW + 5.0)), at(false, NOW), ClusterStep::Wait(Some(NOW + 5.0)));
    check(deleting(true, Some(NOW)), at(false, NOW), ClusterStep::Remove);
    check(deleting(true, None), at(false, NOW), ClusterStep::Remove);
    for status in [ClusterStatus::Active, ClusterStatus::Updating, ClusterStatus::Failed] {
        let settled = Cluster { status, endpoint: "https://127.0.0.1:6443".into(), ..creating("") };
        check(settled, at(false, NOW), ClusterStep::Wait(None));
    }
    // A failed create is not retried.
    check(Cluster { status: ClusterStatus::Failed, ..creating("") }, at(false, NOW), ClusterStep::Wait(None));
}

#[tokio::test]
async fn node_group_and_add_on_steps_follow_their_records() {
    let f = fixture(EksConfig::default());
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    let request = CreateNodegroup {
        cluster: "demo".into(),
        name: "ng".into(),
        subnets: vec!["subnet-a".into()],
        node_role: "arn:aws:iam::000000000000:role/node".into(),
        ..CreateNodegroup::default()
    };
    let nodegroup = f.eks.create_nodegroup(&caller(), request).await.unwrap();
    assert_eq!(nodegroup_step(&nodegroup, NOW), NodegroupStep::Wait(None));
    let deleting = Nodegroup { status: NodegroupStatus::Deleting, gone_at: Some(NOW + 5.0), ..nodegroup };
    assert_eq!(nodegroup_step(&deleting, NOW), NodegroupStep::Release);
    let released = Nodegroup { released: true, ..deleting };
    assert_eq!(nodegroup_step(&released, NOW), NodegroupStep::Wait(Some(NOW + 5.0)));
    assert_eq!(nodegroup_step(&released, NOW + 5.0), NodegroupStep::Remove);

    let request = AddonRequest { cluster: "demo".into(), name: "vpc-cni".into(), ..AddonRequest::default() };
    let addon = f.eks.create_addon(&caller(), request).await.unwrap();
    assert_eq!(addon_step(&addon, NOW), AddonStep::Install, "the call's own answer predates its install");
    let installed = Addon { installed: true, ..addon };
    assert_eq!(addon_step(&installed, NOW), AddonStep::Wait(None));
    let deleting = Addon { status: AddonStatus::Deleting, gone_at: Some(NOW + 5.0), ..installed.clone() };
    assert_eq!(addon_step(&deleting, NOW), AddonStep::Release);
    let released = Addon { released: true, ..deleting };
    assert_eq!(addon_step(&released, NOW), AddonStep::Wait(Some(NOW + 5.0)));
    assert_eq!(addon_step(&released, NOW + 6.0), AddonStep::Remove);
    let failed = Addon { status: AddonStatus::CreateFailed, installed: false, ..installed };
    assert_eq!(addon_step(&failed, NOW), AddonStep::Wait(None), "a failed install is not retried");
}

#[test]
fn the_scope_of_a_key_is_its_account_and_region_for_reconciled_kinds_only() {
    let scope = |key: &str| scope_of(key).map(|c| format!("{}/{}", c.account, c.region));
    assert_eq!(scope("/aws/000000000000/us-east-1/eks/clusters/demo").as_deref(), Some("000000000000/us-east-1"));
    assert_eq!(scope("/aws/1/eu-west-1/eks/nodegroups/demo/ng").as_deref(), Some("1/eu-west-1"));
    assert_eq!(scope("/aws/1/eu-west-1/eks/addons/demo/vpc-cni").as_deref(), Some("1/eu-west-1"));
    assert_eq!(scope("/aws/1/eu-west-1/eks/fargateprofiles/demo/fp").as_deref(), Some("1/eu-west-1"));
    for other in [
        "/aws/1/us-east-1/eks/updates/demo/id",
        "/aws/1/us-east-1/eks/accessentries/demo/arn",
        "/aws/1/us-east-1/ec2/network/main",
        "/aws/1/global/iam/roles/eks",
        "/aws/1/us-east-1/eks/clusters",
        "/aws/sessions/abc",
        "/ekslite/clusters/demo.us-east-1.1",
    ] {
        assert_eq!(scope(other), None, "{other}");
    }
}

#[test]
fn only_writes_that_leave_a_record_creating_or_deleting_may_need_steps() {
    let cluster = "/aws/1/us-east-1/eks/clusters/demo";
    let profile = "/aws/1/us-east-1/eks/fargateprofiles/demo/fp";
    for (key, value, expect) in [
        (cluster, r#"{"name":"demo","status":"CREATING"}"#, true),
        (cluster, r#"{"name":"demo","status":"DELETING","released":true}"#, true),
        ("/aws/1/us-east-1/eks/nodegroups/demo/ng", r#"{"status":"DELETING"}"#, true),
        ("/aws/1/us-east-1/eks/addons/demo/vpc-cni", r#"{"status":"CREATING"}"#, true),
        (profile, r#"{"status":"DELETING"}"#, true),
        (cluster, r#"{"name":"demo","status":"ACTIVE"}"#, false),
        // A Fargate profile or node group being created needs nothing in the background.
        (profile, r#"{"status":"CREATING"}"#, false),
        ("/aws/1/us-east-1/eks/nodegroups/demo/ng", r#"{"status":"CREATING"}"#, false),
        ("/aws/1/us-east-1/eks/nodegroups/demo/ng", r#"{"status":"UPDATING"}"#, false),
        // A delete leaves nothing; a record of a kind without a background half or damaged needs nothing.
        (cluster, "", false),
        ("/aws/1/us-east-1/eks/updates/demo/id", r#"{"status":"DELETING"}"#, false),
        (cluster, "not json", false),
        (cluster, r#"{"name":"demo"}"#, false),
    ] {
        assert_eq!(may_need_steps(key, value.as_bytes()), expect, "{key} {value}");
    }
}

/// Polls (yielding to the other tasks) until `done`; gives up after many turns.
async fn until(mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..10_000 {
        if done().await {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("gave up waiting");
}

#[tokio::test]
async fn a_create_whose_call_was_cut_short_is_finished_by_the_reconciler_with_its_own_issuer() {
    let f = fixture(EksConfig::default());
    let held = f.kubernetes.gate.write().await;
    let eks = f.eks.clone();
    let api = CreateCluster { authentication_mode: Some("API".into()), ..input("demo") };
    let call = tokio::spawn(async move { eks.create_cluster(&caller(), api).await });
    until(async || f.eks.describe_cluster(&caller(), "demo").await.is_ok()).await;
    let record = f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    assert_eq!((record.status, record.endpoint.as_str()), (ClusterStatus::Creating, ""));

    // While the call runs, the reconciler leaves its cluster alone.
    assert_eq!(reconcile(&f.eks).await.steps, 0);
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    drop(held);
    assert_eq!(reconcile(&f.eks).await.steps, 1);

    let finished = f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    assert_eq!(finished.status, ClusterStatus::Active);
    assert_eq!(finished.endpoint, "https://127.0.0.1:6443");
    let issuer_id = record.oidc_issuer.rsplit('/').next().unwrap();
    assert_eq!(finished.oidc_issuer, format!("https://127.0.0.1:6443/id/{issuer_id}"));
    let specs = f.kubernetes.created.lock().unwrap().clone();
    assert_eq!(specs.len(), 1, "the cut call never reached the Kubernetes side");
    assert_eq!((specs[0].name.as_str(), specs[0].issuer_id.as_str()), ("demo.us-east-1.000000000000", issuer_id));
    // The creator's access entry, which the call would have made, is there.
    let entry = f.eks.describe_access_entry(&caller(), "demo", &caller().arn).await.unwrap();
    assert_eq!(entry.policies.len(), 1);
    assert_eq!(reconcile(&f.eks).await.steps, 0, "nothing left to do");
}

/// Rewrites demo's record as a create by `created_by` left it before its Kubernetes side was made.
async fn cut_short(eks: &Eks, created_by: &str) {
    let key = Eks::cluster_key(&caller(), "demo");
    let stored = eks.records.get::<Cluster>(&key).await.unwrap().unwrap();
    let cluster = Cluster {
        status: ClusterStatus::Creating,
        endpoint: String::new(),
        certificate_authority: String::new(),
        created_by: created_by.into(),
        ..stored.value
    };
    eks.records.update(&key, &cluster, stored.revision).await.unwrap();
}

#[tokio::test]
async fn a_create_an_earlier_run_left_is_finished_at_once_and_one_of_another_server_after_a_while() {
    let f = fixture(EksConfig::default());
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    let restarted = |server: &str, boot: u64, kubernetes: Arc<dyn KubernetesClusters>| {
        Eks::new(f.eks.records.clone(), kubernetes, f.clock.clone(), EksConfig::default()).with_server(server, boot)
    };

    cut_short(&f.eks, "s#1").await;
    let second_boot = restarted("s", 2, f.kubernetes.clone());
    assert_eq!(second_boot.describe_cluster(&caller(), "demo").await.unwrap().status, ClusterStatus::Creating);
    reconcile(&second_boot).await;
    assert_eq!(second_boot.describe_cluster(&caller(), "demo").await.unwrap().status, ClusterStatus::Active);

    cut_short(&f.eks, "s#1").await;
    let other = restarted("t", 1, f.kubernetes.clone());
    let pass = reconcile(&other).await;
    assert_eq!(pass.steps, 0);
    let created_at = other.describe_cluster(&caller(), "demo").await.unwrap().created_at;
    assert_eq!(pass.due, Some(created_at + CREATE_TAKEOVER_SECONDS));
    f.clock.advance(CREATE_TAKEOVER_SECONDS);
    reconcile(&other).await;
    assert_eq!(other.describe_cluster(&caller(), "demo").await.unwrap().status, ClusterStatus::Active);
    assert_eq!(f.kubernetes.created.lock().unwrap().len(), 3, "made once, then made again twice");

    // When the Kubernetes side cannot be made, the cluster is FAILED, says why, and can be deleted.
    cut_short(&f.eks, "").await;
    let failing = Arc::new(FakeKubernetes { fail: true, ..FakeKubernetes::default() });
    let broken = restarted("s", 3, failing.clone());
    reconcile(&broken).await;
    let failed = broken.describe_cluster(&caller(), "demo").await.unwrap();
    assert_eq!(failed.status, ClusterStatus::Failed);
    assert_eq!(failed.health.len(), 1);
    assert_eq!(failed.health[0].code, "InternalFailure");
    assert!(failed.health[0].message.contains("no ports left"), "{}", failed.health[0].message);
    assert_eq!(reconcile(&broken).await.steps, 0, "a failed create is not retried");
    assert_eq!(broken.delete_cluster(&caller(), "demo").await.unwrap().status, ClusterStatus::Deleting);
    reconcile(&broken).await;
    assert_eq!(*failing.deleted.lock().unwrap(), ["demo.us-east-1.000000000000"]);
    assert!(matches!(broken.describe_cluster(&caller(), "demo").await, Err(EksError::ResourceNotFound(_))));
}

/// Terminates nothing and fails.
struct Unreachable;

#[async_trait::async_trait]
impl NodegroupInstances for Unreachable {
    async fn follow(&self, _: &Caller) -> Result<(), String> {
        Err("the network record is damaged".into())
    }
}

#[tokio::test]
async fn deleted_node_groups_go_once_one_follow_of_their_instances_has_run() {
    let f = fixture(EksConfig::default());
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    for name in ["a", "b", "c"] {
        let request = CreateNodegroup {
            cluster: "demo".into(),
            name: name.into(),
            subnets: vec!["subnet-a".into()],
            node_role: "arn:aws:iam::000000000000:role/node".into(),
            ..CreateNodegroup::default()
        };
        f.eks.create_nodegroup(&caller(), request).await.unwrap();
        if name != "c" {
            f.eks.delete_nodegroup(&caller(), "demo", name).await.unwrap();
        }
    }
    let pass = f.eks.reconcile(&caller(), &Unreachable).await.unwrap();
    assert_eq!(pass.failures, ["terminating deleted node groups' instances: the network record is damaged"]);
    let names = f.eks.list_nodegroups(&caller(), "demo", None, None).await.unwrap().0;
    assert_eq!(names, ["a", "b", "c"], "they stay DELETING while their instances may live");

    let instances = NoInstances::default();
    let pass = f.eks.reconcile(&caller(), &instances).await.unwrap();
    assert!(pass.failures.is_empty(), "{:?}", pass.failures);
    assert_eq!(*instances.0.lock().unwrap(), 1, "one follow for both");
    assert_eq!(f.eks.list_nodegroups(&caller(), "demo", None, None).await.unwrap().0, ["c"]);
    f.eks.reconcile(&caller(), &instances).await.unwrap();
    assert_eq!(*instances.0.lock().unwrap(), 1, "nothing left to follow");
}

#[tokio::test]
async fn add_on_objects_go_in_when_a_create_was_cut_short_and_come_out_after_a_delete_unless_preserved() {
    let f = fixture(EksConfig::default());
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    let request = |name: &str| AddonRequest { cluster: "demo".into(), name: name.into(), ..AddonRequest::default() };
    let calls = || f.kubernetes.addons.lock().unwrap().clone();
    let call = |name: &str, installed| ("demo.us-east-1.000000000000".to_owned(), name.to_owned(), installed);

    f.eks.create_addon(&caller(), request("aws-ebs-csi-driver")).await.unwrap();
    assert_eq!(calls(), [call("aws-ebs-csi-driver", true)]);
    // As if the server died between the record and the objects.
    let key = Eks::child_key(&caller(), "addons", "demo", "aws-ebs-csi-driver");
    let stored = f.eks.records.get::<Addon>(&key).await.unwrap().unwrap();
    let cut = Addon { status: AddonStatus::Creating, installed: false, ..stored.value };
    f.eks.records.update(&key, &cut, stored.revision).await.unwrap();
    let described = f.eks.describe_addon(&caller(), "demo", "aws-ebs-csi-driver").await.unwrap();
    assert_eq!(described.status, AddonStatus::Creating, "not ACTIVE without its objects");
    reconcile(&f.eks).await;
    assert_eq!(calls(), [call("aws-ebs-csi-driver", true), call("aws-ebs-csi-driver", true)]);
    let described = f.eks.describe_addon(&caller(), "demo", "aws-ebs-csi-driver").await.unwrap();
    assert_eq!(described.status, AddonStatus::Active);

    let deleting = f.eks.delete_addon(&caller(), "demo", "aws-ebs-csi-driver", false).await.unwrap();
    assert_eq!(deleting.status, AddonStatus::Deleting);
    assert_eq!(calls().len(), 2, "the call answers before the objects are touched");
    reconcile(&f.eks).await;
    assert_eq!(calls()[2], call("aws-ebs-csi-driver", false));
    assert!(f.eks.describe_addon(&caller(), "demo", "aws-ebs-csi-driver").await.is_err());

    f.eks.create_addon(&caller(), request("coredns")).await.unwrap();
    f.eks.delete_addon(&caller(), "demo", "coredns", true).await.unwrap();
    reconcile(&f.eks).await;
    assert_eq!(calls()[3..], [call("coredns", true)], "preserved: nothing taken out");
    assert!(f.eks.describe_addon(&caller(), "demo", "coredns").await.is_err());
}

#[tokio::test]
async fn an_add_on_whose_objects_cannot_go_in_is_create_failed_with_a_health_issue() {
    let f = fixture_with(EksConfig::default(), FakeKubernetes { fail_addons: true, ..FakeKubernetes::default() });
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    let request = AddonRequest { cluster: "demo".into(), name: "vpc-cni".into(), ..AddonRequest::default() };
    let created = f.eks.create_addon(&caller(), request).await.unwrap();
    assert_eq!(created.status, AddonStatus::Creating, "the call answers; the reconciler tries again");
    reconcile(&f.eks).await;
    let failed = f.eks.describe_addon(&caller(), "demo", "vpc-cni").await.unwrap();
    assert_eq!(failed.status, AddonStatus::CreateFailed);
    assert_eq!(failed.health[0].code, "ClusterUnreachable");
    f.eks.delete_addon(&caller(), "demo", "vpc-cni", false).await.unwrap();
    let pass = f.eks.reconcile(&caller(), &NoInstances::default()).await.unwrap();
    assert_eq!(pass.failures.len(), 1, "its objects cannot come out either: {:?}", pass.failures);
    assert_eq!(f.eks.describe_addon(&caller(), "demo", "vpc-cni").await.unwrap().status, AddonStatus::Deleting);
}

#[tokio::test]
async fn a_deleted_cluster_releases_its_children_and_goes_after_its_delay() {
    let f = fixture(EksConfig { delete_seconds: 30.0, ..EksConfig::default() });
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    let request = AddonRequest { cluster: "demo".into(), name: "vpc-cni".into(), ..AddonRequest::default() };
    f.eks.create_addon(&caller(), request).await.unwrap();
    f.eks.delete_cluster(&caller(), "demo").await.unwrap();
    let pass = reconcile(&f.eks).await;
    assert_eq!(pass.due, Some(NOW + 30.0));
    assert_eq!(*f.kubernetes.deleted.lock().unwrap(), ["demo.us-east-1.000000000000"]);
    let prefix = Eks::children_prefix(&caller(), "addons", "demo");
    assert!(f.eks.records.list::<serde_json::Value>(&prefix).await.unwrap().is_empty(), "its add-ons are forgotten");
    assert_eq!(f.eks.describe_cluster(&caller(), "demo").await.unwrap().status, ClusterStatus::Deleting);
    assert_eq!(reconcile(&f.eks).await.steps, 0, "released once");
    f.clock.advance(30.0);
    assert_eq!(reconcile(&f.eks).await.steps, 1);
    assert_eq!(f.eks.list_clusters(&caller(), None, None).await.unwrap().0, Vec::<String>::new());
    assert_eq!(f.kubernetes.deleted.lock().unwrap().len(), 1);
}

#[test]
fn an_add_ons_health_is_looked_at_once_its_grace_period_is_over_and_decides_its_status() {
    let active = Addon { status: AddonStatus::Active, ready_at: NOW, modified_at: NOW - 1.0, ..bootstrap_addon() };
    assert_eq!(health_step(&active, NOW + 1.0, 30.0), HealthStep::Wait(NOW + 30.0));
    assert_eq!(health_step(&active, NOW + 30.0, 30.0), HealthStep::Look);
    let updated = Addon { modified_at: NOW + 100.0, updating_until: Some(NOW + 110.0), ..active.clone() };
    assert_eq!(health_step(&updated, NOW + 105.0, 30.0), HealthStep::Never, "an update runs");
    assert_eq!(health_step(&updated, NOW + 120.0, 30.0), HealthStep::Wait(NOW + 140.0), "grace after the update");
    let created = Addon { status: AddonStatus::Creating, ..active.clone() };
    assert_eq!(health_step(&created, NOW + 30.0, 30.0), HealthStep::Look, "as stored, not yet settled by a read");
    assert!(health_verdict(&mut created.clone(), true), "settled ACTIVE");
    for status in [AddonStatus::Deleting, AddonStatus::CreateFailed, AddonStatus::UpdateFailed] {
        assert_eq!(health_step(&Addon { status, ..active.clone() }, NOW + 99.0, 30.0), HealthStep::Never);
    }
    let not_in = Addon { installed: false, ..active.clone() };
    assert_eq!(health_step(&not_in, NOW + 99.0, 30.0), HealthStep::Never);

    let mut addon = active.clone();
    assert!(!health_verdict(&mut addon, true), "ready and active: nothing to write");
    assert!(health_verdict(&mut addon, false));
    assert_eq!(addon.status, AddonStatus::Degraded);
    assert_eq!(addon.health.len(), 1);
    assert_eq!(addon.health[0].code, "InsufficientNumberOfReplicas");
    assert_eq!(
        addon.health[0].message,
        "The add-on is unhealthy because it doesn't have the desired number of replicas."
    );
    assert!(!health_verdict(&mut addon, false), "still degraded: nothing to write");
    addon.health.push(HealthIssue {
        code: "ConfigurationConflict".into(),
        message: "m".into(),
        resource_ids: Vec::new(),
    });
    assert!(health_verdict(&mut addon, true));
    assert_eq!(addon.status, AddonStatus::Active);
    assert_eq!(
        addon.health.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
        ["ConfigurationConflict"],
        "other issues stay"
    );
    let mut deleting = Addon { status: AddonStatus::Deleting, ..active };
    assert!(!health_verdict(&mut deleting, false));
    assert_eq!(deleting.status, AddonStatus::Deleting);
}

/// An installed `ACTIVE` add-on record with no history.
fn bootstrap_addon() -> Addon {
    Addon {
        name: "coredns".into(),
        cluster: "demo".into(),
        arn: String::new(),
        version: "v1.12.3-eksbuild.1".into(),
        status: AddonStatus::Active,
        created_at: NOW,
        modified_at: NOW,
        service_account_role_arn: None,
        configuration_values: None,
        tags: Default::default(),
        ready_at: NOW,
        gone_at: None,
        updating_until: None,
        installed: true,
        preserve: false,
        released: false,
        health: Vec::new(),
        client_request_token: None,
    }
}

#[tokio::test]
async fn an_add_on_whose_replicas_are_not_ready_turns_degraded_after_its_grace_and_active_once_they_are() {
    let f = fixture(EksConfig { addon_health_grace_seconds: 30.0, ..EksConfig::default() });
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    let request = |name: &str| AddonRequest { cluster: "demo".into(), name: name.into(), ..AddonRequest::default() };
    f.kubernetes.unready.lock().unwrap().push("coredns".into());
    f.eks.create_addon(&caller(), request("coredns")).await.unwrap();
    f.eks.create_addon(&caller(), request("kube-proxy")).await.unwrap();
    let status = |name: &'static str| {
        let eks = &f.eks;
        async move { eks.describe_addon(&caller(), "demo", name).await.unwrap() }
    };
    let looks = || *f.kubernetes.readiness_looks.lock().unwrap();

    let start = crate::clock::Clock::now(&*f.clock);
    let pass = reconcile(&f.eks).await;
    assert_eq!(pass.due, Some(start + 30.0), "the pass comes back when the grace period is over");
    assert_eq!(looks(), 0, "nothing looked at within the grace period");
    assert_eq!(status("coredns").await.status, AddonStatus::Active);

    f.clock.advance(30.0);
    reconcile(&f.eks).await;
    assert_eq!(looks(), 2, "both add-ons looked at");
    let degraded = status("coredns").await;
    assert_eq!(degraded.status, AddonStatus::Degraded);
    assert_eq!(degraded.health[0].code, "InsufficientNumberOfReplicas");
    assert_eq!(status("kube-proxy").await.status, AddonStatus::Active);

    f.kubernetes.unready.lock().unwrap().clear();
    f.clock.advance(1.0);
    reconcile(&f.eks).await;
    assert_eq!(looks(), 2, "a region's health is looked at once every few seconds at most");
    assert_eq!(status("coredns").await.status, AddonStatus::Degraded);
    f.clock.advance(HEALTH_EVERY_SECONDS);
    reconcile(&f.eks).await;
    let healthy = status("coredns").await;
    assert_eq!((healthy.status, healthy.health), (AddonStatus::Active, Vec::new()));

    // An update gives the workloads a new grace period; a deleted add-on is not looked at.
    f.kubernetes.unready.lock().unwrap().push("coredns".into());
    let update = AddonRequest { configuration_values: Some("replicaCount: 3".into()), ..request("coredns") };
    f.eks.update_addon(&caller(), update).await.unwrap();
    f.clock.advance(HEALTH_EVERY_SECONDS);
    reconcile(&f.eks).await;
    assert_eq!(status("coredns").await.status, AddonStatus::Active, "within the update's grace period");
    f.eks.delete_addon(&caller(), "demo", "kube-proxy", false).await.unwrap();
    f.clock.advance(30.0);
    let before = looks();
    reconcile(&f.eks).await;
    assert_eq!(looks(), before + 1, "only coredns");
    assert_eq!(status("coredns").await.status, AddonStatus::Degraded);
}

use super::*;
use crate::eks::EksConfig;
use crate::eks::tests::{caller, fixture, input};

async fn with_cluster(config: EksConfig) -> crate::eks::tests::Fixture {
    let f = fixture(config);
    f.eks.create_cluster(&caller(), CreateCluster { version: Some("1.32".into()), ..input("demo") }).await.unwrap();
    f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    f
}

use crate::eks::CreateCluster;

/// Applies `change` to a fresh cluster; `expect` is `Ok(update type)` or a fragment of the error.
async fn check(change: ClusterConfigChange, expect: Result<&str, &str>) {
    let f = with_cluster(EksConfig::default()).await;
    let got = f.eks.update_cluster_config(&caller(), "demo", change.clone()).await;
    match (&got, expect) {
        (Ok(update), Ok(kind)) => assert_eq!(update.kind, kind, "{change:?}"),
        (Err(error), Err(fragment)) => assert!(error.to_string().contains(fragment), "{change:?}: {error}"),
        _ => panic!("{change:?}: got {got:?}, expected {expect:?}"),
    }
}

fn mode(mode: &str) -> ClusterConfigChange {
    ClusterConfigChange { authentication_mode: Some(mode.into()), ..ClusterConfigChange::default() }
}

#[tokio::test]
async fn config_updates_take_one_kind_of_change_at_a_time() {
    let none = ClusterConfigChange::default();
    let logs = ClusterConfigChange { logging: Some(vec![("api".into(), true)]), ..none.clone() };
    check(none.clone(), Err("No changes needed")).await;
    check(logs.clone(), Ok("LoggingUpdate")).await;
    check(
        ClusterConfigChange { logging: Some(vec![("kubelet".into(), true)]), ..none.clone() },
        Err("Unknown log type"),
    )
    .await;
    check(ClusterConfigChange { endpoint_private_access: Some(true), ..none.clone() }, Ok("EndpointAccessUpdate"))
        .await;
    check(ClusterConfigChange { subnet_ids: Some(vec!["subnet-9".into()]), ..none.clone() }, Ok("VpcConfigUpdate"))
        .await;
    check(ClusterConfigChange { subnet_ids: Some(vec![]), ..none.clone() }, Err("at least two different AZs")).await;
    check(ClusterConfigChange { endpoint_public_access: Some(false), ..none.clone() }, Err("Either Public or Private"))
        .await;
    check(ClusterConfigChange { public_access_cidrs: Some(vec!["1.2.3.4/40".into()]), ..none.clone() }, Err("invalid"))
        .await;
    check(ClusterConfigChange { public_access_cidrs: Some(vec!["1.2.3.0/24".into(); 41]), ..none.clone() }, Err("40"))
        .await;
    check(ClusterConfigChange { authentication_mode: Some("API".into()), ..logs }, Err("Only one type of update"))
        .await;
    check(mode("API_AND_CONFIG_MAP"), Ok("AccessConfigUpdate")).await;
    check(mode("API"), Ok("AccessConfigUpdate")).await;
    check(mode("CONFIG_MAP"), Err("Unsupported authentication mode update from CONFIG_MAP to CONFIG_MAP")).await;
    check(mode("LDAP"), Err("Unsupported authentication mode LDAP")).await;
    check(ClusterConfigChange { support_type: Some("EXTENDED".into()), ..none.clone() }, Ok("UpgradePolicyUpdate"))
        .await;
    check(ClusterConfigChange { support_type: Some("FOREVER".into()), ..none }, Err("Unsupported support type")).await;
}

#[tokio::test]
async fn authentication_modes_only_move_forward() {
    let f = with_cluster(EksConfig::default()).await;
    f.eks.update_cluster_config(&caller(), "demo", mode("API_AND_CONFIG_MAP")).await.unwrap();
    let back = f.eks.update_cluster_config(&caller(), "demo", mode("CONFIG_MAP")).await.unwrap_err();
    assert_eq!(
        back,
        EksError::InvalidParameter(
            "Unsupported authentication mode update from API_AND_CONFIG_MAP to CONFIG_MAP".into()
        )
    );
    f.eks.update_cluster_config(&caller(), "demo", mode("API")).await.unwrap();
    assert_eq!(f.eks.describe_cluster(&caller(), "demo").await.unwrap().authentication_mode, "API");
}

#[tokio::test]
async fn logging_and_endpoint_changes_are_applied() {
    let f = with_cluster(EksConfig::default()).await;
    let logs = vec![("audit".into(), true), ("api".into(), true), ("scheduler".into(), false)];
    let update = f
        .eks
        .update_cluster_config(&caller(), "demo", ClusterConfigChange { logging: Some(logs), ..Default::default() })
        .await
        .unwrap();
    assert!(update.params[0].1.contains(r#"{"enabled":true,"types":["api","audit"]}"#), "{:?}", update.params);
    let endpoint = ClusterConfigChange {
        endpoint_private_access: Some(true),
        public_access_cidrs: Some(vec!["203.0.113.0/24".into()]),
        ..Default::default()
    };
    f.eks.update_cluster_config(&caller(), "demo", endpoint).await.unwrap();
    let cluster = f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    assert_eq!(cluster.enabled_log_types, ["api", "audit"]);
    assert!(cluster.vpc.endpoint_private_access && cluster.vpc.endpoint_public_access);
    assert_eq!(cluster.vpc.public_access_cidrs, ["203.0.113.0/24"]);
}

#[tokio::test]
async fn versions_move_one_minor_at_a_time_while_the_cluster_reads_updating() {
    let f = with_cluster(EksConfig { update_seconds: 30.0, ..EksConfig::default() }).await;
    let skip = f.eks.update_cluster_version(&caller(), "demo", "1.34", None).await.unwrap_err();
    assert_eq!(
        skip,
        EksError::InvalidParameter("Unsupported Kubernetes minor version update from 1.32 to 1.34".into())
    );
    let old = f.eks.update_cluster_version(&caller(), "demo", "1.12", None).await.unwrap_err();
    assert_eq!(old, EksError::InvalidParameter("unsupported Kubernetes version".into()));
    let update = f.eks.update_cluster_version(&caller(), "demo", "1.33", None).await.unwrap();
    assert_eq!((update.kind.as_str(), update.status), ("VersionUpdate", UpdateStatus::InProgress));
    let cluster = f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    assert_eq!((cluster.status, cluster.version.as_str()), (ClusterStatus::Updating, "1.33"));
    let busy = f.eks.update_cluster_version(&caller(), "demo", "1.34", None).await.unwrap_err();
    assert!(matches!(busy, EksError::ResourceInUse(m) if m.contains("currently being updated")));
    f.clock.advance(30.0);
    assert_eq!(f.eks.describe_cluster(&caller(), "demo").await.unwrap().status, ClusterStatus::Active);
    let done = f.eks.describe_update(&caller(), "demo", &update.id, UpdateScope::default()).await.unwrap();
    assert_eq!(done.status, UpdateStatus::Successful);
    let second = f.eks.update_cluster_version(&caller(), "demo", "1.34", None).await.unwrap();

    let (first_page, token) =
        f.eks.list_updates(&caller(), "demo", UpdateScope::default(), Some(1), None).await.unwrap();
    assert_eq!(first_page, std::slice::from_ref(&update.id));
    let (rest, end) =
        f.eks.list_updates(&caller(), "demo", UpdateScope::default(), Some(1), token.as_deref()).await.unwrap();
    assert_eq!((rest, end), (vec![second.id], None));
    let bad_token = f.eks.list_updates(&caller(), "demo", UpdateScope::default(), None, Some("bm9wZQ==")).await;
    assert!(matches!(bad_token, Err(EksError::InvalidParameter(_))));
    let missing = f.eks.describe_update(&caller(), "demo", "nope", UpdateScope::default()).await.unwrap_err();
    assert_eq!(missing, EksError::ResourceNotFound("No update found for ID: nope".into()));
    let no_cluster = f.eks.update_cluster_version(&caller(), "other", "1.34", None).await.unwrap_err();
    assert!(matches!(no_cluster, EksError::ResourceNotFound(_)));
}

#[tokio::test]
async fn a_creating_cluster_cannot_be_updated_and_a_deleted_one_forgets_its_updates() {
    let f = fixture(EksConfig { create_seconds: 10.0, ..EksConfig::default() });
    f.eks.create_cluster(&caller(), CreateCluster { version: Some("1.33".into()), ..input("demo") }).await.unwrap();
    let creating = f.eks.update_cluster_version(&caller(), "demo", "1.34", None).await.unwrap_err();
    assert!(matches!(creating, EksError::InvalidRequest(m) if m.starts_with("Cluster 'demo' is not in ACTIVE status")));
    f.clock.advance(10.0);
    f.eks.update_cluster_version(&caller(), "demo", "1.34", None).await.unwrap();
    f.eks.delete_cluster(&caller(), "demo").await.unwrap();
    crate::eks::tests::reconcile(&f.eks).await;
    f.eks.describe_cluster(&caller(), "demo").await.unwrap_err();
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    f.clock.advance(10.0);
    let (ids, _) = f.eks.list_updates(&caller(), "demo", UpdateScope::default(), None, None).await.unwrap();
    assert!(ids.is_empty(), "a new cluster of the same name starts without updates");
}

#[tokio::test]
async fn an_update_sent_again_with_its_token_is_answered_with_the_first_and_changes_nothing() {
    let f = with_cluster(EksConfig::default()).await;
    let first = f.eks.update_cluster_version(&caller(), "demo", "1.33", Some("retry-1")).await.unwrap();
    assert_eq!(first.client_request_token.as_deref(), Some("retry-1"));
    let again = f.eks.update_cluster_version(&caller(), "demo", "1.33", Some("retry-1")).await.unwrap();
    assert_eq!(again.id, first.id);
    // Without the token the same request is a second update (refused: 1.33 is no step up from 1.33).
    assert!(f.eks.update_cluster_version(&caller(), "demo", "1.33", None).await.is_err());
    let logging = ClusterConfigChange {
        logging: Some(vec![("api".into(), true)]),
        client_request_token: Some("retry-2".into()),
        ..ClusterConfigChange::default()
    };
    let made = f.eks.update_cluster_config(&caller(), "demo", logging.clone()).await.unwrap();
    assert_eq!(f.eks.update_cluster_config(&caller(), "demo", logging).await.unwrap().id, made.id);
    let (mut ids, _) = f.eks.list_updates(&caller(), "demo", UpdateScope::default(), None, None).await.unwrap();
    let mut expected = vec![first.id, made.id];
    ids.sort();
    expected.sort();
    assert_eq!(ids, expected, "two updates, not four");
    let bad = ClusterConfigChange {
        logging: Some(vec![("api".into(), false)]),
        client_request_token: Some("x".repeat(65)),
        ..ClusterConfigChange::default()
    };
    assert!(matches!(f.eks.update_cluster_config(&caller(), "demo", bad).await, Err(EksError::InvalidParameter(_))));
}

use super::*;
use crate::eks::tests::{caller, fixture, input, reconcile};
use crate::eks::updates::UpdateStatus;
use crate::eks::{CreateCluster, EksConfig};

#[test]
fn every_catalog_version_has_the_eks_build_format_and_a_default_per_kubernetes_version() {
    for info in CATALOG {
        for version in info.versions {
            let (semver, build) = version.version.split_once("-eksbuild.").expect(version.version);
            assert!(semver.starts_with('v') && semver[1..].split('.').count() == 3, "{}", version.version);
            assert!(build.parse::<u32>().is_ok(), "{}", version.version);
        }
        for kubernetes in ["1.30", "1.31", "1.32", "1.33", "1.34"] {
            let defaults = info.versions.iter().filter(|v| v.default_for.contains(&kubernetes)).count();
            assert_eq!(defaults, 1, "{} on {kubernetes}", info.name);
        }
    }
}

#[test]
fn versions_are_described_per_kubernetes_version() {
    let (found, _) = describe_addon_versions(Some("1.31"), Some("kube-proxy"), None, None).unwrap();
    let versions: Vec<&str> = found[0].1.iter().map(|v| v.version).collect();
    assert_eq!(versions, ["v1.31.13-eksbuild.2"]);
    let (all, _) = describe_addon_versions(None, None, None, None).unwrap();
    assert_eq!(all.len(), 8);
    let (first, token) = describe_addon_versions(None, None, Some(2), None).unwrap();
    assert_eq!(
        first.iter().map(|(i, _)| i.name).collect::<Vec<_>>(),
        ["amazon-cloudwatch-observability", "aws-ebs-csi-driver"]
    );
    let (next, _) = describe_addon_versions(None, None, Some(2), token.as_deref()).unwrap();
    assert_eq!(next[0].0.name, "aws-efs-csi-driver");
    assert!(describe_addon_versions(Some("1.12"), None, None, None).unwrap().0.is_empty());
    assert!(describe_addon_versions(None, Some("nope"), None, None).unwrap().0.is_empty());
}

#[test]
fn configuration_schemas_are_json_schemas() {
    let schema: serde_json::Value =
        serde_json::from_str(&configuration_schema("coredns", "v1.12.3-eksbuild.1").unwrap()).unwrap();
    assert_eq!(schema["type"], "object");
    assert!(schema["properties"]["replicaCount"].is_object() && schema["properties"]["resources"].is_object());
    assert!(matches!(configuration_schema("coredns", "v0.1"), Err(EksError::InvalidParameter(_))));
    assert!(matches!(configuration_schema("nope", "v1"), Err(EksError::InvalidParameter(_))));
}

fn check_values(values: &str, valid: bool) {
    assert_eq!(validate_configuration_values(values).is_ok(), valid, "{values:?}");
}

#[test]
fn configuration_values_are_json_or_yaml_mappings() {
    check_values(r#"{"replicaCount": 3}"#, true);
    check_values("", true);
    check_values("replicaCount: 3\nresources:\n  limits:\n    memory: 170Mi\n# note\n", true);
    check_values("tolerations:\n  - key: x\n    effect: NoSchedule\n", true);
    check_values("corefile: |\n  .:53 {\n  }\n", true);
    check_values(r#"{"replicaCount": 3"#, false);
    check_values("[1, 2]", false);
    check_values("just words", false);
    check_values("key:value", false);
    check_values("a: 1\n\tb: 2", false);
    check_values("a: 1\n  {broken", false);
}

async fn with_cluster(version: &str) -> crate::eks::tests::Fixture {
    let f = fixture(EksConfig::default());
    f.eks.create_cluster(&caller(), CreateCluster { version: Some(version.into()), ..input("demo") }).await.unwrap();
    f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    f
}

fn addon(name: &str) -> AddonRequest {
    AddonRequest { cluster: "demo".into(), name: name.into(), ..AddonRequest::default() }
}

async fn check(change: impl FnOnce(&mut AddonRequest), expect: Result<&str, &str>) {
    let f = with_cluster("1.33").await;
    let mut request = addon("coredns");
    change(&mut request);
    let got = f.eks.create_addon(&caller(), request.clone()).await;
    match (&got, expect) {
        (Ok(addon), Ok(version)) => assert_eq!(addon.version, version, "{request:?}"),
        (Err(error), Err(fragment)) => assert!(error.to_string().contains(fragment), "{request:?}: {error}"),
        _ => panic!("{request:?}: got {got:?}, expected {expect:?}"),
    }
}

#[tokio::test]
async fn create_picks_the_default_version_and_checks_the_request() {
    check(|_| {}, Ok("v1.12.3-eksbuild.1")).await;
    check(|r| r.name = "kube-proxy".into(), Ok("v1.33.5-eksbuild.2")).await;
    check(|r| r.name = "nginx".into(), Err("Addon nginx specified is not supported")).await;
    check(|r| r.version = Some("v1.11.4-eksbuild.2".into()), Err("Addon version specified is not supported")).await;
    check(|r| r.version = Some("latest".into()), Err("Addon version specified is not supported")).await;
    check(|r| r.service_account_role_arn = Some("role".into()), Err("Invalid role ARN")).await;
    check(|r| r.resolve_conflicts = Some("PRESERVE".into()), Err("Unsupported resolveConflicts PRESERVE")).await;
    check(|r| r.resolve_conflicts = Some("OVERWRITE".into()), Ok("v1.12.3-eksbuild.1")).await;
    check(|r| r.configuration_values = Some("{oops".into()), Err("ConfigurationValue provided in request")).await;
    check(|r| r.configuration_values = Some("replicaCount: 3".into()), Ok("v1.12.3-eksbuild.1")).await;
    check(|r| r.cluster = "nope".into(), Err("No cluster found for name: nope.")).await;
}

#[tokio::test]
async fn an_addon_is_creating_then_active_then_updated_then_deleted() {
    let f = with_cluster("1.32").await;
    let config = EksConfig { create_seconds: 5.0, delete_seconds: 5.0, update_seconds: 5.0, ..EksConfig::default() };
    let eks = Eks::new(f.eks.records.clone(), f.kubernetes.clone(), f.clock.clone(), config);
    let created = eks.create_addon(&caller(), addon("vpc-cni")).await.unwrap();
    assert_eq!(created.status, AddonStatus::Creating);
    assert!(created.arn.starts_with("arn:aws:eks:us-east-1:000000000000:addon/demo/vpc-cni/"));
    let again = eks.create_addon(&caller(), addon("vpc-cni")).await.unwrap_err();
    assert_eq!(again, EksError::ResourceInUse("Addon already exists.".into()));
    f.clock.advance(5.0);
    assert_eq!(eks.describe_addon(&caller(), "demo", "vpc-cni").await.unwrap().status, AddonStatus::Active);

    let change = AddonRequest {
        version: Some("v1.19.6-eksbuild.7".into()),
        configuration_values: Some(r#"{"env": {"WARM_IP_TARGET": "2"}}"#.into()),
        resolve_conflicts: Some("PRESERVE".into()),
        ..addon("vpc-cni")
    };
    let update = eks.update_addon(&caller(), change.clone()).await.unwrap();
    assert_eq!((update.kind.as_str(), update.status), ("AddonUpdate", UpdateStatus::InProgress));
    let installs: Vec<_> =
        f.kubernetes.addons.lock().unwrap().iter().filter(|(_, name, _)| name == "vpc-cni").cloned().collect();
    assert_eq!(installs.len(), 2, "created, then put in again with the update's settings: {installs:?}");
    let params: Vec<&str> = update.params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(params, ["AddonVersion", "ResolveConflicts", "ConfigurationValues"]);
    let updating = eks.describe_addon(&caller(), "demo", "vpc-cni").await.unwrap();
    assert_eq!((updating.status, updating.version.as_str()), (AddonStatus::Updating, "v1.19.6-eksbuild.7"));
    assert!(matches!(eks.update_addon(&caller(), change).await, Err(EksError::ResourceInUse(_))));
    let scope = UpdateScope { nodegroup: None, addon: Some("vpc-cni") };
    assert_eq!(
        eks.list_updates(&caller(), "demo", scope, None, None).await.unwrap().0,
        std::slice::from_ref(&update.id)
    );
    f.clock.advance(5.0);
    assert_eq!(
        eks.describe_update(&caller(), "demo", &update.id, scope).await.unwrap().status,
        UpdateStatus::Successful
    );

    let bad_version = AddonRequest { version: Some("v9.9.9-eksbuild.1".into()), ..addon("vpc-cni") };
    assert!(matches!(eks.update_addon(&caller(), bad_version).await, Err(EksError::InvalidParameter(_))));
    assert_eq!(eks.list_addons(&caller(), "demo", None, None).await.unwrap().0, ["vpc-cni"]);
    assert_eq!(eks.delete_addon(&caller(), "demo", "vpc-cni", false).await.unwrap().status, AddonStatus::Deleting);
    f.clock.advance(5.0);
    reconcile(&eks).await;
    let gone = eks.describe_addon(&caller(), "demo", "vpc-cni").await.unwrap_err();
    assert_eq!(gone, EksError::ResourceNotFound("No addon: vpc-cni found in cluster: demo".into()));
    assert!(eks.list_addons(&caller(), "demo", None, None).await.unwrap().0.is_empty());
    assert!(matches!(eks.update_addon(&caller(), addon("vpc-cni")).await, Err(EksError::ResourceNotFound(_))));
}

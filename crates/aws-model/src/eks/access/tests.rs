use super::*;
use crate::eks::tests::{caller, fixture, input};
use crate::eks::{CreateCluster, EksConfig};

const ROLE: &str = "arn:aws:iam::000000000000:role/dev/admins";
const USER: &str = "arn:aws:iam::000000000000:user/alice";

fn check_principal(arn: &str, expect: Option<Principal>) {
    match (parse_principal(arn), expect) {
        (Ok(got), Some(want)) => assert_eq!(got, want, "{arn}"),
        (Err(EksError::InvalidParameter(_)), None) => {}
        (got, want) => panic!("{arn}: got {got:?}, expected {want:?}"),
    }
}

#[test]
fn principals_are_users_roles_or_root() {
    let account = || "000000000000".to_owned();
    check_principal(USER, Some(Principal::User { account: account(), name: "alice".into() }));
    check_principal(ROLE, Some(Principal::Role { account: account(), name: "admins".into() }));
    check_principal("arn:aws:iam::000000000000:root", Some(Principal::Root { account: account() }));
    let session = "arn:aws:sts::000000000000:assumed-role/admins/alice";
    check_principal(session, Some(Principal::Role { account: account(), name: "admins".into() }));
    for bad in [
        "",
        "alice",
        "arn:aws:iam::1:user/x",
        "arn:aws:iam::000000000000:group/x",
        "arn:aws:iam::000000000000:role/",
        "arn:aws:sts::000000000000:assumed-role/admins",
        "arn:aws:s3:::bucket",
    ] {
        check_principal(bad, None);
    }
}

#[test]
fn user_names_default_as_eks_derives_them() {
    let role = parse_principal(ROLE).unwrap();
    assert_eq!(
        default_username(ROLE, &role, "STANDARD"),
        "arn:aws:sts::000000000000:assumed-role/admins/{{SessionName}}"
    );
    assert_eq!(default_username(USER, &parse_principal(USER).unwrap(), "STANDARD"), USER);
    assert_eq!(default_username(ROLE, &role, "EC2_LINUX"), "system:node:{{EC2PrivateDNSName}}");
    assert_eq!(default_username(ROLE, &role, "FARGATE_LINUX"), "system:node:{{SessionName}}");
}

async fn api_cluster(mode: &str, bootstrap: bool) -> crate::eks::tests::Fixture {
    let f = fixture(EksConfig::default());
    let request = CreateCluster {
        authentication_mode: Some(mode.into()),
        bootstrap_cluster_creator_admin_permissions: Some(bootstrap),
        ..input("demo")
    };
    f.eks.create_cluster(&caller(), request).await.unwrap();
    f
}

fn entry(principal: &str) -> CreateAccessEntry {
    CreateAccessEntry { cluster: "demo".into(), principal_arn: principal.into(), ..CreateAccessEntry::default() }
}

#[tokio::test]
async fn the_creator_gets_cluster_admin_when_the_cluster_asks_for_it() {
    let f = api_cluster("API_AND_CONFIG_MAP", true).await;
    let root = "arn:aws:iam::000000000000:root";
    let (entries, _) = f.eks.list_access_entries(&caller(), "demo", None, None, None).await.unwrap();
    assert_eq!(entries, [root]);
    let (policies, _) = f.eks.list_associated_access_policies(&caller(), "demo", root, None, None).await.unwrap();
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0].policy_arn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
    assert_eq!(policies[0].scope, AccessScope { kind: "cluster".into(), namespaces: vec![] });
    let without = api_cluster("API", false).await;
    assert!(without.eks.list_access_entries(&caller(), "demo", None, None, None).await.unwrap().0.is_empty());
}

#[tokio::test]
async fn entries_need_an_api_authentication_mode() {
    let f = api_cluster("CONFIG_MAP", true).await;
    let refused = f.eks.create_access_entry(&caller(), entry(USER)).await.unwrap_err();
    assert!(matches!(refused, EksError::InvalidRequest(m) if m.contains("[API, API_AND_CONFIG_MAP]")));
    let elsewhere = CreateAccessEntry { cluster: "nope".into(), ..entry(USER) };
    let missing = f.eks.create_access_entry(&caller(), elsewhere).await.unwrap_err();
    assert!(matches!(missing, EksError::ResourceNotFound(_)));
}

#[tokio::test]
async fn entries_are_created_listed_updated_and_deleted() {
    let f = api_cluster("API", false).await;
    let created = f.eks.create_access_entry(&caller(), entry(ROLE)).await.unwrap();
    assert_eq!(created.username, "arn:aws:sts::000000000000:assumed-role/admins/{{SessionName}}");
    assert_eq!(created.kind, "STANDARD");
    assert!(created.arn.starts_with("arn:aws:eks:us-east-1:000000000000:access-entry/demo/role/000000000000/admins/"));
    let duplicate = f.eks.create_access_entry(&caller(), entry(ROLE)).await.unwrap_err();
    assert!(matches!(duplicate, EksError::ResourceInUse(_)));
    f.eks.create_access_entry(&caller(), entry(USER)).await.unwrap();

    let updated =
        f.eks.update_access_entry(&caller(), "demo", USER, Some("alice".into()), Some(vec!["devs".into()])).await;
    let updated = updated.unwrap();
    assert_eq!((updated.username.as_str(), updated.kubernetes_groups.as_slice()), ("alice", &["devs".to_owned()][..]));

    let view = format!("{ACCESS_POLICY_PREFIX}AmazonEKSViewPolicy");
    let scope = AccessScope { kind: "namespace".into(), namespaces: vec!["team-a".into()] };
    f.eks.associate_access_policy(&caller(), "demo", USER, &view, scope).await.unwrap();
    let (only_view, _) = f.eks.list_access_entries(&caller(), "demo", Some(&view), None, None).await.unwrap();
    assert_eq!(only_view, [USER]);
    let (first, token) = f.eks.list_access_entries(&caller(), "demo", None, Some(1), None).await.unwrap();
    let (second, end) = f.eks.list_access_entries(&caller(), "demo", None, Some(1), token.as_deref()).await.unwrap();
    assert_eq!((first, second, end), (vec![ROLE.to_owned()], vec![USER.to_owned()], None));

    f.eks.disassociate_access_policy(&caller(), "demo", USER, &view).await.unwrap();
    let again = f.eks.disassociate_access_policy(&caller(), "demo", USER, &view).await.unwrap_err();
    assert!(matches!(again, EksError::ResourceNotFound(_)));
    f.eks.delete_access_entry(&caller(), "demo", USER).await.unwrap();
    let gone = f.eks.describe_access_entry(&caller(), "demo", USER).await.unwrap_err();
    assert!(
        matches!(gone, EksError::ResourceNotFound(m) if m.starts_with("The specified principalArn could not be found"))
    );
    assert!(matches!(f.eks.delete_access_entry(&caller(), "demo", USER).await, Err(EksError::ResourceNotFound(_))));
}

/// Creates an entry changed by `change` on an `API` cluster; `expect` is `Ok(())` or an error fragment.
async fn check(change: impl FnOnce(&mut CreateAccessEntry), expect: Result<(), &str>) {
    let f = api_cluster("API", false).await;
    let mut request = entry(ROLE);
    change(&mut request);
    let got = f.eks.create_access_entry(&caller(), request.clone()).await;
    match (&got, expect) {
        (Ok(_), Ok(())) => {}
        (Err(error), Err(fragment)) => assert!(error.to_string().contains(fragment), "{request:?}: {error}"),
        _ => panic!("{request:?}: got {got:?}, expected {expect:?}"),
    }
}

#[tokio::test]
async fn create_validations() {
    check(|_| {}, Ok(())).await;
    check(|r| r.principal_arn = "garbage".into(), Err("principalArn is invalid")).await;
    check(|r| r.kind = Some("ROBOT".into()), Err("not a valid access entry type")).await;
    check(|r| r.kind = Some("EC2_LINUX".into()), Ok(())).await;
    check(|r| (r.kind, r.principal_arn) = (Some("EC2_LINUX".into()), USER.into()), Err("needs an IAM role")).await;
    check(|r| (r.kind, r.username) = (Some("FARGATE_LINUX".into()), Some("x".into())), Err("cannot be specified"))
        .await;
    check(|r| r.username = Some("system:admin".into()), Err("username system:admin is not valid")).await;
    check(|r| r.kubernetes_groups = vec!["system:masters".into()], Err("group system:masters is not valid")).await;
    check(|r| r.kubernetes_groups = vec!["devs".into()], Ok(())).await;
}

fn scope(kind: &str, namespaces: &[&str]) -> AccessScope {
    AccessScope { kind: kind.into(), namespaces: namespaces.iter().map(|n| (*n).to_owned()).collect() }
}

#[tokio::test]
async fn policies_must_be_known_and_scopes_well_formed() {
    let f = api_cluster("API", false).await;
    f.eks.create_access_entry(&caller(), entry(USER)).await.unwrap();
    let admin = format!("{ACCESS_POLICY_PREFIX}AmazonEKSAdminPolicy");
    let cases = [
        ("arn:aws:iam::aws:policy/AdministratorAccess", scope("cluster", &[]), "not a valid access policy"),
        (admin.as_str(), scope("cluster", &["a"]), "cannot be specified for a cluster"),
        (admin.as_str(), scope("namespace", &[]), "must be specified for a namespace"),
        (admin.as_str(), scope("galaxy", &[]), "Unsupported access scope type galaxy"),
    ];
    for (policy, scope, expect) in cases {
        let error = f.eks.associate_access_policy(&caller(), "demo", USER, policy, scope).await.unwrap_err();
        assert!(error.to_string().contains(expect), "{policy}: {error}");
    }
    f.eks.associate_access_policy(&caller(), "demo", USER, &admin, scope("cluster", &[])).await.unwrap();
    let moved = f.eks.associate_access_policy(&caller(), "demo", USER, &admin, scope("namespace", &["x"])).await;
    assert_eq!(moved.unwrap().scope, scope("namespace", &["x"]));
    let (policies, _) = f.eks.list_associated_access_policies(&caller(), "demo", USER, None, None).await.unwrap();
    assert_eq!(policies.len(), 1, "associating again changes the scope");
    let (listed, _) = list_access_policies(None, None).unwrap();
    assert!(
        listed
            .iter()
            .any(|p| p.name == "AmazonEKSClusterAdminPolicy" && p.arn.ends_with("/AmazonEKSClusterAdminPolicy"))
    );
    assert!(list_access_policies(Some(0), None).is_err());
}

#[tokio::test]
async fn a_session_arn_is_taken_as_its_role() {
    let f = api_cluster("API", false).await;
    let session = "arn:aws:sts::000000000000:assumed-role/deploy/bob";
    let created = f.eks.create_access_entry(&caller(), entry(session)).await.unwrap();
    assert_eq!(created.principal_arn, "arn:aws:iam::000000000000:role/deploy");
    let again = f.eks.create_access_entry(&caller(), entry("arn:aws:iam::000000000000:role/deploy")).await;
    assert!(matches!(again.unwrap_err(), EksError::ResourceInUse(_)));
}

#[tokio::test]
async fn access_policies_go_only_on_standard_entries() {
    let f = api_cluster("API", false).await;
    let node = CreateAccessEntry { kind: Some("EC2_LINUX".into()), ..entry(ROLE) };
    f.eks.create_access_entry(&caller(), node).await.unwrap();
    let scope = AccessScope { kind: "cluster".into(), namespaces: vec![] };
    let admin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
    let refused = f.eks.associate_access_policy(&caller(), "demo", ROLE, admin, scope.clone()).await.unwrap_err();
    assert!(matches!(&refused, EksError::InvalidRequest(m) if m.contains("type EC2_LINUX")), "{refused:?}");
    let (policies, _) = f.eks.list_associated_access_policies(&caller(), "demo", ROLE, None, None).await.unwrap();
    assert!(policies.is_empty());
    f.eks.create_access_entry(&caller(), entry(USER)).await.unwrap();
    f.eks.associate_access_policy(&caller(), "demo", USER, admin, scope).await.unwrap();
}

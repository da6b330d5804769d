use std::collections::BTreeMap;

use super::*;
use crate::eks::EksConfig;
use crate::eks::tests::{caller, fixture, input};

const ROLE: &str = "arn:aws:iam::000000000000:role/pod-execution";

fn check_wildcard(pattern: &str, text: &str, expect: bool) {
    assert_eq!(wildcard_match(pattern, text), expect, "{pattern} ~ {text}");
}

#[test]
fn wildcards_match_as_fargate_documents_them() {
    check_wildcard("default", "default", true);
    check_wildcard("default", "defaults", false);
    check_wildcard("*", "", true);
    check_wildcard("*", "anything", true);
    check_wildcard("prod-*", "prod-web", true);
    check_wildcard("prod-*", "dev-web", false);
    check_wildcard("*-system", "kube-system", true);
    check_wildcard("k?be-*", "kube-public", true);
    check_wildcard("k?be", "kbe", false);
    check_wildcard("a*b*c", "aXXbYYc", true);
    check_wildcard("a*b*c", "aXXbYY", false);
    check_wildcard("**", "x", true);
    check_wildcard("", "x", false);
    check_wildcard("?", "\u{e9}", true);
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn check_selector(namespace: &str, selector_labels: &[(&str, &str)], pod: (&str, &[(&str, &str)]), expect: bool) {
    let selector = Selector { namespace: Some(namespace.into()), labels: labels(selector_labels) };
    assert_eq!(selector_matches(&selector, pod.0, &labels(pod.1)), expect, "{selector:?} {pod:?}");
}

#[test]
fn a_selector_needs_its_namespace_and_every_label() {
    check_selector("default", &[], ("default", &[]), true);
    check_selector("default", &[], ("other", &[]), false);
    check_selector("default", &[("app", "web")], ("default", &[("app", "web"), ("tier", "x")]), true);
    check_selector("default", &[("app", "web")], ("default", &[("tier", "x")]), false);
    check_selector("default", &[("app", "web"), ("tier", "x")], ("default", &[("app", "web")]), false);
    check_selector("default", &[("app", "w?b*")], ("default", &[("app", "webserver")]), true);
    check_selector("default", &[("a*", "web")], ("default", &[("app", "web")]), false);
    let no_namespace = Selector::default();
    assert!(!selector_matches(&no_namespace, "default", &BTreeMap::new()));
}

fn profile(name: &str, selectors: Vec<Selector>) -> CreateFargateProfile {
    CreateFargateProfile {
        cluster: "demo".into(),
        name: name.into(),
        pod_execution_role_arn: ROLE.into(),
        selectors,
        ..CreateFargateProfile::default()
    }
}

fn namespace(name: &str) -> Selector {
    Selector { namespace: Some(name.into()), labels: BTreeMap::new() }
}

async fn with_cluster(config: EksConfig) -> crate::eks::tests::Fixture {
    let f = fixture(config);
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    f
}

async fn check(request: CreateFargateProfile, expect: Result<(), &str>) {
    let f = with_cluster(EksConfig::default()).await;
    let got = f.eks.create_fargate_profile(&caller(), request.clone()).await;
    match (&got, expect) {
        (Ok(_), Ok(())) => {}
        (Err(error), Err(fragment)) => assert!(error.to_string().contains(fragment), "{request:?}: {error}"),
        _ => panic!("{request:?}: got {got:?}, expected {expect:?}"),
    }
}

#[tokio::test]
async fn create_validations_follow_eks() {
    let six_labels = labels(&[("a", "1"), ("b", "1"), ("c", "1"), ("d", "1"), ("e", "1"), ("f", "1")]);
    check(profile("fp", vec![namespace("default")]), Ok(())).await;
    check(profile("fp", vec![]), Err("Fargate Profile requires at least one selector.")).await;
    check(profile("fp", vec![namespace("a"); 6]), Err("more than 5 selectors")).await;
    check(profile("fp", vec![namespace("a"); 5]), Ok(())).await;
    check(profile("fp", vec![Selector::default()]), Err("at least one selector with at least one namespace value"))
        .await;
    check(profile("fp", vec![namespace("")]), Err("at least one selector with at least one namespace value")).await;
    let crowded = Selector { namespace: Some("a".into()), labels: six_labels };
    check(profile("fp", vec![crowded]), Err("Request contains Selector with more than 5 Label pairs")).await;
    check(profile("-fp", vec![namespace("a")]), Err("failed to satisfy constraint")).await;
    check(profile("eks-fp", vec![namespace("a")]), Err("beginning with 'eks-' are reserved")).await;
    check(profile("my-eks-fp", vec![namespace("a")]), Ok(())).await;
    let bad_role =
        CreateFargateProfile { pod_execution_role_arn: "role".into(), ..profile("fp", vec![namespace("a")]) };
    check(bad_role, Err("Invalid role ARN")).await;
    let missing = CreateFargateProfile { cluster: "nope".into(), ..profile("fp", vec![namespace("a")]) };
    check(missing, Err("No cluster found for name: nope.")).await;
}

#[tokio::test]
async fn a_profile_becomes_active_when_read_without_a_write() {
    let f = with_cluster(EksConfig::default()).await;
    let config = EksConfig { create_seconds: 10.0, ..EksConfig::default() };
    let eks = Eks::new(f.eks.records.clone(), f.kubernetes.clone(), f.clock.clone(), config);
    eks.create_fargate_profile(&caller(), profile("one", vec![namespace("a")])).await.unwrap();
    let written = eks.records.revision().await.unwrap();
    let status = || async { eks.describe_fargate_profile(&caller(), "demo", "one").await.unwrap().status };
    assert_eq!(status().await, FargateProfileStatus::Creating);
    f.clock.advance(10.0);
    assert_eq!(status().await, FargateProfileStatus::Active);
    assert_eq!(eks.fargate_profiles(&caller(), "demo").await.unwrap()[0].status, FargateProfileStatus::Active);
    let pass = crate::eks::tests::reconcile(&eks).await;
    assert_eq!((pass.steps, pass.due), (0, None));
    assert_eq!(eks.records.revision().await.unwrap(), written, "reads and passes wrote nothing");
}

#[tokio::test]
async fn one_profile_at_a_time_may_be_creating_or_deleting() {
    let f = with_cluster(EksConfig::default()).await;
    let config = EksConfig { create_seconds: 10.0, delete_seconds: 10.0, ..EksConfig::default() };
    let eks = Eks::new(f.eks.records.clone(), f.kubernetes.clone(), f.clock.clone(), config);
    let created = eks.create_fargate_profile(&caller(), profile("one", vec![namespace("a")])).await.unwrap();
    assert_eq!(created.status, FargateProfileStatus::Creating);
    assert_eq!(created.subnets, ["subnet-1", "subnet-2"], "the cluster's subnets by default");
    assert!(created.arn.starts_with("arn:aws:eks:us-east-1:000000000000:fargateprofile/demo/one/"));
    let busy = eks.create_fargate_profile(&caller(), profile("two", vec![namespace("b")])).await.unwrap_err();
    assert_eq!(
        busy,
        EksError::ResourceInUse(
            "Cannot create Fargate Profile two because cluster demo currently has Fargate Profile one in status CREATING"
                .into()
        )
    );
    let duplicate = eks.create_fargate_profile(&caller(), profile("one", vec![namespace("b")])).await.unwrap_err();
    assert_eq!(
        duplicate,
        EksError::ResourceInUse("A Fargate Profile already exists with this name in this cluster.".into())
    );
    f.clock.advance(10.0);
    eks.create_fargate_profile(&caller(), profile("two", vec![namespace("b")])).await.unwrap();
    let blocked = eks.delete_fargate_profile(&caller(), "demo", "one").await.unwrap_err();
    assert!(matches!(blocked, EksError::ResourceInUse(m) if m.contains("two in status CREATING")));
    f.clock.advance(10.0);
    assert_eq!(
        eks.delete_fargate_profile(&caller(), "demo", "one").await.unwrap().status,
        FargateProfileStatus::Deleting
    );
    let refused = eks.delete_cluster(&caller(), "demo").await.unwrap_err();
    assert_eq!(refused, EksError::ResourceInUse("Cluster has fargate profiles attached".into()));
    f.clock.advance(10.0);
    let gone = eks.describe_fargate_profile(&caller(), "demo", "one").await.unwrap_err();
    assert_eq!(gone, EksError::ResourceNotFound("No Fargate Profile found with name: one.".into()));
    assert_eq!(eks.list_fargate_profiles(&caller(), "demo", None, None).await.unwrap().0, ["two"]);
}

#[tokio::test]
async fn the_quota_is_ten_per_cluster_and_lists_page() {
    let f = with_cluster(EksConfig { max_fargate_profiles: 2, ..EksConfig::default() }).await;
    for name in ["b", "a"] {
        f.eks.create_fargate_profile(&caller(), profile(name, vec![namespace(name)])).await.unwrap();
    }
    let over = f.eks.create_fargate_profile(&caller(), profile("c", vec![namespace("c")])).await.unwrap_err();
    assert!(matches!(over, EksError::ResourceLimitExceeded(_)));
    let (first, token) = f.eks.list_fargate_profiles(&caller(), "demo", Some(1), None).await.unwrap();
    assert_eq!(first, ["a"]);
    let (rest, end) = f.eks.list_fargate_profiles(&caller(), "demo", Some(1), token.as_deref()).await.unwrap();
    assert_eq!((rest, end), (vec!["b".to_owned()], None));
    assert_eq!(EksConfig::default().max_fargate_profiles, 10);
}

#[tokio::test]
async fn the_first_matching_active_profile_in_alphabetical_order_takes_the_pod() {
    let f = with_cluster(EksConfig::default()).await;
    let web = Selector { namespace: Some("prod-*".into()), labels: labels(&[("app", "web")]) };
    for (name, selectors) in
        [("zeta", vec![namespace("prod-*")]), ("alpha", vec![web]), ("kube", vec![namespace("kube-system")])]
    {
        f.eks.create_fargate_profile(&caller(), profile(name, selectors)).await.unwrap();
        f.eks.describe_fargate_profile(&caller(), "demo", name).await.unwrap();
    }
    let pick = |namespace: &'static str, pod: &'static [(&'static str, &'static str)]| {
        let eks = f.eks.clone();
        async move { eks.matching_profile(&caller(), "demo", namespace, &labels(pod)).await.unwrap().map(|p| p.name) }
    };
    assert_eq!(pick("prod-eu", &[("app", "web")]).await.as_deref(), Some("alpha"));
    assert_eq!(pick("prod-eu", &[("app", "api")]).await.as_deref(), Some("zeta"));
    assert_eq!(pick("kube-system", &[]).await.as_deref(), Some("kube"));
    assert_eq!(pick("default", &[("app", "web")]).await, None);
}

#[test]
fn pods_get_the_smallest_fargate_size_that_holds_them() {
    let check = |cpu: u64, memory: u64, expect: Option<(u64, u64)>| {
        assert_eq!(super::fargate_size(cpu, memory), expect, "{cpu}m {memory}Mi");
    };
    // No requests: the smallest size, which holds the 256 MiB overhead.
    check(0, 0, Some((250, 512)));
    check(250, 256, Some((250, 512)));
    check(250, 257, Some((250, 1024)));
    check(100, 1500, Some((250, 2048)));
    check(100, 1793, Some((500, 3072)));
    check(1000, 3000, Some((1000, 4096)));
    check(2000, 1, Some((2000, 4096)));
    check(8000, 20000, Some((8000, 20480)));
    check(16000, 122880 - 256, Some((16000, 122880)));
    check(16001, 0, None);
    check(1000, 122880, None);
}

#[test]
fn capacity_is_written_as_fargate_writes_it() {
    assert_eq!(super::capacity_provisioned(250, 512), "0.25vCPU 0.5GB");
    assert_eq!(super::capacity_provisioned(500, 1024), "0.5vCPU 1GB");
    assert_eq!(super::capacity_provisioned(2000, 4096), "2vCPU 4GB");
    assert_eq!(super::capacity_provisioned(16000, 122880), "16vCPU 120GB");
}

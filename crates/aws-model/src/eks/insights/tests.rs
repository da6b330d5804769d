use super::*;
use crate::eks::addons::AddonRequest;
use crate::eks::nodegroups::CreateNodegroup;
use crate::eks::tests::{caller, fixture, input};
use crate::eks::{CreateCluster, EksConfig};

async fn cluster(version: &str) -> crate::eks::tests::Fixture {
    let f = fixture(EksConfig::default());
    f.eks.create_cluster(&caller(), CreateCluster { version: Some(version.into()), ..input("demo") }).await.unwrap();
    f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    f
}

fn nodegroup(name: &str, ami_type: &str) -> CreateNodegroup {
    CreateNodegroup {
        cluster: "demo".into(),
        name: name.into(),
        subnets: vec!["subnet-a".into()],
        node_role: "arn:aws:iam::000000000000:role/node".into(),
        ami_type: Some(ami_type.into()),
        ..CreateNodegroup::default()
    }
}

async fn by_name(f: &crate::eks::tests::Fixture) -> BTreeMap<String, Insight> {
    let (insights, token) =
        f.eks.list_insights(&caller(), "demo", &InsightFilter::default(), None, None).await.unwrap();
    assert!(token.is_none());
    insights.into_iter().map(|insight| (insight.name.clone(), insight)).collect()
}

#[tokio::test]
async fn a_fresh_cluster_passes_every_check_for_the_next_version() {
    let f = cluster("1.32").await;
    let insights = by_name(&f).await;
    assert_eq!(
        insights.keys().collect::<Vec<_>>(),
        [
            "Amazon Linux 2 compatibility",
            "Cluster health issues",
            "EKS add-on version compatibility",
            "Kubelet version skew"
        ]
    );
    for insight in insights.values() {
        assert_eq!(
            (insight.status, insight.category, insight.kubernetes_version.as_str()),
            (InsightStatus::Passing, UPGRADE_READINESS, "1.33")
        );
        assert_eq!(f.eks.describe_insight(&caller(), "demo", &insight.id).await.unwrap(), *insight);
    }
    // The ids hold from one read to the next.
    assert_eq!(by_name(&f).await, insights);
}

#[tokio::test]
async fn add_ons_without_a_version_for_the_next_release_are_errors() {
    let f = cluster("1.32").await;
    for name in ["kube-proxy", "vpc-cni"] {
        let request = AddonRequest { cluster: "demo".into(), name: name.into(), ..AddonRequest::default() };
        f.eks.create_addon(&caller(), request).await.unwrap();
    }
    let insight = by_name(&f).await.remove("EKS add-on version compatibility").unwrap();
    assert_eq!(insight.status, InsightStatus::Error);
    assert!(
        insight.reason.contains("kube-proxy v1.32.9-eksbuild.2 does not run on Kubernetes 1.33"),
        "{}",
        insight.reason
    );
    let statuses: Vec<InsightStatus> = insight.resources.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [InsightStatus::Error, InsightStatus::Passing]);
    let proxy = insight.addon_compatibility.iter().find(|(name, _)| name == "kube-proxy").unwrap();
    assert_eq!(proxy.1, ["v1.33.5-eksbuild.2"]);

    // On the newest version offered, the next one cannot be checked yet.
    let newest = cluster("1.34").await;
    let request = AddonRequest { cluster: "demo".into(), name: "kube-proxy".into(), ..AddonRequest::default() };
    newest.eks.create_addon(&caller(), request).await.unwrap();
    assert_eq!(by_name(&newest).await["EKS add-on version compatibility"].status, InsightStatus::Unknown);
}

#[tokio::test]
async fn node_groups_behind_or_on_amazon_linux_2_are_found() {
    let f = cluster("1.30").await;
    f.eks.create_nodegroup(&caller(), nodegroup("old", "AL2_x86_64")).await.unwrap();
    for version in ["1.31", "1.32"] {
        f.eks.update_cluster_version(&caller(), "demo", version, None).await.unwrap();
    }
    let insights = by_name(&f).await;
    // 1.30 kubelets stay within three minors of 1.33, but are older than the control plane.
    assert_eq!(insights["Kubelet version skew"].status, InsightStatus::Warning);
    assert_eq!(insights["Amazon Linux 2 compatibility"].status, InsightStatus::Error);
    assert!(insights["Amazon Linux 2 compatibility"].resources[0].arn.contains(":nodegroup/demo/old/"));
    f.eks.update_cluster_version(&caller(), "demo", "1.33", None).await.unwrap();
    let skew = by_name(&f).await.remove("Kubelet version skew").unwrap();
    assert_eq!(skew.status, InsightStatus::Error);
    assert!(skew.reason.contains("more than 3 minor versions behind 1.34"), "{}", skew.reason);
}

#[tokio::test]
async fn insights_filter_page_and_refuse_bad_queries() {
    let f = cluster("1.30").await;
    f.eks.create_nodegroup(&caller(), nodegroup("old", "AL2_x86_64")).await.unwrap();
    f.eks.update_cluster_version(&caller(), "demo", "1.31", None).await.unwrap();
    let errors = InsightFilter { statuses: vec!["WARNING".into()], ..InsightFilter::default() };
    let (found, _) = f.eks.list_insights(&caller(), "demo", &errors, None, None).await.unwrap();
    let names: Vec<&str> = found.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["Amazon Linux 2 compatibility", "Kubelet version skew"]);
    let elsewhere = InsightFilter { kubernetes_versions: vec!["1.40".into()], ..InsightFilter::default() };
    assert!(f.eks.list_insights(&caller(), "demo", &elsewhere, None, None).await.unwrap().0.is_empty());
    let (first, token) =
        f.eks.list_insights(&caller(), "demo", &InsightFilter::default(), Some(3), None).await.unwrap();
    let (rest, end) =
        f.eks.list_insights(&caller(), "demo", &InsightFilter::default(), Some(3), token.as_deref()).await.unwrap();
    assert_eq!((first.len(), rest.len(), end), (3, 1, None));

    for (filter, max, token) in [
        (InsightFilter { categories: vec!["VIBES".into()], ..InsightFilter::default() }, None, None),
        (InsightFilter { statuses: vec!["FINE".into()], ..InsightFilter::default() }, None, None),
        (InsightFilter::default(), Some(0), None),
        (InsightFilter::default(), None, Some("bm90LWFuLWlk")),
    ] {
        let refused = f.eks.list_insights(&caller(), "demo", &filter, max, token).await.unwrap_err();
        assert!(matches!(refused, EksError::InvalidParameter(_)), "{filter:?}");
    }
    let missing = f.eks.describe_insight(&caller(), "demo", "00000000-0000-0000-0000-000000000000").await;
    assert!(matches!(missing, Err(EksError::ResourceNotFound(_))));
    assert!(matches!(
        f.eks.list_insights(&caller(), "nope", &InsightFilter::default(), None, None).await,
        Err(EksError::ResourceNotFound(_))
    ));
}

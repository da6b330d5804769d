use super::*;
use crate::clock::Clock;
use crate::eks::EksConfig;
use crate::eks::tests::fixture;

/// 2026-12-07, midnight UTC.
const DECEMBER_7_2026: f64 = 1_796_601_600.0;

fn config() -> EksConfig {
    EksConfig {
        versions: ["1.30", "1.31", "1.32", "1.33", "1.34", "1.99"].map(str::to_owned).to_vec(),
        patch_versions: [("1.34".to_owned(), "1.34.1".to_owned())].into_iter().collect(),
        ..EksConfig::default()
    }
}

fn at(now: f64) -> crate::eks::tests::Fixture {
    let f = fixture(config());
    f.clock.advance(now - f.clock.now());
    f
}

fn names(listed: &[ClusterVersion]) -> Vec<&str> {
    listed.iter().map(|v| v.version.as_str()).collect()
}

#[test]
fn support_follows_the_calendar_and_the_clock() {
    let (status, days) = version_support("1.34", DECEMBER_7_2026);
    let [release, standard, extended] = days.unwrap();
    // 2025-10-02, 2026-12-02 and 2027-12-02 at midnight UTC.
    assert_eq!((release, standard, extended), (1_759_363_200.0, 1_796_169_600.0, 1_827_705_600.0));
    assert_eq!(status, VersionStatus::ExtendedSupport);
    assert_eq!(version_support("1.34", standard - 1.0).0, VersionStatus::StandardSupport);
    assert_eq!(version_support("1.34", extended).0, VersionStatus::Unsupported);
    assert_eq!(version_support("1.99", DECEMBER_7_2026), (VersionStatus::StandardSupport, None));
}

#[tokio::test]
async fn unsupported_versions_are_listed_only_when_asked_for() {
    let f = at(DECEMBER_7_2026);
    let (listed, token) = f.eks.describe_cluster_versions(&VersionQuery::default()).unwrap();
    // 1.30 and 1.31 left extended support in July and November 2026.
    assert_eq!(names(&listed), ["1.99", "1.34", "1.33", "1.32"]);
    assert!(token.is_none());
    assert!(listed[0].default && !listed[1].default);
    assert_eq!(listed[1].patch.as_deref(), Some("1.34.1"));
    assert_eq!(listed[1].status, VersionStatus::ExtendedSupport);
    assert_eq!(listed[0].release, None);

    let all = VersionQuery { include_all: true, ..VersionQuery::default() };
    assert_eq!(
        names(&f.eks.describe_cluster_versions(&all).unwrap().0),
        ["1.99", "1.34", "1.33", "1.32", "1.31", "1.30"]
    );
    let named = VersionQuery { versions: vec!["1.30".into(), "1.33".into()], ..VersionQuery::default() };
    assert_eq!(names(&f.eks.describe_cluster_versions(&named).unwrap().0), ["1.33", "1.30"]);
    let unsupported = VersionQuery { status: Some("UNSUPPORTED".into()), ..VersionQuery::default() };
    assert_eq!(names(&f.eks.describe_cluster_versions(&unsupported).unwrap().0), ["1.31", "1.30"]);
    let legacy = VersionQuery { status: Some("standard-support".into()), ..VersionQuery::default() };
    assert_eq!(names(&f.eks.describe_cluster_versions(&legacy).unwrap().0), ["1.99"]);
    let default_only = VersionQuery { default_only: true, ..VersionQuery::default() };
    assert_eq!(names(&f.eks.describe_cluster_versions(&default_only).unwrap().0), ["1.99"]);
}

#[tokio::test]
async fn versions_page_and_bad_queries_are_refused() {
    let f = at(DECEMBER_7_2026);
    let first = VersionQuery { max_results: Some(3), ..VersionQuery::default() };
    let (page, token) = f.eks.describe_cluster_versions(&first).unwrap();
    assert_eq!(names(&page), ["1.99", "1.34", "1.33"]);
    let next = VersionQuery { next_token: token, ..first.clone() };
    let (page, token) = f.eks.describe_cluster_versions(&next).unwrap();
    assert_eq!((names(&page), token), (vec!["1.32"], None));

    for bad in [
        VersionQuery { max_results: Some(0), ..VersionQuery::default() },
        VersionQuery { max_results: Some(101), ..VersionQuery::default() },
        VersionQuery { next_token: Some("garbage\0".into()), ..VersionQuery::default() },
        VersionQuery { status: Some("SOMETIMES".into()), ..VersionQuery::default() },
        VersionQuery { cluster_type: Some("eks-local-outposts-x".into()), ..VersionQuery::default() },
    ] {
        assert!(matches!(f.eks.describe_cluster_versions(&bad), Err(EksError::InvalidParameter(_))), "{bad:?}");
    }
}

use store::MemoryStore;

use super::*;
use crate::clock::ManualClock;
use crate::eks::tests::{FakeKubernetes, caller, input};
use crate::eks::{Eks, EksConfig, EksError};

fn quotas(records: &Records) -> Quotas {
    let configured = [(EKS_CLUSTERS, 1.0)].into_iter().collect();
    Quotas::new(records.clone(), Arc::new(ManualClock::new(1_800_000_000.0)), configured)
}

#[tokio::test]
async fn an_approved_increase_is_the_limit_eks_enforces_next() {
    let records = Records::new(Arc::new(MemoryStore::new()));
    let clock = Arc::new(ManualClock::new(1_800_000_000.0));
    let config = EksConfig { max_clusters: 1, ..EksConfig::default() };
    let eks = Eks::new(records.clone(), Arc::new(FakeKubernetes::default()), clock, config);
    let quotas = quotas(&records);
    assert_eq!(quotas.get(&caller(), "eks", EKS_CLUSTERS).await.unwrap().value, 1.0, "the server's own limit");
    assert_eq!(quotas.get_default("eks", EKS_CLUSTERS).unwrap().default, 100.0, "AWS's default");
    eks.create_cluster(&caller(), input("one")).await.unwrap();
    let refused = eks.create_cluster(&caller(), input("two")).await.unwrap_err();
    assert!(matches!(refused, EksError::ResourceLimitExceeded(m) if m.contains("maximum number of clusters (1)")));

    let request = quotas.request_increase(&caller(), "eks", EKS_CLUSTERS, 2.0).await.unwrap();
    assert_eq!((request.status.as_str(), request.desired_value), (APPROVED, 2.0));
    assert_eq!(quotas.get(&caller(), "eks", EKS_CLUSTERS).await.unwrap().value, 2.0);
    eks.create_cluster(&caller(), input("two")).await.unwrap();
    assert!(eks.create_cluster(&caller(), input("three")).await.is_err());
    // Another region keeps the server's limit.
    let elsewhere = Caller { region: "eu-west-1".into(), ..caller() };
    assert_eq!(quotas.get(&elsewhere, "eks", EKS_CLUSTERS).await.unwrap().value, 1.0);

    assert_eq!(quotas.get_request(&caller(), &request.id).await.unwrap(), request);
    let (history, _) = quotas.history(&caller(), Some("eks"), Some(EKS_CLUSTERS), None, None, None).await.unwrap();
    assert_eq!(history, std::slice::from_ref(&request));
    let (approved, _) = quotas.history(&caller(), None, None, Some("APPROVED"), None, None).await.unwrap();
    assert_eq!(approved.len(), 1);
    let (denied, _) = quotas.history(&caller(), None, None, Some("DENIED"), None, None).await.unwrap();
    assert!(denied.is_empty());
}

#[tokio::test]
async fn bad_requests_are_refused_and_change_nothing() {
    let records = Records::new(Arc::new(MemoryStore::new()));
    let quotas = quotas(&records);
    for (service, code, desired) in [
        ("eks", EKS_NODEGROUPS, 30.0),
        ("eks", EKS_NODEGROUPS, 10.0),
        ("eks", EKS_NODEGROUPS, f64::NAN),
        ("eks", EKS_NODEGROUPS, 1e11),
        ("eks", EKS_NODEGROUPS, -1.0),
    ] {
        let refused = quotas.request_increase(&caller(), service, code, desired).await.unwrap_err();
        assert!(matches!(refused, QuotasError::IllegalArgument(_)), "{desired}: {refused:?}");
    }
    for (service, code) in [("eks", "L-00000000"), ("nope", EKS_CLUSTERS), ("eks\0", "L-1194D53C")] {
        let refused = quotas.request_increase(&caller(), service, code, 500.0).await.unwrap_err();
        assert!(matches!(refused, QuotasError::NoSuchResource(_)), "{service}/{code}");
        assert!(matches!(quotas.get(&caller(), service, code).await, Err(QuotasError::NoSuchResource(_))));
    }
    assert_eq!(quotas.get(&caller(), "eks", EKS_NODEGROUPS).await.unwrap().value, 30.0);
    assert!(matches!(quotas.get_request(&caller(), "missing").await, Err(QuotasError::NoSuchResource(_))));
    let bad_status = quotas.history(&caller(), None, None, Some("MAYBE"), None, None).await;
    assert!(matches!(bad_status, Err(QuotasError::IllegalArgument(_))));
}

#[tokio::test]
async fn requests_per_quota_are_bounded() {
    let records = Records::new(Arc::new(MemoryStore::new()));
    let quotas = quotas(&records);
    for step in 1..=MAX_REQUESTS_PER_QUOTA {
        quotas.request_increase(&caller(), "eks", EKS_FARGATE_PROFILES, 10.0 + step as f64).await.unwrap();
    }
    let refused = quotas.request_increase(&caller(), "eks", EKS_FARGATE_PROFILES, 1000.0).await.unwrap_err();
    assert!(matches!(refused, QuotasError::QuotaExceeded(_)));
    assert_eq!(quotas.get(&caller(), "eks", EKS_FARGATE_PROFILES).await.unwrap().value, 110.0);
}

#[tokio::test]
async fn lists_page_by_position() {
    let records = Records::new(Arc::new(MemoryStore::new()));
    let quotas = quotas(&records);
    let (first, token) = quotas.list(&caller(), "eks", None, Some(3), None).await.unwrap();
    assert_eq!(first.len(), 3);
    let (rest, end) = quotas.list(&caller(), "eks", None, Some(3), token.as_deref()).await.unwrap();
    assert_eq!((rest.len(), end), (1, None));
    let codes: Vec<&str> = first.iter().chain(&rest).map(|quota| quota.info.code).collect();
    assert_eq!(codes.len(), CATALOG.len());
    let one = quotas.list(&caller(), "eks", Some(EKS_NODEGROUPS), None, None).await.unwrap().0;
    assert_eq!(one[0].info.code, EKS_NODEGROUPS);
    for (max, token) in [(Some(0), None), (Some(101), None)] {
        assert!(matches!(quotas.list(&caller(), "eks", None, max, token).await, Err(QuotasError::IllegalArgument(_))));
    }
    for token in ["garbage", "OTk5"] {
        let bad = quotas.list(&caller(), "eks", None, None, Some(token)).await;
        assert!(matches!(bad, Err(QuotasError::InvalidPaginationToken(_))), "{token}");
    }
    assert_eq!(quotas.list_services(None, None).unwrap().0, [("eks", EKS)]);
}

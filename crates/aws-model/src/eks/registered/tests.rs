use super::*;
use crate::clock::Clock;
use crate::eks::EksConfig;
use crate::eks::tests::{caller, fixture, input};

fn registration(name: &str) -> RegisterCluster {
    RegisterCluster {
        name: name.into(),
        provider: "GKE".into(),
        role_arn: "arn:aws:iam::000000000000:role/connector".into(),
        ..RegisterCluster::default()
    }
}

#[tokio::test]
async fn a_registration_is_pending_until_its_activation_expires_and_then_failed() {
    let f = fixture(EksConfig::default());
    let made = f.eks.register_cluster(&caller(), registration("gke-prod")).await.unwrap();
    assert_eq!(
        (made.status, made.arn.as_str()),
        (RegistrationStatus::Pending, "arn:aws:eks:us-east-1:000000000000:cluster/gke-prod")
    );
    assert_eq!(made.activation_expiry, f.clock.now() + 3.0 * 24.0 * 3600.0);
    assert!(!made.activation_code.is_empty() && made.activation_id.len() == 36);
    // Listed only with include=all; the name is taken for EKS clusters too.
    assert!(f.eks.list_clusters(&caller(), None, None).await.unwrap().0.is_empty());
    f.eks.create_cluster(&caller(), input("eks")).await.unwrap();
    let (all, _) = f.eks.list_cluster_names(&caller(), true, None, None).await.unwrap();
    assert_eq!(all, ["eks", "gke-prod"]);
    assert!(matches!(f.eks.create_cluster(&caller(), input("gke-prod")).await, Err(EksError::ResourceInUse(_))));
    assert!(matches!(f.eks.register_cluster(&caller(), registration("eks")).await, Err(EksError::ResourceInUse(_))));

    f.clock.advance(3.0 * 24.0 * 3600.0);
    let read = f.eks.registered_cluster(&caller(), "gke-prod").await.unwrap().unwrap();
    assert_eq!(read.status, RegistrationStatus::Failed);

    let gone = f.eks.deregister_cluster(&caller(), "gke-prod").await.unwrap();
    assert_eq!(gone.status, RegistrationStatus::Deleting);
    assert!(f.eks.registered_cluster(&caller(), "gke-prod").await.unwrap().is_none());
    assert!(matches!(f.eks.deregister_cluster(&caller(), "gke-prod").await, Err(EksError::ResourceNotFound(_))));
    assert!(matches!(f.eks.deregister_cluster(&caller(), "eks").await, Err(EksError::InvalidRequest(_))));
}

#[tokio::test]
async fn registrations_are_checked_and_bounded() {
    let f = fixture(EksConfig::default());
    for (bad, fragment) in [
        (RegisterCluster { provider: "K3S".into(), ..registration("a") }, "enum value set"),
        (RegisterCluster { role_arn: "role".into(), ..registration("a") }, "Invalid role ARN"),
        (registration("-a"), "failed to satisfy constraint"),
        (registration("a\0b"), "failed to satisfy constraint"),
        (RegisterCluster { client_request_token: Some(String::new()), ..registration("a") }, "clientRequestToken"),
    ] {
        let refused = f.eks.register_cluster(&caller(), bad).await.unwrap_err();
        assert!(matches!(&refused, EksError::InvalidParameter(m) if m.contains(fragment)), "{refused:?}");
    }
    let token = RegisterCluster { client_request_token: Some("t-1".into()), ..registration("c0") };
    let first = f.eks.register_cluster(&caller(), token.clone()).await.unwrap();
    assert_eq!(f.eks.register_cluster(&caller(), token).await.unwrap().activation_id, first.activation_id);
    for index in 1..MAX_REGISTERED {
        f.eks.register_cluster(&caller(), registration(&format!("c{index}"))).await.unwrap();
    }
    let over = f.eks.register_cluster(&caller(), registration("one-more")).await.unwrap_err();
    assert!(matches!(over, EksError::ResourceLimitExceeded(_)));
}

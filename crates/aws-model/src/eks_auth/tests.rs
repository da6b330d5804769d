use std::sync::Arc;

use serde_json::{Value, json};
use store::MemoryStore;

use super::*;
use crate::eks::EksConfig;
use crate::eks::identity::CreatePodIdentityAssociation;
use crate::eks::tests::{caller, fixture, input};
use crate::iam::{CreateRole, Iam};
use crate::records::Records;
use crate::sts::jwt::tests::{Signer, claims};

const ROLE: &str = "arn:aws:iam::000000000000:role/app";
const NOW: f64 = 1_800_000_000.0;

#[derive(Debug)]
struct Keys(Value);

#[async_trait::async_trait]
impl OidcKeys for Keys {
    async fn jwks(&self, _issuer_url: &str) -> Option<Value> {
        Some(self.0.clone())
    }
}

struct Fixture {
    auth: EksAuth,
    issuer: String,
    signer: Signer,
    sts: Sts,
}

/// A cluster `demo` with an association of `default/app` to [`ROLE`], which trusts `trust` (`None`: no role).
async fn fixture_with(trust: Option<&str>, disable_session_tags: bool) -> Fixture {
    let eks = fixture(EksConfig::default());
    let cluster = eks.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    let iam = Iam::new(Records::new(Arc::new(MemoryStore::new())), eks.clock.clone());
    if let Some(trust) = trust {
        let role = CreateRole { name: "app".into(), assume_role_policy: trust.into(), ..CreateRole::default() };
        iam.create_role("000000000000", role).await.unwrap();
    }
    let association = CreatePodIdentityAssociation {
        cluster: "demo".into(),
        namespace: "default".into(),
        service_account: "app".into(),
        role_arn: ROLE.into(),
        disable_session_tags: Some(disable_session_tags),
        ..CreatePodIdentityAssociation::default()
    };
    eks.eks.create_pod_identity_association(&caller(), association).await.unwrap();
    let signer = Signer::new();
    let sts = Sts::new(iam);
    let auth = EksAuth::new(eks.eks, sts.clone(), Arc::new(Keys(signer.jwks())));
    Fixture { auth, issuer: cluster.oidc_issuer, signer, sts }
}

fn pod_trust(actions: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"pods.eks.amazonaws.com"}},"Action":{actions}}}]}}"#
    )
}

fn pod_token(f: &Fixture, subject: &str, audience: &str) -> String {
    let mut claims = claims(&f.issuer, subject, audience, NOW - 10.0);
    claims["kubernetes.io"] = json!({ "namespace": "default", "pod": { "name": "web-1", "uid": "u-1" } });
    f.signer.sign(&claims)
}

#[tokio::test]
async fn a_pods_token_becomes_a_session_of_the_associated_role() {
    let f = fixture_with(Some(&pod_trust(r#"["sts:AssumeRole","sts:TagSession"]"#)), false).await;
    let token = pod_token(&f, "system:serviceaccount:default:app", POD_IDENTITY_AUDIENCE);
    let got = f.auth.assume_role_for_pod_identity(&caller(), "demo", &token).await.unwrap();
    assert_eq!((got.namespace.as_str(), got.service_account.as_str()), ("default", "app"));
    assert_eq!(got.audience, "pods.eks.amazonaws.com");
    assert!(got.association_id.starts_with("a-") && got.association_arn.ends_with(&got.association_id));
    let session = &got.assumed.session;
    assert!(session.arn.starts_with("arn:aws:sts::000000000000:assumed-role/app/eks-demo-web-1-"), "{}", session.arn);
    assert!(got.assumed.assumed_role_id.ends_with(session.arn.rsplit('/').next().unwrap()));
    assert_eq!(session.expires_at - session.created_at, 6.0 * 3600.0);
    let stored = f.sts.session(&session.access_key_id).await.unwrap().expect("the session is usable");
    assert_eq!(stored.role_arn.as_deref(), Some(ROLE));
}

#[tokio::test]
async fn session_tags_need_tag_session_unless_the_association_disables_them() {
    let only_assume = pod_trust(r#""sts:AssumeRole""#);
    let f = fixture_with(Some(&only_assume), false).await;
    let token = pod_token(&f, "system:serviceaccount:default:app", POD_IDENTITY_AUDIENCE);
    let denied = f.auth.assume_role_for_pod_identity(&caller(), "demo", &token).await.unwrap_err();
    assert!(matches!(denied, EksAuthError::AccessDenied(_)), "{denied:?}");

    let f = fixture_with(Some(&only_assume), true).await;
    let token = pod_token(&f, "system:serviceaccount:default:app", POD_IDENTITY_AUDIENCE);
    assert!(f.auth.assume_role_for_pod_identity(&caller(), "demo", &token).await.is_ok());

    let f = fixture_with(None, false).await;
    let token = pod_token(&f, "system:serviceaccount:default:app", POD_IDENTITY_AUDIENCE);
    let gone = f.auth.assume_role_for_pod_identity(&caller(), "demo", &token).await.unwrap_err();
    assert!(matches!(gone, EksAuthError::AccessDenied(_)), "a missing role is denied: {gone:?}");
}

#[tokio::test]
async fn tokens_must_be_the_clusters_for_the_pod_identity_audience_and_an_associated_account() {
    let f = fixture_with(Some(&pod_trust(r#"["sts:AssumeRole","sts:TagSession"]"#)), false).await;
    let ask = |token: String| {
        let auth = f.auth.clone();
        async move { auth.assume_role_for_pod_identity(&caller(), "demo", &token).await.unwrap_err() }
    };
    let sts_audience = pod_token(&f, "system:serviceaccount:default:app", "sts.amazonaws.com");
    assert!(matches!(ask(sts_audience).await, EksAuthError::InvalidToken(_)));
    let other_account = pod_token(&f, "system:serviceaccount:default:other", POD_IDENTITY_AUDIENCE);
    assert!(matches!(ask(other_account).await, EksAuthError::ResourceNotFound(_)));
    let not_an_account = pod_token(&f, "alice", POD_IDENTITY_AUDIENCE);
    assert!(matches!(ask(not_an_account).await, EksAuthError::InvalidToken(_)));
    let foreign = f.signer.sign(&claims(
        "https://elsewhere/id/X",
        "system:serviceaccount:default:app",
        POD_IDENTITY_AUDIENCE,
        NOW,
    ));
    assert!(matches!(ask(foreign).await, EksAuthError::InvalidToken(_)));
    let expired =
        f.signer.sign(&claims(&f.issuer, "system:serviceaccount:default:app", POD_IDENTITY_AUDIENCE, NOW - 7200.0));
    assert!(matches!(ask(expired).await, EksAuthError::ExpiredToken(_)));
    let forged =
        Signer::new().sign(&claims(&f.issuer, "system:serviceaccount:default:app", POD_IDENTITY_AUDIENCE, NOW));
    assert!(matches!(ask(forged).await, EksAuthError::InvalidToken(_)));

    let token = pod_token(&f, "system:serviceaccount:default:app", POD_IDENTITY_AUDIENCE);
    let missing = f.auth.assume_role_for_pod_identity(&caller(), "nope", &token).await.unwrap_err();
    assert!(matches!(missing, EksAuthError::ResourceNotFound(_)), "{missing:?}");
}

#[tokio::test]
async fn garbage_is_an_invalid_parameter() {
    let f = fixture_with(None, false).await;
    for (cluster, token) in [
        ("", "a.b.c"),
        ("-demo", "a.b.c"),
        (&"x".repeat(101) as &str, "a.b.c"),
        ("demo\0", "a.b.c"),
        ("demo", ""),
        ("demo", "not a token"),
        ("demo", "a..c"),
        ("demo", &format!("{}.b.c", "a".repeat(20_001))),
    ] {
        let got = f.auth.assume_role_for_pod_identity(&caller(), cluster, token).await.unwrap_err();
        assert!(matches!(got, EksAuthError::InvalidParameter(_)), "{cluster:.20} {token:.20}: {got:?}");
    }
    let unparsable = f.auth.assume_role_for_pod_identity(&caller(), "demo", "a.b.c").await.unwrap_err();
    assert!(matches!(unparsable, EksAuthError::InvalidToken(_)), "{unparsable:?}");
}

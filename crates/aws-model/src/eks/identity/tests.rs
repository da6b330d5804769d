use super::*;
use crate::eks::EksConfig;
use crate::eks::tests::{caller, fixture, input};
use crate::eks::updates::UpdateStatus;

const ROLE: &str = "arn:aws:iam::000000000000:role/app";

async fn with_cluster(config: EksConfig) -> crate::eks::tests::Fixture {
    let f = fixture(config);
    f.eks.create_cluster(&caller(), input("demo")).await.unwrap();
    f.eks.describe_cluster(&caller(), "demo").await.unwrap();
    f
}

fn association(namespace: &str, service_account: &str) -> CreatePodIdentityAssociation {
    CreatePodIdentityAssociation {
        cluster: "demo".into(),
        namespace: namespace.into(),
        service_account: service_account.into(),
        role_arn: ROLE.into(),
        ..CreatePodIdentityAssociation::default()
    }
}

#[tokio::test]
async fn associations_are_created_listed_updated_and_deleted() {
    let f = with_cluster(EksConfig::default()).await;
    let created = f.eks.create_pod_identity_association(&caller(), association("apps", "web")).await.unwrap();
    assert!(created.id.starts_with("a-") && created.id.len() == 19, "{}", created.id);
    assert!(created.id[2..].bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    assert_eq!(created.arn, format!("arn:aws:eks:us-east-1:000000000000:podidentityassociation/demo/{}", created.id));
    let duplicate = f.eks.create_pod_identity_association(&caller(), association("apps", "web")).await.unwrap_err();
    assert_eq!(duplicate, EksError::ResourceInUse(format!("Association already exists: {}", created.id)));
    f.eks.create_pod_identity_association(&caller(), association("apps", "api")).await.unwrap();
    f.eks.create_pod_identity_association(&caller(), association("other", "web")).await.unwrap();

    let me = caller();
    let list = |namespace, account| f.eks.list_pod_identity_associations(&me, "demo", namespace, account, None, None);
    assert_eq!(list(Some("apps"), None).await.unwrap().0.len(), 2);
    assert_eq!(list(None, Some("web")).await.unwrap().0.len(), 2);
    assert_eq!(list(Some("apps"), Some("web")).await.unwrap().0[0].id, created.id);
    let (first, token) =
        f.eks.list_pod_identity_associations(&caller(), "demo", None, None, Some(2), None).await.unwrap();
    let (rest, end) =
        f.eks.list_pod_identity_associations(&caller(), "demo", None, None, Some(2), token.as_deref()).await.unwrap();
    assert_eq!((first.len(), rest.len(), end), (2, 1, None));

    let other_role = "arn:aws:iam::000000000000:role/other".to_owned();
    let updated = f
        .eks
        .update_pod_identity_association(&me, "demo", &created.id, Some(other_role.clone()), Some(true))
        .await
        .unwrap();
    assert_eq!((updated.role_arn.as_str(), updated.disable_session_tags), (other_role.as_str(), true));
    let bad_role = f.eks.update_pod_identity_association(&caller(), "demo", &created.id, Some("x".into()), None).await;
    assert!(matches!(bad_role, Err(EksError::InvalidParameter(_))));
    f.eks.delete_pod_identity_association(&caller(), "demo", &created.id).await.unwrap();
    let gone = f.eks.describe_pod_identity_association(&caller(), "demo", &created.id).await.unwrap_err();
    assert!(matches!(gone, EksError::ResourceNotFound(_)));
    let again = f.eks.delete_pod_identity_association(&caller(), "demo", &created.id).await.unwrap_err();
    assert!(matches!(again, EksError::ResourceNotFound(_)));
}

#[tokio::test]
async fn invalid_associations_are_refused() {
    let f = with_cluster(EksConfig::default()).await;
    let cases = [
        (association("", "web"), "must not be empty"),
        (association("apps", ""), "must not be empty"),
        (CreatePodIdentityAssociation { role_arn: "role".into(), ..association("a", "b") }, "Invalid role ARN"),
        (CreatePodIdentityAssociation { cluster: "nope".into(), ..association("a", "b") }, "No cluster found"),
    ];
    for (request, expect) in cases {
        let error = f.eks.create_pod_identity_association(&caller(), request.clone()).await.unwrap_err();
        assert!(error.to_string().contains(expect), "{request:?}: {error}");
    }
}

fn oidc(name: &str) -> AssociateOidcConfig {
    AssociateOidcConfig {
        cluster: "demo".into(),
        name: name.into(),
        issuer_url: "https://issuer.example.com".into(),
        client_id: "kubernetes".into(),
        ..AssociateOidcConfig::default()
    }
}

#[tokio::test]
async fn an_oidc_config_is_associated_then_disassociated_with_updates() {
    let f = with_cluster(EksConfig::default()).await;
    let config = EksConfig { create_seconds: 5.0, delete_seconds: 5.0, ..EksConfig::default() };
    let eks = Eks::new(f.eks.records.clone(), f.kubernetes.clone(), f.clock.clone(), config);
    let (update, created) = eks.associate_oidc_config(&caller(), oidc("corp")).await.unwrap();
    assert_eq!(update.kind, "AssociateIdentityProviderConfig");
    assert_eq!(update.params[0].1, r#"[{"name":"corp","type":"oidc"}]"#);
    assert_eq!(created.status, ConfigStatus::Creating);
    let early = eks.disassociate_oidc_config(&caller(), "demo", "corp").await.unwrap_err();
    assert!(matches!(early, EksError::InvalidRequest(_)));
    let second = eks.associate_oidc_config(&caller(), oidc("other")).await.unwrap_err();
    assert!(matches!(second, EksError::ResourceLimitExceeded(_)));
    let same = eks.associate_oidc_config(&caller(), oidc("corp")).await.unwrap_err();
    assert!(matches!(same, EksError::ResourceInUse(_)));
    f.clock.advance(5.0);
    assert_eq!(eks.describe_oidc_config(&caller(), "demo", "corp").await.unwrap().status, ConfigStatus::Active);
    assert_eq!(eks.list_oidc_configs(&caller(), "demo", None, None).await.unwrap().0, ["corp"]);
    let gone_update = eks.disassociate_oidc_config(&caller(), "demo", "corp").await.unwrap();
    assert_eq!(gone_update.kind, "DisassociateIdentityProviderConfig");
    assert_eq!(eks.describe_oidc_config(&caller(), "demo", "corp").await.unwrap().status, ConfigStatus::Deleting);
    f.clock.advance(5.0);
    let gone = eks.describe_oidc_config(&caller(), "demo", "corp").await.unwrap_err();
    assert_eq!(gone, EksError::ResourceNotFound("No identity provider config found for name: corp".into()));
    let scope = UpdateScope::default();
    assert_eq!(
        eks.describe_update(&caller(), "demo", &update.id, scope).await.unwrap().status,
        UpdateStatus::Successful
    );
}

#[tokio::test]
async fn invalid_oidc_configs_are_refused() {
    let f = with_cluster(EksConfig::default()).await;
    let cases = [
        (AssociateOidcConfig { issuer_url: "http://plain".into(), ..oidc("a") }, "https URL"),
        (AssociateOidcConfig { issuer_url: "https://".into(), ..oidc("a") }, "https URL"),
        (AssociateOidcConfig { client_id: String::new(), ..oidc("a") }, "clientId"),
        (oidc("-bad"), "failed to satisfy constraint"),
        (AssociateOidcConfig { cluster: "nope".into(), ..oidc("a") }, "No cluster found"),
    ];
    for (request, expect) in cases {
        let error = f.eks.associate_oidc_config(&caller(), request.clone()).await.unwrap_err();
        assert!(error.to_string().contains(expect), "{request:?}: {error}");
    }
}

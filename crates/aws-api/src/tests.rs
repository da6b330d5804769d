use std::collections::BTreeMap;
use std::sync::Arc;

use aws_model::clock::ManualClock;
use aws_model::eks::{CreateCluster, Eks, EksConfig, KubernetesClusters, KubernetesEndpoint, KubernetesSpec};
use aws_model::records::Records;
use aws_protocol::{Credentials, SigningParams};
use base64::Engine as _;
use bytes::Bytes;
use http::Request;
use store::MemoryStore;

use super::*;
use crate::token::{TokenError, parse_token};

/// The moment every signature in these tests is made at.
const NOW: i64 = 1_800_000_000;

#[derive(Debug)]
struct FakeKubernetes;

#[async_trait::async_trait]
impl KubernetesClusters for FakeKubernetes {
    async fn create(&self, _: &KubernetesSpec) -> Result<KubernetesEndpoint, String> {
        Ok(KubernetesEndpoint { endpoint: "https://127.0.0.1:1".into(), ca_pem: "PEM".into() })
    }
    async fn delete(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
    async fn config_map(
        &self,
        _: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, String> {
        let users = "- userarn: arn:aws:iam::123456789012:root\n  username: partner\n  groups: [partners]\n";
        Ok(((namespace, name) == ("kube-system", "aws-auth")).then(|| [("mapUsers".into(), users.into())].into()))
    }
}

async fn api_with_cluster(clock: Arc<ManualClock>) -> AwsApi {
    let records = Records::new(Arc::new(MemoryStore::new()));
    let eks = Eks::new(records.clone(), Arc::new(FakeKubernetes), clock.clone(), EksConfig::default());
    let caller = Caller {
        account: "000000000000".into(),
        region: "us-east-1".into(),
        arn: "arn:aws:iam::000000000000:root".into(),
    };
    let input = CreateCluster {
        name: "demo".into(),
        role_arn: "arn:aws:iam::000000000000:role/eks".into(),
        subnet_ids: vec!["subnet-a".into()],
        ..CreateCluster::default()
    };
    eks.create_cluster(&caller, input).await.unwrap();
    AwsApi::new(eks, aws_model::iam::Iam::new(records, clock.clone()), clock)
}

/// A token as `aws eks get-token` makes it, for `cluster`, signed at `signed_at`.
fn token(cluster: &str, access_key: &str, signed_at: i64) -> String {
    let mut request = Request::builder()
        .method("GET")
        .uri("http://127.0.0.1:4566/?Action=GetCallerIdentity&Version=2011-06-15")
        .header("x-k8s-aws-id", cluster)
        .body(Bytes::new())
        .unwrap();
    let credentials = Credentials::new(access_key, "secret");
    let params = SigningParams {
        credentials: &credentials,
        region: "us-east-1",
        service: "sts",
        time: time::OffsetDateTime::from_unix_timestamp(signed_at).unwrap(),
    };
    aws_protocol::sigv4::presign(&mut request, &params, 60).unwrap();
    let url = request.uri().to_string();
    format!("k8s-aws-v1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url))
}

fn reencode(url: &str) -> String {
    format!("k8s-aws-v1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url))
}

fn url_of(token: &str) -> String {
    let encoded = token.strip_prefix("k8s-aws-v1.").unwrap();
    String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded).unwrap()).unwrap()
}

#[tokio::test]
async fn a_fresh_token_for_the_cluster_is_its_creator() {
    let api = api_with_cluster(Arc::new(ManualClock::new(NOW as f64 + 30.0))).await;
    let user = api.authenticate_eks_token("demo.us-east-1.000000000000", &token("demo", "AKIDEXAMPLE", NOW)).await;
    let user = user.expect("accepted");
    assert_eq!(user.username, "kubernetes-admin", "the creator of a CONFIG_MAP cluster");
    assert_eq!(user.groups, ["system:masters", "system:authenticated"], "the creator gets cluster-admin");
    assert_eq!(user.uid, "aws-iam-authenticator:000000000000:AKIDEXAMPLE");

    let other = api.authenticate_eks_token("demo.us-east-1.000000000000", &token("demo", "123456789012", NOW)).await;
    let other = other.expect("aws-auth maps the other account's root");
    assert_eq!(
        (other.username.as_str(), other.groups),
        ("partner", vec!["partners".into(), "system:authenticated".into()])
    );
    let unmapped = token("demo", "999999999999", NOW);
    assert!(api.authenticate_eks_token("demo.us-east-1.000000000000", &unmapped).await.is_none(), "mapped by nothing");
}

#[tokio::test]
async fn access_entries_name_the_user_and_carry_their_policies() {
    let clock = Arc::new(ManualClock::new(NOW as f64 + 30.0));
    let api = api_with_cluster(clock).await;
    let owner = Caller {
        account: "000000000000".into(),
        region: "us-east-1".into(),
        arn: "arn:aws:iam::000000000000:root".into(),
    };
    let input = CreateCluster {
        name: "modern".into(),
        role_arn: "arn:aws:iam::000000000000:role/eks".into(),
        subnet_ids: vec!["subnet-a".into()],
        authentication_mode: Some("API".into()),
        ..CreateCluster::default()
    };
    api.eks().create_cluster(&owner, input).await.unwrap();
    let user = api.authenticate_eks_token("modern.us-east-1.000000000000", &token("modern", "AKIDEXAMPLE", NOW)).await;
    let user = user.expect("the creator's access entry maps it");
    assert_eq!(user.username, "arn:aws:iam::000000000000:root");
    assert_eq!(user.groups, ["system:authenticated"]);
    let admin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
    assert_eq!(user.policies, [aws_model::eks::authn::PolicyGrant { policy_arn: admin.into(), namespaces: None }]);
    api.eks().delete_access_entry(&owner, "modern", "arn:aws:iam::000000000000:root").await.unwrap();
    let gone = api.authenticate_eks_token("modern.us-east-1.000000000000", &token("modern", "AKIDEXAMPLE", NOW)).await;
    assert!(gone.is_none(), "without its entry the creator is nobody");
}

#[tokio::test]
async fn stale_future_or_foreign_tokens_are_refused() {
    let clock = Arc::new(ManualClock::new(NOW as f64));
    let api = api_with_cluster(clock.clone()).await;
    let fresh = token("demo", "AKIDEXAMPLE", NOW);
    assert!(api.authenticate_eks_token("other.us-east-1.000000000000", &fresh).await.is_none(), "no such cluster");
    assert!(api.authenticate_eks_token("demo.eu-west-1.000000000000", &fresh).await.is_none());
    clock.advance(61.0);
    assert!(api.authenticate_eks_token("demo.us-east-1.000000000000", &fresh).await.is_none(), "expired after 60 s");
    let future = token("demo", "AKIDEXAMPLE", NOW + 3600);
    assert!(api.authenticate_eks_token("demo.us-east-1.000000000000", &future).await.is_none());
}

#[test]
fn malformed_tokens_are_refused_before_any_signature_work() {
    let good = token("demo", "AKIDEXAMPLE", NOW);
    assert!(parse_token(&good, "demo").is_ok());
    let url = url_of(&good);
    let shape = |token: &str| matches!(parse_token(token, "demo"), Err(TokenError::Shape(_)));
    let cases = [
        "".to_owned(),
        "k8s-aws-v1.".to_owned(),
        "k8s-aws-v2.abc".to_owned(),
        "k8s-aws-v1.%%%".to_owned(),
        format!("k8s-aws-v1.{}", "A".repeat(5000)),
        reencode(&url.replace("Action=GetCallerIdentity", "Action=AssumeRole")),
        reencode(&url.replace("http://", "ftp://")),
        reencode(&url.replace("4566/?", "4566/sts?")),
        reencode(&format!("{url}&Smuggled=1")),
        reencode(&url.replace("x-k8s-aws-id", "x-other-header")),
        reencode("http://127.0.0.1/?Action=GetCallerIdentity"),
        reencode("not a url at all"),
        format!("k8s-aws-v1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0x00])),
    ];
    for case in &cases {
        assert!(parse_token(case, "demo").is_err(), "{case:.60}");
    }
    assert!(shape(&cases[5]) && shape(&cases[8]));
}

#[tokio::test]
async fn unsigned_or_unroutable_requests_get_errors_in_their_protocol() {
    let api = api_with_cluster(Arc::new(ManualClock::new(NOW as f64))).await;
    let plain = Request::builder().uri("/no/such/route").body(Bytes::new()).unwrap();
    let response = api.handle(plain).await;
    assert_eq!(response.status(), 404);

    let form = Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from_static(b"Action=GetCallerIdentity&Version=2011-06-15"))
        .unwrap();
    let response = api.handle(form).await;
    assert_eq!(response.status(), 403);
    assert!(String::from_utf8_lossy(response.body()).contains("<Code>MissingAuthenticationToken</Code>"));

    let garbage_form = Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from_static(b"Action=%ZZ&&="))
        .unwrap();
    let response = api.handle(garbage_form).await;
    assert_eq!(response.status(), 400);
    assert!(String::from_utf8_lossy(response.body()).contains("<ErrorResponse"));
}

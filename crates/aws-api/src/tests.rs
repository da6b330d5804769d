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

/// A signed STS query call with `form` as its body, made with `credentials` at `at`.
fn sts_call(form: &str, credentials: &Credentials, at: i64) -> Request<Bytes> {
    let mut request = Request::builder()
        .method("POST")
        .uri("http://127.0.0.1:4566/")
        .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
        .body(Bytes::from(form.to_owned()))
        .unwrap();
    let params = SigningParams {
        credentials,
        region: "us-east-1",
        service: "sts",
        time: time::OffsetDateTime::from_unix_timestamp(at).unwrap(),
    };
    aws_protocol::sigv4::sign(&mut request, &params).unwrap();
    request
}

/// The text of the first `<name>` element of an XML reply.
fn element<'a>(body: &'a str, name: &str) -> &'a str {
    let start = body.find(&format!("<{name}>")).unwrap_or_else(|| panic!("no <{name}> in {body}")) + name.len() + 2;
    &body[start..start + body[start..].find('<').unwrap()]
}

async fn answer(api: &AwsApi, request: Request<Bytes>) -> (u16, String) {
    let response = api.handle(request).await;
    (response.status().as_u16(), String::from_utf8(response.body().clone()).unwrap())
}

#[tokio::test]
async fn temporary_credentials_act_as_their_role_session_until_they_expire() {
    let clock = Arc::new(ManualClock::new(NOW as f64));
    let api = api_with_cluster(clock.clone()).await;
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}"#;
    let role =
        aws_model::iam::CreateRole { name: "admin".into(), assume_role_policy: trust.into(), ..Default::default() };
    let role = api.iam().create_role("000000000000", role).await.unwrap();
    let root = Credentials::new("AKIDEXAMPLE", "secret");
    let form = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fadmin&RoleSessionName=me&DurationSeconds=900";
    let (status, body) = answer(&api, sts_call(form, &root, NOW)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(element(&body, "Arn"), "arn:aws:sts::000000000000:assumed-role/admin/me");
    assert_eq!(element(&body, "AssumedRoleId"), format!("{}:me", role.id));
    let session = Credentials {
        access_key_id: element(&body, "AccessKeyId").to_owned(),
        secret_access_key: element(&body, "SecretAccessKey").to_owned(),
        session_token: Some(element(&body, "SessionToken").to_owned()),
    };
    assert!(session.access_key_id.starts_with("ASIA"));

    let who = "Action=GetCallerIdentity&Version=2011-06-15";
    let (status, body) = answer(&api, sts_call(who, &session, NOW)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(element(&body, "Arn"), "arn:aws:sts::000000000000:assumed-role/admin/me");
    assert_eq!(element(&body, "UserId"), format!("{}:me", role.id));

    let without_token = Credentials { session_token: None, ..session.clone() };
    let (status, body) = answer(&api, sts_call(who, &without_token, NOW)).await;
    assert_eq!((status, element(&body, "Code")), (403, "InvalidClientTokenId"), "{body}");
    let wrong_token = Credentials { session_token: Some("forged".into()), ..session.clone() };
    let (status, body) = answer(&api, sts_call(who, &wrong_token, NOW)).await;
    assert_eq!((status, element(&body, "Code")), (403, "InvalidClientTokenId"), "{body}");
    let wrong_secret = Credentials { secret_access_key: "x".repeat(40), ..session.clone() };
    let (status, body) = answer(&api, sts_call(who, &wrong_secret, NOW)).await;
    assert_eq!((status, element(&body, "Code")), (403, "SignatureDoesNotMatch"), "{body}");

    // An EKS token made with the session, for a cluster where the role has an access entry (and no policies): the
    // role's canonical ARN names it.
    let owner = Caller {
        account: "000000000000".into(),
        region: "us-east-1".into(),
        arn: "arn:aws:iam::000000000000:root".into(),
    };
    let input = CreateCluster {
        name: "sessions".into(),
        role_arn: "arn:aws:iam::000000000000:role/eks".into(),
        subnet_ids: vec!["subnet-a".into()],
        authentication_mode: Some("API".into()),
        ..CreateCluster::default()
    };
    api.eks().create_cluster(&owner, input).await.unwrap();
    let entry = aws_model::eks::access::CreateAccessEntry {
        cluster: "sessions".into(),
        principal_arn: "arn:aws:iam::000000000000:role/admin".into(),
        ..Default::default()
    };
    api.eks().create_access_entry(&owner, entry).await.unwrap();
    let mut request = Request::builder()
        .method("GET")
        .uri("http://127.0.0.1:4566/?Action=GetCallerIdentity&Version=2011-06-15")
        .header("x-k8s-aws-id", "sessions")
        .body(Bytes::new())
        .unwrap();
    let params = SigningParams {
        credentials: &session,
        region: "us-east-1",
        service: "sts",
        time: time::OffsetDateTime::from_unix_timestamp(NOW).unwrap(),
    };
    aws_protocol::sigv4::presign(&mut request, &params, 60).unwrap();
    let token = reencode(&request.uri().to_string());
    let user = api.authenticate_eks_token("sessions.us-east-1.000000000000", &token).await.expect("accepted");
    assert_eq!(user.arn, "arn:aws:sts::000000000000:assumed-role/admin/me");
    assert_eq!(user.canonical_arn, "arn:aws:iam::000000000000:role/admin");
    assert_eq!(user.uid, format!("aws-iam-authenticator:000000000000:{}", role.id));
    assert_eq!(user.groups, ["system:authenticated"]);
    let stripped = reencode(url_of(&token).split("&X-Amz-Security-Token").next().unwrap());
    assert!(api.authenticate_eks_token("sessions.us-east-1.000000000000", &stripped).await.is_none());

    clock.advance(900.0);
    let (status, body) = answer(&api, sts_call(who, &session, NOW + 900)).await;
    assert_eq!((status, element(&body, "Code")), (403, "ExpiredToken"), "{body}");
    assert_eq!(element(&body, "Message"), "The security token included in the request is expired");
}

#[tokio::test]
async fn sts_errors_are_written_with_their_codes() {
    let api = api_with_cluster(Arc::new(ManualClock::new(NOW as f64))).await;
    let root = Credentials::new("AKIDEXAMPLE", "secret");
    let check = async |form: &str, status: u16, code: &str, message: &str| {
        let (got_status, body) = answer(&api, sts_call(form, &root, NOW)).await;
        assert_eq!((got_status, element(&body, "Code")), (status, code), "{form}: {body}");
        assert!(element(&body, "Message").contains(message), "{form}: {body}");
    };
    let role = "RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fnone";
    check(
        &format!("Action=AssumeRole&Version=2011-06-15&{role}&RoleSessionName=me"),
        403,
        "AccessDenied",
        "User: arn:aws:iam::000000000000:root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role/none",
    )
    .await;
    check("Action=AssumeRole&Version=2011-06-15&RoleSessionName=me", 400, "ValidationError", "Value null at 'roleArn'")
        .await;
    check(
        &format!("Action=AssumeRole&Version=2011-06-15&{role}&RoleSessionName=me&DurationSeconds=abc"),
        400,
        "ValidationError",
        "abc",
    )
    .await;
    check("Action=NoSuchThing&Version=2011-06-15", 400, "InvalidAction", "NoSuchThing").await;

    // The web identity call needs no signature; a garbage token is refused as STS refuses it.
    let unsigned = Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from(format!(
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&{role}&RoleSessionName=me&WebIdentityToken=garbage"
        )))
        .unwrap();
    let (status, body) = answer(&api, unsigned).await;
    assert_eq!((status, element(&body, "Code")), (400, "InvalidIdentityToken"), "{body}");
}

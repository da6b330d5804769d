use super::*;

fn check(input: &str, expect: &str) {
    assert_eq!(url_encode(input), expect);
}

#[test]
fn documents_are_percent_encoded_as_iam_returns_them() {
    check(r#"{"A": "b c"}"#, "%7B%22A%22%3A%20%22b%20c%22%7D");
    check("safe-_.~09az", "safe-_.~09az");
    check("é+/", "%C3%A9%2B%2F");
    check("", "");
}

#[test]
fn members_are_named_in_lower_camel_case() {
    assert_eq!(member_name("RoleName"), "roleName");
    assert_eq!(member_name(""), "");
}

mod endpoint {
    use std::sync::Arc;

    use aws_model::clock::ManualClock;
    use aws_model::eks::{Eks, EksConfig, KubernetesClusters, KubernetesEndpoint, KubernetesSpec};
    use aws_model::records::Records;
    use aws_protocol::{Credentials, SigningParams};
    use bytes::Bytes;
    use http::Request;
    use store::MemoryStore;

    use aws_model::iam::AccessKeyStatus;

    use crate::AwsApi;

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
    }

    fn api() -> AwsApi {
        let clock = Arc::new(ManualClock::new(NOW as f64));
        let records = Records::new(Arc::new(MemoryStore::new()));
        let eks = Eks::new(records.clone(), Arc::new(FakeKubernetes), clock.clone(), EksConfig::default());
        AwsApi::new(eks, aws_model::iam::Iam::new(records, clock.clone()), clock)
    }

    /// A form POST as the aws CLI sends it, signed for `service` with this key pair.
    fn signed(form: &str, service: &str, key: &str, secret: &str) -> Request<Bytes> {
        let mut request = Request::builder()
            .method("POST")
            .uri("http://127.0.0.1:4566/")
            .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
            .body(Bytes::from(form.to_owned()))
            .unwrap();
        let credentials = Credentials::new(key, secret);
        let params = SigningParams {
            credentials: &credentials,
            region: "us-east-1",
            service,
            time: time::OffsetDateTime::from_unix_timestamp(NOW).unwrap(),
        };
        aws_protocol::sigv4::sign(&mut request, &params).unwrap();
        request
    }

    async fn call(api: &AwsApi, form: &str, key: &str, secret: &str) -> (u16, String) {
        let service = if form.contains("2011-06-15") { "sts" } else { "iam" };
        let response = api.handle(signed(form, service, key, secret)).await;
        (response.status().as_u16(), String::from_utf8(response.body().clone()).unwrap())
    }

    fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
        text.split_once(open).and_then(|(_, rest)| rest.split_once(close)).map(|(inner, _)| inner).unwrap_or_default()
    }

    /// Runs one IAM call as the open-mode root and checks status and a fragment of the reply.
    async fn check(api: &AwsApi, form: &str, status: u16, fragment: &str) {
        let (got, body) = call(api, &format!("{form}&Version=2010-05-08"), "test", "test").await;
        assert_eq!(got, status, "{form}: {body}");
        assert!(body.contains(fragment), "{form}: {body}");
    }

    const TRUST: &str = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22eks.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";

    #[tokio::test]
    async fn iam_calls_answer_in_iams_xml() {
        let api = api();
        let create = format!(
            "Action=CreateRole&RoleName=cluster&AssumeRolePolicyDocument={TRUST}&Tags.member.1.Key=a&Tags.member.1.Value=b"
        );
        check(&api, &create, 200, "<CreateRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">").await;
        check(&api, &create, 409, "<Code>EntityAlreadyExists</Code>").await;
        check(&api, "Action=GetRole&RoleName=cluster", 200, "%22Service%22%3A%22eks.amazonaws.com%22").await;
        check(
            &api,
            "Action=GetRole&RoleName=cluster",
            200,
            "<Tags><member><Key>a</Key><Value>b</Value></member></Tags>",
        )
        .await;
        check(&api, "Action=GetRole&RoleName=nope", 404, "<Message>The role with name nope cannot be found.</Message>")
            .await;
        check(&api, "Action=ListRoles&MaxItems=1", 200, "<IsTruncated>false</IsTruncated>").await;
        let attach =
            "Action=AttachRolePolicy&RoleName=cluster&PolicyArn=arn:aws:iam::aws:policy/AmazonEKSClusterPolicy";
        check(&api, attach, 200, "<AttachRolePolicyResponse").await;
        check(
            &api,
            "Action=ListAttachedRolePolicies&RoleName=cluster",
            200,
            "<PolicyName>AmazonEKSClusterPolicy</PolicyName>",
        )
        .await;
        check(&api, "Action=DeleteRole&RoleName=cluster", 409, "<Code>DeleteConflict</Code>").await;
    }

    #[tokio::test]
    async fn garbage_parameters_get_iam_errors() {
        let api = api();
        let cases = [
            ("Action=GetRole", 400, "Value null at 'roleName' failed to satisfy constraint: Member must not be null"),
            ("Action=GetRole&RoleName=a%20b", 400, "<Code>ValidationError</Code>"),
            ("Action=ListRoles&MaxItems=lots", 400, "<Code>ValidationError</Code>"),
            ("Action=ListRoles&MaxItems=0", 400, "greater than or equal to 1"),
            ("Action=ListRoles&Marker=%21%21", 400, "<Code>InvalidInput</Code>"),
            (
                "Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=%7Bnope",
                400,
                "<Code>MalformedPolicyDocument</Code>",
            ),
            ("Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=x&MaxSessionDuration=x", 400, "ValidationError"),
            ("Action=ListPolicies&Scope=Mine", 400, "Member must satisfy enum value set"),
            ("Action=ListPolicies&OnlyAttached=maybe", 400, "ValidationError"),
            (
                "Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=x&Tags.member.x.Key=a",
                400,
                "<Code>MalformedQueryString</Code>",
            ),
            ("Action=UpdateAccessKey&UserName=u&AccessKeyId=AKIA0000000000000000&Status=Off", 400, "enum value set"),
            ("Action=GetUser", 400, "Must specify userName when calling with non-User credentials"),
            ("Action=Explode", 400, "<Code>InvalidAction</Code>"),
        ];
        for (form, status, fragment) in cases {
            check(&api, form, status, fragment).await;
        }
    }

    #[tokio::test]
    async fn requests_signed_with_iam_keys_are_verified_and_act_as_the_user() {
        let api = api();
        check(&api, "Action=CreateUser&UserName=alice", 200, "<UserName>alice</UserName>").await;
        let (_, created) = call(&api, "Action=CreateAccessKey&UserName=alice&Version=2010-05-08", "test", "test").await;
        let key = between(&created, "<AccessKeyId>", "</AccessKeyId>").to_owned();
        let secret = between(&created, "<SecretAccessKey>", "</SecretAccessKey>").to_owned();
        assert!(key.starts_with("AKIA") && secret.len() == 40, "{created}");

        let identity = "Action=GetCallerIdentity&Version=2011-06-15";
        let (status, body) = call(&api, identity, &key, &secret).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("<Arn>arn:aws:iam::000000000000:user/alice</Arn>"), "{body}");
        assert!(between(&body, "<UserId>", "</UserId>").starts_with("AIDA"), "{body}");

        let (status, body) = call(&api, identity, &key, "wrong-secret").await;
        assert_eq!(status, 403);
        assert!(body.contains("<Code>SignatureDoesNotMatch</Code>"), "{body}");
        let (status, body) = call(&api, "Action=ListAccessKeys&Version=2010-05-08", &key, &secret).await;
        assert_eq!(status, 200, "the calling user is the default user: {body}");
        assert!(body.contains(&key));

        let deactivate = format!("Action=UpdateAccessKey&UserName=alice&AccessKeyId={key}&Status=Inactive");
        check(&api, &deactivate, 200, "<UpdateAccessKeyResponse").await;
        let (status, body) = call(&api, identity, &key, &secret).await;
        assert_eq!(status, 403);
        assert!(body.contains("<Code>InvalidClientTokenId</Code>"), "{body}");

        let (status, body) = call(&api, identity, "AKIAUNKNOWNKEY000000", "anything").await;
        assert_eq!(status, 200, "unknown keys stay open: {body}");
        assert!(body.contains("<Arn>arn:aws:iam::000000000000:root</Arn>"));
    }

    /// An EKS token for cluster `demo`, as `aws eks get-token` makes it.
    fn token(key: &str, secret: &str) -> String {
        use base64::Engine as _;
        let mut request = Request::builder()
            .method("GET")
            .uri("http://127.0.0.1:4566/?Action=GetCallerIdentity&Version=2011-06-15")
            .header("x-k8s-aws-id", "demo")
            .body(Bytes::new())
            .unwrap();
        let credentials = Credentials::new(key, secret);
        let params = SigningParams {
            credentials: &credentials,
            region: "us-east-1",
            service: "sts",
            time: time::OffsetDateTime::from_unix_timestamp(NOW).unwrap(),
        };
        aws_protocol::sigv4::presign(&mut request, &params, 60).unwrap();
        format!("k8s-aws-v1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(request.uri().to_string()))
    }

    #[tokio::test]
    async fn eks_tokens_signed_with_iam_keys_must_be_valid_and_name_the_user() {
        let api = api();
        let caller = aws_model::eks::Caller {
            account: "000000000000".into(),
            region: "us-east-1".into(),
            arn: "arn:aws:iam::000000000000:root".into(),
        };
        let input = aws_model::eks::CreateCluster {
            name: "demo".into(),
            role_arn: "arn:aws:iam::000000000000:role/eks".into(),
            subnet_ids: vec!["subnet-a".into()],
            ..Default::default()
        };
        let input = aws_model::eks::CreateCluster { authentication_mode: Some("API".into()), ..input };
        api.eks().create_cluster(&caller, input).await.unwrap();
        let user = api.iam().create_user("000000000000", "bob", None, None, Vec::new()).await.unwrap();
        let key = api.iam().create_access_key("000000000000", "bob").await.unwrap();
        let cluster = "demo.us-east-1.000000000000";
        assert!(api.authenticate_eks_token(cluster, &token(&key.id, &key.secret)).await.is_none(), "no entry");
        let entry = aws_model::eks::access::CreateAccessEntry {
            cluster: "demo".into(),
            principal_arn: user.arn.clone(),
            kubernetes_groups: vec!["devs".into()],
            ..Default::default()
        };
        api.eks().create_access_entry(&caller, entry).await.unwrap();

        let accepted = api.authenticate_eks_token(cluster, &token(&key.id, &key.secret)).await.expect("valid");
        assert_eq!((accepted.arn.as_str(), accepted.username.as_str()), (user.arn.as_str(), user.arn.as_str()));
        assert_eq!(accepted.uid, format!("aws-iam-authenticator:000000000000:{}", user.id));
        assert_eq!(accepted.groups, ["devs", "system:authenticated"], "bob's entry names his groups");
        assert!(api.authenticate_eks_token(cluster, &token(&key.id, "forged")).await.is_none());
        api.iam().update_access_key("000000000000", "bob", &key.id, AccessKeyStatus::Inactive).await.unwrap();
        assert!(api.authenticate_eks_token(cluster, &token(&key.id, &key.secret)).await.is_none());
    }
}

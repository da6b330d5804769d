use std::sync::Arc;

use aws_model::clock::ManualClock;
use aws_model::ec2::Ec2;
use aws_model::eks::{Eks, EksConfig};
use aws_model::records::Records;
use aws_protocol::{Credentials, SigningParams};
use bytes::Bytes;
use http::Request;
use store::MemoryStore;

use super::*;

const NOW: i64 = 1_800_000_000;

#[derive(Debug)]
struct NoKubernetes;

#[async_trait::async_trait]
impl aws_model::eks::KubernetesClusters for NoKubernetes {
    async fn create(&self, _: &aws_model::eks::KubernetesSpec) -> Result<aws_model::eks::KubernetesEndpoint, String> {
        Err("no clusters here".into())
    }
    async fn delete(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
}

fn api() -> AwsApi {
    let records = Records::new(Arc::new(MemoryStore::new()));
    let clock = Arc::new(ManualClock::new(NOW as f64));
    let eks = Eks::new(records.clone(), Arc::new(NoKubernetes), clock.clone(), EksConfig::default());
    let ec2 = Ec2::new(records.clone(), clock.clone());
    let efs = Efs::new(records.clone(), clock.clone(), ec2.clone());
    AwsApi::new(eks, aws_model::iam::Iam::new(records, clock.clone()), clock).with_ec2(ec2).with_efs(efs)
}

/// A signed EFS request.
fn call(method: &str, path_and_query: &str, body: &[u8]) -> Request<Bytes> {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://127.0.0.1:4566{path_and_query}"))
        .header("content-type", "application/json")
        .body(Bytes::copy_from_slice(body))
        .unwrap();
    let credentials =
        Credentials { access_key_id: "AKIDEXAMPLE".into(), secret_access_key: "secret".into(), session_token: None };
    let params = SigningParams {
        credentials: &credentials,
        region: "us-east-1",
        service: "elasticfilesystem",
        time: time::OffsetDateTime::from_unix_timestamp(NOW).unwrap(),
    };
    aws_protocol::sigv4::sign(&mut request, &params).unwrap();
    request
}

async fn answer(api: &AwsApi, request: Request<Bytes>) -> (u16, Option<String>, Value) {
    let response = api.handle(request).await;
    let kind = response.headers().get("x-amzn-errortype").map(|v| v.to_str().unwrap().to_owned());
    let body = response.body();
    let value = if body.is_empty() { Value::Null } else { serde_json::from_slice(body).unwrap() };
    (response.status().as_u16(), kind, value)
}

#[tokio::test]
async fn a_file_system_is_created_described_and_deleted_with_efs_statuses() {
    let api = api();
    let (status, _, made) = answer(
        &api,
        call("POST", "/2015-02-01/file-systems", br#"{"CreationToken":"t","Tags":[{"Key":"Name","Value":"data"}]}"#),
    )
    .await;
    assert_eq!((status, made["LifeCycleState"].as_str(), made["Name"].as_str()), (201, Some("creating"), Some("data")));
    let id = made["FileSystemId"].as_str().unwrap().to_owned();
    assert_eq!(made["SizeInBytes"]["Value"], 6144);
    let (status, kind, again) =
        answer(&api, call("POST", "/2015-02-01/file-systems", br#"{"CreationToken":"t"}"#)).await;
    assert_eq!((status, kind.as_deref()), (409, Some("FileSystemAlreadyExists")));
    assert_eq!(
        (again["FileSystemId"].as_str(), again["ErrorCode"].as_str()),
        (Some(id.as_str()), Some("FileSystemAlreadyExists"))
    );

    let (status, _, listed) =
        answer(&api, call("GET", &format!("/2015-02-01/file-systems?FileSystemId={id}"), b"")).await;
    assert_eq!((status, listed["FileSystems"][0]["LifeCycleState"].as_str()), (200, Some("available")));
    let (status, _, _) = answer(&api, call("DELETE", &format!("/2015-02-01/file-systems/{id}"), b"")).await;
    assert_eq!(status, 204);
    let (status, kind, body) = answer(&api, call("DELETE", &format!("/2015-02-01/file-systems/{id}"), b"")).await;
    assert_eq!((status, kind.as_deref()), (404, Some("FileSystemNotFound")));
    assert_eq!(body["message"].as_str(), Some(format!("File system '{id}' does not exist.").as_str()));
}

#[tokio::test]
async fn garbage_is_a_bad_request_never_a_server_error() {
    let api = api();
    let cases: [(&str, &str, &[u8]); 8] = [
        ("POST", "/2015-02-01/file-systems", b"{not json"),
        ("POST", "/2015-02-01/file-systems", b"[]"),
        ("POST", "/2015-02-01/file-systems", br#"{"CreationToken":7}"#),
        ("POST", "/2015-02-01/file-systems", b"{\"CreationToken\":\"a\\u0000b\"}"),
        ("POST", "/2015-02-01/file-systems", br#"{"CreationToken":"t","Tags":"x"}"#),
        ("GET", "/2015-02-01/file-systems?MaxItems=many", b""),
        ("DELETE", "/2015-02-01/file-systems/fs-%00", b""),
        ("GET", "/2015-02-01/mount-targets", b""),
    ];
    for (method, path, body) in cases {
        let (status, kind, reply) = answer(&api, call(method, path, body)).await;
        assert_eq!((status, kind.as_deref()), (400, Some("BadRequest")), "{method} {path}: {reply}");
        assert_eq!(reply["ErrorCode"].as_str(), Some("BadRequest"));
    }
    let token = format!(r#"{{"CreationToken":"{}"}}"#, "x".repeat(100_000));
    let (status, _, _) = answer(&api, call("POST", "/2015-02-01/file-systems", token.as_bytes())).await;
    assert_eq!(status, 400);
    let (_, _, listed) = answer(&api, call("GET", "/2015-02-01/file-systems", b"")).await;
    assert_eq!(listed["FileSystems"], serde_json::json!([]), "nothing was stored");
}

#[test]
fn model_errors_keep_efs_codes_and_statuses() {
    let check = |model: EfsError, expect: (&str, u16)| {
        let wire = error(model);
        assert_eq!((wire.code.as_str(), wire.status.as_u16()), expect);
        assert_eq!(wire.extra.get("ErrorCode").and_then(Value::as_str), Some(expect.0));
    };
    check(EfsError::FileSystemNotFound("x".into()), ("FileSystemNotFound", 404));
    check(EfsError::FileSystemInUse("x".into()), ("FileSystemInUse", 409));
    check(EfsError::IncorrectFileSystemLifeCycleState("x".into()), ("IncorrectFileSystemLifeCycleState", 409));
    check(EfsError::MountTargetConflict("x".into()), ("MountTargetConflict", 409));
    check(EfsError::AccessPointNotFound("x".into()), ("AccessPointNotFound", 404));
    check(EfsError::AccessPointLimitExceeded("x".into()), ("AccessPointLimitExceeded", 403));
    check(EfsError::SecurityGroupLimitExceeded("x".into()), ("SecurityGroupLimitExceeded", 400));
    check(EfsError::PolicyNotFound("x".into()), ("PolicyNotFound", 404));
    check(EfsError::InvalidPolicy("x".into()), ("InvalidPolicyException", 400));
    let exists = error(EfsError::AccessPointAlreadyExists { message: "m".into(), access_point_id: "fsap-1".into() });
    assert_eq!(
        (exists.status.as_u16(), exists.extra.get("AccessPointId").and_then(Value::as_str)),
        (409, Some("fsap-1"))
    );
}

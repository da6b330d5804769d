use std::sync::Arc;

use aws_model::clock::ManualClock;
use aws_model::records::Records;
use aws_model::ssm::Ssm;
use bytes::Bytes;
use http::Request;
use serde_json::{Value, json};
use store::MemoryStore;

use crate::AwsApi;

fn api() -> AwsApi {
    let clock = Arc::new(ManualClock::new(1_800_000_000.0));
    let ssm = Ssm::new(Records::new(Arc::new(MemoryStore::new())), clock, vec!["1.33".into(), "1.34".into()]);
    crate::ec2::tests::api().with_ssm(ssm)
}

/// Sends an SSM call with a raw body; the signature is well formed but not checked. Answers the status and the
/// parsed reply.
async fn send_raw(api: &AwsApi, operation: &str, body: &[u8]) -> (u16, Value) {
    let request = Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("AmazonSSM.{operation}"))
        .header("x-amz-date", "20270115T080000Z")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20270115/eu-west-1/ssm/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000",
        )
        .body(Bytes::copy_from_slice(body))
        .unwrap();
    let response = api.handle(request).await;
    let status = response.status().as_u16();
    let body = response.into_body();
    (status, serde_json::from_slice(&body).unwrap_or_else(|_| json!({ "raw": String::from_utf8_lossy(&body) })))
}

async fn send(api: &AwsApi, operation: &str, body: Value) -> (u16, Value) {
    send_raw(api, operation, body.to_string().as_bytes()).await
}

/// The status and `__type` (`ok` on success) of one call on a fresh endpoint.
async fn check(operation: &str, body: Value, expect: (u16, &str)) {
    let (status, reply) = send(&api(), operation, body.clone()).await;
    let code = if status == 200 { "ok" } else { reply["__type"].as_str().unwrap_or("no code") };
    assert_eq!((status, code), expect, "{operation} {body}: {reply}");
}

#[tokio::test]
async fn parameters_round_trip_on_the_wire() {
    let api = api();
    let (status, reply) = send(
        &api,
        "PutParameter",
        json!({"Name": "/app/url", "Value": "one", "Type": "String", "Tags": [{"Key": "team", "Value": "web"}]}),
    )
    .await;
    assert_eq!((status, reply), (200, json!({"Version": 1, "Tier": "Standard"})));
    let (_, reply) = send(&api, "PutParameter", json!({"Name": "/app/url", "Value": "two", "Overwrite": true})).await;
    assert_eq!(reply["Version"], 2);
    let (_, reply) = send(&api, "GetParameter", json!({"Name": "/app/url:1"})).await;
    let parameter = &reply["Parameter"];
    assert_eq!((parameter["Name"].as_str(), parameter["Value"].as_str()), (Some("/app/url"), Some("one")));
    assert_eq!(parameter["Selector"], ":1");
    assert_eq!(parameter["ARN"], "arn:aws:ssm:eu-west-1:000000000000:parameter/app/url");
    assert_eq!((parameter["Type"].as_str(), parameter["DataType"].as_str()), (Some("String"), Some("text")));
    assert!(parameter["LastModifiedDate"].is_number());
    let (_, reply) = send(&api, "GetParameters", json!({"Names": ["/app/url", "/app/none"]})).await;
    assert_eq!(reply["InvalidParameters"], json!(["/app/none"]));
    assert_eq!(reply["Parameters"][0]["Value"], "two");
    let (_, reply) = send(&api, "GetParametersByPath", json!({"Path": "/app"})).await;
    assert_eq!(reply["Parameters"].as_array().unwrap().len(), 1);
    assert!(reply.get("NextToken").is_none());
    let (_, reply) = send(&api, "DescribeParameters", json!({})).await;
    assert_eq!(reply["Parameters"][0]["Tier"], "Standard");
    assert!(reply["Parameters"][0].get("Value").is_none());
    let (_, reply) = send(&api, "GetParameterHistory", json!({"Name": "/app/url"})).await;
    assert_eq!(reply["Parameters"].as_array().unwrap().len(), 2);
    let (_, reply) = send(&api, "LabelParameterVersion", json!({"Name": "/app/url", "Labels": ["prod"]})).await;
    assert_eq!(reply, json!({"InvalidLabels": [], "ParameterVersion": 2}));
    let tagging = json!({"ResourceType": "Parameter", "ResourceId": "/app/url"});
    let (_, reply) = send(&api, "ListTagsForResource", tagging.clone()).await;
    assert_eq!(reply, json!({"TagList": [{"Key": "team", "Value": "web"}]}));
    let (status, _) = send(
        &api,
        "RemoveTagsFromResource",
        json!({"ResourceType": "Parameter", "ResourceId": "/app/url", "TagKeys": ["team"]}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, reply) = send(&api, "ListTagsForResource", tagging).await;
    assert_eq!(reply, json!({"TagList": []}));
    let (_, reply) = send(&api, "DeleteParameters", json!({"Names": ["/app/url", "/app/none"]})).await;
    assert_eq!(reply, json!({"DeletedParameters": ["/app/url"], "InvalidParameters": ["/app/none"]}));
    let (status, reply) = send(&api, "DeleteParameter", json!({"Name": "/app/url"})).await;
    assert_eq!((status, reply["__type"].as_str()), (400, Some("ParameterNotFound")));
}

#[tokio::test]
async fn public_parameters_name_images_describe_images_knows() {
    let api = api();
    let name = "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/image_id";
    let (status, reply) = send(&api, "GetParameter", json!({"Name": name})).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["Parameter"]["ARN"], format!("arn:aws:ssm:eu-west-1::parameter{name}"));
    let id = reply["Parameter"]["Value"].as_str().unwrap().to_owned();
    let (status, xml) = crate::ec2::tests::send(&api, &format!("Action=DescribeImages&ImageId.1={id}")).await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains("<name>amazon-eks-node-al2023-x86_64-standard-1.34-v20251016</name>"), "{xml}");
    let (status, reply) =
        send(&api, "PutParameter", json!({"Name": name, "Value": "ami-12345678", "Type": "String", "Overwrite": true}))
            .await;
    assert_eq!((status, reply["__type"].as_str()), (400, Some("AccessDeniedException")));
}

#[tokio::test]
async fn garbage_gets_ssm_errors_never_a_500() {
    let long_name = format!("/{}", "n".repeat(2048));
    let deep = "/l".repeat(16);
    let cases = [
        (
            "PutParameter",
            json!({"Name": "/v", "Value": "x".repeat(5 * 1024), "Type": "String"}),
            (400, "ValidationException"),
        ),
        ("PutParameter", json!({"Name": long_name, "Value": "x", "Type": "String"}), (400, "ValidationException")),
        ("PutParameter", json!({"Name": "/nul\u{0}", "Value": "x", "Type": "String"}), (400, "ValidationException")),
        (
            "PutParameter",
            json!({"Name": deep, "Value": "x", "Type": "String"}),
            (400, "HierarchyLevelLimitExceededException"),
        ),
        ("PutParameter", json!({"Name": "/v", "Value": "x", "Type": "Number"}), (400, "ValidationException")),
        ("PutParameter", json!({"Name": "/v", "Value": "x"}), (400, "ValidationException")),
        ("PutParameter", json!({"Value": "x", "Type": "String"}), (400, "ValidationException")),
        ("PutParameter", json!({"Name": 7, "Value": "x", "Type": "String"}), (400, "SerializationException")),
        (
            "PutParameter",
            json!({"Name": "/v", "Value": "x", "Type": "String", "Overwrite": "yes"}),
            (400, "SerializationException"),
        ),
        (
            "PutParameter",
            json!({"Name": "/v", "Value": "x", "Type": "SecureString", "KeyId": "bad key"}),
            (400, "InvalidKeyId"),
        ),
        (
            "PutParameter",
            json!({"Name": "/v", "Value": "x", "Type": "String", "Tags": "x"}),
            (400, "SerializationException"),
        ),
        ("GetParameter", json!({"Name": "/none"}), (400, "ParameterNotFound")),
        ("GetParameter", json!({"Name": ""}), (400, "ValidationException")),
        ("GetParameters", json!({"Names": []}), (400, "ValidationException")),
        ("GetParametersByPath", json!({"Path": "/", "MaxResults": 11}), (400, "ValidationException")),
        ("GetParametersByPath", json!({"Path": "/", "NextToken": "garbage!"}), (400, "InvalidNextToken")),
        (
            "GetParametersByPath",
            json!({"Path": "/", "ParameterFilters": [{"Key": "Name", "Values": ["x"]}]}),
            (400, "InvalidFilterKey"),
        ),
        ("DescribeParameters", json!({"MaxResults": 51}), (400, "ValidationException")),
        ("GetParameterHistory", json!({"Name": "/none"}), (400, "ParameterNotFound")),
        (
            "ListTagsForResource",
            json!({"ResourceType": "Parameter", "ResourceId": "/none"}),
            (400, "InvalidResourceId"),
        ),
        ("ListTagsForResource", json!({"ResourceType": "Bucket", "ResourceId": "/none"}), (400, "ValidationException")),
        ("LabelParameterVersion", json!({"Name": "/none", "Labels": ["a"]}), (400, "ParameterNotFound")),
        ("DescribeParameters", json!({}), (200, "ok")),
    ];
    for (operation, body, expect) in cases {
        check(operation, body, expect).await;
    }
    for body in [&b"{"[..], b"[1, 2]", b"\"text\"", b"\xff\xfe"] {
        let (status, reply) = send_raw(&api(), "PutParameter", body).await;
        assert_eq!((status, reply["__type"].as_str()), (400, Some("SerializationException")), "{body:?}");
    }
    let (status, reply) = send(&api(), "CreateDocument", json!({})).await;
    assert_eq!((status, reply["__type"].as_str()), (400, Some("UnknownOperationException")));
}

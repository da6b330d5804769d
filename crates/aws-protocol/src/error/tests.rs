use std::path::Path;

use serde_json::json;

use super::*;

fn request_id() -> RequestId {
    RequestId::from_random_bytes(*b"ekslite-fixture!")
}

/// Renders `error` and compares the reply with `test_data/rendered/<name>.json`, which
/// `test_data/check_rendered_errors.py` feeds to botocore's own parsers. `UPDATE_EXPECT=1` rewrites the file.
fn check(name: &str, service: &str, protocol: Protocol, namespace: &str, error: AwsError) {
    let reply = error.to_response(protocol, namespace, &request_id());
    let headers: Map<String, Value> = reply
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), Value::String(value.to_str().expect("ascii").to_owned())))
        .collect();
    let rendered = json!({
        "service": service,
        "protocol": protocol.model_name(),
        "status": reply.status().as_u16(),
        "headers": headers,
        "body": String::from_utf8(reply.body().clone()).expect("utf-8 body"),
        "expect": {"code": error.code, "message": error.message, "request_id": request_id().as_str()},
    });
    let text = serde_json::to_string_pretty(&rendered).expect("json") + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/rendered").join(format!("{name}.json"));
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &text).expect("write rendered fixture");
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(stored, text, "{name}: rendering changed; rerun with UPDATE_EXPECT=1 and the botocore check");
}

#[test]
fn errors_render_in_every_protocol() {
    let not_found =
        AwsError::new("ResourceNotFoundException", "No cluster found for name: demo.", StatusCode::NOT_FOUND)
            .with_extra("clusterName", "demo")
            .with_extra("nodegroupName", Value::Null);
    check("rest_json_eks_not_found", "eks", Protocol::RestJson, "", not_found);
    let in_use =
        AwsError::new("ResourceInUseException", "Cluster already exists with name: demo", StatusCode::CONFLICT);
    check("rest_json_eks_in_use", "eks", Protocol::RestJson, "", in_use);
    let log_group = AwsError::bad_request("ResourceNotFoundException", "The specified log group does not exist.");
    check("json_logs_not_found", "logs", Protocol::Json, "", log_group);
    let iam_ns = "https://iam.amazonaws.com/doc/2010-05-08/";
    let no_role = AwsError::new("NoSuchEntity", "The role with name x cannot be found.", StatusCode::NOT_FOUND);
    check("query_iam_no_such_entity", "iam", Protocol::Query, iam_ns, no_role);
    let failure = AwsError::new("ServiceFailure", "internal <error> & \"more\"", StatusCode::INTERNAL_SERVER_ERROR);
    check("query_iam_receiver", "iam", Protocol::Query, iam_ns, failure);
    let sts_ns = "https://sts.amazonaws.com/doc/2011-06-15/";
    let expired = crate::AuthError::RequestExpired("x".into()).to_aws_error(Protocol::Query);
    check("query_sts_access_denied", "sts", Protocol::Query, sts_ns, expired);
    let vpc = AwsError::bad_request("InvalidVpcID.NotFound", "The vpc ID 'vpc-1' does not exist");
    check("ec2_vpc_not_found", "ec2", Protocol::Ec2, "", vpc);
    let control = AwsError::bad_request("ValidationError", "bad\u{1}value <x>\r\n");
    check(
        "query_control_characters",
        "autoscaling",
        Protocol::Query,
        "http://autoscaling.amazonaws.com/doc/2011-01-01/",
        control,
    );
    let signature = crate::AuthError::SignatureMismatch.to_aws_error(Protocol::RestJson);
    check("rest_json_invalid_signature", "eks", Protocol::RestJson, "", signature);
    let not_served = AwsError::new("NotImplemented", "s3 is not served here (GET /)", StatusCode::NOT_IMPLEMENTED);
    check("rest_xml_s3_not_implemented", "s3", Protocol::RestXml, "", not_served);
    let no_namespace = AwsError::bad_request("InvalidAction", "ListStacks is not served here");
    check("query_without_namespace", "cloudformation", Protocol::Query, "", no_namespace);
}

#[test]
fn rest_xml_errors_carry_the_s3_request_id_header() {
    let reply = AwsError::bad_request("InvalidArgument", "no").to_response(Protocol::RestXml, "", &request_id());
    assert_eq!(reply.headers()["x-amz-request-id"], request_id().as_str());
    assert_eq!(reply.headers()["x-amzn-requestid"], request_id().as_str());
    let body = String::from_utf8(reply.into_body()).expect("utf-8");
    assert!(body.contains("\n<Error><Code>InvalidArgument</Code><Message>no</Message><RequestId>"), "{body}");
}

#[test]
fn query_errors_leave_out_an_empty_namespace() {
    let reply = AwsError::bad_request("A", "b").to_response(Protocol::Query, "", &request_id());
    assert!(reply.body().starts_with(b"<ErrorResponse><Error>"), "{:?}", String::from_utf8_lossy(reply.body()));
}

#[test]
fn rest_json_errors_name_their_type_in_a_header() {
    let error = AwsError::new("AccessDeniedException", "no", StatusCode::FORBIDDEN).with_extra("reason", 1);
    let reply = error.to_response(Protocol::RestJson, "", &request_id());
    assert_eq!(reply.headers()["x-amzn-errortype"], "AccessDeniedException");
    assert_eq!(reply.headers()["x-amzn-requestid"], request_id().as_str());
    assert_eq!(serde_json::from_slice::<Value>(reply.body()).expect("json"), json!({"message": "no", "reason": 1}));
    let reply = error.to_response(Protocol::Json, "", &request_id());
    assert!(!reply.headers().contains_key("x-amzn-errortype"));
    let body: Value = serde_json::from_slice(reply.body()).expect("json");
    assert_eq!(body["__type"], "AccessDeniedException");
}

#[test]
fn faults_follow_the_status() {
    assert!(AwsError::bad_request("A", "b").sender_fault);
    assert!(!AwsError::new("A", "b", StatusCode::SERVICE_UNAVAILABLE).sender_fault);
    assert_eq!(AwsError::bad_request("Code", "message").to_string(), "Code: message");
}

#[test]
fn request_ids_are_random_uuid_v4() {
    let (first, second) = (RequestId::new(), RequestId::new());
    assert_ne!(first, second);
    let id = first.as_str();
    assert_eq!(id.len(), 36);
    assert_eq!(&id[14..15], "4");
    assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
    assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
}

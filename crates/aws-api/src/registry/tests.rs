use std::collections::HashSet;

use aws_protocol::{Credentials, SigningParams};
use serde_json::{Value, json};

use super::*;

const NOW: i64 = 1_800_000_000;

/// A `json` service, which the endpoint does not serve yet: one signed and one unsigned operation.
const FAKE: Service = Service {
    signing_name: "fake",
    model: "fake",
    title: "Fake",
    wire: Wire::Json { target_prefix: "Fake_20240101" },
    operations: &[operation!("Echo", echo), operation!("Anonymous", echo).unsigned()],
};

async fn echo(_: &AwsApi, call: &Call<'_>) -> Outcome {
    call.json(&json!({ "operation": call.operation.name, "account": call.account() }))
}

const WITH_FAKE: &[&Service] = &[&FAKE, &crate::iam::SERVICE, &crate::eks::SERVICE];

use crate::ec2::tests::api;

/// A request as a client of `service` sends it, signed with a key the endpoint does not know (the open mode).
fn signed(service: &str, method: &str, uri: &str, headers: &[(&str, &str)], body: &str) -> Request<Bytes> {
    let mut request = Request::builder().method(method).uri(format!("http://127.0.0.1:4566{uri}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(Bytes::from(body.to_owned())).expect("request");
    let credentials = Credentials::new("AKIDEXAMPLE", "secret");
    let params = SigningParams {
        credentials: &credentials,
        region: "us-east-1",
        service,
        time: time::OffsetDateTime::from_unix_timestamp(NOW).expect("time"),
    };
    aws_protocol::sigv4::sign(&mut request, &params).expect("signs");
    request
}

fn form(service: &str, body: &str) -> Request<Bytes> {
    signed(service, "POST", "/", &[("content-type", "application/x-www-form-urlencoded; charset=utf-8")], body)
}

fn target(service: &str, target: &str) -> Request<Bytes> {
    signed(service, "POST", "/", &[("content-type", "application/x-amz-json-1.1"), ("x-amz-target", target)], "{}")
}

/// An error reply read back as its client's parser reads it: status, code, message, and the request id, which
/// must be the same in the body (XML protocols) and in the header.
#[derive(Debug)]
struct Parsed {
    status: u16,
    code: String,
    message: String,
}

fn parse(protocol: Protocol, response: &Response<Vec<u8>>) -> Parsed {
    let header_id = response.headers()["x-amzn-requestid"].to_str().expect("ascii").to_owned();
    let body = std::str::from_utf8(response.body()).expect("utf-8");
    let (code, message) = match protocol {
        Protocol::Json | Protocol::RestJson => {
            let value: Value = serde_json::from_str(body).expect("a JSON body");
            let code = match protocol {
                Protocol::Json => value["__type"].as_str().expect("__type").to_owned(),
                _ => response.headers()["x-amzn-errortype"].to_str().expect("ascii").to_owned(),
            };
            (code, value["message"].as_str().expect("message").to_owned())
        }
        Protocol::Query | Protocol::Ec2 | Protocol::RestXml => {
            let document = roxmltree::Document::parse(body).expect("an XML body");
            let root = document.root_element();
            let (root_name, id_name, error) = match protocol {
                Protocol::Query => ("ErrorResponse", "RequestId", root.children().find(|n| n.has_tag_name("Error"))),
                Protocol::Ec2 => (
                    "Response",
                    "RequestID",
                    root.children()
                        .find(|n| n.has_tag_name("Errors"))
                        .and_then(|errors| errors.children().find(|n| n.has_tag_name("Error"))),
                ),
                _ => ("Error", "RequestId", Some(root)),
            };
            assert_eq!(root.tag_name().name(), root_name, "{body}");
            let text = |node: roxmltree::Node<'_, '_>, name: &str| {
                node.children().find(|n| n.has_tag_name(name)).and_then(|n| n.text()).unwrap_or_default().to_owned()
            };
            assert_eq!(text(root, id_name), header_id, "{body}");
            let error = error.expect("an Error element");
            (text(error, "Code"), text(error, "Message"))
        }
    };
    Parsed { status: response.status().as_u16(), code, message }
}

/// Sends `request` and checks the error it gets in `protocol`: status and code, and words of its message.
async fn check(api: &AwsApi, request: Request<Bytes>, protocol: Protocol, expect: (u16, &str), words: &[&str]) {
    let what = format!("{} {}", request.method(), request.uri());
    let response = api.handle(request).await;
    let parsed = parse(protocol, &response);
    assert_eq!((parsed.status, parsed.code.as_str()), expect, "{what}: {parsed:?}");
    for word in words {
        assert!(parsed.message.contains(word), "{what}: {word:?} not in {parsed:?}");
    }
}

#[tokio::test]
async fn unknown_operations_are_refused_in_their_services_protocol() {
    let api = api();
    let iam = form("iam", "Action=CreateSAMLProvider&Version=2010-05-08");
    check(&api, iam, Protocol::Query, (400, "InvalidAction"), &["IAM", "CreateSAMLProvider"]).await;
    let sts = form("sts", "Action=GetAccessKeyInfo&Version=2011-06-15");
    check(&api, sts, Protocol::Query, (400, "InvalidAction"), &["STS", "GetAccessKeyInfo"]).await;
    let autoscaling = form("autoscaling", "Action=DescribeLaunchConfigurations&Version=2011-01-01");
    check(&api, autoscaling, Protocol::Query, (400, "InvalidAction"), &["Auto Scaling"]).await;
    let ec2 = form("ec2", "Action=DescribeVpnGateways&Version=2016-11-15");
    check(&api, ec2, Protocol::Ec2, (400, "InvalidAction"), &["EC2", "DescribeVpnGateways"]).await;
    let eks = signed("eks", "GET", "/clusters/demo/insights", &[], "");
    check(&api, eks, Protocol::RestJson, (404, "UnknownOperationException"), &["EKS", "GET /clusters/demo/insights"])
        .await;
    let wrong_method = signed("eks", "PATCH", "/clusters", &[], "");
    check(&api, wrong_method, Protocol::RestJson, (404, "UnknownOperationException"), &["PATCH /clusters"]).await;
    let no_action = form("iam", "Version=2010-05-08");
    check(&api, no_action, Protocol::Query, (400, "MissingAction"), &["Action"]).await;

    let api = api.with_services(WITH_FAKE);
    let fake = target("fake", "Fake_20240101.Nothing");
    check(&api, fake, Protocol::Json, (400, "UnknownOperationException"), &["Fake", "Nothing"]).await;
    let wrong_prefix = target("fake", "Other_1.Echo");
    check(&api, wrong_prefix, Protocol::Json, (400, "UnknownOperationException"), &["Other_1.Echo"]).await;
}

#[tokio::test]
async fn services_not_served_are_refused_in_their_clients_protocol() {
    let api = api();
    let served = "eks, iam, sts, ec2, autoscaling";
    let s3 = signed("s3", "GET", "/", &[("x-amz-content-sha256", "UNSIGNED-PAYLOAD")], "");
    check(&api, s3, Protocol::RestXml, (501, "NotImplemented"), &["'s3'", "GET /", served]).await;
    let logs = target("logs", "Logs_20140328.DescribeLogGroups");
    check(&api, logs, Protocol::Json, (400, "UnknownOperationException"), &["'logs'", "DescribeLogGroups"]).await;
    let kms = target("kms", "TrentService.ListKeys");
    check(&api, kms, Protocol::Json, (400, "UnknownOperationException"), &["'kms'", "ListKeys"]).await;
    let stacks = form("cloudformation", "Action=ListStacks&Version=2010-05-15");
    check(&api, stacks, Protocol::Query, (400, "InvalidAction"), &["'cloudformation'", "ListStacks"]).await;
    let cache = form("elasticache", "Action=DescribeCacheClusters&Version=2015-02-02");
    check(&api, cache, Protocol::Query, (400, "InvalidAction"), &["'elasticache'", "DescribeCacheClusters"]).await;
    let lambda = signed("lambda", "GET", "/2015-03-31/functions/", &[], "");
    let words = ["'lambda'", "GET /2015-03-31/functions/"];
    check(&api, lambda, Protocol::RestJson, (404, "UnknownOperationException"), &words).await;
    // Unsigned, a request names its service only by its API version or target prefix.
    let unsigned = Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from_static(b"Action=ListStacks&Version=2010-05-15"))
        .expect("request");
    check(&api, unsigned, Protocol::Query, (400, "InvalidAction"), &["API version 2010-05-15", "ListStacks"]).await;
}

#[tokio::test]
async fn json_services_dispatch_by_target_and_only_unsigned_operations_skip_the_signature() {
    let api = api().with_services(WITH_FAKE);
    let response = api.handle(target("fake", "Fake_20240101.Echo")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-amz-json-1.1");
    let body: Value = serde_json::from_slice(response.body()).expect("json");
    assert_eq!(body, json!({ "operation": "Echo", "account": "000000000000" }));

    let unsigned = |operation: &str| {
        Request::post("/")
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("Fake_20240101.{operation}"))
            .body(Bytes::from_static(b"{}"))
            .expect("request")
    };
    let response = api.handle(unsigned("Anonymous")).await;
    assert_eq!(response.status(), 200, "{:?}", String::from_utf8_lossy(response.body()));
    let body: Value = serde_json::from_slice(response.body()).expect("json");
    assert_eq!(body, json!({ "operation": "Anonymous", "account": "" }));
    let words = ["Missing Authentication Token"];
    check(&api, unsigned("Echo"), Protocol::Json, (403, "MissingAuthenticationTokenException"), &words).await;
}

fn check_template(template: &'static str, path: &str, expect: Option<&[(&str, &str)]>) {
    let segments: Vec<String> = path.trim_start_matches('/').split('/').map(str::to_owned).collect();
    let got = match_template(template, &segments);
    let expect = expect.map(|pairs| pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect::<Vec<_>>());
    assert_eq!(got, expect, "{template} {path}");
}

#[test]
fn path_templates_take_one_segment_per_label() {
    check_template("/clusters", "/clusters", Some(&[]));
    check_template("/clusters/{name}", "/clusters/demo", Some(&[("name", "demo")]));
    check_template("/clusters/{name}", "/clusters/", Some(&[("name", "")]));
    let template = "/clusters/{name}/node-groups/{nodegroupName}";
    check_template(template, "/clusters/a/node-groups/b", Some(&[("name", "a"), ("nodegroupName", "b")]));
    check_template(template, "/clusters/a/fargate-profiles/b", None);
    check_template(template, "/clusters/a/node-groups", None);
    check_template(template, "/clusters/a/node-groups/b/update-config", None);
    check_template("/clusters", "/", None);
}

#[test]
fn every_table_is_well_formed() {
    let mut signing_names = HashSet::new();
    let mut versions = HashSet::new();
    for service in crate::SERVICES.iter().chain([&&FAKE]) {
        // A signing name is shared only by query services, which their versions tell apart.
        let shared = !signing_names.insert(service.signing_name);
        assert!(!shared || matches!(service.wire, Wire::Query { .. }), "{} twice", service.signing_name);
        match service.wire {
            Wire::Query { version, .. } | Wire::Ec2 { version } => {
                assert!(versions.insert(version), "{version} names two services");
            }
            Wire::Json { target_prefix } => assert!(versions.insert(target_prefix)),
            Wire::RestJson => {}
        }
        let mut names = HashSet::new();
        for operation in service.operations {
            assert!(names.insert(operation.name), "{}: {} twice", service.signing_name, operation.name);
            let rest = matches!(service.wire, Wire::RestJson);
            assert_eq!(operation.http.is_some(), rest, "{}: {}", service.signing_name, operation.name);
        }
        // Two operations of one method never match the same path: somewhere both templates have different
        // literal segments.
        for (index, first) in service.operations.iter().enumerate() {
            for second in &service.operations[index + 1..] {
                let (Some((first_method, first_path)), Some((second_method, second_path))) =
                    (&first.http, &second.http)
                else {
                    continue;
                };
                let (a, b): (Vec<&str>, Vec<&str>) =
                    (first_path.split('/').collect(), second_path.split('/').collect());
                let literal = |part: &str| !part.starts_with('{');
                let distinct = a.len() != b.len()
                    || a.iter().zip(&b).any(|(x, y)| literal(x) && literal(y) && x != y)
                    || first_method != second_method;
                assert!(distinct, "{first_method} {first_path} and {second_path} overlap");
            }
        }
    }
}

#[test]
fn unsigned_requests_find_their_service_by_version_or_target_prefix() {
    let route = |target: Option<&str>, version: Option<&str>| Route {
        signing_name: None,
        target: target.map(|prefix| aws_protocol::route::Target { prefix: prefix.into(), operation: "Op".into() }),
        action: Some("Op".into()),
        version: version.map(str::to_owned),
        region: "us-east-1".into(),
    };
    let name = |route: Route| find_service(WITH_FAKE, &route).map(|service| service.signing_name);
    assert_eq!(name(route(None, Some("2010-05-08"))), Some("iam"));
    assert_eq!(name(route(Some("Fake_20240101"), None)), Some("fake"));
    assert_eq!(name(route(Some("Fake_20240101"), Some("2010-05-08"))), Some("fake"));
    assert_eq!(name(route(None, Some("2011-06-15"))), None, "STS is not in this table");
    assert_eq!(name(route(None, None)), None);
    let signed = Route { signing_name: Some("eks".into()), ..route(None, Some("2010-05-08")) };
    assert_eq!(name(signed), Some("eks"), "the credential scope decides");
}

/// Two query services of one signing name, as ELB and ELBv2 are.
const SHARED_OLD: Service = Service {
    signing_name: "shared",
    model: "shared",
    title: "Old",
    wire: Wire::Query { version: "2012-06-01", namespace: "urn:old" },
    operations: &[],
};
const SHARED_NEW: Service = Service {
    signing_name: "shared",
    model: "shared",
    title: "New",
    wire: Wire::Query { version: "2015-12-01", namespace: "urn:new" },
    operations: &[],
};
const SHARING: &[&Service] = &[&crate::iam::SERVICE, &SHARED_NEW, &SHARED_OLD];

#[test]
fn services_of_one_signing_name_are_told_apart_by_version() {
    let route = |version: Option<&str>| Route {
        signing_name: Some("shared".into()),
        target: None,
        action: Some("Op".into()),
        version: version.map(str::to_owned),
        region: "us-east-1".into(),
    };
    let title = |route: Route| find_service(SHARING, &route).map(|service| service.title);
    assert_eq!(title(route(Some("2012-06-01"))), Some("Old"));
    assert_eq!(title(route(Some("2015-12-01"))), Some("New"));
    assert_eq!(title(route(None)), Some("New"), "without a version, the first listed");
    assert_eq!(title(route(Some("1999-01-01"))), Some("New"), "an unknown version reaches the first listed");
    let unsigned = Route { signing_name: None, ..route(Some("2012-06-01")) };
    assert_eq!(title(unsigned), Some("Old"));
    let served = |version: &str| {
        let route = Route { signing_name: Some("elasticloadbalancing".into()), ..route(Some(version)) };
        find_service(crate::SERVICES, &route).map(|service| service.title)
    };
    assert_eq!(served("2015-12-01"), Some("Elastic Load Balancing v2"));
    assert_eq!(served("2012-06-01"), Some("Elastic Load Balancing (Classic)"));
}

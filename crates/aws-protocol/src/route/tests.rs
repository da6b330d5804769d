use http::HeaderValue;

use super::*;

fn route(target: Option<&str>, form: &str) -> Result<Route, RouteError> {
    let mut headers = HeaderMap::new();
    if let Some(target) = target {
        headers.insert("x-amz-target", HeaderValue::from_str(target).expect("value"));
    }
    Route::new(None, &headers, &QueryParams::parse(form.as_bytes()).expect("form"))
}

fn check(target: Option<&str>, form: &str, expect: (Option<&str>, Option<&str>, Option<&str>)) {
    let route = route(target, form).expect("routes");
    let prefix = route.target.as_ref().map(|target| target.prefix.as_str());
    assert_eq!((prefix, route.version.as_deref(), route.operation()), expect, "{target:?} {form:?}");
    assert_eq!((route.signing_name, route.region.as_str()), (None, DEFAULT_REGION));
}

#[test]
fn unsigned_requests_carry_their_target_or_action_and_version() {
    check(
        None,
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15",
        (None, Some("2011-06-15"), Some("AssumeRoleWithWebIdentity")),
    );
    check(None, "Action=X", (None, None, Some("X")));
    check(None, "", (None, None, None));
    check(Some("Logs_20140328.DescribeLogGroups"), "", (Some("Logs_20140328"), None, Some("DescribeLogGroups")));
    let cloudtrail = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails";
    let prefix = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101";
    check(Some(cloudtrail), "", (Some(prefix), None, Some("DescribeTrails")));
    check(Some("Target_1.Op"), "Action=Other&Version=1", (Some("Target_1"), Some("1"), Some("Op")));
}

#[test]
fn malformed_targets_are_refused() {
    for target in ["NoDot", ".Op", "Prefix.", ""] {
        assert_eq!(route(Some(target), ""), Err(RouteError::BadTarget(target.to_owned())), "{target:?}");
    }
    let mut headers = HeaderMap::new();
    headers.insert("x-amz-target", HeaderValue::from_bytes(b"Logs\xff.Op").expect("obs-text"));
    assert!(matches!(Target::from_headers(&headers), Err(RouteError::BadTarget(_))));
}

#[test]
fn signed_requests_route_by_credential_scope() {
    let credentials = crate::Credentials::new("AKID", "secret");
    let mut request = http::Request::post("http://127.0.0.1:4566/")
        .header("x-amz-target", "Logs_20140328.CreateLogGroup")
        .body(Vec::new())
        .expect("request");
    let params = crate::SigningParams {
        credentials: &credentials,
        region: "ap-south-1",
        service: "eks-auth",
        time: time::OffsetDateTime::UNIX_EPOCH,
    };
    crate::sigv4::sign(&mut request, &params).expect("signs");
    let signed = SignedRequest::from_request(&request).expect("parses");
    let route = Route::new(Some(&signed), request.headers(), &QueryParams::default()).expect("routes");
    assert_eq!(route.signing_name.as_deref(), Some("eks-auth"));
    assert_eq!(route.region, "ap-south-1");
    assert_eq!(route.target, Some(Target { prefix: "Logs_20140328".into(), operation: "CreateLogGroup".into() }));
}

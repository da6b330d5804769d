use std::path::{Path, PathBuf};

use http::HeaderName;
use serde_json::Value;
use time::macros::datetime;

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A request and its expectations, as `test_data/make_sigv4_fixtures.py` wrote them from botocore.
struct Fixture {
    name: String,
    request: Request<Vec<u8>>,
    json: Value,
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/sigv4")
}

fn load(name: &str) -> Fixture {
    let path = fixture_dir().join(format!("{name}.json"));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read fixture")).expect("fixture");
    let mut builder = Request::builder()
        .method(json["method"].as_str().expect("method"))
        .uri(json["target"].as_str().expect("target"));
    for header in json["headers"].as_array().expect("headers") {
        builder = builder.header(header[0].as_str().expect("name"), header[1].as_str().expect("value"));
    }
    let request = builder.body(json["body"].as_str().expect("body").as_bytes().to_vec()).expect("request");
    Fixture { name: name.to_owned(), request, json }
}

fn all_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir())
        .expect("fixture dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| path.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn signed_at(fixture: &Fixture) -> OffsetDateTime {
    parse_basic(fixture.json["signed_at"].as_str().expect("signed_at")).expect("signed_at parses")
}

/// The outcome as an AWS error code in the query protocol, so each case is one line.
fn outcome(result: Result<(), AuthError>) -> Result<(), String> {
    result.map_err(|error| error.to_aws_error(Protocol::Query).code)
}

#[test]
fn botocore_fixtures_verify_and_report_their_scope() {
    let names = all_fixtures();
    assert!(names.len() >= 13, "fixtures missing: {names:?}");
    for name in names {
        let fixture = load(&name);
        let signed = SignedRequest::from_request(&fixture.request).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(signed.verify(SECRET, signed_at(&fixture)), Ok(()), "{name}: {}", signed.canonical_request());
        let json = &fixture.json;
        assert_eq!(signed.access_key_id(), json["access_key_id"], "{name}");
        assert_eq!(signed.region(), json["region"], "{name}");
        assert_eq!(signed.service(), json["service"], "{name}");
        assert_eq!(signed.is_presigned(), json["presigned"], "{name}");
        assert_eq!(signed.security_token(), json["security_token"].as_str(), "{name}");
        let expected: Vec<&str> =
            json["signed_headers"].as_array().expect("list").iter().filter_map(Value::as_str).collect();
        assert_eq!(signed.signed_headers(), expected, "{name}");
        assert_eq!(signed.signed_at(), signed_at(&fixture), "{name}");
    }
}

/// A change to a fixture before it is parsed and verified.
enum Change {
    Nothing,
    /// Flip the last hex digit of the signature.
    Signature,
    /// Verify with another secret key.
    Secret,
    /// Append a byte to the body.
    Body,
    /// Append a character to a header's value.
    Header(&'static str),
    /// Verify this many seconds after the signing time.
    Clock(i64),
}

fn check(name: &str, change: Change, expect: Result<(), &str>) {
    let mut fixture = load(name);
    let mut secret = SECRET.to_owned();
    let mut now = signed_at(&fixture);
    match change {
        Change::Nothing => {}
        Change::Signature => {
            let uri = fixture.request.uri().to_string();
            if fixture.json["presigned"] == true {
                let flipped = flip_last(&uri);
                *fixture.request.uri_mut() = flipped.parse().expect("uri");
            } else {
                let value = fixture.request.headers()[AUTHORIZATION].to_str().expect("text").to_owned();
                fixture.request.headers_mut().insert(AUTHORIZATION, flip_last(&value).parse().expect("value"));
            }
        }
        Change::Secret => secret.push('x'),
        Change::Body => fixture.request.body_mut().push(b' '),
        Change::Header(name) => {
            let header = HeaderName::from_static(name);
            let value = fixture.request.headers().get(&header).expect("header present").to_str().expect("text");
            let changed = format!("{value}x").parse().expect("value");
            fixture.request.headers_mut().insert(header, changed);
        }
        Change::Clock(seconds) => now += Duration::seconds(seconds),
    }
    let result = SignedRequest::from_request(&fixture.request).and_then(|signed| signed.verify(&secret, now));
    assert_eq!(outcome(result), expect.map_err(str::to_owned), "{}", fixture.name);
}

fn flip_last(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let last = chars.last_mut().expect("not empty");
    *last = if *last == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

#[test]
fn tampered_fixtures_fail() {
    let mismatch = Err("SignatureDoesNotMatch");
    check("query_post_sts", Change::Nothing, Ok(()));
    check("query_post_sts", Change::Signature, mismatch);
    check("query_post_sts", Change::Secret, mismatch);
    check("query_post_sts", Change::Body, mismatch);
    check("query_post_sts", Change::Header("host"), mismatch);
    check("query_post_sts", Change::Header("content-type"), mismatch);
    check("query_post_sts", Change::Header("x-amz-date"), Err("IncompleteSignature"));
    check("query_post_sts", Change::Header("user-agent"), Ok(()));
    check("query_post_session_token", Change::Header("x-amz-security-token"), mismatch);
    check("json_post_logs", Change::Header("x-amz-target"), mismatch);
    check("json_post_logs", Change::Body, mismatch);
    check("rest_json_get_arn_path", Change::Signature, mismatch);
    check("rest_json_get_query", Change::Secret, mismatch);
    check("rest_json_post_eks", Change::Body, mismatch);
    check("ec2_post_filters", Change::Body, mismatch);
    check("path_dot_segments_spaces", Change::Header("x-amz-meta-note"), mismatch);
    check("date_header", Change::Header("date"), Err("IncompleteSignature"));
    check("date_header", Change::Secret, mismatch);
    check("unsigned_payload", Change::Body, Ok(()));
    check("unsigned_payload", Change::Header("x-amz-content-sha256"), mismatch);
    check("presigned_eks_token", Change::Signature, mismatch);
    check("presigned_eks_token", Change::Secret, mismatch);
    check("presigned_eks_token", Change::Header("x-k8s-aws-id"), mismatch);
    check("presigned_eks_token_session", Change::Header("host"), mismatch);
}

#[test]
fn signing_time_is_checked_against_the_clock() {
    check("query_post_sts", Change::Clock(15 * 60), Ok(()));
    check("query_post_sts", Change::Clock(15 * 60 + 1), Err("SignatureDoesNotMatch"));
    check("query_post_sts", Change::Clock(-15 * 60), Ok(()));
    check("query_post_sts", Change::Clock(-15 * 60 - 1), Err("SignatureDoesNotMatch"));
    check("date_header", Change::Clock(3600), Err("SignatureDoesNotMatch"));
    // The EKS token asks for 60 seconds.
    check("presigned_eks_token", Change::Clock(60), Ok(()));
    check("presigned_eks_token", Change::Clock(61), Err("AccessDenied"));
    check("presigned_eks_token", Change::Clock(-15 * 60 - 1), Err("SignatureDoesNotMatch"));
}

#[test]
fn time_errors_carry_aws_messages() {
    let fixture = load("query_post_sts");
    let signed = SignedRequest::from_request(&fixture.request).expect("parses");
    let late = signed.verify(SECRET, signed_at(&fixture) + Duration::minutes(20)).expect_err("expired");
    assert_eq!(
        late.to_aws_error(Protocol::Query).message,
        "Signature expired: 20250314T092653Z is now earlier than 20250314T093153Z (20250314T094653Z - 15 min.)"
    );
    let early = signed.verify(SECRET, signed_at(&fixture) - Duration::minutes(20)).expect_err("early");
    assert_eq!(
        early.to_aws_error(Protocol::Query).message,
        "Signature not yet current: 20250314T092653Z is still later than 20250314T092153Z (20250314T090653Z + 15 min.)"
    );
}

/// A GET request to the local endpoint at the fixtures' signing time, with this `Authorization` header.
fn with_authorization(authorization: &[u8]) -> Request<Vec<u8>> {
    let mut request = Request::get("/").header("host", "127.0.0.1:4566").body(Vec::new()).expect("request");
    request.headers_mut().insert("x-amz-date", HeaderValue::from_static("20250314T092653Z"));
    request.headers_mut().insert(AUTHORIZATION, HeaderValue::from_bytes(authorization).expect("value"));
    request
}

const CREDENTIAL: &str = "Credential=AKID/20250314/us-east-1/sts/aws4_request";

/// Parses a request and expects an error with this query-protocol code whose message contains `message`.
fn check_garbage(request: Request<Vec<u8>>, code: &str, message: &str) {
    let error = SignedRequest::from_request(&request).expect_err("garbage is refused").to_aws_error(Protocol::Query);
    assert_eq!(error.code, code, "{}", error.message);
    assert!(error.message.contains(message), "{:?} does not contain {message:?}", error.message);
}

fn authorization(text: &str) -> Request<Vec<u8>> {
    with_authorization(text.as_bytes())
}

#[test]
fn malformed_authorization_headers_are_refused() {
    let incomplete = "IncompleteSignature";
    check_garbage(authorization(""), incomplete, "Unsupported AWS 'algorithm': ''");
    check_garbage(authorization("Bearer abc"), incomplete, "Unsupported AWS 'algorithm': 'Bearer'");
    check_garbage(authorization("AWS4-HMAC-SHA512 Credential=a"), incomplete, "'AWS4-HMAC-SHA512'");
    check_garbage(authorization("AWS AKID:signature"), incomplete, "'AWS'");
    check_garbage(authorization("AWS4-HMAC-SHA256"), incomplete, "requires 'Credential' parameter");
    check_garbage(authorization("AWS4-HMAC-SHA256"), incomplete, "Authorization=AWS4-HMAC-SHA256");
    check_garbage(authorization(&format!("AWS4-HMAC-SHA256 {CREDENTIAL}")), incomplete, "requires 'Signature'");
    check_garbage(
        authorization(&format!("AWS4-HMAC-SHA256 {CREDENTIAL}, Signature=ab")),
        incomplete,
        "'SignedHeaders'",
    );
    check_garbage(authorization("AWS4-HMAC-SHA256 Credential, SignedHeaders, Signature"), incomplete, "'Credential'");
    check_garbage(authorization("AWS4-HMAC-SHA256 ,,,"), incomplete, "requires 'SignedHeaders'");
    let tail = "SignedHeaders=host;x-amz-date, Signature=00";
    let scoped = |credential: &str| authorization(&format!("AWS4-HMAC-SHA256 Credential={credential}, {tail}"));
    check_garbage(scoped("AKID/20250314/us-east-1/sts"), incomplete, "five parts");
    check_garbage(scoped("AKID/20250314/us-east-1/sts/aws4_request/x"), incomplete, "five parts");
    check_garbage(scoped(""), incomplete, "five parts");
    check_garbage(scoped("AKID/20250314/us-east-1/sts/aws5_request"), incomplete, "not 'aws5_request'");
    check_garbage(scoped("AKID/20250314//sts/aws4_request"), incomplete, "valid region, not ''");
    check_garbage(scoped("AKID/20250314/us-east-1//aws4_request"), incomplete, "correct service");
    check_garbage(scoped("/20250314/us-east-1/sts/aws4_request"), incomplete, "access key id");
    check_garbage(scoped("AKID/20250315/us-east-1/sts/aws4_request"), incomplete, "'20250315' != '20250314'");
    check_garbage(scoped("AKID/2025-03-14/us-east-1/sts/aws4_request"), incomplete, "Date in Credential scope");
    let no_host = format!("AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=x-amz-date, Signature=00");
    check_garbage(authorization(&no_host), incomplete, "'Host' or ':authority'");
    check_garbage(with_authorization(b"AWS4-HMAC-SHA256 Credential=\xff"), incomplete, "visible ASCII");
}

fn well_formed() -> String {
    format!("AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host;x-amz-date, Signature=00")
}

#[test]
fn malformed_dates_are_refused() {
    for date in ["2025-03-14T09:26:53Z", "20250314T092653", "20251314T092653Z", "20250314T256053Z", "", "x"] {
        let mut request = authorization(&well_formed());
        request.headers_mut().insert("x-amz-date", HeaderValue::from_str(date).expect("value"));
        check_garbage(request, "IncompleteSignature", "ISO-8601 'basic format'");
    }
    let mut request = authorization(&well_formed());
    request.headers_mut().insert("x-amz-date", HeaderValue::from_bytes(b"2025\xff314T092653Z").expect("value"));
    check_garbage(request, "IncompleteSignature", "ISO-8601 'basic format'");

    let mut request = authorization(&well_formed());
    request.headers_mut().remove("x-amz-date");
    check_garbage(request, "IncompleteSignature", "either a 'X-Amz-Date' or a 'Date' header");
    let mut request = authorization(&well_formed());
    request.headers_mut().remove("x-amz-date");
    request.headers_mut().insert("date", HeaderValue::from_static("yesterday"));
    check_garbage(request, "IncompleteSignature", "Date header must be an HTTP date");
}

#[test]
fn signatures_that_are_not_hex_do_not_match() {
    for signature in ["zz", "0", "", "0g", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00"] {
        let text = format!("AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host;x-amz-date, Signature={signature}");
        let request = with_authorization(text.as_bytes());
        let signed = SignedRequest::from_request(&request);
        let signed = match signed {
            Ok(signed) => signed,
            Err(error) => panic!("{signature:?} should parse, got {error}"),
        };
        assert_eq!(
            outcome(signed.verify(SECRET, datetime!(2025-03-14 09:26:53 UTC))),
            Err("SignatureDoesNotMatch".into())
        );
    }
}

#[test]
fn unsigned_requests_are_missing_authentication() {
    let request = Request::post("/?Action=AssumeRoleWithWebIdentity").body(Vec::new()).expect("request");
    assert_eq!(SignedRequest::from_request(&request).unwrap_err(), AuthError::MissingAuthentication);
    let error = AuthError::MissingAuthentication;
    assert_eq!(error.to_aws_error(Protocol::Query).message, "Request is missing Authentication Token");
    assert_eq!(error.to_aws_error(Protocol::RestJson).message, "Missing Authentication Token");
    assert_eq!(error.to_aws_error(Protocol::RestJson).status, StatusCode::FORBIDDEN);
}

fn presigned_query(query: &str) -> Request<Vec<u8>> {
    Request::get(format!("/?{query}")).header("host", "127.0.0.1:4566").body(Vec::new()).expect("request")
}

#[test]
fn malformed_presigned_queries_are_refused() {
    let base = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20250314%2Fus-east-1%2Fsts%2Faws4_request\
                &X-Amz-Date=20250314T092653Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
    let incomplete = "IncompleteSignature";
    check_garbage(presigned_query(base), incomplete, "must include 'X-Amz-Expires'. Re-examine");
    check_garbage(presigned_query("X-Amz-Signature=00"), incomplete, "must include 'X-Amz-Algorithm'");
    check_garbage(presigned_query(&format!("{base}&X-Amz-Expires=0")), incomplete, "from 1 to 604800");
    check_garbage(presigned_query(&format!("{base}&X-Amz-Expires=-5")), incomplete, "not '-5'");
    check_garbage(presigned_query(&format!("{base}&X-Amz-Expires=soon")), incomplete, "not 'soon'");
    check_garbage(presigned_query(&format!("{base}&X-Amz-Expires=604801")), incomplete, "less than a week");
    let other_algorithm = base.replace("SHA256", "SHA1");
    check_garbage(presigned_query(&format!("{other_algorithm}&X-Amz-Expires=60")), incomplete, "'AWS4-HMAC-SHA1'");
    let bad_date = base.replace("20250314T092653Z", "2025");
    check_garbage(presigned_query(&format!("{bad_date}&X-Amz-Expires=60")), incomplete, "basic format");
    let bad_escape = base.replace("AKID%2F", "AKID%2");
    check_garbage(presigned_query(&format!("{bad_escape}&X-Amz-Expires=60")), incomplete, "five parts");
    let no_host = base.replace("SignedHeaders=host", "SignedHeaders=x-k8s-aws-id");
    check_garbage(presigned_query(&format!("{no_host}&X-Amz-Expires=60")), incomplete, "'Host'");
    let week = presigned_query(&format!("{base}&X-Amz-Expires=604800"));
    assert_eq!(SignedRequest::from_request(&week).map(|signed| signed.expires()), Ok(Some(604_800)));
}

fn credentials(token: Option<&str>) -> Credentials {
    Credentials { session_token: token.map(str::to_owned), ..Credentials::new("AKIDEXAMPLE", SECRET) }
}

const NOW: OffsetDateTime = datetime!(2026-11-28 00:51:19 UTC);

fn params<'a>(credentials: &'a Credentials, service: &'a str) -> SigningParams<'a> {
    SigningParams { credentials, region: "eu-west-1", service, time: NOW }
}

/// Signs `request`, then parses and verifies it at the signing time.
fn round_trip(mut request: Request<Vec<u8>>, token: Option<&str>) -> Result<SignedRequest, AuthError> {
    let credentials = credentials(token);
    sign(&mut request, &params(&credentials, "eks")).expect("signs");
    let signed = SignedRequest::from_request(&request)?;
    signed.verify(SECRET, NOW)?;
    Ok(signed)
}

#[test]
fn signed_requests_round_trip() {
    let arn = "/tags/arn%3Aaws%3Aeks%3Aeu-west-1%3A000000000000%3Acluster%2Fa?tagKeys=a%20b&tagKeys=%C3%A9";
    let request = Request::delete(format!("http://127.0.0.1:4566{arn}")).body(Vec::new()).expect("request");
    let signed = round_trip(request, None).expect("verifies");
    assert_eq!(signed.signed_headers(), ["host", "x-amz-date"]);
    assert!(signed.canonical_request().contains("/tags/arn%253Aaws%253Aeks"), "{}", signed.canonical_request());
    assert!(signed.canonical_request().contains("tagKeys=%C3%A9&tagKeys=a%20b"), "{}", signed.canonical_request());

    let request = Request::post("http://127.0.0.1:4566/clusters")
        .header("content-type", "application/json")
        .header("x-amz-meta-a", "one   two")
        .header("x-amz-meta-a", " three ")
        .header("user-agent", "test")
        .body(b"{\"name\":\"demo\"}".to_vec())
        .expect("request");
    let signed = round_trip(request, Some("session/token+=")).expect("verifies");
    assert_eq!(signed.security_token(), Some("session/token+="));
    assert!(signed.canonical_request().contains("\nx-amz-meta-a:one two,three\n"), "{}", signed.canonical_request());
    assert!(!signed.signed_headers().contains(&"user-agent".to_owned()));

    let mut request = Request::put("http://127.0.0.1:4566/x").body(Vec::new()).expect("request");
    request.headers_mut().insert("x-raw", HeaderValue::from_bytes(b"caf\xe9").expect("obs-text"));
    round_trip(request, None).expect("non-UTF-8 header values are signed as bytes");
}

#[test]
fn a_request_without_host_header_is_verified_against_its_authority() {
    let credentials = credentials(None);
    let mut request = Request::get("http://127.0.0.1:4566/clusters").body(Vec::new()).expect("request");
    sign(&mut request, &params(&credentials, "eks")).expect("signs");
    request.headers_mut().remove(HOST);
    let signed = SignedRequest::from_request(&request).expect("parses");
    assert_eq!(signed.verify(SECRET, NOW), Ok(()));
    *request.uri_mut() = "/clusters".parse().expect("uri");
    let signed = SignedRequest::from_request(&request).expect("parses");
    assert_eq!(signed.verify(SECRET, NOW), Err(AuthError::SignatureMismatch));
}

#[test]
fn a_declared_payload_hash_must_be_the_bodys() {
    let credentials = credentials(None);
    let other = hex(digest::digest(&digest::SHA256, b"other").as_ref());
    let mut request = Request::post("http://127.0.0.1:4566/")
        .header("x-amz-content-sha256", other.as_str())
        .body(b"body".to_vec())
        .expect("request");
    sign(&mut request, &params(&credentials, "eks")).expect("signs");
    let signed = SignedRequest::from_request(&request).expect("parses");
    assert_eq!(signed.verify(SECRET, NOW), Err(AuthError::PayloadHashMismatch));
    assert_eq!(AuthError::PayloadHashMismatch.to_aws_error(Protocol::Json).status, StatusCode::BAD_REQUEST);
}

#[test]
fn presigned_requests_round_trip() {
    let credentials = credentials(Some("token"));
    let mut request = Request::get("http://127.0.0.1:4566/?Action=GetCallerIdentity&Version=2011-06-15")
        .header("x-k8s-aws-id", "demo")
        .body(Vec::new())
        .expect("request");
    presign(&mut request, &params(&credentials, "sts"), 60).expect("presigns");
    assert!(request.uri().query().expect("query").contains("X-Amz-Signature="));
    let signed = SignedRequest::from_request(&request).expect("parses");
    assert!(signed.is_presigned());
    assert_eq!(signed.signed_headers(), ["host", "x-k8s-aws-id"]);
    assert_eq!(signed.security_token(), Some("token"));
    assert_eq!(signed.verify(SECRET, NOW + Duration::seconds(60)), Ok(()));
    assert!(matches!(signed.verify(SECRET, NOW + Duration::seconds(61)), Err(AuthError::RequestExpired(_))));
    assert_eq!(signed.verify("other", NOW), Err(AuthError::SignatureMismatch));
}

#[test]
fn the_authorization_header_wins_over_query_parameters() {
    let request = presigned_query("X-Amz-Algorithm=nonsense");
    assert!(matches!(SignedRequest::from_request(&request), Err(AuthError::Incomplete(_))));
    let (mut parts, body) = request.into_parts();
    parts.headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer x"));
    let request = Request::from_parts(parts, body);
    assert_eq!(SignedRequest::from_request(&request).unwrap_err(), AuthError::UnsupportedAlgorithm("Bearer".into()));
}

#[test]
fn canonical_paths_follow_botocore() {
    let check = |path: &str, expect: &str| assert_eq!(canonical_path(path), expect, "{path}");
    check("", "/");
    check("/", "/");
    check("//", "/");
    check("/a//b/", "/a/b/");
    check("/a/./b/../c", "/a/c");
    check("/../..", "/");
    check("/a/%7E b:c~", "/a/%257E%20b%3Ac~");
    check("/tags/arn%3Aaws", "/tags/arn%253Aaws");
}

#[test]
fn auth_errors_use_each_protocols_codes() {
    let check = |error: AuthError, protocol: Protocol, code: &str, status: u16| {
        let aws = error.to_aws_error(protocol);
        assert_eq!((aws.code.as_str(), aws.status.as_u16()), (code, status), "{error:?} in {protocol:?}");
    };
    check(AuthError::SignatureMismatch, Protocol::Query, "SignatureDoesNotMatch", 403);
    check(AuthError::SignatureMismatch, Protocol::RestJson, "InvalidSignatureException", 403);
    check(AuthError::UnknownAccessKey("x".into()), Protocol::Query, "InvalidClientTokenId", 403);
    check(AuthError::UnknownAccessKey("x".into()), Protocol::Json, "UnrecognizedClientException", 403);
    check(AuthError::UnknownAccessKey("x".into()), Protocol::Ec2, "AuthFailure", 401);
    check(AuthError::Incomplete("x".into()), Protocol::Ec2, "IncompleteSignature", 400);
    check(AuthError::Incomplete("x".into()), Protocol::RestJson, "IncompleteSignatureException", 400);
    check(AuthError::MissingAuthentication, Protocol::Json, "MissingAuthenticationTokenException", 403);
    check(AuthError::RequestExpired("x".into()), Protocol::Query, "AccessDenied", 403);
    let message = AuthError::UnknownAccessKey("x".into()).to_aws_error(Protocol::Query).message;
    assert_eq!(message, "The security token included in the request is invalid.");
    let message = AuthError::SignatureMismatch.to_aws_error(Protocol::Query).message;
    assert!(message.starts_with("The request signature we calculated does not match the signature you provided."));
    assert!(message.ends_with("Consult the service documentation for details."));
}

/// A small deterministic generator, so that the garbage below is the same on every run.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Bytes drawn mostly from the characters that matter to the parsers.
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        const ALPHABET: &[u8] =
            b"AWS4-HMAC-SHA256 Credential=/,;=SignedHeaders=Signature=%2Fhost0123456789TZaz\x80\xff";
        (0..len).map(|_| ALPHABET[(self.next() % ALPHABET.len() as u64) as usize]).collect()
    }
}

#[test]
fn arbitrary_signatures_are_refused_without_panicking() {
    let mut noise = Noise(0x5eed);
    let fixture = load("query_post_sts");
    for round in 0..2000 {
        let len = (noise.next() % 120) as usize;
        let garbage = noise.bytes(len);
        let mut request = Request::get("/").header("host", "h").body(Vec::new()).expect("request");
        if round % 2 == 0 {
            let Ok(value) = HeaderValue::from_bytes(&garbage) else { continue };
            request.headers_mut().insert(AUTHORIZATION, value);
            if let Ok(date) = HeaderValue::from_bytes(&noise.bytes(16)) {
                request.headers_mut().insert("x-amz-date", date);
            }
        } else {
            let query: String =
                garbage.iter().map(|b| if b.is_ascii_graphic() { char::from(*b) } else { '%' }).collect();
            let query = format!(
                "X-Amz-Algorithm=AWS4-HMAC-SHA256&{}",
                query.replace(['#', '"', '<', '>', '`', '{', '}', '|', '\\', '^'], "")
            );
            let Ok(uri) = format!("/?{query}").parse::<Uri>() else { continue };
            *request.uri_mut() = uri;
        }
        if let Ok(signed) = SignedRequest::from_request(&request) {
            assert!(signed.verify(SECRET, signed_at(&fixture)).is_err(), "{request:?}");
        }
    }
}

#[test]
fn expired_tokens_are_named_in_each_protocols_words() {
    let check = |protocol: Protocol, code: &str, status: StatusCode| {
        let error = AuthError::ExpiredToken.to_aws_error(protocol);
        assert_eq!((error.code.as_str(), error.status), (code, status), "{protocol:?}");
    };
    check(Protocol::Query, "ExpiredToken", StatusCode::FORBIDDEN);
    check(Protocol::Json, "ExpiredTokenException", StatusCode::BAD_REQUEST);
    check(Protocol::RestJson, "ExpiredTokenException", StatusCode::FORBIDDEN);
    check(Protocol::Ec2, "RequestExpired", StatusCode::BAD_REQUEST);
}

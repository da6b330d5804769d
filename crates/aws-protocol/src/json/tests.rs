use serde_json::json;

use super::*;

fn check(body: &str, expect: Result<Value, &str>) {
    let parsed = parse_body(body.as_bytes()).map(Value::Object).map_err(|e| e.to_aws_error().code);
    assert_eq!(parsed, expect.map_err(str::to_owned), "{body:?}");
}

#[test]
fn bodies_parse_as_objects() {
    check("", Ok(json!({})));
    check(" \n", Ok(json!({})));
    check("{}", Ok(json!({})));
    check(r#"{"name":"demo","limit":5}"#, Ok(json!({"name": "demo", "limit": 5})));
    check("[1]", Err("SerializationException"));
    check("null", Err("SerializationException"));
    check("{", Err("SerializationException"));
    check("{\"a\":\"\u{7f}", Err("SerializationException"));
    assert!(matches!(parse_body(b"\xff\xfe"), Err(JsonError::Malformed(_))));
}

#[test]
fn replies_carry_content_type_and_request_id() {
    let request_id = RequestId::from_random_bytes([0; 16]);
    let reply = response(Protocol::Json, StatusCode::OK, &json!({"logGroups": []}), &request_id);
    assert_eq!(reply.headers()["content-type"], JSON_1_1);
    assert_eq!(reply.headers()["x-amzn-requestid"], "00000000-0000-4000-8000-000000000000");
    assert_eq!(reply.body(), br#"{"logGroups":[]}"#);
    let reply = response(Protocol::RestJson, StatusCode::CREATED, &json!({}), &request_id);
    assert_eq!((reply.status(), reply.headers()["content-type"].to_str().unwrap()), (StatusCode::CREATED, REST_JSON));
}

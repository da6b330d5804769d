use aws_model::eks_auth::PodIdentityCredentials;
use aws_model::sts::{Assumed, Session};
use aws_protocol::AwsError;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::{Refusal, answer, check_token, eks_auth_refusal};

const NOW: f64 = 1_800_000_000.0;
const ISSUER: &str = "https://127.0.0.1:6443/id/ABC";

/// An unsigned token with these claims: the agent reads tokens without checking their signature.
fn token(claims: Value) -> String {
    let part = |value: Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&value).unwrap());
    format!("{}.{}.{}", part(json!({ "alg": "ES256" })), part(claims), URL_SAFE_NO_PAD.encode(b"signature"))
}

fn check(token: &str, expect: Result<&str, &str>) {
    let got = check_token(token, NOW);
    match expect {
        Ok(issuer) => assert_eq!(got, Ok(issuer.to_owned()), "{token}"),
        Err(message) => {
            assert_eq!(got, Err(Refusal { status: StatusCode::BAD_REQUEST, message: message.to_owned() }), "{token}")
        }
    }
}

#[test]
fn tokens_are_read_as_the_agent_reads_them() {
    check(&token(json!({ "iss": ISSUER, "exp": NOW + 60.0 })), Ok(ISSUER));
    check(&token(json!({ "iss": ISSUER })), Ok(ISSUER));
    check(&token(json!({ "exp": NOW + 60.0 })), Ok(""));
    check("", Err("Service account token cannot be empty"));
    let segments = "Service account token cannot be parsed: token is malformed: token contains an invalid number of \
                    segments";
    check("garbage", Err(segments));
    check("a.b.c.d", Err(segments));
    let undecodable = "Service account token cannot be parsed: token is malformed: could not base64 or JSON decode \
                       the token";
    check("a.b.c", Err(undecodable));
    check(&format!("{}.e30.", URL_SAFE_NO_PAD.encode("[]")), Err(undecodable));
    check(
        &token(json!({ "iss": ISSUER, "exp": NOW })),
        Err("Service account token failed basic claim validations: token has invalid claims: token is expired"),
    );
    check(
        &token(json!({ "iss": ISSUER, "exp": NOW + 60.0, "nbf": NOW + 1.0 })),
        Err("Service account token failed basic claim validations: token has invalid claims: token is not valid yet"),
    );
}

#[test]
fn eks_auth_refusals_keep_their_status() {
    let not_found = AwsError::new("ResourceNotFoundException", "No Pod Identity Association", StatusCode::NOT_FOUND);
    assert_eq!(
        eks_auth_refusal(&not_found),
        Refusal {
            status: StatusCode::NOT_FOUND,
            message: "(ResourceNotFoundException): No Pod Identity Association, fault: client".into(),
        }
    );
    let internal = AwsError::new("InternalServerException", "boom", StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(eks_auth_refusal(&internal).message, "(InternalServerException): boom, fault: server");
    let response = eks_auth_refusal(&not_found).into_response();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
}

#[test]
fn the_answer_is_the_session_in_the_agents_shape() {
    let session = Session {
        access_key_id: "ASIAEXAMPLEEXAMPLE01".into(),
        secret_access_key: "secret".into(),
        session_token: "token".into(),
        account: "111122223333".into(),
        arn: "arn:aws:sts::111122223333:assumed-role/app/eks-demo-pod-1".into(),
        user_id: "AROAEXAMPLE:eks-demo-pod-1".into(),
        role_arn: Some("arn:aws:iam::111122223333:role/app".into()),
        created_at: NOW,
        expires_at: NOW + 21_600.0,
    };
    let credentials = PodIdentityCredentials {
        namespace: "default".into(),
        service_account: "app".into(),
        audience: "pods.eks.amazonaws.com".into(),
        association_arn: "arn".into(),
        association_id: "a-1".into(),
        assumed: Assumed {
            session,
            assumed_role_id: "AROAEXAMPLE:eks-demo-pod-1".into(),
            packed_policy_size: None,
            source_identity: None,
        },
    };
    assert_eq!(
        answer(&credentials),
        json!({
            "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
            "SecretAccessKey": "secret",
            "Token": "token",
            "AccountId": "111122223333",
            "Expiration": "2027-01-15T14:00:00Z",
        })
    );
}

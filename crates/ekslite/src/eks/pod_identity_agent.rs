//! The EKS Pod Identity Agent's credentials API, served on the server's own HTTP endpoint: `/v1/credentials`
//! with a pod's `eks-pod-identity-token` as the `Authorization` header answers the role session of the pod's
//! service account as the agent answers it (`AccessKeyId`, `SecretAccessKey`, `Token`, `AccountId`,
//! `Expiration`).
//!
//! On a node the agent listens on `169.254.170.23`, the address EKS's webhook injects
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI`); nothing here binds that address, so the same API is reached at
//! `http://127.0.0.1:<port>/v1/credentials`, which the AWS SDKs accept as a full URI because it is loopback.
//!
//! The agent reads the token without trusting it (empty, unparseable or expired: 400, plain text, its messages),
//! then calls EKS Auth's AssumeRoleForPodIdentity for its own cluster; here the cluster is the one whose issuer
//! the token names (a token no cluster of this server issued is refused as EKS Auth refuses a foreign token). EKS
//! Auth's refusals come back with their HTTP status and the agent's `(<code>): <message>, fault: <fault>` text.
//! The agent's check that it was called through its link-local address does not apply on loopback.

use std::sync::Arc;

use apiserver::ControlPlanes;
use aws_api::AwsApi;
use aws_model::clock::Clock;
use aws_model::eks_auth::PodIdentityCredentials;
use aws_model::sts::WebToken;
use aws_protocol::AwsError;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};

/// The agent's credentials path.
pub const CREDENTIALS_PATH: &str = "/v1/credentials";

/// What the route needs: the clusters (to find a token's issuer), EKS Auth and the clock tokens are read by.
#[derive(Debug, Clone)]
pub struct AgentRoutes {
    pub control_planes: Arc<ControlPlanes>,
    pub aws: Arc<AwsApi>,
    pub clock: Arc<dyn Clock>,
}

/// The credentials route. Any method, as the agent registers its handler for the path alone.
pub fn routes(state: AgentRoutes) -> axum::Router {
    axum::Router::new().route(CREDENTIALS_PATH, any(credentials)).with_state(state)
}

/// A refusal as the agent writes one: a status and a plain-text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    fn bad_request(message: String) -> Refusal {
        Refusal { status: StatusCode::BAD_REQUEST, message }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        // Go's `http.Error`: plain text, a final newline.
        let headers =
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::X_CONTENT_TYPE_OPTIONS, "nosniff")];
        (self.status, headers, format!("{}\n", self.message)).into_response()
    }
}

/// The agent's own checks of a token before it calls EKS Auth: present, a parseable JWT, and its `exp` and `nbf`
/// (no leeway) holding at `now` (Unix seconds). Hands back the token's issuer.
pub(crate) fn check_token(token: &str, now: f64) -> Result<String, Refusal> {
    if token.is_empty() {
        return Err(Refusal::bad_request("Service account token cannot be empty".into()));
    }
    let malformed =
        |why: &str| Refusal::bad_request(format!("Service account token cannot be parsed: token is malformed: {why}"));
    if token.split('.').count() != 3 {
        return Err(malformed("token contains an invalid number of segments"));
    }
    let parsed = WebToken::parse(token).map_err(|_| malformed("could not base64 or JSON decode the token"))?;
    let claim = |name: &str| parsed.claims.get(name).and_then(Value::as_f64);
    let invalid_claims = |why: &str| {
        Refusal::bad_request(format!(
            "Service account token failed basic claim validations: token has invalid claims: {why}"
        ))
    };
    if claim("exp").is_some_and(|expires| now >= expires) {
        return Err(invalid_claims("token is expired"));
    }
    if claim("nbf").is_some_and(|not_before| now < not_before) {
        return Err(invalid_claims("token is not valid yet"));
    }
    // A token without an issuer is one no cluster issued: EKS Auth refuses it.
    Ok(parsed.issuer().unwrap_or_default().to_owned())
}

/// EKS Auth's refusal as the agent passes it on: the service's status and `(<code>): <message>, fault: <fault>`.
pub(crate) fn eks_auth_refusal(error: &AwsError) -> Refusal {
    let fault = if error.status.is_server_error() { "server" } else { "client" };
    Refusal { status: error.status, message: format!("({}): {}, fault: {fault}", error.code, error.message) }
}

/// The agent's answer: the session's keys, its account and its expiry (RFC 3339).
pub(crate) fn answer(credentials: &PodIdentityCredentials) -> Value {
    let session = &credentials.assumed.session;
    let expiration = time::OffsetDateTime::from_unix_timestamp(session.expires_at as i64)
        .ok()
        .and_then(|at| at.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    json!({
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret_access_key,
        "Token": session.session_token,
        "AccountId": session.account,
        "Expiration": expiration,
    })
}

async fn credentials(State(state): State<AgentRoutes>, headers: HeaderMap) -> Response {
    // A header that is not text is no token the agent could parse.
    let token = headers.get(header::AUTHORIZATION).map(|value| value.to_str().unwrap_or("\u{0}")).unwrap_or_default();
    match credentials_for(&state, token).await {
        Ok(body) => (StatusCode::OK, axum::Json(body)).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

async fn credentials_for(state: &AgentRoutes, token: &str) -> Result<Value, Refusal> {
    let issuer = check_token(token, state.clock.now())?;
    let owner = state
        .control_planes
        .by_issuer(&issuer)
        .and_then(|record| {
            aws_model::eks::kubernetes_owner(&record.name).map(|(caller, name)| (caller, name.to_owned()))
        })
        .ok_or_else(|| {
            eks_auth_refusal(&AwsError::bad_request("InvalidTokenException", "The token was not issued by the cluster"))
        })?;
    let (caller, cluster_name) = owner;
    let credentials = state
        .aws
        .assume_role_for_pod_identity(&caller, &cluster_name, token)
        .await
        .map_err(|error| eks_auth_refusal(&error))?;
    Ok(answer(&credentials))
}

#[cfg(test)]
mod tests;

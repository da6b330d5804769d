//! STS over the `query` protocol: GetCallerIdentity (which `aws sts get-caller-identity` and every SDK's
//! credential checks call), AssumeRole, AssumeRoleWithWebIdentity (the one unsigned operation) and
//! GetSessionToken. Also the check of requests signed with the temporary credentials STS issued.

use aws_model::iam::Tag;
use aws_model::policy::Principal;
use aws_model::sts::{AssumeRole, AssumeRoleWithWebIdentity, Assumed, Session, SessionProblem, StsError};
use aws_protocol::query::Scope;
use aws_protocol::xml::{XmlWriter, query_response};
use aws_protocol::{AuthError, AwsError, QueryError, RequestId, Route, SignedRequest};
use http::{Response, StatusCode};
use time::OffsetDateTime;

use crate::{AwsApi, Call};

/// STS's XML namespace.
pub(crate) const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// A caller whose credentials the endpoint knows: an IAM user's access key or an STS session.
pub(crate) struct Authenticated {
    pub account: String,
    /// The ARN GetCallerIdentity reports.
    pub arn: String,
    /// The unique id GetCallerIdentity reports.
    pub user_id: String,
    pub principal: Principal,
}

/// The caller a signed request stands for, after checking its key, session token and signature; `None` for
/// keys neither IAM nor STS issued, which the open mode accepts unchecked.
pub(crate) async fn authenticate(
    api: &AwsApi,
    signed: &SignedRequest,
    now: f64,
) -> Result<Option<Authenticated>, AuthError> {
    let key_id = signed.access_key_id();
    match api.sts().session(key_id).await {
        Ok(Some(session)) => {
            session.check(signed.security_token(), now).map_err(|problem| match problem {
                SessionProblem::InvalidToken => AuthError::UnknownAccessKey(key_id.to_owned()),
                SessionProblem::Expired => AuthError::ExpiredToken,
            })?;
            signed.verify(&session.secret_access_key, timestamp(now))?;
            return Ok(Some(Authenticated {
                principal: session.principal(),
                account: session.account,
                arn: session.arn,
                user_id: session.user_id,
            }));
        }
        Ok(None) => {}
        Err(error) => {
            tracing::warn!(%error, "reading a session failed");
            return Err(AuthError::UnknownAccessKey(key_id.to_owned()));
        }
    }
    Ok(crate::iam::authenticate(api, signed, now).await?.map(|key| Authenticated {
        principal: Principal::user(&key.user_arn).with_user_id(&key.user_id),
        account: key.account,
        arn: key.user_arn,
        user_id: key.user_id,
    }))
}

/// Whether a request may come without a signature: STS's AssumeRoleWithWebIdentity.
pub(crate) fn is_unsigned(route: &Route) -> bool {
    route.service() == Some("sts") && route.operation() == Some("AssumeRoleWithWebIdentity")
}

pub(crate) async fn handle(api: &AwsApi, call: &Call<'_>) -> Result<Response<Vec<u8>>, AwsError> {
    match call.route.operation() {
        Some("GetCallerIdentity") => Ok(get_caller_identity(call)),
        Some("AssumeRole") => assume_role(api, call).await,
        Some("AssumeRoleWithWebIdentity") => assume_role_with_web_identity(api, call).await,
        Some("GetSessionToken") => get_session_token(api, call).await,
        Some(other) => Err(AwsError::bad_request(
            "InvalidAction",
            format!("Could not find operation {other} for version 2011-06-15"),
        )),
        None => Err(AwsError::bad_request("MissingAction", "Missing Action")),
    }
}

fn get_caller_identity(call: &Call<'_>) -> Response<Vec<u8>> {
    let user_id = call.user_id.clone();
    let xml = query_response("GetCallerIdentity", NAMESPACE, &call.request_id, |xml| {
        xml.text("Arn", &call.caller.arn).text("UserId", &user_id).text("Account", &call.caller.account);
    });
    xml_reply(xml, &call.request_id)
}

/// The wire error for a model error.
fn error(error: StsError) -> AwsError {
    let (code, status) = match &error {
        StsError::AccessDenied(_) => ("AccessDenied", StatusCode::FORBIDDEN),
        StsError::Validation(_) => ("ValidationError", StatusCode::BAD_REQUEST),
        StsError::MalformedPolicyDocument(_) => ("MalformedPolicyDocument", StatusCode::BAD_REQUEST),
        StsError::InvalidIdentityToken(_) => ("InvalidIdentityToken", StatusCode::BAD_REQUEST),
        StsError::ExpiredToken(_) => ("ExpiredTokenException", StatusCode::BAD_REQUEST),
        StsError::ServiceFailure(_) => ("InternalFailure", StatusCode::INTERNAL_SERVER_ERROR),
    };
    AwsError::new(code, error.to_string(), status)
}

fn param_error(error: QueryError) -> AwsError {
    match error {
        QueryError::Invalid { key, value, .. } => {
            AwsError::bad_request("ValidationError", format!("Invalid value '{value}' for {key}."))
        }
        other => other.to_aws_error(aws_protocol::Protocol::Query),
    }
}

/// A required member, with STS's message when it is missing; `member` is its name in lower camel case.
fn required(params: &Scope<'_>, name: &str, member: &str) -> Result<String, AwsError> {
    params.get(name).map(str::to_owned).ok_or_else(|| {
        AwsError::bad_request(
            "ValidationError",
            format!("1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"),
        )
    })
}

fn optional(params: &Scope<'_>, name: &str) -> Option<String> {
    params.get(name).map(str::to_owned)
}

fn tags(params: &Scope<'_>) -> Result<Vec<Tag>, AwsError> {
    let members = params.list("Tags").map_err(param_error)?;
    members
        .iter()
        .map(|tag| Ok(Tag { key: required(tag, "Key", "key")?, value: required(tag, "Value", "value")? }))
        .collect()
}

fn timestamp(seconds: f64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos((seconds * 1e9) as i128).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn credentials_xml(xml: &mut XmlWriter, session: &Session) {
    xml.element("Credentials", |xml| {
        xml.text("AccessKeyId", &session.access_key_id)
            .text("SecretAccessKey", &session.secret_access_key)
            .text("SessionToken", &session.session_token)
            .timestamp("Expiration", timestamp(session.expires_at));
    });
}

fn assumed_xml(xml: &mut XmlWriter, assumed: &Assumed) {
    credentials_xml(xml, &assumed.session);
    xml.element("AssumedRoleUser", |xml| {
        xml.text("AssumedRoleId", &assumed.assumed_role_id).text("Arn", &assumed.session.arn);
    });
    if let Some(size) = assumed.packed_policy_size {
        xml.value("PackedPolicySize", size);
    }
    xml.optional("SourceIdentity", assumed.source_identity.as_deref());
}

async fn assume_role(api: &AwsApi, call: &Call<'_>) -> Result<Response<Vec<u8>>, AwsError> {
    let params = call.params.root();
    let input = AssumeRole {
        role_arn: required(&params, "RoleArn", "roleArn")?,
        session_name: required(&params, "RoleSessionName", "roleSessionName")?,
        duration_seconds: params.int("DurationSeconds").map_err(param_error)?,
        policy: optional(&params, "Policy"),
        tags: tags(&params)?,
        external_id: optional(&params, "ExternalId"),
        source_identity: optional(&params, "SourceIdentity"),
    };
    let assumed = api.sts().assume_role(&call.principal, input).await.map_err(error)?;
    let xml = query_response("AssumeRole", NAMESPACE, &call.request_id, |xml| assumed_xml(xml, &assumed));
    Ok(xml_reply(xml, &call.request_id))
}

async fn assume_role_with_web_identity(api: &AwsApi, call: &Call<'_>) -> Result<Response<Vec<u8>>, AwsError> {
    let params = call.params.root();
    let input = AssumeRoleWithWebIdentity {
        role_arn: required(&params, "RoleArn", "roleArn")?,
        session_name: required(&params, "RoleSessionName", "roleSessionName")?,
        web_identity_token: required(&params, "WebIdentityToken", "webIdentityToken")?,
        duration_seconds: params.int("DurationSeconds").map_err(param_error)?,
        policy: optional(&params, "Policy"),
    };
    let assumed = api.sts().assume_role_with_web_identity(input).await.map_err(error)?;
    let xml = query_response("AssumeRoleWithWebIdentity", NAMESPACE, &call.request_id, |xml| {
        assumed_xml(xml, &assumed.assumed);
        xml.text("SubjectFromWebIdentityToken", &assumed.subject)
            .text("Provider", &assumed.provider)
            .text("Audience", &assumed.audience);
    });
    Ok(xml_reply(xml, &call.request_id))
}

async fn get_session_token(api: &AwsApi, call: &Call<'_>) -> Result<Response<Vec<u8>>, AwsError> {
    let params = call.params.root();
    let duration = params.int("DurationSeconds").map_err(param_error)?;
    let session = api.sts().get_session_token(&call.principal, duration).await.map_err(error)?;
    let xml = query_response("GetSessionToken", NAMESPACE, &call.request_id, |xml| credentials_xml(xml, &session));
    Ok(xml_reply(xml, &call.request_id))
}

pub(crate) fn xml_reply(xml: String, request_id: &RequestId) -> Response<Vec<u8>> {
    aws_protocol::error::reply(StatusCode::OK, "text/xml", xml.into_bytes(), request_id)
}

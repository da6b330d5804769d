//! STS over the `query` protocol: GetCallerIdentity (which `aws sts get-caller-identity` and every SDK's
//! credential checks call), AssumeRole, AssumeRoleWithWebIdentity (the one unsigned operation) and
//! GetSessionToken. Also the check of requests signed with the temporary credentials STS issued.

use aws_model::iam::Tag;
use aws_model::policy::Principal;
use aws_model::sts::{AssumeRole, AssumeRoleWithWebIdentity, Assumed, Session, SessionProblem, StsError};
use aws_protocol::query::Scope;
use aws_protocol::xml::XmlWriter;
use aws_protocol::{AuthError, AwsError, QueryError, SignedRequest};
use http::StatusCode;
use time::OffsetDateTime;

use crate::registry::{Outcome, Service, Wire, WireError, operation, wire};
use crate::{AwsApi, Call};

/// STS on the wire.
pub(crate) const SERVICE: Service = Service {
    signing_name: "sts",
    model: "sts",
    title: "STS",
    wire: Wire::Query { version: "2011-06-15", namespace: "https://sts.amazonaws.com/doc/2011-06-15/" },
    operations: &[
        operation!("GetCallerIdentity", get_caller_identity),
        operation!("AssumeRole", assume_role),
        operation!("AssumeRoleWithWebIdentity", assume_role_with_web_identity).unsigned(),
        operation!("GetSessionToken", get_session_token),
    ],
};

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

async fn get_caller_identity(_: &AwsApi, call: &Call<'_>) -> Outcome {
    call.xml(|xml| {
        xml.text("Arn", &call.caller.arn).text("UserId", &call.user_id).text("Account", &call.caller.account);
    })
}

impl WireError for StsError {
    fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            StsError::AccessDenied(_) => ("AccessDenied", StatusCode::FORBIDDEN),
            StsError::Validation(_) => ("ValidationError", StatusCode::BAD_REQUEST),
            StsError::MalformedPolicyDocument(_) => ("MalformedPolicyDocument", StatusCode::BAD_REQUEST),
            StsError::InvalidIdentityToken(_) => ("InvalidIdentityToken", StatusCode::BAD_REQUEST),
            StsError::ExpiredToken(_) => ("ExpiredTokenException", StatusCode::BAD_REQUEST),
            StsError::ServiceFailure(_) => ("InternalFailure", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
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

async fn assume_role(api: &AwsApi, call: &Call<'_>) -> Outcome {
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
    let assumed = api.sts().assume_role(&call.principal, input).await.map_err(wire)?;
    call.xml(|xml| assumed_xml(xml, &assumed))
}

async fn assume_role_with_web_identity(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let params = call.params.root();
    let input = AssumeRoleWithWebIdentity {
        role_arn: required(&params, "RoleArn", "roleArn")?,
        session_name: required(&params, "RoleSessionName", "roleSessionName")?,
        web_identity_token: required(&params, "WebIdentityToken", "webIdentityToken")?,
        duration_seconds: params.int("DurationSeconds").map_err(param_error)?,
        policy: optional(&params, "Policy"),
    };
    let assumed = api.sts().assume_role_with_web_identity(input).await.map_err(wire)?;
    call.xml(|xml| {
        assumed_xml(xml, &assumed.assumed);
        xml.text("SubjectFromWebIdentityToken", &assumed.subject)
            .text("Provider", &assumed.provider)
            .text("Audience", &assumed.audience);
    })
}

async fn get_session_token(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let params = call.params.root();
    let duration = params.int("DurationSeconds").map_err(param_error)?;
    let session = api.sts().get_session_token(&call.principal, duration).await.map_err(wire)?;
    call.xml(|xml| credentials_xml(xml, &session))
}

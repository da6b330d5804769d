//! STS: temporary credentials. AssumeRole and AssumeRoleWithWebIdentity decide with the role's trust policy
//! (evaluated by [`crate::policy`]) and GetSessionToken hands a user or root its own session; each issues a
//! [`Session`]: an `ASIA` access key id, a secret and a session token, stored server-wide under
//! `/aws/sessions/<access key id>` (beside IAM's `/aws/access-keys/`) so that `aws-api` can check requests
//! signed with them, across restarts, until they expire.
//!
//! Web identity tokens are JWTs ([`jwt`]); their issuer must be an OpenID Connect provider registered in IAM in
//! the role's account, and their keys come from the [`OidcKeys`] the binary provides (the clusters whose issuer
//! they are), never from the network.

pub(crate) mod jwt;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::iam::{Iam, IamError, PolicyHolder, Tag};
use crate::policy::{self, Decision, Policy, PolicyKind, PolicySet, Principal, PrincipalKind, Request};
use crate::records::RecordError;

pub use jwt::{CLOCK_SKEW_SECONDS, JwtError, WebToken};

/// The keys of the OpenID Connect issuers this server serves itself.
#[async_trait::async_trait]
pub trait OidcKeys: Send + Sync + std::fmt::Debug {
    /// The JWKS of the issuer `issuer_url` (`https://...`, as tokens carry it in `iss`); `None` when this server
    /// does not serve that issuer.
    async fn jwks(&self, issuer_url: &str) -> Option<Value>;
}

/// STS's errors, each one of its wire error codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StsError {
    /// `AccessDenied` (403).
    #[error("{0}")]
    AccessDenied(String),
    /// `ValidationError` (400).
    #[error("{0}")]
    Validation(String),
    /// `MalformedPolicyDocument` (400): a session policy that does not parse.
    #[error("{0}")]
    MalformedPolicyDocument(String),
    /// `InvalidIdentityToken` (400).
    #[error("{0}")]
    InvalidIdentityToken(String),
    /// `ExpiredTokenException` (400): an expired web identity token.
    #[error("{0}")]
    ExpiredToken(String),
    /// `ServiceFailure` (500).
    #[error("{0}")]
    ServiceFailure(String),
}

impl From<RecordError> for StsError {
    fn from(error: RecordError) -> Self {
        StsError::ServiceFailure(error.to_string())
    }
}

impl From<IamError> for StsError {
    fn from(error: IamError) -> Self {
        StsError::ServiceFailure(error.to_string())
    }
}

/// Temporary credentials and who they act as, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// `ASIA` + 16 characters.
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub account: String,
    /// What GetCallerIdentity reports: `arn:aws:sts::<account>:assumed-role/<role>/<session>` for a role
    /// session, the user's (or root's) own ARN for GetSessionToken.
    pub arn: String,
    /// `<role id>:<session>` for a role session, the user's id (or the account) otherwise.
    pub user_id: String,
    /// The assumed role's ARN, with its path; `None` for GetSessionToken.
    pub role_arn: Option<String>,
    /// Unix seconds.
    pub created_at: f64,
    /// Unix seconds.
    pub expires_at: f64,
}

/// Why a request signed with a session's key is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionProblem {
    /// The session token is missing or not this session's.
    InvalidToken,
    /// The session has expired.
    Expired,
}

impl Session {
    /// The principal policies see for requests made with this session.
    pub fn principal(&self) -> Principal {
        let principal = match &self.role_arn {
            Some(role_arn) => Principal::assumed_role(&self.arn, role_arn),
            None if self.arn.ends_with(":root") => Principal::root(&self.account),
            None => Principal::user(&self.arn),
        };
        principal.with_user_id(&self.user_id)
    }

    /// The ARN EKS names this caller by: the role's for a role session.
    pub fn canonical_arn(&self) -> String {
        canonical_arn(&self.arn)
    }

    /// Whether a request carrying `token` at `now` may use this session.
    pub fn check(&self, token: Option<&str>, now: f64) -> Result<(), SessionProblem> {
        let matches = token.is_some_and(|token| {
            token.len() == self.session_token.len()
                && token.bytes().zip(self.session_token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        });
        if !matches {
            return Err(SessionProblem::InvalidToken);
        }
        if now >= self.expires_at {
            return Err(SessionProblem::Expired);
        }
        Ok(())
    }
}

/// The ARN EKS and aws-iam-authenticator name a caller by: a role session
/// (`arn:aws:sts::<account>:assumed-role/<role>/<session>`) becomes its role (`arn:aws:iam::<account>:role/<role>`,
/// without a path, as the session ARN has none); any other ARN stays as it is.
pub fn canonical_arn(arn: &str) -> String {
    let Some(rest) = arn.strip_prefix("arn:aws:sts::") else { return arn.to_owned() };
    let Some((account, resource)) = rest.split_once(':') else { return arn.to_owned() };
    match resource.strip_prefix("assumed-role/").and_then(|r| r.split_once('/')) {
        Some((role, _session)) if !role.is_empty() => format!("arn:aws:iam::{account}:role/{role}"),
        _ => arn.to_owned(),
    }
}

/// AssumeRole's input, decoded from the wire.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: String,
    pub duration_seconds: Option<i64>,
    /// A session policy (validated; ekslite does not authorize calls by IAM policies, so it narrows nothing).
    pub policy: Option<String>,
    /// Session tags; passing any also needs `sts:TagSession` in the trust policy.
    pub tags: Vec<Tag>,
    pub external_id: Option<String>,
    pub source_identity: Option<String>,
}

/// AssumeRoleWithWebIdentity's input, decoded from the wire.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssumeRoleWithWebIdentity {
    pub role_arn: String,
    pub session_name: String,
    pub web_identity_token: String,
    pub duration_seconds: Option<i64>,
    pub policy: Option<String>,
}

/// A role session handed out.
#[derive(Debug, Clone, PartialEq)]
pub struct Assumed {
    pub session: Session,
    /// The role's unique id and the session name: `AROA...:<session>`.
    pub assumed_role_id: String,
    /// Percent of the packed size limit the session policy and tags use; set when either was given.
    pub packed_policy_size: Option<i64>,
    pub source_identity: Option<String>,
}

/// A role session handed out for a web identity, with what STS reports about the token.
#[derive(Debug, Clone, PartialEq)]
pub struct WebIdentityAssumed {
    pub assumed: Assumed,
    /// The token's `sub`.
    pub subject: String,
    /// The token's audience that matched one of the provider's client ids.
    pub audience: String,
    /// The provider's ARN.
    pub provider: String,
}

/// The default and limits of a role session's lifetime.
const DEFAULT_DURATION: i64 = 3600;
const MIN_DURATION: i64 = 900;
const MAX_ROLE_DURATION: i64 = 43_200;
const MAX_SESSION_TOKEN_DURATION: i64 = 129_600;
const DEFAULT_SESSION_TOKEN_DURATION: i64 = 43_200;
/// A session that assumes a role (role chaining) may ask for at most an hour.
const CHAINED_MAX_DURATION: i64 = 3600;
/// The packed size limit session policies and tags share, as a number of bytes.
const PACKED_POLICY_LIMIT: usize = 2048;

const SESSIONS_PREFIX: &str = "/aws/sessions/";

fn session_key(access_key_id: &str) -> String {
    format!("{SESSIONS_PREFIX}{access_key_id}")
}

/// STS validation errors, collected as AWS reports them: `N validation error(s) detected: ...; ...`.
#[derive(Default)]
struct Violations(Vec<String>);

impl Violations {
    fn add(&mut self, value: &str, member: &str, constraint: &str) {
        self.0.push(format!("Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"));
    }

    fn length(&mut self, value: &str, member: &str, min: usize, max: usize) -> bool {
        let count = value.chars().count();
        if count < min {
            self.add(value, member, &format!("Member must have length greater than or equal to {min}"));
        } else if count > max {
            self.add(value, member, &format!("Member must have length less than or equal to {max}"));
        } else {
            return true;
        }
        false
    }

    fn pattern(&mut self, value: &str, member: &str, pattern: &str, allowed: impl Fn(char) -> bool) {
        if !value.chars().all(allowed) {
            self.add(value, member, &format!("Member must satisfy regular expression pattern: {pattern}"));
        }
    }

    fn range(&mut self, value: Option<i64>, member: &str, min: i64, max: i64) {
        match value {
            Some(v) if v < min => {
                self.add(&v.to_string(), member, &format!("Member must have value greater than or equal to {min}"))
            }
            Some(v) if v > max => {
                self.add(&v.to_string(), member, &format!("Member must have value less than or equal to {max}"))
            }
            _ => {}
        }
    }

    fn session_name(&mut self, name: &str) {
        if self.length(name, "roleSessionName", 2, 64) {
            self.pattern(name, "roleSessionName", r"[\w+=,.@-]*", |c| c.is_alphanumeric() || "_+=,.@-".contains(c));
        }
    }

    fn role_arn(&mut self, arn: &str) {
        self.length(arn, "roleArn", 20, 2048);
    }

    fn finish(self) -> Result<(), StsError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(StsError::Validation(format!("1 validation error detected: {}", self.0[0]))),
            n => Err(StsError::Validation(format!("{n} validation errors detected: {}", self.0.join("; ")))),
        }
    }
}

fn session_policy(policy: Option<&str>) -> Result<usize, StsError> {
    let Some(document) = policy else { return Ok(0) };
    Policy::parse(document, PolicyKind::Inline)
        .map_err(|error| StsError::MalformedPolicyDocument(error.message().to_owned()))?;
    Ok(policy::policy_size(document))
}

/// A request carrying the session tags asked for, as the condition keys `aws:TagKeys` and `aws:RequestTag/<key>`.
fn with_session_tags(mut request: Request, tags: &[Tag]) -> Request {
    if !tags.is_empty() {
        request = request.with_context("aws:TagKeys", tags.iter().map(|t| t.key.as_str()));
        for tag in tags {
            request = request.with_context(&format!("aws:RequestTag/{}", tag.key), [tag.value.as_str()]);
        }
    }
    request
}

/// The account and role name an IAM role ARN names.
fn role_arn_parts(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()).then_some((account, name))
}

/// The STS service of one server.
#[derive(Debug, Clone)]
pub struct Sts {
    iam: Iam,
    keys: Option<Arc<dyn OidcKeys>>,
}

impl Sts {
    /// STS over the accounts of `iam`, sharing its records and clock.
    pub fn new(iam: Iam) -> Sts {
        Sts { iam, keys: None }
    }

    /// Checks web identity tokens with the keys `keys` serves.
    pub fn with_oidc_keys(self, keys: Arc<dyn OidcKeys>) -> Sts {
        Sts { keys: Some(keys), ..self }
    }

    fn now(&self) -> f64 {
        self.iam.clock().now()
    }

    /// The session an access key id belongs to; `None` for keys STS did not issue.
    pub async fn session(&self, access_key_id: &str) -> Result<Option<Session>, StsError> {
        if !access_key_id.starts_with("ASIA") || !access_key_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(None);
        }
        Ok(self.iam.records().get::<Session>(&session_key(access_key_id)).await?.map(|stored| stored.value))
    }

    async fn issue(
        &self,
        account: &str,
        arn: String,
        user_id: String,
        role_arn: Option<String>,
        duration: i64,
    ) -> Result<Session, StsError> {
        let now = self.now();
        let mut token_bytes = [0u8; 192];
        getrandom::fill(&mut token_bytes).expect("the operating system provides random bytes");
        let session = Session {
            access_key_id: format!("ASIA{}", crate::iam::random_chars(16, crate::iam::UPPER_ALNUM)),
            secret_access_key: crate::iam::random_chars(
                40,
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            ),
            session_token: crate::ids::base64(&token_bytes),
            account: account.to_owned(),
            arn,
            user_id,
            role_arn,
            created_at: now,
            expires_at: (now + duration as f64).floor(),
        };
        self.iam.records().create(&session_key(&session.access_key_id), &session).await?;
        Ok(session)
    }

    /// The identity policies and boundary of a caller, for the identity side of a decision.
    async fn caller_policies(&self, caller: &Principal) -> Result<crate::iam::PrincipalPolicies, StsError> {
        let holder = match &caller.kind {
            PrincipalKind::User => caller.arn.rsplit('/').next().map(PolicyHolder::User),
            PrincipalKind::Role => caller.arn.rsplit('/').next().map(PolicyHolder::Role),
            PrincipalKind::AssumedRole { role_arn } => role_arn.rsplit('/').next().map(PolicyHolder::Role),
            _ => None,
        };
        let Some(holder) = holder else { return Ok(Default::default()) };
        match self.iam.principal_policies(&caller.account, holder).await {
            Ok(policies) => Ok(policies),
            // The user or role is gone: it has no policies left.
            Err(IamError::NoSuchEntity(_)) => Ok(Default::default()),
            Err(error) => Err(error.into()),
        }
    }

    /// AssumeRole: a session of `input.role_arn` for `caller`, if the role's trust policy (and, for callers
    /// the trust policy names only by their account, their identity policies) allow `sts:AssumeRole`.
    pub async fn assume_role(&self, caller: &Principal, input: AssumeRole) -> Result<Assumed, StsError> {
        let mut violations = Violations::default();
        violations.role_arn(&input.role_arn);
        violations.session_name(&input.session_name);
        violations.range(input.duration_seconds, "durationSeconds", MIN_DURATION, MAX_ROLE_DURATION);
        if let Some(external_id) = &input.external_id
            && violations.length(external_id, "externalId", 2, 1224)
        {
            violations.pattern(external_id, "externalId", r"[\w+=,.@:\/-]*", |c| {
                c.is_alphanumeric() || "_+=,.@:/-".contains(c)
            });
        }
        if let Some(source) = &input.source_identity
            && violations.length(source, "sourceIdentity", 2, 64)
        {
            violations
                .pattern(source, "sourceIdentity", r"[\w+=,.@-]*", |c| c.is_alphanumeric() || "_+=,.@-".contains(c));
        }
        if input.tags.len() > 50 {
            violations.add("[...]", "tags", "Member must have length less than or equal to 50");
        }
        for (index, tag) in input.tags.iter().enumerate() {
            violations.length(&tag.key, &format!("tags.{}.member.key", index + 1), 1, 128);
            violations.length(&tag.value, &format!("tags.{}.member.value", index + 1), 0, 256);
        }
        violations.finish()?;
        let policy_size = session_policy(input.policy.as_deref())?;

        let denied = |action: &str| {
            StsError::AccessDenied(format!(
                "User: {} is not authorized to perform: {action} on resource: {}",
                caller.arn, input.role_arn
            ))
        };
        let Some((account, _)) = role_arn_parts(&input.role_arn) else { return Err(denied("sts:AssumeRole")) };
        let Some(role) = self.iam.role_by_arn(account, &input.role_arn).await? else {
            return Err(denied("sts:AssumeRole"));
        };
        let trust = Policy::parse(&role.assume_role_policy, PolicyKind::Trust).map_err(|_| denied("sts:AssumeRole"))?;
        let policies = self.caller_policies(caller).await?;
        let parsed: Vec<(&str, Policy)> = policies
            .identity
            .iter()
            .filter_map(|(name, text)| Policy::parse(text, PolicyKind::Managed).ok().map(|p| (name.as_str(), p)))
            .collect();
        let boundary = policies
            .boundary
            .as_ref()
            .and_then(|(name, text)| Policy::parse(text, PolicyKind::Managed).ok().map(|p| (name.as_str(), p)));
        let mut set = PolicySet::new().resource(&role.arn, &trust);
        for (name, policy) in &parsed {
            set = set.identity(name, policy);
        }
        if let Some((name, policy)) = &boundary {
            set = set.boundary(name, policy);
        }
        let mut actions = vec!["sts:AssumeRole"];
        if !input.tags.is_empty() {
            actions.push("sts:TagSession");
        }
        for action in actions {
            let mut request = Request::new(caller.clone(), action, &role.arn)
                .with_context("sts:RoleSessionName", [input.session_name.as_str()]);
            if let Some(external_id) = &input.external_id {
                request = request.with_context("sts:ExternalId", [external_id.as_str()]);
            }
            if let Some(source) = &input.source_identity {
                request = request.with_context("sts:SourceIdentity", [source.as_str()]);
            }
            request = with_session_tags(request, &input.tags);
            let decision = policy::evaluate(&request, &set);
            // The root user passes evaluation without any statement; a role still has to trust it.
            let allowed = match (&caller.kind, decision) {
                (PrincipalKind::Root, Decision::Allow(statement)) => statement.is_some(),
                (_, decision) => decision.is_allowed(),
            };
            if !allowed {
                return Err(denied(action));
            }
        }

        let chained = matches!(caller.kind, PrincipalKind::AssumedRole { .. });
        let duration = input.duration_seconds.unwrap_or(DEFAULT_DURATION);
        if chained && duration > CHAINED_MAX_DURATION {
            return Err(StsError::Validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
                    .into(),
            ));
        }
        if duration > role.max_session_duration {
            return Err(StsError::Validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".into(),
            ));
        }
        let tags_size: usize = input.tags.iter().map(|t| t.key.len() + t.value.len()).sum();
        let packed = (input.policy.is_some() || !input.tags.is_empty())
            .then(|| ((policy_size + tags_size) * 100).div_ceil(PACKED_POLICY_LIMIT) as i64);
        if packed.is_some_and(|percent| percent > 100) {
            return Err(StsError::Validation("Packed policy consumes more than 100% of the allotted size".into()));
        }
        let assumed_role_id = format!("{}:{}", role.id, input.session_name);
        let arn = format!("arn:aws:sts::{account}:assumed-role/{}/{}", role.name, input.session_name);
        let session = self.issue(account, arn, assumed_role_id.clone(), Some(role.arn.clone()), duration).await?;
        Ok(Assumed { session, assumed_role_id, packed_policy_size: packed, source_identity: input.source_identity })
    }

    /// AssumeRoleWithWebIdentity: a session of `input.role_arn` for the holder of a web identity token whose
    /// issuer is an OpenID Connect provider of the role's account, if the role's trust policy allows
    /// `sts:AssumeRoleWithWebIdentity` to that provider with the token's `sub` and `aud`.
    pub async fn assume_role_with_web_identity(
        &self,
        input: AssumeRoleWithWebIdentity,
    ) -> Result<WebIdentityAssumed, StsError> {
        let mut violations = Violations::default();
        violations.role_arn(&input.role_arn);
        violations.session_name(&input.session_name);
        violations.length(&input.web_identity_token, "webIdentityToken", 4, 20_000);
        violations.range(input.duration_seconds, "durationSeconds", MIN_DURATION, MAX_ROLE_DURATION);
        if let Some(policy) = &input.policy {
            violations.length(policy, "policy", 1, 2048);
        }
        violations.finish()?;
        session_policy(input.policy.as_deref())?;

        let not_authorized =
            || StsError::AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity".to_owned());
        let invalid = |message: &str| StsError::InvalidIdentityToken(message.to_owned());
        let token = WebToken::decode(&input.web_identity_token).map_err(|_| {
            invalid("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
        })?;
        let Some((account, _)) = role_arn_parts(&input.role_arn) else { return Err(not_authorized()) };
        let issuer = token.issuer().unwrap_or_default().to_owned();
        let host_and_path = issuer.strip_prefix("https://").unwrap_or_default().trim_end_matches('/').to_owned();
        let provider_arn = format!("arn:aws:iam::{account}:oidc-provider/{host_and_path}");
        let no_provider = || invalid(&format!("No OpenIDConnect provider found in your account for {issuer}"));
        if host_and_path.is_empty() {
            return Err(no_provider());
        }
        let provider = match self.iam.get_open_id_connect_provider(account, &provider_arn).await {
            Ok(provider) => provider,
            Err(IamError::NoSuchEntity(_) | IamError::InvalidInput(_) | IamError::Validation(_)) => {
                return Err(no_provider());
            }
            Err(error) => return Err(error.into()),
        };
        let no_key = || {
            invalid(
                "Couldn't retrieve verification key from your identity provider,  please reference \
                 AssumeRoleWithWebIdentity documentation for requirements",
            )
        };
        let jwks = match &self.keys {
            Some(keys) => keys.jwks(&issuer).await.ok_or_else(no_key)?,
            None => return Err(no_key()),
        };
        let now = self.now();
        let unverified = || {
            invalid(
                "The web identity token that was passed could not be validated by AWS. Get a new identity token \
                 from the identity provider and then retry the request.",
            )
        };
        match token.verify_signature(&jwks).and_then(|()| token.check_times(now)) {
            Ok(()) => {}
            Err(JwtError::NoKey) => return Err(no_key()),
            Err(JwtError::Expired { expires }) => {
                return Err(StsError::ExpiredToken(format!(
                    "Token expired: current date/time {} must be before the expiration date/time {expires}",
                    now as i64
                )));
            }
            Err(_) => return Err(unverified()),
        }
        let audiences = token.audiences();
        let Some(audience) = audiences.iter().find(|aud| provider.client_ids.iter().any(|id| id == *aud)) else {
            return Err(invalid("Incorrect token audience"));
        };
        let audience = (*audience).to_owned();
        let subject = token.subject().unwrap_or_default().to_owned();

        let Some(role) = self.iam.role_by_arn(account, &input.role_arn).await? else { return Err(not_authorized()) };
        let trust = Policy::parse(&role.assume_role_policy, PolicyKind::Trust).map_err(|_| not_authorized())?;
        let request = Request::new(Principal::federated(&provider.arn), "sts:AssumeRoleWithWebIdentity", &role.arn)
            .with_context(&format!("{host_and_path}:sub"), [subject.as_str()])
            .with_context(&format!("{host_and_path}:aud"), [audience.as_str()])
            .with_context("sts:RoleSessionName", [input.session_name.as_str()]);
        if !policy::evaluate(&request, &PolicySet::new().resource(&role.arn, &trust)).is_allowed() {
            return Err(not_authorized());
        }
        let duration = input.duration_seconds.unwrap_or(DEFAULT_DURATION);
        if duration > role.max_session_duration {
            return Err(StsError::Validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".into(),
            ));
        }
        let assumed_role_id = format!("{}:{}", role.id, input.session_name);
        let arn = format!("arn:aws:sts::{account}:assumed-role/{}/{}", role.name, input.session_name);
        let session = self.issue(account, arn, assumed_role_id.clone(), Some(role.arn.clone()), duration).await?;
        let packed =
            input.policy.as_deref().map(|p| (policy::policy_size(p) * 100).div_ceil(PACKED_POLICY_LIMIT) as i64);
        Ok(WebIdentityAssumed {
            assumed: Assumed { session, assumed_role_id, packed_policy_size: packed, source_identity: None },
            subject,
            audience,
            provider: provider.arn,
        })
    }

    /// A session of `role_arn` for an AWS service principal, as EKS Pod Identity assumes a pod's role for
    /// `pods.eks.amazonaws.com`: the role's trust policy must allow that service `sts:AssumeRole` and, when
    /// session tags are given, `sts:TagSession`. `None` when the role does not exist or does not trust the service.
    pub async fn assume_role_for_service(
        &self,
        service: &str,
        role_arn: &str,
        session_name: &str,
        tags: &[Tag],
        duration: i64,
    ) -> Result<Option<Assumed>, StsError> {
        let Some((account, _)) = role_arn_parts(role_arn) else { return Ok(None) };
        let Some(role) = self.iam.role_by_arn(account, role_arn).await? else { return Ok(None) };
        let Ok(trust) = Policy::parse(&role.assume_role_policy, PolicyKind::Trust) else { return Ok(None) };
        let set = PolicySet::new().resource(&role.arn, &trust);
        let mut actions = vec!["sts:AssumeRole"];
        if !tags.is_empty() {
            actions.push("sts:TagSession");
        }
        for action in actions {
            let request = Request::new(Principal::service(service), action, &role.arn)
                .with_context("sts:RoleSessionName", [session_name]);
            if !policy::evaluate(&with_session_tags(request, tags), &set).is_allowed() {
                return Ok(None);
            }
        }
        let assumed_role_id = format!("{}:{session_name}", role.id);
        let arn = format!("arn:aws:sts::{account}:assumed-role/{}/{session_name}", role.name);
        let session = self.issue(account, arn, assumed_role_id.clone(), Some(role.arn.clone()), duration).await?;
        Ok(Some(Assumed { session, assumed_role_id, packed_policy_size: None, source_identity: None }))
    }

    /// GetSessionToken: a session of a user or root that acts as itself.
    pub async fn get_session_token(
        &self,
        caller: &Principal,
        duration_seconds: Option<i64>,
    ) -> Result<Session, StsError> {
        let mut violations = Violations::default();
        violations.range(duration_seconds, "durationSeconds", MIN_DURATION, MAX_SESSION_TOKEN_DURATION);
        violations.finish()?;
        let max = match caller.kind {
            PrincipalKind::Root => 3600,
            PrincipalKind::User => MAX_SESSION_TOKEN_DURATION,
            _ => return Err(StsError::AccessDenied("Cannot call GetSessionToken with session credentials".into())),
        };
        let duration = duration_seconds.unwrap_or(DEFAULT_SESSION_TOKEN_DURATION).min(max);
        let user_id = caller.user_id.clone().unwrap_or_else(|| caller.account.clone());
        self.issue(&caller.account, caller.arn.clone(), user_id, None, duration).await
    }
}

#[cfg(test)]
mod tests;

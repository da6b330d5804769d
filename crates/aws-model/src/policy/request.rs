//! Who asks for what: the [`Request`] a policy decision is made for, its [`Principal`] and the [`Context`]
//! of condition keys. The principal's own keys (`aws:PrincipalArn`, `aws:username`, `aws:PrincipalTag/...`)
//! are derived here, so callers only add what depends on the call (`aws:SourceIp`, `<issuer>:sub`, ...).

use std::collections::BTreeMap;

use super::document::PrincipalType;

/// The kind of identity that makes a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// The account root user.
    Root,
    /// An IAM user.
    User,
    /// An IAM role acting as itself.
    Role,
    /// A role session from `AssumeRole*`; `role_arn` is the role's ARN with its path.
    AssumedRole { role_arn: String },
    /// An AWS service such as `eks.amazonaws.com`.
    Service,
    /// A web identity or SAML provider, named by its provider ARN (or host for public providers).
    Federated,
}

/// The identity that makes a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// The ARN (user, role, session, root), the service name, or the provider ARN.
    pub arn: String,
    /// The 12-digit account; empty for services and public identity providers.
    pub account: String,
    /// The unique id (`AIDA...` for users, `AROA...:session` for sessions), the value of `aws:userid`.
    pub user_id: Option<String>,
    /// The principal's tags, the values of `aws:PrincipalTag/<key>`.
    pub tags: Vec<(String, String)>,
}

/// Which way a principal answers to a name in a `Principal` element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Identity {
    /// The principal's own ARN or name.
    Direct,
    /// A role session answering to its role's ARN.
    Role,
    /// Any principal of an account answering to the account's root ARN.
    Account,
}

fn account_of(arn: &str) -> String {
    arn.split(':').nth(4).unwrap_or_default().to_owned()
}

impl Principal {
    fn new(kind: PrincipalKind, arn: String, account: String) -> Principal {
        Principal { kind, arn, account, user_id: None, tags: Vec::new() }
    }

    /// The root user of `account`.
    pub fn root(account: &str) -> Principal {
        Principal::new(PrincipalKind::Root, format!("arn:aws:iam::{account}:root"), account.to_owned())
    }

    /// An IAM user, by ARN (`arn:aws:iam::<account>:user/<path><name>`).
    pub fn user(arn: &str) -> Principal {
        Principal::new(PrincipalKind::User, arn.to_owned(), account_of(arn))
    }

    /// An IAM role acting as itself, by ARN.
    pub fn role(arn: &str) -> Principal {
        Principal::new(PrincipalKind::Role, arn.to_owned(), account_of(arn))
    }

    /// A role session (`arn:aws:sts::<account>:assumed-role/<role>/<session>`) of the role `role_arn`.
    pub fn assumed_role(session_arn: &str, role_arn: &str) -> Principal {
        let kind = PrincipalKind::AssumedRole { role_arn: role_arn.to_owned() };
        Principal::new(kind, session_arn.to_owned(), account_of(session_arn))
    }

    /// An AWS service principal such as `eks.amazonaws.com`.
    pub fn service(name: &str) -> Principal {
        Principal::new(PrincipalKind::Service, name.to_owned(), String::new())
    }

    /// A federated identity provider, e.g. `arn:aws:iam::<account>:oidc-provider/<host>/<path>`.
    pub fn federated(provider: &str) -> Principal {
        Principal::new(PrincipalKind::Federated, provider.to_owned(), account_of(provider))
    }

    /// Adds a tag (`aws:PrincipalTag/<key>`).
    pub fn with_tag(mut self, key: &str, value: &str) -> Principal {
        self.tags.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Sets the unique id (`aws:userid`).
    pub fn with_user_id(mut self, user_id: &str) -> Principal {
        self.user_id = Some(user_id.to_owned());
        self
    }

    /// The names this principal answers to in a `Principal` element, most specific first. A policy names a
    /// role session by the session ARN, by its role's ARN or by its account; a user by its ARN or account.
    pub(crate) fn identities(&self) -> Vec<(PrincipalType, String, Identity)> {
        let mut identities = Vec::new();
        match &self.kind {
            PrincipalKind::Root | PrincipalKind::User | PrincipalKind::Role => {
                identities.push((PrincipalType::Aws, self.arn.clone(), Identity::Direct));
            }
            PrincipalKind::AssumedRole { role_arn } => {
                identities.push((PrincipalType::Aws, self.arn.clone(), Identity::Direct));
                identities.push((PrincipalType::Aws, role_arn.clone(), Identity::Role));
            }
            PrincipalKind::Service => identities.push((PrincipalType::Service, self.arn.clone(), Identity::Direct)),
            PrincipalKind::Federated => identities.push((PrincipalType::Federated, self.arn.clone(), Identity::Direct)),
        }
        if matches!(self.kind, PrincipalKind::User | PrincipalKind::Role | PrincipalKind::AssumedRole { .. }) {
            identities.push((PrincipalType::Aws, format!("arn:aws:iam::{}:root", self.account), Identity::Account));
        }
        identities
    }

    /// The ARN `aws:PrincipalArn` reports: a session reports its role.
    fn principal_arn(&self) -> Option<&str> {
        match &self.kind {
            PrincipalKind::Root | PrincipalKind::User | PrincipalKind::Role => Some(&self.arn),
            PrincipalKind::AssumedRole { role_arn } => Some(role_arn),
            PrincipalKind::Service | PrincipalKind::Federated => None,
        }
    }
}

/// The condition keys of a request: names compared without regard to case, each with one or more string
/// values that operators read as strings, numbers, dates, booleans, IP addresses or base64 as they need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    // Invariant: keyed by the lowercased name.
    keys: BTreeMap<String, Vec<String>>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets `key` to `values`, replacing what it held.
    pub fn insert<I, V>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        self.keys.insert(key.to_lowercase(), values.into_iter().map(Into::into).collect());
    }

    /// The values of `key`, if the request has it.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_lowercase()).map(Vec::as_slice)
    }
}

/// One request to decide: who, which action, on which resource, with which condition keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub principal: Principal,
    /// `service:Action`, e.g. `sts:AssumeRole`.
    pub action: String,
    /// The resource ARN, or `*` for actions that name no resource.
    pub resource: String,
    /// Keys the caller adds; they win over the keys derived from the principal.
    pub context: Context,
}

impl Request {
    /// A request without extra condition keys.
    pub fn new(principal: Principal, action: &str, resource: &str) -> Request {
        Request { principal, action: action.to_owned(), resource: resource.to_owned(), context: Context::new() }
    }

    /// Adds a condition key.
    pub fn with_context<I, V>(mut self, key: &str, values: I) -> Request
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        self.context.insert(key, values);
        self
    }

    /// The context policies see: the principal's keys, then the caller's on top.
    pub(crate) fn effective_context(&self) -> Context {
        let principal = &self.principal;
        let mut context = Context::new();
        if let Some(arn) = principal.principal_arn() {
            context.insert("aws:PrincipalArn", [arn]);
            context.insert("aws:PrincipalAccount", [principal.account.as_str()]);
        }
        let principal_type = match principal.kind {
            PrincipalKind::Root => Some("Account"),
            PrincipalKind::User => Some("User"),
            PrincipalKind::Role | PrincipalKind::AssumedRole { .. } => Some("AssumedRole"),
            PrincipalKind::Service | PrincipalKind::Federated => None,
        };
        if let Some(principal_type) = principal_type {
            context.insert("aws:PrincipalType", [principal_type]);
        }
        if principal.kind == PrincipalKind::User {
            let name = principal.arn.rsplit('/').next().unwrap_or_default();
            context.insert("aws:username", [name]);
        }
        match (&principal.user_id, &principal.kind) {
            (Some(user_id), _) => context.insert("aws:userid", [user_id.as_str()]),
            (None, PrincipalKind::Root) => context.insert("aws:userid", [principal.account.as_str()]),
            _ => {}
        }
        let is_service = principal.kind == PrincipalKind::Service;
        context.insert("aws:PrincipalIsAWSService", [if is_service { "true" } else { "false" }]);
        if is_service {
            context.insert("aws:PrincipalServiceName", [principal.arn.as_str()]);
        }
        for (key, value) in &principal.tags {
            context.insert(&format!("aws:PrincipalTag/{key}"), [value.as_str()]);
        }
        for (key, values) in &self.context.keys {
            context.keys.insert(key.clone(), values.clone());
        }
        context
    }
}

//! Policy documents: the JSON grammar IAM accepts, the checks it runs before it stores a document (with its
//! `MalformedPolicyDocument` messages word for word), and the size IAM counts against its quotas.
//!
//! Parsing goes through `serde_json::Value`, whose parser refuses nesting deeper than 128 levels, so no
//! document can exhaust the stack. Checks run in the order IAM appears to run them: JSON, then the shape of
//! every statement, then the rules of the document's kind, then the contents of each element.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

#[cfg(test)]
mod tests;

/// The quota on a managed policy, in characters excluding whitespace.
pub const MANAGED_POLICY_MAX_SIZE: usize = 6_144;
/// The default quota on a role's trust policy (`ACLSizePerRole`), in characters excluding whitespace.
pub const TRUST_POLICY_DEFAULT_MAX_SIZE: usize = 2_048;
/// The quota on all inline policies of one role together, in characters excluding whitespace.
pub const INLINE_ROLE_POLICIES_MAX_SIZE: usize = 10_240;
/// The quota on all inline policies of one user together, in characters excluding whitespace.
pub const INLINE_USER_POLICIES_MAX_SIZE: usize = 2_048;
/// The quota on all inline policies of one group together, in characters excluding whitespace.
pub const INLINE_GROUP_POLICIES_MAX_SIZE: usize = 5_120;

/// The size of a policy document as IAM measures it against its quotas: characters, whitespace not counted.
pub fn policy_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Why a policy document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// IAM's `MalformedPolicyDocument`; the string is the message IAM gives, word for word.
    #[error("malformed policy document: {0}")]
    Malformed(String),
}

impl PolicyError {
    /// The message IAM puts in its error reply.
    pub fn message(&self) -> &str {
        match self {
            PolicyError::Malformed(message) => message,
        }
    }
}

fn malformed(message: impl Into<String>) -> PolicyError {
    PolicyError::Malformed(message.into())
}

fn syntax() -> PolicyError {
    malformed("Syntax errors in policy.")
}

/// Where a document is used, which decides the rules it must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// A managed identity policy (`CreatePolicy`, also used as a permissions boundary): no principal,
    /// resources required, version 2012-10-17 required.
    Managed,
    /// An inline identity policy (`PutRolePolicy`, `PutUserPolicy`, ...): no principal, resources required.
    Inline,
    /// A role's trust policy: principal required, no resources, only STS actions.
    Trust,
    /// A resource-based policy of another service (a bucket or key policy): principal and resources required.
    Resource,
}

impl PolicyKind {
    fn is_identity(self) -> bool {
        matches!(self, PolicyKind::Managed | PolicyKind::Inline)
    }
}

/// The policy language version a document declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2008-10-17`: policy variables are literal text.
    Version2008,
    /// `2012-10-17`: policy variables are substituted.
    Version2012,
}

/// A parsed and validated policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The declared version; `None` when the document has no `Version`, which behaves as 2008-10-17.
    pub version: Option<Version>,
    /// The document's `Id`.
    pub id: Option<String>,
    /// The statements in document order.
    pub statements: Vec<Statement>,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The statement's `Sid`, if any.
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Principal` or `NotPrincipal`; only in trust and resource-based policies.
    pub principal: Option<PrincipalElement>,
    /// `Action` or `NotAction`; always present after validation.
    pub action: Element,
    /// `Resource` or `NotResource`; absent in trust policies.
    pub resource: Option<Element>,
    /// The conditions, all of which must hold.
    pub conditions: Vec<Condition>,
}

/// A list element that may be negated: `Action`/`NotAction` or `Resource`/`NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// True for the `Not...` form.
    pub negated: bool,
    /// The patterns, as written (a single string becomes a list of one).
    pub values: Vec<String>,
}

/// The kinds of principal a `Principal` map can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalType {
    /// `AWS`: accounts, users, roles, role sessions.
    Aws,
    /// `Service`: service principals such as `eks.amazonaws.com`.
    Service,
    /// `Federated`: identity providers such as an IAM OIDC provider.
    Federated,
    /// `CanonicalUser`: S3 canonical user ids.
    CanonicalUser,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalElement {
    /// True for `NotPrincipal`.
    pub negated: bool,
    /// The listed principals. `"Principal": "*"` is `(Aws, "*")`, as IAM treats the two as equal. An account
    /// id in `AWS` is stored as its root ARN, as IAM stores it.
    pub principals: Vec<(PrincipalType, String)>,
}

/// One condition: an operator applied to one context key with the values it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: ConditionOperator,
    /// The context key, as written; keys are compared without regard to case.
    pub key: String,
    /// The policy values, ORed. Booleans and numbers are kept as their JSON text.
    pub values: Vec<String>,
}

/// A condition operator with its set qualifier and `IfExists` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConditionOperator {
    pub kind: OperatorKind,
    pub qualifier: Option<SetQualifier>,
    /// True for the `...IfExists` form: a missing key makes the condition true.
    pub if_exists: bool,
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// The base condition operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorKind {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

impl OperatorKind {
    const ALL: [OperatorKind; 27] = [
        OperatorKind::StringEquals,
        OperatorKind::StringNotEquals,
        OperatorKind::StringEqualsIgnoreCase,
        OperatorKind::StringNotEqualsIgnoreCase,
        OperatorKind::StringLike,
        OperatorKind::StringNotLike,
        OperatorKind::NumericEquals,
        OperatorKind::NumericNotEquals,
        OperatorKind::NumericLessThan,
        OperatorKind::NumericLessThanEquals,
        OperatorKind::NumericGreaterThan,
        OperatorKind::NumericGreaterThanEquals,
        OperatorKind::DateEquals,
        OperatorKind::DateNotEquals,
        OperatorKind::DateLessThan,
        OperatorKind::DateLessThanEquals,
        OperatorKind::DateGreaterThan,
        OperatorKind::DateGreaterThanEquals,
        OperatorKind::Bool,
        OperatorKind::BinaryEquals,
        OperatorKind::IpAddress,
        OperatorKind::NotIpAddress,
        OperatorKind::ArnEquals,
        OperatorKind::ArnLike,
        OperatorKind::ArnNotEquals,
        OperatorKind::ArnNotLike,
        OperatorKind::Null,
    ];

    /// The operator's name as written in a policy.
    pub fn name(self) -> &'static str {
        match self {
            OperatorKind::StringEquals => "StringEquals",
            OperatorKind::StringNotEquals => "StringNotEquals",
            OperatorKind::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            OperatorKind::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            OperatorKind::StringLike => "StringLike",
            OperatorKind::StringNotLike => "StringNotLike",
            OperatorKind::NumericEquals => "NumericEquals",
            OperatorKind::NumericNotEquals => "NumericNotEquals",
            OperatorKind::NumericLessThan => "NumericLessThan",
            OperatorKind::NumericLessThanEquals => "NumericLessThanEquals",
            OperatorKind::NumericGreaterThan => "NumericGreaterThan",
            OperatorKind::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            OperatorKind::DateEquals => "DateEquals",
            OperatorKind::DateNotEquals => "DateNotEquals",
            OperatorKind::DateLessThan => "DateLessThan",
            OperatorKind::DateLessThanEquals => "DateLessThanEquals",
            OperatorKind::DateGreaterThan => "DateGreaterThan",
            OperatorKind::DateGreaterThanEquals => "DateGreaterThanEquals",
            OperatorKind::Bool => "Bool",
            OperatorKind::BinaryEquals => "BinaryEquals",
            OperatorKind::IpAddress => "IpAddress",
            OperatorKind::NotIpAddress => "NotIpAddress",
            OperatorKind::ArnEquals => "ArnEquals",
            OperatorKind::ArnLike => "ArnLike",
            OperatorKind::ArnNotEquals => "ArnNotEquals",
            OperatorKind::ArnNotLike => "ArnNotLike",
            OperatorKind::Null => "Null",
        }
    }
}

impl ConditionOperator {
    /// Reads an operator as written in a policy, e.g. `ForAnyValue:StringLikeIfExists`.
    pub fn parse(text: &str) -> Option<ConditionOperator> {
        let (qualifier, rest) = if let Some(rest) = text.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else if let Some(rest) = text.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else {
            (None, text)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let kind = OperatorKind::ALL.into_iter().find(|kind| kind.name() == base)?;
        // `Null` tests for existence itself; IAM has no `NullIfExists`.
        if kind == OperatorKind::Null && if_exists {
            return None;
        }
        Some(ConditionOperator { kind, qualifier, if_exists })
    }
}

const TOP_LEVEL_FIELDS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_FIELDS: [&str; 9] =
    ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];

impl Policy {
    /// Parses and validates a policy document of the given kind, refusing it as IAM would.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let document: Value = serde_json::from_str(text).map_err(|_| malformed("This policy contains invalid Json"))?;
        let Value::Object(document) = document else { return Err(syntax()) };
        if let Some(unknown) = document.keys().find(|key| !TOP_LEVEL_FIELDS.contains(&key.as_str())) {
            return Err(malformed(format!("Unknown field {unknown}")));
        }
        let version = match document.get("Version") {
            None => None,
            Some(Value::String(version)) if version == "2012-10-17" => Some(Version::Version2012),
            Some(Value::String(version)) if version == "2008-10-17" => Some(Version::Version2008),
            Some(_) => return Err(syntax()),
        };
        let id = match document.get("Id") {
            None => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(_) => return Err(syntax()),
        };
        let raw_statements: Vec<&Value> = match document.get("Statement") {
            None => return Err(malformed("Missing required field Statement")),
            Some(Value::Array(statements)) => statements.iter().collect(),
            Some(statement @ Value::Object(_)) => vec![statement],
            Some(_) => return Err(syntax()),
        };
        if raw_statements.is_empty() {
            return Err(malformed("Could not parse the policy: Statement is empty!"));
        }
        let statements = raw_statements.into_iter().map(parse_statement).collect::<Result<Vec<_>, _>>()?;
        let policy = Policy { version, id, statements };
        policy.validate(kind)?;
        Ok(policy)
    }

    /// True when policy variables are substituted, that is for version 2012-10-17 documents.
    pub fn variables_enabled(&self) -> bool {
        self.version == Some(Version::Version2012)
    }

    fn validate(&self, kind: PolicyKind) -> Result<(), PolicyError> {
        for statement in &self.statements {
            match (&statement.principal, kind.is_identity()) {
                (Some(_), true) => return Err(malformed("Policy document should not specify a principal.")),
                (None, false) => return Err(malformed("Missing required field Principal")),
                _ => {}
            }
            if kind == PolicyKind::Trust {
                if let Some(resource) = &statement.resource {
                    let field = if resource.negated { "NotResource" } else { "Resource" };
                    return Err(malformed(format!("Has prohibited field {field}")));
                }
                if statement.effect == Effect::Allow && statement.principal.as_ref().is_some_and(|p| p.negated) {
                    return Err(malformed("Allow with NotPrincipal is not allowed."));
                }
            }
        }
        if kind != PolicyKind::Resource {
            let pattern = "[0-9A-Za-z]*";
            for sid in self.statements.iter().filter_map(|statement| statement.sid.as_deref()) {
                if !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(malformed(format!(
                        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular \
                         expression {pattern}"
                    )));
                }
            }
        }
        let mut sids = BTreeSet::new();
        for sid in self.statements.iter().filter_map(|statement| statement.sid.as_deref()) {
            if !sid.is_empty() && !sids.insert(sid) {
                return Err(malformed("Statement IDs (SID) in a single policy must be unique."));
            }
        }
        for statement in &self.statements {
            if statement.action.values.is_empty() {
                return Err(malformed("Policy statement must contain actions."));
            }
        }
        if kind != PolicyKind::Trust {
            for statement in &self.statements {
                if statement.resource.as_ref().is_none_or(|resource| resource.values.is_empty()) {
                    return Err(malformed("Policy statement must contain resources."));
                }
            }
        }
        for statement in &self.statements {
            if let Some(principal) = &statement.principal {
                check_principals(principal)?;
            }
            for action in &statement.action.values {
                check_action(action)?;
            }
            for resource in statement.resource.iter().flat_map(|resource| &resource.values) {
                check_resource(resource)?;
            }
            for condition in &statement.conditions {
                check_condition_key(&condition.key)?;
            }
            if kind == PolicyKind::Trust
                && statement.action.values.iter().any(|action| !action.to_ascii_lowercase().starts_with("sts:"))
            {
                return Err(malformed("AssumeRole policy may only specify STS AssumeRole actions."));
            }
        }
        if kind == PolicyKind::Managed && self.version != Some(Version::Version2012) {
            return Err(malformed("Policy document must be version 2012-10-17 or greater."));
        }
        Ok(())
    }
}

fn parse_statement(value: &Value) -> Result<Statement, PolicyError> {
    let Value::Object(fields) = value else { return Err(syntax()) };
    if let Some(unknown) = fields.keys().find(|key| !STATEMENT_FIELDS.contains(&key.as_str())) {
        return Err(malformed(format!("Unknown field {unknown}")));
    }
    let sid = match fields.get("Sid") {
        None => None,
        Some(Value::String(sid)) => Some(sid.clone()),
        Some(_) => return Err(syntax()),
    };
    let effect = match fields.get("Effect") {
        None => return Err(malformed("Missing required field Effect")),
        Some(Value::String(effect)) if effect == "Allow" => Effect::Allow,
        Some(Value::String(effect)) if effect == "Deny" => Effect::Deny,
        // IAM reads the effect without regard to case first and only refuses other spellings later.
        Some(Value::String(effect)) if effect.eq_ignore_ascii_case("allow") || effect.eq_ignore_ascii_case("deny") => {
            return Err(malformed("The policy failed legacy parsing"));
        }
        Some(_) => return Err(syntax()),
    };
    let principal = match either(fields, "Principal", "NotPrincipal")? {
        None => None,
        Some((negated, value)) => Some(parse_principal(negated, value)?),
    };
    let action = match either(fields, "Action", "NotAction")? {
        None => return Err(malformed("Policy statement must contain actions.")),
        Some((negated, value)) => Element { negated, values: string_list(value)? },
    };
    let resource = match either(fields, "Resource", "NotResource")? {
        None => None,
        Some((negated, value)) => Some(Element { negated, values: string_list(value)? }),
    };
    let conditions = match fields.get("Condition") {
        None => Vec::new(),
        Some(value) => parse_conditions(value)?,
    };
    Ok(Statement { sid, effect, principal, action, resource, conditions })
}

/// The element present under `name` or its negated form `not_name`; both at once is a syntax error.
fn either<'a>(
    fields: &'a Map<String, Value>,
    name: &str,
    not_name: &str,
) -> Result<Option<(bool, &'a Value)>, PolicyError> {
    match (fields.get(name), fields.get(not_name)) {
        (Some(_), Some(_)) => Err(syntax()),
        (Some(value), None) => Ok(Some((false, value))),
        (None, Some(value)) => Ok(Some((true, value))),
        (None, None) => Ok(None),
    }
}

fn string_list(value: &Value) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(text) => Ok(vec![text.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => Ok(text.clone()),
                _ => Err(syntax()),
            })
            .collect(),
        _ => Err(syntax()),
    }
}

fn parse_principal(negated: bool, value: &Value) -> Result<PrincipalElement, PolicyError> {
    let principals = match value {
        Value::String(text) if text == "*" => vec![(PrincipalType::Aws, "*".to_owned())],
        Value::Object(map) if map.is_empty() => {
            return Err(malformed("Missing required field Principal cannot be empty!"));
        }
        Value::Object(map) => {
            let mut principals = Vec::new();
            for (name, values) in map {
                let principal_type = match name.as_str() {
                    "AWS" => PrincipalType::Aws,
                    "Service" => PrincipalType::Service,
                    "Federated" => PrincipalType::Federated,
                    "CanonicalUser" => PrincipalType::CanonicalUser,
                    _ => return Err(syntax()),
                };
                for value in string_list(values)? {
                    let value = if principal_type == PrincipalType::Aws && is_account_id(&value) {
                        format!("arn:aws:iam::{value}:root")
                    } else {
                        value
                    };
                    principals.push((principal_type, value));
                }
            }
            principals
        }
        _ => return Err(syntax()),
    };
    Ok(PrincipalElement { negated, principals })
}

fn parse_conditions(value: &Value) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(operators) = value else { return Err(syntax()) };
    let mut conditions = Vec::new();
    for (operator_name, block) in operators {
        let Value::Object(keys) = block else { return Err(syntax()) };
        let operator = ConditionOperator::parse(operator_name).ok_or_else(syntax)?;
        for (key, values) in keys {
            let values = match values {
                Value::Array(items) => items.iter().map(condition_value).collect::<Result<Vec<_>, _>>()?,
                scalar => vec![condition_value(scalar)?],
            };
            conditions.push(Condition { operator, key: key.clone(), values });
        }
    }
    Ok(conditions)
}

fn condition_value(value: &Value) -> Result<String, PolicyError> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Number(number) => Ok(number.to_string()),
        _ => Err(syntax()),
    }
}

fn check_action(action: &str) -> Result<(), PolicyError> {
    if action == "*" {
        return Ok(());
    }
    let parts: Vec<&str> = action.split(':').collect();
    match parts.len() {
        1 => Err(malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")),
        2 if parts[0] == "*" || is_vendor(parts[0]) => Ok(()),
        2 => Err(malformed(format!("Vendor {} is not valid", parts[0]))),
        _ => Err(malformed("Actions/Condition can contain only one colon.")),
    }
}

fn is_vendor(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

fn check_condition_key(key: &str) -> Result<(), PolicyError> {
    if key.contains(':') {
        Ok(())
    } else {
        Err(malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."))
    }
}

fn check_resource(resource: &str) -> Result<(), PolicyError> {
    if resource == "*" {
        return Ok(());
    }
    if !resource.contains(':') {
        return Err(malformed(format!("Resource {resource} must be in ARN format or \"*\".")));
    }
    let parts: Vec<&str> = resource.splitn(4, ':').collect();
    if parts[0] == "arn" && parts.len() >= 3 && parts[2].is_empty() {
        return Err(malformed("Resource vendor must be fully qualified and cannot contain regexes."));
    }
    Ok(())
}

fn check_principals(element: &PrincipalElement) -> Result<(), PolicyError> {
    for (principal_type, value) in &element.principals {
        let (valid, label) = match principal_type {
            PrincipalType::Aws => (value == "*" || is_account_id(value) || is_aws_principal_arn(value), "AWS"),
            PrincipalType::Service => (is_service_name(value), "SERVICE"),
            PrincipalType::Federated => (is_federated_provider(value), "FEDERATED"),
            PrincipalType::CanonicalUser => (!value.is_empty(), "CANONICAL_USER"),
        };
        if !valid {
            return Err(malformed(format!("Invalid principal in policy: \"{label}\":\"{value}\"")));
        }
    }
    Ok(())
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// An account root, user, role, role session or federated user ARN, without wildcards.
fn is_aws_principal_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else { return false };
    if arn != "arn" || partition.is_empty() || !region.is_empty() || !is_account_id(account) {
        return false;
    }
    if text.contains(['*', '?']) {
        return false;
    }
    match service {
        "iam" => {
            resource == "root"
                || ["user/", "role/"].iter().any(|prefix| resource.strip_prefix(prefix).is_some_and(|n| !n.is_empty()))
        }
        "sts" => ["assumed-role/", "federated-user/"]
            .iter()
            .any(|prefix| resource.strip_prefix(prefix).is_some_and(|n| !n.is_empty())),
        _ => false,
    }
}

fn is_service_name(text: &str) -> bool {
    text.contains('.')
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && !text.starts_with('.')
        && !text.ends_with('.')
}

fn is_federated_provider(text: &str) -> bool {
    if text.contains(['*', '?']) || text.chars().any(char::is_whitespace) {
        return false;
    }
    if text.starts_with("arn:") {
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let [_, _, service, _, account, resource] = parts[..] else { return false };
        return service == "iam"
            && is_account_id(account)
            && ["oidc-provider/", "saml-provider/"]
                .iter()
                .any(|prefix| resource.strip_prefix(prefix).is_some_and(|n| !n.is_empty()));
    }
    // Public identity providers are named by their host, e.g. `accounts.google.com`.
    text.contains('.')
}

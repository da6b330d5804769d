//! Evaluation of one request against the policies that apply to it, following AWS's policy evaluation logic
//! for requests within one account:
//!
//! 1. An applicable `Deny` in any policy (identity, resource-based, permissions boundary) decides.
//! 2. The account root user is allowed everything else.
//! 3. A resource-based policy that allows the principal by its own ARN (a user, a role session, a service, a
//!    federated provider, or `*`) decides, whatever the identity policies and the boundary say.
//! 4. A resource-based policy that allows a role session by its role's ARN counts only if the permissions
//!    boundary, when there is one, allows too.
//! 5. Otherwise an identity policy must allow, and the boundary, when there is one, must allow too. A
//!    resource-based policy that names only the principal's account delegates to the identity policies and
//!    grants nothing by itself, as a trust policy naming `arn:aws:iam::<account>:root` does.
//! 6. Everything else is an implicit deny.
//!
//! The [`Decision`] names the statement that decided, so callers can write AWS's `AccessDenied` messages.

use super::condition;
use super::document::{Effect, Element, Policy, PrincipalElement, PrincipalType, Statement};
use super::glob::{Case, Pattern};
use super::request::{Context, Identity, Principal, PrincipalKind, Request};
use super::variables::substitute;

#[cfg(test)]
mod tests;

/// The kinds of policy that take part in a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyType {
    /// A policy attached to the principal (managed or inline).
    Identity,
    /// A policy attached to the resource, such as a role's trust policy.
    Resource,
    /// The principal's permissions boundary.
    Boundary,
}

/// One statement of one policy: what a decision points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    pub policy_type: PolicyType,
    /// The name the caller gave the policy in the [`PolicySet`], such as its ARN.
    pub policy: String,
    /// The statement's `Sid`, if it has one.
    pub sid: Option<String>,
    /// The statement's position in its policy, from 0.
    pub index: usize,
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed by this statement; `None` when the account root user acts and no statement was needed.
    Allow(Option<StatementRef>),
    /// Denied by this statement.
    ExplicitDeny(StatementRef),
    /// Denied because no policy of this type allows: `Identity` when no identity policy allows, `Boundary`
    /// when one did but the permissions boundary does not, `Resource` for a service or federated principal
    /// (which has no identity policies) that the resource-based policy does not allow.
    ImplicitDeny(PolicyType),
}

impl Decision {
    /// True for [`Decision::Allow`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    /// The message of AWS's `AccessDenied` error for this decision, or `None` when the request is allowed.
    pub fn access_denied_message(&self, request: &Request) -> Option<String> {
        let action = &request.action;
        let reason = match self {
            Decision::Allow(_) => return None,
            Decision::ExplicitDeny(statement) => match statement.policy_type {
                PolicyType::Identity => "with an explicit deny in an identity-based policy".to_owned(),
                PolicyType::Resource => "with an explicit deny in a resource-based policy".to_owned(),
                PolicyType::Boundary => "with an explicit deny in a permissions boundary".to_owned(),
            },
            Decision::ImplicitDeny(PolicyType::Identity) => {
                format!("because no identity-based policy allows the {action} action")
            }
            Decision::ImplicitDeny(PolicyType::Resource) => {
                format!("because no resource-based policy allows the {action} action")
            }
            Decision::ImplicitDeny(PolicyType::Boundary) => {
                format!("because no permissions boundary allows the {action} action")
            }
        };
        Some(format!(
            "User: {} is not authorized to perform: {action} on resource: {} {reason}",
            request.principal.arn, request.resource
        ))
    }
}

/// The policies that apply to one request, each with the name a [`StatementRef`] reports.
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'a> {
    identity: Vec<(&'a str, &'a Policy)>,
    resource: Option<(&'a str, &'a Policy)>,
    boundary: Option<(&'a str, &'a Policy)>,
}

impl<'a> PolicySet<'a> {
    /// No policies: everything but the root user is implicitly denied.
    pub fn new() -> PolicySet<'a> {
        PolicySet::default()
    }

    /// Adds an identity policy of the principal.
    pub fn identity(mut self, name: &'a str, policy: &'a Policy) -> PolicySet<'a> {
        self.identity.push((name, policy));
        self
    }

    /// Sets the resource-based policy (for `sts:AssumeRole*`, the role's trust policy).
    pub fn resource(mut self, name: &'a str, policy: &'a Policy) -> PolicySet<'a> {
        self.resource = Some((name, policy));
        self
    }

    /// Sets the principal's permissions boundary.
    pub fn boundary(mut self, name: &'a str, policy: &'a Policy) -> PolicySet<'a> {
        self.boundary = Some((name, policy));
        self
    }
}

/// Decides `request` against `policies`.
pub fn evaluate(request: &Request, policies: &PolicySet<'_>) -> Decision {
    let context = request.effective_context();
    let mut deny: Option<StatementRef> = None;
    let mut identity_allow: Option<StatementRef> = None;
    let mut resource_allow: Option<(StatementRef, Identity)> = None;
    let mut boundary_allow: Option<StatementRef> = None;

    let sources = policies
        .identity
        .iter()
        .map(|policy| (PolicyType::Identity, policy))
        .chain(policies.resource.iter().map(|policy| (PolicyType::Resource, policy)))
        .chain(policies.boundary.iter().map(|policy| (PolicyType::Boundary, policy)));
    for (policy_type, (name, policy)) in sources {
        for (index, statement) in policy.statements.iter().enumerate() {
            let Some(identity) = applies(statement, policy, request, &context) else { continue };
            let reference =
                || StatementRef { policy_type, policy: (*name).to_owned(), sid: statement.sid.clone(), index };
            match (statement.effect, policy_type) {
                (Effect::Deny, _) => {
                    deny.get_or_insert_with(reference);
                }
                (Effect::Allow, PolicyType::Identity) => {
                    identity_allow.get_or_insert_with(reference);
                }
                (Effect::Allow, PolicyType::Boundary) => {
                    boundary_allow.get_or_insert_with(reference);
                }
                // Keep the most direct grant: by own name before by role before by account.
                (Effect::Allow, PolicyType::Resource) => {
                    if resource_allow.as_ref().is_none_or(|(_, best)| identity < *best) {
                        resource_allow = Some((reference(), identity));
                    }
                }
            }
        }
    }

    if let Some(deny) = deny {
        return Decision::ExplicitDeny(deny);
    }
    if request.principal.kind == PrincipalKind::Root {
        return Decision::Allow(identity_allow.or(resource_allow.map(|(statement, _)| statement)));
    }
    let boundary_allows = policies.boundary.is_none() || boundary_allow.is_some();
    match resource_allow {
        Some((statement, Identity::Direct)) => return Decision::Allow(Some(statement)),
        Some((statement, Identity::Role)) if boundary_allows => return Decision::Allow(Some(statement)),
        _ => {}
    }
    if identity_allow.is_some() && boundary_allows {
        return Decision::Allow(identity_allow);
    }
    if identity_allow.is_some() || matches!(resource_allow, Some((_, Identity::Role))) {
        return Decision::ImplicitDeny(PolicyType::Boundary);
    }
    match request.principal.kind {
        PrincipalKind::Service | PrincipalKind::Federated => Decision::ImplicitDeny(PolicyType::Resource),
        _ => Decision::ImplicitDeny(PolicyType::Identity),
    }
}

/// Whether `statement` applies to the request and, if so, how its `Principal` named the principal
/// (`Direct` for statements without one).
fn applies(statement: &Statement, policy: &Policy, request: &Request, context: &Context) -> Option<Identity> {
    let identity = match &statement.principal {
        None => Identity::Direct,
        Some(principal) => principal_matches(principal, &request.principal)?,
    };
    if !action_matches(&statement.action, &request.action) {
        return None;
    }
    if let Some(resource) = &statement.resource {
        let variables = policy.variables_enabled();
        let patterns =
            resource.values.iter().map(|value| substitute(value, context, variables)).collect::<Option<Vec<_>>>()?;
        let listed = patterns.iter().any(|pattern| pattern.matches_arn(&request.resource));
        if listed == resource.negated {
            return None;
        }
    }
    for condition in &statement.conditions {
        if !condition::holds(condition, context, policy.variables_enabled())? {
            return None;
        }
    }
    Some(identity)
}

fn action_matches(element: &Element, action: &str) -> bool {
    let listed = element.values.iter().any(|pattern| Pattern::wildcard(pattern).matches(action, Case::Insensitive));
    listed != element.negated
}

/// How `element` names `principal`. A `Principal` matches when it lists any name the principal answers to;
/// a `NotPrincipal` excludes a principal only when it lists every one of those names (a session, its role
/// and its account), as AWS documents for `NotPrincipal`.
fn principal_matches(element: &PrincipalElement, principal: &Principal) -> Option<Identity> {
    let identities = principal.identities();
    let listed = |principal_type: PrincipalType, name: &str| {
        element.principals.iter().any(|(listed_type, listed_name)| {
            (*listed_type == PrincipalType::Aws && listed_name == "*")
                || (*listed_type == principal_type
                    && match principal_type {
                        PrincipalType::Service => listed_name.eq_ignore_ascii_case(name),
                        _ => listed_name == name,
                    })
        })
    };
    if element.negated {
        let excluded = identities.iter().all(|(principal_type, name, _)| listed(*principal_type, name));
        return if excluded { None } else { Some(Identity::Direct) };
    }
    identities.iter().find(|(principal_type, name, _)| listed(*principal_type, name)).map(|(_, _, identity)| *identity)
}

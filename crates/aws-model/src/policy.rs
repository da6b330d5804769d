//! The IAM policy language: documents as IAM accepts them ([`Policy::parse`], with IAM's
//! `MalformedPolicyDocument` messages), their size as IAM counts it ([`policy_size`]), and the evaluation
//! of one request against the policies that apply to it ([`evaluate`]) following AWS's evaluation logic for
//! requests within one account.
//!
//! The submodules split the work: `document` parses and validates, `glob` matches IAM wildcards, `variables`
//! substitutes policy variables, `request` describes who asks for what, `condition` evaluates the
//! `Condition` block and `evaluate` combines statements and policies into a [`Decision`].

mod condition;
mod document;
mod evaluate;
mod glob;
mod request;
mod variables;

pub use document::{
    Condition, ConditionOperator, Effect, Element, INLINE_GROUP_POLICIES_MAX_SIZE, INLINE_ROLE_POLICIES_MAX_SIZE,
    INLINE_USER_POLICIES_MAX_SIZE, MANAGED_POLICY_MAX_SIZE, OperatorKind, Policy, PolicyError, PolicyKind,
    PrincipalElement, PrincipalType, SetQualifier, Statement, TRUST_POLICY_DEFAULT_MAX_SIZE, Version, policy_size,
};
pub use evaluate::{Decision, PolicySet, PolicyType, StatementRef, evaluate};
pub use request::{Context, Principal, PrincipalKind, Request};

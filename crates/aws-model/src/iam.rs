//! IAM: roles, users and their access keys, managed and inline policies, instance profiles and OpenID Connect
//! providers, groups, with IAM's validations, quotas and messages.
//!
//! IAM is global: one per account, each entity a record under `Records::global_key(account, "iam", kind, id)`,
//! keyed by its lowercased name because IAM names are unique without regard to case. Attached managed policies
//! and inline policies live in the role or user record they belong to; attachment counts are computed from them.
//! Access keys are the exception: a signed request names only its key id, so each key is one record under
//! `/aws/access-keys/<id>`, server-wide, holding its account and user. The AWS managed policies
//! (`arn:aws:iam::aws:policy/...`) are a fixed catalog ([`managed`]) present in every account.
//!
//! This file holds the entities, errors and the record plumbing; the operations live in one submodule per entity
//! (`roles`, `policies`, `profiles`, `providers`, `users`, `groups`, `service_linked`), with what several entities share in
//! `inline` (inline policies) and `tagging` (tags), and IAM's input rules in `check`.

mod authorization;
mod check;
mod groups;
mod inline;
pub mod managed;
mod policies;
mod profiles;
mod providers;
mod roles;
mod service_linked;
mod tagging;
mod users;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::policy::{self, Policy, PolicyKind, PolicySet, Principal, Request};
use crate::records::{Record, RecordError, Records};

pub use authorization::{AuthorizationDetail, ENTITY_TYPES};
pub use check::MAX_TAGS;
pub use inline::InlineOwner;
pub use tagging::Taggable;

/// IAM's errors, each one of its wire error codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IamError {
    /// `NoSuchEntity` (404).
    #[error("{0}")]
    NoSuchEntity(String),
    /// `EntityAlreadyExists` (409).
    #[error("{0}")]
    EntityAlreadyExists(String),
    /// `MalformedPolicyDocument` (400).
    #[error("{0}")]
    MalformedPolicyDocument(String),
    /// `LimitExceeded` (409).
    #[error("{0}")]
    LimitExceeded(String),
    /// `DeleteConflict` (409).
    #[error("{0}")]
    DeleteConflict(String),
    /// `InvalidInput` (400).
    #[error("{0}")]
    InvalidInput(String),
    /// `ValidationError` (400).
    #[error("{0}")]
    Validation(String),
    /// `UnmodifiableEntity` (400): service-linked roles and AWS managed policies.
    #[error("{0}")]
    UnmodifiableEntity(String),
    /// `ServiceFailure` (500).
    #[error("{0}")]
    ServiceFailure(String),
}

impl From<RecordError> for IamError {
    fn from(error: RecordError) -> Self {
        IamError::ServiceFailure(error.to_string())
    }
}

/// A tag on an IAM entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An IAM role as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub path: String,
    /// `AROA` + 17 characters.
    pub id: String,
    pub arn: String,
    /// Unix seconds.
    pub created_at: f64,
    /// The trust policy as given (not URL-encoded).
    pub assume_role_policy: String,
    pub description: Option<String>,
    pub max_session_duration: i64,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
    /// ARNs of the attached managed policies, in attachment order.
    pub attached_policies: Vec<String>,
    /// Inline policies by name.
    pub inline_policies: BTreeMap<String, String>,
}

impl Role {
    /// Whether `service` (such as `eks.amazonaws.com`) may assume this role: its trust policy allows
    /// `sts:AssumeRole` to that service principal.
    pub fn trusts_service(&self, service: &str) -> bool {
        role_trusts_service(self, service)
    }

    /// Whether this is a service-linked role, which only its service may change.
    pub fn is_service_linked(&self) -> bool {
        self.path.starts_with("/aws-service-role/")
    }
}

/// Whether `service` may assume `role`: its trust policy, evaluated as IAM does, allows `sts:AssumeRole` by the
/// service principal.
pub fn role_trusts_service(role: &Role, service: &str) -> bool {
    let Ok(trust) = Policy::parse(&role.assume_role_policy, PolicyKind::Trust) else { return false };
    let request = Request::new(Principal::service(service), "sts:AssumeRole", &role.arn);
    policy::evaluate(&request, &PolicySet::new().resource(&role.arn, &trust)).is_allowed()
}

/// An IAM user as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub path: String,
    /// `AIDA` + 17 characters.
    pub id: String,
    pub arn: String,
    pub created_at: f64,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
    pub attached_policies: Vec<String>,
    /// Inline policies by name.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
}

/// An IAM group as stored, with its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub path: String,
    /// `AGPA` + 17 characters.
    pub id: String,
    pub arn: String,
    pub created_at: f64,
    /// The names of its users, in the order they were added.
    pub members: Vec<String>,
    pub attached_policies: Vec<String>,
    /// Inline policies by name.
    pub inline_policies: BTreeMap<String, String>,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    pub version_id: String,
    /// The document as given (not URL-encoded).
    pub document: String,
    pub created_at: f64,
}

/// A managed policy: a customer managed one as stored, or one of the AWS managed catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub path: String,
    /// `ANPA` + 17 characters.
    pub id: String,
    pub arn: String,
    pub description: Option<String>,
    pub created_at: f64,
    pub updated_at: f64,
    pub default_version: String,
    /// Oldest first; at most [`MAX_POLICY_VERSIONS`].
    pub versions: Vec<PolicyVersion>,
    /// The number the next version gets.
    pub next_version: u32,
    pub tags: Vec<Tag>,
}

impl ManagedPolicy {
    /// The default version's document.
    pub fn default_document(&self) -> &str {
        self.versions.iter().find(|v| v.version_id == self.default_version).map_or("", |v| &v.document)
    }

    /// Whether AWS owns this policy (`arn:aws:iam::aws:policy/...`).
    pub fn is_aws_managed(&self) -> bool {
        self.arn.starts_with("arn:aws:iam::aws:")
    }
}

/// A managed policy with the counts IAM reports beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyView {
    pub policy: ManagedPolicy,
    /// Roles and users the policy is attached to.
    pub attachment_count: usize,
    /// Roles and users whose permissions boundary it is.
    pub boundary_count: usize,
}

/// An instance profile as stored: at most one role, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceProfile {
    pub name: String,
    pub path: String,
    /// `AIPA` + 17 characters.
    pub id: String,
    pub arn: String,
    pub created_at: f64,
    pub roles: Vec<String>,
    pub tags: Vec<Tag>,
}

/// An instance profile with its roles, as IAM returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceProfileView {
    pub profile: InstanceProfile,
    pub roles: Vec<Role>,
}

/// An OpenID Connect identity provider as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenIdConnectProvider {
    /// The issuer URL without `https://`, as the ARN carries it.
    pub url: String,
    pub arn: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub created_at: f64,
    pub tags: Vec<Tag>,
}

/// `Active` or `Inactive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessKeyStatus {
    Active,
    Inactive,
}

impl AccessKeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKeyStatus::Active => "Active",
            AccessKeyStatus::Inactive => "Inactive",
        }
    }

    /// `Active` or `Inactive`, exactly.
    pub fn parse(text: &str) -> Result<AccessKeyStatus, IamError> {
        match text {
            "Active" => Ok(AccessKeyStatus::Active),
            "Inactive" => Ok(AccessKeyStatus::Inactive),
            other => Err(check::constraint(
                other,
                "status",
                "Member must satisfy enum value set: [Active, Inactive, Expired]",
            )),
        }
    }
}

/// An access key of a user, with what a signed request needs to know about its owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessKey {
    /// `AKIA` + 16 characters.
    pub id: String,
    /// 40 characters.
    pub secret: String,
    pub status: AccessKeyStatus,
    pub created_at: f64,
    pub account: String,
    pub user_name: String,
    pub user_arn: String,
    pub user_id: String,
}

/// New role input, decoded from the wire.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateRole {
    pub name: String,
    pub path: Option<String>,
    pub assume_role_policy: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
}

/// Whose policies [`Iam::principal_policies`] gathers, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyHolder<'a> {
    User(&'a str),
    Role(&'a str),
}

/// The policy documents that decide a principal's own requests, each with its name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalPolicies {
    /// Attached managed policies (by ARN) and inline policies (by name).
    pub identity: Vec<(String, String)>,
    /// The permissions boundary (ARN, document).
    pub boundary: Option<(String, String)>,
}

/// `Marker` and `MaxItems` of a list call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paging {
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

/// One page of a list; `marker` is set when the list is truncated.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub marker: Option<String>,
}

/// Which policies ListPolicies lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyScope {
    All,
    Aws,
    Local,
}

impl PolicyScope {
    /// `All`, `AWS` or `Local`.
    pub fn parse(text: &str) -> Result<PolicyScope, IamError> {
        match text {
            "All" => Ok(PolicyScope::All),
            "AWS" => Ok(PolicyScope::Aws),
            "Local" => Ok(PolicyScope::Local),
            other => Err(check::constraint(other, "scope", "Member must satisfy enum value set: [All, AWS, Local]")),
        }
    }
}

/// The managed policies a role or user may have attached.
pub const MAX_ATTACHED_POLICIES: usize = 10;
/// The versions a managed policy may keep.
pub const MAX_POLICY_VERSIONS: usize = 5;
/// The access keys a user may have.
pub const MAX_ACCESS_KEYS: usize = 2;
/// The roles an instance profile may hold.
pub const MAX_INSTANCE_PROFILE_ROLES: usize = 1;
/// The thumbprints an OpenID Connect provider may have.
pub const MAX_THUMBPRINTS: usize = 5;
/// The client ids an OpenID Connect provider may have.
pub const MAX_CLIENT_IDS: usize = 100;

/// The groups an account may have.
pub const MAX_GROUPS: usize = 300;
/// The groups a user may be in.
pub const MAX_GROUPS_PER_USER: usize = 10;

/// The name of the role EKS creates in an account with its first cluster.
pub const EKS_SERVICE_LINKED_ROLE: &str = "AWSServiceRoleForAmazonEKS";

/// The IAM service of one server.
#[derive(Debug, Clone)]
pub struct Iam {
    records: Records,
    clock: Arc<dyn Clock>,
}

const ROLES: &str = "roles";
const USERS: &str = "users";
const POLICIES: &str = "policies";
const PROFILES: &str = "instance-profiles";
const PROVIDERS: &str = "oidc-providers";
const GROUPS: &str = "groups";

fn key(account: &str, kind: &str, id: &str) -> String {
    Records::global_key(account, "iam", kind, &id.to_lowercase())
}

fn access_key_key(id: &str) -> String {
    format!("/aws/access-keys/{id}")
}

/// `count` random characters from `alphabet`.
pub(crate) fn random_chars(count: usize, alphabet: &[u8]) -> String {
    let mut bytes = vec![0u8; count];
    getrandom::fill(&mut bytes).expect("the operating system provides random bytes");
    bytes.iter().map(|b| alphabet[*b as usize % alphabet.len()] as char).collect()
}

pub(crate) const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A unique id as IAM makes them: a four-letter prefix and 17 uppercase letters and digits.
fn unique_id(prefix: &str) -> String {
    format!("{prefix}{}", random_chars(17, UPPER_ALNUM))
}

fn role_not_found(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The role with name {name} cannot be found."))
}

fn user_not_found(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The user with name {name} cannot be found."))
}

fn group_not_found(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The group with name {name} cannot be found."))
}

fn profile_not_found(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("Instance Profile {name} cannot be found."))
}

fn policy_not_found(arn: &str) -> IamError {
    IamError::NoSuchEntity(format!("Policy {arn} was not found."))
}

fn not_attachable(arn: &str) -> IamError {
    IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
}

fn provider_not_found(arn: &str) -> IamError {
    IamError::NoSuchEntity(format!("OpenIDConnect Provider not found for arn {arn}"))
}

fn malformed(error: policy::PolicyError) -> IamError {
    IamError::MalformedPolicyDocument(error.message().to_owned())
}

/// Sorts `items` by key and cuts the page after `paging.marker`; the marker is the last key, base64.
fn paginate<T>(mut items: Vec<(String, T)>, paging: &Paging) -> Result<Page<T>, IamError> {
    let limit = check::max_items(paging.max_items)?;
    let after = match &paging.marker {
        None => None,
        Some(marker) if marker.is_empty() || marker.chars().count() > 320 => {
            return Err(check::constraint(marker, "marker", "Member must have length between 1 and 320"));
        }
        Some(marker) => Some(
            crate::ids::unbase64(marker)
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| IamError::InvalidInput("Invalid Marker".into()))?,
        ),
    };
    items.sort_by(|a, b| a.0.cmp(&b.0));
    items.retain(|(key, _)| after.as_ref().is_none_or(|after| key > after));
    let more = items.len() > limit;
    items.truncate(limit);
    let marker = if more { items.last().map(|(key, _)| crate::ids::base64(key.as_bytes())) } else { None };
    Ok(Page { items: items.into_iter().map(|(_, item)| item).collect(), marker })
}

/// Whether `path` starts with `prefix` (no prefix lists everything).
fn under(path: &str, prefix: Option<&str>) -> bool {
    prefix.is_none_or(|prefix| path.starts_with(prefix))
}

impl Iam {
    pub fn new(records: Records, clock: Arc<dyn Clock>) -> Iam {
        Iam { records, clock }
    }

    fn now(&self) -> f64 {
        self.clock.now()
    }

    /// The records IAM keeps its entities in, which STS shares for its sessions.
    pub(crate) fn records(&self) -> &Records {
        &self.records
    }

    /// The clock IAM reads.
    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    async fn get<T: Record>(&self, key: &str) -> Result<Option<T>, IamError> {
        Ok(self.records.get::<T>(key).await?.map(|stored| stored.value))
    }

    async fn list<T: Record>(&self, account: &str, kind: &str) -> Result<Vec<T>, IamError> {
        let prefix = Records::global_key(account, "iam", kind, "");
        Ok(self.records.list::<T>(&prefix).await?.into_iter().map(|stored| stored.value).collect())
    }

    async fn create<T: Serialize>(&self, key: &str, value: &T, exists: IamError) -> Result<(), IamError> {
        match self.records.create(key, value).await {
            Ok(_) => Ok(()),
            Err(RecordError::Exists(_)) => Err(exists),
            Err(error) => Err(error.into()),
        }
    }

    /// Reads, changes and writes back one record, retrying when it changed in between.
    async fn modify<T, R>(
        &self,
        key: &str,
        missing: impl Fn() -> IamError,
        mut change: impl FnMut(&mut T) -> Result<R, IamError>,
    ) -> Result<(T, R), IamError>
    where
        T: Serialize + Record,
    {
        for _ in 0..16 {
            let Some(stored) = self.records.get::<T>(key).await? else { return Err(missing()) };
            let mut value = stored.value;
            let out = change(&mut value)?;
            match self.records.update(key, &value, stored.revision).await {
                Ok(_) => return Ok((value, out)),
                Err(RecordError::Conflict(_)) => continue,
                Err(RecordError::NotFound(_)) => return Err(missing()),
                Err(error) => return Err(error.into()),
            }
        }
        Err(IamError::ServiceFailure("the entity kept changing; retry".into()))
    }

    async fn delete_record(&self, key: &str, missing: IamError) -> Result<(), IamError> {
        match self.records.delete(key, None).await {
            Ok(()) => Ok(()),
            Err(RecordError::NotFound(_)) => Err(missing),
            Err(error) => Err(error.into()),
        }
    }
}

/// Adds or replaces tags by key (without regard to case), keeping IAM's quota.
fn merge_tags(tags: &mut Vec<Tag>, new: &[Tag]) -> Result<(), IamError> {
    let mut merged = tags.clone();
    for tag in new {
        match merged.iter_mut().find(|t| t.key.eq_ignore_ascii_case(&tag.key)) {
            Some(existing) => existing.value = tag.value.clone(),
            None => merged.push(tag.clone()),
        }
    }
    if merged.len() > MAX_TAGS {
        return Err(IamError::LimitExceeded(format!("Cannot exceed quota for TagsPerRole: {MAX_TAGS}")));
    }
    *tags = merged;
    Ok(())
}

#[cfg(test)]
mod tests;

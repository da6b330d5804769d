//! IAM: roles, users and their access keys, managed and inline policies, instance profiles and OpenID Connect
//! providers, with IAM's validations, quotas and messages.
//!
//! IAM is global: one per account, each entity a record under `Records::global_key(account, "iam", kind, id)`,
//! keyed by its lowercased name because IAM names are unique without regard to case. Attached managed policies
//! and inline policies live in the role or user record they belong to; attachment counts are computed from them.
//! Access keys are the exception: a signed request names only its key id, so each key is one record under
//! `/aws/access-keys/<id>`, server-wide, holding its account and user. The AWS managed policies
//! (`arn:aws:iam::aws:policy/...`) are a fixed catalog ([`managed`]) present in every account.

mod check;
pub mod managed;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::policy::{self, Policy, PolicyKind, PolicySet, Principal, Request};
use crate::records::{RecordError, Records};

pub use check::MAX_TAGS;

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

fn key(account: &str, kind: &str, id: &str) -> String {
    Records::global_key(account, "iam", kind, &id.to_lowercase())
}

fn access_key_key(id: &str) -> String {
    format!("/aws/access-keys/{id}")
}

/// `count` random characters from `alphabet`.
fn random_chars(count: usize, alphabet: &[u8]) -> String {
    let mut bytes = vec![0u8; count];
    getrandom::fill(&mut bytes).expect("the operating system provides random bytes");
    bytes.iter().map(|b| alphabet[*b as usize % alphabet.len()] as char).collect()
}

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

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

    async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, IamError> {
        Ok(self.records.get::<T>(key).await?.map(|stored| stored.value))
    }

    async fn list<T: DeserializeOwned>(&self, account: &str, kind: &str) -> Result<Vec<T>, IamError> {
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
        T: Serialize + DeserializeOwned,
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

    // Roles.

    fn parse_trust(document: &str) -> Result<(), IamError> {
        check::document(document, "assumeRolePolicyDocument")?;
        Policy::parse(document, PolicyKind::Trust).map_err(malformed)?;
        let size = policy::policy_size(document);
        if size > policy::TRUST_POLICY_DEFAULT_MAX_SIZE {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for ACLSizePerRole: {}",
                policy::TRUST_POLICY_DEFAULT_MAX_SIZE
            )));
        }
        Ok(())
    }

    async fn check_boundary(&self, account: &str, arn: &str) -> Result<(), IamError> {
        if self.find_policy(account, arn).await?.is_none() {
            return Err(IamError::NoSuchEntity(format!("Scope ARN: {arn} does not exist or is not attachable.")));
        }
        Ok(())
    }

    pub async fn create_role(&self, account: &str, input: CreateRole) -> Result<Role, IamError> {
        check::name(&input.name, "roleName", 64)?;
        let path = input.path.clone().unwrap_or_else(|| "/".into());
        check::path(&path)?;
        if let Some(description) = &input.description {
            check::description(description)?;
        }
        let max_session_duration = input.max_session_duration.unwrap_or(3600);
        check::max_session_duration(max_session_duration)?;
        check::tags(&input.tags)?;
        Self::parse_trust(&input.assume_role_policy)?;
        if let Some(boundary) = &input.permissions_boundary {
            self.check_boundary(account, boundary).await?;
        }
        let role = Role {
            arn: format!("arn:aws:iam::{account}:role{path}{}", input.name),
            name: input.name.clone(),
            path,
            id: unique_id("AROA"),
            created_at: self.now(),
            assume_role_policy: input.assume_role_policy,
            description: input.description,
            max_session_duration,
            permissions_boundary: input.permissions_boundary,
            tags: input.tags,
            attached_policies: Vec::new(),
            inline_policies: BTreeMap::new(),
        };
        let exists = IamError::EntityAlreadyExists(format!("Role with name {} already exists.", input.name));
        self.create(&key(account, ROLES, &role.name), &role, exists).await?;
        Ok(role)
    }

    /// A role by name; IAM's `NoSuchEntity` when there is none.
    pub async fn get_role(&self, account: &str, name: &str) -> Result<Role, IamError> {
        check::name(name, "roleName", 64)?;
        self.get(&key(account, ROLES, name)).await?.ok_or_else(|| role_not_found(name))
    }

    /// A role by ARN (path included), `None` when the account has no such role.
    pub async fn role_by_arn(&self, account: &str, arn: &str) -> Result<Option<Role>, IamError> {
        let Some(name) = arn.strip_prefix(&format!("arn:aws:iam::{account}:role/")).and_then(|r| r.rsplit('/').next())
        else {
            return Ok(None);
        };
        Ok(self.get::<Role>(&key(account, ROLES, name)).await?.filter(|role| role.arn == arn))
    }

    /// The ARNs of the managed policies attached to a role.
    pub async fn attached_role_policy_arns(&self, account: &str, role: &str) -> Result<Vec<String>, IamError> {
        Ok(self.get_role(account, role).await?.attached_policies)
    }

    pub async fn list_roles(
        &self,
        account: &str,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<Role>, IamError> {
        if let Some(prefix) = path_prefix {
            check::path_prefix(prefix)?;
        }
        let roles = self.list::<Role>(account, ROLES).await?;
        let items = roles.into_iter().filter(|r| under(&r.path, path_prefix)).map(|r| (r.name.to_lowercase(), r));
        paginate(items.collect(), paging)
    }

    fn modifiable(role: &Role) -> Result<(), IamError> {
        if role.is_service_linked() {
            return Err(IamError::UnmodifiableEntity(format!(
                "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
                role.name
            )));
        }
        Ok(())
    }

    async fn modify_role<R>(
        &self,
        account: &str,
        name: &str,
        change: impl FnMut(&mut Role) -> Result<R, IamError>,
    ) -> Result<(Role, R), IamError> {
        check::name(name, "roleName", 64)?;
        self.modify(&key(account, ROLES, name), || role_not_found(name), change).await
    }

    pub async fn delete_role(&self, account: &str, name: &str) -> Result<(), IamError> {
        let role = self.get_role(account, name).await?;
        Self::modifiable(&role)?;
        if !role.attached_policies.is_empty() {
            return Err(IamError::DeleteConflict("Cannot delete entity, must detach all policies first.".into()));
        }
        if !role.inline_policies.is_empty() {
            return Err(IamError::DeleteConflict("Cannot delete entity, must delete policies first.".into()));
        }
        let profiles = self.list::<InstanceProfile>(account, PROFILES).await?;
        if profiles.iter().any(|p| p.roles.iter().any(|r| r.eq_ignore_ascii_case(&role.name))) {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must remove roles from instance profile first.".into(),
            ));
        }
        self.delete_record(&key(account, ROLES, name), role_not_found(name)).await
    }

    pub async fn update_assume_role_policy(&self, account: &str, name: &str, document: &str) -> Result<(), IamError> {
        check::name(name, "roleName", 64)?;
        Self::parse_trust(document)?;
        self.modify_role(account, name, |role| {
            Self::modifiable(role)?;
            role.assume_role_policy = document.to_owned();
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// UpdateRole: a new description and/or maximum session duration.
    pub async fn update_role(
        &self,
        account: &str,
        name: &str,
        description: Option<String>,
        max_session_duration: Option<i64>,
    ) -> Result<(), IamError> {
        if let Some(description) = &description {
            check::description(description)?;
        }
        if let Some(duration) = max_session_duration {
            check::max_session_duration(duration)?;
        }
        self.modify_role(account, name, |role| {
            Self::modifiable(role)?;
            if let Some(description) = &description {
                role.description = Some(description.clone());
            }
            if let Some(duration) = max_session_duration {
                role.max_session_duration = duration;
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    pub async fn tag_role(&self, account: &str, name: &str, tags: Vec<Tag>) -> Result<(), IamError> {
        check::tags(&tags)?;
        self.modify_role(account, name, |role| merge_tags(&mut role.tags, &tags)).await?;
        Ok(())
    }

    pub async fn untag_role(&self, account: &str, name: &str, keys: &[String]) -> Result<(), IamError> {
        self.modify_role(account, name, |role| {
            role.tags.retain(|tag| !keys.iter().any(|key| key.eq_ignore_ascii_case(&tag.key)));
            Ok(())
        })
        .await?;
        Ok(())
    }

    pub async fn list_role_tags(&self, account: &str, name: &str, paging: &Paging) -> Result<Page<Tag>, IamError> {
        let role = self.get_role(account, name).await?;
        let items = role.tags.into_iter().enumerate().map(|(index, tag)| (format!("{index:08}"), tag));
        paginate(items.collect(), paging)
    }

    /// Creates the EKS service-linked role in `account` unless it exists; called when a cluster is created.
    pub async fn ensure_eks_service_linked_role(&self, account: &str) -> Result<Role, IamError> {
        if let Some(role) = self.get::<Role>(&key(account, ROLES, EKS_SERVICE_LINKED_ROLE)).await? {
            return Ok(role);
        }
        let path = "/aws-service-role/eks.amazonaws.com/";
        let role = Role {
            name: EKS_SERVICE_LINKED_ROLE.into(),
            path: path.into(),
            id: unique_id("AROA"),
            arn: format!("arn:aws:iam::{account}:role{path}{EKS_SERVICE_LINKED_ROLE}"),
            created_at: self.now(),
            assume_role_policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#.into(),
            description: Some("Allows Amazon EKS to call AWS services on your behalf.".into()),
            max_session_duration: 3600,
            permissions_boundary: None,
            tags: Vec::new(),
            attached_policies: vec!["arn:aws:iam::aws:policy/aws-service-role/AmazonEKSServiceRolePolicy".into()],
            inline_policies: BTreeMap::new(),
        };
        let key = key(account, ROLES, EKS_SERVICE_LINKED_ROLE);
        match self.records.create(&key, &role).await {
            Ok(_) => Ok(role),
            // Another create won the race: theirs is the role.
            Err(RecordError::Exists(_)) => self.get_role(account, EKS_SERVICE_LINKED_ROLE).await,
            Err(error) => Err(error.into()),
        }
    }

    // Inline role policies.

    pub async fn put_role_policy(
        &self,
        account: &str,
        role: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        check::name(role, "roleName", 64)?;
        check::name(policy_name, "policyName", 128)?;
        check::document(document, "policyDocument")?;
        Policy::parse(document, PolicyKind::Inline).map_err(malformed)?;
        self.modify_role(account, role, |stored| {
            Self::modifiable(stored)?;
            let mut policies = stored.inline_policies.clone();
            policies.retain(|name, _| !name.eq_ignore_ascii_case(policy_name));
            policies.insert(policy_name.to_owned(), document.to_owned());
            let total: usize = policies.iter().map(|(name, text)| name.len() + policy::policy_size(text)).sum();
            if total > policy::INLINE_ROLE_POLICIES_MAX_SIZE {
                return Err(IamError::LimitExceeded(format!(
                    "Maximum policy size of {} bytes exceeded for role {role}",
                    policy::INLINE_ROLE_POLICIES_MAX_SIZE
                )));
            }
            stored.inline_policies = policies;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// The document of an inline role policy.
    pub async fn get_role_policy(&self, account: &str, role: &str, policy_name: &str) -> Result<String, IamError> {
        check::name(policy_name, "policyName", 128)?;
        let stored = self.get_role(account, role).await?;
        stored
            .inline_policies
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(policy_name))
            .map(|(_, document)| document.clone())
            .ok_or_else(|| IamError::NoSuchEntity(format!("The role policy with name {policy_name} cannot be found.")))
    }

    pub async fn list_role_policies(
        &self,
        account: &str,
        role: &str,
        paging: &Paging,
    ) -> Result<Page<String>, IamError> {
        let stored = self.get_role(account, role).await?;
        let items = stored.inline_policies.into_keys().map(|name| (name.clone(), name));
        paginate(items.collect(), paging)
    }

    pub async fn delete_role_policy(&self, account: &str, role: &str, policy_name: &str) -> Result<(), IamError> {
        check::name(policy_name, "policyName", 128)?;
        self.modify_role(account, role, |stored| {
            Self::modifiable(stored)?;
            let before = stored.inline_policies.len();
            stored.inline_policies.retain(|name, _| !name.eq_ignore_ascii_case(policy_name));
            if stored.inline_policies.len() == before {
                return Err(IamError::NoSuchEntity(format!(
                    "The role policy with name {policy_name} cannot be found."
                )));
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    // Managed policies.

    /// The managed policy an ARN names, AWS managed or of this account.
    async fn find_policy(&self, account: &str, arn: &str) -> Result<Option<ManagedPolicy>, IamError> {
        if let Some(policy) = managed::policy(arn) {
            return Ok(Some(policy));
        }
        let Some(rest) = arn.strip_prefix(&format!("arn:aws:iam::{account}:policy/")) else { return Ok(None) };
        let name = rest.rsplit('/').next().unwrap_or_default();
        if name.is_empty() {
            return Ok(None);
        }
        Ok(self.get::<ManagedPolicy>(&key(account, POLICIES, name)).await?.filter(|p| p.arn == arn))
    }

    fn check_arn(arn: &str, member: &str) -> Result<(), IamError> {
        if arn.len() < 20 {
            return Err(check::constraint(arn, member, "Member must have length greater than or equal to 20"));
        }
        if arn.len() > 2048 {
            return Err(check::constraint(arn, member, "Member must have length less than or equal to 2048"));
        }
        if !arn.starts_with("arn:") {
            return Err(IamError::InvalidInput(format!("ARN {arn} is not valid.")));
        }
        Ok(())
    }

    /// Attachment and boundary counts of every policy in the account, by ARN.
    async fn usage(&self, account: &str) -> Result<BTreeMap<String, (usize, usize)>, IamError> {
        let mut usage: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for role in self.list::<Role>(account, ROLES).await? {
            for arn in role.attached_policies {
                usage.entry(arn).or_default().0 += 1;
            }
            if let Some(arn) = role.permissions_boundary {
                usage.entry(arn).or_default().1 += 1;
            }
        }
        for user in self.list::<User>(account, USERS).await? {
            for arn in user.attached_policies {
                usage.entry(arn).or_default().0 += 1;
            }
            if let Some(arn) = user.permissions_boundary {
                usage.entry(arn).or_default().1 += 1;
            }
        }
        Ok(usage)
    }

    fn view(policy: ManagedPolicy, usage: &BTreeMap<String, (usize, usize)>) -> PolicyView {
        let (attachment_count, boundary_count) = usage.get(&policy.arn).copied().unwrap_or_default();
        PolicyView { policy, attachment_count, boundary_count }
    }

    fn parse_managed(document: &str) -> Result<(), IamError> {
        check::document(document, "policyDocument")?;
        Policy::parse(document, PolicyKind::Managed).map_err(malformed)?;
        if policy::policy_size(document) > policy::MANAGED_POLICY_MAX_SIZE {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for PolicySize: {}",
                policy::MANAGED_POLICY_MAX_SIZE
            )));
        }
        Ok(())
    }

    pub async fn create_policy(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
        document: &str,
        description: Option<String>,
        tags: Vec<Tag>,
    ) -> Result<PolicyView, IamError> {
        check::name(name, "policyName", 128)?;
        let path = path.unwrap_or("/");
        check::path(path)?;
        if let Some(description) = &description {
            check::description(description)?;
        }
        check::tags(&tags)?;
        Self::parse_managed(document)?;
        let now = self.now();
        let policy = ManagedPolicy {
            name: name.to_owned(),
            path: path.to_owned(),
            id: unique_id("ANPA"),
            arn: format!("arn:aws:iam::{account}:policy{path}{name}"),
            description,
            created_at: now,
            updated_at: now,
            default_version: "v1".into(),
            versions: vec![PolicyVersion { version_id: "v1".into(), document: document.to_owned(), created_at: now }],
            next_version: 2,
            tags,
        };
        let exists = IamError::EntityAlreadyExists(format!(
            "A policy called {name} already exists. Duplicate names are not allowed."
        ));
        self.create(&key(account, POLICIES, name), &policy, exists).await?;
        Ok(PolicyView { policy, attachment_count: 0, boundary_count: 0 })
    }

    pub async fn get_policy(&self, account: &str, arn: &str) -> Result<PolicyView, IamError> {
        Self::check_arn(arn, "policyArn")?;
        let policy = self.find_policy(account, arn).await?.ok_or_else(|| policy_not_found(arn))?;
        Ok(Self::view(policy, &self.usage(account).await?))
    }

    pub async fn list_policies(
        &self,
        account: &str,
        scope: PolicyScope,
        only_attached: bool,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<PolicyView>, IamError> {
        if let Some(prefix) = path_prefix {
            check::path_prefix(prefix)?;
        }
        let usage = self.usage(account).await?;
        let mut policies = Vec::new();
        if scope != PolicyScope::Local {
            policies.extend(managed::policies());
        }
        if scope != PolicyScope::Aws {
            policies.extend(self.list::<ManagedPolicy>(account, POLICIES).await?);
        }
        let items = policies
            .into_iter()
            .filter(|p| under(&p.path, path_prefix))
            .map(|p| Self::view(p, &usage))
            .filter(|view| !only_attached || view.attachment_count > 0)
            .map(|view| (view.policy.arn.clone(), view));
        paginate(items.collect(), paging)
    }

    /// The stored (customer managed) policy an ARN names; AWS managed policies cannot be changed.
    async fn local_policy_key(&self, account: &str, arn: &str) -> Result<String, IamError> {
        Self::check_arn(arn, "policyArn")?;
        match self.find_policy(account, arn).await? {
            None => Err(policy_not_found(arn)),
            Some(policy) if policy.is_aws_managed() => Err(IamError::UnmodifiableEntity(format!(
                "Policy {arn} is an AWS managed policy and cannot be changed."
            ))),
            Some(policy) => Ok(key(account, POLICIES, &policy.name)),
        }
    }

    pub async fn delete_policy(&self, account: &str, arn: &str) -> Result<(), IamError> {
        let key = self.local_policy_key(account, arn).await?;
        let (attached, boundary) = self.usage(account).await?.get(arn).copied().unwrap_or_default();
        if attached > 0 {
            return Err(IamError::DeleteConflict("Cannot delete a policy attached to entities.".into()));
        }
        if boundary > 0 {
            return Err(IamError::DeleteConflict(
                "Cannot delete a policy that is used as a permissions boundary.".into(),
            ));
        }
        let policy: ManagedPolicy = self.get(&key).await?.ok_or_else(|| policy_not_found(arn))?;
        if policy.versions.len() > 1 {
            return Err(IamError::DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's \
                 versions. The default version is deleted with the policy."
                    .into(),
            ));
        }
        self.delete_record(&key, policy_not_found(arn)).await
    }

    pub async fn create_policy_version(
        &self,
        account: &str,
        arn: &str,
        document: &str,
        set_as_default: bool,
    ) -> Result<(PolicyVersion, bool), IamError> {
        let key = self.local_policy_key(account, arn).await?;
        Self::parse_managed(document)?;
        let now = self.now();
        let (_, version) = self
            .modify(
                &key,
                || policy_not_found(arn),
                |policy: &mut ManagedPolicy| {
                    if policy.versions.len() >= MAX_POLICY_VERSIONS {
                        return Err(IamError::LimitExceeded(format!(
                            "A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you create a new \
                         version, you must delete an existing version."
                        )));
                    }
                    let version = PolicyVersion {
                        version_id: format!("v{}", policy.next_version),
                        document: document.to_owned(),
                        created_at: now,
                    };
                    policy.next_version += 1;
                    policy.versions.push(version.clone());
                    if set_as_default {
                        policy.default_version = version.version_id.clone();
                    }
                    policy.updated_at = now;
                    Ok(version)
                },
            )
            .await?;
        Ok((version, set_as_default))
    }

    fn version_not_found(arn: &str, version: &str) -> IamError {
        IamError::NoSuchEntity(format!("Policy {arn} version {version} does not exist or is not attachable."))
    }

    fn check_version_id(version: &str) -> Result<(), IamError> {
        let digits = version.strip_prefix('v').unwrap_or_default();
        let number = digits.split('.').next().unwrap_or_default();
        let valid = !number.is_empty()
            && !number.starts_with('0')
            && number.bytes().all(|b| b.is_ascii_digit())
            && digits[number.len()..].chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if valid {
            Ok(())
        } else {
            Err(check::constraint(
                version,
                "versionId",
                "Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
            ))
        }
    }

    /// One version and whether it is the default.
    pub async fn get_policy_version(
        &self,
        account: &str,
        arn: &str,
        version: &str,
    ) -> Result<(PolicyVersion, bool), IamError> {
        Self::check_arn(arn, "policyArn")?;
        Self::check_version_id(version)?;
        let policy = self.find_policy(account, arn).await?.ok_or_else(|| policy_not_found(arn))?;
        let found = policy.versions.iter().find(|v| v.version_id == version).cloned();
        let found = found.ok_or_else(|| Self::version_not_found(arn, version))?;
        Ok((found, policy.default_version == version))
    }

    /// Every version, newest first, with whether it is the default.
    pub async fn list_policy_versions(
        &self,
        account: &str,
        arn: &str,
        paging: &Paging,
    ) -> Result<Page<(PolicyVersion, bool)>, IamError> {
        Self::check_arn(arn, "policyArn")?;
        let policy = self.find_policy(account, arn).await?.ok_or_else(|| policy_not_found(arn))?;
        let items = policy.versions.iter().rev().enumerate().map(|(index, version)| {
            (format!("{index:04}"), (version.clone(), version.version_id == policy.default_version))
        });
        paginate(items.collect(), paging)
    }

    pub async fn delete_policy_version(&self, account: &str, arn: &str, version: &str) -> Result<(), IamError> {
        Self::check_version_id(version)?;
        let key = self.local_policy_key(account, arn).await?;
        self.modify(
            &key,
            || policy_not_found(arn),
            |policy: &mut ManagedPolicy| {
                if !policy.versions.iter().any(|v| v.version_id == version) {
                    return Err(Self::version_not_found(arn, version));
                }
                if policy.default_version == version {
                    return Err(IamError::DeleteConflict("Cannot delete the default version of a policy.".into()));
                }
                policy.versions.retain(|v| v.version_id != version);
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    pub async fn set_default_policy_version(&self, account: &str, arn: &str, version: &str) -> Result<(), IamError> {
        Self::check_version_id(version)?;
        let key = self.local_policy_key(account, arn).await?;
        let now = self.now();
        self.modify(
            &key,
            || policy_not_found(arn),
            |policy: &mut ManagedPolicy| {
                if !policy.versions.iter().any(|v| v.version_id == version) {
                    return Err(Self::version_not_found(arn, version));
                }
                policy.default_version = version.to_owned();
                policy.updated_at = now;
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    /// The managed policy an attach call names; IAM's `NoSuchEntity` when there is none to attach.
    async fn attachable(&self, account: &str, arn: &str) -> Result<ManagedPolicy, IamError> {
        Self::check_arn(arn, "policyArn")?;
        self.find_policy(account, arn).await?.ok_or_else(|| not_attachable(arn))
    }

    /// Adds a policy ARN to an attachment list (once), keeping IAM's quota.
    fn attach(list: &mut Vec<String>, arn: &str, quota: &str) -> Result<(), IamError> {
        if list.iter().any(|a| a == arn) {
            return Ok(());
        }
        if list.len() >= MAX_ATTACHED_POLICIES {
            return Err(IamError::LimitExceeded(format!("Cannot exceed quota for {quota}: {MAX_ATTACHED_POLICIES}")));
        }
        list.push(arn.to_owned());
        Ok(())
    }

    fn detach(list: &mut Vec<String>, arn: &str) -> Result<(), IamError> {
        let before = list.len();
        list.retain(|a| a != arn);
        if list.len() == before {
            return Err(IamError::NoSuchEntity(format!("Policy {arn} was not found.")));
        }
        Ok(())
    }

    async fn attached_page(
        &self,
        account: &str,
        arns: Vec<String>,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<(String, String)>, IamError> {
        if let Some(prefix) = path_prefix {
            check::path_prefix(prefix)?;
        }
        let mut items = Vec::new();
        for (index, arn) in arns.into_iter().enumerate() {
            let Some(policy) = self.find_policy(account, &arn).await? else { continue };
            if under(&policy.path, path_prefix) {
                items.push((format!("{index:04}"), (policy.name, arn)));
            }
        }
        paginate(items, paging)
    }

    pub async fn attach_role_policy(&self, account: &str, role: &str, arn: &str) -> Result<(), IamError> {
        check::name(role, "roleName", 64)?;
        self.attachable(account, arn).await?;
        self.modify_role(account, role, |stored| {
            Self::modifiable(stored)?;
            Self::attach(&mut stored.attached_policies, arn, "PoliciesPerRole")
        })
        .await?;
        Ok(())
    }

    pub async fn detach_role_policy(&self, account: &str, role: &str, arn: &str) -> Result<(), IamError> {
        Self::check_arn(arn, "policyArn")?;
        self.modify_role(account, role, |stored| {
            Self::modifiable(stored)?;
            Self::detach(&mut stored.attached_policies, arn)
        })
        .await?;
        Ok(())
    }

    /// `(policy name, policy ARN)` of a role's attached policies.
    pub async fn list_attached_role_policies(
        &self,
        account: &str,
        role: &str,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<(String, String)>, IamError> {
        let stored = self.get_role(account, role).await?;
        self.attached_page(account, stored.attached_policies, path_prefix, paging).await
    }

    pub async fn attach_user_policy(&self, account: &str, user: &str, arn: &str) -> Result<(), IamError> {
        check::name(user, "userName", 64)?;
        self.attachable(account, arn).await?;
        self.modify(
            &key(account, USERS, user),
            || user_not_found(user),
            |stored: &mut User| Self::attach(&mut stored.attached_policies, arn, "PoliciesPerUser"),
        )
        .await?;
        Ok(())
    }

    pub async fn detach_user_policy(&self, account: &str, user: &str, arn: &str) -> Result<(), IamError> {
        check::name(user, "userName", 64)?;
        Self::check_arn(arn, "policyArn")?;
        self.modify(
            &key(account, USERS, user),
            || user_not_found(user),
            |stored: &mut User| Self::detach(&mut stored.attached_policies, arn),
        )
        .await?;
        Ok(())
    }

    pub async fn list_attached_user_policies(
        &self,
        account: &str,
        user: &str,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<(String, String)>, IamError> {
        let stored = self.get_user(account, user).await?;
        self.attached_page(account, stored.attached_policies, path_prefix, paging).await
    }

    // Instance profiles.

    async fn profile_view(&self, account: &str, profile: InstanceProfile) -> Result<InstanceProfileView, IamError> {
        let mut roles = Vec::new();
        for name in &profile.roles {
            if let Some(role) = self.get::<Role>(&key(account, ROLES, name)).await? {
                roles.push(role);
            }
        }
        Ok(InstanceProfileView { profile, roles })
    }

    pub async fn create_instance_profile(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
        tags: Vec<Tag>,
    ) -> Result<InstanceProfileView, IamError> {
        check::name(name, "instanceProfileName", 128)?;
        let path = path.unwrap_or("/");
        check::path(path)?;
        check::tags(&tags)?;
        let profile = InstanceProfile {
            name: name.to_owned(),
            path: path.to_owned(),
            id: unique_id("AIPA"),
            arn: format!("arn:aws:iam::{account}:instance-profile{path}{name}"),
            created_at: self.now(),
            roles: Vec::new(),
            tags,
        };
        let exists = IamError::EntityAlreadyExists(format!("Instance Profile {name} already exists."));
        self.create(&key(account, PROFILES, name), &profile, exists).await?;
        Ok(InstanceProfileView { profile, roles: Vec::new() })
    }

    pub async fn get_instance_profile(&self, account: &str, name: &str) -> Result<InstanceProfileView, IamError> {
        check::name(name, "instanceProfileName", 128)?;
        let profile = self.get(&key(account, PROFILES, name)).await?.ok_or_else(|| profile_not_found(name))?;
        self.profile_view(account, profile).await
    }

    pub async fn delete_instance_profile(&self, account: &str, name: &str) -> Result<(), IamError> {
        let view = self.get_instance_profile(account, name).await?;
        if !view.profile.roles.is_empty() {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must remove roles from instance profile first.".into(),
            ));
        }
        self.delete_record(&key(account, PROFILES, name), profile_not_found(name)).await
    }

    pub async fn list_instance_profiles(
        &self,
        account: &str,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<InstanceProfileView>, IamError> {
        if let Some(prefix) = path_prefix {
            check::path_prefix(prefix)?;
        }
        let profiles = self.list::<InstanceProfile>(account, PROFILES).await?;
        let items = profiles.into_iter().filter(|p| under(&p.path, path_prefix)).map(|p| (p.name.to_lowercase(), p));
        let page = paginate(items.collect(), paging)?;
        let mut views = Vec::new();
        for profile in page.items {
            views.push(self.profile_view(account, profile).await?);
        }
        Ok(Page { items: views, marker: page.marker })
    }

    pub async fn list_instance_profiles_for_role(
        &self,
        account: &str,
        role: &str,
        paging: &Paging,
    ) -> Result<Page<InstanceProfileView>, IamError> {
        let stored = self.get_role(account, role).await?;
        let profiles = self.list::<InstanceProfile>(account, PROFILES).await?;
        let items = profiles
            .into_iter()
            .filter(|p| p.roles.iter().any(|r| r.eq_ignore_ascii_case(&stored.name)))
            .map(|p| (p.name.to_lowercase(), p));
        let page = paginate(items.collect(), paging)?;
        let mut views = Vec::new();
        for profile in page.items {
            views.push(self.profile_view(account, profile).await?);
        }
        Ok(Page { items: views, marker: page.marker })
    }

    pub async fn add_role_to_instance_profile(&self, account: &str, profile: &str, role: &str) -> Result<(), IamError> {
        check::name(profile, "instanceProfileName", 128)?;
        let stored = self.get_role(account, role).await?;
        self.modify(
            &key(account, PROFILES, profile),
            || profile_not_found(profile),
            |p: &mut InstanceProfile| {
                if p.roles.iter().any(|r| r.eq_ignore_ascii_case(&stored.name)) {
                    return Err(IamError::EntityAlreadyExists(format!(
                        "Instance Profile {} already contains role {}.",
                        p.name, stored.name
                    )));
                }
                if p.roles.len() >= MAX_INSTANCE_PROFILE_ROLES {
                    return Err(IamError::LimitExceeded(format!(
                        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: {MAX_INSTANCE_PROFILE_ROLES}"
                    )));
                }
                p.roles.push(stored.name.clone());
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    pub async fn remove_role_from_instance_profile(
        &self,
        account: &str,
        profile: &str,
        role: &str,
    ) -> Result<(), IamError> {
        check::name(profile, "instanceProfileName", 128)?;
        check::name(role, "roleName", 64)?;
        self.modify(
            &key(account, PROFILES, profile),
            || profile_not_found(profile),
            |p: &mut InstanceProfile| {
                let before = p.roles.len();
                p.roles.retain(|r| !r.eq_ignore_ascii_case(role));
                if p.roles.len() == before {
                    return Err(role_not_found(role));
                }
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    // OpenID Connect providers.

    fn check_thumbprints(thumbprints: &[String]) -> Result<(), IamError> {
        if thumbprints.len() > MAX_THUMBPRINTS {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for ThumbprintsPerIdentityProvider: {MAX_THUMBPRINTS}"
            )));
        }
        for (index, thumbprint) in thumbprints.iter().enumerate() {
            if thumbprint.chars().count() != 40 {
                let member = format!("thumbprintList.{}.member", index + 1);
                return Err(check::constraint(
                    thumbprint,
                    &member,
                    "Member must have length greater than or equal to 40",
                ));
            }
        }
        Ok(())
    }

    fn check_client_ids(client_ids: &[String]) -> Result<(), IamError> {
        if client_ids.len() > MAX_CLIENT_IDS {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
            )));
        }
        for (index, client_id) in client_ids.iter().enumerate() {
            let count = client_id.chars().count();
            if count == 0 || count > 255 {
                let member = format!("clientIDList.{}.member", index + 1);
                return Err(check::constraint(client_id, &member, "Member must have length less than or equal to 255"));
            }
        }
        Ok(())
    }

    /// The account's provider for an ARN, and its record key.
    fn provider_key(account: &str, arn: &str) -> Result<String, IamError> {
        Self::check_arn(arn, "openIDConnectProviderArn")?;
        let url = arn.strip_prefix(&format!("arn:aws:iam::{account}:oidc-provider/")).unwrap_or_default();
        if url.is_empty() {
            return Err(IamError::InvalidInput(format!("ARN {arn} is not valid.")));
        }
        Ok(key(account, PROVIDERS, url))
    }

    pub async fn create_open_id_connect_provider(
        &self,
        account: &str,
        url: &str,
        client_ids: Vec<String>,
        thumbprints: Vec<String>,
        tags: Vec<Tag>,
    ) -> Result<OpenIdConnectProvider, IamError> {
        if url.is_empty() || url.chars().count() > 255 {
            return Err(check::constraint(url, "url", "Member must have length less than or equal to 255"));
        }
        let host_and_path = url.strip_prefix("https://").unwrap_or_default().trim_end_matches('/');
        let host = host_and_path.split('/').next().unwrap_or_default();
        let valid_host = !host.is_empty()
            && host.chars().all(|c| c.is_ascii_alphanumeric() || "-.:".contains(c))
            && host_and_path.chars().all(|c| c.is_ascii_graphic() && c != '?' && c != '#');
        if !valid_host {
            return Err(IamError::InvalidInput(format!("Invalid Openid Connect Provider URL: {url}")));
        }
        Self::check_client_ids(&client_ids)?;
        Self::check_thumbprints(&thumbprints)?;
        check::tags(&tags)?;
        let mut unique_ids: Vec<String> = Vec::new();
        for client_id in client_ids {
            if !unique_ids.contains(&client_id) {
                unique_ids.push(client_id);
            }
        }
        let provider = OpenIdConnectProvider {
            url: host_and_path.to_owned(),
            arn: format!("arn:aws:iam::{account}:oidc-provider/{host_and_path}"),
            client_ids: unique_ids,
            thumbprints,
            created_at: self.now(),
            tags,
        };
        let exists =
            IamError::EntityAlreadyExists(format!("Provider with url https://{host_and_path} already exists."));
        self.create(&key(account, PROVIDERS, host_and_path), &provider, exists).await?;
        Ok(provider)
    }

    pub async fn get_open_id_connect_provider(
        &self,
        account: &str,
        arn: &str,
    ) -> Result<OpenIdConnectProvider, IamError> {
        let key = Self::provider_key(account, arn)?;
        self.get(&key).await?.ok_or_else(|| provider_not_found(arn))
    }

    pub async fn list_open_id_connect_providers(&self, account: &str) -> Result<Vec<String>, IamError> {
        let mut arns: Vec<String> =
            self.list::<OpenIdConnectProvider>(account, PROVIDERS).await?.into_iter().map(|p| p.arn).collect();
        arns.sort();
        Ok(arns)
    }

    pub async fn delete_open_id_connect_provider(&self, account: &str, arn: &str) -> Result<(), IamError> {
        let key = Self::provider_key(account, arn)?;
        self.delete_record(&key, provider_not_found(arn)).await
    }

    pub async fn add_client_id_to_open_id_connect_provider(
        &self,
        account: &str,
        arn: &str,
        client_id: &str,
    ) -> Result<(), IamError> {
        let key = Self::provider_key(account, arn)?;
        Self::check_client_ids(&[client_id.to_owned()])?;
        self.modify(
            &key,
            || provider_not_found(arn),
            |provider: &mut OpenIdConnectProvider| {
                if !provider.client_ids.iter().any(|c| c == client_id) {
                    provider.client_ids.push(client_id.to_owned());
                    Self::check_client_ids(&provider.client_ids)?;
                }
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    pub async fn remove_client_id_from_open_id_connect_provider(
        &self,
        account: &str,
        arn: &str,
        client_id: &str,
    ) -> Result<(), IamError> {
        let key = Self::provider_key(account, arn)?;
        Self::check_client_ids(&[client_id.to_owned()])?;
        self.modify(
            &key,
            || provider_not_found(arn),
            |provider: &mut OpenIdConnectProvider| {
                provider.client_ids.retain(|c| c != client_id);
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    /// UpdateOpenIDConnectProviderThumbprint.
    pub async fn update_open_id_connect_provider_thumbprint(
        &self,
        account: &str,
        arn: &str,
        thumbprints: Vec<String>,
    ) -> Result<(), IamError> {
        let key = Self::provider_key(account, arn)?;
        Self::check_thumbprints(&thumbprints)?;
        self.modify(
            &key,
            || provider_not_found(arn),
            |provider: &mut OpenIdConnectProvider| {
                provider.thumbprints = thumbprints.clone();
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    // Users and access keys.

    pub async fn create_user(
        &self,
        account: &str,
        name: &str,
        path: Option<&str>,
        permissions_boundary: Option<String>,
        tags: Vec<Tag>,
    ) -> Result<User, IamError> {
        check::name(name, "userName", 64)?;
        let path = path.unwrap_or("/");
        check::path(path)?;
        check::tags(&tags)?;
        if let Some(boundary) = &permissions_boundary {
            self.check_boundary(account, boundary).await?;
        }
        let user = User {
            name: name.to_owned(),
            path: path.to_owned(),
            id: unique_id("AIDA"),
            arn: format!("arn:aws:iam::{account}:user{path}{name}"),
            created_at: self.now(),
            permissions_boundary,
            tags,
            attached_policies: Vec::new(),
        };
        let exists = IamError::EntityAlreadyExists(format!("User with name {name} already exists."));
        self.create(&key(account, USERS, name), &user, exists).await?;
        Ok(user)
    }

    pub async fn get_user(&self, account: &str, name: &str) -> Result<User, IamError> {
        check::name(name, "userName", 64)?;
        self.get(&key(account, USERS, name)).await?.ok_or_else(|| user_not_found(name))
    }

    pub async fn list_users(
        &self,
        account: &str,
        path_prefix: Option<&str>,
        paging: &Paging,
    ) -> Result<Page<User>, IamError> {
        if let Some(prefix) = path_prefix {
            check::path_prefix(prefix)?;
        }
        let users = self.list::<User>(account, USERS).await?;
        let items = users.into_iter().filter(|u| under(&u.path, path_prefix)).map(|u| (u.name.to_lowercase(), u));
        paginate(items.collect(), paging)
    }

    async fn keys_of(&self, account: &str, user: &str) -> Result<Vec<AccessKey>, IamError> {
        let keys = self.records.list::<AccessKey>("/aws/access-keys/").await?;
        Ok(keys
            .into_iter()
            .map(|stored| stored.value)
            .filter(|k| k.account == account && k.user_name.eq_ignore_ascii_case(user))
            .collect())
    }

    pub async fn delete_user(&self, account: &str, name: &str) -> Result<(), IamError> {
        let user = self.get_user(account, name).await?;
        if !self.keys_of(account, &user.name).await?.is_empty() {
            return Err(IamError::DeleteConflict("Cannot delete entity, must delete access keys first.".into()));
        }
        if !user.attached_policies.is_empty() {
            return Err(IamError::DeleteConflict("Cannot delete entity, must detach all policies first.".into()));
        }
        self.delete_record(&key(account, USERS, name), user_not_found(name)).await
    }

    pub async fn create_access_key(&self, account: &str, user: &str) -> Result<AccessKey, IamError> {
        let stored = self.get_user(account, user).await?;
        if self.keys_of(account, &stored.name).await?.len() >= MAX_ACCESS_KEYS {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}"
            )));
        }
        let key = AccessKey {
            id: format!("AKIA{}", random_chars(16, UPPER_ALNUM)),
            secret: random_chars(40, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
            status: AccessKeyStatus::Active,
            created_at: self.now(),
            account: account.to_owned(),
            user_name: stored.name,
            user_arn: stored.arn,
            user_id: stored.id,
        };
        self.records.create(&access_key_key(&key.id), &key).await?;
        Ok(key)
    }

    pub async fn list_access_keys(
        &self,
        account: &str,
        user: &str,
        paging: &Paging,
    ) -> Result<Page<AccessKey>, IamError> {
        let stored = self.get_user(account, user).await?;
        let keys = self.keys_of(account, &stored.name).await?;
        paginate(keys.into_iter().map(|k| (k.id.clone(), k)).collect(), paging)
    }

    fn key_not_found(id: &str) -> IamError {
        IamError::NoSuchEntity(format!("The Access Key with id {id} cannot be found."))
    }

    fn check_key_id(id: &str) -> Result<(), IamError> {
        let count = id.chars().count();
        if count < 16 {
            return Err(check::constraint(id, "accessKeyId", "Member must have length greater than or equal to 16"));
        }
        if count > 128 {
            return Err(check::constraint(id, "accessKeyId", "Member must have length less than or equal to 128"));
        }
        if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(check::constraint(id, "accessKeyId", "Member must satisfy regular expression pattern: [\\w]+"));
        }
        Ok(())
    }

    pub async fn update_access_key(
        &self,
        account: &str,
        user: &str,
        id: &str,
        status: AccessKeyStatus,
    ) -> Result<(), IamError> {
        Self::check_key_id(id)?;
        self.get_user(account, user).await?;
        self.modify(
            &access_key_key(id),
            || Self::key_not_found(id),
            |key: &mut AccessKey| {
                if key.account != account || !key.user_name.eq_ignore_ascii_case(user) {
                    return Err(Self::key_not_found(id));
                }
                key.status = status;
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    pub async fn delete_access_key(&self, account: &str, user: &str, id: &str) -> Result<(), IamError> {
        Self::check_key_id(id)?;
        self.get_user(account, user).await?;
        let key: AccessKey = self.get(&access_key_key(id)).await?.ok_or_else(|| Self::key_not_found(id))?;
        if key.account != account || !key.user_name.eq_ignore_ascii_case(user) {
            return Err(Self::key_not_found(id));
        }
        self.delete_record(&access_key_key(id), Self::key_not_found(id)).await
    }

    /// The access key with this id, in any account; `None` for keys IAM did not issue.
    pub async fn access_key(&self, id: &str) -> Result<Option<AccessKey>, IamError> {
        if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(None);
        }
        self.get(&access_key_key(id)).await
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

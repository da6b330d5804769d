//! Access entries and access policies: which IAM principals reach a cluster's Kubernetes API, under which
//! Kubernetes user name and groups, with which EKS access policies and scope.
//!
//! Entries need a cluster whose authentication mode is `API` or `API_AND_CONFIG_MAP`. A cluster created with
//! `bootstrapClusterCreatorAdminPermissions` in one of those modes starts with its creator's entry holding
//! `AmazonEKSClusterAdminPolicy`, as on EKS. An EKS Auto Mode cluster's node role gets an entry of type `EC2`
//! holding `AmazonEKSAutoNodePolicy` (`auto_mode.rs`); `EC2` entries, like the other node types, take no user name
//! or groups of their own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::support::{page, validate_tags};
use super::{Caller, Cluster, Eks, EksError};
use crate::records::RecordError;

/// The prefix of every access policy ARN.
pub const ACCESS_POLICY_PREFIX: &str = "arn:aws:eks::aws:cluster-access-policy/";

/// The access policies EKS offers, by name.
pub const ACCESS_POLICIES: &[&str] = &[
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingPolicy",
    "AmazonEKSViewPolicy",
];

/// The entry types EKS knows.
pub const ACCESS_ENTRY_TYPES: &[&str] =
    &["STANDARD", "FARGATE_LINUX", "EC2_LINUX", "EC2_WINDOWS", "EC2", "HYBRID_LINUX"];

/// Where an associated policy applies: the whole cluster or some namespaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessScope {
    /// `cluster` or `namespace`.
    pub kind: String,
    pub namespaces: Vec<String>,
}

/// An access policy associated with an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssociatedPolicy {
    pub policy_arn: String,
    pub scope: AccessScope,
    /// Unix seconds.
    pub associated_at: f64,
    pub modified_at: f64,
}

/// An access entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessEntry {
    pub cluster: String,
    pub principal_arn: String,
    pub arn: String,
    pub kubernetes_groups: Vec<String>,
    pub username: String,
    /// `STANDARD`, `FARGATE_LINUX`, `EC2_LINUX`, `EC2_WINDOWS`, `EC2` (EKS Auto Mode's nodes) or `HYBRID_LINUX`.
    pub kind: String,
    /// Unix seconds.
    pub created_at: f64,
    pub modified_at: f64,
    pub tags: BTreeMap<String, String>,
    pub policies: Vec<AssociatedPolicy>,
}

/// What CreateAccessEntry asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateAccessEntry {
    pub cluster: String,
    pub principal_arn: String,
    pub kubernetes_groups: Vec<String>,
    pub username: Option<String>,
    pub kind: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// An IAM principal an access entry may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `arn:aws:iam::<account>:user/<path><name>`.
    User { account: String, name: String },
    /// `arn:aws:iam::<account>:role/<path><name>`.
    Role { account: String, name: String },
    /// `arn:aws:iam::<account>:root`.
    Root { account: String },
}

/// Reads an IAM user, role or root ARN; assumed-role session ARNs are taken as their role, as EKS does.
pub fn parse_principal(arn: &str) -> Result<Principal, EksError> {
    let invalid = || EksError::InvalidParameter(format!("The specified principalArn is invalid: {arn}"));
    let account_ok = |account: &str| account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = arn.strip_prefix("arn:aws:sts::") {
        let (account, session) = rest.split_once(":assumed-role/").ok_or_else(invalid)?;
        let (role, _session) = session.split_once('/').ok_or_else(invalid)?;
        if !account_ok(account) || role.is_empty() {
            return Err(invalid());
        }
        return Ok(Principal::Role { account: account.to_owned(), name: role.to_owned() });
    }
    let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
    let (account, resource) = rest.split_once(':').ok_or_else(invalid)?;
    if !account_ok(account) {
        return Err(invalid());
    }
    let account = account.to_owned();
    let last = |path: &str| path.rsplit('/').next().filter(|n| !n.is_empty()).map(str::to_owned);
    match resource.split_once('/') {
        Some(("user", path)) => Ok(Principal::User { account, name: last(path).ok_or_else(invalid)? }),
        Some(("role", path)) => Ok(Principal::Role { account, name: last(path).ok_or_else(invalid)? }),
        None if resource == "root" => Ok(Principal::Root { account }),
        _ => Err(invalid()),
    }
}

/// The user name EKS gives an entry when none is asked for.
pub fn default_username(principal_arn: &str, principal: &Principal, kind: &str) -> String {
    match (kind, principal) {
        ("EC2_LINUX" | "EC2_WINDOWS" | "EC2", _) => "system:node:{{EC2PrivateDNSName}}".to_owned(),
        // A hybrid node's session is named after its node (its managed instance id, or the name IAM Roles
        // Anywhere gives it).
        ("FARGATE_LINUX" | "HYBRID_LINUX", _) => "system:node:{{SessionName}}".to_owned(),
        (_, Principal::Role { account, name }) => {
            format!("arn:aws:sts::{account}:assumed-role/{name}/{{{{SessionName}}}}")
        }
        _ => principal_arn.to_owned(),
    }
}

/// Kubernetes names an access entry may not take: EKS keeps these prefixes for itself.
fn reserved(name: &str) -> bool {
    ["system:", "eks:", "aws:", "amazon:", "iam:"].iter().any(|prefix| name.starts_with(prefix))
}

fn validate_scope(scope: &AccessScope) -> Result<(), EksError> {
    match scope.kind.as_str() {
        "cluster" if scope.namespaces.is_empty() => Ok(()),
        "cluster" => {
            Err(EksError::InvalidParameter("namespaces cannot be specified for a cluster access scope".into()))
        }
        "namespace" if !scope.namespaces.is_empty() && scope.namespaces.iter().all(|n| !n.is_empty()) => Ok(()),
        "namespace" => {
            Err(EksError::InvalidParameter("namespaces must be specified for a namespace access scope".into()))
        }
        other => Err(EksError::InvalidParameter(format!("Unsupported access scope type {other}"))),
    }
}

impl Eks {
    fn access_entry_key(caller: &Caller, cluster: &str, principal_arn: &str) -> String {
        Self::child_key(caller, "accessentries", cluster, principal_arn)
    }

    /// The cluster, which must exist and take access entries.
    async fn access_cluster(&self, caller: &Caller, name: &str) -> Result<Cluster, EksError> {
        let cluster = self.existing_cluster(caller, name).await?;
        if cluster.authentication_mode == "CONFIG_MAP" {
            return Err(EksError::InvalidRequest(
                "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation."
                    .into(),
            ));
        }
        Ok(cluster)
    }

    /// CreateAccessEntry: the principal must be an IAM user or role that exists (or an account root).
    pub async fn create_access_entry(
        &self,
        caller: &Caller,
        input: CreateAccessEntry,
    ) -> Result<AccessEntry, EksError> {
        self.put_access_entry(caller, input, true).await
    }

    pub(crate) async fn put_access_entry(
        &self,
        caller: &Caller,
        input: CreateAccessEntry,
        check_principal: bool,
    ) -> Result<AccessEntry, EksError> {
        self.access_cluster(caller, &input.cluster).await?;
        let principal = parse_principal(&input.principal_arn)?;
        let kind = input.kind.clone().unwrap_or_else(|| "STANDARD".into());
        if !ACCESS_ENTRY_TYPES.contains(&kind.as_str()) {
            return Err(EksError::InvalidParameter(format!("The type {kind} is not a valid access entry type")));
        }
        if kind != "STANDARD" {
            if !matches!(principal, Principal::Role { .. }) {
                return Err(EksError::InvalidParameter(format!("An access entry of type {kind} needs an IAM role")));
            }
            if input.username.is_some() || !input.kubernetes_groups.is_empty() {
                return Err(EksError::InvalidParameter(format!(
                    "username and kubernetesGroups cannot be specified for an access entry of type {kind}"
                )));
            }
        }
        self.validate_identity(input.username.as_deref(), &input.kubernetes_groups)?;
        validate_tags(&input.tags)?;
        let canonical = canonical_principal(&principal, &input.principal_arn);
        let session = input.principal_arn.starts_with("arn:aws:sts::");
        if check_principal && !self.principal_exists(&principal, &canonical, session).await? {
            return Err(EksError::InvalidParameter("The specified principalArn is invalid: invalid principal".into()));
        }
        let now = self.clock.now();
        let entry = AccessEntry {
            arn: entry_arn(caller, &input.cluster, &principal),
            cluster: input.cluster.clone(),
            principal_arn: canonical.clone(),
            kubernetes_groups: input.kubernetes_groups.clone(),
            username: input.username.clone().unwrap_or_else(|| default_username(&canonical, &principal, &kind)),
            kind,
            created_at: now,
            modified_at: now,
            tags: input.tags.clone(),
            policies: Vec::new(),
        };
        let key = Self::access_entry_key(caller, &input.cluster, &canonical);
        self.records.create(&key, &entry).await.map_err(|error| match error {
            RecordError::Exists(_) => {
                EksError::ResourceInUse("The specified access entry resource is already in use on this cluster.".into())
            }
            other => other.into(),
        })?;
        Ok(entry)
    }

    fn validate_identity(&self, username: Option<&str>, groups: &[String]) -> Result<(), EksError> {
        if let Some(username) = username
            && (username.is_empty() || reserved(username))
        {
            return Err(EksError::InvalidParameter(format!("The username {username} is not valid")));
        }
        if let Some(group) = groups.iter().find(|g| g.is_empty() || reserved(g)) {
            return Err(EksError::InvalidParameter(format!("The kubernetes group {group} is not valid")));
        }
        Ok(())
    }

    pub async fn describe_access_entry(
        &self,
        caller: &Caller,
        cluster: &str,
        principal_arn: &str,
    ) -> Result<AccessEntry, EksError> {
        self.access_cluster(caller, cluster).await?;
        let key = Self::access_entry_key(caller, cluster, principal_arn);
        Ok(self.records.get::<AccessEntry>(&key).await?.ok_or_else(entry_not_found)?.value)
    }

    /// Principal ARNs in order, optionally only those holding `associated_policy`.
    pub async fn list_access_entries(
        &self,
        caller: &Caller,
        cluster: &str,
        associated_policy: Option<&str>,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), EksError> {
        self.access_cluster(caller, cluster).await?;
        let prefix = Self::children_prefix(caller, "accessentries", cluster);
        let names = self
            .records
            .list::<AccessEntry>(&prefix)
            .await?
            .into_iter()
            .map(|stored| stored.value)
            .filter(|entry| associated_policy.is_none_or(|p| entry.policies.iter().any(|a| a.policy_arn == p)))
            .map(|entry| entry.principal_arn)
            .collect();
        page(names, max_results, next_token)
    }

    /// Changes an entry's user name and groups (`STANDARD` entries only).
    pub async fn update_access_entry(
        &self,
        caller: &Caller,
        cluster: &str,
        principal_arn: &str,
        username: Option<String>,
        kubernetes_groups: Option<Vec<String>>,
    ) -> Result<AccessEntry, EksError> {
        self.access_cluster(caller, cluster).await?;
        self.validate_identity(username.as_deref(), kubernetes_groups.as_deref().unwrap_or_default())?;
        let now = self.clock.now();
        let key = Self::access_entry_key(caller, cluster, principal_arn);
        let edited = self
            .edit::<AccessEntry, ()>(&key, |entry| {
                if entry.kind != "STANDARD" && (username.is_some() || kubernetes_groups.is_some()) {
                    return Err(EksError::InvalidParameter(format!(
                        "username and kubernetesGroups cannot be specified for an access entry of type {}",
                        entry.kind
                    )));
                }
                if let Some(username) = &username {
                    entry.username = username.clone();
                }
                if let Some(groups) = &kubernetes_groups {
                    entry.kubernetes_groups = groups.clone();
                }
                entry.modified_at = now;
                Ok(())
            })
            .await?;
        edited.map(|(entry, ())| entry).ok_or_else(entry_not_found)
    }

    pub async fn delete_access_entry(
        &self,
        caller: &Caller,
        cluster: &str,
        principal_arn: &str,
    ) -> Result<(), EksError> {
        self.access_cluster(caller, cluster).await?;
        match self.records.delete(&Self::access_entry_key(caller, cluster, principal_arn), None).await {
            Ok(()) => Ok(()),
            Err(RecordError::NotFound(_)) => Err(entry_not_found()),
            Err(error) => Err(error.into()),
        }
    }

    /// Associates a policy with an entry, or changes the scope of one already associated.
    pub async fn associate_access_policy(
        &self,
        caller: &Caller,
        cluster: &str,
        principal_arn: &str,
        policy_arn: &str,
        scope: AccessScope,
    ) -> Result<AssociatedPolicy, EksError> {
        self.access_cluster(caller, cluster).await?;
        validate_policy_arn(policy_arn)?;
        validate_scope(&scope)?;
        let now = self.clock.now();
        let key = Self::access_entry_key(caller, cluster, principal_arn);
        let edited = self
            .edit::<AccessEntry, AssociatedPolicy>(&key, |entry| {
                // Auto Mode's node entries (`EC2`) hold `AmazonEKSAutoNodePolicy`, which EKS associates itself.
                if entry.kind != "STANDARD" && entry.kind != "EC2" {
                    return Err(EksError::InvalidRequest(format!(
                        "Access policies can only be associated with access entries of type STANDARD; this entry is of type {}",
                        entry.kind
                    )));
                }
                entry.modified_at = now;
                if let Some(existing) = entry.policies.iter_mut().find(|p| p.policy_arn == policy_arn) {
                    existing.scope = scope.clone();
                    existing.modified_at = now;
                    return Ok(existing.clone());
                }
                let associated = AssociatedPolicy {
                    policy_arn: policy_arn.to_owned(),
                    scope: scope.clone(),
                    associated_at: now,
                    modified_at: now,
                };
                entry.policies.push(associated.clone());
                Ok(associated)
            })
            .await?;
        edited.map(|(_, associated)| associated).ok_or_else(entry_not_found)
    }

    pub async fn disassociate_access_policy(
        &self,
        caller: &Caller,
        cluster: &str,
        principal_arn: &str,
        policy_arn: &str,
    ) -> Result<(), EksError> {
        self.access_cluster(caller, cluster).await?;
        let key = Self::access_entry_key(caller, cluster, principal_arn);
        let edited = self
            .edit::<AccessEntry, ()>(&key, |entry| {
                let before = entry.policies.len();
                entry.policies.retain(|p| p.policy_arn != policy_arn);
                if entry.policies.len() == before {
                    return Err(EksError::ResourceNotFound(format!(
                        "The specified policy {policy_arn} is not associated with the access entry"
                    )));
                }
                Ok(())
            })
            .await?;
        edited.map(|_| ()).ok_or_else(entry_not_found)
    }

    /// The policies associated with an entry, a page at a time (by policy ARN).
    pub async fn list_associated_access_policies(
        &self,
        caller: &Caller,
        cluster: &str,
        principal_arn: &str,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<(Vec<AssociatedPolicy>, Option<String>), EksError> {
        let entry = self.describe_access_entry(caller, cluster, principal_arn).await?;
        let arns = entry.policies.iter().map(|p| p.policy_arn.clone()).collect();
        let (arns, token) = page(arns, max_results, next_token)?;
        let policies =
            arns.iter().filter_map(|arn| entry.policies.iter().find(|p| p.policy_arn == *arn).cloned()).collect();
        Ok((policies, token))
    }

    /// The creator's entry of a new cluster, when the cluster asks for one. Made again by a resumed create, so an
    /// entry already there is kept.
    pub(crate) async fn bootstrap_creator_access(&self, caller: &Caller, cluster: &Cluster) -> Result<(), EksError> {
        if !cluster.bootstrap_cluster_creator_admin_permissions || cluster.authentication_mode == "CONFIG_MAP" {
            return Ok(());
        }
        let principal_arn = crate::sts::canonical_arn(&cluster.creator_arn);
        let input = CreateAccessEntry {
            cluster: cluster.name.clone(),
            principal_arn: principal_arn.clone(),
            ..CreateAccessEntry::default()
        };
        // The creator was authenticated as it called: it exists (or is the account's root).
        let principal_arn = match self.put_access_entry(caller, input, false).await {
            Ok(entry) => entry.principal_arn,
            Err(EksError::ResourceInUse(_)) => principal_arn,
            Err(error) => return Err(error),
        };
        let scope = AccessScope { kind: "cluster".into(), namespaces: Vec::new() };
        let admin = format!("{ACCESS_POLICY_PREFIX}AmazonEKSClusterAdminPolicy");
        self.associate_access_policy(caller, &cluster.name, &principal_arn, &admin, scope).await?;
        Ok(())
    }
}

/// An access policy: its name and ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPolicy {
    pub name: String,
    pub arn: String,
}

/// The access policies as ListAccessPolicies pages them.
pub fn list_access_policies(
    max_results: Option<i64>,
    next_token: Option<&str>,
) -> Result<(Vec<AccessPolicy>, Option<String>), EksError> {
    let names = ACCESS_POLICIES.iter().map(|n| (*n).to_owned()).collect();
    let (names, token) = page(names, max_results, next_token)?;
    let policies = names.into_iter().map(|name| AccessPolicy { arn: format!("{ACCESS_POLICY_PREFIX}{name}"), name });
    Ok((policies.collect(), token))
}

fn validate_policy_arn(arn: &str) -> Result<(), EksError> {
    let known = arn.strip_prefix(ACCESS_POLICY_PREFIX).is_some_and(|name| ACCESS_POLICIES.contains(&name));
    if known {
        Ok(())
    } else {
        Err(EksError::InvalidParameter(format!("The policy {arn} is not a valid access policy")))
    }
}

/// The principal ARN an entry is stored under: assumed-role sessions become their role.
fn canonical_principal(principal: &Principal, arn: &str) -> String {
    match principal {
        Principal::Role { account, name } if arn.starts_with("arn:aws:sts::") => {
            format!("arn:aws:iam::{account}:role/{name}")
        }
        _ => arn.to_owned(),
    }
}

fn entry_arn(caller: &Caller, cluster: &str, principal: &Principal) -> String {
    let (principal_kind, account, name) = match principal {
        Principal::User { account, name } => ("user", account, name.as_str()),
        Principal::Role { account, name } => ("role", account, name.as_str()),
        Principal::Root { account } => ("root", account, "root"),
    };
    format!(
        "arn:aws:eks:{}:{}:access-entry/{cluster}/{principal_kind}/{account}/{name}/{}",
        caller.region,
        caller.account,
        crate::ids::uuid()
    )
}

fn entry_not_found() -> EksError {
    EksError::ResourceNotFound(
        "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'."
            .into(),
    )
}

#[cfg(test)]
mod tests;

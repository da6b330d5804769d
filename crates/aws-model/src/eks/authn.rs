//! Authentication into a cluster: which Kubernetes user and groups an IAM caller becomes, and which access
//! policies it holds there, as EKS decides it from the cluster's authentication mode, its access entries and the
//! `kube-system/aws-auth` ConfigMap.
//!
//! [`map_identity`] is the decision core (no IO); [`Eks::kubernetes_identity`] reads what it needs (the access
//! entries, one list, and the ConfigMap through [`super::KubernetesClusters`]) and calls it.
//!
//! - `API`: only access entries count. `CONFIG_MAP`: only `aws-auth` counts, plus the creator's hidden mapping
//!   when the cluster was created with `bootstrapClusterCreatorAdminPermissions` (`kubernetes-admin` in
//!   `system:masters`, as EKS maps creators before access entries existed). `API_AND_CONFIG_MAP`: an access entry
//!   wins over `aws-auth`.
//! - Principals are matched by their canonical ARN: an assumed-role session stands for its role. Access entries
//!   match by account, kind and name (an entry's role ARN may carry a path; a session ARN never does), `aws-auth`
//!   by the ARN itself, compared without case, as aws-iam-authenticator compares them.
//! - `{{AccountID}}`, `{{SessionName}}` (`@` becomes `-`), `{{SessionNameRaw}}`, `{{AccessKeyID}}` and
//!   `{{EC2PrivateDNSName}}` are expanded in user names and groups as aws-iam-authenticator expands them; a
//!   mapping whose template cannot be expanded (no private DNS name known) maps no one.
//! - `aws-auth` is read as aws-iam-authenticator reads it: a key whose YAML does not parse is ignored, and so is
//!   each entry without its ARN or with fields of the wrong type; the rest still counts.

use std::collections::BTreeMap;

use serde_json::Value;

use super::access::{AccessEntry, Principal, parse_principal};
use super::{Caller, Cluster, Eks, EksError};

/// The IAM caller a token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsIdentity {
    /// As GetCallerIdentity reports it (an assumed-role session ARN for role sessions).
    pub arn: String,
    pub account: String,
    pub access_key_id: String,
}

impl AwsIdentity {
    /// The session name of an assumed-role session; empty for users and root.
    pub fn session_name(&self) -> &str {
        self.arn
            .strip_prefix("arn:aws:sts::")
            .and_then(|rest| rest.split_once(":assumed-role/"))
            .and_then(|(_, rest)| rest.split_once('/'))
            .map_or("", |(_, session)| session)
    }
}

/// The caller's canonical ARN: `arn:aws:sts::<account>:assumed-role/<role>/<session>` becomes
/// `arn:aws:iam::<account>:role/<role>`; any other ARN stays as it is.
pub fn canonical_arn(arn: &str) -> String {
    crate::sts::canonical_arn(arn)
}

/// One `mapRoles` or `mapUsers` entry of `aws-auth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsAuthMapping {
    /// `rolearn` or `userarn`.
    pub arn: String,
    pub username: String,
    pub groups: Vec<String>,
}

/// The `kube-system/aws-auth` ConfigMap, as far as it reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsAuth {
    pub map_roles: Vec<AwsAuthMapping>,
    pub map_users: Vec<AwsAuthMapping>,
    /// Accounts every principal of which is mapped to its own ARN, with no groups.
    pub map_accounts: Vec<String>,
}

impl AwsAuth {
    /// Reads the ConfigMap's `data`; what does not parse is left out.
    pub fn parse(data: &BTreeMap<String, String>) -> AwsAuth {
        let list = |key: &str| -> Vec<Value> {
            data.get(key)
                .and_then(|text| serde_norway::from_str::<Value>(text).ok())
                .and_then(|value| value.as_array().cloned())
                .unwrap_or_default()
        };
        let mappings = |key: &str, arn_field: &str| -> Vec<AwsAuthMapping> {
            list(key).iter().filter_map(|entry| mapping(entry, arn_field)).collect()
        };
        AwsAuth {
            map_roles: mappings("mapRoles", "rolearn"),
            map_users: mappings("mapUsers", "userarn"),
            map_accounts: list("mapAccounts")
                .into_iter()
                .filter_map(|account| match account {
                    Value::String(account) => Some(account),
                    Value::Number(number) => Some(number.to_string()),
                    _ => None,
                })
                .collect(),
        }
    }
}

fn mapping(entry: &Value, arn_field: &str) -> Option<AwsAuthMapping> {
    let arn = entry.get(arn_field)?.as_str().filter(|arn| !arn.is_empty())?.to_owned();
    let username = match entry.get("username") {
        None | Some(Value::Null) => String::new(),
        Some(value) => value.as_str()?.to_owned(),
    };
    let groups = match entry.get("groups") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => value.as_array()?.iter().map(|g| g.as_str().map(str::to_owned)).collect::<Option<_>>()?,
    };
    Some(AwsAuthMapping { arn, username, groups })
}

/// An access policy the caller holds in the cluster, with where it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyGrant {
    pub policy_arn: String,
    /// `None` for the whole cluster; else the namespaces (`*` wildcards allowed) it is limited to.
    pub namespaces: Option<Vec<String>>,
}

/// Who the caller is inside the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubernetesIdentity {
    pub username: String,
    pub groups: Vec<String>,
    /// The access policies of the caller's access entry (none when `aws-auth` mapped it).
    pub policies: Vec<PolicyGrant>,
}

/// What [`map_identity`] decides from.
#[derive(Debug, Clone, Copy)]
pub struct MappingInput<'a> {
    /// `API`, `API_AND_CONFIG_MAP` or `CONFIG_MAP`.
    pub authentication_mode: &'a str,
    pub caller: &'a AwsIdentity,
    /// The cluster's access entries.
    pub entries: &'a [AccessEntry],
    /// The cluster's `aws-auth` ConfigMap, when it has one.
    pub aws_auth: Option<&'a AwsAuth>,
    /// The cluster creator's ARN, when the cluster was created with `bootstrapClusterCreatorAdminPermissions`.
    pub bootstrap_creator: Option<&'a str>,
    /// The private DNS name of the EC2 instance whose session the caller is, when known.
    pub ec2_private_dns_name: Option<&'a str>,
}

/// The Kubernetes identity of a caller, or `None` when nothing maps it (the token is then refused).
pub fn map_identity(input: &MappingInput<'_>) -> Option<KubernetesIdentity> {
    let mode = input.authentication_mode;
    let canonical = canonical_arn(&input.caller.arn);
    if mode != "CONFIG_MAP"
        && let Some(entry) = matching_entry(input.entries, &canonical)
    {
        return from_entry(entry, input);
    }
    if mode == "API" {
        return None;
    }
    if let Some(creator) = input.bootstrap_creator
        && mode == "CONFIG_MAP"
        && canonical_arn(creator) == canonical
    {
        return Some(KubernetesIdentity {
            username: "kubernetes-admin".into(),
            groups: vec!["system:masters".into()],
            policies: Vec::new(),
        });
    }
    let aws_auth = input.aws_auth?;
    let wanted = canonical.to_ascii_lowercase();
    let mapped = match parse_principal(&canonical).ok()? {
        Principal::Role { .. } => aws_auth.map_roles.iter().find(|m| m.arn.to_ascii_lowercase() == wanted),
        Principal::User { .. } | Principal::Root { .. } => {
            aws_auth.map_users.iter().find(|m| m.arn.to_ascii_lowercase() == wanted)
        }
    };
    if let Some(mapped) = mapped {
        let template = if mapped.username.is_empty() { canonical.as_str() } else { mapped.username.as_str() };
        return Some(KubernetesIdentity {
            username: render(template, input)?,
            groups: mapped.groups.iter().map(|group| render(group, input)).collect::<Option<_>>()?,
            policies: Vec::new(),
        });
    }
    if aws_auth.map_accounts.contains(&input.caller.account) {
        return Some(KubernetesIdentity { username: canonical, groups: Vec::new(), policies: Vec::new() });
    }
    None
}

/// The access entry of the caller: same account, kind and name, whatever path the entry's ARN carries.
fn matching_entry<'a>(entries: &'a [AccessEntry], canonical: &str) -> Option<&'a AccessEntry> {
    let caller = parse_principal(canonical).ok()?;
    entries.iter().find(|entry| parse_principal(&entry.principal_arn).is_ok_and(|principal| principal == caller))
}

fn from_entry(entry: &AccessEntry, input: &MappingInput<'_>) -> Option<KubernetesIdentity> {
    let mut groups: Vec<String> = entry.kubernetes_groups.iter().map(|g| render(g, input)).collect::<Option<_>>()?;
    // Node entries carry no groups of their own: EKS puts them in the groups nodes need.
    match entry.kind.as_str() {
        "EC2_LINUX" | "EC2" | "FARGATE_LINUX" | "HYBRID_LINUX" => groups.push("system:nodes".into()),
        "EC2_WINDOWS" => groups.extend(["system:nodes".into(), "eks:kube-proxy-windows".into()]),
        _ => {}
    }
    let policies = entry
        .policies
        .iter()
        .map(|associated| PolicyGrant {
            policy_arn: associated.policy_arn.clone(),
            namespaces: (associated.scope.kind == "namespace").then(|| associated.scope.namespaces.clone()),
        })
        .collect();
    Some(KubernetesIdentity { username: render(&entry.username, input)?, groups, policies })
}

/// Expands the templates of a user name or group; `None` when the private DNS name is asked for and unknown.
fn render(template: &str, input: &MappingInput<'_>) -> Option<String> {
    let mut text = template.to_owned();
    if text.contains("{{EC2PrivateDNSName}}") {
        text = text.replace("{{EC2PrivateDNSName}}", input.ec2_private_dns_name?);
    }
    let session = input.caller.session_name();
    Some(
        text.replace("{{AccountID}}", &input.caller.account)
            .replace("{{SessionNameRaw}}", session)
            .replace("{{SessionName}}", &session.replace('@', "-"))
            .replace("{{AccessKeyID}}", &input.caller.access_key_id),
    )
}

/// The upstream ClusterRole whose permissions an access policy mirrors, for the policies that have one.
///
/// EKS evaluates its policies as fixed rule lists of its own; these roles hold nearly the same rules (the
/// differences are listed in `docs/aws.md`). `AmazonEKSAdminViewPolicy` (read everything, secrets included) and
/// the policies for EKS's own components have no upstream counterpart and grant nothing here.
pub fn upstream_cluster_role(policy_arn: &str) -> Option<&'static str> {
    match policy_arn.strip_prefix(super::access::ACCESS_POLICY_PREFIX)? {
        "AmazonEKSClusterAdminPolicy" => Some("cluster-admin"),
        "AmazonEKSAdminPolicy" => Some("admin"),
        "AmazonEKSEditPolicy" => Some("edit"),
        "AmazonEKSViewPolicy" => Some("view"),
        _ => None,
    }
}

impl Eks {
    /// The Kubernetes identity of `caller` in `cluster` (of the account and region of `owner`, as
    /// [`Eks::by_kubernetes_name`] finds them); `None` when nothing maps the caller.
    pub async fn kubernetes_identity(
        &self,
        owner: &Caller,
        cluster: &Cluster,
        caller: &AwsIdentity,
    ) -> Result<Option<KubernetesIdentity>, EksError> {
        self.node_identity(owner, cluster, caller, None).await
    }

    /// [`Eks::kubernetes_identity`] of an EC2 instance's session, whose private DNS name fills
    /// `{{EC2PrivateDNSName}}` (a node's kubelet, as aws-iam-authenticator maps it).
    pub async fn node_identity(
        &self,
        owner: &Caller,
        cluster: &Cluster,
        caller: &AwsIdentity,
        ec2_private_dns_name: Option<&str>,
    ) -> Result<Option<KubernetesIdentity>, EksError> {
        let mode = cluster.authentication_mode.as_str();
        let entries: Vec<AccessEntry> = if mode == "CONFIG_MAP" {
            Vec::new()
        } else {
            let prefix = Self::children_prefix(owner, "accessentries", &cluster.name);
            self.records.list::<AccessEntry>(&prefix).await?.into_iter().map(|stored| stored.value).collect()
        };
        let canonical = canonical_arn(&caller.arn);
        let has_entry = matching_entry(&entries, &canonical).is_some();
        let aws_auth = if mode == "API" || has_entry {
            None
        } else {
            let data = self
                .kubernetes
                .config_map(&cluster.kubernetes_name, "kube-system", "aws-auth")
                .await
                .map_err(EksError::Server)?;
            data.map(|data| AwsAuth::parse(&data))
        };
        let bootstrap_creator =
            cluster.bootstrap_cluster_creator_admin_permissions.then_some(cluster.creator_arn.as_str());
        Ok(map_identity(&MappingInput {
            authentication_mode: mode,
            caller,
            entries: &entries,
            aws_auth: aws_auth.as_ref(),
            bootstrap_creator,
            ec2_private_dns_name,
        }))
    }
}

#[cfg(test)]
mod tests;

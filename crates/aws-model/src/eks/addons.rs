//! Add-ons: ekslite's catalog of EKS add-ons and their versions per Kubernetes version (DescribeAddonVersions,
//! DescribeAddonConfiguration), and the add-ons installed on clusters with their lifecycle (the cluster delays) and
//! updates (UpdateAddon leaves an `Update`).
//!
//! An add-on's objects go into the Kubernetes cluster through `KubernetesClusters::addon` (only some add-ons have
//! any): CreateAddon puts them in before it answers, and an add-on stays `CREATING` until they are in, so that the
//! reconciler (`super::reconcile`) finishes a create cut short. DeleteAddon answers at once; the reconciler takes
//! the objects out (unless `preserve`) and the record goes once they are out and its delay is over.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::support::Transition;
use super::support::{compare_versions, page, validate_tags};
use super::updates::{Update, UpdateScope};
use super::{Caller, Eks, EksError, HealthIssue, validate_role_arn};
use crate::records::RecordError;

/// One add-on of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddonInfo {
    pub name: &'static str,
    /// `networking`, `storage`, `observability`, `security`.
    pub kind: &'static str,
    /// Whether the add-on needs IAM permissions (a service account role or pod identity).
    pub requires_iam: bool,
    /// Who owns it: `aws` for EKS's own add-ons, `community` for the community add-ons EKS publishes
    /// (metrics-server).
    pub owner: &'static str,
    /// Versions, newest first.
    pub versions: &'static [AddonVersion],
    /// The properties its configuration schema allows beside the common ones.
    pub settings: &'static [&'static str],
}

/// One version of an add-on and the Kubernetes versions it runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddonVersion {
    /// `v1.x.y-eksbuild.N`.
    pub version: &'static str,
    /// Oldest and newest Kubernetes minor versions it supports.
    pub kubernetes: (&'static str, &'static str),
    /// The Kubernetes versions on which it is the default.
    pub default_for: &'static [&'static str],
}

const ALL: (&str, &str) = ("1.30", "1.34");

/// The add-ons ekslite knows.
pub const CATALOG: &[AddonInfo] = &[
    AddonInfo {
        name: "amazon-cloudwatch-observability",
        kind: "observability",
        requires_iam: true,
        owner: "aws",
        versions: &[
            AddonVersion {
                version: "v4.4.0-eksbuild.1",
                kubernetes: ALL,
                default_for: &["1.30", "1.31", "1.32", "1.33", "1.34"],
            },
            AddonVersion { version: "v4.3.0-eksbuild.1", kubernetes: ALL, default_for: &[] },
        ],
        settings: &["agent", "containerLogs", "manager"],
    },
    AddonInfo {
        name: "aws-ebs-csi-driver",
        kind: "storage",
        requires_iam: true,
        owner: "aws",
        versions: &[
            AddonVersion {
                version: "v1.48.0-eksbuild.2",
                kubernetes: ALL,
                default_for: &["1.30", "1.31", "1.32", "1.33", "1.34"],
            },
            AddonVersion { version: "v1.47.0-eksbuild.1", kubernetes: ALL, default_for: &[] },
        ],
        settings: &["controller", "node", "sidecars"],
    },
    AddonInfo {
        name: "aws-efs-csi-driver",
        kind: "storage",
        requires_iam: true,
        owner: "aws",
        versions: &[
            AddonVersion {
                version: "v2.1.12-eksbuild.1",
                kubernetes: ALL,
                default_for: &["1.30", "1.31", "1.32", "1.33", "1.34"],
            },
            AddonVersion { version: "v2.1.11-eksbuild.1", kubernetes: ALL, default_for: &[] },
        ],
        settings: &["controller", "node"],
    },
    AddonInfo {
        name: "coredns",
        kind: "networking",
        requires_iam: false,
        owner: "aws",
        versions: &[
            AddonVersion {
                version: "v1.12.3-eksbuild.1",
                kubernetes: ("1.33", "1.34"),
                default_for: &["1.33", "1.34"],
            },
            AddonVersion {
                version: "v1.11.4-eksbuild.2",
                kubernetes: ("1.30", "1.32"),
                default_for: &["1.30", "1.31", "1.32"],
            },
            AddonVersion { version: "v1.11.3-eksbuild.1", kubernetes: ("1.30", "1.32"), default_for: &[] },
        ],
        settings: &["replicaCount", "corefile", "autoScaling"],
    },
    AddonInfo {
        name: "eks-pod-identity-agent",
        kind: "security",
        requires_iam: false,
        owner: "aws",
        versions: &[
            AddonVersion {
                version: "v1.3.8-eksbuild.2",
                kubernetes: ALL,
                default_for: &["1.30", "1.31", "1.32", "1.33", "1.34"],
            },
            AddonVersion { version: "v1.3.7-eksbuild.2", kubernetes: ALL, default_for: &[] },
        ],
        settings: &["agent", "init"],
    },
    AddonInfo {
        name: "kube-proxy",
        kind: "networking",
        requires_iam: false,
        owner: "aws",
        versions: &[
            AddonVersion { version: "v1.34.1-eksbuild.2", kubernetes: ("1.34", "1.34"), default_for: &["1.34"] },
            AddonVersion { version: "v1.33.5-eksbuild.2", kubernetes: ("1.33", "1.33"), default_for: &["1.33"] },
            AddonVersion { version: "v1.32.9-eksbuild.2", kubernetes: ("1.32", "1.32"), default_for: &["1.32"] },
            AddonVersion { version: "v1.31.13-eksbuild.2", kubernetes: ("1.31", "1.31"), default_for: &["1.31"] },
            AddonVersion { version: "v1.30.14-eksbuild.8", kubernetes: ("1.30", "1.30"), default_for: &["1.30"] },
        ],
        settings: &["mode", "ipvs"],
    },
    AddonInfo {
        name: "metrics-server",
        kind: "observability",
        requires_iam: false,
        owner: "community",
        versions: &[
            AddonVersion {
                version: "v0.8.0-eksbuild.1",
                kubernetes: ALL,
                default_for: &["1.30", "1.31", "1.32", "1.33", "1.34"],
            },
            AddonVersion { version: "v0.7.2-eksbuild.4", kubernetes: ALL, default_for: &[] },
        ],
        settings: &["replicas", "args"],
    },
    AddonInfo {
        name: "vpc-cni",
        kind: "networking",
        requires_iam: true,
        owner: "aws",
        versions: &[
            AddonVersion {
                version: "v1.20.4-eksbuild.1",
                kubernetes: ALL,
                default_for: &["1.30", "1.31", "1.32", "1.33", "1.34"],
            },
            AddonVersion { version: "v1.19.6-eksbuild.7", kubernetes: ALL, default_for: &[] },
        ],
        settings: &["env", "enableNetworkPolicy", "init", "nodeAgent"],
    },
];

impl AddonVersion {
    /// Whether this version runs on Kubernetes `version`.
    pub fn supports(&self, version: &str) -> bool {
        let (oldest, newest) = self.kubernetes;
        compare_versions(oldest, version).is_some_and(|o| o.is_le())
            && compare_versions(version, newest).is_some_and(|o| o.is_le())
    }
}

/// The catalog entry of an add-on.
pub fn addon_info(name: &str) -> Option<&'static AddonInfo> {
    CATALOG.iter().find(|info| info.name == name)
}

/// An add-on of the catalog with the versions a DescribeAddonVersions asked for.
pub type AddonVersions = (&'static AddonInfo, Vec<&'static AddonVersion>);

/// The catalog filtered as DescribeAddonVersions asks, a page at a time (by add-on name).
pub fn describe_addon_versions(
    kubernetes_version: Option<&str>,
    addon_name: Option<&str>,
    max_results: Option<i64>,
    next_token: Option<&str>,
) -> Result<(Vec<AddonVersions>, Option<String>), EksError> {
    let matching: Vec<AddonVersions> = CATALOG
        .iter()
        .filter(|info| addon_name.is_none_or(|name| info.name == name))
        .map(|info| {
            let versions =
                info.versions.iter().filter(|v| kubernetes_version.is_none_or(|k| v.supports(k))).collect::<Vec<_>>();
            (info, versions)
        })
        .filter(|(_, versions)| !versions.is_empty())
        .collect();
    let names = matching.iter().map(|(info, _)| info.name.to_owned()).collect();
    let (names, token) = page(names, max_results, next_token)?;
    Ok((matching.into_iter().filter(|(info, _)| names.iter().any(|n| n == info.name)).collect(), token))
}

/// The JSON schema of an add-on version's `configurationValues`.
pub fn configuration_schema(name: &str, version: &str) -> Result<String, EksError> {
    let info = addon_info(name).ok_or_else(|| unsupported_addon(name))?;
    if !info.versions.iter().any(|v| v.version == version) {
        return Err(EksError::InvalidParameter("Addon version specified is not supported".into()));
    }
    let mut properties = serde_json::Map::new();
    for common in ["resources", "tolerations", "nodeSelector", "affinity", "podAnnotations", "podLabels"] {
        let kind = if common == "tolerations" { "array" } else { "object" };
        properties.insert(common.to_owned(), serde_json::json!({ "type": kind }));
    }
    for setting in info.settings {
        properties.insert((*setting).to_owned(), serde_json::json!({}));
    }
    let schema = serde_json::json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": format!("{name}-{version}"),
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
    });
    Ok(schema.to_string())
}

/// `CREATING`, `ACTIVE`, ... as EKS spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AddonStatus {
    Creating,
    Active,
    CreateFailed,
    Updating,
    Deleting,
    DeleteFailed,
    Degraded,
    UpdateFailed,
}

impl AddonStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AddonStatus::Creating => "CREATING",
            AddonStatus::Active => "ACTIVE",
            AddonStatus::CreateFailed => "CREATE_FAILED",
            AddonStatus::Updating => "UPDATING",
            AddonStatus::Deleting => "DELETING",
            AddonStatus::DeleteFailed => "DELETE_FAILED",
            AddonStatus::Degraded => "DEGRADED",
            AddonStatus::UpdateFailed => "UPDATE_FAILED",
        }
    }
}

/// An add-on installed on a cluster, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Addon {
    pub name: String,
    pub cluster: String,
    pub arn: String,
    pub version: String,
    pub status: AddonStatus,
    /// Unix seconds.
    pub created_at: f64,
    pub modified_at: f64,
    pub service_account_role_arn: Option<String>,
    pub configuration_values: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// When a `CREATING` add-on becomes `ACTIVE` (Unix seconds).
    pub ready_at: f64,
    /// When a `DELETING` add-on is gone (Unix seconds).
    pub gone_at: Option<f64>,
    /// While an update runs, when it ends (Unix seconds).
    pub updating_until: Option<f64>,
    /// Whether its objects are in the Kubernetes cluster; a `CREATING` add-on is `ACTIVE` only once they are.
    #[serde(default = "already")]
    pub installed: bool,
    /// Whether DeleteAddon asked to leave its objects in the cluster.
    #[serde(default)]
    pub preserve: bool,
    /// Whether a `DELETING` add-on's objects are out of the cluster (or preserved); the record goes once they
    /// are and `gone_at` has passed.
    #[serde(default)]
    pub released: bool,
    /// What went wrong (a `CREATE_FAILED` add-on says why).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health: Vec<HealthIssue>,
    /// The `clientRequestToken` of the call that made it: the same call sent again answers with this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
}

/// Records written before add-ons tracked their objects had them put in by the call that created them.
fn already() -> bool {
    true
}

/// What CreateAddon and UpdateAddon ask for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddonRequest {
    pub cluster: String,
    pub name: String,
    pub version: Option<String>,
    pub service_account_role_arn: Option<String>,
    /// `OVERWRITE`, `NONE` or `PRESERVE` (`PRESERVE` on updates only).
    pub resolve_conflicts: Option<String>,
    pub configuration_values: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Makes CreateAddon idempotent (UpdateAddon takes it and changes nothing by it).
    pub client_request_token: Option<String>,
}

/// Checks that `values` is JSON or YAML: an object, as add-on configuration is.
pub fn validate_configuration_values(values: &str) -> Result<(), EksError> {
    let invalid = |detail: String| {
        EksError::InvalidParameter(format!("ConfigurationValue provided in request is not supported: {detail}"))
    };
    let trimmed = values.trim_start();
    if trimmed.is_empty() {
        return Ok(());
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return match serde_json::from_str::<serde_json::Value>(values) {
            Ok(serde_json::Value::Object(_)) => Ok(()),
            Ok(_) => Err(invalid("the configuration must be an object".into())),
            Err(error) => Err(invalid(format!("invalid JSON: {error}"))),
        };
    }
    // A YAML block mapping: every line is a comment, a `key: value` entry, a `- item`, indented content, or the
    // text of a block scalar (`key: |`) indented below its key.
    let mut block_indent: Option<usize> = None;
    for (index, line) in values.lines().enumerate() {
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if let Some(block) = block_indent {
            if indent > block {
                continue;
            }
            block_indent = None;
        }
        if content.starts_with('\t') {
            return Err(invalid(format!("invalid YAML on line {}: tabs cannot indent", index + 1)));
        }
        let item = content.strip_prefix("- ").unwrap_or(content);
        let entry = content.starts_with("- ") || content == "-" || mapping_key(content);
        let continued = content.starts_with(['"', '\'']);
        if (indent == 0 && !mapping_key(content)) || (indent > 0 && !entry && !continued) {
            return Err(invalid(format!("invalid YAML on line {}: expected a key: value mapping", index + 1)));
        }
        let value = item.split_once(": ").map_or("", |(_, value)| value.trim());
        if ["|", ">", "|-", ">-", "|+", ">+"].contains(&value) {
            block_indent = Some(indent);
        }
    }
    Ok(())
}

/// Whether a YAML line starts with `key:` followed by a space or the end of the line.
fn mapping_key(content: &str) -> bool {
    let Some(colon) = content.find(':') else { return false };
    let key = content[..colon].trim();
    let quoted = key.starts_with(['"', '\'']);
    !key.is_empty()
        && (quoted || !key.contains([' ', '{', '}', '[', ']']))
        && content[colon + 1..].chars().next().is_none_or(|c| c == ' ')
}

impl Eks {
    fn addon_key(caller: &Caller, cluster: &str, name: &str) -> String {
        Self::child_key(caller, "addons", cluster, name)
    }

    pub(crate) async fn settle_addon(
        &self,
        key: &str,
        mut addon: Addon,
        revision: store::Revision,
    ) -> Result<Option<Addon>, EksError> {
        let now = self.clock.now();
        let transition = match addon.status {
            AddonStatus::Creating if addon.installed && now >= addon.ready_at => {
                addon.status = AddonStatus::Active;
                Transition::Store
            }
            AddonStatus::Deleting if addon.released && addon.gone_at.is_some_and(|at| now >= at) => Transition::Remove,
            AddonStatus::Active | AddonStatus::Degraded if addon.updating_until.is_some_and(|until| now < until) => {
                addon.status = AddonStatus::Updating;
                Transition::Unchanged
            }
            _ => Transition::Unchanged,
        };
        let exists = self.write_transition(key, &addon, revision, transition).await?;
        Ok(exists.then_some(addon))
    }

    /// The version an add-on request asks for, checked against the cluster's Kubernetes version.
    fn addon_version(info: &AddonInfo, asked: Option<&str>, kubernetes: &str) -> Result<String, EksError> {
        let unsupported = || EksError::InvalidParameter("Addon version specified is not supported".into());
        match asked {
            Some(asked) => {
                let known = info.versions.iter().find(|v| v.version == asked).ok_or_else(unsupported)?;
                if known.supports(kubernetes) { Ok(asked.to_owned()) } else { Err(unsupported()) }
            }
            None => info
                .versions
                .iter()
                .find(|v| v.default_for.contains(&kubernetes))
                .or_else(|| info.versions.iter().find(|v| v.supports(kubernetes)))
                .map(|v| v.version.to_owned())
                .ok_or_else(unsupported),
        }
    }

    pub async fn create_addon(&self, caller: &Caller, input: AddonRequest) -> Result<Addon, EksError> {
        let cluster = self.existing_cluster(caller, &input.cluster).await?;
        if let Some(token) = &input.client_request_token {
            super::validate_client_request_token(token)?;
            let key = Self::addon_key(caller, &input.cluster, &input.name);
            if let Some(stored) = self.records.get::<Addon>(&key).await?
                && let Some(made) = self.settle_addon(&key, stored.value, stored.revision).await?
                && made.client_request_token.as_ref() == Some(token)
            {
                return Ok(made);
            }
        }
        let info = addon_info(&input.name).ok_or_else(|| unsupported_addon(&input.name))?;
        let version = Self::addon_version(info, input.version.as_deref(), &cluster.version)?;
        if let Some(role) = &input.service_account_role_arn {
            validate_role_arn(role)?;
        }
        match input.resolve_conflicts.as_deref() {
            None | Some("OVERWRITE" | "NONE") => {}
            Some(other) => {
                return Err(EksError::InvalidParameter(format!(
                    "Unsupported resolveConflicts {other} for CreateAddon"
                )));
            }
        }
        if let Some(values) = &input.configuration_values {
            validate_configuration_values(values)?;
        }
        validate_tags(&input.tags)?;
        self.active_cluster(caller, &input.cluster).await?;
        let now = self.clock.now();
        let addon = Addon {
            arn: format!(
                "arn:aws:eks:{}:{}:addon/{}/{}/{}",
                caller.region,
                caller.account,
                input.cluster,
                input.name,
                crate::ids::uuid()
            ),
            name: input.name.clone(),
            cluster: input.cluster.clone(),
            version,
            status: AddonStatus::Creating,
            created_at: now,
            modified_at: now,
            service_account_role_arn: input.service_account_role_arn.clone(),
            configuration_values: input.configuration_values.clone(),
            tags: input.tags.clone(),
            ready_at: now + self.config.create_seconds,
            gone_at: None,
            updating_until: None,
            installed: false,
            preserve: false,
            released: false,
            health: Vec::new(),
            client_request_token: input.client_request_token.clone(),
        };
        let key = Self::addon_key(caller, &input.cluster, &input.name);
        if let Some(stored) = self.records.get::<Addon>(&key).await?
            && self.settle_addon(&key, stored.value, stored.revision).await?.is_some()
        {
            return Err(EksError::ResourceInUse("Addon already exists.".into()));
        }
        self.records.create(&key, &addon).await.map_err(|error| match error {
            RecordError::Exists(_) => EksError::ResourceInUse("Addon already exists.".into()),
            other => other.into(),
        })?;
        // Should this fail or be cut short, the reconciler puts the objects in (or reports why it cannot).
        if self.kubernetes.addon(&cluster.kubernetes_name, &addon, true).await.is_ok() {
            self.edit::<Addon, ()>(&key, |stored| {
                stored.installed = true;
                Ok(())
            })
            .await?;
        }
        Ok(addon)
    }

    pub async fn describe_addon(&self, caller: &Caller, cluster: &str, name: &str) -> Result<Addon, EksError> {
        self.existing_cluster(caller, cluster).await?;
        let key = Self::addon_key(caller, cluster, name);
        let Some(stored) = self.records.get::<Addon>(&key).await? else { return Err(addon_not_found(cluster, name)) };
        self.settle_addon(&key, stored.value, stored.revision).await?.ok_or_else(|| addon_not_found(cluster, name))
    }

    pub async fn list_addons(
        &self,
        caller: &Caller,
        cluster: &str,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), EksError> {
        self.existing_cluster(caller, cluster).await?;
        let names = self.addons(caller, cluster).await?.into_iter().map(|addon| addon.name).collect();
        page(names, max_results, next_token)
    }

    /// The add-ons of a cluster as they are now, in name order.
    pub(crate) async fn addons(&self, caller: &Caller, cluster: &str) -> Result<Vec<Addon>, EksError> {
        let prefix = Self::children_prefix(caller, "addons", cluster);
        let mut addons = Vec::new();
        for stored in self.records.list::<Addon>(&prefix).await? {
            if let Some(addon) = self.settle_addon(&stored.key, stored.value, stored.revision).await? {
                addons.push(addon);
            }
        }
        Ok(addons)
    }

    /// Marks an add-on `DELETING` and answers; its objects are taken out of the cluster in the background unless
    /// `preserve` keeps them.
    pub async fn delete_addon(
        &self,
        caller: &Caller,
        cluster: &str,
        name: &str,
        preserve: bool,
    ) -> Result<Addon, EksError> {
        self.existing_cluster(caller, cluster).await?;
        let key = Self::addon_key(caller, cluster, name);
        for _ in 0..16 {
            let Some(stored) = self.records.get::<Addon>(&key).await? else {
                return Err(addon_not_found(cluster, name));
            };
            let revision = stored.revision;
            let Some(mut addon) = self.settle_addon(&key, stored.value, revision).await? else {
                return Err(addon_not_found(cluster, name));
            };
            if addon.status == AddonStatus::Deleting {
                return Ok(addon);
            }
            addon.status = AddonStatus::Deleting;
            addon.gone_at = Some(self.clock.now() + self.config.delete_seconds);
            addon.preserve = preserve;
            addon.released = false;
            // A conflict (another writer, or the read settling `CREATING` into `ACTIVE`) reads again.
            match self.records.update(&key, &addon, revision).await {
                Ok(_) => return Ok(addon),
                Err(RecordError::Conflict(_)) => continue,
                Err(RecordError::NotFound(_)) => return Err(addon_not_found(cluster, name)),
                Err(error) => return Err(error.into()),
            }
        }
        Err(EksError::Server("the add-on kept changing; retry".into()))
    }

    pub async fn update_addon(&self, caller: &Caller, input: AddonRequest) -> Result<Update, EksError> {
        if let Some(update) =
            self.replayed_update(caller, &input.cluster, input.client_request_token.as_deref()).await?
        {
            return Ok(update);
        }
        let (cluster, name) = (input.cluster.as_str(), input.name.as_str());
        let addon = self.describe_addon(caller, cluster, name).await?;
        let kubernetes = self.active_cluster(caller, cluster).await?.version;
        match addon.status {
            AddonStatus::Active | AddonStatus::Degraded | AddonStatus::UpdateFailed => {}
            AddonStatus::Updating => {
                return Err(EksError::ResourceInUse(format!(
                    "Addon {name} is currently being updated. Please retry after the update completes."
                )));
            }
            status => {
                return Err(EksError::InvalidRequest(format!(
                    "Addon {name} is not in ACTIVE status (it is {})",
                    status.as_str()
                )));
            }
        }
        let info = addon_info(name).ok_or_else(|| unsupported_addon(name))?;
        let mut params = Vec::new();
        let version = match &input.version {
            Some(asked) => {
                let version = Self::addon_version(info, Some(asked), &kubernetes)?;
                params.push(("AddonVersion".to_owned(), version.clone()));
                version
            }
            None => addon.version.clone(),
        };
        if let Some(role) = &input.service_account_role_arn {
            if !role.is_empty() {
                validate_role_arn(role)?;
            }
            params.push(("ServiceAccountRoleArn".to_owned(), role.clone()));
        }
        if let Some(resolve) = &input.resolve_conflicts {
            if !["OVERWRITE", "NONE", "PRESERVE"].contains(&resolve.as_str()) {
                return Err(EksError::InvalidParameter(format!("Unsupported resolveConflicts {resolve}")));
            }
            params.push(("ResolveConflicts".to_owned(), resolve.clone()));
        }
        if let Some(values) = &input.configuration_values {
            validate_configuration_values(values)?;
            params.push(("ConfigurationValues".to_owned(), values.clone()));
        }
        let now = self.clock.now();
        let until = now + self.config.update_seconds;
        let key = Self::addon_key(caller, cluster, name);
        let mut updated = None;
        self.edit::<Addon, ()>(&key, |addon| {
            addon.version = version.clone();
            if let Some(role) = &input.service_account_role_arn {
                addon.service_account_role_arn = (!role.is_empty()).then(|| role.clone());
            }
            if let Some(values) = &input.configuration_values {
                addon.configuration_values = Some(values.clone());
            }
            addon.modified_at = now;
            addon.updating_until = (self.config.update_seconds > 0.0).then_some(until);
            updated = Some(addon.clone());
            Ok(())
        })
        .await?
        .ok_or_else(|| addon_not_found(cluster, name))?;
        // The add-on's objects take the new version and settings; should that fail, the add-on is degraded until
        // a later update puts them in.
        if let Some(updated) = updated.filter(|addon| addon.installed) {
            let kubernetes_name = self.active_cluster(caller, cluster).await?.kubernetes_name;
            let failure = self.kubernetes.addon(&kubernetes_name, &updated, true).await.err();
            self.edit::<Addon, ()>(&key, |addon| {
                addon.health.retain(|issue| issue.code != "ConfigurationConflict");
                if let Some(reason) = &failure {
                    addon.health.push(HealthIssue {
                        code: "ConfigurationConflict".into(),
                        message: format!("The add-on's objects could not be updated: {reason}"),
                        resource_ids: Vec::new(),
                    });
                }
                Ok(())
            })
            .await?;
        }
        let scope = UpdateScope { nodegroup: None, addon: Some(name) };
        self.record_update(caller, cluster, scope, "AddonUpdate", params, input.client_request_token.as_deref()).await
    }
}

fn unsupported_addon(name: &str) -> EksError {
    EksError::InvalidParameter(format!("Addon {name} specified is not supported"))
}

fn addon_not_found(cluster: &str, name: &str) -> EksError {
    EksError::ResourceNotFound(format!("No addon: {name} found in cluster: {cluster}"))
}

#[cfg(test)]
mod tests;

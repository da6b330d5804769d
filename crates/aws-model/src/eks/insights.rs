//! Cluster insights (ListInsights, DescribeInsight): EKS's upgrade-readiness checks, worked out from the
//! cluster as it is when asked. Each check looks at what moving the control plane one minor version up would
//! meet: node groups whose kubelets would fall outside the version skew Kubernetes allows, Amazon Linux 2 node
//! groups (no AL2 images exist from 1.33), add-ons with no version for the next release, and the cluster's own
//! health issues. Checks that would need a record of API use (deprecated APIs called) are not made.

use std::collections::BTreeMap;

use super::addons::addon_info;
use super::support::{compare_versions, next_minor, page_after, page_limit};
use super::{Caller, Cluster, Eks, EksError};

/// The category of every check here.
pub const UPGRADE_READINESS: &str = "UPGRADE_READINESS";
/// The categories EKS knows.
const CATEGORIES: [&str; 2] = [UPGRADE_READINESS, "MISCONFIGURATION"];
/// How many minor versions a kubelet may be behind the API server.
const KUBELET_SKEW: u32 = 3;

/// `PASSING`, `WARNING`, `ERROR` or `UNKNOWN`, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum InsightStatus {
    Passing,
    Unknown,
    Warning,
    Error,
}

impl InsightStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InsightStatus::Passing => "PASSING",
            InsightStatus::Warning => "WARNING",
            InsightStatus::Error => "ERROR",
            InsightStatus::Unknown => "UNKNOWN",
        }
    }

    fn parse(text: &str) -> Option<InsightStatus> {
        [InsightStatus::Passing, InsightStatus::Warning, InsightStatus::Error, InsightStatus::Unknown]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// One resource a check looked at, with what it found there.
#[derive(Debug, Clone, PartialEq)]
pub struct InsightResource {
    pub status: InsightStatus,
    pub reason: String,
    pub arn: String,
}

/// One check's finding on a cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Insight {
    /// A UUID that stays the same for a check on a cluster.
    pub id: String,
    pub name: String,
    pub category: &'static str,
    /// The version the cluster would move to.
    pub kubernetes_version: String,
    /// Unix seconds.
    pub last_refresh: f64,
    /// Unix seconds: when what the check looks at last changed.
    pub last_transition: f64,
    pub description: String,
    pub status: InsightStatus,
    pub reason: String,
    pub recommendation: String,
    pub additional_info: BTreeMap<String, String>,
    pub resources: Vec<InsightResource>,
    /// Add-ons and their versions that run on [`Insight::kubernetes_version`] (the add-on check only).
    pub addon_compatibility: Vec<(String, Vec<String>)>,
}

/// ListInsights' `filter`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InsightFilter {
    pub categories: Vec<String>,
    pub kubernetes_versions: Vec<String>,
    pub statuses: Vec<String>,
}

impl Eks {
    /// The insights of a cluster that pass the filter, in name order, a page at a time (the token is the last id
    /// of the previous page, as base64).
    pub async fn list_insights(
        &self,
        caller: &Caller,
        cluster: &str,
        filter: &InsightFilter,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<(Vec<Insight>, Option<String>), EksError> {
        let limit = page_limit(max_results)?;
        if let Some(unknown) = filter.categories.iter().find(|c| !CATEGORIES.contains(&c.as_str())) {
            return Err(EksError::InvalidParameter(format!("Unsupported insight category {unknown}")));
        }
        let mut statuses = Vec::new();
        for text in &filter.statuses {
            statuses.push(
                InsightStatus::parse(text)
                    .ok_or_else(|| EksError::InvalidParameter(format!("Unsupported insight status {text}")))?,
            );
        }
        let insights: Vec<Insight> = self
            .insights(caller, cluster)
            .await?
            .into_iter()
            .filter(|i| filter.categories.is_empty() || filter.categories.iter().any(|c| c == i.category))
            .filter(|i| {
                filter.kubernetes_versions.is_empty() || filter.kubernetes_versions.contains(&i.kubernetes_version)
            })
            .filter(|i| statuses.is_empty() || statuses.contains(&i.status))
            .collect();
        page_after(insights, |insight| &insight.id, limit, next_token)
    }

    pub async fn describe_insight(&self, caller: &Caller, cluster: &str, id: &str) -> Result<Insight, EksError> {
        self.insights(caller, cluster)
            .await?
            .into_iter()
            .find(|insight| insight.id == id)
            .ok_or_else(|| EksError::ResourceNotFound(format!("No insight found for id: {id}")))
    }

    /// Every check on the cluster as it is now, in name order.
    async fn insights(&self, caller: &Caller, name: &str) -> Result<Vec<Insight>, EksError> {
        let cluster = self.existing_cluster(caller, name).await?;
        let next = next_minor(&cluster.version).unwrap_or_else(|| cluster.version.clone());
        let nodegroups = self.nodegroups(caller, name).await?;
        let addons = self.addons(caller, name).await?;
        let now = self.clock.now();
        let check = Check { cluster: &cluster, next: &next, now };

        let mut skew = Vec::new();
        let mut al2 = Vec::new();
        for group in &nodegroups {
            let behind = minor(&next).zip(minor(&group.version)).map_or(0, |(n, g)| n.saturating_sub(g));
            let (status, reason) = if behind > KUBELET_SKEW {
                let reason = format!(
                    "Node group {} runs Kubernetes {}, more than {KUBELET_SKEW} minor versions behind {next}",
                    group.name, group.version
                );
                (InsightStatus::Error, reason)
            } else if compare_versions(&group.version, &cluster.version).is_some_and(|o| o.is_lt()) {
                (
                    InsightStatus::Warning,
                    format!(
                        "Node group {} runs Kubernetes {}, older than the control plane's {}",
                        group.name, group.version, cluster.version
                    ),
                )
            } else {
                (InsightStatus::Passing, format!("Node group {} runs Kubernetes {}", group.name, group.version))
            };
            skew.push(InsightResource { status, reason, arn: group.arn.clone() });
            if group.ami_type.starts_with("AL2_") {
                let status = if compare_versions(&next, "1.32").is_some_and(|o| o.is_gt()) {
                    InsightStatus::Error
                } else {
                    InsightStatus::Warning
                };
                let reason = format!("Node group {} uses AMI type {}", group.name, group.ami_type);
                al2.push(InsightResource { status, reason, arn: group.arn.clone() });
            }
        }
        let groups_changed = nodegroups.iter().map(|group| group.modified_at).fold(cluster.created_at, f64::max);

        let offered = self.config.versions.contains(&next);
        let mut addon_resources = Vec::new();
        let mut compatibility = Vec::new();
        for addon in &addons {
            let versions: Vec<String> = addon_info(&addon.name)
                .map(|info| info.versions.iter().filter(|v| v.supports(&next)).map(|v| v.version.to_owned()).collect())
                .unwrap_or_default();
            let (status, reason) = if !offered {
                (
                    InsightStatus::Unknown,
                    format!("Kubernetes {next} is not offered yet, so {} cannot be checked", addon.name),
                )
            } else if versions.contains(&addon.version) {
                (InsightStatus::Passing, format!("{} {} runs on Kubernetes {next}", addon.name, addon.version))
            } else if versions.is_empty() {
                (InsightStatus::Error, format!("{} has no version for Kubernetes {next}", addon.name))
            } else {
                (
                    InsightStatus::Error,
                    format!(
                        "{} {} does not run on Kubernetes {next}; update it to one of {}",
                        addon.name,
                        addon.version,
                        versions.join(", ")
                    ),
                )
            };
            addon_resources.push(InsightResource { status, reason, arn: addon.arn.clone() });
            compatibility.push((addon.name.clone(), versions));
        }
        let addons_changed = addons.iter().map(|addon| addon.modified_at).fold(cluster.created_at, f64::max);

        let health: Vec<InsightResource> = cluster
            .health
            .iter()
            .map(|issue| InsightResource {
                status: InsightStatus::Error,
                reason: format!("{}: {}", issue.code, issue.message),
                arn: cluster.arn.clone(),
            })
            .collect();

        let mut insights = vec![
            check.insight(
                "Amazon Linux 2 compatibility",
                "Checks for node groups running Amazon Linux 2, for which EKS publishes no images from Kubernetes 1.33.",
                "Move these node groups to Amazon Linux 2023 or Bottlerocket AMI types before upgrading.",
                al2,
                groups_changed,
            ),
            check.insight(
                "Cluster health issues",
                "Checks for health issues of the cluster that could stop an upgrade.",
                "Resolve the cluster's health issues before upgrading.",
                health,
                cluster.created_at,
            ),
            Insight {
                addon_compatibility: compatibility,
                ..check.insight(
                    "EKS add-on version compatibility",
                    "Checks that each EKS add-on of the cluster has a version that runs on the next Kubernetes version.",
                    "Update the add-ons to a version compatible with the next Kubernetes version before upgrading the control plane.",
                    addon_resources,
                    addons_changed,
                )
            },
            check.insight(
                "Kubelet version skew",
                "Checks that every node group's kubelet stays within the version skew Kubernetes allows once the control plane moves to the next version.",
                "Upgrade the node groups to the control plane's version before upgrading the control plane.",
                skew,
                groups_changed,
            ),
        ];
        insights.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(insights)
    }
}

/// What every check of one cluster shares.
struct Check<'a> {
    cluster: &'a Cluster,
    next: &'a str,
    now: f64,
}

impl Check<'_> {
    /// An insight whose status is the worst of its resources' (passing when none is found wanting).
    fn insight(
        &self,
        name: &str,
        description: &str,
        recommendation: &str,
        resources: Vec<InsightResource>,
        last_transition: f64,
    ) -> Insight {
        let status = resources.iter().map(|r| r.status).max().unwrap_or(InsightStatus::Passing);
        let reason = match status {
            InsightStatus::Passing => "No issues found.".to_owned(),
            _ => resources
                .iter()
                .filter(|r| r.status == status)
                .map(|r| r.reason.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        };
        let additional_info = [(
            "EKS update cluster documentation".to_owned(),
            "https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html".to_owned(),
        )]
        .into_iter()
        .collect();
        Insight {
            id: stable_id(&self.cluster.arn, name),
            name: name.to_owned(),
            category: UPGRADE_READINESS,
            kubernetes_version: self.next.to_owned(),
            last_refresh: self.now,
            last_transition,
            description: description.to_owned(),
            status,
            reason,
            recommendation: recommendation.to_owned(),
            additional_info,
            resources,
            addon_compatibility: Vec::new(),
        }
    }
}

/// The minor number of `major.minor`.
fn minor(version: &str) -> Option<u32> {
    version.split_once('.')?.1.parse().ok()
}

/// A UUID-shaped id drawn from the cluster's ARN and the check's name, so that a check keeps its id.
fn stable_id(cluster_arn: &str, check: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, format!("{cluster_arn}\n{check}").as_bytes());
    let hex: String = digest.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

#[cfg(test)]
mod tests;

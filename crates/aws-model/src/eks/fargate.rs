//! Fargate profiles: their rules (selectors, one profile `CREATING` or `DELETING` per cluster at a time), their
//! lifecycle (the cluster delays), and [`Eks::matching_profile`], the rule by which a pod lands on Fargate.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::prerequisites::RoleUse;
use super::support::Transition;
use super::support::{page, validate_name, validate_tags};
use super::{Caller, Eks, EksError, validate_role_arn};
use crate::records::RecordError;

/// `CREATING`, `ACTIVE`, ... as EKS spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FargateProfileStatus {
    Creating,
    Active,
    Deleting,
    CreateFailed,
    DeleteFailed,
}

impl FargateProfileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FargateProfileStatus::Creating => "CREATING",
            FargateProfileStatus::Active => "ACTIVE",
            FargateProfileStatus::Deleting => "DELETING",
            FargateProfileStatus::CreateFailed => "CREATE_FAILED",
            FargateProfileStatus::DeleteFailed => "DELETE_FAILED",
        }
    }
}

/// Which pods a profile takes: a namespace and labels, both with `*` and `?` wildcards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selector {
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
}

/// A Fargate profile as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FargateProfile {
    pub name: String,
    pub arn: String,
    pub cluster: String,
    /// Unix seconds.
    pub created_at: f64,
    pub pod_execution_role_arn: String,
    pub subnets: Vec<String>,
    pub selectors: Vec<Selector>,
    pub status: FargateProfileStatus,
    pub tags: BTreeMap<String, String>,
    /// When a `CREATING` profile becomes `ACTIVE` (Unix seconds).
    pub ready_at: f64,
    /// When a `DELETING` profile is gone (Unix seconds).
    pub gone_at: Option<f64>,
    /// The `clientRequestToken` of the call that made it: the same call sent again answers with this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
}

/// What CreateFargateProfile asks for, already decoded from the wire.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateFargateProfile {
    pub cluster: String,
    pub name: String,
    pub pod_execution_role_arn: String,
    /// The cluster's subnets when empty.
    pub subnets: Vec<String>,
    pub selectors: Vec<Selector>,
    pub tags: BTreeMap<String, String>,
    pub client_request_token: Option<String>,
}

/// Whether `text` matches `pattern`, where `*` is any run of characters and `?` any one character.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Classic greedy matching with backtracking to the last star.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// Whether a pod in `namespace` with `labels` matches `selector`: the namespace and every label of the selector;
/// label keys match exactly, the namespace and label values by [`wildcard_match`].
pub fn selector_matches(selector: &Selector, namespace: &str, labels: &BTreeMap<String, String>) -> bool {
    let namespace_matches = selector.namespace.as_deref().is_some_and(|pattern| wildcard_match(pattern, namespace));
    namespace_matches
        && selector
            .labels
            .iter()
            .all(|(key, pattern)| labels.get(key).is_some_and(|value| wildcard_match(pattern, value)))
}

impl Eks {
    fn fargate_key(caller: &Caller, cluster: &str, name: &str) -> String {
        Self::child_key(caller, "fargateprofiles", cluster, name)
    }

    /// The Fargate profiles of a cluster as they are now, in name order.
    pub async fn fargate_profiles(&self, caller: &Caller, cluster: &str) -> Result<Vec<FargateProfile>, EksError> {
        let prefix = Self::children_prefix(caller, "fargateprofiles", cluster);
        let mut out = Vec::new();
        for stored in self.records.list::<FargateProfile>(&prefix).await? {
            if let Some(profile) = self.settle_profile(&stored.key, stored.value, stored.revision).await? {
                out.push(profile);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub(crate) async fn fargate_profile_names(&self, caller: &Caller, cluster: &str) -> Result<Vec<String>, EksError> {
        Ok(self.fargate_profiles(caller, cluster).await?.into_iter().map(|p| p.name).collect())
    }

    /// A profile as the clock has moved it: `ACTIVE` once its `ready_at` has passed, gone (and removed) once a
    /// `DELETING` profile's `gone_at` has. Becoming `ACTIVE` is read, not written: nothing else changes with it
    /// and nothing waits for it, so a create costs one write.
    pub(crate) async fn settle_profile(
        &self,
        key: &str,
        mut profile: FargateProfile,
        revision: store::Revision,
    ) -> Result<Option<FargateProfile>, EksError> {
        let now = self.clock.now();
        let transition = match profile.status {
            FargateProfileStatus::Creating if now >= profile.ready_at => {
                profile.status = FargateProfileStatus::Active;
                Transition::Unchanged
            }
            FargateProfileStatus::Deleting if profile.gone_at.is_some_and(|at| now >= at) => Transition::Remove,
            _ => Transition::Unchanged,
        };
        let exists = self.write_transition(key, &profile, revision, transition).await?;
        Ok(exists.then_some(profile))
    }

    /// A profile of this cluster that is `CREATING` or `DELETING`, which blocks creating or deleting another.
    fn busy_profile(profiles: &[FargateProfile]) -> Option<&FargateProfile> {
        profiles.iter().find(|p| matches!(p.status, FargateProfileStatus::Creating | FargateProfileStatus::Deleting))
    }

    pub async fn create_fargate_profile(
        &self,
        caller: &Caller,
        input: CreateFargateProfile,
    ) -> Result<FargateProfile, EksError> {
        let cluster = self.existing_cluster(caller, &input.cluster).await?;
        validate_name(&input.name, "fargateProfileName", 100)?;
        if let Some(token) = &input.client_request_token {
            super::validate_client_request_token(token)?;
        }
        if input.name.starts_with("eks-") {
            return Err(EksError::InvalidParameter(
                "Fargate Profile names beginning with 'eks-' are reserved for Amazon EKS.".into(),
            ));
        }
        validate_role_arn(&input.pod_execution_role_arn)?;
        if input.selectors.is_empty() {
            return Err(EksError::InvalidParameter("Fargate Profile requires at least one selector.".into()));
        }
        if input.selectors.len() > 5 {
            return Err(EksError::InvalidParameter("Fargate Profile cannot have more than 5 selectors.".into()));
        }
        for selector in &input.selectors {
            if selector.namespace.as_deref().is_none_or(str::is_empty) {
                return Err(EksError::InvalidParameter(
                    "Fargate Profile must have at least one selector with at least one namespace value.".into(),
                ));
            }
            if selector.labels.len() > 5 {
                return Err(EksError::InvalidParameter(
                    "Request contains Selector with more than 5 Label pairs".into(),
                ));
            }
        }
        validate_tags(&input.tags)?;
        Self::require_active(&cluster)?;
        self.check_role(caller, &input.pod_execution_role_arn, RoleUse::PodExecution).await?;
        let subnets = if input.subnets.is_empty() { cluster.vpc.subnet_ids.clone() } else { input.subnets.clone() };
        self.check_child_subnets(caller, &cluster.vpc.vpc_id, &subnets, true).await?;
        let profiles = self.fargate_profiles(caller, &input.cluster).await?;
        let duplicate =
            || EksError::ResourceInUse("A Fargate Profile already exists with this name in this cluster.".into());
        if let Some(made) = profiles.iter().find(|p| p.name == input.name) {
            if input.client_request_token.is_some() && made.client_request_token == input.client_request_token {
                return Ok(made.clone());
            }
            return Err(duplicate());
        }
        if let Some(busy) = Self::busy_profile(&profiles) {
            return Err(EksError::ResourceInUse(format!(
                "Cannot create Fargate Profile {} because cluster {} currently has Fargate Profile {} in status {}",
                input.name,
                input.cluster,
                busy.name,
                busy.status.as_str()
            )));
        }
        let limit =
            self.quota(caller, crate::quotas::EKS_FARGATE_PROFILES, self.config.max_fargate_profiles as f64).await?;
        if profiles.len() as f64 >= limit {
            return Err(EksError::ResourceLimitExceeded(format!(
                "Cluster {} already has the maximum number of Fargate Profiles ({limit})",
                input.cluster
            )));
        }
        let now = self.clock.now();
        let profile = FargateProfile {
            arn: format!(
                "arn:aws:eks:{}:{}:fargateprofile/{}/{}/{}",
                caller.region,
                caller.account,
                input.cluster,
                input.name,
                crate::ids::uuid()
            ),
            name: input.name.clone(),
            cluster: input.cluster.clone(),
            created_at: now,
            pod_execution_role_arn: input.pod_execution_role_arn.clone(),
            subnets,
            selectors: input.selectors.clone(),
            status: FargateProfileStatus::Creating,
            tags: input.tags.clone(),
            ready_at: now + self.config.create_seconds,
            gone_at: None,
            client_request_token: input.client_request_token.clone(),
        };
        let key = Self::fargate_key(caller, &input.cluster, &input.name);
        self.records.create(&key, &profile).await.map_err(|error| match error {
            RecordError::Exists(_) => duplicate(),
            other => other.into(),
        })?;
        Ok(profile)
    }

    pub async fn describe_fargate_profile(
        &self,
        caller: &Caller,
        cluster: &str,
        name: &str,
    ) -> Result<FargateProfile, EksError> {
        self.existing_cluster(caller, cluster).await?;
        let key = Self::fargate_key(caller, cluster, name);
        let Some(stored) = self.records.get::<FargateProfile>(&key).await? else { return Err(profile_not_found(name)) };
        self.settle_profile(&key, stored.value, stored.revision).await?.ok_or_else(|| profile_not_found(name))
    }

    pub async fn list_fargate_profiles(
        &self,
        caller: &Caller,
        cluster: &str,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), EksError> {
        self.existing_cluster(caller, cluster).await?;
        page(self.fargate_profile_names(caller, cluster).await?, max_results, next_token)
    }

    /// Marks a profile `DELETING` and answers; the Fargate scheduler deletes the pods it placed.
    pub async fn delete_fargate_profile(
        &self,
        caller: &Caller,
        cluster: &str,
        name: &str,
    ) -> Result<FargateProfile, EksError> {
        self.existing_cluster(caller, cluster).await?;
        let key = Self::fargate_key(caller, cluster, name);
        let prefix = Self::children_prefix(caller, "fargateprofiles", cluster);
        for _ in 0..16 {
            // One read of the cluster's profiles: this one, and any other being created or deleted.
            let mut profiles = Vec::new();
            let mut this = None;
            for stored in self.records.list::<FargateProfile>(&prefix).await? {
                let (stored_key, revision) = (stored.key.clone(), stored.revision);
                if let Some(profile) = self.settle_profile(&stored.key, stored.value, revision).await? {
                    if stored_key == key {
                        this = Some((profile.clone(), revision));
                    }
                    profiles.push(profile);
                }
            }
            let Some((mut profile, revision)) = this else { return Err(profile_not_found(name)) };
            if profile.status == FargateProfileStatus::Deleting {
                return Ok(profile);
            }
            if let Some(busy) = Self::busy_profile(&profiles).filter(|busy| busy.name != name) {
                return Err(EksError::ResourceInUse(format!(
                    "Cannot delete Fargate Profile {name} because cluster {cluster} currently has Fargate Profile {} in status {}",
                    busy.name,
                    busy.status.as_str()
                )));
            }
            profile.status = FargateProfileStatus::Deleting;
            profile.gone_at = Some(self.clock.now() + self.config.delete_seconds);
            // A conflict (another writer) reads again.
            match self.records.update(&key, &profile, revision).await {
                Ok(_) => return Ok(profile),
                Err(RecordError::Conflict(_)) => continue,
                Err(RecordError::NotFound(_)) => return Err(profile_not_found(name)),
                Err(error) => return Err(error.into()),
            }
        }
        Err(EksError::Server("the Fargate profile kept changing; retry".into()))
    }

    /// The `ACTIVE` profile that takes a pod in `namespace` with `pod_labels`: the first matching profile in
    /// alphabetical order, as the Fargate scheduler picks it.
    pub async fn matching_profile(
        &self,
        caller: &Caller,
        cluster: &str,
        namespace: &str,
        pod_labels: &BTreeMap<String, String>,
    ) -> Result<Option<FargateProfile>, EksError> {
        let profiles = self.fargate_profiles(caller, cluster).await?;
        Ok(profiles.into_iter().find(|profile| {
            profile.status == FargateProfileStatus::Active
                && profile.selectors.iter().any(|selector| selector_matches(selector, namespace, pod_labels))
        }))
    }
}

fn profile_not_found(name: &str) -> EksError {
    EksError::ResourceNotFound(format!("No Fargate Profile found with name: {name}."))
}

/// Memory Fargate adds to every pod for the Kubernetes components that run beside it (kubelet, kube-proxy,
/// containerd), in MiB.
pub const FARGATE_OVERHEAD_MIB: u64 = 256;

/// The vCPU and memory choices of Fargate: (millicores, smallest memory, largest memory, memory step), MiB.
const FARGATE_SIZES: &[(u64, u64, u64, u64)] = &[
    (250, 512, 2048, 512),
    (500, 1024, 4096, 1024),
    (1000, 2048, 8192, 1024),
    (2000, 4096, 16384, 1024),
    (4000, 8192, 30720, 1024),
    (8000, 16384, 61440, 4096),
    (16000, 32768, 122880, 8192),
];

/// The Fargate size a pod runs on: the smallest vCPU and memory combination that holds the pod's requests (CPU
/// in millicores, memory in MiB) plus [`FARGATE_OVERHEAD_MIB`]; `None` when no size is large enough.
pub fn fargate_size(cpu_millis: u64, memory_mib: u64) -> Option<(u64, u64)> {
    let memory = memory_mib + FARGATE_OVERHEAD_MIB;
    FARGATE_SIZES.iter().find_map(|&(cpu, smallest, largest, step)| {
        if cpu < cpu_millis || largest < memory {
            return None;
        }
        let steps = memory.saturating_sub(smallest).div_ceil(step);
        Some((cpu, smallest + steps * step))
    })
}

/// The `CapacityProvisioned` annotation Fargate puts on a pod: `0.25vCPU 0.5GB`.
pub fn capacity_provisioned(cpu_millis: u64, memory_mib: u64) -> String {
    let number = |value: f64| {
        let text = format!("{value:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    format!("{}vCPU {}GB", number(cpu_millis as f64 / 1000.0), number(memory_mib as f64 / 1024.0))
}

#[cfg(test)]
mod tests;

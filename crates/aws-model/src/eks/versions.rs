//! The Kubernetes versions EKS offers and where each stands in EKS's release calendar (DescribeClusterVersions):
//! the day EKS released it, the end of its standard support (14 months on) and of its extended support (12 more).
//! A version's status follows from the clock and those days, as EKS reports it.

use super::{Eks, EksError};

/// A version's support, as `versionStatus` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionStatus {
    StandardSupport,
    ExtendedSupport,
    Unsupported,
}

impl VersionStatus {
    /// `STANDARD_SUPPORT`, ...: the `versionStatus` member and filter.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::StandardSupport => "STANDARD_SUPPORT",
            VersionStatus::ExtendedSupport => "EXTENDED_SUPPORT",
            VersionStatus::Unsupported => "UNSUPPORTED",
        }
    }

    /// `standard-support`, ...: the deprecated `status` member and filter.
    pub fn legacy(self) -> &'static str {
        match self {
            VersionStatus::StandardSupport => "standard-support",
            VersionStatus::ExtendedSupport => "extended-support",
            VersionStatus::Unsupported => "unsupported",
        }
    }

    fn parse(text: &str) -> Option<VersionStatus> {
        [VersionStatus::StandardSupport, VersionStatus::ExtendedSupport, VersionStatus::Unsupported]
            .into_iter()
            .find(|status| status.as_str() == text || status.legacy() == text)
    }
}

/// A (year, month, day) of EKS's calendar.
type Day = (i32, u8, u8);

/// EKS's release calendar: minor version, release, end of standard support, end of extended support.
const CALENDAR: &[(&str, Day, Day, Day)] = &[
    ("1.28", (2023, 9, 26), (2024, 11, 26), (2025, 11, 26)),
    ("1.29", (2024, 1, 23), (2025, 3, 23), (2026, 3, 23)),
    ("1.30", (2024, 5, 23), (2025, 7, 23), (2026, 7, 23)),
    ("1.31", (2024, 9, 26), (2025, 11, 26), (2026, 11, 26)),
    ("1.32", (2025, 1, 23), (2026, 3, 23), (2027, 3, 23)),
    ("1.33", (2025, 5, 29), (2026, 7, 29), (2027, 7, 29)),
    ("1.34", (2025, 10, 2), (2026, 12, 2), (2027, 12, 2)),
    ("1.35", (2026, 1, 27), (2027, 3, 27), (2028, 3, 27)),
];

/// One version as DescribeClusterVersions reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterVersion {
    pub version: String,
    /// The patch release clusters of this version run (`1.34.1`), when known.
    pub patch: Option<String>,
    pub default: bool,
    /// Unix seconds; `None` for a version missing from the calendar.
    pub release: Option<f64>,
    pub end_of_standard_support: Option<f64>,
    pub end_of_extended_support: Option<f64>,
    pub status: VersionStatus,
}

/// What DescribeClusterVersions asks for, decoded from the query string.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionQuery {
    /// `eks` (or none): the only cluster type served.
    pub cluster_type: Option<String>,
    pub versions: Vec<String>,
    pub default_only: bool,
    /// Also versions whose support has ended.
    pub include_all: bool,
    /// `versionStatus` (or the deprecated `status`).
    pub status: Option<String>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

/// Unix seconds at midnight UTC of a day of the calendar.
fn unix_seconds((year, month, day): Day) -> f64 {
    crate::clock::midnight_utc(year, month, day).map_or(0.0, |seconds| seconds as f64)
}

/// A version's place in the calendar at `now` (Unix seconds); a version the calendar lacks is in standard support.
pub fn version_support(version: &str, now: f64) -> (VersionStatus, Option<[f64; 3]>) {
    let Some((_, release, standard, extended)) = CALENDAR.iter().find(|(minor, ..)| *minor == version) else {
        return (VersionStatus::StandardSupport, None);
    };
    let days = [unix_seconds(*release), unix_seconds(*standard), unix_seconds(*extended)];
    let status = if now < days[1] {
        VersionStatus::StandardSupport
    } else if now < days[2] {
        VersionStatus::ExtendedSupport
    } else {
        VersionStatus::Unsupported
    };
    (status, Some(days))
}

impl Eks {
    /// The versions a query asks for, newest first, a page at a time; the token is the last version of the
    /// previous page.
    pub fn describe_cluster_versions(
        &self,
        query: &VersionQuery,
    ) -> Result<(Vec<ClusterVersion>, Option<String>), EksError> {
        let limit = super::support::page_limit(query.max_results)?;
        if query.cluster_type.as_deref().is_some_and(|kind| kind != "eks") {
            return Err(EksError::InvalidParameter(format!(
                "Unsupported cluster type {}",
                query.cluster_type.as_deref().unwrap_or_default()
            )));
        }
        let wanted_status = match &query.status {
            None => None,
            Some(text) => Some(
                VersionStatus::parse(text)
                    .ok_or_else(|| EksError::InvalidParameter(format!("Unsupported version status {text}")))?,
            ),
        };
        let now = self.clock.now();
        let default = self.config.versions.last();
        let listed: Vec<ClusterVersion> = self
            .config
            .versions
            .iter()
            .rev()
            .map(|version| {
                let (status, days) = version_support(version, now);
                ClusterVersion {
                    version: version.clone(),
                    patch: self.config.patch_versions.get(version).cloned(),
                    default: Some(version) == default,
                    release: days.map(|days| days[0]),
                    end_of_standard_support: days.map(|days| days[1]),
                    end_of_extended_support: days.map(|days| days[2]),
                    status,
                }
            })
            .filter(|version| query.versions.is_empty() || query.versions.contains(&version.version))
            .filter(|version| !query.default_only || version.default)
            .filter(|version| match wanted_status {
                Some(status) => version.status == status,
                // Versions named outright are shown whatever their support.
                None => query.include_all || !query.versions.is_empty() || version.status != VersionStatus::Unsupported,
            })
            .collect();
        super::support::page_after(listed, |version| &version.version, limit, query.next_token.as_deref())
    }
}

#[cfg(test)]
mod tests;

//! Service Quotas for the quotas ekslite enforces: each quota's AWS default, the value applied to an account and
//! region (the server's configured limit until an increase is approved), and increase requests, which are
//! approved at once. The services that enforce a quota read its applied value with [`applied_value`], so an
//! approved increase takes effect on the next call.
//!
//! Each quota an account raised is one record (`servicequotas/quotas/<service>/<code>`) holding the applied value
//! and the requests made for it, so a request and the value it approves are written together.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::eks::Caller;
use crate::records::{RecordError, Records};

/// One quota of the catalog.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuotaInfo {
    pub service_code: &'static str,
    pub service_name: &'static str,
    pub code: &'static str,
    pub name: &'static str,
    /// AWS's default value.
    pub default: f64,
    pub adjustable: bool,
    pub description: &'static str,
}

const EKS: &str = "Amazon Elastic Kubernetes Service (Amazon EKS)";

/// EKS's clusters per account and region.
pub const EKS_CLUSTERS: &str = "L-1194D53C";
/// EKS's managed node groups per cluster.
pub const EKS_NODEGROUPS: &str = "L-6D54EA21";
/// EKS's nodes per managed node group.
pub const EKS_NODES_PER_NODEGROUP: &str = "L-BD136A63";
/// EKS's Fargate profiles per cluster.
pub const EKS_FARGATE_PROFILES: &str = "L-33415657";

/// The quotas served, by service and code.
pub const CATALOG: &[QuotaInfo] = &[
    QuotaInfo {
        service_code: "eks",
        service_name: EKS,
        code: EKS_CLUSTERS,
        name: "Clusters",
        default: 100.0,
        adjustable: true,
        description: "The maximum number of EKS clusters in this account in the current Region.",
    },
    QuotaInfo {
        service_code: "eks",
        service_name: EKS,
        code: EKS_FARGATE_PROFILES,
        name: "Fargate profiles per cluster",
        default: 10.0,
        adjustable: true,
        description: "The maximum number of Fargate profiles per cluster.",
    },
    QuotaInfo {
        service_code: "eks",
        service_name: EKS,
        code: EKS_NODEGROUPS,
        name: "Managed node groups per cluster",
        default: 30.0,
        adjustable: true,
        description: "The maximum number of managed node groups per cluster.",
    },
    QuotaInfo {
        service_code: "eks",
        service_name: EKS,
        code: EKS_NODES_PER_NODEGROUP,
        name: "Nodes per managed node group",
        default: 450.0,
        adjustable: true,
        description: "The maximum number of nodes per managed node group.",
    },
];

/// The most requests kept for one quota; more are refused as Service Quotas refuses too many requests.
pub const MAX_REQUESTS_PER_QUOTA: usize = 100;
/// The largest value a quota takes (the model's `QuotaValue`).
pub const MAX_VALUE: f64 = 10_000_000_000.0;

/// Service Quotas' errors, each one of its wire error types.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuotasError {
    #[error("{0}")]
    NoSuchResource(String),
    #[error("{0}")]
    IllegalArgument(String),
    #[error("{0}")]
    QuotaExceeded(String),
    #[error("{0}")]
    InvalidPaginationToken(String),
    #[error("{0}")]
    Service(String),
}

impl From<RecordError> for QuotasError {
    fn from(error: RecordError) -> Self {
        QuotasError::Service(error.to_string())
    }
}

/// `APPROVED`, ... as Service Quotas spells a request's status.
pub const APPROVED: &str = "APPROVED";

/// An increase request, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestedChange {
    pub id: String,
    pub service_code: String,
    pub quota_code: String,
    pub desired_value: f64,
    pub status: String,
    /// Unix seconds.
    pub created: f64,
    pub last_updated: f64,
    /// The caller's ARN.
    pub requester: String,
}

/// A quota an account raised: its applied value and the requests made for it, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Raised {
    value: f64,
    requests: Vec<RequestedChange>,
}

/// A quota with the value that applies to the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedQuota {
    pub info: &'static QuotaInfo,
    pub value: f64,
}

/// A page of a list: items and the token of the next page.
pub type Page<T> = (Vec<T>, Option<String>);

/// The Service Quotas service of one server.
#[derive(Debug, Clone)]
pub struct Quotas {
    records: Records,
    clock: Arc<dyn Clock>,
    /// The limits the server enforces until an account raises them, by quota code (AWS's defaults otherwise).
    configured: BTreeMap<&'static str, f64>,
}

fn key(caller: &Caller, service: &str, code: &str) -> String {
    Records::regional_key(&caller.account, &caller.region, "servicequotas", "quotas", &format!("{service}/{code}"))
}

/// The value of a quota that applies to the caller: the approved value if an increase was approved, else
/// `configured`. What enforcing services call.
pub async fn applied_value(
    records: &Records,
    caller: &Caller,
    service: &str,
    code: &str,
    configured: f64,
) -> Result<f64, RecordError> {
    Ok(records.get_shared::<Raised>(&key(caller, service, code)).await?.map_or(configured, |raised| raised.value.value))
}

fn info(service: &str, code: &str) -> Result<&'static QuotaInfo, QuotasError> {
    if !CATALOG.iter().any(|quota| quota.service_code == service) {
        return Err(QuotasError::NoSuchResource(format!("The service {service} does not exist.")));
    }
    CATALOG.iter().find(|quota| quota.service_code == service && quota.code == code).ok_or_else(|| {
        QuotasError::NoSuchResource(format!("The request failed because the specified quota {code} does not exist."))
    })
}

/// A page of `items` after the item a token names (its position, as base64), `limit` long.
fn page<T>(items: Vec<T>, max_results: Option<i64>, token: Option<&str>) -> Result<Page<T>, QuotasError> {
    let limit = match max_results {
        None => 100,
        Some(n) if (1..=100).contains(&n) => n as usize,
        Some(n) => {
            return Err(QuotasError::IllegalArgument(format!(
                "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100"
            )));
        }
    };
    let start = match token {
        None => 0,
        Some(token) => crate::ids::unbase64(token)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.parse::<usize>().ok())
            .filter(|start| *start <= items.len())
            .ok_or_else(|| QuotasError::InvalidPaginationToken("Invalid pagination token.".into()))?,
    };
    let end = (start + limit).min(items.len());
    let token = (end < items.len()).then(|| crate::ids::base64(end.to_string().as_bytes()));
    Ok((items.into_iter().skip(start).take(limit).collect(), token))
}

impl Quotas {
    /// `configured` holds the server's own limits by quota code; the others apply AWS's defaults.
    pub fn new(records: Records, clock: Arc<dyn Clock>, configured: BTreeMap<&'static str, f64>) -> Quotas {
        Quotas { records, clock, configured }
    }

    fn configured(&self, info: &QuotaInfo) -> f64 {
        self.configured.get(info.code).copied().unwrap_or(info.default)
    }

    /// The services that have quotas here, by code.
    pub fn list_services(
        &self,
        max_results: Option<i64>,
        token: Option<&str>,
    ) -> Result<Page<(&str, &str)>, QuotasError> {
        let mut services: Vec<(&str, &str)> = CATALOG.iter().map(|q| (q.service_code, q.service_name)).collect();
        services.dedup();
        page(services, max_results, token)
    }

    /// A service's quotas (AWS's defaults), by code.
    pub fn list_defaults(
        &self,
        service: &str,
        max_results: Option<i64>,
        token: Option<&str>,
    ) -> Result<Page<&'static QuotaInfo>, QuotasError> {
        let quotas: Vec<&QuotaInfo> = CATALOG.iter().filter(|quota| quota.service_code == service).collect();
        if quotas.is_empty() {
            return Err(QuotasError::NoSuchResource(format!("The service {service} does not exist.")));
        }
        page(quotas, max_results, token)
    }

    pub fn get_default(&self, service: &str, code: &str) -> Result<&'static QuotaInfo, QuotasError> {
        info(service, code)
    }

    /// A quota with the value that applies to the caller.
    pub async fn get(&self, caller: &Caller, service: &str, code: &str) -> Result<AppliedQuota, QuotasError> {
        let info = info(service, code)?;
        let value = applied_value(&self.records, caller, service, code, self.configured(info)).await?;
        Ok(AppliedQuota { info, value })
    }

    /// A service's quotas with their applied values, optionally one code only.
    pub async fn list(
        &self,
        caller: &Caller,
        service: &str,
        code: Option<&str>,
        max_results: Option<i64>,
        token: Option<&str>,
    ) -> Result<Page<AppliedQuota>, QuotasError> {
        let (infos, _) = self.list_defaults(service, Some(100), None)?;
        let mut quotas = Vec::new();
        for info in infos.into_iter().filter(|info| code.is_none_or(|code| code == info.code)) {
            let value = applied_value(&self.records, caller, service, info.code, self.configured(info)).await?;
            quotas.push(AppliedQuota { info, value });
        }
        page(quotas, max_results, token)
    }

    /// RequestServiceQuotaIncrease: approved at once, so the quota takes the desired value.
    pub async fn request_increase(
        &self,
        caller: &Caller,
        service: &str,
        code: &str,
        desired: f64,
    ) -> Result<RequestedChange, QuotasError> {
        let info = info(service, code)?;
        if !desired.is_finite() || !(0.0..=MAX_VALUE).contains(&desired) {
            return Err(QuotasError::IllegalArgument(format!(
                "1 validation error detected: Value '{desired}' at 'desiredValue' failed to satisfy constraint: Member must have value between 0 and {MAX_VALUE}"
            )));
        }
        if !info.adjustable {
            return Err(QuotasError::IllegalArgument(format!("The quota {code} is not adjustable.")));
        }
        let key = key(caller, service, code);
        for _ in 0..16 {
            let stored = self.records.get::<Raised>(&key).await?;
            let (mut raised, revision) = match stored {
                Some(stored) => (stored.value, Some(stored.revision)),
                None => (Raised { value: self.configured(info), requests: Vec::new() }, None),
            };
            if desired <= raised.value {
                return Err(QuotasError::IllegalArgument(format!(
                    "The desired value {desired} must be greater than the current value {} of quota {code}.",
                    raised.value
                )));
            }
            if raised.requests.len() >= MAX_REQUESTS_PER_QUOTA {
                return Err(QuotasError::QuotaExceeded(format!(
                    "You have reached the maximum of {MAX_REQUESTS_PER_QUOTA} requests for quota {code}."
                )));
            }
            let now = self.clock.now();
            let request = RequestedChange {
                id: crate::ids::hex_lower(16),
                service_code: service.to_owned(),
                quota_code: code.to_owned(),
                desired_value: desired,
                status: APPROVED.to_owned(),
                created: now,
                last_updated: now,
                requester: caller.arn.clone(),
            };
            raised.value = desired;
            raised.requests.push(request.clone());
            let written = match revision {
                Some(revision) => self.records.update(&key, &raised, revision).await,
                None => self.records.create(&key, &raised).await,
            };
            match written {
                Ok(_) => return Ok(request),
                Err(RecordError::Conflict(_) | RecordError::Exists(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(QuotasError::Service("the quota kept changing; retry".into()))
    }

    /// Every request of the caller's account and region, oldest first.
    async fn requests(&self, caller: &Caller) -> Result<Vec<RequestedChange>, QuotasError> {
        let prefix = Records::regional_key(&caller.account, &caller.region, "servicequotas", "quotas", "");
        let mut requests: Vec<RequestedChange> =
            self.records.list::<Raised>(&prefix).await?.into_iter().flat_map(|stored| stored.value.requests).collect();
        requests.sort_by(|a, b| a.created.total_cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        Ok(requests)
    }

    pub async fn get_request(&self, caller: &Caller, id: &str) -> Result<RequestedChange, QuotasError> {
        self.requests(caller).await?.into_iter().find(|request| request.id == id).ok_or_else(|| {
            QuotasError::NoSuchResource(format!(
                "The request failed because the specified request {id} does not exist."
            ))
        })
    }

    /// Requests, optionally of one service, one quota or one status.
    pub async fn history(
        &self,
        caller: &Caller,
        service: Option<&str>,
        code: Option<&str>,
        status: Option<&str>,
        max_results: Option<i64>,
        token: Option<&str>,
    ) -> Result<Page<RequestedChange>, QuotasError> {
        if let (Some(service), Some(code)) = (service, code) {
            info(service, code)?;
        }
        const STATUSES: [&str; 7] =
            ["PENDING", "CASE_OPENED", "APPROVED", "DENIED", "CASE_CLOSED", "NOT_APPROVED", "INVALID_REQUEST"];
        if let Some(status) = status.filter(|status| !STATUSES.contains(status)) {
            return Err(QuotasError::IllegalArgument(format!("Invalid status {status}.")));
        }
        let requests = self
            .requests(caller)
            .await?
            .into_iter()
            .filter(|r| service.is_none_or(|s| r.service_code == s))
            .filter(|r| code.is_none_or(|c| r.quota_code == c))
            .filter(|r| status.is_none_or(|s| r.status == s))
            .collect();
        page(requests, max_results, token)
    }
}

/// The quota a request is for.
pub fn quota_of(request: &RequestedChange) -> Option<&'static QuotaInfo> {
    info(&request.service_code, &request.quota_code).ok()
}

#[cfg(test)]
mod tests;

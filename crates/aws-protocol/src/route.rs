//! Which service a request is for: the signing name of its credential scope; else the prefix of its
//! `X-Amz-Target`; else (unsigned query requests such as STS `AssumeRoleWithWebIdentity`) its `Version`.
//! Which handler serves which operation is the business of the crate above.

use http::HeaderMap;

use crate::query::QueryParams;
use crate::sigv4::SignedRequest;

/// The region of requests that carry no credential scope.
pub const DEFAULT_REGION: &str = "us-east-1";

/// `X-Amz-Target` prefixes of the JSON services, with their signing names; used when a request is unsigned.
const TARGET_PREFIXES: &[(&str, &str)] =
    &[("Logs_20140328", "logs"), ("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101", "cloudtrail")];

/// API versions of the query services, with their signing names; used when a request is unsigned.
const QUERY_VERSIONS: &[(&str, &str)] = &[
    ("2011-06-15", "sts"),
    ("2010-05-08", "iam"),
    ("2016-11-15", "ec2"),
    ("2011-01-01", "autoscaling"),
    ("2010-05-15", "cloudformation"),
];

/// A request whose service cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// `X-Amz-Target` is not `<prefix>.<operation>`.
    #[error("x-amz-target '{0}' is not of the form <prefix>.<operation>")]
    BadTarget(String),
}

/// The `X-Amz-Target` of a JSON 1.1 request, split at its last dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The service's target prefix, such as `Logs_20140328`.
    pub prefix: String,
    /// The operation, such as `DescribeLogGroups`.
    pub operation: String,
}

impl Target {
    /// Reads `X-Amz-Target` from the headers; `Ok(None)` when there is none.
    pub fn from_headers(headers: &HeaderMap) -> Result<Option<Self>, RouteError> {
        let Some(value) = headers.get("x-amz-target") else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(value.as_bytes());
        match value.to_str().ok().and_then(|text| text.rsplit_once('.')) {
            Some((prefix, operation)) if !prefix.is_empty() && !operation.is_empty() => {
                Ok(Some(Self { prefix: prefix.to_owned(), operation: operation.to_owned() }))
            }
            _ => Err(RouteError::BadTarget(text.into_owned())),
        }
    }
}

/// Where a request goes, as far as the wire tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The signing name of the credential scope, for signed requests.
    pub signing_name: Option<String>,
    /// The `X-Amz-Target`, for JSON 1.1 requests.
    pub target: Option<Target>,
    /// The `Action` parameter, for query and EC2 requests.
    pub action: Option<String>,
    /// The `Version` parameter, for query and EC2 requests.
    pub version: Option<String>,
    /// The region of the credential scope, or `us-east-1` for unsigned requests.
    pub region: String,
}

impl Route {
    /// The route of a request, from its signature (if it has one), headers and query or form parameters.
    pub fn new(signed: Option<&SignedRequest>, headers: &HeaderMap, params: &QueryParams) -> Result<Self, RouteError> {
        Ok(Self {
            signing_name: signed.map(|signed| signed.service().to_owned()),
            target: Target::from_headers(headers)?,
            action: params.action().map(str::to_owned),
            version: params.version().map(str::to_owned),
            region: signed.map_or(DEFAULT_REGION, |signed| signed.region()).to_owned(),
        })
    }

    /// The service's signing name: the credential scope's, else the one its `X-Amz-Target` prefix or its
    /// `Version` belongs to; `None` when nothing tells.
    pub fn service(&self) -> Option<&str> {
        if let Some(name) = &self.signing_name {
            return Some(name);
        }
        if let Some(target) = &self.target {
            return lookup(TARGET_PREFIXES, &target.prefix);
        }
        self.version.as_deref().and_then(|version| lookup(QUERY_VERSIONS, version))
    }

    /// The operation named on the wire: the `X-Amz-Target` operation, else `Action`. REST operations are
    /// named by method and path instead, which the caller matches.
    pub fn operation(&self) -> Option<&str> {
        self.target.as_ref().map(|target| target.operation.as_str()).or(self.action.as_deref())
    }
}

fn lookup(table: &'static [(&'static str, &'static str)], key: &str) -> Option<&'static str> {
    table.iter().find(|(known, _)| *known == key).map(|(_, name)| *name)
}

#[cfg(test)]
mod tests;

//! What a request says about where it goes: the signing name and region of its credential scope, its
//! `X-Amz-Target`, and its `Action` and `Version`. Which service and handler these name is the business of the
//! crate above, which knows the services.

use http::HeaderMap;

use crate::query::QueryParams;
use crate::sigv4::SignedRequest;

/// The region of requests that carry no credential scope.
pub const DEFAULT_REGION: &str = "us-east-1";

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

    /// The operation named on the wire: the `X-Amz-Target` operation, else `Action`. REST operations are
    /// named by method and path instead, which the caller matches.
    pub fn operation(&self) -> Option<&str> {
        self.target.as_ref().map(|target| target.operation.as_str()).or(self.action.as_deref())
    }
}

#[cfg(test)]
mod tests;

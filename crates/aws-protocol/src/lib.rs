//! The AWS wire protocols that ekslite's AWS endpoint speaks, with no knowledge of any service's operations:
//!
//! - [`sigv4`]: reading and checking Signature Version 4 (header and presigned forms), and signing;
//! - [`route`]: what a request says about where it goes (credential scope, `X-Amz-Target`, `Action` and
//!   `Version`);
//! - [`query`]: form and URL parameters with the list, map and structure rules of the `query` and `ec2`
//!   protocols;
//! - [`xml`]: the XML writer and reply envelopes of the `query` and `ec2` protocols;
//! - [`json`]: bodies and replies of the `json` (1.1) and `rest-json` protocols;
//! - [`timestamp`]: timestamps as each protocol writes them;
//! - [`error`]: the AWS error envelope in each protocol (`rest-xml` included, for errors only), and request ids.
//!
//! Requests and replies are `http` crate types; the HTTP server itself lives elsewhere.

mod account;
mod encoding;
pub mod error;
pub mod json;
pub mod query;
pub mod route;
pub mod sigv4;
pub mod timestamp;
pub mod xml;

pub use account::{Account, DEFAULT_ACCOUNT_ID};

/// Decodes one percent-encoded URL path segment; `None` for a bad escape or bytes that are not UTF-8.
pub fn decode_path_segment(segment: &str) -> Option<String> {
    String::from_utf8(encoding::percent_decode(segment.as_bytes(), false).ok()?).ok()
}
pub use error::{AwsError, Protocol, RequestId};
pub use query::{QueryError, QueryParams};
pub use route::Route;
pub use sigv4::{AuthError, Credentials, SignedRequest, SigningParams};

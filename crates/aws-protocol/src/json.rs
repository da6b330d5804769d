//! Bodies and replies of the `json` (1.1, dispatched by `X-Amz-Target`) and `rest-json` protocols. Timestamps
//! in these bodies are seconds since the epoch ([`crate::timestamp::to_epoch_seconds`]).

use http::{Response, StatusCode};
use serde_json::{Map, Value};

use crate::error::{AwsError, Protocol, RequestId, reply};

/// The content type of JSON 1.1 requests and replies.
pub const JSON_1_1: &str = "application/x-amz-json-1.1";
/// The content type of rest-json replies.
pub const REST_JSON: &str = "application/json";

/// A request body that is not a JSON object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// The body is not JSON.
    #[error("the body is not valid JSON: {0}")]
    Malformed(String),
    /// The body is JSON but not an object.
    #[error("the body is not a JSON object")]
    NotObject,
}

impl JsonError {
    /// The error AWS's JSON services answer with: `SerializationException`, status 400.
    pub fn to_aws_error(&self) -> AwsError {
        let message = match self {
            JsonError::Malformed(_) => "Start of structure or map found where not expected.",
            JsonError::NotObject => "Expected a JSON object as the request body.",
        };
        AwsError::bad_request("SerializationException", message)
    }
}

/// Parses a request body into its members. An empty (or all white space) body is `{}`, as clients send for
/// operations without input.
pub fn parse_body(body: &[u8]) -> Result<Map<String, Value>, JsonError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(members)) => Ok(members),
        Ok(_) => Err(JsonError::NotObject),
        Err(error) => Err(JsonError::Malformed(error.to_string())),
    }
}

/// A successful reply in `protocol` (`Json` or `RestJson`) with this status and body, carrying the request id.
pub fn response(protocol: Protocol, status: StatusCode, body: &Value, request_id: &RequestId) -> Response<Vec<u8>> {
    let content_type = if protocol == Protocol::Json { JSON_1_1 } else { REST_JSON };
    reply(status, content_type, serde_json::to_vec(body).expect("a JSON value serializes"), request_id)
}

#[cfg(test)]
mod tests;

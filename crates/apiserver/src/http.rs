//! HTTP helpers every handler shares: JSON responses, request bodies decoded by their content type, `Warning`
//! headers, and the body size limit. Below every handler; it knows `Status` errors and nothing else of the crate.

use std::collections::HashMap;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::status::ApiError;

/// The largest request body accepted, as kube-apiserver's limit.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The query parameters of a request.
pub type Query = HashMap<String, String>;

/// A JSON response with its content type.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).expect("JSON values serialize");
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    response
}

/// Parses a request body as a JSON object, with the errors kube-apiserver gives for bodies it cannot decode.
pub fn decode_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json");
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    match media_type {
        "application/json" | "" | "*/*" => serde_json::from_slice(body)
            .map_err(|error| ApiError::bad_request(format!("json: cannot unmarshal request body: {error}"))),
        k8s_protobuf::CONTENT_TYPE => k8s_protobuf::decode(body)
            .map_err(|error| ApiError::bad_request(format!("protobuf: cannot decode request body: {error}"))),
        "application/yaml" => serde_norway::from_slice(body)
            .map_err(|error| ApiError::bad_request(format!("yaml: cannot unmarshal request body: {error}"))),
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

/// Adds `Warning: 299 - "..."` headers, as kube-apiserver reports dropped fields.
pub fn with_warnings(mut response: Response, warnings: &[String]) -> Response {
    for warning in warnings {
        let text = format!("299 - \"{}\"", warning.replace('\\', "\\\\").replace('"', "\\\""));
        if let Ok(value) = header::HeaderValue::from_str(&text) {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    response
}

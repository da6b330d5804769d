//! Decoded PATCH bodies: JSON (RFC 6902), merge (RFC 7386) and strategic merge patches by their content type,
//! applied to an object's JSON, and the resourceVersion precondition a patch may carry. Server-side apply is
//! `ssa`'s.

use axum::http::{HeaderMap, header};
use serde_json::Value;

use crate::status::ApiError;

/// A decoded PATCH body.
pub(crate) enum Patch {
    /// RFC 7386.
    Merge(Value),
    /// RFC 6902.
    Json(json_patch::Patch),
    Strategic(Value),
}

impl Patch {
    /// Decodes a PATCH body by its content type.
    pub(crate) fn decode(headers: &HeaderMap, body: &[u8]) -> Result<Patch, ApiError> {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        let patch: Value = serde_json::from_slice(body)
            .map_err(|error| ApiError::bad_request(format!("error decoding patch: {error}")))?;
        match media_type {
            "application/merge-patch+json" => Ok(Patch::Merge(patch)),
            "application/strategic-merge-patch+json" => Ok(Patch::Strategic(patch)),
            "application/json-patch+json" => Ok(Patch::Json(
                serde_json::from_value(patch)
                    .map_err(|error| ApiError::bad_request(format!("error decoding patch: {error}")))?,
            )),
            other => Err(ApiError::unsupported_media_type(other)),
        }
    }

    /// The object `current` (of kind `kind`) with the patch applied.
    pub(crate) fn apply(&self, kind: &str, current: &Value) -> Result<Value, ApiError> {
        match self {
            Patch::Merge(patch) => {
                let mut patched = current.clone();
                json_patch::merge(&mut patched, patch);
                Ok(patched)
            }
            Patch::Json(operations) => {
                let mut patched = current.clone();
                json_patch::patch(&mut patched, operations).map_err(|error| {
                    ApiError::new(
                        422,
                        "Invalid",
                        format!("the server rejected our request due to an error in our request: {error}"),
                    )
                })?;
                Ok(patched)
            }
            Patch::Strategic(patch) => crate::smp::apply(kind, current, patch),
        }
    }
}

/// A `metadata.resourceVersion` inside a patch is a precondition.
pub(crate) fn patch_precondition(body: &[u8]) -> Option<i64> {
    let patch: Value = serde_json::from_slice(body).ok()?;
    patch.get("metadata")?.get("resourceVersion")?.as_str()?.parse().ok()
}

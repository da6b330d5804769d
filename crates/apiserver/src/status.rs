//! Kubernetes `Status` errors: the one shape every failed API request answers with, built as kube-apiserver
//! builds them so that clients print the same messages.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::registry::ResourceType;

/// A failed request, ready to be written as a `Status` object.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

/// One field error of an `Invalid` status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// `FieldValueRequired`, `FieldValueInvalid`, ...
    pub reason: &'static str,
    pub message: String,
    pub field: String,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { code, reason, message: message.into(), details: None }
    }

    pub(crate) fn with_details(mut self, details: Value) -> ApiError {
        self.details = Some(details);
        self
    }

    fn object_details(resource: &ResourceType, name: &str) -> Value {
        json!({ "name": name, "group": resource.group, "kind": resource.plural })
    }

    pub fn not_found(resource: &ResourceType, name: &str) -> ApiError {
        ApiError::new(404, "NotFound", format!("{} \"{name}\" not found", resource.qualified_plural()))
            .with_details(Self::object_details(resource, name))
    }

    /// A path no resource is served at (or a namespace on a cluster-scoped one). kube-apiserver's generic 404
    /// carries empty details, which clients read fields of (`kubectl debug` tells a cluster without ephemeral
    /// containers by the empty name).
    pub fn no_such_resource() -> ApiError {
        ApiError::new(404, "NotFound", "the server could not find the requested resource").with_details(json!({}))
    }

    pub fn namespace_not_found(namespace: &str) -> ApiError {
        ApiError::new(404, "NotFound", format!("namespaces \"{namespace}\" not found"))
            .with_details(json!({ "name": namespace, "kind": "namespaces" }))
    }

    pub fn namespace_terminating(resource: &ResourceType, name: &str, namespace: &str) -> ApiError {
        let message = format!("unable to create new content in namespace {namespace} because it is being terminated");
        ApiError::new(403, "Forbidden", format!("{} \"{name}\" is forbidden: {message}", resource.qualified_plural()))
            .with_details(json!({
                "name": name,
                "group": resource.group,
                "kind": resource.plural,
                "causes": [{ "reason": "NamespaceTerminating", "message": message, "field": "metadata.namespace" }],
            }))
    }

    pub fn already_exists(resource: &ResourceType, name: &str) -> ApiError {
        ApiError::new(409, "AlreadyExists", format!("{} \"{name}\" already exists", resource.qualified_plural()))
            .with_details(Self::object_details(resource, name))
    }

    pub fn conflict(resource: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                resource.qualified_plural()
            ),
        )
        .with_details(Self::object_details(resource, name))
    }

    pub fn invalid(resource: &ResourceType, name: &str, causes: Vec<Cause>) -> ApiError {
        let mut error = Self::invalid_named(&resource.qualified_kind(), name, causes);
        if let Some(details) = error.details.as_mut() {
            details["group"] = json!(resource.group);
            details["kind"] = json!(resource.kind);
        }
        error
    }

    /// An `Invalid` status for an object of `qualified_kind` (`Deployment.apps`, `Pod`).
    pub fn invalid_named(qualified_kind: &str, name: &str, causes: Vec<Cause>) -> ApiError {
        let summary: Vec<String> = causes
            .iter()
            .map(|c| if c.field.is_empty() { c.message.clone() } else { format!("{}: {}", c.field, c.message) })
            .collect();
        let message = match summary.as_slice() {
            [one] => format!("{qualified_kind} \"{name}\" is invalid: {one}"),
            many => format!("{qualified_kind} \"{name}\" is invalid: [{}]", many.join(", ")),
        };
        let causes: Vec<Value> =
            causes.iter().map(|c| json!({ "reason": c.reason, "message": c.message, "field": c.field })).collect();
        let (kind, group) = match qualified_kind.split_once('.') {
            Some((kind, group)) => (kind, group),
            None => (qualified_kind, ""),
        };
        ApiError::new(422, "Invalid", message).with_details(json!({
            "name": name,
            "group": group,
            "kind": kind,
            "causes": causes,
        }))
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> ApiError {
        ApiError::new(405, "MethodNotAllowed", message)
    }

    pub fn unsupported_media_type(content_type: &str) -> ApiError {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf; got {content_type:?}"
            ),
        )
    }

    pub fn expired(message: impl Into<String>) -> ApiError {
        ApiError::new(410, "Expired", message)
    }

    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(413, "RequestEntityTooLarge", message)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "InternalError", format!("Internal error occurred: {}", message.into()))
    }

    /// 503, as kube-apiserver answers when what a proxy reaches is not there (`no endpoints available for ...`,
    /// `error trying to reach service: ...`).
    pub fn service_unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(503, "ServiceUnavailable", message)
    }

    pub fn timeout(message: impl Into<String>) -> ApiError {
        ApiError::new(504, "Timeout", message)
    }

    /// The `Status` object.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            let mut details = details.clone();
            // Every `StatusDetails` field is omitted when empty: a core kind's error names no group.
            if let Some(fields) = details.as_object_mut() {
                fields.retain(|_, value| value.as_str() != Some(""));
            }
            status["details"] = details;
        }
        status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.to_status()).expect("a Status serializes");
        let mut response = (code, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

impl From<store::StoreError> for ApiError {
    fn from(error: store::StoreError) -> ApiError {
        match error {
            store::StoreError::TooLarge { .. } => ApiError::too_large("etcdserver: request is too large"),
            store::StoreError::Compacted { requested, compacted } => {
                ApiError::expired(format!("too old resource version: {requested} ({compacted})"))
            }
            store::StoreError::FutureRevision { requested, .. } => {
                ApiError::timeout(format!("Too large resource version: {requested}"))
            }
            other => ApiError::internal(other.to_string()),
        }
    }
}

/// Field errors as the causes of an `Invalid` status.
pub(crate) fn causes_of(errors: Vec<k8s_model::FieldError>) -> Vec<Cause> {
    errors
        .into_iter()
        .map(|error| Cause { reason: error.reason(), message: error.message(), field: error.field.clone() })
        .collect()
}

//! The REST verbs on stored resources, one file each: `get` (get and list), `create`, `update` (update, patch,
//! server-side apply, scale), `delete` (delete and delete-collection) and `watch`, over the store, with
//! kube-apiserver's rules for names, namespaces, resourceVersion preconditions, pagination and finalizers. What
//! is special about a kind comes from its strategy (`kinds`); this module and its files name no kind. Here:
//! what several verbs share.

use axum::http::{HeaderMap, header};

use crate::api::ClusterApi;
use crate::http::Query;
use crate::object::FieldValidation;
use crate::registry::ResourceType;
use crate::request::ResourceRequest;
use crate::status::ApiError;

mod create;
mod delete;
mod get;
mod update;
mod watch;

/// How many times an unconditional write retries when the object changes underneath it.
const WRITE_RETRIES: usize = 16;

impl ClusterApi {
    /// The request's namespace for a namespaced resource; none for a cluster-scoped one, which a namespaced
    /// path does not serve.
    fn namespace_of<'a>(resource: &ResourceType, request: &'a ResourceRequest) -> Result<Option<&'a str>, ApiError> {
        match (resource.namespaced, request.namespace.as_deref()) {
            (true, namespace) => Ok(namespace),
            (false, None) => Ok(None),
            (false, Some(_)) => Err(ApiError::no_such_resource()),
        }
    }
}

/// How a write to an existing object is checked and recorded.
#[derive(Debug, Clone, Copy)]
struct WriteOptions<'a> {
    /// The resourceVersion the client requires the object to be at.
    precondition: Option<i64>,
    dry_run: bool,
    validation: FieldValidation,
    ownership: Ownership<'a>,
}

/// Who a write's fields belong to.
#[derive(Debug, Clone, Copy)]
enum Ownership<'a> {
    /// An update by this field manager.
    Update(&'a str),
    /// A server-side apply, which sets ownership itself.
    Apply,
}

/// The request's field manager: `fieldManager`, else the user agent up to its first `/`, as kube-apiserver
/// names managers.
fn field_manager(query: &Query, headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(manager) = query.get("fieldManager") {
        if manager.is_empty() || manager.len() > 128 || manager.chars().any(|c| c.is_control()) {
            return Err(ApiError::bad_request(format!(
                "fieldManager: Invalid value: \"{manager}\": must be non-empty, at most 128 characters, without control characters"
            )));
        }
        return Ok(manager.clone());
    }
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let prefix: String = agent.split('/').next().unwrap_or_default().chars().take(128).collect();
    Ok(if prefix.is_empty() { "unknown".to_owned() } else { prefix })
}

fn is_dry_run(query: &Query) -> bool {
    query.get("dryRun").is_some_and(|v| v == "All")
}

//! `pods/<name>/ephemeralcontainers`: reads the pod, and writes it (PUT, or a JSON, merge or strategic merge
//! PATCH as `kubectl debug` sends) with only `spec.ephemeralContainers` taken from the request, as
//! kube-apiserver's `EphemeralContainersREST` does. The new pod is defaulted and checked by `k8s-model`'s
//! `validate_ephemeral_containers_update`: ephemeral containers are only ever added.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use crate::api::ClusterApi;
use crate::http::{Query, decode_body, json_response};
use crate::object;
use crate::patch::{Patch, patch_precondition};
use crate::registry::ResourceType;
use crate::request::{ResourceRequest, Verb};
use crate::status::{ApiError, causes_of};

impl ClusterApi {
    /// Answers a request on `pods/<name>/ephemeralcontainers`.
    pub(crate) async fn ephemeral_containers(
        &self,
        pods: &ResourceType,
        request: &ResourceRequest,
        headers: &HeaderMap,
        body: &[u8],
        query: &Query,
    ) -> Result<Response, ApiError> {
        let name = request.name.clone().ok_or_else(ApiError::no_such_resource)?;
        // The pod the request describes: the one in the body (`Err`), or the current one patched (`Ok`).
        let change: Result<Patch, Value> = match request.verb {
            Verb::Get => return Ok(json_response(StatusCode::OK, &self.get(pods, request).await?)),
            Verb::Update => {
                let mut pod = decode_body(headers, body)?;
                object::check_kind(&mut pod, pods)?;
                if let Some(given) = object::name(&pod)
                    && given != name
                {
                    return Err(ApiError::bad_request(format!(
                        "the name of the object ({given}) does not match the name on the URL ({name})"
                    )));
                }
                Err(pod)
            }
            Verb::Patch => Ok(Patch::decode(headers, body)?),
            _ => {
                return Err(ApiError::method_not_allowed(
                    "the ephemeralcontainers subresource supports get, update and patch",
                ));
            }
        };
        let precondition = match &change {
            Ok(_) => patch_precondition(body).map(|rv| rv.to_string()),
            Err(pod) => object::metadata_str(pod, "resourceVersion").filter(|rv| !rv.is_empty()).map(str::to_owned),
        };
        let updated = self
            .rewrite(pods, request, headers, query, |current| {
                if let Some(rv) = &precondition
                    && Some(rv.as_str()) != object::metadata_str(current, "resourceVersion")
                {
                    return Err(ApiError::conflict(pods, &name));
                }
                let requested = match &change {
                    Ok(patch) => patch.apply(&pods.kind, current)?,
                    Err(pod) => pod.clone(),
                };
                with_ephemeral_containers(pods, &name, current, &requested)
            })
            .await?;
        Ok(json_response(StatusCode::OK, &updated))
    }
}

/// The current pod with the requested pod's ephemeral containers, defaulted, or upstream's refusal of them.
fn with_ephemeral_containers(
    pods: &ResourceType,
    name: &str,
    current: &Value,
    requested: &Value,
) -> Result<Value, ApiError> {
    let mut updated = current.clone();
    let containers = requested.pointer("/spec/ephemeralContainers").cloned().unwrap_or(Value::Null);
    if !containers.is_array() && !containers.is_null() {
        return Err(ApiError::bad_request("spec.ephemeralContainers must be a list"));
    }
    if !updated["spec"].is_object() {
        updated["spec"] = json!({});
    }
    match containers {
        Value::Array(list) if !list.is_empty() => updated["spec"]["ephemeralContainers"] = Value::Array(list),
        _ => {
            if let Some(spec) = updated["spec"].as_object_mut() {
                spec.remove("ephemeralContainers");
            }
        }
    }
    // Decoding through the typed Pod drops unknown fields and refuses wrong types, as the store write would.
    let (mut updated, _) = object::decode_typed(pods, updated, object::FieldValidation::Ignore)?;
    k8s_model::default_object(&mut updated);
    let causes = causes_of(k8s_model::validate_ephemeral_containers_update(&updated, current));
    if !causes.is_empty() {
        return Err(ApiError::invalid(pods, name, causes));
    }
    Ok(updated)
}

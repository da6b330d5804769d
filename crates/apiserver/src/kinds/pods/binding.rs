//! `POST .../pods/<name>/binding` and the older `POST .../namespaces/<ns>/bindings`: assigns a pending pod to a
//! node, as kube-apiserver's binding subresource does for schedulers. The pod gets `spec.nodeName`, a true
//! `PodScheduled` condition and the binding's annotations; a pod already bound, being deleted or still gated
//! refuses with a conflict on `pods/binding`.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::api::ClusterApi;
use crate::http::{Query, decode_body, json_response};
use crate::object;
use crate::registry::ResourceType;
use crate::request::ResourceRequest;
use crate::status::{ApiError, Cause};

/// What a binding asks for, once checked.
#[derive(Debug)]
struct Assignment {
    node: String,
    annotations: Map<String, Value>,
    uid: Option<String>,
    resource_version: Option<String>,
}

impl ClusterApi {
    /// Binds the pod `request` names (the `binding` subresource), or the one the body names when the request is
    /// a create of `bindings` (`request.name` empty).
    pub(crate) async fn bind(
        &self,
        pods: &ResourceType,
        request: &ResourceRequest,
        headers: &HeaderMap,
        body: &[u8],
        query: &Query,
    ) -> Result<Response, ApiError> {
        let namespace = request.namespace.clone().ok_or_else(ApiError::no_such_resource)?;
        let binding = decode_body(headers, body)?;
        if !binding.is_object() {
            return Err(ApiError::bad_request("the body of a binding must be a v1 Binding object"));
        }
        if let Some(kind) = binding.get("kind").and_then(Value::as_str)
            && kind != "Binding"
        {
            return Err(ApiError::bad_request(format!("not a Binding object: {kind}")));
        }
        if let Some(version) = binding.get("apiVersion").and_then(Value::as_str)
            && version != "v1"
        {
            return Err(ApiError::bad_request(format!("unsupported Binding version {version:?}")));
        }
        let body_name = binding.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
        let name = match &request.name {
            Some(url_name) if *url_name != body_name => {
                return Err(ApiError::bad_request("name in URL does not match name in Binding object"));
            }
            Some(url_name) => url_name.clone(),
            None if body_name.is_empty() => {
                return Err(ApiError::invalid_named(
                    "Binding",
                    "",
                    vec![Cause {
                        reason: "FieldValueRequired",
                        message: "Required value: name or generateName is required".into(),
                        field: "metadata.name".into(),
                    }],
                ));
            }
            None => body_name,
        };
        if let Some(given) = binding.pointer("/metadata/namespace").and_then(Value::as_str)
            && !given.is_empty()
            && given != namespace
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        let assignment = assignment(&name, &binding)?;
        let pod_request = ResourceRequest {
            resource: "pods".into(),
            name: Some(name.clone()),
            subresource: Some("binding".into()),
            ..request.clone()
        };
        self.rewrite(pods, &pod_request, headers, query, |current| assign(current, &name, &assignment)).await?;
        Ok(json_response(
            StatusCode::CREATED,
            &json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201 }),
        ))
    }
}

/// The binding's target and metadata, or the field errors kube-apiserver's binding validation gives.
fn assignment(name: &str, binding: &Value) -> Result<Assignment, ApiError> {
    let text = |pointer: &str| binding.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut causes = Vec::new();
    let kind = text("/target/kind");
    if !kind.is_empty() && kind != "Node" {
        causes.push(Cause {
            reason: "FieldValueNotSupported",
            message: format!("Unsupported value: \"{kind}\": supported values: \"Node\""),
            field: "target.kind".into(),
        });
    }
    let node = text("/target/name");
    if node.is_empty() {
        causes.push(Cause {
            reason: "FieldValueRequired",
            message: "Required value".into(),
            field: "target.name".into(),
        });
    }
    let annotations = match binding.pointer("/metadata/annotations") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) if map.values().all(Value::is_string) => map.clone(),
        Some(_) => {
            causes.push(Cause {
                reason: "FieldValueInvalid",
                message: "Invalid value: annotations must map strings to strings".into(),
                field: "metadata.annotations".into(),
            });
            Map::new()
        }
    };
    if !causes.is_empty() {
        return Err(ApiError::invalid_named("Binding", name, causes));
    }
    let optional = |pointer: &str| Some(text(pointer)).filter(|s| !s.is_empty());
    Ok(Assignment {
        node,
        annotations,
        uid: optional("/metadata/uid"),
        resource_version: optional("/metadata/resourceVersion"),
    })
}

/// The pod bound as `assignment` says, or the conflict that refuses it.
fn assign(current: &Value, name: &str, assignment: &Assignment) -> Result<Value, ApiError> {
    let refuse = |reason: String| binding_conflict(name, &reason);
    if object::metadata_str(current, "deletionTimestamp").is_some() {
        return Err(refuse(format!("pod {name} is being deleted, cannot be assigned to a host")));
    }
    if let Some(uid) = &assignment.uid
        && object::metadata_str(current, "uid") != Some(uid.as_str())
    {
        return Err(refuse(format!(
            "the binding is for pod UID {uid}, but the pod has UID {}",
            object::metadata_str(current, "uid").unwrap_or_default()
        )));
    }
    if let Some(version) = &assignment.resource_version
        && object::metadata_str(current, "resourceVersion") != Some(version.as_str())
    {
        return Err(refuse(format!(
            "the binding is for pod resourceVersion {version}, but the pod is at {}",
            object::metadata_str(current, "resourceVersion").unwrap_or_default()
        )));
    }
    if let Some(node) = current.pointer("/spec/nodeName").and_then(Value::as_str).filter(|n| !n.is_empty()) {
        return Err(refuse(format!("pod {name} is already assigned to node {node:?}")));
    }
    if current.pointer("/spec/schedulingGates").and_then(Value::as_array).is_some_and(|gates| !gates.is_empty()) {
        return Err(refuse(format!("pod {name} has non-empty .spec.schedulingGates")));
    }
    let mut pod = current.clone();
    pod["spec"]["nodeName"] = json!(assignment.node);
    if !assignment.annotations.is_empty() {
        let metadata = object::metadata_mut(&mut pod);
        let annotations = metadata.entry("annotations").or_insert_with(|| json!({}));
        if !annotations.is_object() {
            *annotations = json!({});
        }
        for (key, value) in &assignment.annotations {
            annotations[key] = value.clone();
        }
    }
    set_scheduled(&mut pod);
    Ok(pod)
}

/// Sets the pod's `PodScheduled` condition to true; its transition time moves only if its status changes.
fn set_scheduled(pod: &mut Value) {
    if !pod["status"].is_object() {
        pod["status"] = json!({});
    }
    let conditions = pod["status"]["conditions"].as_array().cloned().unwrap_or_default();
    let previous = conditions.iter().find(|c| c["type"] == "PodScheduled");
    let transition = match previous {
        Some(condition) if condition["status"] == "True" => condition["lastTransitionTime"].clone(),
        _ => json!(object::now_timestamp()),
    };
    let scheduled = json!({
        "type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": transition,
    });
    let mut updated: Vec<Value> = Vec::with_capacity(conditions.len() + 1);
    let mut placed = false;
    for condition in conditions {
        if condition["type"] == "PodScheduled" {
            if !placed {
                updated.push(scheduled.clone());
                placed = true;
            }
        } else {
            updated.push(condition);
        }
    }
    if !placed {
        updated.push(scheduled);
    }
    pod["status"]["conditions"] = Value::Array(updated);
}

/// A 409 on `pods/binding`, as kube-apiserver wraps every refusal of a binding.
fn binding_conflict(name: &str, reason: &str) -> ApiError {
    ApiError::new(409, "Conflict", format!("Operation cannot be fulfilled on pods/binding \"{name}\": {reason}"))
        .with_details(json!({ "name": name, "group": "", "kind": "pods/binding" }))
}

//! `v1` ComponentStatus (`kubectl get componentstatuses`): a read-only view, never stored, of the control plane's
//! parts — the scheduler and controller manager running inside the server, and the store (`etcd-0`), probed with
//! a read. Deprecated upstream since 1.19, still served with the deprecation warning.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Call, Strategy};
use crate::api::ClusterApi;
use crate::http::json_response;
use crate::media::{self, Presentation};
use crate::registry::ResourceType;
use crate::request::{ResourceRequest, Verb};
use crate::status::ApiError;
use crate::table;

/// The warning every ComponentStatus request answers with, as kube-apiserver words it.
const DEPRECATED: &str = "299 - \"v1 ComponentStatus is deprecated in v1.19+\"";

/// A component's object with one `Healthy` condition.
fn component(name: &str, healthy: Result<(), String>) -> Value {
    let condition = match healthy {
        Ok(()) => json!({ "type": "Healthy", "status": "True", "message": "ok" }),
        Err(error) => json!({ "type": "Healthy", "status": "False", "error": error }),
    };
    json!({
        "kind": "ComponentStatus",
        "apiVersion": "v1",
        "metadata": { "name": name },
        "conditions": [condition],
    })
}

/// Every component, in kube-apiserver's order.
async fn components(api: &ClusterApi) -> Vec<Value> {
    let store = match api.registry.find("", "v1", "namespaces") {
        Some(namespaces) => {
            let key = api.key(namespaces, None, "default");
            api.store.get(&key, None).await.map(|_| ()).map_err(|error| error.to_string())
        }
        None => Err("the namespaces resource is not served".to_owned()),
    };
    vec![component("scheduler", Ok(())), component("controller-manager", Ok(())), component("etcd-0", store)]
}

/// The strategy of `v1` ComponentStatuses.
#[derive(Debug)]
pub(crate) struct ComponentStatuses;

#[async_trait::async_trait]
impl Strategy for ComponentStatuses {
    fn serves(&self, _subresource: Option<&str>) -> bool {
        true
    }

    async fn serve(&self, api: &ClusterApi, call: &Call<'_>) -> Result<Response, ApiError> {
        serve(api, call.resource, call.info, call.presentation).await
    }
}

/// Answers `get` and `list` on `componentstatuses`; other verbs are not allowed.
async fn serve(
    api: &ClusterApi,
    resource: &ResourceType,
    info: &ResourceRequest,
    presentation: Presentation,
) -> Result<Response, ApiError> {
    if info.namespace.is_some() || info.subresource.is_some() {
        return Err(ApiError::no_such_resource());
    }
    let all = components(api).await;
    let objects = match (info.verb, info.name.as_deref()) {
        (Verb::List, None) => all,
        (Verb::Get, Some(name)) => {
            let found = all.into_iter().find(|object| object["metadata"]["name"] == name);
            vec![found.ok_or_else(|| ApiError::not_found(resource, name))?]
        }
        _ => return Err(ApiError::method_not_allowed("componentstatuses only supports get and list")),
    };
    let list = json!({ "kind": "ComponentStatusList", "apiVersion": "v1", "metadata": {}, "items": objects.clone() });
    let body = match (presentation, info.verb) {
        (Presentation::Table(include), _) => table::table(resource, &objects, json!({}), include, true),
        (Presentation::Metadata(version), Verb::Get) => media::partial(&list["items"][0], version),
        (Presentation::Metadata(version), _) => media::partial_list(&list, version),
        (Presentation::Object, Verb::Get) => objects.into_iter().next().unwrap_or_default(),
        (Presentation::Object, _) => list,
    };
    let mut response = json_response(StatusCode::OK, &body).into_response();
    response.headers_mut().insert(header::WARNING, header::HeaderValue::from_static(DEPRECATED));
    Ok(response)
}

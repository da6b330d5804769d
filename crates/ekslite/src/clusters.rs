//! The server side of `ekslite cluster ...` and `ekslite kubeconfig`: JSON routes under `/_ekslite/clusters` on
//! the AWS port. (`aws eks create-cluster` will reach the same `ControlPlanes`.)

use std::sync::Arc;

use apiserver::{ClusterError, ClusterRecord, ControlPlanes};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes(control_planes: Arc<ControlPlanes>) -> axum::Router {
    axum::Router::new()
        .route("/_ekslite/clusters", get(list).post(create))
        .route("/_ekslite/clusters/{name}", get(describe).delete(delete))
        .route("/_ekslite/clusters/{name}/kubeconfig", get(kubeconfig))
        .route("/_ekslite/clusters/{name}/nodes", get(nodes))
        .with_state(control_planes)
}

/// A cluster as the management routes show it (no keys).
pub fn summary(record: &ClusterRecord) -> Value {
    json!({
        "name": record.name,
        "version": record.version,
        "endpoint": record.endpoint(),
        "created": record.created,
        "uid": record.uid,
    })
}

fn error_response(error: ClusterError) -> Response {
    let status = match &error {
        ClusterError::AlreadyExists(_) => StatusCode::CONFLICT,
        ClusterError::NotFound(_) => StatusCode::NOT_FOUND,
        ClusterError::InvalidName { .. }
        | ClusterError::InvalidServiceCidr(_)
        | ClusterError::UnsupportedVersion(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, Json(json!({ "message": error.to_string() }))).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    name: String,
    version: Option<String>,
}

async fn create(State(control_planes): State<Arc<ControlPlanes>>, body: axum::body::Bytes) -> Response {
    let request: CreateRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return (StatusCode::BAD_REQUEST, Json(json!({ "message": format!("bad request body: {error}") })))
                .into_response();
        }
    };
    match control_planes.create(&request.name, request.version.as_deref()).await {
        Ok(record) => (StatusCode::CREATED, Json(summary(&record))).into_response(),
        Err(error) => error_response(error),
    }
}

async fn list(State(control_planes): State<Arc<ControlPlanes>>) -> Response {
    let clusters: Vec<Value> = control_planes.list().iter().map(summary).collect();
    Json(json!({ "clusters": clusters })).into_response()
}

async fn describe(State(control_planes): State<Arc<ControlPlanes>>, Path(name): Path<String>) -> Response {
    match control_planes.get(&name) {
        Some(record) => Json(summary(&record)).into_response(),
        None => error_response(ClusterError::NotFound(name)),
    }
}

async fn delete(State(control_planes): State<Arc<ControlPlanes>>, Path(name): Path<String>) -> Response {
    match control_planes.delete(&name).await {
        Ok(record) => Json(summary(&record)).into_response(),
        Err(error) => error_response(error),
    }
}

async fn kubeconfig(State(control_planes): State<Arc<ControlPlanes>>, Path(name): Path<String>) -> Response {
    match control_planes.get(&name) {
        Some(record) => ([(header::CONTENT_TYPE, "application/yaml")], record.kubeconfig()).into_response(),
        None => error_response(ClusterError::NotFound(name)),
    }
}

/// The cluster's nodes and whether each is Ready, read through its API as any client reads them (what `ekslite up`
/// waits on without a Kubernetes client of its own).
async fn nodes(State(control_planes): State<Arc<ControlPlanes>>, Path(name): Path<String>) -> Response {
    let Some(api) = control_planes.api(&name) else { return error_response(ClusterError::NotFound(name)) };
    let identity = apiserver::Identity::Certificate { user: "ekslite".into(), groups: vec!["system:masters".into()] };
    let service = apiserver::LocalService::new(api, identity);
    let request = axum::http::Request::get("/api/v1/nodes").body(axum::body::Body::empty()).expect("a request");
    let (_, body) = service.send(request).await;
    let list: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let nodes: Vec<Value> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|node| {
            let ready = node["status"]["conditions"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
            json!({
                "name": node["metadata"]["name"],
                "zone": node["metadata"]["labels"]["topology.kubernetes.io/zone"],
                "ready": ready,
            })
        })
        .collect();
    let ready = nodes.iter().filter(|node| node["ready"] == true).count();
    Json(json!({ "nodes": nodes, "ready": ready })).into_response()
}

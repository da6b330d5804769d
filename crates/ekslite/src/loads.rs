//! Workload load at run time: the routes behind `ekslite load set|clear|list` and their client side.
//!
//! A workload's load is the CPU (cores) and memory its pods share (see [`node_agent::usage`]); it starts from the
//! `ekslite.dev/cpu-load`/`memory-load` annotations of its pods' template and can be changed without touching the
//! workload (no rollout) through `PUT /_ekslite/clusters/<cluster>/loads/<namespace>/<kind>/<name>` with
//! `{"cpu": "3", "memory": "6Gi"}`, taken back with `DELETE` on the same path, and listed with
//! `GET /_ekslite/clusters/<cluster>/loads`. The table lives in the server that runs the cluster's data plane, for as
//! long as it runs; annotations are what survives a restart.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use hyper::Method;
use node_agent::usage::{Load, Workload};
use serde_json::{Value, json};

use crate::client;
use crate::dataplane::DataPlanes;

/// The kind a workload reference names (`deployment`, `deploy`, `Deployment`, `deployments`, ...), as kubectl
/// reads `<kind>/<name>`.
pub fn workload_kind(text: &str) -> Option<&'static str> {
    Some(match text.to_ascii_lowercase().as_str() {
        "deployment" | "deployments" | "deploy" | "deployment.apps" => "Deployment",
        "statefulset" | "statefulsets" | "sts" | "statefulset.apps" => "StatefulSet",
        "daemonset" | "daemonsets" | "ds" | "daemonset.apps" => "DaemonSet",
        "replicaset" | "replicasets" | "rs" | "replicaset.apps" => "ReplicaSet",
        "replicationcontroller" | "replicationcontrollers" | "rc" => "ReplicationController",
        "job" | "jobs" | "job.batch" => "Job",
        "pod" | "pods" | "po" => "Pod",
        _ => return None,
    })
}

/// A load from the route's body: `cpu` (cores, a quantity) and `memory` (bytes, a quantity), at least one.
fn parse_load(body: &Value) -> Result<Load, String> {
    let quantity = |field: &str, cpu: bool| -> Result<Option<u64>, String> {
        match &body[field] {
            Value::Null => Ok(None),
            Value::String(text) => {
                k8s_model::rounded_up(text, cpu).map(Some).ok_or_else(|| format!("{field}: {text:?} is not a quantity"))
            }
            Value::Number(number) if cpu => number
                .as_f64()
                .filter(|cores| cores.is_finite() && *cores >= 0.0 && *cores < 1e9)
                .map(|cores| Some((cores * 1000.0).ceil() as u64))
                .ok_or_else(|| format!("{field}: {number} is not a number of cores")),
            other => Err(format!("{field}: {other} is not a quantity")),
        }
    };
    if !body.is_object() {
        return Err("the body must be a JSON object with cpu and/or memory".into());
    }
    let load = Load { cpu_millis: quantity("cpu", true)?, memory_bytes: quantity("memory", false)? };
    if load.cpu_millis.is_none() && load.memory_bytes.is_none() {
        return Err("give cpu, memory or both".into());
    }
    Ok(load)
}

fn entry(workload: &Workload, load: &Load) -> Value {
    json!({
        "namespace": workload.namespace,
        "kind": workload.kind,
        "name": workload.name,
        "cpu": load.cpu_millis.map(|millis| format!("{millis}m")),
        "memory": load.memory_bytes.map(|bytes| bytes.to_string()),
    })
}

fn error(status: StatusCode, message: impl Into<String>) -> (StatusCode, Json<Value>) {
    (status, Json(json!({ "message": message.into() })))
}

/// The load routes.
pub fn routes(data_planes: Arc<DataPlanes>) -> axum::Router {
    type Answer = (StatusCode, Json<Value>);

    fn workload(namespace: String, kind: &str, name: String) -> Result<Workload, Answer> {
        let Some(kind) = workload_kind(kind) else {
            return Err(error(StatusCode::BAD_REQUEST, format!("{kind:?} is not a kind of workload")));
        };
        if namespace.is_empty() || name.is_empty() || namespace.len() > 253 || name.len() > 253 {
            return Err(error(StatusCode::BAD_REQUEST, "a namespace and a name of at most 253 characters"));
        }
        Ok(Workload { namespace, kind: kind.to_owned(), name })
    }

    fn not_running(cluster: &str) -> Answer {
        error(StatusCode::NOT_FOUND, format!("cluster {cluster:?} has no data plane running on this server"))
    }

    async fn list(State(planes): State<Arc<DataPlanes>>, Path(cluster): Path<String>) -> Answer {
        let Some(loads) = planes.loads(&cluster) else { return not_running(&cluster) };
        let items: Vec<Value> = loads.list().iter().map(|(workload, load)| entry(workload, load)).collect();
        (StatusCode::OK, Json(json!({ "cluster": cluster, "loads": items })))
    }

    async fn set(
        State(planes): State<Arc<DataPlanes>>,
        Path((cluster, namespace, kind, name)): Path<(String, String, String, String)>,
        body: axum::body::Bytes,
    ) -> Answer {
        let workload = match workload(namespace, &kind, name) {
            Ok(workload) => workload,
            Err(answer) => return answer,
        };
        let Ok(body) = serde_json::from_slice::<Value>(&body) else {
            return error(StatusCode::BAD_REQUEST, "the body is not JSON");
        };
        let load = match parse_load(&body) {
            Ok(load) => load,
            Err(message) => return error(StatusCode::BAD_REQUEST, message),
        };
        let Some(loads) = planes.loads(&cluster) else { return not_running(&cluster) };
        loads.set(workload.clone(), load);
        (StatusCode::OK, Json(entry(&workload, &load)))
    }

    async fn clear(
        State(planes): State<Arc<DataPlanes>>,
        Path((cluster, namespace, kind, name)): Path<(String, String, String, String)>,
    ) -> Answer {
        let workload = match workload(namespace, &kind, name) {
            Ok(workload) => workload,
            Err(answer) => return answer,
        };
        let Some(loads) = planes.loads(&cluster) else { return not_running(&cluster) };
        loads.clear(&workload);
        (StatusCode::OK, Json(json!({ "namespace": workload.namespace, "kind": workload.kind, "name": workload.name })))
    }

    axum::Router::new()
        .route("/_ekslite/clusters/{name}/loads", get(list))
        .route("/_ekslite/clusters/{name}/loads/{namespace}/{kind}/{workload}", put(set).delete(clear))
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .with_state(data_planes)
}

/// `ekslite load set|clear`: the route's path for `<kind>/<name>` in `namespace` of `cluster`.
pub fn load_path(cluster: &str, namespace: &str, reference: &str) -> anyhow::Result<String> {
    let Some((kind, name)) = reference.split_once('/') else {
        anyhow::bail!("name the workload as <kind>/<name>, such as deployment/web");
    };
    if workload_kind(kind).is_none() {
        anyhow::bail!("{kind:?} is not a kind of workload (deployment, statefulset, daemonset, replicaset, job, pod)");
    }
    let segment = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    Ok(format!(
        "/_ekslite/clusters/{}/loads/{}/{}/{}",
        segment(cluster),
        segment(namespace),
        segment(kind),
        segment(name)
    ))
}

/// Sets (`Some` body) or clears a workload's load and prints the answer.
pub async fn change(endpoint: &str, path: &str, body: Option<Value>) -> anyhow::Result<()> {
    let method = if body.is_some() { Method::PUT } else { Method::DELETE };
    let (status, answer) = client::call(endpoint, method, path, body.as_ref()).await?;
    client::expect_success(status, &answer)?;
    println!("{}", String::from_utf8_lossy(&answer).trim_end());
    Ok(())
}

/// Prints a cluster's loads, a line each.
pub async fn list(endpoint: &str, cluster: &str) -> anyhow::Result<()> {
    let path =
        format!("/_ekslite/clusters/{}/loads", form_urlencoded::byte_serialize(cluster.as_bytes()).collect::<String>());
    let (status, answer) = client::call(endpoint, Method::GET, &path, None).await?;
    client::expect_success(status, &answer)?;
    let answer: Value = serde_json::from_slice(&answer)?;
    println!("{:<20} {:<40} {:>10} {:>14}", "NAMESPACE", "WORKLOAD", "CPU", "MEMORY");
    for load in answer["loads"].as_array().into_iter().flatten() {
        let text = |field: &str| load[field].as_str().unwrap_or("-").to_owned();
        let workload = format!("{}/{}", text("kind").to_ascii_lowercase(), text("name"));
        println!("{:<20} {:<40} {:>10} {:>14}", text("namespace"), workload, text("cpu"), text("memory"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_as_kubectl_reads_them() {
        assert_eq!(workload_kind("deploy"), Some("Deployment"));
        assert_eq!(workload_kind("StatefulSets"), Some("StatefulSet"));
        assert_eq!(workload_kind("configmap"), None);
        assert_eq!(
            load_path("demo.us-east-1.000000000000", "default", "deployment/web").unwrap(),
            "/_ekslite/clusters/demo.us-east-1.000000000000/loads/default/deployment/web"
        );
        assert!(load_path("demo", "default", "web").is_err());
        assert!(load_path("demo", "default", "secret/web").is_err());
    }

    #[test]
    fn loads_are_quantities() {
        assert_eq!(parse_load(&json!({ "cpu": "3" })).unwrap(), Load { cpu_millis: Some(3000), memory_bytes: None });
        assert_eq!(
            parse_load(&json!({ "cpu": 0.25, "memory": "1Gi" })).unwrap(),
            Load { cpu_millis: Some(250), memory_bytes: Some(1 << 30) }
        );
        for bad in [
            json!({}),
            json!([]),
            json!({ "cpu": "lots" }),
            json!({ "cpu": -1 }),
            json!({ "memory": 5 }),
            json!({ "cpu": 1e300 }),
            json!({ "cpu": "9".repeat(10_000) }),
        ] {
            assert!(parse_load(&bad).is_err(), "{bad}");
        }
    }
}

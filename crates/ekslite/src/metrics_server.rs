//! The program of a simulated metrics-server pod: a container whose image is metrics-server (`registry.k8s.io/
//! metrics-server/metrics-server`, EKS's `.../eks/metrics-server`, or any other image of that name) answers on its
//! secure port (`--secure-port`, 10250 unless its arguments say otherwise) as metrics-server's API server does:
//! the resource metrics API `metrics.k8s.io/v1beta1`, `NodeMetrics` and `PodMetrics` with label selectors (and
//! `metadata.name`/`metadata.namespace` field selectors), from the usage the cluster's node agent computes
//! ([`node_agent::usage`]). Each sample's `window` is the metric resolution (`--metric-resolution`, 15 s by
//! default) and its `timestamp` the time of the reading; CPU is reported in nanocores and memory in bytes, in
//! the canonical quantity forms metrics-server writes (`48243902n`, `1593728Ki`).
//!
//! The cluster's API server reaches it through the `v1beta1.metrics.k8s.io` APIService its chart or add-on
//! registers (the aggregation layer), so `kubectl top` and HorizontalPodAutoscalers read it as on a real cluster.
//! The connection is the in-memory one of every simulated pod, spoken in plain HTTP (no TLS is simulated).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use k8s_openapi::api::core::v1::{Container, Pod};
use kube::core::SelectorExt;
use node_agent::usage::UsageSnapshot;
use serde_json::{Value, json};

/// The group version served.
const GROUP_VERSION: &str = "metrics.k8s.io/v1beta1";
/// metrics-server's default `--secure-port`.
const DEFAULT_PORT: u16 = 10250;
/// metrics-server's default `--metric-resolution`.
const DEFAULT_RESOLUTION: Duration = Duration::from_secs(15);
/// The buffer of each direction of the in-memory connection.
const BUFFER_BYTES: usize = 64 * 1024;

/// Where a metrics-server finds the usage of its cluster's pods and nodes.
pub trait UsageSource: Send + Sync + std::fmt::Debug {
    /// The usage of the cluster named `cluster` now, or `None` when its data plane does not run here.
    fn usage(&self, cluster: &str) -> Option<UsageSnapshot>;
}

/// How one metrics-server container was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsServer {
    /// `--secure-port`.
    pub port: u16,
    /// `--metric-resolution`.
    pub resolution: Duration,
}

impl MetricsServer {
    /// The metrics-server `container` runs, if its image is metrics-server.
    pub fn of(container: &Container) -> Option<MetricsServer> {
        if k8s_model::image_repository(container.image.as_deref()?) != "metrics-server" {
            return None;
        }
        let mut server = MetricsServer { port: DEFAULT_PORT, resolution: DEFAULT_RESOLUTION };
        let words = container.command.iter().flatten().chain(container.args.iter().flatten());
        for word in words {
            if let Some(port) = word.strip_prefix("--secure-port=") {
                server.port = port.trim().parse().unwrap_or(server.port);
            } else if let Some(resolution) = word.strip_prefix("--metric-resolution=") {
                server.resolution = k8s_model::parse_go_duration(resolution)
                    .filter(|resolution| !resolution.is_zero())
                    .unwrap_or(server.resolution);
            }
        }
        Some(server)
    }
}

/// The metrics-server that answers on `port` of `pod`, if the container listening there runs one on that port.
pub fn serving(pod: &Pod, port: u16) -> Option<MetricsServer> {
    let container = node_agent::traffic::listening_container(pod, port)?;
    MetricsServer::of(container).filter(|server| server.port == port)
}

/// Opens an in-memory connection to a metrics-server of the cluster `cluster`; its end runs on the current
/// runtime until the client's end goes.
pub fn connect(
    server: MetricsServer,
    cluster: String,
    source: Arc<dyn UsageSource>,
) -> Option<tokio::io::DuplexStream> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    let (client, end) = tokio::io::duplex(BUFFER_BYTES);
    runtime.spawn(async move {
        let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let answer = answer(
                request.method().as_str(),
                request.uri().path(),
                request.uri().query().unwrap_or_default(),
                server,
                || source.usage(&cluster),
            );
            async move {
                let (status, body) = answer;
                let mut bytes = serde_json::to_vec(&body).expect("JSON values serialize");
                bytes.push(b'\n');
                let response = hyper::Response::builder()
                    .status(status)
                    .header(hyper::header::CONTENT_TYPE, "application/json")
                    .body(Full::new(Bytes::from(bytes)))
                    .expect("a known status and a fixed header make a response");
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let io = hyper_util::rt::TokioIo::new(end);
        if let Err(error) = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await {
            tracing::debug!(%error, "metrics-server connection ended with an error");
        }
    });
    Some(client)
}

/// A Kubernetes `Status` of a failure.
fn status(code: u16, reason: &str, message: String, details: Value) -> (u16, Value) {
    let mut body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if !details.is_null() {
        body["details"] = details;
    }
    (code, body)
}

fn no_such_resource() -> (u16, Value) {
    status(404, "NotFound", "the server could not find the requested resource".into(), json!({}))
}

/// What metrics-server answers to one request; `usage` is read only for the requests that need it.
pub fn answer(
    method: &str,
    path: &str,
    query: &str,
    server: MetricsServer,
    usage: impl FnOnce() -> Option<UsageSnapshot>,
) -> (u16, Value) {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let Some(rest) = segments.strip_prefix(&["apis", "metrics.k8s.io"]) else { return no_such_resource() };
    if method != "GET" {
        let message = format!("the server does not allow this method on the requested resource ({method})");
        return status(405, "MethodNotAllowed", message, json!({}));
    }
    let (namespace, resource, name) = match rest {
        [] => return (200, api_group()),
        ["v1beta1"] => return (200, api_resource_list()),
        ["v1beta1", "nodes"] => (None, "nodes", None),
        ["v1beta1", "nodes", name] => (None, "nodes", Some(*name)),
        ["v1beta1", "pods"] => (None, "pods", None),
        ["v1beta1", "namespaces", namespace, "pods"] => (Some(*namespace), "pods", None),
        ["v1beta1", "namespaces", namespace, "pods", name] => (Some(*namespace), "pods", Some(*name)),
        _ => return no_such_resource(),
    };
    let query = parse_query(query);
    let labels = match query.get("labelSelector").map(|text| apiserver::parse_label_selector(text)) {
        Some(Err(message)) => return status(400, "BadRequest", message, Value::Null),
        Some(Ok(selector)) => Some(selector),
        None => None,
    };
    let fields = match query.get("fieldSelector").map(|text| FieldSelector::parse(text)) {
        Some(Err(message)) => return status(400, "BadRequest", message, Value::Null),
        Some(Ok(fields)) => fields,
        None => FieldSelector::default(),
    };
    let Some(snapshot) = usage() else {
        // No data plane runs the cluster here: nothing was scraped, as right after metrics-server starts.
        return match name {
            Some(name) => not_found(resource, name),
            None => (200, list(resource, Vec::new())),
        };
    };
    let at = timestamp(snapshot.at);
    let window = format!("{}s", server.resolution.as_secs());
    let selected = |labels_of: &BTreeMap<String, String>| labels.as_ref().is_none_or(|s| s.matches(labels_of));
    let items: Vec<Value> = if resource == "nodes" {
        snapshot
            .nodes
            .iter()
            .filter(|node| name.is_none_or(|name| node.name == name))
            .filter(|node| selected(&node.labels) && fields.selects(&node.name, ""))
            .map(|node| {
                json!({
                    "metadata": { "name": node.name, "creationTimestamp": at, "labels": node.labels },
                    "timestamp": at,
                    "window": window,
                    "usage": { "cpu": cpu_quantity(node.cpu_nanocores), "memory": memory_quantity(node.memory_bytes) },
                })
            })
            .collect()
    } else {
        snapshot
            .pods
            .iter()
            .filter(|pod| namespace.is_none_or(|namespace| pod.namespace == namespace))
            .filter(|pod| name.is_none_or(|name| pod.name == name))
            .filter(|pod| selected(&pod.labels) && fields.selects(&pod.name, &pod.namespace))
            .map(|pod| {
                let containers: Vec<Value> = pod
                    .containers
                    .iter()
                    .map(|c| {
                        json!({
                            "name": c.name,
                            "usage": { "cpu": cpu_quantity(c.cpu_nanocores), "memory": memory_quantity(c.memory_bytes) },
                        })
                    })
                    .collect();
                json!({
                    "metadata": {
                        "name": pod.name,
                        "namespace": pod.namespace,
                        "creationTimestamp": at,
                        "labels": pod.labels,
                    },
                    "timestamp": at,
                    "window": window,
                    "containers": containers,
                })
            })
            .collect()
    };
    match name {
        Some(name) => match items.into_iter().next() {
            Some(mut item) => {
                item["kind"] = json!(if resource == "nodes" { "NodeMetrics" } else { "PodMetrics" });
                item["apiVersion"] = json!(GROUP_VERSION);
                (200, item)
            }
            None => not_found(resource, name),
        },
        None => (200, list(resource, items)),
    }
}

fn not_found(resource: &str, name: &str) -> (u16, Value) {
    let plural = if resource == "nodes" { "nodemetrics" } else { "podmetrics" };
    status(
        404,
        "NotFound",
        format!("{plural}.metrics.k8s.io \"{name}\" not found"),
        json!({ "name": name, "group": "metrics.k8s.io", "kind": resource }),
    )
}

fn list(resource: &str, items: Vec<Value>) -> Value {
    let kind = if resource == "nodes" { "NodeMetricsList" } else { "PodMetricsList" };
    json!({ "kind": kind, "apiVersion": GROUP_VERSION, "metadata": {}, "items": items })
}

fn api_group() -> Value {
    let version = json!({ "groupVersion": GROUP_VERSION, "version": "v1beta1" });
    json!({
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": "metrics.k8s.io",
        "versions": [version.clone()],
        "preferredVersion": version,
    })
}

fn api_resource_list() -> Value {
    let resource = |name: &str, kind: &str, namespaced: bool| json!({ "name": name, "singularName": "", "namespaced": namespaced, "kind": kind, "verbs": ["get", "list"] });
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": GROUP_VERSION,
        "resources": [resource("nodes", "NodeMetrics", false), resource("pods", "PodMetrics", true)],
    })
}

/// The query's parameters, percent-decoded.
fn parse_query(query: &str) -> BTreeMap<String, String> {
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// `metadata.name` and `metadata.namespace` requirements (`=`, `==`, `!=`), the fields metrics-server selects on.
#[derive(Debug, Default)]
struct FieldSelector {
    requirements: Vec<(bool, bool, String)>,
}

impl FieldSelector {
    fn parse(text: &str) -> Result<FieldSelector, String> {
        let mut requirements = Vec::new();
        for term in text.split(',').map(str::trim).filter(|term| !term.is_empty()) {
            let (field, equal, value) = if let Some((field, value)) = term.split_once("!=") {
                (field, false, value)
            } else if let Some((field, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
                (field, true, value)
            } else {
                return Err(format!("invalid selector: '{text}'; can't understand '{term}'"));
            };
            let is_name = match field.trim() {
                "metadata.name" => true,
                "metadata.namespace" => false,
                other => return Err(format!("field label not supported: {other}")),
            };
            requirements.push((is_name, equal, value.trim().to_owned()));
        }
        Ok(FieldSelector { requirements })
    }

    fn selects(&self, name: &str, namespace: &str) -> bool {
        self.requirements.iter().all(|(is_name, equal, value)| {
            let actual = if *is_name { name } else { namespace };
            (actual == value) == *equal
        })
    }
}

/// RFC 3339 in whole seconds, as metav1.Time is written.
fn timestamp(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// CPU in nanocores as the canonical decimal quantity (`250m` when whole millicores, else `48243902n`).
pub fn cpu_quantity(nanocores: u64) -> String {
    let nanos = format!("{nanocores}n");
    k8s_model::canonical_quantity(&nanos, false).unwrap_or(nanos)
}

/// Memory in bytes as the canonical binary quantity (`1593728Ki`, `2Gi`, or plain bytes).
pub fn memory_quantity(bytes: u64) -> String {
    if bytes == 0 || !bytes.is_multiple_of(1024) {
        return bytes.to_string();
    }
    let kibibytes = format!("{}Ki", bytes / 1024);
    k8s_model::canonical_quantity(&kibibytes, false).unwrap_or(kibibytes)
}

#[cfg(test)]
mod tests;

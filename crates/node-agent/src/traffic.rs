//! Traffic to simulated pods, with no socket per pod: [`connect`] opens an in-memory connection to a pod's port
//! whose far end is a small HTTP/1.1 server answering every request with an echo of who served it (pod, namespace,
//! node, pod IP, container, port, method, path, query). A port answers only while the pod is `Running` and one of
//! its containers (or a restartable sidecar init container) declares it as a TCP `containerPort`, checks it with an
//! httpGet or tcpSocket probe (the program serves its health port, declared or not), or the
//! `ekslite.dev/listen-ports` annotation names it; any other connection is refused at once, as a closed port
//! refuses it.
//!
//! The API server's pod and service proxies and port-forwarding, the node agent's probes and the load balancers'
//! listeners all reach pods through [`connect`]. [`listener`] and [`answer`] are its pure halves: who serves a port,
//! and what a request gets.

use std::collections::BTreeMap;
use std::net::IpAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use k8s_openapi::api::core::v1::{Container, Pod};
use serde_json::json;

/// Annotation: the HTTP status of every answer (200 to 599), instead of 200.
pub const HTTP_STATUS: &str = "ekslite.dev/http-status";
/// Annotation: a fixed body (`text/plain`) for every answer, instead of the JSON echo.
pub const HTTP_BODY: &str = "ekslite.dev/http-body";
/// Annotation: TCP ports the pod listens on besides those its containers declare (`"8080,8181"`), as a process
/// may listen on ports its manifest does not name.
pub const LISTEN_PORTS: &str = "ekslite.dev/listen-ports";

/// The buffer of each direction of an in-memory connection.
const BUFFER_BYTES: usize = 64 * 1024;

/// Why a connection to a pod's port was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The pod is not `Running` (still pending, finished, or unknown).
    #[error("pod {namespace}/{name} is not running (phase {phase:?})")]
    NotRunning {
        /// The pod's namespace.
        namespace: String,
        /// The pod's name.
        name: String,
        /// Its `status.phase`, empty when it has none.
        phase: String,
    },
    /// No container of the pod declares the port.
    #[error("no container of pod {namespace}/{name} listens on TCP port {port}")]
    ClosedPort {
        /// The pod's namespace.
        namespace: String,
        /// The pod's name.
        name: String,
        /// The port asked for.
        port: u16,
    },
    /// The caller runs outside a tokio runtime, which the pod's end of the connection needs.
    #[error("no tokio runtime to serve the connection on")]
    NoRuntime,
}

/// Who serves one port of a running pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// `metadata.name`.
    pub pod: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `spec.nodeName`.
    pub node: String,
    /// `status.podIP`, if it has one.
    pub pod_ip: Option<IpAddr>,
    /// The container that declares the port.
    pub container: String,
    /// The port.
    pub port: u16,
    /// The status of every answer.
    pub status: u16,
    /// A fixed body instead of the echo.
    pub body: Option<String>,
}

/// The container of `pod` that serves TCP `port`: a regular container, or an init container that is a restartable
/// sidecar (`restartPolicy: Always`), that declares it (first) or probes it. Whether the pod runs is not looked at.
pub fn declaring_container(pod: &Pod, port: u16) -> Option<&Container> {
    let spec = pod.spec.as_ref()?;
    let sidecars = spec.init_containers.iter().flatten().filter(|c| c.restart_policy.as_deref() == Some("Always"));
    let declares = |container: &Container| {
        container.ports.iter().flatten().any(|declared| {
            declared.container_port == i32::from(port) && declared.protocol.as_deref().unwrap_or("TCP") == "TCP"
        })
    };
    let containers: Vec<&Container> = spec.containers.iter().chain(sidecars).collect();
    containers
        .iter()
        .find(|container| declares(container))
        .or_else(|| containers.iter().find(|container| probes_port(container, port)))
        .copied()
}

/// Whether one of the container's probes (httpGet or tcpSocket, by number) checks `port`: the program serves it,
/// declared or not, as images commonly serve their health ports (CoreDNS's 8080 and 8181) without declaring them.
fn probes_port(container: &Container, port: u16) -> bool {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let probes = [&container.liveness_probe, &container.readiness_probe, &container.startup_probe];
    probes.into_iter().flatten().any(|probe| {
        let checked = probe.http_get.as_ref().map(|h| &h.port).or(probe.tcp_socket.as_ref().map(|t| &t.port));
        matches!(checked, Some(IntOrString::Int(number)) if *number == i32::from(port))
    })
}

/// The container of `pod` that listens on TCP `port`: the one that declares or probes it
/// ([`declaring_container`]), else the first container when the `ekslite.dev/listen-ports` annotation names the
/// port.
pub fn listening_container(pod: &Pod, port: u16) -> Option<&Container> {
    if let Some(container) = declaring_container(pod, port) {
        return Some(container);
    }
    let annotated = pod
        .metadata
        .annotations
        .as_ref()
        .and_then(|map| map.get(LISTEN_PORTS))
        .is_some_and(|ports| ports.split(',').any(|listed| listed.trim().parse::<u16>().ok() == Some(port)));
    if annotated { pod.spec.as_ref()?.containers.first() } else { None }
}

/// Who would answer a connection to `port` of `pod` now: refused unless the pod is `Running` and listens on the
/// port ([`listening_container`]).
pub fn listener(pod: &Pod, port: u16) -> Result<Listener, Refused> {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let status = pod.status.as_ref();
    let phase = status.and_then(|status| status.phase.clone()).unwrap_or_default();
    if phase != "Running" {
        return Err(Refused::NotRunning { namespace, name, phase });
    }
    let Some(container) = listening_container(pod, port) else {
        return Err(Refused::ClosedPort { namespace, name, port });
    };
    let annotations = pod.metadata.annotations.as_ref();
    let annotation = |key: &str| annotations.and_then(|map: &BTreeMap<String, String>| map.get(key));
    let status_code = annotation(HTTP_STATUS)
        .and_then(|value| value.trim().parse::<u16>().ok())
        .filter(|code| (200..=599).contains(code))
        .unwrap_or(200);
    Ok(Listener {
        pod: name,
        namespace,
        node: pod.spec.as_ref().and_then(|spec| spec.node_name.clone()).unwrap_or_default(),
        pod_ip: status.and_then(|status| status.pod_ip.as_deref()).and_then(|ip| ip.parse().ok()),
        container: container.name.clone(),
        port,
        status: status_code,
        body: annotation(HTTP_BODY).cloned(),
    })
}

/// What a listener answers to one request: its status, content type and body.
pub fn answer(
    listener: &Listener,
    method: &str,
    path: &str,
    query: &str,
    body_bytes: u64,
) -> (u16, &'static str, Bytes) {
    if let Some(body) = &listener.body {
        return (listener.status, "text/plain; charset=utf-8", Bytes::from(body.clone()));
    }
    let echo = json!({
        "pod": listener.pod,
        "namespace": listener.namespace,
        "node": listener.node,
        "podIP": listener.pod_ip.map(|ip| ip.to_string()),
        "container": listener.container,
        "port": listener.port,
        "method": method,
        "path": path,
        "query": query,
        "bodyBytes": body_bytes,
    });
    let mut bytes = serde_json::to_vec(&echo).expect("JSON values serialize");
    bytes.push(b'\n');
    (listener.status, "application/json", Bytes::from(bytes))
}

/// Opens a connection to `port` of `pod`: the returned stream is the client's end, the pod's end an HTTP/1.1
/// server (keep-alive, any number of requests) answering as [`answer`] says. Refused at once when the port does not
/// answer ([`listener`]). The pod's end runs on the current tokio runtime until the client's end is dropped or
/// shut down.
pub fn connect(pod: &Pod, port: u16) -> Result<tokio::io::DuplexStream, Refused> {
    let listener = listener(pod, port)?;
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| Refused::NoRuntime)?;
    let (client, server) = tokio::io::duplex(BUFFER_BYTES);
    // The task ends with the connection: when the client's end goes, the server reads end-of-file.
    runtime.spawn(serve(listener, server));
    Ok(client)
}

/// Serves one connection until the client closes it.
async fn serve(listener: Listener, stream: tokio::io::DuplexStream) {
    let listener = std::sync::Arc::new(listener);
    let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
        let listener = std::sync::Arc::clone(&listener);
        async move {
            let method = request.method().as_str().to_owned();
            let path = request.uri().path().to_owned();
            let query = request.uri().query().unwrap_or_default().to_owned();
            // The body is read and counted, never kept.
            let mut body = request.into_body();
            let mut body_bytes = 0u64;
            while let Some(frame) = body.frame().await {
                match frame {
                    Ok(frame) => body_bytes += frame.data_ref().map_or(0, |data| data.len() as u64),
                    Err(_) => break,
                }
            }
            let (status, content_type, bytes) = answer(&listener, &method, &path, &query, body_bytes);
            let response = hyper::Response::builder()
                .status(status)
                .header(hyper::header::CONTENT_TYPE, content_type)
                .body(Full::new(bytes))
                .expect("a status from 200 to 599 and a fixed header make a response");
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let io = hyper_util::rt::TokioIo::new(stream);
    if let Err(error) = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await {
        tracing::debug!(%error, "pod connection ended with an error");
    }
}

/// The error a dialer reports for a refused connection to `port` of a pod at `ip`, as Go's `net` package words it
/// (`dial tcp 10.0.1.5:80: connect: connection refused`), which kubelet's probes and kube-apiserver's proxy pass on.
pub fn dial_error(ip: Option<IpAddr>, port: u16) -> String {
    let host = match ip {
        Some(IpAddr::V6(ip)) => format!("[{ip}]"),
        Some(ip) => ip.to_string(),
        None => String::new(),
    };
    format!("dial tcp {host}:{port}: connect: connection refused")
}

#[cfg(test)]
mod tests;

//! The `proxy` subresources of pods and services, as kube-apiserver serves them: any method on
//! `pods/<[scheme:]name[:port]>/proxy[/<path>]` (or `services/...`) is passed on to the pod's port with its path,
//! query and body, and the pod's answer comes back as it is. A pod is reached at the port named (else its first
//! declared container port, else 80); a service picks a ready endpoint of the service port named (by number or
//! name) from its EndpointSlices. Errors are kube-apiserver's: `address not allowed` for a pod without an IP,
//! `no endpoints available for service "web"`, `error trying to reach service: dial tcp ...` when the port is
//! closed.
//!
//! Connections go through the [`PodConnector`](crate::PodConnector) the binary installs; nothing listens.

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use store::ListOptions;

use crate::api::ClusterApi;
use crate::authz::{Attributes, UserInfo};
use crate::request::{self, ConnectRequest, ResourceRequest, Verb};
use crate::status::ApiError;

/// Spreads a service's requests over its ready endpoints.
static NEXT_ENDPOINT: AtomicUsize = AtomicUsize::new(0);

/// The RBAC verb of a connect request's method, as kube-apiserver's request info names it (`OPTIONS` has none);
/// `None` for a method the proxies do not serve.
pub(crate) fn connect_verb(method: &Method) -> Option<&'static str> {
    Some(match *method {
        Method::GET | Method::HEAD => "get",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE => "delete",
        Method::OPTIONS => "",
        _ => return None,
    })
}

impl ClusterApi {
    /// Authorizes a connect request as kube-apiserver does: the method's verb on `<resource>/<subresource>` of the
    /// object named as the path names it.
    pub(crate) async fn authorize_connect(
        &self,
        user: &UserInfo,
        connect: &ConnectRequest,
        verb: &str,
    ) -> Result<(), ApiError> {
        let attributes = Attributes::Resource {
            verb: verb.to_owned(),
            group: String::new(),
            resource: connect.resource.to_owned(),
            subresource: Some(connect.subresource.to_owned()),
            namespace: Some(connect.namespace.clone()),
            name: Some(connect.name.clone()),
        };
        self.authorize(user, &attributes).await
    }

    /// A pod as stored, or kube-apiserver's 404.
    pub(crate) async fn stored_pod(&self, namespace: &str, name: &str) -> Result<Value, ApiError> {
        self.stored_object("pods", namespace, name).await
    }

    async fn stored_object(&self, plural: &str, namespace: &str, name: &str) -> Result<Value, ApiError> {
        let resource = self.registry.find("", "v1", plural).expect("a core resource is registered");
        let request = ResourceRequest {
            verb: Verb::Get,
            group: String::new(),
            version: "v1".into(),
            namespace: Some(namespace.to_owned()),
            resource: plural.to_owned(),
            name: Some(name.to_owned()),
            subresource: None,
        };
        self.get(resource, &request).await
    }

    /// Serves `pods/.../proxy` and `services/.../proxy`.
    pub(crate) async fn proxy(
        &self,
        user: &UserInfo,
        connect: &ConnectRequest,
        request: Request<Body>,
    ) -> Result<Response, ApiError> {
        let Some(verb) = connect_verb(request.method()) else {
            return Err(ApiError::method_not_allowed(format!("{} is not supported by proxies", request.method())));
        };
        self.authorize_connect(user, connect, verb).await?;
        let kind = if connect.resource == "pods" { "pod" } else { "service" };
        let Some((scheme, name, port)) = request::split_scheme_name_port(&connect.name) else {
            return Err(ApiError::bad_request(format!("invalid {kind} request {:?}", connect.name)));
        };
        let (pod, port) = if connect.resource == "pods" {
            self.pod_target(&connect.namespace, scheme, name, port).await?
        } else {
            self.service_target(&connect.namespace, &connect.name, name, port).await?
        };
        // kube-apiserver redirects `.../proxy` to `.../proxy/` so that relative links resolve.
        if connect.rest.is_empty() {
            let query = request.uri().query().map(|query| format!("?{query}")).unwrap_or_default();
            let location = format!("{}/{query}", request.uri().path());
            return Ok((StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, location)]).into_response());
        }
        let stream = self.connect_pod(&pod, port)?;
        forward(stream, &pod, port, &connect.rest, request).await
    }

    /// Opens a connection to a pod's port through the installed connector.
    pub(crate) fn connect_pod(&self, pod: &Value, port: u16) -> Result<tokio::io::DuplexStream, ApiError> {
        let result = match &self.pod_connector {
            Some(connector) => connector.connect(&self.name, pod, port),
            None => Err(format!("dial tcp {}:{port}: connect: connection refused", pod_ip(pod).unwrap_or_default())),
        };
        result.map_err(|error| ApiError::service_unavailable(format!("error trying to reach service: {error}")))
    }

    /// A pod and the port a pod proxy reaches, as kube-apiserver's pod `ResourceLocation` finds them.
    async fn pod_target(
        &self,
        namespace: &str,
        scheme: &str,
        name: &str,
        port: &str,
    ) -> Result<(Value, u16), ApiError> {
        let pod = self.stored_pod(namespace, name).await?;
        let first_declared = || {
            let containers = pod["spec"]["containers"].as_array()?;
            containers.iter().find_map(|c| c["ports"].as_array()?.first()?["containerPort"].as_u64())
        };
        let port =
            if port.is_empty() { first_declared().map(|p| p.to_string()).unwrap_or_default() } else { port.to_owned() };
        let ip = pod_ip(&pod);
        let global = ip.as_deref().and_then(|ip| ip.parse::<std::net::IpAddr>().ok()).is_some_and(is_global_unicast);
        if !global {
            return Err(ApiError::bad_request("address not allowed"));
        }
        let port = match (port.as_str(), scheme) {
            ("", "https") => 443,
            ("", _) => 80,
            (port, _) => named_port(port)?,
        };
        Ok((pod, port))
    }

    /// A ready endpoint's pod and port for a service proxy, as kube-apiserver's service `ResourceLocation` finds
    /// them, from the service's EndpointSlices.
    pub(crate) async fn service_target(
        &self,
        namespace: &str,
        id: &str,
        name: &str,
        port: &str,
    ) -> Result<(Value, u16), ApiError> {
        let service = self.stored_object("services", namespace, name).await?;
        // A port number names the service port of that number; anything else is a port name.
        let port_name = match port.parse::<i64>() {
            Ok(number) => {
                let ports = service["spec"]["ports"].as_array().map(Vec::as_slice).unwrap_or_default();
                let Some(declared) = ports.iter().find(|p| p["port"].as_i64() == Some(number)) else {
                    return Err(ApiError::service_unavailable(format!(
                        "no service port {number} found for service {name:?}"
                    )));
                };
                declared["name"].as_str().unwrap_or_default().to_owned()
            }
            Err(_) => port.to_owned(),
        };
        let slices = self.registry.find("discovery.k8s.io", "v1", "endpointslices").expect("registered");
        let listed = self.store.list(&self.collection_prefix(slices, Some(namespace)), ListOptions::default()).await?;
        // Every ready endpoint of the service: its address, pod and the port of the right name.
        let mut ready = Vec::new();
        let mut any_ready = false;
        for kv in &listed.items {
            let Ok(slice) = serde_json::from_slice::<Value>(&kv.value) else { continue };
            if slice["metadata"]["labels"]["kubernetes.io/service-name"].as_str() != Some(name) {
                continue;
            }
            let endpoints = slice["endpoints"].as_array().map(Vec::as_slice).unwrap_or_default();
            let endpoints: Vec<&Value> =
                endpoints.iter().filter(|e| e["conditions"]["ready"].as_bool() != Some(false)).collect();
            any_ready |= !endpoints.is_empty();
            let ports = slice["ports"].as_array().map(Vec::as_slice).unwrap_or_default();
            let Some(number) = ports
                .iter()
                .find(|p| p["name"].as_str().unwrap_or_default() == port_name)
                .and_then(|p| p["port"].as_u64())
                .and_then(|p| u16::try_from(p).ok())
            else {
                continue;
            };
            for endpoint in endpoints {
                let target = &endpoint["targetRef"];
                if target["kind"].as_str() == Some("Pod")
                    && let Some(pod) = target["name"].as_str()
                {
                    let pod_namespace = target["namespace"].as_str().unwrap_or(namespace).to_owned();
                    ready.push((pod_namespace, pod.to_owned(), number));
                }
            }
        }
        if !any_ready {
            return Err(ApiError::service_unavailable(format!("no endpoints available for service {name:?}")));
        }
        // A random start, then each candidate whose pod is still there, as kube-apiserver checks each address.
        let start = NEXT_ENDPOINT.fetch_add(1, Ordering::Relaxed);
        for offset in 0..ready.len() {
            let (pod_namespace, pod_name, number) = &ready[(start + offset) % ready.len()];
            if let Ok(pod) = self.stored_pod(pod_namespace, pod_name).await {
                return Ok((pod, *number));
            }
        }
        Err(ApiError::service_unavailable(format!("no endpoints available for service {id:?}")))
    }
}

/// `status.podIPs[0]`, else `status.podIP`.
fn pod_ip(pod: &Value) -> Option<String> {
    let status = &pod["status"];
    status["podIPs"][0]["ip"]
        .as_str()
        .or_else(|| status["podIP"].as_str())
        .filter(|ip| !ip.is_empty())
        .map(str::to_owned)
}

/// Go's `IP.IsGlobalUnicast`: not unspecified, loopback, multicast, link-local or the IPv4 broadcast address.
fn is_global_unicast(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(ip) => {
            !(ip.is_unspecified() || ip.is_loopback() || ip.is_multicast() || ip.is_link_local() || ip.is_broadcast())
        }
        std::net::IpAddr::V6(ip) => {
            !(ip.is_unspecified() || ip.is_loopback() || ip.is_multicast() || ip.is_unicast_link_local())
        }
    }
}

/// A pod proxy's port: a number, or one of the service names Go's dialer knows.
fn named_port(port: &str) -> Result<u16, ApiError> {
    let unreachable =
        |message: String| ApiError::service_unavailable(format!("error trying to reach service: {message}"));
    match port {
        "http" => Ok(80),
        "https" => Ok(443),
        _ if port.bytes().all(|b| b.is_ascii_digit()) => match port.parse::<u16>() {
            Ok(number) if number > 0 => Ok(number),
            _ => Err(unreachable(format!("dial tcp: address {port}: invalid port"))),
        },
        _ => Err(unreachable(format!("dial tcp: lookup tcp/{port}: unknown port"))),
    }
}

/// Headers that belong to one connection (RFC 9110's hop-by-hop headers) or to the API server (credentials,
/// impersonation), never passed on.
fn passed_on(name: &HeaderName) -> bool {
    let name = name.as_str();
    !matches!(
        name,
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "authorization"
            | "host"
    ) && !name.starts_with("impersonate-")
}

fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    // Headers the `Connection` header names are hop-by-hop too.
    let listed: Vec<String> = from
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(',').map(|name| name.trim().to_ascii_lowercase()))
        .collect();
    for (name, value) in from {
        if passed_on(name) && !listed.iter().any(|listed| listed == name.as_str()) {
            to.append(name.clone(), value.clone());
        }
    }
}

/// Sends `request` to the pod over `stream` with path `path` (and the request's query), and streams the answer
/// back. The connection ends when the answer has been read.
pub(crate) async fn forward(
    stream: tokio::io::DuplexStream,
    pod: &Value,
    port: u16,
    path: &str,
    request: Request<Body>,
) -> Result<Response, ApiError> {
    let unreachable = |error: String| ApiError::service_unavailable(format!("error trying to reach service: {error}"));
    let (parts, body) = request.into_parts();
    let target = match parts.uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let mut outgoing = Request::builder().method(parts.method.clone()).uri(target.as_str());
    if let Some(headers) = outgoing.headers_mut() {
        copy_headers(&parts.headers, headers);
        let host = match pod_ip(pod) {
            Some(ip) if ip.contains(':') => format!("[{ip}]:{port}"),
            Some(ip) => format!("{ip}:{port}"),
            None => format!(":{port}"),
        };
        if let Ok(host) = HeaderValue::from_str(&host) {
            headers.insert(header::HOST, host);
        }
    }
    let outgoing =
        outgoing.body(body).map_err(|error| ApiError::bad_request(format!("invalid proxy path: {error}")))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .map_err(|error| unreachable(error.to_string()))?;
    // The connection is driven until the answer's body is read or dropped, then ends with the sender.
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "proxied pod connection ended with an error");
        }
    });
    let answer = sender.send_request(outgoing).await.map_err(|error| unreachable(error.to_string()))?;
    let (parts, body) = answer.into_parts();
    let mut response = Response::new(Body::new(body));
    *response.status_mut() = parts.status;
    copy_headers(&parts.headers, response.headers_mut());
    Ok(response)
}

#[cfg(test)]
mod tests;

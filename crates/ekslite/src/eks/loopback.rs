//! Load balancers' listeners on loopback ports: each listener of a cluster's load balancers also listens on
//! `127.0.0.1:<port>`, so that `curl` reaches the cluster's simulated pods as the load balancer would.
//!
//! - A Classic ELB's or an NLB's listener passes each connection whole to the next healthy target in turn.
//! - An Application Load Balancer's listener speaks HTTP/1.1: each request goes where the listener's rules send
//!   it (host header and path patterns, in priority order; else the default action: a target group or a fixed
//!   404), to the next healthy target of that target group, with the `X-Forwarded-For`, `X-Forwarded-Proto`,
//!   `X-Forwarded-Port` and `X-Amzn-Trace-Id` headers an ALB adds. A target group with no healthy target answers
//!   503 and a target that refuses the connection 502, in the ALB's words. An HTTPS listener's loopback port
//!   speaks plain HTTP: no certificate is served.
//!
//! An ip target is the pod with that address; an instance target a node port, which (as kube-proxy does) goes on
//! to a ready endpoint of the Service. The pod's end is the node agent's in-memory responder
//! (`node_agent::traffic::connect`); nothing listens per pod.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use controllers::load_balancers::{ApplicationRule, Listener, TargetType};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, ListParams};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::task::AbortOnDropHandle;

/// The targets of one target group (or of a Classic ELB's or NLB's listener), as the last ensure left them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    pub namespace: String,
    pub service: String,
    /// The Service port's name (the EndpointSlice port of the same name; empty when it has none).
    pub port_name: String,
    pub target_type: TargetType,
    /// The healthy targets: pod addresses (ip) or instance ids (instance).
    pub healthy: Vec<String>,
}

/// An Application Load Balancer listener's routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoutes {
    /// `HTTP` or `HTTPS`, as `X-Forwarded-Proto` tells the targets.
    pub protocol: String,
    /// In priority order; each names a pool by index.
    pub rules: Vec<ApplicationRule>,
    /// The pool requests no rule takes go to; `None`: a fixed 404.
    pub default_pool: Option<usize>,
    pub pools: Vec<Pool>,
}

/// Where a listener sends what arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routing {
    /// Each connection, whole, to the next healthy target.
    Stream(Pool),
    /// Each HTTP request by the listener's rules.
    Http(HttpRoutes),
}

#[derive(Debug)]
struct Route {
    routing: Mutex<Arc<Routing>>,
    /// Turns for the round-robin over healthy targets.
    next: AtomicUsize,
}

#[derive(Debug)]
struct Bound {
    address: SocketAddr,
    /// Whether the listener serves HTTP (a change of kind binds it again).
    http: bool,
    route: Arc<Route>,
    _task: AbortOnDropHandle<()>,
}

/// The loopback listeners of one cluster's load balancers, by load balancer name and listener port.
pub struct LoopbackListeners {
    client: kube::Client,
    bound: Mutex<HashMap<(String, u16), Bound>>,
}

impl std::fmt::Debug for LoopbackListeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackListeners").field("bound", &self.bound).finish_non_exhaustive()
    }
}

/// The routing of each listener of a Service's load balancer.
pub fn stream_routes(
    namespace: &str,
    service: &str,
    target_type: TargetType,
    listeners: &[Listener],
) -> Vec<(u16, Routing)> {
    listeners
        .iter()
        .map(|listener| {
            let pool = Pool {
                namespace: namespace.to_owned(),
                service: service.to_owned(),
                port_name: listener.name.clone(),
                target_type,
                healthy: listener.targets.iter().filter(|t| t.healthy).map(|t| t.id.clone()).collect(),
            };
            (listener.port, Routing::Stream(pool))
        })
        .collect()
}

impl LoopbackListeners {
    /// The listeners of the cluster `client` reaches.
    pub fn new(client: kube::Client) -> LoopbackListeners {
        LoopbackListeners { client, bound: Mutex::new(HashMap::new()) }
    }

    /// Listens on each of `routes`' ports for the load balancer `name` (binding a loopback port for those new),
    /// routes them as given, and stops those of its ports no longer listed; returns each port's loopback address.
    pub async fn ensure(&self, name: &str, routes: Vec<(u16, Routing)>) -> Result<Vec<(u16, SocketAddr)>, String> {
        let mut addresses = Vec::new();
        let ports: Vec<u16> = routes.iter().map(|(port, _)| *port).collect();
        for (port, routing) in routes {
            let key = (name.to_owned(), port);
            let http = matches!(routing, Routing::Http(_));
            let existing = self
                .bound
                .lock()
                .expect("loopback lock")
                .get(&key)
                .filter(|bound| bound.http == http)
                .map(|bound| (bound.address, Arc::clone(&bound.route)));
            let (address, route) = match existing {
                Some(found) => found,
                None => {
                    let socket = TcpListener::bind(("127.0.0.1", 0))
                        .await
                        .map_err(|error| format!("cannot listen on a loopback port: {error}"))?;
                    let address = socket.local_addr().map_err(|error| error.to_string())?;
                    let route =
                        Arc::new(Route { routing: Mutex::new(Arc::new(routing.clone())), next: AtomicUsize::new(0) });
                    let task = AbortOnDropHandle::new(tokio::spawn(accept(
                        socket,
                        self.client.clone(),
                        Arc::clone(&route),
                        port,
                    )));
                    tracing::info!(load_balancer = name, port, %address, "load balancer listener on loopback");
                    let bound = Bound { address, http, route: Arc::clone(&route), _task: task };
                    self.bound.lock().expect("loopback lock").insert(key, bound);
                    (address, route)
                }
            };
            *route.routing.lock().expect("route lock") = Arc::new(routing);
            addresses.push((port, address));
        }
        self.bound.lock().expect("loopback lock").retain(|(lb, port), _| lb != name || ports.contains(port));
        Ok(addresses)
    }

    /// Stops every listener of the load balancer `name`.
    pub fn forget(&self, name: &str) {
        self.bound.lock().expect("loopback lock").retain(|(lb, _), _| lb != name);
    }
}

async fn accept(socket: TcpListener, client: kube::Client, route: Arc<Route>, port: u16) {
    loop {
        let Ok((stream, peer)) = socket.accept().await else { continue };
        let client = client.clone();
        let route = Arc::clone(&route);
        tokio::spawn(async move {
            let routing = Arc::clone(&route.routing.lock().expect("route lock"));
            match routing.as_ref() {
                Routing::Stream(pool) => {
                    let turn = route.next.fetch_add(1, Ordering::Relaxed);
                    if let Err(error) = forward(stream, &client, pool, turn).await {
                        tracing::debug!(%error, "a load balancer connection found no target");
                    }
                }
                Routing::Http(_) => serve_http(stream, peer, client, route, port).await,
            }
        });
    }
}

/// A target's pod and the port it serves, the next in turn among the pool's healthy targets that is a ready
/// endpoint of its Service.
async fn pick(client: &kube::Client, pool: &Pool, turn: usize) -> Result<(Pod, u16), String> {
    let Pool { namespace, service, port_name, target_type, healthy } = pool;
    if healthy.is_empty() {
        return Err(format!("no healthy target for {namespace}/{service}"));
    }
    let mut healthy = healthy.clone();
    let len = healthy.len();
    healthy.rotate_left(turn % len);
    // The Service's ready endpoints of the listener's port, as kube-proxy reads them.
    let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), namespace);
    let params = ListParams::default().labels(&format!("kubernetes.io/service-name={service}"));
    let slices = slices.list(&params).await.map_err(|error| error.to_string())?;
    let mut endpoints: Vec<(String, String, u16)> = Vec::new();
    for slice in &slices.items {
        let Some(port) = slice.ports.iter().flatten().find(|p| p.name.clone().unwrap_or_default() == *port_name) else {
            continue;
        };
        let Some(port) = port.port.and_then(|p| u16::try_from(p).ok()) else { continue };
        for endpoint in &slice.endpoints {
            let ready = endpoint.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true);
            let Some(pod) = endpoint.target_ref.as_ref().and_then(|r| r.name.clone()) else { continue };
            // An ip target is taken when the load balancer holds it healthy (a pod held back only by its
            // readiness gate is); a node port goes to ready endpoints only.
            if ready || *target_type == TargetType::Ip {
                for address in &endpoint.addresses {
                    endpoints.push((address.clone(), pod.clone(), port));
                }
            }
        }
    }
    let chosen = match target_type {
        // The first healthy target (in turn) that is an endpoint.
        TargetType::Ip => healthy.iter().find_map(|ip| endpoints.iter().find(|(address, _, _)| address == ip)),
        // A node port: any ready endpoint, in turn.
        TargetType::Instance => (!endpoints.is_empty()).then(|| &endpoints[turn % endpoints.len()]),
    };
    let Some((_, pod_name, port)) = chosen else { return Err(format!("no ready endpoint of {namespace}/{service}")) };
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let pod = pods.get(pod_name).await.map_err(|error| error.to_string())?;
    Ok((pod, *port))
}

/// Sends one connection to the next healthy target; a connection with none is closed.
async fn forward(mut stream: TcpStream, client: &kube::Client, pool: &Pool, turn: usize) -> Result<(), String> {
    let (pod, port) = pick(client, pool, turn).await?;
    let mut upstream = node_agent::traffic::connect(&pod, port).map_err(|error| error.to_string())?;
    let _ = tokio::io::copy_bidirectional(&mut stream, &mut upstream).await;
    Ok(())
}

type Body = BoxBody<Bytes, hyper::Error>;

/// Serves one client connection of an Application Load Balancer's listener, a request at a time.
async fn serve_http(stream: TcpStream, peer: SocketAddr, client: kube::Client, route: Arc<Route>, port: u16) {
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let client = client.clone();
        let route = Arc::clone(&route);
        async move { Ok::<_, Infallible>(answer(request, peer, &client, &route, port).await) }
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    if let Err(error) = connection.await {
        tracing::debug!(%error, "a load balancer's HTTP connection ended with an error");
    }
}

/// Which pool a request goes to: the first rule (in priority order) whose host and path conditions it meets, else
/// the default action's; `None` is the fixed 404.
pub fn route_of(routes: &HttpRoutes, host: Option<&str>, path: &str) -> Option<usize> {
    // The host header's name without its port, matched case-insensitively; paths are case-sensitive.
    let host = host.map(|h| h.rsplit_once(':').filter(|(_, p)| p.parse::<u16>().is_ok()).map_or(h, |(name, _)| name));
    let host = host.map(str::to_ascii_lowercase);
    let host_ok = |rule: &ApplicationRule| {
        rule.hosts.is_empty()
            || host
                .as_deref()
                .is_some_and(|h| rule.hosts.iter().any(|p| aws_model::ec2::glob(&p.to_ascii_lowercase(), h)))
    };
    let path_ok =
        |rule: &ApplicationRule| rule.paths.is_empty() || rule.paths.iter().any(|p| aws_model::ec2::glob(p, path));
    routes
        .rules
        .iter()
        .find(|rule| host_ok(rule) && path_ok(rule))
        .map_or(routes.default_pool, |rule| Some(rule.backend))
}

/// An answer the load balancer makes itself.
fn own_answer(status: StatusCode, content_type: &str, body: String) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)).map_err(|never| match never {}).boxed());
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response.headers_mut().insert(header::SERVER, HeaderValue::from_static("awselb/2.0"));
    response
}

/// The HTML page an ALB answers its own errors with.
fn error_page(status: StatusCode) -> Response<Body> {
    let title = format!("{} {}", status.as_str(), status.canonical_reason().unwrap_or_default());
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    own_answer(status, "text/html", page)
}

async fn answer(
    request: Request<Incoming>,
    peer: SocketAddr,
    client: &kube::Client,
    route: &Route,
    port: u16,
) -> Response<Body> {
    let routing = Arc::clone(&route.routing.lock().expect("route lock"));
    let Routing::Http(routes) = routing.as_ref() else { return error_page(StatusCode::BAD_GATEWAY) };
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_owned);
    let Some(index) = route_of(routes, host.as_deref(), request.uri().path()) else {
        return own_answer(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", String::new());
    };
    let Some(pool) = routes.pools.get(index) else { return error_page(StatusCode::SERVICE_UNAVAILABLE) };
    let turn = route.next.fetch_add(1, Ordering::Relaxed);
    let (pod, target_port) = match pick(client, pool, turn).await {
        Ok(found) => found,
        Err(error) => {
            tracing::debug!(%error, "an ALB request found no healthy target");
            return error_page(StatusCode::SERVICE_UNAVAILABLE);
        }
    };
    let Ok(stream) = node_agent::traffic::connect(&pod, target_port) else {
        return error_page(StatusCode::BAD_GATEWAY);
    };
    let (mut parts, body) = request.into_parts();
    let forwarded_for = match parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(earlier) => format!("{earlier}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    let trace =
        format!("Root=1-{:08x}-{}", time::OffsetDateTime::now_utc().unix_timestamp(), aws_model::ids::hex_lower(12));
    for (name, value) in [
        ("x-forwarded-for", forwarded_for),
        ("x-forwarded-proto", routes.protocol.to_ascii_lowercase()),
        ("x-forwarded-port", port.to_string()),
        ("x-amzn-trace-id", trace),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            parts.headers.insert(name, value);
        }
    }
    let outgoing = Request::from_parts(parts, body);
    let Ok((mut sender, connection)) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await
    else {
        return error_page(StatusCode::BAD_GATEWAY);
    };
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "an ALB target connection ended with an error");
        }
    });
    match sender.send_request(outgoing).await {
        Ok(answer) => answer.map(BodyExt::boxed),
        Err(_) => error_page(StatusCode::BAD_GATEWAY),
    }
}

#[cfg(test)]
mod tests;

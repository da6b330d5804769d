//! Load balancers' listeners on loopback ports: each listener of a Service's load balancer also listens on
//! `127.0.0.1:<port>`, so that `curl` reaches the cluster's simulated pods as the load balancer would. Each
//! connection goes to the next healthy target in turn: an ip target is the pod with that address, an instance
//! target a node port, which (as kube-proxy does) goes on to a ready endpoint of the Service. The pod's end is the
//! node agent's in-memory responder (`node_agent::traffic::connect`); nothing listens per pod.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use controllers::load_balancers::{Listener, TargetType};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, ListParams};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::task::AbortOnDropHandle;

/// Where a listener sends its connections, as the last ensure left it.
#[derive(Debug, Default)]
struct Route {
    namespace: String,
    service: String,
    /// The Service port's name (the EndpointSlice port of the same name).
    port_name: String,
    target_type: Option<TargetType>,
    /// The healthy targets: pod addresses (ip) or instance ids (instance).
    healthy: Vec<String>,
    next: AtomicUsize,
}

#[derive(Debug)]
struct Bound {
    address: SocketAddr,
    route: Arc<Mutex<Route>>,
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

impl LoopbackListeners {
    /// The listeners of the cluster `client` reaches.
    pub fn new(client: kube::Client) -> LoopbackListeners {
        LoopbackListeners { client, bound: Mutex::new(HashMap::new()) }
    }

    /// Listens for each of `listeners` of the load balancer `name` (binding a loopback port for those new),
    /// routes them to their current healthy targets, and stops those of its ports no longer listed; returns each
    /// port's loopback address.
    pub async fn ensure(
        &self,
        name: &str,
        namespace: &str,
        service: &str,
        target_type: TargetType,
        listeners: &[Listener],
    ) -> Result<Vec<(u16, SocketAddr)>, String> {
        let mut addresses = Vec::new();
        for listener in listeners {
            let key = (name.to_owned(), listener.port);
            let existing =
                self.bound.lock().expect("loopback lock").get(&key).map(|b| (b.address, Arc::clone(&b.route)));
            let (address, route) = match existing {
                Some(found) => found,
                None => {
                    let socket = TcpListener::bind(("127.0.0.1", 0))
                        .await
                        .map_err(|error| format!("cannot listen on a loopback port: {error}"))?;
                    let address = socket.local_addr().map_err(|error| error.to_string())?;
                    let route = Arc::new(Mutex::new(Route::default()));
                    let task =
                        AbortOnDropHandle::new(tokio::spawn(accept(socket, self.client.clone(), Arc::clone(&route))));
                    tracing::info!(load_balancer = name, port = listener.port, %address, "load balancer listener on loopback");
                    let bound = Bound { address, route: Arc::clone(&route), _task: task };
                    self.bound.lock().expect("loopback lock").insert(key, bound);
                    (address, route)
                }
            };
            let mut route = route.lock().expect("route lock");
            route.namespace = namespace.to_owned();
            route.service = service.to_owned();
            route.port_name = listener.name.clone();
            route.target_type = Some(target_type);
            route.healthy = listener.targets.iter().filter(|t| t.healthy).map(|t| t.id.clone()).collect();
            addresses.push((listener.port, address));
        }
        self.bound
            .lock()
            .expect("loopback lock")
            .retain(|(lb, port), _| lb != name || listeners.iter().any(|l| l.port == *port));
        Ok(addresses)
    }

    /// Stops every listener of the load balancer `name`.
    pub fn forget(&self, name: &str) {
        self.bound.lock().expect("loopback lock").retain(|(lb, _), _| lb != name);
    }
}

async fn accept(socket: TcpListener, client: kube::Client, route: Arc<Mutex<Route>>) {
    loop {
        let Ok((stream, _)) = socket.accept().await else { continue };
        let client = client.clone();
        let route = Arc::clone(&route);
        tokio::spawn(async move {
            if let Err(error) = forward(stream, &client, &route).await {
                tracing::debug!(%error, "a load balancer connection found no target");
            }
        });
    }
}

/// Sends one connection to the next healthy target; a connection with none is closed.
async fn forward(mut stream: TcpStream, client: &kube::Client, route: &Mutex<Route>) -> Result<(), String> {
    let (namespace, service, port_name, target_type, mut healthy, turn) = {
        let route = route.lock().expect("route lock");
        let turn = route.next.fetch_add(1, Ordering::Relaxed);
        let copied = (route.namespace.clone(), route.service.clone(), route.port_name.clone(), route.target_type);
        (copied.0, copied.1, copied.2, copied.3, route.healthy.clone(), turn)
    };
    if !healthy.is_empty() {
        let len = healthy.len();
        healthy.rotate_left(turn % len);
    }
    if healthy.is_empty() {
        return Err(format!("no healthy target for {namespace}/{service}"));
    }
    // The Service's ready endpoints of the listener's port, as kube-proxy reads them.
    let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), &namespace);
    let params = ListParams::default().labels(&format!("kubernetes.io/service-name={service}"));
    let slices = slices.list(&params).await.map_err(|error| error.to_string())?;
    let mut endpoints: Vec<(String, String, u16)> = Vec::new();
    for slice in &slices.items {
        let Some(port) = slice.ports.iter().flatten().find(|p| p.name.clone().unwrap_or_default() == port_name) else {
            continue;
        };
        let Some(port) = port.port.and_then(|p| u16::try_from(p).ok()) else { continue };
        for endpoint in &slice.endpoints {
            let ready = endpoint.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true);
            let Some(pod) = endpoint.target_ref.as_ref().and_then(|r| r.name.clone()) else { continue };
            if ready {
                for address in &endpoint.addresses {
                    endpoints.push((address.clone(), pod.clone(), port));
                }
            }
        }
    }
    let chosen = match target_type {
        // The first healthy target (in turn) that is a ready endpoint.
        Some(TargetType::Ip) => healthy.iter().find_map(|ip| endpoints.iter().find(|(address, _, _)| address == ip)),
        // A node port: any ready endpoint, in turn.
        _ => (!endpoints.is_empty()).then(|| &endpoints[turn % endpoints.len()]),
    };
    let Some((_, pod_name, port)) = chosen else { return Err(format!("no ready endpoint of {namespace}/{service}")) };
    let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let pod = pods.get(pod_name).await.map_err(|error| error.to_string())?;
    let mut upstream = node_agent::traffic::connect(&pod, *port).map_err(|error| error.to_string())?;
    let _ = tokio::io::copy_bidirectional(&mut stream, &mut upstream).await;
    Ok(())
}

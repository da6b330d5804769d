//! The Endpoints and EndpointSlice controllers: for every Service with a selector, the `Endpoints` object of
//! the same name (ready and not-ready addresses grouped by port set) and the EndpointSlices labelled with the
//! service's name (at most 100 endpoints each, with ready/serving/terminating conditions, node and zone), kept
//! in step with the pods the selector matches. Services without a selector are left alone.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Node, ObjectReference, Pod, Service, ServicePort,
};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort as SlicePort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher::{self, watcher};

use crate::batch_support::{
    ReconcileError, controller_ref, ignore_not_found, is_ready, is_terminal, is_terminating, retry_later,
};

/// The label naming a slice's service.
pub const SERVICE_NAME: &str = "kubernetes.io/service-name";
/// The label naming who manages a slice.
pub const MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
/// This controller's value of [`MANAGED_BY`].
pub const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";
/// The most endpoints one slice holds (kube-controller-manager's `--max-endpoints-per-slice` default).
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;
/// The ports one endpoint serves (name, number, protocol): endpoints serving the same ports share a subset.
type PortKey = Vec<(Option<String>, i32, String)>;

const HEADLESS: &str = "service.kubernetes.io/headless";
const ZONE: &str = "topology.kubernetes.io/zone";

struct Context {
    client: kube::Client,
}

/// Runs the Endpoints and EndpointSlice controllers until the task is dropped.
pub async fn run(client: kube::Client) {
    let context = Arc::new(Context { client: client.clone() });
    let controller = Controller::new(Api::<Service>::all(client.clone()), watcher::Config::default());
    let services = controller.store();
    let by_pod = move |pod: Pod| {
        let namespace = pod.namespace();
        let labels = pod.labels().clone();
        services
            .state()
            .into_iter()
            .filter(|service| service.namespace() == namespace)
            .filter(|service| {
                let selector = service.spec.as_ref().and_then(|s| s.selector.as_ref());
                selector.is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| labels.get(k) == Some(v)))
            })
            .map(|service| ObjectRef::from_obj(service.as_ref()))
            .collect::<Vec<_>>()
    };
    let by_name = |endpoints: Endpoints| {
        Some(ObjectRef::<Service>::new(&endpoints.name_any()).within(&endpoints.namespace().unwrap_or_default()))
    };
    let controllers = controller
        .owns(Api::<EndpointSlice>::all(client.clone()), watcher::Config::default())
        .watches(Api::<Pod>::all(client.clone()), watcher::Config::default(), by_pod)
        .watches(Api::<Endpoints>::all(client.clone()), watcher::Config::default(), by_name)
        .run(reconcile, retry_later, context)
        .for_each(|_| async {});
    tokio::join!(controllers, forget_deleted_services(client));
}

/// Deletes the Endpoints of a selector Service once the Service is gone (slices go with their owner).
async fn forget_deleted_services(client: kube::Client) {
    let mut events = watcher(Api::<Service>::all(client.clone()), watcher::Config::default()).default_backoff().boxed();
    while let Some(event) = events.next().await {
        let Ok(watcher::Event::Delete(service)) = event else { continue };
        if service.spec.as_ref().and_then(|s| s.selector.as_ref()).is_none_or(BTreeMap::is_empty) {
            continue;
        }
        let endpoints: Api<Endpoints> = Api::namespaced(client.clone(), &service.namespace().unwrap_or_default());
        if let Err(error) = ignore_not_found(endpoints.delete(&service.name_any(), &DeleteParams::default()).await) {
            tracing::debug!(%error, "could not delete the endpoints of a deleted service");
        }
    }
}

/// The port a pod serves a service port on: the target port's number, or the container port its name names.
pub fn resolve_port(service_port: &ServicePort, pod: &Pod) -> Option<i32> {
    match &service_port.target_port {
        None => Some(service_port.port),
        Some(IntOrString::Int(port)) => Some(*port),
        Some(IntOrString::String(name)) => {
            let protocol = service_port.protocol.as_deref().unwrap_or("TCP");
            pod.spec.as_ref()?.containers.iter().flat_map(|c| c.ports.iter().flatten()).find_map(|p| {
                (p.name.as_deref() == Some(name) && p.protocol.as_deref().unwrap_or("TCP") == protocol)
                    .then_some(p.container_port)
            })
        }
    }
}

fn pod_ip(pod: &Pod) -> Option<&str> {
    pod.status.as_ref()?.pod_ip.as_deref().filter(|ip| !ip.is_empty())
}

fn target_ref(pod: &Pod) -> ObjectReference {
    ObjectReference {
        kind: Some("Pod".to_owned()),
        name: pod.metadata.name.clone(),
        namespace: pod.metadata.namespace.clone(),
        uid: pod.metadata.uid.clone(),
        ..ObjectReference::default()
    }
}

fn hostname(service: &Service, pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    (spec.subdomain.as_deref() == service.metadata.name.as_deref()).then(|| spec.hostname.clone()).flatten()
}

fn service_ports(service: &Service) -> &[ServicePort] {
    service.spec.as_ref().and_then(|s| s.ports.as_deref()).unwrap_or_default()
}

fn publish_not_ready(service: &Service) -> bool {
    service.spec.as_ref().and_then(|s| s.publish_not_ready_addresses).unwrap_or(false)
}

/// The subsets of a service's `Endpoints` from the pods its selector matches: addresses grouped by the ports
/// they serve, sorted by IP.
pub fn endpoint_subsets(service: &Service, pods: &[Pod]) -> Vec<EndpointSubset> {
    let publish = publish_not_ready(service);
    let mut groups: BTreeMap<PortKey, (Vec<EndpointAddress>, Vec<EndpointAddress>)> = BTreeMap::new();
    for pod in pods {
        let Some(ip) = pod_ip(pod) else { continue };
        if is_terminal(pod) || (is_terminating(pod) && !publish) {
            continue;
        }
        let ports: Vec<_> = service_ports(service)
            .iter()
            .filter_map(|sp| {
                resolve_port(sp, pod)
                    .map(|port| (sp.name.clone(), port, sp.protocol.clone().unwrap_or_else(|| "TCP".to_owned())))
            })
            .collect();
        if ports.is_empty() && !service_ports(service).is_empty() {
            continue;
        }
        let address = EndpointAddress {
            ip: ip.to_owned(),
            hostname: hostname(service, pod),
            node_name: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
            target_ref: Some(target_ref(pod)),
        };
        let group = groups.entry(ports).or_default();
        if publish || is_ready(pod) { group.0.push(address) } else { group.1.push(address) }
    }
    groups
        .into_iter()
        .map(|(ports, (mut ready, mut not_ready))| {
            ready.sort_by(|a, b| a.ip.cmp(&b.ip));
            not_ready.sort_by(|a, b| a.ip.cmp(&b.ip));
            let app_protocol = |name: &Option<String>| {
                service_ports(service).iter().find(|sp| &sp.name == name).and_then(|sp| sp.app_protocol.clone())
            };
            EndpointSubset {
                addresses: (!ready.is_empty()).then_some(ready),
                not_ready_addresses: (!not_ready.is_empty()).then_some(not_ready),
                ports: (!ports.is_empty()).then(|| {
                    ports
                        .iter()
                        .map(|(name, port, protocol)| EndpointPort {
                            name: name.clone(),
                            port: *port,
                            protocol: Some(protocol.clone()),
                            app_protocol: app_protocol(name),
                        })
                        .collect()
                }),
            }
        })
        .collect()
}

/// The content of a service's EndpointSlices (ports and endpoints each), at most 100 endpoints per slice.
pub fn slice_contents(
    service: &Service,
    pods: &[Pod],
    zones: &BTreeMap<String, String>,
) -> Vec<(Vec<SlicePort>, Vec<Endpoint>)> {
    let publish = publish_not_ready(service);
    let mut groups: BTreeMap<PortKey, Vec<Endpoint>> = BTreeMap::new();
    for pod in pods {
        let Some(ip) = pod_ip(pod) else { continue };
        if is_terminal(pod) {
            continue;
        }
        let ports: Vec<_> = service_ports(service)
            .iter()
            .filter_map(|sp| {
                resolve_port(sp, pod)
                    .map(|port| (sp.name.clone(), port, sp.protocol.clone().unwrap_or_else(|| "TCP".to_owned())))
            })
            .collect();
        if ports.is_empty() && !service_ports(service).is_empty() {
            continue;
        }
        let terminating = is_terminating(pod);
        let ready = is_ready(pod);
        let node_name = pod.spec.as_ref().and_then(|s| s.node_name.clone());
        groups.entry(ports).or_default().push(Endpoint {
            addresses: vec![ip.to_owned()],
            conditions: Some(EndpointConditions {
                ready: Some(publish || (ready && !terminating)),
                serving: Some(publish || ready),
                terminating: Some(terminating),
            }),
            hostname: hostname(service, pod),
            zone: node_name.as_ref().and_then(|n| zones.get(n)).cloned(),
            node_name,
            target_ref: Some(target_ref(pod)),
            ..Endpoint::default()
        });
    }
    let mut contents = Vec::new();
    for (ports, mut endpoints) in groups {
        endpoints.sort_by(|a, b| a.addresses.cmp(&b.addresses));
        let slice_ports: Vec<SlicePort> = ports
            .iter()
            .map(|(name, port, protocol)| SlicePort {
                name: Some(name.clone().unwrap_or_default()),
                port: Some(*port),
                protocol: Some(protocol.clone()),
                app_protocol: service_ports(service)
                    .iter()
                    .find(|sp| &sp.name == name)
                    .and_then(|sp| sp.app_protocol.clone()),
            })
            .collect();
        for chunk in endpoints.chunks(MAX_ENDPOINTS_PER_SLICE) {
            contents.push((slice_ports.clone(), chunk.to_vec()));
        }
    }
    contents
}

fn labels_for(service: &Service) -> BTreeMap<String, String> {
    let mut labels = service.labels().clone();
    if service.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None") {
        labels.insert(HEADLESS.to_owned(), String::new());
    }
    labels
}

async fn reconcile(service: Arc<Service>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let Some(selector) = service.spec.as_ref().and_then(|s| s.selector.clone()).filter(|s| !s.is_empty()) else {
        return Ok(Action::await_change());
    };
    if service.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let client = &context.client;
    let namespace = service.namespace().unwrap_or_default();
    let name = service.name_any();
    let label_selector = selector.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
    let pods = Api::<Pod>::namespaced(client.clone(), &namespace)
        .list(&ListParams::default().labels(&label_selector))
        .await?
        .items;

    // Endpoints.
    let endpoints_api: Api<Endpoints> = Api::namespaced(client.clone(), &namespace);
    let subsets = endpoint_subsets(&service, &pods);
    let mut desired = Endpoints { subsets: (!subsets.is_empty()).then_some(subsets), ..Endpoints::default() };
    desired.metadata.name = Some(name.clone());
    desired.metadata.namespace = Some(namespace.clone());
    desired.metadata.labels = Some(labels_for(&service));
    match endpoints_api.get_opt(&name).await? {
        None => match endpoints_api.create(&PostParams::default(), &desired).await {
            Err(kube::Error::Api(status)) if status.code == 409 => {
                return Ok(Action::requeue(Duration::from_millis(200)));
            }
            other => {
                other?;
            }
        },
        Some(existing) => {
            let existing_subsets = existing.subsets.clone().filter(|s| !s.is_empty());
            let same = existing_subsets == desired.subsets
                && existing.metadata.labels.clone().unwrap_or_default() == labels_for(&service);
            if !same {
                let mut updated = existing.clone();
                updated.subsets = desired.subsets.clone();
                updated.metadata.labels = desired.metadata.labels.clone();
                endpoints_api.replace(&name, &PostParams::default(), &updated).await?;
            }
        }
    }

    // EndpointSlices.
    let nodes = Api::<Node>::all(client.clone()).list(&ListParams::default()).await?.items;
    let zones: BTreeMap<String, String> =
        nodes.iter().filter_map(|node| Some((node.name_any(), node.labels().get(ZONE)?.clone()))).collect();
    let mut contents = slice_contents(&service, &pods, &zones);
    if contents.is_empty() {
        contents.push((Vec::new(), Vec::new()));
    }
    let slices_api: Api<EndpointSlice> = Api::namespaced(client.clone(), &namespace);
    let mut existing: Vec<EndpointSlice> = slices_api
        .list(&ListParams::default().labels(&format!("{SERVICE_NAME}={name}")))
        .await?
        .items
        .into_iter()
        .filter(|slice| slice.labels().get(MANAGED_BY).map(String::as_str) == Some(CONTROLLER_NAME))
        .collect();
    existing.sort_by_key(|slice| slice.name_any());
    let mut labels = labels_for(&service);
    labels.insert(SERVICE_NAME.to_owned(), name.clone());
    labels.insert(MANAGED_BY.to_owned(), CONTROLLER_NAME.to_owned());
    let mut existing = existing.into_iter();
    for (ports, endpoints) in contents {
        let ports = (!ports.is_empty()).then_some(ports);
        match existing.next() {
            Some(mut slice) => {
                if slice.endpoints != endpoints
                    || slice.ports != ports
                    || slice.metadata.labels.as_ref() != Some(&labels)
                {
                    slice.endpoints = endpoints;
                    slice.ports = ports;
                    slice.metadata.labels = Some(labels.clone());
                    slices_api.replace(&slice.name_any(), &PostParams::default(), &slice).await?;
                }
            }
            None => {
                let mut slice =
                    EndpointSlice { address_type: "IPv4".to_owned(), endpoints, ports, ..EndpointSlice::default() };
                slice.metadata.generate_name = Some(format!("{name}-"));
                slice.metadata.namespace = Some(namespace.clone());
                slice.metadata.labels = Some(labels.clone());
                slice.metadata.owner_references = Some(vec![controller_ref(service.as_ref())]);
                slices_api.create(&PostParams::default(), &slice).await?;
            }
        }
    }
    for extra in existing {
        ignore_not_found(slices_api.delete(&extra.name_any(), &DeleteParams::default()).await)?;
    }
    Ok(Action::requeue(Duration::from_secs(300)))
}

#[cfg(test)]
mod tests;

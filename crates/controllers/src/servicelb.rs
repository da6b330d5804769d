//! The service load balancer controller: a load balancer for every Service of type `LoadBalancer`, made through
//! [`LoadBalancers`], as EKS clusters get them from two controllers.
//!
//! - The cloud provider's service controller (always on) takes every `LoadBalancer` Service without a
//!   `loadBalancerClass` whose type annotation is not `external` or `nlb-ip`: a Classic ELB, or an NLB with
//!   `service.beta.kubernetes.io/aws-load-balancer-type: nlb`, with instance targets on the node ports. Its
//!   finalizer is `service.kubernetes.io/load-balancer-cleanup`; it reports `EnsuringLoadBalancer`,
//!   `EnsuredLoadBalancer`, `UpdatedLoadBalancer`, `SyncLoadBalancerFailed`, `DeletingLoadBalancer` and
//!   `DeletedLoadBalancer` events.
//! - The AWS Load Balancer Controller, once the cluster runs it (a Deployment with an available replica whose
//!   image is `aws-load-balancer-controller`, as its helm chart installs it), takes Services of class
//!   `service.k8s.aws/nlb` and those annotated `aws-load-balancer-type: external` with an
//!   `aws-load-balancer-nlb-target-type` of `ip` or `instance` (or the older `nlb-ip`): an NLB, internal unless
//!   `aws-load-balancer-scheme: internet-facing`, named `k8s-<namespace>-<name>-<hash>`, with ip targets (the
//!   pods' addresses from the Service's EndpointSlices) or instance targets. Its finalizer is
//!   `service.k8s.aws/resources`; it reports `SuccessfullyReconciled`, `FailedBuildModel` and `FailedDeployModel`.
//!
//! - EKS Auto Mode, while the cluster has its load balancing capability on (asked of [`LoadBalancers`] each pass
//!   that has a Service of its class), takes Services of class `eks.amazonaws.com/nlb`: an NLB read from the
//!   same annotations as the controller's, internal unless told otherwise, with ip targets unless the target type
//!   annotation says `instance`. Its finalizer is `service.eks.amazonaws.com/resources`. Without Auto Mode those
//!   Services stay pending, as nothing serves their class; a Service whose Auto Mode load balancer was made
//!   loses it once the capability is turned off. Auto Mode's Ingresses are [`auto_mode_alb`]'s.
//!
//! All write the load balancer's DNS name into `status.loadBalancer.ingress` (what `helm --wait` and `kubectl get
//! svc` wait for) and keep the targets in step with the nodes (Ready ones healthy; with `externalTrafficPolicy:
//! Local`, only nodes holding a ready endpoint) or the endpoints (ready ones healthy, not-ready ones unhealthy,
//! terminating ones deregistered, so they drain). A Service deleted, or no longer of type `LoadBalancer`, has its
//! load balancer deleted before its finalizer goes. Work is done when something a Service's load balancer
//! depends on changed (or a failed attempt is due again), never on a timer alone.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::admissionregistration::v1::{MutatingWebhook, MutatingWebhookConfiguration};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStatus};
use k8s_openapi::api::core::v1::{Namespace, Node, NodeSpec, NodeStatus, Pod, Service, ServicePort};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::reflector::Store;
use serde_json::{Value, json};

use self::bindings::{ControllerWebhooks, GATE_PREFIX, GateBinding, HeldPods, INJECT_LABEL, Stack};
use crate::batch_support::{record_event, reflect};
use crate::ebs::instance_of_provider_id;
use crate::endpoints::SERVICE_NAME;
use crate::load_balancers::{
    ApplicationSpec, BoundTargetGroup, Ensured, HealthCheck, IngressGroup, Kind, LOOPBACK_ANNOTATION, Listener,
    LoadBalancerSpec, LoadBalancers, Owner, Provisioner, Target, TargetType,
};
use crate::without_managed_fields;

/// The cloud provider's finalizer on a Service whose load balancer it made.
pub const IN_TREE_FINALIZER: &str = "service.kubernetes.io/load-balancer-cleanup";
/// The AWS Load Balancer Controller's finalizer.
pub const CONTROLLER_FINALIZER: &str = "service.k8s.aws/resources";
/// The AWS Load Balancer Controller's `loadBalancerClass`.
pub const CONTROLLER_CLASS: &str = "service.k8s.aws/nlb";
/// EKS Auto Mode's `loadBalancerClass`.
pub const AUTO_MODE_CLASS: &str = "eks.amazonaws.com/nlb";
/// EKS Auto Mode's finalizer on a Service whose load balancer it made.
pub const AUTO_MODE_FINALIZER: &str = "service.eks.amazonaws.com/resources";
/// What the AWS Load Balancer Controller's image is called (`.../eks/aws-load-balancer-controller:v2.x`).
pub const CONTROLLER_IMAGE: &str = "aws-load-balancer-controller";

const ANNOTATION: &str = "service.beta.kubernetes.io/aws-load-balancer-";
const IN_TREE_COMPONENT: &str = "service-controller";
const CONTROLLER_COMPONENT: &str = "service";
/// Nodes that never take load balancer traffic.
const EXCLUDED_LABEL: &str = "node.kubernetes.io/exclude-from-external-load-balancers";
const COMPUTE_TYPE_LABEL: &str = "eks.amazonaws.com/compute-type";
/// How often the controller looks again when nothing it watches changed: failed attempts that are due.
const RESYNC: Duration = Duration::from_secs(5);
const FIRST_RETRY: Duration = Duration::from_secs(5);
const LAST_RETRY: Duration = Duration::from_secs(300);
/// How long a read of a not-ready endpoint's pod stands.
const POD_READ_INTERVAL: Duration = Duration::from_secs(1);

/// One of the `service.beta.kubernetes.io/aws-load-balancer-*` annotations.
fn annotation<'a>(service: &'a Service, suffix: &str) -> Option<&'a str> {
    let annotations = service.metadata.annotations.as_ref()?;
    annotations.iter().find(|(key, _)| key.strip_prefix(ANNOTATION) == Some(suffix)).map(|(_, value)| value.trim())
}

/// A comma-separated annotation as its non-empty items.
fn list(value: Option<&str>) -> Vec<String> {
    value.into_iter().flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect()
}

/// Who provisions the load balancer of `service`, if anyone here does: `None` for Services of other types or
/// classes, for those the AWS Load Balancer Controller would take while it is not installed, and for those of EKS
/// Auto Mode's class while the cluster's Auto Mode load balancing (`auto_mode`) is off.
pub fn provisioner_of(service: &Service, controller_installed: bool, auto_mode: bool) -> Option<Provisioner> {
    let spec = service.spec.as_ref()?;
    if spec.type_.as_deref() != Some("LoadBalancer") {
        return None;
    }
    let controller = match spec.load_balancer_class.as_deref() {
        Some(AUTO_MODE_CLASS) => return auto_mode.then_some(Provisioner::AutoMode),
        Some(CONTROLLER_CLASS) => true,
        Some(_) => return None,
        None => match annotation(service, "type") {
            Some("nlb-ip") => true,
            // `external` is left to the controller, which takes it only with a target type it knows.
            Some("external") => {
                if !matches!(annotation(service, "nlb-target-type"), Some("ip" | "instance")) {
                    return None;
                }
                true
            }
            _ => false,
        },
    };
    if !controller {
        Some(Provisioner::InTree)
    } else if controller_installed {
        Some(Provisioner::LoadBalancerController)
    } else {
        None
    }
}

/// Whether `service` is EKS Auto Mode's business: of its class, or holding its finalizer.
fn is_auto_mode(service: &Service) -> bool {
    service.spec.as_ref().and_then(|s| s.load_balancer_class.as_deref()) == Some(AUTO_MODE_CLASS)
        || service.finalizers().iter().any(|f| f == AUTO_MODE_FINALIZER)
}

/// What the nodes of the cluster offer as instance targets: name, instance, zone and readiness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeTarget {
    pub name: String,
    pub instance_id: String,
    pub ready: bool,
}

/// The nodes that may be instance targets: EC2 nodes not excluded from load balancers (Fargate and hybrid nodes
/// have no instance).
pub fn node_targets(nodes: &[Arc<Node>]) -> Vec<NodeTarget> {
    let mut targets: Vec<NodeTarget> = nodes
        .iter()
        .filter(|node| node.metadata.deletion_timestamp.is_none())
        .filter(|node| {
            let labels = node.labels();
            !labels.contains_key(EXCLUDED_LABEL)
                && !matches!(labels.get(COMPUTE_TYPE_LABEL).map(String::as_str), Some("fargate" | "hybrid"))
        })
        .filter_map(|node| {
            let provider = node.spec.as_ref()?.provider_id.as_deref()?;
            let instance_id = instance_of_provider_id(provider)?.to_owned();
            let ready = node
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|conditions| conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
            Some(NodeTarget { name: node.name_any(), instance_id, ready })
        })
        .collect();
    targets.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
    targets
}

/// An endpoint of a Service port as a load balancer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoint {
    address: String,
    port: u16,
    node: Option<String>,
    /// The pod's name (the endpoint's target reference).
    pod: Option<String>,
    ready: bool,
}

/// The ip targets of a Service port's endpoints, as the AWS Load Balancer Controller registers them: ready
/// endpoints, and not-ready ones whose pod is held back only by its readiness gates (`held`); every other
/// endpoint is left out, so its target drains. The load balancer's health checks pass for every target
/// registered (the pod's containers are ready).
fn ip_targets(endpoints: &[Endpoint], namespace: &str, held: &HeldPods) -> Vec<Target> {
    let is_held =
        |e: &Endpoint| e.pod.as_ref().is_some_and(|pod| held.contains_key(&(namespace.to_owned(), pod.clone())));
    let mut targets: Vec<Target> = endpoints
        .iter()
        .filter(|e| e.ready || is_held(e))
        .map(|e| Target { id: e.address.clone(), port: e.port, healthy: true })
        .collect();
    targets.sort();
    targets
}

/// The port of an ip target group: the Service's numeric target port, or 1 for a named one (whose targets each
/// carry their own port), as the AWS Load Balancer Controller sets it; so the target group (and its binding,
/// which pods' readiness gates name) stays the same whatever the endpoints do.
fn ip_group_port(port: &ServicePort) -> Option<u16> {
    match &port.target_port {
        None => u16::try_from(port.port).ok(),
        Some(IntOrString::Int(number)) => u16::try_from(*number).ok(),
        Some(IntOrString::String(_)) => Some(1),
    }
}

/// The pods of not-ready endpoints in `slices` (of `namespace`), which may be held back only by readiness gates.
fn unready_pods<'a>(slices: impl IntoIterator<Item = &'a EndpointSlice>) -> Vec<String> {
    let mut pods: Vec<String> = slices
        .into_iter()
        .flat_map(|slice| slice.endpoints.iter())
        .filter(|e| {
            let conditions = e.conditions.as_ref();
            !conditions.and_then(|c| c.ready).unwrap_or(true)
                && !conditions.and_then(|c| c.terminating).unwrap_or(false)
        })
        .filter_map(|e| e.target_ref.as_ref().filter(|r| r.kind.as_deref() == Some("Pod")).and_then(|r| r.name.clone()))
        .collect();
    pods.sort();
    pods.dedup();
    pods
}

/// The endpoints of `port` of the Service in its EndpointSlices (terminating ones left out: they drain).
fn endpoints_of(port: &ServicePort, slices: &[&EndpointSlice]) -> Vec<Endpoint> {
    let mut found = Vec::new();
    let name = port.name.clone().unwrap_or_default();
    for slice in slices {
        if slice.address_type != "IPv4" {
            continue;
        }
        let Some(number) = slice.ports.iter().flatten().find_map(|p| {
            (p.name.clone().unwrap_or_default() == name
                && p.protocol.as_deref().unwrap_or("TCP") == port.protocol.as_deref().unwrap_or("TCP"))
            .then_some(p.port)
            .flatten()
        }) else {
            continue;
        };
        let Ok(number) = u16::try_from(number) else { continue };
        for endpoint in &slice.endpoints {
            let conditions = endpoint.conditions.as_ref();
            if conditions.and_then(|c| c.terminating).unwrap_or(false) {
                continue;
            }
            let ready = conditions.and_then(|c| c.ready).unwrap_or(true);
            for address in &endpoint.addresses {
                found.push(Endpoint {
                    address: address.clone(),
                    port: number,
                    node: endpoint.node_name.clone(),
                    pod: endpoint.target_ref.as_ref().and_then(|r| r.name.clone()),
                    ready,
                });
            }
        }
    }
    found.sort_by(|a, b| (&a.address, a.port).cmp(&(&b.address, b.port)));
    found.dedup_by(|a, b| a.address == b.address && a.port == b.port);
    found
}

fn number<T: std::str::FromStr>(service: &Service, suffix: &str) -> Result<Option<T>, String> {
    annotation(service, suffix)
        .map(|value| {
            value.parse::<T>().map_err(|_| format!("failed to parse annotation {ANNOTATION}{suffix}: {value}"))
        })
        .transpose()
}

fn health_check(service: &Service) -> Result<HealthCheck, String> {
    let spec = service.spec.as_ref();
    let mut check = HealthCheck::default();
    // A Service with `externalTrafficPolicy: Local` is checked on its health check node port, as kube-proxy
    // answers there for the nodes that hold its endpoints.
    if spec.and_then(|s| s.external_traffic_policy.as_deref()) == Some("Local")
        && let Some(port) = spec.and_then(|s| s.health_check_node_port).and_then(|p| u16::try_from(p).ok())
    {
        check.protocol = Some("HTTP".into());
        check.port = Some(port);
        check.path = Some("/healthz".into());
    }
    if let Some(protocol) = annotation(service, "healthcheck-protocol") {
        let upper = protocol.to_ascii_uppercase();
        if !matches!(upper.as_str(), "TCP" | "HTTP" | "HTTPS") {
            return Err(format!("unsupported health check protocol {protocol}"));
        }
        check.protocol = Some(upper);
    }
    match annotation(service, "healthcheck-port") {
        None | Some("traffic-port") => {}
        Some(port) => {
            let parsed = port.parse::<u16>().ok().filter(|p| *p > 0);
            check.port = Some(parsed.ok_or_else(|| format!("invalid health check port {port}"))?);
        }
    }
    if let Some(path) = annotation(service, "healthcheck-path") {
        check.path = Some(path.to_owned());
    }
    check.interval_seconds = number(service, "healthcheck-interval")?;
    check.timeout_seconds = number(service, "healthcheck-timeout")?;
    check.healthy_threshold = number(service, "healthcheck-healthy-threshold")?;
    check.unhealthy_threshold = number(service, "healthcheck-unhealthy-threshold")?;
    Ok(check)
}

/// `key1=value1,key2=value2` as tags.
fn tags(service: &Service) -> Result<BTreeMap<String, String>, String> {
    let mut tags = BTreeMap::new();
    for pair in list(annotation(service, "additional-resource-tags")) {
        let (key, value) = pair.split_once('=').unwrap_or((pair.as_str(), ""));
        if key.trim().is_empty() {
            return Err(format!("failed to parse stringMap annotation, {ANNOTATION}additional-resource-tags: {pair}"));
        }
        tags.insert(key.trim().to_owned(), value.trim().to_owned());
    }
    Ok(tags)
}

/// Whether the Service's port `port` is one of the annotation's SSL ports (`*`, or names and numbers).
fn is_ssl_port(service: &Service, port: &ServicePort) -> bool {
    if annotation(service, "ssl-cert").is_none() {
        return false;
    }
    let ports = list(annotation(service, "ssl-ports"));
    ports.is_empty() || ports.iter().any(|p| p == "*" || Some(p) == port.name.as_ref() || p == &port.port.to_string())
}

/// What the Service asks of its load balancer, given who provisions it, the cluster's nodes and the Service's
/// EndpointSlices; an error says which setting is wrong, as the controller's event does.
pub fn spec_of(
    service: &Service,
    provisioner: Provisioner,
    nodes: &[NodeTarget],
    slices: &[&EndpointSlice],
    held: &HeldPods,
) -> Result<LoadBalancerSpec, String> {
    let spec = service.spec.as_ref().ok_or("the Service has no spec")?;
    let owner = Owner {
        provisioner,
        namespace: service.namespace().unwrap_or_default(),
        name: service.name_any(),
        uid: service.uid().unwrap_or_default(),
    };
    let lb_type = annotation(service, "type");
    let kind = match provisioner {
        Provisioner::InTree if lb_type == Some("nlb") => Kind::Network,
        Provisioner::InTree => Kind::Classic,
        Provisioner::LoadBalancerController | Provisioner::AutoMode => Kind::Network,
    };
    let internal_annotation = annotation(service, "internal").is_some_and(|v| v != "false");
    let internal = match (provisioner, annotation(service, "scheme")) {
        (Provisioner::InTree, _) => internal_annotation,
        (_, Some("internal")) => true,
        (_, Some("internet-facing")) => false,
        (_, Some(other)) => return Err(format!("unknown scheme: {other}")),
        // The controllers make internal load balancers unless told otherwise (the older annotation still counts).
        (_, None) => annotation(service, "internal") != Some("false"),
    };
    let target_type = match (provisioner, lb_type, annotation(service, "nlb-target-type")) {
        (Provisioner::InTree, _, _) => TargetType::Instance,
        // Auto Mode sends to the pods unless told to go through the nodes.
        (Provisioner::AutoMode, _, None | Some("ip")) => TargetType::Ip,
        (_, Some("nlb-ip"), _) | (_, _, Some("ip")) => TargetType::Ip,
        (_, _, None | Some("instance")) => TargetType::Instance,
        (_, _, Some(other)) => {
            return Err(format!("unsupported target type \"{other}\" for load balancer type \"network\""));
        }
    };
    let local = spec.external_traffic_policy.as_deref() == Some("Local");
    let certificate = annotation(service, "ssl-cert").map(str::to_owned);
    let backend = annotation(service, "backend-protocol").map(str::to_ascii_uppercase);
    let mut listeners = Vec::new();
    for port in spec.ports.iter().flatten() {
        let protocol = port.protocol.clone().unwrap_or_else(|| "TCP".into());
        let ssl = is_ssl_port(service, port);
        let (listener_protocol, target_protocol) = match kind {
            Kind::Classic => {
                if protocol != "TCP" {
                    return Err(format!("Protocol {protocol} not supported by LoadBalancer"));
                }
                match (ssl, backend.as_deref()) {
                    (true, Some("HTTP" | "HTTPS")) => ("HTTPS", backend.as_deref().unwrap_or("HTTP")),
                    (true, Some("SSL")) => ("SSL", "SSL"),
                    (true, _) => ("SSL", "TCP"),
                    (false, Some("HTTP")) => ("HTTP", "HTTP"),
                    (false, Some("HTTPS")) => ("HTTPS", "HTTPS"),
                    (false, _) => ("TCP", "TCP"),
                }
            }
            Kind::Network => match protocol.as_str() {
                "TCP" if ssl => ("TLS", "TCP"),
                "TCP" => ("TCP", "TCP"),
                "UDP" => ("UDP", "UDP"),
                other => return Err(format!("Protocol {other} not supported by LoadBalancer")),
            },
        };
        let listener_port = u16::try_from(port.port).map_err(|_| format!("invalid port {}", port.port))?;
        let (target_port, targets) = match target_type {
            TargetType::Instance => {
                let node_port = port
                    .node_port
                    .and_then(|p| u16::try_from(p).ok())
                    .ok_or_else(|| format!("port {} has no node port: instance targets need one", port.port))?;
                let endpoints = if local { endpoints_of(port, slices) } else { Vec::new() };
                let targets = nodes
                    .iter()
                    .map(|node| Target {
                        id: node.instance_id.clone(),
                        port: node_port,
                        healthy: node.ready
                            && (!local
                                || endpoints.iter().any(|e| e.ready && e.node.as_deref() == Some(node.name.as_str()))),
                    })
                    .collect();
                (Some(node_port), targets)
            }
            TargetType::Ip => {
                let endpoints = endpoints_of(port, slices);
                (ip_group_port(port), ip_targets(&endpoints, &owner.namespace, held))
            }
        };
        listeners.push(Listener {
            name: port.name.clone().unwrap_or_default(),
            port: listener_port,
            protocol: listener_protocol.to_owned(),
            target_protocol: target_protocol.to_owned(),
            target_port,
            certificate: if ssl { certificate.clone() } else { None },
            targets,
        });
    }
    if listeners.is_empty() {
        return Err("the Service has no ports".into());
    }
    let mut source_ranges = spec.load_balancer_source_ranges.clone().unwrap_or_default();
    if source_ranges.is_empty() {
        source_ranges = list(
            service
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("service.beta.kubernetes.io/load-balancer-source-ranges"))
                .map(String::as_str),
        );
    }
    let name = match (provisioner, annotation(service, "name")) {
        (Provisioner::LoadBalancerController | Provisioner::AutoMode, Some(name)) if name.len() > 32 => {
            return Err("load balancer name cannot be longer than 32 characters".into());
        }
        (Provisioner::LoadBalancerController | Provisioner::AutoMode, Some(name)) => Some(name.to_owned()),
        _ => None,
    };
    Ok(LoadBalancerSpec {
        owner,
        kind,
        internal,
        target_type,
        listeners,
        subnets: list(annotation(service, "subnets")),
        security_groups: list(annotation(service, "security-groups")),
        extra_security_groups: list(annotation(service, "extra-security-groups")),
        source_ranges,
        health_check: health_check(service)?,
        tags: tags(service)?,
        name,
    })
}

/// Whether the cluster runs the AWS Load Balancer Controller: a Deployment of its image with a replica
/// available.
pub fn controller_installed(deployments: &[Arc<Deployment>]) -> bool {
    deployments.iter().any(|deployment| {
        let available = deployment.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0) > 0;
        let image = deployment.spec.as_ref().is_some_and(|spec| {
            spec.template.spec.as_ref().is_some_and(|pod| {
                pod.containers.iter().any(|c| c.image.as_deref().is_some_and(|i| i.contains(CONTROLLER_IMAGE)))
            })
        });
        available && image
    })
}

/// What an attempt gave: the load balancer made, or when to try again and the delay after that.
type Outcome = Result<Ensured, (Instant, Duration)>;

/// What was last done for a Service.
#[derive(Debug)]
struct Applied {
    spec: LoadBalancerSpec,
    outcome: Outcome,
}

struct Controller {
    client: kube::Client,
    load_balancers: Arc<dyn LoadBalancers>,
    services: Store<Service>,
    nodes: Store<Node>,
    slices: Store<EndpointSlice>,
    deployments: Store<Deployment>,
    ingresses: Store<Ingress>,
    classes: Store<IngressClass>,
    applied: HashMap<String, Applied>,
    /// The last build error reported per Service, so a Service that stays wrong is reported once.
    refused: HashMap<String, String>,
    /// What was last done for each Ingress group, and the last build error reported.
    groups: HashMap<IngressGroup, (ApplicationSpec, Outcome)>,
    refused_groups: HashMap<IngressGroup, String>,
    namespaces: Store<Namespace>,
    webhook_configurations: Store<MutatingWebhookConfiguration>,
    /// Where the admission hooks read what the controller's webhooks do.
    gates: Option<Arc<ControllerWebhooks>>,
    /// Whether the AWS Load Balancer Controller's CRDs are known to be in the cluster.
    crds_made: bool,
    /// The target groups whose `TargetGroupBinding`s are in the cluster, by what owns them.
    bindings: HashMap<Stack, Vec<BoundTargetGroup>>,
    /// Wakes the loop: every watch notifies it.
    changed: Arc<tokio::sync::Notify>,
    /// The bindings in the cluster (watched once their CRD is there), and what was done for those made by hand.
    user_bindings: Option<(Store<bindings::TargetGroupBinding>, tokio_util::task::AbortOnDropHandle<()>)>,
    user_applied: HashMap<String, user_bindings::UserApplied>,
    /// The IngressClassParams in the cluster (watched once their CRD is there).
    class_params: Option<(Store<class_params::IngressClassParams>, tokio_util::task::AbortOnDropHandle<()>)>,
    /// Auto Mode's IngressClassParams in the cluster (watched once their CRD is made).
    auto_mode_params:
        Option<(Store<auto_mode_alb::AutoModeIngressClassParams>, tokio_util::task::AbortOnDropHandle<()>)>,
    /// When to ask again whether Auto Mode load balancing is on, for its CRD, if no pass asks first.
    next_auto_mode_look: Instant,
    /// Not-ready endpoints' pods as last read, and when (see [`Controller::read_held`]).
    pod_reads: HashMap<(String, String), (Instant, Option<bindings::HeldPod>)>,
}

/// A MutatingWebhookConfiguration as the controller needs it: the names of its webhooks.
fn lean_webhooks(configuration: &mut MutatingWebhookConfiguration) {
    configuration.metadata = kube::core::ObjectMeta {
        name: configuration.metadata.name.take(),
        resource_version: configuration.metadata.resource_version.take(),
        ..Default::default()
    };
    for webhook in configuration.webhooks.iter_mut().flatten() {
        *webhook = MutatingWebhook { name: std::mem::take(&mut webhook.name), ..Default::default() };
    }
}

/// A namespace as readiness gate injection needs it: its name and labels.
fn lean_namespace(namespace: &mut Namespace) {
    namespace.metadata.managed_fields = None;
    namespace.metadata.annotations = None;
    namespace.spec = None;
    namespace.status = None;
}

/// A node as load balancers need it: name, labels, provider id and conditions.
fn lean_node(node: &mut Node) {
    node.metadata.managed_fields = None;
    node.metadata.annotations = None;
    node.spec = node.spec.take().map(|spec| NodeSpec { provider_id: spec.provider_id, ..NodeSpec::default() });
    node.status =
        node.status.take().map(|status| NodeStatus { conditions: status.conditions, ..NodeStatus::default() });
}

/// A Deployment as the controller's detection needs it: its containers' images and available replicas.
fn lean_deployment(deployment: &mut Deployment) {
    deployment.metadata.managed_fields = None;
    deployment.metadata.annotations = None;
    deployment.spec = deployment.spec.take().map(|spec| DeploymentSpec { template: spec.template, ..spec });
    deployment.status = deployment.status.take().map(|status| DeploymentStatus {
        available_replicas: status.available_replicas,
        ..DeploymentStatus::default()
    });
}

/// Runs the controller until the future is dropped; `gates` (when given) is kept up to date for the pod admission
/// hook that injects readiness gates.
pub async fn run(client: kube::Client, load_balancers: Arc<dyn LoadBalancers>, gates: Option<Arc<ControllerWebhooks>>) {
    let changed = Arc::new(tokio::sync::Notify::new());
    let (services, _service_watch) =
        reflect(Api::<Service>::all(client.clone()), without_managed_fields, Some(Arc::clone(&changed)));
    let (nodes, _node_watch) = reflect(Api::<Node>::all(client.clone()), lean_node, Some(Arc::clone(&changed)));
    let (slices, _slice_watch) =
        reflect(Api::<EndpointSlice>::all(client.clone()), without_managed_fields, Some(Arc::clone(&changed)));
    let (deployments, _deployment_watch) =
        reflect(Api::<Deployment>::all(client.clone()), lean_deployment, Some(Arc::clone(&changed)));
    for ready in [services.wait_until_ready().await, nodes.wait_until_ready().await] {
        if ready.is_err() {
            return;
        }
    }
    let (ingresses, _ingress_watch) =
        reflect(Api::<Ingress>::all(client.clone()), without_managed_fields, Some(Arc::clone(&changed)));
    let (classes, _class_watch) =
        reflect(Api::<IngressClass>::all(client.clone()), without_managed_fields, Some(Arc::clone(&changed)));
    let (Ok(()), Ok(())) = (slices.wait_until_ready().await, deployments.wait_until_ready().await) else { return };
    let (namespaces, _namespace_watch) =
        reflect(Api::<Namespace>::all(client.clone()), lean_namespace, Some(Arc::clone(&changed)));
    let (webhook_configurations, _webhook_watch) =
        reflect(Api::<MutatingWebhookConfiguration>::all(client.clone()), lean_webhooks, Some(Arc::clone(&changed)));
    let (Ok(()), Ok(())) = (ingresses.wait_until_ready().await, classes.wait_until_ready().await) else { return };
    let (Ok(()), Ok(())) = (namespaces.wait_until_ready().await, webhook_configurations.wait_until_ready().await)
    else {
        return;
    };
    let mut controller = Controller {
        client,
        load_balancers,
        services,
        nodes,
        slices,
        deployments,
        ingresses,
        classes,
        applied: HashMap::new(),
        refused: HashMap::new(),
        groups: HashMap::new(),
        refused_groups: HashMap::new(),
        namespaces,
        webhook_configurations,
        gates,
        crds_made: false,
        bindings: HashMap::new(),
        changed: Arc::clone(&changed),
        user_bindings: None,
        user_applied: HashMap::new(),
        class_params: None,
        auto_mode_params: None,
        next_auto_mode_look: Instant::now(),
        pod_reads: HashMap::new(),
    };
    loop {
        let mut looks = Looks::default();
        controller.pass(&mut looks).await;
        controller.ingress_pass(&mut looks).await;
        if !controller.crds_made && controller.controller_installed(&mut looks) {
            controller.ensure_crds().await;
        }
        controller.ensure_auto_mode_crd(&mut looks).await;
        controller.watch_user_bindings();
        controller.user_binding_pass().await;
        controller.refresh_gates();
        tokio::select! {
            () = changed.notified() => {}
            () = tokio::time::sleep(RESYNC) => {}
        }
    }
}

/// What a pass of the controller read at most once, and only when a Service or an Ingress asked.
#[derive(Debug, Default)]
struct Looks {
    /// Whether the AWS Load Balancer Controller runs.
    installed: Option<bool>,
    /// Whether the cluster has Auto Mode load balancing on (`Some(None)`: it could not be read).
    auto_mode: Option<Option<bool>>,
}

impl Controller {
    /// Whether the cluster runs the AWS Load Balancer Controller, read once a pass.
    fn controller_installed(&self, looks: &mut Looks) -> bool {
        *looks.installed.get_or_insert_with(|| controller_installed(&self.deployments.state()))
    }

    /// Whether the cluster has EKS Auto Mode load balancing on, asked of [`LoadBalancers`] once a pass; `None`
    /// when it could not be read (what Auto Mode made then stays as it is).
    async fn auto_mode(&self, looks: &mut Looks) -> Option<bool> {
        if let Some(known) = looks.auto_mode {
            return known;
        }
        let read = match self.load_balancers.auto_mode_load_balancing().await {
            Ok(on) => Some(on),
            Err(error) => {
                tracing::debug!(%error, "could not read whether Auto Mode load balancing is on; trying again");
                None
            }
        };
        looks.auto_mode = Some(read);
        read
    }

    /// Looks at every Service once.
    async fn pass(&mut self, looks: &mut Looks) {
        // Only LoadBalancer Services and those holding a finalizer of ours matter: a cluster with none (most of
        // the time, however many nodes report) costs a scan of its Services and nothing else.
        let services: Vec<Arc<Service>> = self
            .services
            .state()
            .into_iter()
            .filter(|service| {
                service.spec.as_ref().and_then(|s| s.type_.as_deref()) == Some("LoadBalancer")
                    || service
                        .finalizers()
                        .iter()
                        .any(|f| f == IN_TREE_FINALIZER || f == CONTROLLER_FINALIZER || f == AUTO_MODE_FINALIZER)
            })
            .collect();
        if services.is_empty() {
            self.applied.clear();
            self.refused.clear();
            return;
        }
        // Whether Auto Mode serves its class is asked only when a Service is of that class or holds its finalizer;
        // `None` when it could not be read (such Services wait).
        let auto_mode = if services.iter().any(|service| is_auto_mode(service)) {
            self.auto_mode(looks).await
        } else {
            Some(false)
        };
        let installed = self.controller_installed(looks);
        if installed {
            self.ensure_crds().await;
        }
        let nodes = node_targets(&self.nodes.state());
        let slices = self.slices.state();
        let mut seen = std::collections::HashSet::new();
        for service in services {
            let uid = service.uid().unwrap_or_default();
            seen.insert(uid.clone());
            let deleting = service.metadata.deletion_timestamp.is_some();
            let Some(auto_mode) = auto_mode.or((!is_auto_mode(&service)).then_some(false)) else { continue };
            let provisioner = if deleting { None } else { provisioner_of(&service, installed, auto_mode) };
            for (holder, finalizer) in [
                (Provisioner::InTree, IN_TREE_FINALIZER),
                (Provisioner::LoadBalancerController, CONTROLLER_FINALIZER),
                (Provisioner::AutoMode, AUTO_MODE_FINALIZER),
            ] {
                if service.finalizers().iter().any(|f| f == finalizer) && provisioner != Some(holder) {
                    self.clean_up(&service, holder, finalizer, deleting).await;
                }
            }
            let Some(provisioner) = provisioner else {
                self.applied.remove(&uid);
                continue;
            };
            let namespace = service.namespace().unwrap_or_default();
            let own: Vec<&EndpointSlice> = slices
                .iter()
                .filter(|slice| slice.metadata.namespace.as_deref() == Some(namespace.as_str()))
                .filter(|slice| slice.labels().get(SERVICE_NAME) == Some(&service.name_any()))
                .map(AsRef::as_ref)
                .collect();
            let mut held = HeldPods::new();
            if provisioner == Provisioner::LoadBalancerController {
                self.read_held(&namespace, own.iter().copied(), &mut held).await;
            }
            match spec_of(&service, provisioner, &nodes, &own, &held) {
                Ok(spec) => {
                    self.refused.remove(&uid);
                    self.ensure(&service, spec).await;
                    if provisioner == Provisioner::LoadBalancerController
                        && let Some(Applied { outcome: Ok(made), .. }) = self.applied.get(&uid)
                    {
                        let made = made.target_groups.clone();
                        let stack = Stack::Service { namespace: namespace.clone(), name: service.name_any() };
                        self.bind(stack, made.clone()).await;
                        self.open_gates(&held, &names_of(&made)).await;
                    }
                }
                Err(message) => {
                    if self.refused.get(&uid) != Some(&message) {
                        let (reason, text) = failure(provisioner, Stage::Build, &message);
                        record_event(&self.client, component(provisioner), service.as_ref(), true, reason, &text).await;
                        self.refused.insert(uid, message);
                    }
                }
            }
        }
        self.applied.retain(|uid, _| seen.contains(uid));
        self.refused.retain(|uid, _| seen.contains(uid));
    }

    /// Makes or updates the Service's load balancer when what it asks for changed, or a failed try is due.
    async fn ensure(&mut self, service: &Service, spec: LoadBalancerSpec) {
        let uid = spec.owner.uid.clone();
        let provisioner = spec.owner.provisioner;
        let previous = self.applied.get(&uid);
        let hostname = current_hostname(service);
        let (first, only_targets) = match previous {
            Some(Applied { spec: last, outcome: Ok(made) })
                if *last == spec
                    && hostname.as_deref() == Some(made.hostname.as_str())
                    && loopback_of(service) == Some(loopback_text(made)) =>
            {
                return;
            }
            Some(Applied { spec: last, outcome: Err((due, _)) }) if *last == spec && Instant::now() < *due => return,
            Some(Applied { spec: last, outcome: Ok(_) }) => (false, same_but_targets(last, &spec)),
            _ => (true, false),
        };
        let finalizer = match provisioner {
            Provisioner::InTree => IN_TREE_FINALIZER,
            Provisioner::LoadBalancerController => CONTROLLER_FINALIZER,
            Provisioner::AutoMode => AUTO_MODE_FINALIZER,
        };
        if !service.finalizers().iter().any(|f| f == finalizer) {
            let mut finalizers = service.finalizers().to_vec();
            finalizers.push(finalizer.to_owned());
            if let Err(error) = self.set_finalizers(service, finalizers).await {
                tracing::debug!(%error, "could not add the load balancer finalizer; trying again");
                return;
            }
        }
        let in_tree = provisioner == Provisioner::InTree;
        if in_tree && !only_targets && (first || hostname.is_none()) {
            record_event(
                &self.client,
                IN_TREE_COMPONENT,
                service,
                false,
                "EnsuringLoadBalancer",
                "Ensuring load balancer",
            )
            .await;
        }
        let outcome = match self.load_balancers.ensure(&spec).await {
            Ok(made) => {
                let loopback = loopback_text(&made);
                if loopback_of(service) != Some(loopback.clone())
                    && let Err(error) = self.set_loopback(service, &loopback).await
                {
                    tracing::debug!(%error, "could not write a load balancer's loopback listeners; trying again");
                }
                if hostname.as_deref() != Some(made.hostname.as_str())
                    && let Err(error) = self.set_status(service, provisioner, Some(&made.hostname)).await
                {
                    tracing::debug!(%error, "could not write a load balancer's status; trying again");
                    let retry = retry_after(previous_delay(self.applied.get(&uid)));
                    self.applied.insert(uid, Applied { spec, outcome: Err(retry) });
                    return;
                }
                let (reason, message) = match (in_tree, only_targets) {
                    (true, true) => ("UpdatedLoadBalancer", "Updated load balancer with new hosts"),
                    (true, false) => ("EnsuredLoadBalancer", "Ensured load balancer"),
                    (false, _) => ("SuccessfullyReconciled", "Successfully reconciled"),
                };
                record_event(&self.client, component(provisioner), service, false, reason, message).await;
                Ok(made)
            }
            Err(message) => {
                let (reason, text) = failure(provisioner, Stage::Ensure, &message);
                record_event(&self.client, component(provisioner), service, true, reason, &text).await;
                Err(retry_after(previous_delay(self.applied.get(&uid))))
            }
        };
        self.applied.insert(uid, Applied { spec, outcome });
    }

    /// Deletes what `holder` made for the Service and lets its finalizer go; the status is emptied unless the
    /// Service is going anyway.
    async fn clean_up(&mut self, service: &Service, holder: Provisioner, finalizer: &str, deleting: bool) {
        let owner = Owner {
            provisioner: holder,
            namespace: service.namespace().unwrap_or_default(),
            name: service.name_any(),
            uid: service.uid().unwrap_or_default(),
        };
        let in_tree = holder == Provisioner::InTree;
        if in_tree {
            record_event(
                &self.client,
                IN_TREE_COMPONENT,
                service,
                false,
                "DeletingLoadBalancer",
                "Deleting load balancer",
            )
            .await;
        }
        if let Err(message) = self.load_balancers.delete(&owner).await {
            let (reason, text) = failure(holder, Stage::Delete, &message);
            record_event(&self.client, component(holder), service, true, reason, &text).await;
            return;
        }
        if holder == Provisioner::LoadBalancerController {
            let stack = Stack::Service { namespace: owner.namespace.clone(), name: owner.name.clone() };
            if let Err(error) = self.unbind(&stack).await {
                tracing::debug!(%error, "could not delete a Service's TargetGroupBindings; trying again");
                return;
            }
        }
        if !deleting && let Err(error) = self.set_status(service, holder, None).await {
            tracing::debug!(%error, "could not empty a load balancer's status; trying again");
            return;
        }
        let finalizers: Vec<String> = service.finalizers().iter().filter(|f| *f != finalizer).cloned().collect();
        if let Err(error) = self.set_finalizers(service, finalizers).await {
            tracing::debug!(%error, "could not remove the load balancer finalizer; trying again");
            return;
        }
        if in_tree {
            record_event(
                &self.client,
                IN_TREE_COMPONENT,
                service,
                false,
                "DeletedLoadBalancer",
                "Deleted load balancer",
            )
            .await;
        }
        self.applied.remove(&owner.uid);
    }

    /// Replaces an object's finalizers, guarded by the version read (a conflict is tried again next pass).
    async fn set_finalizers<K>(&self, object: &K, finalizers: Vec<String>) -> Result<(), kube::Error>
    where
        K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
    {
        let api: Api<K> = Api::namespaced(self.client.clone(), &object.namespace().unwrap_or_default());
        let patch = json!({
            "metadata": { "finalizers": finalizers, "resourceVersion": object.resource_version() }
        });
        api.patch(&object.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await.map(drop)
    }

    /// Writes `ingress` (the list of `status.loadBalancer.ingress`) into an object's status.
    async fn set_ingress<K>(&self, object: &K, ingress: Value) -> Result<(), kube::Error>
    where
        K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
    {
        let api: Api<K> = Api::namespaced(self.client.clone(), &object.namespace().unwrap_or_default());
        let patch = json!({ "status": { "loadBalancer": { "ingress": ingress } } });
        api.patch_status(&object.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await.map(drop)
    }

    /// Shows the load balancer's loopback listeners in the Service's annotation.
    async fn set_loopback(&self, service: &Service, loopback: &str) -> Result<(), kube::Error> {
        let api: Api<Service> = Api::namespaced(self.client.clone(), &service.namespace().unwrap_or_default());
        let patch = json!({ "metadata": { "annotations": { LOOPBACK_ANNOTATION: loopback } } });
        api.patch(&service.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await.map(drop)
    }

    /// Writes the load balancer's DNS name into the Service's status (or empties it).
    async fn set_status(
        &self,
        service: &Service,
        provisioner: Provisioner,
        hostname: Option<&str>,
    ) -> Result<(), kube::Error> {
        let ingress: Value = match hostname {
            None => json!([]),
            Some(name) if provisioner != Provisioner::InTree => {
                let ports: Vec<Value> = service
                    .spec
                    .as_ref()
                    .and_then(|s| s.ports.as_ref())
                    .into_iter()
                    .flatten()
                    .map(|p| json!({ "port": p.port, "protocol": p.protocol.as_deref().unwrap_or("TCP") }))
                    .collect();
                json!([{ "hostname": name, "ports": ports }])
            }
            Some(name) => json!([{ "hostname": name }]),
        };
        self.set_ingress(service, ingress).await
    }
}

impl Controller {
    /// Puts the AWS Load Balancer Controller's CRDs into the cluster (as its helm chart does), once.
    async fn ensure_crds(&mut self) {
        if self.crds_made {
            return;
        }
        match crate::crds::ensure(&self.client, bindings::crds()).await {
            Ok(()) => self.crds_made = true,
            Err(error) => {
                tracing::debug!(%error, "could not create the AWS Load Balancer Controller's CRDs; trying again")
            }
        }
    }

    /// Reads the pods of `slices`' not-ready endpoints (in `namespace`) and keeps in `held` those held back only by
    /// their readiness gates.
    /// A pod is read at most once every [`POD_READ_INTERVAL`], however often the loop wakes (every node
    /// heartbeat wakes it).
    async fn read_held<'a>(
        &mut self,
        namespace: &str,
        slices: impl IntoIterator<Item = &'a EndpointSlice>,
        held: &mut HeldPods,
    ) {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let now = Instant::now();
        self.pod_reads.retain(|_, (at, _)| now.duration_since(*at) < POD_READ_INTERVAL);
        for pod in unready_pods(slices) {
            let key = (namespace.to_owned(), pod);
            if held.contains_key(&key) {
                continue;
            }
            let found = match self.pod_reads.get(&key) {
                Some((_, found)) => found.clone(),
                None => {
                    let Ok(read) = api.get_opt(&key.1).await else { continue };
                    let found = read.as_ref().and_then(bindings::held);
                    self.pod_reads.insert(key.clone(), (now, found.clone()));
                    found
                }
            };
            if let Some(found) = found {
                held.insert(key, found);
            }
        }
    }

    /// Brings the `TargetGroupBinding`s of `stack` in line with its target groups (those gone are deleted).
    async fn bind(&mut self, stack: Stack, groups: Vec<BoundTargetGroup>) {
        if self.bindings.get(&stack) == Some(&groups) || !self.crds_made {
            return;
        }
        let params = PatchParams::apply("aws-load-balancer-controller").force();
        for group in &groups {
            let api: Api<bindings::TargetGroupBinding> = Api::namespaced(self.client.clone(), &group.namespace);
            let object = bindings::binding(group, &stack);
            if let Err(error) = api.patch(&group.name, &params, &Patch::Apply(&object)).await {
                tracing::debug!(%error, "could not write a TargetGroupBinding; trying again");
                return;
            }
        }
        if let Err(error) = self.delete_bindings(&stack, &groups).await {
            tracing::debug!(%error, "could not delete a stale TargetGroupBinding; trying again");
            return;
        }
        self.bindings.insert(stack, groups);
    }

    /// Deletes every `TargetGroupBinding` of `stack`.
    async fn unbind(&mut self, stack: &Stack) -> Result<(), kube::Error> {
        if self.crds_made {
            self.delete_bindings(stack, &[]).await?;
        }
        self.bindings.remove(stack);
        Ok(())
    }

    /// Deletes the bindings labelled for `stack` that are not of `keep`.
    async fn delete_bindings(&self, stack: &Stack, keep: &[BoundTargetGroup]) -> Result<(), kube::Error> {
        let api: Api<bindings::TargetGroupBinding> = Api::all(self.client.clone());
        let found = api.list(&kube::api::ListParams::default().labels(&stack.selector())).await?;
        for binding in found.items {
            let namespace = binding.metadata.namespace.clone().unwrap_or_default();
            let name = binding.metadata.name.clone().unwrap_or_default();
            if keep.iter().any(|g| g.name == name && g.namespace == namespace) {
                continue;
            }
            let api: Api<bindings::TargetGroupBinding> = Api::namespaced(self.client.clone(), &namespace);
            match api.delete(&name, &kube::api::DeleteParams::default()).await {
                Ok(_) => {}
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Sets the target health condition of each held pod whose target in one of `bindings` (namespace, name) is
    /// healthy (every registered target is), which lets kubelet call the pod Ready.
    async fn open_gates(&self, held: &HeldPods, bindings: &[(String, String)]) {
        for ((namespace, pod), found) in held {
            for gate in &found.pending {
                let Some(binding) = gate.strip_prefix(GATE_PREFIX) else { continue };
                if !bindings.iter().any(|(ns, name)| name == binding && ns == namespace) {
                    continue;
                }
                let now = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(k8s_openapi::jiff::Timestamp::now());
                let patch = json!({ "status": { "conditions": [{
                    "type": gate, "status": "True", "lastProbeTime": null, "lastTransitionTime": now,
                }] } });
                let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
                if let Err(error) = api.patch_status(pod, &PatchParams::default(), &Patch::Strategic(&patch)).await {
                    tracing::debug!(%error, "could not set a pod's target health condition; trying again");
                }
            }
        }
    }

    /// Tells the pod admission hook which readiness gates new pods get: the namespaces labelled for injection and
    /// the ip bindings with their Services' selectors.
    fn refresh_gates(&self) {
        let Some(gates) = &self.gates else { return };
        let registered = self.webhook_configurations.state().iter().any(|configuration| {
            configuration.webhooks.iter().flatten().any(|webhook| webhook.name == bindings::SERVICE_WEBHOOK)
        });
        gates.set_mutates_services(registered && controller_installed(&self.deployments.state()));
        let enabled = self
            .namespaces
            .state()
            .iter()
            .filter(|ns| ns.labels().get(INJECT_LABEL).map(String::as_str) == Some("enabled"))
            .map(|ns| ns.name_any())
            .collect();
        let mut found = Vec::new();
        for group in self.bindings.values().flatten().filter(|g| g.target_type == TargetType::Ip) {
            let service =
                self.services.get(&kube::runtime::reflector::ObjectRef::new(&group.service).within(&group.namespace));
            let selector =
                service.and_then(|s| s.spec.as_ref().and_then(|spec| spec.selector.clone())).unwrap_or_default();
            found.push(GateBinding { namespace: group.namespace.clone(), name: group.name.clone(), selector });
        }
        found.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        gates.replace(enabled, found);
    }
}

/// The (namespace, name) of the bindings of `groups`.
fn names_of(groups: &[BoundTargetGroup]) -> Vec<(String, String)> {
    groups.iter().map(|g| (g.namespace.clone(), g.name.clone())).collect()
}

/// What was being done when a Service's load balancer failed.
#[derive(Debug, Clone, Copy)]
enum Stage {
    /// Reading what the Service asks for.
    Build,
    Ensure,
    Delete,
}

/// The Warning event's reason and message for a failure, in each controller's words.
fn failure(provisioner: Provisioner, stage: Stage, message: &str) -> (&'static str, String) {
    match (provisioner, stage) {
        (Provisioner::InTree, Stage::Build | Stage::Ensure) => (
            "SyncLoadBalancerFailed",
            format!("Error syncing load balancer: failed to ensure load balancer: {message}"),
        ),
        (Provisioner::InTree, Stage::Delete) => (
            "SyncLoadBalancerFailed",
            format!("Error syncing load balancer: failed to delete load balancer: {message}"),
        ),
        (Provisioner::LoadBalancerController | Provisioner::AutoMode, Stage::Build) => {
            ("FailedBuildModel", format!("Failed build model due to {message}"))
        }
        (Provisioner::LoadBalancerController | Provisioner::AutoMode, Stage::Ensure) => {
            ("FailedDeployModel", format!("Failed deploy model due to {message}"))
        }
        (Provisioner::LoadBalancerController | Provisioner::AutoMode, Stage::Delete) => {
            ("FailedCleanupStatus", format!("Failed cleanup due to {message}"))
        }
    }
}

fn component(provisioner: Provisioner) -> &'static str {
    match provisioner {
        Provisioner::InTree => IN_TREE_COMPONENT,
        Provisioner::LoadBalancerController | Provisioner::AutoMode => CONTROLLER_COMPONENT,
    }
}

/// The loopback listeners as the annotation shows them.
fn loopback_text(made: &Ensured) -> String {
    made.loopback.iter().map(|(port, address)| format!("{port}={address}")).collect::<Vec<_>>().join(",")
}

fn loopback_of(service: &Service) -> Option<String> {
    service.metadata.annotations.as_ref()?.get(LOOPBACK_ANNOTATION).cloned()
}

/// The DNS name in a Service's status.
fn current_hostname(service: &Service) -> Option<String> {
    let ingress = service.status.as_ref()?.load_balancer.as_ref()?.ingress.as_ref()?;
    ingress.first()?.hostname.clone()
}

/// Whether two specs differ only in their listeners' targets (nodes or endpoints came and went).
fn same_but_targets(a: &LoadBalancerSpec, b: &LoadBalancerSpec) -> bool {
    let strip = |spec: &LoadBalancerSpec| {
        let mut spec = spec.clone();
        for listener in &mut spec.listeners {
            listener.targets.clear();
            if spec.target_type == TargetType::Ip {
                listener.target_port = None;
            }
        }
        spec
    };
    strip(a) == strip(b)
}

fn previous_delay(applied: Option<&Applied>) -> Option<Duration> {
    match applied {
        Some(Applied { outcome: Err((_, delay)), .. }) => Some(*delay),
        _ => None,
    }
}

/// When to try again after a failure, doubling the delay from [`FIRST_RETRY`] up to [`LAST_RETRY`].
fn retry_after(previous: Option<Duration>) -> (Instant, Duration) {
    let delay = previous.map_or(FIRST_RETRY, |d| (d * 2).min(LAST_RETRY));
    (Instant::now() + delay, delay)
}

pub mod auto_mode_alb;
pub mod bindings;
pub mod class_params;
pub mod ingress;
mod user_bindings;

#[cfg(test)]
mod tests;

//! The AWS Load Balancer Controller's Ingresses: every Ingress of an IngressClass whose controller is
//! `ingress.k8s.aws/alb` (or annotated `kubernetes.io/ingress.class: alb`) gets an Application Load Balancer, once
//! the controller runs in the cluster. Ingresses with the same `alb.ingress.kubernetes.io/group.name` share one
//! (ordered by `group.order`); the others each have their own. Listeners come from `listen-ports` (HTTP 80, or
//! HTTPS 443 with a `certificate-arn`), rules from the Ingresses' hosts and paths (a `Prefix` path `/api` matches
//! `/api` and `/api/*`), a target group per Service port (`target-type` instance: the node port; ip: the pods), and
//! requests no rule takes get the default backend or a fixed 404; `ip-address-type` and
//! `load-balancer-attributes` are the load balancer's own. Each member's status gets the DNS name; the finalizer
//! is `ingress.k8s.aws/resources` (or `group.ingress.k8s.aws/<group>` in an explicit group).
//!
//! EKS Auto Mode's Ingresses (class controller `eks.amazonaws.com/alb`) go the same way while Auto Mode load
//! balancing is on, with the differences [`super::auto_mode_alb`] lists; their groups are apart from the
//! controller's.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressBackend, IngressClass};
use kube::ResourceExt;
use serde_json::Value;

use std::sync::Arc;
use std::time::Instant;

use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use super::auto_mode_alb;
use super::bindings::{HeldPods, Stack};
use super::class_params::{ParamsInCluster, SubnetTags, params_of, with_params};
use super::{
    Controller, Looks, NodeTarget, endpoints_of, ip_group_port, ip_targets, list, loopback_text, node_targets,
    retry_after,
};
use crate::batch_support::record_event;
use crate::load_balancers::{
    ApplicationListener, ApplicationRule, ApplicationSpec, Backend, Ensured, IngressGroup, LOOPBACK_ANNOTATION,
    Provisioner, Target, TargetType,
};

/// The component the controller's events name.
const COMPONENT: &str = "ingress";

/// The IngressClass controller of the AWS Load Balancer Controller.
pub const ALB_CONTROLLER: &str = "ingress.k8s.aws/alb";
/// The finalizer of an Ingress alone in its group.
pub const IMPLICIT_FINALIZER: &str = "ingress.k8s.aws/resources";
/// The prefix of an explicit group's finalizer.
pub const GROUP_FINALIZER_PREFIX: &str = "group.ingress.k8s.aws/";

const ANNOTATION: &str = "alb.ingress.kubernetes.io/";

fn annotation<'a>(ingress: &'a Ingress, suffix: &str) -> Option<&'a str> {
    ingress.metadata.annotations.as_ref()?.get(&format!("{ANNOTATION}{suffix}")).map(|v| v.trim())
}

/// Who serves `ingress`: the AWS Load Balancer Controller when its class is one of the controller's or (without a
/// class) the older annotation says `alb`; EKS Auto Mode when its class is Auto Mode's; else nobody here.
pub fn controller_of(ingress: &Ingress, classes: &[&IngressClass]) -> Option<Provisioner> {
    match ingress.spec.as_ref().and_then(|s| s.ingress_class_name.as_deref()) {
        Some(name) => {
            let class = classes.iter().find(|class| class.name_any() == name)?;
            match class.spec.as_ref().and_then(|s| s.controller.as_deref())? {
                ALB_CONTROLLER => Some(Provisioner::LoadBalancerController),
                auto_mode_alb::CONTROLLER => Some(Provisioner::AutoMode),
                _ => None,
            }
        }
        None => {
            let annotations = ingress.metadata.annotations.as_ref();
            let alb = annotations.and_then(|a| a.get("kubernetes.io/ingress.class")).map(String::as_str) == Some("alb");
            alb.then_some(Provisioner::LoadBalancerController)
        }
    }
}

/// The group an Ingress served by `provisioner` belongs to (as that provisioner reads it: Auto Mode's Ingresses
/// no longer hold the group annotation, [`auto_mode_alb::as_read`]).
pub fn group_of(ingress: &Ingress, provisioner: Provisioner) -> IngressGroup {
    match annotation(ingress, "group.name").filter(|name| !name.is_empty()) {
        Some(name) => IngressGroup { provisioner, id: name.to_owned(), explicit: true },
        None => IngressGroup {
            provisioner,
            id: format!("{}/{}", ingress.namespace().unwrap_or_default(), ingress.name_any()),
            explicit: false,
        },
    }
}

/// The finalizer a group's members carry.
pub fn finalizer_of(group: &IngressGroup) -> String {
    let (implicit, prefix) = match group.provisioner {
        Provisioner::AutoMode => (auto_mode_alb::IMPLICIT_FINALIZER, auto_mode_alb::GROUP_FINALIZER_PREFIX),
        Provisioner::LoadBalancerController | Provisioner::InTree => (IMPLICIT_FINALIZER, GROUP_FINALIZER_PREFIX),
    };
    if group.explicit { format!("{prefix}{}", group.id) } else { implicit.to_owned() }
}

/// The group whose finalizer `ingress` holds, if it holds one of either provisioner, and the finalizer.
pub fn finalized_group(ingress: &Ingress) -> Option<(IngressGroup, String)> {
    let alone = format!("{}/{}", ingress.namespace().unwrap_or_default(), ingress.name_any());
    ingress.finalizers().iter().find_map(|finalizer| {
        let (provisioner, group) = if finalizer == IMPLICIT_FINALIZER {
            (Provisioner::LoadBalancerController, None)
        } else if finalizer == auto_mode_alb::IMPLICIT_FINALIZER {
            (Provisioner::AutoMode, None)
        } else if let Some(name) = finalizer.strip_prefix(GROUP_FINALIZER_PREFIX) {
            (Provisioner::LoadBalancerController, Some(name))
        } else if let Some(name) = finalizer.strip_prefix(auto_mode_alb::GROUP_FINALIZER_PREFIX) {
            (Provisioner::AutoMode, Some(name))
        } else {
            return None;
        };
        let group = match group {
            Some(name) => IngressGroup { provisioner, id: name.to_owned(), explicit: true },
            None => IngressGroup { provisioner, id: alone.clone(), explicit: false },
        };
        Some((group, finalizer.clone()))
    })
}

/// A group's members in the controller's order: `group.order`, then namespace and name.
pub fn ordered(mut members: Vec<&Ingress>) -> Result<Vec<&Ingress>, String> {
    let mut keyed = Vec::new();
    for ingress in members.drain(..) {
        let order = match annotation(ingress, "group.order") {
            None => 0,
            Some(text) => text.parse::<i64>().map_err(|_| format!("failed to load Ingress group order: {text}"))?,
        };
        keyed.push(((order, ingress.namespace().unwrap_or_default(), ingress.name_any()), ingress));
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(keyed.into_iter().map(|(_, ingress)| ingress).collect())
}

/// The path patterns of one Ingress path, as the controller turns its path type into ELBv2's.
pub fn path_patterns(path: &str, path_type: &str) -> Result<Vec<String>, String> {
    match path_type {
        "ImplementationSpecific" => Ok(vec![path.to_owned()]),
        "Exact" | "Prefix" if path.contains(['*', '?']) => {
            Err(format!("{} path shouldn't contain wildcards: {path}", path_type.to_ascii_lowercase()))
        }
        "Exact" => Ok(vec![path.to_owned()]),
        "Prefix" if path == "/" => Ok(vec!["/*".to_owned()]),
        "Prefix" => {
            let trimmed = path.trim_end_matches('/');
            Ok(vec![trimmed.to_owned(), format!("{trimmed}/*")])
        }
        other => Err(format!("unsupported pathType: {other}")),
    }
}

/// `listen-ports` (`[{"HTTP": 80}, {"HTTPS": 443}]`), or HTTP 80 (HTTPS 443 with certificates).
fn listen_ports(ingress: &Ingress, has_certificates: bool) -> Result<Vec<(String, u16)>, String> {
    let Some(text) = annotation(ingress, "listen-ports") else {
        return Ok(vec![if has_certificates { ("HTTPS".into(), 443) } else { ("HTTP".into(), 80) }]);
    };
    let bad = || format!("failed to parse json annotation, {ANNOTATION}listen-ports: {text}");
    let entries: Vec<BTreeMap<String, Value>> = serde_json::from_str(text).map_err(|_| bad())?;
    let mut ports = Vec::new();
    for entry in entries {
        for (protocol, port) in entry {
            if protocol != "HTTP" && protocol != "HTTPS" {
                return Err(format!("listen port protocol must be within [HTTP, HTTPS]: {protocol}"));
            }
            let port = port.as_u64().and_then(|p| u16::try_from(p).ok()).filter(|p| *p > 0).ok_or_else(bad)?;
            ports.push((protocol, port));
        }
    }
    if ports.is_empty() {
        return Err(bad());
    }
    Ok(ports)
}

/// One value every member that sets the annotation agrees on.
fn agreed<'a>(members: &[&'a Ingress], suffix: &str) -> Result<Option<&'a str>, String> {
    let mut values: Vec<&str> = members.iter().filter_map(|ingress| annotation(ingress, suffix)).collect();
    values.sort_unstable();
    values.dedup();
    match values.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => Err(format!("conflicting {suffix}: {many:?}")),
    }
}

/// What the group `members` (ordered) ask of their Application Load Balancer, given the cluster's Services,
/// nodes and EndpointSlices.
pub fn application_spec(
    group: &IngressGroup,
    members: &[&Ingress],
    view: &View<'_>,
) -> Result<ApplicationSpec, String> {
    let internal = match agreed(members, "scheme")? {
        None | Some("internal") => true,
        Some("internet-facing") => false,
        Some(other) => return Err(format!("unknown scheme: {other}")),
    };
    let mut listeners: Vec<ApplicationListener> = Vec::new();
    let mut backends: Vec<Backend> = Vec::new();
    for ingress in members {
        let namespace = ingress.namespace().unwrap_or_default();
        let certificates = list(annotation(ingress, "certificate-arn"));
        let target_type = match annotation(ingress, "target-type") {
            // Auto Mode sends to the pods unless told to go through the nodes.
            None if group.provisioner == Provisioner::AutoMode => TargetType::Ip,
            None | Some("instance") => TargetType::Instance,
            Some("ip") => TargetType::Ip,
            Some(other) => return Err(format!("unknown target type: {other}")),
        };
        let mut backend_of = |backend: &IngressBackend| -> Result<usize, String> {
            let wanted = backend.service.as_ref().ok_or("only Service backends are supported")?;
            let port = wanted.port.as_ref().ok_or("a backend needs a Service port")?;
            let port_text = match (&port.name, port.number) {
                (Some(name), _) if !name.is_empty() => name.clone(),
                (_, Some(number)) => number.to_string(),
                _ => return Err("a backend needs a Service port".into()),
            };
            let made = backend_targets(&namespace, &wanted.name, &port_text, target_type, view)?;
            Ok(match backends.iter().position(|b| *b == made) {
                Some(index) => index,
                None => {
                    backends.push(made);
                    backends.len() - 1
                }
            })
        };
        let spec = ingress.spec.as_ref();
        let mut rules = Vec::new();
        for rule in spec.and_then(|s| s.rules.as_ref()).into_iter().flatten() {
            let hosts: Vec<String> = rule.host.iter().cloned().collect();
            for path in rule.http.iter().flat_map(|http| http.paths.iter()) {
                let patterns = path_patterns(path.path.as_deref().unwrap_or("/"), &path.path_type)?;
                rules.push(ApplicationRule {
                    hosts: hosts.clone(),
                    paths: patterns,
                    backend: backend_of(&path.backend)?,
                });
            }
        }
        let default_backend = spec.and_then(|s| s.default_backend.as_ref()).map(&mut backend_of).transpose()?;
        for (protocol, port) in listen_ports(ingress, !certificates.is_empty())? {
            let index = match listeners.iter().position(|l| l.port == port) {
                Some(index) => index,
                None => {
                    listeners.push(ApplicationListener {
                        port,
                        protocol: protocol.clone(),
                        certificates: Vec::new(),
                        rules: Vec::new(),
                        default_backend: None,
                    });
                    listeners.len() - 1
                }
            };
            let listener = &mut listeners[index];
            if listener.protocol != protocol {
                return Err(format!("conflicting protocol for listen port {port}"));
            }
            if protocol == "HTTPS" {
                if certificates.is_empty() && listener.certificates.is_empty() {
                    return Err(format!("no certificate found for the HTTPS listener on port {port}"));
                }
                for certificate in &certificates {
                    if !listener.certificates.contains(certificate) {
                        listener.certificates.push(certificate.clone());
                    }
                }
            }
            listener.rules.extend(rules.iter().cloned());
            if listener.default_backend.is_none() {
                listener.default_backend = default_backend;
            }
        }
    }
    if listeners.iter().map(|l| l.rules.len()).max().unwrap_or(0) > 100 {
        return Err("a listener may have at most 100 rules".into());
    }
    let first = |suffix: &str| members.iter().find_map(|ingress| annotation(ingress, suffix)).map(str::to_owned);
    let mut tags = BTreeMap::new();
    for ingress in members {
        tags.extend(string_map(annotation(ingress, "tags"), "tags")?);
    }
    let ip_address_type = match agreed(members, "ip-address-type")? {
        None => None,
        Some(kind @ ("ipv4" | "dualstack" | "dualstack-without-public-ipv4")) => Some(kind.to_owned()),
        Some(other) => return Err(format!("unknown IPAddressType: {other}")),
    };
    let attributes = string_map(agreed(members, "load-balancer-attributes")?, "load-balancer-attributes")?;
    let name = agreed(members, "load-balancer-name")?.map(str::to_owned);
    if name.as_ref().is_some_and(|n| n.len() > 32) {
        return Err("load balancer name cannot be longer than 32 characters".into());
    }
    Ok(ApplicationSpec {
        group: group.clone(),
        internal,
        listeners,
        backends,
        subnets: list(first("subnets").as_deref()),
        subnet_tags: members
            .iter()
            .find_map(|ingress| view.subnet_tags.get(&ingress.uid().unwrap_or_default()))
            .cloned()
            .unwrap_or_default(),
        security_groups: list(first("security-groups").as_deref()),
        source_ranges: list(first("inbound-cidrs").as_deref()),
        health_check_path: first("healthcheck-path").unwrap_or_else(|| "/".into()),
        success_codes: first("success-codes").unwrap_or_else(|| "200".into()),
        tags,
        name,
        ip_address_type,
        attributes,
    })
}

/// A `key1=value1,key2=value2` annotation (`suffix`) as a map.
fn string_map(value: Option<&str>, suffix: &str) -> Result<BTreeMap<String, String>, String> {
    let mut found = BTreeMap::new();
    for pair in list(value) {
        let (key, value) = pair.split_once('=').unwrap_or((pair.as_str(), ""));
        if key.trim().is_empty() {
            return Err(format!("failed to parse stringMap annotation, {ANNOTATION}{suffix}: {pair}"));
        }
        found.insert(key.trim().to_owned(), value.trim().to_owned());
    }
    Ok(found)
}

/// What the cluster holds that an Ingress group's load balancer depends on.
#[derive(Debug)]
pub struct View<'a> {
    /// The Services by namespace and name.
    pub services: &'a HashMap<(String, String), &'a Service>,
    pub nodes: &'a [NodeTarget],
    pub slices: &'a [&'a EndpointSlice],
    /// Pods held back only by their readiness gates.
    pub held: &'a HeldPods,
    /// The subnets each Ingress's class parameters choose by tags, by the Ingress's uid.
    pub subnet_tags: &'a HashMap<String, SubnetTags>,
}

/// The target group of a Service port: its node port on every node (instance) or its endpoints (ip).
fn backend_targets(
    namespace: &str,
    service: &str,
    port: &str,
    target_type: TargetType,
    view: &View<'_>,
) -> Result<Backend, String> {
    let View { services, nodes, slices, held, .. } = view;
    let found = services
        .get(&(namespace.to_owned(), service.to_owned()))
        .ok_or_else(|| format!("Service \"{service}\" not found"))?;
    let spec = found.spec.as_ref().ok_or_else(|| format!("Service \"{service}\" not found"))?;
    let service_port = spec
        .ports
        .iter()
        .flatten()
        .find(|p| p.name.as_deref() == Some(port) || p.port.to_string() == port)
        .ok_or_else(|| format!("unable to find port {port} on service {namespace}/{service}"))?;
    let (target_port, mut targets) = match target_type {
        TargetType::Instance => {
            if !matches!(spec.type_.as_deref(), Some("NodePort" | "LoadBalancer")) {
                return Err(format!(
                    "{namespace}/{service}: service type must be either 'NodePort' or 'LoadBalancer' for instance targets"
                ));
            }
            let node_port = service_port.node_port.and_then(|p| u16::try_from(p).ok());
            let node_port = node_port.ok_or_else(|| format!("{namespace}/{service} has no node port"))?;
            let targets =
                nodes.iter().map(|n| Target { id: n.instance_id.clone(), port: node_port, healthy: n.ready }).collect();
            (Some(node_port), targets)
        }
        TargetType::Ip => {
            let own: Vec<&EndpointSlice> = slices
                .iter()
                .filter(|s| s.metadata.namespace.as_deref() == Some(namespace))
                .filter(|s| s.labels().get(crate::endpoints::SERVICE_NAME).map(String::as_str) == Some(service))
                .copied()
                .collect();
            let endpoints = endpoints_of(service_port, &own);
            (ip_group_port(service_port), ip_targets(&endpoints, namespace, held))
        }
    };
    targets.sort();
    Ok(Backend {
        namespace: namespace.to_owned(),
        service: service.to_owned(),
        port: port.to_owned(),
        port_name: service_port.name.clone().unwrap_or_default(),
        target_type,
        target_port,
        targets,
    })
}

/// What owns an Ingress group's `TargetGroupBinding`s.
fn stack_of(group: &IngressGroup) -> Stack {
    match (group.explicit, group.id.split_once('/')) {
        (false, Some((namespace, name))) => Stack::Ingress { namespace: namespace.to_owned(), name: name.to_owned() },
        _ => Stack::Group(group.id.clone()),
    }
}

/// The Services (namespace, name) that the members send to with ip targets.
fn ip_backends(members: &[&Ingress]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for ingress in members {
        if annotation(ingress, "target-type") != Some("ip") {
            continue;
        }
        let namespace = ingress.namespace().unwrap_or_default();
        let spec = ingress.spec.as_ref();
        let paths = spec
            .and_then(|s| s.rules.as_ref())
            .into_iter()
            .flatten()
            .flat_map(|r| r.http.iter())
            .flat_map(|h| h.paths.iter());
        let backends = paths.map(|p| &p.backend).chain(spec.and_then(|s| s.default_backend.as_ref()));
        for backend in backends {
            if let Some(service) = &backend.service {
                found.push((namespace.clone(), service.name.clone()));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

impl Controller {
    /// Looks at every Ingress group once: groups that lost their last member lose their load balancer, the others
    /// get theirs made or brought in line.
    pub(super) async fn ingress_pass(&mut self, looks: &mut Looks) {
        let ingresses: Vec<Arc<Ingress>> = self.ingresses.state();
        if ingresses.is_empty() {
            self.groups.clear();
            self.refused_groups.clear();
            return;
        }
        let classes = self.classes.state();
        let class_refs: Vec<&IngressClass> = classes.iter().map(AsRef::as_ref).collect();
        // Who serves each Ingress, if anyone: the controller while it runs, Auto Mode while it is on (asked only
        // when an Ingress is of its class or holds its finalizer; `None` when it could not be read, and then
        // Auto Mode's Ingresses are left as they are).
        let served: Vec<Option<Provisioner>> = ingresses.iter().map(|i| controller_of(i, &class_refs)).collect();
        let auto_mode_asked = served.contains(&Some(Provisioner::AutoMode))
            || ingresses
                .iter()
                .any(|i| finalized_group(i).is_some_and(|(g, _)| g.provisioner == Provisioner::AutoMode));
        let auto_mode = if auto_mode_asked { self.auto_mode(looks).await } else { Some(false) };
        let installed = self.controller_installed(looks);
        let serving = |provisioner: Provisioner| match provisioner {
            Provisioner::AutoMode => auto_mode,
            Provisioner::LoadBalancerController | Provisioner::InTree => Some(installed),
        };
        // Each Ingress as its controller reads it, its class's parameters applied; those whose parameters cannot
        // be used fail their group.
        let params = self.class_params.as_ref().map(|(store, _)| store.state()).unwrap_or_default();
        let auto_params = self.auto_mode_params.as_ref().map(|(store, _)| store.state()).unwrap_or_default();
        let in_cluster = ParamsInCluster { controller: &params, auto_mode: &auto_params };
        let mut params_errors: HashMap<String, String> = HashMap::new();
        let mut subnet_tags: HashMap<String, SubnetTags> = HashMap::new();
        let mut read: Vec<(Arc<Ingress>, Option<Provisioner>)> = Vec::new();
        for (ingress, provisioner) in ingresses.into_iter().zip(served) {
            let Some(provisioner) = provisioner else {
                read.push((ingress, None));
                continue;
            };
            let uid = ingress.uid().unwrap_or_default();
            let ingress =
                if provisioner == Provisioner::AutoMode { Arc::new(auto_mode_alb::as_read(&ingress)) } else { ingress };
            let namespace = ingress.namespace().unwrap_or_default();
            let labels = self
                .namespaces
                .get(&kube::runtime::reflector::ObjectRef::new(&namespace))
                .map(|ns| ns.labels().clone())
                .unwrap_or_default();
            let applied = params_of(&ingress, provisioner, &class_refs, in_cluster, &labels)
                .and_then(|found| found.map(|spec| with_params(&ingress, provisioner, spec)).transpose());
            let ingress = match applied {
                Ok(None) => ingress,
                Ok(Some((made, tags))) => {
                    if !tags.is_empty() {
                        subnet_tags.insert(uid, tags);
                    }
                    Arc::new(made)
                }
                Err(message) => {
                    params_errors.insert(uid, message);
                    ingress
                }
            };
            read.push((ingress, Some(provisioner)));
        }
        let mut groups: BTreeMap<IngressGroup, Vec<&Ingress>> = BTreeMap::new();
        for (ingress, provisioner) in &read {
            let Some(provisioner) = *provisioner else { continue };
            if serving(provisioner) == Some(true) && ingress.metadata.deletion_timestamp.is_none() {
                groups.entry(group_of(ingress, provisioner)).or_default().push(ingress);
            }
        }
        // Members that left (deleted, no longer served, or Auto Mode turned off) let their finalizer go, and a
        // group left empty loses its load balancer first.
        for (ingress, _) in &read {
            let Some((group, finalizer)) = finalized_group(ingress) else { continue };
            if serving(group.provisioner).is_none() {
                continue;
            }
            let active = groups.get(&group).is_some_and(|members| members.iter().any(|m| m.uid() == ingress.uid()));
            if active {
                continue;
            }
            if !groups.contains_key(&group) {
                if let Err(message) = self.load_balancers.delete_application(&group).await {
                    let text = format!("Failed cleanup due to {message}");
                    record_event(&self.client, COMPONENT, ingress.as_ref(), true, "FailedCleanup", &text).await;
                    continue;
                }
                if group.provisioner == Provisioner::LoadBalancerController
                    && let Err(error) = self.unbind(&stack_of(&group)).await
                {
                    tracing::debug!(%error, "could not delete an Ingress group's TargetGroupBindings; trying again");
                    continue;
                }
                self.groups.remove(&group);
                self.refused_groups.remove(&group);
            }
            if ingress.metadata.deletion_timestamp.is_none()
                && let Err(error) = self.set_ingress(ingress.as_ref(), json!([])).await
            {
                tracing::debug!(%error, "could not empty an Ingress's status; trying again");
                continue;
            }
            let kept: Vec<String> = ingress.finalizers().iter().filter(|f| **f != finalizer).cloned().collect();
            if let Err(error) = self.set_finalizers(ingress.as_ref(), kept).await {
                tracing::debug!(%error, "could not remove an Ingress's finalizer; trying again");
            }
        }
        let nodes = node_targets(&self.nodes.state());
        let slices = self.slices.state();
        let slice_refs: Vec<&EndpointSlice> = slices.iter().map(AsRef::as_ref).collect();
        let services = self.services.state();
        let by_name: HashMap<(String, String), &Service> =
            services.iter().map(|s| ((s.namespace().unwrap_or_default(), s.name_any()), s.as_ref())).collect();
        for (group, members) in groups {
            // The pods of the controller's ip backends held back only by their readiness gates are targets too.
            let controller = group.provisioner == Provisioner::LoadBalancerController;
            let mut held = HeldPods::new();
            for (namespace, service) in if controller { ip_backends(&members) } else { Vec::new() } {
                let own = slice_refs.iter().copied().filter(|s| {
                    s.metadata.namespace.as_deref() == Some(namespace.as_str())
                        && s.labels().get(crate::endpoints::SERVICE_NAME) == Some(&service)
                });
                self.read_held(&namespace, own, &mut held).await;
            }
            let refused = members.iter().find_map(|m| params_errors.get(&m.uid().unwrap_or_default()).cloned());
            let built = refused.map_or(Ok(()), Err).and_then(|()| ordered(members)).and_then(|members| {
                let view = View {
                    services: &by_name,
                    nodes: &nodes,
                    slices: &slice_refs,
                    held: &held,
                    subnet_tags: &subnet_tags,
                };
                application_spec(&group, &members, &view).map(|spec| (members, spec))
            });
            match built {
                Ok((members, spec)) => {
                    self.refused_groups.remove(&group);
                    self.ensure_group(&members, spec).await;
                    if controller && let Some((_, Ok(made))) = self.groups.get(&group) {
                        let made = made.target_groups.clone();
                        self.bind(stack_of(&group), made.clone()).await;
                        self.open_gates(&held, &super::names_of(&made)).await;
                    }
                }
                Err(message) => {
                    if self.refused_groups.get(&group) != Some(&message) {
                        let text = format!("Failed build model due to {message}");
                        for (ingress, provisioner) in &read {
                            if *provisioner == Some(group.provisioner) && group_of(ingress, group.provisioner) == group
                            {
                                record_event(
                                    &self.client,
                                    COMPONENT,
                                    ingress.as_ref(),
                                    true,
                                    "FailedBuildModel",
                                    &text,
                                )
                                .await;
                            }
                        }
                        self.refused_groups.insert(group, message);
                    }
                }
            }
        }
    }

    async fn ensure_group(&mut self, members: &[&Ingress], spec: ApplicationSpec) {
        let group = spec.group.clone();
        let hostname_of = |ingress: &Ingress| -> Option<String> {
            ingress.status.as_ref()?.load_balancer.as_ref()?.ingress.as_ref()?.first()?.hostname.clone()
        };
        let finalizer = finalizer_of(&group);
        let previous = self.groups.get(&group);
        let loopback_of = |ingress: &Ingress| ingress.annotations().get(LOOPBACK_ANNOTATION).cloned();
        match previous {
            Some((last, Ok(made)))
                if *last == spec
                    && members.iter().all(|m| {
                        hostname_of(m).as_deref() == Some(made.hostname.as_str())
                            && loopback_of(m) == Some(loopback_text(made))
                    }) =>
            {
                return;
            }
            Some((last, Err((due, _)))) if *last == spec && Instant::now() < *due => return,
            _ => {}
        }
        let delay = match previous {
            Some((_, Err((_, delay)))) => Some(*delay),
            _ => None,
        };
        for ingress in members {
            if !ingress.finalizers().contains(&finalizer) {
                let mut finalizers = ingress.finalizers().to_vec();
                finalizers.push(finalizer.clone());
                if let Err(error) = self.set_finalizers(*ingress, finalizers).await {
                    tracing::debug!(%error, "could not add an Ingress's finalizer; trying again");
                    return;
                }
            }
        }
        let outcome = match self.load_balancers.ensure_application(&spec).await {
            Ok(made) => {
                for ingress in members {
                    if hostname_of(ingress).as_deref() != Some(made.hostname.as_str())
                        && let Err(error) = self.set_ingress(*ingress, json!([{ "hostname": made.hostname }])).await
                    {
                        tracing::debug!(%error, "could not write an Ingress's status; trying again");
                    }
                    let loopback = loopback_text(&made);
                    if loopback_of(ingress) != Some(loopback.clone()) {
                        let api: Api<Ingress> =
                            Api::namespaced(self.client.clone(), &ingress.namespace().unwrap_or_default());
                        let patch = json!({ "metadata": { "annotations": { LOOPBACK_ANNOTATION: loopback } } });
                        if let Err(error) =
                            api.patch(&ingress.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await
                        {
                            tracing::debug!(%error, "could not write an Ingress's loopback listeners; trying again");
                        }
                    }
                    record_event(
                        &self.client,
                        COMPONENT,
                        *ingress,
                        false,
                        "SuccessfullyReconciled",
                        "Successfully reconciled",
                    )
                    .await;
                }
                Ok::<Ensured, _>(made)
            }
            Err(message) => {
                let text = format!("Failed deploy model due to {message}");
                for ingress in members {
                    record_event(&self.client, COMPONENT, *ingress, true, "FailedDeployModel", &text).await;
                }
                Err(retry_after(delay))
            }
        };
        self.groups.insert(group, (spec, outcome));
    }
}

#[cfg(test)]
mod tests;

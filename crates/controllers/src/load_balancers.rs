//! The narrow view the service load balancer controller ([`crate::servicelb`]) has of where load balancers live:
//! [`LoadBalancers`], which the binary implements with Elastic Load Balancing for clusters EKS runs. This crate
//! knows nothing of AWS; a [`LoadBalancerSpec`] says what a Service asks for, as the in-tree cloud provider and
//! the AWS Load Balancer Controller read it from the Service's spec and annotations, and an [`ApplicationSpec`]
//! what a group of Ingresses asks of its Application Load Balancer.

use std::collections::BTreeMap;

use serde::Serialize;

/// Who provisions a load balancer: the names, tags, finalizer and events differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Provisioner {
    /// The cloud provider's service controller (kube-controller-manager's, or cloud-provider-aws on EKS): every
    /// `LoadBalancer` Service without a class, a Classic ELB unless the type annotation says `nlb`.
    InTree,
    /// The AWS Load Balancer Controller, once installed: Services of class `service.k8s.aws/nlb` or whose type
    /// annotation says `external` (with a target type) or `nlb-ip`; always an NLB.
    LoadBalancerController,
    /// EKS Auto Mode's load balancing capability, while the cluster has it on: Services of class
    /// `eks.amazonaws.com/nlb`; an NLB, read from the same annotations as the AWS Load Balancer Controller's,
    /// with ip targets unless the target type annotation says `instance`. Also Ingresses of an IngressClass whose
    /// controller is `eks.amazonaws.com/alb`: an Application Load Balancer.
    AutoMode,
}

/// The kind of load balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    /// A Classic ELB.
    Classic,
    /// A Network Load Balancer.
    Network,
}

/// What a load balancer's targets are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TargetType {
    /// The nodes' instances, on the Service's node ports.
    Instance,
    /// The pods' IP addresses, on the ports they serve.
    Ip,
}

/// One target of a listener.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Target {
    /// The instance id (instance targets) or the pod's IP address (ip targets).
    pub id: String,
    pub port: u16,
    /// Whether it passes its health check: a Ready node (with a ready endpoint of the Service when its traffic
    /// policy is `Local`), or a ready endpoint.
    pub healthy: bool,
}

/// One listener: a port of the Service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listener {
    /// The Service port's name (empty when it has none).
    pub name: String,
    pub port: u16,
    /// `TCP`, `UDP`, `TLS` (NLB); `TCP`, `SSL`, `HTTP`, `HTTPS` (Classic).
    pub protocol: String,
    /// What the targets speak: `TCP`, `UDP` (NLB), `TCP`, `SSL`, `HTTP`, `HTTPS` (Classic).
    pub target_protocol: String,
    /// The port targets are reached on: the node port (instance targets) or the port the pods serve (ip
    /// targets; `None` until an endpoint says which).
    pub target_port: Option<u16>,
    /// The certificate ARN of a TLS, SSL or HTTPS listener.
    pub certificate: Option<String>,
    /// The targets, sorted.
    pub targets: Vec<Target>,
}

/// A health check as the annotations set it; `None` members take the load balancer's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HealthCheck {
    /// `TCP`, `HTTP` or `HTTPS`.
    pub protocol: Option<String>,
    /// A port number; `None` is the traffic port.
    pub port: Option<u16>,
    pub path: Option<String>,
    pub interval_seconds: Option<u32>,
    pub timeout_seconds: Option<u32>,
    pub healthy_threshold: Option<u32>,
    pub unhealthy_threshold: Option<u32>,
}

/// The Service a load balancer belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Owner {
    pub provisioner: Provisioner,
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

impl Owner {
    /// `namespace/name`, as the tags that mark a load balancer's Service write it.
    pub fn service(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// What a Service asks of its load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadBalancerSpec {
    pub owner: Owner,
    pub kind: Kind,
    /// Reached only inside the VPC (`internal`) rather than from the internet.
    pub internal: bool,
    pub target_type: TargetType,
    pub listeners: Vec<Listener>,
    /// Subnets by id or `Name` tag (the subnets annotation); empty: the ones tagged for load balancers.
    pub subnets: Vec<String>,
    /// Security groups by id or `Name` tag that replace the ones made for it (the security-groups annotation).
    pub security_groups: Vec<String>,
    /// Security groups added to the ones made for it.
    pub extra_security_groups: Vec<String>,
    /// Who may reach it (`spec.loadBalancerSourceRanges`, or the annotation); empty: everyone.
    pub source_ranges: Vec<String>,
    pub health_check: HealthCheck,
    /// The Service's additional tags (the additional-resource-tags annotation).
    pub tags: BTreeMap<String, String>,
    /// The name the Service chose (the AWS Load Balancer Controller's name annotation).
    pub name: Option<String>,
}

/// An Ingress group: the Ingresses that share one Application Load Balancer (a `group.name`, or one Ingress
/// alone). Groups of the AWS Load Balancer Controller and of EKS Auto Mode are apart, even of the same name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct IngressGroup {
    /// [`Provisioner::LoadBalancerController`] or [`Provisioner::AutoMode`].
    pub provisioner: Provisioner,
    /// The group's name (explicit groups), or the Ingress's `namespace/name`.
    pub id: String,
    pub explicit: bool,
}

/// A rule of an Application Load Balancer's listener: requests whose host is one of `hosts` (any when empty) and
/// whose path matches one of `paths` (any when empty) go to the backend `backend` indexes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplicationRule {
    pub hosts: Vec<String>,
    /// Path patterns as ELBv2 takes them (`/api`, `/api/*`).
    pub paths: Vec<String>,
    pub backend: usize,
}

/// A listener of an Application Load Balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplicationListener {
    pub port: u16,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    pub certificates: Vec<String>,
    /// In priority order.
    pub rules: Vec<ApplicationRule>,
    /// Where requests no rule takes go; `None`: a fixed 404.
    pub default_backend: Option<usize>,
}

/// A Service port an Ingress sends requests to: one target group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backend {
    pub namespace: String,
    pub service: String,
    /// The Service port as the Ingress names it (a number or a name).
    pub port: String,
    /// The Service port's own name (empty when it has none), as its EndpointSlices name the port.
    pub port_name: String,
    pub target_type: TargetType,
    /// The node port (instance targets) or the pods' port (ip targets; `None` until an endpoint says which).
    pub target_port: Option<u16>,
    pub targets: Vec<Target>,
}

/// What an Ingress group asks of its Application Load Balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplicationSpec {
    pub group: IngressGroup,
    pub internal: bool,
    pub listeners: Vec<ApplicationListener>,
    pub backends: Vec<Backend>,
    /// Subnets by id or `Name` tag; empty: those `subnet_tags` select, else the ones tagged for load balancers.
    pub subnets: Vec<String>,
    /// Subnets by their tags (an IngressClassParams' subnet tags): each key with one of its values (any value
    /// when none is given).
    pub subnet_tags: Vec<(String, Vec<String>)>,
    pub security_groups: Vec<String>,
    /// Who may reach it (`inbound-cidrs`); empty: everyone.
    pub source_ranges: Vec<String>,
    /// The target groups' health check path and success codes.
    pub health_check_path: String,
    pub success_codes: String,
    pub tags: BTreeMap<String, String>,
    pub name: Option<String>,
    /// `ipv4`, `dualstack` or `dualstack-without-public-ipv4`; `None`: ELBv2's default (`ipv4`).
    pub ip_address_type: Option<String>,
    /// Load balancer attributes set (`idle_timeout.timeout_seconds` ...); the others keep their defaults.
    pub attributes: BTreeMap<String, String>,
}

/// A target group of a load balancer and the Service port whose targets it holds: what the AWS Load Balancer
/// Controller records in a `TargetGroupBinding` of the target group's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoundTargetGroup {
    pub name: String,
    pub arn: String,
    /// The Service's namespace and name.
    pub namespace: String,
    pub service: String,
    /// The Service port: its number, or its name as an Ingress names it.
    pub port: String,
    pub target_type: TargetType,
    pub vpc_id: String,
}

/// A load balancer as made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ensured {
    /// Its DNS name.
    pub hostname: String,
    /// Each listener port's loopback address (`127.0.0.1:<port>`), where connections reach the targets as through
    /// the load balancer.
    pub loopback: Vec<(u16, String)>,
    /// Its target groups (none for a Classic ELB).
    pub target_groups: Vec<BoundTargetGroup>,
}

/// The annotation that shows a Service where its load balancer's listeners are on loopback:
/// `80=127.0.0.1:40123,443=127.0.0.1:40124`.
pub const LOOPBACK_ANNOTATION: &str = "ekslite.dev/load-balancer-listeners";

/// Where a cluster's load balancers live. Errors are messages, recorded as events and retried.
#[async_trait::async_trait]
pub trait LoadBalancers: Send + Sync + std::fmt::Debug {
    /// Makes the load balancer `spec` asks for, or brings the one made before in line with it (listeners,
    /// targets and their health); returns its DNS name and loopback listeners. Load balancers made earlier for the same Service under
    /// another name (a scheme that changed) go.
    async fn ensure(&self, spec: &LoadBalancerSpec) -> Result<Ensured, String>;
    /// Deletes every load balancer (with its listeners, target groups and the security groups made for it) that
    /// `owner` has; none counts as deleted.
    async fn delete(&self, owner: &Owner) -> Result<(), String>;
    /// Makes the Application Load Balancer an Ingress group asks for, or brings it in line (listeners, rules,
    /// target groups, targets).
    async fn ensure_application(&self, spec: &ApplicationSpec) -> Result<Ensured, String>;
    /// Deletes the group's Application Load Balancer with its target groups and security group; none counts as
    /// deleted.
    async fn delete_application(&self, group: &IngressGroup) -> Result<(), String>;
    /// Registers targets in a target group made outside the cluster (a `TargetGroupBinding` made by hand) and
    /// deregisters the others: `ip` or `instance`, as the group's own type is (returned).
    async fn bind_targets(
        &self,
        target_group_arn: &str,
        ip: &[Target],
        instance: &[Target],
    ) -> Result<TargetType, String>;
    /// Whether the cluster has EKS Auto Mode's load balancing capability on now (read from the cluster each time,
    /// so that turning it on or off takes effect); without it nobody serves Auto Mode's classes.
    async fn auto_mode_load_balancing(&self) -> Result<bool, String> {
        Ok(false)
    }
}

//! Elastic Load Balancing v2 (Application, Network and Gateway Load Balancers) as records: load balancers with
//! their attributes and tags, target groups with their targets and each target's health, listeners and their
//! rules (`elbv2/listeners.rs`), under ELBv2's rules and errors.
//!
//! Every resource is its own record under the signing name `elasticloadbalancing`: `loadbalancer/<name>`,
//! `targetgroup/<name>` (its targets inside: at most [`MAX_TARGETS`]), `listener/<load balancer name>/<id>` and
//! `rule/<listener id>/<id>` (a listener's default rule is a record too, made and deleted with it). Names are the
//! keys because ELBv2 makes them unique per region; an ARN names its resource's key.
//!
//! A load balancer lives in its subnets: ALBs, NLBs and GWLBs hold a requester-managed network interface in each
//! (described `ELB app/<name>/<id>`, `ELB net/<name>/<id>`, `ELB gwy/<name>/<id>`), made and deleted through EC2's
//! interface model, so that a subnet, VPC or security group a load balancer holds is not deleted under it.
//!
//! Time: a load balancer reads `provisioning` until [`PROVISIONING_SECONDS`] after its creation, then `active`.
//! Nothing probes targets: a target reads `initial` (`Elb.RegistrationInProgress`) for [`REGISTRATION_SECONDS`]
//! after it is registered, then `healthy`, unless a caller in the process set its health
//! ([`Elbv2::set_target_health`]); `unused` while no listener or rule forwards to its group; `draining` for the
//! group's deregistration delay after it is deregistered, then gone.

pub mod listeners;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use store::{Compare, TxnOp};

use crate::clock::Clock;
use crate::ec2::cidr::Cidr;
use crate::ec2::{CreateNetworkInterface, Ec2, Ec2Error, InstanceState, Kind, Scope, scopes};
use crate::eks::Caller;
use crate::records::{RecordError, Records};

pub use listeners::{
    Action, Certificate, Condition, CreateListener, CreateRule, Listener, ModifyListener, Redirect, Rule,
    WeightedTargetGroup,
};

/// Tags as a list of key and value, in the order they were set.
pub type Tags = Vec<(String, String)>;

/// The service's part of record keys and ARNs.
pub const SERVICE: &str = "elasticloadbalancing";
/// Seconds a new load balancer reads `provisioning`.
pub const PROVISIONING_SECONDS: f64 = 3.0;
/// Seconds a newly registered target reads `initial` before it reads `healthy`.
pub const REGISTRATION_SECONDS: f64 = 5.0;
/// The most targets a target group holds.
pub const MAX_TARGETS: usize = 1000;
/// The most tags a resource holds.
pub const MAX_TAGS: usize = 50;
/// The most security groups a load balancer holds.
pub const MAX_SECURITY_GROUPS: usize = 5;
/// The longest load balancer and target group name.
pub const MAX_NAME: usize = 32;

/// ELBv2's errors, each one of its wire error codes.
#[derive(Debug, thiserror::Error)]
pub enum Elbv2Error {
    /// A request member is missing or malformed (`ValidationError`).
    #[error("{0}")]
    Validation(String),
    /// `LoadBalancerNotFound`.
    #[error("{0}")]
    LoadBalancerNotFound(String),
    /// `TargetGroupNotFound`.
    #[error("{0}")]
    TargetGroupNotFound(String),
    /// `ListenerNotFound`.
    #[error("{0}")]
    ListenerNotFound(String),
    /// `RuleNotFound`.
    #[error("{0}")]
    RuleNotFound(String),
    /// `DuplicateLoadBalancerName`.
    #[error("{0}")]
    DuplicateLoadBalancerName(String),
    /// `DuplicateTargetGroupName`.
    #[error("{0}")]
    DuplicateTargetGroupName(String),
    /// `DuplicateListener`.
    #[error("{0}")]
    DuplicateListener(String),
    /// `DuplicateTagKeys`.
    #[error("{0}")]
    DuplicateTagKeys(String),
    /// `TooManyTags`.
    #[error("{0}")]
    TooManyTags(String),
    /// `TooManyTargets`.
    #[error("{0}")]
    TooManyTargets(String),
    /// `PriorityInUse`.
    #[error("{0}")]
    PriorityInUse(String),
    /// `InvalidTarget`.
    #[error("{0}")]
    InvalidTarget(String),
    /// `OperationNotPermitted` (deletion protection).
    #[error("{0}")]
    OperationNotPermitted(String),
    /// `ResourceInUse`.
    #[error("{0}")]
    ResourceInUse(String),
    /// `InvalidConfigurationRequest`.
    #[error("{0}")]
    InvalidConfiguration(String),
    /// `SubnetNotFound`.
    #[error("{0}")]
    SubnetNotFound(String),
    /// `InvalidSecurityGroup`.
    #[error("{0}")]
    InvalidSecurityGroup(String),
    /// `UnsupportedProtocol`.
    #[error("{0}")]
    UnsupportedProtocol(String),
    /// `IncompatibleProtocols`.
    #[error("{0}")]
    IncompatibleProtocols(String),
    /// `SSLPolicyNotFound`.
    #[error("{0}")]
    SslPolicyNotFound(String),
    /// `TargetGroupAssociationLimit`.
    #[error("{0}")]
    TargetGroupAssociationLimit(String),
    /// The store failed, or kept changing under a write.
    #[error("{0}")]
    Internal(String),
}

impl From<RecordError> for Elbv2Error {
    fn from(error: RecordError) -> Self {
        Elbv2Error::Internal(error.to_string())
    }
}

fn invalid(message: impl Into<String>) -> Elbv2Error {
    Elbv2Error::Validation(message.into())
}

/// A load balancer's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoadBalancerType {
    Application,
    Network,
    Gateway,
}

impl LoadBalancerType {
    /// The type as the API names it.
    pub fn as_str(self) -> &'static str {
        match self {
            LoadBalancerType::Application => "application",
            LoadBalancerType::Network => "network",
            LoadBalancerType::Gateway => "gateway",
        }
    }

    /// The type's part of ARNs (`app`, `net`, `gwy`).
    pub fn arn_part(self) -> &'static str {
        match self {
            LoadBalancerType::Application => "app",
            LoadBalancerType::Network => "net",
            LoadBalancerType::Gateway => "gwy",
        }
    }

    /// The type an API value names.
    pub fn parse(text: &str) -> Result<LoadBalancerType, Elbv2Error> {
        match text {
            "application" => Ok(LoadBalancerType::Application),
            "network" => Ok(LoadBalancerType::Network),
            "gateway" => Ok(LoadBalancerType::Gateway),
            other => Err(invalid(format!(
                "1 validation error detected: Value '{other}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [application, network, gateway]"
            ))),
        }
    }

    /// The type EC2 gives the load balancer's network interfaces.
    fn interface_type(self) -> &'static str {
        match self {
            LoadBalancerType::Application => "interface",
            LoadBalancerType::Network => "network_load_balancer",
            LoadBalancerType::Gateway => "gateway_load_balancer",
        }
    }
}

/// A load balancer's place in one availability zone: its subnet and the network interface it holds there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    pub zone_name: String,
    pub subnet_id: String,
    pub interface_id: String,
    pub private_ip: Option<String>,
}

/// A load balancer as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    /// The 16 hex digits of its ARN.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: LoadBalancerType,
    pub scheme: String,
    pub vpc_id: String,
    pub zones: Vec<Zone>,
    pub security_groups: Vec<String>,
    pub ip_address_type: String,
    pub dns_name: String,
    pub created_at: f64,
    /// The attributes set, by key; the others read their defaults ([`LoadBalancer::attributes`]).
    pub attributes: BTreeMap<String, String>,
    pub tags: Tags,
}

impl LoadBalancer {
    /// `provisioning` for [`PROVISIONING_SECONDS`] after creation, then `active`.
    pub fn state(&self, now: f64) -> &'static str {
        if now < self.created_at + PROVISIONING_SECONDS { "provisioning" } else { "active" }
    }

    /// The Route 53 hosted zone of its DNS name, as AWS publishes them per region.
    pub fn canonical_hosted_zone_id(&self, region: &str) -> &'static str {
        hosted_zone_id(self.kind, region)
    }

    /// Every attribute with its value: the defaults of its type, overridden by those set.
    pub fn attributes(&self) -> Vec<(String, String)> {
        let mut all: BTreeMap<String, String> = load_balancer_attribute_defaults(self.kind, &self.scheme)
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        for (key, value) in &self.attributes {
            all.insert(key.clone(), value.clone());
        }
        all.into_iter().collect()
    }

    /// Whether DeleteLoadBalancer is refused.
    pub fn deletion_protected(&self) -> bool {
        self.attributes.get("deletion_protection.enabled").is_some_and(|value| value == "true")
    }
}

/// The hosted zone AWS publishes for load balancers of a type in a region (ALBs and Classic share theirs).
pub fn hosted_zone_id(kind: LoadBalancerType, region: &str) -> &'static str {
    let application = match region {
        "us-east-1" => "Z35SXDOTRQ7X7K",
        "us-east-2" => "Z3AADJGX6KTTL2",
        "us-west-1" => "Z368ELLRRE2KJ0",
        "us-west-2" => "Z1H1FL5HABSF5",
        "eu-west-1" => "Z32O12XQLNTSW2",
        "eu-west-2" => "ZHURV8PSTC4K8",
        "eu-central-1" => "Z215JYRZR1TBD5",
        "ap-southeast-1" => "Z1LMS91P8CMLE5",
        "ap-southeast-2" => "Z1GM3OXH4ZPM65",
        "ap-northeast-1" => "Z14GRHDCWA56QT",
        "ap-south-1" => "ZP97RAFLXTNZK",
        _ => "Z35SXDOTRQ7X7K",
    };
    let network = match region {
        "us-east-1" => "Z26RNL4JYFTOTI",
        "us-east-2" => "ZLMOA37VPKANP",
        "us-west-1" => "Z24FKFUX50B4VW",
        "us-west-2" => "Z18D5FSROUN65G",
        "eu-west-1" => "Z2IFOLAFXWLO4F",
        "eu-west-2" => "ZD4D7Y8KGAS4G",
        "eu-central-1" => "Z3F0SRJ5LGBH90",
        "ap-southeast-1" => "ZKVM4W9LS7TM",
        "ap-southeast-2" => "ZCT6FZBF4DROD",
        "ap-northeast-1" => "Z31USIVHYNEOWT",
        "ap-south-1" => "ZVDDRBQ08TROA",
        _ => "Z26RNL4JYFTOTI",
    };
    match kind {
        LoadBalancerType::Application => application,
        LoadBalancerType::Network | LoadBalancerType::Gateway => network,
    }
}

/// A type's attributes and the values AWS shows before any is set.
pub fn load_balancer_attribute_defaults(
    kind: LoadBalancerType,
    _scheme: &str,
) -> &'static [(&'static str, &'static str)] {
    match kind {
        LoadBalancerType::Application => &[
            ("access_logs.s3.enabled", "false"),
            ("access_logs.s3.bucket", ""),
            ("access_logs.s3.prefix", ""),
            ("connection_logs.s3.enabled", "false"),
            ("connection_logs.s3.bucket", ""),
            ("connection_logs.s3.prefix", ""),
            ("client_keep_alive.seconds", "3600"),
            ("deletion_protection.enabled", "false"),
            ("health_check_logs.s3.enabled", "false"),
            ("health_check_logs.s3.bucket", ""),
            ("health_check_logs.s3.prefix", ""),
            ("idle_timeout.timeout_seconds", "60"),
            ("load_balancing.cross_zone.enabled", "true"),
            ("routing.http.desync_mitigation_mode", "defensive"),
            ("routing.http.drop_invalid_header_fields.enabled", "false"),
            ("routing.http.preserve_host_header.enabled", "false"),
            ("routing.http.x_amzn_tls_version_and_cipher_suite.enabled", "false"),
            ("routing.http.xff_client_port.enabled", "false"),
            ("routing.http.xff_header_processing.mode", "append"),
            ("routing.http2.enabled", "true"),
            ("waf.fail_open.enabled", "false"),
            ("zonal_shift.config.enabled", "false"),
        ],
        LoadBalancerType::Network => &[
            ("access_logs.s3.enabled", "false"),
            ("access_logs.s3.bucket", ""),
            ("access_logs.s3.prefix", ""),
            ("deletion_protection.enabled", "false"),
            ("dns_record.client_routing_policy", "any_availability_zone"),
            ("load_balancing.cross_zone.enabled", "false"),
            ("zonal_shift.config.enabled", "false"),
        ],
        LoadBalancerType::Gateway => {
            &[("deletion_protection.enabled", "false"), ("load_balancing.cross_zone.enabled", "false")]
        }
    }
}

/// Checks an attribute value against the kind of value its key takes.
fn check_attribute(key: &str, value: &str, what: &str) -> Result<(), Elbv2Error> {
    let boolean = key.ends_with(".enabled");
    let numeric = key.ends_with("_seconds") || key.ends_with(".seconds") || key.ends_with(".count");
    if boolean && value != "true" && value != "false" {
        return Err(invalid(format!("{what} attribute '{key}' must be one of 'true' or 'false'")));
    }
    if numeric && value.parse::<u32>().is_err() && value != "off" {
        return Err(invalid(format!("{what} attribute '{key}' must be a number; got '{value}'")));
    }
    if key == "idle_timeout.timeout_seconds" && !(1..=4000).contains(&value.parse::<u32>().unwrap_or(0)) {
        return Err(invalid(format!("Idle timeout must be between 1 and 4000 seconds; got '{value}'")));
    }
    if key == "deregistration_delay.timeout_seconds" && value.parse::<u32>().is_ok_and(|n| n > 3600) {
        return Err(invalid(format!("Deregistration delay must be between 0 and 3600 seconds; got '{value}'")));
    }
    Ok(())
}

/// The input of CreateLoadBalancer.
#[derive(Debug, Clone, Default)]
pub struct CreateLoadBalancer {
    pub name: String,
    /// `application` when `None`.
    pub kind: Option<String>,
    /// `internet-facing` when `None`.
    pub scheme: Option<String>,
    /// Subnets, from `Subnets` or `SubnetMappings` (with their chosen private address, if any).
    pub subnets: Vec<(String, Option<String>)>,
    pub security_groups: Vec<String>,
    /// `ipv4` when `None`.
    pub ip_address_type: Option<String>,
    pub tags: Tags,
}

/// A target as stored in its group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub id: String,
    pub port: Option<u16>,
    pub availability_zone: Option<String>,
    pub registered_at: f64,
    /// When it was deregistered: it drains until the group's delay is over.
    #[serde(default)]
    pub deregistered_at: Option<f64>,
    /// The health a caller in the process set, with its reason and description.
    #[serde(default)]
    pub health: Option<TargetHealth>,
}

/// A target's health as DescribeTargetHealth shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetHealth {
    /// `initial`, `healthy`, `unhealthy`, `unused`, `draining`, `unavailable`.
    pub state: String,
    pub reason: Option<String>,
    pub description: Option<String>,
}

impl TargetHealth {
    fn new(state: &str, reason: Option<&str>, description: Option<&str>) -> TargetHealth {
        TargetHealth {
            state: state.to_owned(),
            reason: reason.map(str::to_owned),
            description: description.map(str::to_owned),
        }
    }
}

/// A target group's health check settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct HealthCheck {
    pub enabled: bool,
    pub protocol: Option<String>,
    pub port: Option<String>,
    pub path: Option<String>,
    pub interval_seconds: u32,
    pub timeout_seconds: u32,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    /// `HttpCode` of the matcher (HTTP and HTTPS checks).
    pub http_code: Option<String>,
    /// `GrpcCode` of the matcher (gRPC groups).
    pub grpc_code: Option<String>,
}

/// A target group as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub id: String,
    pub protocol: Option<String>,
    pub protocol_version: Option<String>,
    pub port: Option<u16>,
    pub vpc_id: Option<String>,
    pub target_type: String,
    pub ip_address_type: Option<String>,
    pub health_check: HealthCheck,
    pub attributes: BTreeMap<String, String>,
    pub tags: Tags,
    pub targets: Vec<Target>,
}

impl TargetGroup {
    /// Every attribute with its value: the defaults of its protocol and target type, overridden by those set.
    pub fn attributes(&self) -> Vec<(String, String)> {
        let mut all: BTreeMap<String, String> = target_group_attribute_defaults(self)
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        for (key, value) in &self.attributes {
            all.insert(key.clone(), value.clone());
        }
        all.into_iter().collect()
    }

    /// Seconds a deregistered target drains.
    pub fn deregistration_delay(&self) -> f64 {
        self.attributes.get("deregistration_delay.timeout_seconds").and_then(|v| v.parse().ok()).unwrap_or(300.0)
    }

    /// The targets still registered or draining at `now`.
    fn live_targets(&self, now: f64) -> impl Iterator<Item = &Target> {
        let delay = self.deregistration_delay();
        self.targets.iter().filter(move |t| t.deregistered_at.is_none_or(|at| now < at + delay))
    }

    /// A target's health at `now`; `used` says whether a listener or rule forwards to the group.
    pub fn health_of(&self, target: &Target, used: bool, now: f64) -> TargetHealth {
        if target.deregistered_at.is_some() {
            return TargetHealth::new(
                "draining",
                Some("Target.DeregistrationInProgress"),
                Some("Target deregistration is in progress"),
            );
        }
        if !used {
            return TargetHealth::new(
                "unused",
                Some("Target.NotInUse"),
                Some("Target group is not configured to receive traffic from the load balancer"),
            );
        }
        if let Some(health) = &target.health {
            return health.clone();
        }
        if now < target.registered_at + REGISTRATION_SECONDS {
            return TargetHealth::new(
                "initial",
                Some("Elb.RegistrationInProgress"),
                Some("Target registration is in progress"),
            );
        }
        TargetHealth::new("healthy", None, None)
    }
}

/// The attributes of a target group and their defaults, by its load balancer family and target type.
fn target_group_attribute_defaults(group: &TargetGroup) -> Vec<(&'static str, &'static str)> {
    if group.target_type == "lambda" {
        return vec![("lambda.multi_value_headers.enabled", "false")];
    }
    let health = [
        ("target_group_health.dns_failover.minimum_healthy_targets.count", "1"),
        ("target_group_health.dns_failover.minimum_healthy_targets.percentage", "off"),
        ("target_group_health.unhealthy_state_routing.minimum_healthy_targets.count", "1"),
        ("target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage", "off"),
    ];
    let mut all = match group.protocol.as_deref() {
        Some("HTTP" | "HTTPS") => vec![
            ("deregistration_delay.timeout_seconds", "300"),
            ("load_balancing.algorithm.type", "round_robin"),
            ("load_balancing.algorithm.anomaly_mitigation", "off"),
            ("load_balancing.cross_zone.enabled", "use_load_balancer_configuration"),
            ("slow_start.duration_seconds", "0"),
            ("stickiness.enabled", "false"),
            ("stickiness.type", "lb_cookie"),
            ("stickiness.lb_cookie.duration_seconds", "86400"),
            ("stickiness.app_cookie.cookie_name", ""),
            ("stickiness.app_cookie.duration_seconds", "86400"),
        ],
        Some("GENEVE") => vec![
            ("deregistration_delay.timeout_seconds", "300"),
            ("stickiness.enabled", "false"),
            ("stickiness.type", "source_ip_dest_ip_proto"),
            ("target_failover.on_deregistration", "no_rebalance"),
            ("target_failover.on_unhealthy", "no_rebalance"),
        ],
        _ => {
            let preserve = if group.target_type == "ip" && matches!(group.protocol.as_deref(), Some("TCP" | "TLS")) {
                "false"
            } else {
                "true"
            };
            vec![
                ("deregistration_delay.timeout_seconds", "300"),
                ("deregistration_delay.connection_termination.enabled", "false"),
                ("load_balancing.cross_zone.enabled", "use_load_balancer_configuration"),
                ("preserve_client_ip.enabled", preserve),
                ("proxy_protocol_v2.enabled", "false"),
                ("stickiness.enabled", "false"),
                ("stickiness.type", "source_ip"),
                ("target_health_state.unhealthy.connection_termination.enabled", "true"),
                ("target_health_state.unhealthy.draining_interval_seconds", "0"),
            ]
        }
    };
    all.extend(health);
    all
}

/// The input of CreateTargetGroup and ModifyTargetGroup's health check members.
#[derive(Debug, Clone, Default)]
pub struct CreateTargetGroup {
    pub name: String,
    pub protocol: Option<String>,
    pub protocol_version: Option<String>,
    pub port: Option<i64>,
    pub vpc_id: Option<String>,
    pub target_type: Option<String>,
    pub ip_address_type: Option<String>,
    pub health_check: HealthCheckInput,
    pub tags: Tags,
}

/// Health check members as a request gives them; those missing take their protocol's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthCheckInput {
    pub enabled: Option<bool>,
    pub protocol: Option<String>,
    pub port: Option<String>,
    pub path: Option<String>,
    pub interval_seconds: Option<i64>,
    pub timeout_seconds: Option<i64>,
    pub healthy_threshold: Option<i64>,
    pub unhealthy_threshold: Option<i64>,
    pub http_code: Option<String>,
    pub grpc_code: Option<String>,
}

/// A target of RegisterTargets, DeregisterTargets or DescribeTargetHealth.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetInput {
    pub id: String,
    pub port: Option<i64>,
    pub availability_zone: Option<String>,
}

/// A resource ELBv2 tags, by what its ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tagged {
    LoadBalancer(String),
    TargetGroup(String),
    Listener(String),
    Rule(String),
}

/// What an ARN of this service names: its kind and the parts after it (`loadbalancer/app/web/abc...`).
fn arn_parts<'a>(arn: &'a str, caller: &Caller) -> Option<(&'a str, Vec<&'a str>)> {
    let rest = arn.strip_prefix("arn:aws:elasticloadbalancing:")?;
    let rest = rest.strip_prefix(caller.region.as_str())?.strip_prefix(':')?;
    let rest = rest.strip_prefix(caller.account.as_str())?.strip_prefix(':')?;
    let mut parts = rest.split('/');
    let kind = parts.next()?;
    Some((kind, parts.collect()))
}

/// The name in a load balancer ARN, or `LoadBalancerNotFound`... as ELBv2 words a malformed one.
fn load_balancer_name(caller: &Caller, arn: &str) -> Result<String, Elbv2Error> {
    match arn_parts(arn, caller) {
        Some(("loadbalancer", parts)) if parts.len() == 3 && ["app", "net", "gwy"].contains(&parts[0]) => {
            Ok(parts[1].to_owned())
        }
        _ => Err(invalid(format!("'{arn}' is not a valid load balancer ARN"))),
    }
}

/// The name in a target group ARN.
fn target_group_name(caller: &Caller, arn: &str) -> Result<String, Elbv2Error> {
    match arn_parts(arn, caller) {
        Some(("targetgroup", parts)) if parts.len() == 2 => Ok(parts[0].to_owned()),
        _ => Err(invalid(format!("'{arn}' is not a valid target group ARN"))),
    }
}

/// Checks a load balancer or target group name as ELBv2 does.
fn check_name(name: &str, what: &str) -> Result<(), Elbv2Error> {
    if name.is_empty() {
        return Err(invalid(format!("{what} name cannot be empty")));
    }
    if name.chars().count() > MAX_NAME {
        return Err(invalid(format!("{what} name '{name}' cannot be longer than '{MAX_NAME}' characters")));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(invalid(format!(
            "{what} name '{name}' can only contain characters that are alphanumeric characters or hyphens(-)"
        )));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(invalid(format!("{what} name '{name}' cannot begin or end with a hyphen(-)")));
    }
    if what == "Load balancer" && name.starts_with("internal-") {
        return Err(invalid(format!("Load balancer name '{name}' cannot begin with 'internal-'")));
    }
    Ok(())
}

/// Checks tags to add to a resource that holds `existing`.
pub fn check_tags(tags: &Tags, existing: &Tags) -> Result<(), Elbv2Error> {
    for (n, (key, value)) in tags.iter().enumerate() {
        if key.is_empty() || key.chars().count() > 128 || key.contains('\0') {
            return Err(invalid(format!("Tag key '{key}' must be between 1 and 128 characters")));
        }
        if value.chars().count() > 256 || value.contains('\0') {
            return Err(invalid(format!("Tag value of key '{key}' cannot be longer than 256 characters")));
        }
        if key.starts_with("aws:") {
            return Err(invalid(format!("Tag key '{key}' cannot start with the reserved prefix 'aws:'")));
        }
        if tags[..n].iter().any(|(other, _)| other == key) {
            return Err(Elbv2Error::DuplicateTagKeys(format!("Tag key '{key}' is duplicated")));
        }
    }
    let mut merged = existing.clone();
    merge_tags(&mut merged, tags);
    if merged.len() > MAX_TAGS {
        return Err(Elbv2Error::TooManyTags(format!("A resource cannot have more than {MAX_TAGS} tags")));
    }
    Ok(())
}

/// Sets each of `tags` on `existing`, replacing the value of a key it has.
pub(crate) fn merge_tags(existing: &mut Tags, tags: &Tags) {
    for (key, value) in tags {
        match existing.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.clone(),
            None => existing.push((key.clone(), value.clone())),
        }
    }
}

/// A page of `items` from the one whose key is `marker`, of at most `page_size` (1 to 400).
pub fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    marker: Option<&str>,
    page_size: Option<i64>,
) -> Result<(Vec<T>, Option<String>), Elbv2Error> {
    let size = match page_size {
        None => 400,
        Some(n @ 1..=400) => n as usize,
        Some(n) => {
            return Err(invalid(format!(
                "1 validation error detected: Value '{n}' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and 400"
            )));
        }
    };
    let start = match marker {
        None => 0,
        Some(marker) => items
            .iter()
            .position(|item| key(item) == marker)
            .ok_or_else(|| invalid(format!("The marker '{marker}' is not valid")))?,
    };
    let next = items.get(start + size).map(&key);
    Ok((items.into_iter().skip(start).take(size).collect(), next))
}

/// ELBv2 of every account and region, over `records`, making load balancers' interfaces in `ec2`.
#[derive(Debug, Clone)]
pub struct Elbv2 {
    records: Records,
    clock: Arc<dyn Clock>,
    ec2: Ec2,
}

const ATTEMPTS: usize = 16;

/// The error of a write that kept losing to concurrent ones.
pub(crate) fn contended() -> Elbv2Error {
    Elbv2Error::Internal("the resource kept changing; retry".into())
}

fn encode<T: Serialize>(value: &T) -> bytes::Bytes {
    bytes::Bytes::from(serde_json::to_vec(value).expect("records serialize"))
}

/// How a failed EC2 change reads as an ELBv2 error.
pub(crate) fn ec2_error(error: Ec2Error) -> Elbv2Error {
    match error {
        Ec2Error::SubnetNotFound(id) => Elbv2Error::SubnetNotFound(format!("The subnet ID '{id}' is not found")),
        Ec2Error::GroupNotFound(message) => {
            Elbv2Error::InvalidSecurityGroup(format!("One or more security groups are invalid: {message}"))
        }
        Ec2Error::InvalidParameterValue(message) => Elbv2Error::InvalidConfiguration(message),
        other => Elbv2Error::Internal(other.to_string()),
    }
}

impl Elbv2 {
    /// ELBv2 over `records`; load balancers make their network interfaces in `ec2`.
    pub fn new(records: Records, clock: Arc<dyn Clock>, ec2: Ec2) -> Elbv2 {
        Elbv2 { records, clock, ec2 }
    }

    /// The clock's time, in seconds since the epoch.
    pub fn now(&self) -> f64 {
        self.clock.now()
    }

    fn key(caller: &Caller, kind: &str, id: &str) -> String {
        Records::regional_key(&caller.account, &caller.region, SERVICE, kind, id)
    }

    fn arn(caller: &Caller, resource: &str) -> String {
        format!("arn:aws:{SERVICE}:{}:{}:{resource}", caller.region, caller.account)
    }

    // Load balancers.

    /// A load balancer by name, with its revision.
    async fn load_balancer_record(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<Option<(LoadBalancer, store::Revision)>, Elbv2Error> {
        let found = self.records.get::<LoadBalancer>(&Self::key(caller, "loadbalancer", name)).await?;
        Ok(found.map(|stored| (stored.value, stored.revision)))
    }

    /// A load balancer by ARN, or `LoadBalancerNotFound`.
    pub async fn load_balancer(&self, caller: &Caller, arn: &str) -> Result<LoadBalancer, Elbv2Error> {
        Ok(self.load_balancer_by_arn(caller, arn).await?.0)
    }

    async fn load_balancer_by_arn(
        &self,
        caller: &Caller,
        arn: &str,
    ) -> Result<(LoadBalancer, store::Revision), Elbv2Error> {
        let name = load_balancer_name(caller, arn)?;
        match self.load_balancer_record(caller, &name).await? {
            Some((lb, revision)) if lb.arn == arn => Ok((lb, revision)),
            _ => Err(Elbv2Error::LoadBalancerNotFound(format!("Load balancer '{arn}' not found"))),
        }
    }

    /// Every load balancer of the caller's region, by name.
    pub async fn load_balancers(&self, caller: &Caller) -> Result<Vec<LoadBalancer>, Elbv2Error> {
        let prefix = Self::key(caller, "loadbalancer", "");
        Ok(self.records.list::<LoadBalancer>(&prefix).await?.into_iter().map(|stored| stored.value).collect())
    }

    /// CreateLoadBalancer: the load balancer with a requester-managed network interface in each of its subnets;
    /// the same name with the same settings answers the existing one.
    pub async fn create_load_balancer(
        &self,
        caller: &Caller,
        input: CreateLoadBalancer,
    ) -> Result<LoadBalancer, Elbv2Error> {
        check_name(&input.name, "Load balancer")?;
        let kind = LoadBalancerType::parse(input.kind.as_deref().unwrap_or("application"))?;
        let scheme = input.scheme.clone().unwrap_or_else(|| "internet-facing".into());
        if scheme != "internet-facing" && scheme != "internal" {
            return Err(invalid(format!(
                "1 validation error detected: Value '{scheme}' at 'scheme' failed to satisfy constraint: Member must satisfy enum value set: [internal, internet-facing]"
            )));
        }
        let ip_address_type = input.ip_address_type.clone().unwrap_or_else(|| "ipv4".into());
        if !["ipv4", "dualstack", "dualstack-without-public-ipv4"].contains(&ip_address_type.as_str()) {
            return Err(invalid(format!(
                "1 validation error detected: Value '{ip_address_type}' at 'ipAddressType' failed to satisfy constraint: Member must satisfy enum value set: [ipv4, dualstack, dualstack-without-public-ipv4]"
            )));
        }
        if kind == LoadBalancerType::Gateway && !input.security_groups.is_empty() {
            return Err(invalid("Security groups are not supported for load balancers with type 'gateway'"));
        }
        if input.security_groups.len() > MAX_SECURITY_GROUPS {
            return Err(invalid(format!("A load balancer can have at most {MAX_SECURITY_GROUPS} security groups")));
        }
        check_tags(&input.tags, &Vec::new())?;
        let placements = self.placements(caller, kind, &input.subnets).await?;
        let subnet_ids: Vec<String> = input.subnets.iter().map(|(id, _)| id.clone()).collect();
        let vpc_id = placements[0].vpc_id.clone();
        let mut wanted_groups = input.security_groups.clone();
        wanted_groups.sort();
        if let Some((existing, _)) = self.load_balancer_record(caller, &input.name).await? {
            return same_or_duplicate(existing, kind, &scheme, &subnet_ids, &wanted_groups);
        }
        let id = crate::ids::hex_lower(8);
        let arn = Self::arn(caller, &format!("loadbalancer/{}/{}/{id}", kind.arn_part(), input.name));
        let description = format!("ELB {}/{}/{id}", kind.arn_part(), input.name);
        let zones = self
            .hold_interfaces(caller, kind, &description, &input.security_groups, &input.subnets, &placements)
            .await?;
        if wanted_groups.is_empty()
            && kind == LoadBalancerType::Application
            && let Some(first) = zones.first()
        {
            wanted_groups = self.interface_groups(caller, &first.interface_id).await?;
        }
        let security_groups = if kind == LoadBalancerType::Gateway { Vec::new() } else { wanted_groups };
        let lb = LoadBalancer {
            dns_name: dns_name(kind, &input.name, &scheme, &caller.region),
            arn,
            name: input.name.clone(),
            id,
            kind,
            scheme,
            vpc_id,
            zones,
            security_groups,
            ip_address_type,
            created_at: self.now(),
            attributes: BTreeMap::new(),
            tags: input.tags.clone(),
        };
        match self.records.create(&Self::key(caller, "loadbalancer", &lb.name), &lb).await {
            Ok(_) => Ok(lb),
            Err(error) => {
                let _ = self.release_interfaces(caller, &lb.zones).await;
                match error {
                    RecordError::Exists(_) => match self.load_balancer_record(caller, &lb.name).await? {
                        Some((existing, _)) => {
                            same_or_duplicate(existing, kind, &lb.scheme, &subnet_ids, &input.security_groups)
                        }
                        None => Err(contended()),
                    },
                    other => Err(other.into()),
                }
            }
        }
    }

    /// Makes a requester-managed network interface in each subnet (`placements` say where they are); on a
    /// failure, the ones made so far go again.
    async fn hold_interfaces(
        &self,
        caller: &Caller,
        kind: LoadBalancerType,
        description: &str,
        groups: &[String],
        subnets: &[(String, Option<String>)],
        placements: &[crate::ec2::SubnetPlacement],
    ) -> Result<Vec<Zone>, Elbv2Error> {
        let mut zones = Vec::new();
        for ((subnet_id, private_ip), placement) in subnets.iter().zip(placements) {
            let request = CreateNetworkInterface {
                subnet_id: Some(subnet_id.clone()),
                description: Some(description.to_owned()),
                private_ip: private_ip.clone(),
                groups: groups.to_vec(),
                interface_type: Some(kind.interface_type().into()),
                requester_managed: true,
                ..CreateNetworkInterface::default()
            };
            let made = self
                .ec2
                .change(caller, &scopes::create_network_interface(Some(subnet_id)), |network, ids| {
                    network.create_network_interface(ids, &request)
                })
                .await;
            match made {
                Ok(eni) => zones.push(Zone {
                    zone_name: placement.availability_zone.clone(),
                    subnet_id: subnet_id.clone(),
                    interface_id: eni.id.clone(),
                    private_ip: private_ip.clone(),
                }),
                Err(error) => {
                    // Nothing is half-made: the interfaces made so far go again (a failure here leaves them to
                    // the refusal's retry, which makes new ones; the refusal is what the caller needs to hear).
                    let _ = self.release_interfaces(caller, &zones).await;
                    return Err(ec2_error(error));
                }
            }
        }
        Ok(zones)
    }

    /// The security groups of a network interface.
    async fn interface_groups(&self, caller: &Caller, eni_id: &str) -> Result<Vec<String>, Elbv2Error> {
        let scope = Scope::new().id(Kind::NetworkInterface, eni_id);
        let groups = self
            .ec2
            .view(caller, &scope, |network| {
                network.network_interfaces.get(eni_id).map(|eni| eni.security_groups.clone())
            })
            .await
            .map_err(ec2_error)?;
        Ok(groups.unwrap_or_default())
    }

    /// Where `subnets` are, checked as a load balancer of `kind` takes them: all of one VPC, one per zone, two
    /// zones at least for an ALB.
    async fn placements(
        &self,
        caller: &Caller,
        kind: LoadBalancerType,
        subnets: &[(String, Option<String>)],
    ) -> Result<Vec<crate::ec2::SubnetPlacement>, Elbv2Error> {
        if subnets.is_empty() {
            return Err(invalid("At least one subnet must be specified"));
        }
        let subnet_ids: Vec<String> = subnets.iter().map(|(id, _)| id.clone()).collect();
        for (n, id) in subnet_ids.iter().enumerate() {
            if subnet_ids[..n].contains(id) {
                return Err(invalid(format!("The subnet '{id}' is specified more than once")));
            }
        }
        let placements = self.ec2.subnet_placements(caller, &subnet_ids).await.map_err(ec2_error)?;
        let vpc_id = placements[0].vpc_id.clone();
        if placements.iter().any(|p| p.vpc_id != vpc_id) {
            return Err(Elbv2Error::InvalidConfiguration("All subnets must belong to the same VPC".into()));
        }
        for (n, placement) in placements.iter().enumerate() {
            if placements[..n].iter().any(|p| p.availability_zone == placement.availability_zone) {
                return Err(Elbv2Error::InvalidConfiguration(format!(
                    "A load balancer cannot be attached to multiple subnets in the same Availability Zone '{}'",
                    placement.availability_zone
                )));
            }
        }
        if kind == LoadBalancerType::Application && placements.len() < 2 {
            return Err(invalid("At least two subnets in two different Availability Zones must be specified"));
        }
        Ok(placements)
    }

    /// SetSubnets: the load balancer's subnets become those given (of its VPC): interfaces are made in the new
    /// ones, then the record written, then the interfaces of the subnets it left deleted.
    pub async fn set_subnets(
        &self,
        caller: &Caller,
        arn: &str,
        subnets: &[(String, Option<String>)],
    ) -> Result<LoadBalancer, Elbv2Error> {
        let lb = self.load_balancer(caller, arn).await?;
        let placements = self.placements(caller, lb.kind, subnets).await?;
        if placements[0].vpc_id != lb.vpc_id {
            return Err(Elbv2Error::InvalidConfiguration(format!(
                "The subnets must belong to the load balancer's VPC '{}'",
                lb.vpc_id
            )));
        }
        let (kept, added): (Vec<_>, Vec<_>) = subnets
            .iter()
            .cloned()
            .zip(placements)
            .partition(|((subnet, _), _)| lb.zones.iter().any(|zone| zone.subnet_id == *subnet));
        let (new_subnets, new_placements): (Vec<_>, Vec<_>) = added.into_iter().unzip();
        let description = format!("ELB {}/{}/{}", lb.kind.arn_part(), lb.name, lb.id);
        let made = self
            .hold_interfaces(caller, lb.kind, &description, &lb.security_groups, &new_subnets, &new_placements)
            .await?;
        let kept: Vec<String> = kept.into_iter().map(|((subnet, _), _)| subnet).collect();
        let mut left = Vec::new();
        let updated = self
            .update_load_balancer(caller, arn, |stored| {
                left = stored.zones.iter().filter(|zone| !kept.contains(&zone.subnet_id)).cloned().collect();
                stored.zones.retain(|zone| kept.contains(&zone.subnet_id));
                stored.zones.extend(made.iter().cloned());
                Ok(())
            })
            .await;
        match updated {
            Ok(lb) => {
                self.release_interfaces(caller, &left).await?;
                Ok(lb)
            }
            Err(error) => {
                let _ = self.release_interfaces(caller, &made).await;
                Err(error)
            }
        }
    }

    /// Deletes the network interfaces of `zones`; one already gone counts as deleted.
    async fn release_interfaces(&self, caller: &Caller, zones: &[Zone]) -> Result<(), Elbv2Error> {
        for zone in zones {
            let eni_id = zone.interface_id.as_str();
            self.ec2
                .change_widening(caller, &scopes::network_interface(eni_id), scopes::interface_parts, |network, _| {
                    network.delete_managed_interface(eni_id)
                })
                .await
                .map_err(|error| Elbv2Error::Internal(error.to_string()))?;
        }
        Ok(())
    }

    /// DescribeLoadBalancers: by ARNs or names (each must exist), else all, by name.
    pub async fn describe_load_balancers(
        &self,
        caller: &Caller,
        arns: &[String],
        names: &[String],
    ) -> Result<Vec<LoadBalancer>, Elbv2Error> {
        if !arns.is_empty() && !names.is_empty() {
            return Err(invalid("Load balancer names and load balancer ARNs cannot be specified at the same time"));
        }
        let mut found = Vec::new();
        for arn in arns {
            found.push(self.load_balancer(caller, arn).await?);
        }
        for name in names {
            match self.load_balancer_record(caller, name).await? {
                Some((lb, _)) => found.push(lb),
                None => {
                    return Err(Elbv2Error::LoadBalancerNotFound(format!("Load balancers '[{name}]' not found")));
                }
            }
        }
        if arns.is_empty() && names.is_empty() {
            found = self.load_balancers(caller).await?;
        }
        Ok(found)
    }

    /// DeleteLoadBalancer: its network interfaces, then the load balancer with its listeners and their rules. An ARN of a load
    /// balancer that does not exist succeeds, as in ELBv2; deletion protection refuses.
    pub async fn delete_load_balancer(&self, caller: &Caller, arn: &str) -> Result<(), Elbv2Error> {
        let name = load_balancer_name(caller, arn)?;
        for _ in 0..ATTEMPTS {
            let Some((lb, revision)) = self.load_balancer_record(caller, &name).await? else { return Ok(()) };
            if lb.arn != arn {
                return Ok(());
            }
            if lb.deletion_protected() {
                return Err(Elbv2Error::OperationNotPermitted(format!(
                    "Load balancer '{arn}' cannot be deleted because deletion protection is enabled"
                )));
            }
            // Its interfaces go first, so that a load balancer record never outlives a refusal to release them;
            // a retry after a failure below finds them gone.
            self.release_interfaces(caller, &lb.zones).await?;
            let key = Self::key(caller, "loadbalancer", &name);
            let mut compares = vec![Compare::unchanged(key.clone(), revision)];
            let mut ops = vec![TxnOp::delete(key)];
            for (listener_key, listener) in self.listener_records_of(caller, &lb).await? {
                compares.push(Compare::unchanged(listener_key.clone(), listener.1));
                ops.push(TxnOp::delete(listener_key));
                for (rule_key, rule_revision) in self.rule_keys_of(caller, &listener.0.id).await? {
                    compares.push(Compare::unchanged(rule_key.clone(), rule_revision));
                    ops.push(TxnOp::delete(rule_key));
                }
            }
            match self.records.txn(compares, ops).await {
                Ok(_) => return Ok(()),
                Err(RecordError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(contended())
    }

    /// Changes a load balancer with `change`, compare-and-swap guarded; returns it as stored.
    async fn update_load_balancer(
        &self,
        caller: &Caller,
        arn: &str,
        mut change: impl FnMut(&mut LoadBalancer) -> Result<(), Elbv2Error>,
    ) -> Result<LoadBalancer, Elbv2Error> {
        for _ in 0..ATTEMPTS {
            let (mut lb, revision) = self.load_balancer_by_arn(caller, arn).await?;
            change(&mut lb)?;
            match self.records.update(&Self::key(caller, "loadbalancer", &lb.name), &lb, revision).await {
                Ok(_) => return Ok(lb),
                Err(RecordError::Conflict(_) | RecordError::NotFound(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(contended())
    }

    /// ModifyLoadBalancerAttributes: every key must be one of the load balancer's type; returns all of them.
    pub async fn modify_load_balancer_attributes(
        &self,
        caller: &Caller,
        arn: &str,
        attributes: &[(String, String)],
    ) -> Result<Vec<(String, String)>, Elbv2Error> {
        let lb = self
            .update_load_balancer(caller, arn, |lb| {
                let known = load_balancer_attribute_defaults(lb.kind, &lb.scheme);
                for (key, value) in attributes {
                    if !known.iter().any(|(k, _)| k == key) {
                        return Err(invalid(format!("Load balancer attribute key '{key}' is not recognized")));
                    }
                    check_attribute(key, value, "Load balancer")?;
                    lb.attributes.insert(key.clone(), value.clone());
                }
                Ok(())
            })
            .await?;
        Ok(lb.attributes())
    }

    /// SetSecurityGroups: the load balancer's groups, and its interfaces' (groups of its VPC).
    pub async fn set_security_groups(
        &self,
        caller: &Caller,
        arn: &str,
        groups: &[String],
    ) -> Result<Vec<String>, Elbv2Error> {
        let lb = self.load_balancer(caller, arn).await?;
        if lb.kind == LoadBalancerType::Gateway {
            return Err(invalid("Security groups are not supported for load balancers with type 'gateway'"));
        }
        if groups.len() > MAX_SECURITY_GROUPS {
            return Err(invalid(format!("A load balancer can have at most {MAX_SECURITY_GROUPS} security groups")));
        }
        for zone in &lb.zones {
            let eni_id = zone.interface_id.clone();
            let change = crate::ec2::interfaces::InterfaceChange::Groups(groups.to_vec());
            self.ec2
                .change_widening(
                    caller,
                    &scopes::network_interface(&eni_id).all(Kind::SecurityGroup),
                    scopes::interface_parts,
                    |network, _| network.modify_network_interface_attribute(&eni_id, change.clone()),
                )
                .await
                .map_err(ec2_error)?;
        }
        let lb = self
            .update_load_balancer(caller, arn, |lb| {
                lb.security_groups = groups.to_vec();
                Ok(())
            })
            .await?;
        Ok(lb.security_groups)
    }

    /// SetIpAddressType.
    pub async fn set_ip_address_type(&self, caller: &Caller, arn: &str, value: &str) -> Result<String, Elbv2Error> {
        if !["ipv4", "dualstack", "dualstack-without-public-ipv4"].contains(&value) {
            return Err(invalid(format!(
                "1 validation error detected: Value '{value}' at 'ipAddressType' failed to satisfy constraint: Member must satisfy enum value set: [ipv4, dualstack, dualstack-without-public-ipv4]"
            )));
        }
        let lb = self
            .update_load_balancer(caller, arn, |lb| {
                lb.ip_address_type = value.to_owned();
                Ok(())
            })
            .await?;
        Ok(lb.ip_address_type)
    }

    // Target groups.

    async fn target_group_record(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<Option<(TargetGroup, store::Revision)>, Elbv2Error> {
        let found = self.records.get::<TargetGroup>(&Self::key(caller, "targetgroup", name)).await?;
        Ok(found.map(|stored| (stored.value, stored.revision)))
    }

    async fn target_group_by_arn(
        &self,
        caller: &Caller,
        arn: &str,
    ) -> Result<(TargetGroup, store::Revision), Elbv2Error> {
        let name = target_group_name(caller, arn)?;
        match self.target_group_record(caller, &name).await? {
            Some((group, revision)) if group.arn == arn => Ok((group, revision)),
            _ => Err(Elbv2Error::TargetGroupNotFound(format!("Target groups '{arn}' not found"))),
        }
    }

    /// A target group by ARN, or `TargetGroupNotFound`.
    pub async fn target_group(&self, caller: &Caller, arn: &str) -> Result<TargetGroup, Elbv2Error> {
        Ok(self.target_group_by_arn(caller, arn).await?.0)
    }

    /// Every target group of the caller's region, by name.
    pub async fn target_groups(&self, caller: &Caller) -> Result<Vec<TargetGroup>, Elbv2Error> {
        let prefix = Self::key(caller, "targetgroup", "");
        Ok(self.records.list::<TargetGroup>(&prefix).await?.into_iter().map(|stored| stored.value).collect())
    }

    /// CreateTargetGroup: the group with its protocol's health check defaults; the same name with the same
    /// settings answers the existing one.
    pub async fn create_target_group(
        &self,
        caller: &Caller,
        input: CreateTargetGroup,
    ) -> Result<TargetGroup, Elbv2Error> {
        check_name(&input.name, "Target group")?;
        let target_type = input.target_type.clone().unwrap_or_else(|| "instance".into());
        if !["instance", "ip", "lambda", "alb"].contains(&target_type.as_str()) {
            return Err(invalid(format!(
                "1 validation error detected: Value '{target_type}' at 'targetType' failed to satisfy constraint: Member must satisfy enum value set: [instance, ip, lambda, alb]"
            )));
        }
        let lambda = target_type == "lambda";
        let protocol = input.protocol.clone();
        if let Some(protocol) = &protocol
            && !["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE"].contains(&protocol.as_str())
        {
            return Err(invalid(format!(
                "1 validation error detected: Value '{protocol}' at 'protocol' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP, GENEVE]"
            )));
        }
        if lambda {
            if protocol.is_some() || input.port.is_some() || input.vpc_id.is_some() {
                return Err(invalid(
                    "A protocol, port and VPC ID cannot be specified for target groups with target type 'lambda'",
                ));
            }
        } else {
            if protocol.is_none() {
                return Err(invalid("A protocol must be specified"));
            }
            if input.port.is_none() {
                return Err(invalid("A port must be specified"));
            }
            if input.vpc_id.is_none() {
                return Err(invalid("A VPC ID must be specified"));
            }
        }
        let port = match input.port {
            None => None,
            Some(port @ 1..=65535) => Some(port as u16),
            Some(port) => {
                return Err(invalid(format!(
                    "1 validation error detected: Value '{port}' at 'port' failed to satisfy constraint: Member must have value between 1 and 65535"
                )));
            }
        };
        if let Some(vpc_id) = &input.vpc_id {
            let scope = Scope::new().id(Kind::Vpc, vpc_id);
            let exists = self.ec2.view(caller, &scope, |network| network.vpcs.get(vpc_id).is_some()).await;
            if !exists.map_err(ec2_error)? {
                return Err(invalid(format!("The VPC ID '{vpc_id}' is not found")));
            }
        }
        let http = matches!(protocol.as_deref(), Some("HTTP" | "HTTPS"));
        // An empty version is no version (Terraform sends one for every protocol).
        let version = input.protocol_version.clone().filter(|version| !version.is_empty());
        let protocol_version = match (&version, http) {
            (Some(version), true) if ["HTTP1", "HTTP2", "GRPC"].contains(&version.to_uppercase().as_str()) => {
                Some(version.to_uppercase())
            }
            (Some(version), true) => return Err(invalid(format!("Protocol version '{version}' is not supported"))),
            (Some(_), false) => {
                return Err(invalid("A protocol version can only be specified for HTTP and HTTPS target groups"));
            }
            (None, true) => Some("HTTP1".to_owned()),
            (None, false) => None,
        };
        let health_check = health_check(
            &HealthCheck::default(),
            &input.health_check,
            protocol.as_deref(),
            protocol_version.as_deref(),
            lambda,
            true,
        )?;
        check_tags(&input.tags, &Vec::new())?;
        let id = crate::ids::hex_lower(8);
        let group = TargetGroup {
            arn: Self::arn(caller, &format!("targetgroup/{}/{id}", input.name)),
            name: input.name.clone(),
            id,
            protocol,
            protocol_version,
            port,
            vpc_id: input.vpc_id.clone(),
            target_type,
            ip_address_type: if lambda {
                None
            } else {
                Some(input.ip_address_type.clone().unwrap_or_else(|| "ipv4".into()))
            },
            health_check,
            attributes: BTreeMap::new(),
            tags: input.tags.clone(),
            targets: Vec::new(),
        };
        let key = Self::key(caller, "targetgroup", &group.name);
        match self.records.create(&key, &group).await {
            Ok(_) => Ok(group),
            Err(RecordError::Exists(_)) => {
                let Some((existing, _)) = self.target_group_record(caller, &group.name).await? else {
                    return Err(contended());
                };
                let same = existing.protocol == group.protocol
                    && existing.port == group.port
                    && existing.vpc_id == group.vpc_id
                    && existing.target_type == group.target_type
                    && existing.health_check == group.health_check;
                if same {
                    Ok(existing)
                } else {
                    Err(Elbv2Error::DuplicateTargetGroupName(format!(
                        "A target group with the same name '{}' exists, but with different settings",
                        group.name
                    )))
                }
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Changes a target group with `change`, compare-and-swap guarded; returns it as stored.
    async fn update_target_group(
        &self,
        caller: &Caller,
        arn: &str,
        mut change: impl FnMut(&mut TargetGroup) -> Result<(), Elbv2Error>,
    ) -> Result<TargetGroup, Elbv2Error> {
        for _ in 0..ATTEMPTS {
            let (mut group, revision) = self.target_group_by_arn(caller, arn).await?;
            change(&mut group)?;
            match self.records.update(&Self::key(caller, "targetgroup", &group.name), &group, revision).await {
                Ok(_) => return Ok(group),
                Err(RecordError::Conflict(_) | RecordError::NotFound(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(contended())
    }

    /// ModifyTargetGroup: its health check settings.
    pub async fn modify_target_group(
        &self,
        caller: &Caller,
        arn: &str,
        input: &HealthCheckInput,
    ) -> Result<TargetGroup, Elbv2Error> {
        self.update_target_group(caller, arn, |group| {
            group.health_check = health_check(
                &group.health_check,
                input,
                group.protocol.as_deref(),
                group.protocol_version.as_deref(),
                group.target_type == "lambda",
                false,
            )?;
            Ok(())
        })
        .await
    }

    /// ModifyTargetGroupAttributes: every key must be one of the group's; returns all of them.
    pub async fn modify_target_group_attributes(
        &self,
        caller: &Caller,
        arn: &str,
        attributes: &[(String, String)],
    ) -> Result<Vec<(String, String)>, Elbv2Error> {
        let group = self
            .update_target_group(caller, arn, |group| {
                let known = target_group_attribute_defaults(group);
                for (key, value) in attributes {
                    if !known.iter().any(|(k, _)| k == key) {
                        return Err(invalid(format!("Target group attribute key '{key}' is not recognized")));
                    }
                    check_attribute(key, value, "Target group")?;
                    group.attributes.insert(key.clone(), value.clone());
                }
                Ok(())
            })
            .await?;
        Ok(group.attributes())
    }

    /// The ARNs of the load balancers whose listeners or rules forward to each target group, by group ARN.
    pub async fn target_group_users(&self, caller: &Caller) -> Result<BTreeMap<String, Vec<String>>, Elbv2Error> {
        let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let listeners = self.all_listeners(caller).await?;
        let rules = self.all_rules(caller).await?;
        let mut add = |group: &str, lb: &str| {
            let entry = users.entry(group.to_owned()).or_default();
            if !entry.iter().any(|known| known == lb) {
                entry.push(lb.to_owned());
            }
        };
        for listener in &listeners {
            for group in listener.default_actions.iter().flat_map(Action::target_groups) {
                add(group, &listener.load_balancer_arn);
            }
        }
        for rule in &rules {
            let Some(listener) = listeners.iter().find(|l| l.arn == rule.listener_arn) else { continue };
            for group in rule.actions.iter().flat_map(Action::target_groups) {
                add(group, &listener.load_balancer_arn);
            }
        }
        Ok(users)
    }

    /// DeleteTargetGroup: refused while a listener or rule forwards to it; an ARN of no group succeeds.
    pub async fn delete_target_group(&self, caller: &Caller, arn: &str) -> Result<(), Elbv2Error> {
        let name = target_group_name(caller, arn)?;
        let Some((group, revision)) = self.target_group_record(caller, &name).await? else { return Ok(()) };
        if group.arn != arn {
            return Ok(());
        }
        if self.target_group_users(caller).await?.contains_key(arn) {
            return Err(Elbv2Error::ResourceInUse(format!(
                "Target group '{arn}' is currently in use by a listener or a rule"
            )));
        }
        match self.records.delete(&Self::key(caller, "targetgroup", &name), Some(revision)).await {
            Ok(()) | Err(RecordError::NotFound(_)) => Ok(()),
            Err(RecordError::Conflict(_)) => Err(contended()),
            Err(error) => Err(error.into()),
        }
    }

    /// Checks targets to register in `group`: instances must be running in its VPC, addresses inside its VPC's
    /// blocks unless their zone is `all`, ports 1 to 65535 (the group's port when none is given).
    async fn checked_targets(
        &self,
        caller: &Caller,
        group: &TargetGroup,
        targets: &[TargetInput],
    ) -> Result<Vec<(String, Option<u16>, Option<String>)>, Elbv2Error> {
        let mut checked = Vec::new();
        for target in targets {
            if target.id.is_empty() || target.id.contains('\0') {
                return Err(invalid("A target ID must be specified"));
            }
            let port = match (target.port, group.target_type.as_str()) {
                (Some(_), "lambda") => return Err(invalid("A port cannot be specified for targets of type 'lambda'")),
                (None, "lambda") => None,
                (Some(port @ 1..=65535), _) => Some(port as u16),
                (Some(port), _) => {
                    return Err(invalid(format!(
                        "1 validation error detected: Value '{port}' at 'targets.member.port' failed to satisfy constraint: Member must have value between 1 and 65535"
                    )));
                }
                (None, _) => match group.port {
                    Some(port) => Some(port),
                    None => return Err(invalid("A port must be specified")),
                },
            };
            checked.push((target.id.clone(), port, target.availability_zone.clone()));
        }
        let vpc_id = group.vpc_id.clone().unwrap_or_default();
        match group.target_type.as_str() {
            "instance" => {
                let ids: Vec<String> = checked.iter().map(|(id, _, _)| id.clone()).collect();
                let scope = Scope::new().ids(Kind::Instance, ids.iter().cloned());
                let problems = self
                    .ec2
                    .view(caller, &scope, |network| {
                        ids.iter()
                            .filter_map(|id| match network.instances.get(id) {
                                None => Some(format!("The following targets are not valid instances: '{id}'")),
                                Some(i) if i.state != InstanceState::Running => Some(format!(
                                    "The following targets are not in a running state and cannot be registered: '{id}'"
                                )),
                                Some(i) if i.vpc_id != vpc_id => Some(format!(
                                    "The following targets are not in the target group VPC '{vpc_id}': '{id}'"
                                )),
                                Some(_) => None,
                            })
                            .next()
                    })
                    .await
                    .map_err(ec2_error)?;
                if let Some(problem) = problems {
                    return Err(Elbv2Error::InvalidTarget(problem));
                }
            }
            "ip" => {
                let scope = Scope::new().id(Kind::Vpc, &vpc_id);
                let blocks = self
                    .ec2
                    .view(caller, &scope, |network| network.vpcs.get(&vpc_id).map(|vpc| vpc.associated_blocks()))
                    .await
                    .map_err(ec2_error)?
                    .unwrap_or_default();
                for (id, _, zone) in &checked {
                    let Ok(address) = id.parse::<Ipv4Addr>() else {
                        return Err(Elbv2Error::InvalidTarget(format!(
                            "The IP address '{id}' is not a valid IPv4 address"
                        )));
                    };
                    if zone.as_deref() != Some("all")
                        && !blocks.iter().any(|block: &Cidr| block.offset_of(address).is_some())
                    {
                        return Err(Elbv2Error::InvalidTarget(format!(
                            "The IP address '{id}' is not within the CIDR blocks of the target group's VPC '{vpc_id}'"
                        )));
                    }
                }
            }
            _ => {}
        }
        Ok(checked)
    }

    /// RegisterTargets: each target (id and port) joins the group, or is registered again (which ends its
    /// draining).
    pub async fn register_targets(
        &self,
        caller: &Caller,
        arn: &str,
        targets: &[TargetInput],
    ) -> Result<(), Elbv2Error> {
        if targets.is_empty() {
            return Err(invalid("At least one target must be specified"));
        }
        let group = self.target_group(caller, arn).await?;
        let checked = self.checked_targets(caller, &group, targets).await?;
        let now = self.now();
        self.update_target_group(caller, arn, |group| {
            let delay = group.deregistration_delay();
            group.targets.retain(|t| t.deregistered_at.is_none_or(|at| now < at + delay));
            for (id, port, zone) in &checked {
                match group.targets.iter_mut().find(|t| t.id == *id && t.port == *port) {
                    Some(existing) if existing.deregistered_at.is_some() => {
                        existing.deregistered_at = None;
                        existing.registered_at = now;
                        existing.health = None;
                    }
                    Some(_) => {}
                    None => group.targets.push(Target {
                        id: id.clone(),
                        port: *port,
                        availability_zone: zone.clone(),
                        registered_at: now,
                        deregistered_at: None,
                        health: None,
                    }),
                }
            }
            if group.targets.len() > MAX_TARGETS {
                return Err(Elbv2Error::TooManyTargets(format!(
                    "You've reached the limit on the number of targets registered to target group '{}'",
                    group.name
                )));
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// DeregisterTargets: each target drains for the group's deregistration delay, or goes at once when nothing
    /// forwards to the group. A target that is not registered is `InvalidTarget`.
    pub async fn deregister_targets(
        &self,
        caller: &Caller,
        arn: &str,
        targets: &[TargetInput],
    ) -> Result<(), Elbv2Error> {
        if targets.is_empty() {
            return Err(invalid("At least one target must be specified"));
        }
        let used = self.target_group_users(caller).await?.contains_key(arn);
        let now = self.now();
        self.update_target_group(caller, arn, |group| {
            let delay = group.deregistration_delay();
            group.targets.retain(|t| t.deregistered_at.is_none_or(|at| now < at + delay));
            for target in targets {
                let port = target.port.and_then(|p| u16::try_from(p).ok()).or(group.port);
                let found = group.targets.iter().position(|t| {
                    t.id == target.id && (target.port.is_none() || t.port == port) && t.deregistered_at.is_none()
                });
                match found {
                    Some(index) if used && delay > 0.0 => group.targets[index].deregistered_at = Some(now),
                    Some(index) => {
                        group.targets.remove(index);
                    }
                    None => {
                        return Err(Elbv2Error::InvalidTarget(format!(
                            "The following targets are not registered in target group '{}': '{}'",
                            group.name, target.id
                        )));
                    }
                }
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// DescribeTargetHealth: every live target of the group (or those named, which need not be registered:
    /// they read `unavailable`... as `Target.NotRegistered`), with its health now.
    pub async fn describe_target_health(
        &self,
        caller: &Caller,
        arn: &str,
        targets: &[TargetInput],
    ) -> Result<Vec<(Target, TargetHealth)>, Elbv2Error> {
        let group = self.target_group(caller, arn).await?;
        let used = self.target_group_users(caller).await?.contains_key(arn);
        let now = self.now();
        let live: Vec<&Target> = group.live_targets(now).collect();
        if targets.is_empty() {
            return Ok(live.into_iter().map(|t| (t.clone(), group.health_of(t, used, now))).collect());
        }
        let mut found = Vec::new();
        for wanted in targets {
            let port = wanted.port.and_then(|p| u16::try_from(p).ok());
            let matching: Vec<&&Target> =
                live.iter().filter(|t| t.id == wanted.id && (port.is_none() || t.port == port)).collect();
            if matching.is_empty() {
                let target = Target {
                    id: wanted.id.clone(),
                    port: port.or(group.port),
                    availability_zone: wanted.availability_zone.clone(),
                    registered_at: now,
                    deregistered_at: None,
                    health: None,
                };
                let health = TargetHealth::new(
                    "unused",
                    Some("Target.NotRegistered"),
                    Some("Target is not registered to the target group"),
                );
                found.push((target, health));
            }
            for target in matching {
                found.push(((*target).clone(), group.health_of(target, used, now)));
            }
        }
        Ok(found)
    }

    /// Sets the health of a registered target, as the data plane sees it (`healthy`, `unhealthy`, `draining`,
    /// `initial`, with a reason code such as `Target.FailedHealthChecks`); `None` hands it back to the
    /// registration clock. The API never calls this: nothing there probes targets.
    pub async fn set_target_health(
        &self,
        caller: &Caller,
        arn: &str,
        target_id: &str,
        port: Option<u16>,
        health: Option<TargetHealth>,
    ) -> Result<(), Elbv2Error> {
        if let Some(health) = &health
            && !["initial", "healthy", "unhealthy", "draining", "unavailable"].contains(&health.state.as_str())
        {
            return Err(invalid(format!("'{}' is not a target health state", health.state)));
        }
        self.update_target_group(caller, arn, |group| {
            let mut found = false;
            for target in group.targets.iter_mut().filter(|t| t.id == target_id && (port.is_none() || t.port == port)) {
                target.health = health.clone();
                found = true;
            }
            if found {
                Ok(())
            } else {
                Err(Elbv2Error::InvalidTarget(format!(
                    "The following targets are not registered in target group '{}': '{target_id}'",
                    group.name
                )))
            }
        })
        .await?;
        Ok(())
    }

    // Tags.

    fn tagged(caller: &Caller, arn: &str) -> Result<Tagged, Elbv2Error> {
        match arn_parts(arn, caller) {
            Some(("loadbalancer", parts)) if parts.len() == 3 => Ok(Tagged::LoadBalancer(parts[1].to_owned())),
            Some(("targetgroup", parts)) if parts.len() == 2 => Ok(Tagged::TargetGroup(parts[0].to_owned())),
            Some(("listener", parts)) if parts.len() == 4 => Ok(Tagged::Listener(parts[3].to_owned())),
            Some(("listener-rule", parts)) if parts.len() == 5 => Ok(Tagged::Rule(parts[4].to_owned())),
            _ => Err(invalid(format!("The ARN '{arn}' is not a valid resource ARN"))),
        }
    }

    /// The tags of a resource by ARN.
    pub async fn tags(&self, caller: &Caller, arn: &str) -> Result<Tags, Elbv2Error> {
        Ok(match Self::tagged(caller, arn)? {
            Tagged::LoadBalancer(_) => self.load_balancer(caller, arn).await?.tags,
            Tagged::TargetGroup(_) => self.target_group(caller, arn).await?.tags,
            Tagged::Listener(_) => self.listener(caller, arn).await?.tags,
            Tagged::Rule(_) => self.rule(caller, arn).await?.tags,
        })
    }

    /// Changes the tags of a resource by ARN with `change`, compare-and-swap guarded.
    async fn retag(
        &self,
        caller: &Caller,
        arn: &str,
        change: impl Fn(&mut Tags) -> Result<(), Elbv2Error>,
    ) -> Result<(), Elbv2Error> {
        match Self::tagged(caller, arn)? {
            Tagged::LoadBalancer(_) => {
                self.update_load_balancer(caller, arn, |lb| change(&mut lb.tags)).await?;
            }
            Tagged::TargetGroup(_) => {
                self.update_target_group(caller, arn, |group| change(&mut group.tags)).await?;
            }
            Tagged::Listener(_) => {
                self.update_listener(caller, arn, |listener| change(&mut listener.tags)).await?;
            }
            Tagged::Rule(_) => {
                self.update_rule(caller, arn, |rule| change(&mut rule.tags)).await?;
            }
        }
        Ok(())
    }

    /// AddTags: to each resource (all are checked before any is tagged).
    pub async fn add_tags(&self, caller: &Caller, arns: &[String], tags: &Tags) -> Result<(), Elbv2Error> {
        for arn in arns {
            check_tags(tags, &self.tags(caller, arn).await?)?;
        }
        for arn in arns {
            self.retag(caller, arn, |existing| {
                check_tags(tags, existing)?;
                merge_tags(existing, tags);
                Ok(())
            })
            .await?;
        }
        Ok(())
    }

    /// RemoveTags: from each resource; keys it lacks are ignored.
    pub async fn remove_tags(&self, caller: &Caller, arns: &[String], keys: &[String]) -> Result<(), Elbv2Error> {
        for arn in arns {
            self.tags(caller, arn).await?;
        }
        for arn in arns {
            self.retag(caller, arn, |existing| {
                existing.retain(|(key, _)| !keys.contains(key));
                Ok(())
            })
            .await?;
        }
        Ok(())
    }
}

/// The existing load balancer when its settings are the ones asked for, else `DuplicateLoadBalancerName`.
fn same_or_duplicate(
    existing: LoadBalancer,
    kind: LoadBalancerType,
    scheme: &str,
    subnets: &[String],
    groups: &[String],
) -> Result<LoadBalancer, Elbv2Error> {
    let mut have: Vec<&String> = existing.zones.iter().map(|z| &z.subnet_id).collect();
    let mut want: Vec<&String> = subnets.iter().collect();
    have.sort();
    want.sort();
    let mut have_groups = existing.security_groups.clone();
    have_groups.sort();
    let mut want_groups = groups.to_vec();
    want_groups.sort();
    let same = existing.kind == kind
        && existing.scheme == scheme
        && have == want
        && (want_groups.is_empty() || have_groups == want_groups);
    if same {
        Ok(existing)
    } else {
        Err(Elbv2Error::DuplicateLoadBalancerName(format!(
            "A load balancer with the same name '{}' exists, but with different settings",
            existing.name
        )))
    }
}

/// The DNS name AWS gives a load balancer: `<name>-<digits>.<region>.elb.amazonaws.com` for ALBs (prefixed
/// `internal-` when internal) and `<name>-<hex>.elb.<region>.amazonaws.com` for NLBs and GWLBs.
pub fn dns_name(kind: LoadBalancerType, name: &str, scheme: &str, region: &str) -> String {
    let internal = if scheme == "internal" { "internal-" } else { "" };
    match kind {
        LoadBalancerType::Application => format!("{internal}{name}-{}.{region}.elb.amazonaws.com", dns_digits()),
        LoadBalancerType::Network | LoadBalancerType::Gateway => {
            format!("{internal}{name}-{}.elb.{region}.amazonaws.com", crate::ids::hex_lower(8))
        }
    }
}

/// The ten random digits of an ALB's or a Classic load balancer's DNS name.
pub(crate) fn dns_digits() -> String {
    crate::ids::hex_lower(5).bytes().map(|b| char::from(b'0' + b % 10)).take(10).collect()
}

/// A health check from `input` over `current` (or, `fresh`, over the protocol's defaults), checked.
fn health_check(
    current: &HealthCheck,
    input: &HealthCheckInput,
    protocol: Option<&str>,
    protocol_version: Option<&str>,
    lambda: bool,
    fresh: bool,
) -> Result<HealthCheck, Elbv2Error> {
    let defaults = if fresh { default_health_check(protocol, protocol_version, lambda) } else { current.clone() };
    let check_protocol = input.protocol.clone().or(defaults.protocol.clone());
    if let Some(p) = &check_protocol
        && !["HTTP", "HTTPS", "TCP"].contains(&p.as_str())
    {
        return Err(invalid(format!(
            "1 validation error detected: Value '{p}' at 'healthCheckProtocol' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, HTTPS, TCP]"
        )));
    }
    let http_check = matches!(check_protocol.as_deref(), Some("HTTP" | "HTTPS")) || lambda;
    let range = |value: Option<i64>, fallback: u32, low: i64, high: i64, name: &str| -> Result<u32, Elbv2Error> {
        match value {
            None => Ok(fallback),
            Some(n) if (low..=high).contains(&n) => Ok(n as u32),
            Some(n) => Err(invalid(format!(
                "1 validation error detected: Value '{n}' at '{name}' failed to satisfy constraint: Member must have value between {low} and {high}"
            ))),
        }
    };
    if let Some(port) = &input.port
        && port != "traffic-port"
        && !port.parse::<u16>().is_ok_and(|p| p >= 1)
    {
        return Err(invalid(format!("Health check port '{port}' must be 'traffic-port' or a number from 1 to 65535")));
    }
    if input.path.is_some() && !http_check {
        return Err(invalid("Health check path can only be specified for HTTP and HTTPS health checks"));
    }
    if let Some(path) = &input.path
        && (!path.starts_with('/') || path.len() > 1024)
    {
        return Err(invalid("Health check path must begin with a '/' character, and can be at most 1024 characters"));
    }
    let interval = range(input.interval_seconds, defaults.interval_seconds, 5, 300, "healthCheckIntervalSeconds")?;
    let timeout = range(input.timeout_seconds, defaults.timeout_seconds, 2, 120, "healthCheckTimeoutSeconds")?;
    if timeout >= interval {
        return Err(invalid("Health check interval must be greater than the timeout."));
    }
    let mut http_code = input.http_code.clone().or(defaults.http_code.clone());
    if !http_check && protocol_version != Some("GRPC") {
        http_code = None;
    } else if http_code.is_none() && protocol_version != Some("GRPC") {
        http_code =
            Some(if matches!(protocol, Some("TCP" | "TLS" | "UDP" | "TCP_UDP")) { "200-399" } else { "200" }.into());
    }
    Ok(HealthCheck {
        enabled: input.enabled.unwrap_or(defaults.enabled),
        port: input.port.clone().or(defaults.port.clone()),
        path: if http_check { input.path.clone().or(defaults.path.clone()).or(Some("/".into())) } else { None },
        interval_seconds: interval,
        timeout_seconds: timeout,
        healthy_threshold: range(input.healthy_threshold, defaults.healthy_threshold, 2, 10, "healthyThresholdCount")?,
        unhealthy_threshold: range(
            input.unhealthy_threshold,
            defaults.unhealthy_threshold,
            2,
            10,
            "unhealthyThresholdCount",
        )?,
        http_code,
        grpc_code: input.grpc_code.clone().or(defaults.grpc_code.clone()),
        protocol: check_protocol,
    })
}

/// The health check a new target group gets, per protocol, as CreateTargetGroup documents it.
fn default_health_check(protocol: Option<&str>, protocol_version: Option<&str>, lambda: bool) -> HealthCheck {
    if lambda {
        return HealthCheck {
            enabled: false,
            protocol: None,
            port: None,
            path: Some("/".into()),
            interval_seconds: 35,
            timeout_seconds: 30,
            healthy_threshold: 5,
            unhealthy_threshold: 2,
            http_code: Some("200".into()),
            grpc_code: None,
        };
    }
    let (check_protocol, timeout, interval) = match protocol {
        Some("HTTP") => ("HTTP", 5, 30),
        Some("HTTPS") => ("HTTPS", 5, 30),
        Some("GENEVE") => ("TCP", 5, 10),
        _ => ("TCP", 10, 30),
    };
    let grpc = protocol_version == Some("GRPC");
    HealthCheck {
        enabled: true,
        protocol: Some(check_protocol.into()),
        port: Some("traffic-port".into()),
        path: if matches!(protocol, Some("HTTP" | "HTTPS")) {
            Some(if grpc { "/AWS.ALB/healthcheck" } else { "/" }.into())
        } else {
            None
        },
        interval_seconds: interval,
        timeout_seconds: timeout,
        healthy_threshold: 5,
        unhealthy_threshold: 2,
        http_code: None,
        grpc_code: if grpc { Some("12".into()) } else { None },
    }
}

#[cfg(test)]
mod tests;

//! EC2 Fleet: CreateFleet of type `instant`, the call Karpenter and EKS Auto Mode launch every node with. A fleet
//! names launch templates and, for each, overrides (an instance type in a subnet or zone, with a priority and a
//! spot maximum price); EC2 orders the candidates by the allocation strategy and launches the target capacity from
//! the first that have room, answering the instances it launched per override and an error per override that
//! failed.
//!
//! Each instance is launched as RunInstances launches one ([`Network::launch_instance`]): the launch template
//! version's image, user data, key, instance profile and security groups, the template's instance tags under the
//! request's, and the tags EC2 adds (`aws:ec2launchtemplate:id`, `aws:ec2launchtemplate:version`,
//! `aws:ec2:fleet-id`). A subnet without a free address is EC2 without capacity there:
//! `InsufficientInstanceCapacity` for that override, and the next one is tried. Spot capacity is priced as the
//! instance type table says ([`super::instance_types::SPOT_FRACTION`] of on-demand); an override whose `MaxPrice`
//! is under it fails with `SpotMaxPriceTooLow`.
//!
//! Fleets of type `request` and `maintain` (EC2 keeping a capacity over time) are refused with
//! `UnsupportedOperation`; an instant fleet is not kept, so DescribeFleets has nothing to show (its instances carry
//! its id). A `ClientToken` used again answers the instances it launched, launching nothing.
//!
//! Allocation strategies: `lowest-price` (and, having no capacity pools to weigh, `price-capacity-optimized`,
//! `capacity-optimized` and `diversified`) take the cheapest first; `prioritized` and
//! `capacity-optimized-prioritized` take the lowest `Priority` first, price breaking ties.

use super::instance_types::instance_type;
use super::instances::{Launch, TemplateRef};
use super::network::IdSource;
use super::templates::TemplateName;
use super::{Ec2Error, Network, Tags};

/// The most overrides a fleet takes, over all its launch template configurations.
pub const MAX_OVERRIDES: usize = 300;

/// The on-demand allocation strategies EC2 Fleet takes.
pub const ON_DEMAND_STRATEGIES: &[&str] = &["lowest-price", "prioritized"];

/// The spot allocation strategies EC2 Fleet takes.
pub const SPOT_STRATEGIES: &[&str] = &[
    "lowest-price",
    "diversified",
    "capacity-optimized",
    "capacity-optimized-prioritized",
    "price-capacity-optimized",
];

/// A launch template as a fleet names it (`LaunchTemplateSpecification`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetTemplate {
    pub id: Option<String>,
    pub name: Option<String>,
    /// A number, `$Latest` or `$Default`; the default version when absent.
    pub version: Option<String>,
}

/// One override of a launch template configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FleetOverride {
    pub instance_type: Option<String>,
    pub subnet_id: Option<String>,
    pub availability_zone: Option<String>,
    /// Lower is first under `prioritized`.
    pub priority: Option<f64>,
    /// Dollars per hour, for spot capacity.
    pub max_price: Option<f64>,
    pub image_id: Option<String>,
}

/// A launch template and its overrides (`FleetLaunchTemplateConfigRequest`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FleetConfig {
    pub template: FleetTemplate,
    /// None: one candidate, the template's own settings.
    pub overrides: Vec<FleetOverride>,
}

/// What CreateFleet asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateFleet {
    /// `instant`, `request` or `maintain`.
    pub fleet_type: String,
    pub configs: Vec<FleetConfig>,
    pub total_target_capacity: u32,
    pub on_demand_target_capacity: Option<u32>,
    pub spot_target_capacity: Option<u32>,
    /// `on-demand` or `spot`.
    pub default_target_capacity_type: String,
    pub on_demand_allocation_strategy: Option<String>,
    pub spot_allocation_strategy: Option<String>,
    /// Tags of the instances (`TagSpecification` `instance`).
    pub instance_tags: Tags,
    pub client_token: Option<String>,
    /// Seconds a launched instance stays `pending`.
    pub boot_seconds: f64,
}

/// Which launch template and override an instance or an error is for, as EC2 echoes them
/// (`LaunchTemplateAndOverrides`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateAndOverride {
    pub template_id: String,
    pub template_name: String,
    /// The version as the request gave it (`$Latest`), or the default version's number.
    pub version: String,
    pub overrides: Option<FleetOverride>,
}

/// Instances a fleet launched from one override.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetInstances {
    pub launched_from: TemplateAndOverride,
    /// `on-demand` or `spot`.
    pub lifecycle: String,
    pub instance_type: String,
    pub instance_ids: Vec<String>,
}

/// Why an override launched nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetFailure {
    /// `InsufficientInstanceCapacity`: no room (no free address in the subnet).
    InsufficientCapacity(String),
    /// `SpotMaxPriceTooLow`.
    SpotMaxPriceTooLow(String),
    /// Another EC2 error, with its code.
    Refused(Ec2Error),
}

/// An override that launched nothing (`CreateFleetError`).
#[derive(Debug, Clone, PartialEq)]
pub struct FleetError {
    pub launched_from: TemplateAndOverride,
    pub lifecycle: String,
    pub failure: FleetFailure,
}

/// What CreateFleet answers.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedFleet {
    /// `fleet-` and a UUID.
    pub fleet_id: String,
    pub instances: Vec<FleetInstances>,
    pub errors: Vec<FleetError>,
}

impl CreatedFleet {
    /// Every instance launched.
    pub fn instance_ids(&self) -> impl Iterator<Item = &String> {
        self.instances.iter().flat_map(|group| group.instance_ids.iter())
    }
}

/// The tag EC2 puts on a fleet's instances.
pub const FLEET_ID_TAG: &str = "aws:ec2:fleet-id";

impl CreateFleet {
    /// The checks EC2 makes of a request before it looks at anything else.
    pub fn check(&self) -> Result<(), Ec2Error> {
        match self.fleet_type.as_str() {
            "instant" => {}
            "request" | "maintain" => {
                return Err(Ec2Error::Unsupported(format!(
                    "Fleets of type '{}' are not supported; use type 'instant'.",
                    self.fleet_type
                )));
            }
            other => {
                return Err(Ec2Error::InvalidParameterValue(format!(
                    "Value ({}) for parameter Type is invalid. Valid values are: instant, request, maintain.",
                    other.escape_debug()
                )));
            }
        }
        if self.configs.is_empty() {
            return Err(Ec2Error::MissingParameter(
                "The request must contain the parameter LaunchTemplateConfigs".into(),
            ));
        }
        let overrides: usize = self.configs.iter().map(|config| config.overrides.len()).sum();
        if overrides > MAX_OVERRIDES {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "The fleet has {overrides} launch template overrides; at most {MAX_OVERRIDES} are allowed."
            )));
        }
        if !matches!(self.default_target_capacity_type.as_str(), "on-demand" | "spot") {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "Value ({}) for parameter DefaultTargetCapacityType is invalid. Valid values are: on-demand, spot.",
                self.default_target_capacity_type.escape_debug()
            )));
        }
        if self.total_target_capacity == 0 {
            return Err(Ec2Error::InvalidParameterValue(
                "Value (0) for parameter TotalTargetCapacity is invalid. Expected a value of at least 1.".into(),
            ));
        }
        let parts = self.on_demand_target_capacity.unwrap_or(0) + self.spot_target_capacity.unwrap_or(0);
        if parts > self.total_target_capacity {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "The sum of OnDemandTargetCapacity and SpotTargetCapacity ({parts}) cannot be more than \
                 TotalTargetCapacity ({}).",
                self.total_target_capacity
            )));
        }
        if self.total_target_capacity > 100 {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "Value ({}) for parameter TotalTargetCapacity is invalid. An instant fleet launches at most 100 \
                 instances.",
                self.total_target_capacity
            )));
        }
        for (name, strategy, allowed) in [
            ("OnDemandOptions.AllocationStrategy", &self.on_demand_allocation_strategy, ON_DEMAND_STRATEGIES),
            ("SpotOptions.AllocationStrategy", &self.spot_allocation_strategy, SPOT_STRATEGIES),
        ] {
            if let Some(strategy) = strategy
                && !allowed.contains(&strategy.as_str())
            {
                return Err(Ec2Error::InvalidParameterValue(format!(
                    "Value ({}) for parameter {name} is invalid. Valid values are: {}.",
                    strategy.escape_debug(),
                    allowed.join(", ")
                )));
            }
        }
        for config in &self.configs {
            TemplateName::from_request(config.template.id.as_deref(), config.template.name.as_deref())?;
            for candidate in &config.overrides {
                if let Some(kind) = &candidate.instance_type
                    && instance_type(kind).is_none()
                {
                    return Err(Ec2Error::InvalidParameterValue(format!(
                        "Invalid value '{}' for InstanceType.",
                        kind.escape_debug()
                    )));
                }
                if candidate.max_price.is_some_and(|price| !price.is_finite() || price <= 0.0) {
                    return Err(Ec2Error::InvalidParameterValue(
                        "The MaxPrice of an override must be a positive number.".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// How many instances of each lifecycle to launch: (on-demand, spot).
    pub fn split(&self) -> (u32, u32) {
        let total = self.total_target_capacity;
        match (self.on_demand_target_capacity, self.spot_target_capacity) {
            (Some(on_demand), Some(spot)) => {
                let rest = total - on_demand - spot;
                if self.default_target_capacity_type == "spot" {
                    (on_demand, spot + rest)
                } else {
                    (on_demand + rest, spot)
                }
            }
            (Some(on_demand), None) => (on_demand, total - on_demand),
            (None, Some(spot)) => (total - spot, spot),
            (None, None) if self.default_target_capacity_type == "spot" => (0, total),
            (None, None) => (total, 0),
        }
    }

    /// Whether candidates go by priority rather than price, for a lifecycle.
    fn prioritized(&self, lifecycle: &str) -> bool {
        let strategy =
            if lifecycle == "spot" { &self.spot_allocation_strategy } else { &self.on_demand_allocation_strategy };
        matches!(strategy.as_deref(), Some("prioritized" | "capacity-optimized-prioritized"))
    }
}

/// One (launch template, override) pair, resolved.
#[derive(Debug, Clone)]
struct Candidate {
    launched_from: TemplateAndOverride,
    template: TemplateRef,
    instance_type: String,
    image_id: Option<String>,
    subnet: Result<String, Ec2Error>,
    priority: Option<f64>,
    max_price: Option<f64>,
    data: super::templates::LaunchTemplateData,
}

impl Network {
    /// The subnets a fleet's overrides launch into: those named, and the default VPC's when one names none.
    pub fn fleet_subnets(&self, request: &CreateFleet) -> Vec<String> {
        let mut out = Vec::new();
        let mut defaults = false;
        for config in &request.configs {
            if config.overrides.is_empty() {
                defaults = true;
            }
            for candidate in &config.overrides {
                match &candidate.subnet_id {
                    Some(id) => out.push(id.clone()),
                    None => defaults = true,
                }
            }
        }
        if defaults {
            let default_vpc = self.vpcs.values().find(|vpc| vpc.is_default).map(|vpc| vpc.id.clone());
            out.extend(
                self.subnets
                    .values()
                    .filter(|subnet| Some(&subnet.vpc_id) == default_vpc.as_ref())
                    .map(|s| s.id.clone()),
            );
        }
        out.sort();
        out.dedup();
        out
    }

    /// CreateFleet of type `instant`: launches the target capacity from the cheapest (or first by priority)
    /// overrides with room, as the module says.
    pub fn create_fleet(
        &mut self,
        ids: &mut IdSource,
        request: &CreateFleet,
        now: f64,
    ) -> Result<CreatedFleet, Ec2Error> {
        request.check()?;
        if let Some(earlier) = self.earlier_fleet(request)? {
            return Ok(earlier);
        }
        let candidates = self.fleet_candidates(request)?;
        let fleet_id = match ids {
            IdSource::Random => format!("fleet-{}", crate::ids::uuid()),
            IdSource::Sequence(_) => ids.id("fleet"),
        };
        let (on_demand, spot) = request.split();
        let mut instances: Vec<FleetInstances> = Vec::new();
        let mut errors: Vec<FleetError> = Vec::new();
        for (lifecycle, wanted) in [("on-demand", on_demand), ("spot", spot)] {
            if wanted == 0 {
                continue;
            }
            let mut order: Vec<&Candidate> = candidates.iter().collect();
            let price = |candidate: &Candidate| {
                instance_type(&candidate.instance_type).map_or(f64::MAX, |kind| kind.price(lifecycle))
            };
            if request.prioritized(lifecycle) {
                order.sort_by(|a, b| {
                    let (pa, pb) = (a.priority.unwrap_or(f64::MAX), b.priority.unwrap_or(f64::MAX));
                    pa.total_cmp(&pb).then_with(|| price(a).total_cmp(&price(b)))
                });
            } else {
                order.sort_by(|a, b| price(a).total_cmp(&price(b)));
            }
            let mut launched = 0;
            for candidate in order {
                if launched == wanted {
                    break;
                }
                let fail = |failure| FleetError {
                    launched_from: candidate.launched_from.clone(),
                    lifecycle: lifecycle.to_owned(),
                    failure,
                };
                if lifecycle == "spot"
                    && let Some(max) = candidate.max_price
                    && max < price(candidate)
                {
                    errors.push(fail(FleetFailure::SpotMaxPriceTooLow(format!(
                        "Your Spot request price of {max} is lower than the minimum required Spot request fulfillment \
                         price of {}.",
                        price(candidate)
                    ))));
                    continue;
                }
                let mut ids_here = Vec::new();
                while launched < wanted {
                    match self.launch_candidate(ids, request, candidate, lifecycle, &fleet_id, now) {
                        Ok(id) => {
                            ids_here.push(id);
                            launched += 1;
                        }
                        Err(failure) => {
                            errors.push(fail(failure));
                            break;
                        }
                    }
                }
                if !ids_here.is_empty() {
                    instances.push(FleetInstances {
                        launched_from: candidate.launched_from.clone(),
                        lifecycle: lifecycle.to_owned(),
                        instance_type: candidate.instance_type.clone(),
                        instance_ids: ids_here,
                    });
                }
            }
        }
        Ok(CreatedFleet { fleet_id, instances, errors })
    }

    /// The fleet an earlier call with the same client token made, rebuilt from its instances.
    fn earlier_fleet(&self, request: &CreateFleet) -> Result<Option<CreatedFleet>, Ec2Error> {
        let Some(token) = request.client_token.as_deref() else { return Ok(None) };
        let mut earlier: Vec<&super::Instance> = self
            .instances
            .values()
            .filter(|i| {
                i.client_token.as_deref() == Some(token)
                    && self.tags.get(&i.id).is_some_and(|t| t.contains_key(FLEET_ID_TAG))
            })
            .collect();
        if earlier.is_empty() {
            return Ok(None);
        }
        earlier.sort_by(|a, b| a.launched_at.total_cmp(&b.launched_at).then_with(|| a.id.cmp(&b.id)));
        let fleet_id = self.tags[&earlier[0].id][FLEET_ID_TAG].clone();
        let candidates = self.fleet_candidates(request)?;
        let mut instances: Vec<FleetInstances> = Vec::new();
        for instance in earlier {
            let lifecycle = if instance.spot { "spot" } else { "on-demand" };
            let launched_from = candidates
                .iter()
                .find(|c| {
                    c.instance_type == instance.instance_type
                        && c.subnet.as_ref().is_ok_and(|s| *s == instance.subnet_id)
                })
                .map(|c| c.launched_from.clone())
                .unwrap_or_default();
            match instances.iter_mut().find(|group| {
                group.launched_from == launched_from
                    && group.lifecycle == lifecycle
                    && group.instance_type == instance.instance_type
            }) {
                Some(group) => group.instance_ids.push(instance.id.clone()),
                None => instances.push(FleetInstances {
                    launched_from,
                    lifecycle: lifecycle.to_owned(),
                    instance_type: instance.instance_type.clone(),
                    instance_ids: vec![instance.id.clone()],
                }),
            }
        }
        Ok(Some(CreatedFleet { fleet_id, instances, errors: Vec::new() }))
    }

    /// Every (launch template, override) of the request, resolved; a missing template or version fails the call.
    fn fleet_candidates(&self, request: &CreateFleet) -> Result<Vec<Candidate>, Ec2Error> {
        let mut out = Vec::new();
        for config in &request.configs {
            let which = TemplateName::from_request(config.template.id.as_deref(), config.template.name.as_deref())?;
            let template = self.launch_template(&which)?;
            let version = template.version(config.template.version.as_deref())?;
            let reference = TemplateRef {
                id: template.id.clone(),
                name: template.name.clone(),
                version: version.number.to_string(),
            };
            let echo = |overrides: Option<FleetOverride>| TemplateAndOverride {
                template_id: template.id.clone(),
                template_name: template.name.clone(),
                version: config.template.version.clone().unwrap_or_else(|| version.number.to_string()),
                overrides,
            };
            let plain = [FleetOverride::default()];
            let overrides: &[FleetOverride] = if config.overrides.is_empty() { &plain } else { &config.overrides };
            for candidate in overrides {
                let kind = candidate.instance_type.clone().or_else(|| version.data.instance_type.clone()).ok_or_else(
                    || {
                        Ec2Error::MissingParameter(
                            "An instance type must be given in the launch template or in its overrides.".into(),
                        )
                    },
                )?;
                if instance_type(&kind).is_none() {
                    return Err(Ec2Error::InvalidParameterValue(format!(
                        "Invalid value '{}' for InstanceType.",
                        kind.escape_debug()
                    )));
                }
                let subnet = match &candidate.subnet_id {
                    Some(id) => match self.subnets.get(id) {
                        Some(subnet)
                            if candidate.availability_zone.as_ref().is_some_and(|z| *z != subnet.availability_zone) =>
                        {
                            Err(Ec2Error::InvalidParameterValue(format!(
                                "The subnet '{id}' is not in the availability zone '{}'.",
                                candidate.availability_zone.as_deref().unwrap_or_default()
                            )))
                        }
                        Some(_) => Ok(id.clone()),
                        None => Err(Ec2Error::SubnetNotFound(id.clone())),
                    },
                    None => self.default_subnet(candidate.availability_zone.as_deref()).map(|subnet| subnet.id.clone()),
                };
                let overrides = (!config.overrides.is_empty()).then(|| candidate.clone());
                out.push(Candidate {
                    launched_from: echo(overrides),
                    template: reference.clone(),
                    instance_type: kind,
                    image_id: candidate.image_id.clone().or_else(|| version.data.image_id.clone()),
                    subnet,
                    priority: candidate.priority,
                    max_price: candidate.max_price,
                    data: version.data.clone(),
                });
            }
        }
        Ok(out)
    }

    /// Launches one instance of a candidate, or says why it cannot.
    fn launch_candidate(
        &mut self,
        ids: &mut IdSource,
        request: &CreateFleet,
        candidate: &Candidate,
        lifecycle: &str,
        fleet_id: &str,
        now: f64,
    ) -> Result<String, FleetFailure> {
        let subnet_id = candidate.subnet.clone().map_err(FleetFailure::Refused)?;
        let image_id = candidate.image_id.clone().ok_or_else(|| {
            FleetFailure::Refused(Ec2Error::MissingParameter("The request must contain the parameter ImageId".into()))
        })?;
        let subnet = self
            .subnets
            .get(&subnet_id)
            .ok_or_else(|| FleetFailure::Refused(Ec2Error::SubnetNotFound(subnet_id.clone())))?;
        let (vpc_id, zone) = (subnet.vpc_id.clone(), subnet.availability_zone.clone());
        let mut security_groups = Vec::new();
        for id in &candidate.data.security_group_ids {
            match self.security_groups.get(id) {
                Some(group) if group.vpc_id == vpc_id => security_groups.push(id.clone()),
                Some(_) => {
                    return Err(FleetFailure::Refused(Ec2Error::InvalidParameterValue(format!(
                        "Security group {id} and subnet {subnet_id} belong to different networks."
                    ))));
                }
                None => {
                    return Err(FleetFailure::Refused(Ec2Error::GroupNotFound(format!(
                        "The security group '{id}' does not exist"
                    ))));
                }
            }
        }
        for name in &candidate.data.security_groups {
            let group =
                self.security_groups.values().find(|g| g.vpc_id == vpc_id && g.name == *name).ok_or_else(|| {
                    FleetFailure::Refused(Ec2Error::GroupNotFound(format!(
                        "The security group '{name}' does not exist in VPC '{vpc_id}'"
                    )))
                })?;
            security_groups.push(group.id.clone());
        }
        if security_groups.is_empty() {
            let default = self.security_groups.values().find(|g| g.vpc_id == vpc_id && g.name == "default");
            security_groups.extend(default.map(|group| group.id.clone()));
        }
        if subnet.available_ip_address_count() == 0 {
            return Err(FleetFailure::InsufficientCapacity(format!(
                "We currently do not have sufficient {} capacity in the Availability Zone you requested ({zone}). Our \
                 system will be working on provisioning additional capacity.",
                candidate.instance_type
            )));
        }
        let mut tags = request.instance_tags.clone();
        for (kind, extra) in &candidate.data.tag_specifications {
            if kind == "instance" {
                for (key, value) in extra {
                    tags.entry(key.clone()).or_insert_with(|| value.clone());
                }
            }
        }
        tags.insert("aws:ec2launchtemplate:id".into(), candidate.template.id.clone());
        tags.insert("aws:ec2launchtemplate:version".into(), candidate.template.version.clone());
        tags.insert(FLEET_ID_TAG.into(), fleet_id.to_owned());
        let launch = Launch {
            subnet_id: subnet_id.clone(),
            instance_type: candidate.instance_type.clone(),
            image_id,
            security_groups,
            instance_profile_arn: crate::autoscaling::groups::template_instance_profile(&candidate.data, &self.account),
            key_name: candidate.data.key_name.clone(),
            user_data: candidate.data.user_data.clone(),
            launch_template: Some(candidate.template.clone()),
            tags,
            client_token: request.client_token.clone(),
            boot_seconds: request.boot_seconds,
            spot: lifecycle == "spot",
            ..Launch::default()
        };
        self.launch_instance(ids, launch, now).ok_or_else(|| {
            FleetFailure::InsufficientCapacity(format!(
                "We currently do not have sufficient {} capacity in the Availability Zone you requested ({zone}).",
                candidate.instance_type
            ))
        })
    }
}

#[cfg(test)]
mod tests;

//! Elastic Load Balancing (Classic): load balancers with their listeners, health check, registered instances,
//! attributes and tags in one record each (`elasticloadbalancing/classic/<name>`), under ELB's rules and errors.
//!
//! A Classic load balancer lives in subnets of one VPC (named, or for availability zones the default VPC's default
//! subnet of each) and holds a requester-managed network interface in each, described `ELB <name>`, made and
//! deleted through EC2's interface model, so that its subnets are not deleted under it. Nothing probes instances:
//! a registered instance is `InService` while it runs and `OutOfService` otherwise, or when the data plane says it
//! fails its health check (`Elb::set_failing`: a Service's node that is not Ready). Its groups, subnets and zones
//! change after it is made with their interfaces (`placement.rs`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::ec2::{CreateNetworkInterface, Ec2, InstanceState, Kind, Scope, scopes};
use crate::eks::Caller;
use crate::elbv2::{Elbv2Error, LoadBalancerType, Tags, check_tags, contended, dns_digits, ec2_error, merge_tags};
use crate::records::{RecordError, Records};

/// ELB's errors share ELBv2's codes (`LoadBalancerNotFound`, `ValidationError`, ...), with the few of its own in
/// [`ElbError`].
#[derive(Debug, thiserror::Error)]
pub enum ElbError {
    /// An error of a code ELBv2 has too.
    #[error(transparent)]
    Shared(#[from] Elbv2Error),
    /// `InvalidInstance`: an instance that is not in the load balancer's VPC, or not registered.
    #[error("{0}")]
    InvalidInstance(String),
}

impl From<RecordError> for ElbError {
    fn from(error: RecordError) -> Self {
        ElbError::Shared(error.into())
    }
}

fn invalid(message: impl Into<String>) -> ElbError {
    ElbError::Shared(Elbv2Error::Validation(message.into()))
}

fn not_found(name: &str) -> ElbError {
    ElbError::Shared(Elbv2Error::LoadBalancerNotFound(format!("There is no ACTIVE Load Balancer named '{name}'")))
}

/// A listener of a Classic load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassicListener {
    pub protocol: String,
    pub load_balancer_port: u16,
    pub instance_protocol: String,
    pub instance_port: u16,
    pub ssl_certificate_id: Option<String>,
}

/// A Classic load balancer's health check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassicHealthCheck {
    pub target: String,
    pub interval: u32,
    pub timeout: u32,
    pub unhealthy_threshold: u32,
    pub healthy_threshold: u32,
}

/// A Classic load balancer's attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassicAttributes {
    pub cross_zone: bool,
    pub access_log_enabled: bool,
    pub access_log_bucket: Option<String>,
    pub access_log_prefix: Option<String>,
    pub access_log_interval: u32,
    pub draining_enabled: bool,
    pub draining_timeout: u32,
    pub idle_timeout: u32,
}

impl Default for ClassicAttributes {
    fn default() -> Self {
        ClassicAttributes {
            cross_zone: false,
            access_log_enabled: false,
            access_log_bucket: None,
            access_log_prefix: None,
            access_log_interval: 60,
            draining_enabled: false,
            draining_timeout: 300,
            idle_timeout: 60,
        }
    }
}

/// A Classic load balancer as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassicLoadBalancer {
    pub name: String,
    pub dns_name: String,
    pub scheme: String,
    pub vpc_id: String,
    /// Subnet, zone and the network interface held there.
    pub subnets: Vec<(String, String, String)>,
    pub security_groups: Vec<String>,
    pub listeners: Vec<ClassicListener>,
    pub health_check: ClassicHealthCheck,
    pub instances: Vec<String>,
    /// Registered instances that fail the health check, as the data plane sees them (ids; none in records of
    /// earlier versions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<String>,
    pub attributes: ClassicAttributes,
    pub created_at: f64,
    pub tags: Tags,
}

impl ClassicLoadBalancer {
    /// The Route 53 hosted zone of its DNS name (the one ALBs share).
    pub fn canonical_hosted_zone_id(&self, region: &str) -> &'static str {
        crate::elbv2::hosted_zone_id(LoadBalancerType::Application, region)
    }

    /// Its zones, in the order of its subnets.
    pub fn zones(&self) -> Vec<&str> {
        self.subnets.iter().map(|(_, zone, _)| zone.as_str()).collect()
    }
}

/// The input of CreateLoadBalancer (Classic).
#[derive(Debug, Clone, Default)]
pub struct CreateClassicLoadBalancer {
    pub name: String,
    pub listeners: Vec<ClassicListener>,
    pub availability_zones: Vec<String>,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub scheme: Option<String>,
    pub tags: Tags,
}

/// An instance's health as DescribeInstanceHealth shows it: id, state, reason code, description.
pub type InstanceHealth = (String, &'static str, &'static str, String);

/// Checks a listener as ELB does.
fn check_listener(listener: &ClassicListener) -> Result<(), ElbError> {
    let protocols = ["HTTP", "HTTPS", "TCP", "SSL"];
    for protocol in [&listener.protocol, &listener.instance_protocol] {
        if !protocols.contains(&protocol.to_uppercase().as_str()) {
            return Err(ElbError::Shared(Elbv2Error::UnsupportedProtocol(format!(
                "Protocol '{protocol}' is not supported; use HTTP, HTTPS, TCP or SSL"
            ))));
        }
    }
    if listener.load_balancer_port == 0 || listener.instance_port == 0 {
        return Err(invalid("Listener ports must be between 1 and 65535"));
    }
    let secure = matches!(listener.protocol.to_uppercase().as_str(), "HTTPS" | "SSL");
    if secure && listener.ssl_certificate_id.as_deref().is_none_or(str::is_empty) {
        return Err(invalid("SSLCertificateId is required for HTTPS and SSL listeners"));
    }
    Ok(())
}

/// Checks a health check target (`TCP:80`, `HTTP:80/health`) and its numbers.
pub fn check_health_check(check: &ClassicHealthCheck) -> Result<(), ElbError> {
    let (protocol, rest) = check
        .target
        .split_once(':')
        .ok_or_else(|| invalid("HealthCheck Target must be of the form PROTOCOL:PORT[/PATH]"))?;
    let port = rest.split('/').next().unwrap_or_default();
    let path_ok = match protocol {
        "HTTP" | "HTTPS" => rest.contains('/'),
        "TCP" | "SSL" => !rest.contains('/'),
        _ => false,
    };
    if !path_ok || !port.parse::<u16>().is_ok_and(|p| p >= 1) {
        return Err(invalid(format!("HealthCheck Target '{}' must be of the form PROTOCOL:PORT[/PATH]", check.target)));
    }
    let ranges = [
        (check.interval, 5, 300, "Interval"),
        (check.timeout, 2, 60, "Timeout"),
        (check.unhealthy_threshold, 2, 10, "UnhealthyThreshold"),
        (check.healthy_threshold, 2, 10, "HealthyThreshold"),
    ];
    for (value, low, high, name) in ranges {
        if !(low..=high).contains(&value) {
            return Err(invalid(format!("HealthCheck {name} must be between {low} and {high}")));
        }
    }
    if check.timeout >= check.interval {
        return Err(invalid("HealthCheck Timeout must be less than Interval"));
    }
    Ok(())
}

/// ELB Classic of every account and region, over `records`, making load balancers' interfaces in `ec2`.
#[derive(Debug, Clone)]
pub struct Elb {
    records: Records,
    clock: Arc<dyn Clock>,
    ec2: Ec2,
}

impl Elb {
    /// ELB Classic over `records`; load balancers make their network interfaces in `ec2`.
    pub fn new(records: Records, clock: Arc<dyn Clock>, ec2: Ec2) -> Elb {
        Elb { records, clock, ec2 }
    }

    fn key(caller: &Caller, name: &str) -> String {
        Records::regional_key(&caller.account, &caller.region, crate::elbv2::SERVICE, "classic", name)
    }

    async fn record(&self, caller: &Caller, name: &str) -> Result<(ClassicLoadBalancer, store::Revision), ElbError> {
        match self.records.get::<ClassicLoadBalancer>(&Self::key(caller, name)).await? {
            Some(stored) => Ok((stored.value, stored.revision)),
            None => Err(not_found(name)),
        }
    }

    /// A load balancer by name, or `LoadBalancerNotFound`.
    pub async fn load_balancer(&self, caller: &Caller, name: &str) -> Result<ClassicLoadBalancer, ElbError> {
        Ok(self.record(caller, name).await?.0)
    }

    /// DescribeLoadBalancers: those named (each must exist), else all, by name.
    pub async fn describe_load_balancers(
        &self,
        caller: &Caller,
        names: &[String],
    ) -> Result<Vec<ClassicLoadBalancer>, ElbError> {
        if names.is_empty() {
            let prefix = Self::key(caller, "");
            return Ok(self.records.list::<ClassicLoadBalancer>(&prefix).await?.into_iter().map(|s| s.value).collect());
        }
        let mut found = Vec::new();
        for name in names {
            found.push(self.load_balancer(caller, name).await?);
        }
        Ok(found)
    }

    /// The subnets of a request: those named, or the default VPC's default subnet of each zone named.
    async fn subnets_of(&self, caller: &Caller, zones: &[String], subnets: &[String]) -> Result<Vec<String>, ElbError> {
        if !subnets.is_empty() {
            return Ok(subnets.to_vec());
        }
        if zones.is_empty() {
            return Err(invalid("Either AvailabilityZones or SubnetIds must be specified"));
        }
        let scope = Scope::new().all(Kind::Subnet).all(Kind::Vpc);
        let defaults: Vec<(String, String)> = self
            .ec2
            .view(caller, &scope, |network| {
                let default_vpc = network.vpcs.loaded().values().find(|vpc| vpc.is_default).map(|vpc| vpc.id.clone());
                network
                    .subnets
                    .loaded()
                    .values()
                    .filter(|s| s.default_for_az && Some(&s.vpc_id) == default_vpc.as_ref())
                    .map(|s| (s.availability_zone.clone(), s.id.clone()))
                    .collect()
            })
            .await
            .map_err(ec2_error)?;
        zones
            .iter()
            .map(|zone| {
                defaults
                    .iter()
                    .find(|(z, _)| z == zone)
                    .map(|(_, id)| id.clone())
                    .ok_or_else(|| invalid(format!("Availability zone '{zone}' has no default subnet")))
            })
            .collect()
    }

    /// CreateLoadBalancer: with a network interface in each subnet; the same name with the same listeners answers
    /// the existing one.
    pub async fn create_load_balancer(
        &self,
        caller: &Caller,
        input: CreateClassicLoadBalancer,
    ) -> Result<ClassicLoadBalancer, ElbError> {
        let name = &input.name;
        if name.is_empty()
            || name.len() > 32
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            || name.starts_with('-')
            || name.ends_with('-')
        {
            return Err(invalid(format!(
                "LoadBalancerName '{name}' must be 1 to 32 alphanumeric characters or hyphens, not beginning or ending with a hyphen"
            )));
        }
        if input.listeners.is_empty() {
            return Err(invalid("At least one listener must be specified"));
        }
        input.listeners.iter().try_for_each(check_listener)?;
        let scheme = input.scheme.clone().unwrap_or_else(|| "internet-facing".into());
        if scheme != "internet-facing" && scheme != "internal" {
            return Err(invalid(format!("Scheme '{scheme}' must be 'internet-facing' or 'internal'")));
        }
        check_tags(&input.tags, &Vec::new())?;
        if let Ok((existing, _)) = self.record(caller, name).await {
            return if existing.listeners == input.listeners {
                Ok(existing)
            } else {
                Err(ElbError::Shared(Elbv2Error::DuplicateLoadBalancerName(format!(
                    "Load Balancer named '{name}' already exists and it is configured with different parameters."
                ))))
            };
        }
        let subnets = self.subnets_of(caller, &input.availability_zones, &input.subnets).await?;
        let placements = self.ec2.subnet_placements(caller, &subnets).await.map_err(ec2_error)?;
        let vpc_id = placements[0].vpc_id.clone();
        if placements.iter().any(|p| p.vpc_id != vpc_id) {
            return Err(ElbError::Shared(Elbv2Error::InvalidConfiguration(
                "All subnets must belong to the same VPC".into(),
            )));
        }
        let (held, groups) = self.make_interfaces(caller, name, &placements, &input.security_groups).await?;
        let internal = if scheme == "internal" { "internal-" } else { "" };
        let lb = ClassicLoadBalancer {
            dns_name: format!("{internal}{name}-{}.{}.elb.amazonaws.com", dns_digits(), caller.region),
            name: name.clone(),
            scheme,
            vpc_id,
            subnets: held,
            security_groups: groups,
            listeners: input.listeners.clone(),
            health_check: ClassicHealthCheck {
                target: format!("TCP:{}", input.listeners[0].instance_port),
                interval: 30,
                timeout: 5,
                unhealthy_threshold: 2,
                healthy_threshold: 10,
            },
            instances: Vec::new(),
            failing: Vec::new(),
            attributes: ClassicAttributes::default(),
            created_at: self.clock.now(),
            tags: input.tags.clone(),
        };
        if let Err(error) = self.records.create(&Self::key(caller, name), &lb).await {
            let _ = self.release(caller, &lb.subnets).await;
            return Err(match error {
                RecordError::Exists(_) => contended().into(),
                other => other.into(),
            });
        }
        Ok(lb)
    }

    /// Deletes the network interfaces of `subnets`; one already gone counts as deleted.
    /// Makes the load balancer's requester-managed interface in each of `placements` with `groups`; returns
    /// (subnet, zone, interface) of each and the groups they got (the VPC's default group when none was given).
    /// Nothing is half-made: on a failure the interfaces made so far go again.
    pub(crate) async fn make_interfaces(
        &self,
        caller: &Caller,
        name: &str,
        placements: &[crate::ec2::SubnetPlacement],
        groups: &[String],
    ) -> Result<(Vec<(String, String, String)>, Vec<String>), ElbError> {
        let mut held: Vec<(String, String, String)> = Vec::new();
        let mut given = groups.to_vec();
        for placement in placements {
            let request = CreateNetworkInterface {
                subnet_id: Some(placement.subnet_id.clone()),
                description: Some(format!("ELB {name}")),
                groups: groups.to_vec(),
                requester_managed: true,
                ..CreateNetworkInterface::default()
            };
            let made = self
                .ec2
                .change(caller, &scopes::create_network_interface(Some(&placement.subnet_id)), |network, ids| {
                    network.create_network_interface(ids, &request)
                })
                .await;
            match made {
                Ok(eni) => {
                    given = eni.security_groups.clone();
                    held.push((placement.subnet_id.clone(), placement.availability_zone.clone(), eni.id));
                }
                Err(error) => {
                    let _ = self.release(caller, &held).await;
                    return Err(ec2_error(error).into());
                }
            }
        }
        Ok((held, given))
    }

    async fn release(&self, caller: &Caller, subnets: &[(String, String, String)]) -> Result<(), ElbError> {
        for (_, _, eni_id) in subnets {
            self.ec2
                .change_widening(caller, &scopes::network_interface(eni_id), scopes::interface_parts, |network, _| {
                    network.delete_managed_interface(eni_id)
                })
                .await
                .map_err(|error| ElbError::Shared(Elbv2Error::Internal(error.to_string())))?;
        }
        Ok(())
    }

    /// DeleteLoadBalancer: its interfaces, then it; a name of no load balancer succeeds, as in ELB.
    pub async fn delete_load_balancer(&self, caller: &Caller, name: &str) -> Result<(), ElbError> {
        let Ok((lb, revision)) = self.record(caller, name).await else { return Ok(()) };
        self.release(caller, &lb.subnets).await?;
        match self.records.delete(&Self::key(caller, name), Some(revision)).await {
            Ok(()) | Err(RecordError::NotFound(_)) => Ok(()),
            Err(RecordError::Conflict(_)) => Err(contended().into()),
            Err(error) => Err(error.into()),
        }
    }

    /// Changes a load balancer with `change`, compare-and-swap guarded; returns it as stored.
    pub async fn update(
        &self,
        caller: &Caller,
        name: &str,
        mut change: impl FnMut(&mut ClassicLoadBalancer) -> Result<(), ElbError>,
    ) -> Result<ClassicLoadBalancer, ElbError> {
        for _ in 0..16 {
            let (mut lb, revision) = self.record(caller, name).await?;
            change(&mut lb)?;
            match self.records.update(&Self::key(caller, name), &lb, revision).await {
                Ok(_) => return Ok(lb),
                Err(RecordError::Conflict(_)) => continue,
                Err(RecordError::NotFound(_)) => return Err(not_found(name)),
                Err(error) => return Err(error.into()),
            }
        }
        Err(contended().into())
    }

    /// CreateLoadBalancerListeners: each port once (`DuplicateListener` for a port with other settings).
    pub async fn create_listeners(
        &self,
        caller: &Caller,
        name: &str,
        listeners: &[ClassicListener],
    ) -> Result<(), ElbError> {
        listeners.iter().try_for_each(check_listener)?;
        self.update(caller, name, |lb| {
            for listener in listeners {
                match lb.listeners.iter().find(|l| l.load_balancer_port == listener.load_balancer_port) {
                    Some(same) if same == listener => {}
                    Some(_) => {
                        return Err(ElbError::Shared(Elbv2Error::DuplicateListener(format!(
                            "A listener already exists for {name} with LoadBalancerPort {}, but with a different InstancePort, Protocol, or SSLCertificateId",
                            listener.load_balancer_port
                        ))));
                    }
                    None => lb.listeners.push(listener.clone()),
                }
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// DeleteLoadBalancerListeners: the listeners of those ports (ports without one are ignored).
    pub async fn delete_listeners(&self, caller: &Caller, name: &str, ports: &[u16]) -> Result<(), ElbError> {
        self.update(caller, name, |lb| {
            lb.listeners.retain(|l| !ports.contains(&l.load_balancer_port));
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// RegisterInstancesWithLoadBalancer: instances of its VPC; returns every registered instance.
    pub async fn register_instances(
        &self,
        caller: &Caller,
        name: &str,
        instances: &[String],
    ) -> Result<Vec<String>, ElbError> {
        let lb = self.load_balancer(caller, name).await?;
        let scope = Scope::new().ids(Kind::Instance, instances.iter().cloned());
        let wrong = self
            .ec2
            .view(caller, &scope, |network| {
                instances.iter().find(|id| network.instances.get(id).is_none_or(|i| i.vpc_id != lb.vpc_id)).cloned()
            })
            .await
            .map_err(ec2_error)?;
        if let Some(id) = wrong {
            return Err(ElbError::InvalidInstance(format!(
                "The instance ID '{id}' is not valid, or is not in the VPC of the load balancer"
            )));
        }
        let lb = self
            .update(caller, name, |lb| {
                for id in instances {
                    if !lb.instances.contains(id) {
                        lb.instances.push(id.clone());
                    }
                }
                Ok(())
            })
            .await?;
        Ok(lb.instances)
    }

    /// DeregisterInstancesFromLoadBalancer: each must be registered; returns those left.
    pub async fn deregister_instances(
        &self,
        caller: &Caller,
        name: &str,
        instances: &[String],
    ) -> Result<Vec<String>, ElbError> {
        let lb = self
            .update(caller, name, |lb| {
                if let Some(id) = instances.iter().find(|id| !lb.instances.contains(id)) {
                    return Err(ElbError::InvalidInstance(format!(
                        "The instance ID '{id}' is not registered with the load balancer '{name}'"
                    )));
                }
                lb.instances.retain(|id| !instances.contains(id));
                lb.failing.retain(|id| !instances.contains(id));
                Ok(())
            })
            .await?;
        Ok(lb.instances)
    }

    /// DescribeInstanceHealth: `InService` while an instance runs, `OutOfService` otherwise; named instances must
    /// be registered.
    pub async fn instance_health(
        &self,
        caller: &Caller,
        name: &str,
        instances: &[String],
    ) -> Result<Vec<InstanceHealth>, ElbError> {
        let lb = self.load_balancer(caller, name).await?;
        if let Some(id) = instances.iter().find(|id| !lb.instances.contains(id)) {
            return Err(ElbError::InvalidInstance(format!(
                "Could not find EC2 instance {id} registered with the load balancer '{name}'"
            )));
        }
        let wanted: Vec<String> = if instances.is_empty() { lb.instances.clone() } else { instances.to_vec() };
        let scope = Scope::new().ids(Kind::Instance, wanted.iter().cloned());
        self.ec2
            .view(caller, &scope, |network| {
                wanted
                    .iter()
                    .map(|id| {
                        match network.instances.get(id).map(|i| i.state) {
                        Some(InstanceState::Running) if lb.failing.contains(id) => (
                            id.clone(),
                            "OutOfService",
                            "Instance",
                            "Instance has failed at least the UnhealthyThreshold number of health checks consecutively."
                                .to_owned(),
                        ),
                        Some(InstanceState::Running) => (id.clone(), "InService", "N/A", "N/A".to_owned()),
                        Some(state) => {
                            (id.clone(), "OutOfService", "Instance", format!("Instance is in {} state.", state.name()))
                        }
                        None => (id.clone(), "OutOfService", "Instance", "Instance is in terminated state.".to_owned()),
                    }
                    })
                    .collect()
            })
            .await
            .map_err(|error| ec2_error(error).into())
    }

    /// Sets which registered instances fail the health check, as the data plane sees them (the API never calls
    /// this: nothing there probes instances); ids not registered are left out.
    pub async fn set_failing(&self, caller: &Caller, name: &str, failing: &[String]) -> Result<(), ElbError> {
        self.update(caller, name, |lb| {
            let mut kept: Vec<String> = failing.iter().filter(|id| lb.instances.contains(id)).cloned().collect();
            kept.sort();
            kept.dedup();
            lb.failing = kept;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// ConfigureHealthCheck: the load balancer's health check, checked.
    pub async fn configure_health_check(
        &self,
        caller: &Caller,
        name: &str,
        check: ClassicHealthCheck,
    ) -> Result<ClassicHealthCheck, ElbError> {
        check_health_check(&check)?;
        let lb = self
            .update(caller, name, |lb| {
                lb.health_check = check.clone();
                Ok(())
            })
            .await?;
        Ok(lb.health_check)
    }

    /// ModifyLoadBalancerAttributes: the attributes, with idle timeouts of 1 to 4,000 seconds, draining timeouts
    /// of 1 to 3,600 and access log intervals of 5 or 60 minutes.
    pub async fn modify_attributes(
        &self,
        caller: &Caller,
        name: &str,
        attributes: ClassicAttributes,
    ) -> Result<ClassicAttributes, ElbError> {
        if !(1..=4000).contains(&attributes.idle_timeout) {
            return Err(invalid("ConnectionSettings IdleTimeout must be between 1 and 4000 seconds"));
        }
        if !(1..=3600).contains(&attributes.draining_timeout) {
            return Err(invalid("ConnectionDraining Timeout must be between 1 and 3600 seconds"));
        }
        if ![5, 60].contains(&attributes.access_log_interval) {
            return Err(invalid("AccessLog EmitInterval must be 5 or 60 minutes"));
        }
        if attributes.access_log_enabled && attributes.access_log_bucket.as_deref().is_none_or(str::is_empty) {
            return Err(invalid("AccessLog S3BucketName is required when access logs are enabled"));
        }
        let lb = self
            .update(caller, name, |lb| {
                lb.attributes = attributes.clone();
                Ok(())
            })
            .await?;
        Ok(lb.attributes)
    }

    /// AddTags: to each load balancer named (all are checked first).
    pub async fn add_tags(&self, caller: &Caller, names: &[String], tags: &Tags) -> Result<(), ElbError> {
        for name in names {
            check_tags(tags, &self.load_balancer(caller, name).await?.tags)?;
        }
        for name in names {
            self.update(caller, name, |lb| {
                check_tags(tags, &lb.tags)?;
                merge_tags(&mut lb.tags, tags);
                Ok(())
            })
            .await?;
        }
        Ok(())
    }

    /// RemoveTags: keys from each load balancer named.
    pub async fn remove_tags(&self, caller: &Caller, names: &[String], keys: &[String]) -> Result<(), ElbError> {
        for name in names {
            self.load_balancer(caller, name).await?;
        }
        for name in names {
            self.update(caller, name, |lb| {
                lb.tags.retain(|(key, _)| !keys.contains(key));
                Ok(())
            })
            .await?;
        }
        Ok(())
    }
}

mod placement;

#[cfg(test)]
mod tests;

//! EKS clusters' Service load balancers in Elastic Load Balancing: what `controllers::servicelb` asks through
//! `controllers::load_balancers::LoadBalancers`, done in the cluster's account and region as the cloud provider
//! (Classic ELBs and NLBs named `a` + the Service's uid) and the AWS Load Balancer Controller (NLBs named
//! `k8s-<namespace>-<name>-<hash>`) do it through the ELB, ELBv2 and EC2 APIs; EKS Auto Mode's NLBs are named as
//! the controller's and tagged `eks:eks-cluster-name` and `service.eks.amazonaws.com/stack`, its ALBs likewise
//! with `ingress.eks.amazonaws.com/stack`, and whether Auto Mode load balancing is on is read from the EKS cluster
//! each time it is asked.
//!
//! Subnets are the ones the Service (or Ingress) names or its class's parameters select by tags, else the cluster
//! VPC's subnets tagged `kubernetes.io/role/elb`
//! (`kubernetes.io/role/internal-elb` for internal ones), else the cluster's own subnets: one per zone. A Classic
//! ELB and the controller's NLBs get a security group of their own admitting the listeners' ports from the source
//! ranges (unless the Service names its groups); the cloud provider's NLBs have none, as on AWS. Every resource
//! made carries its owner's tags, which is how a later change or delete finds it. Each listener also listens on a
//! loopback port (`loopback.rs`), into the cluster's pods.

use std::collections::{BTreeMap, BTreeSet};

use aws_model::ec2::{CreateSecurityGroup, Direction, Ec2, Ec2Error, Peer, Rule, scopes};
use aws_model::eks::{Caller, Eks};
use aws_model::elb::{ClassicHealthCheck, ClassicListener, CreateClassicLoadBalancer, Elb, ElbError};
use aws_model::elbv2::listeners::{Action, CreateListener, ModifyListener};
use aws_model::elbv2::listeners::{Condition, CreateRule};
use aws_model::elbv2::{
    CreateLoadBalancer, CreateTargetGroup, Elbv2, Elbv2Error, HealthCheckInput, LoadBalancer, TargetHealth, TargetInput,
};
use controllers::load_balancers::{
    ApplicationSpec, BoundTargetGroup, Ensured, IngressGroup, Kind, LoadBalancerSpec, LoadBalancers, Owner,
    Provisioner, TargetType,
};

use super::loopback::{HttpRoutes, LoopbackListeners, Pool, Routing, stream_routes};

/// The tag the cloud provider marks a load balancer's Service with.
const SERVICE_TAG: &str = "kubernetes.io/service-name";
/// The AWS Load Balancer Controller's tags: its cluster, the Service (its "stack") and what the resource is.
const CONTROLLER_CLUSTER_TAG: &str = "elbv2.k8s.aws/cluster";
const CONTROLLER_STACK_TAG: &str = "service.k8s.aws/stack";
const CONTROLLER_RESOURCE_TAG: &str = "service.k8s.aws/resource";
/// The tag naming the Ingress group an Application Load Balancer serves (its "stack").
const INGRESS_STACK_TAG: &str = "ingress.k8s.aws/stack";
const INGRESS_RESOURCE_TAG: &str = "ingress.k8s.aws/resource";
/// EKS Auto Mode's tags: its cluster, the Service and what the resource is.
const AUTO_MODE_CLUSTER_TAG: &str = "eks:eks-cluster-name";
const AUTO_MODE_STACK_TAG: &str = "service.eks.amazonaws.com/stack";
const AUTO_MODE_RESOURCE_TAG: &str = "service.eks.amazonaws.com/resource";
/// EKS Auto Mode's tags of what it makes for an Ingress group.
const AUTO_MODE_INGRESS_STACK_TAG: &str = "ingress.eks.amazonaws.com/stack";
const AUTO_MODE_INGRESS_RESOURCE_TAG: &str = "ingress.eks.amazonaws.com/resource";
const PUBLIC_SUBNET_TAG: &str = "kubernetes.io/role/elb";
const INTERNAL_SUBNET_TAG: &str = "kubernetes.io/role/internal-elb";

/// One EKS cluster's load balancers.
#[derive(Debug)]
pub struct ServiceLoadBalancers {
    caller: Caller,
    /// The EKS cluster's name.
    cluster: String,
    eks: Eks,
    ec2: Ec2,
    elb: Elb,
    elbv2: Elbv2,
    /// Each listener's loopback port, into the cluster's pods.
    loopback: LoopbackListeners,
}

/// A security group made for a load balancer.
struct OwnGroup<'a> {
    name: String,
    description: String,
    vpc_id: &'a str,
    /// Listener ports with `tcp` or `udp`.
    ports: Vec<(u16, &'a str)>,
    ranges: &'a [String],
    tags: BTreeMap<String, String>,
}

/// Where a load balancer goes: its VPC and subnets.
struct Placement {
    vpc_id: String,
    subnets: Vec<String>,
}

impl ServiceLoadBalancers {
    /// The load balancers of the EKS cluster `cluster` in `caller`'s account and region; `client` reaches the
    /// cluster, for the loopback listeners' connections.
    pub fn new(
        caller: Caller,
        cluster: &str,
        aws: (Eks, Ec2, Elb, Elbv2),
        client: kube::Client,
    ) -> ServiceLoadBalancers {
        let (eks, ec2, elb, elbv2) = aws;
        let loopback = LoopbackListeners::new(client);
        ServiceLoadBalancers { caller, cluster: cluster.to_owned(), eks, ec2, elb, elbv2, loopback }
    }

    /// The load balancer's name: the cloud provider's `a` + the Service's uid (32 characters), or the
    /// controller's `k8s-<namespace>-<name>-<hash of cluster, uid and scheme>` unless the Service chose one.
    pub fn name(&self, spec: &LoadBalancerSpec) -> String {
        if let Some(name) = &spec.name {
            return name.clone();
        }
        match spec.owner.provisioner {
            Provisioner::InTree => in_tree_name(&spec.owner.uid),
            Provisioner::LoadBalancerController | Provisioner::AutoMode => {
                let scheme = if spec.internal { "internal" } else { "internet-facing" };
                let hash = aws_model::ids::sha256_hex(&[&self.cluster, &spec.owner.uid, scheme]);
                controller_name(&spec.owner, &hash)
            }
        }
    }

    /// The tags that say who a resource belongs to.
    fn owner_tags(&self, owner: &Owner) -> Vec<(String, String)> {
        match owner.provisioner {
            Provisioner::InTree => vec![
                (SERVICE_TAG.to_owned(), owner.service()),
                (format!("kubernetes.io/cluster/{}", self.cluster), "owned".to_owned()),
            ],
            Provisioner::LoadBalancerController => vec![
                (CONTROLLER_CLUSTER_TAG.to_owned(), self.cluster.clone()),
                (CONTROLLER_STACK_TAG.to_owned(), owner.service()),
            ],
            Provisioner::AutoMode => vec![
                (AUTO_MODE_CLUSTER_TAG.to_owned(), self.cluster.clone()),
                (AUTO_MODE_STACK_TAG.to_owned(), owner.service()),
            ],
        }
    }

    /// Whether `tags` mark a resource as `owner`'s.
    fn owned_by<'a>(&self, tags: impl IntoIterator<Item = (&'a String, &'a String)> + Clone, owner: &Owner) -> bool {
        self.owner_tags(owner).iter().all(|(key, value)| tags.clone().into_iter().any(|(k, v)| k == key && v == value))
    }

    /// The tags of a new resource: the Service's own, then the owner's (which win).
    fn tags(&self, spec: &LoadBalancerSpec, resource: Option<String>) -> Vec<(String, String)> {
        let mut tags: BTreeMap<String, String> = spec.tags.clone();
        tags.extend(self.owner_tags(&spec.owner));
        match (spec.owner.provisioner, resource) {
            (Provisioner::LoadBalancerController, Some(resource)) => {
                tags.insert(CONTROLLER_RESOURCE_TAG.to_owned(), resource);
            }
            (Provisioner::AutoMode, Some(resource)) => {
                tags.insert(AUTO_MODE_RESOURCE_TAG.to_owned(), resource);
            }
            _ => {}
        }
        tags.into_iter().collect()
    }

    /// The VPC and subnets a load balancer goes in: `wanted` (ids or `Name` tags), else those whose tags
    /// `tagged_with` accepts (each key with one of its values, any value when none is listed), else those tagged
    /// for its scheme, else the cluster's.
    async fn placement(
        &self,
        wanted: &[String],
        tagged_with: &[(String, Vec<String>)],
        internal: bool,
    ) -> Result<Placement, String> {
        let cluster = self.eks.describe_cluster(&self.caller, &self.cluster).await.map_err(|e| e.to_string())?;
        let vpc_id = cluster.vpc.vpc_id.clone();
        let network = self.ec2.network(&self.caller, &scopes::subnets()).await.map_err(|e| e.to_string())?;
        let no_tags = BTreeMap::new();
        let in_vpc: Vec<(&aws_model::ec2::Subnet, &BTreeMap<String, String>)> = network
            .subnets
            .values()
            .filter(|subnet| subnet.vpc_id == vpc_id)
            .map(|subnet| (subnet, network.tags.get(&subnet.id).unwrap_or(&no_tags)))
            .collect();
        let chosen: Vec<&aws_model::ec2::Subnet> = if wanted.is_empty() && !tagged_with.is_empty() {
            let accepts = |tags: &BTreeMap<String, String>| {
                tagged_with
                    .iter()
                    .all(|(key, values)| tags.get(key).is_some_and(|value| values.is_empty() || values.contains(value)))
            };
            let found: Vec<_> = in_vpc.iter().filter(|(_, tags)| accepts(tags)).map(|(subnet, _)| *subnet).collect();
            if found.is_empty() {
                return Err(format!(
                    "unable to resolve at least one subnet (no subnets of VPC {vpc_id} match the tags)"
                ));
            }
            found
        } else if wanted.is_empty() {
            let role = if internal { INTERNAL_SUBNET_TAG } else { PUBLIC_SUBNET_TAG };
            let tagged: Vec<_> = in_vpc
                .iter()
                .filter(|(_, tags)| tags.get(role).is_some_and(|v| v.is_empty() || v == "1"))
                .map(|(subnet, _)| *subnet)
                .collect();
            if tagged.is_empty() {
                in_vpc.iter().map(|(subnet, _)| *subnet).filter(|s| cluster.vpc.subnet_ids.contains(&s.id)).collect()
            } else {
                tagged
            }
        } else {
            let mut found = Vec::new();
            for one in wanted {
                let subnet = in_vpc
                    .iter()
                    .find(|(subnet, tags)| subnet.id == *one || tags.get("Name") == Some(one))
                    .map(|(subnet, _)| *subnet)
                    .ok_or_else(|| format!("couldn't find all subnets, want: {wanted:?}"))?;
                found.push(subnet);
            }
            found
        };
        // One subnet per zone: the first by id.
        let mut by_zone: BTreeMap<&str, &str> = BTreeMap::new();
        let mut sorted = chosen;
        sorted.sort_by(|a, b| a.id.cmp(&b.id));
        for subnet in sorted {
            by_zone.entry(subnet.availability_zone.as_str()).or_insert(subnet.id.as_str());
        }
        if by_zone.is_empty() {
            return Err(format!(
                "unable to resolve at least one subnet (no subnets of VPC {vpc_id} are tagged {})",
                if internal { INTERNAL_SUBNET_TAG } else { PUBLIC_SUBNET_TAG }
            ));
        }
        Ok(Placement { vpc_id, subnets: by_zone.into_values().map(str::to_owned).collect() })
    }

    /// The security groups of the load balancer: those the Service names, else one made for it (admitting its
    /// listeners' ports from the source ranges), plus the extra ones; none for the cloud provider's NLBs.
    async fn security_groups(&self, spec: &LoadBalancerSpec, name: &str, vpc_id: &str) -> Result<Vec<String>, String> {
        let mut groups = if !spec.security_groups.is_empty() {
            self.resolve_groups(&spec.security_groups, vpc_id).await?
        } else if spec.kind == Kind::Network && spec.owner.provisioner == Provisioner::InTree {
            Vec::new()
        } else {
            vec![self.own_group(spec, name, vpc_id).await?]
        };
        for group in self.resolve_groups(&spec.extra_security_groups, vpc_id).await? {
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
        Ok(groups)
    }

    /// Security groups by id or name, in the VPC.
    async fn resolve_groups(&self, wanted: &[String], vpc_id: &str) -> Result<Vec<String>, String> {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let network = self.ec2.network(&self.caller, &scopes::security_groups()).await.map_err(|e| e.to_string())?;
        wanted
            .iter()
            .map(|want| {
                network
                    .security_groups
                    .values()
                    .find(|g| g.vpc_id == vpc_id && (g.id == *want || g.name == *want))
                    .map(|g| g.id.clone())
                    .ok_or_else(|| format!("couldn't find all security groups, want: {wanted:?}"))
            })
            .collect()
    }

    /// The security group made for the load balancer of a Service, made now if it is not there.
    async fn own_group(&self, spec: &LoadBalancerSpec, name: &str, vpc_id: &str) -> Result<String, String> {
        let group_name = match spec.owner.provisioner {
            Provisioner::InTree => format!("k8s-elb-{name}"),
            Provisioner::LoadBalancerController | Provisioner::AutoMode => name.to_owned(),
        };
        let description = match spec.owner.provisioner {
            Provisioner::InTree => format!("Security group for Kubernetes ELB {name} ({})", spec.owner.service()),
            Provisioner::LoadBalancerController | Provisioner::AutoMode => {
                "[k8s] Managed SecurityGroup for LoadBalancer".to_owned()
            }
        };
        let ports: Vec<(u16, &str)> =
            spec.listeners.iter().map(|l| (l.port, if l.protocol == "UDP" { "udp" } else { "tcp" })).collect();
        let tags = self.tags(spec, Some("ManagedLBSecurityGroup".into())).into_iter().collect();
        self.security_group(OwnGroup {
            name: group_name,
            description,
            vpc_id,
            ports,
            ranges: &spec.source_ranges,
            tags,
        })
        .await
    }

    /// A security group admitting `ports` from `ranges` (everyone when empty), made now if it is not there.
    async fn security_group(&self, group: OwnGroup<'_>) -> Result<String, String> {
        let everyone = vec!["0.0.0.0/0".to_owned()];
        let ranges = if group.ranges.is_empty() { &everyone } else { group.ranges };
        let mut rules = Vec::new();
        for (port, protocol) in &group.ports {
            for range in ranges {
                rules.push(Rule::new(
                    protocol,
                    Some(i64::from(*port)),
                    Some(i64::from(*port)),
                    Peer::Cidr(range.clone()),
                ));
            }
        }
        let mut tags = group.tags;
        tags.insert("Name".into(), group.name.clone());
        let input = CreateSecurityGroup {
            name: Some(group.name.clone()),
            description: Some(group.description),
            vpc_id: Some(group.vpc_id.to_owned()),
            tags,
        };
        let (vpc_id, group_name) = (group.vpc_id, group.name);
        self.ec2
            .change(&self.caller, &scopes::security_groups(), |network, ids| {
                let existing =
                    network.security_groups.values().find(|g| g.vpc_id == vpc_id && g.name == group_name).cloned();
                let made = match existing {
                    Some(made) => made,
                    None => network.create_security_group(ids, &input)?,
                };
                let missing: Vec<Rule> =
                    rules.iter().filter(|rule| !made.ingress.iter().any(|r| r.same_traffic(rule))).cloned().collect();
                if !missing.is_empty() {
                    network.authorize(&made.id, Direction::Ingress, &missing)?;
                }
                Ok(made.id)
            })
            .await
            .map_err(|error| error.to_string())
    }

    async fn ensure_classic(&self, spec: &LoadBalancerSpec, name: &str) -> Result<String, String> {
        let listeners: Vec<ClassicListener> = spec
            .listeners
            .iter()
            .map(|l| ClassicListener {
                protocol: l.protocol.clone(),
                load_balancer_port: l.port,
                instance_protocol: l.target_protocol.clone(),
                instance_port: l.target_port.unwrap_or(l.port),
                ssl_certificate_id: l.certificate.clone(),
            })
            .collect();
        let lb = match self.elb.load_balancer(&self.caller, name).await {
            Ok(lb) => lb,
            Err(ElbError::Shared(Elbv2Error::LoadBalancerNotFound(_))) => {
                let placement = self.placement(&spec.subnets, &[], spec.internal).await?;
                let groups = self.security_groups(spec, name, &placement.vpc_id).await?;
                let input = CreateClassicLoadBalancer {
                    name: name.to_owned(),
                    listeners: listeners.clone(),
                    availability_zones: Vec::new(),
                    subnets: placement.subnets,
                    security_groups: groups,
                    scheme: spec.internal.then(|| "internal".to_owned()),
                    tags: self.tags(spec, None),
                };
                self.elb.create_load_balancer(&self.caller, input).await.map_err(|e| e.to_string())?
            }
            Err(error) => return Err(error.to_string()),
        };
        let stale: Vec<u16> =
            lb.listeners.iter().filter(|l| !listeners.contains(l)).map(|l| l.load_balancer_port).collect();
        if !stale.is_empty() {
            self.elb.delete_listeners(&self.caller, name, &stale).await.map_err(|e| e.to_string())?;
        }
        let missing: Vec<ClassicListener> = listeners.iter().filter(|l| !lb.listeners.contains(l)).cloned().collect();
        if !missing.is_empty() {
            self.elb.create_listeners(&self.caller, name, &missing).await.map_err(|e| e.to_string())?;
        }
        let check = classic_health_check(spec);
        if lb.health_check != check {
            self.elb.configure_health_check(&self.caller, name, check).await.map_err(|e| e.to_string())?;
        }
        let wanted: BTreeSet<String> =
            spec.listeners.iter().flat_map(|l| l.targets.iter().map(|t| t.id.clone())).collect();
        let gone: Vec<String> = lb.instances.iter().filter(|i| !wanted.contains(*i)).cloned().collect();
        if !gone.is_empty() {
            self.elb.deregister_instances(&self.caller, name, &gone).await.map_err(|e| e.to_string())?;
        }
        let new: Vec<String> = wanted.iter().filter(|i| !lb.instances.contains(i)).cloned().collect();
        if !new.is_empty() {
            self.elb.register_instances(&self.caller, name, &new).await.map_err(|e| e.to_string())?;
        }
        // Nodes that are not Ready (or, with a Local traffic policy, hold no ready endpoint) fail the check.
        let mut failing: Vec<String> =
            spec.listeners.iter().flat_map(|l| l.targets.iter().filter(|t| !t.healthy).map(|t| t.id.clone())).collect();
        failing.sort();
        failing.dedup();
        if failing != lb.failing {
            self.elb.set_failing(&self.caller, name, &failing).await.map_err(|e| e.to_string())?;
        }
        Ok(lb.dns_name)
    }

    async fn ensure_network(
        &self,
        spec: &LoadBalancerSpec,
        name: &str,
    ) -> Result<(String, Vec<BoundTargetGroup>), String> {
        let existing = self.elbv2.load_balancers(&self.caller).await.map_err(|e| e.to_string())?;
        let lb: LoadBalancer = match existing.into_iter().find(|lb| lb.name == name) {
            Some(lb) => lb,
            None => {
                let placement = self.placement(&spec.subnets, &[], spec.internal).await?;
                let groups = self.security_groups(spec, name, &placement.vpc_id).await?;
                let input = CreateLoadBalancer {
                    name: name.to_owned(),
                    kind: Some("network".into()),
                    scheme: Some(if spec.internal { "internal" } else { "internet-facing" }.into()),
                    subnets: placement.subnets.into_iter().map(|s| (s, None)).collect(),
                    security_groups: groups,
                    ip_address_type: None,
                    tags: self.tags(spec, Some("LoadBalancer".into())),
                };
                self.elbv2.create_load_balancer(&self.caller, input).await.map_err(|e| e.to_string())?
            }
        };
        let groups = self.elbv2.target_groups(&self.caller).await.map_err(|e| e.to_string())?;
        let listeners =
            self.elbv2.describe_listeners(&self.caller, Some(&lb.arn), &[]).await.map_err(|e| e.to_string())?;
        let mut used_groups = Vec::new();
        let mut bound = Vec::new();
        for listener in &spec.listeners {
            let target_port = listener.target_port.unwrap_or(listener.port);
            let group_name = self.target_group_name(spec, listener.port, target_port, &listener.target_protocol);
            let group = match groups.iter().find(|g| g.name == group_name) {
                Some(group) => group.clone(),
                None => {
                    let check = &spec.health_check;
                    let input = CreateTargetGroup {
                        name: group_name.clone(),
                        protocol: Some(listener.target_protocol.clone()),
                        protocol_version: None,
                        port: Some(i64::from(target_port)),
                        vpc_id: Some(lb.vpc_id.clone()),
                        target_type: Some(
                            match spec.target_type {
                                TargetType::Instance => "instance",
                                TargetType::Ip => "ip",
                            }
                            .into(),
                        ),
                        ip_address_type: None,
                        health_check: HealthCheckInput {
                            enabled: Some(true),
                            protocol: check.protocol.clone(),
                            port: check.port.map(|p| p.to_string()),
                            path: check.path.clone(),
                            interval_seconds: check.interval_seconds.map(i64::from),
                            timeout_seconds: check.timeout_seconds.map(i64::from),
                            healthy_threshold: check.healthy_threshold.map(i64::from),
                            unhealthy_threshold: check.unhealthy_threshold.map(i64::from),
                            http_code: None,
                            grpc_code: None,
                        },
                        tags: self.tags(spec, Some(format!("{}:{}", spec.owner.service(), listener.port))),
                    };
                    self.elbv2.create_target_group(&self.caller, input).await.map_err(|e| e.to_string())?
                }
            };
            used_groups.push(group.arn.clone());
            bound.push(BoundTargetGroup {
                name: group.name.clone(),
                arn: group.arn.clone(),
                namespace: spec.owner.namespace.clone(),
                service: spec.owner.name.clone(),
                port: listener.port.to_string(),
                target_type: spec.target_type,
                vpc_id: lb.vpc_id.clone(),
            });
            let action =
                Action { kind: "forward".into(), target_group_arn: Some(group.arn.clone()), ..Action::default() };
            let certificates: Vec<String> = listener.certificate.iter().cloned().collect();
            match listeners.iter().find(|l| l.port == Some(listener.port)) {
                Some(current) => {
                    let forwards =
                        current.default_actions.iter().flat_map(Action::target_groups).any(|arn| arn == group.arn);
                    if !forwards || current.protocol.as_deref() != Some(listener.protocol.as_str()) {
                        let input = ModifyListener {
                            protocol: Some(listener.protocol.clone()),
                            certificates: (!certificates.is_empty()).then_some(certificates),
                            default_actions: Some(vec![action]),
                            ..ModifyListener::default()
                        };
                        self.elbv2
                            .modify_listener(&self.caller, &current.arn, input)
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                }
                None => {
                    let input = CreateListener {
                        load_balancer_arn: lb.arn.clone(),
                        protocol: Some(listener.protocol.clone()),
                        port: Some(i64::from(listener.port)),
                        certificates,
                        default_actions: vec![action],
                        ..CreateListener::default()
                    };
                    self.elbv2.create_listener(&self.caller, input).await.map_err(|e| e.to_string())?;
                }
            }
            self.sync_targets(&group.arn, &listener.targets).await?;
        }
        for current in &listeners {
            if !spec.listeners.iter().any(|l| Some(l.port) == current.port) {
                self.elbv2.delete_listener(&self.caller, &current.arn).await.map_err(|e| e.to_string())?;
            }
        }
        // Target groups of this Service that no listener forwards to any more (a port that changed) go.
        for group in groups.iter().filter(|g| self.owned_by(g.tags.iter().map(|(k, v)| (k, v)), &spec.owner)) {
            if !used_groups.contains(&group.arn) && group.vpc_id.as_deref() == Some(lb.vpc_id.as_str()) {
                match self.elbv2.delete_target_group(&self.caller, &group.arn).await {
                    Ok(()) | Err(Elbv2Error::ResourceInUse(_)) => {}
                    Err(error) => return Err(error.to_string()),
                }
            }
        }
        Ok((lb.dns_name, bound))
    }

    /// Registers the listener's targets, deregisters the others, and sets each one's health as the data plane
    /// sees it: healthy targets follow the registration clock, the others fail their health checks.
    async fn sync_targets(
        &self,
        group_arn: &str,
        targets: &[controllers::load_balancers::Target],
    ) -> Result<(), String> {
        let group = self.elbv2.target_group(&self.caller, group_arn).await.map_err(|e| e.to_string())?;
        let live: Vec<&aws_model::elbv2::Target> =
            group.targets.iter().filter(|t| t.deregistered_at.is_none()).collect();
        let wanted = |target: &aws_model::elbv2::Target| {
            targets.iter().any(|t| t.id == target.id && Some(t.port) == target.port)
        };
        let gone: Vec<TargetInput> = live
            .iter()
            .filter(|t| !wanted(t))
            .map(|t| TargetInput { id: t.id.clone(), port: t.port.map(i64::from), availability_zone: None })
            .collect();
        if !gone.is_empty() {
            self.elbv2.deregister_targets(&self.caller, group_arn, &gone).await.map_err(|e| e.to_string())?;
        }
        let new: Vec<TargetInput> = targets
            .iter()
            .filter(|t| !live.iter().any(|l| l.id == t.id && l.port == Some(t.port)))
            .map(|t| TargetInput { id: t.id.clone(), port: Some(i64::from(t.port)), availability_zone: None })
            .collect();
        if !new.is_empty() {
            self.elbv2.register_targets(&self.caller, group_arn, &new).await.map_err(|e| e.to_string())?;
        }
        for target in targets {
            let stored =
                live.iter().find(|l| l.id == target.id && l.port == Some(target.port)).and_then(|l| l.health.clone());
            let health = (!target.healthy).then(|| TargetHealth {
                state: "unhealthy".into(),
                reason: Some("Target.FailedHealthChecks".into()),
                description: Some("Health checks failed".into()),
            });
            if stored != health {
                self.elbv2
                    .set_target_health(&self.caller, group_arn, &target.id, Some(target.port), health)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// A target group's name: `k8s-<namespace>-<name>-<hash>` of what makes it differ.
    fn target_group_name(&self, spec: &LoadBalancerSpec, port: u16, target_port: u16, protocol: &str) -> String {
        let target_type = match spec.target_type {
            TargetType::Instance => "instance",
            TargetType::Ip => "ip",
        };
        let hash = aws_model::ids::sha256_hex(&[
            &self.cluster,
            &spec.owner.uid,
            &port.to_string(),
            &target_port.to_string(),
            target_type,
            protocol,
            spec.health_check.protocol.as_deref().unwrap_or("TCP"),
        ]);
        controller_name(&spec.owner, &hash)
    }

    /// Deletes `owner`'s load balancers except the one of `keep`'s name and kind; with none kept, their target
    /// groups and security groups too.
    async fn delete_except(&self, owner: &Owner, keep: Option<(&str, Kind)>) -> Result<(), String> {
        let kept = |name: &str, kind: Kind| keep == Some((name, kind));
        let classic = self.elb.describe_load_balancers(&self.caller, &[]).await.map_err(|e| e.to_string())?;
        for lb in classic.iter().filter(|lb| !kept(&lb.name, Kind::Classic)) {
            if self.owned_by(lb.tags.iter().map(|(k, v)| (k, v)), owner) {
                self.elb.delete_load_balancer(&self.caller, &lb.name).await.map_err(|e| e.to_string())?;
                self.loopback.forget(&lb.name);
            }
        }
        let network = self.elbv2.load_balancers(&self.caller).await.map_err(|e| e.to_string())?;
        for lb in network.iter().filter(|lb| !kept(&lb.name, Kind::Network)) {
            if self.owned_by(lb.tags.iter().map(|(k, v)| (k, v)), owner) {
                self.elbv2.delete_load_balancer(&self.caller, &lb.arn).await.map_err(|e| e.to_string())?;
                self.loopback.forget(&lb.name);
            }
        }
        if keep.is_some() {
            return Ok(());
        }
        self.delete_owned_groups(|tags| self.owned_by(tags.iter().map(|(k, v)| (k, v)), owner)).await
    }
}

impl ServiceLoadBalancers {
    /// The keys of the tags that mark an Ingress group's resources: its cluster, its stack (the group) and what
    /// the resource is; the AWS Load Balancer Controller's or EKS Auto Mode's.
    fn group_tag_keys(group: &IngressGroup) -> [&'static str; 3] {
        match group.provisioner {
            Provisioner::AutoMode => {
                [AUTO_MODE_CLUSTER_TAG, AUTO_MODE_INGRESS_STACK_TAG, AUTO_MODE_INGRESS_RESOURCE_TAG]
            }
            Provisioner::LoadBalancerController | Provisioner::InTree => {
                [CONTROLLER_CLUSTER_TAG, INGRESS_STACK_TAG, INGRESS_RESOURCE_TAG]
            }
        }
    }

    /// The tags of an Ingress group's resources: the group's own, then its provisioner's.
    fn group_tags(&self, spec: &ApplicationSpec, resource: &str) -> Vec<(String, String)> {
        let [cluster, stack, resource_key] = Self::group_tag_keys(&spec.group);
        let mut tags = spec.tags.clone();
        tags.insert(cluster.to_owned(), self.cluster.clone());
        tags.insert(stack.to_owned(), spec.group.id.clone());
        tags.insert(resource_key.to_owned(), resource.to_owned());
        tags.into_iter().collect()
    }

    fn group_owned<'a>(
        &self,
        tags: impl IntoIterator<Item = (&'a String, &'a String)> + Clone,
        group: &IngressGroup,
    ) -> bool {
        let [cluster, stack, _] = Self::group_tag_keys(group);
        let has = |key: &str, value: &str| tags.clone().into_iter().any(|(k, v)| k == key && v == value);
        has(cluster, &self.cluster) && has(stack, &group.id)
    }

    /// What a group's names are hashed from besides its own settings: the cluster, and for EKS Auto Mode its
    /// group, so that a group of the controller and one of Auto Mode with the same name never share a name.
    fn group_hash_inputs<'a>(&'a self, group: &IngressGroup) -> Vec<&'a str> {
        match group.provisioner {
            Provisioner::AutoMode => vec![self.cluster.as_str(), "eks.amazonaws.com"],
            Provisioner::LoadBalancerController | Provisioner::InTree => vec![self.cluster.as_str()],
        }
    }

    /// The controller's name for a group's load balancer: `k8s-<group>-<hash>` (explicit groups) or
    /// `k8s-<namespace>-<name>-<hash>`, the hash of cluster, group and scheme.
    fn application_name(&self, spec: &ApplicationSpec) -> String {
        if let Some(name) = &spec.name {
            return name.clone();
        }
        let scheme = if spec.internal { "internal" } else { "internet-facing" };
        let mut inputs = self.group_hash_inputs(&spec.group);
        inputs.extend([spec.group.id.as_str(), scheme]);
        let hash = aws_model::ids::sha256_hex(&inputs);
        if spec.group.explicit {
            let clean: String = spec.group.id.chars().filter(char::is_ascii_alphanumeric).take(17).collect();
            format!("k8s-{clean}-{}", &hash[..10])
        } else {
            let (namespace, name) = spec.group.id.split_once('/').unwrap_or(("", &spec.group.id));
            let owner = Owner {
                provisioner: Provisioner::LoadBalancerController,
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                uid: String::new(),
            };
            controller_name(&owner, &hash)
        }
    }

    async fn ensure_alb(&self, spec: &ApplicationSpec) -> Result<(String, Vec<BoundTargetGroup>), String> {
        let name = self.application_name(spec);
        // A load balancer the group had under another name (its scheme changed) goes first.
        let mut kept = None;
        for lb in self.elbv2.load_balancers(&self.caller).await.map_err(|e| e.to_string())? {
            if lb.name == name {
                kept = Some(lb);
            } else if self.group_owned(lb.tags.iter().map(|(k, v)| (k, v)), &spec.group) {
                self.elbv2.delete_load_balancer(&self.caller, &lb.arn).await.map_err(|e| e.to_string())?;
                self.loopback.forget(&lb.name);
            }
        }
        let lb = match kept {
            Some(lb) => lb,
            None => {
                let placement = self.placement(&spec.subnets, &spec.subnet_tags, spec.internal).await?;
                let groups = if spec.security_groups.is_empty() {
                    let ports: Vec<(u16, &str)> = spec.listeners.iter().map(|l| (l.port, "tcp")).collect();
                    let tags = self.group_tags(spec, "ManagedLBSecurityGroup").into_iter().collect();
                    vec![
                        self.security_group(OwnGroup {
                            name: name.clone(),
                            description: "[k8s] Managed SecurityGroup for LoadBalancer".into(),
                            vpc_id: &placement.vpc_id,
                            ports,
                            ranges: &spec.source_ranges,
                            tags,
                        })
                        .await?,
                    ]
                } else {
                    self.resolve_groups(&spec.security_groups, &placement.vpc_id).await?
                };
                let input = CreateLoadBalancer {
                    name: name.clone(),
                    kind: Some("application".into()),
                    scheme: Some(if spec.internal { "internal" } else { "internet-facing" }.into()),
                    subnets: placement.subnets.into_iter().map(|s| (s, None)).collect(),
                    security_groups: groups,
                    ip_address_type: spec.ip_address_type.clone(),
                    tags: self.group_tags(spec, "LoadBalancer"),
                };
                self.elbv2.create_load_balancer(&self.caller, input).await.map_err(|e| e.to_string())?
            }
        };
        // The address type and the attributes asked for, when they changed (attributes no longer asked for keep
        // what they were set to).
        let ip_address_type = spec.ip_address_type.as_deref().unwrap_or("ipv4");
        if lb.ip_address_type != ip_address_type {
            self.elbv2.set_ip_address_type(&self.caller, &lb.arn, ip_address_type).await.map_err(|e| e.to_string())?;
        }
        if spec.attributes.iter().any(|(key, value)| lb.attributes.get(key) != Some(value)) {
            let attributes: Vec<(String, String)> = spec.attributes.clone().into_iter().collect();
            self.elbv2
                .modify_load_balancer_attributes(&self.caller, &lb.arn, &attributes)
                .await
                .map_err(|e| e.to_string())?;
        }
        // A target group per backend.
        let existing_groups = self.elbv2.target_groups(&self.caller).await.map_err(|e| e.to_string())?;
        let mut group_arns = Vec::new();
        let mut bound = Vec::new();
        for backend in &spec.backends {
            let target_type = match backend.target_type {
                TargetType::Instance => "instance",
                TargetType::Ip => "ip",
            };
            let mut inputs = self.group_hash_inputs(&spec.group);
            inputs.extend([
                spec.group.id.as_str(),
                backend.namespace.as_str(),
                backend.service.as_str(),
                backend.port.as_str(),
                target_type,
            ]);
            let hash = aws_model::ids::sha256_hex(&inputs);
            let owner = Owner {
                provisioner: Provisioner::LoadBalancerController,
                namespace: backend.namespace.clone(),
                name: backend.service.clone(),
                uid: String::new(),
            };
            let group_name = controller_name(&owner, &hash);
            let group = match existing_groups.iter().find(|g| g.name == group_name) {
                Some(group) => group.clone(),
                None => {
                    let input = CreateTargetGroup {
                        name: group_name,
                        protocol: Some("HTTP".into()),
                        protocol_version: None,
                        port: Some(i64::from(backend.target_port.unwrap_or(80))),
                        vpc_id: Some(lb.vpc_id.clone()),
                        target_type: Some(target_type.into()),
                        ip_address_type: None,
                        health_check: HealthCheckInput {
                            enabled: Some(true),
                            path: Some(spec.health_check_path.clone()),
                            http_code: Some(spec.success_codes.clone()),
                            ..HealthCheckInput::default()
                        },
                        tags: self.group_tags(
                            spec,
                            &format!("{}/{}-{}:{}", backend.namespace, spec.group.id, backend.service, backend.port),
                        ),
                    };
                    self.elbv2.create_target_group(&self.caller, input).await.map_err(|e| e.to_string())?
                }
            };
            group_arns.push(group.arn.clone());
            bound.push(BoundTargetGroup {
                name: group.name.clone(),
                arn: group.arn.clone(),
                namespace: backend.namespace.clone(),
                service: backend.service.clone(),
                port: backend.port.clone(),
                target_type: backend.target_type,
                vpc_id: lb.vpc_id.clone(),
            });
        }
        let forward = |index: usize| Action {
            kind: "forward".into(),
            target_group_arn: Some(group_arns[index].clone()),
            ..Action::default()
        };
        let not_found = Action {
            kind: "fixed-response".into(),
            fixed_response: Some(("404".into(), Some("text/plain".into()), None)),
            ..Action::default()
        };
        let listeners =
            self.elbv2.describe_listeners(&self.caller, Some(&lb.arn), &[]).await.map_err(|e| e.to_string())?;
        for wanted in &spec.listeners {
            let default = wanted.default_backend.map_or_else(|| not_found.clone(), forward);
            let listener_arn = match listeners.iter().find(|l| l.port == Some(wanted.port)) {
                Some(current) => {
                    let input = ModifyListener {
                        protocol: Some(wanted.protocol.clone()),
                        certificates: (!wanted.certificates.is_empty()).then(|| wanted.certificates[..1].to_vec()),
                        default_actions: Some(vec![default]),
                        ..ModifyListener::default()
                    };
                    self.elbv2.modify_listener(&self.caller, &current.arn, input).await.map_err(|e| e.to_string())?;
                    current.arn.clone()
                }
                None => {
                    let input = CreateListener {
                        load_balancer_arn: lb.arn.clone(),
                        protocol: Some(wanted.protocol.clone()),
                        port: Some(i64::from(wanted.port)),
                        certificates: wanted.certificates.iter().take(1).cloned().collect(),
                        default_actions: vec![default],
                        ..CreateListener::default()
                    };
                    self.elbv2.create_listener(&self.caller, input).await.map_err(|e| e.to_string())?.arn
                }
            };
            // The rules are made again in the group's order.
            let rules =
                self.elbv2.describe_rules(&self.caller, Some(&listener_arn), &[]).await.map_err(|e| e.to_string())?;
            for rule in rules.iter().filter(|r| !r.is_default) {
                self.elbv2.delete_rule(&self.caller, &rule.arn).await.map_err(|e| e.to_string())?;
            }
            for (index, rule) in wanted.rules.iter().enumerate() {
                let mut conditions = Vec::new();
                if !rule.hosts.is_empty() {
                    conditions.push(Condition {
                        field: "host-header".into(),
                        values: rule.hosts.clone(),
                        ..Condition::default()
                    });
                }
                if !rule.paths.is_empty() || conditions.is_empty() {
                    let paths = if rule.paths.is_empty() { vec!["/*".to_owned()] } else { rule.paths.clone() };
                    conditions.push(Condition { field: "path-pattern".into(), values: paths, ..Condition::default() });
                }
                let input = CreateRule {
                    listener_arn: listener_arn.clone(),
                    priority: i64::try_from(index + 1).unwrap_or(i64::MAX),
                    conditions,
                    actions: vec![forward(rule.backend)],
                    tags: Vec::new(),
                };
                self.elbv2.create_rule(&self.caller, input).await.map_err(|e| e.to_string())?;
            }
        }
        for current in &listeners {
            if !spec.listeners.iter().any(|l| Some(l.port) == current.port) {
                self.elbv2.delete_listener(&self.caller, &current.arn).await.map_err(|e| e.to_string())?;
            }
        }
        for (backend, arn) in spec.backends.iter().zip(&group_arns) {
            self.sync_targets(arn, &backend.targets).await?;
        }
        for group in
            existing_groups.iter().filter(|g| self.group_owned(g.tags.iter().map(|(k, v)| (k, v)), &spec.group))
        {
            if !group_arns.contains(&group.arn) {
                match self.elbv2.delete_target_group(&self.caller, &group.arn).await {
                    Ok(()) | Err(Elbv2Error::ResourceInUse(_) | Elbv2Error::TargetGroupNotFound(_)) => {}
                    Err(error) => return Err(error.to_string()),
                }
            }
        }
        Ok((lb.dns_name, bound))
    }

    async fn delete_alb(&self, group: &IngressGroup) -> Result<(), String> {
        for lb in self.elbv2.load_balancers(&self.caller).await.map_err(|e| e.to_string())? {
            if self.group_owned(lb.tags.iter().map(|(k, v)| (k, v)), group) {
                self.elbv2.delete_load_balancer(&self.caller, &lb.arn).await.map_err(|e| e.to_string())?;
                self.loopback.forget(&lb.name);
            }
        }
        self.delete_owned_groups(|tags| self.group_owned(tags.iter().map(|(k, v)| (k, v)), group)).await
    }

    /// Deletes the target groups and security groups whose tags `owned` accepts (their load balancers gone
    /// first); one already gone counts as deleted.
    async fn delete_owned_groups(&self, owned: impl Fn(&[(String, String)]) -> bool) -> Result<(), String> {
        for target_group in self.elbv2.target_groups(&self.caller).await.map_err(|e| e.to_string())? {
            if owned(&target_group.tags) {
                match self.elbv2.delete_target_group(&self.caller, &target_group.arn).await {
                    Ok(()) | Err(Elbv2Error::TargetGroupNotFound(_)) => {}
                    Err(error) => return Err(error.to_string()),
                }
            }
        }
        let network = self.ec2.network(&self.caller, &scopes::security_groups()).await.map_err(|e| e.to_string())?;
        let group_ids: Vec<String> = network
            .security_groups
            .values()
            .filter(|g| {
                let tags: Vec<(String, String)> =
                    network.tags.get(&g.id).into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
                owned(&tags)
            })
            .map(|g| g.id.clone())
            .collect();
        for group_id in &group_ids {
            let deleted = self
                .ec2
                .change(&self.caller, &scopes::delete_security_group(group_id), |network, _| {
                    match network.delete_security_group(group_id) {
                        Ok(()) | Err(Ec2Error::GroupNotFound(_)) => Ok(()),
                        Err(error) => Err(error),
                    }
                })
                .await;
            deleted.map_err(|error| error.to_string())?;
        }
        Ok(())
    }
}

/// The routing of each listener of an Ingress group's Application Load Balancer, for its loopback listeners.
fn http_routes(spec: &ApplicationSpec) -> Vec<(u16, Routing)> {
    let pools: Vec<Pool> = spec
        .backends
        .iter()
        .map(|backend| Pool {
            namespace: backend.namespace.clone(),
            service: backend.service.clone(),
            port_name: backend.port_name.clone(),
            target_type: backend.target_type,
            healthy: backend.targets.iter().filter(|t| t.healthy).map(|t| t.id.clone()).collect(),
        })
        .collect();
    spec.listeners
        .iter()
        .map(|listener| {
            let routes = HttpRoutes {
                protocol: listener.protocol.clone(),
                rules: listener.rules.clone(),
                default_pool: listener.default_backend,
                pools: pools.clone(),
            };
            (listener.port, Routing::Http(routes))
        })
        .collect()
}

/// The cloud provider's name for a Service's load balancer: `a` and its uid without dashes, 32 characters.
pub fn in_tree_name(uid: &str) -> String {
    let mut name: String = std::iter::once('a').chain(uid.chars().filter(|c| *c != '-')).collect();
    name.truncate(32);
    name
}

/// `k8s-<namespace, 8>-<name, 8>-<hash, 10>`, with what a name cannot hold left out of the first two.
fn controller_name(owner: &Owner, hash: &str) -> String {
    let clean = |text: &str| -> String { text.chars().filter(char::is_ascii_alphanumeric).take(8).collect() };
    format!("k8s-{}-{}-{}", clean(&owner.namespace), clean(&owner.name), &hash[..10])
}

/// A Classic ELB's health check: TCP on the first listener's instance port (the cloud provider's default: every
/// 10 s, 5 s timeout, 2 healthy, 6 unhealthy), or what the Service's annotations say.
fn classic_health_check(spec: &LoadBalancerSpec) -> ClassicHealthCheck {
    let check = &spec.health_check;
    let first = spec.listeners.first();
    let port = check.port.or_else(|| first.and_then(|l| l.target_port)).unwrap_or(80);
    let protocol = check.protocol.clone().unwrap_or_else(|| "TCP".into());
    let target = if protocol == "TCP" {
        format!("TCP:{port}")
    } else {
        format!("{protocol}:{port}{}", check.path.as_deref().unwrap_or("/"))
    };
    ClassicHealthCheck {
        target,
        interval: check.interval_seconds.unwrap_or(10),
        timeout: check.timeout_seconds.unwrap_or(5),
        unhealthy_threshold: check.unhealthy_threshold.unwrap_or(6),
        healthy_threshold: check.healthy_threshold.unwrap_or(2),
    }
}

#[async_trait::async_trait]
impl LoadBalancers for ServiceLoadBalancers {
    async fn ensure(&self, spec: &LoadBalancerSpec) -> Result<Ensured, String> {
        let name = self.name(spec);
        // A load balancer made before under another name or of another kind (the scheme or type changed) goes
        // first.
        self.delete_except(&spec.owner, Some((&name, spec.kind))).await?;
        let (hostname, target_groups) = match spec.kind {
            Kind::Classic => (self.ensure_classic(spec, &name).await?, Vec::new()),
            Kind::Network => self.ensure_network(spec, &name).await?,
        };
        let owner = &spec.owner;
        let routes = stream_routes(&owner.namespace, &owner.name, spec.target_type, &spec.listeners);
        let bound = self.loopback.ensure(&name, routes).await?;
        let loopback = bound.into_iter().map(|(port, address)| (port, address.to_string())).collect();
        Ok(Ensured { hostname, loopback, target_groups })
    }

    async fn delete(&self, owner: &Owner) -> Result<(), String> {
        self.delete_except(owner, None).await
    }

    async fn ensure_application(&self, spec: &ApplicationSpec) -> Result<Ensured, String> {
        let (hostname, target_groups) = self.ensure_alb(spec).await?;
        let bound = self.loopback.ensure(&self.application_name(spec), http_routes(spec)).await?;
        let loopback = bound.into_iter().map(|(port, address)| (port, address.to_string())).collect();
        Ok(Ensured { hostname, loopback, target_groups })
    }

    async fn delete_application(&self, group: &IngressGroup) -> Result<(), String> {
        self.delete_alb(group).await
    }

    async fn bind_targets(
        &self,
        target_group_arn: &str,
        ip: &[controllers::load_balancers::Target],
        instance: &[controllers::load_balancers::Target],
    ) -> Result<TargetType, String> {
        let group = match self.elbv2.target_group(&self.caller, target_group_arn).await {
            Ok(group) => group,
            // A binding that goes after its target group (or that never named one) has nothing to deregister.
            Err(Elbv2Error::TargetGroupNotFound(_) | Elbv2Error::Validation(_))
                if ip.is_empty() && instance.is_empty() =>
            {
                return Ok(TargetType::Ip);
            }
            Err(error) => return Err(error.to_string()),
        };
        let (kind, targets) = match group.target_type.as_str() {
            "ip" => (TargetType::Ip, ip),
            "instance" => (TargetType::Instance, instance),
            other => return Err(format!("unsupported target type {other} of target group {target_group_arn}")),
        };
        self.sync_targets(target_group_arn, targets).await?;
        Ok(kind)
    }

    async fn auto_mode_load_balancing(&self) -> Result<bool, String> {
        let cluster = self.eks.describe_cluster(&self.caller, &self.cluster).await.map_err(|e| e.to_string())?;
        Ok(cluster.auto_mode_load_balancing())
    }
}

#[cfg(test)]
mod tests;

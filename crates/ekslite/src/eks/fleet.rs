//! An EKS cluster's instances for Karpenter and EKS Auto Mode: `controllers::fleet::Fleet` done in the cluster's
//! account and region as karpenter-provider-aws does it through EC2 and IAM.
//!
//! - A node class resolves as Karpenter's providers resolve it: `subnetSelectorTerms` and
//!   `securityGroupSelectorTerms` (each term `id`, or `tags` whose values may be `*`, or for groups `name`; a
//!   resource matching any term is selected), `amiSelectorTerms` (`alias` `<family>@<version>` gives the EKS
//!   optimized image of each architecture for the cluster's Kubernetes version, from `aws_model::ec2::images`;
//!   `id` and `name` select from that catalogue), and `role` an instance profile Karpenter makes once, named
//!   `<cluster>_<hash of region and role>` and holding the role (or `instanceProfile` as given). Auto Mode's
//!   `NodeClass` needs only a `role`: its subnets and groups default to the cluster's subnets and cluster security
//!   group, and its images are EKS's Bottlerocket ones.
//! - Instance types are every type of the instance type table, offered on-demand and spot in each zone of the
//!   class's subnets at the table's prices; an offering that failed with insufficient capacity is unavailable for
//!   3 minutes, as Karpenter's unavailable offerings cache keeps it. Capacity and allocatable are those the node
//!   will register with (`node_groups::template_of`, the same computation as the cluster autoscaler's templates).
//! - A launch makes (or reuses) a launch template per node class and image, named `karpenter.k8s.aws/<hash>` with
//!   user data in the image family's form (nodeadm `NodeConfig` for Amazon Linux 2023, `bootstrap.sh` for Amazon
//!   Linux 2, TOML settings for Bottlerocket) carrying the node's labels and taints, then one CreateFleet of type
//!   `instant` over the overrides of one capacity type (spot when any override is spot, as Karpenter prefers it),
//!   with the NodeClaim's name as client token and the request's tags on the instance.
//! - The instances the fleet owns are those tagged `karpenter.sh/nodeclaim` and with the cluster's tag
//!   (`kubernetes.io/cluster/<cluster>` or `eks:eks-cluster-name`). Their nodes join through the self-managed
//!   path of `nodes.rs` (the user data names the cluster).

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::sync::Mutex;

use aws_model::autoscaling::{NodeInstance, SelfManaged};
use aws_model::ec2::fleets::{CreateFleet, FleetConfig, FleetFailure, FleetOverride, FleetTemplate};
use aws_model::ec2::images::{Image, catalogue, image};
use aws_model::ec2::instance_types::{INSTANCE_TYPES, InstanceType, instance_type};
use aws_model::ec2::templates::{CreateLaunchTemplate, IamInstanceProfile, LaunchTemplateData, TemplateName};
use aws_model::ec2::{Ec2, Ec2Error, InstanceState, Kind, Network, Scope, StateRequest, scopes};
use aws_model::eks::nodegroups::default_release_version;
use aws_model::eks::{Caller, Cluster, Eks};
use controllers::fleet::{
    AutoMode, ClassImage, ClassKind, ClassSecurityGroup, ClassSubnet, Fleet, FleetInstance, InstanceTypeInfo,
    LaunchError, LaunchRequest, Launched, Offering, ResolvedClass,
};
use serde_json::Value;

/// How long an offering that failed with insufficient capacity stays unavailable, in seconds.
pub const UNAVAILABLE_SECONDS: f64 = 180.0;

/// The tag EKS Auto Mode puts on the instances it launches for a cluster.
pub const AUTO_MODE_CLUSTER_TAG: &str = "eks:eks-cluster-name";

/// The tag naming the NodeClaim an instance was launched for.
pub const NODE_CLAIM_TAG: &str = "karpenter.sh/nodeclaim";

/// One EKS cluster's instances, as Karpenter and Auto Mode see them.
#[derive(Debug)]
pub struct ClusterFleet {
    caller: Caller,
    /// The EKS cluster's name.
    cluster: String,
    eks: Eks,
    ec2: Ec2,
    /// Where instance profiles are found and made; without it no class resolves.
    iam: Option<aws_model::iam::Iam>,
    /// Offerings (instance type, zone, capacity type) that failed with insufficient capacity, and when.
    unavailable: Mutex<HashMap<(String, String, String), f64>>,
}

impl ClusterFleet {
    pub fn new(caller: Caller, cluster: &str, eks: Eks, ec2: Ec2, iam: Option<aws_model::iam::Iam>) -> ClusterFleet {
        ClusterFleet { caller, cluster: cluster.to_owned(), eks, ec2, iam, unavailable: Mutex::default() }
    }

    async fn cluster(&self) -> Result<Cluster, String> {
        self.eks.describe_cluster(&self.caller, &self.cluster).await.map_err(|e| e.to_string())
    }

    fn iam(&self) -> Result<&aws_model::iam::Iam, String> {
        self.iam.as_ref().ok_or_else(|| "IAM is not served here: instance profiles cannot be resolved".to_owned())
    }

    /// Whether an offering is available at `now` (it has not failed with insufficient capacity lately).
    fn available(&self, kind: &str, zone: &str, capacity_type: &str, now: f64) -> bool {
        let key = (kind.to_owned(), zone.to_owned(), capacity_type.to_owned());
        let mut unavailable = self.unavailable.lock().expect("unavailable offerings lock");
        unavailable.retain(|_, since| now - *since < UNAVAILABLE_SECONDS);
        !unavailable.contains_key(&key)
    }

    fn mark_unavailable(&self, offerings: &[(String, String, String)], now: f64) {
        let mut unavailable = self.unavailable.lock().expect("unavailable offerings lock");
        for offering in offerings {
            unavailable.insert(offering.clone(), now);
        }
    }

    /// The instance profile of a class: the one named, which must exist, or the one Karpenter makes for the role.
    async fn instance_profile(&self, kind: ClassKind, spec: &Value) -> Result<String, String> {
        let iam = self.iam()?;
        let account = &self.caller.account;
        if let Some(profile) = spec.get("instanceProfile").and_then(Value::as_str) {
            iam.get_instance_profile(account, profile)
                .await
                .map_err(|e| format!("getting instance profile {profile:?}, {e}"))?;
            return Ok(profile.to_owned());
        }
        let role = spec.get("role").and_then(Value::as_str).filter(|role| !role.is_empty()).ok_or_else(|| {
            "the node class names neither a role nor an instanceProfile (spec.role is required)".to_owned()
        })?;
        // A role may be given by ARN (Auto Mode) or by name (Karpenter).
        let role_name = role.rsplit('/').next().unwrap_or(role);
        let name = profile_name(kind, &self.cluster, &self.caller.region, role_name);
        iam.get_role(account, role_name)
            .await
            .map_err(|e| format!("adding role {role_name:?} to instance profile {name:?}, {e}"))?;
        let view = match iam.get_instance_profile(account, &name).await {
            Ok(view) => view,
            Err(_) => {
                let tags = vec![
                    iam_tag(&format!("kubernetes.io/cluster/{}", self.cluster), "owned"),
                    iam_tag("topology.kubernetes.io/region", &self.caller.region),
                ];
                match iam.create_instance_profile(account, &name, None, tags).await {
                    Ok(view) => view,
                    // Made meanwhile by another launch.
                    Err(_) => iam
                        .get_instance_profile(account, &name)
                        .await
                        .map_err(|e| format!("creating instance profile {name:?}, {e}"))?,
                }
            }
        };
        if !view.profile.roles.iter().any(|held| held.eq_ignore_ascii_case(role_name)) {
            if let Some(other) = view.profile.roles.first() {
                let _ = iam.remove_role_from_instance_profile(account, &name, other).await;
            }
            iam.add_role_to_instance_profile(account, &name, role_name)
                .await
                .map_err(|e| format!("adding role {role_name:?} to instance profile {name:?}, {e}"))?;
        }
        Ok(name)
    }

    /// The launch template of a class and image for these labels and taints: made once, named by a hash of what
    /// it holds.
    async fn launch_template(
        &self,
        cluster: &Cluster,
        request: &LaunchRequest,
        class_image: &ClassImage,
    ) -> Result<String, LaunchError> {
        let user_data = user_data(cluster, &class_image.name, request);
        let mut groups: Vec<String> = request.class.security_groups.iter().map(|group| group.id.clone()).collect();
        groups.sort();
        let identity = format!(
            "{}/{}/{}/{}/{}/{}",
            self.cluster,
            request.class_name,
            class_image.id,
            request.class.instance_profile,
            groups.join(","),
            user_data
        );
        let name = format!("karpenter.k8s.aws/{}", fnv(&identity));
        let data = LaunchTemplateData {
            image_id: Some(class_image.id.clone()),
            user_data: Some(aws_model::ids::base64(user_data.as_bytes())),
            security_group_ids: groups,
            iam_instance_profile: Some(IamInstanceProfile {
                arn: None,
                name: Some(request.class.instance_profile.clone()),
            }),
            ..LaunchTemplateData::default()
        };
        let tags: BTreeMap<String, String> = [
            ("karpenter.k8s.aws/cluster".to_owned(), self.cluster.clone()),
            (format!("kubernetes.io/cluster/{}", self.cluster), "owned".to_owned()),
        ]
        .into();
        let input = CreateLaunchTemplate { name: name.clone(), data, tags, ..CreateLaunchTemplate::default() };
        let now = self.ec2.now();
        let which = name.clone();
        self.ec2
            .change(&self.caller, &scopes::launch_templates(None), |network, ids| {
                if network.launch_template(&TemplateName::Name(&which)).is_ok() {
                    return Ok(());
                }
                network.create_launch_template(ids, &input, "karpenter", now).map(drop)
            })
            .await
            .map_err(|e| LaunchError::Other(e.to_string()))?;
        Ok(name)
    }
}

fn iam_tag(key: &str, value: &str) -> aws_model::iam::Tag {
    aws_model::iam::Tag { key: key.to_owned(), value: value.to_owned() }
}

/// 64-bit FNV-1a of a text, in decimal: the stable hash names are made of.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// The instance profile Karpenter (`<cluster>_<hash>`) or Auto Mode (`eks-<region>-<cluster>-<hash>`) makes for a
/// role; IAM names are at most 128 characters.
pub fn profile_name(kind: ClassKind, cluster: &str, region: &str, role: &str) -> String {
    let hash = fnv(&format!("{region}{role}"));
    let name = match kind {
        ClassKind::Ec2NodeClass => format!("{cluster}_{hash}"),
        ClassKind::AutoModeNodeClass => format!("eks-{region}-{cluster}-{hash}"),
    };
    name.chars().take(128).collect()
}

/// Whether a resource's tags satisfy a selector term's `tags` (a value `*` asks only for the key).
fn tags_match(wanted: &serde_json::Map<String, Value>, tags: Option<&BTreeMap<String, String>>) -> bool {
    !wanted.is_empty()
        && wanted.iter().all(|(key, value)| {
            let found = tags.and_then(|tags| tags.get(key));
            match value.as_str() {
                Some("*") => found.is_some(),
                Some(value) => found.is_some_and(|found| found == value),
                None => false,
            }
        })
}

/// The selector terms of a class field; a field that is not a list of objects is refused.
fn terms<'a>(spec: &'a Value, field: &str) -> Result<Option<&'a Vec<Value>>, String> {
    match spec.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => Ok(Some(items)),
        Some(_) => Err(format!("spec.{field} must be a list of selector terms")),
    }
}

/// Whether a resource (id, name, tags) matches a term: `id`, `name` and `tags` must each hold when given.
fn term_matches(term: &Value, id: &str, name: Option<&str>, tags: Option<&BTreeMap<String, String>>) -> bool {
    let mut any = false;
    if let Some(wanted) = term.get("id").and_then(Value::as_str) {
        any = true;
        if wanted != id {
            return false;
        }
    }
    if let Some(wanted) = term.get("name").and_then(Value::as_str) {
        any = true;
        if !name.is_some_and(|name| aws_model::ec2::glob(wanted, name)) {
            return false;
        }
    }
    if let Some(wanted) = term.get("tags").and_then(Value::as_object) {
        any = true;
        if !tags_match(wanted, tags) {
            return false;
        }
    }
    any
}

/// The subnets the terms select (or those named when there are no terms), with their free addresses.
fn select_subnets(network: &Network, terms: Option<&Vec<Value>>, defaults: &[String]) -> Vec<ClassSubnet> {
    let mut out: Vec<ClassSubnet> = network
        .subnets
        .values()
        .filter(|subnet| match terms {
            Some(terms) => terms.iter().any(|term| term_matches(term, &subnet.id, None, network.tags.get(&subnet.id))),
            None => defaults.contains(&subnet.id),
        })
        .map(|subnet| ClassSubnet {
            id: subnet.id.clone(),
            zone: subnet.availability_zone.clone(),
            zone_id: subnet.availability_zone_id.clone(),
            available_ips: subnet.available_ip_address_count(),
        })
        .collect();
    out.sort_by(|a, b| a.zone.cmp(&b.zone).then_with(|| a.id.cmp(&b.id)));
    out
}

/// The security groups the terms select (or those named when there are no terms).
fn select_groups(network: &Network, terms: Option<&Vec<Value>>, defaults: &[String]) -> Vec<ClassSecurityGroup> {
    let mut out: Vec<ClassSecurityGroup> = network
        .security_groups
        .values()
        .filter(|group| match terms {
            Some(terms) => {
                terms.iter().any(|term| term_matches(term, &group.id, Some(&group.name), network.tags.get(&group.id)))
            }
            None => defaults.contains(&group.id),
        })
        .map(|group| ClassSecurityGroup { id: group.id.clone(), name: group.name.clone() })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The AMI types of an alias family, one per architecture.
fn alias_types(family: &str) -> Option<&'static [&'static str]> {
    match family {
        "al2023" => Some(&["AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD"]),
        "al2" => Some(&["AL2_x86_64", "AL2_ARM_64"]),
        "bottlerocket" => Some(&["BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64"]),
        _ => None,
    }
}

fn class_image(image: &Image) -> ClassImage {
    let architecture = if image.architecture == "arm64" { "arm64" } else { "amd64" };
    ClassImage { id: image.id.clone(), name: image.name.clone(), architecture: architecture.to_owned() }
}

/// The images `amiSelectorTerms` select for a cluster of Kubernetes `version` in `region`.
fn select_images(terms: &[Value], region: &str, version: &str, versions: &[String]) -> Result<Vec<ClassImage>, String> {
    let mut out: Vec<ClassImage> = Vec::new();
    let known = catalogue(region, versions);
    for term in terms {
        if let Some(alias) = term.get("alias").and_then(Value::as_str) {
            let (family, pinned) = alias.split_once('@').unwrap_or((alias, "latest"));
            let types = alias_types(family).ok_or_else(|| {
                format!(
                    "amiSelectorTerms alias {alias:?} is not supported: the family must be al2023, al2 or bottlerocket"
                )
            })?;
            let release = match pinned {
                "latest" => default_release_version(version),
                pinned => {
                    let date = pinned.trim_start_matches('v');
                    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(format!("amiSelectorTerms alias {alias:?} has an invalid version {pinned:?}"));
                    }
                    format!("{version}.0-{date}")
                }
            };
            out.extend(types.iter().filter_map(|ami_type| image(region, ami_type, &release)).map(|i| class_image(&i)));
            continue;
        }
        out.extend(
            known.iter().filter(|image| term_matches(term, &image.id, Some(&image.name), None)).map(class_image),
        );
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    Ok(out)
}

/// The user data of a node in the image family's form: its cluster, labels and taints as its kubelet reads them.
fn user_data(cluster: &Cluster, image_name: &str, request: &LaunchRequest) -> String {
    let labels: Vec<String> = request.labels.iter().map(|(key, value)| format!("{key}={value}")).collect();
    let taints: Vec<String> = request
        .taints
        .iter()
        .map(|taint| match &taint.value {
            Some(value) => format!("{}={value}:{}", taint.key, taint.effect),
            None => format!("{}:{}", taint.key, taint.effect),
        })
        .collect();
    if image_name.starts_with("bottlerocket") {
        let mut text = format!(
            "[settings.kubernetes]\ncluster-name = \"{}\"\napi-server = \"{}\"\ncluster-certificate = \"{}\"\n\
             \n[settings.kubernetes.node-labels]\n",
            cluster.name, cluster.endpoint, cluster.certificate_authority
        );
        for (key, value) in &request.labels {
            text.push_str(&format!("\"{key}\" = \"{value}\"\n"));
        }
        text.push_str("\n[settings.kubernetes.node-taints]\n");
        for taint in &request.taints {
            text.push_str(&format!(
                "\"{}\" = \"{}:{}\"\n",
                taint.key,
                taint.value.as_deref().unwrap_or_default(),
                taint.effect
            ));
        }
        return text;
    }
    let mut flags = Vec::new();
    if !labels.is_empty() {
        flags.push(format!("--node-labels={}", labels.join(",")));
    }
    if !taints.is_empty() {
        flags.push(format!("--register-with-taints={}", taints.join(",")));
    }
    if image_name.starts_with("amazon-eks-node-al2023") {
        let flag_lines: String = flags.iter().map(|flag| format!("      - {flag}\n")).collect();
        let boundary = "//";
        return format!(
            "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\n\n--{boundary}\n\
             Content-Type: application/node.eks.aws\n\n---\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\n\
             spec:\n  cluster:\n    name: {}\n    apiServerEndpoint: {}\n    certificateAuthority: {}\n    cidr: {}\n\
             \x20 kubelet:\n    flags:\n{flag_lines}\n--{boundary}--\n",
            cluster.name, cluster.endpoint, cluster.certificate_authority, cluster.service_ipv4_cidr
        );
    }
    format!(
        "#!/bin/bash\nset -ex\n/etc/eks/bootstrap.sh '{}' --apiserver-endpoint '{}' --b64-cluster-ca '{}' \
         --kubelet-extra-args '{}'\n",
        cluster.name,
        cluster.endpoint,
        cluster.certificate_authority,
        flags.join(" ")
    )
}

/// An instance type as Karpenter sees it, offered in `zones`; `None` for a type whose node cannot be computed.
pub fn type_info(
    kind: &InstanceType,
    zones: &[String],
    region: &str,
    available: impl Fn(&str, &str) -> bool,
) -> Option<InstanceTypeInfo> {
    let instance = NodeInstance {
        instance_id: "i-template".into(),
        instance_type: kind.name.to_owned(),
        vcpus: 0,
        memory_mib: 0,
        max_pods: 0,
        availability_zone: zones.first().cloned().unwrap_or_default(),
        subnet_id: String::new(),
        subnet_cidr: String::new(),
        private_ip: Ipv4Addr::UNSPECIFIED,
        private_dns_name: "template".into(),
        secondary_ips: Vec::new(),
        nodegroup: String::new(),
        capacity_type: "ON_DEMAND".into(),
        state: InstanceState::Running,
        launched_at: 0.0,
        labels: BTreeMap::new(),
        taints: Vec::new(),
        self_managed: Some(SelfManaged { instance_profile_arn: None }),
        draining: false,
    };
    let node = super::node_groups::template_of(instance, region)?;
    let offerings = zones
        .iter()
        .flat_map(|zone| {
            ["on-demand", "spot"].map(|capacity_type| Offering {
                zone: zone.clone(),
                capacity_type: capacity_type.to_owned(),
                price: kind.price(capacity_type),
                available: available(zone, capacity_type),
            })
        })
        .collect();
    Some(InstanceTypeInfo {
        name: kind.name.to_owned(),
        architecture: kind.kubernetes_architecture().to_owned(),
        category: kind.category().to_owned(),
        family: kind.family().to_owned(),
        generation: kind.generation(),
        size: kind.size().to_owned(),
        vcpus: kind.vcpus,
        memory_mib: kind.memory_mib,
        hypervisor: kind.hypervisor.to_owned(),
        cpu_manufacturer: kind.cpu_manufacturer.to_ascii_lowercase(),
        gpu_count: kind.gpus,
        gpu_name: kind.gpu.map(|gpu| gpu.name.to_ascii_lowercase()),
        gpu_manufacturer: kind.gpu.map(|gpu| gpu.manufacturer.to_ascii_lowercase()),
        gpu_memory_mib: kind.gpu.map_or(0, |gpu| gpu.memory_mib * u64::from(gpu.count)),
        network_bandwidth_mbps: kind.bandwidth_mbps,
        max_pods: node.max_pods,
        capacity_cpu_millis: node.capacity_cpu_millis,
        capacity_memory_bytes: node.capacity_memory_bytes,
        allocatable_cpu_millis: node.allocatable_cpu_millis,
        allocatable_memory_bytes: node.allocatable_memory_bytes,
        allocatable_ephemeral_storage_bytes: node.allocatable_ephemeral_storage_bytes,
        offerings,
    })
}

/// Whether an instance's tags make it one of the cluster's fleet instances.
pub fn owned_by(tags: Option<&BTreeMap<String, String>>, cluster: &str) -> bool {
    let Some(tags) = tags else { return false };
    tags.contains_key(NODE_CLAIM_TAG)
        && (tags.contains_key(&format!("kubernetes.io/cluster/{cluster}"))
            || tags.get(AUTO_MODE_CLUSTER_TAG).is_some_and(|name| name == cluster))
}

#[async_trait::async_trait]
impl Fleet for ClusterFleet {
    async fn auto_mode(&self) -> Result<Option<AutoMode>, String> {
        let cluster = self.cluster().await?;
        Ok(cluster.auto_mode_compute().map(|compute| AutoMode {
            node_pools: compute.node_pools.clone(),
            node_role_arn: compute.node_role_arn.clone(),
        }))
    }

    async fn resolve(&self, kind: ClassKind, name: &str, spec: &Value) -> Result<ResolvedClass, String> {
        if !spec.is_object() {
            return Err(format!("the node class {name:?} has no spec"));
        }
        let cluster = self.cluster().await?;
        let scope = scopes::subnets().all(Kind::SecurityGroup);
        let network = self.ec2.network(&self.caller, &scope).await.map_err(|e| e.to_string())?;
        let subnet_terms = terms(spec, "subnetSelectorTerms")?;
        let group_terms = terms(spec, "securityGroupSelectorTerms")?;
        if kind == ClassKind::Ec2NodeClass && (subnet_terms.is_none() || group_terms.is_none()) {
            return Err("spec.subnetSelectorTerms and spec.securityGroupSelectorTerms are required".into());
        }
        let subnets = select_subnets(&network, subnet_terms, &cluster.vpc.subnet_ids);
        if subnets.is_empty() {
            return Err("SubnetSelector did not match any Subnets".into());
        }
        let cluster_groups = [cluster.vpc.cluster_security_group_id.clone()];
        let security_groups = select_groups(&network, group_terms, &cluster_groups);
        if security_groups.is_empty() {
            return Err("SecurityGroupSelector did not match any SecurityGroups".into());
        }
        let versions = &self.eks.config().versions;
        let images = match kind {
            ClassKind::Ec2NodeClass => {
                let terms = terms(spec, "amiSelectorTerms")?.ok_or("spec.amiSelectorTerms is required")?;
                select_images(terms, &self.caller.region, &cluster.version, versions)?
            }
            ClassKind::AutoModeNodeClass => select_images(
                &[serde_json::json!({"alias": "bottlerocket@latest"})],
                &self.caller.region,
                &cluster.version,
                versions,
            )?,
        };
        if images.is_empty() {
            return Err("AMISelector did not match any AMIs".into());
        }
        let instance_profile = self.instance_profile(kind, spec).await?;
        Ok(ResolvedClass { subnets, security_groups, images, instance_profile })
    }

    async fn instance_types(&self, class: &ResolvedClass) -> Result<Vec<InstanceTypeInfo>, String> {
        let mut zones: Vec<String> = class.subnets.iter().map(|subnet| subnet.zone.clone()).collect();
        zones.sort();
        zones.dedup();
        let now = self.ec2.now();
        let architectures: Vec<&str> = class.images.iter().map(|image| image.architecture.as_str()).collect();
        Ok(INSTANCE_TYPES
            .iter()
            .filter(|kind| architectures.is_empty() || architectures.contains(&kind.kubernetes_architecture()))
            .filter_map(|kind| {
                type_info(kind, &zones, &self.caller.region, |zone, capacity_type| {
                    self.available(kind.name, zone, capacity_type, now)
                })
            })
            .collect())
    }

    async fn launch(&self, request: &LaunchRequest) -> Result<Launched, LaunchError> {
        if request.overrides.is_empty() {
            return Err(LaunchError::Other("no instance type offering fits the request".into()));
        }
        let capacity_type =
            if request.overrides.iter().any(|o| o.capacity_type == "spot") { "spot" } else { "on-demand" };
        let cluster = self.cluster().await.map_err(LaunchError::Other)?;
        let mut configs = Vec::new();
        for class_image in &request.class.images {
            let overrides: Vec<FleetOverride> = request
                .overrides
                .iter()
                .filter(|o| o.capacity_type == capacity_type)
                .filter(|o| {
                    instance_type(&o.instance_type)
                        .is_some_and(|k| k.kubernetes_architecture() == class_image.architecture)
                })
                .map(|o| FleetOverride {
                    instance_type: Some(o.instance_type.clone()),
                    subnet_id: Some(o.subnet_id.clone()),
                    availability_zone: Some(o.zone.clone()),
                    ..FleetOverride::default()
                })
                .collect();
            if overrides.is_empty() {
                continue;
            }
            let name = self.launch_template(&cluster, request, class_image).await?;
            configs.push(FleetConfig {
                template: FleetTemplate { id: None, name: Some(name), version: Some("$Latest".into()) },
                overrides,
            });
        }
        if configs.is_empty() {
            return Err(LaunchError::Other("no image of the node class runs the requested instance types".into()));
        }
        let mut tags = request.tags.clone();
        tags.insert(NODE_CLAIM_TAG.into(), request.node_claim.clone());
        tags.entry("karpenter.sh/nodepool".into()).or_insert_with(|| request.node_pool.clone());
        match request.class_kind {
            ClassKind::Ec2NodeClass => {
                tags.entry(format!("kubernetes.io/cluster/{}", self.cluster)).or_insert_with(|| "owned".into());
            }
            ClassKind::AutoModeNodeClass => {
                tags.entry(AUTO_MODE_CLUSTER_TAG.into()).or_insert_with(|| self.cluster.clone());
            }
        }
        tags.entry("Name".into()).or_insert_with(|| format!("karpenter.sh/nodepool/{}", request.node_pool));
        let fleet = CreateFleet {
            fleet_type: "instant".into(),
            configs,
            total_target_capacity: 1,
            default_target_capacity_type: capacity_type.into(),
            on_demand_allocation_strategy: Some("lowest-price".into()),
            spot_allocation_strategy: Some("price-capacity-optimized".into()),
            instance_tags: tags,
            client_token: Some(request.node_claim.chars().take(64).collect()),
            ..CreateFleet::default()
        };
        let now = self.ec2.now();
        let created = self
            .ec2
            .change_widening(
                &self.caller,
                &scopes::create_fleet(true),
                |network| scopes::fleet_subnets(network, &fleet),
                |network, ids| network.create_fleet(ids, &fleet, now),
            )
            .await
            .map_err(|e| LaunchError::Other(e.to_string()))?;
        let mut insufficient = Vec::new();
        let mut other = None;
        for error in &created.errors {
            let overrides = error.launched_from.overrides.clone().unwrap_or_default();
            match &error.failure {
                FleetFailure::InsufficientCapacity(message) => {
                    let zone = request
                        .overrides
                        .iter()
                        .find(|o| Some(&o.subnet_id) == overrides.subnet_id.as_ref())
                        .map(|o| o.zone.clone())
                        .unwrap_or_default();
                    insufficient.push((
                        overrides.instance_type.clone().unwrap_or_default(),
                        zone,
                        error.lifecycle.clone(),
                    ));
                    other.get_or_insert_with(|| message.clone());
                }
                FleetFailure::SpotMaxPriceTooLow(message) => {
                    other.get_or_insert_with(|| message.clone());
                }
                FleetFailure::Refused(error) => other = Some(error.to_string()),
            }
        }
        self.mark_unavailable(&insufficient, now);
        let Some(group) = created.instances.first() else {
            let message = other.unwrap_or_else(|| "the fleet launched nothing".into());
            return Err(if insufficient.len() == created.errors.len() {
                LaunchError::InsufficientCapacity { offerings: insufficient, message }
            } else {
                LaunchError::Other(message)
            });
        };
        let id = group.instance_ids[0].clone();
        let ids = vec![id.clone()];
        let instance = self
            .ec2
            .view(&self.caller, &scopes::instance_ids(&ids), |network| network.instances.get(&id).cloned())
            .await
            .map_err(|e| LaunchError::Other(e.to_string()))?
            .ok_or_else(|| LaunchError::Other(format!("the instance {id} is gone")))?;
        Ok(Launched {
            provider_id: format!("aws:///{}/{}", instance.availability_zone, instance.id),
            instance_id: instance.id,
            instance_type: instance.instance_type,
            zone: instance.availability_zone,
            capacity_type: group.lifecycle.clone(),
            image_id: instance.image_id,
        })
    }

    async fn terminate(&self, instance_id: &str) -> Result<(), String> {
        let ids = vec![instance_id.to_owned()];
        let now = self.ec2.now();
        let result = self
            .ec2
            .change_widening(&self.caller, &scopes::instance_ids(&ids), scopes::instance_subnets, |network, _| {
                network.change_instance_states(&ids, StateRequest::Terminate, now).map(drop)
            })
            .await;
        match result {
            Ok(()) | Err(Ec2Error::InstanceNotFound(_)) => Ok(()),
            Err(error) => Err(error.to_string()),
        }
    }

    async fn instances(&self) -> Result<Vec<FleetInstance>, String> {
        let now = self.ec2.now();
        let scope = Scope::new().all(Kind::Instance);
        self.ec2
            .view(&self.caller, &scope, |network| {
                network
                    .instances
                    .values()
                    .filter(|instance| owned_by(network.tags.get(&instance.id), &self.cluster))
                    .filter(|instance| instance.state_at(now) != InstanceState::Terminated)
                    .map(|instance| FleetInstance {
                        instance_id: instance.id.clone(),
                        provider_id: format!("aws:///{}/{}", instance.availability_zone, instance.id),
                        state: instance.state_at(now).name().to_owned(),
                        tags: network.tags.get(&instance.id).cloned().unwrap_or_default(),
                        subnet_id: instance.subnet_id.clone(),
                        security_groups: instance.security_groups.clone(),
                    })
                    .collect()
            })
            .await
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests;

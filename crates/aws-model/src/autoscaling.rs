//! Auto Scaling groups, of managed node groups and of the user's own, and the instances they launch.
//!
//! Every managed node group has one Auto Scaling group (`eks-<nodegroup>-<uuid>`) whose sizes are the node
//! group's `scalingConfig`. The node groups are EKS's records; the groups and their instances are EC2's (one
//! record each, changed through [`Ec2`]). Groups made with CreateAutoScalingGroup (`groups.rs`: their settings,
//! tags, activities and the calls that change them) are their own spec: [`GroupSpec::of_user_group`] reads one
//! from the group as stored, so both kinds go through the same reconcile and launcher. [`AutoScaling::sync`]
//! reconciles the groups with their specs:
//! it is called before every read and after every change of groups or instances, so a node group's instances
//! follow it lazily, the way node group statuses follow the clock: created when the node group is created,
//! resized when its desired size changes (by UpdateNodegroupConfig, SetDesiredCapacity or UpdateAutoScalingGroup),
//! replaced when one is terminated, and terminated with the node group.
//!
//! Placement and scale-in follow Auto Scaling's defaults, simplified: a new instance goes to the zone of the
//! group's subnets with the fewest instances (then the subnet with the fewest, then the first listed); scale-in
//! takes stopped instances first, then from the zone with the most instances, the oldest instance there (the
//! default policy's "oldest launch template" and "closest to the next billing hour" reduce to that when every
//! instance comes from the same template). [`Network::reconcile_group`], [`choose_subnet`] and
//! [`choose_victim`] are the decision core: no IO.
//!
//! A sync first reads the region's groups, instances and templates once and checks them against the node groups
//! ([`Network::out_of_line`]); only the groups out of line then get changes, one group at a time, so a sync with
//! nothing to do writes nothing and reads each record once. [`next_change`] says when the instances
//! or node groups next change by themselves (an instance finishes booting, a deleted node group's delay ends, a
//! terminated instance is forgotten), so a caller need not sync on a timer.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::ec2::instance_types::{DEFAULT_INSTANCE_TYPE, instance_type};
use crate::ec2::instances::{Drain, Launch, TERMINATED_VISIBLE_SECONDS, terminated_long_ago};
use crate::ec2::templates::{LaunchTemplate, LaunchTemplateData, LaunchTemplateVersion, TemplateName};
use crate::ec2::{
    Ec2, Ec2Error, IdSource, Instance, InstanceState, Kind, Network, NodegroupMember, Scope, StateRequest, Tags,
    TemplateRef,
};

pub mod automation;
pub mod groups;

pub use automation::Automation;

use crate::eks::nodegroups::{Nodegroup, NodegroupStatus, ScalingConfig, Taint};
use crate::eks::{Caller, Eks, EksError};
pub use groups::{Activity, GroupSettings, GroupTag, MixedInstancesPolicy};

/// An Auto Scaling group as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoScalingGroup {
    pub name: String,
    pub arn: String,
    /// Unix seconds.
    pub created_at: f64,
    pub min_size: i64,
    pub max_size: i64,
    pub desired_capacity: i64,
    /// The subnets (`VPCZoneIdentifier`), in the order given.
    pub subnets: Vec<String>,
    /// The zones of those subnets, sorted.
    pub availability_zones: Vec<String>,
    pub launch_template: TemplateRef,
    /// Whether ekslite made the launch template for the group (deleted with it).
    pub owns_launch_template: bool,
    /// Tags, all propagated to the instances at launch.
    pub tags: Tags,
    /// The ids of its instances that are not terminated, oldest first.
    pub instances: Vec<String>,
    pub cluster: String,
    pub nodegroup: String,
    /// Set once its node group is being deleted (or, for a user's group, once DeleteAutoScalingGroup forced it).
    pub deleting: bool,
    /// What the user set on a group made with CreateAutoScalingGroup; `None` for the groups of managed node
    /// groups (whose `cluster` and `nodegroup` are then set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<GroupSettings>,
    /// What the group launched and terminated, newest first, at most [`groups::ACTIVITIES_KEPT`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activities: Vec<Activity>,
    /// Its lifecycle hooks, warm pool, scheduled actions and scaling policies (stored, not acted on).
    #[serde(default, skip_serializing_if = "Automation::is_empty")]
    pub automation: Automation,
}

impl AutoScalingGroup {
    /// Whether the group is a user's (CreateAutoScalingGroup), not a managed node group's.
    pub fn is_user_group(&self) -> bool {
        self.settings.is_some()
    }
}

/// What a user's group asks beyond what a node group's does.
#[derive(Debug, Clone, PartialEq)]
pub struct UserGroup {
    /// The group's tags.
    pub tags: Tags,
    /// Those of its tags that its instances get at launch.
    pub propagated: Tags,
    /// Members that scale-in leaves alone.
    pub protected: BTreeSet<String>,
    /// Whether new members are protected from scale-in.
    pub protect_new: bool,
}

/// What a node group asks of its Auto Scaling group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSpec {
    pub name: String,
    /// The uuid of the node group (the last part of its ARN).
    pub uuid: String,
    pub cluster: String,
    pub nodegroup: String,
    pub scaling: ScalingConfig,
    pub deleting: bool,
    pub subnets: Vec<String>,
    /// The node group's first instance type, if it names one.
    pub instance_type: Option<String>,
    pub ami_type: String,
    pub release_version: String,
    pub capacity_type: String,
    pub node_role: String,
    pub key_name: Option<String>,
    /// The cluster security group, which node group instances get when no launch template chooses groups.
    pub security_groups: Vec<String>,
    /// The user's launch template (id or name) and version.
    pub launch_template: Option<(Option<String>, Option<String>, Option<String>)>,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    /// Seconds a new instance stays `pending`.
    pub boot_seconds: f64,
    /// Set for a user's group.
    pub user: Option<UserGroup>,
}

impl GroupSpec {
    /// The spec of a node group: its sizes, or none while it is being deleted or failed.
    pub fn of(nodegroup: &Nodegroup, cluster_security_group: Option<&str>, boot_seconds: f64) -> GroupSpec {
        let deleting = matches!(
            nodegroup.status,
            NodegroupStatus::Deleting | NodegroupStatus::CreateFailed | NodegroupStatus::DeleteFailed
        );
        GroupSpec {
            name: nodegroup.auto_scaling_group.clone(),
            uuid: nodegroup.arn.rsplit('/').next().unwrap_or_default().to_owned(),
            cluster: nodegroup.cluster.clone(),
            nodegroup: nodegroup.name.clone(),
            scaling: nodegroup.scaling,
            deleting,
            subnets: nodegroup.subnets.clone(),
            instance_type: nodegroup.instance_types.first().cloned(),
            ami_type: nodegroup.ami_type.clone(),
            release_version: nodegroup.release_version.clone(),
            capacity_type: nodegroup.capacity_type.clone(),
            node_role: nodegroup.node_role.clone(),
            key_name: nodegroup.remote_access.as_ref().and_then(|access| access.ec2_ssh_key.clone()),
            security_groups: cluster_security_group
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .into_iter()
                .collect(),
            launch_template: nodegroup
                .launch_template
                .as_ref()
                .map(|template| (template.id.clone(), template.name.clone(), template.version.clone())),
            labels: nodegroup.labels.clone(),
            taints: nodegroup.taints.clone(),
            boot_seconds,
            user: None,
        }
    }

    /// The spec of a user's group: the group as stored asks for itself. `None` for a node group's group and for
    /// a group being deleted.
    pub fn of_user_group(group: &AutoScalingGroup, boot_seconds: f64) -> Option<GroupSpec> {
        let settings = group.settings.as_ref()?;
        if group.deleting {
            return None;
        }
        let (template, instance_type) = match &settings.mixed_instances_policy {
            Some(policy) => (&policy.launch_template, policy.overrides.iter().find_map(|o| o.instance_type.clone())),
            None => (&settings.launch_template, None),
        };
        let propagated = group
            .tags
            .iter()
            .filter(|(key, _)| !settings.unpropagated.contains(*key))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        Some(GroupSpec {
            name: group.name.clone(),
            uuid: group.arn.split(':').nth(6).unwrap_or_default().to_owned(),
            cluster: String::new(),
            nodegroup: String::new(),
            scaling: ScalingConfig {
                min_size: group.min_size,
                max_size: group.max_size,
                desired_size: group.desired_capacity,
            },
            deleting: false,
            subnets: group.subnets.clone(),
            instance_type,
            ami_type: String::new(),
            release_version: String::new(),
            capacity_type: "ON_DEMAND".into(),
            node_role: String::new(),
            key_name: None,
            security_groups: Vec::new(),
            launch_template: Some((Some(template.id.clone()), None, Some(template.version.clone()))),
            labels: BTreeMap::new(),
            taints: Vec::new(),
            boot_seconds,
            user: Some(UserGroup {
                tags: group.tags.clone(),
                propagated,
                protected: settings.protected.clone(),
                protect_new: settings.new_instances_protected_from_scale_in,
            }),
        })
    }

    /// Sets what a group takes from its spec: sizes (none while deleting), subnets and their zones, launch
    /// template and tags.
    fn settle(&self, group: &mut AutoScalingGroup, template: &TemplateRef, owns: bool, zones: Vec<String>) {
        group.min_size = if self.deleting { 0 } else { self.scaling.min_size };
        group.max_size = if self.deleting { 0 } else { self.scaling.max_size };
        group.desired_capacity = if self.deleting { 0 } else { self.scaling.desired_size };
        group.deleting = self.deleting;
        group.subnets.clone_from(&self.subnets);
        group.availability_zones = zones;
        group.launch_template.clone_from(template);
        group.owns_launch_template = owns;
        group.tags = self.tags();
    }

    /// The group's tags (a node group's are all propagated to its instances).
    fn tags(&self) -> Tags {
        if let Some(user) = &self.user {
            return user.tags.clone();
        }
        let cluster = &self.cluster;
        [
            ("eks:cluster-name".to_owned(), cluster.clone()),
            ("eks:nodegroup-name".to_owned(), self.nodegroup.clone()),
            ("k8s.io/cluster-autoscaler/enabled".to_owned(), "true".to_owned()),
            (format!("k8s.io/cluster-autoscaler/{cluster}"), "owned".to_owned()),
            (format!("kubernetes.io/cluster/{cluster}"), "owned".to_owned()),
        ]
        .into_iter()
        .collect()
    }

    /// The instance profile EKS makes for the node role.
    fn instance_profile_arn(&self) -> String {
        let account = self.node_role.split(':').nth(4).unwrap_or_default();
        format!("arn:aws:iam::{account}:instance-profile/eks-{}", self.uuid)
    }

    /// The EKS optimized AMI of the node group's AMI type and release in a region, from the catalogue
    /// (`crate::ec2::images`), so that DescribeImages knows the id its instances run.
    fn image_id(&self, region: &str) -> String {
        crate::ec2::images::image_id(region, &self.ami_type, &self.release_version)
    }
}

/// One candidate subnet for a launch, with the group's instances already there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub availability_zone: String,
    /// The group's live instances in the subnet's zone.
    pub in_zone: usize,
    /// The group's live instances in the subnet.
    pub in_subnet: usize,
    /// Whether the subnet has a free private address.
    pub has_free_address: bool,
}

/// Where the next instance goes: the zone with the fewest instances, then the subnet with the fewest, then the
/// first listed; `None` when no subnet has room.
pub fn choose_subnet(slots: &[Slot]) -> Option<usize> {
    slots
        .iter()
        .enumerate()
        .filter(|(_, slot)| slot.has_free_address)
        .min_by_key(|(index, slot)| (slot.in_zone, slot.in_subnet, *index))
        .map(|(index, _)| index)
}

/// The instance a scale-in takes: a stopped one first, else from the zone with the most instances (ties: the
/// first zone by name) the oldest (ties: the lowest id).
pub fn choose_victim(members: &[&Instance]) -> Option<String> {
    let unhealthy = members
        .iter()
        .filter(|instance| instance.state != InstanceState::Running)
        .min_by(|a, b| a.launched_at.total_cmp(&b.launched_at).then_with(|| a.id.cmp(&b.id)));
    if let Some(instance) = unhealthy {
        return Some(instance.id.clone());
    }
    let mut per_zone: BTreeMap<&str, usize> = BTreeMap::new();
    for instance in members {
        *per_zone.entry(&instance.availability_zone).or_default() += 1;
    }
    let most = per_zone.values().copied().max()?;
    let zone = per_zone.iter().find(|(_, count)| **count == most).map(|(zone, _)| *zone)?;
    members
        .iter()
        .filter(|instance| instance.availability_zone == zone)
        .min_by(|a, b| a.launched_at.total_cmp(&b.launched_at).then_with(|| a.id.cmp(&b.id)))
        .map(|instance| instance.id.clone())
}

/// The ARN of a group.
fn group_arn(network: &Network, name: &str, uuid: &str) -> String {
    format!(
        "arn:aws:autoscaling:{}:{}:autoScalingGroup:{uuid}:autoScalingGroupName/{name}",
        network.region, network.account
    )
}

/// The most instances one change of a group launches, terminates or relabels, so that it stays one store
/// transaction; a group further from its spec is brought in line over several changes.
pub const INSTANCES_PER_CHANGE: usize = 24;

/// The most instance, interface and volume records one change of a group writes: a launch writes the instance and
/// its primary interface, a termination the instance, its interfaces and its volumes
/// ([`Network::termination_cost`]).
pub const RECORDS_PER_CHANGE: usize = 60;

impl Network {
    /// Brings every node group's Auto Scaling group and instances in line with `specs` in a whole network:
    /// groups of node groups that are gone are deleted with their instances, terminated instances an hour old
    /// are forgotten. [`AutoScaling::sync`] does the same one group and one change at a time.
    pub fn reconcile_groups(&mut self, specs: &[GroupSpec], ids: &mut IdSource, now: f64) {
        let mut specs = specs.to_vec();
        specs.extend(self.user_group_specs(0.0));
        let specs = specs.as_slice();
        let wanted: BTreeSet<&str> = specs.iter().map(|spec| spec.name.as_str()).collect();
        let gone: Vec<String> =
            self.auto_scaling_groups.keys().filter(|name| !wanted.contains(name.as_str())).cloned().collect();
        for name in gone {
            while !self.remove_group(&name, now) {}
        }
        for spec in specs {
            while !self.reconcile_group(spec, ids, now) {}
        }
        self.forget_terminated(now);
    }

    /// Terminates a group's instances ([`INSTANCES_PER_CHANGE`] at a time) and then deletes it, with the launch
    /// template made for it. True once the group is gone.
    pub fn remove_group(&mut self, name: &str, now: f64) -> bool {
        let Some(group) = self.auto_scaling_groups.get(name) else { return true };
        let mut records = 0;
        let live: Vec<String> = group
            .instances
            .iter()
            .filter(|id| self.instances.get(id).is_some_and(Instance::is_live))
            .take(INSTANCES_PER_CHANGE)
            .take_while(|id| {
                records += self.termination_cost(id);
                records <= RECORDS_PER_CHANGE || records == self.termination_cost(id)
            })
            .cloned()
            .collect();
        if !live.is_empty() {
            let _ = self.change_instance_states(&live, StateRequest::Terminate, now);
            if let Some(group) = self.auto_scaling_groups.get_mut(name) {
                group.instances.retain(|id| !live.contains(id));
            }
            return false;
        }
        let group = self.auto_scaling_groups.remove(name).expect("present above");
        if group.owns_launch_template {
            self.launch_templates.remove(&group.launch_template.id);
            self.untag(&group.launch_template.id);
        }
        true
    }

    /// The launch template version a spec launches from, and whether the group owns the template, when that
    /// template exists: the user's, or the one made for the group before.
    fn existing_template(&self, spec: &GroupSpec) -> Option<(TemplateRef, bool)> {
        if let Some((id, name, version)) = &spec.launch_template {
            let which = match (id, name) {
                (Some(id), _) => TemplateName::Id(id),
                (None, Some(name)) => TemplateName::Name(name),
                (None, None) => TemplateName::Id(""),
            };
            if let Ok(template) = self.launch_template(&which) {
                let number = template.version(version.as_deref()).map_or(template.default_version, |v| v.number);
                return Some((
                    TemplateRef { id: template.id.clone(), name: template.name.clone(), version: number.to_string() },
                    false,
                ));
            }
        }
        if let Some(group) = self.auto_scaling_groups.get(&spec.name)
            && group.owns_launch_template
            && self.launch_templates.contains_key(&group.launch_template.id)
        {
            return Some((group.launch_template.clone(), true));
        }
        None
    }

    /// The launch template version a spec launches from, and the template the group names; a template is made
    /// for the group when none exists.
    fn resolve_template(&mut self, spec: &GroupSpec, ids: &mut IdSource, now: f64) -> (TemplateRef, bool) {
        if let Some(found) = self.existing_template(spec) {
            return found;
        }
        let template = LaunchTemplate {
            id: ids.id("lt"),
            name: format!("eks-{}", spec.uuid),
            created_at: now,
            created_by: format!("arn:aws:sts::{}:assumed-role/AWSServiceRoleForAmazonEKSNodegroup/EKS", self.account),
            default_version: 1,
            versions: vec![LaunchTemplateVersion {
                number: 1,
                description: None,
                created_at: now,
                created_by: String::new(),
                data: LaunchTemplateData {
                    image_id: Some(spec.image_id(&self.region)),
                    instance_type: Some(spec.instance_type.clone().unwrap_or_else(|| DEFAULT_INSTANCE_TYPE.into())),
                    security_group_ids: spec.security_groups.clone(),
                    ..LaunchTemplateData::default()
                },
            }],
        };
        let reference = TemplateRef { id: template.id.clone(), name: template.name.clone(), version: "1".into() };
        let tags: Tags = [
            ("eks:cluster-name".to_owned(), spec.cluster.clone()),
            ("eks:nodegroup-name".to_owned(), spec.nodegroup.clone()),
        ]
        .into_iter()
        .collect();
        self.tag(&template.id, &tags);
        self.launch_templates.insert(template.id.clone(), template);
        (reference, true)
    }

    /// The specs of the user's groups that are not being deleted ([`GroupSpec::of_user_group`]).
    pub fn user_group_specs(&self, boot_seconds: f64) -> Vec<GroupSpec> {
        self.auto_scaling_groups.values().filter_map(|group| GroupSpec::of_user_group(group, boot_seconds)).collect()
    }

    /// Brings one group in line with its spec: sizes, member labels and taints, launches and terminations, at
    /// most [`INSTANCES_PER_CHANGE`] instances at a time. True when nothing is left to do. A user's group is
    /// brought in line with itself as it is in this view (a call may have changed it since the spec was read),
    /// never made here, and removed once it is being deleted; one whose launch template is gone launches
    /// nothing.
    pub fn reconcile_group(&mut self, spec: &GroupSpec, ids: &mut IdSource, now: f64) -> bool {
        if spec.user.is_none() {
            return self.reconcile_spec(spec, ids, now);
        }
        let Some(group) = self.auto_scaling_groups.get(&spec.name) else { return true };
        if group.deleting {
            return self.remove_group(&spec.name, now);
        }
        let Some(current) = GroupSpec::of_user_group(group, spec.boot_seconds) else { return true };
        if self.existing_template(&current).is_none() {
            return true;
        }
        self.reconcile_spec(&current, ids, now)
    }

    /// [`Network::reconcile_group`] for a spec as it is.
    fn reconcile_spec(&mut self, spec: &GroupSpec, ids: &mut IdSource, now: f64) -> bool {
        let (template, owns) = self.resolve_template(spec, ids, now);
        let zones = self.zones(spec);
        let arn = group_arn(self, &spec.name, &spec.uuid);
        if !self.auto_scaling_groups.contains_key(&spec.name) {
            let group = AutoScalingGroup {
                name: spec.name.clone(),
                arn,
                created_at: now,
                min_size: 0,
                max_size: 0,
                desired_capacity: 0,
                subnets: Vec::new(),
                availability_zones: Vec::new(),
                launch_template: template.clone(),
                owns_launch_template: owns,
                tags: Tags::new(),
                instances: Vec::new(),
                cluster: spec.cluster.clone(),
                nodegroup: spec.nodegroup.clone(),
                deleting: false,
                settings: None,
                activities: Vec::new(),
                automation: Automation::default(),
            };
            self.auto_scaling_groups.insert(spec.name.clone(), group);
        }
        let group = self.auto_scaling_groups.get_mut(&spec.name).expect("inserted above");
        spec.settle(group, &template, owns, zones);
        let members: Vec<String> = group.instances.clone();
        let desired = usize::try_from(group.desired_capacity).unwrap_or(0);
        let live: Vec<String> =
            members.into_iter().filter(|id| self.instances.get(id).is_some_and(Instance::is_live)).collect();
        let mut budget = INSTANCES_PER_CHANGE;
        let mut records = RECORDS_PER_CHANGE;
        for id in &live {
            let Some(member) = self.instances.get_mut(id).and_then(|instance| instance.nodegroup.as_mut()) else {
                continue;
            };
            if member.labels != spec.labels || member.taints != spec.taints {
                if budget == 0 {
                    break;
                }
                budget -= 1;
                records -= 1;
                member.labels = spec.labels.clone();
                member.taints = spec.taints.clone();
            }
        }
        let mut live = live;
        let protected = spec.user.as_ref().map(|user| user.protected.clone()).unwrap_or_default();
        let mut activities = Vec::new();
        let before = live.len();
        // A managed node group's members leaving the group are drained first (see `Drain`): those drained, or
        // draining for longer than EKS waits, are terminated now; the others stay members meanwhile.
        let mut draining: Vec<String> = Vec::new();
        for id in live.clone() {
            let Some(drain) = self.instances.get(&id).and_then(|i| i.nodegroup.as_ref()).and_then(|m| m.drain) else {
                continue;
            };
            if !(drain.done || spec.deleting || now >= drain.since + DRAIN_LIMIT_SECONDS) {
                draining.push(id);
                continue;
            }
            let cost = self.termination_cost(&id);
            if budget == 0 || (cost > records && records < RECORDS_PER_CHANGE) {
                budget = 0;
                draining.push(id);
                continue;
            }
            records = records.saturating_sub(cost);
            budget -= 1;
            let _ = self.change_instance_states(std::slice::from_ref(&id), StateRequest::Terminate, now);
            live.retain(|member| *member != id);
            activities.push(groups::terminated(&id, before, desired, now));
        }
        let mut serving: Vec<String> = live.iter().filter(|id| !draining.contains(*id)).cloned().collect();
        while serving.len() > desired && budget > 0 {
            let members: Vec<&Instance> =
                serving.iter().filter(|id| !protected.contains(*id)).filter_map(|id| self.instances.get(id)).collect();
            let Some(victim) = choose_victim(&members) else { break };
            let running = self.instances.get(&victim).is_some_and(|instance| instance.state == InstanceState::Running);
            if spec.user.is_none() && !spec.deleting && running {
                // Cordoned and drained before it goes, as EKS scales a managed node group in. (A node group being
                // deleted takes its instances at once.)
                budget -= 1;
                records = records.saturating_sub(1);
                if let Some(member) = self.instances.get_mut(&victim).and_then(|i| i.nodegroup.as_mut()) {
                    member.drain = Some(Drain { since: now, done: false });
                }
                serving.retain(|id| *id != victim);
                draining.push(victim);
                continue;
            }
            let cost = self.termination_cost(&victim);
            if cost > records && records < RECORDS_PER_CHANGE {
                budget = 0;
                break;
            }
            records = records.saturating_sub(cost);
            let _ = self.change_instance_states(std::slice::from_ref(&victim), StateRequest::Terminate, now);
            live.retain(|id| *id != victim);
            serving.retain(|id| *id != victim);
            budget -= 1;
            activities.push(groups::terminated(&victim, before, desired, now));
        }
        let mut out_of_room = false;
        let mut launched = Vec::new();
        while serving.len() < desired && budget > 0 && records >= 2 {
            match self.launch(spec, &template, &live, ids, now) {
                Some(id) => {
                    activities.push(groups::launched(&id, before, desired, now));
                    launched.push(id.clone());
                    serving.push(id.clone());
                    live.push(id);
                }
                None => {
                    out_of_room = true;
                    break;
                }
            }
            budget -= 1;
            records -= 2;
        }
        let done = (budget > 0 && records >= 2) || (serving.len() == desired && !self.relabel_pending(spec, &live));
        let group = self.auto_scaling_groups.get_mut(&spec.name).expect("inserted above");
        if out_of_room {
            activities.push(groups::no_room(&group.subnets, before, desired, now));
        }
        group.record(activities);
        if let Some(settings) = group.settings.as_mut() {
            if spec.user.as_ref().is_some_and(|user| user.protect_new) {
                settings.protected.extend(launched);
            }
            settings.protected.retain(|id| live.contains(id));
        }
        group.instances = live;
        done || out_of_room
    }

    /// The zones of a spec's subnets, sorted, each once.
    fn zones(&self, spec: &GroupSpec) -> Vec<String> {
        let mut zones: Vec<String> = spec
            .subnets
            .iter()
            .filter_map(|id| self.subnets.get(id).map(|subnet| subnet.availability_zone.clone()))
            .collect();
        zones.sort();
        zones.dedup();
        zones
    }

    /// What [`Network::reconcile_groups`] would change: the specs whose group is missing or differs from them
    /// (sizes, subnets, template, tags; members missing, not live or labelled otherwise, or too many or too few),
    /// the groups no spec wants, and the terminated instances old enough to forget. Reads the groups, instances,
    /// launch templates and subnets.
    pub fn out_of_line<'a>(&self, specs: &'a [GroupSpec], now: f64) -> OutOfLine<'a> {
        let wanted: BTreeSet<&str> = specs.iter().map(|spec| spec.name.as_str()).collect();
        OutOfLine {
            groups: specs.iter().filter(|spec| !self.group_in_line(spec, now)).collect(),
            unwanted: self.auto_scaling_groups.keys().filter(|name| !wanted.contains(name.as_str())).cloned().collect(),
            forgotten: terminated_long_ago(self.instances.values(), now),
        }
    }

    /// Whether [`Network::reconcile_groups`] would change nothing ([`Network::out_of_line`] finds nothing).
    pub fn groups_in_line(&self, specs: &[GroupSpec], now: f64) -> bool {
        self.out_of_line(specs, now).is_empty()
    }

    /// Whether [`Network::reconcile_group`] would change nothing of this group.
    fn group_in_line(&self, spec: &GroupSpec, now: f64) -> bool {
        let Some(group) = self.auto_scaling_groups.get(&spec.name) else { return false };
        let Some((template, owns)) = self.existing_template(spec) else { return false };
        let mut settled = group.clone();
        spec.settle(&mut settled, &template, owns, self.zones(spec));
        let drain = |id: &String| self.instances.get(id).and_then(|i| i.nodegroup.as_ref()).and_then(|m| m.drain);
        // Members still draining wait; one drained, or past the limit, is due to go.
        let due = |drain: Drain| drain.done || spec.deleting || now >= drain.since + DRAIN_LIMIT_SECONDS;
        if group.instances.iter().filter_map(drain).any(due) {
            return false;
        }
        let serving = group.instances.iter().filter(|id| drain(id).is_none()).count();
        if settled != *group || serving != usize::try_from(group.desired_capacity).unwrap_or(0) {
            return false;
        }
        group.instances.iter().all(|id| {
            self.instances.get(id).is_some_and(|instance| {
                instance.is_live()
                    && instance
                        .nodegroup
                        .as_ref()
                        .is_none_or(|member| member.labels == spec.labels && member.taints == spec.taints)
            })
        })
    }

    /// Whether a live member still carries other labels or taints than its spec.
    fn relabel_pending(&self, spec: &GroupSpec, live: &[String]) -> bool {
        live.iter().any(|id| {
            self.instances
                .get(id)
                .and_then(|instance| instance.nodegroup.as_ref())
                .is_some_and(|member| member.labels != spec.labels || member.taints != spec.taints)
        })
    }

    /// Launches one instance of a group into the subnet [`choose_subnet`] picks; `None` when no subnet has room.
    fn launch(
        &mut self,
        spec: &GroupSpec,
        template: &TemplateRef,
        live: &[String],
        ids: &mut IdSource,
        now: f64,
    ) -> Option<String> {
        let known: Vec<&crate::ec2::Subnet> = spec.subnets.iter().filter_map(|id| self.subnets.get(id)).collect();
        let members: Vec<&Instance> = live.iter().filter_map(|id| self.instances.get(id)).collect();
        let slots: Vec<Slot> = known
            .iter()
            .map(|subnet| Slot {
                availability_zone: subnet.availability_zone.clone(),
                in_zone: members.iter().filter(|i| i.availability_zone == subnet.availability_zone).count(),
                in_subnet: members.iter().filter(|i| i.subnet_id == subnet.id).count(),
                has_free_address: subnet.available_ip_address_count() > 0,
            })
            .collect();
        let subnet = known[choose_subnet(&slots)?].id.clone();
        let data = self
            .launch_templates
            .get(&template.id)
            .and_then(|t| t.version(Some(&template.version)).ok())
            .map(|version| version.data.clone())
            .unwrap_or_default();
        let instance_type = spec
            .instance_type
            .clone()
            .or(data.instance_type.clone())
            .unwrap_or_else(|| DEFAULT_INSTANCE_TYPE.to_owned());
        let security_groups = if data.security_group_ids.is_empty() {
            spec.security_groups.clone()
        } else {
            data.security_group_ids.clone()
        };
        let mut tags = match &spec.user {
            Some(user) => user.propagated.clone(),
            None => spec.tags(),
        };
        for (kind, extra) in &data.tag_specifications {
            if kind == "instance" {
                tags.extend(extra.clone());
            }
        }
        tags.insert("aws:autoscaling:groupName".into(), spec.name.clone());
        tags.insert("aws:ec2launchtemplate:id".into(), template.id.clone());
        tags.insert("aws:ec2launchtemplate:version".into(), template.version.clone());
        let (instance_profile_arn, nodegroup) = match &spec.user {
            Some(_) => (groups::template_instance_profile(&data, &self.account), None),
            None => (
                Some(spec.instance_profile_arn()),
                Some(NodegroupMember {
                    cluster: spec.cluster.clone(),
                    nodegroup: spec.nodegroup.clone(),
                    capacity_type: spec.capacity_type.clone(),
                    labels: spec.labels.clone(),
                    taints: spec.taints.clone(),
                    drain: None,
                }),
            ),
        };
        let launch = Launch {
            subnet_id: subnet,
            instance_type,
            image_id: data.image_id.clone().unwrap_or_else(|| spec.image_id(&self.region)),
            security_groups,
            instance_profile_arn,
            key_name: spec.key_name.clone().or(data.key_name.clone()),
            user_data: data.user_data.clone(),
            launch_template: Some(template.clone()),
            auto_scaling_group: Some(spec.name.clone()),
            nodegroup,
            tags,
            client_token: None,
            reservation_id: None,
            boot_seconds: spec.boot_seconds,
            spot: false,
        };
        self.launch_instance(ids, launch, now)
    }
}

/// Auto Scaling's errors, each one of its wire error codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutoScalingError {
    /// `ValidationError`.
    #[error("{0}")]
    Validation(String),
    /// `InvalidNextToken`.
    #[error("{0}")]
    InvalidNextToken(String),
    /// `ResourceContention`: the node group behind the group is busy.
    #[error("{0}")]
    ResourceContention(String),
    /// `AlreadyExists`: a group of that name exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// `ResourceInUse`: the group still has instances.
    #[error("{0}")]
    ResourceInUse(String),
    /// `ScalingActivityInProgress`.
    #[error("{0}")]
    ScalingActivityInProgress(String),
    /// `LimitExceeded`: too many tags, hooks, policies, ...
    #[error("{0}")]
    LimitExceeded(String),
    /// The store or another service failed (`InternalFailure`).
    #[error("{0}")]
    Server(String),
}

impl From<Ec2Error> for AutoScalingError {
    fn from(error: Ec2Error) -> Self {
        AutoScalingError::Server(error.to_string())
    }
}

impl From<EksError> for AutoScalingError {
    fn from(error: EksError) -> Self {
        match error {
            EksError::ResourceNotFound(message) | EksError::InvalidParameter(message) => {
                AutoScalingError::Validation(message)
            }
            EksError::ResourceInUse(message) | EksError::InvalidRequest(message) => {
                AutoScalingError::ResourceContention(message)
            }
            other => AutoScalingError::Server(other.to_string()),
        }
    }
}

/// An instance that is a node of a cluster as the rest of ekslite sees it (the data plane turns these into
/// nodes): a managed node group's, or a self-managed one whose user data names the cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeInstance {
    pub instance_id: String,
    pub instance_type: String,
    pub vcpus: u32,
    pub memory_mib: u64,
    /// Pods the VPC CNI allows on the node.
    pub max_pods: u32,
    pub availability_zone: String,
    pub subnet_id: String,
    pub subnet_cidr: String,
    pub private_ip: Ipv4Addr,
    pub private_dns_name: String,
    /// The secondary addresses its interfaces hold for pods.
    pub secondary_ips: Vec<Ipv4Addr>,
    /// Its managed node group; empty for a self-managed node.
    pub nodegroup: String,
    pub capacity_type: String,
    pub state: InstanceState,
    /// Unix seconds.
    pub launched_at: f64,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    /// For a self-managed node, the instance profile whose role its kubelet authenticates as (the data plane
    /// lets it join only when that role may); `None` for a managed node group's.
    pub self_managed: Option<SelfManaged>,
    /// Its group scaled in and picked it: its node is to be drained (until the drain is done).
    pub draining: bool,
}

/// What decides whether a self-managed node may join its cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfManaged {
    /// The instance profile's ARN; `None` when it was launched without one (it never joins).
    pub instance_profile_arn: Option<String>,
}

/// How long EKS waits for a scaled-in node to drain before it terminates the instance anyway, in seconds.
pub const DRAIN_LIMIT_SECONDS: f64 = 15.0 * 60.0;

/// The nodes of every cluster in a network as it is at `now` (terminated instances included for an hour), by
/// cluster name, each cluster's oldest first; clusters without any are absent. A managed node group's instances
/// belong to its cluster; any other instance to the cluster its user data names ([`crate::ec2::Bootstrap`]).
pub fn instances_by_cluster(network: &Network, now: f64) -> BTreeMap<String, Vec<NodeInstance>> {
    let mut out: BTreeMap<String, Vec<NodeInstance>> = BTreeMap::new();
    let members = network.instances.values().filter_map(|instance| {
        let (cluster, nodegroup, capacity_type, labels, taints, self_managed) =
            match (&instance.nodegroup, &instance.bootstrap) {
                (Some(member), _) => (
                    &member.cluster,
                    member.nodegroup.clone(),
                    member.capacity_type.clone(),
                    member.labels.clone(),
                    member.taints.clone(),
                    None,
                ),
                (None, Some(bootstrap)) => (
                    &bootstrap.cluster,
                    String::new(),
                    "ON_DEMAND".to_owned(),
                    bootstrap.labels.clone(),
                    bootstrap.taints.clone(),
                    Some(SelfManaged { instance_profile_arn: instance.instance_profile_arn.clone() }),
                ),
                (None, None) => return None,
            };
        let kind = instance_type(&instance.instance_type);
        Some((
            cluster,
            NodeInstance {
                instance_id: instance.id.clone(),
                instance_type: instance.instance_type.clone(),
                vcpus: kind.map_or(2, |k| k.vcpus),
                memory_mib: kind.map_or(4096, |k| k.memory_mib),
                max_pods: kind.map_or(17, |k| k.max_pods()),
                availability_zone: instance.availability_zone.clone(),
                subnet_id: instance.subnet_id.clone(),
                subnet_cidr: network
                    .subnets
                    .get(&instance.subnet_id)
                    .map(|subnet| subnet.cidr_block.clone())
                    .unwrap_or_default(),
                private_ip: instance.private_ip,
                private_dns_name: instance.private_dns_name.clone(),
                secondary_ips: network.instance_secondary_ips(instance),
                nodegroup,
                capacity_type,
                state: instance.state_at(now),
                launched_at: instance.launched_at,
                labels,
                taints,
                self_managed,
                draining: instance.nodegroup.as_ref().and_then(|member| member.drain).is_some_and(|drain| !drain.done),
            },
        ))
    });
    for (cluster, instance) in members {
        out.entry(cluster.clone()).or_default().push(instance);
    }
    for instances in out.values_mut() {
        instances
            .sort_by(|a, b| a.launched_at.total_cmp(&b.launched_at).then_with(|| a.instance_id.cmp(&b.instance_id)));
    }
    out
}

/// When a region's instances or node groups next change by themselves, after `now` (Unix seconds): an instance
/// finishes booting, a released node group's delay ends (its record goes), a terminated instance has been
/// visible for [`TERMINATED_VISIBLE_SECONDS`] (it is forgotten). `None` when nothing is waiting for a time.
pub fn next_change(network: &Network, nodegroups: &[Nodegroup], now: f64) -> Option<f64> {
    let instances = network.instances.values().filter_map(|instance| match instance.state {
        InstanceState::Running => Some(instance.running_at),
        InstanceState::Terminated => Some(instance.state_changed_at + TERMINATED_VISIBLE_SECONDS),
        _ => None,
    });
    // A node that does not drain is terminated anyway once EKS stops waiting.
    let drains = network
        .instances
        .values()
        .filter_map(|instance| instance.nodegroup.as_ref()?.drain)
        .filter(|drain| !drain.done)
        .map(|drain| drain.since + DRAIN_LIMIT_SECONDS);
    let instances = instances.chain(drains);
    let nodegroups = nodegroups
        .iter()
        .filter(|nodegroup| nodegroup.status == NodegroupStatus::Deleting && nodegroup.released)
        .filter_map(|nodegroup| nodegroup.gone_at);
    instances.chain(nodegroups).filter(|at| *at > now).min_by(f64::total_cmp)
}

/// What a reconcile of a region has to change ([`Network::out_of_line`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutOfLine<'a> {
    /// The specs whose group is not as they say.
    pub groups: Vec<&'a GroupSpec>,
    /// The groups of node groups that are gone.
    pub unwanted: Vec<String>,
    /// Instances terminated long enough ago to forget.
    pub forgotten: Vec<String>,
}

impl OutOfLine<'_> {
    /// Whether there is nothing to change.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.unwanted.is_empty() && self.forgotten.is_empty()
    }
}

/// What a sync of a region read, and when the region next changes by itself.
#[derive(Debug, Clone)]
pub struct RegionSync {
    /// The groups, instances, launch templates and subnets as the sync left them.
    pub network: Network,
    /// See [`next_change`].
    pub due: Option<f64>,
}

/// One page of a list and the token of the next.
pub type Page<T> = (Vec<T>, Option<String>);

/// The Auto Scaling service of one server, over EKS (node groups) and EC2 (the network they launch into).
#[derive(Debug, Clone)]
pub struct AutoScaling {
    eks: Eks,
    ec2: Ec2,
    boot_seconds: f64,
}

impl AutoScaling {
    pub fn new(eks: Eks, ec2: Ec2) -> AutoScaling {
        AutoScaling { eks, ec2, boot_seconds: 0.0 }
    }

    /// Makes new instances stay `pending` for this many seconds before they are `running` (none by default).
    pub fn with_boot_seconds(self, boot_seconds: f64) -> AutoScaling {
        AutoScaling { boot_seconds, ..self }
    }

    /// Reconciles the caller's groups and instances with its node groups and returns the groups, instances,
    /// launch templates and subnets as they then are; writes only what changed, one group (and at most
    /// [`INSTANCES_PER_CHANGE`] instances) per change.
    pub async fn sync(&self, caller: &Caller) -> Result<Network, AutoScalingError> {
        Ok(self.sync_region(caller).await?.network)
    }

    /// [`AutoScaling::sync`], and when the region next changes by itself ([`next_change`]).
    pub async fn sync_region(&self, caller: &Caller) -> Result<RegionSync, AutoScalingError> {
        let (nodegroups, network) = self.follow(caller).await?;
        let network = match network {
            Some(network) => network,
            None => self.ec2.network(caller, &Self::checked()).await?,
        };
        let due = next_change(&network, &nodegroups, self.ec2.now());
        Ok(RegionSync { network, due })
    }

    /// Reconciles the caller's groups and instances with its node groups, as [`AutoScaling::sync`] does, without
    /// reading them back.
    pub async fn reconcile(&self, caller: &Caller) -> Result<(), AutoScalingError> {
        self.follow(caller).await.map(drop)
    }

    /// What [`Network::groups_in_line`] reads, and what the data plane reads from a sync: each instance's subnet
    /// block and its network interfaces, for pod addresses.
    fn checked() -> Scope {
        Scope::new()
            .all(Kind::AutoScalingGroup)
            .all(Kind::Instance)
            .all(Kind::LaunchTemplate)
            .all(Kind::Subnet)
            .all(Kind::NetworkInterface)
    }

    /// Brings the groups in line with the node groups. Returns the node groups, and the network as read when it
    /// was in line already (nothing written), else `None`.
    async fn follow(&self, caller: &Caller) -> Result<(Vec<Nodegroup>, Option<Network>), AutoScalingError> {
        let nodegroups = self.eks.all_nodegroups(caller).await?;
        let cluster_groups =
            if nodegroups.is_empty() { BTreeMap::new() } else { self.eks.cluster_security_groups(caller).await? };
        let specs: Vec<GroupSpec> = nodegroups
            .iter()
            .map(|nodegroup| {
                let group = cluster_groups.get(&nodegroup.cluster).map(String::as_str);
                GroupSpec::of(nodegroup, group, self.boot_seconds)
            })
            .collect();
        let now = self.ec2.now();
        // One read of the whole region first: only the groups out of line then get changes of their own (a
        // group changed since is written again, which wakes the next sync).
        let network = self.ec2.network(caller, &Self::checked()).await?;
        let mut specs = specs;
        specs.extend(network.user_group_specs(self.boot_seconds));
        let out_of_line = network.out_of_line(&specs, now);
        if out_of_line.is_empty() {
            return Ok((nodegroups, Some(network)));
        }
        self.reconcile_out_of_line(caller, out_of_line, now).await?;
        Ok((nodegroups, None))
    }

    /// Brings each group out of line in line with its spec, one change per group (or several for a group far
    /// from it), removes the groups no spec wants and forgets instances terminated long ago.
    async fn reconcile_out_of_line(
        &self,
        caller: &Caller,
        out_of_line: OutOfLine<'_>,
        now: f64,
    ) -> Result<(), AutoScalingError> {
        for name in &out_of_line.unwanted {
            self.until_done(caller, &Scope::new().id(Kind::AutoScalingGroup, name.as_str()), name, |network, _| {
                network.remove_group(name, now)
            })
            .await?;
        }
        for spec in out_of_line.groups {
            self.until_done(caller, &spec_scope(spec), &spec.name, |network, ids| {
                network.reconcile_group(spec, ids, now)
            })
            .await?;
        }
        for batch in out_of_line.forgotten.chunks(INSTANCES_PER_CHANGE) {
            self.ec2
                .change(caller, &Scope::new().ids(Kind::Instance, batch.iter().cloned()), |network, _| {
                    network.forget_instances(batch);
                    Ok(())
                })
                .await?;
        }
        Ok(())
    }

    /// Runs a change of one group until it says it is done.
    async fn until_done(
        &self,
        caller: &Caller,
        scope: &Scope,
        group: &str,
        mut step: impl FnMut(&mut Network, &mut IdSource) -> bool,
    ) -> Result<(), AutoScalingError> {
        // A group of 450 instances whose every member changes takes 450 / INSTANCES_PER_CHANGE changes.
        for _ in 0..64 {
            let done = self
                .ec2
                .change_widening(
                    caller,
                    scope,
                    |network| group_members(network, group),
                    |network, ids| Ok(step(network, ids)),
                )
                .await?;
            if done {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The current time.
    pub fn now(&self) -> f64 {
        self.ec2.now()
    }

    /// Every write to the caller's region from now on (EKS's records and EC2's alike): what may change its node
    /// groups' instances. Time passing changes them too (boot, status delays), so a watcher also syncs now and
    /// then.
    pub async fn changes(&self, caller: &Caller) -> Result<store::WatchStream, AutoScalingError> {
        let prefix = format!("/aws/{}/{}/", caller.account, caller.region);
        Ok(self.ec2.records().changes(&prefix).await.map_err(Ec2Error::from)?)
    }

    /// The group of that name, after a sync.
    async fn group(&self, caller: &Caller, name: &str) -> Result<AutoScalingGroup, AutoScalingError> {
        let network = self.sync(caller).await?;
        network.auto_scaling_groups.get(name).cloned().ok_or_else(|| groups::group_not_found(name))
    }

    /// Writes new sizes through to the node group (a user's group takes them itself), then reconciles.
    async fn resize(
        &self,
        caller: &Caller,
        group: &AutoScalingGroup,
        scaling: ScalingConfig,
    ) -> Result<(), AutoScalingError> {
        if group.is_user_group() {
            let scope = Scope::new().id(Kind::AutoScalingGroup, group.name.as_str());
            self.ec2
                .change(caller, &scope, |network, _| {
                    let Some(stored) = network.auto_scaling_groups.get_mut(&group.name) else {
                        return Ok(Err(groups::group_not_found(&group.name)));
                    };
                    stored.min_size = scaling.min_size;
                    stored.max_size = scaling.max_size;
                    stored.desired_capacity = scaling.desired_size;
                    Ok(Ok(()))
                })
                .await??;
        } else {
            self.eks.set_nodegroup_scaling(caller, &group.cluster, &group.nodegroup, scaling).await?;
        }
        self.sync(caller).await?;
        Ok(())
    }

    /// SetDesiredCapacity: within the group's sizes, else `ValidationError` with Auto Scaling's message.
    pub async fn set_desired_capacity(
        &self,
        caller: &Caller,
        name: &str,
        desired: i64,
    ) -> Result<(), AutoScalingError> {
        let group = self.group(caller, name).await?;
        if desired > group.max_size {
            return Err(AutoScalingError::Validation(format!(
                "New SetDesiredCapacity value {desired} is above max value {} for the AutoScalingGroup.",
                group.max_size
            )));
        }
        if desired < group.min_size {
            return Err(AutoScalingError::Validation(format!(
                "New SetDesiredCapacity value {desired} is below min value {} for the AutoScalingGroup.",
                group.min_size
            )));
        }
        let scaling = ScalingConfig { min_size: group.min_size, max_size: group.max_size, desired_size: desired };
        self.resize(caller, &group, scaling).await
    }

    /// A scaled-in managed node group instance's node is drained: the instance may go. An instance that is not
    /// draining (or gone) is left as it is.
    pub async fn node_drained(&self, caller: &Caller, instance_id: &str) -> Result<(), AutoScalingError> {
        let id = instance_id.to_owned();
        self.ec2
            .change(caller, &Scope::new().id(Kind::Instance, instance_id), |network, _| {
                let member = network.instances.get_mut(&id).and_then(|instance| instance.nodegroup.as_mut());
                if let Some(drain) = member.and_then(|member| member.drain.as_mut()) {
                    drain.done = true;
                }
                Ok(())
            })
            .await?;
        Ok(())
    }

    /// TerminateInstanceInAutoScalingGroup: terminates a member; with `decrement` the group shrinks by one
    /// (not below its minimum), else it launches a replacement. Returns the group and its desired capacity
    /// before and after.
    pub async fn terminate_instance(
        &self,
        caller: &Caller,
        instance_id: &str,
        decrement: bool,
    ) -> Result<(AutoScalingGroup, i64, i64), AutoScalingError> {
        let network = self.sync(caller).await?;
        let group = network
            .auto_scaling_groups
            .values()
            .find(|group| group.instances.iter().any(|id| id == instance_id))
            .cloned()
            .ok_or_else(|| {
                AutoScalingError::Validation(format!(
                    "Instance Id not found - No managed instance found for instance ID: {instance_id}"
                ))
            })?;
        let before = group.desired_capacity;
        if decrement && before <= group.min_size {
            return Err(AutoScalingError::Validation(format!(
                "Currently, desiredSize equals minSize ({}). Terminating instance without replacement will violate \
                 group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower \
                 group's min size.",
                group.min_size
            )));
        }
        let now = self.ec2.now();
        let id = instance_id.to_owned();
        let scope = Scope::new().id(Kind::Instance, instance_id).id(Kind::AutoScalingGroup, group.name.as_str());
        self.ec2
            .change_widening(caller, &scope, crate::ec2::scopes::instance_subnets, |network, _| {
                network.change_instance_states(std::slice::from_ref(&id), StateRequest::Terminate, now)?;
                if let Some(group) = network.auto_scaling_groups.get_mut(&group.name) {
                    group.instances.retain(|member| *member != id);
                }
                Ok(())
            })
            .await?;
        let after = if decrement { before - 1 } else { before };
        if decrement {
            let scaling = ScalingConfig { min_size: group.min_size, max_size: group.max_size, desired_size: after };
            self.resize(caller, &group, scaling).await?;
        } else {
            self.sync(caller).await?;
        }
        Ok((group, before, after))
    }
}

/// What reconciling a group with its spec reads first: the group, its subnets' addresses (launches take one),
/// and the launch template a spec names (by name: every template).
fn spec_scope(spec: &GroupSpec) -> Scope {
    let mut scope = Scope::new().id(Kind::AutoScalingGroup, spec.name.as_str());
    for subnet in &spec.subnets {
        scope = scope.addresses(subnet.as_str());
    }
    match &spec.launch_template {
        Some((Some(id), _, _)) => scope.id(Kind::LaunchTemplate, id.as_str()),
        Some((None, _, _)) => scope.all(Kind::LaunchTemplate),
        None => scope,
    }
}

/// What else reconciling or removing a group reads once the group is loaded: its members (as context: only those
/// it changes are checked), their subnets' addresses (terminations free them), and its launch template.
fn group_members(network: &Network, group: &str) -> Scope {
    let Some(group) = network.auto_scaling_groups.loaded().get(group) else { return Scope::new() };
    let mut scope = Scope::new()
        .context(Kind::Instance, group.instances.iter().cloned())
        .id(Kind::LaunchTemplate, group.launch_template.id.as_str());
    // A user's group is reconciled with itself as loaded: its subnets and template may have changed since its
    // spec was read.
    if let Some(settings) = &group.settings {
        for subnet in &group.subnets {
            scope = scope.addresses(subnet.as_str());
        }
        scope = scope.id(Kind::LaunchTemplate, settings.launch_template.id.as_str());
        if let Some(policy) = &settings.mixed_instances_policy {
            scope = scope.id(Kind::LaunchTemplate, policy.launch_template.id.as_str());
        }
    }
    scope.and(crate::ec2::scopes::instance_subnets(network))
}

/// Auto Scaling's pages: `MaxRecords` 1 to 100 (50 by default); the token is the base64 of the last key given.
pub fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    max_records: Option<i64>,
    next_token: Option<&str>,
) -> Result<Page<T>, AutoScalingError> {
    let limit = match max_records {
        None => 50,
        Some(n) if (1..=100).contains(&n) => n as usize,
        Some(n) => {
            return Err(AutoScalingError::Validation(format!(
                "1 validation error detected: Value '{n}' at 'maxRecords' failed to satisfy constraint: Member must \
                 have value {}",
                if n < 1 { "greater than or equal to 1" } else { "less than or equal to 100" }
            )));
        }
    };
    let after = match next_token {
        None => None,
        Some(token) => Some(
            crate::ids::unbase64(token)
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| AutoScalingError::InvalidNextToken(format!("The token '{token}' is invalid.")))?,
        ),
    };
    let mut rest: Vec<T> =
        items.into_iter().filter(|item| after.as_ref().is_none_or(|after| key(item) > *after)).collect();
    let more = rest.len() > limit;
    rest.truncate(limit);
    let token = if more { rest.last().map(|last| crate::ids::base64(key(last).as_bytes())) } else { None };
    Ok((rest, token))
}

/// DescribeAutoScalingGroups' filters: `tag-key`, `tag-value`, `tag:<key>`; any value of a filter may match.
pub fn group_passes(group: &AutoScalingGroup, filters: &[(String, Vec<String>)]) -> Result<bool, AutoScalingError> {
    for (name, values) in filters {
        let matched = if let Some(key) = name.strip_prefix("tag:") {
            group.tags.get(key).is_some_and(|value| values.contains(value))
        } else if name == "tag-key" {
            group.tags.keys().any(|key| values.contains(key))
        } else if name == "tag-value" {
            group.tags.values().any(|value| values.contains(value))
        } else {
            return Err(AutoScalingError::Validation(format!(
                "Filter type {name} is not correct. Allowed Filter types are: tag-key, tag-value, tag:<key>"
            )));
        };
        if !matched {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests;

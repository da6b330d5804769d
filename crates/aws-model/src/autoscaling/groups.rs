//! The user's own Auto Scaling groups (CreateAutoScalingGroup), as the EKS documentation makes self-managed
//! nodes with them: their settings, tags, instance protection and scaling activities, and the calls that change
//! them (create, update, delete, tags, protection). Each group is its own record, as a managed node group's is;
//! the reconcile of `autoscaling.rs` launches and terminates their instances like any group's.
//!
//! The `Network` methods here are the decision core (values in, values out; each checks everything before it
//! changes anything, so a refused call changes nothing); [`AutoScaling`]'s methods run them as one change of
//! EC2's records.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{AutoScaling, AutoScalingError, AutoScalingGroup};
use crate::ec2::templates::{LaunchTemplateData, TemplateName};
use crate::ec2::{Kind, Network, Scope, TemplateRef};
use crate::eks::Caller;

/// How many activities a group keeps, newest first.
pub const ACTIVITIES_KEPT: usize = 50;

/// The most tags a group takes.
pub const MAX_TAGS: usize = 50;

/// What a user set on a group, beyond what every group has.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupSettings {
    /// The launch template as asked (the version may be `$Latest` or `$Default`), with its id and name.
    pub launch_template: TemplateRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixed_instances_policy: Option<MixedInstancesPolicy>,
    /// Whether the group was given zones rather than subnets (it launches into the default VPC's subnets).
    #[serde(default)]
    pub zones_only: bool,
    pub default_cooldown: i64,
    pub health_check_type: String,
    pub health_check_grace_period: i64,
    pub termination_policies: Vec<String>,
    pub new_instances_protected_from_scale_in: bool,
    pub capacity_rebalance: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_instance_lifetime: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_instance_warmup: Option<i64>,
    /// The keys of the group's tags that its instances do not get.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub unpropagated: BTreeSet<String>,
    /// Members protected from scale-in.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub protected: BTreeSet<String>,
}

/// A mixed instances policy: its launch template and overrides (the first override's instance type is what the
/// group launches) and its instances distribution, kept as given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MixedInstancesPolicy {
    pub launch_template: TemplateRef,
    pub overrides: Vec<InstanceOverride>,
    /// `InstancesDistribution`'s members by name.
    pub distribution: BTreeMap<String, String>,
}

/// One override of a mixed instances policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceOverride {
    pub instance_type: Option<String>,
    pub weighted_capacity: Option<String>,
}

/// One tag of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTag {
    pub key: String,
    pub value: String,
    pub propagate_at_launch: bool,
}

/// A scaling activity: an instance launched or terminated, or a launch that failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub id: String,
    pub description: String,
    pub cause: String,
    /// Unix seconds.
    pub start: f64,
    pub end: f64,
    /// `Successful` or `Failed`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
}

/// A launch template as a request names it: id or name, and version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateRequest {
    pub id: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
}

/// A mixed instances policy as a request gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MixedInstancesRequest {
    pub launch_template: Option<TemplateRequest>,
    pub overrides: Vec<InstanceOverride>,
    pub distribution: BTreeMap<String, String>,
}

/// What CreateAutoScalingGroup and UpdateAutoScalingGroup ask; what a request leaves out is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupRequest {
    pub name: String,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub desired_capacity: Option<i64>,
    pub launch_template: Option<TemplateRequest>,
    pub mixed_instances_policy: Option<MixedInstancesRequest>,
    pub launch_configuration_name: Option<String>,
    pub instance_id: Option<String>,
    /// `VPCZoneIdentifier`, split at commas.
    pub subnets: Option<Vec<String>>,
    pub availability_zones: Option<Vec<String>>,
    pub default_cooldown: Option<i64>,
    pub health_check_type: Option<String>,
    pub health_check_grace_period: Option<i64>,
    pub termination_policies: Option<Vec<String>>,
    pub new_instances_protected_from_scale_in: Option<bool>,
    pub capacity_rebalance: Option<bool>,
    pub max_instance_lifetime: Option<i64>,
    pub default_instance_warmup: Option<i64>,
    pub tags: Vec<GroupTag>,
}

fn validation(message: impl Into<String>) -> AutoScalingError {
    AutoScalingError::Validation(message.into())
}

/// Auto Scaling's message for a member outside its bounds.
fn out_of_range(field: &str, value: i64, constraint: &str) -> AutoScalingError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must have \
         value {constraint}"
    ))
}

/// Group names: 1 to 255 characters, no control characters but tab, newline and carriage return.
pub fn check_group_name(name: &str) -> Result<(), AutoScalingError> {
    let bad = name.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
    if name.is_empty() || name.chars().count() > 255 || bad {
        return Err(validation(format!(
            "1 validation error detected: Value '{}' at 'autoScalingGroupName' failed to satisfy constraint: Member \
             must satisfy regular expression pattern: [\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*",
            name.escape_debug()
        )));
    }
    Ok(())
}

/// The sizes of a group after a request: each not negative, min at most max, desired between them (a desired
/// capacity left out follows the bounds).
fn sizes(request: &GroupRequest, current: Option<(i64, i64, i64)>) -> Result<(i64, i64, i64), AutoScalingError> {
    for (field, value) in
        [("minSize", request.min_size), ("maxSize", request.max_size), ("desiredCapacity", request.desired_capacity)]
    {
        if let Some(value) = value {
            if value < 0 {
                return Err(out_of_range(field, value, "greater than or equal to 0"));
            }
            if value > i64::from(i32::MAX) {
                return Err(out_of_range(field, value, "less than or equal to 2147483647"));
            }
        }
    }
    let (min, max) = match current {
        Some((min, max, _)) => (request.min_size.unwrap_or(min), request.max_size.unwrap_or(max)),
        None => {
            (request.min_size.ok_or_else(|| missing("minSize"))?, request.max_size.ok_or_else(|| missing("maxSize"))?)
        }
    };
    if min > max {
        return Err(validation(format!("Max bound, {max}, must be greater than or equal to min bound, {min}")));
    }
    let desired = match (request.desired_capacity, current) {
        (Some(desired), _) if desired < min || desired > max => {
            return Err(validation(format!(
                "Desired capacity:{desired} must be between the specified min size:{min} and max size:{max}"
            )));
        }
        (Some(desired), _) => desired,
        (None, Some((_, _, desired))) => desired.clamp(min, max),
        (None, None) => min,
    };
    Ok((min, max, desired))
}

fn missing(field: &str) -> AutoScalingError {
    validation(format!(
        "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
    ))
}

/// The health check types Auto Scaling knows.
const HEALTH_CHECK_TYPES: &[&str] = &["EC2", "ELB", "VPC_LATTICE", "EBS"];

/// The termination policies Auto Scaling knows.
const TERMINATION_POLICIES: &[&str] = &[
    "Default",
    "AllocationStrategy",
    "OldestLaunchTemplate",
    "OldestLaunchConfiguration",
    "ClosestToNextInstanceHour",
    "NewestInstance",
    "OldestInstance",
];

impl Network {
    /// A launch template version as a group names it, refused with Auto Scaling's wording when it does not exist
    /// or launches no image.
    fn group_template(&self, request: &TemplateRequest) -> Result<TemplateRef, AutoScalingError> {
        let which = match (request.id.as_deref(), request.name.as_deref()) {
            (Some(id), None) => TemplateName::Id(id),
            (None, Some(name)) => TemplateName::Name(name),
            _ => {
                return Err(validation(
                    "You must specify either a launch template ID or a launch template name in the request.",
                ));
            }
        };
        let malformed =
            |message: String| validation(format!("You must use a valid fully-formed launch template. {message}"));
        let template = self.launch_template(&which).map_err(|error| malformed(error.to_string()))?;
        let version = request.version.clone().unwrap_or_else(|| "$Default".to_owned());
        let data = template.version(Some(&version)).map_err(|error| malformed(error.to_string()))?;
        if data.data.image_id.is_none() {
            return Err(malformed("The request must contain the parameter ImageId".into()));
        }
        Ok(TemplateRef { id: template.id.clone(), name: template.name.clone(), version })
    }

    /// The subnets a request launches into, checked, and the zones of those subnets; zones alone mean the default
    /// VPC's subnets in them.
    fn group_subnets(
        &self,
        subnets: Option<&[String]>,
        zones: Option<&[String]>,
    ) -> Result<(Vec<String>, Vec<String>, bool), AutoScalingError> {
        let subnets: Vec<String> =
            subnets.unwrap_or_default().iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        if !subnets.is_empty() {
            let mut found_zones = Vec::new();
            let mut vpc: Option<&str> = None;
            for id in &subnets {
                let subnet =
                    self.subnets.get(id).ok_or_else(|| validation(format!("The subnet ID '{id}' does not exist")))?;
                if vpc.is_some_and(|vpc| vpc != subnet.vpc_id) {
                    return Err(validation("The subnets must all be in the same VPC."));
                }
                vpc = Some(&subnet.vpc_id);
                found_zones.push(subnet.availability_zone.clone());
            }
            found_zones.sort();
            found_zones.dedup();
            return Ok((subnets, found_zones, false));
        }
        let zones = zones.unwrap_or_default();
        if zones.is_empty() {
            return Err(validation("At least one Availability Zone or VPC Subnet is required."));
        }
        let default_vpc = self.vpcs.values().find(|vpc| vpc.is_default).map(|vpc| vpc.id.clone());
        let mut chosen = Vec::new();
        for zone in zones {
            let subnet = self
                .subnets
                .values()
                .find(|s| s.availability_zone == *zone && s.default_for_az && Some(&s.vpc_id) == default_vpc.as_ref())
                .ok_or_else(|| validation(format!("The availability zone '{zone}' is not legal")))?;
            chosen.push(subnet.id.clone());
        }
        let mut zones = zones.to_vec();
        zones.sort();
        zones.dedup();
        Ok((chosen, zones, true))
    }

    /// The launch template (or mixed instances policy) a request asks for.
    fn launch_source(
        &self,
        request: &GroupRequest,
    ) -> Result<(TemplateRef, Option<MixedInstancesPolicy>), AutoScalingError> {
        if let Some(name) = &request.launch_configuration_name {
            return Err(validation(format!(
                "Launch configuration name not found - Launch configuration {name} not found"
            )));
        }
        match (&request.launch_template, &request.mixed_instances_policy, &request.instance_id) {
            (Some(template), None, None) => Ok((self.group_template(template)?, None)),
            (None, Some(policy), None) => {
                let template = policy
                    .launch_template
                    .as_ref()
                    .ok_or_else(|| validation("The specified MixedInstancesPolicy must contain a LaunchTemplate."))?;
                let template = self.group_template(template)?;
                let policy = MixedInstancesPolicy {
                    launch_template: template.clone(),
                    overrides: policy.overrides.clone(),
                    distribution: policy.distribution.clone(),
                };
                for instance_type in policy.overrides.iter().filter_map(|o| o.instance_type.as_deref()) {
                    if crate::ec2::instance_types::instance_type(instance_type).is_none() {
                        return Err(validation(format!(
                            "You must use a valid fully-formed launch template. The instance type '{instance_type}' \
                             is not supported."
                        )));
                    }
                }
                Ok((template, Some(policy)))
            }
            (None, None, Some(id)) => Err(validation(format!("Instance Id not found - No instance found for {id}"))),
            _ => Err(validation(
                "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or \
                 MixedInstancesPolicy parameter.",
            )),
        }
    }

    /// CreateAutoScalingGroup: the group, with no instances yet (the next reconcile launches them).
    pub fn create_user_group(&mut self, request: &GroupRequest, uuid: &str, now: f64) -> Result<(), AutoScalingError> {
        check_group_name(&request.name)?;
        if self.auto_scaling_groups.contains_key(&request.name) {
            return Err(AutoScalingError::AlreadyExists(format!(
                "AutoScalingGroup by this name already exists - A group with the name {} already exists",
                request.name
            )));
        }
        let (min, max, desired) = sizes(request, None)?;
        let (template, mixed) = self.launch_source(request)?;
        let (subnets, zones, zones_only) =
            self.group_subnets(request.subnets.as_deref(), request.availability_zones.as_deref())?;
        let mut settings = GroupSettings {
            launch_template: template.clone(),
            mixed_instances_policy: mixed,
            zones_only,
            default_cooldown: 300,
            health_check_type: "EC2".into(),
            health_check_grace_period: 0,
            termination_policies: vec!["Default".into()],
            ..GroupSettings::default()
        };
        apply_settings(&mut settings, request)?;
        let (tags, unpropagated) = checked_tags(&request.name, &BTreeMap::new(), &request.tags)?;
        settings.unpropagated = unpropagated;
        let group = AutoScalingGroup {
            name: request.name.clone(),
            arn: format!(
                "arn:aws:autoscaling:{}:{}:autoScalingGroup:{uuid}:autoScalingGroupName/{}",
                self.region, self.account, request.name
            ),
            created_at: now,
            min_size: min,
            max_size: max,
            desired_capacity: desired,
            subnets,
            availability_zones: zones,
            launch_template: template,
            owns_launch_template: false,
            tags,
            instances: Vec::new(),
            cluster: String::new(),
            nodegroup: String::new(),
            deleting: false,
            settings: Some(settings),
            activities: Vec::new(),
            automation: super::Automation::default(),
        };
        self.auto_scaling_groups.insert(request.name.clone(), group);
        Ok(())
    }

    /// UpdateAutoScalingGroup of a user's group: what the request names changes, the rest stays.
    pub fn update_user_group(&mut self, request: &GroupRequest) -> Result<(), AutoScalingError> {
        let group = self.user_group(&request.name)?;
        let (min, max, desired) = sizes(request, Some((group.min_size, group.max_size, group.desired_capacity)))?;
        let mut settings = group.settings.clone().unwrap_or_default();
        if request.launch_template.is_some() || request.mixed_instances_policy.is_some() {
            let (template, mixed) = self.launch_source(request)?;
            settings.launch_template = template;
            settings.mixed_instances_policy = mixed;
        }
        let placement = if request.subnets.as_ref().is_some_and(|s| !s.is_empty())
            || request.availability_zones.as_ref().is_some_and(|z| !z.is_empty())
        {
            Some(self.group_subnets(request.subnets.as_deref(), request.availability_zones.as_deref())?)
        } else {
            None
        };
        apply_settings(&mut settings, request)?;
        let group = self.auto_scaling_groups.get_mut(&request.name).expect("found above");
        (group.min_size, group.max_size, group.desired_capacity) = (min, max, desired);
        if let Some((subnets, zones, zones_only)) = placement {
            (group.subnets, group.availability_zones, settings.zones_only) = (subnets, zones, zones_only);
        }
        group.settings = Some(settings);
        Ok(())
    }

    /// A user's group by name; `ValidationError` as Auto Scaling words it when there is none (a managed node
    /// group's group is named as not found too: only EKS changes it this way).
    fn user_group(&self, name: &str) -> Result<&AutoScalingGroup, AutoScalingError> {
        self.auto_scaling_groups.get(name).filter(|group| !group.deleting).ok_or_else(|| group_not_found(name))
    }

    /// DeleteAutoScalingGroup: a group with live instances is refused unless forced; forced, it is marked to be
    /// removed with its instances by the next reconcile. A managed node group's group is refused.
    pub fn delete_user_group(&mut self, name: &str, force: bool) -> Result<(), AutoScalingError> {
        let group = self.auto_scaling_groups.get(name).ok_or_else(|| group_not_found(name))?;
        if !group.is_user_group() {
            return Err(AutoScalingError::ResourceInUse(format!(
                "The Auto Scaling group {name} belongs to the EKS managed node group {}; delete the node group.",
                group.nodegroup
            )));
        }
        let live = group.instances.iter().any(|id| self.instances.get(id).is_some_and(|i| i.is_live()));
        if live && !force {
            return Err(AutoScalingError::ResourceInUse(
                "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) \
                 still in the group."
                    .into(),
            ));
        }
        if live {
            self.auto_scaling_groups.get_mut(name).expect("found above").deleting = true;
        } else {
            self.auto_scaling_groups.remove(name);
        }
        Ok(())
    }

    /// CreateOrUpdateTags: tags of user's groups, each group at most [`MAX_TAGS`].
    pub fn put_group_tags(&mut self, tags: &[(String, GroupTag)]) -> Result<(), AutoScalingError> {
        let mut changed: BTreeMap<String, (crate::ec2::Tags, BTreeSet<String>)> = BTreeMap::new();
        for (name, tag) in tags {
            let group = self.user_group(name)?;
            let settings = group.settings.as_ref().expect("a user's group");
            let (current, unpropagated) =
                changed.entry(name.clone()).or_insert_with(|| (group.tags.clone(), settings.unpropagated.clone()));
            let (tags, keys) = checked_tags(name, current, std::slice::from_ref(tag))?;
            *current = tags;
            unpropagated.remove(&tag.key);
            unpropagated.extend(keys);
        }
        for (name, (tags, unpropagated)) in changed {
            let group = self.auto_scaling_groups.get_mut(&name).expect("found above");
            group.tags = tags;
            if let Some(settings) = group.settings.as_mut() {
                settings.unpropagated = unpropagated;
            }
        }
        Ok(())
    }

    /// DeleteTags: removes keys (with any value given matching) from user's groups.
    pub fn delete_group_tags(&mut self, tags: &[(String, String, Option<String>)]) -> Result<(), AutoScalingError> {
        for (name, _, _) in tags {
            self.user_group(name)?;
        }
        for (name, key, value) in tags {
            let group = self.auto_scaling_groups.get_mut(name).expect("checked above");
            if value.as_ref().is_none_or(|value| group.tags.get(key) == Some(value)) {
                group.tags.remove(key);
                if let Some(settings) = group.settings.as_mut() {
                    settings.unpropagated.remove(key);
                }
            }
        }
        Ok(())
    }

    /// SetInstanceProtection: members of a user's group protected from scale-in, or not.
    pub fn set_instance_protection(
        &mut self,
        name: &str,
        instance_ids: &[String],
        protected: bool,
    ) -> Result<(), AutoScalingError> {
        let group = self.user_group(name)?;
        if let Some(outside) = instance_ids.iter().find(|id| !group.instances.contains(id)) {
            return Err(validation(format!("The instance {outside} is not part of Auto Scaling group {name}.")));
        }
        let settings = self.auto_scaling_groups.get_mut(name).expect("found above").settings.as_mut();
        let settings = settings.expect("a user's group");
        for id in instance_ids {
            if protected {
                settings.protected.insert(id.clone());
            } else {
                settings.protected.remove(id);
            }
        }
        Ok(())
    }
}

/// `ValidationError` for a group that does not exist.
pub fn group_not_found(name: &str) -> AutoScalingError {
    validation(format!("AutoScalingGroup name not found - AutoScalingGroup {name} not found"))
}

/// A request's settings over a group's.
fn apply_settings(settings: &mut GroupSettings, request: &GroupRequest) -> Result<(), AutoScalingError> {
    if let Some(cooldown) = request.default_cooldown {
        if cooldown < 0 {
            return Err(out_of_range("defaultCooldown", cooldown, "greater than or equal to 0"));
        }
        settings.default_cooldown = cooldown;
    }
    if let Some(kind) = &request.health_check_type {
        if !HEALTH_CHECK_TYPES.contains(&kind.as_str()) {
            return Err(validation(format!(
                "1 validation error detected: Value '{}' at 'healthCheckType' failed to satisfy constraint: Member \
                 must be one of: {}",
                kind.escape_debug(),
                HEALTH_CHECK_TYPES.join(", ")
            )));
        }
        settings.health_check_type = kind.clone();
    }
    if let Some(grace) = request.health_check_grace_period {
        if grace < 0 {
            return Err(out_of_range("healthCheckGracePeriod", grace, "greater than or equal to 0"));
        }
        settings.health_check_grace_period = grace;
    }
    if let Some(policies) = &request.termination_policies {
        if let Some(bad) =
            policies.iter().find(|p| !TERMINATION_POLICIES.contains(&p.as_str()) && !p.starts_with("arn:aws:lambda:"))
        {
            return Err(validation(format!("Termination policy {} is not supported.", bad.escape_debug())));
        }
        settings.termination_policies = if policies.is_empty() { vec!["Default".into()] } else { policies.clone() };
    }
    if let Some(protect) = request.new_instances_protected_from_scale_in {
        settings.new_instances_protected_from_scale_in = protect;
    }
    if let Some(rebalance) = request.capacity_rebalance {
        settings.capacity_rebalance = rebalance;
    }
    if let Some(lifetime) = request.max_instance_lifetime {
        if lifetime != 0 && !(86_400..=31_536_000).contains(&lifetime) {
            return Err(validation(
                "The maximum instance lifetime must be 0 or between 86400 seconds (1 day) and 31536000 seconds \
                 (365 days).",
            ));
        }
        settings.max_instance_lifetime = (lifetime != 0).then_some(lifetime);
    }
    if let Some(warmup) = request.default_instance_warmup {
        settings.default_instance_warmup = (warmup >= 0).then_some(warmup);
    }
    Ok(())
}

/// Tags over a group's current ones, checked: keys 1 to 128 characters and not under `aws:`, values at most 256,
/// at most [`MAX_TAGS`]. Returns the tags and the keys not propagated.
fn checked_tags(
    group: &str,
    current: &crate::ec2::Tags,
    tags: &[GroupTag],
) -> Result<(crate::ec2::Tags, BTreeSet<String>), AutoScalingError> {
    let mut out = current.clone();
    let mut unpropagated = BTreeSet::new();
    for tag in tags {
        if tag.key.is_empty() || tag.key.chars().count() > 128 {
            return Err(validation(format!(
                "1 validation error detected: Value '{}' at 'tags.1.member.key' failed to satisfy constraint: Member \
                 must have length between 1 and 128",
                tag.key.escape_debug()
            )));
        }
        if tag.key.starts_with("aws:") {
            return Err(validation("Tag keys starting with 'aws:' are reserved for internal use"));
        }
        if tag.value.chars().count() > 256 {
            return Err(validation(format!(
                "1 validation error detected: Value at 'tags.1.member.value' failed to satisfy constraint: Member \
                 must have length less than or equal to 256 (tag {})",
                tag.key.escape_debug()
            )));
        }
        out.insert(tag.key.clone(), tag.value.clone());
        if !tag.propagate_at_launch {
            unpropagated.insert(tag.key.clone());
        }
    }
    if out.len() > MAX_TAGS {
        return Err(AutoScalingError::LimitExceeded(format!(
            "The number of tags for the Auto Scaling group {group} exceeds the limit of {MAX_TAGS}."
        )));
    }
    Ok((out, unpropagated))
}

/// The instance profile a launch template version names, as an ARN (a name is taken to be at path `/`).
pub fn template_instance_profile(data: &LaunchTemplateData, account: &str) -> Option<String> {
    let profile = data.iam_instance_profile()?;
    profile
        .arn
        .clone()
        .or_else(|| profile.name.as_ref().map(|name| format!("arn:aws:iam::{account}:instance-profile/{name}")))
}

/// `2026-12-07T03:20:00Z`.
fn iso(seconds: f64) -> String {
    crate::ec2::instances::gmt(seconds).replacen(' ', "T", 1).replace(" GMT", "Z")
}

/// The activity of an instance a reconcile launched.
pub(super) fn launched(instance: &str, before: usize, desired: usize, now: f64) -> Activity {
    Activity {
        id: crate::ids::uuid(),
        description: format!("Launching a new EC2 instance: {instance}"),
        cause: format!(
            "At {} an instance was started in response to a difference between desired and actual capacity, \
             increasing the capacity from {before} to {desired}.",
            iso(now)
        ),
        start: now,
        end: now,
        status: "Successful".into(),
        status_message: None,
    }
}

/// The activity of an instance a reconcile terminated.
pub(super) fn terminated(instance: &str, before: usize, desired: usize, now: f64) -> Activity {
    Activity {
        id: crate::ids::uuid(),
        description: format!("Terminating EC2 instance: {instance}"),
        cause: format!(
            "At {} an instance was taken out of service in response to a difference between desired and actual \
             capacity, shrinking the capacity from {before} to {desired}.",
            iso(now)
        ),
        start: now,
        end: now,
        status: "Successful".into(),
        status_message: None,
    }
}

/// The activity of a launch that found no free address in the group's subnets.
pub(super) fn no_room(subnets: &[String], before: usize, desired: usize, now: f64) -> Activity {
    Activity {
        id: crate::ids::uuid(),
        description: "Launching a new EC2 instance.  Status Reason: There are not enough free addresses in the \
                      group's subnets. Launching EC2 instance failed."
            .into(),
        cause: format!(
            "At {} an instance was started in response to a difference between desired and actual capacity, \
             increasing the capacity from {before} to {desired}.",
            iso(now)
        ),
        start: now,
        end: now,
        status: "Failed".into(),
        status_message: Some(format!(
            "There are not enough free addresses in subnet '{}' to satisfy the requested number of instances. \
             Launching EC2 instance failed.",
            subnets.join(",")
        )),
    }
}

impl AutoScalingGroup {
    /// Keeps new activities, newest first; a failure that repeats the newest one is not kept again.
    pub(super) fn record(&mut self, activities: Vec<Activity>) {
        for activity in activities {
            let repeat = activity.status == "Failed"
                && self.activities.first().is_some_and(|newest| newest.status_message == activity.status_message);
            if !repeat {
                self.activities.insert(0, activity);
            }
        }
        self.activities.truncate(ACTIVITIES_KEPT);
    }
}

/// What a change to one user's group reads: the group, every launch template (named by id or name), the
/// subnets and VPCs (zones map to the default VPC's subnets) and the instances (their liveness).
fn group_scope(name: &str) -> Scope {
    Scope::new()
        .id(Kind::AutoScalingGroup, name)
        .all(Kind::LaunchTemplate)
        .all(Kind::Subnet)
        .all(Kind::Vpc)
        .all(Kind::Instance)
}

impl AutoScaling {
    /// CreateAutoScalingGroup; the group's instances are launched by the reconcile that follows at once.
    pub async fn create_group(&self, caller: &Caller, request: &GroupRequest) -> Result<(), AutoScalingError> {
        check_group_name(&request.name)?;
        let now = self.ec2.now();
        let uuid = crate::ids::uuid();
        self.ec2
            .change(
                caller,
                &group_scope(&request.name),
                |network, _| Ok(network.create_user_group(request, &uuid, now)),
            )
            .await??;
        self.sync(caller).await?;
        Ok(())
    }

    /// UpdateAutoScalingGroup: a user's group takes every setting; a managed node group's only its sizes, which
    /// are written through to the node group.
    pub async fn update_group(&self, caller: &Caller, request: &GroupRequest) -> Result<(), AutoScalingError> {
        check_group_name(&request.name)?;
        let group = self.group(caller, &request.name).await?;
        if !group.is_user_group() {
            let (min_size, max_size, desired_size) =
                sizes(request, Some((group.min_size, group.max_size, group.desired_capacity)))?;
            let scaling = crate::eks::nodegroups::ScalingConfig { min_size, max_size, desired_size };
            return self.resize(caller, &group, scaling).await;
        }
        self.ec2
            .change(caller, &group_scope(&request.name), |network, _| Ok(network.update_user_group(request)))
            .await??;
        self.sync(caller).await?;
        Ok(())
    }

    /// DeleteAutoScalingGroup.
    pub async fn delete_group(&self, caller: &Caller, name: &str, force: bool) -> Result<(), AutoScalingError> {
        check_group_name(name)?;
        self.sync(caller).await?;
        self.ec2.change(caller, &group_scope(name), |network, _| Ok(network.delete_user_group(name, force))).await??;
        self.sync(caller).await?;
        Ok(())
    }

    /// CreateOrUpdateTags, by group.
    pub async fn put_tags(&self, caller: &Caller, tags: &[(String, GroupTag)]) -> Result<(), AutoScalingError> {
        let scope = tags.iter().fold(Scope::new(), |scope, (name, _)| scope.id(Kind::AutoScalingGroup, name.as_str()));
        self.ec2.change(caller, &scope, |network, _| Ok(network.put_group_tags(tags))).await??;
        Ok(())
    }

    /// DeleteTags, by group.
    pub async fn delete_tags(
        &self,
        caller: &Caller,
        tags: &[(String, String, Option<String>)],
    ) -> Result<(), AutoScalingError> {
        let scope =
            tags.iter().fold(Scope::new(), |scope, (name, _, _)| scope.id(Kind::AutoScalingGroup, name.as_str()));
        self.ec2.change(caller, &scope, |network, _| Ok(network.delete_group_tags(tags))).await??;
        Ok(())
    }

    /// SetInstanceProtection.
    pub async fn set_instance_protection(
        &self,
        caller: &Caller,
        name: &str,
        instance_ids: &[String],
        protected: bool,
    ) -> Result<(), AutoScalingError> {
        self.sync(caller).await?;
        let scope = Scope::new().id(Kind::AutoScalingGroup, name);
        self.ec2
            .change(caller, &scope, |network, _| Ok(network.set_instance_protection(name, instance_ids, protected)))
            .await??;
        Ok(())
    }
}

#[cfg(test)]
mod tests;

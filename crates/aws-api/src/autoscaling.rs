//! Auto Scaling over the `query` protocol (`Action`, `Name.member.N` lists, XML replies in Auto Scaling's
//! namespace): the groups of managed node groups and the user's own. Create, Update, Delete and
//! DescribeAutoScalingGroups, DescribeAutoScalingInstances, SetDesiredCapacity,
//! TerminateInstanceInAutoScalingGroup, SetInstanceProtection, DescribeScalingActivities, CreateOrUpdateTags,
//! DeleteTags, DescribeTags and DescribeLaunchConfigurations (none exist: groups launch from launch templates);
//! lifecycle hooks, warm pools, scheduled actions and scaling policies, stored and described.

use aws_model::autoscaling::automation::{
    LifecycleHookRequest, ScalingPolicy, ScheduledAction, TargetTracking, WarmPool,
};
use aws_model::autoscaling::groups::{
    GroupRequest, GroupTag, InstanceOverride, MixedInstancesRequest, TemplateRequest,
};
use aws_model::autoscaling::{AutoScaling, AutoScalingError, AutoScalingGroup, group_passes, page};
use aws_model::ec2::{Instance, InstanceState, Network, TemplateRef};
use aws_protocol::AwsError;
use aws_protocol::query::Scope;
use aws_protocol::xml::XmlWriter;
use http::StatusCode;

use crate::registry::{Outcome, Service, Wire, WireError, operation, wire};
use crate::{AwsApi, Call};

/// Auto Scaling on the wire.
pub(crate) const SERVICE: Service = Service {
    signing_name: "autoscaling",
    model: "autoscaling",
    title: "Auto Scaling",
    wire: Wire::Query { version: "2011-01-01", namespace: "http://autoscaling.amazonaws.com/doc/2011-01-01/" },
    operations: &[
        operation!("DescribeAutoScalingGroups", describe_groups),
        operation!("DescribeAutoScalingInstances", describe_instances),
        operation!("SetDesiredCapacity", set_desired_capacity),
        operation!("UpdateAutoScalingGroup", update_group),
        operation!("TerminateInstanceInAutoScalingGroup", terminate_instance),
        operation!("CreateAutoScalingGroup", create_group),
        operation!("DeleteAutoScalingGroup", delete_group),
        operation!("SetInstanceProtection", set_instance_protection),
        operation!("DescribeScalingActivities", describe_activities),
        operation!("CreateOrUpdateTags", put_tags),
        operation!("DeleteTags", delete_tags),
        operation!("DescribeTags", describe_tags),
        operation!("DescribeLaunchConfigurations", describe_launch_configurations),
        operation!("PutLifecycleHook", put_lifecycle_hook),
        operation!("DescribeLifecycleHooks", describe_lifecycle_hooks),
        operation!("DeleteLifecycleHook", delete_lifecycle_hook),
        operation!("CompleteLifecycleAction", lifecycle_action),
        operation!("RecordLifecycleActionHeartbeat", lifecycle_action),
        operation!("PutWarmPool", put_warm_pool),
        operation!("DescribeWarmPool", describe_warm_pool),
        operation!("DeleteWarmPool", delete_warm_pool),
        operation!("PutScheduledUpdateGroupAction", put_scheduled_action),
        operation!("DescribeScheduledActions", describe_scheduled_actions),
        operation!("DeleteScheduledAction", delete_scheduled_action),
        operation!("PutScalingPolicy", put_scaling_policy),
        operation!("DescribePolicies", describe_policies),
        operation!("DeletePolicy", delete_policy),
    ],
};

impl WireError for AutoScalingError {
    fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            AutoScalingError::Validation(_) => ("ValidationError", StatusCode::BAD_REQUEST),
            AutoScalingError::InvalidNextToken(_) => ("InvalidNextToken", StatusCode::BAD_REQUEST),
            AutoScalingError::ResourceContention(_) => ("ResourceContention", StatusCode::INTERNAL_SERVER_ERROR),
            AutoScalingError::AlreadyExists(_) => ("AlreadyExists", StatusCode::BAD_REQUEST),
            AutoScalingError::ResourceInUse(_) => ("ResourceInUse", StatusCode::BAD_REQUEST),
            AutoScalingError::ScalingActivityInProgress(_) => ("ScalingActivityInProgress", StatusCode::BAD_REQUEST),
            AutoScalingError::LimitExceeded(_) => ("LimitExceeded", StatusCode::BAD_REQUEST),
            AutoScalingError::Server(_) => ("InternalFailure", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

/// The Auto Scaling model, or the error of an endpoint that does not serve it.
fn served(api: &AwsApi) -> Result<&AutoScaling, AwsError> {
    api.autoscaling()
        .ok_or_else(|| AwsError::bad_request("InvalidAction", "Auto Scaling is not served by this endpoint"))
}

fn bad_params(error: aws_protocol::QueryError) -> AwsError {
    error.to_aws_error(aws_protocol::Protocol::Query)
}

/// A missing required member, as Auto Scaling words it.
fn required(params: &Scope<'_>, name: &str) -> Result<String, AwsError> {
    params.get(name).map(str::to_owned).ok_or_else(|| {
        let field = lower_first(name);
        AwsError::bad_request(
            "ValidationError",
            format!("1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"),
        )
    })
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|first| first.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

fn required_int(params: &Scope<'_>, name: &str) -> Result<i64, AwsError> {
    required(params, name)?;
    params.int(name).map_err(bad_params)?.ok_or_else(|| AwsError::bad_request("ValidationError", name.to_owned()))
}

async fn describe_instances(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let caller = &call.caller;
    let ids: Vec<String> =
        params.string_list("InstanceIds").map_err(bad_params)?.into_iter().map(str::to_owned).collect();
    let max = params.int("MaxRecords").map_err(bad_params)?;
    let network = autoscaling.sync(caller).await.map_err(wire)?;
    let now = autoscaling.now();
    let members: Vec<(&AutoScalingGroup, &Instance)> = network
        .auto_scaling_groups
        .values()
        .flat_map(|group| group.instances.iter().filter_map(|id| network.instances.get(id)).map(move |i| (group, i)))
        .filter(|(_, instance)| ids.is_empty() || ids.contains(&instance.id))
        .collect();
    let mut members = members;
    members.sort_by(|a, b| a.1.id.cmp(&b.1.id));
    let (members, token) = page(members, |(_, i)| i.id.clone(), max, params.get("NextToken")).map_err(wire)?;
    call.xml(|xml| {
        xml.list("AutoScalingInstances", "member", &members, |xml, (group, instance)| {
            xml.text("InstanceId", &instance.id)
                .text("InstanceType", &instance.instance_type)
                .text("AutoScalingGroupName", &group.name)
                .text("AvailabilityZone", &instance.availability_zone);
            member_state_xml(xml, instance, now, true);
            template_xml(xml, instance.launch_template.as_ref().unwrap_or(&group.launch_template));
            xml.value(
                "ProtectedFromScaleIn",
                group.settings.as_ref().is_some_and(|s| s.protected.contains(&instance.id)),
            );
        });
        xml.optional("NextToken", token.as_deref());
    })
}

async fn set_desired_capacity(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let caller = &call.caller;
    let name = required(&params, "AutoScalingGroupName")?;
    let desired = required_int(&params, "DesiredCapacity")?;
    params.bool("HonorCooldown").map_err(bad_params)?;
    autoscaling.set_desired_capacity(caller, &name, desired).await.map_err(wire)?;
    call.xml_without_result()
}

async fn update_group(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let request = group_request(&call.params.root())?;
    autoscaling.update_group(&call.caller, &request).await.map_err(wire)?;
    call.xml_without_result()
}

async fn create_group(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    required(&params, "MinSize")?;
    required(&params, "MaxSize")?;
    let request = group_request(&params)?;
    autoscaling.create_group(&call.caller, &request).await.map_err(wire)?;
    call.xml_without_result()
}

async fn delete_group(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let name = required(&params, "AutoScalingGroupName")?;
    let force = params.bool("ForceDelete").map_err(bad_params)?.unwrap_or(false);
    autoscaling.delete_group(&call.caller, &name, force).await.map_err(wire)?;
    call.xml_without_result()
}

async fn set_instance_protection(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let name = required(&params, "AutoScalingGroupName")?;
    let ids: Vec<String> =
        params.string_list("InstanceIds").map_err(bad_params)?.into_iter().map(str::to_owned).collect();
    if !params.has("InstanceIds") {
        required(&params, "InstanceIds")?;
    }
    let protected = params.bool("ProtectedFromScaleIn").map_err(bad_params)?.ok_or_else(|| {
        AwsError::bad_request(
            "ValidationError",
            "1 validation error detected: Value null at 'protectedFromScaleIn' failed to satisfy constraint: Member \
             must not be null",
        )
    })?;
    autoscaling.set_instance_protection(&call.caller, &name, &ids, protected).await.map_err(wire)?;
    call.xml(|_| {})
}

/// The members of CreateAutoScalingGroup and UpdateAutoScalingGroup.
fn group_request(params: &Scope<'_>) -> Result<GroupRequest, AwsError> {
    let name = required(params, "AutoScalingGroupName")?;
    let int = |name: &str| params.int(name).map_err(bad_params);
    let boolean = |name: &str| params.bool(name).map_err(bad_params);
    let text = |name: &str| params.get(name).map(str::to_owned);
    let strings = |name: &str| -> Result<Option<Vec<String>>, AwsError> {
        let has = params.has(name);
        let list: Vec<String> = params.string_list(name).map_err(bad_params)?.into_iter().map(str::to_owned).collect();
        Ok(has.then_some(list))
    };
    let mut tags = Vec::new();
    for tag in params.list("Tags").map_err(bad_params)? {
        tags.push(group_tag(&tag)?.1);
    }
    let mixed = params.child("MixedInstancesPolicy");
    let mixed_instances_policy = if params.has("MixedInstancesPolicy") {
        let template = mixed.child("LaunchTemplate");
        let mut overrides = Vec::new();
        for item in template.list("Overrides").map_err(bad_params)? {
            overrides.push(InstanceOverride {
                instance_type: item.get("InstanceType").map(str::to_owned),
                weighted_capacity: item.get("WeightedCapacity").map(str::to_owned),
            });
        }
        let distribution_scope = mixed.child("InstancesDistribution");
        let distribution = [
            "OnDemandAllocationStrategy",
            "OnDemandBaseCapacity",
            "OnDemandPercentageAboveBaseCapacity",
            "SpotAllocationStrategy",
            "SpotInstancePools",
            "SpotMaxPrice",
        ]
        .into_iter()
        .filter_map(|key| distribution_scope.get(key).map(|value| (key.to_owned(), value.to_owned())))
        .collect();
        let specification = template.child("LaunchTemplateSpecification");
        Some(MixedInstancesRequest { launch_template: template_request(&specification), overrides, distribution })
    } else {
        None
    };
    Ok(GroupRequest {
        name,
        min_size: int("MinSize")?,
        max_size: int("MaxSize")?,
        desired_capacity: int("DesiredCapacity")?,
        launch_template: template_request(&params.child("LaunchTemplate")),
        mixed_instances_policy,
        launch_configuration_name: text("LaunchConfigurationName"),
        instance_id: text("InstanceId"),
        subnets: text("VPCZoneIdentifier")
            .map(|ids| ids.split(',').map(|id| id.trim().to_owned()).filter(|id| !id.is_empty()).collect()),
        availability_zones: strings("AvailabilityZones")?,
        default_cooldown: int("DefaultCooldown")?,
        health_check_type: text("HealthCheckType"),
        health_check_grace_period: int("HealthCheckGracePeriod")?,
        termination_policies: strings("TerminationPolicies")?,
        new_instances_protected_from_scale_in: boolean("NewInstancesProtectedFromScaleIn")?,
        capacity_rebalance: boolean("CapacityRebalance")?,
        max_instance_lifetime: int("MaxInstanceLifetime")?,
        default_instance_warmup: int("DefaultInstanceWarmup")?,
        tags,
    })
}

/// A `LaunchTemplateSpecification`; `None` when it names nothing.
fn template_request(scope: &Scope<'_>) -> Option<TemplateRequest> {
    let request = TemplateRequest {
        id: scope.get("LaunchTemplateId").map(str::to_owned),
        name: scope.get("LaunchTemplateName").map(str::to_owned),
        version: scope.get("Version").map(str::to_owned),
    };
    (request != TemplateRequest::default()).then_some(request)
}

/// One `Tags.member.N`: its group (`ResourceId`, of `ResourceType` `auto-scaling-group`) and the tag.
fn group_tag(tag: &Scope<'_>) -> Result<(String, GroupTag), AwsError> {
    let kind = tag.get("ResourceType").unwrap_or("auto-scaling-group");
    if kind != "auto-scaling-group" {
        return Err(AwsError::bad_request("ValidationError", format!("Invalid resource type: {kind}")));
    }
    let key = tag.get("Key").ok_or_else(|| {
        AwsError::bad_request(
            "ValidationError",
            "1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: Member must \
             not be null",
        )
    })?;
    Ok((
        tag.get("ResourceId").unwrap_or_default().to_owned(),
        GroupTag {
            key: key.to_owned(),
            value: tag.get("Value").unwrap_or_default().to_owned(),
            propagate_at_launch: tag.bool("PropagateAtLaunch").map_err(bad_params)?.unwrap_or(false),
        },
    ))
}

async fn put_tags(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let mut tags = Vec::new();
    for tag in params.list("Tags").map_err(bad_params)? {
        tags.push(group_tag(&tag)?);
    }
    if tags.is_empty() {
        required(&params, "Tags")?;
    }
    autoscaling.put_tags(&call.caller, &tags).await.map_err(wire)?;
    call.xml_without_result()
}

async fn delete_tags(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let mut tags = Vec::new();
    for tag in params.list("Tags").map_err(bad_params)? {
        let (group, found) = group_tag(&tag)?;
        tags.push((group, found.key, tag.get("Value").map(str::to_owned)));
    }
    if tags.is_empty() {
        required(&params, "Tags")?;
    }
    autoscaling.delete_tags(&call.caller, &tags).await.map_err(wire)?;
    call.xml_without_result()
}

/// DescribeTags' filters.
const TAG_FILTERS: &[&str] = &["auto-scaling-group", "key", "value", "propagate-at-launch"];

async fn describe_tags(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let mut filters: Vec<(String, Vec<String>)> = Vec::new();
    for filter in params.list("Filters").map_err(bad_params)? {
        let name = filter.get("Name").unwrap_or_default().to_owned();
        if !TAG_FILTERS.contains(&name.as_str()) {
            return Err(AwsError::bad_request(
                "ValidationError",
                format!("Filter type {name} is not correct. Allowed Filter types are: {}", TAG_FILTERS.join(", ")),
            ));
        }
        let values: Vec<String> =
            filter.string_list("Values").map_err(bad_params)?.into_iter().map(str::to_owned).collect();
        filters.push((name, values));
    }
    let max = params.int("MaxRecords").map_err(bad_params)?;
    let network = autoscaling.sync(&call.caller).await.map_err(wire)?;
    let mut tags: Vec<(String, String, String, bool)> = Vec::new();
    for group in network.auto_scaling_groups.values().filter(|group| !group.deleting) {
        for (key, value) in &group.tags {
            let propagate = group.settings.as_ref().is_none_or(|s| !s.unpropagated.contains(key));
            let fields = [group.name.as_str(), key.as_str(), value.as_str(), if propagate { "true" } else { "false" }];
            let passes = filters.iter().all(|(name, values)| {
                let index = TAG_FILTERS.iter().position(|known| known == name).expect("checked above");
                values.iter().any(|wanted| wanted == fields[index])
            });
            if passes {
                tags.push((group.name.clone(), key.clone(), value.clone(), propagate));
            }
        }
    }
    let (tags, token) =
        page(tags, |(group, key, _, _)| format!("{group}\u{0}{key}"), max, params.get("NextToken")).map_err(wire)?;
    call.xml(|xml| {
        xml.list("Tags", "member", &tags, |xml, (group, key, value, propagate)| {
            xml.text("ResourceId", group)
                .text("ResourceType", "auto-scaling-group")
                .text("Key", key)
                .text("Value", value)
                .value("PropagateAtLaunch", propagate);
        });
        xml.optional("NextToken", token.as_deref());
    })
}

async fn describe_activities(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let name = params.get("AutoScalingGroupName");
    let ids: Vec<&str> = params.string_list("ActivityIds").map_err(bad_params)?;
    params.bool("IncludeDeletedGroups").map_err(bad_params)?;
    let max = params.int("MaxRecords").map_err(bad_params)?;
    let network = autoscaling.sync(&call.caller).await.map_err(wire)?;
    if let Some(name) = name
        && !network.auto_scaling_groups.contains_key(name)
    {
        return Err(wire(aws_model::autoscaling::groups::group_not_found(name)));
    }
    let mut activities = Vec::new();
    for group in network.auto_scaling_groups.values().filter(|group| name.is_none_or(|name| group.name == name)) {
        for activity in &group.activities {
            if ids.is_empty() || ids.contains(&activity.id.as_str()) {
                activities.push((group, activity));
            }
        }
    }
    // Newest first, as Auto Scaling lists them; the page key orders by time, then id.
    activities.sort_by(|a, b| b.1.start.total_cmp(&a.1.start).then_with(|| a.1.id.cmp(&b.1.id)));
    let keyed: Vec<(String, (&AutoScalingGroup, &aws_model::autoscaling::Activity))> =
        activities.into_iter().enumerate().map(|(index, item)| (format!("{index:08}"), item)).collect();
    let (activities, token) = page(keyed, |(key, _)| key.clone(), max, params.get("NextToken")).map_err(wire)?;
    call.xml(|xml| {
        xml.list("Activities", "member", &activities, |xml, (_, (group, activity))| {
            xml.text("ActivityId", &activity.id)
                .text("AutoScalingGroupName", &group.name)
                .text("Description", &activity.description)
                .text("Cause", &activity.cause)
                .timestamp("StartTime", crate::ec2::timestamp(activity.start))
                .timestamp("EndTime", crate::ec2::timestamp(activity.end))
                .text("StatusCode", &activity.status)
                .optional("StatusMessage", activity.status_message.as_deref())
                .value("Progress", 100)
                .text("Details", "{}")
                .text("AutoScalingGroupARN", &group.arn);
        });
        xml.optional("NextToken", token.as_deref());
    })
}

async fn describe_launch_configurations(api: &AwsApi, call: &Call<'_>) -> Outcome {
    served(api)?;
    let params = call.params.root();
    let names = params.string_list("LaunchConfigurationNames").map_err(bad_params)?;
    params.int("MaxRecords").map_err(bad_params)?;
    if let Some(name) = names.first() {
        return Err(AwsError::bad_request(
            "ValidationError",
            format!("Launch configuration name not found - Launch configuration {name} not found"),
        ));
    }
    call.xml(|xml| {
        xml.element("LaunchConfigurations", |_| {});
    })
}

async fn terminate_instance(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let caller = &call.caller;
    let id = required(&params, "InstanceId")?;
    let decrement = params.bool("ShouldDecrementDesiredCapacity").map_err(bad_params)?.ok_or_else(|| {
        AwsError::bad_request(
            "ValidationError",
            "1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to \
                 satisfy constraint: Member must not be null",
        )
    })?;
    let (group, before, after) = autoscaling.terminate_instance(caller, &id, decrement).await.map_err(wire)?;
    let now =
        time::OffsetDateTime::from_unix_timestamp(autoscaling.now() as i64).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let when = now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let cause = if decrement {
        format!(
            "At {when} instance {id} was taken out of service in response to a user request, shrinking the \
             capacity from {before} to {after}."
        )
    } else {
        format!("At {when} instance {id} was taken out of service in response to a user request.")
    };
    call.xml(|xml| {
        xml.element("Activity", |xml| {
            xml.text("ActivityId", &aws_model::ids::uuid())
                .text("AutoScalingGroupName", &group.name)
                .text("Description", &format!("Terminating EC2 instance: {id}"))
                .text("Cause", &cause)
                .timestamp("StartTime", now)
                .text("StatusCode", "InProgress")
                .value("Progress", 0)
                .text("Details", "{\"Subnet ID\":\"\",\"Availability Zone\":\"\"}")
                .text("AutoScalingGroupARN", &group.arn);
        });
    })
}

async fn describe_groups(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let names: Vec<String> =
        params.string_list("AutoScalingGroupNames").map_err(bad_params)?.into_iter().map(str::to_owned).collect();
    let mut filters = Vec::new();
    for filter in params.list("Filters").map_err(bad_params)? {
        let name = filter.get("Name").unwrap_or_default().to_owned();
        let values: Vec<String> =
            filter.string_list("Values").map_err(bad_params)?.into_iter().map(str::to_owned).collect();
        filters.push((name, values));
    }
    let include_instances = params.bool("IncludeInstances").map_err(bad_params)?.unwrap_or(true);
    let max = params.int("MaxRecords").map_err(bad_params)?;
    let network = autoscaling.sync(&call.caller).await.map_err(wire)?;
    let now = autoscaling.now();
    let mut groups = Vec::new();
    for group in network.auto_scaling_groups.values() {
        if (names.is_empty() || names.contains(&group.name)) && group_passes(group, &filters).map_err(wire)? {
            groups.push(group.clone());
        }
    }
    let (groups, token) = page(groups, |group| group.name.clone(), max, params.get("NextToken")).map_err(wire)?;
    call.xml(|xml| {
        xml.list("AutoScalingGroups", "member", &groups, |xml, group| {
            group_xml(xml, &network, group, include_instances, now);
        });
        xml.optional("NextToken", token.as_deref());
    })
}

fn template_xml(xml: &mut XmlWriter, template: &TemplateRef) {
    xml.element("LaunchTemplate", |xml| {
        xml.text("LaunchTemplateId", &template.id)
            .text("LaunchTemplateName", &template.name)
            .text("Version", &template.version);
    });
}

/// `LifecycleState` and `HealthStatus` of a member: a stopped instance is unhealthy. Auto Scaling spells the health
/// `Healthy` in DescribeAutoScalingGroups (what Terraform's capacity wait compares) and `HEALTHY` in
/// DescribeAutoScalingInstances.
fn member_state_xml(xml: &mut XmlWriter, instance: &Instance, now: f64, upper_case: bool) {
    let state = instance.state_at(now);
    let lifecycle = match state {
        InstanceState::Pending => "Pending",
        InstanceState::ShuttingDown | InstanceState::Terminated => "Terminating",
        _ => "InService",
    };
    let healthy = matches!(state, InstanceState::Running | InstanceState::Pending);
    let health = match (healthy, upper_case) {
        (true, true) => "HEALTHY",
        (false, true) => "UNHEALTHY",
        (true, false) => "Healthy",
        (false, false) => "Unhealthy",
    };
    xml.text("LifecycleState", lifecycle).text("HealthStatus", health);
}

fn group_xml(xml: &mut XmlWriter, network: &Network, group: &AutoScalingGroup, include_instances: bool, now: f64) {
    let settings = group.settings.as_ref();
    xml.text("AutoScalingGroupName", &group.name).text("AutoScalingGroupARN", &group.arn);
    match settings {
        // A user's group shows its template as asked (`$Latest`, ...), or its mixed instances policy.
        Some(settings) => match &settings.mixed_instances_policy {
            Some(policy) => {
                xml.element("MixedInstancesPolicy", |xml| {
                    xml.element("LaunchTemplate", |xml| {
                        xml.element("LaunchTemplateSpecification", |xml| {
                            xml.text("LaunchTemplateId", &policy.launch_template.id)
                                .text("LaunchTemplateName", &policy.launch_template.name)
                                .text("Version", &policy.launch_template.version);
                        });
                        xml.list("Overrides", "member", &policy.overrides, |xml, item| {
                            xml.optional("InstanceType", item.instance_type.as_deref())
                                .optional("WeightedCapacity", item.weighted_capacity.as_deref());
                        });
                    });
                    if !policy.distribution.is_empty() {
                        xml.element("InstancesDistribution", |xml| {
                            for (key, value) in &policy.distribution {
                                xml.text(key, value);
                            }
                        });
                    }
                });
            }
            None => template_xml(xml, &settings.launch_template),
        },
        None => template_xml(xml, &group.launch_template),
    }
    let protected = |id: &str| settings.is_some_and(|s| s.protected.contains(id));
    xml.value("MinSize", group.min_size)
        .value("MaxSize", group.max_size)
        .value("DesiredCapacity", group.desired_capacity)
        .value("DefaultCooldown", settings.map_or(300, |s| s.default_cooldown))
        .text_list("AvailabilityZones", "member", group.availability_zones.iter().map(String::as_str))
        .element("LoadBalancerNames", |_| {})
        .element("TargetGroupARNs", |_| {})
        .text("HealthCheckType", settings.map_or("EC2", |s| s.health_check_type.as_str()))
        .value("HealthCheckGracePeriod", settings.map_or(15, |s| s.health_check_grace_period));
    if include_instances {
        let members: Vec<&Instance> = group.instances.iter().filter_map(|id| network.instances.get(id)).collect();
        xml.list("Instances", "member", members, |xml, instance| {
            xml.text("InstanceId", &instance.id)
                .text("InstanceType", &instance.instance_type)
                .text("AvailabilityZone", &instance.availability_zone);
            member_state_xml(xml, instance, now, false);
            template_xml(xml, instance.launch_template.as_ref().unwrap_or(&group.launch_template));
            xml.value("ProtectedFromScaleIn", protected(&instance.id));
        });
    }
    let zone_identifier = if settings.is_some_and(|s| s.zones_only) { String::new() } else { group.subnets.join(",") };
    xml.timestamp("CreatedTime", crate::ec2::timestamp(group.created_at))
        .element("SuspendedProcesses", |_| {})
        .text("VPCZoneIdentifier", &zone_identifier)
        .element("EnabledMetrics", |_| {})
        .list("Tags", "member", &group.tags, |xml, (key, value)| {
            let propagate = settings.is_none_or(|s| !s.unpropagated.contains(key));
            xml.text("ResourceId", &group.name)
                .text("ResourceType", "auto-scaling-group")
                .text("Key", key)
                .text("Value", value)
                .value("PropagateAtLaunch", propagate);
        });
    match settings {
        Some(settings) => {
            xml.text_list("TerminationPolicies", "member", settings.termination_policies.iter().map(String::as_str));
        }
        None => {
            xml.text_list(
                "TerminationPolicies",
                "member",
                ["AllocationStrategy", "OldestLaunchTemplate", "OldestInstance"],
            );
        }
    }
    xml.value("NewInstancesProtectedFromScaleIn", settings.is_some_and(|s| s.new_instances_protected_from_scale_in))
        .text(
            "ServiceLinkedRoleARN",
            &format!(
                "arn:aws:iam::{}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
                network.account
            ),
        )
        .value("CapacityRebalance", settings.is_none_or(|s| s.capacity_rebalance));
    if let Some(settings) = settings {
        if let Some(lifetime) = settings.max_instance_lifetime {
            xml.value("MaxInstanceLifetime", lifetime);
        }
        if let Some(warmup) = settings.default_instance_warmup {
            xml.value("DefaultInstanceWarmup", warmup);
        }
    }
    if group.deleting {
        xml.text("Status", "Delete in progress");
    }
}

async fn put_lifecycle_hook(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let group = required(&params, "AutoScalingGroupName")?;
    let text = |name: &str| params.get(name).map(str::to_owned);
    let hook = LifecycleHookRequest {
        name: required(&params, "LifecycleHookName")?,
        transition: text("LifecycleTransition"),
        role_arn: text("RoleARN"),
        notification_target_arn: text("NotificationTargetARN"),
        notification_metadata: text("NotificationMetadata"),
        heartbeat_timeout: params.int("HeartbeatTimeout").map_err(bad_params)?,
        default_result: text("DefaultResult"),
    };
    autoscaling
        .change_automation(&call.caller, &group, |network| network.put_lifecycle_hook(&group, hook.clone()))
        .await
        .map_err(wire)?;
    call.xml(|_| {})
}

async fn describe_lifecycle_hooks(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let group = required(&params, "AutoScalingGroupName")?;
    let names: Vec<&str> = params.string_list("LifecycleHookNames").map_err(bad_params)?;
    let network = autoscaling.sync(&call.caller).await.map_err(wire)?;
    let automation = network.automation(&group).map_err(wire)?;
    let hooks: Vec<_> = automation
        .lifecycle_hooks
        .iter()
        .filter(|hook| names.is_empty() || names.contains(&hook.name.as_str()))
        .collect();
    call.xml(|xml| {
        xml.list("LifecycleHooks", "member", hooks, |xml, hook| {
            xml.text("LifecycleHookName", &hook.name)
                .text("AutoScalingGroupName", &group)
                .text("LifecycleTransition", &hook.transition)
                .optional("NotificationTargetARN", hook.notification_target_arn.as_deref())
                .optional("RoleARN", hook.role_arn.as_deref())
                .optional("NotificationMetadata", hook.notification_metadata.as_deref())
                .value("HeartbeatTimeout", hook.heartbeat_timeout)
                .value("GlobalTimeout", hook.global_timeout())
                .text("DefaultResult", &hook.default_result);
        });
    })
}

async fn delete_lifecycle_hook(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let group = required(&params, "AutoScalingGroupName")?;
    let name = required(&params, "LifecycleHookName")?;
    autoscaling
        .change_automation(&call.caller, &group, |network| network.delete_lifecycle_hook(&group, &name))
        .await
        .map_err(wire)?;
    call.xml(|_| {})
}

/// CompleteLifecycleAction and RecordLifecycleActionHeartbeat.
async fn lifecycle_action(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let group = required(&params, "AutoScalingGroupName")?;
    let hook = required(&params, "LifecycleHookName")?;
    if call.operation.name == "CompleteLifecycleAction" {
        let result = required(&params, "LifecycleActionResult")?;
        if !matches!(result.as_str(), "CONTINUE" | "ABANDON") {
            return Err(AwsError::bad_request(
                "ValidationError",
                format!("Invalid lifecycle action result: {}", result.escape_debug()),
            ));
        }
    }
    let network = autoscaling.sync(&call.caller).await.map_err(wire)?;
    network.lifecycle_action(&group, &hook, params.get("InstanceId")).map_err(wire)?;
    call.xml(|_| {})
}

async fn put_warm_pool(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let group = required(&params, "AutoScalingGroupName")?;
    let pool = WarmPool {
        max_group_prepared_capacity: params.int("MaxGroupPreparedCapacity").map_err(bad_params)?,
        min_size: params.int("MinSize").map_err(bad_params)?.unwrap_or(0),
        pool_state: params.get("PoolState").unwrap_or("Stopped").to_owned(),
        reuse_on_scale_in: params.child("InstanceReusePolicy").bool("ReuseOnScaleIn").map_err(bad_params)?,
    };
    autoscaling
        .change_automation(&call.caller, &group, |network| network.put_warm_pool(&group, pool.clone()))
        .await
        .map_err(wire)?;
    call.xml(|_| {})
}

async fn describe_warm_pool(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let group = required(&params, "AutoScalingGroupName")?;
    params.int("MaxRecords").map_err(bad_params)?;
    let network = autoscaling.sync(&call.caller).await.map_err(wire)?;
    let pool = network.automation(&group).map_err(wire)?.warm_pool.clone();
    call.xml(|xml| {
        if let Some(pool) = &pool {
            xml.element("WarmPoolConfiguration", |xml| {
                if let Some(max) = pool.max_group_prepared_capacity {
                    xml.value("MaxGroupPreparedCapacity", max);
                }
                xml.value("MinSize", pool.min_size).text("PoolState", &pool.pool_state);
                if let Some(reuse) = pool.reuse_on_scale_in {
                    xml.element("InstanceReusePolicy", |xml| {
                        xml.value("ReuseOnScaleIn", reuse);
                    });
                }
            });
        }
        xml.element("Instances", |_| {});
    })
}

async fn delete_warm_pool(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let group = required(&params, "AutoScalingGroupName")?;
    params.bool("ForceDelete").map_err(bad_params)?;
    autoscaling
        .change_automation(&call.caller, &group, |network| network.delete_warm_pool(&group))
        .await
        .map_err(wire)?;
    call.xml(|_| {})
}

/// A timestamp member as Unix seconds.
fn seconds(params: &Scope<'_>, name: &str) -> Result<Option<f64>, AwsError> {
    Ok(params.timestamp(name).map_err(bad_params)?.map(|at| at.unix_timestamp() as f64))
}

async fn put_scheduled_action(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let group = required(&params, "AutoScalingGroupName")?;
    let name = required(&params, "ScheduledActionName")?;
    let action = ScheduledAction {
        arn: AutoScaling::automation_arn(&call.caller, "scheduledUpdateGroupAction", &group, &name),
        name,
        start_time: seconds(&params, "StartTime")?.or(seconds(&params, "Time")?),
        end_time: seconds(&params, "EndTime")?,
        recurrence: params.get("Recurrence").map(str::to_owned),
        min_size: params.int("MinSize").map_err(bad_params)?,
        max_size: params.int("MaxSize").map_err(bad_params)?,
        desired_capacity: params.int("DesiredCapacity").map_err(bad_params)?,
        time_zone: params.get("TimeZone").map(str::to_owned),
    };
    autoscaling
        .change_automation(&call.caller, &group, |network| {
            // A replaced action keeps its ARN.
            let arn = network
                .automation(&group)?
                .scheduled_actions
                .iter()
                .find(|found| found.name == action.name)
                .map_or_else(|| action.arn.clone(), |found| found.arn.clone());
            network.put_scheduled_action(&group, ScheduledAction { arn, ..action.clone() })
        })
        .await
        .map_err(wire)?;
    call.xml_without_result()
}

async fn describe_scheduled_actions(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let group = params.get("AutoScalingGroupName");
    let names: Vec<&str> = params.string_list("ScheduledActionNames").map_err(bad_params)?;
    let max = params.int("MaxRecords").map_err(bad_params)?;
    let network = autoscaling.sync(&call.caller).await.map_err(wire)?;
    if let Some(group) = group {
        network.automation(group).map_err(wire)?;
    }
    let mut actions = Vec::new();
    for found in network.auto_scaling_groups.values().filter(|g| group.is_none_or(|name| g.name == name)) {
        for action in &found.automation.scheduled_actions {
            if names.is_empty() || names.contains(&action.name.as_str()) {
                actions.push((found.name.clone(), action.clone()));
            }
        }
    }
    let (actions, token) =
        page(actions, |(group, action)| format!("{group}\u{0}{}", action.name), max, params.get("NextToken"))
            .map_err(wire)?;
    call.xml(|xml| {
        xml.list("ScheduledUpdateGroupActions", "member", &actions, |xml, (group, action)| {
            xml.text("AutoScalingGroupName", group)
                .text("ScheduledActionName", &action.name)
                .text("ScheduledActionARN", &action.arn);
            if let Some(start) = action.start_time {
                xml.timestamp("StartTime", crate::ec2::timestamp(start))
                    .timestamp("Time", crate::ec2::timestamp(start));
            }
            if let Some(end) = action.end_time {
                xml.timestamp("EndTime", crate::ec2::timestamp(end));
            }
            xml.optional("Recurrence", action.recurrence.as_deref());
            for (name, value) in [
                ("MinSize", action.min_size),
                ("MaxSize", action.max_size),
                ("DesiredCapacity", action.desired_capacity),
            ] {
                if let Some(value) = value {
                    xml.value(name, value);
                }
            }
            xml.optional("TimeZone", action.time_zone.as_deref());
        });
        xml.optional("NextToken", token.as_deref());
    })
}

async fn delete_scheduled_action(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let group = required(&params, "AutoScalingGroupName")?;
    let name = required(&params, "ScheduledActionName")?;
    autoscaling
        .change_automation(&call.caller, &group, |network| network.delete_scheduled_action(&group, &name))
        .await
        .map_err(wire)?;
    call.xml_without_result()
}

async fn put_scaling_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let group = required(&params, "AutoScalingGroupName")?;
    let name = required(&params, "PolicyName")?;
    let int = |name: &str| params.int(name).map_err(bad_params);
    let mut steps = Vec::new();
    for step in params.list("StepAdjustments").map_err(bad_params)? {
        let adjustment = step.int("ScalingAdjustment").map_err(bad_params)?.ok_or_else(|| {
            AwsError::bad_request("ValidationError", "ScalingAdjustment is required for every step adjustment.")
        })?;
        steps.push((
            step.float("MetricIntervalLowerBound").map_err(bad_params)?,
            step.float("MetricIntervalUpperBound").map_err(bad_params)?,
            adjustment,
        ));
    }
    let tracking = params.child("TargetTrackingConfiguration");
    let target_tracking = if params.has("TargetTrackingConfiguration") {
        let metric = tracking.child("PredefinedMetricSpecification");
        Some(TargetTracking {
            predefined_metric_type: metric.get("PredefinedMetricType").map(str::to_owned),
            resource_label: metric.get("ResourceLabel").map(str::to_owned),
            target_value: tracking.float("TargetValue").map_err(bad_params)?.ok_or_else(|| {
                AwsError::bad_request("ValidationError", "TargetValue is required for a target tracking configuration.")
            })?,
            disable_scale_in: tracking.bool("DisableScaleIn").map_err(bad_params)?.unwrap_or(false),
        })
    } else {
        None
    };
    let policy = ScalingPolicy {
        arn: AutoScaling::automation_arn(&call.caller, "scalingPolicy", &group, &name),
        name,
        policy_type: params.get("PolicyType").unwrap_or("SimpleScaling").to_owned(),
        adjustment_type: params.get("AdjustmentType").map(str::to_owned),
        scaling_adjustment: int("ScalingAdjustment")?,
        min_adjustment_magnitude: int("MinAdjustmentMagnitude")?,
        cooldown: int("Cooldown")?,
        metric_aggregation_type: params.get("MetricAggregationType").map(str::to_owned),
        estimated_instance_warmup: int("EstimatedInstanceWarmup")?,
        enabled: params.bool("Enabled").map_err(bad_params)?.unwrap_or(true),
        target_tracking,
        step_adjustments: steps,
    };
    let arn = autoscaling
        .change_automation(&call.caller, &group, |network| network.put_scaling_policy(&group, policy.clone()))
        .await
        .map_err(wire)?;
    call.xml(|xml| {
        xml.text("PolicyARN", &arn).element("Alarms", |_| {});
    })
}

async fn describe_policies(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let group = params.get("AutoScalingGroupName");
    let names: Vec<&str> = params.string_list("PolicyNames").map_err(bad_params)?;
    let types: Vec<&str> = params.string_list("PolicyTypes").map_err(bad_params)?;
    let max = params.int("MaxRecords").map_err(bad_params)?;
    let network = autoscaling.sync(&call.caller).await.map_err(wire)?;
    if let Some(group) = group {
        network.automation(group).map_err(wire)?;
    }
    let mut policies = Vec::new();
    for found in network.auto_scaling_groups.values().filter(|g| group.is_none_or(|name| g.name == name)) {
        for policy in &found.automation.policies {
            let named =
                names.is_empty() || names.contains(&policy.name.as_str()) || names.contains(&policy.arn.as_str());
            if named && (types.is_empty() || types.contains(&policy.policy_type.as_str())) {
                policies.push((found.name.clone(), policy.clone()));
            }
        }
    }
    let (policies, token) =
        page(policies, |(group, policy)| format!("{group}\u{0}{}", policy.name), max, params.get("NextToken"))
            .map_err(wire)?;
    call.xml(|xml| {
        xml.list("ScalingPolicies", "member", &policies, |xml, (group, policy)| {
            xml.text("AutoScalingGroupName", group)
                .text("PolicyName", &policy.name)
                .text("PolicyARN", &policy.arn)
                .text("PolicyType", &policy.policy_type)
                .optional("AdjustmentType", policy.adjustment_type.as_deref());
            for (name, value) in [
                ("MinAdjustmentMagnitude", policy.min_adjustment_magnitude),
                ("ScalingAdjustment", policy.scaling_adjustment),
                ("Cooldown", policy.cooldown),
                ("EstimatedInstanceWarmup", policy.estimated_instance_warmup),
            ] {
                if let Some(value) = value {
                    xml.value(name, value);
                }
            }
            xml.optional("MetricAggregationType", policy.metric_aggregation_type.as_deref());
            xml.list("StepAdjustments", "member", &policy.step_adjustments, |xml, (lower, upper, adjustment)| {
                if let Some(lower) = lower {
                    xml.value("MetricIntervalLowerBound", lower);
                }
                if let Some(upper) = upper {
                    xml.value("MetricIntervalUpperBound", upper);
                }
                xml.value("ScalingAdjustment", adjustment);
            });
            xml.element("Alarms", |_| {});
            if let Some(tracking) = &policy.target_tracking {
                xml.element("TargetTrackingConfiguration", |xml| {
                    if tracking.predefined_metric_type.is_some() {
                        xml.element("PredefinedMetricSpecification", |xml| {
                            xml.optional("PredefinedMetricType", tracking.predefined_metric_type.as_deref())
                                .optional("ResourceLabel", tracking.resource_label.as_deref());
                        });
                    }
                    xml.value("TargetValue", tracking.target_value).value("DisableScaleIn", tracking.disable_scale_in);
                });
            }
            xml.value("Enabled", policy.enabled);
        });
        xml.optional("NextToken", token.as_deref());
    })
}

async fn delete_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let autoscaling = served(api)?;
    let params = call.params.root();
    let name = required(&params, "PolicyName")?;
    let group = match params.get("AutoScalingGroupName") {
        Some(group) => group.to_owned(),
        // A policy named by its ARN may leave its group out: the ARN names it.
        None => name
            .split(":autoScalingGroupName/")
            .nth(1)
            .and_then(|rest| rest.split(':').next())
            .map(str::to_owned)
            .ok_or_else(|| {
                AwsError::bad_request(
                    "ValidationError",
                    "1 validation error detected: Value null at 'autoScalingGroupName' failed to satisfy constraint: \
                     Member must not be null",
                )
            })?,
    };
    autoscaling
        .change_automation(&call.caller, &group, |network| network.delete_scaling_policy(&group, &name))
        .await
        .map_err(wire)?;
    call.xml_without_result()
}

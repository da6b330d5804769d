//! Auto Scaling over the `query` protocol (`Action`, `Name.member.N` lists, XML replies in Auto Scaling's
//! namespace): the groups of managed node groups. DescribeAutoScalingGroups, DescribeAutoScalingInstances,
//! SetDesiredCapacity, UpdateAutoScalingGroup and TerminateInstanceInAutoScalingGroup.

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
    title: "Auto Scaling",
    wire: Wire::Query { version: "2011-01-01", namespace: "http://autoscaling.amazonaws.com/doc/2011-01-01/" },
    operations: &[
        operation!("DescribeAutoScalingGroups", describe_groups),
        operation!("DescribeAutoScalingInstances", describe_instances),
        operation!("SetDesiredCapacity", set_desired_capacity),
        operation!("UpdateAutoScalingGroup", update_group),
        operation!("TerminateInstanceInAutoScalingGroup", terminate_instance),
    ],
};

impl WireError for AutoScalingError {
    fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            AutoScalingError::Validation(_) => ("ValidationError", StatusCode::BAD_REQUEST),
            AutoScalingError::InvalidNextToken(_) => ("InvalidNextToken", StatusCode::BAD_REQUEST),
            AutoScalingError::ResourceContention(_) => ("ResourceContention", StatusCode::INTERNAL_SERVER_ERROR),
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
            member_state_xml(xml, instance, now);
            template_xml(xml, instance.launch_template.as_ref().unwrap_or(&group.launch_template));
            xml.value("ProtectedFromScaleIn", false);
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
    let params = call.params.root();
    let caller = &call.caller;
    let name = required(&params, "AutoScalingGroupName")?;
    let min = params.int("MinSize").map_err(bad_params)?;
    let max = params.int("MaxSize").map_err(bad_params)?;
    let desired = params.int("DesiredCapacity").map_err(bad_params)?;
    autoscaling.update_group(caller, &name, min, max, desired).await.map_err(wire)?;
    call.xml_without_result()
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

/// `LifecycleState` and `HealthStatus` of a member: a stopped instance is unhealthy.
fn member_state_xml(xml: &mut XmlWriter, instance: &Instance, now: f64) {
    let state = instance.state_at(now);
    let lifecycle = match state {
        InstanceState::Pending => "Pending",
        InstanceState::ShuttingDown | InstanceState::Terminated => "Terminating",
        _ => "InService",
    };
    let health = if matches!(state, InstanceState::Running | InstanceState::Pending) { "HEALTHY" } else { "UNHEALTHY" };
    xml.text("LifecycleState", lifecycle).text("HealthStatus", health);
}

fn group_xml(xml: &mut XmlWriter, network: &Network, group: &AutoScalingGroup, include_instances: bool, now: f64) {
    xml.text("AutoScalingGroupName", &group.name).text("AutoScalingGroupARN", &group.arn);
    template_xml(xml, &group.launch_template);
    xml.value("MinSize", group.min_size)
        .value("MaxSize", group.max_size)
        .value("DesiredCapacity", group.desired_capacity)
        .value("DefaultCooldown", 300)
        .text_list("AvailabilityZones", "member", group.availability_zones.iter().map(String::as_str))
        .element("LoadBalancerNames", |_| {})
        .element("TargetGroupARNs", |_| {})
        .text("HealthCheckType", "EC2")
        .value("HealthCheckGracePeriod", 15);
    if include_instances {
        let members: Vec<&Instance> = group.instances.iter().filter_map(|id| network.instances.get(id)).collect();
        xml.list("Instances", "member", members, |xml, instance| {
            xml.text("InstanceId", &instance.id)
                .text("InstanceType", &instance.instance_type)
                .text("AvailabilityZone", &instance.availability_zone);
            member_state_xml(xml, instance, now);
            template_xml(xml, instance.launch_template.as_ref().unwrap_or(&group.launch_template));
            xml.value("ProtectedFromScaleIn", false);
        });
    }
    xml.timestamp("CreatedTime", crate::ec2::timestamp(group.created_at))
        .element("SuspendedProcesses", |_| {})
        .text("VPCZoneIdentifier", &group.subnets.join(","))
        .element("EnabledMetrics", |_| {})
        .list("Tags", "member", &group.tags, |xml, (key, value)| {
            xml.text("ResourceId", &group.name)
                .text("ResourceType", "auto-scaling-group")
                .text("Key", key)
                .text("Value", value)
                .value("PropagateAtLaunch", true);
        })
        .text_list("TerminationPolicies", "member", ["AllocationStrategy", "OldestLaunchTemplate", "OldestInstance"])
        .value("NewInstancesProtectedFromScaleIn", false)
        .text(
            "ServiceLinkedRoleARN",
            &format!(
                "arn:aws:iam::{}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
                network.account
            ),
        )
        .value("CapacityRebalance", true);
    if group.deleting {
        xml.text("Status", "Delete in progress");
    }
}

//! EC2 instances and instance types over the `ec2` protocol: RunInstances, DescribeInstances,
//! DescribeInstanceAttribute, TerminateInstances, StopInstances, StartInstances, DescribeInstanceTypes (launch
//! templates are in `templates.rs`). Instances are those Auto Scaling launches and those RunInstances launches;
//! every call first reconciles the groups with their specs (`AutoScaling::sync`), so what it reads is current.

use aws_model::autoscaling::{INSTANCES_PER_CHANGE, RECORDS_PER_CHANGE};
use aws_model::ec2::instance_types::{INSTANCE_TYPES, InstanceType, instance_type};
use aws_model::ec2::instances::{RunInstances, StateChange};
use aws_model::ec2::templates::{LaunchTemplateData, MAX_USER_DATA_BYTES, TemplateName};
use aws_model::ec2::{Ec2, Instance, InstanceState, Kind, Network, Scope as Reads, StateRequest, Tags, scopes};
use aws_model::eks::Caller;
use aws_protocol::AwsError;
use aws_protocol::query::Scope;
use aws_protocol::xml::XmlWriter;

use super::paging::page;
use super::{Input, bad_params, dry_run_succeeded, invalid, start, tag_set, timestamp};
use crate::registry::{Outcome, wire};
use crate::{AwsApi, Call};

/// The records `scope` names, after Auto Scaling has caught up with the node groups.
pub(super) async fn synced(api: &AwsApi, ec2: &Ec2, caller: &Caller, scope: &Reads) -> Result<Network, AwsError> {
    if let Some(autoscaling) = api.autoscaling() {
        autoscaling.reconcile(caller).await.map_err(|error| {
            AwsError::new("InternalError", error.to_string(), http::StatusCode::INTERNAL_SERVER_ERROR)
        })?;
    }
    ec2.view(caller, scope, Clone::clone).await.map_err(wire)
}

pub(super) async fn describe_instances(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let now = ec2.now();
    let ids = input.strings("InstanceId")?;
    let filters = input.filters()?;
    let max = input.params.int("MaxResults").map_err(bad_params)?;
    if max.is_some() && !ids.is_empty() {
        return Err(AwsError::bad_request(
            "InvalidParameterCombination",
            "The parameter instancesSet cannot be used with the parameter maxResults",
        ));
    }
    let scope = scopes::instances().all(Kind::SecurityGroup);
    let network = synced(api, ec2, caller, &scope).await?;
    let found: Vec<Instance> =
        network.describe_instances(&ids, &filters, now).map_err(wire)?.into_iter().cloned().collect();
    let (page, token) = page(found, |i| i.id.clone(), max, input.get("NextToken").as_deref(), (5, 1000))?;
    call.xml(move |xml| {
        xml.list("reservationSet", "item", &page, |xml, instance| reservation_xml(xml, &network, instance, now));
        xml.optional("nextToken", token.as_deref());
    })
}

/// The most instances one RunInstances call launches.
const MAX_RUN_COUNT: i64 = 100;

pub(super) async fn run_instances(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let now = ec2.now();
    let min = input.params.int("MinCount").map_err(bad_params)?;
    let max = input.params.int("MaxCount").map_err(bad_params)?;
    let (Some(min), Some(max)) = (min, max) else {
        let missing = if min.is_none() { "MinCount" } else { "MaxCount" };
        return Err(AwsError::bad_request(
            "MissingParameter",
            format!("The request must contain the parameter {missing}"),
        ));
    };
    if min < 1 || max < 1 {
        return Err(invalid(format!(
            "Value ({}) for parameter {} is invalid. Expected a value of at least 1.",
            min.min(max),
            if min < 1 { "minCount" } else { "maxCount" }
        )));
    }
    if min > max {
        return Err(invalid(format!(
            "Value ({min}) for parameter minCount is invalid. It must be less than or equal to maxCount ({max})."
        )));
    }
    if min > MAX_RUN_COUNT {
        return Err(AwsError::bad_request(
            "InstanceLimitExceeded",
            format!(
                "You have requested more instances ({min}) than your current instance limit of {MAX_RUN_COUNT} allows."
            ),
        ));
    }
    // The launch template's data, under the call's own parameters.
    let template_scope: Scope<'_> = input.params.child("LaunchTemplate");
    let template_id = template_scope.get("LaunchTemplateId");
    let template_name = template_scope.get("LaunchTemplateName");
    let (template_data, template_ref) = if template_id.is_some() || template_name.is_some() {
        let which = TemplateName::from_request(template_id, template_name).map_err(wire)?;
        let version = template_scope.get("Version").map(str::to_owned);
        let network = synced(api, ec2, caller, &scopes::launch_templates(Some(&which))).await?;
        let template = network.launch_template(&which).map_err(wire)?;
        let found = template.version(version.as_deref()).map_err(wire)?;
        let reference = aws_model::ec2::TemplateRef {
            id: template.id.clone(),
            name: template.name.clone(),
            version: found.number.to_string(),
        };
        (found.data.clone(), Some(reference))
    } else {
        (LaunchTemplateData::default(), None)
    };
    let image_id = input
        .get("ImageId")
        .or(template_data.image_id.clone())
        .ok_or_else(|| AwsError::bad_request("MissingParameter", "The request must contain the parameter ImageId"))?;
    let query = aws_model::ec2::images::ImageQuery { image_ids: vec![image_id.clone()], ..Default::default() };
    aws_model::ec2::images::describe_images(&caller.region, &api.eks().config().versions, &caller.account, &query)
        .map_err(wire)?;
    let kind = input
        .get("InstanceType")
        .or(template_data.instance_type.clone())
        .unwrap_or_else(|| aws_model::ec2::instance_types::DEFAULT_INSTANCE_TYPE.to_owned());
    if instance_type(&kind).is_none() {
        return Err(invalid(format!("Invalid value '{}' for InstanceType.", kind.escape_debug())));
    }
    let interfaces = input.params.ec2_list("NetworkInterface").map_err(bad_params)?;
    let mut subnet_id = input.get("SubnetId");
    let mut security_group_ids = input.strings("SecurityGroupId")?;
    if let Some(primary) = interfaces.first() {
        if subnet_id.is_some() {
            return Err(AwsError::bad_request(
                "InvalidParameterCombination",
                "Network interfaces and an instance-level subnet ID may not be specified on the same request",
            ));
        }
        if !security_group_ids.is_empty() {
            return Err(AwsError::bad_request(
                "InvalidParameterCombination",
                "Network interfaces and an instance-level security groups may not be specified on the same request",
            ));
        }
        subnet_id = primary.get("SubnetId").map(str::to_owned);
        security_group_ids =
            primary.ec2_string_list("SecurityGroupId").map_err(bad_params)?.into_iter().map(str::to_owned).collect();
    }
    if security_group_ids.is_empty() {
        security_group_ids = template_data.security_group_ids.clone();
    }
    let group_names = input.strings("SecurityGroup")?;
    let user_data = input.get("UserData").or(template_data.user_data.clone());
    if let Some(text) = user_data.as_deref() {
        check_user_data(text)?;
    }
    let instance_profile_arn = match instance_profile(api, &input, caller).await? {
        Some(arn) => Some(arn),
        None => aws_model::autoscaling::groups::template_instance_profile(&template_data, &caller.account),
    };
    let mut tags = Tags::new();
    for spec in input.params.ec2_list("TagSpecification").map_err(bad_params)? {
        let kind = spec.required("ResourceType").map_err(bad_params)?;
        if !matches!(kind, "instance" | "volume" | "network-interface") {
            return Err(invalid(format!("'{kind}' is not a valid taggable resource type for this operation.")));
        }
        let pairs = input.tag_pairs(spec.ec2_list("Tag").map_err(bad_params)?)?;
        if kind == "instance" {
            tags.extend(pairs.into_iter().map(|(key, value)| (key, value.unwrap_or_default())));
        }
    }
    for (kind, extra) in &template_data.tag_specifications {
        if kind == "instance" {
            for (key, value) in extra {
                tags.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    aws_model::ec2::check_tags(&tags).map_err(wire)?;
    if let Some(template) = &template_ref {
        tags.insert("aws:ec2launchtemplate:id".into(), template.id.clone());
        tags.insert("aws:ec2launchtemplate:version".into(), template.version.clone());
    }
    let client_token = input.get("ClientToken").filter(|token| !token.is_empty());
    if client_token.as_ref().is_some_and(|token| token.len() > 64) {
        return Err(invalid("Value for parameter clientToken is invalid. Maximum length is 64 characters."));
    }
    let mut request = RunInstances {
        image_id,
        instance_type: kind,
        min_count: min as usize,
        max_count: max.min(MAX_RUN_COUNT) as usize,
        subnet_id,
        availability_zone: input.params.child("Placement").get("AvailabilityZone").map(str::to_owned),
        security_group_ids,
        key_name: input.get("KeyName").or(template_data.key_name.clone()),
        user_data,
        instance_profile_arn,
        launch_template: template_ref,
        tags,
        client_token,
    };
    if !group_names.is_empty() {
        let network = synced(api, ec2, caller, &Reads::new().all(Kind::SecurityGroup)).await?;
        for name in &group_names {
            let group = network.security_groups.values().find(|group| group.name == *name).ok_or_else(|| {
                AwsError::bad_request("InvalidGroup.NotFound", format!("The security group '{name}' does not exist"))
            })?;
            request.security_group_ids.push(group.id.clone());
        }
    }
    if input.params.bool("DryRun").map_err(bad_params)? == Some(true) {
        return Err(dry_run_succeeded());
    }
    let mut reads = Reads::new().all(Kind::SecurityGroup).all(Kind::Vpc).all(Kind::Subnet);
    if request.client_token.is_some() {
        reads = reads.all(Kind::Instance);
    }
    // The subnet's addresses: the one named, else the default VPC's subnets'.
    let widen = |network: &Network| match request.subnet_id.as_deref() {
        Some(id) => Reads::new().addresses(id),
        None => {
            let default_vpc = network.vpcs.values().find(|vpc| vpc.is_default).map(|vpc| vpc.id.clone());
            network
                .subnets
                .values()
                .filter(|subnet| Some(&subnet.vpc_id) == default_vpc.as_ref())
                .fold(Reads::new(), |scope, subnet| scope.addresses(subnet.id.as_str()))
        }
    };
    synced(api, ec2, caller, &Reads::new()).await?;
    let launched = ec2
        .change_widening(caller, &reads, widen, |network, ids| network.run_instances(ids, &request, now))
        .await
        .map_err(wire)?;
    let reads = scopes::instance_ids(&launched).all(Kind::SecurityGroup);
    let network = ec2.view_widening(caller, &reads, scopes::instance_subnets, Clone::clone).await.map_err(wire)?;
    let instances: Vec<Instance> = launched.iter().filter_map(|id| network.instances.get(id).cloned()).collect();
    let reservation = instances.first().map(|i| i.reservation_id.clone()).unwrap_or_default();
    call.xml(move |xml| {
        xml.text("reservationId", &reservation).text("ownerId", &network.account).element("groupSet", |_| {});
        xml.list("instancesSet", "item", &instances, |xml, instance| instance_xml(xml, &network, instance, now));
    })
}

/// User data as RunInstances takes it: base64 of at most [`MAX_USER_DATA_BYTES`] bytes.
fn check_user_data(text: &str) -> Result<(), AwsError> {
    let too_long = || invalid(format!("User data is limited to {MAX_USER_DATA_BYTES} bytes"));
    if text.len() > MAX_USER_DATA_BYTES.div_ceil(3) * 4 + 4 {
        return Err(too_long());
    }
    let decoded =
        aws_model::ids::unbase64(text.trim()).ok_or_else(|| invalid("Invalid BASE64 encoding of user data."))?;
    if decoded.len() > MAX_USER_DATA_BYTES {
        return Err(too_long());
    }
    Ok(())
}

/// `IamInstanceProfile.Arn` or `.Name`, which must name an instance profile of the caller's account; its ARN.
async fn instance_profile(api: &AwsApi, input: &Input<'_>, caller: &Caller) -> Result<Option<String>, AwsError> {
    let profile = input.params.child("IamInstanceProfile");
    let (arn, name) = (profile.get("Arn"), profile.get("Name"));
    let (field, wanted) = match (arn, name) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(AwsError::bad_request(
                "InvalidParameterCombination",
                "The parameter 'iamInstanceProfile.name' may not be used in combination with 'iamInstanceProfile.arn'",
            ));
        }
        (Some(arn), None) => ("arn", arn),
        (None, Some(name)) => ("name", name),
    };
    let refused = || {
        let kind = if field == "arn" { "ARN" } else { "name" };
        invalid(format!(
            "Value ({}) for parameter iamInstanceProfile.{field} is invalid. Invalid IAM Instance Profile {kind}",
            wanted.escape_debug()
        ))
    };
    let profile_name = match field {
        "arn" => {
            let account = wanted.split(':').nth(4).unwrap_or_default();
            let rest = wanted.strip_prefix("arn:aws:iam::").and_then(|r| r.split_once(":instance-profile/"));
            match rest {
                Some((_, path_and_name)) if account == caller.account => {
                    path_and_name.rsplit('/').next().unwrap_or_default().to_owned()
                }
                _ => return Err(refused()),
            }
        }
        _ => wanted.to_owned(),
    };
    let view = api.iam().get_instance_profile(&caller.account, &profile_name).await.map_err(|_| refused())?;
    if field == "arn" && view.profile.arn != wanted {
        return Err(refused());
    }
    Ok(Some(view.profile.arn))
}

/// The attributes DescribeInstanceAttribute answers.
const INSTANCE_ATTRIBUTES: &[&str] = &[
    "instanceType",
    "kernel",
    "ramdisk",
    "userData",
    "disableApiTermination",
    "disableApiStop",
    "instanceInitiatedShutdownBehavior",
    "rootDeviceName",
    "blockDeviceMapping",
    "productCodes",
    "sourceDestCheck",
    "groupSet",
    "ebsOptimized",
    "sriovNetSupport",
    "enaSupport",
    "enclaveOptions",
];

pub(super) async fn describe_instance_attribute(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let id = input.required("InstanceId")?;
    let attribute = input.required("Attribute")?;
    if !INSTANCE_ATTRIBUTES.contains(&attribute.as_str()) {
        return Err(invalid(format!(
            "Value ({}) for parameter attribute is invalid. Unknown attribute.",
            attribute.escape_debug()
        )));
    }
    let ids = vec![id.clone()];
    let network = synced(api, ec2, caller, &scopes::instance_ids(&ids).all(Kind::SecurityGroup)).await?;
    network.check_instance_ids(&ids).map_err(wire)?;
    let instance = network.instances[&id].clone();
    call.xml(move |xml| {
        xml.text("instanceId", &instance.id);
        let value = |xml: &mut XmlWriter, name: &str, value: &str| {
            xml.element(name, |xml| {
                xml.text("value", value);
            });
        };
        match attribute.as_str() {
            "instanceType" => value(xml, "instanceType", &instance.instance_type),
            "userData" => match &instance.user_data {
                Some(data) => value(xml, "userData", data),
                None => {
                    xml.element("userData", |_| {});
                }
            },
            "disableApiTermination" | "disableApiStop" | "ebsOptimized" => value(xml, &attribute, "false"),
            "enaSupport" | "sourceDestCheck" => value(xml, &attribute, "true"),
            "instanceInitiatedShutdownBehavior" => value(xml, &attribute, "stop"),
            "rootDeviceName" => value(xml, &attribute, "/dev/xvda"),
            "groupSet" => {
                xml.list("groupSet", "item", &instance.security_groups, |xml, id| {
                    let name = network.security_groups.get(id).map(|g| g.name.clone()).unwrap_or_default();
                    xml.text("groupId", id).text("groupName", &name);
                });
            }
            "enclaveOptions" => {
                xml.element("enclaveOptions", |xml| {
                    xml.value("enabled", false);
                });
            }
            other => {
                xml.element(other, |_| {});
            }
        }
    })
}

pub(super) async fn change_instance_states(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let operation = call.operation.name;
    let now = ec2.now();
    let ids = input.strings("InstanceId")?;
    let request = match operation {
        "TerminateInstances" => StateRequest::Terminate,
        "StopInstances" => StateRequest::Stop,
        _ => StateRequest::Start,
    };
    if ids.is_empty() {
        return Err(AwsError::bad_request("MissingParameter", "The request must contain the parameter InstanceId"));
    }
    synced(api, ec2, caller, &Reads::new()).await?;
    let mut changes = Vec::new();
    // Checked whole first, as EC2 refuses the whole call for one unknown id; then changed a batch (one
    // store transaction: the instances and the interfaces and volumes that go with them) at a time.
    let costs: Vec<usize> = ec2
        .view(caller, &scopes::instance_ids(&ids), |network| {
            network.check_instance_ids(&ids)?;
            Ok::<_, aws_model::ec2::Ec2Error>(ids.iter().map(|id| network.termination_cost(id)).collect())
        })
        .await
        .map_err(wire)?
        .map_err(wire)?;
    let mut batches: Vec<Vec<String>> = Vec::new();
    let mut records = 0;
    for (id, cost) in ids.iter().zip(costs) {
        let full = batches
            .last()
            .is_none_or(|batch| batch.len() >= INSTANCES_PER_CHANGE || records + cost > RECORDS_PER_CHANGE);
        if full {
            batches.push(Vec::new());
            records = 0;
        }
        records += cost;
        batches.last_mut().expect("pushed above").push(id.clone());
    }
    for batch in batches {
        changes.extend(
            ec2.change_widening(caller, &scopes::instance_ids(&batch), scopes::instance_subnets, |network, _| {
                network.change_instance_states(&batch, request, now)
            })
            .await
            .map_err(wire)?,
        );
    }
    synced(api, ec2, caller, &Reads::new()).await?;
    call.xml(move |xml| {
        xml.list("instancesSet", "item", &changes, |xml, change: &StateChange| {
            let (id, previous, current) = change;
            xml.text("instanceId", id);
            state_xml(xml, "currentState", *current);
            state_xml(xml, "previousState", *previous);
        });
    })
}

pub(super) async fn describe_instance_types(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (_, input, _) = start(api, call)?;
    let names = input.strings("InstanceType")?;
    let filters = input.filters()?;
    let unknown: Vec<&str> = names.iter().filter(|name| instance_type(name).is_none()).map(String::as_str).collect();
    if !unknown.is_empty() {
        return Err(AwsError::bad_request(
            "InvalidInstanceType",
            format!("The following supplied instance types do not exist: [{}]", unknown.join(", ")),
        ));
    }
    aws_model::ec2::check_filters(
        &filters,
        &[
            "instance-type",
            "current-generation",
            "vcpu-info.default-vcpus",
            "memory-info.size-in-mib",
            "processor-info.supported-architecture",
            "processor-info.manufacturer",
            "burstable-performance-supported",
            "hypervisor",
            "network-info.network-performance",
            "gpu-info.gpus.name",
            "gpu-info.gpus.manufacturer",
            "gpu-info.gpus.count",
        ],
    )
    .map_err(wire)?;
    let types: Vec<&'static InstanceType> = INSTANCE_TYPES
        .iter()
        .filter(|kind| names.is_empty() || names.iter().any(|name| name == kind.name))
        .filter(|kind| {
            aws_model::ec2::passes(&filters, None, |name| match name {
                "instance-type" => vec![kind.name.to_owned()],
                "current-generation" => vec!["true".to_owned()],
                "vcpu-info.default-vcpus" => vec![kind.vcpus.to_string()],
                "memory-info.size-in-mib" => vec![kind.memory_mib.to_string()],
                "processor-info.supported-architecture" => vec![kind.architecture.to_owned()],
                "burstable-performance-supported" => vec![kind.burstable.to_string()],
                "processor-info.manufacturer" => vec![kind.cpu_manufacturer.to_owned()],
                "hypervisor" => vec![kind.hypervisor.to_owned()],
                "network-info.network-performance" => vec![kind.network_performance.to_owned()],
                "gpu-info.gpus.name" => kind.gpu.iter().map(|gpu| gpu.name.to_owned()).collect(),
                "gpu-info.gpus.manufacturer" => kind.gpu.iter().map(|gpu| gpu.manufacturer.to_owned()).collect(),
                "gpu-info.gpus.count" => kind.gpu.iter().map(|gpu| gpu.count.to_string()).collect(),
                _ => Vec::new(),
            })
        })
        .collect();
    let max = input.params.int("MaxResults").map_err(bad_params)?;
    let (page, token) = page(types, |k| k.name.to_owned(), max, input.get("NextToken").as_deref(), (5, 100))?;
    call.xml(move |xml| {
        xml.list("instanceTypeSet", "item", page, instance_type_xml);
        xml.optional("nextToken", token.as_deref());
    })
}

fn state_xml(xml: &mut XmlWriter, name: &str, state: InstanceState) {
    xml.element(name, |xml| {
        xml.value("code", state.code()).text("name", state.name());
    });
}

fn reservation_xml(xml: &mut XmlWriter, network: &Network, instance: &Instance, now: f64) {
    xml.text("reservationId", &instance.reservation_id).text("ownerId", &network.account);
    if instance.auto_scaling_group.is_some() {
        xml.text("requesterId", "940372691376");
    }
    xml.element("groupSet", |_| {});
    xml.list("instancesSet", "item", [instance], |xml, instance| instance_xml(xml, network, instance, now));
}

fn instance_xml(xml: &mut XmlWriter, network: &Network, instance: &Instance, now: f64) {
    let state = instance.state_at(now);
    let terminated = state == InstanceState::Terminated;
    let groups: Vec<(&str, String)> = instance
        .security_groups
        .iter()
        .map(|id| {
            let name = network.security_groups.get(id).map(|group| group.name.clone()).unwrap_or_default();
            (id.as_str(), name)
        })
        .collect();
    let kind = instance_type(&instance.instance_type);
    xml.text("instanceId", &instance.id).text("imageId", &instance.image_id);
    state_xml(xml, "instanceState", state);
    xml.text("privateDnsName", if terminated { "" } else { &instance.private_dns_name })
        .text("dnsName", "")
        .text("reason", &instance.transition_reason);
    xml.optional("keyName", instance.key_name.as_deref());
    xml.value("amiLaunchIndex", 0)
        .element("productCodes", |_| {})
        .text("instanceType", &instance.instance_type)
        .timestamp("launchTime", timestamp(instance.launched_at))
        .element("placement", |xml| {
            xml.text("availabilityZone", &instance.availability_zone).text("groupName", "").text("tenancy", "default");
        })
        .element("monitoring", |xml| {
            xml.text("state", "disabled");
        });
    if !terminated {
        xml.text("subnetId", &instance.subnet_id)
            .text("vpcId", &instance.vpc_id)
            .text("privateIpAddress", &instance.private_ip.to_string());
    }
    xml.value("sourceDestCheck", true);
    xml.list("groupSet", "item", &groups, |xml, (id, name)| {
        xml.text("groupId", id).text("groupName", name);
    });
    match state {
        InstanceState::Terminated | InstanceState::ShuttingDown => {
            xml.element("stateReason", |xml| {
                xml.text("code", "Client.UserInitiatedShutdown")
                    .text("message", "Client.UserInitiatedShutdown: User initiated shutdown");
            });
        }
        InstanceState::Stopped | InstanceState::Stopping => {
            xml.element("stateReason", |xml| {
                xml.text("code", "Client.UserInitiatedShutdown")
                    .text("message", "Client.UserInitiatedShutdown: User initiated shutdown");
            });
        }
        _ => {}
    }
    xml.text("architecture", kind.map_or("x86_64", |k| k.architecture))
        .text("rootDeviceType", "ebs")
        .text("rootDeviceName", "/dev/xvda")
        .element("blockDeviceMapping", |_| {})
        .text("virtualizationType", "hvm")
        .text("clientToken", instance.client_token.as_deref().unwrap_or_default());
    tag_set(xml, network.tags.get(&instance.id));
    xml.text("hypervisor", "xen");
    if !terminated {
        let interfaces = network.instance_interfaces(instance);
        xml.list("networkInterfaceSet", "item", interfaces, |xml, eni| {
            super::interfaces::instance_interface_xml(xml, network, eni);
        });
    }
    if let Some(arn) = &instance.instance_profile_arn {
        xml.element("iamInstanceProfile", |xml| {
            let id: String = arn.bytes().filter(u8::is_ascii_alphanumeric).rev().take(17).map(char::from).collect();
            xml.text("arn", arn).text("id", &format!("AIPA{}", id.to_ascii_uppercase()));
        });
    }
    xml.value("ebsOptimized", false).value("enaSupport", true);
    if instance.is_spot() {
        xml.text("instanceLifecycle", "spot");
    }
    xml.element("privateDnsNameOptions", |xml| {
        xml.text("hostnameType", "ip-name")
            .value("enableResourceNameDnsARecord", false)
            .value("enableResourceNameDnsAAAARecord", false);
    });
}

fn instance_type_xml(xml: &mut XmlWriter, kind: &InstanceType) {
    xml.text("instanceType", kind.name)
        .value("currentGeneration", true)
        .value("freeTierEligible", kind.name == "t3.micro")
        .text_list("supportedUsageClasses", "item", ["on-demand", "spot"])
        .text_list("supportedRootDeviceTypes", "item", ["ebs"])
        .text_list("supportedVirtualizationTypes", "item", ["hvm"])
        .value("bareMetal", false)
        .text("hypervisor", kind.hypervisor)
        .element("processorInfo", |xml| {
            xml.text_list("supportedArchitectures", "item", [kind.architecture])
                .text("manufacturer", kind.cpu_manufacturer);
        })
        .element("vCpuInfo", |xml| {
            xml.value("defaultVCpus", kind.vcpus)
                .value("defaultCores", kind.cores())
                .value("defaultThreadsPerCore", kind.threads_per_core());
        })
        .element("memoryInfo", |xml| {
            xml.value("sizeInMiB", kind.memory_mib);
        })
        .value("instanceStorageSupported", false)
        .element("networkInfo", |xml| {
            xml.text("networkPerformance", kind.network_performance)
                .value("maximumNetworkInterfaces", kind.max_enis)
                .value("maximumNetworkCards", 1)
                .value("defaultNetworkCardIndex", 0)
                .list("networkCards", "item", [kind], |xml, kind| {
                    xml.value("networkCardIndex", 0)
                        .text("networkPerformance", kind.network_performance)
                        .value("maximumNetworkInterfaces", kind.max_enis);
                    if kind.bandwidth_mbps > 0 {
                        xml.value("baselineBandwidthInGbps", kind.bandwidth_mbps as f64 / 1000.0);
                    }
                })
                .value("ipv4AddressesPerInterface", kind.ipv4_per_eni)
                .value("ipv6AddressesPerInterface", kind.ipv4_per_eni)
                .value("ipv6Supported", true)
                .text("enaSupport", "required")
                .value("efaSupported", false);
        });
    if let Some(gpu) = kind.gpu {
        xml.element("gpuInfo", |xml| {
            xml.list("gpus", "item", [gpu], |xml, gpu| {
                xml.text("name", gpu.name).text("manufacturer", gpu.manufacturer).value("count", gpu.count).element(
                    "memoryInfo",
                    |xml| {
                        xml.value("sizeInMiB", gpu.memory_mib);
                    },
                );
            })
            .value("totalGpuMemoryInMiB", u64::from(gpu.count) * gpu.memory_mib);
        });
    }
    xml.value("hibernationSupported", false)
        .value("burstablePerformanceSupported", kind.burstable)
        .value("dedicatedHostsSupported", false)
        .value("autoRecoverySupported", true)
        .text_list("supportedBootModes", "item", ["legacy-bios", "uefi"]);
}

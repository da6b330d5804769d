//! EC2 instances and instance types over the `ec2` protocol: DescribeInstances, TerminateInstances,
//! StopInstances, StartInstances, DescribeInstanceTypes (launch templates are in `templates.rs`).
//! Instances are those Auto Scaling launches for managed node groups; every call first reconciles the groups
//! with their node groups (`AutoScaling::sync`), so what it reads is current.

use aws_model::autoscaling::{INSTANCES_PER_CHANGE, RECORDS_PER_CHANGE};
use aws_model::ec2::instance_types::{INSTANCE_TYPES, InstanceType, instance_type};
use aws_model::ec2::instances::StateChange;
use aws_model::ec2::{Ec2, Instance, InstanceState, Kind, Network, Scope as Reads, StateRequest, scopes};
use aws_model::eks::Caller;
use aws_protocol::AwsError;
use aws_protocol::xml::XmlWriter;

use super::{bad_params, invalid, start, tag_set, timestamp};
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
            "burstable-performance-supported",
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

/// EC2's pages: `MaxResults` within `bounds`; the token is the base64 of the last key of the previous page.
pub(super) fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    max: Option<i64>,
    token: Option<&str>,
    bounds: (i64, i64),
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let limit = match max {
        None => usize::MAX,
        Some(n) if (bounds.0..=bounds.1).contains(&n) => n as usize,
        Some(n) => {
            return Err(invalid(format!(
                "Value ( {n} ) for parameter maxResults is invalid. Parameter must be between {} and {}.",
                bounds.0, bounds.1
            )));
        }
    };
    let after = match token {
        None => None,
        Some(text) => Some(
            aws_model::ids::unbase64(text)
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| invalid(format!("Invalid value '{text}' for nextToken")))?,
        ),
    };
    let mut rest: Vec<T> = items.into_iter().filter(|item| after.as_ref().is_none_or(|a| key(item) > *a)).collect();
    let more = rest.len() > limit;
    rest.truncate(limit);
    let next = if more { rest.last().map(|last| aws_model::ids::base64(key(last).as_bytes())) } else { None };
    Ok((rest, next))
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
        .text("clientToken", "");
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
    if instance.nodegroup.as_ref().is_some_and(|member| member.capacity_type == "SPOT") {
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
        .text("hypervisor", "nitro")
        .element("processorInfo", |xml| {
            xml.text_list("supportedArchitectures", "item", [kind.architecture]);
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
            xml.text("networkPerformance", "Up to 10 Gigabit")
                .value("maximumNetworkInterfaces", kind.max_enis)
                .value("maximumNetworkCards", 1)
                .value("defaultNetworkCardIndex", 0)
                .value("ipv4AddressesPerInterface", kind.ipv4_per_eni)
                .value("ipv6AddressesPerInterface", kind.ipv4_per_eni)
                .value("ipv6Supported", true)
                .text("enaSupport", "required")
                .value("efaSupported", false);
        });
    if kind.gpus > 0 {
        xml.element("gpuInfo", |xml| {
            xml.list("gpus", "item", [kind], |xml, kind| {
                xml.text("name", "T4").text("manufacturer", "NVIDIA").value("count", kind.gpus);
            });
        });
    }
    xml.value("hibernationSupported", false)
        .value("burstablePerformanceSupported", kind.burstable)
        .value("dedicatedHostsSupported", false)
        .value("autoRecoverySupported", true)
        .text_list("supportedBootModes", "item", ["legacy-bios", "uefi"]);
}

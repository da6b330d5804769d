//! Elastic Load Balancing v2 over the `query` protocol (`Version=2015-12-01`, signing name `elasticloadbalancing`,
//! which ELB Classic shares: the registry tells them apart by version): load balancers, their attributes,
//! security groups, subnets and address type; target groups, their attributes, targets and health; listeners with their
//! certificates and attributes; rules and their priorities; tags; the SSL policies and account limits.

use aws_model::elbv2::listeners::SSL_POLICIES;
use aws_model::elbv2::{
    Action, Condition, CreateListener, CreateLoadBalancer, CreateRule, CreateTargetGroup, Elbv2, Elbv2Error,
    HealthCheckInput, Listener, LoadBalancer, ModifyListener, Redirect, Rule, TargetGroup, TargetInput,
    WeightedTargetGroup, page,
};
use aws_protocol::AwsError;
use aws_protocol::query::Scope;
use aws_protocol::xml::XmlWriter;
use http::StatusCode;
use time::OffsetDateTime;

use crate::registry::{Outcome, Service, Wire, WireError, operation, wire};
use crate::{AwsApi, Call};

/// ELBv2 on the wire.
pub(crate) const SERVICE: Service = Service {
    signing_name: "elasticloadbalancing",
    model: "elbv2",
    title: "Elastic Load Balancing v2",
    wire: Wire::Query { version: "2015-12-01", namespace: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/" },
    operations: &[
        operation!("CreateLoadBalancer", create_load_balancer),
        operation!("DescribeLoadBalancers", describe_load_balancers),
        operation!("DeleteLoadBalancer", delete_load_balancer),
        operation!("DescribeLoadBalancerAttributes", describe_load_balancer_attributes),
        operation!("ModifyLoadBalancerAttributes", modify_load_balancer_attributes),
        operation!("SetSecurityGroups", set_security_groups),
        operation!("SetIpAddressType", set_ip_address_type),
        operation!("SetSubnets", set_subnets),
        operation!("DescribeCapacityReservation", describe_capacity_reservation),
        operation!("CreateTargetGroup", create_target_group),
        operation!("DescribeTargetGroups", describe_target_groups),
        operation!("ModifyTargetGroup", modify_target_group),
        operation!("DeleteTargetGroup", delete_target_group),
        operation!("DescribeTargetGroupAttributes", describe_target_group_attributes),
        operation!("ModifyTargetGroupAttributes", modify_target_group_attributes),
        operation!("RegisterTargets", register_targets),
        operation!("DeregisterTargets", deregister_targets),
        operation!("DescribeTargetHealth", describe_target_health),
        operation!("CreateListener", create_listener),
        operation!("DescribeListeners", describe_listeners),
        operation!("ModifyListener", modify_listener),
        operation!("DeleteListener", delete_listener),
        operation!("DescribeListenerAttributes", describe_listener_attributes),
        operation!("ModifyListenerAttributes", modify_listener_attributes),
        operation!("DescribeListenerCertificates", describe_listener_certificates),
        operation!("AddListenerCertificates", add_listener_certificates),
        operation!("RemoveListenerCertificates", remove_listener_certificates),
        operation!("CreateRule", create_rule),
        operation!("DescribeRules", describe_rules),
        operation!("ModifyRule", modify_rule),
        operation!("DeleteRule", delete_rule),
        operation!("SetRulePriorities", set_rule_priorities),
        operation!("AddTags", add_tags),
        operation!("RemoveTags", remove_tags),
        operation!("DescribeTags", describe_tags),
        operation!("DescribeSSLPolicies", describe_ssl_policies),
        operation!("DescribeAccountLimits", describe_account_limits),
    ],
};

impl WireError for Elbv2Error {
    fn code_and_status(&self) -> (&'static str, StatusCode) {
        let code = match self {
            Elbv2Error::Validation(_) => "ValidationError",
            Elbv2Error::LoadBalancerNotFound(_) => "LoadBalancerNotFound",
            Elbv2Error::TargetGroupNotFound(_) => "TargetGroupNotFound",
            Elbv2Error::ListenerNotFound(_) => "ListenerNotFound",
            Elbv2Error::RuleNotFound(_) => "RuleNotFound",
            Elbv2Error::DuplicateLoadBalancerName(_) => "DuplicateLoadBalancerName",
            Elbv2Error::DuplicateTargetGroupName(_) => "DuplicateTargetGroupName",
            Elbv2Error::DuplicateListener(_) => "DuplicateListener",
            Elbv2Error::DuplicateTagKeys(_) => "DuplicateTagKeys",
            Elbv2Error::TooManyTags(_) => "TooManyTags",
            Elbv2Error::TooManyTargets(_) => "TooManyTargets",
            Elbv2Error::PriorityInUse(_) => "PriorityInUse",
            Elbv2Error::InvalidTarget(_) => "InvalidTarget",
            Elbv2Error::OperationNotPermitted(_) => "OperationNotPermitted",
            Elbv2Error::ResourceInUse(_) => "ResourceInUse",
            Elbv2Error::InvalidConfiguration(_) => "InvalidConfigurationRequest",
            Elbv2Error::SubnetNotFound(_) => "SubnetNotFound",
            Elbv2Error::InvalidSecurityGroup(_) => "InvalidSecurityGroup",
            Elbv2Error::UnsupportedProtocol(_) => "UnsupportedProtocol",
            Elbv2Error::IncompatibleProtocols(_) => "IncompatibleProtocols",
            Elbv2Error::SslPolicyNotFound(_) => "SSLPolicyNotFound",
            Elbv2Error::TargetGroupAssociationLimit(_) => "TargetGroupAssociationLimit",
            Elbv2Error::Internal(_) => return ("InternalFailure", StatusCode::INTERNAL_SERVER_ERROR),
        };
        (code, StatusCode::BAD_REQUEST)
    }
}

/// The ELBv2 model, or the error of an endpoint that does not serve it.
fn served(api: &AwsApi) -> Result<&Elbv2, AwsError> {
    api.elbv2().ok_or_else(|| AwsError::bad_request("InvalidAction", "ELBv2 is not served by this endpoint"))
}

fn bad_params(error: aws_protocol::QueryError) -> AwsError {
    let message = match error.to_aws_error(aws_protocol::Protocol::Query) {
        error if error.code == "ValidationError" => return error,
        error => error.message,
    };
    AwsError::bad_request("ValidationError", message)
}

/// A member that must be present, as ELBv2 words its absence.
fn required<'a>(params: &Scope<'a>, name: &str) -> Result<&'a str, AwsError> {
    params.get(name).ok_or_else(|| {
        let mut chars = name.chars();
        let field = chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default();
        AwsError::bad_request(
            "ValidationError",
            format!("1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"),
        )
    })
}

fn strings(params: &Scope<'_>, name: &str) -> Result<Vec<String>, AwsError> {
    Ok(params.string_list(name).map_err(bad_params)?.into_iter().map(str::to_owned).collect())
}

fn optional(params: &Scope<'_>, name: &str) -> Option<String> {
    params.get(name).map(str::to_owned)
}

fn tags(params: &Scope<'_>) -> Result<Vec<(String, String)>, AwsError> {
    params
        .list("Tags")
        .map_err(bad_params)?
        .into_iter()
        .map(|tag| Ok((required(&tag, "Key")?.to_owned(), tag.get("Value").unwrap_or_default().to_owned())))
        .collect()
}

fn attributes(params: &Scope<'_>) -> Result<Vec<(String, String)>, AwsError> {
    let attributes: Vec<(String, String)> = params
        .list("Attributes")
        .map_err(bad_params)?
        .into_iter()
        .map(|attribute| {
            Ok((required(&attribute, "Key")?.to_owned(), attribute.get("Value").unwrap_or_default().to_owned()))
        })
        .collect::<Result<_, AwsError>>()?;
    if attributes.is_empty() {
        required(params, "Attributes")?;
    }
    Ok(attributes)
}

fn attributes_xml(xml: &mut XmlWriter, attributes: &[(String, String)]) {
    xml.list("Attributes", "member", attributes, |xml, (key, value)| {
        xml.text("Key", key).text("Value", value);
    });
}

fn timestamp(seconds: f64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn load_balancer_xml(xml: &mut XmlWriter, lb: &LoadBalancer, region: &str, now: f64) {
    xml.text("LoadBalancerArn", &lb.arn)
        .text("DNSName", &lb.dns_name)
        .text("CanonicalHostedZoneId", lb.canonical_hosted_zone_id(region))
        .timestamp("CreatedTime", timestamp(lb.created_at))
        .text("LoadBalancerName", &lb.name)
        .text("Scheme", &lb.scheme)
        .text("VpcId", &lb.vpc_id)
        .element("State", |xml| {
            xml.text("Code", lb.state(now));
        })
        .text("Type", lb.kind.as_str())
        .list("AvailabilityZones", "member", &lb.zones, |xml, zone| {
            xml.text("ZoneName", &zone.zone_name).text("SubnetId", &zone.subnet_id);
            if let Some(address) = &zone.private_ip {
                xml.list("LoadBalancerAddresses", "member", [address], |xml, address| {
                    xml.text("PrivateIPv4Address", address);
                });
            }
        });
    if !lb.security_groups.is_empty() {
        xml.text_list("SecurityGroups", "member", lb.security_groups.iter().map(String::as_str));
    }
    xml.text("IpAddressType", &lb.ip_address_type);
}

/// The subnets of `Subnets` and `SubnetMappings`, with the private address a mapping chooses.
fn subnets(params: &Scope<'_>) -> Result<Vec<(String, Option<String>)>, AwsError> {
    let mut subnets: Vec<(String, Option<String>)> =
        strings(params, "Subnets")?.into_iter().map(|subnet| (subnet, None)).collect();
    for mapping in params.list("SubnetMappings").map_err(bad_params)? {
        subnets.push((required(&mapping, "SubnetId")?.to_owned(), optional(&mapping, "PrivateIPv4Address")));
    }
    Ok(subnets)
}

async fn set_subnets(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arn = required(&params, "LoadBalancerArn")?;
    let mut lb = elb.set_subnets(&call.caller, arn, &subnets(&params)?).await.map_err(wire)?;
    if let Some(value) = params.get("IpAddressType") {
        lb.ip_address_type = elb.set_ip_address_type(&call.caller, arn, value).await.map_err(wire)?;
    }
    call.xml(|xml| {
        xml.list("AvailabilityZones", "member", &lb.zones, |xml, zone| {
            xml.text("ZoneName", &zone.zone_name).text("SubnetId", &zone.subnet_id);
        });
        xml.text("IpAddressType", &lb.ip_address_type);
    })
}

async fn create_load_balancer(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let subnets = subnets(&params)?;
    let input = CreateLoadBalancer {
        name: required(&params, "Name")?.to_owned(),
        kind: optional(&params, "Type"),
        scheme: optional(&params, "Scheme"),
        subnets,
        security_groups: strings(&params, "SecurityGroups")?,
        ip_address_type: optional(&params, "IpAddressType"),
        tags: tags(&params)?,
    };
    let lb = elb.create_load_balancer(&call.caller, input).await.map_err(wire)?;
    let now = elb.now();
    call.xml(|xml| {
        xml.list("LoadBalancers", "member", [&lb], |xml, lb| load_balancer_xml(xml, lb, &call.caller.region, now));
    })
}

async fn describe_load_balancers(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arns = strings(&params, "LoadBalancerArns")?;
    let names = strings(&params, "Names")?;
    let found = elb.describe_load_balancers(&call.caller, &arns, &names).await.map_err(wire)?;
    let page_size = params.int("PageSize").map_err(bad_params)?;
    let (found, next) = page(found, |lb| lb.arn.clone(), params.get("Marker"), page_size).map_err(wire)?;
    let now = elb.now();
    call.xml(|xml| {
        xml.list("LoadBalancers", "member", &found, |xml, lb| load_balancer_xml(xml, lb, &call.caller.region, now));
        xml.optional("NextMarker", next.as_deref());
    })
}

async fn delete_load_balancer(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let arn = required(&call.params.root(), "LoadBalancerArn")?;
    elb.delete_load_balancer(&call.caller, arn).await.map_err(wire)?;
    call.xml(|_| {})
}

async fn describe_load_balancer_attributes(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let arn = required(&call.params.root(), "LoadBalancerArn")?;
    let lb = elb.load_balancer(&call.caller, arn).await.map_err(wire)?;
    call.xml(|xml| attributes_xml(xml, &lb.attributes()))
}

async fn modify_load_balancer_attributes(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arn = required(&params, "LoadBalancerArn")?;
    let attributes = attributes(&params)?;
    let all = elb.modify_load_balancer_attributes(&call.caller, arn, &attributes).await.map_err(wire)?;
    call.xml(|xml| attributes_xml(xml, &all))
}

async fn set_security_groups(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arn = required(&params, "LoadBalancerArn")?;
    let groups = strings(&params, "SecurityGroups")?;
    let groups = elb.set_security_groups(&call.caller, arn, &groups).await.map_err(wire)?;
    call.xml(|xml| {
        xml.text_list("SecurityGroupIds", "member", groups.iter().map(String::as_str));
    })
}

async fn set_ip_address_type(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arn = required(&params, "LoadBalancerArn")?;
    let value = required(&params, "IpAddressType")?;
    let value = elb.set_ip_address_type(&call.caller, arn, value).await.map_err(wire)?;
    call.xml(|xml| {
        xml.text("IpAddressType", &value);
    })
}

/// DescribeCapacityReservation: no load balancer reserves capacity here, so the state is empty.
async fn describe_capacity_reservation(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let arn = required(&call.params.root(), "LoadBalancerArn")?;
    elb.load_balancer(&call.caller, arn).await.map_err(wire)?;
    call.xml(|xml| {
        xml.element("CapacityReservationState", |_| {});
    })
}

fn target_group_xml(xml: &mut XmlWriter, group: &TargetGroup, users: &[String]) {
    let check = &group.health_check;
    xml.text("TargetGroupArn", &group.arn).text("TargetGroupName", &group.name);
    xml.optional("Protocol", group.protocol.as_deref());
    if let Some(port) = group.port {
        xml.value("Port", port);
    }
    xml.optional("VpcId", group.vpc_id.as_deref());
    xml.optional("HealthCheckProtocol", check.protocol.as_deref())
        .optional("HealthCheckPort", check.port.as_deref())
        .value("HealthCheckEnabled", check.enabled)
        .value("HealthCheckIntervalSeconds", check.interval_seconds)
        .value("HealthCheckTimeoutSeconds", check.timeout_seconds)
        .value("HealthyThresholdCount", check.healthy_threshold)
        .value("UnhealthyThresholdCount", check.unhealthy_threshold)
        .optional("HealthCheckPath", check.path.as_deref());
    if check.http_code.is_some() || check.grpc_code.is_some() {
        xml.element("Matcher", |xml| {
            xml.optional("HttpCode", check.http_code.as_deref()).optional("GrpcCode", check.grpc_code.as_deref());
        });
    }
    xml.text_list("LoadBalancerArns", "member", users.iter().map(String::as_str))
        .text("TargetType", &group.target_type)
        .optional("ProtocolVersion", group.protocol_version.as_deref())
        .optional("IpAddressType", group.ip_address_type.as_deref());
}

fn health_check_input(params: &Scope<'_>) -> Result<HealthCheckInput, AwsError> {
    let matcher = params.child("Matcher");
    Ok(HealthCheckInput {
        enabled: params.bool("HealthCheckEnabled").map_err(bad_params)?,
        protocol: optional(params, "HealthCheckProtocol"),
        port: optional(params, "HealthCheckPort"),
        path: optional(params, "HealthCheckPath"),
        interval_seconds: params.int("HealthCheckIntervalSeconds").map_err(bad_params)?,
        timeout_seconds: params.int("HealthCheckTimeoutSeconds").map_err(bad_params)?,
        healthy_threshold: params.int("HealthyThresholdCount").map_err(bad_params)?,
        unhealthy_threshold: params.int("UnhealthyThresholdCount").map_err(bad_params)?,
        http_code: optional(&matcher, "HttpCode"),
        grpc_code: optional(&matcher, "GrpcCode"),
    })
}

async fn create_target_group(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let input = CreateTargetGroup {
        name: required(&params, "Name")?.to_owned(),
        protocol: optional(&params, "Protocol"),
        protocol_version: optional(&params, "ProtocolVersion"),
        port: params.int("Port").map_err(bad_params)?,
        vpc_id: optional(&params, "VpcId"),
        target_type: optional(&params, "TargetType"),
        ip_address_type: optional(&params, "IpAddressType"),
        health_check: health_check_input(&params)?,
        tags: tags(&params)?,
    };
    let group = elb.create_target_group(&call.caller, input).await.map_err(wire)?;
    let users = elb.target_group_users(&call.caller).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("TargetGroups", "member", [&group], |xml, group| {
            target_group_xml(xml, group, users.get(&group.arn).map_or(&[], Vec::as_slice));
        });
    })
}

async fn describe_target_groups(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let caller = &call.caller;
    let arns = strings(&params, "TargetGroupArns")?;
    let names = strings(&params, "Names")?;
    let lb_arn = params.get("LoadBalancerArn");
    let users = elb.target_group_users(caller).await.map_err(wire)?;
    let mut found = Vec::new();
    if let Some(lb_arn) = lb_arn {
        elb.load_balancer(caller, lb_arn).await.map_err(wire)?;
    }
    if !arns.is_empty() {
        for arn in &arns {
            found.push(elb.target_group(caller, arn).await.map_err(wire)?);
        }
    } else {
        let all = elb.target_groups(caller).await.map_err(wire)?;
        for name in &names {
            if !all.iter().any(|group| group.name == *name) {
                return Err(wire(Elbv2Error::TargetGroupNotFound(format!(
                    "One or more target groups not found: '{name}'"
                ))));
            }
        }
        found = all.into_iter().filter(|group| names.is_empty() || names.contains(&group.name)).collect();
    }
    if let Some(lb_arn) = lb_arn {
        found.retain(|group| users.get(&group.arn).is_some_and(|lbs| lbs.iter().any(|lb| lb == lb_arn)));
    }
    let page_size = params.int("PageSize").map_err(bad_params)?;
    let (found, next) = page(found, |group| group.arn.clone(), params.get("Marker"), page_size).map_err(wire)?;
    call.xml(|xml| {
        xml.list("TargetGroups", "member", &found, |xml, group| {
            target_group_xml(xml, group, users.get(&group.arn).map_or(&[], Vec::as_slice));
        });
        xml.optional("NextMarker", next.as_deref());
    })
}

async fn modify_target_group(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arn = required(&params, "TargetGroupArn")?;
    let group = elb.modify_target_group(&call.caller, arn, &health_check_input(&params)?).await.map_err(wire)?;
    let users = elb.target_group_users(&call.caller).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("TargetGroups", "member", [&group], |xml, group| {
            target_group_xml(xml, group, users.get(&group.arn).map_or(&[], Vec::as_slice));
        });
    })
}

async fn delete_target_group(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let arn = required(&call.params.root(), "TargetGroupArn")?;
    elb.delete_target_group(&call.caller, arn).await.map_err(wire)?;
    call.xml(|_| {})
}

async fn describe_target_group_attributes(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let arn = required(&call.params.root(), "TargetGroupArn")?;
    let group = elb.target_group(&call.caller, arn).await.map_err(wire)?;
    call.xml(|xml| attributes_xml(xml, &group.attributes()))
}

async fn modify_target_group_attributes(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arn = required(&params, "TargetGroupArn")?;
    let attributes = attributes(&params)?;
    let all = elb.modify_target_group_attributes(&call.caller, arn, &attributes).await.map_err(wire)?;
    call.xml(|xml| attributes_xml(xml, &all))
}

fn targets(params: &Scope<'_>) -> Result<Vec<TargetInput>, AwsError> {
    params
        .list("Targets")
        .map_err(bad_params)?
        .into_iter()
        .map(|target| {
            Ok(TargetInput {
                id: required(&target, "Id")?.to_owned(),
                port: target.int("Port").map_err(bad_params)?,
                availability_zone: optional(&target, "AvailabilityZone"),
            })
        })
        .collect()
}

async fn register_targets(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arn = required(&params, "TargetGroupArn")?;
    elb.register_targets(&call.caller, arn, &targets(&params)?).await.map_err(wire)?;
    call.xml(|_| {})
}

async fn deregister_targets(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arn = required(&params, "TargetGroupArn")?;
    elb.deregister_targets(&call.caller, arn, &targets(&params)?).await.map_err(wire)?;
    call.xml(|_| {})
}

async fn describe_target_health(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arn = required(&params, "TargetGroupArn")?;
    let group = elb.target_group(&call.caller, arn).await.map_err(wire)?;
    let health = elb.describe_target_health(&call.caller, arn, &targets(&params)?).await.map_err(wire)?;
    let check_port = group.health_check.port.clone().unwrap_or_default();
    call.xml(|xml| {
        xml.list("TargetHealthDescriptions", "member", &health, |xml, (target, health)| {
            xml.element("Target", |xml| {
                xml.text("Id", &target.id);
                if let Some(port) = target.port {
                    xml.value("Port", port);
                }
                xml.optional("AvailabilityZone", target.availability_zone.as_deref());
            });
            let port = match (check_port.as_str(), target.port) {
                ("traffic-port", Some(port)) => Some(port.to_string()),
                ("traffic-port" | "", None) => None,
                (port, _) => Some(port.to_owned()),
            };
            xml.optional("HealthCheckPort", port.as_deref());
            xml.element("TargetHealth", |xml| {
                xml.text("State", &health.state)
                    .optional("Reason", health.reason.as_deref())
                    .optional("Description", health.description.as_deref());
            });
        });
    })
}

/// The actions of a request (`DefaultActions` or `Actions`).
fn actions(params: &Scope<'_>, name: &str) -> Result<Vec<Action>, AwsError> {
    params
        .list(name)
        .map_err(bad_params)?
        .into_iter()
        .map(|action| {
            let forward = action.child("ForwardConfig");
            let groups = forward
                .list("TargetGroups")
                .map_err(bad_params)?
                .into_iter()
                .map(|group| {
                    Ok(WeightedTargetGroup {
                        arn: required(&group, "TargetGroupArn")?.to_owned(),
                        weight: group.int("Weight").map_err(bad_params)?,
                    })
                })
                .collect::<Result<Vec<_>, AwsError>>()?;
            let stickiness_scope = forward.child("TargetGroupStickinessConfig");
            let stickiness = match stickiness_scope.bool("Enabled").map_err(bad_params)? {
                Some(enabled) => Some((enabled, stickiness_scope.int("DurationSeconds").map_err(bad_params)?)),
                None => None,
            };
            let redirect = action.child("RedirectConfig");
            let redirect = if action.has("RedirectConfig") {
                Some(Redirect {
                    protocol: optional(&redirect, "Protocol"),
                    port: optional(&redirect, "Port"),
                    host: optional(&redirect, "Host"),
                    path: optional(&redirect, "Path"),
                    query: optional(&redirect, "Query"),
                    status_code: required(&redirect, "StatusCode")?.to_owned(),
                })
            } else {
                None
            };
            let fixed = action.child("FixedResponseConfig");
            let fixed_response = if action.has("FixedResponseConfig") {
                Some((
                    required(&fixed, "StatusCode")?.to_owned(),
                    optional(&fixed, "ContentType"),
                    optional(&fixed, "MessageBody"),
                ))
            } else {
                None
            };
            let mut authenticate = Vec::new();
            for config in ["AuthenticateOidcConfig", "AuthenticateCognitoConfig"] {
                let scope = action.child(config);
                for member in AUTHENTICATE_MEMBERS {
                    if let Some(value) = scope.get(member) {
                        authenticate.push((format!("{config}.{member}"), value.to_owned()));
                    }
                }
            }
            Ok(Action {
                kind: required(&action, "Type")?.to_owned(),
                order: action.int("Order").map_err(bad_params)?,
                target_group_arn: optional(&action, "TargetGroupArn"),
                forward: groups,
                stickiness,
                redirect,
                fixed_response,
                authenticate,
            })
        })
        .collect()
}

/// The scalar members of the authenticate actions' configurations that are kept and described again.
const AUTHENTICATE_MEMBERS: &[&str] = &[
    "Issuer",
    "AuthorizationEndpoint",
    "TokenEndpoint",
    "UserInfoEndpoint",
    "ClientId",
    "UserPoolArn",
    "UserPoolClientId",
    "UserPoolDomain",
    "SessionCookieName",
    "Scope",
    "SessionTimeout",
    "OnUnauthenticatedRequest",
    "UseExistingClientSecret",
];

fn action_xml(xml: &mut XmlWriter, action: &Action) {
    xml.text("Type", &action.kind);
    let groups: Vec<(String, i64)> = if action.forward.is_empty() {
        action.target_group_arn.iter().map(|arn| (arn.clone(), 1)).collect()
    } else {
        action.forward.iter().map(|group| (group.arn.clone(), group.weight.unwrap_or(1))).collect()
    };
    let single = action.target_group_arn.clone().or_else(|| match groups.as_slice() {
        [(arn, _)] => Some(arn.clone()),
        _ => None,
    });
    xml.optional("TargetGroupArn", single.as_deref());
    if let Some(order) = action.order {
        xml.value("Order", order);
    }
    if let Some(redirect) = &action.redirect {
        xml.element("RedirectConfig", |xml| {
            xml.text("Protocol", redirect.protocol.as_deref().unwrap_or("#{protocol}"))
                .text("Port", redirect.port.as_deref().unwrap_or("#{port}"))
                .text("Host", redirect.host.as_deref().unwrap_or("#{host}"))
                .text("Path", redirect.path.as_deref().unwrap_or("/#{path}"))
                .text("Query", redirect.query.as_deref().unwrap_or("#{query}"))
                .text("StatusCode", &redirect.status_code);
        });
    }
    if let Some((status, content_type, body)) = &action.fixed_response {
        xml.element("FixedResponseConfig", |xml| {
            xml.optional("MessageBody", body.as_deref())
                .text("StatusCode", status)
                .optional("ContentType", content_type.as_deref());
        });
    }
    for config in ["AuthenticateOidcConfig", "AuthenticateCognitoConfig"] {
        let members: Vec<&(String, String)> =
            action.authenticate.iter().filter(|(key, _)| key.starts_with(&format!("{config}."))).collect();
        if !members.is_empty() {
            xml.element(config, |xml| {
                for (key, value) in members {
                    xml.text(key.rsplit('.').next().unwrap_or_default(), value);
                }
            });
        }
    }
    if action.kind == "forward" {
        xml.element("ForwardConfig", |xml| {
            xml.list("TargetGroups", "member", &groups, |xml, (arn, weight)| {
                xml.text("TargetGroupArn", arn).value("Weight", weight);
            });
            let (enabled, duration) = action.stickiness.unwrap_or((false, None));
            xml.element("TargetGroupStickinessConfig", |xml| {
                xml.value("Enabled", enabled);
                if let Some(duration) = duration {
                    xml.value("DurationSeconds", duration);
                }
            });
        });
    }
}

fn listener_xml(xml: &mut XmlWriter, listener: &Listener) {
    xml.text("ListenerArn", &listener.arn).text("LoadBalancerArn", &listener.load_balancer_arn);
    if let Some(port) = listener.port {
        xml.value("Port", port);
    }
    xml.optional("Protocol", listener.protocol.as_deref());
    let defaults: Vec<_> = listener.certificates.iter().filter(|c| c.is_default).collect();
    if !defaults.is_empty() {
        xml.list("Certificates", "member", defaults, |xml, certificate| {
            xml.text("CertificateArn", &certificate.arn);
        });
    }
    xml.optional("SslPolicy", listener.ssl_policy.as_deref());
    xml.list("DefaultActions", "member", &listener.default_actions, action_xml);
    if !listener.alpn_policy.is_empty() {
        xml.text_list("AlpnPolicy", "member", listener.alpn_policy.iter().map(String::as_str));
    }
}

fn certificates(params: &Scope<'_>) -> Result<Vec<String>, AwsError> {
    params
        .list("Certificates")
        .map_err(bad_params)?
        .into_iter()
        .map(|certificate| Ok(required(&certificate, "CertificateArn")?.to_owned()))
        .collect()
}

async fn create_listener(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let input = CreateListener {
        load_balancer_arn: required(&params, "LoadBalancerArn")?.to_owned(),
        protocol: optional(&params, "Protocol"),
        port: params.int("Port").map_err(bad_params)?,
        certificates: certificates(&params)?,
        ssl_policy: optional(&params, "SslPolicy"),
        alpn_policy: strings(&params, "AlpnPolicy")?,
        default_actions: actions(&params, "DefaultActions")?,
        tags: tags(&params)?,
    };
    let listener = elb.create_listener(&call.caller, input).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("Listeners", "member", [&listener], listener_xml);
    })
}

async fn describe_listeners(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arns = strings(&params, "ListenerArns")?;
    let found = elb.describe_listeners(&call.caller, params.get("LoadBalancerArn"), &arns).await.map_err(wire)?;
    let page_size = params.int("PageSize").map_err(bad_params)?;
    let (found, next) = page(found, |l| l.arn.clone(), params.get("Marker"), page_size).map_err(wire)?;
    call.xml(|xml| {
        xml.list("Listeners", "member", &found, listener_xml);
        xml.optional("NextMarker", next.as_deref());
    })
}

async fn modify_listener(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arn = required(&params, "ListenerArn")?;
    let input = ModifyListener {
        protocol: optional(&params, "Protocol"),
        port: params.int("Port").map_err(bad_params)?,
        certificates: if params.has("Certificates") { Some(certificates(&params)?) } else { None },
        ssl_policy: optional(&params, "SslPolicy"),
        alpn_policy: if params.has("AlpnPolicy") { Some(strings(&params, "AlpnPolicy")?) } else { None },
        default_actions: if params.has("DefaultActions") { Some(actions(&params, "DefaultActions")?) } else { None },
    };
    let listener = elb.modify_listener(&call.caller, arn, input).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("Listeners", "member", [&listener], listener_xml);
    })
}

async fn delete_listener(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let arn = required(&call.params.root(), "ListenerArn")?;
    elb.delete_listener(&call.caller, arn).await.map_err(wire)?;
    call.xml(|_| {})
}

async fn describe_listener_attributes(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let arn = required(&call.params.root(), "ListenerArn")?;
    let listener = elb.listener(&call.caller, arn).await.map_err(wire)?;
    call.xml(|xml| attributes_xml(xml, &listener.attributes()))
}

async fn modify_listener_attributes(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arn = required(&params, "ListenerArn")?;
    let attributes = attributes(&params)?;
    let all = elb.modify_listener_attributes(&call.caller, arn, &attributes).await.map_err(wire)?;
    call.xml(|xml| attributes_xml(xml, &all))
}

async fn describe_listener_certificates(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let arn = required(&call.params.root(), "ListenerArn")?;
    let listener = elb.listener(&call.caller, arn).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("Certificates", "member", &listener.certificates, |xml, certificate| {
            xml.text("CertificateArn", &certificate.arn).value("IsDefault", certificate.is_default);
        });
    })
}

async fn add_listener_certificates(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arn = required(&params, "ListenerArn")?;
    let added = elb.add_listener_certificates(&call.caller, arn, &certificates(&params)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("Certificates", "member", &added, |xml, certificate| {
            xml.text("CertificateArn", &certificate.arn).value("IsDefault", certificate.is_default);
        });
    })
}

async fn remove_listener_certificates(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arn = required(&params, "ListenerArn")?;
    elb.remove_listener_certificates(&call.caller, arn, &certificates(&params)?).await.map_err(wire)?;
    call.xml(|_| {})
}

fn conditions(params: &Scope<'_>) -> Result<Vec<Condition>, AwsError> {
    params
        .list("Conditions")
        .map_err(bad_params)?
        .into_iter()
        .map(|condition| {
            let field = required(&condition, "Field")?.to_owned();
            let mut values = strings(&condition, "Values")?;
            let config = match field.as_str() {
                "path-pattern" => "PathPatternConfig",
                "host-header" => "HostHeaderConfig",
                "http-header" => "HttpHeaderConfig",
                "http-request-method" => "HttpRequestMethodConfig",
                "source-ip" => "SourceIpConfig",
                _ => "QueryStringConfig",
            };
            let config = condition.child(config);
            let query_pairs = if field == "query-string" {
                config
                    .list("Values")
                    .map_err(bad_params)?
                    .into_iter()
                    .map(|pair| Ok((optional(&pair, "Key"), required(&pair, "Value")?.to_owned())))
                    .collect::<Result<Vec<_>, AwsError>>()?
            } else {
                values.extend(strings(&config, "Values")?);
                Vec::new()
            };
            Ok(Condition { field, values, http_header_name: optional(&config, "HttpHeaderName"), query_pairs })
        })
        .collect()
}

fn condition_xml(xml: &mut XmlWriter, condition: &Condition) {
    xml.text("Field", &condition.field);
    let values = || condition.values.iter().map(String::as_str);
    let config = |xml: &mut XmlWriter, name: &str| {
        xml.element(name, |xml| {
            xml.text_list("Values", "member", values());
        });
    };
    match condition.field.as_str() {
        "path-pattern" => {
            xml.text_list("Values", "member", values());
            config(xml, "PathPatternConfig");
        }
        "host-header" => {
            xml.text_list("Values", "member", values());
            config(xml, "HostHeaderConfig");
        }
        "http-request-method" => config(xml, "HttpRequestMethodConfig"),
        "source-ip" => config(xml, "SourceIpConfig"),
        "http-header" => {
            xml.element("HttpHeaderConfig", |xml| {
                xml.optional("HttpHeaderName", condition.http_header_name.as_deref());
                xml.text_list("Values", "member", values());
            });
        }
        _ => {
            xml.element("QueryStringConfig", |xml| {
                xml.list("Values", "member", &condition.query_pairs, |xml, (key, value)| {
                    xml.optional("Key", key.as_deref()).text("Value", value);
                });
            });
        }
    }
}

fn rule_xml(xml: &mut XmlWriter, rule: &Rule) {
    xml.text("RuleArn", &rule.arn)
        .text("Priority", &rule.priority)
        .list("Conditions", "member", &rule.conditions, condition_xml)
        .list("Actions", "member", &rule.actions, action_xml)
        .value("IsDefault", rule.is_default);
}

async fn create_rule(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let listener_arn = required(&params, "ListenerArn")?.to_owned();
    required(&params, "Priority")?;
    let input = CreateRule {
        listener_arn,
        priority: params.int("Priority").map_err(bad_params)?.unwrap_or_default(),
        conditions: conditions(&params)?,
        actions: actions(&params, "Actions")?,
        tags: tags(&params)?,
    };
    let rule = elb.create_rule(&call.caller, input).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("Rules", "member", [&rule], rule_xml);
    })
}

async fn describe_rules(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arns = strings(&params, "RuleArns")?;
    let found = elb.describe_rules(&call.caller, params.get("ListenerArn"), &arns).await.map_err(wire)?;
    let page_size = params.int("PageSize").map_err(bad_params)?;
    let (found, next) = page(found, |rule| rule.arn.clone(), params.get("Marker"), page_size).map_err(wire)?;
    call.xml(|xml| {
        xml.list("Rules", "member", &found, rule_xml);
        xml.optional("NextMarker", next.as_deref());
    })
}

async fn modify_rule(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arn = required(&params, "RuleArn")?;
    let conditions = if params.has("Conditions") { Some(conditions(&params)?) } else { None };
    let actions = if params.has("Actions") { Some(actions(&params, "Actions")?) } else { None };
    let rule = elb.modify_rule(&call.caller, arn, conditions, actions).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("Rules", "member", [&rule], rule_xml);
    })
}

async fn delete_rule(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let arn = required(&call.params.root(), "RuleArn")?;
    elb.delete_rule(&call.caller, arn).await.map_err(wire)?;
    call.xml(|_| {})
}

async fn set_rule_priorities(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let priorities = params
        .list("RulePriorities")
        .map_err(bad_params)?
        .into_iter()
        .map(|item| {
            let arn = required(&item, "RuleArn")?.to_owned();
            required(&item, "Priority")?;
            Ok((arn, item.int("Priority").map_err(bad_params)?.unwrap_or_default()))
        })
        .collect::<Result<Vec<_>, AwsError>>()?;
    if priorities.is_empty() {
        required(&params, "RulePriorities")?;
    }
    let rules = elb.set_rule_priorities(&call.caller, &priorities).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("Rules", "member", &rules, rule_xml);
    })
}

async fn add_tags(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arns = strings(&params, "ResourceArns")?;
    if arns.is_empty() {
        required(&params, "ResourceArns")?;
    }
    let tags = tags(&params)?;
    if tags.is_empty() {
        required(&params, "Tags")?;
    }
    elb.add_tags(&call.caller, &arns, &tags).await.map_err(wire)?;
    call.xml(|_| {})
}

async fn remove_tags(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arns = strings(&params, "ResourceArns")?;
    if arns.is_empty() {
        required(&params, "ResourceArns")?;
    }
    let keys = strings(&params, "TagKeys")?;
    elb.remove_tags(&call.caller, &arns, &keys).await.map_err(wire)?;
    call.xml(|_| {})
}

async fn describe_tags(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let arns = strings(&params, "ResourceArns")?;
    if arns.is_empty() {
        required(&params, "ResourceArns")?;
    }
    if arns.len() > 20 {
        return Err(wire(Elbv2Error::Validation("At most 20 resource ARNs can be specified".into())));
    }
    let mut found = Vec::new();
    for arn in &arns {
        found.push((arn.clone(), elb.tags(&call.caller, arn).await.map_err(wire)?));
    }
    call.xml(|xml| {
        xml.list("TagDescriptions", "member", &found, |xml, (arn, tags)| {
            xml.text("ResourceArn", arn).list("Tags", "member", tags, |xml, (key, value)| {
                xml.text("Key", key).text("Value", value);
            });
        });
    })
}

async fn describe_ssl_policies(_api: &AwsApi, call: &Call<'_>) -> Outcome {
    let params = call.params.root();
    let names = strings(&params, "Names")?;
    for name in &names {
        if !SSL_POLICIES.iter().any(|(known, _)| known == name) {
            return Err(wire(Elbv2Error::SslPolicyNotFound(format!("SSL policy '{name}' not found"))));
        }
    }
    let policies: Vec<_> =
        SSL_POLICIES.iter().filter(|(name, _)| names.is_empty() || names.iter().any(|n| n == name)).collect();
    call.xml(|xml| {
        xml.list("SslPolicies", "member", policies, |xml, (name, protocols)| {
            xml.text_list("SslProtocols", "member", protocols.iter().copied())
                .list("Ciphers", "member", CIPHERS.iter().enumerate(), |xml, (n, cipher)| {
                    xml.text("Name", cipher).value("Priority", n + 1);
                })
                .text("Name", name)
                .text_list("SupportedLoadBalancerTypes", "member", ["application", "network"]);
        });
    })
}

/// The ciphers DescribeSSLPolicies lists for every policy (those all current predefined policies share).
const CIPHERS: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
];

async fn describe_account_limits(_api: &AwsApi, call: &Call<'_>) -> Outcome {
    let limits: &[(&str, &str)] = &[
        ("application-load-balancers", "50"),
        ("listeners-per-application-load-balancer", "50"),
        ("listeners-per-network-load-balancer", "50"),
        ("network-load-balancers", "50"),
        ("rules-per-application-load-balancer", "100"),
        ("target-groups", "3000"),
        ("targets-per-application-load-balancer", "1000"),
        ("targets-per-network-load-balancer", "500"),
    ];
    call.xml(|xml| {
        xml.list("Limits", "member", limits, |xml, (name, max)| {
            xml.text("Name", name).text("Max", max);
        });
    })
}

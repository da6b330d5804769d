//! Elastic Load Balancing (Classic) over the `query` protocol (`Version=2012-06-01`). It shares its signing name,
//! `elasticloadbalancing`, with ELBv2 (`elbv2.rs`); the registry tells them apart by version, so that a Classic
//! call is never read as an ELBv2 one. Load balancers, their listeners, registered instances and their health,
//! health check, attributes and tags, and where they sit: security groups, subnets and zones.

use aws_model::elb::{
    ClassicAttributes, ClassicHealthCheck, ClassicListener, ClassicLoadBalancer, CreateClassicLoadBalancer, Elb,
    ElbError,
};
use aws_model::elbv2::{Elbv2Error, page};
use aws_protocol::AwsError;
use aws_protocol::query::Scope;
use aws_protocol::xml::XmlWriter;
use http::StatusCode;
use time::OffsetDateTime;

use crate::registry::{Outcome, Service, Wire, WireError, operation, wire};
use crate::{AwsApi, Call};

/// ELB Classic on the wire.
pub(crate) const SERVICE: Service = Service {
    signing_name: "elasticloadbalancing",
    model: "elb",
    title: "Elastic Load Balancing (Classic)",
    wire: Wire::Query { version: "2012-06-01", namespace: "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/" },
    operations: &[
        operation!("CreateLoadBalancer", create_load_balancer),
        operation!("DescribeLoadBalancers", describe_load_balancers),
        operation!("DeleteLoadBalancer", delete_load_balancer),
        operation!("CreateLoadBalancerListeners", create_listeners),
        operation!("DeleteLoadBalancerListeners", delete_listeners),
        operation!("RegisterInstancesWithLoadBalancer", register_instances),
        operation!("DeregisterInstancesFromLoadBalancer", deregister_instances),
        operation!("DescribeInstanceHealth", describe_instance_health),
        operation!("ConfigureHealthCheck", configure_health_check),
        operation!("DescribeLoadBalancerAttributes", describe_attributes),
        operation!("ModifyLoadBalancerAttributes", modify_attributes),
        operation!("AddTags", add_tags),
        operation!("RemoveTags", remove_tags),
        operation!("DescribeTags", describe_tags),
        operation!("ApplySecurityGroupsToLoadBalancer", apply_security_groups),
        operation!("AttachLoadBalancerToSubnets", attach_subnets),
        operation!("DetachLoadBalancerFromSubnets", detach_subnets),
        operation!("EnableAvailabilityZonesForLoadBalancer", enable_zones),
        operation!("DisableAvailabilityZonesForLoadBalancer", disable_zones),
    ],
};

impl WireError for ElbError {
    fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            ElbError::InvalidInstance(_) => ("InvalidInstance", StatusCode::BAD_REQUEST),
            ElbError::Shared(Elbv2Error::InvalidConfiguration(_)) => {
                ("InvalidConfigurationRequest", StatusCode::CONFLICT)
            }
            ElbError::Shared(shared) => shared.code_and_status(),
        }
    }
}

fn served(api: &AwsApi) -> Result<&Elb, AwsError> {
    api.elb().ok_or_else(|| AwsError::bad_request("InvalidAction", "ELB Classic is not served by this endpoint"))
}

fn bad_params(error: aws_protocol::QueryError) -> AwsError {
    let error = error.to_aws_error(aws_protocol::Protocol::Query);
    AwsError::bad_request("ValidationError", error.message)
}

fn required<'a>(params: &Scope<'a>, name: &str) -> Result<&'a str, AwsError> {
    params.get(name).ok_or_else(|| {
        AwsError::bad_request("ValidationError", format!("The parameter {name} is required but was not present"))
    })
}

fn required_int<T: TryFrom<i64>>(params: &Scope<'_>, name: &str) -> Result<T, AwsError> {
    required(params, name)?;
    let value = params.int(name).map_err(bad_params)?.unwrap_or_default();
    T::try_from(value)
        .map_err(|_| AwsError::bad_request("ValidationError", format!("{name} '{value}' is out of range")))
}

fn strings(params: &Scope<'_>, name: &str) -> Result<Vec<String>, AwsError> {
    Ok(params.string_list(name).map_err(bad_params)?.into_iter().map(str::to_owned).collect())
}

fn names(params: &Scope<'_>) -> Result<Vec<String>, AwsError> {
    let names = strings(params, "LoadBalancerNames")?;
    if names.is_empty() {
        required(params, "LoadBalancerNames")?;
    }
    Ok(names)
}

fn listeners(params: &Scope<'_>) -> Result<Vec<ClassicListener>, AwsError> {
    params
        .list("Listeners")
        .map_err(bad_params)?
        .into_iter()
        .map(|listener| {
            let protocol = required(&listener, "Protocol")?.to_uppercase();
            Ok(ClassicListener {
                instance_protocol: listener.get("InstanceProtocol").map_or(protocol.clone(), str::to_uppercase),
                protocol,
                load_balancer_port: required_int(&listener, "LoadBalancerPort")?,
                instance_port: required_int(&listener, "InstancePort")?,
                ssl_certificate_id: listener.get("SSLCertificateId").map(str::to_owned),
            })
        })
        .collect()
}

fn instance_ids(params: &Scope<'_>) -> Result<Vec<String>, AwsError> {
    params
        .list("Instances")
        .map_err(bad_params)?
        .into_iter()
        .map(|instance| Ok(required(&instance, "InstanceId")?.to_owned()))
        .collect()
}

fn timestamp(seconds: f64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn health_check_xml(xml: &mut XmlWriter, check: &ClassicHealthCheck) {
    xml.element("HealthCheck", |xml| {
        xml.text("Target", &check.target)
            .value("Interval", check.interval)
            .value("Timeout", check.timeout)
            .value("UnhealthyThreshold", check.unhealthy_threshold)
            .value("HealthyThreshold", check.healthy_threshold);
    });
}

fn load_balancer_xml(xml: &mut XmlWriter, lb: &ClassicLoadBalancer, region: &str) {
    xml.text("LoadBalancerName", &lb.name)
        .text("DNSName", &lb.dns_name)
        .text("CanonicalHostedZoneName", &lb.dns_name)
        .text("CanonicalHostedZoneNameID", lb.canonical_hosted_zone_id(region))
        .list("ListenerDescriptions", "member", &lb.listeners, |xml, listener| {
            xml.element("Listener", |xml| {
                xml.text("Protocol", &listener.protocol)
                    .value("LoadBalancerPort", listener.load_balancer_port)
                    .text("InstanceProtocol", &listener.instance_protocol)
                    .value("InstancePort", listener.instance_port)
                    .optional("SSLCertificateId", listener.ssl_certificate_id.as_deref());
            })
            .element("PolicyNames", |_| {});
        })
        .element("Policies", |xml| {
            xml.element("AppCookieStickinessPolicies", |_| {})
                .element("LBCookieStickinessPolicies", |_| {})
                .element("OtherPolicies", |_| {});
        })
        .element("BackendServerDescriptions", |_| {})
        .text_list("AvailabilityZones", "member", lb.zones())
        .text_list("Subnets", "member", lb.subnets.iter().map(|(subnet, _, _)| subnet.as_str()))
        .text("VPCId", &lb.vpc_id)
        .list("Instances", "member", &lb.instances, |xml, id| {
            xml.text("InstanceId", id);
        });
    health_check_xml(xml, &lb.health_check);
    xml.text_list("SecurityGroups", "member", lb.security_groups.iter().map(String::as_str))
        .timestamp("CreatedTime", timestamp(lb.created_at))
        .text("Scheme", &lb.scheme);
}

async fn create_load_balancer(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let tags = params
        .list("Tags")
        .map_err(bad_params)?
        .into_iter()
        .map(|tag| Ok((required(&tag, "Key")?.to_owned(), tag.get("Value").unwrap_or_default().to_owned())))
        .collect::<Result<Vec<_>, AwsError>>()?;
    let input = CreateClassicLoadBalancer {
        name: required(&params, "LoadBalancerName")?.to_owned(),
        listeners: listeners(&params)?,
        availability_zones: strings(&params, "AvailabilityZones")?,
        subnets: strings(&params, "Subnets")?,
        security_groups: strings(&params, "SecurityGroups")?,
        scheme: params.get("Scheme").map(str::to_owned),
        tags,
    };
    let lb = elb.create_load_balancer(&call.caller, input).await.map_err(wire)?;
    call.xml(|xml| {
        xml.text("DNSName", &lb.dns_name);
    })
}

async fn describe_load_balancers(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let found =
        elb.describe_load_balancers(&call.caller, &strings(&params, "LoadBalancerNames")?).await.map_err(wire)?;
    let page_size = params.int("PageSize").map_err(bad_params)?;
    let (found, next) = page(found, |lb| lb.name.clone(), params.get("Marker"), page_size).map_err(wire)?;
    call.xml(|xml| {
        xml.list("LoadBalancerDescriptions", "member", &found, |xml, lb| {
            load_balancer_xml(xml, lb, &call.caller.region);
        });
        xml.optional("NextMarker", next.as_deref());
    })
}

async fn delete_load_balancer(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let name = required(&call.params.root(), "LoadBalancerName")?;
    elb.delete_load_balancer(&call.caller, name).await.map_err(wire)?;
    call.xml(|_| {})
}

async fn create_listeners(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let name = required(&params, "LoadBalancerName")?;
    elb.create_listeners(&call.caller, name, &listeners(&params)?).await.map_err(wire)?;
    call.xml(|_| {})
}

async fn delete_listeners(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let name = required(&params, "LoadBalancerName")?;
    let ports = strings(&params, "LoadBalancerPorts")?
        .into_iter()
        .map(|port| {
            port.parse::<u16>().map_err(|_| {
                AwsError::bad_request("ValidationError", format!("LoadBalancerPort '{port}' is not valid"))
            })
        })
        .collect::<Result<Vec<_>, AwsError>>()?;
    elb.delete_listeners(&call.caller, name, &ports).await.map_err(wire)?;
    call.xml(|_| {})
}

async fn register_instances(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let name = required(&params, "LoadBalancerName")?;
    let all = elb.register_instances(&call.caller, name, &instance_ids(&params)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("Instances", "member", &all, |xml, id| {
            xml.text("InstanceId", id);
        });
    })
}

async fn deregister_instances(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let name = required(&params, "LoadBalancerName")?;
    let left = elb.deregister_instances(&call.caller, name, &instance_ids(&params)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("Instances", "member", &left, |xml, id| {
            xml.text("InstanceId", id);
        });
    })
}

async fn describe_instance_health(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let name = required(&params, "LoadBalancerName")?;
    let health = elb.instance_health(&call.caller, name, &instance_ids(&params)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("InstanceStates", "member", &health, |xml, (id, state, reason, description)| {
            xml.text("InstanceId", id).text("State", state).text("ReasonCode", reason).text("Description", description);
        });
    })
}

async fn configure_health_check(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let name = required(&params, "LoadBalancerName")?;
    let check = params.child("HealthCheck");
    let check = ClassicHealthCheck {
        target: required(&check, "Target")?.to_owned(),
        interval: required_int(&check, "Interval")?,
        timeout: required_int(&check, "Timeout")?,
        unhealthy_threshold: required_int(&check, "UnhealthyThreshold")?,
        healthy_threshold: required_int(&check, "HealthyThreshold")?,
    };
    let check = elb.configure_health_check(&call.caller, name, check).await.map_err(wire)?;
    call.xml(|xml| health_check_xml(xml, &check))
}

fn attributes_xml(xml: &mut XmlWriter, attributes: &ClassicAttributes) {
    xml.element("LoadBalancerAttributes", |xml| {
        xml.element("CrossZoneLoadBalancing", |xml| {
            xml.value("Enabled", attributes.cross_zone);
        })
        .element("AccessLog", |xml| {
            xml.value("Enabled", attributes.access_log_enabled)
                .optional("S3BucketName", attributes.access_log_bucket.as_deref())
                .value("EmitInterval", attributes.access_log_interval)
                .optional("S3BucketPrefix", attributes.access_log_prefix.as_deref());
        })
        .element("ConnectionDraining", |xml| {
            xml.value("Enabled", attributes.draining_enabled).value("Timeout", attributes.draining_timeout);
        })
        .element("ConnectionSettings", |xml| {
            xml.value("IdleTimeout", attributes.idle_timeout);
        })
        .element("AdditionalAttributes", |_| {});
    });
}

async fn describe_attributes(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let name = required(&call.params.root(), "LoadBalancerName")?;
    let lb = elb.load_balancer(&call.caller, name).await.map_err(wire)?;
    call.xml(|xml| attributes_xml(xml, &lb.attributes))
}

/// A number of `scope`'s member `name`, if given, that fits a `u32`.
fn optional_u32(scope: &Scope<'_>, name: &str) -> Result<Option<u32>, AwsError> {
    match scope.int(name).map_err(bad_params)? {
        None => Ok(None),
        Some(value) => u32::try_from(value)
            .map(Some)
            .map_err(|_| AwsError::bad_request("ValidationError", format!("{name} '{value}' is out of range"))),
    }
}

async fn modify_attributes(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let name = required(&params, "LoadBalancerName")?;
    if !params.has("LoadBalancerAttributes") {
        required(&params, "LoadBalancerAttributes")?;
    }
    let current = elb.load_balancer(&call.caller, name).await.map_err(wire)?.attributes;
    let given = params.child("LoadBalancerAttributes");
    let (cross, log, draining, settings) = (
        given.child("CrossZoneLoadBalancing"),
        given.child("AccessLog"),
        given.child("ConnectionDraining"),
        given.child("ConnectionSettings"),
    );
    let attributes = ClassicAttributes {
        cross_zone: cross.bool("Enabled").map_err(bad_params)?.unwrap_or(current.cross_zone),
        access_log_enabled: log.bool("Enabled").map_err(bad_params)?.unwrap_or(current.access_log_enabled),
        access_log_bucket: log.get("S3BucketName").map(str::to_owned).or(current.access_log_bucket),
        access_log_prefix: log.get("S3BucketPrefix").map(str::to_owned).or(current.access_log_prefix),
        access_log_interval: optional_u32(&log, "EmitInterval")?.unwrap_or(current.access_log_interval),
        draining_enabled: draining.bool("Enabled").map_err(bad_params)?.unwrap_or(current.draining_enabled),
        draining_timeout: optional_u32(&draining, "Timeout")?.unwrap_or(current.draining_timeout),
        idle_timeout: optional_u32(&settings, "IdleTimeout")?.unwrap_or(current.idle_timeout),
    };
    let attributes = elb.modify_attributes(&call.caller, name, attributes).await.map_err(wire)?;
    call.xml(|xml| {
        xml.text("LoadBalancerName", name);
        attributes_xml(xml, &attributes);
    })
}

async fn add_tags(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let names = names(&params)?;
    let tags = params
        .list("Tags")
        .map_err(bad_params)?
        .into_iter()
        .map(|tag| Ok((required(&tag, "Key")?.to_owned(), tag.get("Value").unwrap_or_default().to_owned())))
        .collect::<Result<Vec<_>, AwsError>>()?;
    if tags.is_empty() {
        required(&params, "Tags")?;
    }
    elb.add_tags(&call.caller, &names, &tags).await.map_err(wire)?;
    call.xml(|_| {})
}

async fn remove_tags(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let names = names(&params)?;
    let keys = params
        .list("Tags")
        .map_err(bad_params)?
        .into_iter()
        .map(|tag| Ok(required(&tag, "Key")?.to_owned()))
        .collect::<Result<Vec<_>, AwsError>>()?;
    elb.remove_tags(&call.caller, &names, &keys).await.map_err(wire)?;
    call.xml(|_| {})
}

async fn describe_tags(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let elb = served(api)?;
    let params = call.params.root();
    let mut found = Vec::new();
    for name in names(&params)? {
        let lb = elb.load_balancer(&call.caller, &name).await.map_err(wire)?;
        found.push(lb);
    }
    call.xml(|xml| {
        xml.list("TagDescriptions", "member", &found, |xml, lb| {
            xml.text("LoadBalancerName", &lb.name).list("Tags", "member", &lb.tags, |xml, (key, value)| {
                xml.text("Key", key).text("Value", value);
            });
        });
    })
}

/// The load balancer a placement change names and the ids it lists under `member` (required, at least one).
fn placement_request<'a>(call: &'a Call<'a>, member: &str) -> Result<(&'a str, Vec<String>), AwsError> {
    let params = call.params.root();
    let name = required(&params, "LoadBalancerName")?;
    let ids = strings(&params, member)?;
    if ids.is_empty() {
        required(&params, member)?;
    }
    Ok((name, ids))
}

/// The answer of a placement change: the ids it leaves, under `member`.
fn placement_answer(call: &Call<'_>, member: &str, ids: &[String]) -> Outcome {
    call.xml(|xml| {
        xml.text_list(member, "member", ids.iter().map(String::as_str));
    })
}

async fn apply_security_groups(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (name, groups) = placement_request(call, "SecurityGroups")?;
    let groups = served(api)?.apply_security_groups(&call.caller, name, &groups).await.map_err(wire)?;
    placement_answer(call, "SecurityGroups", &groups)
}

async fn attach_subnets(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (name, subnets) = placement_request(call, "Subnets")?;
    let subnets = served(api)?.attach_subnets(&call.caller, name, &subnets).await.map_err(wire)?;
    placement_answer(call, "Subnets", &subnets)
}

async fn detach_subnets(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (name, subnets) = placement_request(call, "Subnets")?;
    let subnets = served(api)?.detach_subnets(&call.caller, name, &subnets).await.map_err(wire)?;
    placement_answer(call, "Subnets", &subnets)
}

async fn enable_zones(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (name, zones) = placement_request(call, "AvailabilityZones")?;
    let zones = served(api)?.enable_zones(&call.caller, name, &zones).await.map_err(wire)?;
    placement_answer(call, "AvailabilityZones", &zones)
}

async fn disable_zones(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (name, zones) = placement_request(call, "AvailabilityZones")?;
    let zones = served(api)?.disable_zones(&call.caller, name, &zones).await.map_err(wire)?;
    placement_answer(call, "AvailabilityZones", &zones)
}

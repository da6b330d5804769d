//! The AWS services a VPC endpoint can reach, and the prefix lists of the gateway ones: what
//! DescribeVpcEndpointServices and DescribePrefixLists answer, computed per region, never stored.
//!
//! The catalogue holds the services a private EKS cluster needs (`com.amazonaws.<region>.<service>`): EC2 and its
//! messages, ECR's API and registry, S3 (gateway and interface), DynamoDB (gateway), STS, CloudWatch Logs and
//! metrics, Elastic Load Balancing, Auto Scaling, SSM and its messages, EKS and EKS Auth, KMS, SQS, X-Ray, EFS
//! and CloudFormation. Names are formed as AWS forms them: an interface service's base name is its dotted name
//! reversed under `<region>.vpce.amazonaws.com` (`api.ecr.us-east-1.vpce.amazonaws.com`), its private DNS name
//! the service's own endpoint. Ids that AWS gives at random (service ids, prefix list ids, hosted zones) are
//! derived from the region and the service, so that they are stable.

use ring::digest;

use super::network::{check_filters, passes};
use super::zones::zones;
use super::{Ec2Error, Filter};

/// An endpoint's type: a gateway (routes to the service's prefix list) or an interface (network interfaces in
/// subnets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum EndpointType {
    Gateway,
    Interface,
}

impl EndpointType {
    /// `Gateway` or `Interface`, as EC2 writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointType::Gateway => "Gateway",
            EndpointType::Interface => "Interface",
        }
    }

    /// The type a request names; the other types EC2 knows (`GatewayLoadBalancer`, `Resource`,
    /// `ServiceNetwork`) have no AWS service here, so they are refused like a misspelt one.
    pub fn parse(text: &str) -> Result<EndpointType, Ec2Error> {
        match text {
            "Gateway" => Ok(EndpointType::Gateway),
            "Interface" => Ok(EndpointType::Interface),
            other => Err(Ec2Error::InvalidParameter(format!(
                "Value ({}) for parameter VpcEndpointType is invalid. Valid values: Gateway, Interface.",
                clip(other)
            ))),
        }
    }
}

/// A value of a request quoted in an error, cut short when it is long.
pub(crate) fn clip(text: &str) -> String {
    let cut: String = text.chars().take(64).collect();
    if cut.len() < text.len() { format!("{cut}...") } else { cut }
}

/// One service of the catalogue: the part of its name after the region, the types of endpoint it takes, its
/// private DNS name (`{region}` stands for the region) and whether endpoint policies apply to it.
struct Entry {
    suffix: &'static str,
    types: &'static [EndpointType],
    private_dns: Option<&'static str>,
    policy_supported: bool,
}

const GATEWAY: &[EndpointType] = &[EndpointType::Gateway];
const INTERFACE: &[EndpointType] = &[EndpointType::Interface];
const BOTH: &[EndpointType] = &[EndpointType::Gateway, EndpointType::Interface];

const fn interface(suffix: &'static str, private_dns: &'static str, policy_supported: bool) -> Entry {
    Entry { suffix, types: INTERFACE, private_dns: Some(private_dns), policy_supported }
}

/// The catalogue, by name.
const CATALOGUE: &[Entry] = &[
    interface("autoscaling", "autoscaling.{region}.amazonaws.com", true),
    interface("cloudformation", "cloudformation.{region}.amazonaws.com", true),
    Entry { suffix: "dynamodb", types: GATEWAY, private_dns: None, policy_supported: true },
    interface("ec2", "ec2.{region}.amazonaws.com", true),
    interface("ec2messages", "ec2messages.{region}.amazonaws.com", false),
    interface("ecr.api", "api.ecr.{region}.amazonaws.com", true),
    interface("ecr.dkr", "*.dkr.ecr.{region}.amazonaws.com", true),
    interface("eks", "eks.{region}.amazonaws.com", true),
    interface("eks-auth", "eks-auth.{region}.api.aws", false),
    interface("elasticfilesystem", "elasticfilesystem.{region}.amazonaws.com", true),
    interface("elasticloadbalancing", "elasticloadbalancing.{region}.amazonaws.com", true),
    interface("kms", "kms.{region}.amazonaws.com", true),
    interface("logs", "logs.{region}.amazonaws.com", true),
    interface("monitoring", "monitoring.{region}.amazonaws.com", true),
    Entry { suffix: "s3", types: BOTH, private_dns: Some("*.s3.{region}.amazonaws.com"), policy_supported: true },
    interface("sqs", "sqs.{region}.amazonaws.com", true),
    interface("ssm", "ssm.{region}.amazonaws.com", true),
    interface("ssmmessages", "ssmmessages.{region}.amazonaws.com", false),
    interface("sts", "sts.{region}.amazonaws.com", true),
    interface("xray", "xray.{region}.amazonaws.com", true),
];

/// A service an endpoint of one type can reach in one region (S3 is two: its gateway and its interface service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointService {
    /// `com.amazonaws.<region>.<service>`.
    pub name: String,
    /// `vpce-svc-...`.
    pub id: String,
    pub endpoint_type: EndpointType,
    /// Every zone of the region.
    pub availability_zones: Vec<String>,
    /// `ec2.us-east-1.vpce.amazonaws.com` for an interface service, `s3.us-east-1.amazonaws.com` for a gateway.
    pub base_endpoint_dns_name: String,
    /// The service's own name that private DNS answers inside the VPC (interface services).
    pub private_dns_name: Option<String>,
    pub policy_supported: bool,
    /// Whether the names an endpoint gets start with `*.` (S3's, whose buckets are names under it).
    pub wildcard: bool,
}

/// The first hex digits of a SHA-256 of `text`.
fn hashed(text: &str, digits: usize) -> String {
    let hash = digest::digest(&digest::SHA256, text.as_bytes());
    hash.as_ref().iter().map(|b| format!("{b:02x}")).collect::<String>()[..digits].to_owned()
}

/// `count` characters from `[a-z0-9]` (or `[A-Z0-9]`) derived from `text`.
pub(crate) fn derived_chars(text: &str, count: usize, upper: bool) -> String {
    let alphabet: &[u8] =
        if upper { b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" } else { b"abcdefghijklmnopqrstuvwxyz0123456789" };
    let hash = digest::digest(&digest::SHA256, text.as_bytes());
    hash.as_ref().iter().cycle().take(count).map(|b| alphabet[*b as usize % alphabet.len()] as char).collect()
}

/// The hosted zone of a region's `vpce.amazonaws.com` names: the one AWS publishes for us-east-1, a stable
/// derived one elsewhere.
pub fn vpce_hosted_zone(region: &str) -> String {
    match region {
        "us-east-1" => "Z7HUB22UULQXV".to_owned(),
        other => format!("Z{}", derived_chars(&format!("vpce/{other}"), 13, true)),
    }
}

/// The services of a region, by name and then type.
pub fn endpoint_services(region: &str) -> Vec<EndpointService> {
    let zone_names: Vec<String> = zones(region).into_iter().map(|zone| zone.name).collect();
    let mut out = Vec::new();
    for entry in CATALOGUE {
        let name = format!("com.amazonaws.{region}.{}", entry.suffix);
        for endpoint_type in entry.types {
            let (base, private_dns) = match endpoint_type {
                EndpointType::Gateway => (format!("{}.{region}.amazonaws.com", entry.suffix), None),
                EndpointType::Interface => {
                    let label: Vec<&str> = entry.suffix.rsplit('.').collect();
                    let base = format!("{}.{region}.vpce.amazonaws.com", label.join("."));
                    (base, entry.private_dns.map(|template| template.replace("{region}", region)))
                }
            };
            out.push(EndpointService {
                id: format!("vpce-svc-{}", hashed(&format!("{name}/{}", endpoint_type.as_str()), 17)),
                name: name.clone(),
                endpoint_type: *endpoint_type,
                availability_zones: zone_names.clone(),
                base_endpoint_dns_name: base,
                private_dns_name: private_dns,
                policy_supported: entry.policy_supported,
                wildcard: entry.suffix == "s3" && *endpoint_type == EndpointType::Interface,
            });
        }
    }
    out
}

/// The services of a region with this name (none, one, or S3's two).
pub fn services_named(region: &str, name: &str) -> Vec<EndpointService> {
    endpoint_services(region).into_iter().filter(|service| service.name == name).collect()
}

/// The service an endpoint of `endpoint_type` reaches under `name`: `InvalidServiceName` for a name the region
/// does not know, `InvalidParameter` for a known service of the other type.
pub fn endpoint_service(region: &str, name: &str, endpoint_type: EndpointType) -> Result<EndpointService, Ec2Error> {
    let found = services_named(region, name);
    if found.is_empty() {
        return Err(Ec2Error::InvalidServiceName(clip(name)));
    }
    let types: Vec<&str> = found.iter().map(|service| service.endpoint_type.as_str()).collect();
    found.into_iter().find(|service| service.endpoint_type == endpoint_type).ok_or_else(|| {
        Ec2Error::InvalidParameter(format!(
            "Endpoint type ({}) does not match available service types ([{}]).",
            endpoint_type.as_str(),
            types.join(", ")
        ))
    })
}

/// DescribeVpcEndpointServices: the services named (each must exist) that pass the filters (`service-name`,
/// `service-type`, `owner`, `service-region`), by name.
pub fn describe_vpc_endpoint_services(
    region: &str,
    names: &[String],
    filters: &[Filter],
) -> Result<Vec<EndpointService>, Ec2Error> {
    check_filters(filters, &["service-name", "service-type", "owner", "service-region", "supported-ip-address-types"])?;
    let all = endpoint_services(region);
    if let Some(unknown) = names.iter().find(|name| !all.iter().any(|service| &service.name == *name)) {
        return Err(Ec2Error::InvalidServiceName(clip(unknown)));
    }
    Ok(all
        .into_iter()
        .filter(|service| names.is_empty() || names.contains(&service.name))
        .filter(|service| {
            passes(filters, None, |name| match name {
                "service-name" => vec![service.name.clone()],
                "service-type" => vec![service.endpoint_type.as_str().to_owned()],
                "owner" => vec!["amazon".to_owned()],
                "service-region" => vec![region.to_owned()],
                "supported-ip-address-types" => vec!["ipv4".to_owned()],
                _ => Vec::new(),
            })
        })
        .collect())
}

/// The prefix list of a gateway service: the address blocks of the service in the region, which a gateway
/// endpoint's routes send to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixList {
    /// `pl-` and 8 hex digits.
    pub id: String,
    /// The service's name.
    pub name: String,
    pub cidrs: Vec<String>,
}

/// Address blocks of AWS's that stand for a gateway service's ranges (the same in every region here; AWS's own
/// lists are longer and change over time).
fn service_blocks(suffix: &str) -> Vec<String> {
    let blocks: &[&str] = match suffix {
        "s3" => &["3.5.0.0/19", "16.15.192.0/18", "18.34.0.0/19", "52.216.0.0/15", "54.231.0.0/16"],
        _ => &["3.218.180.0/22", "52.94.0.0/22", "52.119.224.0/20"],
    };
    blocks.iter().map(|block| (*block).to_owned()).collect()
}

/// The prefix lists of a region: one per gateway service.
pub fn prefix_lists(region: &str) -> Vec<PrefixList> {
    CATALOGUE
        .iter()
        .filter(|entry| entry.types.contains(&EndpointType::Gateway))
        .map(|entry| {
            let name = format!("com.amazonaws.{region}.{}", entry.suffix);
            PrefixList { id: format!("pl-{}", hashed(&name, 8)), name, cidrs: service_blocks(entry.suffix) }
        })
        .collect()
}

/// The prefix list of a gateway service, by the service's name.
pub fn prefix_list_of(region: &str, service_name: &str) -> Option<PrefixList> {
    prefix_lists(region).into_iter().find(|list| list.name == service_name)
}

/// DescribePrefixLists: the lists named by id (each must exist) that pass the filters (`prefix-list-id`,
/// `prefix-list-name`).
pub fn describe_prefix_lists(region: &str, ids: &[String], filters: &[Filter]) -> Result<Vec<PrefixList>, Ec2Error> {
    check_filters(filters, &["prefix-list-id", "prefix-list-name"])?;
    let all = prefix_lists(region);
    if let Some(unknown) = ids.iter().find(|id| !all.iter().any(|list| &list.id == *id)) {
        return Err(Ec2Error::PrefixListNotFound(clip(unknown)));
    }
    Ok(all
        .into_iter()
        .filter(|list| ids.is_empty() || ids.contains(&list.id))
        .filter(|list| {
            passes(filters, None, |name| match name {
                "prefix-list-id" => vec![list.id.clone()],
                "prefix-list-name" => vec![list.name.clone()],
                _ => Vec::new(),
            })
        })
        .collect())
}

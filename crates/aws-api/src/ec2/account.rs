//! What EC2 says of the account and region rather than of a resource: DescribeAccountAttributes (the default VPC,
//! platforms and quotas) and DescribeInstanceTypeOfferings (every instance type of the catalogue is offered in the
//! region and in each of its zones).

use aws_model::ec2::instance_types::INSTANCE_TYPES;
use aws_model::ec2::scopes;
use aws_model::ec2::zones::zones;

use super::paging::page;
use super::{invalid, start};
use crate::registry::{Outcome, wire};
use crate::{AwsApi, Call};

/// The attributes DescribeAccountAttributes knows, with the values EC2 reports for a new account.
const ATTRIBUTES: [&str; 6] = [
    "supported-platforms",
    "default-vpc",
    "max-instances",
    "vpc-max-security-groups-per-interface",
    "max-elastic-ips",
    "vpc-max-elastic-ips",
];

pub(super) async fn describe_account_attributes(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let asked = input.strings("AttributeName")?;
    if let Some(unknown) = asked.iter().find(|name| !ATTRIBUTES.contains(&name.as_str())) {
        return Err(invalid(format!("Invalid value '{unknown}' for attributeName")));
    }
    let default_vpc = ec2
        .view(caller, &scopes::vpcs(), |network| {
            network.vpcs.values().find(|vpc| vpc.is_default).map(|vpc| vpc.id.clone())
        })
        .await
        .map_err(wire)?
        .unwrap_or_else(|| "none".to_owned());
    let values = |name: &str| -> Vec<String> {
        match name {
            "supported-platforms" => vec!["VPC".to_owned()],
            "default-vpc" => vec![default_vpc.clone()],
            "max-instances" => vec!["20".to_owned()],
            "vpc-max-security-groups-per-interface" => vec!["5".to_owned()],
            _ => vec!["5".to_owned()],
        }
    };
    let names: Vec<&str> =
        if asked.is_empty() { ATTRIBUTES.to_vec() } else { asked.iter().map(String::as_str).collect() };
    call.xml(move |xml| {
        xml.list("accountAttributeSet", "item", &names, |xml, name| {
            xml.text("attributeName", name).list("attributeValueSet", "item", values(name), |xml, value| {
                xml.text("attributeValue", &value);
            });
        });
    })
}

pub(super) async fn describe_instance_type_offerings(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (_, input, caller) = start(api, call)?;
    let location_type = input.get("LocationType").unwrap_or_else(|| "region".to_owned());
    let filters = input.filters()?;
    aws_model::ec2::check_filters(&filters, &["instance-type", "location"]).map_err(wire)?;
    let locations: Vec<String> = match location_type.as_str() {
        "region" => vec![caller.region.clone()],
        "availability-zone" => zones(&caller.region).into_iter().map(|zone| zone.name).collect(),
        "availability-zone-id" => zones(&caller.region).into_iter().map(|zone| zone.id).collect(),
        other => {
            return Err(invalid(format!(
                "Value ({other}) for parameter locationType is invalid. Valid values are region, availability-zone, availability-zone-id."
            )));
        }
    };
    let mut offerings = Vec::new();
    for location in &locations {
        for kind in INSTANCE_TYPES {
            let passes = aws_model::ec2::passes(&filters, None, |name| match name {
                "instance-type" => vec![kind.name.to_owned()],
                "location" => vec![location.clone()],
                _ => Vec::new(),
            });
            if passes {
                offerings.push((kind.name, location.clone()));
            }
        }
    }
    let max = input.params.int("MaxResults").map_err(super::bad_params)?;
    let key = |(name, location): &(&str, String)| format!("{location}/{name}");
    // Pages continue after the key the token names, so the offerings go in key order.
    offerings.sort_by_key(key);
    let (page, token) = page(offerings, key, max, input.get("NextToken").as_deref(), (5, 1000))?;
    call.xml(move |xml| {
        xml.list("instanceTypeOfferingSet", "item", page, |xml, (name, location)| {
            xml.text("instanceType", name).text("locationType", &location_type).text("location", &location);
        });
        xml.optional("nextToken", token.as_deref());
    })
}

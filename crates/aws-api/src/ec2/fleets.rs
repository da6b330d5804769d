//! EC2 Fleet and spot prices over the `ec2` protocol: CreateFleet (type `instant`; `aws_model::ec2::fleets` decides
//! what is launched) and DescribeSpotPriceHistory (each instance type's spot price in each zone, the instance type
//! table's fraction of on-demand, as one current entry per type, zone and product description).
//!
//! CreateFleet answers `fleetId`, `fleetInstanceSet` (per override: its launch template and override echoed, the
//! lifecycle, the instance type and the instance ids) and `errorSet` (per override that launched nothing: the same
//! echo, the lifecycle, an error code and EC2's message). Whole-request errors (no capacity specification, an
//! unknown type, a missing launch template, more than 300 overrides) are EC2's, HTTP 400.

use aws_model::ec2::fleets::{
    CreateFleet, CreatedFleet, FleetConfig, FleetFailure, FleetOverride, FleetTemplate, TemplateAndOverride,
};
use aws_model::ec2::instance_types::{INSTANCE_TYPES, instance_type};
use aws_model::ec2::scopes;
use aws_model::ec2::templates::TemplateName;
use aws_model::ec2::zones::zones;
use aws_protocol::AwsError;
use aws_protocol::xml::XmlWriter;

use super::instances::synced;
use super::paging::page;
use super::{bad_params, code, dry_run_succeeded, invalid, start, timestamp};
use crate::registry::{Outcome, wire};
use crate::{AwsApi, Call};

/// The resource types a fleet's `TagSpecification` may name.
const TAGGABLE: &[&str] = &["fleet", "instance", "volume", "network-interface", "spot-instances-request"];

/// A price as EC2 writes it: six decimals.
fn price_text(price: f64) -> String {
    format!("{price:.6}")
}

pub(super) async fn create_fleet(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let now = ec2.now();
    let capacity = input.params.child("TargetCapacitySpecification");
    let total = capacity.int("TotalTargetCapacity").map_err(bad_params)?.ok_or_else(|| {
        AwsError::bad_request(
            "MissingParameter",
            "The request must contain the parameter TargetCapacitySpecification.TotalTargetCapacity",
        )
    })?;
    let count = |value: Option<i64>, name: &str| -> Result<Option<u32>, AwsError> {
        value
            .map(|value| {
                u32::try_from(value).map_err(|_| {
                    invalid(format!("Value ({value}) for parameter {name} is invalid. Expected a non-negative value."))
                })
            })
            .transpose()
    };
    let total_target_capacity = count(Some(total), "TotalTargetCapacity")?.unwrap_or(0);
    let on_demand_target_capacity =
        count(capacity.int("OnDemandTargetCapacity").map_err(bad_params)?, "OnDemandTargetCapacity")?;
    let spot_target_capacity = count(capacity.int("SpotTargetCapacity").map_err(bad_params)?, "SpotTargetCapacity")?;
    let mut configs = Vec::new();
    for config in input.params.ec2_list("LaunchTemplateConfigs").map_err(bad_params)? {
        let spec = config.child("LaunchTemplateSpecification");
        let template = FleetTemplate {
            id: spec.get("LaunchTemplateId").map(str::to_owned),
            name: spec.get("LaunchTemplateName").map(str::to_owned),
            version: spec.get("Version").map(str::to_owned),
        };
        let mut overrides = Vec::new();
        for item in config.ec2_list("Overrides").map_err(bad_params)? {
            let max_price = match item.get("MaxPrice") {
                Some(text) => Some(text.trim().parse::<f64>().map_err(|_| {
                    invalid(format!("Value ({}) for parameter MaxPrice is invalid.", text.escape_debug()))
                })?),
                None => None,
            };
            overrides.push(FleetOverride {
                instance_type: item.get("InstanceType").map(str::to_owned),
                subnet_id: item.get("SubnetId").map(str::to_owned),
                availability_zone: item.get("AvailabilityZone").map(str::to_owned),
                priority: item.float("Priority").map_err(bad_params)?,
                max_price,
                image_id: item.get("ImageId").map(str::to_owned),
            });
        }
        configs.push(FleetConfig { template, overrides });
    }
    let mut instance_tags = aws_model::ec2::Tags::new();
    for spec in input.params.ec2_list("TagSpecification").map_err(bad_params)? {
        let kind = spec.required("ResourceType").map_err(bad_params)?;
        if !TAGGABLE.contains(&kind) {
            return Err(invalid(format!("'{kind}' is not a valid taggable resource type for this operation.")));
        }
        let pairs = input.tag_pairs(spec.ec2_list("Tag").map_err(bad_params)?)?;
        if kind == "instance" {
            instance_tags.extend(pairs.into_iter().map(|(key, value)| (key, value.unwrap_or_default())));
        }
    }
    aws_model::ec2::check_tags(&instance_tags).map_err(wire)?;
    let client_token = input.get("ClientToken").filter(|token| !token.is_empty());
    if client_token.as_ref().is_some_and(|token| token.len() > 64) {
        return Err(invalid("Value for parameter clientToken is invalid. Maximum length is 64 characters."));
    }
    let request = CreateFleet {
        fleet_type: input.get("Type").unwrap_or_else(|| "maintain".to_owned()),
        configs,
        total_target_capacity,
        on_demand_target_capacity,
        spot_target_capacity,
        default_target_capacity_type: capacity.get("DefaultTargetCapacityType").unwrap_or("on-demand").to_owned(),
        on_demand_allocation_strategy: input
            .params
            .child("OnDemandOptions")
            .get("AllocationStrategy")
            .map(str::to_owned),
        spot_allocation_strategy: input.params.child("SpotOptions").get("AllocationStrategy").map(str::to_owned),
        instance_tags,
        client_token,
        boot_seconds: 0.0,
    };
    request.check().map_err(wire)?;
    // The templates' images and instance profiles must exist, as RunInstances checks them.
    let network = synced(api, ec2, caller, &scopes::launch_templates(None)).await?;
    let mut images = Vec::new();
    let mut profiles = Vec::new();
    for config in &request.configs {
        let which =
            TemplateName::from_request(config.template.id.as_deref(), config.template.name.as_deref()).map_err(wire)?;
        let template = network.launch_template(&which).map_err(wire)?;
        let data = &template.version(config.template.version.as_deref()).map_err(wire)?.data;
        images.extend(data.image_id.clone());
        images.extend(config.overrides.iter().filter_map(|o| o.image_id.clone()));
        if let Some(profile) = data.iam_instance_profile() {
            profiles.push(profile.clone());
        }
    }
    images.sort();
    images.dedup();
    let query = aws_model::ec2::images::ImageQuery { image_ids: images, ..Default::default() };
    aws_model::ec2::images::describe_images(&caller.region, &api.eks().config().versions, &caller.account, &query)
        .map_err(wire)?;
    for profile in profiles {
        let name = profile
            .name
            .clone()
            .or_else(|| profile.arn.as_deref().and_then(|arn| arn.rsplit('/').next()).map(str::to_owned))
            .unwrap_or_default();
        if api.iam().get_instance_profile(&caller.account, &name).await.is_err() {
            return Err(invalid(format!(
                "Value ({}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
                name.escape_debug()
            )));
        }
    }
    if input.params.bool("DryRun").map_err(bad_params)? == Some(true) {
        return Err(dry_run_succeeded());
    }
    let created = ec2
        .change_widening(
            caller,
            &scopes::create_fleet(request.client_token.is_some()),
            |network| scopes::fleet_subnets(network, &request),
            |network, ids| network.create_fleet(ids, &request, now),
        )
        .await
        .map_err(wire)?;
    synced(api, ec2, caller, &aws_model::ec2::Scope::new()).await?;
    call.xml(move |xml| fleet_xml(xml, &created))
}

fn fleet_xml(xml: &mut XmlWriter, created: &CreatedFleet) {
    xml.text("fleetId", &created.fleet_id);
    xml.list("errorSet", "item", &created.errors, |xml, error| {
        launched_from_xml(xml, &error.launched_from);
        let (code_text, message) = match &error.failure {
            FleetFailure::InsufficientCapacity(message) => ("InsufficientInstanceCapacity", message.clone()),
            FleetFailure::SpotMaxPriceTooLow(message) => ("SpotMaxPriceTooLow", message.clone()),
            FleetFailure::Refused(error) => (code(error), error.to_string()),
        };
        xml.text("lifecycle", &error.lifecycle).text("errorCode", code_text).text("errorMessage", &message);
    });
    xml.list("fleetInstanceSet", "item", &created.instances, |xml, group| {
        launched_from_xml(xml, &group.launched_from);
        xml.text("lifecycle", &group.lifecycle)
            .text_list("instanceIds", "item", group.instance_ids.iter().map(String::as_str))
            .text("instanceType", &group.instance_type);
    });
}

fn launched_from_xml(xml: &mut XmlWriter, launched_from: &TemplateAndOverride) {
    xml.element("launchTemplateAndOverrides", |xml| {
        xml.element("launchTemplateSpecification", |xml| {
            xml.text("launchTemplateId", &launched_from.template_id)
                .text("launchTemplateName", &launched_from.template_name)
                .text("version", &launched_from.version);
        });
        if let Some(overrides) = &launched_from.overrides {
            xml.element("overrides", |xml| {
                xml.optional("instanceType", overrides.instance_type.as_deref());
                if let Some(price) = overrides.max_price {
                    xml.text("maxPrice", &price.to_string());
                }
                xml.optional("subnetId", overrides.subnet_id.as_deref())
                    .optional("availabilityZone", overrides.availability_zone.as_deref());
                if let Some(priority) = overrides.priority {
                    xml.value("priority", priority);
                }
                xml.optional("imageId", overrides.image_id.as_deref());
            });
        }
    });
}

/// The product descriptions DescribeSpotPriceHistory knows; only Linux is priced.
const PRODUCTS: &[&str] = &["Linux/UNIX", "Linux/UNIX (Amazon VPC)"];

pub(super) async fn describe_spot_price_history(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let types = input.strings("InstanceType")?;
    let products = input.strings("ProductDescription")?;
    let filters = input.filters()?;
    let zone = input.get("AvailabilityZone");
    if let Some(unknown) = types.iter().find(|name| instance_type(name).is_none()) {
        return Err(invalid(format!("Invalid value '{}' for InstanceType.", unknown.escape_debug())));
    }
    aws_model::ec2::check_filters(
        &filters,
        &["availability-zone", "instance-type", "product-description", "spot-price", "timestamp"],
    )
    .map_err(wire)?;
    let region_zones = zones(&caller.region);
    if let Some(zone) = &zone
        && !region_zones.iter().any(|known| known.name == *zone)
    {
        return Err(AwsError::bad_request(
            "InvalidParameterValue",
            format!("Invalid availability zone: [{}]", zone.escape_debug()),
        ));
    }
    let now = timestamp(ec2.now());
    let mut entries: Vec<(String, String, &'static str, &'static str, String)> = Vec::new();
    for kind in INSTANCE_TYPES {
        if !types.is_empty() && !types.iter().any(|name| name == kind.name) {
            continue;
        }
        for known in &region_zones {
            if zone.as_ref().is_some_and(|zone| *zone != known.name) {
                continue;
            }
            for product in PRODUCTS {
                if !products.is_empty() && !products.iter().any(|p| p == product) {
                    continue;
                }
                let price = price_text(kind.spot_price());
                let passes = aws_model::ec2::passes(&filters, None, |name| match name {
                    "availability-zone" => vec![known.name.clone()],
                    "instance-type" => vec![kind.name.to_owned()],
                    "product-description" => vec![(*product).to_owned()],
                    "spot-price" => vec![price.clone()],
                    _ => Vec::new(),
                });
                if passes {
                    entries.push((known.name.clone(), known.id.clone(), kind.name, product, price));
                }
            }
        }
    }
    let key = |(zone, _, kind, product, _): &(String, String, &str, &str, String)| format!("{kind}/{zone}/{product}");
    entries.sort_by_cached_key(key);
    let max = input.params.int("MaxResults").map_err(bad_params)?;
    let (page, token) = page(entries, key, max, input.get("NextToken").as_deref(), (5, 1000))?;
    call.xml(move |xml| {
        xml.list("spotPriceHistorySet", "item", &page, |xml, (zone, zone_id, kind, product, price)| {
            xml.text("instanceType", kind)
                .text("productDescription", product)
                .text("spotPrice", price)
                .timestamp("timestamp", now)
                .text("availabilityZone", zone)
                .text("availabilityZoneId", zone_id);
        });
        xml.optional("nextToken", token.as_deref());
    })
}

#[cfg(test)]
mod tests;

//! EC2 launch templates over the `ec2` protocol: CreateLaunchTemplate, CreateLaunchTemplateVersion,
//! ModifyLaunchTemplate, DescribeLaunchTemplates, DescribeLaunchTemplateVersions, DeleteLaunchTemplateVersions and
//! DeleteLaunchTemplate. `LaunchTemplateData` is read whole: the members the model types (image, type, key, user
//! data, groups, instance profile, block devices, metadata options, tag specifications) by hand, every other member
//! of EC2's `RequestLaunchTemplateData` through [`SETTINGS`], a table of its query names, value types and reply
//! names, into the model's `Setting` trees and back as `ResponseLaunchTemplateData` writes them.

use aws_model::ec2::templates::{
    BlockDeviceMapping, CreateLaunchTemplate, EbsBlockDevice, IamInstanceProfile, LaunchTemplate, LaunchTemplateData,
    LaunchTemplateVersion, MetadataOptions, Setting, TemplateName, VersionDeletion,
};
use aws_model::ec2::{Kind, Tags, scopes};
use aws_protocol::AwsError;
use aws_protocol::query::{QueryError, Scope};
use aws_protocol::xml::XmlWriter;

use super::instances::synced;
use super::paging::page;
use super::{Input, bad_params, invalid, start, tag_set, timestamp};
use crate::registry::{Outcome, wire};
use crate::{AwsApi, Call};

/// How a member kept as a `Setting` is read and written.
#[derive(Debug, Clone, Copy)]
enum Form {
    Text,
    Bool,
    Int,
    Float,
    /// A string of an enumeration.
    Choice(&'static [&'static str]),
    Struct(&'static [Member]),
    /// A list of items of a form, each written as an element of the given name.
    List(&'static Form, &'static str),
}

/// A member of a structure: its name in EC2's API model, its query name, its reply name and its form.
#[derive(Debug, Clone, Copy)]
struct Member {
    name: &'static str,
    query: &'static str,
    xml: &'static str,
    form: Form,
}

const TEXT: Form = Form::Text;
const BOOL: Form = Form::Bool;
const INT: Form = Form::Int;
const FLOAT: Form = Form::Float;

const fn m(name: &'static str, query: &'static str, xml: &'static str, form: Form) -> Member {
    Member { name, query, xml, form }
}

/// The members of `RequestLaunchTemplateData` that the model keeps as `Setting`s, in the API model's order, with
/// the names `ResponseLaunchTemplateData` answers them under.
const SETTINGS: &[Member] = &[
    m("KernelId", "KernelId", "kernelId", TEXT),
    m("EbsOptimized", "EbsOptimized", "ebsOptimized", BOOL),
    m(
        "NetworkInterfaces",
        "NetworkInterface",
        "networkInterfaceSet",
        Form::List(
            &Form::Struct(&[
                m("AssociateCarrierIpAddress", "AssociateCarrierIpAddress", "associateCarrierIpAddress", BOOL),
                m("AssociatePublicIpAddress", "AssociatePublicIpAddress", "associatePublicIpAddress", BOOL),
                m("DeleteOnTermination", "DeleteOnTermination", "deleteOnTermination", BOOL),
                m("Description", "Description", "description", TEXT),
                m("DeviceIndex", "DeviceIndex", "deviceIndex", INT),
                m("Groups", "SecurityGroupId", "groupSet", Form::List(&TEXT, "groupId")),
                m("InterfaceType", "InterfaceType", "interfaceType", TEXT),
                m("Ipv6AddressCount", "Ipv6AddressCount", "ipv6AddressCount", INT),
                m(
                    "Ipv6Addresses",
                    "Ipv6Addresses",
                    "ipv6AddressesSet",
                    Form::List(&Form::Struct(&[m("Ipv6Address", "Ipv6Address", "ipv6Address", TEXT)]), "item"),
                ),
                m("NetworkInterfaceId", "NetworkInterfaceId", "networkInterfaceId", TEXT),
                m("PrivateIpAddress", "PrivateIpAddress", "privateIpAddress", TEXT),
                m(
                    "PrivateIpAddresses",
                    "PrivateIpAddresses",
                    "privateIpAddressesSet",
                    Form::List(
                        &Form::Struct(&[
                            m("Primary", "Primary", "primary", BOOL),
                            m("PrivateIpAddress", "PrivateIpAddress", "privateIpAddress", TEXT),
                        ]),
                        "item",
                    ),
                ),
                m(
                    "SecondaryPrivateIpAddressCount",
                    "SecondaryPrivateIpAddressCount",
                    "secondaryPrivateIpAddressCount",
                    INT,
                ),
                m("SubnetId", "SubnetId", "subnetId", TEXT),
                m("NetworkCardIndex", "NetworkCardIndex", "networkCardIndex", INT),
                m(
                    "Ipv4Prefixes",
                    "Ipv4Prefix",
                    "ipv4PrefixSet",
                    Form::List(&Form::Struct(&[m("Ipv4Prefix", "Ipv4Prefix", "ipv4Prefix", TEXT)]), "item"),
                ),
                m("Ipv4PrefixCount", "Ipv4PrefixCount", "ipv4PrefixCount", INT),
                m(
                    "Ipv6Prefixes",
                    "Ipv6Prefix",
                    "ipv6PrefixSet",
                    Form::List(&Form::Struct(&[m("Ipv6Prefix", "Ipv6Prefix", "ipv6Prefix", TEXT)]), "item"),
                ),
                m("Ipv6PrefixCount", "Ipv6PrefixCount", "ipv6PrefixCount", INT),
                m("PrimaryIpv6", "PrimaryIpv6", "primaryIpv6", BOOL),
                m(
                    "EnaSrdSpecification",
                    "EnaSrdSpecification",
                    "enaSrdSpecification",
                    Form::Struct(&[
                        m("EnaSrdEnabled", "EnaSrdEnabled", "enaSrdEnabled", BOOL),
                        m(
                            "EnaSrdUdpSpecification",
                            "EnaSrdUdpSpecification",
                            "enaSrdUdpSpecification",
                            Form::Struct(&[m("EnaSrdUdpEnabled", "EnaSrdUdpEnabled", "enaSrdUdpEnabled", BOOL)]),
                        ),
                    ]),
                ),
                m(
                    "ConnectionTrackingSpecification",
                    "ConnectionTrackingSpecification",
                    "connectionTrackingSpecification",
                    Form::Struct(&[
                        m("TcpEstablishedTimeout", "TcpEstablishedTimeout", "tcpEstablishedTimeout", INT),
                        m("UdpStreamTimeout", "UdpStreamTimeout", "udpStreamTimeout", INT),
                        m("UdpTimeout", "UdpTimeout", "udpTimeout", INT),
                    ]),
                ),
                m("EnaQueueCount", "EnaQueueCount", "enaQueueCount", INT),
            ]),
            "item",
        ),
    ),
    m(
        "Monitoring",
        "Monitoring",
        "monitoring",
        Form::Struct(&[
            m("Enabled", "Enabled", "enabled", BOOL),
            m("MetricCategoryIds", "MetricCategoryId", "metricCategoryIdSet", Form::List(&TEXT, "item")),
        ]),
    ),
    m(
        "Placement",
        "Placement",
        "placement",
        Form::Struct(&[
            m("AvailabilityZone", "AvailabilityZone", "availabilityZone", TEXT),
            m("AvailabilityZoneId", "AvailabilityZoneId", "availabilityZoneId", TEXT),
            m("Affinity", "Affinity", "affinity", TEXT),
            m("GroupName", "GroupName", "groupName", TEXT),
            m("HostId", "HostId", "hostId", TEXT),
            m("Tenancy", "Tenancy", "tenancy", Form::Choice(&["default", "dedicated", "host"])),
            m("SpreadDomain", "SpreadDomain", "spreadDomain", TEXT),
            m("HostResourceGroupArn", "HostResourceGroupArn", "hostResourceGroupArn", TEXT),
            m("PartitionNumber", "PartitionNumber", "partitionNumber", INT),
            m("GroupId", "GroupId", "groupId", TEXT),
        ]),
    ),
    m("RamDiskId", "RamDiskId", "ramDiskId", TEXT),
    m("DisableApiTermination", "DisableApiTermination", "disableApiTermination", BOOL),
    m(
        "InstanceInitiatedShutdownBehavior",
        "InstanceInitiatedShutdownBehavior",
        "instanceInitiatedShutdownBehavior",
        Form::Choice(&["stop", "terminate"]),
    ),
    m(
        "ElasticGpuSpecifications",
        "ElasticGpuSpecification",
        "elasticGpuSpecificationSet",
        Form::List(&Form::Struct(&[m("Type", "Type", "type", TEXT)]), "item"),
    ),
    m(
        "ElasticInferenceAccelerators",
        "ElasticInferenceAccelerator",
        "elasticInferenceAcceleratorSet",
        Form::List(&Form::Struct(&[m("Type", "Type", "type", TEXT), m("Count", "Count", "count", INT)]), "item"),
    ),
    m(
        "InstanceMarketOptions",
        "InstanceMarketOptions",
        "instanceMarketOptions",
        Form::Struct(&[
            m(
                "MarketType",
                "MarketType",
                "marketType",
                Form::Choice(&["spot", "capacity-block", "interruptible-capacity-reservation", "on-demand"]),
            ),
            m(
                "SpotOptions",
                "SpotOptions",
                "spotOptions",
                Form::Struct(&[
                    m("MaxPrice", "MaxPrice", "maxPrice", TEXT),
                    m(
                        "SpotInstanceType",
                        "SpotInstanceType",
                        "spotInstanceType",
                        Form::Choice(&["one-time", "persistent"]),
                    ),
                    m("BlockDurationMinutes", "BlockDurationMinutes", "blockDurationMinutes", INT),
                    m("ValidUntil", "ValidUntil", "validUntil", TEXT),
                    m(
                        "InstanceInterruptionBehavior",
                        "InstanceInterruptionBehavior",
                        "instanceInterruptionBehavior",
                        Form::Choice(&["hibernate", "stop", "terminate"]),
                    ),
                ]),
            ),
        ]),
    ),
    m(
        "CreditSpecification",
        "CreditSpecification",
        "creditSpecification",
        Form::Struct(&[m("CpuCredits", "CpuCredits", "cpuCredits", TEXT)]),
    ),
    m(
        "CpuOptions",
        "CpuOptions",
        "cpuOptions",
        Form::Struct(&[
            m("CoreCount", "CoreCount", "coreCount", INT),
            m("ThreadsPerCore", "ThreadsPerCore", "threadsPerCore", INT),
            m("AmdSevSnp", "AmdSevSnp", "amdSevSnp", Form::Choice(&["enabled", "disabled"])),
            m(
                "NestedVirtualization",
                "NestedVirtualization",
                "nestedVirtualization",
                Form::Choice(&["enabled", "disabled"]),
            ),
        ]),
    ),
    m(
        "CapacityReservationSpecification",
        "CapacityReservationSpecification",
        "capacityReservationSpecification",
        Form::Struct(&[
            m(
                "CapacityReservationPreference",
                "CapacityReservationPreference",
                "capacityReservationPreference",
                Form::Choice(&["capacity-reservations-only", "open", "none"]),
            ),
            m(
                "CapacityReservationTarget",
                "CapacityReservationTarget",
                "capacityReservationTarget",
                Form::Struct(&[
                    m("CapacityReservationId", "CapacityReservationId", "capacityReservationId", TEXT),
                    m(
                        "CapacityReservationResourceGroupArn",
                        "CapacityReservationResourceGroupArn",
                        "capacityReservationResourceGroupArn",
                        TEXT,
                    ),
                ]),
            ),
        ]),
    ),
    m(
        "LicenseSpecifications",
        "LicenseSpecification",
        "licenseSet",
        Form::List(
            &Form::Struct(&[m("LicenseConfigurationArn", "LicenseConfigurationArn", "licenseConfigurationArn", TEXT)]),
            "item",
        ),
    ),
    m(
        "HibernationOptions",
        "HibernationOptions",
        "hibernationOptions",
        Form::Struct(&[m("Configured", "Configured", "configured", BOOL)]),
    ),
    m("EnclaveOptions", "EnclaveOptions", "enclaveOptions", Form::Struct(&[m("Enabled", "Enabled", "enabled", BOOL)])),
    m(
        "InstanceRequirements",
        "InstanceRequirements",
        "instanceRequirements",
        Form::Struct(&[
            m(
                "VCpuCount",
                "VCpuCount",
                "vCpuCount",
                Form::Struct(&[m("Min", "Min", "min", INT), m("Max", "Max", "max", INT)]),
            ),
            m(
                "MemoryMiB",
                "MemoryMiB",
                "memoryMiB",
                Form::Struct(&[m("Min", "Min", "min", INT), m("Max", "Max", "max", INT)]),
            ),
            m(
                "CpuManufacturers",
                "CpuManufacturer",
                "cpuManufacturerSet",
                Form::List(&Form::Choice(&["intel", "amd", "amazon-web-services", "apple"]), "item"),
            ),
            m(
                "MemoryGiBPerVCpu",
                "MemoryGiBPerVCpu",
                "memoryGiBPerVCpu",
                Form::Struct(&[m("Min", "Min", "min", FLOAT), m("Max", "Max", "max", FLOAT)]),
            ),
            m("ExcludedInstanceTypes", "ExcludedInstanceType", "excludedInstanceTypeSet", Form::List(&TEXT, "item")),
            m(
                "InstanceGenerations",
                "InstanceGeneration",
                "instanceGenerationSet",
                Form::List(&Form::Choice(&["current", "previous"]), "item"),
            ),
            m(
                "SpotMaxPricePercentageOverLowestPrice",
                "SpotMaxPricePercentageOverLowestPrice",
                "spotMaxPricePercentageOverLowestPrice",
                INT,
            ),
            m(
                "OnDemandMaxPricePercentageOverLowestPrice",
                "OnDemandMaxPricePercentageOverLowestPrice",
                "onDemandMaxPricePercentageOverLowestPrice",
                INT,
            ),
            m("BareMetal", "BareMetal", "bareMetal", Form::Choice(&["included", "required", "excluded"])),
            m(
                "BurstablePerformance",
                "BurstablePerformance",
                "burstablePerformance",
                Form::Choice(&["included", "required", "excluded"]),
            ),
            m("RequireHibernateSupport", "RequireHibernateSupport", "requireHibernateSupport", BOOL),
            m(
                "NetworkInterfaceCount",
                "NetworkInterfaceCount",
                "networkInterfaceCount",
                Form::Struct(&[m("Min", "Min", "min", INT), m("Max", "Max", "max", INT)]),
            ),
            m("LocalStorage", "LocalStorage", "localStorage", Form::Choice(&["included", "required", "excluded"])),
            m(
                "LocalStorageTypes",
                "LocalStorageType",
                "localStorageTypeSet",
                Form::List(&Form::Choice(&["hdd", "ssd"]), "item"),
            ),
            m(
                "TotalLocalStorageGB",
                "TotalLocalStorageGB",
                "totalLocalStorageGB",
                Form::Struct(&[m("Min", "Min", "min", FLOAT), m("Max", "Max", "max", FLOAT)]),
            ),
            m(
                "BaselineEbsBandwidthMbps",
                "BaselineEbsBandwidthMbps",
                "baselineEbsBandwidthMbps",
                Form::Struct(&[m("Min", "Min", "min", INT), m("Max", "Max", "max", INT)]),
            ),
            m(
                "AcceleratorTypes",
                "AcceleratorType",
                "acceleratorTypeSet",
                Form::List(&Form::Choice(&["gpu", "fpga", "inference", "media"]), "item"),
            ),
            m(
                "AcceleratorCount",
                "AcceleratorCount",
                "acceleratorCount",
                Form::Struct(&[m("Min", "Min", "min", INT), m("Max", "Max", "max", INT)]),
            ),
            m(
                "AcceleratorManufacturers",
                "AcceleratorManufacturer",
                "acceleratorManufacturerSet",
                Form::List(&Form::Choice(&["amazon-web-services", "amd", "nvidia", "xilinx", "habana"]), "item"),
            ),
            m("AcceleratorNames", "AcceleratorName", "acceleratorNameSet", Form::List(&TEXT, "item")),
            m(
                "AcceleratorTotalMemoryMiB",
                "AcceleratorTotalMemoryMiB",
                "acceleratorTotalMemoryMiB",
                Form::Struct(&[m("Min", "Min", "min", INT), m("Max", "Max", "max", INT)]),
            ),
            m(
                "NetworkBandwidthGbps",
                "NetworkBandwidthGbps",
                "networkBandwidthGbps",
                Form::Struct(&[m("Min", "Min", "min", FLOAT), m("Max", "Max", "max", FLOAT)]),
            ),
            m("AllowedInstanceTypes", "AllowedInstanceType", "allowedInstanceTypeSet", Form::List(&TEXT, "item")),
            m(
                "MaxSpotPriceAsPercentageOfOptimalOnDemandPrice",
                "MaxSpotPriceAsPercentageOfOptimalOnDemandPrice",
                "maxSpotPriceAsPercentageOfOptimalOnDemandPrice",
                INT,
            ),
            m(
                "BaselinePerformanceFactors",
                "BaselinePerformanceFactors",
                "baselinePerformanceFactors",
                Form::Struct(&[m(
                    "Cpu",
                    "Cpu",
                    "cpu",
                    Form::Struct(&[m(
                        "References",
                        "Reference",
                        "referenceSet",
                        Form::List(
                            &Form::Struct(&[m("InstanceFamily", "InstanceFamily", "instanceFamily", TEXT)]),
                            "item",
                        ),
                    )]),
                )]),
            ),
            m("RequireEncryptionInTransit", "RequireEncryptionInTransit", "requireEncryptionInTransit", BOOL),
        ]),
    ),
    m(
        "PrivateDnsNameOptions",
        "PrivateDnsNameOptions",
        "privateDnsNameOptions",
        Form::Struct(&[
            m("HostnameType", "HostnameType", "hostnameType", Form::Choice(&["ip-name", "resource-name"])),
            m("EnableResourceNameDnsARecord", "EnableResourceNameDnsARecord", "enableResourceNameDnsARecord", BOOL),
            m(
                "EnableResourceNameDnsAAAARecord",
                "EnableResourceNameDnsAAAARecord",
                "enableResourceNameDnsAAAARecord",
                BOOL,
            ),
        ]),
    ),
    m(
        "MaintenanceOptions",
        "MaintenanceOptions",
        "maintenanceOptions",
        Form::Struct(&[m("AutoRecovery", "AutoRecovery", "autoRecovery", Form::Choice(&["default", "disabled"]))]),
    ),
    m("DisableApiStop", "DisableApiStop", "disableApiStop", BOOL),
    m("Operator", "Operator", "operator", Form::Struct(&[m("Principal", "Principal", "principal", TEXT)])),
    m(
        "NetworkPerformanceOptions",
        "NetworkPerformanceOptions",
        "networkPerformanceOptions",
        Form::Struct(&[m(
            "BandwidthWeighting",
            "BandwidthWeighting",
            "bandwidthWeighting",
            Form::Choice(&["default", "vpc-1", "ebs-1"]),
        )]),
    ),
    m(
        "SecondaryInterfaces",
        "SecondaryInterface",
        "secondaryInterfaceSet",
        Form::List(
            &Form::Struct(&[
                m("DeleteOnTermination", "DeleteOnTermination", "deleteOnTermination", BOOL),
                m("DeviceIndex", "DeviceIndex", "deviceIndex", INT),
                m(
                    "PrivateIpAddresses",
                    "PrivateIpAddress",
                    "privateIpAddressesSet",
                    Form::List(
                        &Form::Struct(&[m("PrivateIpAddress", "PrivateIpAddress", "privateIpAddress", TEXT)]),
                        "item",
                    ),
                ),
                m("PrivateIpAddressCount", "PrivateIpAddressCount", "privateIpAddressCount", INT),
                m("SecondarySubnetId", "SecondarySubnetId", "secondarySubnetId", TEXT),
                m("InterfaceType", "InterfaceType", "interfaceType", Form::Choice(&["secondary"])),
                m("NetworkCardIndex", "NetworkCardIndex", "networkCardIndex", INT),
                m(
                    "Ipv6Addresses",
                    "Ipv6Address",
                    "ipv6AddressSet",
                    Form::List(&Form::Struct(&[m("Ipv6Address", "Ipv6Address", "ipv6Address", TEXT)]), "item"),
                ),
                m("Ipv6AddressCount", "Ipv6AddressCount", "ipv6AddressCount", INT),
                m("EnaQueueCount", "EnaQueueCount", "enaQueueCount", INT),
                m("VlanMode", "VlanMode", "vlanMode", Form::Choice(&["access"])),
            ]),
            "item",
        ),
    ),
];

/// Reads the members of `members` present under `scope`, in table order.
fn read_settings(scope: &Scope<'_>, members: &[Member]) -> Result<Vec<(String, Setting)>, AwsError> {
    let mut out = Vec::new();
    for member in members {
        if let Some(value) = read_setting(scope, member.query, &member.form)? {
            out.push((member.name.to_owned(), value));
        }
    }
    Ok(out)
}

fn read_setting(scope: &Scope<'_>, query: &str, form: &Form) -> Result<Option<Setting>, AwsError> {
    match form {
        Form::Struct(members) => {
            if !scope.has(query) {
                return Ok(None);
            }
            let members = read_settings(&scope.child(query), members)?;
            Ok((!members.is_empty()).then_some(Setting::Members(members)))
        }
        Form::List(item, _) => {
            let mut items = Vec::new();
            for entry in scope.ec2_list(query).map_err(bad_params)? {
                let value = match item {
                    Form::Struct(members) => Some(Setting::Members(read_settings(&entry, members)?)),
                    scalar => entry.value().map(|text| scalar_value(entry.prefix(), text, scalar)).transpose()?,
                };
                items.extend(value);
            }
            Ok((!items.is_empty()).then_some(Setting::Items(items)))
        }
        scalar => scope.get(query).map(|text| scalar_value(&scope.key(query), text, scalar)).transpose(),
    }
}

/// A scalar checked against its form; numbers and booleans as EC2 writes them back.
fn scalar_value(key: &str, text: &str, form: &Form) -> Result<Setting, AwsError> {
    let refuse = |expected| bad_params(QueryError::Invalid { key: key.to_owned(), value: text.to_owned(), expected });
    let value = match form {
        Form::Bool => match text {
            "true" | "false" => text.to_owned(),
            _ => return Err(refuse("a boolean")),
        },
        Form::Int => text.parse::<i64>().map_err(|_| refuse("an integer"))?.to_string(),
        Form::Float => {
            text.parse::<f64>().ok().filter(|value| value.is_finite()).ok_or_else(|| refuse("a number"))?.to_string()
        }
        Form::Choice(allowed) if !allowed.contains(&text) => {
            return Err(invalid(format!(
                "Value ({text}) for parameter {key} is invalid. Allowed values are [{}]",
                allowed.join(", ")
            )));
        }
        _ => text.to_owned(),
    };
    Ok(Setting::Value(value))
}

/// Writes the `settings` that `members` describe, in table order.
fn write_settings(xml: &mut XmlWriter, settings: &[(String, Setting)], members: &[Member]) {
    for member in members {
        if let Some((_, value)) = settings.iter().find(|(name, _)| name == member.name) {
            write_setting(xml, member.xml, value, &member.form);
        }
    }
}

fn write_setting(xml: &mut XmlWriter, name: &str, value: &Setting, form: &Form) {
    match (value, form) {
        (Setting::Members(members), Form::Struct(table)) => {
            xml.element(name, |xml| write_settings(xml, members, table));
        }
        (Setting::Items(items), Form::List(item_form, item_name)) => {
            xml.element(name, |xml| {
                for item in items {
                    write_setting(xml, item_name, item, item_form);
                }
            });
        }
        (Setting::Value(text), _) => {
            xml.text(name, text);
        }
        // A tree that does not fit its form was not written by this table: left out rather than guessed at.
        _ => {}
    }
}

/// `LaunchTemplateData.*`.
fn template_data(input: &Input<'_>) -> Result<LaunchTemplateData, AwsError> {
    let data: Scope<'_> = input.params.child("LaunchTemplateData");
    let strings = |name: &str| -> Result<Vec<String>, AwsError> {
        Ok(data.ec2_string_list(name).map_err(bad_params)?.into_iter().map(str::to_owned).collect())
    };
    let text = |scope: &Scope<'_>, name: &str| scope.get(name).map(str::to_owned);
    let mut tag_specifications = Vec::new();
    for spec in data.ec2_list("TagSpecification").map_err(bad_params)? {
        let kind = spec.required("ResourceType").map_err(bad_params)?.to_owned();
        let tags: Tags = input
            .tag_pairs(spec.ec2_list("Tag").map_err(bad_params)?)?
            .into_iter()
            .map(|(key, value)| (key, value.unwrap_or_default()))
            .collect();
        aws_model::ec2::check_tags(&tags).map_err(wire)?;
        tag_specifications.push((kind, tags));
    }
    let iam_instance_profile = if data.has("IamInstanceProfile") {
        let profile = data.child("IamInstanceProfile");
        Some(IamInstanceProfile { arn: text(&profile, "Arn"), name: text(&profile, "Name") })
    } else {
        None
    };
    let mut block_device_mappings = Vec::new();
    for mapping in data.ec2_list("BlockDeviceMapping").map_err(bad_params)? {
        let ebs = if mapping.has("Ebs") {
            let ebs = mapping.child("Ebs");
            Some(EbsBlockDevice {
                delete_on_termination: ebs.bool("DeleteOnTermination").map_err(bad_params)?,
                encrypted: ebs.bool("Encrypted").map_err(bad_params)?,
                iops: ebs.int("Iops").map_err(bad_params)?,
                kms_key_id: text(&ebs, "KmsKeyId"),
                snapshot_id: text(&ebs, "SnapshotId"),
                volume_size: ebs.int("VolumeSize").map_err(bad_params)?,
                volume_type: text(&ebs, "VolumeType"),
                throughput: ebs.int("Throughput").map_err(bad_params)?,
                volume_initialization_rate: ebs.int("VolumeInitializationRate").map_err(bad_params)?,
                ebs_card_index: ebs.int("EbsCardIndex").map_err(bad_params)?,
            })
        } else {
            None
        };
        block_device_mappings.push(BlockDeviceMapping {
            device_name: text(&mapping, "DeviceName"),
            virtual_name: text(&mapping, "VirtualName"),
            ebs,
            no_device: text(&mapping, "NoDevice"),
        });
    }
    let metadata_options = if data.has("MetadataOptions") {
        let options = data.child("MetadataOptions");
        Some(MetadataOptions {
            http_tokens: text(&options, "HttpTokens"),
            http_put_response_hop_limit: options.int("HttpPutResponseHopLimit").map_err(bad_params)?,
            http_endpoint: text(&options, "HttpEndpoint"),
            http_protocol_ipv6: text(&options, "HttpProtocolIpv6"),
            instance_metadata_tags: text(&options, "InstanceMetadataTags"),
        })
    } else {
        None
    };
    Ok(LaunchTemplateData {
        image_id: text(&data, "ImageId"),
        instance_type: text(&data, "InstanceType"),
        key_name: text(&data, "KeyName"),
        user_data: text(&data, "UserData"),
        security_group_ids: strings("SecurityGroupId")?,
        security_groups: strings("SecurityGroup")?,
        tag_specifications,
        iam_instance_profile,
        block_device_mappings,
        metadata_options,
        settings: read_settings(&data, SETTINGS)?,
    })
}

/// A `ResponseLaunchTemplateData`'s members.
fn data_xml(xml: &mut XmlWriter, data: &LaunchTemplateData) {
    xml.optional("imageId", data.image_id.as_deref())
        .optional("instanceType", data.instance_type.as_deref())
        .optional("keyName", data.key_name.as_deref())
        .optional("userData", data.user_data.as_deref());
    if !data.security_group_ids.is_empty() {
        xml.text_list("securityGroupIdSet", "item", data.security_group_ids.iter().map(String::as_str));
    }
    if !data.security_groups.is_empty() {
        xml.text_list("securityGroupSet", "item", data.security_groups.iter().map(String::as_str));
    }
    if !data.tag_specifications.is_empty() {
        xml.list("tagSpecificationSet", "item", &data.tag_specifications, |xml, (kind, tags)| {
            xml.text("resourceType", kind);
            tag_set(xml, Some(tags));
        });
    }
    if let Some(profile) = data.iam_instance_profile() {
        xml.element("iamInstanceProfile", |xml| {
            xml.optional("arn", profile.arn.as_deref()).optional("name", profile.name.as_deref());
        });
    }
    if !data.block_device_mappings.is_empty() {
        xml.list("blockDeviceMappingSet", "item", &data.block_device_mappings, |xml, mapping| {
            xml.optional("deviceName", mapping.device_name.as_deref())
                .optional("virtualName", mapping.virtual_name.as_deref());
            if let Some(ebs) = &mapping.ebs {
                xml.element("ebs", |xml| {
                    let number = |xml: &mut XmlWriter, name: &str, value: Option<i64>| {
                        if let Some(value) = value {
                            xml.value(name, value);
                        }
                    };
                    if let Some(encrypted) = ebs.encrypted {
                        xml.value("encrypted", encrypted);
                    }
                    if let Some(delete) = ebs.delete_on_termination {
                        xml.value("deleteOnTermination", delete);
                    }
                    number(xml, "iops", ebs.iops);
                    xml.optional("kmsKeyId", ebs.kms_key_id.as_deref())
                        .optional("snapshotId", ebs.snapshot_id.as_deref());
                    number(xml, "volumeSize", ebs.volume_size);
                    xml.optional("volumeType", ebs.volume_type.as_deref());
                    number(xml, "throughput", ebs.throughput);
                    number(xml, "volumeInitializationRate", ebs.volume_initialization_rate);
                    number(xml, "ebsCardIndex", ebs.ebs_card_index);
                });
            }
            xml.optional("noDevice", mapping.no_device.as_deref());
        });
    }
    if let Some(options) = &data.metadata_options {
        let options = options.with_defaults();
        xml.element("metadataOptions", |xml| {
            xml.optional("httpTokens", options.http_tokens.as_deref());
            if let Some(limit) = options.http_put_response_hop_limit {
                xml.value("httpPutResponseHopLimit", limit);
            }
            xml.optional("httpEndpoint", options.http_endpoint.as_deref())
                .optional("httpProtocolIpv6", options.http_protocol_ipv6.as_deref())
                .optional("instanceMetadataTags", options.instance_metadata_tags.as_deref());
        });
    }
    write_settings(xml, &data.settings, SETTINGS);
}

/// The template a request names by `LaunchTemplateId` or `LaunchTemplateName`, as owned strings.
fn named(input: &Input<'_>) -> (Option<String>, Option<String>) {
    (input.get("LaunchTemplateId"), input.get("LaunchTemplateName"))
}

pub(super) async fn create_launch_template(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let now = ec2.now();
    let request = CreateLaunchTemplate {
        name: input.required("LaunchTemplateName")?,
        version_description: input.get("VersionDescription"),
        data: template_data(&input)?,
        tags: input.tag_specifications("launch-template")?,
    };
    let creator = caller.arn.clone();
    let template = ec2
        .change(caller, &scopes::launch_templates(None), |network, ids| {
            network.create_launch_template(ids, &request, &creator, now)
        })
        .await
        .map_err(wire)?;
    let tags = request.tags.clone();
    call.xml(move |xml| {
        xml.element("launchTemplate", |xml| template_xml(xml, &template, Some(&tags)));
    })
}

pub(super) async fn create_launch_template_version(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let now = ec2.now();
    let (id, name) = named(&input);
    let which = TemplateName::from_request(id.as_deref(), name.as_deref()).map_err(wire)?;
    let data = template_data(&input)?;
    let source = input.get("SourceVersion");
    let description = input.get("VersionDescription");
    let creator = caller.arn.clone();
    let (template, version) = ec2
        .change(caller, &scopes::launch_templates(Some(&which)), |network, _| {
            network.create_launch_template_version(
                &which,
                source.as_deref(),
                description.as_deref(),
                &data,
                &creator,
                now,
            )
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.element("launchTemplateVersion", |xml| version_xml(xml, &template, &version));
    })
}

pub(super) async fn modify_launch_template(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let (id, name) = named(&input);
    let which = TemplateName::from_request(id.as_deref(), name.as_deref()).map_err(wire)?;
    let default_version = input.get("SetDefaultVersion");
    let (template, tags) = ec2
        .change(caller, &scopes::launch_templates(Some(&which)), |network, _| {
            let template = network.modify_launch_template(&which, default_version.as_deref())?;
            let tags = network.tags.get(&template.id).cloned();
            Ok((template, tags))
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.element("launchTemplate", |xml| template_xml(xml, &template, tags.as_ref()));
    })
}

pub(super) async fn describe_launch_templates(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("LaunchTemplateId")?;
    let names = input.strings("LaunchTemplateName")?;
    let filters = input.filters()?;
    let max = input.params.int("MaxResults").map_err(bad_params)?;
    let network = synced(api, ec2, caller, &scopes::launch_templates(None)).await?;
    let found: Vec<LaunchTemplate> =
        network.describe_launch_templates(&ids, &names, &filters).map_err(wire)?.into_iter().cloned().collect();
    let (page, token) = page(found, |t| t.id.clone(), max, input.get("NextToken").as_deref(), (1, 200))?;
    call.xml(move |xml| {
        xml.list("launchTemplates", "item", &page, |xml, template| {
            template_xml(xml, template, network.tags.get(&template.id));
        });
        xml.optional("nextToken", token.as_deref());
    })
}

pub(super) async fn describe_launch_template_versions(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let (id, name) = named(&input);
    let which = TemplateName::from_request(id.as_deref(), name.as_deref()).map_err(wire)?;
    let versions = input.strings("LaunchTemplateVersion")?;
    let (min, max) = (input.get("MinVersion"), input.get("MaxVersion"));
    let network = synced(api, ec2, caller, &scopes::launch_templates(Some(&which))).await?;
    let (template, found) =
        network.describe_launch_template_versions(&which, &versions, min.as_deref(), max.as_deref()).map_err(wire)?;
    let template = template.clone();
    let found: Vec<LaunchTemplateVersion> = found.into_iter().cloned().collect();
    call.xml(move |xml| {
        xml.list("launchTemplateVersionSet", "item", &found, |xml, version| {
            version_xml(xml, &template, version);
        });
    })
}

pub(super) async fn delete_launch_template_versions(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let (id, name) = named(&input);
    let which = TemplateName::from_request(id.as_deref(), name.as_deref()).map_err(wire)?;
    let versions = input.strings("LaunchTemplateVersion")?;
    let (template, outcomes) = ec2
        .change(caller, &scopes::launch_templates(Some(&which)), |network, _| {
            network.delete_launch_template_versions(&which, &versions)
        })
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        let (deleted, refused): (Vec<&VersionDeletion>, Vec<&VersionDeletion>) =
            outcomes.iter().partition(|outcome| outcome.refusal.is_none());
        let identify = |xml: &mut XmlWriter, outcome: &VersionDeletion| {
            xml.text("launchTemplateId", &template.id).text("launchTemplateName", &template.name);
            if let Some(number) = outcome.number {
                xml.value("versionNumber", number);
            }
        };
        xml.list("successfullyDeletedLaunchTemplateVersionSet", "item", deleted, |xml, outcome| {
            identify(xml, outcome);
        });
        xml.list("unsuccessfullyDeletedLaunchTemplateVersionSet", "item", refused, |xml, outcome| {
            identify(xml, outcome);
            if let Some((code, message)) = &outcome.refusal {
                xml.element("responseError", |xml| {
                    xml.text("code", code).text("message", message);
                });
            }
        });
    })
}

pub(super) async fn delete_launch_template(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let (id, name) = named(&input);
    let which = TemplateName::from_request(id.as_deref(), name.as_deref()).map_err(wire)?;
    let scope = scopes::launch_templates(Some(&which)).all(Kind::AutoScalingGroup);
    let network = synced(api, ec2, caller, &scope).await?;
    let wanted = network.launch_template(&which).map_err(wire)?.id.clone();
    if network.auto_scaling_groups.values().any(|group| group.launch_template.id == wanted) {
        return Err(AwsError::bad_request(
            "InvalidLaunchTemplateId.InUse",
            format!("Launch template {wanted} is in use by an Auto Scaling group and cannot be deleted."),
        ));
    }
    let template = ec2
        .change(caller, &scopes::launch_templates(Some(&which)), |network, _| network.delete_launch_template(&which))
        .await
        .map_err(wire)?;
    call.xml(move |xml| {
        xml.element("launchTemplate", |xml| template_xml(xml, &template, None));
    })
}

fn template_xml(xml: &mut XmlWriter, template: &LaunchTemplate, tags: Option<&Tags>) {
    xml.text("launchTemplateId", &template.id)
        .text("launchTemplateName", &template.name)
        .timestamp("createTime", timestamp(template.created_at))
        .text("createdBy", &template.created_by)
        .value("defaultVersionNumber", template.default_version)
        .value("latestVersionNumber", template.latest_version());
    tag_set(xml, tags);
}

fn version_xml(xml: &mut XmlWriter, template: &LaunchTemplate, version: &LaunchTemplateVersion) {
    xml.text("launchTemplateId", &template.id)
        .text("launchTemplateName", &template.name)
        .value("versionNumber", version.number);
    xml.optional("versionDescription", version.description.as_deref());
    xml.timestamp("createTime", timestamp(version.created_at))
        .text("createdBy", &version.created_by)
        .value("defaultVersion", version.number == template.default_version)
        .element("launchTemplateData", |xml| data_xml(xml, &version.data));
}

#[cfg(test)]
mod tests;

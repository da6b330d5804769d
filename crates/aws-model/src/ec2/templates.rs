//! EC2 launch templates: CreateLaunchTemplate, CreateLaunchTemplateVersion, ModifyLaunchTemplate,
//! DescribeLaunchTemplates, DescribeLaunchTemplateVersions, DeleteLaunchTemplateVersions and DeleteLaunchTemplate.
//! A version keeps every member of EC2's `RequestLaunchTemplateData`: typed where ekslite reads it (image,
//! instance type, key, user data, security groups, instance profile, block devices, metadata options, tag
//! specifications), and the rest as the [`Setting`] trees the request gave, answered back as given. A template's
//! record holds its name and default version; each version is a record of its own (`storage.rs`), so a template
//! with many versions of large user data never makes a large record.

use serde::{Deserialize, Serialize};

use super::network::{IdSource, check_filters, passes};
use super::{Ec2Error, Filter, Network, Tags};

/// A member of launch template data kept as the request gave it: a value, a structure's members, or a list's
/// items. The members ekslite does not read are kept this way (network interfaces, placement,
/// monitoring, CPU options, market options, ...): EC2 only stores and echoes them, and so does this model. Names
/// are the members' names in EC2's API model (`NetworkInterfaces`, `DeviceIndex`), not their wire names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Setting {
    Value(String),
    Members(Vec<(String, Setting)>),
    Items(Vec<Setting>),
}

impl Setting {
    /// The value, when this is one.
    pub fn value(&self) -> Option<&str> {
        match self {
            Setting::Value(text) => Some(text),
            _ => None,
        }
    }

    /// A member of a structure by name.
    pub fn member(&self, name: &str) -> Option<&Setting> {
        match self {
            Setting::Members(members) => members.iter().find(|(own, _)| own == name).map(|(_, value)| value),
            _ => None,
        }
    }

    /// The items of a list (none for anything else).
    pub fn items(&self) -> &[Setting] {
        match self {
            Setting::Items(items) => items,
            _ => &[],
        }
    }
}

/// The instance profile of the instances, by ARN or by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamInstanceProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The EBS volume of a block device mapping; every member optional, as in EC2.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EbsBlockDevice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_on_termination: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    /// GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_type: Option<String>,
    /// MiB/s, gp3 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<i64>,
    /// MiB/s at which a volume made from a snapshot is initialized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_initialization_rate: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ebs_card_index: Option<i64>,
}

/// A block device mapping of the instances.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDeviceMapping {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ebs: Option<EbsBlockDevice>,
    /// Present (usually empty) to suppress the device the image maps there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_device: Option<String>,
}

/// The instance metadata service options of the instances.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataOptions {
    /// `optional` or `required` (IMDSv2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_tokens: Option<String>,
    /// 1 to 64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_put_response_hop_limit: Option<i64>,
    /// `enabled` or `disabled`; EC2 answers `enabled` when it was not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_endpoint: Option<String>,
    /// `enabled` or `disabled`; EC2 answers `disabled` when it was not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_protocol_ipv6: Option<String>,
    /// `enabled` or `disabled`; EC2 answers `disabled` when it was not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_metadata_tags: Option<String>,
}

impl MetadataOptions {
    /// The options as EC2 answers them: what was set, and its defaults for the endpoint, IPv6 and tags.
    pub fn with_defaults(&self) -> MetadataOptions {
        let or = |own: &Option<String>, default: &str| Some(own.clone().unwrap_or_else(|| default.to_owned()));
        MetadataOptions {
            http_endpoint: or(&self.http_endpoint, "enabled"),
            http_protocol_ipv6: or(&self.http_protocol_ipv6, "disabled"),
            instance_metadata_tags: or(&self.instance_metadata_tags, "disabled"),
            ..self.clone()
        }
    }
}

/// What a launch template version sets; every member optional, as in EC2.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchTemplateData {
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    pub key_name: Option<String>,
    /// Base64, as given.
    pub user_data: Option<String>,
    pub security_group_ids: Vec<String>,
    pub security_groups: Vec<String>,
    /// Tags for the resources launched from it, by resource type (`instance`, `volume`, ...).
    pub tag_specifications: Vec<(String, Tags)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam_instance_profile: Option<IamInstanceProfile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub block_device_mappings: Vec<BlockDeviceMapping>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_options: Option<MetadataOptions>,
    /// Every other member given, by its name in EC2's API model (see [`Setting`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<(String, Setting)>,
}

impl LaunchTemplateData {
    /// The instance profile the instances get.
    pub fn iam_instance_profile(&self) -> Option<&IamInstanceProfile> {
        self.iam_instance_profile.as_ref()
    }

    /// A member kept as given (one not typed here), by its name in EC2's API model.
    pub fn setting(&self, name: &str) -> Option<&Setting> {
        self.settings.iter().find(|(own, _)| own == name).map(|(_, value)| value)
    }

    /// `self` over `base`: the members `self` sets win, each whole (as EC2 builds a version from a source version).
    fn over(&self, base: &LaunchTemplateData) -> LaunchTemplateData {
        fn pick<T: Clone>(own: &Option<T>, other: &Option<T>) -> Option<T> {
            own.clone().or_else(|| other.clone())
        }
        fn list<T: Clone>(own: &[T], other: &[T]) -> Vec<T> {
            if own.is_empty() { other.to_vec() } else { own.to_vec() }
        }
        let mut settings = base.settings.clone();
        for (name, value) in &self.settings {
            match settings.iter_mut().find(|(own, _)| own == name) {
                Some(slot) => slot.1 = value.clone(),
                None => settings.push((name.clone(), value.clone())),
            }
        }
        LaunchTemplateData {
            image_id: pick(&self.image_id, &base.image_id),
            instance_type: pick(&self.instance_type, &base.instance_type),
            key_name: pick(&self.key_name, &base.key_name),
            user_data: pick(&self.user_data, &base.user_data),
            security_group_ids: list(&self.security_group_ids, &base.security_group_ids),
            security_groups: list(&self.security_groups, &base.security_groups),
            tag_specifications: list(&self.tag_specifications, &base.tag_specifications),
            iam_instance_profile: pick(&self.iam_instance_profile, &base.iam_instance_profile),
            block_device_mappings: list(&self.block_device_mappings, &base.block_device_mappings),
            metadata_options: pick(&self.metadata_options, &base.metadata_options),
            settings,
        }
    }

    /// The checks EC2 makes of launch template data when a version is created.
    pub fn check(&self) -> Result<(), Ec2Error> {
        check_user_data(self)?;
        for mapping in &self.block_device_mappings {
            check_block_device(mapping)?;
        }
        if let Some(options) = &self.metadata_options {
            check_metadata_options(options)?;
        }
        if let Some(profile) = &self.iam_instance_profile
            && profile.arn.is_some()
            && profile.name.is_some()
        {
            return Err(Ec2Error::InvalidParameterCombination(
                "The parameter 'iamInstanceProfile.name' may not be used in combination with 'iamInstanceProfile.arn'"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// One version of a launch template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchTemplateVersion {
    pub number: u64,
    pub description: Option<String>,
    /// Unix seconds.
    pub created_at: f64,
    pub created_by: String,
    pub data: LaunchTemplateData,
}

/// A launch template and its versions, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchTemplate {
    pub id: String,
    pub name: String,
    /// Unix seconds.
    pub created_at: f64,
    pub created_by: String,
    pub default_version: u64,
    /// Stored as records of their own, so never serialized with the template (read from it only when moving a
    /// region of the one-record layout).
    #[serde(default, skip_serializing)]
    pub versions: Vec<LaunchTemplateVersion>,
}

impl LaunchTemplate {
    /// The highest version number.
    pub fn latest_version(&self) -> u64 {
        self.versions.last().map_or(1, |version| version.number)
    }

    /// A version by number, `$Latest` or `$Default`; `None` (absent) is the default version.
    pub fn version(&self, which: Option<&str>) -> Result<&LaunchTemplateVersion, Ec2Error> {
        let number = match which {
            None | Some("$Default") => Some(self.default_version),
            Some("$Latest") => Some(self.latest_version()),
            Some(text) => text.parse::<u64>().ok(),
        };
        number.and_then(|number| self.versions.iter().find(|version| version.number == number)).ok_or_else(|| {
            Ec2Error::LaunchTemplateVersionNotFound(format!(
                "Could not find launch template version {} for launch template {}.",
                which.unwrap_or("$Default"),
                self.id
            ))
        })
    }
}

/// A launch template as a request names it: by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateName<'a> {
    Id(&'a str),
    Name(&'a str),
}

impl<'a> TemplateName<'a> {
    /// From the `LaunchTemplateId` and `LaunchTemplateName` of a request: exactly one must be given.
    pub fn from_request(id: Option<&'a str>, name: Option<&'a str>) -> Result<TemplateName<'a>, Ec2Error> {
        match (id, name) {
            (Some(id), None) => Ok(TemplateName::Id(id)),
            (None, Some(name)) => Ok(TemplateName::Name(name)),
            (Some(_), Some(_)) => Err(Ec2Error::InvalidParameterCombination(
                "Either a launch template ID or a launch template name must be specified in the request, but not both."
                    .into(),
            )),
            (None, None) => Err(Ec2Error::MissingParameter(
                "The request must contain the parameter launchTemplateName or launchTemplateId".into(),
            )),
        }
    }
}

/// What CreateLaunchTemplate asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateLaunchTemplate {
    pub name: String,
    pub version_description: Option<String>,
    pub data: LaunchTemplateData,
    pub tags: Tags,
}

/// Names EC2 takes: 3 to 128 letters, digits and `( ) . - / _`.
fn valid_name(name: &str) -> bool {
    (3..=128).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"().-/_".contains(&b))
}

impl Network {
    /// A launch template by id or name.
    pub fn launch_template(&self, which: &TemplateName<'_>) -> Result<&LaunchTemplate, Ec2Error> {
        match which {
            TemplateName::Id(id) => self.launch_templates.get(id).ok_or_else(|| {
                Ec2Error::LaunchTemplateIdNotFound(format!(
                    "The specified launch template, with template ID {id}, does not exist."
                ))
            }),
            TemplateName::Name(name) => {
                self.launch_templates.values().find(|template| template.name == *name).ok_or_else(|| {
                    Ec2Error::LaunchTemplateNameNotFound(format!(
                        "The specified launch template, with template name {name}, does not exist."
                    ))
                })
            }
        }
    }

    /// CreateLaunchTemplate: a new template with version 1, its default.
    pub fn create_launch_template(
        &mut self,
        ids: &mut IdSource,
        input: &CreateLaunchTemplate,
        creator: &str,
        now: f64,
    ) -> Result<LaunchTemplate, Ec2Error> {
        if !valid_name(&input.name) {
            return Err(Ec2Error::LaunchTemplateNameMalformed(
                "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, \
                 and the following characters: - ( ) . / _.'"
                    .into(),
            ));
        }
        if self.launch_templates.values().any(|template| template.name == input.name) {
            return Err(Ec2Error::LaunchTemplateNameExists(format!(
                "Launch template name already in use: {}",
                input.name
            )));
        }
        check_description(input.version_description.as_deref())?;
        input.data.check()?;
        let template = LaunchTemplate {
            id: ids.id("lt"),
            name: input.name.clone(),
            created_at: now,
            created_by: creator.to_owned(),
            default_version: 1,
            versions: vec![LaunchTemplateVersion {
                number: 1,
                description: input.version_description.clone(),
                created_at: now,
                created_by: creator.to_owned(),
                data: input.data.clone(),
            }],
        };
        self.launch_templates.insert(template.id.clone(), template.clone());
        self.tag(&template.id, &input.tags);
        Ok(template)
    }

    /// CreateLaunchTemplateVersion: the next version number, its data laid over `source_version`'s if given.
    pub fn create_launch_template_version(
        &mut self,
        which: &TemplateName<'_>,
        source_version: Option<&str>,
        description: Option<&str>,
        data: &LaunchTemplateData,
        creator: &str,
        now: f64,
    ) -> Result<(LaunchTemplate, LaunchTemplateVersion), Ec2Error> {
        check_description(description)?;
        data.check()?;
        let template = self.launch_template(which)?;
        let data = match source_version {
            Some(source) => data.over(&template.version(Some(source))?.data),
            None => data.clone(),
        };
        let version = LaunchTemplateVersion {
            number: template.latest_version() + 1,
            description: description.map(str::to_owned),
            created_at: now,
            created_by: creator.to_owned(),
            data,
        };
        let id = template.id.clone();
        let template = self.launch_templates.get_mut(&id).expect("found above");
        template.versions.push(version.clone());
        Ok((template.clone(), version))
    }

    /// ModifyLaunchTemplate: makes another version the default.
    pub fn modify_launch_template(
        &mut self,
        which: &TemplateName<'_>,
        default_version: Option<&str>,
    ) -> Result<LaunchTemplate, Ec2Error> {
        let template = self.launch_template(which)?;
        let number = match default_version {
            Some(text) if text.parse::<u64>().is_err() => {
                return Err(Ec2Error::InvalidParameterValue(format!(
                    "Value ({text}) for parameter defaultVersion is invalid. A version number is expected."
                )));
            }
            Some(text) => template.version(Some(text))?.number,
            None => template.default_version,
        };
        let id = template.id.clone();
        let template = self.launch_templates.get_mut(&id).expect("found above");
        template.default_version = number;
        Ok(template.clone())
    }

    /// DeleteLaunchTemplateVersions: each version asked for is deleted or refused on its own (never the default
    /// one); at most [`MAX_VERSIONS_DELETED`] a call.
    pub fn delete_launch_template_versions(
        &mut self,
        which: &TemplateName<'_>,
        versions: &[String],
    ) -> Result<(LaunchTemplate, Vec<VersionDeletion>), Ec2Error> {
        if versions.is_empty() {
            return Err(Ec2Error::MissingParameter(
                "The request must contain the parameter LaunchTemplateVersion".into(),
            ));
        }
        if versions.len() > MAX_VERSIONS_DELETED {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "You can specify up to {MAX_VERSIONS_DELETED} launch template versions to delete in a request."
            )));
        }
        let template = self.launch_template(which)?.clone();
        let mut outcomes = Vec::new();
        let mut gone = Vec::new();
        for text in versions {
            let number = text.parse::<u64>().ok();
            let refusal = match number {
                Some(number) if number == template.default_version => Some((
                    "unexpectedError",
                    "Cannot delete the default version of a launch template. Set another version as the default \
                     version first.",
                )),
                Some(number) if template.versions.iter().any(|v| v.number == number) && !gone.contains(&number) => {
                    gone.push(number);
                    None
                }
                _ => {
                    Some(("launchTemplateVersionDoesNotExist", "The specified launch template version does not exist."))
                }
            };
            outcomes.push(VersionDeletion {
                version: text.clone(),
                number,
                refusal: refusal.map(|(code, message)| (code.to_owned(), message.to_owned())),
            });
        }
        let stored = self.launch_templates.get_mut(&template.id).expect("found above");
        stored.versions.retain(|version| !gone.contains(&version.number));
        Ok((stored.clone(), outcomes))
    }

    /// DescribeLaunchTemplates.
    pub fn describe_launch_templates(
        &self,
        ids: &[String],
        names: &[String],
        filters: &[Filter],
    ) -> Result<Vec<&LaunchTemplate>, Ec2Error> {
        check_filters(filters, &["launch-template-name", "launch-template-id"])?;
        for id in ids {
            self.launch_template(&TemplateName::Id(id))?;
        }
        for name in names {
            self.launch_template(&TemplateName::Name(name))?;
        }
        let mut out: Vec<&LaunchTemplate> = self
            .launch_templates
            .values()
            .filter(|t| (ids.is_empty() && names.is_empty()) || ids.contains(&t.id) || names.contains(&t.name))
            .filter(|t| {
                passes(filters, self.tags.get(&t.id), |name| match name {
                    "launch-template-name" => vec![t.name.clone()],
                    "launch-template-id" => vec![t.id.clone()],
                    _ => Vec::new(),
                })
            })
            .collect();
        out.sort_by(|a, b| a.created_at.total_cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// DescribeLaunchTemplateVersions: the versions asked for (numbers, `$Latest`, `$Default`), else those
    /// between `min` and `max`, else all; newest first as EC2 lists them.
    pub fn describe_launch_template_versions(
        &self,
        which: &TemplateName<'_>,
        versions: &[String],
        min: Option<&str>,
        max: Option<&str>,
    ) -> Result<(&LaunchTemplate, Vec<&LaunchTemplateVersion>), Ec2Error> {
        let template = self.launch_template(which)?;
        let bound = |text: Option<&str>| -> Result<Option<u64>, Ec2Error> {
            match text {
                None => Ok(None),
                Some(text) => template.version(Some(text)).map(|version| Some(version.number)),
            }
        };
        let mut out: Vec<&LaunchTemplateVersion> = if versions.is_empty() {
            let (min, max) = (bound(min)?, bound(max)?);
            template
                .versions
                .iter()
                .filter(|v| min.is_none_or(|min| v.number >= min) && max.is_none_or(|max| v.number <= max))
                .collect()
        } else {
            let mut picked = Vec::new();
            for text in versions {
                let version = template.version(Some(text))?;
                if !picked.iter().any(|v: &&LaunchTemplateVersion| v.number == version.number) {
                    picked.push(version);
                }
            }
            picked
        };
        out.sort_by_key(|version| std::cmp::Reverse(version.number));
        Ok((template, out))
    }

    /// DeleteLaunchTemplate: the template and all its versions.
    pub fn delete_launch_template(&mut self, which: &TemplateName<'_>) -> Result<LaunchTemplate, Ec2Error> {
        let id = self.launch_template(which)?.id.clone();
        self.untag(&id);
        Ok(self.launch_templates.remove(&id).expect("found above"))
    }
}

/// The most versions one DeleteLaunchTemplateVersions deletes.
pub const MAX_VERSIONS_DELETED: usize = 200;

/// What became of one version DeleteLaunchTemplateVersions was asked to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionDeletion {
    /// As asked.
    pub version: String,
    /// Its number, when it is one.
    pub number: Option<u64>,
    /// EC2's error code and message when it was not deleted.
    pub refusal: Option<(String, String)>,
}

/// The most bytes of user data an instance takes, before base64.
pub const MAX_USER_DATA_BYTES: usize = 16384;

/// User data must be base64 of at most [`MAX_USER_DATA_BYTES`] bytes, as EC2 checks it.
fn check_user_data(data: &LaunchTemplateData) -> Result<(), Ec2Error> {
    let Some(text) = data.user_data.as_deref() else { return Ok(()) };
    // Base64 of more than the limit is refused without decoding it.
    if text.len() > MAX_USER_DATA_BYTES.div_ceil(3) * 4 + 4 {
        return Err(Ec2Error::UserDataMalformed(format!("User data is limited to {MAX_USER_DATA_BYTES} bytes.")));
    }
    let decoded = crate::ids::unbase64(text.trim())
        .ok_or_else(|| Ec2Error::UserDataMalformed("Invalid BASE64 encoding of user data.".into()))?;
    if decoded.len() > MAX_USER_DATA_BYTES {
        return Err(Ec2Error::UserDataMalformed(format!("User data is limited to {MAX_USER_DATA_BYTES} bytes.")));
    }
    Ok(())
}

/// A block device mapping's EBS volume as EC2 checks it in a launch template: a known volume type, and a size,
/// IOPS and throughput that a volume of that type (gp2 when none is named) may have.
fn check_block_device(mapping: &BlockDeviceMapping) -> Result<(), Ec2Error> {
    let Some(ebs) = &mapping.ebs else { return Ok(()) };
    if let Some(volume_type) = &ebs.volume_type {
        super::volumes::check_type(volume_type)?;
    }
    let volume_type = ebs.volume_type.as_deref().unwrap_or("gp2");
    let whole = |value: Option<i64>, name: &str| -> Result<Option<u32>, Ec2Error> {
        value
            .map(|value| {
                u32::try_from(value).ok().filter(|value| *value > 0).ok_or_else(|| {
                    Ec2Error::InvalidParameterValue(format!("Value ({value}) for parameter {name} is invalid."))
                })
            })
            .transpose()
    };
    let size = whole(ebs.volume_size, "volumeSize")?;
    let iops = whole(ebs.iops, "iops")?;
    let throughput = whole(ebs.throughput, "throughput")?;
    if let Some(size) = size {
        match super::volumes::shape(volume_type, size, iops, throughput, None) {
            // IOPS of io1 and io2 may be left to the launch; everything else is refused now.
            Err(Ec2Error::MissingParameter(_)) | Ok(_) => {}
            Err(error) => return Err(error),
        }
    } else if throughput.is_some() && volume_type != "gp3" {
        return Err(Ec2Error::InvalidParameterCombination(
            "throughput can only be specified for volumeType gp3.".into(),
        ));
    }
    Ok(())
}

/// Metadata options as EC2 checks them: its enumerations and a hop limit of 1 to 64.
fn check_metadata_options(options: &MetadataOptions) -> Result<(), Ec2Error> {
    let one_of = |value: &Option<String>, name: &str, allowed: &[&str]| match value {
        Some(text) if !allowed.contains(&text.as_str()) => Err(Ec2Error::InvalidParameterValue(format!(
            "Value ({text}) for parameter {name} is invalid. Allowed values are [{}]",
            allowed.join(", ")
        ))),
        _ => Ok(()),
    };
    one_of(&options.http_tokens, "httpTokens", &["optional", "required"])?;
    one_of(&options.http_endpoint, "httpEndpoint", &["disabled", "enabled"])?;
    one_of(&options.http_protocol_ipv6, "httpProtocolIpv6", &["disabled", "enabled"])?;
    one_of(&options.instance_metadata_tags, "instanceMetadataTags", &["disabled", "enabled"])?;
    if let Some(limit) = options.http_put_response_hop_limit
        && !(1..=64).contains(&limit)
    {
        return Err(Ec2Error::InvalidParameterValue(format!(
            "Value ({limit}) for parameter httpPutResponseHopLimit is invalid. The hop limit must be between 1 and \
             64."
        )));
    }
    Ok(())
}

fn check_description(description: Option<&str>) -> Result<(), Ec2Error> {
    match description {
        Some(text) if text.chars().count() > 255 => Err(Ec2Error::InvalidParameterValue(
            "Value for parameter versionDescription is invalid. Maximum length is 255 characters.".into(),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;

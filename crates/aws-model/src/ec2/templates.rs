//! EC2 launch templates: CreateLaunchTemplate, CreateLaunchTemplateVersion, DescribeLaunchTemplates,
//! DescribeLaunchTemplateVersions and DeleteLaunchTemplate, with the members EKS users set in them (image,
//! instance type, key, user data, security groups, tags for the instances). A template's record holds its name and default version; each version is a record of
//! its own (`storage.rs`), so a template with many versions of large user data never makes a large record.

use serde::{Deserialize, Serialize};

use super::network::{IdSource, check_filters, passes};
use super::{Ec2Error, Filter, Network, Tags};

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
}

impl LaunchTemplateData {
    /// `self` over `base`: the members `self` sets win.
    fn over(&self, base: &LaunchTemplateData) -> LaunchTemplateData {
        let pick = |own: &Option<String>, other: &Option<String>| own.clone().or_else(|| other.clone());
        let list = |own: &Vec<String>, other: &Vec<String>| if own.is_empty() { other.clone() } else { own.clone() };
        LaunchTemplateData {
            image_id: pick(&self.image_id, &base.image_id),
            instance_type: pick(&self.instance_type, &base.instance_type),
            key_name: pick(&self.key_name, &base.key_name),
            user_data: pick(&self.user_data, &base.user_data),
            security_group_ids: list(&self.security_group_ids, &base.security_group_ids),
            security_groups: list(&self.security_groups, &base.security_groups),
            tag_specifications: if self.tag_specifications.is_empty() {
                base.tag_specifications.clone()
            } else {
                self.tag_specifications.clone()
            },
        }
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
        check_user_data(&input.data)?;
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
        check_user_data(data)?;
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

fn check_description(description: Option<&str>) -> Result<(), Ec2Error> {
    match description {
        Some(text) if text.chars().count() > 255 => Err(Ec2Error::InvalidParameterValue(
            "Value for parameter versionDescription is invalid. Maximum length is 255 characters.".into(),
        )),
        _ => Ok(()),
    }
}

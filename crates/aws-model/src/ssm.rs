//! SSM Parameter Store: parameters of type `String`, `StringList` and `SecureString` per account and region,
//! with their versions (at most 100, as AWS keeps), labels, tags, tiers (Standard up to 4 KB, Advanced up to
//! 8 KB), allowed patterns and data types (`text`, `aws:ec2:image`).
//!
//! Each parameter is one record, `/aws/<account>/<region>/ssm/parameter/<name>` ([`Records`]), its versions
//! inside, written with compare-and-swap, so a refused request leaves nothing behind. SecureString values are
//! kept as given and sealed on the way out unless the caller asks for decryption (there is no KMS: the key id is
//! checked for form only). The public parameters under `/aws/service/` are read-only and computed from the AMI
//! catalogue ([`public`]). [`names`] holds the naming rules.

pub mod activations;
pub mod names;
pub mod public;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::eks::Caller;
use crate::records::{RecordError, Records};
use names::{Selector, check_key_id, check_read_name, check_tag, check_write_name, split_selector, too_long};

/// The largest value of a Standard parameter, in bytes.
pub const STANDARD_VALUE_BYTES: usize = 4096;
/// The largest value of an Advanced parameter, in bytes.
pub const ADVANCED_VALUE_BYTES: usize = 8192;
/// The versions a parameter keeps.
pub const MAX_VERSIONS: usize = 100;
/// Standard parameters per account and region.
pub const MAX_STANDARD_PARAMETERS: usize = 10_000;
/// Tags per parameter.
pub const MAX_TAGS: usize = 50;
/// Labels per parameter version.
pub const MAX_LABELS: usize = 10;
/// The key SecureStrings are sealed with when no key id is given.
pub const DEFAULT_KEY_ID: &str = "alias/aws/ssm";

/// What Parameter Store answers with when it refuses; each variant is one of SSM's error codes.
#[derive(Debug, thiserror::Error)]
pub enum SsmError {
    /// `ValidationException`.
    #[error("{0}")]
    Validation(String),
    /// `AccessDeniedException`: a write under the reserved `/aws/` path.
    #[error("{0}")]
    AccessDenied(String),
    /// `ParameterNotFound`.
    #[error("{0}")]
    NotFound(String),
    /// `ParameterAlreadyExists`.
    #[error("The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")]
    AlreadyExists,
    /// `ParameterLimitExceeded`.
    #[error(
        "You have exceeded the number of parameters for this AWS account. Delete unnecessary parameters and try again."
    )]
    LimitExceeded,
    /// `HierarchyLevelLimitExceededException`.
    #[error("{0}")]
    HierarchyLevelLimitExceeded(String),
    /// `HierarchyTypeMismatchException`: an overwrite that changes a type to or from SecureString.
    #[error("{0}")]
    HierarchyTypeMismatch(String),
    /// `InvalidKeyId`.
    #[error("{0}")]
    InvalidKeyId(String),
    /// `ParameterVersionNotFound`.
    #[error("{0}")]
    VersionNotFound(String),
    /// `ParameterMaxVersionLimitExceeded`: the oldest of 100 versions has a label, so it cannot make room.
    #[error("{0}")]
    MaxVersionLimitExceeded(String),
    /// `ParameterPatternMismatchException`.
    #[error("Parameter value, cannot be validated against allowedPattern: {0}")]
    PatternMismatch(String),
    /// `InvalidAllowedPatternException`.
    #[error("{0}")]
    InvalidAllowedPattern(String),
    /// `UnsupportedParameterType`.
    #[error("{0}")]
    UnsupportedParameterType(String),
    /// `TooManyTagsError`.
    #[error("The number of tags on the resource exceeds the limit of 50.")]
    TooManyTags,
    /// `InvalidResourceId`.
    #[error("{0}")]
    InvalidResourceId(String),
    /// `InvalidResourceType`.
    #[error("{0}")]
    InvalidResourceType(String),
    /// `InvalidNextToken`.
    #[error("The specified token is not valid.")]
    InvalidNextToken,
    /// `InvalidFilterKey`.
    #[error("{0}")]
    InvalidFilterKey(String),
    /// `InvalidFilterOption`.
    #[error("{0}")]
    InvalidFilterOption(String),
    /// `InvalidFilterValue`.
    #[error("{0}")]
    InvalidFilterValue(String),
    /// `ParameterVersionLabelLimitExceeded`.
    #[error("A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.")]
    LabelLimitExceeded,
    /// `InvalidParameters`: a CreateActivation value the service refuses (an expiration date out of range).
    #[error("{0}")]
    InvalidParameters(String),
    /// `InvalidActivationId`: no such activation.
    #[error("{0}")]
    InvalidActivationId(String),
    /// `InvalidActivation`: an activation that cannot register (unknown, wrong code, expired, full).
    #[error("{0}")]
    InvalidActivation(String),
    /// `InvalidInstanceId`: no such managed instance.
    #[error("{0}")]
    InvalidInstanceId(String),
    /// `InvalidInstanceInformationFilterValue`.
    #[error("{0}")]
    InvalidInstanceInformationFilterValue(String),
    /// `TooManyUpdates`: the record kept changing under concurrent writers.
    #[error("There are concurrent updates for the resource that you're trying to modify. Try again later.")]
    TooManyUpdates,
    /// `InternalServerError`: the store failed.
    #[error("internal error: {0}")]
    Internal(#[source] RecordError),
}

impl From<RecordError> for SsmError {
    fn from(error: RecordError) -> Self {
        SsmError::Internal(error)
    }
}

/// `String`, `StringList` or `SecureString`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParameterType {
    String,
    StringList,
    SecureString,
}

impl ParameterType {
    /// The type SSM names `text`, refusing anything else with the model's enum message.
    pub fn parse(text: &str) -> Result<ParameterType, SsmError> {
        match text {
            "String" => Ok(ParameterType::String),
            "StringList" => Ok(ParameterType::StringList),
            "SecureString" => Ok(ParameterType::SecureString),
            other => Err(SsmError::Validation(format!(
                "1 validation error detected: Value '{other}' at 'type' failed to satisfy constraint: Member must \
                 satisfy enum value set: [SecureString, StringList, String]"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ParameterType::String => "String",
            ParameterType::StringList => "StringList",
            ParameterType::SecureString => "SecureString",
        }
    }
}

/// `Standard` or `Advanced` (Intelligent-Tiering picks one of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tier {
    Standard,
    Advanced,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Standard => "Standard",
            Tier::Advanced => "Advanced",
        }
    }
}

/// One version of a parameter, as stored and as the history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterVersion {
    pub version: i64,
    #[serde(rename = "type")]
    pub kind: ParameterType,
    /// The value as given (SecureStrings too; see [`Parameter::value`]).
    pub value: String,
    pub key_id: Option<String>,
    pub description: Option<String>,
    pub allowed_pattern: Option<String>,
    pub tier: Tier,
    pub data_type: String,
    /// Unix seconds.
    pub last_modified: i64,
    /// The ARN of the caller that wrote it.
    pub last_modified_user: String,
    pub labels: Vec<String>,
}

/// A parameter as stored: its name, tags and versions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredParameter {
    name: String,
    tags: BTreeMap<String, String>,
    // Invariant: never empty, versions only grow, at most MAX_VERSIONS kept.
    versions: Vec<ParameterVersion>,
}

impl StoredParameter {
    fn latest(&self) -> &ParameterVersion {
        self.versions.last().expect("a parameter has a version")
    }
}

/// A parameter as a read answers it: one version, with its value as the caller may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    pub arn: String,
    /// `:3` or `:label` when the read named one.
    pub selector: Option<String>,
    /// The value, sealed for a SecureString read without decryption.
    pub value: String,
    pub version: ParameterVersion,
}

/// What PutParameter asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutParameter {
    pub name: String,
    pub value: String,
    pub kind: Option<String>,
    pub key_id: Option<String>,
    pub overwrite: bool,
    pub description: Option<String>,
    pub allowed_pattern: Option<String>,
    pub tags: Vec<(String, String)>,
    pub tier: Option<String>,
    pub data_type: Option<String>,
    pub policies: Option<String>,
}

/// One `ParameterFilters` item: a key (`Type`, `KeyId`, `Label`, `Name`, `Path`, `Tier`, `DataType`,
/// `tag:<key>`), an option (`Equals` when absent) and values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParameterFilter {
    pub key: String,
    pub option: Option<String>,
    pub values: Vec<String>,
}

/// What GetParametersByPath asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ByPath {
    pub path: String,
    pub recursive: bool,
    pub filters: Vec<ParameterFilter>,
    pub decrypt: bool,
    pub max: Option<i64>,
    pub token: Option<String>,
}

/// A page of results and the token of the next one.
pub type Page<T> = (Vec<T>, Option<String>);

/// Parameter Store over the records of every account and region.
#[derive(Debug, Clone)]
pub struct Ssm {
    records: Records,
    clock: Arc<dyn Clock>,
    /// The Kubernetes versions the public EKS parameters cover (EKS's).
    versions: Vec<String>,
}

/// Seals a SecureString value as reads without decryption show it.
fn seal(key_id: &str, value: &str) -> String {
    crate::ids::base64(format!("ekslite-kms:{key_id}:{value}").as_bytes())
}

/// The ARN of a parameter of an account (the name's leading `/` is not repeated).
pub fn parameter_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:ssm:{region}:{account}:parameter/{}", name.trim_start_matches('/'))
}

/// Checks `MaxResults` against `1..=limit`; absent means `limit`.
fn max_results(max: Option<i64>, limit: i64) -> Result<usize, SsmError> {
    match max {
        None => Ok(limit as usize),
        Some(n) if n < 1 => Err(SsmError::Validation(format!(
            "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have \
             value greater than or equal to 1"
        ))),
        Some(n) if n > limit => Err(SsmError::Validation(format!(
            "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have \
             value less than or equal to {limit}"
        ))),
        Some(n) => Ok(n as usize),
    }
}

/// One page of `items` (sorted by `key`) after the token's key.
fn page<T>(items: Vec<T>, key: impl Fn(&T) -> String, limit: usize, token: Option<&str>) -> Result<Page<T>, SsmError> {
    let after = match token {
        None => None,
        Some(text) => Some(
            crate::ids::unbase64(text)
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or(SsmError::InvalidNextToken)?,
        ),
    };
    let mut rest: Vec<T> = items.into_iter().filter(|item| after.as_ref().is_none_or(|a| key(item) > *a)).collect();
    let more = rest.len() > limit;
    rest.truncate(limit);
    let next = if more { rest.last().map(|last| crate::ids::base64(key(last).as_bytes())) } else { None };
    Ok((rest, next))
}

/// Checks a list of names a batch read or delete is given: 1 to 10 of them.
fn check_name_list(names: &[String]) -> Result<(), SsmError> {
    if names.is_empty() || names.len() > 10 {
        let bound = if names.is_empty() { "greater than or equal to 1" } else { "less than or equal to 10" };
        return Err(SsmError::Validation(format!(
            "1 validation error detected: Value '[{}]' at 'names' failed to satisfy constraint: Member must have \
             length {bound}",
            names.join(", ")
        )));
    }
    Ok(())
}

/// A filter's option when it is one of `allowed` (the first when absent).
fn filter_option<'a>(filter: &'a ParameterFilter, allowed: &[&'a str]) -> Result<&'a str, SsmError> {
    let option = filter.option.as_deref().unwrap_or(allowed[0]);
    if !allowed.contains(&option) {
        return Err(SsmError::InvalidFilterOption(format!(
            "The following filter option is not valid: {option}. Valid options include: [{}].",
            allowed.join(", ")
        )));
    }
    Ok(option)
}

impl Ssm {
    /// Parameter Store over `records`; the public EKS parameters cover `versions`.
    pub fn new(records: Records, clock: Arc<dyn Clock>, versions: Vec<String>) -> Ssm {
        Ssm { records, clock, versions }
    }

    fn key(caller: &Caller, name: &str) -> String {
        Records::regional_key(&caller.account, &caller.region, "ssm", "parameter", name)
    }

    fn prefix(caller: &Caller) -> String {
        Records::regional_key(&caller.account, &caller.region, "ssm", "parameter", "")
    }

    fn now(&self) -> i64 {
        self.clock.now().floor() as i64
    }

    /// The current time in Unix seconds, by this model's clock.
    pub fn now_seconds(&self) -> i64 {
        self.now()
    }

    /// Every parameter of the caller's account and region, in name order.
    async fn all(&self, caller: &Caller) -> Result<Vec<StoredParameter>, SsmError> {
        let mut all: Vec<StoredParameter> =
            self.records.list(&Self::prefix(caller)).await?.into_iter().map(|stored| stored.value).collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    /// The public parameters of the caller's region, as parameters.
    fn public(&self, caller: &Caller) -> Vec<Parameter> {
        public::parameters(&caller.region, &self.versions)
            .into_iter()
            .map(|parameter| Parameter {
                arn: format!("arn:aws:ssm:{}::parameter{}", caller.region, parameter.name),
                name: parameter.name,
                selector: None,
                value: parameter.value.clone(),
                version: ParameterVersion {
                    version: 1,
                    kind: ParameterType::String,
                    value: parameter.value,
                    key_id: None,
                    description: None,
                    allowed_pattern: None,
                    tier: Tier::Standard,
                    data_type: "text".into(),
                    last_modified: parameter.last_modified,
                    last_modified_user: String::new(),
                    labels: Vec::new(),
                },
            })
            .collect()
    }

    fn view(caller: &Caller, name: &str, version: &ParameterVersion, decrypt: bool) -> Parameter {
        let value = match (&version.kind, decrypt) {
            (ParameterType::SecureString, false) => {
                seal(version.key_id.as_deref().unwrap_or(DEFAULT_KEY_ID), &version.value)
            }
            _ => version.value.clone(),
        };
        Parameter {
            name: name.to_owned(),
            arn: parameter_arn(&caller.region, &caller.account, name),
            selector: None,
            value,
            version: version.clone(),
        }
    }

    /// PutParameter: creates the parameter (version 1) or, with `overwrite`, adds a version. Answers the new
    /// version and its tier.
    pub async fn put_parameter(&self, caller: &Caller, input: &PutParameter) -> Result<(i64, Tier), SsmError> {
        check_write_name(&input.name)?;
        if input.value.is_empty() {
            return Err(SsmError::Validation(
                "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have \
                 length greater than or equal to 1"
                    .into(),
            ));
        }
        if let Some(description) = &input.description
            && description.chars().count() > 1024
        {
            return Err(too_long("description", description, 1024));
        }
        if input.policies.is_some() {
            return Err(SsmError::Validation("Parameter policies are not supported by this endpoint.".into()));
        }
        let kind = input.kind.as_deref().map(ParameterType::parse).transpose()?;
        let tier = match input.tier.as_deref() {
            None => None,
            Some("Standard") => Some(Some(Tier::Standard)),
            Some("Advanced") => Some(Some(Tier::Advanced)),
            Some("Intelligent-Tiering") => Some(None),
            Some(other) => {
                return Err(SsmError::Validation(format!(
                    "1 validation error detected: Value '{other}' at 'tier' failed to satisfy constraint: Member \
                     must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]"
                )));
            }
        };
        let data_type = input.data_type.clone();
        if let Some(data_type) = &data_type
            && !matches!(data_type.as_str(), "text" | "aws:ec2:image")
        {
            return Err(SsmError::Validation(format!(
                "The following data type is not supported: {data_type} (Data type names are all lowercase.)"
            )));
        }
        if let Some(pattern) = &input.allowed_pattern {
            if pattern.chars().count() > 1024 {
                return Err(too_long("allowedPattern", pattern, 1024));
            }
            let regex = regex::Regex::new(pattern).map_err(|_| {
                SsmError::InvalidAllowedPattern(format!(
                    "The allowed pattern {pattern} is not a valid regular expression."
                ))
            })?;
            if !regex.is_match(&input.value) {
                return Err(SsmError::PatternMismatch(pattern.clone()));
            }
        }
        if input.tags.len() > MAX_TAGS {
            return Err(SsmError::Validation(format!(
                "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length \
                 less than or equal to {MAX_TAGS}"
            )));
        }
        for (key, value) in &input.tags {
            check_tag(key, value)?;
        }
        if input.overwrite && !input.tags.is_empty() {
            return Err(SsmError::Validation(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please \
                 remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or \
                 RemoveTagsFromResource."
                    .into(),
            ));
        }
        if let Some(key_id) = &input.key_id {
            check_key_id(key_id)?;
        }
        let key = Self::key(caller, &input.name);
        for _ in 0..8 {
            let current = self.records.get::<StoredParameter>(&key).await?;
            if current.is_some() && !input.overwrite {
                return Err(SsmError::AlreadyExists);
            }
            let previous = current.as_ref().map(|stored| stored.value.latest().clone());
            let kind = match (kind, &previous) {
                (Some(kind), _) => kind,
                (None, Some(previous)) => previous.kind,
                (None, None) => {
                    return Err(SsmError::Validation(
                        "A parameter type is required when you create a parameter.".into(),
                    ));
                }
            };
            if let Some(previous) = &previous
                && previous.kind != kind
                && (previous.kind == ParameterType::SecureString || kind == ParameterType::SecureString)
            {
                return Err(SsmError::HierarchyTypeMismatch(format!(
                    "The parameter type can't be changed from {} to {}. Delete the parameter and create it again \
                     with the new type.",
                    previous.kind.as_str(),
                    kind.as_str()
                )));
            }
            let key_id = match (kind, &input.key_id) {
                (ParameterType::SecureString, Some(key_id)) => Some(key_id.clone()),
                (ParameterType::SecureString, None) => {
                    Some(previous.as_ref().and_then(|p| p.key_id.clone()).unwrap_or_else(|| DEFAULT_KEY_ID.to_owned()))
                }
                (_, Some(_)) => {
                    return Err(SsmError::Validation(
                        "KeyId is only valid for parameters of type SecureString.".into(),
                    ));
                }
                (_, None) => None,
            };
            let data_type = data_type
                .clone()
                .or_else(|| previous.as_ref().map(|p| p.data_type.clone()))
                .unwrap_or_else(|| "text".to_owned());
            if data_type == "aws:ec2:image" {
                if kind != ParameterType::String {
                    return Err(SsmError::UnsupportedParameterType(format!(
                        "The data type aws:ec2:image is only supported for parameters of type String, not {}.",
                        kind.as_str()
                    )));
                }
                if !crate::ec2::images::is_image_id(&input.value) {
                    return Err(SsmError::Validation(format!(
                        "Parameter value, {}, must be an EC2 image id (ami- followed by 8 or 17 hexadecimal digits) \
                         for the data type aws:ec2:image.",
                        input.value
                    )));
                }
            }
            let bytes = input.value.len();
            let tier = match (tier, previous.as_ref().map(|p| p.tier)) {
                (Some(Some(Tier::Standard)), Some(Tier::Advanced)) => {
                    return Err(SsmError::Validation(
                        "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the \
                         advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the \
                         advanced parameter and recreate it as a standard parameter."
                            .into(),
                    ));
                }
                (Some(Some(tier)), _) => tier,
                (Some(None), Some(Tier::Advanced)) => Tier::Advanced,
                (Some(None), _) if bytes > STANDARD_VALUE_BYTES => Tier::Advanced,
                (Some(None), _) => Tier::Standard,
                (None, previous) => previous.unwrap_or(Tier::Standard),
            };
            let limit = if tier == Tier::Standard { STANDARD_VALUE_BYTES } else { ADVANCED_VALUE_BYTES };
            if bytes > limit {
                return Err(SsmError::Validation(match tier {
                    Tier::Standard => "Standard tier parameters support a maximum parameter value of 4096 characters. \
                                       To create a larger parameter value, upgrade the parameter to use the \
                                       advanced-parameter tier. For more information, see \
                                       https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"
                        .into(),
                    Tier::Advanced => format!(
                        "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must \
                         have length less than or equal to {ADVANCED_VALUE_BYTES}"
                    ),
                }));
            }
            let version = ParameterVersion {
                version: previous.as_ref().map_or(1, |p| p.version + 1),
                kind,
                value: input.value.clone(),
                key_id,
                description: input
                    .description
                    .clone()
                    .or_else(|| previous.as_ref().and_then(|p| p.description.clone())),
                allowed_pattern: input
                    .allowed_pattern
                    .clone()
                    .or_else(|| previous.as_ref().and_then(|p| p.allowed_pattern.clone())),
                tier,
                data_type,
                last_modified: self.now(),
                last_modified_user: caller.arn.clone(),
                labels: Vec::new(),
            };
            let written = match current {
                None => {
                    let count = self.records.count_up_to(&Self::prefix(caller), MAX_STANDARD_PARAMETERS).await?;
                    if tier == Tier::Standard && count >= MAX_STANDARD_PARAMETERS {
                        return Err(SsmError::LimitExceeded);
                    }
                    let stored = StoredParameter {
                        name: input.name.clone(),
                        tags: input.tags.iter().cloned().collect(),
                        versions: vec![version.clone()],
                    };
                    self.records.create(&key, &stored).await.map(|_| ())
                }
                Some(mut stored) => {
                    if stored.value.versions.len() >= MAX_VERSIONS {
                        let oldest = &stored.value.versions[0];
                        if !oldest.labels.is_empty() {
                            return Err(SsmError::MaxVersionLimitExceeded(format!(
                                "You attempted to create a new version of {} by calling the PutParameter API with \
                                 the overwrite flag. Version {}, the oldest version, can't be deleted because it \
                                 has a label associated with it. Move the label to another version of the \
                                 parameter, and try again.",
                                input.name, oldest.version
                            )));
                        }
                        stored.value.versions.remove(0);
                    }
                    stored.value.versions.push(version.clone());
                    self.records.update(&key, &stored.value, stored.revision).await.map(|_| ())
                }
            };
            match written {
                Ok(()) => return Ok((version.version, tier)),
                Err(RecordError::Exists(_) | RecordError::Conflict(_) | RecordError::NotFound(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(SsmError::TooManyUpdates)
    }

    /// GetParameter: `name`, `name:<version>` or `name:<label>`.
    pub async fn get_parameter(&self, caller: &Caller, text: &str, decrypt: bool) -> Result<Parameter, SsmError> {
        let (name, selector) = split_selector(text)?;
        let not_found = || SsmError::NotFound(format!("Parameter {name} not found."));
        if name.starts_with(names::PUBLIC_PREFIX) {
            let found = self.public(caller).into_iter().find(|p| p.name == name).ok_or_else(not_found)?;
            return match selector {
                Selector::Latest | Selector::Version(1) => {
                    Ok(Parameter { selector: (selector != Selector::Latest).then(|| ":1".to_owned()), ..found })
                }
                Selector::Version(version) => Err(version_not_found(name, &version.to_string())),
                Selector::Label(label) => Err(version_not_found(name, &label)),
            };
        }
        let stored = self.records.get::<StoredParameter>(&Self::key(caller, name)).await?.ok_or_else(not_found)?.value;
        let (version, selector) = match &selector {
            Selector::Latest => (stored.latest(), None),
            Selector::Version(wanted) => (
                stored
                    .versions
                    .iter()
                    .find(|v| v.version == *wanted)
                    .ok_or_else(|| version_not_found(name, &wanted.to_string()))?,
                Some(format!(":{wanted}")),
            ),
            Selector::Label(label) => (
                stored
                    .versions
                    .iter()
                    .find(|v| v.labels.contains(label))
                    .ok_or_else(|| version_not_found(name, label))?,
                Some(format!(":{label}")),
            ),
        };
        Ok(Parameter { selector, ..Self::view(caller, &stored.name, version, decrypt) })
    }

    /// GetParameters: the parameters found, and the names that are not (or are not valid names).
    pub async fn get_parameters(
        &self,
        caller: &Caller,
        names: &[String],
        decrypt: bool,
    ) -> Result<(Vec<Parameter>, Vec<String>), SsmError> {
        check_name_list(names)?;
        let (mut found, mut invalid) = (Vec::new(), Vec::new());
        let mut seen = std::collections::BTreeSet::new();
        for name in names {
            if !seen.insert(name) {
                continue;
            }
            match self.get_parameter(caller, name, decrypt).await {
                Ok(parameter) => found.push(parameter),
                Err(SsmError::Internal(error)) => return Err(SsmError::Internal(error)),
                Err(_) => invalid.push(name.clone()),
            }
        }
        Ok((found, invalid))
    }

    /// GetParametersByPath: the parameters under `path` (one level down, or every level when `recursive`),
    /// filtered by Type, KeyId, Label, Tier, DataType or tags, in name order, at most 10 a page.
    pub async fn get_parameters_by_path(&self, caller: &Caller, query: &ByPath) -> Result<Page<Parameter>, SsmError> {
        let ByPath { path, recursive, filters, decrypt, max, token } = query;
        let (path, recursive, decrypt) = (path.as_str(), *recursive, *decrypt);
        check_read_name(path)?;
        if !path.starts_with('/') {
            return Err(SsmError::Validation(
                "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a \
                 forward slash \"/\"."
                    .into(),
            ));
        }
        let limit = max_results(*max, 10)?;
        for filter in filters {
            let known = ["Type", "KeyId", "Label", "Tier", "DataType"].contains(&filter.key.as_str())
                || filter.key.starts_with("tag:");
            if !known {
                return Err(SsmError::InvalidFilterKey(format!(
                    "The following filter key is not valid: {}. Valid filter keys include: [Type, KeyId, Label, \
                     Tier, DataType, tag:<key>].",
                    filter.key
                )));
            }
        }
        let base = if path == "/" { "/".to_owned() } else { format!("{}/", path.trim_end_matches('/')) };
        let under = |name: &str| {
            // A name outside any path (`name`) sits at the root, as `/name` does.
            let name = if name.starts_with('/') { name.to_owned() } else { format!("/{name}") };
            name.strip_prefix(&base).is_some_and(|rest| !rest.is_empty() && (recursive || !rest.contains('/')))
        };
        let candidates = if base.starts_with(names::PUBLIC_PREFIX) {
            let mut out = Vec::new();
            for parameter in self.public(caller).into_iter().filter(|p| under(&p.name)) {
                let unlabelled = filters.iter().all(|filter| filter.key != "Label");
                if unlabelled && matches_filters(&parameter, &BTreeMap::new(), filters)? {
                    out.push(parameter);
                }
            }
            out
        } else {
            self.user_candidates(caller, &under, filters, decrypt).await?
        };
        page(candidates, |p| p.name.clone(), limit, token.as_deref())
    }

    /// The caller's parameters whose names pass `under` and whose chosen version passes `filters`.
    async fn user_candidates(
        &self,
        caller: &Caller,
        under: &(dyn Fn(&str) -> bool + Sync),
        filters: &[ParameterFilter],
        decrypt: bool,
    ) -> Result<Vec<Parameter>, SsmError> {
        let label = filters.iter().find(|f| f.key == "Label");
        let mut out = Vec::new();
        for stored in self.all(caller).await?.into_iter().filter(|p| under(&p.name)) {
            let version = match label {
                None => Some(stored.latest()),
                Some(filter) => {
                    filter_option(filter, &["Equals"])?;
                    stored.versions.iter().rev().find(|v| v.labels.iter().any(|l| filter.values.contains(l)))
                }
            };
            let Some(version) = version else { continue };
            let parameter = Self::view(caller, &stored.name, version, decrypt);
            if matches_filters(&parameter, &stored.tags, filters)? {
                out.push(parameter);
            }
        }
        Ok(out)
    }

    /// DeleteParameter.
    pub async fn delete_parameter(&self, caller: &Caller, name: &str) -> Result<(), SsmError> {
        check_read_name(name)?;
        if name.starts_with(names::PUBLIC_PREFIX) {
            return Err(SsmError::AccessDenied(format!("No access to reserved parameter name: {name}.")));
        }
        let key = Self::key(caller, name);
        let stored = self
            .records
            .get::<StoredParameter>(&key)
            .await?
            .ok_or_else(|| SsmError::NotFound(format!("Parameter {name} not found.")))?;
        match self.records.delete(&key, Some(stored.revision)).await {
            Ok(()) => Ok(()),
            Err(RecordError::NotFound(_)) => Err(SsmError::NotFound(format!("Parameter {name} not found."))),
            Err(RecordError::Conflict(_)) => Err(SsmError::TooManyUpdates),
            Err(error) => Err(error.into()),
        }
    }

    /// DeleteParameters: the names deleted and those that were not (absent or not valid).
    pub async fn delete_parameters(
        &self,
        caller: &Caller,
        names: &[String],
    ) -> Result<(Vec<String>, Vec<String>), SsmError> {
        check_name_list(names)?;
        let (mut deleted, mut invalid) = (Vec::new(), Vec::new());
        for name in names {
            match self.delete_parameter(caller, name).await {
                Ok(()) => deleted.push(name.clone()),
                Err(SsmError::Internal(error)) => return Err(SsmError::Internal(error)),
                Err(_) => invalid.push(name.clone()),
            }
        }
        Ok((deleted, invalid))
    }

    /// DescribeParameters: the latest version of each of the caller's parameters that passes the filters
    /// (`Filters` of Name, Type and KeyId, or `ParameterFilters`; not both), in name order, 50 a page at most.
    pub async fn describe_parameters(
        &self,
        caller: &Caller,
        old_filters: &[ParameterFilter],
        filters: &[ParameterFilter],
        max: Option<i64>,
        token: Option<&str>,
    ) -> Result<Page<Parameter>, SsmError> {
        let limit = max_results(max, 50)?;
        if !old_filters.is_empty() && !filters.is_empty() {
            return Err(SsmError::Validation(
                "You can use either Filters or ParameterFilters in a single request.".into(),
            ));
        }
        for filter in old_filters {
            if !["Name", "Type", "KeyId"].contains(&filter.key.as_str()) {
                return Err(SsmError::Validation(format!(
                    "1 validation error detected: Value '{}' at 'filters.1.member.key' failed to satisfy constraint: \
                     Member must satisfy enum value set: [Name, Type, KeyId]",
                    filter.key
                )));
            }
        }
        for filter in filters {
            let known = ["Name", "Path", "Type", "KeyId", "Label", "Tier", "DataType"].contains(&filter.key.as_str())
                || filter.key.starts_with("tag:");
            if !known {
                return Err(SsmError::InvalidFilterKey(format!(
                    "The following filter key is not valid: {}. Valid filter keys include: [Name, Path, Type, KeyId, \
                     Label, Tier, DataType, tag:<key>].",
                    filter.key
                )));
            }
        }
        let mut out = Vec::new();
        for stored in self.all(caller).await? {
            let parameter = Self::view(caller, &stored.name, stored.latest(), false);
            let labels: Vec<&String> = stored.versions.iter().flat_map(|v| &v.labels).collect();
            let mut passes = matches_filters(&parameter, &stored.tags, old_filters)?
                && matches_filters(&parameter, &stored.tags, filters)?;
            if let Some(filter) = filters.iter().find(|f| f.key == "Label") {
                passes = passes && labels.iter().any(|l| filter.values.contains(l));
            }
            if passes {
                out.push(parameter);
            }
        }
        page(out, |p| p.name.clone(), limit, token)
    }

    /// GetParameterHistory: every kept version, oldest first, 50 a page at most.
    pub async fn get_parameter_history(
        &self,
        caller: &Caller,
        name: &str,
        decrypt: bool,
        max: Option<i64>,
        token: Option<&str>,
    ) -> Result<Page<Parameter>, SsmError> {
        check_read_name(name)?;
        let limit = max_results(max, 50)?;
        let not_found = || SsmError::NotFound(format!("Parameter {name} not found."));
        let versions: Vec<Parameter> = if name.starts_with(names::PUBLIC_PREFIX) {
            vec![self.public(caller).into_iter().find(|p| p.name == name).ok_or_else(not_found)?]
        } else {
            let stored =
                self.records.get::<StoredParameter>(&Self::key(caller, name)).await?.ok_or_else(not_found)?.value;
            stored.versions.iter().map(|version| Self::view(caller, &stored.name, version, decrypt)).collect()
        };
        page(versions, |p| format!("{:020}", p.version.version), limit, token)
    }

    /// LabelParameterVersion: puts `labels` on a version (the latest when `None`), moving each from the version
    /// that had it. Answers the labels refused for their form and the version labelled.
    pub async fn label_parameter_version(
        &self,
        caller: &Caller,
        name: &str,
        version: Option<i64>,
        labels: &[String],
    ) -> Result<(Vec<String>, i64), SsmError> {
        check_read_name(name)?;
        if labels.is_empty() || labels.len() > MAX_LABELS {
            return Err(SsmError::Validation(format!(
                "1 validation error detected: Value '[{}]' at 'labels' failed to satisfy constraint: Member must have \
                 length between 1 and 10",
                labels.join(", ")
            )));
        }
        let key = Self::key(caller, name);
        for _ in 0..8 {
            let mut stored = self
                .records
                .get::<StoredParameter>(&key)
                .await?
                .ok_or_else(|| SsmError::NotFound(format!("Parameter {name} not found.")))?;
            let wanted = version.unwrap_or_else(|| stored.value.latest().version);
            let index = stored
                .value
                .versions
                .iter()
                .position(|v| v.version == wanted)
                .ok_or_else(|| version_not_found(name, &wanted.to_string()))?;
            let (valid, invalid): (Vec<String>, Vec<String>) =
                labels.iter().cloned().partition(|label| names::is_label(label));
            for other in stored.value.versions.iter_mut() {
                other.labels.retain(|label| !valid.contains(label));
            }
            let target = &mut stored.value.versions[index];
            for label in valid {
                target.labels.push(label);
            }
            if target.labels.len() > MAX_LABELS {
                return Err(SsmError::LabelLimitExceeded);
            }
            match self.records.update(&key, &stored.value, stored.revision).await {
                Ok(_) => return Ok((invalid, wanted)),
                Err(RecordError::Conflict(_)) => continue,
                Err(RecordError::NotFound(_)) => {
                    return Err(SsmError::NotFound(format!("Parameter {name} not found.")));
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(SsmError::TooManyUpdates)
    }

    /// The parameter a tagging call names; other resource types hold nothing here.
    fn tag_key(caller: &Caller, resource_type: &str, id: &str) -> Result<String, SsmError> {
        const TYPES: &[&str] = &[
            "Document",
            "ManagedInstance",
            "MaintenanceWindow",
            "Parameter",
            "PatchBaseline",
            "OpsItem",
            "OpsMetadata",
            "Automation",
            "Association",
            "CloudConnector",
        ];
        if !TYPES.contains(&resource_type) {
            return Err(SsmError::Validation(format!(
                "1 validation error detected: Value '{resource_type}' at 'resourceType' failed to satisfy constraint: \
                 Member must satisfy enum value set: [{}]",
                TYPES.join(", ")
            )));
        }
        let invalid = || {
            SsmError::InvalidResourceId(format!("The resource ID \"{id}\" is not valid. Verify the ID and try again."))
        };
        if resource_type != "Parameter" || check_read_name(id).is_err() || id.starts_with(names::PUBLIC_PREFIX) {
            return Err(invalid());
        }
        Ok(Self::key(caller, id))
    }

    async fn change_tags(
        &self,
        caller: &Caller,
        resource_type: &str,
        id: &str,
        change: impl Fn(&mut BTreeMap<String, String>) -> Result<(), SsmError>,
    ) -> Result<(), SsmError> {
        let key = Self::tag_key(caller, resource_type, id)?;
        let invalid = || {
            SsmError::InvalidResourceId(format!("The resource ID \"{id}\" is not valid. Verify the ID and try again."))
        };
        for _ in 0..8 {
            let mut stored = self.records.get::<StoredParameter>(&key).await?.ok_or_else(invalid)?;
            change(&mut stored.value.tags)?;
            match self.records.update(&key, &stored.value, stored.revision).await {
                Ok(_) => return Ok(()),
                Err(RecordError::Conflict(_)) => continue,
                Err(RecordError::NotFound(_)) => return Err(invalid()),
                Err(error) => return Err(error.into()),
            }
        }
        Err(SsmError::TooManyUpdates)
    }

    /// AddTagsToResource: sets the tags (replacing values of keys it has), at most 50 in all.
    pub async fn add_tags(
        &self,
        caller: &Caller,
        resource_type: &str,
        id: &str,
        tags: &[(String, String)],
    ) -> Result<(), SsmError> {
        for (key, value) in tags {
            check_tag(key, value)?;
        }
        self.change_tags(caller, resource_type, id, |current| {
            for (key, value) in tags {
                current.insert(key.clone(), value.clone());
            }
            if current.len() > MAX_TAGS { Err(SsmError::TooManyTags) } else { Ok(()) }
        })
        .await
    }

    /// RemoveTagsFromResource.
    pub async fn remove_tags(
        &self,
        caller: &Caller,
        resource_type: &str,
        id: &str,
        keys: &[String],
    ) -> Result<(), SsmError> {
        self.change_tags(caller, resource_type, id, |current| {
            for key in keys {
                current.remove(key);
            }
            Ok(())
        })
        .await
    }

    /// ListTagsForResource, in key order.
    pub async fn list_tags(
        &self,
        caller: &Caller,
        resource_type: &str,
        id: &str,
    ) -> Result<BTreeMap<String, String>, SsmError> {
        let key = Self::tag_key(caller, resource_type, id)?;
        let stored = self.records.get::<StoredParameter>(&key).await?.ok_or_else(|| {
            SsmError::InvalidResourceId(format!("The resource ID \"{id}\" is not valid. Verify the ID and try again."))
        })?;
        Ok(stored.value.tags)
    }
}

fn version_not_found(name: &str, selector: &str) -> SsmError {
    SsmError::VersionNotFound(format!(
        "Systems Manager could not find version {selector} of {name}. Verify the version and try again."
    ))
}

/// Whether a parameter passes every filter (`Label` is applied by the caller, which picks the version).
fn matches_filters(
    parameter: &Parameter,
    tags: &BTreeMap<String, String>,
    filters: &[ParameterFilter],
) -> Result<bool, SsmError> {
    for filter in filters {
        if filter.values.is_empty() && !filter.key.starts_with("tag:") {
            return Err(SsmError::InvalidFilterValue(format!(
                "The following filter values are missing : null for filter key {}.",
                filter.key
            )));
        }
        let version = &parameter.version;
        let equals = |value: &str| -> Result<bool, SsmError> {
            filter_option(filter, &["Equals"])?;
            Ok(filter.values.iter().any(|wanted| wanted == value))
        };
        let passes = match filter.key.as_str() {
            "Type" => equals(version.kind.as_str())?,
            "KeyId" => equals(version.key_id.as_deref().unwrap_or(""))?,
            "Tier" => equals(version.tier.as_str())?,
            "DataType" => equals(&version.data_type)?,
            "Label" => true,
            "Name" => {
                let option = filter_option(filter, &["Equals", "BeginsWith", "Contains"])?;
                let name = parameter.name.trim_start_matches('/');
                filter.values.iter().any(|wanted| {
                    let wanted = wanted.trim_start_matches('/');
                    match option {
                        "Equals" => name == wanted,
                        "BeginsWith" => name.starts_with(wanted),
                        _ => name.contains(wanted),
                    }
                })
            }
            "Path" => {
                let option = filter_option(filter, &["OneLevel", "Recursive"])?;
                filter.values.iter().any(|path| {
                    let base = if path == "/" { "/".to_owned() } else { format!("{}/", path.trim_end_matches('/')) };
                    parameter.name.strip_prefix(&base).is_some_and(|rest| option == "Recursive" || !rest.contains('/'))
                })
            }
            key => {
                let tag = key.trim_start_matches("tag:");
                filter_option(filter, &["Equals"])?;
                match tags.get(tag) {
                    None => false,
                    Some(value) => filter.values.is_empty() || filter.values.contains(value),
                }
            }
        };
        if !passes {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests;

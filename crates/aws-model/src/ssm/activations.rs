//! Systems Manager hybrid activations and the managed instances registered with them: what an on-premises
//! machine (an EKS hybrid node) uses to get the credentials of an IAM role.
//!
//! `CreateActivation` hands out an id and a code; a machine's agent registers with both and becomes a managed
//! instance `mi-` plus 17 hex digits, acting as the activation's role in sessions named after that id. An
//! activation registers at most `RegistrationLimit` machines and none after its expiration date (24 hours by
//! default, 30 days at most). Deleting an activation leaves its managed instances registered, as AWS does;
//! `DeregisterManagedInstance` takes one away.
//!
//! Records: `/aws/<account>/<region>/ssm/activation/<id>` and `/aws/<account>/<region>/ssm/managedinstance/<id>`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::names::check_tag;
use super::{Page, Ssm, SsmError, max_results, page};
use crate::eks::Caller;
use crate::records::{RecordError, Records};

/// How long an activation lasts when no expiration date is given, in seconds.
pub const DEFAULT_LIFETIME: i64 = 24 * 3600;
/// The latest expiration date an activation may have, in seconds from its creation.
pub const MAX_LIFETIME: i64 = 30 * 24 * 3600;
/// The most machines one activation may register.
pub const MAX_REGISTRATIONS: i64 = 1000;

/// An activation as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activation {
    pub id: String,
    /// The secret a registering machine presents with the id.
    pub code: String,
    pub description: Option<String>,
    pub default_instance_name: Option<String>,
    /// The IAM role's name (its path included when it has one).
    pub iam_role: String,
    pub registration_limit: i64,
    pub registrations: i64,
    /// Unix seconds.
    pub expiration: i64,
    pub created: i64,
    pub tags: BTreeMap<String, String>,
}

impl Activation {
    /// Whether it is past its expiration date at `now`.
    pub fn expired(&self, now: i64) -> bool {
        now >= self.expiration
    }
}

/// A machine registered through an activation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedInstance {
    /// `mi-` plus 17 hex digits.
    pub id: String,
    pub activation_id: String,
    pub iam_role: String,
    /// The activation's default instance name.
    pub name: Option<String>,
    pub ip_address: String,
    pub computer_name: String,
    /// Unix seconds.
    pub registered: i64,
}

/// What CreateActivation asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateActivation {
    pub iam_role: String,
    pub description: Option<String>,
    pub default_instance_name: Option<String>,
    pub registration_limit: Option<i64>,
    /// Unix seconds.
    pub expiration: Option<i64>,
    pub tags: Vec<(String, String)>,
}

/// A `DescribeActivations` filter: `ActivationIds`, `DefaultInstanceName` or `IamRole`, and its values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivationFilter {
    pub key: String,
    pub values: Vec<String>,
}

/// A `DescribeInstanceInformation` filter, from either filter list: its key and values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceFilter {
    pub key: String,
    pub values: Vec<String>,
}

/// Whether `id` has the form of an activation id (a lowercase UUID).
pub fn is_activation_id(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(group, len)| {
            group.len() == len && group.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// Whether `id` has the form of a managed instance id (`mi-` plus 17 hex digits).
pub fn is_managed_instance_id(id: &str) -> bool {
    id.strip_prefix("mi-").is_some_and(|hex| hex.len() == 17 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn model_error(field: &str, value: &str, constraint: &str) -> SsmError {
    SsmError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
    ))
}

/// A fresh activation code: 20 letters and digits.
fn activation_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let hex = crate::ids::hex_lower(20);
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let byte = u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("0"), 16).unwrap_or(0);
            ALPHABET[usize::from(byte) % ALPHABET.len()] as char
        })
        .collect()
}

/// Tries a compare-and-swap this many times before answering `TooManyUpdates`.
const ATTEMPTS: usize = 8;

impl Ssm {
    fn activation_key(caller: &Caller, id: &str) -> String {
        Records::regional_key(&caller.account, &caller.region, "ssm", "activation", id)
    }

    fn instance_key(caller: &Caller, id: &str) -> String {
        Records::regional_key(&caller.account, &caller.region, "ssm", "managedinstance", id)
    }

    /// CreateActivation: checks the request as the service model does (the role's existence is the caller's
    /// to check: the model knows no IAM) and stores a new activation.
    pub async fn create_activation(&self, caller: &Caller, input: &CreateActivation) -> Result<Activation, SsmError> {
        if input.iam_role.is_empty() || input.iam_role.chars().count() > 64 {
            return Err(model_error("iamRole", &input.iam_role, "Member must have length less than or equal to 64"));
        }
        if let Some(description) = &input.description
            && description.chars().count() > 256
        {
            return Err(model_error("description", description, "Member must have length less than or equal to 256"));
        }
        if let Some(name) = &input.default_instance_name {
            if name.chars().count() > 256 {
                return Err(model_error(
                    "defaultInstanceName",
                    name,
                    "Member must have length less than or equal to 256",
                ));
            }
            let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
            if !name.chars().all(allowed) {
                return Err(model_error(
                    "defaultInstanceName",
                    name,
                    "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
                ));
            }
        }
        let limit = input.registration_limit.unwrap_or(1);
        if !(1..=MAX_REGISTRATIONS).contains(&limit) {
            let bound = if limit < 1 { "greater than or equal to 1" } else { "less than or equal to 1000" };
            return Err(model_error(
                "registrationLimit",
                &limit.to_string(),
                &format!("Member must have value {bound}"),
            ));
        }
        if input.tags.len() > 1000 {
            return Err(SsmError::Validation(
                "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length \
                 less than or equal to 1000"
                    .into(),
            ));
        }
        for (key, value) in &input.tags {
            check_tag(key, value)?;
        }
        let now = self.now();
        let expiration = input.expiration.unwrap_or(now + DEFAULT_LIFETIME);
        if expiration <= now {
            return Err(SsmError::InvalidParameters("ExpirationDate must be in the future.".into()));
        }
        if expiration > now + MAX_LIFETIME {
            return Err(SsmError::InvalidParameters(
                "ExpirationDate must be no more than 30 days from the current date.".into(),
            ));
        }
        let activation = Activation {
            id: crate::ids::uuid(),
            code: activation_code(),
            description: input.description.clone(),
            default_instance_name: input.default_instance_name.clone(),
            iam_role: input.iam_role.clone(),
            registration_limit: limit,
            registrations: 0,
            expiration,
            created: now,
            tags: input.tags.iter().cloned().collect(),
        };
        self.records.create(&Self::activation_key(caller, &activation.id), &activation).await?;
        Ok(activation)
    }

    /// DescribeActivations: the caller's activations, oldest first, filtered and paged (at most 50 a page).
    pub async fn describe_activations(
        &self,
        caller: &Caller,
        filters: &[ActivationFilter],
        max: Option<i64>,
        token: Option<&str>,
    ) -> Result<Page<Activation>, SsmError> {
        for filter in filters {
            if !matches!(filter.key.as_str(), "ActivationIds" | "DefaultInstanceName" | "IamRole") {
                return Err(model_error(
                    "filters.1.member.filterKey",
                    &filter.key,
                    "Member must satisfy enum value set: [ActivationIds, DefaultInstanceName, IamRole]",
                ));
            }
        }
        let limit = max_results(max, 50)?;
        let prefix = Self::activation_key(caller, "");
        let mut all: Vec<Activation> =
            self.records.list(&prefix).await?.into_iter().map(|stored| stored.value).collect();
        all.retain(|activation| {
            filters.iter().all(|filter| {
                let field = match filter.key.as_str() {
                    "ActivationIds" => Some(activation.id.as_str()),
                    "DefaultInstanceName" => activation.default_instance_name.as_deref(),
                    _ => Some(activation.iam_role.as_str()),
                };
                field.is_some_and(|field| filter.values.iter().any(|value| value == field))
            })
        });
        all.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        page(all, |activation| format!("{:020}/{}", activation.created, activation.id), limit, token)
    }

    /// DeleteActivation: the machines it registered stay registered.
    pub async fn delete_activation(&self, caller: &Caller, id: &str) -> Result<(), SsmError> {
        if !is_activation_id(id) {
            return Err(model_error(
                "activationId",
                id,
                "Member must satisfy regular expression pattern: ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
            ));
        }
        let key = Self::activation_key(caller, id);
        match self.records.delete(&key, None).await {
            Ok(()) => Ok(()),
            Err(RecordError::NotFound(_)) => {
                Err(SsmError::InvalidActivationId(format!("Activation ID {id} does not exist or has been deleted.")))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Registers a machine with an activation, as its agent does with the id and code it was given: the code must
    /// match, the activation must not have expired nor registered its limit. Answers the new managed instance.
    pub async fn register_managed_instance(
        &self,
        caller: &Caller,
        activation_id: &str,
        code: &str,
        ip_address: &str,
        computer_name: &str,
    ) -> Result<ManagedInstance, SsmError> {
        let invalid = || {
            SsmError::InvalidActivation(format!(
                "Activation {activation_id} does not exist, or its ActivationId and ActivationCode do not match."
            ))
        };
        if !is_activation_id(activation_id) {
            return Err(invalid());
        }
        let key = Self::activation_key(caller, activation_id);
        for _ in 0..ATTEMPTS {
            let Some(stored) = self.records.get::<Activation>(&key).await? else { return Err(invalid()) };
            let mut activation = stored.value;
            if activation.code != code {
                return Err(invalid());
            }
            let now = self.now();
            if activation.expired(now) {
                return Err(SsmError::InvalidActivation(format!("Activation {activation_id} has expired.")));
            }
            if activation.registrations >= activation.registration_limit {
                return Err(SsmError::InvalidActivation(format!(
                    "Activation {activation_id} has reached its registration limit of {}.",
                    activation.registration_limit
                )));
            }
            activation.registrations += 1;
            match self.records.update(&key, &activation, stored.revision).await {
                Ok(_) => {}
                Err(RecordError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
            let instance = ManagedInstance {
                id: format!("mi-{}", &crate::ids::hex_lower(9)[..17]),
                activation_id: activation.id.clone(),
                iam_role: activation.iam_role.clone(),
                name: activation.default_instance_name.clone(),
                ip_address: ip_address.to_owned(),
                computer_name: computer_name.to_owned(),
                registered: now,
            };
            self.records.create(&Self::instance_key(caller, &instance.id), &instance).await?;
            return Ok(instance);
        }
        Err(SsmError::TooManyUpdates)
    }

    /// A managed instance, if it is registered.
    pub async fn managed_instance(&self, caller: &Caller, id: &str) -> Result<Option<ManagedInstance>, SsmError> {
        if !is_managed_instance_id(id) {
            return Ok(None);
        }
        Ok(self.records.get::<ManagedInstance>(&Self::instance_key(caller, id)).await?.map(|stored| stored.value))
    }

    /// DeregisterManagedInstance.
    pub async fn deregister_managed_instance(&self, caller: &Caller, id: &str) -> Result<(), SsmError> {
        if !is_managed_instance_id(id) {
            return Err(model_error(
                "instanceId",
                id,
                "Member must satisfy regular expression pattern: (^mi-[0-9a-f]{17}$)|(^eks_c:[0-9A-Za-z][A-Za-z0-9\\-_]{0,99}_\\w{17}$)",
            ));
        }
        match self.records.delete(&Self::instance_key(caller, id), None).await {
            Ok(()) => Ok(()),
            Err(RecordError::NotFound(_)) => Err(SsmError::InvalidInstanceId(String::new())),
            Err(error) => Err(error.into()),
        }
    }

    /// DescribeInstanceInformation over the caller's managed instances (EC2 instances run no agent here), filtered
    /// by `InstanceIds`, `ActivationIds`, `IamRole`, `PingStatus` (`Online`), `PlatformTypes` (`Linux`) or
    /// `ResourceType` (`ManagedInstance`), paged 5 to 50 at a time.
    pub async fn describe_instance_information(
        &self,
        caller: &Caller,
        filters: &[InstanceFilter],
        max: Option<i64>,
        token: Option<&str>,
    ) -> Result<Page<ManagedInstance>, SsmError> {
        let limit = match max {
            Some(n) if !(5..=50).contains(&n) => {
                let bound = if n < 5 { "greater than or equal to 5" } else { "less than or equal to 50" };
                return Err(model_error("maxResults", &n.to_string(), &format!("Member must have value {bound}")));
            }
            Some(n) => n as usize,
            None => 50,
        };
        for filter in filters {
            if filter.values.is_empty() || filter.values.len() > 100 {
                return Err(SsmError::InvalidInstanceInformationFilterValue(format!(
                    "The filter {} needs 1 to 100 values.",
                    filter.key
                )));
            }
            let known = ["InstanceIds", "ActivationIds", "IamRole", "PingStatus", "PlatformTypes", "ResourceType"];
            if !known.contains(&filter.key.as_str()) && !filter.key.starts_with("tag:") {
                return Err(SsmError::InvalidFilterKey(format!("The filter key {} is not valid.", filter.key)));
            }
            if filter.key == "InstanceIds" && filter.values.iter().any(|id| !is_managed_instance_id(id)) {
                let ec2 = filter.values.iter().all(|id| id.starts_with("i-") || is_managed_instance_id(id));
                if !ec2 {
                    return Err(SsmError::InvalidInstanceId(String::new()));
                }
            }
        }
        let prefix = Self::instance_key(caller, "");
        let mut all: Vec<ManagedInstance> =
            self.records.list(&prefix).await?.into_iter().map(|stored| stored.value).collect();
        all.retain(|instance| {
            filters.iter().all(|filter| {
                let any = |field: &str| filter.values.iter().any(|value| value == field);
                match filter.key.as_str() {
                    "InstanceIds" => any(&instance.id),
                    "ActivationIds" => any(&instance.activation_id),
                    "IamRole" => any(&instance.iam_role),
                    "PingStatus" => any("Online"),
                    "PlatformTypes" => any("Linux"),
                    "ResourceType" => any("ManagedInstance"),
                    // Managed instances carry no tags here.
                    _ => false,
                }
            })
        });
        all.sort_by(|a, b| a.id.cmp(&b.id));
        page(all, |instance| instance.id.clone(), limit, token)
    }
}

#[cfg(test)]
mod tests;

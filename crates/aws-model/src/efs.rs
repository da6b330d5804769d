//! Amazon EFS: file systems, their mount targets (one per availability zone, each a requester-managed network
//! interface of type `efs` in its subnet, made through EC2's interface model) and access points, with lifecycle,
//! backup and file system policies and tags, under EFS's rules, limits and errors.
//!
//! Every resource is its own record: `efs/file-system/<fs-id>`, `efs/mount-target/<fsmt-id>`,
//! `efs/access-point/<fsap-id>`, plus the index records that make creation tokens and client tokens unique
//! (`efs/creation-token/<hex>`, `efs/client-token/<hex>`). A file system's record counts its mount targets and
//! access points, and every create or delete of one writes the child and the count in one store transaction that
//! holds only if the file system did not change meanwhile, so a file system is never deleted under a mount target
//! and two mount targets never share a zone.
//!
//! States: a create answers `creating`, as EFS does, and the resource reads `available` from then on (no clock);
//! deletes take effect at once.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use store::{Compare, TxnOp};

use crate::clock::Clock;
use crate::ec2::{CreateNetworkInterface, Ec2, Ec2Error, scopes};
use crate::eks::Caller;
use crate::records::{RecordError, Records};

/// Tags as a list of key and value, in the order they were set.
pub type Tags = Vec<(String, String)>;

/// The most file systems an account has in a region.
pub const MAX_FILE_SYSTEMS: usize = 1000;
/// The most access points a file system has.
pub const MAX_ACCESS_POINTS: u32 = 10_000;
/// The most security groups a mount target has.
pub const MAX_SECURITY_GROUPS: usize = 5;
/// The most tags a resource has.
pub const MAX_TAGS: usize = 50;
/// The size EFS reports for an empty file system: its metadata.
pub const EMPTY_SIZE: u64 = 6144;
/// The description EFS gives a mount target's network interface, before `fs-... (fsmt-...)`.
pub const INTERFACE_DESCRIPTION: &str = "EFS mount target for";

/// EFS's errors, each one of its wire error types.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EfsError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    ValidationException(String),
    #[error("{message}")]
    FileSystemAlreadyExists { message: String, file_system_id: String },
    #[error("{0}")]
    FileSystemNotFound(String),
    #[error("{0}")]
    FileSystemInUse(String),
    #[error("{0}")]
    FileSystemLimitExceeded(String),
    /// A resource not in a state the operation takes; EFS's states move at once here, so nothing answers it yet.
    #[error("{0}")]
    IncorrectFileSystemLifeCycleState(String),
    #[error("{0}")]
    MountTargetNotFound(String),
    #[error("{0}")]
    MountTargetConflict(String),
    #[error("{0}")]
    SubnetNotFound(String),
    #[error("{0}")]
    NoFreeAddressesInSubnet(String),
    #[error("{0}")]
    IpAddressInUse(String),
    #[error("{0}")]
    SecurityGroupNotFound(String),
    #[error("{0}")]
    SecurityGroupLimitExceeded(String),
    #[error("{0}")]
    AvailabilityZonesMismatch(String),
    #[error("{0}")]
    UnsupportedAvailabilityZone(String),
    #[error("{message}")]
    AccessPointAlreadyExists { message: String, access_point_id: String },
    #[error("{0}")]
    AccessPointNotFound(String),
    #[error("{0}")]
    AccessPointLimitExceeded(String),
    #[error("{0}")]
    PolicyNotFound(String),
    #[error("{0}")]
    InvalidPolicy(String),
    #[error("{0}")]
    InternalServerError(String),
}

impl From<RecordError> for EfsError {
    fn from(error: RecordError) -> Self {
        EfsError::InternalServerError(error.to_string())
    }
}

fn bad(message: impl Into<String>) -> EfsError {
    EfsError::BadRequest(message.into())
}

/// `1 validation error detected: Value '<value>' at '<member>' failed to satisfy constraint: <constraint>`.
fn invalid(value: &str, member: &str, constraint: &str) -> EfsError {
    let shown: String = value.chars().take(128).collect();
    bad(format!(
        "1 validation error detected: Value '{shown}' at '{member}' failed to satisfy constraint: {constraint}"
    ))
}

/// One lifecycle policy: exactly one of its members is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecyclePolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition_to_ia: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition_to_primary_storage_class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition_to_archive: Option<String>,
}

/// The transitions `TransitionToIA` and `TransitionToArchive` take.
const TRANSITION_RULES: &[&str] = &[
    "AFTER_1_DAY",
    "AFTER_7_DAYS",
    "AFTER_14_DAYS",
    "AFTER_30_DAYS",
    "AFTER_60_DAYS",
    "AFTER_90_DAYS",
    "AFTER_180_DAYS",
    "AFTER_270_DAYS",
    "AFTER_365_DAYS",
];

/// A file system, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSystem {
    pub id: String,
    pub owner_id: String,
    pub region: String,
    pub creation_token: String,
    /// Unix seconds.
    pub created: f64,
    pub performance_mode: String,
    pub throughput_mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned_mibps: Option<f64>,
    pub encrypted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// The zone of a One Zone file system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    pub tags: Tags,
    #[serde(default)]
    pub lifecycle_policies: Vec<LifecyclePolicy>,
    /// Automatic backups: `None` until a backup policy is set (or `Backup` asked for at creation).
    #[serde(default)]
    pub backup: Option<bool>,
    #[serde(default)]
    pub policy: Option<String>,
    pub mount_targets: u32,
    pub access_points: u32,
    /// `creating` in the create reply, `available` once stored.
    #[serde(skip, default = "available")]
    pub life_cycle_state: &'static str,
}

fn available() -> &'static str {
    "available"
}

impl FileSystem {
    pub fn arn(&self) -> String {
        format!("arn:aws:elasticfilesystem:{}:{}:file-system/{}", self.region, self.owner_id, self.id)
    }

    /// The value of its `Name` tag.
    pub fn name(&self) -> Option<&str> {
        self.tags.iter().find(|(key, _)| key == "Name").map(|(_, value)| value.as_str())
    }

    /// The zone id of a One Zone file system.
    pub fn availability_zone_id(&self) -> Option<String> {
        self.availability_zone.as_deref().and_then(|zone| zone_id(&self.region, zone))
    }
}

/// A mount target, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MountTarget {
    pub id: String,
    pub owner_id: String,
    pub file_system_id: String,
    pub subnet_id: String,
    pub vpc_id: String,
    pub availability_zone: String,
    pub availability_zone_id: String,
    pub ip_address: String,
    pub network_interface_id: String,
    pub security_groups: Vec<String>,
    #[serde(skip, default = "available")]
    pub life_cycle_state: &'static str,
}

/// The POSIX identity an access point enforces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosixUser {
    pub uid: i64,
    pub gid: i64,
    #[serde(default)]
    pub secondary_gids: Vec<i64>,
}

/// How EFS creates an access point's root directory when it is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreationInfo {
    pub owner_uid: i64,
    pub owner_gid: i64,
    pub permissions: String,
}

/// An access point, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessPoint {
    pub id: String,
    pub owner_id: String,
    pub region: String,
    pub file_system_id: String,
    pub client_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posix_user: Option<PosixUser>,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_info: Option<CreationInfo>,
    pub tags: Tags,
    #[serde(skip, default = "available")]
    pub life_cycle_state: &'static str,
}

impl AccessPoint {
    pub fn arn(&self) -> String {
        format!("arn:aws:elasticfilesystem:{}:{}:access-point/{}", self.region, self.owner_id, self.id)
    }

    pub fn name(&self) -> Option<&str> {
        self.tags.iter().find(|(key, _)| key == "Name").map(|(_, value)| value.as_str())
    }
}

/// What CreateFileSystem asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateFileSystem {
    pub creation_token: String,
    pub performance_mode: Option<String>,
    pub throughput_mode: Option<String>,
    pub provisioned_mibps: Option<f64>,
    pub encrypted: bool,
    pub kms_key_id: Option<String>,
    pub availability_zone: Option<String>,
    pub backup: Option<bool>,
    pub tags: Tags,
}

/// What CreateMountTarget asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateMountTarget {
    pub file_system_id: String,
    pub subnet_id: String,
    pub ip_address: Option<String>,
    pub security_groups: Vec<String>,
}

/// What CreateAccessPoint asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateAccessPoint {
    pub client_token: String,
    pub file_system_id: String,
    pub posix_user: Option<PosixUser>,
    pub path: Option<String>,
    pub creation_info: Option<CreationInfo>,
    pub tags: Tags,
}

/// What DescribeMountTargets names: one of a file system, a mount target or an access point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountTargetQuery {
    FileSystem(String),
    MountTarget(String),
    AccessPoint(String),
}

/// A page: the items and the marker of the next page.
pub type Page<T> = (Vec<T>, Option<String>);

/// The EFS service of one server.
#[derive(Debug, Clone)]
pub struct Efs {
    records: Records,
    clock: Arc<dyn Clock>,
    ec2: Ec2,
}

/// Whether `id` is `<prefix>-` and 8 to 40 lowercase hex digits.
fn is_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('-')).is_some_and(|hex| {
        (8..=40).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// A new id: the prefix and 17 hex digits, as EFS's long ids.
fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", &crate::ids::hex_lower(9)[..17])
}

/// The id in a file system id or ARN (`arn:aws:elasticfilesystem:<region>:<account>:file-system/fs-...`).
pub fn file_system_id(text: &str, member: &str) -> Result<String, EfsError> {
    resource_id(text, member, "file-system", "fs")
}

/// The id in an access point id or ARN.
pub fn access_point_id(text: &str, member: &str) -> Result<String, EfsError> {
    resource_id(text, member, "access-point", "fsap")
}

fn resource_id(text: &str, member: &str, kind: &str, prefix: &str) -> Result<String, EfsError> {
    let id = match text.strip_prefix("arn:") {
        Some(_) => {
            let parts: Vec<&str> = text.splitn(6, ':').collect();
            let well_formed = parts.len() == 6
                && parts[1].starts_with("aws")
                && parts[2] == "elasticfilesystem"
                && parts[5].starts_with(&format!("{kind}/"));
            if well_formed { parts[5].split_once('/').map_or("", |(_, id)| id) } else { "" }
        }
        None => text,
    };
    if text.len() > 128 || !is_id(id, prefix) {
        let pattern = format!(
            "^(arn:aws[-a-z]*:elasticfilesystem:[0-9a-z-:]+:{kind}/{prefix}-[0-9a-f]{{8,40}}|{prefix}-[0-9a-f]{{8,40}})$"
        );
        return Err(invalid(text, member, &format!("Member must satisfy regular expression pattern: {pattern}")));
    }
    Ok(id.to_owned())
}

/// Checks a mount target id.
pub fn mount_target_id(text: &str, member: &str) -> Result<String, EfsError> {
    if !is_id(text, "fsmt") {
        return Err(invalid(text, member, "Member must satisfy regular expression pattern: ^fsmt-[0-9a-f]{8,40}$"));
    }
    Ok(text.to_owned())
}

/// The zone id of a zone name of `region`.
fn zone_id(region: &str, zone: &str) -> Option<String> {
    crate::ec2::zones::zones(region).into_iter().find(|z| z.name == zone).map(|z| z.id)
}

/// A character of the tag pattern `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
}

/// Checks tags: keys 1 to 128 characters, values at most 256, both of the tag pattern; no `aws:` keys; at most
/// [`MAX_TAGS`] once merged with `existing`.
pub fn check_tags(tags: &Tags, existing: &Tags) -> Result<(), EfsError> {
    for (index, (key, value)) in tags.iter().enumerate() {
        let n = index + 1;
        if key.is_empty() || key.chars().count() > 128 {
            return Err(invalid(key, &format!("tags.{n}.member.key"), "Member must have length between 1 and 128"));
        }
        if !key.chars().all(tag_char) {
            return Err(invalid(
                key,
                &format!("tags.{n}.member.key"),
                r"Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$",
            ));
        }
        if value.chars().count() > 256 {
            return Err(invalid(
                value,
                &format!("tags.{n}.member.value"),
                "Member must have length less than or equal to 256",
            ));
        }
        if !value.chars().all(tag_char) {
            return Err(invalid(
                value,
                &format!("tags.{n}.member.value"),
                r"Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$",
            ));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(bad(format!("Tag key '{key}' uses the reserved prefix 'aws:'.")));
        }
    }
    let mut merged = existing.clone();
    merge_tags(&mut merged, tags);
    if merged.len() > MAX_TAGS {
        return Err(bad(format!("A resource can have at most {MAX_TAGS} tags.")));
    }
    Ok(())
}

/// Sets each tag of `tags` on `existing`: a key already there takes the new value in place.
fn merge_tags(existing: &mut Tags, tags: &Tags) {
    for (key, value) in tags {
        match existing.iter_mut().find(|(k, _)| k == key) {
            Some(found) => found.1 = value.clone(),
            None => existing.push((key.clone(), value.clone())),
        }
    }
}

/// Checks a token (CreationToken, ClientToken): 1 to 64 characters.
fn check_token(token: &str, member: &str) -> Result<(), EfsError> {
    let length = token.chars().count();
    if !(1..=64).contains(&length) {
        return Err(invalid(token, member, "Member must have length between 1 and 64"));
    }
    if token.contains('\0') {
        return Err(invalid(token, member, "Member must satisfy regular expression pattern: .+"));
    }
    Ok(())
}

/// Checks a POSIX id: 0 to 4294967295.
fn check_posix_id(value: i64, member: &str) -> Result<(), EfsError> {
    if !(0..=4_294_967_295).contains(&value) {
        return Err(invalid(&value.to_string(), member, "Member must have value between 0 and 4294967295"));
    }
    Ok(())
}

/// Checks an access point's root directory path: `/`, or one to four components that neither are empty nor start
/// with a dot nor hold any of `$#<>;`|&?{}^*` or a newline, at most 100 characters.
pub fn check_path(path: &str) -> Result<(), EfsError> {
    let pattern = r"Member must satisfy regular expression pattern: ^(\/|(\/(?!\.)+[^$#<>;`|&?{}^*/\n]+){1,4})$";
    if path.is_empty() || path.chars().count() > 100 {
        return Err(invalid(path, "rootDirectory.path", "Member must have length between 1 and 100"));
    }
    if path == "/" {
        return Ok(());
    }
    let Some(rest) = path.strip_prefix('/') else { return Err(invalid(path, "rootDirectory.path", pattern)) };
    let components: Vec<&str> = rest.split('/').collect();
    let fine = components.len() <= 4
        && components.iter().all(|component| {
            !component.is_empty()
                && !component.starts_with('.')
                && !component.chars().any(|c| "$#<>;`|&?{}^*\n".contains(c) || c.is_control())
        });
    if !fine {
        return Err(invalid(path, "rootDirectory.path", pattern));
    }
    Ok(())
}

fn not_found(id: &str) -> EfsError {
    EfsError::FileSystemNotFound(format!("File system '{id}' does not exist."))
}

fn hex_of(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// A page of `items` from the item whose id is `marker`, at most `max` long.
fn page<T>(
    items: Vec<T>,
    id: impl Fn(&T) -> &str,
    max: Option<i64>,
    marker: Option<&str>,
    default_max: usize,
    member: &str,
) -> Result<Page<T>, EfsError> {
    let limit = match max {
        None => default_max,
        Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX).min(default_max.max(100)),
        Some(n) => return Err(invalid(&n.to_string(), member, "Member must have value greater than or equal to 1")),
    };
    let start = match marker {
        None => 0,
        Some(marker) => items
            .iter()
            .position(|item| id(item) == marker)
            .ok_or_else(|| bad(format!("Invalid marker '{marker}'.")))?,
    };
    let next = items.get(start + limit).map(|item| id(item).to_owned());
    Ok((items.into_iter().skip(start).take(limit).collect(), next))
}

/// How a failed EC2 change reads as an EFS error.
fn ec2_error(error: Ec2Error, subnet_id: &str, ip: Option<&str>) -> EfsError {
    match error {
        Ec2Error::SubnetNotFound(_) => EfsError::SubnetNotFound(format!("The subnet ID '{subnet_id}' does not exist")),
        Ec2Error::GroupNotFound(message) => EfsError::SecurityGroupNotFound(message),
        Ec2Error::NoFreeAddress(_) => {
            EfsError::NoFreeAddressesInSubnet(format!("The subnet '{subnet_id}' does not have any free IP addresses."))
        }
        Ec2Error::InvalidParameterValue(message) if message.contains("in use") => EfsError::IpAddressInUse(format!(
            "The IP address {} is already in use in the subnet '{subnet_id}'.",
            ip.unwrap_or_default()
        )),
        Ec2Error::InvalidParameterValue(message) => bad(message),
        other => EfsError::InternalServerError(other.to_string()),
    }
}

impl Efs {
    /// EFS over `records`; mount targets make their network interfaces in `ec2`.
    pub fn new(records: Records, clock: Arc<dyn Clock>, ec2: Ec2) -> Efs {
        Efs { records, clock, ec2 }
    }

    /// The current time, as replies report sizes at.
    pub fn now(&self) -> f64 {
        self.clock.now()
    }

    fn key(caller: &Caller, kind: &str, id: &str) -> String {
        Records::regional_key(&caller.account, &caller.region, "efs", kind, id)
    }

    async fn file_system_record(&self, caller: &Caller, id: &str) -> Result<(FileSystem, store::Revision), EfsError> {
        let found = self.records.get::<FileSystem>(&Self::key(caller, "file-system", id)).await?;
        found.map(|stored| (stored.value, stored.revision)).ok_or_else(|| not_found(id))
    }

    /// A file system by id or ARN.
    pub async fn file_system(&self, caller: &Caller, id: &str) -> Result<FileSystem, EfsError> {
        let id = file_system_id(id, "fileSystemId")?;
        Ok(self.file_system_record(caller, &id).await?.0)
    }

    /// CreateFileSystem. The creation token is unique in the account and region: a second create with one answers
    /// `FileSystemAlreadyExists` naming the file system it made.
    pub async fn create_file_system(&self, caller: &Caller, input: CreateFileSystem) -> Result<FileSystem, EfsError> {
        check_token(&input.creation_token, "creationToken")?;
        let performance_mode = input.performance_mode.clone().unwrap_or_else(|| "generalPurpose".into());
        if !["generalPurpose", "maxIO"].contains(&performance_mode.as_str()) {
            return Err(invalid(
                &performance_mode,
                "performanceMode",
                "Member must satisfy enum value set: [generalPurpose, maxIO]",
            ));
        }
        let throughput_mode = input.throughput_mode.clone().unwrap_or_else(|| "bursting".into());
        if !["bursting", "provisioned", "elastic"].contains(&throughput_mode.as_str()) {
            return Err(invalid(
                &throughput_mode,
                "throughputMode",
                "Member must satisfy enum value set: [bursting, provisioned, elastic]",
            ));
        }
        check_throughput(&throughput_mode, input.provisioned_mibps)?;
        if performance_mode == "maxIO" && throughput_mode == "elastic" {
            return Err(bad("Performance mode maxIO is not supported with throughput mode elastic."));
        }
        if let Some(key) = &input.kms_key_id {
            if !input.encrypted {
                return Err(bad("KmsKeyId is only valid when Encrypted is true."));
            }
            if key.is_empty() || key.len() > 2048 || key.chars().any(char::is_control) {
                return Err(invalid(key, "kmsKeyId", "Member must have length less than or equal to 2048"));
            }
        }
        if let Some(zone) = &input.availability_zone {
            if zone_id(&caller.region, zone).is_none() {
                return Err(EfsError::UnsupportedAvailabilityZone(format!(
                    "The requested Availability Zone '{}' is not supported.",
                    zone.chars().take(64).collect::<String>()
                )));
            }
            if performance_mode == "maxIO" {
                return Err(bad("One Zone file systems do not support performance mode maxIO."));
            }
        }
        check_tags(&input.tags, &Tags::new())?;
        let prefix = Records::regional_key(&caller.account, &caller.region, "efs", "file-system", "");
        let token_key = Self::key(caller, "creation-token", &hex_of(&input.creation_token));
        let now = self.clock.now();
        for _ in 0..16 {
            if let Some(existing) = self.records.get::<String>(&token_key).await? {
                return Err(EfsError::FileSystemAlreadyExists {
                    message: format!(
                        "File system '{}' already exists with creation token '{}'",
                        existing.value, input.creation_token
                    ),
                    file_system_id: existing.value,
                });
            }
            if self.records.count_up_to(&prefix, MAX_FILE_SYSTEMS + 1).await? >= MAX_FILE_SYSTEMS {
                return Err(EfsError::FileSystemLimitExceeded(format!(
                    "You have reached the maximum number of file systems ({MAX_FILE_SYSTEMS}) in this Region."
                )));
            }
            let id = new_id("fs");
            let kms_key_id = input.encrypted.then(|| {
                input.kms_key_id.clone().unwrap_or_else(|| {
                    format!("arn:aws:kms:{}:{}:key/{}", caller.region, caller.account, crate::ids::uuid())
                })
            });
            let file_system = FileSystem {
                id: id.clone(),
                owner_id: caller.account.clone(),
                region: caller.region.clone(),
                creation_token: input.creation_token.clone(),
                created: now,
                performance_mode: performance_mode.clone(),
                throughput_mode: throughput_mode.clone(),
                provisioned_mibps: input.provisioned_mibps.filter(|_| throughput_mode == "provisioned"),
                encrypted: input.encrypted,
                kms_key_id,
                availability_zone: input.availability_zone.clone(),
                tags: input.tags.clone(),
                lifecycle_policies: Vec::new(),
                // One Zone file systems back up by default.
                backup: input.backup.or(input.availability_zone.as_ref().map(|_| true)).filter(|on| *on),
                policy: None,
                mount_targets: 0,
                access_points: 0,
                life_cycle_state: "available",
            };
            let key = Self::key(caller, "file-system", &id);
            let ops = vec![TxnOp::put(key.clone(), encode(&file_system)), TxnOp::put(token_key.clone(), encode(&id))];
            match self.records.txn(vec![Compare::absent(key), Compare::absent(token_key.clone())], ops).await {
                Ok(_) => return Ok(FileSystem { life_cycle_state: "creating", ..file_system }),
                Err(RecordError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(EfsError::InternalServerError("the file system could not be stored; retry".into()))
    }

    /// DescribeFileSystems: one by id, those of a creation token, or all, by creation time, paged by marker.
    pub async fn describe_file_systems(
        &self,
        caller: &Caller,
        id: Option<&str>,
        creation_token: Option<&str>,
        max_items: Option<i64>,
        marker: Option<&str>,
    ) -> Result<Page<FileSystem>, EfsError> {
        if let Some(token) = creation_token {
            check_token(token, "creationToken")?;
        }
        let mut found = match id {
            Some(id) => vec![self.file_system(caller, id).await?],
            None => self.file_systems(caller).await?,
        };
        found.retain(|fs| creation_token.is_none_or(|token| fs.creation_token == token));
        page(found, |fs| fs.id.as_str(), max_items, marker, 100, "maxItems")
    }

    async fn file_systems(&self, caller: &Caller) -> Result<Vec<FileSystem>, EfsError> {
        let prefix = Records::regional_key(&caller.account, &caller.region, "efs", "file-system", "");
        let mut found: Vec<FileSystem> =
            self.records.list::<FileSystem>(&prefix).await?.into_iter().map(|stored| stored.value).collect();
        found.sort_by(|a, b| a.created.total_cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        Ok(found)
    }

    /// Changes a file system with `change`, compare-and-swap guarded; returns it as stored.
    async fn update_file_system(
        &self,
        caller: &Caller,
        id: &str,
        mut change: impl FnMut(&mut FileSystem) -> Result<(), EfsError>,
    ) -> Result<FileSystem, EfsError> {
        let id = file_system_id(id, "fileSystemId")?;
        let key = Self::key(caller, "file-system", &id);
        for _ in 0..16 {
            let (mut file_system, revision) = self.file_system_record(caller, &id).await?;
            change(&mut file_system)?;
            match self.records.update(&key, &file_system, revision).await {
                Ok(_) => return Ok(file_system),
                Err(RecordError::Conflict(_)) => continue,
                Err(RecordError::NotFound(_)) => return Err(not_found(&id)),
                Err(error) => return Err(error.into()),
            }
        }
        Err(EfsError::InternalServerError("the file system kept changing; retry".into()))
    }

    /// UpdateFileSystem: the throughput mode and provisioned throughput.
    pub async fn update_throughput(
        &self,
        caller: &Caller,
        id: &str,
        throughput_mode: Option<String>,
        provisioned_mibps: Option<f64>,
    ) -> Result<FileSystem, EfsError> {
        if let Some(mode) = &throughput_mode
            && !["bursting", "provisioned", "elastic"].contains(&mode.as_str())
        {
            return Err(invalid(
                mode,
                "throughputMode",
                "Member must satisfy enum value set: [bursting, provisioned, elastic]",
            ));
        }
        self.update_file_system(caller, id, |fs| {
            let mode = throughput_mode.clone().unwrap_or_else(|| fs.throughput_mode.clone());
            let mibps =
                if mode == "provisioned" { provisioned_mibps.or(fs.provisioned_mibps) } else { provisioned_mibps };
            check_throughput(&mode, mibps)?;
            if fs.performance_mode == "maxIO" && mode == "elastic" {
                return Err(bad("Performance mode maxIO is not supported with throughput mode elastic."));
            }
            fs.throughput_mode = mode;
            fs.provisioned_mibps = mibps.filter(|_| fs.throughput_mode == "provisioned");
            Ok(())
        })
        .await
    }

    /// DeleteFileSystem: refused while it has mount targets; its access points go first, one transaction each
    /// (so a file system with thousands of them stays within a store transaction's size).
    pub async fn delete_file_system(&self, caller: &Caller, id: &str) -> Result<(), EfsError> {
        let id = file_system_id(id, "fileSystemId")?;
        let key = Self::key(caller, "file-system", &id);
        for _ in 0..16 {
            let (file_system, revision) = self.file_system_record(caller, &id).await?;
            if file_system.mount_targets > 0 {
                return Err(EfsError::FileSystemInUse(format!(
                    "File system '{id}' has {} mount target(s); delete them first.",
                    file_system.mount_targets
                )));
            }
            if file_system.access_points > 0 {
                for point in self.access_points_of(caller, &id).await? {
                    match self.delete_access_point(caller, &point.id).await {
                        Ok(()) | Err(EfsError::AccessPointNotFound(_)) => {}
                        Err(error) => return Err(error),
                    }
                }
                continue;
            }
            let ops = vec![
                TxnOp::delete(key.clone()),
                TxnOp::delete(Self::key(caller, "creation-token", &hex_of(&file_system.creation_token))),
            ];
            match self.records.txn(vec![Compare::unchanged(key.clone(), revision)], ops).await {
                Ok(_) => return Ok(()),
                Err(RecordError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(EfsError::InternalServerError("the file system kept changing; retry".into()))
    }

    async fn mount_targets(&self, caller: &Caller) -> Result<Vec<MountTarget>, EfsError> {
        let prefix = Records::regional_key(&caller.account, &caller.region, "efs", "mount-target", "");
        Ok(self.records.list::<MountTarget>(&prefix).await?.into_iter().map(|stored| stored.value).collect())
    }

    async fn mount_targets_of(&self, caller: &Caller, file_system_id: &str) -> Result<Vec<MountTarget>, EfsError> {
        let mut found = self.mount_targets(caller).await?;
        found.retain(|target| target.file_system_id == file_system_id);
        Ok(found)
    }

    /// CreateMountTarget: in a subnet of a zone where the file system has none (and in the VPC of those it has),
    /// with a requester-managed `efs` network interface in the subnet holding its address (chosen, or the lowest
    /// free one) and security groups (at most five; the VPC's default group when none is named).
    pub async fn create_mount_target(
        &self,
        caller: &Caller,
        input: CreateMountTarget,
    ) -> Result<MountTarget, EfsError> {
        let fs_id = file_system_id(&input.file_system_id, "fileSystemId")?;
        if !is_id(&input.subnet_id, "subnet") {
            return Err(invalid(
                &input.subnet_id,
                "subnetId",
                "Member must satisfy regular expression pattern: ^subnet-[0-9a-f]{8,40}$",
            ));
        }
        if let Some(ip) = &input.ip_address
            && ip.parse::<std::net::Ipv4Addr>().is_err()
        {
            return Err(invalid(
                ip,
                "ipAddress",
                r"Member must satisfy regular expression pattern: ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$",
            ));
        }
        if input.security_groups.len() > MAX_SECURITY_GROUPS {
            return Err(EfsError::SecurityGroupLimitExceeded(format!(
                "A mount target can have at most {MAX_SECURITY_GROUPS} security groups."
            )));
        }
        let (file_system, _) = self.file_system_record(caller, &fs_id).await?;
        let placement = self
            .ec2
            .subnet_placements(caller, std::slice::from_ref(&input.subnet_id))
            .await
            .map_err(|error| ec2_error(error, &input.subnet_id, None))?
            .remove(0);
        if let Some(zone) = &file_system.availability_zone
            && *zone != placement.availability_zone
        {
            return Err(EfsError::AvailabilityZonesMismatch(format!(
                "The subnet '{}' is in Availability Zone '{}', but the One Zone file system '{fs_id}' is in '{zone}'.",
                input.subnet_id, placement.availability_zone
            )));
        }
        let existing = self.mount_targets_of(caller, &fs_id).await?;
        check_mount_target_conflict(&existing, &placement.vpc_id, &placement.availability_zone)?;
        let id = new_id("fsmt");
        let request = CreateNetworkInterface {
            subnet_id: Some(input.subnet_id.clone()),
            description: Some(format!("{INTERFACE_DESCRIPTION} {fs_id} ({id})")),
            private_ip: input.ip_address.clone(),
            groups: input.security_groups.clone(),
            interface_type: Some("efs".into()),
            requester_managed: true,
            ..CreateNetworkInterface::default()
        };
        let eni = self
            .ec2
            .change(caller, &scopes::create_network_interface(Some(&input.subnet_id)), |network, ids| {
                network.create_network_interface(ids, &request)
            })
            .await
            .map_err(|error| ec2_error(error, &input.subnet_id, input.ip_address.as_deref()))?;
        let target = MountTarget {
            id: id.clone(),
            owner_id: caller.account.clone(),
            file_system_id: fs_id.clone(),
            subnet_id: input.subnet_id.clone(),
            vpc_id: placement.vpc_id.clone(),
            availability_zone: placement.availability_zone.clone(),
            availability_zone_id: zone_id(&caller.region, &placement.availability_zone).unwrap_or_default(),
            ip_address: eni.private_ip.to_string(),
            network_interface_id: eni.id.clone(),
            security_groups: eni.security_groups.clone(),
            life_cycle_state: "available",
        };
        let stored = self.store_mount_target(caller, &target).await;
        if stored.is_err() {
            // Nothing is half-made: the interface goes again (a failure here leaves it to the refusal's retry,
            // which makes a new one; the refusal is what the caller needs to hear).
            let _ = self.delete_interface(caller, &eni.id).await;
        }
        stored.map(|()| MountTarget { life_cycle_state: "creating", ..target })
    }

    /// Writes a new mount target with its file system's count, if the file system still takes it.
    async fn store_mount_target(&self, caller: &Caller, target: &MountTarget) -> Result<(), EfsError> {
        let fs_key = Self::key(caller, "file-system", &target.file_system_id);
        let key = Self::key(caller, "mount-target", &target.id);
        for _ in 0..16 {
            let (mut file_system, revision) = self.file_system_record(caller, &target.file_system_id).await?;
            let existing = self.mount_targets_of(caller, &target.file_system_id).await?;
            check_mount_target_conflict(&existing, &target.vpc_id, &target.availability_zone)?;
            file_system.mount_targets += 1;
            let ops = vec![TxnOp::put(fs_key.clone(), encode(&file_system)), TxnOp::put(key.clone(), encode(target))];
            let compares = vec![Compare::unchanged(fs_key.clone(), revision), Compare::absent(key.clone())];
            match self.records.txn(compares, ops).await {
                Ok(_) => return Ok(()),
                Err(RecordError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(EfsError::InternalServerError("the file system kept changing; retry".into()))
    }

    /// Deletes a mount target's network interface; one already gone counts as deleted.
    async fn delete_interface(&self, caller: &Caller, eni_id: &str) -> Result<(), EfsError> {
        self.ec2
            .change_widening(caller, &scopes::network_interface(eni_id), scopes::interface_parts, |network, _| {
                network.delete_managed_interface(eni_id)
            })
            .await
            .map_err(|error| EfsError::InternalServerError(error.to_string()))
    }

    async fn mount_target_record(&self, caller: &Caller, id: &str) -> Result<(MountTarget, store::Revision), EfsError> {
        let id = mount_target_id(id, "mountTargetId")?;
        let found = self.records.get::<MountTarget>(&Self::key(caller, "mount-target", &id)).await?;
        found
            .map(|stored| (stored.value, stored.revision))
            .ok_or_else(|| EfsError::MountTargetNotFound(format!("Mount target '{id}' does not exist.")))
    }

    /// DescribeMountTargets: those of a file system (or of an access point's), or one, by creation, paged.
    pub async fn describe_mount_targets(
        &self,
        caller: &Caller,
        query: &MountTargetQuery,
        max_items: Option<i64>,
        marker: Option<&str>,
    ) -> Result<Page<MountTarget>, EfsError> {
        let found = match query {
            MountTargetQuery::MountTarget(id) => vec![self.mount_target_record(caller, id).await?.0],
            MountTargetQuery::FileSystem(id) => {
                let id = self.file_system(caller, id).await?.id;
                self.mount_targets_of(caller, &id).await?
            }
            MountTargetQuery::AccessPoint(id) => {
                let point = self.access_point(caller, id).await?;
                self.mount_targets_of(caller, &point.file_system_id).await?
            }
        };
        page(found, |target| target.id.as_str(), max_items, marker, 10, "maxItems")
    }

    /// DeleteMountTarget: its network interface, then the mount target.
    pub async fn delete_mount_target(&self, caller: &Caller, id: &str) -> Result<(), EfsError> {
        let (target, _) = self.mount_target_record(caller, id).await?;
        self.delete_interface(caller, &target.network_interface_id).await?;
        for _ in 0..16 {
            let (target, revision) = self.mount_target_record(caller, id).await?;
            let fs_key = Self::key(caller, "file-system", &target.file_system_id);
            let key = Self::key(caller, "mount-target", &target.id);
            let mut compares = vec![Compare::unchanged(key.clone(), revision)];
            let mut ops = vec![TxnOp::delete(key)];
            if let Ok((mut file_system, fs_revision)) = self.file_system_record(caller, &target.file_system_id).await {
                file_system.mount_targets = file_system.mount_targets.saturating_sub(1);
                compares.push(Compare::unchanged(fs_key.clone(), fs_revision));
                ops.push(TxnOp::put(fs_key, encode(&file_system)));
            }
            match self.records.txn(compares, ops).await {
                Ok(_) => return Ok(()),
                Err(RecordError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(EfsError::InternalServerError("the mount target kept changing; retry".into()))
    }

    /// DescribeMountTargetSecurityGroups.
    pub async fn mount_target_security_groups(&self, caller: &Caller, id: &str) -> Result<Vec<String>, EfsError> {
        Ok(self.mount_target_record(caller, id).await?.0.security_groups)
    }

    /// ModifyMountTargetSecurityGroups: the groups of its network interface (at most five, of its VPC).
    pub async fn modify_mount_target_security_groups(
        &self,
        caller: &Caller,
        id: &str,
        groups: Vec<String>,
    ) -> Result<(), EfsError> {
        if groups.len() > MAX_SECURITY_GROUPS {
            return Err(EfsError::SecurityGroupLimitExceeded(format!(
                "A mount target can have at most {MAX_SECURITY_GROUPS} security groups."
            )));
        }
        let (target, _) = self.mount_target_record(caller, id).await?;
        let eni_id = target.network_interface_id.clone();
        let groups_now = groups.clone();
        let scope = scopes::network_interface(&eni_id).all(crate::ec2::Kind::SecurityGroup);
        self.ec2
            .change_widening(caller, &scope, scopes::interface_parts, move |network, _| {
                let change = crate::ec2::interfaces::InterfaceChange::Groups(groups_now.clone());
                network.modify_network_interface_attribute(&eni_id, change)
            })
            .await
            .map_err(|error| ec2_error(error, &target.subnet_id, None))?;
        let key = Self::key(caller, "mount-target", &target.id);
        for _ in 0..16 {
            let (mut target, revision) = self.mount_target_record(caller, id).await?;
            target.security_groups = groups.clone();
            match self.records.update(&key, &target, revision).await {
                Ok(_) => return Ok(()),
                Err(RecordError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(EfsError::InternalServerError("the mount target kept changing; retry".into()))
    }

    /// Whether a file system has a mount target in `zone`: what a client there needs to mount it.
    pub async fn mount_target_in_zone(
        &self,
        caller: &Caller,
        file_system_id: &str,
        zone: &str,
    ) -> Result<Option<MountTarget>, EfsError> {
        let id = self.file_system(caller, file_system_id).await?.id;
        Ok(self.mount_targets_of(caller, &id).await?.into_iter().find(|target| target.availability_zone == zone))
    }

    async fn access_points_of(&self, caller: &Caller, file_system_id: &str) -> Result<Vec<AccessPoint>, EfsError> {
        let mut found = self.all_access_points(caller).await?;
        found.retain(|point| point.file_system_id == file_system_id);
        Ok(found)
    }

    async fn all_access_points(&self, caller: &Caller) -> Result<Vec<AccessPoint>, EfsError> {
        let prefix = Records::regional_key(&caller.account, &caller.region, "efs", "access-point", "");
        Ok(self.records.list::<AccessPoint>(&prefix).await?.into_iter().map(|stored| stored.value).collect())
    }

    /// An access point by id or ARN.
    pub async fn access_point(&self, caller: &Caller, id: &str) -> Result<AccessPoint, EfsError> {
        let id = access_point_id(id, "accessPointId")?;
        let found = self.records.get::<AccessPoint>(&Self::key(caller, "access-point", &id)).await?;
        found
            .map(|stored| stored.value)
            .ok_or_else(|| EfsError::AccessPointNotFound(format!("Access point '{id}' does not exist.")))
    }

    /// CreateAccessPoint. A client token names one access point: the same request again answers the access point
    /// it made, another request with the token `AccessPointAlreadyExists`.
    pub async fn create_access_point(
        &self,
        caller: &Caller,
        input: CreateAccessPoint,
    ) -> Result<AccessPoint, EfsError> {
        check_token(&input.client_token, "clientToken")?;
        let fs_id = file_system_id(&input.file_system_id, "fileSystemId")?;
        if let Some(user) = &input.posix_user {
            check_posix_id(user.uid, "posixUser.uid")?;
            check_posix_id(user.gid, "posixUser.gid")?;
            if user.secondary_gids.len() > 16 {
                return Err(invalid(
                    &format!("{:?}", user.secondary_gids),
                    "posixUser.secondaryGids",
                    "Member must have length less than or equal to 16",
                ));
            }
            for gid in &user.secondary_gids {
                check_posix_id(*gid, "posixUser.secondaryGids.member")?;
            }
        }
        let path = input.path.clone().unwrap_or_else(|| "/".into());
        check_path(&path)?;
        if let Some(info) = &input.creation_info {
            check_posix_id(info.owner_uid, "rootDirectory.creationInfo.ownerUid")?;
            check_posix_id(info.owner_gid, "rootDirectory.creationInfo.ownerGid")?;
            let octal = (3..=4).contains(&info.permissions.len())
                && info.permissions.bytes().all(|b| (b'0'..=b'7').contains(&b));
            if !octal {
                return Err(invalid(
                    &info.permissions,
                    "rootDirectory.creationInfo.permissions",
                    "Member must satisfy regular expression pattern: ^[0-7]{3,4}$",
                ));
            }
        }
        check_tags(&input.tags, &Tags::new())?;
        let token_key = Self::key(caller, "client-token", &hex_of(&input.client_token));
        let fs_key = Self::key(caller, "file-system", &fs_id);
        for _ in 0..16 {
            let (mut file_system, revision) = self.file_system_record(caller, &fs_id).await?;
            if let Some(existing) = self.records.get::<String>(&token_key).await? {
                let point = self.access_point(caller, &existing.value).await;
                return match point {
                    Ok(point)
                        if point.file_system_id == fs_id
                            && point.posix_user == input.posix_user
                            && point.path == path
                            && point.creation_info == input.creation_info =>
                    {
                        Ok(point)
                    }
                    _ => Err(EfsError::AccessPointAlreadyExists {
                        message: format!(
                            "Access point '{}' already exists with client token '{}'",
                            existing.value, input.client_token
                        ),
                        access_point_id: existing.value,
                    }),
                };
            }
            if file_system.access_points >= MAX_ACCESS_POINTS {
                return Err(EfsError::AccessPointLimitExceeded(format!(
                    "You have reached the maximum number of access points ({MAX_ACCESS_POINTS}) for your file system {fs_id}."
                )));
            }
            file_system.access_points += 1;
            let point = AccessPoint {
                id: new_id("fsap"),
                owner_id: caller.account.clone(),
                region: caller.region.clone(),
                file_system_id: fs_id.clone(),
                client_token: input.client_token.clone(),
                posix_user: input.posix_user.clone(),
                path: path.clone(),
                creation_info: input.creation_info.clone(),
                tags: input.tags.clone(),
                life_cycle_state: "available",
            };
            let key = Self::key(caller, "access-point", &point.id);
            let ops = vec![
                TxnOp::put(fs_key.clone(), encode(&file_system)),
                TxnOp::put(key.clone(), encode(&point)),
                TxnOp::put(token_key.clone(), encode(&point.id)),
            ];
            let compares = vec![
                Compare::unchanged(fs_key.clone(), revision),
                Compare::absent(key),
                Compare::absent(token_key.clone()),
            ];
            match self.records.txn(compares, ops).await {
                Ok(_) => return Ok(AccessPoint { life_cycle_state: "creating", ..point }),
                Err(RecordError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(EfsError::InternalServerError("the file system kept changing; retry".into()))
    }

    /// DescribeAccessPoints: one, those of a file system, or all, paged by token.
    pub async fn describe_access_points(
        &self,
        caller: &Caller,
        id: Option<&str>,
        file_system: Option<&str>,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<Page<AccessPoint>, EfsError> {
        let found = match (id, file_system) {
            (Some(_), Some(_)) => {
                return Err(bad("You can specify either an AccessPointId or a FileSystemId, but not both."));
            }
            (Some(id), None) => vec![self.access_point(caller, id).await?],
            (None, Some(fs)) => {
                let fs = self.file_system(caller, fs).await?.id;
                self.access_points_of(caller, &fs).await?
            }
            (None, None) => self.all_access_points(caller).await?,
        };
        page(found, |point| point.id.as_str(), max_results, next_token, 100, "maxResults")
    }

    /// DeleteAccessPoint.
    pub async fn delete_access_point(&self, caller: &Caller, id: &str) -> Result<(), EfsError> {
        for _ in 0..16 {
            let point = self.access_point(caller, id).await?;
            let key = Self::key(caller, "access-point", &point.id);
            let Some(stored) = self.records.get::<AccessPoint>(&key).await? else { continue };
            let mut compares = vec![Compare::unchanged(key.clone(), stored.revision)];
            let mut ops = vec![
                TxnOp::delete(key),
                TxnOp::delete(Self::key(caller, "client-token", &hex_of(&point.client_token))),
            ];
            if let Ok((mut file_system, revision)) = self.file_system_record(caller, &point.file_system_id).await {
                let fs_key = Self::key(caller, "file-system", &point.file_system_id);
                file_system.access_points = file_system.access_points.saturating_sub(1);
                compares.push(Compare::unchanged(fs_key.clone(), revision));
                ops.push(TxnOp::put(fs_key, encode(&file_system)));
            }
            match self.records.txn(compares, ops).await {
                Ok(_) => return Ok(()),
                Err(RecordError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(EfsError::InternalServerError("the access point kept changing; retry".into()))
    }

    /// PutLifecycleConfiguration: at most one policy of each kind (an empty list clears them).
    pub async fn put_lifecycle(
        &self,
        caller: &Caller,
        id: &str,
        policies: Vec<LifecyclePolicy>,
    ) -> Result<Vec<LifecyclePolicy>, EfsError> {
        if policies.len() > 3 {
            return Err(invalid(
                &format!("{} policies", policies.len()),
                "lifecyclePolicies",
                "Member must have length less than or equal to 3",
            ));
        }
        let mut kinds = Vec::new();
        for policy in &policies {
            let set: Vec<(&str, &str)> = [
                ("TransitionToIA", policy.transition_to_ia.as_deref()),
                ("TransitionToPrimaryStorageClass", policy.transition_to_primary_storage_class.as_deref()),
                ("TransitionToArchive", policy.transition_to_archive.as_deref()),
            ]
            .into_iter()
            .filter_map(|(kind, value)| value.map(|value| (kind, value)))
            .collect();
            let [(kind, value)] = set[..] else {
                return Err(bad("Each lifecycle policy must specify exactly one transition."));
            };
            let allowed = if kind == "TransitionToPrimaryStorageClass" {
                value == "AFTER_1_ACCESS"
            } else {
                TRANSITION_RULES.contains(&value)
            };
            if !allowed {
                return Err(bad(format!("Invalid value '{value}' for {kind}.")));
            }
            if kinds.contains(&kind) {
                return Err(bad(format!("Only one {kind} lifecycle policy is allowed.")));
            }
            kinds.push(kind);
        }
        let stored = self.update_file_system(caller, id, |fs| {
            fs.lifecycle_policies = policies.clone();
            Ok(())
        });
        Ok(stored.await?.lifecycle_policies)
    }

    /// PutBackupPolicy: `ENABLED` or `DISABLED`.
    pub async fn put_backup(&self, caller: &Caller, id: &str, status: &str) -> Result<bool, EfsError> {
        let enabled = match status {
            "ENABLED" => true,
            "DISABLED" => false,
            other => {
                return Err(EfsError::ValidationException(format!(
                    "Invalid backup policy status '{}': only ENABLED and DISABLED can be set.",
                    other.chars().take(32).collect::<String>()
                )));
            }
        };
        self.update_file_system(caller, id, |fs| {
            fs.backup = Some(enabled);
            Ok(())
        })
        .await?;
        Ok(enabled)
    }

    /// DescribeBackupPolicy: `PolicyNotFound` until one is set.
    pub async fn backup(&self, caller: &Caller, id: &str) -> Result<bool, EfsError> {
        let file_system = self.file_system(caller, id).await?;
        file_system.backup.ok_or_else(|| {
            EfsError::PolicyNotFound(format!("Backup policy not found for file system '{}'.", file_system.id))
        })
    }

    /// PutFileSystemPolicy: a resource-based IAM policy of at most 20,000 characters.
    pub async fn put_policy(&self, caller: &Caller, id: &str, policy: &str) -> Result<FileSystem, EfsError> {
        if policy.is_empty() || policy.chars().count() > 20_000 {
            return Err(invalid("...", "policy", "Member must have length between 1 and 20000"));
        }
        crate::policy::Policy::parse(policy, crate::policy::PolicyKind::Resource)
            .map_err(|error| EfsError::InvalidPolicy(error.to_string()))?;
        self.update_file_system(caller, id, |fs| {
            fs.policy = Some(policy.to_owned());
            Ok(())
        })
        .await
    }

    /// DescribeFileSystemPolicy: `PolicyNotFound` when there is none.
    pub async fn policy(&self, caller: &Caller, id: &str) -> Result<(String, String), EfsError> {
        let file_system = self.file_system(caller, id).await?;
        let policy = file_system.policy.clone().ok_or_else(|| {
            EfsError::PolicyNotFound(format!("Policy for file system '{}' does not exist.", file_system.id))
        })?;
        Ok((file_system.id, policy))
    }

    /// DeleteFileSystemPolicy: deleting none succeeds.
    pub async fn delete_policy(&self, caller: &Caller, id: &str) -> Result<(), EfsError> {
        self.update_file_system(caller, id, |fs| {
            fs.policy = None;
            Ok(())
        })
        .await
        .map(|_| ())
    }

    /// The tags of a file system or access point, by id or ARN.
    pub async fn tags(&self, caller: &Caller, resource: &str) -> Result<Tags, EfsError> {
        match resource_kind(resource)? {
            Resource::FileSystem(id) => Ok(self.file_system(caller, &id).await?.tags),
            Resource::AccessPoint(id) => Ok(self.access_point(caller, &id).await?.tags),
        }
    }

    /// Sets tags on a file system or access point.
    pub async fn tag(&self, caller: &Caller, resource: &str, tags: &Tags) -> Result<(), EfsError> {
        match resource_kind(resource)? {
            Resource::FileSystem(id) => {
                self.update_file_system(caller, &id, |fs| {
                    check_tags(tags, &fs.tags)?;
                    merge_tags(&mut fs.tags, tags);
                    Ok(())
                })
                .await?;
            }
            Resource::AccessPoint(id) => {
                self.update_access_point(caller, &id, |point| {
                    check_tags(tags, &point.tags)?;
                    merge_tags(&mut point.tags, tags);
                    Ok(())
                })
                .await?;
            }
        }
        Ok(())
    }

    /// Removes tags by key from a file system or access point; keys it lacks are ignored.
    pub async fn untag(&self, caller: &Caller, resource: &str, keys: &[String]) -> Result<(), EfsError> {
        if keys.is_empty() || keys.len() > 50 {
            return Err(invalid("...", "tagKeys", "Member must have length between 1 and 50"));
        }
        for (index, key) in keys.iter().enumerate() {
            if key.is_empty() || key.chars().count() > 128 {
                return Err(invalid(
                    key,
                    &format!("tagKeys.{}.member", index + 1),
                    "Member must have length between 1 and 128",
                ));
            }
        }
        match resource_kind(resource)? {
            Resource::FileSystem(id) => {
                self.update_file_system(caller, &id, |fs| {
                    fs.tags.retain(|(key, _)| !keys.contains(key));
                    Ok(())
                })
                .await?;
            }
            Resource::AccessPoint(id) => {
                self.update_access_point(caller, &id, |point| {
                    point.tags.retain(|(key, _)| !keys.contains(key));
                    Ok(())
                })
                .await?;
            }
        }
        Ok(())
    }

    async fn update_access_point(
        &self,
        caller: &Caller,
        id: &str,
        mut change: impl FnMut(&mut AccessPoint) -> Result<(), EfsError>,
    ) -> Result<AccessPoint, EfsError> {
        let key = Self::key(caller, "access-point", id);
        for _ in 0..16 {
            let Some(stored) = self.records.get::<AccessPoint>(&key).await? else {
                return Err(EfsError::AccessPointNotFound(format!("Access point '{id}' does not exist.")));
            };
            let (mut point, revision) = (stored.value, stored.revision);
            change(&mut point)?;
            match self.records.update(&key, &point, revision).await {
                Ok(_) => return Ok(point),
                Err(RecordError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(EfsError::InternalServerError("the access point kept changing; retry".into()))
    }
}

/// A resource that takes tags.
enum Resource {
    FileSystem(String),
    AccessPoint(String),
}

/// Which resource an id or ARN names.
fn resource_kind(text: &str) -> Result<Resource, EfsError> {
    if let Ok(id) = file_system_id(text, "resourceId") {
        return Ok(Resource::FileSystem(id));
    }
    if let Ok(id) = access_point_id(text, "resourceId") {
        return Ok(Resource::AccessPoint(id));
    }
    Err(invalid(
        text,
        "resourceId",
        "Member must satisfy regular expression pattern: ^(arn:aws[-a-z]*:elasticfilesystem:[0-9a-z-:]+:(access-point/fsap|file-system/fs)-[0-9a-f]{8,40}|fs(ap)?-[0-9a-f]{8,40})$",
    ))
}

/// `provisioned` needs a throughput of at least 1 MiB/s, and only `provisioned` takes one.
fn check_throughput(mode: &str, mibps: Option<f64>) -> Result<(), EfsError> {
    match (mode, mibps) {
        ("provisioned", None) => {
            Err(bad("ProvisionedThroughputInMibps is required when ThroughputMode is provisioned."))
        }
        ("provisioned", Some(mibps)) if !mibps.is_finite() || !(1.0..=10_240.0).contains(&mibps) => {
            Err(bad(format!("ProvisionedThroughputInMibps {mibps} is out of range: it must be between 1 and 10240.")))
        }
        ("provisioned", Some(_)) => Ok(()),
        (mode, Some(_)) => Err(bad(format!(
            "ProvisionedThroughputInMibps can only be set when ThroughputMode is provisioned, not {mode}."
        ))),
        (_, None) => Ok(()),
    }
}

/// One mount target per zone, all in one VPC.
fn check_mount_target_conflict(existing: &[MountTarget], vpc_id: &str, zone: &str) -> Result<(), EfsError> {
    if existing.iter().any(|target| target.availability_zone == zone) {
        return Err(EfsError::MountTargetConflict("mount target already exists in this AZ".into()));
    }
    if let Some(other) = existing.iter().find(|target| target.vpc_id != vpc_id) {
        return Err(EfsError::MountTargetConflict(format!(
            "The file system's mount targets are in VPC '{}'; all its mount targets must be in one VPC.",
            other.vpc_id
        )));
    }
    Ok(())
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("records serialize")
}

#[cfg(test)]
mod tests;

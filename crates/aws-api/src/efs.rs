//! Amazon EFS over `rest-json` (signing name `elasticfilesystem`, paths under `/2015-02-01/`): file systems,
//! mount targets, access points, lifecycle, backup and file system policies, tags, account preferences. Errors
//! carry EFS's `ErrorCode` beside the message (and `FileSystemId` or `AccessPointId` where the model has them).

use std::future::Future;

use aws_model::efs::{
    AccessPoint, CreateAccessPoint, CreateFileSystem, CreateMountTarget, CreationInfo, Efs, EfsError, FileSystem,
    LifecyclePolicy, MountTarget, MountTargetQuery, PosixUser, Tags,
};
use aws_protocol::AwsError;
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::json_body::JsonBody;
use crate::registry::{Handled, Operation, Service, Wire, WireError, wire};
use crate::{AwsApi, Call};

/// An EFS operation: `route!(GET "/2015-02-01/file-systems", "DescribeFileSystems" => describe_file_systems)`
/// calls `describe_file_systems(efs, call)` and writes its reply.
macro_rules! route {
    ($method:ident $path:literal, $name:literal => $handler:ident) => {
        Operation::rest($name, Method::$method, $path, |api, call| rest(api, call, $handler))
    };
}

/// EFS on the wire: each operation's method and path as the service model's `http.requestUri` has them.
pub(crate) const SERVICE: Service = Service {
    signing_name: "elasticfilesystem",
    model: "efs",
    title: "EFS",
    wire: Wire::RestJson,
    operations: &[
        route!(POST "/2015-02-01/file-systems", "CreateFileSystem" => create_file_system),
        route!(GET "/2015-02-01/file-systems", "DescribeFileSystems" => describe_file_systems),
        route!(PUT "/2015-02-01/file-systems/{FileSystemId}", "UpdateFileSystem" => update_file_system),
        route!(DELETE "/2015-02-01/file-systems/{FileSystemId}", "DeleteFileSystem" => delete_file_system),
        route!(POST "/2015-02-01/mount-targets", "CreateMountTarget" => create_mount_target),
        route!(GET "/2015-02-01/mount-targets", "DescribeMountTargets" => describe_mount_targets),
        route!(DELETE "/2015-02-01/mount-targets/{MountTargetId}", "DeleteMountTarget" => delete_mount_target),
        route!(
            GET "/2015-02-01/mount-targets/{MountTargetId}/security-groups",
            "DescribeMountTargetSecurityGroups" => describe_mount_target_security_groups
        ),
        route!(
            PUT "/2015-02-01/mount-targets/{MountTargetId}/security-groups",
            "ModifyMountTargetSecurityGroups" => modify_mount_target_security_groups
        ),
        route!(POST "/2015-02-01/access-points", "CreateAccessPoint" => create_access_point),
        route!(GET "/2015-02-01/access-points", "DescribeAccessPoints" => describe_access_points),
        route!(DELETE "/2015-02-01/access-points/{AccessPointId}", "DeleteAccessPoint" => delete_access_point),
        route!(
            PUT "/2015-02-01/file-systems/{FileSystemId}/lifecycle-configuration",
            "PutLifecycleConfiguration" => put_lifecycle_configuration
        ),
        route!(
            GET "/2015-02-01/file-systems/{FileSystemId}/lifecycle-configuration",
            "DescribeLifecycleConfiguration" => describe_lifecycle_configuration
        ),
        route!(PUT "/2015-02-01/file-systems/{FileSystemId}/backup-policy", "PutBackupPolicy" => put_backup_policy),
        route!(
            GET "/2015-02-01/file-systems/{FileSystemId}/backup-policy",
            "DescribeBackupPolicy" => describe_backup_policy
        ),
        route!(PUT "/2015-02-01/file-systems/{FileSystemId}/policy", "PutFileSystemPolicy" => put_file_system_policy),
        route!(
            GET "/2015-02-01/file-systems/{FileSystemId}/policy",
            "DescribeFileSystemPolicy" => describe_file_system_policy
        ),
        route!(
            DELETE "/2015-02-01/file-systems/{FileSystemId}/policy",
            "DeleteFileSystemPolicy" => delete_file_system_policy
        ),
        route!(POST "/2015-02-01/resource-tags/{ResourceId}", "TagResource" => tag_resource),
        route!(DELETE "/2015-02-01/resource-tags/{ResourceId}", "UntagResource" => untag_resource),
        route!(GET "/2015-02-01/resource-tags/{ResourceId}", "ListTagsForResource" => list_tags_for_resource),
        route!(POST "/2015-02-01/create-tags/{FileSystemId}", "CreateTags" => create_tags),
        route!(POST "/2015-02-01/delete-tags/{FileSystemId}", "DeleteTags" => delete_tags),
        route!(GET "/2015-02-01/tags/{FileSystemId}/", "DescribeTags" => describe_tags),
        route!(GET "/2015-02-01/account-preferences", "DescribeAccountPreferences" => describe_account_preferences),
    ],
};

impl WireError for EfsError {
    fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            EfsError::BadRequest(_) => ("BadRequest", StatusCode::BAD_REQUEST),
            EfsError::ValidationException(_) => ("ValidationException", StatusCode::BAD_REQUEST),
            EfsError::FileSystemAlreadyExists { .. } => ("FileSystemAlreadyExists", StatusCode::CONFLICT),
            EfsError::FileSystemNotFound(_) => ("FileSystemNotFound", StatusCode::NOT_FOUND),
            EfsError::FileSystemInUse(_) => ("FileSystemInUse", StatusCode::CONFLICT),
            EfsError::FileSystemLimitExceeded(_) => ("FileSystemLimitExceeded", StatusCode::FORBIDDEN),
            EfsError::IncorrectFileSystemLifeCycleState(_) => {
                ("IncorrectFileSystemLifeCycleState", StatusCode::CONFLICT)
            }
            EfsError::MountTargetNotFound(_) => ("MountTargetNotFound", StatusCode::NOT_FOUND),
            EfsError::MountTargetConflict(_) => ("MountTargetConflict", StatusCode::CONFLICT),
            EfsError::SubnetNotFound(_) => ("SubnetNotFound", StatusCode::BAD_REQUEST),
            EfsError::NoFreeAddressesInSubnet(_) => ("NoFreeAddressesInSubnet", StatusCode::CONFLICT),
            EfsError::IpAddressInUse(_) => ("IpAddressInUse", StatusCode::CONFLICT),
            EfsError::SecurityGroupNotFound(_) => ("SecurityGroupNotFound", StatusCode::BAD_REQUEST),
            EfsError::SecurityGroupLimitExceeded(_) => ("SecurityGroupLimitExceeded", StatusCode::BAD_REQUEST),
            EfsError::AvailabilityZonesMismatch(_) => ("AvailabilityZonesMismatch", StatusCode::BAD_REQUEST),
            EfsError::UnsupportedAvailabilityZone(_) => ("UnsupportedAvailabilityZone", StatusCode::BAD_REQUEST),
            EfsError::AccessPointAlreadyExists { .. } => ("AccessPointAlreadyExists", StatusCode::CONFLICT),
            EfsError::AccessPointNotFound(_) => ("AccessPointNotFound", StatusCode::NOT_FOUND),
            EfsError::AccessPointLimitExceeded(_) => ("AccessPointLimitExceeded", StatusCode::FORBIDDEN),
            EfsError::PolicyNotFound(_) => ("PolicyNotFound", StatusCode::NOT_FOUND),
            EfsError::InvalidPolicy(_) => ("InvalidPolicyException", StatusCode::BAD_REQUEST),
            EfsError::InternalServerError(_) => ("InternalServerError", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

/// The wire error for a model error, with the members EFS's error shapes add to the message.
fn error(model: EfsError) -> AwsError {
    let extra = match &model {
        EfsError::FileSystemAlreadyExists { file_system_id, .. } => Some(("FileSystemId", file_system_id.clone())),
        EfsError::AccessPointAlreadyExists { access_point_id, .. } => Some(("AccessPointId", access_point_id.clone())),
        _ => None,
    };
    let wire = with_code(wire(model));
    match extra {
        Some((member, value)) => wire.with_extra(member, value),
        None => wire,
    }
}

/// An error with EFS's `ErrorCode` member beside its message.
fn with_code(error: AwsError) -> AwsError {
    let code = error.code.clone();
    error.with_extra("ErrorCode", code)
}

/// A body reader's error (a member of the wrong type), as EFS words it: a `BadRequest`.
fn typed(error: AwsError) -> AwsError {
    bad_request(error.message)
}

fn bad_request(message: impl Into<String>) -> AwsError {
    with_code(AwsError::bad_request("BadRequest", message))
}

/// What EFS handlers answer: a status and a JSON body (`None`: no body, as the 204 replies).
type Reply = Result<(StatusCode, Option<Value>), AwsError>;

/// An EFS handler's reply, written as the handler's future ends; the model must be configured.
fn rest<'a, F>(api: &'a AwsApi, call: &'a Call<'a>, handler: fn(&'a Efs, &'a Call<'a>) -> F) -> Handled<'a>
where
    F: Future<Output = Reply> + Send + 'a,
{
    Box::pin(async move {
        let efs = api.efs().ok_or_else(|| {
            AwsError::new("UnknownOperationException", "EFS is not served by this endpoint", StatusCode::NOT_FOUND)
        })?;
        if let Some((label, _)) = call.labels.iter().find(|(_, value)| value.chars().any(char::is_control)) {
            return Err(bad_request(format!(
                "1 validation error detected: Value at '{label}' failed to satisfy constraint: Member must not contain control characters"
            )));
        }
        match handler(efs, call).await? {
            (status, Some(body)) => call.json_with_status(status, &body),
            (status, None) => Ok(aws_protocol::error::reply(status, "application/json", Vec::new(), &call.request_id)),
        }
    })
}

/// The request's JSON body; malformed JSON is a `BadRequest`, as EFS answers it.
fn body(call: &Call<'_>) -> Result<JsonBody, AwsError> {
    JsonBody::of(call).map_err(|error| bad_request(error.message))
}

/// The members of an object in the body, by name.
fn object<'a>(body: &'a Map<String, Value>, member: &str) -> Result<Option<&'a Map<String, Value>>, AwsError> {
    match body.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(object)) => Ok(Some(object)),
        Some(_) => Err(bad_request(format!("{member} must be a structure"))),
    }
}

fn string_of(object: &Map<String, Value>, member: &str) -> Result<Option<String>, AwsError> {
    match object.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(bad_request(format!("{member} must be a string"))),
    }
}

fn long_of(object: &Map<String, Value>, member: &str) -> Result<Option<i64>, AwsError> {
    match object.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => {
            number.as_i64().map(Some).ok_or_else(|| bad_request(format!("{member} must be an integer")))
        }
        Some(_) => Err(bad_request(format!("{member} must be an integer"))),
    }
}

fn required_long(object: &Map<String, Value>, member: &str, path: &str) -> Result<i64, AwsError> {
    long_of(object, member)?.ok_or_else(|| bad_request(format!("{path}.{member} is required")))
}

/// A list of `{Key, Value}` tags.
fn tags_of(value: Option<&Value>) -> Result<Tags, AwsError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Tags::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(bad_request("Tags must be a list")),
    };
    items
        .iter()
        .map(|item| {
            let item = item.as_object().ok_or_else(|| bad_request("Each tag must be a structure"))?;
            let key = string_of(item, "Key")?.ok_or_else(|| bad_request("Tag Key is required"))?;
            let value = string_of(item, "Value")?.ok_or_else(|| bad_request("Tag Value is required"))?;
            Ok((key, value))
        })
        .collect()
}

fn tags_json(tags: &Tags) -> Value {
    Value::Array(tags.iter().map(|(key, value)| json!({ "Key": key, "Value": value })).collect())
}

/// A paging member of the query string: a positive integer.
fn query_integer(call: &Call<'_>, name: &str) -> Result<Option<i64>, AwsError> {
    match call.params.get(name) {
        None => Ok(None),
        Some(text) => text.parse::<i64>().map(Some).map_err(|_| {
            bad_request(format!(
                "1 validation error detected: Value '{}' at '{name}' failed to satisfy constraint: Member must be an integer",
                text.chars().take(32).collect::<String>()
            ))
        }),
    }
}

fn query_string(call: &Call<'_>, name: &str) -> Option<String> {
    call.params.get(name).map(str::to_owned)
}

fn file_system_json(fs: &FileSystem, now: f64) -> Value {
    let mut out = json!({
        "OwnerId": fs.owner_id,
        "CreationToken": fs.creation_token,
        "FileSystemId": fs.id,
        "FileSystemArn": fs.arn(),
        "CreationTime": fs.created,
        "LifeCycleState": fs.life_cycle_state,
        "NumberOfMountTargets": fs.mount_targets,
        "SizeInBytes": {
            "Value": aws_model::efs::EMPTY_SIZE,
            "Timestamp": now.floor(),
            "ValueInIA": 0,
            "ValueInStandard": aws_model::efs::EMPTY_SIZE,
            "ValueInArchive": 0,
        },
        "PerformanceMode": fs.performance_mode,
        "Encrypted": fs.encrypted,
        "ThroughputMode": fs.throughput_mode,
        "Tags": tags_json(&fs.tags),
        "FileSystemProtection": { "ReplicationOverwriteProtection": "ENABLED" },
    });
    if let Some(name) = fs.name() {
        out["Name"] = json!(name);
    }
    if let Some(key) = &fs.kms_key_id {
        out["KmsKeyId"] = json!(key);
    }
    if let Some(mibps) = fs.provisioned_mibps {
        out["ProvisionedThroughputInMibps"] = json!(mibps);
    }
    if let Some(zone) = &fs.availability_zone {
        out["AvailabilityZoneName"] = json!(zone);
        if let Some(id) = fs.availability_zone_id() {
            out["AvailabilityZoneId"] = json!(id);
        }
    }
    out
}

fn mount_target_json(target: &MountTarget) -> Value {
    json!({
        "OwnerId": target.owner_id,
        "MountTargetId": target.id,
        "FileSystemId": target.file_system_id,
        "SubnetId": target.subnet_id,
        "LifeCycleState": target.life_cycle_state,
        "IpAddress": target.ip_address,
        "NetworkInterfaceId": target.network_interface_id,
        "AvailabilityZoneId": target.availability_zone_id,
        "AvailabilityZoneName": target.availability_zone,
        "VpcId": target.vpc_id,
    })
}

fn access_point_json(point: &AccessPoint) -> Value {
    let mut root = json!({ "Path": point.path });
    if let Some(info) = &point.creation_info {
        root["CreationInfo"] =
            json!({ "OwnerUid": info.owner_uid, "OwnerGid": info.owner_gid, "Permissions": info.permissions });
    }
    let mut out = json!({
        "ClientToken": point.client_token,
        "Tags": tags_json(&point.tags),
        "AccessPointId": point.id,
        "AccessPointArn": point.arn(),
        "FileSystemId": point.file_system_id,
        "RootDirectory": root,
        "OwnerId": point.owner_id,
        "LifeCycleState": point.life_cycle_state,
    });
    if let Some(name) = point.name() {
        out["Name"] = json!(name);
    }
    if let Some(user) = &point.posix_user {
        let mut posix = json!({ "Uid": user.uid, "Gid": user.gid });
        if !user.secondary_gids.is_empty() {
            posix["SecondaryGids"] = json!(user.secondary_gids);
        }
        out["PosixUser"] = posix;
    }
    out
}

fn lifecycle_json(policies: &[LifecyclePolicy]) -> Value {
    let items: Vec<Value> = policies
        .iter()
        .map(|policy| {
            let mut item = Map::new();
            let members = [
                ("TransitionToIA", &policy.transition_to_ia),
                ("TransitionToPrimaryStorageClass", &policy.transition_to_primary_storage_class),
                ("TransitionToArchive", &policy.transition_to_archive),
            ];
            for (member, value) in members {
                if let Some(value) = value {
                    item.insert(member.to_owned(), json!(value));
                }
            }
            Value::Object(item)
        })
        .collect();
    json!({ "LifecyclePolicies": items })
}

async fn create_file_system(efs: &Efs, call: &Call<'_>) -> Reply {
    let body = body(call)?;
    let members = body.members();
    let input = CreateFileSystem {
        creation_token: body.string("CreationToken").map_err(typed)?.ok_or_else(|| {
            bad_request("1 validation error detected: Value null at 'creationToken' failed to satisfy constraint: Member must not be null")
        })?,
        performance_mode: body.string("PerformanceMode").map_err(typed)?,
        throughput_mode: body.string("ThroughputMode").map_err(typed)?,
        provisioned_mibps: body.number("ProvisionedThroughputInMibps").map_err(typed)?,
        encrypted: body.boolean("Encrypted").map_err(typed)?,
        kms_key_id: body.string("KmsKeyId").map_err(typed)?,
        availability_zone: body.string("AvailabilityZoneName").map_err(typed)?,
        backup: match members.get("Backup") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(on)) => Some(*on),
            Some(_) => return Err(bad_request("Backup must be a boolean")),
        },
        tags: tags_of(members.get("Tags"))?,
    };
    let fs = efs.create_file_system(&call.caller, input).await.map_err(error)?;
    Ok((StatusCode::CREATED, Some(file_system_json(&fs, efs.now()))))
}

async fn describe_file_systems(efs: &Efs, call: &Call<'_>) -> Reply {
    let (found, next) = efs
        .describe_file_systems(
            &call.caller,
            call.params.get("FileSystemId"),
            call.params.get("CreationToken"),
            query_integer(call, "MaxItems")?,
            call.params.get("Marker"),
        )
        .await
        .map_err(error)?;
    let now = efs.now();
    let mut out = json!({ "FileSystems": found.iter().map(|fs| file_system_json(fs, now)).collect::<Vec<_>>() });
    if let Some(marker) = query_string(call, "Marker") {
        out["Marker"] = json!(marker);
    }
    if let Some(next) = next {
        out["NextMarker"] = json!(next);
    }
    Ok((StatusCode::OK, Some(out)))
}

async fn update_file_system(efs: &Efs, call: &Call<'_>) -> Reply {
    let body = body(call)?;
    let mode = body.string("ThroughputMode").map_err(typed)?;
    let mibps = body.number("ProvisionedThroughputInMibps").map_err(typed)?;
    let fs = efs.update_throughput(&call.caller, call.label("FileSystemId"), mode, mibps).await.map_err(error)?;
    Ok((StatusCode::ACCEPTED, Some(file_system_json(&fs, efs.now()))))
}

async fn delete_file_system(efs: &Efs, call: &Call<'_>) -> Reply {
    efs.delete_file_system(&call.caller, call.label("FileSystemId")).await.map_err(error)?;
    Ok((StatusCode::NO_CONTENT, None))
}

async fn create_mount_target(efs: &Efs, call: &Call<'_>) -> Reply {
    let body = body(call)?;
    let required =
        |member: &str| body.string(member).map_err(typed)?.ok_or_else(|| bad_request(format!("{member} is required")));
    if let Some(kind) = body.string("IpAddressType").map_err(typed)?.filter(|kind| kind != "IPV4_ONLY") {
        return Err(bad_request(format!("IpAddressType {kind} is not supported: only IPV4_ONLY mount targets are.")));
    }
    let input = CreateMountTarget {
        file_system_id: required("FileSystemId")?,
        subnet_id: required("SubnetId")?,
        ip_address: body.string("IpAddress").map_err(typed)?,
        security_groups: body.strings("SecurityGroups").map_err(typed)?,
    };
    let target = efs.create_mount_target(&call.caller, input).await.map_err(error)?;
    Ok((StatusCode::OK, Some(mount_target_json(&target))))
}

async fn describe_mount_targets(efs: &Efs, call: &Call<'_>) -> Reply {
    let named = [
        call.params.get("FileSystemId").map(|id| MountTargetQuery::FileSystem(id.to_owned())),
        call.params.get("MountTargetId").map(|id| MountTargetQuery::MountTarget(id.to_owned())),
        call.params.get("AccessPointId").map(|id| MountTargetQuery::AccessPoint(id.to_owned())),
    ];
    let named: Vec<MountTargetQuery> = named.into_iter().flatten().collect();
    let [query] = &named[..] else {
        return Err(bad_request(
            "Must specify exactly one mutually exclusive parameter: FileSystemId, MountTargetId or AccessPointId.",
        ));
    };
    let (found, next) = efs
        .describe_mount_targets(&call.caller, query, query_integer(call, "MaxItems")?, call.params.get("Marker"))
        .await
        .map_err(error)?;
    let mut out = json!({ "MountTargets": found.iter().map(mount_target_json).collect::<Vec<_>>() });
    if let Some(marker) = query_string(call, "Marker") {
        out["Marker"] = json!(marker);
    }
    if let Some(next) = next {
        out["NextMarker"] = json!(next);
    }
    Ok((StatusCode::OK, Some(out)))
}

async fn delete_mount_target(efs: &Efs, call: &Call<'_>) -> Reply {
    efs.delete_mount_target(&call.caller, call.label("MountTargetId")).await.map_err(error)?;
    Ok((StatusCode::NO_CONTENT, None))
}

async fn describe_mount_target_security_groups(efs: &Efs, call: &Call<'_>) -> Reply {
    let groups = efs.mount_target_security_groups(&call.caller, call.label("MountTargetId")).await.map_err(error)?;
    Ok((StatusCode::OK, Some(json!({ "SecurityGroups": groups }))))
}

async fn modify_mount_target_security_groups(efs: &Efs, call: &Call<'_>) -> Reply {
    let groups = body(call)?.strings("SecurityGroups").map_err(typed)?;
    efs.modify_mount_target_security_groups(&call.caller, call.label("MountTargetId"), groups).await.map_err(error)?;
    Ok((StatusCode::NO_CONTENT, None))
}

async fn create_access_point(efs: &Efs, call: &Call<'_>) -> Reply {
    let body = body(call)?;
    let members = body.members();
    let posix_user = match object(members, "PosixUser")? {
        None => None,
        Some(user) => Some(PosixUser {
            uid: required_long(user, "Uid", "PosixUser")?,
            gid: required_long(user, "Gid", "PosixUser")?,
            secondary_gids: match user.get("SecondaryGids") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| item.as_i64().ok_or_else(|| bad_request("SecondaryGids must be integers")))
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(bad_request("SecondaryGids must be a list")),
            },
        }),
    };
    let root = object(members, "RootDirectory")?;
    let (path, creation_info) = match root {
        None => (None, None),
        Some(root) => {
            let info = match object(root, "CreationInfo")? {
                None => None,
                Some(info) => Some(CreationInfo {
                    owner_uid: required_long(info, "OwnerUid", "RootDirectory.CreationInfo")?,
                    owner_gid: required_long(info, "OwnerGid", "RootDirectory.CreationInfo")?,
                    permissions: string_of(info, "Permissions")?
                        .ok_or_else(|| bad_request("RootDirectory.CreationInfo.Permissions is required"))?,
                }),
            };
            (string_of(root, "Path")?, info)
        }
    };
    let required =
        |member: &str| body.string(member).map_err(typed)?.ok_or_else(|| bad_request(format!("{member} is required")));
    let input = CreateAccessPoint {
        client_token: required("ClientToken")?,
        file_system_id: required("FileSystemId")?,
        posix_user,
        path,
        creation_info,
        tags: tags_of(members.get("Tags"))?,
    };
    let point = efs.create_access_point(&call.caller, input).await.map_err(error)?;
    Ok((StatusCode::OK, Some(access_point_json(&point))))
}

async fn describe_access_points(efs: &Efs, call: &Call<'_>) -> Reply {
    let (found, next) = efs
        .describe_access_points(
            &call.caller,
            call.params.get("AccessPointId"),
            call.params.get("FileSystemId"),
            query_integer(call, "MaxResults")?,
            call.params.get("NextToken"),
        )
        .await
        .map_err(error)?;
    let mut out = json!({ "AccessPoints": found.iter().map(access_point_json).collect::<Vec<_>>() });
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    Ok((StatusCode::OK, Some(out)))
}

async fn delete_access_point(efs: &Efs, call: &Call<'_>) -> Reply {
    efs.delete_access_point(&call.caller, call.label("AccessPointId")).await.map_err(error)?;
    Ok((StatusCode::NO_CONTENT, None))
}

async fn put_lifecycle_configuration(efs: &Efs, call: &Call<'_>) -> Reply {
    let body = body(call)?;
    let items = match body.members().get("LifecyclePolicies") {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => return Err(bad_request("LifecyclePolicies is required")),
        Some(_) => return Err(bad_request("LifecyclePolicies must be a list")),
    };
    let policies = items
        .iter()
        .map(|item| {
            let item = item.as_object().ok_or_else(|| bad_request("Each lifecycle policy must be a structure"))?;
            Ok(LifecyclePolicy {
                transition_to_ia: string_of(item, "TransitionToIA")?,
                transition_to_primary_storage_class: string_of(item, "TransitionToPrimaryStorageClass")?,
                transition_to_archive: string_of(item, "TransitionToArchive")?,
            })
        })
        .collect::<Result<Vec<_>, AwsError>>()?;
    let kept = efs.put_lifecycle(&call.caller, call.label("FileSystemId"), policies).await.map_err(error)?;
    Ok((StatusCode::OK, Some(lifecycle_json(&kept))))
}

async fn describe_lifecycle_configuration(efs: &Efs, call: &Call<'_>) -> Reply {
    let fs = efs.file_system(&call.caller, call.label("FileSystemId")).await.map_err(error)?;
    Ok((StatusCode::OK, Some(lifecycle_json(&fs.lifecycle_policies))))
}

fn backup_json(enabled: bool) -> Value {
    json!({ "BackupPolicy": { "Status": if enabled { "ENABLED" } else { "DISABLED" } } })
}

async fn put_backup_policy(efs: &Efs, call: &Call<'_>) -> Reply {
    let body = body(call)?;
    let policy = object(body.members(), "BackupPolicy")?.ok_or_else(|| bad_request("BackupPolicy is required"))?;
    let status = string_of(policy, "Status")?.ok_or_else(|| bad_request("BackupPolicy.Status is required"))?;
    let enabled = efs.put_backup(&call.caller, call.label("FileSystemId"), &status).await.map_err(error)?;
    Ok((StatusCode::OK, Some(backup_json(enabled))))
}

async fn describe_backup_policy(efs: &Efs, call: &Call<'_>) -> Reply {
    let enabled = efs.backup(&call.caller, call.label("FileSystemId")).await.map_err(error)?;
    Ok((StatusCode::OK, Some(backup_json(enabled))))
}

async fn put_file_system_policy(efs: &Efs, call: &Call<'_>) -> Reply {
    let body = body(call)?;
    let policy = body.string("Policy").map_err(typed)?.ok_or_else(|| bad_request("Policy is required"))?;
    body.boolean("BypassPolicyLockoutSafetyCheck").map_err(typed)?;
    let fs = efs.put_policy(&call.caller, call.label("FileSystemId"), &policy).await.map_err(error)?;
    Ok((StatusCode::OK, Some(json!({ "FileSystemId": fs.id, "Policy": policy }))))
}

async fn describe_file_system_policy(efs: &Efs, call: &Call<'_>) -> Reply {
    let (id, policy) = efs.policy(&call.caller, call.label("FileSystemId")).await.map_err(error)?;
    Ok((StatusCode::OK, Some(json!({ "FileSystemId": id, "Policy": policy }))))
}

async fn delete_file_system_policy(efs: &Efs, call: &Call<'_>) -> Reply {
    efs.delete_policy(&call.caller, call.label("FileSystemId")).await.map_err(error)?;
    Ok((StatusCode::OK, Some(json!({}))))
}

async fn tag_resource(efs: &Efs, call: &Call<'_>) -> Reply {
    let body = body(call)?;
    let tags = tags_of(body.members().get("Tags"))?;
    if tags.is_empty() {
        return Err(bad_request("Tags is required"));
    }
    efs.tag(&call.caller, call.label("ResourceId"), &tags).await.map_err(error)?;
    Ok((StatusCode::OK, Some(json!({}))))
}

async fn untag_resource(efs: &Efs, call: &Call<'_>) -> Reply {
    let keys = crate::eks::query_values(call, "tagKeys");
    efs.untag(&call.caller, call.label("ResourceId"), &keys).await.map_err(error)?;
    Ok((StatusCode::OK, Some(json!({}))))
}

/// A page of tags: at most `max` from the position the token names.
fn tag_page(
    tags: Tags,
    max: Option<i64>,
    token: Option<&str>,
    default_max: usize,
) -> Result<(Tags, Option<String>), AwsError> {
    let limit = match max {
        None => default_max,
        Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
        Some(_) => return Err(bad_request("MaxResults must be at least 1")),
    };
    let start = match token {
        None => 0,
        Some(token) => token.parse::<usize>().ok().filter(|start| *start <= tags.len()).ok_or_else(|| {
            bad_request(format!("Invalid pagination token '{}'.", token.chars().take(32).collect::<String>()))
        })?,
    };
    let next = (start + limit < tags.len()).then(|| (start + limit).to_string());
    Ok((tags.into_iter().skip(start).take(limit).collect(), next))
}

async fn list_tags_for_resource(efs: &Efs, call: &Call<'_>) -> Reply {
    let tags = efs.tags(&call.caller, call.label("ResourceId")).await.map_err(error)?;
    let (tags, next) = tag_page(tags, query_integer(call, "MaxResults")?, call.params.get("NextToken"), 100)?;
    let mut out = json!({ "Tags": tags_json(&tags) });
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    Ok((StatusCode::OK, Some(out)))
}

async fn create_tags(efs: &Efs, call: &Call<'_>) -> Reply {
    let body = body(call)?;
    let tags = tags_of(body.members().get("Tags"))?;
    let id = aws_model::efs::file_system_id(call.label("FileSystemId"), "fileSystemId").map_err(error)?;
    efs.tag(&call.caller, &id, &tags).await.map_err(error)?;
    Ok((StatusCode::NO_CONTENT, None))
}

async fn delete_tags(efs: &Efs, call: &Call<'_>) -> Reply {
    let keys = body(call)?.strings("TagKeys").map_err(typed)?;
    let id = aws_model::efs::file_system_id(call.label("FileSystemId"), "fileSystemId").map_err(error)?;
    efs.untag(&call.caller, &id, &keys).await.map_err(error)?;
    Ok((StatusCode::NO_CONTENT, None))
}

async fn describe_tags(efs: &Efs, call: &Call<'_>) -> Reply {
    let id = aws_model::efs::file_system_id(call.label("FileSystemId"), "fileSystemId").map_err(error)?;
    let tags = efs.tags(&call.caller, &id).await.map_err(error)?;
    let marker = call.params.get("Marker");
    let (tags, next) = tag_page(tags, query_integer(call, "MaxItems")?, marker, 100)?;
    let mut out = json!({ "Tags": tags_json(&tags) });
    if let Some(marker) = marker {
        out["Marker"] = json!(marker);
    }
    if let Some(next) = next {
        out["NextMarker"] = json!(next);
    }
    Ok((StatusCode::OK, Some(out)))
}

async fn describe_account_preferences(_efs: &Efs, call: &Call<'_>) -> Reply {
    query_integer(call, "MaxResults")?;
    Ok((
        StatusCode::OK,
        Some(json!({
            "ResourceIdPreference": { "ResourceIdType": "LONG_ID", "Resources": ["FILE_SYSTEM", "MOUNT_TARGET"] },
        })),
    ))
}

#[cfg(test)]
mod tests;

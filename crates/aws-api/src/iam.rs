//! IAM over the `query` protocol: form parameters in, XML replies in IAM's namespace out, policy documents
//! URL-encoded in replies as IAM returns them. Also the check of requests signed with IAM access keys.

use aws_model::iam::{
    AccessKey, AccessKeyStatus, AuthorizationDetail, CreateRole, Group, IamError, InlineOwner, InstanceProfileView,
    Page, Paging, PolicyScope, PolicyVersion, PolicyView, Role, Tag, Taggable, User,
};
use aws_protocol::query::Scope;
use aws_protocol::xml::XmlWriter;
use aws_protocol::{AuthError, AwsError, QueryError, SignedRequest};
use http::StatusCode;
use time::OffsetDateTime;

use crate::registry::{Outcome, Service, Wire, WireError, operation, wire};
use crate::{AwsApi, Call};

/// IAM on the wire.
pub(crate) const SERVICE: Service = Service {
    signing_name: "iam",
    model: "iam",
    title: "IAM",
    wire: Wire::Query { version: "2010-05-08", namespace: "https://iam.amazonaws.com/doc/2010-05-08/" },
    operations: &[
        // Roles.
        operation!("CreateRole", create_role),
        operation!("GetRole", get_role),
        operation!("ListRoles", list_roles),
        operation!("DeleteRole", delete_role),
        operation!("UpdateAssumeRolePolicy", update_assume_role_policy),
        operation!("UpdateRole", update_role),
        operation!("UpdateRoleDescription", update_role),
        // Tags, on every taggable entity.
        operation!("TagRole", tag_entity),
        operation!("UntagRole", untag_entity),
        operation!("ListRoleTags", list_entity_tags),
        operation!("TagUser", tag_entity),
        operation!("UntagUser", untag_entity),
        operation!("ListUserTags", list_entity_tags),
        operation!("TagPolicy", tag_entity),
        operation!("UntagPolicy", untag_entity),
        operation!("ListPolicyTags", list_entity_tags),
        operation!("TagInstanceProfile", tag_entity),
        operation!("UntagInstanceProfile", untag_entity),
        operation!("ListInstanceProfileTags", list_entity_tags),
        operation!("TagOpenIDConnectProvider", tag_entity),
        operation!("UntagOpenIDConnectProvider", untag_entity),
        operation!("ListOpenIDConnectProviderTags", list_entity_tags),
        // Inline role policies.
        operation!("PutRolePolicy", put_inline_policy),
        operation!("GetRolePolicy", get_inline_policy),
        operation!("ListRolePolicies", list_inline_policies),
        operation!("DeleteRolePolicy", delete_inline_policy),
        operation!("GetAccountAuthorizationDetails", get_account_authorization_details),
        // Service-linked roles.
        operation!("CreateServiceLinkedRole", create_service_linked_role),
        operation!("DeleteServiceLinkedRole", delete_service_linked_role),
        operation!("GetServiceLinkedRoleDeletionStatus", get_service_linked_role_deletion_status),
        // Groups.
        operation!("CreateGroup", create_group),
        operation!("GetGroup", get_group),
        operation!("ListGroups", list_groups),
        operation!("DeleteGroup", delete_group),
        operation!("AddUserToGroup", add_user_to_group),
        operation!("RemoveUserFromGroup", remove_user_from_group),
        operation!("ListGroupsForUser", list_groups_for_user),
        operation!("AttachGroupPolicy", attach_group_policy),
        operation!("DetachGroupPolicy", detach_group_policy),
        operation!("ListAttachedGroupPolicies", list_attached_group_policies),
        // Inline user and group policies.
        operation!("PutUserPolicy", put_inline_policy),
        operation!("GetUserPolicy", get_inline_policy),
        operation!("ListUserPolicies", list_inline_policies),
        operation!("DeleteUserPolicy", delete_inline_policy),
        operation!("PutGroupPolicy", put_inline_policy),
        operation!("GetGroupPolicy", get_inline_policy),
        operation!("ListGroupPolicies", list_inline_policies),
        operation!("DeleteGroupPolicy", delete_inline_policy),
        // Managed policies.
        operation!("CreatePolicy", create_policy),
        operation!("GetPolicy", get_policy),
        operation!("ListPolicies", list_policies),
        operation!("DeletePolicy", delete_policy),
        operation!("CreatePolicyVersion", create_policy_version),
        operation!("GetPolicyVersion", get_policy_version),
        operation!("ListPolicyVersions", list_policy_versions),
        operation!("DeletePolicyVersion", delete_policy_version),
        operation!("SetDefaultPolicyVersion", set_default_policy_version),
        operation!("AttachRolePolicy", attach_role_policy),
        operation!("DetachRolePolicy", detach_role_policy),
        operation!("ListAttachedRolePolicies", list_attached_role_policies),
        operation!("AttachUserPolicy", attach_user_policy),
        operation!("DetachUserPolicy", detach_user_policy),
        operation!("ListAttachedUserPolicies", list_attached_user_policies),
        // Instance profiles.
        operation!("CreateInstanceProfile", create_instance_profile),
        operation!("GetInstanceProfile", get_instance_profile),
        operation!("DeleteInstanceProfile", delete_instance_profile),
        operation!("ListInstanceProfiles", list_instance_profiles),
        operation!("ListInstanceProfilesForRole", list_instance_profiles_for_role),
        operation!("AddRoleToInstanceProfile", add_role_to_instance_profile),
        operation!("RemoveRoleFromInstanceProfile", remove_role_from_instance_profile),
        // OpenID Connect providers.
        operation!("CreateOpenIDConnectProvider", create_open_id_connect_provider),
        operation!("GetOpenIDConnectProvider", get_open_id_connect_provider),
        operation!("ListOpenIDConnectProviders", list_open_id_connect_providers),
        operation!("DeleteOpenIDConnectProvider", delete_open_id_connect_provider),
        operation!("AddClientIDToOpenIDConnectProvider", add_client_id_to_open_id_connect_provider),
        operation!("RemoveClientIDFromOpenIDConnectProvider", remove_client_id_from_open_id_connect_provider),
        operation!("UpdateOpenIDConnectProviderThumbprint", update_open_id_connect_provider_thumbprint),
        // Users and access keys.
        operation!("CreateUser", create_user),
        operation!("GetUser", get_user),
        operation!("ListUsers", list_users),
        operation!("DeleteUser", delete_user),
        operation!("CreateAccessKey", create_access_key),
        operation!("ListAccessKeys", list_access_keys),
        operation!("UpdateAccessKey", update_access_key),
        operation!("DeleteAccessKey", delete_access_key),
    ],
};

/// The access key IAM issued for a signed request, after checking its status and signature; `None` for keys IAM
/// does not know, which the open mode accepts unchecked.
pub(crate) async fn authenticate(
    api: &AwsApi,
    signed: &SignedRequest,
    now: f64,
) -> Result<Option<AccessKey>, AuthError> {
    let key = match api.iam().access_key(signed.access_key_id()).await {
        Ok(Some(key)) => key,
        Ok(None) => return Ok(None),
        Err(error) => {
            tracing::warn!(%error, "reading an access key failed");
            return Err(AuthError::UnknownAccessKey(signed.access_key_id().to_owned()));
        }
    };
    if key.status != AccessKeyStatus::Active {
        return Err(AuthError::UnknownAccessKey(key.id));
    }
    signed.verify(&key.secret, timestamp(now))?;
    Ok(Some(key))
}

fn timestamp(seconds: f64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos((seconds * 1e9) as i128).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl WireError for IamError {
    fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            IamError::NoSuchEntity(_) => ("NoSuchEntity", StatusCode::NOT_FOUND),
            IamError::EntityAlreadyExists(_) => ("EntityAlreadyExists", StatusCode::CONFLICT),
            IamError::MalformedPolicyDocument(_) => ("MalformedPolicyDocument", StatusCode::BAD_REQUEST),
            IamError::LimitExceeded(_) => ("LimitExceeded", StatusCode::CONFLICT),
            IamError::DeleteConflict(_) => ("DeleteConflict", StatusCode::CONFLICT),
            IamError::InvalidInput(_) => ("InvalidInput", StatusCode::BAD_REQUEST),
            IamError::Validation(_) => ("ValidationError", StatusCode::BAD_REQUEST),
            IamError::UnmodifiableEntity(_) => ("UnmodifiableEntity", StatusCode::BAD_REQUEST),
            IamError::ServiceFailure(_) => ("ServiceFailure", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

fn param_error(error: QueryError) -> AwsError {
    match error {
        QueryError::Invalid { key, value, .. } => {
            AwsError::bad_request("ValidationError", format!("Invalid value '{value}' for {key}."))
        }
        other => other.to_aws_error(aws_protocol::Protocol::Query),
    }
}

/// `RoleName` -> `roleName`, as IAM's validation messages name members.
fn member_name(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

fn required<'a>(params: &Scope<'a>, name: &str) -> Result<&'a str, AwsError> {
    params.get(name).ok_or_else(|| {
        AwsError::bad_request(
            "ValidationError",
            format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                member_name(name)
            ),
        )
    })
}

fn paging(params: &Scope<'_>) -> Result<Paging, AwsError> {
    Ok(Paging {
        marker: params.get("Marker").map(str::to_owned),
        max_items: params.int("MaxItems").map_err(param_error)?,
    })
}

fn tags(params: &Scope<'_>) -> Result<Vec<Tag>, AwsError> {
    let members = params.list("Tags").map_err(param_error)?;
    members
        .iter()
        .map(|tag| Ok(Tag { key: required(tag, "Key")?.to_owned(), value: required(tag, "Value")?.to_owned() }))
        .collect()
}

fn strings(params: &Scope<'_>, name: &str) -> Result<Vec<String>, AwsError> {
    Ok(params.string_list(name).map_err(param_error)?.into_iter().map(str::to_owned).collect())
}

/// Percent-encodes everything but RFC 3986's unreserved characters, as IAM returns policy documents.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn tags_xml(xml: &mut XmlWriter, tags: &[Tag]) {
    if !tags.is_empty() {
        xml.list("Tags", "member", tags, |xml, tag| {
            xml.text("Key", &tag.key).text("Value", &tag.value);
        });
    }
}

fn boundary_xml(xml: &mut XmlWriter, boundary: Option<&str>) {
    if let Some(arn) = boundary {
        xml.element("PermissionsBoundary", |xml| {
            xml.text("PermissionsBoundaryType", "PermissionsBoundaryPolicy").text("PermissionsBoundaryArn", arn);
        });
    }
}

/// A `Role`; `full` adds what GetRole returns beyond the list operations.
fn role_xml(xml: &mut XmlWriter, role: &Role, full: bool) {
    xml.text("Path", &role.path)
        .text("RoleName", &role.name)
        .text("RoleId", &role.id)
        .text("Arn", &role.arn)
        .timestamp("CreateDate", timestamp(role.created_at))
        .text("AssumeRolePolicyDocument", &url_encode(&role.assume_role_policy))
        .optional("Description", role.description.as_deref())
        .value("MaxSessionDuration", role.max_session_duration);
    if full {
        boundary_xml(xml, role.permissions_boundary.as_deref());
        tags_xml(xml, &role.tags);
        xml.element("RoleLastUsed", |_| {});
    }
}

fn user_xml(xml: &mut XmlWriter, user: &User, full: bool) {
    xml.text("Path", &user.path)
        .text("UserName", &user.name)
        .text("UserId", &user.id)
        .text("Arn", &user.arn)
        .timestamp("CreateDate", timestamp(user.created_at));
    if full {
        boundary_xml(xml, user.permissions_boundary.as_deref());
        tags_xml(xml, &user.tags);
    }
}

fn policy_xml(xml: &mut XmlWriter, view: &PolicyView, full: bool) {
    let policy = &view.policy;
    xml.text("PolicyName", &policy.name)
        .text("PolicyId", &policy.id)
        .text("Arn", &policy.arn)
        .text("Path", &policy.path)
        .text("DefaultVersionId", &policy.default_version)
        .value("AttachmentCount", view.attachment_count)
        .value("PermissionsBoundaryUsageCount", view.boundary_count)
        .value("IsAttachable", true);
    if full {
        xml.optional("Description", policy.description.as_deref());
    }
    xml.timestamp("CreateDate", timestamp(policy.created_at)).timestamp("UpdateDate", timestamp(policy.updated_at));
    if full {
        tags_xml(xml, &policy.tags);
    }
}

fn version_xml(xml: &mut XmlWriter, version: &PolicyVersion, is_default: bool, with_document: bool) {
    if with_document {
        xml.text("Document", &url_encode(&version.document));
    }
    xml.text("VersionId", &version.version_id)
        .value("IsDefaultVersion", is_default)
        .timestamp("CreateDate", timestamp(version.created_at));
}

fn profile_xml(xml: &mut XmlWriter, view: &InstanceProfileView) {
    let profile = &view.profile;
    xml.text("Path", &profile.path)
        .text("InstanceProfileName", &profile.name)
        .text("InstanceProfileId", &profile.id)
        .text("Arn", &profile.arn)
        .timestamp("CreateDate", timestamp(profile.created_at))
        .list("Roles", "member", &view.roles, |xml, role| role_xml(xml, role, false));
    tags_xml(xml, &profile.tags);
}

fn truncation<T>(xml: &mut XmlWriter, page: &Page<T>) {
    xml.value("IsTruncated", page.marker.is_some());
    xml.optional("Marker", page.marker.as_deref());
}

/// The user a user-optional operation is about: the named one, else the calling user.
fn user_name<'a>(params: &Scope<'a>, call: &'a Call<'_>) -> Result<&'a str, AwsError> {
    if let Some(name) = params.get("UserName") {
        return Ok(name);
    }
    match call.caller.arn.split_once(":user/") {
        Some((_, path_and_name)) => Ok(path_and_name.rsplit('/').next().unwrap_or_default()),
        None => Err(AwsError::bad_request(
            "ValidationError",
            "Must specify userName when calling with non-User credentials",
        )),
    }
}

async fn create_role(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let input = CreateRole {
        name: required(&p, "RoleName")?.to_owned(),
        path: p.get("Path").map(str::to_owned),
        assume_role_policy: required(&p, "AssumeRolePolicyDocument")?.to_owned(),
        description: p.get("Description").map(str::to_owned),
        max_session_duration: p.int("MaxSessionDuration").map_err(param_error)?,
        permissions_boundary: p.get("PermissionsBoundary").map(str::to_owned),
        tags: tags(&p)?,
    };
    let role = iam.create_role(account, input).await.map_err(wire)?;
    call.xml(|xml| {
        xml.element("Role", |xml| role_xml(xml, &role, true));
    })
}

async fn get_role(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let role = iam.get_role(account, required(&p, "RoleName")?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.element("Role", |xml| role_xml(xml, &role, true));
    })
}

async fn list_roles(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let page = iam.list_roles(account, p.get("PathPrefix"), &paging(&p)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("Roles", "member", &page.items, |xml, role| role_xml(xml, role, false));
        truncation(xml, &page);
    })
}

async fn delete_role(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    iam.delete_role(account, required(&p, "RoleName")?).await.map_err(wire)?;
    call.xml_without_result()
}

async fn update_assume_role_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let document = required(&p, "PolicyDocument")?;
    iam.update_assume_role_policy(account, required(&p, "RoleName")?, document).await.map_err(wire)?;
    call.xml_without_result()
}

async fn update_role(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let action = call.operation.name;
    let name = required(&p, "RoleName")?;
    let description = match action {
        "UpdateRoleDescription" => Some(required(&p, "Description")?.to_owned()),
        _ => p.get("Description").map(str::to_owned),
    };
    let duration = p.int("MaxSessionDuration").map_err(param_error)?;
    iam.update_role(account, name, description, duration).await.map_err(wire)?;
    if action == "UpdateRole" {
        call.xml(|_| {})
    } else {
        let role = iam.get_role(account, name).await.map_err(wire)?;
        call.xml(|xml| {
            xml.element("Role", |xml| role_xml(xml, &role, true));
        })
    }
}

/// The entity a Tag*, Untag* or List*Tags operation names, by the operation's name.
fn taggable<'a>(call: &Call<'_>, p: &'a Scope<'a>) -> Result<Taggable<'a>, AwsError> {
    let entity = call
        .operation
        .name
        .trim_start_matches("List")
        .trim_start_matches("Untag")
        .trim_start_matches("Tag")
        .trim_end_matches("Tags");
    Ok(match entity {
        "Role" => Taggable::Role(required(p, "RoleName")?),
        "User" => Taggable::User(required(p, "UserName")?),
        "Policy" => Taggable::Policy(required(p, "PolicyArn")?),
        "InstanceProfile" => Taggable::InstanceProfile(required(p, "InstanceProfileName")?),
        _ => Taggable::OpenIdConnectProvider(required(p, "OpenIDConnectProviderArn")?),
    })
}

async fn tag_entity(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    api.iam().tag(call.account(), taggable(call, &p)?, tags(&p)?).await.map_err(wire)?;
    call.xml_without_result()
}

async fn untag_entity(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let keys = strings(&p, "TagKeys")?;
    api.iam().untag(call.account(), taggable(call, &p)?, &keys).await.map_err(wire)?;
    call.xml_without_result()
}

async fn list_entity_tags(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let page = api.iam().list_tags(call.account(), taggable(call, &p)?, &paging(&p)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("Tags", "member", &page.items, |xml, tag| {
            xml.text("Key", &tag.key).text("Value", &tag.value);
        });
        truncation(xml, &page);
    })
}

/// The owner of the inline policies an operation names (`PutRolePolicy`, `ListUserPolicies`, ...), and the
/// parameter that names it.
fn inline_owner<'a>(call: &Call<'_>, p: &'a Scope<'a>) -> Result<(InlineOwner<'a>, &'static str), AwsError> {
    let name = call.operation.name;
    Ok(if name.contains("Role") {
        (InlineOwner::Role(required(p, "RoleName")?), "RoleName")
    } else if name.contains("User") {
        (InlineOwner::User(required(p, "UserName")?), "UserName")
    } else {
        (InlineOwner::Group(required(p, "GroupName")?), "GroupName")
    })
}

async fn put_inline_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let (owner, _) = inline_owner(call, &p)?;
    let (name, document) = (required(&p, "PolicyName")?, required(&p, "PolicyDocument")?);
    api.iam().put_inline_policy(call.account(), owner, name, document).await.map_err(wire)?;
    call.xml_without_result()
}

async fn get_inline_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let (owner, member) = inline_owner(call, &p)?;
    let owner_name = required(&p, member)?;
    let (name, document) =
        api.iam().get_inline_policy(call.account(), owner, required(&p, "PolicyName")?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.text(member, owner_name).text("PolicyName", &name).text("PolicyDocument", &url_encode(&document));
    })
}

async fn list_inline_policies(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let (owner, _) = inline_owner(call, &p)?;
    let page = api.iam().list_inline_policies(call.account(), owner, &paging(&p)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.text_list("PolicyNames", "member", page.items.iter().map(String::as_str));
        truncation(xml, &page);
    })
}

async fn delete_inline_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let (owner, _) = inline_owner(call, &p)?;
    api.iam().delete_inline_policy(call.account(), owner, required(&p, "PolicyName")?).await.map_err(wire)?;
    call.xml_without_result()
}

async fn create_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let view = iam
        .create_policy(
            account,
            required(&p, "PolicyName")?,
            p.get("Path"),
            required(&p, "PolicyDocument")?,
            p.get("Description").map(str::to_owned),
            tags(&p)?,
        )
        .await
        .map_err(wire)?;
    call.xml(|xml| {
        xml.element("Policy", |xml| policy_xml(xml, &view, true));
    })
}

async fn get_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let view = iam.get_policy(account, required(&p, "PolicyArn")?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.element("Policy", |xml| policy_xml(xml, &view, true));
    })
}

async fn list_policies(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let scope = PolicyScope::parse(p.get("Scope").unwrap_or("All")).map_err(wire)?;
    let only_attached = p.bool("OnlyAttached").map_err(param_error)?.unwrap_or(false);
    let page =
        iam.list_policies(account, scope, only_attached, p.get("PathPrefix"), &paging(&p)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("Policies", "member", &page.items, |xml, view| policy_xml(xml, view, false));
        truncation(xml, &page);
    })
}

async fn delete_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    iam.delete_policy(account, required(&p, "PolicyArn")?).await.map_err(wire)?;
    call.xml_without_result()
}

async fn create_policy_version(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let arn = required(&p, "PolicyArn")?;
    let set_default = p.bool("SetAsDefault").map_err(param_error)?.unwrap_or(false);
    let document = required(&p, "PolicyDocument")?;
    let (version, is_default) = iam.create_policy_version(account, arn, document, set_default).await.map_err(wire)?;
    call.xml(|xml| {
        xml.element("PolicyVersion", |xml| version_xml(xml, &version, is_default, false));
    })
}

async fn get_policy_version(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let (arn, version) = (required(&p, "PolicyArn")?, required(&p, "VersionId")?);
    let (version, is_default) = iam.get_policy_version(account, arn, version).await.map_err(wire)?;
    call.xml(|xml| {
        xml.element("PolicyVersion", |xml| version_xml(xml, &version, is_default, true));
    })
}

async fn list_policy_versions(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let page = iam.list_policy_versions(account, required(&p, "PolicyArn")?, &paging(&p)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("Versions", "member", &page.items, |xml, (version, is_default)| {
            version_xml(xml, version, *is_default, false)
        });
        truncation(xml, &page);
    })
}

async fn delete_policy_version(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let (arn, version) = (required(&p, "PolicyArn")?, required(&p, "VersionId")?);
    iam.delete_policy_version(account, arn, version).await.map_err(wire)?;
    call.xml_without_result()
}

async fn set_default_policy_version(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let (arn, version) = (required(&p, "PolicyArn")?, required(&p, "VersionId")?);
    iam.set_default_policy_version(account, arn, version).await.map_err(wire)?;
    call.xml_without_result()
}

async fn attach_role_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let (role, arn) = (required(&p, "RoleName")?, required(&p, "PolicyArn")?);
    iam.attach_role_policy(account, role, arn).await.map_err(wire)?;
    call.xml_without_result()
}

async fn detach_role_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let (role, arn) = (required(&p, "RoleName")?, required(&p, "PolicyArn")?);
    iam.detach_role_policy(account, role, arn).await.map_err(wire)?;
    call.xml_without_result()
}

async fn list_attached_role_policies(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let role = required(&p, "RoleName")?;
    let page = iam.list_attached_role_policies(account, role, p.get("PathPrefix"), &paging(&p)?).await.map_err(wire)?;
    call.xml(|xml| attached_xml(xml, &page))
}

async fn attach_user_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let (user, arn) = (required(&p, "UserName")?, required(&p, "PolicyArn")?);
    iam.attach_user_policy(account, user, arn).await.map_err(wire)?;
    call.xml_without_result()
}

async fn detach_user_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let (user, arn) = (required(&p, "UserName")?, required(&p, "PolicyArn")?);
    iam.detach_user_policy(account, user, arn).await.map_err(wire)?;
    call.xml_without_result()
}

async fn list_attached_user_policies(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let user = required(&p, "UserName")?;
    let page = iam.list_attached_user_policies(account, user, p.get("PathPrefix"), &paging(&p)?).await.map_err(wire)?;
    call.xml(|xml| attached_xml(xml, &page))
}

async fn create_instance_profile(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let name = required(&p, "InstanceProfileName")?;
    let view = iam.create_instance_profile(account, name, p.get("Path"), tags(&p)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.element("InstanceProfile", |xml| profile_xml(xml, &view));
    })
}

async fn get_instance_profile(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let view = iam.get_instance_profile(account, required(&p, "InstanceProfileName")?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.element("InstanceProfile", |xml| profile_xml(xml, &view));
    })
}

async fn delete_instance_profile(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    iam.delete_instance_profile(account, required(&p, "InstanceProfileName")?).await.map_err(wire)?;
    call.xml_without_result()
}

async fn list_instance_profiles(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let page = iam.list_instance_profiles(account, p.get("PathPrefix"), &paging(&p)?).await.map_err(wire)?;
    call.xml(|xml| profiles_xml(xml, &page))
}

async fn list_instance_profiles_for_role(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let role = required(&p, "RoleName")?;
    let page = iam.list_instance_profiles_for_role(account, role, &paging(&p)?).await.map_err(wire)?;
    call.xml(|xml| profiles_xml(xml, &page))
}

async fn add_role_to_instance_profile(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let (profile, role) = (required(&p, "InstanceProfileName")?, required(&p, "RoleName")?);
    iam.add_role_to_instance_profile(account, profile, role).await.map_err(wire)?;
    call.xml_without_result()
}

async fn remove_role_from_instance_profile(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let (profile, role) = (required(&p, "InstanceProfileName")?, required(&p, "RoleName")?);
    iam.remove_role_from_instance_profile(account, profile, role).await.map_err(wire)?;
    call.xml_without_result()
}

async fn create_open_id_connect_provider(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let provider = iam
        .create_open_id_connect_provider(
            account,
            required(&p, "Url")?,
            strings(&p, "ClientIDList")?,
            strings(&p, "ThumbprintList")?,
            tags(&p)?,
        )
        .await
        .map_err(wire)?;
    call.xml(|xml| {
        xml.text("OpenIDConnectProviderArn", &provider.arn);
        tags_xml(xml, &provider.tags);
    })
}

async fn get_open_id_connect_provider(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let arn = required(&p, "OpenIDConnectProviderArn")?;
    let provider = iam.get_open_id_connect_provider(account, arn).await.map_err(wire)?;
    call.xml(|xml| {
        xml.text("Url", &provider.url)
            .text_list("ClientIDList", "member", provider.client_ids.iter().map(String::as_str))
            .text_list("ThumbprintList", "member", provider.thumbprints.iter().map(String::as_str))
            .timestamp("CreateDate", timestamp(provider.created_at));
        tags_xml(xml, &provider.tags);
    })
}

async fn list_open_id_connect_providers(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, _) = (api.iam(), call.account(), call.params.root());
    let arns = iam.list_open_id_connect_providers(account).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("OpenIDConnectProviderList", "member", &arns, |xml, arn| {
            xml.text("Arn", arn);
        });
    })
}

async fn delete_open_id_connect_provider(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let arn = required(&p, "OpenIDConnectProviderArn")?;
    iam.delete_open_id_connect_provider(account, arn).await.map_err(wire)?;
    call.xml_without_result()
}

async fn add_client_id_to_open_id_connect_provider(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let (arn, client) = (required(&p, "OpenIDConnectProviderArn")?, required(&p, "ClientID")?);
    iam.add_client_id_to_open_id_connect_provider(account, arn, client).await.map_err(wire)?;
    call.xml_without_result()
}

async fn remove_client_id_from_open_id_connect_provider(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let (arn, client) = (required(&p, "OpenIDConnectProviderArn")?, required(&p, "ClientID")?);
    iam.remove_client_id_from_open_id_connect_provider(account, arn, client).await.map_err(wire)?;
    call.xml_without_result()
}

async fn update_open_id_connect_provider_thumbprint(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let arn = required(&p, "OpenIDConnectProviderArn")?;
    let thumbprints = strings(&p, "ThumbprintList")?;
    iam.update_open_id_connect_provider_thumbprint(account, arn, thumbprints).await.map_err(wire)?;
    call.xml_without_result()
}

async fn create_user(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let boundary = p.get("PermissionsBoundary").map(str::to_owned);
    let user =
        iam.create_user(account, required(&p, "UserName")?, p.get("Path"), boundary, tags(&p)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.element("User", |xml| user_xml(xml, &user, true));
    })
}

async fn get_user(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let user = iam.get_user(account, user_name(&p, call)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.element("User", |xml| user_xml(xml, &user, true));
    })
}

async fn list_users(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let page = iam.list_users(account, p.get("PathPrefix"), &paging(&p)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("Users", "member", &page.items, |xml, user| user_xml(xml, user, false));
        truncation(xml, &page);
    })
}

async fn delete_user(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    iam.delete_user(account, required(&p, "UserName")?).await.map_err(wire)?;
    call.xml_without_result()
}

async fn create_access_key(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let key = iam.create_access_key(account, user_name(&p, call)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.element("AccessKey", |xml| {
            xml.text("UserName", &key.user_name)
                .text("AccessKeyId", &key.id)
                .text("Status", key.status.as_str())
                .text("SecretAccessKey", &key.secret)
                .timestamp("CreateDate", timestamp(key.created_at));
        });
    })
}

async fn list_access_keys(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let page = iam.list_access_keys(account, user_name(&p, call)?, &paging(&p)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.list("AccessKeyMetadata", "member", &page.items, |xml, key| {
            xml.text("UserName", &key.user_name)
                .text("AccessKeyId", &key.id)
                .text("Status", key.status.as_str())
                .timestamp("CreateDate", timestamp(key.created_at));
        });
        truncation(xml, &page);
    })
}

async fn update_access_key(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let status = AccessKeyStatus::parse(required(&p, "Status")?).map_err(wire)?;
    let key_id = required(&p, "AccessKeyId")?;
    iam.update_access_key(account, user_name(&p, call)?, key_id, status).await.map_err(wire)?;
    call.xml_without_result()
}

async fn delete_access_key(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (iam, account, p) = (api.iam(), call.account(), call.params.root());
    let key_id = required(&p, "AccessKeyId")?;
    iam.delete_access_key(account, user_name(&p, call)?, key_id).await.map_err(wire)?;
    call.xml_without_result()
}

fn attached_xml(xml: &mut XmlWriter, page: &Page<(String, String)>) {
    xml.list("AttachedPolicies", "member", &page.items, |xml, (name, arn)| {
        xml.text("PolicyName", name).text("PolicyArn", arn);
    });
    truncation(xml, page);
}

fn profiles_xml(xml: &mut XmlWriter, page: &Page<InstanceProfileView>) {
    xml.list("InstanceProfiles", "member", &page.items, profile_xml);
    truncation(xml, page);
}

#[cfg(test)]
mod tests;

fn group_xml(xml: &mut XmlWriter, group: &Group) {
    xml.text("Path", &group.path)
        .text("GroupName", &group.name)
        .text("GroupId", &group.id)
        .text("Arn", &group.arn)
        .timestamp("CreateDate", timestamp(group.created_at));
}

fn groups_xml(xml: &mut XmlWriter, page: &Page<Group>) {
    xml.list("Groups", "member", &page.items, group_xml);
    truncation(xml, page);
}

async fn create_group(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let group =
        api.iam().create_group(call.account(), required(&p, "GroupName")?, p.get("Path")).await.map_err(wire)?;
    call.xml(|xml| {
        xml.element("Group", |xml| group_xml(xml, &group));
    })
}

async fn get_group(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let (group, users) =
        api.iam().get_group(call.account(), required(&p, "GroupName")?, &paging(&p)?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.element("Group", |xml| group_xml(xml, &group));
        xml.list("Users", "member", &users.items, |xml, user| user_xml(xml, user, false));
        truncation(xml, &users);
    })
}

async fn list_groups(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let page = api.iam().list_groups(call.account(), p.get("PathPrefix"), &paging(&p)?).await.map_err(wire)?;
    call.xml(|xml| groups_xml(xml, &page))
}

async fn delete_group(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    api.iam().delete_group(call.account(), required(&p, "GroupName")?).await.map_err(wire)?;
    call.xml_without_result()
}

async fn add_user_to_group(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let (group, user) = (required(&p, "GroupName")?, required(&p, "UserName")?);
    api.iam().add_user_to_group(call.account(), group, user).await.map_err(wire)?;
    call.xml_without_result()
}

async fn remove_user_from_group(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let (group, user) = (required(&p, "GroupName")?, required(&p, "UserName")?);
    api.iam().remove_user_from_group(call.account(), group, user).await.map_err(wire)?;
    call.xml_without_result()
}

async fn list_groups_for_user(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let page =
        api.iam().list_groups_for_user(call.account(), required(&p, "UserName")?, &paging(&p)?).await.map_err(wire)?;
    call.xml(|xml| groups_xml(xml, &page))
}

async fn attach_group_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let (group, arn) = (required(&p, "GroupName")?, required(&p, "PolicyArn")?);
    api.iam().attach_group_policy(call.account(), group, arn).await.map_err(wire)?;
    call.xml_without_result()
}

async fn detach_group_policy(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let (group, arn) = (required(&p, "GroupName")?, required(&p, "PolicyArn")?);
    api.iam().detach_group_policy(call.account(), group, arn).await.map_err(wire)?;
    call.xml_without_result()
}

async fn list_attached_group_policies(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let group = required(&p, "GroupName")?;
    let page = api
        .iam()
        .list_attached_group_policies(call.account(), group, p.get("PathPrefix"), &paging(&p)?)
        .await
        .map_err(wire)?;
    call.xml(|xml| attached_xml(xml, &page))
}

async fn create_service_linked_role(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let role = api
        .iam()
        .create_service_linked_role(
            call.account(),
            required(&p, "AWSServiceName")?,
            p.get("Description"),
            p.get("CustomSuffix"),
        )
        .await
        .map_err(wire)?;
    call.xml(|xml| {
        xml.element("Role", |xml| role_xml(xml, &role, false));
    })
}

async fn delete_service_linked_role(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let task = api.iam().delete_service_linked_role(call.account(), required(&p, "RoleName")?).await.map_err(wire)?;
    call.xml(|xml| {
        xml.text("DeletionTaskId", &task);
    })
}

async fn get_service_linked_role_deletion_status(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let task = required(&p, "DeletionTaskId")?;
    let status = api.iam().service_linked_role_deletion_status(call.account(), task).await.map_err(wire)?;
    call.xml(|xml| {
        xml.text("Status", status);
    })
}

/// `AttachedManagedPolicies` of a details entry: each ARN with its policy's name (the ARN's last segment).
fn attached_arns_xml(xml: &mut XmlWriter, arns: &[String]) {
    xml.list("AttachedManagedPolicies", "member", arns, |xml, arn| {
        xml.text("PolicyName", arn.rsplit('/').next().unwrap_or_default()).text("PolicyArn", arn);
    });
}

/// An entity's inline policies under `list` (`UserPolicyList`, ...), documents URL-encoded.
fn inline_xml(xml: &mut XmlWriter, list: &str, policies: &std::collections::BTreeMap<String, String>) {
    let entries: Vec<(&String, &String)> = policies.iter().collect();
    xml.list(list, "member", &entries, |xml, (name, document)| {
        xml.text("PolicyName", name).text("PolicyDocument", &url_encode(document));
    });
}

async fn get_account_authorization_details(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let p = call.params.root();
    let filter = strings(&p, "Filter")?;
    let page = api.iam().account_authorization_details(call.account(), &filter, &paging(&p)?).await.map_err(wire)?;
    let (mut users, mut groups, mut roles, mut policies) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for detail in &page.items {
        match detail {
            AuthorizationDetail::User(user, names) => users.push((user, names)),
            AuthorizationDetail::Group(group) => groups.push(group),
            AuthorizationDetail::Role(role, profiles) => roles.push((role, profiles)),
            AuthorizationDetail::Policy(view) => policies.push(view),
        }
    }
    call.xml(|xml| {
        xml.list("UserDetailList", "member", &users, |xml, (user, names)| {
            user_xml(xml, user, false);
            inline_xml(xml, "UserPolicyList", &user.inline_policies);
            xml.text_list("GroupList", "member", names.iter().map(String::as_str));
            attached_arns_xml(xml, &user.attached_policies);
            boundary_xml(xml, user.permissions_boundary.as_deref());
            tags_xml(xml, &user.tags);
        });
        xml.list("GroupDetailList", "member", &groups, |xml, group| {
            group_xml(xml, group);
            inline_xml(xml, "GroupPolicyList", &group.inline_policies);
            attached_arns_xml(xml, &group.attached_policies);
        });
        xml.list("RoleDetailList", "member", &roles, |xml, (role, profiles)| {
            xml.text("Path", &role.path)
                .text("RoleName", &role.name)
                .text("RoleId", &role.id)
                .text("Arn", &role.arn)
                .timestamp("CreateDate", timestamp(role.created_at))
                .text("AssumeRolePolicyDocument", &url_encode(&role.assume_role_policy))
                .list("InstanceProfileList", "member", profiles.iter(), profile_xml);
            inline_xml(xml, "RolePolicyList", &role.inline_policies);
            attached_arns_xml(xml, &role.attached_policies);
            boundary_xml(xml, role.permissions_boundary.as_deref());
            tags_xml(xml, &role.tags);
            xml.element("RoleLastUsed", |_| {});
        });
        xml.list("Policies", "member", &policies, |xml, view| {
            policy_xml(xml, view, true);
            let default = &view.policy.default_version;
            xml.list("PolicyVersionList", "member", &view.policy.versions, |xml, version| {
                version_xml(xml, version, version.version_id == *default, true);
            });
        });
        truncation(xml, &page);
    })
}

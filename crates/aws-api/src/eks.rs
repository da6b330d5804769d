//! EKS over `rest-json`: operations bound to method and path (the table in [`SERVICE`]), JSON bodies, errors with
//! `x-amzn-errortype`.
//!
//! Clusters are here; the resources under a cluster have a submodule each: [`nodegroups`], [`fargate`],
//! [`updates`] (cluster updates and the `Update` records), [`addons`], [`access`] (access entries and policies),
//! [`identity`] (pod identity associations and identity provider configs), [`insights`] and [`tags`].

mod access;
mod addons;
mod fargate;
mod identity;
mod insights;
mod nodegroups;
mod tags;
mod updates;

use std::collections::BTreeMap;
use std::future::Future;

use aws_model::eks::auto_mode::{AutoModeRequest, ComputeRequest, compute_json};
use aws_model::eks::encryption::{EncryptionConfig, encryption_json};
use aws_model::eks::hybrid::{RemoteNetworkConfig, remote_network_json};
use aws_model::eks::registered::{RegisterCluster, RegisteredCluster};
use aws_model::eks::versions::{ClusterVersion, VersionQuery};
use aws_model::eks::{Cluster, CreateCluster, EksError, HealthIssue};
use aws_protocol::AwsError;
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::registry::{Handled, Operation, Service, Wire, WireError, wire};
use crate::{AwsApi, Call};

/// EKS on the wire: each operation's method and path as the service model's `http.requestUri` has them, and the
/// handler it calls with the labels of the path.
pub(crate) const SERVICE: Service = Service {
    signing_name: "eks",
    model: "eks",
    title: "EKS",
    wire: Wire::RestJson,
    operations: &[
        route!(POST "/clusters", "CreateCluster" => create_cluster()),
        route!(GET "/clusters", "ListClusters" => list_clusters()),
        route!(GET "/clusters/{name}", "DescribeCluster" => describe_cluster(name)),
        route!(DELETE "/clusters/{name}", "DeleteCluster" => delete_cluster(name)),
        route!(POST "/cluster-registrations", "RegisterCluster" => register_cluster()),
        route!(DELETE "/cluster-registrations/{name}", "DeregisterCluster" => deregister_cluster(name)),
        route!(GET "/cluster-versions", "DescribeClusterVersions" => describe_cluster_versions()),
        route!(POST "/clusters/{name}/update-config", "UpdateClusterConfig" => updates::update_cluster_config(name)),
        route!(POST "/clusters/{name}/updates", "UpdateClusterVersion" => updates::update_cluster_version(name)),
        route!(GET "/clusters/{name}/updates", "ListUpdates" => updates::list_updates(name)),
        route!(
            POST "/clusters/{name}/encryption-config/associate",
            "AssociateEncryptionConfig" => associate_encryption_config(name)
        ),
        route!(GET "/clusters/{name}/updates/{updateId}", "DescribeUpdate" => updates::describe_update(name, updateId)),
        route!(POST "/clusters/{name}/node-groups", "CreateNodegroup" => nodegroups::create(name), changes node groups),
        route!(GET "/clusters/{name}/node-groups", "ListNodegroups" => nodegroups::list(name)),
        route!(
            GET "/clusters/{name}/node-groups/{nodegroupName}",
            "DescribeNodegroup" => nodegroups::describe(name, nodegroupName)
        ),
        route!(
            DELETE "/clusters/{name}/node-groups/{nodegroupName}",
            "DeleteNodegroup" => nodegroups::delete(name, nodegroupName)
        ),
        route!(
            POST "/clusters/{name}/node-groups/{nodegroupName}/update-config",
            "UpdateNodegroupConfig" => nodegroups::update_config(name, nodegroupName), changes node groups
        ),
        route!(
            POST "/clusters/{name}/node-groups/{nodegroupName}/update-version",
            "UpdateNodegroupVersion" => nodegroups::update_version(name, nodegroupName), changes node groups
        ),
        route!(POST "/clusters/{name}/fargate-profiles", "CreateFargateProfile" => fargate::create(name)),
        route!(GET "/clusters/{name}/fargate-profiles", "ListFargateProfiles" => fargate::list(name)),
        route!(
            GET "/clusters/{name}/fargate-profiles/{fargateProfileName}",
            "DescribeFargateProfile" => fargate::describe(name, fargateProfileName)
        ),
        route!(
            DELETE "/clusters/{name}/fargate-profiles/{fargateProfileName}",
            "DeleteFargateProfile" => fargate::delete(name, fargateProfileName)
        ),
        Operation::rest("DescribeAddonVersions", Method::GET, "/addons/supported-versions", |_, call| {
            rest(call, addons::describe_versions(call))
        }),
        Operation::rest("DescribeAddonConfiguration", Method::GET, "/addons/configuration-schemas", |_, call| {
            rest(call, addons::describe_configuration(call))
        }),
        route!(POST "/clusters/{name}/addons", "CreateAddon" => addons::create(name)),
        route!(GET "/clusters/{name}/addons", "ListAddons" => addons::list(name)),
        route!(GET "/clusters/{name}/addons/{addonName}", "DescribeAddon" => addons::describe(name, addonName)),
        route!(DELETE "/clusters/{name}/addons/{addonName}", "DeleteAddon" => addons::delete(name, addonName)),
        route!(POST "/clusters/{name}/addons/{addonName}/update", "UpdateAddon" => addons::update(name, addonName)),
        route!(
            POST "/clusters/{name}/pod-identity-associations",
            "CreatePodIdentityAssociation" => identity::create_association(name)
        ),
        route!(
            GET "/clusters/{name}/pod-identity-associations",
            "ListPodIdentityAssociations" => identity::list_associations(name)
        ),
        route!(
            GET "/clusters/{name}/pod-identity-associations/{associationId}",
            "DescribePodIdentityAssociation" => identity::describe_association(name, associationId)
        ),
        route!(
            POST "/clusters/{name}/pod-identity-associations/{associationId}",
            "UpdatePodIdentityAssociation" => identity::update_association(name, associationId)
        ),
        route!(
            DELETE "/clusters/{name}/pod-identity-associations/{associationId}",
            "DeletePodIdentityAssociation" => identity::delete_association(name, associationId)
        ),
        route!(
            POST "/clusters/{name}/identity-provider-configs/associate",
            "AssociateIdentityProviderConfig" => identity::associate_config(name)
        ),
        route!(
            POST "/clusters/{name}/identity-provider-configs/describe",
            "DescribeIdentityProviderConfig" => identity::describe_config(name)
        ),
        route!(
            POST "/clusters/{name}/identity-provider-configs/disassociate",
            "DisassociateIdentityProviderConfig" => identity::disassociate_config(name)
        ),
        route!(
            GET "/clusters/{name}/identity-provider-configs",
            "ListIdentityProviderConfigs" => identity::list_configs(name)
        ),
        Operation::rest("ListAccessPolicies", Method::GET, "/access-policies", |_, call| {
            rest(call, access::list_policies(call))
        }),
        route!(POST "/clusters/{name}/access-entries", "CreateAccessEntry" => access::create(name)),
        route!(GET "/clusters/{name}/access-entries", "ListAccessEntries" => access::list(name)),
        route!(
            GET "/clusters/{name}/access-entries/{principalArn}",
            "DescribeAccessEntry" => access::describe(name, principalArn)
        ),
        route!(
            POST "/clusters/{name}/access-entries/{principalArn}",
            "UpdateAccessEntry" => access::update(name, principalArn)
        ),
        route!(
            DELETE "/clusters/{name}/access-entries/{principalArn}",
            "DeleteAccessEntry" => access::delete(name, principalArn)
        ),
        route!(
            POST "/clusters/{name}/access-entries/{principalArn}/access-policies",
            "AssociateAccessPolicy" => access::associate(name, principalArn)
        ),
        route!(
            GET "/clusters/{name}/access-entries/{principalArn}/access-policies",
            "ListAssociatedAccessPolicies" => access::list_associated(name, principalArn)
        ),
        route!(
            DELETE "/clusters/{name}/access-entries/{principalArn}/access-policies/{policyArn}",
            "DisassociateAccessPolicy" => access::disassociate(name, principalArn, policyArn)
        ),
        route!(POST "/clusters/{name}/insights", "ListInsights" => insights::list(name)),
        route!(GET "/clusters/{name}/insights/{id}", "DescribeInsight" => insights::describe(name, id)),
        route!(POST "/tags/{resourceArn}", "TagResource" => tags::tag(resourceArn)),
        route!(DELETE "/tags/{resourceArn}", "UntagResource" => tags::untag(resourceArn)),
        route!(GET "/tags/{resourceArn}", "ListTagsForResource" => tags::list(resourceArn)),
    ],
};

/// An EKS operation: `route!(GET "/clusters/{name}", "DescribeCluster" => describe_cluster(name))` calls
/// `describe_cluster(api, call, <the name label>)` and writes its reply; `, changes node groups` also lets Auto
/// Scaling follow the node groups ([`changing_nodegroups`]).
macro_rules! route {
    ($method:ident $path:literal, $name:literal => $($handler:ident)::+ ($($label:ident),*)) => {
        Operation::rest($name, Method::$method, $path, |api, call| {
            rest(call, $($handler)::+(api, call $(, call.label(stringify!($label)))*))
        })
    };
    ($method:ident $path:literal, $name:literal => $($handler:ident)::+ ($($label:ident),*), changes node groups) => {
        Operation::rest($name, Method::$method, $path, |api, call| {
            changing_nodegroups(api, call, $($handler)::+(api, call $(, call.label(stringify!($label)))*))
        })
    };
}
use route;

/// What EKS handlers answer: a status and a JSON body.
type Reply = Result<(StatusCode, Value), AwsError>;

/// An EKS handler's reply, written as the handler's future ends.
fn rest<'a>(call: &'a Call<'a>, reply: impl Future<Output = Reply> + Send + 'a) -> Handled<'a> {
    Box::pin(async move {
        check_labels(call)?;
        let (status, body) = reply.await?;
        call.json_with_status(status, &body)
    })
}

/// [`rest`] for the operations that create or resize node groups: before the reply (a refusal too), the Auto
/// Scaling groups catch up with the node groups, so that their instances exist at once. (A deleted node group's
/// instances are terminated in the background, by EKS's reconciler.)
fn changing_nodegroups<'a>(
    api: &'a AwsApi,
    call: &'a Call<'a>,
    reply: impl Future<Output = Reply> + Send + 'a,
) -> Handled<'a> {
    Box::pin(async move {
        check_labels(call)?;
        let outcome = reply.await;
        api.follow_nodegroups(&call.caller).await;
        let (status, body) = outcome?;
        call.json_with_status(status, &body)
    })
}

/// Refuses a path label with a control character (a NUL above all): no EKS name holds one, and the store's keys
/// cannot. Checked before the handler runs, so nothing is read or written.
fn check_labels(call: &Call<'_>) -> Result<(), AwsError> {
    match call.labels.iter().find(|(_, value)| value.chars().any(char::is_control)) {
        None => Ok(()),
        Some((label, _)) => Err(invalid(format!(
            "1 validation error detected: Value at '{label}' failed to satisfy constraint: Member must not contain control characters"
        ))),
    }
}

async fn describe_cluster(api: &AwsApi, call: &Call<'_>, name: &str) -> Reply {
    let eks = api.eks();
    let cluster = match eks.describe_cluster(&call.caller, name).await {
        Ok(cluster) => cluster,
        Err(not_found @ EksError::ResourceNotFound(_)) => {
            // A registered cluster is described in the same shape.
            let registered = eks.registered_cluster(&call.caller, name).await.map_err(|e| error(e, name))?;
            let registered = registered.ok_or_else(|| error(not_found, name))?;
            return Ok((StatusCode::OK, json!({ "cluster": registered_json(&registered) })));
        }
        Err(other) => return Err(error(other, name)),
    };
    Ok((StatusCode::OK, json!({ "cluster": cluster_json(&cluster) })))
}

async fn register_cluster(api: &AwsApi, call: &Call<'_>) -> Reply {
    let body = body_of(call)?;
    let name = string(&body, "name")?.ok_or_else(|| invalid("name is required"))?;
    let connector = object(&body, "connectorConfig")?.ok_or_else(|| invalid("connectorConfig is required"))?;
    let input = RegisterCluster {
        name: name.clone(),
        provider: string(connector, "provider")?.ok_or_else(|| invalid("connectorConfig.provider is required"))?,
        role_arn: string(connector, "roleArn")?.ok_or_else(|| invalid("connectorConfig.roleArn is required"))?,
        tags: tags(&body)?,
        client_request_token: string(&body, "clientRequestToken")?,
    };
    let cluster = api.eks().register_cluster(&call.caller, input).await.map_err(|e| error(e, &name))?;
    Ok((StatusCode::OK, json!({ "cluster": registered_json(&cluster) })))
}

async fn deregister_cluster(api: &AwsApi, call: &Call<'_>, name: &str) -> Reply {
    let cluster = api.eks().deregister_cluster(&call.caller, name).await.map_err(|e| error(e, name))?;
    Ok((StatusCode::OK, json!({ "cluster": registered_json(&cluster) })))
}

/// A registered cluster as DescribeCluster shows it.
fn registered_json(cluster: &RegisteredCluster) -> Value {
    let mut out = json!({
        "name": cluster.name,
        "arn": cluster.arn,
        "createdAt": cluster.created_at,
        "status": cluster.status.as_str(),
        "connectorConfig": {
            "activationId": cluster.activation_id,
            "activationCode": cluster.activation_code,
            "activationExpiry": cluster.activation_expiry,
            "provider": cluster.provider,
            "roleArn": cluster.role_arn,
        },
        "tags": cluster.tags,
    });
    if let Some(token) = &cluster.client_request_token {
        out["clientRequestToken"] = json!(token);
    }
    out
}

async fn delete_cluster(api: &AwsApi, call: &Call<'_>, name: &str) -> Reply {
    let cluster = api.eks().delete_cluster(&call.caller, name).await.map_err(|e| error(e, name))?;
    Ok((StatusCode::OK, json!({ "cluster": cluster_json(&cluster) })))
}

async fn describe_cluster_versions(api: &AwsApi, call: &Call<'_>) -> Reply {
    let (max_results, next_token) = paging(call)?;
    let flag = |name: &str| match call.params.get(name) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(invalid(format!("{name} must be true or false"))),
    };
    let query = VersionQuery {
        cluster_type: call.params.get("clusterType").map(str::to_owned),
        versions: query_values(call, "clusterVersions"),
        default_only: flag("defaultOnly")?,
        include_all: flag("includeAll")?,
        status: call.params.get("versionStatus").or_else(|| call.params.get("status")).map(str::to_owned),
        max_results,
        next_token,
    };
    let (versions, token) = api.eks().describe_cluster_versions(&query).map_err(|e| error(e, ""))?;
    let listed: Vec<Value> = versions.iter().map(cluster_version_json).collect();
    let mut body = json!({ "clusterVersions": listed });
    if let Some(token) = token {
        body["nextToken"] = json!(token);
    }
    Ok((StatusCode::OK, body))
}

/// One version as DescribeClusterVersions shows it.
fn cluster_version_json(version: &ClusterVersion) -> Value {
    let mut out = json!({
        "clusterVersion": version.version,
        "clusterType": "eks",
        "defaultPlatformVersion": "eks.1",
        "defaultVersion": version.default,
        "status": version.status.legacy(),
        "versionStatus": version.status.as_str(),
    });
    let dates = [
        ("releaseDate", version.release),
        ("endOfStandardSupportDate", version.end_of_standard_support),
        ("endOfExtendedSupportDate", version.end_of_extended_support),
    ];
    for (member, date) in dates {
        if let Some(date) = date {
            out[member] = json!(date);
        }
    }
    if let Some(patch) = &version.patch {
        out["kubernetesPatchVersion"] = json!(patch);
    }
    out
}

/// Every value of a query parameter that repeats (`?tagKeys=a&tagKeys=b`): the parsed parameters keep one value
/// per name, so these are read from the raw query.
pub(crate) fn query_values(call: &Call<'_>, name: &str) -> Vec<String> {
    let query = call.request.uri().query().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .collect()
}

/// A query string with only the first value of each parameter: rest-json lists repeat their name
/// (`?tagKeys=a&tagKeys=b`), which the handlers that take them read from the raw query.
pub(crate) fn first_values(query: &str) -> String {
    let mut seen = std::collections::HashSet::new();
    let kept: Vec<&str> =
        query.split('&').filter(|pair| seen.insert(pair.split('=').next().unwrap_or_default())).collect();
    kept.join("&")
}

impl WireError for EksError {
    fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            EksError::InvalidParameter(_) => ("InvalidParameterException", StatusCode::BAD_REQUEST),
            EksError::InvalidRequest(_) => ("InvalidRequestException", StatusCode::BAD_REQUEST),
            EksError::ResourceInUse(_) | EksError::NodegroupInUse { .. } => {
                ("ResourceInUseException", StatusCode::CONFLICT)
            }
            EksError::ResourceNotFound(_) => ("ResourceNotFoundException", StatusCode::NOT_FOUND),
            EksError::ResourceLimitExceeded(_) => ("ResourceLimitExceededException", StatusCode::BAD_REQUEST),
            EksError::Server(_) => ("ServerException", StatusCode::INTERNAL_SERVER_ERROR),
            EksError::BadRequest(_) => ("BadRequestException", StatusCode::BAD_REQUEST),
            EksError::NotFound(_) => ("NotFoundException", StatusCode::NOT_FOUND),
        }
    }
}

/// The wire error for a model error, with the members EKS adds to every error body.
fn error(error: EksError, cluster: &str) -> AwsError {
    let nodegroup = match &error {
        EksError::NodegroupInUse { nodegroup, .. } => Some(nodegroup.clone()),
        _ => None,
    };
    let mut wire = wire(error);
    if !cluster.is_empty() {
        wire = wire.with_extra("clusterName", cluster);
    }
    if let Some(nodegroup) = nodegroup {
        wire = wire.with_extra("nodegroupName", nodegroup);
    }
    wire
}

/// [`error`] for an operation on a resource in a cluster: the body also names the resource
/// (`nodegroupName`, `fargateProfileName` or `addonName`).
fn child_error(model: EksError, cluster: &str, member: &str, name: &str) -> AwsError {
    let wire = error(model, cluster);
    if name.is_empty() { wire } else { wire.with_extra(member, name) }
}

fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("InvalidParameterException", message)
}

fn body_of(call: &Call<'_>) -> Result<Map<String, Value>, AwsError> {
    aws_protocol::json::parse_body(call.request.body()).map_err(|error| {
        let mut wire = error.to_aws_error();
        wire.code = "BadRequestException".into();
        wire
    })
}

fn string(body: &Map<String, Value>, field: &str) -> Result<Option<String>, AwsError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(invalid(format!("{field} must be a string"))),
    }
}

fn boolean(body: &Map<String, Value>, field: &str) -> Result<Option<bool>, AwsError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(value)) => Ok(Some(*value)),
        Some(_) => Err(invalid(format!("{field} must be a boolean"))),
    }
}

fn strings(body: &Map<String, Value>, field: &str) -> Result<Option<Vec<String>>, AwsError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(|| invalid(format!("{field} must hold strings"))))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(invalid(format!("{field} must be a list"))),
    }
}

fn integer(body: &Map<String, Value>, field: &str) -> Result<Option<i64>, AwsError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => {
            number.as_i64().map(Some).ok_or_else(|| invalid(format!("{field} must be an integer")))
        }
        Some(_) => Err(invalid(format!("{field} must be an integer"))),
    }
}

/// A JSON object of strings to strings (labels, tags).
fn string_map(body: &Map<String, Value>, field: &str) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    let Some(members) = object(body, field)? else { return Ok(None) };
    members
        .iter()
        .map(|(key, value)| match value {
            Value::String(value) => Ok((key.clone(), value.clone())),
            _ => Err(invalid(format!("{field} must map strings to strings"))),
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

/// `maxResults` and `nextToken` from the query string.
fn paging(call: &Call<'_>) -> Result<(Option<i64>, Option<String>), AwsError> {
    let max_results = match call.params.get("maxResults") {
        None => None,
        Some(text) => Some(text.parse::<i64>().map_err(|_| invalid("maxResults must be a number"))?),
    };
    Ok((max_results, call.params.get("nextToken").map(str::to_owned)))
}

/// A list reply: the names under `field`, and `nextToken` when there is more.
fn list_reply(field: &str, names: Vec<String>, token: Option<String>) -> Value {
    let mut body = json!({ field: names });
    if let Some(token) = token {
        body["nextToken"] = json!(token);
    }
    body
}

fn object<'a>(body: &'a Map<String, Value>, field: &str) -> Result<Option<&'a Map<String, Value>>, AwsError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(members)) => Ok(Some(members)),
        Some(_) => Err(invalid(format!("{field} must be an object"))),
    }
}

fn tags(body: &Map<String, Value>) -> Result<BTreeMap<String, String>, AwsError> {
    let Some(tags) = object(body, "tags")? else { return Ok(BTreeMap::new()) };
    if tags.len() > 50 {
        return Err(invalid("The number of tags must not exceed 50"));
    }
    tags.iter()
        .map(|(key, value)| match value {
            Value::String(value) if !key.is_empty() && key.len() <= 128 && value.len() <= 256 => {
                Ok((key.clone(), value.clone()))
            }
            _ => Err(invalid(format!("Invalid tag {key}"))),
        })
        .collect()
}

async fn create_cluster(api: &AwsApi, call: &Call<'_>) -> Result<(StatusCode, Value), AwsError> {
    let body = body_of(call)?;
    let name = string(&body, "name")?.ok_or_else(|| invalid("name is required"))?;
    let role_arn = string(&body, "roleArn")?.ok_or_else(|| invalid("roleArn is required"))?;
    let vpc = object(&body, "resourcesVpcConfig")?.ok_or_else(|| invalid("resourcesVpcConfig is required"))?;
    let network = object(&body, "kubernetesNetworkConfig")?;
    let access = object(&body, "accessConfig")?;
    let mut enabled_log_types = Vec::new();
    if let Some(logging) = object(&body, "logging")? {
        for setup in logging.get("clusterLogging").and_then(Value::as_array).into_iter().flatten() {
            let setup = setup.as_object().ok_or_else(|| invalid("clusterLogging must hold objects"))?;
            let types = strings(setup, "types")?.unwrap_or_default();
            if boolean(setup, "enabled")?.unwrap_or(false) {
                enabled_log_types.extend(types);
            }
        }
    }
    let input = CreateCluster {
        name: name.clone(),
        version: string(&body, "version")?,
        role_arn,
        subnet_ids: strings(vpc, "subnetIds")?.unwrap_or_default(),
        security_group_ids: strings(vpc, "securityGroupIds")?.unwrap_or_default(),
        endpoint_public_access: boolean(vpc, "endpointPublicAccess")?,
        endpoint_private_access: boolean(vpc, "endpointPrivateAccess")?,
        public_access_cidrs: strings(vpc, "publicAccessCidrs")?,
        service_ipv4_cidr: network.map(|n| string(n, "serviceIpv4Cidr")).transpose()?.flatten(),
        ip_family: network.map(|n| string(n, "ipFamily")).transpose()?.flatten(),
        enabled_log_types,
        tags: tags(&body)?,
        authentication_mode: access.map(|a| string(a, "authenticationMode")).transpose()?.flatten(),
        bootstrap_cluster_creator_admin_permissions: access
            .map(|a| boolean(a, "bootstrapClusterCreatorAdminPermissions"))
            .transpose()?
            .flatten(),
        support_type: object(&body, "upgradePolicy")?.map(|u| string(u, "supportType")).transpose()?.flatten(),
        encryption: encryption_configs(&body)?,
        remote_network: remote_network(&body)?,
        deletion_protection: boolean(&body, "deletionProtection")?,
        client_request_token: string(&body, "clientRequestToken")?,
        bootstrap_self_managed_addons: boolean(&body, "bootstrapSelfManagedAddons")?,
        auto_mode: auto_mode_request(&body, network)?,
    };
    let cluster = api.eks().create_cluster(&call.caller, input).await.map_err(|e| error(e, &name))?;
    api.iam()
        .ensure_eks_service_linked_role(&call.caller.account)
        .await
        .map_err(|e| error(EksError::Server(e.to_string()), &name))?;
    Ok((StatusCode::OK, json!({ "cluster": cluster_json(&cluster) })))
}

/// EKS Auto Mode's settings of a CreateCluster or UpdateClusterConfig body: `computeConfig`,
/// `storageConfig.blockStorage` and `kubernetesNetworkConfig.elasticLoadBalancing` (`network`).
pub(crate) fn auto_mode_request(
    body: &Map<String, Value>,
    network: Option<&Map<String, Value>>,
) -> Result<AutoModeRequest, AwsError> {
    let compute = object(body, "computeConfig")?
        .map(|compute| -> Result<ComputeRequest, AwsError> {
            Ok(ComputeRequest {
                enabled: boolean(compute, "enabled")?,
                node_pools: strings(compute, "nodePools")?,
                node_role_arn: string(compute, "nodeRoleArn")?,
            })
        })
        .transpose()?;
    let block_storage = match object(body, "storageConfig")? {
        None => None,
        Some(storage) => Some(object(storage, "blockStorage")?.map(|b| boolean(b, "enabled")).transpose()?.flatten()),
    };
    let load_balancing = match network.map(|n| object(n, "elasticLoadBalancing")).transpose()?.flatten() {
        None => None,
        Some(balancing) => Some(boolean(balancing, "enabled")?),
    };
    Ok(AutoModeRequest { compute, block_storage, load_balancing })
}

/// `encryptionConfig`: `[{"resources": ["secrets"], "provider": {"keyArn": ...}}]`.
pub(crate) fn encryption_configs(body: &Map<String, Value>) -> Result<Vec<EncryptionConfig>, AwsError> {
    let configs = match body.get("encryptionConfig") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(configs)) => configs,
        Some(_) => return Err(invalid("encryptionConfig must be a list")),
    };
    configs
        .iter()
        .map(|config| {
            let config = config.as_object().ok_or_else(|| invalid("encryptionConfig must hold objects"))?;
            let key_arn = object(config, "provider")?
                .map(|provider| string(provider, "keyArn"))
                .transpose()?
                .flatten()
                .ok_or_else(|| invalid("encryptionConfig.provider.keyArn is required"))?;
            Ok(EncryptionConfig { resources: strings(config, "resources")?.unwrap_or_default(), key_arn })
        })
        .collect()
}

/// `remoteNetworkConfig`: `{"remoteNodeNetworks": [{"cidrs": [...]}], "remotePodNetworks": [...]}`.
pub(crate) fn remote_network(body: &Map<String, Value>) -> Result<Option<RemoteNetworkConfig>, AwsError> {
    let Some(config) = object(body, "remoteNetworkConfig")? else { return Ok(None) };
    let networks = |field: &str| -> Result<Vec<Vec<String>>, AwsError> {
        match config.get(field) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(networks)) => networks
                .iter()
                .map(|network| {
                    let network = network.as_object().ok_or_else(|| invalid(format!("{field} must hold objects")))?;
                    Ok(strings(network, "cidrs")?.unwrap_or_default())
                })
                .collect(),
            Some(_) => Err(invalid(format!("{field} must be a list"))),
        }
    };
    Ok(Some(RemoteNetworkConfig {
        node_networks: networks("remoteNodeNetworks")?,
        pod_networks: networks("remotePodNetworks")?,
    }))
}

async fn associate_encryption_config(api: &AwsApi, call: &Call<'_>, name: &str) -> Reply {
    let body = body_of(call)?;
    let configs = encryption_configs(&body)?;
    let token = string(&body, "clientRequestToken")?;
    let update = api
        .eks()
        .associate_encryption_config(&call.caller, name, configs, token.as_deref())
        .await
        .map_err(|e| error(e, name))?;
    Ok((StatusCode::OK, json!({ "update": updates::update_json(&update) })))
}

async fn list_clusters(api: &AwsApi, call: &Call<'_>) -> Result<(StatusCode, Value), AwsError> {
    let (max_results, next_token) = paging(call)?;
    let include = query_values(call, "include");
    if let Some(other) = include.iter().find(|value| *value != "all") {
        return Err(invalid(format!("Unsupported include value {other}: only 'all' is accepted")));
    }
    let (names, token) = api
        .eks()
        .list_cluster_names(&call.caller, !include.is_empty(), max_results, next_token.as_deref())
        .await
        .map_err(|e| error(e, ""))?;
    Ok((StatusCode::OK, list_reply("clusters", names, token)))
}

/// A cluster as DescribeCluster shows it.
fn cluster_json(cluster: &Cluster) -> Value {
    let logging = vec![
        json!({ "types": cluster.enabled_log_types, "enabled": true }),
        json!({
            "types": aws_model::eks::LOG_TYPES
                .iter()
                .filter(|t| !cluster.enabled_log_types.iter().any(|e| e == *t))
                .collect::<Vec<_>>(),
            "enabled": false,
        }),
    ];
    let logging: Vec<Value> =
        logging.into_iter().filter(|setup| setup["types"].as_array().is_some_and(|t| !t.is_empty())).collect();
    let mut out = json!({
        "name": cluster.name,
        "arn": cluster.arn,
        "createdAt": cluster.created_at,
        "version": cluster.version,
        "roleArn": cluster.role_arn,
        "resourcesVpcConfig": {
            "subnetIds": cluster.vpc.subnet_ids,
            "securityGroupIds": cluster.vpc.security_group_ids,
            "clusterSecurityGroupId": cluster.vpc.cluster_security_group_id,
            "vpcId": cluster.vpc.vpc_id,
            "endpointPublicAccess": cluster.vpc.endpoint_public_access,
            "endpointPrivateAccess": cluster.vpc.endpoint_private_access,
            "publicAccessCidrs": cluster.vpc.public_access_cidrs,
        },
        "kubernetesNetworkConfig": {
            "serviceIpv4Cidr": cluster.service_ipv4_cidr,
            "ipFamily": cluster.ip_family,
            "elasticLoadBalancing": { "enabled": cluster.auto_mode_load_balancing() },
        },
        "logging": { "clusterLogging": logging },
        "identity": { "oidc": { "issuer": cluster.oidc_issuer } },
        "status": cluster.status.as_str(),
        "certificateAuthority": { "data": cluster.certificate_authority },
        "platformVersion": cluster.platform_version,
        "tags": cluster.tags,
        "health": { "issues": health_json(&cluster.health) },
        "accessConfig": {
            "bootstrapClusterCreatorAdminPermissions": cluster.bootstrap_cluster_creator_admin_permissions,
            "authenticationMode": cluster.authentication_mode,
        },
        "upgradePolicy": { "supportType": cluster.support_type },
        "deletionProtection": cluster.deletion_protection,
    });
    if !cluster.encryption.is_empty() {
        out["encryptionConfig"] = encryption_json(&cluster.encryption);
    }
    if let Some(remote) = &cluster.remote_network {
        out["remoteNetworkConfig"] = remote_network_json(remote);
    }
    // Only a cluster that set them shows Auto Mode's compute and storage settings.
    if let Some(auto_mode) = &cluster.auto_mode {
        out["computeConfig"] = compute_json(auto_mode);
        out["storageConfig"] = json!({ "blockStorage": { "enabled": auto_mode.block_storage } });
    }
    if let Some(token) = &cluster.client_request_token {
        out["clientRequestToken"] = json!(token);
    }
    if !cluster.endpoint.is_empty() {
        out["endpoint"] = json!(cluster.endpoint);
    }
    out
}

/// `health.issues` of a cluster or add-on.
fn health_json(issues: &[HealthIssue]) -> Value {
    let issues: Vec<Value> = issues
        .iter()
        .map(|issue| json!({ "code": issue.code, "message": issue.message, "resourceIds": issue.resource_ids }))
        .collect();
    Value::Array(issues)
}

#[cfg(test)]
mod tests;

//! EKS over `rest-json`: operations bound to method and path, JSON bodies, errors with `x-amzn-errortype`.
//!
//! Clusters are here; the resources under a cluster have a submodule each: [`nodegroups`], [`fargate`],
//! [`updates`] (cluster updates and the `Update` records), [`addons`], [`access`] (access entries and policies),
//! [`identity`] (pod identity associations and identity provider configs) and [`tags`].

mod access;
mod addons;
mod fargate;
mod identity;
mod nodegroups;
mod tags;
mod updates;

use std::collections::BTreeMap;

use aws_model::eks::{Cluster, CreateCluster, EksError, HealthIssue};
use aws_protocol::{AwsError, Protocol};
use http::{Method, Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::{AwsApi, Call};

pub(crate) async fn handle(api: &AwsApi, call: &Call<'_>) -> Result<Response<Vec<u8>>, AwsError> {
    let path = call.request.uri().path();
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|segment| aws_protocol::decode_path_segment(segment).ok_or_else(|| bad_path(path)))
        .collect::<Result<_, _>>()?;
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = call.request.method();
    let (status, body) = match (method, segments.as_slice()) {
        (&Method::POST, ["clusters"]) => create_cluster(api, call).await?,
        (&Method::GET, ["clusters"]) => list_clusters(api, call).await?,
        (&Method::GET, ["clusters", name]) => {
            let cluster = api.eks().describe_cluster(&call.caller, name).await.map_err(|e| error(e, name))?;
            (StatusCode::OK, json!({ "cluster": cluster_json(&cluster) }))
        }
        (&Method::DELETE, ["clusters", name]) => {
            let cluster = api.eks().delete_cluster(&call.caller, name).await.map_err(|e| error(e, name))?;
            (StatusCode::OK, json!({ "cluster": cluster_json(&cluster) }))
        }
        (&Method::GET, ["cluster-versions"]) => (StatusCode::OK, cluster_versions(api)),
        (&Method::POST, ["clusters", name, "update-config"]) => updates::update_cluster_config(api, call, name).await?,
        (&Method::POST, ["clusters", name, "updates"]) => updates::update_cluster_version(api, call, name).await?,
        (&Method::GET, ["clusters", name, "updates"]) => updates::list_updates(api, call, name).await?,
        (&Method::GET, ["clusters", name, "updates", id]) => updates::describe_update(api, call, name, id).await?,
        (&Method::POST, ["clusters", name, "node-groups"]) => nodegroups::create(api, call, name).await?,
        (&Method::GET, ["clusters", name, "node-groups"]) => nodegroups::list(api, call, name).await?,
        (&Method::GET, ["clusters", name, "node-groups", ng]) => nodegroups::describe(api, call, name, ng).await?,
        (&Method::DELETE, ["clusters", name, "node-groups", ng]) => nodegroups::delete(api, call, name, ng).await?,
        (&Method::POST, ["clusters", name, "node-groups", ng, "update-config"]) => {
            nodegroups::update_config(api, call, name, ng).await?
        }
        (&Method::POST, ["clusters", name, "node-groups", ng, "update-version"]) => {
            nodegroups::update_version(api, call, name, ng).await?
        }
        (&Method::POST, ["clusters", name, "fargate-profiles"]) => fargate::create(api, call, name).await?,
        (&Method::GET, ["clusters", name, "fargate-profiles"]) => fargate::list(api, call, name).await?,
        (&Method::GET, ["clusters", name, "fargate-profiles", fp]) => fargate::describe(api, call, name, fp).await?,
        (&Method::DELETE, ["clusters", name, "fargate-profiles", fp]) => fargate::delete(api, call, name, fp).await?,
        (&Method::GET, ["addons", "supported-versions"]) => addons::describe_versions(call).await?,
        (&Method::GET, ["addons", "configuration-schemas"]) => addons::describe_configuration(call).await?,
        (&Method::POST, ["clusters", name, "addons"]) => addons::create(api, call, name).await?,
        (&Method::GET, ["clusters", name, "addons"]) => addons::list(api, call, name).await?,
        (&Method::GET, ["clusters", name, "addons", addon]) => addons::describe(api, call, name, addon).await?,
        (&Method::DELETE, ["clusters", name, "addons", addon]) => addons::delete(api, call, name, addon).await?,
        (&Method::POST, ["clusters", name, "addons", addon, "update"]) => {
            addons::update(api, call, name, addon).await?
        }
        (&Method::POST, ["clusters", name, "pod-identity-associations"]) => {
            identity::create_association(api, call, name).await?
        }
        (&Method::GET, ["clusters", name, "pod-identity-associations"]) => {
            identity::list_associations(api, call, name).await?
        }
        (&Method::GET, ["clusters", name, "pod-identity-associations", id]) => {
            identity::describe_association(api, call, name, id).await?
        }
        (&Method::POST, ["clusters", name, "pod-identity-associations", id]) => {
            identity::update_association(api, call, name, id).await?
        }
        (&Method::DELETE, ["clusters", name, "pod-identity-associations", id]) => {
            identity::delete_association(api, call, name, id).await?
        }
        (&Method::POST, ["clusters", name, "identity-provider-configs", "associate"]) => {
            identity::associate_config(api, call, name).await?
        }
        (&Method::POST, ["clusters", name, "identity-provider-configs", "describe"]) => {
            identity::describe_config(api, call, name).await?
        }
        (&Method::POST, ["clusters", name, "identity-provider-configs", "disassociate"]) => {
            identity::disassociate_config(api, call, name).await?
        }
        (&Method::GET, ["clusters", name, "identity-provider-configs"]) => {
            identity::list_configs(api, call, name).await?
        }
        (&Method::GET, ["access-policies"]) => access::list_policies(call).await?,
        (&Method::POST, ["clusters", name, "access-entries"]) => access::create(api, call, name).await?,
        (&Method::GET, ["clusters", name, "access-entries"]) => access::list(api, call, name).await?,
        (&Method::GET, ["clusters", name, "access-entries", who]) => access::describe(api, call, name, who).await?,
        (&Method::POST, ["clusters", name, "access-entries", who]) => access::update(api, call, name, who).await?,
        (&Method::DELETE, ["clusters", name, "access-entries", who]) => access::delete(api, call, name, who).await?,
        (&Method::POST, ["clusters", name, "access-entries", who, "access-policies"]) => {
            access::associate(api, call, name, who).await?
        }
        (&Method::GET, ["clusters", name, "access-entries", who, "access-policies"]) => {
            access::list_associated(api, call, name, who).await?
        }
        (&Method::DELETE, ["clusters", name, "access-entries", who, "access-policies", policy]) => {
            access::disassociate(api, call, name, who, policy).await?
        }
        (&Method::POST, ["tags", arn]) => tags::tag(api, call, arn).await?,
        (&Method::DELETE, ["tags", arn]) => tags::untag(api, call, arn).await?,
        (&Method::GET, ["tags", arn]) => tags::list(api, call, arn).await?,
        _ => {
            return Err(AwsError::new(
                "UnknownOperationException",
                format!("ekslite does not serve EKS operation {method} {path}"),
                StatusCode::NOT_FOUND,
            ));
        }
    };
    Ok(aws_protocol::json::response(Protocol::RestJson, status, &body, &call.request_id))
}

/// A query string with only the first value of each parameter: rest-json lists repeat their name
/// (`?tagKeys=a&tagKeys=b`), which the handlers that take them read from the raw query.
pub(crate) fn first_values(query: &str) -> String {
    let mut seen = std::collections::HashSet::new();
    let kept: Vec<&str> =
        query.split('&').filter(|pair| seen.insert(pair.split('=').next().unwrap_or_default())).collect();
    kept.join("&")
}

fn bad_path(path: &str) -> AwsError {
    AwsError::bad_request("BadRequestException", format!("The request path {path} is not valid"))
}

/// The wire error for a model error, with the members EKS adds to every error body.
fn error(error: EksError, cluster: &str) -> AwsError {
    let (code, status) = match &error {
        EksError::InvalidParameter(_) => ("InvalidParameterException", StatusCode::BAD_REQUEST),
        EksError::InvalidRequest(_) => ("InvalidRequestException", StatusCode::BAD_REQUEST),
        EksError::ResourceInUse(_) => ("ResourceInUseException", StatusCode::CONFLICT),
        EksError::ResourceNotFound(_) => ("ResourceNotFoundException", StatusCode::NOT_FOUND),
        EksError::ResourceLimitExceeded(_) => ("ResourceLimitExceededException", StatusCode::BAD_REQUEST),
        EksError::Server(_) => ("ServerException", StatusCode::INTERNAL_SERVER_ERROR),
        EksError::BadRequest(_) => ("BadRequestException", StatusCode::BAD_REQUEST),
        EksError::NotFound(_) => ("NotFoundException", StatusCode::NOT_FOUND),
    };
    let mut wire = AwsError::new(code, error.to_string(), status);
    if !cluster.is_empty() {
        wire = wire.with_extra("clusterName", cluster);
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
    };
    let cluster = api.eks().create_cluster(&call.caller, input).await.map_err(|e| error(e, &name))?;
    api.iam()
        .ensure_eks_service_linked_role(&call.caller.account)
        .await
        .map_err(|e| error(EksError::Server(e.to_string()), &name))?;
    Ok((StatusCode::OK, json!({ "cluster": cluster_json(&cluster) })))
}

async fn list_clusters(api: &AwsApi, call: &Call<'_>) -> Result<(StatusCode, Value), AwsError> {
    let max_results = match call.params.get("maxResults") {
        None => None,
        Some(text) => Some(text.parse::<i64>().map_err(|_| invalid("maxResults must be a number"))?),
    };
    let next_token = call.params.get("nextToken");
    let (names, token) =
        api.eks().list_clusters(&call.caller, max_results, next_token).await.map_err(|e| error(e, ""))?;
    let mut body = json!({ "clusters": names });
    if let Some(token) = token {
        body["nextToken"] = json!(token);
    }
    Ok((StatusCode::OK, body))
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
            "elasticLoadBalancing": { "enabled": false },
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
    });
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

fn cluster_versions(api: &AwsApi) -> Value {
    let versions = &api.eks().config().versions;
    let default = versions.last().cloned().unwrap_or_default();
    let listed: Vec<Value> = versions
        .iter()
        .rev()
        .map(|version| {
            json!({
                "clusterVersion": version,
                "clusterType": "eks",
                "defaultPlatformVersion": "eks.1",
                "defaultVersion": *version == default,
                "status": "STANDARD_SUPPORT",
                "versionStatus": "STANDARD_SUPPORT",
            })
        })
        .collect();
    json!({ "clusterVersions": listed })
}

#[cfg(test)]
mod tests;

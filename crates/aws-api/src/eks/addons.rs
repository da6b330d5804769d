//! Add-ons on the wire: DescribeAddonVersions, DescribeAddonConfiguration, CreateAddon, DescribeAddon,
//! ListAddons, UpdateAddon and DeleteAddon.

use aws_model::eks::addons::{Addon, AddonRequest, CATALOG};
use aws_protocol::AwsError;
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::updates::update_json;
use super::{body_of, child_error, invalid, list_reply, paging, string, tags};
use crate::{AwsApi, Call};

type Reply = Result<(StatusCode, Value), AwsError>;

fn error(cluster: &str, addon: &str) -> impl Fn(aws_model::eks::EksError) -> AwsError {
    move |e| child_error(e, cluster, "addonName", addon)
}

pub(super) async fn describe_versions(call: &Call<'_>) -> Reply {
    let (max_results, next_token) = paging(call)?;
    let (found, token) = aws_model::eks::addons::describe_addon_versions(
        call.params.get("kubernetesVersion"),
        call.params.get("addonName"),
        max_results,
        next_token.as_deref(),
    )
    .map_err(error("", ""))?;
    let kubernetes = call.params.get("kubernetesVersion");
    let addons: Vec<Value> = found
        .iter()
        .map(|(info, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|version| {
                    let compatibilities: Vec<Value> = ["1.30", "1.31", "1.32", "1.33", "1.34"]
                        .into_iter()
                        .filter(|k| version.supports(k) && kubernetes.is_none_or(|asked| asked == *k))
                        .map(|k| {
                            json!({
                                "clusterVersion": k,
                                "platformVersions": ["*"],
                                "defaultVersion": version.default_for.contains(&k),
                            })
                        })
                        .collect();
                    json!({
                        "addonVersion": version.version,
                        "architecture": ["amd64", "arm64"],
                        "computeTypes": ["ec2", "auto", "hybrid"],
                        "compatibilities": compatibilities,
                        "requiresConfiguration": false,
                        "requiresIamPermissions": info.requires_iam,
                    })
                })
                .collect();
            json!({
                "addonName": info.name,
                "type": info.kind,
                "addonVersions": versions,
                "publisher": "eks",
                "owner": info.owner,
                "marketplaceInformation": {},
                "defaultNamespace": "kube-system",
            })
        })
        .collect();
    let mut body = json!({ "addons": addons });
    if let Some(token) = token {
        body["nextToken"] = json!(token);
    }
    Ok((StatusCode::OK, body))
}

pub(super) async fn describe_configuration(call: &Call<'_>) -> Reply {
    let name = call.params.get("addonName").ok_or_else(|| invalid("addonName is required"))?;
    let version = call.params.get("addonVersion").ok_or_else(|| invalid("addonVersion is required"))?;
    let schema = aws_model::eks::addons::configuration_schema(name, version).map_err(error("", name))?;
    Ok((
        StatusCode::OK,
        json!({ "addonName": name, "addonVersion": version, "configurationSchema": schema, "podIdentityConfiguration": [] }),
    ))
}

fn request(body: &Map<String, Value>, cluster: &str, name: String) -> Result<AddonRequest, AwsError> {
    Ok(AddonRequest {
        cluster: cluster.to_owned(),
        name,
        version: string(body, "addonVersion")?,
        service_account_role_arn: string(body, "serviceAccountRoleArn")?,
        resolve_conflicts: string(body, "resolveConflicts")?,
        configuration_values: string(body, "configurationValues")?,
        tags: tags(body)?,
        client_request_token: string(body, "clientRequestToken")?,
    })
}

pub(super) async fn create(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    let body = body_of(call)?;
    let name = string(&body, "addonName")?.ok_or_else(|| invalid("addonName is required"))?;
    let input = request(&body, cluster, name.clone())?;
    let addon = api.eks().create_addon(&call.caller, input).await.map_err(error(cluster, &name))?;
    Ok((StatusCode::OK, json!({ "addon": addon_json(&addon) })))
}

pub(super) async fn describe(api: &AwsApi, call: &Call<'_>, cluster: &str, name: &str) -> Reply {
    let addon = api.eks().describe_addon(&call.caller, cluster, name).await.map_err(error(cluster, name))?;
    Ok((StatusCode::OK, json!({ "addon": addon_json(&addon) })))
}

pub(super) async fn list(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    let (max_results, next_token) = paging(call)?;
    let (names, token) = api
        .eks()
        .list_addons(&call.caller, cluster, max_results, next_token.as_deref())
        .await
        .map_err(error(cluster, ""))?;
    Ok((StatusCode::OK, list_reply("addons", names, token)))
}

pub(super) async fn update(api: &AwsApi, call: &Call<'_>, cluster: &str, name: &str) -> Reply {
    let body = body_of(call)?;
    let input = request(&body, cluster, name.to_owned())?;
    let update = api.eks().update_addon(&call.caller, input).await.map_err(error(cluster, name))?;
    Ok((StatusCode::OK, json!({ "update": update_json(&update) })))
}

pub(super) async fn delete(api: &AwsApi, call: &Call<'_>, cluster: &str, name: &str) -> Reply {
    match call.params.get("preserve") {
        None | Some("true" | "false") => {}
        Some(_) => return Err(invalid("preserve must be true or false")),
    }
    let preserve = call.params.get("preserve") == Some("true");
    let addon = api.eks().delete_addon(&call.caller, cluster, name, preserve).await.map_err(error(cluster, name))?;
    Ok((StatusCode::OK, json!({ "addon": addon_json(&addon) })))
}

fn addon_json(addon: &Addon) -> Value {
    let mut out = json!({
        "addonName": addon.name,
        "clusterName": addon.cluster,
        "status": addon.status.as_str(),
        "addonVersion": addon.version,
        "health": { "issues": super::health_json(&addon.health) },
        "addonArn": addon.arn,
        "createdAt": addon.created_at,
        "modifiedAt": addon.modified_at,
        "tags": addon.tags,
        "publisher": "eks",
        "owner": CATALOG.iter().find(|info| info.name == addon.name).map_or("aws", |info| info.owner),
        "podIdentityAssociations": [],
    });
    if let Some(role) = &addon.service_account_role_arn {
        out["serviceAccountRoleArn"] = json!(role);
    }
    if let Some(values) = &addon.configuration_values {
        out["configurationValues"] = json!(values);
    }
    out
}

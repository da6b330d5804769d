//! Managed node groups on the wire: CreateNodegroup, DescribeNodegroup, ListNodegroups, DeleteNodegroup,
//! UpdateNodegroupConfig and UpdateNodegroupVersion.

use aws_model::eks::nodegroups::{
    CreateNodegroup, LaunchTemplate, MaxUnavailable, Nodegroup, NodegroupConfigChange, RemoteAccess, ScalingChange,
    Taint,
};
use aws_protocol::AwsError;
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::updates::update_json;
use super::{body_of, child_error, integer, invalid, list_reply, object, paging, string, string_map, strings, tags};
use crate::{AwsApi, Call};

type Reply = Result<(StatusCode, Value), AwsError>;

fn error(cluster: &str, nodegroup: &str) -> impl Fn(aws_model::eks::EksError) -> AwsError {
    move |e| child_error(e, cluster, "nodegroupName", nodegroup)
}

pub(super) async fn create(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    let body = body_of(call)?;
    let name = string(&body, "nodegroupName")?.ok_or_else(|| invalid("nodegroupName is required"))?;
    let node_role = string(&body, "nodeRole")?.ok_or_else(|| invalid("nodeRole is required"))?;
    let subnets = strings(&body, "subnets")?.ok_or_else(|| invalid("subnets is required"))?;
    let input = CreateNodegroup {
        cluster: cluster.to_owned(),
        name: name.clone(),
        scaling: object(&body, "scalingConfig")?.map(scaling).transpose()?,
        disk_size: integer(&body, "diskSize")?,
        subnets,
        instance_types: strings(&body, "instanceTypes")?,
        ami_type: string(&body, "amiType")?,
        remote_access: object(&body, "remoteAccess")?.map(remote_access).transpose()?,
        node_role,
        labels: string_map(&body, "labels")?.unwrap_or_default(),
        taints: taints(&body, "taints")?,
        tags: tags(&body)?,
        launch_template: object(&body, "launchTemplate")?.map(launch_template).transpose()?,
        max_unavailable: object(&body, "updateConfig")?.map(max_unavailable).transpose()?.flatten(),
        capacity_type: string(&body, "capacityType")?,
        version: string(&body, "version")?,
        release_version: string(&body, "releaseVersion")?,
        client_request_token: string(&body, "clientRequestToken")?,
    };
    let nodegroup = api.eks().create_nodegroup(&call.caller, input).await.map_err(error(cluster, &name))?;
    Ok((StatusCode::OK, json!({ "nodegroup": nodegroup_json(&nodegroup) })))
}

pub(super) async fn describe(api: &AwsApi, call: &Call<'_>, cluster: &str, name: &str) -> Reply {
    let nodegroup = api.eks().describe_nodegroup(&call.caller, cluster, name).await.map_err(error(cluster, name))?;
    Ok((StatusCode::OK, json!({ "nodegroup": nodegroup_json(&nodegroup) })))
}

pub(super) async fn list(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    let (max_results, next_token) = paging(call)?;
    let (names, token) = api
        .eks()
        .list_nodegroups(&call.caller, cluster, max_results, next_token.as_deref())
        .await
        .map_err(error(cluster, ""))?;
    Ok((StatusCode::OK, list_reply("nodegroups", names, token)))
}

pub(super) async fn delete(api: &AwsApi, call: &Call<'_>, cluster: &str, name: &str) -> Reply {
    let nodegroup = api.eks().delete_nodegroup(&call.caller, cluster, name).await.map_err(error(cluster, name))?;
    Ok((StatusCode::OK, json!({ "nodegroup": nodegroup_json(&nodegroup) })))
}

pub(super) async fn update_config(api: &AwsApi, call: &Call<'_>, cluster: &str, name: &str) -> Reply {
    let body = body_of(call)?;
    let mut change = NodegroupConfigChange {
        scaling: object(&body, "scalingConfig")?.map(scaling).transpose()?,
        max_unavailable: object(&body, "updateConfig")?.map(max_unavailable).transpose()?.flatten(),
        client_request_token: string(&body, "clientRequestToken")?,
        ..NodegroupConfigChange::default()
    };
    if let Some(labels) = object(&body, "labels")? {
        change.add_labels = string_map(labels, "addOrUpdateLabels")?.unwrap_or_default();
        change.remove_labels = strings(labels, "removeLabels")?.unwrap_or_default();
    }
    if let Some(taint_change) = object(&body, "taints")? {
        change.add_taints = taints(taint_change, "addOrUpdateTaints")?;
        change.remove_taints = taints(taint_change, "removeTaints")?;
    }
    let update =
        api.eks().update_nodegroup_config(&call.caller, cluster, name, change).await.map_err(error(cluster, name))?;
    Ok((StatusCode::OK, json!({ "update": update_json(&update) })))
}

pub(super) async fn update_version(api: &AwsApi, call: &Call<'_>, cluster: &str, name: &str) -> Reply {
    let body = body_of(call)?;
    let version = string(&body, "version")?;
    let release_version = string(&body, "releaseVersion")?;
    let token = string(&body, "clientRequestToken")?;
    let update = api
        .eks()
        .update_nodegroup_version(
            &call.caller,
            cluster,
            name,
            version.as_deref(),
            release_version.as_deref(),
            token.as_deref(),
        )
        .await
        .map_err(error(cluster, name))?;
    Ok((StatusCode::OK, json!({ "update": update_json(&update) })))
}

fn scaling(body: &Map<String, Value>) -> Result<ScalingChange, AwsError> {
    Ok(ScalingChange {
        min_size: integer(body, "minSize")?,
        max_size: integer(body, "maxSize")?,
        desired_size: integer(body, "desiredSize")?,
    })
}

fn remote_access(body: &Map<String, Value>) -> Result<RemoteAccess, AwsError> {
    Ok(RemoteAccess {
        ec2_ssh_key: string(body, "ec2SshKey")?,
        source_security_groups: strings(body, "sourceSecurityGroups")?.unwrap_or_default(),
    })
}

fn launch_template(body: &Map<String, Value>) -> Result<LaunchTemplate, AwsError> {
    Ok(LaunchTemplate { name: string(body, "name")?, id: string(body, "id")?, version: string(body, "version")? })
}

fn max_unavailable(body: &Map<String, Value>) -> Result<Option<MaxUnavailable>, AwsError> {
    match (integer(body, "maxUnavailable")?, integer(body, "maxUnavailablePercentage")?) {
        (Some(_), Some(_)) => Err(invalid("Only one of maxUnavailable and maxUnavailablePercentage may be specified")),
        (Some(count), None) => Ok(Some(MaxUnavailable::Count(count))),
        (None, Some(percentage)) => Ok(Some(MaxUnavailable::Percentage(percentage))),
        (None, None) => Ok(None),
    }
}

fn taints(body: &Map<String, Value>, field: &str) -> Result<Vec<Taint>, AwsError> {
    let Some(items) = body.get(field).filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let items = items.as_array().ok_or_else(|| invalid(format!("{field} must be a list")))?;
    items
        .iter()
        .map(|item| {
            let taint = item.as_object().ok_or_else(|| invalid(format!("{field} must hold objects")))?;
            Ok(Taint {
                key: string(taint, "key")?.ok_or_else(|| invalid("A taint needs a key"))?,
                value: string(taint, "value")?,
                effect: string(taint, "effect")?.ok_or_else(|| invalid("A taint needs an effect"))?,
            })
        })
        .collect()
}

/// A node group as DescribeNodegroup shows it.
pub(super) fn nodegroup_json(nodegroup: &Nodegroup) -> Value {
    let mut out = json!({
        "nodegroupName": nodegroup.name,
        "nodegroupArn": nodegroup.arn,
        "clusterName": nodegroup.cluster,
        "version": nodegroup.version,
        "releaseVersion": nodegroup.release_version,
        "createdAt": nodegroup.created_at,
        "modifiedAt": nodegroup.modified_at,
        "status": nodegroup.status.as_str(),
        "capacityType": nodegroup.capacity_type,
        "scalingConfig": {
            "minSize": nodegroup.scaling.min_size,
            "maxSize": nodegroup.scaling.max_size,
            "desiredSize": nodegroup.scaling.desired_size,
        },
        "subnets": nodegroup.subnets,
        "amiType": nodegroup.ami_type,
        "nodeRole": nodegroup.node_role,
        "labels": nodegroup.labels,
        "resources": { "autoScalingGroups": [{ "name": nodegroup.auto_scaling_group }] },
        "health": { "issues": [] },
        "updateConfig": match nodegroup.max_unavailable {
            MaxUnavailable::Count(n) => json!({ "maxUnavailable": n }),
            MaxUnavailable::Percentage(n) => json!({ "maxUnavailablePercentage": n }),
        },
        "tags": nodegroup.tags,
    });
    if !nodegroup.instance_types.is_empty() {
        out["instanceTypes"] = json!(nodegroup.instance_types);
    }
    if !nodegroup.taints.is_empty() {
        let taints: Vec<Value> = nodegroup
            .taints
            .iter()
            .map(|t| {
                let mut taint = json!({ "key": t.key, "effect": t.effect });
                if let Some(value) = &t.value {
                    taint["value"] = json!(value);
                }
                taint
            })
            .collect();
        out["taints"] = Value::Array(taints);
    }
    if let Some(size) = nodegroup.disk_size {
        out["diskSize"] = json!(size);
    }
    if let Some(access) = &nodegroup.remote_access {
        let mut remote = json!({ "sourceSecurityGroups": access.source_security_groups });
        if let Some(key) = &access.ec2_ssh_key {
            remote["ec2SshKey"] = json!(key);
        }
        out["remoteAccess"] = remote;
    }
    if let Some(template) = &nodegroup.launch_template {
        let mut spec = Map::new();
        for (member, value) in [("name", &template.name), ("id", &template.id), ("version", &template.version)] {
            if let Some(value) = value {
                spec.insert(member.to_owned(), json!(value));
            }
        }
        out["launchTemplate"] = Value::Object(spec);
    }
    out
}

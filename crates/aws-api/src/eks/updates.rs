//! Cluster updates on the wire: UpdateClusterConfig (EKS Auto Mode's `computeConfig`, `storageConfig` and
//! `kubernetesNetworkConfig` among its parts), UpdateClusterVersion, DescribeUpdate and ListUpdates.

use aws_model::eks::updates::{ClusterConfigChange, Update, UpdateScope};
use aws_protocol::AwsError;
use http::StatusCode;
use serde_json::{Value, json};

use super::{
    auto_mode_request, body_of, boolean, child_error, error, invalid, list_reply, object, paging, remote_network,
    string, strings,
};
use crate::{AwsApi, Call};

type Reply = Result<(StatusCode, Value), AwsError>;

pub(super) async fn update_cluster_config(api: &AwsApi, call: &Call<'_>, name: &str) -> Reply {
    let body = body_of(call)?;
    let mut change = ClusterConfigChange::default();
    if let Some(logging) = object(&body, "logging")? {
        let mut types = Vec::new();
        let setups = match logging.get("clusterLogging") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(setups)) => setups.clone(),
            Some(_) => return Err(invalid("clusterLogging must be a list")),
        };
        for setup in &setups {
            let setup = setup.as_object().ok_or_else(|| invalid("clusterLogging must hold objects"))?;
            let enabled = boolean(setup, "enabled")?.unwrap_or(false);
            types.extend(strings(setup, "types")?.unwrap_or_default().into_iter().map(|t| (t, enabled)));
        }
        change.logging = Some(types);
    }
    if let Some(vpc) = object(&body, "resourcesVpcConfig")? {
        change.endpoint_public_access = boolean(vpc, "endpointPublicAccess")?;
        change.endpoint_private_access = boolean(vpc, "endpointPrivateAccess")?;
        change.public_access_cidrs = strings(vpc, "publicAccessCidrs")?;
        change.subnet_ids = strings(vpc, "subnetIds")?;
        change.security_group_ids = strings(vpc, "securityGroupIds")?;
    }
    if let Some(access) = object(&body, "accessConfig")? {
        change.authentication_mode = string(access, "authenticationMode")?;
    }
    if let Some(policy) = object(&body, "upgradePolicy")? {
        change.support_type = string(policy, "supportType")?;
    }
    let network = object(&body, "kubernetesNetworkConfig")?;
    if let Some(network) = network {
        change.service_ipv4_cidr = string(network, "serviceIpv4Cidr")?;
        change.ip_family = string(network, "ipFamily")?;
    }
    change.auto_mode = auto_mode_request(&body, network)?;
    change.remote_network = remote_network(&body)?;
    change.deletion_protection = boolean(&body, "deletionProtection")?;
    change.client_request_token = string(&body, "clientRequestToken")?;
    let update = api.eks().update_cluster_config(&call.caller, name, change).await.map_err(|e| error(e, name))?;
    Ok((StatusCode::OK, json!({ "update": update_json(&update) })))
}

pub(super) async fn update_cluster_version(api: &AwsApi, call: &Call<'_>, name: &str) -> Reply {
    let body = body_of(call)?;
    let version = string(&body, "version")?.ok_or_else(|| invalid("version is required"))?;
    let token = string(&body, "clientRequestToken")?;
    let update = api
        .eks()
        .update_cluster_version(&call.caller, name, &version, token.as_deref())
        .await
        .map_err(|e| error(e, name))?;
    Ok((StatusCode::OK, json!({ "update": update_json(&update) })))
}

/// The node group or add-on a DescribeUpdate or ListUpdates is about, from the query string.
fn scope<'a>(call: &'a Call<'_>) -> UpdateScope<'a> {
    UpdateScope { nodegroup: call.params.get("nodegroupName"), addon: call.params.get("addonName") }
}

fn scoped_error(name: &str, scope: UpdateScope<'_>) -> impl Fn(aws_model::eks::EksError) -> AwsError {
    move |e| match (scope.nodegroup, scope.addon) {
        (Some(nodegroup), _) => child_error(e, name, "nodegroupName", nodegroup),
        (None, Some(addon)) => child_error(e, name, "addonName", addon),
        (None, None) => error(e, name),
    }
}

pub(super) async fn describe_update(api: &AwsApi, call: &Call<'_>, name: &str, id: &str) -> Reply {
    let scope = scope(call);
    let update = api.eks().describe_update(&call.caller, name, id, scope).await.map_err(scoped_error(name, scope))?;
    Ok((StatusCode::OK, json!({ "update": update_json(&update) })))
}

pub(super) async fn list_updates(api: &AwsApi, call: &Call<'_>, name: &str) -> Reply {
    let scope = scope(call);
    let (max_results, next_token) = paging(call)?;
    let (ids, token) = api
        .eks()
        .list_updates(&call.caller, name, scope, max_results, next_token.as_deref())
        .await
        .map_err(scoped_error(name, scope))?;
    Ok((StatusCode::OK, list_reply("updateIds", ids, token)))
}

/// An update as DescribeUpdate shows it.
pub(super) fn update_json(update: &Update) -> Value {
    let params: Vec<Value> =
        update.params.iter().map(|(kind, value)| json!({ "type": kind, "value": value })).collect();
    json!({
        "id": update.id,
        "status": update.status.as_str(),
        "type": update.kind,
        "params": params,
        "createdAt": update.created_at,
        "errors": [],
    })
}

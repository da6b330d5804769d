//! Pod identity associations and identity provider configs on the wire: Create/Describe/List/Update/Delete
//! PodIdentityAssociation, and Associate/Describe/List/DisassociateIdentityProviderConfig.

use aws_model::eks::identity::{AssociateOidcConfig, CreatePodIdentityAssociation, OidcConfig, PodIdentityAssociation};
use aws_protocol::AwsError;
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::updates::update_json;
use super::{body_of, boolean, error, invalid, list_reply, object, paging, string, string_map, tags};
use crate::{AwsApi, Call};

type Reply = Result<(StatusCode, Value), AwsError>;

pub(super) async fn create_association(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    let body = body_of(call)?;
    let input = CreatePodIdentityAssociation {
        cluster: cluster.to_owned(),
        namespace: string(&body, "namespace")?.ok_or_else(|| invalid("namespace is required"))?,
        service_account: string(&body, "serviceAccount")?.ok_or_else(|| invalid("serviceAccount is required"))?,
        role_arn: string(&body, "roleArn")?.ok_or_else(|| invalid("roleArn is required"))?,
        disable_session_tags: boolean(&body, "disableSessionTags")?,
        tags: tags(&body)?,
    };
    let created =
        api.eks().create_pod_identity_association(&call.caller, input).await.map_err(|e| error(e, cluster))?;
    Ok((StatusCode::OK, json!({ "association": association_json(&created) })))
}

pub(super) async fn describe_association(api: &AwsApi, call: &Call<'_>, cluster: &str, id: &str) -> Reply {
    let found =
        api.eks().describe_pod_identity_association(&call.caller, cluster, id).await.map_err(|e| error(e, cluster))?;
    Ok((StatusCode::OK, json!({ "association": association_json(&found) })))
}

pub(super) async fn list_associations(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    let (max_results, next_token) = paging(call)?;
    let (found, token) = api
        .eks()
        .list_pod_identity_associations(
            &call.caller,
            cluster,
            call.params.get("namespace"),
            call.params.get("serviceAccount"),
            max_results,
            next_token.as_deref(),
        )
        .await
        .map_err(|e| error(e, cluster))?;
    let summaries: Vec<Value> = found
        .iter()
        .map(|a| {
            json!({
                "clusterName": a.cluster,
                "namespace": a.namespace,
                "serviceAccount": a.service_account,
                "associationArn": a.arn,
                "associationId": a.id,
            })
        })
        .collect();
    let mut body = json!({ "associations": summaries });
    if let Some(token) = token {
        body["nextToken"] = json!(token);
    }
    Ok((StatusCode::OK, body))
}

pub(super) async fn update_association(api: &AwsApi, call: &Call<'_>, cluster: &str, id: &str) -> Reply {
    let body = body_of(call)?;
    let role = string(&body, "roleArn")?;
    let disable = boolean(&body, "disableSessionTags")?;
    let updated = api
        .eks()
        .update_pod_identity_association(&call.caller, cluster, id, role, disable)
        .await
        .map_err(|e| error(e, cluster))?;
    Ok((StatusCode::OK, json!({ "association": association_json(&updated) })))
}

pub(super) async fn delete_association(api: &AwsApi, call: &Call<'_>, cluster: &str, id: &str) -> Reply {
    let deleted =
        api.eks().delete_pod_identity_association(&call.caller, cluster, id).await.map_err(|e| error(e, cluster))?;
    Ok((StatusCode::OK, json!({ "association": association_json(&deleted) })))
}

fn association_json(association: &PodIdentityAssociation) -> Value {
    json!({
        "clusterName": association.cluster,
        "namespace": association.namespace,
        "serviceAccount": association.service_account,
        "roleArn": association.role_arn,
        "associationArn": association.arn,
        "associationId": association.id,
        "tags": association.tags,
        "createdAt": association.created_at,
        "modifiedAt": association.modified_at,
        "disableSessionTags": association.disable_session_tags,
    })
}

fn optional(body: &Map<String, Value>, field: &str) -> Result<Option<String>, AwsError> {
    string(body, field)
}

pub(super) async fn associate_config(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    let body = body_of(call)?;
    let oidc = object(&body, "oidc")?.ok_or_else(|| invalid("oidc is required"))?;
    let required = |field: &str| optional(oidc, field)?.ok_or_else(|| invalid(format!("oidc.{field} is required")));
    let input = AssociateOidcConfig {
        cluster: cluster.to_owned(),
        name: required("identityProviderConfigName")?,
        issuer_url: required("issuerUrl")?,
        client_id: required("clientId")?,
        username_claim: optional(oidc, "usernameClaim")?,
        username_prefix: optional(oidc, "usernamePrefix")?,
        groups_claim: optional(oidc, "groupsClaim")?,
        groups_prefix: optional(oidc, "groupsPrefix")?,
        required_claims: string_map(oidc, "requiredClaims")?.unwrap_or_default(),
        tags: tags(&body)?,
    };
    let (update, config) = api.eks().associate_oidc_config(&call.caller, input).await.map_err(|e| error(e, cluster))?;
    Ok((StatusCode::OK, json!({ "update": update_json(&update), "tags": config.tags })))
}

/// The `identityProviderConfig` member of Describe and Disassociate: `{type: "oidc", name}`.
fn config_name(body: &Map<String, Value>) -> Result<String, AwsError> {
    let config =
        object(body, "identityProviderConfig")?.ok_or_else(|| invalid("identityProviderConfig is required"))?;
    let kind = string(config, "type")?.ok_or_else(|| invalid("identityProviderConfig.type is required"))?;
    if kind != "oidc" {
        return Err(invalid(format!("Unsupported identity provider config type {kind}")));
    }
    string(config, "name")?.ok_or_else(|| invalid("identityProviderConfig.name is required"))
}

pub(super) async fn describe_config(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    let name = config_name(&body_of(call)?)?;
    let config = api.eks().describe_oidc_config(&call.caller, cluster, &name).await.map_err(|e| error(e, cluster))?;
    Ok((StatusCode::OK, json!({ "identityProviderConfig": { "oidc": config_json(&config) } })))
}

pub(super) async fn list_configs(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    let (max_results, next_token) = paging(call)?;
    let (names, token) = api
        .eks()
        .list_oidc_configs(&call.caller, cluster, max_results, next_token.as_deref())
        .await
        .map_err(|e| error(e, cluster))?;
    let configs: Vec<Value> = names.iter().map(|name| json!({ "type": "oidc", "name": name })).collect();
    let mut body = list_reply("identityProviderConfigs", Vec::new(), token);
    body["identityProviderConfigs"] = Value::Array(configs);
    Ok((StatusCode::OK, body))
}

pub(super) async fn disassociate_config(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    let name = config_name(&body_of(call)?)?;
    let update =
        api.eks().disassociate_oidc_config(&call.caller, cluster, &name).await.map_err(|e| error(e, cluster))?;
    Ok((StatusCode::OK, json!({ "update": update_json(&update) })))
}

fn config_json(config: &OidcConfig) -> Value {
    let mut out = json!({
        "identityProviderConfigName": config.name,
        "identityProviderConfigArn": config.arn,
        "clusterName": config.cluster,
        "issuerUrl": config.issuer_url,
        "clientId": config.client_id,
        "requiredClaims": config.required_claims,
        "tags": config.tags,
        "status": config.status.as_str(),
    });
    for (member, value) in [
        ("usernameClaim", &config.username_claim),
        ("usernamePrefix", &config.username_prefix),
        ("groupsClaim", &config.groups_claim),
        ("groupsPrefix", &config.groups_prefix),
    ] {
        if let Some(value) = value {
            out[member] = json!(value);
        }
    }
    out
}

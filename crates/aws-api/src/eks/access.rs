//! Access entries and access policies on the wire: Create/Describe/List/Update/DeleteAccessEntry,
//! Associate/DisassociateAccessPolicy, ListAssociatedAccessPolicies and ListAccessPolicies.

use aws_model::eks::access::{AccessEntry, AccessScope, AssociatedPolicy, CreateAccessEntry};
use aws_protocol::AwsError;
use http::StatusCode;
use serde_json::{Value, json};

use super::{body_of, error, invalid, list_reply, object, paging, string, strings, tags};
use crate::{AwsApi, Call};

type Reply = Result<(StatusCode, Value), AwsError>;

pub(super) async fn create(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    let body = body_of(call)?;
    let input = CreateAccessEntry {
        cluster: cluster.to_owned(),
        principal_arn: string(&body, "principalArn")?.ok_or_else(|| invalid("principalArn is required"))?,
        kubernetes_groups: strings(&body, "kubernetesGroups")?.unwrap_or_default(),
        username: string(&body, "username")?,
        kind: string(&body, "type")?,
        tags: tags(&body)?,
    };
    let entry = api.eks().create_access_entry(&call.caller, input).await.map_err(|e| error(e, cluster))?;
    Ok((StatusCode::OK, json!({ "accessEntry": entry_json(&entry) })))
}

pub(super) async fn describe(api: &AwsApi, call: &Call<'_>, cluster: &str, principal: &str) -> Reply {
    let entry =
        api.eks().describe_access_entry(&call.caller, cluster, principal).await.map_err(|e| error(e, cluster))?;
    Ok((StatusCode::OK, json!({ "accessEntry": entry_json(&entry) })))
}

pub(super) async fn list(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    let (max_results, next_token) = paging(call)?;
    let policy = call.params.get("associatedPolicyArn");
    let (names, token) = api
        .eks()
        .list_access_entries(&call.caller, cluster, policy, max_results, next_token.as_deref())
        .await
        .map_err(|e| error(e, cluster))?;
    Ok((StatusCode::OK, list_reply("accessEntries", names, token)))
}

pub(super) async fn update(api: &AwsApi, call: &Call<'_>, cluster: &str, principal: &str) -> Reply {
    let body = body_of(call)?;
    let username = string(&body, "username")?;
    let groups = strings(&body, "kubernetesGroups")?;
    let entry = api
        .eks()
        .update_access_entry(&call.caller, cluster, principal, username, groups)
        .await
        .map_err(|e| error(e, cluster))?;
    Ok((StatusCode::OK, json!({ "accessEntry": entry_json(&entry) })))
}

pub(super) async fn delete(api: &AwsApi, call: &Call<'_>, cluster: &str, principal: &str) -> Reply {
    api.eks().delete_access_entry(&call.caller, cluster, principal).await.map_err(|e| error(e, cluster))?;
    Ok((StatusCode::OK, json!({})))
}

pub(super) async fn associate(api: &AwsApi, call: &Call<'_>, cluster: &str, principal: &str) -> Reply {
    let body = body_of(call)?;
    let policy = string(&body, "policyArn")?.ok_or_else(|| invalid("policyArn is required"))?;
    let scope = object(&body, "accessScope")?.ok_or_else(|| invalid("accessScope is required"))?;
    let scope = AccessScope {
        kind: string(scope, "type")?.ok_or_else(|| invalid("accessScope.type is required"))?,
        namespaces: strings(scope, "namespaces")?.unwrap_or_default(),
    };
    let associated = api
        .eks()
        .associate_access_policy(&call.caller, cluster, principal, &policy, scope)
        .await
        .map_err(|e| error(e, cluster))?;
    Ok((
        StatusCode::OK,
        json!({ "clusterName": cluster, "principalArn": principal, "associatedAccessPolicy": associated_json(&associated) }),
    ))
}

pub(super) async fn disassociate(api: &AwsApi, call: &Call<'_>, cluster: &str, principal: &str, policy: &str) -> Reply {
    api.eks()
        .disassociate_access_policy(&call.caller, cluster, principal, policy)
        .await
        .map_err(|e| error(e, cluster))?;
    Ok((StatusCode::OK, json!({})))
}

pub(super) async fn list_associated(api: &AwsApi, call: &Call<'_>, cluster: &str, principal: &str) -> Reply {
    let (max_results, next_token) = paging(call)?;
    let (policies, token) = api
        .eks()
        .list_associated_access_policies(&call.caller, cluster, principal, max_results, next_token.as_deref())
        .await
        .map_err(|e| error(e, cluster))?;
    let listed: Vec<Value> = policies.iter().map(associated_json).collect();
    let mut body = json!({ "clusterName": cluster, "principalArn": principal, "associatedAccessPolicies": listed });
    if let Some(token) = token {
        body["nextToken"] = json!(token);
    }
    Ok((StatusCode::OK, body))
}

pub(super) async fn list_policies(call: &Call<'_>) -> Reply {
    let (max_results, next_token) = paging(call)?;
    let (policies, token) =
        aws_model::eks::access::list_access_policies(max_results, next_token.as_deref()).map_err(|e| error(e, ""))?;
    let listed: Vec<Value> = policies.iter().map(|p| json!({ "name": p.name, "arn": p.arn })).collect();
    let mut body = json!({ "accessPolicies": listed });
    if let Some(token) = token {
        body["nextToken"] = json!(token);
    }
    Ok((StatusCode::OK, body))
}

fn entry_json(entry: &AccessEntry) -> Value {
    json!({
        "clusterName": entry.cluster,
        "principalArn": entry.principal_arn,
        "kubernetesGroups": entry.kubernetes_groups,
        "accessEntryArn": entry.arn,
        "createdAt": entry.created_at,
        "modifiedAt": entry.modified_at,
        "tags": entry.tags,
        "username": entry.username,
        "type": entry.kind,
    })
}

fn associated_json(policy: &AssociatedPolicy) -> Value {
    json!({
        "policyArn": policy.policy_arn,
        "accessScope": { "type": policy.scope.kind, "namespaces": policy.scope.namespaces },
        "associatedAt": policy.associated_at,
        "modifiedAt": policy.modified_at,
    })
}

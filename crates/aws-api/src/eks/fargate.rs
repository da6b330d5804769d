//! Fargate profiles on the wire: CreateFargateProfile, DescribeFargateProfile, ListFargateProfiles and
//! DeleteFargateProfile.

use aws_model::eks::fargate::{CreateFargateProfile, FargateProfile, Selector};
use aws_protocol::AwsError;
use http::StatusCode;
use serde_json::{Value, json};

use super::{body_of, child_error, invalid, list_reply, paging, string, string_map, strings, tags};
use crate::{AwsApi, Call};

type Reply = Result<(StatusCode, Value), AwsError>;

fn error(cluster: &str, profile: &str) -> impl Fn(aws_model::eks::EksError) -> AwsError {
    move |e| child_error(e, cluster, "fargateProfileName", profile)
}

pub(super) async fn create(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    let body = body_of(call)?;
    let name = string(&body, "fargateProfileName")?.ok_or_else(|| invalid("fargateProfileName is required"))?;
    let role = string(&body, "podExecutionRoleArn")?.ok_or_else(|| invalid("podExecutionRoleArn is required"))?;
    let selectors = match body.get("selectors") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let selector = item.as_object().ok_or_else(|| invalid("selectors must hold objects"))?;
                Ok(Selector {
                    namespace: string(selector, "namespace")?,
                    labels: string_map(selector, "labels")?.unwrap_or_default(),
                })
            })
            .collect::<Result<_, AwsError>>()?,
        Some(_) => return Err(invalid("selectors must be a list")),
    };
    let input = CreateFargateProfile {
        cluster: cluster.to_owned(),
        name: name.clone(),
        pod_execution_role_arn: role,
        subnets: strings(&body, "subnets")?.unwrap_or_default(),
        selectors,
        tags: tags(&body)?,
        client_request_token: string(&body, "clientRequestToken")?,
    };
    let profile = api.eks().create_fargate_profile(&call.caller, input).await.map_err(error(cluster, &name))?;
    Ok((StatusCode::OK, json!({ "fargateProfile": profile_json(&profile) })))
}

pub(super) async fn describe(api: &AwsApi, call: &Call<'_>, cluster: &str, name: &str) -> Reply {
    let profile =
        api.eks().describe_fargate_profile(&call.caller, cluster, name).await.map_err(error(cluster, name))?;
    Ok((StatusCode::OK, json!({ "fargateProfile": profile_json(&profile) })))
}

pub(super) async fn list(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    let (max_results, next_token) = paging(call)?;
    let (names, token) = api
        .eks()
        .list_fargate_profiles(&call.caller, cluster, max_results, next_token.as_deref())
        .await
        .map_err(error(cluster, ""))?;
    Ok((StatusCode::OK, list_reply("fargateProfileNames", names, token)))
}

pub(super) async fn delete(api: &AwsApi, call: &Call<'_>, cluster: &str, name: &str) -> Reply {
    let profile = api.eks().delete_fargate_profile(&call.caller, cluster, name).await.map_err(error(cluster, name))?;
    Ok((StatusCode::OK, json!({ "fargateProfile": profile_json(&profile) })))
}

/// A profile as DescribeFargateProfile shows it.
fn profile_json(profile: &FargateProfile) -> Value {
    let selectors: Vec<Value> =
        profile.selectors.iter().map(|s| json!({ "namespace": s.namespace, "labels": s.labels })).collect();
    json!({
        "fargateProfileName": profile.name,
        "fargateProfileArn": profile.arn,
        "clusterName": profile.cluster,
        "createdAt": profile.created_at,
        "podExecutionRoleArn": profile.pod_execution_role_arn,
        "subnets": profile.subnets,
        "selectors": selectors,
        "status": profile.status.as_str(),
        "tags": profile.tags,
        "health": { "issues": [] },
    })
}

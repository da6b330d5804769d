//! Cluster insights on the wire: ListInsights (a POST with its filter and paging in the body) and DescribeInsight.

use aws_model::eks::insights::{Insight, InsightFilter};
use aws_protocol::AwsError;
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::{body_of, error, integer, invalid, object, string, strings};
use crate::{AwsApi, Call};

type Reply = Result<(StatusCode, Value), AwsError>;

pub(super) async fn list(api: &AwsApi, call: &Call<'_>, cluster: &str) -> Reply {
    // An empty body is an empty request.
    let body = if call.request.body().is_empty() { Map::new() } else { body_of(call)? };
    let mut filter = InsightFilter::default();
    if let Some(given) = object(&body, "filter")? {
        filter.categories = strings(given, "categories")?.unwrap_or_default();
        filter.kubernetes_versions = strings(given, "kubernetesVersions")?.unwrap_or_default();
        filter.statuses = strings(given, "statuses")?.unwrap_or_default();
    }
    let max_results = integer(&body, "maxResults")?;
    let next_token = string(&body, "nextToken")?;
    let (insights, token) = api
        .eks()
        .list_insights(&call.caller, cluster, &filter, max_results, next_token.as_deref())
        .await
        .map_err(|e| error(e, cluster))?;
    let mut reply = json!({ "insights": insights.iter().map(summary_json).collect::<Vec<_>>() });
    if let Some(token) = token {
        reply["nextToken"] = json!(token);
    }
    Ok((StatusCode::OK, reply))
}

pub(super) async fn describe(api: &AwsApi, call: &Call<'_>, cluster: &str, id: &str) -> Reply {
    if id.is_empty() {
        return Err(invalid("id is required"));
    }
    let insight = api.eks().describe_insight(&call.caller, cluster, id).await.map_err(|e| error(e, cluster))?;
    let mut out = summary_json(&insight);
    out["recommendation"] = json!(insight.recommendation);
    out["additionalInfo"] = json!(insight.additional_info);
    out["resources"] = insight
        .resources
        .iter()
        .map(|resource| {
            json!({
                "insightStatus": { "status": resource.status.as_str(), "reason": resource.reason },
                "arn": resource.arn,
            })
        })
        .collect();
    let compatibility: Vec<Value> = insight
        .addon_compatibility
        .iter()
        .map(|(name, versions)| json!({ "name": name, "compatibleVersions": versions }))
        .collect();
    out["categorySpecificSummary"] = json!({ "deprecationDetails": [], "addonCompatibilityDetails": compatibility });
    Ok((StatusCode::OK, json!({ "insight": out })))
}

/// An insight as ListInsights shows it (DescribeInsight adds the details).
fn summary_json(insight: &Insight) -> Value {
    json!({
        "id": insight.id,
        "name": insight.name,
        "category": insight.category,
        "kubernetesVersion": insight.kubernetes_version,
        "lastRefreshTime": insight.last_refresh,
        "lastTransitionTime": insight.last_transition,
        "description": insight.description,
        "insightStatus": { "status": insight.status.as_str(), "reason": insight.reason },
    })
}

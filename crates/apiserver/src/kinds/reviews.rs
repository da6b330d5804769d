//! Reviews, requests answered at once and never stored: the access reviews (`kubectl auth can-i`, `can-i
//! --list`, `auth whoami`) and TokenReview.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{Call, Strategy};
use crate::api::ClusterApi;
use crate::authz::{Attributes, UserInfo};
use crate::http::{decode_body, json_response};
use crate::registry::ResourceType;
use crate::request::ResourceRequest;
use crate::status::{ApiError, Cause};

pub(super) fn text(value: &Value, pointer: &str) -> String {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or_default().to_owned()
}

pub(super) fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    let value = decode_body(headers, body)?;
    if !value.is_object() {
        return Err(ApiError::bad_request("the request body must be an object"));
    }
    Ok(value)
}

/// The strategy of the review resources (their verbs are create only).
#[derive(Debug)]
pub(crate) struct Reviews;

#[async_trait::async_trait]
impl Strategy for Reviews {
    fn serves(&self, _subresource: Option<&str>) -> bool {
        true
    }

    async fn serve(&self, api: &ClusterApi, call: &Call<'_>) -> Result<Response, ApiError> {
        answer(api, call.user, call.resource, call.info, call.headers, call.body).await
    }
}

/// The attributes a review's spec asks about, or the field error that says what is missing.
fn review_attributes(spec: &Value, namespace_override: Option<&str>) -> Result<Attributes, Vec<Cause>> {
    if let Some(attributes) = spec.get("resourceAttributes").filter(|v| v.is_object()) {
        let optional = |field: &str| Some(text(attributes, field)).filter(|s| !s.is_empty());
        return Ok(Attributes::Resource {
            verb: text(attributes, "/verb"),
            group: text(attributes, "/group"),
            resource: text(attributes, "/resource"),
            subresource: optional("/subresource"),
            namespace: namespace_override.map(str::to_owned).or_else(|| optional("/namespace")),
            name: optional("/name"),
        });
    }
    if let Some(attributes) = spec.get("nonResourceAttributes").filter(|v| v.is_object()) {
        return Ok(Attributes::NonResource { verb: text(attributes, "/verb"), path: text(attributes, "/path") });
    }
    Err(vec![Cause {
        reason: "FieldValueRequired",
        message: "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified".into(),
        field: "spec.resourceAttributes".into(),
    }])
}

/// Answers a create of one of the review resources.
async fn answer(
    api: &ClusterApi,
    user: &UserInfo,
    resource: &ResourceType,
    info: &ResourceRequest,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let mut review = json_body(headers, body)?;
    review["apiVersion"] = json!(resource.api_version());
    review["kind"] = json!(resource.kind);
    let spec = review.get("spec").cloned().unwrap_or_else(|| json!({}));
    let status = match resource.plural.as_ref() {
        "selfsubjectaccessreviews" | "subjectaccessreviews" | "localsubjectaccessreviews" => {
            let subject = if resource.plural == "selfsubjectaccessreviews" {
                user.clone()
            } else {
                UserInfo {
                    name: text(&spec, "/user"),
                    uid: text(&spec, "/uid"),
                    groups: spec
                        .get("groups")
                        .and_then(Value::as_array)
                        .map(|g| g.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                        .unwrap_or_default(),
                    extra: Default::default(),
                    grants: Vec::new(),
                }
            };
            let namespace =
                (resource.plural == "localsubjectaccessreviews").then_some(info.namespace.as_deref()).flatten();
            let attributes =
                review_attributes(&spec, namespace).map_err(|causes| ApiError::invalid(resource, "", causes))?;
            let allowed = api.allowed(&subject, &attributes).await?;
            let mut status = json!({ "allowed": allowed });
            if allowed {
                status["reason"] = json!("RBAC: allowed");
            }
            status
        }
        "selfsubjectrulesreviews" => {
            let namespace = text(&spec, "/namespace");
            let namespace = Some(namespace.as_str()).filter(|n| !n.is_empty());
            let rules = api.rules_for(user, namespace).await?;
            crate::authz::rules_review_status(&rules, user.is_master())
        }
        "selfsubjectreviews" => json!({ "userInfo": user_info(user) }),
        "tokenreviews" => {
            let token = text(&spec, "/token");
            match crate::authn::authenticate_bearer(api, &token).await {
                Some(found) => {
                    let user = UserInfo::of(&crate::identity::Identity::Token(found));
                    json!({ "authenticated": true, "user": user_info(&user), "audiences": [api.tokens.issuer] })
                }
                None => json!({ "authenticated": false, "user": {} }),
            }
        }
        other => return Err(ApiError::method_not_allowed(format!("{other} are not served"))),
    };
    review["status"] = status;
    if review.get("metadata").is_none() {
        review["metadata"] = json!({});
    }
    Ok(json_response(StatusCode::CREATED, &review))
}

fn user_info(user: &UserInfo) -> Value {
    let mut info = json!({ "username": user.name, "groups": user.groups });
    if !user.uid.is_empty() {
        info["uid"] = json!(user.uid);
    }
    if !user.extra.is_empty() {
        info["extra"] = json!(user.extra);
    }
    info
}

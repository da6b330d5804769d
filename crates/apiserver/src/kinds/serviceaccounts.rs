//! ServiceAccounts: the `token` subresource (`kubectl create token`), which answers a TokenRequest with a new
//! token for the account, optionally bound to one of its namespace's pods.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::reviews::{json_body, text};
use super::{Call, Strategy};
use crate::api::ClusterApi;
use crate::http::json_response;
use crate::request::{ResourceRequest, Verb};
use crate::status::{ApiError, Cause};

/// The strategy of `v1` ServiceAccounts.
#[derive(Debug)]
pub(crate) struct ServiceAccounts;

#[async_trait::async_trait]
impl Strategy for ServiceAccounts {
    fn serves(&self, subresource: Option<&str>) -> bool {
        subresource == Some("token")
    }

    async fn serve(&self, api: &ClusterApi, call: &Call<'_>) -> Result<Response, ApiError> {
        if call.info.verb != Verb::Create {
            return Err(ApiError::method_not_allowed("the token subresource only accepts create"));
        }
        token_request(api, call.info, call.headers, call.body).await
    }
}

/// `POST .../serviceaccounts/<name>/token`: a new token for the service account.
async fn token_request(
    api: &ClusterApi,
    info: &ResourceRequest,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let namespace = info.namespace.clone().unwrap_or_default();
    let name = info.name.clone().unwrap_or_default();
    let accounts = api.registry.find("", "v1", "serviceaccounts").expect("registered");
    let Some(kv) = api.store.get(&api.key(accounts, Some(&namespace), &name), None).await? else {
        return Err(ApiError::not_found(accounts, &name));
    };
    let account: Value = serde_json::from_slice(&kv.value).map_err(|e| ApiError::internal(e.to_string()))?;
    let request = json_body(headers, body)?;
    let bound = match request.pointer("/spec/boundObjectRef").filter(|v| !v.is_null()) {
        None => None,
        Some(reference) => {
            let kind = text(reference, "/kind");
            if kind != "Pod" {
                return Err(ApiError::invalid_named(
                    "TokenRequest.authentication.k8s.io",
                    &name,
                    vec![Cause {
                        reason: "FieldValueNotSupported",
                        message: format!("Unsupported value: \"{kind}\": supported values: \"Pod\""),
                        field: "spec.boundObjectRef.kind".into(),
                    }],
                ));
            }
            let pod_name = text(reference, "/name");
            let pods = api.registry.find("", "v1", "pods").expect("registered");
            let Some(kv) = api.store.get(&api.key(pods, Some(&namespace), &pod_name), None).await? else {
                return Err(ApiError::not_found(pods, &pod_name));
            };
            let pod: Value = serde_json::from_slice(&kv.value).map_err(|e| ApiError::internal(e.to_string()))?;
            let uid = text(&pod, "/metadata/uid");
            let asked_uid = text(reference, "/uid");
            if !asked_uid.is_empty() && asked_uid != uid {
                return Err(ApiError::conflict(pods, &pod_name));
            }
            Some((pod_name, uid))
        }
    };
    let answer = api.tokens.token_request(&request, &namespace, &account, bound)?;
    Ok(json_response(StatusCode::CREATED, &answer))
}

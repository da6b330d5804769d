//! The aggregation layer, as kube-aggregator runs it in front of kube-apiserver: a group version that no built-in
//! or custom resource serves but an `APIService` backed by a Service claims (metrics-server's
//! `v1beta1.metrics.k8s.io`) is passed on to a ready endpoint of that Service, on the APIService's port (443 when
//! unset), with the caller's identity in `X-Remote-User`/`X-Remote-Group` and its credentials stripped. Requests
//! are authorized here first, as kube-apiserver's filters do for every path. An APIService that is not `Available`,
//! or whose Service has no ready endpoint, answers 503 `service unavailable` in plain text, which clients print as
//! "the server is currently unable to handle the request".
//!
//! Discovery: `/apis` and `/apis/<group>` list every such group version (kube-aggregator's `apisHandler` reads the
//! APIServices, available or not); `/apis/<group>/<version>` is proxied; aggregated discovery (v2) holds the
//! resources each backend reports at `/apis/<group>/<version>`, fetched through the same connection and kept for
//! [`DISCOVERY_TTL`] (or until the APIService changes), and leaves out backends that cannot be reached.
//!
//! Connections go through the [`PodConnector`](crate::PodConnector), as the `proxy` subresources' do: a backend is
//! a simulated pod whose program answers (the binary's metrics-server), never a socket.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use store::ListOptions;

use crate::api::ClusterApi;
use crate::authz::UserInfo;
use crate::status::ApiError;

/// How long a backend's discovery document is reused before it is fetched again.
pub(crate) const DISCOVERY_TTL: Duration = Duration::from_secs(30);
/// How long a failed discovery fetch is remembered before it is tried again.
const DISCOVERY_RETRY: Duration = Duration::from_secs(2);
/// The largest discovery document read from a backend.
const DISCOVERY_BYTES: usize = 4 << 20;
/// How long a discovery fetch may take.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// One group version served by a Service, from its APIService.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AggregatedApi {
    /// `<version>.<group>`.
    pub name: String,
    pub group: String,
    pub version: String,
    pub service_namespace: String,
    pub service_name: String,
    pub port: u16,
    pub available: bool,
    pub group_priority: i64,
    pub version_priority: i64,
    /// The APIService's resourceVersion, so a change refetches its discovery.
    pub revision: String,
}

impl AggregatedApi {
    /// The APIService `object` if a Service backs it.
    pub(crate) fn of(object: &Value) -> Option<AggregatedApi> {
        let spec = &object["spec"];
        let service = spec.get("service").filter(|service| service.is_object())?;
        let available = object["status"]["conditions"]
            .as_array()
            .is_some_and(|conditions| conditions.iter().any(|c| c["type"] == "Available" && c["status"] == "True"));
        Some(AggregatedApi {
            name: object["metadata"]["name"].as_str()?.to_owned(),
            group: spec["group"].as_str().unwrap_or_default().to_owned(),
            version: spec["version"].as_str()?.to_owned(),
            service_namespace: service["namespace"].as_str().unwrap_or_default().to_owned(),
            service_name: service["name"].as_str().unwrap_or_default().to_owned(),
            port: service["port"].as_u64().and_then(|port| u16::try_from(port).ok()).unwrap_or(443),
            available,
            group_priority: spec["groupPriorityMinimum"].as_i64().unwrap_or_default(),
            version_priority: spec["versionPriority"].as_i64().unwrap_or_default(),
            revision: object["metadata"]["resourceVersion"].as_str().unwrap_or_default().to_owned(),
        })
    }
}

impl ClusterApi {
    /// Every APIService backed by a Service, ordered as discovery lists them (group priority, then version
    /// priority, highest first).
    pub(crate) async fn aggregated_apis(&self) -> Result<Vec<AggregatedApi>, ApiError> {
        let resource = self.registry.find("apiregistration.k8s.io", "v1", "apiservices").expect("registered");
        let page = self.store.list(&self.collection_prefix(resource, None), ListOptions::default()).await?;
        let mut apis: Vec<AggregatedApi> = page
            .items
            .iter()
            .filter_map(|kv| self.decode_stored(resource, kv).ok())
            .filter_map(|object| AggregatedApi::of(&object))
            .collect();
        apis.sort_by(|a, b| {
            (b.group_priority, &a.group, b.version_priority, &a.version).cmp(&(
                a.group_priority,
                &b.group,
                a.version_priority,
                &b.version,
            ))
        });
        Ok(apis)
    }

    /// The APIService backed by a Service that claims `group`/`version`, if any.
    pub(crate) async fn aggregated_api(&self, group: &str, version: &str) -> Result<Option<AggregatedApi>, ApiError> {
        let resource = self.registry.find("apiregistration.k8s.io", "v1", "apiservices").expect("registered");
        let name = format!("{version}.{group}");
        let Some(kv) = self.store.get(&self.key(resource, None, &name), None).await? else { return Ok(None) };
        Ok(self.decode_stored(resource, &kv).ok().and_then(|object| AggregatedApi::of(&object)))
    }

    /// Passes `request` (already authorized) to the backend of `api`.
    pub(crate) async fn proxy_aggregated(
        &self,
        user: &UserInfo,
        api: &AggregatedApi,
        request: Request<Body>,
    ) -> Result<Response, ApiError> {
        if !api.available {
            return Ok(unavailable());
        }
        let Ok((pod, port)) = self.backend(api).await else { return Ok(unavailable()) };
        let Ok(stream) = self.connect_pod(&pod, port) else { return Ok(unavailable()) };
        let (mut parts, body) = request.into_parts();
        let path = parts.uri.path().to_owned();
        let spoofed: Vec<_> =
            parts.headers.keys().filter(|name| name.as_str().starts_with("x-remote-")).cloned().collect();
        for name in spoofed {
            parts.headers.remove(name);
        }
        if let Ok(value) = HeaderValue::from_str(&user.name) {
            parts.headers.insert("x-remote-user", value);
        }
        for group in &user.groups {
            if let Ok(value) = HeaderValue::from_str(group) {
                parts.headers.append("x-remote-group", value);
            }
        }
        for (key, values) in &user.extra {
            let Ok(name) = axum::http::HeaderName::try_from(format!("x-remote-extra-{}", key.to_ascii_lowercase()))
            else {
                continue;
            };
            for value in values.iter().filter_map(|value| HeaderValue::from_str(value).ok()) {
                parts.headers.append(name.clone(), value);
            }
        }
        crate::proxy::forward(stream, &pod, port, &path, Request::from_parts(parts, body)).await
    }

    /// A ready endpoint's pod and port of the APIService's Service.
    async fn backend(&self, api: &AggregatedApi) -> Result<(Value, u16), ApiError> {
        let port = api.port.to_string();
        self.service_target(&api.service_namespace, &api.service_name, &api.service_name, &port).await
    }

    /// The resources of each reachable aggregated group version (aggregated discovery's entries for them), in
    /// discovery order.
    pub(crate) async fn aggregated_discovery(&self) -> Vec<(AggregatedApi, Vec<Value>)> {
        let Ok(apis) = self.aggregated_apis().await else { return Vec::new() };
        let mut found = Vec::new();
        for api in apis.into_iter().filter(|api| api.available) {
            if let Some(resources) = self.backend_resources(&api).await {
                found.push((api, resources));
            }
        }
        found
    }

    async fn backend_resources(&self, api: &AggregatedApi) -> Option<Vec<Value>> {
        if let Some(resources) = self.aggregated.get(&api.name, &api.revision, DISCOVERY_TTL, DISCOVERY_RETRY) {
            return resources;
        }
        let fetched = tokio::time::timeout(DISCOVERY_TIMEOUT, self.fetch_resources(api)).await.ok().flatten();
        self.aggregated.put(&api.name, &api.revision, fetched.clone());
        fetched
    }

    /// Reads the backend's `APIResourceList` for the group version and turns it into aggregated discovery entries.
    async fn fetch_resources(&self, api: &AggregatedApi) -> Option<Vec<Value>> {
        let (pod, port) = self.backend(api).await.ok()?;
        let stream = self.connect_pod(&pod, port).ok()?;
        let path = format!("/apis/{}/{}", api.group, api.version);
        let request =
            Request::get(path.as_str()).header(header::ACCEPT, "application/json").body(Body::empty()).ok()?;
        let answer = crate::proxy::forward(stream, &pod, port, &path, request).await.ok()?;
        if answer.status() != StatusCode::OK {
            return None;
        }
        let body = axum::body::to_bytes(answer.into_body(), DISCOVERY_BYTES).await.ok()?;
        let list: Value = serde_json::from_slice(&body).ok()?;
        // A backend that answers something else than its group version's resource list fails the discovery check.
        let group_version = format!("{}/{}", api.group, api.version);
        if list["kind"] != "APIResourceList" || list["groupVersion"] != group_version.as_str() {
            return None;
        }
        Some(crate::discovery::aggregated_from_list(&list, &api.group, &api.version))
    }
}

/// kube-aggregator's answer when the backend cannot take the request.
fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::X_CONTENT_TYPE_OPTIONS, "nosniff")],
        "service unavailable\n",
    )
        .into_response()
}

/// The legacy discovery documents of aggregated groups: the `APIGroup` of each group (versions by priority), for
/// `/apis` and `/apis/<group>`.
pub(crate) fn api_groups(apis: &[AggregatedApi]) -> Vec<Value> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for api in apis.iter().filter(|api| !api.group.is_empty()) {
        match groups.iter_mut().find(|(group, _)| *group == api.group) {
            Some((_, versions)) => versions.push(&api.version),
            None => groups.push((&api.group, vec![&api.version])),
        }
    }
    groups
        .into_iter()
        .map(|(group, versions)| {
            let versions: Vec<Value> =
                versions.iter().map(|v| json!({ "groupVersion": format!("{group}/{v}"), "version": v })).collect();
            json!({ "name": group, "versions": versions, "preferredVersion": versions[0] })
        })
        .collect()
}

#[cfg(test)]
mod tests;

//! `POST .../pods/<name>/eviction`: deletes a pod only if its PodDisruptionBudget allows one more disruption, as
//! kube-apiserver's eviction subresource does (what `kubectl drain` calls). An allowed eviction takes one from the
//! budget's `disruptionsAllowed` and notes the pod in `disruptedPods`, so that the disruption controller does not
//! count it as healthy before it is gone.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use store::{ListOptions, StoreError};

use crate::api::ClusterApi;
use crate::http::{Query, decode_body, json_response};
use crate::registry::ResourceType;
use crate::request::{ResourceRequest, Verb};
use crate::selector::LabelSelector;
use crate::status::ApiError;

/// How many entries `disruptedPods` may hold before evictions are refused (upstream's `MaxDisruptedPodSize`).
const MAX_DISRUPTED_PODS: usize = 2000;
/// How many times the budget update is retried when it changes underneath.
const BUDGET_RETRIES: usize = 20;

/// What the budget check decided.
#[derive(Debug, PartialEq)]
enum Budget {
    /// No budget covers the pod, or it allowed the eviction (and was decremented).
    Allowed,
    /// The pod is not ready and the budget is healthy without it: delete it if it is still as seen.
    UnhealthyPod,
}

impl ClusterApi {
    pub(crate) async fn evict(
        &self,
        pods: &ResourceType,
        request: &ResourceRequest,
        headers: &HeaderMap,
        body: &[u8],
        query: &Query,
    ) -> Result<Response, ApiError> {
        let name = request.name.clone().unwrap_or_default();
        let namespace = request.namespace.clone().unwrap_or_default();
        let eviction = decode_body(headers, body)?;
        if !eviction.is_object() {
            return Err(ApiError::bad_request("the body of an eviction must be a policy/v1 Eviction object"));
        }
        if let Some(kind) = eviction.get("kind").and_then(Value::as_str)
            && kind != "Eviction"
        {
            return Err(ApiError::bad_request(format!("not a Eviction object: {kind}")));
        }
        if let Some(version) = eviction.get("apiVersion").and_then(Value::as_str)
            && version != "policy/v1"
            && version != "policy/v1beta1"
        {
            return Err(ApiError::bad_request(format!("unsupported Eviction version {version:?}")));
        }
        if eviction.pointer("/metadata/name").and_then(Value::as_str) != Some(name.as_str()) {
            return Err(ApiError::bad_request("name in URL does not match name in Eviction object"));
        }
        let mut delete_options = match eviction.get("deleteOptions") {
            None | Some(Value::Null) => json!({}),
            Some(options @ Value::Object(_)) => options.clone(),
            Some(_) => return Err(ApiError::bad_request("deleteOptions must be a DeleteOptions object")),
        };
        let pod_request = ResourceRequest { verb: Verb::Get, subresource: None, ..request.clone() };
        let pod = self.get(pods, &pod_request).await?;
        if !can_ignore_budget(&pod) {
            match self.check_budget(&namespace, &name, &pod, dry_run(query, &delete_options)).await? {
                Budget::Allowed => {}
                Budget::UnhealthyPod => {
                    // Only if the pod has not become ready since: its resourceVersion must still be the one seen.
                    if delete_options.pointer("/preconditions/resourceVersion").is_none() {
                        delete_options["preconditions"]["resourceVersion"] = pod["metadata"]["resourceVersion"].clone();
                    }
                }
            }
        }
        let mut delete_headers = HeaderMap::new();
        delete_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let delete_body = serde_json::to_vec(&delete_options).expect("JSON values serialize");
        let delete_request = ResourceRequest { verb: Verb::Delete, subresource: None, ..request.clone() };
        self.delete(pods, &delete_request, &delete_headers, &delete_body, query).await?;
        Ok(json_response(
            StatusCode::CREATED,
            &json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201 }),
        ))
    }

    /// Checks the pod's budget and takes one disruption from it.
    async fn check_budget(
        &self,
        namespace: &str,
        pod_name: &str,
        pod: &Value,
        dry_run: bool,
    ) -> Result<Budget, ApiError> {
        let budgets = self.registry.find("policy", "v1", "poddisruptionbudgets").expect("registered").clone();
        for _ in 0..BUDGET_RETRIES {
            let listed =
                self.store.list(&self.collection_prefix(&budgets, Some(namespace)), ListOptions::default()).await?;
            let mut matching = Vec::new();
            for kv in &listed.items {
                let budget = self.decode_stored(&budgets, kv)?;
                if selects(&budget, pod) {
                    matching.push((kv.mod_revision, budget));
                }
            }
            if matching.len() > 1 {
                return Err(ApiError::new(
                    500,
                    "InternalError",
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                ));
            }
            let Some((revision, mut budget)) = matching.pop() else { return Ok(Budget::Allowed) };
            let status = |field: &str| budget.pointer(&format!("/status/{field}")).and_then(Value::as_i64).unwrap_or(0);
            let (current, desired) = (status("currentHealthy"), status("desiredHealthy"));
            if !is_ready(pod) && current >= desired && desired > 0 {
                return Ok(Budget::UnhealthyPod);
            }
            let budget_name = budget.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_owned();
            let generation = budget.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(0);
            if status("observedGeneration") < generation {
                return Err(too_many_requests(format!(
                    "The disruption budget {budget_name} is still being processed by the server."
                )));
            }
            let allowed = status("disruptionsAllowed");
            let forbidden = |reason: &str| {
                ApiError::new(
                    403,
                    "Forbidden",
                    format!("poddisruptionbudget.policy \"{budget_name}\" is forbidden: {reason}"),
                )
            };
            if allowed < 0 {
                return Err(forbidden("pdb disruptions allowed is negative"));
            }
            let disrupted = budget.pointer("/status/disruptedPods").and_then(Value::as_object).map_or(0, |m| m.len());
            if disrupted > MAX_DISRUPTED_PODS {
                return Err(forbidden(
                    "DisruptedPods map too big - too many evictions not confirmed by PDB controller",
                ));
            }
            if allowed == 0 {
                return Err(too_many_requests(format!(
                    "The disruption budget {budget_name} needs {desired} healthy pods and has {current} currently"
                )));
            }
            if dry_run {
                return Ok(Budget::Allowed);
            }
            budget["status"]["disruptionsAllowed"] = json!(allowed - 1);
            if allowed - 1 == 0 {
                set_disruption_allowed_false(&mut budget);
            }
            if !budget["status"]["disruptedPods"].is_object() {
                budget["status"]["disruptedPods"] = json!({});
            }
            budget["status"]["disruptedPods"][pod_name] = json!(crate::object::now_timestamp());
            let key = self.key(&budgets, Some(namespace), &budget_name);
            match self.store.update(&key, Self::encode_for_store(&budgets, &budget), revision).await {
                Ok(_) => return Ok(Budget::Allowed),
                Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(ApiError::timeout("couldn't update PodDisruptionBudget due to conflicts"))
    }
}

/// Pods that are finished, not yet running, or already going are deleted without asking their budget.
fn can_ignore_budget(pod: &Value) -> bool {
    let phase = pod.pointer("/status/phase").and_then(Value::as_str).unwrap_or("Pending");
    matches!(phase, "Succeeded" | "Failed" | "Pending") || pod.pointer("/metadata/deletionTimestamp").is_some()
}

fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|conditions| conditions.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
}

/// Whether the budget's selector selects the pod; an empty or missing selector selects nothing here.
fn selects(budget: &Value, pod: &Value) -> bool {
    let Some(selector) = budget.pointer("/spec/selector") else { return false };
    LabelSelector::from_object(selector)
        .filter(|parsed| !parsed.is_empty())
        .is_some_and(|parsed| parsed.matches(pod.pointer("/metadata/labels").and_then(Value::as_object)))
}

fn dry_run(query: &Query, options: &Value) -> bool {
    query.get("dryRun").is_some_and(|v| v == "All")
        || options.get("dryRun").and_then(Value::as_array).is_some_and(|values| values.iter().any(|v| v == "All"))
}

fn set_disruption_allowed_false(budget: &mut Value) {
    let condition = json!({
        "type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods", "message": "",
        "observedGeneration": budget.pointer("/status/observedGeneration").cloned().unwrap_or(json!(0)),
        "lastTransitionTime": crate::object::now_timestamp(),
    });
    let conditions = budget["status"]["conditions"].as_array().cloned().unwrap_or_default();
    let mut conditions: Vec<Value> = conditions.into_iter().filter(|c| c["type"] != "DisruptionAllowed").collect();
    conditions.push(condition);
    budget["status"]["conditions"] = Value::Array(conditions);
}

fn too_many_requests(cause: String) -> ApiError {
    ApiError::new(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.")
        .with_details(
            json!({ "causes": [{ "reason": "DisruptionBudget", "message": cause }], "retryAfterSeconds": 10 }),
        )
}

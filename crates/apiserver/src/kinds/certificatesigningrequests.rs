//! CertificateSigningRequests (`certificates.k8s.io/v1`): on create, the request must be a PEM certificate
//! request, the signer one this API version allows and the lifetime at least ten minutes, as kube-apiserver's
//! `ValidateCertificateSigningRequestCreate` checks; the `approval` subresource (`kubectl certificate
//! approve|deny`) changes only the Approved and Denied conditions, which the `status` subresource may not add,
//! and neither may remove. Signing is the `csrsigning` controller's.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};

use super::{Call, Strategy};
use crate::api::ClusterApi;
use crate::http::{Query, decode_body, json_response};
use crate::object;
use crate::patch::{Patch, patch_precondition};
use crate::registry::ResourceType;
use crate::request::{ResourceRequest, Verb};
use crate::status::{ApiError, Cause};

/// The signer the v1 API refuses: it exists only for requests made through `v1beta1`.
const LEGACY_UNKNOWN_SIGNER: &str = "kubernetes.io/legacy-unknown";
/// The shortest lifetime a request may ask for (`spec.expirationSeconds`).
const MIN_EXPIRATION_SECONDS: i64 = 600;
/// The key usages a request may name, in upstream's order.
const KEY_USAGES: &[&str] = &[
    "signing",
    "digital signature",
    "content commitment",
    "key encipherment",
    "key agreement",
    "data encipherment",
    "cert sign",
    "crl sign",
    "encipher only",
    "decipher only",
    "any",
    "server auth",
    "client auth",
    "code signing",
    "email protection",
    "s/mime",
    "ipsec end system",
    "ipsec tunnel",
    "ipsec user",
    "timestamping",
    "ocsp signing",
    "microsoft sgc",
    "netscape sgc",
];

/// The strategy of `certificates.k8s.io/v1` CertificateSigningRequests.
#[derive(Debug)]
pub(crate) struct CertificateSigningRequests;

#[async_trait::async_trait]
impl Strategy for CertificateSigningRequests {
    fn serves(&self, subresource: Option<&str>) -> bool {
        matches!(subresource, Some("approval" | "status"))
    }

    async fn serve(&self, api: &ClusterApi, call: &Call<'_>) -> Result<Response, ApiError> {
        let Call { resource, info, headers, body, query, .. } = *call;
        let approval = info.subresource.as_deref() == Some("approval");
        api.write_conditions(resource, info, headers, body, query, approval).await
    }

    async fn prepare_for_create(
        &self,
        _api: &ClusterApi,
        resource: &ResourceType,
        _namespace: Option<&str>,
        object: &mut Value,
    ) -> Result<(), ApiError> {
        let causes = validate_create(object);
        if causes.is_empty() {
            return Ok(());
        }
        Err(ApiError::invalid(resource, object::name(object).unwrap_or_default(), causes))
    }
}

impl ClusterApi {
    /// `GET`, `PUT` or `PATCH` on `certificatesigningrequests/<name>/approval` (`approval`) or `/status`.
    async fn write_conditions(
        &self,
        csrs: &ResourceType,
        request: &ResourceRequest,
        headers: &HeaderMap,
        body: &[u8],
        query: &Query,
        approval: bool,
    ) -> Result<Response, ApiError> {
        let name = request.name.clone().ok_or_else(ApiError::no_such_resource)?;
        let change: Result<Patch, Value> = match request.verb {
            Verb::Get => return Ok(json_response(StatusCode::OK, &self.get(csrs, request).await?)),
            Verb::Update => {
                let mut csr = decode_body(headers, body)?;
                object::check_kind(&mut csr, csrs)?;
                if let Some(given) = object::name(&csr)
                    && given != name
                {
                    return Err(ApiError::bad_request(format!(
                        "the name of the object ({given}) does not match the name on the URL ({name})"
                    )));
                }
                Err(csr)
            }
            Verb::Patch => Ok(Patch::decode(headers, body)?),
            _ => return Err(ApiError::method_not_allowed("this subresource supports get, update and patch")),
        };
        let precondition = match &change {
            Ok(_) => patch_precondition(body).map(|rv| rv.to_string()),
            Err(csr) => object::metadata_str(csr, "resourceVersion").filter(|rv| !rv.is_empty()).map(str::to_owned),
        };
        let updated = self
            .rewrite(csrs, request, headers, query, |current| {
                if let Some(rv) = &precondition
                    && Some(rv.as_str()) != object::metadata_str(current, "resourceVersion")
                {
                    return Err(ApiError::conflict(csrs, &name));
                }
                let requested = match &change {
                    Ok(patch) => patch.apply(&csrs.kind, current)?,
                    Err(csr) => csr.clone(),
                };
                let updated = if approval { approved(current, &requested) } else { with_status(current, &requested) };
                let causes = validate_conditions_update(&updated, current, approval);
                if causes.is_empty() { Ok(updated) } else { Err(ApiError::invalid(csrs, &name, causes)) }
            })
            .await?;
        Ok(json_response(StatusCode::OK, &updated))
    }
}

/// The current request with the requested one's conditions, their times filled in (the approval strategy).
fn approved(current: &Value, requested: &Value) -> Value {
    let mut updated = current.clone();
    if !updated["status"].is_object() {
        updated["status"] = json!({});
    }
    let mut conditions = requested.pointer("/status/conditions").cloned().unwrap_or(Value::Null);
    stamp_conditions(&mut conditions, current);
    updated["status"]["conditions"] = conditions;
    updated
}

/// The current request with the requested one's status (the status strategy).
fn with_status(current: &Value, requested: &Value) -> Value {
    let mut updated = current.clone();
    let mut status = requested.get("status").cloned().unwrap_or_else(|| json!({}));
    if let Some(conditions) = status.get_mut("conditions") {
        stamp_conditions(conditions, current);
    }
    updated["status"] = status;
    updated
}

/// Gives conditions without times the time of now, as upstream's `populateConditionTimestamps` does; a condition
/// whose status did not change keeps its transition time.
fn stamp_conditions(conditions: &mut Value, current: &Value) {
    let now = object::now_timestamp();
    let old = current.pointer("/status/conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    for condition in conditions.as_array_mut().into_iter().flatten() {
        let Some(fields) = condition.as_object_mut() else { continue };
        if fields.get("lastUpdateTime").is_none_or(Value::is_null) {
            fields.insert("lastUpdateTime".into(), json!(now));
        }
        if fields.get("lastTransitionTime").is_none_or(Value::is_null) {
            let same =
                old.iter().find(|o| o.get("type") == fields.get("type") && o.get("status") == fields.get("status"));
            let time = same.and_then(|o| o.get("lastTransitionTime")).cloned().unwrap_or_else(|| json!(now));
            fields.insert("lastTransitionTime".into(), time);
        }
    }
}

fn cause(reason: &'static str, field: &str, message: String) -> Cause {
    Cause { reason, message, field: field.into() }
}

/// Upstream's rules for a new request's spec.
pub(crate) fn validate_create(csr: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let spec = csr.get("spec").cloned().unwrap_or_default();
    match spec.get("request").and_then(Value::as_str).filter(|r| !r.is_empty()) {
        None => causes.push(cause("FieldValueRequired", "spec.request", "Required value".into())),
        Some(encoded) => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap_or_default();
            if let Err(problem) = parse_request(&bytes) {
                causes.push(cause(
                    "FieldValueInvalid",
                    "spec.request",
                    format!("Invalid value: {}: {problem}", go_bytes(&bytes)),
                ));
            }
        }
    }
    match spec.get("signerName").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        None => causes.push(cause("FieldValueRequired", "spec.signerName", "Required value".into())),
        Some(LEGACY_UNKNOWN_SIGNER) => causes.push(cause(
            "FieldValueInvalid",
            "spec.signerName",
            format!(
                "Invalid value: \"{LEGACY_UNKNOWN_SIGNER}\": the legacy signerName is not allowed via this API version"
            ),
        )),
        Some(signer) if !signer.contains('/') => causes.push(cause(
            "FieldValueInvalid",
            "spec.signerName",
            format!("Invalid value: \"{signer}\": must be a fully qualified domain and path of the form 'example.com/signer-name'"),
        )),
        Some(_) => {}
    }
    match spec.get("usages").and_then(Value::as_array).filter(|u| !u.is_empty()) {
        None => causes.push(cause("FieldValueRequired", "spec.usages", "Required value".into())),
        Some(usages) => {
            for (idx, usage) in usages.iter().enumerate() {
                let text = usage.as_str().unwrap_or_default();
                if !KEY_USAGES.contains(&text) {
                    let supported = KEY_USAGES.iter().map(|u| format!("\"{u}\"")).collect::<Vec<_>>().join(", ");
                    causes.push(cause(
                        "FieldValueNotSupported",
                        &format!("spec.usages[{idx}]"),
                        format!("Unsupported value: \"{text}\": supported values: {supported}"),
                    ));
                }
            }
        }
    }
    if let Some(seconds) = spec.get("expirationSeconds").and_then(Value::as_i64)
        && seconds < MIN_EXPIRATION_SECONDS
    {
        causes.push(cause(
            "FieldValueInvalid",
            "spec.expirationSeconds",
            format!("Invalid value: {seconds}: may not specify a duration less than 600 seconds (10 minutes)"),
        ));
    }
    causes
}

/// Checks that `bytes` hold one PEM `CERTIFICATE REQUEST` whose content parses, with upstream's messages.
fn parse_request(bytes: &[u8]) -> Result<(), String> {
    let Ok((_, pem)) = x509_parser::pem::parse_x509_pem(bytes) else {
        return Err("PEM block type must be CERTIFICATE REQUEST".into());
    };
    if pem.label != "CERTIFICATE REQUEST" {
        return Err("PEM block type must be CERTIFICATE REQUEST".into());
    }
    use x509_parser::prelude::FromDer;
    x509_parser::certification_request::X509CertificationRequest::from_der(&pem.contents)
        .map(drop)
        .map_err(|error| format!("x509: malformed certificate request: {error}"))
}

/// Bytes as Go's `%#v` prints a `[]byte`, shortened past 32 bytes.
fn go_bytes(bytes: &[u8]) -> String {
    let shown: Vec<String> = bytes.iter().take(32).map(|b| format!("0x{b:x}")).collect();
    let more = if bytes.len() > 32 { ", ..." } else { "" };
    format!("[]byte{{{}{more}}}", shown.join(", "))
}

/// Upstream's rules for the conditions of an update: statuses true/false/unknown, no type twice, Approved and
/// Denied only true and never together; neither removed; and through `status` (`approval` false) neither added.
pub(crate) fn validate_conditions_update(new: &Value, old: &Value, approval: bool) -> Vec<Cause> {
    const PATH: &str = "status.conditions";
    let mut causes = Vec::new();
    let list = |csr: &Value| csr.pointer("/status/conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    let (conditions, old_conditions) = (list(new), list(old));
    let mut seen = Vec::new();
    let (mut approved, mut denied) = (false, false);
    for (idx, condition) in conditions.iter().enumerate() {
        let type_ = condition.get("type").and_then(Value::as_str).unwrap_or_default();
        let status = condition.get("status").and_then(Value::as_str).unwrap_or_default();
        let at = |field: &str| format!("{PATH}[{idx}].{field}");
        if type_.is_empty() {
            causes.push(cause("FieldValueRequired", &at("type"), "Required value".into()));
        }
        if !matches!(status, "True" | "False" | "Unknown") {
            causes.push(cause(
                "FieldValueNotSupported",
                &at("status"),
                format!("Unsupported value: \"{status}\": supported values: \"False\", \"True\", \"Unknown\""),
            ));
        }
        if seen.contains(&type_) {
            causes.push(cause("FieldValueDuplicate", &at("type"), format!("Duplicate value: \"{type_}\"")));
        }
        seen.push(type_);
        if matches!(type_, "Approved" | "Denied") {
            approved |= type_ == "Approved";
            denied |= type_ == "Denied";
            if status != "True" {
                causes.push(cause(
                    "FieldValueNotSupported",
                    &at("status"),
                    format!("Unsupported value: \"{status}\": supported values: \"True\""),
                ));
            }
        }
    }
    if approved && denied {
        causes.push(cause(
            "FieldValueInvalid",
            PATH,
            "Invalid value: the conditions: Approved and Denied conditions are mutually exclusive".into(),
        ));
    }
    let has = |list: &[Value], type_: &str| list.iter().any(|c| c.get("type").and_then(Value::as_str) == Some(type_));
    for type_ in ["Approved", "Denied"] {
        if has(&old_conditions, type_) && !has(&conditions, type_) {
            causes.push(cause(
                "FieldValueForbidden",
                PATH,
                format!("Forbidden: updates may not remove a condition of type \"{type_}\""),
            ));
        }
        if !approval && !has(&old_conditions, type_) && has(&conditions, type_) {
            causes.push(cause(
                "FieldValueForbidden",
                PATH,
                format!("Forbidden: updates may not add a condition of type \"{type_}\""),
            ));
        }
    }
    causes
}

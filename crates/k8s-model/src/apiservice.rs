//! APIService (`apiregistration.k8s.io/v1`): the defaults and validation of kube-aggregator's
//! `pkg/apis/apiregistration` (a service reference's port defaults to 443; the name is `<version>.<group>`,
//! priorities within their ranges, a local APIService has no TLS settings, a remote one names its Service).

use serde_json::{Value, json};

use crate::field::{Errors, go_quote};
use crate::names::{dns1035_label, dns1123_subdomain, path_segment_name, port_number};

/// Upstream's `SetDefaults_ServiceReference`: a Service reference without a port means 443.
pub(crate) fn default_api_service(object: &mut serde_json::Map<String, Value>) {
    if let Some(Value::Object(service)) = object.get_mut("spec").and_then(|spec| spec.get_mut("service"))
        && service.get("port").is_none_or(Value::is_null)
    {
        service.insert("port".into(), json!(443));
    }
}

/// Upstream's `ValidateAPIService`, which `ValidateAPIServiceUpdate` repeats on updates.
pub(crate) fn validate_api_service(object: &Value, errors: &mut Errors) {
    let spec = errors.obj(object, "spec", "").cloned().unwrap_or_else(|| json!({}));
    let group = errors.str(&spec, "group", "spec").unwrap_or_default();
    let version = errors.str(&spec, "version", "spec").unwrap_or_default();
    let required_name = format!("{version}.{group}");
    let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
    if !name.is_empty() && path_segment_name(name, false).is_empty() && name != required_name {
        errors.invalid(
            "metadata.name",
            name,
            format!("must be `spec.version+\".\"+spec.group`: {}", go_quote(&required_name)),
        );
    }
    if group.is_empty() && version != "v1" {
        errors.required("spec.group", "only v1 may have an empty group and it better be legacy kube");
    }
    if !group.is_empty() {
        errors.invalid_each("spec.group", group, dns1123_subdomain(group));
    }
    errors.invalid_each("spec.version", version, dns1035_label(version));
    let group_priority = errors.int(&spec, "groupPriorityMinimum", "spec").unwrap_or(0);
    if !(1..=20000).contains(&group_priority) {
        errors.invalid("spec.groupPriorityMinimum", group_priority, "must be positive and less than 20000");
    }
    let version_priority = errors.int(&spec, "versionPriority", "spec").unwrap_or(0);
    if !(1..=1000).contains(&version_priority) {
        errors.invalid("spec.versionPriority", version_priority, "must be positive and less than 1000");
    }
    let insecure = errors.bool(&spec, "insecureSkipTLSVerify", "spec").unwrap_or(false);
    let ca_bundle_bytes = match errors.str(&spec, "caBundle", "spec") {
        Some(text) => match crate::misc::base64_bytes(text) {
            Some(bytes) => bytes.len(),
            None => {
                errors.invalid("spec.caBundle", "<value omitted>", "must be valid base64 data");
                0
            }
        },
        None => 0,
    };
    let Some(service) = errors.obj(&spec, "service", "spec") else {
        if ca_bundle_bytes != 0 {
            errors.invalid(
                "spec.caBundle",
                format!("{ca_bundle_bytes} bytes"),
                "local APIServices may not have a caBundle",
            );
        }
        if insecure {
            errors.invalid("spec.insecureSkipTLSVerify", true, "local APIServices may not have insecureSkipTLSVerify");
        }
        return;
    };
    if errors.str(service, "namespace", "spec.service").unwrap_or_default().is_empty() {
        errors.required("spec.service.namespace", "");
    }
    if errors.str(service, "name", "spec.service").unwrap_or_default().is_empty() {
        errors.required("spec.service.name", "");
    }
    let port = errors.int(service, "port", "spec.service").unwrap_or(443);
    let port_errors = port_number(port);
    if !port_errors.is_empty() {
        errors.invalid("spec.service.port", port, format!("port is not valid: {}", port_errors.join(", ")));
    }
    if insecure && ca_bundle_bytes > 0 {
        errors.invalid("spec.insecureSkipTLSVerify", true, "may not be true if caBundle is present");
    }
}

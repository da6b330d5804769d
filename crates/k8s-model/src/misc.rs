//! Validation of the smaller kinds: ConfigMap, Secret, Namespace, ServiceAccount, PersistentVolumeClaim,
//! PersistentVolume, RBAC roles and bindings, Ingress, NetworkPolicy, HorizontalPodAutoscaler,
//! PodDisruptionBudget, StorageClass and PriorityClass.

use serde_json::Value;

use crate::Kind;
use crate::field::{Errors, child, go_quote, index, key};
use crate::names::{config_map_key, dns1123_subdomain, path_segment_name, qualified_name};
use crate::quantity::{QUANTITY_SYNTAX, quantity_of};
use crate::workloads::validate_label_selector;

/// The extended resource NVIDIA GPUs are counted in (the NVIDIA device plugin's, on the EKS accelerated AMIs and
/// EKS Auto Mode nodes).
pub const NVIDIA_GPU: &str = "nvidia.com/gpu";

/// The most bytes the data of a ConfigMap or Secret may hold.
pub const MAX_SECRET_SIZE: usize = 1024 * 1024;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

pub(crate) fn validate(kind: Kind, object: &Value, old: Option<&Value>, errors: &mut Errors) {
    match kind {
        Kind::ConfigMap => validate_config_map(object, old, errors),
        Kind::Secret => validate_secret(object, old, errors),
        Kind::Namespace => validate_namespace(object, errors),
        Kind::ServiceAccount => {
            for (_, secret, path) in errors.obj_list(object, "secrets", "") {
                errors.str(secret, "name", &path);
            }
            errors.bool(object, "automountServiceAccountToken", "");
        }
        Kind::PersistentVolumeClaim => validate_pvc(object, old, errors),
        Kind::PersistentVolume => validate_pv(object, errors),
        Kind::Role | Kind::ClusterRole => validate_role(object, kind == Kind::Role, errors),
        Kind::RoleBinding | Kind::ClusterRoleBinding => {
            validate_role_binding(object, old, kind == Kind::RoleBinding, errors)
        }
        Kind::Ingress => validate_ingress(object, errors),
        Kind::NetworkPolicy => validate_network_policy(object, errors),
        Kind::HorizontalPodAutoscaler => validate_hpa(object, errors),
        Kind::PodDisruptionBudget => validate_pdb(object, errors),
        Kind::StorageClass => validate_storage_class(object, old, errors),
        Kind::PriorityClass => validate_priority_class(object, old, errors),
        _ => {}
    }
}

/// The bytes of base64 text, as Go decodes a `[]byte` field, or `None` when it is not base64.
pub(crate) fn base64_bytes(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Reads a data map (`data` of strings, or base64 for `binaryData` and Secret `data`) and returns its byte
/// size, checking keys.
fn validate_data(object: &Value, name: &str, base64: bool, errors: &mut Errors) -> usize {
    let mut total = 0;
    let Some(map) = errors.map(object, name, "") else {
        return 0;
    };
    for (data_key, value) in map {
        let path = key(name, data_key);
        errors.invalid_each(&path, data_key, config_map_key(data_key));
        match value {
            Value::String(text) if base64 => match base64_bytes(text) {
                Some(bytes) => total += bytes.len(),
                None => errors.invalid(&path, "<value redacted>", "must be valid base64 data"),
            },
            Value::String(text) => total += text.len(),
            Value::Null => {}
            other => errors.invalid(&path, other.clone(), "must be of type string"),
        }
    }
    total
}

fn validate_immutable_data(object: &Value, old: Option<&Value>, fields: &[&str], errors: &mut Errors) {
    errors.bool(object, "immutable", "");
    let Some(old) = old else {
        return;
    };
    if old.get("immutable").and_then(Value::as_bool) != Some(true) {
        return;
    }
    if object.get("immutable").and_then(Value::as_bool) != Some(true) {
        errors.forbidden("immutable", "field is immutable when `immutable` is set");
    }
    let empty =
        |value: Option<&Value>| value.is_none_or(|v| v.is_null() || v.as_object().is_some_and(|m| m.is_empty()));
    for name in fields {
        let (new_value, old_value) = (object.get(*name), old.get(*name));
        if new_value != old_value && !(empty(new_value) && empty(old_value)) {
            errors.forbidden(name, "field is immutable when `immutable` is set");
        }
    }
}

fn validate_config_map(object: &Value, old: Option<&Value>, errors: &mut Errors) {
    let mut total = validate_data(object, "data", false, errors);
    total += validate_data(object, "binaryData", true, errors);
    let data = object.get("data").and_then(Value::as_object);
    let binary = object.get("binaryData").and_then(Value::as_object);
    if let (Some(data), Some(binary)) = (data, binary) {
        for data_key in data.keys().filter(|k| binary.contains_key(*k)) {
            errors.invalid(&key("data", data_key), data_key.as_str(), "duplicate of key present in binaryData");
            errors.invalid(&key("binaryData", data_key), data_key.as_str(), "duplicate of key present in data");
        }
    }
    if total > MAX_SECRET_SIZE {
        errors.too_long("", MAX_SECRET_SIZE);
    }
    validate_immutable_data(object, old, &["data", "binaryData"], errors);
}

fn validate_secret(object: &Value, old: Option<&Value>, errors: &mut Errors) {
    let total = validate_data(object, "data", true, errors);
    if total > MAX_SECRET_SIZE {
        errors.too_long("data", MAX_SECRET_SIZE);
    }
    let has = |name: &str| object.get("data").and_then(|data| data.get(name)).is_some_and(|v| !v.is_null());
    let non_empty = |name: &str| {
        object.get("data").and_then(|data| data.get(name)).and_then(Value::as_str).is_some_and(|v| !v.is_empty())
    };
    let kind = errors.str(object, "type", "").unwrap_or_default();
    match kind {
        "kubernetes.io/service-account-token" => {
            let named = object
                .get("metadata")
                .and_then(|meta| meta.get("annotations"))
                .and_then(|annotations| annotations.get("kubernetes.io/service-account.name"))
                .and_then(Value::as_str)
                .is_some_and(|name| !name.is_empty());
            if !named {
                errors.required("metadata.annotations[kubernetes.io/service-account.name]", "");
            }
        }
        "kubernetes.io/dockercfg" | "kubernetes.io/dockerconfigjson" => {
            let data_key = if kind == "kubernetes.io/dockercfg" { ".dockercfg" } else { ".dockerconfigjson" };
            let path = key("data", data_key);
            match object.get("data").and_then(|data| data.get(data_key)).and_then(Value::as_str) {
                None => errors.required(&path, ""),
                Some(text) => {
                    let parsed = base64_bytes(text).map(|bytes| serde_json::from_slice::<Value>(&bytes));
                    if let Some(Err(error)) = parsed {
                        errors.invalid(&path, "<secret contents redacted>", error.to_string());
                    }
                }
            }
        }
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            errors.required("data[username]", "");
            errors.required("data[password]", "");
        }
        "kubernetes.io/ssh-auth" if !non_empty("ssh-privatekey") => {
            errors.required("data[ssh-privatekey]", "");
        }
        "kubernetes.io/tls" => {
            if !has("tls.key") {
                errors.required("data[tls.key]", "");
            }
            if !has("tls.crt") {
                errors.required("data[tls.crt]", "");
            }
        }
        _ => {}
    }
    if let Some(old) = old {
        let old_kind = old.get("type").and_then(Value::as_str).unwrap_or_default();
        if old_kind != kind {
            errors.invalid("type", kind, "field is immutable");
        }
    }
    validate_immutable_data(object, old, &["data"], errors);
}

fn validate_namespace(object: &Value, errors: &mut Errors) {
    let Some(spec) = errors.obj(object, "spec", "") else {
        return;
    };
    for (_, finalizer) in errors.str_list(spec, "finalizers", "spec") {
        errors.invalid_each("spec.finalizers", finalizer, qualified_name(finalizer));
        if !finalizer.contains('/') && finalizer != "kubernetes" {
            errors.invalid(
                "spec.finalizers",
                finalizer,
                "name is neither a standard finalizer name nor is it fully qualified",
            );
        }
    }
}

fn validate_access_modes(spec: &Value, path: &str, errors: &mut Errors) {
    let modes = errors.str_list(spec, "accessModes", path);
    if modes.is_empty() {
        errors.required(&child(path, "accessModes"), "at least 1 access mode is required");
    }
    const MODES: &[&str] = &["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];
    for (_, mode) in &modes {
        if !MODES.contains(mode) {
            errors.not_supported(&child(path, "accessModes"), *mode, MODES);
        }
    }
    if modes.iter().any(|(_, mode)| *mode == "ReadWriteOncePod") && modes.len() > 1 {
        errors.forbidden(&child(path, "accessModes"), "may not use ReadWriteOncePod with other access modes");
    }
}

fn validate_volume_mode(spec: &Value, path: &str, errors: &mut Errors) {
    if let Some(mode) = errors.str(spec, "volumeMode", path)
        && !matches!(mode, "Block" | "Filesystem")
    {
        errors.not_supported(&child(path, "volumeMode"), mode, &["Block", "Filesystem"]);
    }
}

/// A claim's spec at `path`: a PersistentVolumeClaim's, a StatefulSet's claim template's or an ephemeral
/// volume's.
pub(crate) fn validate_claim_spec(spec: &Value, path: &str, errors: &mut Errors) {
    validate_access_modes(spec, path, errors);
    validate_volume_mode(spec, path, errors);
    if let Some(selector) = errors.obj(spec, "selector", path) {
        validate_label_selector(selector, &child(path, "selector"), errors);
    }
    let resources_path = child(path, "resources");
    let storage = errors
        .obj(spec, "resources", path)
        .and_then(|resources| errors.map(resources, "requests", &resources_path))
        .and_then(|requests| requests.get("storage"));
    let storage_path = key(&child(&resources_path, "requests"), "storage");
    match storage {
        None => errors.required(&key(&resources_path, "storage"), ""),
        Some(quantity) => match quantity_of(quantity) {
            None => errors.invalid(&storage_path, quantity.clone(), QUANTITY_SYNTAX),
            Some(amount) if amount <= 0.0 => {
                errors.invalid(&storage_path, quantity.clone(), "must be greater than zero")
            }
            Some(_) => {}
        },
    }
}

fn validate_pvc(object: &Value, old: Option<&Value>, errors: &mut Errors) {
    match errors.obj(object, "spec", "") {
        Some(spec) => validate_claim_spec(spec, "spec", errors),
        None => validate_claim_spec(&Value::Null, "spec", errors),
    }
    let spec = object.get("spec").unwrap_or(&Value::Null);
    if let Some(old_spec) = old.and_then(|old| old.get("spec")) {
        let strip = |spec: &Value| {
            let mut spec = spec.clone();
            if let Some(map) = spec.as_object_mut() {
                map.remove("volumeAttributesClassName");
                if let Some(resources) = map.get_mut("resources").and_then(Value::as_object_mut) {
                    resources.remove("requests");
                }
                // An unbound claim gets its volume name from the binder.
                if spec_volume_unset(map) {
                    map.remove("volumeName");
                }
            }
            spec
        };
        let mut old_stripped = strip(old_spec);
        if let Some(map) = old_stripped.as_object_mut()
            && spec.get("volumeName").is_some_and(|v| !v.is_null())
            && old_spec.get("volumeName").is_none_or(Value::is_null)
        {
            map.remove("volumeName");
        }
        let mut new_stripped = strip(spec);
        if let Some(map) = new_stripped.as_object_mut() {
            if old_spec.get("volumeName").is_none_or(Value::is_null) {
                map.remove("volumeName");
            }
            // A claim made without a class gets the default class later (retroactive assignment).
            if old_spec.get("storageClassName").is_none_or(Value::is_null) {
                map.remove("storageClassName");
            }
        }
        if new_stripped != old_stripped {
            errors.forbidden(
                "spec",
                "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
            );
        }
    }
}

fn spec_volume_unset(map: &serde_json::Map<String, Value>) -> bool {
    map.get("volumeName").and_then(Value::as_str).is_none_or(str::is_empty)
}

fn validate_pv(object: &Value, errors: &mut Errors) {
    let Some(spec) = errors.obj(object, "spec", "") else {
        errors.required("spec", "must specify a volume type");
        return;
    };
    validate_access_modes(spec, "spec", errors);
    validate_volume_mode(spec, "spec", errors);
    match errors.map(spec, "capacity", "spec") {
        None => errors.required("spec.capacity", ""),
        Some(capacity) => {
            if !capacity.contains_key("storage") || capacity.len() > 1 {
                errors.not_supported("spec.capacity", Value::Object(capacity.clone()), &["storage"]);
            }
            if let Some(quantity) = capacity.get("storage")
                && quantity_of(quantity).is_none()
            {
                errors.invalid("spec.capacity[storage]", quantity.clone(), QUANTITY_SYNTAX);
            }
        }
    }
    if let Some(policy) = errors.str(spec, "persistentVolumeReclaimPolicy", "spec")
        && !matches!(policy, "Delete" | "Recycle" | "Retain")
    {
        errors.not_supported("spec.persistentVolumeReclaimPolicy", policy, &["Delete", "Recycle", "Retain"]);
    }
    const NOT_SOURCES: &[&str] = &[
        "accessModes",
        "capacity",
        "claimRef",
        "persistentVolumeReclaimPolicy",
        "storageClassName",
        "mountOptions",
        "volumeMode",
        "nodeAffinity",
        "volumeAttributesClassName",
    ];
    if let Some(host_path) = errors.obj(spec, "hostPath", "spec") {
        match errors.str(host_path, "path", "spec.hostPath") {
            None | Some("") => errors.required("spec.hostPath.path", ""),
            Some(_) => {}
        }
    }
    let sources = spec
        .as_object()
        .map(|map| map.iter().filter(|(k, v)| !NOT_SOURCES.contains(&k.as_str()) && !v.is_null()).count())
        .unwrap_or(0);
    if sources == 0 {
        errors.required("spec", "must specify a volume type");
    } else if sources > 1 {
        errors.forbidden("spec", "may not specify more than 1 volume type");
    }
}

fn go_string_slice(items: &[(usize, &str)]) -> String {
    let quoted: Vec<String> = items.iter().map(|(_, item)| go_quote(item)).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

fn validate_role(object: &Value, namespaced: bool, errors: &mut Errors) {
    for (_, rule, path) in errors.obj_list(object, "rules", "") {
        let verbs = errors.str_list(rule, "verbs", &path);
        if verbs.is_empty() {
            errors.required(&child(&path, "verbs"), "verbs must contain at least one value");
        }
        let urls = errors.str_list(rule, "nonResourceURLs", &path);
        let groups = errors.str_list(rule, "apiGroups", &path);
        let resources = errors.str_list(rule, "resources", &path);
        let names = errors.str_list(rule, "resourceNames", &path);
        if !urls.is_empty() {
            if namespaced {
                errors.invalid_shown(
                    &child(&path, "nonResourceURLs"),
                    go_string_slice(&urls),
                    "namespaced rules cannot apply to non-resource URLs",
                );
            }
            if !groups.is_empty() || !resources.is_empty() || !names.is_empty() {
                errors.invalid_shown(
                    &child(&path, "nonResourceURLs"),
                    go_string_slice(&urls),
                    "rules cannot apply to both regular resources and non-resource URLs",
                );
            }
            continue;
        }
        if groups.is_empty() {
            errors.required(&child(&path, "apiGroups"), "resource rules must supply at least one api group");
        }
        if resources.is_empty() {
            errors.required(&child(&path, "resources"), "resource rules must supply at least one resource");
        }
    }
    if !namespaced && let Some(aggregation) = errors.obj(object, "aggregationRule", "") {
        for (_, selector, path) in errors.obj_list(aggregation, "clusterRoleSelectors", "aggregationRule") {
            validate_label_selector(selector, &path, errors);
        }
    }
}

fn validate_role_binding(object: &Value, old: Option<&Value>, namespaced: bool, errors: &mut Errors) {
    match errors.obj(object, "roleRef", "") {
        None => {
            errors.not_supported("roleRef.apiGroup", "", &[RBAC_GROUP]);
            errors.required("roleRef.name", "");
        }
        Some(role_ref) => {
            let group = errors.str(role_ref, "apiGroup", "roleRef").unwrap_or_default();
            if group != RBAC_GROUP {
                errors.not_supported("roleRef.apiGroup", group, &[RBAC_GROUP]);
            }
            let kind = errors.str(role_ref, "kind", "roleRef").unwrap_or_default();
            let kinds: &[&str] = if namespaced { &["Role", "ClusterRole"] } else { &["ClusterRole"] };
            if !kinds.contains(&kind) {
                errors.not_supported("roleRef.kind", kind, kinds);
            }
            match errors.str(role_ref, "name", "roleRef") {
                None | Some("") => errors.required("roleRef.name", ""),
                Some(name) => errors.invalid_each("roleRef.name", name, path_segment_name(name, false)),
            }
        }
    }
    for (_, subject, path) in errors.obj_list(object, "subjects", "") {
        let name = errors.str(subject, "name", &path).unwrap_or_default();
        if name.is_empty() {
            errors.required(&child(&path, "name"), "");
        }
        let group = errors.str(subject, "apiGroup", &path).unwrap_or_default();
        let namespace = errors.str(subject, "namespace", &path).unwrap_or_default();
        match errors.str(subject, "kind", &path).unwrap_or_default() {
            "ServiceAccount" => {
                if !name.is_empty() {
                    errors.invalid_each(&child(&path, "name"), name, dns1123_subdomain(name));
                }
                if !group.is_empty() {
                    errors.not_supported(&child(&path, "apiGroup"), group, &[""]);
                }
                if !namespaced && namespace.is_empty() {
                    errors.required(&child(&path, "namespace"), "");
                }
            }
            "User" | "Group" => {
                if group != RBAC_GROUP {
                    errors.not_supported(&child(&path, "apiGroup"), group, &[RBAC_GROUP]);
                }
            }
            other => errors.not_supported(&child(&path, "kind"), other, &["ServiceAccount", "User", "Group"]),
        }
    }
    if let Some(old) = old
        && object.get("roleRef") != old.get("roleRef")
    {
        let role_ref = object.get("roleRef").unwrap_or(&Value::Null);
        let text = |name: &str| go_quote(role_ref.get(name).and_then(Value::as_str).unwrap_or_default());
        errors.invalid_shown(
            "roleRef",
            format!("rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}", text("apiGroup"), text("kind"), text("name")),
            "cannot change roleRef",
        );
    }
}

fn validate_backend(backend: &Value, path: &str, errors: &mut Errors) {
    let service = errors.obj(backend, "service", path);
    let resource = errors.obj(backend, "resource", path);
    match (service, resource) {
        (Some(_), Some(_)) => errors.invalid(path, "", "cannot set both resource and service backends"),
        (None, None) => errors.invalid(path, "", "one backend type must be specified"),
        (Some(service), None) => {
            let service_path = child(path, "service");
            match errors.str(service, "name", &service_path) {
                None | Some("") => errors.required(&child(&service_path, "name"), ""),
                Some(name) => errors.invalid_each(&child(&service_path, "name"), name, crate::dns1035_label(name)),
            }
            let port_path = child(&service_path, "port");
            match errors.obj(service, "port", &service_path) {
                None => errors.required(&port_path, "port name or number is required"),
                Some(port) => {
                    let name = errors.str(port, "name", &port_path).unwrap_or_default();
                    let number = errors.int(port, "number", &port_path).unwrap_or(0);
                    match (name.is_empty(), number == 0) {
                        (true, true) => errors.required(&port_path, "port name or number is required"),
                        (false, false) => errors.invalid(&port_path, "", "cannot set both port name & port number"),
                        (false, true) => errors.invalid_each(&child(&port_path, "name"), name, crate::port_name(name)),
                        (true, false) => {
                            for problem in crate::port_number(number) {
                                errors.invalid(&child(&port_path, "number"), number, problem);
                            }
                        }
                    }
                }
            }
        }
        (None, Some(_)) => {}
    }
}

fn validate_ingress(object: &Value, errors: &mut Errors) {
    let Some(spec) = errors.obj(object, "spec", "") else {
        errors.invalid("spec", Value::Null, "either `defaultBackend` or `rules` must be specified");
        return;
    };
    let default_backend = errors.obj(spec, "defaultBackend", "spec");
    let rules = errors.obj_list(spec, "rules", "spec");
    if default_backend.is_none() && rules.is_empty() {
        errors.invalid("spec", spec.clone(), "either `defaultBackend` or `rules` must be specified");
    }
    if let Some(backend) = default_backend {
        validate_backend(backend, "spec.defaultBackend", errors);
    }
    for (_, rule, rule_path) in rules {
        if let Some(host) = errors.str(rule, "host", &rule_path).filter(|host| !host.is_empty()) {
            let host_path = child(&rule_path, "host");
            if host.parse::<std::net::IpAddr>().is_ok() {
                errors.invalid(&host_path, host, "must be a DNS name, not an IP address");
            } else if let Some(rest) = host.strip_prefix("*.") {
                if !dns1123_subdomain(rest).is_empty() {
                    errors.invalid_each(&host_path, host, crate::names::dns1123_subdomain(host));
                }
            } else {
                errors.invalid_each(&host_path, host, dns1123_subdomain(host));
            }
        }
        let Some(http) = errors.obj(rule, "http", &rule_path) else {
            continue;
        };
        let http_path = child(&rule_path, "http");
        let paths = errors.obj_list(http, "paths", &http_path);
        if paths.is_empty() {
            errors.required(&child(&http_path, "paths"), "");
        }
        for (_, entry, entry_path) in paths {
            let path_value = errors.str(entry, "path", &entry_path).unwrap_or_default();
            match errors.str(entry, "pathType", &entry_path) {
                None | Some("") => errors.required(&child(&entry_path, "pathType"), "pathType must be specified"),
                Some("Exact" | "Prefix") => {
                    if !path_value.starts_with('/') {
                        errors.invalid(&child(&entry_path, "path"), path_value, "must be an absolute path");
                    }
                }
                Some("ImplementationSpecific") => {
                    if !path_value.is_empty() && !path_value.starts_with('/') {
                        errors.invalid(&child(&entry_path, "path"), path_value, "must be an absolute path");
                    }
                }
                Some(other) => errors.not_supported(
                    &child(&entry_path, "pathType"),
                    other,
                    &["Exact", "ImplementationSpecific", "Prefix"],
                ),
            }
            match errors.obj(entry, "backend", &entry_path) {
                Some(backend) => validate_backend(backend, &child(&entry_path, "backend"), errors),
                None => errors.invalid(&child(&entry_path, "backend"), "", "one backend type must be specified"),
            }
        }
    }
    for (_, tls, tls_path) in errors.obj_list(spec, "tls", "spec") {
        errors.str_list(tls, "hosts", &tls_path);
        errors.str(tls, "secretName", &tls_path);
    }
}

fn validate_policy_ports(rule: &Value, path: &str, errors: &mut Errors) {
    for (_, port, port_path) in errors.obj_list(rule, "ports", path) {
        if let Some(protocol) = errors.str(port, "protocol", &port_path)
            && !matches!(protocol, "TCP" | "UDP" | "SCTP")
        {
            errors.not_supported(&child(&port_path, "protocol"), protocol, &["SCTP", "TCP", "UDP"]);
        }
        match port.get("port") {
            Some(Value::Number(number)) => {
                let number = number.as_i64().unwrap_or(-1);
                for problem in crate::port_number(number) {
                    errors.invalid(&child(&port_path, "port"), number, problem);
                }
            }
            Some(Value::String(name)) => errors.invalid_each(&child(&port_path, "port"), name, crate::port_name(name)),
            None | Some(Value::Null) => {}
            Some(other) => errors.invalid(&child(&port_path, "port"), other.clone(), "must be an integer or a string"),
        }
    }
}

fn validate_network_policy(object: &Value, errors: &mut Errors) {
    let Some(spec) = errors.obj(object, "spec", "") else {
        return;
    };
    if let Some(selector) = errors.obj(spec, "podSelector", "spec") {
        validate_label_selector(selector, "spec.podSelector", errors);
    }
    for (direction, peers) in [("ingress", "from"), ("egress", "to")] {
        for (_, rule, rule_path) in errors.obj_list(spec, direction, "spec") {
            validate_policy_ports(rule, &rule_path, errors);
            for (_, peer, peer_path) in errors.obj_list(rule, peers, &rule_path) {
                for selector in ["podSelector", "namespaceSelector"] {
                    if let Some(value) = errors.obj(peer, selector, &peer_path) {
                        validate_label_selector(value, &child(&peer_path, selector), errors);
                    }
                }
                if let Some(block) = errors.obj(peer, "ipBlock", &peer_path) {
                    let cidr = errors.str(block, "cidr", &child(&peer_path, "ipBlock")).unwrap_or_default();
                    if cidr.is_empty() {
                        errors.required(&child(&peer_path, "ipBlock.cidr"), "");
                    }
                }
            }
        }
    }
    let types = errors.str_list(spec, "policyTypes", "spec");
    for (idx, kind) in &types {
        if !matches!(*kind, "Ingress" | "Egress") {
            errors.not_supported(&index("spec.policyTypes", *idx), *kind, &["Ingress", "Egress"]);
        }
    }
    if types.len() > 2 {
        errors.invalid_shown(
            "spec.policyTypes",
            format!(
                "[]networking.PolicyType{{{}}}",
                types.iter().map(|(_, t)| go_quote(t)).collect::<Vec<_>>().join(", ")
            ),
            "may not specify more than two policyTypes",
        );
    }
}

fn validate_hpa(object: &Value, errors: &mut Errors) {
    let Some(spec) = errors.obj(object, "spec", "") else {
        errors.required("spec.scaleTargetRef.kind", "");
        errors.required("spec.scaleTargetRef.name", "");
        return;
    };
    match errors.obj(spec, "scaleTargetRef", "spec") {
        None => {
            errors.required("spec.scaleTargetRef.kind", "");
            errors.required("spec.scaleTargetRef.name", "");
        }
        Some(target) => {
            errors.str(target, "apiVersion", "spec.scaleTargetRef");
            if errors.str(target, "kind", "spec.scaleTargetRef").is_none_or(str::is_empty) {
                errors.required("spec.scaleTargetRef.kind", "");
            }
            match errors.str(target, "name", "spec.scaleTargetRef") {
                None | Some("") => errors.required("spec.scaleTargetRef.name", ""),
                Some(name) => errors.invalid_each("spec.scaleTargetRef.name", name, path_segment_name(name, false)),
            }
        }
    }
    let min = errors.int(spec, "minReplicas", "spec");
    if let Some(min) = min
        && min < 1
    {
        errors.invalid("spec.minReplicas", min, "must be greater than or equal to 1");
    }
    match errors.int(spec, "maxReplicas", "spec") {
        None => errors.invalid("spec.maxReplicas", 0, "must be greater than 0"),
        Some(max) if max < 1 => errors.invalid("spec.maxReplicas", max, "must be greater than 0"),
        Some(max) => {
            if min.is_some_and(|min| max < min) {
                errors.invalid("spec.maxReplicas", max, "must be greater than or equal to `minReplicas`");
            }
        }
    }
    for (_, metric, metric_path) in errors.obj_list(spec, "metrics", "spec") {
        const TYPES: &[&str] = &["ContainerResource", "External", "Object", "Pods", "Resource"];
        match errors.str(metric, "type", &metric_path) {
            None | Some("") => errors.required(&child(&metric_path, "type"), "must specify a metric source type"),
            Some(kind) if !TYPES.contains(&kind) => errors.not_supported(&child(&metric_path, "type"), kind, TYPES),
            Some(kind) => {
                let source_name = match kind {
                    "ContainerResource" => "containerResource",
                    "External" => "external",
                    "Object" => "object",
                    "Pods" => "pods",
                    _ => "resource",
                };
                let source_path = child(&metric_path, source_name);
                match errors.obj(metric, source_name, &metric_path) {
                    None => errors.required(
                        &source_path,
                        format!(
                            "must populate information for the given metric source (only allowed when type is '{kind}')"
                        ),
                    ),
                    Some(source) => {
                        if matches!(kind, "Resource" | "ContainerResource")
                            && errors.str(source, "name", &source_path).is_none_or(str::is_empty)
                        {
                            errors.required(&child(&source_path, "name"), "must specify a resource name");
                        }
                        validate_metric_target(source, &source_path, errors);
                    }
                }
            }
        }
    }
    if let Some(behavior) = errors.obj(spec, "behavior", "spec") {
        validate_scaling_rules(behavior, "scaleUp", errors);
        validate_scaling_rules(behavior, "scaleDown", errors);
    }
}

fn validate_scaling_rules(behavior: &Value, name: &str, errors: &mut Errors) {
    let path = child("spec.behavior", name);
    let Some(rules) = errors.obj(behavior, name, "spec.behavior") else {
        return;
    };
    if let Some(policy) = errors.str(rules, "selectPolicy", &path)
        && !matches!(policy, "Max" | "Min" | "Disabled")
    {
        errors.not_supported(&child(&path, "selectPolicy"), policy, &["Disabled", "Max", "Min"]);
    }
    if let Some(window) = errors.int(rules, "stabilizationWindowSeconds", &path) {
        if window < 0 {
            errors.invalid(
                &child(&path, "stabilizationWindowSeconds"),
                window,
                "must be greater than or equal to zero",
            );
        } else if window > 3600 {
            errors.invalid(&child(&path, "stabilizationWindowSeconds"), window, "must be less than or equal to 3600");
        }
    }
    for (_, policy, policy_path) in errors.obj_list(rules, "policies", &path) {
        match errors.str(policy, "type", &policy_path) {
            Some("Pods" | "Percent") => {}
            other => {
                errors.not_supported(&child(&policy_path, "type"), other.unwrap_or_default(), &["Pods", "Percent"])
            }
        }
        if errors.int(policy, "value", &policy_path).unwrap_or(0) <= 0 {
            let value = policy.get("value").cloned().unwrap_or(Value::from(0));
            errors.invalid(&child(&policy_path, "value"), value, "must be greater than zero");
        }
        let period = errors.int(policy, "periodSeconds", &policy_path).unwrap_or(0);
        if !(1..=1800).contains(&period) {
            errors.invalid(
                &child(&policy_path, "periodSeconds"),
                period,
                "must be greater than zero and less than or equal to 1800",
            );
        }
    }
}

fn validate_metric_target(source: &Value, path: &str, errors: &mut Errors) {
    match errors.obj(source, "target", path) {
        None => errors.required(&child(path, "target"), "must specify a metric target"),
        Some(target) => {
            let target_path = child(path, "target");
            match errors.str(target, "type", &target_path) {
                Some("Utilization" | "Value" | "AverageValue") => {}
                None | Some("") => errors.required(&child(&target_path, "type"), "must specify a metric target type"),
                Some(other) => errors.invalid(
                    &child(&target_path, "type"),
                    other,
                    "must be either Utilization, Value, or AverageValue",
                ),
            }
            errors.int(target, "averageUtilization", &target_path);
        }
    }
}

fn validate_pdb(object: &Value, errors: &mut Errors) {
    let Some(spec) = errors.obj(object, "spec", "") else {
        return;
    };
    let min = spec.get("minAvailable").filter(|v| !v.is_null());
    let max = spec.get("maxUnavailable").filter(|v| !v.is_null());
    if min.is_some() && max.is_some() {
        errors.invalid("spec", spec.clone(), "minAvailable and maxUnavailable cannot be both set");
    }
    for (name, value) in [("minAvailable", min), ("maxUnavailable", max)] {
        let path = child("spec", name);
        match value {
            None => {}
            Some(Value::Number(number)) if number.as_i64().is_none_or(|n| n < 0) => {
                errors.invalid(&path, value.cloned().unwrap_or_default(), "must be greater than or equal to 0");
            }
            Some(Value::Number(_)) => {}
            Some(Value::String(text)) => {
                let problems = crate::percent(text);
                if problems.is_empty() {
                    if text.trim_end_matches('%').parse::<i64>().is_ok_and(|p| p > 100) {
                        errors.invalid(&path, text.as_str(), "must not be greater than 100%");
                    }
                } else {
                    errors.invalid_each(&path, text, problems);
                }
            }
            Some(other) => errors.invalid(&path, other.clone(), "must be an integer or percentage (e.g '5%')"),
        }
    }
    if let Some(selector) = errors.obj(spec, "selector", "spec") {
        validate_label_selector(selector, "spec.selector", errors);
    }
    if let Some(policy) = errors.str(spec, "unhealthyPodEvictionPolicy", "spec")
        && !matches!(policy, "AlwaysAllow" | "IfHealthyBudget")
    {
        errors.not_supported("spec.unhealthyPodEvictionPolicy", policy, &["AlwaysAllow", "IfHealthyBudget"]);
    }
}

fn validate_storage_class(object: &Value, old: Option<&Value>, errors: &mut Errors) {
    match errors.str(object, "provisioner", "") {
        None | Some("") => errors.required("provisioner", ""),
        Some(provisioner) => {
            errors.invalid_each("provisioner", provisioner, qualified_name(&provisioner.to_lowercase()))
        }
    }
    errors.str_map(object, "parameters", "");
    if let Some(policy) = errors.str(object, "reclaimPolicy", "")
        && !matches!(policy, "Delete" | "Retain")
    {
        errors.not_supported("reclaimPolicy", policy, &["Delete", "Retain"]);
    }
    if let Some(mode) = errors.str(object, "volumeBindingMode", "")
        && !matches!(mode, "Immediate" | "WaitForFirstConsumer")
    {
        errors.not_supported("volumeBindingMode", mode, &["Immediate", "WaitForFirstConsumer"]);
    }
    if let Some(old) = old {
        let empty_map =
            |value: Option<&Value>| value.is_none_or(|v| v.is_null() || v.as_object().is_some_and(|m| m.is_empty()));
        if object.get("parameters") != old.get("parameters")
            && !(empty_map(object.get("parameters")) && empty_map(old.get("parameters")))
        {
            errors.forbidden("parameters", "updates to parameters are forbidden.");
        }
        if object.get("provisioner") != old.get("provisioner") {
            errors.forbidden("provisioner", "updates to provisioner are forbidden.");
        }
        if object.get("reclaimPolicy") != old.get("reclaimPolicy") {
            errors.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden.");
        }
        if object.get("volumeBindingMode") != old.get("volumeBindingMode") {
            errors.invalid(
                "volumeBindingMode",
                object.get("volumeBindingMode").cloned().unwrap_or_default(),
                "field is immutable",
            );
        }
    }
}

/// The highest value a priority class not reserved for the system may have.
pub const HIGHEST_USER_PRIORITY: i64 = 1_000_000_000;

/// The priority classes every cluster has: name, value and description.
pub const SYSTEM_PRIORITY_CLASSES: [(&str, i64, &str); 2] = [
    (
        "system-node-critical",
        2_000_001_000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    (
        "system-cluster-critical",
        2_000_000_000,
        "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
    ),
];

fn validate_priority_class(object: &Value, old: Option<&Value>, errors: &mut Errors) {
    let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
    let value = errors.int(object, "value", "").unwrap_or(0);
    let global_default = errors.bool(object, "globalDefault", "").unwrap_or(false);
    errors.str(object, "description", "");
    if name.starts_with("system-") {
        let known = SYSTEM_PRIORITY_CLASSES.iter().find(|(system, _, _)| *system == name);
        let problem = match known {
            None => Some(format!("{name} is not a known system priority class")),
            Some((_, expected, _)) if *expected != value => {
                Some(format!("value of {name} PriorityClass must be {expected}"))
            }
            Some(_) if global_default => Some(format!("globalDefault of {name} PriorityClass must be false")),
            Some(_) => None,
        };
        if let Some(problem) = problem {
            errors.forbidden(
                "metadata.name",
                format!(
                    "priority class names with 'system-' prefix are reserved for system use only. error: {problem}"
                ),
            );
        }
    } else if value > HIGHEST_USER_PRIORITY {
        errors
            .forbidden("value", format!("maximum allowed value of a user defined priority is {HIGHEST_USER_PRIORITY}"));
    }
    if let Some(policy) = errors.str(object, "preemptionPolicy", "")
        && !matches!(policy, "PreemptLowerPriority" | "Never")
    {
        errors.not_supported("preemptionPolicy", policy, &["Never", "PreemptLowerPriority"]);
    }
    if let Some(old) = old {
        if object.get("value") != old.get("value") {
            errors.forbidden("value", "may not be changed in an update.");
        }
        if object.get("preemptionPolicy") != old.get("preemptionPolicy") {
            errors.invalid(
                "preemptionPolicy",
                object.get("preemptionPolicy").cloned().unwrap_or_default(),
                "field is immutable",
            );
        }
    }
}

/// The repository name of a container image, the last path segment without its tag or digest:
/// `registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.1` is `cluster-autoscaler`. How programs are recognised
/// by the images they run.
pub fn image_repository(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split(':').next().unwrap_or(last)
}

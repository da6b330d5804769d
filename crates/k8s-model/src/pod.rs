//! Pod validation (`pkg/apis/core/validation`): the pod spec shared with every pod template (containers, ports,
//! env, volumes and mounts, resources, policies) and the rules of a pod update.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::field::{Errors, child, index, key};
use crate::meta::validate_template_meta;
use crate::names::{dns1123_label, dns1123_subdomain, env_var_name, port_name, port_number, qualified_name};
use crate::quantity::{QUANTITY_SYNTAX, quantity_of};

/// The restart policies a pod spec may name, in upstream's order.
pub(crate) const RESTART_POLICIES: &[&str] = &["Always", "OnFailure", "Never"];

/// The fields a pod update may change, as upstream's message lists them.
const POD_UPDATE_MESSAGE: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// A Pod on create or update.
pub(crate) fn validate_pod(pod: &Value, old: Option<&Value>, errors: &mut Errors) {
    let Some(spec) = errors.obj(pod, "spec", "") else {
        errors.required("spec.containers", "");
        return;
    };
    validate_pod_spec(spec, "spec", errors);
    if old.is_none() && spec.get("ephemeralContainers").and_then(Value::as_array).is_some_and(|list| !list.is_empty()) {
        errors.forbidden("spec.ephemeralContainers", "cannot be set on create");
    }
    if let Some(old_spec) = old.and_then(|old| old.get("spec")).filter(|spec| spec.is_object()) {
        validate_pod_spec_update(spec, old_spec, errors);
    }
}

/// An update through `pods/<name>/ephemeralcontainers` (upstream's `ValidatePodEphemeralContainersUpdate`): the
/// new pod validates as a pod, a static pod takes none, and the ephemeral containers already there are neither
/// removed nor changed.
pub(crate) fn validate_ephemeral_containers_update(new: &Value, old: &Value, errors: &mut Errors) {
    if let Some(spec) = errors.obj(new, "spec", "") {
        validate_pod_spec(spec, "spec", errors);
    }
    let mirror = old.pointer("/metadata/annotations").and_then(Value::as_object);
    if mirror.is_some_and(|annotations| annotations.contains_key("kubernetes.io/config.mirror")) {
        errors.forbidden("", "static pods do not support ephemeral containers");
        return;
    }
    let list =
        |pod: &Value| pod.pointer("/spec/ephemeralContainers").and_then(Value::as_array).cloned().unwrap_or_default();
    let new_list = list(new);
    for old_container in list(old) {
        let name = old_container.get("name").and_then(Value::as_str).unwrap_or_default();
        match new_list.iter().find(|c| c.get("name").and_then(Value::as_str) == Some(name)) {
            None => errors.forbidden(
                "spec.ephemeralContainers",
                format!("existing ephemeral containers {} may not be removed\n", crate::field::go_quote(name)),
            ),
            Some(new_container) if *new_container != old_container => errors.forbidden(
                "spec.ephemeralContainers",
                format!(
                    "existing ephemeral containers {} may not be changed\n{}",
                    crate::field::go_quote(name),
                    value_diff("core.EphemeralContainer", &old_container, new_container)
                ),
            ),
            Some(_) => {}
        }
    }
}

/// A PodTemplate object.
pub(crate) fn validate_pod_template_object(object: &Value, errors: &mut Errors) {
    match errors.obj(object, "template", "") {
        Some(template) => validate_pod_template(template, "template", errors),
        None => errors.required("template", ""),
    }
}

/// A pod template (`metadata` and `spec`) embedded in another object.
pub(crate) fn validate_pod_template(template: &Value, path: &str, errors: &mut Errors) {
    validate_pod_template_with_claims(template, path, &[], errors);
}

/// A pod template whose mounts may also name a StatefulSet's volume claim templates.
pub(crate) fn validate_pod_template_with_claims(template: &Value, path: &str, claims: &[String], errors: &mut Errors) {
    validate_template_meta(template, path, errors);
    let spec_path = child(path, "spec");
    match errors.obj(template, "spec", path) {
        Some(spec) => validate_pod_spec_with_claims(spec, &spec_path, claims, errors),
        None => errors.required(&child(&spec_path, "containers"), ""),
    }
}

/// A pod spec at `path`.
pub(crate) fn validate_pod_spec(spec: &Value, path: &str, errors: &mut Errors) {
    validate_pod_spec_with_claims(spec, path, &[], errors);
}

fn validate_pod_spec_with_claims(spec: &Value, path: &str, claims: &[String], errors: &mut Errors) {
    let mut volumes = validate_volumes(spec, path, errors);
    volumes.extend(claims.iter().cloned());
    let mut container_names = BTreeSet::new();
    let containers = errors.obj_list(spec, "containers", path);
    if containers.is_empty() && !spec.get("containers").is_some_and(|c| !c.is_array() && !c.is_null()) {
        errors.required(&child(path, "containers"), "");
    }
    for (_, container, container_path) in errors.obj_list(spec, "initContainers", path) {
        validate_container(container, &container_path, Role::Init, &volumes, &mut container_names, errors);
    }
    let host_network = spec.get("hostNetwork").and_then(Value::as_bool) == Some(true);
    for (_, container, container_path) in containers {
        if host_network {
            validate_host_network_ports(container, &container_path, errors);
        }
        validate_container(container, &container_path, Role::Regular, &volumes, &mut container_names, errors);
    }
    let targets = container_names.clone();
    for (_, container, container_path) in errors.obj_list(spec, "ephemeralContainers", path) {
        validate_container(container, &container_path, Role::Ephemeral, &volumes, &mut container_names, errors);
        // The target must be a regular or init container.
        if let Some(target) = errors.str(container, "targetContainerName", &container_path).filter(|t| !t.is_empty())
            && !targets.contains(target)
        {
            errors.not_found(&child(&container_path, "targetContainerName"), target);
        }
    }
    if let Some(policy) = errors.str(spec, "restartPolicy", path) {
        validate_restart_policy(policy, &child(path, "restartPolicy"), errors);
    }
    if let Some(policy) = errors.str(spec, "dnsPolicy", path)
        && !matches!(policy, "ClusterFirst" | "ClusterFirstWithHostNet" | "Default" | "None")
    {
        errors.not_supported(
            &child(path, "dnsPolicy"),
            policy,
            &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"],
        );
    }
    if let Some(seconds) = errors.int(spec, "terminationGracePeriodSeconds", path)
        && seconds < 0
    {
        errors.invalid(&child(path, "terminationGracePeriodSeconds"), seconds, "must be greater than or equal to 0");
    }
    if let Some(seconds) = errors.int(spec, "activeDeadlineSeconds", path)
        && !(1..=i64::from(i32::MAX)).contains(&seconds)
    {
        errors.invalid(
            &child(path, "activeDeadlineSeconds"),
            seconds,
            format!("must be between 1 and {}, inclusive", i32::MAX),
        );
    }
    let node_selector = errors.str_map(spec, "nodeSelector", path);
    crate::meta::validate_labels(&node_selector, &child(path, "nodeSelector"), errors);
    for field in ["serviceAccountName", "serviceAccount"] {
        if let Some(account) = errors.str(spec, field, path).filter(|name| !name.is_empty()) {
            errors.invalid_each(&child(path, field), account, dns1123_subdomain(account));
        }
    }
    if let Some(node_name) = errors.str(spec, "nodeName", path).filter(|name| !name.is_empty()) {
        errors.invalid_each(&child(path, "nodeName"), node_name, dns1123_subdomain(node_name));
    }
    for field in ["hostname", "subdomain"] {
        if let Some(name) = errors.str(spec, field, path).filter(|name| !name.is_empty()) {
            errors.invalid_each(&child(path, field), name, dns1123_label(name));
        }
    }
    for text in ["schedulerName", "priorityClassName", "runtimeClassName", "preemptionPolicy"] {
        errors.str(spec, text, path);
    }
    for flag in ["hostNetwork", "hostPID", "hostIPC", "enableServiceLinks", "automountServiceAccountToken"] {
        errors.bool(spec, flag, path);
    }
    errors.obj(spec, "securityContext", path);
    errors.obj(spec, "affinity", path);
    validate_tolerations(spec, path, errors);
}

pub(crate) fn validate_restart_policy(policy: &str, path: &str, errors: &mut Errors) {
    if policy.is_empty() {
        errors.required(path, "");
    } else if !RESTART_POLICIES.contains(&policy) {
        errors.not_supported(path, policy, RESTART_POLICIES);
    }
}

fn validate_volumes(spec: &Value, path: &str, errors: &mut Errors) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (_, volume, volume_path) in errors.obj_list(spec, "volumes", path) {
        let name_path = child(&volume_path, "name");
        match errors.str(volume, "name", &volume_path) {
            None | Some("") => errors.required(&name_path, ""),
            Some(name) => {
                errors.invalid_each(&name_path, name, dns1123_label(name));
                if !names.insert(name.to_owned()) {
                    errors.duplicate(&name_path, name);
                }
            }
        }
        let sources: Vec<&String> = volume
            .as_object()
            .map(|map| map.iter().filter(|(k, v)| *k != "name" && !v.is_null()).map(|(k, _)| k).collect())
            .unwrap_or_default();
        if sources.is_empty() {
            errors.required(&volume_path, "must specify a volume type");
        }
        for source in sources {
            if errors.obj(volume, source, &volume_path).is_none() {
                continue;
            }
            let source_path = child(&volume_path, source);
            let source_value = &volume[source.as_str()];
            match source.as_str() {
                "configMap" | "secret" => {
                    let name_field = if source == "secret" { "secretName" } else { "name" };
                    errors.str(source_value, name_field, &source_path);
                    validate_mode(source_value, &source_path, errors);
                }
                "hostPath" => match errors.str(source_value, "path", &source_path) {
                    None | Some("") => errors.required(&child(&source_path, "path"), ""),
                    Some(_) => {}
                },
                "persistentVolumeClaim" => match errors.str(source_value, "claimName", &source_path) {
                    None | Some("") => errors.required(&child(&source_path, "claimName"), ""),
                    Some(_) => {}
                },
                "ephemeral" => {
                    let template_path = child(&source_path, "volumeClaimTemplate");
                    match errors.obj(source_value, "volumeClaimTemplate", &source_path) {
                        None => errors.required(&template_path, ""),
                        Some(template) => {
                            let spec = errors.obj(template, "spec", &template_path).unwrap_or(&Value::Null);
                            crate::misc::validate_claim_spec(spec, &child(&template_path, "spec"), errors);
                        }
                    }
                }
                "emptyDir" => {
                    if let Some(limit) = source_value.get("sizeLimit").filter(|limit| !limit.is_null())
                        && quantity_of(limit).is_none()
                    {
                        errors.invalid(&child(&source_path, "sizeLimit"), limit.clone(), QUANTITY_SYNTAX);
                    }
                }
                _ => {}
            }
        }
    }
    names
}

fn validate_mode(source: &Value, path: &str, errors: &mut Errors) {
    if let Some(mode) = errors.int(source, "defaultMode", path)
        && !(0..=0o777).contains(&mode)
    {
        errors.invalid(
            &child(path, "defaultMode"),
            mode,
            "must be a number between 0 and 0777 (octal), both inclusive",
        );
    }
}

/// Which list of a pod spec a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Init,
    Regular,
    Ephemeral,
}

fn validate_container(
    container: &Value,
    path: &str,
    role: Role,
    volumes: &BTreeSet<String>,
    names: &mut BTreeSet<String>,
    errors: &mut Errors,
) {
    let name_path = child(path, "name");
    match errors.str(container, "name", path) {
        None | Some("") => errors.required(&name_path, ""),
        Some(name) => {
            errors.invalid_each(&name_path, name, dns1123_label(name));
            if !names.insert(name.to_owned()) {
                errors.duplicate(&name_path, name);
            }
        }
    }
    match errors.str(container, "image", path) {
        None => errors.required(&child(path, "image"), ""),
        Some(image) if image.trim().is_empty() => errors.required(&child(path, "image"), ""),
        Some(image) if image.trim() != image => {
            errors.invalid(&child(path, "image"), image, "must not have leading or trailing whitespace")
        }
        Some(_) => {}
    }
    if let Some(policy) = errors.str(container, "imagePullPolicy", path)
        && !matches!(policy, "Always" | "IfNotPresent" | "Never")
    {
        if policy.is_empty() {
            errors.required(&child(path, "imagePullPolicy"), "");
        } else {
            errors.not_supported(&child(path, "imagePullPolicy"), policy, &["Always", "IfNotPresent", "Never"]);
        }
    }
    if let Some(policy) = errors.str(container, "terminationMessagePolicy", path)
        && !matches!(policy, "File" | "FallbackToLogsOnError")
    {
        if policy.is_empty() {
            errors.required(&child(path, "terminationMessagePolicy"), "");
        } else {
            errors.not_supported(&child(path, "terminationMessagePolicy"), policy, &["File", "FallbackToLogsOnError"]);
        }
    }
    errors.str_list(container, "command", path);
    errors.str_list(container, "args", path);
    errors.str(container, "workingDir", path);
    if let Some(message_path) = errors.str(container, "terminationMessagePath", path)
        && message_path.len() > 4096
    {
        errors.invalid(
            &child(path, "terminationMessagePath"),
            message_path,
            "must not be greater than 4096 characters",
        );
    }
    validate_ports(container, path, errors);
    validate_env(container, path, errors);
    validate_mounts(container, path, volumes, errors);
    validate_resources(container, path, errors);
    let policy = errors.str(container, "restartPolicy", path);
    let sidecar = policy == Some("Always");
    match (role, policy) {
        (_, None) => {}
        (Role::Init, Some("Always")) => {}
        (Role::Init, Some(other)) => errors.not_supported(&child(path, "restartPolicy"), other, &["Always"]),
        (_, Some(_)) => errors.forbidden(&child(path, "restartPolicy"), "may not be set for non-init containers"),
    }
    if role == Role::Init && !sidecar {
        for field in ["lifecycle", "livenessProbe", "readinessProbe", "startupProbe"] {
            if container.get(field).is_some_and(|value| !value.is_null()) {
                errors
                    .forbidden(&child(path, field), "may not be set for init containers without restartPolicy=Always");
            }
        }
    }
    if role == Role::Ephemeral {
        for field in
            ["ports", "resources", "resizePolicy", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle"]
        {
            if container.get(field).is_some_and(is_set) {
                errors.forbidden(&child(path, field), "cannot be set for an Ephemeral Container");
            }
        }
        // Subpaths are bind mounts that outlive the container, so ephemeral containers may not use them.
        for (idx, mount) in container.get("volumeMounts").and_then(Value::as_array).into_iter().flatten().enumerate() {
            for field in ["subPath", "subPathExpr"] {
                if mount.get(field).and_then(Value::as_str).is_some_and(|text| !text.is_empty()) {
                    let mount_path = index(&child(path, "volumeMounts"), idx);
                    errors.forbidden(&child(&mount_path, field), "cannot be set for an Ephemeral Container");
                }
            }
        }
    }
    if let Some(lifecycle) = errors.obj(container, "lifecycle", path) {
        let lifecycle_path = child(path, "lifecycle");
        for hook in ["postStart", "preStop"] {
            if let Some(handler) = errors.obj(lifecycle, hook, &lifecycle_path) {
                validate_handler(handler, &child(&lifecycle_path, hook), errors);
            }
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(probe_value) = errors.obj(container, probe, path) {
            let probe_path = child(path, probe);
            validate_handler(probe_value, &probe_path, errors);
            for number in
                ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"]
            {
                if let Some(value) = errors.int(probe_value, number, &probe_path)
                    && value < 0
                {
                    errors.invalid(&child(&probe_path, number), value, "must be greater than or equal to 0");
                }
            }
            if probe != "readinessProbe"
                && let Some(threshold) = errors.int(probe_value, "successThreshold", &probe_path)
                && threshold != 1
            {
                errors.invalid(&child(&probe_path, "successThreshold"), threshold, "must be 1");
            }
        }
    }
    errors.obj(container, "securityContext", path);
}

/// Whether a field holds more than Go's zero value (null, an empty list or an object of unset fields), as upstream's
/// allow list of ephemeral container fields tells set fields apart.
fn is_set(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Array(items) => !items.is_empty(),
        Value::Object(fields) => fields.values().any(is_set),
        Value::String(text) => !text.is_empty(),
        Value::Bool(flag) => *flag,
        Value::Number(_) => true,
    }
}

/// With the host's network, a container port is the host port.
fn validate_host_network_ports(container: &Value, path: &str, errors: &mut Errors) {
    let ports = container.get("ports").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for (idx, port) in ports.iter().enumerate() {
        let container_port = port.get("containerPort").and_then(Value::as_i64).unwrap_or(0);
        let host_port = port.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
        if host_port != 0 && host_port != container_port {
            errors.invalid(
                &child(&index(&child(path, "ports"), idx), "containerPort"),
                container_port,
                "must match `hostPort` when `hostNetwork` is true",
            );
        }
    }
}

/// A probe's or lifecycle hook's handler: exactly one of exec, httpGet, tcpSocket, grpc (sleep for hooks).
fn validate_handler(handler: &Value, path: &str, errors: &mut Errors) {
    let kinds = ["exec", "httpGet", "tcpSocket", "grpc", "sleep"];
    let mut given = Vec::new();
    for kind in kinds {
        if let Some(value) = errors.obj(handler, kind, path) {
            given.push((kind, value));
        }
    }
    match given.as_slice() {
        [] => errors.required(path, "must specify a handler type"),
        [_, rest @ ..] => {
            for (kind, _) in rest {
                errors.forbidden(&child(path, kind), "may not specify more than 1 handler type");
            }
        }
    }
    for (kind, value) in given {
        let kind_path = child(path, kind);
        match kind {
            "exec" => {
                errors.str_list(value, "command", &kind_path);
            }
            "httpGet" | "tcpSocket" => {
                let port_path = child(&kind_path, "port");
                match value.get("port") {
                    None | Some(Value::Null) => errors.required(&port_path, ""),
                    Some(Value::Number(number)) => {
                        let number = number.as_i64().unwrap_or(-1);
                        for problem in port_number(number) {
                            errors.invalid(&port_path, number, problem);
                        }
                    }
                    Some(Value::String(name)) => errors.invalid_each(&port_path, name, port_name(name)),
                    Some(other) => errors.invalid(&port_path, other.clone(), "must be an integer or a string"),
                }
                if kind == "httpGet"
                    && let Some(scheme) = errors.str(value, "scheme", &kind_path)
                    && !matches!(scheme, "HTTP" | "HTTPS")
                {
                    errors.not_supported(&child(&kind_path, "scheme"), scheme, &["HTTP", "HTTPS"]);
                }
            }
            "grpc" => {
                let number = errors.int(value, "port", &kind_path).unwrap_or(0);
                for problem in port_number(number) {
                    errors.invalid(&child(&kind_path, "port"), number, problem);
                }
            }
            _ => {}
        }
    }
}

fn validate_ports(container: &Value, path: &str, errors: &mut Errors) {
    let mut names = BTreeSet::new();
    for (_, port, port_path) in errors.obj_list(container, "ports", path) {
        if let Some(name) = errors.str(port, "name", &port_path).filter(|name| !name.is_empty()) {
            let name_path = child(&port_path, "name");
            let problems = port_name(name);
            if !problems.is_empty() {
                errors.invalid_each(&name_path, name, problems);
            } else if !names.insert(name.to_owned()) {
                errors.duplicate(&name_path, name);
            }
        }
        match errors.int(port, "containerPort", &port_path) {
            None | Some(0) => errors.required(&child(&port_path, "containerPort"), ""),
            Some(number) => {
                let problems = port_number(number);
                for problem in problems {
                    errors.invalid(&child(&port_path, "containerPort"), number, problem);
                }
            }
        }
        if let Some(number) = errors.int(port, "hostPort", &port_path).filter(|number| *number != 0) {
            for problem in port_number(number) {
                errors.invalid(&child(&port_path, "hostPort"), number, problem);
            }
        }
        validate_protocol(port, &port_path, errors);
    }
}

/// A port's `protocol`: required (it is defaulted to TCP), one of SCTP, TCP, UDP.
pub(crate) fn validate_protocol(port: &Value, port_path: &str, errors: &mut Errors) {
    match errors.str(port, "protocol", port_path) {
        None | Some("") => errors.required(&child(port_path, "protocol"), ""),
        Some("TCP" | "UDP" | "SCTP") => {}
        Some(other) => errors.not_supported(&child(port_path, "protocol"), other, &["SCTP", "TCP", "UDP"]),
    }
}

fn validate_env(container: &Value, path: &str, errors: &mut Errors) {
    for (_, env, env_path) in errors.obj_list(container, "env", path) {
        let name_path = child(&env_path, "name");
        match errors.str(env, "name", &env_path) {
            None | Some("") => errors.required(&name_path, ""),
            Some(name) => errors.invalid_each(&name_path, name, env_var_name(name)),
        }
        let value = errors.str(env, "value", &env_path).unwrap_or_default();
        if let Some(from) = errors.obj(env, "valueFrom", &env_path) {
            let from_path = child(&env_path, "valueFrom");
            let sources = ["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef"];
            let given: Vec<&str> =
                sources.iter().copied().filter(|source| errors.obj(from, source, &from_path).is_some()).collect();
            if given.is_empty() {
                errors.invalid(
                    &from_path,
                    "",
                    "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
                );
            } else if given.len() > 1 {
                errors.invalid(&from_path, "", "may not have more than one field specified at a time");
            }
            if !value.is_empty() {
                errors.invalid(&from_path, "", "may not be specified when `value` is not empty");
            }
            if let Some(field_ref) = from.get("fieldRef").filter(|f| f.is_object()) {
                let ref_path = child(&from_path, "fieldRef");
                match errors.str(field_ref, "fieldPath", &ref_path) {
                    None | Some("") => errors.required(&child(&ref_path, "fieldPath"), ""),
                    Some(_) => {}
                }
            }
            for key_ref in ["configMapKeyRef", "secretKeyRef"] {
                if let Some(reference) = from.get(key_ref).filter(|r| r.is_object()) {
                    let ref_path = child(&from_path, key_ref);
                    match errors.str(reference, "key", &ref_path) {
                        None | Some("") => errors.required(&child(&ref_path, "key"), ""),
                        Some(_) => {}
                    }
                }
            }
        }
    }
    for (_, source, source_path) in errors.obj_list(container, "envFrom", path) {
        errors.str(source, "prefix", &source_path);
    }
}

fn validate_mounts(container: &Value, path: &str, volumes: &BTreeSet<String>, errors: &mut Errors) {
    let mut mount_paths = BTreeSet::new();
    for (_, mount, mount_path) in errors.obj_list(container, "volumeMounts", path) {
        let name = errors.str(mount, "name", &mount_path).unwrap_or_default();
        if name.is_empty() {
            errors.required(&child(&mount_path, "name"), "");
        }
        if !volumes.contains(name) {
            errors.not_found(&child(&mount_path, "name"), name);
        }
        match errors.str(mount, "mountPath", &mount_path) {
            None | Some("") => errors.required(&child(&mount_path, "mountPath"), ""),
            Some(target) => {
                if !mount_paths.insert(target.to_owned()) {
                    errors.invalid(&child(&mount_path, "mountPath"), target, "must be unique");
                }
            }
        }
        errors.bool(mount, "readOnly", &mount_path);
    }
}

/// Whether a resource name is one the kubelet accounts itself (no domain, or a `kubernetes.io` domain).
fn is_native(name: &str) -> bool {
    match name.split_once('/') {
        None => true,
        Some((domain, _)) => domain == "kubernetes.io" || domain.ends_with(".kubernetes.io"),
    }
}

fn overcommit_allowed(name: &str) -> bool {
    is_native(name) && !name.starts_with("hugepages-")
}

fn validate_resources(container: &Value, path: &str, errors: &mut Errors) {
    let Some(resources) = errors.obj(container, "resources", path) else {
        return;
    };
    let resources_path = child(path, "resources");
    let mut limits = Vec::new();
    for part in ["limits", "requests"] {
        let part_path = child(&resources_path, part);
        let Some(map) = errors.map(resources, part, &resources_path) else {
            continue;
        };
        for (name, value) in map {
            let entry_path = key(&part_path, name);
            errors.invalid_each(&entry_path, name, qualified_name(name));
            if !name.contains('/') {
                if !matches!(name.as_str(), "cpu" | "memory" | "ephemeral-storage") && !name.starts_with("hugepages-") {
                    errors.invalid(&entry_path, name.as_str(), "must be a standard resource for containers");
                }
            } else if !is_native(name) && name.starts_with("requests.") {
                errors.invalid(&entry_path, name.as_str(), "doesn't follow extended resource name standard");
            }
            let shown = match value {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                other => {
                    errors.invalid(&entry_path, other.clone(), QUANTITY_SYNTAX);
                    continue;
                }
            };
            let Some(quantity) = quantity_of(value) else {
                errors.invalid(&entry_path, shown, QUANTITY_SYNTAX);
                continue;
            };
            if quantity < 0.0 {
                errors.invalid(&entry_path, shown.clone(), "must be greater than or equal to 0");
            }
            if part == "limits" {
                limits.push((name.clone(), quantity, shown));
            } else if let Some((_, limit, limit_shown)) = limits.iter().find(|(limit_name, _, _)| limit_name == name) {
                if quantity != *limit && !overcommit_allowed(name) {
                    errors.invalid(&part_path, shown, format!("must be equal to {name} limit of {limit_shown}"));
                } else if quantity > *limit {
                    errors.invalid(
                        &part_path,
                        shown,
                        format!("must be less than or equal to {name} limit of {limit_shown}"),
                    );
                }
            }
        }
    }
}

fn validate_tolerations(spec: &Value, path: &str, errors: &mut Errors) {
    for (_, toleration, toleration_path) in errors.obj_list(spec, "tolerations", path) {
        let toleration_key = errors.str(toleration, "key", &toleration_path).unwrap_or_default();
        if !toleration_key.is_empty() {
            errors.invalid_each(&child(&toleration_path, "key"), toleration_key, qualified_name(toleration_key));
        }
        let operator = errors.str(toleration, "operator", &toleration_path).unwrap_or_default();
        let value = errors.str(toleration, "value", &toleration_path).unwrap_or_default();
        if toleration_key.is_empty() && operator != "Exists" {
            errors.invalid(
                &child(&toleration_path, "operator"),
                operator,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            );
        }
        match operator {
            "" | "Equal" => {
                errors.invalid_each(&child(&toleration_path, "value"), value, crate::names::label_value(value))
            }
            "Exists" => {
                if !value.is_empty() {
                    errors.invalid(
                        &child(&toleration_path, "operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    );
                }
            }
            other => errors.not_supported(&child(&toleration_path, "operator"), other, &["Equal", "Exists"]),
        }
        errors.int(toleration, "tolerationSeconds", &toleration_path);
        if let Some(effect) = errors.str(toleration, "effect", &toleration_path).filter(|effect| !effect.is_empty())
            && !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute")
        {
            errors.not_supported(
                &child(&toleration_path, "effect"),
                effect,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            );
        }
    }
}

/// What a pod update may change: images, activeDeadlineSeconds (down only), added tolerations, and
/// terminationGracePeriodSeconds from a negative value to 1.
fn validate_pod_spec_update(new: &Value, old: &Value, errors: &mut Errors) {
    let count = |spec: &Value, list: &str| spec.get(list).and_then(Value::as_array).map_or(0, Vec::len);
    if count(new, "containers") != count(old, "containers") {
        errors.forbidden("spec.containers", "pod updates may not add or remove containers");
        return;
    }
    match (
        new.get("activeDeadlineSeconds").filter(|v| !v.is_null()),
        old.get("activeDeadlineSeconds").and_then(Value::as_i64),
    ) {
        (Some(new_deadline), old_deadline) => {
            if let Some(new_deadline) = new_deadline.as_i64() {
                if !(0..=i64::from(i32::MAX)).contains(&new_deadline) {
                    errors.invalid(
                        "spec.activeDeadlineSeconds",
                        new_deadline,
                        format!("must be between 0 and {}, inclusive", i32::MAX),
                    );
                    return;
                }
                if old_deadline.is_some_and(|old_deadline| old_deadline < new_deadline) {
                    errors.invalid(
                        "spec.activeDeadlineSeconds",
                        new_deadline,
                        "must be less than or equal to previous value",
                    );
                    return;
                }
            }
        }
        (None, Some(_)) => {
            errors.invalid(
                "spec.activeDeadlineSeconds",
                Value::Null,
                "must not update from a positive integer to nil value",
            );
        }
        (None, None) => {}
    }
    let mut munged = new.clone();
    let Some(munged_map) = munged.as_object_mut() else {
        return;
    };
    for list in ["containers", "initContainers"] {
        if let (Some(new_items), Some(old_items)) =
            (munged_map.get_mut(list).and_then(Value::as_array_mut), old.get(list).and_then(Value::as_array))
            && new_items.len() == old_items.len()
        {
            for (item, old_item) in new_items.iter_mut().zip(old_items) {
                if let (Some(item), Some(old_image)) = (item.as_object_mut(), old_item.get("image")) {
                    item.insert("image".to_owned(), old_image.clone());
                }
            }
        }
    }
    let old_field = |name: &str| old.get(name).cloned();
    match old_field("activeDeadlineSeconds") {
        Some(value) => munged_map.insert("activeDeadlineSeconds".to_owned(), value),
        None => munged_map.remove("activeDeadlineSeconds"),
    };
    let old_grace = old.get("terminationGracePeriodSeconds").and_then(Value::as_i64);
    let new_grace = new.get("terminationGracePeriodSeconds").and_then(Value::as_i64);
    if !(old_grace.is_some_and(|grace| grace < 0) && new_grace == Some(1)) {
        match old_field("terminationGracePeriodSeconds") {
            Some(value) => munged_map.insert("terminationGracePeriodSeconds".to_owned(), value),
            None => munged_map.remove("terminationGracePeriodSeconds"),
        };
    }
    let old_tolerations = old.get("tolerations").and_then(Value::as_array).cloned().unwrap_or_default();
    let new_tolerations = new.get("tolerations").and_then(Value::as_array).cloned().unwrap_or_default();
    for (idx, old_toleration) in old_tolerations.iter().enumerate() {
        let same_but_seconds = |candidate: &Value| {
            let strip = |value: &Value| {
                let mut value = value.clone();
                if let Some(map) = value.as_object_mut() {
                    map.remove("tolerationSeconds");
                }
                value
            };
            strip(candidate) == strip(old_toleration)
        };
        if !new_tolerations.iter().any(same_but_seconds) {
            errors.forbidden(
                &index("spec.tolerations", idx),
                "existing toleration can not be modified except its tolerationSeconds",
            );
        }
    }
    match old_field("tolerations") {
        Some(value) => munged_map.insert("tolerations".to_owned(), value),
        None => munged_map.remove("tolerations"),
    };
    if &munged != old {
        errors.forbidden("spec", format!("{POD_UPDATE_MESSAGE}\n{}", spec_diff(old, &munged)));
    }
}

/// A short account of which spec fields differ, in the spirit of the diff upstream appends.
fn spec_diff(old: &Value, new: &Value) -> String {
    value_diff("core.PodSpec", old, new)
}

/// The fields of two objects of Go type `type_name` that differ, one `-` and one `+` line each.
fn value_diff(type_name: &str, old: &Value, new: &Value) -> String {
    let empty = json!({});
    let old_map = old.as_object().unwrap_or_else(|| empty.as_object().expect("an object"));
    let new_map = new.as_object().unwrap_or_else(|| empty.as_object().expect("an object"));
    let keys: BTreeSet<&String> = old_map.keys().chain(new_map.keys()).collect();
    let mut lines = vec![format!("  {type_name}{{")];
    for name in keys {
        let (before, after) = (old_map.get(name), new_map.get(name));
        if before != after {
            if let Some(before) = before {
                lines.push(format!("- \t{name}: {before},"));
            }
            if let Some(after) = after {
                lines.push(format!("+ \t{name}: {after},"));
            }
        }
    }
    lines.push("  }".to_owned());
    lines.join("\n")
}

//! Service validation (`ValidateService`, `ValidateServiceUpdate`) and what the caller's allocators need to
//! know: whether a service wants a cluster IP and which ports want node ports.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::field::{Errors, child, go_quote, index};
use crate::meta::validate_labels;
use crate::names::{dns1123_label, dns1123_subdomain, port_name, port_number};
use crate::pod::validate_protocol;

/// The node port range kube-apiserver serves by default.
pub const NODE_PORT_RANGE: std::ops::RangeInclusive<i64> = 30000..=32767;

fn service_type(service: &Value) -> &str {
    service.get("spec").and_then(|spec| spec.get("type")).and_then(Value::as_str).unwrap_or("ClusterIP")
}

fn cluster_ip(service: &Value) -> &str {
    service.get("spec").and_then(|spec| spec.get("clusterIP")).and_then(Value::as_str).unwrap_or_default()
}

/// Whether a (defaulted) service still needs a cluster IP from the allocator: any type but ExternalName whose
/// `clusterIP` is unset. Headless services (`None`) need none.
pub fn service_needs_cluster_ip(service: &Value) -> bool {
    service_type(service) != "ExternalName" && cluster_ip(service).is_empty()
}

/// The indexes of `spec.ports` that still need a node port from the allocator: every port without one of a
/// NodePort service, and of a LoadBalancer service unless `allocateLoadBalancerNodePorts` is false.
pub fn service_node_ports_needed(service: &Value) -> Vec<usize> {
    let spec = service.get("spec").unwrap_or(&Value::Null);
    let wants = match service_type(service) {
        "NodePort" => true,
        "LoadBalancer" => spec.get("allocateLoadBalancerNodePorts").and_then(Value::as_bool) != Some(false),
        _ => false,
    };
    if !wants {
        return Vec::new();
    }
    let ports = spec.get("ports").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    ports
        .iter()
        .enumerate()
        .filter(|(_, port)| port.get("nodePort").and_then(Value::as_i64).unwrap_or(0) == 0)
        .map(|(idx, _)| idx)
        .collect()
}

/// Whether a LoadBalancer service with `externalTrafficPolicy: Local` still needs a health check node port.
pub fn service_needs_health_check_node_port(service: &Value) -> bool {
    let spec = service.get("spec").unwrap_or(&Value::Null);
    service_type(service) == "LoadBalancer"
        && spec.get("externalTrafficPolicy").and_then(Value::as_str) == Some("Local")
        && spec.get("healthCheckNodePort").and_then(Value::as_i64).unwrap_or(0) == 0
}

/// Drops what an update's new type no longer needs when the client left it as stored, as the registry's update
/// strategy does (`dropTypeDependentFields`): so `kubectl patch -p '{"spec":{"type":"ClusterIP"}}'` of a
/// LoadBalancer Service drops its node ports, health check node port, traffic policy, load balancer class and
/// node port allocation setting, and a change to ExternalName its cluster IPs and IP families. A field the client
/// changed together with the type is left for validation to judge.
pub fn service_drop_type_dependent_fields(new: &mut Value, old: &Value) {
    let type_of = |service: &Value| service_type(service).to_owned();
    let (old_type, new_type) = (type_of(old), type_of(new));
    if old_type == new_type {
        return;
    }
    let old_spec = old.get("spec").cloned().unwrap_or(Value::Null);
    let Some(spec) = new.get_mut("spec").and_then(Value::as_object_mut) else { return };
    let same = |spec: &serde_json::Map<String, Value>, key: &str| {
        spec.get(key).unwrap_or(&Value::Null) == old_spec.get(key).unwrap_or(&Value::Null)
    };
    let node_ports = |ports: Option<&Value>| -> Vec<Value> {
        ports
            .and_then(Value::as_array)
            .map(|ports| ports.iter().map(|p| p.get("nodePort").cloned().unwrap_or(Value::Null)).collect())
            .unwrap_or_default()
    };
    let needs_node_ports = |kind: &str| matches!(kind, "NodePort" | "LoadBalancer");
    if needs_node_ports(&old_type)
        && !needs_node_ports(&new_type)
        && node_ports(spec.get("ports")) == node_ports(old_spec.get("ports"))
        && let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut)
    {
        for port in ports.iter_mut().filter_map(Value::as_object_mut) {
            port.remove("nodePort");
        }
    }
    if old_type == "LoadBalancer" {
        for key in ["healthCheckNodePort", "allocateLoadBalancerNodePorts", "loadBalancerClass"] {
            if same(spec, key) {
                spec.remove(key);
            }
        }
    }
    if needs_node_ports(&old_type) && !needs_node_ports(&new_type) && same(spec, "externalTrafficPolicy") {
        spec.remove("externalTrafficPolicy");
    }
    if old_type != "ExternalName" && new_type == "ExternalName" {
        for key in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
            if same(spec, key) {
                spec.remove(key);
            }
        }
    }
}

/// Carries the stored service's allocations into an update that left them out (as `kubectl apply` of a manifest
/// without them does), as the registry's update strategy does: the cluster IP(s) while both versions need one,
/// node ports by port name where the number is not taken by another port, and the health check node port.
pub fn service_keep_allocated(new: &mut Value, old: &Value) {
    let needs_cluster_ip = |service: &Value| service_type(service) != "ExternalName";
    let needs_node_ports = |service: &Value| matches!(service_type(service), "NodePort" | "LoadBalancer");
    let both_need_ip = needs_cluster_ip(old) && needs_cluster_ip(new);
    let both_need_ports = needs_node_ports(old) && needs_node_ports(new);
    let old_spec = old.get("spec").cloned().unwrap_or(Value::Null);
    let node_ports_of = |spec: &Value| -> Vec<(String, i64)> {
        spec.get("ports")
            .and_then(Value::as_array)
            .map(|ports| {
                ports
                    .iter()
                    .map(|port| {
                        let name = port.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
                        (name, port.get("nodePort").and_then(Value::as_i64).unwrap_or(0))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let old_ports = node_ports_of(&old_spec);
    let Some(spec) = new.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if both_need_ip {
        if spec.get("clusterIP").and_then(Value::as_str).is_none_or(str::is_empty)
            && let Some(ip) = old_spec.get("clusterIP").filter(|ip| !ip.is_null())
        {
            spec.insert("clusterIP".to_owned(), ip.clone());
        }
        if spec.get("clusterIPs").and_then(Value::as_array).is_none_or(Vec::is_empty)
            && let Some(ips) = old_spec.get("clusterIPs").filter(|ips| ips.as_array().is_some_and(|l| !l.is_empty()))
        {
            spec.insert("clusterIPs".to_owned(), ips.clone());
        }
    }
    if both_need_ports {
        let new_ports = node_ports_of(&Value::Object(spec.clone()));
        let used: Vec<i64> = old_ports
            .iter()
            .map(|(_, number)| *number)
            .filter(|number| *number != 0 && new_ports.iter().any(|(_, new_number)| new_number == number))
            .collect();
        if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
            for port in ports.iter_mut().filter_map(Value::as_object_mut) {
                if port.get("nodePort").and_then(Value::as_i64).unwrap_or(0) != 0 {
                    continue;
                }
                let name = port.get("name").and_then(Value::as_str).unwrap_or_default();
                if let Some((_, number)) = old_ports.iter().find(|(old_name, _)| old_name == name)
                    && *number != 0
                    && !used.contains(number)
                {
                    port.insert("nodePort".to_owned(), Value::from(*number));
                }
            }
        }
    }
    let health_check = |service: &Value| {
        service_type(service) == "LoadBalancer"
            && service.get("spec").and_then(|spec| spec.get("externalTrafficPolicy")).and_then(Value::as_str)
                == Some("Local")
    };
    if health_check(old)
        && spec.get("type").and_then(Value::as_str) == Some("LoadBalancer")
        && spec.get("externalTrafficPolicy").and_then(Value::as_str) == Some("Local")
        && spec.get("healthCheckNodePort").and_then(Value::as_i64).unwrap_or(0) == 0
        && let Some(port) = old_spec.get("healthCheckNodePort").filter(|port| !port.is_null())
    {
        spec.insert("healthCheckNodePort".to_owned(), port.clone());
    }
}

fn is_ip(text: &str) -> bool {
    text.parse::<std::net::IpAddr>().is_ok()
}

pub(crate) fn validate(service: &Value, old: Option<&Value>, errors: &mut Errors) {
    let Some(spec) = errors.obj(service, "spec", "") else {
        errors.required("spec.ports", "");
        return;
    };
    let kind = errors.str(spec, "type", "spec").unwrap_or("ClusterIP");
    let cluster_ip = errors.str(spec, "clusterIP", "spec").unwrap_or_default();
    let headless = cluster_ip == "None";
    let ports = errors.obj_list(spec, "ports", "spec");
    if ports.is_empty() && !headless && kind != "ExternalName" {
        errors.required("spec.ports", "");
    }
    match kind {
        "ClusterIP" | "NodePort" | "LoadBalancer" => {}
        "ExternalName" => {
            if !cluster_ip.is_empty() {
                errors.forbidden("spec.clusterIP", "may not be set for ExternalName services");
            }
            match errors.str(spec, "externalName", "spec") {
                None | Some("") => errors.required("spec.externalName", ""),
                Some(name) => validate_external_name(name, errors),
            }
        }
        other => {
            errors.not_supported("spec.type", other, &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]);
        }
    }
    validate_cluster_ips(spec, kind, cluster_ip, errors);
    if headless && matches!(kind, "NodePort" | "LoadBalancer") {
        errors.invalid("spec.clusterIPs[0]", "None", format!("may not be set to 'None' for {kind} services"));
    }
    let require_name = ports.len() > 1;
    let mut names = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut node_ports = BTreeSet::new();
    for (idx, port, port_path) in &ports {
        let name = errors.str(port, "name", port_path).unwrap_or_default();
        let name_path = child(port_path, "name");
        if name.is_empty() {
            if require_name {
                errors.required(&name_path, "");
            }
        } else {
            errors.invalid_each(&name_path, name, dns1123_label(name));
            if !names.insert(name.to_owned()) {
                errors.duplicate(&name_path, name);
            }
        }
        let number = errors.int(port, "port", port_path).unwrap_or(0);
        for problem in port_number(number) {
            errors.invalid(&child(port_path, "port"), number, problem);
        }
        validate_protocol(port, port_path, errors);
        match port.get("targetPort") {
            Some(Value::Number(target)) => {
                let target = target.as_i64().unwrap_or(-1);
                for problem in port_number(target) {
                    errors.invalid(&child(port_path, "targetPort"), target, problem);
                }
            }
            Some(Value::String(target)) if !target.is_empty() => {
                errors.invalid_each(&child(port_path, "targetPort"), target, port_name(target));
            }
            None | Some(Value::Null | Value::String(_)) => {}
            Some(other) => {
                errors.invalid(&child(port_path, "targetPort"), other.clone(), "must be an integer or a string")
            }
        }
        let node_port = errors.int(port, "nodePort", port_path).unwrap_or(0);
        let port_protocol = port.get("protocol").and_then(Value::as_str).unwrap_or_default();
        if node_port != 0 && !node_ports.insert((port_protocol.to_owned(), node_port)) {
            errors.duplicate(&child(port_path, "nodePort"), node_port);
        }
        if node_port != 0 {
            if kind == "ClusterIP" {
                errors.forbidden(&child(port_path, "nodePort"), "may not be used when `type` is 'ClusterIP'");
            } else if !NODE_PORT_RANGE.contains(&node_port) {
                errors.invalid(
                    &child(port_path, "nodePort"),
                    node_port,
                    "provided port is not in the valid range. The range of valid ports is 30000-32767",
                );
            }
        }
        let protocol = port.get("protocol").and_then(Value::as_str).unwrap_or_default().to_owned();
        if !seen.insert((protocol.clone(), number)) {
            let shown = format!(
                "core.ServicePort{{Name:\"\", Protocol:{}, AppProtocol:(*string)(nil), Port:{number}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
                go_quote(&protocol)
            );
            let mut error = crate::FieldError::new(crate::ErrorKind::Duplicate, index("spec.ports", *idx), None, "");
            error.shown = Some(shown);
            errors.push(error);
        }
    }
    errors.bool(spec, "allocateLoadBalancerNodePorts", "spec");
    errors.bool(spec, "publishNotReadyAddresses", "spec");
    let selector = errors.str_map(spec, "selector", "spec");
    validate_labels(&selector, "spec.selector", errors);
    if let Some(affinity) = errors.str(spec, "sessionAffinity", "spec")
        && !matches!(affinity, "ClientIP" | "None")
    {
        errors.not_supported("spec.sessionAffinity", affinity, &["ClientIP", "None"]);
    }
    if let Some(config) = errors.obj(spec, "sessionAffinityConfig", "spec")
        && let Some(client_ip) = errors.obj(config, "clientIP", "spec.sessionAffinityConfig")
        && let Some(timeout) = errors.int(client_ip, "timeoutSeconds", "spec.sessionAffinityConfig.clientIP")
        && !(1..=86400).contains(&timeout)
    {
        errors.invalid(
            "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
            timeout,
            "must be greater than 0 and less than 86400",
        );
    }
    match errors.str(spec, "externalTrafficPolicy", "spec") {
        None | Some("") => {
            if matches!(kind, "NodePort" | "LoadBalancer") {
                errors.required("spec.externalTrafficPolicy", "");
            }
        }
        Some(policy) => {
            if !matches!(kind, "NodePort" | "LoadBalancer") {
                errors.invalid(
                    "spec.externalTrafficPolicy",
                    policy,
                    "may only be set when `type` is 'NodePort' or 'LoadBalancer'",
                );
            } else if !matches!(policy, "Cluster" | "Local") {
                errors.not_supported("spec.externalTrafficPolicy", policy, &["Cluster", "Local"]);
            }
        }
    }
    match errors.str(spec, "internalTrafficPolicy", "spec") {
        None | Some("") => {
            if kind != "ExternalName" {
                errors.required("spec.internalTrafficPolicy", "");
            }
        }
        Some("Cluster" | "Local") => {}
        Some(policy) => errors.not_supported("spec.internalTrafficPolicy", policy, &["Cluster", "Local"]),
    }
    if let Some(old) = old {
        let old_ip = old.get("spec").and_then(|spec| spec.get("clusterIP")).and_then(Value::as_str).unwrap_or("");
        if !old_ip.is_empty() && kind != "ExternalName" && service_type(old) != "ExternalName" && old_ip != cluster_ip {
            errors.invalid("spec.clusterIP", cluster_ip, "field is immutable");
        }
        let strings = |service: &Value| -> Vec<String> {
            service
                .get("spec")
                .and_then(|spec| spec.get("clusterIPs"))
                .and_then(Value::as_array)
                .map(|ips| ips.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let (new_ips, old_ips) = (strings(service), strings(old));
        let headless = |ips: &[String]| ips.len() == 1 && ips[0] == "None";
        let both_use_ips = kind != "ExternalName" && service_type(old) != "ExternalName";
        if both_use_ips && !(headless(&new_ips) && headless(&old_ips)) {
            let shown = {
                let quoted: Vec<String> = new_ips.iter().map(|ip| go_quote(ip)).collect();
                format!("[]string{{{}}}", quoted.join(", "))
            };
            if new_ips.len() == old_ips.len() {
                for (idx, (new_ip, old_ip)) in new_ips.iter().zip(&old_ips).enumerate() {
                    if new_ip != old_ip {
                        errors.invalid_shown(&index("spec.clusterIPs", idx), shown.clone(), "may not change once set");
                    }
                }
            } else if new_ips.is_empty() {
                errors.invalid_shown("spec.clusterIPs[0]", shown, "primary clusterIP can not be unset");
            } else if !old_ips.is_empty() && new_ips[0] != old_ips[0] {
                errors.invalid_shown("spec.clusterIPs[0]", shown, "may not change once set");
            }
        }
    }
}

fn go_strings(items: &[(usize, &str)]) -> String {
    let quoted: Vec<String> = items.iter().map(|(_, item)| go_quote(item)).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

/// `clusterIPs`, `ipFamilies` and `ipFamilyPolicy`, and how they agree with `clusterIP`.
fn validate_cluster_ips(spec: &Value, kind: &str, cluster_ip: &str, errors: &mut Errors) {
    let ips = errors.str_list(spec, "clusterIPs", "spec");
    let families = errors.str_list(spec, "ipFamilies", "spec");
    let policy = errors.str(spec, "ipFamilyPolicy", "spec");
    if kind == "ExternalName" {
        if !ips.is_empty() {
            errors.forbidden("spec.clusterIPs", "may not be set for ExternalName services");
        }
        if !families.is_empty() {
            errors.forbidden("spec.ipFamilies", "may not be set for ExternalName services");
        }
        if policy.is_some() {
            errors.forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services");
        }
        return;
    }
    if !cluster_ip.is_empty() {
        match ips.first() {
            None => errors.required("spec.clusterIPs", ""),
            Some((_, first)) if *first != cluster_ip => {
                errors.invalid_shown("spec.clusterIPs", go_strings(&ips), "first value must match `clusterIP`")
            }
            Some(_) => {}
        }
    } else if !ips.is_empty() {
        errors.invalid_shown("spec.clusterIPs", go_strings(&ips), "must be empty when `clusterIP` is not specified");
    }
    let mut seen = BTreeSet::new();
    for (idx, family) in &families {
        let path = index("spec.ipFamilies", *idx);
        if !matches!(*family, "IPv4" | "IPv6") {
            errors.not_supported(&path, *family, &["IPv4", "IPv6"]);
        }
        if !seen.insert(*family) {
            errors.duplicate(&path, *family);
        }
    }
    if let Some(policy) = policy
        && !matches!(policy, "SingleStack" | "PreferDualStack" | "RequireDualStack")
    {
        errors.not_supported("spec.ipFamilyPolicy", policy, &["PreferDualStack", "RequireDualStack", "SingleStack"]);
    }
    let mut invalid_ips = false;
    for (idx, ip) in &ips {
        if *idx == 0 && *ip == "None" {
            if ips.len() > 1 {
                invalid_ips = true;
                errors.invalid_shown("spec.clusterIPs", go_strings(&ips), "'None' must be the first and only value");
            }
            continue;
        }
        if !is_ip(ip) {
            invalid_ips = true;
            errors.invalid(
                &index("spec.clusterIPs", *idx),
                *ip,
                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            );
        }
    }
    if ips.len() > 2 {
        errors.invalid_shown("spec.clusterIPs", go_strings(&ips), "may only hold up to 2 values");
    }
    if invalid_ips {
        return;
    }
    let is_v6 = |ip: &str| ip.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_ipv6());
    if ips.len() == 2 && is_v6(ips[0].1) == is_v6(ips[1].1) {
        errors.invalid_shown("spec.clusterIPs", go_strings(&ips), "may specify no more than one IP for each IP family");
    }
    let headless = ips.len() == 1 && ips[0].1 == "None";
    if !headless {
        for ((idx, ip), (_, family)) in ips.iter().zip(&families) {
            if *family == "IPv4" && is_v6(ip) {
                errors.invalid(
                    &index("spec.clusterIPs", *idx),
                    *ip,
                    format!("expected an IPv4 value as indicated by `ipFamilies[{idx}]`"),
                );
            }
            if *family == "IPv6" && !is_v6(ip) {
                errors.invalid(
                    &index("spec.clusterIPs", *idx),
                    *ip,
                    format!("expected an IPv6 value as indicated by `ipFamilies[{idx}]`"),
                );
            }
        }
    }
}

fn validate_external_name(name: &str, errors: &mut Errors) {
    let name = name.strip_suffix('.').unwrap_or(name);
    let problems = dns1123_subdomain(name);
    if !problems.is_empty() {
        errors.invalid("spec.externalName", name, problems.join(","));
        return;
    }
    if !name.contains('.') {
        errors.invalid("spec.externalName", name, "should be a domain with at least two segments separated by dots");
        return;
    }
    for label in name.split('.') {
        let problems = dns1123_label(label);
        if !problems.is_empty() {
            errors.invalid("spec.externalName", label, problems.join(","));
            return;
        }
    }
}

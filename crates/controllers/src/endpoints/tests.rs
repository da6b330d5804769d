use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Pod, Service};
use serde_json::json;

use super::*;

fn service(spec: serde_json::Value) -> Service {
    serde_json::from_value(json!({"metadata": {"name": "web", "namespace": "ns"}, "spec": spec})).expect("a service")
}

/// A pod `name` with `ip`, ready or not, on `node`, optionally being deleted or finished.
fn pod(name: &str, ip: &str, ready: bool, extra: &str) -> Pod {
    let mut value = json!({
        "metadata": {"name": name, "namespace": "ns", "uid": format!("uid-{name}")},
        "spec": {"nodeName": "node-a", "containers": [{"name": "c", "image": "i",
            "ports": [{"name": "http", "containerPort": 8080}, {"name": "dns", "containerPort": 53, "protocol": "UDP"}]}]},
        "status": {"phase": "Running", "podIP": ip,
            "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]},
    });
    match extra {
        "deleting" => value["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z"),
        "failed" => value["status"]["phase"] = json!("Failed"),
        "no-ip" => value["status"]["podIP"] = json!(null),
        _ => {}
    }
    serde_json::from_value(value).expect("a pod")
}

/// Endpoints as "ready ips | not ready ips | ports" per subset.
fn check_endpoints(spec: serde_json::Value, pods: &[Pod], expect: &[&str]) {
    let subsets = endpoint_subsets(&service(spec), pods);
    let got: Vec<String> = subsets
        .iter()
        .map(|s| {
            let ips = |a: &Option<Vec<EndpointAddress>>| {
                a.iter().flatten().map(|a| a.ip.clone()).collect::<Vec<_>>().join(",")
            };
            let ports = s
                .ports
                .iter()
                .flatten()
                .map(|p| {
                    format!(
                        "{}:{}/{}",
                        p.name.clone().unwrap_or_default(),
                        p.port,
                        p.protocol.clone().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join(",");
            format!("{} | {} | {}", ips(&s.addresses), ips(&s.not_ready_addresses), ports)
        })
        .collect();
    assert_eq!(got, expect);
}

#[test]
fn endpoints_from_pods() {
    let by_number = json!({"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]});
    let pods = [
        pod("b", "10.0.0.2", true, ""),
        pod("a", "10.0.0.1", true, ""),
        pod("c", "10.0.0.3", false, ""),
        pod("d", "10.0.0.4", true, "deleting"),
        pod("e", "10.0.0.5", true, "failed"),
        pod("f", "", true, "no-ip"),
    ];
    check_endpoints(by_number.clone(), &pods, &["10.0.0.1,10.0.0.2 | 10.0.0.3 | :8080/TCP"]);
    check_endpoints(by_number, &[], &[]);
    let named = json!({"selector": {"app": "web"}, "ports": [
        {"name": "web", "port": 80, "targetPort": "http"}, {"name": "dns", "port": 53, "targetPort": "dns", "protocol": "UDP"}]});
    check_endpoints(named, &pods[..1], &["10.0.0.2 |  | web:8080/TCP,dns:53/UDP"]);
    let missing = json!({"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "nope"}]});
    check_endpoints(missing, &pods[..1], &[]);
    let publish = json!({"selector": {"app": "web"}, "publishNotReadyAddresses": true, "ports": [{"port": 80}]});
    check_endpoints(publish, &pods, &["10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4 |  | :80/TCP"]);
    let no_ports = json!({"selector": {"app": "web"}, "clusterIP": "None"});
    check_endpoints(no_ports, &pods[..2], &["10.0.0.1,10.0.0.2 |  | "]);
}

/// Slices as "ip ready/serving/terminating zone" per endpoint, one string per slice.
fn check_slices(spec: serde_json::Value, pods: &[Pod], expect: &[&str]) {
    let zones = BTreeMap::from([("node-a".to_owned(), "us-east-1a".to_owned())]);
    let got: Vec<String> = slice_contents(&service(spec), pods, &zones)
        .iter()
        .map(|(_, endpoints)| {
            endpoints
                .iter()
                .map(|e| {
                    let c = e.conditions.clone().unwrap_or_default();
                    let flag = |b: Option<bool>| if b == Some(true) { "1" } else { "0" };
                    format!(
                        "{} {}{}{} {}",
                        e.addresses.join(","),
                        flag(c.ready),
                        flag(c.serving),
                        flag(c.terminating),
                        e.zone.clone().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect();
    assert_eq!(got, expect);
}

#[test]
fn slices_from_pods() {
    let spec = json!({"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]});
    let pods = [
        pod("a", "10.0.0.1", true, ""),
        pod("c", "10.0.0.3", false, ""),
        pod("d", "10.0.0.4", true, "deleting"),
        pod("e", "10.0.0.5", true, "failed"),
    ];
    check_slices(spec.clone(), &pods, &["10.0.0.1 110 us-east-1a; 10.0.0.3 000 us-east-1a; 10.0.0.4 011 us-east-1a"]);
    check_slices(spec.clone(), &[], &[]);
    let many: Vec<Pod> =
        (0..250).map(|i| pod(&format!("p{i}"), &format!("10.1.{}.{}", i / 200, i % 200), true, "")).collect();
    let sizes: Vec<usize> =
        slice_contents(&service(spec), &many, &BTreeMap::new()).iter().map(|(_, e)| e.len()).collect();
    assert_eq!(sizes, [100, 100, 50]);
}

#[test]
fn named_target_ports_resolve_by_protocol() {
    let pod = pod("a", "10.0.0.1", true, "");
    let port = |value: serde_json::Value| -> ServicePort { serde_json::from_value(value).expect("a port") };
    assert_eq!(resolve_port(&port(json!({"port": 80})), &pod), Some(80));
    assert_eq!(resolve_port(&port(json!({"port": 80, "targetPort": 9000})), &pod), Some(9000));
    assert_eq!(resolve_port(&port(json!({"port": 80, "targetPort": "http"})), &pod), Some(8080));
    assert_eq!(resolve_port(&port(json!({"port": 53, "targetPort": "dns"})), &pod), None);
    assert_eq!(resolve_port(&port(json!({"port": 53, "targetPort": "dns", "protocol": "UDP"})), &pod), Some(53));
    assert_eq!(resolve_port(&port(json!({"port": 80, "targetPort": ""})), &pod), None);
}

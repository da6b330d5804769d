use std::time::Duration;

use serde_json::{Value, json};

use super::*;

fn pod(containers: Value, annotations: Value) -> Pod {
    serde_json::from_value(json!({
        "metadata": { "name": "web-1", "namespace": "default", "annotations": annotations },
        "spec": { "nodeName": "node-1", "containers": containers },
        "status": { "phase": "Pending" },
    }))
    .expect("a pod")
}

fn ip() -> Option<IpAddr> {
    "10.0.1.9".parse().ok()
}

fn app(probes: Value) -> Value {
    let mut container = json!({ "name": "app", "image": "nginx", "ports": [{ "containerPort": 80, "name": "http" }] });
    for (key, probe) in probes.as_object().expect("probes") {
        container[key] = probe.clone();
    }
    json!([container])
}

async fn check(probe: Value, annotations: Value, expect: Option<&str>) {
    let pod = pod(app(json!({ "readinessProbe": probe })), annotations);
    let found = failures(&pod, ip()).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].readiness.as_ref().map(|failure| failure.detail.as_str()), expect, "{probe}");
    assert_eq!(found[0].liveness, None);
}

#[tokio::test]
async fn http_and_tcp_probes_go_through_the_pods_ports() {
    check(json!({ "httpGet": { "path": "/healthz", "port": 80 } }), json!({}), None).await;
    check(json!({ "httpGet": { "path": "/healthz", "port": "http" } }), json!({}), None).await;
    check(json!({ "httpGet": { "port": "80" } }), json!({}), None).await;
    check(json!({ "tcpSocket": { "port": 80 } }), json!({}), None).await;
    // A port the container does not declare is still served when a probe checks it (health ports often are not
    // declared); a refused connection's wording is the kubelet's.
    check(json!({ "httpGet": { "path": "/healthz", "port": 81 } }), json!({}), None).await;
    check(json!({ "tcpSocket": { "port": 81 } }), json!({}), None).await;
    assert_eq!(traffic::dial_error(ip(), 81), "dial tcp 10.0.1.9:81: connect: connection refused");
    check(
        json!({ "httpGet": { "port": "metrics" } }),
        json!({}),
        Some("errored and resulted in unknown state: strconv.Atoi: parsing \"metrics\": invalid syntax"),
    )
    .await;
    check(
        json!({ "httpGet": { "port": 0 } }),
        json!({}),
        Some("errored and resulted in unknown state: invalid port number: 0"),
    )
    .await;
    check(
        json!({ "tcpSocket": { "port": 70000 } }),
        json!({}),
        Some("errored and resulted in unknown state: invalid port number: 70000"),
    )
    .await;
    // The pod's answer decides: from 200 to 399 succeeds.
    check(json!({ "httpGet": { "port": 80 } }), json!({ "ekslite.dev/http-status": "302" }), None).await;
    check(
        json!({ "httpGet": { "port": 80 } }),
        json!({ "ekslite.dev/http-status": "503" }),
        Some("failed: HTTP probe failed with statuscode: 503"),
    )
    .await;
    // exec and grpc probes keep succeeding.
    check(json!({ "exec": { "command": ["true"] } }), json!({}), None).await;
    check(json!({ "grpc": { "port": 81 } }), json!({}), None).await;
    // A path that is no URL errors instead of panicking.
    let found = failures(
        &pod(app(json!({ "readinessProbe": { "httpGet": { "port": 80, "path": "/a b" } } })), json!({})),
        ip(),
    )
    .await;
    assert!(found[0].readiness.as_ref().unwrap().detail.starts_with("errored and resulted in unknown state: parse"));
}

#[tokio::test]
async fn liveness_and_startup_failures_kill_after_the_threshold() {
    let probes = json!({
        "livenessProbe": { "httpGet": { "port": 81 }, "initialDelaySeconds": 5, "periodSeconds": 2,
                           "failureThreshold": 4 },
        "startupProbe": { "httpGet": { "port": 82 } },
    });
    let found = failures(&pod(app(probes), json!({ "ekslite.dev/http-status": "500" })), ip()).await;
    let liveness = found[0].liveness.as_ref().expect("fails");
    assert_eq!(liveness.kill_after, Some(Duration::from_secs(11)));
    // kubelet's defaults: every 10 s, three failures in a row.
    let startup = found[0].startup.as_ref().expect("fails");
    assert_eq!(startup.kill_after, Some(Duration::from_secs(20)));
    // A probe that errors kills nothing: kubelet throws its results away.
    let found =
        failures(&pod(app(json!({ "livenessProbe": { "httpGet": { "port": "nope" } } })), json!({})), ip()).await;
    assert_eq!(found[0].liveness.as_ref().unwrap().kill_after, None);
}

#[tokio::test]
async fn pods_without_network_probes_are_not_probed() {
    let found = failures(&pod(json!([{ "name": "a" }, { "name": "b" }]), json!({})), ip()).await;
    assert_eq!(found, vec![ContainerProbeFailures::default(); 2]);
    assert!(failures(&Pod::default(), None).await.is_empty());
}

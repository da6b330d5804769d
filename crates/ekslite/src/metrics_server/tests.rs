use std::collections::BTreeMap;

use node_agent::usage::{ContainerUsage, NodeUsage, PodUsage, UsageSnapshot};
use serde_json::json;

use super::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn snapshot() -> UsageSnapshot {
    let at = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let pod = |namespace: &str, name: &str, app: &str, cpu: u64| PodUsage {
        namespace: namespace.into(),
        name: name.into(),
        node: "ip-10-0-1-5.ec2.internal".into(),
        labels: labels(&[("app", app)]),
        containers: vec![ContainerUsage { name: "app".into(), cpu_nanocores: cpu, memory_bytes: 64 << 20 }],
        start: at,
    };
    UsageSnapshot {
        at,
        nodes: vec![NodeUsage {
            name: "ip-10-0-1-5.ec2.internal".into(),
            labels: labels(&[("kubernetes.io/os", "linux")]),
            cpu_nanocores: 1_250_000_000,
            memory_bytes: 1_593_728 * 1024,
        }],
        pods: vec![
            pod("default", "web-1", "web", 450_000_000),
            pod("default", "db-1", "db", 1_234_567),
            pod("other", "web-2", "web", 0),
        ],
    }
}

fn server() -> MetricsServer {
    MetricsServer { port: 10250, resolution: Duration::from_secs(15) }
}

fn get(path: &str, query: &str) -> (u16, Value) {
    answer("GET", path, query, server(), || Some(snapshot()))
}

#[test]
fn quantities_are_written_in_their_canonical_forms() {
    assert_eq!(cpu_quantity(0), "0");
    assert_eq!(cpu_quantity(250_000_000), "250m");
    assert_eq!(cpu_quantity(2_000_000_000), "2");
    assert_eq!(cpu_quantity(48_243_902), "48243902n");
    assert_eq!(cpu_quantity(5_000), "5u");
    assert_eq!(memory_quantity(1_593_728 * 1024), "1593728Ki");
    assert_eq!(memory_quantity(2 << 30), "2Gi");
    assert_eq!(memory_quantity(1000), "1000");
    assert_eq!(memory_quantity(u64::MAX), u64::MAX.to_string());
}

#[test]
fn the_image_and_arguments_make_a_metrics_server() {
    let container = |image: &str, args: &[&str]| Container {
        name: "metrics-server".into(),
        image: Some(image.into()),
        args: Some(args.iter().map(|a| (*a).to_owned()).collect()),
        ..Container::default()
    };
    let eks = container("602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/metrics-server:v0.8.0-eksbuild.1", &[]);
    assert_eq!(MetricsServer::of(&eks), Some(server()));
    let chart = container(
        "registry.k8s.io/metrics-server/metrics-server:v0.8.0",
        &["--secure-port=10251", "--metric-resolution=1m30s", "--kubelet-insecure-tls"],
    );
    assert_eq!(MetricsServer::of(&chart), Some(MetricsServer { port: 10251, resolution: Duration::from_secs(90) }));
    let pinned = container("registry.k8s.io/metrics-server/metrics-server@sha256:abc", &["--metric-resolution=x"]);
    assert_eq!(MetricsServer::of(&pinned), Some(server()), "a bad flag keeps the default");
    assert_eq!(MetricsServer::of(&container("nginx:1.27", &[])), None);
    assert_eq!(MetricsServer::of(&container("example.com/metrics-server-exporter:1", &[])), None);
}

#[test]
fn discovery_documents_name_the_two_resources() {
    let (code, list) = get("/apis/metrics.k8s.io/v1beta1", "");
    assert_eq!(code, 200);
    assert_eq!(list["groupVersion"], GROUP_VERSION);
    let names: Vec<&str> = list["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["nodes", "pods"]);
    assert_eq!(get("/apis/metrics.k8s.io", "").1["preferredVersion"]["version"], "v1beta1");
    assert_eq!(get("/apis/metrics.k8s.io/v1", "").0, 404);
    assert_eq!(get("/healthz", "").0, 404);
}

#[test]
fn node_and_pod_metrics_are_listed_and_selected() {
    let (code, nodes) = get("/apis/metrics.k8s.io/v1beta1/nodes", "");
    assert_eq!(code, 200);
    assert_eq!(nodes["kind"], "NodeMetricsList");
    let node = &nodes["items"][0];
    assert_eq!(node["usage"], json!({ "cpu": "1250m", "memory": "1593728Ki" }));
    assert_eq!(node["window"], "15s");
    assert_eq!(node["timestamp"], "2027-01-15T08:00:00Z");

    let (_, pods) = get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods", "labelSelector=app%3Dweb");
    let names: Vec<&str> =
        pods["items"].as_array().unwrap().iter().map(|p| p["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["web-1"]);
    assert_eq!(pods["items"][0]["containers"][0]["usage"]["cpu"], "450m");

    let (_, all) = get("/apis/metrics.k8s.io/v1beta1/pods", "labelSelector=app+in+(web,db)");
    assert_eq!(all["items"].as_array().unwrap().len(), 3);
    let (_, named) = get("/apis/metrics.k8s.io/v1beta1/pods", "fieldSelector=metadata.namespace%21%3Ddefault");
    assert_eq!(named["items"][0]["metadata"]["name"], "web-2");

    let (code, one) = get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/db-1", "");
    assert_eq!((code, one["kind"].as_str()), (200, Some("PodMetrics")));
    assert_eq!(one["containers"][0]["usage"]["cpu"], "1234567n");
}

#[test]
fn bad_requests_get_kubernetes_statuses() {
    let (code, missing) = get("/apis/metrics.k8s.io/v1beta1/nodes/nope", "");
    assert_eq!(code, 404);
    assert_eq!(missing["message"], "nodemetrics.metrics.k8s.io \"nope\" not found");
    let (code, missing) = get("/apis/metrics.k8s.io/v1beta1/namespaces/other/pods/web-1", "");
    assert_eq!((code, missing["reason"].as_str()), (404, Some("NotFound")));
    let (code, bad) = get("/apis/metrics.k8s.io/v1beta1/pods", "labelSelector=a%3D%3D%3Db%2C%2C");
    assert_eq!((code, bad["reason"].as_str()), (400, Some("BadRequest")));
    let (code, _) = get("/apis/metrics.k8s.io/v1beta1/pods", "fieldSelector=spec.nodeName%3Dx");
    assert_eq!(code, 400);
    let huge = "a".repeat(100_000);
    let (code, _) = get(&format!("/apis/metrics.k8s.io/v1beta1/nodes/{huge}"), &format!("labelSelector={huge}"));
    assert_eq!(code, 400, "a label key over 63 characters is refused");
    let (code, _) = answer("DELETE", "/apis/metrics.k8s.io/v1beta1/nodes", "", server(), || Some(snapshot()));
    assert_eq!(code, 405);
    let (code, empty) = answer("GET", "/apis/metrics.k8s.io/v1beta1/nodes", "", server(), || None);
    assert_eq!((code, empty["items"].as_array().map(Vec::len)), (200, Some(0)));
}

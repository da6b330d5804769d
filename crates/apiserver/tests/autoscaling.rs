//! HorizontalPodAutoscalers through `autoscaling/v1` and `autoscaling/v2`: one object, stored as v2, read and
//! written through either version, with v1's annotations carrying what it has no field for.

use std::sync::Arc;
use std::time::Duration;

use apiserver::{ControlPlanes, Identity, LocalService};
use axum::body::Body;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use store::Store;
use tower_service::Service;

const V1: &str = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers";
const V2: &str = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers";
const METRICS: &str = "autoscaling.alpha.kubernetes.io/metrics";
const CONDITIONS: &str = "autoscaling.alpha.kubernetes.io/conditions";
const CURRENT_METRICS: &str = "autoscaling.alpha.kubernetes.io/current-metrics";

struct Cluster {
    store: Arc<store::MemoryStore>,
    _planes: ControlPlanes,
    admin: LocalService,
}

async fn cluster() -> Cluster {
    let store = Arc::new(store::MemoryStore::new());
    let planes = ControlPlanes::new(Arc::clone(&store) as _);
    planes.create("test", None).await.expect("create a cluster");
    let identity = Identity::Certificate { user: "admin".into(), groups: vec!["system:masters".into()] };
    let admin = LocalService::new(planes.api("test").expect("running"), identity);
    Cluster { store, _planes: planes, admin }
}

async fn call(service: &mut LocalService, method: &str, path: &str, content_type: &str, body: &Value) -> (u16, Value) {
    let body = if body.is_null() { Vec::new() } else { serde_json::to_vec(body).expect("JSON") };
    let request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("a request");
    let response = service.call(request).await.expect("infallible");
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.expect("a body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn send(service: &mut LocalService, method: &str, path: &str, content_type: &str, body: Value) -> Value {
    let (status, answer) = call(service, method, path, content_type, &body).await;
    assert!(status == 200 || status == 201, "{method} {path}: {status} {answer}");
    answer
}

async fn get(service: &mut LocalService, path: &str) -> Value {
    send(service, "GET", path, "application/json", Value::Null).await
}

/// The stored JSON of the autoscaler `name`.
async fn stored(store: &store::MemoryStore, name: &str) -> Value {
    let key = stored_key(store, name).await;
    let kv = store.get(&key, None).await.expect("read").expect("stored");
    serde_json::from_slice(&kv.value).expect("JSON")
}

async fn stored_key(store: &store::MemoryStore, name: &str) -> String {
    let page = store.list("/clusters/", store::ListOptions::default()).await.expect("list");
    let namespaces = page
        .items
        .iter()
        .find(|kv| kv.key.ends_with("/registry/namespaces/default"))
        .expect("the default namespace is stored");
    let prefix = namespaces.key.strip_suffix("namespaces/default").expect("a registry key");
    format!("{prefix}autoscaling/horizontalpodautoscalers/default/{name}")
}

fn v1_autoscaler(name: &str) -> Value {
    json!({
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": { "name": name },
        "spec": {
            "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "web" },
            "minReplicas": 1,
            "maxReplicas": 5,
            "targetCPUUtilizationPercentage": 60,
        },
    })
}

fn v2_autoscaler(name: &str) -> Value {
    json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": { "name": name },
        "spec": {
            "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "web" },
            "minReplicas": 2,
            "maxReplicas": 8,
            "metrics": [
                { "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": 50 } } },
                { "type": "Resource", "resource": { "name": "memory", "target": { "type": "AverageValue", "averageValue": "256Mi" } } },
            ],
            "behavior": { "scaleDown": { "stabilizationWindowSeconds": 120, "selectPolicy": "Max",
                                         "policies": [{ "type": "Pods", "value": 1, "periodSeconds": 60 }] } },
        },
    })
}

fn annotation(object: &Value, name: &str) -> Value {
    let text = object["metadata"]["annotations"][name].as_str().unwrap_or_else(|| panic!("{name} in {object}"));
    serde_json::from_str(text).expect("JSON annotation")
}

#[tokio::test]
async fn an_autoscaler_created_through_v1_is_stored_and_read_as_v2() {
    let Cluster { store, _planes, mut admin } = cluster().await;
    let mut created = v1_autoscaler("web");
    created["metadata"]["annotations"] = json!({
        METRICS: json!([{ "type": "Pods", "pods": { "metricName": "rps", "targetAverageValue": "20" } }]).to_string(),
    });
    let answer = send(&mut admin, "POST", V1, "application/json", created).await;
    assert_eq!(answer["apiVersion"], "autoscaling/v1");
    assert_eq!(answer["spec"]["targetCPUUtilizationPercentage"], 60);
    assert_eq!(annotation(&answer, METRICS)[0]["pods"]["metricName"], "rps");

    let raw = stored(&store, "web").await;
    assert_eq!(raw["apiVersion"], "autoscaling/v2");
    assert!(raw["metadata"].get("annotations").is_none(), "{raw}");

    let v2 = get(&mut admin, &format!("{V2}/web")).await;
    assert_eq!(v2["apiVersion"], "autoscaling/v2");
    assert!(v2["spec"].get("targetCPUUtilizationPercentage").is_none());
    assert!(v2["metadata"].get("annotations").is_none(), "{v2}");
    assert_eq!(
        v2["spec"]["metrics"],
        json!([
            { "type": "Pods", "pods": { "metric": { "name": "rps" }, "target": { "type": "AverageValue", "averageValue": "20" } } },
            { "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": 60 } } },
        ])
    );

    // Without a target, v2's default.
    let mut bare = v1_autoscaler("bare");
    bare["spec"].as_object_mut().expect("spec").remove("targetCPUUtilizationPercentage");
    let answer = send(&mut admin, "POST", V1, "application/json", bare).await;
    assert_eq!(answer["spec"]["targetCPUUtilizationPercentage"], 80, "{answer}");
    let v2 = get(&mut admin, &format!("{V2}/bare")).await;
    assert_eq!(v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 80);
}

#[tokio::test]
async fn status_written_through_v2_reads_through_v1() {
    let Cluster { store: _store, _planes, mut admin } = cluster().await;
    send(&mut admin, "POST", V2, "application/json", v2_autoscaler("web")).await;
    let v1 = get(&mut admin, &format!("{V1}/web")).await;
    assert_eq!(v1["apiVersion"], "autoscaling/v1");
    assert_eq!(v1["spec"]["targetCPUUtilizationPercentage"], 50);
    assert_eq!(annotation(&v1, METRICS)[0]["resource"]["name"], "memory");
    assert_eq!(
        annotation(&v1, "autoscaling.alpha.kubernetes.io/behavior")["ScaleDown"]["StabilizationWindowSeconds"],
        120
    );
    assert_eq!(v1["status"], json!({ "currentReplicas": 0, "desiredReplicas": 0 }));

    let conditions = json!([{ "type": "ScalingActive", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z",
                              "reason": "ValidMetricFound", "message": "the HPA was able to compute the replica count" }]);
    let mut status = get(&mut admin, &format!("{V2}/web")).await;
    status["status"] = json!({
        "currentReplicas": 3,
        "desiredReplicas": 4,
        "currentMetrics": [
            { "type": "Resource", "resource": { "name": "cpu", "current": { "averageUtilization": 75, "averageValue": "150m" } } },
        ],
        "conditions": conditions,
    });
    let answer = send(&mut admin, "PUT", &format!("{V2}/web/status"), "application/json", status).await;
    assert_eq!(answer["status"]["currentMetrics"][0]["resource"]["current"]["averageUtilization"], 75);

    let v1 = get(&mut admin, &format!("{V1}/web")).await;
    assert_eq!(v1["status"]["currentCPUUtilizationPercentage"], 75);
    assert_eq!(v1["status"]["currentReplicas"], 3);
    assert_eq!(v1["status"]["desiredReplicas"], 4);
    assert_eq!(annotation(&v1, CONDITIONS), conditions);
    assert_eq!(annotation(&v1, CURRENT_METRICS)[0]["resource"]["currentAverageValue"], "150m");

    // A status write through v1 changes the conditions its annotation carries.
    let mut v1_status = v1.clone();
    let newer = json!([{ "type": "AbleToScale", "status": "False", "lastTransitionTime": "2026-01-02T00:00:00Z",
                         "reason": "FailedGetScale", "message": "no scale" }]);
    v1_status["metadata"]["annotations"][CONDITIONS] = json!(newer.to_string());
    v1_status["status"]["desiredReplicas"] = json!(2);
    send(&mut admin, "PUT", &format!("{V1}/web/status"), "application/json", v1_status).await;
    let v2 = get(&mut admin, &format!("{V2}/web")).await;
    assert_eq!(v2["status"]["conditions"], newer);
    assert_eq!(v2["status"]["desiredReplicas"], 2);
    assert_eq!(v2["status"]["currentMetrics"][0]["resource"]["current"]["averageValue"], "150m");
    assert!(v2["metadata"].get("annotations").is_none(), "{v2}");
}

#[tokio::test]
async fn a_merge_patch_through_v1_keeps_what_only_v2_has() {
    let Cluster { store, _planes, mut admin } = cluster().await;
    send(&mut admin, "POST", V2, "application/json", v2_autoscaler("web")).await;
    // `kubectl patch hpa web --type merge` through v1.
    let patch = json!({ "spec": { "targetCPUUtilizationPercentage": 70, "maxReplicas": 9 } });
    let answer = send(&mut admin, "PATCH", &format!("{V1}/web"), "application/merge-patch+json", patch).await;
    assert_eq!(answer["apiVersion"], "autoscaling/v1");
    assert_eq!(answer["spec"]["targetCPUUtilizationPercentage"], 70);

    let v2 = get(&mut admin, &format!("{V2}/web")).await;
    assert_eq!(v2["spec"]["maxReplicas"], 9);
    let metrics = v2["spec"]["metrics"].as_array().expect("metrics");
    assert_eq!(metrics.len(), 2, "{v2}");
    assert!(metrics.iter().any(|m| m["resource"]["name"] == "memory"));
    assert!(metrics.iter().any(|m| m["resource"]["target"]["averageUtilization"] == 70));
    assert_eq!(v2["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"], 120);
    assert_eq!(stored(&store, "web").await["apiVersion"], "autoscaling/v2");

    // A v1 update of what it read changes only what it says.
    let mut v1 = get(&mut admin, &format!("{V1}/web")).await;
    v1["spec"]["minReplicas"] = json!(3);
    send(&mut admin, "PUT", &format!("{V1}/web"), "application/json", v1).await;
    let v2 = get(&mut admin, &format!("{V2}/web")).await;
    assert_eq!(v2["spec"]["minReplicas"], 3);
    assert_eq!(v2["spec"]["metrics"].as_array().map(Vec::len), Some(2));
    assert_eq!(v2["spec"]["behavior"]["scaleDown"]["policies"][0]["type"], "Pods");
}

#[tokio::test]
async fn lists_and_tables_convert_every_item() {
    let Cluster { store: _store, _planes, mut admin } = cluster().await;
    send(&mut admin, "POST", V1, "application/json", v1_autoscaler("one")).await;
    send(&mut admin, "POST", V2, "application/json", v2_autoscaler("two")).await;
    for (path, version) in [(V1, "autoscaling/v1"), (V2, "autoscaling/v2")] {
        for query in ["", "?limit=1", "?labelSelector=x!%3Dy"] {
            let list = get(&mut admin, &format!("{path}{query}")).await;
            assert_eq!(list["apiVersion"], version);
            let items = list["items"].as_array().expect("items");
            assert!(!items.is_empty());
            for item in items {
                assert_eq!(item["apiVersion"], version, "{query}: {item}");
                assert_eq!(item["spec"].get("metrics").is_some(), version == "autoscaling/v2", "{item}");
            }
        }
    }
    let request = axum::http::Request::builder()
        .uri(V1)
        .header("accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
        .body(Body::empty())
        .expect("a request");
    let response = admin.call(request).await.expect("infallible");
    let bytes = response.into_body().collect().await.expect("a body").to_bytes();
    let table: Value = serde_json::from_slice(&bytes).expect("a table");
    let targets: Vec<&str> =
        table["rows"].as_array().expect("rows").iter().filter_map(|r| r["cells"][2].as_str()).collect();
    assert_eq!(targets, ["cpu: <unknown>/60%", "cpu: <unknown>/50%"], "{table}");
}

/// Reads watch events from `body` until `count` have come, or fails after a deadline.
async fn events(body: &mut Body, count: usize) -> Vec<Value> {
    let mut buffer = Vec::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while events.len() < count {
        let frame = tokio::time::timeout_at(deadline, body.frame()).await.expect("events before the deadline");
        let data = frame.expect("the stream goes on").expect("a frame").into_data().unwrap_or_default();
        buffer.extend_from_slice(&data);
        while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            events.push(serde_json::from_slice(&line).expect("a JSON event"));
        }
    }
    events
}

async fn watch(service: &mut LocalService, path: &str) -> Body {
    let request =
        axum::http::Request::builder().uri(format!("{path}?watch=true")).body(Body::empty()).expect("a request");
    let response = service.call(request).await.expect("infallible");
    assert_eq!(response.status(), 200);
    response.into_body()
}

#[tokio::test]
async fn watches_convert_every_event() {
    let Cluster { store: _store, _planes, mut admin } = cluster().await;
    send(&mut admin, "POST", V1, "application/json", v1_autoscaler("one")).await;
    let mut through_v1 = watch(&mut admin, V1).await;
    let mut through_v2 = watch(&mut admin, V2).await;
    let initial = events(&mut through_v1, 1).await;
    assert_eq!(
        (initial[0]["type"].as_str(), initial[0]["object"]["apiVersion"].as_str()),
        (Some("ADDED"), Some("autoscaling/v1"))
    );
    assert_eq!(initial[0]["object"]["spec"]["targetCPUUtilizationPercentage"], 60);
    let initial = events(&mut through_v2, 1).await;
    assert_eq!(initial[0]["object"]["apiVersion"], "autoscaling/v2");
    assert_eq!(initial[0]["object"]["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 60);

    send(&mut admin, "POST", V2, "application/json", v2_autoscaler("two")).await;
    let patch = json!({ "spec": { "targetCPUUtilizationPercentage": 65 } });
    send(&mut admin, "PATCH", &format!("{V1}/one"), "application/merge-patch+json", patch).await;
    send(&mut admin, "DELETE", &format!("{V2}/two"), "application/json", Value::Null).await;

    let seen = events(&mut through_v1, 3).await;
    let summary: Vec<(&str, &str)> = seen
        .iter()
        .map(|e| (e["type"].as_str().unwrap_or(""), e["object"]["metadata"]["name"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(summary, [("ADDED", "two"), ("MODIFIED", "one"), ("DELETED", "two")]);
    assert!(seen.iter().all(|e| e["object"]["apiVersion"] == "autoscaling/v1"), "{seen:?}");
    assert_eq!(seen[0]["object"]["spec"]["targetCPUUtilizationPercentage"], 50);
    assert_eq!(annotation(&seen[0]["object"], METRICS)[0]["resource"]["name"], "memory");
    assert_eq!(seen[1]["object"]["spec"]["targetCPUUtilizationPercentage"], 65);

    let seen = events(&mut through_v2, 3).await;
    assert!(seen.iter().all(|e| e["object"]["apiVersion"] == "autoscaling/v2"), "{seen:?}");
    assert_eq!(seen[1]["object"]["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 65);
    assert!(seen.iter().all(|e| e["object"]["metadata"].get("annotations").is_none()), "{seen:?}");
}

#[tokio::test]
async fn an_autoscaler_stored_as_v1_by_an_earlier_server_reads_through_both_versions() {
    let Cluster { store, _planes, mut admin } = cluster().await;
    let mut old = v1_autoscaler("old");
    old["metadata"]["namespace"] = json!("default");
    old["metadata"]["uid"] = json!("7d0c3c5e-0000-4000-8000-000000000001");
    old["metadata"]["annotations"] =
        json!({ CONDITIONS: json!([{ "type": "AbleToScale", "status": "True" }]).to_string() });
    old["status"] = json!({ "currentReplicas": 2, "desiredReplicas": 2, "currentCPUUtilizationPercentage": 40 });
    let key = stored_key(&store, "old").await;
    store.create(&key, serde_json::to_vec(&old).expect("JSON").into()).await.expect("stored");

    let v2 = get(&mut admin, &format!("{V2}/old")).await;
    assert_eq!(v2["apiVersion"], "autoscaling/v2");
    assert_eq!(v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 60);
    assert_eq!(v2["status"]["currentMetrics"][0]["resource"]["current"]["averageUtilization"], 40);
    assert_eq!(v2["status"]["conditions"][0]["type"], "AbleToScale");
    assert!(v2["metadata"].get("annotations").is_none());
    let v1 = get(&mut admin, &format!("{V1}/old")).await;
    assert_eq!(v1["apiVersion"], "autoscaling/v1");
    assert_eq!(v1["spec"]["targetCPUUtilizationPercentage"], 60);
    assert_eq!(v1["status"]["currentCPUUtilizationPercentage"], 40);
    let list = get(&mut admin, V2).await;
    assert_eq!(list["items"][0]["apiVersion"], "autoscaling/v2");

    // Deleting it with a finalizer through v1 rewrites it, as v2.
    let patch = json!({ "metadata": { "finalizers": ["example.com/hold"] } });
    send(&mut admin, "PATCH", &format!("{V1}/old"), "application/merge-patch+json", patch).await;
    let answer = send(&mut admin, "DELETE", &format!("{V1}/old"), "application/json", Value::Null).await;
    assert_eq!(answer["apiVersion"], "autoscaling/v1");
    let raw = stored(&store, "old").await;
    assert_eq!(raw["apiVersion"], "autoscaling/v2");
    assert!(raw["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(raw["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 60);
    assert_eq!(raw["status"]["conditions"][0]["type"], "AbleToScale");
}

#[tokio::test]
async fn writes_through_v1_are_validated_as_v2() {
    let Cluster { store: _store, _planes, mut admin } = cluster().await;
    let mut inverted = v1_autoscaler("web");
    inverted["spec"]["minReplicas"] = json!(5);
    inverted["spec"]["maxReplicas"] = json!(2);
    let (status, refused) = call(&mut admin, "POST", V1, "application/json", &inverted).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["details"]["causes"][0]["field"], "spec.maxReplicas", "{refused}");

    send(&mut admin, "POST", V1, "application/json", v1_autoscaler("web")).await;
    let patch = json!({ "metadata": { "annotations": { METRICS: json!([{ "type": "Unknown" }]).to_string() } } });
    let (status, refused) =
        call(&mut admin, "PATCH", &format!("{V1}/web"), "application/merge-patch+json", &patch).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["details"]["causes"][0]["field"], "spec.metrics[0].type", "{refused}");
    // Nothing changed.
    let v2 = get(&mut admin, &format!("{V2}/web")).await;
    assert_eq!(v2["spec"]["metrics"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn server_side_apply_through_v1_creates_and_changes_the_v2_object() {
    let Cluster { store, _planes, mut admin } = cluster().await;
    let path = format!("{V1}/web?fieldManager=kubectl");
    let mut applied = v1_autoscaler("web");
    let answer = send(&mut admin, "PATCH", &path, "application/apply-patch+yaml", applied.clone()).await;
    assert_eq!(answer["apiVersion"], "autoscaling/v1");
    applied["spec"]["targetCPUUtilizationPercentage"] = json!(45);
    let answer = send(&mut admin, "PATCH", &path, "application/apply-patch+yaml", applied).await;
    assert_eq!(answer["spec"]["targetCPUUtilizationPercentage"], 45, "{answer}");
    let raw = stored(&store, "web").await;
    assert_eq!(raw["apiVersion"], "autoscaling/v2");
    assert_eq!(raw["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 45);
}

//! The pods' `ephemeralcontainers` subresource: how `kubectl debug` adds a container to a running pod.

use std::sync::Arc;

use apiserver::{ControlPlanes, Identity, LocalService};
use axum::body::Body;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower_service::Service;

async fn admin() -> (ControlPlanes, LocalService) {
    let planes = ControlPlanes::new(Arc::new(store::MemoryStore::new()));
    planes.create("test", None).await.expect("create a cluster");
    let identity = Identity::Certificate { user: "admin".into(), groups: vec!["system:masters".into()] };
    let admin = LocalService::new(planes.api("test").expect("running"), identity);
    (planes, admin)
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

const PODS: &str = "/api/v1/namespaces/default/pods";
const JSON: &str = "application/json";
const STRATEGIC: &str = "application/strategic-merge-patch+json";

fn debugger(name: &str) -> Value {
    json!({ "name": name, "image": "busybox", "targetContainerName": "app", "stdin": true, "tty": true })
}

#[tokio::test]
async fn ephemeral_containers_are_only_added() {
    let (_planes, mut admin) = admin().await;
    let pod = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "web" },
                      "spec": { "containers": [{ "name": "app", "image": "nginx" }] } });
    assert_eq!(call(&mut admin, "POST", PODS, JSON, &pod).await.0, 201);
    let path = format!("{PODS}/web/ephemeralcontainers");

    // GET answers the pod.
    let (status, current) = call(&mut admin, "GET", &path, JSON, &Value::Null).await;
    assert_eq!((status, current["kind"].as_str()), (200, Some("Pod")), "{current}");

    // A strategic merge patch, as kubectl debug sends it, adds a defaulted container and changes nothing else.
    let patch = json!({ "metadata": { "labels": { "sneaky": "yes" } },
                        "spec": { "ephemeralContainers": [debugger("debugger-1")] } });
    let (status, patched) = call(&mut admin, "PATCH", &path, STRATEGIC, &patch).await;
    assert_eq!(status, 200, "{patched}");
    let added = &patched["spec"]["ephemeralContainers"][0];
    assert_eq!(
        (added["name"].as_str(), added["terminationMessagePolicy"].as_str()),
        (Some("debugger-1"), Some("File"))
    );
    assert!(patched["metadata"]["labels"].get("sneaky").is_none(), "{patched}");

    // A second one merges by name beside the first.
    let patch = json!({ "spec": { "ephemeralContainers": [debugger("debugger-2")] } });
    let (status, patched) = call(&mut admin, "PATCH", &path, STRATEGIC, &patch).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["spec"]["ephemeralContainers"].as_array().map(Vec::len), Some(2));

    // A PUT that drops one is refused, and so is one that changes one.
    let mut removed = patched.clone();
    removed["spec"]["ephemeralContainers"].as_array_mut().expect("a list").pop();
    let (status, refused) = call(&mut admin, "PUT", &path, JSON, &removed).await;
    assert_eq!((status, refused["reason"].as_str()), (422, Some("Invalid")), "{refused}");
    assert_eq!(
        refused["message"],
        "Pod \"web\" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers \"debugger-2\" may not be removed\n"
    );
    let mut changed = patched.clone();
    changed["spec"]["ephemeralContainers"][0]["image"] = json!("alpine");
    let (status, refused) = call(&mut admin, "PUT", &path, JSON, &changed).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["message"].as_str().is_some_and(|m| m.contains("may not be changed")), "{refused}");

    // A stale resourceVersion conflicts.
    let mut stale = patched.clone();
    stale["metadata"]["resourceVersion"] = json!("1");
    stale["spec"]["ephemeralContainers"].as_array_mut().expect("a list").push(debugger("debugger-3"));
    assert_eq!(call(&mut admin, "PUT", &path, JSON, &stale).await.0, 409);

    // Names are unique across every container, and ports are not for ephemeral containers.
    let patch = json!({ "spec": { "ephemeralContainers": [{ "name": "app", "image": "busybox",
                                                             "ports": [{ "containerPort": 80 }] }] } });
    let (status, refused) = call(&mut admin, "PATCH", &path, STRATEGIC, &patch).await;
    assert_eq!(status, 422, "{refused}");
    let fields: Vec<&str> =
        refused["details"]["causes"].as_array().expect("causes").iter().filter_map(|c| c["field"].as_str()).collect();
    assert!(
        fields.contains(&"spec.ephemeralContainers[2].name") && fields.contains(&"spec.ephemeralContainers[2].ports"),
        "{refused}"
    );

    // Bad bodies are the client's error.
    assert_eq!(call(&mut admin, "PATCH", &path, STRATEGIC, &json!("garbage")).await.0 / 100, 4);
    assert_eq!(call(&mut admin, "PATCH", &path, "text/plain", &json!({})).await.0, 415);
    assert_eq!(call(&mut admin, "POST", &path, JSON, &json!({})).await.0, 405);
    assert_eq!(call(&mut admin, "GET", &format!("{PODS}/nope/ephemeralcontainers"), JSON, &Value::Null).await.0, 404);

    // A plain update of the pod cannot add one.
    let (_, mut current) = call(&mut admin, "GET", &format!("{PODS}/web"), JSON, &Value::Null).await;
    current["spec"]["ephemeralContainers"].as_array_mut().expect("a list").push(debugger("debugger-4"));
    let (status, refused) = call(&mut admin, "PUT", &format!("{PODS}/web"), JSON, &current).await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["message"].as_str().is_some_and(|m| m.contains("Forbidden: pod updates may not change fields")),
        "{refused}"
    );

    // Discovery lists the subresource.
    let (_, resources) = call(&mut admin, "GET", "/api/v1", JSON, &Value::Null).await;
    let entry = resources["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["name"] == "pods/ephemeralcontainers")
        .cloned();
    assert_eq!(entry.map(|e| e["verbs"].clone()), Some(json!(["get", "patch", "update"])));
}

//! Large writes are worked on off the runtime's worker threads: on the server's multi-threaded runtime a pod of
//! thousands of containers is admitted (and a small request answered meanwhile), and a refused one leaves nothing.

use std::sync::Arc;

use apiserver::{ControlPlanes, Identity, LocalService};
use axum::body::Body;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower_service::Service;

async fn call(service: &mut LocalService, method: &str, path: &str, object: Option<&Value>) -> (u16, Value) {
    let body = object.map_or_else(Vec::new, |object| serde_json::to_vec(object).expect("JSON"));
    let request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("a request");
    let response = service.call(request).await.expect("infallible");
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.expect("a body").to_bytes();
    (status, serde_json::from_slice(&body).expect("a JSON answer"))
}

fn pod(name: &str, containers: usize, image: &str) -> Value {
    let containers: Vec<Value> = (0..containers).map(|i| json!({ "name": format!("c{i}"), "image": image })).collect();
    json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": name }, "spec": { "containers": containers } })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_of_thousands_of_containers_is_admitted_beside_small_requests() {
    let planes = ControlPlanes::new(Arc::new(store::MemoryStore::new()));
    planes.create("test", None).await.expect("create a cluster");
    let identity = Identity::Certificate { user: "admin".into(), groups: vec!["system:masters".into()] };
    let service = LocalService::new(planes.api("test").expect("running"), identity);

    let large = pod("large", 10_000, "nginx");
    assert!(serde_json::to_vec(&large).unwrap().len() > 256 * 1024, "large enough to leave the workers");
    let mut writer = service.clone();
    let write = tokio::spawn(async move {
        call(&mut writer, "POST", "/api/v1/namespaces/default/pods?dryRun=All", Some(&large)).await
    });
    let mut reader = service.clone();
    let (status, namespace) = call(&mut reader, "GET", "/api/v1/namespaces/default", None).await;
    assert_eq!(status, 200, "{namespace}");
    let (status, admitted) = write.await.expect("the write finishes");
    assert_eq!(status, 201, "{}", admitted["message"]);
    assert_eq!(admitted["spec"]["containers"].as_array().map(Vec::len), Some(10_000));

    // A large pod that fails validation is refused whole, and nothing is stored.
    let mut writer = service.clone();
    let (status, refused) =
        call(&mut writer, "POST", "/api/v1/namespaces/default/pods", Some(&pod("bad", 10_000, ""))).await;
    assert_eq!(status, 422, "{refused}");
    let (status, _) = call(&mut writer, "GET", "/api/v1/namespaces/default/pods/bad", None).await;
    assert_eq!(status, 404);
    planes.stop_all().await;
}

//! A pod admission webhook sees every new pod before validation, can change it, and can refuse it.

use std::sync::Arc;

use apiserver::{ControlPlanes, Identity, LocalService, PodAdmission};
use axum::body::Body;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower_service::Service;

#[derive(Debug)]
struct Steer;

#[async_trait::async_trait]
impl PodAdmission for Steer {
    async fn admit(
        &self,
        cluster: &str,
        namespace: &str,
        pod: &mut Value,
        service_account: Option<&Value>,
    ) -> Result<(), String> {
        if pod.pointer("/metadata/labels/refuse").is_some() {
            return Err("refused by the test webhook".into());
        }
        if namespace == "serverless" {
            pod["spec"]["schedulerName"] = json!("fargate-scheduler");
            pod["metadata"]["labels"]["seen-by"] = json!(cluster);
            let account = service_account.and_then(|account| account.pointer("/metadata/name"));
            pod["metadata"]["labels"]["account"] = account.cloned().unwrap_or_default();
        }
        Ok(())
    }
}

async fn post(service: &mut LocalService, path: &str, object: &Value) -> (u16, Value) {
    let request = axum::http::Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(object).expect("JSON")))
        .expect("a request");
    let response = service.call(request).await.expect("infallible");
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.expect("a body").to_bytes();
    (status, serde_json::from_slice(&body).expect("a JSON answer"))
}

#[tokio::test]
async fn the_webhook_changes_and_refuses_new_pods() {
    let planes = ControlPlanes::new(Arc::new(store::MemoryStore::new())).with_pod_admission(Arc::new(Steer));
    planes.create("test", None).await.expect("create a cluster");
    let identity = Identity::Certificate { user: "admin".into(), groups: vec!["system:masters".into()] };
    let mut service = LocalService::new(planes.api("test").expect("running"), identity);
    let namespace = json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "serverless" } });
    assert_eq!(post(&mut service, "/api/v1/namespaces", &namespace).await.0, 201);

    let pod = |name: &str, labels: Value| {
        json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": name, "labels": labels },
                "spec": { "containers": [{ "name": "c", "image": "nginx" }] } })
    };
    let (status, steered) =
        post(&mut service, "/api/v1/namespaces/serverless/pods", &pod("a", json!({ "app": "a" }))).await;
    assert_eq!(status, 201, "{steered}");
    assert_eq!(steered["spec"]["schedulerName"], "fargate-scheduler");
    assert_eq!(steered["metadata"]["labels"]["seen-by"], "test");
    assert_eq!(steered["metadata"]["labels"]["account"], "default", "the hook is given the pod's service account");
    let (_, untouched) = post(&mut service, "/api/v1/namespaces/default/pods", &pod("b", json!({ "app": "b" }))).await;
    assert_eq!(untouched["spec"]["schedulerName"], "default-scheduler");
    let (status, refused) =
        post(&mut service, "/api/v1/namespaces/default/pods", &pod("c", json!({ "refuse": "yes" }))).await;
    assert_eq!(status, 500);
    assert!(refused["message"].as_str().is_some_and(|m| m.contains("refused by the test webhook")), "{refused}");
    planes.stop_all().await;
}

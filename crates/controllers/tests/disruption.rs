//! Disruption budgets against an in-process API server: the controller keeps a budget's status true, and the
//! eviction subresource spends it, refusing with 429 once it is spent.

use std::time::Duration;

use common::{cluster, eventually};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{Api, EvictParams, Patch, PatchParams, PostParams};
use serde_json::json;

mod common;

#[tokio::test]
async fn evictions_spend_the_budget_and_stop_when_it_is_spent() {
    let (planes, client) = cluster().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    for name in ["web-a", "web-b", "web-c"] {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": { "name": name, "labels": { "app": "web" } },
            "spec": { "containers": [{ "name": "c", "image": "nginx" }] },
        }))
        .expect("a pod");
        pods.create(&PostParams::default(), &pod).await.expect("create a pod");
        let running = json!({ "status": { "phase": "Running",
                                          "conditions": [{ "type": "Ready", "status": "True" }] } });
        pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&running)).await.expect("running");
    }
    let budgets: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), "default");
    let budget: PodDisruptionBudget = serde_json::from_value(json!({
        "metadata": { "name": "web" },
        "spec": { "minAvailable": 2, "selector": { "matchLabels": { "app": "web" } } },
    }))
    .expect("a budget");
    budgets.create(&PostParams::default(), &budget).await.expect("create the budget");

    // Before the controller has seen the budget, evictions wait.
    let early = pods.evict("web-a", &EvictParams::default()).await.expect_err("the budget is not processed yet");
    assert!(matches!(early, kube::Error::Api(ref s) if s.code == 429), "{early:?}");

    let controllers = controllers::Controllers::start(client.clone(), controllers::ControllersConfig::default());
    let status = eventually("the budget to settle", Duration::from_secs(20), || async {
        let status = budgets.get("web").await.ok()?.status?;
        (status.disruptions_allowed == 1).then_some(status)
    })
    .await;
    assert_eq!((status.expected_pods, status.current_healthy, status.desired_healthy), (3, 3, 2));
    let condition = &status.conditions.expect("conditions")[0];
    assert_eq!((condition.type_.as_str(), condition.status.as_str()), ("DisruptionAllowed", "True"));

    pods.evict("web-a", &EvictParams::default()).await.expect("the first eviction is allowed");
    assert!(pods.get_opt("web-a").await.expect("get").is_none(), "an unscheduled pod goes at once");
    let refused = pods.evict("web-b", &EvictParams::default()).await.expect_err("the budget is spent");
    let kube::Error::Api(status) = refused else { panic!("an API error: {refused:?}") };
    assert_eq!(status.code, 429);
    assert_eq!(status.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    // The controller recounts: two healthy pods, none to spare.
    let recounted = eventually("the budget to settle", Duration::from_secs(20), || async {
        let status = budgets.get("web").await.ok()?.status?;
        (status.current_healthy == 2 && status.disrupted_pods.is_none()).then_some(status)
    })
    .await;
    assert_eq!(recounted.disruptions_allowed, 0);
    controllers.stop().await;
    planes.stop_all().await;
}

#[tokio::test]
async fn garbage_evictions_are_refused() {
    let (planes, client) = cluster().await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pod: Pod = serde_json::from_value(json!({
        "metadata": { "name": "p" }, "spec": { "containers": [{ "name": "c", "image": "nginx" }] },
    }))
    .expect("a pod");
    pods.create(&PostParams::default(), &pod).await.expect("create a pod");
    let missing = pods.evict("nobody", &EvictParams::default()).await.expect_err("no such pod");
    assert!(matches!(missing, kube::Error::Api(ref s) if s.code == 404), "{missing:?}");
    let request = |body: &str| {
        http::Request::post("/api/v1/namespaces/default/pods/p/eviction")
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec())
            .expect("a request")
    };
    for (body, code) in [
        (r#"{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"other"}}"#, 400),
        (r#"{"apiVersion":"policy/v1","kind":"Pod","metadata":{"name":"p"}}"#, 400),
        (r#"{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p"},"deleteOptions":7}"#, 400),
        ("[1,2]", 400),
        ("{not json", 400),
    ] {
        let error = client.request::<serde_json::Value>(request(body)).await.expect_err(body);
        assert!(matches!(error, kube::Error::Api(ref s) if s.code == code), "{body}: {error:?}");
    }
    assert!(pods.get_opt("p").await.expect("get").is_some(), "nothing was deleted");
    planes.stop_all().await;
}

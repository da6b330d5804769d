//! The APIService availability controller against an in-process API server: the API server's own APIServices
//! are there and available, and a remote one's `Available` condition follows its Service and Endpoints.

use std::time::Duration;

use common::{eventually, object};
use k8s_openapi::api::core::v1::{Endpoints, Service};
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;
use kube::api::{Api, ListParams, PostParams};
use serde_json::json;

mod common;

fn available(api_service: &APIService) -> Option<(String, String)> {
    let conditions = api_service.status.as_ref()?.conditions.as_ref()?;
    let condition = conditions.iter().find(|c| c.type_ == "Available")?;
    Some((condition.status.clone(), condition.reason.clone().unwrap_or_default()))
}

#[tokio::test]
async fn a_remote_api_service_is_available_once_its_service_has_ready_endpoints() {
    let harness = common::start_with(Default::default()).await;
    let client = harness.client.clone();
    let api_services: Api<APIService> = Api::all(client.clone());

    let local = api_services.list(&ListParams::default()).await.expect("list").items;
    let names: Vec<String> = local.iter().map(|a| a.metadata.name.clone().unwrap_or_default()).collect();
    for expected in ["v1.", "v1.apps", "v1.apiregistration.k8s.io", "v2.autoscaling"] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
    }
    let core = local.iter().find(|a| a.metadata.name.as_deref() == Some("v1.")).expect("v1.");
    assert_eq!(available(core), Some(("True".to_owned(), "Local".to_owned())));

    let metrics: APIService = object(json!({
        "metadata": { "name": "v1beta1.metrics.k8s.io" },
        "spec": { "group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100,
                  "versionPriority": 100, "insecureSkipTLSVerify": true,
                  "service": { "namespace": "kube-system", "name": "metrics-server" } },
    }));
    api_services.create(&PostParams::default(), &metrics).await.expect("create the APIService");
    let reason_is = |wanted: &'static str| {
        let api_services = api_services.clone();
        move || {
            let api_services = api_services.clone();
            async move {
                let current = api_services.get("v1beta1.metrics.k8s.io").await.ok()?;
                available(&current).filter(|(_, reason)| reason == wanted)
            }
        }
    };
    let (status, _) = eventually("ServiceNotFound", Duration::from_secs(10), reason_is("ServiceNotFound")).await;
    assert_eq!(status, "False");

    let services: Api<Service> = Api::namespaced(client.clone(), "kube-system");
    let service: Service = object(json!({
        "metadata": { "name": "metrics-server" },
        "spec": { "ports": [{ "name": "https", "port": 443, "targetPort": "https" }] },
    }));
    services.create(&PostParams::default(), &service).await.expect("create the service");
    eventually("EndpointsNotFound", Duration::from_secs(10), reason_is("EndpointsNotFound")).await;

    let endpoints: Api<Endpoints> = Api::namespaced(client.clone(), "kube-system");
    let ready: Endpoints = object(json!({
        "metadata": { "name": "metrics-server" },
        "subsets": [{ "addresses": [{ "ip": "10.0.0.7" }], "ports": [{ "name": "https", "port": 10250 }] }],
    }));
    endpoints.create(&PostParams::default(), &ready).await.expect("create the endpoints");
    let (status, _) = eventually("Passed", Duration::from_secs(10), reason_is("Passed")).await;
    assert_eq!(status, "True");
    harness.stop().await;
}

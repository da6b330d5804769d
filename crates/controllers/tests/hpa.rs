//! The HorizontalPodAutoscaler controller against an in-process API server, with metrics from a fake resource
//! metrics source: a Deployment's replicas follow its pods' cpu, and bad targets are reported as upstream
//! reports them.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::{cluster, eventually, object};
use controllers::Clock;
use controllers::hpa::metrics::{ContainerUsage, MetricsSource, PodUsage};
use controllers::hpa::{HpaConfig, run_with};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::{HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

mod common;

/// Every pod of the list uses 900 millicores.
struct Busy {
    pods: Api<Pod>,
}

#[async_trait]
impl MetricsSource for Busy {
    async fn pod_metrics(&self, _namespace: &str, selector: &str) -> Result<Vec<PodUsage>, String> {
        let pods = self.pods.list(&ListParams::default().labels(selector)).await.map_err(|e| e.to_string())?;
        Ok(pods
            .items
            .iter()
            .map(|pod| PodUsage {
                name: pod.metadata.name.clone().unwrap_or_default(),
                timestamp: jiff::Timestamp::now(),
                window: Duration::from_secs(15),
                containers: vec![ContainerUsage {
                    name: "app".into(),
                    usage: [("cpu".to_owned(), 900), ("memory".to_owned(), 1_000_000)].into(),
                }],
            })
            .collect())
    }
}

fn condition<'a>(hpa: &'a HorizontalPodAutoscaler, type_: &str) -> Option<&'a HorizontalPodAutoscalerCondition> {
    hpa.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == type_)
}

async fn create_autoscaler(api: &Api<HorizontalPodAutoscaler>, name: &str, target: serde_json::Value, max: i32) {
    let hpa: HorizontalPodAutoscaler = object(json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": { "name": name },
        "spec": { "scaleTargetRef": target, "minReplicas": 1, "maxReplicas": max,
                  "metrics": [{ "type": "Resource",
                                "resource": { "name": "cpu",
                                              "target": { "type": "Utilization", "averageUtilization": 50 } } }] },
    }));
    api.create(&PostParams::default(), &hpa).await.expect("create an autoscaler");
}

async fn events_of(client: &kube::Client, name: &str) -> Vec<Event> {
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let list = events.list(&ListParams::default()).await.map(|l| l.items).unwrap_or_default();
    list.into_iter().filter(|e| e.involved_object.name.as_deref() == Some(name)).collect()
}

#[tokio::test]
async fn a_deployment_scales_with_its_pods_cpu_and_bad_targets_are_reported() {
    let (planes, client) = cluster().await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    for (name, replicas) in [("web", 2), ("idle", 0), ("api", 1)] {
        let deployment: Deployment = object(json!({
            "metadata": { "name": name },
            "spec": { "replicas": replicas, "selector": { "matchLabels": { "app": name } },
                      "template": { "metadata": { "labels": { "app": name } },
                                    "spec": { "containers": [{ "name": "app", "image": "nginx" }] } } },
        }));
        deployments.create(&PostParams::default(), &deployment).await.expect("create a deployment");
    }
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let long_ago = "2020-01-01T00:00:00Z";
    for name in ["web-a", "web-b"] {
        let pod: Pod = object(json!({
            "metadata": { "name": name, "labels": { "app": "web" } },
            "spec": { "containers": [{ "name": "app", "image": "nginx",
                                       "resources": { "requests": { "cpu": "100m" } } }] },
        }));
        pods.create(&PostParams::default(), &pod).await.expect("create a pod");
        let running = json!({ "status": { "phase": "Running", "startTime": long_ago,
            "conditions": [{ "type": "Ready", "status": "True", "lastTransitionTime": long_ago }] } });
        pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&running)).await.expect("running");
    }

    let config = HpaConfig { sync_period: Duration::from_millis(500), ..HpaConfig::default() };
    let source = Arc::new(Busy { pods: pods.clone() });
    let controller = tokio::spawn(run_with(client.clone(), config, Clock::system(), source));

    let autoscalers: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), "default");
    let deployment_target = |name: &str| json!({ "apiVersion": "apps/v1", "kind": "Deployment", "name": name });
    create_autoscaler(&autoscalers, "web", deployment_target("web"), 4).await;
    create_autoscaler(&autoscalers, "missing", deployment_target("nope"), 4).await;
    create_autoscaler(
        &autoscalers,
        "unknown",
        json!({ "apiVersion": "example.com/v1", "kind": "Nope", "name": "x" }),
        4,
    )
    .await;
    create_autoscaler(&autoscalers, "idle", deployment_target("idle"), 4).await;
    // A target without pods, and a pods metric no custom metrics API serves.
    let api: HorizontalPodAutoscaler = object(json!({
        "metadata": { "name": "api" },
        "spec": { "scaleTargetRef": deployment_target("api"), "maxReplicas": 3,
                  "metrics": [{ "type": "Resource", "resource": { "name": "cpu",
                                  "target": { "type": "Utilization", "averageUtilization": 50 } } },
                              { "type": "Pods", "pods": { "metric": { "name": "requests" },
                                  "target": { "type": "AverageValue", "averageValue": "10" } } }] },
    }));
    autoscalers.create(&PostParams::default(), &api).await.expect("create an autoscaler");

    // 900% of the request against a 50% target asks for 36; the first step is at most max(2 * 2, 4), and the
    // maximum is 4.
    eventually("the deployment to scale", Duration::from_secs(20), || async {
        let replicas = deployments.get("web").await.ok()?.spec?.replicas?;
        (replicas == 4).then_some(())
    })
    .await;
    let hpa = eventually("the status", Duration::from_secs(20), || async {
        let hpa = autoscalers.get("web").await.ok()?;
        (hpa.status.as_ref()?.current_replicas == Some(4)).then_some(hpa)
    })
    .await;
    let status = hpa.status.as_ref().expect("a status");
    assert_eq!(status.desired_replicas, 4);
    assert!(status.last_scale_time.is_some());
    let current = status.current_metrics.as_ref().expect("metrics")[0].resource.as_ref().expect("cpu").current.clone();
    assert_eq!(current.average_utilization, Some(900));
    let active = condition(&hpa, "ScalingActive").expect("ScalingActive");
    assert_eq!((active.status.as_str(), active.reason.as_deref()), ("True", Some("ValidMetricFound")));
    let limited = condition(&hpa, "ScalingLimited").expect("ScalingLimited");
    assert_eq!((limited.status.as_str(), limited.reason.as_deref()), ("True", Some("TooManyReplicas")));
    let events = events_of(&client, "web").await;
    let rescale = events.iter().find(|e| e.reason.as_deref() == Some("SuccessfulRescale")).expect("a rescale event");
    assert_eq!(
        rescale.message.as_deref(),
        Some("New size: 4; reason: cpu resource utilization (percentage of request) above target")
    );
    assert_eq!(rescale.source.as_ref().and_then(|s| s.component.as_deref()), Some("horizontal-pod-autoscaler"));

    // A target that does not exist, and a kind nothing serves.
    for (name, message) in [
        ("missing", "deployments.apps \"nope\" not found"),
        ("unknown", "no matches for kind \"Nope\" in group \"example.com\""),
    ] {
        let hpa = eventually("the failure reported", Duration::from_secs(20), || async {
            let hpa = autoscalers.get(name).await.ok()?;
            condition(&hpa, "AbleToScale").is_some().then_some(hpa)
        })
        .await;
        let able = condition(&hpa, "AbleToScale").expect("AbleToScale");
        assert_eq!((able.status.as_str(), able.reason.as_deref()), ("False", Some("FailedGetScale")));
        assert_eq!(
            able.message.as_deref(),
            Some(format!("the HPA controller was unable to get the target's current scale: {message}").as_str())
        );
        let event = eventually("the event", Duration::from_secs(20), || async {
            events_of(&client, name).await.into_iter().find(|e| e.reason.as_deref() == Some("FailedGetScale"))
        })
        .await;
        assert_eq!(event.message.as_deref(), Some(message));
        assert_eq!(event.type_.as_deref(), Some("Warning"));
    }

    // A kind without a scale subresource.
    let config_maps: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(client.clone(), "default");
    let settings: k8s_openapi::api::core::v1::ConfigMap = object(json!({ "metadata": { "name": "settings" } }));
    config_maps.create(&PostParams::default(), &settings).await.expect("create a config map");
    create_autoscaler(
        &autoscalers,
        "unscalable",
        json!({ "apiVersion": "v1", "kind": "ConfigMap", "name": "settings" }),
        4,
    )
    .await;
    let unscalable = eventually("the failure reported", Duration::from_secs(20), || async {
        let hpa = autoscalers.get("unscalable").await.ok()?;
        condition(&hpa, "AbleToScale").is_some().then_some(hpa)
    })
    .await;
    let able = condition(&unscalable, "AbleToScale").expect("AbleToScale");
    assert_eq!((able.status.as_str(), able.reason.as_deref()), ("False", Some("FailedGetScale")), "{able:?}");

    // A target scaled to zero is left alone.
    let idle = eventually("scaling disabled", Duration::from_secs(20), || async {
        let hpa = autoscalers.get("idle").await.ok()?;
        condition(&hpa, "ScalingActive").is_some().then_some(hpa)
    })
    .await;
    let active = condition(&idle, "ScalingActive").expect("ScalingActive");
    assert_eq!((active.status.as_str(), active.reason.as_deref()), ("False", Some("ScalingDisabled")));
    assert_eq!(deployments.get("idle").await.expect("get").spec.and_then(|s| s.replicas), Some(0));

    // Every metric failing: the first failure is the condition, each its event, and the status lists both.
    let failing = eventually("the metrics failure", Duration::from_secs(20), || async {
        let hpa = autoscalers.get("api").await.ok()?;
        condition(&hpa, "ScalingActive").is_some().then_some(hpa)
    })
    .await;
    let active = condition(&failing, "ScalingActive").expect("ScalingActive");
    assert_eq!((active.status.as_str(), active.reason.as_deref()), ("False", Some("FailedGetResourceMetric")));
    assert_eq!(
        active.message.as_deref(),
        Some(
            "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics \
             for resource cpu: no metrics returned from resource metrics API"
        )
    );
    assert_eq!(failing.status.as_ref().and_then(|s| s.current_metrics.as_ref()).map(Vec::len), Some(2));
    let reasons = eventually("the events", Duration::from_secs(20), || async {
        let mut reasons: Vec<String> = events_of(&client, "api").await.into_iter().filter_map(|e| e.reason).collect();
        reasons.sort();
        (reasons.len() >= 3).then_some(reasons)
    })
    .await;
    assert_eq!(reasons, ["FailedComputeMetricsReplicas", "FailedGetPodsMetric", "FailedGetResourceMetric"]);
    assert_eq!(deployments.get("api").await.expect("get").spec.and_then(|s| s.replicas), Some(1));

    // Later syncs count the failing autoscaler's event rather than repeating it.
    let failures = eventually("the event counted again", Duration::from_secs(20), || async {
        let failures: Vec<Event> = events_of(&client, "missing")
            .await
            .into_iter()
            .filter(|e| e.reason.as_deref() == Some("FailedGetScale"))
            .collect();
        failures.iter().any(|e| e.count.unwrap_or(0) >= 2).then_some(failures)
    })
    .await;
    assert_eq!(failures.len(), 1, "{failures:?}");

    controller.abort();
    planes.stop_all().await;
}

/// Every pod uses the millicores in `cpu`.
struct Steady {
    pods: Api<Pod>,
    cpu: Arc<AtomicI64>,
}

#[async_trait]
impl MetricsSource for Steady {
    async fn pod_metrics(&self, _namespace: &str, selector: &str) -> Result<Vec<PodUsage>, String> {
        let pods = self.pods.list(&ListParams::default().labels(selector)).await.map_err(|e| e.to_string())?;
        let cpu = self.cpu.load(Ordering::SeqCst);
        Ok(pods
            .items
            .iter()
            .map(|pod| PodUsage {
                name: pod.metadata.name.clone().unwrap_or_default(),
                timestamp: jiff::Timestamp::now(),
                window: Duration::from_secs(15),
                containers: vec![ContainerUsage { name: "app".into(), usage: [("cpu".to_owned(), cpu)].into() }],
            })
            .collect())
    }
}

#[tokio::test]
async fn the_stabilization_window_holds_a_scale_down_until_it_passes() {
    let (planes, client) = cluster().await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let deployment: Deployment = object(json!({
        "metadata": { "name": "calm" },
        "spec": { "replicas": 4, "selector": { "matchLabels": { "app": "calm" } },
                  "template": { "metadata": { "labels": { "app": "calm" } },
                                "spec": { "containers": [{ "name": "app", "image": "nginx" }] } } },
    }));
    deployments.create(&PostParams::default(), &deployment).await.expect("create a deployment");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let long_ago = "2020-01-01T00:00:00Z";
    for name in ["calm-a", "calm-b"] {
        let pod: Pod = object(json!({
            "metadata": { "name": name, "labels": { "app": "calm" } },
            "spec": { "containers": [{ "name": "app", "image": "nginx",
                                       "resources": { "requests": { "cpu": "100m" } } }] },
        }));
        pods.create(&PostParams::default(), &pod).await.expect("create a pod");
        let running = json!({ "status": { "phase": "Running", "startTime": long_ago,
            "conditions": [{ "type": "Ready", "status": "True", "lastTransitionTime": long_ago }] } });
        pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&running)).await.expect("running");
    }
    let autoscalers: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), "default");
    let hpa: HorizontalPodAutoscaler = object(json!({
        "metadata": { "name": "calm" },
        "spec": { "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "calm" },
                  "minReplicas": 1, "maxReplicas": 10,
                  "metrics": [{ "type": "Resource", "resource": { "name": "cpu",
                                "target": { "type": "Utilization", "averageUtilization": 50 } } }],
                  "behavior": { "scaleDown": { "stabilizationWindowSeconds": 60 } } },
    }));
    autoscalers.create(&PostParams::default(), &hpa).await.expect("create an autoscaler");

    let ahead = Arc::new(AtomicI64::new(0));
    let offset = ahead.clone();
    let clock = Clock::new(move || {
        let seconds = offset.load(Ordering::SeqCst);
        jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_secs(seconds)).expect("a time")
    });
    let config = HpaConfig { sync_period: Duration::from_millis(300), ..HpaConfig::default() };
    let source = Arc::new(Steady { pods: pods.clone(), cpu: Arc::new(AtomicI64::new(10)) });
    let controller = tokio::spawn(run_with(client.clone(), config, clock, source));

    // 10% against 50% asks for one replica; the first recommendation (4) holds it for the window.
    let held = eventually("the scale down held", Duration::from_secs(20), || async {
        let hpa = autoscalers.get("calm").await.ok()?;
        let able = condition(&hpa, "AbleToScale")?;
        (able.reason.as_deref() == Some("ScaleDownStabilized")).then_some(hpa)
    })
    .await;
    assert_eq!(
        condition(&held, "AbleToScale").and_then(|c| c.message.as_deref()),
        Some("recent recommendations were higher than current one, applying the highest recent recommendation")
    );
    assert_eq!(held.status.as_ref().map(|s| s.desired_replicas), Some(4));
    assert_eq!(deployments.get("calm").await.expect("get").spec.and_then(|s| s.replicas), Some(4));

    // Past the window the recommendation stands: down to one, as far as the default 100% per 15 s allows.
    ahead.store(120, Ordering::SeqCst);
    eventually("the scale down", Duration::from_secs(20), || async {
        let replicas = deployments.get("calm").await.ok()?.spec?.replicas?;
        (replicas == 1).then_some(())
    })
    .await;
    let event = eventually("the event", Duration::from_secs(20), || async {
        events_of(&client, "calm").await.into_iter().find(|e| e.reason.as_deref() == Some("SuccessfulRescale"))
    })
    .await;
    assert_eq!(event.message.as_deref(), Some("New size: 1; reason: All metrics below target"));

    controller.abort();
    planes.stop_all().await;
}

//! Where an autoscaler's metrics come from: the [`MetricsSource`] trait, the resource metrics API behind it
//! ([`ResourceMetricsApi`], reading `metrics.k8s.io/v1beta1` `PodMetrics` as upstream's resource metrics client
//! does) and the per-pod samples taken from a `PodMetricsList` (upstream's `getPodMetrics` and
//! `getContainerMetrics` in `pkg/controller/podautoscaler/metrics`).
//!
//! The custom and external metrics APIs (`custom.metrics.k8s.io`, `external.metrics.k8s.io`) are not served here:
//! the trait's default answers for them fail as upstream's clients fail when those APIs are not registered, and a
//! source that has them overrides those methods.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use k8s_openapi::api::autoscaling::v2::CrossVersionObjectReference;
use kube::api::{Api, ApiResource, DynamicObject, ListParams};

use super::replicas::{PodMetric, PodMetrics};

/// One container's usage in a `PodMetrics` item, in thousandths by resource name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerUsage {
    /// The container's name.
    pub name: String,
    /// Its usage by resource (`cpu`, `memory`), in thousandths.
    pub usage: BTreeMap<String, i64>,
}

/// One pod's item of a `PodMetricsList`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodUsage {
    /// The pod's name.
    pub name: String,
    /// The end of the sample's window.
    pub timestamp: Timestamp,
    /// The window the usage averages over.
    pub window: Duration,
    /// The containers' usage.
    pub containers: Vec<ContainerUsage>,
}

/// A metric value a custom or external metrics API reports, with its time.
pub type Sample<T> = Result<(T, Timestamp), String>;

/// Where the autoscaler reads metrics. Errors are the API's own words; the controller adds upstream's prefixes.
#[async_trait]
pub trait MetricsSource: Send + Sync {
    /// The resource metrics API's `PodMetrics` of the pods `selector` (a label selector string) selects.
    async fn pod_metrics(&self, namespace: &str, selector: &str) -> Result<Vec<PodUsage>, String>;

    /// A custom per-pod metric of the selected pods, by pod name (thousandths).
    async fn pods_metric(
        &self,
        _metric: &str,
        _namespace: &str,
        _selector: &str,
        _metric_selector: &str,
    ) -> Sample<PodMetrics> {
        Err(NO_CUSTOM_METRICS.to_owned())
    }

    /// A custom metric of one object (thousandths).
    async fn object_metric(
        &self,
        _metric: &str,
        _namespace: &str,
        _object: &CrossVersionObjectReference,
        _metric_selector: &str,
    ) -> Sample<i64> {
        Err(NO_CUSTOM_METRICS.to_owned())
    }

    /// An external metric's values (thousandths).
    async fn external_metric(&self, _metric: &str, _namespace: &str, _metric_selector: &str) -> Sample<Vec<i64>> {
        Err(NO_EXTERNAL_METRICS.to_owned())
    }
}

/// What upstream's custom metrics client says when no API serves `custom.metrics.k8s.io`.
pub const NO_CUSTOM_METRICS: &str = "no custom metrics API (custom.metrics.k8s.io) registered";
/// Likewise for `external.metrics.k8s.io`.
pub const NO_EXTERNAL_METRICS: &str = "no external metrics API (external.metrics.k8s.io) registered";

/// The resource metrics API of the cluster (`metrics.k8s.io/v1beta1`, served by metrics-server through an
/// APIService).
#[derive(Clone)]
pub struct ResourceMetricsApi {
    client: kube::Client,
}

impl std::fmt::Debug for ResourceMetricsApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResourceMetricsApi")
    }
}

impl ResourceMetricsApi {
    /// The resource metrics API `client` reaches.
    pub fn new(client: kube::Client) -> ResourceMetricsApi {
        ResourceMetricsApi { client }
    }
}

fn pod_metrics_resource() -> ApiResource {
    ApiResource {
        group: "metrics.k8s.io".into(),
        version: "v1beta1".into(),
        api_version: "metrics.k8s.io/v1beta1".into(),
        kind: "PodMetrics".into(),
        plural: "pods".into(),
    }
}

#[async_trait]
impl MetricsSource for ResourceMetricsApi {
    async fn pod_metrics(&self, namespace: &str, selector: &str) -> Result<Vec<PodUsage>, String> {
        let api: Api<DynamicObject> = Api::namespaced_with(self.client.clone(), namespace, &pod_metrics_resource());
        let list = api
            .list(&ListParams::default().labels(selector))
            .await
            .map_err(|error| crate::batch_support::status_message(&error))?;
        Ok(list
            .items
            .iter()
            .filter_map(|item| {
                let mut value = item.data.clone();
                if let Some(object) = value.as_object_mut() {
                    object.insert("metadata".into(), serde_json::to_value(&item.metadata).unwrap_or_default());
                }
                pod_usage(&value)
            })
            .collect())
    }
}

/// A `PodMetrics` item as JSON read into a [`PodUsage`]; `None` without a name. A usage that is not a quantity
/// is left out (the container then lacks that resource).
pub fn pod_usage(item: &serde_json::Value) -> Option<PodUsage> {
    let name = item.pointer("/metadata/name")?.as_str()?.to_owned();
    let timestamp =
        item.get("timestamp").and_then(|t| t.as_str()).and_then(|t| t.parse().ok()).unwrap_or(Timestamp::UNIX_EPOCH);
    let window = item.get("window").and_then(|w| w.as_str()).and_then(go_duration).unwrap_or_default();
    let containers = item
        .get("containers")
        .and_then(|c| c.as_array())
        .into_iter()
        .flatten()
        .map(|container| ContainerUsage {
            name: container.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_owned(),
            usage: container
                .get("usage")
                .and_then(|u| u.as_object())
                .into_iter()
                .flatten()
                .filter_map(|(resource, quantity)| {
                    let text = quantity.as_str()?;
                    let milli = k8s_model::rounded_up(text, true)?;
                    Some((resource.clone(), i64::try_from(milli).ok()?))
                })
                .collect(),
        })
        .collect();
    Some(PodUsage { name, timestamp, window, containers })
}

/// A Go duration string (`30s`, `1m0.5s`, `150ms`) as a [`Duration`]; `None` when it is not one.
pub fn go_duration(text: &str) -> Option<Duration> {
    k8s_model::parse_go_duration(text)
}

/// Each pod's usage of `resource` (upstream's `getPodMetrics`): the sum over its containers; a pod with no
/// containers or a container without that resource has no sample.
pub fn pod_samples(items: &[PodUsage], resource: &str) -> PodMetrics {
    items
        .iter()
        .filter_map(|item| {
            if item.containers.is_empty() {
                return None;
            }
            let mut sum = 0i64;
            for container in &item.containers {
                sum = sum.saturating_add(*container.usage.get(resource)?);
            }
            Some((item.name.clone(), PodMetric { value: sum, timestamp: item.timestamp, window: item.window }))
        })
        .collect()
}

/// One container's usage of `resource` in each pod (upstream's `getContainerMetrics`); a pod whose metrics lack
/// the container is an error.
pub fn container_samples(
    items: &[PodUsage],
    resource: &str,
    container: &str,
    namespace: &str,
) -> Result<PodMetrics, String> {
    let mut samples = PodMetrics::new();
    for item in items {
        let Some(found) = item.containers.iter().find(|c| c.name == container) else {
            return Err(format!("container {container} not present in metrics for pod {namespace}/{}", item.name));
        };
        if let Some(value) = found.usage.get(resource) {
            samples
                .insert(item.name.clone(), PodMetric { value: *value, timestamp: item.timestamp, window: item.window });
        }
    }
    Ok(samples)
}

/// Upstream's resource metrics client: the samples of `resource` (of one container, or summed) of the selected
/// pods and the time of the first item.
pub async fn resource_metric(
    source: &dyn MetricsSource,
    resource: &str,
    namespace: &str,
    selector: &str,
    container: Option<&str>,
) -> Result<(PodMetrics, Timestamp), String> {
    let items = source
        .pod_metrics(namespace, selector)
        .await
        .map_err(|error| format!("unable to fetch metrics from resource metrics API: {error}"))?;
    let Some(first) = items.first() else {
        return Err("no metrics returned from resource metrics API".to_owned());
    };
    let samples = match container {
        Some(container) => container_samples(&items, resource, container, namespace)
            .map_err(|error| format!("failed to get container metrics: {error}"))?,
        None => pod_samples(&items, resource),
    };
    Ok((samples, first.timestamp))
}

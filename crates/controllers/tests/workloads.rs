//! The ReplicaSet and Deployment controllers and the garbage collector against an in-process API server.
//! Nothing runs pods here: the tests play the kubelet by patching pod status.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use apiserver::{ControlPlanes, Identity, LocalService};
use controllers::{Controllers, ControllersConfig};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde::de::DeserializeOwned;
use serde_json::json;

const DEADLINE: Duration = Duration::from_secs(15);

struct Harness {
    planes: ControlPlanes,
    client: kube::Client,
    controllers: Controllers,
}

async fn start() -> Harness {
    let planes = ControlPlanes::new(Arc::new(store::MemoryStore::new()));
    planes.create("test", None).await.expect("create a cluster");
    let api = planes.api("test").expect("the cluster runs");
    let identity = Identity::Certificate { user: "test-admin".into(), groups: vec!["system:masters".into()] };
    let client = kube::Client::new(LocalService::new(api, identity), "default");
    let controllers = Controllers::start(client.clone(), ControllersConfig::default());
    Harness { planes, client, controllers }
}

impl Harness {
    async fn stop(self) {
        self.controllers.stop().await;
        self.planes.stop_all().await;
    }

    fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        Api::namespaced(self.client.clone(), "default")
    }

    async fn pods(&self, selector: &str) -> Vec<Pod> {
        let pods: Api<Pod> = self.api();
        let mut pods = pods.list(&ListParams::default().labels(selector)).await.expect("list pods").items;
        pods.retain(|p| p.metadata.deletion_timestamp.is_none());
        pods.sort_by_key(|p| p.metadata.creation_timestamp.as_ref().map(|t| t.0));
        pods
    }

    /// Waits until exactly `count` live pods match `selector`.
    async fn wait_pods(&self, what: &str, selector: &str, count: usize) -> Vec<Pod> {
        eventually(what, || async {
            let pods = self.pods(selector).await;
            (pods.len() == count).then_some(pods)
        })
        .await
    }

    /// Plays the kubelet: the pod runs and is ready (or not).
    async fn set_ready(&self, name: &str, ready: bool) {
        let pods: Api<Pod> = self.api();
        let status = json!({"status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" },
                "lastTransitionTime": "2026-01-01T00:00:00Z"}],
        }});
        pods.patch_status(name, &PatchParams::default(), &Patch::Merge(status)).await.expect("patch pod status");
    }

    #[allow(dead_code)]
    async fn ready_all(&self, selector: &str) {
        for pod in self.pods(selector).await {
            if !is_ready(&pod) {
                self.set_ready(&pod.name_any(), true).await;
            }
        }
    }
}

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Polls `probe` until it returns `Some`, failing after the deadline.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let give_up = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < give_up, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn object<T: DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("a valid object")
}

fn template(app: &str, image: &str) -> serde_json::Value {
    json!({"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": "main", "image": image}]}})
}

fn replica_set(name: &str, app: &str, replicas: i32) -> ReplicaSet {
    object(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}}, "template": template(app, "nginx")}}))
}

fn bare_pod(name: &str, labels: serde_json::Value) -> Pod {
    object(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "main", "image": "nginx"}]}}))
}

async fn scale_rs(harness: &Harness, name: &str, replicas: i32) {
    let sets: Api<ReplicaSet> = harness.api();
    let patch = json!({"spec": {"replicas": replicas}});
    sets.patch(name, &PatchParams::default(), &Patch::Merge(patch)).await.expect("scale");
}

#[tokio::test]
async fn a_replica_set_scales_up_and_down_and_reports_status() {
    let harness = start().await;
    let sets: Api<ReplicaSet> = harness.api();
    let created = sets.create(&PostParams::default(), &replica_set("web", "web", 3)).await.expect("create");
    let pods = harness.wait_pods("three pods", "app=web", 3).await;
    for pod in &pods {
        let name = pod.name_any();
        let suffix = name.strip_prefix("web-").expect("named after the set");
        assert_eq!(suffix.len(), 5, "{name}");
        assert!(suffix.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)), "{name}");
        let owner = &pod.owner_references()[0];
        assert_eq!((owner.kind.as_str(), owner.uid.as_str()), ("ReplicaSet", created.uid().unwrap().as_str()));
        assert_eq!(owner.controller, Some(true));
    }
    harness.set_ready(&pods[0].name_any(), true).await;
    harness.set_ready(&pods[1].name_any(), true).await;
    eventually("status counts", || async {
        let status = sets.get("web").await.expect("get").status?;
        let want = (3, Some(3), Some(2), Some(2), created.metadata.generation);
        let have = (
            status.replicas,
            status.fully_labeled_replicas,
            status.ready_replicas,
            status.available_replicas,
            status.observed_generation,
        );
        (have == want).then_some(())
    })
    .await;

    // Scaling down deletes the pod that is not ready first.
    scale_rs(&harness, "web", 2).await;
    let left = harness.wait_pods("two pods", "app=web", 2).await;
    assert!(left.iter().all(is_ready), "the unready pod went first");
    scale_rs(&harness, "web", 5).await;
    harness.wait_pods("five pods", "app=web", 5).await;
    scale_rs(&harness, "web", 0).await;
    harness.wait_pods("no pods", "app=web", 0).await;
    eventually("zero status", || async {
        let status = sets.get("web").await.expect("get").status?;
        (status.replicas == 0 && status.observed_generation == Some(4)).then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn a_replica_set_replaces_deleted_pods() {
    let harness = start().await;
    let sets: Api<ReplicaSet> = harness.api();
    sets.create(&PostParams::default(), &replica_set("keep", "keep", 2)).await.expect("create");
    let pods = harness.wait_pods("two pods", "app=keep", 2).await;
    let pods_api: Api<Pod> = harness.api();
    pods_api.delete(&pods[0].name_any(), &DeleteParams::default()).await.expect("delete a pod");
    let again = eventually("a replacement", || async {
        let now = harness.pods("app=keep").await;
        (now.len() == 2 && now.iter().all(|p| p.name_any() != pods[0].name_any())).then_some(now)
    })
    .await;
    assert_eq!(again.len(), 2);
    harness.stop().await;
}

#[tokio::test]
async fn a_replica_set_adopts_orphans_and_releases_pods_that_stop_matching() {
    let harness = start().await;
    let pods_api: Api<Pod> = harness.api();
    pods_api.create(&PostParams::default(), &bare_pod("stray", json!({"app": "adopt"}))).await.expect("orphan");
    pods_api.create(&PostParams::default(), &bare_pod("other", json!({"app": "else"}))).await.expect("other");
    let sets: Api<ReplicaSet> = harness.api();
    let created = sets.create(&PostParams::default(), &replica_set("adopt", "adopt", 2)).await.expect("create");
    let uid = created.uid().expect("uid");
    let pods = harness.wait_pods("the orphan and one new pod", "app=adopt", 2).await;
    assert!(pods.iter().any(|p| p.name_any() == "stray"), "the orphan is kept");
    let stray = eventually("adoption", || async {
        let pod = pods_api.get("stray").await.expect("get");
        pod.owner_references().iter().any(|o| o.uid == uid && o.controller == Some(true)).then_some(pod)
    })
    .await;
    assert_eq!(stray.owner_references().len(), 1);
    let other = pods_api.get("other").await.expect("get");
    assert!(other.owner_references().is_empty(), "a pod that does not match stays alone");

    // Relabelled, the pod is released and replaced.
    let patch = json!({"metadata": {"labels": {"app": "gone"}}});
    pods_api.patch("stray", &PatchParams::default(), &Patch::Merge(patch)).await.expect("relabel");
    eventually("release", || async {
        let pod = pods_api.get("stray").await.expect("get");
        pod.owner_references().is_empty().then_some(())
    })
    .await;
    harness.wait_pods("a replacement", "app=adopt", 2).await;
    harness.stop().await;
}

#[tokio::test]
async fn a_replica_set_reports_pods_it_cannot_create() {
    let harness = start().await;
    // Pods naming a service account that does not exist are refused.
    let sets: Api<ReplicaSet> = harness.api();
    let mut set = replica_set("capped", "capped", 2);
    let spec = set.spec.as_mut().and_then(|s| s.template.as_mut()).and_then(|t| t.spec.as_mut()).expect("a spec");
    spec.service_account_name = Some("robot".into());
    sets.create(&PostParams::default(), &set).await.expect("create");
    let condition = eventually("a ReplicaFailure condition", || async {
        let status = sets.get("capped").await.expect("get").status?;
        status.conditions?.into_iter().find(|c| c.type_ == "ReplicaFailure")
    })
    .await;
    assert_eq!((condition.status.as_str(), condition.reason.as_deref()), ("True", Some("FailedCreate")));
    assert!(condition.message.unwrap_or_default().contains("forbidden"));
    let accounts: Api<k8s_openapi::api::core::v1::ServiceAccount> = harness.api();
    let account = object(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}}));
    accounts.create(&PostParams::default(), &account).await.expect("service account");
    eventually("the condition clears", || async {
        let status = sets.get("capped").await.expect("get").status?;
        let failing = status.conditions.iter().flatten().any(|c| c.type_ == "ReplicaFailure");
        (!failing && status.replicas == 2).then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn odd_replica_sets_do_not_stop_the_controller() {
    let harness = start().await;
    let sets: Api<ReplicaSet> = harness.api();
    sets.create(&PostParams::default(), &replica_set("none", "none", 0)).await.expect("zero replicas");
    let no_template = object(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "bare"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "bare"}}}}));
    let _ = sets.create(&PostParams::default(), &no_template).await;
    eventually("the empty set's status", || async {
        let status = sets.get("none").await.expect("get").status?;
        (status.observed_generation == Some(1) && status.replicas == 0).then_some(())
    })
    .await;
    // The controller still works.
    sets.create(&PostParams::default(), &replica_set("after", "after", 1)).await.expect("create");
    harness.wait_pods("a pod", "app=after", 1).await;
    let _unused: Option<(Deployment, ConfigMap)> = None;
    harness.stop().await;
}

//! The ReplicaSet and Deployment controllers and the garbage collector against an in-process API server.
//! Nothing runs pods here: the tests play the kubelet by patching pod status.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use common::{Harness, object, start_with};
use controllers::ControllersConfig;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{ConfigMap, Pod, ReplicationController};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

mod common;

const DEADLINE: Duration = Duration::from_secs(15);

async fn start() -> Harness {
    start_with(ControllersConfig::default()).await
}

impl Harness {
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

/// Polls `probe` until it returns `Some`, failing after [`DEADLINE`].
async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    common::eventually(what, DEADLINE, probe).await
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
async fn a_replication_controller_keeps_its_pods_and_reports_status() {
    let harness = start().await;
    let controllers: Api<ReplicationController> = harness.api();
    // No selector: the API server takes the template's labels for it.
    let rc = object(json!({
        "apiVersion": "v1", "kind": "ReplicationController", "metadata": { "name": "old" },
        "spec": { "replicas": 2, "template": {
            "metadata": { "labels": { "app": "old" } },
            "spec": { "containers": [{ "name": "c", "image": "nginx" }] } } }
    }));
    let created = controllers.create(&PostParams::default(), &rc).await.expect("create");
    assert_eq!(created.status.as_ref().map(|s| s.replicas), Some(0), "a new controller counts zero replicas");
    let pods = harness.wait_pods("two pods", "app=old", 2).await;
    for pod in &pods {
        let owner = &pod.owner_references()[0];
        assert_eq!((owner.api_version.as_str(), owner.kind.as_str()), ("v1", "ReplicationController"));
        assert_eq!(owner.uid, created.uid().unwrap());
    }
    harness.set_ready(&pods[0].name_any(), true).await;
    eventually("status counts", || async {
        let status = controllers.get("old").await.expect("get").status?;
        let have = (status.replicas, status.ready_replicas, status.available_replicas, status.observed_generation);
        (have == (2, Some(1), Some(1), Some(1))).then_some(())
    })
    .await;
    let scale = json!({ "spec": { "replicas": 0 } });
    controllers.patch("old", &PatchParams::default(), &Patch::Merge(scale)).await.expect("scale to zero");
    harness.wait_pods("no pods", "app=old", 0).await;
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
    harness.stop().await;
}

fn deployment(name: &str, replicas: i32, image: &str, strategy: serde_json::Value) -> Deployment {
    object(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "strategy": strategy,
            "template": template(name, image)}}))
}

fn rolling(surge: serde_json::Value, unavailable: serde_json::Value) -> serde_json::Value {
    json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}})
}

async fn set_image(harness: &Harness, name: &str, image: &str) {
    let deployments: Api<Deployment> = harness.api();
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "main", "image": image}]}}}});
    deployments.patch(name, &PatchParams::default(), &Patch::Strategic(patch)).await.expect("set image");
}

/// The Deployment's ReplicaSets, oldest revision first.
async fn replica_sets(harness: &Harness, app: &str) -> Vec<ReplicaSet> {
    let sets: Api<ReplicaSet> = harness.api();
    let mut sets = sets.list(&ListParams::default().labels(&format!("app={app}"))).await.expect("list").items;
    sets.sort_by_key(revision);
    sets
}

fn revision(rs: &ReplicaSet) -> i64 {
    rs.annotations().get("deployment.kubernetes.io/revision").and_then(|r| r.parse().ok()).unwrap_or(0)
}

fn image_of(rs: &ReplicaSet) -> String {
    let spec = rs.spec.as_ref().and_then(|s| s.template.as_ref()).and_then(|t| t.spec.as_ref());
    spec.and_then(|s| s.containers[0].image.clone()).unwrap_or_default()
}

fn deployment_condition(d: &Deployment, type_: &str) -> Option<(String, String, String)> {
    let c = d.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == type_)?;
    Some((c.status.clone(), c.reason.clone().unwrap_or_default(), c.message.clone().unwrap_or_default()))
}

/// Plays the kubelet until the Deployment has rolled out `image` on `replicas` ready pods, checking after every
/// step that the rollout stays within `max_pods` pods and keeps `min_ready` ready.
async fn drive_rollout(harness: &Harness, app: &str, image: &str, replicas: usize, max_pods: usize, min_ready: usize) {
    let selector = format!("app={app}");
    eventually("the rollout", || async {
        let pods = harness.pods(&selector).await;
        assert!(pods.len() <= max_pods, "{} pods exceed {max_pods}", pods.len());
        let ready = pods.iter().filter(|p| is_ready(p)).count();
        assert!(ready >= min_ready, "{ready} ready pods, fewer than {min_ready}");
        for pod in pods.iter().filter(|p| !is_ready(p)) {
            harness.set_ready(&pod.name_any(), true).await;
        }
        let done = pods.len() == replicas
            && pods
                .iter()
                .all(|p| is_ready(p) && p.spec.as_ref().unwrap().containers[0].image.as_deref() == Some(image));
        done.then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_deployment_creates_a_replica_set_and_becomes_available() {
    let harness = start().await;
    let deployments: Api<Deployment> = harness.api();
    deployments.create(&PostParams::default(), &deployment("web", 3, "nginx:1", json!(null))).await.expect("create");
    let pods = harness.wait_pods("three pods", "app=web", 3).await;
    let sets = replica_sets(&harness, "web").await;
    assert_eq!(sets.len(), 1);
    let rs = &sets[0];
    let hash = rs.labels()["pod-template-hash"].clone();
    assert_eq!(rs.name_any(), format!("web-{hash}"));
    assert!(hash.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)), "{hash}");
    assert_eq!(rs.annotations()["deployment.kubernetes.io/revision"], "1");
    assert_eq!(rs.annotations()["deployment.kubernetes.io/desired-replicas"], "3");
    assert_eq!(rs.annotations()["deployment.kubernetes.io/max-replicas"], "4");
    assert_eq!(rs.spec.as_ref().unwrap().selector.match_labels.as_ref().unwrap()["pod-template-hash"], hash);
    assert!(pods.iter().all(|p| p.labels()["pod-template-hash"] == hash && p.name_any().starts_with(&rs.name_any())));
    let d = deployments.get("web").await.expect("get");
    assert_eq!(d.annotations()["deployment.kubernetes.io/revision"], "1");
    harness.ready_all("app=web").await;
    let d = eventually("an available deployment", || async {
        let d = deployments.get("web").await.expect("get");
        let progressing = deployment_condition(&d, "Progressing")?;
        (progressing.1 == "NewReplicaSetAvailable").then_some(d)
    })
    .await;
    let status = d.status.clone().unwrap();
    let counts = (status.replicas, status.updated_replicas, status.ready_replicas, status.available_replicas);
    assert_eq!(counts, (Some(3), Some(3), Some(3), Some(3)));
    assert_eq!(status.unavailable_replicas.unwrap_or(0), 0);
    assert_eq!(status.observed_generation, d.metadata.generation);
    let available = deployment_condition(&d, "Available").unwrap();
    assert_eq!(
        available,
        ("True".into(), "MinimumReplicasAvailable".into(), "Deployment has minimum availability.".into())
    );
    let progressing = deployment_condition(&d, "Progressing").unwrap();
    assert_eq!(progressing.2, format!("ReplicaSet \"{}\" has successfully progressed.", rs.name_any()));
    harness.stop().await;
}

#[tokio::test]
async fn a_rolling_update_keeps_within_surge_and_unavailability() {
    let harness = start().await;
    let deployments: Api<Deployment> = harness.api();
    let d = deployment("roll", 4, "nginx:1", rolling(json!(1), json!(0)));
    deployments.create(&PostParams::default(), &d).await.expect("create");
    drive_rollout(&harness, "roll", "nginx:1", 4, 5, 0).await;
    set_image(&harness, "roll", "nginx:2").await;
    drive_rollout(&harness, "roll", "nginx:2", 4, 5, 4).await;
    let sets = eventually("the old set scaled to zero", || async {
        let sets = replica_sets(&harness, "roll").await;
        (sets.len() == 2 && sets[0].spec.as_ref()?.replicas == Some(0)).then_some(sets)
    })
    .await;
    assert_eq!((revision(&sets[0]), image_of(&sets[0])), (1, "nginx:1".to_owned()));
    assert_eq!((revision(&sets[1]), image_of(&sets[1])), (2, "nginx:2".to_owned()));
    // maxUnavailable without surge: never more than the replicas, at least 3 of 4 ready.
    let patch = json!({"spec": {"strategy": rolling(json!(0), json!("25%"))}});
    deployments.patch("roll", &PatchParams::default(), &Patch::Merge(patch)).await.expect("strategy");
    set_image(&harness, "roll", "nginx:3").await;
    drive_rollout(&harness, "roll", "nginx:3", 4, 4, 3).await;
    eventually("a complete rollout", || async {
        let d = deployments.get("roll").await.expect("get");
        let status = d.status.clone()?;
        let done = status.updated_replicas == Some(4)
            && status.replicas == Some(4)
            && status.available_replicas == Some(4)
            && deployment_condition(&d, "Progressing")?.1 == "NewReplicaSetAvailable";
        done.then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn recreate_removes_old_pods_before_creating_new_ones() {
    let harness = start().await;
    let deployments: Api<Deployment> = harness.api();
    let d = deployment("again", 2, "nginx:1", json!({"type": "Recreate"}));
    deployments.create(&PostParams::default(), &d).await.expect("create");
    drive_rollout(&harness, "again", "nginx:1", 2, 2, 0).await;
    set_image(&harness, "again", "nginx:2").await;
    eventually("the new pods", || async {
        let pods = harness.pods("app=again").await;
        let images: BTreeSet<String> =
            pods.iter().filter_map(|p| p.spec.as_ref()?.containers[0].image.clone()).collect();
        assert!(images.len() <= 1, "old and new pods at once: {images:?}");
        (pods.len() == 2 && images.contains("nginx:2")).then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn going_back_to_an_old_template_reuses_its_replica_set() {
    let harness = start().await;
    let deployments: Api<Deployment> = harness.api();
    deployments.create(&PostParams::default(), &deployment("undo", 2, "nginx:1", json!(null))).await.expect("create");
    drive_rollout(&harness, "undo", "nginx:1", 2, 3, 0).await;
    let first = replica_sets(&harness, "undo").await[0].name_any();
    set_image(&harness, "undo", "nginx:2").await;
    drive_rollout(&harness, "undo", "nginx:2", 2, 3, 2).await;
    set_image(&harness, "undo", "nginx:1").await;
    drive_rollout(&harness, "undo", "nginx:1", 2, 3, 2).await;
    let sets = eventually("revision 3", || async {
        let sets = replica_sets(&harness, "undo").await;
        (sets.len() == 2 && revision(&sets[1]) == 3).then_some(sets)
    })
    .await;
    assert_eq!(sets[1].name_any(), first, "the first set is back");
    assert_eq!(sets[1].annotations()["deployment.kubernetes.io/revision-history"], "1");
    assert_eq!(revision(&sets[0]), 2);
    let d = eventually("the deployment's revision", || async {
        let d = deployments.get("undo").await.expect("get");
        (d.annotations().get("deployment.kubernetes.io/revision")? == "3").then_some(d)
    })
    .await;
    assert_eq!(d.name_any(), "undo");
    harness.stop().await;
}

#[tokio::test]
async fn a_paused_deployment_scales_but_does_not_roll_out() {
    let harness = start().await;
    let deployments: Api<Deployment> = harness.api();
    deployments.create(&PostParams::default(), &deployment("still", 2, "nginx:1", json!(null))).await.expect("create");
    drive_rollout(&harness, "still", "nginx:1", 2, 3, 0).await;
    let patch = json!({"spec": {"paused": true}});
    deployments.patch("still", &PatchParams::default(), &Patch::Merge(patch)).await.expect("pause");
    eventually("the paused condition", || async {
        let d = deployments.get("still").await.expect("get");
        let progressing = deployment_condition(&d, "Progressing")?;
        (progressing == ("Unknown".into(), "DeploymentPaused".into(), "Deployment is paused".into())).then_some(())
    })
    .await;
    set_image(&harness, "still", "nginx:2").await;
    let patch = json!({"spec": {"replicas": 3}});
    deployments.patch("still", &PatchParams::default(), &Patch::Merge(patch)).await.expect("scale");
    harness.wait_pods("three pods", "app=still", 3).await;
    assert_eq!(replica_sets(&harness, "still").await.len(), 1, "no rollout while paused");
    let patch = json!({"spec": {"paused": false}});
    deployments.patch("still", &PatchParams::default(), &Patch::Merge(patch)).await.expect("resume");
    drive_rollout(&harness, "still", "nginx:2", 3, 4, 0).await;
    harness.stop().await;
}

#[tokio::test]
async fn old_replica_sets_beyond_the_history_limit_are_deleted() {
    let harness = start().await;
    let deployments: Api<Deployment> = harness.api();
    let mut d = deployment("short", 1, "nginx:1", json!(null));
    d.spec.as_mut().unwrap().revision_history_limit = Some(1);
    deployments.create(&PostParams::default(), &d).await.expect("create");
    for image in ["nginx:1", "nginx:2", "nginx:3", "nginx:4"] {
        set_image(&harness, "short", image).await;
        drive_rollout(&harness, "short", image, 1, 2, 0).await;
    }
    let sets = eventually("two sets left", || async {
        let sets = replica_sets(&harness, "short").await;
        (sets.len() == 2).then_some(sets)
    })
    .await;
    assert_eq!(sets.iter().map(revision).collect::<Vec<_>>(), [3, 4]);
    harness.stop().await;
}

#[tokio::test]
async fn a_stuck_rollout_exceeds_its_progress_deadline() {
    let harness = start().await;
    let deployments: Api<Deployment> = harness.api();
    let mut d = deployment("stuck", 1, "nginx:1", json!(null));
    d.spec.as_mut().unwrap().progress_deadline_seconds = Some(1);
    deployments.create(&PostParams::default(), &d).await.expect("create");
    let d = eventually("the deadline", || async {
        let d = deployments.get("stuck").await.expect("get");
        (deployment_condition(&d, "Progressing")?.1 == "ProgressDeadlineExceeded").then_some(d)
    })
    .await;
    let (status, _, message) = deployment_condition(&d, "Progressing").unwrap();
    assert_eq!(status, "False");
    assert!(message.ends_with("has timed out progressing."), "{message}");
    let available = deployment_condition(&d, "Available").unwrap();
    assert_eq!((available.0.as_str(), available.1.as_str()), ("False", "MinimumReplicasUnavailable"));
    harness.stop().await;
}

async fn ready_deployment(harness: &Harness, name: &str, replicas: usize) {
    let deployments: Api<Deployment> = harness.api();
    deployments.create(&PostParams::default(), &deployment(name, 2, "nginx:1", json!(null))).await.expect("create");
    drive_rollout(harness, name, "nginx:1", replicas, replicas + 1, 0).await;
}

#[tokio::test]
async fn deleting_a_deployment_in_the_background_removes_its_replica_sets_and_pods() {
    let harness = start().await;
    ready_deployment(&harness, "bye", 2).await;
    let deployments: Api<Deployment> = harness.api();
    deployments.delete("bye", &DeleteParams::background()).await.expect("delete");
    eventually("no replica sets", || async { replica_sets(&harness, "bye").await.is_empty().then_some(()) }).await;
    let pods: Api<Pod> = harness.api();
    eventually("no pods", || async {
        pods.list(&ListParams::default().labels("app=bye")).await.expect("list").items.is_empty().then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn deleting_a_deployment_with_orphan_keeps_its_replica_sets_and_pods() {
    let harness = start().await;
    ready_deployment(&harness, "keep", 2).await;
    let deployments: Api<Deployment> = harness.api();
    deployments.delete("keep", &DeleteParams::orphan()).await.expect("delete");
    eventually("the deployment is gone", || async {
        deployments.get_opt("keep").await.expect("get").is_none().then_some(())
    })
    .await;
    let sets = eventually("a released replica set", || async {
        let sets = replica_sets(&harness, "keep").await;
        (sets.len() == 1 && sets[0].owner_references().is_empty()).then_some(sets)
    })
    .await;
    // The set stays, and so do its pods (still owned by it).
    let pods = harness.wait_pods("the pods stay", "app=keep", 2).await;
    assert!(pods.iter().all(|p| p.owner_references()[0].uid == sets[0].uid().unwrap()));
    harness.stop().await;
}

#[tokio::test]
async fn deleting_a_deployment_in_the_foreground_waits_for_its_dependents() {
    let harness = start().await;
    ready_deployment(&harness, "slow", 2).await;
    let deployments: Api<Deployment> = harness.api();
    let deleted = deployments.delete("slow", &DeleteParams::foreground()).await.expect("delete");
    let marked = deleted.left().expect("marked, not yet deleted");
    assert!(marked.finalizers().iter().any(|f| f == "foregroundDeletion"));
    eventually("everything is gone", || async {
        let gone = deployments.get_opt("slow").await.expect("get").is_none()
            && replica_sets(&harness, "slow").await.is_empty()
            && harness.pods("app=slow").await.is_empty();
        gone.then_some(())
    })
    .await;
    harness.stop().await;
}

fn config_map(name: &str, owners: serde_json::Value) -> ConfigMap {
    object(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "ownerReferences": owners}}))
}

fn owner(map: &ConfigMap) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "name": map.name_any(), "uid": map.uid().unwrap()})
}

#[tokio::test]
async fn a_dependent_with_another_live_owner_only_loses_the_reference() {
    let harness = start().await;
    let maps: Api<ConfigMap> = harness.api();
    let first = maps.create(&PostParams::default(), &config_map("first", json!(null))).await.expect("first");
    let second = maps.create(&PostParams::default(), &config_map("second", json!(null))).await.expect("second");
    let shared = config_map("shared", json!([owner(&first), owner(&second)]));
    maps.create(&PostParams::default(), &shared).await.expect("shared");
    let lonely = config_map("lonely", json!([owner(&first)]));
    maps.create(&PostParams::default(), &lonely).await.expect("lonely");
    let dangling =
        config_map("dangling", json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "never", "uid": "0000"}]));
    maps.create(&PostParams::default(), &dangling).await.expect("dangling");
    maps.delete("first", &DeleteParams::default()).await.expect("delete");
    eventually("collection", || async {
        let shared = maps.get_opt("shared").await.expect("get")?;
        let lonely_gone = maps.get_opt("lonely").await.expect("get").is_none();
        let dangling_gone = maps.get_opt("dangling").await.expect("get").is_none();
        let refs: Vec<String> = shared.owner_references().iter().map(|o| o.name.clone()).collect();
        (lonely_gone && dangling_gone && refs == ["second"]).then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn kubectl_rollout_undo_and_restart_work_on_the_revisions() {
    let harness = start().await;
    ready_deployment(&harness, "cli", 2).await;
    set_image(&harness, "cli", "nginx:2").await;
    drive_rollout(&harness, "cli", "nginx:2", 2, 3, 1).await;
    let sets = eventually("two revisions", || async {
        let sets = replica_sets(&harness, "cli").await;
        (sets.len() == 2 && revision(&sets[1]) == 2).then_some(sets)
    })
    .await;
    // `kubectl rollout undo`: the previous revision's template (without the hash label) and its annotations
    // are copied into the Deployment with a JSON patch.
    let mut template = sets[0].spec.clone().unwrap().template.unwrap();
    template.metadata.as_mut().unwrap().labels.as_mut().unwrap().remove("pod-template-hash");
    let annotations: std::collections::BTreeMap<String, String> = sets[0]
        .annotations()
        .iter()
        .filter(|(k, _)| !k.starts_with("deployment.kubernetes.io/"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let patch = json!([
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]);
    let request = http::Request::patch("/apis/apps/v1/namespaces/default/deployments/cli")
        .header("content-type", "application/json-patch+json")
        .body(serde_json::to_vec(&patch).expect("json"))
        .expect("a request");
    harness.client.request_text(request).await.expect("undo");
    let deployments: Api<Deployment> = harness.api();
    drive_rollout(&harness, "cli", "nginx:1", 2, 3, 1).await;
    let sets = eventually("revision 3 is the first set", || async {
        let sets = replica_sets(&harness, "cli").await;
        (sets.len() == 2 && revision(&sets[1]) == 3).then_some(sets)
    })
    .await;
    assert_eq!(image_of(&sets[1]), "nginx:1");
    // `kubectl rollout restart`: a template annotation makes a new revision.
    let patch = json!({"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}}}}});
    deployments.patch("cli", &PatchParams::default(), &Patch::Strategic(patch)).await.expect("restart");
    let sets = eventually("revision 4", || async {
        let sets = replica_sets(&harness, "cli").await;
        (sets.len() == 3 && revision(&sets[2]) == 4).then_some(sets)
    })
    .await;
    let restarted = sets[2].spec.clone().unwrap().template.unwrap();
    assert!(restarted.metadata.unwrap().annotations.unwrap().contains_key("kubectl.kubernetes.io/restartedAt"));
    harness.stop().await;
}

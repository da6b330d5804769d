//! The PersistentVolume controller and the simulated EBS provisioner against an in-process API server. The
//! tests play the scheduler where one is needed (the selected-node annotation).

use std::time::Duration;

use common::{Harness, eventually, object, start_with};
use controllers::ControllersConfig;
use k8s_openapi::api::core::v1::{Event, PersistentVolume, PersistentVolumeClaim, Pod};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

mod common;

const WAIT: Duration = Duration::from_secs(10);

async fn start() -> Harness {
    start_with(ControllersConfig::default()).await
}

async fn create<K>(client: &kube::Client, value: serde_json::Value) -> K
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::ClusterResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    Api::<K>::all(client.clone()).create(&PostParams::default(), &object(value)).await.expect("create")
}

async fn create_here<K>(client: &kube::Client, value: serde_json::Value) -> K
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    Api::<K>::namespaced(client.clone(), "default")
        .create(&PostParams::default(), &object(value))
        .await
        .expect("create")
}

fn volume(name: &str, size: &str, class: &str, policy: &str) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
           "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteOnce"], "storageClassName": class,
                    "persistentVolumeReclaimPolicy": policy, "hostPath": {"path": format!("/data/{name}")}}})
}

fn claim(name: &str, size: &str, class: Option<&str>) -> serde_json::Value {
    let mut value = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}});
    if let Some(class) = class {
        value["spec"]["storageClassName"] = json!(class);
    }
    value
}

async fn claim_in_phase(client: &kube::Client, name: &str, phase: &str) -> PersistentVolumeClaim {
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "default");
    eventually(&format!("claim {name} {phase}"), WAIT, || async {
        let claim = claims.get(name).await.expect("get claim");
        (claim.status.as_ref().and_then(|s| s.phase.as_deref()) == Some(phase)).then_some(claim)
    })
    .await
}

async fn volume_in_phase(client: &kube::Client, name: &str, phase: &str) -> PersistentVolume {
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    eventually(&format!("volume {name} {phase}"), WAIT, || async {
        let volume = volumes.get(name).await.expect("get volume");
        (volume.status.as_ref().and_then(|s| s.phase.as_deref()) == Some(phase)).then_some(volume)
    })
    .await
}

async fn event_reasons(client: &kube::Client, name: &str) -> Vec<String> {
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let listed = events.list(&ListParams::default()).await.expect("list events").items;
    listed.into_iter().filter(|e| e.involved_object.name.as_deref() == Some(name)).filter_map(|e| e.reason).collect()
}

async fn wait_for_event(client: &kube::Client, name: &str, reason: &str) {
    eventually(&format!("{reason} event on {name}"), WAIT, || async {
        event_reasons(client, name).await.iter().any(|r| r == reason).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_claim_binds_the_smallest_volume_that_satisfies_it() {
    let harness = start().await;
    let client = harness.client.clone();
    let _: PersistentVolume = create(&client, volume("big", "20Gi", "manual", "Retain")).await;
    let _: PersistentVolume = create(&client, volume("small", "5Gi", "manual", "Retain")).await;
    let _: PersistentVolume = create(&client, volume("other-class", "5Gi", "fast", "Retain")).await;
    volume_in_phase(&client, "small", "Available").await;
    let _: PersistentVolumeClaim = create_here(&client, claim("data", "4Gi", Some("manual"))).await;

    let bound = claim_in_phase(&client, "data", "Bound").await;
    assert_eq!(bound.spec.as_ref().and_then(|s| s.volume_name.as_deref()), Some("small"));
    let status = bound.status.clone().expect("status");
    assert_eq!(status.capacity.expect("capacity")["storage"].0, "5Gi");
    assert_eq!(status.access_modes.as_deref(), Some(&["ReadWriteOnce".to_owned()][..]));
    assert_eq!(bound.annotations().get("pv.kubernetes.io/bind-completed").map(String::as_str), Some("yes"));
    assert!(bound.finalizers().iter().any(|f| f == "kubernetes.io/pvc-protection"));
    let small = volume_in_phase(&client, "small", "Bound").await;
    let reference = small.spec.and_then(|s| s.claim_ref).expect("claimRef");
    assert_eq!((reference.namespace.as_deref(), reference.name.as_deref()), (Some("default"), Some("data")));
    assert_eq!(reference.uid, bound.metadata.uid);
    assert!(small.metadata.finalizers.iter().flatten().any(|f| f == "kubernetes.io/pv-protection"));
    volume_in_phase(&client, "big", "Available").await;

    // Too big for every volume left: it waits, saying why.
    let _: PersistentVolumeClaim = create_here(&client, claim("huge", "50Gi", Some("manual"))).await;
    claim_in_phase(&client, "huge", "Pending").await;
    let _: PersistentVolumeClaim = create_here(&client, claim("classless", "1Gi", Some(""))).await;
    wait_for_event(&client, "classless", "FailedBinding").await;
    harness.stop().await;
}

#[tokio::test]
async fn a_released_volume_is_kept_or_deleted_by_its_reclaim_policy() {
    let harness = start().await;
    let client = harness.client.clone();
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "default");
    let _: PersistentVolume = create(&client, volume("kept", "1Gi", "manual", "Retain")).await;
    let _: PersistentVolumeClaim = create_here(&client, claim("data", "1Gi", Some("manual"))).await;
    claim_in_phase(&client, "data", "Bound").await;
    claims.delete("data", &DeleteParams::default()).await.expect("delete claim");
    let released = volume_in_phase(&client, "kept", "Released").await;
    assert!(released.spec.and_then(|s| s.claim_ref).is_some(), "a released volume keeps its claimRef");
    // A new claim does not take a released volume.
    let _: PersistentVolumeClaim = create_here(&client, claim("again", "1Gi", Some("manual"))).await;
    claim_in_phase(&client, "again", "Pending").await;
    harness.stop().await;
}

#[tokio::test]
async fn a_claim_in_use_by_a_pod_is_deleted_only_after_the_pod() {
    let harness = start().await;
    let client = harness.client.clone();
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let _: PersistentVolumeClaim = create_here(&client, claim("data", "1Gi", Some(""))).await;
    eventually("the protection finalizer", WAIT, || async {
        let claim = claims.get("data").await.expect("get");
        claim.finalizers().iter().any(|f| f == "kubernetes.io/pvc-protection").then_some(())
    })
    .await;
    let _: Pod = create_here(
        &client,
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "user"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}],
                 "volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "data"}}]}}),
    )
    .await;
    claims.delete("data", &DeleteParams::default()).await.expect("delete claim");
    let terminating = claims.get("data").await.expect("still there");
    assert!(terminating.metadata.deletion_timestamp.is_some());
    pods.delete("user", &DeleteParams { grace_period_seconds: Some(0), ..DeleteParams::default() })
        .await
        .expect("delete pod");
    eventually("the claim is gone", WAIT, || async {
        claims.get_opt("data").await.expect("get").is_none().then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn the_ebs_provisioner_makes_a_volume_in_the_selected_nodes_zone_once_the_driver_is_installed() {
    let harness = start().await;
    let client = harness.client.clone();
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "default");
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    let _: k8s_openapi::api::storage::v1::StorageClass = create(
        &client,
        json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "gp3"},
        "provisioner": "ebs.csi.aws.com", "volumeBindingMode": "WaitForFirstConsumer",
        "parameters": {"type": "gp3", "csi.storage.k8s.io/fstype": "xfs"}}),
    )
    .await;
    let _: k8s_openapi::api::core::v1::Node = create(
        &client,
        json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "ip-10-0-1-5.ec2.internal", "labels": {"topology.kubernetes.io/zone": "us-east-1b"}}}),
    )
    .await;
    let created: PersistentVolumeClaim = create_here(&client, claim("data", "1500Mi", Some("gp3"))).await;
    wait_for_event(&client, "data", "WaitForFirstConsumer").await;

    // The scheduler picks a node; without the driver the claim waits for it.
    let selected =
        json!({"metadata": {"annotations": {"volume.kubernetes.io/selected-node": "ip-10-0-1-5.ec2.internal"}}});
    claims.patch("data", &PatchParams::default(), &Patch::Merge(&selected)).await.expect("select node");
    wait_for_event(&client, "data", "ExternalProvisioning").await;
    let waiting = claims.get("data").await.expect("get");
    assert_eq!(waiting.annotations()["volume.kubernetes.io/storage-provisioner"], "ebs.csi.aws.com");
    assert!(volumes.list(&ListParams::default()).await.expect("list").items.is_empty());

    let _: k8s_openapi::api::storage::v1::CSIDriver = create(
        &client,
        json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": "ebs.csi.aws.com"},
        "spec": {"attachRequired": true, "podInfoOnMount": false}}),
    )
    .await;
    let bound = claim_in_phase(&client, "data", "Bound").await;
    let name = format!("pvc-{}", created.uid().expect("uid"));
    assert_eq!(bound.spec.as_ref().and_then(|s| s.volume_name.as_deref()), Some(name.as_str()));
    let volume = volume_in_phase(&client, &name, "Bound").await;
    assert_eq!(volume.annotations()["pv.kubernetes.io/provisioned-by"], "ebs.csi.aws.com");
    let spec = volume.spec.clone().expect("spec");
    assert_eq!(spec.capacity.expect("capacity")["storage"].0, "2Gi", "1500Mi rounds up to whole GiB");
    let csi = spec.csi.expect("a CSI volume");
    assert_eq!((csi.driver.as_str(), csi.fs_type.as_deref()), ("ebs.csi.aws.com", Some("xfs")));
    assert!(csi.volume_handle.starts_with("vol-") && csi.volume_handle.len() == 21, "{}", csi.volume_handle);
    let term = &spec.node_affinity.and_then(|a| a.required).expect("required affinity").node_selector_terms[0];
    let expression = &term.match_expressions.as_ref().expect("expressions")[0];
    assert_eq!(expression.key, "topology.kubernetes.io/zone");
    assert_eq!(expression.values.as_deref(), Some(&["us-east-1b".to_owned()][..]));
    assert_eq!(spec.persistent_volume_reclaim_policy.as_deref(), Some("Delete"));
    wait_for_event(&client, "data", "ProvisioningSucceeded").await;

    // Deleting the claim deletes the EBS volume (reclaim policy Delete).
    claims.delete("data", &DeleteParams::default()).await.expect("delete claim");
    eventually("the volume is deleted", WAIT, || async {
        volumes.get_opt(&name).await.expect("get").is_none().then_some(())
    })
    .await;
    harness.stop().await;
}

#[tokio::test]
async fn a_claim_without_a_class_gets_the_default_class_once_there_is_one() {
    let harness = start().await;
    let client = harness.client.clone();
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "default");
    let _: PersistentVolumeClaim = create_here(&client, claim("data", "1Gi", None)).await;
    wait_for_event(&client, "data", "FailedBinding").await;
    let _: k8s_openapi::api::storage::v1::StorageClass = create(
        &client,
        json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "gp2", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "kubernetes.io/aws-ebs", "volumeBindingMode": "WaitForFirstConsumer"}),
    )
    .await;
    eventually("the default class is assigned", WAIT, || async {
        let claim = claims.get("data").await.expect("get");
        (claim.spec.and_then(|s| s.storage_class_name).as_deref() == Some("gp2")).then_some(())
    })
    .await;
    harness.stop().await;
}

/// An `EbsVolumes` in memory: each volume's attachment (instance, device), and whether it still exists.
#[derive(Debug, Default)]
struct FakeEbs {
    volumes: std::sync::Mutex<std::collections::BTreeMap<String, (controllers::ebs::VolumeRequest, Option<String>)>>,
}

impl FakeEbs {
    fn attached_to(&self, id: &str) -> Option<Option<String>> {
        self.volumes.lock().unwrap().get(id).map(|(_, instance)| instance.clone())
    }
}

#[async_trait::async_trait]
impl controllers::ebs::EbsVolumes for FakeEbs {
    async fn create(&self, request: &controllers::ebs::VolumeRequest) -> Result<String, String> {
        let id = format!("vol-{:017x}", request.name.len() * 7919);
        self.volumes.lock().unwrap().entry(id.clone()).or_insert((request.clone(), None));
        Ok(id)
    }
    async fn delete(&self, volume_id: &str) -> Result<(), String> {
        let mut volumes = self.volumes.lock().unwrap();
        if volumes.get(volume_id).is_some_and(|(_, instance)| instance.is_some()) {
            return Err(format!("Volume {volume_id} is currently attached"));
        }
        volumes.remove(volume_id);
        Ok(())
    }
    async fn attach(&self, volume_id: &str, instance_id: &str) -> Result<String, String> {
        let mut volumes = self.volumes.lock().unwrap();
        let (_, instance) = volumes.get_mut(volume_id).ok_or("no such volume")?;
        *instance = Some(instance_id.to_owned());
        Ok("/dev/xvdaa".into())
    }
    async fn detach(&self, volume_id: &str, instance_id: &str) -> Result<(), String> {
        if let Some((_, instance)) = self.volumes.lock().unwrap().get_mut(volume_id)
            && instance.as_deref() == Some(instance_id)
        {
            *instance = None;
        }
        Ok(())
    }
}

#[tokio::test]
async fn with_an_ebs_backend_volumes_are_made_attached_detached_and_deleted_there() {
    let ebs = std::sync::Arc::new(FakeEbs::default());
    let harness = start_with(ControllersConfig { ebs: Some(ebs.clone()), ..ControllersConfig::default() }).await;
    let client = harness.client.clone();
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "default");
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    let attachments: Api<k8s_openapi::api::storage::v1::VolumeAttachment> = Api::all(client.clone());
    let _: k8s_openapi::api::storage::v1::StorageClass = create(
        &client,
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "gp3"},
               "provisioner": "ebs.csi.aws.com", "volumeBindingMode": "Immediate", "parameters": {"type": "io1"}}),
    )
    .await;
    let _: k8s_openapi::api::storage::v1::CSIDriver = create(
        &client,
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": "ebs.csi.aws.com"},
               "spec": {"attachRequired": true}}),
    )
    .await;
    let node = "ip-10-0-1-5.ec2.internal";
    let _: k8s_openapi::api::core::v1::Node = create(
        &client,
        json!({"apiVersion": "v1", "kind": "Node",
               "metadata": {"name": node, "labels": {"topology.kubernetes.io/zone": "us-east-1b"}},
               "spec": {"providerID": "aws:///us-east-1b/i-0123456789abcdef0"}}),
    )
    .await;
    let created: PersistentVolumeClaim = create_here(&client, claim("data", "2Gi", Some("gp3"))).await;
    claim_in_phase(&client, "data", "Bound").await;
    let name = format!("pvc-{}", created.uid().expect("uid"));
    let volume = volume_in_phase(&client, &name, "Bound").await;
    let handle = volume.spec.and_then(|s| s.csi).expect("a CSI volume").volume_handle;
    let (request, attached) = ebs.volumes.lock().unwrap()[&handle].clone();
    assert_eq!(
        (request.zone.as_str(), request.size_gib, request.parameters["type"].as_str()),
        ("us-east-1b", 2, "io1")
    );
    assert_eq!(request.tags, controllers::ebs::driver_tags(&name, "default", "data"));
    assert_eq!(attached, None);

    // A pod on the node: a VolumeAttachment, attached to the node's instance.
    let _: Pod = create_here(
        &client,
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db"},
               "spec": {"nodeName": node, "containers": [{"name": "db", "image": "postgres"}],
                        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}}),
    )
    .await;
    let attachment = eventually("the volume is attached", WAIT, || async {
        let found = attachments.list(&ListParams::default()).await.expect("list").items;
        found.into_iter().find(|a| a.status.as_ref().is_some_and(|s| s.attached))
    })
    .await;
    assert_eq!((attachment.spec.node_name.as_str(), attachment.spec.attacher.as_str()), (node, "ebs.csi.aws.com"));
    assert_eq!(attachment.spec.source.persistent_volume_name.as_deref(), Some(name.as_str()));
    let device = attachment.status.and_then(|s| s.attachment_metadata).expect("metadata")["devicePath"].clone();
    assert_eq!(device, "/dev/xvdaa");
    assert_eq!(ebs.attached_to(&handle), Some(Some("i-0123456789abcdef0".into())));

    // The pod goes: detached, and the VolumeAttachment with it; the claim goes: the EBS volume is deleted.
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    pods.delete("db", &DeleteParams::default().grace_period(0)).await.expect("delete pod");
    eventually("the volume is detached", WAIT, || async {
        let gone = attachments.list(&ListParams::default()).await.expect("list").items.is_empty();
        (gone && ebs.attached_to(&handle) == Some(None)).then_some(())
    })
    .await;
    claims.delete("data", &DeleteParams::default()).await.expect("delete claim");
    eventually("the volume is deleted there too", WAIT, || async {
        let gone = volumes.get_opt(&name).await.expect("get").is_none();
        (gone && ebs.attached_to(&handle).is_none()).then_some(())
    })
    .await;
    harness.stop().await;
}

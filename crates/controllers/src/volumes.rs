//! The PersistentVolume controller (binding claims to volumes, volume phases, reclaiming, the protection
//! finalizers, retroactive default classes) and a simulated EBS CSI provisioner.
//!
//! A claim binds to the smallest Available volume that satisfies it (class, access modes, size, volume mode,
//! selector; for a claim of a `WaitForFirstConsumer` class, also the node the scheduler selected). When none
//! does and the claim's class names a provisioner, the claim waits for it: the EBS provisioner
//! (`ebs.csi.aws.com`, and `kubernetes.io/aws-ebs` migrated to it) answers only while the cluster has the
//! `ebs.csi.aws.com` CSIDriver, which the EKS add-on `aws-ebs-csi-driver` installs, as on EKS. A provisioned
//! volume is an EBS volume in the zone of the selected node (or, for `Immediate` classes, of the first zone a
//! node has), sized in whole GiB, pinned to its zone by node affinity, and deleted with its claim when its
//! reclaim policy is `Delete`. Given an [`EbsVolumes`] (EKS clusters), the volume is made there first, with the
//! driver's tags, and its id is the volume's handle; reclaiming deletes it there before the volume object goes.
//!
//! EKS Auto Mode's block storage capability is a second EBS driver, `ebs.csi.eks.amazonaws.com`: while the
//! cluster has it on ([`EbsVolumes::auto_mode_block_storage`], asked every few seconds) its CSIDriver is in the
//! cluster and its classes are provisioned as the add-on's are, the volumes naming Auto Mode's driver; once off,
//! the CSIDriver goes and new claims of its classes wait.
//!
//! Given an [`EfsVolumes`] (EKS clusters), classes of the EFS CSI driver (`efs.csi.aws.com`, registered by the
//! `aws-efs-csi-driver` add-on) are provisioned as the driver does it in `efs-ap` mode: an access point of the
//! class's file system per claim (`crate::efs`), a volume with no zone whose handle is `fs-...::fsap-...`, and
//! reclaiming with `Delete` deletes the access point.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Node, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::{CSIDriver, StorageClass};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use serde_json::{Value, json};

use crate::batch_support::{ReconcileError, ignore_not_found, is_conflict, is_terminal, record_event, retry_later};
use crate::ebs::{EbsVolumes, VolumeRequest, driver_tags};
use crate::efs::{EFS_DRIVER, EfsVolumes};

/// The EBS CSI driver's name.
pub const EBS_DRIVER: &str = "ebs.csi.aws.com";
/// EKS Auto Mode's EBS driver: its block storage capability, provisioned as [`EBS_DRIVER`]'s classes are.
pub const AUTO_MODE_EBS_DRIVER: &str = "ebs.csi.eks.amazonaws.com";
/// The in-tree EBS provisioner, migrated to [`EBS_DRIVER`].
pub const IN_TREE_EBS: &str = "kubernetes.io/aws-ebs";
/// The annotation the scheduler sets on a `WaitForFirstConsumer` claim once it has chosen a node.
pub const SELECTED_NODE: &str = "volume.kubernetes.io/selected-node";
/// The finalizer that keeps a claim while pods use it.
pub const PVC_PROTECTION: &str = "kubernetes.io/pvc-protection";
/// The finalizer that keeps a volume while it is bound.
pub const PV_PROTECTION: &str = "kubernetes.io/pv-protection";
/// The finalizer the CSI external provisioner puts on the volumes it provisions.
pub const PROVISIONER_FINALIZER: &str = "external-provisioner.volume.kubernetes.io/finalizer";

const COMPONENT: &str = "persistentvolume-controller";
const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
const DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";
const BIND_COMPLETED: &str = "pv.kubernetes.io/bind-completed";
const BOUND_BY_CONTROLLER: &str = "pv.kubernetes.io/bound-by-controller";
const PROVISIONED_BY: &str = "pv.kubernetes.io/provisioned-by";
const STORAGE_PROVISIONER: [&str; 2] =
    ["volume.beta.kubernetes.io/storage-provisioner", "volume.kubernetes.io/storage-provisioner"];
/// How often a claim or volume waiting on something no watch here reports (a pod going away, a node joining)
/// looks again.
const RECHECK: Duration = Duration::from_secs(2);
/// How often a claim that waits for its provisioner says so again (the upstream controller's resync period).
const RESYNC: Duration = Duration::from_secs(15);
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

struct Context {
    client: kube::Client,
    ebs: Option<Arc<dyn EbsVolumes>>,
    efs: Option<Arc<dyn EfsVolumes>>,
}

/// Runs the claim and volume halves of the controller until the task is dropped; with `ebs`, the EBS volumes it
/// provisions are made and deleted there; with `efs`, EFS classes are provisioned as access points there.
pub async fn run(client: kube::Client, ebs: Option<Arc<dyn EbsVolumes>>, efs: Option<Arc<dyn EfsVolumes>>) {
    let context = Arc::new(Context { client: client.clone(), ebs, efs });
    let claim_of = |volume: PersistentVolume| {
        let claim = volume.spec.as_ref()?.claim_ref.as_ref()?;
        Some(ObjectRef::<PersistentVolumeClaim>::new(claim.name.as_deref()?).within(claim.namespace.as_deref()?))
    };
    let controller = Controller::new(Api::<PersistentVolumeClaim>::all(client.clone()), watcher::Config::default());
    // A new class or driver may be what unbound claims wait for.
    let store = controller.store();
    let unbound = move || {
        store
            .state()
            .into_iter()
            .filter(|c| c.spec.as_ref().and_then(|s| s.volume_name.as_deref()).is_none_or(str::is_empty))
            .map(|c| ObjectRef::from_obj(c.as_ref()))
            .collect::<Vec<_>>()
    };
    let unbound_too = unbound.clone();
    let claims = controller
        .watches(Api::<PersistentVolume>::all(client.clone()), watcher::Config::default(), claim_of)
        .watches(Api::<StorageClass>::all(client.clone()), watcher::Config::default(), move |_| unbound())
        .watches(Api::<CSIDriver>::all(client.clone()), watcher::Config::default(), move |_| unbound_too())
        .run(reconcile_claim, retry_later, Arc::clone(&context))
        .for_each(|_| async {});
    let volume_of = |claim: PersistentVolumeClaim| {
        let name = claim.spec.as_ref()?.volume_name.as_deref().filter(|n| !n.is_empty())?;
        Some(ObjectRef::<PersistentVolume>::new(name))
    };
    let auto_mode = follow_auto_mode_driver(client.clone(), context.ebs.clone());
    let volumes = Controller::new(Api::<PersistentVolume>::all(client.clone()), watcher::Config::default())
        .watches(Api::<PersistentVolumeClaim>::all(client.clone()), watcher::Config::default(), volume_of)
        .run(reconcile_volume, retry_later, context)
        .for_each(|_| async {});
    tokio::join!(claims, volumes, auto_mode);
}

/// How often whether EKS Auto Mode's block storage is on is asked again.
const AUTO_MODE_INTERVAL: Duration = Duration::from_secs(5);

/// The CSIDriver object of EKS Auto Mode's EBS driver, as an Auto Mode cluster lists it.
pub fn auto_mode_csi_driver() -> CSIDriver {
    serde_json::from_value(json!({
        "apiVersion": "storage.k8s.io/v1",
        "kind": "CSIDriver",
        "metadata": { "name": AUTO_MODE_EBS_DRIVER },
        "spec": {
            "attachRequired": true,
            "podInfoOnMount": false,
            "fsGroupPolicy": "ReadWriteOnceWithFSType",
            "requiresRepublish": false,
            "storageCapacity": false,
            "volumeLifecycleModes": ["Persistent"],
        }
    }))
    .expect("a valid CSIDriver")
}

/// Keeps Auto Mode's CSIDriver in the cluster while its block storage capability is on (asked of `ebs` every
/// [`AUTO_MODE_INTERVAL`], so that UpdateClusterConfig takes effect) and takes it out once it is off; without `ebs`
/// (clusters EKS does not run) there is nothing to follow.
async fn follow_auto_mode_driver(client: kube::Client, ebs: Option<Arc<dyn EbsVolumes>>) {
    let Some(ebs) = ebs else { return };
    let drivers: Api<CSIDriver> = Api::all(client);
    loop {
        match ebs.auto_mode_block_storage().await {
            Ok(on) => {
                if let Err(error) = sync_auto_mode_driver(&drivers, on).await {
                    tracing::debug!(%error, "could not bring Auto Mode's CSIDriver in line; trying again");
                }
            }
            Err(error) => tracing::debug!(%error, "could not read whether Auto Mode block storage is on"),
        }
        tokio::time::sleep(AUTO_MODE_INTERVAL).await;
    }
}

async fn sync_auto_mode_driver(drivers: &Api<CSIDriver>, on: bool) -> Result<(), kube::Error> {
    let present = drivers.get_opt(AUTO_MODE_EBS_DRIVER).await?.is_some();
    match (on, present) {
        (true, false) => match drivers.create(&PostParams::default(), &auto_mode_csi_driver()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
            Err(error) => Err(error),
        },
        (false, true) => ignore_not_found(drivers.delete(AUTO_MODE_EBS_DRIVER, &DeleteParams::default()).await),
        _ => Ok(()),
    }
}

/// A claim's requested size in bytes.
fn requested_bytes(claim: &PersistentVolumeClaim) -> f64 {
    let requests = claim.spec.as_ref().and_then(|s| s.resources.as_ref()).and_then(|r| r.requests.as_ref());
    requests.and_then(|r| r.get("storage")).and_then(|q| k8s_model::parse_quantity(&q.0)).unwrap_or(0.0)
}

fn capacity_bytes(volume: &PersistentVolume) -> f64 {
    let capacity = volume.spec.as_ref().and_then(|s| s.capacity.as_ref()).and_then(|c| c.get("storage"));
    capacity.and_then(|q| k8s_model::parse_quantity(&q.0)).unwrap_or(0.0)
}

fn volume_mode(mode: Option<&String>) -> &str {
    mode.map_or("Filesystem", String::as_str)
}

fn annotation<'a>(object: &'a impl kube::Resource, key: &str) -> Option<&'a str> {
    object.meta().annotations.as_ref()?.get(key).map(String::as_str)
}

/// Whether a volume's required node affinity lets it be used on a node with `labels` (no affinity: anywhere).
pub fn volume_fits_node(volume: &PersistentVolume, labels: &BTreeMap<String, String>) -> bool {
    let Some(required) = volume.spec.as_ref().and_then(|s| s.node_affinity.as_ref()).and_then(|a| a.required.as_ref())
    else {
        return true;
    };
    required.node_selector_terms.iter().any(|term| {
        term.match_expressions
            .iter()
            .flatten()
            .all(|e| crate::batch_support::node_requirement_matches(e, labels.get(&e.key)))
            && (term.match_expressions.as_ref().is_some_and(|e| !e.is_empty())
                || term.match_fields.as_ref().is_some_and(|f| !f.is_empty()))
    })
}

/// Whether `volume` may be bound to `claim`: free (or reserved for this claim), and satisfying it. `node` holds
/// the labels of the node a `WaitForFirstConsumer` claim is going to.
pub fn volume_satisfies(
    volume: &PersistentVolume,
    claim: &PersistentVolumeClaim,
    node: Option<&BTreeMap<String, String>>,
) -> bool {
    let (Some(spec), Some(wanted)) = (volume.spec.as_ref(), claim.spec.as_ref()) else { return false };
    if volume.metadata.deletion_timestamp.is_some() {
        return false;
    }
    let reserved_for_claim = match &spec.claim_ref {
        None => true,
        Some(reference) => {
            reference.name.as_deref() == claim.metadata.name.as_deref()
                && reference.namespace.as_deref() == claim.metadata.namespace.as_deref()
                && reference
                    .uid
                    .as_deref()
                    .is_none_or(|uid| uid.is_empty() || Some(uid) == claim.metadata.uid.as_deref())
        }
    };
    let phase = volume.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
    if !reserved_for_claim || matches!(phase, "Released" | "Failed") {
        return false;
    }
    let class = |c: Option<&String>| c.cloned().unwrap_or_default();
    let modes = spec.access_modes.as_deref().unwrap_or_default();
    class(spec.storage_class_name.as_ref()) == class(wanted.storage_class_name.as_ref())
        && volume_mode(spec.volume_mode.as_ref()) == volume_mode(wanted.volume_mode.as_ref())
        && wanted.access_modes.iter().flatten().all(|mode| modes.contains(mode))
        && capacity_bytes(volume) >= requested_bytes(claim)
        && wanted.selector.as_ref().is_none_or(|s| crate::batch_support::selector_matches(s, volume.labels()))
        && node.is_none_or(|labels| volume_fits_node(volume, labels))
}

/// EBS sizes volumes in whole GiB, at least one.
pub fn ebs_size_gib(bytes: f64) -> u64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let gib = (bytes / GIB).ceil().max(1.0) as u64;
    gib
}

/// The EBS volume id a claim's volume gets: derived from the claim's uid, so a retried provisioning makes the
/// same volume.
pub fn ebs_volume_id(claim_uid: &str) -> String {
    let hex: String = claim_uid.chars().filter(char::is_ascii_hexdigit).take(17).collect();
    format!("vol-{hex:0<17}")
}

/// The EBS volume id behind a volume: its CSI handle (driver `ebs.csi.aws.com` or Auto Mode's) or the last part of its in-tree
/// `awsElasticBlockStore` id (`aws://<zone>/<id>`).
pub fn ebs_volume_handle(volume: &PersistentVolume) -> Option<String> {
    let spec = volume.spec.as_ref()?;
    if let Some(csi) = spec.csi.as_ref().filter(|csi| csi.driver == EBS_DRIVER || csi.driver == AUTO_MODE_EBS_DRIVER) {
        return Some(csi.volume_handle.clone());
    }
    let in_tree = spec.aws_elastic_block_store.as_ref()?;
    in_tree.volume_id.rsplit('/').next().filter(|id| !id.is_empty()).map(str::to_owned)
}

/// The claims a pod's volumes use: those it names and its generic ephemeral volumes' (`<pod>-<volume>`).
pub fn claims_of(pod: &Pod) -> Vec<String> {
    let volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_ref());
    volumes
        .into_iter()
        .flatten()
        .filter_map(|volume| {
            let claimed = volume.persistent_volume_claim.as_ref().map(|c| c.claim_name.clone());
            claimed.or_else(|| volume.ephemeral.as_ref().map(|_| format!("{}-{}", pod.name_any(), volume.name)))
        })
        .collect()
}

/// The volume the EBS provisioner makes for `claim` of `class` in `zone`, backed by the EBS volume `volume_id`.
pub fn provisioned_volume(
    claim: &PersistentVolumeClaim,
    class: &StorageClass,
    zone: &str,
    volume_id: &str,
) -> PersistentVolume {
    let uid = claim.uid().unwrap_or_default();
    let spec = claim.spec.clone().unwrap_or_default();
    let parameters = class.parameters.clone().unwrap_or_default();
    let fs_type = parameters
        .get("csi.storage.k8s.io/fstype")
        .or_else(|| parameters.get("fsType"))
        .cloned()
        .unwrap_or_else(|| "ext4".to_owned());
    let size = format!("{}Gi", ebs_size_gib(requested_bytes(claim)));
    let in_tree = class.provisioner == IN_TREE_EBS;
    let driver = if class.provisioner == AUTO_MODE_EBS_DRIVER { AUTO_MODE_EBS_DRIVER } else { EBS_DRIVER };
    let source = if in_tree {
        json!({"awsElasticBlockStore": {"volumeID": format!("aws://{zone}/{volume_id}"), "fsType": fs_type}})
    } else {
        json!({"csi": {"driver": driver, "volumeHandle": volume_id, "fsType": fs_type,
                       "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": format!("ekslite-{driver}")}}})
    };
    let mut annotations = json!({PROVISIONED_BY: class.provisioner, "volume.kubernetes.io/provisioner-deletion-secret-name": "",
        "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""});
    if in_tree {
        annotations["pv.kubernetes.io/migrated-to"] = json!(EBS_DRIVER);
    }
    let mut volume = json!({
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {
            "name": format!("pvc-{uid}"),
            "annotations": annotations,
            "finalizers": [PV_PROTECTION, PROVISIONER_FINALIZER],
        },
        "spec": {
            "accessModes": spec.access_modes.unwrap_or_default(),
            "capacity": {"storage": size},
            "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": claim.namespace(),
                         "name": claim.name_any(), "uid": uid, "resourceVersion": claim.resource_version()},
            "persistentVolumeReclaimPolicy": class.reclaim_policy.as_deref().unwrap_or("Delete"),
            "storageClassName": class.name_any(),
            "volumeMode": volume_mode(spec.volume_mode.as_ref()),
            "mountOptions": class.mount_options,
            "nodeAffinity": {"required": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": ZONE_LABEL, "operator": "In", "values": [zone]}]}]}},
        },
    });
    volume["spec"].as_object_mut().expect("an object").extend(source.as_object().cloned().unwrap_or_default());
    serde_json::from_value(volume).expect("a valid volume")
}

async fn merge_patch<K>(api: &Api<K>, name: &str, patch: &Value) -> Result<K, kube::Error>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.patch(name, &PatchParams::default(), &Patch::Merge(patch)).await
}

/// The finalizers of `object` with `finalizers` added (`present`) or removed, as a merge patch that only applies
/// to the version read; `None` when there is nothing to change.
pub(crate) fn finalizers_patch(object: &impl kube::Resource, finalizers: &[&str], present: bool) -> Option<Value> {
    let mut list = object.meta().finalizers.clone().unwrap_or_default();
    let before = list.len();
    if present {
        for finalizer in finalizers {
            if !list.iter().any(|f| f == finalizer) {
                list.push((*finalizer).to_owned());
            }
        }
    } else {
        list.retain(|f| !finalizers.contains(&f.as_str()));
    }
    (list.len() != before)
        .then(|| json!({"metadata": {"finalizers": list, "resourceVersion": object.meta().resource_version}}))
}

/// Writes a [`finalizers_patch`]; the object having changed since it was read means another look soon.
pub(crate) async fn write_finalizers<K>(api: &Api<K>, name: &str, patch: &Value) -> Result<Action, ReconcileError>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match merge_patch(api, name, patch).await {
        Ok(_) => Ok(Action::await_change()),
        Err(error) if is_conflict(&error) => Ok(Action::requeue(Duration::from_millis(50))),
        Err(error) => Err(error.into()),
    }
}

async fn set_claim_phase(
    claims: &Api<PersistentVolumeClaim>,
    claim: &PersistentVolumeClaim,
    status: Value,
) -> Result<(), ReconcileError> {
    let current = serde_json::to_value(claim.status.clone().unwrap_or_default())?;
    let differs = status.as_object().into_iter().flatten().any(|(key, value)| current.get(key) != Some(value));
    if differs {
        claims
            .patch_status(&claim.name_any(), &PatchParams::default(), &Patch::Merge(json!({"status": status})))
            .await?;
    }
    Ok(())
}

async fn reconcile_claim(claim: Arc<PersistentVolumeClaim>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let client = &context.client;
    let namespace = claim.namespace().unwrap_or_default();
    let name = claim.name_any();
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &namespace);
    let volumes: Api<PersistentVolume> = Api::all(client.clone());

    if claim.metadata.deletion_timestamp.is_some() {
        return release_deleted_claim(client, &claims, &claim).await;
    }
    if let Some(patch) = finalizers_patch(claim.as_ref(), &[PVC_PROTECTION], true) {
        return write_finalizers(&claims, &name, &patch).await;
    }
    let spec = claim.spec.clone().unwrap_or_default();
    let bound_name = spec.volume_name.clone().filter(|n| !n.is_empty());

    // Bound, or pre-bound by hand to a volume.
    if let Some(volume_name) = bound_name {
        let Some(volume) = volumes.get_opt(&volume_name).await? else {
            if annotation(claim.as_ref(), BIND_COMPLETED).is_some() {
                if claim.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Lost") {
                    record_event(
                        client,
                        COMPONENT,
                        claim.as_ref(),
                        true,
                        "ClaimLost",
                        "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
                    )
                    .await;
                }
                set_claim_phase(&claims, &claim, json!({"phase": "Lost"})).await?;
                return Ok(Action::await_change());
            }
            set_claim_phase(&claims, &claim, json!({"phase": "Pending"})).await?;
            return Ok(Action::requeue(RECHECK));
        };
        let reference = volume.spec.as_ref().and_then(|s| s.claim_ref.as_ref());
        let ours = reference.is_some_and(|r| r.uid.as_deref() == claim.uid().as_deref());
        if ours || volume_satisfies(&volume, &claim, None) {
            bind(client, &claims, &claim, &volume).await?;
        } else {
            set_claim_phase(&claims, &claim, json!({"phase": "Pending"})).await?;
        }
        return Ok(Action::await_change());
    }

    // A claim without any class gets the default one once there is one (upstream's retroactive assignment).
    let classes: Api<StorageClass> = Api::all(client.clone());
    let mut class_name = spec.storage_class_name.clone();
    if class_name.is_none() {
        let default = classes
            .list(&ListParams::default())
            .await?
            .items
            .into_iter()
            .filter(|c| annotation(c, DEFAULT_CLASS) == Some("true"))
            .max_by_key(|c| c.metadata.creation_timestamp.as_ref().map(|t| t.0));
        if let Some(default) = default {
            let patch = json!({"spec": {"storageClassName": default.name_any()}});
            merge_patch(&claims, &name, &patch).await?;
            return Ok(Action::await_change());
        }
        class_name = Some(String::new());
    }
    let class_name = class_name.unwrap_or_default();
    let class = if class_name.is_empty() { None } else { classes.get_opt(&class_name).await? };
    let wait_for_consumer =
        class.as_ref().and_then(|c| c.volume_binding_mode.as_deref()) == Some("WaitForFirstConsumer");
    let selected_node = annotation(claim.as_ref(), SELECTED_NODE).map(str::to_owned);
    set_claim_phase(&claims, &claim, json!({"phase": "Pending"})).await?;
    if wait_for_consumer && selected_node.is_none() {
        record_event(
            client,
            COMPONENT,
            claim.as_ref(),
            false,
            "WaitForFirstConsumer",
            "waiting for first consumer to be created before binding",
        )
        .await;
        return Ok(Action::await_change());
    }
    let node_labels = match selected_node.as_deref().filter(|_| wait_for_consumer) {
        Some(node) => {
            Some(Api::<Node>::all(client.clone()).get_opt(node).await?.map(|n| n.labels().clone()).unwrap_or_default())
        }
        None => None,
    };

    // The smallest free volume that satisfies the claim.
    let candidates = volumes.list(&ListParams::default()).await?.items;
    let best = candidates
        .iter()
        .filter(|v| volume_satisfies(v, &claim, node_labels.as_ref()))
        .min_by(|a, b| capacity_bytes(a).total_cmp(&capacity_bytes(b)));
    if let Some(volume) = best {
        bind(client, &claims, &claim, volume).await?;
        return Ok(Action::await_change());
    }

    let Some(class) = class else {
        let (reason, message, warning) = if class_name.is_empty() {
            (
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set".to_owned(),
                false,
            )
        } else {
            ("ProvisioningFailed", format!("storageclass.storage.k8s.io \"{class_name}\" not found"), true)
        };
        record_event(client, COMPONENT, claim.as_ref(), warning, reason, &message).await;
        return Ok(Action::requeue(RESYNC));
    };
    let provisioner = if class.provisioner == IN_TREE_EBS { EBS_DRIVER } else { class.provisioner.as_str() };
    if STORAGE_PROVISIONER.iter().any(|key| annotation(claim.as_ref(), key) != Some(provisioner)) {
        let annotations: serde_json::Map<String, Value> =
            STORAGE_PROVISIONER.iter().map(|key| ((*key).to_owned(), json!(provisioner))).collect();
        merge_patch(&claims, &name, &json!({"metadata": {"annotations": annotations}})).await?;
    }
    record_event(
        client,
        COMPONENT,
        claim.as_ref(),
        false,
        "ExternalProvisioning",
        &format!(
            "Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the \
             system administrator. If volume creation is delayed, please verify that your external provisioner is \
             running and correctly registered."
        ),
    )
    .await;
    if provisioner == EFS_DRIVER
        && let Some(efs) = &context.efs
        && Api::<CSIDriver>::all(client.clone()).get_opt(EFS_DRIVER).await?.is_some()
    {
        return provision_efs(client, efs.as_ref(), &claim, &class).await;
    }
    // Each EBS driver answers only while it is registered: the add-on's, or Auto Mode's while the cluster's block
    // storage capability is on.
    if !matches!(provisioner, EBS_DRIVER | AUTO_MODE_EBS_DRIVER)
        || Api::<CSIDriver>::all(client.clone()).get_opt(provisioner).await?.is_none()
    {
        return Ok(Action::requeue(RESYNC));
    }
    provision(context.as_ref(), &claim, &class, node_labels.as_ref()).await
}

/// The EFS provisioner in `efs-ap` mode: an access point for the claim (the gid the lowest of the class's range
/// that the file system's access points leave free), then a volume with its handle, bound to the claim by its
/// `claimRef`.
async fn provision_efs(
    client: &kube::Client,
    efs: &dyn EfsVolumes,
    claim: &PersistentVolumeClaim,
    class: &StorageClass,
) -> Result<Action, ReconcileError> {
    let component = format!("{EFS_DRIVER}_efs-csi-controller");
    announce_provisioning(client, &component, claim).await;
    let name = format!("pvc-{}", claim.uid().unwrap_or_default());
    let parameters = class.parameters.clone().unwrap_or_default();
    let file_system = parameters.get("fileSystemId").cloned().unwrap_or_default();
    let made = async {
        let gids = efs.gids_in_use(&file_system).await.map_err(|e| format!("File System does not exist: {e}"))?;
        let request = crate::efs::access_point_request(&parameters, &name, &gids)?;
        let id = efs.create_access_point(&request).await.map_err(|error| {
            format!("Failed to create Access point in File System {}: {error}", request.file_system_id)
        })?;
        Ok::<_, String>(format!("{}::{id}", request.file_system_id))
    };
    let handle = match made.await {
        Ok(handle) => handle,
        Err(message) => {
            let message = format!(
                "failed to provision volume with StorageClass \"{}\": rpc error: code = InvalidArgument desc = {message}",
                class.name_any()
            );
            record_event(client, &component, claim, true, "ProvisioningFailed", &message).await;
            return Ok(Action::requeue(RESYNC));
        }
    };
    let volume = crate::efs::provisioned_volume(claim, class, &handle);
    publish_volume(client, &component, claim, &volume).await
}

/// The EBS provisioner: an EBS volume for the claim, in the selected node's zone (or the first zone any node is
/// in), bound to the claim by its `claimRef`; the claim half binds it in turn when the volume shows up.
async fn provision(
    context: &Context,
    claim: &PersistentVolumeClaim,
    class: &StorageClass,
    node_labels: Option<&BTreeMap<String, String>>,
) -> Result<Action, ReconcileError> {
    let client = &context.client;
    let zone = match node_labels.and_then(|labels| labels.get(ZONE_LABEL)) {
        Some(zone) => zone.clone(),
        None => {
            let nodes = Api::<Node>::all(client.clone()).list(&ListParams::default()).await?.items;
            let mut zones: Vec<String> = nodes.iter().filter_map(|n| n.labels().get(ZONE_LABEL).cloned()).collect();
            zones.sort();
            let Some(zone) = zones.into_iter().next() else { return Ok(Action::requeue(RECHECK)) };
            zone
        }
    };
    let driver = if class.provisioner == AUTO_MODE_EBS_DRIVER { AUTO_MODE_EBS_DRIVER } else { EBS_DRIVER };
    let component = format!("{driver}_ebs-csi-controller");
    announce_provisioning(client, &component, claim).await;
    let uid = claim.uid().unwrap_or_default();
    let volume_id = match &context.ebs {
        Some(ebs) => {
            let name = format!("pvc-{uid}");
            let request = VolumeRequest {
                tags: driver_tags(&name, &claim.namespace().unwrap_or_default(), &claim.name_any()),
                name,
                zone: zone.clone(),
                size_gib: ebs_size_gib(requested_bytes(claim)),
                parameters: class.parameters.clone().unwrap_or_default(),
            };
            match ebs.create(&request).await {
                Ok(id) => id,
                Err(message) => {
                    let message =
                        format!("failed to provision volume with StorageClass \"{}\": {message}", class.name_any());
                    record_event(client, &component, claim, true, "ProvisioningFailed", &message).await;
                    return Ok(Action::requeue(RESYNC));
                }
            }
        }
        None => ebs_volume_id(&uid),
    };
    let volume = provisioned_volume(claim, class, &zone, &volume_id);
    publish_volume(client, &component, claim, &volume).await
}

/// Reports on `claim` that a CSI provisioner started on it, as the external provisioner does.
async fn announce_provisioning(client: &kube::Client, component: &str, claim: &PersistentVolumeClaim) {
    let claim_name = format!("{}/{}", claim.namespace().unwrap_or_default(), claim.name_any());
    let message = format!("External provisioner is provisioning volume for claim \"{claim_name}\"");
    record_event(client, component, claim, false, "Provisioning", &message).await;
}

/// Creates the PersistentVolume a provisioner made for `claim` (one already there, from an earlier try, is kept)
/// and reports it on the claim.
async fn publish_volume(
    client: &kube::Client,
    component: &str,
    claim: &PersistentVolumeClaim,
    volume: &PersistentVolume,
) -> Result<Action, ReconcileError> {
    match Api::<PersistentVolume>::all(client.clone()).create(&PostParams::default(), volume).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(error) => return Err(error.into()),
    }
    let message = format!("Successfully provisioned volume {}", volume.name_any());
    record_event(client, component, claim, false, "ProvisioningSucceeded", &message).await;
    Ok(Action::await_change())
}

/// Binds `claim` and `volume` to each other: the volume first (with a resourceVersion precondition, so two
/// claims never take one volume), then the claim.
async fn bind(
    client: &kube::Client,
    claims: &Api<PersistentVolumeClaim>,
    claim: &PersistentVolumeClaim,
    volume: &PersistentVolume,
) -> Result<(), ReconcileError> {
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    let volume_name = volume.name_any();
    let reference = volume.spec.as_ref().and_then(|s| s.claim_ref.as_ref());
    if reference.and_then(|r| r.uid.as_deref()) != claim.uid().as_deref() {
        let patch = json!({
            "metadata": {"resourceVersion": volume.resource_version(), "annotations": {BOUND_BY_CONTROLLER: "yes"}},
            "spec": {"claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": claim.namespace(),
                                  "name": claim.name_any(), "uid": claim.uid(), "resourceVersion": claim.resource_version()}},
        });
        merge_patch(&volumes, &volume_name, &patch).await?;
    }
    if volume.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Bound") {
        volumes
            .patch_status(&volume_name, &PatchParams::default(), &Patch::Merge(json!({"status": {"phase": "Bound"}})))
            .await?;
    }
    let claim_spec = claim.spec.as_ref();
    if claim_spec.and_then(|s| s.volume_name.as_deref()) != Some(volume_name.as_str())
        || annotation(claim, BIND_COMPLETED).is_none()
    {
        let mut annotations = json!({BIND_COMPLETED: "yes"});
        if claim_spec.and_then(|s| s.volume_name.as_deref()).is_none_or(str::is_empty) {
            annotations[BOUND_BY_CONTROLLER] = json!("yes");
        }
        let patch = json!({"metadata": {"annotations": annotations}, "spec": {"volumeName": volume_name}});
        merge_patch(claims, &claim.name_any(), &patch).await?;
    }
    let spec = volume.spec.clone().unwrap_or_default();
    let status = json!({"phase": "Bound", "accessModes": spec.access_modes, "capacity": spec.capacity});
    set_claim_phase(claims, claim, status).await
}

/// A claim being deleted keeps its protection finalizer while a pod that has not finished uses it.
async fn release_deleted_claim(
    client: &kube::Client,
    claims: &Api<PersistentVolumeClaim>,
    claim: &PersistentVolumeClaim,
) -> Result<Action, ReconcileError> {
    let Some(patch) = finalizers_patch(claim, &[PVC_PROTECTION], false) else { return Ok(Action::await_change()) };
    let pods: Api<Pod> = Api::namespaced(client.clone(), &claim.namespace().unwrap_or_default());
    let name = claim.name_any();
    let in_use = pods
        .list(&ListParams::default())
        .await?
        .items
        .iter()
        .any(|pod| !is_terminal(pod) && claims_of(pod).contains(&name));
    if in_use {
        return Ok(Action::requeue(RECHECK));
    }
    write_finalizers(claims, &name, &patch).await
}

async fn reconcile_volume(volume: Arc<PersistentVolume>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let client = &context.client;
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    let name = volume.name_any();
    let spec = volume.spec.clone().unwrap_or_default();
    let phase = volume.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();

    // Which claim the volume is bound to, if that claim still exists.
    let reference = spec.claim_ref.as_ref();
    let claim = match reference.and_then(|r| Some((r.namespace.as_deref()?, r.name.as_deref()?))) {
        Some((namespace, claim_name)) => {
            Api::<PersistentVolumeClaim>::namespaced(client.clone(), namespace).get_opt(claim_name).await?
        }
        None => None,
    };
    let wanted_uid = reference.and_then(|r| r.uid.as_deref()).filter(|uid| !uid.is_empty());
    let claim = claim.filter(|c| wanted_uid.is_none_or(|uid| c.uid().as_deref() == Some(uid)));
    let released = wanted_uid.is_some() && claim.is_none();

    if volume.metadata.deletion_timestamp.is_some() {
        let bound = claim
            .as_ref()
            .is_some_and(|c| c.spec.as_ref().and_then(|s| s.volume_name.as_deref()) == Some(name.as_str()));
        if bound {
            return Ok(Action::requeue(RECHECK));
        }
        // The driver deletes the EBS volume behind a provisioned volume reclaimed with `Delete` before letting the
        // volume object go (not while it is still attached somewhere).
        let provisioned = volume.finalizers().iter().any(|f| f == PROVISIONER_FINALIZER)
            && matches!(
                annotation(volume.as_ref(), PROVISIONED_BY),
                Some(EBS_DRIVER | AUTO_MODE_EBS_DRIVER | IN_TREE_EBS)
            )
            && spec.persistent_volume_reclaim_policy.as_deref() == Some("Delete");
        if let (true, Some(ebs), Some(handle)) = (provisioned, &context.ebs, ebs_volume_handle(&volume))
            && let Err(message) = ebs.delete(&handle).await
        {
            record_event(client, COMPONENT, volume.as_ref(), true, "VolumeFailedDelete", &message).await;
            return Ok(Action::requeue(RECHECK));
        }
        // So does the EFS driver with the access point behind one.
        let access_point = crate::efs::volume_handle(&volume)
            .and_then(crate::efs::parse_volume_handle)
            .and_then(|(_, access_point)| access_point);
        let efs_provisioned = volume.finalizers().iter().any(|f| f == PROVISIONER_FINALIZER)
            && annotation(volume.as_ref(), PROVISIONED_BY) == Some(EFS_DRIVER)
            && spec.persistent_volume_reclaim_policy.as_deref() == Some("Delete");
        if let (true, Some(efs), Some(access_point)) = (efs_provisioned, &context.efs, access_point)
            && let Err(message) = efs.delete_access_point(&access_point).await
        {
            record_event(client, COMPONENT, volume.as_ref(), true, "VolumeFailedDelete", &message).await;
            return Ok(Action::requeue(RECHECK));
        }
        if let Some(patch) = finalizers_patch(volume.as_ref(), &[PV_PROTECTION, PROVISIONER_FINALIZER], false) {
            return write_finalizers(&volumes, &name, &patch).await;
        }
        return Ok(Action::await_change());
    }
    if let Some(patch) = finalizers_patch(volume.as_ref(), &[PV_PROTECTION], true) {
        return write_finalizers(&volumes, &name, &patch).await;
    }
    let new_phase = if released {
        "Released"
    } else if claim
        .as_ref()
        .is_some_and(|c| c.spec.as_ref().and_then(|s| s.volume_name.as_deref()) == Some(name.as_str()))
    {
        "Bound"
    } else {
        "Available"
    };
    if phase != new_phase && !(phase == "Failed" && new_phase == "Released") {
        volumes
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(json!({"status": {"phase": new_phase}})))
            .await?;
    }
    if released && spec.persistent_volume_reclaim_policy.as_deref() == Some("Delete") {
        let provisioned_by = annotation(volume.as_ref(), PROVISIONED_BY);
        if matches!(provisioned_by, Some(EBS_DRIVER | AUTO_MODE_EBS_DRIVER | IN_TREE_EBS | EFS_DRIVER)) {
            // The EBS volume (or EFS access point) goes with its claim.
            ignore_not_found(volumes.delete(&name, &DeleteParams::default()).await)?;
        } else {
            record_event(
                client,
                COMPONENT,
                volume.as_ref(),
                true,
                "VolumeFailedDelete",
                "error getting deleter volume plugin for volume: no deletable volume plugin matched",
            )
            .await;
        }
    }
    Ok(Action::await_change())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_affinity(affinity: Value) -> PersistentVolume {
        serde_json::from_value(json!({"metadata": {"name": "v"}, "spec": {"nodeAffinity": affinity}})).expect("volume")
    }

    #[test]
    fn volume_node_affinity_matches_node_labels_and_refuses_what_it_cannot_read() {
        let zone_b = BTreeMap::from([(ZONE_LABEL.to_owned(), "us-east-1b".to_owned())]);
        let zone_a = BTreeMap::from([(ZONE_LABEL.to_owned(), "us-east-1a".to_owned())]);
        let term = |operator: &str| {
            with_affinity(json!({"required": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": ZONE_LABEL, "operator": operator, "values": ["us-east-1b"]}]}]}}))
        };
        assert!(volume_fits_node(&term("In"), &zone_b));
        assert!(!volume_fits_node(&term("In"), &zone_a));
        assert!(volume_fits_node(&term("NotIn"), &zone_a));
        assert!(!volume_fits_node(&term("Sideways"), &zone_b), "an unknown operator matches nothing");
        let empty_term = with_affinity(json!({"required": {"nodeSelectorTerms": [{}]}}));
        assert!(!volume_fits_node(&empty_term, &zone_b), "an empty term matches nothing");
        assert!(volume_fits_node(&with_affinity(json!({})), &zone_a), "no required affinity: anywhere");
    }

    #[test]
    fn ebs_volumes_come_in_whole_gib_with_ids_from_the_claim() {
        assert_eq!(ebs_size_gib(0.0), 1);
        assert_eq!(ebs_size_gib(1.0), 1);
        assert_eq!(ebs_size_gib(GIB), 1);
        assert_eq!(ebs_size_gib(GIB + 1.0), 2);
        assert_eq!(ebs_size_gib(1500.0 * 1024.0 * 1024.0), 2);
        assert_eq!(ebs_volume_id("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), "vol-0f1e2d3c4b5a69788");
        assert_eq!(ebs_volume_id(""), "vol-00000000000000000");
    }

    #[test]
    fn auto_mode_classes_make_volumes_of_auto_modes_driver() {
        let claim: PersistentVolumeClaim = serde_json::from_value(json!({
            "metadata": { "name": "data", "namespace": "default", "uid": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" },
            "spec": { "accessModes": ["ReadWriteOnce"], "resources": { "requests": { "storage": "4Gi" } } }
        }))
        .unwrap();
        let class: StorageClass = serde_json::from_value(json!({
            "metadata": { "name": "auto-ebs" }, "provisioner": AUTO_MODE_EBS_DRIVER,
            "parameters": { "type": "gp3" }
        }))
        .unwrap();
        let volume = provisioned_volume(&claim, &class, "us-east-1a", "vol-0123456789abcdef0");
        let csi = volume.spec.as_ref().and_then(|s| s.csi.as_ref()).unwrap();
        assert_eq!(csi.driver, AUTO_MODE_EBS_DRIVER);
        assert_eq!(annotation(&volume, PROVISIONED_BY), Some(AUTO_MODE_EBS_DRIVER));
        assert_eq!(ebs_volume_handle(&volume).as_deref(), Some("vol-0123456789abcdef0"), "attached as EBS");
        let driver = auto_mode_csi_driver();
        assert_eq!(driver.metadata.name.as_deref(), Some(AUTO_MODE_EBS_DRIVER));
        assert_eq!(driver.spec.attach_required, Some(true));
    }
}

//! kube-controller-manager's attach/detach controller and the EBS CSI driver's attacher, for clusters whose EBS
//! volumes live in EC2 (an [`EbsVolumes`] was given; plain clusters run neither).
//!
//! For each claim bound to an EBS volume, every node where a pod that has not finished uses the claim gets a
//! VolumeAttachment (attacher `ebs.csi.aws.com`, `csi-<hash>` named), and a node no such pod runs on any more
//! loses its own. The attacher attaches each VolumeAttachment's volume to its node's instance (`attached`, with
//! the device path in `attachmentMetadata`) and, holding it with its finalizer, detaches the volume before the
//! VolumeAttachment goes. Pods do not wait for their volumes (the node agent starts them at once).

use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Node, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::VolumeAttachment;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use serde_json::json;

use crate::batch_support::{ReconcileError, ignore_not_found, is_terminal, record_event, retry_later};
use crate::ebs::{EbsVolumes, instance_of_provider_id};
use crate::volumes::{EBS_DRIVER, claims_of, ebs_volume_handle, finalizers_patch, write_finalizers};

/// The finalizer the CSI external attacher holds a VolumeAttachment with until its volume is detached.
pub const ATTACHER_FINALIZER: &str = "external-attacher/ebs-csi-aws-com";
/// How often an attachment checks again that a pod on its node still uses its volume (a safety net: pod changes
/// reach the claims at once).
const RECHECK: Duration = Duration::from_secs(30);
/// How soon a failed attach or detach is tried again.
const RETRY: Duration = Duration::from_secs(2);
const COMPONENT: &str = "attachdetach-controller";

struct Context {
    client: kube::Client,
    ebs: Arc<dyn EbsVolumes>,
}

/// Runs the controller and the attacher until the task is dropped.
pub async fn run(client: kube::Client, ebs: Arc<dyn EbsVolumes>) {
    let context = Arc::new(Context { client: client.clone(), ebs });
    let claims_of_pod = |pod: Pod| {
        let namespace = pod.namespace().unwrap_or_default();
        claims_of(&pod)
            .into_iter()
            .map(|name| ObjectRef::<PersistentVolumeClaim>::new(&name).within(&namespace))
            .collect::<Vec<_>>()
    };
    let claims = Controller::new(Api::<PersistentVolumeClaim>::all(client.clone()), watcher::Config::default())
        .watches(Api::<Pod>::all(client.clone()), watcher::Config::default(), claims_of_pod)
        .run(reconcile_claim, retry_later, Arc::clone(&context))
        .for_each(|_| async {});
    let attachments = Controller::new(Api::<VolumeAttachment>::all(client.clone()), watcher::Config::default())
        .run(reconcile_attachment, retry_later, context)
        .for_each(|_| async {});
    tokio::join!(claims, attachments);
}

/// The name of the VolumeAttachment of a volume on a node: `csi-` and a hash of both and the attacher, as the
/// attach/detach controller names them.
pub fn attachment_name(volume: &str, node: &str) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (volume, EBS_DRIVER, node).hash(&mut hasher);
    format!("csi-{:016x}", hasher.finish())
}

/// The nodes where a pod that has not finished uses the claim `name`.
fn nodes_using(pods: &[Pod], name: &str) -> BTreeSet<String> {
    pods.iter()
        .filter(|pod| !is_terminal(pod) && claims_of(pod).iter().any(|claim| claim == name))
        .filter_map(|pod| pod.spec.as_ref()?.node_name.clone())
        .collect()
}

/// The EBS volume a claim is bound to: its PersistentVolume's name and the volume id.
async fn bound_volume(
    client: &kube::Client,
    claim: &PersistentVolumeClaim,
) -> Result<Option<(String, String)>, kube::Error> {
    let Some(name) = claim.spec.as_ref().and_then(|s| s.volume_name.clone()).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    let volume = Api::<PersistentVolume>::all(client.clone()).get_opt(&name).await?;
    Ok(volume.as_ref().and_then(ebs_volume_handle).map(|handle| (name, handle)))
}

/// Makes a claim's VolumeAttachments follow the nodes its pods run on.
async fn reconcile_claim(claim: Arc<PersistentVolumeClaim>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let client = &context.client;
    let Some((volume, _)) = bound_volume(client, &claim).await? else { return Ok(Action::await_change()) };
    let pods = Api::<Pod>::namespaced(client.clone(), &claim.namespace().unwrap_or_default())
        .list(&ListParams::default())
        .await?
        .items;
    let wanted = nodes_using(&pods, &claim.name_any());
    let attachments: Api<VolumeAttachment> = Api::all(client.clone());
    let existing: Vec<VolumeAttachment> = attachments
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|a| a.spec.attacher == EBS_DRIVER && a.spec.source.persistent_volume_name.as_deref() == Some(&volume))
        .collect();
    for node in &wanted {
        if existing.iter().any(|a| &a.spec.node_name == node) {
            continue;
        }
        let attachment: VolumeAttachment = serde_json::from_value(json!({
            "apiVersion": "storage.k8s.io/v1",
            "kind": "VolumeAttachment",
            "metadata": {"name": attachment_name(&volume, node)},
            "spec": {"attacher": EBS_DRIVER, "nodeName": node, "source": {"persistentVolumeName": volume}},
        }))?;
        match attachments.create(&PostParams::default(), &attachment).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 409 => {}
            Err(error) => return Err(error.into()),
        }
    }
    for attachment in existing.iter().filter(|a| !wanted.contains(&a.spec.node_name)) {
        if attachment.metadata.deletion_timestamp.is_none() {
            ignore_not_found(attachments.delete(&attachment.name_any(), &DeleteParams::default()).await)?;
        }
    }
    Ok(Action::await_change())
}

/// The attacher: attaches a VolumeAttachment's volume to its node's instance, and detaches it before the
/// VolumeAttachment goes; an attachment no pod on its node needs any more is deleted.
async fn reconcile_attachment(
    attachment: Arc<VolumeAttachment>,
    context: Arc<Context>,
) -> Result<Action, ReconcileError> {
    if attachment.spec.attacher != EBS_DRIVER {
        return Ok(Action::await_change());
    }
    let client = &context.client;
    let attachments: Api<VolumeAttachment> = Api::all(client.clone());
    let name = attachment.name_any();
    let volume_name = attachment.spec.source.persistent_volume_name.clone().unwrap_or_default();
    let volume = Api::<PersistentVolume>::all(client.clone()).get_opt(&volume_name).await?;
    let handle = volume.as_ref().and_then(ebs_volume_handle);
    let node = Api::<Node>::all(client.clone()).get_opt(&attachment.spec.node_name).await?;
    let instance = node
        .as_ref()
        .and_then(|n| n.spec.as_ref()?.provider_id.as_deref().and_then(instance_of_provider_id).map(str::to_owned));

    if attachment.metadata.deletion_timestamp.is_some() {
        // With no volume or no instance left there is nothing attached any more.
        if let (Some(handle), Some(instance)) = (&handle, &instance)
            && let Err(message) = context.ebs.detach(handle, instance).await
        {
            record_event(client, COMPONENT, attachment.as_ref(), true, "FailedDetachVolume", &message).await;
            return Ok(Action::requeue(RETRY));
        }
        return match finalizers_patch(attachment.as_ref(), &[ATTACHER_FINALIZER], false) {
            Some(patch) => write_finalizers(&attachments, &name, &patch).await,
            None => Ok(Action::await_change()),
        };
    }
    if let Some(patch) = finalizers_patch(attachment.as_ref(), &[ATTACHER_FINALIZER], true) {
        return write_finalizers(&attachments, &name, &patch).await;
    }
    // Still needed: a pod on the node uses the volume's claim.
    let claim = volume.as_ref().and_then(|v| v.spec.as_ref()?.claim_ref.clone());
    let needed = match claim.as_ref().and_then(|c| Some((c.namespace.clone()?, c.name.clone()?))) {
        Some((namespace, claim)) => {
            let pods = Api::<Pod>::namespaced(client.clone(), &namespace).list(&ListParams::default()).await?.items;
            nodes_using(&pods, &claim).contains(&attachment.spec.node_name)
        }
        None => false,
    };
    if !needed || handle.is_none() || instance.is_none() {
        ignore_not_found(attachments.delete(&name, &DeleteParams::default()).await)?;
        return Ok(Action::await_change());
    }
    let (handle, instance) = (handle.unwrap_or_default(), instance.unwrap_or_default());
    if attachment.status.as_ref().is_some_and(|s| s.attached) {
        return Ok(Action::requeue(RECHECK));
    }
    let status = match context.ebs.attach(&handle, &instance).await {
        Ok(device) => json!({"attached": true, "attachmentMetadata": {"devicePath": device}, "attachError": null}),
        Err(message) => {
            record_event(client, COMPONENT, attachment.as_ref(), true, "FailedAttachVolume", &message).await;
            json!({"attached": false, "attachError": {"message": message}})
        }
    };
    let attached = status["attached"] == json!(true);
    attachments.patch_status(&name, &PatchParams::default(), &Patch::Merge(json!({"status": status}))).await?;
    Ok(Action::requeue(if attached { RECHECK } else { RETRY }))
}

#[cfg(test)]
mod tests;

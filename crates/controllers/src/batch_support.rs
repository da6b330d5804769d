//! What the Job, CronJob, DaemonSet, StatefulSet and Endpoints controllers share: the clock, the error type,
//! owner references, label selectors, pod predicates, controller revisions, events and watched stores.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{OwnerReference, Time};
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher::{self, watcher};
use kube::{Resource, ResourceExt};
use tokio_util::task::AbortOnDropHandle;

/// The wall clock the controllers compare object timestamps with; tests put it ahead to skip waiting.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Timestamp + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(Arc::new(Timestamp::now))
    }

    /// A clock that reads `now`.
    pub fn new(now: impl Fn() -> Timestamp + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// Why one reconcile of a batch or endpoints controller failed; the controller retries it.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// The API server refused or failed a request.
    #[error("kubernetes api: {0}")]
    Kube(#[from] kube::Error),
    /// An object could not be converted to or from JSON.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

/// How every controller of this family retries a failed reconcile.
pub fn retry_later<K>(_object: Arc<K>, error: &ReconcileError, _ctx: Arc<impl Sized>) -> Action {
    tracing::debug!(%error, "reconcile failed; retrying");
    Action::requeue(Duration::from_secs(1))
}

/// The controller owner reference that points at `owner`.
pub fn controller_ref<K: Resource<DynamicType = ()>>(owner: &K) -> OwnerReference {
    OwnerReference {
        api_version: K::api_version(&()).into_owned(),
        kind: K::kind(&()).into_owned(),
        name: owner.name_any(),
        uid: owner.meta().uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Whether `object` is controlled by the object with `uid`.
pub fn is_controlled_by(object: &impl Resource, uid: &str) -> bool {
    object.meta().owner_references.iter().flatten().any(|owner| owner.controller == Some(true) && owner.uid == uid)
}

/// Whether a pod has finished for good (phase Succeeded or Failed).
pub fn is_terminal(pod: &Pod) -> bool {
    matches!(pod_phase(pod), "Succeeded" | "Failed")
}

/// The pod's phase, `Pending` when it has none yet.
pub fn pod_phase(pod: &Pod) -> &str {
    pod.status.as_ref().and_then(|status| status.phase.as_deref()).unwrap_or("Pending")
}

/// Whether the pod's `Ready` condition is true.
pub fn is_ready(pod: &Pod) -> bool {
    ready_since(pod).is_some()
}

/// When the pod's `Ready` condition last turned true, if it is true.
pub fn ready_since(pod: &Pod) -> Option<Timestamp> {
    let condition = pod.status.as_ref()?.conditions.iter().flatten().find(|c| c.type_ == "Ready")?;
    (condition.status == "True")
        .then(|| condition.last_transition_time.as_ref().map(|t| t.0).unwrap_or(Timestamp::UNIX_EPOCH))
}

/// Whether the pod has been ready for `min_ready_seconds` at `now`.
pub fn is_available(pod: &Pod, min_ready_seconds: i32, now: Timestamp) -> bool {
    match ready_since(pod) {
        None => false,
        Some(_) if min_ready_seconds <= 0 => true,
        Some(since) => since.as_second() + i64::from(min_ready_seconds) <= now.as_second(),
    }
}

/// Whether the pod is being deleted.
pub fn is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

/// A short, stable hash of a JSON value (FNV-1a, 32 bits) written with the alphabet Kubernetes uses for
/// generated names, as `controller-revision-hash` values are.
pub fn stable_hash(value: &serde_json::Value, collision_count: i32) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    let text = value.to_string();
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u32::from(*byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    };
    feed(text.as_bytes());
    if collision_count != 0 {
        feed(&collision_count.to_le_bytes());
    }
    safe_encode(&hash.to_string())
}

/// Kubernetes' `SafeEncodeString`: every byte mapped into an alphabet without vowels, so no words appear.
fn safe_encode(text: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    text.bytes().map(|byte| ALPHABET[usize::from(byte) % ALPHABET.len()] as char).collect()
}

/// A reference to `object` for events and status lists.
pub fn object_reference<K: Resource<DynamicType = ()>>(object: &K) -> ObjectReference {
    ObjectReference {
        api_version: Some(K::api_version(&()).into_owned()),
        kind: Some(K::kind(&()).into_owned()),
        name: object.meta().name.clone(),
        namespace: object.meta().namespace.clone(),
        uid: object.meta().uid.clone(),
        resource_version: object.meta().resource_version.clone(),
        field_path: None,
    }
}

/// Records a core/v1 Event about `object` as `component` does (a repeat of one said lately bumps that one's
/// count); a failure to record is only logged.
pub async fn record_event<K: Resource<DynamicType = ()>>(
    client: &kube::Client,
    component: &str,
    object: &K,
    warning: bool,
    reason: &str,
    message: &str,
) {
    let namespace = object.meta().namespace.clone().unwrap_or_else(|| "default".to_owned());
    let now = Timestamp::now();
    let mut event = Event {
        involved_object: object_reference(object),
        reason: Some(reason.to_owned()),
        message: Some(message.to_owned()),
        type_: Some(if warning { "Warning" } else { "Normal" }.to_owned()),
        source: Some(EventSource { component: Some(component.to_owned()), host: None }),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        count: Some(1),
        reporting_component: Some(component.to_owned()),
        // client-go's recorder reports the source's host here, which kube-controller-manager leaves empty.
        reporting_instance: Some(String::new()),
        ..Event::default()
    };
    event.metadata.name = Some(format!("{}.{:x}", object.name_any(), now.as_nanosecond()));
    event.metadata.namespace = Some(namespace);
    k8s_events::post(client, event).await;
}

/// Whether an API error is a 404.
pub fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}

/// Whether an API error is a 409.
pub fn is_conflict(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 409)
}

/// Turns a 404 (the object is already gone) into success.
pub fn ignore_not_found<T>(result: Result<T, kube::Error>) -> Result<(), kube::Error> {
    match result {
        Ok(_) => Ok(()),
        Err(error) if is_not_found(&error) => Ok(()),
        Err(error) => Err(error),
    }
}

/// The value of an int-or-percent field (`maxUnavailable`, `maxSurge`) against `total`; percentages round up
/// when `round_up`, down otherwise. Garbage reads as `fallback`.
pub fn scaled_value(
    value: Option<&k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>,
    total: i32,
    round_up: bool,
    fallback: i32,
) -> i32 {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    match value {
        None => fallback,
        Some(IntOrString::Int(n)) => (*n).max(0),
        Some(IntOrString::String(text)) => match text.strip_suffix('%').and_then(|n| n.parse::<i64>().ok()) {
            Some(percent) if percent >= 0 => {
                let product = percent * i64::from(total);
                let scaled = if round_up { (product + 99) / 100 } else { product / 100 };
                i32::try_from(scaled).unwrap_or(i32::MAX)
            }
            _ => fallback,
        },
    }
}

/// The history of a DaemonSet's or StatefulSet's pod templates as ControllerRevisions.
pub mod revisions {
    use std::collections::BTreeSet;

    use k8s_openapi::api::apps::v1::ControllerRevision;
    use k8s_openapi::api::core::v1::PodTemplateSpec;
    use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
    use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
    use kube::{Resource, ResourceExt};
    use serde_json::json;

    use super::{ReconcileError, controller_ref, ignore_not_found, is_controlled_by, stable_hash};

    /// The label pods and revisions carry with their revision's hash.
    pub const HASH_LABEL: &str = "controller-revision-hash";

    /// The revision data of a template: a patch replacing the owner's template, as upstream stores it.
    pub fn data_of(template: &PodTemplateSpec) -> serde_json::Value {
        let mut template = serde_json::to_value(template).unwrap_or_default();
        if let Some(object) = template.as_object_mut() {
            object.insert("$patch".to_owned(), json!("replace"));
        }
        json!({"spec": {"template": template}})
    }

    /// The template a revision holds.
    pub fn template_of(revision: &ControllerRevision) -> Option<PodTemplateSpec> {
        let mut template = revision.data.as_ref()?.0.get("spec")?.get("template")?.clone();
        template.as_object_mut()?.remove("$patch");
        serde_json::from_value(template).ok()
    }

    /// The owner's revisions, oldest first.
    pub async fn list<K: Resource>(
        client: &kube::Client,
        owner: &K,
    ) -> Result<Vec<ControllerRevision>, ReconcileError> {
        let namespace = owner.meta().namespace.clone().unwrap_or_default();
        let uid = owner.meta().uid.clone().unwrap_or_default();
        let api: Api<ControllerRevision> = Api::namespaced(client.clone(), &namespace);
        let mut revisions: Vec<ControllerRevision> =
            api.list(&ListParams::default()).await?.items.into_iter().filter(|r| is_controlled_by(r, &uid)).collect();
        revisions.sort_by_key(|r| r.revision);
        Ok(revisions)
    }

    /// Makes the revision of `template` the owner's newest (creating it or renumbering an older one) and
    /// prunes old revisions no live pod uses beyond `history_limit`. Returns the update revision's hash and
    /// every revision kept, oldest first.
    pub async fn sync<K: Resource<DynamicType = ()>>(
        client: &kube::Client,
        owner: &K,
        template: &PodTemplateSpec,
        collision_count: i32,
        history_limit: i32,
        live_hashes: &BTreeSet<String>,
    ) -> Result<(String, Vec<ControllerRevision>), ReconcileError> {
        let namespace = owner.meta().namespace.clone().unwrap_or_default();
        let api: Api<ControllerRevision> = Api::namespaced(client.clone(), &namespace);
        let mut revisions = list(client, owner).await?;
        let data = data_of(template);
        let hash = stable_hash(&data, collision_count);
        let name = format!("{}-{hash}", owner.meta().name.clone().unwrap_or_default());
        let newest = revisions.last().map_or(0, |r| r.revision);
        match revisions.iter().position(|r| r.name_any() == name) {
            Some(index) if revisions[index].revision == newest => {}
            Some(index) => {
                let patch = json!({"revision": newest + 1});
                let updated = api.patch(&name, &PatchParams::default(), &Patch::Merge(patch)).await?;
                revisions.remove(index);
                revisions.push(updated);
            }
            None => {
                let mut revision =
                    ControllerRevision { data: Some(RawExtension(data)), revision: newest + 1, ..Default::default() };
                revision.metadata.name = Some(name.clone());
                revision.metadata.namespace = Some(namespace.clone());
                let mut labels = template.metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default();
                labels.insert(HASH_LABEL.to_owned(), hash.clone());
                revision.metadata.labels = Some(labels);
                revision.metadata.owner_references = Some(vec![controller_ref(owner)]);
                match api.create(&PostParams::default(), &revision).await {
                    Ok(created) => revisions.push(created),
                    Err(error) if super::is_conflict(&error) => revisions.push(api.get(&name).await?),
                    Err(error) => return Err(error.into()),
                }
            }
        }
        let prunable: Vec<String> = revisions
            .iter()
            .filter(|r| {
                let revision_hash = r.labels().get(HASH_LABEL).cloned().unwrap_or_default();
                r.name_any() != name && !live_hashes.contains(&revision_hash)
            })
            .map(|r| r.name_any())
            .collect();
        let excess = prunable.len().saturating_sub(usize::try_from(history_limit.max(0)).unwrap_or(0));
        for gone in prunable.into_iter().take(excess) {
            ignore_not_found(api.delete(&gone, &DeleteParams::default()).await)?;
            revisions.retain(|r| r.name_any() != gone);
        }
        Ok((hash, revisions))
    }
}

/// Whether a label selector selects `labels`, as kube's [`kube::core::Selector`] matches. An empty selector
/// selects everything (the API server refuses empty workload selectors, so this only matters for garbage); one
/// that does not compile (an unknown operator, `In` without values) selects nothing.
pub fn selector_matches(
    selector: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    labels: &std::collections::BTreeMap<String, String>,
) -> bool {
    use kube::core::SelectorExt;
    kube::core::Selector::try_from(selector.clone()).is_ok_and(|selector| selector.matches(labels))
}

/// What an API error says: the server's message for a refused request, the error itself otherwise.
pub fn status_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}

/// Whether one requirement of a node selector (`In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`) holds for a
/// node's `value` of its key (a label, or a field such as `metadata.name`); an unknown operator holds for none.
pub fn node_requirement_matches(
    requirement: &k8s_openapi::api::core::v1::NodeSelectorRequirement,
    value: Option<&String>,
) -> bool {
    let values = requirement.values.as_deref().unwrap_or_default();
    match requirement.operator.as_str() {
        "In" => value.is_some_and(|v| values.contains(v)),
        "NotIn" => value.is_none_or(|v| !values.contains(v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(have), Some(bound)) =
                (value.and_then(|v| v.parse::<i64>().ok()), values.first().and_then(|v| v.parse::<i64>().ok()))
            else {
                return false;
            };
            if requirement.operator == "Gt" { have > bound } else { have < bound }
        }
        _ => false,
    }
}

/// A store filled by a watch that runs as long as the returned handle lives, each object cut down by `lean` as
/// the watch hands it over; `changed`, when given, is notified after every event the watch applies.
pub fn reflect<K>(
    api: Api<K>,
    lean: fn(&mut K),
    changed: Option<Arc<tokio::sync::Notify>>,
) -> (Store<K>, AbortOnDropHandle<()>)
where
    K: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
{
    use futures::StreamExt;
    use kube::runtime::WatchStreamExt;
    let (store, writer) = reflector::store();
    let stream = reflector::reflector(writer, watcher(api, watcher::Config::default()).default_backoff().modify(lean));
    let watch = stream.for_each(move |_| {
        if let Some(changed) = &changed {
            changed.notify_one();
        }
        async {}
    });
    (store, AbortOnDropHandle::new(tokio::spawn(watch)))
}

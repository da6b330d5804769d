//! The garbage collector: watches every resource discovery lists (but events) and keeps a graph of owner
//! references by uid. A dependent whose owners are all gone is deleted (background deletion); one with a live
//! owner only loses the references to gone ones. An owner being deleted with the `foregroundDeletion` finalizer
//! has its dependents deleted first and loses the finalizer once no dependent blocks it; one with the `orphan`
//! finalizer has the references to it removed from its dependents, then loses the finalizer.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::pin::Pin;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::{SelectAll, Stream};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions, PropagationPolicy};
use kube::core::{ApiResource, DynamicObject};
use kube::discovery::{Discovery, Scope, verbs};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;

use crate::batch_support::{is_conflict, is_not_found};

/// The finalizer that makes the collector delete an owner's dependents before the owner.
pub const FOREGROUND: &str = "foregroundDeletion";
/// The finalizer that makes the collector orphan an owner's dependents before the owner goes.
pub const ORPHAN: &str = "orphan";

/// A watched resource.
#[derive(Debug, Clone)]
struct Resource {
    api: ApiResource,
    namespaced: bool,
}

/// What the graph knows about one object.
#[derive(Debug, Clone)]
struct Node {
    resource: usize,
    namespace: Option<String>,
    name: String,
    owners: Vec<OwnerReference>,
    deleting: bool,
    finalizers: Vec<String>,
}

/// One action the collector takes on the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Delete the object with this propagation policy.
    Delete(&'static str),
    /// Remove the owner references to these uids.
    RemoveOwners(Vec<String>),
}

/// What a dependent's owner turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerState {
    /// It exists and is not waiting for its dependents.
    Solid,
    /// It does not exist (or is another object with the same name).
    Absent,
    /// It is being deleted in the foreground.
    WaitingForDependents,
}

/// What to do about a dependent, given its owners' states (in the order of its references), whether it is being
/// deleted, its finalizers and whether it has dependents itself.
pub fn plan_dependent(
    owners: &[(String, OwnerState)],
    deleting: bool,
    finalizers: &[String],
    has_dependents: bool,
) -> Option<Step> {
    if owners.is_empty() || deleting {
        return None;
    }
    let gone: Vec<String> = owners.iter().filter(|(_, s)| *s != OwnerState::Solid).map(|(u, _)| u.clone()).collect();
    if gone.is_empty() {
        return None;
    }
    if owners.iter().any(|(_, s)| *s == OwnerState::Solid) {
        return Some(Step::RemoveOwners(gone));
    }
    if owners.iter().any(|(_, s)| *s == OwnerState::WaitingForDependents) {
        return Some(Step::Delete(if has_dependents { "Foreground" } else { "Background" }));
    }
    let policy = if finalizers.iter().any(|f| f == ORPHAN) {
        "Orphan"
    } else if finalizers.iter().any(|f| f == FOREGROUND) {
        "Foreground"
    } else {
        "Background"
    };
    Some(Step::Delete(policy))
}

type EventStream = Pin<Box<dyn Stream<Item = (usize, Result<watcher::Event<DynamicObject>, watcher::Error>)> + Send>>;

struct Collector {
    client: kube::Client,
    resources: Vec<Resource>,
    /// (group, kind) → index into `resources`.
    kinds: HashMap<(String, String), usize>,
    nodes: HashMap<String, Node>,
    /// Owner uid → dependent uids.
    dependents: HashMap<String, BTreeSet<String>>,
    /// Per resource, the uids not seen again since its watch restarted.
    stale: HashMap<usize, HashSet<String>>,
    queue: VecDeque<String>,
    queued: HashSet<String>,
    retry: Vec<(tokio::time::Instant, String)>,
}

/// Runs the garbage collector until the task is dropped.
pub async fn run(client: kube::Client) {
    let mut collector = Collector {
        client: client.clone(),
        resources: Vec::new(),
        kinds: HashMap::new(),
        nodes: HashMap::new(),
        dependents: HashMap::new(),
        stale: HashMap::new(),
        queue: VecDeque::new(),
        queued: HashSet::new(),
        retry: Vec::new(),
    };
    let mut streams: SelectAll<EventStream> = SelectAll::new();
    let mut rediscover = tokio::time::interval(Duration::from_secs(30));
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = rediscover.tick() => collector.discover(&mut streams).await,
            Some((resource, event)) = streams.next(), if !streams.is_empty() => {
                match event {
                    Ok(event) => collector.observe(resource, event),
                    Err(error) => tracing::debug!(%error, "garbage collector watch failed"),
                }
            }
            _ = tick.tick() => {
                let now = tokio::time::Instant::now();
                let (due, later): (Vec<_>, Vec<_>) = collector.retry.drain(..).partition(|(at, _)| *at <= now);
                collector.retry = later;
                for (_, uid) in due {
                    collector.enqueue(uid);
                }
            }
        }
        // Work through the queue between events, a bounded batch at a time so watches keep flowing.
        for _ in 0..64 {
            let Some(uid) = collector.queue.pop_front() else { break };
            collector.queued.remove(&uid);
            if let Err(error) = collector.process(&uid).await {
                tracing::debug!(%error, uid, "garbage collection failed; retrying");
                collector.retry.push((tokio::time::Instant::now() + Duration::from_secs(1), uid));
            }
        }
    }
}

impl Collector {
    /// Finds resources to watch and starts watching the new ones.
    async fn discover(&mut self, streams: &mut SelectAll<EventStream>) {
        let discovery = match Discovery::new(self.client.clone()).run().await {
            Ok(discovery) => discovery,
            Err(error) => {
                tracing::debug!(%error, "garbage collector discovery failed");
                return;
            }
        };
        for group in discovery.groups() {
            for (api, capabilities) in group.recommended_resources() {
                let watchable = [verbs::LIST, verbs::WATCH, verbs::DELETE, verbs::PATCH]
                    .iter()
                    .all(|verb| capabilities.supports_operation(verb));
                if !watchable || api.plural == "events" {
                    continue;
                }
                let key = (api.group.clone(), api.kind.clone());
                if self.kinds.contains_key(&key) {
                    continue;
                }
                let index = self.resources.len();
                let namespaced = capabilities.scope == Scope::Namespaced;
                self.kinds.insert(key, index);
                self.resources.push(Resource { api: api.clone(), namespaced });
                let objects: Api<DynamicObject> = Api::all_with(self.client.clone(), &api);
                let stream =
                    watcher(objects, watcher::Config::default()).default_backoff().map(move |event| (index, event));
                streams.push(Box::pin(stream));
            }
        }
    }

    fn enqueue(&mut self, uid: String) {
        if self.queued.insert(uid.clone()) {
            self.queue.push_back(uid);
        }
    }

    fn enqueue_dependents(&mut self, uid: &str) {
        for dependent in self.dependents.get(uid).cloned().unwrap_or_default() {
            self.enqueue(dependent);
        }
    }

    fn observe(&mut self, resource: usize, event: watcher::Event<DynamicObject>) {
        match event {
            watcher::Event::Init => {
                let uids = self.nodes.iter().filter(|(_, n)| n.resource == resource).map(|(u, _)| u.clone());
                self.stale.insert(resource, uids.collect());
            }
            watcher::Event::InitApply(object) | watcher::Event::Apply(object) => {
                if let Some(stale) = self.stale.get_mut(&resource) {
                    stale.remove(object.uid().as_deref().unwrap_or_default());
                }
                self.upsert(resource, &object);
            }
            watcher::Event::InitDone => {
                for uid in self.stale.remove(&resource).unwrap_or_default() {
                    self.remove(&uid);
                }
            }
            watcher::Event::Delete(object) => {
                if let Some(uid) = object.uid() {
                    self.remove(&uid);
                }
            }
        }
    }

    fn upsert(&mut self, resource: usize, object: &DynamicObject) {
        let Some(uid) = object.uid() else { return };
        let node = Node {
            resource,
            namespace: object.namespace(),
            name: object.name_any(),
            owners: object.owner_references().to_vec(),
            deleting: object.metadata.deletion_timestamp.is_some(),
            finalizers: object.finalizers().to_vec(),
        };
        if let Some(old) = self.nodes.get(&uid) {
            for owner in &old.owners {
                if let Some(set) = self.dependents.get_mut(&owner.uid) {
                    set.remove(&uid);
                }
            }
        }
        for owner in &node.owners {
            self.dependents.entry(owner.uid.clone()).or_default().insert(uid.clone());
        }
        let interesting = !node.owners.is_empty()
            || (node.deleting && node.finalizers.iter().any(|f| f == FOREGROUND || f == ORPHAN));
        let waiting = node.deleting && node.finalizers.iter().any(|f| f == FOREGROUND);
        self.nodes.insert(uid.clone(), node);
        if interesting {
            self.enqueue(uid.clone());
        }
        if waiting {
            self.enqueue_dependents(&uid);
        }
    }

    fn remove(&mut self, uid: &str) {
        let Some(node) = self.nodes.remove(uid) else { return };
        for owner in &node.owners {
            if let Some(set) = self.dependents.get_mut(&owner.uid) {
                set.remove(uid);
                if set.is_empty() {
                    self.dependents.remove(&owner.uid);
                }
            }
            // An owner waiting for its dependents may be done now.
            if self.nodes.contains_key(&owner.uid) {
                self.enqueue(owner.uid.clone());
            }
        }
        self.enqueue_dependents(uid);
    }

    fn api_for(&self, node: &Node) -> Api<DynamicObject> {
        let resource = &self.resources[node.resource];
        match (&node.namespace, resource.namespaced) {
            (Some(namespace), true) => Api::namespaced_with(self.client.clone(), namespace, &resource.api),
            _ => Api::all_with(self.client.clone(), &resource.api),
        }
    }

    /// Whether the owner `reference` of a dependent in `namespace` exists, is gone or waits for its dependents.
    async fn owner_state(
        &self,
        reference: &OwnerReference,
        namespace: Option<&str>,
    ) -> Result<OwnerState, kube::Error> {
        if let Some(owner) = self.nodes.get(&reference.uid) {
            let waiting = owner.deleting && owner.finalizers.iter().any(|f| f == FOREGROUND);
            return Ok(if waiting { OwnerState::WaitingForDependents } else { OwnerState::Solid });
        }
        let group = reference.api_version.split_once('/').map_or("", |(group, _)| group);
        let Some(&index) = self.kinds.get(&(group.to_owned(), reference.kind.clone())) else {
            // A kind the cluster does not serve (yet): leave the dependent alone.
            return Ok(OwnerState::Solid);
        };
        let resource = &self.resources[index];
        let api: Api<DynamicObject> = match (namespace, resource.namespaced) {
            (Some(namespace), true) => Api::namespaced_with(self.client.clone(), namespace, &resource.api),
            (None, true) => return Ok(OwnerState::Absent),
            _ => Api::all_with(self.client.clone(), &resource.api),
        };
        match api.get_opt(&reference.name).await? {
            None => Ok(OwnerState::Absent),
            Some(owner) if owner.uid().as_deref() != Some(reference.uid.as_str()) => Ok(OwnerState::Absent),
            Some(owner) => {
                let waiting =
                    owner.metadata.deletion_timestamp.is_some() && owner.finalizers().iter().any(|f| f == FOREGROUND);
                Ok(if waiting { OwnerState::WaitingForDependents } else { OwnerState::Solid })
            }
        }
    }

    async fn process(&mut self, uid: &str) -> Result<(), kube::Error> {
        let Some(node) = self.nodes.get(uid).cloned() else { return Ok(()) };
        let dependents: Vec<String> = self.dependents.get(uid).cloned().unwrap_or_default().into_iter().collect();
        if node.deleting && node.finalizers.iter().any(|f| f == ORPHAN) {
            for dependent in &dependents {
                if let Some(dependent_node) = self.nodes.get(dependent).cloned() {
                    self.remove_owners(&dependent_node, &[uid.to_owned()]).await?;
                }
            }
            return self.remove_finalizer(&node, uid, ORPHAN).await;
        }
        if node.deleting && node.finalizers.iter().any(|f| f == FOREGROUND) {
            let mut blocking = false;
            for dependent in &dependents {
                let Some(dependent_node) = self.nodes.get(dependent).cloned() else { continue };
                let reference = dependent_node.owners.iter().find(|o| o.uid == uid);
                if reference.is_some_and(|o| o.block_owner_deletion == Some(true)) {
                    blocking = true;
                }
                if !dependent_node.deleting {
                    let has_dependents = self.dependents.get(dependent).is_some_and(|d| !d.is_empty());
                    let policy = if has_dependents { "Foreground" } else { "Background" };
                    self.delete(&dependent_node, dependent, policy, None).await?;
                }
            }
            if !blocking {
                self.remove_finalizer(&node, uid, FOREGROUND).await?;
            }
            return Ok(());
        }
        if node.owners.is_empty() || node.deleting {
            return Ok(());
        }
        let states = self.owner_states(&node.owners, node.namespace.as_deref()).await?;
        let has_dependents = !dependents.is_empty();
        match plan_dependent(&states, node.deleting, &node.finalizers, has_dependents) {
            Some(Step::Delete(_)) => self.delete_if_still_orphaned(&node, uid, has_dependents).await,
            Some(Step::RemoveOwners(gone)) => self.remove_owners(&node, &gone).await,
            None => Ok(()),
        }
    }

    async fn owner_states(
        &self,
        owners: &[OwnerReference],
        namespace: Option<&str>,
    ) -> Result<Vec<(String, OwnerState)>, kube::Error> {
        let mut states = Vec::new();
        for owner in owners {
            states.push((owner.uid.clone(), self.owner_state(owner, namespace).await?));
        }
        Ok(states)
    }

    /// Deletes a dependent whose owners are all gone, deciding again on the object as the API has it now: the
    /// watch of the dependent's kind can lag behind the owner's, so the cache may still show a reference that the
    /// orphaning of the owner has just removed. The delete is conditional on that very version.
    async fn delete_if_still_orphaned(&self, node: &Node, uid: &str, has_dependents: bool) -> Result<(), kube::Error> {
        let Some(current) = self.api_for(node).get_opt(&node.name).await? else { return Ok(()) };
        if current.uid().as_deref() != Some(uid) {
            return Ok(());
        }
        let states = self.owner_states(current.owner_references(), node.namespace.as_deref()).await?;
        let deleting = current.metadata.deletion_timestamp.is_some();
        match plan_dependent(&states, deleting, current.finalizers(), has_dependents) {
            Some(Step::Delete(policy)) => self.delete(node, uid, policy, current.resource_version()).await,
            Some(Step::RemoveOwners(gone)) => self.remove_owners(node, &gone).await,
            None => Ok(()),
        }
    }

    async fn delete(
        &self,
        node: &Node,
        uid: &str,
        policy: &str,
        resource_version: Option<String>,
    ) -> Result<(), kube::Error> {
        let propagation = match policy {
            "Foreground" => PropagationPolicy::Foreground,
            "Orphan" => PropagationPolicy::Orphan,
            _ => PropagationPolicy::Background,
        };
        let params = DeleteParams {
            propagation_policy: Some(propagation),
            preconditions: Some(Preconditions { uid: Some(uid.to_owned()), resource_version }),
            ..DeleteParams::default()
        };
        tracing::debug!(name = node.name, policy, "garbage collector deletes a dependent");
        match self.api_for(node).delete(&node.name, &params).await {
            Err(error) if is_not_found(&error) => Ok(()),
            Err(error) if is_conflict(&error) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    async fn remove_owners(&self, node: &Node, gone: &[String]) -> Result<(), kube::Error> {
        let api = self.api_for(node);
        let Some(object) = api.get_opt(&node.name).await? else { return Ok(()) };
        let owners: Vec<&OwnerReference> =
            object.owner_references().iter().filter(|o| !gone.contains(&o.uid)).collect();
        if owners.len() == object.owner_references().len() {
            return Ok(());
        }
        let owners = if owners.is_empty() { serde_json::Value::Null } else { json!(owners) };
        let patch = json!({"metadata": {"ownerReferences": owners, "resourceVersion": object.resource_version()}});
        api.patch(&node.name, &PatchParams::default(), &Patch::Merge(patch)).await.map(|_| ())
    }

    async fn remove_finalizer(&self, node: &Node, uid: &str, finalizer: &str) -> Result<(), kube::Error> {
        let api = self.api_for(node);
        let Some(object) = api.get_opt(&node.name).await? else { return Ok(()) };
        if object.uid().as_deref() != Some(uid) || !object.finalizers().iter().any(|f| f == finalizer) {
            return Ok(());
        }
        let finalizers: Vec<&String> = object.finalizers().iter().filter(|f| *f != finalizer).collect();
        let patch = json!({"metadata": {"finalizers": finalizers, "resourceVersion": object.resource_version()}});
        match api.patch(&node.name, &PatchParams::default(), &Patch::Merge(patch)).await {
            Err(error) if is_not_found(&error) => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests;

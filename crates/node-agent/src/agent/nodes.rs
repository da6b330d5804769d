//! The node task: one loop for every node of the agent. It registers new nodes (Node, status, Lease), applies
//! changed labels and taints, deletes nodes that left the desired set, renews every live node's Lease in one
//! concurrent batch per renew interval, and posts each node's status heartbeat every status interval.

use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::time::Instant;

use super::{is_conflict, is_not_found, micro_timestamp};
use crate::{AgentConfig, AgentError, DesiredNode, NodeSpec, Shared, node};

/// How many node requests run at once.
const CONCURRENCY: usize = 32;
/// How soon a failed registration is tried again.
const RETRY: std::time::Duration = std::time::Duration::from_secs(1);
/// The namespace of node Leases.
const LEASE_NAMESPACE: &str = "kube-node-lease";

/// A node this task registered.
#[derive(Debug)]
struct Registered {
    spec: Arc<NodeSpec>,
    uid: String,
    registered_at: OffsetDateTime,
    next_status: Instant,
    failed: bool,
}

struct Apis {
    config: Arc<AgentConfig>,
    nodes: Api<Node>,
    leases: Api<Lease>,
}

pub(crate) async fn run(
    client: kube::Client,
    config: Arc<AgentConfig>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let apis = Apis {
        config: Arc::clone(&config),
        nodes: Api::all(client.clone()),
        leases: Api::namespaced(client, LEASE_NAMESPACE),
    };
    let mut changed = shared.changed.subscribe();
    let mut registered: HashMap<String, Registered> = HashMap::new();
    let mut next_renew = Instant::now() + config.renew_interval;
    loop {
        let desired: HashMap<String, DesiredNode> = {
            let desired = shared.desired.read().expect("the node lock is never poisoned");
            desired.nodes.iter().map(|(name, node)| (name.clone(), node.clone())).collect()
        };
        let retry_at = reconcile(&apis, &desired, &mut registered).await.then(|| Instant::now() + RETRY);

        let now = Instant::now();
        if now >= next_renew {
            renew_leases(&apis, &registered).await;
            next_renew = now + config.renew_interval;
        }
        post_statuses(&apis, &mut registered).await;

        let mut wake = next_renew;
        for node in registered.values().filter(|node| !node.failed) {
            wake = wake.min(node.next_status);
        }
        if let Some(retry) = retry_at {
            wake = wake.min(retry);
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = changed.changed() => {}
            _ = tokio::time::sleep_until(wake) => {}
        }
    }
}

/// Brings the registered nodes to the desired ones; `true` when something failed and wants a retry.
async fn reconcile(
    apis: &Apis,
    desired: &HashMap<String, DesiredNode>,
    registered: &mut HashMap<String, Registered>,
) -> bool {
    let mut retry = false;
    // A node that left, or whose name now belongs to another machine (a replacement instance that got the
    // terminated one's address): its Node and Lease go, as the cloud node controller deletes the Node of a
    // terminated instance; a replacement then registers afresh, as its own kubelet would.
    let gone: Vec<String> = registered
        .iter()
        .filter(|(name, node)| desired.get(*name).is_none_or(|wanted| wanted.spec.provider_id != node.spec.provider_id))
        .map(|(name, _)| name.clone())
        .collect();
    let mut undeleted = Vec::new();
    for name in gone {
        registered.remove(&name);
        if let Err(error) = delete_node(apis, &name).await {
            tracing::warn!(%error, "node agent: deleting a node that left");
            undeleted.push(name);
            retry = true;
        }
    }
    for (name, wanted) in desired.iter().filter(|(name, _)| !undeleted.contains(name)) {
        match registered.get_mut(name) {
            Some(node) => {
                if node.failed && !wanted.failed {
                    // A recovered node reports at once.
                    node.next_status = Instant::now();
                }
                node.failed = wanted.failed;
                if node.spec != wanted.spec {
                    let patch = node::node_update(Some(&node.spec), &wanted.spec);
                    match apis.nodes.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                        Ok(_) => {
                            node.spec = Arc::clone(&wanted.spec);
                            node.next_status = Instant::now();
                        }
                        Err(source) => {
                            tracing::warn!(error = %source, node = %name, "node agent: updating a node");
                            retry = true;
                        }
                    }
                }
            }
            None if wanted.failed => {}
            None => match register(apis, &wanted.spec).await {
                Ok(node) => {
                    registered.insert(name.clone(), node);
                }
                Err(error) => {
                    tracing::warn!(%error, "node agent: registering a node");
                    retry = true;
                }
            },
        }
    }
    retry
}

/// Creates (or takes over) the Node, posts its first status and creates its Lease.
async fn register(apis: &Apis, spec: &NodeSpec) -> Result<Registered, AgentError> {
    let api = |what: &str| {
        let what = format!("{what} node {}", spec.name);
        move |source| AgentError::Api { what, source }
    };
    let object: Node = serde_json::from_value(node::node_object(spec))
        .map_err(|source| AgentError::Json { what: format!("node {}", spec.name), source })?;
    let created = match apis.nodes.create(&PostParams::default(), &object).await {
        Ok(created) => created,
        Err(error) if is_conflict(&error) => {
            let patch = node::node_update(None, spec);
            apis.nodes.patch(&spec.name, &PatchParams::default(), &Patch::Merge(&patch)).await.map_err(api("update"))?
        }
        Err(error) => return Err(api("create")(error)),
    };
    let uid = created.metadata.uid.unwrap_or_default();
    let registered_at = OffsetDateTime::now_utc();
    let status = node::node_status(spec, &apis.config.kubelet_version, registered_at, registered_at);
    apis.nodes
        .patch_status(&spec.name, &PatchParams::default(), &Patch::Merge(&json!({ "status": status })))
        .await
        .map_err(api("post the status of"))?;
    ensure_lease(apis, &spec.name, &uid).await?;
    Ok(Registered {
        spec: Arc::new(spec.clone()),
        uid,
        registered_at,
        next_status: Instant::now() + apis.config.status_interval,
        failed: false,
    })
}

fn lease_spec(apis: &Apis, name: &str) -> serde_json::Value {
    json!({
        "holderIdentity": name,
        "leaseDurationSeconds": apis.config.lease_duration_seconds,
        "renewTime": micro_timestamp(OffsetDateTime::now_utc()),
    })
}

/// Creates the node's Lease, owned by its Node, or renews it when it exists.
async fn ensure_lease(apis: &Apis, name: &str, uid: &str) -> Result<(), AgentError> {
    let lease = json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": name,
            "namespace": LEASE_NAMESPACE,
            "ownerReferences": [{ "apiVersion": "v1", "kind": "Node", "name": name, "uid": uid }],
        },
        "spec": lease_spec(apis, name),
    });
    let lease: Lease =
        serde_json::from_value(lease).map_err(|source| AgentError::Json { what: format!("lease {name}"), source })?;
    match apis.leases.create(&PostParams::default(), &lease).await {
        Ok(_) => Ok(()),
        Err(error) if is_conflict(&error) => renew(apis, name).await,
        Err(source) => Err(AgentError::Api { what: format!("create lease {name}"), source }),
    }
}

async fn renew(apis: &Apis, name: &str) -> Result<(), AgentError> {
    let patch = json!({ "spec": lease_spec(apis, name) });
    apis.leases
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(drop)
        .map_err(|source| AgentError::Api { what: format!("renew lease {name}"), source })
}

/// Renews the Lease of every live node, a bounded number at a time.
async fn renew_leases(apis: &Apis, registered: &HashMap<String, Registered>) {
    let live: Vec<(&String, &Registered)> = registered.iter().filter(|(_, node)| !node.failed).collect();
    futures::stream::iter(live)
        .for_each_concurrent(CONCURRENCY, |(name, node)| async move {
            let result = match renew(apis, name).await {
                Err(AgentError::Api { source, .. }) if is_not_found(&source) => {
                    ensure_lease(apis, name, &node.uid).await
                }
                other => other,
            };
            if let Err(error) = result {
                tracing::warn!(%error, "node agent: renewing a lease");
            }
        })
        .await;
}

/// Posts the status of every live node whose heartbeat is due.
async fn post_statuses(apis: &Apis, registered: &mut HashMap<String, Registered>) {
    let now = Instant::now();
    let due: Vec<(&String, &mut Registered)> =
        registered.iter_mut().filter(|(_, node)| !node.failed && node.next_status <= now).collect();
    futures::stream::iter(due)
        .for_each_concurrent(CONCURRENCY, |(name, node)| async move {
            let status = node::node_status(
                &node.spec,
                &apis.config.kubelet_version,
                node.registered_at,
                OffsetDateTime::now_utc(),
            );
            let patch = json!({ "status": status });
            match apis.nodes.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                Ok(_) => node.next_status = Instant::now() + apis.config.status_interval,
                Err(error) => {
                    tracing::warn!(%error, node = %name, "node agent: posting node status");
                    node.next_status = Instant::now() + RETRY;
                }
            }
        })
        .await;
}

/// Deletes a Node that left, and its Lease.
async fn delete_node(apis: &Apis, name: &str) -> Result<(), AgentError> {
    for result in [
        apis.nodes.delete(name, &DeleteParams::default()).await.map(drop),
        apis.leases.delete(name, &DeleteParams::default()).await.map(drop),
    ] {
        match result {
            Ok(()) => {}
            Err(error) if is_not_found(&error) => {}
            Err(source) => return Err(AgentError::Api { what: format!("delete node {name}"), source }),
        }
    }
    Ok(())
}

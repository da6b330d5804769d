//! A NodeClaim's lifecycle decisions (pure), as upstream's `pkg/controllers/nodeclaim/lifecycle` makes them:
//! the labels a launched claim carries (its pool's, its single-valued requirements', the instance's), when its node
//! counts as initialized (Ready, its startup taints and the known ephemeral taints gone), when it has waited too
//! long (launch 5 minutes, registration 15 minutes), when it expires (`expireAfter` since creation) and what its
//! `Consolidatable` condition says.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Taint};

use super::conditions::Condition;
use super::requirements::{ARCH, CAPACITY_TYPE, INSTANCE_TYPE, OS, ZONE, type_labels};
use crate::fleet::{ClassKind, InstanceTypeInfo, Launched};

/// How long a launch may keep failing before the claim is deleted.
pub const LAUNCH_TTL: Duration = Duration::from_secs(5 * 60);
/// How long a launched instance may take to register before the claim is deleted.
pub const REGISTRATION_TTL: Duration = Duration::from_secs(15 * 60);
/// Taints a node sheds once its kubelet and cloud provider are done, which Karpenter waits for.
pub const EPHEMERAL_TAINTS: [&str; 3] = [
    "node.kubernetes.io/not-ready",
    "node.kubernetes.io/unreachable",
    "node.cloudprovider.kubernetes.io/uninitialized",
];

/// A duration that may be `Never` (`None`); garbage is an error.
pub fn nillable_duration(text: Option<&str>, default: &str) -> Result<Option<Duration>, String> {
    let text = text.unwrap_or(default);
    if text == "Never" {
        return Ok(None);
    }
    k8s_model::parse_go_duration(text).map(Some).ok_or_else(|| format!("invalid duration {text:?}"))
}

/// The labels of a launched claim: the flavour's instance labels, the instance's zone and capacity type, and (for
/// Auto Mode) `eks.amazonaws.com/compute-type: auto` and `eks.amazonaws.com/nodeclass`, over the claim's own.
pub fn launched_labels(
    own: &BTreeMap<String, String>,
    info: Option<&InstanceTypeInfo>,
    launched: &Launched,
    kind: ClassKind,
    class_name: &str,
) -> BTreeMap<String, String> {
    let mut labels = info.map(|info| type_labels(info, kind)).unwrap_or_default();
    labels.insert(INSTANCE_TYPE.to_owned(), launched.instance_type.clone());
    labels.insert(ZONE.to_owned(), launched.zone.clone());
    labels.insert(CAPACITY_TYPE.to_owned(), launched.capacity_type.clone());
    labels.entry(OS.to_owned()).or_insert_with(|| "linux".to_owned());
    if let Some(info) = info {
        labels.insert(ARCH.to_owned(), info.architecture.clone());
    }
    if kind == ClassKind::AutoModeNodeClass {
        labels.insert("eks.amazonaws.com/compute-type".to_owned(), "auto".to_owned());
        labels.insert("eks.amazonaws.com/nodeclass".to_owned(), class_name.to_owned());
    }
    labels.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    labels
}

fn same_taint(a: &Taint, b: &Taint) -> bool {
    a.key == b.key && a.effect == b.effect
}

/// Whether the node is initialized for its claim; else the `Initialized` condition that says why not.
pub fn initialization(node: &Node, startup_taints: &[Taint]) -> Result<(), Condition> {
    let ready = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    if !ready {
        return Err(Condition::unknown("Initialized", "NodeNotReady", "Node status is NotReady"));
    }
    let taints = node.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
    let show = |t: &Taint| match t.value.as_deref() {
        Some(value) if !value.is_empty() => format!("{}={}:{}", t.key, value, t.effect),
        _ => format!("{}:{}", t.key, t.effect),
    };
    if let Some(taint) = taints.iter().find(|t| startup_taints.iter().any(|s| same_taint(s, t))) {
        return Err(Condition::unknown(
            "Initialized",
            "StartupTaintsExist",
            &format!("StartupTaint {:?} still exists", show(taint)),
        ));
    }
    if let Some(taint) = taints.iter().find(|t| EPHEMERAL_TAINTS.contains(&t.key.as_str())) {
        return Err(Condition::unknown(
            "Initialized",
            "KnownEphemeralTaintsExist",
            &format!("KnownEphemeralTaint {:?} still exists", show(taint)),
        ));
    }
    Ok(())
}

/// Whether a condition that changed at `since` has been so for `ttl` at `now`.
pub fn waited(since: Option<jiff::Timestamp>, ttl: Duration, now: jiff::Timestamp) -> bool {
    since.is_some_and(|since| now.as_second() - since.as_second() >= i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX))
}

/// When a claim created at `created` expires, if it does.
pub fn expires_at(created: jiff::Timestamp, expire_after: Option<Duration>) -> Option<i64> {
    Some(created.as_second().saturating_add(i64::try_from(expire_after?.as_secs()).unwrap_or(i64::MAX)))
}

/// The claim's `Consolidatable` condition: `Some(true)` once `consolidate_after` has passed since its pods last
/// changed (or it initialized), `Some(false)` before (with the second it will), `None` when consolidation is off
/// or it is not initialized.
pub fn consolidatable(
    initialized_at: Option<jiff::Timestamp>,
    last_pod_event: Option<jiff::Timestamp>,
    consolidate_after: Option<Duration>,
    now: jiff::Timestamp,
) -> Option<(bool, i64)> {
    let after = i64::try_from(consolidate_after?.as_secs()).unwrap_or(i64::MAX);
    let from = last_pod_event.or(initialized_at)?;
    let at = from.as_second().saturating_add(after);
    Some((now.as_second() >= at, at))
}

//! What a kubelet writes about a pod, from a [`PodSnapshot`]: the `status` object (phase, conditions, IPs, container
//! statuses with container and image ids) and the events that the change from the previous snapshot calls for, with
//! kubelet's reasons and messages. Pure functions of their inputs.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::lifecycle::{ContainerPlan, ContainerSnapshot, PodPlan, PodSnapshot, ProbeKind, State, Terminated, Timing};

/// A plausible compressed image size for `Pulled` events.
const IMAGE_SIZE_BYTES: u64 = 72_225_394;

/// Who the pod is and where it runs.
#[derive(Debug, Clone)]
pub struct PodContext<'a> {
    /// `metadata.name`.
    pub name: &'a str,
    /// `metadata.namespace`.
    pub namespace: &'a str,
    /// `metadata.uid`.
    pub uid: &'a str,
    /// When the node accepted the pod (`status.startTime`); every time of the snapshot counts from here.
    pub origin: OffsetDateTime,
    /// The pod's IP.
    pub pod_ip: Option<IpAddr>,
    /// The node's IP.
    pub host_ip: Option<IpAddr>,
}

impl PodContext<'_> {
    /// `name_namespace(uid)`, as kubelet names a pod in messages.
    pub fn full_name(&self) -> String {
        format!("{}_{}({})", self.name, self.namespace, self.uid)
    }

    fn at(&self, offset: Duration) -> String {
        timestamp(self.origin + offset)
    }
}

/// An event kubelet records about a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSpec {
    /// `Normal` or `Warning`.
    pub type_: &'static str,
    /// The reason, such as `Pulling`.
    pub reason: &'static str,
    /// The message.
    pub message: String,
    /// `spec.containers{name}` for container events.
    pub field_path: Option<String>,
}

impl EventSpec {
    fn normal(reason: &'static str, message: String, field_path: &str) -> EventSpec {
        EventSpec { type_: "Normal", reason, message, field_path: Some(field_path.to_owned()) }
    }

    fn warning(reason: &'static str, message: String, field_path: &str) -> EventSpec {
        EventSpec { type_: "Warning", reason, message, field_path: Some(field_path.to_owned()) }
    }
}

/// A time as the API writes `metav1.Time`: RFC 3339 in UTC, whole seconds.
pub fn timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_default()
}

/// The pod's `status` as kubelet writes it.
pub fn pod_status(plan: &PodPlan, snapshot: &PodSnapshot, context: &PodContext<'_>, now: OffsetDateTime) -> Value {
    let now = timestamp(now);
    let condition = |type_: &str, ok: bool, reason: Option<&str>, message: Option<String>| {
        let mut condition = json!({
            "type": type_,
            "status": if ok { "True" } else { "False" },
            "lastProbeTime": null,
            "lastTransitionTime": now,
        });
        if !ok {
            if let Some(reason) = reason {
                condition["reason"] = json!(reason);
            }
            if let Some(message) = message {
                condition["message"] = json!(message);
            }
        }
        condition
    };
    let names = |plans: &[ContainerPlan], snapshots: &[ContainerSnapshot], pick: fn(&ContainerSnapshot) -> bool| {
        let list: Vec<&str> =
            plans.iter().zip(snapshots).filter(|(_, s)| pick(s)).map(|(plan, _)| plan.name.as_str()).collect();
        format!("[{}]", list.join(" "))
    };
    let initialized = condition(
        "Initialized",
        snapshot.initialized,
        Some("ContainersNotInitialized"),
        Some(format!(
            "containers with incomplete status: {}",
            names(&plan.init_containers, &snapshot.init_containers, |s| !matches!(s.state, State::Terminated(_)))
        )),
    );
    let (ready_reason, ready_message) = if snapshot.phase.is_terminal() {
        ("PodCompleted", None)
    } else {
        let unready = names(&plan.containers, &snapshot.containers, |s| !s.ready);
        ("ContainersNotReady", Some(format!("containers with unready status: {unready}")))
    };
    let sandbox_ready = !snapshot.phase.is_terminal();
    let conditions = vec![
        condition("PodReadyToStartContainers", sandbox_ready, None, None),
        initialized,
        condition("Ready", snapshot.ready, Some(ready_reason), ready_message.clone()),
        condition("ContainersReady", snapshot.ready, Some(ready_reason), ready_message),
        condition("PodScheduled", true, None, None),
    ];
    let statuses = |plans: &[ContainerPlan], snapshots: &[ContainerSnapshot]| -> Vec<Value> {
        plans.iter().zip(snapshots).map(|(plan, snapshot)| container_status(plan, snapshot, context)).collect()
    };
    let ips = |ip: Option<IpAddr>| match ip {
        Some(ip) => json!([{ "ip": ip.to_string() }]),
        None => Value::Null,
    };
    let mut status = json!({
        "phase": snapshot.phase.as_str(),
        "conditions": conditions,
        "hostIP": context.host_ip.map(|ip| ip.to_string()),
        "hostIPs": ips(context.host_ip),
        "podIP": context.pod_ip.map(|ip| ip.to_string()),
        "podIPs": ips(context.pod_ip),
        "startTime": timestamp(context.origin),
        "containerStatuses": statuses(&plan.containers, &snapshot.containers),
        "reason": null,
        "message": null,
    });
    if !plan.init_containers.is_empty() {
        status["initContainerStatuses"] = json!(statuses(&plan.init_containers, &snapshot.init_containers));
    }
    status
}

/// `status.ephemeralContainerStatuses`, one per ephemeral container, in the same shape as the other containers'.
pub fn ephemeral_statuses(
    plans: &[ContainerPlan],
    snapshots: &[ContainerSnapshot],
    context: &PodContext<'_>,
) -> Vec<Value> {
    plans.iter().zip(snapshots).map(|(plan, snapshot)| container_status(plan, snapshot, context)).collect()
}

/// The events of ephemeral containers that started since `previous` (their snapshots then, in the same order;
/// those added since have none).
pub fn ephemeral_events(
    plans: &[ContainerPlan],
    timing: &Timing,
    previous: &[ContainerSnapshot],
    current: &[ContainerSnapshot],
) -> Vec<EventSpec> {
    let mut events = Vec::new();
    for (idx, (container, snapshot)) in plans.iter().zip(current).enumerate() {
        let before = previous.get(idx).map_or(0, |s| s.starts);
        if snapshot.starts > before {
            let field_path = format!("spec.ephemeralContainers{{{}}}", container.name);
            let (image, took) = (&container.image, crate::lifecycle::go_duration(timing.start_delay));
            events.push(EventSpec::normal("Pulling", format!("Pulling image {image:?}"), &field_path));
            let message = format!(
                "Successfully pulled image {image:?} in {took} ({took} including waiting). Image size: \
                 {IMAGE_SIZE_BYTES} bytes."
            );
            events.push(EventSpec::normal("Pulled", message, &field_path));
            events.push(EventSpec::normal("Created", format!("Created container: {}", container.name), &field_path));
            events.push(EventSpec::normal("Started", format!("Started container {}", container.name), &field_path));
        }
    }
    events
}

fn container_status(plan: &ContainerPlan, snapshot: &ContainerSnapshot, context: &PodContext<'_>) -> Value {
    let image = normalize_image(&plan.image);
    let ran = snapshot.starts > 0;
    // The run the current state belongs to: a container waiting in back-off shows no id of its own.
    let current_run = snapshot.restart_count;
    let container_id = |run: u32| format!("containerd://{}", hex64(&[context.uid, &plan.name, &run.to_string()]));
    let terminated = |exit: &Terminated, run: u32| {
        json!({ "terminated": {
            "exitCode": exit.exit_code,
            "reason": exit.reason(),
            "startedAt": context.at(exit.started),
            "finishedAt": context.at(exit.finished),
            "containerID": container_id(run),
        }})
    };
    let state = match &snapshot.state {
        State::Waiting { reason, backoff } => {
            let mut waiting = json!({ "reason": reason });
            if let Some(delay) = backoff {
                waiting["message"] = json!(format!(
                    "back-off {} restarting failed container={} pod={}",
                    crate::lifecycle::go_duration(*delay),
                    plan.name,
                    context.full_name()
                ));
            }
            json!({ "waiting": waiting })
        }
        State::Running { since } => json!({ "running": { "startedAt": context.at(*since) } }),
        State::Terminated(exit) => terminated(exit, current_run),
    };
    let in_backoff = matches!(snapshot.state, State::Waiting { .. });
    let last_state = match &snapshot.last {
        Some(exit) if in_backoff => terminated(exit, current_run),
        Some(exit) => terminated(exit, current_run.saturating_sub(1)),
        None => json!({}),
    };
    let mut status = json!({
        "name": plan.name,
        "state": state,
        "lastState": last_state,
        "ready": snapshot.ready,
        "restartCount": snapshot.restart_count,
        "image": if ran { image.clone() } else { plan.image.clone() },
        "imageID": if ran { image_id(&image) } else { String::new() },
        "started": snapshot.started,
    });
    if ran {
        status["containerID"] = json!(container_id(current_run));
    }
    status
}

/// Holds `Ready` false while a readiness gate of the pod is not met, as kubelet does: the gate's condition (set by
/// whoever owns it, among `status`'s conditions) must exist and be `True`. Containers that are not ready keep their
/// own reason.
pub fn apply_readiness_gates(status: &mut Value, gates: &[String]) {
    let Some(conditions) = status["conditions"].as_array_mut() else { return };
    let unmet: Vec<String> = gates
        .iter()
        .filter_map(|gate| match conditions.iter().find(|c| c["type"] == gate.as_str()) {
            None => Some(format!("corresponding condition of pod readiness gate {gate:?} does not exist.")),
            Some(c) if c["status"] != "True" => Some(format!(
                "the status of pod readiness gate {gate:?} is not \"True\", but {}",
                c["status"].as_str().unwrap_or_default()
            )),
            Some(_) => None,
        })
        .collect();
    if unmet.is_empty() {
        return;
    }
    if let Some(ready) = conditions.iter_mut().find(|c| c["type"] == "Ready" && c["status"] == "True") {
        ready["status"] = json!("False");
        ready["reason"] = json!("ReadinessGatesNotReady");
        ready["message"] = json!(unmet.join(", "));
    }
}

/// The pod conditions kubelet owns and writes; the others (a `DisruptionTarget`, readiness gates) belong to
/// whoever set them.
pub const KUBELET_CONDITIONS: [&str; 5] =
    ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"];

/// Keeps the `lastTransitionTime` of every condition whose status did not change since `previous`.
pub fn carry_transition_times(previous: &Value, status: &mut Value) {
    let Some(conditions) = status["conditions"].as_array_mut() else { return };
    let Some(old) = previous["conditions"].as_array() else { return };
    for condition in conditions {
        let same = old.iter().find(|o| o["type"] == condition["type"] && o["status"] == condition["status"]);
        if let Some(same) = same {
            condition["lastTransitionTime"] = same["lastTransitionTime"].clone();
        }
    }
}

/// The events that the change from `previous` (none: the pod was just accepted) to `current` calls for.
pub fn events(
    plan: &PodPlan,
    timing: &Timing,
    previous: Option<&PodSnapshot>,
    current: &PodSnapshot,
    context: &PodContext<'_>,
) -> Vec<EventSpec> {
    let mut events = Vec::new();
    let groups = [
        ("initContainers", &plan.init_containers, &current.init_containers, previous.map(|p| &p.init_containers)),
        ("containers", &plan.containers, &current.containers, previous.map(|p| &p.containers)),
    ];
    for (field, plans, now, before) in groups {
        for (index, (container, snapshot)) in plans.iter().zip(now).enumerate() {
            let old = before.and_then(|list| list.get(index));
            let field_path = format!("spec.{field}{{{}}}", container.name);
            let old_value = |get: fn(&ContainerSnapshot) -> u32| old.map_or(0, get);
            if snapshot.startup_kills > old_value(|s| s.startup_kills)
                && let Some(failure) = &container.startup_failure
            {
                events.push(EventSpec::warning("Unhealthy", format!("Startup probe {}", failure.detail), &field_path));
                let message = format!("Container {} failed startup probe, will be restarted", container.name);
                events.push(EventSpec::normal("Killing", message, &field_path));
            }
            if snapshot.liveness_kills > old_value(|s| s.liveness_kills) {
                let message = format!("Liveness probe {}", liveness_detail(plan, container));
                events.push(EventSpec::warning("Unhealthy", message, &field_path));
                let message = format!("Container {} failed liveness probe, will be restarted", container.name);
                events.push(EventSpec::normal("Killing", message, &field_path));
            }
            if snapshot.starts > old_value(|s| s.starts) {
                let image = &container.image;
                if old_value(|s| s.starts) == 0 || container.pull_always {
                    let took = crate::lifecycle::go_duration(timing.start_delay);
                    events.push(EventSpec::normal("Pulling", format!("Pulling image {image:?}"), &field_path));
                    let message = format!(
                        "Successfully pulled image {image:?} in {took} ({took} including waiting). Image size: \
                         {IMAGE_SIZE_BYTES} bytes."
                    );
                    events.push(EventSpec::normal("Pulled", message, &field_path));
                } else {
                    let message = format!("Container image {image:?} already present on machine");
                    events.push(EventSpec::normal("Pulled", message, &field_path));
                }
                let created = format!("Created container: {}", container.name);
                events.push(EventSpec::normal("Created", created, &field_path));
                events.push(EventSpec::normal("Started", format!("Started container {}", container.name), &field_path));
            }
            if snapshot.backoffs > old_value(|s| s.backoffs) {
                let message =
                    format!("Back-off restarting failed container {} in pod {}", container.name, context.full_name());
                events.push(EventSpec::warning("BackOff", message, &field_path));
            }
            if snapshot.startup_erroring
                && !old.is_some_and(|s| s.startup_erroring)
                && let Some(failure) = &container.startup_failure
            {
                events.push(EventSpec::warning("Unhealthy", format!("Startup probe {}", failure.detail), &field_path));
            }
            if snapshot.liveness_erroring
                && !old.is_some_and(|s| s.liveness_erroring)
                && let Some(failure) = &container.liveness_failure
            {
                events.push(EventSpec::warning("Unhealthy", format!("Liveness probe {}", failure.detail), &field_path));
            }
            if snapshot.readiness_failing && !old.is_some_and(|s| s.readiness_failing) {
                let detail = match &container.readiness_failure {
                    Some(failure) => failure.detail.clone(),
                    None => format!("failed: {}", probe_failure(container.readiness_kind)),
                };
                events.push(EventSpec::warning("Unhealthy", format!("Readiness probe {detail}"), &field_path));
            }
        }
    }
    events
}

/// The `Killing` events of a deletion: one per running container.
pub fn stopping_events(plan: &PodPlan, snapshot: &PodSnapshot) -> Vec<EventSpec> {
    let groups = [
        ("initContainers", &plan.init_containers, &snapshot.init_containers),
        ("containers", &plan.containers, &snapshot.containers),
    ];
    let mut events = Vec::new();
    for (field, plans, snapshots) in groups {
        for (container, snapshot) in plans.iter().zip(snapshots) {
            if matches!(snapshot.state, State::Running { .. }) {
                let field_path = format!("spec.{field}{{{}}}", container.name);
                events.push(EventSpec::normal(
                    "Killing",
                    format!("Stopping container {}", container.name),
                    &field_path,
                ));
            }
        }
    }
    events
}

/// What the liveness probe said when it killed a container: the probe's own failure when it fails no later than
/// the `ekslite.dev/fail-liveness-after` annotation says, else the annotation's simulated failure.
fn liveness_detail(plan: &PodPlan, container: &ContainerPlan) -> String {
    let probed = container.liveness_failure.as_ref().and_then(|failure| Some((failure.kill_after?, &failure.detail)));
    match (probed, plan.fail_liveness_after) {
        (Some((after, detail)), annotated) if annotated.is_none_or(|annotated| after <= annotated) => detail.clone(),
        _ => format!("failed: {}", probe_failure(container.liveness_kind)),
    }
}

fn probe_failure(kind: ProbeKind) -> &'static str {
    match kind {
        ProbeKind::Http => "HTTP probe failed with statuscode: 503",
        ProbeKind::Tcp => "dial tcp: connect: connection refused",
        ProbeKind::Other => "",
    }
}

/// The status of a pod the node refuses because it has no room for it (kubelet's admission): `Failed`, with the
/// reason `OutOfpods`.
pub fn rejected_status(used: u32, capacity: u32, host_ip: Option<IpAddr>, now: OffsetDateTime) -> (Value, EventSpec) {
    let message = format!("Node didn't have enough resource: pods, requested: 1, used: {used}, capacity: {capacity}");
    let status = json!({
        "phase": "Failed",
        "reason": "OutOfpods",
        "message": format!("Pod was rejected: {message}"),
        "hostIP": host_ip.map(|ip| ip.to_string()),
        "hostIPs": host_ip.map(|ip| json!([{ "ip": ip.to_string() }])),
        "startTime": timestamp(now),
    });
    (status, EventSpec { type_: "Warning", reason: "OutOfpods", message, field_path: None })
}

/// An image reference as containerd reports it: registry and tag made explicit (`nginx` is
/// `docker.io/library/nginx:latest`).
pub fn normalize_image(image: &str) -> String {
    let image = image.trim();
    if image.is_empty() {
        return String::new();
    }
    let (first, rest) = image.split_once('/').unwrap_or(("", image));
    let has_registry = first.contains('.') || first.contains(':') || first == "localhost";
    let mut full = match (has_registry, first.is_empty()) {
        (true, _) => image.to_owned(),
        (false, true) => format!("docker.io/library/{rest}"),
        (false, false) => format!("docker.io/{image}"),
    };
    let last = full.rsplit('/').next().unwrap_or_default();
    if !last.contains(':') && !last.contains('@') {
        full.push_str(":latest");
    }
    full
}

/// `repository@sha256:<digest>`, the digest derived from the image so that it is stable.
pub fn image_id(normalized: &str) -> String {
    let repository = match normalized.split_once('@') {
        Some((repository, _)) => repository.to_owned(),
        None => {
            let (path, last) = normalized.rsplit_once('/').unwrap_or(("", normalized));
            let name = last.split(':').next().unwrap_or(last);
            if path.is_empty() { name.to_owned() } else { format!("{path}/{name}") }
        }
    };
    format!("{repository}@sha256:{}", hex64(&[normalized]))
}

/// 64 hex digits derived from `parts` (not a cryptographic hash; only stable and well spread).
pub fn hex64(parts: &[&str]) -> String {
    let mut state: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            state ^= u64::from(byte);
            state = state.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..4u64).map(|lane| format!("{:016x}", splitmix(state ^ lane.wrapping_mul(0x9e37_79b9_7f4a_7c15)))).collect()
}

fn splitmix(mut value: u64) -> u64 {
    value = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    value = (value ^ (value >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    value ^ (value >> 31)
}

#[cfg(test)]
mod tests;

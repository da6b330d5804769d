//! The `cluster-autoscaler-status` ConfigMap's `data.status`, in upstream's YAML format (`clusterstate/api`):
//! the time, `autoscalerStatus`, the cluster-wide health with node counts and the scale-up and scale-down
//! conditions, then one entry per node group with its sizes (`cloudProviderTarget`, `minSize`, `maxSize`) and
//! its own conditions. Probe times are the scan's, transition times when the condition's status last changed.

use std::collections::HashMap;

use jiff::Timestamp;

/// Node counts of the cluster or of a group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeCounts {
    pub registered: i64,
    pub ready: i64,
    pub not_started: i64,
    pub unready: i64,
    pub being_deleted: i64,
    /// Asked for, not registered yet.
    pub unregistered: i64,
    /// Asked for and not registered within the max node provision time.
    pub long_unregistered: i64,
}

/// One group's status.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStatus {
    pub name: String,
    pub counts: NodeCounts,
    pub target: i64,
    pub min: i64,
    pub max: i64,
    /// `InProgress`, `Backoff` or `NoActivity`.
    pub scale_up: &'static str,
    /// Unneeded nodes of the group.
    pub candidates: usize,
}

impl GroupStatus {
    /// `Healthy` unless too many of its nodes are unready or long unregistered (upstream: more than 3 and more
    /// than 45% of them).
    pub fn health(&self) -> &'static str {
        health(&self.counts)
    }
}

fn health(counts: &NodeCounts) -> &'static str {
    let bad = counts.unready + counts.long_unregistered;
    let all = counts.registered + counts.long_unregistered;
    if bad > 3 && (bad as f64) > 0.45 * all as f64 { "Unhealthy" } else { "Healthy" }
}

/// When each condition's status last changed, by condition key.
#[derive(Debug, Clone, Default)]
pub struct Transitions(HashMap<String, (String, Timestamp)>);

impl Transitions {
    /// The time `key` took `status` (now, if it just did).
    pub fn observe(&mut self, key: &str, status: &str, now: Timestamp) -> Timestamp {
        let entry = self.0.entry(key.to_owned()).or_insert_with(|| (status.to_owned(), now));
        if entry.0 != status {
            *entry = (status.to_owned(), now);
        }
        entry.1
    }
}

/// Go's `time.Time.String()` (without the monotonic part) in UTC: `2026-01-02 15:04:05.123456789 +0000 UTC`.
pub fn go_time(at: Timestamp) -> String {
    let seconds = at.strftime("%Y-%m-%d %H:%M:%S").to_string();
    let nanos = at.subsec_nanosecond();
    let fraction = if nanos == 0 { String::new() } else { format!(".{:09}", nanos).trim_end_matches('0').to_owned() };
    format!("{seconds}{fraction} +0000 UTC")
}

fn rfc3339(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn counts_yaml(out: &mut String, indent: &str, counts: &NodeCounts) {
    out.push_str(&format!("{indent}nodeCounts:\n"));
    out.push_str(&format!("{indent}  registered:\n"));
    out.push_str(&format!("{indent}    total: {}\n", counts.registered));
    out.push_str(&format!("{indent}    ready: {}\n", counts.ready));
    out.push_str(&format!("{indent}    notStarted: {}\n", counts.not_started));
    if counts.being_deleted > 0 {
        out.push_str(&format!("{indent}    beingDeleted: {}\n", counts.being_deleted));
    }
    if counts.unready > 0 {
        out.push_str(&format!("{indent}    unready:\n{indent}      total: {}\n", counts.unready));
    }
    out.push_str(&format!("{indent}  longUnregistered: {}\n", counts.long_unregistered));
    out.push_str(&format!("{indent}  unregistered: {}\n", counts.unregistered));
}

fn times(out: &mut String, indent: &str, now: Timestamp, since: Timestamp) {
    out.push_str(&format!("{indent}lastProbeTime: \"{}\"\n", rfc3339(now)));
    out.push_str(&format!("{indent}lastTransitionTime: \"{}\"\n", rfc3339(since)));
}

/// The status YAML at `now`.
pub fn render(groups: &[GroupStatus], cluster: &NodeCounts, transitions: &mut Transitions, now: Timestamp) -> String {
    let mut out = String::new();
    out.push_str(&format!("time: {}\n", go_time(now)));
    out.push_str("autoscalerStatus: Running\n");
    out.push_str("clusterWide:\n  health:\n");
    let cluster_health = health(cluster);
    out.push_str(&format!("    status: {cluster_health}\n"));
    counts_yaml(&mut out, "    ", cluster);
    let since = transitions.observe("cluster/health", cluster_health, now);
    times(&mut out, "    ", now, since);
    let scale_up = if groups.iter().any(|g| g.scale_up == "InProgress") { "InProgress" } else { "NoActivity" };
    out.push_str(&format!("  scaleUp:\n    status: {scale_up}\n"));
    let since = transitions.observe("cluster/scaleUp", scale_up, now);
    times(&mut out, "    ", now, since);
    let candidates: usize = groups.iter().map(|g| g.candidates).sum();
    let scale_down = if candidates > 0 { "CandidatesPresent" } else { "NoCandidates" };
    out.push_str(&format!("  scaleDown:\n    status: {scale_down}\n"));
    if candidates > 0 {
        out.push_str(&format!("    candidates: {candidates}\n"));
    }
    let since = transitions.observe("cluster/scaleDown", scale_down, now);
    times(&mut out, "    ", now, since);
    if groups.is_empty() {
        return out;
    }
    out.push_str("nodeGroups:\n");
    for group in groups {
        out.push_str(&format!("- name: {}\n  health:\n", group.name));
        let group_health = group.health();
        out.push_str(&format!("    status: {group_health}\n"));
        counts_yaml(&mut out, "    ", &group.counts);
        out.push_str(&format!("    cloudProviderTarget: {}\n", group.target));
        out.push_str(&format!("    minSize: {}\n", group.min));
        out.push_str(&format!("    maxSize: {}\n", group.max));
        let since = transitions.observe(&format!("{}/health", group.name), group_health, now);
        times(&mut out, "    ", now, since);
        out.push_str(&format!("  scaleUp:\n    status: {}\n", group.scale_up));
        if group.scale_up == "Backoff" {
            out.push_str(
                "    backoffInfo:\n      errorCode: timeout\n      errorMessage: Node group has not been \
                          provisioned within the max node provision time\n",
            );
        }
        let since = transitions.observe(&format!("{}/scaleUp", group.name), group.scale_up, now);
        times(&mut out, "    ", now, since);
        let down = if group.candidates > 0 { "CandidatesPresent" } else { "NoCandidates" };
        out.push_str(&format!("  scaleDown:\n    status: {down}\n"));
        if group.candidates > 0 {
            out.push_str(&format!("    candidates: {}\n", group.candidates));
        }
        let since = transitions.observe(&format!("{}/scaleDown", group.name), down, now);
        times(&mut out, "    ", now, since);
    }
    out
}

//! Disruption decisions (pure), as upstream's `pkg/controllers/disruption` makes them, in its order: emptiness,
//! then multi-node consolidation, then single-node consolidation (drift is not simulated). A NodeClaim is a
//! candidate once it is initialized and `Consolidatable` (its pool's `consolidateAfter` has passed since its node's
//! pods last changed), its node is not annotated `karpenter.sh/do-not-disrupt`, and none of its pods is annotated so
//! or covered by a PodDisruptionBudget that allows no disruption. `WhenEmpty` pools lose only candidates without
//! reschedulable pods; `WhenEmptyOrUnderutilized` pools also those whose pods fit on the other nodes (the scheduler's
//! decision on a snapshot without them). Each pool's budgets (`nodes` as a count or a percentage of its nodes,
//! active in their `schedule`+`duration` window, for their `reasons`) cap how many of its nodes are disrupted at
//! once, counting those already being deleted. Replacing a node by a cheaper one is not done.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use scheduler::{Snapshot, pod_key};
use serde_json::Value;

/// The annotation that keeps a pod's node, or a node, from voluntary disruption.
pub const DO_NOT_DISRUPT: &str = "karpenter.sh/do-not-disrupt";

/// Why a node is disrupted (upstream's reasons, as budgets name them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Empty,
    Underutilized,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Empty => "Empty",
            Reason::Underutilized => "Underutilized",
        }
    }
}

/// Whether a budget's cron window contains `now`: the schedule fired within the last `duration`.
pub fn window_active(schedule: &str, duration: Duration, now: jiff::Timestamp) -> bool {
    let Ok(cron) = k8s_model::parse_cron(schedule) else { return false };
    let k8s_model::CronSchedule::Fields(fields) = cron.schedule else { return false };
    let zone = cron.zone.as_deref().and_then(|z| jiff::tz::TimeZone::get(z).ok()).unwrap_or(jiff::tz::TimeZone::UTC);
    let minutes = (duration.as_secs() / 60).min(60 * 24 * 31);
    let start = now.as_second() - now.as_second().rem_euclid(60);
    for back in 0..=minutes {
        let Ok(at) = jiff::Timestamp::from_second(start - (back as i64) * 60) else { return false };
        let time = at.to_zoned(zone.clone());
        let bit = |mask: u64, value: i64| mask & (1u64 << value.clamp(0, 63)) != 0;
        let dom = bit(fields.days_of_month, i64::from(time.day()));
        let dow = bit(fields.days_of_week, i64::from(time.weekday().to_sunday_zero_offset()));
        let day = if fields.any_day_field_is_star { dom && dow } else { dom || dow };
        if bit(fields.minutes, i64::from(time.minute()))
            && bit(fields.hours, i64::from(time.hour()))
            && bit(fields.months, i64::from(time.month()))
            && day
        {
            return true;
        }
    }
    false
}

/// How many of a pool's `total` nodes may be disrupted for `reason` now, `disrupting` of them already going: the
/// smallest active budget (percentages rounded up, as upstream's `GetAllowedDisruptionsByReason`) less those.
/// Without budgets, upstream's default `nodes: 10%`.
pub fn allowed(
    budgets: Option<&Value>,
    total: usize,
    disrupting: usize,
    reason: Reason,
    now: jiff::Timestamp,
) -> usize {
    let default = vec![serde_json::json!({ "nodes": "10%" })];
    let list = budgets.and_then(Value::as_array).unwrap_or(&default);
    let mut smallest = usize::MAX;
    for budget in list {
        let reasons = budget.get("reasons").and_then(Value::as_array);
        if reasons.is_some_and(|r| !r.iter().any(|r| r.as_str() == Some(reason.as_str()))) {
            continue;
        }
        if let Some(schedule) = budget.get("schedule").and_then(Value::as_str) {
            let duration = budget
                .get("duration")
                .and_then(Value::as_str)
                .and_then(k8s_model::parse_go_duration)
                .unwrap_or_default();
            if !window_active(schedule, duration, now) {
                continue;
            }
        }
        let nodes = budget.get("nodes").and_then(Value::as_str).unwrap_or("10%");
        let count = match nodes.strip_suffix('%') {
            Some(percent) => percent.parse::<usize>().map(|p| (total * p.min(100)).div_ceil(100)).unwrap_or(0),
            None => nodes.parse::<usize>().unwrap_or(0),
        };
        smallest = smallest.min(count);
    }
    if smallest == usize::MAX {
        smallest = total;
    }
    smallest.saturating_sub(disrupting)
}

/// A node Karpenter may disrupt, with its reschedulable pods.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub claim: String,
    pub node: String,
    pub pool: String,
    pub pods: Vec<Pod>,
    /// Dollars per hour (for ordering: the priciest first among equals).
    pub price: f64,
}

/// Why a node may not be disrupted, in upstream's words; `None` when it may.
pub fn blocked(
    node_annotations: Option<&std::collections::BTreeMap<String, String>>,
    pods: &[Pod],
    budgets: &[PodDisruptionBudget],
) -> Option<String> {
    if node_annotations.is_some_and(|a| a.get(DO_NOT_DISRUPT).is_some_and(|v| v == "true")) {
        return Some(format!("Disruption is blocked through the \"{DO_NOT_DISRUPT}\" annotation"));
    }
    for pod in pods {
        if pod.metadata.annotations.as_ref().is_some_and(|a| a.get(DO_NOT_DISRUPT).is_some_and(|v| v == "true")) {
            return Some(format!("Pod {:?} has \"{DO_NOT_DISRUPT}\" annotation", pod_key(pod)));
        }
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        for budget in budgets.iter().filter(|b| b.metadata.namespace == pod.metadata.namespace) {
            let selects = budget
                .spec
                .as_ref()
                .and_then(|spec| spec.selector.as_ref())
                .is_some_and(|selector| scheduler::selector_matches(selector, &labels));
            let allowed = budget.status.as_ref().map_or(0, |status| status.disruptions_allowed);
            if selects && allowed < 1 {
                let name = format!(
                    "{}/{}",
                    budget.metadata.namespace.as_deref().unwrap_or_default(),
                    budget.metadata.name.as_deref().unwrap_or_default()
                );
                return Some(format!("Pdb {name:?} prevents pod evictions"));
            }
        }
    }
    None
}

/// Whether every pod of `candidates` fits on the nodes of `snapshot` once the candidates' nodes are gone.
pub fn fits_elsewhere(candidates: &[&Candidate], snapshot: &Snapshot) -> bool {
    let mut simulated = snapshot.clone();
    for candidate in candidates {
        simulated.remove_node(&candidate.node);
    }
    for candidate in candidates {
        for pod in &candidate.pods {
            let mut moving = pod.clone();
            if let Some(spec) = moving.spec.as_mut() {
                spec.node_name = None;
            }
            match scheduler::schedule(&moving, &simulated) {
                Ok(node) => {
                    moving.spec.get_or_insert_with(Default::default).node_name = Some(node);
                    simulated.add_pod(&moving);
                }
                Err(_) => return false,
            }
        }
    }
    true
}

/// The consolidation of underutilized candidates: the largest set (cheapest to disrupt first: fewest pods, then
/// priciest) whose pods all fit on the remaining nodes (multi-node), else the first single candidate that does.
pub fn consolidate<'a>(candidates: &[&'a Candidate], snapshot: &Snapshot, limit: usize) -> Vec<&'a Candidate> {
    let mut ordered: Vec<&Candidate> = candidates.to_vec();
    ordered
        .sort_by(|a, b| a.pods.len().cmp(&b.pods.len()).then(b.price.total_cmp(&a.price)).then(a.claim.cmp(&b.claim)));
    let most = ordered.len().min(limit).min(100);
    for size in (2..=most).rev() {
        if fits_elsewhere(&ordered[..size], snapshot) {
            return ordered[..size].to_vec();
        }
    }
    if limit == 0 {
        return Vec::new();
    }
    ordered.into_iter().find(|candidate| fits_elsewhere(&[candidate], snapshot)).into_iter().collect()
}

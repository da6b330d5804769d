//! Disruption decisions (pure), as upstream's `pkg/controllers/disruption` makes them, in its order: emptiness,
//! drift, then multi-node consolidation, then single-node consolidation. A NodeClaim is a candidate once it is
//! initialized, its node is not annotated `karpenter.sh/do-not-disrupt`, and none of its pods is annotated so or
//! covered by a PodDisruptionBudget that allows no disruption; consolidation also wants it `Consolidatable` (its
//! pool's `consolidateAfter` has passed since its node's pods last changed), drift wants it `Drifted`.
//! `WhenEmpty` pools lose only candidates without reschedulable pods; `WhenEmptyOrUnderutilized` pools also those
//! whose pods fit on the other nodes, or on one new node cheaper than the candidates (the scheduler's decision on a
//! snapshot without them, then provisioning's plan for the pods left over; [`consolidation`]). A drifted node is
//! replaced by whatever new nodes its pods need ([`simulate`]). Each pool's budgets (`nodes` as a count or a
//! percentage of its nodes, active in their `schedule`+`duration` window, for their `reasons`) cap how many of its
//! nodes are disrupted at once, counting those already being deleted. Spot nodes are not replaced by spot nodes
//! (upstream's `SpotToSpotConsolidation` feature gate is off by default).

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use scheduler::{Snapshot, pod_key};
use serde_json::Value;

use super::provisioning::{self, PlannedClaim, PoolInput};
use super::requirements::CAPACITY_TYPE;

/// The annotation that keeps a pod's node, or a node, from voluntary disruption.
pub const DO_NOT_DISRUPT: &str = "karpenter.sh/do-not-disrupt";

/// Why a node is disrupted (upstream's reasons, as budgets name them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Empty,
    Drifted,
    Underutilized,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Empty => "Empty",
            Reason::Drifted => "Drifted",
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
    /// Dollars per hour (for ordering: the priciest first among equals; what a replacement must undercut).
    pub price: f64,
    /// `on-demand` or `spot`.
    pub capacity_type: String,
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

/// The new NodeClaims the pods of `candidates` need once their nodes are gone: each pod goes where the scheduler
/// would put it on the remaining nodes of `snapshot`, and those that fit nowhere are planned onto new claims of
/// `pools` as provisioning would. An error says why some pod could go nowhere.
pub fn simulate(
    candidates: &[&Candidate],
    snapshot: &Snapshot,
    pools: &[PoolInput],
) -> Result<Vec<PlannedClaim>, String> {
    let mut simulated = snapshot.clone();
    for candidate in candidates {
        simulated.remove_node(&candidate.node);
    }
    let mut homeless: Vec<Pod> = Vec::new();
    for candidate in candidates {
        for pod in &candidate.pods {
            let mut moving = pod.clone();
            moving.spec.get_or_insert_with(Default::default).node_name = None;
            match scheduler::schedule(&moving, &simulated) {
                Ok(node) => {
                    moving.spec.get_or_insert_with(Default::default).node_name = Some(node);
                    simulated.add_pod(&moving);
                }
                Err(_) => homeless.push(moving),
            }
        }
    }
    if homeless.is_empty() {
        return Ok(Vec::new());
    }
    if pools.is_empty() {
        return Err(format!("pod {:?} cannot be rescheduled: no nodepool can take it", pod_key(&homeless[0])));
    }
    let pods: Vec<&Pod> = homeless.iter().collect();
    let plan = provisioning::plan(&pods, pools);
    if let Some((&index, reason)) = plan.failures.iter().next() {
        return Err(format!("pod {:?} cannot be rescheduled: {reason}", pod_key(pods[index])));
    }
    Ok(plan.claims)
}

/// What consolidating `candidates` takes (upstream's `computeConsolidation`): `Ok(None)` when their pods fit on
/// the other nodes, `Ok(Some(claim))` when they need one new node and some instance type for it is cheaper than
/// the candidates together (the claim keeps only those types, and only spot when it could be either, so a launch
/// never lands on something dearer), else why not (what `Unconsolidatable` events say).
pub fn consolidation(
    candidates: &[&Candidate],
    snapshot: &Snapshot,
    pools: &[PoolInput],
) -> Result<Option<PlannedClaim>, String> {
    let mut claims = simulate(candidates, snapshot, pools)?;
    if claims.is_empty() {
        return Ok(None);
    }
    if claims.len() > 1 {
        return Err(format!("Can't remove without creating {} candidates", claims.len()));
    }
    let mut claim = claims.remove(0);
    let price: f64 = candidates.iter().map(|c| c.price).sum();
    let pool = &pools[claim.pool];
    let all_spot = candidates.iter().all(|c| c.capacity_type == "spot");
    let may_be_spot = claim.requirements.get(CAPACITY_TYPE).is_none_or(|allowed| allowed.allows(Some("spot")));
    if all_spot && may_be_spot {
        return Err("SpotToSpotConsolidation is disabled, can't replace a spot node with a spot node".to_owned());
    }
    claim.types.retain(|&t| provisioning::cheapest(&pool.types[t], &claim.requirements, &pool.zones) < price);
    if claim.types.is_empty() {
        return Err("Can't replace with a cheaper node".to_owned());
    }
    let on_demand_too = claim.requirements.get(CAPACITY_TYPE).is_none_or(|a| a.allows(Some("on-demand")));
    if may_be_spot && on_demand_too {
        claim.requirements.add(CAPACITY_TYPE, super::requirements::Allowed::is("spot"));
        // The types kept must still have a spot offering under the narrowed requirements.
        claim.types.retain(|&t| provisioning::cheapest(&pool.types[t], &claim.requirements, &pool.zones) < price);
        if claim.types.is_empty() {
            return Err("Can't replace with a cheaper node".to_owned());
        }
    }
    Ok(Some(claim))
}

/// One consolidation decision over underutilized candidates.
#[derive(Debug)]
pub struct Consolidation<'a> {
    pub candidates: Vec<&'a Candidate>,
    /// The one new node replacing them, if they need one.
    pub replacement: Option<PlannedClaim>,
}

/// Consolidation of underutilized candidates (cheapest to disrupt first: fewest pods, then priciest): the largest
/// set (at most `limit`, and 100) that [`consolidation`] allows (multi-node), else the first single candidate it
/// allows; with the reasons single candidates were refused (for `Unconsolidatable` events).
pub fn consolidate<'a>(
    candidates: &[&'a Candidate],
    snapshot: &Snapshot,
    pools: &[PoolInput],
    limit: usize,
) -> (Option<Consolidation<'a>>, Vec<(&'a Candidate, String)>) {
    let mut ordered: Vec<&Candidate> = candidates.to_vec();
    ordered
        .sort_by(|a, b| a.pods.len().cmp(&b.pods.len()).then(b.price.total_cmp(&a.price)).then(a.claim.cmp(&b.claim)));
    let most = ordered.len().min(limit).min(100);
    for size in (2..=most).rev() {
        if let Ok(replacement) = consolidation(&ordered[..size], snapshot, pools) {
            return (Some(Consolidation { candidates: ordered[..size].to_vec(), replacement }), Vec::new());
        }
    }
    let mut refused = Vec::new();
    if limit == 0 {
        return (None, refused);
    }
    for candidate in ordered {
        match consolidation(&[candidate], snapshot, pools) {
            Ok(replacement) => {
                return (Some(Consolidation { candidates: vec![candidate], replacement }), refused);
            }
            Err(message) => refused.push((candidate, message)),
        }
    }
    (None, refused)
}

//! From the replicas the metrics ask for to the replicas an autoscaler sets: stabilization over recent
//! recommendations and the rate limits of `spec.behavior`, as kube-controller-manager's `normalizeDesiredReplicas`
//! and `normalizeDesiredReplicasWithBehaviors` do (`pkg/controller/podautoscaler/horizontal.go`).
//!
//! Without `behavior` upstream keeps its older rules: the highest recommendation of the downscale stabilization
//! window, at most twice the current count (at least 4) up, and the min/max bounds. With one (the API server fills
//! in the defaults of each direction given), every recommendation is kept for the longer of the two windows, the
//! count is held between the lowest recommendation of the scale-up window and the highest of the scale-down
//! window, and each direction's policies bound the change against the replicas the target had at the start of each
//! policy's period (the scale events kept per autoscaler).
//!
//! The history lives in memory, per autoscaler ([`History`]), as upstream keeps it; times are explicit.

use jiff::Timestamp;
use k8s_openapi::api::autoscaling::v2::{HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscalerBehavior};

/// One scaling policy: `Pods` or `Percent`, its value and its period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// `Pods` or `Percent`.
    pub kind: String,
    /// Pods, or percent of the replicas at the start of the period.
    pub value: i32,
    /// The period, in seconds.
    pub period_seconds: i32,
}

/// One direction's rules with every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// How far back recommendations are considered, in seconds.
    pub stabilization_window_seconds: i32,
    /// `Max`, `Min` or `Disabled`.
    pub select_policy: String,
    /// The policies.
    pub policies: Vec<Policy>,
    /// The direction's own tolerance, when it gives one.
    pub tolerance: Option<f64>,
}

fn policy(kind: &str, value: i32, period_seconds: i32) -> Policy {
    Policy { kind: kind.to_owned(), value, period_seconds }
}

impl Rules {
    /// Upstream's scale-up defaults: no stabilization, the larger of 4 pods and 100% per 15 s.
    pub fn default_scale_up() -> Rules {
        Rules {
            stabilization_window_seconds: 0,
            select_policy: "Max".to_owned(),
            policies: vec![policy("Pods", 4, 15), policy("Percent", 100, 15)],
            tolerance: None,
        }
    }

    /// Upstream's scale-down defaults: the controller's stabilization window, 100% per 15 s.
    pub fn default_scale_down(window_seconds: i32) -> Rules {
        Rules {
            stabilization_window_seconds: window_seconds,
            select_policy: "Max".to_owned(),
            policies: vec![policy("Percent", 100, 15)],
            tolerance: None,
        }
    }

    /// Given rules over `defaults`: what they leave out is taken from the defaults.
    pub fn from_spec(rules: Option<&HPAScalingRules>, defaults: Rules) -> Rules {
        let Some(rules) = rules else { return defaults };
        Rules {
            stabilization_window_seconds: rules
                .stabilization_window_seconds
                .unwrap_or(defaults.stabilization_window_seconds),
            select_policy: rules.select_policy.clone().unwrap_or(defaults.select_policy),
            policies: match &rules.policies {
                Some(policies) => policies
                    .iter()
                    .map(|HPAScalingPolicy { type_, value, period_seconds }| policy(type_, *value, *period_seconds))
                    .collect(),
                None => defaults.policies,
            },
            tolerance: rules.tolerance.as_ref().and_then(|q| k8s_model::parse_quantity(q.0.trim())),
        }
    }

    /// The longest period of the policies, in seconds.
    fn longest_period(&self) -> i64 {
        self.policies.iter().map(|p| i64::from(p.period_seconds)).max().unwrap_or(0)
    }
}

/// Both directions' rules of an autoscaler with `behavior`.
#[derive(Debug, Clone, PartialEq)]
pub struct Behavior {
    /// Scaling up.
    pub scale_up: Rules,
    /// Scaling down.
    pub scale_down: Rules,
}

impl Behavior {
    /// The rules of a `behavior`, defaults filled in; the scale-down window defaults to `downscale_window_seconds`
    /// (`--horizontal-pod-autoscaler-downscale-stabilization`).
    pub fn from_spec(behavior: &HorizontalPodAutoscalerBehavior, downscale_window_seconds: i32) -> Behavior {
        Behavior {
            scale_up: Rules::from_spec(behavior.scale_up.as_ref(), Rules::default_scale_up()),
            scale_down: Rules::from_spec(
                behavior.scale_down.as_ref(),
                Rules::default_scale_down(downscale_window_seconds),
            ),
        }
    }
}

/// A recommendation as the metrics made it, before stabilization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Recommendation {
    replicas: i32,
    at: Timestamp,
}

/// A change of the target's replicas the controller made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ScaleEvent {
    change: i32,
    at: Timestamp,
    outdated: bool,
}

/// What one autoscaler's decisions remember between syncs.
#[derive(Debug, Clone, Default)]
pub struct History {
    recommendations: Vec<Recommendation>,
    scale_ups: Vec<ScaleEvent>,
    scale_downs: Vec<ScaleEvent>,
}

/// The bounds that decided a count, for the `ScalingLimited` condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// `DesiredWithinRange`, `TooFewReplicas`, `TooManyReplicas`, `ScaleUpLimit` or `ScaleDownLimit`.
    pub reason: &'static str,
    /// Upstream's message for it.
    pub message: &'static str,
}

/// The outcome of normalizing a recommendation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// The replicas to set.
    pub replicas: i32,
    /// `AbleToScale`'s reason and message: `ReadyForNewScale`, or the stabilization that changed the count.
    pub able: (&'static str, &'static str),
    /// Whether a limit changed the stabilized count, and which.
    pub limited: bool,
    /// The limit that applied (or `DesiredWithinRange`).
    pub limit: Limit,
}

const WITHIN_RANGE: Limit =
    Limit { reason: "DesiredWithinRange", message: "the desired count is within the acceptable range" };
const TOO_FEW: Limit =
    Limit { reason: "TooFewReplicas", message: "the desired replica count is less than the minimum replica count" };
const TOO_MANY: Limit =
    Limit { reason: "TooManyReplicas", message: "the desired replica count is more than the maximum replica count" };
const UP_LIMIT: Limit = Limit {
    reason: "ScaleUpLimit",
    message: "the desired replica count is increasing faster than the maximum scale rate",
};
const DOWN_LIMIT: Limit = Limit {
    reason: "ScaleDownLimit",
    message: "the desired replica count is decreasing faster than the maximum scale rate",
};
const READY: (&str, &str) = ("ReadyForNewScale", "recommended size matches current size");
const DOWN_STABILIZED: (&str, &str) = (
    "ScaleDownStabilized",
    "recent recommendations were higher than current one, applying the highest recent recommendation",
);
const UP_STABILIZED: (&str, &str) = (
    "ScaleUpStabilized",
    "recent recommendations were lower than current one, applying the lowest recent recommendation",
);

fn seconds_before(now: Timestamp, seconds: i64) -> Timestamp {
    now.checked_sub(jiff::SignedDuration::from_secs(seconds.max(0))).unwrap_or(Timestamp::MIN)
}

/// What one normalization needs besides the history.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The target's replicas now.
    pub current: i32,
    /// What the metrics ask for.
    pub desired: i32,
    /// `spec.minReplicas` (1 when unset).
    pub min: i32,
    /// `spec.maxReplicas`.
    pub max: i32,
    /// The autoscaler's behavior, defaults filled in; `None` for the older rules.
    pub behavior: Option<&'a Behavior>,
    /// The scale-down stabilization window of the older rules, in seconds.
    pub downscale_window_seconds: i64,
}

impl History {
    /// Remembers the current count as the first recommendation of an autoscaler seen for the first time.
    pub fn record_initial(&mut self, current: i32, now: Timestamp) {
        if self.recommendations.is_empty() {
            self.recommendations.push(Recommendation { replicas: current, at: now });
        }
    }

    /// Keeps `recommendation`, reusing the slot of an old one when there is one.
    fn remember(&mut self, old: Option<usize>, recommendation: Recommendation) {
        match old {
            Some(index) => self.recommendations[index] = recommendation,
            None => self.recommendations.push(recommendation),
        }
    }

    /// Stabilizes, rate-limits and bounds a recommendation, remembering it.
    pub fn normalize(&mut self, request: Request<'_>, now: Timestamp) -> Normalized {
        match request.behavior {
            None => self.normalize_legacy(request, now),
            Some(behavior) => self.normalize_with_behavior(request, behavior, now),
        }
    }

    fn normalize_legacy(&mut self, request: Request<'_>, now: Timestamp) -> Normalized {
        let cutoff = seconds_before(now, request.downscale_window_seconds);
        let mut stabilized = request.desired;
        let mut old = None;
        for (index, recommendation) in self.recommendations.iter().enumerate() {
            if recommendation.at < cutoff {
                old = Some(index);
            } else {
                stabilized = stabilized.max(recommendation.replicas);
            }
        }
        self.remember(old, Recommendation { replicas: request.desired, at: now });
        let able = if stabilized != request.desired { DOWN_STABILIZED } else { READY };
        let scale_up_limit = request.current.saturating_mul(2).max(4);
        let (maximum, over) =
            if request.max > scale_up_limit { (scale_up_limit, UP_LIMIT) } else { (request.max, TOO_MANY) };
        let (replicas, limit) = if stabilized < request.min {
            (request.min, TOO_FEW)
        } else if stabilized > maximum {
            (maximum, over)
        } else {
            (stabilized, WITHIN_RANGE)
        };
        Normalized { replicas, able, limited: replicas != stabilized, limit }
    }

    fn normalize_with_behavior(&mut self, request: Request<'_>, behavior: &Behavior, now: Timestamp) -> Normalized {
        let up_cutoff = seconds_before(now, i64::from(behavior.scale_up.stabilization_window_seconds));
        let down_cutoff = seconds_before(now, i64::from(behavior.scale_down.stabilization_window_seconds));
        let (mut up, mut down) = (request.desired, request.desired);
        let mut old = None;
        for (index, recommendation) in self.recommendations.iter().enumerate() {
            if recommendation.at > up_cutoff {
                up = up.min(recommendation.replicas);
            }
            if recommendation.at > down_cutoff {
                down = down.max(recommendation.replicas);
            }
            if recommendation.at < up_cutoff && recommendation.at < down_cutoff {
                old = Some(index);
            }
        }
        let stabilized = request.current.max(up).min(down);
        self.remember(old, Recommendation { replicas: request.desired, at: now });
        let able = if stabilized == request.desired {
            READY
        } else if request.desired >= request.current {
            UP_STABILIZED
        } else {
            DOWN_STABILIZED
        };

        let (replicas, limit) = if stabilized > request.current {
            let limit = self.scale_up_limit(request.current, &behavior.scale_up, now).max(request.current);
            let (maximum, over) = if request.max > limit { (limit, UP_LIMIT) } else { (request.max, TOO_MANY) };
            if stabilized > maximum { (maximum, over) } else { (stabilized, WITHIN_RANGE) }
        } else if stabilized < request.current {
            let limit = self.scale_down_limit(request.current, &behavior.scale_down, now).min(request.current);
            let (minimum, under) = if request.min < limit { (limit, DOWN_LIMIT) } else { (request.min, TOO_FEW) };
            if stabilized < minimum { (minimum, under) } else { (stabilized, WITHIN_RANGE) }
        } else {
            (stabilized, WITHIN_RANGE)
        };
        Normalized { replicas, able, limited: replicas != stabilized, limit }
    }

    /// The replicas the target had when a period of `seconds` began: the current ones less the changes since.
    fn period_start(&self, current: i32, seconds: i32, now: Timestamp) -> i32 {
        let cutoff = seconds_before(now, i64::from(seconds));
        let changed = |events: &[ScaleEvent]| -> i32 {
            events.iter().filter(|e| e.at > cutoff).fold(0i32, |sum, e| sum.saturating_add(e.change))
        };
        current.saturating_sub(changed(&self.scale_ups)).saturating_add(changed(&self.scale_downs))
    }

    /// The most replicas the scale-up policies allow now (upstream's `calculateScaleUpLimitWithScalingRules`).
    pub fn scale_up_limit(&self, current: i32, rules: &Rules, now: Timestamp) -> i32 {
        let pick_min = match rules.select_policy.as_str() {
            "Disabled" => return current,
            "Min" => true,
            _ => false,
        };
        let mut result = if pick_min { i32::MAX } else { i32::MIN };
        for policy in &rules.policies {
            let start = self.period_start(current, policy.period_seconds, now);
            let proposed = if policy.kind == "Pods" {
                start.saturating_add(policy.value)
            } else {
                let scaled = (f64::from(start) * (1.0 + f64::from(policy.value) / 100.0)).ceil();
                scaled.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
            };
            result = if pick_min { result.min(proposed) } else { result.max(proposed) };
        }
        result
    }

    /// The fewest replicas the scale-down policies allow now (upstream's `calculateScaleDownLimitWithBehaviors`).
    pub fn scale_down_limit(&self, current: i32, rules: &Rules, now: Timestamp) -> i32 {
        let pick_max = match rules.select_policy.as_str() {
            "Disabled" => return current,
            "Min" => true,
            _ => false,
        };
        let mut result = if pick_max { i32::MIN } else { i32::MAX };
        for policy in &rules.policies {
            let start = self.period_start(current, policy.period_seconds, now);
            let proposed = if policy.kind == "Pods" {
                start.saturating_sub(policy.value)
            } else {
                let scaled = f64::from(start) * (1.0 - f64::from(policy.value) / 100.0);
                scaled.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
            };
            result = if pick_max { result.max(proposed) } else { result.min(proposed) };
        }
        result
    }

    /// Remembers a change the controller made to the target, for the rate limits (only with `behavior`, as
    /// upstream); events older than the direction's longest period make room for new ones.
    pub fn record_scale(&mut self, behavior: Option<&Behavior>, previous: i32, new: i32, now: Timestamp) {
        let Some(behavior) = behavior else { return };
        let (events, rules, change) = if new > previous {
            (&mut self.scale_ups, &behavior.scale_up, new - previous)
        } else {
            (&mut self.scale_downs, &behavior.scale_down, previous - new)
        };
        let cutoff = seconds_before(now, rules.longest_period());
        for event in events.iter_mut() {
            if event.at < cutoff {
                event.outdated = true;
            }
        }
        let event = ScaleEvent { change, at: now, outdated: false };
        match events.iter().rposition(|e| e.outdated) {
            Some(index) => events[index] = event,
            None => events.push(event),
        }
    }
}

//! What a group is told to do beyond its sizes: lifecycle hooks, a warm pool, scheduled actions and scaling
//! policies. They are stored in the group's record (any group's, a managed node group's too) and described as
//! Auto Scaling describes them; nothing acts on them: instances never wait in a hook's `Pending:Wait`, the warm
//! pool holds no instances, schedules and alarms never fire. So CompleteLifecycleAction and
//! RecordLifecycleActionHeartbeat find no action in progress, as Auto Scaling answers for an instance that is not
//! waiting.

use serde::{Deserialize, Serialize};

use super::{AutoScaling, AutoScalingError};
use crate::ec2::{Kind, Network, Scope};
use crate::eks::Caller;

/// The most lifecycle hooks a group takes.
pub const MAX_HOOKS: usize = 50;
/// The most scaling policies a group takes.
pub const MAX_POLICIES: usize = 50;
/// The most scheduled actions a group takes.
pub const MAX_SCHEDULED_ACTIONS: usize = 125;

/// What a group stores beyond its sizes; empty for most groups.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Automation {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_hooks: Vec<LifecycleHook>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_pool: Option<WarmPool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduled_actions: Vec<ScheduledAction>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<ScalingPolicy>,
}

impl Automation {
    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        *self == Automation::default()
    }
}

/// A lifecycle hook (PutLifecycleHook).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleHook {
    pub name: String,
    /// `autoscaling:EC2_INSTANCE_LAUNCHING` or `autoscaling:EC2_INSTANCE_TERMINATING`.
    pub transition: String,
    pub role_arn: Option<String>,
    pub notification_target_arn: Option<String>,
    pub notification_metadata: Option<String>,
    /// Seconds, 30 to 7200 (3600 by default).
    pub heartbeat_timeout: i64,
    /// `ABANDON` (the default) or `CONTINUE`.
    pub default_result: String,
}

impl LifecycleHook {
    /// The most time an instance may wait in the hook: 100 heartbeats, at most 48 hours.
    pub fn global_timeout(&self) -> i64 {
        (self.heartbeat_timeout * 100).min(172_800)
    }
}

/// A warm pool (PutWarmPool).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarmPool {
    /// `None`: the group's maximum size.
    pub max_group_prepared_capacity: Option<i64>,
    pub min_size: i64,
    /// `Stopped` (the default), `Running` or `Hibernated`.
    pub pool_state: String,
    pub reuse_on_scale_in: Option<bool>,
}

/// A scheduled action (PutScheduledUpdateGroupAction).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScheduledAction {
    pub name: String,
    pub arn: String,
    /// Unix seconds.
    pub start_time: Option<f64>,
    pub end_time: Option<f64>,
    pub recurrence: Option<String>,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    pub desired_capacity: Option<i64>,
    pub time_zone: Option<String>,
}

/// A scaling policy (PutScalingPolicy): its type and settings, kept as given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScalingPolicy {
    pub name: String,
    pub arn: String,
    /// `SimpleScaling` (the default), `StepScaling`, `TargetTrackingScaling` or `PredictiveScaling`.
    pub policy_type: String,
    pub adjustment_type: Option<String>,
    pub scaling_adjustment: Option<i64>,
    pub min_adjustment_magnitude: Option<i64>,
    pub cooldown: Option<i64>,
    pub metric_aggregation_type: Option<String>,
    pub estimated_instance_warmup: Option<i64>,
    pub enabled: bool,
    /// `TargetTrackingConfiguration`: the predefined metric, target value and whether scale-in is off.
    pub target_tracking: Option<TargetTracking>,
    /// `StepAdjustments`: lower bound, upper bound, adjustment.
    pub step_adjustments: Vec<(Option<f64>, Option<f64>, i64)>,
}

/// A target tracking configuration with a predefined metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetTracking {
    pub predefined_metric_type: Option<String>,
    pub resource_label: Option<String>,
    pub target_value: f64,
    pub disable_scale_in: bool,
}

fn validation(message: impl Into<String>) -> AutoScalingError {
    AutoScalingError::Validation(message.into())
}

/// Names of hooks, actions and policies: 1 to 255 characters, no control characters.
fn check_name(field: &str, name: &str) -> Result<(), AutoScalingError> {
    if name.is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control) {
        return Err(validation(format!(
            "1 validation error detected: Value '{}' at '{field}' failed to satisfy constraint: Member must have \
             length between 1 and 255 and no control characters",
            name.escape_debug()
        )));
    }
    Ok(())
}

impl Network {
    /// The automation of a group, to change; `ValidationError` when there is no such group.
    fn automation_mut(&mut self, group: &str) -> Result<&mut Automation, AutoScalingError> {
        self.auto_scaling_groups
            .get_mut(group)
            .filter(|group| !group.deleting)
            .map(|group| &mut group.automation)
            .ok_or_else(|| super::groups::group_not_found(group))
    }

    /// The automation of a group.
    pub fn automation(&self, group: &str) -> Result<&Automation, AutoScalingError> {
        self.auto_scaling_groups
            .get(group)
            .filter(|group| !group.deleting)
            .map(|group| &group.automation)
            .ok_or_else(|| super::groups::group_not_found(group))
    }

    /// PutLifecycleHook: creates or replaces a hook; a new hook needs its transition.
    pub fn put_lifecycle_hook(&mut self, group: &str, hook: LifecycleHookRequest) -> Result<(), AutoScalingError> {
        check_name("lifecycleHookName", &hook.name)?;
        let automation = self.automation_mut(group)?;
        let existing = automation.lifecycle_hooks.iter().position(|h| h.name == hook.name);
        let mut stored = match existing {
            Some(index) => automation.lifecycle_hooks[index].clone(),
            None => LifecycleHook {
                name: hook.name.clone(),
                heartbeat_timeout: 3600,
                default_result: "ABANDON".into(),
                ..LifecycleHook::default()
            },
        };
        if let Some(transition) = hook.transition {
            if !matches!(
                transition.as_str(),
                "autoscaling:EC2_INSTANCE_LAUNCHING" | "autoscaling:EC2_INSTANCE_TERMINATING"
            ) {
                return Err(validation(format!("Invalid Lifecycle Transition: {}", transition.escape_debug())));
            }
            stored.transition = transition;
        }
        if stored.transition.is_empty() {
            return Err(validation("The lifecycle transition must be specified when creating a lifecycle hook"));
        }
        if let Some(timeout) = hook.heartbeat_timeout {
            if !(30..=7200).contains(&timeout) {
                return Err(validation(format!(
                    "The heartbeat timeout {timeout} must be between 30 and 7200 seconds."
                )));
            }
            stored.heartbeat_timeout = timeout;
        }
        if let Some(result) = hook.default_result {
            if !matches!(result.as_str(), "ABANDON" | "CONTINUE") {
                return Err(validation(format!("Invalid default result: {}", result.escape_debug())));
            }
            stored.default_result = result;
        }
        if hook.role_arn.is_some() {
            stored.role_arn = hook.role_arn;
        }
        if hook.notification_target_arn.is_some() {
            stored.notification_target_arn = hook.notification_target_arn;
        }
        if hook.notification_metadata.is_some() {
            stored.notification_metadata = hook.notification_metadata;
        }
        match existing {
            Some(index) => automation.lifecycle_hooks[index] = stored,
            None if automation.lifecycle_hooks.len() >= MAX_HOOKS => {
                return Err(AutoScalingError::LimitExceeded(format!(
                    "Unable to create lifecycle hook {} for Auto Scaling group {group}: the group already has \
                     {MAX_HOOKS} lifecycle hooks.",
                    hook.name
                )));
            }
            None => automation.lifecycle_hooks.push(stored),
        }
        Ok(())
    }

    /// DeleteLifecycleHook.
    pub fn delete_lifecycle_hook(&mut self, group: &str, name: &str) -> Result<(), AutoScalingError> {
        let automation = self.automation_mut(group)?;
        let before = automation.lifecycle_hooks.len();
        automation.lifecycle_hooks.retain(|hook| hook.name != name);
        if automation.lifecycle_hooks.len() == before {
            return Err(validation(format!("No Lifecycle Hook found with name: {name} for group: {group}")));
        }
        Ok(())
    }

    /// CompleteLifecycleAction and RecordLifecycleActionHeartbeat: the hook must exist; no instance ever waits
    /// in it, so there is no action to complete.
    pub fn lifecycle_action(&self, group: &str, hook: &str, instance: Option<&str>) -> Result<(), AutoScalingError> {
        let automation = self.automation(group)?;
        if !automation.lifecycle_hooks.iter().any(|found| found.name == hook) {
            return Err(validation(format!("No Lifecycle Hook found with name: {hook} for group: {group}")));
        }
        Err(validation(match instance {
            Some(id) => format!("No active Lifecycle Action found with instance ID {id}"),
            None => "No active Lifecycle Action found with the given token".to_owned(),
        }))
    }

    /// PutWarmPool: creates or replaces the group's warm pool.
    pub fn put_warm_pool(&mut self, group: &str, pool: WarmPool) -> Result<(), AutoScalingError> {
        if pool.min_size < 0 {
            return Err(validation("The warm pool's minimum size must not be negative."));
        }
        if pool.max_group_prepared_capacity.is_some_and(|max| max < -1) {
            return Err(validation("MaxGroupPreparedCapacity must be -1 or greater."));
        }
        if !matches!(pool.pool_state.as_str(), "Stopped" | "Running" | "Hibernated") {
            return Err(validation(format!("Invalid pool state: {}", pool.pool_state.escape_debug())));
        }
        self.automation_mut(group)?.warm_pool = Some(pool);
        Ok(())
    }

    /// DeleteWarmPool.
    pub fn delete_warm_pool(&mut self, group: &str) -> Result<(), AutoScalingError> {
        let automation = self.automation_mut(group)?;
        if automation.warm_pool.take().is_none() {
            return Err(validation(format!("No warm pool found for Auto Scaling group {group}.")));
        }
        Ok(())
    }

    /// PutScheduledUpdateGroupAction: creates or replaces an action.
    pub fn put_scheduled_action(&mut self, group: &str, action: ScheduledAction) -> Result<(), AutoScalingError> {
        check_name("scheduledActionName", &action.name)?;
        if let (Some(start), Some(end)) = (action.start_time, action.end_time)
            && end <= start
        {
            return Err(validation("The scheduled action's end time must be after its start time."));
        }
        if action.min_size.is_none() && action.max_size.is_none() && action.desired_capacity.is_none() {
            return Err(validation(
                "At least one of MinSize, MaxSize or DesiredCapacity must be specified for a scheduled action.",
            ));
        }
        if let (Some(min), Some(max)) = (action.min_size, action.max_size)
            && min > max
        {
            return Err(validation(format!("Max bound, {max}, must be greater than or equal to min bound, {min}")));
        }
        let automation = self.automation_mut(group)?;
        match automation.scheduled_actions.iter().position(|found| found.name == action.name) {
            Some(index) => automation.scheduled_actions[index] = action,
            None if automation.scheduled_actions.len() >= MAX_SCHEDULED_ACTIONS => {
                return Err(AutoScalingError::LimitExceeded(format!(
                    "The Auto Scaling group {group} already has {MAX_SCHEDULED_ACTIONS} scheduled actions."
                )));
            }
            None => automation.scheduled_actions.push(action),
        }
        Ok(())
    }

    /// DeleteScheduledAction.
    pub fn delete_scheduled_action(&mut self, group: &str, name: &str) -> Result<(), AutoScalingError> {
        let automation = self.automation_mut(group)?;
        let before = automation.scheduled_actions.len();
        automation.scheduled_actions.retain(|action| action.name != name);
        if automation.scheduled_actions.len() == before {
            return Err(validation(format!("Scheduled Update Group Action name not found - {name}")));
        }
        Ok(())
    }

    /// PutScalingPolicy: creates or replaces a policy; returns its ARN.
    pub fn put_scaling_policy(&mut self, group: &str, policy: ScalingPolicy) -> Result<String, AutoScalingError> {
        check_name("policyName", &policy.name)?;
        match policy.policy_type.as_str() {
            "SimpleScaling" | "StepScaling" => {
                if policy.adjustment_type.as_deref().is_none_or(|kind| {
                    !matches!(kind, "ChangeInCapacity" | "ExactCapacity" | "PercentChangeInCapacity")
                }) {
                    return Err(validation(
                        "AdjustmentType must be ChangeInCapacity, ExactCapacity or PercentChangeInCapacity",
                    ));
                }
                if policy.policy_type == "SimpleScaling" && policy.scaling_adjustment.is_none() {
                    return Err(validation("ScalingAdjustment is required for a SimpleScaling policy."));
                }
                if policy.policy_type == "StepScaling" && policy.step_adjustments.is_empty() {
                    return Err(validation("StepAdjustments are required for a StepScaling policy."));
                }
            }
            "TargetTrackingScaling" => {
                if policy.target_tracking.is_none() {
                    return Err(validation(
                        "TargetTrackingConfiguration is required for a TargetTrackingScaling policy.",
                    ));
                }
            }
            "PredictiveScaling" => {}
            other => {
                return Err(validation(format!("Invalid policy type: {}", other.escape_debug())));
            }
        }
        let automation = self.automation_mut(group)?;
        let arn = policy.arn.clone();
        match automation.policies.iter().position(|found| found.name == policy.name) {
            Some(index) => {
                let arn = automation.policies[index].arn.clone();
                automation.policies[index] = ScalingPolicy { arn: arn.clone(), ..policy };
                return Ok(arn);
            }
            None if automation.policies.len() >= MAX_POLICIES => {
                return Err(AutoScalingError::LimitExceeded(format!(
                    "The Auto Scaling group {group} already has {MAX_POLICIES} scaling policies."
                )));
            }
            None => automation.policies.push(policy),
        }
        Ok(arn)
    }

    /// DeletePolicy.
    pub fn delete_scaling_policy(&mut self, group: &str, name: &str) -> Result<(), AutoScalingError> {
        let automation = self.automation_mut(group)?;
        let before = automation.policies.len();
        automation.policies.retain(|policy| policy.name != name && policy.arn != name);
        if automation.policies.len() == before {
            return Err(validation(format!("Policy {name} for Auto Scaling group {group} not found")));
        }
        Ok(())
    }
}

/// What PutLifecycleHook asks; members left out keep a hook's current values (or the defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifecycleHookRequest {
    pub name: String,
    pub transition: Option<String>,
    pub role_arn: Option<String>,
    pub notification_target_arn: Option<String>,
    pub notification_metadata: Option<String>,
    pub heartbeat_timeout: Option<i64>,
    pub default_result: Option<String>,
}

impl AutoScaling {
    /// Runs a change of one group's automation.
    pub async fn change_automation<T>(
        &self,
        caller: &Caller,
        group: &str,
        mut change: impl FnMut(&mut Network) -> Result<T, AutoScalingError>,
    ) -> Result<T, AutoScalingError> {
        self.sync(caller).await?;
        let scope = Scope::new().id(Kind::AutoScalingGroup, group);
        self.ec2.change(caller, &scope, |network, _| Ok(change(network))).await?
    }

    /// The ARN of a new scaling policy or scheduled action of a group in the caller's region.
    pub fn automation_arn(caller: &Caller, kind: &str, group: &str, name: &str) -> String {
        format!(
            "arn:aws:autoscaling:{}:{}:{kind}:{}:autoScalingGroupName/{group}:{}/{name}",
            caller.region,
            caller.account,
            crate::ids::uuid(),
            if kind == "scalingPolicy" { "policyName" } else { "scheduledActionName" }
        )
    }
}

#[cfg(test)]
mod tests;

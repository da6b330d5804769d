use super::*;
use crate::autoscaling::AutoScalingGroup;
use crate::ec2::TemplateRef;

fn network() -> Network {
    let mut network = Network::new("000000000000", "us-east-1");
    let group = AutoScalingGroup {
        name: "g".into(),
        arn: "arn".into(),
        created_at: 0.0,
        min_size: 0,
        max_size: 2,
        desired_capacity: 0,
        subnets: Vec::new(),
        availability_zones: Vec::new(),
        launch_template: TemplateRef::default(),
        owns_launch_template: false,
        tags: Default::default(),
        instances: Vec::new(),
        cluster: String::new(),
        nodegroup: String::new(),
        deleting: false,
        settings: None,
        activities: Vec::new(),
        automation: Automation::default(),
    };
    network.auto_scaling_groups.insert("g".into(), group);
    network
}

fn hook(name: &str) -> LifecycleHookRequest {
    LifecycleHookRequest {
        name: name.into(),
        transition: Some("autoscaling:EC2_INSTANCE_LAUNCHING".into()),
        ..LifecycleHookRequest::default()
    }
}

#[test]
fn hooks_are_stored_with_defaults_replaced_by_name_and_have_no_action_in_progress() {
    let mut network = network();
    network.put_lifecycle_hook("g", hook("wait")).unwrap();
    let stored = &network.automation("g").unwrap().lifecycle_hooks[0];
    assert_eq!((stored.heartbeat_timeout, stored.default_result.as_str()), (3600, "ABANDON"));
    assert_eq!(stored.global_timeout(), 172_800);
    network
        .put_lifecycle_hook("g", LifecycleHookRequest { heartbeat_timeout: Some(60), transition: None, ..hook("wait") })
        .unwrap();
    let stored = &network.automation("g").unwrap().lifecycle_hooks;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].heartbeat_timeout, stored[0].transition.as_str()),
        (60, "autoscaling:EC2_INSTANCE_LAUNCHING")
    );
    let waiting = network.lifecycle_action("g", "wait", Some("i-1")).unwrap_err();
    assert_eq!(waiting.to_string(), "No active Lifecycle Action found with instance ID i-1");
    assert!(network.lifecycle_action("g", "other", None).unwrap_err().to_string().contains("No Lifecycle Hook found"));
    let bad = LifecycleHookRequest { transition: Some("later".into()), ..hook("x") };
    assert!(network.put_lifecycle_hook("g", bad).is_err());
    let slow = LifecycleHookRequest { heartbeat_timeout: Some(10), ..hook("x") };
    assert!(network.put_lifecycle_hook("g", slow).is_err());
    assert!(network.put_lifecycle_hook("nobody", hook("x")).is_err());
    network.delete_lifecycle_hook("g", "wait").unwrap();
    assert!(network.delete_lifecycle_hook("g", "wait").is_err());
    for n in 0..MAX_HOOKS {
        network.put_lifecycle_hook("g", hook(&format!("h{n}"))).unwrap();
    }
    assert!(matches!(network.put_lifecycle_hook("g", hook("one-more")), Err(AutoScalingError::LimitExceeded(_))));
}

#[test]
fn warm_pools_scheduled_actions_and_policies_are_stored_and_checked() {
    let mut network = network();
    assert!(network.delete_warm_pool("g").unwrap_err().to_string().contains("No warm pool found"));
    let pool = WarmPool { min_size: 1, pool_state: "Stopped".into(), ..WarmPool::default() };
    network.put_warm_pool("g", pool.clone()).unwrap();
    assert_eq!(network.automation("g").unwrap().warm_pool, Some(pool));
    assert!(network.put_warm_pool("g", WarmPool { pool_state: "Frozen".into(), ..WarmPool::default() }).is_err());
    network.delete_warm_pool("g").unwrap();

    let action = ScheduledAction {
        name: "night".into(),
        recurrence: Some("0 20 * * *".into()),
        desired_capacity: Some(0),
        ..Default::default()
    };
    network.put_scheduled_action("g", action.clone()).unwrap();
    assert!(network.put_scheduled_action("g", ScheduledAction { desired_capacity: None, ..action.clone() }).is_err());
    let backwards = ScheduledAction { start_time: Some(10.0), end_time: Some(5.0), ..action };
    assert!(network.put_scheduled_action("g", backwards).is_err());
    network.delete_scheduled_action("g", "night").unwrap();
    assert!(network.delete_scheduled_action("g", "night").is_err());

    let policy = ScalingPolicy {
        name: "cpu".into(),
        arn: "arn:first".into(),
        policy_type: "TargetTrackingScaling".into(),
        enabled: true,
        target_tracking: Some(TargetTracking { target_value: 50.0, ..TargetTracking::default() }),
        ..ScalingPolicy::default()
    };
    assert_eq!(network.put_scaling_policy("g", policy.clone()).unwrap(), "arn:first");
    let replaced = ScalingPolicy { arn: "arn:second".into(), ..policy.clone() };
    assert_eq!(network.put_scaling_policy("g", replaced).unwrap(), "arn:first", "a replaced policy keeps its ARN");
    let simple = ScalingPolicy { name: "s".into(), policy_type: "SimpleScaling".into(), ..ScalingPolicy::default() };
    assert!(network.put_scaling_policy("g", simple).is_err());
    network.delete_scaling_policy("g", "arn:first").unwrap();
    assert!(network.automation("g").unwrap().is_empty());
}

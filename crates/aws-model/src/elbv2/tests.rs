use store::MemoryStore;

use super::listeners::DEFAULT_SSL_POLICY;
use super::*;
use crate::clock::ManualClock;
use crate::ec2::{Kind, Scope};
use crate::eks::tests::caller;

struct Fixture {
    elb: Elbv2,
    clock: Arc<ManualClock>,
}

fn fixture() -> Fixture {
    let records = Records::new(Arc::new(MemoryStore::new()));
    let clock = Arc::new(ManualClock::new(1_800_000_000.0));
    let elb = Elbv2::new(records.clone(), clock.clone(), Ec2::new(records, clock.clone()));
    Fixture { elb, clock }
}

/// The default VPC's id and its subnets, by zone.
async fn network(elb: &Elbv2) -> (String, Vec<String>) {
    let scope = Scope::new().all(Kind::Subnet);
    let mut subnets: Vec<(String, String, String)> = elb
        .ec2
        .view(&caller(), &scope, |network| {
            network
                .subnets
                .loaded()
                .values()
                .map(|s| (s.availability_zone.clone(), s.id.clone(), s.vpc_id.clone()))
                .collect()
        })
        .await
        .unwrap();
    subnets.sort();
    (subnets[0].2.clone(), subnets.into_iter().map(|(_, id, _)| id).collect())
}

async fn interfaces_described(elb: &Elbv2, prefix: &str) -> Vec<(String, String, bool)> {
    let scope = Scope::new().all(Kind::NetworkInterface);
    elb.ec2
        .view(&caller(), &scope, |network| {
            network
                .network_interfaces
                .loaded()
                .values()
                .filter(|eni| eni.description.starts_with(prefix))
                .map(|eni| (eni.description.clone(), eni.interface_type().to_owned(), eni.requester_managed))
                .collect()
        })
        .await
        .unwrap()
}

fn alb(name: &str, subnets: &[String]) -> CreateLoadBalancer {
    CreateLoadBalancer {
        name: name.into(),
        subnets: subnets.iter().map(|s| (s.clone(), None)).collect(),
        ..CreateLoadBalancer::default()
    }
}

fn http_group(name: &str, vpc: &str, target_type: &str) -> CreateTargetGroup {
    CreateTargetGroup {
        name: name.into(),
        protocol: Some("HTTP".into()),
        port: Some(80),
        vpc_id: Some(vpc.into()),
        target_type: Some(target_type.into()),
        ..CreateTargetGroup::default()
    }
}

fn forward(arn: &str) -> Action {
    Action { kind: "forward".into(), target_group_arn: Some(arn.into()), ..Action::default() }
}

fn ip(address: &str) -> TargetInput {
    TargetInput { id: address.into(), port: None, availability_zone: None }
}

#[tokio::test]
async fn an_alb_holds_an_interface_per_subnet_and_is_made_once_per_name() {
    let Fixture { elb, clock } = fixture();
    let (_, subnets) = network(&elb).await;
    let one = elb.create_load_balancer(&caller(), alb("web", &subnets[..1])).await.unwrap_err();
    assert!(matches!(one, Elbv2Error::Validation(ref m) if m.contains("two subnets")), "{one:?}");

    let lb = elb.create_load_balancer(&caller(), alb("web", &subnets[..2])).await.unwrap();
    assert!(lb.arn.starts_with("arn:aws:elasticloadbalancing:us-east-1:"), "{}", lb.arn);
    assert!(lb.arn.ends_with(&format!(":loadbalancer/app/web/{}", lb.id)) && lb.id.len() == 16, "{}", lb.arn);
    assert!(
        lb.dns_name.starts_with("web-") && lb.dns_name.ends_with(".us-east-1.elb.amazonaws.com"),
        "{}",
        lb.dns_name
    );
    assert_eq!(lb.canonical_hosted_zone_id("us-east-1"), "Z35SXDOTRQ7X7K");
    assert_eq!(lb.security_groups.len(), 1, "an ALB without groups gets its VPC's default one");
    assert_eq!(lb.state(elb.now()), "provisioning");
    clock.advance(PROVISIONING_SECONDS);
    assert_eq!(lb.state(elb.now()), "active");
    let enis = interfaces_described(&elb, "ELB app/web/").await;
    assert_eq!(enis.len(), 2);
    assert!(enis.iter().all(|(_, kind, managed)| kind == "interface" && *managed), "{enis:?}");

    let again = elb.create_load_balancer(&caller(), alb("web", &subnets[..2])).await.unwrap();
    assert_eq!(again.arn, lb.arn);
    let other = elb.create_load_balancer(&caller(), alb("web", &subnets[1..3])).await.unwrap_err();
    assert!(matches!(other, Elbv2Error::DuplicateLoadBalancerName(_)), "{other:?}");
    assert_eq!(interfaces_described(&elb, "ELB app/web/").await.len(), 2, "a refused create leaves nothing");

    let nlb = CreateLoadBalancer {
        kind: Some("network".into()),
        scheme: Some("internal".into()),
        ..alb("tcp", &subnets[..1])
    };
    let nlb = elb.create_load_balancer(&caller(), nlb).await.unwrap();
    assert!(nlb.dns_name.starts_with("internal-tcp-") && nlb.dns_name.ends_with(".elb.us-east-1.amazonaws.com"));
    assert_eq!(interfaces_described(&elb, "ELB net/tcp/").await[0].1, "network_load_balancer");

    elb.delete_load_balancer(&caller(), &lb.arn).await.unwrap();
    assert!(interfaces_described(&elb, "ELB app/web/").await.is_empty());
    elb.delete_load_balancer(&caller(), &lb.arn).await.unwrap();
    let gone = elb.load_balancer(&caller(), &lb.arn).await.unwrap_err();
    assert!(matches!(gone, Elbv2Error::LoadBalancerNotFound(_)), "{gone:?}");
}

#[tokio::test]
async fn names_subnets_and_attributes_are_checked() {
    let Fixture { elb, .. } = fixture();
    let (_, subnets) = network(&elb).await;
    for name in ["", "-web", "web-", "internal-web", "a_b", &"x".repeat(33), "nul\0"] {
        let refused = elb.create_load_balancer(&caller(), alb(name, &subnets[..2])).await.unwrap_err();
        assert!(matches!(refused, Elbv2Error::Validation(_)), "{name:?}: {refused:?}");
    }
    let missing = vec!["subnet-0123456789abcdef0".to_owned(), subnets[0].clone()];
    let refused = elb.create_load_balancer(&caller(), alb("web", &missing)).await.unwrap_err();
    assert!(matches!(refused, Elbv2Error::SubnetNotFound(_)), "{refused:?}");
    let groups =
        CreateLoadBalancer { security_groups: vec!["sg-0123456789abcdef0".into()], ..alb("web", &subnets[..2]) };
    let refused = elb.create_load_balancer(&caller(), groups).await.unwrap_err();
    assert!(matches!(refused, Elbv2Error::InvalidSecurityGroup(_)), "{refused:?}");
    assert!(interfaces_described(&elb, "ELB ").await.is_empty(), "refusals leave no interface behind");

    let lb = elb.create_load_balancer(&caller(), alb("web", &subnets[..2])).await.unwrap();
    let defaults = lb.attributes();
    assert!(defaults.contains(&("idle_timeout.timeout_seconds".into(), "60".into())));
    assert!(defaults.contains(&("deletion_protection.enabled".into(), "false".into())));
    for bad in [("nope", "1"), ("idle_timeout.timeout_seconds", "0"), ("deletion_protection.enabled", "yes")] {
        let refused = elb.modify_load_balancer_attributes(&caller(), &lb.arn, &[(bad.0.into(), bad.1.into())]).await;
        assert!(matches!(refused, Err(Elbv2Error::Validation(_))), "{bad:?}: {refused:?}");
    }
    let protect = [("deletion_protection.enabled".to_owned(), "true".to_owned())];
    elb.modify_load_balancer_attributes(&caller(), &lb.arn, &protect).await.unwrap();
    let refused = elb.delete_load_balancer(&caller(), &lb.arn).await.unwrap_err();
    assert!(matches!(refused, Elbv2Error::OperationNotPermitted(_)), "{refused:?}");
    let unprotect = [("deletion_protection.enabled".to_owned(), "false".to_owned())];
    elb.modify_load_balancer_attributes(&caller(), &lb.arn, &unprotect).await.unwrap();
    elb.delete_load_balancer(&caller(), &lb.arn).await.unwrap();
}

#[tokio::test]
async fn target_health_moves_from_unused_through_initial_to_healthy_and_drains() {
    let Fixture { elb, clock } = fixture();
    let (vpc, subnets) = network(&elb).await;
    // An empty protocol version, as Terraform sends it, is the default one.
    let input = CreateTargetGroup { protocol_version: Some(String::new()), ..http_group("pods", &vpc, "ip") };
    let group = elb.create_target_group(&caller(), input).await.unwrap();
    assert_eq!(group.protocol_version.as_deref(), Some("HTTP1"));
    assert_eq!(group.health_check.path.as_deref(), Some("/"));
    assert_eq!(group.health_check.http_code.as_deref(), Some("200"));
    assert_eq!((group.health_check.interval_seconds, group.health_check.timeout_seconds), (30, 5));
    let outside = elb.register_targets(&caller(), &group.arn, &[ip("192.168.1.1")]).await.unwrap_err();
    assert!(matches!(outside, Elbv2Error::InvalidTarget(_)), "{outside:?}");
    let tcp = CreateTargetGroup {
        protocol: Some("TCP".into()),
        protocol_version: Some("HTTP2".into()),
        ..http_group("tcp", &vpc, "ip")
    };
    let refused = elb.create_target_group(&caller(), tcp).await.unwrap_err();
    assert!(matches!(refused, Elbv2Error::Validation(_)), "{refused:?}");
    let anywhere = TargetInput { availability_zone: Some("all".into()), ..ip("192.168.1.1") };
    elb.register_targets(&caller(), &group.arn, &[ip("172.31.0.10"), anywhere]).await.unwrap();

    let states = |health: Vec<(Target, TargetHealth)>| -> Vec<(String, String, Option<String>)> {
        health.into_iter().map(|(t, h)| (t.id, h.state, h.reason)).collect()
    };
    let health = elb.describe_target_health(&caller(), &group.arn, &[]).await.unwrap();
    assert_eq!(states(health)[0], ("172.31.0.10".into(), "unused".into(), Some("Target.NotInUse".into())));

    let lb = elb.create_load_balancer(&caller(), alb("web", &subnets[..2])).await.unwrap();
    let listener = CreateListener {
        load_balancer_arn: lb.arn.clone(),
        protocol: Some("HTTP".into()),
        port: Some(80),
        default_actions: vec![forward(&group.arn)],
        ..CreateListener::default()
    };
    let listener = elb.create_listener(&caller(), listener).await.unwrap();
    let health = states(elb.describe_target_health(&caller(), &group.arn, &[ip("172.31.0.10")]).await.unwrap());
    assert_eq!(health, vec![("172.31.0.10".into(), "initial".into(), Some("Elb.RegistrationInProgress".into()))]);
    clock.advance(REGISTRATION_SECONDS);
    let health = states(elb.describe_target_health(&caller(), &group.arn, &[ip("172.31.0.10")]).await.unwrap());
    assert_eq!(health[0].1, "healthy");

    let failed = TargetHealth::new("unhealthy", Some("Target.FailedHealthChecks"), Some("Health checks failed"));
    elb.set_target_health(&caller(), &group.arn, "172.31.0.10", None, Some(failed)).await.unwrap();
    let health = states(elb.describe_target_health(&caller(), &group.arn, &[ip("172.31.0.10")]).await.unwrap());
    assert_eq!(health[0], ("172.31.0.10".into(), "unhealthy".into(), Some("Target.FailedHealthChecks".into())));

    let delay = [("deregistration_delay.timeout_seconds".to_owned(), "30".to_owned())];
    elb.modify_target_group_attributes(&caller(), &group.arn, &delay).await.unwrap();
    elb.deregister_targets(&caller(), &group.arn, &[ip("172.31.0.10")]).await.unwrap();
    let health = states(elb.describe_target_health(&caller(), &group.arn, &[ip("172.31.0.10")]).await.unwrap());
    assert_eq!(health[0], ("172.31.0.10".into(), "draining".into(), Some("Target.DeregistrationInProgress".into())));
    clock.advance(30.0);
    let left = states(elb.describe_target_health(&caller(), &group.arn, &[]).await.unwrap());
    assert_eq!(left.len(), 1, "the drained target is gone: {left:?}");
    let again = elb.deregister_targets(&caller(), &group.arn, &[ip("172.31.0.10")]).await.unwrap_err();
    assert!(matches!(again, Elbv2Error::InvalidTarget(_)), "{again:?}");

    let in_use = elb.delete_target_group(&caller(), &group.arn).await.unwrap_err();
    assert!(matches!(in_use, Elbv2Error::ResourceInUse(_)), "{in_use:?}");
    elb.delete_listener(&caller(), &listener.arn).await.unwrap();
    elb.delete_target_group(&caller(), &group.arn).await.unwrap();
}

#[tokio::test]
async fn rules_have_unique_priorities_and_go_with_their_listener() {
    let Fixture { elb, .. } = fixture();
    let (vpc, subnets) = network(&elb).await;
    let group = elb.create_target_group(&caller(), http_group("api", &vpc, "instance")).await.unwrap();
    let lb = elb.create_load_balancer(&caller(), alb("web", &subnets[..2])).await.unwrap();
    let https = CreateListener {
        load_balancer_arn: lb.arn.clone(),
        protocol: Some("HTTPS".into()),
        port: Some(443),
        default_actions: vec![forward(&group.arn)],
        ..CreateListener::default()
    };
    let refused = elb.create_listener(&caller(), https.clone()).await.unwrap_err();
    assert!(matches!(refused, Elbv2Error::Validation(ref m) if m.contains("certificate")), "{refused:?}");
    let cert = "arn:aws:acm:us-east-1:000000000000:certificate/abc".to_owned();
    let listener = elb.create_listener(&caller(), CreateListener { certificates: vec![cert], ..https }).await.unwrap();
    assert_eq!(listener.ssl_policy.as_deref(), Some(DEFAULT_SSL_POLICY));

    let path = Condition { field: "path-pattern".into(), values: vec!["/api/*".into()], ..Condition::default() };
    let rule = CreateRule {
        listener_arn: listener.arn.clone(),
        priority: 10,
        conditions: vec![path.clone()],
        actions: vec![forward(&group.arn)],
        tags: vec![("team".into(), "a".into())],
    };
    let made = elb.create_rule(&caller(), rule.clone()).await.unwrap();
    let taken = elb.create_rule(&caller(), rule.clone()).await.unwrap_err();
    assert!(matches!(taken, Elbv2Error::PriorityInUse(_)), "{taken:?}");
    let rules = elb.describe_rules(&caller(), Some(&listener.arn), &[]).await.unwrap();
    let shown: Vec<(&str, bool)> = rules.iter().map(|r| (r.priority.as_str(), r.is_default)).collect();
    assert_eq!(shown, vec![("10", false), ("default", true)]);
    let refused = elb.delete_rule(&caller(), &rules[1].arn).await.unwrap_err();
    assert!(matches!(refused, Elbv2Error::OperationNotPermitted(_)), "{refused:?}");
    elb.set_rule_priorities(&caller(), &[(made.arn.clone(), 20)]).await.unwrap();
    elb.create_rule(&caller(), rule).await.unwrap();
    assert_eq!(elb.tags(&caller(), &made.arn).await.unwrap(), vec![("team".to_owned(), "a".to_owned())]);

    let other = elb.create_load_balancer(&caller(), alb("other", &subnets[..2])).await.unwrap();
    let shared = CreateListener {
        load_balancer_arn: other.arn.clone(),
        protocol: Some("HTTP".into()),
        port: Some(80),
        default_actions: vec![forward(&group.arn)],
        ..CreateListener::default()
    };
    let refused = elb.create_listener(&caller(), shared).await.unwrap_err();
    assert!(matches!(refused, Elbv2Error::TargetGroupAssociationLimit(_)), "{refused:?}");

    elb.delete_load_balancer(&caller(), &lb.arn).await.unwrap();
    let gone = elb.rule(&caller(), &made.arn).await.unwrap_err();
    assert!(matches!(gone, Elbv2Error::RuleNotFound(_)), "{gone:?}");
    let gone = elb.listener(&caller(), &listener.arn).await.unwrap_err();
    assert!(matches!(gone, Elbv2Error::ListenerNotFound(_)), "{gone:?}");
    elb.delete_target_group(&caller(), &group.arn).await.unwrap();
}

#[tokio::test]
async fn tags_are_checked_and_merged() {
    let Fixture { elb, .. } = fixture();
    let (vpc, _) = network(&elb).await;
    let group = elb.create_target_group(&caller(), http_group("tagged", &vpc, "ip")).await.unwrap();
    let arns = vec![group.arn.clone()];
    elb.add_tags(&caller(), &arns, &vec![("a".into(), "1".into()), ("b".into(), "2".into())]).await.unwrap();
    elb.add_tags(&caller(), &arns, &vec![("a".into(), "3".into())]).await.unwrap();
    elb.remove_tags(&caller(), &arns, &["b".into(), "absent".into()]).await.unwrap();
    assert_eq!(elb.tags(&caller(), &group.arn).await.unwrap(), vec![("a".to_owned(), "3".to_owned())]);
    let many: Tags = (0..51).map(|n| (format!("k{n}"), String::new())).collect();
    assert!(matches!(elb.add_tags(&caller(), &arns, &many).await, Err(Elbv2Error::TooManyTags(_))));
    let reserved = vec![("aws:x".to_owned(), String::new())];
    assert!(matches!(elb.add_tags(&caller(), &arns, &reserved).await, Err(Elbv2Error::Validation(_))));
    let missing = group.arn.replace(&group.id, "0000000000000000");
    assert!(matches!(elb.tags(&caller(), &missing).await, Err(Elbv2Error::TargetGroupNotFound(_))));
    assert!(matches!(elb.tags(&caller(), "garbage").await, Err(Elbv2Error::Validation(_))));
}

#[tokio::test]
async fn set_subnets_moves_the_interfaces() {
    let Fixture { elb, .. } = fixture();
    let (_, subnets) = network(&elb).await;
    let lb = elb.create_load_balancer(&caller(), alb("web", &subnets[..2])).await.unwrap();
    let one = elb.set_subnets(&caller(), &lb.arn, &[(subnets[0].clone(), None)]).await.unwrap_err();
    assert!(matches!(one, Elbv2Error::Validation(_)), "{one:?}");
    let moved: Vec<(String, Option<String>)> = subnets[1..3].iter().map(|s| (s.clone(), None)).collect();
    let lb = elb.set_subnets(&caller(), &lb.arn, &moved).await.unwrap();
    let mut now: Vec<&str> = lb.zones.iter().map(|z| z.subnet_id.as_str()).collect();
    now.sort();
    let mut want: Vec<&str> = subnets[1..3].iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(now, want);
    let scope = Scope::new().all(Kind::NetworkInterface);
    let held: Vec<String> = elb
        .ec2
        .view(&caller(), &scope, |network| {
            network
                .network_interfaces
                .loaded()
                .values()
                .filter(|eni| eni.description.starts_with("ELB app/web/"))
                .map(|eni| eni.subnet_id.clone())
                .collect()
        })
        .await
        .unwrap();
    let mut held: Vec<&str> = held.iter().map(String::as_str).collect();
    held.sort();
    assert_eq!(held, want, "the interface of the subnet it left is gone, one is made in the new one");
}

use store::MemoryStore;

use super::*;
use crate::clock::ManualClock;
use crate::eks::tests::caller;

fn elb() -> Elb {
    let records = Records::new(Arc::new(MemoryStore::new()));
    let clock = Arc::new(ManualClock::new(1_800_000_000.0));
    Elb::new(records.clone(), clock.clone(), Ec2::new(records, clock))
}

fn http() -> ClassicListener {
    ClassicListener {
        protocol: "HTTP".into(),
        load_balancer_port: 80,
        instance_protocol: "HTTP".into(),
        instance_port: 8080,
        ssl_certificate_id: None,
    }
}

fn create(name: &str) -> CreateClassicLoadBalancer {
    CreateClassicLoadBalancer {
        name: name.into(),
        listeners: vec![http()],
        availability_zones: vec!["us-east-1a".into(), "us-east-1b".into()],
        ..CreateClassicLoadBalancer::default()
    }
}

async fn interfaces(elb: &Elb, description: &str) -> usize {
    let scope = Scope::new().all(Kind::NetworkInterface);
    elb.ec2
        .view(&caller(), &scope, |network| {
            network
                .network_interfaces
                .loaded()
                .values()
                .filter(|eni| eni.description == description && eni.requester_managed)
                .count()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_classic_load_balancer_holds_an_interface_per_zone_and_goes_with_them() {
    let elb = elb();
    let lb = elb.create_load_balancer(&caller(), create("legacy")).await.unwrap();
    assert!(lb.dns_name.starts_with("legacy-") && lb.dns_name.ends_with(".us-east-1.elb.amazonaws.com"));
    assert_eq!(lb.zones(), vec!["us-east-1a", "us-east-1b"]);
    assert_eq!(lb.health_check.target, "TCP:8080");
    assert_eq!(interfaces(&elb, "ELB legacy").await, 2);
    let again = elb.create_load_balancer(&caller(), create("legacy")).await.unwrap();
    assert_eq!(again.dns_name, lb.dns_name);
    let other = CreateClassicLoadBalancer {
        listeners: vec![ClassicListener { instance_port: 9, ..http() }],
        ..create("legacy")
    };
    let refused = elb.create_load_balancer(&caller(), other).await.unwrap_err();
    assert!(matches!(refused, ElbError::Shared(Elbv2Error::DuplicateLoadBalancerName(_))), "{refused:?}");

    let secure = ClassicListener { protocol: "HTTPS".into(), load_balancer_port: 443, ..http() };
    let refused = elb.create_listeners(&caller(), "legacy", &[secure]).await.unwrap_err();
    assert!(matches!(refused, ElbError::Shared(Elbv2Error::Validation(_))), "{refused:?}");
    let clash = ClassicListener { instance_port: 81, ..http() };
    let refused = elb.create_listeners(&caller(), "legacy", &[clash]).await.unwrap_err();
    assert!(matches!(refused, ElbError::Shared(Elbv2Error::DuplicateListener(_))), "{refused:?}");

    let bad = ClassicHealthCheck { target: "HTTP:80".into(), ..lb.health_check.clone() };
    assert!(elb.configure_health_check(&caller(), "legacy", bad).await.is_err());
    let good = ClassicHealthCheck { target: "HTTP:8080/healthz".into(), ..lb.health_check.clone() };
    assert_eq!(elb.configure_health_check(&caller(), "legacy", good).await.unwrap().target, "HTTP:8080/healthz");

    let unknown = elb.register_instances(&caller(), "legacy", &["i-0123456789abcdef0".into()]).await.unwrap_err();
    assert!(matches!(unknown, ElbError::InvalidInstance(_)), "{unknown:?}");
    let missing = elb.instance_health(&caller(), "legacy", &["i-0123456789abcdef0".into()]).await.unwrap_err();
    assert!(matches!(missing, ElbError::InvalidInstance(_)), "{missing:?}");
    // The data plane's failing instances are kept only while registered.
    elb.set_failing(&caller(), "legacy", &["i-0123456789abcdef0".into()]).await.unwrap();
    assert!(elb.load_balancer(&caller(), "legacy").await.unwrap().failing.is_empty());
    let nowhere = elb.set_failing(&caller(), "nowhere", &[]).await.unwrap_err();
    assert!(matches!(nowhere, ElbError::Shared(Elbv2Error::LoadBalancerNotFound(_))), "{nowhere:?}");

    elb.delete_load_balancer(&caller(), "legacy").await.unwrap();
    assert_eq!(interfaces(&elb, "ELB legacy").await, 0);
    elb.delete_load_balancer(&caller(), "legacy").await.unwrap();
    let gone = elb.load_balancer(&caller(), "legacy").await.unwrap_err();
    assert!(matches!(gone, ElbError::Shared(Elbv2Error::LoadBalancerNotFound(_))), "{gone:?}");
}

#[tokio::test]
async fn names_listeners_and_attributes_are_checked() {
    let elb = elb();
    for name in ["", "-x", "a_b", &"x".repeat(33)] {
        assert!(elb.create_load_balancer(&caller(), create(name)).await.is_err(), "{name:?}");
    }
    let odd = CreateClassicLoadBalancer {
        listeners: vec![ClassicListener { protocol: "FTP".into(), ..http() }],
        ..create("x")
    };
    let refused = elb.create_load_balancer(&caller(), odd).await.unwrap_err();
    assert!(matches!(refused, ElbError::Shared(Elbv2Error::UnsupportedProtocol(_))), "{refused:?}");
    assert_eq!(interfaces(&elb, "ELB x").await, 0);
    elb.create_load_balancer(&caller(), create("x")).await.unwrap();
    let wrong = ClassicAttributes { idle_timeout: 0, ..ClassicAttributes::default() };
    assert!(elb.modify_attributes(&caller(), "x", wrong).await.is_err());
    let right = ClassicAttributes { idle_timeout: 120, cross_zone: true, ..ClassicAttributes::default() };
    assert_eq!(elb.modify_attributes(&caller(), "x", right).await.unwrap().idle_timeout, 120);
    elb.add_tags(&caller(), &["x".into()], &vec![("a".into(), "1".into())]).await.unwrap();
    elb.remove_tags(&caller(), &["x".into()], &["a".into()]).await.unwrap();
    assert!(elb.load_balancer(&caller(), "x").await.unwrap().tags.is_empty());
}

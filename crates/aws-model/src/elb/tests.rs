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

/// Ids of the caller's default VPC, of a group in it, of a subnet of it in us-east-1b, and of another VPC's
/// subnet and group.
async fn network_around(elb: &Elb) -> (String, String, String, String, String) {
    use crate::ec2::{CreateSecurityGroup, CreateSubnet};
    elb.ec2
        .change(&caller(), &Scope::everything(), |network, ids| {
            let default_vpc = network.default_vpc().expect("a default VPC").id.clone();
            let group = |vpc: &str, name: &str| CreateSecurityGroup {
                name: Some(name.into()),
                description: Some(name.into()),
                vpc_id: Some(vpc.into()),
                ..CreateSecurityGroup::default()
            };
            let web = network.create_security_group(ids, &group(&default_vpc, "web"))?.id;
            let second_b = CreateSubnet {
                vpc_id: default_vpc.clone(),
                cidr_block: Some("172.31.200.0/24".into()),
                availability_zone: Some("us-east-1b".into()),
                ..CreateSubnet::default()
            };
            let second_b = network.create_subnet(ids, &second_b)?.id;
            let other = network.create_vpc(ids, Some("10.9.0.0/16"), None, &Default::default())?.id;
            let other_subnet = CreateSubnet {
                vpc_id: other.clone(),
                cidr_block: Some("10.9.1.0/24".into()),
                availability_zone: Some("us-east-1d".into()),
                ..CreateSubnet::default()
            };
            let other_subnet = network.create_subnet(ids, &other_subnet)?.id;
            let other_group = network.create_security_group(ids, &group(&other, "elsewhere"))?.id;
            Ok((default_vpc, web, second_b, other_subnet, other_group))
        })
        .await
        .unwrap()
}

/// The groups of the load balancer's interfaces, one list per interface.
async fn interface_groups(elb: &Elb, description: &str) -> Vec<Vec<String>> {
    let scope = Scope::new().all(Kind::NetworkInterface);
    elb.ec2
        .view(&caller(), &scope, |network| {
            network
                .network_interfaces
                .loaded()
                .values()
                .filter(|eni| eni.description == description)
                .map(|eni| eni.security_groups.clone())
                .collect()
        })
        .await
        .unwrap()
}

fn configuration_refused(result: Result<Vec<String>, ElbError>) {
    let error = result.unwrap_err();
    assert!(matches!(error, ElbError::Shared(Elbv2Error::InvalidConfiguration(_))), "{error:?}");
}

#[tokio::test]
async fn zones_subnets_and_groups_change_with_their_interfaces() {
    let elb = elb();
    let (_, web, second_b, other_subnet, other_group) = network_around(&elb).await;
    let lb = elb.create_load_balancer(&caller(), create("legacy")).await.unwrap();
    let (subnet_a, subnet_b) = (lb.subnets[0].0.clone(), lb.subnets[1].0.clone());

    // Zones: the default subnet of each zone; the last zone stays.
    let zones = elb.enable_zones(&caller(), "legacy", &["us-east-1c".into(), "us-east-1a".into()]).await.unwrap();
    assert_eq!(zones, vec!["us-east-1a", "us-east-1b", "us-east-1c"]);
    assert_eq!(interfaces(&elb, "ELB legacy").await, 3);
    configuration_refused(elb.enable_zones(&caller(), "legacy", &["mars-1a".into()]).await);
    let every: Vec<String> = zones.clone();
    configuration_refused(elb.disable_zones(&caller(), "legacy", &every).await);
    let zones = elb.disable_zones(&caller(), "legacy", &["us-east-1c".into()]).await.unwrap();
    assert_eq!(zones, vec!["us-east-1a", "us-east-1b"]);
    assert_eq!(interfaces(&elb, "ELB legacy").await, 2);

    // Subnets: of its VPC, one a zone, known; the last one stays; a refusal changes nothing.
    configuration_refused(elb.attach_subnets(&caller(), "legacy", std::slice::from_ref(&second_b)).await);
    configuration_refused(elb.attach_subnets(&caller(), "legacy", std::slice::from_ref(&other_subnet)).await);
    let unknown = elb.attach_subnets(&caller(), "legacy", &["subnet-0000000000000000f".into()]).await.unwrap_err();
    assert!(matches!(unknown, ElbError::Shared(Elbv2Error::SubnetNotFound(_))), "{unknown:?}");
    configuration_refused(elb.detach_subnets(&caller(), "legacy", &[subnet_a.clone(), subnet_b.clone()]).await);
    assert_eq!(interfaces(&elb, "ELB legacy").await, 2);
    let left = elb.detach_subnets(&caller(), "legacy", &[subnet_b.clone(), "subnet-elsewhere".into()]).await.unwrap();
    assert_eq!(left, vec![subnet_a.clone()]);
    let all = elb.attach_subnets(&caller(), "legacy", &[second_b.clone(), subnet_a.clone()]).await.unwrap();
    assert_eq!(all, vec![subnet_a.clone(), second_b.clone()]);
    assert_eq!(interfaces(&elb, "ELB legacy").await, 2);

    // Groups: known and of its VPC, set on every interface; a group in use is not deleted.
    for bad in [vec!["sg-0000000000000000f".to_owned()], vec![other_group.clone()]] {
        let refused = elb.apply_security_groups(&caller(), "legacy", &bad).await.unwrap_err();
        assert!(matches!(refused, ElbError::Shared(Elbv2Error::InvalidSecurityGroup(_))), "{refused:?}");
    }
    let groups = elb.apply_security_groups(&caller(), "legacy", std::slice::from_ref(&web)).await.unwrap();
    assert_eq!(groups, vec![web.clone()]);
    assert_eq!(interface_groups(&elb, "ELB legacy").await, vec![vec![web.clone()], vec![web.clone()]]);
    let busy = elb
        .ec2
        .change(&caller(), &crate::ec2::scopes::delete_security_group(&web), |network, _| {
            network.delete_security_group(&web)
        })
        .await
        .unwrap_err();
    assert!(matches!(busy, crate::ec2::Ec2Error::DependencyViolation(_)), "{busy:?}");
    elb.delete_load_balancer(&caller(), "legacy").await.unwrap();
    elb.ec2
        .change(&caller(), &crate::ec2::scopes::delete_security_group(&web), |network, _| {
            network.delete_security_group(&web)
        })
        .await
        .unwrap();

    let missing = elb.attach_subnets(&caller(), "legacy", &[subnet_a]).await.unwrap_err();
    assert!(matches!(missing, ElbError::Shared(Elbv2Error::LoadBalancerNotFound(_))), "{missing:?}");
}

use controllers::load_balancers::{HealthCheck, Listener};

use super::*;

fn owner(namespace: &str, name: &str) -> Owner {
    Owner {
        provisioner: Provisioner::LoadBalancerController,
        namespace: namespace.into(),
        name: name.into(),
        uid: "7f9c1e2a-3b4d-4c5e-8f60-718293a4b5c6".into(),
    }
}

#[test]
fn the_cloud_provider_names_a_load_balancer_after_its_services_uid() {
    assert_eq!(in_tree_name("7f9c1e2a-3b4d-4c5e-8f60-718293a4b5c6"), "a7f9c1e2a3b4d4c5e8f60718293a4b5c");
    assert_eq!(in_tree_name("7f9c1e2a-3b4d-4c5e-8f60-718293a4b5c6").len(), 32);
}

#[test]
fn the_controller_names_hold_eight_characters_of_namespace_and_name_and_ten_of_the_hash() {
    let hash = aws_model::ids::sha256_hex(&["demo", "uid", "internal"]);
    assert_eq!(hash.len(), 64);
    let name = controller_name(&owner("production-west", "web.frontend-v2"), &hash);
    assert_eq!(name, format!("k8s-producti-webfront-{}", &hash[..10]));
    assert!(name.len() <= 32, "{name} fits an ELB name");
    // The same inputs always give the same name; another scheme another.
    assert_eq!(hash, aws_model::ids::sha256_hex(&["demo", "uid", "internal"]));
    assert_ne!(hash, aws_model::ids::sha256_hex(&["demo", "uid", "internet-facing"]));
}

fn spec(check: HealthCheck) -> LoadBalancerSpec {
    LoadBalancerSpec {
        owner: owner("default", "web"),
        kind: Kind::Classic,
        internal: false,
        target_type: TargetType::Instance,
        listeners: vec![Listener {
            name: "http".into(),
            port: 80,
            protocol: "TCP".into(),
            target_protocol: "TCP".into(),
            target_port: Some(31080),
            certificate: None,
            targets: Vec::new(),
        }],
        subnets: Vec::new(),
        security_groups: Vec::new(),
        extra_security_groups: Vec::new(),
        source_ranges: Vec::new(),
        health_check: check,
        tags: BTreeMap::new(),
        name: None,
    }
}

#[test]
fn a_classic_health_check_is_tcp_on_the_node_port_unless_annotated() {
    let check = classic_health_check(&spec(HealthCheck::default()));
    assert_eq!((check.target.as_str(), check.interval, check.timeout), ("TCP:31080", 10, 5));
    assert_eq!((check.healthy_threshold, check.unhealthy_threshold), (2, 6));
    let local = HealthCheck {
        protocol: Some("HTTP".into()),
        port: Some(32000),
        path: Some("/healthz".into()),
        interval_seconds: Some(30),
        ..HealthCheck::default()
    };
    let check = classic_health_check(&spec(local));
    assert_eq!((check.target.as_str(), check.interval), ("HTTP:32000/healthz", 30));
    aws_model::elb::check_health_check(&check).expect("ELB accepts the check");
}

#[test]
fn auto_modes_ingress_groups_carry_its_own_tags() {
    let group = |provisioner| IngressGroup { provisioner, id: "default/web".into(), explicit: false };
    assert_eq!(
        ServiceLoadBalancers::group_tag_keys(&group(Provisioner::AutoMode)),
        ["eks:eks-cluster-name", "ingress.eks.amazonaws.com/stack", "ingress.eks.amazonaws.com/resource"]
    );
    assert_eq!(
        ServiceLoadBalancers::group_tag_keys(&group(Provisioner::LoadBalancerController)),
        ["elbv2.k8s.aws/cluster", "ingress.k8s.aws/stack", "ingress.k8s.aws/resource"]
    );
}

use super::*;
use aws_model::clock::ManualClock;
use aws_model::ec2::{Ec2, Instance, InstanceState, Scope, StateRequest};
use aws_model::records::Records;
use std::collections::BTreeMap;

const NODE: &str = "ip-172-31-0-10.ec2.internal";

/// A running t3.medium in `subnet` at `ip`, of a node group of `cluster` if one is named.
pub(crate) fn instance(id: &str, subnet: &aws_model::ec2::Subnet, ip: Ipv4Addr, cluster: Option<&str>) -> Instance {
    let nodegroup = cluster.map(|cluster| aws_model::ec2::NodegroupMember {
        cluster: cluster.to_owned(),
        nodegroup: "workers".into(),
        capacity_type: "ON_DEMAND".into(),
        labels: BTreeMap::new(),
        taints: Vec::new(),
        drain: None,
    });
    Instance {
        id: id.to_owned(),
        reservation_id: "r-0123456789abcdef0".into(),
        instance_type: "t3.medium".into(),
        image_id: "ami-1".into(),
        availability_zone: subnet.availability_zone.clone(),
        subnet_id: subnet.id.clone(),
        vpc_id: subnet.vpc_id.clone(),
        private_ip: ip,
        private_dns_name: aws_model::ec2::instances::private_dns_name(ip, "us-east-1"),
        network_interfaces: Vec::new(),
        legacy_secondary_ips: Vec::new(),
        volumes: Vec::new(),
        state: InstanceState::Running,
        launched_at: 0.0,
        running_at: 0.0,
        state_changed_at: 0.0,
        transition_reason: String::new(),
        security_groups: Vec::new(),
        instance_profile_arn: None,
        key_name: None,
        launch_template: None,
        auto_scaling_group: None,
        nodegroup,
        user_data: None,
        bootstrap: None,
        client_token: None,
        spot: false,
    }
}

/// An EC2 service with one running t3.medium in the default VPC's first subnet, and that subnet.
async fn one_instance() -> (Ec2, aws_model::eks::Caller, String, String) {
    let ec2 = Ec2::new(Records::new(Arc::new(store::MemoryStore::new())), Arc::new(ManualClock::new(0.0)));
    let caller = aws_model::eks::Caller { account: "000000000000".into(), region: "us-east-1".into(), arn: "".into() };
    let (id, subnet) = ec2
        .change(&caller, &Scope::everything(), |network, ids| {
            let subnet = network.subnets.values().min_by_key(|s| s.availability_zone.clone()).unwrap().clone();
            let ip = network.allocate_private_ip(&subnet.id)?;
            let mut instance = instance("i-0123456789abcdef0", &subnet, ip, Some("demo"));
            instance.network_interfaces = vec![network.add_primary_interface(ids, &instance)];
            network.instances.insert(instance.id.clone(), instance);
            Ok(("i-0123456789abcdef0".to_owned(), subnet.id))
        })
        .await
        .unwrap();
    (ec2, caller, id, subnet)
}

/// The pod network of cluster `demo` as it stands after a node sync that saw the instance as EC2 has it.
async fn cni(ec2: &Ec2, caller: &aws_model::eks::Caller, id: &str) -> VpcCni {
    let assigned = assigned(ec2, caller, id).await;
    let instances = NodeInstances::default();
    let node = NodeAddresses { instance_id: id.to_owned(), batch: 5, assigned };
    instances.lock().unwrap().insert(("demo".into(), NODE.into()), node);
    VpcCni::new(
        "demo",
        caller.clone(),
        ec2.clone(),
        instances,
        crate::fargate::FargateNodes::default(),
        super::super::hybrid::HybridBlocks::default(),
    )
}

/// The secondary addresses of the instance's interfaces, as EC2 has them.
async fn assigned(ec2: &Ec2, caller: &aws_model::eks::Caller, id: &str) -> Vec<Ipv4Addr> {
    ec2.view(caller, &Scope::everything(), |network| network.instance_secondary_ips(&network.instances[id]))
        .await
        .unwrap()
}

fn v4(ip: IpAddr) -> Ipv4Addr {
    match ip {
        IpAddr::V4(ip) => ip,
        IpAddr::V6(_) => panic!("{ip} is not IPv4"),
    }
}

#[tokio::test]
async fn pod_addresses_are_assigned_to_the_instance_a_batch_at_a_time_and_kept_warm() {
    let (ec2, caller, id, subnet) = one_instance().await;
    let cni = cni(&ec2, &caller, &id).await;
    let mut handed = Vec::new();
    for _ in 0..5 {
        handed.push(v4(cni.allocate(NODE).await.unwrap()));
    }
    assert_eq!(assigned(&ec2, &caller, &id).await, handed, "one interface's worth, in one change");
    handed.push(v4(cni.allocate(NODE).await.unwrap()));
    assert_eq!(assigned(&ec2, &caller, &id).await.len(), 10);
    let unique: HashSet<_> = handed.iter().collect();
    assert_eq!(unique.len(), 6);
    // The primary interface was full: the second batch went to an interface the CNI made, as the CNI makes them.
    let interfaces = ec2
        .view(&caller, &Scope::everything(), |network| {
            let found = network.instance_interfaces(&network.instances[&id]);
            found.into_iter().map(|eni| (eni.clone(), network.tags.get(&eni.id).cloned())).collect::<Vec<_>>()
        })
        .await
        .unwrap();
    assert_eq!(interfaces.len(), 2);
    let (cni_interface, tags) = &interfaces[1];
    assert_eq!(cni_interface.description, format!("aws-K8S-{id}"));
    let tags = tags.clone().unwrap();
    assert_eq!(
        (tags["cluster.k8s.amazonaws.com/name"].as_str(), tags["node.k8s.amazonaws.com/instance_id"].as_str()),
        ("demo", id.as_str())
    );

    // A pod's address goes back to the node, not to the subnet, and is the next one handed out.
    cni.release(NODE, IpAddr::V4(handed[2])).await;
    assert_eq!(assigned(&ec2, &caller, &id).await.len(), 10);
    assert_eq!(v4(cni.allocate(NODE).await.unwrap()), handed[2]);

    // Garbage: a node the network never saw, an address it never gave.
    assert!(cni.allocate("ip-10-9-9-9.ec2.internal").await.is_err());
    cni.release(NODE, "10.200.0.1".parse().unwrap()).await;
    cni.release("nobody", IpAddr::V4(handed[0])).await;

    // The instance goes, and every address with it: the subnet can be deleted.
    ec2.change(&caller, &Scope::everything(), |network, _| {
        network.change_instance_states(std::slice::from_ref(&id), StateRequest::Terminate, 1.0)?;
        network.instances.remove(&id);
        network.delete_subnet(&subnet)
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn after_a_restart_addresses_pods_hold_are_not_handed_out_again() {
    let (ec2, caller, id, _) = one_instance().await;
    let before = cni(&ec2, &caller, &id).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(v4(before.allocate(NODE).await.unwrap()));
    }
    drop(before);

    // A new run reads the node's addresses back from EC2; the agent claims those its pods still hold.
    let after = cni(&ec2, &caller, &id).await;
    for ip in &held[..3] {
        after.claim(NODE, IpAddr::V4(*ip));
    }
    let next = [v4(after.allocate(NODE).await.unwrap()), v4(after.allocate(NODE).await.unwrap())];
    let warm = assigned(&ec2, &caller, &id).await;
    assert_eq!(next[0], held[3], "the one address no pod holds is used first");
    assert!(!held[..3].contains(&next[1]));
    assert_eq!(warm.len(), 5, "the fifth warm address needed no new assignment");
    after.release(NODE, IpAddr::V4(held[0])).await;
    assert_eq!(v4(after.allocate(NODE).await.unwrap()), held[0]);
    assert_eq!(assigned(&ec2, &caller, &id).await.len(), 5);
}

#[tokio::test]
async fn hybrid_nodes_give_their_pods_addresses_of_their_pod_block() {
    let (ec2, caller, id, _) = one_instance().await;
    let cni = cni(&ec2, &caller, &id).await;
    cni.hybrid.lock().unwrap().insert(("demo".into(), "mi-0123456789abcdef0".into()), Some("10.90.3.0/24".into()));
    cni.hybrid.lock().unwrap().insert(("demo".into(), "edge-1".into()), None);
    cni.node_changed("mi-0123456789abcdef0", Some("10.90.3.0/24"), &[]);
    let first = cni.allocate("mi-0123456789abcdef0").await.unwrap();
    let second = cni.allocate("mi-0123456789abcdef0").await.unwrap();
    let block = node_agent::Cidr::parse("10.90.3.0/24").unwrap();
    assert!(block.contains(first) && block.contains(second) && first != second, "{first} {second}");
    cni.release("mi-0123456789abcdef0", first).await;
    let refused = cni.allocate("edge-1").await.unwrap_err();
    assert!(refused.contains("no pod network"), "{refused}");
    // Nothing of the hybrid node reached EC2: the instance's addresses are as they were.
    assert_eq!(assigned(&ec2, &caller, &id).await.len(), 0);
}

use std::net::Ipv4Addr;

use aws_model::autoscaling::NodeInstance;
use aws_model::ec2::InstanceState;

use super::template_of;

fn instance(instance_type: &str) -> NodeInstance {
    NodeInstance {
        instance_id: "i-0abc".into(),
        instance_type: instance_type.into(),
        vcpus: 0,
        memory_mib: 0,
        max_pods: 0,
        availability_zone: "us-east-1b".into(),
        subnet_id: "subnet-1".into(),
        subnet_cidr: "10.0.1.0/24".into(),
        private_ip: Ipv4Addr::new(10, 0, 1, 7),
        private_dns_name: "ip-10-0-1-7.ec2.internal".into(),
        secondary_ips: Vec::new(),
        nodegroup: "workers".into(),
        capacity_type: "ON_DEMAND".into(),
        state: InstanceState::Running,
        launched_at: 0.0,
        labels: [("team".to_owned(), "blue".to_owned())].into(),
        taints: Vec::new(),
        self_managed: None,
        draining: false,
    }
}

#[test]
fn a_template_node_is_the_node_its_instance_registers() {
    let template = template_of(instance("t3.medium"), "us-east-1").expect("a known instance type");
    // 2 vCPU less the AMI's 70m; 4 GiB less 11 MiB per pod (17) + 255 MiB and the 100 MiB eviction threshold.
    assert_eq!((template.capacity_cpu_millis, template.allocatable_cpu_millis), (2000, 1930));
    assert_eq!(template.capacity_memory_bytes, 4096 << 20);
    assert_eq!(template.allocatable_memory_bytes, (4096 - 11 * 17 - 255 - 100) << 20);
    assert_eq!(template.max_pods, 17);
    assert_eq!(template.zone, "us-east-1b");
    // The labels a real node of the group has, as the kubelet registers them.
    let mut real = instance("t3.medium");
    real.vcpus = 2;
    real.memory_mib = 4096;
    real.max_pods = 17;
    let node = crate::eks::nodes::node_spec(&real, "us-east-1");
    let mut registered = node_agent::node::labels(&node);
    registered.remove("kubernetes.io/hostname");
    assert_eq!(template.labels, registered);
    assert_eq!(template.labels["kubernetes.io/os"], "linux");
    assert_eq!(template.labels["eks.amazonaws.com/nodegroup"], "workers");
    assert_eq!(template.labels["topology.kubernetes.io/zone"], "us-east-1b");
    assert_eq!(template.labels["team"], "blue");
}

#[test]
fn an_unknown_instance_type_has_no_template() {
    assert_eq!(template_of(instance("z9.mega"), "us-east-1"), None);
}

#[test]
fn graviton_and_gpu_types_register_their_architecture_and_gpus() {
    let arm = template_of(instance("m6g.large"), "us-east-1").expect("a known instance type");
    assert_eq!((arm.labels["kubernetes.io/arch"].as_str(), arm.gpus), ("arm64", 0));
    let gpu = template_of(instance("g4dn.xlarge"), "us-east-1").expect("a known instance type");
    assert_eq!((gpu.labels["kubernetes.io/arch"].as_str(), gpu.gpus), ("amd64", 1));
    let node = crate::eks::nodes::node_spec(&instance("g5.xlarge"), "us-east-1");
    assert_eq!(node.capacity.gpus, 1);
    let status = node_agent::node::node_status(
        &node,
        "v1.33.0",
        time::OffsetDateTime::UNIX_EPOCH,
        time::OffsetDateTime::UNIX_EPOCH,
    );
    assert_eq!(status["allocatable"][k8s_model::NVIDIA_GPU], "1");
}

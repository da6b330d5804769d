use serde_json::json;

use super::*;

const GIB: u64 = 1024 * MIB;

fn t3_medium() -> NodeSpec {
    NodeSpec {
        name: "ip-10-0-1-23.ec2.internal".into(),
        labels: [
            ("node.kubernetes.io/instance-type", "t3.medium"),
            ("topology.kubernetes.io/zone", "us-east-1a"),
            ("eks.amazonaws.com/nodegroup", "ng-1"),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect(),
        capacity: Capacity {
            cpu_millis: 2000,
            memory_bytes: 4 * GIB,
            pods: 17,
            ephemeral_storage_bytes: 20 * GIB,
            gpus: 0,
        },
        addresses: vec![
            ("InternalIP".into(), "10.0.1.23".into()),
            ("Hostname".into(), "ip-10-0-1-23.ec2.internal".into()),
        ],
        provider_id: Some("aws:///us-east-1a/i-0123456789abcdef0".into()),
        pod_subnet: Some("10.0.1.0/24".into()),
        ..NodeSpec::default()
    }
}

fn check_cpu(cpu_millis: u64, expect_reserved: u64) {
    assert_eq!(reserved_cpu_millis(cpu_millis), expect_reserved, "{cpu_millis}m");
}

#[test]
fn cpu_reservation_follows_the_ami_formula() {
    check_cpu(0, 0);
    check_cpu(500, 0);
    check_cpu(1000, 60);
    check_cpu(2000, 70);
    check_cpu(3000, 75);
    check_cpu(4000, 80);
    check_cpu(5000, 82);
    check_cpu(8000, 90);
    check_cpu(96_000, 310);
}

fn check_allocatable(capacity: Capacity, expect: Capacity) {
    assert_eq!(allocatable(&capacity), expect, "{capacity:?}");
}

#[test]
fn allocatable_is_capacity_minus_reservations_and_eviction() {
    // t3.medium: 2 vCPU, 4 GiB, 17 pods: 70m and 11 * 17 + 255 = 442 MiB reserved, 100 MiB eviction threshold.
    check_allocatable(
        t3_medium().capacity,
        Capacity {
            cpu_millis: 1930,
            memory_bytes: (4096 - 442 - 100) * MIB,
            pods: 17,
            ephemeral_storage_bytes: 20 * GIB - GIB - 2 * GIB,
            gpus: 0,
        },
    );
    // m5.large: 29 pods, 8 GiB.
    let m5 = Capacity { cpu_millis: 2000, memory_bytes: 8 * GIB, pods: 29, ephemeral_storage_bytes: 0, gpus: 0 };
    check_allocatable(
        m5,
        Capacity {
            cpu_millis: 1930,
            memory_bytes: (8192 - 574 - 100) * MIB,
            pods: 29,
            ephemeral_storage_bytes: 0,
            gpus: 0,
        },
    );
    // Too small to reserve anything from: nothing negative.
    check_allocatable(Capacity { pods: 110, ..Capacity::default() }, Capacity { pods: 110, ..Capacity::default() });
}

#[test]
fn quantities_are_written_as_kubelet_writes_them() {
    assert_eq!(cpu_quantity(2000), "2");
    assert_eq!(cpu_quantity(1930), "1930m");
    assert_eq!(bytes_quantity(4 * GIB), "4194304Ki");
    assert_eq!(bytes_quantity(1000), "1000");
}

#[test]
fn labels_add_kubelets_own_and_the_beta_aliases() {
    let labels = labels(&t3_medium());
    for (key, value) in [
        ("kubernetes.io/hostname", "ip-10-0-1-23.ec2.internal"),
        ("kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", "amd64"),
        ("beta.kubernetes.io/os", "linux"),
        ("beta.kubernetes.io/arch", "amd64"),
        ("beta.kubernetes.io/instance-type", "t3.medium"),
        ("failure-domain.beta.kubernetes.io/zone", "us-east-1a"),
        ("eks.amazonaws.com/nodegroup", "ng-1"),
    ] {
        assert_eq!(labels.get(key).map(String::as_str), Some(value), "{key}");
    }
    assert!(!labels.contains_key("failure-domain.beta.kubernetes.io/region"));
    // The spec's own value wins.
    let mut spec = t3_medium();
    spec.labels.insert("kubernetes.io/arch".into(), "arm64".into());
    assert_eq!(self::labels(&spec)["kubernetes.io/arch"], "arm64");
}

#[test]
fn the_node_object_and_its_status() {
    let spec = t3_medium();
    let node = node_object(&spec);
    assert_eq!(node["spec"]["providerID"], "aws:///us-east-1a/i-0123456789abcdef0");
    assert_eq!(node["metadata"]["annotations"]["node.alpha.kubernetes.io/ttl"], "0");
    assert!(node["spec"].get("taints").is_none());
    let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let status = node_status(&spec, "v1.34.2-eks-b3126f4", at, at + time::Duration::minutes(5));
    assert_eq!(status["allocatable"]["cpu"], "1930m");
    assert_eq!(status["capacity"]["pods"], "17");
    assert_eq!(status["allocatable"]["memory"], json!(format!("{}Ki", (4096 - 542) * 1024)));
    let conditions: Vec<(&str, &str, &str)> = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["type"].as_str().unwrap(), c["status"].as_str().unwrap(), c["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        conditions,
        [
            ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
            ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
            ("PIDPressure", "False", "KubeletHasSufficientPID"),
            ("Ready", "True", "KubeletReady"),
        ]
    );
    assert_eq!(status["conditions"][3]["message"], "kubelet is posting ready status");
    assert_eq!(status["conditions"][3]["lastHeartbeatTime"], "2027-01-15T08:05:00Z");
    assert_eq!(status["conditions"][3]["lastTransitionTime"], "2027-01-15T08:00:00Z");
    assert_eq!(status["daemonEndpoints"]["kubeletEndpoint"]["Port"], 10250);
    let info = &status["nodeInfo"];
    assert_eq!(info["kubeletVersion"], "v1.34.2-eks-b3126f4");
    assert_eq!(info["containerRuntimeVersion"], CONTAINER_RUNTIME_VERSION);
    assert!(info["osImage"].as_str().unwrap().starts_with("Amazon Linux 2023"));
    assert_eq!(info["machineID"].as_str().unwrap().len(), 32);
    assert!(info["systemUUID"].as_str().unwrap().starts_with("ec2"));
    assert_eq!(info["systemUUID"].as_str().unwrap().len(), 36);
    assert_eq!(status["addresses"][0], json!({ "type": "InternalIP", "address": "10.0.1.23" }));
    assert_eq!(internal_ip(&spec), Some("10.0.1.23".parse().unwrap()));
}

#[test]
fn updates_remove_what_the_previous_spec_had() {
    let before = t3_medium();
    let mut after = t3_medium();
    after.labels.remove("eks.amazonaws.com/nodegroup");
    after.labels.insert("team".into(), "a".into());
    after.taints =
        vec![serde_json::from_value(json!({ "key": "dedicated", "value": "a", "effect": "NoSchedule" })).unwrap()];
    let patch = node_update(Some(&before), &after);
    assert_eq!(patch["metadata"]["labels"]["eks.amazonaws.com/nodegroup"], serde_json::Value::Null);
    assert_eq!(patch["metadata"]["labels"]["team"], "a");
    assert_eq!(patch["spec"]["taints"][0]["key"], "dedicated");
    let cleared = node_update(Some(&after), &before);
    assert_eq!(cleared["spec"]["taints"], serde_json::Value::Null);
    assert_eq!(cleared["metadata"]["labels"]["team"], serde_json::Value::Null);
}

#[test]
fn garbage_addresses_give_no_internal_ip() {
    let mut spec = t3_medium();
    spec.addresses = vec![("InternalIP".into(), "not-an-ip".into())];
    assert_eq!(internal_ip(&spec), None);
    spec.addresses.clear();
    assert_eq!(internal_ip(&spec), None);
    assert_eq!(labels(&spec)["kubernetes.io/hostname"], spec.name);
}

#[test]
fn a_gpu_node_reports_its_gpus_and_an_arm_node_its_architecture() {
    let mut spec = t3_medium();
    spec.capacity.gpus = 1;
    spec.labels.insert("kubernetes.io/arch".into(), "arm64".into());
    let now = OffsetDateTime::UNIX_EPOCH;
    let status = node_status(&spec, "v1.33.0", now, now);
    assert_eq!(status["capacity"][k8s_model::NVIDIA_GPU], "1");
    assert_eq!(status["allocatable"][k8s_model::NVIDIA_GPU], "1");
    assert_eq!(status["nodeInfo"]["architecture"], "arm64");
    let labels = labels(&spec);
    assert_eq!(labels["kubernetes.io/arch"], "arm64");
    assert_eq!(labels["beta.kubernetes.io/arch"], "arm64");
    // A node without GPUs does not list the resource at all, as kubelet without a device plugin.
    let plain = node_status(&t3_medium(), "v1.33.0", now, now);
    assert!(plain["capacity"].get(k8s_model::NVIDIA_GPU).is_none());
    assert_eq!(plain["nodeInfo"]["architecture"], "amd64");
}

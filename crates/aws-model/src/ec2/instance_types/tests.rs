use super::*;

#[test]
fn names_give_category_family_generation_and_size() {
    let graviton = instance_type("m7g.xlarge").unwrap();
    assert_eq!(
        (graviton.category(), graviton.family(), graviton.generation(), graviton.size()),
        ("m", "m7g", 7, "xlarge")
    );
    let gpu = instance_type("g4dn.2xlarge").unwrap();
    assert_eq!((gpu.category(), gpu.family(), gpu.generation(), gpu.size()), ("g", "g4dn", 4, "2xlarge"));
    let burstable = instance_type("t3a.nano").unwrap();
    assert_eq!((burstable.category(), burstable.generation()), ("t", 3));
}

#[test]
fn families_carry_their_architecture_and_processor() {
    let arm = instance_type("c7g.large").unwrap();
    assert_eq!((arm.architecture, arm.kubernetes_architecture(), arm.cpu_manufacturer), ("arm64", "arm64", "AWS"));
    let amd = instance_type("m6a.large").unwrap();
    assert_eq!((amd.architecture, amd.kubernetes_architecture(), amd.cpu_manufacturer), ("x86_64", "amd64", "AMD"));
    assert_eq!(instance_type("m5.large").unwrap().cpu_manufacturer, "Intel");
    assert_eq!(instance_type("g5.xlarge").unwrap().cpu_manufacturer, "AMD");
    assert_eq!(instance_type("p3.2xlarge").unwrap().hypervisor, "xen");
}

#[test]
fn gpus_are_described_with_their_memory() {
    let v100 = instance_type("p3.2xlarge").unwrap();
    assert_eq!(v100.gpu, Some(Gpu { name: "V100", manufacturer: "NVIDIA", count: 1, memory_mib: 16384 }));
    assert_eq!(instance_type("g6.xlarge").unwrap().gpu.unwrap().name, "L4");
    assert!(instance_type("m5.large").unwrap().gpu.is_none());
    assert!(INSTANCE_TYPES.iter().all(|kind| kind.gpus == kind.gpu.map_or(0, |gpu| gpu.count)));
}

#[test]
fn prices_are_public_on_demand_prices_and_spot_is_a_fraction() {
    let kind = instance_type("m5.large").unwrap();
    assert_eq!(kind.on_demand_price(), 0.096);
    assert_eq!(kind.price("on-demand"), 0.096);
    assert_eq!(kind.spot_price(), 0.0336);
    assert_eq!(kind.price("spot"), kind.spot_price());
    assert!(INSTANCE_TYPES.iter().all(|kind| kind.price_micros > 0 && kind.spot_price() < kind.on_demand_price()));
    // A larger size of a family costs more.
    let large = instance_type("c7i.large").unwrap();
    let xlarge = instance_type("c7i.xlarge").unwrap();
    assert!(xlarge.on_demand_price() > large.on_demand_price());
}

#[test]
fn every_family_prefix_matches_whole_names_only() {
    assert!(of_family("m5.large", "m5"));
    assert!(!of_family("m5a.large", "m5"));
    assert!(!of_family("m5", "m5"));
    assert_eq!(family_of("t3a.micro").prefix, "t3a");
}

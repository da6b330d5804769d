use super::*;

fn config(nodes: &[&str], pods: &[&str]) -> RemoteNetworkConfig {
    let network = |blocks: &[&str]| {
        if blocks.is_empty() { Vec::new() } else { vec![blocks.iter().map(|b| (*b).to_owned()).collect()] }
    };
    RemoteNetworkConfig { node_networks: network(nodes), pod_networks: network(pods) }
}

fn check(config: &RemoteNetworkConfig) -> Result<(), EksError> {
    validate_remote_network(config, "172.20.0.0/16", &["10.0.0.0/16".to_owned()])
}

#[test]
fn private_blocks_apart_from_each_other_and_the_cluster_are_accepted() {
    assert_eq!(check(&config(&["10.80.0.0/16", "192.168.100.0/24"], &["10.90.0.0/16"])), Ok(()));
    assert_eq!(check(&config(&["172.16.5.7/32"], &[])), Ok(()));
    assert_eq!(check(&RemoteNetworkConfig::default()), Ok(()));
}

#[test]
fn public_overlapping_and_malformed_blocks_are_refused() {
    let too_many = RemoteNetworkConfig {
        node_networks: vec![vec!["10.80.0.0/16".into()], vec!["10.81.0.0/16".into()]],
        pod_networks: Vec::new(),
    };
    let empty = RemoteNetworkConfig { node_networks: vec![Vec::new()], pod_networks: Vec::new() };
    let huge = config(&["10.80.0.0/16", &"9".repeat(100_000)], &[]);
    for (bad, fragment) in [
        (config(&["8.8.8.0/24"], &[]), "RFC-1918"),
        (config(&["0.0.0.0/0"], &[]), "RFC-1918"),
        (config(&["10.0.0.0/7"], &[]), "RFC-1918"),
        (config(&["10.0.0.0/33"], &[]), "is invalid"),
        (config(&["10.80.0.1/16"], &[]), "is invalid"),
        (config(&["10.80.0.0/16\0"], &[]), "is invalid"),
        (huge, "is invalid"),
        (config(&["10.80.0.0/16", "10.80.128.0/17"], &[]), "overlaps with 10.80.0.0/16"),
        (config(&["10.80.0.0/16"], &["10.80.1.0/24"]), "overlaps with 10.80.0.0/16"),
        (config(&["172.20.1.0/24"], &[]), "service CIDR"),
        (config(&["10.0.4.0/24"], &[]), "VPC CIDR block 10.0.0.0/16"),
        (config(&[], &["10.90.0.0/16"]), "requires remoteNodeNetworks"),
        (too_many, "length less than or equal to 1"),
        (empty, "at least one CIDR block"),
    ] {
        let refused = check(&bad);
        assert!(
            matches!(&refused, Err(EksError::InvalidParameter(m)) if m.contains(fragment)),
            "{fragment}: {refused:?}"
        );
    }
}

#[test]
fn the_settings_read_back_as_the_api_spells_them() {
    let json = remote_network_json(&config(&["10.80.0.0/16"], &[]));
    assert_eq!(
        json,
        serde_json::json!({ "remoteNodeNetworks": [{ "cidrs": ["10.80.0.0/16"] }], "remotePodNetworks": [] })
    );
}

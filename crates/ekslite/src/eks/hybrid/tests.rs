use super::*;

const SSM: &str = r#"
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  cluster:
    name: demo
    region: us-west-2
  hybrid:
    ssm:
      activationCode: AbCdEfGhIjKlMnOpQrSt
      activationId: 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b
  kubelet:
    config:
      maxPods: 50
    flags:
      - --node-labels=rack=r7,tier=edge
      - --node-ip=10.80.1.20
"#;

fn refusal(document: &str) -> String {
    match read_config(document) {
        Ok(config) => panic!("accepted: {config:?}"),
        Err(Refusal(status, message)) => {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{message}");
            message
        }
    }
}

#[test]
fn an_ssm_node_config_is_read_as_nodeadm_reads_it() {
    let (config, _) = read_config(SSM).unwrap();
    assert_eq!(
        config,
        HybridConfig {
            cluster: "demo".into(),
            region: "us-west-2".into(),
            credentials: Credentials::Ssm {
                activation_id: "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b".into(),
                activation_code: "AbCdEfGhIjKlMnOpQrSt".into(),
            },
            node_ip: Some("10.80.1.20".into()),
            max_pods: Some(50),
        }
    );
}

#[test]
fn node_configs_nodeadm_refuses_are_refused_with_its_messages() {
    let cases = [
        (SSM.replace("name: demo", "name: ''"), "Name is missing in cluster configuration"),
        (SSM.replace("region: us-west-2", "region: ''"), "Region is missing in cluster configuration"),
        (SSM.replace("kind: NodeConfig", "kind: Pod"), "not a NodeConfig"),
        (SSM.replace("activationCode: AbCdEfGhIjKlMnOpQrSt", "activationCode: short"), "Must be 20-250 characters"),
        (SSM.replace("0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", "not-an-id"), "invalid ActivationID format"),
        (SSM.replace("      - --node-ip=10.80.1.20", "      - --hostname-override=me"), "hostname-override"),
        (SSM.replace("maxPods: 50", "maxPods: -3"), "maxPods"),
        (SSM.replace("  hybrid:\n", "  other:\n"), "spec.hybrid is missing"),
        (SSM.replace("    ssm:\n", "    ssm: {}\n    unused:\n"), "ActivationCode is missing"),
        (
            SSM.replace("    ssm:\n", "    iamRolesAnywhere:\n      nodeName: a\n    ssm:\n"),
            "Only one of IAMRolesAnywhere or SSM",
        ),
        ("{".to_owned(), "not YAML or JSON"),
        ("\0\u{1}garbage".to_owned(), "not"),
    ];
    for (document, fragment) in cases {
        let message = refusal(&document);
        assert!(message.contains(fragment), "{document}\n→ {message}");
    }
    let anywhere = SSM.replace(
        "    ssm:\n      activationCode: AbCdEfGhIjKlMnOpQrSt\n      activationId: 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\n",
        "    iamRolesAnywhere:\n      nodeName: edge-1\n      roleArn: arn:aws:iam::000000000000:role/h\n      profileArn: p\n",
    );
    assert!(refusal(&anywhere).contains("TrustAnchorARN is missing"));
    let named = anywhere.replace("profileArn: p\n", "profileArn: p\n      trustAnchorArn: t\n");
    let (config, _) = read_config(&named).unwrap();
    assert_eq!(
        config.credentials,
        Credentials::RolesAnywhere { node_name: "edge-1".into(), role_arn: "arn:aws:iam::000000000000:role/h".into() }
    );
    let long = named.replace("nodeName: edge-1", &format!("nodeName: {}", "n".repeat(65)));
    assert!(refusal(&long).contains("longer than 64"));
}

#[test]
fn a_hybrid_node_registers_as_nodeadm_configures_its_kubelet() {
    let node = HybridNode {
        cluster: "demo".into(),
        name: "mi-0123456789abcdef0".into(),
        ip: "10.80.1.20".into(),
        credential_provider: "ssm".into(),
        role_arn: "arn:aws:iam::000000000000:role/hybrid".into(),
        pod_cidr: Some("10.90.3.0/24".into()),
        labels: [("rack".to_owned(), "r7".to_owned())].into(),
        taints: Vec::new(),
        cpus: 8,
        memory_mib: 32768,
        max_pods: 50,
        joined_at: 0.0,
    };
    let spec = node_spec(&node, "us-west-2");
    assert_eq!(spec.name, "mi-0123456789abcdef0");
    assert_eq!(spec.labels["eks.amazonaws.com/compute-type"], "hybrid");
    assert_eq!(spec.labels["eks.amazonaws.com/hybrid-credential-provider"], "ssm");
    assert_eq!(spec.labels["rack"], "r7");
    assert!(!spec.labels.contains_key("topology.kubernetes.io/zone"));
    assert_eq!(spec.provider_id.as_deref(), Some("eks-hybrid:///us-west-2/demo/mi-0123456789abcdef0"));
    assert_eq!(spec.pod_subnet.as_deref(), Some("10.90.3.0/24"));
    assert_eq!(spec.capacity.pods, 50);
    assert_eq!(spec.capacity.cpu_millis, 8000);
    assert_eq!(spec.addresses[0], ("InternalIP".to_owned(), "10.80.1.20".to_owned()));
}

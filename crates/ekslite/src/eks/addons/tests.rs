use serde_json::json;

use super::*;

fn context() -> AddonContext {
    AddonContext {
        cluster: "demo".into(),
        region: "eu-south-1".into(),
        kubernetes_version: "1.34".into(),
        service_cidr: "172.20.0.0/16".into(),
    }
}

fn kinds(addon: &str) -> Vec<(String, String)> {
    manifests(addon, &context())
        .into_iter()
        .map(|m| {
            (m.object["kind"].as_str().unwrap().to_owned(), m.object["metadata"]["name"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn the_bootstrap_addons_are_the_objects_eks_starts_a_cluster_with() {
    let vpc_cni = kinds("vpc-cni");
    assert!(vpc_cni.contains(&("DaemonSet".into(), "aws-node".into())));
    assert!(vpc_cni.contains(&("CustomResourceDefinition".into(), "eniconfigs.crd.k8s.amazonaws.com".into())));
    assert!(kinds("kube-proxy").contains(&("DaemonSet".into(), "kube-proxy".into())));
    let coredns = manifests("coredns", &context());
    let deployment = coredns.iter().find(|m| m.object["kind"] == "Deployment").unwrap();
    assert_eq!(deployment.object["spec"]["replicas"], 2);
    assert_eq!(deployment.collection, "/apis/apps/v1/namespaces/kube-system/deployments");
    let image = deployment.object["spec"]["template"]["spec"]["containers"][0]["image"].as_str().unwrap();
    assert_eq!(image, "590381155156.dkr.ecr.eu-south-1.amazonaws.com/eks/coredns:v1.12.3-eksbuild.1");
    let service = coredns.iter().find(|m| m.object["kind"] == "Service").unwrap();
    assert_eq!(service.object["metadata"]["name"], "kube-dns");
    assert_eq!(service.object["spec"]["clusterIP"], "172.20.0.10", "the tenth address of the Service range");
    let proxy = manifests("kube-proxy", &context());
    let image = proxy.iter().find(|m| m.object["kind"] == "DaemonSet").unwrap().object["spec"]["template"]["spec"]
        ["containers"][0]["image"]
        .clone();
    assert_eq!(image, "590381155156.dkr.ecr.eu-south-1.amazonaws.com/eks/kube-proxy:v1.34.1-eksbuild.2");
}

#[test]
fn node_addons_stay_off_fargate_and_hybrid_nodes_and_unknown_addons_have_no_objects() {
    for addon in ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"] {
        let daemon_set = manifests(addon, &context()).into_iter().find(|m| m.object["kind"] == "DaemonSet").unwrap();
        let spec = &daemon_set.object["spec"]["template"]["spec"];
        assert_eq!(spec["hostNetwork"], true, "{addon}");
        let terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"].to_string();
        assert!(terms.contains("fargate") && terms.contains("hybrid"), "{addon}: {terms}");
    }
    assert!(manifests("amazon-cloudwatch-observability", &context()).is_empty());
    assert_eq!(registry("us-west-2"), "602401143452.dkr.ecr.us-west-2.amazonaws.com");
    assert_eq!(cluster_dns_ip("10.100.0.0/16"), Some(Ipv4Addr::new(10, 100, 0, 10)));
    assert_eq!(cluster_dns_ip("garbage"), None);
}

#[test]
fn configuration_values_and_the_service_account_role_shape_the_objects() {
    let mut coredns = bootstrap("coredns");
    coredns.configuration_values = Some("replicaCount: 3\ncorefile: |\n  .:53 { forward . 8.8.8.8 }\n".into());
    coredns.version = "v1.11.4-eksbuild.2".into();
    let objects = configured(&coredns, &context());
    let deployment = objects.iter().find(|m| m.object["kind"] == "Deployment").unwrap();
    assert_eq!(deployment.object["spec"]["replicas"], 3);
    let image = deployment.object["spec"]["template"]["spec"]["containers"][0]["image"].as_str().unwrap();
    assert!(image.ends_with("/eks/coredns:v1.11.4-eksbuild.2"), "the record's version: {image}");
    let config = objects.iter().find(|m| m.object["kind"] == "ConfigMap").unwrap();
    assert_eq!(config.object["data"]["Corefile"], ".:53 { forward . 8.8.8.8 }\n");

    let mut cni = bootstrap("vpc-cni");
    cni.configuration_values =
        Some(r#"{"env": {"WARM_IP_TARGET": "2", "WARM_ENI_TARGET": "0"}, "nodeSelector": {"pool": "a"}}"#.into());
    cni.service_account_role_arn = Some("arn:aws:iam::000000000000:role/cni".into());
    let objects = configured(&cni, &context());
    let daemon_set = objects.iter().find(|m| m.object["kind"] == "DaemonSet").unwrap();
    let env = daemon_set.object["spec"]["template"]["spec"]["containers"][0]["env"].as_array().unwrap();
    let value = |name: &str| env.iter().find(|v| v["name"] == name).map(|v| v["value"].clone());
    assert_eq!(value("WARM_ENI_TARGET"), Some(json!("0")), "a default overridden");
    assert_eq!(value("WARM_IP_TARGET"), Some(json!("2")), "a setting added");
    assert_eq!(daemon_set.object["spec"]["template"]["spec"]["nodeSelector"], json!({ "pool": "a" }));
    let account = objects.iter().find(|m| m.object["kind"] == "ServiceAccount").unwrap();
    assert_eq!(
        account.object["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
        "arn:aws:iam::000000000000:role/cni"
    );

    let mut garbage = bootstrap("kube-proxy");
    garbage.configuration_values = Some("{not json".into());
    assert_eq!(
        configured(&garbage, &context()),
        manifests("kube-proxy", &context()),
        "unreadable settings change nothing"
    );
}

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
    assert!(manifests("no-such-addon", &context()).is_empty());
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

/// The object of `kind` and `name` among manifests.
fn find<'a>(objects: &'a [Manifest], kind: &str, name: &str) -> &'a Manifest {
    objects
        .iter()
        .find(|m| m.object["kind"] == kind && m.object["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn containers(manifest: &Manifest) -> Vec<String> {
    manifest.object["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_ebs_csi_driver_has_its_controller_node_plugin_rbac_and_registration() {
    let objects = manifests("aws-ebs-csi-driver", &context());
    for account in ["ebs-csi-controller-sa", "ebs-csi-node-sa"] {
        find(&objects, "ServiceAccount", account);
    }
    for (binding, role, account) in [
        ("ebs-csi-provisioner-binding", "ebs-external-provisioner-role", "ebs-csi-controller-sa"),
        ("ebs-csi-attacher-binding", "ebs-external-attacher-role", "ebs-csi-controller-sa"),
        ("ebs-csi-resizer-binding", "ebs-external-resizer-role", "ebs-csi-controller-sa"),
        ("ebs-csi-snapshotter-binding", "ebs-external-snapshotter-role", "ebs-csi-controller-sa"),
        ("ebs-csi-node-getter-binding", "ebs-csi-node-role", "ebs-csi-node-sa"),
    ] {
        find(&objects, "ClusterRole", role);
        let binding = &find(&objects, "ClusterRoleBinding", binding).object;
        assert_eq!(binding["roleRef"]["name"], role);
        assert_eq!(
            binding["subjects"][0],
            json!({ "kind": "ServiceAccount", "name": account, "namespace": "kube-system" })
        );
    }
    let controller = find(&objects, "Deployment", "ebs-csi-controller");
    assert_eq!(controller.collection, "/apis/apps/v1/namespaces/kube-system/deployments");
    assert_eq!(controller.object["spec"]["replicas"], 2);
    assert_eq!(
        containers(controller),
        ["ebs-plugin", "csi-provisioner", "csi-attacher", "csi-snapshotter", "csi-resizer", "liveness-probe"]
    );
    let plugin = &controller.object["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(plugin["ports"][0], json!({ "name": "healthz", "containerPort": 9808, "protocol": "TCP" }));
    assert_eq!(plugin["livenessProbe"]["httpGet"], json!({ "path": "/healthz", "port": "healthz" }));
    assert_eq!(plugin["image"], "590381155156.dkr.ecr.eu-south-1.amazonaws.com/eks/aws-ebs-csi-driver:v1.48.0");
    let budget = find(&objects, "PodDisruptionBudget", "ebs-csi-controller");
    assert_eq!(budget.object["spec"]["selector"]["matchLabels"], controller.object["spec"]["selector"]["matchLabels"]);
    let node = find(&objects, "DaemonSet", "ebs-csi-node");
    assert_eq!(containers(node), ["ebs-plugin", "node-driver-registrar", "liveness-probe"]);
    assert_eq!(node.object["spec"]["template"]["spec"]["nodeSelector"], json!({ "kubernetes.io/os": "linux" }));
    let driver = find(&objects, "CSIDriver", "ebs.csi.aws.com");
    assert_eq!(driver.collection, "/apis/storage.k8s.io/v1/csidrivers");
    assert_eq!(driver.object["spec"]["attachRequired"], true);
}

#[test]
fn the_efs_csi_driver_has_its_controller_node_plugin_on_the_host_network_and_registration() {
    let objects = manifests("aws-efs-csi-driver", &context());
    find(&objects, "ServiceAccount", "efs-csi-controller-sa");
    find(&objects, "ServiceAccount", "efs-csi-node-sa");
    find(&objects, "ClusterRoleBinding", "efs-csi-provisioner-binding");
    let controller = find(&objects, "Deployment", "efs-csi-controller");
    assert_eq!(controller.object["spec"]["replicas"], 2);
    assert_eq!(containers(controller), ["efs-plugin", "csi-provisioner", "liveness-probe"]);
    let node = find(&objects, "DaemonSet", "efs-csi-node");
    assert_eq!(containers(node), ["efs-plugin", "csi-driver-registrar", "liveness-probe"]);
    assert_eq!(node.object["spec"]["template"]["spec"]["hostNetwork"], true);
    let driver = find(&objects, "CSIDriver", "efs.csi.aws.com");
    assert_eq!(driver.object["spec"]["attachRequired"], false, "nothing to attach: EFS mounts over the network");
}

#[test]
fn cloudwatch_observability_lives_in_its_namespace_with_its_definitions_first() {
    let objects = manifests("amazon-cloudwatch-observability", &context());
    assert_eq!(objects[0].object["kind"], "Namespace");
    assert_eq!(objects[0].collection, "/api/v1/namespaces");
    assert_eq!(objects[0].object["metadata"]["name"], "amazon-cloudwatch");
    let definitions: Vec<&str> = objects
        .iter()
        .take_while(|m| m.object["kind"] != "ServiceAccount")
        .skip(1)
        .map(|m| m.object["metadata"]["name"].as_str().unwrap())
        .collect();
    assert!(definitions.contains(&"amazoncloudwatchagents.cloudwatch.aws.amazon.com"), "{definitions:?}");
    assert!(definitions.contains(&"instrumentations.cloudwatch.aws.amazon.com"), "{definitions:?}");
    let agent_crd = find(&objects, "CustomResourceDefinition", "amazoncloudwatchagents.cloudwatch.aws.amazon.com");
    assert_eq!(agent_crd.object["spec"]["names"]["kind"], "AmazonCloudWatchAgent");
    assert_eq!(
        agent_crd.object["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["x-kubernetes-preserve-unknown-fields"],
        true
    );
    let manager = find(&objects, "Deployment", "amazon-cloudwatch-observability-controller-manager");
    assert_eq!(manager.collection, "/apis/apps/v1/namespaces/amazon-cloudwatch/deployments");
    find(&objects, "ServiceAccount", "amazon-cloudwatch-observability-controller-manager");
    let account = find(&objects, "ServiceAccount", "cloudwatch-agent");
    assert_eq!(account.collection, "/api/v1/namespaces/amazon-cloudwatch/serviceaccounts");
    let binding = find(&objects, "ClusterRoleBinding", "cloudwatch-agent-role-binding");
    assert_eq!(binding.object["subjects"][0]["namespace"], "amazon-cloudwatch");
    for daemon_set in ["cloudwatch-agent", "fluent-bit"] {
        let daemon_set = find(&objects, "DaemonSet", daemon_set);
        assert_eq!(daemon_set.collection, "/apis/apps/v1/namespaces/amazon-cloudwatch/daemonsets");
    }
    assert!(
        !objects.iter().any(|m| m.object["kind"].as_str().unwrap().contains("WebhookConfiguration")),
        "no webhooks for simulated pods to answer"
    );
}

#[test]
fn the_role_annotates_only_the_service_account_whose_pods_call_aws() {
    for (addon, expect) in [
        ("vpc-cni", Some("aws-node")),
        ("aws-ebs-csi-driver", Some("ebs-csi-controller-sa")),
        ("aws-efs-csi-driver", Some("efs-csi-controller-sa")),
        ("amazon-cloudwatch-observability", Some("cloudwatch-agent")),
        ("coredns", None),
    ] {
        let mut record = bootstrap(addon);
        record.service_account_role_arn = Some("arn:aws:iam::000000000000:role/r".into());
        let annotated: Vec<String> = configured(&record, &context())
            .into_iter()
            .filter(|m| !m.object["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].is_null())
            .map(|m| m.object["metadata"]["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(annotated, expect.into_iter().collect::<Vec<_>>(), "{addon}");
    }
}

#[test]
fn csi_and_cloudwatch_settings_shape_their_workloads() {
    let mut ebs = bootstrap("aws-ebs-csi-driver");
    ebs.configuration_values = Some(
        r#"{"controller": {"replicaCount": 3, "nodeSelector": {"pool": "system"},
                           "tolerations": [{"key": "dedicated", "operator": "Exists"}],
                           "resources": {"requests": {"cpu": "20m"}}},
            "node": {"tolerations": [{"key": "gpu", "operator": "Exists"}]}}"#
            .into(),
    );
    let objects = configured(&ebs, &context());
    let controller = &find(&objects, "Deployment", "ebs-csi-controller").object;
    assert_eq!(controller["spec"]["replicas"], 3);
    let spec = &controller["spec"]["template"]["spec"];
    assert_eq!(spec["nodeSelector"], json!({ "kubernetes.io/os": "linux", "pool": "system" }));
    assert_eq!(spec["tolerations"], json!([{ "key": "dedicated", "operator": "Exists" }]));
    assert_eq!(spec["containers"][0]["resources"], json!({ "requests": { "cpu": "20m" } }));
    let node = &find(&objects, "DaemonSet", "ebs-csi-node").object["spec"]["template"]["spec"];
    assert_eq!(node["tolerations"], json!([{ "key": "gpu", "operator": "Exists" }]));
    assert_eq!(node["nodeSelector"], json!({ "kubernetes.io/os": "linux" }), "controller settings stay there");

    let mut efs = bootstrap("aws-efs-csi-driver");
    efs.configuration_values = Some("controller:\n  replicaCount: 5\n  nodeSelector:\n    pool: system\n".into());
    let objects = configured(&efs, &context());
    let controller = &find(&objects, "Deployment", "efs-csi-controller").object;
    assert_eq!(controller["spec"]["replicas"], 2, "not in the EFS driver's schema");
    assert_eq!(controller["spec"]["template"]["spec"]["nodeSelector"]["pool"], "system");

    let mut cloudwatch = bootstrap("amazon-cloudwatch-observability");
    cloudwatch.configuration_values = Some(
        r#"{"agent": {"config": {"logs": {"metrics_collected": {}}}}, "containerLogs": {"enabled": false}}"#.into(),
    );
    let objects = configured(&cloudwatch, &context());
    let config = &find(&objects, "ConfigMap", "cloudwatch-agent").object;
    assert_eq!(config["data"]["cwagentconfig.json"], r#"{"logs":{"metrics_collected":{}}}"#);
    assert!(!objects.iter().any(|m| m.object["metadata"]["name"].as_str().unwrap().starts_with("fluent-bit")));
    assert!(
        manifests("amazon-cloudwatch-observability", &context())
            .iter()
            .any(|m| m.object["metadata"]["name"] == "fluent-bit"),
        "the full set still names it, to take it out"
    );
}

#[test]
fn a_workload_is_ready_when_its_controller_saw_its_spec_and_its_replicas_are_ready() {
    let deployment = |generation: i64, observed: i64, replicas: i64, ready: Option<i64>| {
        let mut object = json!({ "metadata": { "generation": generation }, "spec": { "replicas": replicas },
                                 "status": { "observedGeneration": observed } });
        if let Some(ready) = ready {
            object["status"]["readyReplicas"] = json!(ready);
        }
        object
    };
    assert!(workload_ready("Deployment", &deployment(2, 2, 2, Some(2))));
    assert!(!workload_ready("Deployment", &deployment(2, 2, 2, Some(1))));
    assert!(!workload_ready("Deployment", &deployment(2, 2, 2, None)), "no pod ready: the field is absent");
    assert!(!workload_ready("Deployment", &deployment(3, 2, 2, Some(2))), "a spec its controller has not seen");
    assert!(workload_ready("Deployment", &deployment(1, 1, 0, None)), "scaled to zero");
    let daemon_set = |desired: i64, ready: i64| {
        json!({ "metadata": { "generation": 1 },
                "status": { "observedGeneration": 1, "desiredNumberScheduled": desired, "numberReady": ready } })
    };
    assert!(workload_ready("DaemonSet", &daemon_set(3, 3)));
    assert!(!workload_ready("DaemonSet", &daemon_set(3, 2)));
    assert!(workload_ready("DaemonSet", &daemon_set(0, 0)), "no node to run on: nothing is missing");
}

#[test]
fn metrics_server_registers_the_metrics_api_for_its_service_and_takes_its_settings() {
    let objects = manifests("metrics-server", &context());
    let api_service = find(&objects, "APIService", "v1beta1.metrics.k8s.io");
    assert_eq!(
        api_service.object["spec"]["service"],
        json!({ "name": "metrics-server", "namespace": "kube-system", "port": 443 })
    );
    let service = find(&objects, "Service", "metrics-server");
    assert_eq!(service.object["spec"]["ports"][0]["targetPort"], "https");
    let deployment = find(&objects, "Deployment", "metrics-server");
    let container = &deployment.object["spec"]["template"]["spec"]["containers"][0];
    let parsed: k8s_openapi::api::core::v1::Container = serde_json::from_value(container.clone()).unwrap();
    let server = crate::metrics_server::MetricsServer::of(&parsed).expect("its image runs metrics-server");
    assert_eq!(server.port, 10251, "the port its Service's https port reaches");
    let reader = find(&objects, "ClusterRole", "system:aggregated-metrics-reader");
    assert_eq!(reader.object["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"], "true");

    let mut addon = bootstrap("metrics-server");
    addon.configuration_values = Some(r#"{"replicas": 1, "args": ["--metric-resolution=30s", 7]}"#.into());
    let objects = configured(&addon, &context());
    let deployment = find(&objects, "Deployment", "metrics-server");
    assert_eq!(deployment.object["spec"]["replicas"], 1);
    let args = deployment.object["spec"]["template"]["spec"]["containers"][0]["args"].as_array().unwrap();
    let resolutions: Vec<&Value> =
        args.iter().filter(|a| a.as_str().unwrap().starts_with("--metric-resolution")).collect();
    assert_eq!(resolutions, [&json!("--metric-resolution=30s")], "a flag given again replaces the default; {args:?}");
}

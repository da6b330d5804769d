use super::*;
use crate::servicelb::bindings::HeldPod;

fn service(value: Value) -> Service {
    let mut base = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": { "name": "web", "namespace": "shop", "uid": "0b1c2d3e-aaaa-bbbb-cccc-0123456789ab" },
        "spec": { "type": "LoadBalancer", "ports": [
            { "name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP", "nodePort": 31080 },
        ] }
    });
    merge(&mut base, value);
    serde_json::from_value(base).unwrap()
}

fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(base), Value::Object(patch)) => {
            for (key, value) in patch {
                merge(base.entry(key).or_insert(Value::Null), value);
            }
        }
        (base, patch) => *base = patch,
    }
}

fn annotated(pairs: &[(&str, &str)]) -> Service {
    let annotations: serde_json::Map<String, Value> =
        pairs.iter().map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned()))).collect();
    service(json!({ "metadata": { "annotations": annotations } }))
}

fn node(name: &str, instance: &str, ready: bool, labels: Value) -> Arc<Node> {
    Arc::new(
        serde_json::from_value(json!({
            "metadata": { "name": name, "labels": labels },
            "spec": { "providerID": format!("aws:///us-east-1a/{instance}") },
            "status": { "conditions": [{ "type": "Ready", "status": if ready { "True" } else { "False" } }] }
        }))
        .unwrap(),
    )
}

fn slice(endpoints: Value) -> EndpointSlice {
    serde_json::from_value(json!({
        "metadata": { "name": "web-abc", "namespace": "shop", "labels": { "kubernetes.io/service-name": "web" } },
        "addressType": "IPv4",
        "ports": [{ "name": "http", "port": 8080, "protocol": "TCP" }],
        "endpoints": endpoints
    }))
    .unwrap()
}

const LB: &str = "service.beta.kubernetes.io/aws-load-balancer-";

fn key(suffix: &str) -> String {
    format!("{LB}{suffix}")
}

#[test]
fn who_provisions_follows_the_class_and_type_annotations() {
    let plain = service(json!({}));
    assert_eq!(provisioner_of(&plain, false, false), Some(Provisioner::InTree));
    assert_eq!(provisioner_of(&annotated(&[(&key("type"), "nlb")]), true, false), Some(Provisioner::InTree));
    let external_ip = annotated(&[(&key("type"), "external"), (&key("nlb-target-type"), "ip")]);
    assert_eq!(provisioner_of(&external_ip, true, false), Some(Provisioner::LoadBalancerController));
    // Without the controller nobody takes it: it stays pending, as on EKS.
    assert_eq!(provisioner_of(&external_ip, false, false), None);
    // `external` without a target type is the controller's to refuse, and the cloud provider leaves it alone.
    assert_eq!(provisioner_of(&annotated(&[(&key("type"), "external")]), true, false), None);
    assert_eq!(
        provisioner_of(&annotated(&[(&key("type"), "nlb-ip")]), true, false),
        Some(Provisioner::LoadBalancerController)
    );
    let classed = service(json!({ "spec": { "loadBalancerClass": "service.k8s.aws/nlb" } }));
    assert_eq!(provisioner_of(&classed, true, false), Some(Provisioner::LoadBalancerController));
    let other = service(json!({ "spec": { "loadBalancerClass": "example.com/lb" } }));
    assert_eq!(provisioner_of(&other, true, false), None);
    let cluster_ip = service(json!({ "spec": { "type": "ClusterIP" } }));
    assert_eq!(provisioner_of(&cluster_ip, true, false), None);
}

#[test]
fn auto_mode_takes_its_class_only_while_its_load_balancing_is_on() {
    let classed = service(json!({ "spec": { "loadBalancerClass": AUTO_MODE_CLASS } }));
    assert_eq!(provisioner_of(&classed, false, true), Some(Provisioner::AutoMode));
    assert_eq!(provisioner_of(&classed, true, true), Some(Provisioner::AutoMode), "whatever else runs");
    // Without Auto Mode nobody serves the class: the Service stays pending.
    assert_eq!(provisioner_of(&classed, true, false), None);
    // Services without the class keep their provisioners.
    assert_eq!(provisioner_of(&service(json!({})), false, true), Some(Provisioner::InTree));
    let controller = service(json!({ "spec": { "loadBalancerClass": CONTROLLER_CLASS } }));
    assert_eq!(provisioner_of(&controller, true, true), Some(Provisioner::LoadBalancerController));
    assert!(is_auto_mode(&classed));
    let held = service(json!({ "metadata": { "finalizers": [AUTO_MODE_FINALIZER] } }));
    assert!(is_auto_mode(&held) && !is_auto_mode(&controller));
}

#[test]
fn auto_mode_makes_an_internal_nlb_with_ip_targets_unless_told_otherwise() {
    let classed = json!({ "spec": { "loadBalancerClass": AUTO_MODE_CLASS } });
    let endpoints = slice(json!([
        { "addresses": ["10.0.1.5"], "conditions": { "ready": true }, "targetRef": { "kind": "Pod", "name": "web-1" } },
    ]));
    let spec = spec_of(&service(classed.clone()), Provisioner::AutoMode, &[], &[&endpoints], &HeldPods::new()).unwrap();
    assert_eq!((spec.kind, spec.internal, spec.target_type), (Kind::Network, true, TargetType::Ip));
    let listener = &spec.listeners[0];
    assert_eq!((listener.port, listener.protocol.as_str(), listener.target_port), (80, "TCP", Some(8080)));
    let targets: Vec<(&str, u16)> = listener.targets.iter().map(|t| (t.id.as_str(), t.port)).collect();
    assert_eq!(targets, [("10.0.1.5", 8080)]);
    // No pods yet: the load balancer is still made, with no targets.
    let empty = spec_of(&service(classed.clone()), Provisioner::AutoMode, &[], &[], &HeldPods::new()).unwrap();
    assert!(empty.listeners[0].targets.is_empty());

    let mut public = classed.clone();
    public["metadata"] =
        json!({ "annotations": { key("scheme"): "internet-facing", key("nlb-target-type"): "instance" } });
    let nodes = node_targets(&[node("a", "i-0aaa", true, json!({}))]);
    let spec = spec_of(&service(public), Provisioner::AutoMode, &nodes, &[], &HeldPods::new()).unwrap();
    assert_eq!((spec.internal, spec.target_type), (false, TargetType::Instance));
    assert_eq!(spec.listeners[0].targets[0].id, "i-0aaa");
    let mut wrong = classed;
    wrong["metadata"] = json!({ "annotations": { key("scheme"): "sideways" } });
    let refused = spec_of(&service(wrong), Provisioner::AutoMode, &[], &[], &HeldPods::new()).unwrap_err();
    assert_eq!(refused, "unknown scheme: sideways");
    assert_eq!(failure(Provisioner::AutoMode, Stage::Build, "x").0, "FailedBuildModel");
}

#[test]
fn the_cloud_provider_makes_a_classic_elb_on_the_node_ports_of_ready_nodes() {
    let nodes = node_targets(&[
        node("a", "i-0aaa", true, json!({})),
        node("b", "i-0bbb", false, json!({})),
        node("c", "i-0ccc", true, json!({ EXCLUDED_LABEL: "" })),
        node("f", "i-0fff", true, json!({ COMPUTE_TYPE_LABEL: "fargate" })),
    ]);
    let spec = spec_of(&service(json!({})), Provisioner::InTree, &nodes, &[], &HeldPods::new()).unwrap();
    assert_eq!(spec.kind, Kind::Classic);
    assert!(!spec.internal);
    assert_eq!(spec.target_type, TargetType::Instance);
    let listener = &spec.listeners[0];
    assert_eq!((listener.port, listener.protocol.as_str(), listener.target_port), (80, "TCP", Some(31080)));
    let targets: Vec<(&str, u16, bool)> = listener.targets.iter().map(|t| (t.id.as_str(), t.port, t.healthy)).collect();
    assert_eq!(targets, [("i-0aaa", 31080, true), ("i-0bbb", 31080, false)]);
}

#[test]
fn the_type_annotation_asks_the_cloud_provider_for_an_nlb() {
    let internal = annotated(&[(&key("type"), "nlb"), (&key("internal"), "true")]);
    let spec = spec_of(&internal, Provisioner::InTree, &[], &[], &HeldPods::new()).unwrap();
    assert_eq!((spec.kind, spec.internal), (Kind::Network, true));
    let public = annotated(&[(&key("internal"), "false")]);
    assert!(!spec_of(&public, Provisioner::InTree, &[], &[], &HeldPods::new()).unwrap().internal);
}

#[test]
fn the_controller_registers_pod_addresses_as_ip_targets() {
    let service = annotated(&[
        (&key("type"), "external"),
        (&key("nlb-target-type"), "ip"),
        (&key("scheme"), "internet-facing"),
        (&key("additional-resource-tags"), "team=shop, env = dev"),
    ]);
    let endpoints = slice(json!([
        { "addresses": ["10.0.1.5"], "conditions": { "ready": true }, "nodeName": "a",
          "targetRef": { "kind": "Pod", "name": "web-1" } },
        { "addresses": ["10.0.1.6"], "conditions": { "ready": false }, "nodeName": "a",
          "targetRef": { "kind": "Pod", "name": "web-2" } },
        { "addresses": ["10.0.1.7"], "conditions": { "ready": false, "serving": true, "terminating": true },
          "targetRef": { "kind": "Pod", "name": "web-3" } },
        { "addresses": ["10.0.1.8"], "conditions": { "ready": false }, "nodeName": "a",
          "targetRef": { "kind": "Pod", "name": "web-4" } },
    ]));
    assert_eq!(unready_pods([&endpoints]), ["web-2", "web-4"], "terminating endpoints are not asked about");
    // web-4 is held back only by its readiness gate: a target; web-2's containers are not ready: left out.
    let held: HeldPods = [(("shop".to_owned(), "web-4".to_owned()), HeldPod::default())].into_iter().collect();
    let spec = spec_of(&service, Provisioner::LoadBalancerController, &[], &[&endpoints], &held).unwrap();
    assert_eq!((spec.kind, spec.internal, spec.target_type), (Kind::Network, false, TargetType::Ip));
    let listener = &spec.listeners[0];
    assert_eq!(listener.target_port, Some(8080));
    let targets: Vec<(&str, u16, bool)> = listener.targets.iter().map(|t| (t.id.as_str(), t.port, t.healthy)).collect();
    assert_eq!(targets, [("10.0.1.5", 8080, true), ("10.0.1.8", 8080, true)]);
    assert_eq!(spec.tags.get("env").map(String::as_str), Some("dev"));
    assert_eq!(spec.tags.get("team").map(String::as_str), Some("shop"));
    // The controller's load balancers are internal unless told otherwise.
    let default = annotated(&[(&key("type"), "nlb-ip")]);
    assert!(spec_of(&default, Provisioner::LoadBalancerController, &[], &[], &HeldPods::new()).unwrap().internal);
}

#[test]
fn a_local_traffic_policy_marks_nodes_without_a_ready_endpoint_unhealthy() {
    let service = service(json!({ "spec": { "externalTrafficPolicy": "Local", "healthCheckNodePort": 32000 } }));
    let nodes = node_targets(&[node("a", "i-0aaa", true, json!({})), node("b", "i-0bbb", true, json!({}))]);
    let endpoints = slice(json!([{ "addresses": ["10.0.1.5"], "conditions": { "ready": true }, "nodeName": "b" }]));
    let spec = spec_of(&service, Provisioner::InTree, &nodes, &[&endpoints], &HeldPods::new()).unwrap();
    let health: Vec<(&str, bool)> = spec.listeners[0].targets.iter().map(|t| (t.id.as_str(), t.healthy)).collect();
    assert_eq!(health, [("i-0aaa", false), ("i-0bbb", true)]);
    assert_eq!(spec.health_check.port, Some(32000));
    assert_eq!(spec.health_check.path.as_deref(), Some("/healthz"));
}

#[test]
fn ssl_ports_get_tls_and_ssl_listeners_with_the_certificate() {
    let cert = "arn:aws:acm:us-east-1:000000000000:certificate/abc";
    let service = annotated(&[(&key("type"), "nlb"), (&key("ssl-cert"), cert), (&key("ssl-ports"), "http")]);
    let listener = &spec_of(&service, Provisioner::InTree, &[], &[], &HeldPods::new()).unwrap().listeners[0];
    assert_eq!((listener.protocol.as_str(), listener.certificate.as_deref()), ("TLS", Some(cert)));
    let classic = annotated(&[(&key("ssl-cert"), cert), (&key("backend-protocol"), "http")]);
    let listener = &spec_of(&classic, Provisioner::InTree, &[], &[], &HeldPods::new()).unwrap().listeners[0];
    assert_eq!((listener.protocol.as_str(), listener.target_protocol.as_str()), ("HTTPS", "HTTP"));
    let other_port = annotated(&[(&key("ssl-cert"), cert), (&key("ssl-ports"), "443")]);
    let listener = &spec_of(&other_port, Provisioner::InTree, &[], &[], &HeldPods::new()).unwrap().listeners[0];
    assert_eq!((listener.protocol.as_str(), listener.certificate.as_deref()), ("TCP", None));
}

#[test]
fn wrong_settings_are_refused_with_the_controllers_words() {
    let cases: Vec<(Service, Provisioner, &str)> = vec![
        (annotated(&[(&key("scheme"), "outside")]), Provisioner::LoadBalancerController, "unknown scheme: outside"),
        (
            annotated(&[(&key("nlb-target-type"), "lambda")]),
            Provisioner::LoadBalancerController,
            "unsupported target type \"lambda\"",
        ),
        (annotated(&[(&key("healthcheck-interval"), "often")]), Provisioner::InTree, "failed to parse annotation"),
        (annotated(&[(&key("healthcheck-port"), "99999")]), Provisioner::InTree, "invalid health check port"),
        (annotated(&[(&key("healthcheck-protocol"), "GRPC")]), Provisioner::InTree, "unsupported health check"),
        (annotated(&[(&key("additional-resource-tags"), "=x")]), Provisioner::InTree, "stringMap annotation"),
        (
            annotated(&[(&key("name"), &"n".repeat(33))]),
            Provisioner::LoadBalancerController,
            "cannot be longer than 32",
        ),
        (
            service(json!({ "spec": { "ports": [{ "port": 53, "protocol": "UDP", "nodePort": 30053 }] } })),
            Provisioner::InTree,
            "Protocol UDP not supported",
        ),
        (
            service(json!({ "spec": { "ports": [{ "port": 80, "protocol": "TCP" }] } })),
            Provisioner::InTree,
            "has no node port",
        ),
        (service(json!({ "spec": { "ports": [] } })), Provisioner::InTree, "has no ports"),
    ];
    for (service, provisioner, expected) in cases {
        let error = spec_of(&service, provisioner, &[], &[], &HeldPods::new()).unwrap_err();
        assert!(error.contains(expected), "{error:?} should say {expected:?}");
    }
    // UDP is an NLB's to serve.
    let udp = service(json!({ "metadata": { "annotations": { key("type"): "nlb" } },
        "spec": { "ports": [{ "port": 53, "protocol": "UDP", "nodePort": 30053 }] } }));
    assert_eq!(spec_of(&udp, Provisioner::InTree, &[], &[], &HeldPods::new()).unwrap().listeners[0].protocol, "UDP");
}

#[test]
fn the_controller_counts_as_installed_once_its_deployment_has_a_replica_available() {
    let deployment = |image: &str, available: i32| -> Arc<Deployment> {
        Arc::new(
            serde_json::from_value(json!({
                "metadata": { "name": "x", "namespace": "kube-system" },
                "spec": { "selector": {}, "template": { "spec": { "containers": [{ "name": "c", "image": image }] } } },
                "status": { "availableReplicas": available }
            }))
            .unwrap(),
        )
    };
    let image = "public.ecr.aws/eks/aws-load-balancer-controller:v2.8.1";
    assert!(controller_installed(&[deployment("nginx", 1), deployment(image, 1)]));
    assert!(!controller_installed(&[deployment(image, 0)]));
    assert!(!controller_installed(&[deployment("nginx", 2)]));
}

#[test]
fn a_change_of_targets_alone_is_told_from_other_changes() {
    let nodes = node_targets(&[node("a", "i-0aaa", true, json!({}))]);
    let before = spec_of(&service(json!({})), Provisioner::InTree, &[], &[], &HeldPods::new()).unwrap();
    let after = spec_of(&service(json!({})), Provisioner::InTree, &nodes, &[], &HeldPods::new()).unwrap();
    assert!(same_but_targets(&before, &after));
    let internal =
        spec_of(&annotated(&[(&key("internal"), "true")]), Provisioner::InTree, &nodes, &[], &HeldPods::new()).unwrap();
    assert!(!same_but_targets(&after, &internal));
}

#[test]
fn failed_attempts_back_off_up_to_a_limit() {
    let (_, first) = retry_after(None);
    assert_eq!(first, FIRST_RETRY);
    let (_, second) = retry_after(Some(first));
    assert_eq!(second, FIRST_RETRY * 2);
    let (_, last) = retry_after(Some(LAST_RETRY));
    assert_eq!(last, LAST_RETRY);
}

#[test]
fn failures_are_worded_as_each_controller_words_them() {
    let (reason, text) = failure(Provisioner::InTree, Stage::Delete, "boom");
    assert_eq!(
        (reason, text.as_str()),
        ("SyncLoadBalancerFailed", "Error syncing load balancer: failed to delete load balancer: boom")
    );
    let (reason, text) = failure(Provisioner::LoadBalancerController, Stage::Build, "bad");
    assert_eq!((reason, text.as_str()), ("FailedBuildModel", "Failed build model due to bad"));
    assert_eq!(failure(Provisioner::LoadBalancerController, Stage::Ensure, "x").0, "FailedDeployModel");
}

#[test]
fn an_ip_target_groups_port_is_the_numeric_target_port_or_1() {
    let port =
        |target: Value| -> ServicePort { serde_json::from_value(json!({ "port": 80, "targetPort": target })).unwrap() };
    assert_eq!(ip_group_port(&port(json!(8080))), Some(8080));
    assert_eq!(ip_group_port(&port(json!("http"))), Some(1), "a named port: each target carries its own");
    assert_eq!(ip_group_port(&serde_json::from_value(json!({ "port": 80 })).unwrap()), Some(80));
}

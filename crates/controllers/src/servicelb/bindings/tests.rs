use std::collections::{BTreeMap, HashSet};

use k8s_openapi::api::core::v1::Pod;
use serde_json::json;

use super::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn new_pods_get_a_gate_per_ip_binding_whose_service_selects_them_in_namespaces_labelled_for_it() {
    let gates = ControllerWebhooks::default();
    let binding = |namespace: &str, name: &str, selector: &[(&str, &str)]| GateBinding {
        namespace: namespace.into(),
        name: name.into(),
        selector: labels(selector),
    };
    gates.replace(
        ["shop".to_owned()].into_iter().collect(),
        vec![
            binding("shop", "k8s-shop-web-1", &[("app", "web")]),
            binding("shop", "k8s-shop-api-2", &[("app", "api")]),
            binding("shop", "k8s-shop-all-3", &[]),
            binding("other", "k8s-other-web-4", &[("app", "web")]),
        ],
    );
    let web = labels(&[("app", "web"), ("pod-template-hash", "abc")]);
    assert_eq!(gates.gates_for("shop", &web), ["target-health.elbv2.k8s.aws/k8s-shop-web-1"]);
    assert!(gates.gates_for("shop", &labels(&[("app", "db")])).is_empty(), "no Service selects it");
    assert!(gates.gates_for("other", &web).is_empty(), "the namespace is not labelled for injection");
    gates.replace(HashSet::new(), Vec::new());
    assert!(gates.gates_for("shop", &web).is_empty());
}

#[test]
fn injection_adds_missing_gates_and_drops_the_older_controllers() {
    let mut pod = json!({ "spec": { "readinessGates": [
        { "conditionType": "target-health.alb.ingress.k8s.aws/old" },
        { "conditionType": "example.com/mine" },
        { "conditionType": "target-health.elbv2.k8s.aws/a" },
    ] } });
    inject_gates(&mut pod, &["target-health.elbv2.k8s.aws/a".into(), "target-health.elbv2.k8s.aws/b".into()]);
    let types: Vec<&str> = pod["spec"]["readinessGates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["conditionType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["example.com/mine", "target-health.elbv2.k8s.aws/a", "target-health.elbv2.k8s.aws/b"]);
    let mut bare = json!({ "spec": { "containers": [] } });
    inject_gates(&mut bare, &[]);
    assert!(bare["spec"].get("readinessGates").is_none(), "no gates, no change");
}

#[test]
fn a_pod_is_held_only_when_its_containers_are_ready() {
    let pod = |containers_ready: &str, gate_status: Option<&str>| -> Pod {
        let mut conditions = vec![json!({ "type": "ContainersReady", "status": containers_ready })];
        if let Some(status) = gate_status {
            conditions.push(json!({ "type": "target-health.elbv2.k8s.aws/tg", "status": status }));
        }
        serde_json::from_value(json!({
            "metadata": { "name": "web-1" },
            "spec": { "containers": [], "readinessGates": [{ "conditionType": "target-health.elbv2.k8s.aws/tg" }] },
            "status": { "conditions": conditions },
        }))
        .unwrap()
    };
    assert_eq!(held(&pod("True", None)), Some(HeldPod { pending: vec!["target-health.elbv2.k8s.aws/tg".into()] }));
    assert_eq!(held(&pod("True", Some("False"))).unwrap().pending.len(), 1);
    assert_eq!(held(&pod("True", Some("True"))), Some(HeldPod::default()), "its gate is open already");
    assert_eq!(held(&pod("False", None)), None, "containers not ready: not a target");
}

#[test]
fn bindings_name_their_target_group_and_carry_their_stacks_labels() {
    let group = BoundTargetGroup {
        name: "k8s-shop-web-0123456789".into(),
        arn: "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/k8s-shop-web-0123456789/abc".into(),
        namespace: "shop".into(),
        service: "web".into(),
        port: "80".into(),
        target_type: TargetType::Ip,
        vpc_id: "vpc-1".into(),
    };
    let stack = Stack::Service { namespace: "shop".into(), name: "web".into() };
    let object = binding(&group, &stack);
    assert_eq!(object["metadata"]["name"], "k8s-shop-web-0123456789");
    assert_eq!(object["metadata"]["labels"]["service.k8s.aws/stack-name"], "web");
    assert_eq!(object["spec"]["serviceRef"], json!({ "name": "web", "port": 80 }));
    assert_eq!(object["spec"]["targetType"], "ip");
    assert_eq!(stack.selector(), "service.k8s.aws/stack-name=web,service.k8s.aws/stack-namespace=shop");
    let named = BoundTargetGroup { port: "http".into(), ..group };
    assert_eq!(binding(&named, &Stack::Group("g".into()))["spec"]["serviceRef"]["port"], "http");
    let crds = crds();
    assert_eq!(crds[0]["metadata"]["name"], "targetgroupbindings.elbv2.k8s.aws");
    assert_eq!(crds[1]["spec"]["scope"], "Cluster");
}

#[test]
fn the_service_webhook_gives_classless_load_balancer_services_the_controllers_class() {
    let webhooks = ControllerWebhooks::default();
    assert_eq!(webhooks.service_class(), None, "off until the webhook is registered and the controller runs");
    webhooks.set_mutates_services(true);
    let class = webhooks.service_class().unwrap();
    assert_eq!(class, "service.k8s.aws/nlb");
    let mut plain = json!({ "metadata": { "name": "web" }, "spec": { "type": "LoadBalancer" } });
    default_class(&mut plain, class);
    assert_eq!(plain["spec"]["loadBalancerClass"], "service.k8s.aws/nlb");
    let mut other = json!({ "spec": { "type": "LoadBalancer", "loadBalancerClass": "example.com/lb" } });
    default_class(&mut other, class);
    assert_eq!(other["spec"]["loadBalancerClass"], "example.com/lb", "a class chosen stays");
    let mut cluster_ip = json!({ "spec": { "type": "ClusterIP" } });
    default_class(&mut cluster_ip, class);
    assert!(cluster_ip["spec"].get("loadBalancerClass").is_none());
    let mut own = json!({ "metadata": { "labels": { "app.kubernetes.io/name": "aws-load-balancer-controller" } },
                          "spec": { "type": "LoadBalancer" } });
    default_class(&mut own, class);
    assert!(own["spec"].get("loadBalancerClass").is_none(), "the controller's own Services are left alone");
}

use serde_json::json;

use super::*;

fn ingress(annotations: Value) -> Ingress {
    serde_json::from_value(json!({
        "metadata": { "name": "web", "namespace": "shop", "annotations": annotations },
        "spec": { "ingressClassName": "alb" },
    }))
    .unwrap()
}

fn class(controller: &str, parameters: Value) -> IngressClass {
    serde_json::from_value(json!({
        "metadata": { "name": "alb" },
        "spec": { "controller": controller, "parameters": parameters },
    }))
    .unwrap()
}

fn params(name: &str, spec: Value) -> Arc<IngressClassParams> {
    Arc::new(IngressClassParams {
        metadata: kube::core::ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec,
    })
}

fn auto_params(name: &str, spec: Value) -> Arc<AutoModeIngressClassParams> {
    Arc::new(AutoModeIngressClassParams {
        metadata: kube::core::ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec,
    })
}

const CONTROLLER: Provisioner = Provisioner::LoadBalancerController;
const AUTO: Provisioner = Provisioner::AutoMode;

#[test]
fn a_class_finds_its_parameters_or_says_why_not() {
    let reference = json!({ "apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams", "name": "public" });
    let class = class("ingress.k8s.aws/alb", reference.clone());
    let selective = json!({ "namespaceSelector": { "matchLabels": { "team": "shop" } } });
    let found = [params("public", selective.clone())];
    let in_cluster = ParamsInCluster { controller: &found, auto_mode: &[] };
    let shop = BTreeMap::from([("team".to_owned(), "shop".to_owned())]);
    let ingress = ingress(json!({}));
    assert_eq!(params_of(&ingress, CONTROLLER, &[&class], in_cluster, &shop).unwrap(), Some(&selective));
    assert_eq!(
        params_of(&ingress, CONTROLLER, &[&class], in_cluster, &BTreeMap::new()).unwrap_err(),
        "invalid ingress class: namespaceSelector of IngressClassParams public mismatch"
    );
    let nothing = ParamsInCluster { controller: &[], auto_mode: &[] };
    assert_eq!(
        params_of(&ingress, CONTROLLER, &[&class], nothing, &shop).unwrap_err(),
        "invalid ingress class: ingressclassparams.elbv2.k8s.aws \"public\" not found"
    );
    let unknown =
        self::class("ingress.k8s.aws/alb", json!({ "apiGroup": "example.com", "kind": "Other", "name": "x" }));
    assert_eq!(
        params_of(&ingress, CONTROLLER, &[&unknown], in_cluster, &shop).unwrap_err(),
        "invalid ingress class: IngressClass alb references unknown parameters"
    );
}

#[test]
fn auto_modes_class_finds_its_own_flavour_of_parameters() {
    let reference = json!({ "apiGroup": "eks.amazonaws.com", "kind": "IngressClassParams", "name": "public" });
    let class = class("eks.amazonaws.com/alb", reference);
    let spec = json!({ "scheme": "internet-facing" });
    let controllers = [params("public", json!({ "scheme": "internal" }))];
    let autos = [auto_params("public", spec.clone())];
    let ingress = ingress(json!({}));
    let labels = BTreeMap::new();
    let both = ParamsInCluster { controller: &controllers, auto_mode: &autos };
    assert_eq!(params_of(&ingress, AUTO, &[&class], both, &labels).unwrap(), Some(&spec));
    let only_controllers = ParamsInCluster { controller: &controllers, auto_mode: &[] };
    assert_eq!(
        params_of(&ingress, AUTO, &[&class], only_controllers, &labels).unwrap_err(),
        "invalid ingress class: ingressclassparams.eks.amazonaws.com \"public\" not found"
    );
    // The controller's flavour of parameters is not Auto Mode's.
    let other = self::class(
        "eks.amazonaws.com/alb",
        json!({ "apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams", "name": "public" }),
    );
    assert_eq!(
        params_of(&ingress, AUTO, &[&other], both, &labels).unwrap_err(),
        "invalid ingress class: IngressClass alb references unknown parameters"
    );
}

#[test]
fn parameters_take_precedence_over_the_ingress_annotations() {
    let ingress = ingress(json!({
        "alb.ingress.kubernetes.io/scheme": "internal",
        "alb.ingress.kubernetes.io/tags": "team=web,env=dev",
        "alb.ingress.kubernetes.io/load-balancer-attributes": "routing.http2.enabled=false,idle_timeout.timeout_seconds=60",
    }));
    let spec = json!({
        "loadBalancerAttributes": [{ "key": "idle_timeout.timeout_seconds", "value": "600" }],
        "group": { "name": "shared" },
        "scheme": "internet-facing",
        "inboundCIDRs": ["10.0.0.0/8", "192.168.0.0/16"],
        "certificateArn": ["arn:aws:acm:us-east-1:000000000000:certificate/a"],
        "subnets": { "ids": ["subnet-1", "subnet-2"] },
        "tags": [{ "key": "env", "value": "prod" }, { "key": "owner", "value": "platform" }],
        "targetType": "ip",
    });
    let (made, subnet_tags) = with_params(&ingress, CONTROLLER, &spec).unwrap();
    assert!(subnet_tags.is_empty());
    let annotations = made.metadata.annotations.unwrap();
    let get = |suffix: &str| annotations[&format!("alb.ingress.kubernetes.io/{suffix}")].as_str();
    assert_eq!(get("group.name"), "shared");
    assert_eq!(get("scheme"), "internet-facing");
    assert_eq!(get("inbound-cidrs"), "10.0.0.0/8,192.168.0.0/16");
    assert_eq!(get("certificate-arn"), "arn:aws:acm:us-east-1:000000000000:certificate/a");
    assert_eq!(get("subnets"), "subnet-1,subnet-2");
    assert_eq!(get("tags"), "env=prod,owner=platform,team=web");
    assert_eq!(get("target-type"), "ip");
    assert_eq!(get("load-balancer-attributes"), "idle_timeout.timeout_seconds=600,routing.http2.enabled=false");
}

#[test]
fn auto_modes_parameters_have_their_own_field_names() {
    let ingress = ingress(json!({ "alb.ingress.kubernetes.io/subnets": "subnet-9" }));
    let spec = json!({
        "group": { "name": "shared" },
        "scheme": "internet-facing",
        "ipAddressType": "dualstack",
        "loadBalancerAttributes": [{ "key": "idle_timeout.timeout_seconds", "value": "600" }],
        "certificateARNs": ["arn:aws:acm:us-east-1:000000000000:certificate/a",
                            "arn:aws:acm:us-east-1:000000000000:certificate/b"],
        "subnets": { "matchTags": [{ "key": "tier", "values": ["public", "edge"] }, { "key": "shared" }] },
        // Not Auto Mode's: its CRD drops them, and they are not read either.
        "loadBalancerName": "mine",
        "targetType": "instance",
        "certificateArn": ["arn:aws:acm:us-east-1:000000000000:certificate/old"],
    });
    let (made, subnet_tags) = with_params(&ingress, AUTO, &spec).unwrap();
    let annotations = made.metadata.annotations.unwrap();
    let get = |suffix: &str| annotations.get(&format!("alb.ingress.kubernetes.io/{suffix}")).map(String::as_str);
    assert_eq!(get("group.name"), Some("shared"));
    assert_eq!(get("scheme"), Some("internet-facing"));
    assert_eq!(
        get("certificate-arn"),
        Some("arn:aws:acm:us-east-1:000000000000:certificate/a,arn:aws:acm:us-east-1:000000000000:certificate/b")
    );
    assert_eq!((get("load-balancer-name"), get("target-type")), (None, None));
    assert_eq!(get("ip-address-type"), Some("dualstack"));
    assert_eq!(get("load-balancer-attributes"), Some("idle_timeout.timeout_seconds=600"));
    assert_eq!(get("subnets"), None, "subnets chosen by tags replace the annotation's");
    assert_eq!(
        subnet_tags,
        [("tier".to_owned(), vec!["public".to_owned(), "edge".to_owned()]), ("shared".to_owned(), Vec::new())]
    );
    // The controller's flavour chooses subnets by a map of tags.
    let (_, subnet_tags) =
        with_params(&ingress, CONTROLLER, &json!({ "subnets": { "tags": { "tier": ["public"] } } })).unwrap();
    assert_eq!(subnet_tags, [("tier".to_owned(), vec!["public".to_owned()])]);
}

#[test]
fn subnets_by_ids_and_by_tags_at_once_are_refused() {
    let ingress = ingress(json!({}));
    let spec = json!({ "subnets": { "ids": ["subnet-0a"], "matchTags": [{ "key": "tier" }] } });
    assert_eq!(
        with_params(&ingress, AUTO, &spec).unwrap_err(),
        "invalid ingress class: subnets: must specify exactly one of ids or matchTags"
    );
    let spec = json!({ "subnets": { "ids": ["subnet-0a"], "tags": { "tier": [] } } });
    assert!(with_params(&ingress, CONTROLLER, &spec).unwrap_err().ends_with("exactly one of ids or tags"));
    // Garbage where lists and maps belong is no setting at all.
    let garbage = json!({ "subnets": { "ids": "subnet-0a", "matchTags": { "key": 7 } }, "tags": "x=y",
                          "certificateARNs": [1, 2], "group": [] });
    let (made, subnet_tags) = with_params(&ingress, AUTO, &garbage).unwrap();
    assert!(subnet_tags.is_empty());
    assert!(made.metadata.annotations.unwrap().is_empty());
}

use std::sync::Arc;

use serde_json::json;

use super::*;

fn ingress(annotations: Value) -> Ingress {
    serde_json::from_value(json!({
        "metadata": { "name": "web", "namespace": "shop", "annotations": annotations },
        "spec": { "ingressClassName": "alb" },
    }))
    .unwrap()
}

fn class(parameters: Value) -> IngressClass {
    serde_json::from_value(json!({
        "metadata": { "name": "alb" },
        "spec": { "controller": "ingress.k8s.aws/alb", "parameters": parameters },
    }))
    .unwrap()
}

fn params(name: &str, spec: Value) -> Arc<IngressClassParams> {
    Arc::new(IngressClassParams {
        metadata: kube::core::ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec,
    })
}

#[test]
fn a_class_finds_its_parameters_or_says_why_not() {
    let reference = json!({ "apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams", "name": "public" });
    let class = class(reference.clone());
    let found = [params("public", json!({ "namespaceSelector": { "matchLabels": { "team": "shop" } } }))];
    let shop = BTreeMap::from([("team".to_owned(), "shop".to_owned())]);
    let ingress = ingress(json!({}));
    assert_eq!(params_of(&ingress, &[&class], &found, &shop).unwrap().map(|p| p.name_any()), Some("public".into()));
    assert_eq!(
        params_of(&ingress, &[&class], &found, &BTreeMap::new()).unwrap_err(),
        "invalid ingress class: namespaceSelector of IngressClassParams public mismatch"
    );
    assert_eq!(
        params_of(&ingress, &[&class], &[], &shop).unwrap_err(),
        "invalid ingress class: ingressclassparams.elbv2.k8s.aws \"public\" not found"
    );
    let unknown = self::class(json!({ "apiGroup": "example.com", "kind": "Other", "name": "x" }));
    assert_eq!(
        params_of(&ingress, &[&unknown], &found, &shop).unwrap_err(),
        "invalid ingress class: IngressClass alb references unknown parameters"
    );
}

#[test]
fn parameters_take_precedence_over_the_ingress_annotations() {
    let ingress = ingress(json!({
        "alb.ingress.kubernetes.io/scheme": "internal",
        "alb.ingress.kubernetes.io/tags": "team=web,env=dev",
    }));
    let spec = json!({
        "group": { "name": "shared" },
        "scheme": "internet-facing",
        "inboundCIDRs": ["10.0.0.0/8", "192.168.0.0/16"],
        "certificateArn": ["arn:aws:acm:us-east-1:000000000000:certificate/a"],
        "subnets": { "ids": ["subnet-1", "subnet-2"] },
        "tags": [{ "key": "env", "value": "prod" }, { "key": "owner", "value": "platform" }],
        "targetType": "ip",
    });
    let made = with_params(&ingress, &spec);
    let annotations = made.metadata.annotations.unwrap();
    let get = |suffix: &str| annotations[&format!("alb.ingress.kubernetes.io/{suffix}")].as_str();
    assert_eq!(get("group.name"), "shared");
    assert_eq!(get("scheme"), "internet-facing");
    assert_eq!(get("inbound-cidrs"), "10.0.0.0/8,192.168.0.0/16");
    assert_eq!(get("certificate-arn"), "arn:aws:acm:us-east-1:000000000000:certificate/a");
    assert_eq!(get("subnets"), "subnet-1,subnet-2");
    assert_eq!(get("tags"), "env=prod,owner=platform,team=web");
    assert_eq!(get("target-type"), "ip");
}

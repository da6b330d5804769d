use serde_json::json;

use super::*;

#[test]
fn a_binding_names_its_service_port_by_number_or_name() {
    let ports: Vec<ServicePort> = serde_json::from_value(json!([
        { "name": "http", "port": 80 },
        { "name": "admin", "port": 9000 },
    ]))
    .unwrap();
    assert_eq!(port_of(&ports, Some(&IntOrString::Int(9000))).map(|p| p.port), Some(9000));
    assert_eq!(port_of(&ports, Some(&IntOrString::String("http".into()))).map(|p| p.port), Some(80));
    assert_eq!(port_of(&ports, Some(&IntOrString::Int(81))), None);
    assert_eq!(port_of(&ports, None).map(|p| p.port), Some(80));
}

#[test]
fn bindings_made_by_hand_are_told_from_the_controllers_own_by_their_labels() {
    let binding = |labels: serde_json::Value| -> TargetGroupBinding {
        serde_json::from_value(json!({
            "apiVersion": "elbv2.k8s.aws/v1beta1", "kind": "TargetGroupBinding",
            "metadata": { "name": "tgb", "namespace": "shop", "labels": labels },
            "spec": { "targetGroupARN": "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/1",
                      "targetType": "ip", "serviceRef": { "name": "web", "port": 80 } },
        }))
        .unwrap()
    };
    let by_hand = binding(json!({ "team": "shop" }));
    assert!(!by_hand.is_own());
    assert_eq!(by_hand.spec.service_ref.port, Some(IntOrString::Int(80)));
    assert_eq!(by_hand.spec.target_type.as_deref(), Some("ip"));
    assert!(binding(json!({ "service.k8s.aws/stack-name": "web" })).is_own());
    assert!(binding(json!({ "ingress.k8s.aws/stack": "group" })).is_own());
}

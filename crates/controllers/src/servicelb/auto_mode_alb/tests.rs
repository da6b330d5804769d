use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

use super::*;

#[test]
fn the_crd_is_eks_ingress_class_params_at_v1() {
    let crd = crd();
    let parsed: CustomResourceDefinition = serde_json::from_value(crd.clone()).expect("a CRD");
    assert_eq!(parsed.metadata.name.as_deref(), Some("ingressclassparams.eks.amazonaws.com"));
    assert_eq!((parsed.spec.group.as_str(), parsed.spec.scope.as_str()), ("eks.amazonaws.com", "Cluster"));
    assert_eq!(parsed.spec.names.kind, "IngressClassParams");
    let [version] = parsed.spec.versions.as_slice() else { panic!("one version") };
    assert_eq!((version.name.as_str(), version.served, version.storage), ("v1", true, true));
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"];
    assert_eq!(spec["scheme"]["enum"], json!(["internal", "internet-facing"]));
    assert_eq!(spec["ipAddressType"]["enum"], json!(["ipv4", "dualstack", "dualstack-without-public-ipv4"]));
    for field in ["certificateARNs", "subnets", "group", "namespaceSelector", "tags", "loadBalancerAttributes"] {
        assert!(spec.get(field).is_some(), "{field}");
    }
    assert_eq!(spec["subnets"]["properties"]["matchTags"]["items"]["required"], json!(["key"]));
    assert!(spec.get("certificateArn").is_none() && spec.get("loadBalancerName").is_none(), "the controller's only");
}

#[test]
fn auto_mode_reads_an_ingress_without_the_group_annotation() {
    let ingress: Ingress = serde_json::from_value(json!({
        "metadata": { "name": "web", "namespace": "shop", "annotations": {
            "alb.ingress.kubernetes.io/group.name": "shared",
            "alb.ingress.kubernetes.io/group.order": "2",
            "alb.ingress.kubernetes.io/scheme": "internet-facing",
        } },
    }))
    .unwrap();
    let read = as_read(&ingress);
    let annotations = read.metadata.annotations.unwrap();
    assert!(!annotations.contains_key("alb.ingress.kubernetes.io/group.name"));
    assert_eq!(annotations.len(), 2, "the others are read as the controller reads them");
    let bare: Ingress = serde_json::from_value(json!({ "metadata": { "name": "bare" } })).unwrap();
    assert_eq!(as_read(&bare).metadata.annotations, None);
}

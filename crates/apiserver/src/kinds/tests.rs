use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::registry::{CustomSchema, Registry};

#[test]
fn every_registered_strategy_names_a_built_in_resource() {
    let registry = Registry::builtin();
    let groups = registry.groups();
    for (group, plural, _) in STRATEGIES {
        let served = groups
            .iter()
            .any(|(g, versions)| g == group && versions.iter().any(|v| registry.find(group, v, plural).is_some()));
        assert!(served, "the strategy of {plural:?} in group {group:?} names no served resource");
    }
}

#[test]
fn lookup_finds_the_kind_else_the_generic_strategy() {
    let registry = Registry::builtin();
    let find = |group, plural| registry.find(group, "v1", plural).expect("served");
    assert!(format!("{:?}", strategy(find("", "pods"))).contains("Pods"));
    assert!(format!("{:?}", strategy(find("scheduling.k8s.io", "priorityclasses"))).contains("PriorityClasses"));
    assert!(format!("{:?}", strategy(find("", "configmaps"))).contains("Generic"));
    let mut widgets = find("", "configmaps").clone();
    widgets.decoder = Decoder::Custom(Arc::new(CustomSchema { schema: json!({}), columns: Vec::new() }));
    assert!(format!("{:?}", strategy(&widgets)).contains("CustomResources"));
}

#[test]
fn new_objects_start_with_their_kinds_status() {
    let registry = Registry::builtin();
    let created = |plural: &str| {
        let resource = registry.find("", "v1", plural).expect("served");
        let mut object = json!({ "metadata": { "name": "x" }, "status": { "phase": "Running" } });
        strategy(resource).prepare_status_for_create(resource, &mut object);
        object
    };
    assert_eq!(created("pods")["status"], json!({ "phase": "Pending" }));
    assert_eq!(created("persistentvolumeclaims")["status"], json!({ "phase": "Pending" }));
    assert_eq!(created("nodes")["status"], json!({ "phase": "Running" }), "a node keeps what its kubelet reports");
    assert_eq!(created("services")["status"], json!({}));
    assert_eq!(created("configmaps")["status"], json!({ "phase": "Running" }), "no status subresource: as given");
    let namespace = created("namespaces");
    assert_eq!(namespace["status"], json!({ "phase": "Active" }));
    assert_eq!(namespace["spec"]["finalizers"], json!(["kubernetes"]));
}

/// The field and message of each cause, as `field: message`.
fn cause_lines(causes: &[Cause]) -> Vec<String> {
    causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect()
}

#[test]
fn certificate_signing_requests_are_checked_on_create() {
    use base64::Engine;
    let request = rcgen::CertificateParams::new(Vec::<String>::new())
        .unwrap()
        .serialize_request(&rcgen::KeyPair::generate().unwrap())
        .unwrap()
        .pem()
        .unwrap();
    let encode = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    let csr = |request: &str, signer: &str, extra: serde_json::Value| {
        let mut spec = json!({ "request": encode(request), "signerName": signer, "usages": ["client auth"] });
        spec.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({ "metadata": { "name": "x" }, "spec": spec })
    };
    let check = |csr: serde_json::Value, expect: &[&str]| {
        assert_eq!(cause_lines(&certificatesigningrequests::validate_create(&csr)), expect);
    };
    check(csr(&request, "kubernetes.io/kube-apiserver-client", json!({ "expirationSeconds": 600 })), &[]);
    check(csr(&request, "example.com/anything", json!({})), &[]);
    check(
        csr("garbage", "kubernetes.io/kube-apiserver-client", json!({})),
        &[
            "spec.request: Invalid value: []byte{0x67, 0x61, 0x72, 0x62, 0x61, 0x67, 0x65}: PEM block type must be CERTIFICATE REQUEST",
        ],
    );
    check(
        csr(
            &request,
            "kubernetes.io/legacy-unknown",
            json!({ "expirationSeconds": 599, "usages": ["client auth", "flying"] }),
        ),
        &[
            "spec.signerName: Invalid value: \"kubernetes.io/legacy-unknown\": the legacy signerName is not allowed via this API version",
            &format!("spec.usages[1]: Unsupported value: \"flying\": supported values: {}", {
                let all = [
                    "signing",
                    "digital signature",
                    "content commitment",
                    "key encipherment",
                    "key agreement",
                    "data encipherment",
                    "cert sign",
                    "crl sign",
                    "encipher only",
                    "decipher only",
                    "any",
                    "server auth",
                    "client auth",
                    "code signing",
                    "email protection",
                    "s/mime",
                    "ipsec end system",
                    "ipsec tunnel",
                    "ipsec user",
                    "timestamping",
                    "ocsp signing",
                    "microsoft sgc",
                    "netscape sgc",
                ];
                all.iter().map(|u| format!("\"{u}\"")).collect::<Vec<_>>().join(", ")
            }),
            "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)",
        ],
    );
    check(
        json!({ "spec": {} }),
        &["spec.request: Required value", "spec.signerName: Required value", "spec.usages: Required value"],
    );
}

#[test]
fn certificate_signing_request_conditions_follow_upstream_rules() {
    let with = |conditions: serde_json::Value| json!({ "status": { "conditions": conditions } });
    let approved = json!({ "type": "Approved", "status": "True" });
    let denied = json!({ "type": "Denied", "status": "True" });
    let check = |new: serde_json::Value, old: serde_json::Value, approval: bool, expect: &[&str]| {
        let causes = certificatesigningrequests::validate_conditions_update(&new, &old, approval);
        assert_eq!(cause_lines(&causes), expect);
    };
    check(with(json!([approved])), json!({}), true, &[]);
    check(
        with(json!([approved, denied])),
        json!({}),
        true,
        &["status.conditions: Invalid value: the conditions: Approved and Denied conditions are mutually exclusive"],
    );
    check(
        json!({}),
        with(json!([approved])),
        true,
        &["status.conditions: Forbidden: updates may not remove a condition of type \"Approved\""],
    );
    check(
        with(json!([denied])),
        json!({}),
        false,
        &["status.conditions: Forbidden: updates may not add a condition of type \"Denied\""],
    );
    check(
        with(json!([{ "type": "Approved", "status": "False" }, { "type": "Failed", "status": "Maybe" }])),
        json!({}),
        true,
        &[
            "status.conditions[0].status: Unsupported value: \"False\": supported values: \"True\"",
            "status.conditions[1].status: Unsupported value: \"Maybe\": supported values: \"False\", \"True\", \"Unknown\"",
        ],
    );
}

use serde_json::{Value, json};

use super::{Injection, inject, injection_for};

fn account(annotations: Value) -> Value {
    json!({ "apiVersion": "v1", "kind": "ServiceAccount", "metadata": { "name": "app", "annotations": annotations } })
}

fn pod(annotations: Value, containers: Value) -> Value {
    json!({
        "metadata": { "name": "p", "annotations": annotations },
        "spec": {
            "serviceAccountName": "app",
            "containers": containers,
            "volumes": [{ "name": "kube-api-access-abcde", "projected": { "sources": [] } }],
        },
    })
}

fn env_of(container: &Value) -> Vec<(String, String)> {
    container["env"]
        .as_array()
        .map(|env| {
            env.iter()
                .map(|var| (var["name"].as_str().unwrap().to_owned(), var["value"].as_str().unwrap().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

const ROLE: &str = "arn:aws:iam::111122223333:role/app";

fn no_jitter(_: i64, high: i64) -> i64 {
    high
}

#[test]
fn irsa_adds_the_role_env_the_token_volume_first_and_its_mount() {
    let sa = account(json!({ "eks.amazonaws.com/role-arn": ROLE }));
    let mut pod = pod(json!({}), json!([{ "name": "app", "image": "i" }]));
    let injection = injection_for(&pod, &sa, false, "us-west-2", no_jitter).expect("an IRSA account");
    inject(&mut pod, &injection);
    let container = &pod["spec"]["containers"][0];
    let expected: Vec<(String, String)> = [
        ("AWS_STS_REGIONAL_ENDPOINTS", "regional"),
        ("AWS_DEFAULT_REGION", "us-west-2"),
        ("AWS_REGION", "us-west-2"),
        ("AWS_ROLE_ARN", ROLE),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(env_of(container), expected);
    assert_eq!(
        container["volumeMounts"],
        json!([{ "name": "aws-iam-token", "readOnly": true, "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount" }])
    );
    let volumes = pod["spec"]["volumes"].as_array().unwrap();
    assert_eq!(volumes.len(), 2);
    assert_eq!(
        volumes[0],
        json!({ "name": "aws-iam-token", "projected": { "sources": [{ "serviceAccountToken": {
            "audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token" } }] } })
    );
    assert!(pod["metadata"]["labels"].is_null(), "IRSA sets no label: {pod}");
}

#[test]
fn account_and_pod_annotations_change_audience_lifetime_regional_sts_and_skipped_containers() {
    let sa = account(json!({
        "eks.amazonaws.com/role-arn": ROLE,
        "eks.amazonaws.com/audience": "custom",
        "eks.amazonaws.com/token-expiration": "3600",
        "eks.amazonaws.com/sts-regional-endpoints": "false",
    }));
    let mut pod = pod(
        json!({ "eks.amazonaws.com/token-expiration": "60", "eks.amazonaws.com/skip-containers": "sidecar,other" }),
        json!([
            { "name": "app", "image": "i", "env": [{ "name": "AWS_REGION", "value": "eu-west-1" }] },
            { "name": "sidecar", "image": "i" },
        ]),
    );
    let injection = injection_for(&pod, &sa, false, "us-west-2", no_jitter).unwrap();
    assert_eq!(injection.audience, "custom");
    assert_eq!(injection.expiration_seconds, 600, "the pod's lifetime wins but is raised to the minimum");
    assert!(!injection.regional_sts);
    inject(&mut pod, &injection);
    let names: Vec<String> = env_of(&pod["spec"]["containers"][0]).into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        ["AWS_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"],
        "a region already set stays alone"
    );
    let sidecar = &pod["spec"]["containers"][1];
    assert!(sidecar["env"].is_null() && sidecar["volumeMounts"].is_null(), "skipped: {sidecar}");
}

#[test]
fn pod_identity_wins_over_irsa_and_labels_the_pod() {
    let sa = account(json!({ "eks.amazonaws.com/role-arn": ROLE }));
    let mut pod = pod(json!({}), json!([{ "name": "app", "image": "i" }]));
    pod["spec"]["initContainers"] = json!([{ "name": "init", "image": "i" }]);
    let injection = injection_for(&pod, &sa, true, "us-east-1", |low, high| {
        assert_eq!((low, high), (79_200, 86_400));
        80_000
    })
    .unwrap();
    assert_eq!(injection.role_arn, None);
    assert_eq!(injection.expiration_seconds, 80_000, "the default lifetime gets the jitter");
    inject(&mut pod, &injection);
    for container in [&pod["spec"]["initContainers"][0], &pod["spec"]["containers"][0]] {
        let env = env_of(container);
        assert!(
            env.contains(&("AWS_CONTAINER_CREDENTIALS_FULL_URI".into(), "http://169.254.170.23/v1/credentials".into()))
        );
        assert!(env.contains(&(
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE".into(),
            "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token".into()
        )));
        assert!(!env.iter().any(|(name, _)| name == "AWS_ROLE_ARN"), "{env:?}");
    }
    assert_eq!(pod["metadata"]["labels"]["eks.amazonaws.com/pod-identity"], "enabled");
    assert_eq!(
        pod["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]["audience"],
        "pods.eks.amazonaws.com"
    );
}

#[test]
fn nothing_without_a_role_or_association_and_nothing_twice() {
    let plain = account(json!({}));
    let pod_value = pod(json!({}), json!([{ "name": "app", "image": "i" }]));
    assert_eq!(injection_for(&pod_value, &plain, false, "us-west-2", no_jitter), None);
    assert_eq!(
        injection_for(&pod_value, &account(json!({ "eks.amazonaws.com/role-arn": "" })), false, "r", no_jitter),
        None
    );

    let injection = Injection {
        role_arn: Some(ROLE.into()),
        audience: "sts.amazonaws.com".into(),
        expiration_seconds: 86_400,
        regional_sts: true,
        region: "us-west-2".into(),
    };
    let mut once = pod_value.clone();
    inject(&mut once, &injection);
    let mut twice = once.clone();
    inject(&mut twice, &injection);
    assert_eq!(once, twice, "a pod that has it all is left as it is");
}

#[test]
fn windows_pods_get_a_windows_path_and_garbage_is_survived() {
    let sa = account(json!({ "eks.amazonaws.com/role-arn": ROLE, "eks.amazonaws.com/token-expiration": "soon" }));
    let mut pod = pod(json!({}), json!([{ "name": "app", "image": "i" }]));
    pod["spec"]["nodeSelector"] = json!({ "kubernetes.io/os": "windows" });
    let injection = injection_for(&pod, &sa, false, "us-west-2", no_jitter).unwrap();
    assert_eq!(injection.expiration_seconds, 86_400, "an unreadable lifetime falls back to the default");
    inject(&mut pod, &injection);
    let env = env_of(&pod["spec"]["containers"][0]);
    assert!(env.contains(&(
        "AWS_WEB_IDENTITY_TOKEN_FILE".into(),
        "C:\\var\\run\\secrets\\eks.amazonaws.com\\serviceaccount\\token".into()
    )));

    for mut garbage in [json!(null), json!({ "spec": 7 }), json!({ "spec": { "containers": [1, "x", null] } })] {
        inject(&mut garbage, &injection);
    }
}

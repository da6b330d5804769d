//! Tests of the public API: defaulting fixtures in `test_data/defaults`, validation cases written as the
//! `field: message` lines kube-apiserver prints, admission, and garbage input that must give errors rather than
//! panics. The validators' own tests sit beside their modules.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kube_core::SelectorExt;

use serde_json::{Value, json};

use crate::{
    FieldError, admit_pod, default_object, prepare_for_create, service_needs_cluster_ip, service_node_ports_needed,
};

/// The selector matcher the API server passes: kube-core's, over the typed selector.
fn selects(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let parsed =
        serde_json::from_value::<k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>(selector.clone());
    parsed.ok().and_then(|typed| kube_core::Selector::try_from(typed).ok()).is_some_and(|s| s.matches(labels))
}

fn validate_create(object: &Value) -> Vec<FieldError> {
    crate::validate_create(object, selects)
}

fn validate_update(new: &Value, old: &Value) -> Vec<FieldError> {
    crate::validate_update(new, old, selects)
}

fn yaml(text: &str) -> Value {
    serde_norway::from_str(text).expect("test YAML parses")
}

fn lines(errors: &[FieldError]) -> Vec<String> {
    errors.iter().map(ToString::to_string).collect()
}

// Defaulting fixtures.

#[test]
fn defaults_match_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/defaults");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.to_string_lossy().ends_with(".input.yaml"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 20, "fixtures are missing");
    let mut failures = Vec::new();
    for input_path in inputs {
        let mut object = yaml(&std::fs::read_to_string(&input_path).expect("read fixture"));
        default_object(&mut object);
        prepare_for_create(&mut object);
        let output_path = PathBuf::from(input_path.to_string_lossy().replace(".input.yaml", ".output.yaml"));
        let actual = serde_norway::to_string(&object).expect("YAML output");
        if update {
            std::fs::write(&output_path, &actual).expect("write fixture");
            continue;
        }
        let expected = std::fs::read_to_string(&output_path).unwrap_or_default();
        if expected.is_empty() || yaml(&expected) != object {
            failures.push(format!("{}:\n{actual}", output_path.display()));
        }
        // Defaulting twice changes nothing, and the defaulted fixture is valid.
        let mut again = object.clone();
        default_object(&mut again);
        assert_eq!(again, object, "{} defaults are not idempotent", input_path.display());
        if object["kind"] != "Widget" {
            assert_eq!(lines(&validate_create(&object)), Vec::<String>::new(), "{}", input_path.display());
        }
    }
    assert!(failures.is_empty(), "fixtures differ (UPDATE_EXPECT=1 refreshes them):\n{}", failures.join("\n"));
}

#[test]
fn only_a_create_resets_a_pods_status() {
    let running = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "p" },
                          "spec": { "containers": [{ "name": "c", "image": "nginx" }] },
                          "status": { "phase": "Running", "qosClass": "BestEffort", "podIP": "10.0.1.5" } });
    let mut updated = running.clone();
    default_object(&mut updated);
    assert_eq!(updated["status"], running["status"], "defaulting an update keeps the status it is given");
    prepare_for_create(&mut updated);
    assert_eq!(updated["status"], json!({ "phase": "Pending", "qosClass": "BestEffort" }));
    let mut service = json!({ "apiVersion": "v1", "kind": "Service", "status": { "loadBalancer": {} } });
    prepare_for_create(&mut service);
    assert_eq!(service["status"], json!({ "loadBalancer": {} }), "other kinds are left alone");
}

#[test]
fn always_encoded_status_counters_are_zero_until_counted() {
    let mut daemon_set = json!({ "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": { "name": "d" } });
    default_object(&mut daemon_set);
    assert_eq!(
        daemon_set["status"],
        json!({ "currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0 })
    );
    // A status update that leaves a counter out has it at zero, and counts it sends are kept.
    let mut replica_set = json!({ "apiVersion": "apps/v1", "kind": "ReplicaSet", "status": { "readyReplicas": 2 } });
    default_object(&mut replica_set);
    assert_eq!(replica_set["status"], json!({ "readyReplicas": 2, "replicas": 0 }));
    let mut counted = json!({ "apiVersion": "apps/v1", "kind": "StatefulSet", "status": { "replicas": 3 } });
    default_object(&mut counted);
    assert_eq!(counted["status"], json!({ "replicas": 3, "availableReplicas": 0 }));
    for (api_version, expected) in [
        ("autoscaling/v1", json!({ "currentReplicas": 0, "desiredReplicas": 0 })),
        ("autoscaling/v2", json!({ "desiredReplicas": 0 })),
    ] {
        let mut autoscaler = json!({ "apiVersion": api_version, "kind": "HorizontalPodAutoscaler" });
        default_object(&mut autoscaler);
        assert_eq!(autoscaler["status"], expected, "{api_version}");
    }
    let mut deployment = json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": "d" } });
    default_object(&mut deployment);
    assert_eq!(deployment.get("status"), None, "every Deployment counter may be omitted");
    let mut wrong_type = json!({ "apiVersion": "v1", "kind": "ReplicationController", "status": "ready" });
    default_object(&mut wrong_type);
    assert_eq!(wrong_type["status"], "ready", "a status of the wrong type is left for validation");
}

#[test]
fn a_create_clears_the_status_of_workloads_and_autoscalers() {
    let mut replica_set = json!({ "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": { "name": "r" },
                                  "status": { "replicas": 5, "readyReplicas": 5, "observedGeneration": 9 } });
    prepare_for_create(&mut replica_set);
    assert_eq!(replica_set["status"], json!({ "replicas": 0 }));
    let mut job = json!({ "apiVersion": "batch/v1", "kind": "Job", "status": { "succeeded": 1 } });
    prepare_for_create(&mut job);
    assert_eq!(job["status"], json!({}));
    let mut widget = json!({ "apiVersion": "example.com/v1", "kind": "Widget", "status": { "ready": true } });
    prepare_for_create(&mut widget);
    assert_eq!(widget["status"], json!({ "ready": true }), "kinds without such a strategy keep what they are sent");
}

#[test]
fn default_object_leaves_non_objects_alone() {
    for mut garbage in [json!(null), json!(3), json!("Pod"), json!([{"kind": "Pod"}])] {
        let before = garbage.clone();
        default_object(&mut garbage);
        assert_eq!(garbage, before);
    }
}

pub(crate) const LABEL_REGEX: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
pub(crate) const SUBDOMAIN_REGEX: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

// Validation on create: the object is defaulted first, as the API server does.

fn check(input: &str, expect: &[&str]) {
    let mut object = yaml(input);
    default_object(&mut object);
    assert_eq!(lines(&validate_create(&object)), expect, "object:\n{input}");
}

fn check_update(old: &str, new: &str, expect: &[&str]) {
    let (mut old, mut new) = (yaml(old), yaml(new));
    default_object(&mut old);
    default_object(&mut new);
    assert_eq!(lines(&validate_update(&new, &old)), expect);
}

fn pod_with(container: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n{container}")
}

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}";

#[test]
fn metadata() {
    check(POD, &[]);
    check(
        "apiVersion: v1\nkind: Pod\nmetadata: {}\nspec: {containers: [{name: c, image: i}]}",
        &["metadata.name: Required value: name or generateName is required"],
    );
    check(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec: {containers: [{name: c, image: i}]}",
        &[&format!("metadata.name: Invalid value: \"Bad_Name\": {SUBDOMAIN_REGEX}")],
    );
    check(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}",
        &["metadata.name: Invalid value: \"a.b\": must not contain dots"],
    );
    check(
        "apiVersion: v1\nkind: Service\nmetadata: {name: 1svc}\nspec: {ports: [{port: 80}]}",
        &[
            "metadata.name: Invalid value: \"1svc\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        ],
    );
    check(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: 'system:a/b'}",
        &["metadata.name: Invalid value: \"system:a/b\": may not contain '/'"],
    );
    check("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: 'system:Admin'}", &[]);
    check("apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: web-, name: web-x2z9q}", &[]);
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: Web-, name: web-x2z9q}",
        &[&format!("metadata.generateName: Invalid value: \"Web-\": {SUBDOMAIN_REGEX}")],
    );
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {'app/x/y': ok, tier: -bad}}",
        &[
            "metadata.labels: Invalid value: \"app/x/y\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
            "metadata.labels: Invalid value: \"-bad\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ],
    );
    check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, annotations: {'Example.com/Note': ok}}", &[]);
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, finalizers: [example.com/cleanup, cleanup]}",
        &[
            "metadata.finalizers[1]: Invalid value: \"cleanup\": name is neither a standard finalizer name nor is it fully qualified",
        ],
    );
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, finalizers: [orphan, foregroundDeletion]}",
        &[
            "metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: finalizer orphan and foregroundDeletion cannot be both set",
        ],
    );
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, ownerReferences: [{apiVersion: v1, kind: Event, name: e, uid: u}, {apiVersion: apps/v1, kind: '', name: '', uid: ''}]}",
        &[
            "metadata.ownerReferences: Invalid value: {\"apiVersion\":\"v1\",\"kind\":\"Event\",\"name\":\"e\",\"uid\":\"u\"}: /v1, Kind=Event is disallowed from being an owner",
            "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty",
            "metadata.ownerReferences.name: Invalid value: \"\": must not be empty",
            "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty",
        ],
    );
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: Default}",
        &[&format!("metadata.namespace: Invalid value: \"Default\": {LABEL_REGEX}")],
    );
    let big = "x".repeat(256 * 1024);
    check(
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, annotations: {{a: {big}}}}}"),
        &["metadata.annotations: Too long: must have at most 262144 bytes"],
    );
}

#[test]
fn pods() {
    check("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}", &["spec.containers: Required value"]);
    check(&pod_with("  - {name: c}"), &["spec.containers[0].image: Required value"]);
    check(
        &pod_with("  - {name: Web, image: i}"),
        &[&format!("spec.containers[0].name: Invalid value: \"Web\": {LABEL_REGEX}")],
    );
    check(
        &pod_with("  - {name: c, image: i}\n  - {name: c, image: j}"),
        &["spec.containers[1].name: Duplicate value: \"c\""],
    );
    check(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers: [{name: c, image: i}]\n  containers: [{name: c, image: i}]",
        &["spec.containers[0].name: Duplicate value: \"c\""],
    );
    check(
        &pod_with("  - {name: c, image: i, ports: [{containerPort: 70000}, {containerPort: 0}]}"),
        &[
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "spec.containers[0].ports[1].containerPort: Required value",
        ],
    );
    check(
        &pod_with(
            "  - {name: c, image: i, ports: [{containerPort: 80, name: web, protocol: HTTP}, {containerPort: 81, name: web}]}",
        ),
        &[
            "spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            "spec.containers[0].ports[1].name: Duplicate value: \"web\"",
        ],
    );
    check(
        &pod_with("  - {name: c, image: i, ports: [{containerPort: 80, name: Web_Port}]}"),
        &[
            "spec.containers[0].ports[0].name: Invalid value: \"Web_Port\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        ],
    );
    check(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {restartPolicy: Sometimes, dnsPolicy: Google, containers: [{name: c, image: i}]}",
        &[
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
            "spec.dnsPolicy: Unsupported value: \"Google\": supported values: \"ClusterFirst\", \"ClusterFirstWithHostNet\", \"Default\", \"None\"",
        ],
    );
    check(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes: [{name: v, emptyDir: {}}, {name: v, emptyDir: {}}]\n  containers: [{name: c, image: i, volumeMounts: [{name: w, mountPath: /a}, {name: v, mountPath: /a}]}]",
        &[
            "spec.volumes[1].name: Duplicate value: \"v\"",
            "spec.containers[0].volumeMounts[0].name: Not found: \"w\"",
            "spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"/a\": must be unique",
        ],
    );
    check(
        &pod_with("  - {name: c, image: i, env: [{name: 'A=B'}, {name: ''}, {name: OK, value: x}]}"),
        &[
            "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
            "spec.containers[0].env[1].name: Required value",
        ],
    );
    check(
        &pod_with(
            "  - {name: c, image: i, resources: {requests: {cpu: '2', memory: 1Gi}, limits: {cpu: '1', memory: 1Gi}}}",
        ),
        &["spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1"],
    );
    check(
        &pod_with("  - {name: c, image: i, resources: {requests: {cpu: lots, gpu: '1', memory: '-1'}}}"),
        &[
            "spec.containers[0].resources.requests[cpu]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            "spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a standard resource for containers",
            "spec.containers[0].resources.requests[memory]: Invalid value: \"-1\": must be greater than or equal to 0",
        ],
    );
    check(
        &pod_with(
            "  - {name: c, image: i, resources: {limits: {example.com/fpga: '2'}, requests: {example.com/fpga: '1'}}}",
        ),
        &["spec.containers[0].resources.requests: Invalid value: \"1\": must be equal to example.com/fpga limit of 2"],
    );
    check(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {activeDeadlineSeconds: 0, terminationGracePeriodSeconds: -1, containers: [{name: c, image: i}]}",
        &[
            "spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0",
            "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive",
        ],
    );
    check(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}], ephemeralContainers: [{name: e, image: i}]}",
        &["spec.ephemeralContainers: Forbidden: cannot be set on create"],
    );
    check(
        &pod_with(
            "  - {name: c, image: i, restartPolicy: Always, livenessProbe: {periodSeconds: 5}, readinessProbe: {httpGet: {port: 0}, exec: {command: [x]}}}",
        ),
        &[
            "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers",
            "spec.containers[0].livenessProbe: Required value: must specify a handler type",
            "spec.containers[0].readinessProbe.httpGet: Forbidden: may not specify more than 1 handler type",
            "spec.containers[0].readinessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive",
        ],
    );
    check(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers: [{name: a, image: i, restartPolicy: Always, startupProbe: {tcpSocket: {port: 80}}}, {name: b, image: i, readinessProbe: {tcpSocket: {port: 80}}}, {name: c, image: i, restartPolicy: Never}]\n  containers: [{name: d, image: i}]",
        &[
            "spec.initContainers[1].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
            "spec.initContainers[2].restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
        ],
    );
    check(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {hostNetwork: true, containers: [{name: c, image: i, ports: [{containerPort: 80, hostPort: 8080}]}]}",
        &[
            "spec.containers[0].ports[0].containerPort: Invalid value: 80: must match `hostPort` when `hostNetwork` is true",
        ],
    );
    check(
        &pod_with("  - {name: c, image: i, imagePullPolicy: Sometimes}"),
        &[
            "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
        ],
    );
    check(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {tolerations: [{operator: Equal, value: x}], containers: [{name: c, image: i}]}",
        &[
            "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
        ],
    );
}

#[test]
fn pod_updates() {
    let old = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, uid: u1}\nspec: {tolerations: [{key: a, operator: Exists}], activeDeadlineSeconds: 60, containers: [{name: c, image: nginx:1}]}";
    check_update(old, &old.replace("nginx:1", "nginx:2"), &[]);
    check_update(old, &old.replace("60", "30"), &[]);
    check_update(
        old,
        &old.replace("60", "90"),
        &["spec.activeDeadlineSeconds: Invalid value: 90: must be less than or equal to previous value"],
    );
    check_update(
        old,
        &old.replace("[{key: a, operator: Exists}]", "[{key: a, operator: Exists}, {key: b, operator: Exists}]"),
        &[],
    );
    check_update(old, &old.replace("uid: u1", "uid: u2"), &["metadata.uid: Invalid value: \"u2\": field is immutable"]);
    check_update(
        old,
        &old.replace("name: c, image: nginx:1", "name: c, image: nginx:1, ports: [{containerPort: 80}]"),
        &[
            "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n  core.PodSpec{\n- \tcontainers: [{\"image\":\"nginx:1\",\"imagePullPolicy\":\"IfNotPresent\",\"name\":\"c\",\"resources\":{},\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\"}],\n+ \tcontainers: [{\"image\":\"nginx:1\",\"imagePullPolicy\":\"IfNotPresent\",\"name\":\"c\",\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],\"resources\":{},\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\"}],\n  }",
        ],
    );
    check_update(
        old,
        &old.replace("{name: c, image: nginx:1}", "{name: c, image: nginx:1}, {name: d, image: x}"),
        &["spec.containers: Forbidden: pod updates may not add or remove containers"],
    );
    check_update(
        old,
        &old.replace("{key: a, operator: Exists}", "{key: b, operator: Exists}"),
        &["spec.tolerations[0]: Forbidden: existing toleration can not be modified except its tolerationSeconds"],
    );
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: i}]}";

#[test]
fn workloads() {
    check(DEPLOYMENT, &[]);
    check(
        &DEPLOYMENT.replace("labels: {app: web}", "labels: {app: api}"),
        &[
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"api\"}: `selector` does not match template `labels`",
        ],
    );
    check(&DEPLOYMENT.replace("  selector: {matchLabels: {app: web}}\n", ""), &["spec.selector: Required value"]);
    check(
        &DEPLOYMENT.replace("{matchLabels: {app: web}}", "{}"),
        &[
            "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid for deployment",
        ],
    );
    check(
        &DEPLOYMENT.replace("spec:\n  selector", "spec:\n  replicas: -1\n  selector"),
        &["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
    );
    check(
        &DEPLOYMENT.replace("spec: {containers", "spec: {restartPolicy: Never, containers"),
        &["spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""],
    );
    check(
        &DEPLOYMENT.replace(
            "spec:\n  selector",
            "spec:\n  strategy: {type: Recreate, rollingUpdate: {maxSurge: 1}}\n  selector",
        ),
        &["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
    );
    check(
        &DEPLOYMENT.replace(
            "spec:\n  selector",
            "spec:\n  strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}\n  selector",
        ),
        &["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"],
    );
    check(
        &DEPLOYMENT.replace("spec:\n  selector", "spec:\n  strategy: {rollingUpdate: {maxSurge: 'x%'}}\n  selector"),
        &[
            "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"x%\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
        ],
    );
    check(
        &DEPLOYMENT.replace("{matchLabels: {app: web}}", "{matchExpressions: [{key: app, operator: Near}]}"),
        &["spec.selector.matchExpressions[0].operator: Invalid value: \"Near\": not a valid selector operator"],
    );
    check_update(
        DEPLOYMENT,
        &DEPLOYMENT.replace("{app: web}", "{app: web2}"),
        &[
            "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{app: web2,},MatchExpressions:[]LabelSelectorRequirement{},}: field is immutable",
        ],
    );
    check_update(DEPLOYMENT, &DEPLOYMENT.replace("image: i", "image: j"), &[]);
    let daemon_set = DEPLOYMENT.replace("Deployment", "DaemonSet");
    check(&daemon_set, &[]);
    check(
        &daemon_set.replace("{matchLabels: {app: web}}", "{}"),
        &[
            "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid for daemonset",
        ],
    );
    let stateful_set = DEPLOYMENT.replace("Deployment", "StatefulSet");
    check(
        &stateful_set.replace("spec:\n  selector", "spec:\n  podManagementPolicy: Random\n  selector"),
        &["spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"],
    );
    check_update(
        &stateful_set,
        &stateful_set.replace("spec:\n  selector", "spec:\n  serviceName: other\n  selector"),
        &[
            "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ],
    );
    check_update(&stateful_set, &stateful_set.replace("spec:\n  selector", "spec:\n  replicas: 5\n  selector"), &[]);
    let controller = "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec:\n  selector: {app: a}\n  template:\n    metadata: {labels: {app: b}}\n    spec: {containers: [{name: c, image: i}]}";
    check(
        controller,
        &[
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"b\"}: `selector` does not match template `labels`",
        ],
    );
    check(&controller.replace("app: a", "app: b"), &[]);
}

const JOB: &str = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, uid: 11111111-2222-4333-8444-555555555555}\nspec:\n  template:\n    spec: {restartPolicy: Never, containers: [{name: c, image: i}]}";

#[test]
fn jobs() {
    check(JOB, &[]);
    check(
        &JOB.replace("Never", "Always"),
        &[
            "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"",
        ],
    );
    check(
        &JOB.replace("metadata: {name: j, uid: 11111111-2222-4333-8444-555555555555}", "metadata: {name: j}"),
        &["spec.selector: Required value"],
    );
    check(
        &JOB.replace("spec:\n  template", "spec:\n  backoffLimit: -1\n  completionMode: Sometimes\n  template"),
        &[
            "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0",
            "spec.completionMode: Unsupported value: \"Sometimes\": supported values: \"NonIndexed\", \"Indexed\"",
        ],
    );
    check(
        &JOB.replace(
            "spec:\n  template",
            "spec:\n  manualSelector: true\n  selector: {matchLabels: {a: b}}\n  template",
        ),
        &[
            "spec.template.metadata.labels: Invalid value: map[string]string{}: `selector` does not match template `labels`",
        ],
    );
    check(
        &JOB.replace(
            "spec:\n  template",
            "spec:\n  selector: {matchLabels: {batch.kubernetes.io/controller-uid: other}}\n  template",
        ),
        &[
            "spec.template.metadata.labels: Invalid value: map[string]string{\"batch.kubernetes.io/controller-uid\":\"11111111-2222-4333-8444-555555555555\", \"batch.kubernetes.io/job-name\":\"j\", \"controller-uid\":\"11111111-2222-4333-8444-555555555555\", \"job-name\":\"j\"}: `selector` does not match template `labels`",
            "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{batch.kubernetes.io/controller-uid: other,},MatchExpressions:[]LabelSelectorRequirement{},}: `selector` not auto-generated",
        ],
    );
    let mut old = yaml(JOB);
    default_object(&mut old);
    let mut new = old.clone();
    new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("j");
    new["spec"]["parallelism"] = json!(3);
    let errors = lines(&validate_update(&new, &old));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("spec.template: Invalid value: {") && errors[0].ends_with("}: field is immutable"));
}

const CRON_JOB: &str = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '*/5 * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec: {restartPolicy: OnFailure, containers: [{name: c, image: i}]}";

#[test]
fn cron_jobs() {
    check(CRON_JOB, &[]);
    check(
        &CRON_JOB.replace("*/5 * * * *", "every minute"),
        &["spec.schedule: Invalid value: \"every minute\": expected exactly 5 fields, found 2: [every minute]"],
    );
    check(
        &CRON_JOB.replace("*/5 * * * *", "70 * * * *"),
        &["spec.schedule: Invalid value: \"70 * * * *\": end of range (70) above maximum (59): 70"],
    );
    check(
        &CRON_JOB.replace("*/5 * * * *", "TZ=UTC 0 * * * *"),
        &[
            "spec.schedule: Invalid value: \"TZ=UTC 0 * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
        ],
    );
    check(&CRON_JOB.replace("*/5 * * * *", "@weekly"), &[]);
    check(
        &CRON_JOB.replace("spec:\n  schedule", "spec:\n  concurrencyPolicy: Sometimes\n  schedule"),
        &[
            "spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\"",
        ],
    );
    check(
        &CRON_JOB.replace("OnFailure", "Always"),
        &[
            "spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"",
        ],
    );
    let long = "a".repeat(53);
    check(
        &CRON_JOB.replace("name: c}", &format!("name: {long}}}")),
        &[&format!("metadata.name: Invalid value: \"{long}\": must be no more than 52 characters")],
    );
}

const SERVICE: &str =
    "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: {app: a}, ports: [{port: 80}]}";

#[test]
fn services() {
    check(SERVICE, &[]);
    check("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {}", &["spec.ports: Required value"]);
    check("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: None}", &[]);
    check(
        &SERVICE.replace("[{port: 80}]", "[{port: 80}, {port: 80, name: b}]"),
        &[
            "spec.ports[0].name: Required value",
            "spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}",
        ],
    );
    check(
        &SERVICE.replace("[{port: 80}]", "[{port: 0, targetPort: 70000}]"),
        &[
            "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        ],
    );
    check(
        &SERVICE.replace("{selector", "{type: NodePort, selector").replace("{port: 80}", "{port: 80, nodePort: 80}"),
        &[
            "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767",
        ],
    );
    check(
        &SERVICE
            .replace("{selector", "{type: NodePort, selector")
            .replace("[{port: 80}]", "[{name: a, port: 80, nodePort: 30080}, {name: b, port: 81, nodePort: 30080}]"),
        &["spec.ports[1].nodePort: Duplicate value: 30080"],
    );
    check(
        &SERVICE.replace("{port: 80}", "{port: 80, nodePort: 30080}"),
        &["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    );
    check(
        &SERVICE.replace("{selector", "{type: Magic, selector"),
        &[
            "spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
            "spec.internalTrafficPolicy: Required value",
        ],
    );
    check(
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: ExternalName}",
        &["spec.externalName: Required value"],
    );
    check(
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: ExternalName, externalName: 'bad_name.com'}",
        &[&format!("spec.externalName: Invalid value: \"bad_name.com\": {SUBDOMAIN_REGEX}")],
    );
    check(
        &SERVICE.replace("{selector", "{clusterIP: 10.0.0.300, selector"),
        &[
            "spec.clusterIPs[0]: Invalid value: \"10.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
        ],
    );
    check(
        &SERVICE.replace("{selector", "{clusterIP: 10.0.0.1, clusterIPs: [10.0.0.2, 10.0.0.3], ipFamilies: [IPv4, IPv4], ipFamilyPolicy: Dual, selector"),
        &[
            "spec.clusterIPs: Invalid value: []string{\"10.0.0.2\", \"10.0.0.3\"}: first value must match `clusterIP`",
            "spec.ipFamilies[1]: Duplicate value: \"IPv4\"",
            "spec.ipFamilyPolicy: Unsupported value: \"Dual\": supported values: \"PreferDualStack\", \"RequireDualStack\", \"SingleStack\"",
            "spec.clusterIPs: Invalid value: []string{\"10.0.0.2\", \"10.0.0.3\"}: may specify no more than one IP for each IP family",
        ],
    );
    check(
        &SERVICE.replace("{selector", "{clusterIP: 'fd00::1', ipFamilies: [IPv4], selector"),
        &["spec.clusterIPs[0]: Invalid value: \"fd00::1\": expected an IPv4 value as indicated by `ipFamilies[0]`"],
    );
    check(
        &SERVICE.replace("{selector", "{clusterIPs: [10.0.0.9], selector"),
        &["spec.clusterIPs: Invalid value: []string{\"10.0.0.9\"}: must be empty when `clusterIP` is not specified"],
    );
    let allocated = SERVICE.replace("{selector", "{clusterIP: 10.96.0.10, selector");
    check_update(
        &allocated,
        &allocated.replace("10.96.0.10", "10.96.0.11"),
        &[
            "spec.clusterIP: Invalid value: \"10.96.0.11\": field is immutable",
            "spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.11\"}: may not change once set",
        ],
    );
    check_update(&allocated, &allocated.replace("port: 80", "port: 81"), &[]);
}

#[test]
fn service_keeps_allocations() {
    let check = |old: &str, new: &str, expect: &str| {
        let (old, mut new, expect) = (yaml(old), yaml(new), yaml(expect));
        crate::service_keep_allocated(&mut new, &old);
        assert_eq!(new, expect);
    };
    let old = "kind: Service\nspec: {type: NodePort, clusterIP: 10.0.0.1, clusterIPs: [10.0.0.1], ports: [{name: a, port: 80, nodePort: 30001}, {name: b, port: 81, nodePort: 30002}]}";
    check(
        old,
        "kind: Service\nspec: {type: NodePort, ports: [{name: a, port: 8080}, {name: b, port: 81, nodePort: 30001}]}",
        "kind: Service\nspec: {type: NodePort, clusterIP: 10.0.0.1, clusterIPs: [10.0.0.1], ports: [{name: a, port: 8080}, {name: b, port: 81, nodePort: 30001}]}",
    );
    check(old, "kind: Service\nspec: {type: ExternalName}", "kind: Service\nspec: {type: ExternalName}");
    check(
        old,
        "kind: Service\nspec: {type: ClusterIP, clusterIP: None, ports: [{name: a, port: 80}]}",
        "kind: Service\nspec: {type: ClusterIP, clusterIP: None, clusterIPs: [10.0.0.1], ports: [{name: a, port: 80}]}",
    );
    check(
        "kind: Service\nspec: {type: LoadBalancer, externalTrafficPolicy: Local, healthCheckNodePort: 31000}",
        "kind: Service\nspec: {type: LoadBalancer, externalTrafficPolicy: Local}",
        "kind: Service\nspec: {type: LoadBalancer, externalTrafficPolicy: Local, healthCheckNodePort: 31000}",
    );
    let mut garbage = json!({"spec": 3});
    crate::service_keep_allocated(&mut garbage, &json!([1]));
    assert_eq!(garbage, json!({"spec": 3}));
}

#[test]
fn service_type_changes_drop_what_the_new_type_does_not_need() {
    let check = |old: &str, new: &str, expect: &str| {
        let (old, mut new, expect) = (yaml(old), yaml(new), yaml(expect));
        crate::service_drop_type_dependent_fields(&mut new, &old);
        assert_eq!(new, expect);
    };
    let balanced = "kind: Service\nspec: {type: LoadBalancer, clusterIP: 10.0.0.1, externalTrafficPolicy: Local, healthCheckNodePort: 31000, allocateLoadBalancerNodePorts: true, loadBalancerClass: x/y, ports: [{port: 80, nodePort: 30001}]}";
    // A patch of the type alone (the rest as stored) leaves a valid ClusterIP Service.
    check(
        balanced,
        &balanced.replace("type: LoadBalancer", "type: ClusterIP"),
        "kind: Service\nspec: {type: ClusterIP, clusterIP: 10.0.0.1, ports: [{port: 80}]}",
    );
    // NodePort keeps its node ports and traffic policy but not what only a LoadBalancer has.
    check(
        balanced,
        &balanced.replace("type: LoadBalancer", "type: NodePort"),
        "kind: Service\nspec: {type: NodePort, clusterIP: 10.0.0.1, externalTrafficPolicy: Local, ports: [{port: 80, nodePort: 30001}]}",
    );
    // What the client changed with the type is its own, for validation to judge.
    check(
        balanced,
        &balanced.replace("type: LoadBalancer", "type: ClusterIP").replace("nodePort: 30001", "nodePort: 30002"),
        "kind: Service\nspec: {type: ClusterIP, clusterIP: 10.0.0.1, ports: [{port: 80, nodePort: 30002}]}",
    );
    check(
        "kind: Service\nspec: {type: ClusterIP, clusterIP: 10.0.0.1, clusterIPs: [10.0.0.1], ipFamilies: [IPv4]}",
        "kind: Service\nspec: {type: ExternalName, externalName: a.example, clusterIP: 10.0.0.1, clusterIPs: [10.0.0.1], ipFamilies: [IPv4]}",
        "kind: Service\nspec: {type: ExternalName, externalName: a.example}",
    );
    // The same type changes nothing; garbage is left alone.
    check(balanced, balanced, balanced);
    let mut garbage = json!({"spec": 3});
    crate::service_drop_type_dependent_fields(&mut garbage, &json!([1]));
    assert_eq!(garbage, json!({"spec": 3}));
}

#[test]
fn service_allocation_helpers() {
    let mut service = yaml(SERVICE);
    default_object(&mut service);
    assert!(service_needs_cluster_ip(&service));
    assert_eq!(service_node_ports_needed(&service), Vec::<usize>::new());
    let mut node_port = yaml(
        &SERVICE
            .replace("{selector", "{type: NodePort, selector")
            .replace("[{port: 80}]", "[{port: 80, nodePort: 30001}, {port: 81, name: b}]"),
    );
    default_object(&mut node_port);
    assert_eq!(service_node_ports_needed(&node_port), vec![1]);
    let headless = yaml("apiVersion: v1\nkind: Service\nspec: {clusterIP: None}");
    assert!(!service_needs_cluster_ip(&headless));
    let external = yaml("apiVersion: v1\nkind: Service\nspec: {type: ExternalName}");
    assert!(!service_needs_cluster_ip(&external));
    let lb = yaml(
        "apiVersion: v1\nkind: Service\nspec: {type: LoadBalancer, allocateLoadBalancerNodePorts: false, ports: [{port: 1}]}",
    );
    assert_eq!(service_node_ports_needed(&lb), Vec::<usize>::new());
}

#[test]
fn config_maps_and_secrets() {
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {'a b': x, ok.key: y}\nbinaryData: {ok.key: eQ==}",
        &[
            "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            "data[ok.key]: Invalid value: \"ok.key\": duplicate of key present in binaryData",
            "binaryData[ok.key]: Invalid value: \"ok.key\": duplicate of key present in data",
        ],
    );
    check(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {'..': x}",
        &["data[..]: Invalid value: \"..\": must not be '..'"],
    );
    let big = "x".repeat(1024 * 1024 + 1);
    check(
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata: {{a: {big}}}"),
        &[": Too long: must have at most 1048576 bytes"],
    );
    let big_b64 = "QUFB".repeat(350_000);
    check(
        &format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\ndata: {{a: {big_b64}}}"),
        &["data: Too long: must have at most 1048576 bytes"],
    );
    check(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/dockerconfigjson\ndata: {}",
        &["data[.dockerconfigjson]: Required value"],
    );
    check(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\ndata: {tls.crt: eA==}",
        &["data[tls.key]: Required value"],
    );
    check(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/basic-auth",
        &["data[username]: Required value", "data[password]: Required value"],
    );
    check(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/service-account-token",
        &["metadata.annotations[kubernetes.io/service-account.name]: Required value"],
    );
    check(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: 'not base64!'}",
        &["data[a]: Invalid value: \"<value redacted>\": must be valid base64 data"],
    );
    check(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/dockerconfigjson\ndata: {.dockerconfigjson: bm90IGpzb24=}",
        &["data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": expected ident at line 1 column 2"],
    );
    check(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/dockerconfigjson\ndata: {.dockerconfigjson: e30=}",
        &[],
    );
    let immutable = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nimmutable: true\ndata: {a: x}";
    check_update(
        immutable,
        &immutable.replace("a: x", "a: y"),
        &["data: Forbidden: field is immutable when `immutable` is set"],
    );
    check_update(
        immutable,
        &immutable.replace("immutable: true", "immutable: false"),
        &["immutable: Forbidden: field is immutable when `immutable` is set"],
    );
    check_update(&immutable.replace("immutable: true", "immutable: false"), &immutable.replace("a: x", "a: y"), &[]);
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: eA==}";
    check_update(
        secret,
        &secret.replace("kind: Secret", "kind: Secret\ntype: example.com/custom"),
        &["type: Invalid value: \"example.com/custom\": field is immutable"],
    );
}

#[test]
fn other_kinds() {
    check(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {volumes: [{name: v, ephemeral: {volumeClaimTemplate: {spec: {storageClassName: x}}}}], containers: [{name: c, image: i}]}",
        &[
            "spec.volumes[0].ephemeral.volumeClaimTemplate.spec.accessModes: Required value: at least 1 access mode is required",
            "spec.volumes[0].ephemeral.volumeClaimTemplate.spec.resources[storage]: Required value",
        ],
    );
    check(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}, volumeClaimTemplates: [{metadata: {name: data}, spec: {accessModes: [ReadWriteOnce]}}]}",
        &["spec.volumeClaimTemplates[0].spec.resources[storage]: Required value"],
    );
    check(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nspec: {}",
        &[
            "spec.accessModes: Required value: at least 1 access mode is required",
            "spec.resources[storage]: Required value",
        ],
    );
    check(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nspec: {accessModes: [ReadWriteSometimes], resources: {requests: {storage: 0}}}",
        &[
            "spec.accessModes: Unsupported value: \"ReadWriteSometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"",
            "spec.resources.requests[storage]: Invalid value: \"0\": must be greater than zero",
        ],
    );
    let claim = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}";
    check_update(claim, &claim.replace("1Gi", "2Gi"), &[]);
    // A class may be given to a claim made without one, never changed once given.
    let with_class = claim.replace("spec: {", "spec: {storageClassName: gp2, ");
    check_update(claim, &with_class, &[]);
    check_update(
        &with_class,
        &with_class.replace("gp2", "gp3"),
        &[
            "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
        ],
    );
    check_update(
        claim,
        &claim.replace("ReadWriteOnce", "ReadWriteMany"),
        &[
            "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
        ],
    );
    check(
        "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: v}\nspec: {accessModes: [ReadWriteOnce], capacity: {storage: 1Gi}}",
        &["spec: Required value: must specify a volume type"],
    );
    check(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\nrules: [{verbs: [get]}, {nonResourceURLs: [/healthz], verbs: [get]}]",
        &[
            "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
            "rules[0].resources: Required value: resource rules must supply at least one resource",
            "rules[1].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs",
        ],
    );
    check(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: [{nonResourceURLs: [/healthz], verbs: [get]}]",
        &[],
    );
    let binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: view}\nsubjects: [{kind: ServiceAccount, name: sa}, {kind: Robot, name: r}]";
    check(
        binding,
        &[
            "subjects[0].namespace: Required value",
            "subjects[1].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
        ],
    );
    check(
        &binding.replace("kind: ClusterRole,", "kind: Role,"),
        &[
            "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
            "subjects[0].namespace: Required value",
            "subjects[1].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
        ],
    );
    let good_binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b}\nroleRef: {kind: Role, name: view}\nsubjects: [{kind: User, name: jane}]";
    check(good_binding, &[]);
    check_update(
        good_binding,
        &good_binding.replace("name: view", "name: edit"),
        &[
            "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"edit\"}: cannot change roleRef",
        ],
    );
    check(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec: {rules: [{host: 1.2.3.4, http: {paths: [{path: api, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}, {path: /x, backend: {service: {name: s, port: {}}}}]}}]}",
        &[
            "spec.rules[0].host: Invalid value: \"1.2.3.4\": must be a DNS name, not an IP address",
            "spec.rules[0].http.paths[0].path: Invalid value: \"api\": must be an absolute path",
            "spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified",
            "spec.rules[0].http.paths[1].backend.service.port: Required value: port name or number is required",
        ],
    );
    check(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec: {podSelector: {}, policyTypes: [Inbound]}",
        &["spec.policyTypes[0]: Unsupported value: \"Inbound\": supported values: \"Ingress\", \"Egress\""],
    );
    check(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {scaleTargetRef: {kind: Deployment, name: web}, minReplicas: 5, maxReplicas: 2}",
        &["spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"],
    );
    check(
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec: {minAvailable: 1, maxUnavailable: 150%}",
        &[
            "spec: Invalid value: {\"maxUnavailable\":\"150%\",\"minAvailable\":1}: minAvailable and maxUnavailable cannot be both set",
            "spec.maxUnavailable: Invalid value: \"150%\": must not be greater than 100%",
        ],
    );
    let class = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: s}\nprovisioner: ebs.csi.aws.com\nparameters: {type: gp3}";
    check(class, &[]);
    check(&class.replace("provisioner: ebs.csi.aws.com\n", ""), &["provisioner: Required value"]);
    check_update(
        class,
        &class.replace("gp3", "gp2").replace("ebs.csi", "efs.csi"),
        &[
            "parameters: Forbidden: updates to parameters are forbidden.",
            "provisioner: Forbidden: updates to provisioner are forbidden.",
        ],
    );
    let priority = "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000";
    check(priority, &[]);
    check(
        &priority.replace("1000", "1000000001"),
        &["value: Forbidden: maximum allowed value of a user defined priority is 1000000000"],
    );
    check(
        &priority.replace("name: high", "name: system-high"),
        &["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. \
           error: system-high is not a known system priority class"],
    );
    check(
        &priority.replace("name: high", "name: system-node-critical"),
        &["metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. \
           error: value of system-node-critical PriorityClass must be 2000001000"],
    );
    check(&priority.replace("name: high", "name: system-node-critical").replace("1000", "2000001000"), &[]);
    check(
        &format!("{priority}\npreemptionPolicy: Sometimes"),
        &["preemptionPolicy: Unsupported value: \"Sometimes\": supported values: \"Never\", \"PreemptLowerPriority\""],
    );
    check(
        &format!("{priority}\nglobalDefault: maybe"),
        &["globalDefault: Invalid value: \"maybe\": must be of type boolean"],
    );
    check_update(
        priority,
        &format!("{}\npreemptionPolicy: Never", priority.replace("1000", "2000")),
        &[
            "value: Forbidden: may not be changed in an update.",
            "preemptionPolicy: Invalid value: \"Never\": field is immutable",
        ],
    );
    check_update(priority, &format!("{priority}\ndescription: changed"), &[]);
    check(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\nspec: {finalizers: [custom]}",
        &[
            "spec.finalizers: Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified",
        ],
    );
}

#[test]
fn metadata_updates() {
    let old = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, generation: 3, deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: [a.io/x]}";
    check_update(old, old, &[]);
    check_update(
        old,
        &old.replace("a.io/x", "a.io/x, b.io/y"),
        &[
            "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"b.io/y\"}",
        ],
    );
    check_update(
        old,
        &old.replace("generation: 3", "generation: 2"),
        &["metadata.generation: Invalid value: 2: must not be decremented"],
    );
    check_update(old, &old.replace("name: c", "name: d"), &["metadata.name: Invalid value: \"d\": field is immutable"]);
}

// Admission.

#[test]
fn admission() {
    let mut pod = yaml(POD);
    admit_pod(&mut pod);
    assert_eq!(pod["spec"]["priority"], 0);
    assert_eq!(pod["spec"]["preemptionPolicy"], "PreemptLowerPriority");
    assert_eq!(
        pod["spec"]["tolerations"],
        json!([
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        ])
    );
    let mut tolerant = yaml(
        "kind: Pod\nspec: {priorityClassName: high, tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, tolerationSeconds: 10}]}",
    );
    admit_pod(&mut tolerant);
    assert!(tolerant["spec"].get("priority").is_none());
    let tolerations = tolerant["spec"]["tolerations"].as_array().expect("tolerations");
    assert_eq!(tolerations.len(), 2);
    assert_eq!(tolerations[0]["tolerationSeconds"], 10);
    let mut all = yaml("kind: Pod\nspec: {tolerations: [{operator: Exists}]}");
    admit_pod(&mut all);
    let mut quick = yaml(POD);
    crate::admit_pod_with(&mut quick, 5);
    let quick = quick["spec"]["tolerations"].as_array().cloned().unwrap_or_default();
    assert!(quick.len() == 2 && quick.iter().all(|t| t["tolerationSeconds"] == 5), "{quick:?}");
    assert_eq!(all["spec"]["tolerations"].as_array().map(Vec::len), Some(1));
    for mut garbage in [json!(null), json!({"spec": 1}), json!({"spec": {"tolerations": "x"}})] {
        let before = garbage.clone();
        admit_pod(&mut garbage);
        if before.get("spec").is_some_and(Value::is_object) {
            assert_eq!(garbage["spec"]["tolerations"], "x");
        } else {
            assert_eq!(garbage, before);
        }
    }
}

#[test]
fn priority_admission_takes_the_value_and_policy_from_the_class() {
    use crate::{PriorityClassRef, admit_priority};
    let high = PriorityClassRef { name: "high", value: 1000, preemption_policy: Some("Never") };
    let mut named = yaml("kind: Pod\nspec: {priorityClassName: high}");
    admit_priority(&mut named, Some(high)).expect("admitted");
    assert_eq!((&named["spec"]["priority"], &named["spec"]["preemptionPolicy"]), (&json!(1000), &json!("Never")));
    // A pod naming no class gets the global default class, or priority 0 without one.
    let mut plain = yaml("kind: Pod\nspec: {}");
    admit_priority(&mut plain, Some(high)).expect("admitted");
    assert_eq!(plain["spec"]["priorityClassName"], "high");
    assert_eq!(plain["spec"]["priority"], 1000);
    let mut plain = yaml("kind: Pod\nspec: {priority: 0}");
    admit_priority(&mut plain, None).expect("admitted");
    assert_eq!(
        (&plain["spec"]["priority"], &plain["spec"]["preemptionPolicy"]),
        (&json!(0), &json!("PreemptLowerPriority"))
    );
    // A missing class, or a priority or policy the class does not give, is forbidden and nothing changes.
    let mut missing = yaml("kind: Pod\nspec: {priorityClassName: nope}");
    let before = missing.clone();
    assert_eq!(admit_priority(&mut missing, None), Err("no PriorityClass with name nope was found".to_owned()));
    assert_eq!(missing, before);
    let mut forced = yaml("kind: Pod\nspec: {priorityClassName: high, priority: 5}");
    assert_eq!(
        admit_priority(&mut forced, Some(high)),
        Err("the integer value of priority (5) must not be provided in pod spec; priority admission controller \
             computed 1000 from the given PriorityClass name"
            .to_owned())
    );
    let mut policy = yaml("kind: Pod\nspec: {priorityClassName: high, preemptionPolicy: PreemptLowerPriority}");
    assert!(
        admit_priority(&mut policy, Some(high))
            .expect_err("forbidden")
            .contains("PreemptionPolicy (PreemptLowerPriority)")
    );
    let mut garbage = yaml("kind: Pod\nspec: {priority: lots}");
    assert_eq!(admit_priority(&mut garbage, None), Ok(()));
    assert_eq!(garbage["spec"]["priority"], "lots", "left for validation to refuse");
    let mut not_a_pod = json!("x");
    assert_eq!(admit_priority(&mut not_a_pod, None), Ok(()));
}

// Garbage input.

#[test]
fn wrong_types_are_field_errors() {
    let case = |input: &str, expect: &[&str]| {
        assert_eq!(lines(&validate_create(&yaml(input))), expect, "{input}");
    };
    case(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: 5}\nspec: {containers: 'x'}",
        &[
            "metadata.name: Invalid value: 5: must be of type string",
            "metadata.name: Required value: name or generateName is required",
            "spec.containers: Invalid value: \"x\": must be of type array",
        ],
    );
    case(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: [a]}\nspec: {containers: [7, {name: c, image: i, ports: [{containerPort: '80', protocol: TCP}]}]}",
        &[
            "metadata.labels: Invalid value: [\"a\"]: must be of type object",
            "spec.containers[0]: Invalid value: 7: must be of type object",
            "spec.containers[1].ports[0].containerPort: Invalid value: \"80\": must be of type integer",
            "spec.containers[1].ports[0].containerPort: Required value",
        ],
    );
    case("[]", &[": Invalid value: []: must be of type object"]);
    case(
        "apiVersion: v1\nkind: Pod\nmetadata: null\nspec: null",
        &["metadata.name: Required value: name or generateName is required", "spec.containers: Required value"],
    );
}

/// Every node of `value`, as a JSON pointer.
fn pointers(value: &Value, prefix: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (name, child) in map {
                let pointer = format!("{prefix}/{}", name.replace('~', "~0").replace('/', "~1"));
                out.push(pointer.clone());
                pointers(child, pointer, out);
            }
        }
        Value::Array(items) => {
            for (idx, child) in items.iter().enumerate() {
                let pointer = format!("{prefix}/{idx}");
                out.push(pointer.clone());
                pointers(child, pointer, out);
            }
        }
        _ => {}
    }
}

#[test]
fn mutated_objects_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/defaults");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.to_string_lossy().ends_with(".output.yaml"))
        .collect();
    fixtures.sort();
    let replacements = [json!(null), json!(-7), json!("x"), json!([1, "y"]), json!({"z": [null]}), json!(true)];
    let mut n_mutations = 0;
    let mut n_type_errors = 0;
    let mut silent = Vec::new();
    for fixture in fixtures {
        let original = yaml(&std::fs::read_to_string(&fixture).expect("read fixture"));
        let mut paths = Vec::new();
        pointers(&original, String::new(), &mut paths);
        for path in paths.iter().filter(|path| !matches!(path.as_str(), "/apiVersion" | "/kind")) {
            for replacement in &replacements {
                let mut mutated = original.clone();
                *mutated.pointer_mut(path).expect("pointer exists") = replacement.clone();
                let created = validate_create(&mutated);
                let updated = validate_update(&mutated, &original);
                validate_update(&original, &mutated);
                let mut defaulted = mutated.clone();
                default_object(&mut defaulted);
                validate_create(&defaulted);
                admit_pod(&mut defaulted);
                n_mutations += 1;
                let original_node = original.pointer(path).expect("pointer exists");
                let changes_type = std::mem::discriminant(original_node) != std::mem::discriminant(replacement);
                let known_kind = original["kind"] != "Widget";
                let structural = original_node.is_object()
                    || original_node.is_array()
                    || replacement.is_object()
                    || replacement.is_array();
                if known_kind && changes_type && structural && !original_node.is_null() && !replacement.is_null() {
                    n_type_errors += 1;
                    if created.is_empty() && updated.is_empty() {
                        silent.push(format!("{}: {path} = {replacement}", fixture.display()));
                    }
                }
            }
        }
    }
    assert!(silent.is_empty(), "objects replaced by other types without an error:\n{}", silent.join("\n"));
    assert!(n_mutations > 2000, "only {n_mutations} mutations");
    assert!(n_type_errors > 100, "only {n_type_errors} type changes of objects");
}

#[test]
fn api_services() {
    let remote = "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: v1beta1.metrics.k8s.io}\n\
                  spec: {group: metrics.k8s.io, version: v1beta1, groupPriorityMinimum: 100, versionPriority: 100, \
                  insecureSkipTLSVerify: true, service: {namespace: kube-system, name: metrics-server}}";
    check(remote, &[]);
    let mut defaulted = yaml(remote);
    default_object(&mut defaulted);
    assert_eq!(defaulted["spec"]["service"]["port"], 443);
    check(
        &remote.replace("name: v1beta1.metrics.k8s.io", "name: metrics"),
        &[
            "metadata.name: Invalid value: \"metrics\": must be `spec.version+\".\"+spec.group`: \"v1beta1.metrics.k8s.io\"",
        ],
    );
    check(
        &remote.replace("name: v1beta1.metrics.k8s.io", "name: a/b"),
        &["metadata.name: Invalid value: \"a/b\": may not contain '/'"],
    );
    check(
        &remote
            .replace("groupPriorityMinimum: 100", "groupPriorityMinimum: 20001")
            .replace("versionPriority: 100", "versionPriority: 0"),
        &[
            "spec.groupPriorityMinimum: Invalid value: 20001: must be positive and less than 20000",
            "spec.versionPriority: Invalid value: 0: must be positive and less than 1000",
        ],
    );
    check(
        &remote.replace("namespace: kube-system, name: metrics-server", "port: 70000"),
        &[
            "spec.service.namespace: Required value",
            "spec.service.name: Required value",
            "spec.service.port: Invalid value: 70000: port is not valid: must be between 1 and 65535, inclusive",
        ],
    );
    check(
        &remote.replace("insecureSkipTLSVerify: true", "insecureSkipTLSVerify: true, caBundle: Y2E="),
        &["spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is present"],
    );
    let local = "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: v1.}\n\
                 spec: {version: v1, groupPriorityMinimum: 18000, versionPriority: 1}";
    check(local, &[]);
    check(
        &local.replace("versionPriority: 1}", "versionPriority: 1, caBundle: Y2E=, insecureSkipTLSVerify: true}"),
        &[
            "spec.caBundle: Invalid value: \"2 bytes\": local APIServices may not have a caBundle",
            "spec.insecureSkipTLSVerify: Invalid value: true: local APIServices may not have insecureSkipTLSVerify",
        ],
    );
    check(
        &local.replace("name: v1.", "name: v2.").replace("version: v1", "version: v2"),
        &["spec.group: Required value: only v1 may have an empty group and it better be legacy kube"],
    );
    check(
        &local.replace("name: v1.", "name: V1.").replace("version: v1", "version: V1"),
        &[
            "spec.group: Required value: only v1 may have an empty group and it better be legacy kube",
            "spec.version: Invalid value: \"V1\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        ],
    );
}

// Updates through `pods/<name>/ephemeralcontainers`.

fn check_ephemeral(old: &str, new: &str, expect: &[&str]) {
    let (mut old, mut new) = (yaml(old), yaml(new));
    default_object(&mut old);
    default_object(&mut new);
    assert_eq!(lines(&crate::validate_ephemeral_containers_update(&new, &old)), expect, "new:\n{new}");
}

#[test]
fn ephemeral_containers_update() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, uid: u1}\nspec: {volumes: [{name: v, emptyDir: {}}], containers: [{name: app, image: nginx}]EPHEMERAL}";
    let with = |list: &str| pod.replace("EPHEMERAL", &format!(", ephemeralContainers: [{list}]"));
    let bare = pod.replace("EPHEMERAL", "");
    let debugger = "{name: debugger, image: busybox, targetContainerName: app, stdin: true, tty: true}";
    check_ephemeral(&bare, &with(debugger), &[]);
    check_ephemeral(&with(debugger), &with(&format!("{debugger}, {{name: two, image: busybox}}")), &[]);
    check_ephemeral(
        &with(debugger),
        &bare,
        &["spec.ephemeralContainers: Forbidden: existing ephemeral containers \"debugger\" may not be removed\n"],
    );
    let changed = lines(&{
        let (mut old, mut new) = (yaml(&with(debugger)), yaml(&with(&debugger.replace("busybox", "alpine"))));
        default_object(&mut old);
        default_object(&mut new);
        crate::validate_ephemeral_containers_update(&new, &old)
    });
    assert_eq!(changed.len(), 1);
    assert!(
        changed[0].starts_with(
            "spec.ephemeralContainers: Forbidden: existing ephemeral containers \"debugger\" may not be changed\n"
        ),
        "{changed:?}"
    );
    check_ephemeral(
        &bare,
        &with("{name: app, image: busybox}"),
        &["spec.ephemeralContainers[0].name: Duplicate value: \"app\""],
    );
    check_ephemeral(
        &bare,
        &with("{name: d, image: busybox, targetContainerName: nope}"),
        &["spec.ephemeralContainers[0].targetContainerName: Not found: \"nope\""],
    );
    check_ephemeral(
        &bare,
        &with(
            "{name: d, image: busybox, ports: [{containerPort: 80}], resources: {limits: {cpu: 1}}, readinessProbe: {exec: {command: [x]}}, lifecycle: {preStop: {exec: {command: [x]}}}}",
        ),
        &[
            "spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container",
            "spec.ephemeralContainers[0].resources: Forbidden: cannot be set for an Ephemeral Container",
            "spec.ephemeralContainers[0].readinessProbe: Forbidden: cannot be set for an Ephemeral Container",
            "spec.ephemeralContainers[0].lifecycle: Forbidden: cannot be set for an Ephemeral Container",
        ],
    );
    check_ephemeral(
        &bare,
        &with("{name: d, image: busybox, volumeMounts: [{name: v, mountPath: /v, subPath: x}]}"),
        &["spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set for an Ephemeral Container"],
    );
    let mirror = bare.replace("uid: u1", "uid: u1, annotations: {kubernetes.io/config.mirror: x}");
    check_ephemeral(
        &mirror,
        &mirror.replace(
            "containers: [{name: app, image: nginx}]",
            &format!("containers: [{{name: app, image: nginx}}], ephemeralContainers: [{debugger}]"),
        ),
        &[": Forbidden: static pods do not support ephemeral containers"],
    );
    // A plain update of the pod cannot add one: the pod update rules refuse any other change of the spec.
    let refused = lines(&{
        let (mut old, mut new) = (yaml(&bare), yaml(&with(debugger)));
        default_object(&mut old);
        default_object(&mut new);
        validate_update(&new, &old)
    });
    assert_eq!(refused.len(), 1);
    assert!(refused[0].starts_with("spec: Forbidden: pod updates may not change fields other than"), "{refused:?}");
    assert!(refused[0].contains("ephemeralContainers"), "{refused:?}");
}

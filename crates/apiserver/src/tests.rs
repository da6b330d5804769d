use axum::http::Method;
use serde_json::json;

use crate::discovery;
use crate::registry::Registry;
use crate::request::{ApiPath, ResourceRequest, Verb, parse};
use crate::selector::{FieldSelector, LabelSelector};

fn resource(
    verb: Verb,
    group: &str,
    namespace: Option<&str>,
    resource: &str,
    name: Option<&str>,
    sub: Option<&str>,
) -> Option<ApiPath> {
    Some(ApiPath::Resource(ResourceRequest {
        verb,
        group: group.into(),
        version: "v1".into(),
        namespace: namespace.map(Into::into),
        resource: resource.into(),
        name: name.map(Into::into),
        subresource: sub.map(Into::into),
    }))
}

#[test]
fn paths_parse_as_kube_apiserver_reads_them() {
    let get = Method::GET;
    assert_eq!(parse(&get, "/api", false), Some(ApiPath::Root { legacy: true }));
    assert_eq!(parse(&get, "/apis", false), Some(ApiPath::Root { legacy: false }));
    assert_eq!(parse(&get, "/apis/apps", false), Some(ApiPath::Group { group: "apps".into() }));
    assert_eq!(parse(&get, "/api/v1", false), Some(ApiPath::GroupVersion { group: "".into(), version: "v1".into() }));
    assert_eq!(parse(&get, "/api/v1/pods", false), resource(Verb::List, "", None, "pods", None, None));
    assert_eq!(parse(&get, "/api/v1/pods", true), resource(Verb::Watch, "", None, "pods", None, None));
    assert_eq!(
        parse(&get, "/api/v1/namespaces/ns/pods/p", false),
        resource(Verb::Get, "", Some("ns"), "pods", Some("p"), None)
    );
    assert_eq!(
        parse(&Method::PUT, "/api/v1/namespaces/ns/pods/p/status", false),
        resource(Verb::Update, "", Some("ns"), "pods", Some("p"), Some("status"))
    );
    // A namespace itself, and its subresources.
    assert_eq!(
        parse(&get, "/api/v1/namespaces/ns", false),
        resource(Verb::Get, "", None, "namespaces", Some("ns"), None)
    );
    assert_eq!(
        parse(&Method::PUT, "/api/v1/namespaces/ns/finalize", false),
        resource(Verb::Update, "", None, "namespaces", Some("ns"), Some("finalize"))
    );
    assert_eq!(
        parse(&Method::DELETE, "/apis/apps/v1/namespaces/ns/deployments", false),
        resource(Verb::DeleteCollection, "apps", Some("ns"), "deployments", None, None)
    );
    assert_eq!(parse(&get, "/apis/apps/v1/namespaces/ns/deployments/d/scale/extra", false), None);
    assert_eq!(parse(&get, "/api//v1", false), None);
    assert_eq!(parse(&get, "/healthz", false), None);
    assert_eq!(parse(&Method::PUT, "/api/v1/pods", false), None);
}

#[track_caller]
fn check_labels(selector: &str, labels: serde_json::Value, expect: bool) {
    let parsed = LabelSelector::parse(selector).unwrap_or_else(|e| panic!("{selector}: {e:?}"));
    assert_eq!(parsed.matches(labels.as_object()), expect, "{selector} on {labels}");
}

#[test]
fn label_selectors_match_as_upstream() {
    let labels = json!({ "app": "web", "tier": "front", "example.com/team": "a" });
    check_labels("", labels.clone(), true);
    check_labels("app=web", labels.clone(), true);
    check_labels("app==web", labels.clone(), true);
    check_labels("app!=web", labels.clone(), false);
    check_labels("app!=db", labels.clone(), true);
    check_labels("missing!=x", labels.clone(), true);
    check_labels("app in (db, web)", labels.clone(), true);
    check_labels("app notin (db,web)", labels.clone(), false);
    check_labels("app,tier", labels.clone(), true);
    check_labels("!app", labels.clone(), false);
    check_labels("!missing", labels.clone(), true);
    check_labels("example.com/team=a,app in (web)", labels.clone(), true);
    check_labels("app=web,tier=back", labels, false);
    for bad in ["app=we b", "-app=web", "app in web", "a/b/c=d", "app=(x", "a,,b", "a,", "app in ()", "app notin ( )"] {
        assert!(LabelSelector::parse(bad).is_err(), "{bad} must be refused");
    }
}

#[test]
fn field_selectors_allow_only_known_fields() {
    let pod = json!({ "metadata": { "name": "p", "namespace": "ns" }, "spec": { "nodeName": "n1" }, "status": { "phase": "Running" } });
    let check = |selector: &str, expect: bool| {
        let parsed = FieldSelector::parse(selector, "", "pods").unwrap();
        assert_eq!(parsed.matches(&pod), expect, "{selector}");
    };
    check("metadata.name=p", true);
    check("metadata.name!=p", false);
    check("spec.nodeName=n1,status.phase=Running", true);
    check("status.phase=Pending", false);
    check("spec.nodeName=", false);
    let error = FieldSelector::parse("spec.foo=x", "", "pods").unwrap_err();
    assert_eq!(error.message, "field label not supported: spec.foo");
    assert!(FieldSelector::parse("spec.nodeName=n1", "", "configmaps").is_err());
    assert!(FieldSelector::parse("nonsense", "", "pods").is_err());
}

#[test]
fn discovery_names_every_group_with_its_preferred_version_first() {
    let registry = Registry::builtin();
    let groups = discovery::api_group_list(&registry);
    let autoscaling = groups["groups"].as_array().unwrap().iter().find(|g| g["name"] == "autoscaling").unwrap();
    assert_eq!(autoscaling["preferredVersion"]["version"], "v2");
    let core = discovery::api_resource_list(&registry, "", "v1").unwrap();
    let pods = core["resources"].as_array().unwrap().iter().find(|r| r["name"] == "pods").unwrap();
    assert_eq!(pods["shortNames"], json!(["po"]));
    assert_eq!(pods["categories"], json!(["all"]));
    assert_eq!(pods["namespaced"], json!(true));
    let apps = discovery::api_resource_list(&registry, "apps", "v1").unwrap();
    let scale = apps["resources"].as_array().unwrap().iter().find(|r| r["name"] == "deployments/scale").unwrap();
    assert_eq!((scale["group"].as_str(), scale["kind"].as_str()), (Some("autoscaling"), Some("Scale")));
    let aggregated = discovery::aggregated(&registry, true, &[]);
    assert_eq!(aggregated["items"][0]["metadata"]["name"], "");
    assert!(discovery::wants_aggregated(
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    ));
    assert!(!discovery::wants_aggregated("application/json"));
    assert!(discovery::api_resource_list(&registry, "apps", "v9").is_none());
}

#[track_caller]
fn check_smp(kind: &str, original: serde_json::Value, patch: serde_json::Value, expect: serde_json::Value) {
    let patched = crate::smp::apply(kind, &original, &patch).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(patched, expect, "patch {patch}");
}

#[test]
fn strategic_merge_patch_merges_lists_by_their_keys() {
    // What kubectl apply sends after an image change and a new env var, with the label `tier` removed.
    check_smp(
        "Deployment",
        json!({"metadata": {"labels": {"app": "web", "tier": "front"}},
               "spec": {"template": {"spec": {"containers": [
                   {"name": "web", "image": "nginx:1", "env": [{"name": "A", "value": "1"}]},
                   {"name": "side", "image": "busybox"}]}}}}),
        json!({"metadata": {"labels": {"tier": null}},
               "spec": {"template": {"spec": {
                   "$setElementOrder/containers": [{"name": "web"}, {"name": "side"}],
                   "containers": [{"name": "web", "image": "nginx:2",
                                   "$setElementOrder/env": [{"name": "A"}, {"name": "B"}],
                                   "env": [{"name": "B", "value": "2"}]}]}}}}),
        json!({"metadata": {"labels": {"app": "web"}},
               "spec": {"template": {"spec": {"containers": [
                   {"name": "web", "image": "nginx:2", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                   {"name": "side", "image": "busybox"}]}}}}),
    );
    // Lists without a strategy are replaced; `$patch: delete` removes one element.
    check_smp(
        "Pod",
        json!({"spec": {"tolerations": [{"key": "a"}], "containers": [{"name": "a"}, {"name": "b"}]}}),
        json!({"spec": {"tolerations": [{"key": "b"}], "containers": [{"name": "a", "$patch": "delete"}]}}),
        json!({"spec": {"tolerations": [{"key": "b"}], "containers": [{"name": "b"}]}}),
    );
    // Container ports merge by containerPort, Service ports by port.
    check_smp(
        "Service",
        json!({"spec": {"ports": [{"port": 80, "name": "http"}]}}),
        json!({"spec": {"ports": [{"port": 443, "name": "https"}]}}),
        json!({"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}]}}),
    );
    // Finalizers are a set; `$deleteFromPrimitiveList` removes from it.
    check_smp(
        "ConfigMap",
        json!({"metadata": {"finalizers": ["a", "b"]}}),
        json!({"metadata": {"finalizers": ["c", "a"], "$deleteFromPrimitiveList/finalizers": ["b"]}}),
        json!({"metadata": {"finalizers": ["a", "c"]}}),
    );
    // `$retainKeys` drops what the strategy no longer names.
    check_smp(
        "Deployment",
        json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}),
        json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": null}}}),
        json!({"spec": {"strategy": {"type": "Recreate"}}}),
    );
    // `$patch: replace` on a map replaces it whole.
    check_smp(
        "ConfigMap",
        json!({"data": {"a": "1", "b": "2"}}),
        json!({"data": {"$patch": "replace", "c": "3"}}),
        json!({"data": {"c": "3"}}),
    );
    assert!(crate::smp::apply("Pod", &json!({}), &json!({"spec": {"containers": [{"image": "x"}]}})).is_err());
}

#[test]
fn ages_print_as_kubectl_prints_them() {
    use crate::table::human_duration;
    let cases = [
        (-5, "<invalid>"),
        (0, "0s"),
        (59, "59s"),
        (119, "119s"),
        (120, "2m"),
        (125, "2m5s"),
        (600, "10m"),
        (3 * 3600 - 1, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 300, "3h5m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (48 * 3600, "2d"),
        (50 * 3600, "2d2h"),
        (8 * 86400, "8d"),
        (800 * 86400, "2y70d"),
        (9 * 365 * 86400, "9y"),
    ];
    for (seconds, expect) in cases {
        assert_eq!(human_duration(seconds), expect, "{seconds}s");
    }
}

#[test]
fn field_sets_encode_as_fields_v1() {
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "uid": "u", "labels": {"app": "web"}, "finalizers": ["a"]},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web", "image": "nginx"}], "args": ["x"]}}},
        "status": {"replicas": 1},
    });
    let set = crate::ssa::field_set("Deployment", &deployment, false);
    assert_eq!(
        set.clone().into_json(),
        json!({
            "f:metadata": {"f:labels": {"f:app": {}}, "f:finalizers": {"v:\"a\"": {}}},
            "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {
                "f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}}},
                "f:args": {},
            }}},
        })
    );
    assert_eq!(crate::ssa::FieldSet::from_json(&set.clone().into_json()), set, "FieldsV1 round-trips");
}

#[test]
fn updates_take_ownership_of_what_they_change() {
    let registry = Registry::builtin();
    let configmaps = registry.find("", "v1", "configmaps").unwrap();
    let mut created = json!({"metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}});
    crate::ssa::record_update(configmaps, "creator", None, None, &mut created);
    let mut updated = created.clone();
    updated["data"]["b"] = json!("3");
    crate::ssa::record_update(configmaps, "editor", None, Some(&created), &mut updated);
    let entries = updated["metadata"]["managedFields"].as_array().unwrap();
    let fields_of = |manager: &str| {
        entries.iter().find(|e| e["manager"] == manager).map(|e| e["fieldsV1"].clone()).unwrap_or(json!(null))
    };
    assert_eq!(fields_of("creator"), json!({"f:data": {"f:a": {}}}));
    assert_eq!(fields_of("editor"), json!({"f:data": {"f:b": {}}}));
    assert!(entries.iter().all(|e| e["operation"] == "Update" && e["apiVersion"] == "v1"));
}

#[test]
fn resource_versions_are_spliced_into_stored_json() {
    use crate::object::splice_resource_version;
    let check = |stored: &str, expect: Option<serde_json::Value>| {
        let spliced = splice_resource_version(stored.as_bytes(), 42);
        let parsed = spliced.map(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).expect("valid JSON"));
        assert_eq!(parsed, expect, "{stored}");
    };
    check(
        r#"{"apiVersion":"v1","data":{"metadata":"x"},"kind":"ConfigMap","metadata":{"name":"a"}}"#,
        Some(
            json!({"apiVersion":"v1","data":{"metadata":"x"},"kind":"ConfigMap","metadata":{"resourceVersion":"42","name":"a"}}),
        ),
    );
    check(r#"{"metadata" : { } }"#, Some(json!({"metadata":{"resourceVersion":"42"}})));
    check(
        r#"{"a":"\"metadata\":{","spec":{"metadata":{"x":1}},"metadata":{"n":"}"}}"#,
        Some(json!({"a":"\"metadata\":{","spec":{"metadata":{"x":1}},"metadata":{"resourceVersion":"42","n":"}"}})),
    );
    check(r#"{"kind":"x"}"#, None);
    check(r#"{"metadata":"not an object"}"#, None);
    assert!(splice_resource_version(br#"{"unterminated"#, 1).is_none());
}

/// The cells kubectl prints for one object of `plural` in `group`/`version`, and the column names.
fn table_row(group: &str, version: &str, plural: &str, object: serde_json::Value) -> (Vec<String>, Vec<String>) {
    let registry = Registry::builtin();
    let resource = registry.find(group, version, plural).expect("a served resource");
    let table = crate::table::table(resource, &[object], json!({}), crate::table::IncludeObject::None, true);
    let names = table["columnDefinitions"].as_array().expect("columns").iter().map(|c| c["name"].to_string()).collect();
    let cells = table["rows"][0]["cells"].as_array().expect("cells");
    let cells = cells.iter().map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_owned)).collect();
    (names, cells)
}

#[test]
fn tables_of_less_common_kinds_print_upstream_columns() {
    let created = "2020-01-01T00:00:00Z";
    let (columns, cells) = table_row(
        "",
        "v1",
        "persistentvolumes",
        json!({
            "metadata": {"name": "pv1", "creationTimestamp": created},
            "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
                     "persistentVolumeReclaimPolicy": "Retain", "claimRef": {"namespace": "ns", "name": "data"},
                     "storageClassName": "gp2"},
            "status": {"phase": "Bound"},
        }),
    );
    assert_eq!(columns.len(), 11);
    assert_eq!(cells[..9], ["pv1", "10Gi", "RWO,RWX", "Retain", "Bound", "ns/data", "gp2", "<unset>", ""]);
    assert_eq!(cells[10], "<unset>");

    let (_, cells) = table_row(
        "",
        "v1",
        "replicationcontrollers",
        json!({
            "metadata": {"name": "rc"}, "spec": {"replicas": 3, "selector": {"app": "web"},
                "template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
            "status": {"replicas": 2, "readyReplicas": 1},
        }),
    );
    assert_eq!(cells, ["rc", "3", "2", "1", "<unknown>", "c", "nginx", "app=web"]);

    let (_, cells) = table_row(
        "",
        "v1",
        "resourcequotas",
        json!({
            "metadata": {"name": "q"},
            "status": {"hard": {"limits.cpu": "2", "pods": "10", "requests.cpu": "1"}, "used": {"pods": "3"}},
        }),
    );
    assert_eq!(cells[2..], ["pods: 3/10, requests.cpu: 0/1", "limits.cpu: 0/2"]);

    let (columns, cells) = table_row(
        "apiregistration.k8s.io",
        "v1",
        "apiservices",
        json!({
            "metadata": {"name": "v1beta1.metrics.k8s.io"},
            "spec": {"service": {"namespace": "kube-system", "name": "metrics-server"}},
            "status": {"conditions": [{"type": "Available", "status": "False", "reason": "MissingEndpoints"}]},
        }),
    );
    assert_eq!(columns, ["\"Name\"", "\"Service\"", "\"Available\"", "\"Age\""]);
    assert_eq!(
        cells,
        ["v1beta1.metrics.k8s.io", "kube-system/metrics-server", "False (MissingEndpoints)", "<unknown>"]
    );
    let (_, cells) = table_row(
        "apiregistration.k8s.io",
        "v1",
        "apiservices",
        json!({"metadata": {"name": "v1.apps"}, "status": {"conditions": [{"type": "Available", "status": "True"}]}}),
    );
    assert_eq!(cells[1..3], ["Local", "True"]);

    let (_, cells) = table_row(
        "apps",
        "v1",
        "controllerrevisions",
        json!({
            "metadata": {"name": "fluentd-5d8f", "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                "name": "fluentd", "uid": "u", "controller": true}]},
            "revision": 4,
        }),
    );
    assert_eq!(cells[..3], ["fluentd-5d8f", "daemonset.apps/fluentd", "4"]);

    let hpa = json!({
        "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 2, "maxReplicas": 10,
            "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}},
                {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
                {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "1k"}}},
            ]},
        "status": {"currentReplicas": 3, "currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 31, "averageValue": "62m"}}},
        ]},
    });
    let (columns, cells) = table_row("autoscaling", "v2", "horizontalpodautoscalers", hpa);
    assert_eq!(columns.len(), 7);
    assert_eq!(
        cells[..6],
        ["web", "Deployment/web", "cpu: 31%/50%, memory: <unknown>/100Mi + 1 more...", "2", "10", "3"]
    );
    let (_, cells) = table_row(
        "autoscaling",
        "v1",
        "horizontalpodautoscalers",
        json!({
            "metadata": {"name": "old"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "old"}, "maxReplicas": 4,
                "targetCPUUtilizationPercentage": 80},
        }),
    );
    assert_eq!(cells[..6], ["old", "Deployment/old", "cpu: <unknown>/80%", "<unset>", "4", "0"]);

    let (_, cells) = table_row(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        json!({
            "metadata": {"name": "deny"}, "spec": {"podSelector": {}},
        }),
    );
    assert_eq!(cells[..2], ["deny", "<none>"]);

    let endpoints: Vec<_> = (1..=5).map(|n| json!({"addresses": [format!("10.0.0.{n}")]})).collect();
    let (_, cells) = table_row(
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        json!({
            "metadata": {"name": "web-abc"}, "addressType": "IPv4",
            "ports": [{"name": "http", "port": 80}, {"name": "named"}], "endpoints": endpoints,
        }),
    );
    assert_eq!(cells[..4], ["web-abc", "IPv4", "80,named", "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more..."]);
    let (_, cells) = table_row("discovery.k8s.io", "v1", "endpointslices", json!({"metadata": {"name": "e"}}));
    assert_eq!(cells[..4], ["e", "", "<unset>", "<unset>"]);

    let (_, cells) = table_row(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        json!({
            "metadata": {"name": "hooks"}, "webhooks": [{"name": "a"}, {"name": "b"}],
        }),
    );
    assert_eq!(cells[..2], ["hooks", "2"]);

    let (_, cells) = table_row(
        "certificates.k8s.io",
        "v1",
        "certificatesigningrequests",
        json!({
            "metadata": {"name": "csr-1"},
            "spec": {"signerName": "kubernetes.io/kube-apiserver-client", "username": "alice", "expirationSeconds": 3600},
            "status": {"conditions": [{"type": "Approved", "status": "True"}], "certificate": "Y2VydA=="},
        }),
    );
    assert_eq!(cells[2..], ["kubernetes.io/kube-apiserver-client", "alice", "60m", "Approved,Issued"]);

    let (_, cells) = table_row(
        "networking.k8s.io",
        "v1",
        "ingressclasses",
        json!({
            "metadata": {"name": "alb"}, "spec": {"controller": "ingress.k8s.aws/alb",
                "parameters": {"apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams", "name": "params"}},
        }),
    );
    assert_eq!(cells[..3], ["alb", "ingress.k8s.aws/alb", "IngressClassParams.elbv2.k8s.aws/params"]);

    let (columns, cells) = table_row(
        "",
        "v1",
        "events",
        json!({
            "metadata": {"name": "web.1"}, "type": "Warning", "reason": "BackOff", "message": "Back-off restarting ",
            "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{main}"},
            "source": {"component": "kubelet", "host": "ip-10-0-0-4.ec2.internal"}, "count": 4,
        }),
    );
    assert_eq!(columns.len(), 10);
    let expected = [
        "<unknown>",
        "Warning",
        "BackOff",
        "pod/web",
        "spec.containers{main}",
        "kubelet, ip-10-0-0-4.ec2.internal",
        "Back-off restarting",
        "<unknown>",
        "4",
        "web.1",
    ];
    assert_eq!(cells, expected);
    let (_, cells) = table_row(
        "",
        "v1",
        "events",
        json!({
            "metadata": {"name": "n.2"}, "involvedObject": {"kind": "Node"}, "reportingComponent": "node-controller",
        }),
    );
    assert_eq!(cells[3..6], ["node", "", "node-controller"]);
    assert_eq!(cells[8], "1");
}

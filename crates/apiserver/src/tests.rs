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
    for bad in ["app=we b", "-app=web", "app in web", "a/b/c=d", "app=(x"] {
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
    let aggregated = discovery::aggregated(&registry, true);
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
        set.to_json(),
        json!({
            "f:metadata": {"f:labels": {"f:app": {}}, "f:finalizers": {"v:\"a\"": {}}},
            "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {
                "f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}}},
                "f:args": {},
            }}},
        })
    );
    assert_eq!(crate::ssa::FieldSet::from_json(&set.to_json()), set, "FieldsV1 round-trips");
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

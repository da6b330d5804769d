//! The pods' `binding` subresource and the `bindings` resource: how a scheduler assigns a pod to a node.

use std::sync::Arc;

use apiserver::{ControlPlanes, Identity, LocalService};
use axum::body::Body;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower_service::Service;

struct Cluster {
    planes: ControlPlanes,
    admin: LocalService,
}

async fn cluster() -> Cluster {
    let planes = ControlPlanes::new(Arc::new(store::MemoryStore::new()));
    planes.create("test", None).await.expect("create a cluster");
    let admin = as_user(&planes, "admin", &["system:masters"]);
    Cluster { planes, admin }
}

fn as_user(planes: &ControlPlanes, user: &str, groups: &[&str]) -> LocalService {
    let identity =
        Identity::Certificate { user: user.into(), groups: groups.iter().map(|g| (*g).to_owned()).collect() };
    LocalService::new(planes.api("test").expect("running"), identity)
}

async fn call(service: &mut LocalService, method: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
    let request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("a request");
    let response = service.call(request).await.expect("infallible");
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.expect("a body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn post(service: &mut LocalService, path: &str, object: &Value) -> (u16, Value) {
    call(service, "POST", path, serde_json::to_vec(object).expect("JSON")).await
}

async fn get(service: &mut LocalService, path: &str) -> Value {
    let (status, object) = call(service, "GET", path, Vec::new()).await;
    assert_eq!(status, 200, "{object}");
    object
}

fn pod(name: &str) -> Value {
    json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": name },
            "spec": { "containers": [{ "name": "c", "image": "nginx" }] } })
}

fn binding(name: &str, node: &str) -> Value {
    json!({ "apiVersion": "v1", "kind": "Binding", "metadata": { "name": name },
            "target": { "apiVersion": "v1", "kind": "Node", "name": node } })
}

const PODS: &str = "/api/v1/namespaces/default/pods";

#[tokio::test]
async fn a_binding_assigns_the_pod_once() {
    let Cluster { planes, mut admin } = cluster().await;
    assert_eq!(post(&mut admin, PODS, &pod("web")).await.0, 201);
    let mut request = binding("web", "node-a");
    request["metadata"]["annotations"] = json!({ "scheduled-by": "test" });
    let (status, answer) = post(&mut admin, &format!("{PODS}/web/binding"), &request).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!((answer["kind"].as_str(), answer["status"].as_str()), (Some("Status"), Some("Success")));

    let bound = get(&mut admin, &format!("{PODS}/web")).await;
    assert_eq!(bound["spec"]["nodeName"], "node-a");
    assert_eq!(bound["metadata"]["annotations"]["scheduled-by"], "test");
    let conditions = bound["status"]["conditions"].as_array().expect("conditions");
    let scheduled: Vec<&Value> = conditions.iter().filter(|c| c["type"] == "PodScheduled").collect();
    assert_eq!(scheduled.len(), 1, "{conditions:?}");
    assert_eq!(scheduled[0]["status"], "True");
    assert!(scheduled[0]["lastTransitionTime"].is_string());

    let (status, refused) = post(&mut admin, &format!("{PODS}/web/binding"), &binding("web", "node-b")).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["reason"], "Conflict");
    assert_eq!(
        refused["message"],
        "Operation cannot be fulfilled on pods/binding \"web\": pod web is already assigned to node \"node-a\""
    );
    assert_eq!(get(&mut admin, &format!("{PODS}/web")).await["spec"]["nodeName"], "node-a");
    planes.stop_all().await;
}

#[tokio::test]
async fn the_older_bindings_resource_binds_the_pod_the_body_names() {
    let Cluster { planes, mut admin } = cluster().await;
    assert_eq!(post(&mut admin, PODS, &pod("api")).await.0, 201);
    let (status, answer) = post(&mut admin, "/api/v1/namespaces/default/bindings", &binding("api", "node-a")).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(get(&mut admin, &format!("{PODS}/api")).await["spec"]["nodeName"], "node-a");
    let (status, _) = post(&mut admin, "/api/v1/namespaces/default/bindings", &binding("gone", "node-a")).await;
    assert_eq!(status, 404);
    let (status, _) = call(&mut admin, "GET", "/api/v1/namespaces/default/bindings/api", Vec::new()).await;
    assert_eq!(status, 405);
    planes.stop_all().await;
}

#[tokio::test]
async fn bad_bindings_are_refused() {
    let Cluster { planes, mut admin } = cluster().await;
    assert_eq!(post(&mut admin, PODS, &pod("web")).await.0, 201);
    let path = format!("{PODS}/web/binding");
    let check = |expected: u16, body: Vec<u8>| (expected, body);
    let cases = [
        check(404, serde_json::to_vec(&binding("missing", "n")).expect("JSON")),
        check(400, b"{not json".to_vec()),
        check(400, b"[1, 2]".to_vec()),
        check(400, Vec::new()),
        check(400, serde_json::to_vec(&binding("other", "node-a")).expect("JSON")),
        check(400, serde_json::to_vec(&json!({ "kind": "Pod", "metadata": { "name": "web" } })).expect("JSON")),
        check(422, serde_json::to_vec(&json!({ "kind": "Binding", "metadata": { "name": "web" } })).expect("JSON")),
        check(
            422,
            serde_json::to_vec(
                &json!({ "metadata": { "name": "web" }, "target": { "kind": "Pod", "name": "node-a" } }),
            )
            .expect("JSON"),
        ),
    ];
    for (expected, body) in cases {
        let shown = String::from_utf8_lossy(&body).into_owned();
        let target = if shown.contains("missing") { format!("{PODS}/missing/binding") } else { path.clone() };
        let (status, answer) = call(&mut admin, "POST", &target, body).await;
        assert_eq!(status, expected, "{shown} -> {answer}");
        assert_eq!(answer["kind"], "Status", "{answer}");
    }
    let (status, answer) =
        call(&mut admin, "PUT", &path, serde_json::to_vec(&binding("web", "n")).expect("JSON")).await;
    assert_eq!(status, 405, "{answer}");
    let (status, invalid) =
        post(&mut admin, &path, &json!({ "kind": "Binding", "metadata": { "name": "web" }, "target": {} })).await;
    assert_eq!(status, 422);
    assert_eq!(invalid["message"], "Binding \"web\" is invalid: target.name: Required value");
    let pod = get(&mut admin, &format!("{PODS}/web")).await;
    assert!(pod["spec"]["nodeName"].is_null(), "nothing bound the pod: {pod}");
    planes.stop_all().await;
}

#[tokio::test]
async fn a_pod_being_deleted_is_not_bound() {
    let Cluster { planes, mut admin } = cluster().await;
    let mut held = pod("held");
    held["metadata"]["finalizers"] = json!(["example.com/hold"]);
    assert_eq!(post(&mut admin, PODS, &held).await.0, 201);
    let (status, _) = call(&mut admin, "DELETE", &format!("{PODS}/held"), Vec::new()).await;
    assert!(status == 200 || status == 202, "{status}");
    let (status, refused) = post(&mut admin, &format!("{PODS}/held/binding"), &binding("held", "node-a")).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(
        refused["message"],
        "Operation cannot be fulfilled on pods/binding \"held\": pod held is being deleted, cannot be assigned to a host"
    );
    planes.stop_all().await;
}

#[tokio::test]
async fn a_stale_uid_precondition_conflicts() {
    let Cluster { planes, mut admin } = cluster().await;
    assert_eq!(post(&mut admin, PODS, &pod("web")).await.0, 201);
    let mut request = binding("web", "node-a");
    request["metadata"]["uid"] = json!("not-the-uid");
    let (status, _) = post(&mut admin, &format!("{PODS}/web/binding"), &request).await;
    assert_eq!(status, 409);
    planes.stop_all().await;
}

#[tokio::test]
async fn discovery_lists_the_binding_subresource_and_bindings() {
    let Cluster { planes, mut admin } = cluster().await;
    let resources = get(&mut admin, "/api/v1").await;
    let entry =
        |name: &str| resources["resources"].as_array().expect("resources").iter().find(|r| r["name"] == name).cloned();
    let subresource = entry("pods/binding").expect("pods/binding is listed");
    assert_eq!((subresource["kind"].as_str(), subresource["verbs"].clone()), (Some("Binding"), json!(["create"])));
    let legacy = entry("bindings").expect("bindings is listed");
    assert_eq!((legacy["kind"].as_str(), legacy["namespaced"].as_bool()), (Some("Binding"), Some(true)));
    assert_eq!(legacy["verbs"], json!(["create"]));
    planes.stop_all().await;
}

#[tokio::test]
async fn rbac_authorizes_bindings_as_the_pods_binding_subresource() {
    let Cluster { planes, mut admin } = cluster().await;
    for name in ["a", "b"] {
        assert_eq!(post(&mut admin, PODS, &pod(name)).await.0, 201);
    }
    let role = |name: &str, resources: Value| {
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": { "name": name },
                "rules": [{ "apiGroups": [""], "resources": resources, "verbs": ["create"] }] })
    };
    let grant = |name: &str, user: &str| {
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": { "name": name },
                "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name },
                "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user }] })
    };
    let roles = "/apis/rbac.authorization.k8s.io/v1/clusterroles";
    let grants = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";
    assert_eq!(post(&mut admin, roles, &role("binder", json!(["pods/binding"]))).await.0, 201);
    assert_eq!(post(&mut admin, grants, &grant("binder", "binder")).await.0, 201);
    assert_eq!(post(&mut admin, roles, &role("creator", json!(["pods"]))).await.0, 201);
    assert_eq!(post(&mut admin, grants, &grant("creator", "creator")).await.0, 201);

    let mut binder = as_user(&planes, "binder", &[]);
    let mut creator = as_user(&planes, "creator", &[]);
    let (status, refused) = post(&mut creator, &format!("{PODS}/a/binding"), &binding("a", "node-a")).await;
    assert_eq!(status, 403, "{refused}");
    let (status, answer) = post(&mut binder, &format!("{PODS}/a/binding"), &binding("a", "node-a")).await;
    assert_eq!(status, 201, "{answer}");
    let (status, _) = post(&mut binder, "/api/v1/namespaces/default/bindings", &binding("b", "node-a")).await;
    assert_eq!(status, 403, "the older resource is authorized as bindings");
    planes.stop_all().await;
}

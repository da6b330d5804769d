//! Tests of the documents against what kubectl reads from them: the root's hashed URLs, the PATCH operations'
//! `fieldValidation` and group-version-kind, strategic merge patch metadata, `explain`'s walk through schemas,
//! and the structure of every document (OpenAPI 3.0, every `$ref` resolves).

use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::generated::{FIELD_MARKERS, KINDS, TYPE_MAP_TYPES};
use crate::{OpenApi, ServedResource};

const STORED: &[&str] = &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const CREATE: &[&str] = &["create"];
const NONE: &[&str] = &[];
const STATUS: &[&str] = &["status"];
const STATUS_SCALE: &[&str] = &["status", "scale"];

const fn stored(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    subresources: &'static [&'static str],
) -> ServedResource {
    ServedResource { group, version, kind, plural, namespaced, subresources, verbs: STORED }
}

const fn review(group: &'static str, kind: &'static str, plural: &'static str, namespaced: bool) -> ServedResource {
    ServedResource { group, version: "v1", kind, plural, namespaced, subresources: NONE, verbs: CREATE }
}

/// The resources ekslite's API server serves (its registry, written out), plus pod subresources with bodies.
const SERVED: &[ServedResource] = &[
    stored("", "v1", "Namespace", "namespaces", false, STATUS),
    stored("", "v1", "Pod", "pods", true, &["status", "eviction", "binding", "log", "exec"]),
    stored("", "v1", "Service", "services", true, STATUS),
    stored("", "v1", "Endpoints", "endpoints", true, NONE),
    stored("", "v1", "ConfigMap", "configmaps", true, NONE),
    stored("", "v1", "Secret", "secrets", true, NONE),
    stored("", "v1", "ServiceAccount", "serviceaccounts", true, &["token"]),
    stored("", "v1", "Event", "events", true, NONE),
    stored("", "v1", "Node", "nodes", false, STATUS),
    stored("", "v1", "PersistentVolume", "persistentvolumes", false, STATUS),
    stored("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, STATUS),
    stored("", "v1", "LimitRange", "limitranges", true, NONE),
    stored("", "v1", "ResourceQuota", "resourcequotas", true, STATUS),
    stored("", "v1", "ReplicationController", "replicationcontrollers", true, STATUS_SCALE),
    stored("", "v1", "PodTemplate", "podtemplates", true, NONE),
    stored("apps", "v1", "Deployment", "deployments", true, STATUS_SCALE),
    stored("apps", "v1", "ReplicaSet", "replicasets", true, STATUS_SCALE),
    stored("apps", "v1", "StatefulSet", "statefulsets", true, STATUS_SCALE),
    stored("apps", "v1", "DaemonSet", "daemonsets", true, STATUS),
    stored("apps", "v1", "ControllerRevision", "controllerrevisions", true, NONE),
    stored("batch", "v1", "Job", "jobs", true, STATUS),
    stored("batch", "v1", "CronJob", "cronjobs", true, STATUS),
    stored("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, STATUS),
    stored("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, STATUS),
    stored("networking.k8s.io", "v1", "Ingress", "ingresses", true, STATUS),
    stored("networking.k8s.io", "v1", "IngressClass", "ingressclasses", false, NONE),
    stored("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, NONE),
    stored("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, STATUS),
    stored("rbac.authorization.k8s.io", "v1", "Role", "roles", true, NONE),
    stored("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, NONE),
    stored("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, NONE),
    stored("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, NONE),
    stored("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, NONE),
    stored("storage.k8s.io", "v1", "CSIDriver", "csidrivers", false, NONE),
    stored("storage.k8s.io", "v1", "CSINode", "csinodes", false, NONE),
    stored("storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", false, STATUS),
    stored("storage.k8s.io", "v1", "CSIStorageCapacity", "csistoragecapacities", true, NONE),
    stored("coordination.k8s.io", "v1", "Lease", "leases", true, NONE),
    stored("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, NONE),
    stored("events.k8s.io", "v1", "Event", "events", true, NONE),
    stored("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false, NONE),
    stored("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", false, NONE),
    stored("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false, STATUS),
    stored(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        false,
        NONE,
    ),
    stored(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        false,
        NONE,
    ),
    stored(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
        false,
        STATUS,
    ),
    stored(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
        false,
        NONE,
    ),
    review("authentication.k8s.io", "TokenReview", "tokenreviews", false),
    review("authentication.k8s.io", "SelfSubjectReview", "selfsubjectreviews", false),
    review("authorization.k8s.io", "SubjectAccessReview", "subjectaccessreviews", false),
    review("authorization.k8s.io", "SelfSubjectAccessReview", "selfsubjectaccessreviews", false),
    review("authorization.k8s.io", "SelfSubjectRulesReview", "selfsubjectrulesreviews", false),
    review("authorization.k8s.io", "LocalSubjectAccessReview", "localsubjectaccessreviews", true),
    stored("certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests", false, STATUS),
];

/// The documents of `SERVED`, built once for all tests.
fn openapi() -> &'static OpenApi {
    static OPENAPI: OnceLock<OpenApi> = OnceLock::new();
    OPENAPI.get_or_init(|| OpenApi::new(SERVED))
}

fn document(path: &str) -> Value {
    let (bytes, _) = openapi().document(path).unwrap_or_else(|| panic!("no document {path}"));
    serde_json::from_slice(bytes).expect("document is JSON")
}

fn schema<'a>(document: &'a Value, name: &str) -> &'a Value {
    let schema = &document["components"]["schemas"][name];
    assert!(schema.is_object(), "no schema {name}");
    schema
}

/// Follows `$ref` or `allOf: [{$ref}]` the way kubectl's strategic merge patch and explain do.
fn resolve<'a>(document: &'a Value, mut node: &'a Value) -> &'a Value {
    if let Some(first) = node["allOf"].get(0) {
        node = first;
    }
    match node["$ref"].as_str() {
        Some(target) => {
            let name = target.strip_prefix("#/components/schemas/").expect("local reference");
            schema(document, name)
        }
        None => node,
    }
}

#[test]
fn root_lists_every_group_version_with_a_hashed_url() {
    let root: Value = serde_json::from_slice(openapi().root()).expect("root is JSON");
    let paths = root["paths"].as_object().expect("paths");
    let expected = SERVED.iter().map(|r| r.document_path()).collect::<BTreeSet<_>>();
    assert_eq!(paths.keys().cloned().collect::<BTreeSet<_>>(), expected);
    for (path, entry) in paths {
        let url = entry["serverRelativeURL"].as_str().expect("serverRelativeURL");
        let (location, hash) = url.split_once("?hash=").expect("hash parameter");
        assert_eq!(location, format!("/openapi/v3/{path}"));
        assert_eq!(hash.len(), 128, "SHA-512 in hex");
        assert!(hash.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()), "upper-case hex: {hash}");
        let (_, document_hash) = openapi().document(path).expect("document behind the URL");
        assert_eq!(hash, document_hash);
    }
    assert_eq!(openapi().paths().count(), expected.len());
    assert!(openapi().document("/apis/apps/v1").is_some(), "a leading slash is ignored");
    assert!(openapi().document("apis/example.com/v1").is_none());
}

#[test]
fn hashes_are_stable_across_builds() {
    let again = OpenApi::new(SERVED);
    assert_eq!(again.root(), openapi().root());
    for path in openapi().paths() {
        assert_eq!(again.document(path), openapi().document(path), "{path}");
    }
}

#[test]
fn free_functions_agree_with_the_cached_documents() {
    let root = crate::root(SERVED);
    let cached: Value = serde_json::from_slice(openapi().root()).expect("root is JSON");
    assert_eq!(root, cached);
    let apps = crate::group_version(SERVED, "apps", "v1").expect("apps/v1");
    assert_eq!(apps, document("apis/apps/v1"));
    assert!(crate::group_version(SERVED, "apps", "v2").is_none());
}

#[test]
fn deployment_patch_operation_carries_field_validation_and_its_kind() {
    let apps = document("apis/apps/v1");
    let patch = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        serde_json::json!({"group": "apps", "kind": "Deployment", "version": "v1"})
    );
    assert_eq!(patch["x-kubernetes-action"], "patch");
    assert_eq!(patch["operationId"], "patchAppsV1NamespacedDeployment");
    let names =
        patch["parameters"].as_array().expect("parameters").iter().map(|p| p["name"].as_str()).collect::<Vec<_>>();
    for name in ["dryRun", "fieldManager", "fieldValidation", "force"] {
        assert!(names.contains(&Some(name)), "PATCH lacks {name}");
    }
    let content = patch["requestBody"]["content"].as_object().expect("patch content types");
    for patch_type in [
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
        "application/apply-patch+yaml",
    ] {
        assert!(content.contains_key(patch_type), "PATCH lacks {patch_type}");
    }
    let scale = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]["patch"];
    assert_eq!(scale["x-kubernetes-group-version-kind"]["group"], "autoscaling");
    assert_eq!(scale["x-kubernetes-group-version-kind"]["kind"], "Scale");
    schema(&apps, "io.k8s.api.autoscaling.v1.Scale");
}

/// What cli-runtime's `queryParamVerifierV3` and kubectl apply's `gvkSupportsPatchOpenAPIV3` do: the first PATCH
/// operation (in any order) whose group-version-kind is the object's decides, so every such operation must take
/// `fieldValidation` and strategic merge patches.
#[test]
fn every_patchable_kind_supports_server_side_validation_and_strategic_merge() {
    for resource in SERVED.iter().filter(|r| r.verbs.contains(&"patch")) {
        let document = document(&resource.document_path());
        let mut found = 0;
        for item in document["paths"].as_object().expect("paths").values() {
            let patch = &item["patch"];
            let gvk = &patch["x-kubernetes-group-version-kind"];
            if gvk["group"] != resource.group || gvk["version"] != resource.version || gvk["kind"] != resource.kind {
                continue;
            }
            found += 1;
            let parameters = patch["parameters"].as_array().expect("parameters");
            assert!(parameters.iter().any(|p| p["name"] == "fieldValidation"), "{}", resource.kind);
            assert!(patch["requestBody"]["content"]["application/strategic-merge-patch+json"].is_object());
        }
        assert!(found > 0, "no PATCH operation for {}/{}", resource.document_path(), resource.kind);
    }
}

#[test]
fn operations_take_field_validation_exactly_when_they_take_bodies_that_are_objects() {
    for path in openapi().paths() {
        let document = document(path);
        for item in document["paths"].as_object().expect("paths").values() {
            for (method, operation) in item.as_object().expect("path item") {
                let takes = operation["parameters"]
                    .as_array()
                    .is_some_and(|parameters| parameters.iter().any(|p| p["name"] == "fieldValidation"));
                let expected = matches!(method.as_str(), "post" | "put" | "patch");
                assert_eq!(takes, expected, "{path} {method} {}", operation["operationId"]);
                if expected {
                    let parameters = operation["parameters"].as_array().expect("parameters");
                    assert!(parameters.iter().any(|p| p["name"] == "dryRun"));
                    assert!(parameters.iter().any(|p| p["name"] == "fieldManager"));
                }
            }
        }
    }
}

#[test]
fn kinds_and_lists_carry_their_group_version_kind() {
    let apps = document("apis/apps/v1");
    let gvk = &schema(&apps, "io.k8s.api.apps.v1.Deployment")["x-kubernetes-group-version-kind"];
    assert_eq!(gvk, &serde_json::json!([{"group": "apps", "kind": "Deployment", "version": "v1"}]));
    assert!(schema(&apps, "io.k8s.api.apps.v1.Deployment").get("required").is_none(), "metadata is optional");
    let list = schema(&apps, "io.k8s.api.apps.v1.DeploymentList");
    assert_eq!(list["x-kubernetes-group-version-kind"][0]["kind"], "DeploymentList");
    assert_eq!(list["description"], "DeploymentList is a list of Deployments.");
    assert_eq!(list["required"], serde_json::json!(["items"]));
    let item = resolve(&apps, &list["properties"]["items"]["items"]);
    assert_eq!(item["x-kubernetes-group-version-kind"][0]["kind"], "Deployment");
    let core = document("api/v1");
    let status = schema(&core, "io.k8s.apimachinery.pkg.apis.meta.v1.Status");
    assert_eq!(
        status["x-kubernetes-group-version-kind"],
        serde_json::json!([{"group": "", "kind": "Status", "version": "v1"}])
    );
    let delete_options = schema(&core, "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions");
    let kinds = delete_options["x-kubernetes-group-version-kind"].as_array().expect("DeleteOptions kinds");
    assert!(kinds.contains(&serde_json::json!({"group": "apps", "kind": "DeleteOptions", "version": "v1"})));
}

/// One strategic merge patch fact: (schema, field, merge key, strategy).
fn check_patch_meta(document: &Value, schema_name: &str, field: &str, merge_key: Option<&str>, strategy: Option<&str>) {
    let property = &schema(document, schema_name)["properties"][field];
    assert!(property.is_object(), "{schema_name} has no field {field}");
    assert_eq!(property["x-kubernetes-patch-merge-key"].as_str(), merge_key, "{schema_name}.{field} merge key");
    assert_eq!(property["x-kubernetes-patch-strategy"].as_str(), strategy, "{schema_name}.{field} strategy");
}

/// The merge keys of research/kubernetes-api.md's "Strategic merge patch" list.
#[test]
fn strategic_merge_patch_metadata_matches_upstream() {
    let core = document("api/v1");
    let apps = document("apis/apps/v1");
    let pod_spec = "io.k8s.api.core.v1.PodSpec";
    let container = "io.k8s.api.core.v1.Container";
    let meta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
    check_patch_meta(&core, pod_spec, "containers", Some("name"), Some("merge"));
    check_patch_meta(&core, pod_spec, "initContainers", Some("name"), Some("merge"));
    check_patch_meta(&core, pod_spec, "ephemeralContainers", Some("name"), Some("merge"));
    check_patch_meta(&core, pod_spec, "volumes", Some("name"), Some("merge,retainKeys"));
    check_patch_meta(&core, pod_spec, "imagePullSecrets", Some("name"), Some("merge"));
    check_patch_meta(&core, pod_spec, "schedulingGates", Some("name"), Some("merge"));
    check_patch_meta(&core, pod_spec, "hostAliases", Some("ip"), Some("merge"));
    check_patch_meta(&core, pod_spec, "topologySpreadConstraints", Some("topologyKey"), Some("merge"));
    check_patch_meta(&core, pod_spec, "tolerations", None, None);
    check_patch_meta(&core, container, "env", Some("name"), Some("merge"));
    check_patch_meta(&core, container, "ports", Some("containerPort"), Some("merge"));
    check_patch_meta(&core, container, "volumeMounts", Some("mountPath"), Some("merge"));
    check_patch_meta(&core, container, "volumeDevices", Some("devicePath"), Some("merge"));
    check_patch_meta(&core, container, "args", None, None);
    check_patch_meta(&core, container, "command", None, None);
    check_patch_meta(&core, container, "envFrom", None, None);
    check_patch_meta(&core, "io.k8s.api.core.v1.PodStatus", "podIPs", Some("ip"), Some("merge"));
    check_patch_meta(&core, "io.k8s.api.core.v1.PodStatus", "hostIPs", Some("ip"), Some("merge"));
    check_patch_meta(&core, "io.k8s.api.core.v1.PodStatus", "conditions", Some("type"), Some("merge"));
    check_patch_meta(&core, "io.k8s.api.core.v1.PodStatus", "containerStatuses", None, None);
    check_patch_meta(&core, "io.k8s.api.core.v1.ServiceSpec", "ports", Some("port"), Some("merge"));
    check_patch_meta(&core, "io.k8s.api.core.v1.ServiceAccount", "secrets", Some("name"), Some("merge"));
    check_patch_meta(&core, "io.k8s.api.core.v1.NodeStatus", "addresses", Some("type"), Some("merge"));
    check_patch_meta(&core, "io.k8s.api.core.v1.NodeSpec", "podCIDRs", None, Some("merge"));
    check_patch_meta(&core, "io.k8s.api.core.v1.NodeSpec", "taints", None, None);
    check_patch_meta(&core, meta, "finalizers", None, Some("merge"));
    check_patch_meta(&core, meta, "ownerReferences", Some("uid"), Some("merge"));
    check_patch_meta(&apps, "io.k8s.api.apps.v1.DeploymentSpec", "strategy", None, Some("retainKeys"));
    check_patch_meta(&apps, "io.k8s.api.apps.v1.DeploymentStatus", "conditions", Some("type"), Some("merge"));
    check_patch_meta(&apps, pod_spec, "containers", Some("name"), Some("merge"));
}

#[test]
fn list_and_map_types_are_published() {
    let core = document("api/v1");
    let ports = &schema(&core, "io.k8s.api.core.v1.Container")["properties"]["ports"];
    assert_eq!(ports["x-kubernetes-list-type"], "map");
    assert_eq!(ports["x-kubernetes-list-map-keys"], serde_json::json!(["containerPort", "protocol"]));
    let service_ports = &schema(&core, "io.k8s.api.core.v1.ServiceSpec")["properties"]["ports"];
    assert_eq!(service_ports["x-kubernetes-list-map-keys"], serde_json::json!(["port", "protocol"]));
    let finalizers = &schema(&core, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")["properties"]["finalizers"];
    assert_eq!(finalizers["x-kubernetes-list-type"], "set");
    let selector = schema(&core, "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector");
    assert_eq!(selector["x-kubernetes-map-type"], "atomic");
    let node_selector = &schema(&core, "io.k8s.api.core.v1.PodSpec")["properties"]["nodeSelector"];
    assert_eq!(node_selector["x-kubernetes-map-type"], "atomic");
}

#[test]
fn scalar_types_have_upstreams_shapes() {
    let core = document("api/v1");
    let int_or_string = schema(&core, "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
    assert_eq!(int_or_string["x-kubernetes-int-or-string"], true);
    assert_eq!(int_or_string["format"], "int-or-string");
    assert!(int_or_string["description"].is_string());
    let quantity = schema(&core, "io.k8s.apimachinery.pkg.api.resource.Quantity");
    assert_eq!(quantity["oneOf"], serde_json::json!([{"type": "string"}, {"type": "number"}]));
    assert!(quantity["description"].is_string());
    let time = schema(&core, "io.k8s.apimachinery.pkg.apis.meta.v1.Time");
    assert_eq!((time["type"].as_str(), time["format"].as_str()), (Some("string"), Some("date-time")));
}

/// `kubectl explain deployment.spec.strategy`: find the kind by group-version-kind, then walk fields through
/// references, reading descriptions.
#[test]
fn explain_walks_from_a_kind_to_a_nested_field() {
    let apps = document("apis/apps/v1");
    let schemas = apps["components"]["schemas"].as_object().expect("schemas");
    let deployment = schemas
        .values()
        .find(|s| {
            s["x-kubernetes-group-version-kind"].as_array().is_some_and(|gvks| {
                gvks.iter().any(|g| g["group"] == "apps" && g["version"] == "v1" && g["kind"] == "Deployment")
            })
        })
        .expect("Deployment by group-version-kind");
    let spec_field = &deployment["properties"]["spec"];
    assert!(spec_field["description"].is_string());
    let spec = resolve(&apps, spec_field);
    let strategy_field = &spec["properties"]["strategy"];
    assert!(strategy_field["description"].as_str().is_some_and(|d| !d.is_empty()));
    let strategy = resolve(&apps, strategy_field);
    assert!(strategy["description"].as_str().is_some_and(|d| d.contains("replace")));
    let rolling = resolve(&apps, &strategy["properties"]["rollingUpdate"]);
    let max_surge = resolve(&apps, &rolling["properties"]["maxSurge"]);
    assert_eq!(max_surge["format"], "int-or-string");
    let containers = &resolve(&apps, &resolve(&apps, &spec["properties"]["template"])["properties"]["spec"])["properties"]
        ["containers"];
    assert_eq!(resolve(&apps, &containers["items"])["properties"]["image"]["type"], "string");
}

/// Every `$ref` names a schema of the same document.
#[test]
fn every_reference_resolves_inside_its_document() {
    for path in openapi().paths() {
        let document = document(path);
        let schemas = document["components"]["schemas"].as_object().expect("schemas");
        let mut references = Vec::new();
        collect_references(&document, &mut references);
        assert!(!references.is_empty());
        for reference in references {
            let name = reference.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{path}: {reference}"));
            assert!(schemas.contains_key(name), "{path}: {reference} does not resolve");
        }
    }
}

fn collect_references(value: &Value, references: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => references.push(target.clone()),
                    _ => collect_references(child, references),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_references(item, references)),
        _ => {}
    }
}

/// The structure OpenAPI 3.0 and kube-openapi's parser expect.
#[test]
fn documents_are_structurally_openapi_3_0() {
    for path in openapi().paths() {
        let document = document(path);
        assert_eq!(document["openapi"], "3.0.0");
        assert!(document["info"]["title"].is_string() && document["info"]["version"].is_string());
        let mut operation_ids = HashSet::new();
        for (url, item) in document["paths"].as_object().expect("paths") {
            assert!(url.starts_with(&format!("/{path}")), "{url} outside {path}");
            for (method, operation) in item.as_object().expect("path item") {
                if method == "parameters" {
                    check_parameters(operation);
                    continue;
                }
                assert!(matches!(method.as_str(), "get" | "put" | "post" | "patch" | "delete"), "{method}");
                let id = operation["operationId"].as_str().expect("operationId");
                assert!(operation_ids.insert(id.to_owned()), "{path}: operationId {id} twice");
                assert!(operation["responses"].as_object().is_some_and(|r| !r.is_empty()), "{id}: responses");
                if let Some(parameters) = operation.get("parameters") {
                    check_parameters(parameters);
                }
                if let Some(body) = operation.get("requestBody") {
                    assert!(body["content"].as_object().is_some_and(|c| !c.is_empty()), "{id}: requestBody");
                }
                // Every operation on objects names its action and kind; only the resource list has neither.
                let on_objects = !url.ends_with('/');
                assert_eq!(operation["x-kubernetes-action"].is_string(), on_objects, "{id}: action");
                assert_eq!(operation["x-kubernetes-group-version-kind"]["kind"].is_string(), on_objects, "{id}");
            }
        }
        for (name, schema) in document["components"]["schemas"].as_object().expect("schemas") {
            check_schema(name, schema);
            if let Some(required) = schema["required"].as_array() {
                for field in required {
                    let field = field.as_str().expect("required names");
                    assert!(schema["properties"][field].is_object(), "{name} requires missing {field}");
                }
            }
        }
    }
}

fn check_parameters(parameters: &Value) {
    for parameter in parameters.as_array().expect("parameters array") {
        assert!(parameter["name"].is_string());
        assert!(matches!(parameter["in"].as_str(), Some("query" | "path")));
        assert!(parameter["schema"]["type"].is_string());
        if parameter["in"] == "path" {
            assert_eq!(parameter["required"], true);
        }
    }
}

/// Every schema is an object whose `type`, `items`, `properties`, `additionalProperties` and `allOf` are
/// well-formed and whose extensions have the right types.
fn check_schema(name: &str, schema: &Value) {
    let object = schema.as_object().unwrap_or_else(|| panic!("{name}: a schema must be an object, not {schema}"));
    if let Some(kind) = object.get("type") {
        assert!(
            matches!(kind.as_str(), Some("object" | "array" | "string" | "integer" | "number" | "boolean")),
            "{name}: type {kind}"
        );
    }
    if object.get("type").and_then(Value::as_str) == Some("array") {
        assert!(object.contains_key("items"), "{name}: array without items");
    }
    if let Some(reference) = object.get("$ref") {
        assert_eq!(object.len(), 1, "{name}: $ref with siblings, which OpenAPI 3.0 ignores");
        assert!(reference.is_string());
    }
    for key in ["x-kubernetes-patch-merge-key", "x-kubernetes-patch-strategy", "x-kubernetes-list-type"] {
        if let Some(value) = object.get(key) {
            assert!(value.is_string(), "{name}: {key}");
        }
    }
    if let Some(keys) = object.get("x-kubernetes-list-map-keys") {
        assert!(keys.as_array().is_some_and(|k| k.iter().all(Value::is_string)), "{name}: list map keys");
        assert_eq!(object.get("x-kubernetes-list-type").and_then(Value::as_str), Some("map"), "{name}");
    }
    if let Some(items) = object.get("items") {
        check_schema(&format!("{name}[]"), items);
    }
    if let Some(values) = object.get("additionalProperties")
        && !values.is_boolean()
    {
        check_schema(&format!("{name}{{}}"), values);
    }
    if let Some(properties) = object.get("properties") {
        for (property, field) in properties.as_object().unwrap_or_else(|| panic!("{name}: properties")) {
            check_schema(&format!("{name}.{property}"), field);
        }
    }
    for key in ["allOf", "oneOf"] {
        if let Some(list) = object.get(key) {
            for (i, member) in list.as_array().unwrap_or_else(|| panic!("{name}: {key}")).iter().enumerate() {
                check_schema(&format!("{name}/{key}/{i}"), member);
            }
        }
    }
}

#[test]
fn subresources_with_bodies_have_their_operations() {
    let core = document("api/v1");
    let paths = &core["paths"];
    let eviction = &paths["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]["post"];
    assert_eq!(eviction["x-kubernetes-group-version-kind"]["group"], "policy");
    assert_eq!(eviction["operationId"], "createCoreV1NamespacedPodEviction");
    let token = &paths["/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"]["post"];
    assert_eq!(token["x-kubernetes-group-version-kind"]["kind"], "TokenRequest");
    let status = &paths["/api/v1/namespaces/{namespace}/pods/{name}/status"];
    assert_eq!(status["put"]["operationId"], "replaceCoreV1NamespacedPodStatus");
    assert!(paths["/api/v1/namespaces/{namespace}/pods/{name}/log"].is_null(), "log is not documented");
    assert!(paths["/api/v1/pods"]["get"].is_object(), "list across namespaces");
    assert!(paths["/api/v1/watch/namespaces/{namespace}/pods/{name}"]["get"].is_object());
    assert!(paths["/api/v1/nodes/{name}"]["patch"].is_object(), "cluster-scoped object path");
    assert!(paths["/api/v1/namespaces/{namespace}/nodes"].is_null());
    let authorization = document("apis/authorization.k8s.io/v1");
    let review =
        &authorization["paths"]["/apis/authorization.k8s.io/v1/namespaces/{namespace}/localsubjectaccessreviews"];
    assert_eq!(review["post"]["operationId"], "createAuthorizationV1NamespacedLocalSubjectAccessReview");
    assert!(review["get"].is_null(), "reviews are create-only");
}

#[test]
fn unknown_kinds_are_left_out_and_reported() {
    let served = [
        ServedResource {
            group: "example.com",
            version: "v1",
            kind: "Widget",
            plural: "widgets",
            namespaced: true,
            subresources: &["status"],
            verbs: STORED,
        },
        stored("apps", "v1", "Deployment", "deployments", true, &["status", "nonsense"]),
    ];
    let openapi = OpenApi::new(&served);
    assert_eq!(openapi.unknown_kinds(), ["example.com/v1/Widget"]);
    assert_eq!(openapi.paths().collect::<Vec<_>>(), ["apis/apps/v1"]);
    assert!(OpenApi::new(&[]).paths().next().is_none());
}

/// The generated tables keep the order the lookups' binary searches rely on, and every field they name exists in
/// `k8s-openapi`'s schemas, so no marker is silently lost.
#[test]
fn generated_tables_are_sorted_and_match_the_schemas() {
    assert!(FIELD_MARKERS.windows(2).all(|w| (w[0].schema, w[0].property) < (w[1].schema, w[1].property)));
    assert!(TYPE_MAP_TYPES.windows(2).all(|w| w[0].0 < w[1].0));
    let mut generator = schemars::generate::SchemaSettings::openapi3().into_generator();
    for kind in KINDS {
        (kind.schema)(&mut generator);
    }
    let definitions = generator.take_definitions(false);
    let mut missing = Vec::new();
    for markers in FIELD_MARKERS {
        // Types no kind reaches (internal or alpha helpers) cannot be checked here.
        if let Some(schema) = definitions.get(markers.schema)
            && !schema["properties"][markers.property].is_object()
        {
            missing.push(format!("{}.{}", markers.schema, markers.property));
        }
    }
    assert!(missing.is_empty(), "markers for fields that do not exist: {missing:?}");
    let checked = FIELD_MARKERS.iter().filter(|m| definitions.contains_key(m.schema)).count();
    assert!(checked * 10 > FIELD_MARKERS.len() * 9, "only {checked} of {} markers checked", FIELD_MARKERS.len());
}

/// Prints each document's size and the build time (`cargo test -p openapi -- --ignored --nocapture sizes`).
#[test]
#[ignore = "a measurement, not a check"]
fn sizes() {
    let started = std::time::Instant::now();
    let openapi = OpenApi::new(SERVED);
    let elapsed = started.elapsed();
    let mut total = 0;
    for path in openapi.paths() {
        let (bytes, _) = openapi.document(path).expect("document");
        total += bytes.len();
        let document: Value = serde_json::from_slice(bytes).expect("JSON");
        let n_schemas = document["components"]["schemas"].as_object().map_or(0, serde_json::Map::len);
        let n_paths = document["paths"].as_object().map_or(0, serde_json::Map::len);
        println!("{path:45} {:>9} bytes {n_paths:>4} paths {n_schemas:>4} schemas", bytes.len());
    }
    println!("root {} bytes; all documents {total} bytes; built in {elapsed:?}", openapi.root().len());
}

// OpenAPI v2.

/// The length-delimited fields of one protobuf message, as (field number, bytes); other wire types are skipped.
fn protobuf_fields(mut bytes: &[u8]) -> Vec<(u64, &[u8])> {
    fn varint(bytes: &mut &[u8]) -> u64 {
        let mut value = 0;
        let mut shift = 0;
        loop {
            let byte = bytes[0];
            *bytes = &bytes[1..];
            value |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte < 0x80 {
                return value;
            }
        }
    }
    let mut fields = Vec::new();
    while !bytes.is_empty() {
        let tag = varint(&mut bytes);
        match tag & 7 {
            0 => {
                varint(&mut bytes);
            }
            1 => bytes = &bytes[8..],
            2 => {
                let len = varint(&mut bytes) as usize;
                fields.push((tag >> 3, &bytes[..len]));
                bytes = &bytes[len..];
            }
            other => panic!("unexpected wire type {other}"),
        }
    }
    fields
}

#[test]
fn v2_document_has_definitions_with_kubectl_extensions() {
    let v2 = crate::OpenApiV2::from_v3(openapi().documents());
    let document: Value = serde_json::from_slice(v2.json()).expect("JSON");
    assert_eq!(document["swagger"], "2.0");
    let deployment = &document["definitions"]["io.k8s.api.apps.v1.Deployment"];
    assert_eq!(deployment["x-kubernetes-group-version-kind"][0]["kind"], "Deployment");
    assert_eq!(deployment["properties"]["spec"]["$ref"], "#/definitions/io.k8s.api.apps.v1.DeploymentSpec");
    let containers = &document["definitions"]["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(containers["items"]["$ref"], "#/definitions/io.k8s.api.core.v1.Container");
    let int_or_string = &document["definitions"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
    assert_eq!((&int_or_string["type"], &int_or_string["format"]), (&json!("string"), &json!("int-or-string")));
    assert!(int_or_string.get("oneOf").is_none());
    let text = String::from_utf8_lossy(v2.json());
    assert!(!text.contains("#/components/"), "every reference points at definitions");
    let patch = &document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    assert!(patch["consumes"].as_array().expect("consumes").contains(&json!("application/strategic-merge-patch+json")));
    assert_eq!(patch["parameters"][0]["in"], "body");
    assert!(patch["parameters"].as_array().expect("parameters").iter().any(|p| p["name"] == "fieldValidation"));
    assert_eq!(v2.etag(), format!("\"{}\"", crate::sha512_hex(v2.json())));

    // The protobuf form: Document.swagger (1), and the Deployment's NamedSchema under Definitions (9) with its
    // group-version-kind among the schema's vendor extensions (31).
    let fields = protobuf_fields(v2.protobuf());
    assert_eq!(fields[0], (1, &b"2.0"[..]));
    let definitions = fields.iter().find(|(number, _)| *number == 9).expect("definitions").1;
    let named = protobuf_fields(definitions)
        .into_iter()
        .map(|(_, named)| protobuf_fields(named))
        .find(|named| named[0].1 == b"io.k8s.api.apps.v1.Deployment")
        .expect("the Deployment schema");
    let extensions: Vec<String> = protobuf_fields(named[1].1)
        .into_iter()
        .filter(|(number, _)| *number == 31)
        .map(|(_, extension)| String::from_utf8_lossy(protobuf_fields(extension)[0].1).into_owned())
        .collect();
    assert_eq!(extensions, ["x-kubernetes-group-version-kind"]);
}

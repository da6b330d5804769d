//! The `paths` of a group version's document, laid out as kube-apiserver's: for each resource its collection,
//! object, all-namespaces and watch paths and its subresources, each operation with its query parameters, request
//! body, responses, `x-kubernetes-action` and `x-kubernetes-group-version-kind`. kubectl reads two things here:
//! whether a kind's PATCH operation takes `fieldValidation` (then it leaves validation to the server) and whether
//! it accepts `application/strategic-merge-patch+json`.

use serde_json::{Map, Value, json};

use crate::ServedResource;
use crate::catalog::{self, Kind};
use crate::schemas::{API_RESOURCE_LIST, DELETE_OPTIONS, PATCH, STATUS, WATCH_EVENT, list_name, reference};

/// What single objects and lists are served as.
const OBJECT_TYPES: &[&str] = &["application/json", "application/vnd.kubernetes.protobuf", "application/yaml"];
/// What lists may also be streamed as (`?watch=true` on a list path).
const LIST_TYPES: &[&str] = &[
    "application/json",
    "application/json;stream=watch",
    "application/vnd.kubernetes.protobuf",
    "application/vnd.kubernetes.protobuf;stream=watch",
    "application/yaml",
];
/// What watch events are streamed as.
const WATCH_TYPES: &[&str] = &[
    "application/json",
    "application/json;stream=watch",
    "application/vnd.kubernetes.protobuf",
    "application/vnd.kubernetes.protobuf;stream=watch",
];
/// The patch types a PATCH operation accepts; kubectl computes a strategic merge patch only when the third one is
/// listed.
const PATCH_TYPES: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
];

/// The paths of one group version's resources, which all share a group and version.
pub(crate) fn paths(resources: &[(&ServedResource, &'static Kind)]) -> Value {
    let Some((first, _)) = resources.first() else { return json!({}) };
    let group_version = GroupVersion::new(first.group, first.version);
    let mut paths = Map::new();
    paths.insert(format!("{}/", group_version.prefix), group_version.api_resources());
    for (resource, kind) in resources {
        Resource { group_version: &group_version, resource, kind }.add_paths(&mut paths);
    }
    Value::Object(paths)
}

/// The names a group version gives its paths and operations.
struct GroupVersion {
    /// `/api/v1` or `/apis/apps/v1`.
    prefix: String,
    /// `core_v1`, `apps_v1`, `rbacAuthorization_v1`.
    tag: String,
    /// The operation id infix: `CoreV1`, `AppsV1`, `RbacAuthorizationV1`.
    id: String,
}

impl GroupVersion {
    fn new(group: &str, version: &str) -> GroupVersion {
        let words = if group.is_empty() {
            vec!["core".to_owned()]
        } else {
            group.trim_end_matches(".k8s.io").split('.').map(str::to_owned).collect()
        };
        let camel = words.iter().map(|w| capitalize(w)).collect::<String>();
        let mut tag = camel.clone();
        if let Some(first) = tag.get(..1) {
            tag = first.to_ascii_lowercase() + &tag[1..];
        }
        GroupVersion {
            prefix: format!("/{}", crate::document_path(group, version)),
            tag: format!("{tag}_{version}"),
            id: format!("{camel}{}", capitalize(version)),
        }
    }

    /// `GET /apis/<group>/<version>/`: the group version's resource list.
    fn api_resources(&self) -> Value {
        json!({
            "get": {
                "description": "get available resources",
                "operationId": format!("get{}APIResources", self.id),
                "responses": responses(&[("200", "OK")], OBJECT_TYPES, &reference(API_RESOURCE_LIST)),
                "tags": [self.tag],
            },
        })
    }
}

/// One served resource, with the `k8s-openapi` type of its kind.
struct Resource<'a> {
    group_version: &'a GroupVersion,
    resource: &'a ServedResource,
    kind: &'static Kind,
}

impl Resource<'_> {
    fn has(&self, verb: &str) -> bool {
        self.resource.verbs.contains(&verb)
    }

    /// `Namespaced` in the operation ids of namespaced resources.
    fn scope_word(&self) -> &'static str {
        if self.resource.namespaced { "Namespaced" } else { "" }
    }

    fn add_paths(&self, paths: &mut Map<String, Value>) {
        self.add_collection(paths);
        self.add_object(paths);
        self.add_all_namespaces(paths);
        self.add_watches(paths);
        self.add_subresources(paths);
    }

    /// `/apis/apps/v1/namespaces/{namespace}/deployments`, or `/apis/rbac.../v1/clusterroles`.
    fn collection_path(&self) -> String {
        let (prefix, plural) = (&self.group_version.prefix, self.resource.plural);
        if self.resource.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{plural}")
        } else {
            format!("{prefix}/{plural}")
        }
    }

    fn object_path(&self) -> String {
        format!("{}/{{name}}", self.collection_path())
    }

    /// The operation id's words after the verb: `AppsV1NamespacedDeployment`.
    fn id(&self) -> String {
        format!("{}{}{}", self.group_version.id, self.scope_word(), self.kind.kind)
    }

    /// The collection: list, create, delete collection.
    fn add_collection(&self, paths: &mut Map<String, Value>) {
        let (group_version_id, scope, kind_name) = (&self.group_version.id, self.scope_word(), self.kind.kind);
        let mut item = Map::new();
        if self.has("deletecollection") {
            let operation = Operation {
                description: format!("delete collection of {kind_name}"),
                id: format!("delete{group_version_id}Collection{scope}{kind_name}"),
                action: "deletecollection",
                kind: self.kind,
                parameters: delete_collection_parameters(),
                body: Some(delete_options_body()),
                responses: responses(&[("200", "OK")], OBJECT_TYPES, &reference(STATUS)),
            };
            item.insert("delete".to_owned(), operation.into_value(&self.group_version.tag));
        }
        if self.has("list") {
            let operation = Operation {
                description: format!("list or watch objects of kind {kind_name}"),
                id: format!("list{}", self.id()),
                action: "list",
                kind: self.kind,
                parameters: list_parameters(),
                body: None,
                responses: responses(&[("200", "OK")], LIST_TYPES, &reference(&list_name(self.kind))),
            };
            item.insert("get".to_owned(), operation.into_value(&self.group_version.tag));
        }
        if self.has("create") {
            let operation = Operation {
                description: format!("create a {kind_name}"),
                id: format!("create{}", self.id()),
                action: "post",
                kind: self.kind,
                parameters: write_parameters(false),
                body: Some(object_body(self.kind)),
                responses: responses(CREATED, OBJECT_TYPES, &reference(self.kind.schema_name)),
            };
            item.insert("post".to_owned(), operation.into_value(&self.group_version.tag));
        }
        if !item.is_empty() {
            item.insert("parameters".to_owned(), Value::Array(self.path_parameters(false)));
            paths.insert(self.collection_path(), Value::Object(item));
        }
    }

    /// The object: read, replace, patch, delete.
    fn add_object(&self, paths: &mut Map<String, Value>) {
        let mut item = Map::new();
        if self.has("delete") {
            let operation = Operation {
                description: format!("delete a {}", self.kind.kind),
                id: format!("delete{}", self.id()),
                action: "delete",
                kind: self.kind,
                parameters: delete_parameters(),
                body: Some(delete_options_body()),
                responses: responses(&[("200", "OK"), ("202", "Accepted")], OBJECT_TYPES, &reference(STATUS)),
            };
            item.insert("delete".to_owned(), operation.into_value(&self.group_version.tag));
        }
        self.add_object_operations(&mut item, self.kind, "", "the specified");
        if !item.is_empty() {
            item.insert("parameters".to_owned(), Value::Array(self.path_parameters(true)));
            paths.insert(self.object_path(), Value::Object(item));
        }
    }

    /// Listing a namespaced resource across namespaces: `/apis/apps/v1/deployments`.
    fn add_all_namespaces(&self, paths: &mut Map<String, Value>) {
        if !self.resource.namespaced || !self.has("list") {
            return;
        }
        let kind_name = self.kind.kind;
        let operation = Operation {
            description: format!("list or watch objects of kind {kind_name}"),
            id: format!("list{}{kind_name}ForAllNamespaces", self.group_version.id),
            action: "list",
            kind: self.kind,
            parameters: Vec::new(),
            body: None,
            responses: responses(&[("200", "OK")], LIST_TYPES, &reference(&list_name(self.kind))),
        };
        let mut parameters = list_parameters();
        parameters.push(pretty());
        sort_parameters(&mut parameters);
        let path = format!("{}/{}", self.group_version.prefix, self.resource.plural);
        paths.insert(path, json!({ "get": operation.into_value(&self.group_version.tag), "parameters": parameters }));
    }

    /// The watch paths upstream still serves (deprecated in favour of `?watch=true`).
    fn add_watches(&self, paths: &mut Map<String, Value>) {
        if !self.has("watch") {
            return;
        }
        let (prefix, plural, kind_name) = (&self.group_version.prefix, self.resource.plural, self.kind.kind);
        let watch_collection = if self.resource.namespaced {
            format!("{prefix}/watch/namespaces/{{namespace}}/{plural}")
        } else {
            format!("{prefix}/watch/{plural}")
        };
        // (path, operation id, action, whether the path names one object)
        let mut watches = vec![
            (format!("{watch_collection}/{{name}}"), format!("watch{}", self.id()), "watch", true),
            (watch_collection, format!("watch{}List", self.id()), "watchlist", false),
        ];
        if self.resource.namespaced {
            let id = format!("watch{}{kind_name}ListForAllNamespaces", self.group_version.id);
            watches.push((format!("{prefix}/watch/{plural}"), id, "watchlist", false));
        }
        for (path, id, action, named) in watches {
            let description = if named {
                format!("watch changes to an object of kind {kind_name}")
            } else {
                format!("watch individual changes to a list of {kind_name}")
            };
            let operation = Operation {
                description,
                id,
                action,
                kind: self.kind,
                parameters: Vec::new(),
                body: None,
                responses: responses(&[("200", "OK")], WATCH_TYPES, &reference(WATCH_EVENT)),
            };
            let mut parameters = list_parameters();
            parameters.push(pretty());
            if path.contains("{namespace}") || !self.resource.namespaced {
                parameters.extend(self.path_parameters(named).into_iter().filter(|p| p["in"] == "path"));
            }
            sort_parameters(&mut parameters);
            paths.insert(
                path,
                json!({ "get": operation.into_value(&self.group_version.tag), "parameters": parameters }),
            );
        }
    }

    /// `status` and `scale` (read, replace, patch), and the subresources that only take a body to create
    /// (`eviction`, `binding`, `token`).
    fn add_subresources(&self, paths: &mut Map<String, Value>) {
        for subresource in self.resource.subresources {
            let Some(sub_kind) = catalog::subresource_kind(self.kind, subresource) else { continue };
            let mut item = Map::new();
            match *subresource {
                "status" | "scale" => {
                    let subject = format!("{subresource} of the specified");
                    self.add_object_operations(&mut item, sub_kind, subresource, &subject);
                }
                _ => {
                    let operation = Operation {
                        description: format!("create {subresource} of a {}", self.kind.kind),
                        id: format!("create{}{}", self.id(), capitalize(subresource)),
                        action: "post",
                        kind: sub_kind,
                        parameters: write_parameters(false),
                        body: Some(object_body(sub_kind)),
                        responses: responses(CREATED, OBJECT_TYPES, &reference(sub_kind.schema_name)),
                    };
                    item.insert("post".to_owned(), operation.into_value(&self.group_version.tag));
                }
            }
            if !item.is_empty() {
                let mut parameters = self.path_parameters(true);
                if let Some(name) = parameters.iter_mut().find(|p| p["name"] == "name") {
                    name["description"] = json!(format!("name of the {}", sub_kind.kind));
                }
                item.insert("parameters".to_owned(), Value::Array(parameters));
                paths.insert(format!("{}/{subresource}", self.object_path()), Value::Object(item));
            }
        }
    }

    /// Adds get (read), put (replace) and patch, as the resource's verbs allow, for the object or one of its
    /// subresources (`status`, `scale`) whose body is a `body_kind`.
    fn add_object_operations(&self, item: &mut Map<String, Value>, body_kind: &Kind, subresource: &str, subject: &str) {
        let (id, kind_name) = (self.id(), self.kind.kind);
        let suffix = capitalize(subresource);
        let body_ref = reference(body_kind.schema_name);
        if self.has("get") {
            let operation = Operation {
                description: format!("read {subject} {kind_name}"),
                id: format!("read{id}{suffix}"),
                action: "get",
                kind: body_kind,
                parameters: Vec::new(),
                body: None,
                responses: responses(&[("200", "OK")], OBJECT_TYPES, &body_ref),
            }
            .into_value(&self.group_version.tag);
            item.insert("get".to_owned(), operation);
        }
        if self.has("update") {
            let operation = Operation {
                description: format!("replace {subject} {kind_name}"),
                id: format!("replace{id}{suffix}"),
                action: "put",
                kind: body_kind,
                parameters: write_parameters(false),
                body: Some(object_body(body_kind)),
                responses: responses(&[("200", "OK"), ("201", "Created")], OBJECT_TYPES, &body_ref),
            }
            .into_value(&self.group_version.tag);
            item.insert("put".to_owned(), operation);
        }
        if self.has("patch") {
            let content = PATCH_TYPES
                .iter()
                .map(|t| ((*t).to_owned(), json!({ "schema": reference(PATCH) })))
                .collect::<Map<_, _>>();
            let operation = Operation {
                description: format!("partially update {subject} {kind_name}"),
                id: format!("patch{id}{suffix}"),
                action: "patch",
                kind: body_kind,
                parameters: write_parameters(true),
                body: Some(json!({ "content": content, "required": true })),
                responses: responses(&[("200", "OK"), ("201", "Created")], OBJECT_TYPES, &body_ref),
            }
            .into_value(&self.group_version.tag);
            item.insert("patch".to_owned(), operation);
        }
    }

    /// The parameters every operation of a path shares: `name` (for object paths), `namespace` (for namespaced
    /// resources) and `pretty`.
    fn path_parameters(&self, named: bool) -> Vec<Value> {
        let mut parameters = Vec::new();
        if named {
            parameters.push(path_parameter("name", &format!("name of the {}", self.kind.kind)));
        }
        if self.resource.namespaced {
            parameters.push(path_parameter("namespace", "the namespace of the object"));
        }
        parameters.push(pretty());
        parameters
    }
}

/// One operation, before it is written out.
struct Operation<'k> {
    description: String,
    id: String,
    /// `x-kubernetes-action`: get, list, post, put, patch, delete, deletecollection, watch or watchlist.
    action: &'static str,
    /// The kind of the operation's body, its `x-kubernetes-group-version-kind`, which kubectl matches against.
    kind: &'k Kind,
    parameters: Vec<Value>,
    body: Option<Value>,
    responses: Value,
}

impl Operation<'_> {
    fn into_value(self, tag: &str) -> Value {
        let mut operation = json!({
            "description": self.description,
            "operationId": self.id,
            "responses": self.responses,
            "tags": [tag],
            "x-kubernetes-action": self.action,
            "x-kubernetes-group-version-kind": {
                "group": self.kind.group,
                "kind": self.kind.kind,
                "version": self.kind.version,
            },
        });
        if !self.parameters.is_empty() {
            operation["parameters"] = Value::Array(self.parameters);
        }
        if let Some(body) = self.body {
            operation["requestBody"] = body;
        }
        operation
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The status codes of operations that create: 200 when the object already existed (dry run), 201, 202.
const CREATED: &[(&str, &str)] = &[("200", "OK"), ("201", "Created"), ("202", "Accepted")];

fn delete_options_body() -> Value {
    json!({ "content": { "*/*": { "schema": reference(DELETE_OPTIONS) } } })
}

fn object_body(kind: &Kind) -> Value {
    json!({ "content": { "*/*": { "schema": reference(kind.schema_name) } }, "required": true })
}

/// `responses`: each status code with `schema` in every content type, plus 401.
fn responses(codes: &[(&str, &str)], content_types: &[&str], schema: &Value) -> Value {
    let content = content_types.iter().map(|t| ((*t).to_owned(), json!({ "schema": schema }))).collect::<Map<_, _>>();
    let mut responses = codes
        .iter()
        .map(|(code, description)| ((*code).to_owned(), json!({ "content": content, "description": description })))
        .collect::<Map<_, _>>();
    responses.insert("401".to_owned(), json!({ "description": "Unauthorized" }));
    Value::Object(responses)
}

fn path_parameter(name: &str, description: &str) -> Value {
    json!({
        "description": description,
        "in": "path",
        "name": name,
        "required": true,
        "schema": { "type": "string", "uniqueItems": true },
    })
}

fn query_parameter(name: &str, kind: &str, description: &str) -> Value {
    json!({
        "description": description,
        "in": "query",
        "name": name,
        "schema": { "type": kind, "uniqueItems": true },
    })
}

fn sort_parameters(parameters: &mut [Value]) {
    parameters.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
}

fn pretty() -> Value {
    query_parameter("pretty", "string", "If 'true', the output is pretty printed.")
}

fn dry_run() -> Value {
    query_parameter(
        "dryRun",
        "string",
        "When present, the request is fully processed but nothing is persisted. The only valid value is All.",
    )
}

/// The parameters of create (POST), replace (PUT) and, with `patch`, PATCH.
fn write_parameters(patch: bool) -> Vec<Value> {
    let mut field_manager = String::from(
        "The name of the actor making the change, recorded in managedFields: at most 128 printable characters.",
    );
    if patch {
        field_manager.push_str(" Required for apply patches (application/apply-patch+yaml), optional otherwise.");
    }
    let mut parameters = vec![
        dry_run(),
        query_parameter("fieldManager", "string", &field_manager),
        query_parameter(
            "fieldValidation",
            "string",
            "How the server treats unknown and duplicate fields in the request body (POST, PUT, PATCH). Ignore: \
             drops them silently. Warn: drops them and sends one Warning header for each. Strict: rejects the \
             request with a BadRequest error listing them.",
        ),
    ];
    if patch {
        parameters.push(query_parameter(
            "force",
            "boolean",
            "Force an apply patch: take over the fields other managers own. Must be unset for other patch types.",
        ));
    }
    parameters
}

fn list_parameters() -> Vec<Value> {
    vec![
        query_parameter(
            "allowWatchBookmarks",
            "boolean",
            "Ask for BOOKMARK watch events, which carry only a resourceVersion. The server sends them at its own \
             pace.",
        ),
        query_parameter("continue", "string", "The continue token of the previous page of a paginated list."),
        query_parameter("fieldSelector", "string", "Restrict the objects returned by their fields."),
        query_parameter("labelSelector", "string", "Restrict the objects returned by their labels."),
        query_parameter(
            "limit",
            "integer",
            "The most objects to return; when more remain, the list's metadata carries a continue token.",
        ),
        query_parameter(
            "resourceVersion",
            "string",
            "Which resource version the request may be served from; see resourceVersionMatch.",
        ),
        query_parameter(
            "resourceVersionMatch",
            "string",
            "How resourceVersion applies to a list: NotOlderThan or Exact.",
        ),
        query_parameter(
            "sendInitialEvents",
            "boolean",
            "With watch=true, start with an ADDED event for each current object, then a BOOKMARK annotated \
             k8s.io/initial-events-end. Requires resourceVersionMatch=NotOlderThan.",
        ),
        query_parameter("timeoutSeconds", "integer", "How long the list or watch call may last."),
        query_parameter("watch", "boolean", "Stream the changes to the listed objects as watch events."),
    ]
}

fn delete_parameters() -> Vec<Value> {
    vec![
        dry_run(),
        query_parameter(
            "gracePeriodSeconds",
            "integer",
            "Seconds to wait before the object is deleted; zero deletes at once, unset uses the kind's default.",
        ),
        query_parameter(
            "ignoreStoreReadErrorWithClusterBreakingPotential",
            "boolean",
            "Delete an object even when it cannot be read from storage, skipping finalizers and preconditions.",
        ),
        query_parameter(
            "orphanDependents",
            "boolean",
            "Deprecated, use propagationPolicy: whether the object's dependents are orphaned.",
        ),
        query_parameter(
            "propagationPolicy",
            "string",
            "How the garbage collector treats the object's dependents: Orphan, Background or Foreground.",
        ),
    ]
}

fn delete_collection_parameters() -> Vec<Value> {
    let mut parameters = delete_parameters();
    parameters.extend(
        list_parameters().into_iter().filter(|p| !matches!(p["name"].as_str(), Some("watch" | "allowWatchBookmarks"))),
    );
    sort_parameters(&mut parameters);
    parameters
}

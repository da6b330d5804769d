//! The `components.schemas` of the documents: every type reachable from the served kinds, as `k8s-openapi`'s
//! `schemars` implementations describe it, reshaped the way kube-apiserver publishes it. A reference that carries
//! a description becomes `allOf: [{$ref}]` (OpenAPI 3.0 ignores siblings of `$ref`); fields get the list and map
//! extensions of the generated tables; kinds and lists get `x-kubernetes-group-version-kind`; `IntOrString` and
//! `Quantity` take upstream's v3 shapes; the `<Kind>List` types, which `k8s-openapi` models as one generic
//! `List<T>`, are written here.

use std::collections::{BTreeSet, VecDeque};

use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::ServedResource;
use crate::catalog::{self, FieldMarkers, Kind};

/// Where `$ref`s point.
pub(crate) const REF_PREFIX: &str = "#/components/schemas/";

pub(crate) const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
pub(crate) const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
pub(crate) const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
pub(crate) const WATCH_EVENT: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
pub(crate) const API_RESOURCE_LIST: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList";
const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/// `{"$ref": "#/components/schemas/<name>"}`.
pub(crate) fn reference(name: &str) -> Value {
    json!({ "$ref": format!("{REF_PREFIX}{name}") })
}

/// The schema name of a kind's list type: `io.k8s.api.apps.v1.DeploymentList`.
pub(crate) fn list_name(kind: &Kind) -> String {
    format!("{}List", kind.schema_name)
}

/// Every schema any document needs, reshaped.
#[derive(Debug)]
pub(crate) struct Schemas {
    definitions: Map<String, Value>,
}

impl Schemas {
    /// The schemas of `resources`' kinds, of their subresources' kinds and of the types the operations use, with
    /// everything they refer to. `group_versions` are the served group versions, for the group-version-kinds of
    /// `DeleteOptions` and `WatchEvent`.
    pub(crate) fn build(resources: &[(&ServedResource, &'static Kind)], group_versions: &[(&str, &str)]) -> Schemas {
        let mut generator = SchemaSettings::openapi3()
            .with(|settings| {
                // The reshaping below is kube-apiserver's, not schemars' OpenAPI 3 transforms.
                settings.transforms.clear();
                settings.meta_schema = None;
            })
            .into_generator();
        generator.subschema_for::<meta::DeleteOptions>();
        generator.subschema_for::<meta::Status>();
        generator.subschema_for::<meta::Patch>();
        generator.subschema_for::<meta::ListMeta>();
        generator.subschema_for::<meta::APIResourceList>();
        generator.subschema_for::<meta::WatchEvent<k8s_openapi::apimachinery::pkg::runtime::RawExtension>>();
        let mut listable = Vec::new();
        for (resource, kind) in resources {
            (kind.schema)(&mut generator);
            for subresource in resource.subresources {
                if let Some(sub_kind) = catalog::subresource_kind(kind, subresource) {
                    (sub_kind.schema)(&mut generator);
                }
            }
            if kind.listable && !listable.iter().any(|k: &&Kind| k.schema_name == kind.schema_name) {
                listable.push(*kind);
            }
        }

        let mut definitions = generator.take_definitions(false);
        for (name, schema) in &mut definitions {
            reshape(name, schema);
            if let Some(kind) = catalog::kind_by_schema(name) {
                set_extension(
                    schema,
                    "x-kubernetes-group-version-kind",
                    json!([gvk(kind.group, kind.version, kind.kind)]),
                );
            }
        }
        for kind in listable {
            let list = list_schema(kind, &definitions);
            definitions.insert(list_name(kind), list);
        }
        let served = group_versions.iter().copied().collect::<BTreeSet<_>>();
        for (name, kind) in [(DELETE_OPTIONS, "DeleteOptions"), (WATCH_EVENT, "WatchEvent")] {
            let gvks = served.iter().map(|(group, version)| gvk(group, version, kind)).collect::<Vec<_>>();
            if let Some(schema) = definitions.get_mut(name) {
                set_extension(schema, "x-kubernetes-group-version-kind", Value::Array(gvks));
            }
        }
        Schemas { definitions }
    }

    /// The schemas `document` refers to, and those they refer to in turn.
    pub(crate) fn reachable(&self, document: &Value) -> Map<String, Value> {
        let mut queue = VecDeque::new();
        collect_references(document, &mut queue);
        let mut reachable = Map::new();
        while let Some(name) = queue.pop_front() {
            if reachable.contains_key(&name) {
                continue;
            }
            if let Some(schema) = self.definitions.get(&name) {
                collect_references(schema, &mut queue);
                reachable.insert(name, schema.clone());
            }
        }
        reachable
    }
}

/// `{"group": ..., "kind": ..., "version": ...}`.
fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({ "group": group, "kind": kind, "version": version })
}

fn set_extension(schema: &mut Value, key: &str, value: Value) {
    if let Some(object) = schema.as_object_mut() {
        object.insert(key.to_owned(), value);
    }
}

/// Pushes the name of every schema `value` refers to.
fn collect_references(value: &Value, names: &mut VecDeque<String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => {
                        if let Some(name) = target.strip_prefix(REF_PREFIX) {
                            names.push_back(name.to_owned());
                        }
                    }
                    _ => collect_references(child, names),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_references(item, names)),
        _ => {}
    }
}

/// Reshapes one top-level schema in place.
fn reshape(name: &str, schema: &mut Value) {
    let description = schema.get("description").cloned();
    match name {
        INT_OR_STRING => {
            *schema = json!({
                "format": "int-or-string",
                "oneOf": [{"type": "integer"}, {"type": "string"}],
                "x-kubernetes-int-or-string": true,
            });
        }
        QUANTITY => *schema = json!({ "oneOf": [{"type": "string"}, {"type": "number"}] }),
        _ => {}
    }
    let Some(object) = schema.as_object_mut() else { return };
    if let Some(description) = description {
        object.insert("description".to_owned(), description);
    }
    // `k8s-openapi` requires `metadata` so that its structs need no `Option` around it; upstream never does.
    if let Some(required) = object.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|field| field != "metadata");
        if required.is_empty() {
            object.remove("required");
        }
    }
    if let Some(map_type) = catalog::type_map_type(name) {
        object.insert("x-kubernetes-map-type".to_owned(), json!(map_type));
    }
    if let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) {
        for (property, field) in properties.iter_mut() {
            reshape_field(field);
            if let Some(markers) = catalog::field_markers(name, property) {
                apply_markers(field, markers);
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = object.get_mut(key) {
            reshape_field(child);
        }
    }
}

/// Wraps a `$ref` that has siblings in `allOf`, here and in nested item, value and property schemas.
fn reshape_field(field: &mut Value) {
    let Some(object) = field.as_object_mut() else { return };
    if object.len() > 1
        && let Some(target) = object.remove("$ref")
    {
        object.insert("allOf".to_owned(), json!([{ "$ref": target }]));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = object.get_mut(key) {
            reshape_field(child);
        }
    }
    if let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) {
        properties.values_mut().for_each(reshape_field);
    }
}

fn apply_markers(field: &mut Value, markers: &FieldMarkers) {
    let Some(object) = field.as_object_mut() else { return };
    let mut set = |key: &str, value: Option<&str>| {
        if let Some(value) = value {
            object.insert(key.to_owned(), json!(value));
        }
    };
    set("x-kubernetes-patch-merge-key", markers.patch_merge_key);
    set("x-kubernetes-patch-strategy", markers.patch_strategy);
    set("x-kubernetes-list-type", markers.list_type);
    set("x-kubernetes-map-type", markers.map_type);
    if !markers.list_map_keys.is_empty() {
        object.insert("x-kubernetes-list-map-keys".to_owned(), json!(markers.list_map_keys));
    }
}

/// The schema of `<Kind>List`: `apiVersion`, `kind`, `metadata` (a `ListMeta`) and `items`.
fn list_schema(kind: &Kind, definitions: &Map<String, Value>) -> Value {
    let name = list_name(kind);
    let docs = catalog::list_docs(&name);
    // The descriptions of `apiVersion` and `kind` are the same on every type; take the item kind's.
    let item_description = |property: &str| {
        definitions
            .get(kind.schema_name)
            .and_then(|schema| schema["properties"][property]["description"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let fallback = format!("{}List is a list of {} objects.", kind.kind, kind.kind);
    let mut metadata = json!({ "allOf": [reference(LIST_META)] });
    let mut items = json!({ "type": "array", "items": reference(kind.schema_name) });
    describe(&mut metadata, docs.map_or("", |d| d.metadata));
    describe(&mut items, docs.map_or("", |d| d.items));
    let mut api_version = json!({ "type": "string" });
    describe(&mut api_version, &item_description("apiVersion"));
    let mut kind_field = json!({ "type": "string" });
    describe(&mut kind_field, &item_description("kind"));
    let mut list = json!({
        "type": "object",
        "properties": {
            "apiVersion": api_version,
            "items": items,
            "kind": kind_field,
            "metadata": metadata,
        },
        "required": ["items"],
        "x-kubernetes-group-version-kind": [gvk(kind.group, kind.version, &format!("{}List", kind.kind))],
    });
    describe(&mut list, docs.map_or(fallback.as_str(), |d| d.description));
    list
}

/// Sets a non-empty `description`.
fn describe(schema: &mut Value, description: &str) {
    if !description.is_empty() {
        set_extension(schema, "description", json!(description));
    }
}

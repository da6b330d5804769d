//! CustomResourceDefinitions: the resources a CRD serves, and its structural schema at work on custom objects
//! (pruning unknown fields, defaults, validation with kube-apiserver's messages), the OpenAPI v3 documents of
//! custom group versions, and the printer columns of their tables.
//!
//! Every served version of a CRD becomes a [`ResourceType`] whose decoder is the version's schema. Versions are
//! converted with the `None` strategy: an object is the same JSON in every version, only `apiVersion` differs.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::registry::{CustomSchema, Decoder, OpenApiDocument, ResourceType, STATUS, STATUS_SCALE, Subresource, Verbs};
use crate::status::Cause;

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

fn strings(value: &Value, pointer: &str) -> Vec<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Custom objects are one JSON in every version of their CRD (the `None` conversion): only `apiVersion` says
/// which version they are read through.
pub fn present(resource: &ResourceType, object: &mut Value) {
    if matches!(resource.decoder, Decoder::Custom(_))
        && let Some(map) = object.as_object_mut()
    {
        map.insert("apiVersion".into(), Value::String(resource.api_version()));
    }
}

/// The resources a CRD serves, one per served version.
pub fn resources_of(crd: &Value) -> Vec<ResourceType> {
    let group = text(crd, "/spec/group").to_owned();
    let kind = text(crd, "/spec/names/kind").to_owned();
    let plural = text(crd, "/spec/names/plural").to_owned();
    if group.is_empty() || kind.is_empty() || plural.is_empty() {
        return Vec::new();
    }
    let list_kind = match text(crd, "/spec/names/listKind") {
        "" => format!("{kind}List"),
        given => given.to_owned(),
    };
    let singular = match text(crd, "/spec/names/singular") {
        "" => kind.to_ascii_lowercase(),
        given => given.to_owned(),
    };
    let namespaced = text(crd, "/spec/scope") != "Cluster";
    let mut categories = strings(crd, "/spec/names/categories");
    categories.dedup();
    let mut resources = Vec::new();
    for version in crd.pointer("/spec/versions").and_then(Value::as_array).into_iter().flatten() {
        if version.get("served").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let name = text(version, "/name");
        if name.is_empty() {
            continue;
        }
        let subresources: &'static [Subresource] =
            match (version.pointer("/subresources/status").is_some(), version.pointer("/subresources/scale").is_some())
            {
                (_, true) => STATUS_SCALE,
                (true, false) => STATUS,
                (false, false) => &[],
            };
        let schema = CustomSchema {
            schema: version.pointer("/schema/openAPIV3Schema").cloned().unwrap_or(Value::Null),
            columns: version.get("additionalPrinterColumns").and_then(Value::as_array).cloned().unwrap_or_default(),
        };
        resources.push(ResourceType {
            group: Cow::Owned(group.clone()),
            version: Cow::Owned(name.to_owned()),
            kind: Cow::Owned(kind.clone()),
            list_kind: Cow::Owned(list_kind.clone()),
            plural: Cow::Owned(plural.clone()),
            singular: singular.clone(),
            namespaced,
            short_names: strings(crd, "/spec/names/shortNames"),
            categories: categories.clone(),
            verbs: Verbs::Stored,
            subresources,
            decoder: Decoder::Custom(Arc::new(schema)),
            conversion: None,
        });
    }
    // Discovery lists versions by Kubernetes version priority: the first is the preferred one.
    resources.sort_by_key(|resource| version_priority(&resource.version));
    resources
}

/// The sort key of a Kubernetes version: GA before beta before alpha, higher numbers first, anything else
/// last in name order (upstream's `CompareKubeAwareVersionStrings`).
fn version_priority(version: &str) -> (u8, std::cmp::Reverse<u64>, std::cmp::Reverse<u64>, String) {
    let parsed = version.strip_prefix('v').and_then(|rest| {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let major: u64 = rest[..digits].parse().ok()?;
        match &rest[digits..] {
            "" => Some((0, major, 0)),
            tail => {
                let (stage, minor) = if let Some(n) = tail.strip_prefix("beta") {
                    (1, n)
                } else if let Some(n) = tail.strip_prefix("alpha") {
                    (2, n)
                } else {
                    return None;
                };
                Some((stage, major, if minor.is_empty() { 0 } else { minor.parse().ok()? }))
            }
        }
    });
    match parsed {
        Some((stage, major, minor)) => (stage, std::cmp::Reverse(major), std::cmp::Reverse(minor), String::new()),
        None => (3, std::cmp::Reverse(0), std::cmp::Reverse(0), version.to_owned()),
    }
}

/// What the CRD controllers would write into a CRD's status at once: names accepted, established, and the
/// stored versions.
pub fn established_status(crd: &Value, now: &str) -> Value {
    let storage: Vec<Value> = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .filter_map(|v| v.get("name").cloned())
        .collect();
    let mut accepted = crd.pointer("/spec/names").cloned().unwrap_or_else(|| json!({}));
    if accepted.get("singular").is_none_or(|s| s.as_str() == Some("")) {
        accepted["singular"] = json!(text(crd, "/spec/names/kind").to_ascii_lowercase());
    }
    if accepted.get("listKind").is_none_or(|s| s.as_str() == Some("")) {
        accepted["listKind"] = json!(format!("{}List", text(crd, "/spec/names/kind")));
    }
    json!({
        "conditions": [
            { "type": "NamesAccepted", "status": "True", "lastTransitionTime": now,
              "reason": "NoConflicts", "message": "no conflicts found" },
            { "type": "Established", "status": "True", "lastTransitionTime": now,
              "reason": "InitialNamesAccepted", "message": "the initial names have been accepted" },
        ],
        "acceptedNames": accepted,
        "storedVersions": storage,
    })
}

/// Checks what the typed decoding of a CRD cannot: names, versions and their schemas. Causes as kube-apiserver
/// reports them.
pub fn validate_definition(crd: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let mut invalid = |field: &str, message: String| {
        causes.push(Cause { reason: "FieldValueInvalid", message, field: field.to_owned() });
    };
    let group = text(crd, "/spec/group");
    let plural = text(crd, "/spec/names/plural");
    let name = text(crd, "/metadata/name");
    if group.is_empty() || !group.contains('.') {
        invalid("spec.group", format!("Invalid value: \"{group}\": should be a domain with at least one dot"));
    }
    if plural.is_empty() {
        causes.push(Cause {
            reason: "FieldValueRequired",
            message: "Required value".into(),
            field: "spec.names.plural".into(),
        });
    }
    let expected = format!("{plural}.{group}");
    if name != expected {
        causes.push(Cause {
            reason: "FieldValueInvalid",
            message: format!("Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"),
            field: "metadata.name".into(),
        });
    }
    if text(crd, "/spec/names/kind").is_empty() {
        causes.push(Cause {
            reason: "FieldValueRequired",
            message: "Required value".into(),
            field: "spec.names.kind".into(),
        });
    }
    let scope = text(crd, "/spec/scope");
    if scope != "Namespaced" && scope != "Cluster" {
        causes.push(Cause {
            reason: "FieldValueNotSupported",
            message: format!("Unsupported value: \"{scope}\": supported values: \"Cluster\", \"Namespaced\""),
            field: "spec.scope".into(),
        });
    }
    let versions = crd.pointer("/spec/versions").and_then(Value::as_array).cloned().unwrap_or_default();
    if versions.is_empty() {
        causes.push(Cause {
            reason: "FieldValueInvalid",
            message: "Invalid value: \"null\": must have exactly one version marked as storage version".into(),
            field: "spec.versions".into(),
        });
    } else if versions.iter().filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true)).count() != 1 {
        causes.push(Cause {
            reason: "FieldValueInvalid",
            message: "Invalid value: \"[]\": must have exactly one version marked as storage version".into(),
            field: "spec.versions".into(),
        });
    }
    for (index, version) in versions.iter().enumerate() {
        let schema = version.pointer("/schema/openAPIV3Schema");
        if schema.is_none() {
            causes.push(Cause {
                reason: "FieldValueRequired",
                message: "Required value: schemas are required".into(),
                field: format!("spec.versions[{index}].schema.openAPIV3Schema"),
            });
        } else if let Some(schema) = schema
            && schema.get("type").and_then(Value::as_str) != Some("object")
        {
            causes.push(Cause {
                reason: "FieldValueRequired",
                message: "Required value: must be object at the root".into(),
                field: format!("spec.versions[{index}].schema.openAPIV3Schema.type"),
            });
        }
    }
    causes
}

/// The object with the fields its schema does not know removed (kube-apiserver's pruning); `apiVersion`,
/// `kind` and `metadata` are kept at the root.
pub fn prune(schema: &CustomSchema, object: &Value) -> Value {
    if schema.schema.is_null() {
        return object.clone();
    }
    let mut pruned = object.clone();
    prune_value(&schema.schema, &mut pruned, true);
    pruned
}

fn preserves_unknown(schema: &Value) -> bool {
    schema.get("x-kubernetes-preserve-unknown-fields").and_then(Value::as_bool) == Some(true)
}

fn prune_value(schema: &Value, value: &mut Value, root: bool) {
    match value {
        Value::Object(map) => {
            let embedded = root || schema.get("x-kubernetes-embedded-resource").and_then(Value::as_bool) == Some(true);
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            let keep_unknown = preserves_unknown(schema) || matches!(additional, Some(Value::Bool(true)));
            map.retain(|key, child| {
                if embedded && matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
                    return true;
                }
                if let Some(child_schema) = properties.and_then(|p| p.get(key)) {
                    prune_value(child_schema, child, false);
                    return true;
                }
                if let Some(child_schema @ Value::Object(_)) = additional {
                    prune_value(child_schema, child, false);
                    return true;
                }
                keep_unknown
            });
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    prune_value(item_schema, item, false);
                }
            }
        }
        _ => {}
    }
}

/// Fills in the schema's `default`s for absent fields of objects that are present.
pub fn apply_defaults(schema: &CustomSchema, object: &mut Value) {
    if !schema.schema.is_null() {
        default_value(&schema.schema, object);
    }
}

fn default_value(schema: &Value, value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (key, child_schema) in properties {
                    if !map.contains_key(key)
                        && let Some(default) = child_schema.get("default")
                    {
                        map.insert(key.clone(), default.clone());
                    }
                    if let Some(child) = map.get_mut(key) {
                        default_value(child_schema, child);
                    }
                }
            }
            if let Some(additional @ Value::Object(_)) = schema.get("additionalProperties") {
                for child in map.values_mut() {
                    default_value(additional, child);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    default_value(item_schema, item);
                }
            }
        }
        _ => {}
    }
}

/// Validates a custom object against its schema, with kube-apiserver's field paths and messages. `metadata`,
/// `apiVersion` and `kind` are the API machinery's business and are not checked here.
pub fn validate(schema: &CustomSchema, object: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    if let (Some(properties), Some(map)) =
        (schema.schema.get("properties").and_then(Value::as_object), object.as_object())
    {
        for (key, value) in map {
            if matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
                continue;
            }
            if let Some(child) = properties.get(key) {
                validate_value(child, value, key, &mut causes);
            }
        }
        check_required(&schema.schema, map, "", &mut causes);
    }
    causes
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => format!("\"{text}\""),
        Value::Null => "\"null\"".to_owned(),
        other => other.to_string(),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn check_required(schema: &Value, map: &Map<String, Value>, path: &str, causes: &mut Vec<Cause>) {
    for required in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        if !map.contains_key(required) {
            causes.push(Cause {
                reason: "FieldValueRequired",
                message: "Required value".into(),
                field: join(path, required),
            });
        }
    }
}

fn validate_value(schema: &Value, value: &Value, path: &str, causes: &mut Vec<Cause>) {
    let mut invalid = |message: String| {
        causes.push(Cause {
            reason: "FieldValueInvalid",
            message: format!("Invalid value: {}: {message}", shown(value)),
            field: path.to_owned(),
        });
    };
    if value.is_null() {
        if schema.get("nullable").and_then(Value::as_bool) != Some(true) && schema.get("type").is_some() {
            let expected = schema["type"].as_str().unwrap_or_default();
            invalid(format!("{path} in body must be of type {expected}: \"null\""));
        }
        return;
    }
    if let Some(expected) = schema.get("type").and_then(Value::as_str) {
        let actual = type_name(value);
        let int_or_string = schema.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true);
        let accepted = actual == expected
            || (expected == "number" && actual == "integer")
            || (int_or_string && matches!(actual, "integer" | "string"));
        if !accepted {
            invalid(format!("{path} in body must be of type {expected}: \"{actual}\""));
            return;
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        let supported: Vec<String> = options.iter().map(shown).collect();
        causes.push(Cause {
            reason: "FieldValueNotSupported",
            message: format!("Unsupported value: {}: supported values: {}", shown(value), supported.join(", ")),
            field: path.to_owned(),
        });
        return;
    }
    match value {
        Value::Number(number) => {
            let number = number.as_f64().unwrap_or_default();
            if let Some(minimum) = schema.get("minimum").and_then(Value::as_f64) {
                let exclusive = schema.get("exclusiveMinimum").and_then(Value::as_bool) == Some(true);
                if number < minimum || (exclusive && number == minimum) {
                    let relation = if exclusive { "greater than" } else { "greater than or equal to" };
                    invalid(format!("{path} in body should be {relation} {}", trim_float(minimum)));
                }
            }
            if let Some(maximum) = schema.get("maximum").and_then(Value::as_f64) {
                let exclusive = schema.get("exclusiveMaximum").and_then(Value::as_bool) == Some(true);
                if number > maximum || (exclusive && number == maximum) {
                    let relation = if exclusive { "less than" } else { "less than or equal to" };
                    invalid(format!("{path} in body should be {relation} {}", trim_float(maximum)));
                }
            }
        }
        Value::String(text) => {
            let length = text.chars().count() as u64;
            if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
                && length < min
            {
                invalid(format!("{path} in body should be at least {min} chars long"));
            }
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
                && length > max
            {
                causes.push(Cause {
                    reason: "FieldValueTooLong",
                    message: format!("Too long: may not be more than {max} bytes"),
                    field: path.to_owned(),
                });
            }
        }
        Value::Array(items) => {
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                invalid(format!("{path} in body should have at least {min} items"));
            }
            if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
                && (items.len() as u64) > max
            {
                causes.push(Cause {
                    reason: "FieldValueTooMany",
                    message: format!("Too many: {}: must have at most {max} items", items.len()),
                    field: path.to_owned(),
                });
            }
            if let Some(item_schema) = schema.get("items") {
                for (index, item) in items.iter().enumerate() {
                    validate_value(item_schema, item, &format!("{path}[{index}]"), causes);
                }
            }
        }
        Value::Object(map) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            for (key, child) in map {
                if let Some(child_schema) = properties.and_then(|p| p.get(key)) {
                    validate_value(child_schema, child, &join(path, key), causes);
                } else if let Some(additional @ Value::Object(_)) = schema.get("additionalProperties") {
                    validate_value(additional, child, &format!("{path}[{key}]"), causes);
                }
            }
            check_required(schema, map, path, causes);
        }
        _ => {}
    }
}

fn trim_float(value: f64) -> String {
    if value.fract() == 0.0 { format!("{}", value as i64) } else { value.to_string() }
}

/// The OpenAPI v3 documents of the custom group versions: per version, the kind's schema with its
/// group-version-kind, and the paths kubectl looks at to learn that the server validates fields.
pub fn openapi_documents(resources: &[ResourceType]) -> BTreeMap<String, OpenApiDocument> {
    let mut by_group_version: BTreeMap<String, Vec<&ResourceType>> = BTreeMap::new();
    for resource in resources {
        by_group_version.entry(openapi::document_path(&resource.group, &resource.version)).or_default().push(resource);
    }
    by_group_version
        .into_iter()
        .map(|(path, resources)| {
            let document = group_version_document(&resources);
            let json = serde_json::to_vec(&document).expect("JSON serializes");
            let hash = openapi::sha512_hex(&json);
            (path, OpenApiDocument { json, hash })
        })
        .collect()
}

fn schema_name(resource: &ResourceType) -> String {
    let reversed: Vec<&str> = resource.group.split('.').rev().collect();
    format!("{}.{}.{}", reversed.join("."), resource.version, resource.kind)
}

fn group_version_document(resources: &[&ResourceType]) -> Value {
    let mut schemas = Map::new();
    let mut paths = Map::new();
    let parameter = |name: &str, description: &str| json!({ "name": name, "in": "query", "description": description, "schema": { "type": "string", "uniqueItems": true } });
    let write_parameters = json!([
        parameter("dryRun", "When present, indicates that modifications should not be persisted."),
        parameter(
            "fieldManager",
            "fieldManager is a name associated with the actor or entity that is making these changes."
        ),
        parameter(
            "fieldValidation",
            "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict."
        ),
    ]);
    for resource in resources {
        let Decoder::Custom(custom) = &resource.decoder else { continue };
        let name = schema_name(resource);
        let mut schema = if custom.schema.is_object() { custom.schema.clone() } else { json!({ "type": "object" }) };
        let properties = schema.as_object_mut().expect("an object").entry("properties").or_insert_with(|| json!({}));
        if let Some(properties) = properties.as_object_mut() {
            properties.insert("apiVersion".into(), json!({ "type": "string", "description": "APIVersion defines the versioned schema of this representation of an object." }));
            properties.insert("kind".into(), json!({ "type": "string", "description": "Kind is a string value representing the REST resource this object represents." }));
            properties
                .insert("metadata".into(), json!({ "type": "object", "description": "Standard object's metadata." }));
        }
        schema["x-kubernetes-group-version-kind"] =
            json!([{ "group": resource.group, "version": resource.version, "kind": resource.kind }]);
        schemas.insert(name.clone(), schema);
        let reference = json!({ "$ref": format!("#/components/schemas/{name}") });
        let response =
            json!({ "200": { "description": "OK", "content": { "application/json": { "schema": reference } } } });
        let base = if resource.namespaced {
            format!("/apis/{}/{}/namespaces/{{namespace}}/{}", resource.group, resource.version, resource.plural)
        } else {
            format!("/apis/{}/{}/{}", resource.group, resource.version, resource.plural)
        };
        let gvk = json!({ "group": resource.group, "version": resource.version, "kind": resource.kind });
        paths.insert(
            base.clone(),
            json!({
                "get": { "operationId": format!("list{}", resource.kind), "responses": response, "x-kubernetes-action": "list", "x-kubernetes-group-version-kind": gvk },
                "post": { "operationId": format!("create{}", resource.kind), "parameters": write_parameters, "requestBody": { "content": { "application/json": { "schema": reference } } }, "responses": response, "x-kubernetes-action": "post", "x-kubernetes-group-version-kind": gvk },
            }),
        );
        paths.insert(
            format!("{base}/{{name}}"),
            json!({
                "get": { "operationId": format!("read{}", resource.kind), "responses": response, "x-kubernetes-action": "get", "x-kubernetes-group-version-kind": gvk },
                "put": { "operationId": format!("replace{}", resource.kind), "parameters": write_parameters, "requestBody": { "content": { "application/json": { "schema": reference } } }, "responses": response, "x-kubernetes-action": "put", "x-kubernetes-group-version-kind": gvk },
                "patch": { "operationId": format!("patch{}", resource.kind), "parameters": write_parameters, "requestBody": { "content": { "application/merge-patch+json": { "schema": { "type": "object" } }, "application/json-patch+json": { "schema": { "type": "object" } }, "application/apply-patch+yaml": { "schema": { "type": "object" } } } }, "responses": response, "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk },
                "delete": { "operationId": format!("delete{}", resource.kind), "responses": response, "x-kubernetes-action": "delete", "x-kubernetes-group-version-kind": gvk },
            }),
        );
    }
    json!({
        "openapi": "3.0.0",
        "info": { "title": "Kubernetes CRD Swagger", "version": "v0.1.0" },
        "paths": paths,
        "components": { "schemas": schemas },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(value: Value) -> CustomSchema {
        CustomSchema { schema: value, columns: Vec::new() }
    }

    fn widget_schema() -> CustomSchema {
        schema(json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "required": ["size"],
                    "properties": {
                        "size": { "type": "integer", "minimum": 1, "maximum": 10 },
                        "colour": { "type": "string", "enum": ["red", "blue"], "default": "red" },
                        "tags": { "type": "array", "maxItems": 2, "items": { "type": "string", "maxLength": 5 } },
                        "extra": { "type": "object", "x-kubernetes-preserve-unknown-fields": true },
                        "labels": { "type": "object", "additionalProperties": { "type": "string" } },
                    },
                },
                "status": { "type": "object", "properties": { "ready": { "type": "boolean" } } },
            },
        }))
    }

    #[test]
    fn pruning_keeps_known_and_preserved_fields() {
        let object = json!({
            "apiVersion": "example.com/v1", "kind": "Widget", "metadata": { "name": "w" },
            "spec": { "size": 3, "bogus": 1, "extra": { "anything": [1] }, "labels": { "a": "b" } },
            "unknown": true,
        });
        let pruned = prune(&widget_schema(), &object);
        assert_eq!(
            pruned,
            json!({
                "apiVersion": "example.com/v1", "kind": "Widget", "metadata": { "name": "w" },
                "spec": { "size": 3, "extra": { "anything": [1] }, "labels": { "a": "b" } },
            })
        );
    }

    #[test]
    fn defaults_fill_absent_fields_of_present_objects() {
        let mut object = json!({ "spec": { "size": 2 } });
        apply_defaults(&widget_schema(), &mut object);
        assert_eq!(object["spec"]["colour"], "red");
        let mut without_spec = json!({});
        apply_defaults(&widget_schema(), &mut without_spec);
        assert_eq!(without_spec, json!({}));
    }

    fn check(object: Value, expected: &[&str]) {
        let causes = validate(&widget_schema(), &object);
        let got: Vec<String> = causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect();
        assert_eq!(got, expected, "{object}");
    }

    #[test]
    fn validation_speaks_kube_apiservers_messages() {
        check(json!({ "spec": { "size": 3 } }), &[]);
        check(json!({ "spec": {} }), &["spec.size: Required value"]);
        check(
            json!({ "spec": { "size": "big" } }),
            &["spec.size: Invalid value: \"big\": spec.size in body must be of type integer: \"string\""],
        );
        check(
            json!({ "spec": { "size": 0 } }),
            &["spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1"],
        );
        check(
            json!({ "spec": { "size": 11 } }),
            &["spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10"],
        );
        check(
            json!({ "spec": { "size": 1, "colour": "green" } }),
            &["spec.colour: Unsupported value: \"green\": supported values: \"red\", \"blue\""],
        );
        check(
            json!({ "spec": { "size": 1, "tags": ["a", "b", "c"] } }),
            &["spec.tags: Too many: 3: must have at most 2 items"],
        );
        check(
            json!({ "spec": { "size": 1, "tags": ["toolong"] } }),
            &["spec.tags[0]: Too long: may not be more than 5 bytes"],
        );
        check(
            json!({ "spec": { "size": 1, "labels": { "a": 1 } } }),
            &["spec.labels[a]: Invalid value: 1: spec.labels[a] in body must be of type string: \"integer\""],
        );
        check(
            json!({ "spec": "flat" }),
            &["spec: Invalid value: \"flat\": spec in body must be of type object: \"string\""],
        );
        check(
            json!({ "spec": null }),
            &["spec: Invalid value: \"null\": spec in body must be of type object: \"null\""],
        );
    }

    #[test]
    fn versions_sort_as_kubernetes_prefers_them() {
        let mut versions = vec!["v1alpha1", "v1", "foo", "v2beta1", "v2", "v1beta2", "v1beta1", "v10", "bar"];
        versions.sort_by_key(|v| version_priority(v));
        assert_eq!(versions, ["v10", "v2", "v1", "v2beta1", "v1beta2", "v1beta1", "v1alpha1", "bar", "foo"]);
    }

    #[test]
    fn a_crd_serves_one_resource_per_served_version() {
        let crd = json!({
            "metadata": { "name": "widgets.example.com" },
            "spec": {
                "group": "example.com", "scope": "Namespaced",
                "names": { "kind": "Widget", "plural": "widgets", "shortNames": ["wd"], "categories": ["all"] },
                "versions": [
                    { "name": "v1", "served": true, "storage": true, "schema": { "openAPIV3Schema": { "type": "object" } },
                      "subresources": { "status": {} } },
                    { "name": "v1beta1", "served": false, "storage": false,
                      "schema": { "openAPIV3Schema": { "type": "object" } } },
                ],
            },
        });
        let resources = resources_of(&crd);
        assert_eq!(resources.len(), 1);
        let widget = &resources[0];
        assert_eq!(
            (&*widget.group, &*widget.version, &*widget.kind, &*widget.list_kind),
            ("example.com", "v1", "Widget", "WidgetList")
        );
        assert_eq!((widget.singular.as_str(), widget.namespaced, widget.subresources), ("widget", true, STATUS));
        assert!(validate_definition(&crd).is_empty());
        let mut bad = crd.clone();
        bad["metadata"]["name"] = json!("widgets");
        bad["spec"]["group"] = json!("example");
        assert_eq!(validate_definition(&bad).len(), 2);
        assert!(resources_of(&json!({ "spec": "garbage" })).is_empty());
    }
}

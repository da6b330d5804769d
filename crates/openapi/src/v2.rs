//! The OpenAPI v2 (Swagger 2.0) document of `/openapi/v2`, converted from the v3 group version documents: one
//! document with every path and every schema under `definitions`, as kube-apiserver publishes it. kubectl falls
//! back to it (in protobuf, see `gnostic.rs`) to validate objects it has no v3 schema for, such as a `kind: List`.
//!
//! The conversion is mechanical: `#/components/schemas/` references become `#/definitions/`, a `$ref` wrapped in
//! `allOf` (v3's way to give it siblings) is unwrapped, what v2 cannot say (`oneOf`, `anyOf`, `not`, `nullable`)
//! is dropped (`IntOrString` and `Quantity` become strings, as upstream's v2 has them), request bodies become
//! `body` parameters and response contents a `schema` with `produces`.

use serde_json::{Map, Value, json};

/// `/openapi/v2`, serialized in JSON and in protobuf, with its entity tag.
#[derive(Debug)]
pub struct OpenApiV2 {
    json: Vec<u8>,
    protobuf: Vec<u8>,
    etag: String,
}

/// The media type kubectl asks for the protobuf form with.
pub const PROTOBUF_CONTENT_TYPE: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
/// The other spelling of [`PROTOBUF_CONTENT_TYPE`], which kube-apiserver answers with: Go's media type parser
/// refuses the `@`.
pub const PROTOBUF_CONTENT_TYPE_DOTTED: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

impl OpenApiV2 {
    /// Builds the document from v3 group version documents (JSON), merged in order: a path or schema already
    /// taken by an earlier document is kept.
    pub fn from_v3<'a>(documents: impl IntoIterator<Item = &'a [u8]>) -> OpenApiV2 {
        let document = convert(documents.into_iter().filter_map(|bytes| serde_json::from_slice(bytes).ok()));
        let json = serde_json::to_vec(&document).unwrap_or_default();
        let protobuf = crate::gnostic::encode_document(&document);
        let etag = format!("\"{}\"", crate::sha512_hex(&json));
        OpenApiV2 { json, protobuf, etag }
    }

    /// The document in JSON.
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    /// The document as gnostic's `openapi.v2.Document` protobuf message.
    pub fn protobuf(&self) -> &[u8] {
        &self.protobuf
    }

    /// The entity tag of the document (quoted upper-case hex SHA-512 of its JSON), the same for both forms.
    pub fn etag(&self) -> &str {
        &self.etag
    }
}

/// The v2 document of the given v3 documents.
pub(crate) fn convert(documents: impl Iterator<Item = Value>) -> Value {
    let mut paths = Map::new();
    let mut definitions = Map::new();
    for document in documents {
        if let Some(schemas) = document.pointer("/components/schemas").and_then(Value::as_object) {
            for (name, schema) in schemas {
                definitions.entry(name.clone()).or_insert_with(|| convert_schema(schema));
            }
        }
        if let Some(document_paths) = document.get("paths").and_then(Value::as_object) {
            for (path, item) in document_paths {
                paths.entry(path.clone()).or_insert_with(|| convert_path_item(item));
            }
        }
    }
    json!({
        "swagger": "2.0",
        "info": { "title": "Kubernetes", "version": "unversioned" },
        "paths": paths,
        "definitions": definitions,
        "securityDefinitions": {
            "BearerToken": {
                "description": "Bearer Token authentication",
                "in": "header",
                "name": "authorization",
                "type": "apiKey",
            },
        },
        "security": [{ "BearerToken": [] }],
    })
}

/// One schema in v2's terms, recursively.
pub(crate) fn convert_schema(schema: &Value) -> Value {
    let Some(object) = schema.as_object() else { return schema.clone() };
    let mut converted = Map::new();
    for (key, value) in object {
        match key.as_str() {
            "$ref" => {
                let target = value.as_str().unwrap_or_default().replace("#/components/schemas/", "#/definitions/");
                converted.insert(key.clone(), json!(target));
            }
            "allOf" => {
                let parts = value.as_array().map_or(&[][..], Vec::as_slice);
                match parts {
                    [single] if single.get("$ref").is_some() => {
                        if let Value::Object(reference) = convert_schema(single) {
                            converted.extend(reference);
                        }
                    }
                    _ => {
                        converted.insert(key.clone(), Value::Array(parts.iter().map(convert_schema).collect()));
                    }
                }
            }
            "oneOf" | "anyOf" | "not" | "nullable" | "x-kubernetes-int-or-string" => {}
            "properties" => {
                let properties =
                    value.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), convert_schema(v))).collect();
                converted.insert(key.clone(), Value::Object(properties));
            }
            "items" | "additionalProperties" => {
                converted.insert(key.clone(), convert_schema(value));
            }
            _ => {
                converted.insert(key.clone(), value.clone());
            }
        }
    }
    // `IntOrString`, `Quantity` and schemas that only listed alternatives are strings in v2.
    if (object.contains_key("oneOf") || object.contains_key("anyOf"))
        && !converted.contains_key("type")
        && !converted.contains_key("$ref")
    {
        converted.insert("type".to_owned(), json!("string"));
    }
    Value::Object(converted)
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];

fn convert_path_item(item: &Value) -> Value {
    let mut converted = Map::new();
    if let Some(parameters) = item.get("parameters").and_then(Value::as_array) {
        converted.insert("parameters".to_owned(), Value::Array(parameters.iter().map(convert_parameter).collect()));
    }
    for method in METHODS {
        if let Some(operation) = item.get(*method) {
            converted.insert((*method).to_owned(), convert_operation(operation));
        }
    }
    Value::Object(converted)
}

fn convert_operation(operation: &Value) -> Value {
    let mut converted = Map::new();
    let mut parameters: Vec<Value> =
        operation.get("parameters").and_then(Value::as_array).into_iter().flatten().map(convert_parameter).collect();
    if let Some(body) = operation.get("requestBody") {
        let content = body.get("content").and_then(Value::as_object);
        let consumes: Vec<&String> = content.into_iter().flat_map(Map::keys).collect();
        let schema = content.and_then(|c| c.values().next()).and_then(|c| c.get("schema"));
        let mut parameter = json!({ "in": "body", "name": "body" });
        if body.get("required").and_then(Value::as_bool) == Some(true) {
            parameter["required"] = json!(true);
        }
        if let Some(schema) = schema {
            parameter["schema"] = convert_schema(schema);
        }
        parameters.insert(0, parameter);
        converted.insert("consumes".to_owned(), json!(consumes));
    }
    let mut produces: Vec<String> = Vec::new();
    let mut responses = Map::new();
    for (code, response) in operation.get("responses").and_then(Value::as_object).into_iter().flatten() {
        let mut v2 = json!({ "description": response.get("description").cloned().unwrap_or(json!("")) });
        if let Some(content) = response.get("content").and_then(Value::as_object) {
            for media in content.keys() {
                if !produces.contains(media) {
                    produces.push(media.clone());
                }
            }
            if let Some(schema) = content.values().next().and_then(|c| c.get("schema")) {
                v2["schema"] = convert_schema(schema);
            }
        }
        responses.insert(code.clone(), v2);
    }
    for (key, value) in operation.as_object().into_iter().flatten() {
        match key.as_str() {
            "parameters" | "requestBody" | "responses" => {}
            _ => {
                converted.insert(key.clone(), value.clone());
            }
        }
    }
    if !converted.contains_key("consumes") {
        converted.insert("consumes".to_owned(), json!(["*/*"]));
    }
    converted.insert("produces".to_owned(), json!(produces));
    converted.insert("schemes".to_owned(), json!(["https"]));
    if !parameters.is_empty() {
        converted.insert("parameters".to_owned(), Value::Array(parameters));
    }
    converted.insert("responses".to_owned(), Value::Object(responses));
    Value::Object(converted)
}

/// A v3 query or path parameter: its schema's `type` and `uniqueItems` move up beside its name.
fn convert_parameter(parameter: &Value) -> Value {
    let Some(object) = parameter.as_object() else { return parameter.clone() };
    let mut converted: Map<String, Value> =
        object.iter().filter(|(key, _)| *key != "schema").map(|(k, v)| (k.clone(), v.clone())).collect();
    if let Some(schema) = object.get("schema").and_then(Value::as_object) {
        for (key, value) in schema {
            converted.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    Value::Object(converted)
}

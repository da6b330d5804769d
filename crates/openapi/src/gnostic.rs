//! The protobuf form of `/openapi/v2`: gnostic's `openapi.v2.Document` message (`OpenAPIv2.proto`), which is what
//! kubectl downloads (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`). No crate of the workspace
//! models gnostic's messages, so this is a small hand-written writer over the v2 JSON: the fields the v2 document
//! uses, with their field numbers; values without a field of their own (`default`, `enum`, `example`, vendor
//! extensions) are `Any` messages holding YAML, as gnostic writes them (JSON is YAML).

use serde_json::{Map, Value};

/// Protobuf field writer: length-delimited, varint and 64-bit fields into a buffer.
#[derive(Default)]
struct Message(Vec<u8>);

impl Message {
    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.0.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.0.push(value as u8);
    }

    fn tag(&mut self, field: u32, wire_type: u8) {
        self.varint(u64::from(field) << 3 | u64::from(wire_type));
    }

    fn bytes(&mut self, field: u32, bytes: &[u8]) {
        self.tag(field, 2);
        self.varint(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }

    fn message(&mut self, field: u32, message: Message) {
        self.bytes(field, &message.0);
    }

    /// A proto3 string: empty strings are not written.
    fn string(&mut self, field: u32, value: Option<&Value>) {
        if let Some(text) = value.and_then(Value::as_str).filter(|text| !text.is_empty()) {
            self.bytes(field, text.as_bytes());
        }
    }

    fn strings(&mut self, field: u32, value: Option<&Value>) {
        for text in value.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            self.bytes(field, text.as_bytes());
        }
    }

    fn boolean(&mut self, field: u32, value: Option<&Value>) {
        if value.and_then(Value::as_bool) == Some(true) {
            self.tag(field, 0);
            self.varint(1);
        }
    }

    fn int64(&mut self, field: u32, value: Option<&Value>) {
        if let Some(number) = value.and_then(Value::as_i64).filter(|n| *n != 0) {
            self.tag(field, 0);
            self.varint(number as u64);
        }
    }

    fn double(&mut self, field: u32, value: Option<&Value>) {
        if let Some(number) = value.and_then(Value::as_f64).filter(|n| *n != 0.0) {
            self.tag(field, 1);
            self.0.extend_from_slice(&number.to_le_bytes());
        }
    }

    /// An `Any` holding `value` as YAML (field 2, `yaml`).
    fn any(&mut self, field: u32, value: &Value) {
        let mut any = Message::default();
        any.bytes(2, serde_json::to_string(value).unwrap_or_default().as_bytes());
        self.message(field, any);
    }

    /// The `x-` keys of `object` as `NamedAny`s.
    fn vendor_extensions(&mut self, field: u32, object: &Map<String, Value>) {
        for (name, value) in object.iter().filter(|(name, _)| name.starts_with("x-")) {
            let mut named = Message::default();
            named.bytes(1, name.as_bytes());
            named.any(2, value);
            self.message(field, named);
        }
    }
}

/// `Document` of the v2 JSON document.
pub(crate) fn encode_document(document: &Value) -> Vec<u8> {
    let mut out = Message::default();
    out.string(1, document.get("swagger"));
    if let Some(info) = document.get("info") {
        let mut message = Message::default();
        message.string(1, info.get("title"));
        message.string(2, info.get("version"));
        out.message(2, message);
    }
    if let Some(paths) = document.get("paths").and_then(Value::as_object) {
        let mut message = Message::default();
        for (path, item) in paths {
            let mut named = Message::default();
            named.bytes(1, path.as_bytes());
            named.message(2, path_item(item));
            message.message(2, named);
        }
        out.message(8, message);
    }
    if let Some(definitions) = document.get("definitions").and_then(Value::as_object) {
        out.message(9, named_schemas(definitions));
    }
    for requirement in document.get("security").and_then(Value::as_array).into_iter().flatten() {
        let mut message = Message::default();
        for (name, scopes) in requirement.as_object().into_iter().flatten() {
            let mut array = Message::default();
            array.strings(1, Some(scopes));
            let mut named = Message::default();
            named.bytes(1, name.as_bytes());
            named.message(2, array);
            message.message(1, named);
        }
        out.message(12, message);
    }
    if let Some(definitions) = document.get("securityDefinitions").and_then(Value::as_object) {
        let mut message = Message::default();
        for (name, definition) in definitions {
            // Only API keys are used: `SecurityDefinitionsItem.api_key_security` (2).
            let mut key = Message::default();
            key.string(1, definition.get("type"));
            key.string(2, definition.get("name"));
            key.string(3, definition.get("in"));
            key.string(4, definition.get("description"));
            let mut item = Message::default();
            item.message(2, key);
            let mut named = Message::default();
            named.bytes(1, name.as_bytes());
            named.message(2, item);
            message.message(1, named);
        }
        out.message(13, message);
    }
    out.0
}

/// `Definitions` and `Properties` alike: repeated `NamedSchema` at field 1.
fn named_schemas(schemas: &Map<String, Value>) -> Message {
    let mut message = Message::default();
    for (name, value) in schemas {
        let mut named = Message::default();
        named.bytes(1, name.as_bytes());
        named.message(2, schema(value));
        message.message(1, named);
    }
    message
}

/// `Schema`.
fn schema(value: &Value) -> Message {
    let mut out = Message::default();
    let Some(object) = value.as_object() else { return out };
    out.string(1, object.get("$ref"));
    out.string(2, object.get("format"));
    out.string(3, object.get("title"));
    out.string(4, object.get("description"));
    if let Some(default) = object.get("default") {
        out.any(5, default);
    }
    out.double(6, object.get("multipleOf"));
    out.double(7, object.get("maximum"));
    out.boolean(8, object.get("exclusiveMaximum"));
    out.double(9, object.get("minimum"));
    out.boolean(10, object.get("exclusiveMinimum"));
    out.int64(11, object.get("maxLength"));
    out.int64(12, object.get("minLength"));
    out.string(13, object.get("pattern"));
    out.int64(14, object.get("maxItems"));
    out.int64(15, object.get("minItems"));
    out.boolean(16, object.get("uniqueItems"));
    out.int64(17, object.get("maxProperties"));
    out.int64(18, object.get("minProperties"));
    out.strings(19, object.get("required"));
    for value in object.get("enum").and_then(Value::as_array).into_iter().flatten() {
        out.any(20, value);
    }
    match object.get("additionalProperties") {
        Some(Value::Bool(allowed)) => {
            let mut item = Message::default();
            item.tag(2, 0);
            item.varint(u64::from(*allowed));
            out.message(21, item);
        }
        Some(additional @ Value::Object(_)) => {
            let mut item = Message::default();
            item.message(1, schema(additional));
            out.message(21, item);
        }
        _ => {}
    }
    match object.get("type") {
        Some(Value::String(_)) => {
            let mut item = Message::default();
            item.string(1, object.get("type"));
            out.message(22, item);
        }
        Some(types @ Value::Array(_)) => {
            let mut item = Message::default();
            item.strings(1, Some(types));
            out.message(22, item);
        }
        _ => {}
    }
    if let Some(items) = object.get("items") {
        let mut item = Message::default();
        match items {
            Value::Array(schemas) => schemas.iter().for_each(|s| item.message(1, schema(s))),
            single => item.message(1, schema(single)),
        }
        out.message(23, item);
    }
    for part in object.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        out.message(24, schema(part));
    }
    if let Some(properties) = object.get("properties").and_then(Value::as_object) {
        out.message(25, named_schemas(properties));
    }
    out.boolean(27, object.get("readOnly"));
    if let Some(example) = object.get("example") {
        out.any(30, example);
    }
    out.vendor_extensions(31, object);
    out
}

/// `PathItem`: its operations and parameters.
fn path_item(item: &Value) -> Message {
    let mut out = Message::default();
    for (field, method) in
        [(2, "get"), (3, "put"), (4, "post"), (5, "delete"), (6, "options"), (7, "head"), (8, "patch")]
    {
        if let Some(operation) = item.get(method) {
            out.message(field, operation_message(operation));
        }
    }
    for parameter in item.get("parameters").and_then(Value::as_array).into_iter().flatten() {
        out.message(9, parameters_item(parameter));
    }
    if let Some(object) = item.as_object() {
        out.vendor_extensions(10, object);
    }
    out
}

/// `Operation`.
fn operation_message(operation: &Value) -> Message {
    let mut out = Message::default();
    out.strings(1, operation.get("tags"));
    out.string(2, operation.get("summary"));
    out.string(3, operation.get("description"));
    out.string(5, operation.get("operationId"));
    out.strings(6, operation.get("produces"));
    out.strings(7, operation.get("consumes"));
    for parameter in operation.get("parameters").and_then(Value::as_array).into_iter().flatten() {
        out.message(8, parameters_item(parameter));
    }
    if let Some(responses) = operation.get("responses").and_then(Value::as_object) {
        let mut message = Message::default();
        for (code, response) in responses {
            let mut body = Message::default();
            body.string(1, response.get("description"));
            if let Some(response_schema) = response.get("schema") {
                let mut item = Message::default();
                item.message(1, schema(response_schema));
                body.message(2, item);
            }
            // `ResponseValue.response` (1) inside `NamedResponseValue`.
            let mut value = Message::default();
            value.message(1, body);
            let mut named = Message::default();
            named.bytes(1, code.as_bytes());
            named.message(2, value);
            message.message(1, named);
        }
        out.message(9, message);
    }
    out.strings(10, operation.get("schemes"));
    out.boolean(11, operation.get("deprecated"));
    if let Some(object) = operation.as_object() {
        out.vendor_extensions(13, object);
    }
    out
}

/// `ParametersItem` holding a `Parameter`: a body parameter or a query or path one.
fn parameters_item(parameter: &Value) -> Message {
    let mut inner = Message::default();
    match parameter.get("in").and_then(Value::as_str) {
        Some("body") => {
            let mut body = Message::default();
            body.string(1, parameter.get("description"));
            body.string(2, parameter.get("name"));
            body.string(3, parameter.get("in"));
            body.boolean(4, parameter.get("required"));
            if let Some(body_schema) = parameter.get("schema") {
                body.message(5, schema(body_schema));
            }
            inner.message(1, body);
        }
        location => {
            // Query parameters (`NonBodyParameter` 3) have `allow_empty_value` at 5, so their later fields sit
            // one further than path parameters' (4).
            let (oneof, shift) = if location == Some("path") { (4, 0) } else { (3, 1) };
            let mut sub = Message::default();
            sub.boolean(1, parameter.get("required"));
            sub.string(2, parameter.get("in"));
            sub.string(3, parameter.get("description"));
            sub.string(4, parameter.get("name"));
            sub.string(5 + shift, parameter.get("type"));
            sub.string(6 + shift, parameter.get("format"));
            sub.boolean(19 + shift, parameter.get("uniqueItems"));
            let mut non_body = Message::default();
            non_body.message(oneof, sub);
            inner.message(2, non_body);
        }
    }
    let mut out = Message::default();
    out.message(1, inner);
    out
}

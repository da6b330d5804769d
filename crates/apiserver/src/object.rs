//! Objects as the API server handles them: JSON values with Kubernetes `metadata`, plus what the server itself
//! fills in (uid, creation timestamp, generation, resourceVersion) and the name rules it checks.

use serde_json::{Map, Value};

use crate::registry::{Decoder, ResourceType};
use crate::status::ApiError;

/// The current time as Kubernetes writes timestamps: RFC 3339 in UTC, whole seconds.
pub fn now_timestamp() -> String {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).expect("zero nanoseconds is valid");
    now.format(&time::format_description::well_known::Rfc3339).expect("RFC 3339 formats any UTC time")
}

/// The time `seconds` from now, written as [`now_timestamp`] writes it.
pub fn timestamp_in(seconds: i64) -> String {
    let then = time::OffsetDateTime::now_utc().replace_nanosecond(0).expect("zero nanoseconds is valid")
        + time::Duration::seconds(seconds);
    then.format(&time::format_description::well_known::Rfc3339).expect("RFC 3339 formats any UTC time")
}

/// Parses a timestamp as [`now_timestamp`] writes it.
pub fn parse_timestamp(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// A random version-4 UUID.
pub fn new_uid() -> String {
    let mut bytes = random_bytes::<16>();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// The five characters kube-apiserver appends to a `generateName` (no vowels, no look-alikes).
pub fn name_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    random_bytes::<5>().iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    bytes
}

/// The object's `metadata`, created if missing.
pub fn metadata_mut(object: &mut Value) -> &mut Map<String, Value> {
    let map = object.as_object_mut().expect("objects are JSON objects");
    let metadata = map.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    if !metadata.is_object() {
        *metadata = Value::Object(Map::new());
    }
    metadata.as_object_mut().expect("metadata was just made an object")
}

pub fn metadata_str<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get("metadata")?.get(field)?.as_str()
}

pub fn name(object: &Value) -> Option<&str> {
    metadata_str(object, "name").filter(|name| !name.is_empty())
}

pub fn labels(object: &Value) -> Option<&Map<String, Value>> {
    object.get("metadata")?.get("labels")?.as_object()
}

pub fn finalizers(object: &Value) -> usize {
    object.get("metadata").and_then(|m| m.get("finalizers")).and_then(Value::as_array).map_or(0, Vec::len)
}

/// Sets `metadata.resourceVersion`, which is never stored: it is the store's `mod_revision`.
pub fn set_resource_version(object: &mut Value, revision: i64) {
    metadata_mut(object).insert("resourceVersion".into(), Value::String(revision.to_string()));
}

/// Checks that a request body is an object of the resource's kind. A missing `kind` or `apiVersion` is taken
/// from the request path, as kube-apiserver's decoder does.
pub fn check_kind(body: &mut Value, resource: &ResourceType) -> Result<(), ApiError> {
    let Some(map) = body.as_object_mut() else {
        return Err(ApiError::bad_request("the request body must be a JSON object"));
    };
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or_default().to_owned();
    let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_owned();
    let expected_version = resource.api_version();
    if (!kind.is_empty() && kind != resource.kind) || (!api_version.is_empty() && api_version != expected_version) {
        let kind: &str = if kind.is_empty() { &resource.kind } else { kind.as_str() };
        let version = if api_version.is_empty() { expected_version.as_str() } else { api_version.as_str() };
        return Err(ApiError::bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {}: the object's kind and version do not match the request ({expected_version}, Kind={})",
            resource.kind, resource.kind
        )));
    }
    map.insert("kind".into(), Value::String(resource.kind.to_string()));
    map.insert("apiVersion".into(), Value::String(expected_version));
    Ok(())
}

/// Whether two objects differ outside `metadata` and `status`: what bumps `metadata.generation`.
pub fn spec_changed(old: &Value, new: &Value) -> bool {
    let strip = |object: &Value| -> Map<String, Value> {
        object
            .as_object()
            .map(|map| {
                map.iter()
                    .filter(|(key, _)| !matches!(key.as_str(), "metadata" | "status" | "kind" | "apiVersion"))
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    strip(old) != strip(new)
}

/// What a request's `fieldValidation` asks the server to do about fields the kind does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    /// Refuse the request (400).
    Strict,
    /// Accept it, drop the fields and say so in `Warning` headers (the default).
    Warn,
    /// Accept it and drop the fields silently.
    Ignore,
}

impl FieldValidation {
    pub fn parse(value: Option<&str>) -> Result<FieldValidation, ApiError> {
        match value {
            None | Some("" | "Warn") => Ok(FieldValidation::Warn),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some(other) => Err(ApiError::bad_request(format!(
                "fieldValidation: Unsupported value: \"{other}\": supported values: \"Ignore\", \"Strict\", \"Warn\""
            ))),
        }
    }
}

/// Decodes an object as the kind's type, as kube-apiserver does: values of the wrong type are refused, and
/// fields the type does not have are dropped, refused or reported as `fieldValidation` says. Returns the
/// object as the type sees it and the warnings to send. The object given is consumed, so that a large one is not
/// held twice while the request goes on.
pub fn decode_typed(
    resource: &ResourceType,
    object: Value,
    validation: FieldValidation,
) -> Result<(Value, Vec<String>), ApiError> {
    let decoded = match &resource.decoder {
        Decoder::Typed(round_trip) => round_trip(&object),
        Decoder::Custom(schema) => Ok(crate::crd::prune(schema, &object)),
    };
    let typed = decoded.map_err(|error| {
        ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: {error}",
            resource.kind, resource.version, resource.kind
        ))
    })?;
    let mut unknown = Vec::new();
    unknown_fields(&object, &typed, &mut String::new(), &mut unknown);
    drop(object);
    let unknown: Vec<String> = unknown.iter().map(|field| format!("unknown field \"{field}\"")).collect();
    match validation {
        FieldValidation::Strict if !unknown.is_empty() => {
            Err(ApiError::bad_request(format!("strict decoding error: {}", unknown.join(", "))))
        }
        FieldValidation::Warn => Ok((typed, unknown)),
        _ => Ok((typed, Vec::new())),
    }
}

/// The paths of fields present in `given` but absent from `known`, as kube-apiserver names them
/// (`spec.template.spec.containers[0].foo`). Null fields are not reported.
fn unknown_fields(given: &Value, known: &Value, path: &mut String, out: &mut Vec<String>) {
    // One path buffer, grown and cut back per step: a path string per field would cost a large object (a pod
    // with 20,000 containers) hundreds of thousands of allocations for paths that are almost never reported.
    let at = path.len();
    match (given, known) {
        (Value::Object(given), Value::Object(known)) => {
            for (key, value) in given {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                match known.get(key) {
                    Some(known_value) => unknown_fields(value, known_value, path, out),
                    None if value.is_null() => {}
                    None => out.push(path.clone()),
                }
                path.truncate(at);
            }
        }
        (Value::Array(given), Value::Array(known)) => {
            for (idx, (value, known_value)) in given.iter().zip(known).enumerate() {
                if value.is_object() || value.is_array() {
                    use std::fmt::Write;
                    let _ = write!(path, "[{idx}]");
                    unknown_fields(value, known_value, path, out);
                    path.truncate(at);
                }
            }
        }
        _ => {}
    }
}

/// A stored object's JSON with `"resourceVersion":"<revision>"` inserted at the start of its top-level
/// `metadata` object, found by scanning the bytes; `None` if the bytes are not a JSON object with such a
/// `metadata` object. Lets lists skip decoding and re-encoding every object.
pub fn splice_resource_version(json: &[u8], revision: i64) -> Option<Vec<u8>> {
    let insert_at = top_level_metadata_start(json)?;
    let field = format!("\"resourceVersion\":\"{revision}\"");
    let empty = json[insert_at..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'}');
    let mut out = Vec::with_capacity(json.len() + field.len() + 1);
    out.extend_from_slice(&json[..insert_at]);
    out.extend_from_slice(field.as_bytes());
    if !empty {
        out.push(b',');
    }
    out.extend_from_slice(&json[insert_at..]);
    Some(out)
}

/// The offset just after the `{` that opens the value of the top-level key `metadata`.
fn top_level_metadata_start(json: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut idx = 0;
    while idx < json.len() {
        match json[idx] {
            b'"' => {
                let start = idx;
                idx += 1;
                while idx < json.len() && json[idx] != b'"' {
                    if json[idx] == b'\\' {
                        idx += 1;
                    }
                    idx += 1;
                }
                if idx >= json.len() {
                    return None;
                }
                if depth == 1 && &json[start..=idx] == b"\"metadata\"" {
                    let mut after = idx + 1;
                    while after < json.len() && json[after].is_ascii_whitespace() {
                        after += 1;
                    }
                    if json.get(after) == Some(&b':') {
                        after += 1;
                        while after < json.len() && json[after].is_ascii_whitespace() {
                            after += 1;
                        }
                        return (json.get(after) == Some(&b'{')).then_some(after + 1);
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.checked_sub(1)?,
            _ => {}
        }
        idx += 1;
    }
    None
}

//! Field errors as apimachinery's `field.Error` prints them, and `Errors`, the collector every validator writes
//! into: it also reads typed values out of JSON and reports values of the wrong JSON type.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Field error kinds, as apimachinery's `field.ErrorType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A referenced value does not exist.
    NotFound,
    /// A value is missing or empty.
    Required,
    /// A value that must be unique is repeated.
    Duplicate,
    /// A value is malformed or out of range.
    Invalid,
    /// A value is not one of an enumeration.
    NotSupported,
    /// A well-formed value is not allowed here.
    Forbidden,
    /// A value is too long.
    TooLong,
    /// A list has too many items.
    TooMany,
    /// The validator itself failed.
    Internal,
    /// A value has the wrong JSON type.
    TypeInvalid,
}

impl ErrorKind {
    /// The `metav1.CauseType` a `Status` carries for this kind.
    pub fn reason(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "FieldValueNotFound",
            ErrorKind::Required => "FieldValueRequired",
            ErrorKind::Duplicate => "FieldValueDuplicate",
            ErrorKind::Invalid => "FieldValueInvalid",
            ErrorKind::NotSupported => "FieldValueNotSupported",
            ErrorKind::Forbidden => "FieldValueForbidden",
            ErrorKind::TooLong => "FieldValueTooLong",
            ErrorKind::TooMany => "FieldValueTooMany",
            ErrorKind::Internal => "InternalError",
            ErrorKind::TypeInvalid => "FieldValueTypeInvalid",
        }
    }

    /// The words a message starts with.
    fn words(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "Not found",
            ErrorKind::Required => "Required value",
            ErrorKind::Duplicate => "Duplicate value",
            ErrorKind::Invalid | ErrorKind::TypeInvalid => "Invalid value",
            ErrorKind::NotSupported => "Unsupported value",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::TooLong => "Too long",
            ErrorKind::TooMany => "Too many",
            ErrorKind::Internal => "Internal error",
        }
    }
}

/// One validation failure of one field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {}", self.message())]
pub struct FieldError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The field's path, as `spec.containers[0].image` or `metadata.labels`.
    pub field: String,
    /// The offending value; `None` leaves it out of the message.
    pub value: Option<Value>,
    /// What the value should have been.
    pub detail: String,
    /// For `NotSupported`: the values that would have been accepted.
    pub supported: Vec<String>,
    /// How upstream prints the value when it is a Go struct rather than a plain value; overrides `value` in the
    /// message.
    pub shown: Option<String>,
}

impl FieldError {
    /// A field error without a value.
    pub fn new(kind: ErrorKind, field: impl Into<String>, value: Option<Value>, detail: impl Into<String>) -> Self {
        FieldError { kind, field: field.into(), value, detail: detail.into(), supported: Vec::new(), shown: None }
    }

    /// The `metav1.CauseType`: `FieldValueRequired`, `FieldValueInvalid`, ...
    pub fn reason(&self) -> &'static str {
        self.kind.reason()
    }

    /// The message without the field, exactly as kube-apiserver writes it in a `Status` cause.
    pub fn message(&self) -> String {
        let mut message = self.kind.words().to_owned();
        let hides_value =
            matches!(self.kind, ErrorKind::Required | ErrorKind::Forbidden | ErrorKind::TooLong | ErrorKind::Internal);
        if !hides_value {
            if let Some(shown) = &self.shown {
                message.push_str(": ");
                message.push_str(shown);
            } else if let Some(value) = &self.value {
                message.push_str(": ");
                message.push_str(&show_value(value));
            }
        }
        let detail = if self.kind == ErrorKind::NotSupported && self.detail.is_empty() && !self.supported.is_empty() {
            let quoted: Vec<String> = self.supported.iter().map(|value| go_quote(value)).collect();
            format!("supported values: {}", quoted.join(", "))
        } else {
            self.detail.clone()
        };
        if !detail.is_empty() {
            message.push_str(": ");
            message.push_str(&detail);
        }
        message
    }
}

/// A JSON value as Go's `fmt` prints the corresponding Go value: strings quoted, numbers and booleans bare.
fn show_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::String(text) => go_quote(text),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        other => other.to_string(),
    }
}

/// A string quoted as Go's `%q` does.
pub fn go_quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for ch in text.chars() {
        match ch {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            '\u{7}' => quoted.push_str("\\a"),
            '\u{8}' => quoted.push_str("\\b"),
            '\u{c}' => quoted.push_str("\\f"),
            '\u{b}' => quoted.push_str("\\v"),
            ch if (ch as u32) < 0x20 || ch as u32 == 0x7f => quoted.push_str(&format!("\\x{:02x}", ch as u32)),
            ch if ch.is_control() => {
                if (ch as u32) < 0x10000 {
                    quoted.push_str(&format!("\\u{:04x}", ch as u32));
                } else {
                    quoted.push_str(&format!("\\U{:08x}", ch as u32));
                }
            }
            ch => quoted.push(ch),
        }
    }
    quoted.push('"');
    quoted
}

/// A string map as Go's `%#v` prints a `map[string]string`: keys sorted.
pub(crate) fn go_string_map(map: &[(&str, &str)]) -> String {
    let mut entries: Vec<&(&str, &str)> = map.iter().collect();
    entries.sort();
    let inner: Vec<String> = entries.iter().map(|(k, v)| format!("{}:{}", go_quote(k), go_quote(v))).collect();
    format!("map[string]string{{{}}}", inner.join(", "))
}

/// `parent.key`, or `key` at the root.
pub(crate) fn child(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

/// `path[idx]`.
pub(crate) fn index(path: &str, idx: usize) -> String {
    format!("{path}[{idx}]")
}

/// `path[key]`, how a map entry is named.
pub(crate) fn key(path: &str, key: &str) -> String {
    format!("{path}[{key}]")
}

/// The errors found so far, and typed reads that add an error when a value has the wrong JSON type.
#[derive(Debug, Default)]
pub(crate) struct Errors {
    pub list: Vec<FieldError>,
    /// The caller's label selector matcher, for the checks that a selector selects a template's labels.
    pub selects: Option<crate::SelectsLabels>,
}

impl Errors {
    pub fn with_matcher(selects: crate::SelectsLabels) -> Errors {
        Errors { list: Vec::new(), selects: Some(selects) }
    }

    /// Whether `selector` (a `metav1.LabelSelector`) selects `labels`, by the caller's matcher.
    pub fn selector_selects(&self, selector: &Value, labels: &BTreeMap<String, String>) -> bool {
        let selects = self.selects.expect("validation that matches label selectors is given a matcher");
        selects(selector, labels)
    }

    pub fn push(&mut self, error: FieldError) {
        self.list.push(error);
    }

    pub fn required(&mut self, path: &str, detail: impl Into<String>) {
        self.push(FieldError::new(ErrorKind::Required, path, None, detail));
    }

    pub fn invalid(&mut self, path: &str, value: impl Into<Value>, detail: impl Into<String>) {
        self.push(FieldError::new(ErrorKind::Invalid, path, Some(value.into()), detail));
    }

    /// An `Invalid` error whose value upstream prints as a Go struct.
    pub fn invalid_shown(&mut self, path: &str, shown: String, detail: impl Into<String>) {
        let mut error = FieldError::new(ErrorKind::Invalid, path, None, detail);
        error.shown = Some(shown);
        self.push(error);
    }

    pub fn forbidden(&mut self, path: &str, detail: impl Into<String>) {
        self.push(FieldError::new(ErrorKind::Forbidden, path, None, detail));
    }

    pub fn duplicate(&mut self, path: &str, value: impl Into<Value>) {
        self.push(FieldError::new(ErrorKind::Duplicate, path, Some(value.into()), ""));
    }

    pub fn not_found(&mut self, path: &str, value: impl Into<Value>) {
        self.push(FieldError::new(ErrorKind::NotFound, path, Some(value.into()), ""));
    }

    pub fn not_supported(&mut self, path: &str, value: impl Into<Value>, supported: &[&str]) {
        let mut error = FieldError::new(ErrorKind::NotSupported, path, Some(value.into()), "");
        error.supported = supported.iter().map(|value| (*value).to_owned()).collect();
        self.push(error);
    }

    pub fn too_long(&mut self, path: &str, max_bytes: usize) {
        let detail = format!("must have at most {max_bytes} bytes");
        self.push(FieldError::new(ErrorKind::TooLong, path, None, detail));
    }

    /// Every message of a name or format validator as an `Invalid` error for `value`.
    pub fn invalid_each(&mut self, path: &str, value: &str, messages: Vec<String>) {
        for message in messages {
            self.invalid(path, value, message);
        }
    }

    fn wrong_type(&mut self, path: &str, value: &Value, expected: &str) {
        let detail = format!("must be of type {expected}");
        self.push(FieldError::new(ErrorKind::TypeInvalid, path, Some(value.clone()), detail));
    }

    /// A string field; absent and null read as `None`, other types are reported.
    pub fn str<'a>(&mut self, parent: &'a Value, name: &str, path: &str) -> Option<&'a str> {
        match parent.get(name)? {
            Value::Null => None,
            Value::String(text) => Some(text),
            other => {
                self.wrong_type(&child(path, name), other, "string");
                None
            }
        }
    }

    /// An integer field.
    pub fn int(&mut self, parent: &Value, name: &str, path: &str) -> Option<i64> {
        match parent.get(name)? {
            Value::Null => None,
            Value::Number(number) if number.as_i64().is_some() => number.as_i64(),
            other => {
                self.wrong_type(&child(path, name), other, "integer");
                None
            }
        }
    }

    /// A boolean field.
    pub fn bool(&mut self, parent: &Value, name: &str, path: &str) -> Option<bool> {
        match parent.get(name)? {
            Value::Null => None,
            Value::Bool(flag) => Some(*flag),
            other => {
                self.wrong_type(&child(path, name), other, "boolean");
                None
            }
        }
    }

    /// An object field, returned as the value so that reads can continue into it.
    pub fn obj<'a>(&mut self, parent: &'a Value, name: &str, path: &str) -> Option<&'a Value> {
        match parent.get(name)? {
            Value::Null => None,
            value @ Value::Object(_) => Some(value),
            other => {
                self.wrong_type(&child(path, name), other, "object");
                None
            }
        }
    }

    /// A list field; its items are not checked.
    pub fn arr<'a>(&mut self, parent: &'a Value, name: &str, path: &str) -> &'a [Value] {
        match parent.get(name) {
            None | Some(Value::Null) => &[],
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.wrong_type(&child(path, name), other, "array");
                &[]
            }
        }
    }

    /// A list of objects: items of other types are reported and skipped, with their index kept.
    pub fn obj_list<'a>(&mut self, parent: &'a Value, name: &str, path: &str) -> Vec<(usize, &'a Value, String)> {
        let field = child(path, name);
        let mut out = Vec::new();
        for (idx, item) in self.arr(parent, name, path).iter().enumerate() {
            if item.is_object() {
                out.push((idx, item, index(&field, idx)));
            } else {
                self.wrong_type(&index(&field, idx), item, "object");
            }
        }
        out
    }

    /// A list of strings: items of other types are reported and skipped.
    pub fn str_list<'a>(&mut self, parent: &'a Value, name: &str, path: &str) -> Vec<(usize, &'a str)> {
        let field = child(path, name);
        let mut out = Vec::new();
        for (idx, item) in self.arr(parent, name, path).iter().enumerate() {
            match item {
                Value::String(text) => out.push((idx, text.as_str())),
                other => self.wrong_type(&index(&field, idx), other, "string"),
            }
        }
        out
    }

    /// A map of strings to strings: entries of other types are reported and skipped.
    pub fn str_map<'a>(&mut self, parent: &'a Value, name: &str, path: &str) -> Vec<(&'a str, &'a str)> {
        let field = child(path, name);
        let Some(map) = self.obj(parent, name, path).and_then(Value::as_object) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (entry_key, entry_value) in map {
            match entry_value {
                Value::String(text) => out.push((entry_key.as_str(), text.as_str())),
                other => self.wrong_type(&key(&field, entry_key), other, "string"),
            }
        }
        out
    }

    /// A map field whose entries the caller reads.
    pub fn map<'a>(&mut self, parent: &'a Value, name: &str, path: &str) -> Option<&'a Map<String, Value>> {
        self.obj(parent, name, path).and_then(Value::as_object)
    }
}

#[cfg(test)]
mod tests;

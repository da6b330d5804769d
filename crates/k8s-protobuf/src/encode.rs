//! JSON to protobuf: writes the object's message, driven by the schema, inside the `runtime.Unknown` envelope.
//!
//! Fields are written in field-number order and map entries in key order, as Go's marshalling does. JSON
//! members the schema does not know are dropped, as Go's JSON decoding into typed structs drops them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};

use crate::model::{Card, Field, Message, Special, Ty, message_of};
use crate::timefmt::{parse_duration, parse_rfc3339};
use crate::wire::{FIXED64, VARINT, put_int, put_key, put_len, put_varint};
use crate::{EncodeError, MAGIC, MAX_DEPTH};

/// Encodes a whole object: magic, envelope, object. `depth` counts the messages around it.
pub(crate) fn body(object: &Value, depth: usize) -> Result<Vec<u8>, EncodeError> {
    let api_version = object.get("apiVersion").and_then(Value::as_str);
    let kind = object.get("kind").and_then(Value::as_str);
    let (Some(api_version), Some(kind)) = (api_version, kind) else {
        return Err(EncodeError::MissingTypeMeta);
    };
    let message = message_of(api_version, kind)
        .ok_or_else(|| EncodeError::UnknownKind { api_version: api_version.to_owned(), kind: kind.to_owned() })?;
    // A watch event carries its object as a protobuf body of its own, as kube-apiserver sends it; other raw
    // extensions (a ControllerRevision's data) carry JSON.
    let embed_objects = message.name == "meta.v1.WatchEvent";
    let mut encoder = Encoder { path: vec![message.name], depth, embed_objects };
    let mut raw = Vec::new();
    encoder.message(object, message, &mut raw)?;

    let mut type_meta = Vec::new();
    put_len(&mut type_meta, 1, api_version.as_bytes());
    put_len(&mut type_meta, 2, kind.as_bytes());
    let mut out = MAGIC.to_vec();
    put_len(&mut out, 1, &type_meta);
    put_len(&mut out, 2, &raw);
    // Go writes the empty content encoding and content type too.
    put_len(&mut out, 3, b"");
    put_len(&mut out, 4, b"");
    Ok(out)
}

struct Encoder {
    path: Vec<&'static str>,
    depth: usize,
    /// Whether raw extensions holding a known kind are written as protobuf bodies rather than JSON.
    embed_objects: bool,
}

impl Encoder {
    fn path_text(&self) -> String {
        self.path.iter().filter(|part| !part.is_empty()).copied().collect::<Vec<_>>().join(".")
    }

    fn mismatch(&self, expected: &'static str) -> EncodeError {
        EncodeError::Type { path: self.path_text(), expected }
    }

    fn invalid(&self, reason: String) -> EncodeError {
        EncodeError::InvalidValue { path: self.path_text(), reason }
    }

    /// Writes the body of one message (without its key and length).
    fn message(&mut self, value: &Value, message: &'static Message, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if self.depth >= MAX_DEPTH {
            return Err(EncodeError::TooDeep { limit: MAX_DEPTH });
        }
        self.depth += 1;
        let result = match message.special {
            Special::Plain => match value {
                Value::Object(object) => self.plain(object, message, out),
                _ => Err(self.mismatch("an object")),
            },
            special => self.special(value, message, special, out),
        };
        self.depth -= 1;
        result
    }

    fn plain(
        &mut self,
        object: &Map<String, Value>,
        message: &'static Message,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        for field in message.fields {
            self.path.push(field.json());
            let result = self.field(object, field, out);
            self.path.pop();
            result?;
        }
        Ok(())
    }

    fn field(
        &mut self,
        object: &Map<String, Value>,
        field: &'static Field,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let number = field.number();
        if field.card() == Card::Inline {
            // The embedded struct's members sit in the parent object; Go always writes the struct.
            if let Ty::Msg(inner) = field.ty() {
                let mut bytes = Vec::new();
                self.plain(object, inner, &mut bytes)?;
                put_len(out, number, &bytes);
            }
            return Ok(());
        }
        let Some(value) = object.get(field.json()) else { return Ok(()) };
        match (field.card(), value) {
            // Go reads a JSON null as the zero value; a zero time is written as an empty message.
            (Card::Keep | Card::Omit, Value::Null) => match field.ty() {
                Ty::Msg(inner) if matches!(inner.special, Special::Time | Special::MicroTime) => {
                    put_len(out, number, b"")
                }
                _ => {}
            },
            (Card::Keep | Card::Omit, value) => self.value(number, field.ty(), value, out)?,
            (Card::List, Value::Null) => {}
            (Card::List, Value::Array(items)) => {
                for item in items {
                    self.value(number, field.ty(), item, out)?;
                }
            }
            (Card::List, _) => return Err(self.mismatch("an array")),
            (Card::Map, Value::Null) => {}
            (Card::Map, Value::Object(entries)) => {
                let mut keys: Vec<&String> = entries.keys().collect();
                keys.sort();
                for key in keys {
                    let mut entry = Vec::new();
                    put_len(&mut entry, 1, key.as_bytes());
                    // A null value is written as no value, which reads back as the zero value.
                    let value = &entries[key];
                    if !value.is_null() {
                        self.value(2, field.ty(), value, &mut entry)?;
                    }
                    put_len(out, number, &entry);
                }
            }
            (Card::Map, _) => return Err(self.mismatch("an object")),
            (Card::Inline, _) => {}
        }
        Ok(())
    }

    /// Writes one value of a field: key and payload.
    fn value(&mut self, number: u32, ty: Ty, value: &Value, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match ty {
            Ty::Str => match value {
                Value::String(text) => put_len(out, number, text.as_bytes()),
                _ => return Err(self.mismatch("a string")),
            },
            Ty::Bytes => match value {
                Value::String(text) => {
                    let bytes = BASE64.decode(text).map_err(|error| self.invalid(format!("base64: {error}")))?;
                    put_len(out, number, &bytes);
                }
                _ => return Err(self.mismatch("a base64 string")),
            },
            Ty::Bool => match value {
                Value::Bool(flag) => {
                    put_key(out, number, VARINT);
                    put_varint(out, u64::from(*flag));
                }
                _ => return Err(self.mismatch("a boolean")),
            },
            Ty::I32 => {
                let int = value
                    .as_i64()
                    .and_then(|int| i32::try_from(int).ok())
                    .ok_or_else(|| self.mismatch("a 32-bit integer"))?;
                put_int(out, number, i64::from(int));
            }
            Ty::I64 => {
                let int = value.as_i64().ok_or_else(|| self.mismatch("a 64-bit integer"))?;
                put_int(out, number, int);
            }
            Ty::F64 => {
                let float = value.as_f64().ok_or_else(|| self.mismatch("a number"))?;
                put_key(out, number, FIXED64);
                out.extend_from_slice(&float.to_bits().to_le_bytes());
            }
            Ty::Msg(inner) => {
                let mut bytes = Vec::new();
                self.message(value, inner, &mut bytes)?;
                put_len(out, number, &bytes);
            }
        }
        Ok(())
    }

    /// Writes the body of a message whose JSON has its own form.
    fn special(
        &mut self,
        value: &Value,
        message: &'static Message,
        special: Special,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let schema_field = |number: u32| message.field(number).map(Field::ty);
        match (special, value) {
            (Special::Plain, Value::Object(object)) => self.plain(object, message, out)?,
            (Special::Plain, _) => return Err(self.mismatch("an object")),
            (Special::Time | Special::MicroTime, Value::Null) => {}
            (Special::Time | Special::MicroTime, Value::String(text)) => {
                let (seconds, nanos) =
                    parse_rfc3339(text).ok_or_else(|| self.invalid(format!("{text:?} is not an RFC 3339 time")))?;
                put_int(out, 1, seconds);
                if nanos != 0 {
                    put_int(out, 2, i64::from(nanos));
                }
            }
            (Special::Time | Special::MicroTime, _) => return Err(self.mismatch("an RFC 3339 time string")),
            (Special::Duration, Value::String(text)) => {
                let nanos = parse_duration(text).ok_or_else(|| self.invalid(format!("{text:?} is not a duration")))?;
                put_int(out, 1, nanos);
            }
            (Special::Duration, _) => return Err(self.mismatch("a duration string")),
            (Special::Quantity, Value::String(text)) => put_len(out, 1, text.as_bytes()),
            (Special::Quantity, Value::Number(number)) => put_len(out, 1, number.to_string().as_bytes()),
            (Special::Quantity, _) => return Err(self.mismatch("a quantity")),
            (Special::IntOrString, Value::Number(_)) => {
                let int = value
                    .as_i64()
                    .and_then(|int| i32::try_from(int).ok())
                    .ok_or_else(|| self.mismatch("a 32-bit integer or a string"))?;
                put_int(out, 1, 0);
                put_int(out, 2, i64::from(int));
            }
            (Special::IntOrString, Value::String(text)) => {
                put_int(out, 1, 1);
                put_len(out, 3, text.as_bytes());
            }
            (Special::IntOrString, _) => return Err(self.mismatch("an integer or a string")),
            (Special::RawExtension, Value::Object(object)) if self.embed_objects && is_known_object(object) => {
                put_len(out, 1, &body(value, self.depth)?);
            }
            (Special::RawJson | Special::RawExtension, value) => {
                let raw = serde_json::to_vec(value).map_err(|error| self.invalid(format!("embedded JSON: {error}")))?;
                put_len(out, 1, &raw);
            }
            (Special::StringList, Value::Array(items)) => {
                for item in items {
                    self.value(1, Ty::Str, item, out)?;
                }
            }
            (Special::StringList, _) => return Err(self.mismatch("an array of strings")),
            (Special::SchemaOrArray, Value::Array(items)) => {
                for item in items {
                    self.value(
                        2,
                        schema_field(2).ok_or_else(|| self.invalid("no schema field".to_owned()))?,
                        item,
                        out,
                    )?;
                }
            }
            (Special::SchemaOrArray, Value::Object(_)) => {
                self.value(1, schema_field(1).ok_or_else(|| self.invalid("no schema field".to_owned()))?, value, out)?;
            }
            (Special::SchemaOrArray, _) => return Err(self.mismatch("a schema or an array of schemas")),
            (Special::SchemaOrBool, Value::Bool(flag)) => {
                put_key(out, 1, VARINT);
                put_varint(out, u64::from(*flag));
            }
            (Special::SchemaOrBool, Value::Object(_)) => {
                put_key(out, 1, VARINT);
                put_varint(out, 1);
                self.value(2, schema_field(2).ok_or_else(|| self.invalid("no schema field".to_owned()))?, value, out)?;
            }
            (Special::SchemaOrBool, _) => return Err(self.mismatch("a schema or a boolean")),
            (Special::SchemaOrStringArray, Value::Array(items)) => {
                for item in items {
                    self.value(2, Ty::Str, item, out)?;
                }
            }
            (Special::SchemaOrStringArray, Value::Object(_)) => {
                self.value(1, schema_field(1).ok_or_else(|| self.invalid("no schema field".to_owned()))?, value, out)?;
            }
            (Special::SchemaOrStringArray, _) => return Err(self.mismatch("a schema or an array of strings")),
        }
        Ok(())
    }
}

/// Whether a JSON object names a kind the schema knows.
fn is_known_object(object: &Map<String, Value>) -> bool {
    match (object.get("apiVersion").and_then(Value::as_str), object.get("kind").and_then(Value::as_str)) {
        (Some(api_version), Some(kind)) => message_of(api_version, kind).is_some(),
        _ => false,
    }
}

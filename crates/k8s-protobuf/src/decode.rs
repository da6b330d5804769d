//! Protobuf to JSON: reads the `runtime.Unknown` envelope and then the object's message, driven by the schema.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Number, Value};

use crate::model::{Card, Field, Message, Special, Ty, message_of};
use crate::timefmt::{GO_ZERO_TIME_SECONDS, format_duration, format_rfc3339};
use crate::wire::{self, FIXED64, LEN, VARINT, WireError};
use crate::{DecodeError, MAGIC, MAX_DEPTH};

/// Decodes a whole body: magic, envelope, object.
pub(crate) fn body(bytes: &[u8], depth: usize) -> Result<Value, DecodeError> {
    let Some(envelope) = bytes.strip_prefix(MAGIC) else {
        return Err(DecodeError::BadMagic);
    };
    let mut decoder = Decoder { path: vec!["envelope"], depth };
    let mut api_version = String::new();
    let mut kind = String::new();
    let mut raw: &[u8] = &[];
    let mut content_encoding = String::new();
    for (number, value) in decoder.fields(envelope)? {
        match (number, value) {
            (1, wire::Value::Len(type_meta)) => {
                for (number, value) in decoder.fields(type_meta)? {
                    match (number, value) {
                        (1, wire::Value::Len(text)) => api_version = String::from_utf8_lossy(text).into_owned(),
                        (2, wire::Value::Len(text)) => kind = String::from_utf8_lossy(text).into_owned(),
                        (1 | 2, other) => return Err(decoder.wrong_wire_type(number, other.wire_type(), LEN)),
                        _ => {}
                    }
                }
            }
            (2, wire::Value::Len(bytes)) => raw = bytes,
            (3, wire::Value::Len(text)) => content_encoding = String::from_utf8_lossy(text).into_owned(),
            (4, wire::Value::Len(_)) => {}
            (1..=4, other) => return Err(decoder.wrong_wire_type(number, other.wire_type(), LEN)),
            _ => {}
        }
    }
    if !content_encoding.is_empty() {
        return Err(DecodeError::UnsupportedContentEncoding(content_encoding));
    }
    let message = message_of(&api_version, &kind)
        .ok_or_else(|| DecodeError::UnknownKind { api_version: api_version.clone(), kind: kind.clone() })?;
    decoder.path = vec![message.name];
    let mut object = match decoder.message(&[raw], message)? {
        Value::Object(object) => object,
        _ => return Err(decoder.invalid_value(format!("{} is not an object kind", message.name))),
    };
    object.insert("apiVersion".to_owned(), Value::String(api_version));
    object.insert("kind".to_owned(), Value::String(kind));
    Ok(Value::Object(object))
}

/// The state of one decoding: where it is, for error messages, and how deep.
struct Decoder {
    path: Vec<&'static str>,
    depth: usize,
}

/// What the occurrences of one field add up to.
enum Slot<'a> {
    /// A singular scalar: the last occurrence wins.
    Scalar(Value),
    /// A singular message: occurrences merge, which protobuf defines as decoding their concatenation.
    Message(&'static Message, Vec<&'a [u8]>),
    List(Vec<Value>),
    Map(Map<String, Value>),
}

impl Decoder {
    fn path_text(&self) -> String {
        self.path.iter().filter(|part| !part.is_empty()).copied().collect::<Vec<_>>().join(".")
    }

    fn wire_error(&self, error: WireError) -> DecodeError {
        match error {
            WireError::Truncated(what) => DecodeError::Truncated { path: self.path_text(), what },
            WireError::Invalid(reason) => DecodeError::Invalid { path: self.path_text(), reason },
        }
    }

    fn wrong_wire_type(&self, number: u32, actual: u8, expected: u8) -> DecodeError {
        DecodeError::Invalid {
            path: self.path_text(),
            reason: format!("field {number} has wire type {actual}, expected {expected}"),
        }
    }

    fn invalid_value(&self, reason: String) -> DecodeError {
        DecodeError::InvalidValue { path: self.path_text(), reason }
    }

    fn fields<'a>(&self, bytes: &'a [u8]) -> Result<Vec<(u32, wire::Value<'a>)>, DecodeError> {
        wire::fields(bytes).map_err(|error| self.wire_error(error))
    }

    /// The fields of a message sent in parts; protobuf merges parts as if they were concatenated, and so does
    /// this, without copying them.
    fn fields_of_parts<'a>(&self, parts: &[&'a [u8]]) -> Result<Vec<(u32, wire::Value<'a>)>, DecodeError> {
        let mut all = Vec::new();
        for part in parts {
            all.extend(self.fields(part)?);
        }
        Ok(all)
    }

    /// Decodes one message, sent in one or more parts, into its JSON value.
    fn message(&mut self, parts: &[&[u8]], message: &'static Message) -> Result<Value, DecodeError> {
        if self.depth >= MAX_DEPTH {
            return Err(DecodeError::TooDeep { limit: MAX_DEPTH });
        }
        self.depth += 1;
        let result = match message.special {
            Special::Plain => self.plain(parts, message).map(Value::Object),
            special => self.special(parts, message, special),
        };
        self.depth -= 1;
        result
    }

    /// Decodes a message whose JSON is the object of its fields.
    fn plain(&mut self, parts: &[&[u8]], message: &'static Message) -> Result<Map<String, Value>, DecodeError> {
        let mut occurrences = self.fields_of_parts(parts)?;
        // Stable, so that repeated values keep their order.
        occurrences.sort_by_key(|(number, _)| *number);
        let mut object = Map::new();
        let mut index = 0;
        while index < occurrences.len() {
            let number = occurrences[index].0;
            let end = index + occurrences[index..].iter().take_while(|(other, _)| *other == number).count();
            if let Some(field) = message.field(number) {
                self.path.push(field.json());
                let result = self.field(field, &occurrences[index..end], &mut object);
                self.path.pop();
                result?;
            }
            index = end;
        }
        Ok(object)
    }

    /// Decodes every occurrence of one field and adds the result to `object`.
    fn field(
        &mut self,
        field: &'static Field,
        occurrences: &[(u32, wire::Value<'_>)],
        object: &mut Map<String, Value>,
    ) -> Result<(), DecodeError> {
        let mut slot = match field.card() {
            Card::List => Slot::List(Vec::new()),
            Card::Map => Slot::Map(Map::new()),
            _ => match field.ty() {
                Ty::Msg(inner) => Slot::Message(inner, Vec::new()),
                _ => Slot::Scalar(Value::Null),
            },
        };
        for &(number, value) in occurrences {
            match &mut slot {
                Slot::Scalar(last) => *last = self.scalar(number, field.ty(), value)?,
                Slot::Message(_, parts) => match value {
                    wire::Value::Len(bytes) => parts.push(bytes),
                    other => return Err(self.wrong_wire_type(number, other.wire_type(), LEN)),
                },
                Slot::List(items) => match (field.ty(), value) {
                    // Packed repeated numbers: one length-delimited run of values.
                    (Ty::Bool | Ty::I32 | Ty::I64 | Ty::F64, wire::Value::Len(bytes)) => {
                        let mut reader = wire::Reader::new(bytes);
                        while !reader.is_empty() {
                            let item = match field.ty() {
                                Ty::F64 => reader.fixed64().map(wire::Value::Fixed64),
                                _ => reader.varint().map(wire::Value::Varint),
                            };
                            let item = item.map_err(|error| self.wire_error(error))?;
                            items.push(self.scalar(number, field.ty(), item)?);
                        }
                    }
                    (Ty::Msg(inner), wire::Value::Len(bytes)) => items.push(self.message(&[bytes], inner)?),
                    (Ty::Msg(_), other) => return Err(self.wrong_wire_type(number, other.wire_type(), LEN)),
                    (ty, value) => items.push(self.scalar(number, ty, value)?),
                },
                Slot::Map(entries) => {
                    let wire::Value::Len(bytes) = value else {
                        return Err(self.wrong_wire_type(number, value.wire_type(), LEN));
                    };
                    let (key, value) = self.map_entry(bytes, field.ty())?;
                    entries.insert(key, value);
                }
            }
        }
        let value = match slot {
            Slot::Scalar(value) => value,
            Slot::Message(inner, parts) => self.message(&parts, inner)?,
            Slot::List(items) => Value::Array(items),
            Slot::Map(entries) => Value::Object(entries),
        };
        match field.card() {
            Card::Inline => {
                if let Value::Object(members) = value {
                    object.extend(members);
                }
            }
            Card::Omit if is_zero(&value) => {}
            _ => {
                object.insert(field.json().to_owned(), value);
            }
        }
        Ok(())
    }

    /// Decodes one map entry message {key 1, value 2}; missing parts take their zero values.
    fn map_entry(&mut self, bytes: &[u8], ty: Ty) -> Result<(String, Value), DecodeError> {
        let mut key = String::new();
        let mut value = None;
        let mut message_parts: Vec<&[u8]> = Vec::new();
        for (number, item) in self.fields(bytes)? {
            match (number, item, ty) {
                (1, wire::Value::Len(text), _) => key = String::from_utf8_lossy(text).into_owned(),
                (1, other, _) => return Err(self.wrong_wire_type(1, other.wire_type(), LEN)),
                (2, wire::Value::Len(part), Ty::Msg(_)) => message_parts.push(part),
                (2, other, Ty::Msg(_)) => return Err(self.wrong_wire_type(2, other.wire_type(), LEN)),
                (2, item, ty) => value = Some(self.scalar(2, ty, item)?),
                _ => {}
            }
        }
        let value = match (value, ty) {
            (_, Ty::Msg(inner)) => self.message(&message_parts, inner)?,
            (Some(value), _) => value,
            (None, ty) => zero_value(ty),
        };
        Ok((key, value))
    }

    /// Decodes one scalar occurrence.
    fn scalar(&self, number: u32, ty: Ty, value: wire::Value<'_>) -> Result<Value, DecodeError> {
        Ok(match (ty, value) {
            (Ty::Str, wire::Value::Len(bytes)) => Value::String(String::from_utf8_lossy(bytes).into_owned()),
            (Ty::Bytes, wire::Value::Len(bytes)) => Value::String(BASE64.encode(bytes)),
            (Ty::Bool, wire::Value::Varint(raw)) => Value::Bool(raw != 0),
            // Go truncates an int32 varint to its low 32 bits.
            (Ty::I32, wire::Value::Varint(raw)) => Value::from(raw as i64 as i32),
            (Ty::I64, wire::Value::Varint(raw)) => Value::from(raw as i64),
            (Ty::F64, wire::Value::Fixed64(raw)) => {
                let float = f64::from_bits(raw);
                Value::Number(
                    Number::from_f64(float)
                        .ok_or_else(|| self.invalid_value(format!("{float} is not a JSON number")))?,
                )
            }
            (Ty::Str | Ty::Bytes | Ty::Msg(_), other) => {
                return Err(self.wrong_wire_type(number, other.wire_type(), LEN));
            }
            (Ty::Bool | Ty::I32 | Ty::I64, other) => {
                return Err(self.wrong_wire_type(number, other.wire_type(), VARINT));
            }
            (Ty::F64, other) => return Err(self.wrong_wire_type(number, other.wire_type(), FIXED64)),
        })
    }

    /// The last varint of field `number` among `fields`.
    fn int(&self, fields: &[(u32, wire::Value<'_>)], number: u32) -> Result<Option<i64>, DecodeError> {
        let mut last = None;
        for &(other, value) in fields {
            if other == number {
                match value {
                    wire::Value::Varint(raw) => last = Some(raw as i64),
                    other => return Err(self.wrong_wire_type(number, other.wire_type(), VARINT)),
                }
            }
        }
        Ok(last)
    }

    /// Every length-delimited value of field `number` among `fields`.
    fn lens<'a>(&self, fields: &[(u32, wire::Value<'a>)], number: u32) -> Result<Vec<&'a [u8]>, DecodeError> {
        let mut all = Vec::new();
        for &(other, value) in fields {
            if other == number {
                match value {
                    wire::Value::Len(bytes) => all.push(bytes),
                    other => return Err(self.wrong_wire_type(number, other.wire_type(), LEN)),
                }
            }
        }
        Ok(all)
    }

    /// Every string of field `number` among `fields`, as a JSON array.
    fn strings(&self, fields: &[(u32, wire::Value<'_>)], number: u32) -> Result<Vec<Value>, DecodeError> {
        Ok(self
            .lens(fields, number)?
            .into_iter()
            .map(|bytes| Value::String(String::from_utf8_lossy(bytes).into_owned()))
            .collect())
    }

    /// Decodes field `number` of `message` as the schema's message type, merging its occurrences; `None` when
    /// the field is absent.
    fn sub_message(
        &mut self,
        fields: &[(u32, wire::Value<'_>)],
        message: &'static Message,
        number: u32,
    ) -> Result<Option<Value>, DecodeError> {
        let Some(Ty::Msg(inner)) = message.field(number).map(Field::ty) else {
            return Err(self.invalid_value(format!("schema of {} lacks message field {number}", message.name)));
        };
        let parts = self.lens(fields, number)?;
        if parts.is_empty() {
            return Ok(None);
        }
        self.message(&parts, inner).map(Some)
    }

    /// Decodes a message whose JSON has its own form.
    fn special(&mut self, parts: &[&[u8]], message: &'static Message, special: Special) -> Result<Value, DecodeError> {
        let fields = self.fields_of_parts(parts)?;
        match special {
            Special::Plain => Ok(Value::Object(self.plain(parts, message)?)),
            Special::Time | Special::MicroTime => {
                let seconds = self.int(&fields, 1)?.unwrap_or(0);
                let nanos = self.int(&fields, 2)?.unwrap_or(0) as i32;
                if parts.iter().all(|part| part.is_empty()) || (seconds == GO_ZERO_TIME_SECONDS && nanos == 0) {
                    return Ok(Value::Null);
                }
                // Go's `time.Unix` carries nanoseconds outside [0, 1e9) into the seconds.
                let nanos = i64::from(nanos);
                let seconds = seconds.checked_add(nanos.div_euclid(1_000_000_000));
                let nanos = nanos.rem_euclid(1_000_000_000);
                let micros = (special == Special::MicroTime).then_some((nanos / 1000) as u32);
                seconds
                    .and_then(|seconds| format_rfc3339(seconds, micros))
                    .map(Value::String)
                    .ok_or_else(|| self.invalid_value("time outside the years 0000 to 9999".to_owned()))
            }
            Special::Duration => Ok(Value::String(format_duration(self.int(&fields, 1)?.unwrap_or(0)))),
            Special::Quantity => match self.lens(&fields, 1)?.last() {
                None => Ok(Value::String("0".to_owned())),
                Some([]) => Err(self.invalid_value("empty quantity".to_owned())),
                Some(text) => Ok(Value::String(String::from_utf8_lossy(text).into_owned())),
            },
            Special::IntOrString => match self.int(&fields, 1)?.unwrap_or(0) {
                0 => Ok(Value::from(self.int(&fields, 2)?.unwrap_or(0) as i32)),
                1 => {
                    let text = self.lens(&fields, 3)?.last().copied().unwrap_or_default();
                    Ok(Value::String(String::from_utf8_lossy(text).into_owned()))
                }
                other => Err(self.invalid_value(format!("IntOrString type {other} is neither 0 (int) nor 1 (string)"))),
            },
            Special::RawJson | Special::RawExtension => {
                // A bytes field is not merged: the last occurrence wins.
                let raw = self.lens(&fields, 1)?.last().copied().unwrap_or_default();
                if raw.is_empty() {
                    return Ok(Value::Null);
                }
                if special == Special::RawExtension && raw.starts_with(MAGIC) {
                    return body(raw, self.depth);
                }
                serde_json::from_slice(raw).map_err(|error| self.invalid_value(format!("embedded JSON: {error}")))
            }
            Special::StringList => Ok(Value::Array(self.strings(&fields, 1)?)),
            Special::SchemaOrArray => {
                let Some(Ty::Msg(item)) = message.field(2).map(Field::ty) else {
                    return Err(self.invalid_value(format!("schema of {} lacks message field 2", message.name)));
                };
                let items = self.lens(&fields, 2)?;
                if items.is_empty() {
                    return Ok(self.sub_message(&fields, message, 1)?.unwrap_or(Value::Null));
                }
                let items = items.into_iter().map(|bytes| self.message(&[bytes], item)).collect::<Result<_, _>>()?;
                Ok(Value::Array(items))
            }
            Special::SchemaOrBool => match self.sub_message(&fields, message, 2)? {
                Some(schema) => Ok(schema),
                None => Ok(Value::Bool(self.int(&fields, 1)?.unwrap_or(0) != 0)),
            },
            Special::SchemaOrStringArray => {
                let property = self.strings(&fields, 2)?;
                if !property.is_empty() {
                    return Ok(Value::Array(property));
                }
                Ok(self.sub_message(&fields, message, 1)?.unwrap_or(Value::Null))
            }
        }
    }
}

/// Whether a JSON value is the zero value Go's `omitempty` leaves out.
fn is_zero(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(flag) => !flag,
        Value::Number(number) => number.as_f64() == Some(0.0),
        Value::String(text) => text.is_empty(),
        Value::Array(_) | Value::Object(_) => false,
    }
}

/// The JSON of a scalar's zero value, for map entries without a value.
fn zero_value(ty: Ty) -> Value {
    match ty {
        Ty::Str | Ty::Bytes => Value::String(String::new()),
        Ty::Bool => Value::Bool(false),
        Ty::I32 | Ty::I64 => Value::from(0),
        Ty::F64 => Value::from(0.0),
        Ty::Msg(_) => Value::Null,
    }
}

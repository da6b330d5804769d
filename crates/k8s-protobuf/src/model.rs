//! The shape of the schema table (`schema.rs`): messages, their fields, and the kinds that name them.

use crate::schema::KINDS;

/// One protobuf message of the Kubernetes API and how it maps to JSON.
pub(crate) struct Message {
    /// `core.v1.Container`: the API group's short module and the type's name, for error messages.
    pub(crate) name: &'static str,
    pub(crate) special: Special,
    /// Ordered by field number.
    pub(crate) fields: &'static [Field],
}

impl Message {
    /// The field with protobuf number `number`, if the schema knows it.
    pub(crate) fn field(&self, number: u32) -> Option<&'static Field> {
        self.fields.binary_search_by_key(&number, Field::number).ok().map(|index| &self.fields[index])
    }
}

/// One field: `Field(number, JSON name, type, card)`.
pub(crate) struct Field(pub(crate) u32, pub(crate) &'static str, pub(crate) Ty, pub(crate) Card);

impl Field {
    pub(crate) fn number(&self) -> u32 {
        self.0
    }

    /// The exact JSON name; empty for a [`Card::Inline`] field.
    pub(crate) fn json(&self) -> &'static str {
        self.1
    }

    pub(crate) fn ty(&self) -> Ty {
        self.2
    }

    pub(crate) fn card(&self) -> Card {
        self.3
    }
}

/// The type of a field's values (of a map's values, for [`Card::Map`]).
#[derive(Clone, Copy)]
pub(crate) enum Ty {
    Str,
    /// JSON carries bytes as standard base64.
    Bytes,
    Bool,
    I32,
    I64,
    F64,
    Msg(&'static Message),
}

/// How many values a field has and when its JSON member is left out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Card {
    /// One value, in the JSON whenever it is on the wire.
    Keep,
    /// One value, left out of the JSON when it is the zero value (`""`, `0`, `false`, no bytes): a Go
    /// non-pointer `omitempty` field, which Go's protobuf always writes.
    Omit,
    /// A repeated field: a JSON array.
    List,
    /// A `map<string, V>` field: a JSON object.
    Map,
    /// A Go struct embedded with `json:",inline"`: its members belong to the parent's JSON object.
    Inline,
}

/// Messages whose JSON is not an object of their fields.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Special {
    Plain,
    /// `metav1.Time` {seconds 1, nanos 2}: RFC 3339 in whole seconds, or null for the zero time.
    Time,
    /// `metav1.MicroTime`: RFC 3339 with 6 fractional digits, or null for the zero time.
    MicroTime,
    /// `metav1.Duration` {duration 1: nanoseconds}: Go's duration string (`1h2m3s`).
    #[allow(dead_code, reason = "only metrics.k8s.io uses durations, and the table does not cover it yet")]
    Duration,
    /// `resource.Quantity` {string 1}: the string.
    Quantity,
    /// `intstr.IntOrString` {type 1, intVal 2, strVal 3}: a number or a string.
    IntOrString,
    /// `metav1.FieldsV1` and `apiextensions.JSON` {raw 1}: the embedded JSON.
    RawJson,
    /// `runtime.RawExtension` {raw 1}: the embedded JSON, or an embedded protobuf object.
    RawExtension,
    /// A Go `[]string` type (`metav1.Verbs`, `ExtraValue`) {items 1}: an array of strings.
    StringList,
    /// `JSONSchemaPropsOrArray` {schema 1, jSONSchemas 2}: a schema or an array of schemas.
    SchemaOrArray,
    /// `JSONSchemaPropsOrBool` {allows 1, schema 2}: a schema or a boolean.
    SchemaOrBool,
    /// `JSONSchemaPropsOrStringArray` {schema 1, property 2}: a schema or an array of strings.
    SchemaOrStringArray,
}

/// A kind: `Kind(apiVersion, kind, message)`.
pub(crate) struct Kind(pub(crate) &'static str, pub(crate) &'static str, pub(crate) &'static Message);

/// The message of a kind. The metav1 kinds (options, `Status`, `WatchEvent`, ...) are found under any
/// apiVersion, since every API group registers them.
pub(crate) fn message_of(api_version: &str, kind: &str) -> Option<&'static Message> {
    if let Ok(index) = KINDS.binary_search_by(|probe| (probe.0, probe.1).cmp(&(api_version, kind))) {
        return Some(KINDS[index].2);
    }
    KINDS.iter().find(|probe| probe.1 == kind && probe.2.name.starts_with("meta.v1.")).map(|probe| probe.2)
}

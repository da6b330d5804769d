//! The Kubernetes protobuf wire format (`application/vnd.kubernetes.protobuf`), to and from the JSON that
//! kube-apiserver reads and writes.
//!
//! A body is the 4 magic bytes `k8s\0` and a `runtime.Unknown` message {typeMeta 1 {apiVersion 1, kind 2},
//! raw 2, contentEncoding 3, contentType 4} whose `raw` is the object's own message. [`decode`] turns such a
//! body into the object's JSON, with `apiVersion` and `kind`; [`encode`] does the reverse.
//!
//! The codec is a small wire reader and writer driven by a static table (`schema.rs`) of every message
//! reachable from the built-in API groups, generated from the k8s-pb and k8s-openapi crates by
//! `cargo run -p k8s-protobuf-gen`. Kubernetes' own JSON forms are kept: quantities, times, durations and
//! int-or-strings are strings or numbers, 64-bit integers are numbers, bytes are base64, raw extensions and
//! managed fields are embedded JSON, and Go structs embedded inline (`Volume`'s volume source, `Probe`'s
//! handler) are flattened into their parent.

mod decode;
mod encode;
mod model;
#[rustfmt::skip]
mod schema;
mod timefmt;
mod wire;

#[cfg(test)]
mod tests;

/// The Content-Type of Kubernetes protobuf bodies.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The bytes every Kubernetes protobuf body starts with.
pub const MAGIC: &[u8] = b"k8s\0";

/// How deeply messages may nest (JSON schemas nest themselves); deeper input is refused, not recursed into.
const MAX_DEPTH: usize = 100;

/// Why a body is not a Kubernetes protobuf object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The body does not start with `k8s\0`.
    #[error("body does not start with the kubernetes protobuf magic k8s\\0")]
    BadMagic,
    /// The bytes end inside a field.
    #[error("truncated protobuf at {path}: the body ends inside a {what}")]
    Truncated { path: String, what: &'static str },
    /// The bytes are not protobuf, or a field has the wrong wire type.
    #[error("invalid protobuf at {path}: {reason}")]
    Invalid { path: String, reason: String },
    /// The envelope names a kind this crate has no schema for.
    #[error("unknown kind {kind:?} of apiVersion {api_version:?}")]
    UnknownKind { api_version: String, kind: String },
    /// The envelope says the object is compressed or otherwise encoded.
    #[error("unsupported content encoding {0:?}")]
    UnsupportedContentEncoding(String),
    /// A field holds a value that has no JSON form (a time past year 9999, an IntOrString of type 7, ...).
    #[error("invalid value at {path}: {reason}")]
    InvalidValue { path: String, reason: String },
    /// Messages nest deeper than the limit.
    #[error("objects nested deeper than {limit} levels")]
    TooDeep { limit: usize },
}

/// Why a JSON object cannot be written as Kubernetes protobuf.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The object lacks a string `apiVersion` or `kind`.
    #[error("object has no apiVersion and kind")]
    MissingTypeMeta,
    /// This crate has no schema for the kind.
    #[error("unknown kind {kind:?} of apiVersion {api_version:?}")]
    UnknownKind { api_version: String, kind: String },
    /// A member has the wrong JSON type.
    #[error("invalid value at {path}: expected {expected}")]
    Type { path: String, expected: &'static str },
    /// A member has the right JSON type but an impossible value (bad base64, bad time, ...).
    #[error("invalid value at {path}: {reason}")]
    InvalidValue { path: String, reason: String },
    /// The object nests deeper than the limit.
    #[error("objects nested deeper than {limit} levels")]
    TooDeep { limit: usize },
}

/// Decodes a Kubernetes protobuf body into the object's JSON as kube-apiserver writes it, `apiVersion` and
/// `kind` included.
pub fn decode(body: &[u8]) -> Result<serde_json::Value, DecodeError> {
    decode::body(body, 0)
}

/// Encodes an object's JSON (with `apiVersion` and `kind`) as a Kubernetes protobuf body. A `WatchEvent`'s
/// object is embedded as a protobuf body of its own, the form client-go's protobuf watch decoder reads.
pub fn encode(object: &serde_json::Value) -> Result<Vec<u8>, EncodeError> {
    encode::body(object, 0)
}

/// Whether this crate has a schema for the kind, so that [`decode`] and [`encode`] can handle it.
pub fn knows_kind(api_version: &str, kind: &str) -> bool {
    model::message_of(api_version, kind).is_some()
}

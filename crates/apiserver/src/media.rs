//! Content negotiation of read responses: what an `Accept` header asks objects to be presented as — themselves,
//! a `Table` (kubectl's server-side printing, `as=Table`) or their metadata only (`as=PartialObjectMetadata` and
//! `as=PartialObjectMetadataList`, what client-go's metadata informers ask for) — and the metadata transforms.
//! Media ranges are tried in the order given, as kube-apiserver does; one asking for a form this resource cannot
//! take is skipped, and a header none of whose ranges can be answered is a 406.

use serde_json::{Value, json};

use crate::request::Verb;
use crate::status::ApiError;
use crate::table::IncludeObject;

/// How the objects of a read are presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presentation {
    /// The objects themselves.
    Object,
    /// A `meta.k8s.io` `Table` with the kind's columns.
    Table(IncludeObject),
    /// `PartialObjectMetadata` (or its list) of the given `meta.k8s.io` version.
    Metadata(&'static str),
}

/// The media types answered, as kube-apiserver lists them in its 406.
const ACCEPTED: &str = "application/json, application/yaml, application/vnd.kubernetes.protobuf, \
                        application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch";

/// The presentation the first answerable media range of `accept` asks for, for a read with `verb`
/// (`includeObject` is the Table's query parameter).
pub fn negotiate(accept: &str, verb: Verb, include_object: Option<&str>) -> Result<Presentation, ApiError> {
    if accept.trim().is_empty() {
        return Ok(Presentation::Object);
    }
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        if !matches!(
            media.as_str(),
            "*/*" | "application/*" | "application/json" | "application/yaml" | "application/vnd.kubernetes.protobuf"
        ) {
            continue;
        }
        let (mut target, mut group, mut version) = (None, None, None);
        for parameter in parts {
            match parameter.split_once('=') {
                Some(("as", value)) => target = Some(value),
                Some(("g", value)) => group = Some(value),
                Some(("v", value)) => version = Some(value),
                _ => {}
            }
        }
        let Some(target) = target else {
            return Ok(Presentation::Object);
        };
        let meta_version = match (group, version) {
            (Some("meta.k8s.io"), Some("v1")) => "v1",
            (Some("meta.k8s.io"), Some("v1beta1")) => "v1beta1",
            _ => continue,
        };
        let list = verb == Verb::List;
        match target {
            "Table" => return Ok(Presentation::Table(IncludeObject::parse(include_object))),
            "PartialObjectMetadata" if !list => return Ok(Presentation::Metadata(meta_version)),
            "PartialObjectMetadataList" if list => return Ok(Presentation::Metadata(meta_version)),
            _ => continue,
        }
    }
    Err(ApiError::new(406, "NotAcceptable", format!("only the following media types are accepted: {ACCEPTED}")))
}

/// An object's `PartialObjectMetadata`.
pub fn partial(object: &Value, version: &str) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// A list's `PartialObjectMetadataList`: its metadata (resourceVersion, continue, remainingItemCount) kept, each
/// item reduced to its metadata.
pub fn partial_list(list: &Value, version: &str) -> Value {
    let items: Vec<Value> =
        list["items"].as_array().map_or(&[][..], Vec::as_slice).iter().map(|item| partial(item, version)).collect();
    json!({
        "kind": "PartialObjectMetadataList",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": list.get("metadata").cloned().unwrap_or_else(|| json!({})),
        "items": items,
    })
}

#[cfg(test)]
mod tests;

//! Joins what was read from `k8s-openapi` and `k8s-pb` into the tables of the generated file, and writes them
//! as Rust source.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::openapi_source::{Kind, OpenApiTypes};
use crate::pb_source::{PbField, PbTypes};

/// The list and map semantics of one field, from its Go markers.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Markers {
    pub patch_merge_key: Option<String>,
    pub patch_strategy: Option<String>,
    pub list_type: Option<String>,
    pub list_map_keys: Vec<String>,
    pub map_type: Option<String>,
}

impl Markers {
    fn parse(docs: &[String]) -> Markers {
        let mut markers = Markers::default();
        for line in docs {
            let Some((key, value)) = line.trim().strip_prefix('+').and_then(|m| m.split_once('=')) else {
                continue;
            };
            let value = value.trim().to_owned();
            match key {
                "patchMergeKey" => markers.patch_merge_key = Some(value),
                "patchStrategy" => markers.patch_strategy = Some(value),
                "listType" => markers.list_type = Some(value),
                "listMapKey" => markers.list_map_keys.push(value),
                // On a field, `structType` says the same of a struct as `mapType` of a map.
                "mapType" | "structType" => markers.map_type = Some(value),
                _ => {}
            }
        }
        markers
    }

    fn is_empty(&self) -> bool {
        *self == Markers::default()
    }
}

/// The descriptions of a `<Kind>List` type and of its two fields.
#[derive(Debug)]
pub struct ListDocs {
    pub schema: String,
    pub description: String,
    pub items: String,
    pub metadata: String,
}

/// Everything the generated file holds.
#[derive(Debug)]
pub struct Data {
    pub kinds: Vec<Kind>,
    /// (schema, JSON property) to the field's markers.
    pub fields: BTreeMap<(String, String), Markers>,
    /// Schema to its `x-kubernetes-map-type` (from `+structType` on the type).
    pub type_map_types: BTreeMap<String, String>,
    pub lists: Vec<ListDocs>,
}

impl Data {
    /// Builds the tables; also returns the `k8s-pb` fields with markers that match no `k8s-openapi` property
    /// (fields of a newer Kubernetes version than the `k8s-openapi` feature's).
    pub fn build(openapi: &OpenApiTypes, pb: &PbTypes) -> (Data, Vec<String>) {
        let mut fields = BTreeMap::new();
        let mut dropped = Vec::new();
        let mut type_map_types = BTreeMap::new();
        for (schema, properties) in &openapi.properties {
            let Some(pb_type) = pb.get(schema) else { continue };
            let by_normalized =
                properties.iter().map(|p| (normalize(p), p.as_str())).collect::<BTreeMap<String, &str>>();
            collect_fields(schema, &pb_type.fields, &by_normalized, pb, 0, &mut fields, &mut dropped);
            if let Some(map_type) = Markers::parse(&pb_type.docs).map_type {
                type_map_types.insert(schema.clone(), map_type);
            }
        }
        let lists = openapi
            .kinds
            .iter()
            .filter(|k| k.listable)
            .filter_map(|kind| {
                let schema = format!("{}List", kind.schema);
                let pb_type = pb.get(&schema)?;
                let field_docs = |name: &str| {
                    pb_type.fields.iter().find(|f| f.name == name).map(|f| reflow(&f.docs)).unwrap_or_default()
                };
                Some(ListDocs {
                    description: reflow(&pb_type.docs),
                    items: field_docs("items"),
                    metadata: field_docs("metadata"),
                    schema,
                })
            })
            .collect();
        (Data { kinds: openapi.kinds.clone(), fields, type_map_types, lists }, dropped)
    }
}

/// Adds the markers of `pb_fields` to `fields` under `schema`. A field that matches no property but is a message
/// type is a Go struct embedded inline (`Volume` embeds `VolumeSource`): its own fields are the schema's.
fn collect_fields(
    schema: &str,
    pb_fields: &[PbField],
    properties: &BTreeMap<String, &str>,
    pb: &PbTypes,
    depth: usize,
    fields: &mut BTreeMap<(String, String), Markers>,
    dropped: &mut Vec<String>,
) {
    for field in pb_fields {
        let markers = Markers::parse(&field.docs);
        match properties.get(&normalize(&field.name)) {
            Some(property) => {
                if !markers.is_empty() {
                    fields.insert((schema.to_owned(), (*property).to_owned()), markers);
                }
            }
            None => {
                let embedded = field.message.as_ref().and_then(|m| pb.get(m));
                match embedded {
                    Some(embedded) if depth < 3 => {
                        collect_fields(schema, &embedded.fields, properties, pb, depth + 1, fields, dropped);
                    }
                    _ if !markers.is_empty() => dropped.push(format!("{schema}.{}", field.name)),
                    _ => {}
                }
            }
        }
    }
}

/// Field names compared without case and underscores: prost's `host_ipc` is the JSON `hostIPC`.
fn normalize(name: &str) -> String {
    name.chars().filter(|c| *c != '_').flat_map(char::to_lowercase).collect()
}

/// A Go doc comment as upstream's OpenAPI descriptions read: marker lines dropped, the lines of a paragraph
/// joined with spaces, paragraphs separated by a blank line.
fn reflow(lines: &[String]) -> String {
    let mut paragraphs = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in lines {
        let trimmed = line.trim();
        if trimmed.starts_with('+') {
            continue;
        }
        if trimmed.is_empty() {
            if !current.is_empty() {
                paragraphs.push(current.join(" "));
                current.clear();
            }
        } else {
            current.push(trimmed);
        }
    }
    if !current.is_empty() {
        paragraphs.push(current.join(" "));
    }
    paragraphs.join("\n\n")
}

/// The generated file, before rustfmt.
pub fn render(data: &Data, provenance: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    writeln!(out, "//! The kinds of `k8s-openapi` and the Go markers of their fields, generated by")?;
    writeln!(out, "//! `cargo run -p openapi-gen` from {provenance}: do not edit by hand.")?;
    writeln!(out, "//! Regenerate after changing the version of either crate or `k8s-openapi`'s Kubernetes version")?;
    writeln!(out, "//! feature; `cargo run -p openapi-gen -- --check` tells whether this file is current.")?;
    writeln!(out, "//! `catalog.rs` says what each table means.")?;
    writeln!(out)?;
    writeln!(out, "use crate::catalog::{{FieldMarkers, Kind, ListDocs, schema_of}};")?;
    writeln!(out)?;

    writeln!(out, "/// Every type of `k8s-openapi` that implements `Resource`.")?;
    writeln!(out, "pub(crate) static KINDS: &[Kind] = &[")?;
    for kind in &data.kinds {
        writeln!(
            out,
            "Kind {{ group: {:?}, version: {:?}, kind: {:?}, listable: {}, schema_name: {:?}, schema: schema_of::<{}> }},",
            kind.group, kind.version, kind.kind, kind.listable, kind.schema, kind.rust_path
        )?;
    }
    writeln!(out, "];")?;
    writeln!(out)?;

    writeln!(out, "/// The list and map semantics of fields, by schema and JSON property, sorted.")?;
    writeln!(out, "pub(crate) static FIELD_MARKERS: &[FieldMarkers] = &[")?;
    for ((schema, property), markers) in &data.fields {
        let option = |value: &Option<String>| match value {
            Some(value) => format!("Some({value:?})"),
            None => "None".to_owned(),
        };
        writeln!(
            out,
            "FieldMarkers {{ schema: {schema:?}, property: {property:?}, patch_merge_key: {}, patch_strategy: {}, \
             list_type: {}, list_map_keys: &{:?}, map_type: {} }},",
            option(&markers.patch_merge_key),
            option(&markers.patch_strategy),
            option(&markers.list_type),
            markers.list_map_keys,
            option(&markers.map_type)
        )?;
    }
    writeln!(out, "];")?;
    writeln!(out)?;

    writeln!(out, "/// The `x-kubernetes-map-type` of struct types (`+structType`), by schema, sorted.")?;
    writeln!(out, "pub(crate) static TYPE_MAP_TYPES: &[(&str, &str)] = &[")?;
    for (schema, map_type) in &data.type_map_types {
        writeln!(out, "({schema:?}, {map_type:?}),")?;
    }
    writeln!(out, "];")?;
    writeln!(out)?;

    writeln!(out, "/// The descriptions of the `<Kind>List` types.")?;
    writeln!(out, "pub(crate) static LIST_DOCS: &[ListDocs] = &[")?;
    let mut seen = BTreeSet::new();
    for list in &data.lists {
        if seen.insert(&list.schema) {
            writeln!(
                out,
                "ListDocs {{ schema: {:?}, description: {:?}, items: {:?}, metadata: {:?} }},",
                list.schema, list.description, list.items, list.metadata
            )?;
        }
    }
    writeln!(out, "];")?;
    Ok(out)
}

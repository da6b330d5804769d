//! The shapes of the generated tables (`generated.rs`) and lookups over them: which Rust type models a kind, and
//! the list and map semantics of fields that `k8s-openapi`'s schemas do not carry.

use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::generated::{FIELD_MARKERS, KINDS, LIST_DOCS, TYPE_MAP_TYPES};

/// A type of `k8s-openapi` that implements `Resource`.
#[derive(Debug)]
pub(crate) struct Kind {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// Whether a `<Kind>List` exists.
    pub listable: bool,
    /// The schema name, e.g. `io.k8s.api.apps.v1.Deployment`.
    pub schema_name: &'static str,
    /// Adds the type's schema, and those of every type it refers to, to a generator's definitions.
    pub schema: fn(&mut SchemaGenerator) -> Schema,
}

/// The list and map semantics of one field, from upstream's Go markers.
#[derive(Debug)]
pub(crate) struct FieldMarkers {
    pub schema: &'static str,
    pub property: &'static str,
    /// `x-kubernetes-patch-merge-key`
    pub patch_merge_key: Option<&'static str>,
    /// `x-kubernetes-patch-strategy`
    pub patch_strategy: Option<&'static str>,
    /// `x-kubernetes-list-type`
    pub list_type: Option<&'static str>,
    /// `x-kubernetes-list-map-keys`
    pub list_map_keys: &'static [&'static str],
    /// `x-kubernetes-map-type`
    pub map_type: Option<&'static str>,
}

/// The descriptions of a `<Kind>List` type and of its `items` and `metadata`.
#[derive(Debug)]
pub(crate) struct ListDocs {
    pub schema: &'static str,
    pub description: &'static str,
    pub items: &'static str,
    pub metadata: &'static str,
}

/// The generator function of the generated `KINDS` table.
pub(crate) fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// The kind `group/version/kind`, if `k8s-openapi` has a type for it.
pub(crate) fn kind(group: &str, version: &str, kind: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.group == group && k.version == version && k.kind == kind)
}

/// The kind whose schema is `schema_name`.
pub(crate) fn kind_by_schema(schema_name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.schema_name == schema_name)
}

/// The markers of the field `property` of the type `schema`.
pub(crate) fn field_markers(schema: &str, property: &str) -> Option<&'static FieldMarkers> {
    // The table is sorted by schema, then property.
    let index = FIELD_MARKERS.binary_search_by(|m| (m.schema, m.property).cmp(&(schema, property))).ok()?;
    FIELD_MARKERS.get(index)
}

/// The `x-kubernetes-map-type` of the struct type `schema`.
pub(crate) fn type_map_type(schema: &str) -> Option<&'static str> {
    // The table is sorted by schema.
    let index = TYPE_MAP_TYPES.binary_search_by(|(name, _)| (*name).cmp(schema)).ok()?;
    TYPE_MAP_TYPES.get(index).map(|(_, map_type)| *map_type)
}

/// The descriptions of the list type `schema` (`io.k8s.api.apps.v1.DeploymentList`).
pub(crate) fn list_docs(schema: &str) -> Option<&'static ListDocs> {
    LIST_DOCS.iter().find(|l| l.schema == schema)
}

/// The kind of a subresource's body: the object's own for `status`, `autoscaling/v1` `Scale` for `scale`,
/// `policy/v1` `Eviction` for `eviction`, `v1` `Binding` for `binding` and `authentication.k8s.io/v1`
/// `TokenRequest` for `token`; `None` for the subresources the documents leave out (`log`, `exec`, ...).
pub(crate) fn subresource_kind(main: &'static Kind, subresource: &str) -> Option<&'static Kind> {
    match subresource {
        "status" => Some(main),
        "scale" => kind("autoscaling", "v1", "Scale"),
        "eviction" => kind("policy", "v1", "Eviction"),
        "binding" => kind("", "v1", "Binding"),
        "token" => kind("authentication.k8s.io", "v1", "TokenRequest"),
        _ => None,
    }
}

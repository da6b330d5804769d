//! `metadata` validation for every kind, as apimachinery's `ValidateObjectMeta` and `ValidateObjectMetaUpdate`:
//! name and generateName per kind, labels, annotations, finalizers and owner references.

use serde_json::Value;

use crate::field::{Errors, child, go_quote};
use crate::names::{NameRule, dns1123_label, label_value, qualified_name};

/// The most bytes all annotation keys and values may take together.
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

const PATH: &str = "metadata";

/// The checks of a new object's metadata.
pub(crate) fn validate_create(object: &Value, rule: NameRule, errors: &mut Errors) {
    let Some(metadata) = metadata(object, errors) else {
        errors.required("metadata.name", "name or generateName is required");
        return;
    };
    if let Some(generate_name) = errors.str(metadata, "generateName", PATH).filter(|name| !name.is_empty()) {
        errors.invalid_each("metadata.generateName", generate_name, rule.check(generate_name, true));
    }
    match errors.str(metadata, "name", PATH) {
        None | Some("") => errors.required("metadata.name", "name or generateName is required"),
        Some(name) => errors.invalid_each("metadata.name", name, rule.check(name, false)),
    }
    validate_common(metadata, errors);
}

/// The checks of an updated object's metadata against the stored one.
pub(crate) fn validate_update(new: &Value, old: &Value, errors: &mut Errors) {
    let Some(new_meta) = metadata(new, errors) else {
        return;
    };
    let old_meta = old.get("metadata").filter(|meta| meta.is_object()).unwrap_or(&Value::Null);
    if old_meta.get("deletionTimestamp").is_some_and(|stamp| !stamp.is_null()) {
        let old_finalizers: Vec<&str> = strings(old_meta.get("finalizers"));
        let mut added: Vec<&str> =
            strings(new_meta.get("finalizers")).into_iter().filter(|name| !old_finalizers.contains(name)).collect();
        added.sort_unstable();
        added.dedup();
        if !added.is_empty() {
            let shown: Vec<String> = added.iter().map(|name| go_quote(name)).collect();
            errors.forbidden(
                "metadata.finalizers",
                format!(
                    "no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
                    shown.join(", ")
                ),
            );
        }
    }
    let generation = |meta: &Value| meta.get("generation").and_then(Value::as_i64).unwrap_or(0);
    if generation(new_meta) < generation(old_meta) {
        errors.invalid("metadata.generation", generation(new_meta), "must not be decremented");
    }
    for name in ["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"] {
        let new_value = new_meta.get(name).unwrap_or(&Value::Null);
        let old_value = old_meta.get(name).unwrap_or(&Value::Null);
        if !same(new_value, old_value) {
            errors.invalid(&child(PATH, name), new_value.clone(), "field is immutable");
        }
    }
    validate_common(new_meta, errors);
}

/// Absent, null and empty values are the same Go zero value.
fn same(a: &Value, b: &Value) -> bool {
    let empty = |value: &Value| match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        _ => false,
    };
    a == b || (empty(a) && empty(b))
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    value.and_then(Value::as_array).map(|items| items.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

fn metadata<'a>(object: &'a Value, errors: &mut Errors) -> Option<&'a Value> {
    errors.obj(object, "metadata", "")
}

fn validate_common(metadata: &Value, errors: &mut Errors) {
    if let Some(namespace) = errors.str(metadata, "namespace", PATH).filter(|ns| !ns.is_empty()) {
        errors.invalid_each("metadata.namespace", namespace, dns1123_label(namespace));
    }
    if let Some(generation) = errors.int(metadata, "generation", PATH)
        && generation < 0
    {
        errors.invalid("metadata.generation", generation, "must be greater than or equal to 0");
    }
    validate_labels(&errors.str_map(metadata, "labels", PATH), "metadata.labels", errors);
    validate_annotations(&errors.str_map(metadata, "annotations", PATH), "metadata.annotations", errors);
    validate_owner_references(metadata, errors);
    validate_finalizers(metadata, errors);
}

/// Label keys are qualified names, values label values; errors name the map, not the key.
pub(crate) fn validate_labels(labels: &[(&str, &str)], path: &str, errors: &mut Errors) {
    for (label_key, value) in labels {
        errors.invalid_each(path, label_key, qualified_name(label_key));
        errors.invalid_each(path, value, label_value(value));
    }
}

/// Annotation keys are qualified names in any case, and all annotations together fit in 256 KiB.
pub(crate) fn validate_annotations(annotations: &[(&str, &str)], path: &str, errors: &mut Errors) {
    for (annotation_key, _) in annotations {
        errors.invalid_each(path, annotation_key, qualified_name(&annotation_key.to_lowercase()));
    }
    let total: usize = annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errors.too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT);
    }
}

fn validate_owner_references(metadata: &Value, errors: &mut Errors) {
    let path = "metadata.ownerReferences";
    let mut first_controller: Option<String> = None;
    for (_, reference, _) in errors.obj_list(metadata, "ownerReferences", PATH) {
        let api_version = errors.str(reference, "apiVersion", path).unwrap_or_default();
        let kind = errors.str(reference, "kind", path).unwrap_or_default();
        let name = errors.str(reference, "name", path).unwrap_or_default();
        let uid = errors.str(reference, "uid", path).unwrap_or_default();
        let version = api_version.rsplit('/').next().unwrap_or_default();
        if version.is_empty() {
            errors.invalid(&child(path, "apiVersion"), api_version, "version must not be empty");
        }
        if kind.is_empty() {
            errors.invalid(&child(path, "kind"), kind, "must not be empty");
        }
        if name.is_empty() {
            errors.invalid(&child(path, "name"), name, "must not be empty");
        }
        if uid.is_empty() {
            errors.invalid(&child(path, "uid"), uid, "must not be empty");
        }
        if api_version == "v1" && kind == "Event" {
            errors.invalid(path, reference.clone(), "/v1, Kind=Event is disallowed from being an owner");
        }
        if errors.bool(reference, "controller", path) == Some(true) {
            let current = format!("{kind}/{name}");
            match &first_controller {
                Some(first) => errors.invalid(
                    path,
                    metadata.get("ownerReferences").cloned().unwrap_or_default(),
                    format!(
                        "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {current}"
                    ),
                ),
                None => first_controller = Some(current),
            }
        }
    }
}

fn validate_finalizers(metadata: &Value, errors: &mut Errors) {
    let path = "metadata.finalizers";
    let finalizers = errors.str_list(metadata, "finalizers", PATH);
    for (_, finalizer) in &finalizers {
        errors.invalid_each(path, finalizer, qualified_name(finalizer));
    }
    for (idx, finalizer) in &finalizers {
        if !finalizer.contains('/') && !matches!(*finalizer, "kubernetes" | "orphan" | "foregroundDeletion") {
            errors.invalid(
                &crate::field::index(path, *idx),
                *finalizer,
                "name is neither a standard finalizer name nor is it fully qualified",
            );
        }
    }
    let has = |name: &str| finalizers.iter().any(|(_, finalizer)| *finalizer == name);
    if has("orphan") && has("foregroundDeletion") {
        let shown: Vec<String> = finalizers.iter().map(|(_, name)| go_quote(name)).collect();
        errors.invalid_shown(
            path,
            format!("[]string{{{}}}", shown.join(", ")),
            "finalizer orphan and foregroundDeletion cannot be both set",
        );
    }
}

/// Walks `metadata` of an embedded template (pod templates, job templates): labels and annotations only.
pub(crate) fn validate_template_meta(template: &Value, path: &str, errors: &mut Errors) {
    let Some(metadata) = errors.obj(template, "metadata", path) else {
        return;
    };
    let meta_path = child(path, "metadata");
    let labels = errors.str_map(metadata, "labels", &meta_path);
    validate_labels(&labels, &child(&meta_path, "labels"), errors);
    let annotations = errors.str_map(metadata, "annotations", &meta_path);
    validate_annotations(&annotations, &child(&meta_path, "annotations"), errors);
}

//! Strategic merge patch for built-in kinds: JSON merge patch, except that some lists merge element by element
//! by a key (containers by `name`, container ports by `containerPort`, ...) or as sets (finalizers), and the
//! directives kubectl emits steer deletion and order: `$patch` (replace / delete / merge), `$retainKeys`,
//! `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`.
//!
//! Which lists merge, and by what key, is upstream's `patchStrategy`/`patchMergeKey` of each field, written
//! here as a table over the field's name and its parent's name.

use serde_json::{Map, Value};

use crate::status::ApiError;

/// How a list field merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListStrategy {
    /// The patch's list replaces the old one.
    Replace,
    /// Elements are objects merged by this key.
    MergeByKey(&'static str),
    /// Elements are primitives; the result is the union.
    Set,
}

/// The merge strategy of the list at `field`, whose enclosing object is the value of `parent` (the name of
/// the field holding it; `""` at the top), in an object of `kind`.
pub(crate) fn list_strategy(kind: &str, parent: &str, field: &str) -> ListStrategy {
    use ListStrategy::*;
    match (parent, field) {
        (_, "containers" | "initContainers" | "ephemeralContainers") => MergeByKey("name"),
        (_, "env") => MergeByKey("name"),
        ("containers" | "initContainers" | "ephemeralContainers", "ports") => MergeByKey("containerPort"),
        ("spec", "ports") if kind == "Service" => MergeByKey("port"),
        (_, "volumeMounts") => MergeByKey("mountPath"),
        (_, "volumeDevices") => MergeByKey("devicePath"),
        ("spec", "volumes") => MergeByKey("name"),
        (_, "imagePullSecrets") => MergeByKey("name"),
        (_, "schedulingGates") => MergeByKey("name"),
        ("spec", "secrets") if kind == "ServiceAccount" => MergeByKey("name"),
        (_, "hostAliases") => MergeByKey("ip"),
        ("status", "podIPs" | "hostIPs") => MergeByKey("ip"),
        (_, "topologySpreadConstraints") => MergeByKey("topologyKey"),
        (_, "conditions") => MergeByKey("type"),
        ("status", "addresses") if kind == "Node" => MergeByKey("type"),
        ("metadata", "ownerReferences") => MergeByKey("uid"),
        ("metadata", "finalizers") => Set,
        ("spec", "podCIDRs") if kind == "Node" => Set,
        _ => Replace,
    }
}

/// Fields whose patch carries `$retainKeys` semantics by default when kubectl sends it (pod volumes and the
/// deployment strategy); the directive itself is honoured wherever it appears.
const RETAIN_KEYS: &str = "$retainKeys";
const PATCH: &str = "$patch";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(422, "Invalid", message.into())
}

/// Applies a strategic merge patch to `original`, an object of `kind`.
pub fn apply(kind: &str, original: &Value, patch: &Value) -> Result<Value, ApiError> {
    let Value::Object(patch) = patch else {
        return Err(ApiError::bad_request("a strategic merge patch must be a JSON object"));
    };
    let original = original.as_object().cloned().unwrap_or_default();
    Ok(Value::Object(merge_map(kind, "", original, patch)?))
}

fn merge_map(
    kind: &str,
    parent: &str,
    mut original: Map<String, Value>,
    patch: &Map<String, Value>,
) -> Result<Map<String, Value>, ApiError> {
    match patch.get(PATCH).and_then(Value::as_str) {
        Some("replace") => {
            let mut replaced = patch.clone();
            replaced.remove(PATCH);
            return Ok(strip_directives(replaced));
        }
        Some("delete") => return Ok(Map::new()),
        Some("merge") | None => {}
        Some(other) => return Err(invalid(format!("unknown patch type: {other:?} in map"))),
    }
    if let Some(keep) = patch.get(RETAIN_KEYS) {
        let keep: Vec<&str> = keep
            .as_array()
            .ok_or_else(|| invalid("$retainKeys must be a list of strings"))?
            .iter()
            .map(|k| k.as_str().ok_or_else(|| invalid("$retainKeys must be a list of strings")))
            .collect::<Result<_, _>>()?;
        original.retain(|key, _| keep.contains(&key.as_str()));
    }
    for (key, value) in patch {
        if key == PATCH || key == RETAIN_KEYS || key.starts_with(SET_ELEMENT_ORDER) {
            continue;
        }
        if let Some(list) = key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
            let remove = value.as_array().ok_or_else(|| invalid(format!("{key} must be a list")))?;
            if let Some(Value::Array(items)) = original.get_mut(list) {
                items.retain(|item| !remove.contains(item));
            }
            continue;
        }
        match value {
            Value::Null => {
                original.remove(key);
            }
            Value::Object(patch_map) => {
                let merged = match original.remove(key) {
                    Some(Value::Object(existing)) => merge_map(kind, key, existing, patch_map)?,
                    _ => merge_map(kind, key, Map::new(), patch_map)?,
                };
                // `$patch: delete` on a map field removes the field.
                if patch_map.get(PATCH).and_then(Value::as_str) == Some("delete") {
                    continue;
                }
                original.insert(key.clone(), Value::Object(merged));
            }
            Value::Array(patch_list) => {
                let order = patch.get(&format!("{SET_ELEMENT_ORDER}{key}")).and_then(Value::as_array);
                let existing = match original.remove(key) {
                    Some(Value::Array(existing)) => existing,
                    _ => Vec::new(),
                };
                let merged = merge_list(kind, parent, key, existing, patch_list, order)?;
                original.insert(key.clone(), Value::Array(merged));
            }
            primitive => {
                original.insert(key.clone(), primitive.clone());
            }
        }
    }
    // A `$setElementOrder` without the list itself only reorders.
    for (key, order) in patch {
        if let Some(list) = key.strip_prefix(SET_ELEMENT_ORDER)
            && !patch.contains_key(list)
            && let (Some(Value::Array(existing)), Some(order)) = (original.remove(list), order.as_array())
        {
            let merged = merge_list(kind, parent, list, existing, &[], Some(order))?;
            original.insert(list.to_owned(), Value::Array(merged));
        }
    }
    Ok(original)
}

fn merge_list(
    kind: &str,
    parent: &str,
    field: &str,
    existing: Vec<Value>,
    patch: &[Value],
    order: Option<&Vec<Value>>,
) -> Result<Vec<Value>, ApiError> {
    // A `{"$patch": "replace"}` element replaces the whole list with the other elements.
    if patch.iter().any(|item| item.get(PATCH).and_then(Value::as_str) == Some("replace")) {
        return Ok(patch.iter().filter(|item| item.get(PATCH).is_none()).cloned().map(strip_value).collect());
    }
    match list_strategy(kind, parent, field) {
        ListStrategy::Replace => Ok(patch.iter().cloned().map(strip_value).collect()),
        ListStrategy::Set => {
            let mut merged = existing;
            for item in patch {
                if !merged.contains(item) {
                    merged.push(item.clone());
                }
            }
            Ok(sort_by_order(merged, order, None))
        }
        ListStrategy::MergeByKey(merge_key) => {
            let mut merged = existing;
            for item in patch {
                let Some(item_map) = item.as_object() else {
                    return Err(invalid(format!("elements of {field} must be objects")));
                };
                let Some(key_value) = item_map.get(merge_key) else {
                    if item_map.get(PATCH).is_some() {
                        continue;
                    }
                    return Err(invalid(format!("map: {item} does not contain declared merge key: {merge_key}")));
                };
                let position = merged.iter().position(|e| e.get(merge_key) == Some(key_value));
                match item_map.get(PATCH).and_then(Value::as_str) {
                    Some("delete") => {
                        if let Some(position) = position {
                            merged.remove(position);
                        }
                    }
                    _ => match position {
                        Some(position) => {
                            let current = merged[position].as_object().cloned().unwrap_or_default();
                            merged[position] = Value::Object(merge_map(kind, field, current, item_map)?);
                        }
                        None => merged.push(Value::Object(merge_map(kind, field, Map::new(), item_map)?)),
                    },
                }
            }
            Ok(sort_by_order(merged, order, Some(merge_key)))
        }
    }
}

/// Orders a merged list as `$setElementOrder` says; elements it does not name keep their place after those it
/// names.
fn sort_by_order(items: Vec<Value>, order: Option<&Vec<Value>>, merge_key: Option<&str>) -> Vec<Value> {
    let Some(order) = order else { return items };
    let identity = |item: &Value| -> Value {
        match merge_key {
            Some(key) => item.get(key).cloned().unwrap_or(Value::Null),
            None => item.clone(),
        }
    };
    let wanted: Vec<Value> = order.iter().map(identity).collect();
    let (mut named, rest): (Vec<Value>, Vec<Value>) =
        items.into_iter().partition(|item| wanted.contains(&identity(item)));
    named.sort_by_key(|item| wanted.iter().position(|w| *w == identity(item)).unwrap_or(usize::MAX));
    named.extend(rest);
    named
}

fn strip_directives(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter().filter(|(key, _)| !key.starts_with('$')).map(|(key, value)| (key, strip_value(value))).collect()
}

fn strip_value(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(strip_directives(map)),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_value).collect()),
        other => other,
    }
}

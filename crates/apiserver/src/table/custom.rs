//! The printer of custom resources: the CRD version's `additionalPrinterColumns`, read with their JSONPath, or
//! NAME and AGE when it gives none.

use serde_json::{Value, json};

use crate::registry::CustomSchema;

/// The cells of a custom resource's row: the name, then each printer column (or the age when there are none).
pub fn cells(schema: &CustomSchema, object: &Value) -> Vec<Value> {
    let name = object.pointer("/metadata/name").cloned().unwrap_or(Value::Null);
    if schema.columns.is_empty() {
        return vec![name, age_of(object)];
    }
    let mut cells = vec![name];
    for column in &schema.columns {
        let path = column.get("jsonPath").and_then(Value::as_str).unwrap_or_default();
        let found = json_path(object, path);
        let kind = column.get("type").and_then(Value::as_str).unwrap_or("string");
        let cell = match (found, kind) {
            (None, _) => Value::Null,
            (Some(value), "date") => match value.as_str() {
                Some(at) => json!(super::age(at)),
                None => Value::Null,
            },
            (Some(Value::String(text)), _) => json!(text),
            (Some(value @ (Value::Number(_) | Value::Bool(_))), _) => value,
            (Some(other), _) => json!(other.to_string()),
        };
        cells.push(cell);
    }
    cells
}

fn age_of(object: &Value) -> Value {
    match object.pointer("/metadata/creationTimestamp").and_then(Value::as_str) {
        Some(at) => json!(super::age(at)),
        None => json!("<unknown>"),
    }
}

/// Column definitions for a custom resource's table.
pub fn column_definitions(schema: &CustomSchema) -> Vec<Value> {
    let mut columns = vec![
        json!({ "name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0 }),
    ];
    if schema.columns.is_empty() {
        columns.push(json!({ "name": "Age", "type": "date", "format": "", "description": "CreationTimestamp is a timestamp representing the server time when this object was created.", "priority": 0 }));
        return columns;
    }
    for column in &schema.columns {
        columns.push(json!({
            "name": column.get("name").cloned().unwrap_or(Value::Null),
            "type": column.get("type").cloned().unwrap_or_else(|| json!("string")),
            "format": column.get("format").cloned().unwrap_or_else(|| json!("")),
            "description": column.get("description").cloned().unwrap_or_else(|| json!("")),
            "priority": column.get("priority").cloned().unwrap_or_else(|| json!(0)),
        }));
    }
    columns
}

/// The value at a printer column's JSONPath: `.a.b`, `.a[0].b`, and `.a[?(@.k=="v")].b` (the filter form
/// conditions use).
pub fn json_path(object: &Value, path: &str) -> Option<Value> {
    let path = path.trim().trim_start_matches('{').trim_end_matches('}').trim_start_matches('$');
    let mut current = object.clone();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let key = &after[..end];
            current = current.get(key)?.clone();
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inside = &after[..end];
            rest = &after[end + 1..];
            if let Some(filter) = inside.strip_prefix("?(@.").and_then(|f| f.strip_suffix(')')) {
                let (key, wanted) = filter.split_once("==")?;
                let wanted = wanted.trim().trim_matches(|c| c == '"' || c == '\'');
                current = current
                    .as_array()?
                    .iter()
                    .find(|item| item.get(key.trim()).and_then(Value::as_str) == Some(wanted))?
                    .clone();
            } else {
                let index: usize = inside.parse().ok()?;
                current = current.get(index)?.clone();
            }
        } else {
            return None;
        }
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_of_printer_columns() {
        let object = json!({ "spec": { "size": 3, "list": [{ "a": 1 }] },
                             "status": { "conditions": [{ "type": "Ready", "status": "True" }] } });
        assert_eq!(json_path(&object, ".spec.size"), Some(json!(3)));
        assert_eq!(json_path(&object, ".spec.list[0].a"), Some(json!(1)));
        assert_eq!(json_path(&object, ".status.conditions[?(@.type==\"Ready\")].status"), Some(json!("True")));
        for missing in
            [".spec.nope", ".spec.list[3]", ".status.conditions[?(@.type==\"Other\")].status", "spec", ".spec.list[x]"]
        {
            assert_eq!(json_path(&object, missing), None, "{missing}");
        }
    }
}

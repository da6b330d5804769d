//! The printers of the `policy` group's kinds: for each, kubectl's columns and the function that fills them, as
//! upstream's printers write them.

use serde_json::{Value, json};

use super::{AGE, NAME, Printer, object_age, str_at};

/// `PodDisruptionBudget`: kubectl's columns, and each object's cells.
pub(super) const POD_DISRUPTION_BUDGET: Printer = Printer {
    columns: &[
        NAME,
        ("Min Available", "string", "", 0),
        ("Max Unavailable", "string", "", 0),
        ("Allowed Disruptions", "integer", "", 0),
        AGE,
    ],
    cells: pod_disruption_budget,
};

fn pod_disruption_budget(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    // An int-or-string shown as given; "N/A" when the budget does not set it.
    let bound = |field: &str| match object.pointer(&format!("/spec/{field}")) {
        Some(Value::String(text)) => json!(text),
        Some(Value::Number(number)) => json!(number.to_string()),
        _ => json!("N/A"),
    };
    vec![
        name,
        bound("minAvailable"),
        bound("maxUnavailable"),
        json!(object.pointer("/status/disruptionsAllowed").and_then(Value::as_i64).unwrap_or(0)),
        object_age(object),
    ]
}

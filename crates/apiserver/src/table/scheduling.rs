//! The printers of the `scheduling.k8s.io` group's kinds: for each, kubectl's columns and the function that fills them,
//! as upstream's printers write them.

use serde_json::{Value, json};

use super::{AGE, NAME, Printer, object_age, str_at};

/// `PriorityClass`: kubectl's columns, and each object's cells.
pub(super) const PRIORITY_CLASS: Printer = Printer {
    columns: &[
        NAME,
        ("Value", "integer", "", 0),
        ("Global-Default", "boolean", "", 0),
        AGE,
        ("PreemptionPolicy", "string", "", 0),
    ],
    cells: priority_class,
};

fn priority_class(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    vec![
        name,
        json!(object.get("value").and_then(Value::as_i64).unwrap_or(0)),
        json!(object.get("globalDefault").and_then(Value::as_bool).unwrap_or(false)),
        object_age(object),
        json!(str_at(object, &["preemptionPolicy"])),
    ]
}

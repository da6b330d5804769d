//! The printers of the `node.k8s.io` group's kinds: for each, kubectl's columns and the function that fills them, as
//! upstream's printers write them.

use serde_json::{Value, json};

use super::{AGE, NAME, Printer, object_age, str_at};

/// `RuntimeClass`: kubectl's columns, and each object's cells.
pub(super) const RUNTIME_CLASS: Printer =
    Printer { columns: &[NAME, ("Handler", "string", "", 0), AGE], cells: runtime_class };

fn runtime_class(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    vec![name, json!(str_at(object, &["handler"])), object_age(object)]
}

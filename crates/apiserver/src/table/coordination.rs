//! The printers of the `coordination.k8s.io` group's kinds: for each, kubectl's columns and the function that fills
//! them, as upstream's printers write them.

use serde_json::{Value, json};

use super::{AGE, NAME, Printer, object_age, str_at};

/// `Lease`: kubectl's columns, and each object's cells.
pub(super) const LEASE: Printer = Printer { columns: &[NAME, ("Holder", "string", "", 0), AGE], cells: lease };

fn lease(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    vec![name, json!(str_at(object, &["spec", "holderIdentity"])), object_age(object)]
}

//! The printers of the `admissionregistration.k8s.io` group's kinds: for each, kubectl's columns and the function that
//! fills them, as upstream's printers write them.

use serde_json::{Value, json};

use super::{AGE, NAME, Printer, array_at, object_age, str_at};

/// `MutatingWebhookConfiguration` and `ValidatingWebhookConfiguration`: kubectl's columns, and each object's cells.
pub(super) const WEBHOOK_CONFIGURATION: Printer =
    Printer { columns: &[NAME, ("Webhooks", "integer", "", 0), AGE], cells: webhook_configuration };

fn webhook_configuration(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    vec![name, json!(array_at(object, &["webhooks"]).len()), object_age(object)]
}

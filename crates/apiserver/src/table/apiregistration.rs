//! The printers of the `apiregistration.k8s.io` group's kinds: for each, kubectl's columns and the function that
//! fills them, as kube-aggregator's printers write them.

use serde_json::{Value, json};

use super::{AGE, NAME, Printer, array_at, object_age, str_at};

/// `APIService`: NAME, SERVICE (`namespace/name`, or `Local`), AVAILABLE (`True`, or the status with its reason,
/// `Unknown` before any condition) and AGE.
pub(super) const API_SERVICE: Printer =
    Printer { columns: &[NAME, ("Service", "string", "", 0), ("Available", "string", "", 0), AGE], cells: api_service };

fn api_service(object: &Value) -> Vec<Value> {
    let service = match object.pointer("/spec/service") {
        Some(service) if service.is_object() => {
            format!("{}/{}", str_at(service, &["namespace"]), str_at(service, &["name"]))
        }
        _ => "Local".to_owned(),
    };
    let available = array_at(object, &["status", "conditions"])
        .iter()
        .find(|condition| str_at(condition, &["type"]) == "Available")
        .map_or_else(
            || "Unknown".to_owned(),
            |condition| match str_at(condition, &["status"]) {
                "True" => "True".to_owned(),
                status => format!("{status} ({})", str_at(condition, &["reason"])),
            },
        );
    vec![json!(str_at(object, &["metadata", "name"])), json!(service), json!(available), object_age(object)]
}

//! The printers of the `certificates.k8s.io` group's kinds: for each, kubectl's columns and the function that fills
//! them, as upstream's printers write them.

use serde_json::{Value, json};

use super::{AGE, NAME, Printer, array_at, human_duration, none_if_empty, object_age, str_at};

/// `CertificateSigningRequest`: kubectl's columns, and each object's cells.
pub(super) const CERTIFICATE_SIGNING_REQUEST: Printer = Printer {
    columns: &[
        NAME,
        AGE,
        ("SignerName", "string", "", 0),
        ("Requestor", "string", "", 0),
        ("RequestedDuration", "string", "", 0),
        ("Condition", "string", "", 0),
    ],
    cells: certificate_signing_request,
};

fn certificate_signing_request(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let conditions = array_at(object, &["status", "conditions"]);
    let has = |kind: &str| conditions.iter().any(|c| str_at(c, &["type"]) == kind);
    let mut states: Vec<&str> = ["Approved", "Denied", "Failed"].into_iter().filter(|k| has(k)).collect();
    if states.is_empty() {
        states.push("Pending");
    }
    if !str_at(object, &["status", "certificate"]).is_empty() {
        states.push("Issued");
    }
    let duration =
        object.pointer("/spec/expirationSeconds").and_then(Value::as_i64).map_or("<none>".to_owned(), human_duration);
    vec![
        name,
        object_age(object),
        json!(none_if_empty(str_at(object, &["spec", "signerName"]).to_owned())),
        json!(str_at(object, &["spec", "username"])),
        json!(duration),
        json!(states.join(",")),
    ]
}

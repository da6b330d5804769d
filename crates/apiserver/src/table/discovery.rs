//! The printers of the `discovery.k8s.io` group's kinds: for each, kubectl's columns and the function that fills them,
//! as upstream's printers write them.

use serde_json::{Value, json};

use super::{AGE, NAME, Printer, array_at, object_age, str_at};

/// `EndpointSlice`: kubectl's columns, and each object's cells.
pub(super) const ENDPOINT_SLICE: Printer = Printer {
    columns: &[NAME, ("AddressType", "string", "", 0), ("Ports", "string", "", 0), ("Endpoints", "string", "", 0), AGE],
    cells: endpoint_slice,
};

fn endpoint_slice(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let ports = array_at(object, &["ports"]).iter().map(|port| match port.get("port").and_then(Value::as_i64) {
        Some(number) => number.to_string(),
        None => port.get("name").and_then(Value::as_str).unwrap_or("*").to_owned(),
    });
    let addresses = array_at(object, &["endpoints"])
        .iter()
        .flat_map(|endpoint| array_at(endpoint, &["addresses"]).iter().filter_map(Value::as_str))
        .map(str::to_owned);
    vec![
        name,
        json!(str_at(object, &["addressType"])),
        json!(first_three(ports.collect(), "<unset>")),
        json!(first_three(addresses.collect(), "<unset>")),
        object_age(object),
    ]
}

/// At most three items joined by commas, then how many more; `empty` when there are none.
fn first_three(items: Vec<String>, empty: &str) -> String {
    match items.len() {
        0 => empty.to_owned(),
        1..=3 => items.join(","),
        count => format!("{} + {} more...", items[..3].join(","), count - 3),
    }
}

//! The printers of the `networking.k8s.io` group's kinds: for each, kubectl's columns and the function that fills them,
//! as upstream's printers write them.

use serde_json::{Value, json};

use super::{AGE, NAME, Printer, array_at, none_if_empty, object_age, selector_text, str_at};

/// `Ingress`: kubectl's columns, and each object's cells.
pub(super) const INGRESS: Printer = Printer {
    columns: &[
        NAME,
        ("Class", "string", "", 0),
        ("Hosts", "string", "", 0),
        ("Address", "string", "", 0),
        ("Ports", "string", "", 0),
        AGE,
    ],
    cells: ingress,
};

fn ingress(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let hosts: Vec<&str> = array_at(object, &["spec", "rules"]).iter().map(|r| str_at(r, &["host"])).collect();
    let hosts = if hosts.is_empty() || hosts.iter().all(|h| h.is_empty()) { "*".to_owned() } else { hosts.join(",") };
    let addresses: Vec<&str> = array_at(object, &["status", "loadBalancer", "ingress"])
        .iter()
        .map(|i| if str_at(i, &["ip"]).is_empty() { str_at(i, &["hostname"]) } else { str_at(i, &["ip"]) })
        .collect();
    let ports = if array_at(object, &["spec", "tls"]).is_empty() { "80" } else { "80, 443" };
    vec![
        name,
        json!(none_if_empty(str_at(object, &["spec", "ingressClassName"]).to_owned())),
        json!(hosts),
        json!(addresses.join(",")),
        json!(ports),
        object_age(object),
    ]
}

/// `NetworkPolicy`: kubectl's columns, and each object's cells.
pub(super) const NETWORK_POLICY: Printer =
    Printer { columns: &[NAME, ("Pod-Selector", "string", "", 0), AGE], cells: network_policy };

fn network_policy(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    vec![name, json!(selector_text(object.pointer("/spec/podSelector").unwrap_or(&Value::Null))), object_age(object)]
}

/// `IngressClass`: kubectl's columns, and each object's cells.
pub(super) const INGRESS_CLASS: Printer = Printer {
    columns: &[NAME, ("Controller", "string", "", 0), ("Parameters", "string", "", 0), AGE],
    cells: ingress_class,
};

fn ingress_class(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let parameters = match object.pointer("/spec/parameters") {
        Some(parameters) => {
            let group = str_at(parameters, &["apiGroup"]);
            let kind = str_at(parameters, &["kind"]);
            let kind = if group.is_empty() { kind.to_owned() } else { format!("{kind}.{group}") };
            format!("{kind}/{}", str_at(parameters, &["name"]))
        }
        None => "<none>".to_owned(),
    };
    vec![name, json!(str_at(object, &["spec", "controller"])), json!(parameters), object_age(object)]
}

//! The printers of the `rbac.authorization.k8s.io` group's kinds: for each, kubectl's columns and the function that
//! fills them, as upstream's printers write them.

use serde_json::{Value, json};

use super::{AGE, NAME, Printer, array_at, object_age, str_at};

/// `RoleBinding` and `ClusterRoleBinding`: kubectl's columns, and each object's cells.
pub(super) const ROLE_BINDING: Printer = Printer {
    columns: &[
        NAME,
        ("Role", "string", "", 0),
        AGE,
        ("Users", "string", "", 1),
        ("Groups", "string", "", 1),
        ("ServiceAccounts", "string", "", 1),
    ],
    cells: role_binding,
};

fn role_binding(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let subjects = array_at(object, &["subjects"]);
    let of_kind = |kind: &str| -> String {
        subjects
            .iter()
            .filter(|s| str_at(s, &["kind"]) == kind)
            .map(|s| {
                if kind == "ServiceAccount" {
                    format!("{}/{}", str_at(s, &["namespace"]), str_at(s, &["name"]))
                } else {
                    str_at(s, &["name"]).to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        name,
        json!(format!("{}/{}", str_at(object, &["roleRef", "kind"]), str_at(object, &["roleRef", "name"]))),
        object_age(object),
        json!(of_kind("User")),
        json!(of_kind("Group")),
        json!(of_kind("ServiceAccount")),
    ]
}

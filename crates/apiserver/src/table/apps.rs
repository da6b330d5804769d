//! The printers of the `apps` group's kinds: for each, kubectl's columns and the function that fills them, as
//! upstream's printers write them.

use serde_json::{Value, json};

use super::{
    AGE, CONTAINERS, IMAGES, NAME, Printer, SELECTOR, containers_and_images, i64_at, object_age, replicas,
    selector_text, str_at,
};

/// `Deployment`: kubectl's columns, and each object's cells.
pub(super) const DEPLOYMENT: Printer = Printer {
    columns: &[
        NAME,
        ("Ready", "string", "", 0),
        ("Up-to-date", "integer", "", 0),
        ("Available", "integer", "", 0),
        AGE,
        CONTAINERS,
        IMAGES,
        SELECTOR,
    ],
    cells: deployment,
};

fn deployment(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let (containers, images) = containers_and_images(object, &["spec", "template", "spec"]);
    vec![
        name,
        json!(format!("{}/{}", i64_at(object, &["status", "readyReplicas"]), replicas(object))),
        json!(i64_at(object, &["status", "updatedReplicas"])),
        json!(i64_at(object, &["status", "availableReplicas"])),
        object_age(object),
        containers,
        images,
        json!(selector_text(object.get("spec").and_then(|s| s.get("selector")).unwrap_or(&Value::Null))),
    ]
}

/// `ReplicaSet`: kubectl's columns, and each object's cells.
pub(super) const REPLICA_SET: Printer = Printer {
    columns: &[
        NAME,
        ("Desired", "integer", "", 0),
        ("Current", "integer", "", 0),
        ("Ready", "integer", "", 0),
        AGE,
        CONTAINERS,
        IMAGES,
        SELECTOR,
    ],
    cells: replica_set,
};

fn replica_set(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let (containers, images) = containers_and_images(object, &["spec", "template", "spec"]);
    vec![
        name,
        json!(replicas(object)),
        json!(i64_at(object, &["status", "replicas"])),
        json!(i64_at(object, &["status", "readyReplicas"])),
        object_age(object),
        containers,
        images,
        json!(selector_text(object.get("spec").and_then(|s| s.get("selector")).unwrap_or(&Value::Null))),
    ]
}

/// `StatefulSet`: kubectl's columns, and each object's cells.
pub(super) const STATEFUL_SET: Printer =
    Printer { columns: &[NAME, ("Ready", "string", "", 0), AGE, CONTAINERS, IMAGES], cells: stateful_set };

fn stateful_set(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let (containers, images) = containers_and_images(object, &["spec", "template", "spec"]);
    vec![
        name,
        json!(format!("{}/{}", i64_at(object, &["status", "readyReplicas"]), replicas(object))),
        object_age(object),
        containers,
        images,
    ]
}

/// `DaemonSet`: kubectl's columns, and each object's cells.
pub(super) const DAEMON_SET: Printer = Printer {
    columns: &[
        NAME,
        ("Desired", "integer", "", 0),
        ("Current", "integer", "", 0),
        ("Ready", "integer", "", 0),
        ("Up-to-date", "integer", "", 0),
        ("Available", "integer", "", 0),
        ("Node Selector", "string", "", 0),
        AGE,
        CONTAINERS,
        IMAGES,
        SELECTOR,
    ],
    cells: daemon_set,
};

fn daemon_set(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let (containers, images) = containers_and_images(object, &["spec", "template", "spec"]);
    let node_selector = selector_text(object.pointer("/spec/template/spec/nodeSelector").unwrap_or(&Value::Null));
    vec![
        name,
        json!(i64_at(object, &["status", "desiredNumberScheduled"])),
        json!(i64_at(object, &["status", "currentNumberScheduled"])),
        json!(i64_at(object, &["status", "numberReady"])),
        json!(i64_at(object, &["status", "updatedNumberScheduled"])),
        json!(i64_at(object, &["status", "numberAvailable"])),
        json!(node_selector),
        object_age(object),
        containers,
        images,
        json!(selector_text(object.get("spec").and_then(|s| s.get("selector")).unwrap_or(&Value::Null))),
    ]
}

/// `ControllerRevision`: kubectl's columns, and each object's cells.
pub(super) const CONTROLLER_REVISION: Printer = Printer {
    columns: &[NAME, ("Controller", "string", "", 0), ("Revision", "string", "", 0), AGE],
    cells: controller_revision,
};

fn controller_revision(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let owner = object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .and_then(|owners| owners.iter().find(|o| o.get("controller").and_then(Value::as_bool) == Some(true)));
    let controller = owner.map_or("<none>".to_owned(), |owner| {
        let group = str_at(owner, &["apiVersion"]).rsplit_once('/').map_or("", |(group, _)| group);
        let kind = str_at(owner, &["kind"]);
        let kind = if group.is_empty() { kind.to_owned() } else { format!("{kind}.{group}") };
        format!("{}/{}", kind.to_ascii_lowercase(), str_at(owner, &["name"]))
    });
    vec![name, json!(controller), json!(i64_at(object, &["revision"])), object_age(object)]
}

//! The printers of the `storage.k8s.io` group's kinds: for each, kubectl's columns and the function that fills them, as
//! upstream's printers write them.

use serde_json::{Value, json};

use super::{AGE, NAME, Printer, array_at, object_age, str_at};

/// `StorageClass`: kubectl's columns, and each object's cells.
pub(super) const STORAGE_CLASS: Printer = Printer {
    columns: &[
        NAME,
        ("Provisioner", "string", "", 0),
        ("ReclaimPolicy", "string", "", 0),
        ("VolumeBindingMode", "string", "", 0),
        ("AllowVolumeExpansion", "string", "", 0),
        AGE,
    ],
    cells: storage_class,
};

fn storage_class(object: &Value) -> Vec<Value> {
    let mut provisioner_name = str_at(object, &["metadata", "name"]).to_owned();
    if object.pointer("/metadata/annotations/storageclass.kubernetes.io~1is-default-class").and_then(Value::as_str)
        == Some("true")
    {
        provisioner_name.push_str(" (default)");
    }
    vec![
        json!(provisioner_name),
        json!(str_at(object, &["provisioner"])),
        json!(match str_at(object, &["reclaimPolicy"]) {
            "" => "Delete",
            other => other,
        }),
        json!(match str_at(object, &["volumeBindingMode"]) {
            "" => "Immediate",
            other => other,
        }),
        json!(object.get("allowVolumeExpansion").and_then(Value::as_bool).unwrap_or(false).to_string()),
        object_age(object),
    ]
}

/// `CSINode`: kubectl's columns, and each object's cells.
pub(super) const C_S_I_NODE: Printer =
    Printer { columns: &[NAME, ("Drivers", "integer", "", 0), AGE], cells: c_s_i_node };

fn c_s_i_node(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    vec![name, json!(array_at(object, &["spec", "drivers"]).len()), object_age(object)]
}

/// `VolumeAttachment`: kubectl's columns, and each object's cells.
pub(super) const VOLUME_ATTACHMENT: Printer = Printer {
    columns: &[
        NAME,
        ("Attacher", "string", "name", 0),
        ("PV", "string", "", 0),
        ("Node", "string", "", 0),
        ("Attached", "boolean", "", 0),
        AGE,
    ],
    cells: volume_attachment,
};

fn volume_attachment(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    vec![
        name,
        json!(str_at(object, &["spec", "attacher"])),
        json!(str_at(object, &["spec", "source", "persistentVolumeName"])),
        json!(str_at(object, &["spec", "nodeName"])),
        json!(object.pointer("/status/attached").and_then(Value::as_bool).unwrap_or(false)),
        object_age(object),
    ]
}

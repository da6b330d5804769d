//! Server-side printing: `Table` responses with the columns kubectl shows for each kind (upstream's printers),
//! asked for with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (`media.rs` negotiates it). Each kind's
//! [`Printer`] holds its columns and the function that fills them, in the file of its API group under `table/`,
//! registered in [`PRINTERS`] by group and kind; custom resources print their CRD's printer columns
//! (`table/custom.rs`). A kind without a printer gets NAME and CREATED AT, as upstream's default table does.

use serde_json::{Value, json};

use crate::registry::{Decoder, ResourceType};

mod admissionregistration;
mod apiregistration;
mod apps;
mod autoscaling;
mod batch;
mod certificates;
mod coordination;
mod core;
mod custom;
mod discovery;
mod networking;
mod node;
mod policy;
mod rbac;
mod scheduling;
mod storage;

/// How much of each object a row carries: `includeObject=None|Metadata|Object`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(value: Option<&str>) -> IncludeObject {
        match value {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

/// One column: name, type, format, description and priority (1 = only with `-o wide`).
type Column = (&'static str, &'static str, &'static str, u8);

const NAME: Column = ("Name", "string", "name", 0);
const AGE: Column = ("Age", "string", "", 0);
const CONTAINERS: Column = ("Containers", "string", "", 1);
const IMAGES: Column = ("Images", "string", "", 1);
const SELECTOR: Column = ("Selector", "string", "", 1);

/// How one kind prints: its columns and the cells of one object's row, in the same order.
#[derive(Debug)]
struct Printer {
    columns: &'static [Column],
    cells: fn(&Value) -> Vec<Value>,
}

/// Every kind's printer, by group and kind.
static PRINTERS: &[(&str, &str, &Printer)] = &[
    ("", "Pod", &core::POD),
    ("", "Namespace", &core::NAMESPACE),
    ("", "ConfigMap", &core::CONFIG_MAP),
    ("", "ComponentStatus", &core::COMPONENT_STATUS),
    ("", "Secret", &core::SECRET),
    ("", "ServiceAccount", &core::SERVICE_ACCOUNT),
    ("", "Service", &core::SERVICE),
    ("", "Endpoints", &core::ENDPOINTS),
    ("", "Node", &core::NODE),
    ("", "Event", &core::EVENT),
    ("", "PersistentVolumeClaim", &core::PERSISTENT_VOLUME_CLAIM),
    ("apps", "Deployment", &apps::DEPLOYMENT),
    ("apps", "ReplicaSet", &apps::REPLICA_SET),
    ("apps", "StatefulSet", &apps::STATEFUL_SET),
    ("apps", "DaemonSet", &apps::DAEMON_SET),
    ("batch", "Job", &batch::JOB),
    ("batch", "CronJob", &batch::CRON_JOB),
    ("coordination.k8s.io", "Lease", &coordination::LEASE),
    ("rbac.authorization.k8s.io", "RoleBinding", &rbac::ROLE_BINDING),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding", &rbac::ROLE_BINDING),
    ("policy", "PodDisruptionBudget", &policy::POD_DISRUPTION_BUDGET),
    ("scheduling.k8s.io", "PriorityClass", &scheduling::PRIORITY_CLASS),
    ("storage.k8s.io", "StorageClass", &storage::STORAGE_CLASS),
    ("networking.k8s.io", "Ingress", &networking::INGRESS),
    ("", "PersistentVolume", &core::PERSISTENT_VOLUME),
    ("", "ReplicationController", &core::REPLICATION_CONTROLLER),
    ("", "ResourceQuota", &core::RESOURCE_QUOTA),
    ("apps", "ControllerRevision", &apps::CONTROLLER_REVISION),
    ("autoscaling", "HorizontalPodAutoscaler", &autoscaling::HORIZONTAL_POD_AUTOSCALER),
    ("networking.k8s.io", "NetworkPolicy", &networking::NETWORK_POLICY),
    ("networking.k8s.io", "IngressClass", &networking::INGRESS_CLASS),
    ("discovery.k8s.io", "EndpointSlice", &discovery::ENDPOINT_SLICE),
    ("node.k8s.io", "RuntimeClass", &node::RUNTIME_CLASS),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration", &admissionregistration::WEBHOOK_CONFIGURATION),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration", &admissionregistration::WEBHOOK_CONFIGURATION),
    ("certificates.k8s.io", "CertificateSigningRequest", &certificates::CERTIFICATE_SIGNING_REQUEST),
    ("storage.k8s.io", "CSINode", &storage::C_S_I_NODE),
    ("storage.k8s.io", "VolumeAttachment", &storage::VOLUME_ATTACHMENT),
    ("apiregistration.k8s.io", "APIService", &apiregistration::API_SERVICE),
];

/// What kinds without a printer show, as upstream's default table.
const DEFAULT: Printer = Printer { columns: &[NAME, ("Created At", "date", "", 0)], cells: default_cells };

fn default_cells(object: &Value) -> Vec<Value> {
    vec![json!(str_at(object, &["metadata", "name"])), json!(str_at(object, &["metadata", "creationTimestamp"]))]
}

/// The printer of a built-in resource's kind.
fn printer(resource: &ResourceType) -> &'static Printer {
    PRINTERS
        .iter()
        .find(|(group, kind, _)| resource.group == *group && resource.kind == *kind)
        .map_or(&DEFAULT, |(_, _, printer)| *printer)
}

fn str_at<'a>(object: &'a Value, path: &[&str]) -> &'a str {
    path.iter().try_fold(object, |node, key| node.get(key)).and_then(Value::as_str).unwrap_or_default()
}

fn i64_at(object: &Value, path: &[&str]) -> i64 {
    path.iter().try_fold(object, |node, key| node.get(key)).and_then(Value::as_i64).unwrap_or(0)
}

fn array_at<'a>(object: &'a Value, path: &[&str]) -> &'a [Value] {
    path.iter().try_fold(object, |node, key| node.get(key)).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn none_if_empty(text: String) -> String {
    if text.is_empty() { "<none>".to_owned() } else { text }
}

/// How long ago an RFC 3339 timestamp was, as kubectl prints ages (`45s`, `3m20s`, `5h`, `12d`).
pub fn age(timestamp: &str) -> String {
    let Ok(then) = time::OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339) else {
        return "<unknown>".to_owned();
    };
    human_duration((time::OffsetDateTime::now_utc() - then).whole_seconds())
}

/// Kubernetes' short human duration.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    let seconds = seconds.max(0);
    let minutes = seconds / 60;
    let hours = seconds / 3600;
    let days = hours / 24;
    let years = days / 365;
    if seconds < 120 {
        format!("{seconds}s")
    } else if minutes < 10 {
        let rest = seconds % 60;
        if rest == 0 { format!("{minutes}m") } else { format!("{minutes}m{rest}s") }
    } else if minutes < 180 {
        format!("{minutes}m")
    } else if hours < 8 {
        let rest = minutes % 60;
        if rest == 0 { format!("{hours}h") } else { format!("{hours}h{rest}m") }
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        let rest = hours % 24;
        if rest == 0 { format!("{days}d") } else { format!("{days}d{rest}h") }
    } else if days < 365 * 2 {
        format!("{days}d")
    } else if days < 365 * 8 {
        let rest = days % 365;
        if rest == 0 { format!("{years}y") } else { format!("{years}y{rest}d") }
    } else {
        format!("{years}y")
    }
}

fn object_age(object: &Value) -> Value {
    json!(age(str_at(object, &["metadata", "creationTimestamp"])))
}

fn containers_and_images(object: &Value, spec_path: &[&str]) -> (Value, Value) {
    let mut path = spec_path.to_vec();
    path.push("containers");
    let containers = array_at(object, &path);
    let names: Vec<&str> = containers.iter().map(|c| str_at(c, &["name"])).collect();
    let images: Vec<&str> = containers.iter().map(|c| str_at(c, &["image"])).collect();
    (json!(names.join(",")), json!(images.join(",")))
}

/// A selector (a `LabelSelector` or a plain label map) as kubectl prints it, `<none>` when empty.
fn selector_text(selector: &Value) -> String {
    none_if_empty(crate::selector::format_selector(selector))
}

/// A resource quantity as given (`10Gi`, `500m`), `0` when absent.
fn quantity_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        _ => "0".to_owned(),
    }
}

fn unset_if_empty(text: &str) -> String {
    if text.is_empty() { "<unset>".to_owned() } else { text.to_owned() }
}

fn replicas(object: &Value) -> i64 {
    object.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)
}

/// The column definitions of a resource's table.
pub fn column_definitions(resource: &ResourceType) -> Vec<Value> {
    if let Decoder::Custom(schema) = &resource.decoder {
        return custom::column_definitions(schema);
    }
    printer(resource)
        .columns
        .iter()
        .map(|&(name, kind, format, priority)| {
            json!({ "name": name, "type": kind, "format": format, "description": "", "priority": priority })
        })
        .collect()
}

fn row(resource: &ResourceType, object: &Value, include: IncludeObject) -> Value {
    let cells = match &resource.decoder {
        Decoder::Custom(schema) => custom::cells(schema, object),
        Decoder::Typed(_) => (printer(resource).cells)(object),
    };
    let mut row = json!({ "cells": cells });
    match include {
        IncludeObject::None => {}
        IncludeObject::Object => row["object"] = object.clone(),
        IncludeObject::Metadata => {
            row["object"] = json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
            })
        }
    }
    row
}

/// A `Table` of `objects`; `list_metadata` (resourceVersion, continue) is copied from the list.
pub fn table(
    resource: &ResourceType,
    objects: &[Value],
    list_metadata: Value,
    include: IncludeObject,
    with_columns: bool,
) -> Value {
    let rows: Vec<Value> = objects.iter().map(|object| row(resource, object, include)).collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_metadata,
        "columnDefinitions": if with_columns { Value::Array(column_definitions(resource)) } else { Value::Null },
        "rows": rows,
    })
}

#[cfg(test)]
mod tests;

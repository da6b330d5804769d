//! The printers of the core (`v1`) group's kinds: for each, kubectl's columns and the function that fills them, as
//! upstream's printers write them.

use serde_json::{Map, Value, json};

use super::{
    AGE, CONTAINERS, IMAGES, NAME, Printer, SELECTOR, age, array_at, containers_and_images, i64_at, none_if_empty,
    object_age, quantity_text, replicas, selector_text, str_at, unset_if_empty,
};

/// `Pod`: kubectl's columns, and each object's cells.
pub(super) const POD: Printer = Printer {
    columns: &[
        NAME,
        ("Ready", "string", "", 0),
        ("Status", "string", "", 0),
        ("Restarts", "string", "", 0),
        AGE,
        ("IP", "string", "", 1),
        ("Node", "string", "", 1),
        ("Nominated Node", "string", "", 1),
        ("Readiness Gates", "string", "", 1),
    ],
    cells: pod,
};

fn pod(pod: &Value) -> Vec<Value> {
    let statuses = array_at(pod, &["status", "containerStatuses"]);
    let total = array_at(pod, &["spec", "containers"]).len();
    let ready = statuses.iter().filter(|s| s.get("ready").and_then(Value::as_bool) == Some(true)).count();
    let restarts: i64 = statuses.iter().map(|s| i64_at(s, &["restartCount"])).sum();
    let mut reason = str_at(pod, &["status", "reason"]).to_owned();
    if reason.is_empty() {
        reason = str_at(pod, &["status", "phase"]).to_owned();
    }
    for status in statuses {
        let waiting = str_at(status, &["state", "waiting", "reason"]);
        let terminated = str_at(status, &["state", "terminated", "reason"]);
        if !waiting.is_empty() {
            reason = waiting.to_owned();
        } else if !terminated.is_empty() {
            reason = terminated.to_owned();
        }
    }
    if pod.get("metadata").and_then(|m| m.get("deletionTimestamp")).is_some() {
        reason = "Terminating".to_owned();
    }
    if reason.is_empty() {
        reason = "Pending".to_owned();
    }
    let gates = array_at(pod, &["spec", "readinessGates"]);
    vec![
        json!(str_at(pod, &["metadata", "name"])),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts.to_string()),
        object_age(pod),
        json!(none_if_empty(str_at(pod, &["status", "podIP"]).to_owned())),
        json!(none_if_empty(str_at(pod, &["spec", "nodeName"]).to_owned())),
        json!(none_if_empty(str_at(pod, &["status", "nominatedNodeName"]).to_owned())),
        json!(if gates.is_empty() { "<none>".to_owned() } else { format!("0/{}", gates.len()) }),
    ]
}

/// `Namespace`: kubectl's columns, and each object's cells.
pub(super) const NAMESPACE: Printer = Printer { columns: &[NAME, ("Status", "string", "", 0), AGE], cells: namespace };

fn namespace(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    vec![name, json!(str_at(object, &["status", "phase"])), object_age(object)]
}

/// `ConfigMap`: kubectl's columns, and each object's cells.
pub(super) const CONFIG_MAP: Printer = Printer { columns: &[NAME, ("Data", "integer", "", 0), AGE], cells: config_map };

fn config_map(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let data = object.get("data").and_then(Value::as_object).map_or(0, Map::len)
        + object.get("binaryData").and_then(Value::as_object).map_or(0, Map::len);
    vec![name, json!(data), object_age(object)]
}

/// `ComponentStatus`: kubectl's columns, and each object's cells.
pub(super) const COMPONENT_STATUS: Printer = Printer {
    columns: &[NAME, ("Status", "string", "", 0), ("Message", "string", "", 0), ("Error", "string", "", 0)],
    cells: component_status,
};

fn component_status(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let healthy = array_at(object, &["conditions"]).iter().find(|c| str_at(c, &["type"]) == "Healthy");
    let status = match healthy.map(|c| str_at(c, &["status"])) {
        Some("True") => "Healthy",
        Some("False") => "Unhealthy",
        _ => "Unknown",
    };
    let field = |name: &str| json!(healthy.map_or("", |c| str_at(c, &[name])));
    vec![name, json!(status), field("message"), field("error")]
}

/// `Secret`: kubectl's columns, and each object's cells.
pub(super) const SECRET: Printer =
    Printer { columns: &[NAME, ("Type", "string", "", 0), ("Data", "integer", "", 0), AGE], cells: secret };

fn secret(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let data = object.get("data").and_then(Value::as_object).map_or(0, Map::len);
    let kind = match str_at(object, &["type"]) {
        "" => "Opaque",
        other => other,
    };
    vec![name, json!(kind), json!(data), object_age(object)]
}

/// `ServiceAccount`: kubectl's columns, and each object's cells.
pub(super) const SERVICE_ACCOUNT: Printer =
    Printer { columns: &[NAME, ("Secrets", "integer", "", 0), AGE], cells: service_account };

fn service_account(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    vec![name, json!(array_at(object, &["secrets"]).len()), object_age(object)]
}

/// `Service`: kubectl's columns, and each object's cells.
pub(super) const SERVICE: Printer = Printer {
    columns: &[
        NAME,
        ("Type", "string", "", 0),
        ("Cluster-IP", "string", "", 0),
        ("External-IP", "string", "", 0),
        ("Port(s)", "string", "", 0),
        AGE,
        SELECTOR,
    ],
    cells: service,
};

fn service(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let kind = match str_at(object, &["spec", "type"]) {
        "" => "ClusterIP",
        other => other,
    };
    let external: Vec<&str> = array_at(object, &["status", "loadBalancer", "ingress"])
        .iter()
        .map(|i| if str_at(i, &["ip"]).is_empty() { str_at(i, &["hostname"]) } else { str_at(i, &["ip"]) })
        .chain(array_at(object, &["spec", "externalIPs"]).iter().filter_map(Value::as_str))
        .collect();
    let external = match (external.is_empty(), kind) {
        (false, _) => external.join(","),
        (true, "LoadBalancer") => "<pending>".to_owned(),
        (true, "ExternalName") => str_at(object, &["spec", "externalName"]).to_owned(),
        (true, _) => "<none>".to_owned(),
    };
    let selector = selector_text(object.pointer("/spec/selector").unwrap_or(&Value::Null));
    vec![
        name,
        json!(kind),
        json!(none_if_empty(str_at(object, &["spec", "clusterIP"]).to_owned())),
        json!(external),
        json!(service_ports(object)),
        object_age(object),
        json!(selector),
    ]
}

/// `Endpoints`: kubectl's columns, and each object's cells.
pub(super) const ENDPOINTS: Printer =
    Printer { columns: &[NAME, ("Endpoints", "string", "", 0), AGE], cells: endpoints };

fn endpoints(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let mut endpoints = Vec::new();
    for subset in array_at(object, &["subsets"]) {
        for address in array_at(subset, &["addresses"]) {
            for port in array_at(subset, &["ports"]) {
                endpoints.push(format!("{}:{}", str_at(address, &["ip"]), i64_at(port, &["port"])));
            }
        }
    }
    vec![name, json!(none_if_empty(endpoints.join(","))), object_age(object)]
}

/// `Node`: kubectl's columns, and each object's cells.
pub(super) const NODE: Printer = Printer {
    columns: &[
        NAME,
        ("Status", "string", "", 0),
        ("Roles", "string", "", 0),
        AGE,
        ("Version", "string", "", 0),
        ("Internal-IP", "string", "", 1),
        ("External-IP", "string", "", 1),
        ("OS-Image", "string", "", 1),
        ("Kernel-Version", "string", "", 1),
        ("Container-Runtime", "string", "", 1),
    ],
    cells: node,
};

fn node(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let ready = array_at(object, &["status", "conditions"]).iter().find(|c| str_at(c, &["type"]) == "Ready");
    let mut status = match ready.map(|c| str_at(c, &["status"])) {
        Some("True") => "Ready".to_owned(),
        _ => "NotReady".to_owned(),
    };
    if object.get("spec").and_then(|s| s.get("unschedulable")).and_then(Value::as_bool) == Some(true) {
        status.push_str(",SchedulingDisabled");
    }
    let roles: Vec<&str> = object
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .map(|labels| labels.keys().filter_map(|k| k.strip_prefix("node-role.kubernetes.io/")).collect())
        .unwrap_or_default();
    let address = |kind: &str| {
        array_at(object, &["status", "addresses"])
            .iter()
            .find(|a| str_at(a, &["type"]) == kind)
            .map_or("<none>".to_owned(), |a| str_at(a, &["address"]).to_owned())
    };
    let info = |field: &str| json!(none_if_empty(str_at(object, &["status", "nodeInfo", field]).to_owned()));
    vec![
        name,
        json!(status),
        json!(none_if_empty(roles.join(","))),
        object_age(object),
        info("kubeletVersion"),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        info("osImage"),
        info("kernelVersion"),
        info("containerRuntimeVersion"),
    ]
}

/// `Event`: kubectl's columns, and each object's cells.
pub(super) const EVENT: Printer = Printer {
    columns: &[
        ("Last Seen", "string", "", 0),
        ("Type", "string", "", 0),
        ("Reason", "string", "", 0),
        ("Object", "string", "", 0),
        ("Subobject", "string", "", 1),
        ("Source", "string", "", 1),
        ("Message", "string", "", 0),
        ("First Seen", "string", "", 1),
        ("Count", "string", "", 1),
        ("Name", "string", "name", 1),
    ],
    cells: event,
};

fn event(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let when = |field: &str| Some(str_at(object, &[field])).filter(|t| !t.is_empty()).map(age);
    let first = when("firstTimestamp").or_else(|| when("eventTime")).unwrap_or_else(|| "<unknown>".to_owned());
    let mut last = when("lastTimestamp").unwrap_or_else(|| first.clone());
    let mut count = i64_at(object, &["count"]);
    if object.get("series").is_some_and(Value::is_object) {
        last = age(str_at(object, &["series", "lastObservedTime"]));
        count = i64_at(object, &["series", "count"]);
    } else if count == 0 {
        count = 1;
    }
    let kind = str_at(object, &["involvedObject", "kind"]).to_ascii_lowercase();
    let involved = match str_at(object, &["involvedObject", "name"]) {
        "" => kind,
        named => format!("{kind}/{named}"),
    };
    let either =
        |a: &[&str], b: &[&str]| Some(str_at(object, a)).filter(|t| !t.is_empty()).unwrap_or_else(|| str_at(object, b));
    let component = either(&["source", "component"], &["reportingComponent"]);
    let source = match either(&["source", "host"], &["reportingInstance"]) {
        "" => component.to_owned(),
        instance => format!("{component}, {instance}"),
    };
    vec![
        json!(last),
        json!(str_at(object, &["type"])),
        json!(str_at(object, &["reason"])),
        json!(involved),
        json!(str_at(object, &["involvedObject", "fieldPath"])),
        json!(source),
        json!(str_at(object, &["message"]).trim()),
        json!(first),
        json!(count),
        name,
    ]
}

/// `PersistentVolumeClaim`: kubectl's columns, and each object's cells.
pub(super) const PERSISTENT_VOLUME_CLAIM: Printer = Printer {
    columns: &[
        NAME,
        ("Status", "string", "", 0),
        ("Volume", "string", "", 0),
        ("Capacity", "string", "", 0),
        ("Access Modes", "string", "", 0),
        ("StorageClass", "string", "", 0),
        ("VolumeAttributesClass", "string", "", 0),
        AGE,
        ("VolumeMode", "string", "", 1),
    ],
    cells: persistent_volume_claim,
};

fn persistent_volume_claim(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    vec![
        name,
        json!(str_at(object, &["status", "phase"])),
        json!(str_at(object, &["spec", "volumeName"])),
        json!(str_at(object, &["status", "capacity", "storage"])),
        json!(access_modes(array_at(object, &["status", "accessModes"]))),
        json!(none_if_empty(str_at(object, &["spec", "storageClassName"]).to_owned())),
        json!(unset_if_empty(str_at(object, &["spec", "volumeAttributesClassName"]))),
        object_age(object),
        json!(match str_at(object, &["spec", "volumeMode"]) {
            "" => "Filesystem",
            other => other,
        }),
    ]
}

/// `PersistentVolume`: kubectl's columns, and each object's cells.
pub(super) const PERSISTENT_VOLUME: Printer = Printer {
    columns: &[
        NAME,
        ("Capacity", "string", "", 0),
        ("Access Modes", "string", "", 0),
        ("Reclaim Policy", "string", "", 0),
        ("Status", "string", "", 0),
        ("Claim", "string", "", 0),
        ("StorageClass", "string", "", 0),
        ("VolumeAttributesClass", "string", "", 0),
        ("Reason", "string", "", 0),
        AGE,
        ("VolumeMode", "string", "", 1),
    ],
    cells: persistent_volume,
};

fn persistent_volume(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let claim = match object.pointer("/spec/claimRef") {
        Some(claim) => format!("{}/{}", str_at(claim, &["namespace"]), str_at(claim, &["name"])),
        None => String::new(),
    };
    let phase = if object.pointer("/metadata/deletionTimestamp").is_some() {
        "Terminating"
    } else {
        str_at(object, &["status", "phase"])
    };
    vec![
        name,
        json!(quantity_text(object.pointer("/spec/capacity/storage"))),
        json!(access_modes(array_at(object, &["spec", "accessModes"]))),
        json!(str_at(object, &["spec", "persistentVolumeReclaimPolicy"])),
        json!(phase),
        json!(claim),
        json!(str_at(object, &["spec", "storageClassName"])),
        json!(unset_if_empty(str_at(object, &["spec", "volumeAttributesClassName"]))),
        json!(str_at(object, &["status", "reason"])),
        object_age(object),
        json!(unset_if_empty(str_at(object, &["spec", "volumeMode"]))),
    ]
}

/// `ReplicationController`: kubectl's columns, and each object's cells.
pub(super) const REPLICATION_CONTROLLER: Printer = Printer {
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
    cells: replication_controller,
};

fn replication_controller(object: &Value) -> Vec<Value> {
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
        json!(selector_text(object.pointer("/spec/selector").unwrap_or(&Value::Null))),
    ]
}

/// `ResourceQuota`: kubectl's columns, and each object's cells.
pub(super) const RESOURCE_QUOTA: Printer =
    Printer { columns: &[NAME, AGE, ("Request", "string", "", 0), ("Limit", "string", "", 0)], cells: resource_quota };

fn resource_quota(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let hard = object.pointer("/status/hard").and_then(Value::as_object);
    let (mut requests, mut limits) = (Vec::new(), Vec::new());
    for (resource, limit) in hard.into_iter().flatten() {
        let used = object.pointer(&format!("/status/used/{}", resource.replace('~', "~0").replace('/', "~1")));
        let text = format!("{resource}: {}/{}", quantity_text(used), quantity_text(Some(limit)));
        if resource.split('.').next() == Some("limits") && resource.contains('.') {
            limits.push(text);
        } else {
            requests.push(text);
        }
    }
    vec![name, object_age(object), json!(requests.join(", ")), json!(limits.join(", "))]
}

fn service_ports(service: &Value) -> String {
    let ports: Vec<String> = array_at(service, &["spec", "ports"])
        .iter()
        .map(|port| {
            let number = i64_at(port, &["port"]);
            let protocol = match str_at(port, &["protocol"]) {
                "" => "TCP",
                other => other,
            };
            match i64_at(port, &["nodePort"]) {
                0 => format!("{number}/{protocol}"),
                node_port => format!("{number}:{node_port}/{protocol}"),
            }
        })
        .collect();
    none_if_empty(ports.join(","))
}

/// Access modes in kubectl's short form and fixed order (`RWO,ROX,RWX,RWOP`).
fn access_modes(modes: &[Value]) -> String {
    let has = |mode: &str| modes.iter().any(|m| m.as_str() == Some(mode));
    [("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")]
        .into_iter()
        .filter(|(mode, _)| has(mode))
        .map(|(_, short)| short)
        .collect::<Vec<_>>()
        .join(",")
}

//! Server-side printing: `Table` responses with the columns kubectl shows for each kind (upstream's printers),
//! asked for with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (`media.rs` negotiates it). A kind without its own columns gets
//! NAME and CREATED AT, as upstream's default table does.

use serde_json::{Map, Value, json};

use crate::registry::{Decoder, ResourceType};

mod custom;

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

fn columns(resource: &ResourceType) -> Vec<Column> {
    match (resource.group.as_ref(), resource.kind.as_ref()) {
        ("", "Pod") => vec![
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
        ("", "Namespace") => vec![NAME, ("Status", "string", "", 0), AGE],
        ("", "ConfigMap") => vec![NAME, ("Data", "integer", "", 0), AGE],
        ("", "ComponentStatus") => {
            vec![NAME, ("Status", "string", "", 0), ("Message", "string", "", 0), ("Error", "string", "", 0)]
        }
        ("", "Secret") => vec![NAME, ("Type", "string", "", 0), ("Data", "integer", "", 0), AGE],
        ("", "ServiceAccount") => vec![NAME, ("Secrets", "integer", "", 0), AGE],
        ("", "Service") => vec![
            NAME,
            ("Type", "string", "", 0),
            ("Cluster-IP", "string", "", 0),
            ("External-IP", "string", "", 0),
            ("Port(s)", "string", "", 0),
            AGE,
            SELECTOR,
        ],
        ("", "Endpoints") => vec![NAME, ("Endpoints", "string", "", 0), AGE],
        ("", "Node") => vec![
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
        ("", "Event") => vec![
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
        ("", "PersistentVolumeClaim") => vec![
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
        ("apps", "Deployment") => vec![
            NAME,
            ("Ready", "string", "", 0),
            ("Up-to-date", "integer", "", 0),
            ("Available", "integer", "", 0),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ],
        ("apps", "ReplicaSet") => vec![
            NAME,
            ("Desired", "integer", "", 0),
            ("Current", "integer", "", 0),
            ("Ready", "integer", "", 0),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ],
        ("apps", "StatefulSet") => vec![NAME, ("Ready", "string", "", 0), AGE, CONTAINERS, IMAGES],
        ("apps", "DaemonSet") => vec![
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
        ("batch", "Job") => vec![
            NAME,
            ("Status", "string", "", 0),
            ("Completions", "string", "", 0),
            ("Duration", "string", "", 0),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ],
        ("batch", "CronJob") => vec![
            NAME,
            ("Schedule", "string", "", 0),
            ("Timezone", "string", "", 0),
            ("Suspend", "boolean", "", 0),
            ("Active", "integer", "", 0),
            ("Last Schedule", "string", "", 0),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ],
        ("coordination.k8s.io", "Lease") => vec![NAME, ("Holder", "string", "", 0), AGE],
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => vec![
            NAME,
            ("Role", "string", "", 0),
            AGE,
            ("Users", "string", "", 1),
            ("Groups", "string", "", 1),
            ("ServiceAccounts", "string", "", 1),
        ],
        ("policy", "PodDisruptionBudget") => vec![
            NAME,
            ("Min Available", "string", "", 0),
            ("Max Unavailable", "string", "", 0),
            ("Allowed Disruptions", "integer", "", 0),
            AGE,
        ],
        ("scheduling.k8s.io", "PriorityClass") => vec![
            NAME,
            ("Value", "integer", "", 0),
            ("Global-Default", "boolean", "", 0),
            AGE,
            ("PreemptionPolicy", "string", "", 0),
        ],
        ("storage.k8s.io", "StorageClass") => vec![
            NAME,
            ("Provisioner", "string", "", 0),
            ("ReclaimPolicy", "string", "", 0),
            ("VolumeBindingMode", "string", "", 0),
            ("AllowVolumeExpansion", "string", "", 0),
            AGE,
        ],
        ("networking.k8s.io", "Ingress") => vec![
            NAME,
            ("Class", "string", "", 0),
            ("Hosts", "string", "", 0),
            ("Address", "string", "", 0),
            ("Ports", "string", "", 0),
            AGE,
        ],
        ("", "PersistentVolume") => vec![
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
        ("", "ReplicationController") => vec![
            NAME,
            ("Desired", "integer", "", 0),
            ("Current", "integer", "", 0),
            ("Ready", "integer", "", 0),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ],
        ("", "ResourceQuota") => vec![NAME, AGE, ("Request", "string", "", 0), ("Limit", "string", "", 0)],
        ("apps", "ControllerRevision") => {
            vec![NAME, ("Controller", "string", "", 0), ("Revision", "string", "", 0), AGE]
        }
        ("autoscaling", "HorizontalPodAutoscaler") => vec![
            NAME,
            ("Reference", "string", "", 0),
            ("Targets", "string", "", 0),
            ("MinPods", "string", "", 0),
            ("MaxPods", "string", "", 0),
            ("Replicas", "string", "", 0),
            AGE,
        ],
        ("networking.k8s.io", "NetworkPolicy") => vec![NAME, ("Pod-Selector", "string", "", 0), AGE],
        ("networking.k8s.io", "IngressClass") => {
            vec![NAME, ("Controller", "string", "", 0), ("Parameters", "string", "", 0), AGE]
        }
        ("discovery.k8s.io", "EndpointSlice") => vec![
            NAME,
            ("AddressType", "string", "", 0),
            ("Ports", "string", "", 0),
            ("Endpoints", "string", "", 0),
            AGE,
        ],
        ("node.k8s.io", "RuntimeClass") => vec![NAME, ("Handler", "string", "", 0), AGE],
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration") => {
            vec![NAME, ("Webhooks", "integer", "", 0), AGE]
        }
        ("certificates.k8s.io", "CertificateSigningRequest") => vec![
            NAME,
            AGE,
            ("SignerName", "string", "", 0),
            ("Requestor", "string", "", 0),
            ("RequestedDuration", "string", "", 0),
            ("Condition", "string", "", 0),
        ],
        ("storage.k8s.io", "CSINode") => vec![NAME, ("Drivers", "integer", "", 0), AGE],
        ("storage.k8s.io", "VolumeAttachment") => vec![
            NAME,
            ("Attacher", "string", "name", 0),
            ("PV", "string", "", 0),
            ("Node", "string", "", 0),
            ("Attached", "boolean", "", 0),
            AGE,
        ],
        _ => vec![NAME, ("Created At", "date", "", 0)],
    }
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

fn pod_cells(pod: &Value) -> Vec<Value> {
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

fn cells(resource: &ResourceType, object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    match (resource.group.as_ref(), resource.kind.as_ref()) {
        ("", "Pod") => pod_cells(object),
        ("", "Namespace") => vec![name, json!(str_at(object, &["status", "phase"])), object_age(object)],
        ("", "ComponentStatus") => {
            let healthy = array_at(object, &["conditions"]).iter().find(|c| str_at(c, &["type"]) == "Healthy");
            let status = match healthy.map(|c| str_at(c, &["status"])) {
                Some("True") => "Healthy",
                Some("False") => "Unhealthy",
                _ => "Unknown",
            };
            let field = |name: &str| json!(healthy.map_or("", |c| str_at(c, &[name])));
            vec![name, json!(status), field("message"), field("error")]
        }
        ("", "ConfigMap") => {
            let data = object.get("data").and_then(Value::as_object).map_or(0, Map::len)
                + object.get("binaryData").and_then(Value::as_object).map_or(0, Map::len);
            vec![name, json!(data), object_age(object)]
        }
        ("", "Secret") => {
            let data = object.get("data").and_then(Value::as_object).map_or(0, Map::len);
            let kind = match str_at(object, &["type"]) {
                "" => "Opaque",
                other => other,
            };
            vec![name, json!(kind), json!(data), object_age(object)]
        }
        ("", "ServiceAccount") => vec![name, json!(array_at(object, &["secrets"]).len()), object_age(object)],
        ("", "Service") => {
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
        ("", "Endpoints") => {
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
        ("", "Node") => {
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
        ("", "Event") => {
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
            let either = |a: &[&str], b: &[&str]| {
                Some(str_at(object, a)).filter(|t| !t.is_empty()).unwrap_or_else(|| str_at(object, b))
            };
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
        ("", "PersistentVolumeClaim") => {
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
        ("apps", "Deployment") => {
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
        ("apps", "ReplicaSet") => {
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
        ("apps", "StatefulSet") => {
            let (containers, images) = containers_and_images(object, &["spec", "template", "spec"]);
            vec![
                name,
                json!(format!("{}/{}", i64_at(object, &["status", "readyReplicas"]), replicas(object))),
                object_age(object),
                containers,
                images,
            ]
        }
        ("apps", "DaemonSet") => {
            let (containers, images) = containers_and_images(object, &["spec", "template", "spec"]);
            let node_selector =
                selector_text(object.pointer("/spec/template/spec/nodeSelector").unwrap_or(&Value::Null));
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
        ("batch", "Job") => {
            let (containers, images) = containers_and_images(object, &["spec", "template", "spec"]);
            let completions = object.pointer("/spec/completions").and_then(Value::as_i64);
            let succeeded = i64_at(object, &["status", "succeeded"]);
            let completions = match completions {
                Some(total) => format!("{succeeded}/{total}"),
                None => format!(
                    "{succeeded}/1 of {}",
                    object.pointer("/spec/parallelism").and_then(Value::as_i64).unwrap_or(1)
                ),
            };
            let conditions = array_at(object, &["status", "conditions"]);
            let has = |kind: &str| {
                conditions.iter().any(|c| str_at(c, &["type"]) == kind && str_at(c, &["status"]) == "True")
            };
            let status = if has("Complete") {
                "Complete"
            } else if has("Failed") {
                "Failed"
            } else if object.pointer("/metadata/deletionTimestamp").is_some() {
                "Terminating"
            } else if has("Suspended") {
                "Suspended"
            } else {
                "Running"
            };
            let start = str_at(object, &["status", "startTime"]);
            let end = str_at(object, &["status", "completionTime"]);
            let duration = match (parse_time(start), parse_time(end)) {
                (Some(start), Some(end)) => human_duration((end - start).whole_seconds()),
                (Some(start), None) => human_duration((time::OffsetDateTime::now_utc() - start).whole_seconds()),
                _ => String::new(),
            };
            vec![
                name,
                json!(status),
                json!(completions),
                json!(duration),
                object_age(object),
                containers,
                images,
                json!(selector_text(object.get("spec").and_then(|s| s.get("selector")).unwrap_or(&Value::Null))),
            ]
        }
        ("batch", "CronJob") => {
            let (containers, images) =
                containers_and_images(object, &["spec", "jobTemplate", "spec", "template", "spec"]);
            let last = str_at(object, &["status", "lastScheduleTime"]);
            vec![
                name,
                json!(str_at(object, &["spec", "schedule"])),
                json!(none_if_empty(str_at(object, &["spec", "timeZone"]).to_owned())),
                json!(object.pointer("/spec/suspend").and_then(Value::as_bool).unwrap_or(false)),
                json!(array_at(object, &["status", "active"]).len()),
                json!(if last.is_empty() { "<none>".to_owned() } else { age(last) }),
                object_age(object),
                containers,
                images,
                json!(selector_text(object.pointer("/spec/jobTemplate/spec/selector").unwrap_or(&Value::Null))),
            ]
        }
        ("coordination.k8s.io", "Lease") => {
            vec![name, json!(str_at(object, &["spec", "holderIdentity"])), object_age(object)]
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
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
        ("policy", "PodDisruptionBudget") => {
            // An int-or-string shown as given; "N/A" when the budget does not set it.
            let bound = |field: &str| match object.pointer(&format!("/spec/{field}")) {
                Some(Value::String(text)) => json!(text),
                Some(Value::Number(number)) => json!(number.to_string()),
                _ => json!("N/A"),
            };
            vec![
                name,
                bound("minAvailable"),
                bound("maxUnavailable"),
                json!(object.pointer("/status/disruptionsAllowed").and_then(Value::as_i64).unwrap_or(0)),
                object_age(object),
            ]
        }
        ("scheduling.k8s.io", "PriorityClass") => vec![
            name,
            json!(object.get("value").and_then(Value::as_i64).unwrap_or(0)),
            json!(object.get("globalDefault").and_then(Value::as_bool).unwrap_or(false)),
            object_age(object),
            json!(str_at(object, &["preemptionPolicy"])),
        ],
        ("storage.k8s.io", "StorageClass") => {
            let mut provisioner_name = str_at(object, &["metadata", "name"]).to_owned();
            if object
                .pointer("/metadata/annotations/storageclass.kubernetes.io~1is-default-class")
                .and_then(Value::as_str)
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
        ("networking.k8s.io", "Ingress") => {
            let hosts: Vec<&str> = array_at(object, &["spec", "rules"]).iter().map(|r| str_at(r, &["host"])).collect();
            let hosts =
                if hosts.is_empty() || hosts.iter().all(|h| h.is_empty()) { "*".to_owned() } else { hosts.join(",") };
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
        ("", "PersistentVolume") => {
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
        ("", "ReplicationController") => {
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
        ("", "ResourceQuota") => {
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
        ("apps", "ControllerRevision") => {
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
        ("autoscaling", "HorizontalPodAutoscaler") => {
            let target = format!(
                "{}/{}",
                str_at(object, &["spec", "scaleTargetRef", "kind"]),
                str_at(object, &["spec", "scaleTargetRef", "name"])
            );
            let min = object
                .pointer("/spec/minReplicas")
                .and_then(Value::as_i64)
                .map_or("<unset>".to_owned(), |min| min.to_string());
            vec![
                name,
                json!(target),
                json!(hpa_targets(object)),
                json!(min),
                json!(i64_at(object, &["spec", "maxReplicas"])),
                json!(i64_at(object, &["status", "currentReplicas"])),
                object_age(object),
            ]
        }
        ("networking.k8s.io", "NetworkPolicy") => vec![
            name,
            json!(selector_text(object.pointer("/spec/podSelector").unwrap_or(&Value::Null))),
            object_age(object),
        ],
        ("networking.k8s.io", "IngressClass") => {
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
        ("discovery.k8s.io", "EndpointSlice") => {
            let ports =
                array_at(object, &["ports"]).iter().map(|port| match port.get("port").and_then(Value::as_i64) {
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
        ("node.k8s.io", "RuntimeClass") => vec![name, json!(str_at(object, &["handler"])), object_age(object)],
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration") => {
            vec![name, json!(array_at(object, &["webhooks"]).len()), object_age(object)]
        }
        ("certificates.k8s.io", "CertificateSigningRequest") => {
            let conditions = array_at(object, &["status", "conditions"]);
            let has = |kind: &str| conditions.iter().any(|c| str_at(c, &["type"]) == kind);
            let mut states: Vec<&str> = ["Approved", "Denied", "Failed"].into_iter().filter(|k| has(k)).collect();
            if states.is_empty() {
                states.push("Pending");
            }
            if !str_at(object, &["status", "certificate"]).is_empty() {
                states.push("Issued");
            }
            let duration = object
                .pointer("/spec/expirationSeconds")
                .and_then(Value::as_i64)
                .map_or("<none>".to_owned(), human_duration);
            vec![
                name,
                object_age(object),
                json!(none_if_empty(str_at(object, &["spec", "signerName"]).to_owned())),
                json!(str_at(object, &["spec", "username"])),
                json!(duration),
                json!(states.join(",")),
            ]
        }
        ("storage.k8s.io", "CSINode") => {
            vec![name, json!(array_at(object, &["spec", "drivers"]).len()), object_age(object)]
        }
        ("storage.k8s.io", "VolumeAttachment") => vec![
            name,
            json!(str_at(object, &["spec", "attacher"])),
            json!(str_at(object, &["spec", "source", "persistentVolumeName"])),
            json!(str_at(object, &["spec", "nodeName"])),
            json!(object.pointer("/status/attached").and_then(Value::as_bool).unwrap_or(false)),
            object_age(object),
        ],
        _ => vec![name, json!(str_at(object, &["metadata", "creationTimestamp"]))],
    }
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

/// At most three items joined by commas, then how many more; `empty` when there are none.
fn first_three(items: Vec<String>, empty: &str) -> String {
    match items.len() {
        0 => empty.to_owned(),
        1..=3 => items.join(","),
        count => format!("{} + {} more...", items[..3].join(","), count - 3),
    }
}

/// An HPA's metrics as `current/target` pairs, as kubectl prints them (at most two, then how many more); reads
/// autoscaling/v2 (`spec.metrics`) and autoscaling/v1 (`targetCPUUtilizationPercentage`).
fn hpa_targets(hpa: &Value) -> String {
    if let Some(target) = hpa.pointer("/spec/targetCPUUtilizationPercentage").and_then(Value::as_i64) {
        let current = hpa
            .pointer("/status/currentCPUUtilizationPercentage")
            .and_then(Value::as_i64)
            .map_or("<unknown>".to_owned(), |current| format!("{current}%"));
        return format!("cpu: {current}/{target}%");
    }
    let metrics = array_at(hpa, &["spec", "metrics"]);
    if metrics.is_empty() {
        return "<none>".to_owned();
    }
    let statuses = array_at(hpa, &["status", "currentMetrics"]);
    let text = |value: Option<&Value>| value.map_or("<unknown>".to_owned(), |v| quantity_text(Some(v)));
    let pairs: Vec<String> = metrics
        .iter()
        .enumerate()
        .map(|(i, metric)| {
            let kind = str_at(metric, &["type"]);
            let field = match kind {
                "Resource" => "resource",
                "ContainerResource" => "containerResource",
                "Pods" => "pods",
                "Object" => "object",
                "External" => "external",
                _ => return "<unknown type>".to_owned(),
            };
            let spec = &metric[field];
            let current = statuses.get(i).and_then(|s| s.get(field)).map(|s| &s["current"]);
            let target = &spec["target"];
            match kind {
                "Resource" | "ContainerResource" => {
                    let resource = str_at(spec, &["name"]);
                    if let Some(average) = target.get("averageValue") {
                        let now = text(current.and_then(|c| c.get("averageValue")));
                        format!("{resource}: {now}/{}", quantity_text(Some(average)))
                    } else {
                        let percent = |v: Option<&Value>| v.and_then(Value::as_i64).map(|p| format!("{p}%"));
                        let now = percent(current.and_then(|c| c.get("averageUtilization")))
                            .unwrap_or_else(|| "<unknown>".to_owned());
                        let goal = percent(target.get("averageUtilization")).unwrap_or_else(|| "<auto>".to_owned());
                        format!("{resource}: {now}/{goal}")
                    }
                }
                "Pods" => format!(
                    "{}/{}",
                    text(current.and_then(|c| c.get("averageValue"))),
                    quantity_text(target.get("averageValue"))
                ),
                _ => match target.get("averageValue") {
                    Some(average) => format!(
                        "{}/{} (avg)",
                        text(current.and_then(|c| c.get("averageValue"))),
                        quantity_text(Some(average))
                    ),
                    None => {
                        format!("{}/{}", text(current.and_then(|c| c.get("value"))), quantity_text(target.get("value")))
                    }
                },
            }
        })
        .collect();
    match pairs.len() {
        0..=2 => pairs.join(", "),
        count => format!("{} + {} more...", pairs[..2].join(", "), count - 2),
    }
}

fn replicas(object: &Value) -> i64 {
    object.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)
}

fn parse_time(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// The column definitions of a resource's table.
pub fn column_definitions(resource: &ResourceType) -> Vec<Value> {
    if let Decoder::Custom(schema) = &resource.decoder {
        return custom::column_definitions(schema);
    }
    columns(resource)
        .into_iter()
        .map(|(name, kind, format, priority)| {
            json!({ "name": name, "type": kind, "format": format, "description": "", "priority": priority })
        })
        .collect()
}

fn row(resource: &ResourceType, object: &Value, include: IncludeObject) -> Value {
    let cells = match &resource.decoder {
        Decoder::Custom(schema) => custom::cells(schema, object),
        Decoder::Typed(_) => cells(resource, object),
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

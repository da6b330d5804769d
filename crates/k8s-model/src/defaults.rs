//! Scheme defaulting of the built-in kinds (`pkg/apis/*/v1/defaults.go`) and the pure parts of the registry
//! strategies' `PrepareForCreate`, applied in place to JSON objects. A field of the wrong JSON type is left as
//! it is: validation reports it.

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::Kind;
use crate::quantity::{canonical_value, quantity_of};

type Object = Map<String, Value>;

/// Whether a field holds Go's zero value: absent, null or an empty string.
fn unset(map: &Object, key: &str) -> bool {
    matches!(map.get(key), None | Some(Value::Null)) || map.get(key).and_then(Value::as_str) == Some("")
}

/// Sets a field that is absent, null or empty.
fn default(map: &mut Object, key: &str, value: Value) {
    if unset(map, key) {
        map.insert(key.to_owned(), value);
    }
}

/// A nested object, created when absent or null; `None` when the field holds another type.
fn object_entry<'a>(map: &'a mut Object, key: &str) -> Option<&'a mut Object> {
    let entry = map.entry(key.to_owned()).or_insert(Value::Null);
    if entry.is_null() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut()
}

/// A nested object when present.
fn object_mut<'a>(map: &'a mut Object, key: &str) -> Option<&'a mut Object> {
    map.get_mut(key).and_then(Value::as_object_mut)
}

/// Every object item of a list field.
fn each_item(map: &mut Object, key: &str, mut apply: impl FnMut(&mut Object)) {
    if let Some(items) = map.get_mut(key).and_then(Value::as_array_mut) {
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            apply(item);
        }
    }
}

/// Writes every quantity of a resource list in canonical form, rounded up to thousandths, as the resource list
/// defaulting and the quantity encoding do together.
fn canonical_resources(owner: &mut Object, key: &str) {
    if let Some(list) = object_mut(owner, key) {
        for value in list.values_mut() {
            if let Some(canonical) = canonical_value(value, true) {
                *value = canonical;
            }
        }
    }
}

/// The `limits` and `requests` of a `resources` field.
fn canonical_requirements(owner: &mut Object) {
    if let Some(resources) = object_mut(owner, "resources") {
        canonical_resources(resources, "limits");
        canonical_resources(resources, "requests");
    }
}

/// Applies the defaults of an object's kind.
pub(crate) fn apply(kind: Kind, object: &mut Object) {
    match kind {
        Kind::Pod => default_pod(object),
        Kind::PodTemplate => default_template(object, "template"),
        Kind::ReplicationController => default_replication_controller(object),
        Kind::Deployment => default_deployment(object),
        Kind::ReplicaSet => default_replica_set(object),
        Kind::StatefulSet => default_stateful_set(object),
        Kind::DaemonSet => default_daemon_set(object),
        Kind::Job => default_job(object),
        Kind::CronJob => default_cron_job(object),
        Kind::Service => default_service(object),
        Kind::Secret => default_secret(object),
        Kind::Namespace => default_namespace(object),
        Kind::PersistentVolumeClaim => default_pvc(object),
        Kind::PersistentVolume => default_pv(object),
        Kind::RoleBinding | Kind::ClusterRoleBinding => default_role_binding(object),
        Kind::NetworkPolicy => default_network_policy(object),
        Kind::HorizontalPodAutoscaler => default_hpa(object),
        Kind::StorageClass => {
            default(object, "reclaimPolicy", json!("Delete"));
            default(object, "volumeBindingMode", json!("Immediate"));
        }
        Kind::PriorityClass => default(object, "preemptionPolicy", json!("PreemptLowerPriority")),
        Kind::APIService => crate::apiservice::default_api_service(object),
        Kind::Endpoints => each_item(object, "subsets", |subset| default_ports(subset, "ports")),
        Kind::ConfigMap
        | Kind::ServiceAccount
        | Kind::Role
        | Kind::ClusterRole
        | Kind::Ingress
        | Kind::PodDisruptionBudget => {}
    }
}

/// `stringData` is write-only: its entries replace those of `data`, base64-encoded, as the v1 conversion does.
fn default_secret(secret: &mut Object) {
    default(secret, "type", json!("Opaque"));
    let Some(Value::Object(strings)) = secret.get("stringData").cloned() else {
        if secret.get("stringData").is_some_and(Value::is_null) {
            secret.remove("stringData");
        }
        return;
    };
    if !strings.values().all(Value::is_string) {
        return;
    }
    secret.remove("stringData");
    if let Some(data) = object_entry(secret, "data") {
        for (name, value) in strings {
            let text = value.as_str().unwrap_or_default();
            data.insert(name, json!(base64::engine::general_purpose::STANDARD.encode(text)));
        }
    }
}

fn default_pod(pod: &mut Object) {
    if let Some(spec) = object_entry(pod, "spec") {
        default_pod_spec(spec);
        // These apply to pods only, not to pod templates.
        default(spec, "enableServiceLinks", json!(true));
        if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
            for list in ["initContainers", "containers"] {
                each_item(spec, list, |container| {
                    each_item(container, "ports", |port| {
                        if matches!(port.get("hostPort").and_then(Value::as_i64), None | Some(0))
                            && let Some(container_port) = port.get("containerPort").cloned()
                        {
                            port.insert("hostPort".to_owned(), container_port);
                        }
                    });
                });
            }
        }
        for list in ["initContainers", "containers"] {
            each_item(spec, list, copy_limits_to_requests);
        }
    }
}

/// The status fields that Go's API types encode even at their zero value (declared without `omitempty`), by
/// `apiVersion` and kind. kube-apiserver therefore always sends them, as 0 before a controller has counted
/// anything, and typed clients (the Python client's models) refuse an object without them.
const ENCODED_STATUS_ZEROS: &[(&str, &str, &[&str])] = &[
    (
        "apps/v1",
        "DaemonSet",
        &["currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady"],
    ),
    ("apps/v1", "ReplicaSet", &["replicas"]),
    ("apps/v1", "StatefulSet", &["replicas", "availableReplicas"]),
    ("v1", "ReplicationController", &["replicas"]),
    ("autoscaling/v1", "HorizontalPodAutoscaler", &["currentReplicas", "desiredReplicas"]),
    ("autoscaling/v2", "HorizontalPodAutoscaler", &["desiredReplicas"]),
];

/// The kinds whose registry strategy clears the status a client sends on create (`PrepareForCreate` sets it to
/// the empty status): what a controller reports is the server's to write.
const STATUS_CLEARED_ON_CREATE: &[(&str, &str)] = &[
    ("apps/v1", "Deployment"),
    ("apps/v1", "ReplicaSet"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("v1", "ReplicationController"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("autoscaling/v1", "HorizontalPodAutoscaler"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
];

fn type_of(object: &Value) -> (&str, &str) {
    let field = |name| object.get(name).and_then(Value::as_str).unwrap_or_default();
    (field("apiVersion"), field("kind"))
}

/// The always-encoded status counters of an object's type (none for most).
pub(crate) fn encoded_status_fields(object: &Value) -> &'static [&'static str] {
    let (api_version, kind) = type_of(object);
    ENCODED_STATUS_ZEROS
        .iter()
        .find(|(version, name, _)| *version == api_version && *name == kind)
        .map_or(&[], |(_, _, fields)| fields)
}

/// Fills in the always-encoded status counters an object lacks with 0 (a status of the wrong JSON type is left
/// for validation).
pub(crate) fn encoded_status_zeros(object: &mut Value) {
    let fields = encoded_status_fields(object);
    if fields.is_empty() {
        return;
    }
    let Some(status) = object.as_object_mut().and_then(|map| object_entry(map, "status")) else {
        return;
    };
    for field in fields {
        if matches!(status.get(*field), None | Some(Value::Null)) {
            status.insert((*field).to_owned(), json!(0));
        }
    }
}

/// Clears the status of a new workload or autoscaler, leaving only its always-encoded counters at 0.
pub(crate) fn reset_controller_status(object: &mut Value) {
    let (api_version, kind) = type_of(object);
    if !STATUS_CLEARED_ON_CREATE.contains(&(api_version, kind)) {
        return;
    }
    if let Some(map) = object.as_object_mut() {
        map.insert("status".to_owned(), json!({}));
    }
    encoded_status_zeros(object);
}

/// A new pod's status is the server's: Pending, with the QoS class of its resources, whatever the client sent.
pub(crate) fn reset_pod_status(pod: &mut Object) {
    let qos_class = pod.get("spec").map_or("BestEffort", qos_class);
    pod.insert("status".to_owned(), json!({ "phase": "Pending", "qosClass": qos_class }));
}

/// Requests default to the limits for every resource that has a limit and no request.
fn copy_limits_to_requests(container: &mut Object) {
    let Some(resources) = object_mut(container, "resources") else {
        return;
    };
    let Some(limits) = resources.get("limits").and_then(Value::as_object).cloned() else {
        return;
    };
    if limits.is_empty() {
        return;
    }
    if let Some(requests) = object_entry(resources, "requests") {
        for (name, quantity) in limits {
            requests.entry(name).or_insert(quantity);
        }
    }
}

/// The quality-of-service class the scheduler and kubelet derive from the containers' cpu and memory.
pub(crate) fn qos_class(spec: &Value) -> &'static str {
    let containers: Vec<&Value> = ["initContainers", "containers"]
        .iter()
        .filter_map(|list| spec.get(list).and_then(Value::as_array))
        .flatten()
        .collect();
    let quantity = |container: &Value, part: &str, name: &str| {
        container.get("resources").and_then(|r| r.get(part)).and_then(|m| m.get(name)).and_then(quantity_of)
    };
    let mut best_effort = true;
    let mut guaranteed = !containers.is_empty();
    for container in &containers {
        for name in ["cpu", "memory"] {
            let request = quantity(container, "requests", name).filter(|q| *q != 0.0);
            let limit = quantity(container, "limits", name).filter(|q| *q != 0.0);
            if request.is_some() || limit.is_some() {
                best_effort = false;
            }
            match (request, limit) {
                (_, None) => guaranteed = false,
                (Some(request), Some(limit)) if request != limit => guaranteed = false,
                _ => {}
            }
        }
    }
    if best_effort {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// A pod template's spec (`template` holds `metadata` and `spec`).
fn default_template(owner: &mut Object, key: &str) {
    if let Some(spec) = object_mut(owner, key).and_then(|template| object_entry(template, "spec")) {
        default_pod_spec(spec);
    }
}

pub(crate) fn default_pod_spec(spec: &mut Object) {
    default(spec, "dnsPolicy", json!("ClusterFirst"));
    default(spec, "restartPolicy", json!("Always"));
    default(spec, "terminationGracePeriodSeconds", json!(30));
    default(spec, "securityContext", json!({}));
    default(spec, "schedulerName", json!("default-scheduler"));
    if let Some(account) = spec.get("serviceAccountName").filter(|name| name.as_str().is_some_and(|n| !n.is_empty())) {
        // The deprecated field mirrors the current one, as the v1 conversion writes it.
        let account = account.clone();
        spec.insert("serviceAccount".to_owned(), account);
    } else if let Some(account) = spec.get("serviceAccount").filter(|name| name.as_str().is_some_and(|n| !n.is_empty()))
    {
        let account = account.clone();
        spec.insert("serviceAccountName".to_owned(), account);
    }
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        each_item(spec, list, default_container);
    }
    canonical_requirements(spec);
    canonical_resources(spec, "overhead");
    each_item(spec, "volumes", default_volume);
}

fn default_container(container: &mut Object) {
    if unset(container, "imagePullPolicy") {
        let image = container.get("image").and_then(Value::as_str).unwrap_or_default();
        let policy = if image_tag(image) == "latest" { "Always" } else { "IfNotPresent" };
        container.insert("imagePullPolicy".to_owned(), json!(policy));
    }
    default(container, "terminationMessagePath", json!("/dev/termination-log"));
    default(container, "terminationMessagePolicy", json!("File"));
    default(container, "resources", json!({}));
    canonical_requirements(container);
    default_ports(container, "ports");
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(probe) = object_mut(container, probe) {
            // Probe numbers are not pointers upstream: zero means unset.
            for (name, value) in
                [("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1), ("failureThreshold", 3)]
            {
                if unset(probe, name) || probe.get(name).and_then(Value::as_i64) == Some(0) {
                    probe.insert(name.to_owned(), json!(value));
                }
            }
            default_handler(probe);
        }
    }
    if let Some(lifecycle) = object_mut(container, "lifecycle") {
        for hook in ["postStart", "preStop"] {
            if let Some(handler) = object_mut(lifecycle, hook) {
                default_handler(handler);
            }
        }
    }
    each_item(container, "env", |env| {
        if let Some(field_ref) = object_mut(env, "valueFrom").and_then(|from| object_mut(from, "fieldRef")) {
            default(field_ref, "apiVersion", json!("v1"));
        }
    });
}

/// The tag an image reference names: `latest` when it names neither tag nor digest.
pub(crate) fn image_tag(image: &str) -> &str {
    if image.is_empty() {
        return "";
    }
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    match last.split_once(':') {
        Some((_, tag)) => tag,
        None if digest.is_some() => "",
        None => "latest",
    }
}

fn default_handler(handler: &mut Object) {
    if let Some(http_get) = object_mut(handler, "httpGet") {
        default(http_get, "path", json!("/"));
        default(http_get, "scheme", json!("HTTP"));
    }
}

fn default_ports(owner: &mut Object, key: &str) {
    each_item(owner, key, |port| default(port, "protocol", json!("TCP")));
}

fn default_volume(volume: &mut Object) {
    const SOURCES: &[&str] = &[
        "hostPath",
        "emptyDir",
        "gcePersistentDisk",
        "awsElasticBlockStore",
        "gitRepo",
        "secret",
        "nfs",
        "iscsi",
        "glusterfs",
        "persistentVolumeClaim",
        "rbd",
        "flexVolume",
        "cinder",
        "cephfs",
        "flocker",
        "downwardAPI",
        "fc",
        "azureFile",
        "configMap",
        "vsphereVolume",
        "quobyte",
        "azureDisk",
        "photonPersistentDisk",
        "projected",
        "portworxVolume",
        "scaleIO",
        "storageos",
        "csi",
        "ephemeral",
        "image",
    ];
    if SOURCES.iter().all(|source| matches!(volume.get(*source), None | Some(Value::Null))) {
        volume.insert("emptyDir".to_owned(), json!({}));
    }
    for source in ["secret", "configMap", "downwardAPI", "projected"] {
        if let Some(source) = object_mut(volume, source) {
            default(source, "defaultMode", json!(420));
        }
    }
    if let Some(empty_dir) = object_mut(volume, "emptyDir")
        && let Some(limit) = empty_dir.get("sizeLimit").and_then(|limit| canonical_value(limit, false))
    {
        empty_dir.insert("sizeLimit".to_owned(), limit);
    }
    if let Some(host_path) = object_mut(volume, "hostPath") {
        default(host_path, "type", json!(""));
    }
    if let Some(downward) = object_mut(volume, "downwardAPI") {
        default_downward_items(downward);
    }
    if let Some(projected) = object_mut(volume, "projected") {
        each_item(projected, "sources", |source| {
            if let Some(token) = object_mut(source, "serviceAccountToken") {
                default(token, "expirationSeconds", json!(3600));
            }
            if let Some(downward) = object_mut(source, "downwardAPI") {
                default_downward_items(downward);
            }
        });
    }
    if let Some(spec) = object_mut(volume, "ephemeral")
        .and_then(|ephemeral| object_mut(ephemeral, "volumeClaimTemplate"))
        .and_then(|template| object_mut(template, "spec"))
    {
        default(spec, "volumeMode", json!("Filesystem"));
        canonical_requirements(spec);
    }
}

fn default_downward_items(downward: &mut Object) {
    each_item(downward, "items", |item| {
        if let Some(field_ref) = object_mut(item, "fieldRef") {
            default(field_ref, "apiVersion", json!("v1"));
        }
    });
}

fn default_replication_controller(controller: &mut Object) {
    let template_labels = controller
        .get("spec")
        .and_then(|spec| spec.get("template"))
        .and_then(|template| template.get("metadata"))
        .and_then(|meta| meta.get("labels"))
        .filter(|labels| labels.as_object().is_some_and(|map| !map.is_empty()))
        .cloned();
    if let Some(labels) = template_labels {
        if let Some(spec) = object_mut(controller, "spec")
            && spec.get("selector").and_then(Value::as_object).is_none_or(Map::is_empty)
        {
            spec.insert("selector".to_owned(), labels.clone());
        }
        if let Some(metadata) = object_entry(controller, "metadata")
            && metadata.get("labels").and_then(Value::as_object).is_none_or(Map::is_empty)
        {
            metadata.insert("labels".to_owned(), labels);
        }
    }
    if let Some(spec) = object_entry(controller, "spec") {
        default(spec, "replicas", json!(1));
    }
    if let Some(spec) = object_mut(controller, "spec") {
        default_template(spec, "template");
    }
}

fn default_deployment(deployment: &mut Object) {
    let Some(spec) = object_entry(deployment, "spec") else {
        return;
    };
    default(spec, "replicas", json!(1));
    if let Some(strategy) = object_entry(spec, "strategy") {
        default(strategy, "type", json!("RollingUpdate"));
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate")
            && let Some(rolling) = object_entry(strategy, "rollingUpdate")
        {
            default(rolling, "maxUnavailable", json!("25%"));
            default(rolling, "maxSurge", json!("25%"));
        }
    }
    default(spec, "revisionHistoryLimit", json!(10));
    default(spec, "progressDeadlineSeconds", json!(600));
    default_template(spec, "template");
}

fn default_replica_set(replica_set: &mut Object) {
    if let Some(spec) = object_entry(replica_set, "spec") {
        default(spec, "replicas", json!(1));
        default_template(spec, "template");
    }
}

fn default_stateful_set(stateful_set: &mut Object) {
    let Some(spec) = object_entry(stateful_set, "spec") else {
        return;
    };
    default(spec, "podManagementPolicy", json!("OrderedReady"));
    if let Some(strategy) = object_entry(spec, "updateStrategy") {
        if unset(strategy, "type") {
            strategy.insert("type".to_owned(), json!("RollingUpdate"));
            default(strategy, "rollingUpdate", json!({}));
        }
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate")
            && let Some(rolling) = object_mut(strategy, "rollingUpdate")
        {
            default(rolling, "partition", json!(0));
        }
    }
    if let Some(policy) = object_entry(spec, "persistentVolumeClaimRetentionPolicy") {
        default(policy, "whenDeleted", json!("Retain"));
        default(policy, "whenScaled", json!("Retain"));
    }
    default(spec, "replicas", json!(1));
    default(spec, "revisionHistoryLimit", json!(10));
    default_template(spec, "template");
    each_item(spec, "volumeClaimTemplates", default_pvc);
}

fn default_daemon_set(daemon_set: &mut Object) {
    let Some(spec) = object_entry(daemon_set, "spec") else {
        return;
    };
    if let Some(strategy) = object_entry(spec, "updateStrategy") {
        default(strategy, "type", json!("RollingUpdate"));
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate")
            && let Some(rolling) = object_entry(strategy, "rollingUpdate")
        {
            default(rolling, "maxUnavailable", json!(1));
            default(rolling, "maxSurge", json!(0));
        }
    }
    default(spec, "revisionHistoryLimit", json!(10));
    default_template(spec, "template");
}

fn default_job(job: &mut Object) {
    let uid = job.get("metadata").and_then(|meta| meta.get("uid")).and_then(Value::as_str).map(str::to_owned);
    let name = job.get("metadata").and_then(|meta| meta.get("name")).and_then(Value::as_str).map(str::to_owned);
    let Some(spec) = object_entry(job, "spec") else {
        return;
    };
    let manual = spec.get("manualSelector").and_then(Value::as_bool) == Some(true);
    if !manual && let (Some(uid), Some(name)) = (uid.filter(|uid| !uid.is_empty()), name) {
        // Labels the user already set win; validation rejects a selector that then fails to match.
        if let Some(labels) = object_entry(spec, "template")
            .and_then(|template| object_entry(template, "metadata"))
            .and_then(|meta| object_entry(meta, "labels"))
        {
            for (label, value) in [
                ("job-name", &name),
                ("batch.kubernetes.io/job-name", &name),
                ("controller-uid", &uid),
                ("batch.kubernetes.io/controller-uid", &uid),
            ] {
                labels.entry(label.to_owned()).or_insert_with(|| json!(value));
            }
        }
        if let Some(match_labels) =
            object_entry(spec, "selector").and_then(|selector| object_entry(selector, "matchLabels"))
        {
            match_labels.entry("batch.kubernetes.io/controller-uid".to_owned()).or_insert_with(|| json!(uid));
        }
    }
    default_job_spec(spec);
    let template_labels = spec
        .get("template")
        .and_then(|template| template.get("metadata"))
        .and_then(|meta| meta.get("labels"))
        .filter(|labels| labels.is_object())
        .cloned();
    if let Some(labels) = template_labels
        && let Some(metadata) = object_entry(job, "metadata")
        && metadata.get("labels").and_then(Value::as_object).is_none_or(Map::is_empty)
    {
        metadata.insert("labels".to_owned(), labels);
    }
}

fn default_job_spec(spec: &mut Object) {
    if unset(spec, "completions") && unset(spec, "parallelism") {
        spec.insert("completions".to_owned(), json!(1));
        spec.insert("parallelism".to_owned(), json!(1));
    }
    default(spec, "parallelism", json!(1));
    if unset(spec, "backoffLimit") {
        let limit = if unset(spec, "backoffLimitPerIndex") { 6 } else { i64::from(i32::MAX) };
        spec.insert("backoffLimit".to_owned(), json!(limit));
    }
    default(spec, "completionMode", json!("NonIndexed"));
    default(spec, "suspend", json!(false));
    if let Some(policy) = object_mut(spec, "podFailurePolicy") {
        each_item(policy, "rules", |rule| {
            each_item(rule, "onPodConditions", |condition| default(condition, "status", json!("True")));
        });
    }
    if unset(spec, "podReplacementPolicy") {
        let policy = if unset(spec, "podFailurePolicy") { "TerminatingOrFailed" } else { "Failed" };
        spec.insert("podReplacementPolicy".to_owned(), json!(policy));
    }
    default_template(spec, "template");
}

fn default_cron_job(cron_job: &mut Object) {
    let Some(spec) = object_entry(cron_job, "spec") else {
        return;
    };
    default(spec, "concurrencyPolicy", json!("Allow"));
    default(spec, "suspend", json!(false));
    default(spec, "successfulJobsHistoryLimit", json!(3));
    default(spec, "failedJobsHistoryLimit", json!(1));
    if let Some(job_spec) = object_mut(spec, "jobTemplate").and_then(|template| object_mut(template, "spec")) {
        default_template(job_spec, "template");
    }
}

fn default_service(service: &mut Object) {
    let Some(spec) = object_entry(service, "spec") else {
        return;
    };
    default(spec, "sessionAffinity", json!("None"));
    default(spec, "type", json!("ClusterIP"));
    // A client that only knows the singular field gets the plural one filled in (the create strategy's
    // normalisation).
    if let Some(ip) = spec.get("clusterIP").and_then(Value::as_str).filter(|ip| !ip.is_empty()).map(str::to_owned)
        && spec.get("clusterIPs").and_then(Value::as_array).is_none_or(Vec::is_empty)
    {
        spec.insert("clusterIPs".to_owned(), json!([ip]));
    }
    let service_type = spec.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
    each_item(spec, "ports", |port| {
        default(port, "protocol", json!("TCP"));
        let target_unset = match port.get("targetPort") {
            None | Some(Value::Null) => true,
            Some(Value::String(name)) => name.is_empty(),
            Some(Value::Number(number)) => number.as_i64() == Some(0),
            _ => false,
        };
        if target_unset && let Some(number) = port.get("port").filter(|p| p.is_number()).cloned() {
            port.insert("targetPort".to_owned(), number);
        }
    });
    match spec.get("sessionAffinity").and_then(Value::as_str) {
        Some("None") => {
            spec.remove("sessionAffinityConfig");
        }
        Some("ClientIP") => {
            let timeout = spec
                .get("sessionAffinityConfig")
                .and_then(|config| config.get("clientIP"))
                .and_then(|client_ip| client_ip.get("timeoutSeconds"))
                .filter(|timeout| !timeout.is_null());
            if timeout.is_none() {
                spec.insert("sessionAffinityConfig".to_owned(), json!({ "clientIP": { "timeoutSeconds": 10800 } }));
            }
        }
        _ => {}
    }
    if matches!(service_type.as_str(), "NodePort" | "LoadBalancer") {
        default(spec, "externalTrafficPolicy", json!("Cluster"));
    }
    if matches!(service_type.as_str(), "ClusterIP" | "NodePort" | "LoadBalancer")
        && matches!(spec.get("internalTrafficPolicy"), None | Some(Value::Null))
    {
        spec.insert("internalTrafficPolicy".to_owned(), json!("Cluster"));
    }
    if service_type == "LoadBalancer" {
        default(spec, "allocateLoadBalancerNodePorts", json!(true));
    }
}

fn default_namespace(namespace: &mut Object) {
    let name = namespace.get("metadata").and_then(|meta| meta.get("name")).and_then(Value::as_str).map(str::to_owned);
    if let Some(name) = name.filter(|name| !name.is_empty())
        && let Some(labels) = object_entry(namespace, "metadata").and_then(|meta| object_entry(meta, "labels"))
    {
        labels.insert("kubernetes.io/metadata.name".to_owned(), json!(name));
    }
    if let Some(spec) = object_entry(namespace, "spec") {
        let finalizers = spec.entry("finalizers").or_insert(Value::Null);
        if finalizers.is_null() {
            *finalizers = json!([]);
        }
        if let Some(list) = finalizers.as_array_mut()
            && !list.iter().any(|item| item == "kubernetes")
        {
            list.push(json!("kubernetes"));
        }
    }
    if let Some(status) = object_entry(namespace, "status") {
        default(status, "phase", json!("Active"));
    }
}

fn default_pvc(claim: &mut Object) {
    if let Some(spec) = object_entry(claim, "spec") {
        default(spec, "volumeMode", json!("Filesystem"));
        canonical_requirements(spec);
    }
    if let Some(status) = object_entry(claim, "status") {
        default(status, "phase", json!("Pending"));
    }
}

fn default_pv(volume: &mut Object) {
    if let Some(spec) = object_entry(volume, "spec") {
        default(spec, "persistentVolumeReclaimPolicy", json!("Retain"));
        default(spec, "volumeMode", json!("Filesystem"));
        canonical_resources(spec, "capacity");
    }
    if let Some(status) = object_entry(volume, "status") {
        default(status, "phase", json!("Pending"));
    }
}

fn default_role_binding(binding: &mut Object) {
    if let Some(role_ref) = object_mut(binding, "roleRef") {
        default(role_ref, "apiGroup", json!("rbac.authorization.k8s.io"));
    }
    each_item(binding, "subjects", |subject| {
        let group = match subject.get("kind").and_then(Value::as_str) {
            Some("User" | "Group") => "rbac.authorization.k8s.io",
            _ => return,
        };
        default(subject, "apiGroup", json!(group));
    });
}

fn default_network_policy(policy: &mut Object) {
    let Some(spec) = object_entry(policy, "spec") else {
        return;
    };
    for direction in ["ingress", "egress"] {
        each_item(spec, direction, |rule| default_ports(rule, "ports"));
    }
    if spec.get("policyTypes").and_then(Value::as_array).is_none_or(Vec::is_empty) {
        let has_egress = spec.get("egress").and_then(Value::as_array).is_some_and(|rules| !rules.is_empty());
        let types = if has_egress { json!(["Ingress", "Egress"]) } else { json!(["Ingress"]) };
        spec.insert("policyTypes".to_owned(), types);
    }
}

fn default_hpa(autoscaler: &mut Object) {
    let Some(spec) = object_entry(autoscaler, "spec") else {
        return;
    };
    default(spec, "minReplicas", json!(1));
    if spec.get("metrics").and_then(Value::as_array).is_none_or(Vec::is_empty) {
        spec.insert(
            "metrics".to_owned(),
            json!([{ "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": 80 } } }]),
        );
    }
    if let Some(behavior) = object_mut(spec, "behavior") {
        // Scale-down keeps no stabilization window here: the controller's flag supplies it.
        let scale_up = json!({
            "stabilizationWindowSeconds": 0,
            "selectPolicy": "Max",
            "policies": [
                { "type": "Pods", "value": 4, "periodSeconds": 15 },
                { "type": "Percent", "value": 100, "periodSeconds": 15 },
            ],
        });
        let scale_down = json!({
            "selectPolicy": "Max",
            "policies": [{ "type": "Percent", "value": 100, "periodSeconds": 15 }],
        });
        for (direction, defaults) in [("scaleUp", scale_up), ("scaleDown", scale_down)] {
            if let Some(rules) = object_entry(behavior, direction)
                && let Value::Object(defaults) = defaults
            {
                for (name, value) in defaults {
                    if matches!(rules.get(&name), None | Some(Value::Null)) {
                        rules.insert(name, value);
                    }
                }
            }
        }
    }
}

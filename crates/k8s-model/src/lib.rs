//! What kube-apiserver does to a built-in object before storing it, as a pure function of JSON values: scheme
//! defaulting, validation on create and update (with upstream's field paths and messages), and the pod
//! admission plugins it enables by default whose effect needs no cluster state. No IO, no store, no HTTP.
//!
//! Objects are `serde_json::Value`s in the JSON form of the API; each function dispatches on `apiVersion` and
//! `kind` and leaves objects of kinds it does not know alone.

mod admission;
mod apiservice;
mod cron;
mod defaults;
mod duration;
mod field;
mod meta;
mod misc;
pub mod names;
mod pod;
mod quantity;
mod service;
mod workloads;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::Value;

pub use admission::{DEFAULT_TOLERATION_SECONDS, PriorityClassRef, admit_pod, admit_pod_with, admit_priority};
pub use cron::{Cron, CronFields, CronSchedule, parse_cron, parse_schedule};
pub use duration::parse_go_duration;
pub use field::{ErrorKind, FieldError, go_quote};
pub use meta::TOTAL_ANNOTATION_SIZE_LIMIT;
pub use misc::{HIGHEST_USER_PRIORITY, MAX_SECRET_SIZE, NVIDIA_GPU, SYSTEM_PRIORITY_CLASSES, image_repository};
pub use names::{
    NameRule, c_identifier, config_map_key, dns1035_label, dns1123_label, dns1123_subdomain, env_var_name, label_value,
    path_segment_name, percent, port_name, port_number, qualified_name,
};
pub use quantity::{QUANTITY_SYNTAX, canonical_quantity, parse_quantity, rounded_up};
pub use service::{
    NODE_PORT_RANGE, service_drop_type_dependent_fields, service_keep_allocated, service_needs_cluster_ip,
    service_needs_health_check_node_port, service_node_ports_needed,
};

use field::Errors;

/// The kinds this crate knows, by API group and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Pod,
    PodTemplate,
    ReplicationController,
    Service,
    Endpoints,
    ConfigMap,
    Secret,
    Namespace,
    ServiceAccount,
    PersistentVolumeClaim,
    PersistentVolume,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    Role,
    ClusterRole,
    RoleBinding,
    ClusterRoleBinding,
    Ingress,
    NetworkPolicy,
    HorizontalPodAutoscaler,
    PodDisruptionBudget,
    StorageClass,
    PriorityClass,
    APIService,
}

impl Kind {
    /// The kind of an object from its `apiVersion` and `kind`.
    fn of(object: &Value) -> Option<Kind> {
        let api_version = object.get("apiVersion")?.as_str()?;
        let kind = object.get("kind")?.as_str()?;
        Some(match (api_version, kind) {
            ("v1", "Pod") => Kind::Pod,
            ("v1", "PodTemplate") => Kind::PodTemplate,
            ("v1", "ReplicationController") => Kind::ReplicationController,
            ("v1", "Service") => Kind::Service,
            ("v1", "Endpoints") => Kind::Endpoints,
            ("v1", "ConfigMap") => Kind::ConfigMap,
            ("v1", "Secret") => Kind::Secret,
            ("v1", "Namespace") => Kind::Namespace,
            ("v1", "ServiceAccount") => Kind::ServiceAccount,
            ("v1", "PersistentVolumeClaim") => Kind::PersistentVolumeClaim,
            ("v1", "PersistentVolume") => Kind::PersistentVolume,
            ("apps/v1", "Deployment") => Kind::Deployment,
            ("apps/v1", "ReplicaSet") => Kind::ReplicaSet,
            ("apps/v1", "StatefulSet") => Kind::StatefulSet,
            ("apps/v1", "DaemonSet") => Kind::DaemonSet,
            ("batch/v1", "Job") => Kind::Job,
            ("batch/v1", "CronJob") => Kind::CronJob,
            ("rbac.authorization.k8s.io/v1", "Role") => Kind::Role,
            ("rbac.authorization.k8s.io/v1", "ClusterRole") => Kind::ClusterRole,
            ("rbac.authorization.k8s.io/v1", "RoleBinding") => Kind::RoleBinding,
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => Kind::ClusterRoleBinding,
            ("networking.k8s.io/v1", "Ingress") => Kind::Ingress,
            ("networking.k8s.io/v1", "NetworkPolicy") => Kind::NetworkPolicy,
            ("autoscaling/v2", "HorizontalPodAutoscaler") => Kind::HorizontalPodAutoscaler,
            ("policy/v1", "PodDisruptionBudget") => Kind::PodDisruptionBudget,
            ("storage.k8s.io/v1", "StorageClass") => Kind::StorageClass,
            ("scheduling.k8s.io/v1", "PriorityClass") => Kind::PriorityClass,
            ("apiregistration.k8s.io/v1", "APIService") => Kind::APIService,
            _ => return None,
        })
    }

    /// The rule the kind's object names follow.
    fn name_rule(self) -> NameRule {
        match self {
            Kind::Namespace => NameRule::Label,
            Kind::Service => NameRule::Dns1035,
            Kind::Role | Kind::ClusterRole | Kind::RoleBinding | Kind::ClusterRoleBinding | Kind::APIService => {
                NameRule::PathSegment
            }
            _ => NameRule::Subdomain,
        }
    }
}

/// Applies kube-apiserver's defaults (scheme defaulting plus the registry strategies' pure `PrepareForCreate`
/// normalisations) in place. Objects of unknown `apiVersion`/`kind`, and values that are not objects, are left
/// unchanged. A Job's selector and controller labels are generated only when `metadata.uid` is already set.
pub fn default_object(object: &mut Value) {
    defaults::encoded_status_zeros(object);
    let Some(kind) = Kind::of(object) else {
        return;
    };
    if let Some(map) = object.as_object_mut() {
        defaults::apply(kind, map);
    }
}

/// What only a create does on top of [`default_object`], as the registry strategies' `PrepareForCreate`: a pod's
/// status starts as Pending with its QoS class, and the workloads' and autoscalers' statuses start empty (their
/// always-encoded counters at zero) whatever the client sent. Updates keep the status they are given (the status
/// subresource) or the stored one (the main resource), so this must not run on them.
pub fn prepare_for_create(object: &mut Value) {
    defaults::reset_controller_status(object);
    if Kind::of(object) == Some(Kind::Pod)
        && let Some(map) = object.as_object_mut()
    {
        defaults::reset_pod_status(map);
    }
}

/// Whether a label selector (a `metav1.LabelSelector` as JSON) selects a set of labels. Validation asks it (a
/// workload's selector must select its template's labels); the caller supplies it, so that the workspace keeps one
/// selector implementation (kube-core's `Selector`) while this crate stays free of Kubernetes client crates.
pub type SelectsLabels = fn(selector: &Value, labels: &BTreeMap<String, String>) -> bool;

/// Validation of a new object: metadata (name rules per kind, generateName, labels, annotations, finalizers,
/// owner references) and the kind's spec. Whether a namespace is required is the caller's business; a given
/// namespace must be a valid name. Unknown kinds get the metadata checks only.
pub fn validate_create(object: &Value, selects: SelectsLabels) -> Vec<FieldError> {
    let mut errors = Errors::with_matcher(selects);
    if !object.is_object() {
        errors.push(FieldError::new(ErrorKind::TypeInvalid, "", Some(object.clone()), "must be of type object"));
        return errors.list;
    }
    let kind = Kind::of(object);
    let rule = kind.map_or(NameRule::Subdomain, Kind::name_rule);
    meta::validate_create(object, rule, &mut errors);
    validate_status_shape(object, &mut errors);
    if let Some(kind) = kind {
        validate_kind(kind, object, None, &mut errors);
    }
    errors.list
}

/// Validation of an update: everything `validate_create` checks on the new object except the name rules, plus
/// the immutability rules (metadata identity, selectors, pod spec, service clusterIP, job template, immutable
/// ConfigMaps and Secrets, roleRef, ...).
pub fn validate_update(new: &Value, old: &Value, selects: SelectsLabels) -> Vec<FieldError> {
    let mut errors = Errors::with_matcher(selects);
    if !new.is_object() {
        errors.push(FieldError::new(ErrorKind::TypeInvalid, "", Some(new.clone()), "must be of type object"));
        return errors.list;
    }
    meta::validate_update(new, old, &mut errors);
    validate_status_shape(new, &mut errors);
    if let Some(kind) = Kind::of(new) {
        let old = Some(old).filter(|old| old.is_object());
        validate_kind(kind, new, old, &mut errors);
    }
    errors.list
}

/// Validation of a pod update through its `ephemeralcontainers` subresource: metadata as on every update, the
/// pod's spec, and upstream's rules for ephemeral containers (existing ones are neither removed nor changed).
pub fn validate_ephemeral_containers_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errors = Errors::default();
    if !new.is_object() {
        errors.push(FieldError::new(ErrorKind::TypeInvalid, "", Some(new.clone()), "must be of type object"));
        return errors.list;
    }
    meta::validate_update(new, old, &mut errors);
    pod::validate_ephemeral_containers_update(new, old, &mut errors);
    errors.list
}

/// `status` is the server's, but a client may still send one: it must at least have the right shape.
fn validate_status_shape(object: &Value, errors: &mut Errors) {
    if let Some(status) = errors.obj(object, "status", "") {
        for name in ["phase", "qosClass", "reason", "message"] {
            errors.str(status, name, "status");
        }
        for name in defaults::encoded_status_fields(object) {
            errors.int(status, name, "status");
        }
    }
}

fn validate_kind(kind: Kind, object: &Value, old: Option<&Value>, errors: &mut Errors) {
    match kind {
        Kind::Pod => pod::validate_pod(object, old, errors),
        Kind::PodTemplate => pod::validate_pod_template_object(object, errors),
        Kind::ReplicationController
        | Kind::Deployment
        | Kind::ReplicaSet
        | Kind::StatefulSet
        | Kind::DaemonSet
        | Kind::Job
        | Kind::CronJob => workloads::validate(kind, object, old, errors),
        Kind::Service => service::validate(object, old, errors),
        Kind::Endpoints => {}
        Kind::ConfigMap
        | Kind::Secret
        | Kind::Namespace
        | Kind::ServiceAccount
        | Kind::PersistentVolumeClaim
        | Kind::PersistentVolume
        | Kind::Role
        | Kind::ClusterRole
        | Kind::RoleBinding
        | Kind::ClusterRoleBinding
        | Kind::Ingress
        | Kind::NetworkPolicy
        | Kind::HorizontalPodAutoscaler
        | Kind::PodDisruptionBudget
        | Kind::StorageClass
        | Kind::PriorityClass => misc::validate(kind, object, old, errors),
        Kind::APIService => apiservice::validate_api_service(object, errors),
    }
}

//! What the two source crates cannot tell: which API groups to cover, and how to read zero values on the wire.
//!
//! Go's protobuf marshalling always writes non-pointer fields, even when they hold the zero value, and writes
//! pointer fields only when they are set. Go's JSON marshalling then drops the zero value of a non-pointer
//! `omitempty` field, but keeps a set pointer to a zero value (`replicas: 0`, `automountServiceAccountToken:
//! false`). Neither k8s-pb nor k8s-openapi knows which fields are pointers, so these lists say it for the
//! fields where the difference shows:
//!
//! - an optional string that is empty on the wire is dropped, except for the `*string` fields in
//!   [`KEEP_EMPTY_STRING`], where the empty string means something;
//! - an optional number or boolean that is zero on the wire is kept, because for a pointer field zero is a real
//!   value, except for the non-pointer `omitempty` fields in [`OMIT_ZERO`] and [`OMIT_ZERO_ANYWHERE`], where
//!   kube-apiserver's JSON leaves them out. A field missing from these lists only costs an extra `false` or `0`
//!   in the JSON, which Go would read as unset anyway.

/// The Kubernetes modules (k8s-pb paths) whose kinds the table covers; messages they use are covered too.
pub const MODULES: &[&str] = &[
    "api::admissionregistration::v1",
    "api::apps::v1",
    "api::authentication::v1",
    "api::authorization::v1",
    "api::autoscaling::v1",
    "api::autoscaling::v2",
    "api::batch::v1",
    "api::certificates::v1",
    "api::coordination::v1",
    "api::core::v1",
    "api::discovery::v1",
    "api::events::v1",
    "api::networking::v1",
    "api::node::v1",
    "api::policy::v1",
    "api::rbac::v1",
    "api::scheduling::v1",
    "api::storage::v1",
    "apiextensions_apiserver::pkg::apis::apiextensions::v1",
    "apimachinery::pkg::apis::meta::v1",
];

/// The metav1 kinds that any API group accepts (options, status, discovery), by message name.
pub const META_KINDS: &[&str] = &[
    "APIGroup",
    "APIGroupList",
    "APIResourceList",
    "APIVersions",
    "CreateOptions",
    "DeleteOptions",
    "GetOptions",
    "ListOptions",
    "PartialObjectMetadata",
    "PartialObjectMetadataList",
    "PatchOptions",
    "Status",
    "UpdateOptions",
    "WatchEvent",
];

/// The apiVersion the metav1 kinds are registered under.
pub const META_API_VERSION: &str = "meta.k8s.io/v1";

/// `*string` fields, as `(message, JSON name)`, whose empty value is kept.
pub const KEEP_EMPTY_STRING: &[(&str, &str)] = &[
    // An empty class disables dynamic provisioning, while an unset one asks for the default class.
    ("core.v1.PersistentVolumeClaimSpec", "storageClassName"),
    ("core.v1.PersistentVolumeClaimSpec", "volumeAttributesClassName"),
];

/// Non-pointer `omitempty` numbers and booleans, as `(message, JSON name)`, whose zero value is dropped.
pub const OMIT_ZERO: &[(&str, &str)] = &[
    ("meta.v1.ObjectMeta", "generation"),
    ("meta.v1.Condition", "observedGeneration"),
    ("meta.v1.ListOptions", "watch"),
    ("meta.v1.ListOptions", "allowWatchBookmarks"),
    ("meta.v1.ListOptions", "limit"),
    ("meta.v1.Status", "code"),
    ("meta.v1.StatusDetails", "retryAfterSeconds"),
    ("core.v1.PodSpec", "hostNetwork"),
    ("core.v1.PodSpec", "hostPID"),
    ("core.v1.PodSpec", "hostIPC"),
    ("core.v1.Container", "stdin"),
    ("core.v1.Container", "stdinOnce"),
    ("core.v1.Container", "tty"),
    ("core.v1.EphemeralContainerCommon", "stdin"),
    ("core.v1.EphemeralContainerCommon", "stdinOnce"),
    ("core.v1.EphemeralContainerCommon", "tty"),
    ("core.v1.Probe", "initialDelaySeconds"),
    ("core.v1.Probe", "timeoutSeconds"),
    ("core.v1.Probe", "periodSeconds"),
    ("core.v1.Probe", "successThreshold"),
    ("core.v1.Probe", "failureThreshold"),
    ("core.v1.ContainerPort", "hostPort"),
    ("core.v1.ServicePort", "nodePort"),
    ("core.v1.ServiceSpec", "publishNotReadyAddresses"),
    ("core.v1.ServiceSpec", "healthCheckNodePort"),
    ("core.v1.NodeSpec", "unschedulable"),
    ("core.v1.ReplicationControllerSpec", "minReadySeconds"),
    ("core.v1.ReplicationControllerStatus", "fullyLabeledReplicas"),
    ("core.v1.ReplicationControllerStatus", "readyReplicas"),
    ("core.v1.ReplicationControllerStatus", "availableReplicas"),
    ("core.v1.ReplicationControllerStatus", "observedGeneration"),
    ("core.v1.Event", "count"),
    ("apps.v1.DeploymentSpec", "minReadySeconds"),
    ("apps.v1.DeploymentSpec", "paused"),
    ("apps.v1.DeploymentStatus", "observedGeneration"),
    ("apps.v1.DeploymentStatus", "replicas"),
    ("apps.v1.DeploymentStatus", "updatedReplicas"),
    ("apps.v1.DeploymentStatus", "readyReplicas"),
    ("apps.v1.DeploymentStatus", "availableReplicas"),
    ("apps.v1.DeploymentStatus", "unavailableReplicas"),
    ("apps.v1.StatefulSetSpec", "minReadySeconds"),
    ("apps.v1.StatefulSetStatus", "observedGeneration"),
    ("apps.v1.StatefulSetStatus", "readyReplicas"),
    ("apps.v1.StatefulSetStatus", "currentReplicas"),
    ("apps.v1.StatefulSetStatus", "updatedReplicas"),
    ("apps.v1.DaemonSetSpec", "minReadySeconds"),
    ("apps.v1.DaemonSetStatus", "observedGeneration"),
    ("apps.v1.DaemonSetStatus", "updatedNumberScheduled"),
    ("apps.v1.DaemonSetStatus", "numberAvailable"),
    ("apps.v1.DaemonSetStatus", "numberUnavailable"),
    ("apps.v1.ReplicaSetSpec", "minReadySeconds"),
    ("apps.v1.ReplicaSetStatus", "fullyLabeledReplicas"),
    ("apps.v1.ReplicaSetStatus", "readyReplicas"),
    ("apps.v1.ReplicaSetStatus", "availableReplicas"),
    ("apps.v1.ReplicaSetStatus", "observedGeneration"),
    ("batch.v1.JobStatus", "active"),
    ("batch.v1.JobStatus", "succeeded"),
    ("batch.v1.JobStatus", "failed"),
    ("autoscaling.v1.ScaleSpec", "replicas"),
    ("autoscaling.v2.HorizontalPodAutoscalerStatus", "currentReplicas"),
    ("networking.v1.ServiceBackendPort", "number"),
    ("policy.v1.PodDisruptionBudgetStatus", "observedGeneration"),
    ("events.v1.Event", "deprecatedCount"),
    ("scheduling.v1.PriorityClass", "globalDefault"),
    ("apiextensions.v1.JSONSchemaProps", "exclusiveMaximum"),
    ("apiextensions.v1.JSONSchemaProps", "exclusiveMinimum"),
    ("apiextensions.v1.JSONSchemaProps", "uniqueItems"),
    ("apiextensions.v1.JSONSchemaProps", "nullable"),
    ("apiextensions.v1.JSONSchemaProps", "x-kubernetes-embedded-resource"),
    ("apiextensions.v1.JSONSchemaProps", "x-kubernetes-int-or-string"),
    ("apiextensions.v1.CustomResourceDefinitionVersion", "deprecated"),
    ("apiextensions.v1.CustomResourceDefinitionSpec", "preserveUnknownFields"),
    ("apiextensions.v1.CustomResourceColumnDefinition", "priority"),
    ("authentication.v1.TokenReviewStatus", "authenticated"),
    ("authorization.v1.SubjectAccessReviewStatus", "denied"),
];

/// JSON names whose zero value is dropped in every message: `readOnly: false` is the same as no `readOnly`.
pub const OMIT_ZERO_ANYWHERE: &[&str] = &["readOnly"];

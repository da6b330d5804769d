//! The Kubernetes protobuf schema: 514 messages, 1958 fields and 133 kinds.
//!
//! Generated from k8s-pb 0.9.0 and k8s-openapi 0.29.0 by `cargo run -p k8s-protobuf-gen`;
//! do not edit by hand, regenerate.
//! Each message lists its fields as `Field(number, JSON name, type, card)`, ordered by number.

use crate::model::Card::*;
use crate::model::Special::*;
use crate::model::Ty::*;
use crate::model::{Field, Kind, Message};

/// Every kind, sorted by apiVersion and kind.
pub(crate) static KINDS: [Kind; 133] = [
    Kind("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", &ADMISSIONREGISTRATION_V1_MUTATING_WEBHOOK_CONFIGURATION),
    Kind("admissionregistration.k8s.io/v1", "MutatingWebhookConfigurationList", &ADMISSIONREGISTRATION_V1_MUTATING_WEBHOOK_CONFIGURATION_LIST),
    Kind("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy", &ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY),
    Kind("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding", &ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_BINDING),
    Kind("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBindingList", &ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_BINDING_LIST),
    Kind("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyList", &ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_LIST),
    Kind("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", &ADMISSIONREGISTRATION_V1_VALIDATING_WEBHOOK_CONFIGURATION),
    Kind("admissionregistration.k8s.io/v1", "ValidatingWebhookConfigurationList", &ADMISSIONREGISTRATION_V1_VALIDATING_WEBHOOK_CONFIGURATION_LIST),
    Kind("apiextensions.k8s.io/v1", "CustomResourceDefinition", &APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION),
    Kind("apiextensions.k8s.io/v1", "CustomResourceDefinitionList", &APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_LIST),
    Kind("apps/v1", "ControllerRevision", &APPS_V1_CONTROLLER_REVISION),
    Kind("apps/v1", "ControllerRevisionList", &APPS_V1_CONTROLLER_REVISION_LIST),
    Kind("apps/v1", "DaemonSet", &APPS_V1_DAEMON_SET),
    Kind("apps/v1", "DaemonSetList", &APPS_V1_DAEMON_SET_LIST),
    Kind("apps/v1", "Deployment", &APPS_V1_DEPLOYMENT),
    Kind("apps/v1", "DeploymentList", &APPS_V1_DEPLOYMENT_LIST),
    Kind("apps/v1", "ReplicaSet", &APPS_V1_REPLICA_SET),
    Kind("apps/v1", "ReplicaSetList", &APPS_V1_REPLICA_SET_LIST),
    Kind("apps/v1", "StatefulSet", &APPS_V1_STATEFUL_SET),
    Kind("apps/v1", "StatefulSetList", &APPS_V1_STATEFUL_SET_LIST),
    Kind("authentication.k8s.io/v1", "SelfSubjectReview", &AUTHENTICATION_V1_SELF_SUBJECT_REVIEW),
    Kind("authentication.k8s.io/v1", "TokenRequest", &AUTHENTICATION_V1_TOKEN_REQUEST),
    Kind("authentication.k8s.io/v1", "TokenReview", &AUTHENTICATION_V1_TOKEN_REVIEW),
    Kind("authorization.k8s.io/v1", "LocalSubjectAccessReview", &AUTHORIZATION_V1_LOCAL_SUBJECT_ACCESS_REVIEW),
    Kind("authorization.k8s.io/v1", "SelfSubjectAccessReview", &AUTHORIZATION_V1_SELF_SUBJECT_ACCESS_REVIEW),
    Kind("authorization.k8s.io/v1", "SelfSubjectRulesReview", &AUTHORIZATION_V1_SELF_SUBJECT_RULES_REVIEW),
    Kind("authorization.k8s.io/v1", "SubjectAccessReview", &AUTHORIZATION_V1_SUBJECT_ACCESS_REVIEW),
    Kind("autoscaling/v1", "HorizontalPodAutoscaler", &AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER),
    Kind("autoscaling/v1", "HorizontalPodAutoscalerList", &AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER_LIST),
    Kind("autoscaling/v1", "Scale", &AUTOSCALING_V1_SCALE),
    Kind("autoscaling/v2", "HorizontalPodAutoscaler", &AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER),
    Kind("autoscaling/v2", "HorizontalPodAutoscalerList", &AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_LIST),
    Kind("batch/v1", "CronJob", &BATCH_V1_CRON_JOB),
    Kind("batch/v1", "CronJobList", &BATCH_V1_CRON_JOB_LIST),
    Kind("batch/v1", "Job", &BATCH_V1_JOB),
    Kind("batch/v1", "JobList", &BATCH_V1_JOB_LIST),
    Kind("certificates.k8s.io/v1", "CertificateSigningRequest", &CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST),
    Kind("certificates.k8s.io/v1", "CertificateSigningRequestList", &CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST_LIST),
    Kind("coordination.k8s.io/v1", "Lease", &COORDINATION_V1_LEASE),
    Kind("coordination.k8s.io/v1", "LeaseList", &COORDINATION_V1_LEASE_LIST),
    Kind("discovery.k8s.io/v1", "EndpointSlice", &DISCOVERY_V1_ENDPOINT_SLICE),
    Kind("discovery.k8s.io/v1", "EndpointSliceList", &DISCOVERY_V1_ENDPOINT_SLICE_LIST),
    Kind("events.k8s.io/v1", "Event", &EVENTS_V1_EVENT),
    Kind("events.k8s.io/v1", "EventList", &EVENTS_V1_EVENT_LIST),
    Kind("meta.k8s.io/v1", "APIGroup", &META_V1_API_GROUP),
    Kind("meta.k8s.io/v1", "APIGroupList", &META_V1_API_GROUP_LIST),
    Kind("meta.k8s.io/v1", "APIResourceList", &META_V1_API_RESOURCE_LIST),
    Kind("meta.k8s.io/v1", "APIVersions", &META_V1_API_VERSIONS),
    Kind("meta.k8s.io/v1", "CreateOptions", &META_V1_CREATE_OPTIONS),
    Kind("meta.k8s.io/v1", "DeleteOptions", &META_V1_DELETE_OPTIONS),
    Kind("meta.k8s.io/v1", "GetOptions", &META_V1_GET_OPTIONS),
    Kind("meta.k8s.io/v1", "ListOptions", &META_V1_LIST_OPTIONS),
    Kind("meta.k8s.io/v1", "PartialObjectMetadata", &META_V1_PARTIAL_OBJECT_METADATA),
    Kind("meta.k8s.io/v1", "PartialObjectMetadataList", &META_V1_PARTIAL_OBJECT_METADATA_LIST),
    Kind("meta.k8s.io/v1", "PatchOptions", &META_V1_PATCH_OPTIONS),
    Kind("meta.k8s.io/v1", "Status", &META_V1_STATUS),
    Kind("meta.k8s.io/v1", "UpdateOptions", &META_V1_UPDATE_OPTIONS),
    Kind("meta.k8s.io/v1", "WatchEvent", &META_V1_WATCH_EVENT),
    Kind("networking.k8s.io/v1", "IPAddress", &NETWORKING_V1_IP_ADDRESS),
    Kind("networking.k8s.io/v1", "IPAddressList", &NETWORKING_V1_IP_ADDRESS_LIST),
    Kind("networking.k8s.io/v1", "Ingress", &NETWORKING_V1_INGRESS),
    Kind("networking.k8s.io/v1", "IngressClass", &NETWORKING_V1_INGRESS_CLASS),
    Kind("networking.k8s.io/v1", "IngressClassList", &NETWORKING_V1_INGRESS_CLASS_LIST),
    Kind("networking.k8s.io/v1", "IngressList", &NETWORKING_V1_INGRESS_LIST),
    Kind("networking.k8s.io/v1", "NetworkPolicy", &NETWORKING_V1_NETWORK_POLICY),
    Kind("networking.k8s.io/v1", "NetworkPolicyList", &NETWORKING_V1_NETWORK_POLICY_LIST),
    Kind("networking.k8s.io/v1", "ServiceCIDR", &NETWORKING_V1_SERVICE_CIDR),
    Kind("networking.k8s.io/v1", "ServiceCIDRList", &NETWORKING_V1_SERVICE_CIDR_LIST),
    Kind("node.k8s.io/v1", "RuntimeClass", &NODE_V1_RUNTIME_CLASS),
    Kind("node.k8s.io/v1", "RuntimeClassList", &NODE_V1_RUNTIME_CLASS_LIST),
    Kind("policy/v1", "Eviction", &POLICY_V1_EVICTION),
    Kind("policy/v1", "PodDisruptionBudget", &POLICY_V1_POD_DISRUPTION_BUDGET),
    Kind("policy/v1", "PodDisruptionBudgetList", &POLICY_V1_POD_DISRUPTION_BUDGET_LIST),
    Kind("rbac.authorization.k8s.io/v1", "ClusterRole", &RBAC_V1_CLUSTER_ROLE),
    Kind("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", &RBAC_V1_CLUSTER_ROLE_BINDING),
    Kind("rbac.authorization.k8s.io/v1", "ClusterRoleBindingList", &RBAC_V1_CLUSTER_ROLE_BINDING_LIST),
    Kind("rbac.authorization.k8s.io/v1", "ClusterRoleList", &RBAC_V1_CLUSTER_ROLE_LIST),
    Kind("rbac.authorization.k8s.io/v1", "Role", &RBAC_V1_ROLE),
    Kind("rbac.authorization.k8s.io/v1", "RoleBinding", &RBAC_V1_ROLE_BINDING),
    Kind("rbac.authorization.k8s.io/v1", "RoleBindingList", &RBAC_V1_ROLE_BINDING_LIST),
    Kind("rbac.authorization.k8s.io/v1", "RoleList", &RBAC_V1_ROLE_LIST),
    Kind("scheduling.k8s.io/v1", "PriorityClass", &SCHEDULING_V1_PRIORITY_CLASS),
    Kind("scheduling.k8s.io/v1", "PriorityClassList", &SCHEDULING_V1_PRIORITY_CLASS_LIST),
    Kind("storage.k8s.io/v1", "CSIDriver", &STORAGE_V1_CSI_DRIVER),
    Kind("storage.k8s.io/v1", "CSIDriverList", &STORAGE_V1_CSI_DRIVER_LIST),
    Kind("storage.k8s.io/v1", "CSINode", &STORAGE_V1_CSI_NODE),
    Kind("storage.k8s.io/v1", "CSINodeList", &STORAGE_V1_CSI_NODE_LIST),
    Kind("storage.k8s.io/v1", "CSIStorageCapacity", &STORAGE_V1_CSI_STORAGE_CAPACITY),
    Kind("storage.k8s.io/v1", "CSIStorageCapacityList", &STORAGE_V1_CSI_STORAGE_CAPACITY_LIST),
    Kind("storage.k8s.io/v1", "StorageClass", &STORAGE_V1_STORAGE_CLASS),
    Kind("storage.k8s.io/v1", "StorageClassList", &STORAGE_V1_STORAGE_CLASS_LIST),
    Kind("storage.k8s.io/v1", "VolumeAttachment", &STORAGE_V1_VOLUME_ATTACHMENT),
    Kind("storage.k8s.io/v1", "VolumeAttachmentList", &STORAGE_V1_VOLUME_ATTACHMENT_LIST),
    Kind("storage.k8s.io/v1", "VolumeAttributesClass", &STORAGE_V1_VOLUME_ATTRIBUTES_CLASS),
    Kind("storage.k8s.io/v1", "VolumeAttributesClassList", &STORAGE_V1_VOLUME_ATTRIBUTES_CLASS_LIST),
    Kind("v1", "APIGroup", &META_V1_API_GROUP),
    Kind("v1", "APIGroupList", &META_V1_API_GROUP_LIST),
    Kind("v1", "APIResourceList", &META_V1_API_RESOURCE_LIST),
    Kind("v1", "APIVersions", &META_V1_API_VERSIONS),
    Kind("v1", "Binding", &CORE_V1_BINDING),
    Kind("v1", "ComponentStatus", &CORE_V1_COMPONENT_STATUS),
    Kind("v1", "ComponentStatusList", &CORE_V1_COMPONENT_STATUS_LIST),
    Kind("v1", "ConfigMap", &CORE_V1_CONFIG_MAP),
    Kind("v1", "ConfigMapList", &CORE_V1_CONFIG_MAP_LIST),
    Kind("v1", "Endpoints", &CORE_V1_ENDPOINTS),
    Kind("v1", "EndpointsList", &CORE_V1_ENDPOINTS_LIST),
    Kind("v1", "Event", &CORE_V1_EVENT),
    Kind("v1", "EventList", &CORE_V1_EVENT_LIST),
    Kind("v1", "LimitRange", &CORE_V1_LIMIT_RANGE),
    Kind("v1", "LimitRangeList", &CORE_V1_LIMIT_RANGE_LIST),
    Kind("v1", "Namespace", &CORE_V1_NAMESPACE),
    Kind("v1", "NamespaceList", &CORE_V1_NAMESPACE_LIST),
    Kind("v1", "Node", &CORE_V1_NODE),
    Kind("v1", "NodeList", &CORE_V1_NODE_LIST),
    Kind("v1", "PersistentVolume", &CORE_V1_PERSISTENT_VOLUME),
    Kind("v1", "PersistentVolumeClaim", &CORE_V1_PERSISTENT_VOLUME_CLAIM),
    Kind("v1", "PersistentVolumeClaimList", &CORE_V1_PERSISTENT_VOLUME_CLAIM_LIST),
    Kind("v1", "PersistentVolumeList", &CORE_V1_PERSISTENT_VOLUME_LIST),
    Kind("v1", "Pod", &CORE_V1_POD),
    Kind("v1", "PodList", &CORE_V1_POD_LIST),
    Kind("v1", "PodTemplate", &CORE_V1_POD_TEMPLATE),
    Kind("v1", "PodTemplateList", &CORE_V1_POD_TEMPLATE_LIST),
    Kind("v1", "ReplicationController", &CORE_V1_REPLICATION_CONTROLLER),
    Kind("v1", "ReplicationControllerList", &CORE_V1_REPLICATION_CONTROLLER_LIST),
    Kind("v1", "ResourceQuota", &CORE_V1_RESOURCE_QUOTA),
    Kind("v1", "ResourceQuotaList", &CORE_V1_RESOURCE_QUOTA_LIST),
    Kind("v1", "Secret", &CORE_V1_SECRET),
    Kind("v1", "SecretList", &CORE_V1_SECRET_LIST),
    Kind("v1", "Service", &CORE_V1_SERVICE),
    Kind("v1", "ServiceAccount", &CORE_V1_SERVICE_ACCOUNT),
    Kind("v1", "ServiceAccountList", &CORE_V1_SERVICE_ACCOUNT_LIST),
    Kind("v1", "ServiceList", &CORE_V1_SERVICE_LIST),
    Kind("v1", "Status", &META_V1_STATUS),
];

pub(crate) static ADMISSIONREGISTRATION_V1_AUDIT_ANNOTATION: Message = Message { name: "admissionregistration.v1.AuditAnnotation", special: Plain, fields: &[
    Field(1, "key", Str, Keep), Field(2, "valueExpression", Str, Keep),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_EXPRESSION_WARNING: Message = Message { name: "admissionregistration.v1.ExpressionWarning", special: Plain, fields: &[
    Field(2, "fieldRef", Str, Keep), Field(3, "warning", Str, Keep),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_MATCH_CONDITION: Message = Message { name: "admissionregistration.v1.MatchCondition", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "expression", Str, Keep),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_MATCH_RESOURCES: Message = Message { name: "admissionregistration.v1.MatchResources", special: Plain, fields: &[
    Field(1, "namespaceSelector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(2, "objectSelector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(3, "resourceRules", Msg(&ADMISSIONREGISTRATION_V1_NAMED_RULE_WITH_OPERATIONS), List),
    Field(4, "excludeResourceRules", Msg(&ADMISSIONREGISTRATION_V1_NAMED_RULE_WITH_OPERATIONS), List),
    Field(7, "matchPolicy", Str, Omit),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_MUTATING_WEBHOOK: Message = Message { name: "admissionregistration.v1.MutatingWebhook", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "clientConfig", Msg(&ADMISSIONREGISTRATION_V1_WEBHOOK_CLIENT_CONFIG), Keep),
    Field(3, "rules", Msg(&ADMISSIONREGISTRATION_V1_RULE_WITH_OPERATIONS), List), Field(4, "failurePolicy", Str, Omit),
    Field(5, "namespaceSelector", Msg(&META_V1_LABEL_SELECTOR), Keep), Field(6, "sideEffects", Str, Keep),
    Field(7, "timeoutSeconds", I32, Keep), Field(8, "admissionReviewVersions", Str, List),
    Field(9, "matchPolicy", Str, Omit), Field(10, "reinvocationPolicy", Str, Omit),
    Field(11, "objectSelector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(12, "matchConditions", Msg(&ADMISSIONREGISTRATION_V1_MATCH_CONDITION), List),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_MUTATING_WEBHOOK_CONFIGURATION: Message = Message { name: "admissionregistration.v1.MutatingWebhookConfiguration", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "webhooks", Msg(&ADMISSIONREGISTRATION_V1_MUTATING_WEBHOOK), List),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_MUTATING_WEBHOOK_CONFIGURATION_LIST: Message = Message { name: "admissionregistration.v1.MutatingWebhookConfigurationList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep),
    Field(2, "items", Msg(&ADMISSIONREGISTRATION_V1_MUTATING_WEBHOOK_CONFIGURATION), List),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_NAMED_RULE_WITH_OPERATIONS: Message = Message { name: "admissionregistration.v1.NamedRuleWithOperations", special: Plain, fields: &[
    Field(1, "resourceNames", Str, List), Field(2, "", Msg(&ADMISSIONREGISTRATION_V1_RULE_WITH_OPERATIONS), Inline),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_PARAM_KIND: Message = Message { name: "admissionregistration.v1.ParamKind", special: Plain, fields: &[
    Field(1, "apiVersion", Str, Omit), Field(2, "kind", Str, Omit),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_PARAM_REF: Message = Message { name: "admissionregistration.v1.ParamRef", special: Plain, fields: &[
    Field(1, "name", Str, Omit), Field(2, "namespace", Str, Omit),
    Field(3, "selector", Msg(&META_V1_LABEL_SELECTOR), Keep), Field(4, "parameterNotFoundAction", Str, Omit),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_RULE: Message = Message { name: "admissionregistration.v1.Rule", special: Plain, fields: &[
    Field(1, "apiGroups", Str, List), Field(2, "apiVersions", Str, List), Field(3, "resources", Str, List),
    Field(4, "scope", Str, Omit),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_RULE_WITH_OPERATIONS: Message = Message { name: "admissionregistration.v1.RuleWithOperations", special: Plain, fields: &[
    Field(1, "operations", Str, List), Field(2, "", Msg(&ADMISSIONREGISTRATION_V1_RULE), Inline),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_SERVICE_REFERENCE: Message = Message { name: "admissionregistration.v1.ServiceReference", special: Plain, fields: &[
    Field(1, "namespace", Str, Keep), Field(2, "name", Str, Keep), Field(3, "path", Str, Omit),
    Field(4, "port", I32, Keep),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_TYPE_CHECKING: Message = Message { name: "admissionregistration.v1.TypeChecking", special: Plain, fields: &[
    Field(1, "expressionWarnings", Msg(&ADMISSIONREGISTRATION_V1_EXPRESSION_WARNING), List),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY: Message = Message { name: "admissionregistration.v1.ValidatingAdmissionPolicy", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_SPEC), Keep),
    Field(3, "status", Msg(&ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_STATUS), Keep),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_BINDING: Message = Message { name: "admissionregistration.v1.ValidatingAdmissionPolicyBinding", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_BINDING_SPEC), Keep),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_BINDING_LIST: Message = Message { name: "admissionregistration.v1.ValidatingAdmissionPolicyBindingList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep),
    Field(2, "items", Msg(&ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_BINDING), List),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_BINDING_SPEC: Message = Message { name: "admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec", special: Plain, fields: &[
    Field(1, "policyName", Str, Keep), Field(2, "paramRef", Msg(&ADMISSIONREGISTRATION_V1_PARAM_REF), Keep),
    Field(3, "matchResources", Msg(&ADMISSIONREGISTRATION_V1_MATCH_RESOURCES), Keep),
    Field(4, "validationActions", Str, List),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_LIST: Message = Message { name: "admissionregistration.v1.ValidatingAdmissionPolicyList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep),
    Field(2, "items", Msg(&ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY), List),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_SPEC: Message = Message { name: "admissionregistration.v1.ValidatingAdmissionPolicySpec", special: Plain, fields: &[
    Field(1, "paramKind", Msg(&ADMISSIONREGISTRATION_V1_PARAM_KIND), Keep),
    Field(2, "matchConstraints", Msg(&ADMISSIONREGISTRATION_V1_MATCH_RESOURCES), Keep),
    Field(3, "validations", Msg(&ADMISSIONREGISTRATION_V1_VALIDATION), List), Field(4, "failurePolicy", Str, Omit),
    Field(5, "auditAnnotations", Msg(&ADMISSIONREGISTRATION_V1_AUDIT_ANNOTATION), List),
    Field(6, "matchConditions", Msg(&ADMISSIONREGISTRATION_V1_MATCH_CONDITION), List),
    Field(7, "variables", Msg(&ADMISSIONREGISTRATION_V1_VARIABLE), List),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_VALIDATING_ADMISSION_POLICY_STATUS: Message = Message { name: "admissionregistration.v1.ValidatingAdmissionPolicyStatus", special: Plain, fields: &[
    Field(1, "observedGeneration", I64, Keep),
    Field(2, "typeChecking", Msg(&ADMISSIONREGISTRATION_V1_TYPE_CHECKING), Keep),
    Field(3, "conditions", Msg(&META_V1_CONDITION), List),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_VALIDATING_WEBHOOK: Message = Message { name: "admissionregistration.v1.ValidatingWebhook", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "clientConfig", Msg(&ADMISSIONREGISTRATION_V1_WEBHOOK_CLIENT_CONFIG), Keep),
    Field(3, "rules", Msg(&ADMISSIONREGISTRATION_V1_RULE_WITH_OPERATIONS), List), Field(4, "failurePolicy", Str, Omit),
    Field(5, "namespaceSelector", Msg(&META_V1_LABEL_SELECTOR), Keep), Field(6, "sideEffects", Str, Keep),
    Field(7, "timeoutSeconds", I32, Keep), Field(8, "admissionReviewVersions", Str, List),
    Field(9, "matchPolicy", Str, Omit), Field(10, "objectSelector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(11, "matchConditions", Msg(&ADMISSIONREGISTRATION_V1_MATCH_CONDITION), List),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_VALIDATING_WEBHOOK_CONFIGURATION: Message = Message { name: "admissionregistration.v1.ValidatingWebhookConfiguration", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "webhooks", Msg(&ADMISSIONREGISTRATION_V1_VALIDATING_WEBHOOK), List),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_VALIDATING_WEBHOOK_CONFIGURATION_LIST: Message = Message { name: "admissionregistration.v1.ValidatingWebhookConfigurationList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep),
    Field(2, "items", Msg(&ADMISSIONREGISTRATION_V1_VALIDATING_WEBHOOK_CONFIGURATION), List),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_VALIDATION: Message = Message { name: "admissionregistration.v1.Validation", special: Plain, fields: &[
    Field(1, "expression", Str, Keep), Field(2, "message", Str, Omit), Field(3, "reason", Str, Omit),
    Field(4, "messageExpression", Str, Omit),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_VARIABLE: Message = Message { name: "admissionregistration.v1.Variable", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "expression", Str, Keep),
] };

pub(crate) static ADMISSIONREGISTRATION_V1_WEBHOOK_CLIENT_CONFIG: Message = Message { name: "admissionregistration.v1.WebhookClientConfig", special: Plain, fields: &[
    Field(1, "service", Msg(&ADMISSIONREGISTRATION_V1_SERVICE_REFERENCE), Keep), Field(2, "caBundle", Bytes, Omit),
    Field(3, "url", Str, Omit),
] };

pub(crate) static APIEXTENSIONS_V1_CUSTOM_RESOURCE_COLUMN_DEFINITION: Message = Message { name: "apiextensions.v1.CustomResourceColumnDefinition", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "type", Str, Keep), Field(3, "format", Str, Omit),
    Field(4, "description", Str, Omit), Field(5, "priority", I32, Omit), Field(6, "jsonPath", Str, Keep),
] };

pub(crate) static APIEXTENSIONS_V1_CUSTOM_RESOURCE_CONVERSION: Message = Message { name: "apiextensions.v1.CustomResourceConversion", special: Plain, fields: &[
    Field(1, "strategy", Str, Keep), Field(2, "webhook", Msg(&APIEXTENSIONS_V1_WEBHOOK_CONVERSION), Keep),
] };

pub(crate) static APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION: Message = Message { name: "apiextensions.v1.CustomResourceDefinition", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_SPEC), Keep),
    Field(3, "status", Msg(&APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_STATUS), Keep),
] };

pub(crate) static APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_CONDITION: Message = Message { name: "apiextensions.v1.CustomResourceDefinitionCondition", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "status", Str, Keep),
    Field(3, "lastTransitionTime", Msg(&META_V1_TIME), Keep), Field(4, "reason", Str, Omit),
    Field(5, "message", Str, Omit), Field(6, "observedGeneration", I64, Keep),
] };

pub(crate) static APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_LIST: Message = Message { name: "apiextensions.v1.CustomResourceDefinitionList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep),
    Field(2, "items", Msg(&APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION), List),
] };

pub(crate) static APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_NAMES: Message = Message { name: "apiextensions.v1.CustomResourceDefinitionNames", special: Plain, fields: &[
    Field(1, "plural", Str, Keep), Field(2, "singular", Str, Omit), Field(3, "shortNames", Str, List),
    Field(4, "kind", Str, Keep), Field(5, "listKind", Str, Omit), Field(6, "categories", Str, List),
] };

pub(crate) static APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_SPEC: Message = Message { name: "apiextensions.v1.CustomResourceDefinitionSpec", special: Plain, fields: &[
    Field(1, "group", Str, Keep), Field(3, "names", Msg(&APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_NAMES), Keep),
    Field(4, "scope", Str, Keep), Field(7, "versions", Msg(&APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_VERSION), List),
    Field(9, "conversion", Msg(&APIEXTENSIONS_V1_CUSTOM_RESOURCE_CONVERSION), Keep),
    Field(10, "preserveUnknownFields", Bool, Omit),
] };

pub(crate) static APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_STATUS: Message = Message { name: "apiextensions.v1.CustomResourceDefinitionStatus", special: Plain, fields: &[
    Field(1, "conditions", Msg(&APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_CONDITION), List),
    Field(2, "acceptedNames", Msg(&APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_NAMES), Keep),
    Field(3, "storedVersions", Str, List), Field(4, "observedGeneration", I64, Keep),
] };

pub(crate) static APIEXTENSIONS_V1_CUSTOM_RESOURCE_DEFINITION_VERSION: Message = Message { name: "apiextensions.v1.CustomResourceDefinitionVersion", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "served", Bool, Keep), Field(3, "storage", Bool, Keep),
    Field(4, "schema", Msg(&APIEXTENSIONS_V1_CUSTOM_RESOURCE_VALIDATION), Keep),
    Field(5, "subresources", Msg(&APIEXTENSIONS_V1_CUSTOM_RESOURCE_SUBRESOURCES), Keep),
    Field(6, "additionalPrinterColumns", Msg(&APIEXTENSIONS_V1_CUSTOM_RESOURCE_COLUMN_DEFINITION), List),
    Field(7, "deprecated", Bool, Omit), Field(8, "deprecationWarning", Str, Omit),
    Field(9, "selectableFields", Msg(&APIEXTENSIONS_V1_SELECTABLE_FIELD), List),
] };

pub(crate) static APIEXTENSIONS_V1_CUSTOM_RESOURCE_SUBRESOURCES: Message = Message { name: "apiextensions.v1.CustomResourceSubresources", special: Plain, fields: &[
    Field(1, "status", Msg(&APIEXTENSIONS_V1_CUSTOM_RESOURCE_SUBRESOURCE_STATUS), Keep),
    Field(2, "scale", Msg(&APIEXTENSIONS_V1_CUSTOM_RESOURCE_SUBRESOURCE_SCALE), Keep),
] };

pub(crate) static APIEXTENSIONS_V1_CUSTOM_RESOURCE_SUBRESOURCE_SCALE: Message = Message { name: "apiextensions.v1.CustomResourceSubresourceScale", special: Plain, fields: &[
    Field(1, "specReplicasPath", Str, Keep), Field(2, "statusReplicasPath", Str, Keep),
    Field(3, "labelSelectorPath", Str, Omit),
] };

pub(crate) static APIEXTENSIONS_V1_CUSTOM_RESOURCE_SUBRESOURCE_STATUS: Message = Message { name: "apiextensions.v1.CustomResourceSubresourceStatus", special: Plain, fields: &[] };

pub(crate) static APIEXTENSIONS_V1_CUSTOM_RESOURCE_VALIDATION: Message = Message { name: "apiextensions.v1.CustomResourceValidation", special: Plain, fields: &[
    Field(1, "openAPIV3Schema", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS), Keep),
] };

pub(crate) static APIEXTENSIONS_V1_EXTERNAL_DOCUMENTATION: Message = Message { name: "apiextensions.v1.ExternalDocumentation", special: Plain, fields: &[
    Field(1, "description", Str, Omit), Field(2, "url", Str, Omit),
] };

pub(crate) static APIEXTENSIONS_V1_JSON: Message = Message { name: "apiextensions.v1.JSON", special: RawJson, fields: &[
    Field(1, "raw", Bytes, Omit),
] };

pub(crate) static APIEXTENSIONS_V1_JSON_SCHEMA_PROPS: Message = Message { name: "apiextensions.v1.JSONSchemaProps", special: Plain, fields: &[
    Field(1, "id", Str, Omit), Field(2, "$schema", Str, Omit), Field(3, "$ref", Str, Omit),
    Field(4, "description", Str, Omit), Field(5, "type", Str, Omit), Field(6, "format", Str, Omit),
    Field(7, "title", Str, Omit), Field(8, "default", Msg(&APIEXTENSIONS_V1_JSON), Keep),
    Field(9, "maximum", F64, Keep), Field(10, "exclusiveMaximum", Bool, Omit), Field(11, "minimum", F64, Keep),
    Field(12, "exclusiveMinimum", Bool, Omit), Field(13, "maxLength", I64, Keep), Field(14, "minLength", I64, Keep),
    Field(15, "pattern", Str, Omit), Field(16, "maxItems", I64, Keep), Field(17, "minItems", I64, Keep),
    Field(18, "uniqueItems", Bool, Omit), Field(19, "multipleOf", F64, Keep),
    Field(20, "enum", Msg(&APIEXTENSIONS_V1_JSON), List), Field(21, "maxProperties", I64, Keep),
    Field(22, "minProperties", I64, Keep), Field(23, "required", Str, List),
    Field(24, "items", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS_OR_ARRAY), Keep),
    Field(25, "allOf", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS), List),
    Field(26, "oneOf", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS), List),
    Field(27, "anyOf", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS), List),
    Field(28, "not", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS), Keep),
    Field(29, "properties", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS), Map),
    Field(30, "additionalProperties", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS_OR_BOOL), Keep),
    Field(31, "patternProperties", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS), Map),
    Field(32, "dependencies", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS_OR_STRING_ARRAY), Map),
    Field(33, "additionalItems", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS_OR_BOOL), Keep),
    Field(34, "definitions", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS), Map),
    Field(35, "externalDocs", Msg(&APIEXTENSIONS_V1_EXTERNAL_DOCUMENTATION), Keep),
    Field(36, "example", Msg(&APIEXTENSIONS_V1_JSON), Keep), Field(37, "nullable", Bool, Omit),
    Field(38, "x-kubernetes-preserve-unknown-fields", Bool, Keep),
    Field(39, "x-kubernetes-embedded-resource", Bool, Omit), Field(40, "x-kubernetes-int-or-string", Bool, Omit),
    Field(41, "x-kubernetes-list-map-keys", Str, List), Field(42, "x-kubernetes-list-type", Str, Omit),
    Field(43, "x-kubernetes-map-type", Str, Omit),
    Field(44, "x-kubernetes-validations", Msg(&APIEXTENSIONS_V1_VALIDATION_RULE), List),
] };

pub(crate) static APIEXTENSIONS_V1_JSON_SCHEMA_PROPS_OR_ARRAY: Message = Message { name: "apiextensions.v1.JsonSchemaPropsOrArray", special: SchemaOrArray, fields: &[
    Field(1, "schema", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS), Keep),
    Field(2, "jSonSchemas", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS), List),
] };

pub(crate) static APIEXTENSIONS_V1_JSON_SCHEMA_PROPS_OR_BOOL: Message = Message { name: "apiextensions.v1.JsonSchemaPropsOrBool", special: SchemaOrBool, fields: &[
    Field(1, "allows", Bool, Keep), Field(2, "schema", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS), Keep),
] };

pub(crate) static APIEXTENSIONS_V1_JSON_SCHEMA_PROPS_OR_STRING_ARRAY: Message = Message { name: "apiextensions.v1.JsonSchemaPropsOrStringArray", special: SchemaOrStringArray, fields: &[
    Field(1, "schema", Msg(&APIEXTENSIONS_V1_JSON_SCHEMA_PROPS), Keep), Field(2, "property", Str, List),
] };

pub(crate) static APIEXTENSIONS_V1_SELECTABLE_FIELD: Message = Message { name: "apiextensions.v1.SelectableField", special: Plain, fields: &[
    Field(1, "jsonPath", Str, Keep),
] };

pub(crate) static APIEXTENSIONS_V1_SERVICE_REFERENCE: Message = Message { name: "apiextensions.v1.ServiceReference", special: Plain, fields: &[
    Field(1, "namespace", Str, Keep), Field(2, "name", Str, Keep), Field(3, "path", Str, Omit),
    Field(4, "port", I32, Keep),
] };

pub(crate) static APIEXTENSIONS_V1_VALIDATION_RULE: Message = Message { name: "apiextensions.v1.ValidationRule", special: Plain, fields: &[
    Field(1, "rule", Str, Keep), Field(2, "message", Str, Omit), Field(3, "messageExpression", Str, Omit),
    Field(4, "reason", Str, Omit), Field(5, "fieldPath", Str, Omit), Field(6, "optionalOldSelf", Bool, Keep),
] };

pub(crate) static APIEXTENSIONS_V1_WEBHOOK_CLIENT_CONFIG: Message = Message { name: "apiextensions.v1.WebhookClientConfig", special: Plain, fields: &[
    Field(1, "service", Msg(&APIEXTENSIONS_V1_SERVICE_REFERENCE), Keep), Field(2, "caBundle", Bytes, Omit),
    Field(3, "url", Str, Omit),
] };

pub(crate) static APIEXTENSIONS_V1_WEBHOOK_CONVERSION: Message = Message { name: "apiextensions.v1.WebhookConversion", special: Plain, fields: &[
    Field(2, "clientConfig", Msg(&APIEXTENSIONS_V1_WEBHOOK_CLIENT_CONFIG), Keep),
    Field(3, "conversionReviewVersions", Str, List),
] };

pub(crate) static API_RESOURCE_QUANTITY: Message = Message { name: "api.resource.Quantity", special: Quantity, fields: &[
    Field(1, "string", Str, Omit),
] };

pub(crate) static APPS_V1_CONTROLLER_REVISION: Message = Message { name: "apps.v1.ControllerRevision", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "data", Msg(&RUNTIME_RAW_EXTENSION), Keep),
    Field(3, "revision", I64, Keep),
] };

pub(crate) static APPS_V1_CONTROLLER_REVISION_LIST: Message = Message { name: "apps.v1.ControllerRevisionList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&APPS_V1_CONTROLLER_REVISION), List),
] };

pub(crate) static APPS_V1_DAEMON_SET: Message = Message { name: "apps.v1.DaemonSet", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&APPS_V1_DAEMON_SET_SPEC), Keep),
    Field(3, "status", Msg(&APPS_V1_DAEMON_SET_STATUS), Keep),
] };

pub(crate) static APPS_V1_DAEMON_SET_CONDITION: Message = Message { name: "apps.v1.DaemonSetCondition", special: Plain, fields: &[
    Field(1, "type", Str, Omit), Field(2, "status", Str, Omit),
    Field(3, "lastTransitionTime", Msg(&META_V1_TIME), Keep), Field(4, "reason", Str, Omit),
    Field(5, "message", Str, Omit),
] };

pub(crate) static APPS_V1_DAEMON_SET_LIST: Message = Message { name: "apps.v1.DaemonSetList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&APPS_V1_DAEMON_SET), List),
] };

pub(crate) static APPS_V1_DAEMON_SET_SPEC: Message = Message { name: "apps.v1.DaemonSetSpec", special: Plain, fields: &[
    Field(1, "selector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(2, "template", Msg(&CORE_V1_POD_TEMPLATE_SPEC), Keep),
    Field(3, "updateStrategy", Msg(&APPS_V1_DAEMON_SET_UPDATE_STRATEGY), Keep), Field(4, "minReadySeconds", I32, Omit),
    Field(6, "revisionHistoryLimit", I32, Keep),
] };

pub(crate) static APPS_V1_DAEMON_SET_STATUS: Message = Message { name: "apps.v1.DaemonSetStatus", special: Plain, fields: &[
    Field(1, "currentNumberScheduled", I32, Keep), Field(2, "numberMisscheduled", I32, Keep),
    Field(3, "desiredNumberScheduled", I32, Keep), Field(4, "numberReady", I32, Keep),
    Field(5, "observedGeneration", I64, Omit), Field(6, "updatedNumberScheduled", I32, Omit),
    Field(7, "numberAvailable", I32, Omit), Field(8, "numberUnavailable", I32, Omit),
    Field(9, "collisionCount", I32, Keep), Field(10, "conditions", Msg(&APPS_V1_DAEMON_SET_CONDITION), List),
] };

pub(crate) static APPS_V1_DAEMON_SET_UPDATE_STRATEGY: Message = Message { name: "apps.v1.DaemonSetUpdateStrategy", special: Plain, fields: &[
    Field(1, "type", Str, Omit), Field(2, "rollingUpdate", Msg(&APPS_V1_ROLLING_UPDATE_DAEMON_SET), Keep),
] };

pub(crate) static APPS_V1_DEPLOYMENT: Message = Message { name: "apps.v1.Deployment", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&APPS_V1_DEPLOYMENT_SPEC), Keep),
    Field(3, "status", Msg(&APPS_V1_DEPLOYMENT_STATUS), Keep),
] };

pub(crate) static APPS_V1_DEPLOYMENT_CONDITION: Message = Message { name: "apps.v1.DeploymentCondition", special: Plain, fields: &[
    Field(1, "type", Str, Omit), Field(2, "status", Str, Omit), Field(4, "reason", Str, Omit),
    Field(5, "message", Str, Omit), Field(6, "lastUpdateTime", Msg(&META_V1_TIME), Keep),
    Field(7, "lastTransitionTime", Msg(&META_V1_TIME), Keep),
] };

pub(crate) static APPS_V1_DEPLOYMENT_LIST: Message = Message { name: "apps.v1.DeploymentList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&APPS_V1_DEPLOYMENT), List),
] };

pub(crate) static APPS_V1_DEPLOYMENT_SPEC: Message = Message { name: "apps.v1.DeploymentSpec", special: Plain, fields: &[
    Field(1, "replicas", I32, Keep), Field(2, "selector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(3, "template", Msg(&CORE_V1_POD_TEMPLATE_SPEC), Keep),
    Field(4, "strategy", Msg(&APPS_V1_DEPLOYMENT_STRATEGY), Keep), Field(5, "minReadySeconds", I32, Omit),
    Field(6, "revisionHistoryLimit", I32, Keep), Field(7, "paused", Bool, Omit),
    Field(9, "progressDeadlineSeconds", I32, Keep),
] };

pub(crate) static APPS_V1_DEPLOYMENT_STATUS: Message = Message { name: "apps.v1.DeploymentStatus", special: Plain, fields: &[
    Field(1, "observedGeneration", I64, Omit), Field(2, "replicas", I32, Omit), Field(3, "updatedReplicas", I32, Omit),
    Field(4, "availableReplicas", I32, Omit), Field(5, "unavailableReplicas", I32, Omit),
    Field(6, "conditions", Msg(&APPS_V1_DEPLOYMENT_CONDITION), List), Field(7, "readyReplicas", I32, Omit),
    Field(8, "collisionCount", I32, Keep), Field(9, "terminatingReplicas", I32, Keep),
] };

pub(crate) static APPS_V1_DEPLOYMENT_STRATEGY: Message = Message { name: "apps.v1.DeploymentStrategy", special: Plain, fields: &[
    Field(1, "type", Str, Omit), Field(2, "rollingUpdate", Msg(&APPS_V1_ROLLING_UPDATE_DEPLOYMENT), Keep),
] };

pub(crate) static APPS_V1_REPLICA_SET: Message = Message { name: "apps.v1.ReplicaSet", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&APPS_V1_REPLICA_SET_SPEC), Keep),
    Field(3, "status", Msg(&APPS_V1_REPLICA_SET_STATUS), Keep),
] };

pub(crate) static APPS_V1_REPLICA_SET_CONDITION: Message = Message { name: "apps.v1.ReplicaSetCondition", special: Plain, fields: &[
    Field(1, "type", Str, Omit), Field(2, "status", Str, Omit),
    Field(3, "lastTransitionTime", Msg(&META_V1_TIME), Keep), Field(4, "reason", Str, Omit),
    Field(5, "message", Str, Omit),
] };

pub(crate) static APPS_V1_REPLICA_SET_LIST: Message = Message { name: "apps.v1.ReplicaSetList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&APPS_V1_REPLICA_SET), List),
] };

pub(crate) static APPS_V1_REPLICA_SET_SPEC: Message = Message { name: "apps.v1.ReplicaSetSpec", special: Plain, fields: &[
    Field(1, "replicas", I32, Keep), Field(2, "selector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(3, "template", Msg(&CORE_V1_POD_TEMPLATE_SPEC), Keep), Field(4, "minReadySeconds", I32, Omit),
] };

pub(crate) static APPS_V1_REPLICA_SET_STATUS: Message = Message { name: "apps.v1.ReplicaSetStatus", special: Plain, fields: &[
    Field(1, "replicas", I32, Keep), Field(2, "fullyLabeledReplicas", I32, Omit),
    Field(3, "observedGeneration", I64, Omit), Field(4, "readyReplicas", I32, Omit),
    Field(5, "availableReplicas", I32, Omit), Field(6, "conditions", Msg(&APPS_V1_REPLICA_SET_CONDITION), List),
    Field(7, "terminatingReplicas", I32, Keep),
] };

pub(crate) static APPS_V1_ROLLING_UPDATE_DAEMON_SET: Message = Message { name: "apps.v1.RollingUpdateDaemonSet", special: Plain, fields: &[
    Field(1, "maxUnavailable", Msg(&UTIL_INTSTR_INT_OR_STRING), Keep),
    Field(2, "maxSurge", Msg(&UTIL_INTSTR_INT_OR_STRING), Keep),
] };

pub(crate) static APPS_V1_ROLLING_UPDATE_DEPLOYMENT: Message = Message { name: "apps.v1.RollingUpdateDeployment", special: Plain, fields: &[
    Field(1, "maxUnavailable", Msg(&UTIL_INTSTR_INT_OR_STRING), Keep),
    Field(2, "maxSurge", Msg(&UTIL_INTSTR_INT_OR_STRING), Keep),
] };

pub(crate) static APPS_V1_ROLLING_UPDATE_STATEFUL_SET_STRATEGY: Message = Message { name: "apps.v1.RollingUpdateStatefulSetStrategy", special: Plain, fields: &[
    Field(1, "partition", I32, Keep), Field(2, "maxUnavailable", Msg(&UTIL_INTSTR_INT_OR_STRING), Keep),
] };

pub(crate) static APPS_V1_STATEFUL_SET: Message = Message { name: "apps.v1.StatefulSet", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&APPS_V1_STATEFUL_SET_SPEC), Keep),
    Field(3, "status", Msg(&APPS_V1_STATEFUL_SET_STATUS), Keep),
] };

pub(crate) static APPS_V1_STATEFUL_SET_CONDITION: Message = Message { name: "apps.v1.StatefulSetCondition", special: Plain, fields: &[
    Field(1, "type", Str, Omit), Field(2, "status", Str, Omit),
    Field(3, "lastTransitionTime", Msg(&META_V1_TIME), Keep), Field(4, "reason", Str, Omit),
    Field(5, "message", Str, Omit),
] };

pub(crate) static APPS_V1_STATEFUL_SET_LIST: Message = Message { name: "apps.v1.StatefulSetList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&APPS_V1_STATEFUL_SET), List),
] };

pub(crate) static APPS_V1_STATEFUL_SET_ORDINALS: Message = Message { name: "apps.v1.StatefulSetOrdinals", special: Plain, fields: &[
    Field(1, "start", I32, Keep),
] };

pub(crate) static APPS_V1_STATEFUL_SET_PERSISTENT_VOLUME_CLAIM_RETENTION_POLICY: Message = Message { name: "apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy", special: Plain, fields: &[
    Field(1, "whenDeleted", Str, Omit), Field(2, "whenScaled", Str, Omit),
] };

pub(crate) static APPS_V1_STATEFUL_SET_SPEC: Message = Message { name: "apps.v1.StatefulSetSpec", special: Plain, fields: &[
    Field(1, "replicas", I32, Keep), Field(2, "selector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(3, "template", Msg(&CORE_V1_POD_TEMPLATE_SPEC), Keep),
    Field(4, "volumeClaimTemplates", Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM), List), Field(5, "serviceName", Str, Omit),
    Field(6, "podManagementPolicy", Str, Omit),
    Field(7, "updateStrategy", Msg(&APPS_V1_STATEFUL_SET_UPDATE_STRATEGY), Keep),
    Field(8, "revisionHistoryLimit", I32, Keep), Field(9, "minReadySeconds", I32, Omit),
    Field(10, "persistentVolumeClaimRetentionPolicy", Msg(&APPS_V1_STATEFUL_SET_PERSISTENT_VOLUME_CLAIM_RETENTION_POLICY), Keep),
    Field(11, "ordinals", Msg(&APPS_V1_STATEFUL_SET_ORDINALS), Keep),
] };

pub(crate) static APPS_V1_STATEFUL_SET_STATUS: Message = Message { name: "apps.v1.StatefulSetStatus", special: Plain, fields: &[
    Field(1, "observedGeneration", I64, Omit), Field(2, "replicas", I32, Keep), Field(3, "readyReplicas", I32, Omit),
    Field(4, "currentReplicas", I32, Omit), Field(5, "updatedReplicas", I32, Omit),
    Field(6, "currentRevision", Str, Omit), Field(7, "updateRevision", Str, Omit),
    Field(9, "collisionCount", I32, Keep), Field(10, "conditions", Msg(&APPS_V1_STATEFUL_SET_CONDITION), List),
    Field(11, "availableReplicas", I32, Keep),
] };

pub(crate) static APPS_V1_STATEFUL_SET_UPDATE_STRATEGY: Message = Message { name: "apps.v1.StatefulSetUpdateStrategy", special: Plain, fields: &[
    Field(1, "type", Str, Omit), Field(2, "rollingUpdate", Msg(&APPS_V1_ROLLING_UPDATE_STATEFUL_SET_STRATEGY), Keep),
] };

pub(crate) static AUTHENTICATION_V1_BOUND_OBJECT_REFERENCE: Message = Message { name: "authentication.v1.BoundObjectReference", special: Plain, fields: &[
    Field(1, "kind", Str, Omit), Field(2, "apiVersion", Str, Omit), Field(3, "name", Str, Omit),
    Field(4, "uid", Str, Omit),
] };

pub(crate) static AUTHENTICATION_V1_EXTRA_VALUE: Message = Message { name: "authentication.v1.ExtraValue", special: StringList, fields: &[
    Field(1, "items", Str, List),
] };

pub(crate) static AUTHENTICATION_V1_SELF_SUBJECT_REVIEW: Message = Message { name: "authentication.v1.SelfSubjectReview", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "status", Msg(&AUTHENTICATION_V1_SELF_SUBJECT_REVIEW_STATUS), Keep),
] };

pub(crate) static AUTHENTICATION_V1_SELF_SUBJECT_REVIEW_STATUS: Message = Message { name: "authentication.v1.SelfSubjectReviewStatus", special: Plain, fields: &[
    Field(1, "userInfo", Msg(&AUTHENTICATION_V1_USER_INFO), Keep),
] };

pub(crate) static AUTHENTICATION_V1_TOKEN_REQUEST: Message = Message { name: "authentication.v1.TokenRequest", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&AUTHENTICATION_V1_TOKEN_REQUEST_SPEC), Keep),
    Field(3, "status", Msg(&AUTHENTICATION_V1_TOKEN_REQUEST_STATUS), Keep),
] };

pub(crate) static AUTHENTICATION_V1_TOKEN_REQUEST_SPEC: Message = Message { name: "authentication.v1.TokenRequestSpec", special: Plain, fields: &[
    Field(1, "audiences", Str, List), Field(3, "boundObjectRef", Msg(&AUTHENTICATION_V1_BOUND_OBJECT_REFERENCE), Keep),
    Field(4, "expirationSeconds", I64, Keep),
] };

pub(crate) static AUTHENTICATION_V1_TOKEN_REQUEST_STATUS: Message = Message { name: "authentication.v1.TokenRequestStatus", special: Plain, fields: &[
    Field(1, "token", Str, Omit), Field(2, "expirationTimestamp", Msg(&META_V1_TIME), Keep),
] };

pub(crate) static AUTHENTICATION_V1_TOKEN_REVIEW: Message = Message { name: "authentication.v1.TokenReview", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&AUTHENTICATION_V1_TOKEN_REVIEW_SPEC), Keep),
    Field(3, "status", Msg(&AUTHENTICATION_V1_TOKEN_REVIEW_STATUS), Keep),
] };

pub(crate) static AUTHENTICATION_V1_TOKEN_REVIEW_SPEC: Message = Message { name: "authentication.v1.TokenReviewSpec", special: Plain, fields: &[
    Field(1, "token", Str, Keep), Field(2, "audiences", Str, List),
] };

pub(crate) static AUTHENTICATION_V1_TOKEN_REVIEW_STATUS: Message = Message { name: "authentication.v1.TokenReviewStatus", special: Plain, fields: &[
    Field(1, "authenticated", Bool, Omit), Field(2, "user", Msg(&AUTHENTICATION_V1_USER_INFO), Keep),
    Field(3, "error", Str, Omit), Field(4, "audiences", Str, List),
] };

pub(crate) static AUTHENTICATION_V1_USER_INFO: Message = Message { name: "authentication.v1.UserInfo", special: Plain, fields: &[
    Field(1, "username", Str, Omit), Field(2, "uid", Str, Omit), Field(3, "groups", Str, List),
    Field(4, "extra", Msg(&AUTHENTICATION_V1_EXTRA_VALUE), Map),
] };

pub(crate) static AUTHORIZATION_V1_EXTRA_VALUE: Message = Message { name: "authorization.v1.ExtraValue", special: StringList, fields: &[
    Field(1, "items", Str, List),
] };

pub(crate) static AUTHORIZATION_V1_FIELD_SELECTOR_ATTRIBUTES: Message = Message { name: "authorization.v1.FieldSelectorAttributes", special: Plain, fields: &[
    Field(1, "rawSelector", Str, Omit), Field(2, "requirements", Msg(&META_V1_FIELD_SELECTOR_REQUIREMENT), List),
] };

pub(crate) static AUTHORIZATION_V1_LABEL_SELECTOR_ATTRIBUTES: Message = Message { name: "authorization.v1.LabelSelectorAttributes", special: Plain, fields: &[
    Field(1, "rawSelector", Str, Omit), Field(2, "requirements", Msg(&META_V1_LABEL_SELECTOR_REQUIREMENT), List),
] };

pub(crate) static AUTHORIZATION_V1_LOCAL_SUBJECT_ACCESS_REVIEW: Message = Message { name: "authorization.v1.LocalSubjectAccessReview", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&AUTHORIZATION_V1_SUBJECT_ACCESS_REVIEW_SPEC), Keep),
    Field(3, "status", Msg(&AUTHORIZATION_V1_SUBJECT_ACCESS_REVIEW_STATUS), Keep),
] };

pub(crate) static AUTHORIZATION_V1_NON_RESOURCE_ATTRIBUTES: Message = Message { name: "authorization.v1.NonResourceAttributes", special: Plain, fields: &[
    Field(1, "path", Str, Omit), Field(2, "verb", Str, Omit),
] };

pub(crate) static AUTHORIZATION_V1_NON_RESOURCE_RULE: Message = Message { name: "authorization.v1.NonResourceRule", special: Plain, fields: &[
    Field(1, "verbs", Str, List), Field(2, "nonResourceURLs", Str, List),
] };

pub(crate) static AUTHORIZATION_V1_RESOURCE_ATTRIBUTES: Message = Message { name: "authorization.v1.ResourceAttributes", special: Plain, fields: &[
    Field(1, "namespace", Str, Omit), Field(2, "verb", Str, Omit), Field(3, "group", Str, Omit),
    Field(4, "version", Str, Omit), Field(5, "resource", Str, Omit), Field(6, "subresource", Str, Omit),
    Field(7, "name", Str, Omit), Field(8, "fieldSelector", Msg(&AUTHORIZATION_V1_FIELD_SELECTOR_ATTRIBUTES), Keep),
    Field(9, "labelSelector", Msg(&AUTHORIZATION_V1_LABEL_SELECTOR_ATTRIBUTES), Keep),
] };

pub(crate) static AUTHORIZATION_V1_RESOURCE_RULE: Message = Message { name: "authorization.v1.ResourceRule", special: Plain, fields: &[
    Field(1, "verbs", Str, List), Field(2, "apiGroups", Str, List), Field(3, "resources", Str, List),
    Field(4, "resourceNames", Str, List),
] };

pub(crate) static AUTHORIZATION_V1_SELF_SUBJECT_ACCESS_REVIEW: Message = Message { name: "authorization.v1.SelfSubjectAccessReview", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&AUTHORIZATION_V1_SELF_SUBJECT_ACCESS_REVIEW_SPEC), Keep),
    Field(3, "status", Msg(&AUTHORIZATION_V1_SUBJECT_ACCESS_REVIEW_STATUS), Keep),
] };

pub(crate) static AUTHORIZATION_V1_SELF_SUBJECT_ACCESS_REVIEW_SPEC: Message = Message { name: "authorization.v1.SelfSubjectAccessReviewSpec", special: Plain, fields: &[
    Field(1, "resourceAttributes", Msg(&AUTHORIZATION_V1_RESOURCE_ATTRIBUTES), Keep),
    Field(2, "nonResourceAttributes", Msg(&AUTHORIZATION_V1_NON_RESOURCE_ATTRIBUTES), Keep),
] };

pub(crate) static AUTHORIZATION_V1_SELF_SUBJECT_RULES_REVIEW: Message = Message { name: "authorization.v1.SelfSubjectRulesReview", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&AUTHORIZATION_V1_SELF_SUBJECT_RULES_REVIEW_SPEC), Keep),
    Field(3, "status", Msg(&AUTHORIZATION_V1_SUBJECT_RULES_REVIEW_STATUS), Keep),
] };

pub(crate) static AUTHORIZATION_V1_SELF_SUBJECT_RULES_REVIEW_SPEC: Message = Message { name: "authorization.v1.SelfSubjectRulesReviewSpec", special: Plain, fields: &[
    Field(1, "namespace", Str, Omit),
] };

pub(crate) static AUTHORIZATION_V1_SUBJECT_ACCESS_REVIEW: Message = Message { name: "authorization.v1.SubjectAccessReview", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&AUTHORIZATION_V1_SUBJECT_ACCESS_REVIEW_SPEC), Keep),
    Field(3, "status", Msg(&AUTHORIZATION_V1_SUBJECT_ACCESS_REVIEW_STATUS), Keep),
] };

pub(crate) static AUTHORIZATION_V1_SUBJECT_ACCESS_REVIEW_SPEC: Message = Message { name: "authorization.v1.SubjectAccessReviewSpec", special: Plain, fields: &[
    Field(1, "resourceAttributes", Msg(&AUTHORIZATION_V1_RESOURCE_ATTRIBUTES), Keep),
    Field(2, "nonResourceAttributes", Msg(&AUTHORIZATION_V1_NON_RESOURCE_ATTRIBUTES), Keep),
    Field(3, "user", Str, Omit), Field(4, "groups", Str, List),
    Field(5, "extra", Msg(&AUTHORIZATION_V1_EXTRA_VALUE), Map), Field(6, "uid", Str, Omit),
] };

pub(crate) static AUTHORIZATION_V1_SUBJECT_ACCESS_REVIEW_STATUS: Message = Message { name: "authorization.v1.SubjectAccessReviewStatus", special: Plain, fields: &[
    Field(1, "allowed", Bool, Keep), Field(2, "reason", Str, Omit), Field(3, "evaluationError", Str, Omit),
    Field(4, "denied", Bool, Omit),
] };

pub(crate) static AUTHORIZATION_V1_SUBJECT_RULES_REVIEW_STATUS: Message = Message { name: "authorization.v1.SubjectRulesReviewStatus", special: Plain, fields: &[
    Field(1, "resourceRules", Msg(&AUTHORIZATION_V1_RESOURCE_RULE), List),
    Field(2, "nonResourceRules", Msg(&AUTHORIZATION_V1_NON_RESOURCE_RULE), List), Field(3, "incomplete", Bool, Keep),
    Field(4, "evaluationError", Str, Omit),
] };

pub(crate) static AUTOSCALING_V1_CROSS_VERSION_OBJECT_REFERENCE: Message = Message { name: "autoscaling.v1.CrossVersionObjectReference", special: Plain, fields: &[
    Field(1, "kind", Str, Keep), Field(2, "name", Str, Keep), Field(3, "apiVersion", Str, Omit),
] };

pub(crate) static AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER: Message = Message { name: "autoscaling.v1.HorizontalPodAutoscaler", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER_SPEC), Keep),
    Field(3, "status", Msg(&AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER_STATUS), Keep),
] };

pub(crate) static AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER_LIST: Message = Message { name: "autoscaling.v1.HorizontalPodAutoscalerList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep),
    Field(2, "items", Msg(&AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER), List),
] };

pub(crate) static AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER_SPEC: Message = Message { name: "autoscaling.v1.HorizontalPodAutoscalerSpec", special: Plain, fields: &[
    Field(1, "scaleTargetRef", Msg(&AUTOSCALING_V1_CROSS_VERSION_OBJECT_REFERENCE), Keep),
    Field(2, "minReplicas", I32, Keep), Field(3, "maxReplicas", I32, Keep),
    Field(4, "targetCPUUtilizationPercentage", I32, Keep),
] };

pub(crate) static AUTOSCALING_V1_HORIZONTAL_POD_AUTOSCALER_STATUS: Message = Message { name: "autoscaling.v1.HorizontalPodAutoscalerStatus", special: Plain, fields: &[
    Field(1, "observedGeneration", I64, Keep), Field(2, "lastScaleTime", Msg(&META_V1_TIME), Keep),
    Field(3, "currentReplicas", I32, Keep), Field(4, "desiredReplicas", I32, Keep),
    Field(5, "currentCPUUtilizationPercentage", I32, Keep),
] };

pub(crate) static AUTOSCALING_V1_SCALE: Message = Message { name: "autoscaling.v1.Scale", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&AUTOSCALING_V1_SCALE_SPEC), Keep),
    Field(3, "status", Msg(&AUTOSCALING_V1_SCALE_STATUS), Keep),
] };

pub(crate) static AUTOSCALING_V1_SCALE_SPEC: Message = Message { name: "autoscaling.v1.ScaleSpec", special: Plain, fields: &[
    Field(1, "replicas", I32, Omit),
] };

pub(crate) static AUTOSCALING_V1_SCALE_STATUS: Message = Message { name: "autoscaling.v1.ScaleStatus", special: Plain, fields: &[
    Field(1, "replicas", I32, Keep), Field(2, "selector", Str, Omit),
] };

pub(crate) static AUTOSCALING_V2_CONTAINER_RESOURCE_METRIC_SOURCE: Message = Message { name: "autoscaling.v2.ContainerResourceMetricSource", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "target", Msg(&AUTOSCALING_V2_METRIC_TARGET), Keep),
    Field(3, "container", Str, Keep),
] };

pub(crate) static AUTOSCALING_V2_CONTAINER_RESOURCE_METRIC_STATUS: Message = Message { name: "autoscaling.v2.ContainerResourceMetricStatus", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "current", Msg(&AUTOSCALING_V2_METRIC_VALUE_STATUS), Keep),
    Field(3, "container", Str, Keep),
] };

pub(crate) static AUTOSCALING_V2_CROSS_VERSION_OBJECT_REFERENCE: Message = Message { name: "autoscaling.v2.CrossVersionObjectReference", special: Plain, fields: &[
    Field(1, "kind", Str, Keep), Field(2, "name", Str, Keep), Field(3, "apiVersion", Str, Omit),
] };

pub(crate) static AUTOSCALING_V2_EXTERNAL_METRIC_SOURCE: Message = Message { name: "autoscaling.v2.ExternalMetricSource", special: Plain, fields: &[
    Field(1, "metric", Msg(&AUTOSCALING_V2_METRIC_IDENTIFIER), Keep),
    Field(2, "target", Msg(&AUTOSCALING_V2_METRIC_TARGET), Keep),
] };

pub(crate) static AUTOSCALING_V2_EXTERNAL_METRIC_STATUS: Message = Message { name: "autoscaling.v2.ExternalMetricStatus", special: Plain, fields: &[
    Field(1, "metric", Msg(&AUTOSCALING_V2_METRIC_IDENTIFIER), Keep),
    Field(2, "current", Msg(&AUTOSCALING_V2_METRIC_VALUE_STATUS), Keep),
] };

pub(crate) static AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER: Message = Message { name: "autoscaling.v2.HorizontalPodAutoscaler", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_SPEC), Keep),
    Field(3, "status", Msg(&AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_STATUS), Keep),
] };

pub(crate) static AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_BEHAVIOR: Message = Message { name: "autoscaling.v2.HorizontalPodAutoscalerBehavior", special: Plain, fields: &[
    Field(1, "scaleUp", Msg(&AUTOSCALING_V2_HPA_SCALING_RULES), Keep),
    Field(2, "scaleDown", Msg(&AUTOSCALING_V2_HPA_SCALING_RULES), Keep),
] };

pub(crate) static AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_CONDITION: Message = Message { name: "autoscaling.v2.HorizontalPodAutoscalerCondition", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "status", Str, Keep),
    Field(3, "lastTransitionTime", Msg(&META_V1_TIME), Keep), Field(4, "reason", Str, Omit),
    Field(5, "message", Str, Omit),
] };

pub(crate) static AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_LIST: Message = Message { name: "autoscaling.v2.HorizontalPodAutoscalerList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep),
    Field(2, "items", Msg(&AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER), List),
] };

pub(crate) static AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_SPEC: Message = Message { name: "autoscaling.v2.HorizontalPodAutoscalerSpec", special: Plain, fields: &[
    Field(1, "scaleTargetRef", Msg(&AUTOSCALING_V2_CROSS_VERSION_OBJECT_REFERENCE), Keep),
    Field(2, "minReplicas", I32, Keep), Field(3, "maxReplicas", I32, Keep),
    Field(4, "metrics", Msg(&AUTOSCALING_V2_METRIC_SPEC), List),
    Field(5, "behavior", Msg(&AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_BEHAVIOR), Keep),
] };

pub(crate) static AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_STATUS: Message = Message { name: "autoscaling.v2.HorizontalPodAutoscalerStatus", special: Plain, fields: &[
    Field(1, "observedGeneration", I64, Keep), Field(2, "lastScaleTime", Msg(&META_V1_TIME), Keep),
    Field(3, "currentReplicas", I32, Omit), Field(4, "desiredReplicas", I32, Keep),
    Field(5, "currentMetrics", Msg(&AUTOSCALING_V2_METRIC_STATUS), List),
    Field(6, "conditions", Msg(&AUTOSCALING_V2_HORIZONTAL_POD_AUTOSCALER_CONDITION), List),
] };

pub(crate) static AUTOSCALING_V2_HPA_SCALING_POLICY: Message = Message { name: "autoscaling.v2.HPAScalingPolicy", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "value", I32, Keep), Field(3, "periodSeconds", I32, Keep),
] };

pub(crate) static AUTOSCALING_V2_HPA_SCALING_RULES: Message = Message { name: "autoscaling.v2.HPAScalingRules", special: Plain, fields: &[
    Field(1, "selectPolicy", Str, Omit), Field(2, "policies", Msg(&AUTOSCALING_V2_HPA_SCALING_POLICY), List),
    Field(3, "stabilizationWindowSeconds", I32, Keep), Field(4, "tolerance", Msg(&API_RESOURCE_QUANTITY), Keep),
] };

pub(crate) static AUTOSCALING_V2_METRIC_IDENTIFIER: Message = Message { name: "autoscaling.v2.MetricIdentifier", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "selector", Msg(&META_V1_LABEL_SELECTOR), Keep),
] };

pub(crate) static AUTOSCALING_V2_METRIC_SPEC: Message = Message { name: "autoscaling.v2.MetricSpec", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "object", Msg(&AUTOSCALING_V2_OBJECT_METRIC_SOURCE), Keep),
    Field(3, "pods", Msg(&AUTOSCALING_V2_PODS_METRIC_SOURCE), Keep),
    Field(4, "resource", Msg(&AUTOSCALING_V2_RESOURCE_METRIC_SOURCE), Keep),
    Field(5, "external", Msg(&AUTOSCALING_V2_EXTERNAL_METRIC_SOURCE), Keep),
    Field(7, "containerResource", Msg(&AUTOSCALING_V2_CONTAINER_RESOURCE_METRIC_SOURCE), Keep),
] };

pub(crate) static AUTOSCALING_V2_METRIC_STATUS: Message = Message { name: "autoscaling.v2.MetricStatus", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "object", Msg(&AUTOSCALING_V2_OBJECT_METRIC_STATUS), Keep),
    Field(3, "pods", Msg(&AUTOSCALING_V2_PODS_METRIC_STATUS), Keep),
    Field(4, "resource", Msg(&AUTOSCALING_V2_RESOURCE_METRIC_STATUS), Keep),
    Field(5, "external", Msg(&AUTOSCALING_V2_EXTERNAL_METRIC_STATUS), Keep),
    Field(7, "containerResource", Msg(&AUTOSCALING_V2_CONTAINER_RESOURCE_METRIC_STATUS), Keep),
] };

pub(crate) static AUTOSCALING_V2_METRIC_TARGET: Message = Message { name: "autoscaling.v2.MetricTarget", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "value", Msg(&API_RESOURCE_QUANTITY), Keep),
    Field(3, "averageValue", Msg(&API_RESOURCE_QUANTITY), Keep), Field(4, "averageUtilization", I32, Keep),
] };

pub(crate) static AUTOSCALING_V2_METRIC_VALUE_STATUS: Message = Message { name: "autoscaling.v2.MetricValueStatus", special: Plain, fields: &[
    Field(1, "value", Msg(&API_RESOURCE_QUANTITY), Keep), Field(2, "averageValue", Msg(&API_RESOURCE_QUANTITY), Keep),
    Field(3, "averageUtilization", I32, Keep),
] };

pub(crate) static AUTOSCALING_V2_OBJECT_METRIC_SOURCE: Message = Message { name: "autoscaling.v2.ObjectMetricSource", special: Plain, fields: &[
    Field(1, "describedObject", Msg(&AUTOSCALING_V2_CROSS_VERSION_OBJECT_REFERENCE), Keep),
    Field(2, "target", Msg(&AUTOSCALING_V2_METRIC_TARGET), Keep),
    Field(3, "metric", Msg(&AUTOSCALING_V2_METRIC_IDENTIFIER), Keep),
] };

pub(crate) static AUTOSCALING_V2_OBJECT_METRIC_STATUS: Message = Message { name: "autoscaling.v2.ObjectMetricStatus", special: Plain, fields: &[
    Field(1, "metric", Msg(&AUTOSCALING_V2_METRIC_IDENTIFIER), Keep),
    Field(2, "current", Msg(&AUTOSCALING_V2_METRIC_VALUE_STATUS), Keep),
    Field(3, "describedObject", Msg(&AUTOSCALING_V2_CROSS_VERSION_OBJECT_REFERENCE), Keep),
] };

pub(crate) static AUTOSCALING_V2_PODS_METRIC_SOURCE: Message = Message { name: "autoscaling.v2.PodsMetricSource", special: Plain, fields: &[
    Field(1, "metric", Msg(&AUTOSCALING_V2_METRIC_IDENTIFIER), Keep),
    Field(2, "target", Msg(&AUTOSCALING_V2_METRIC_TARGET), Keep),
] };

pub(crate) static AUTOSCALING_V2_PODS_METRIC_STATUS: Message = Message { name: "autoscaling.v2.PodsMetricStatus", special: Plain, fields: &[
    Field(1, "metric", Msg(&AUTOSCALING_V2_METRIC_IDENTIFIER), Keep),
    Field(2, "current", Msg(&AUTOSCALING_V2_METRIC_VALUE_STATUS), Keep),
] };

pub(crate) static AUTOSCALING_V2_RESOURCE_METRIC_SOURCE: Message = Message { name: "autoscaling.v2.ResourceMetricSource", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "target", Msg(&AUTOSCALING_V2_METRIC_TARGET), Keep),
] };

pub(crate) static AUTOSCALING_V2_RESOURCE_METRIC_STATUS: Message = Message { name: "autoscaling.v2.ResourceMetricStatus", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "current", Msg(&AUTOSCALING_V2_METRIC_VALUE_STATUS), Keep),
] };

pub(crate) static BATCH_V1_CRON_JOB: Message = Message { name: "batch.v1.CronJob", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&BATCH_V1_CRON_JOB_SPEC), Keep),
    Field(3, "status", Msg(&BATCH_V1_CRON_JOB_STATUS), Keep),
] };

pub(crate) static BATCH_V1_CRON_JOB_LIST: Message = Message { name: "batch.v1.CronJobList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&BATCH_V1_CRON_JOB), List),
] };

pub(crate) static BATCH_V1_CRON_JOB_SPEC: Message = Message { name: "batch.v1.CronJobSpec", special: Plain, fields: &[
    Field(1, "schedule", Str, Keep), Field(2, "startingDeadlineSeconds", I64, Keep),
    Field(3, "concurrencyPolicy", Str, Omit), Field(4, "suspend", Bool, Keep),
    Field(5, "jobTemplate", Msg(&BATCH_V1_JOB_TEMPLATE_SPEC), Keep), Field(6, "successfulJobsHistoryLimit", I32, Keep),
    Field(7, "failedJobsHistoryLimit", I32, Keep), Field(8, "timeZone", Str, Omit),
] };

pub(crate) static BATCH_V1_CRON_JOB_STATUS: Message = Message { name: "batch.v1.CronJobStatus", special: Plain, fields: &[
    Field(1, "active", Msg(&CORE_V1_OBJECT_REFERENCE), List), Field(4, "lastScheduleTime", Msg(&META_V1_TIME), Keep),
    Field(5, "lastSuccessfulTime", Msg(&META_V1_TIME), Keep),
] };

pub(crate) static BATCH_V1_JOB: Message = Message { name: "batch.v1.Job", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&BATCH_V1_JOB_SPEC), Keep),
    Field(3, "status", Msg(&BATCH_V1_JOB_STATUS), Keep),
] };

pub(crate) static BATCH_V1_JOB_CONDITION: Message = Message { name: "batch.v1.JobCondition", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "status", Str, Keep), Field(3, "lastProbeTime", Msg(&META_V1_TIME), Keep),
    Field(4, "lastTransitionTime", Msg(&META_V1_TIME), Keep), Field(5, "reason", Str, Omit),
    Field(6, "message", Str, Omit),
] };

pub(crate) static BATCH_V1_JOB_LIST: Message = Message { name: "batch.v1.JobList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&BATCH_V1_JOB), List),
] };

pub(crate) static BATCH_V1_JOB_SPEC: Message = Message { name: "batch.v1.JobSpec", special: Plain, fields: &[
    Field(1, "parallelism", I32, Keep), Field(2, "completions", I32, Keep),
    Field(3, "activeDeadlineSeconds", I64, Keep), Field(4, "selector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(5, "manualSelector", Bool, Keep), Field(6, "template", Msg(&CORE_V1_POD_TEMPLATE_SPEC), Keep),
    Field(7, "backoffLimit", I32, Keep), Field(8, "ttlSecondsAfterFinished", I32, Keep),
    Field(9, "completionMode", Str, Omit), Field(10, "suspend", Bool, Keep),
    Field(11, "podFailurePolicy", Msg(&BATCH_V1_POD_FAILURE_POLICY), Keep),
    Field(12, "backoffLimitPerIndex", I32, Keep), Field(13, "maxFailedIndexes", I32, Keep),
    Field(14, "podReplacementPolicy", Str, Omit), Field(15, "managedBy", Str, Omit),
    Field(16, "successPolicy", Msg(&BATCH_V1_SUCCESS_POLICY), Keep),
] };

pub(crate) static BATCH_V1_JOB_STATUS: Message = Message { name: "batch.v1.JobStatus", special: Plain, fields: &[
    Field(1, "conditions", Msg(&BATCH_V1_JOB_CONDITION), List), Field(2, "startTime", Msg(&META_V1_TIME), Keep),
    Field(3, "completionTime", Msg(&META_V1_TIME), Keep), Field(4, "active", I32, Omit),
    Field(5, "succeeded", I32, Omit), Field(6, "failed", I32, Omit), Field(7, "completedIndexes", Str, Omit),
    Field(8, "uncountedTerminatedPods", Msg(&BATCH_V1_UNCOUNTED_TERMINATED_PODS), Keep), Field(9, "ready", I32, Keep),
    Field(10, "failedIndexes", Str, Omit), Field(11, "terminating", I32, Keep),
] };

pub(crate) static BATCH_V1_JOB_TEMPLATE_SPEC: Message = Message { name: "batch.v1.JobTemplateSpec", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&BATCH_V1_JOB_SPEC), Keep),
] };

pub(crate) static BATCH_V1_POD_FAILURE_POLICY: Message = Message { name: "batch.v1.PodFailurePolicy", special: Plain, fields: &[
    Field(1, "rules", Msg(&BATCH_V1_POD_FAILURE_POLICY_RULE), List),
] };

pub(crate) static BATCH_V1_POD_FAILURE_POLICY_ON_EXIT_CODES_REQUIREMENT: Message = Message { name: "batch.v1.PodFailurePolicyOnExitCodesRequirement", special: Plain, fields: &[
    Field(1, "containerName", Str, Omit), Field(2, "operator", Str, Keep), Field(3, "values", I32, List),
] };

pub(crate) static BATCH_V1_POD_FAILURE_POLICY_ON_POD_CONDITIONS_PATTERN: Message = Message { name: "batch.v1.PodFailurePolicyOnPodConditionsPattern", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "status", Str, Omit),
] };

pub(crate) static BATCH_V1_POD_FAILURE_POLICY_RULE: Message = Message { name: "batch.v1.PodFailurePolicyRule", special: Plain, fields: &[
    Field(1, "action", Str, Keep),
    Field(2, "onExitCodes", Msg(&BATCH_V1_POD_FAILURE_POLICY_ON_EXIT_CODES_REQUIREMENT), Keep),
    Field(3, "onPodConditions", Msg(&BATCH_V1_POD_FAILURE_POLICY_ON_POD_CONDITIONS_PATTERN), List),
] };

pub(crate) static BATCH_V1_SUCCESS_POLICY: Message = Message { name: "batch.v1.SuccessPolicy", special: Plain, fields: &[
    Field(1, "rules", Msg(&BATCH_V1_SUCCESS_POLICY_RULE), List),
] };

pub(crate) static BATCH_V1_SUCCESS_POLICY_RULE: Message = Message { name: "batch.v1.SuccessPolicyRule", special: Plain, fields: &[
    Field(1, "succeededIndexes", Str, Omit), Field(2, "succeededCount", I32, Keep),
] };

pub(crate) static BATCH_V1_UNCOUNTED_TERMINATED_PODS: Message = Message { name: "batch.v1.UncountedTerminatedPods", special: Plain, fields: &[
    Field(1, "succeeded", Str, List), Field(2, "failed", Str, List),
] };

pub(crate) static CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST: Message = Message { name: "certificates.v1.CertificateSigningRequest", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST_SPEC), Keep),
    Field(3, "status", Msg(&CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST_STATUS), Keep),
] };

pub(crate) static CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST_CONDITION: Message = Message { name: "certificates.v1.CertificateSigningRequestCondition", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "reason", Str, Omit), Field(3, "message", Str, Omit),
    Field(4, "lastUpdateTime", Msg(&META_V1_TIME), Keep), Field(5, "lastTransitionTime", Msg(&META_V1_TIME), Keep),
    Field(6, "status", Str, Keep),
] };

pub(crate) static CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST_LIST: Message = Message { name: "certificates.v1.CertificateSigningRequestList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep),
    Field(2, "items", Msg(&CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST), List),
] };

pub(crate) static CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST_SPEC: Message = Message { name: "certificates.v1.CertificateSigningRequestSpec", special: Plain, fields: &[
    Field(1, "request", Bytes, Keep), Field(2, "username", Str, Omit), Field(3, "uid", Str, Omit),
    Field(4, "groups", Str, List), Field(5, "usages", Str, List),
    Field(6, "extra", Msg(&CERTIFICATES_V1_EXTRA_VALUE), Map), Field(7, "signerName", Str, Keep),
    Field(8, "expirationSeconds", I32, Keep),
] };

pub(crate) static CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST_STATUS: Message = Message { name: "certificates.v1.CertificateSigningRequestStatus", special: Plain, fields: &[
    Field(1, "conditions", Msg(&CERTIFICATES_V1_CERTIFICATE_SIGNING_REQUEST_CONDITION), List),
    Field(2, "certificate", Bytes, Omit),
] };

pub(crate) static CERTIFICATES_V1_EXTRA_VALUE: Message = Message { name: "certificates.v1.ExtraValue", special: StringList, fields: &[
    Field(1, "items", Str, List),
] };

pub(crate) static COORDINATION_V1_LEASE: Message = Message { name: "coordination.v1.Lease", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&COORDINATION_V1_LEASE_SPEC), Keep),
] };

pub(crate) static COORDINATION_V1_LEASE_LIST: Message = Message { name: "coordination.v1.LeaseList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&COORDINATION_V1_LEASE), List),
] };

pub(crate) static COORDINATION_V1_LEASE_SPEC: Message = Message { name: "coordination.v1.LeaseSpec", special: Plain, fields: &[
    Field(1, "holderIdentity", Str, Omit), Field(2, "leaseDurationSeconds", I32, Keep),
    Field(3, "acquireTime", Msg(&META_V1_MICRO_TIME), Keep), Field(4, "renewTime", Msg(&META_V1_MICRO_TIME), Keep),
    Field(5, "leaseTransitions", I32, Keep), Field(6, "strategy", Str, Omit), Field(7, "preferredHolder", Str, Omit),
] };

pub(crate) static CORE_V1_AFFINITY: Message = Message { name: "core.v1.Affinity", special: Plain, fields: &[
    Field(1, "nodeAffinity", Msg(&CORE_V1_NODE_AFFINITY), Keep),
    Field(2, "podAffinity", Msg(&CORE_V1_POD_AFFINITY), Keep),
    Field(3, "podAntiAffinity", Msg(&CORE_V1_POD_ANTI_AFFINITY), Keep),
] };

pub(crate) static CORE_V1_APP_ARMOR_PROFILE: Message = Message { name: "core.v1.AppArmorProfile", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "localhostProfile", Str, Omit),
] };

pub(crate) static CORE_V1_ATTACHED_VOLUME: Message = Message { name: "core.v1.AttachedVolume", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "devicePath", Str, Keep),
] };

pub(crate) static CORE_V1_AWS_ELASTIC_BLOCK_STORE_VOLUME_SOURCE: Message = Message { name: "core.v1.AWSElasticBlockStoreVolumeSource", special: Plain, fields: &[
    Field(1, "volumeID", Str, Keep), Field(2, "fsType", Str, Omit), Field(3, "partition", I32, Keep),
    Field(4, "readOnly", Bool, Omit),
] };

pub(crate) static CORE_V1_AZURE_DISK_VOLUME_SOURCE: Message = Message { name: "core.v1.AzureDiskVolumeSource", special: Plain, fields: &[
    Field(1, "diskName", Str, Keep), Field(2, "diskURI", Str, Keep), Field(3, "cachingMode", Str, Omit),
    Field(4, "fsType", Str, Omit), Field(5, "readOnly", Bool, Omit), Field(6, "kind", Str, Omit),
] };

pub(crate) static CORE_V1_AZURE_FILE_PERSISTENT_VOLUME_SOURCE: Message = Message { name: "core.v1.AzureFilePersistentVolumeSource", special: Plain, fields: &[
    Field(1, "secretName", Str, Keep), Field(2, "shareName", Str, Keep), Field(3, "readOnly", Bool, Omit),
    Field(4, "secretNamespace", Str, Omit),
] };

pub(crate) static CORE_V1_AZURE_FILE_VOLUME_SOURCE: Message = Message { name: "core.v1.AzureFileVolumeSource", special: Plain, fields: &[
    Field(1, "secretName", Str, Keep), Field(2, "shareName", Str, Keep), Field(3, "readOnly", Bool, Omit),
] };

pub(crate) static CORE_V1_BINDING: Message = Message { name: "core.v1.Binding", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "target", Msg(&CORE_V1_OBJECT_REFERENCE), Keep),
] };

pub(crate) static CORE_V1_CAPABILITIES: Message = Message { name: "core.v1.Capabilities", special: Plain, fields: &[
    Field(1, "add", Str, List), Field(2, "drop", Str, List),
] };

pub(crate) static CORE_V1_CEPH_FS_PERSISTENT_VOLUME_SOURCE: Message = Message { name: "core.v1.CephFSPersistentVolumeSource", special: Plain, fields: &[
    Field(1, "monitors", Str, List), Field(2, "path", Str, Omit), Field(3, "user", Str, Omit),
    Field(4, "secretFile", Str, Omit), Field(5, "secretRef", Msg(&CORE_V1_SECRET_REFERENCE), Keep),
    Field(6, "readOnly", Bool, Omit),
] };

pub(crate) static CORE_V1_CEPH_FS_VOLUME_SOURCE: Message = Message { name: "core.v1.CephFSVolumeSource", special: Plain, fields: &[
    Field(1, "monitors", Str, List), Field(2, "path", Str, Omit), Field(3, "user", Str, Omit),
    Field(4, "secretFile", Str, Omit), Field(5, "secretRef", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Keep),
    Field(6, "readOnly", Bool, Omit),
] };

pub(crate) static CORE_V1_CINDER_PERSISTENT_VOLUME_SOURCE: Message = Message { name: "core.v1.CinderPersistentVolumeSource", special: Plain, fields: &[
    Field(1, "volumeID", Str, Keep), Field(2, "fsType", Str, Omit), Field(3, "readOnly", Bool, Omit),
    Field(4, "secretRef", Msg(&CORE_V1_SECRET_REFERENCE), Keep),
] };

pub(crate) static CORE_V1_CINDER_VOLUME_SOURCE: Message = Message { name: "core.v1.CinderVolumeSource", special: Plain, fields: &[
    Field(1, "volumeID", Str, Keep), Field(2, "fsType", Str, Omit), Field(3, "readOnly", Bool, Omit),
    Field(4, "secretRef", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Keep),
] };

pub(crate) static CORE_V1_CLIENT_IP_CONFIG: Message = Message { name: "core.v1.ClientIPConfig", special: Plain, fields: &[
    Field(1, "timeoutSeconds", I32, Keep),
] };

pub(crate) static CORE_V1_CLUSTER_TRUST_BUNDLE_PROJECTION: Message = Message { name: "core.v1.ClusterTrustBundleProjection", special: Plain, fields: &[
    Field(1, "name", Str, Omit), Field(2, "signerName", Str, Omit),
    Field(3, "labelSelector", Msg(&META_V1_LABEL_SELECTOR), Keep), Field(4, "path", Str, Keep),
    Field(5, "optional", Bool, Keep),
] };

pub(crate) static CORE_V1_COMPONENT_CONDITION: Message = Message { name: "core.v1.ComponentCondition", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "status", Str, Keep), Field(3, "message", Str, Omit),
    Field(4, "error", Str, Omit),
] };

pub(crate) static CORE_V1_COMPONENT_STATUS: Message = Message { name: "core.v1.ComponentStatus", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "conditions", Msg(&CORE_V1_COMPONENT_CONDITION), List),
] };

pub(crate) static CORE_V1_COMPONENT_STATUS_LIST: Message = Message { name: "core.v1.ComponentStatusList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_COMPONENT_STATUS), List),
] };

pub(crate) static CORE_V1_CONFIG_MAP: Message = Message { name: "core.v1.ConfigMap", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "data", Str, Map),
    Field(3, "binaryData", Bytes, Map), Field(4, "immutable", Bool, Keep),
] };

pub(crate) static CORE_V1_CONFIG_MAP_ENV_SOURCE: Message = Message { name: "core.v1.ConfigMapEnvSource", special: Plain, fields: &[
    Field(1, "", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Inline), Field(2, "optional", Bool, Keep),
] };

pub(crate) static CORE_V1_CONFIG_MAP_KEY_SELECTOR: Message = Message { name: "core.v1.ConfigMapKeySelector", special: Plain, fields: &[
    Field(1, "", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Inline), Field(2, "key", Str, Keep),
    Field(3, "optional", Bool, Keep),
] };

pub(crate) static CORE_V1_CONFIG_MAP_LIST: Message = Message { name: "core.v1.ConfigMapList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_CONFIG_MAP), List),
] };

pub(crate) static CORE_V1_CONFIG_MAP_NODE_CONFIG_SOURCE: Message = Message { name: "core.v1.ConfigMapNodeConfigSource", special: Plain, fields: &[
    Field(1, "namespace", Str, Keep), Field(2, "name", Str, Keep), Field(3, "uid", Str, Omit),
    Field(4, "resourceVersion", Str, Omit), Field(5, "kubeletConfigKey", Str, Keep),
] };

pub(crate) static CORE_V1_CONFIG_MAP_PROJECTION: Message = Message { name: "core.v1.ConfigMapProjection", special: Plain, fields: &[
    Field(1, "", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Inline), Field(2, "items", Msg(&CORE_V1_KEY_TO_PATH), List),
    Field(4, "optional", Bool, Keep),
] };

pub(crate) static CORE_V1_CONFIG_MAP_VOLUME_SOURCE: Message = Message { name: "core.v1.ConfigMapVolumeSource", special: Plain, fields: &[
    Field(1, "", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Inline), Field(2, "items", Msg(&CORE_V1_KEY_TO_PATH), List),
    Field(3, "defaultMode", I32, Keep), Field(4, "optional", Bool, Keep),
] };

pub(crate) static CORE_V1_CONTAINER: Message = Message { name: "core.v1.Container", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "image", Str, Omit), Field(3, "command", Str, List),
    Field(4, "args", Str, List), Field(5, "workingDir", Str, Omit),
    Field(6, "ports", Msg(&CORE_V1_CONTAINER_PORT), List), Field(7, "env", Msg(&CORE_V1_ENV_VAR), List),
    Field(8, "resources", Msg(&CORE_V1_RESOURCE_REQUIREMENTS), Keep),
    Field(9, "volumeMounts", Msg(&CORE_V1_VOLUME_MOUNT), List), Field(10, "livenessProbe", Msg(&CORE_V1_PROBE), Keep),
    Field(11, "readinessProbe", Msg(&CORE_V1_PROBE), Keep), Field(12, "lifecycle", Msg(&CORE_V1_LIFECYCLE), Keep),
    Field(13, "terminationMessagePath", Str, Omit), Field(14, "imagePullPolicy", Str, Omit),
    Field(15, "securityContext", Msg(&CORE_V1_SECURITY_CONTEXT), Keep), Field(16, "stdin", Bool, Omit),
    Field(17, "stdinOnce", Bool, Omit), Field(18, "tty", Bool, Omit),
    Field(19, "envFrom", Msg(&CORE_V1_ENV_FROM_SOURCE), List), Field(20, "terminationMessagePolicy", Str, Omit),
    Field(21, "volumeDevices", Msg(&CORE_V1_VOLUME_DEVICE), List), Field(22, "startupProbe", Msg(&CORE_V1_PROBE), Keep),
    Field(23, "resizePolicy", Msg(&CORE_V1_CONTAINER_RESIZE_POLICY), List), Field(24, "restartPolicy", Str, Omit),
    Field(25, "restartPolicyRules", Msg(&CORE_V1_CONTAINER_RESTART_RULE), List),
] };

pub(crate) static CORE_V1_CONTAINER_EXTENDED_RESOURCE_REQUEST: Message = Message { name: "core.v1.ContainerExtendedResourceRequest", special: Plain, fields: &[
    Field(1, "containerName", Str, Keep), Field(2, "resourceName", Str, Keep), Field(3, "requestName", Str, Keep),
] };

pub(crate) static CORE_V1_CONTAINER_IMAGE: Message = Message { name: "core.v1.ContainerImage", special: Plain, fields: &[
    Field(1, "names", Str, List), Field(2, "sizeBytes", I64, Keep),
] };

pub(crate) static CORE_V1_CONTAINER_PORT: Message = Message { name: "core.v1.ContainerPort", special: Plain, fields: &[
    Field(1, "name", Str, Omit), Field(2, "hostPort", I32, Omit), Field(3, "containerPort", I32, Keep),
    Field(4, "protocol", Str, Omit), Field(5, "hostIP", Str, Omit),
] };

pub(crate) static CORE_V1_CONTAINER_RESIZE_POLICY: Message = Message { name: "core.v1.ContainerResizePolicy", special: Plain, fields: &[
    Field(1, "resourceName", Str, Keep), Field(2, "restartPolicy", Str, Keep),
] };

pub(crate) static CORE_V1_CONTAINER_RESTART_RULE: Message = Message { name: "core.v1.ContainerRestartRule", special: Plain, fields: &[
    Field(1, "action", Str, Keep), Field(2, "exitCodes", Msg(&CORE_V1_CONTAINER_RESTART_RULE_ON_EXIT_CODES), Keep),
] };

pub(crate) static CORE_V1_CONTAINER_RESTART_RULE_ON_EXIT_CODES: Message = Message { name: "core.v1.ContainerRestartRuleOnExitCodes", special: Plain, fields: &[
    Field(1, "operator", Str, Keep), Field(2, "values", I32, List),
] };

pub(crate) static CORE_V1_CONTAINER_STATE: Message = Message { name: "core.v1.ContainerState", special: Plain, fields: &[
    Field(1, "waiting", Msg(&CORE_V1_CONTAINER_STATE_WAITING), Keep),
    Field(2, "running", Msg(&CORE_V1_CONTAINER_STATE_RUNNING), Keep),
    Field(3, "terminated", Msg(&CORE_V1_CONTAINER_STATE_TERMINATED), Keep),
] };

pub(crate) static CORE_V1_CONTAINER_STATE_RUNNING: Message = Message { name: "core.v1.ContainerStateRunning", special: Plain, fields: &[
    Field(1, "startedAt", Msg(&META_V1_TIME), Keep),
] };

pub(crate) static CORE_V1_CONTAINER_STATE_TERMINATED: Message = Message { name: "core.v1.ContainerStateTerminated", special: Plain, fields: &[
    Field(1, "exitCode", I32, Keep), Field(2, "signal", I32, Keep), Field(3, "reason", Str, Omit),
    Field(4, "message", Str, Omit), Field(5, "startedAt", Msg(&META_V1_TIME), Keep),
    Field(6, "finishedAt", Msg(&META_V1_TIME), Keep), Field(7, "containerID", Str, Omit),
] };

pub(crate) static CORE_V1_CONTAINER_STATE_WAITING: Message = Message { name: "core.v1.ContainerStateWaiting", special: Plain, fields: &[
    Field(1, "reason", Str, Omit), Field(2, "message", Str, Omit),
] };

pub(crate) static CORE_V1_CONTAINER_STATUS: Message = Message { name: "core.v1.ContainerStatus", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "state", Msg(&CORE_V1_CONTAINER_STATE), Keep),
    Field(3, "lastState", Msg(&CORE_V1_CONTAINER_STATE), Keep), Field(4, "ready", Bool, Keep),
    Field(5, "restartCount", I32, Keep), Field(6, "image", Str, Keep), Field(7, "imageID", Str, Keep),
    Field(8, "containerID", Str, Omit), Field(9, "started", Bool, Keep),
    Field(10, "allocatedResources", Msg(&API_RESOURCE_QUANTITY), Map),
    Field(11, "resources", Msg(&CORE_V1_RESOURCE_REQUIREMENTS), Keep),
    Field(12, "volumeMounts", Msg(&CORE_V1_VOLUME_MOUNT_STATUS), List),
    Field(13, "user", Msg(&CORE_V1_CONTAINER_USER), Keep),
    Field(14, "allocatedResourcesStatus", Msg(&CORE_V1_RESOURCE_STATUS), List), Field(15, "stopSignal", Str, Omit),
] };

pub(crate) static CORE_V1_CONTAINER_USER: Message = Message { name: "core.v1.ContainerUser", special: Plain, fields: &[
    Field(1, "linux", Msg(&CORE_V1_LINUX_CONTAINER_USER), Keep),
] };

pub(crate) static CORE_V1_CSI_PERSISTENT_VOLUME_SOURCE: Message = Message { name: "core.v1.CSIPersistentVolumeSource", special: Plain, fields: &[
    Field(1, "driver", Str, Keep), Field(2, "volumeHandle", Str, Keep), Field(3, "readOnly", Bool, Omit),
    Field(4, "fsType", Str, Omit), Field(5, "volumeAttributes", Str, Map),
    Field(6, "controllerPublishSecretRef", Msg(&CORE_V1_SECRET_REFERENCE), Keep),
    Field(7, "nodeStageSecretRef", Msg(&CORE_V1_SECRET_REFERENCE), Keep),
    Field(8, "nodePublishSecretRef", Msg(&CORE_V1_SECRET_REFERENCE), Keep),
    Field(9, "controllerExpandSecretRef", Msg(&CORE_V1_SECRET_REFERENCE), Keep),
    Field(10, "nodeExpandSecretRef", Msg(&CORE_V1_SECRET_REFERENCE), Keep),
] };

pub(crate) static CORE_V1_CSI_VOLUME_SOURCE: Message = Message { name: "core.v1.CSIVolumeSource", special: Plain, fields: &[
    Field(1, "driver", Str, Keep), Field(2, "readOnly", Bool, Omit), Field(3, "fsType", Str, Omit),
    Field(4, "volumeAttributes", Str, Map),
    Field(5, "nodePublishSecretRef", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Keep),
] };

pub(crate) static CORE_V1_DAEMON_ENDPOINT: Message = Message { name: "core.v1.DaemonEndpoint", special: Plain, fields: &[
    Field(1, "Port", I32, Keep),
] };

pub(crate) static CORE_V1_DOWNWARD_API_PROJECTION: Message = Message { name: "core.v1.DownwardAPIProjection", special: Plain, fields: &[
    Field(1, "items", Msg(&CORE_V1_DOWNWARD_API_VOLUME_FILE), List),
] };

pub(crate) static CORE_V1_DOWNWARD_API_VOLUME_FILE: Message = Message { name: "core.v1.DownwardAPIVolumeFile", special: Plain, fields: &[
    Field(1, "path", Str, Keep), Field(2, "fieldRef", Msg(&CORE_V1_OBJECT_FIELD_SELECTOR), Keep),
    Field(3, "resourceFieldRef", Msg(&CORE_V1_RESOURCE_FIELD_SELECTOR), Keep), Field(4, "mode", I32, Keep),
] };

pub(crate) static CORE_V1_DOWNWARD_API_VOLUME_SOURCE: Message = Message { name: "core.v1.DownwardAPIVolumeSource", special: Plain, fields: &[
    Field(1, "items", Msg(&CORE_V1_DOWNWARD_API_VOLUME_FILE), List), Field(2, "defaultMode", I32, Keep),
] };

pub(crate) static CORE_V1_EMPTY_DIR_VOLUME_SOURCE: Message = Message { name: "core.v1.EmptyDirVolumeSource", special: Plain, fields: &[
    Field(1, "medium", Str, Omit), Field(2, "sizeLimit", Msg(&API_RESOURCE_QUANTITY), Keep),
] };

pub(crate) static CORE_V1_ENDPOINTS: Message = Message { name: "core.v1.Endpoints", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "subsets", Msg(&CORE_V1_ENDPOINT_SUBSET), List),
] };

pub(crate) static CORE_V1_ENDPOINTS_LIST: Message = Message { name: "core.v1.EndpointsList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_ENDPOINTS), List),
] };

pub(crate) static CORE_V1_ENDPOINT_ADDRESS: Message = Message { name: "core.v1.EndpointAddress", special: Plain, fields: &[
    Field(1, "ip", Str, Keep), Field(2, "targetRef", Msg(&CORE_V1_OBJECT_REFERENCE), Keep),
    Field(3, "hostname", Str, Omit), Field(4, "nodeName", Str, Omit),
] };

pub(crate) static CORE_V1_ENDPOINT_PORT: Message = Message { name: "core.v1.EndpointPort", special: Plain, fields: &[
    Field(1, "name", Str, Omit), Field(2, "port", I32, Keep), Field(3, "protocol", Str, Omit),
    Field(4, "appProtocol", Str, Omit),
] };

pub(crate) static CORE_V1_ENDPOINT_SUBSET: Message = Message { name: "core.v1.EndpointSubset", special: Plain, fields: &[
    Field(1, "addresses", Msg(&CORE_V1_ENDPOINT_ADDRESS), List),
    Field(2, "notReadyAddresses", Msg(&CORE_V1_ENDPOINT_ADDRESS), List),
    Field(3, "ports", Msg(&CORE_V1_ENDPOINT_PORT), List),
] };

pub(crate) static CORE_V1_ENV_FROM_SOURCE: Message = Message { name: "core.v1.EnvFromSource", special: Plain, fields: &[
    Field(1, "prefix", Str, Omit), Field(2, "configMapRef", Msg(&CORE_V1_CONFIG_MAP_ENV_SOURCE), Keep),
    Field(3, "secretRef", Msg(&CORE_V1_SECRET_ENV_SOURCE), Keep),
] };

pub(crate) static CORE_V1_ENV_VAR: Message = Message { name: "core.v1.EnvVar", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "value", Str, Omit),
    Field(3, "valueFrom", Msg(&CORE_V1_ENV_VAR_SOURCE), Keep),
] };

pub(crate) static CORE_V1_ENV_VAR_SOURCE: Message = Message { name: "core.v1.EnvVarSource", special: Plain, fields: &[
    Field(1, "fieldRef", Msg(&CORE_V1_OBJECT_FIELD_SELECTOR), Keep),
    Field(2, "resourceFieldRef", Msg(&CORE_V1_RESOURCE_FIELD_SELECTOR), Keep),
    Field(3, "configMapKeyRef", Msg(&CORE_V1_CONFIG_MAP_KEY_SELECTOR), Keep),
    Field(4, "secretKeyRef", Msg(&CORE_V1_SECRET_KEY_SELECTOR), Keep),
    Field(5, "fileKeyRef", Msg(&CORE_V1_FILE_KEY_SELECTOR), Keep),
] };

pub(crate) static CORE_V1_EPHEMERAL_CONTAINER: Message = Message { name: "core.v1.EphemeralContainer", special: Plain, fields: &[
    Field(1, "", Msg(&CORE_V1_EPHEMERAL_CONTAINER_COMMON), Inline), Field(2, "targetContainerName", Str, Omit),
] };

pub(crate) static CORE_V1_EPHEMERAL_CONTAINER_COMMON: Message = Message { name: "core.v1.EphemeralContainerCommon", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "image", Str, Omit), Field(3, "command", Str, List),
    Field(4, "args", Str, List), Field(5, "workingDir", Str, Omit),
    Field(6, "ports", Msg(&CORE_V1_CONTAINER_PORT), List), Field(7, "env", Msg(&CORE_V1_ENV_VAR), List),
    Field(8, "resources", Msg(&CORE_V1_RESOURCE_REQUIREMENTS), Keep),
    Field(9, "volumeMounts", Msg(&CORE_V1_VOLUME_MOUNT), List), Field(10, "livenessProbe", Msg(&CORE_V1_PROBE), Keep),
    Field(11, "readinessProbe", Msg(&CORE_V1_PROBE), Keep), Field(12, "lifecycle", Msg(&CORE_V1_LIFECYCLE), Keep),
    Field(13, "terminationMessagePath", Str, Omit), Field(14, "imagePullPolicy", Str, Omit),
    Field(15, "securityContext", Msg(&CORE_V1_SECURITY_CONTEXT), Keep), Field(16, "stdin", Bool, Omit),
    Field(17, "stdinOnce", Bool, Omit), Field(18, "tty", Bool, Omit),
    Field(19, "envFrom", Msg(&CORE_V1_ENV_FROM_SOURCE), List), Field(20, "terminationMessagePolicy", Str, Omit),
    Field(21, "volumeDevices", Msg(&CORE_V1_VOLUME_DEVICE), List), Field(22, "startupProbe", Msg(&CORE_V1_PROBE), Keep),
    Field(23, "resizePolicy", Msg(&CORE_V1_CONTAINER_RESIZE_POLICY), List), Field(24, "restartPolicy", Str, Omit),
    Field(25, "restartPolicyRules", Msg(&CORE_V1_CONTAINER_RESTART_RULE), List),
] };

pub(crate) static CORE_V1_EPHEMERAL_VOLUME_SOURCE: Message = Message { name: "core.v1.EphemeralVolumeSource", special: Plain, fields: &[
    Field(1, "volumeClaimTemplate", Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM_TEMPLATE), Keep),
] };

pub(crate) static CORE_V1_EVENT: Message = Message { name: "core.v1.Event", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "involvedObject", Msg(&CORE_V1_OBJECT_REFERENCE), Keep), Field(3, "reason", Str, Omit),
    Field(4, "message", Str, Omit), Field(5, "source", Msg(&CORE_V1_EVENT_SOURCE), Keep),
    Field(6, "firstTimestamp", Msg(&META_V1_TIME), Keep), Field(7, "lastTimestamp", Msg(&META_V1_TIME), Keep),
    Field(8, "count", I32, Omit), Field(9, "type", Str, Omit), Field(10, "eventTime", Msg(&META_V1_MICRO_TIME), Keep),
    Field(11, "series", Msg(&CORE_V1_EVENT_SERIES), Keep), Field(12, "action", Str, Omit),
    Field(13, "related", Msg(&CORE_V1_OBJECT_REFERENCE), Keep), Field(14, "reportingComponent", Str, Omit),
    Field(15, "reportingInstance", Str, Omit),
] };

pub(crate) static CORE_V1_EVENT_LIST: Message = Message { name: "core.v1.EventList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_EVENT), List),
] };

pub(crate) static CORE_V1_EVENT_SERIES: Message = Message { name: "core.v1.EventSeries", special: Plain, fields: &[
    Field(1, "count", I32, Keep), Field(2, "lastObservedTime", Msg(&META_V1_MICRO_TIME), Keep),
] };

pub(crate) static CORE_V1_EVENT_SOURCE: Message = Message { name: "core.v1.EventSource", special: Plain, fields: &[
    Field(1, "component", Str, Omit), Field(2, "host", Str, Omit),
] };

pub(crate) static CORE_V1_EXEC_ACTION: Message = Message { name: "core.v1.ExecAction", special: Plain, fields: &[
    Field(1, "command", Str, List),
] };

pub(crate) static CORE_V1_FC_VOLUME_SOURCE: Message = Message { name: "core.v1.FCVolumeSource", special: Plain, fields: &[
    Field(1, "targetWWNs", Str, List), Field(2, "lun", I32, Keep), Field(3, "fsType", Str, Omit),
    Field(4, "readOnly", Bool, Omit), Field(5, "wwids", Str, List),
] };

pub(crate) static CORE_V1_FILE_KEY_SELECTOR: Message = Message { name: "core.v1.FileKeySelector", special: Plain, fields: &[
    Field(1, "volumeName", Str, Keep), Field(2, "path", Str, Keep), Field(3, "key", Str, Keep),
    Field(4, "optional", Bool, Keep),
] };

pub(crate) static CORE_V1_FLEX_PERSISTENT_VOLUME_SOURCE: Message = Message { name: "core.v1.FlexPersistentVolumeSource", special: Plain, fields: &[
    Field(1, "driver", Str, Keep), Field(2, "fsType", Str, Omit),
    Field(3, "secretRef", Msg(&CORE_V1_SECRET_REFERENCE), Keep), Field(4, "readOnly", Bool, Omit),
    Field(5, "options", Str, Map),
] };

pub(crate) static CORE_V1_FLEX_VOLUME_SOURCE: Message = Message { name: "core.v1.FlexVolumeSource", special: Plain, fields: &[
    Field(1, "driver", Str, Keep), Field(2, "fsType", Str, Omit),
    Field(3, "secretRef", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Keep), Field(4, "readOnly", Bool, Omit),
    Field(5, "options", Str, Map),
] };

pub(crate) static CORE_V1_FLOCKER_VOLUME_SOURCE: Message = Message { name: "core.v1.FlockerVolumeSource", special: Plain, fields: &[
    Field(1, "datasetName", Str, Omit), Field(2, "datasetUUID", Str, Omit),
] };

pub(crate) static CORE_V1_GCE_PERSISTENT_DISK_VOLUME_SOURCE: Message = Message { name: "core.v1.GCEPersistentDiskVolumeSource", special: Plain, fields: &[
    Field(1, "pdName", Str, Keep), Field(2, "fsType", Str, Omit), Field(3, "partition", I32, Keep),
    Field(4, "readOnly", Bool, Omit),
] };

pub(crate) static CORE_V1_GIT_REPO_VOLUME_SOURCE: Message = Message { name: "core.v1.GitRepoVolumeSource", special: Plain, fields: &[
    Field(1, "repository", Str, Keep), Field(2, "revision", Str, Omit), Field(3, "directory", Str, Omit),
] };

pub(crate) static CORE_V1_GLUSTERFS_PERSISTENT_VOLUME_SOURCE: Message = Message { name: "core.v1.GlusterfsPersistentVolumeSource", special: Plain, fields: &[
    Field(1, "endpoints", Str, Keep), Field(2, "path", Str, Keep), Field(3, "readOnly", Bool, Omit),
    Field(4, "endpointsNamespace", Str, Omit),
] };

pub(crate) static CORE_V1_GLUSTERFS_VOLUME_SOURCE: Message = Message { name: "core.v1.GlusterfsVolumeSource", special: Plain, fields: &[
    Field(1, "endpoints", Str, Keep), Field(2, "path", Str, Keep), Field(3, "readOnly", Bool, Omit),
] };

pub(crate) static CORE_V1_GRPC_ACTION: Message = Message { name: "core.v1.GRPCAction", special: Plain, fields: &[
    Field(1, "port", I32, Keep), Field(2, "service", Str, Omit),
] };

pub(crate) static CORE_V1_HOST_ALIAS: Message = Message { name: "core.v1.HostAlias", special: Plain, fields: &[
    Field(1, "ip", Str, Keep), Field(2, "hostnames", Str, List),
] };

pub(crate) static CORE_V1_HOST_IP: Message = Message { name: "core.v1.HostIP", special: Plain, fields: &[
    Field(1, "ip", Str, Keep),
] };

pub(crate) static CORE_V1_HOST_PATH_VOLUME_SOURCE: Message = Message { name: "core.v1.HostPathVolumeSource", special: Plain, fields: &[
    Field(1, "path", Str, Keep), Field(2, "type", Str, Omit),
] };

pub(crate) static CORE_V1_HTTP_GET_ACTION: Message = Message { name: "core.v1.HTTPGetAction", special: Plain, fields: &[
    Field(1, "path", Str, Omit), Field(2, "port", Msg(&UTIL_INTSTR_INT_OR_STRING), Keep), Field(3, "host", Str, Omit),
    Field(4, "scheme", Str, Omit), Field(5, "httpHeaders", Msg(&CORE_V1_HTTP_HEADER), List),
] };

pub(crate) static CORE_V1_HTTP_HEADER: Message = Message { name: "core.v1.HTTPHeader", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "value", Str, Keep),
] };

pub(crate) static CORE_V1_IMAGE_VOLUME_SOURCE: Message = Message { name: "core.v1.ImageVolumeSource", special: Plain, fields: &[
    Field(1, "reference", Str, Omit), Field(2, "pullPolicy", Str, Omit),
] };

pub(crate) static CORE_V1_ISCSI_PERSISTENT_VOLUME_SOURCE: Message = Message { name: "core.v1.ISCSIPersistentVolumeSource", special: Plain, fields: &[
    Field(1, "targetPortal", Str, Keep), Field(2, "iqn", Str, Keep), Field(3, "lun", I32, Keep),
    Field(4, "iscsiInterface", Str, Omit), Field(5, "fsType", Str, Omit), Field(6, "readOnly", Bool, Omit),
    Field(7, "portals", Str, List), Field(8, "chapAuthDiscovery", Bool, Keep),
    Field(10, "secretRef", Msg(&CORE_V1_SECRET_REFERENCE), Keep), Field(11, "chapAuthSession", Bool, Keep),
    Field(12, "initiatorName", Str, Omit),
] };

pub(crate) static CORE_V1_ISCSI_VOLUME_SOURCE: Message = Message { name: "core.v1.ISCSIVolumeSource", special: Plain, fields: &[
    Field(1, "targetPortal", Str, Keep), Field(2, "iqn", Str, Keep), Field(3, "lun", I32, Keep),
    Field(4, "iscsiInterface", Str, Omit), Field(5, "fsType", Str, Omit), Field(6, "readOnly", Bool, Omit),
    Field(7, "portals", Str, List), Field(8, "chapAuthDiscovery", Bool, Keep),
    Field(10, "secretRef", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Keep), Field(11, "chapAuthSession", Bool, Keep),
    Field(12, "initiatorName", Str, Omit),
] };

pub(crate) static CORE_V1_KEY_TO_PATH: Message = Message { name: "core.v1.KeyToPath", special: Plain, fields: &[
    Field(1, "key", Str, Keep), Field(2, "path", Str, Keep), Field(3, "mode", I32, Keep),
] };

pub(crate) static CORE_V1_LIFECYCLE: Message = Message { name: "core.v1.Lifecycle", special: Plain, fields: &[
    Field(1, "postStart", Msg(&CORE_V1_LIFECYCLE_HANDLER), Keep),
    Field(2, "preStop", Msg(&CORE_V1_LIFECYCLE_HANDLER), Keep), Field(3, "stopSignal", Str, Omit),
] };

pub(crate) static CORE_V1_LIFECYCLE_HANDLER: Message = Message { name: "core.v1.LifecycleHandler", special: Plain, fields: &[
    Field(1, "exec", Msg(&CORE_V1_EXEC_ACTION), Keep), Field(2, "httpGet", Msg(&CORE_V1_HTTP_GET_ACTION), Keep),
    Field(3, "tcpSocket", Msg(&CORE_V1_TCP_SOCKET_ACTION), Keep), Field(4, "sleep", Msg(&CORE_V1_SLEEP_ACTION), Keep),
] };

pub(crate) static CORE_V1_LIMIT_RANGE: Message = Message { name: "core.v1.LimitRange", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&CORE_V1_LIMIT_RANGE_SPEC), Keep),
] };

pub(crate) static CORE_V1_LIMIT_RANGE_ITEM: Message = Message { name: "core.v1.LimitRangeItem", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "max", Msg(&API_RESOURCE_QUANTITY), Map),
    Field(3, "min", Msg(&API_RESOURCE_QUANTITY), Map), Field(4, "default", Msg(&API_RESOURCE_QUANTITY), Map),
    Field(5, "defaultRequest", Msg(&API_RESOURCE_QUANTITY), Map),
    Field(6, "maxLimitRequestRatio", Msg(&API_RESOURCE_QUANTITY), Map),
] };

pub(crate) static CORE_V1_LIMIT_RANGE_LIST: Message = Message { name: "core.v1.LimitRangeList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_LIMIT_RANGE), List),
] };

pub(crate) static CORE_V1_LIMIT_RANGE_SPEC: Message = Message { name: "core.v1.LimitRangeSpec", special: Plain, fields: &[
    Field(1, "limits", Msg(&CORE_V1_LIMIT_RANGE_ITEM), List),
] };

pub(crate) static CORE_V1_LINUX_CONTAINER_USER: Message = Message { name: "core.v1.LinuxContainerUser", special: Plain, fields: &[
    Field(1, "uid", I64, Keep), Field(2, "gid", I64, Keep), Field(3, "supplementalGroups", I64, List),
] };

pub(crate) static CORE_V1_LOAD_BALANCER_INGRESS: Message = Message { name: "core.v1.LoadBalancerIngress", special: Plain, fields: &[
    Field(1, "ip", Str, Omit), Field(2, "hostname", Str, Omit), Field(3, "ipMode", Str, Omit),
    Field(4, "ports", Msg(&CORE_V1_PORT_STATUS), List),
] };

pub(crate) static CORE_V1_LOAD_BALANCER_STATUS: Message = Message { name: "core.v1.LoadBalancerStatus", special: Plain, fields: &[
    Field(1, "ingress", Msg(&CORE_V1_LOAD_BALANCER_INGRESS), List),
] };

pub(crate) static CORE_V1_LOCAL_OBJECT_REFERENCE: Message = Message { name: "core.v1.LocalObjectReference", special: Plain, fields: &[
    Field(1, "name", Str, Keep),
] };

pub(crate) static CORE_V1_LOCAL_VOLUME_SOURCE: Message = Message { name: "core.v1.LocalVolumeSource", special: Plain, fields: &[
    Field(1, "path", Str, Keep), Field(2, "fsType", Str, Omit),
] };

pub(crate) static CORE_V1_MODIFY_VOLUME_STATUS: Message = Message { name: "core.v1.ModifyVolumeStatus", special: Plain, fields: &[
    Field(1, "targetVolumeAttributesClassName", Str, Omit), Field(2, "status", Str, Keep),
] };

pub(crate) static CORE_V1_NAMESPACE: Message = Message { name: "core.v1.Namespace", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&CORE_V1_NAMESPACE_SPEC), Keep),
    Field(3, "status", Msg(&CORE_V1_NAMESPACE_STATUS), Keep),
] };

pub(crate) static CORE_V1_NAMESPACE_CONDITION: Message = Message { name: "core.v1.NamespaceCondition", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "status", Str, Keep),
    Field(4, "lastTransitionTime", Msg(&META_V1_TIME), Keep), Field(5, "reason", Str, Omit),
    Field(6, "message", Str, Omit),
] };

pub(crate) static CORE_V1_NAMESPACE_LIST: Message = Message { name: "core.v1.NamespaceList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_NAMESPACE), List),
] };

pub(crate) static CORE_V1_NAMESPACE_SPEC: Message = Message { name: "core.v1.NamespaceSpec", special: Plain, fields: &[
    Field(1, "finalizers", Str, List),
] };

pub(crate) static CORE_V1_NAMESPACE_STATUS: Message = Message { name: "core.v1.NamespaceStatus", special: Plain, fields: &[
    Field(1, "phase", Str, Omit), Field(2, "conditions", Msg(&CORE_V1_NAMESPACE_CONDITION), List),
] };

pub(crate) static CORE_V1_NFS_VOLUME_SOURCE: Message = Message { name: "core.v1.NFSVolumeSource", special: Plain, fields: &[
    Field(1, "server", Str, Keep), Field(2, "path", Str, Keep), Field(3, "readOnly", Bool, Omit),
] };

pub(crate) static CORE_V1_NODE: Message = Message { name: "core.v1.Node", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&CORE_V1_NODE_SPEC), Keep),
    Field(3, "status", Msg(&CORE_V1_NODE_STATUS), Keep),
] };

pub(crate) static CORE_V1_NODE_ADDRESS: Message = Message { name: "core.v1.NodeAddress", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "address", Str, Keep),
] };

pub(crate) static CORE_V1_NODE_AFFINITY: Message = Message { name: "core.v1.NodeAffinity", special: Plain, fields: &[
    Field(1, "requiredDuringSchedulingIgnoredDuringExecution", Msg(&CORE_V1_NODE_SELECTOR), Keep),
    Field(2, "preferredDuringSchedulingIgnoredDuringExecution", Msg(&CORE_V1_PREFERRED_SCHEDULING_TERM), List),
] };

pub(crate) static CORE_V1_NODE_CONDITION: Message = Message { name: "core.v1.NodeCondition", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "status", Str, Keep), Field(3, "lastHeartbeatTime", Msg(&META_V1_TIME), Keep),
    Field(4, "lastTransitionTime", Msg(&META_V1_TIME), Keep), Field(5, "reason", Str, Omit),
    Field(6, "message", Str, Omit),
] };

pub(crate) static CORE_V1_NODE_CONFIG_SOURCE: Message = Message { name: "core.v1.NodeConfigSource", special: Plain, fields: &[
    Field(2, "configMap", Msg(&CORE_V1_CONFIG_MAP_NODE_CONFIG_SOURCE), Keep),
] };

pub(crate) static CORE_V1_NODE_CONFIG_STATUS: Message = Message { name: "core.v1.NodeConfigStatus", special: Plain, fields: &[
    Field(1, "assigned", Msg(&CORE_V1_NODE_CONFIG_SOURCE), Keep),
    Field(2, "active", Msg(&CORE_V1_NODE_CONFIG_SOURCE), Keep),
    Field(3, "lastKnownGood", Msg(&CORE_V1_NODE_CONFIG_SOURCE), Keep), Field(4, "error", Str, Omit),
] };

pub(crate) static CORE_V1_NODE_DAEMON_ENDPOINTS: Message = Message { name: "core.v1.NodeDaemonEndpoints", special: Plain, fields: &[
    Field(1, "kubeletEndpoint", Msg(&CORE_V1_DAEMON_ENDPOINT), Keep),
] };

pub(crate) static CORE_V1_NODE_FEATURES: Message = Message { name: "core.v1.NodeFeatures", special: Plain, fields: &[
    Field(1, "supplementalGroupsPolicy", Bool, Keep),
] };

pub(crate) static CORE_V1_NODE_LIST: Message = Message { name: "core.v1.NodeList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_NODE), List),
] };

pub(crate) static CORE_V1_NODE_RUNTIME_HANDLER: Message = Message { name: "core.v1.NodeRuntimeHandler", special: Plain, fields: &[
    Field(1, "name", Str, Omit), Field(2, "features", Msg(&CORE_V1_NODE_RUNTIME_HANDLER_FEATURES), Keep),
] };

pub(crate) static CORE_V1_NODE_RUNTIME_HANDLER_FEATURES: Message = Message { name: "core.v1.NodeRuntimeHandlerFeatures", special: Plain, fields: &[
    Field(1, "recursiveReadOnlyMounts", Bool, Keep), Field(2, "userNamespaces", Bool, Keep),
] };

pub(crate) static CORE_V1_NODE_SELECTOR: Message = Message { name: "core.v1.NodeSelector", special: Plain, fields: &[
    Field(1, "nodeSelectorTerms", Msg(&CORE_V1_NODE_SELECTOR_TERM), List),
] };

pub(crate) static CORE_V1_NODE_SELECTOR_REQUIREMENT: Message = Message { name: "core.v1.NodeSelectorRequirement", special: Plain, fields: &[
    Field(1, "key", Str, Keep), Field(2, "operator", Str, Keep), Field(3, "values", Str, List),
] };

pub(crate) static CORE_V1_NODE_SELECTOR_TERM: Message = Message { name: "core.v1.NodeSelectorTerm", special: Plain, fields: &[
    Field(1, "matchExpressions", Msg(&CORE_V1_NODE_SELECTOR_REQUIREMENT), List),
    Field(2, "matchFields", Msg(&CORE_V1_NODE_SELECTOR_REQUIREMENT), List),
] };

pub(crate) static CORE_V1_NODE_SPEC: Message = Message { name: "core.v1.NodeSpec", special: Plain, fields: &[
    Field(1, "podCIDR", Str, Omit), Field(2, "externalID", Str, Omit), Field(3, "providerID", Str, Omit),
    Field(4, "unschedulable", Bool, Omit), Field(5, "taints", Msg(&CORE_V1_TAINT), List),
    Field(6, "configSource", Msg(&CORE_V1_NODE_CONFIG_SOURCE), Keep), Field(7, "podCIDRs", Str, List),
] };

pub(crate) static CORE_V1_NODE_STATUS: Message = Message { name: "core.v1.NodeStatus", special: Plain, fields: &[
    Field(1, "capacity", Msg(&API_RESOURCE_QUANTITY), Map), Field(2, "allocatable", Msg(&API_RESOURCE_QUANTITY), Map),
    Field(3, "phase", Str, Omit), Field(4, "conditions", Msg(&CORE_V1_NODE_CONDITION), List),
    Field(5, "addresses", Msg(&CORE_V1_NODE_ADDRESS), List),
    Field(6, "daemonEndpoints", Msg(&CORE_V1_NODE_DAEMON_ENDPOINTS), Keep),
    Field(7, "nodeInfo", Msg(&CORE_V1_NODE_SYSTEM_INFO), Keep), Field(8, "images", Msg(&CORE_V1_CONTAINER_IMAGE), List),
    Field(9, "volumesInUse", Str, List), Field(10, "volumesAttached", Msg(&CORE_V1_ATTACHED_VOLUME), List),
    Field(11, "config", Msg(&CORE_V1_NODE_CONFIG_STATUS), Keep),
    Field(12, "runtimeHandlers", Msg(&CORE_V1_NODE_RUNTIME_HANDLER), List),
    Field(13, "features", Msg(&CORE_V1_NODE_FEATURES), Keep), Field(14, "declaredFeatures", Str, List),
] };

pub(crate) static CORE_V1_NODE_SWAP_STATUS: Message = Message { name: "core.v1.NodeSwapStatus", special: Plain, fields: &[
    Field(1, "capacity", I64, Keep),
] };

pub(crate) static CORE_V1_NODE_SYSTEM_INFO: Message = Message { name: "core.v1.NodeSystemInfo", special: Plain, fields: &[
    Field(1, "machineID", Str, Keep), Field(2, "systemUUID", Str, Keep), Field(3, "bootID", Str, Keep),
    Field(4, "kernelVersion", Str, Keep), Field(5, "osImage", Str, Keep),
    Field(6, "containerRuntimeVersion", Str, Keep), Field(7, "kubeletVersion", Str, Keep),
    Field(8, "kubeProxyVersion", Str, Keep), Field(9, "operatingSystem", Str, Keep),
    Field(10, "architecture", Str, Keep), Field(11, "swap", Msg(&CORE_V1_NODE_SWAP_STATUS), Keep),
] };

pub(crate) static CORE_V1_OBJECT_FIELD_SELECTOR: Message = Message { name: "core.v1.ObjectFieldSelector", special: Plain, fields: &[
    Field(1, "apiVersion", Str, Omit), Field(2, "fieldPath", Str, Keep),
] };

pub(crate) static CORE_V1_OBJECT_REFERENCE: Message = Message { name: "core.v1.ObjectReference", special: Plain, fields: &[
    Field(1, "kind", Str, Omit), Field(2, "namespace", Str, Omit), Field(3, "name", Str, Omit),
    Field(4, "uid", Str, Omit), Field(5, "apiVersion", Str, Omit), Field(6, "resourceVersion", Str, Omit),
    Field(7, "fieldPath", Str, Omit),
] };

pub(crate) static CORE_V1_PERSISTENT_VOLUME: Message = Message { name: "core.v1.PersistentVolume", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&CORE_V1_PERSISTENT_VOLUME_SPEC), Keep),
    Field(3, "status", Msg(&CORE_V1_PERSISTENT_VOLUME_STATUS), Keep),
] };

pub(crate) static CORE_V1_PERSISTENT_VOLUME_CLAIM: Message = Message { name: "core.v1.PersistentVolumeClaim", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM_SPEC), Keep),
    Field(3, "status", Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM_STATUS), Keep),
] };

pub(crate) static CORE_V1_PERSISTENT_VOLUME_CLAIM_CONDITION: Message = Message { name: "core.v1.PersistentVolumeClaimCondition", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "status", Str, Keep), Field(3, "lastProbeTime", Msg(&META_V1_TIME), Keep),
    Field(4, "lastTransitionTime", Msg(&META_V1_TIME), Keep), Field(5, "reason", Str, Omit),
    Field(6, "message", Str, Omit),
] };

pub(crate) static CORE_V1_PERSISTENT_VOLUME_CLAIM_LIST: Message = Message { name: "core.v1.PersistentVolumeClaimList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM), List),
] };

pub(crate) static CORE_V1_PERSISTENT_VOLUME_CLAIM_SPEC: Message = Message { name: "core.v1.PersistentVolumeClaimSpec", special: Plain, fields: &[
    Field(1, "accessModes", Str, List), Field(2, "resources", Msg(&CORE_V1_VOLUME_RESOURCE_REQUIREMENTS), Keep),
    Field(3, "volumeName", Str, Omit), Field(4, "selector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(5, "storageClassName", Str, Keep), Field(6, "volumeMode", Str, Omit),
    Field(7, "dataSource", Msg(&CORE_V1_TYPED_LOCAL_OBJECT_REFERENCE), Keep),
    Field(8, "dataSourceRef", Msg(&CORE_V1_TYPED_OBJECT_REFERENCE), Keep),
    Field(9, "volumeAttributesClassName", Str, Keep),
] };

pub(crate) static CORE_V1_PERSISTENT_VOLUME_CLAIM_STATUS: Message = Message { name: "core.v1.PersistentVolumeClaimStatus", special: Plain, fields: &[
    Field(1, "phase", Str, Omit), Field(2, "accessModes", Str, List),
    Field(3, "capacity", Msg(&API_RESOURCE_QUANTITY), Map),
    Field(4, "conditions", Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM_CONDITION), List),
    Field(5, "allocatedResources", Msg(&API_RESOURCE_QUANTITY), Map), Field(7, "allocatedResourceStatuses", Str, Map),
    Field(8, "currentVolumeAttributesClassName", Str, Omit),
    Field(9, "modifyVolumeStatus", Msg(&CORE_V1_MODIFY_VOLUME_STATUS), Keep),
] };

pub(crate) static CORE_V1_PERSISTENT_VOLUME_CLAIM_TEMPLATE: Message = Message { name: "core.v1.PersistentVolumeClaimTemplate", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM_SPEC), Keep),
] };

pub(crate) static CORE_V1_PERSISTENT_VOLUME_CLAIM_VOLUME_SOURCE: Message = Message { name: "core.v1.PersistentVolumeClaimVolumeSource", special: Plain, fields: &[
    Field(1, "claimName", Str, Keep), Field(2, "readOnly", Bool, Omit),
] };

pub(crate) static CORE_V1_PERSISTENT_VOLUME_LIST: Message = Message { name: "core.v1.PersistentVolumeList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_PERSISTENT_VOLUME), List),
] };

pub(crate) static CORE_V1_PERSISTENT_VOLUME_SOURCE: Message = Message { name: "core.v1.PersistentVolumeSource", special: Plain, fields: &[
    Field(1, "gcePersistentDisk", Msg(&CORE_V1_GCE_PERSISTENT_DISK_VOLUME_SOURCE), Keep),
    Field(2, "awsElasticBlockStore", Msg(&CORE_V1_AWS_ELASTIC_BLOCK_STORE_VOLUME_SOURCE), Keep),
    Field(3, "hostPath", Msg(&CORE_V1_HOST_PATH_VOLUME_SOURCE), Keep),
    Field(4, "glusterfs", Msg(&CORE_V1_GLUSTERFS_PERSISTENT_VOLUME_SOURCE), Keep),
    Field(5, "nfs", Msg(&CORE_V1_NFS_VOLUME_SOURCE), Keep),
    Field(6, "rbd", Msg(&CORE_V1_RBD_PERSISTENT_VOLUME_SOURCE), Keep),
    Field(7, "iscsi", Msg(&CORE_V1_ISCSI_PERSISTENT_VOLUME_SOURCE), Keep),
    Field(8, "cinder", Msg(&CORE_V1_CINDER_PERSISTENT_VOLUME_SOURCE), Keep),
    Field(9, "cephfs", Msg(&CORE_V1_CEPH_FS_PERSISTENT_VOLUME_SOURCE), Keep),
    Field(10, "fc", Msg(&CORE_V1_FC_VOLUME_SOURCE), Keep),
    Field(11, "flocker", Msg(&CORE_V1_FLOCKER_VOLUME_SOURCE), Keep),
    Field(12, "flexVolume", Msg(&CORE_V1_FLEX_PERSISTENT_VOLUME_SOURCE), Keep),
    Field(13, "azureFile", Msg(&CORE_V1_AZURE_FILE_PERSISTENT_VOLUME_SOURCE), Keep),
    Field(14, "vsphereVolume", Msg(&CORE_V1_VSPHERE_VIRTUAL_DISK_VOLUME_SOURCE), Keep),
    Field(15, "quobyte", Msg(&CORE_V1_QUOBYTE_VOLUME_SOURCE), Keep),
    Field(16, "azureDisk", Msg(&CORE_V1_AZURE_DISK_VOLUME_SOURCE), Keep),
    Field(17, "photonPersistentDisk", Msg(&CORE_V1_PHOTON_PERSISTENT_DISK_VOLUME_SOURCE), Keep),
    Field(18, "portworxVolume", Msg(&CORE_V1_PORTWORX_VOLUME_SOURCE), Keep),
    Field(19, "scaleIO", Msg(&CORE_V1_SCALE_IO_PERSISTENT_VOLUME_SOURCE), Keep),
    Field(20, "local", Msg(&CORE_V1_LOCAL_VOLUME_SOURCE), Keep),
    Field(21, "storageos", Msg(&CORE_V1_STORAGE_OS_PERSISTENT_VOLUME_SOURCE), Keep),
    Field(22, "csi", Msg(&CORE_V1_CSI_PERSISTENT_VOLUME_SOURCE), Keep),
] };

pub(crate) static CORE_V1_PERSISTENT_VOLUME_SPEC: Message = Message { name: "core.v1.PersistentVolumeSpec", special: Plain, fields: &[
    Field(1, "capacity", Msg(&API_RESOURCE_QUANTITY), Map),
    Field(2, "", Msg(&CORE_V1_PERSISTENT_VOLUME_SOURCE), Inline), Field(3, "accessModes", Str, List),
    Field(4, "claimRef", Msg(&CORE_V1_OBJECT_REFERENCE), Keep), Field(5, "persistentVolumeReclaimPolicy", Str, Omit),
    Field(6, "storageClassName", Str, Omit), Field(7, "mountOptions", Str, List), Field(8, "volumeMode", Str, Omit),
    Field(9, "nodeAffinity", Msg(&CORE_V1_VOLUME_NODE_AFFINITY), Keep),
    Field(10, "volumeAttributesClassName", Str, Omit),
] };

pub(crate) static CORE_V1_PERSISTENT_VOLUME_STATUS: Message = Message { name: "core.v1.PersistentVolumeStatus", special: Plain, fields: &[
    Field(1, "phase", Str, Omit), Field(2, "message", Str, Omit), Field(3, "reason", Str, Omit),
    Field(4, "lastPhaseTransitionTime", Msg(&META_V1_TIME), Keep),
] };

pub(crate) static CORE_V1_PHOTON_PERSISTENT_DISK_VOLUME_SOURCE: Message = Message { name: "core.v1.PhotonPersistentDiskVolumeSource", special: Plain, fields: &[
    Field(1, "pdID", Str, Keep), Field(2, "fsType", Str, Omit),
] };

pub(crate) static CORE_V1_POD: Message = Message { name: "core.v1.Pod", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&CORE_V1_POD_SPEC), Keep),
    Field(3, "status", Msg(&CORE_V1_POD_STATUS), Keep),
] };

pub(crate) static CORE_V1_POD_AFFINITY: Message = Message { name: "core.v1.PodAffinity", special: Plain, fields: &[
    Field(1, "requiredDuringSchedulingIgnoredDuringExecution", Msg(&CORE_V1_POD_AFFINITY_TERM), List),
    Field(2, "preferredDuringSchedulingIgnoredDuringExecution", Msg(&CORE_V1_WEIGHTED_POD_AFFINITY_TERM), List),
] };

pub(crate) static CORE_V1_POD_AFFINITY_TERM: Message = Message { name: "core.v1.PodAffinityTerm", special: Plain, fields: &[
    Field(1, "labelSelector", Msg(&META_V1_LABEL_SELECTOR), Keep), Field(2, "namespaces", Str, List),
    Field(3, "topologyKey", Str, Keep), Field(4, "namespaceSelector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(5, "matchLabelKeys", Str, List), Field(6, "mismatchLabelKeys", Str, List),
] };

pub(crate) static CORE_V1_POD_ANTI_AFFINITY: Message = Message { name: "core.v1.PodAntiAffinity", special: Plain, fields: &[
    Field(1, "requiredDuringSchedulingIgnoredDuringExecution", Msg(&CORE_V1_POD_AFFINITY_TERM), List),
    Field(2, "preferredDuringSchedulingIgnoredDuringExecution", Msg(&CORE_V1_WEIGHTED_POD_AFFINITY_TERM), List),
] };

pub(crate) static CORE_V1_POD_CERTIFICATE_PROJECTION: Message = Message { name: "core.v1.PodCertificateProjection", special: Plain, fields: &[
    Field(1, "signerName", Str, Keep), Field(2, "keyType", Str, Keep), Field(3, "maxExpirationSeconds", I32, Keep),
    Field(4, "credentialBundlePath", Str, Omit), Field(5, "keyPath", Str, Omit),
    Field(6, "certificateChainPath", Str, Omit), Field(7, "userAnnotations", Str, Map),
] };

pub(crate) static CORE_V1_POD_CONDITION: Message = Message { name: "core.v1.PodCondition", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "status", Str, Keep), Field(3, "lastProbeTime", Msg(&META_V1_TIME), Keep),
    Field(4, "lastTransitionTime", Msg(&META_V1_TIME), Keep), Field(5, "reason", Str, Omit),
    Field(6, "message", Str, Omit), Field(7, "observedGeneration", I64, Keep),
] };

pub(crate) static CORE_V1_POD_DNS_CONFIG: Message = Message { name: "core.v1.PodDNSConfig", special: Plain, fields: &[
    Field(1, "nameservers", Str, List), Field(2, "searches", Str, List),
    Field(3, "options", Msg(&CORE_V1_POD_DNS_CONFIG_OPTION), List),
] };

pub(crate) static CORE_V1_POD_DNS_CONFIG_OPTION: Message = Message { name: "core.v1.PodDNSConfigOption", special: Plain, fields: &[
    Field(1, "name", Str, Omit), Field(2, "value", Str, Omit),
] };

pub(crate) static CORE_V1_POD_EXTENDED_RESOURCE_CLAIM_STATUS: Message = Message { name: "core.v1.PodExtendedResourceClaimStatus", special: Plain, fields: &[
    Field(1, "requestMappings", Msg(&CORE_V1_CONTAINER_EXTENDED_RESOURCE_REQUEST), List),
    Field(2, "resourceClaimName", Str, Keep),
] };

pub(crate) static CORE_V1_POD_IP: Message = Message { name: "core.v1.PodIP", special: Plain, fields: &[
    Field(1, "ip", Str, Keep),
] };

pub(crate) static CORE_V1_POD_LIST: Message = Message { name: "core.v1.PodList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_POD), List),
] };

pub(crate) static CORE_V1_POD_OS: Message = Message { name: "core.v1.PodOS", special: Plain, fields: &[
    Field(1, "name", Str, Keep),
] };

pub(crate) static CORE_V1_POD_READINESS_GATE: Message = Message { name: "core.v1.PodReadinessGate", special: Plain, fields: &[
    Field(1, "conditionType", Str, Keep),
] };

pub(crate) static CORE_V1_POD_RESOURCE_CLAIM: Message = Message { name: "core.v1.PodResourceClaim", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(3, "resourceClaimName", Str, Omit),
    Field(4, "resourceClaimTemplateName", Str, Omit),
] };

pub(crate) static CORE_V1_POD_RESOURCE_CLAIM_STATUS: Message = Message { name: "core.v1.PodResourceClaimStatus", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "resourceClaimName", Str, Omit),
] };

pub(crate) static CORE_V1_POD_SCHEDULING_GATE: Message = Message { name: "core.v1.PodSchedulingGate", special: Plain, fields: &[
    Field(1, "name", Str, Keep),
] };

pub(crate) static CORE_V1_POD_SECURITY_CONTEXT: Message = Message { name: "core.v1.PodSecurityContext", special: Plain, fields: &[
    Field(1, "seLinuxOptions", Msg(&CORE_V1_SE_LINUX_OPTIONS), Keep), Field(2, "runAsUser", I64, Keep),
    Field(3, "runAsNonRoot", Bool, Keep), Field(4, "supplementalGroups", I64, List), Field(5, "fsGroup", I64, Keep),
    Field(6, "runAsGroup", I64, Keep), Field(7, "sysctls", Msg(&CORE_V1_SYSCTL), List),
    Field(8, "windowsOptions", Msg(&CORE_V1_WINDOWS_SECURITY_CONTEXT_OPTIONS), Keep),
    Field(9, "fsGroupChangePolicy", Str, Omit), Field(10, "seccompProfile", Msg(&CORE_V1_SECCOMP_PROFILE), Keep),
    Field(11, "appArmorProfile", Msg(&CORE_V1_APP_ARMOR_PROFILE), Keep),
    Field(12, "supplementalGroupsPolicy", Str, Omit), Field(13, "seLinuxChangePolicy", Str, Omit),
] };

pub(crate) static CORE_V1_POD_SPEC: Message = Message { name: "core.v1.PodSpec", special: Plain, fields: &[
    Field(1, "volumes", Msg(&CORE_V1_VOLUME), List), Field(2, "containers", Msg(&CORE_V1_CONTAINER), List),
    Field(3, "restartPolicy", Str, Omit), Field(4, "terminationGracePeriodSeconds", I64, Keep),
    Field(5, "activeDeadlineSeconds", I64, Keep), Field(6, "dnsPolicy", Str, Omit), Field(7, "nodeSelector", Str, Map),
    Field(8, "serviceAccountName", Str, Omit), Field(9, "serviceAccount", Str, Omit), Field(10, "nodeName", Str, Omit),
    Field(11, "hostNetwork", Bool, Omit), Field(12, "hostPID", Bool, Omit), Field(13, "hostIPC", Bool, Omit),
    Field(14, "securityContext", Msg(&CORE_V1_POD_SECURITY_CONTEXT), Keep),
    Field(15, "imagePullSecrets", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), List), Field(16, "hostname", Str, Omit),
    Field(17, "subdomain", Str, Omit), Field(18, "affinity", Msg(&CORE_V1_AFFINITY), Keep),
    Field(19, "schedulerName", Str, Omit), Field(20, "initContainers", Msg(&CORE_V1_CONTAINER), List),
    Field(21, "automountServiceAccountToken", Bool, Keep), Field(22, "tolerations", Msg(&CORE_V1_TOLERATION), List),
    Field(23, "hostAliases", Msg(&CORE_V1_HOST_ALIAS), List), Field(24, "priorityClassName", Str, Omit),
    Field(25, "priority", I32, Keep), Field(26, "dnsConfig", Msg(&CORE_V1_POD_DNS_CONFIG), Keep),
    Field(27, "shareProcessNamespace", Bool, Keep), Field(28, "readinessGates", Msg(&CORE_V1_POD_READINESS_GATE), List),
    Field(29, "runtimeClassName", Str, Omit), Field(30, "enableServiceLinks", Bool, Keep),
    Field(31, "preemptionPolicy", Str, Omit), Field(32, "overhead", Msg(&API_RESOURCE_QUANTITY), Map),
    Field(33, "topologySpreadConstraints", Msg(&CORE_V1_TOPOLOGY_SPREAD_CONSTRAINT), List),
    Field(34, "ephemeralContainers", Msg(&CORE_V1_EPHEMERAL_CONTAINER), List),
    Field(35, "setHostnameAsFQDN", Bool, Keep), Field(36, "os", Msg(&CORE_V1_POD_OS), Keep),
    Field(37, "hostUsers", Bool, Keep), Field(38, "schedulingGates", Msg(&CORE_V1_POD_SCHEDULING_GATE), List),
    Field(39, "resourceClaims", Msg(&CORE_V1_POD_RESOURCE_CLAIM), List),
    Field(40, "resources", Msg(&CORE_V1_RESOURCE_REQUIREMENTS), Keep), Field(41, "hostnameOverride", Str, Omit),
    Field(42, "workloadRef", Msg(&CORE_V1_WORKLOAD_REFERENCE), Keep),
] };

pub(crate) static CORE_V1_POD_STATUS: Message = Message { name: "core.v1.PodStatus", special: Plain, fields: &[
    Field(1, "phase", Str, Omit), Field(2, "conditions", Msg(&CORE_V1_POD_CONDITION), List),
    Field(3, "message", Str, Omit), Field(4, "reason", Str, Omit), Field(5, "hostIP", Str, Omit),
    Field(6, "podIP", Str, Omit), Field(7, "startTime", Msg(&META_V1_TIME), Keep),
    Field(8, "containerStatuses", Msg(&CORE_V1_CONTAINER_STATUS), List), Field(9, "qosClass", Str, Omit),
    Field(10, "initContainerStatuses", Msg(&CORE_V1_CONTAINER_STATUS), List), Field(11, "nominatedNodeName", Str, Omit),
    Field(12, "podIPs", Msg(&CORE_V1_POD_IP), List),
    Field(13, "ephemeralContainerStatuses", Msg(&CORE_V1_CONTAINER_STATUS), List), Field(14, "resize", Str, Omit),
    Field(15, "resourceClaimStatuses", Msg(&CORE_V1_POD_RESOURCE_CLAIM_STATUS), List),
    Field(16, "hostIPs", Msg(&CORE_V1_HOST_IP), List), Field(17, "observedGeneration", I64, Keep),
    Field(18, "extendedResourceClaimStatus", Msg(&CORE_V1_POD_EXTENDED_RESOURCE_CLAIM_STATUS), Keep),
    Field(19, "allocatedResources", Msg(&API_RESOURCE_QUANTITY), Map),
    Field(20, "resources", Msg(&CORE_V1_RESOURCE_REQUIREMENTS), Keep),
] };

pub(crate) static CORE_V1_POD_TEMPLATE: Message = Message { name: "core.v1.PodTemplate", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "template", Msg(&CORE_V1_POD_TEMPLATE_SPEC), Keep),
] };

pub(crate) static CORE_V1_POD_TEMPLATE_LIST: Message = Message { name: "core.v1.PodTemplateList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_POD_TEMPLATE), List),
] };

pub(crate) static CORE_V1_POD_TEMPLATE_SPEC: Message = Message { name: "core.v1.PodTemplateSpec", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&CORE_V1_POD_SPEC), Keep),
] };

pub(crate) static CORE_V1_PORTWORX_VOLUME_SOURCE: Message = Message { name: "core.v1.PortworxVolumeSource", special: Plain, fields: &[
    Field(1, "volumeID", Str, Keep), Field(2, "fsType", Str, Omit), Field(3, "readOnly", Bool, Omit),
] };

pub(crate) static CORE_V1_PORT_STATUS: Message = Message { name: "core.v1.PortStatus", special: Plain, fields: &[
    Field(1, "port", I32, Keep), Field(2, "protocol", Str, Keep), Field(3, "error", Str, Omit),
] };

pub(crate) static CORE_V1_PREFERRED_SCHEDULING_TERM: Message = Message { name: "core.v1.PreferredSchedulingTerm", special: Plain, fields: &[
    Field(1, "weight", I32, Keep), Field(2, "preference", Msg(&CORE_V1_NODE_SELECTOR_TERM), Keep),
] };

pub(crate) static CORE_V1_PROBE: Message = Message { name: "core.v1.Probe", special: Plain, fields: &[
    Field(1, "", Msg(&CORE_V1_PROBE_HANDLER), Inline), Field(2, "initialDelaySeconds", I32, Omit),
    Field(3, "timeoutSeconds", I32, Omit), Field(4, "periodSeconds", I32, Omit),
    Field(5, "successThreshold", I32, Omit), Field(6, "failureThreshold", I32, Omit),
    Field(7, "terminationGracePeriodSeconds", I64, Keep),
] };

pub(crate) static CORE_V1_PROBE_HANDLER: Message = Message { name: "core.v1.ProbeHandler", special: Plain, fields: &[
    Field(1, "exec", Msg(&CORE_V1_EXEC_ACTION), Keep), Field(2, "httpGet", Msg(&CORE_V1_HTTP_GET_ACTION), Keep),
    Field(3, "tcpSocket", Msg(&CORE_V1_TCP_SOCKET_ACTION), Keep), Field(4, "grpc", Msg(&CORE_V1_GRPC_ACTION), Keep),
] };

pub(crate) static CORE_V1_PROJECTED_VOLUME_SOURCE: Message = Message { name: "core.v1.ProjectedVolumeSource", special: Plain, fields: &[
    Field(1, "sources", Msg(&CORE_V1_VOLUME_PROJECTION), List), Field(2, "defaultMode", I32, Keep),
] };

pub(crate) static CORE_V1_QUOBYTE_VOLUME_SOURCE: Message = Message { name: "core.v1.QuobyteVolumeSource", special: Plain, fields: &[
    Field(1, "registry", Str, Keep), Field(2, "volume", Str, Keep), Field(3, "readOnly", Bool, Omit),
    Field(4, "user", Str, Omit), Field(5, "group", Str, Omit), Field(6, "tenant", Str, Omit),
] };

pub(crate) static CORE_V1_RBD_PERSISTENT_VOLUME_SOURCE: Message = Message { name: "core.v1.RBDPersistentVolumeSource", special: Plain, fields: &[
    Field(1, "monitors", Str, List), Field(2, "image", Str, Keep), Field(3, "fsType", Str, Omit),
    Field(4, "pool", Str, Omit), Field(5, "user", Str, Omit), Field(6, "keyring", Str, Omit),
    Field(7, "secretRef", Msg(&CORE_V1_SECRET_REFERENCE), Keep), Field(8, "readOnly", Bool, Omit),
] };

pub(crate) static CORE_V1_RBD_VOLUME_SOURCE: Message = Message { name: "core.v1.RBDVolumeSource", special: Plain, fields: &[
    Field(1, "monitors", Str, List), Field(2, "image", Str, Keep), Field(3, "fsType", Str, Omit),
    Field(4, "pool", Str, Omit), Field(5, "user", Str, Omit), Field(6, "keyring", Str, Omit),
    Field(7, "secretRef", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Keep), Field(8, "readOnly", Bool, Omit),
] };

pub(crate) static CORE_V1_REPLICATION_CONTROLLER: Message = Message { name: "core.v1.ReplicationController", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&CORE_V1_REPLICATION_CONTROLLER_SPEC), Keep),
    Field(3, "status", Msg(&CORE_V1_REPLICATION_CONTROLLER_STATUS), Keep),
] };

pub(crate) static CORE_V1_REPLICATION_CONTROLLER_CONDITION: Message = Message { name: "core.v1.ReplicationControllerCondition", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "status", Str, Keep),
    Field(3, "lastTransitionTime", Msg(&META_V1_TIME), Keep), Field(4, "reason", Str, Omit),
    Field(5, "message", Str, Omit),
] };

pub(crate) static CORE_V1_REPLICATION_CONTROLLER_LIST: Message = Message { name: "core.v1.ReplicationControllerList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_REPLICATION_CONTROLLER), List),
] };

pub(crate) static CORE_V1_REPLICATION_CONTROLLER_SPEC: Message = Message { name: "core.v1.ReplicationControllerSpec", special: Plain, fields: &[
    Field(1, "replicas", I32, Keep), Field(2, "selector", Str, Map),
    Field(3, "template", Msg(&CORE_V1_POD_TEMPLATE_SPEC), Keep), Field(4, "minReadySeconds", I32, Omit),
] };

pub(crate) static CORE_V1_REPLICATION_CONTROLLER_STATUS: Message = Message { name: "core.v1.ReplicationControllerStatus", special: Plain, fields: &[
    Field(1, "replicas", I32, Keep), Field(2, "fullyLabeledReplicas", I32, Omit),
    Field(3, "observedGeneration", I64, Omit), Field(4, "readyReplicas", I32, Omit),
    Field(5, "availableReplicas", I32, Omit),
    Field(6, "conditions", Msg(&CORE_V1_REPLICATION_CONTROLLER_CONDITION), List),
] };

pub(crate) static CORE_V1_RESOURCE_CLAIM: Message = Message { name: "core.v1.ResourceClaim", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "request", Str, Omit),
] };

pub(crate) static CORE_V1_RESOURCE_FIELD_SELECTOR: Message = Message { name: "core.v1.ResourceFieldSelector", special: Plain, fields: &[
    Field(1, "containerName", Str, Omit), Field(2, "resource", Str, Keep),
    Field(3, "divisor", Msg(&API_RESOURCE_QUANTITY), Keep),
] };

pub(crate) static CORE_V1_RESOURCE_HEALTH: Message = Message { name: "core.v1.ResourceHealth", special: Plain, fields: &[
    Field(1, "resourceID", Str, Keep), Field(2, "health", Str, Omit),
] };

pub(crate) static CORE_V1_RESOURCE_QUOTA: Message = Message { name: "core.v1.ResourceQuota", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&CORE_V1_RESOURCE_QUOTA_SPEC), Keep),
    Field(3, "status", Msg(&CORE_V1_RESOURCE_QUOTA_STATUS), Keep),
] };

pub(crate) static CORE_V1_RESOURCE_QUOTA_LIST: Message = Message { name: "core.v1.ResourceQuotaList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_RESOURCE_QUOTA), List),
] };

pub(crate) static CORE_V1_RESOURCE_QUOTA_SPEC: Message = Message { name: "core.v1.ResourceQuotaSpec", special: Plain, fields: &[
    Field(1, "hard", Msg(&API_RESOURCE_QUANTITY), Map), Field(2, "scopes", Str, List),
    Field(3, "scopeSelector", Msg(&CORE_V1_SCOPE_SELECTOR), Keep),
] };

pub(crate) static CORE_V1_RESOURCE_QUOTA_STATUS: Message = Message { name: "core.v1.ResourceQuotaStatus", special: Plain, fields: &[
    Field(1, "hard", Msg(&API_RESOURCE_QUANTITY), Map), Field(2, "used", Msg(&API_RESOURCE_QUANTITY), Map),
] };

pub(crate) static CORE_V1_RESOURCE_REQUIREMENTS: Message = Message { name: "core.v1.ResourceRequirements", special: Plain, fields: &[
    Field(1, "limits", Msg(&API_RESOURCE_QUANTITY), Map), Field(2, "requests", Msg(&API_RESOURCE_QUANTITY), Map),
    Field(3, "claims", Msg(&CORE_V1_RESOURCE_CLAIM), List),
] };

pub(crate) static CORE_V1_RESOURCE_STATUS: Message = Message { name: "core.v1.ResourceStatus", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "resources", Msg(&CORE_V1_RESOURCE_HEALTH), List),
] };

pub(crate) static CORE_V1_SCALE_IO_PERSISTENT_VOLUME_SOURCE: Message = Message { name: "core.v1.ScaleIOPersistentVolumeSource", special: Plain, fields: &[
    Field(1, "gateway", Str, Keep), Field(2, "system", Str, Keep),
    Field(3, "secretRef", Msg(&CORE_V1_SECRET_REFERENCE), Keep), Field(4, "sslEnabled", Bool, Keep),
    Field(5, "protectionDomain", Str, Omit), Field(6, "storagePool", Str, Omit), Field(7, "storageMode", Str, Omit),
    Field(8, "volumeName", Str, Omit), Field(9, "fsType", Str, Omit), Field(10, "readOnly", Bool, Omit),
] };

pub(crate) static CORE_V1_SCALE_IO_VOLUME_SOURCE: Message = Message { name: "core.v1.ScaleIOVolumeSource", special: Plain, fields: &[
    Field(1, "gateway", Str, Keep), Field(2, "system", Str, Keep),
    Field(3, "secretRef", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Keep), Field(4, "sslEnabled", Bool, Keep),
    Field(5, "protectionDomain", Str, Omit), Field(6, "storagePool", Str, Omit), Field(7, "storageMode", Str, Omit),
    Field(8, "volumeName", Str, Omit), Field(9, "fsType", Str, Omit), Field(10, "readOnly", Bool, Omit),
] };

pub(crate) static CORE_V1_SCOPED_RESOURCE_SELECTOR_REQUIREMENT: Message = Message { name: "core.v1.ScopedResourceSelectorRequirement", special: Plain, fields: &[
    Field(1, "scopeName", Str, Keep), Field(2, "operator", Str, Keep), Field(3, "values", Str, List),
] };

pub(crate) static CORE_V1_SCOPE_SELECTOR: Message = Message { name: "core.v1.ScopeSelector", special: Plain, fields: &[
    Field(1, "matchExpressions", Msg(&CORE_V1_SCOPED_RESOURCE_SELECTOR_REQUIREMENT), List),
] };

pub(crate) static CORE_V1_SECCOMP_PROFILE: Message = Message { name: "core.v1.SeccompProfile", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "localhostProfile", Str, Omit),
] };

pub(crate) static CORE_V1_SECRET: Message = Message { name: "core.v1.Secret", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "data", Bytes, Map), Field(3, "type", Str, Omit),
    Field(4, "stringData", Str, Map), Field(5, "immutable", Bool, Keep),
] };

pub(crate) static CORE_V1_SECRET_ENV_SOURCE: Message = Message { name: "core.v1.SecretEnvSource", special: Plain, fields: &[
    Field(1, "", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Inline), Field(2, "optional", Bool, Keep),
] };

pub(crate) static CORE_V1_SECRET_KEY_SELECTOR: Message = Message { name: "core.v1.SecretKeySelector", special: Plain, fields: &[
    Field(1, "", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Inline), Field(2, "key", Str, Keep),
    Field(3, "optional", Bool, Keep),
] };

pub(crate) static CORE_V1_SECRET_LIST: Message = Message { name: "core.v1.SecretList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_SECRET), List),
] };

pub(crate) static CORE_V1_SECRET_PROJECTION: Message = Message { name: "core.v1.SecretProjection", special: Plain, fields: &[
    Field(1, "", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Inline), Field(2, "items", Msg(&CORE_V1_KEY_TO_PATH), List),
    Field(4, "optional", Bool, Keep),
] };

pub(crate) static CORE_V1_SECRET_REFERENCE: Message = Message { name: "core.v1.SecretReference", special: Plain, fields: &[
    Field(1, "name", Str, Omit), Field(2, "namespace", Str, Omit),
] };

pub(crate) static CORE_V1_SECRET_VOLUME_SOURCE: Message = Message { name: "core.v1.SecretVolumeSource", special: Plain, fields: &[
    Field(1, "secretName", Str, Omit), Field(2, "items", Msg(&CORE_V1_KEY_TO_PATH), List),
    Field(3, "defaultMode", I32, Keep), Field(4, "optional", Bool, Keep),
] };

pub(crate) static CORE_V1_SECURITY_CONTEXT: Message = Message { name: "core.v1.SecurityContext", special: Plain, fields: &[
    Field(1, "capabilities", Msg(&CORE_V1_CAPABILITIES), Keep), Field(2, "privileged", Bool, Keep),
    Field(3, "seLinuxOptions", Msg(&CORE_V1_SE_LINUX_OPTIONS), Keep), Field(4, "runAsUser", I64, Keep),
    Field(5, "runAsNonRoot", Bool, Keep), Field(6, "readOnlyRootFilesystem", Bool, Keep),
    Field(7, "allowPrivilegeEscalation", Bool, Keep), Field(8, "runAsGroup", I64, Keep),
    Field(9, "procMount", Str, Omit), Field(10, "windowsOptions", Msg(&CORE_V1_WINDOWS_SECURITY_CONTEXT_OPTIONS), Keep),
    Field(11, "seccompProfile", Msg(&CORE_V1_SECCOMP_PROFILE), Keep),
    Field(12, "appArmorProfile", Msg(&CORE_V1_APP_ARMOR_PROFILE), Keep),
] };

pub(crate) static CORE_V1_SERVICE: Message = Message { name: "core.v1.Service", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&CORE_V1_SERVICE_SPEC), Keep),
    Field(3, "status", Msg(&CORE_V1_SERVICE_STATUS), Keep),
] };

pub(crate) static CORE_V1_SERVICE_ACCOUNT: Message = Message { name: "core.v1.ServiceAccount", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "secrets", Msg(&CORE_V1_OBJECT_REFERENCE), List),
    Field(3, "imagePullSecrets", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), List),
    Field(4, "automountServiceAccountToken", Bool, Keep),
] };

pub(crate) static CORE_V1_SERVICE_ACCOUNT_LIST: Message = Message { name: "core.v1.ServiceAccountList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_SERVICE_ACCOUNT), List),
] };

pub(crate) static CORE_V1_SERVICE_ACCOUNT_TOKEN_PROJECTION: Message = Message { name: "core.v1.ServiceAccountTokenProjection", special: Plain, fields: &[
    Field(1, "audience", Str, Omit), Field(2, "expirationSeconds", I64, Keep), Field(3, "path", Str, Keep),
] };

pub(crate) static CORE_V1_SERVICE_LIST: Message = Message { name: "core.v1.ServiceList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&CORE_V1_SERVICE), List),
] };

pub(crate) static CORE_V1_SERVICE_PORT: Message = Message { name: "core.v1.ServicePort", special: Plain, fields: &[
    Field(1, "name", Str, Omit), Field(2, "protocol", Str, Omit), Field(3, "port", I32, Keep),
    Field(4, "targetPort", Msg(&UTIL_INTSTR_INT_OR_STRING), Keep), Field(5, "nodePort", I32, Omit),
    Field(6, "appProtocol", Str, Omit),
] };

pub(crate) static CORE_V1_SERVICE_SPEC: Message = Message { name: "core.v1.ServiceSpec", special: Plain, fields: &[
    Field(1, "ports", Msg(&CORE_V1_SERVICE_PORT), List), Field(2, "selector", Str, Map),
    Field(3, "clusterIP", Str, Omit), Field(4, "type", Str, Omit), Field(5, "externalIPs", Str, List),
    Field(7, "sessionAffinity", Str, Omit), Field(8, "loadBalancerIP", Str, Omit),
    Field(9, "loadBalancerSourceRanges", Str, List), Field(10, "externalName", Str, Omit),
    Field(11, "externalTrafficPolicy", Str, Omit), Field(12, "healthCheckNodePort", I32, Omit),
    Field(13, "publishNotReadyAddresses", Bool, Omit),
    Field(14, "sessionAffinityConfig", Msg(&CORE_V1_SESSION_AFFINITY_CONFIG), Keep),
    Field(17, "ipFamilyPolicy", Str, Omit), Field(18, "clusterIPs", Str, List), Field(19, "ipFamilies", Str, List),
    Field(20, "allocateLoadBalancerNodePorts", Bool, Keep), Field(21, "loadBalancerClass", Str, Omit),
    Field(22, "internalTrafficPolicy", Str, Omit), Field(23, "trafficDistribution", Str, Omit),
] };

pub(crate) static CORE_V1_SERVICE_STATUS: Message = Message { name: "core.v1.ServiceStatus", special: Plain, fields: &[
    Field(1, "loadBalancer", Msg(&CORE_V1_LOAD_BALANCER_STATUS), Keep),
    Field(2, "conditions", Msg(&META_V1_CONDITION), List),
] };

pub(crate) static CORE_V1_SESSION_AFFINITY_CONFIG: Message = Message { name: "core.v1.SessionAffinityConfig", special: Plain, fields: &[
    Field(1, "clientIP", Msg(&CORE_V1_CLIENT_IP_CONFIG), Keep),
] };

pub(crate) static CORE_V1_SE_LINUX_OPTIONS: Message = Message { name: "core.v1.SELinuxOptions", special: Plain, fields: &[
    Field(1, "user", Str, Omit), Field(2, "role", Str, Omit), Field(3, "type", Str, Omit), Field(4, "level", Str, Omit),
] };

pub(crate) static CORE_V1_SLEEP_ACTION: Message = Message { name: "core.v1.SleepAction", special: Plain, fields: &[
    Field(1, "seconds", I64, Keep),
] };

pub(crate) static CORE_V1_STORAGE_OS_PERSISTENT_VOLUME_SOURCE: Message = Message { name: "core.v1.StorageOSPersistentVolumeSource", special: Plain, fields: &[
    Field(1, "volumeName", Str, Omit), Field(2, "volumeNamespace", Str, Omit), Field(3, "fsType", Str, Omit),
    Field(4, "readOnly", Bool, Omit), Field(5, "secretRef", Msg(&CORE_V1_OBJECT_REFERENCE), Keep),
] };

pub(crate) static CORE_V1_STORAGE_OS_VOLUME_SOURCE: Message = Message { name: "core.v1.StorageOSVolumeSource", special: Plain, fields: &[
    Field(1, "volumeName", Str, Omit), Field(2, "volumeNamespace", Str, Omit), Field(3, "fsType", Str, Omit),
    Field(4, "readOnly", Bool, Omit), Field(5, "secretRef", Msg(&CORE_V1_LOCAL_OBJECT_REFERENCE), Keep),
] };

pub(crate) static CORE_V1_SYSCTL: Message = Message { name: "core.v1.Sysctl", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "value", Str, Keep),
] };

pub(crate) static CORE_V1_TAINT: Message = Message { name: "core.v1.Taint", special: Plain, fields: &[
    Field(1, "key", Str, Keep), Field(2, "value", Str, Omit), Field(3, "effect", Str, Keep),
    Field(4, "timeAdded", Msg(&META_V1_TIME), Keep),
] };

pub(crate) static CORE_V1_TCP_SOCKET_ACTION: Message = Message { name: "core.v1.TCPSocketAction", special: Plain, fields: &[
    Field(1, "port", Msg(&UTIL_INTSTR_INT_OR_STRING), Keep), Field(2, "host", Str, Omit),
] };

pub(crate) static CORE_V1_TOLERATION: Message = Message { name: "core.v1.Toleration", special: Plain, fields: &[
    Field(1, "key", Str, Omit), Field(2, "operator", Str, Omit), Field(3, "value", Str, Omit),
    Field(4, "effect", Str, Omit), Field(5, "tolerationSeconds", I64, Keep),
] };

pub(crate) static CORE_V1_TOPOLOGY_SELECTOR_LABEL_REQUIREMENT: Message = Message { name: "core.v1.TopologySelectorLabelRequirement", special: Plain, fields: &[
    Field(1, "key", Str, Keep), Field(2, "values", Str, List),
] };

pub(crate) static CORE_V1_TOPOLOGY_SELECTOR_TERM: Message = Message { name: "core.v1.TopologySelectorTerm", special: Plain, fields: &[
    Field(1, "matchLabelExpressions", Msg(&CORE_V1_TOPOLOGY_SELECTOR_LABEL_REQUIREMENT), List),
] };

pub(crate) static CORE_V1_TOPOLOGY_SPREAD_CONSTRAINT: Message = Message { name: "core.v1.TopologySpreadConstraint", special: Plain, fields: &[
    Field(1, "maxSkew", I32, Keep), Field(2, "topologyKey", Str, Keep), Field(3, "whenUnsatisfiable", Str, Keep),
    Field(4, "labelSelector", Msg(&META_V1_LABEL_SELECTOR), Keep), Field(5, "minDomains", I32, Keep),
    Field(6, "nodeAffinityPolicy", Str, Omit), Field(7, "nodeTaintsPolicy", Str, Omit),
    Field(8, "matchLabelKeys", Str, List),
] };

pub(crate) static CORE_V1_TYPED_LOCAL_OBJECT_REFERENCE: Message = Message { name: "core.v1.TypedLocalObjectReference", special: Plain, fields: &[
    Field(1, "apiGroup", Str, Omit), Field(2, "kind", Str, Keep), Field(3, "name", Str, Keep),
] };

pub(crate) static CORE_V1_TYPED_OBJECT_REFERENCE: Message = Message { name: "core.v1.TypedObjectReference", special: Plain, fields: &[
    Field(1, "apiGroup", Str, Omit), Field(2, "kind", Str, Keep), Field(3, "name", Str, Keep),
    Field(4, "namespace", Str, Omit),
] };

pub(crate) static CORE_V1_VOLUME: Message = Message { name: "core.v1.Volume", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "", Msg(&CORE_V1_VOLUME_SOURCE), Inline),
] };

pub(crate) static CORE_V1_VOLUME_DEVICE: Message = Message { name: "core.v1.VolumeDevice", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "devicePath", Str, Keep),
] };

pub(crate) static CORE_V1_VOLUME_MOUNT: Message = Message { name: "core.v1.VolumeMount", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "readOnly", Bool, Omit), Field(3, "mountPath", Str, Keep),
    Field(4, "subPath", Str, Omit), Field(5, "mountPropagation", Str, Omit), Field(6, "subPathExpr", Str, Omit),
    Field(7, "recursiveReadOnly", Str, Omit),
] };

pub(crate) static CORE_V1_VOLUME_MOUNT_STATUS: Message = Message { name: "core.v1.VolumeMountStatus", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "mountPath", Str, Keep), Field(3, "readOnly", Bool, Omit),
    Field(4, "recursiveReadOnly", Str, Omit),
] };

pub(crate) static CORE_V1_VOLUME_NODE_AFFINITY: Message = Message { name: "core.v1.VolumeNodeAffinity", special: Plain, fields: &[
    Field(1, "required", Msg(&CORE_V1_NODE_SELECTOR), Keep),
] };

pub(crate) static CORE_V1_VOLUME_PROJECTION: Message = Message { name: "core.v1.VolumeProjection", special: Plain, fields: &[
    Field(1, "secret", Msg(&CORE_V1_SECRET_PROJECTION), Keep),
    Field(2, "downwardAPI", Msg(&CORE_V1_DOWNWARD_API_PROJECTION), Keep),
    Field(3, "configMap", Msg(&CORE_V1_CONFIG_MAP_PROJECTION), Keep),
    Field(4, "serviceAccountToken", Msg(&CORE_V1_SERVICE_ACCOUNT_TOKEN_PROJECTION), Keep),
    Field(5, "clusterTrustBundle", Msg(&CORE_V1_CLUSTER_TRUST_BUNDLE_PROJECTION), Keep),
    Field(6, "podCertificate", Msg(&CORE_V1_POD_CERTIFICATE_PROJECTION), Keep),
] };

pub(crate) static CORE_V1_VOLUME_RESOURCE_REQUIREMENTS: Message = Message { name: "core.v1.VolumeResourceRequirements", special: Plain, fields: &[
    Field(1, "limits", Msg(&API_RESOURCE_QUANTITY), Map), Field(2, "requests", Msg(&API_RESOURCE_QUANTITY), Map),
] };

pub(crate) static CORE_V1_VOLUME_SOURCE: Message = Message { name: "core.v1.VolumeSource", special: Plain, fields: &[
    Field(1, "hostPath", Msg(&CORE_V1_HOST_PATH_VOLUME_SOURCE), Keep),
    Field(2, "emptyDir", Msg(&CORE_V1_EMPTY_DIR_VOLUME_SOURCE), Keep),
    Field(3, "gcePersistentDisk", Msg(&CORE_V1_GCE_PERSISTENT_DISK_VOLUME_SOURCE), Keep),
    Field(4, "awsElasticBlockStore", Msg(&CORE_V1_AWS_ELASTIC_BLOCK_STORE_VOLUME_SOURCE), Keep),
    Field(5, "gitRepo", Msg(&CORE_V1_GIT_REPO_VOLUME_SOURCE), Keep),
    Field(6, "secret", Msg(&CORE_V1_SECRET_VOLUME_SOURCE), Keep),
    Field(7, "nfs", Msg(&CORE_V1_NFS_VOLUME_SOURCE), Keep), Field(8, "iscsi", Msg(&CORE_V1_ISCSI_VOLUME_SOURCE), Keep),
    Field(9, "glusterfs", Msg(&CORE_V1_GLUSTERFS_VOLUME_SOURCE), Keep),
    Field(10, "persistentVolumeClaim", Msg(&CORE_V1_PERSISTENT_VOLUME_CLAIM_VOLUME_SOURCE), Keep),
    Field(11, "rbd", Msg(&CORE_V1_RBD_VOLUME_SOURCE), Keep),
    Field(12, "flexVolume", Msg(&CORE_V1_FLEX_VOLUME_SOURCE), Keep),
    Field(13, "cinder", Msg(&CORE_V1_CINDER_VOLUME_SOURCE), Keep),
    Field(14, "cephfs", Msg(&CORE_V1_CEPH_FS_VOLUME_SOURCE), Keep),
    Field(15, "flocker", Msg(&CORE_V1_FLOCKER_VOLUME_SOURCE), Keep),
    Field(16, "downwardAPI", Msg(&CORE_V1_DOWNWARD_API_VOLUME_SOURCE), Keep),
    Field(17, "fc", Msg(&CORE_V1_FC_VOLUME_SOURCE), Keep),
    Field(18, "azureFile", Msg(&CORE_V1_AZURE_FILE_VOLUME_SOURCE), Keep),
    Field(19, "configMap", Msg(&CORE_V1_CONFIG_MAP_VOLUME_SOURCE), Keep),
    Field(20, "vsphereVolume", Msg(&CORE_V1_VSPHERE_VIRTUAL_DISK_VOLUME_SOURCE), Keep),
    Field(21, "quobyte", Msg(&CORE_V1_QUOBYTE_VOLUME_SOURCE), Keep),
    Field(22, "azureDisk", Msg(&CORE_V1_AZURE_DISK_VOLUME_SOURCE), Keep),
    Field(23, "photonPersistentDisk", Msg(&CORE_V1_PHOTON_PERSISTENT_DISK_VOLUME_SOURCE), Keep),
    Field(24, "portworxVolume", Msg(&CORE_V1_PORTWORX_VOLUME_SOURCE), Keep),
    Field(25, "scaleIO", Msg(&CORE_V1_SCALE_IO_VOLUME_SOURCE), Keep),
    Field(26, "projected", Msg(&CORE_V1_PROJECTED_VOLUME_SOURCE), Keep),
    Field(27, "storageos", Msg(&CORE_V1_STORAGE_OS_VOLUME_SOURCE), Keep),
    Field(28, "csi", Msg(&CORE_V1_CSI_VOLUME_SOURCE), Keep),
    Field(29, "ephemeral", Msg(&CORE_V1_EPHEMERAL_VOLUME_SOURCE), Keep),
    Field(30, "image", Msg(&CORE_V1_IMAGE_VOLUME_SOURCE), Keep),
] };

pub(crate) static CORE_V1_VSPHERE_VIRTUAL_DISK_VOLUME_SOURCE: Message = Message { name: "core.v1.VsphereVirtualDiskVolumeSource", special: Plain, fields: &[
    Field(1, "volumePath", Str, Keep), Field(2, "fsType", Str, Omit), Field(3, "storagePolicyName", Str, Omit),
    Field(4, "storagePolicyID", Str, Omit),
] };

pub(crate) static CORE_V1_WEIGHTED_POD_AFFINITY_TERM: Message = Message { name: "core.v1.WeightedPodAffinityTerm", special: Plain, fields: &[
    Field(1, "weight", I32, Keep), Field(2, "podAffinityTerm", Msg(&CORE_V1_POD_AFFINITY_TERM), Keep),
] };

pub(crate) static CORE_V1_WINDOWS_SECURITY_CONTEXT_OPTIONS: Message = Message { name: "core.v1.WindowsSecurityContextOptions", special: Plain, fields: &[
    Field(1, "gmsaCredentialSpecName", Str, Omit), Field(2, "gmsaCredentialSpec", Str, Omit),
    Field(3, "runAsUserName", Str, Omit), Field(4, "hostProcess", Bool, Keep),
] };

pub(crate) static CORE_V1_WORKLOAD_REFERENCE: Message = Message { name: "core.v1.WorkloadReference", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "podGroup", Str, Keep), Field(3, "podGroupReplicaKey", Str, Omit),
] };

pub(crate) static DISCOVERY_V1_ENDPOINT: Message = Message { name: "discovery.v1.Endpoint", special: Plain, fields: &[
    Field(1, "addresses", Str, List), Field(2, "conditions", Msg(&DISCOVERY_V1_ENDPOINT_CONDITIONS), Keep),
    Field(3, "hostname", Str, Omit), Field(4, "targetRef", Msg(&CORE_V1_OBJECT_REFERENCE), Keep),
    Field(5, "deprecatedTopology", Str, Map), Field(6, "nodeName", Str, Omit), Field(7, "zone", Str, Omit),
    Field(8, "hints", Msg(&DISCOVERY_V1_ENDPOINT_HINTS), Keep),
] };

pub(crate) static DISCOVERY_V1_ENDPOINT_CONDITIONS: Message = Message { name: "discovery.v1.EndpointConditions", special: Plain, fields: &[
    Field(1, "ready", Bool, Keep), Field(2, "serving", Bool, Keep), Field(3, "terminating", Bool, Keep),
] };

pub(crate) static DISCOVERY_V1_ENDPOINT_HINTS: Message = Message { name: "discovery.v1.EndpointHints", special: Plain, fields: &[
    Field(1, "forZones", Msg(&DISCOVERY_V1_FOR_ZONE), List), Field(2, "forNodes", Msg(&DISCOVERY_V1_FOR_NODE), List),
] };

pub(crate) static DISCOVERY_V1_ENDPOINT_PORT: Message = Message { name: "discovery.v1.EndpointPort", special: Plain, fields: &[
    Field(1, "name", Str, Omit), Field(2, "protocol", Str, Omit), Field(3, "port", I32, Keep),
    Field(4, "appProtocol", Str, Omit),
] };

pub(crate) static DISCOVERY_V1_ENDPOINT_SLICE: Message = Message { name: "discovery.v1.EndpointSlice", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "endpoints", Msg(&DISCOVERY_V1_ENDPOINT), List),
    Field(3, "ports", Msg(&DISCOVERY_V1_ENDPOINT_PORT), List), Field(4, "addressType", Str, Keep),
] };

pub(crate) static DISCOVERY_V1_ENDPOINT_SLICE_LIST: Message = Message { name: "discovery.v1.EndpointSliceList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&DISCOVERY_V1_ENDPOINT_SLICE), List),
] };

pub(crate) static DISCOVERY_V1_FOR_NODE: Message = Message { name: "discovery.v1.ForNode", special: Plain, fields: &[
    Field(1, "name", Str, Keep),
] };

pub(crate) static DISCOVERY_V1_FOR_ZONE: Message = Message { name: "discovery.v1.ForZone", special: Plain, fields: &[
    Field(1, "name", Str, Keep),
] };

pub(crate) static EVENTS_V1_EVENT: Message = Message { name: "events.v1.Event", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "eventTime", Msg(&META_V1_MICRO_TIME), Keep),
    Field(3, "series", Msg(&EVENTS_V1_EVENT_SERIES), Keep), Field(4, "reportingController", Str, Omit),
    Field(5, "reportingInstance", Str, Omit), Field(6, "action", Str, Omit), Field(7, "reason", Str, Omit),
    Field(8, "regarding", Msg(&CORE_V1_OBJECT_REFERENCE), Keep),
    Field(9, "related", Msg(&CORE_V1_OBJECT_REFERENCE), Keep), Field(10, "note", Str, Omit),
    Field(11, "type", Str, Omit), Field(12, "deprecatedSource", Msg(&CORE_V1_EVENT_SOURCE), Keep),
    Field(13, "deprecatedFirstTimestamp", Msg(&META_V1_TIME), Keep),
    Field(14, "deprecatedLastTimestamp", Msg(&META_V1_TIME), Keep), Field(15, "deprecatedCount", I32, Omit),
] };

pub(crate) static EVENTS_V1_EVENT_LIST: Message = Message { name: "events.v1.EventList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&EVENTS_V1_EVENT), List),
] };

pub(crate) static EVENTS_V1_EVENT_SERIES: Message = Message { name: "events.v1.EventSeries", special: Plain, fields: &[
    Field(1, "count", I32, Keep), Field(2, "lastObservedTime", Msg(&META_V1_MICRO_TIME), Keep),
] };

pub(crate) static META_V1_API_GROUP: Message = Message { name: "meta.v1.APIGroup", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "versions", Msg(&META_V1_GROUP_VERSION_FOR_DISCOVERY), List),
    Field(3, "preferredVersion", Msg(&META_V1_GROUP_VERSION_FOR_DISCOVERY), Keep),
    Field(4, "serverAddressByClientCIDRs", Msg(&META_V1_SERVER_ADDRESS_BY_CLIENT_CIDR), List),
] };

pub(crate) static META_V1_API_GROUP_LIST: Message = Message { name: "meta.v1.APIGroupList", special: Plain, fields: &[
    Field(1, "groups", Msg(&META_V1_API_GROUP), List),
] };

pub(crate) static META_V1_API_RESOURCE: Message = Message { name: "meta.v1.APIResource", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "namespaced", Bool, Keep), Field(3, "kind", Str, Keep),
    Field(4, "verbs", Msg(&META_V1_VERBS), Keep), Field(5, "shortNames", Str, List),
    Field(6, "singularName", Str, Keep), Field(7, "categories", Str, List), Field(8, "group", Str, Omit),
    Field(9, "version", Str, Omit), Field(10, "storageVersionHash", Str, Omit),
] };

pub(crate) static META_V1_API_RESOURCE_LIST: Message = Message { name: "meta.v1.APIResourceList", special: Plain, fields: &[
    Field(1, "groupVersion", Str, Keep), Field(2, "resources", Msg(&META_V1_API_RESOURCE), List),
] };

pub(crate) static META_V1_API_VERSIONS: Message = Message { name: "meta.v1.APIVersions", special: Plain, fields: &[
    Field(1, "versions", Str, List),
    Field(2, "serverAddressByClientCIDRs", Msg(&META_V1_SERVER_ADDRESS_BY_CLIENT_CIDR), List),
] };

pub(crate) static META_V1_CONDITION: Message = Message { name: "meta.v1.Condition", special: Plain, fields: &[
    Field(1, "type", Str, Keep), Field(2, "status", Str, Keep), Field(3, "observedGeneration", I64, Omit),
    Field(4, "lastTransitionTime", Msg(&META_V1_TIME), Keep), Field(5, "reason", Str, Keep),
    Field(6, "message", Str, Keep),
] };

pub(crate) static META_V1_CREATE_OPTIONS: Message = Message { name: "meta.v1.CreateOptions", special: Plain, fields: &[
    Field(1, "dryRun", Str, List), Field(3, "fieldManager", Str, Omit), Field(4, "fieldValidation", Str, Omit),
] };

pub(crate) static META_V1_DELETE_OPTIONS: Message = Message { name: "meta.v1.DeleteOptions", special: Plain, fields: &[
    Field(1, "gracePeriodSeconds", I64, Keep), Field(2, "preconditions", Msg(&META_V1_PRECONDITIONS), Keep),
    Field(3, "orphanDependents", Bool, Keep), Field(4, "propagationPolicy", Str, Omit), Field(5, "dryRun", Str, List),
    Field(6, "ignoreStoreReadErrorWithClusterBreakingPotential", Bool, Keep),
] };

pub(crate) static META_V1_FIELDS_V1: Message = Message { name: "meta.v1.FieldsV1", special: RawJson, fields: &[
    Field(1, "raw", Bytes, Omit),
] };

pub(crate) static META_V1_FIELD_SELECTOR_REQUIREMENT: Message = Message { name: "meta.v1.FieldSelectorRequirement", special: Plain, fields: &[
    Field(1, "key", Str, Keep), Field(2, "operator", Str, Keep), Field(3, "values", Str, List),
] };

pub(crate) static META_V1_GET_OPTIONS: Message = Message { name: "meta.v1.GetOptions", special: Plain, fields: &[
    Field(1, "resourceVersion", Str, Omit),
] };

pub(crate) static META_V1_GROUP_VERSION_FOR_DISCOVERY: Message = Message { name: "meta.v1.GroupVersionForDiscovery", special: Plain, fields: &[
    Field(1, "groupVersion", Str, Keep), Field(2, "version", Str, Keep),
] };

pub(crate) static META_V1_LABEL_SELECTOR: Message = Message { name: "meta.v1.LabelSelector", special: Plain, fields: &[
    Field(1, "matchLabels", Str, Map), Field(2, "matchExpressions", Msg(&META_V1_LABEL_SELECTOR_REQUIREMENT), List),
] };

pub(crate) static META_V1_LABEL_SELECTOR_REQUIREMENT: Message = Message { name: "meta.v1.LabelSelectorRequirement", special: Plain, fields: &[
    Field(1, "key", Str, Keep), Field(2, "operator", Str, Keep), Field(3, "values", Str, List),
] };

pub(crate) static META_V1_LIST_META: Message = Message { name: "meta.v1.ListMeta", special: Plain, fields: &[
    Field(1, "selfLink", Str, Omit), Field(2, "resourceVersion", Str, Omit), Field(3, "continue", Str, Omit),
    Field(4, "remainingItemCount", I64, Keep),
] };

pub(crate) static META_V1_LIST_OPTIONS: Message = Message { name: "meta.v1.ListOptions", special: Plain, fields: &[
    Field(1, "labelSelector", Str, Omit), Field(2, "fieldSelector", Str, Omit), Field(3, "watch", Bool, Omit),
    Field(4, "resourceVersion", Str, Omit), Field(5, "timeoutSeconds", I64, Keep), Field(7, "limit", I64, Omit),
    Field(8, "continue", Str, Omit), Field(9, "allowWatchBookmarks", Bool, Omit),
    Field(10, "resourceVersionMatch", Str, Omit), Field(11, "sendInitialEvents", Bool, Keep),
] };

pub(crate) static META_V1_MANAGED_FIELDS_ENTRY: Message = Message { name: "meta.v1.ManagedFieldsEntry", special: Plain, fields: &[
    Field(1, "manager", Str, Omit), Field(2, "operation", Str, Omit), Field(3, "apiVersion", Str, Omit),
    Field(4, "time", Msg(&META_V1_TIME), Keep), Field(6, "fieldsType", Str, Omit),
    Field(7, "fieldsV1", Msg(&META_V1_FIELDS_V1), Keep), Field(8, "subresource", Str, Omit),
] };

pub(crate) static META_V1_MICRO_TIME: Message = Message { name: "meta.v1.MicroTime", special: MicroTime, fields: &[
    Field(1, "seconds", I64, Keep), Field(2, "nanos", I32, Keep),
] };

pub(crate) static META_V1_OBJECT_META: Message = Message { name: "meta.v1.ObjectMeta", special: Plain, fields: &[
    Field(1, "name", Str, Omit), Field(2, "generateName", Str, Omit), Field(3, "namespace", Str, Omit),
    Field(4, "selfLink", Str, Omit), Field(5, "uid", Str, Omit), Field(6, "resourceVersion", Str, Omit),
    Field(7, "generation", I64, Omit), Field(8, "creationTimestamp", Msg(&META_V1_TIME), Keep),
    Field(9, "deletionTimestamp", Msg(&META_V1_TIME), Keep), Field(10, "deletionGracePeriodSeconds", I64, Keep),
    Field(11, "labels", Str, Map), Field(12, "annotations", Str, Map),
    Field(13, "ownerReferences", Msg(&META_V1_OWNER_REFERENCE), List), Field(14, "finalizers", Str, List),
    Field(17, "managedFields", Msg(&META_V1_MANAGED_FIELDS_ENTRY), List),
] };

pub(crate) static META_V1_OWNER_REFERENCE: Message = Message { name: "meta.v1.OwnerReference", special: Plain, fields: &[
    Field(1, "kind", Str, Keep), Field(3, "name", Str, Keep), Field(4, "uid", Str, Keep),
    Field(5, "apiVersion", Str, Keep), Field(6, "controller", Bool, Keep), Field(7, "blockOwnerDeletion", Bool, Keep),
] };

pub(crate) static META_V1_PARTIAL_OBJECT_METADATA: Message = Message { name: "meta.v1.PartialObjectMetadata", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
] };

pub(crate) static META_V1_PARTIAL_OBJECT_METADATA_LIST: Message = Message { name: "meta.v1.PartialObjectMetadataList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&META_V1_PARTIAL_OBJECT_METADATA), List),
] };

pub(crate) static META_V1_PATCH_OPTIONS: Message = Message { name: "meta.v1.PatchOptions", special: Plain, fields: &[
    Field(1, "dryRun", Str, List), Field(2, "force", Bool, Keep), Field(3, "fieldManager", Str, Omit),
    Field(4, "fieldValidation", Str, Omit),
] };

pub(crate) static META_V1_PRECONDITIONS: Message = Message { name: "meta.v1.Preconditions", special: Plain, fields: &[
    Field(1, "uid", Str, Omit), Field(2, "resourceVersion", Str, Omit),
] };

pub(crate) static META_V1_SERVER_ADDRESS_BY_CLIENT_CIDR: Message = Message { name: "meta.v1.ServerAddressByClientCIDR", special: Plain, fields: &[
    Field(1, "clientCIDR", Str, Keep), Field(2, "serverAddress", Str, Keep),
] };

pub(crate) static META_V1_STATUS: Message = Message { name: "meta.v1.Status", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "status", Str, Omit), Field(3, "message", Str, Omit),
    Field(4, "reason", Str, Omit), Field(5, "details", Msg(&META_V1_STATUS_DETAILS), Keep), Field(6, "code", I32, Omit),
] };

pub(crate) static META_V1_STATUS_CAUSE: Message = Message { name: "meta.v1.StatusCause", special: Plain, fields: &[
    Field(1, "reason", Str, Omit), Field(2, "message", Str, Omit), Field(3, "field", Str, Omit),
] };

pub(crate) static META_V1_STATUS_DETAILS: Message = Message { name: "meta.v1.StatusDetails", special: Plain, fields: &[
    Field(1, "name", Str, Omit), Field(2, "group", Str, Omit), Field(3, "kind", Str, Omit),
    Field(4, "causes", Msg(&META_V1_STATUS_CAUSE), List), Field(5, "retryAfterSeconds", I32, Omit),
    Field(6, "uid", Str, Omit),
] };

pub(crate) static META_V1_TIME: Message = Message { name: "meta.v1.Time", special: Time, fields: &[
    Field(1, "seconds", I64, Keep), Field(2, "nanos", I32, Keep),
] };

pub(crate) static META_V1_UPDATE_OPTIONS: Message = Message { name: "meta.v1.UpdateOptions", special: Plain, fields: &[
    Field(1, "dryRun", Str, List), Field(2, "fieldManager", Str, Omit), Field(3, "fieldValidation", Str, Omit),
] };

pub(crate) static META_V1_VERBS: Message = Message { name: "meta.v1.Verbs", special: StringList, fields: &[
    Field(1, "items", Str, List),
] };

pub(crate) static META_V1_WATCH_EVENT: Message = Message { name: "meta.v1.WatchEvent", special: Plain, fields: &[
    Field(1, "type", Str, Omit), Field(2, "object", Msg(&RUNTIME_RAW_EXTENSION), Keep),
] };

pub(crate) static NETWORKING_V1_HTTP_INGRESS_PATH: Message = Message { name: "networking.v1.HTTPIngressPath", special: Plain, fields: &[
    Field(1, "path", Str, Omit), Field(2, "backend", Msg(&NETWORKING_V1_INGRESS_BACKEND), Keep),
    Field(3, "pathType", Str, Keep),
] };

pub(crate) static NETWORKING_V1_HTTP_INGRESS_RULE_VALUE: Message = Message { name: "networking.v1.HTTPIngressRuleValue", special: Plain, fields: &[
    Field(1, "paths", Msg(&NETWORKING_V1_HTTP_INGRESS_PATH), List),
] };

pub(crate) static NETWORKING_V1_INGRESS: Message = Message { name: "networking.v1.Ingress", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&NETWORKING_V1_INGRESS_SPEC), Keep),
    Field(3, "status", Msg(&NETWORKING_V1_INGRESS_STATUS), Keep),
] };

pub(crate) static NETWORKING_V1_INGRESS_BACKEND: Message = Message { name: "networking.v1.IngressBackend", special: Plain, fields: &[
    Field(3, "resource", Msg(&CORE_V1_TYPED_LOCAL_OBJECT_REFERENCE), Keep),
    Field(4, "service", Msg(&NETWORKING_V1_INGRESS_SERVICE_BACKEND), Keep),
] };

pub(crate) static NETWORKING_V1_INGRESS_CLASS: Message = Message { name: "networking.v1.IngressClass", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&NETWORKING_V1_INGRESS_CLASS_SPEC), Keep),
] };

pub(crate) static NETWORKING_V1_INGRESS_CLASS_LIST: Message = Message { name: "networking.v1.IngressClassList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&NETWORKING_V1_INGRESS_CLASS), List),
] };

pub(crate) static NETWORKING_V1_INGRESS_CLASS_PARAMETERS_REFERENCE: Message = Message { name: "networking.v1.IngressClassParametersReference", special: Plain, fields: &[
    Field(1, "apiGroup", Str, Omit), Field(2, "kind", Str, Keep), Field(3, "name", Str, Keep),
    Field(4, "scope", Str, Omit), Field(5, "namespace", Str, Omit),
] };

pub(crate) static NETWORKING_V1_INGRESS_CLASS_SPEC: Message = Message { name: "networking.v1.IngressClassSpec", special: Plain, fields: &[
    Field(1, "controller", Str, Omit),
    Field(2, "parameters", Msg(&NETWORKING_V1_INGRESS_CLASS_PARAMETERS_REFERENCE), Keep),
] };

pub(crate) static NETWORKING_V1_INGRESS_LIST: Message = Message { name: "networking.v1.IngressList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&NETWORKING_V1_INGRESS), List),
] };

pub(crate) static NETWORKING_V1_INGRESS_LOAD_BALANCER_INGRESS: Message = Message { name: "networking.v1.IngressLoadBalancerIngress", special: Plain, fields: &[
    Field(1, "ip", Str, Omit), Field(2, "hostname", Str, Omit),
    Field(4, "ports", Msg(&NETWORKING_V1_INGRESS_PORT_STATUS), List),
] };

pub(crate) static NETWORKING_V1_INGRESS_LOAD_BALANCER_STATUS: Message = Message { name: "networking.v1.IngressLoadBalancerStatus", special: Plain, fields: &[
    Field(1, "ingress", Msg(&NETWORKING_V1_INGRESS_LOAD_BALANCER_INGRESS), List),
] };

pub(crate) static NETWORKING_V1_INGRESS_PORT_STATUS: Message = Message { name: "networking.v1.IngressPortStatus", special: Plain, fields: &[
    Field(1, "port", I32, Keep), Field(2, "protocol", Str, Keep), Field(3, "error", Str, Omit),
] };

pub(crate) static NETWORKING_V1_INGRESS_RULE: Message = Message { name: "networking.v1.IngressRule", special: Plain, fields: &[
    Field(1, "host", Str, Omit), Field(2, "", Msg(&NETWORKING_V1_INGRESS_RULE_VALUE), Inline),
] };

pub(crate) static NETWORKING_V1_INGRESS_RULE_VALUE: Message = Message { name: "networking.v1.IngressRuleValue", special: Plain, fields: &[
    Field(1, "http", Msg(&NETWORKING_V1_HTTP_INGRESS_RULE_VALUE), Keep),
] };

pub(crate) static NETWORKING_V1_INGRESS_SERVICE_BACKEND: Message = Message { name: "networking.v1.IngressServiceBackend", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "port", Msg(&NETWORKING_V1_SERVICE_BACKEND_PORT), Keep),
] };

pub(crate) static NETWORKING_V1_INGRESS_SPEC: Message = Message { name: "networking.v1.IngressSpec", special: Plain, fields: &[
    Field(1, "defaultBackend", Msg(&NETWORKING_V1_INGRESS_BACKEND), Keep),
    Field(2, "tls", Msg(&NETWORKING_V1_INGRESS_TLS), List), Field(3, "rules", Msg(&NETWORKING_V1_INGRESS_RULE), List),
    Field(4, "ingressClassName", Str, Omit),
] };

pub(crate) static NETWORKING_V1_INGRESS_STATUS: Message = Message { name: "networking.v1.IngressStatus", special: Plain, fields: &[
    Field(1, "loadBalancer", Msg(&NETWORKING_V1_INGRESS_LOAD_BALANCER_STATUS), Keep),
] };

pub(crate) static NETWORKING_V1_INGRESS_TLS: Message = Message { name: "networking.v1.IngressTLS", special: Plain, fields: &[
    Field(1, "hosts", Str, List), Field(2, "secretName", Str, Omit),
] };

pub(crate) static NETWORKING_V1_IP_ADDRESS: Message = Message { name: "networking.v1.IPAddress", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&NETWORKING_V1_IP_ADDRESS_SPEC), Keep),
] };

pub(crate) static NETWORKING_V1_IP_ADDRESS_LIST: Message = Message { name: "networking.v1.IPAddressList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&NETWORKING_V1_IP_ADDRESS), List),
] };

pub(crate) static NETWORKING_V1_IP_ADDRESS_SPEC: Message = Message { name: "networking.v1.IPAddressSpec", special: Plain, fields: &[
    Field(1, "parentRef", Msg(&NETWORKING_V1_PARENT_REFERENCE), Keep),
] };

pub(crate) static NETWORKING_V1_IP_BLOCK: Message = Message { name: "networking.v1.IPBlock", special: Plain, fields: &[
    Field(1, "cidr", Str, Keep), Field(2, "except", Str, List),
] };

pub(crate) static NETWORKING_V1_NETWORK_POLICY: Message = Message { name: "networking.v1.NetworkPolicy", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&NETWORKING_V1_NETWORK_POLICY_SPEC), Keep),
] };

pub(crate) static NETWORKING_V1_NETWORK_POLICY_EGRESS_RULE: Message = Message { name: "networking.v1.NetworkPolicyEgressRule", special: Plain, fields: &[
    Field(1, "ports", Msg(&NETWORKING_V1_NETWORK_POLICY_PORT), List),
    Field(2, "to", Msg(&NETWORKING_V1_NETWORK_POLICY_PEER), List),
] };

pub(crate) static NETWORKING_V1_NETWORK_POLICY_INGRESS_RULE: Message = Message { name: "networking.v1.NetworkPolicyIngressRule", special: Plain, fields: &[
    Field(1, "ports", Msg(&NETWORKING_V1_NETWORK_POLICY_PORT), List),
    Field(2, "from", Msg(&NETWORKING_V1_NETWORK_POLICY_PEER), List),
] };

pub(crate) static NETWORKING_V1_NETWORK_POLICY_LIST: Message = Message { name: "networking.v1.NetworkPolicyList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&NETWORKING_V1_NETWORK_POLICY), List),
] };

pub(crate) static NETWORKING_V1_NETWORK_POLICY_PEER: Message = Message { name: "networking.v1.NetworkPolicyPeer", special: Plain, fields: &[
    Field(1, "podSelector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(2, "namespaceSelector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(3, "ipBlock", Msg(&NETWORKING_V1_IP_BLOCK), Keep),
] };

pub(crate) static NETWORKING_V1_NETWORK_POLICY_PORT: Message = Message { name: "networking.v1.NetworkPolicyPort", special: Plain, fields: &[
    Field(1, "protocol", Str, Omit), Field(2, "port", Msg(&UTIL_INTSTR_INT_OR_STRING), Keep),
    Field(3, "endPort", I32, Keep),
] };

pub(crate) static NETWORKING_V1_NETWORK_POLICY_SPEC: Message = Message { name: "networking.v1.NetworkPolicySpec", special: Plain, fields: &[
    Field(1, "podSelector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(2, "ingress", Msg(&NETWORKING_V1_NETWORK_POLICY_INGRESS_RULE), List),
    Field(3, "egress", Msg(&NETWORKING_V1_NETWORK_POLICY_EGRESS_RULE), List), Field(4, "policyTypes", Str, List),
] };

pub(crate) static NETWORKING_V1_PARENT_REFERENCE: Message = Message { name: "networking.v1.ParentReference", special: Plain, fields: &[
    Field(1, "group", Str, Omit), Field(2, "resource", Str, Keep), Field(3, "namespace", Str, Omit),
    Field(4, "name", Str, Keep),
] };

pub(crate) static NETWORKING_V1_SERVICE_BACKEND_PORT: Message = Message { name: "networking.v1.ServiceBackendPort", special: Plain, fields: &[
    Field(1, "name", Str, Omit), Field(2, "number", I32, Omit),
] };

pub(crate) static NETWORKING_V1_SERVICE_CIDR: Message = Message { name: "networking.v1.ServiceCIDR", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&NETWORKING_V1_SERVICE_CIDR_SPEC), Keep),
    Field(3, "status", Msg(&NETWORKING_V1_SERVICE_CIDR_STATUS), Keep),
] };

pub(crate) static NETWORKING_V1_SERVICE_CIDR_LIST: Message = Message { name: "networking.v1.ServiceCIDRList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&NETWORKING_V1_SERVICE_CIDR), List),
] };

pub(crate) static NETWORKING_V1_SERVICE_CIDR_SPEC: Message = Message { name: "networking.v1.ServiceCIDRSpec", special: Plain, fields: &[
    Field(1, "cidrs", Str, List),
] };

pub(crate) static NETWORKING_V1_SERVICE_CIDR_STATUS: Message = Message { name: "networking.v1.ServiceCIDRStatus", special: Plain, fields: &[
    Field(1, "conditions", Msg(&META_V1_CONDITION), List),
] };

pub(crate) static NODE_V1_OVERHEAD: Message = Message { name: "node.v1.Overhead", special: Plain, fields: &[
    Field(1, "podFixed", Msg(&API_RESOURCE_QUANTITY), Map),
] };

pub(crate) static NODE_V1_RUNTIME_CLASS: Message = Message { name: "node.v1.RuntimeClass", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "handler", Str, Keep),
    Field(3, "overhead", Msg(&NODE_V1_OVERHEAD), Keep), Field(4, "scheduling", Msg(&NODE_V1_SCHEDULING), Keep),
] };

pub(crate) static NODE_V1_RUNTIME_CLASS_LIST: Message = Message { name: "node.v1.RuntimeClassList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&NODE_V1_RUNTIME_CLASS), List),
] };

pub(crate) static NODE_V1_SCHEDULING: Message = Message { name: "node.v1.Scheduling", special: Plain, fields: &[
    Field(1, "nodeSelector", Str, Map), Field(2, "tolerations", Msg(&CORE_V1_TOLERATION), List),
] };

pub(crate) static POLICY_V1_EVICTION: Message = Message { name: "policy.v1.Eviction", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "deleteOptions", Msg(&META_V1_DELETE_OPTIONS), Keep),
] };

pub(crate) static POLICY_V1_POD_DISRUPTION_BUDGET: Message = Message { name: "policy.v1.PodDisruptionBudget", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&POLICY_V1_POD_DISRUPTION_BUDGET_SPEC), Keep),
    Field(3, "status", Msg(&POLICY_V1_POD_DISRUPTION_BUDGET_STATUS), Keep),
] };

pub(crate) static POLICY_V1_POD_DISRUPTION_BUDGET_LIST: Message = Message { name: "policy.v1.PodDisruptionBudgetList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&POLICY_V1_POD_DISRUPTION_BUDGET), List),
] };

pub(crate) static POLICY_V1_POD_DISRUPTION_BUDGET_SPEC: Message = Message { name: "policy.v1.PodDisruptionBudgetSpec", special: Plain, fields: &[
    Field(1, "minAvailable", Msg(&UTIL_INTSTR_INT_OR_STRING), Keep),
    Field(2, "selector", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(3, "maxUnavailable", Msg(&UTIL_INTSTR_INT_OR_STRING), Keep),
    Field(4, "unhealthyPodEvictionPolicy", Str, Omit),
] };

pub(crate) static POLICY_V1_POD_DISRUPTION_BUDGET_STATUS: Message = Message { name: "policy.v1.PodDisruptionBudgetStatus", special: Plain, fields: &[
    Field(1, "observedGeneration", I64, Omit), Field(2, "disruptedPods", Msg(&META_V1_TIME), Map),
    Field(3, "disruptionsAllowed", I32, Keep), Field(4, "currentHealthy", I32, Keep),
    Field(5, "desiredHealthy", I32, Keep), Field(6, "expectedPods", I32, Keep),
    Field(7, "conditions", Msg(&META_V1_CONDITION), List),
] };

pub(crate) static RBAC_V1_AGGREGATION_RULE: Message = Message { name: "rbac.v1.AggregationRule", special: Plain, fields: &[
    Field(1, "clusterRoleSelectors", Msg(&META_V1_LABEL_SELECTOR), List),
] };

pub(crate) static RBAC_V1_CLUSTER_ROLE: Message = Message { name: "rbac.v1.ClusterRole", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "rules", Msg(&RBAC_V1_POLICY_RULE), List),
    Field(3, "aggregationRule", Msg(&RBAC_V1_AGGREGATION_RULE), Keep),
] };

pub(crate) static RBAC_V1_CLUSTER_ROLE_BINDING: Message = Message { name: "rbac.v1.ClusterRoleBinding", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "subjects", Msg(&RBAC_V1_SUBJECT), List),
    Field(3, "roleRef", Msg(&RBAC_V1_ROLE_REF), Keep),
] };

pub(crate) static RBAC_V1_CLUSTER_ROLE_BINDING_LIST: Message = Message { name: "rbac.v1.ClusterRoleBindingList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&RBAC_V1_CLUSTER_ROLE_BINDING), List),
] };

pub(crate) static RBAC_V1_CLUSTER_ROLE_LIST: Message = Message { name: "rbac.v1.ClusterRoleList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&RBAC_V1_CLUSTER_ROLE), List),
] };

pub(crate) static RBAC_V1_POLICY_RULE: Message = Message { name: "rbac.v1.PolicyRule", special: Plain, fields: &[
    Field(1, "verbs", Str, List), Field(2, "apiGroups", Str, List), Field(3, "resources", Str, List),
    Field(4, "resourceNames", Str, List), Field(5, "nonResourceURLs", Str, List),
] };

pub(crate) static RBAC_V1_ROLE: Message = Message { name: "rbac.v1.Role", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "rules", Msg(&RBAC_V1_POLICY_RULE), List),
] };

pub(crate) static RBAC_V1_ROLE_BINDING: Message = Message { name: "rbac.v1.RoleBinding", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "subjects", Msg(&RBAC_V1_SUBJECT), List),
    Field(3, "roleRef", Msg(&RBAC_V1_ROLE_REF), Keep),
] };

pub(crate) static RBAC_V1_ROLE_BINDING_LIST: Message = Message { name: "rbac.v1.RoleBindingList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&RBAC_V1_ROLE_BINDING), List),
] };

pub(crate) static RBAC_V1_ROLE_LIST: Message = Message { name: "rbac.v1.RoleList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&RBAC_V1_ROLE), List),
] };

pub(crate) static RBAC_V1_ROLE_REF: Message = Message { name: "rbac.v1.RoleRef", special: Plain, fields: &[
    Field(1, "apiGroup", Str, Omit), Field(2, "kind", Str, Keep), Field(3, "name", Str, Keep),
] };

pub(crate) static RBAC_V1_SUBJECT: Message = Message { name: "rbac.v1.Subject", special: Plain, fields: &[
    Field(1, "kind", Str, Keep), Field(2, "apiGroup", Str, Omit), Field(3, "name", Str, Keep),
    Field(4, "namespace", Str, Omit),
] };

pub(crate) static RUNTIME_RAW_EXTENSION: Message = Message { name: "runtime.RawExtension", special: RawExtension, fields: &[
    Field(1, "raw", Bytes, Omit),
] };

pub(crate) static SCHEDULING_V1_PRIORITY_CLASS: Message = Message { name: "scheduling.v1.PriorityClass", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "value", I32, Keep),
    Field(3, "globalDefault", Bool, Omit), Field(4, "description", Str, Omit), Field(5, "preemptionPolicy", Str, Omit),
] };

pub(crate) static SCHEDULING_V1_PRIORITY_CLASS_LIST: Message = Message { name: "scheduling.v1.PriorityClassList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&SCHEDULING_V1_PRIORITY_CLASS), List),
] };

pub(crate) static STORAGE_V1_CSI_DRIVER: Message = Message { name: "storage.v1.CSIDriver", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&STORAGE_V1_CSI_DRIVER_SPEC), Keep),
] };

pub(crate) static STORAGE_V1_CSI_DRIVER_LIST: Message = Message { name: "storage.v1.CSIDriverList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&STORAGE_V1_CSI_DRIVER), List),
] };

pub(crate) static STORAGE_V1_CSI_DRIVER_SPEC: Message = Message { name: "storage.v1.CSIDriverSpec", special: Plain, fields: &[
    Field(1, "attachRequired", Bool, Keep), Field(2, "podInfoOnMount", Bool, Keep),
    Field(3, "volumeLifecycleModes", Str, List), Field(4, "storageCapacity", Bool, Keep),
    Field(5, "fsGroupPolicy", Str, Omit), Field(6, "tokenRequests", Msg(&STORAGE_V1_TOKEN_REQUEST), List),
    Field(7, "requiresRepublish", Bool, Keep), Field(8, "seLinuxMount", Bool, Keep),
    Field(9, "nodeAllocatableUpdatePeriodSeconds", I64, Keep), Field(10, "serviceAccountTokenInSecrets", Bool, Keep),
] };

pub(crate) static STORAGE_V1_CSI_NODE: Message = Message { name: "storage.v1.CSINode", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "spec", Msg(&STORAGE_V1_CSI_NODE_SPEC), Keep),
] };

pub(crate) static STORAGE_V1_CSI_NODE_DRIVER: Message = Message { name: "storage.v1.CSINodeDriver", special: Plain, fields: &[
    Field(1, "name", Str, Keep), Field(2, "nodeID", Str, Keep), Field(3, "topologyKeys", Str, List),
    Field(4, "allocatable", Msg(&STORAGE_V1_VOLUME_NODE_RESOURCES), Keep),
] };

pub(crate) static STORAGE_V1_CSI_NODE_LIST: Message = Message { name: "storage.v1.CSINodeList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&STORAGE_V1_CSI_NODE), List),
] };

pub(crate) static STORAGE_V1_CSI_NODE_SPEC: Message = Message { name: "storage.v1.CSINodeSpec", special: Plain, fields: &[
    Field(1, "drivers", Msg(&STORAGE_V1_CSI_NODE_DRIVER), List),
] };

pub(crate) static STORAGE_V1_CSI_STORAGE_CAPACITY: Message = Message { name: "storage.v1.CSIStorageCapacity", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "nodeTopology", Msg(&META_V1_LABEL_SELECTOR), Keep),
    Field(3, "storageClassName", Str, Keep), Field(4, "capacity", Msg(&API_RESOURCE_QUANTITY), Keep),
    Field(5, "maximumVolumeSize", Msg(&API_RESOURCE_QUANTITY), Keep),
] };

pub(crate) static STORAGE_V1_CSI_STORAGE_CAPACITY_LIST: Message = Message { name: "storage.v1.CSIStorageCapacityList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&STORAGE_V1_CSI_STORAGE_CAPACITY), List),
] };

pub(crate) static STORAGE_V1_STORAGE_CLASS: Message = Message { name: "storage.v1.StorageClass", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "provisioner", Str, Keep),
    Field(3, "parameters", Str, Map), Field(4, "reclaimPolicy", Str, Omit), Field(5, "mountOptions", Str, List),
    Field(6, "allowVolumeExpansion", Bool, Keep), Field(7, "volumeBindingMode", Str, Omit),
    Field(8, "allowedTopologies", Msg(&CORE_V1_TOPOLOGY_SELECTOR_TERM), List),
] };

pub(crate) static STORAGE_V1_STORAGE_CLASS_LIST: Message = Message { name: "storage.v1.StorageClassList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&STORAGE_V1_STORAGE_CLASS), List),
] };

pub(crate) static STORAGE_V1_TOKEN_REQUEST: Message = Message { name: "storage.v1.TokenRequest", special: Plain, fields: &[
    Field(1, "audience", Str, Keep), Field(2, "expirationSeconds", I64, Keep),
] };

pub(crate) static STORAGE_V1_VOLUME_ATTACHMENT: Message = Message { name: "storage.v1.VolumeAttachment", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep),
    Field(2, "spec", Msg(&STORAGE_V1_VOLUME_ATTACHMENT_SPEC), Keep),
    Field(3, "status", Msg(&STORAGE_V1_VOLUME_ATTACHMENT_STATUS), Keep),
] };

pub(crate) static STORAGE_V1_VOLUME_ATTACHMENT_LIST: Message = Message { name: "storage.v1.VolumeAttachmentList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep), Field(2, "items", Msg(&STORAGE_V1_VOLUME_ATTACHMENT), List),
] };

pub(crate) static STORAGE_V1_VOLUME_ATTACHMENT_SOURCE: Message = Message { name: "storage.v1.VolumeAttachmentSource", special: Plain, fields: &[
    Field(1, "persistentVolumeName", Str, Omit),
    Field(2, "inlineVolumeSpec", Msg(&CORE_V1_PERSISTENT_VOLUME_SPEC), Keep),
] };

pub(crate) static STORAGE_V1_VOLUME_ATTACHMENT_SPEC: Message = Message { name: "storage.v1.VolumeAttachmentSpec", special: Plain, fields: &[
    Field(1, "attacher", Str, Keep), Field(2, "source", Msg(&STORAGE_V1_VOLUME_ATTACHMENT_SOURCE), Keep),
    Field(3, "nodeName", Str, Keep),
] };

pub(crate) static STORAGE_V1_VOLUME_ATTACHMENT_STATUS: Message = Message { name: "storage.v1.VolumeAttachmentStatus", special: Plain, fields: &[
    Field(1, "attached", Bool, Keep), Field(2, "attachmentMetadata", Str, Map),
    Field(3, "attachError", Msg(&STORAGE_V1_VOLUME_ERROR), Keep),
    Field(4, "detachError", Msg(&STORAGE_V1_VOLUME_ERROR), Keep),
] };

pub(crate) static STORAGE_V1_VOLUME_ATTRIBUTES_CLASS: Message = Message { name: "storage.v1.VolumeAttributesClass", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_OBJECT_META), Keep), Field(2, "driverName", Str, Keep),
    Field(3, "parameters", Str, Map),
] };

pub(crate) static STORAGE_V1_VOLUME_ATTRIBUTES_CLASS_LIST: Message = Message { name: "storage.v1.VolumeAttributesClassList", special: Plain, fields: &[
    Field(1, "metadata", Msg(&META_V1_LIST_META), Keep),
    Field(2, "items", Msg(&STORAGE_V1_VOLUME_ATTRIBUTES_CLASS), List),
] };

pub(crate) static STORAGE_V1_VOLUME_ERROR: Message = Message { name: "storage.v1.VolumeError", special: Plain, fields: &[
    Field(1, "time", Msg(&META_V1_TIME), Keep), Field(2, "message", Str, Omit), Field(3, "errorCode", I32, Keep),
] };

pub(crate) static STORAGE_V1_VOLUME_NODE_RESOURCES: Message = Message { name: "storage.v1.VolumeNodeResources", special: Plain, fields: &[
    Field(1, "count", I32, Keep),
] };

pub(crate) static UTIL_INTSTR_INT_OR_STRING: Message = Message { name: "util.intstr.IntOrString", special: IntOrString, fields: &[
    Field(1, "type", I64, Keep), Field(2, "intVal", I32, Keep), Field(3, "strVal", Str, Omit),
] };

//! The resource types a cluster serves: group, version, kind, plural, scope, short names, categories, verbs and
//! subresources. Names and scopes come from the `k8s-openapi` types, so they match upstream by construction;
//! short names and categories are upstream's, listed by hand because the types do not carry them.

use std::any::TypeId;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::{
    admissionregistration, apps, authentication, authorization, autoscaling, batch, certificates, coordination, core,
    discovery, events, networking, node, policy, rbac, scheduling, storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration;
use k8s_openapi::{ListableResource, NamespaceResourceScope, Resource};

mod horizontalpodautoscalers;

/// What clients may do with a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbs {
    /// Stored objects: create, delete, deletecollection, get, list, patch, update, watch.
    Stored,
    /// Requests answered at once and never stored (reviews): create only.
    CreateOnly,
    /// Views computed on each read and never stored (component statuses): get and list.
    ReadOnly,
}

impl Verbs {
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Verbs::Stored => &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            Verbs::CreateOnly => &["create"],
            Verbs::ReadOnly => &["get", "list"],
        }
    }
}

/// A subresource served for every object of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subresource {
    Status,
    Scale,
    /// `pods/binding`: a `v1` `Binding` posted by a scheduler to assign a pod to a node.
    Binding,
    /// `pods/eviction`: a `policy/v1` `Eviction` posted to delete a pod within its disruption budget.
    Eviction,
    /// `pods/ephemeralcontainers`: the pod, through which only its ephemeral containers change.
    EphemeralContainers,
    /// `certificatesigningrequests/approval`: the request, through which only its Approved and Denied conditions
    /// change.
    Approval,
    /// `pods/proxy` and `services/proxy`: requests passed on to the pod's port (`PodProxyOptions`,
    /// `ServiceProxyOptions`).
    Proxy,
    /// `pods/portforward`: streams to the pod's ports (`PodPortForwardOptions`).
    PortForward,
}

impl Subresource {
    pub fn name(self) -> &'static str {
        match self {
            Subresource::Status => "status",
            Subresource::Scale => "scale",
            Subresource::Binding => "binding",
            Subresource::Eviction => "eviction",
            Subresource::EphemeralContainers => "ephemeralcontainers",
            Subresource::Approval => "approval",
            Subresource::Proxy => "proxy",
            Subresource::PortForward => "portforward",
        }
    }
}

/// A name that is static for built-in resources and owned for custom ones.
pub type Name = Cow<'static, str>;

/// How a resource's objects are decoded: which fields they have.
#[derive(Clone)]
pub enum Decoder {
    /// A built-in kind: decoded into its typed form and back, as kube-apiserver's Go structs know it. Fields the
    /// type does not have are dropped.
    Typed(fn(&serde_json::Value) -> Result<serde_json::Value, serde_json::Error>),
    /// A custom resource: pruned, defaulted and validated by its CRD's structural schema.
    Custom(Arc<CustomSchema>),
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Decoder::Typed(_) => f.write_str("Typed"),
            Decoder::Custom(_) => f.write_str("Custom"),
        }
    }
}

/// One served version of a CRD: its structural schema and printer columns.
#[derive(Debug, Clone)]
pub struct CustomSchema {
    /// `openAPIV3Schema` of the version; `Value::Null` when the CRD gives none.
    pub schema: serde_json::Value,
    /// `additionalPrinterColumns`.
    pub columns: Vec<serde_json::Value>,
}

/// One OpenAPI v3 document of a custom group version, serialized, with its hash.
#[derive(Debug, Clone)]
pub struct OpenApiDocument {
    pub json: Vec<u8>,
    /// Upper-case hex SHA-512 of `json`.
    pub hash: String,
}

/// How a resource served at several versions converts between them: kube-apiserver stores such objects in one
/// version and converts on every read and write. Objects stored in another version (by earlier servers) are
/// converted from the version their own `apiVersion` names.
#[derive(Debug)]
pub struct Conversion {
    /// The `apiVersion` objects are stored in, e.g. `autoscaling/v2`.
    pub storage_version: &'static str,
    /// Converts an object, from the version its `apiVersion` names, to the given `apiVersion`; objects of
    /// versions it does not know are left alone. Never fails: what cannot be converted is dropped.
    pub convert: fn(&mut serde_json::Value, &str),
    /// Annotations in which a version keeps fields of the status: a write of the status subresource takes them
    /// from the new object, as it takes its status.
    pub status_annotations: &'static [&'static str],
}

impl Conversion {
    /// `object` as it is stored.
    pub fn to_storage(&self, object: &mut serde_json::Value) {
        (self.convert)(object, self.storage_version);
    }

    /// A stored `object` as `resource` serves it.
    pub fn to_served(&self, resource: &ResourceType, object: &mut serde_json::Value) {
        (self.convert)(object, &resource.api_version());
    }
}

/// One resource of one group version.
#[derive(Debug, Clone)]
pub struct ResourceType {
    pub group: Name,
    pub version: Name,
    pub kind: Name,
    pub list_kind: Name,
    /// The URL path segment, e.g. `deployments`.
    pub plural: Name,
    /// The lower-case kind, e.g. `deployment`.
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub verbs: Verbs,
    pub subresources: &'static [Subresource],
    pub decoder: Decoder,
    /// How objects are converted to the version they are stored in and back; `None` when they are stored as
    /// served (every resource served at one version, and custom resources, whose versions differ only in
    /// `apiVersion`).
    pub conversion: Option<&'static Conversion>,
}

impl ResourceType {
    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.to_string() } else { format!("{}/{}", self.group, self.version) }
    }

    /// `deployments.apps`, or `pods` for the core group: how error messages name the resource.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() { self.plural.to_string() } else { format!("{}.{}", self.plural, self.group) }
    }

    /// `Deployment.apps`, or `Pod`: how validation errors name the kind.
    pub fn qualified_kind(&self) -> String {
        if self.group.is_empty() { self.kind.to_string() } else { format!("{}.{}", self.kind, self.group) }
    }

    /// Where objects of this resource live in a cluster's key space: `apps/deployments`, or `pods`.
    pub fn storage_segment(&self) -> String {
        if self.group.is_empty() { self.plural.to_string() } else { format!("{}/{}", self.group, self.plural) }
    }

    pub fn has_subresource(&self, name: &str) -> bool {
        self.subresources.iter().any(|s| s.name() == name)
    }
}

const ALL: &[&str] = &["all"];
const NONE: &[&str] = &[];
/// Upstream lists APIServices in the `api-extensions` category.
const ALL_API_SERVICES: &[&str] = &["api-extensions"];
pub(crate) const STATUS: &[Subresource] = &[Subresource::Status];
pub(crate) const POD_SUBRESOURCES: &[Subresource] = &[
    Subresource::Binding,
    Subresource::EphemeralContainers,
    Subresource::Eviction,
    Subresource::PortForward,
    Subresource::Proxy,
    Subresource::Status,
];
pub(crate) const SERVICE_SUBRESOURCES: &[Subresource] = &[Subresource::Proxy, Subresource::Status];
pub(crate) const CSR_SUBRESOURCES: &[Subresource] = &[Subresource::Approval, Subresource::Status];
pub(crate) const STATUS_SCALE: &[Subresource] = &[Subresource::Status, Subresource::Scale];

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(
    object: &serde_json::Value,
) -> Result<serde_json::Value, serde_json::Error> {
    let typed: T = serde_json::from_value(object.clone())?;
    serde_json::to_value(typed)
}

fn resource<T: Resource + ListableResource + serde::de::DeserializeOwned + serde::Serialize + 'static>(
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
    subresources: &'static [Subresource],
) -> ResourceType {
    described::<T>(T::LIST_KIND, short_names, categories, Verbs::Stored, subresources)
}

fn review<T: Resource + serde::de::DeserializeOwned + serde::Serialize + 'static>() -> ResourceType {
    described::<T>("", NONE, NONE, Verbs::CreateOnly, &[])
}

fn read_only<T: Resource + ListableResource + serde::de::DeserializeOwned + serde::Serialize + 'static>(
    short_names: &'static [&'static str],
) -> ResourceType {
    described::<T>(T::LIST_KIND, short_names, NONE, Verbs::ReadOnly, &[])
}

fn described<T: Resource + serde::de::DeserializeOwned + serde::Serialize + 'static>(
    list_kind: &'static str,
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
    verbs: Verbs,
    subresources: &'static [Subresource],
) -> ResourceType {
    ResourceType {
        group: Cow::Borrowed(T::GROUP),
        version: Cow::Borrowed(T::VERSION),
        kind: Cow::Borrowed(T::KIND),
        list_kind: Cow::Borrowed(list_kind),
        plural: Cow::Borrowed(T::URL_PATH_SEGMENT),
        singular: T::KIND.to_ascii_lowercase(),
        namespaced: TypeId::of::<T::Scope>() == TypeId::of::<NamespaceResourceScope>(),
        short_names: short_names.iter().map(|s| (*s).to_owned()).collect(),
        categories: categories.iter().map(|s| (*s).to_owned()).collect(),
        verbs,
        subresources,
        decoder: Decoder::Typed(round_trip::<T>),
        conversion: None,
    }
}

/// `resource`, stored in one version and converted by `conversion`.
fn converted(resource: ResourceType, conversion: &'static Conversion) -> ResourceType {
    ResourceType { conversion: Some(conversion), ..resource }
}

/// Every resource the API server serves, in the order discovery lists them.
#[derive(Debug)]
pub struct Registry {
    resources: Vec<ResourceType>,
    by_path: HashMap<(String, String, String), usize>,
    /// The OpenAPI v3 documents of the built-in resources, built on first use (about 0.1 s, 3 MB) and shared by
    /// every cluster's registry.
    openapi: Arc<std::sync::OnceLock<openapi::OpenApi>>,
    custom_openapi: std::collections::BTreeMap<String, OpenApiDocument>,
    /// `/openapi/v2` of this registry's resources, built on first use and rebuilt with the registry (after CRD
    /// writes).
    openapi_v2: std::sync::OnceLock<openapi::OpenApiV2>,
}

fn index(resources: &[ResourceType]) -> HashMap<(String, String, String), usize> {
    resources
        .iter()
        .enumerate()
        .map(|(idx, r)| ((r.group.to_string(), r.version.to_string(), r.plural.to_string()), idx))
        .collect()
}

impl Registry {
    /// The built-in resources of the Kubernetes version ekslite serves.
    pub fn builtin() -> Registry {
        use core::v1 as corev1;
        let resources = vec![
            resource::<corev1::Namespace>(&["ns"], NONE, STATUS),
            resource::<corev1::Pod>(&["po"], ALL, POD_SUBRESOURCES),
            review::<corev1::Binding>(),
            resource::<corev1::Service>(&["svc"], ALL, SERVICE_SUBRESOURCES),
            resource::<corev1::Endpoints>(&["ep"], NONE, &[]),
            resource::<corev1::ConfigMap>(&["cm"], NONE, &[]),
            resource::<corev1::Secret>(NONE, NONE, &[]),
            resource::<corev1::ServiceAccount>(&["sa"], NONE, &[]),
            resource::<corev1::Event>(&["ev"], NONE, &[]),
            resource::<corev1::Node>(&["no"], NONE, STATUS),
            read_only::<corev1::ComponentStatus>(&["cs"]),
            resource::<corev1::PersistentVolume>(&["pv"], NONE, STATUS),
            resource::<corev1::PersistentVolumeClaim>(&["pvc"], NONE, STATUS),
            resource::<corev1::LimitRange>(&["limits"], NONE, &[]),
            resource::<corev1::ResourceQuota>(&["quota"], NONE, STATUS),
            resource::<corev1::ReplicationController>(&["rc"], ALL, STATUS_SCALE),
            resource::<corev1::PodTemplate>(NONE, NONE, &[]),
            resource::<apps::v1::Deployment>(&["deploy"], ALL, STATUS_SCALE),
            resource::<apps::v1::ReplicaSet>(&["rs"], ALL, STATUS_SCALE),
            resource::<apps::v1::StatefulSet>(&["sts"], ALL, STATUS_SCALE),
            resource::<apps::v1::DaemonSet>(&["ds"], ALL, STATUS),
            resource::<apps::v1::ControllerRevision>(NONE, NONE, &[]),
            resource::<batch::v1::Job>(NONE, ALL, STATUS),
            resource::<batch::v1::CronJob>(&["cj"], ALL, STATUS),
            converted(
                resource::<autoscaling::v2::HorizontalPodAutoscaler>(&["hpa"], ALL, STATUS),
                &horizontalpodautoscalers::CONVERSION,
            ),
            converted(
                resource::<autoscaling::v1::HorizontalPodAutoscaler>(&["hpa"], ALL, STATUS),
                &horizontalpodautoscalers::CONVERSION,
            ),
            resource::<networking::v1::Ingress>(&["ing"], NONE, STATUS),
            resource::<networking::v1::IngressClass>(NONE, NONE, &[]),
            resource::<networking::v1::NetworkPolicy>(&["netpol"], NONE, &[]),
            resource::<policy::v1::PodDisruptionBudget>(&["pdb"], NONE, STATUS),
            resource::<rbac::v1::Role>(NONE, NONE, &[]),
            resource::<rbac::v1::RoleBinding>(NONE, NONE, &[]),
            resource::<rbac::v1::ClusterRole>(NONE, NONE, &[]),
            resource::<rbac::v1::ClusterRoleBinding>(NONE, NONE, &[]),
            resource::<storage::v1::StorageClass>(&["sc"], NONE, &[]),
            resource::<storage::v1::CSIDriver>(NONE, NONE, &[]),
            resource::<storage::v1::CSINode>(NONE, NONE, &[]),
            resource::<storage::v1::VolumeAttachment>(NONE, NONE, STATUS),
            resource::<storage::v1::CSIStorageCapacity>(NONE, NONE, &[]),
            resource::<coordination::v1::Lease>(NONE, NONE, &[]),
            resource::<discovery::v1::EndpointSlice>(NONE, NONE, &[]),
            resource::<events::v1::Event>(&["ev"], NONE, &[]),
            resource::<scheduling::v1::PriorityClass>(&["pc"], NONE, &[]),
            resource::<node::v1::RuntimeClass>(NONE, NONE, &[]),
            resource::<apiextensions::v1::CustomResourceDefinition>(&["crd", "crds"], NONE, STATUS),
            resource::<admissionregistration::v1::MutatingWebhookConfiguration>(NONE, NONE, &[]),
            resource::<admissionregistration::v1::ValidatingWebhookConfiguration>(NONE, NONE, &[]),
            resource::<admissionregistration::v1::ValidatingAdmissionPolicy>(NONE, NONE, STATUS),
            resource::<admissionregistration::v1::ValidatingAdmissionPolicyBinding>(NONE, NONE, &[]),
            review::<authentication::v1::TokenReview>(),
            review::<authentication::v1::SelfSubjectReview>(),
            review::<authorization::v1::SubjectAccessReview>(),
            review::<authorization::v1::SelfSubjectAccessReview>(),
            review::<authorization::v1::SelfSubjectRulesReview>(),
            review::<authorization::v1::LocalSubjectAccessReview>(),
            resource::<certificates::v1::CertificateSigningRequest>(&["csr"], NONE, CSR_SUBRESOURCES),
            resource::<apiregistration::v1::APIService>(NONE, ALL_API_SERVICES, STATUS),
        ];
        let by_path = index(&resources);
        Registry {
            resources,
            by_path,
            openapi: Arc::default(),
            custom_openapi: Default::default(),
            openapi_v2: Default::default(),
        }
    }

    /// The resource served at `/apis/<group>/<version>/<plural>` (`group` empty for `/api/v1`).
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceType> {
        let key = (group.to_owned(), version.to_owned(), plural.to_owned());
        self.by_path.get(&key).map(|&idx| &self.resources[idx])
    }

    /// The OpenAPI v3 documents of the built-in resources (custom resources' documents are in [`Registry::custom_openapi`]).
    pub fn openapi(&self) -> &openapi::OpenApi {
        self.openapi.get_or_init(|| {
            let served: Vec<openapi::ServedResource> = self
                .resources
                .iter()
                .filter_map(|r| {
                    let (Cow::Borrowed(group), Cow::Borrowed(version), Cow::Borrowed(kind), Cow::Borrowed(plural)) =
                        (&r.group, &r.version, &r.kind, &r.plural)
                    else {
                        return None;
                    };
                    Some(openapi::ServedResource {
                        group,
                        version,
                        kind,
                        plural,
                        namespaced: r.namespaced,
                        subresources: match r.subresources {
                            [] => &[],
                            subresources if subresources.contains(&Subresource::Scale) => &["status", "scale"],
                            _ => &["status"],
                        },
                        verbs: r.verbs.names(),
                    })
                })
                .collect();
            openapi::OpenApi::new(&served)
        })
    }

    /// The OpenAPI v2 document (`/openapi/v2`) of every served resource, custom ones included.
    pub fn openapi_v2(&self) -> &openapi::OpenApiV2 {
        self.openapi_v2.get_or_init(|| {
            let custom = self.custom_openapi.values().map(|document| document.json.as_slice());
            openapi::OpenApiV2::from_v3(self.openapi().documents().chain(custom))
        })
    }

    /// The OpenAPI v3 documents of the custom resources' group versions, by document path.
    pub fn custom_openapi(&self) -> &std::collections::BTreeMap<String, OpenApiDocument> {
        &self.custom_openapi
    }

    /// This registry's built-in resources plus `custom` ones (from CRDs), which never shadow a built-in one.
    pub fn with_custom(
        &self,
        custom: Vec<ResourceType>,
        custom_openapi: std::collections::BTreeMap<String, OpenApiDocument>,
    ) -> Registry {
        let mut resources: Vec<ResourceType> =
            self.resources.iter().filter(|r| matches!(r.decoder, Decoder::Typed(_))).cloned().collect();
        for resource in custom {
            if !resources
                .iter()
                .any(|r| r.group == resource.group && r.version == resource.version && r.plural == resource.plural)
            {
                resources.push(resource);
            }
        }
        let by_path = index(&resources);
        Registry {
            resources,
            by_path,
            openapi: Arc::clone(&self.openapi),
            custom_openapi,
            openapi_v2: Default::default(),
        }
    }

    /// The resources whose objects are stored (not reviews), one per storage location.
    pub fn stored_resources(&self) -> impl Iterator<Item = &ResourceType> {
        let mut seen = std::collections::HashSet::new();
        self.resources.iter().filter(move |r| r.verbs == Verbs::Stored && seen.insert(r.storage_segment()))
    }

    /// Every group with its versions, preferred (first listed) version first, in order of first appearance;
    /// the core group is `""`.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for resource in &self.resources {
            match groups.iter_mut().find(|(group, _)| *group == resource.group) {
                Some((_, versions)) => {
                    if !versions.iter().any(|v| *v == resource.version) {
                        versions.push(resource.version.to_string());
                    }
                }
                None => groups.push((resource.group.to_string(), vec![resource.version.to_string()])),
            }
        }
        groups
    }

    /// The resources of one group version, in registry order.
    pub fn group_version(&self, group: &str, version: &str) -> Vec<&ResourceType> {
        self.resources.iter().filter(|r| r.group == group && r.version == version).collect()
    }
}

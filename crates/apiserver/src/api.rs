//! `ClusterApi`: what every request handler of one cluster shares (its store, served resources, allocators,
//! token issuer and plugins) and where its objects live in the store. The verbs are `impl ClusterApi` blocks in
//! the handler modules above it (`rest`, `watch`, `kinds`, `authz`, ...); this module imports none of them.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Value, json};
use store::{DynStore, ListOptions, StoreError};

use crate::allocate::ServiceAllocator;
use crate::object;
use crate::plugins::{PodAdmission, PodConnector, TokenAuthenticator};
use crate::record::{ClusterRecord, KUBERNETES_VERSIONS};
use crate::registry::{Registry, ResourceType};
use crate::status::ApiError;

/// What every request handler of one cluster shares. Outside the crate it is a handle only: a running
/// cluster's (`ControlPlanes::api`, `ClusterObserver::started`), to be served in-process with `LocalService`;
/// its fields and verbs are the crate's own.
#[derive(Debug)]
pub struct ClusterApi {
    pub(crate) version: String,
    pub(crate) store: DynStore,
    /// The built-in resources.
    pub(crate) registry: Arc<Registry>,
    /// The built-in resources plus those the cluster's CRDs serve; replaced whenever the CRDs change.
    served: std::sync::RwLock<Arc<Registry>>,
    pub(crate) port: u16,
    prefix: String,
    /// Service cluster IPs and node ports.
    pub(crate) services: ServiceAllocator,
    /// The cluster CA certificate (PEM), published in every namespace as `kube-root-ca.crt`.
    pub(crate) ca_cert: String,
    /// The cluster's name.
    pub(crate) name: String,
    /// Checks bearer tokens; without one only client certificates are accepted.
    pub(crate) authenticator: Option<Arc<dyn TokenAuthenticator>>,
    /// How long new pods tolerate a not-ready or unreachable node (the DefaultTolerationSeconds plugin).
    pub(crate) default_toleration_seconds: i64,
    /// The mutating webhook new pods go through, if any.
    pub(crate) pod_admission: Vec<Arc<dyn PodAdmission>>,
    pub(crate) service_admission: Vec<Arc<dyn crate::plugins::ServiceAdmission>>,
    /// Reaches pods' ports; without one, every connection to a pod is refused.
    pub(crate) pod_connector: Option<Arc<dyn PodConnector>>,
    /// Issues and checks service account tokens.
    pub(crate) tokens: crate::tokens::TokenIssuer,
    /// Recent writes decoded once for all watches.
    pub(crate) decodes: Arc<crate::decoded::DecodeCache>,
    /// The sessions of upgraded connections (port-forwarding); they end with their connection, or with this.
    pub(crate) sessions: std::sync::Mutex<tokio::task::JoinSet<()>>,
    /// Aggregated API servers' discovery documents.
    pub(crate) aggregated: crate::discovery::BackendDiscovery,
}

impl ClusterApi {
    pub(crate) fn new(record: &ClusterRecord, store: DynStore, registry: Arc<Registry>) -> ClusterApi {
        ClusterApi {
            version: record.version.clone(),
            served: std::sync::RwLock::new(Arc::clone(&registry)),
            registry,
            port: record.port,
            prefix: cluster_prefix(&record.uid),
            services: ServiceAllocator::new(Arc::clone(&store), &record.uid, record.service_cidr()),
            ca_cert: record.pki.ca_cert.clone(),
            name: record.name.clone(),
            authenticator: None,
            default_toleration_seconds: k8s_model::DEFAULT_TOLERATION_SECONDS,
            pod_admission: Vec::new(),
            service_admission: Vec::new(),
            pod_connector: None,
            tokens: record.token_issuer().expect("a stored cluster key is an ECDSA P-256 key"),
            decodes: Arc::default(),
            sessions: std::sync::Mutex::default(),
            aggregated: crate::discovery::BackendDiscovery::default(),
            store,
        }
    }

    /// Every resource the cluster serves now, built-in and custom.
    pub(crate) fn served(&self) -> Arc<Registry> {
        Arc::clone(&self.served.read().expect("registry lock poisoned by a panic"))
    }

    /// Reads the cluster's CRDs and serves what they define from now on.
    pub(crate) async fn reload_custom_resources(&self) -> Result<(), StoreError> {
        let crds = self.registry.find("apiextensions.k8s.io", "v1", "customresourcedefinitions").expect("registered");
        let page = self.store.list(&self.collection_prefix(crds, None), ListOptions::default()).await?;
        let mut custom = Vec::new();
        for kv in &page.items {
            if let Ok(crd) = serde_json::from_slice::<serde_json::Value>(&kv.value) {
                custom.extend(crate::crd::resources_of(&crd));
            }
        }
        let documents = crate::crd::openapi_documents(&custom);
        let served = Arc::new(self.registry.with_custom(custom, documents));
        *self.served.write().expect("registry lock poisoned by a panic") = served;
        Ok(())
    }

    /// A stored object with its resourceVersion filled in, as `resource` presents it.
    pub(crate) fn decode_stored(&self, resource: &ResourceType, kv: &store::KeyValue) -> Result<Value, ApiError> {
        let mut object: Value = serde_json::from_slice(&kv.value)
            .map_err(|error| ApiError::internal(format!("stored object {} is not JSON: {error}", kv.key)))?;
        object::set_resource_version(&mut object, kv.mod_revision);
        if let Some(conversion) = resource.conversion {
            conversion.to_served(resource, &mut object);
        }
        crate::crd::present(resource, &mut object);
        Ok(object)
    }

    /// `object` in the version `resource` stores it in: what validation checks, as kube-apiserver validates one
    /// form of an object whichever version a client wrote. Borrowed for resources stored as served.
    pub(crate) fn storage_form<'a>(resource: &ResourceType, object: &'a Value) -> std::borrow::Cow<'a, Value> {
        match resource.conversion {
            Some(conversion) => {
                let mut converted = object.clone();
                conversion.to_storage(&mut converted);
                std::borrow::Cow::Owned(converted)
            }
            None => std::borrow::Cow::Borrowed(object),
        }
    }

    /// A written object of `resource` as a read of it would show it: converted to the storage version and back,
    /// as kube-apiserver answers a write with the object it stored.
    pub(crate) fn as_read_back(resource: &ResourceType, object: &mut Value) {
        if let Some(conversion) = resource.conversion {
            conversion.to_storage(object);
            conversion.to_served(resource, object);
        }
    }

    /// An object of `resource` as it is stored: in the resource's storage version, without resourceVersion and
    /// selfLink.
    pub(crate) fn encode_for_store(resource: &ResourceType, object: &Value) -> Bytes {
        let mut object = object.clone();
        if let Some(conversion) = resource.conversion {
            conversion.to_storage(&mut object);
        }
        if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            metadata.remove("resourceVersion");
            metadata.remove("selfLink");
        }
        Bytes::from(serde_json::to_vec(&object).expect("JSON values serialize"))
    }

    /// The key of one object.
    pub(crate) fn key(&self, resource: &ResourceType, namespace: Option<&str>, name: &str) -> String {
        match namespace {
            Some(namespace) => format!("{}{}/{namespace}/{name}", self.prefix, resource.storage_segment()),
            None => format!("{}{}/{name}", self.prefix, resource.storage_segment()),
        }
    }

    /// The prefix of every key of a resource, or of its keys in one namespace.
    pub(crate) fn collection_prefix(&self, resource: &ResourceType, namespace: Option<&str>) -> String {
        match namespace {
            Some(namespace) => format!("{}{}/{namespace}/", self.prefix, resource.storage_segment()),
            None => format!("{}{}/", self.prefix, resource.storage_segment()),
        }
    }

    /// The `/version` document: EKS's shape (`v1.34.1-eks-...`).
    pub(crate) fn version_info(&self) -> serde_json::Value {
        let patch = KUBERNETES_VERSIONS.iter().find(|(minor, _)| *minor == self.version).map_or("0.0.0", |(_, p)| p);
        let (major, minor) = self.version.split_once('.').unwrap_or(("1", "0"));
        json!({
            "major": major,
            "minor": minor,
            "emulationMajor": major,
            "emulationMinor": minor,
            "minCompatibilityMajor": major,
            "minCompatibilityMinor": minor,
            "gitVersion": format!("v{patch}-eks-ekslite"),
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": "go1.24",
            "compiler": "gc",
            "platform": "linux/amd64",
        })
    }
}

/// The prefix of every object key of the cluster with `uid`.
pub(crate) fn cluster_prefix(uid: &str) -> String {
    format!("/clusters/{uid}/registry/")
}

//! Clusters: their records in the store, and one running API server (HTTPS on 127.0.0.1) per cluster.
//!
//! A cluster's record lives at `/ekslite/clusters/<name>` (name, uid, Kubernetes version, port, certificates);
//! its objects live under `/clusters/<uid>/registry/<group>/<resource>/<namespace>/<name>`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt;
use serde_json::json;
use store::{DynStore, ListOptions, StoreError, TxnOp};

use crate::allocate::Ipv4Cidr;
use crate::api::{ClusterApi, cluster_prefix};
use crate::pki::{ClusterPki, PkiError};
use crate::plugins::{PodAdmission, PodConnector, TokenAuthenticator};
use crate::record::{ClusterRecord, DEFAULT_VERSION, KUBERNETES_VERSIONS};
use crate::registry::Registry;
use crate::server::RunningServer;

const RECORD_PREFIX: &str = "/ekslite/clusters/";
/// Store transactions deleting a deleted cluster's objects in flight at once, each of up to
/// [`store::MAX_TXN_OPS`] keys.
const DELETES_IN_FLIGHT: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cluster {0:?} already exists")]
    AlreadyExists(String),
    #[error("no cluster named {0:?}")]
    NotFound(String),
    #[error("invalid cluster name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    #[error("service CIDR {0:?} is not an IPv4 block between /8 and /30")]
    InvalidServiceCidr(String),
    #[error("unsupported Kubernetes version {0:?}")]
    UnsupportedVersion(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error("cluster record {key} is damaged: {reason}")]
    DamagedRecord { key: String, reason: String },
    #[error("cannot serve cluster {name:?}: {reason}")]
    Serve { name: String, reason: String },
}

/// Every cluster of this server, and the API server each runs.
#[derive(Debug)]
pub struct ControlPlanes {
    store: DynStore,
    registry: Arc<Registry>,
    running: Mutex<BTreeMap<String, Running>>,
    authenticator: Option<Arc<dyn TokenAuthenticator>>,
    observer: Option<Arc<dyn ClusterObserver>>,
    default_toleration_seconds: i64,
    pod_admission: Vec<Arc<dyn PodAdmission>>,
    service_admission: Vec<Arc<dyn crate::plugins::ServiceAdmission>>,
    pod_connector: Option<Arc<dyn PodConnector>>,
}

/// A cluster whose API server runs.
#[derive(Debug)]
struct Running {
    record: ClusterRecord,
    server: RunningServer,
    api: Arc<ClusterApi>,
}

/// Told when a cluster's API server starts and stops, so that what runs beside it (its data plane) can follow.
pub trait ClusterObserver: Send + Sync + std::fmt::Debug {
    /// The cluster's API server serves; `api` reaches it in-process (see [`crate::LocalService`]).
    fn started(&self, record: &ClusterRecord, api: Arc<ClusterApi>);
    /// The cluster's API server is about to stop (the server stops, or the cluster is being deleted). Called
    /// before its objects go, and awaited, so that nothing beside it acts on a cluster in removal.
    fn stopping(&self, name: &str) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>;
    /// The cluster is being deleted (after [`ClusterObserver::stopping`]): what was held for it outside the
    /// cluster can go. Not called when the server merely stops.
    fn deleting(&self, _name: &str) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async {})
    }
}

impl ControlPlanes {
    pub fn new(store: DynStore) -> ControlPlanes {
        ControlPlanes {
            store,
            registry: Arc::new(Registry::builtin()),
            running: Mutex::new(BTreeMap::new()),
            authenticator: None,
            observer: None,
            default_toleration_seconds: k8s_model::DEFAULT_TOLERATION_SECONDS,
            pod_admission: Vec::new(),
            service_admission: Vec::new(),
            pod_connector: None,
        }
    }

    /// Lets every cluster started from now on accept the bearer tokens `authenticator` accepts.
    pub fn with_token_authenticator(mut self, authenticator: Arc<dyn TokenAuthenticator>) -> ControlPlanes {
        self.authenticator = Some(authenticator);
        self
    }

    /// Lets new pods of every cluster tolerate a not-ready or unreachable node for `seconds` instead of 300
    /// (kube-apiserver's `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds`).
    pub fn with_default_toleration_seconds(mut self, seconds: i64) -> ControlPlanes {
        self.default_toleration_seconds = seconds;
        self
    }

    /// Sends every new pod of every cluster through `hook`, after the hooks added before it.
    pub fn with_pod_admission(mut self, hook: Arc<dyn PodAdmission>) -> ControlPlanes {
        self.pod_admission.push(hook);
        self
    }

    /// Adds a mutating admission hook for new Services, run after those added before.
    pub fn with_service_admission(mut self, hook: Arc<dyn crate::plugins::ServiceAdmission>) -> ControlPlanes {
        self.service_admission.push(hook);
        self
    }

    /// Reaches pods' ports through `connector` in every cluster started from now on (the pod and service proxies,
    /// port-forwarding).
    pub fn with_pod_connector(mut self, connector: Arc<dyn PodConnector>) -> ControlPlanes {
        self.pod_connector = Some(connector);
        self
    }

    /// Tells `observer` of every cluster started or stopped from now on.
    pub fn with_observer(mut self, observer: Arc<dyn ClusterObserver>) -> ControlPlanes {
        self.observer = Some(observer);
        self
    }

    /// Starts the API server of every stored cluster; run once at start-up.
    pub async fn start_all(&self) -> Result<usize, ClusterError> {
        let records = self.store.list(RECORD_PREFIX, ListOptions::default()).await?;
        for kv in &records.items {
            let record: ClusterRecord = serde_json::from_slice(&kv.value)
                .map_err(|e| ClusterError::DamagedRecord { key: kv.key.clone(), reason: e.to_string() })?;
            let record = self.serve(record, Some(kv.mod_revision)).await?;
            tracing::info!(cluster = %record.name, endpoint = %record.endpoint(), "cluster API server started");
        }
        Ok(records.items.len())
    }

    /// Creates a cluster and starts its API server.
    pub async fn create(&self, name: &str, version: Option<&str>) -> Result<ClusterRecord, ClusterError> {
        validate_cluster_name(name)?;
        self.create_with(name, version, None, None).await
    }

    /// Creates a cluster whose name the caller has checked (the EKS front names clusters by account and
    /// region), with a service CIDR of its choosing and, given an issuer id, a public OpenID Connect issuer
    /// (`<endpoint>/id/<issuer id>`) for its service account tokens.
    pub async fn create_with(
        &self,
        name: &str,
        version: Option<&str>,
        service_cidr: Option<&str>,
        issuer_id: Option<&str>,
    ) -> Result<ClusterRecord, ClusterError> {
        if issuer_id.is_some_and(|id| id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric())) {
            return Err(ClusterError::InvalidName {
                name: issuer_id.unwrap_or_default().to_owned(),
                reason: "an issuer id is letters and digits",
            });
        }
        if name.is_empty() || name.len() > 253 || name.contains(['/', '\0']) {
            return Err(ClusterError::InvalidName { name: name.to_owned(), reason: "must be 1 to 253 characters" });
        }
        if service_cidr.is_some_and(|cidr| Ipv4Cidr::parse(cidr).is_none()) {
            return Err(ClusterError::InvalidServiceCidr(service_cidr.unwrap_or_default().to_owned()));
        }
        let version = version.unwrap_or(DEFAULT_VERSION);
        if !KUBERNETES_VERSIONS.iter().any(|(minor, _)| *minor == version) {
            return Err(ClusterError::UnsupportedVersion(version.to_owned()));
        }
        let record = ClusterRecord {
            name: name.to_owned(),
            uid: crate::object::new_uid(),
            version: version.to_owned(),
            created: crate::object::now_timestamp(),
            port: 0,
            pki: ClusterPki::generate(name)?,
            service_cidr: service_cidr.map(str::to_owned),
            oidc_issuer_id: issuer_id.map(str::to_owned),
            oidc_issuer: None,
        };
        let key = format!("{RECORD_PREFIX}{name}");
        let value = Bytes::from(serde_json::to_vec(&record).expect("records serialize"));
        let stored = self.store.create(&key, value).await.map_err(|error| match error {
            StoreError::AlreadyExists { .. } => ClusterError::AlreadyExists(name.to_owned()),
            other => other.into(),
        })?;
        let record = self.serve(record, Some(stored.mod_revision)).await?;
        tracing::info!(cluster = %record.name, endpoint = %record.endpoint(), "cluster created");
        Ok(record)
    }

    pub fn list(&self) -> Vec<ClusterRecord> {
        self.running.lock().expect("cluster map lock").values().map(|running| running.record.clone()).collect()
    }

    /// The JWKS of the cluster whose public OpenID Connect issuer is `issuer_url`; `None` when no cluster
    /// of this server has that issuer.
    pub fn issuer_jwks(&self, issuer_url: &str) -> Option<serde_json::Value> {
        Some(self.by_issuer(issuer_url)?.token_issuer().ok()?.jwks())
    }

    /// The running cluster whose public OpenID Connect issuer is `issuer_url` (a trailing `/` aside).
    pub fn by_issuer(&self, issuer_url: &str) -> Option<ClusterRecord> {
        let issuer_url = issuer_url.trim_end_matches('/');
        let running = self.running.lock().expect("cluster map lock");
        running.values().map(|running| &running.record).find(|r| r.oidc_issuer.as_deref() == Some(issuer_url)).cloned()
    }

    pub fn get(&self, name: &str) -> Option<ClusterRecord> {
        self.running.lock().expect("cluster map lock").get(name).map(|running| running.record.clone())
    }

    /// In-process access to a running cluster's API.
    pub fn api(&self, name: &str) -> Option<Arc<ClusterApi>> {
        self.running.lock().expect("cluster map lock").get(name).map(|running| Arc::clone(&running.api))
    }

    /// The `data` of a ConfigMap in a cluster, read straight from the store (one read; EKS's authenticator reads
    /// `kube-system/aws-auth` on every request); `None` when the ConfigMap does not exist. Values that are not
    /// strings are left out.
    pub async fn config_map(
        &self,
        cluster: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Option<BTreeMap<String, String>>, ClusterError> {
        let uid = match self.running.lock().expect("cluster map lock").get(cluster) {
            Some(running) => running.record.uid.clone(),
            None => return Err(ClusterError::NotFound(cluster.to_owned())),
        };
        let resource = self.registry.find("", "v1", "configmaps").expect("configmaps are registered");
        let key = format!("{}{}/{namespace}/{name}", cluster_prefix(&uid), resource.storage_segment());
        let Some(kv) = self.store.get(&key, None).await? else { return Ok(None) };
        let object: serde_json::Value = serde_json::from_slice(&kv.value).unwrap_or_default();
        let data = object.get("data").and_then(serde_json::Value::as_object).into_iter().flatten();
        Ok(Some(data.filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect()))
    }

    /// Puts a built-in object (a `plural` of `group`, cluster-scoped or with `metadata.namespace`) into a running
    /// cluster unless one of its name is there: how the platform installs what it owns (EKS's storage class, an
    /// add-on's objects). Written as bootstrap objects are, without admission.
    pub async fn ensure_object(
        &self,
        cluster: &str,
        group: &str,
        plural: &str,
        mut object: serde_json::Value,
    ) -> Result<(), ClusterError> {
        let name = crate::object::name(&object).unwrap_or_default().to_owned();
        let namespace = object.pointer("/metadata/namespace").and_then(serde_json::Value::as_str).map(str::to_owned);
        let (api, key) = self.object_key(cluster, group, plural, namespace.as_deref(), &name)?;
        object["metadata"]["uid"] = json!(crate::object::new_uid());
        object["metadata"]["creationTimestamp"] = json!(crate::object::now_timestamp());
        create_if_absent(&api, key, &object).await
    }

    /// Takes out of a running cluster what [`ControlPlanes::ensure_object`] put in; gone already is fine.
    pub async fn remove_object(
        &self,
        cluster: &str,
        group: &str,
        plural: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(), ClusterError> {
        let (api, key) = self.object_key(cluster, group, plural, namespace, name)?;
        match api.store.delete(&key, None).await {
            Ok(_) | Err(StoreError::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// A running cluster's API and the store key of a built-in object (a v1 `plural` of `group`).
    fn object_key(
        &self,
        cluster: &str,
        group: &str,
        plural: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<(Arc<ClusterApi>, String), ClusterError> {
        let api = self.api(cluster).ok_or_else(|| ClusterError::NotFound(cluster.to_owned()))?;
        let resource = api.registry.find(group, "v1", plural).ok_or_else(|| ClusterError::Serve {
            name: cluster.to_owned(),
            reason: format!("no resource {plural} in group {group:?}"),
        })?;
        let key = api.key(resource, namespace, name);
        Ok((api, key))
    }

    /// Stops a cluster's API server and deletes the cluster and every object in it.
    pub async fn delete(&self, name: &str) -> Result<ClusterRecord, ClusterError> {
        let removed = self.running.lock().expect("cluster map lock").remove(name);
        let Some(Running { record, server, .. }) = removed else {
            return Err(ClusterError::NotFound(name.to_owned()));
        };
        if let Some(observer) = &self.observer {
            observer.stopping(name).await;
            observer.deleting(name).await;
        }
        server.stop().await;
        let prefix = format!("/clusters/{}/", record.uid);
        loop {
            let page = self.store.list(&prefix, ListOptions { limit: Some(1000), ..ListOptions::default() }).await?;
            // A transaction deletes many keys as one write (a key already gone is no error), and a few go side
            // by side, so that the store commits them in a few groups rather than one key at a time.
            let batches: Vec<Vec<TxnOp>> = page
                .items
                .chunks(store::MAX_TXN_OPS)
                .map(|chunk| chunk.iter().map(|kv| TxnOp::delete(kv.key.clone())).collect())
                .collect();
            let mut deletes = futures::stream::iter(batches)
                .map(|ops| {
                    let store = Arc::clone(&self.store);
                    async move { store.txn(Vec::new(), ops).await }
                })
                .buffer_unordered(DELETES_IN_FLIGHT);
            while let Some(result) = deletes.next().await {
                result?;
            }
            if !page.more {
                break;
            }
        }
        match self.store.delete(&format!("{RECORD_PREFIX}{name}"), None).await {
            Ok(_) | Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
        tracing::info!(cluster = %name, "cluster deleted");
        Ok(record)
    }

    /// Stops every API server.
    pub async fn stop_all(&self) {
        let running = std::mem::take(&mut *self.running.lock().expect("cluster map lock"));
        for (name, running) in running {
            if let Some(observer) = &self.observer {
                observer.stopping(&name).await;
            }
            running.server.stop().await;
        }
    }

    /// Starts a cluster's API server on its port (a new one if it has none or the old one is taken) and
    /// records the port.
    async fn serve(&self, mut record: ClusterRecord, mod_revision: Option<i64>) -> Result<ClusterRecord, ClusterError> {
        let serve_error = |reason: String| ClusterError::Serve { name: record.name.clone(), reason };
        let listener = match tokio::net::TcpListener::bind(("127.0.0.1", record.port)).await {
            Ok(listener) => listener,
            Err(error) if record.port != 0 => {
                tracing::warn!(cluster = %record.name, port = record.port, %error, "cluster port taken; choosing another");
                tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| serve_error(e.to_string()))?
            }
            Err(error) => return Err(serve_error(error.to_string())),
        };
        let port = listener.local_addr().map_err(|e| serve_error(e.to_string()))?.port();
        let new_issuer = record.oidc_issuer.is_none() && record.oidc_issuer_id.is_some();
        if port != record.port || new_issuer {
            record.port = port;
            if let (None, Some(id)) = (&record.oidc_issuer, &record.oidc_issuer_id) {
                record.oidc_issuer = Some(format!("{}/id/{id}", record.endpoint()));
            }
            let key = format!("{RECORD_PREFIX}{}", record.name);
            let value = Bytes::from(serde_json::to_vec(&record).expect("records serialize"));
            match mod_revision {
                Some(revision) => self.store.update(&key, value, revision).await?,
                None => self.store.create(&key, value).await?,
            };
        }
        let mut api = ClusterApi::new(&record, Arc::clone(&self.store), Arc::clone(&self.registry));
        api.authenticator = self.authenticator.clone();
        api.default_toleration_seconds = self.default_toleration_seconds;
        api.pod_admission = self.pod_admission.clone();
        api.service_admission = self.service_admission.clone();
        api.pod_connector = self.pod_connector.clone();
        let api = Arc::new(api);
        bootstrap(&api).await?;
        api.reload_custom_resources().await?;
        let server =
            RunningServer::start(listener, &record.pki, Arc::clone(&api)).map_err(|e| serve_error(e.to_string()))?;
        let running = Running { record: record.clone(), server, api: Arc::clone(&api) };
        self.running.lock().expect("cluster map lock").insert(record.name.clone(), running);
        if let Some(observer) = &self.observer {
            observer.started(&record, api);
        }
        Ok(record)
    }
}

/// What every cluster has from its start, created when missing each time its API server starts: the four
/// namespaces, the default RBAC policy, the `system-node-critical` and `system-cluster-critical` priority classes,
/// the local APIService of each built-in group version,
/// and the `kubernetes` service with endpoints pointing at the API server's current port.
async fn bootstrap(api: &ClusterApi) -> Result<(), ClusterError> {
    let namespaces = api.registry.find("", "v1", "namespaces").expect("namespaces are registered").clone();
    for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let object = json!({
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {
                "name": name,
                "uid": crate::object::new_uid(),
                "creationTimestamp": crate::object::now_timestamp(),
                "labels": { "kubernetes.io/metadata.name": name },
            },
            "spec": { "finalizers": ["kubernetes"] },
            "status": { "phase": "Active" },
        });
        let key = api.key(&namespaces, None, name);
        create_if_absent(api, key, &object).await?;
        api.populate_namespace(name)
            .await
            .map_err(|error| ClusterError::Serve { name: name.to_owned(), reason: error.message })?;
    }
    // Upstream's default ClusterRoles and ClusterRoleBindings.
    for (kind, mut object) in crate::authz::default_policy() {
        let plural = if kind == "ClusterRole" { "clusterroles" } else { "clusterrolebindings" };
        let resource = api.registry.find("rbac.authorization.k8s.io", "v1", plural).expect("registered");
        let name = object["metadata"]["name"].as_str().unwrap_or_default().to_owned();
        object["metadata"]["uid"] = json!(crate::object::new_uid());
        object["metadata"]["creationTimestamp"] = json!(crate::object::now_timestamp());
        create_if_absent(api, api.key(resource, None, &name), &object).await?;
    }
    // The priority classes every cluster has.
    let classes = api.registry.find("scheduling.k8s.io", "v1", "priorityclasses").expect("registered");
    for (name, value, description) in k8s_model::SYSTEM_PRIORITY_CLASSES {
        let object = json!({
            "kind": "PriorityClass",
            "apiVersion": "scheduling.k8s.io/v1",
            "metadata": { "name": name, "uid": crate::object::new_uid(),
                          "creationTimestamp": crate::object::now_timestamp() },
            "value": value,
            "description": description,
            "preemptionPolicy": "PreemptLowerPriority",
        });
        create_if_absent(api, api.key(classes, None, name), &object).await?;
    }
    // An APIService for each built-in group version, as kube-apiserver's autoregister controller keeps them.
    let api_services = api.registry.find("apiregistration.k8s.io", "v1", "apiservices").expect("registered");
    for (name, object) in crate::kinds::apiservices::local_api_services(&api.registry, &crate::object::now_timestamp())
    {
        create_if_absent(api, api.key(api_services, None, &name), &object).await?;
    }
    // The `kubernetes` service: the API server's own address inside the cluster, with its endpoints.
    let address = api.services.cidr().first();
    api.services.reserve(address, "default/kubernetes").await?;
    let labels = json!({ "component": "apiserver", "provider": "kubernetes" });
    let service = json!({
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": { "name": "kubernetes", "namespace": "default", "uid": crate::object::new_uid(),
                      "creationTimestamp": crate::object::now_timestamp(), "labels": labels },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": address.to_string(),
            "clusterIPs": [address.to_string()],
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
            "sessionAffinity": "None",
            "ports": [{ "name": "https", "port": 443, "protocol": "TCP", "targetPort": 443 }],
        },
        "status": { "loadBalancer": {} },
    });
    let endpoints = json!({
        "kind": "Endpoints",
        "apiVersion": "v1",
        "metadata": { "name": "kubernetes", "namespace": "default", "uid": crate::object::new_uid(),
                      "creationTimestamp": crate::object::now_timestamp(),
                      "labels": { "endpointslice.kubernetes.io/skip-mirror": "true" } },
        "subsets": [{
            "addresses": [{ "ip": "127.0.0.1" }],
            "ports": [{ "name": "https", "port": api.port, "protocol": "TCP" }],
        }],
    });
    let slice = json!({
        "kind": "EndpointSlice",
        "apiVersion": "discovery.k8s.io/v1",
        "metadata": { "name": "kubernetes", "namespace": "default", "uid": crate::object::new_uid(),
                      "creationTimestamp": crate::object::now_timestamp(), "generation": 1,
                      "labels": { "kubernetes.io/service-name": "kubernetes" } },
        "addressType": "IPv4",
        "endpoints": [{ "addresses": ["127.0.0.1"], "conditions": { "ready": true } }],
        "ports": [{ "name": "https", "port": api.port, "protocol": "TCP" }],
    });
    let services = api.registry.find("", "v1", "services").expect("registered");
    create_if_absent(api, api.key(services, Some("default"), "kubernetes"), &service).await?;
    // The endpoints follow the API server's port, which can change across restarts.
    for (group, plural, object, field) in
        [("", "endpoints", endpoints, "subsets"), ("discovery.k8s.io", "endpointslices", slice, "ports")]
    {
        let resource = api.registry.find(group, "v1", plural).expect("registered");
        let key = api.key(resource, Some("default"), "kubernetes");
        match api.store.get(&key, None).await? {
            None => create_if_absent(api, key, &object).await?,
            Some(kv) => {
                let mut stored: serde_json::Value = serde_json::from_slice(&kv.value).unwrap_or_default();
                if stored.get(field) != object.get(field) && stored.is_object() {
                    stored[field] = object[field].clone();
                    let value = Bytes::from(serde_json::to_vec(&stored).expect("serializes"));
                    match api.store.update(&key, value, kv.mod_revision).await {
                        Ok(_) | Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => {}
                        Err(error) => return Err(error.into()),
                    }
                }
            }
        }
    }
    Ok(())
}

async fn create_if_absent(api: &ClusterApi, key: String, object: &serde_json::Value) -> Result<(), ClusterError> {
    match api.store.create(&key, Bytes::from(serde_json::to_vec(object).expect("serializes"))).await {
        Ok(_) | Err(StoreError::AlreadyExists { .. }) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// EKS cluster names: 1 to 100 characters, alphanumerics, hyphens and underscores, starting with an
/// alphanumeric.
pub fn validate_cluster_name(name: &str) -> Result<(), ClusterError> {
    let invalid = |reason| ClusterError::InvalidName { name: name.to_owned(), reason };
    if name.is_empty() || name.len() > 100 {
        return Err(invalid("must be 1 to 100 characters"));
    }
    if !name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid("must start with a letter or digit"));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(invalid("may contain only letters, digits, hyphens and underscores"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

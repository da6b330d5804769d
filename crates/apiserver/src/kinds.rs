//! What is special about each kind, as kube-apiserver's per-kind strategies (`pkg/registry/<group>/<kind>`) hold
//! it: one [`Strategy`] per kind with behaviour of its own, in a file of its own under `kinds/`, registered in
//! [`STRATEGIES`] by group and resource. The generic verbs (`rest`, `server`) call the hooks and never name a
//! kind; a kind not in the table gets [`Generic`], whose hooks do what every kind does.
//!
//! Printers (`Table` columns) are not here: `table/` keeps one per kind, keyed the same way.

use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use crate::allocate::Allocation;
use crate::api::ClusterApi;
use crate::authz::UserInfo;
use crate::http::Query;
use crate::media::Presentation;
use crate::object;
use crate::registry::{Decoder, ResourceType};
use crate::request::ResourceRequest;
use crate::status::{ApiError, Cause};

pub(crate) mod apiservices;
mod certificatesigningrequests;
mod componentstatuses;
mod custom;
mod customresourcedefinitions;
mod namespaces;
mod nodes;
mod persistentvolumeclaims;
mod persistentvolumes;
mod pods;
mod priorityclasses;
mod reviews;
mod serviceaccounts;
mod services;

/// Every kind with behaviour of its own, by group and resource (plural).
static STRATEGIES: &[(&str, &str, &dyn Strategy)] = &[
    ("", "namespaces", &namespaces::Namespaces),
    ("", "nodes", &nodes::Nodes),
    ("", "pods", &pods::Pods),
    ("", "bindings", &pods::Bindings),
    ("", "services", &services::Services),
    ("", "serviceaccounts", &serviceaccounts::ServiceAccounts),
    ("", "persistentvolumes", &persistentvolumes::PersistentVolumes),
    ("", "persistentvolumeclaims", &persistentvolumeclaims::PersistentVolumeClaims),
    ("", "componentstatuses", &componentstatuses::ComponentStatuses),
    ("apiextensions.k8s.io", "customresourcedefinitions", &customresourcedefinitions::CustomResourceDefinitions),
    ("scheduling.k8s.io", "priorityclasses", &priorityclasses::PriorityClasses),
    ("certificates.k8s.io", "certificatesigningrequests", &certificatesigningrequests::CertificateSigningRequests),
    ("authentication.k8s.io", "tokenreviews", &reviews::Reviews),
    ("authentication.k8s.io", "selfsubjectreviews", &reviews::Reviews),
    ("authorization.k8s.io", "subjectaccessreviews", &reviews::Reviews),
    ("authorization.k8s.io", "selfsubjectaccessreviews", &reviews::Reviews),
    ("authorization.k8s.io", "selfsubjectrulesreviews", &reviews::Reviews),
    ("authorization.k8s.io", "localsubjectaccessreviews", &reviews::Reviews),
];

/// The strategy of a resource: its kind's, the one of custom resources for those a CRD serves, else
/// [`Generic`].
pub(crate) fn strategy(resource: &ResourceType) -> &'static dyn Strategy {
    if matches!(resource.decoder, Decoder::Custom(_)) {
        return &custom::CustomResources;
    }
    STRATEGIES
        .iter()
        .find(|(group, plural, _)| resource.group == *group && resource.plural == *plural)
        .map_or(&Generic, |(_, _, strategy)| *strategy)
}

/// The strategy of kinds with no behaviour of their own.
#[derive(Debug)]
pub(crate) struct Generic;

impl Strategy for Generic {}

/// A request a kind answers itself, as the server received it.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub user: &'a UserInfo,
    pub resource: &'a ResourceType,
    pub info: &'a ResourceRequest,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub query: &'a Query,
    /// How a read is to be answered.
    pub presentation: Presentation,
}

/// A delete request's options: the query's and the `DeleteOptions` body's.
#[derive(Debug, Default)]
pub(crate) struct DeleteOptions {
    pub grace_period_seconds: Option<i64>,
    pub propagation_policy: Option<String>,
    pub precondition_uid: Option<String>,
    pub precondition_rv: Option<String>,
    pub dry_run: bool,
}

impl DeleteOptions {
    /// Refuses the delete when the object is not the one the preconditions name.
    pub fn check_preconditions(&self, resource: &ResourceType, name: &str, current: &Value) -> Result<(), ApiError> {
        if let Some(uid) = &self.precondition_uid {
            let actual = object::metadata_str(current, "uid").unwrap_or_default();
            if uid != actual {
                return Err(ApiError::new(
                    409,
                    "Conflict",
                    format!(
                        "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {actual}",
                        resource.qualified_plural()
                    ),
                ));
            }
        }
        if let Some(rv) = &self.precondition_rv {
            let actual = object::metadata_str(current, "resourceVersion").unwrap_or_default();
            if rv != actual {
                return Err(ApiError::new(
                    409,
                    "Conflict",
                    format!(
                        "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {actual}",
                        resource.qualified_plural()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A kind's behaviour around the generic verbs. Every hook has a default that does what kinds without behaviour
/// of their own need, so a strategy overrides only what is special about its kind. Hooks run in
/// kube-apiserver's order: on create, status reset, defaulting, [`Strategy::prepare_for_create`], validation,
/// [`Strategy::admit`], [`Strategy::allocate`], the store write, [`Strategy::after_create`]; on update,
/// defaulting, [`Strategy::prepare_for_update`], validation with [`Strategy::validate_update`],
/// [`Strategy::admit`], [`Strategy::finish_update`], [`Strategy::allocate`], the write.
#[async_trait::async_trait]
pub(crate) trait Strategy: Send + Sync + std::fmt::Debug {
    /// Whether the kind answers a request itself with [`Strategy::serve`] instead of the generic verbs;
    /// `subresource` is the request's. Kinds that are never stored answer every request (reviews, component
    /// statuses, `bindings`); others answer their own subresources (`pods/binding`, `serviceaccounts/token`).
    fn serves(&self, _subresource: Option<&str>) -> bool {
        false
    }

    /// Answers a request [`Strategy::serves`] claims.
    async fn serve(&self, _api: &ClusterApi, _call: &Call<'_>) -> Result<Response, ApiError> {
        Err(ApiError::no_such_resource())
    }

    /// What a new object's `status` starts as: clients may not set it on create (kube-apiserver's strategies
    /// reset it). By default it is emptied when the resource has a status subresource.
    fn prepare_status_for_create(&self, resource: &ResourceType, object: &mut Value) {
        if resource.has_subresource("status")
            && let Some(map) = object.as_object_mut()
        {
            map.insert("status".into(), json!({}));
        }
    }

    /// Whether objects carry `metadata.generation`: by default those with a status subresource (a spec that
    /// controllers act on).
    fn tracks_generation(&self, resource: &ResourceType) -> bool {
        resource.has_subresource("status")
    }

    /// A new object after defaulting, before validation: the kind's own preparation and mutating admission.
    /// `namespace` is the request's, for namespaced resources.
    async fn prepare_for_create(
        &self,
        _api: &ClusterApi,
        _resource: &ResourceType,
        _namespace: Option<&str>,
        _object: &mut Value,
    ) -> Result<(), ApiError> {
        Ok(())
    }

    /// An update of the main resource after defaulting, before validation: what the client may leave out is
    /// kept from the current object.
    fn prepare_for_update(&self, _updated: &mut Value, _current: &Value) {}

    /// Field errors beyond `k8s-model`'s on an update of the main resource.
    fn validate_update(&self, _updated: &Value) -> Vec<Cause> {
        Vec::new()
    }

    /// Validating admission after the object validated, with other objects in view; on create and on updates of
    /// the main resource (`creating` says which).
    async fn admit(&self, _api: &ClusterApi, _object: &Value, _creating: bool) -> Result<(), ApiError> {
        Ok(())
    }

    /// The last step of every update, its subresources' included, after validation.
    fn finish_update(&self, _resource: &ResourceType, _updated: &mut Value) -> Result<(), ApiError> {
        Ok(())
    }

    /// Reserves, before the store write of a create (`current` is `None`) or of an update of the main resource,
    /// what the object holds in the cluster's allocations (a service's cluster IPs and node ports), filling
    /// them into `object`. The caller commits or undoes the allocation once the write is done.
    async fn allocate(
        &self,
        _api: &ClusterApi,
        _resource: &ResourceType,
        _namespace: Option<&str>,
        _object: &mut Value,
        _current: Option<&Value>,
    ) -> Result<Option<Allocation>, ApiError> {
        Ok(None)
    }

    /// After the object was created: what comes with it.
    async fn after_create(&self, _api: &ClusterApi, _object: &Value) -> Result<(), ApiError> {
        Ok(())
    }

    /// Whether PATCH takes strategic merge patches for this kind.
    fn accepts_strategic_merge_patch(&self) -> bool {
        true
    }

    /// A delete the kind carries out itself instead of the generic one; `None` leaves it to the generic delete.
    async fn delete(
        &self,
        _api: &ClusterApi,
        _resource: &ResourceType,
        _name: &str,
        _options: &DeleteOptions,
    ) -> Option<Result<Response, ApiError>> {
        None
    }

    /// How long a delete lets the object stop before it goes, `None` to delete it (or mark it for its
    /// finalizers) at once.
    async fn graceful_period(
        &self,
        _api: &ClusterApi,
        _object: &Value,
        _options: &DeleteOptions,
    ) -> Result<Option<i64>, ApiError> {
        Ok(None)
    }

    /// After the object left the store: what it held is given back.
    async fn after_delete(&self, _api: &ClusterApi, _object: &Value) -> Result<(), ApiError> {
        Ok(())
    }

    /// After every write request on the resource, whatever its outcome.
    async fn after_write(&self, _api: &ClusterApi) -> Result<(), ApiError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;

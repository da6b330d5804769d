//! The APIService availability controller (kube-aggregator's `AvailableConditionController`): for every
//! APIService backed by a Service, its `Available` condition says whether the Service exists, listens on the
//! APIService's port and has ready endpoints on it, with upstream's reasons (`ServiceNotFound`,
//! `ServicePortError`, `EndpointsNotFound`, `MissingEndpoints`, else `Passed`). Local APIServices (no Service)
//! are the API server's and are left alone. Requests are never proxied, so no discovery check is made.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Endpoints, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::{APIService, APIServiceCondition};
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;

use crate::batch_support::{ReconcileError, retry_later};

struct Context {
    client: kube::Client,
}

/// Runs the controller until the task is dropped.
pub async fn run(client: kube::Client) {
    let context = Arc::new(Context { client: client.clone() });
    let controller = Controller::new(Api::<APIService>::all(client.clone()), watcher::Config::default());
    let by_service = {
        let api_services = controller.store();
        move |namespace: Option<String>, name: String| {
            api_services
                .state()
                .into_iter()
                .filter(|api_service| {
                    let service = api_service.spec.as_ref().and_then(|spec| spec.service.as_ref());
                    service.is_some_and(|s| s.namespace == namespace && s.name == Some(name.clone()))
                })
                .map(|api_service| ObjectRef::from_obj(api_service.as_ref()))
                .collect::<Vec<_>>()
        }
    };
    let by_endpoints = by_service.clone();
    controller
        .watches(Api::<Service>::all(client.clone()), watcher::Config::default(), move |service: Service| {
            by_service(service.namespace(), service.name_any())
        })
        .watches(Api::<Endpoints>::all(client), watcher::Config::default(), move |endpoints: Endpoints| {
            by_endpoints(endpoints.namespace(), endpoints.name_any())
        })
        .run(reconcile, retry_later, context)
        .for_each(|_| async {})
        .await;
}

async fn reconcile(api_service: Arc<APIService>, context: Arc<Context>) -> Result<Action, ReconcileError> {
    let Some(reference) = api_service.spec.as_ref().and_then(|spec| spec.service.as_ref()) else {
        return Ok(Action::await_change());
    };
    let namespace = reference.namespace.clone().unwrap_or_default();
    let name = reference.name.clone().unwrap_or_default();
    let service = Api::<Service>::namespaced(context.client.clone(), &namespace).get_opt(&name).await?;
    let endpoints = Api::<Endpoints>::namespaced(context.client.clone(), &namespace).get_opt(&name).await?;
    let (status, reason, message) =
        availability(&namespace, &name, reference.port.unwrap_or(443), service.as_ref(), endpoints.as_ref());
    let current = api_service
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|conditions| conditions.iter().find(|c| c.type_ == "Available"));
    if current.is_some_and(|c| {
        c.status == status && c.reason.as_deref() == Some(reason) && c.message == Some(message.clone())
    }) {
        return Ok(Action::await_change());
    }
    let last_transition_time = match current {
        Some(condition) if condition.status == status => condition.last_transition_time.clone(),
        _ => Some(Time(jiff::Timestamp::now())),
    };
    let condition = APIServiceCondition {
        type_: "Available".to_owned(),
        status: status.to_owned(),
        reason: Some(reason.to_owned()),
        message: Some(message),
        last_transition_time,
    };
    let patch = serde_json::json!({ "status": { "conditions": [condition] } });
    Api::<APIService>::all(context.client.clone())
        .patch_status(&api_service.name_any(), &PatchParams::default(), &Patch::Merge(&patch))
        .await?;
    Ok(Action::await_change())
}

/// The `Available` condition's status, reason and message for an APIService backed by the Service
/// `namespace/name` on `port`, from the Service and its Endpoints (`None` when absent), as upstream words them.
pub fn availability(
    namespace: &str,
    name: &str,
    port: i32,
    service: Option<&Service>,
    endpoints: Option<&Endpoints>,
) -> (&'static str, &'static str, String) {
    let Some(service) = service else {
        return ("False", "ServiceNotFound", format!("service/{name} in {namespace:?} is not present"));
    };
    let spec = service.spec.clone().unwrap_or_default();
    if spec.type_.as_deref() == Some("ExternalName") {
        return ("True", "Passed", "all checks passed".to_owned());
    }
    let Some(port_name) =
        spec.ports.iter().flatten().find(|p| p.port == port).map(|p| p.name.clone().unwrap_or_default())
    else {
        return (
            "False",
            "ServicePortError",
            format!("service/{name} in {namespace:?} is not listening on port {port}"),
        );
    };
    let Some(endpoints) = endpoints else {
        return ("False", "EndpointsNotFound", format!("cannot find endpoints for service/{name} in {namespace:?}"));
    };
    let ready = endpoints.subsets.iter().flatten().any(|subset| {
        subset.addresses.as_ref().is_some_and(|addresses| !addresses.is_empty())
            && subset.ports.iter().flatten().any(|p| p.name.clone().unwrap_or_default() == port_name)
    });
    if !ready {
        return (
            "False",
            "MissingEndpoints",
            format!("endpoints for service/{name} in {namespace:?} have no addresses with port name {port_name:?}"),
        );
    }
    ("True", "Passed", "all checks passed".to_owned())
}

#[cfg(test)]
mod tests;

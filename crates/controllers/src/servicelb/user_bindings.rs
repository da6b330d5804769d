//! `TargetGroupBinding`s made by hand: a target group made outside the cluster (by Terraform, CloudFormation, the
//! console) bound to a Service port, as the AWS Load Balancer Controller serves them once it runs. Its targets
//! follow the Service as those of the controller's own target groups do (the pods' addresses for an ip group,
//! held pods included; the nodes' instances on the node port for an instance group); the binding gets the
//! finalizer `elbv2.k8s.aws/resources`, and when it is deleted its targets are deregistered before the finalizer
//! goes. Events as the controller's: `SuccessfullyReconciled`, `BackendNotFound` (no such Service or port),
//! `FailedReconcile` (the target group is not there, or refuses).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use k8s_openapi::api::core::v1::ServicePort;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::reflector::ObjectRef;
use serde_json::json;

use super::bindings::{BINDING_FINALIZER, HeldPods, TargetGroupBinding};
use super::{Controller, endpoints_of, ip_targets, node_targets, retry_after};
use crate::batch_support::record_event;
use crate::endpoints::SERVICE_NAME;
use crate::load_balancers::{Target, TargetType};

const COMPONENT: &str = "targetGroupBinding";

/// What was last done for a binding made by hand: the targets asked for, and when to try again after a failure.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct UserApplied {
    wanted: (String, Vec<Target>, Vec<Target>),
    /// The target group's type once known.
    pub(super) kind: Option<TargetType>,
    retry: Option<(Instant, std::time::Duration)>,
    /// The last failure reported.
    failure: Option<String>,
}

/// A binding as the controller needs it: identity, finalizers, deletion, labels and spec.
pub(super) fn lean_binding(binding: &mut TargetGroupBinding) {
    binding.metadata.managed_fields = None;
    binding.metadata.annotations = None;
}

/// The Service port a binding names: by number or by name.
fn port_of<'a>(ports: &'a [ServicePort], wanted: Option<&IntOrString>) -> Option<&'a ServicePort> {
    match wanted {
        Some(IntOrString::Int(number)) => ports.iter().find(|p| p.port == *number),
        Some(IntOrString::String(name)) => ports.iter().find(|p| p.name.as_deref() == Some(name.as_str())),
        None => ports.first(),
    }
}

impl Controller {
    /// Looks at every binding made by hand once.
    pub(super) async fn user_binding_pass(&mut self) {
        let Some((store, _)) = &self.user_bindings else { return };
        let bindings: Vec<Arc<TargetGroupBinding>> = store.state().into_iter().filter(|b| !b.is_own()).collect();
        if bindings.is_empty() {
            self.user_applied.clear();
            return;
        }
        let nodes = node_targets(&self.nodes.state());
        let slices = self.slices.state();
        let mut seen = HashSet::new();
        for binding in bindings {
            let uid = binding.uid().unwrap_or_default();
            seen.insert(uid.clone());
            let namespace = binding.namespace().unwrap_or_default();
            let arn = binding.spec.target_group_arn.clone();
            let has_finalizer = binding.finalizers().iter().any(|f| f == BINDING_FINALIZER);
            if binding.metadata.deletion_timestamp.is_some() {
                if has_finalizer {
                    if let Err(message) = self.load_balancers.bind_targets(&arn, &[], &[]).await {
                        let text = format!("Failed cleanup due to {message}");
                        record_event(&self.client, COMPONENT, binding.as_ref(), true, "FailedCleanup", &text).await;
                        continue;
                    }
                    let kept: Vec<String> =
                        binding.finalizers().iter().filter(|f| *f != BINDING_FINALIZER).cloned().collect();
                    if let Err(error) = self.set_finalizers(binding.as_ref(), kept).await {
                        tracing::debug!(%error, "could not remove a TargetGroupBinding's finalizer; trying again");
                    }
                }
                self.user_applied.remove(&uid);
                continue;
            }
            if !has_finalizer {
                let mut finalizers = binding.finalizers().to_vec();
                finalizers.push(BINDING_FINALIZER.to_owned());
                if let Err(error) = self.set_finalizers(binding.as_ref(), finalizers).await {
                    let text = format!("Failed add finalizer due to {error}");
                    record_event(&self.client, COMPONENT, binding.as_ref(), true, "FailedAddFinalizer", &text).await;
                    continue;
                }
            }
            let reference = &binding.spec.service_ref;
            let service = self.services.get(&ObjectRef::new(&reference.name).within(&namespace));
            let ports =
                service.as_ref().and_then(|s| s.spec.as_ref()).and_then(|s| s.ports.clone()).unwrap_or_default();
            let Some(port) = service.as_ref().and_then(|_| port_of(&ports, reference.port.as_ref())) else {
                let message = match &service {
                    None => format!("backend not found: services \"{}\" not found", reference.name),
                    Some(_) => {
                        format!("backend not found: unable to find port on service {namespace}/{}", reference.name)
                    }
                };
                self.report_user_binding(&binding, &uid, "BackendNotFound", message).await;
                continue;
            };
            let own: Vec<&EndpointSlice> = slices
                .iter()
                .filter(|s| s.metadata.namespace.as_deref() == Some(namespace.as_str()))
                .filter(|s| s.labels().get(SERVICE_NAME) == Some(&reference.name))
                .map(AsRef::as_ref)
                .collect();
            let mut held = HeldPods::new();
            self.read_held(&namespace, own.iter().copied(), &mut held).await;
            let ip = ip_targets(&endpoints_of(port, &own), &namespace, &held);
            let node_port = port.node_port.and_then(|p| u16::try_from(p).ok());
            let instance: Vec<Target> = node_port
                .map(|node_port| {
                    nodes
                        .iter()
                        .map(|n| Target { id: n.instance_id.clone(), port: node_port, healthy: n.ready })
                        .collect()
                })
                .unwrap_or_default();
            let wanted = (arn.clone(), ip.clone(), instance.clone());
            let previous = self.user_applied.get(&uid);
            let done =
                previous.is_some_and(|p| p.wanted == wanted && p.retry.is_none_or(|(due, _)| Instant::now() < due));
            if !done {
                let delay = previous.and_then(|p| p.retry).map(|(_, delay)| delay);
                match self.load_balancers.bind_targets(&arn, &ip, &instance).await {
                    Ok(kind) => {
                        record_event(
                            &self.client,
                            COMPONENT,
                            binding.as_ref(),
                            false,
                            "SuccessfullyReconciled",
                            "Successfully reconciled",
                        )
                        .await;
                        if let Err(error) = self.set_observed(&binding).await {
                            tracing::debug!(%error, "could not write a TargetGroupBinding's status");
                        }
                        let applied = UserApplied { wanted, kind: Some(kind), retry: None, failure: None };
                        self.user_applied.insert(uid.clone(), applied);
                    }
                    Err(message) => {
                        let text = format!("Failed reconcile due to {message}");
                        let reported = previous.and_then(|p| p.failure.clone());
                        if reported.as_deref() != Some(text.as_str()) {
                            record_event(&self.client, COMPONENT, binding.as_ref(), true, "FailedReconcile", &text)
                                .await;
                        }
                        let kind = previous.and_then(|p| p.kind);
                        let applied =
                            UserApplied { wanted, kind, retry: Some(retry_after(delay)), failure: Some(text) };
                        self.user_applied.insert(uid.clone(), applied);
                        continue;
                    }
                }
            }
            if self.user_applied.get(&uid).and_then(|a| a.kind) == Some(TargetType::Ip) {
                let name = binding.name_any();
                self.open_gates(&held, &[(namespace.clone(), name)]).await;
            }
        }
        self.user_applied.retain(|uid, _| seen.contains(uid));
    }

    /// Reports a binding that cannot be reconciled, once per distinct message.
    async fn report_user_binding(&mut self, binding: &TargetGroupBinding, uid: &str, reason: &str, message: String) {
        let previous = self.user_applied.get(uid);
        if previous.and_then(|p| p.failure.as_deref()) == Some(message.as_str()) {
            return;
        }
        record_event(&self.client, COMPONENT, binding, true, reason, &message).await;
        let applied = UserApplied {
            wanted: Default::default(),
            kind: previous.and_then(|p| p.kind),
            retry: None,
            failure: Some(message),
        };
        self.user_applied.insert(uid.to_owned(), applied);
    }

    /// Starts watching `TargetGroupBinding`s and `IngressClassParams` once their CRDs are in the cluster.
    pub(super) fn watch_user_bindings(&mut self) {
        if self.user_bindings.is_some() || !self.crds_made {
            return;
        }
        let api = Api::<TargetGroupBinding>::all(self.client.clone());
        self.user_bindings = Some(crate::batch_support::reflect(api, lean_binding, Some(Arc::clone(&self.changed))));
        let api = Api::<super::class_params::IngressClassParams>::all(self.client.clone());
        let lean: fn(&mut super::class_params::IngressClassParams) = |p| p.metadata.managed_fields = None;
        self.class_params = Some(crate::batch_support::reflect(api, lean, Some(Arc::clone(&self.changed))));
    }

    /// The status the controller writes on a binding.
    async fn set_observed(&self, binding: &TargetGroupBinding) -> Result<(), kube::Error> {
        let api: Api<TargetGroupBinding> =
            Api::namespaced(self.client.clone(), &binding.namespace().unwrap_or_default());
        let patch = json!({ "status": { "observedGeneration": binding.metadata.generation } });
        api.patch_status(&binding.name_any(), &PatchParams::default(), &Patch::Merge(&patch)).await.map(drop)
    }
}

#[cfg(test)]
mod tests;

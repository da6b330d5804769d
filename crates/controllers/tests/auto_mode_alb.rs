//! EKS Auto Mode's Application Load Balancers against an in-process API server, with fake Elastic Load Balancing
//! whose Auto Mode load balancing is switched by the test: an Ingress of class `eks.amazonaws.com/alb` waits while
//! it is off, gets its ALB (Auto Mode's finalizer, ip targets) once it is on, the `IngressClassParams` CRD of
//! `eks.amazonaws.com/v1` appears and its parameters apply (a scheme its schema does not allow is refused), and
//! turning load balancing off or deleting the Ingress takes the ALB away.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::{eventually, object};
use controllers::ControllersConfig;
use controllers::load_balancers::{
    ApplicationSpec, Ensured, IngressGroup, LoadBalancerSpec, LoadBalancers, Owner, Provisioner, Target, TargetType,
};
use k8s_openapi::api::core::v1::{Event, Service};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::json;

mod common;

const DEADLINE: Duration = Duration::from_secs(30);

/// Elastic Load Balancing as far as Application Load Balancers go, with Auto Mode's switch.
#[derive(Debug, Default)]
struct FakeElb {
    auto_mode: AtomicBool,
    /// How often the switch was read.
    asked: AtomicUsize,
    albs: Mutex<BTreeMap<IngressGroup, ApplicationSpec>>,
}

impl FakeElb {
    fn albs(&self) -> BTreeMap<IngressGroup, ApplicationSpec> {
        self.albs.lock().unwrap().clone()
    }
}

#[async_trait]
impl LoadBalancers for FakeElb {
    async fn ensure(&self, _: &LoadBalancerSpec) -> Result<Ensured, String> {
        Err("no Service asks for one here".into())
    }

    async fn delete(&self, _: &Owner) -> Result<(), String> {
        Ok(())
    }

    async fn ensure_application(&self, spec: &ApplicationSpec) -> Result<Ensured, String> {
        self.albs.lock().unwrap().insert(spec.group.clone(), spec.clone());
        let name = spec.group.id.replace('/', "-");
        Ok(Ensured { hostname: format!("{name}.elb.example"), loopback: Vec::new(), target_groups: Vec::new() })
    }

    async fn delete_application(&self, group: &IngressGroup) -> Result<(), String> {
        self.albs.lock().unwrap().remove(group);
        Ok(())
    }

    async fn bind_targets(&self, _: &str, _: &[Target], _: &[Target]) -> Result<TargetType, String> {
        Err("no bindings here".into())
    }

    async fn auto_mode_load_balancing(&self) -> Result<bool, String> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        Ok(self.auto_mode.load(Ordering::SeqCst))
    }
}

fn hostname(ingress: &Ingress) -> Option<String> {
    ingress.status.as_ref()?.load_balancer.as_ref()?.ingress.as_ref()?.first()?.hostname.clone()
}

fn finalizers(ingress: &Ingress) -> Vec<String> {
    ingress.metadata.finalizers.clone().unwrap_or_default()
}

fn params_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("eks.amazonaws.com", "v1", "IngressClassParams"),
        "ingressclassparams",
    )
}

#[tokio::test]
async fn auto_mode_makes_an_ingresss_alb_only_while_its_load_balancing_is_on() {
    let elb = std::sync::Arc::new(FakeElb::default());
    let config = ControllersConfig { load_balancers: Some(elb.clone()), ..ControllersConfig::default() };
    let harness = common::start_with(config).await;
    let client = harness.client.clone();
    let services: Api<Service> = Api::namespaced(client.clone(), "default");
    services
        .create(
            &PostParams::default(),
            &object(json!({
                "metadata": { "name": "web" },
                "spec": { "selector": { "app": "web" }, "ports": [{ "name": "http", "port": 80, "targetPort": 8080 }] },
            })),
        )
        .await
        .unwrap();
    let classes: Api<IngressClass> = Api::all(client.clone());
    classes
        .create(
            &PostParams::default(),
            &object(json!({
                "metadata": { "name": "alb" }, "spec": { "controller": "eks.amazonaws.com/alb" },
            })),
        )
        .await
        .unwrap();
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), "default");
    let ingress = json!({
        "metadata": { "name": "web", "annotations": { "alb.ingress.kubernetes.io/group.name": "ignored" } },
        "spec": { "ingressClassName": "alb", "defaultBackend": { "service": { "name": "web", "port": { "number": 80 } } } },
    });
    ingresses.create(&PostParams::default(), &object(ingress)).await.unwrap();

    // Off: the controller asks, and the Ingress stays without an address; Auto Mode's CRD is not there.
    let asked = elb.asked.load(Ordering::SeqCst);
    eventually("Auto Mode's switch read again", DEADLINE, || async {
        (elb.asked.load(Ordering::SeqCst) > asked).then_some(())
    })
    .await;
    let read = ingresses.get("web").await.unwrap();
    assert_eq!((hostname(&read), finalizers(&read)), (None, Vec::new()));
    assert!(elb.albs().is_empty());
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    assert!(crds.get_opt("ingressclassparams.eks.amazonaws.com").await.unwrap().is_none());

    // On: the ALB, with Auto Mode's finalizer and ip targets; the group annotation is not Auto Mode's.
    elb.auto_mode.store(true, Ordering::SeqCst);
    let read = eventually("the Ingress's address", DEADLINE, || async {
        let read = ingresses.get("web").await.ok()?;
        hostname(&read).is_some().then_some(read)
    })
    .await;
    assert_eq!(hostname(&read).as_deref(), Some("default-web.elb.example"));
    assert_eq!(finalizers(&read), ["ingress.eks.amazonaws.com/resources"]);
    let albs = elb.albs();
    let group = IngressGroup { provisioner: Provisioner::AutoMode, id: "default/web".into(), explicit: false };
    let spec = &albs[&group];
    assert!(spec.internal, "internal unless told otherwise");
    assert_eq!(spec.backends[0].target_type, TargetType::Ip);
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    eventually("the reconciled event", DEADLINE, || async {
        let found = events.list(&ListParams::default().fields("involvedObject.name=web")).await.ok()?;
        found.items.iter().any(|e| e.reason.as_deref() == Some("SuccessfullyReconciled")).then_some(())
    })
    .await;

    // Auto Mode's IngressClassParams: a scheme the schema does not allow is refused; a good one applies.
    eventually("Auto Mode's IngressClassParams CRD", DEADLINE, || async {
        crds.get_opt("ingressclassparams.eks.amazonaws.com").await.ok().flatten()
    })
    .await;
    let params: Api<DynamicObject> = Api::all_with(client.clone(), &params_resource());
    let bad = json!({ "apiVersion": "eks.amazonaws.com/v1", "kind": "IngressClassParams",
                      "metadata": { "name": "public" }, "spec": { "scheme": "outside" } });
    let refused = eventually("the CRD served", DEADLINE, || async {
        match params.create(&PostParams::default(), &object(bad.clone())).await {
            Err(kube::Error::Api(status)) if status.code == 422 => Some(status),
            _ => None,
        }
    })
    .await;
    assert!(refused.message.contains("spec.scheme"), "{}", refused.message);
    let good = json!({ "apiVersion": "eks.amazonaws.com/v1", "kind": "IngressClassParams",
                       "metadata": { "name": "public" },
                       "spec": { "scheme": "internet-facing", "group": { "name": "shared" } } });
    params.create(&PostParams::default(), &object(good)).await.unwrap();
    let reference = json!({ "spec": { "parameters": {
        "apiGroup": "eks.amazonaws.com", "kind": "IngressClassParams", "name": "public" } } });
    classes.patch("alb", &PatchParams::default(), &Patch::Merge(&reference)).await.unwrap();
    let shared = IngressGroup { provisioner: Provisioner::AutoMode, id: "shared".into(), explicit: true };
    let read = eventually("the parameters' group", DEADLINE, || async {
        let read = ingresses.get("web").await.ok()?;
        (finalizers(&read) == ["group.ingress.eks.amazonaws.com/shared"]).then_some(read)
    })
    .await;
    assert_eq!(hostname(&read).as_deref(), Some("shared.elb.example"));
    let albs = elb.albs();
    assert_eq!(albs.keys().collect::<Vec<_>>(), [&shared], "the Ingress's own ALB went when it joined the group");
    assert!(!albs[&shared].internal, "the parameters' scheme");

    // Off again: the ALB goes, and the Ingress loses its address and finalizer.
    elb.auto_mode.store(false, Ordering::SeqCst);
    eventually("the Ingress let go", DEADLINE, || async {
        let read = ingresses.get("web").await.ok()?;
        (hostname(&read).is_none() && finalizers(&read).is_empty()).then_some(())
    })
    .await;
    assert!(elb.albs().is_empty());

    // On, then the Ingress deleted: its ALB goes before it does.
    elb.auto_mode.store(true, Ordering::SeqCst);
    eventually("the ALB again", DEADLINE, || async { (!elb.albs().is_empty()).then_some(()) }).await;
    ingresses.delete("web", &DeleteParams::default()).await.unwrap();
    eventually("the Ingress gone", DEADLINE, || async { ingresses.get_opt("web").await.ok()?.is_none().then_some(()) })
        .await;
    assert!(elb.albs().is_empty());
    harness.stop().await;
}

//! CustomResourceDefinitions the controllers put into a cluster, as the charts of the components they stand for
//! install them (the AWS Load Balancer Controller's, Karpenter's, the Vertical Pod Autoscaler's) or EKS does for
//! its own features (Auto Mode's): each is created when absent and left alone once there, so a definition the
//! chart brought first is kept.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, PostParams};
use serde_json::Value;

/// Creates those of `crds` (definitions as JSON) that the cluster lacks; the first failure stops and is returned
/// (a definition another writer created meanwhile counts as made).
pub(crate) async fn ensure(client: &kube::Client, crds: impl IntoIterator<Item = Value>) -> Result<(), kube::Error> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in crds {
        let crd: CustomResourceDefinition = serde_json::from_value(crd).map_err(kube::Error::SerdeError)?;
        let name = crd.metadata.name.clone().unwrap_or_default();
        if api.get_opt(&name).await?.is_some() {
            continue;
        }
        match api.create(&PostParams::default(), &crd).await {
            Ok(_) => tracing::info!(crd = %name, "created a CustomResourceDefinition"),
            Err(kube::Error::Api(status)) if status.code == 409 => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

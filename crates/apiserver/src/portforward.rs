//! `pods/<name>/portforward`, as kube-apiserver and the pod's kubelet serve it together.

use axum::body::Body;
use axum::http::Request;
use axum::response::Response;

use crate::api::ClusterApi;
use crate::authz::UserInfo;
use crate::request::ConnectRequest;
use crate::status::ApiError;

impl ClusterApi {
    /// Serves `pods/<name>/portforward`.
    pub(crate) async fn port_forward(
        &self,
        user: &UserInfo,
        connect: &ConnectRequest,
        request: Request<Body>,
    ) -> Result<Response, ApiError> {
        let Some(verb) = crate::proxy::connect_verb(request.method()) else {
            return Err(ApiError::method_not_allowed(format!("{} is not supported", request.method())));
        };
        self.authorize_connect(user, connect, verb).await?;
        let pod = self.stored_pod(&connect.namespace, &connect.name).await?;
        if pod["spec"]["nodeName"].as_str().unwrap_or_default().is_empty() {
            return Err(ApiError::bad_request(format!("pod {} does not have a host assigned", connect.name)));
        }
        Err(ApiError::bad_request("Upgrade request required"))
    }
}

//! Amazon EKS Auth over `rest-json` (signing name `eks-auth`): `AssumeRoleForPodIdentity`, which the EKS Pod
//! Identity Agent calls with a pod's service account token.

use aws_model::eks::Caller;
use aws_model::eks_auth::{EksAuthError, PodIdentityCredentials};
use aws_protocol::AwsError;
use http::{Method, StatusCode};
use serde_json::json;

use crate::json_body::JsonBody;
use crate::registry::{Handled, Operation, Service, Wire, WireError, wire};
use crate::{AwsApi, Call};

/// EKS Auth on the wire, as the service model's `http.requestUri` has it.
pub(crate) const SERVICE: Service = Service {
    signing_name: "eks-auth",
    model: "eks-auth",
    title: "EKS Auth",
    wire: Wire::RestJson,
    operations: &[Operation::rest(
        "AssumeRoleForPodIdentity",
        Method::POST,
        "/clusters/{clusterName}/assume-role-for-pod-identity",
        assume_role_for_pod_identity,
    )],
};

impl WireError for EksAuthError {
    fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            EksAuthError::InvalidParameter(_) => ("InvalidParameterException", StatusCode::BAD_REQUEST),
            EksAuthError::InvalidToken(_) => ("InvalidTokenException", StatusCode::BAD_REQUEST),
            EksAuthError::ExpiredToken(_) => ("ExpiredTokenException", StatusCode::BAD_REQUEST),
            EksAuthError::ResourceNotFound(_) => ("ResourceNotFoundException", StatusCode::NOT_FOUND),
            EksAuthError::AccessDenied(_) => ("AccessDeniedException", StatusCode::BAD_REQUEST),
            EksAuthError::Internal(_) => ("InternalServerException", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

impl AwsApi {
    /// AssumeRoleForPodIdentity for `caller`'s account and region, with EKS Auth's errors as they go on the wire:
    /// what the operation answers, and what the Pod Identity Agent's credentials route turns into its answers.
    pub async fn assume_role_for_pod_identity(
        &self,
        caller: &Caller,
        cluster_name: &str,
        token: &str,
    ) -> Result<PodIdentityCredentials, AwsError> {
        let auth = self.eks_auth().ok_or_else(|| {
            AwsError::new("UnknownOperationException", "EKS Auth is not served by this endpoint", StatusCode::NOT_FOUND)
        })?;
        auth.assume_role_for_pod_identity(caller, cluster_name, token).await.map_err(wire)
    }
}

fn assume_role_for_pod_identity<'a>(api: &'a AwsApi, call: &'a Call<'a>) -> Handled<'a> {
    Box::pin(async move {
        let invalid = |message: String| AwsError::bad_request("InvalidParameterException", message);
        let body = JsonBody::of(call).map_err(|error| invalid(error.message))?;
        let token = body.string("token").map_err(|error| invalid(error.message))?.ok_or_else(|| {
            invalid("1 validation error detected: Value null at 'token' failed to satisfy constraint: Member must not be null".into())
        })?;
        let credentials = api.assume_role_for_pod_identity(&call.caller, call.label("clusterName"), &token).await?;
        let session = &credentials.assumed.session;
        call.json(&json!({
            "subject": { "namespace": credentials.namespace, "serviceAccount": credentials.service_account },
            "audience": credentials.audience,
            "podIdentityAssociation": {
                "associationArn": credentials.association_arn,
                "associationId": credentials.association_id,
            },
            "assumedRoleUser": { "arn": session.arn, "assumeRoleId": credentials.assumed.assumed_role_id },
            "credentials": {
                "sessionToken": session.session_token,
                "secretAccessKey": session.secret_access_key,
                "accessKeyId": session.access_key_id,
                "expiration": session.expires_at,
            },
        }))
    })
}

//! The traits through which the embedding program extends every cluster's API server: a bearer token
//! authenticator (EKS tokens), a mutating admission webhooks for new pods (Fargate) and Services, and the network that reaches
//! pods' ports (the pod and service proxies, port-forwarding). Only the identity types are below it.

use crate::identity::AuthenticatedUser;

/// Checks bearer tokens for a cluster, as kube-apiserver's webhook token authenticators do (the EKS token of
/// `aws eks get-token` is one). `None` means the token is not valid; the request then gets 401.
#[async_trait::async_trait]
pub trait TokenAuthenticator: Send + Sync + std::fmt::Debug {
    /// `cluster` is the name the cluster was created with.
    async fn authenticate(&self, cluster: &str, token: &str) -> Option<AuthenticatedUser>;
}

/// A mutating admission webhook for new pods, as EKS runs its own (the Fargate profile webhook sets
/// `schedulerName: fargate-scheduler` on pods a profile selects; the pod identity webhook injects AWS
/// credentials). The hooks run in turn after the built-in plugins and before validation; an error refuses the create.
#[async_trait::async_trait]
pub trait PodAdmission: Send + Sync + std::fmt::Debug {
    /// `cluster` is the name the cluster was created with; `pod` is the pod as it will be stored;
    /// `service_account` is the pod's ServiceAccount as stored (the built-in admission has checked it exists).
    async fn admit(
        &self,
        cluster: &str,
        namespace: &str,
        pod: &mut serde_json::Value,
        service_account: Option<&serde_json::Value>,
    ) -> Result<(), String>;
}

/// A mutating admission webhook for new Services, as one a cluster's add-on may register (the AWS Load Balancer
/// Controller's gives `LoadBalancer` Services its `loadBalancerClass`). The hooks run in turn after defaulting and
/// before validation; an error refuses the create.
#[async_trait::async_trait]
pub trait ServiceAdmission: Send + Sync + std::fmt::Debug {
    /// `cluster` is the name the cluster was created with; `service` is the Service as it will be stored.
    async fn admit(&self, cluster: &str, namespace: &str, service: &mut serde_json::Value) -> Result<(), String>;
}

/// Opens connections to pods' ports, where kube-apiserver dials a pod's IP (the `proxy` subresources of pods and
/// services) or has the pod's kubelet dial it (`pods/portforward`). The API server knows no node: without one every
/// connection is refused.
pub trait PodConnector: Send + Sync + std::fmt::Debug {
    /// Opens a connection to TCP `port` of `pod` (the pod as stored) in the cluster named `cluster`. `Err` is the
    /// dialer's error as Go words it (`dial tcp 10.0.1.5:80: connect: connection refused`), which kube-apiserver
    /// passes on.
    fn connect(&self, cluster: &str, pod: &serde_json::Value, port: u16) -> Result<tokio::io::DuplexStream, String>;
}

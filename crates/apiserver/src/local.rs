//! In-process access to a cluster's API: the same routing, authentication and authorization as its HTTPS
//! endpoint, without TLS or sockets. The scheduler, the controllers and the node agents are API clients like any
//! other; inside the ekslite process they reach their cluster through this service.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{Request, Response};
use bytes::Bytes;

use crate::api::ClusterApi;
use crate::identity::Identity;

/// A `tower` service answering requests as the cluster's API server answers them, for one identity.
#[derive(Debug, Clone)]
pub struct LocalService {
    api: Arc<ClusterApi>,
    identity: Identity,
}

impl LocalService {
    /// Requests through this service act as `identity`: a certificate identity is trusted as the API server
    /// trusts a verified client certificate, so only the process itself can make one.
    pub fn new(api: Arc<ClusterApi>, identity: Identity) -> LocalService {
        LocalService { api, identity }
    }

    /// One request, answered whole: its status and body.
    pub async fn send(&self, request: Request<Body>) -> (axum::http::StatusCode, Bytes) {
        let response = crate::server::handle(&self.api, &self.identity, request).await;
        let status = response.status();
        (status, axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default())
    }
}

impl<B> tower_service::Service<Request<B>> for LocalService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let api = Arc::clone(&self.api);
        let identity = self.identity.clone();
        Box::pin(async move { Ok(crate::server::handle(&api, &identity, request.map(Body::new)).await) })
    }
}

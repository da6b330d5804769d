//! The AWS endpoint as an HTTP route: every request the server's own routes do not take goes to `AwsApi`.

use std::sync::Arc;

use aws_api::AwsApi;
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

/// The largest request body the AWS endpoint reads.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The fallback route: the AWS endpoint.
pub async fn endpoint(api: Arc<AwsApi>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let limited = http_body_util::Limited::new(body, MAX_BODY_BYTES);
    let bytes = match limited.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return (axum::http::StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
        }
    };
    let response = api.handle(http::Request::from_parts(parts, bytes)).await;
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Body::from(body))
}

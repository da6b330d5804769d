//! The command-line side of `ekslite cluster ...` and `ekslite kubeconfig`: JSON requests to a running server's
//! management routes.

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// Sends one request to `endpoint` (`http://host:port`) and returns the status and body.
pub async fn call(
    endpoint: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> anyhow::Result<(StatusCode, Bytes)> {
    let endpoint = endpoint.trim_end_matches('/');
    let uri: hyper::Uri =
        format!("{endpoint}{path}").parse().with_context(|| format!("bad --endpoint {endpoint:?}"))?;
    let payload = body.map(|b| Bytes::from(serde_json::to_vec(b).expect("JSON serializes"))).unwrap_or_default();
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(payload))
        .expect("a valid request");
    let client = Client::builder(TokioExecutor::new()).build_http();
    let response = client.request(request).await.map_err(|error| {
        let mut cause: &dyn std::error::Error = &error;
        while let Some(source) = cause.source() {
            cause = source;
        }
        anyhow::anyhow!("cannot reach ekslite at {endpoint} ({cause}); is `ekslite serve` running?")
    })?;
    let status = response.status();
    let body = response.into_body().collect().await.context("reading the server's answer")?.to_bytes();
    Ok((status, body))
}

/// The body of a successful answer, or the server's message as an error.
pub fn expect_success(status: StatusCode, body: &[u8]) -> anyhow::Result<Value> {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(value);
    }
    let message = value.get("message").and_then(Value::as_str).map(str::to_owned);
    Err(anyhow::anyhow!(message.unwrap_or_else(|| format!("the server answered {status}"))))
}

//! A small AWS client for ekslite's own commands (`up`, `down`) and benchmarks: requests signed with the project's
//! SigV4 signer (`aws_protocol::sigv4`) as the aws CLI signs them, with the open mode's throwaway credentials;
//! query (IAM, EC2) and rest-json (EKS) answers and errors read back.

use anyhow::Context;
use aws_protocol::sigv4::{Credentials, SigningParams, sign};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// Signs and sends AWS requests as the aws CLI would, with the open mode's throwaway credentials.
#[derive(Debug)]
pub struct Aws {
    endpoint: String,
    region: String,
    credentials: Credentials,
}

/// An AWS error answer: its code and message.
#[derive(Debug)]
pub struct AwsFailure {
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for AwsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl Aws {
    pub fn new(endpoint: &str, region: &str) -> Aws {
        let credentials =
            Credentials { access_key_id: "ekslite".into(), secret_access_key: "ekslite".into(), session_token: None };
        Aws { endpoint: endpoint.trim_end_matches('/').to_owned(), region: region.to_owned(), credentials }
    }

    pub async fn send(
        &self,
        service: &str,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<(u16, Option<String>, Bytes)> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.endpoint))
            .header(http::header::CONTENT_TYPE, content_type)
            .body(body)
            .context("building a request")?;
        // IAM is global: its calls are signed for us-east-1, as the SDKs sign them.
        let region = if service == "iam" { "us-east-1" } else { self.region.as_str() };
        let params =
            SigningParams { credentials: &self.credentials, region, service, time: time::OffsetDateTime::now_utc() };
        sign(&mut request, &params).context("signing a request")?;
        let (parts, body) = request.into_parts();
        let request = Request::from_parts(parts, Full::new(Bytes::from(body)));
        let client = Client::builder(TokioExecutor::new()).build_http();
        let response = client.request(request).await.with_context(|| format!("cannot reach {}", self.endpoint))?;
        let status = response.status().as_u16();
        // rest-json services (EKS) name the error in a header.
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|value| value.to_str().ok())
            .map(|value| value.split(':').next().unwrap_or(value).to_owned());
        let bytes = response.into_body().collect().await.context("reading an answer")?.to_bytes();
        Ok((status, error_type, bytes))
    }

    /// A query-protocol call (IAM, EC2): the answer's XML, or the error's code and message.
    pub async fn query(
        &self,
        service: &str,
        action: &str,
        params: &[(&str, String)],
    ) -> anyhow::Result<Result<String, AwsFailure>> {
        let version = if service == "iam" { "2010-05-08" } else { "2016-11-15" };
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", action).append_pair("Version", version);
        for (key, value) in params {
            form.append_pair(key, value);
        }
        let body = form.finish().into_bytes();
        let (status, _, bytes) =
            self.send(service, Method::POST, "/", "application/x-www-form-urlencoded; charset=utf-8", body).await?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if (200..300).contains(&status) {
            return Ok(Ok(text));
        }
        let document = roxmltree::Document::parse(&text).ok();
        let find = |name: &str| {
            document.as_ref().and_then(|d| d.descendants().find(|n| n.has_tag_name(name))?.text().map(str::to_owned))
        };
        Ok(Err(AwsFailure {
            code: find("Code").unwrap_or_else(|| status.to_string()),
            message: find("Message").unwrap_or(text),
        }))
    }

    /// A query call that must succeed.
    pub async fn must(&self, service: &str, action: &str, params: &[(&str, String)]) -> anyhow::Result<String> {
        self.query(service, action, params).await?.map_err(|failure| anyhow::anyhow!("{service} {action}: {failure}"))
    }

    /// An EKS (rest-json) call: the answer's JSON, or the error's type and message.
    pub async fn eks(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Result<Value, AwsFailure>> {
        let payload = body.map(|b| serde_json::to_vec(&b).expect("JSON serializes")).unwrap_or_default();
        let (status, error_type, bytes) = self.send("eks", method, path, "application/json", payload).await?;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(Ok(value));
        }
        let code = error_type
            .as_deref()
            .or_else(|| value.get("__type").or_else(|| value.get("code")).and_then(Value::as_str))
            .unwrap_or("Error");
        let message = value.get("message").and_then(Value::as_str).unwrap_or_default();
        Ok(Err(AwsFailure { code: code.rsplit('#').next().unwrap_or(code).to_owned(), message: message.to_owned() }))
    }
}

/// The text of every element named `name` in an XML answer.
pub fn xml_values(xml: &str, name: &str) -> Vec<String> {
    let Ok(document) = roxmltree::Document::parse(xml) else { return Vec::new() };
    document.descendants().filter(|n| n.has_tag_name(name)).filter_map(|n| n.text().map(str::to_owned)).collect()
}

#[cfg(test)]
mod tests;

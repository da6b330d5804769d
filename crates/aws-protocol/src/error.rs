//! The AWS error envelope: one [`AwsError`] value and its rendering in each wire protocol, with the request id
//! where each protocol puts it.

use http::{HeaderValue, Response, StatusCode};
use serde_json::{Map, Value};

use crate::xml::XmlWriter;

/// The wire protocols this crate speaks, named as botocore's service models name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `query`: form-encoded requests, XML replies (IAM, STS, Auto Scaling, CloudFormation).
    Query,
    /// `ec2`: the query protocol's EC2 dialect (lists `Name.N`, `<item>` elements, its own error shape).
    Ec2,
    /// `json`: JSON 1.1 POSTs dispatched by `X-Amz-Target` (CloudWatch Logs, CloudTrail).
    Json,
    /// `rest-json`: operations bound to HTTP method and path, JSON bodies (EKS, EKS Auth).
    RestJson,
    /// `rest-xml`: operations bound to HTTP method and path, XML bodies (S3, Route 53, CloudFront).
    RestXml,
}

impl Protocol {
    /// The protocol as the service models spell it (`query`, `ec2`, `json`, `rest-json`).
    pub fn model_name(self) -> &'static str {
        match self {
            Protocol::Query => "query",
            Protocol::Ec2 => "ec2",
            Protocol::Json => "json",
            Protocol::RestJson => "rest-json",
            Protocol::RestXml => "rest-xml",
        }
    }

    /// Whether replies are XML (`query`, `ec2`, `rest-xml`) rather than JSON.
    pub fn is_xml(self) -> bool {
        matches!(self, Protocol::Query | Protocol::Ec2 | Protocol::RestXml)
    }
}

/// The header AWS uses for the request id in every protocol (query services send it too, besides the body).
pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// The header S3 (and so the `rest-xml` protocol) uses for the request id.
pub const S3_REQUEST_ID_HEADER: &str = "x-amz-request-id";

/// A request id: a random UUID, version 4, as AWS services hand them out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// A fresh random id.
    pub fn new() -> Self {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system's random source");
        Self::from_random_bytes(bytes)
    }

    /// The id made of these 16 bytes, with the version and variant bits of a UUID v4 set.
    pub fn from_random_bytes(mut bytes: [u8; 16]) -> Self {
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex = crate::encoding::hex(&bytes);
        Self(format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An error as an AWS service reports it: a code, a message, an HTTP status, whose fault it is, and (for the
/// JSON protocols) extra members of the body, such as EKS's `clusterName`.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsError {
    /// The error code, such as `ResourceNotFoundException` or `NoSuchEntity`.
    pub code: String,
    /// The human-readable message.
    pub message: String,
    /// The HTTP status of the reply.
    pub status: StatusCode,
    /// `true` when the caller is at fault (`Sender`), `false` for the service (`Receiver`).
    pub sender_fault: bool,
    /// Members added to JSON error bodies beside `message`; the XML protocols have no place for them.
    pub extra: Map<String, Value>,
}

impl AwsError {
    /// An error with this code, message and status; the fault is the sender's for 4xx statuses.
    pub fn new(code: impl Into<String>, message: impl Into<String>, status: StatusCode) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            status,
            sender_fault: !status.is_server_error(),
            extra: Map::new(),
        }
    }

    /// A caller's error with status 400.
    pub fn bad_request(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, message, StatusCode::BAD_REQUEST)
    }

    /// Adds a member to the JSON body of the error.
    pub fn with_extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }

    /// The reply for this error in `protocol`. `namespace` is the service's XML namespace, used by the query
    /// protocol only (for example `https://iam.amazonaws.com/doc/2010-05-08/`); an empty one is left out.
    pub fn to_response(&self, protocol: Protocol, namespace: &str, request_id: &RequestId) -> Response<Vec<u8>> {
        let (content_type, body) = match protocol {
            Protocol::Query => ("text/xml", self.query_body(namespace, request_id)),
            Protocol::Ec2 => ("text/xml;charset=UTF-8", self.ec2_body(request_id)),
            Protocol::Json => ("application/x-amz-json-1.1", self.json_body(true)),
            Protocol::RestJson => ("application/json", self.json_body(false)),
            Protocol::RestXml => ("application/xml", self.rest_xml_body(request_id)),
        };
        let mut response = reply(self.status, content_type, body, request_id);
        if protocol == Protocol::RestJson
            && let Ok(value) = HeaderValue::from_str(&self.code)
        {
            response.headers_mut().insert("x-amzn-errortype", value);
        }
        if protocol == Protocol::RestXml
            && let Ok(value) = HeaderValue::from_str(request_id.as_str())
        {
            response.headers_mut().insert(S3_REQUEST_ID_HEADER, value);
        }
        response
    }

    fn query_body(&self, namespace: &str, request_id: &RequestId) -> Vec<u8> {
        let mut xml = XmlWriter::new();
        let attributes: &[(&str, &str)] = if namespace.is_empty() { &[] } else { &[("xmlns", namespace)] };
        xml.element_with_attributes("ErrorResponse", attributes, |xml| {
            xml.element("Error", |xml| {
                xml.text("Type", if self.sender_fault { "Sender" } else { "Receiver" })
                    .text("Code", &self.code)
                    .text("Message", &self.message);
            })
            .text("RequestId", request_id.as_str());
        });
        xml.finish().into_bytes()
    }

    fn ec2_body(&self, request_id: &RequestId) -> Vec<u8> {
        let mut xml = XmlWriter::with_declaration();
        xml.element("Response", |xml| {
            xml.element("Errors", |xml| {
                xml.element("Error", |xml| {
                    xml.text("Code", &self.code).text("Message", &self.message);
                });
            })
            .text("RequestID", request_id.as_str());
        });
        xml.finish().into_bytes()
    }

    /// S3's error document, which botocore's `rest-xml` parser reads for every service of that protocol.
    fn rest_xml_body(&self, request_id: &RequestId) -> Vec<u8> {
        let mut xml = XmlWriter::with_declaration();
        xml.element("Error", |xml| {
            xml.text("Code", &self.code).text("Message", &self.message).text("RequestId", request_id.as_str());
        });
        xml.finish().into_bytes()
    }

    fn json_body(&self, with_type: bool) -> Vec<u8> {
        let mut body = Map::new();
        if with_type {
            body.insert("__type".to_owned(), Value::String(self.code.clone()));
        }
        for (key, value) in &self.extra {
            body.insert(key.clone(), value.clone());
        }
        body.insert("message".to_owned(), Value::String(self.message.clone()));
        serde_json::to_vec(&Value::Object(body)).expect("a JSON map serializes")
    }
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AwsError {}

/// A reply with this status, content type and body, carrying the request id header.
pub fn reply(
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
    request_id: &RequestId,
) -> Response<Vec<u8>> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests;

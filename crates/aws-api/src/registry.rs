//! The services behind the endpoint, as data. Each service module declares one [`Service`]: its signing name,
//! its protocol with what that protocol needs (XML namespace and API version, or `X-Amz-Target` prefix), and a
//! table of [`Operation`]s, each a name (and for REST protocols a method and path template) with its handler.
//! [`crate::SERVICES`] lists them; [`AwsApi::handle`](crate::AwsApi::handle) finds the service and operation of
//! every request there and calls the handler. A request for a service or an operation that is not there gets an
//! error naming both, in the shape its client's protocol parses ([`unknown_service`], [`unknown_operation`]).
//!
//! Model errors reach the wire through [`WireError`]: each service module implements it for its model's error
//! enum (code and HTTP status per variant), so that handlers write `.map_err(wire)?`.

use std::future::Future;
use std::pin::Pin;

use aws_protocol::{AwsError, Protocol, Route};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

use crate::{AwsApi, Call};

/// What a handler returns: the reply, or the error that the endpoint writes in the service's protocol.
pub(crate) type Outcome = Result<Response<Vec<u8>>, AwsError>;

/// The future of a handler.
pub(crate) type Handled<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// An operation's handler: an `async fn(&AwsApi, &Call<'_>) -> Outcome`, boxed by [`operation!`] (or by a small
/// adapter of the service's own, as EKS's [`crate::eks`] has for its handlers' path labels).
pub(crate) type Handler = for<'a> fn(&'a AwsApi, &'a Call<'a>) -> Handled<'a>;

/// Signing names of services that speak `rest-xml`, so that a request for one of them that this endpoint does not
/// serve (`aws s3 ls`) is refused in XML that its client parses.
const REST_XML_SIGNING_NAMES: &[&str] = &["s3", "s3-outposts", "route53", "cloudfront"];

/// One AWS service as the endpoint serves it.
#[derive(Debug)]
pub(crate) struct Service {
    /// The signing name of the credential scope (`eks`, `iam`, `ec2`), as the service model's `signingName`.
    pub signing_name: &'static str,
    /// The name of botocore's model of the service (`eks`, `elbv2`, `elb`, `service-quotas`), which tells apart
    /// services that share a signing name.
    pub model: &'static str,
    /// The service's name in messages (`EKS`, `IAM`, `Auto Scaling`).
    pub title: &'static str,
    /// The protocol, with what it needs to find operations and write replies.
    pub wire: Wire,
    /// The operations served; an operation not listed here is refused with [`unknown_operation`].
    pub operations: &'static [Operation],
}

/// A service's protocol, with what the endpoint needs to know of it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wire {
    /// `query`: `Action` and `Version` parameters, replies in the service's XML namespace.
    Query {
        /// The API version clients send as `Version` (`2010-05-08`); it names the service of unsigned requests.
        version: &'static str,
        /// The XML namespace of replies and errors (`https://iam.amazonaws.com/doc/2010-05-08/`).
        namespace: &'static str,
    },
    /// `ec2`: the query protocol's EC2 dialect; its namespace is the protocol's own.
    Ec2 {
        /// The API version clients send as `Version` (`2016-11-15`).
        version: &'static str,
    },
    /// `json`: POSTs whose `X-Amz-Target` is `<target_prefix>.<operation>` (SSM).
    Json {
        /// The service model's `targetPrefix` (`AmazonSSM`).
        target_prefix: &'static str,
    },
    /// `rest-json`: operations are bound to a method and a path template ([`Operation::rest`]).
    RestJson,
}

impl Wire {
    /// The protocol as `aws-protocol` names it.
    pub fn protocol(self) -> Protocol {
        match self {
            Wire::Query { .. } => Protocol::Query,
            Wire::Ec2 { .. } => Protocol::Ec2,
            Wire::Json { .. } => Protocol::Json,
            Wire::RestJson => Protocol::RestJson,
        }
    }

    /// The XML namespace of error replies (query services only; EC2 errors carry none).
    pub fn namespace(self) -> &'static str {
        match self {
            Wire::Query { namespace, .. } => namespace,
            _ => "",
        }
    }
}

/// One operation of a service.
#[derive(Debug)]
pub(crate) struct Operation {
    /// The operation's name in the service model (`CreateRole`, `DescribeNodegroup`).
    pub name: &'static str,
    /// For `rest-json`: the method and the path template of the model's `http.requestUri`
    /// (`/clusters/{name}/node-groups`). Each `{label}` matches one path segment, percent-decoded, which the
    /// handler reads with [`Call::label`].
    pub http: Option<(Method, &'static str)>,
    /// Whether the operation is served without a signature, as its model's `authtype: none` says
    /// (STS's AssumeRoleWithWebIdentity); every other operation needs one.
    pub unsigned: bool,
    /// The handler.
    pub handler: Handler,
}

impl Operation {
    /// An operation of a `query`, `ec2` or `json` service, named on the wire by `Action` or `X-Amz-Target`.
    pub const fn new(name: &'static str, handler: Handler) -> Operation {
        Operation { name, http: None, unsigned: false, handler }
    }

    /// An operation of a `rest-json` service, bound to `method` and the path template `path`.
    pub const fn rest(name: &'static str, method: Method, path: &'static str, handler: Handler) -> Operation {
        Operation { name, http: Some((method, path)), unsigned: false, handler }
    }

    /// The operation, served without a signature.
    pub const fn unsigned(mut self) -> Operation {
        self.unsigned = true;
        self
    }
}

/// An [`Operation`] served by `handler`, an `async fn(&AwsApi, &Call<'_>) -> Outcome`.
macro_rules! operation {
    ($name:literal, $handler:path) => {
        $crate::registry::Operation::new($name, |api, call| Box::pin($handler(api, call)))
    };
}
pub(crate) use operation;

/// The service a request is for: the one of its signing name (of two services sharing one, as ELB and ELBv2
/// share `elasticloadbalancing`, the one of the request's `Version`, else the first listed); for unsigned
/// requests, the one its `X-Amz-Target` prefix or its `Version` names.
pub(crate) fn find_service(services: &[&'static Service], route: &Route) -> Option<&'static Service> {
    if let Some(name) = &route.signing_name {
        let mut signed = services.iter().copied().filter(|service| service.signing_name == name);
        let first = signed.next()?;
        let by_version = std::iter::once(first).chain(signed).find(|service| {
            matches!(service.wire, Wire::Query { version, .. } | Wire::Ec2 { version }
                if route.version.as_deref() == Some(version))
        });
        return Some(by_version.unwrap_or(first));
    }
    services.iter().copied().find(|service| match service.wire {
        Wire::Json { target_prefix } => route.target.as_ref().is_some_and(|t| t.prefix == target_prefix),
        Wire::Query { version, .. } | Wire::Ec2 { version } => {
            route.target.is_none() && route.version.as_deref() == Some(version)
        }
        Wire::RestJson => false,
    })
}

/// An operation found for a request, with the labels its path template captured (REST protocols).
#[derive(Debug)]
pub(crate) struct Found {
    pub operation: &'static Operation,
    pub labels: Vec<(&'static str, String)>,
}

impl Service {
    /// The operation a request names: by `Action` or `X-Amz-Target` (whose prefix must be the service's), or for
    /// REST protocols by method and path. `Err` is the error to answer with: [`unknown_operation`], or for a REST
    /// path that is not percent-encoded properly `BadRequestException`.
    pub fn operation(&'static self, request: &Request<Bytes>, route: &Route) -> Result<Found, AwsError> {
        let name = match (self.wire, &route.target) {
            (Wire::RestJson, _) => return self.rest_operation(request),
            (Wire::Json { target_prefix }, Some(target)) if target.prefix == target_prefix => &target.operation,
            (Wire::Json { .. }, Some(target)) => {
                return Err(self.unknown(&format!("{}.{}", target.prefix, target.operation)));
            }
            (Wire::Json { .. }, None) => return Err(self.unknown("without an X-Amz-Target")),
            (Wire::Query { .. } | Wire::Ec2 { .. }, _) => route.action.as_ref().ok_or_else(|| {
                AwsError::bad_request("MissingAction", "The request must contain the parameter Action")
            })?,
        };
        match self.named(name) {
            Some(operation) => Ok(Found { operation, labels: Vec::new() }),
            None => Err(self.unknown(name)),
        }
    }

    fn named(&'static self, name: &str) -> Option<&'static Operation> {
        self.operations.iter().find(|operation| operation.name == name)
    }

    fn rest_operation(&'static self, request: &Request<Bytes>) -> Result<Found, AwsError> {
        let path = request.uri().path();
        let segments: Vec<String> = path
            .trim_start_matches('/')
            .split('/')
            .map(aws_protocol::decode_path_segment)
            .collect::<Option<_>>()
            .ok_or_else(|| {
                AwsError::bad_request("BadRequestException", format!("The request path {path} is not valid"))
            })?;
        self.operations
            .iter()
            .filter(|operation| operation.http.as_ref().is_some_and(|(method, _)| method == request.method()))
            .find_map(|operation| {
                let (_, template) = operation.http.as_ref()?;
                let labels = match_template(template, &segments)?;
                Some(Found { operation, labels })
            })
            .ok_or_else(|| self.unknown(&format!("{} {path}", request.method())))
    }

    fn unknown(&self, operation: &str) -> AwsError {
        unknown_operation(
            self.wire.protocol(),
            &format!("ekslite does not serve the {} operation {operation}", self.title),
        )
    }
}

/// The labels of a request path's segments (percent-decoded) if they fit `template`: literal segments must be
/// equal, and each `{label}` takes one segment.
pub(crate) fn match_template(template: &'static str, segments: &[String]) -> Option<Vec<(&'static str, String)>> {
    let parts: Vec<&'static str> = template.trim_start_matches('/').split('/').collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut labels = Vec::new();
    for (part, segment) in parts.into_iter().zip(segments) {
        match part.strip_prefix('{').and_then(|label| label.strip_suffix('}')) {
            Some(label) => labels.push((label, segment.clone())),
            None if part == segment => {}
            None => return None,
        }
    }
    Some(labels)
}

/// The error for an operation that is not served, as each protocol says it: `InvalidAction` (query, ec2),
/// `UnknownOperationException` (json, and rest-json with status 404), `NotImplemented` (rest-xml, as S3 says).
pub(crate) fn unknown_operation(protocol: Protocol, message: &str) -> AwsError {
    match protocol {
        Protocol::Query | Protocol::Ec2 => AwsError::bad_request("InvalidAction", message),
        Protocol::Json => AwsError::bad_request("UnknownOperationException", message),
        Protocol::RestJson => AwsError::new("UnknownOperationException", message, StatusCode::NOT_FOUND),
        Protocol::RestXml => AwsError::new("NotImplemented", message, StatusCode::NOT_IMPLEMENTED),
    }
}

/// The protocol a request speaks, from its headers and URL alone, before its service is known: `X-Amz-Target`
/// is `json`; a form, or a URL with an `Action` (a presigned query call such as an EKS token's), is `query`; the
/// rest is `rest-json`.
pub(crate) fn request_protocol(request: &Request<Bytes>) -> Protocol {
    let action_in_url = request.uri().query().is_some_and(|q| q.starts_with("Action=") || q.contains("&Action="));
    if request.headers().contains_key("x-amz-target") {
        Protocol::Json
    } else if aws_protocol::query::is_form(request.headers()) || action_in_url {
        Protocol::Query
    } else {
        Protocol::RestJson
    }
}

/// The protocol of a request's client when its service is not one of ours: [`request_protocol`], except that
/// REST requests signed for a `rest-xml` service (`aws s3 ls`) are answered in XML.
pub(crate) fn client_protocol(request: &Request<Bytes>, route: &Route) -> Protocol {
    match request_protocol(request) {
        Protocol::RestJson
            if route.signing_name.as_deref().is_some_and(|name| REST_XML_SIGNING_NAMES.contains(&name)) =>
        {
            Protocol::RestXml
        }
        protocol => protocol,
    }
}

/// The error for a request whose service is not served here: it names the service (its signing name, else what
/// the request shows of it) and the operation (by name, or as method and path), and lists what is served.
pub(crate) fn unknown_service(services: &[&Service], request: &Request<Bytes>, route: &Route) -> AwsError {
    let service = match (&route.signing_name, &route.target, &route.version) {
        (Some(name), _, _) => format!("the service '{name}'"),
        (None, Some(target), _) => format!("the service of X-Amz-Target prefix {}", target.prefix),
        (None, None, Some(version)) => format!("the service of API version {version}"),
        (None, None, None) => "this service".to_owned(),
    };
    let operation = match route.operation() {
        Some(name) => name.to_owned(),
        None => format!("{} {}", request.method(), request.uri().path()),
    };
    let mut served: Vec<&str> = Vec::new();
    for service in services {
        if !served.contains(&service.signing_name) {
            served.push(service.signing_name);
        }
    }
    let message = format!("ekslite does not serve {service} (operation {operation}); it serves {}", served.join(", "));
    unknown_operation(client_protocol(request, route), &message)
}

/// A model error as its service writes it on the wire. Each service module implements this for its model's
/// error enum; the message is the model's own.
pub(crate) trait WireError: std::fmt::Display {
    /// The error code (`NoSuchEntity`) and HTTP status the service answers this error with.
    fn code_and_status(&self) -> (&'static str, StatusCode);
}

/// The wire error for a model error: its code and status, and its message.
pub(crate) fn wire(error: impl WireError) -> AwsError {
    let (code, status) = error.code_and_status();
    AwsError::new(code, error.to_string(), status)
}

#[cfg(test)]
mod tests;

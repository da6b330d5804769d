//! A request as handlers see it: [`Call`] carries who calls, the service and operation the request was routed
//! to, its parameters and path labels, and writes the successful replies in the service's protocol.

use aws_model::eks::Caller;
use aws_model::policy::Principal;
use aws_protocol::xml::{XmlWriter, ec2_response, query_response, query_response_without_result};
use aws_protocol::{Protocol, QueryParams, RequestId};
use bytes::Bytes;
use http::{Request, StatusCode};
use serde_json::Value;

use crate::registry::{Operation, Outcome, Service, Wire};

/// A request as the handlers see it.
pub(crate) struct Call<'a> {
    pub request: &'a Request<Bytes>,
    /// The service the request was routed to.
    pub service: &'static Service,
    /// The operation the request names.
    pub operation: &'static Operation,
    /// What the labels of a REST operation's path template matched, percent-decoded, in template order.
    pub labels: Vec<(&'static str, String)>,
    pub caller: Caller,
    pub request_id: RequestId,
    /// Form and URL parameters (query, ec2), or the URL's query string (REST protocols).
    pub params: QueryParams,
    /// The caller's unique id as GetCallerIdentity reports it: the account for a root, `AIDA...` for a user,
    /// `AROA...:<session>` for a role session.
    pub user_id: String,
    /// The caller as policies see it.
    pub principal: Principal,
}

impl Call<'_> {
    /// The caller's account.
    pub fn account(&self) -> &str {
        &self.caller.account
    }

    /// The value of a `{label}` of the operation's path template; empty for a label the template does not have.
    pub fn label(&self, name: &str) -> &str {
        self.labels.iter().find(|(label, _)| *label == name).map_or("", |(_, value)| value.as_str())
    }

    /// A successful XML reply whose result `result` writes: `<{Operation}Response>` with `<{Operation}Result>`
    /// and `ResponseMetadata` in the service's namespace (query), or with `requestId` first (ec2).
    pub fn xml(&self, result: impl FnOnce(&mut XmlWriter)) -> Outcome {
        let name = self.operation.name;
        let (content_type, xml) = match self.service.wire {
            Wire::Ec2 { .. } => ("text/xml;charset=UTF-8", ec2_response(name, &self.request_id, result)),
            wire => ("text/xml", query_response(name, wire.namespace(), &self.request_id, result)),
        };
        Ok(aws_protocol::error::reply(StatusCode::OK, content_type, xml.into_bytes(), &self.request_id))
    }

    /// A successful query reply for an operation without output: only `ResponseMetadata`.
    pub fn xml_without_result(&self) -> Outcome {
        let xml = query_response_without_result(self.operation.name, self.service.wire.namespace(), &self.request_id);
        Ok(aws_protocol::error::reply(StatusCode::OK, "text/xml", xml.into_bytes(), &self.request_id))
    }

    /// A successful JSON reply (`json`, `rest-json`) with status 200, as `json` services answer.
    pub fn json(&self, body: &Value) -> Outcome {
        self.json_with_status(StatusCode::OK, body)
    }

    /// A JSON reply with this status, as rest-json operations that answer 201 or 202 need.
    pub fn json_with_status(&self, status: StatusCode, body: &Value) -> Outcome {
        let protocol = if matches!(self.service.wire, Wire::Json { .. }) { Protocol::Json } else { Protocol::RestJson };
        Ok(aws_protocol::json::response(protocol, status, body, &self.request_id))
    }
}

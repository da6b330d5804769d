//! STS over the `query` protocol. So far only GetCallerIdentity, which `aws sts get-caller-identity` and every
//! SDK's credential checks call.

use aws_protocol::xml::query_response;
use aws_protocol::{AwsError, RequestId};
use http::{Response, StatusCode};

use crate::{AwsApi, Call};

/// STS's XML namespace.
pub(crate) const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

pub(crate) async fn handle(_api: &AwsApi, call: &Call<'_>) -> Result<Response<Vec<u8>>, AwsError> {
    match call.route.operation() {
        Some("GetCallerIdentity") => Ok(get_caller_identity(call)),
        Some(other) => Err(AwsError::bad_request(
            "InvalidAction",
            format!("Could not find operation {other} for version 2011-06-15"),
        )),
        None => Err(AwsError::bad_request("MissingAction", "Missing Action")),
    }
}

fn get_caller_identity(call: &Call<'_>) -> Response<Vec<u8>> {
    let user_id = call.user_id.clone();
    let xml = query_response("GetCallerIdentity", NAMESPACE, &call.request_id, |xml| {
        xml.text("Arn", &call.caller.arn).text("UserId", &user_id).text("Account", &call.caller.account);
    });
    xml_reply(xml, &call.request_id)
}

pub(crate) fn xml_reply(xml: String, request_id: &RequestId) -> Response<Vec<u8>> {
    aws_protocol::error::reply(StatusCode::OK, "text/xml", xml.into_bytes(), request_id)
}

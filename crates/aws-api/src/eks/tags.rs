//! Tags on the wire: TagResource, UntagResource and ListTagsForResource on `/tags/{resourceArn}`.
//!
//! UntagResource's `tagKeys` repeats in the query string (`?tagKeys=a&tagKeys=b`).

use aws_protocol::AwsError;
use http::StatusCode;
use serde_json::{Value, json};

use super::{body_of, error, query_values};
use crate::{AwsApi, Call};

type Reply = Result<(StatusCode, Value), AwsError>;

fn bad_request(message: impl Into<String>) -> AwsError {
    AwsError::bad_request("BadRequestException", message)
}

pub(super) async fn tag(api: &AwsApi, call: &Call<'_>, arn: &str) -> Reply {
    let body = body_of(call)?;
    let tags = match body.get("tags") {
        Some(Value::Object(tags)) if !tags.is_empty() => tags
            .iter()
            .map(|(key, value)| {
                value.as_str().map(|v| (key.clone(), v.to_owned())).ok_or_else(|| bad_request("tags must map strings"))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(bad_request("tags is required and must not be empty")),
    };
    api.eks().tag_resource(&call.caller, arn, &tags).await.map_err(|e| error(e, ""))?;
    Ok((StatusCode::OK, json!({})))
}

pub(super) async fn untag(api: &AwsApi, call: &Call<'_>, arn: &str) -> Reply {
    let keys = query_values(call, "tagKeys");
    api.eks().untag_resource(&call.caller, arn, &keys).await.map_err(|e| error(e, ""))?;
    Ok((StatusCode::OK, json!({})))
}

pub(super) async fn list(api: &AwsApi, call: &Call<'_>, arn: &str) -> Reply {
    let tags = api.eks().list_tags_for_resource(&call.caller, arn).await.map_err(|e| error(e, ""))?;
    Ok((StatusCode::OK, json!({ "tags": tags })))
}

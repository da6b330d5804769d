//! SSM Parameter Store over the `json` protocol (`X-Amz-Target: AmazonSSM.<Operation>`): PutParameter,
//! GetParameter, GetParameters, GetParametersByPath, DeleteParameter, DeleteParameters, DescribeParameters,
//! GetParameterHistory, LabelParameterVersion and the tagging operations for parameters; hybrid activations and
//! managed instances ([`activations`]). Members of the wrong
//! JSON type are refused with `SerializationException`, as AWS's JSON services refuse them; every model error
//! is a 400 with SSM's code but a failing store (`InternalServerError`, 500).

use aws_model::ssm::{ByPath, Parameter, ParameterFilter, PutParameter, Ssm, SsmError};
use aws_protocol::AwsError;
use aws_protocol::timestamp::to_epoch_seconds;
use http::StatusCode;
use serde_json::{Value, json};

use crate::json_body::{JsonBody, serialization, strings_of};
use crate::registry::{Outcome, Service, Wire, WireError, operation, wire};
use crate::{AwsApi, Call};

mod activations;

/// SSM on the wire.
pub(crate) const SERVICE: Service = Service {
    signing_name: "ssm",
    model: "ssm",
    title: "SSM",
    wire: Wire::Json { target_prefix: "AmazonSSM" },
    operations: &[
        operation!("PutParameter", put_parameter),
        operation!("GetParameter", get_parameter),
        operation!("GetParameters", get_parameters),
        operation!("GetParametersByPath", get_parameters_by_path),
        operation!("DeleteParameter", delete_parameter),
        operation!("DeleteParameters", delete_parameters),
        operation!("DescribeParameters", describe_parameters),
        operation!("GetParameterHistory", get_parameter_history),
        operation!("LabelParameterVersion", label_parameter_version),
        operation!("AddTagsToResource", add_tags_to_resource),
        operation!("RemoveTagsFromResource", remove_tags_from_resource),
        operation!("ListTagsForResource", list_tags_for_resource),
        operation!("CreateActivation", activations::create_activation),
        operation!("DescribeActivations", activations::describe_activations),
        operation!("DeleteActivation", activations::delete_activation),
        operation!("DescribeInstanceInformation", activations::describe_instance_information),
        operation!("DeregisterManagedInstance", activations::deregister_managed_instance),
    ],
};

impl WireError for SsmError {
    fn code_and_status(&self) -> (&'static str, StatusCode) {
        let code = match self {
            SsmError::Validation(_) => "ValidationException",
            SsmError::AccessDenied(_) => "AccessDeniedException",
            SsmError::NotFound(_) => "ParameterNotFound",
            SsmError::AlreadyExists => "ParameterAlreadyExists",
            SsmError::LimitExceeded => "ParameterLimitExceeded",
            SsmError::HierarchyLevelLimitExceeded(_) => "HierarchyLevelLimitExceededException",
            SsmError::HierarchyTypeMismatch(_) => "HierarchyTypeMismatchException",
            SsmError::InvalidKeyId(_) => "InvalidKeyId",
            SsmError::VersionNotFound(_) => "ParameterVersionNotFound",
            SsmError::MaxVersionLimitExceeded(_) => "ParameterMaxVersionLimitExceeded",
            SsmError::PatternMismatch(_) => "ParameterPatternMismatchException",
            SsmError::InvalidAllowedPattern(_) => "InvalidAllowedPatternException",
            SsmError::UnsupportedParameterType(_) => "UnsupportedParameterType",
            SsmError::TooManyTags => "TooManyTagsError",
            SsmError::InvalidResourceId(_) => "InvalidResourceId",
            SsmError::InvalidResourceType(_) => "InvalidResourceType",
            SsmError::InvalidNextToken => "InvalidNextToken",
            SsmError::InvalidFilterKey(_) => "InvalidFilterKey",
            SsmError::InvalidFilterOption(_) => "InvalidFilterOption",
            SsmError::InvalidFilterValue(_) => "InvalidFilterValue",
            SsmError::LabelLimitExceeded => "ParameterVersionLabelLimitExceeded",
            SsmError::TooManyUpdates => "TooManyUpdates",
            SsmError::InvalidParameters(_) => "InvalidParameters",
            SsmError::InvalidActivationId(_) => "InvalidActivationId",
            SsmError::InvalidActivation(_) => "InvalidActivation",
            SsmError::InvalidInstanceId(_) => "InvalidInstanceId",
            SsmError::InvalidInstanceInformationFilterValue(_) => "InvalidInstanceInformationFilterValue",
            SsmError::Internal(_) => return ("InternalServerError", StatusCode::INTERNAL_SERVER_ERROR),
        };
        (code, StatusCode::BAD_REQUEST)
    }
}

/// The body of `call`, and the model an SSM call runs against.
fn ssm_and_body<'a>(api: &'a AwsApi, call: &Call<'_>) -> Result<(&'a Ssm, JsonBody), AwsError> {
    let ssm = api
        .ssm()
        .ok_or_else(|| AwsError::bad_request("UnknownOperationException", "SSM is not served by this endpoint"))?;
    Ok((ssm, JsonBody::of(call)?))
}

/// `Tags`: `[{"Key": ..., "Value": ...}]`.
fn tags(body: &JsonBody) -> Result<Vec<(String, String)>, AwsError> {
    body.objects("Tags")?
        .into_iter()
        .map(|tag| {
            let key = tag.get("Key").and_then(Value::as_str).ok_or_else(|| serialization("Tags.Key", "a string"))?;
            let value =
                tag.get("Value").and_then(Value::as_str).ok_or_else(|| serialization("Tags.Value", "a string"))?;
            Ok((key.to_owned(), value.to_owned()))
        })
        .collect()
}

/// `ParameterFilters` (`Key`, `Option`, `Values`) or the older `Filters` (`Key`, `Values`).
fn filters(body: &JsonBody, member: &str) -> Result<Vec<ParameterFilter>, AwsError> {
    body.objects(member)?
        .into_iter()
        .map(|filter| {
            let key = filter.get("Key").and_then(Value::as_str).ok_or_else(|| serialization("Key", "a string"))?;
            let option = match filter.get("Option") {
                None | Some(Value::Null) => None,
                Some(Value::String(option)) => Some(option.clone()),
                Some(_) => return Err(serialization("Option", "a string")),
            };
            Ok(ParameterFilter { key: key.to_owned(), option, values: strings_of(filter.get("Values"), "Values")? })
        })
        .collect()
}

fn seconds(at: i64) -> Value {
    let at = time::OffsetDateTime::from_unix_timestamp(at).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Value::Number(to_epoch_seconds(at))
}

/// A parameter as GetParameter and its kin answer it.
fn parameter_json(parameter: &Parameter) -> Value {
    let version = &parameter.version;
    let mut out = json!({
        "Name": parameter.name,
        "Type": version.kind.as_str(),
        "Value": parameter.value,
        "Version": version.version,
        "LastModifiedDate": seconds(version.last_modified),
        "ARN": parameter.arn,
        "DataType": version.data_type,
    });
    if let Some(selector) = &parameter.selector {
        out["Selector"] = json!(selector);
    }
    out
}

/// A parameter's metadata, as DescribeParameters answers it (no value).
fn metadata_json(parameter: &Parameter) -> Value {
    let version = &parameter.version;
    let mut out = json!({
        "Name": parameter.name,
        "ARN": parameter.arn,
        "Type": version.kind.as_str(),
        "LastModifiedDate": seconds(version.last_modified),
        "LastModifiedUser": version.last_modified_user,
        "Version": version.version,
        "Tier": version.tier.as_str(),
        "Policies": [],
        "DataType": version.data_type,
    });
    for (member, value) in [
        ("KeyId", &version.key_id),
        ("Description", &version.description),
        ("AllowedPattern", &version.allowed_pattern),
    ] {
        if let Some(value) = value {
            out[member] = json!(value);
        }
    }
    out
}

/// One version, as GetParameterHistory answers it.
fn history_json(parameter: &Parameter) -> Value {
    let mut out = metadata_json(parameter);
    out["Value"] = json!(parameter.value);
    out["Labels"] = json!(parameter.version.labels);
    out.as_object_mut().expect("an object").remove("ARN");
    out
}

fn with_token(mut body: Value, token: Option<String>) -> Value {
    if let Some(token) = token {
        body["NextToken"] = json!(token);
    }
    body
}

async fn put_parameter(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    let input = PutParameter {
        name: body.required("Name")?,
        value: body.required("Value")?,
        kind: body.string("Type")?,
        key_id: body.string("KeyId")?,
        overwrite: body.boolean("Overwrite")?,
        description: body.string("Description")?,
        allowed_pattern: body.string("AllowedPattern")?,
        tags: tags(&body)?,
        tier: body.string("Tier")?,
        data_type: body.string("DataType")?,
        policies: body.string("Policies")?,
    };
    let (version, tier) = ssm.put_parameter(&call.caller, &input).await.map_err(wire)?;
    call.json(&json!({ "Version": version, "Tier": tier.as_str() }))
}

async fn get_parameter(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    let name = body.required("Name")?;
    let parameter = ssm.get_parameter(&call.caller, &name, body.boolean("WithDecryption")?).await.map_err(wire)?;
    call.json(&json!({ "Parameter": parameter_json(&parameter) }))
}

async fn get_parameters(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    let names = body.strings("Names")?;
    let (found, invalid) =
        ssm.get_parameters(&call.caller, &names, body.boolean("WithDecryption")?).await.map_err(wire)?;
    call.json(&json!({
        "Parameters": found.iter().map(parameter_json).collect::<Vec<_>>(),
        "InvalidParameters": invalid,
    }))
}

async fn get_parameters_by_path(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    let query = ByPath {
        path: body.required("Path")?,
        recursive: body.boolean("Recursive")?,
        filters: filters(&body, "ParameterFilters")?,
        decrypt: body.boolean("WithDecryption")?,
        max: body.integer("MaxResults")?,
        token: body.string("NextToken")?,
    };
    let (found, token) = ssm.get_parameters_by_path(&call.caller, &query).await.map_err(wire)?;
    call.json(&with_token(json!({ "Parameters": found.iter().map(parameter_json).collect::<Vec<_>>() }), token))
}

async fn delete_parameter(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    ssm.delete_parameter(&call.caller, &body.required("Name")?).await.map_err(wire)?;
    call.json(&json!({}))
}

async fn delete_parameters(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    let (deleted, invalid) = ssm.delete_parameters(&call.caller, &body.strings("Names")?).await.map_err(wire)?;
    call.json(&json!({ "DeletedParameters": deleted, "InvalidParameters": invalid }))
}

async fn describe_parameters(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    let (old, filters) = (filters(&body, "Filters")?, filters(&body, "ParameterFilters")?);
    let (max, token) = (body.integer("MaxResults")?, body.string("NextToken")?);
    let (found, token) =
        ssm.describe_parameters(&call.caller, &old, &filters, max, token.as_deref()).await.map_err(wire)?;
    call.json(&with_token(json!({ "Parameters": found.iter().map(metadata_json).collect::<Vec<_>>() }), token))
}

async fn get_parameter_history(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    let name = body.required("Name")?;
    let (max, token) = (body.integer("MaxResults")?, body.string("NextToken")?);
    let decrypt = body.boolean("WithDecryption")?;
    let (versions, token) =
        ssm.get_parameter_history(&call.caller, &name, decrypt, max, token.as_deref()).await.map_err(wire)?;
    call.json(&with_token(json!({ "Parameters": versions.iter().map(history_json).collect::<Vec<_>>() }), token))
}

async fn label_parameter_version(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    let name = body.required("Name")?;
    let version = body.integer("ParameterVersion")?;
    let (invalid, version) =
        ssm.label_parameter_version(&call.caller, &name, version, &body.strings("Labels")?).await.map_err(wire)?;
    call.json(&json!({ "InvalidLabels": invalid, "ParameterVersion": version }))
}

async fn add_tags_to_resource(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    let (kind, id) = (body.required("ResourceType")?, body.required("ResourceId")?);
    ssm.add_tags(&call.caller, &kind, &id, &tags(&body)?).await.map_err(wire)?;
    call.json(&json!({}))
}

async fn remove_tags_from_resource(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    let (kind, id) = (body.required("ResourceType")?, body.required("ResourceId")?);
    ssm.remove_tags(&call.caller, &kind, &id, &body.strings("TagKeys")?).await.map_err(wire)?;
    call.json(&json!({}))
}

async fn list_tags_for_resource(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    let (kind, id) = (body.required("ResourceType")?, body.required("ResourceId")?);
    let tags = ssm.list_tags(&call.caller, &kind, &id).await.map_err(wire)?;
    let list: Vec<Value> = tags.into_iter().map(|(key, value)| json!({ "Key": key, "Value": value })).collect();
    call.json(&json!({ "TagList": list }))
}

#[cfg(test)]
mod tests;

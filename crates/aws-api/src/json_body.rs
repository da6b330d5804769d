//! The members of a `json`-protocol request body, read with the types the service model gives them: a member of
//! the wrong JSON type is a `SerializationException` and a missing required member the model's
//! `ValidationException`, as AWS's JSON services answer. One reader for every `json` service (SSM, Service
//! Quotas, ...).

use aws_protocol::AwsError;
use serde_json::{Map, Value};

use crate::Call;

/// A request body's members.
pub(crate) struct JsonBody(Map<String, Value>);

/// The error for a member of the wrong type.
pub(crate) fn serialization(member: &str, expected: &str) -> AwsError {
    AwsError::bad_request("SerializationException", format!("Member {member} must be {expected}."))
}

/// A list of strings, or none.
pub(crate) fn strings_of(value: Option<&Value>, member: &str) -> Result<Vec<String>, AwsError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(|| serialization(member, "a list of strings")))
            .collect(),
        Some(_) => Err(serialization(member, "a list")),
    }
}

fn lower_first(member: &str) -> String {
    let mut chars = member.chars();
    chars.next().map(|first| first.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

impl JsonBody {
    /// The body of `call`; malformed JSON is the protocol's own error.
    pub(crate) fn of(call: &Call<'_>) -> Result<JsonBody, AwsError> {
        let members = aws_protocol::json::parse_body(call.request.body()).map_err(|error| error.to_aws_error())?;
        Ok(JsonBody(members))
    }

    /// Every member, for shapes the typed readers do not cover.
    pub(crate) fn members(&self) -> &Map<String, Value> {
        &self.0
    }

    pub(crate) fn string(&self, member: &str) -> Result<Option<String>, AwsError> {
        match self.0.get(member) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(serialization(member, "a string")),
        }
    }

    /// A member the model marks required: absent is the model's validation error.
    pub(crate) fn required(&self, member: &str) -> Result<String, AwsError> {
        self.string(member)?.ok_or_else(|| missing(member))
    }

    pub(crate) fn boolean(&self, member: &str) -> Result<bool, AwsError> {
        match self.0.get(member) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(value)) => Ok(*value),
            Some(_) => Err(serialization(member, "a boolean")),
        }
    }

    pub(crate) fn integer(&self, member: &str) -> Result<Option<i64>, AwsError> {
        match self.0.get(member) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) => number.as_i64().map(Some).ok_or_else(|| serialization(member, "an integer")),
            Some(_) => Err(serialization(member, "an integer")),
        }
    }

    /// A `double` member.
    pub(crate) fn number(&self, member: &str) -> Result<Option<f64>, AwsError> {
        match self.0.get(member) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) => number.as_f64().map(Some).ok_or_else(|| serialization(member, "a number")),
            Some(_) => Err(serialization(member, "a number")),
        }
    }

    pub(crate) fn strings(&self, member: &str) -> Result<Vec<String>, AwsError> {
        strings_of(self.0.get(member), member)
    }

    pub(crate) fn objects(&self, member: &str) -> Result<Vec<&Map<String, Value>>, AwsError> {
        match self.0.get(member) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_object().ok_or_else(|| serialization(member, "a list of structures")))
                .collect(),
            Some(_) => Err(serialization(member, "a list")),
        }
    }
}

/// The model's error for a required member that is absent.
pub(crate) fn missing(member: &str) -> AwsError {
    let field = lower_first(member);
    AwsError::bad_request(
        "ValidationException",
        format!(
            "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
        ),
    )
}

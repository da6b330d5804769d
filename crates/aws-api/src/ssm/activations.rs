//! Systems Manager hybrid activations and managed instances on the wire: CreateActivation (the role must exist
//! and trust `ssm.amazonaws.com`, as AWS checks), DescribeActivations, DeleteActivation,
//! DescribeInstanceInformation and DeregisterManagedInstance.

use aws_model::ssm::SsmError;
use aws_model::ssm::activations::{Activation, ActivationFilter, CreateActivation, InstanceFilter, ManagedInstance};
use serde_json::{Value, json};

use super::{seconds, ssm_and_body, tags, with_token};
use crate::json_body::{serialization, strings_of};
use crate::registry::{Outcome, wire};
use crate::{AwsApi, Call};

pub(super) async fn create_activation(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    let expiration = body.number("ExpirationDate")?.map(|at| at.floor() as i64);
    let input = CreateActivation {
        iam_role: body.required("IamRole")?,
        description: body.string("Description")?,
        default_instance_name: body.string("DefaultInstanceName")?,
        registration_limit: body.integer("RegistrationLimit")?,
        expiration,
        tags: tags(&body)?,
    };
    // The role is looked up by name alone: an IamRole names no path.
    let trusted = match api.iam().get_role(&call.caller.account, &input.iam_role).await {
        Ok(role) => role.trusts_service("ssm.amazonaws.com"),
        Err(_) => false,
    };
    if !trusted && !input.iam_role.is_empty() && input.iam_role.chars().count() <= 64 {
        let arn = format!("arn:aws:iam::{}:role/{}", call.caller.account, input.iam_role);
        return Err(wire(SsmError::InvalidParameters(format!(
            "Nonexistent role or missing ssm service principal in trust policy: {arn}"
        ))));
    }
    let activation = ssm.create_activation(&call.caller, &input).await.map_err(wire)?;
    call.json(&json!({ "ActivationId": activation.id, "ActivationCode": activation.code }))
}

fn activation_json(activation: &Activation, now: i64) -> Value {
    let mut out = json!({
        "ActivationId": activation.id,
        "IamRole": activation.iam_role,
        "RegistrationLimit": activation.registration_limit,
        "RegistrationsCount": activation.registrations,
        "ExpirationDate": seconds(activation.expiration),
        "Expired": activation.expired(now),
        "CreatedDate": seconds(activation.created),
        "Tags": activation.tags.iter().map(|(key, value)| json!({ "Key": key, "Value": value })).collect::<Vec<_>>(),
    });
    if let Some(description) = &activation.description {
        out["Description"] = json!(description);
    }
    if let Some(name) = &activation.default_instance_name {
        out["DefaultInstanceName"] = json!(name);
    }
    out
}

pub(super) async fn describe_activations(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    let filters = body
        .objects("Filters")?
        .into_iter()
        .map(|filter| {
            let key = match filter.get("FilterKey") {
                Some(Value::String(key)) => key.clone(),
                None | Some(Value::Null) => String::new(),
                Some(_) => return Err(serialization("FilterKey", "a string")),
            };
            Ok(ActivationFilter { key, values: strings_of(filter.get("FilterValues"), "FilterValues")? })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (max, token) = (body.integer("MaxResults")?, body.string("NextToken")?);
    let (found, token) = ssm.describe_activations(&call.caller, &filters, max, token.as_deref()).await.map_err(wire)?;
    let now = ssm.now_seconds();
    let list: Vec<Value> = found.iter().map(|activation| activation_json(activation, now)).collect();
    call.json(&with_token(json!({ "ActivationList": list }), token))
}

pub(super) async fn delete_activation(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    ssm.delete_activation(&call.caller, &body.required("ActivationId")?).await.map_err(wire)?;
    call.json(&json!({}))
}

fn instance_json(instance: &ManagedInstance, now: i64) -> Value {
    let mut out = json!({
        "InstanceId": instance.id,
        "PingStatus": "Online",
        "LastPingDateTime": seconds(now),
        "AgentVersion": "3.3.1957.0",
        "IsLatestVersion": true,
        "PlatformType": "Linux",
        "PlatformName": "Amazon Linux",
        "PlatformVersion": "2023",
        "ActivationId": instance.activation_id,
        "IamRole": instance.iam_role,
        "RegistrationDate": seconds(instance.registered),
        "ResourceType": "ManagedInstance",
        "IPAddress": instance.ip_address,
        "ComputerName": instance.computer_name,
        "SourceId": instance.id,
        "SourceType": "AWS::SSM::ManagedInstance",
    });
    if let Some(name) = &instance.name {
        out["Name"] = json!(name);
    }
    out
}

pub(super) async fn describe_instance_information(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    let mut filters = Vec::new();
    // The older list spells its members `key` and `valueSet`; the newer `Key` and `Values`.
    for (list, key_member, values_member) in
        [("InstanceInformationFilterList", "key", "valueSet"), ("Filters", "Key", "Values")]
    {
        for filter in body.objects(list)? {
            let key = match filter.get(key_member) {
                Some(Value::String(key)) => key.clone(),
                _ => return Err(serialization(key_member, "a string")),
            };
            filters.push(InstanceFilter { key, values: strings_of(filter.get(values_member), values_member)? });
        }
    }
    let (max, token) = (body.integer("MaxResults")?, body.string("NextToken")?);
    let (found, token) =
        ssm.describe_instance_information(&call.caller, &filters, max, token.as_deref()).await.map_err(wire)?;
    let now = ssm.now_seconds();
    let list: Vec<Value> = found.iter().map(|instance| instance_json(instance, now)).collect();
    call.json(&with_token(json!({ "InstanceInformationList": list }), token))
}

pub(super) async fn deregister_managed_instance(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ssm, body) = ssm_and_body(api, call)?;
    ssm.deregister_managed_instance(&call.caller, &body.required("InstanceId")?).await.map_err(wire)?;
    call.json(&json!({}))
}

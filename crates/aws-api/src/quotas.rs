//! Service Quotas over the `json` protocol (`X-Amz-Target: ServiceQuotasV20190624.<Operation>`): the quotas
//! ekslite enforces, their AWS defaults and applied values, and increase requests, approved at once.

use aws_model::quotas::{AppliedQuota, QuotaInfo, Quotas, QuotasError, RequestedChange, quota_of};
use aws_protocol::AwsError;
use http::StatusCode;
use serde_json::{Value, json};

use crate::json_body::{JsonBody, missing};
use crate::registry::{Outcome, Service, Wire, WireError, operation, wire};
use crate::{AwsApi, Call};

/// Service Quotas on the wire.
pub(crate) const SERVICE: Service = Service {
    signing_name: "servicequotas",
    model: "service-quotas",
    title: "Service Quotas",
    wire: Wire::Json { target_prefix: "ServiceQuotasV20190624" },
    operations: &[
        operation!("ListServices", list_services),
        operation!("ListServiceQuotas", list_service_quotas),
        operation!("GetServiceQuota", get_service_quota),
        operation!("ListAWSDefaultServiceQuotas", list_default_service_quotas),
        operation!("GetAWSDefaultServiceQuota", get_default_service_quota),
        operation!("RequestServiceQuotaIncrease", request_service_quota_increase),
        operation!("GetRequestedServiceQuotaChange", get_requested_change),
        operation!("ListRequestedServiceQuotaChangeHistory", list_history),
        operation!("ListRequestedServiceQuotaChangeHistoryByQuota", list_history_by_quota),
    ],
};

impl WireError for QuotasError {
    fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            QuotasError::NoSuchResource(_) => ("NoSuchResourceException", StatusCode::BAD_REQUEST),
            QuotasError::IllegalArgument(_) => ("IllegalArgumentException", StatusCode::BAD_REQUEST),
            QuotasError::QuotaExceeded(_) => ("QuotaExceededException", StatusCode::BAD_REQUEST),
            QuotasError::InvalidPaginationToken(_) => ("InvalidPaginationTokenException", StatusCode::BAD_REQUEST),
            QuotasError::Service(_) => ("ServiceException", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

/// The model, and the body of `call`.
fn quotas_and_body<'a>(api: &'a AwsApi, call: &Call<'_>) -> Result<(&'a Quotas, JsonBody), AwsError> {
    let quotas = api.quotas().ok_or_else(|| {
        AwsError::bad_request("UnknownOperationException", "Service Quotas is not served by this endpoint")
    })?;
    Ok((quotas, JsonBody::of(call)?))
}

/// `ServiceCode` and `QuotaCode`, both required.
fn codes(body: &JsonBody) -> Result<(String, String), AwsError> {
    Ok((body.required("ServiceCode")?, body.required("QuotaCode")?))
}

/// A list reply: the items under `member`, and `NextToken` when there is more.
fn page_json(member: &str, items: Vec<Value>, token: Option<String>) -> Value {
    let mut reply = json!({ member: items });
    if let Some(token) = token {
        reply["NextToken"] = json!(token);
    }
    reply
}

fn quota_json(call: &Call<'_>, info: &QuotaInfo, value: f64) -> Value {
    json!({
        "ServiceCode": info.service_code,
        "ServiceName": info.service_name,
        "QuotaArn": format!(
            "arn:aws:servicequotas:{}:{}:{}/{}",
            call.caller.region, call.caller.account, info.service_code, info.code
        ),
        "QuotaCode": info.code,
        "QuotaName": info.name,
        "Value": value,
        "Unit": "None",
        "Adjustable": info.adjustable,
        "GlobalQuota": false,
        "QuotaAppliedAtLevel": "ACCOUNT",
        "Description": info.description,
    })
}

fn applied_json(call: &Call<'_>, quota: &AppliedQuota) -> Value {
    quota_json(call, quota.info, quota.value)
}

fn request_json(call: &Call<'_>, request: &RequestedChange) -> Value {
    let info = quota_of(request);
    json!({
        "Id": request.id,
        "RequestType": "AutomaticManagement",
        "ServiceCode": request.service_code,
        "ServiceName": info.map_or("", |info| info.service_name),
        "QuotaCode": request.quota_code,
        "QuotaName": info.map_or("", |info| info.name),
        "DesiredValue": request.desired_value,
        "Status": request.status,
        "Created": request.created,
        "LastUpdated": request.last_updated,
        "Requester": request.requester,
        "QuotaArn": format!(
            "arn:aws:servicequotas:{}:{}:{}/{}",
            call.caller.region, call.caller.account, request.service_code, request.quota_code
        ),
        "GlobalQuota": false,
        "Unit": "None",
        "QuotaRequestedAtLevel": "ACCOUNT",
    })
}

async fn list_services(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (quotas, body) = quotas_and_body(api, call)?;
    let (services, token) =
        quotas.list_services(body.integer("MaxResults")?, body.string("NextToken")?.as_deref()).map_err(wire)?;
    let items = services.iter().map(|(code, name)| json!({ "ServiceCode": code, "ServiceName": name })).collect();
    call.json(&page_json("Services", items, token))
}

async fn list_service_quotas(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (quotas, body) = quotas_and_body(api, call)?;
    let service = body.required("ServiceCode")?;
    let code = body.string("QuotaCode")?;
    let (listed, token) = quotas
        .list(
            &call.caller,
            &service,
            code.as_deref(),
            body.integer("MaxResults")?,
            body.string("NextToken")?.as_deref(),
        )
        .await
        .map_err(wire)?;
    let items = listed.iter().map(|quota| applied_json(call, quota)).collect();
    call.json(&page_json("Quotas", items, token))
}

async fn get_service_quota(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (quotas, body) = quotas_and_body(api, call)?;
    let (service, code) = codes(&body)?;
    let quota = quotas.get(&call.caller, &service, &code).await.map_err(wire)?;
    call.json(&json!({ "Quota": applied_json(call, &quota) }))
}

async fn list_default_service_quotas(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (quotas, body) = quotas_and_body(api, call)?;
    let service = body.required("ServiceCode")?;
    let (listed, token) = quotas
        .list_defaults(&service, body.integer("MaxResults")?, body.string("NextToken")?.as_deref())
        .map_err(wire)?;
    let items = listed.iter().map(|info| quota_json(call, info, info.default)).collect();
    call.json(&page_json("Quotas", items, token))
}

async fn get_default_service_quota(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (quotas, body) = quotas_and_body(api, call)?;
    let (service, code) = codes(&body)?;
    let info = quotas.get_default(&service, &code).map_err(wire)?;
    call.json(&json!({ "Quota": quota_json(call, info, info.default) }))
}

async fn request_service_quota_increase(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (quotas, body) = quotas_and_body(api, call)?;
    let (service, code) = codes(&body)?;
    let desired = body.number("DesiredValue")?.ok_or_else(|| missing("DesiredValue"))?;
    let request = quotas.request_increase(&call.caller, &service, &code, desired).await.map_err(wire)?;
    call.json(&json!({ "RequestedQuota": request_json(call, &request) }))
}

async fn get_requested_change(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (quotas, body) = quotas_and_body(api, call)?;
    let id = body.required("RequestId")?;
    let request = quotas.get_request(&call.caller, &id).await.map_err(wire)?;
    call.json(&json!({ "RequestedQuota": request_json(call, &request) }))
}

async fn history(api: &AwsApi, call: &Call<'_>, by_quota: bool) -> Outcome {
    let (quotas, body) = quotas_and_body(api, call)?;
    let (service, code) = if by_quota {
        let (service, code) = codes(&body)?;
        (Some(service), Some(code))
    } else {
        (body.string("ServiceCode")?, None)
    };
    let (requests, token) = quotas
        .history(
            &call.caller,
            service.as_deref(),
            code.as_deref(),
            body.string("Status")?.as_deref(),
            body.integer("MaxResults")?,
            body.string("NextToken")?.as_deref(),
        )
        .await
        .map_err(wire)?;
    let items = requests.iter().map(|request| request_json(call, request)).collect();
    call.json(&page_json("RequestedQuotas", items, token))
}

async fn list_history(api: &AwsApi, call: &Call<'_>) -> Outcome {
    history(api, call, false).await
}

async fn list_history_by_quota(api: &AwsApi, call: &Call<'_>) -> Outcome {
    history(api, call, true).await
}

//! The AWS endpoint (`http://127.0.0.1:4566` by default): every request is read with `aws-protocol` (signature,
//! service, parameters), run against the `aws-model` services, and answered in the shape its service's protocol
//! uses, errors included. This is the only crate that knows AWS wire shapes; the HTTP server is the binary's.
//!
//! Authentication: a request signed with an access key that IAM issued is checked as AWS checks it (the key must
//! be active and the signature must match its secret) and acts as the key's user; one signed with temporary
//! credentials STS issued (`ASIA...`) must carry their session token, is refused once they expire, and acts as
//! the session (an assumed role, or the user of GetSessionToken). Any other key, `ASIA` keys STS never issued
//! included, is accepted in the open mode of the design: its account is the key id when that is 12 digits, else
//! `000000000000`, and it acts as that account's root. Signatures are parsed (a malformed one is refused as AWS
//! refuses it). Only STS's AssumeRoleWithWebIdentity is served unsigned, as its model says.

mod autoscaling;
mod ec2;
mod eks;
mod iam;
mod sts;
mod token;

use std::sync::Arc;

use aws_model::clock::Clock;
use aws_model::eks::{Caller, Eks};
use aws_model::iam::Iam;
use aws_model::policy::Principal;
use aws_model::sts::{OidcKeys, Sts};
use aws_protocol::{Account, AwsError, Protocol, QueryParams, RequestId, Route, SignedRequest};
use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};

pub use token::TokenUser;

/// The services behind the endpoint.
#[derive(Debug, Clone)]
pub struct AwsApi {
    eks: Eks,
    iam: Iam,
    ec2: Option<aws_model::ec2::Ec2>,
    sts: Sts,
    autoscaling: Option<aws_model::autoscaling::AutoScaling>,
    clock: Arc<dyn Clock>,
}

/// A request as the handlers see it.
pub(crate) struct Call<'a> {
    pub request: &'a Request<Bytes>,
    pub caller: Caller,
    pub request_id: RequestId,
    pub params: QueryParams,
    pub route: Route,
    /// The caller's unique id as GetCallerIdentity reports it: the account for a root, `AIDA...` for a user,
    /// `AROA...:<session>` for a role session.
    pub user_id: String,
    /// The caller as policies see it.
    pub principal: Principal,
}

impl AwsApi {
    pub fn new(eks: Eks, iam: Iam, clock: Arc<dyn Clock>) -> AwsApi {
        AwsApi { eks, sts: Sts::new(iam.clone()), iam, ec2: None, autoscaling: None, clock }
    }

    /// Checks web identity tokens with the keys of the OpenID Connect issuers this server serves.
    pub fn with_oidc_keys(self, keys: Arc<dyn OidcKeys>) -> AwsApi {
        AwsApi { sts: self.sts.clone().with_oidc_keys(keys), ..self }
    }

    /// Serves EC2 networking too.
    pub fn with_ec2(self, ec2: aws_model::ec2::Ec2) -> AwsApi {
        AwsApi { ec2: Some(ec2), ..self }
    }

    /// Serves Auto Scaling (the groups of managed node groups) and the instances they launch.
    pub fn with_autoscaling(self, autoscaling: aws_model::autoscaling::AutoScaling) -> AwsApi {
        AwsApi { autoscaling: Some(autoscaling), ..self }
    }

    /// Answers one request; never fails: every failure is an AWS error reply.
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Vec<u8>> {
        let request_id = RequestId::new();
        let protocol = guess_protocol(request.headers());
        let call = match self.read(&request, request_id.clone()).await {
            Ok(call) => call,
            Err((protocol, error)) => return render_error(protocol, "", &error, &request_id),
        };
        let service = call.route.service().unwrap_or_default().to_owned();
        let operation = call.route.operation().unwrap_or_default().to_owned();
        let response = match service.as_str() {
            "eks" => {
                let response = eks::handle(self, &call)
                    .await
                    .unwrap_or_else(|error| render_error(Protocol::RestJson, "", &error, &request_id));
                if changes_nodegroups(call.request) {
                    self.follow_nodegroups(&call.caller).await;
                }
                response
            }
            "iam" => iam::handle(self, &call)
                .await
                .unwrap_or_else(|error| render_error(Protocol::Query, iam::NAMESPACE, &error, &request_id)),
            "ec2" => {
                ec2::handle(self, &call).await.unwrap_or_else(|e| render_error(Protocol::Ec2, "", &e, &request_id))
            }
            "autoscaling" => autoscaling::handle(self, &call)
                .await
                .unwrap_or_else(|error| render_error(Protocol::Query, autoscaling::NAMESPACE, &error, &request_id)),
            "sts" => sts::handle(self, &call)
                .await
                .unwrap_or_else(|error| render_error(Protocol::Query, sts::NAMESPACE, &error, &request_id)),
            _ => {
                let error = match protocol {
                    Protocol::Query | Protocol::Ec2 => AwsError::bad_request(
                        "InvalidAction",
                        format!("The action {operation} is not valid for this web service."),
                    ),
                    _ => AwsError::new(
                        "UnknownOperationException",
                        format!("ekslite does not serve the service '{service}'"),
                        StatusCode::BAD_REQUEST,
                    ),
                };
                render_error(protocol, "", &error, &request_id)
            }
        };
        tracing::debug!(%service, %operation, status = response.status().as_u16(), "aws request");
        response
    }

    /// Signature, route and caller of a request.
    async fn read<'a>(
        &self,
        request: &'a Request<Bytes>,
        request_id: RequestId,
    ) -> Result<Call<'a>, (Protocol, AwsError)> {
        let protocol = match guess_protocol(request.headers()) {
            // A presigned query-protocol call (STS, IAM) carries its action in the URL and has no form body.
            Protocol::RestJson
                if request.uri().query().is_some_and(|q| q.starts_with("Action=") || q.contains("&Action=")) =>
            {
                Protocol::Query
            }
            protocol => protocol,
        };
        let signed = if is_signed(request) {
            let signed =
                SignedRequest::from_request(request).map_err(|error| (protocol, error.to_aws_error(protocol)))?;
            Some(signed)
        } else {
            None
        };
        let params = if matches!(protocol, Protocol::Query | Protocol::Ec2) {
            QueryParams::from_request(request.uri(), request.headers(), request.body())
        } else {
            QueryParams::parse(eks::first_values(request.uri().query().unwrap_or_default()).as_bytes())
        }
        .map_err(|error| (protocol, error.to_aws_error(protocol)))?;
        let route = Route::new(signed.as_ref(), request.headers(), &params)
            .map_err(|error| (protocol, AwsError::bad_request("InvalidParameterValue", error.to_string())))?;
        let Some(signed) = signed else {
            if route.service().is_none() && route.operation().is_none() {
                // Neither signed nor shaped like any AWS call: a plain HTTP request for a route that is not here.
                let error = AwsError::new("NotFound", "ekslite serves no such route", StatusCode::NOT_FOUND);
                return Err((Protocol::RestJson, error));
            }
            // Only operations the models mark as unsigned may come without a signature.
            if sts::is_unsigned(&route) {
                let caller = Caller { arn: String::new(), account: String::new(), region: route.region.clone() };
                let principal = Principal::federated("");
                return Ok(Call { request, caller, request_id, params, route, user_id: String::new(), principal });
            }
            let error = aws_protocol::AuthError::MissingAuthentication.to_aws_error(protocol);
            return Err((protocol, error));
        };
        let known =
            sts::authenticate(self, &signed, self.now()).await.map_err(|e| (protocol, e.to_aws_error(protocol)))?;
        let (account, arn, user_id, principal) = match known {
            Some(known) => (known.account, known.arn, known.user_id, known.principal),
            None => {
                let account = Account::from_access_key_id(signed.access_key_id()).id().to_owned();
                let principal = Principal::root(&account);
                (account.clone(), format!("arn:aws:iam::{account}:root"), account, principal)
            }
        };
        let caller = Caller { arn, account, region: route.region.clone() };
        Ok(Call { request, caller, request_id, params, route, user_id, principal })
    }

    pub(crate) fn eks(&self) -> &Eks {
        &self.eks
    }

    pub(crate) fn iam(&self) -> &Iam {
        &self.iam
    }

    pub(crate) fn sts(&self) -> &Sts {
        &self.sts
    }

    pub(crate) fn ec2(&self) -> Option<&aws_model::ec2::Ec2> {
        self.ec2.as_ref()
    }

    /// Lets the Auto Scaling groups catch up with node groups an EKS call may have created, resized or deleted,
    /// so that their instances exist (or are gone) without waiting for the next read.
    async fn follow_nodegroups(&self, caller: &Caller) {
        if let Some(autoscaling) = &self.autoscaling
            && let Err(error) = autoscaling.sync(caller).await
        {
            tracing::warn!(%error, "reconciling Auto Scaling groups failed");
        }
    }

    pub(crate) fn autoscaling(&self) -> Option<&aws_model::autoscaling::AutoScaling> {
        self.autoscaling.as_ref()
    }

    pub(crate) fn now(&self) -> f64 {
        self.clock.now()
    }
}

/// Whether an EKS request may create or resize node groups (reads and other resources do not; a deleted node
/// group's instances are terminated in the background, by EKS's reconciler).
fn changes_nodegroups(request: &Request<Bytes>) -> bool {
    let method = request.method();
    method != http::Method::GET && method != http::Method::DELETE && request.uri().path().contains("/node-groups")
}

fn is_signed(request: &Request<Bytes>) -> bool {
    request.headers().contains_key(http::header::AUTHORIZATION)
        || request
            .uri()
            .query()
            .is_some_and(|query| query.contains("X-Amz-Signature") || query.contains("X-Amz-Credential"))
}

/// The protocol a request speaks, from its headers alone: used before the service is known.
fn guess_protocol(headers: &HeaderMap) -> Protocol {
    if headers.contains_key("x-amz-target") {
        Protocol::Json
    } else if aws_protocol::query::is_form(headers) {
        Protocol::Query
    } else {
        Protocol::RestJson
    }
}

pub(crate) fn render_error(
    protocol: Protocol,
    namespace: &str,
    error: &AwsError,
    request_id: &RequestId,
) -> Response<Vec<u8>> {
    error.to_response(protocol, namespace, request_id)
}

#[cfg(test)]
mod tests;

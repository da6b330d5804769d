//! The AWS endpoint (`http://127.0.0.1:4566` by default): every request is read with `aws-protocol` (signature,
//! route, parameters), dispatched through the registry of services (`registry.rs`: each service module declares
//! its signing name, protocol and operation table), run against the `aws-model` services, and answered in the
//! shape its service's protocol uses, errors included. This is the only crate that knows AWS wire shapes; the
//! HTTP server is the binary's.
//!
//! Authentication: a request signed with an access key that IAM issued is checked as AWS checks it (the key must
//! be active and the signature must match its secret) and acts as the key's user; one signed with temporary
//! credentials STS issued (`ASIA...`) must carry their session token, is refused once they expire, and acts as
//! the session (an assumed role, or the user of GetSessionToken). Any other key, `ASIA` keys STS never issued
//! included, is accepted in the open mode of the design: its account is the key id when that is 12 digits, else
//! `000000000000`, and it acts as that account's root. Signatures are parsed (a malformed one is refused as AWS
//! refuses it). Only operations their table marks unsigned (STS's AssumeRoleWithWebIdentity, as its model says)
//! are served without a signature.

mod autoscaling;
mod call;
mod ec2;
mod efs;
mod eks;
mod eks_auth;
mod elb;
mod elbv2;
mod iam;
mod json_body;
mod quotas;
mod registry;
mod ssm;
mod sts;
mod token;

use std::sync::Arc;

use aws_model::clock::Clock;
use aws_model::eks::{Caller, Eks};
use aws_model::iam::Iam;
use aws_model::policy::Principal;
use aws_model::sts::{OidcKeys, Sts};
use aws_protocol::{Account, AuthError, AwsError, Protocol, QueryParams, RequestId, Route, SignedRequest};
use bytes::Bytes;
use http::{Request, Response, StatusCode};

pub(crate) use call::Call;
use registry::Service;
pub use token::TokenUser;

/// The services this endpoint serves, each declared by its module: a new service is a `mod` line above and one
/// line here (`docs/dev/adding-an-aws-service.md`).
pub(crate) const SERVICES: &[&Service] = &[
    &eks::SERVICE,
    &iam::SERVICE,
    &sts::SERVICE,
    &ec2::SERVICE,
    &autoscaling::SERVICE,
    &ssm::SERVICE,
    &quotas::SERVICE,
    &efs::SERVICE,
    &eks_auth::SERVICE,
    &elbv2::SERVICE,
    &elb::SERVICE,
];

/// The services behind the endpoint.
#[derive(Debug, Clone)]
pub struct AwsApi {
    eks: Eks,
    iam: Iam,
    ec2: Option<aws_model::ec2::Ec2>,
    sts: Sts,
    autoscaling: Option<aws_model::autoscaling::AutoScaling>,
    ssm: Option<aws_model::ssm::Ssm>,
    quotas: Option<aws_model::quotas::Quotas>,
    efs: Option<aws_model::efs::Efs>,
    eks_auth: Option<aws_model::eks_auth::EksAuth>,
    elbv2: Option<aws_model::elbv2::Elbv2>,
    elb: Option<aws_model::elb::Elb>,
    clock: Arc<dyn Clock>,
    /// The table requests are dispatched through: [`SERVICES`] (tests may serve others).
    services: &'static [&'static Service],
}

/// What the wire says of a request before its service is known.
struct Wire {
    signed: Option<SignedRequest>,
    params: QueryParams,
    route: Route,
}

/// Who a request acts as.
struct Identity {
    caller: Caller,
    user_id: String,
    principal: Principal,
}

/// Every operation the endpoint serves, as `(botocore's model of its service, operation)`, service by service in
/// the order of [`SERVICES`].
pub fn served_operations() -> impl Iterator<Item = (&'static str, &'static str)> {
    SERVICES.iter().flat_map(|service| service.operations.iter().map(|operation| (service.model, operation.name)))
}

impl AwsApi {
    pub fn new(eks: Eks, iam: Iam, clock: Arc<dyn Clock>) -> AwsApi {
        let sts = Sts::new(iam.clone());
        AwsApi {
            eks,
            sts,
            iam,
            ec2: None,
            autoscaling: None,
            ssm: None,
            quotas: None,
            efs: None,
            eks_auth: None,
            elbv2: None,
            elb: None,
            clock,
            services: SERVICES,
        }
    }

    /// Checks web identity tokens with the keys of the OpenID Connect issuers this server serves, and serves EKS
    /// Auth, which checks pods' service account tokens with the same keys.
    pub fn with_oidc_keys(self, keys: Arc<dyn OidcKeys>) -> AwsApi {
        let sts = self.sts.clone().with_oidc_keys(Arc::clone(&keys));
        let eks_auth = aws_model::eks_auth::EksAuth::new(self.eks.clone(), sts.clone(), keys);
        AwsApi { sts, eks_auth: Some(eks_auth), ..self }
    }

    /// Serves EC2 networking too.
    pub fn with_ec2(self, ec2: aws_model::ec2::Ec2) -> AwsApi {
        AwsApi { ec2: Some(ec2), ..self }
    }

    /// Serves Auto Scaling (the groups of managed node groups) and the instances they launch.
    pub fn with_autoscaling(self, autoscaling: aws_model::autoscaling::AutoScaling) -> AwsApi {
        AwsApi { autoscaling: Some(autoscaling), ..self }
    }

    /// Serves SSM Parameter Store.
    pub fn with_ssm(self, ssm: aws_model::ssm::Ssm) -> AwsApi {
        AwsApi { ssm: Some(ssm), ..self }
    }

    /// Serves Service Quotas.
    pub fn with_quotas(self, quotas: aws_model::quotas::Quotas) -> AwsApi {
        AwsApi { quotas: Some(quotas), ..self }
    }

    /// Serves EFS.
    pub fn with_efs(self, efs: aws_model::efs::Efs) -> AwsApi {
        AwsApi { efs: Some(efs), ..self }
    }

    /// Serves Elastic Load Balancing v2.
    pub fn with_elbv2(self, elbv2: aws_model::elbv2::Elbv2) -> AwsApi {
        AwsApi { elbv2: Some(elbv2), ..self }
    }

    /// Serves Elastic Load Balancing (Classic).
    pub fn with_elb(self, elb: aws_model::elb::Elb) -> AwsApi {
        AwsApi { elb: Some(elb), ..self }
    }

    /// Dispatches through another table of services.
    #[cfg(test)]
    fn with_services(self, services: &'static [&'static Service]) -> AwsApi {
        AwsApi { services, ..self }
    }

    /// Answers one request; never fails: every failure is an AWS error reply.
    ///
    /// The request's signature, parameters and route are read first (errors in the protocol its headers
    /// suggest); then its service is looked up in the registry (a service not served is refused in its client's
    /// protocol), then its operation; then the caller is authenticated (only operations marked unsigned may come
    /// without a signature) and the operation's handler runs. From the service on, errors are written in the
    /// service's protocol.
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Vec<u8>> {
        let request_id = RequestId::new();
        let Wire { signed, params, route } = match read(&request) {
            Ok(wire) => wire,
            Err((protocol, error)) => return error.to_response(protocol, "", &request_id),
        };
        let Some(service) = registry::find_service(self.services, &route) else {
            let shapeless = route.target.is_none() && route.action.is_none() && route.version.is_none();
            if signed.is_none() && shapeless {
                // Neither signed nor shaped like any AWS call: a plain HTTP request for a route that is not here.
                let error = AwsError::new("NotFound", "ekslite serves no such route", StatusCode::NOT_FOUND);
                return error.to_response(Protocol::RestJson, "", &request_id);
            }
            let error = registry::unknown_service(self.services, &request, &route);
            tracing::debug!(service = ?route.signing_name, operation = ?route.operation(), "aws service not served");
            return error.to_response(registry::client_protocol(&request, &route), "", &request_id);
        };
        let (protocol, namespace) = (service.wire.protocol(), service.wire.namespace());
        let found = service.operation(&request, &route);
        let identity = match &signed {
            Some(signed) => self.authenticate(signed, &route, protocol).await,
            // Only operations the models mark as unsigned may come without a signature.
            None if found.as_ref().is_ok_and(|found| found.operation.unsigned) => Ok(Identity {
                caller: Caller { arn: String::new(), account: String::new(), region: route.region.clone() },
                user_id: String::new(),
                principal: Principal::federated(""),
            }),
            None => Err(AuthError::MissingAuthentication.to_aws_error(protocol)),
        };
        let (found, Identity { caller, user_id, principal }) = match (found, identity) {
            (_, Err(error)) | (Err(error), _) => return error.to_response(protocol, namespace, &request_id),
            (Ok(found), Ok(identity)) => (found, identity),
        };
        let call = Call {
            request: &request,
            service,
            operation: found.operation,
            labels: found.labels,
            caller,
            request_id,
            params,
            user_id,
            principal,
        };
        let response = (found.operation.handler)(self, &call)
            .await
            .unwrap_or_else(|error| error.to_response(protocol, namespace, &call.request_id));
        let (service, operation) = (service.signing_name, found.operation.name);
        tracing::debug!(%service, %operation, status = response.status().as_u16(), "aws request");
        response
    }

    /// The caller a signed request acts as: the user or session of a key IAM or STS issued (after checking the
    /// signature), else, in the open mode, the root of the account the key names.
    async fn authenticate(
        &self,
        signed: &SignedRequest,
        route: &Route,
        protocol: Protocol,
    ) -> Result<Identity, AwsError> {
        let known = sts::authenticate(self, signed, self.now()).await.map_err(|e| e.to_aws_error(protocol))?;
        let (account, arn, user_id, principal) = match known {
            Some(known) => (known.account, known.arn, known.user_id, known.principal),
            None => {
                let account = Account::from_access_key_id(signed.access_key_id()).id().to_owned();
                let principal = Principal::root(&account);
                (account.clone(), format!("arn:aws:iam::{account}:root"), account, principal)
            }
        };
        Ok(Identity { caller: Caller { arn, account, region: route.region.clone() }, user_id, principal })
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
    pub(crate) async fn follow_nodegroups(&self, caller: &Caller) {
        if let Some(autoscaling) = &self.autoscaling
            && let Err(error) = autoscaling.sync(caller).await
        {
            tracing::warn!(%error, "reconciling Auto Scaling groups failed");
        }
    }

    pub(crate) fn autoscaling(&self) -> Option<&aws_model::autoscaling::AutoScaling> {
        self.autoscaling.as_ref()
    }

    pub(crate) fn ssm(&self) -> Option<&aws_model::ssm::Ssm> {
        self.ssm.as_ref()
    }

    pub(crate) fn quotas(&self) -> Option<&aws_model::quotas::Quotas> {
        self.quotas.as_ref()
    }

    pub(crate) fn efs(&self) -> Option<&aws_model::efs::Efs> {
        self.efs.as_ref()
    }

    pub(crate) fn eks_auth(&self) -> Option<&aws_model::eks_auth::EksAuth> {
        self.eks_auth.as_ref()
    }

    pub(crate) fn elbv2(&self) -> Option<&aws_model::elbv2::Elbv2> {
        self.elbv2.as_ref()
    }

    pub(crate) fn elb(&self) -> Option<&aws_model::elb::Elb> {
        self.elb.as_ref()
    }

    pub(crate) fn now(&self) -> f64 {
        self.clock.now()
    }
}

/// Signature, parameters and route of a request; an error comes with the protocol its headers suggest.
fn read(request: &Request<Bytes>) -> Result<Wire, (Protocol, AwsError)> {
    let protocol = registry::request_protocol(request);
    let signed = if is_signed(request) {
        Some(SignedRequest::from_request(request).map_err(|error| (protocol, error.to_aws_error(protocol)))?)
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
    Ok(Wire { signed, params, route })
}

fn is_signed(request: &Request<Bytes>) -> bool {
    request.headers().contains_key(http::header::AUTHORIZATION)
        || request
            .uri()
            .query()
            .is_some_and(|query| query.contains("X-Amz-Signature") || query.contains("X-Amz-Credential"))
}

#[cfg(test)]
mod tests;

//! The EKS bearer token (`aws eks get-token`, aws-iam-authenticator): `k8s-aws-v1.` + base64url of a presigned
//! STS GetCallerIdentity URL whose signature covers the header `x-k8s-aws-id: <cluster name>`. It is checked
//! here as aws-iam-authenticator checks it (shape, allowed parameters, action, signed headers, age), its signature
//! is verified when IAM or STS issued its key (temporary credentials need their session token, which the URL
//! carries as `X-Amz-Security-Token`), and the caller it names becomes the Kubernetes user its access entry or
//! `aws-auth` mapping says (`aws_model::eks::authn`); a caller nothing maps is refused.

use aws_model::eks::authn::{AwsIdentity, PolicyGrant};
use aws_protocol::{Account, SignedRequest};
use base64::Engine as _;
use bytes::Bytes;
use http::{Method, Request, Uri};

use crate::AwsApi;

const PREFIX: &str = "k8s-aws-v1.";
const MAX_TOKEN_LENGTH: usize = 4096;
/// How old a token's signature may be, as aws-iam-authenticator allows.
const MAX_AGE_SECONDS: f64 = 15.0 * 60.0;
const ALLOWED_PARAMETERS: &[&str] = &[
    "action",
    "version",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-expires",
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-signedheaders",
];

/// The Kubernetes user an accepted token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUser {
    /// As the caller's access entry or `aws-auth` mapping names it.
    pub username: String,
    /// `aws-iam-authenticator:<account>:<user id>`.
    pub uid: String,
    pub groups: Vec<String>,
    /// The caller's ARN as GetCallerIdentity reports it (`arn:aws:sts::...:assumed-role/<role>/<session>` for a
    /// role session).
    pub arn: String,
    /// The ARN access entries name the caller by: the role's (`arn:aws:iam::<account>:role/<role>`) for a role
    /// session, else `arn`.
    pub canonical_arn: String,
    pub access_key_id: String,
    pub account: String,
    /// The access policies of the caller's access entry, with their scope.
    pub policies: Vec<PolicyGrant>,
}

impl AwsApi {
    /// Checks an EKS token presented to the Kubernetes cluster named `kubernetes_name`; `None` when it is not
    /// valid there.
    pub async fn authenticate_eks_token(&self, kubernetes_name: &str, token: &str) -> Option<TokenUser> {
        let (owner, cluster) = self.eks().by_kubernetes_name(kubernetes_name).await.ok().flatten()?;
        let signed = parse_token(token, &cluster.name).ok()?;
        let age = self.now() - signed.signed_at().unix_timestamp() as f64;
        let expires = signed.expires().unwrap_or(0) as f64;
        if !(-MAX_AGE_SECONDS..=MAX_AGE_SECONDS).contains(&age) || age > expires.min(MAX_AGE_SECONDS) + 0.5 {
            return None;
        }
        // A key IAM issued must carry its own valid signature and stands for its user; others are open mode.
        let (account, arn, user_id) = match crate::sts::authenticate(self, &signed, self.now()).await.ok()? {
            // aws-iam-authenticator names a role session's user by its role's id, without the session name.
            Some(known) => (known.account, known.arn, known.user_id.split(':').next().unwrap_or_default().to_owned()),
            None => {
                let account = Account::from_access_key_id(signed.access_key_id()).id().to_owned();
                (account.clone(), format!("arn:aws:iam::{account}:root"), signed.access_key_id().to_owned())
            }
        };
        // Who the caller is inside the cluster: its access entry or aws-auth mapping; unmapped callers are refused.
        let caller = AwsIdentity { arn, account, access_key_id: signed.access_key_id().to_owned() };
        let mapped = match self.eks().kubernetes_identity(&owner, &cluster, &caller).await {
            Ok(mapped) => mapped?,
            Err(error) => {
                tracing::warn!(%error, cluster = kubernetes_name, "mapping an EKS token's caller failed");
                return None;
            }
        };
        let mut groups = mapped.groups;
        if !groups.iter().any(|group| group == "system:authenticated") {
            groups.push("system:authenticated".to_owned());
        }
        Some(TokenUser {
            username: mapped.username,
            uid: format!("aws-iam-authenticator:{}:{user_id}", caller.account),
            groups,
            canonical_arn: aws_model::sts::canonical_arn(&caller.arn),
            arn: caller.arn,
            access_key_id: caller.access_key_id,
            account: caller.account,
            policies: mapped.policies,
        })
    }
}

/// Why a token was refused; only logged, the client gets a plain 401.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TokenError {
    Shape(&'static str),
    Signature(String),
}

/// Reads a token's presigned request, checking everything but time and the signature itself.
pub(crate) fn parse_token(token: &str, cluster_name: &str) -> Result<SignedRequest, TokenError> {
    if token.len() > MAX_TOKEN_LENGTH {
        return Err(TokenError::Shape("token is too long"));
    }
    let encoded = token.strip_prefix(PREFIX).ok_or(TokenError::Shape("token does not start with k8s-aws-v1."))?;
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.trim_end_matches('='))
        .map_err(|_| TokenError::Shape("token is not base64url"))?;
    let url = String::from_utf8(url).map_err(|_| TokenError::Shape("token URL is not UTF-8"))?;
    let uri: Uri = url.parse().map_err(|_| TokenError::Shape("token URL does not parse"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.path() != "/" {
        return Err(TokenError::Shape("token URL is not an STS endpoint root"));
    }
    let authority = uri.authority().ok_or(TokenError::Shape("token URL has no host"))?.as_str().to_owned();
    let query = uri.query().unwrap_or_default();
    let mut action = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if !ALLOWED_PARAMETERS.contains(&key.to_ascii_lowercase().as_str()) {
            return Err(TokenError::Shape("token URL has a parameter STS tokens do not carry"));
        }
        if key == "Action" {
            action = Some(value.into_owned());
        }
    }
    if action.as_deref() != Some("GetCallerIdentity") {
        return Err(TokenError::Shape("token URL is not a GetCallerIdentity call"));
    }
    let request = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .header(http::header::HOST, authority)
        .header("x-k8s-aws-id", cluster_name)
        .body(Bytes::new())
        .map_err(|_| TokenError::Shape("token URL does not make a request"))?;
    let signed = SignedRequest::from_request(&request).map_err(|error| TokenError::Signature(error.to_string()))?;
    if !signed.is_presigned() {
        return Err(TokenError::Shape("token URL is not presigned"));
    }
    if !signed.signed_headers().iter().any(|header| header == "x-k8s-aws-id") {
        return Err(TokenError::Shape("token does not sign x-k8s-aws-id"));
    }
    if signed.service() != "sts" {
        return Err(TokenError::Shape("token is not signed for STS"));
    }
    Ok(signed)
}

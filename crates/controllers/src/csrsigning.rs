//! Certificate signing, as kube-controller-manager's `csrsigning` controller runs it: an approved
//! CertificateSigningRequest for `kubernetes.io/kube-apiserver-client` or
//! `kubernetes.io/kube-apiserver-client-kubelet` gets `status.certificate`, signed by the cluster's client CA
//! (which the embedding program hands over as [`SigningCa`]) for the subject the request names, with the usages
//! its spec names, for `spec.expirationSeconds` capped by the signer's longest lifetime. A request the signer
//! refuses (usages or subject it does not sign) gets a `Failed` condition with upstream's reason and message.
//! Requests for other signers are left to them; approving requests (`csrapproving`) is not done here.
//!
//! The decision ([`check_request`]) and the signing ([`SigningCa::sign`]) are pure; [`run`] watches requests
//! and writes their status.

use std::time::Duration;

use base64::Engine;
use futures::StreamExt;
use k8s_openapi::api::certificates::v1::CertificateSigningRequest;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use rcgen::{
    CertificateSigningRequestParams, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use serde_json::json;

use crate::without_managed_fields;

/// The signer of client certificates for users of the API server.
pub const KUBE_APISERVER_CLIENT: &str = "kubernetes.io/kube-apiserver-client";
/// The signer of kubelets' client certificates.
pub const KUBE_APISERVER_CLIENT_KUBELET: &str = "kubernetes.io/kube-apiserver-client-kubelet";
/// The longest lifetime the signer gives (kube-controller-manager's `--cluster-signing-duration`, a year).
pub const MAX_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);
/// How far back a certificate's validity starts, for clocks that run behind (upstream's five minutes).
const BACKDATE: Duration = Duration::from_secs(5 * 60);

/// The CA that signs client certificates: its certificate and key, PEM-encoded.
#[derive(Clone)]
pub struct SigningCa {
    /// The CA certificate.
    pub cert_pem: String,
    /// The CA's private key.
    pub key_pem: String,
}

impl std::fmt::Debug for SigningCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningCa").field("key_pem", &"<redacted>").finish_non_exhaustive()
    }
}

/// Why a request is not signed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignError {
    /// The request is not a certificate request this signer can read (the controller retries it later, as
    /// upstream does, without marking it failed).
    #[error("unable to parse csr: {0}")]
    Unparsable(String),
    /// The signer refuses what the request asks for: upstream's `SignerValidationFailure`.
    #[error("{0}")]
    Refused(String),
    /// The CA could not sign.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// What a request asks to be signed, read from its PEM.
#[derive(Debug)]
pub struct RequestSubject {
    /// The subject's common name.
    pub common_name: String,
    /// The subject's organizations.
    pub organizations: Vec<String>,
    /// Whether it asks for subject alternative names of any kind: (DNS, email, IP, URI).
    pub alt_names: (bool, bool, bool, bool),
}

/// Reads the subject of a PEM certificate request, checking its signature.
pub fn read_request(request_pem: &str) -> Result<(CertificateSigningRequestParams, RequestSubject), SignError> {
    let params =
        CertificateSigningRequestParams::from_pem(request_pem).map_err(|e| SignError::Unparsable(e.to_string()))?;
    let text = |value: &DnValue| match value {
        DnValue::PrintableString(s) => s.to_string(),
        DnValue::Utf8String(s) => s.clone(),
        DnValue::Ia5String(s) => s.to_string(),
        DnValue::TeletexString(s) => s.to_string(),
        other => format!("{other:?}"),
    };
    let dn = &params.params.distinguished_name;
    let common_name = dn.get(&DnType::CommonName).map(text).unwrap_or_default();
    let organizations =
        dn.iter().filter(|(kind, _)| **kind == DnType::OrganizationName).map(|(_, value)| text(value)).collect();
    let sans = &params.params.subject_alt_names;
    let any = |pick: fn(&rcgen::SanType) -> bool| sans.iter().any(pick);
    let alt_names = (
        any(|s| matches!(s, rcgen::SanType::DnsName(_))),
        any(|s| matches!(s, rcgen::SanType::Rfc822Name(_))),
        any(|s| matches!(s, rcgen::SanType::IpAddress(_))),
        any(|s| matches!(s, rcgen::SanType::URI(_))),
    );
    Ok((params, RequestSubject { common_name, organizations, alt_names }))
}

/// Whether the signer signs a request with this subject and these usages: upstream's `isKubeAPIServerClient`
/// and `isKubeletClient` checks, with their messages.
pub fn check_request(signer: &str, subject: &RequestSubject, usages: &[String]) -> Result<(), SignError> {
    let refuse = |message: String| Err(SignError::Refused(message));
    match signer {
        KUBE_APISERVER_CLIENT => {
            let mut client_auth = false;
            for usage in usages {
                match usage.as_str() {
                    "digital signature" | "key encipherment" => {}
                    "client auth" => client_auth = true,
                    other => return refuse(format!("invalid usage for client certificate: {other}")),
                }
            }
            if !client_auth {
                return refuse("missing required usage for client certificate: client auth".into());
            }
            Ok(())
        }
        KUBE_APISERVER_CLIENT_KUBELET => {
            if subject.organizations != ["system:nodes"] {
                return refuse("subject organization is not system:nodes".into());
            }
            if !subject.common_name.starts_with("system:node:") {
                return refuse("subject common name does not begin with system:node:".into());
            }
            let (dns, email, ip, uri) = subject.alt_names;
            for (present, kind) in [(dns, "DNS"), (email, "Email"), (ip, "IP"), (uri, "URI")] {
                if present {
                    return refuse(format!("{kind} subjectAltNames are not allowed"));
                }
            }
            let allowed =
                usages.iter().all(|u| matches!(u.as_str(), "client auth" | "digital signature" | "key encipherment"));
            if !allowed
                || !usages.iter().any(|u| u == "client auth")
                || !usages.iter().any(|u| u == "digital signature")
            {
                return refuse(format!(
                    "usages did not match [client auth digital signature] or [client auth digital signature key encipherment]: {usages:?}"
                ));
            }
            Ok(())
        }
        _ => refuse(format!("unsupported signer {signer}")),
    }
}

/// A request's lifetime: `spec.expirationSeconds` when given, never past the signer's longest.
pub fn lifetime(expiration_seconds: Option<i32>) -> Duration {
    match expiration_seconds {
        Some(seconds) => Duration::from_secs(u64::try_from(seconds).unwrap_or(0)).min(MAX_LIFETIME),
        None => MAX_LIFETIME,
    }
}

impl SigningCa {
    /// Signs `request` (as [`read_request`] read it) with the given usages, valid from a little before `now`
    /// for `lifetime` (never past the CA's own end), as PEM.
    pub fn sign(
        &self,
        request: &CertificateSigningRequestParams,
        usages: &[String],
        lifetime: Duration,
        now: time::OffsetDateTime,
    ) -> Result<String, SignError> {
        let failed = |e: rcgen::Error| SignError::Signing(e.to_string());
        let ca_key = KeyPair::from_pem(&self.key_pem).map_err(failed)?;
        let issuer = Issuer::from_ca_cert_pem(&self.cert_pem, ca_key).map_err(failed)?;
        let mut request =
            CertificateSigningRequestParams { params: request.params.clone(), public_key: request.public_key.clone() };
        let params = &mut request.params;
        params.is_ca = IsCa::ExplicitNoCa;
        params.not_before = now - BACKDATE;
        params.not_after = now + lifetime;
        if let Some(ca_end) = ca_not_after(&self.cert_pem) {
            params.not_after = params.not_after.min(ca_end);
        }
        params.key_usages = usages
            .iter()
            .filter_map(|u| match u.as_str() {
                "digital signature" => Some(KeyUsagePurpose::DigitalSignature),
                "key encipherment" => Some(KeyUsagePurpose::KeyEncipherment),
                _ => None,
            })
            .collect();
        params.extended_key_usages =
            usages.iter().filter(|u| *u == "client auth").map(|_| ExtendedKeyUsagePurpose::ClientAuth).collect();
        params.use_authority_key_identifier_extension = true;
        Ok(request.signed_by(&issuer).map_err(failed)?.pem())
    }
}

/// When the CA certificate stops being valid.
fn ca_not_after(cert_pem: &str) -> Option<time::OffsetDateTime> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(cert_pem.as_bytes()).ok()?;
    let cert = pem.parse_x509().ok()?;
    Some(cert.validity().not_after.to_datetime())
}

/// Signs approved requests for the client signers until the task is dropped.
pub async fn run(client: kube::Client, ca: SigningCa) {
    let requests: Api<CertificateSigningRequest> = Api::all(client);
    let mut stream = watcher(requests.clone(), watcher::Config::default())
        .default_backoff()
        .modify(without_managed_fields)
        .applied_objects()
        .boxed();
    while let Some(event) = stream.next().await {
        let Ok(csr) = event else { continue };
        if let Err(error) = handle(&requests, &ca, &csr).await {
            tracing::warn!(%error, csr = ?csr.metadata.name, "csrsigning");
        }
    }
}

async fn handle(
    requests: &Api<CertificateSigningRequest>,
    ca: &SigningCa,
    csr: &CertificateSigningRequest,
) -> Result<(), kube::Error> {
    let status = csr.status.clone().unwrap_or_default();
    let conditions = status.conditions.clone().unwrap_or_default();
    let has = |type_: &str| conditions.iter().any(|c| c.type_ == type_ && c.status == "True");
    let signer = csr.spec.signer_name.as_str();
    let ours = signer == KUBE_APISERVER_CLIENT || signer == KUBE_APISERVER_CLIENT_KUBELET;
    if !ours || !has("Approved") || has("Failed") || status.certificate.is_some() {
        return Ok(());
    }
    let name = csr.metadata.name.clone().unwrap_or_default();
    let request_pem = String::from_utf8_lossy(&csr.spec.request.0).into_owned();
    let usages = csr.spec.usages.clone().unwrap_or_default();
    let outcome = read_request(&request_pem).and_then(|(params, subject)| {
        check_request(signer, &subject, &usages)?;
        ca.sign(&params, &usages, lifetime(csr.spec.expiration_seconds), time::OffsetDateTime::now_utc())
    });
    let patch = match outcome {
        Ok(certificate) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(certificate);
            json!({ "status": { "certificate": encoded } })
        }
        Err(SignError::Refused(message)) => {
            let now = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
            let mut all: Vec<serde_json::Value> =
                conditions.iter().filter_map(|c| serde_json::to_value(c).ok()).collect();
            all.push(json!({
                "type": "Failed", "status": "True", "reason": "SignerValidationFailure", "message": message,
                "lastUpdateTime": now, "lastTransitionTime": now,
            }));
            json!({ "metadata": { "resourceVersion": csr.metadata.resource_version }, "status": { "conditions": all } })
        }
        Err(error) => {
            tracing::warn!(%error, csr = %name, "csrsigning: not signed");
            return Ok(());
        }
    };
    requests.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch)).await.map(drop)
}

#[cfg(test)]
mod tests;

//! Each cluster's certificates: its own CA, the API server's serving certificate for 127.0.0.1 and localhost,
//! and an admin client certificate (`O=system:masters`) for the kubeconfig.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use serde::{Deserialize, Serialize};

/// PEM-encoded key material of one cluster, as stored with the cluster record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterPki {
    pub ca_cert: String,
    pub ca_key: String,
    pub admin_cert: String,
    pub admin_key: String,
    /// The key that signs service account tokens (ECDSA P-256, PEM). Clusters created before it existed have none
    /// stored and sign with their CA key.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service_account_key: String,
}

/// A certificate and its key, PEM-encoded.
#[derive(Debug, Clone)]
pub struct CertifiedKey {
    pub cert: String,
    pub key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
}

/// From a day ago (clock skew between this machine and others is not a reason to fail) for ten years.
fn validity(params: &mut CertificateParams) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
}

impl ClusterPki {
    /// A new CA named after the cluster, and an admin client certificate it signs.
    pub fn generate(cluster_name: &str) -> Result<ClusterPki, PkiError> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::default();
        ca_params.distinguished_name = DistinguishedName::new();
        ca_params.distinguished_name.push(DnType::CommonName, format!("ekslite-{cluster_name}-ca"));
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        validity(&mut ca_params);
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, &ca_key);

        let admin_key = KeyPair::generate()?;
        let mut admin_params = CertificateParams::default();
        admin_params.distinguished_name = DistinguishedName::new();
        admin_params.distinguished_name.push(DnType::CommonName, "kubernetes-admin");
        admin_params.distinguished_name.push(DnType::OrganizationName, "system:masters");
        admin_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        admin_params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        validity(&mut admin_params);
        let admin_cert = admin_params.signed_by(&admin_key, &issuer)?;

        Ok(ClusterPki {
            ca_cert: ca_cert.pem(),
            ca_key: ca_key.serialize_pem(),
            admin_cert: admin_cert.pem(),
            admin_key: admin_key.serialize_pem(),
            service_account_key: KeyPair::generate()?.serialize_pem(),
        })
    }

    /// The PKCS#8 DER of the key that signs service account tokens.
    pub fn service_account_key_der(&self) -> Result<Vec<u8>, PkiError> {
        let pem = if self.service_account_key.is_empty() { &self.ca_key } else { &self.service_account_key };
        Ok(KeyPair::from_pem(pem)?.serialize_der())
    }

    /// A serving certificate for the cluster's API server, signed by the cluster's CA.
    pub fn serving_certificate(&self) -> Result<CertifiedKey, PkiError> {
        let ca_key = KeyPair::from_pem(&self.ca_key)?;
        let issuer = Issuer::from_ca_cert_pem(&self.ca_cert, &ca_key)?;
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(vec![
            "localhost".to_owned(),
            "kubernetes".to_owned(),
            "kubernetes.default".to_owned(),
            "kubernetes.default.svc".to_owned(),
        ])?;
        params.subject_alt_names.push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
        params.subject_alt_names.push(SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()));
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, "kube-apiserver");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        validity(&mut params);
        let cert = params.signed_by(&key, &issuer)?;
        Ok(CertifiedKey { cert: cert.pem(), key: key.serialize_pem() })
    }
}

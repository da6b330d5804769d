use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, KeyPair, SanType};

use super::*;

fn ca() -> SigningCa {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, "test-ca");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    let cert = params.self_signed(&key).unwrap();
    SigningCa { cert_pem: cert.pem(), key_pem: key.serialize_pem() }
}

fn request(common_name: &str, organizations: &[&str], sans: Vec<SanType>) -> String {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, common_name);
    for organization in organizations {
        params.distinguished_name.push(DnType::OrganizationName, *organization);
    }
    params.subject_alt_names = sans;
    params.serialize_request(&KeyPair::generate().unwrap()).unwrap().pem().unwrap()
}

fn usages(list: &[&str]) -> Vec<String> {
    list.iter().map(|u| (*u).to_owned()).collect()
}

fn check(signer: &str, pem: &str, usage_list: &[&str], expect: Result<(), &str>) {
    let (_, subject) = read_request(pem).expect("a request");
    let outcome = check_request(signer, &subject, &usages(usage_list));
    assert_eq!(outcome, expect.map_err(|message| SignError::Refused(message.to_owned())), "{usage_list:?}");
}

#[test]
fn the_signers_check_usages_and_subjects_as_upstream() {
    let alice = request("alice", &["devs", "ops"], vec![]);
    check(KUBE_APISERVER_CLIENT, &alice, &["client auth"], Ok(()));
    check(KUBE_APISERVER_CLIENT, &alice, &["digital signature", "key encipherment", "client auth"], Ok(()));
    check(
        KUBE_APISERVER_CLIENT,
        &alice,
        &["client auth", "server auth"],
        Err("invalid usage for client certificate: server auth"),
    );
    check(
        KUBE_APISERVER_CLIENT,
        &alice,
        &["digital signature"],
        Err("missing required usage for client certificate: client auth"),
    );
    let node = request("system:node:ip-10-0-0-1", &["system:nodes"], vec![]);
    check(KUBE_APISERVER_CLIENT_KUBELET, &node, &["client auth", "digital signature"], Ok(()));
    check(
        KUBE_APISERVER_CLIENT_KUBELET,
        &alice,
        &["client auth", "digital signature"],
        Err("subject organization is not system:nodes"),
    );
    let named = request("system:node:n", &["system:nodes"], vec![SanType::DnsName("n".try_into().unwrap())]);
    check(
        KUBE_APISERVER_CLIENT_KUBELET,
        &named,
        &["client auth", "digital signature"],
        Err("DNS subjectAltNames are not allowed"),
    );
    assert!(matches!(read_request("garbage"), Err(SignError::Unparsable(_))));
}

#[test]
fn a_signed_certificate_names_the_requester_for_the_asked_lifetime() {
    let ca = ca();
    let (params, _) = read_request(&request("alice", &["devs"], vec![])).unwrap();
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let pem = ca.sign(&params, &usages(&["client auth", "digital signature"]), lifetime(Some(900)), now).unwrap();
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    let cert = pem.parse_x509().unwrap();
    let subject = cert.subject();
    assert_eq!(subject.iter_common_name().next().unwrap().as_str().unwrap(), "alice");
    assert_eq!(subject.iter_organization().next().unwrap().as_str().unwrap(), "devs");
    assert_eq!(cert.issuer().iter_common_name().next().unwrap().as_str().unwrap(), "test-ca");
    assert_eq!(cert.validity().not_after.to_datetime(), now + Duration::from_secs(900));
    assert_eq!(cert.validity().not_before.to_datetime(), now - BACKDATE);
    assert!(cert.extended_key_usage().unwrap().unwrap().value.client_auth);
    assert!(!cert.is_ca());
    // Without expirationSeconds, or with too many, the signer's longest lifetime applies.
    assert_eq!((lifetime(None), lifetime(Some(i32::MAX))), (MAX_LIFETIME, MAX_LIFETIME));
}

use super::*;

const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPqAPPUzRy9bR3I2kfMedAP202CZLSpcpgRdNyJ9YAjN me@host";
const RSA: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDenfAnkdQQ7Wobb9uub/6b0gLYYVAgur8jhnagtzOyr4IWKI3RLstnQ1D/RrMe\
N70yPQQdKwRhPv41BYxtnVUcc1OOLaTizVuOOxZFOHnAb1dOEOgWvANfGXA5H2qbRh8Y9xF7ufETDZB2ti5dOQj8bUdW97LrW0ihmSRdXI3y4yUDpe\
UIJ3cc8kTj2zafXUTZTllf2HqfX1Mm6QGkjzSv5TT1j7BmYsbEx4UWAq83O4J+6N9qeeoGK8hyoLejlOLIKJFx3OmCNC8qCQbxvTWFAzgqscrPoTQ6t\
mCF0NErPUwdldZuHRtPbFJnHhmnyYsxDBo3QktmuE7HnV5vFIkR";

fn network() -> Network {
    Network::new("000000000000", "us-west-2")
}

fn check_import(material: &str, expect: Result<(&str, &str), &str>) {
    let mut network = network();
    let got = network
        .import_key_pair(&mut IdSource::Sequence(1), "k", material.as_bytes(), &Tags::new(), 1.0)
        .map(|pair| (pair.key_type, pair.fingerprint))
        .map_err(|error| error.to_string());
    let expect = expect.map(|(kind, print)| (kind.to_owned(), print.to_owned())).map_err(str::to_owned);
    assert_eq!(got, expect, "{material}");
}

#[test]
fn imported_keys_get_ec2_fingerprints() {
    // As `ssh-keygen -lf` (SHA-256, base64) and `openssl pkey -pubin -outform DER | openssl md5 -c` print them.
    check_import(ED25519, Ok(("ed25519", "PlUI1xsbESXbFRXRBjVT5BjZuDtGjw4RTXwP1V76Xco=")));
    check_import(RSA, Ok(("rsa", "36:3c:fb:fa:16:08:b5:cd:b6:68:08:e1:46:c8:6f:52")));
    check_import(&format!("  {ED25519}\n"), Ok(("ed25519", "PlUI1xsbESXbFRXRBjVT5BjZuDtGjw4RTXwP1V76Xco=")));
}

#[test]
fn bad_key_material_is_refused() {
    let refused = Err("Key is not in valid OpenSSH public key format");
    check_import("", refused);
    check_import("garbage", refused);
    check_import("ssh-ed25519 !!!!", refused);
    check_import("ssh-dss AAAAB3NzaC1kc3MAAAA=", refused);
    check_import(&ED25519.replace("ssh-ed25519 ", "ssh-rsa "), refused);
    check_import(&ED25519.replace("me@host", "me\0host"), refused);
    check_import(&format!("ssh-ed25519 {}", base64(b"\0\0\0\x0bssh-ed25519\0\0\0\x02ab")), refused);
    check_import(&format!("{ED25519} {}", "x".repeat(MAX_PUBLIC_KEY_BYTES)), refused);
    let mut network = network();
    let not_utf8 = network.import_key_pair(&mut IdSource::Sequence(1), "k", &[0xff, 0xfe], &Tags::new(), 1.0);
    assert!(matches!(not_utf8, Err(Ec2Error::KeyFormat(_))));
}

#[test]
fn created_rsa_keys_are_pkcs1_pem_with_ec2s_fingerprint() {
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    let mut network = network();
    let input = CreateKeyPair { name: "made".into(), ..CreateKeyPair::default() };
    let (made, private_key) = network.create_key_pair(&mut IdSource::Sequence(1), &input, 1.0).unwrap();
    assert_eq!(made.key_type, "rsa");
    assert!(private_key.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"), "{private_key}");
    let private = RsaPrivateKey::from_pkcs1_pem(&private_key).unwrap();
    assert_eq!(private.n().bits(), 2048);
    // As `openssl pkcs8 -topk8 -nocrypt -outform DER | openssl sha1 -c` prints it.
    let pkcs8 = private.to_pkcs8_der().unwrap();
    let sha1 = colon_hex(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, pkcs8.as_bytes()).as_ref());
    assert_eq!(made.fingerprint, sha1);
    assert_eq!(made.fingerprint.len(), 59);
    // The public key stored is the private key's, and imports back as an RSA key.
    let imported =
        network.import_key_pair(&mut IdSource::Sequence(2), "back", made.public_key.as_bytes(), &Tags::new(), 2.0);
    let imported = imported.unwrap();
    assert_eq!(imported.key_type, "rsa");
    let mut blob = Vec::new();
    ssh_string(&mut blob, b"ssh-rsa");
    ssh_mpint(&mut blob, &private.e().to_bytes_be());
    ssh_mpint(&mut blob, &private.n().to_bytes_be());
    assert_eq!(made.public_key, format!("ssh-rsa {}", base64(&blob)));
}

#[test]
fn mpints_are_minimal_and_positive() {
    let mpint = |value: &[u8]| {
        let mut out = Vec::new();
        ssh_mpint(&mut out, value);
        out
    };
    assert_eq!(mpint(&[0, 0, 1, 0, 1]), [0, 0, 0, 3, 1, 0, 1]);
    assert_eq!(mpint(&[0x80]), [0, 0, 0, 2, 0, 0x80]);
    assert_eq!(mpint(&[]), [0, 0, 0, 0]);
}

#[test]
fn names_are_unique_and_pairs_are_found_by_name_id_and_filter() {
    let mut network = network();
    let mut ids = IdSource::Sequence(1);
    let tags: Tags = [("team".to_owned(), "web".to_owned())].into_iter().collect();
    let imported = network.import_key_pair(&mut ids, "laptop", ED25519.as_bytes(), &tags, 1.0).unwrap();
    let input = CreateKeyPair { name: "made".into(), key_type: Some("ed25519".into()), ..CreateKeyPair::default() };
    let (made, private_key) = network.create_key_pair(&mut ids, &input, 2.0).unwrap();
    assert!(private_key.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
    assert!(made.public_key.starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"));
    let again = network.import_key_pair(&mut ids, "laptop", ED25519.as_bytes(), &Tags::new(), 3.0);
    assert_eq!(again.map(drop).map_err(|e| e.to_string()), Err("The keypair 'laptop' already exists.".to_owned()));
    let names = |found: Vec<&KeyPair>| found.into_iter().map(|pair| pair.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(network.describe_key_pairs(&[], &[], &[]).unwrap()), ["laptop", "made"]);
    assert_eq!(names(network.describe_key_pairs(&[], std::slice::from_ref(&made.id), &[]).unwrap()), ["made"]);
    let filter = |name: &str, value: &str| vec![Filter { name: name.into(), values: vec![value.into()] }];
    assert_eq!(names(network.describe_key_pairs(&[], &[], &filter("tag:team", "web")).unwrap()), ["laptop"]);
    assert_eq!(
        names(network.describe_key_pairs(&[], &[], &filter("fingerprint", &made.fingerprint)).unwrap()),
        ["made"]
    );
    assert_eq!(names(network.describe_key_pairs(&[], &[], &filter("key-name", "lap*")).unwrap()), ["laptop"]);
    assert!(matches!(network.describe_key_pairs(&["nope".into()], &[], &[]), Err(Ec2Error::KeyPairNotFound(_))));
    assert!(matches!(network.describe_key_pairs(&[], &[], &filter("colour", "x")), Err(Ec2Error::InvalidFilter(_))));
    assert_eq!(network.delete_key_pair(Some("laptop"), None).unwrap().map(|pair| pair.id), Some(imported.id.clone()));
    assert_eq!(network.delete_key_pair(Some("laptop"), None).unwrap(), None);
    assert!(matches!(network.delete_key_pair(None, Some(&imported.id)), Err(Ec2Error::KeyPairNotFound(_))));
    assert!(!network.tags.contains_key(&imported.id));
}

#[test]
fn creation_refuses_what_it_cannot_make() {
    let mut network = network();
    let create = |network: &mut Network, key_type: Option<&str>, format: Option<&str>| {
        let input = CreateKeyPair {
            name: "k".into(),
            key_type: key_type.map(str::to_owned),
            key_format: format.map(str::to_owned),
            ..CreateKeyPair::default()
        };
        network.create_key_pair(&mut IdSource::Sequence(1), &input, 1.0).map(drop)
    };
    assert!(matches!(create(&mut network, None, Some("ppk")), Err(Ec2Error::Unsupported(_))));
    assert!(matches!(create(&mut network, Some("dsa"), None), Err(Ec2Error::InvalidParameterValue(_))));
    assert!(matches!(create(&mut network, Some("ed25519"), Some("ppk")), Err(Ec2Error::Unsupported(_))));
    assert!(matches!(create(&mut network, Some("ed25519"), Some("der")), Err(Ec2Error::InvalidParameterValue(_))));
    let long = CreateKeyPair { name: "x".repeat(256), key_type: Some("ed25519".into()), ..CreateKeyPair::default() };
    assert!(matches!(
        network.create_key_pair(&mut IdSource::Sequence(1), &long, 1.0),
        Err(Ec2Error::InvalidParameterValue(_))
    ));
    assert!(network.key_pairs.is_empty());
}

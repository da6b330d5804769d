//! EC2 key pairs: ImportKeyPair, CreateKeyPair, DescribeKeyPairs and DeleteKeyPair. Each key pair is a record
//! (`ec2/key-pair/<key-id>`) holding its name, type, fingerprint and OpenSSH public key; a private key is handed
//! out once, by CreateKeyPair, and never stored. Fingerprints are computed as EC2 computes them: for an imported
//! RSA key the MD5 of its DER public key (`SubjectPublicKeyInfo`), for an Ed25519 key (imported or created) the
//! base64 SHA-256 of its OpenSSH public key blob, for a created RSA key the SHA-1 of its PKCS#8 DER private key.
//! CreateKeyPair makes RSA keys (2,048 bits, answered as a PKCS#1 PEM block) and Ed25519 keys (OpenSSH private key
//! format); it refuses the PuTTY format, which would need PuTTY's key file writer.

use md5::{Digest as _, Md5};
use ring::digest;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use rsa::pkcs1::{EncodeRsaPrivateKey as _, LineEnding};
use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
use rsa::rand_core::OsRng;
use rsa::traits::PublicKeyParts as _;
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};

use super::network::{IdSource, check_filters, passes};
use super::{Ec2Error, Filter, Network, Tags};
use crate::ids::{base64, unbase64};

/// A key pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyPair {
    /// `key-...`.
    pub id: String,
    pub name: String,
    /// `rsa` or `ed25519`.
    pub key_type: String,
    pub fingerprint: String,
    /// The public key in OpenSSH's one-line format (`ssh-ed25519 AAAA...`), with the comment it was imported with.
    pub public_key: String,
    /// Unix seconds.
    pub created_at: f64,
}

/// The most bytes of public key material ImportKeyPair takes (EC2 takes RSA keys up to 16,384 bits).
pub const MAX_PUBLIC_KEY_BYTES: usize = 16 * 1024;

/// Key names: 1 to 255 ASCII characters.
fn check_name(name: &str) -> Result<(), Ec2Error> {
    if name.is_empty() || name.len() > 255 || !name.bytes().all(|b| b.is_ascii() && !b.is_ascii_control()) {
        return Err(Ec2Error::InvalidParameterValue(format!(
            "Value ({}) for parameter keyName is invalid. Key names must be 1 to 255 ASCII characters.",
            name.escape_debug()
        )));
    }
    Ok(())
}

fn key_format_error() -> Ec2Error {
    Ec2Error::KeyFormat("Key is not in valid OpenSSH public key format".into())
}

/// A reader of SSH wire strings (`uint32` length, then bytes).
struct Wire<'a>(&'a [u8]);

impl<'a> Wire<'a> {
    fn string(&mut self) -> Option<&'a [u8]> {
        let (length, rest) = self.0.split_first_chunk::<4>()?;
        let length = u32::from_be_bytes(*length) as usize;
        if rest.len() < length {
            return None;
        }
        let (value, rest) = rest.split_at(length);
        self.0 = rest;
        Some(value)
    }
}

fn ssh_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// A parsed OpenSSH public key: its type, its blob and its comment.
struct PublicKey {
    key_type: &'static str,
    blob: Vec<u8>,
    /// For RSA: the modulus and exponent as SSH `mpint`s give them.
    rsa: Option<(Vec<u8>, Vec<u8>)>,
    comment: Option<String>,
}

/// Parses `ssh-rsa AAAA... [comment]` or `ssh-ed25519 AAAA... [comment]`.
fn parse_public_key(material: &[u8]) -> Result<PublicKey, Ec2Error> {
    if material.len() > MAX_PUBLIC_KEY_BYTES {
        return Err(key_format_error());
    }
    let text = std::str::from_utf8(material).map_err(|_| key_format_error())?.trim();
    let mut words = text.splitn(3, ' ');
    let (Some(kind), Some(encoded)) = (words.next(), words.next()) else { return Err(key_format_error()) };
    let comment = words.next().map(str::trim).filter(|comment| !comment.is_empty()).map(str::to_owned);
    if comment.as_deref().is_some_and(|comment| comment.contains(['\0', '\n', '\r'])) {
        return Err(key_format_error());
    }
    let blob = unbase64(encoded).ok_or_else(key_format_error)?;
    let mut wire = Wire(&blob);
    let inner = wire.string().ok_or_else(key_format_error)?;
    if inner != kind.as_bytes() {
        return Err(key_format_error());
    }
    let (key_type, rsa) = match kind {
        "ssh-ed25519" => {
            let key = wire.string().ok_or_else(key_format_error)?;
            if key.len() != 32 {
                return Err(key_format_error());
            }
            ("ed25519", None)
        }
        "ssh-rsa" => {
            let exponent = wire.string().ok_or_else(key_format_error)?.to_vec();
            let modulus = wire.string().ok_or_else(key_format_error)?.to_vec();
            let bits = modulus.iter().skip_while(|b| **b == 0).count() * 8;
            // EC2 takes RSA keys of 1,024 to 16,384 bits.
            if exponent.is_empty() || !(1024..=16_384).contains(&bits) {
                return Err(key_format_error());
            }
            ("rsa", Some((modulus, exponent)))
        }
        _ => return Err(key_format_error()),
    };
    if !wire.0.is_empty() {
        return Err(key_format_error());
    }
    Ok(PublicKey { key_type, blob, rsa, comment })
}

/// The DER `SubjectPublicKeyInfo` of an RSA public key, from its SSH modulus and exponent.
fn rsa_public_key_der(modulus: &[u8], exponent: &[u8]) -> Result<Vec<u8>, Ec2Error> {
    let key =
        RsaPublicKey::new_with_max_size(BigUint::from_bytes_be(modulus), BigUint::from_bytes_be(exponent), 16_384)
            .map_err(|_| key_format_error())?;
    Ok(key.to_public_key_der().map_err(|_| key_format_error())?.into_vec())
}

/// Colon-separated lowercase hex, as EC2 writes MD5 and SHA-1 fingerprints.
fn colon_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// The fingerprint EC2 gives an imported key: the MD5 of an RSA key's DER public key, the base64 SHA-256 of an
/// Ed25519 key's blob.
fn fingerprint(key: &PublicKey) -> Result<String, Ec2Error> {
    Ok(match &key.rsa {
        Some((modulus, exponent)) => colon_hex(&Md5::digest(rsa_public_key_der(modulus, exponent)?)),
        None => base64(digest::digest(&digest::SHA256, &key.blob).as_ref()),
    })
}

/// An SSH `mpint` from a positive big-endian integer: no leading zeros, one added when the top bit is set.
fn ssh_mpint(out: &mut Vec<u8>, value: &[u8]) {
    let trimmed: Vec<u8> = value.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend(trimmed);
    ssh_string(out, &content);
}

/// The bits of an RSA key CreateKeyPair makes, as EC2 makes them.
const CREATED_RSA_BITS: usize = 2048;

/// A new RSA key pair as CreateKeyPair answers it: the OpenSSH public key, the fingerprint (SHA-1 of the PKCS#8
/// DER private key) and the private key as a PKCS#1 PEM block (`BEGIN RSA PRIVATE KEY`).
fn new_rsa_key() -> Result<(String, String, String), Ec2Error> {
    let failed = |error: &dyn std::fmt::Display| Ec2Error::Server(format!("an RSA key could not be made: {error}"));
    let private = RsaPrivateKey::new(&mut OsRng, CREATED_RSA_BITS).map_err(|error| failed(&error))?;
    let pkcs8 = private.to_pkcs8_der().map_err(|error| failed(&error))?;
    let fingerprint = colon_hex(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, pkcs8.as_bytes()).as_ref());
    let pem = private.to_pkcs1_pem(LineEnding::LF).map_err(|error| failed(&error))?;
    let mut blob = Vec::new();
    ssh_string(&mut blob, b"ssh-rsa");
    ssh_mpint(&mut blob, &private.e().to_bytes_be());
    ssh_mpint(&mut blob, &private.n().to_bytes_be());
    Ok((format!("ssh-rsa {}", base64(&blob)), fingerprint, pem.to_string()))
}

/// An Ed25519 private key in OpenSSH's format (`openssh-key-v1`, unencrypted), with its public blob.
fn openssh_ed25519(seed: &[u8; 32], public: &[u8], comment: &str, check: u32) -> String {
    let mut blob = Vec::new();
    ssh_string(&mut blob, b"ssh-ed25519");
    ssh_string(&mut blob, public);
    let mut private = Vec::new();
    private.extend(check.to_be_bytes());
    private.extend(check.to_be_bytes());
    ssh_string(&mut private, b"ssh-ed25519");
    ssh_string(&mut private, public);
    ssh_string(&mut private, &[seed.as_slice(), public].concat());
    ssh_string(&mut private, comment.as_bytes());
    let mut pad = 1u8;
    while private.len() % 8 != 0 {
        private.push(pad);
        pad += 1;
    }
    let mut body = b"openssh-key-v1\0".to_vec();
    ssh_string(&mut body, b"none");
    ssh_string(&mut body, b"none");
    ssh_string(&mut body, b"");
    body.extend(1u32.to_be_bytes());
    ssh_string(&mut body, &blob);
    ssh_string(&mut body, &private);
    let encoded = base64(&body);
    let mut out = String::from("-----BEGIN OPENSSH PRIVATE KEY-----\n");
    for line in encoded.as_bytes().chunks(70) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str("-----END OPENSSH PRIVATE KEY-----\n");
    out
}

/// A new Ed25519 key pair as CreateKeyPair answers it: the OpenSSH public key, the fingerprint (base64 SHA-256
/// of the public blob) and the private key in OpenSSH's format.
fn new_ed25519_key(comment: &str) -> Result<(String, String, String), Ec2Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|error| Ec2Error::Server(format!("no randomness: {error}")))?;
    let signing = Ed25519KeyPair::from_seed_unchecked(&seed)
        .map_err(|_| Ec2Error::Server("an Ed25519 key could not be made".into()))?;
    let public = signing.public_key().as_ref().to_vec();
    let mut blob = Vec::new();
    ssh_string(&mut blob, b"ssh-ed25519");
    ssh_string(&mut blob, &public);
    let fingerprint = base64(digest::digest(&digest::SHA256, &blob).as_ref());
    let check = u32::from_be_bytes([seed[0], seed[1], seed[2], seed[3]]);
    let private_key = openssh_ed25519(&seed, &public, comment, check);
    Ok((format!("ssh-ed25519 {}", base64(&blob)), fingerprint, private_key))
}

/// What CreateKeyPair asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateKeyPair {
    pub name: String,
    /// `rsa` (EC2's default) or `ed25519`.
    pub key_type: Option<String>,
    /// `pem` (the default) or `ppk`.
    pub key_format: Option<String>,
    pub tags: Tags,
}

/// The filters DescribeKeyPairs takes, besides the tag filters.
const KEY_PAIR_FILTERS: &[&str] = &["key-name", "key-pair-id", "fingerprint", "key-type"];

impl Network {
    /// A key pair by id.
    pub fn key_pair_by_id(&self, id: &str) -> Result<&KeyPair, Ec2Error> {
        self.key_pairs
            .get(id)
            .ok_or_else(|| Ec2Error::KeyPairNotFound(format!("The key pair ID '{id}' does not exist")))
    }

    /// A key pair by name.
    pub fn key_pair_by_name(&self, name: &str) -> Result<&KeyPair, Ec2Error> {
        self.key_pairs
            .values()
            .find(|pair| pair.name == name)
            .ok_or_else(|| Ec2Error::KeyPairNotFound(format!("The key pair '{name}' does not exist")))
    }

    /// Stores `pair` under a new id; its name must be free.
    fn add_key_pair(&mut self, ids: &mut IdSource, mut pair: KeyPair, tags: &Tags) -> Result<KeyPair, Ec2Error> {
        check_name(&pair.name)?;
        super::check_tags(tags)?;
        if self.key_pairs.values().any(|other| other.name == pair.name) {
            return Err(Ec2Error::KeyPairDuplicate(pair.name));
        }
        pair.id = ids.id("key");
        self.key_pairs.insert(pair.id.clone(), pair.clone());
        self.tag(&pair.id, tags);
        Ok(pair)
    }

    /// ImportKeyPair: an OpenSSH `ssh-rsa` or `ssh-ed25519` public key (the decoded `PublicKeyMaterial`).
    pub fn import_key_pair(
        &mut self,
        ids: &mut IdSource,
        name: &str,
        material: &[u8],
        tags: &Tags,
        now: f64,
    ) -> Result<KeyPair, Ec2Error> {
        check_name(name)?;
        let key = parse_public_key(material)?;
        let encoded = base64(&key.blob);
        let kind = if key.rsa.is_some() { "ssh-rsa" } else { "ssh-ed25519" };
        let public_key = match &key.comment {
            Some(comment) => format!("{kind} {encoded} {comment}"),
            None => format!("{kind} {encoded}"),
        };
        let pair = KeyPair {
            id: String::new(),
            name: name.to_owned(),
            key_type: key.key_type.to_owned(),
            fingerprint: fingerprint(&key)?,
            public_key,
            created_at: now,
        };
        self.add_key_pair(ids, pair, tags)
    }

    /// CreateKeyPair: a new RSA (2,048 bits) or Ed25519 key pair, and its private key (returned once, never
    /// stored).
    pub fn create_key_pair(
        &mut self,
        ids: &mut IdSource,
        input: &CreateKeyPair,
        now: f64,
    ) -> Result<(KeyPair, String), Ec2Error> {
        check_name(&input.name)?;
        let key_type = match input.key_type.as_deref() {
            None | Some("rsa") => "rsa",
            Some("ed25519") => "ed25519",
            Some(other) => {
                return Err(Ec2Error::InvalidParameterValue(format!(
                    "Value ({other}) for parameter keyType is invalid. Allowed values are [rsa, ed25519]"
                )));
            }
        };
        match input.key_format.as_deref() {
            None | Some("pem") => {}
            Some("ppk") => {
                return Err(Ec2Error::Unsupported(
                    "Private keys in the ppk format cannot be created here: ask for pem.".into(),
                ));
            }
            Some(other) => {
                return Err(Ec2Error::InvalidParameterValue(format!(
                    "Value ({other}) for parameter keyFormat is invalid. Allowed values are [pem, ppk]"
                )));
            }
        }
        // The name is checked for a clash before any key is made: an RSA key takes a while.
        super::check_tags(&input.tags)?;
        if self.key_pairs.values().any(|other| other.name == input.name) {
            return Err(Ec2Error::KeyPairDuplicate(input.name.clone()));
        }
        let (public_key, fingerprint, private_key) =
            if key_type == "rsa" { new_rsa_key()? } else { new_ed25519_key(&input.name)? };
        let pair = KeyPair {
            id: String::new(),
            name: input.name.clone(),
            key_type: key_type.into(),
            fingerprint,
            public_key,
            created_at: now,
        };
        let pair = self.add_key_pair(ids, pair, &input.tags)?;
        Ok((pair, private_key))
    }

    /// DescribeKeyPairs: every name and id asked for must exist.
    pub fn describe_key_pairs(
        &self,
        names: &[String],
        ids: &[String],
        filters: &[Filter],
    ) -> Result<Vec<&KeyPair>, Ec2Error> {
        check_filters(filters, KEY_PAIR_FILTERS)?;
        for name in names {
            self.key_pair_by_name(name)?;
        }
        for id in ids {
            self.key_pair_by_id(id)?;
        }
        let mut out: Vec<&KeyPair> = self
            .key_pairs
            .values()
            .filter(|pair| (names.is_empty() && ids.is_empty()) || names.contains(&pair.name) || ids.contains(&pair.id))
            .filter(|pair| {
                passes(filters, self.tags.get(&pair.id), |name| match name {
                    "key-name" => vec![pair.name.clone()],
                    "key-pair-id" => vec![pair.id.clone()],
                    "fingerprint" => vec![pair.fingerprint.clone()],
                    "key-type" => vec![pair.key_type.clone()],
                    _ => Vec::new(),
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// DeleteKeyPair by name or id: the deleted pair, none when no pair has that name (EC2 answers success).
    pub fn delete_key_pair(&mut self, name: Option<&str>, id: Option<&str>) -> Result<Option<KeyPair>, Ec2Error> {
        let found = match (name, id) {
            (_, Some(id)) => Some(self.key_pair_by_id(id)?.id.clone()),
            (Some(name), None) => self.key_pairs.values().find(|pair| pair.name == name).map(|pair| pair.id.clone()),
            (None, None) => {
                return Err(Ec2Error::MissingParameter(
                    "The request must contain the parameter KeyName or KeyPairId".into(),
                ));
            }
        };
        let Some(id) = found else { return Ok(None) };
        self.untag(&id);
        Ok(self.key_pairs.remove(&id))
    }
}

#[cfg(test)]
mod tests;

//! EC2 key pairs: ImportKeyPair, CreateKeyPair, DescribeKeyPairs and DeleteKeyPair. Each key pair is a record
//! (`ec2/key-pair/<key-id>`) holding its name, type, fingerprint and OpenSSH public key; a private key is handed
//! out once, by CreateKeyPair, and never stored. Fingerprints are computed as EC2 computes them: for an imported
//! RSA key the MD5 of its DER public key (`SubjectPublicKeyInfo`), for an Ed25519 key (imported or created) the
//! base64 SHA-256 of its OpenSSH public key blob. CreateKeyPair makes Ed25519 keys (OpenSSH private key format);
//! it refuses RSA keys and the PuTTY format, which would need an RSA key generator and PuTTY's key file writer.

use ring::digest;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
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

/// A DER length.
fn der_length(out: &mut Vec<u8>, length: usize) {
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes: Vec<u8> = length.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    der_length(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER from an SSH `mpint` (big-endian, positive).
fn der_integer(value: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = value.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend(trimmed);
    der(0x02, &content)
}

/// The DER `SubjectPublicKeyInfo` of an RSA public key.
fn rsa_public_key_der(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
    // SEQUENCE { OID 1.2.840.113549.1.1.1 (rsaEncryption), NULL }.
    const ALGORITHM: [u8; 15] =
        [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];
    let algorithm = ALGORITHM.to_vec();
    let key = der(0x30, &[der_integer(modulus), der_integer(exponent)].concat());
    let mut bits = vec![0u8];
    bits.extend(key);
    der(0x30, &[algorithm, der(0x03, &bits)].concat())
}

/// Colon-separated lowercase hex, as EC2 writes MD5 and SHA-1 fingerprints.
fn colon_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// The fingerprint EC2 gives an imported key.
fn fingerprint(key: &PublicKey) -> String {
    match &key.rsa {
        Some((modulus, exponent)) => colon_hex(&md5(&rsa_public_key_der(modulus, exponent))),
        None => base64(digest::digest(&digest::SHA256, &key.blob).as_ref()),
    }
}

/// MD5 (RFC 1321), which ring does not offer; used only for the fingerprints EC2 defines with it.
fn md5(message: &[u8]) -> [u8; 16] {
    const SHIFTS: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14,
        20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6,
        10, 15, 21,
    ];
    let constants: Vec<u32> = (0..64).map(|i| ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32).collect();
    let mut state: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    let mut padded = message.to_vec();
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend(((message.len() as u64).wrapping_mul(8)).to_le_bytes());
    for block in padded.chunks_exact(64) {
        let words: Vec<u32> = block.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect();
        let [mut a, mut b, mut c, mut d] = state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let rotated = a.wrapping_add(f).wrapping_add(constants[i]).wrapping_add(words[g]).rotate_left(SHIFTS[i]);
            (a, d, c) = (d, c, b);
            b = b.wrapping_add(rotated);
        }
        for (slot, value) in state.iter_mut().zip([a, b, c, d]) {
            *slot = slot.wrapping_add(value);
        }
    }
    let mut out = [0u8; 16];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    out
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
            fingerprint: fingerprint(&key),
            public_key,
            created_at: now,
        };
        self.add_key_pair(ids, pair, tags)
    }

    /// CreateKeyPair: a new Ed25519 key pair, and its private key (returned once, never stored).
    pub fn create_key_pair(
        &mut self,
        ids: &mut IdSource,
        input: &CreateKeyPair,
        now: f64,
    ) -> Result<(KeyPair, String), Ec2Error> {
        check_name(&input.name)?;
        match input.key_type.as_deref() {
            None | Some("rsa") => {
                return Err(Ec2Error::Unsupported(
                    "RSA key pairs cannot be created here: create an ed25519 key pair (KeyType ed25519) or import an \
                     RSA public key with ImportKeyPair."
                        .into(),
                ));
            }
            Some("ed25519") => {}
            Some(other) => {
                return Err(Ec2Error::InvalidParameterValue(format!(
                    "Value ({other}) for parameter keyType is invalid. Allowed values are [rsa, ed25519]"
                )));
            }
        }
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
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|error| Ec2Error::Server(format!("no randomness: {error}")))?;
        let signing = Ed25519KeyPair::from_seed_unchecked(&seed)
            .map_err(|_| Ec2Error::Server("an Ed25519 key could not be made".into()))?;
        let public = signing.public_key().as_ref().to_vec();
        let mut blob = Vec::new();
        ssh_string(&mut blob, b"ssh-ed25519");
        ssh_string(&mut blob, &public);
        let fingerprint = base64(digest::digest(&digest::SHA256, &blob).as_ref());
        let public_key = format!("ssh-ed25519 {}", base64(&blob));
        let check = u32::from_be_bytes([seed[0], seed[1], seed[2], seed[3]]);
        let private_key = openssh_ed25519(&seed, &public, &input.name, check);
        let pair = KeyPair {
            id: String::new(),
            name: input.name.clone(),
            key_type: "ed25519".into(),
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

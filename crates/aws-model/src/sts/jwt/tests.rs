use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use serde_json::json;

use super::*;

const NOW: f64 = 1_800_000_000.0;

/// A P-256 key pair, its JWKS (`kid` "k1"), and a signer of claims with a chosen header.
pub(crate) struct Signer {
    key: EcdsaKeyPair,
}

impl Signer {
    pub(crate) fn new() -> Signer {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        Signer { key: EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap() }
    }

    pub(crate) fn jwks(&self) -> Value {
        let point = self.key.public_key().as_ref();
        json!({ "keys": [{ "kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "use": "sig",
                           "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]) }] })
    }

    pub(crate) fn sign_with(&self, header: &Value, claims: &Value) -> String {
        let encode = |value: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap());
        let input = format!("{}.{}", encode(header), encode(claims));
        let signature = self.key.sign(&ring::rand::SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }

    pub(crate) fn sign(&self, claims: &Value) -> String {
        self.sign_with(&json!({ "alg": "ES256", "kid": "k1" }), claims)
    }
}

pub(crate) fn claims(issuer: &str, subject: &str, audience: &str, issued: f64) -> Value {
    json!({ "iss": issuer, "sub": subject, "aud": [audience], "iat": issued as i64, "nbf": issued as i64,
            "exp": issued as i64 + 3600 })
}

/// Decodes, verifies and time-checks `token` against `jwks` at `now`.
fn check(token: &str, jwks: &Value, now: f64, expect: Result<(), JwtError>) {
    let got = WebToken::decode(token).and_then(|t| t.verify_signature(jwks).and_then(|()| t.check_times(now)));
    assert_eq!(got, expect, "{token:.80}");
}

#[test]
fn tokens_verify_only_with_their_key_and_in_their_time() {
    let signer = Signer::new();
    let jwks = signer.jwks();
    let good = signer.sign(&claims("https://issuer", "system:serviceaccount:default:app", "sts.amazonaws.com", NOW));
    check(&good, &jwks, NOW, Ok(()));
    check(&good, &jwks, NOW + 3600.0 + CLOCK_SKEW_SECONDS, Ok(()));
    check(&good, &jwks, NOW + 3601.0 + CLOCK_SKEW_SECONDS, Err(JwtError::Expired { expires: NOW as i64 + 3600 }));
    check(&good, &jwks, NOW - 301.0, Err(JwtError::NotYetValid));
    check(&good, &Signer::new().jwks(), NOW, Err(JwtError::BadSignature));
    check(&good, &json!({ "keys": [] }), NOW, Err(JwtError::NoKey));
    check(&good, &json!("garbage"), NOW, Err(JwtError::NoKey));

    let mut tampered: Vec<&str> = good.split('.').collect();
    let other = signer.sign(&claims("https://issuer", "system:serviceaccount:default:admin", "sts.amazonaws.com", NOW));
    tampered[1] = other.split('.').nth(1).unwrap();
    check(&tampered.join("."), &jwks, NOW, Err(JwtError::BadSignature));

    let body = claims("https://issuer", "s", "a", NOW);
    let none = signer.sign_with(&json!({ "alg": "none" }), &body);
    check(&none, &jwks, NOW, Err(JwtError::BadSignature));
    let unsigned = format!("{}.", none.rsplit_once('.').unwrap().0);
    check(&unsigned, &jwks, NOW, Err(JwtError::BadSignature));
    let hs = signer.sign_with(&json!({ "alg": "HS256", "kid": "k1" }), &body);
    check(&hs, &jwks, NOW, Err(JwtError::BadSignature));
    let other_kid = signer.sign_with(&json!({ "alg": "ES256", "kid": "k2" }), &body);
    check(&other_kid, &jwks, NOW, Err(JwtError::NoKey));
    let no_kid = signer.sign_with(&json!({ "alg": "ES256" }), &body);
    check(&no_kid, &jwks, NOW, Ok(()));
    let no_exp = signer.sign(&json!({ "iss": "https://issuer", "sub": "s", "aud": "a" }));
    check(&no_exp, &jwks, NOW, Err(JwtError::NotAJwt));
}

#[test]
fn garbage_is_not_a_jwt() {
    let signer = Signer::new();
    let no_issuer = signer.sign(&json!({ "sub": "s", "exp": 1 }));
    let array = signer.sign(&json!([1, 2]));
    for garbage in ["", "....", "a.b", "a.b.c", "a.b.c.d", "eyJhbGciOiJub25lIn0.e30.", "\u{0}\u{1}", &no_issuer, &array]
    {
        assert_eq!(WebToken::decode(garbage), Err(JwtError::NotAJwt), "{garbage:.60}");
    }
}

#[test]
fn audiences_are_one_or_many() {
    let signer = Signer::new();
    let one = WebToken::decode(&signer.sign(&json!({ "iss": "i", "sub": "s", "aud": "x" }))).unwrap();
    assert_eq!(one.audiences(), ["x"]);
    let many = WebToken::decode(&signer.sign(&json!({ "iss": "i", "sub": "s", "aud": ["x", "y"] }))).unwrap();
    assert_eq!(many.audiences(), ["x", "y"]);
    let none = WebToken::decode(&signer.sign(&json!({ "iss": "i", "sub": "s" }))).unwrap();
    assert!(none.audiences().is_empty());
}

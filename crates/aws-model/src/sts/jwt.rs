//! Web identity tokens: JSON Web Tokens read and checked as STS checks them for AssumeRoleWithWebIdentity, a
//! decision core with no IO. [`WebToken::decode`] reads a token without trusting it (the issuer decides where
//! the keys come from), [`WebToken::verify_signature`] checks it against the issuer's JWKS (ES256 and RS256 keys),
//! and [`WebToken::check_times`] its `exp`, `nbf` and `iat`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// How far `exp`, `nbf` and `iat` may be off: STS allows five minutes of clock skew.
pub const CLOCK_SKEW_SECONDS: f64 = 300.0;

/// Why a token is refused; each maps to one STS error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url parts of JSON, or claims STS needs are missing.
    #[error("the token is not a valid JWT")]
    NotAJwt,
    /// No key of the issuer's JWKS matches the token's `kid` and algorithm.
    #[error("no verification key for the token")]
    NoKey,
    /// The signature does not verify, or the algorithm is not one STS accepts (`none` included).
    #[error("the token's signature does not verify")]
    BadSignature,
    /// `exp` has passed.
    #[error("the token expired at {expires}")]
    Expired {
        /// `exp`, Unix seconds.
        expires: i64,
    },
    /// `nbf` or `iat` lies in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
}

/// A decoded token whose signature is not checked yet.
#[derive(Debug, Clone, PartialEq)]
pub struct WebToken {
    header: Value,
    /// The token's claims.
    pub claims: Value,
    signing_input: String,
    signature: Vec<u8>,
}

impl WebToken {
    /// Reads a compact JWS with an issuer and a subject; anything else is [`JwtError::NotAJwt`].
    pub fn decode(token: &str) -> Result<WebToken, JwtError> {
        let decoded = WebToken::parse(token)?;
        if decoded.issuer().is_none() || decoded.subject().is_none() {
            return Err(JwtError::NotAJwt);
        }
        Ok(decoded)
    }

    /// Reads a compact JWS (three base64url parts, the first two JSON objects) whatever its claims; anything else
    /// is [`JwtError::NotAJwt`].
    pub fn parse(token: &str) -> Result<WebToken, JwtError> {
        let parts: Vec<&str> = token.trim().split('.').collect();
        let [header, payload, signature] = parts[..] else { return Err(JwtError::NotAJwt) };
        let json = |part: &str| -> Result<Value, JwtError> {
            let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| JwtError::NotAJwt)?;
            let value: Value = serde_json::from_slice(&bytes).map_err(|_| JwtError::NotAJwt)?;
            if value.is_object() { Ok(value) } else { Err(JwtError::NotAJwt) }
        };
        let decoded = WebToken {
            header: json(header)?,
            claims: json(payload)?,
            signing_input: format!("{header}.{payload}"),
            signature: URL_SAFE_NO_PAD.decode(signature).map_err(|_| JwtError::NotAJwt)?,
        };
        Ok(decoded)
    }

    /// `iss`.
    pub fn issuer(&self) -> Option<&str> {
        self.claims.get("iss").and_then(Value::as_str).filter(|iss| !iss.is_empty())
    }

    /// `sub`.
    pub fn subject(&self) -> Option<&str> {
        self.claims.get("sub").and_then(Value::as_str)
    }

    /// `aud`: one string or a list of them.
    pub fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// Checks the signature with the key of `jwks` (a JWK Set) that the header's `kid` names, or the only key of
    /// the right type when the header names none.
    pub fn verify_signature(&self, jwks: &Value) -> Result<(), JwtError> {
        let algorithm = self.header.get("alg").and_then(Value::as_str).unwrap_or_default();
        let key_type = match algorithm {
            "ES256" => "EC",
            "RS256" => "RSA",
            _ => return Err(JwtError::BadSignature),
        };
        let kid = self.header.get("kid").and_then(Value::as_str);
        let keys = jwks.get("keys").and_then(Value::as_array).ok_or(JwtError::NoKey)?;
        let candidates: Vec<&Value> = keys
            .iter()
            .filter(|key| key.get("kty").and_then(Value::as_str) == Some(key_type))
            .filter(|key| kid.is_none() || key.get("kid").and_then(Value::as_str) == kid)
            .collect();
        let [key] = candidates[..] else { return Err(JwtError::NoKey) };
        let field = |name: &str| -> Result<Vec<u8>, JwtError> {
            let text = key.get(name).and_then(Value::as_str).ok_or(JwtError::NoKey)?;
            URL_SAFE_NO_PAD.decode(text).map_err(|_| JwtError::NoKey)
        };
        let message = self.signing_input.as_bytes();
        let verified = match key_type {
            "EC" => {
                if key.get("crv").and_then(Value::as_str) != Some("P-256") {
                    return Err(JwtError::NoKey);
                }
                let mut point = vec![0x04];
                point.extend(field("x")?);
                point.extend(field("y")?);
                ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, &self.signature)
            }
            _ => ring::signature::RsaPublicKeyComponents { n: field("n")?, e: field("e")? }.verify(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                message,
                &self.signature,
            ),
        };
        verified.map_err(|_| JwtError::BadSignature)
    }

    /// Checks `exp` (required), `nbf` and `iat` against `now` (Unix seconds), with [`CLOCK_SKEW_SECONDS`].
    pub fn check_times(&self, now: f64) -> Result<(), JwtError> {
        let number = |name: &str| self.claims.get(name).and_then(Value::as_f64);
        let expires = number("exp").ok_or(JwtError::NotAJwt)?;
        if now > expires + CLOCK_SKEW_SECONDS {
            return Err(JwtError::Expired { expires: expires as i64 });
        }
        for name in ["nbf", "iat"] {
            if number(name).is_some_and(|at| at > now + CLOCK_SKEW_SECONDS) {
                return Err(JwtError::NotYetValid);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests;

//! Service account tokens: JWTs (ES256) signed by the cluster's service account key, issued by the `token`
//! subresource of a ServiceAccount (`kubectl create token`) and accepted as bearer tokens while they are
//! unexpired, meant for this API server and their service account (and the pod they are bound to) still exist
//! with the same uid. The issuer's discovery documents (`/.well-known/openid-configuration`,
//! `/openid/v1/jwks`) let others check them. A cluster EKS created has a public issuer, its own endpoint plus
//! `/id/<id>`, whose documents (`<issuer>/.well-known/openid-configuration`, `<issuer>/keys`) the API server
//! serves to anyone, as EKS's issuer does, so that IRSA's web identity tokens can be checked.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use serde_json::{Value, json};

use crate::identity::AuthenticatedUser;
use crate::status::{ApiError, Cause};

/// The issuer and the audience tokens are minted for unless a request names others, for clusters without a public
/// issuer (EKS's clusters use their OIDC issuer, as kube-apiserver's `--service-account-issuer` does on EKS).
pub const DEFAULT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// How long a token lives when the request does not say: one hour.
const DEFAULT_EXPIRATION_SECONDS: i64 = 3600;
/// The shortest lifetime a request may ask for: ten minutes.
const MIN_EXPIRATION_SECONDS: i64 = 600;
/// The longest: 2^32 seconds, as upstream's validation allows.
const MAX_EXPIRATION_SECONDS: i64 = 1 << 32;

/// The cluster's token signer and verifier.
#[derive(Debug)]
pub struct TokenIssuer {
    key: EcdsaKeyPair,
    key_id: String,
    pub issuer: String,
    /// The path of a public issuer on this API server (`/id/<id>`).
    public_path: Option<String>,
}

/// Who a verified token speaks for, before the caller checks that they still exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub namespace: String,
    pub service_account: String,
    pub service_account_uid: String,
    /// The pod (name, uid) the token is bound to.
    pub pod: Option<(String, String)>,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl TokenIssuer {
    pub fn new(pkcs8: &[u8], issuer: &str) -> Result<TokenIssuer, String> {
        let rng = ring::rand::SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|error| format!("service account key: {error}"))?;
        let digest = ring::digest::digest(&ring::digest::SHA256, key.public_key().as_ref());
        let key_id = URL_SAFE_NO_PAD.encode(digest.as_ref());
        let public_path = (issuer != DEFAULT_ISSUER)
            .then(|| issuer.strip_prefix("https://"))
            .flatten()
            .and_then(|rest| rest.find('/').map(|slash| rest[slash..].trim_end_matches('/').to_owned()))
            .filter(|path| !path.is_empty());
        Ok(TokenIssuer { key, key_id, issuer: issuer.to_owned(), public_path })
    }

    /// Where the API server serves this issuer's public documents (`/id/<id>`), if it is a public issuer.
    pub fn public_path(&self) -> Option<&str> {
        self.public_path.as_deref()
    }

    /// Answers a `TokenRequest` for a service account: the request with `status.token` filled in. `bound` is the
    /// pod named by `spec.boundObjectRef` when there is one (name, uid), checked by the caller.
    pub fn token_request(
        &self,
        request: &Value,
        namespace: &str,
        account: &Value,
        bound: Option<(String, String)>,
    ) -> Result<Value, ApiError> {
        let account_name = account.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
        let account_uid = account.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or_default();
        let expiration = match request.pointer("/spec/expirationSeconds") {
            None | Some(Value::Null) => DEFAULT_EXPIRATION_SECONDS,
            Some(value) => {
                value.as_i64().ok_or_else(|| ApiError::bad_request("spec.expirationSeconds must be an integer"))?
            }
        };
        let invalid = |message: String| {
            ApiError::invalid_named(
                "TokenRequest.authentication.k8s.io",
                account_name,
                vec![Cause { reason: "FieldValueInvalid", message, field: "spec.expirationSeconds".into() }],
            )
        };
        if expiration < MIN_EXPIRATION_SECONDS {
            return Err(invalid(format!(
                "Invalid value: {expiration}: may not specify a duration less than 10 minutes"
            )));
        }
        if expiration > MAX_EXPIRATION_SECONDS {
            return Err(invalid(format!(
                "Invalid value: {expiration}: may not specify a duration larger than 2^32 seconds"
            )));
        }
        let audiences: Vec<String> = match request.pointer("/spec/audiences").and_then(Value::as_array) {
            Some(list) if !list.is_empty() => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => vec![self.issuer.clone()],
        };
        let issued = now();
        let expires = issued + expiration;
        let mut kubernetes = json!({
            "namespace": namespace,
            "serviceaccount": { "name": account_name, "uid": account_uid },
        });
        if let Some((pod, uid)) = &bound {
            kubernetes["pod"] = json!({ "name": pod, "uid": uid });
        }
        let claims = json!({
            "aud": audiences,
            "exp": expires,
            "iat": issued,
            "nbf": issued,
            "iss": self.issuer,
            "jti": crate::object::new_uid(),
            "sub": format!("system:serviceaccount:{namespace}:{account_name}"),
            "kubernetes.io": kubernetes,
        });
        let token = self.sign(&claims);
        let expiration_timestamp = time::OffsetDateTime::from_unix_timestamp(expires)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default();
        let mut answer = request.clone();
        answer["apiVersion"] = json!("authentication.k8s.io/v1");
        answer["kind"] = json!("TokenRequest");
        answer["metadata"] = json!({
            "name": account_name,
            "namespace": namespace,
            "creationTimestamp": crate::object::now_timestamp(),
        });
        answer["spec"]["audiences"] = json!(audiences);
        answer["spec"]["expirationSeconds"] = json!(expiration);
        answer["status"] = json!({ "token": token, "expirationTimestamp": expiration_timestamp });
        Ok(answer)
    }

    fn sign(&self, claims: &Value) -> String {
        let header = json!({ "alg": "ES256", "kid": self.key_id });
        let encode = |value: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("JSON serializes"));
        let signing_input = format!("{}.{}", encode(&header), encode(claims));
        let rng = ring::rand::SystemRandom::new();
        let signature = self.key.sign(&rng, signing_input.as_bytes()).expect("ECDSA signing does not fail");
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }

    /// Checks a bearer token's signature, issuer, audience and times; `None` for anything else (including tokens
    /// that are not JWTs at all).
    pub fn verify(&self, token: &str) -> Option<TokenClaims> {
        let mut parts = token.split('.');
        let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        if header.get("alg").and_then(Value::as_str) != Some("ES256") {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let public = ring::signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, self.key.public_key().as_ref());
        public.verify(format!("{}.{payload}", token.split('.').next()?).as_bytes(), &signature).ok()?;
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return None;
        }
        let audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => return None,
        };
        if !audiences.contains(&self.issuer.as_str()) {
            return None;
        }
        let now = now();
        let exp = claims.get("exp").and_then(Value::as_i64)?;
        let nbf = claims.get("nbf").and_then(Value::as_i64).unwrap_or(0);
        // A minute of leeway for clocks, as upstream allows.
        if now > exp + 60 || now + 60 < nbf {
            return None;
        }
        let kubernetes = claims.get("kubernetes.io")?;
        let text = |pointer: &str| kubernetes.pointer(pointer).and_then(Value::as_str).map(str::to_owned);
        Some(TokenClaims {
            namespace: text("/namespace")?,
            service_account: text("/serviceaccount/name")?,
            service_account_uid: text("/serviceaccount/uid")?,
            pod: text("/pod/name").zip(text("/pod/uid")),
        })
    }

    /// The user a verified token's service account is.
    pub fn user(claims: &TokenClaims) -> AuthenticatedUser {
        let mut extra = std::collections::BTreeMap::new();
        if let Some((pod, uid)) = &claims.pod {
            extra.insert("authentication.kubernetes.io/pod-name".to_owned(), vec![pod.clone()]);
            extra.insert("authentication.kubernetes.io/pod-uid".to_owned(), vec![uid.clone()]);
        }
        AuthenticatedUser {
            username: format!("system:serviceaccount:{}:{}", claims.namespace, claims.service_account),
            uid: claims.service_account_uid.clone(),
            groups: vec![
                "system:serviceaccounts".to_owned(),
                format!("system:serviceaccounts:{}", claims.namespace),
                "system:authenticated".to_owned(),
            ],
            extra,
            grants: Vec::new(),
        }
    }

    /// `/.well-known/openid-configuration` of the issuer.
    pub fn discovery(&self) -> Value {
        if self.public_path.is_some() {
            // EKS's public issuer document.
            return json!({
                "issuer": self.issuer,
                "jwks_uri": format!("{}/keys", self.issuer),
                "authorization_endpoint": "urn:kubernetes:programmatic_authorization",
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "claims_supported": ["sub", "iss"],
                "id_token_signing_alg_values_supported": ["ES256"],
            });
        }
        json!({
            "issuer": self.issuer,
            "jwks_uri": format!("{}/openid/v1/jwks", self.issuer),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
        })
    }

    /// `/openid/v1/jwks`: the public key tokens are signed with.
    pub fn jwks(&self) -> Value {
        let point = self.key.public_key().as_ref();
        json!({
            "keys": [{
                "use": "sig",
                "kty": "EC",
                "kid": self.key_id,
                "crv": "P-256",
                "alg": "ES256",
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            }]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> TokenIssuer {
        let key = rcgen::KeyPair::generate().unwrap();
        TokenIssuer::new(&key.serialize_der(), DEFAULT_ISSUER).unwrap()
    }

    fn account() -> Value {
        json!({ "metadata": { "name": "robot", "uid": "1234" } })
    }

    #[test]
    fn tokens_verify_until_tampered_with() {
        let issuer = issuer();
        let answer = issuer.token_request(&json!({ "spec": {} }), "default", &account(), None).unwrap();
        let token = answer["status"]["token"].as_str().unwrap();
        let claims = issuer.verify(token).expect("a fresh token verifies");
        assert_eq!((claims.namespace.as_str(), claims.service_account.as_str()), ("default", "robot"));
        assert_eq!(TokenIssuer::user(&claims).username, "system:serviceaccount:default:robot");
        assert_eq!(answer["spec"]["expirationSeconds"], 3600);

        let other = issuer_for_other_cluster();
        assert!(other.verify(token).is_none(), "another cluster's key");
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        claims["kubernetes.io"]["serviceaccount"]["name"] = json!("admin");
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        assert!(issuer.verify(&parts.join(".")).is_none(), "changed claims");
        for garbage in
            ["", "a.b", "a.b.c", "a.b.c.d", "eyJhbGciOiJub25lIn0.e30.", token.trim_end_matches(char::is_alphanumeric)]
        {
            assert!(issuer.verify(garbage).is_none(), "{garbage}");
        }
        let foreign = issuer
            .token_request(&json!({ "spec": { "audiences": ["sts.amazonaws.com"] } }), "default", &account(), None)
            .unwrap();
        assert!(issuer.verify(foreign["status"]["token"].as_str().unwrap()).is_none(), "not meant for this server");
    }

    #[test]
    fn a_public_issuer_is_served_under_its_path_and_names_its_keys() {
        let key = rcgen::KeyPair::generate().unwrap();
        let public = TokenIssuer::new(&key.serialize_der(), "https://127.0.0.1:6443/id/ABC123").unwrap();
        assert_eq!(public.public_path(), Some("/id/ABC123"));
        assert_eq!(public.discovery()["jwks_uri"], "https://127.0.0.1:6443/id/ABC123/keys");
        let answer = public.token_request(&json!({ "spec": {} }), "default", &account(), None).unwrap();
        let token = answer["status"]["token"].as_str().unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap();
        assert_eq!(claims["iss"], "https://127.0.0.1:6443/id/ABC123");
        assert_eq!(claims["aud"], json!(["https://127.0.0.1:6443/id/ABC123"]));
        assert!(public.verify(token).is_some(), "its own tokens verify");
        assert!(issuer().verify(token).is_none(), "another issuer's do not");

        assert_eq!(issuer().public_path(), None);
        assert_eq!(issuer().discovery()["jwks_uri"], format!("{DEFAULT_ISSUER}/openid/v1/jwks"));
        for odd in ["https://host", "https://host/", "http://host/id/x", "garbage"] {
            assert_eq!(TokenIssuer::new(&key.serialize_der(), odd).unwrap().public_path(), None, "{odd}");
        }
    }

    fn issuer_for_other_cluster() -> TokenIssuer {
        issuer()
    }

    #[test]
    fn lifetimes_outside_the_limits_are_refused() {
        let issuer = issuer();
        for seconds in [0i64, 599, 1 << 33] {
            let request = json!({ "spec": { "expirationSeconds": seconds } });
            let error = issuer.token_request(&request, "default", &account(), None).unwrap_err();
            assert_eq!(error.code, 422, "{seconds}");
        }
        assert_eq!(
            issuer
                .token_request(&json!({ "spec": { "expirationSeconds": "x" } }), "default", &account(), None)
                .unwrap_err()
                .code,
            400
        );
        let jwks = issuer.jwks();
        assert_eq!(jwks["keys"][0]["kty"], "EC");
    }
}

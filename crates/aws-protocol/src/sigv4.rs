//! AWS Signature Version 4: reading the signature of a request (the `Authorization` header or a presigned
//! query), rebuilding the canonical request exactly as AWS does for every service but S3, and checking the
//! signature against a secret key and the clock. [`sign`] and [`presign`] produce signatures the same way, for
//! tests and for callers that need signed requests.
//!
//! Parsing needs no secret: the caller reads the access key id from [`SignedRequest::access_key_id`], looks up
//! its secret, then calls [`SignedRequest::verify`].

use http::header::{AUTHORIZATION, HOST};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri};
use ring::{digest, hmac};
use time::{Duration, OffsetDateTime};

use crate::encoding::{hex, percent_decode, unhex, uri_encode};
use crate::error::{AwsError, Protocol};
use crate::timestamp::{format_basic, parse_basic, parse_http_date};

/// The one signing algorithm SigV4 defines.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The payload hash a client sends when it did not hash the body.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// How far the signing time may lie from the server's clock.
pub const MAX_SKEW: Duration = Duration::minutes(15);
/// The longest validity a presigned request may ask for (seven days).
pub const MAX_EXPIRES_SECONDS: u64 = 604_800;

const TERMINATOR: &str = "aws4_request";
const SECURITY_TOKEN: &str = "x-amz-security-token";
const CONTENT_SHA256: &str = "x-amz-content-sha256";
/// Headers that clients never sign because proxies may change them.
const UNSIGNABLE_HEADERS: &[&str] = &["authorization", "expect", "transfer-encoding", "user-agent", "x-amzn-trace-id"];

/// Why a request's signature was refused. [`AuthError::to_aws_error`] gives the code, message and status that
/// AWS answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The request has neither an `Authorization` header nor presigned query parameters.
    #[error("the request is not signed")]
    MissingAuthentication,
    /// Parts of the signature are missing or malformed; the text is the message AWS gives.
    #[error("incomplete signature: {0}")]
    Incomplete(String),
    /// The signature names an algorithm other than `AWS4-HMAC-SHA256`.
    #[error("unsupported signing algorithm '{0}'")]
    UnsupportedAlgorithm(String),
    /// The signature is not the one the secret key gives for this request.
    #[error("the signature does not match")]
    SignatureMismatch,
    /// The signing time is more than 15 minutes before the server's clock.
    #[error("the signature expired: signed at {signed_at}, earlier than {earliest} ({now} - 15 min.)")]
    Expired {
        /// When the request was signed, `YYYYMMDDTHHMMSSZ`.
        signed_at: String,
        /// The earliest signing time accepted now.
        earliest: String,
        /// The server's clock.
        now: String,
    },
    /// The signing time is more than 15 minutes after the server's clock.
    #[error("the signature is not yet current: signed at {signed_at}, later than {latest} ({now} + 15 min.)")]
    NotYetCurrent {
        /// When the request was signed, `YYYYMMDDTHHMMSSZ`.
        signed_at: String,
        /// The latest signing time accepted now.
        latest: String,
        /// The server's clock.
        now: String,
    },
    /// A presigned request is used after its `X-Amz-Expires` ran out.
    #[error("the presigned request expired at {0}")]
    RequestExpired(String),
    /// The access key id is not known. Raised by the caller that looks up keys, not by this module.
    #[error("unknown access key id '{0}'")]
    UnknownAccessKey(String),
    /// `X-Amz-Content-Sha256` names a hash that the body does not have.
    #[error("the body does not have the hash that x-amz-content-sha256 names")]
    PayloadHashMismatch,
    /// The temporary credentials that signed have expired. Raised by the caller that looks up sessions.
    #[error("the security token has expired")]
    ExpiredToken,
}

impl AuthError {
    /// The error AWS answers with in `protocol`. The query protocols use the common error codes
    /// (`SignatureDoesNotMatch`, `InvalidClientTokenId`, ...); the JSON protocols use their `...Exception`
    /// counterparts (`InvalidSignatureException`, `UnrecognizedClientException`, ...), and EC2 says
    /// `AuthFailure` for an unknown key.
    pub fn to_aws_error(&self, protocol: Protocol) -> AwsError {
        let json = !protocol.is_xml();
        let code = |query: &str, json_code: &str| if json { json_code.to_owned() } else { query.to_owned() };
        let signature_code = || code("SignatureDoesNotMatch", "InvalidSignatureException");
        match self {
            AuthError::MissingAuthentication => AwsError::new(
                code("MissingAuthenticationToken", "MissingAuthenticationTokenException"),
                if json { "Missing Authentication Token" } else { "Request is missing Authentication Token" },
                StatusCode::FORBIDDEN,
            ),
            AuthError::Incomplete(message) => AwsError::new(
                code("IncompleteSignature", "IncompleteSignatureException"),
                message.clone(),
                StatusCode::BAD_REQUEST,
            ),
            AuthError::UnsupportedAlgorithm(algorithm) => AwsError::new(
                code("IncompleteSignature", "IncompleteSignatureException"),
                format!("Unsupported AWS 'algorithm': '{algorithm}'"),
                StatusCode::BAD_REQUEST,
            ),
            AuthError::SignatureMismatch => AwsError::new(
                signature_code(),
                "The request signature we calculated does not match the signature you provided. Check your AWS \
                 Secret Access Key and signing method. Consult the service documentation for details.",
                StatusCode::FORBIDDEN,
            ),
            AuthError::Expired { signed_at, earliest, now } => AwsError::new(
                signature_code(),
                format!("Signature expired: {signed_at} is now earlier than {earliest} ({now} - 15 min.)"),
                StatusCode::FORBIDDEN,
            ),
            AuthError::NotYetCurrent { signed_at, latest, now } => AwsError::new(
                signature_code(),
                format!("Signature not yet current: {signed_at} is still later than {latest} ({now} + 15 min.)"),
                StatusCode::FORBIDDEN,
            ),
            AuthError::RequestExpired(_) => AwsError::new(
                code("AccessDenied", "AccessDeniedException"),
                "Request has expired",
                StatusCode::FORBIDDEN,
            ),
            AuthError::UnknownAccessKey(_) if protocol == Protocol::Ec2 => AwsError::new(
                "AuthFailure",
                "AWS was not able to validate the provided access credentials",
                StatusCode::UNAUTHORIZED,
            ),
            AuthError::UnknownAccessKey(_) => AwsError::new(
                code("InvalidClientTokenId", "UnrecognizedClientException"),
                "The security token included in the request is invalid.",
                StatusCode::FORBIDDEN,
            ),
            AuthError::ExpiredToken if protocol == Protocol::Ec2 => {
                AwsError::new("RequestExpired", "Request has expired.", StatusCode::BAD_REQUEST)
            }
            AuthError::ExpiredToken => AwsError::new(
                code("ExpiredToken", "ExpiredTokenException"),
                "The security token included in the request is expired",
                if protocol == Protocol::Json { StatusCode::BAD_REQUEST } else { StatusCode::FORBIDDEN },
            ),
            AuthError::PayloadHashMismatch => AwsError::new(
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                StatusCode::BAD_REQUEST,
            ),
        }
    }
}

/// The credential scope of a signature: `<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// The access key id that signed.
    pub access_key_id: String,
    /// The signing date, `YYYYMMDD`.
    pub date: String,
    /// The region the signature is scoped to.
    pub region: String,
    /// The signing name of the service, such as `eks` or `sts`.
    pub service: String,
}

impl CredentialScope {
    fn parse(credential: &str) -> Result<Self, AuthError> {
        let parts: Vec<&str> = credential.split('/').collect();
        let [access_key_id, date, region, service, terminator] = parts[..] else {
            return Err(AuthError::Incomplete(format!(
                "Credential should have five parts, <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request, \
                 not '{credential}'."
            )));
        };
        if terminator != TERMINATOR {
            return Err(AuthError::Incomplete(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
            )));
        }
        if access_key_id.is_empty() {
            return Err(AuthError::Incomplete(format!("Credential should name an access key id, not '{credential}'.")));
        }
        if region.is_empty() {
            return Err(AuthError::Incomplete(format!(
                "Credential should be scoped to a valid region, not '{region}'."
            )));
        }
        if service.is_empty() {
            return Err(AuthError::Incomplete(format!("Credential should be scoped to correct service: '{service}'.")));
        }
        Ok(Self {
            access_key_id: access_key_id.to_owned(),
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
        })
    }

    /// `<YYYYMMDD>/<region>/<service>/aws4_request`, the scope as it appears in the string to sign.
    pub fn scope(&self) -> String {
        format!("{}/{}/{}/{TERMINATOR}", self.date, self.region, self.service)
    }
}

/// A request's SigV4 signature, read and canonicalized, ready to be checked against a secret key.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    credential: CredentialScope,
    amz_date: String,
    signed_at: OffsetDateTime,
    signed_headers: Vec<String>,
    signature: String,
    security_token: Option<String>,
    expires: Option<u64>,
    canonical_request: Vec<u8>,
    payload_hash_mismatch: bool,
}

impl SignedRequest {
    /// Reads the signature of a request from its `Authorization` header or, failing that, from presigned query
    /// parameters, and builds its canonical request. `body` is the whole request body.
    pub fn parse(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Self, AuthError> {
        let query = QueryPairs::parse(uri.query().unwrap_or(""));
        if let Some(authorization) = headers.get(AUTHORIZATION) {
            Self::parse_header_form(method, uri, headers, body, &query, authorization)
        } else if ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"].iter().any(|key| query.get(key).is_some())
        {
            Self::parse_query_form(method, uri, headers, body, &query)
        } else {
            Err(AuthError::MissingAuthentication)
        }
    }

    /// [`SignedRequest::parse`] on an `http::Request`.
    pub fn from_request<B: AsRef<[u8]>>(request: &Request<B>) -> Result<Self, AuthError> {
        Self::parse(request.method(), request.uri(), request.headers(), request.body().as_ref())
    }

    fn parse_header_form(
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        query: &QueryPairs,
        authorization: &HeaderValue,
    ) -> Result<Self, AuthError> {
        let text = authorization.to_str().map_err(|_| {
            AuthError::Incomplete("Authorization header must contain only visible ASCII characters.".to_owned())
        })?;
        let text = text.trim();
        let (algorithm, components) = text.split_once(' ').unwrap_or((text, ""));
        if algorithm != ALGORITHM {
            return Err(AuthError::UnsupportedAlgorithm(algorithm.to_owned()));
        }
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for component in components.split(',') {
            match component.trim().split_once('=') {
                Some(("Credential", value)) => credential = Some(value.trim()),
                Some(("SignedHeaders", value)) => signed_headers = Some(value.trim()),
                Some(("Signature", value)) => signature = Some(value.trim()),
                _ => {}
            }
        }
        let date = header_text(headers, "x-amz-date")
            .map(DateSource::Basic)
            .or_else(|| header_text(headers, "date").map(DateSource::Http));
        let mut missing = Vec::new();
        for (name, value) in [("Credential", credential), ("Signature", signature), ("SignedHeaders", signed_headers)] {
            if value.is_none() {
                missing.push(format!("Authorization header requires '{name}' parameter."));
            }
        }
        if date.is_none() {
            missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into());
        }
        let (Some(credential), Some(signed_headers), Some(signature), Some(date)) =
            (credential, signed_headers, signature, date)
        else {
            return Err(AuthError::Incomplete(format!("{} Authorization={text}", missing.join(" "))));
        };
        let (amz_date, signed_at) = date.read()?;
        let credential = CredentialScope::parse(credential)?;
        check_scope_date(&credential, &amz_date)?;
        let signed_headers = read_signed_headers(signed_headers)?;
        let payload_hash = header_text(headers, CONTENT_SHA256);
        let (payload_hash, payload_hash_mismatch) = payload_hash_of(payload_hash.as_deref(), body);
        let canonical_request = canonical_request(method, uri, headers, query, &signed_headers, &payload_hash, false);
        Ok(Self {
            credential,
            amz_date,
            signed_at,
            signed_headers,
            signature: signature.to_owned(),
            security_token: header_text(headers, SECURITY_TOKEN),
            expires: None,
            canonical_request,
            payload_hash_mismatch,
        })
    }

    fn parse_query_form(
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        query: &QueryPairs,
    ) -> Result<Self, AuthError> {
        const REQUIRED: [&str; 6] = [
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Signature",
            "X-Amz-Date",
            "X-Amz-SignedHeaders",
            "X-Amz-Expires",
        ];
        let missing: Vec<String> = REQUIRED
            .iter()
            .filter(|key| query.get(key).is_none())
            .map(|key| format!("AWS query-string parameters must include '{key}'."))
            .collect();
        if !missing.is_empty() {
            return Err(AuthError::Incomplete(format!(
                "{} Re-examine the query-string parameters.",
                missing.join(" ")
            )));
        }
        let param = |key: &str| query.get(key).unwrap_or_default();
        let algorithm = param("X-Amz-Algorithm");
        if algorithm != ALGORITHM {
            return Err(AuthError::UnsupportedAlgorithm(algorithm.to_owned()));
        }
        let (amz_date, signed_at) = DateSource::Basic(param("X-Amz-Date").to_owned()).read()?;
        let credential = CredentialScope::parse(param("X-Amz-Credential"))?;
        check_scope_date(&credential, &amz_date)?;
        let expires = read_expires(param("X-Amz-Expires"))?;
        let signed_headers = read_signed_headers(param("X-Amz-SignedHeaders"))?;
        let (payload_hash, payload_hash_mismatch) = payload_hash_of(query.get("X-Amz-Content-Sha256"), body);
        let canonical_request = canonical_request(method, uri, headers, query, &signed_headers, &payload_hash, true);
        Ok(Self {
            credential,
            amz_date,
            signed_at,
            signed_headers,
            signature: param("X-Amz-Signature").to_owned(),
            security_token: query.get("X-Amz-Security-Token").map(str::to_owned),
            expires: Some(expires),
            canonical_request,
            payload_hash_mismatch,
        })
    }

    /// The access key id that signed the request.
    pub fn access_key_id(&self) -> &str {
        &self.credential.access_key_id
    }

    /// The credential scope (access key id, date, region, service).
    pub fn credential(&self) -> &CredentialScope {
        &self.credential
    }

    /// The region of the credential scope.
    pub fn region(&self) -> &str {
        &self.credential.region
    }

    /// The service signing name of the credential scope, such as `eks`.
    pub fn service(&self) -> &str {
        &self.credential.service
    }

    /// When the request was signed.
    pub fn signed_at(&self) -> OffsetDateTime {
        self.signed_at
    }

    /// The signed header names, lower case, in the order the signature lists them.
    pub fn signed_headers(&self) -> &[String] {
        &self.signed_headers
    }

    /// Whether the signature came in the query string (a presigned URL) rather than a header.
    pub fn is_presigned(&self) -> bool {
        self.expires.is_some()
    }

    /// The validity of a presigned request in seconds (`X-Amz-Expires`); `None` for the header form.
    pub fn expires(&self) -> Option<u64> {
        self.expires
    }

    /// The session token of temporary credentials (`X-Amz-Security-Token`), if any.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// The signature as the request gives it.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The canonical request as this server rebuilt it (invalid UTF-8 in header values is shown replaced).
    pub fn canonical_request(&self) -> String {
        String::from_utf8_lossy(&self.canonical_request).into_owned()
    }

    /// The string to sign: algorithm, signing time, scope and the hash of the canonical request.
    pub fn string_to_sign(&self) -> String {
        string_to_sign(&self.amz_date, &self.credential.scope(), &self.canonical_request)
    }

    /// Checks the signing time against `now` and the signature against `secret_access_key`.
    pub fn verify(&self, secret_access_key: &str, now: OffsetDateTime) -> Result<(), AuthError> {
        self.check_time(now)?;
        let key = signing_key(secret_access_key, &self.credential);
        let given = unhex(&self.signature).ok_or(AuthError::SignatureMismatch)?;
        // `hmac::verify` compares in constant time.
        hmac::verify(&key, self.string_to_sign().as_bytes(), &given).map_err(|_| AuthError::SignatureMismatch)?;
        if self.payload_hash_mismatch {
            return Err(AuthError::PayloadHashMismatch);
        }
        Ok(())
    }

    fn check_time(&self, now: OffsetDateTime) -> Result<(), AuthError> {
        let latest = now + MAX_SKEW;
        if self.signed_at > latest {
            return Err(AuthError::NotYetCurrent {
                signed_at: self.amz_date.clone(),
                latest: format_basic(latest),
                now: format_basic(now),
            });
        }
        match self.expires {
            Some(expires) => {
                let expires_at = self.signed_at + Duration::seconds(expires as i64);
                if now > expires_at {
                    return Err(AuthError::RequestExpired(format_basic(expires_at)));
                }
            }
            None => {
                let earliest = now - MAX_SKEW;
                if self.signed_at < earliest {
                    return Err(AuthError::Expired {
                        signed_at: self.amz_date.clone(),
                        earliest: format_basic(earliest),
                        now: format_basic(now),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Where the signing time comes from: `X-Amz-Date` (basic ISO 8601) or the HTTP `Date` header.
enum DateSource {
    Basic(String),
    Http(String),
}

impl DateSource {
    /// The signing time as the string to sign writes it, and as a time.
    fn read(self) -> Result<(String, OffsetDateTime), AuthError> {
        match self {
            DateSource::Basic(text) => match parse_basic(&text) {
                Ok(at) => Ok((text, at)),
                Err(_) => Err(AuthError::Incomplete(format!(
                    "Date must be in ISO-8601 'basic format'. Got '{text}'. See http://en.wikipedia.org/wiki/ISO_8601"
                ))),
            },
            DateSource::Http(text) => match parse_http_date(&text) {
                Ok(at) => Ok((format_basic(at), at)),
                Err(_) => Err(AuthError::Incomplete(format!("Date header must be an HTTP date. Got '{text}'."))),
            },
        }
    }
}

fn check_scope_date(credential: &CredentialScope, amz_date: &str) -> Result<(), AuthError> {
    let day = &amz_date[..8];
    if credential.date != day {
        return Err(AuthError::Incomplete(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != \
             '{day}', from '{amz_date}'.",
            credential.date
        )));
    }
    Ok(())
}

fn read_signed_headers(text: &str) -> Result<Vec<String>, AuthError> {
    let names: Vec<String> =
        text.split(';').map(|name| name.trim().to_ascii_lowercase()).filter(|name| !name.is_empty()).collect();
    if !names.iter().any(|name| name == "host" || name == ":authority") {
        return Err(AuthError::Incomplete(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    Ok(names)
}

fn read_expires(text: &str) -> Result<u64, AuthError> {
    match text.parse::<u64>() {
        Ok(seconds) if seconds > MAX_EXPIRES_SECONDS => Err(AuthError::Incomplete(format!(
            "X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES_SECONDS}"
        ))),
        Ok(seconds) if seconds >= 1 => Ok(seconds),
        _ => Err(AuthError::Incomplete(format!(
            "X-Amz-Expires must be a whole number of seconds from 1 to {MAX_EXPIRES_SECONDS}, not '{text}'."
        ))),
    }
}

/// The payload hash for the canonical request, and whether a declared hex SHA-256 differs from the body's.
fn payload_hash_of(declared: Option<&str>, body: &[u8]) -> (String, bool) {
    let actual = || hex(digest::digest(&digest::SHA256, body).as_ref());
    match declared {
        Some(declared) => {
            let is_sha256 = declared.len() == 64 && declared.bytes().all(|b| b.is_ascii_hexdigit());
            let mismatch = is_sha256 && !declared.eq_ignore_ascii_case(&actual());
            (declared.to_owned(), mismatch)
        }
        None => (actual(), false),
    }
}

/// A header's value as text, if present and visible ASCII.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// The pairs of a raw query string, decoded for lookup and re-encoded for the canonical query.
struct QueryPairs {
    pairs: Vec<QueryPair>,
}

struct QueryPair {
    key: String,
    value: String,
    canonical_key: String,
    canonical_value: String,
}

impl QueryPairs {
    fn parse(query: &str) -> Self {
        let decode = |raw: &str| percent_decode(raw.as_bytes(), false).unwrap_or_else(|_| raw.as_bytes().to_vec());
        let pairs = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                let (key, value) = (decode(key), decode(value));
                QueryPair {
                    canonical_key: uri_encode(&key, false),
                    canonical_value: uri_encode(&value, false),
                    key: String::from_utf8_lossy(&key).into_owned(),
                    value: String::from_utf8_lossy(&value).into_owned(),
                }
            })
            .collect();
        Self { pairs }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|pair| pair.key == key).map(|pair| pair.value.as_str())
    }

    /// Sorted by encoded key, then encoded value; the signature itself left out of a presigned query.
    fn canonical(&self, presigned: bool) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .filter(|pair| !(presigned && pair.key == "X-Amz-Signature"))
            .map(|pair| (pair.canonical_key.as_str(), pair.canonical_value.as_str()))
            .collect();
        pairs.sort_unstable();
        let mut out = String::new();
        for (idx, (key, value)) in pairs.into_iter().enumerate() {
            if idx > 0 {
                out.push('&');
            }
            out.push_str(key);
            out.push('=');
            out.push_str(value);
        }
        out
    }
}

/// The canonical path: dot segments and empty segments removed, then every byte but unreserved characters and
/// `/` percent-encoded once more (so an escape `%3A` in the request becomes `%253A`), as for every service but S3.
fn canonical_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            segment => segments.push(segment),
        }
    }
    let mut normalized = String::from("/");
    normalized.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalized.push('/');
    }
    uri_encode(normalized.as_bytes(), true)
}

/// A header value with leading and trailing white space removed and inner runs collapsed to one space.
fn trim_all(value: &[u8], out: &mut Vec<u8>) {
    // The same white space as Python's `str.split()` in the ASCII range, which botocore uses.
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1f);
    let mut first = true;
    for word in value.split(is_space).filter(|word| !word.is_empty()) {
        if !first {
            out.push(b' ');
        }
        out.extend_from_slice(word);
        first = false;
    }
}

fn canonical_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    query: &QueryPairs,
    signed_headers: &[String],
    payload_hash: &str,
    presigned: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(method.as_str().to_ascii_uppercase().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_path(uri.path()).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(query.canonical(presigned).as_bytes());
    out.push(b'\n');
    for name in signed_headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let mut values = headers.get_all(name.as_str()).iter().peekable();
        if values.peek().is_none() && (name == "host" || name == ":authority") {
            // HTTP/2 carries the host in the URI, not in a header.
            if let Some(authority) = uri.authority() {
                out.extend_from_slice(authority.as_str().as_bytes());
            }
        }
        for (idx, value) in values.enumerate() {
            if idx > 0 {
                out.push(b',');
            }
            trim_all(value.as_bytes(), &mut out);
        }
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(signed_headers.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash.as_bytes());
    out
}

fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    let hash = hex(digest::digest(&digest::SHA256, canonical_request).as_ref());
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{hash}")
}

fn signing_key(secret_access_key: &str, credential: &CredentialScope) -> hmac::Key {
    let step = |key: &[u8], data: &str| hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes());
    let k_date = step(format!("AWS4{secret_access_key}").as_bytes(), &credential.date);
    let k_region = step(k_date.as_ref(), &credential.region);
    let k_service = step(k_region.as_ref(), &credential.service);
    let k_signing = step(k_service.as_ref(), TERMINATOR);
    hmac::Key::new(hmac::HMAC_SHA256, k_signing.as_ref())
}

/// Credentials to sign with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
}

impl Credentials {
    /// Long-term credentials (no session token).
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self { access_key_id: access_key_id.into(), secret_access_key: secret_access_key.into(), session_token: None }
    }
}

/// What a signature is scoped to, and when it is made.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// The credentials that sign.
    pub credentials: &'a Credentials,
    /// The region of the credential scope.
    pub region: &'a str,
    /// The signing name of the service.
    pub service: &'a str,
    /// The signing time.
    pub time: OffsetDateTime,
}

impl SigningParams<'_> {
    fn scope(&self) -> CredentialScope {
        CredentialScope {
            access_key_id: self.credentials.access_key_id.clone(),
            date: format_basic(self.time)[..8].to_owned(),
            region: self.region.to_owned(),
            service: self.service.to_owned(),
        }
    }
}

/// A request that could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// A value to be placed in a header is not a valid header value.
    #[error("'{0}' cannot be a header value")]
    HeaderValue(String),
    /// The rewritten URI of a presigned request is not a valid URI.
    #[error("'{0}' is not a valid request target")]
    Uri(String),
}

/// Signs `request` in the header form, as botocore does: sets `X-Amz-Date`, `X-Amz-Security-Token` for
/// temporary credentials and `Host` (from the URI) when missing, then `Authorization`, signing every header
/// present except those proxies may change. The payload hash is `X-Amz-Content-Sha256` when set, else the
/// body's SHA-256.
pub fn sign<B: AsRef<[u8]>>(request: &mut Request<B>, params: &SigningParams<'_>) -> Result<(), SignError> {
    let amz_date = format_basic(params.time);
    let headers = request.headers_mut();
    headers.remove(AUTHORIZATION);
    headers.insert("x-amz-date", header_value(&amz_date)?);
    if let Some(token) = &params.credentials.session_token {
        headers.insert(SECURITY_TOKEN, header_value(token)?);
    }
    set_host(request)?;
    let signed_headers = signable_headers(request.headers());
    let declared = request.headers().get(CONTENT_SHA256).map(|value| String::from_utf8_lossy(value.as_bytes()));
    let (payload_hash, _) = payload_hash_of(declared.as_deref(), request.body().as_ref());
    let query = QueryPairs::parse(request.uri().query().unwrap_or(""));
    let canonical = canonical_request(
        request.method(),
        request.uri(),
        request.headers(),
        &query,
        &signed_headers,
        &payload_hash,
        false,
    );
    let scope = params.scope();
    let signature = signature_of(params, &scope, &amz_date, &canonical);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={signature}",
        scope.access_key_id,
        scope.scope(),
        signed_headers.join(";")
    );
    request.headers_mut().insert(AUTHORIZATION, header_value(&authorization)?);
    Ok(())
}

/// Presigns `request` for `expires_seconds`, as botocore's `SigV4QueryAuth` does: the `X-Amz-*` parameters and
/// then `X-Amz-Signature` are appended to the query; `Host` and every other header present are signed; the
/// payload hash is the SHA-256 of the body (of nothing, for a GET).
pub fn presign<B: AsRef<[u8]>>(
    request: &mut Request<B>,
    params: &SigningParams<'_>,
    expires_seconds: u64,
) -> Result<(), SignError> {
    set_host(request)?;
    let amz_date = format_basic(params.time);
    let scope = params.scope();
    let signed_headers = signable_headers(request.headers());
    let mut auth_params = vec![
        ("X-Amz-Algorithm", ALGORITHM.to_owned()),
        ("X-Amz-Credential", format!("{}/{}", scope.access_key_id, scope.scope())),
        ("X-Amz-Date", amz_date.clone()),
        ("X-Amz-Expires", expires_seconds.to_string()),
        ("X-Amz-SignedHeaders", signed_headers.join(";")),
    ];
    if let Some(token) = &params.credentials.session_token {
        auth_params.push(("X-Amz-Security-Token", token.clone()));
    }
    let mut query = request.uri().query().unwrap_or("").to_owned();
    for (key, value) in &auth_params {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(key);
        query.push('=');
        query.push_str(&uri_encode(value.as_bytes(), false));
    }
    set_query(request, &query)?;
    let (payload_hash, _) = payload_hash_of(None, request.body().as_ref());
    let pairs = QueryPairs::parse(&query);
    let canonical = canonical_request(
        request.method(),
        request.uri(),
        request.headers(),
        &pairs,
        &signed_headers,
        &payload_hash,
        true,
    );
    let signature = signature_of(params, &scope, &amz_date, &canonical);
    set_query(request, &format!("{query}&X-Amz-Signature={signature}"))
}

fn signature_of(params: &SigningParams<'_>, scope: &CredentialScope, amz_date: &str, canonical: &[u8]) -> String {
    let key = signing_key(&params.credentials.secret_access_key, scope);
    hex(hmac::sign(&key, string_to_sign(amz_date, &scope.scope(), canonical).as_bytes()).as_ref())
}

fn header_value(text: &str) -> Result<HeaderValue, SignError> {
    HeaderValue::from_str(text).map_err(|_| SignError::HeaderValue(text.to_owned()))
}

fn set_host<B>(request: &mut Request<B>) -> Result<(), SignError> {
    if !request.headers().contains_key(HOST)
        && let Some(authority) = request.uri().authority().map(|a| a.as_str().to_owned())
    {
        request.headers_mut().insert(HOST, header_value(&authority)?);
    }
    Ok(())
}

fn set_query<B>(request: &mut Request<B>, query: &str) -> Result<(), SignError> {
    let mut parts = request.uri().clone().into_parts();
    let target = format!("{}?{query}", request.uri().path());
    parts.path_and_query = Some(target.parse().map_err(|_| SignError::Uri(target.clone()))?);
    *request.uri_mut() = Uri::from_parts(parts).map_err(|_| SignError::Uri(target))?;
    Ok(())
}

fn signable_headers(headers: &HeaderMap) -> Vec<String> {
    let mut names: Vec<String> = headers
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| !UNSIGNABLE_HEADERS.contains(&name.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

#[cfg(test)]
mod tests;

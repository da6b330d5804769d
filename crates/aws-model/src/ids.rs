//! Identifiers in the shapes AWS uses: UUIDs, hex ids, digests, and base64 for tokens.

use base64::Engine as _;

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system provides random bytes");
    bytes
}

/// A random version-4 UUID, lowercase.
pub fn uuid() -> String {
    let mut bytes = random::<16>();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// `bytes` random bytes as lowercase hex (EC2 ids: `vpc-` plus 17 hex digits use [`hex_lower`] with 9 bytes, cut).
pub fn hex_lower(bytes: usize) -> String {
    let mut out = String::with_capacity(bytes * 2);
    for _ in 0..bytes {
        out.push_str(&format!("{:02x}", random::<1>()[0]));
    }
    out
}

/// `bytes` random bytes as uppercase hex (the id in an EKS OIDC issuer URL).
pub fn hex_upper(bytes: usize) -> String {
    hex_lower(bytes).to_ascii_uppercase()
}

/// The SHA-256 of `parts` one after the other, as lowercase hex: names derived from what they stand for (the
/// AWS Load Balancer Controller names its load balancers and target groups with one).
pub fn sha256_hex(parts: &[&str]) -> String {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for part in parts {
        context.update(part.as_bytes());
    }
    context.finish().as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The inverse of [`base64`]; `None` for anything else.
pub fn unbase64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

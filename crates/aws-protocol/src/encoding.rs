//! Percent-encoding as AWS uses it: RFC 3986 unreserved characters stay, everything else becomes `%XY` with
//! upper-case hex; and strict percent-decoding that refuses a `%` not followed by two hex digits.

/// Whether `byte` is one of RFC 3986's unreserved characters, the only ones SigV4 leaves unescaped.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// Percent-encodes `bytes`, leaving unreserved characters and, when `keep_slash` is set, `/`.
pub(crate) fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut encoded = String::with_capacity(bytes.len());
    for &byte in bytes {
        if is_unreserved(byte) || (keep_slash && byte == b'/') {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push(char::from(HEX[usize::from(byte >> 4)]));
            encoded.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    encoded
}

/// A `%` at this byte offset is not followed by two hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadEscape(pub(crate) usize);

/// Decodes `%XY` escapes (and `+` as a space when `plus_is_space`, as in form bodies).
pub(crate) fn percent_decode(input: &[u8], plus_is_space: bool) -> Result<Vec<u8>, BadEscape> {
    let mut decoded = Vec::with_capacity(input.len());
    let mut idx = 0;
    while idx < input.len() {
        match input[idx] {
            b'%' => {
                let high = input.get(idx + 1).and_then(|b| char::from(*b).to_digit(16));
                let low = input.get(idx + 2).and_then(|b| char::from(*b).to_digit(16));
                match (high, low) {
                    (Some(high), Some(low)) => decoded.push((high * 16 + low) as u8),
                    _ => return Err(BadEscape(idx)),
                }
                idx += 3;
            }
            b'+' if plus_is_space => {
                decoded.push(b' ');
                idx += 1;
            }
            byte => {
                decoded.push(byte);
                idx += 1;
            }
        }
    }
    Ok(decoded)
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// Decodes hex digits of either case; `None` for an odd length or a non-hex character.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let high = char::from(pair[0]).to_digit(16)?;
            let low = char::from(pair[1]).to_digit(16)?;
            Some((high * 16 + low) as u8)
        })
        .collect()
}

//! Resource quantities (`500m`, `1Gi`, `2e3`): the syntax kube-apiserver accepts and a numeric value to compare.

/// The message upstream gives for a string that is not a quantity.
pub const QUANTITY_SYNTAX: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// A quantity's value as a float, or `None` when it is not a quantity.
pub fn parse_quantity(text: &str) -> Option<f64> {
    let text = text.trim();
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1.0, &text[1..]),
        b'-' => (-1.0, &text[1..]),
        _ => (1.0, text),
    };
    let number_len = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
    let (number, suffix) = rest.split_at(number_len);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return None;
    }
    let mantissa: f64 = number.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exponent if exponent.starts_with(['e', 'E']) => {
            let digits = &exponent[1..];
            let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) || unsigned.len() > 4 {
                return None;
            }
            10f64.powi(digits.parse::<i32>().ok()?)
        }
        _ => return None,
    };
    Some(sign * mantissa * scale)
}

/// A quantity given as a JSON string or number.
pub fn quantity_of(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::String(text) => parse_quantity(text),
        serde_json::Value::Number(number) => number.as_f64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests;

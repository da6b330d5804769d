//! Resource quantities (`500m`, `1Gi`, `2e3`): the syntax kube-apiserver accepts, a numeric value to compare, and
//! the canonical text it writes back (`0.5` is returned as `500m`, `1.5Gi` as `1536Mi`).

/// The message upstream gives for a string that is not a quantity.
pub const QUANTITY_SYNTAX: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// A quantity's value as a float, or `None` when it is not a quantity.
pub fn parse_quantity(text: &str) -> Option<f64> {
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

/// A quantity's value in whole units, or in thousandths when `milli`, rounded up as Kubernetes' `Value` and
/// `MilliValue` round; `None` when the text (surrounding spaces aside) is not a quantity or is negative.
pub fn rounded_up(text: &str, milli: bool) -> Option<u64> {
    let value = parse_quantity(text.trim())?;
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let scaled = value * if milli { 1000.0 } else { 1.0 };
    // Decimal suffixes carry float error (`0.1` is not exact): tolerate it before rounding up.
    Some((scaled - 1e-9).ceil().max(0.0) as u64)
}

/// How a quantity was written, which decides how it is written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Powers of 1024: `Ki`, `Mi`, ...
    BinarySi,
    /// Powers of 1000 and plain numbers: `m`, `k`, `M`, ...
    DecimalSi,
    /// `e` notation.
    DecimalExponent,
}

/// An exact quantity: `mantissa * 10^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Exact {
    mantissa: i128,
    exponent: i32,
    format: Format,
}

/// The most significant digits an exact quantity keeps; longer numbers are left as they were written.
const MAX_DIGITS: usize = 20;

fn parse_exact(text: &str) -> Option<Exact> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'+' => (false, &text[1..]),
        b'-' => (true, &text[1..]),
        _ => (false, text),
    };
    let number_len = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
    let (number, suffix) = rest.split_at(number_len);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > MAX_DIGITS {
        return None;
    }
    let mut mantissa: i128 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    let mut exponent = -(fraction.len() as i32);
    let format = match suffix {
        "" => Format::DecimalSi,
        "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" => {
            exponent += match suffix {
                "n" => -9,
                "u" => -6,
                "m" => -3,
                "k" => 3,
                "M" => 6,
                "G" => 9,
                "T" => 12,
                "P" => 15,
                _ => 18,
            };
            Format::DecimalSi
        }
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            let power = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"].iter().position(|s| *s == suffix)? as u32 + 1;
            mantissa = mantissa.checked_mul(1024i128.checked_pow(power)?)?;
            Format::BinarySi
        }
        exponent_text if exponent_text.starts_with(['e', 'E']) => {
            let digits = &exponent_text[1..];
            let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
            if unsigned.is_empty() || unsigned.len() > 4 || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            exponent += digits.parse::<i32>().ok()?;
            Format::DecimalExponent
        }
        _ => return None,
    };
    if negative {
        mantissa = -mantissa;
    }
    Some(Exact { mantissa, exponent, format })
}

/// Rounds away from zero to `10^scale`, as upstream rounds precision it does not keep.
fn round_up(quantity: Exact, scale: i32) -> Option<Exact> {
    if quantity.exponent >= scale {
        return Some(quantity);
    }
    let divisor = 10i128.checked_pow(u32::try_from(scale - quantity.exponent).ok()?)?;
    let mut mantissa = quantity.mantissa / divisor;
    if quantity.mantissa % divisor != 0 {
        mantissa += quantity.mantissa.signum();
    }
    Some(Exact { mantissa, exponent: scale, ..quantity })
}

/// The text kube-apiserver writes for a quantity, or `None` when the text is not one it can canonicalize.
/// With `milli`, precision below thousandths is rounded up first, as resource lists are defaulted.
pub fn canonical_quantity(text: &str, milli: bool) -> Option<String> {
    let mut quantity = round_up(parse_exact(text)?, -9)?;
    if milli {
        quantity = round_up(quantity, -3)?;
    }
    if quantity.mantissa == 0 {
        return Some("0".to_owned());
    }
    let mut format = quantity.format;
    let mut integer = None;
    if format == Format::BinarySi {
        let exact_integer = if quantity.exponent >= 0 {
            10i128.checked_pow(quantity.exponent as u32).and_then(|scale| quantity.mantissa.checked_mul(scale))
        } else {
            let divisor = 10i128.checked_pow(quantity.exponent.unsigned_abs())?;
            (quantity.mantissa % divisor == 0).then(|| quantity.mantissa / divisor)
        };
        match exact_integer {
            Some(value) if value.abs() >= 1024 => integer = Some(value),
            _ => format = Format::DecimalSi,
        }
    }
    if let Some(mut value) = integer {
        let mut power = 0;
        while power < 6 && value % 1024 == 0 {
            value /= 1024;
            power += 1;
        }
        let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][power];
        return Some(format!("{value}{suffix}"));
    }
    let (mut mantissa, mut exponent) = (quantity.mantissa, quantity.exponent);
    while mantissa % 10 == 0 {
        mantissa /= 10;
        exponent += 1;
    }
    // Go's remainder keeps the sign of the dividend.
    match exponent % 3 {
        1 | -2 => {
            mantissa *= 10;
            exponent -= 1;
        }
        2 | -1 => {
            mantissa *= 100;
            exponent -= 2;
        }
        _ => {}
    }
    let suffix = match (format, exponent) {
        (_, 0) => String::new(),
        (Format::DecimalSi, -9) => "n".to_owned(),
        (Format::DecimalSi, -6) => "u".to_owned(),
        (Format::DecimalSi, -3) => "m".to_owned(),
        (Format::DecimalSi, 3) => "k".to_owned(),
        (Format::DecimalSi, 6) => "M".to_owned(),
        (Format::DecimalSi, 9) => "G".to_owned(),
        (Format::DecimalSi, 12) => "T".to_owned(),
        (Format::DecimalSi, 15) => "P".to_owned(),
        (Format::DecimalSi, 18) => "E".to_owned(),
        (_, exponent) => format!("e{exponent}"),
    };
    Some(format!("{mantissa}{suffix}"))
}

/// The canonical form of a quantity given as a JSON string or number; other values are left to validation.
pub(crate) fn canonical_value(value: &serde_json::Value, milli: bool) -> Option<serde_json::Value> {
    let text = match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Number(number) => number.to_string(),
        _ => return None,
    };
    canonical_quantity(&text, milli).map(serde_json::Value::String)
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

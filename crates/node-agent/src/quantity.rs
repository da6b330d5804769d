//! Kubernetes resource quantities (`250m`, `0.5`, `128Mi`, `1G`, `1e3`), read as far as the agent needs them: the
//! usage annotations. Invalid text is `None`, never a panic.

/// The multiplier of a quantity suffix.
fn suffix_factor(suffix: &str) -> Option<f64> {
    let factor = match suffix {
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
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => return None,
    };
    Some(factor)
}

/// The quantity's value (not negative, finite).
pub fn parse(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+')).unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let (number, suffix) = match suffix.strip_prefix(['e', 'E']) {
        // `1e3` is an exponent, `1E` is exa.
        Some(exponent)
            if !exponent.is_empty() && exponent.trim_start_matches(['+', '-']).bytes().all(|b| b.is_ascii_digit()) =>
        {
            let value: f64 = format!("{number}e{exponent}").parse().ok()?;
            return (value.is_finite() && value >= 0.0).then_some(value);
        }
        _ => (number, suffix),
    };
    if number.is_empty() || number.starts_with('.') && number.len() == 1 {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let value = value * suffix_factor(suffix)?;
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// A CPU quantity in millicores, rounded up as Kubernetes does.
pub fn parse_millis(text: &str) -> Option<u64> {
    parse(text).map(|value| (value * 1000.0).ceil() as u64)
}

/// A quantity in whole units (bytes), rounded up.
pub fn parse_whole(text: &str) -> Option<u64> {
    parse(text).map(|value| value.ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect_millis: Option<u64>, expect_whole: Option<u64>) {
        assert_eq!((parse_millis(text), parse_whole(text)), (expect_millis, expect_whole), "{text:?}");
    }

    #[test]
    fn quantities() {
        check("250m", Some(250), Some(1));
        check("0.5", Some(500), Some(1));
        check("2", Some(2000), Some(2));
        check("128Mi", Some(128 * 1024 * 1024 * 1000), Some(128 * 1024 * 1024));
        check("1G", Some(1_000_000_000_000), Some(1_000_000_000));
        check("1e3", Some(1_000_000), Some(1000));
        check(" 1Ki ", Some(1_024_000), Some(1024));
    }

    #[test]
    fn garbage_is_none() {
        for text in ["", "abc", "-1", "1Xi", "m", ".", "1.2.3", "1e", "NaN", "inf", "1 Gi"] {
            check(text, None, None);
        }
    }
}

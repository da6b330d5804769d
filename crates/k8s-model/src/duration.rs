//! Go's duration strings (`time.ParseDuration`), which Kubernetes objects and components' flags are written in.

use std::time::Duration;

/// A Go duration (`1h30m`, `1.5s`, `-2m`, `0`) in nanoseconds, or `None` when Go's `time.ParseDuration` would refuse it.
pub(crate) fn go_duration_nanos(text: &str) -> Option<i128> {
    if text == "0" {
        return Some(0);
    }
    let negative = text.starts_with('-');
    let mut rest = text.strip_prefix(['+', '-']).unwrap_or(text);
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let units: [(&str, f64); 8] =
            [("ns", 1.0), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 6e10), ("h", 3.6e12)];
        let (unit, scale) = units.iter().find(|(unit, _)| rest.starts_with(unit))?;
        rest = &rest[unit.len()..];
        total += number * scale;
    }
    let nanos = total.round() as i128;
    Some(if negative { -nanos } else { nanos })
}

/// A duration as Go's `time.ParseDuration` reads it (`10s`, `1m30s`, `1.5h`, `300ms`, `0`), for the flags and
/// fields that take one; `None` when Go would refuse it, when it is negative, or past Go's limit (about 292 years).
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    let nanos = go_duration_nanos(text)?;
    u64::try_from(nanos).ok().filter(|nanos| i64::try_from(*nanos).is_ok()).map(Duration::from_nanos)
}

//! The `Condition` block: each operator compares one context key with the policy's values. Policy values of
//! one key are ORed; keys and operators are ANDed by the caller. Following AWS's documentation:
//!
//! - A key the request lacks makes a positive operator false and a negated one (`StringNotEquals`,
//!   `NotIpAddress`, `ArnNotLike`, ...) true; `...IfExists` makes it true either way.
//! - Without a set qualifier a multivalued key matches when any of its values matches; a negated operator
//!   holds when none does.
//! - `ForAnyValue:` holds when at least one request value matches (for a negated operator: fails to match);
//!   a missing or empty key makes it false.
//! - `ForAllValues:` holds when every request value matches (negated: none of them matches any policy value);
//!   a missing or empty key makes it true.
//! - `Null` is true for `"true"` when the key is missing and for `"false"` when it is present.
//!
//! A request value that cannot be read as the operator's type (a number, a date, an address) matches nothing.

use std::net::IpAddr;

use super::document::{Condition, OperatorKind, SetQualifier};
use super::glob::{Case, Pattern};
use super::request::Context;
use super::variables::substitute;

#[cfg(test)]
mod tests;

/// Whether `condition` holds in `context`; `None` when a policy value names a variable the request lacks,
/// which makes the whole statement not match.
pub(crate) fn holds(condition: &Condition, context: &Context, variables: bool) -> Option<bool> {
    let patterns =
        condition.values.iter().map(|value| substitute(value, context, variables)).collect::<Option<Vec<_>>>()?;
    let request_values = context.get(&condition.key).unwrap_or_default();
    let operator = condition.operator;
    let missing = request_values.is_empty();
    if operator.kind == OperatorKind::Null {
        return Some(patterns.iter().any(|pattern| match pattern.text().to_ascii_lowercase().as_str() {
            "true" => missing,
            "false" => !missing,
            _ => false,
        }));
    }
    let (negated, base) = positive(operator.kind);
    let matches_one = |value: &String| patterns.iter().any(|pattern| compare(base, value, pattern));
    let holds = match operator.qualifier {
        None if missing => operator.if_exists || negated,
        None if negated => !request_values.iter().any(matches_one),
        None => request_values.iter().any(matches_one),
        Some(SetQualifier::ForAnyValue) if missing => operator.if_exists,
        Some(SetQualifier::ForAnyValue) => request_values.iter().any(|value| matches_one(value) != negated),
        Some(SetQualifier::ForAllValues) if missing => true,
        Some(SetQualifier::ForAllValues) => request_values.iter().all(|value| matches_one(value) != negated),
    };
    Some(holds)
}

/// Splits a negated operator into `true` and its positive counterpart.
fn positive(kind: OperatorKind) -> (bool, OperatorKind) {
    match kind {
        OperatorKind::StringNotEquals => (true, OperatorKind::StringEquals),
        OperatorKind::StringNotEqualsIgnoreCase => (true, OperatorKind::StringEqualsIgnoreCase),
        OperatorKind::StringNotLike => (true, OperatorKind::StringLike),
        OperatorKind::NumericNotEquals => (true, OperatorKind::NumericEquals),
        OperatorKind::DateNotEquals => (true, OperatorKind::DateEquals),
        OperatorKind::NotIpAddress => (true, OperatorKind::IpAddress),
        OperatorKind::ArnNotEquals => (true, OperatorKind::ArnEquals),
        OperatorKind::ArnNotLike => (true, OperatorKind::ArnLike),
        kind => (false, kind),
    }
}

/// One request value against one policy value under a positive operator.
fn compare(kind: OperatorKind, value: &str, pattern: &Pattern) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let ordered = |ordering: Option<std::cmp::Ordering>, accepted: &[std::cmp::Ordering]| {
        ordering.is_some_and(|ordering| accepted.contains(&ordering))
    };
    let numbers = || parse_number(value)?.partial_cmp(&parse_number(&pattern.text())?);
    let dates = || Some(parse_date(value)?.cmp(&parse_date(&pattern.text())?));
    match kind {
        OperatorKind::StringEquals | OperatorKind::BinaryEquals => value == pattern.text(),
        OperatorKind::StringEqualsIgnoreCase => value.to_lowercase() == pattern.text().to_lowercase(),
        OperatorKind::StringLike => pattern.matches(value, Case::Sensitive),
        OperatorKind::NumericEquals => ordered(numbers(), &[Equal]),
        OperatorKind::NumericLessThan => ordered(numbers(), &[Less]),
        OperatorKind::NumericLessThanEquals => ordered(numbers(), &[Less, Equal]),
        OperatorKind::NumericGreaterThan => ordered(numbers(), &[Greater]),
        OperatorKind::NumericGreaterThanEquals => ordered(numbers(), &[Greater, Equal]),
        OperatorKind::DateEquals => ordered(dates(), &[Equal]),
        OperatorKind::DateLessThan => ordered(dates(), &[Less]),
        OperatorKind::DateLessThanEquals => ordered(dates(), &[Less, Equal]),
        OperatorKind::DateGreaterThan => ordered(dates(), &[Greater]),
        OperatorKind::DateGreaterThanEquals => ordered(dates(), &[Greater, Equal]),
        OperatorKind::Bool => value.eq_ignore_ascii_case(&pattern.text()),
        OperatorKind::IpAddress => ip_in_range(value, &pattern.text()),
        OperatorKind::ArnEquals | OperatorKind::ArnLike => pattern.matches_arn(value),
        // Negated operators and `Null` never reach here.
        _ => false,
    }
}

/// A finite decimal number, integer or not.
fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|number| number.is_finite())
}

/// A date as nanoseconds since the Unix epoch: ISO 8601 (`2024-01-31`, `2024-01-31T12:00:00Z`, with optional
/// fraction and `+hh:mm` offset) or whole epoch seconds.
pub(crate) fn parse_date(text: &str) -> Option<i128> {
    const NANOS: i128 = 1_000_000_000;
    let text = text.trim();
    if !text.is_empty() && text.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-')) {
        return Some(text.parse::<i64>().ok()? as i128 * NANOS);
    }
    let (date, time) = match text.find(['T', 't']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let year: i64 = digits(parts.next()?, 4)?;
    let month: i64 = digits(parts.next()?, 2)?;
    let day: i64 = digits(parts.next()?, 2)?;
    if parts.next().is_some() {
        return None;
    }
    let mut seconds =
        crate::clock::midnight_utc(i32::try_from(year).ok()?, u8::try_from(month).ok()?, u8::try_from(day).ok()?)?;
    let mut nanos: i128 = 0;
    if let Some(time) = time {
        let (clock, offset) = match time.find(['Z', 'z', '+', '-']) {
            Some(at) => (&time[..at], &time[at..]),
            None => (time, ""),
        };
        let (clock, fraction) = match clock.split_once('.') {
            Some((clock, fraction)) => (clock, Some(fraction)),
            None => (clock, None),
        };
        let mut fields = clock.split(':');
        let hour: i64 = digits(fields.next()?, 2)?;
        let minute: i64 = digits(fields.next()?, 2)?;
        let second: i64 = match fields.next() {
            Some(second) => digits(second, 2)?,
            None => 0,
        };
        if fields.next().is_some() || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        seconds += hour * 3_600 + minute * 60 + second;
        if let Some(fraction) = fraction {
            if fraction.is_empty() || fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            nanos = format!("{fraction:0<9}").parse().ok()?;
        }
        seconds -= parse_offset(offset)?;
    }
    Some(seconds as i128 * NANOS + nanos)
}

/// `Z`, empty, `+hh:mm`, `+hhmm` or `+hh` (or with `-`) as seconds east of UTC.
fn parse_offset(offset: &str) -> Option<i64> {
    if offset.is_empty() || offset.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match offset.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = offset[1..].replace(':', "");
    let (hours, minutes) = match rest.len() {
        2 => (digits(&rest, 2)?, 0),
        4 => (digits(&rest[..2], 2)?, digits(&rest[2..], 2)?),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3_600 + minutes * 60))
}

/// Exactly `width` ASCII digits.
fn digits(text: &str, width: usize) -> Option<i64> {
    if text.len() == width && text.bytes().all(|b| b.is_ascii_digit()) { text.parse().ok() } else { None }
}

/// True when the address `value` lies in `range`, a CIDR block or a single address, both of one family.
fn ip_in_range(value: &str, range: &str) -> bool {
    let (network, prefix) = match range.trim().split_once('/') {
        Some((network, prefix)) => (network, Some(prefix)),
        None => (range.trim(), None),
    };
    let (Ok(network), Ok(address)) = (network.parse::<IpAddr>(), value.trim().parse::<IpAddr>()) else {
        return false;
    };
    let width = if network.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => width,
        Some(prefix) => match prefix.parse::<u32>() {
            Ok(prefix) if prefix <= width => prefix,
            _ => return false,
        },
    };
    match (network, address) {
        (IpAddr::V4(network), IpAddr::V4(address)) => {
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            u32::from(network) & mask == u32::from(address) & mask
        }
        (IpAddr::V6(network), IpAddr::V6(address)) => {
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            u128::from(network) & mask == u128::from(address) & mask
        }
        _ => false,
    }
}

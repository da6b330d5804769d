//! The text forms of Kubernetes times and durations, as Go writes and reads them: RFC 3339 in UTC for
//! `metav1.Time` and `metav1.MicroTime`, and Go's `time.Duration` strings (`1h2m3.5s`) for `metav1.Duration`.

/// Seconds from 0001-01-01T00:00:00Z to the Unix epoch: Go's zero `time.Time`, which JSON writes as null.
pub(crate) const GO_ZERO_TIME_SECONDS: i64 = -62_135_596_800;

/// Formats a Unix time in UTC as RFC 3339 (`2026-11-27T22:45:00Z`), with 6 fractional digits when `micros`
/// is given. Years outside 0000-9999 have no RFC 3339 form and give `None`.
pub(crate) fn format_rfc3339(seconds: i64, micros: Option<u32>) -> Option<String> {
    let at = time::OffsetDateTime::from_unix_timestamp(seconds).ok()?;
    if !(0..=9999).contains(&at.year()) {
        return None;
    }
    let (year, month, day) = (at.year(), u8::from(at.month()), at.day());
    let (hour, minute, second) = (at.hour(), at.minute(), at.second());
    let mut text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    if let Some(micros) = micros {
        text.push_str(&format!(".{micros:06}"));
    }
    text.push('Z');
    Some(text)
}

/// Parses RFC 3339 (`2026-11-27T22:45:00Z`, `2026-11-27T23:45:00.5+01:00`) into Unix seconds and nanoseconds.
pub(crate) fn parse_rfc3339(text: &str) -> Option<(i64, u32)> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = bytes.get(range)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        digits.iter().try_fold(0i64, |acc, digit| acc.checked_mul(10)?.checked_add(i64::from(digit - b'0')))
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(index, separator)| bytes.get(index) != Some(&separator)) {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut index = 19;
    let mut nanos: u32 = 0;
    if bytes.get(index) == Some(&b'.') {
        index += 1;
        let start = index;
        while bytes.get(index).is_some_and(u8::is_ascii_digit) {
            if index - start < 9 {
                nanos = nanos * 10 + u32::from(bytes[index] - b'0');
            }
            index += 1;
        }
        let n_digits = index - start;
        if n_digits == 0 {
            return None;
        }
        for _ in n_digits..9 {
            nanos *= 10;
        }
    }
    let offset_seconds = match bytes.get(index) {
        Some(b'Z') if index + 1 == bytes.len() => 0,
        Some(&sign @ (b'+' | b'-')) if index + 6 == bytes.len() && bytes[index + 3] == b':' => {
            let (offset_hours, offset_minutes) = (number(index + 1..index + 3)?, number(index + 4..index + 6)?);
            if offset_hours > 23 || offset_minutes > 59 {
                return None;
            }
            let offset = offset_hours * 3600 + offset_minutes * 60;
            if sign == b'+' { offset } else { -offset }
        }
        _ => return None,
    };
    let midnight = date.midnight().assume_utc().unix_timestamp();
    let seconds = midnight + hour * 3600 + minute * 60 + second - offset_seconds;
    Some((seconds, nanos))
}

/// Formats nanoseconds the way Go's `time.Duration.String` does: `0s`, `1.5µs`, `2m0s`, `-1h0m0.5s`.
pub(crate) fn format_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".to_owned();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let value = nanos.unsigned_abs();
    // The fraction of `value` below `10^precision`, without trailing zeros, with its dot.
    let fraction = |value: u64, precision: u32| -> String {
        let digits = format!("{:0width$}", value % 10u64.pow(precision), width = precision as usize);
        let digits = digits.trim_end_matches('0');
        if digits.is_empty() { String::new() } else { format!(".{digits}") }
    };
    if value < 1_000 {
        return format!("{sign}{value}ns");
    }
    if value < 1_000_000 {
        return format!("{sign}{}{}µs", value / 1_000, fraction(value, 3));
    }
    if value < 1_000_000_000 {
        return format!("{sign}{}{}ms", value / 1_000_000, fraction(value, 6));
    }
    let seconds_fraction = fraction(value, 9);
    let total_seconds = value / 1_000_000_000;
    let (hours, minutes, seconds) = (total_seconds / 3600, total_seconds / 60 % 60, total_seconds % 60);
    if hours > 0 {
        format!("{sign}{hours}h{minutes}m{seconds}{seconds_fraction}s")
    } else if minutes > 0 {
        format!("{sign}{minutes}m{seconds}{seconds_fraction}s")
    } else {
        format!("{sign}{seconds}{seconds_fraction}s")
    }
}

/// Parses a Go duration string (`300ms`, `-1.5h`, `2h45m`) into nanoseconds, as Go's `time.ParseDuration`.
pub(crate) fn parse_duration(text: &str) -> Option<i64> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let integer_len = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let integer_text = &rest[..integer_len];
        rest = &rest[integer_len..];
        let mut fraction_text = "";
        if let Some(after_dot) = rest.strip_prefix('.') {
            let fraction_len = after_dot.find(|c: char| !c.is_ascii_digit()).unwrap_or(after_dot.len());
            fraction_text = &after_dot[..fraction_len];
            rest = &after_dot[fraction_len..];
        }
        if integer_text.is_empty() && fraction_text.is_empty() {
            return None;
        }
        let unit_len = rest.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(rest.len());
        let unit: u64 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        let integer: u64 = if integer_text.is_empty() { 0 } else { integer_text.parse().ok()? };
        let mut part = integer.checked_mul(unit)?;
        // The fraction contributes `fraction * unit / 10^digits`, computed digit by digit to stay in range.
        let mut scale = unit;
        for digit in fraction_text.bytes() {
            scale /= 10;
            if scale == 0 {
                break;
            }
            part = part.checked_add(u64::from(digit - b'0') * scale)?;
        }
        total = total.checked_add(part)?;
    }
    if negative {
        if total > i64::MAX as u64 + 1 {
            return None;
        }
        Some((total as i64).wrapping_neg())
    } else {
        i64::try_from(total).ok()
    }
}

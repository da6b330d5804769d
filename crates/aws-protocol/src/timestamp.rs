//! Timestamps as the AWS protocols write them: ISO 8601 with milliseconds in XML (`2026-11-28T00:51:19.000Z`),
//! epoch seconds with a fraction in JSON, the SigV4 basic form (`20261128T005119Z`) and HTTP dates.

use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// A timestamp that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// The text is not an ISO 8601 date-time with a time zone.
    #[error("'{0}' is not an ISO 8601 timestamp")]
    Iso8601(String),
    /// The text is not SigV4's `YYYYMMDDTHHMMSSZ`.
    #[error("'{0}' is not a timestamp of the form YYYYMMDDTHHMMSSZ")]
    Basic(String),
    /// The text is not an HTTP date such as `Fri, 14 Mar 2025 09:26:53 GMT`.
    #[error("'{0}' is not an HTTP date")]
    HttpDate(String),
    /// The value is not a finite number of seconds in the supported range.
    #[error("'{0}' is not a number of seconds since the epoch")]
    EpochSeconds(String),
}

/// Formats `at` in UTC with milliseconds, as AWS writes timestamps in XML: `2026-11-28T00:51:19.000Z`.
pub fn format_iso8601(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// Parses an ISO 8601 date-time with a zone (`Z` or `±hh:mm`), with or without a fraction of a second.
pub fn parse_iso8601(text: &str) -> Result<OffsetDateTime, TimestampError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| TimestampError::Iso8601(text.to_owned()))
}

/// Formats `at` as SigV4's basic form in UTC: `20261128T005119Z`.
pub fn format_basic(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Parses SigV4's basic form `YYYYMMDDTHHMMSSZ` (UTC, exactly 16 characters).
pub fn parse_basic(text: &str) -> Result<OffsetDateTime, TimestampError> {
    let error = || TimestampError::Basic(text.to_owned());
    let bytes = text.as_bytes();
    if !text.is_ascii() || bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return Err(error());
    }
    let digits = |range: std::ops::Range<usize>| -> Result<u32, TimestampError> {
        let part = &text[range];
        if part.bytes().all(|b| b.is_ascii_digit()) { part.parse().map_err(|_| error()) } else { Err(error()) }
    };
    let year = digits(0..4)? as i32;
    let month = Month::try_from(digits(4..6)? as u8).map_err(|_| error())?;
    let date = Date::from_calendar_date(year, month, digits(6..8)? as u8).map_err(|_| error())?;
    let time =
        Time::from_hms(digits(9..11)? as u8, digits(11..13)? as u8, digits(13..15)? as u8).map_err(|_| error())?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Parses an HTTP `Date` header: RFC 7231's `Fri, 14 Mar 2025 09:26:53 GMT` or RFC 2822 with a numeric zone
/// (`-0000`, as Python's `email.utils.formatdate` writes it).
pub fn parse_http_date(text: &str) -> Result<OffsetDateTime, TimestampError> {
    let trimmed = text.trim();
    let numeric = match trimmed.strip_suffix(" GMT").or_else(|| trimmed.strip_suffix(" UTC")) {
        Some(stem) => format!("{stem} +0000"),
        None => trimmed.to_owned(),
    };
    OffsetDateTime::parse(&numeric, &Rfc2822).map_err(|_| TimestampError::HttpDate(text.to_owned()))
}

/// Seconds since the epoch as JSON writes them: an integer when whole, else with millisecond precision.
pub fn to_epoch_seconds(at: OffsetDateTime) -> serde_json::Number {
    let millis = at.millisecond();
    if millis == 0 {
        serde_json::Number::from(at.unix_timestamp())
    } else {
        let seconds = at.unix_timestamp() as f64 + f64::from(millis) / 1000.0;
        serde_json::Number::from_f64(seconds).unwrap_or_else(|| serde_json::Number::from(at.unix_timestamp()))
    }
}

/// Reads seconds since the epoch from a JSON number, or from a string holding one (as some clients send).
pub fn from_epoch_seconds(value: &serde_json::Value) -> Result<OffsetDateTime, TimestampError> {
    let error = || TimestampError::EpochSeconds(value.to_string());
    let seconds = match value {
        serde_json::Value::Number(number) => number.as_f64().ok_or_else(error)?,
        serde_json::Value::String(text) => text.trim().parse::<f64>().map_err(|_| error())?,
        _ => return Err(error()),
    };
    if !seconds.is_finite() {
        return Err(error());
    }
    // Beyond about 31,000 years the time crate has no date to offer.
    if seconds.abs() > 1e12 {
        return Err(error());
    }
    // Round to milliseconds: AWS timestamps carry no more, and floating point would leave noise below them.
    let millis = (seconds * 1000.0).round() as i128;
    OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).map_err(|_| error())
}

#[cfg(test)]
mod tests;

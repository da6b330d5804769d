//! Cron schedules as CronJobs write them: five fields (minute, hour, day of month, month, day of week) with
//! lists, ranges, steps and names, or a descriptor (`@hourly`, `@daily`, ...), read as the cron library
//! kube-controller-manager uses reads them; and the next time a schedule fires in a time zone.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// A schedule that parsed: the set of values each field allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    minutes: u64,
    hours: u64,
    days_of_month: u64,
    months: u64,
    days_of_week: u64,
    /// Whether the day-of-month or the day-of-week field was a `*` or `?`: then a day must match both fields,
    /// otherwise either.
    any_day_field_is_star: bool,
}

/// Why a schedule did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Not five fields and not a known descriptor.
    #[error("expected exactly 5 fields, found {0}: {1}")]
    FieldCount(usize, String),
    /// A descriptor such as `@fortnightly` that does not exist.
    #[error("unrecognized descriptor: {0}")]
    Descriptor(String),
    /// A value, range or step that does not parse or lies outside the field's bounds.
    #[error("failed to parse {field} field {text:?}")]
    Field {
        /// Which field.
        field: &'static str,
        /// The offending text.
        text: String,
    },
}

struct Bounds {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: Bounds = Bounds { name: "minute", min: 0, max: 59, names: &[] };
const HOUR: Bounds = Bounds { name: "hour", min: 0, max: 23, names: &[] };
const DAY_OF_MONTH: Bounds = Bounds { name: "day-of-month", min: 1, max: 31, names: &[] };
const MONTH: Bounds = Bounds {
    name: "month",
    min: 1,
    max: 12,
    names: &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
};
const DAY_OF_WEEK: Bounds =
    Bounds { name: "day-of-week", min: 0, max: 6, names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"] };

impl Schedule {
    /// Parses a standard schedule.
    pub fn parse(text: &str) -> Result<Schedule, ScheduleError> {
        let text = text.trim();
        let expanded = match text.to_ascii_lowercase().as_str() {
            "@yearly" | "@annually" => "0 0 1 1 *".to_owned(),
            "@monthly" => "0 0 1 * *".to_owned(),
            "@weekly" => "0 0 * * 0".to_owned(),
            "@daily" | "@midnight" => "0 0 * * *".to_owned(),
            "@hourly" => "0 * * * *".to_owned(),
            other if other.starts_with('@') => return Err(ScheduleError::Descriptor(text.to_owned())),
            _ => text.to_owned(),
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let [minute, hour, day_of_month, month, day_of_week] = fields[..] else {
            return Err(ScheduleError::FieldCount(fields.len(), text.to_owned()));
        };
        Ok(Schedule {
            minutes: parse_field(minute, &MINUTE)?,
            hours: parse_field(hour, &HOUR)?,
            days_of_month: parse_field(day_of_month, &DAY_OF_MONTH)?,
            months: parse_field(month, &MONTH)?,
            days_of_week: parse_field(day_of_week, &DAY_OF_WEEK)?,
            any_day_field_is_star: is_star(day_of_month) || is_star(day_of_week),
        })
    }

    /// The first time strictly after `after` at which the schedule fires in `zone`, or `None` when it never
    /// fires in the next five years (such as on February 30th).
    pub fn next_after(&self, after: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        let local = zone.to_datetime(after);
        let mut at = local.with().second(0).subsec_nanosecond(0).build().ok()?.checked_add(1.minute()).ok()?;
        let limit = local.year() + 5;
        while at.year() <= limit {
            if !has(self.months, at.month()) {
                at = at.first_of_month().checked_add(1.month()).ok()?.start_of_day();
                continue;
            }
            if !self.day_matches(at) {
                at = at.start_of_day().checked_add(1.day()).ok()?;
                continue;
            }
            if !has(self.hours, at.hour()) {
                at = at.with().minute(0).build().ok()?.checked_add(1.hour()).ok()?;
                continue;
            }
            if !has(self.minutes, at.minute()) {
                at = at.checked_add(1.minute()).ok()?;
                continue;
            }
            let fires = zone.to_ambiguous_timestamp(at).compatible().ok()?;
            if fires > after {
                return Some(fires);
            }
            at = at.checked_add(1.minute()).ok()?;
        }
        None
    }

    fn day_matches(&self, at: DateTime) -> bool {
        let by_month_day = has(self.days_of_month, at.day());
        let by_week_day = has(self.days_of_week, at.weekday().to_sunday_zero_offset());
        if self.any_day_field_is_star { by_month_day && by_week_day } else { by_month_day || by_week_day }
    }
}

fn has(bits: u64, value: impl Into<i64>) -> bool {
    let value = value.into();
    (0..64).contains(&value) && bits & (1 << value) != 0
}

fn is_star(field: &str) -> bool {
    field.starts_with('*') || field.starts_with('?')
}

fn parse_field(field: &str, bounds: &Bounds) -> Result<u64, ScheduleError> {
    let garbage = || ScheduleError::Field { field: bounds.name, text: field.to_owned() };
    let mut bits = 0;
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, Some(step.parse::<u32>().map_err(|_| garbage())?)),
            None => (part, None),
        };
        let (start, end) = if range == "*" || range == "?" {
            (bounds.min, bounds.max)
        } else if let Some((low, high)) = range.split_once('-') {
            (value(low, bounds).ok_or_else(garbage)?, value(high, bounds).ok_or_else(garbage)?)
        } else {
            let start = value(range, bounds).ok_or_else(garbage)?;
            // `5/15` means from 5 to the field's end, every 15.
            (start, if step.is_some() { bounds.max } else { start })
        };
        let step = step.unwrap_or(1);
        if step == 0 || start < bounds.min || end > bounds.max || start > end {
            return Err(garbage());
        }
        bits |= (start..=end).step_by(step as usize).fold(0u64, |acc, v| acc | (1 << v));
    }
    Ok(bits)
}

fn value(text: &str, bounds: &Bounds) -> Option<u32> {
    let lower = text.to_ascii_lowercase();
    if let Some(index) = bounds.names.iter().position(|name| *name == lower) {
        return Some(bounds.min + index as u32);
    }
    let parsed: u32 = text.parse().ok()?;
    (bounds.min..=bounds.max).contains(&parsed).then_some(parsed)
}

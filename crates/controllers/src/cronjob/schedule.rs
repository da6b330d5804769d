//! The next time a CronJob's schedule fires, in a time zone. The schedule is read by `k8s_model::parse_cron`, the
//! one cron parser (the API server validates with it too), with the standard cron parser's messages.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use k8s_model::{CronFields, CronSchedule};

/// A schedule that parsed, and the `TZ=` zone it named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule(CronSchedule, Option<String>);

impl Schedule {
    /// Parses a standard schedule; the error is the cron parser's message.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        k8s_model::parse_cron(text).map(|cron| Schedule(cron.schedule, cron.zone))
    }

    /// The zone a `TZ=` or `CRON_TZ=` prefix named (older CronJobs; `spec.timeZone` replaced it).
    pub fn zone(&self) -> Option<&str> {
        self.1.as_deref()
    }

    /// The first time strictly after `after` at which the schedule fires in `zone`, or `None` when it never
    /// fires in the next five years (such as on February 30th).
    pub fn next_after(&self, after: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        match &self.0 {
            CronSchedule::Fields(fields) => next_in_fields(fields, after, zone),
            // A fixed interval from whole seconds, whatever the zone.
            CronSchedule::Every { seconds } => {
                let whole = Timestamp::from_second(after.as_second()).ok()?;
                whole.checked_add(i64::try_from(*seconds).ok()?.seconds()).ok()
            }
        }
    }
}

/// The first time strictly after `after` at which `fields` fire in `zone`; `None` within five years.
fn next_in_fields(fields: &CronFields, after: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
    let local = zone.to_datetime(after);
    let mut at = local.with().second(0).subsec_nanosecond(0).build().ok()?.checked_add(1.minute()).ok()?;
    let limit = local.year() + 5;
    while at.year() <= limit {
        if !has(fields.months, at.month()) {
            at = at.first_of_month().checked_add(1.month()).ok()?.start_of_day();
            continue;
        }
        if !day_matches(fields, at) {
            at = at.start_of_day().checked_add(1.day()).ok()?;
            continue;
        }
        if !has(fields.hours, at.hour()) {
            at = at.with().minute(0).build().ok()?.checked_add(1.hour()).ok()?;
            continue;
        }
        if !has(fields.minutes, at.minute()) {
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

fn day_matches(fields: &CronFields, at: DateTime) -> bool {
    let by_month_day = has(fields.days_of_month, at.day());
    let by_week_day = has(fields.days_of_week, at.weekday().to_sunday_zero_offset());
    if fields.any_day_field_is_star { by_month_day && by_week_day } else { by_month_day || by_week_day }
}

fn has(bits: u64, value: impl Into<i64>) -> bool {
    let value = value.into();
    (0..64).contains(&value) && bits & (1 << value) != 0
}

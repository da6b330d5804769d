//! Cron schedules as CronJobs write them, read as the standard cron parser (robfig/cron) that
//! kube-controller-manager uses reads them: an optional `TZ=` zone, five fields (minute, hour, day of month,
//! month, day of week) with lists, ranges, steps and names, or a descriptor (`@hourly`, `@every 1h`, ...). One
//! parser for both the API server's validation ([`parse_schedule`]) and the CronJob controller ([`parse_cron`]).

/// A schedule that parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    /// The `TZ=` or `CRON_TZ=` zone it named, if any.
    pub zone: Option<String>,
    pub schedule: CronSchedule,
}

/// When a schedule fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CronSchedule {
    /// At the times the five fields allow.
    Fields(CronFields),
    /// `@every <duration>`: a fixed interval, in whole seconds (at least one), as the parser rounds it.
    Every { seconds: u64 },
}

/// The values each of the five fields allows, as bits (bit `n` for value `n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CronFields {
    pub minutes: u64,
    pub hours: u64,
    pub days_of_month: u64,
    pub months: u64,
    /// Sunday is 0.
    pub days_of_week: u64,
    /// Whether the day-of-month or the day-of-week field was a `*` or `?`: then a day must match both fields,
    /// otherwise either.
    pub any_day_field_is_star: bool,
}

/// A cron field's bounds and, for months and weekdays, its names.
struct CronField {
    min: i64,
    max: i64,
    names: &'static [&'static str],
    first_name: i64,
}

const CRON_FIELDS: [CronField; 5] = [
    CronField { min: 0, max: 59, names: &[], first_name: 0 },
    CronField { min: 0, max: 23, names: &[], first_name: 0 },
    CronField { min: 1, max: 31, names: &[], first_name: 0 },
    CronField {
        min: 1,
        max: 12,
        names: &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        first_name: 1,
    },
    CronField { min: 0, max: 6, names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"], first_name: 0 },
];

/// Checks a schedule as the standard cron parser the CronJob controller uses does, with its error messages.
pub fn parse_schedule(schedule: &str) -> Result<(), String> {
    parse_cron(schedule).map(drop)
}

/// Reads a schedule as the standard cron parser (robfig/cron, which the CronJob controller uses) does: an
/// optional `TZ=`/`CRON_TZ=` zone, then a descriptor (`@hourly`, ..., `@every <duration>`) or five fields;
/// errors carry that parser's messages.
pub fn parse_cron(schedule: &str) -> Result<Cron, String> {
    let mut spec = schedule.trim();
    let mut zone = None;
    if spec.is_empty() {
        return Err("empty spec string".to_owned());
    }
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        match spec.split_once(' ') {
            Some((prefix, rest)) => {
                zone = prefix.split_once('=').map(|(_, name)| name.to_owned());
                spec = rest.trim();
            }
            None => {
                return Err(format!(
                    "provided bad location {}: unknown time zone",
                    &spec[spec.find('=').map_or(0, |i| i + 1)..]
                ));
            }
        }
    }
    let expanded = match spec.strip_prefix('@') {
        None => spec,
        Some("yearly" | "annually") => "0 0 1 1 *",
        Some("monthly") => "0 0 1 * *",
        Some("weekly") => "0 0 * * 0",
        Some("daily" | "midnight") => "0 0 * * *",
        Some("hourly") => "0 * * * *",
        Some(every) if every.starts_with("every ") => {
            let duration = every["every ".len()..].trim();
            let Some(nanos) = crate::duration::go_duration_nanos(duration) else {
                return Err(format!("failed to parse duration {spec}: time: invalid duration \"{duration}\""));
            };
            // Less than a second is a second; the rest is cut to whole seconds.
            let seconds = u64::try_from(nanos / 1_000_000_000).unwrap_or(0).max(1);
            return Ok(Cron { zone, schedule: CronSchedule::Every { seconds } });
        }
        Some(_) => return Err(format!("unrecognized descriptor: {spec}")),
    };
    let fields: Vec<&str> = expanded.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected exactly 5 fields, found {}: [{}]", fields.len(), fields.join(" ")));
    }
    let mut sets = [0u64; 5];
    for ((text, bounds), set) in fields.iter().zip(CRON_FIELDS.iter()).zip(sets.iter_mut()) {
        for expression in text.split(',') {
            *set |= parse_range(expression, bounds)?;
        }
    }
    let star = |field: &str| field.starts_with('*') || field.starts_with('?');
    let [minutes, hours, days_of_month, months, days_of_week] = sets;
    let any_day_field_is_star = star(fields[2]) || star(fields[4]);
    let fields = CronFields { minutes, hours, days_of_month, months, days_of_week, any_day_field_is_star };
    Ok(Cron { zone, schedule: CronSchedule::Fields(fields) })
}

/// The values one comma-separated part of a field allows, as bits (bit `n` for value `n`).
fn parse_range(expression: &str, bounds: &CronField) -> Result<u64, String> {
    let range_and_step: Vec<&str> = expression.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end) = if low_and_high[0] == "*" || low_and_high[0] == "?" {
        (bounds.min, bounds.max)
    } else {
        let start = parse_int_or_name(low_and_high[0], bounds)?;
        match low_and_high.len() {
            1 => (start, start),
            2 => (start, parse_int_or_name(low_and_high[1], bounds)?),
            _ => return Err(format!("too many hyphens: {expression}")),
        }
    };
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = parse_int(range_and_step[1])?;
            if single {
                end = bounds.max;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expression}")),
    };
    if start < bounds.min {
        return Err(format!("beginning of range ({start}) below minimum ({}): {expression}", bounds.min));
    }
    if end > bounds.max {
        return Err(format!("end of range ({end}) above maximum ({}): {expression}", bounds.max));
    }
    if start > end {
        return Err(format!("beginning of range ({start}) beyond end of range ({end}): {expression}"));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expression}"));
    }
    let step = usize::try_from(step).unwrap_or(usize::MAX);
    Ok((start..=end).step_by(step).fold(0u64, |bits, value| bits | (1 << value)))
}

fn parse_int_or_name(text: &str, bounds: &CronField) -> Result<i64, String> {
    let lower = text.to_lowercase();
    if let Some(position) = bounds.names.iter().position(|name| *name == lower) {
        return Ok(position as i64 + bounds.first_name);
    }
    parse_int(text)
}

fn parse_int(text: &str) -> Result<i64, String> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 18 {
        return Err(format!(
            "failed to parse int from {text}: strconv.Atoi: parsing {}: invalid syntax",
            crate::go_quote(text)
        ));
    }
    let number: i64 = text.parse().map_err(|_| format!("failed to parse int from {text}"))?;
    if number < 0 {
        return Err(format!("negative number ({number}) not allowed: {text}"));
    }
    Ok(number)
}

#[cfg(test)]
mod tests;

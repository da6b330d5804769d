use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::schedule::Schedule;
use super::{due, job_name, zone_of};

fn ts(text: &str) -> Timestamp {
    text.parse().expect("a timestamp")
}

/// The next firing of `schedule` after `after` in `zone`, as RFC 3339 UTC, or the parse error.
fn check(schedule: &str, zone: &str, after: &str, expect: &str) {
    let zone = zone_of(Some(zone)).expect("a known zone");
    let got = match Schedule::parse(schedule) {
        Ok(parsed) => parsed.next_after(ts(after), &zone).map_or("never".to_owned(), |t| t.to_string()),
        Err(error) => format!("error: {error}"),
    };
    assert_eq!(got, expect, "{schedule} after {after}");
}

#[test]
fn next_schedule_times() {
    check("* * * * *", "UTC", "2026-01-01T10:00:30Z", "2026-01-01T10:01:00Z");
    check("* * * * *", "UTC", "2026-01-01T10:00:00Z", "2026-01-01T10:01:00Z");
    check("*/15 * * * *", "UTC", "2026-01-01T10:16:00Z", "2026-01-01T10:30:00Z");
    check("5/20 * * * *", "UTC", "2026-01-01T10:26:00Z", "2026-01-01T10:45:00Z");
    check("0 9-17/4 * * *", "UTC", "2026-01-01T13:00:00Z", "2026-01-01T17:00:00Z");
    check("30 2 * * mon-fri", "UTC", "2026-01-02T03:00:00Z", "2026-01-05T02:30:00Z");
    check("0 0 1 jan,JUL *", "UTC", "2026-02-01T00:00:00Z", "2026-07-01T00:00:00Z");
    check("0 0 13 * 5", "UTC", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
    check("0 0 13 * *", "UTC", "2026-01-01T00:00:00Z", "2026-01-13T00:00:00Z");
    check("0 0 29 2 *", "UTC", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z");
    check("0 0 30 2 *", "UTC", "2026-03-01T00:00:00Z", "never");
    check("@hourly", "UTC", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z");
    check("@daily", "UTC", "2026-01-01T10:00:00Z", "2026-01-02T00:00:00Z");
    check("@weekly", "UTC", "2026-01-01T10:00:00Z", "2026-01-04T00:00:00Z");
    check("@monthly", "UTC", "2026-01-01T10:00:00Z", "2026-02-01T00:00:00Z");
    check("@yearly", "UTC", "2026-01-01T10:00:00Z", "2027-01-01T00:00:00Z");
    check("0 9 * * *", "America/New_York", "2026-01-01T00:00:00Z", "2026-01-01T14:00:00Z");
    check("0 9 * * *", "America/New_York", "2026-07-01T00:00:00Z", "2026-07-01T13:00:00Z");
    check("0 9 * * *", "Asia/Kolkata", "2026-01-01T00:00:00Z", "2026-01-01T03:30:00Z");
    // 02:30 does not exist on the day New York springs forward; the run moves to 03:30 local.
    check("30 2 * * *", "America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T07:30:00Z");
}

#[test]
fn garbage_schedules_are_refused() {
    // The standard cron parser's messages, which the API server's validation gives too.
    let refused = |schedule: &str, message: &str| {
        check(schedule, "UTC", "2026-01-01T00:00:00Z", &format!("error: {message}"));
    };
    refused("", "empty spec string");
    refused("* * * *", "expected exactly 5 fields, found 4: [* * * *]");
    refused("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]");
    refused("60 * * * *", "end of range (60) above maximum (59): 60");
    refused("* 24 * * *", "end of range (24) above maximum (23): 24");
    refused("* * 0 * *", "beginning of range (0) below minimum (1): 0");
    refused("* * * 13 *", "end of range (13) above maximum (12): 13");
    refused("* * * * 7", "end of range (7) above maximum (6): 7");
    refused("*/0 * * * *", "step of range should be a positive number: */0");
    refused("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1");
    refused("a b c d e", "failed to parse int from a: strconv.Atoi: parsing \"a\": invalid syntax");
    refused("* * * foo *", "failed to parse int from foo: strconv.Atoi: parsing \"foo\": invalid syntax");
    refused("@fortnightly", "unrecognized descriptor: @fortnightly");
    refused("1,,2 * * * *", "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax");
    refused("-1 * * * *", "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax");
}

#[test]
fn every_schedules_fire_at_a_fixed_interval() {
    check("@every 90m", "UTC", "2026-01-01T10:00:30.5Z", "2026-01-01T11:30:30Z");
    check("@every 1h", "America/New_York", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z");
}

#[test]
fn unknown_time_zones_are_refused() {
    assert!(zone_of(Some("Mars/Olympus_Mons")).is_err());
    assert!(zone_of(Some("")).is_err());
    assert_eq!(zone_of(None).expect("UTC"), TimeZone::UTC);
}

/// The schedule times a CronJob is due for between `earliest` and `now`: (most recent, count, next).
fn check_due(schedule: &str, earliest: &str, now: &str, expect: (Option<&str>, usize, &str)) {
    let parsed = Schedule::parse(schedule).expect("a schedule");
    let got = due(&parsed, &TimeZone::UTC, ts(earliest), ts(now));
    let most_recent = got.most_recent.map(|t| t.to_string());
    assert_eq!(
        (most_recent.as_deref(), got.missed, got.next.map(|t| t.to_string()).unwrap_or_default().as_str()),
        expect
    );
}

#[test]
fn due_times() {
    check_due("* * * * *", "2026-01-01T10:00:30Z", "2026-01-01T10:00:50Z", (None, 0, "2026-01-01T10:01:00Z"));
    check_due(
        "* * * * *",
        "2026-01-01T10:00:30Z",
        "2026-01-01T10:01:00Z",
        (Some("2026-01-01T10:01:00Z"), 1, "2026-01-01T10:02:00Z"),
    );
    check_due(
        "* * * * *",
        "2026-01-01T10:00:00Z",
        "2026-01-01T10:05:10Z",
        (Some("2026-01-01T10:05:00Z"), 5, "2026-01-01T10:06:00Z"),
    );
    check_due(
        "* * * * *",
        "2026-01-01T00:00:00Z",
        "2026-01-02T00:00:10Z",
        (Some("2026-01-02T00:00:00Z"), 101, "2026-01-02T00:01:00Z"),
    );
}

#[test]
fn job_names_count_minutes_since_the_epoch() {
    assert_eq!(job_name("hello", ts("2026-01-01T10:01:00Z")), "hello-29454361");
    assert_eq!(job_name("hello", ts("1970-01-01T00:00:00Z")), "hello-0");
}

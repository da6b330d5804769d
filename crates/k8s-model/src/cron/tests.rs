//! The cron schedule parser against the standard parser's messages.

use super::{Cron, CronFields, CronSchedule, parse_cron, parse_schedule};

#[test]
fn schedules() {
    let check = |schedule: &str, expect: Result<(), &str>| {
        assert_eq!(parse_schedule(schedule), expect.map_err(str::to_owned), "{schedule:?}");
    };
    check("*/5 * * * *", Ok(()));
    check("0 9-17 * JAN-dec mon-FRI", Ok(()));
    check("@hourly", Ok(()));
    check("@every 1h30m", Ok(()));
    check("TZ=UTC 0 0 * * *", Ok(()));
    check("", Err("empty spec string"));
    check("@fortnightly", Err("unrecognized descriptor: @fortnightly"));
    check("* * *", Err("expected exactly 5 fields, found 3: [* * *]"));
    check("61 * * * *", Err("end of range (61) above maximum (59): 61"));
    check("* * 0 * *", Err("beginning of range (0) below minimum (1): 0"));
    check("5-2 * * * *", Err("beginning of range (5) beyond end of range (2): 5-2"));
    check("*/0 * * * *", Err("step of range should be a positive number: */0"));
    check("1-2-3 * * * *", Err("too many hyphens: 1-2-3"));
    check("x * * * *", Err("failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"));
}

#[test]
fn fields_become_sets_of_values() {
    let fields = |schedule: &str| match parse_cron(schedule).expect("a schedule").schedule {
        CronSchedule::Fields(fields) => fields,
        other => panic!("{schedule}: {other:?}"),
    };
    let bits = |values: &[u32]| values.iter().fold(0u64, |bits, v| bits | (1 << v));
    let parsed = fields("*/15 9-17/4 1,15 jan-mar mon-FRI");
    assert_eq!(parsed.minutes, bits(&[0, 15, 30, 45]));
    assert_eq!(parsed.hours, bits(&[9, 13, 17]));
    assert_eq!(parsed.days_of_month, bits(&[1, 15]));
    assert_eq!(parsed.months, bits(&[1, 2, 3]));
    assert_eq!(parsed.days_of_week, bits(&[1, 2, 3, 4, 5]));
    assert!(!parsed.any_day_field_is_star);
    // `5/20` runs from 5 to the end of the field.
    assert_eq!(fields("5/20 * * * *").minutes, bits(&[5, 25, 45]));
    let daily = fields("@daily");
    assert_eq!(
        daily,
        CronFields {
            minutes: 1,
            hours: 1,
            days_of_month: bits(&(1..=31).collect::<Vec<_>>()),
            months: bits(&(1..=12).collect::<Vec<_>>()),
            days_of_week: bits(&(0..=6).collect::<Vec<_>>()),
            any_day_field_is_star: true,
        }
    );
    assert_eq!(
        parse_cron("CRON_TZ=Europe/Paris @every 90m").unwrap(),
        Cron { zone: Some("Europe/Paris".into()), schedule: CronSchedule::Every { seconds: 5400 } }
    );
    assert_eq!(parse_cron("TZ=UTC 0 0 * * *").unwrap().zone.as_deref(), Some("UTC"));
    let every = |schedule: &str| parse_cron(schedule).map(|cron| cron.schedule);
    assert_eq!(every("@every 1.5s"), Ok(CronSchedule::Every { seconds: 1 }));
    assert_eq!(every("@every 10ms"), Ok(CronSchedule::Every { seconds: 1 }));
    assert_eq!(every("@every 1h2m3s"), Ok(CronSchedule::Every { seconds: 3723 }));
    assert!(every("@every 5 minutes").is_err());
    assert!(every("@every .").is_err());
}

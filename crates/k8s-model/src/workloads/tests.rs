//! The cron schedule parser against the standard parser's messages.

use super::parse_schedule;

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

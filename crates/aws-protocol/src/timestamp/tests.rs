use time::macros::datetime;

use super::*;

#[test]
fn iso8601_as_aws_writes_it() {
    let check = |at: OffsetDateTime, expect: &str| assert_eq!(format_iso8601(at), expect);
    check(datetime!(2026-11-28 00:51:19 UTC), "2026-11-28T00:51:19.000Z");
    check(datetime!(2026-11-28 00:51:19.1234 UTC), "2026-11-28T00:51:19.123Z");
    check(datetime!(2026-11-28 02:51:19 +02:00), "2026-11-28T00:51:19.000Z");
}

#[test]
fn iso8601_parses() {
    let check = |text: &str, expect: Result<OffsetDateTime, ()>| {
        assert_eq!(parse_iso8601(text).map_err(|_| ()), expect, "{text:?}");
    };
    check("2026-11-28T00:51:19.000Z", Ok(datetime!(2026-11-28 00:51:19 UTC)));
    check("2026-11-28T00:51:19Z", Ok(datetime!(2026-11-28 00:51:19 UTC)));
    check("2026-11-28T01:51:19.5+01:00", Ok(datetime!(2026-11-28 00:51:19.5 UTC)));
    check("2026-11-28T00:51:19", Err(()));
    check("2026-13-28T00:51:19Z", Err(()));
    check("yesterday", Err(()));
    check("", Err(()));
}

#[test]
fn basic_form_round_trips_and_refuses_garbage() {
    let at = datetime!(2025-03-14 09:26:53 UTC);
    assert_eq!(format_basic(at), "20250314T092653Z");
    assert_eq!(parse_basic("20250314T092653Z"), Ok(at));
    for text in ["20250314T092653", "20250314 092653Z", "2025031T0926533Z", "+0250314T092653Z", "20250230T000000Z"] {
        assert_eq!(parse_basic(text), Err(TimestampError::Basic(text.to_owned())), "{text}");
    }
    // Multi-byte characters whose bytes put `T` and `Z` in place must not be sliced apart.
    assert!(parse_basic("2025031é092653Z").is_err());
    assert!(parse_basic("202é031T092653Z").is_err());
    assert!(parse_basic("2025031T09265éZ").is_err());
}

#[test]
fn http_dates_parse() {
    let at = Ok(datetime!(2025-03-14 09:26:53 UTC));
    assert_eq!(parse_http_date("Fri, 14 Mar 2025 09:26:53 GMT"), at);
    assert_eq!(parse_http_date("Fri, 14 Mar 2025 09:26:53 -0000"), at);
    assert_eq!(parse_http_date("Fri, 14 Mar 2025 10:26:53 +0100"), at);
    assert!(parse_http_date("2025-03-14").is_err());
    assert!(parse_http_date("Fri, 14 Foo 2025 09:26:53 GMT").is_err());
}

#[test]
fn epoch_seconds_round_trip() {
    let whole = datetime!(2026-11-28 00:51:19 UTC);
    assert_eq!(to_epoch_seconds(whole).to_string(), "1795827079");
    let fraction = datetime!(2026-11-28 00:51:19.25 UTC);
    assert_eq!(to_epoch_seconds(fraction).to_string(), "1795827079.25");
    assert_eq!(from_epoch_seconds(&serde_json::json!(1795827079)), Ok(whole));
    assert_eq!(from_epoch_seconds(&serde_json::json!(1795827079.25)), Ok(fraction));
    assert_eq!(from_epoch_seconds(&serde_json::json!("1795827079.25")), Ok(fraction));
    for garbage in
        [serde_json::json!("soon"), serde_json::json!(null), serde_json::json!([1]), serde_json::json!(1e300)]
    {
        assert!(from_epoch_seconds(&garbage).is_err(), "{garbage}");
    }
}

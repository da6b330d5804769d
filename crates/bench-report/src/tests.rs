use std::time::{Duration, UNIX_EPOCH};

#[test]
fn timestamps_are_utc_seconds() {
    assert_eq!(super::utc_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    // A leap day, and a time of day.
    assert_eq!(super::utc_timestamp(UNIX_EPOCH + Duration::from_secs(951_826_523)), "2000-02-29T12:15:23Z");
}

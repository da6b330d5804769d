//! Quantity syntax and values.

use super::{canonical_quantity, parse_quantity, rounded_up};

#[test]
fn quantities() {
    for (text, expect) in [
        ("500m", Some(0.5)),
        ("1Gi", Some(1073741824.0)),
        ("2e3", Some(2000.0)),
        ("1.5", Some(1.5)),
        ("-1", Some(-1.0)),
        ("", None),
        ("1GB", None),
        ("abc", None),
        ("1..2", None),
        ("1e", None),
    ] {
        assert_eq!(parse_quantity(text), expect, "{text:?}");
    }
}

#[test]
fn canonical_forms() {
    let check = |text: &str, milli: bool, expect: Option<&str>| {
        assert_eq!(canonical_quantity(text, milli).as_deref(), expect, "{text:?}");
    };
    check("500m", false, Some("500m"));
    check("0.5", false, Some("500m"));
    check("1", false, Some("1"));
    check("1.0", false, Some("1"));
    check("+01", false, Some("1"));
    check("1000", false, Some("1k"));
    check("1500", false, Some("1500"));
    check("1.5k", false, Some("1500"));
    check("2000m", false, Some("2"));
    check("128Mi", false, Some("128Mi"));
    check("1.5Gi", false, Some("1536Mi"));
    check("0.5Gi", false, Some("512Mi"));
    check("1024", false, Some("1024"));
    check("1024Ki", false, Some("1Mi"));
    check("0.5Ki", false, Some("512"));
    check("0.1Ki", false, Some("102400m"));
    check("1e3", false, Some("1e3"));
    check("1.5e3", false, Some("1500"));
    check("12e6", false, Some("12e6"));
    check("0", false, Some("0"));
    check("0Gi", false, Some("0"));
    check("-1.5", false, Some("-1500m"));
    check("1n", false, Some("1n"));
    check("0.1n", false, Some("1n"));
    check("0.0001", true, Some("1m"));
    check("100n", true, Some("1m"));
    check("", false, None);
    check(".", false, None);
    check("1GB", false, None);
    check(" 1", false, None);
    check("123456789012345678901234567890", false, None);
}

#[test]
fn values_round_up_to_whole_units_or_thousandths() {
    let check = |text: &str, expect_millis: Option<u64>, expect_whole: Option<u64>| {
        assert_eq!((rounded_up(text, true), rounded_up(text, false)), (expect_millis, expect_whole), "{text:?}");
    };
    check("250m", Some(250), Some(1));
    check("100m", Some(100), Some(1));
    check("0.1", Some(100), Some(1));
    check("0.5", Some(500), Some(1));
    check("1.5", Some(1500), Some(2));
    check("2", Some(2000), Some(2));
    check("1k", Some(1_000_000), Some(1000));
    check("128Mi", Some(128 * 1024 * 1024 * 1000), Some(128 * 1024 * 1024));
    check("1G", Some(1_000_000_000_000), Some(1_000_000_000));
    check("1e3", Some(1_000_000), Some(1000));
    check(" 1Ki ", Some(1_024_000), Some(1024));
    for garbage in ["", "abc", "lots", "-1", "1Xi", "m", ".", "1.2.3", "1e", "NaN", "inf", "1 Gi"] {
        check(garbage, None, None);
    }
}

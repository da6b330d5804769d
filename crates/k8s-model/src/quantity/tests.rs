//! Quantity syntax and values.

use super::parse_quantity;

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

use super::{holds, parse_date};
use crate::policy::document::{Condition, ConditionOperator};
use crate::policy::request::Context;

/// Evaluates `operator` on `key` with the policy `values` against a request whose `key` holds `request`
/// (`None`: the request lacks the key).
fn check(operator: &str, values: &[&str], request: Option<&[&str]>, expect: bool) {
    let condition = Condition {
        operator: ConditionOperator::parse(operator).expect("known operator"),
        key: "test:Key".to_owned(),
        values: values.iter().map(|value| (*value).to_owned()).collect(),
    };
    let mut context = Context::new();
    if let Some(request) = request {
        context.insert("TEST:key", request.iter().copied());
    }
    assert_eq!(holds(&condition, &context, true), Some(expect), "{operator} {values:?} against {request:?}");
}

#[test]
fn string_operators() {
    check("StringEquals", &["a", "b"], Some(&["b"]), true);
    check("StringEquals", &["a"], Some(&["A"]), false);
    check("StringEquals", &["a*"], Some(&["abc"]), false);
    check("StringEquals", &["a*"], Some(&["a*"]), true);
    check("StringEquals", &["a"], None, false);
    check("StringNotEquals", &["a", "b"], Some(&["c"]), true);
    check("StringNotEquals", &["a", "b"], Some(&["a"]), false);
    check("StringNotEquals", &["a"], None, true);
    check("StringEqualsIgnoreCase", &["Hello"], Some(&["hELLO"]), true);
    check("StringEqualsIgnoreCase", &["Hello"], Some(&["hello!"]), false);
    check("StringNotEqualsIgnoreCase", &["Hello"], Some(&["HELLO"]), false);
    check("StringNotEqualsIgnoreCase", &["Hello"], Some(&["bye"]), true);
    check("StringLike", &["system:serviceaccount:default:*"], Some(&["system:serviceaccount:default:app"]), true);
    check("StringLike", &["system:serviceaccount:default:*"], Some(&["system:serviceaccount:prod:app"]), false);
    check("StringLike", &["a?c"], Some(&["abc"]), true);
    check("StringLike", &["A*"], Some(&["abc"]), false);
    check("StringNotLike", &["a*"], Some(&["bcd"]), true);
    check("StringNotLike", &["a*"], Some(&["abc"]), false);
    check("StringNotLike", &["a*"], None, true);
}

#[test]
fn numeric_operators() {
    check("NumericEquals", &["10"], Some(&["10"]), true);
    check("NumericEquals", &["10"], Some(&["10.0"]), true);
    check("NumericEquals", &["10"], Some(&["11"]), false);
    check("NumericEquals", &["10"], Some(&["ten"]), false);
    check("NumericEquals", &["ten"], Some(&["10"]), false);
    check("NumericNotEquals", &["10"], Some(&["11"]), true);
    check("NumericNotEquals", &["10"], Some(&["10"]), false);
    check("NumericNotEquals", &["10"], None, true);
    check("NumericLessThan", &["10"], Some(&["9.5"]), true);
    check("NumericLessThan", &["10"], Some(&["10"]), false);
    check("NumericLessThanEquals", &["10"], Some(&["10"]), true);
    check("NumericLessThanEquals", &["10"], Some(&["11"]), false);
    check("NumericGreaterThan", &["10"], Some(&["11"]), true);
    check("NumericGreaterThan", &["10"], Some(&["-11"]), false);
    check("NumericGreaterThanEquals", &["10"], Some(&["10"]), true);
    check("NumericGreaterThanEquals", &["10"], Some(&["9"]), false);
    check("NumericLessThan", &["10"], None, false);
    check("NumericLessThan", &["10"], Some(&["NaN"]), false);
    check("NumericLessThan", &["10"], Some(&["-inf"]), false);
}

#[test]
fn date_operators() {
    check("DateEquals", &["2024-01-01T00:00:00Z"], Some(&["1704067200"]), true);
    check("DateEquals", &["2024-01-01"], Some(&["2024-01-01T00:00:00Z"]), true);
    check("DateEquals", &["2024-01-01T01:00:00+01:00"], Some(&["2024-01-01T00:00:00Z"]), true);
    check("DateNotEquals", &["2024-01-01T00:00:00Z"], Some(&["2024-01-01T00:00:01Z"]), true);
    check("DateNotEquals", &["2024-01-01T00:00:00Z"], Some(&["2024-01-01T00:00:00.000Z"]), false);
    check("DateNotEquals", &["2024-01-01T00:00:00Z"], None, true);
    check("DateLessThan", &["2024-01-01T00:00:00Z"], Some(&["2023-12-31T23:59:59Z"]), true);
    check("DateLessThan", &["2024-01-01T00:00:00Z"], Some(&["2024-01-01T00:00:00Z"]), false);
    check("DateLessThanEquals", &["2024-01-01T00:00:00Z"], Some(&["2024-01-01T00:00:00Z"]), true);
    check("DateGreaterThan", &["2024-01-01T00:00:00Z"], Some(&["2024-01-01T00:00:00.5Z"]), true);
    check("DateGreaterThan", &["2024-01-01T00:00:00Z"], Some(&["2023-06-01"]), false);
    check("DateGreaterThanEquals", &["2024-01-01"], Some(&["2024-01-01"]), true);
    check("DateGreaterThanEquals", &["2024-01-01"], Some(&["not a date"]), false);
    check("DateLessThan", &["2024-01-01"], None, false);
}

#[test]
fn dates_read_iso_8601_and_epoch_seconds() {
    let seconds = |text: &str| parse_date(text).map(|nanos| nanos / 1_000_000_000);
    assert_eq!(seconds("1970-01-01"), Some(0));
    assert_eq!(seconds("0"), Some(0));
    assert_eq!(seconds("-86400"), Some(-86_400));
    assert_eq!(seconds("2000-02-29T12:30:15Z"), Some(951_827_415));
    assert_eq!(seconds("2000-02-29t12:30:15z"), Some(951_827_415));
    assert_eq!(seconds("2000-02-29T12:30"), Some(951_827_400));
    assert_eq!(seconds("2000-02-29T14:30:15+0200"), Some(951_827_415));
    assert_eq!(seconds("2000-02-29T10:30:15-02:00"), Some(951_827_415));
    assert_eq!(parse_date("1970-01-01T00:00:00.123456789Z"), Some(123_456_789));
    assert_eq!(parse_date("1969-12-31"), Some(-86_400_000_000_000));
    for garbage in [
        "",
        "2001-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-1-1",
        "2024-01-01T24:00",
        "2024-01-01T10:60",
        "2024-01-01T10:00:00.Z",
        "2024-01-01T10:00:00+25:00",
        "2024-01-01T10:00:00+1",
        "2024-01-01-01",
        "T",
        "--",
        "99999999999999999999",
        "2024-01-01T10:00:00.1234567890Z",
        "２０２４-01-01",
    ] {
        assert_eq!(parse_date(garbage), None, "{garbage:?}");
    }
}

#[test]
fn bool_binary_and_null() {
    check("Bool", &["true"], Some(&["true"]), true);
    check("Bool", &["true"], Some(&["TRUE"]), true);
    check("Bool", &["true"], Some(&["false"]), false);
    check("Bool", &["false"], None, false);
    check("BoolIfExists", &["false"], None, true);
    check("BinaryEquals", &["QmluYXJ5"], Some(&["QmluYXJ5"]), true);
    check("BinaryEquals", &["QmluYXJ5"], Some(&["QmluYXJ6"]), false);
    check("Null", &["true"], None, true);
    check("Null", &["true"], Some(&["x"]), false);
    check("Null", &["false"], Some(&["x"]), true);
    check("Null", &["false"], None, false);
    check("Null", &["true"], Some(&[]), true);
    check("Null", &["maybe"], None, false);
}

#[test]
fn ip_address_operators() {
    check("IpAddress", &["203.0.113.0/24"], Some(&["203.0.113.7"]), true);
    check("IpAddress", &["203.0.113.0/24"], Some(&["203.0.114.7"]), false);
    check("IpAddress", &["203.0.113.7"], Some(&["203.0.113.7"]), true);
    check("IpAddress", &["0.0.0.0/0"], Some(&["8.8.8.8"]), true);
    check("IpAddress", &["10.0.0.0/8", "192.168.0.0/16"], Some(&["192.168.1.1"]), true);
    check("IpAddress", &["2001:db8::/32"], Some(&["2001:db8:1::1"]), true);
    check("IpAddress", &["2001:db8::/32"], Some(&["2001:db9::1"]), false);
    check("IpAddress", &["::/0"], Some(&["::1"]), true);
    check("IpAddress", &["2001:db8::/32"], Some(&["203.0.113.7"]), false);
    check("IpAddress", &["203.0.113.0/33"], Some(&["203.0.113.7"]), false);
    check("IpAddress", &["203.0.113.0/x"], Some(&["203.0.113.7"]), false);
    check("IpAddress", &["203.0.113.0/24"], Some(&["not an address"]), false);
    check("IpAddress", &["203.0.113.0/24"], None, false);
    check("NotIpAddress", &["203.0.113.0/24"], Some(&["198.51.100.1"]), true);
    check("NotIpAddress", &["203.0.113.0/24"], Some(&["203.0.113.1"]), false);
    check("NotIpAddress", &["203.0.113.0/24"], None, true);
}

#[test]
fn arn_operators() {
    let role = "arn:aws:iam::123456789012:role/eks";
    check("ArnEquals", &[role], Some(&[role]), true);
    check("ArnEquals", &["arn:aws:iam::123456789012:role/*"], Some(&[role]), true);
    check("ArnLike", &["arn:aws:iam::*:role/e?s"], Some(&[role]), true);
    check("ArnLike", &["arn:aws:iam::*:user/*"], Some(&[role]), false);
    check("ArnLike", &["arn:aws:iam::*:role/*"], Some(&["not-an-arn"]), false);
    check("ArnNotEquals", &[role], Some(&["arn:aws:iam::123456789012:role/other"]), true);
    check("ArnNotLike", &["arn:aws:iam::*:role/*"], Some(&[role]), false);
    check("ArnNotLike", &["arn:aws:iam::*:role/*"], None, true);
}

#[test]
fn if_exists_makes_a_missing_key_pass() {
    check("StringEqualsIfExists", &["a"], None, true);
    check("StringEqualsIfExists", &["a"], Some(&["b"]), false);
    check("StringNotEqualsIfExists", &["a"], Some(&["a"]), false);
    check("NumericLessThanIfExists", &["5"], None, true);
    check("ArnLikeIfExists", &["arn:*"], Some(&["x"]), false);
}

#[test]
fn multivalued_keys_and_set_qualifiers() {
    let tags: &[&str] = &["env", "team"];
    // Without a qualifier: any value; negated: no value.
    check("StringEquals", &["team"], Some(tags), true);
    check("StringNotEquals", &["team"], Some(tags), false);
    check("StringNotEquals", &["owner"], Some(tags), true);
    // ForAnyValue: at least one request value (fails to) match; missing or empty is false.
    check("ForAnyValue:StringEquals", &["team", "owner"], Some(tags), true);
    check("ForAnyValue:StringEquals", &["owner"], Some(tags), false);
    check("ForAnyValue:StringEquals", &["owner"], None, false);
    check("ForAnyValue:StringEquals", &["owner"], Some(&[]), false);
    check("ForAnyValue:StringNotEquals", &["env"], Some(tags), true);
    check("ForAnyValue:StringNotEquals", &["env", "team"], Some(tags), false);
    check("ForAnyValue:StringNotEquals", &["env"], None, false);
    check("ForAnyValue:StringEqualsIfExists", &["owner"], None, true);
    check("ForAnyValue:StringLike", &["te*"], Some(tags), true);
    // ForAllValues: every request value (fails to) match; missing or empty is true.
    check("ForAllValues:StringEquals", &["env", "team", "owner"], Some(tags), true);
    check("ForAllValues:StringEquals", &["env"], Some(tags), false);
    check("ForAllValues:StringEquals", &["env"], None, true);
    check("ForAllValues:StringEquals", &["env"], Some(&[]), true);
    check("ForAllValues:StringNotEquals", &["owner"], Some(tags), true);
    check("ForAllValues:StringNotEquals", &["env"], Some(tags), false);
    check("ForAllValues:StringNotEquals", &["env"], None, true);
    check("ForAllValues:StringLike", &["e*", "t*"], Some(tags), true);
    check("ForAllValues:NumericLessThan", &["5"], Some(&["1", "4"]), true);
    check("ForAllValues:NumericLessThan", &["5"], Some(&["1", "6"]), false);
}

#[test]
fn variables_in_condition_values() {
    let condition = |value: &str| Condition {
        operator: ConditionOperator::parse("StringEquals").expect("known operator"),
        key: "aws:PrincipalTag/team".to_owned(),
        values: vec![value.to_owned()],
    };
    let mut context = Context::new();
    context.insert("aws:PrincipalTag/team", ["eks"]);
    context.insert("aws:ResourceTag/team", ["eks"]);
    assert_eq!(holds(&condition("${aws:ResourceTag/team}"), &context, true), Some(true));
    assert_eq!(holds(&condition("${aws:ResourceTag/team}"), &context, false), Some(false));
    assert_eq!(holds(&condition("${aws:RequestTag/team}"), &context, true), None);
    assert_eq!(holds(&condition("${aws:RequestTag/team, 'eks'}"), &context, true), Some(true));
}

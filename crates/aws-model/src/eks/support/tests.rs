use super::*;

fn check_page(names: &[&str], max: Option<i64>, token: Option<&str>, expect: Result<(&[&str], bool), &str>) {
    let names = names.iter().map(|n| (*n).to_owned()).collect();
    match (page(names, max, token), expect) {
        (Ok((got, next)), Ok((want, more))) => {
            assert_eq!(got, want);
            assert_eq!(next.is_some(), more, "{got:?}");
        }
        (Err(error), Err(want)) => assert!(error.to_string().contains(want), "{error}"),
        (got, want) => panic!("{got:?} but expected {want:?}"),
    }
}

#[test]
fn pages_are_alphabetical_and_tokens_resume_after_the_last_name() {
    check_page(&["b", "a", "c"], None, None, Ok((&["a", "b", "c"], false)));
    check_page(&["b", "a", "c"], Some(2), None, Ok((&["a", "b"], true)));
    check_page(&["b", "a", "c"], Some(2), Some(&crate::ids::base64(b"b")), Ok((&["c"], false)));
    check_page(&[], Some(1), None, Ok((&[], false)));
    check_page(&["a"], Some(0), None, Err("greater than or equal to 1"));
    check_page(&["a"], Some(101), None, Err("less than or equal to 100"));
    check_page(&["a"], None, Some("%%%"), Err("The nextToken is invalid"));
    check_page(&["a"], None, Some(&crate::ids::base64(&[0xff, 0xfe])), Err("The nextToken is invalid"));
}

fn check_name(name: &str, valid: bool) {
    assert_eq!(validate_name(name, "nodegroupName", 63).is_ok(), valid, "{name}");
}

#[test]
fn names_follow_the_eks_pattern() {
    check_name("ng-1_a", true);
    check_name("0", true);
    check_name(&"x".repeat(63), true);
    check_name(&"x".repeat(64), false);
    check_name("", false);
    check_name("-ng", false);
    check_name("ng.1", false);
    check_name("ng 1", false);
    check_name("ng\u{e9}", false);
}

fn check_tags(pairs: &[(&str, &str)], valid: bool) {
    let tags = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    assert_eq!(validate_tags(&tags).is_ok(), valid, "{pairs:?}");
}

#[test]
fn tags_are_bounded() {
    check_tags(&[("team", "a"), ("empty", "")], true);
    check_tags(&[("", "x")], false);
    check_tags(&[("aws:reserved", "x")], false);
    check_tags(&[(&"k".repeat(129), "x")], false);
    check_tags(&[("k", &"v".repeat(257))], false);
    let many: Vec<(String, String)> = (0..51).map(|i| (format!("k{i}"), String::new())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    check_tags(&many, false);
}

#[test]
fn versions_order_by_number_not_text() {
    assert_eq!(next_minor("1.33").as_deref(), Some("1.34"));
    assert_eq!(next_minor("1.9").as_deref(), Some("1.10"));
    assert_eq!(next_minor("garbage"), None);
    assert_eq!(compare_versions("1.9", "1.10"), Some(std::cmp::Ordering::Less));
    assert_eq!(compare_versions("1.34", "1.34"), Some(std::cmp::Ordering::Equal));
    assert_eq!(compare_versions("1.x", "1.34"), None);
}

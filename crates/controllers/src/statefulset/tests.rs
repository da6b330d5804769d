use super::*;

/// A pod view from a short code: ordinal, then flags `u` updated, `r` ready, `t` terminating, `f` finished.
fn pod(code: &str) -> OrdinalPod {
    let digits: String = code.chars().take_while(char::is_ascii_digit).collect();
    let flags = &code[digits.len()..];
    OrdinalPod {
        ordinal: digits.parse().expect("an ordinal"),
        updated: flags.contains('u'),
        ready: flags.contains('r'),
        terminating: flags.contains('t'),
        finished: flags.contains('f'),
    }
}

fn check(replicas: i32, parallel: bool, partition: i32, pods: &[&str], expect: &[Step]) {
    let views: Vec<OrdinalPod> = pods.iter().map(|code| pod(code)).collect();
    assert_eq!(plan(replicas, parallel, true, partition, &views), expect, "{pods:?}");
}

#[test]
fn ordinal_decisions() {
    use Step::{Create, Delete};
    check(3, false, 0, &[], &[Create(0)]);
    check(3, false, 0, &["0u"], &[]);
    check(3, false, 0, &["0ur"], &[Create(1)]);
    check(3, false, 0, &["0ur", "1ur"], &[Create(2)]);
    check(3, false, 0, &["0ur", "1ur", "2ur"], &[]);
    check(3, true, 0, &[], &[Create(0), Create(1), Create(2)]);
    check(3, true, 0, &["1u"], &[Create(0), Create(2)]);
    check(3, false, 0, &["0ur", "1uf"], &[Delete(1)]);
    check(3, false, 0, &["0ur", "1ut"], &[]);
    check(1, false, 0, &["0ur", "1ur", "2ur"], &[Delete(2)]);
    check(1, false, 0, &["0ur", "1ur", "2urt"], &[]);
    check(1, true, 0, &["0ur", "1ur", "2ur"], &[Delete(2), Delete(1)]);
    check(0, false, 0, &["0ur"], &[Delete(0)]);
    // Rolling updates go from the highest ordinal down, one at a time, and stop at the partition.
    check(3, false, 0, &["0r", "1r", "2r"], &[Delete(2)]);
    check(3, false, 0, &["0r", "1r", "2ur"], &[Delete(1)]);
    check(3, false, 0, &["0r", "1r", "2u"], &[]);
    check(3, false, 2, &["0r", "1r", "2ur"], &[]);
    check(3, false, 5, &["0r", "1r", "2r"], &[]);
    check(-1, false, 0, &[], &[]);
    let views = [pod("0r"), pod("1r")];
    assert_eq!(plan(2, false, false, 0, &views), [], "OnDelete never deletes");
}

#[test]
fn ordinals_come_from_names() {
    let named =
        |name: &str| -> Pod { serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).expect("a pod") };
    assert_eq!(ordinal_of("web", &named("web-0")), Some(0));
    assert_eq!(ordinal_of("web", &named("web-12")), Some(12));
    assert_eq!(ordinal_of("web", &named("web-01")), None);
    assert_eq!(ordinal_of("web", &named("web-x")), None);
    assert_eq!(ordinal_of("web", &named("webby-1")), None);
    assert_eq!(ordinal_of("web", &named("web--1")), None);
    assert_eq!(claim_name("data", "web", 2), "data-web-2");
}

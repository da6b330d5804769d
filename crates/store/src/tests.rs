use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::{
    CompactionPolicy, Compare, MAX_TXN_OPS, MAX_WRITE_BYTES, StoreConfig, StoreError, TxnOp, check_txn, check_write,
};

#[track_caller]
fn check_config(spec: &str, expect: Result<StoreConfig, &str>) {
    let parsed = spec.parse::<StoreConfig>();
    match (parsed, expect) {
        (Ok(got), Ok(want)) => assert_eq!(got, want, "{spec}"),
        (Err(got), Err(want)) => assert!(got.contains(want), "{spec}: error {got:?} lacks {want:?}"),
        (got, want) => panic!("{spec}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn store_config_parses_the_flag() {
    check_config("sqlite", Ok(StoreConfig::Sqlite));
    check_config("memory", Ok(StoreConfig::Memory));
    check_config("etcd://127.0.0.1:2379", Ok(StoreConfig::Etcd { endpoints: vec!["http://127.0.0.1:2379".into()] }));
    check_config("etcd://a:1,b:2", Ok(StoreConfig::Etcd { endpoints: vec!["http://a:1".into(), "http://b:2".into()] }));
    check_config("postgres", Err("unknown store"));
    check_config("", Err("unknown store"));
    check_config("etcd://", Err("bad etcd endpoint"));
    check_config("etcd://host", Err("bad etcd endpoint"));
    check_config("etcd://host:0", Err("bad etcd endpoint"));
    check_config("etcd://host:99999", Err("bad etcd endpoint"));
    check_config("etcd://:2379", Err("bad etcd endpoint"));
    check_config("etcd://a:1,,b:2", Err("bad etcd endpoint"));
}

#[test]
fn writes_are_checked_before_any_backend() {
    assert!(check_write("/k", b"v").is_ok());
    assert!(check_write("/k", &vec![0; MAX_WRITE_BYTES - 2]).is_ok());
    assert!(matches!(
        check_write("/k", &vec![0; MAX_WRITE_BYTES - 1]),
        Err(StoreError::TooLarge { size, limit: MAX_WRITE_BYTES, .. }) if size == MAX_WRITE_BYTES + 1
    ));
    assert!(matches!(check_write("", b"v"), Err(StoreError::InvalidKey { .. })));
    assert!(matches!(check_write("a\0b", b"v"), Err(StoreError::InvalidKey { .. })));
    let long_key = "k".repeat(MAX_WRITE_BYTES + 1);
    let error = check_write(&long_key, b"").unwrap_err();
    assert!(matches!(error, StoreError::TooLarge { .. }));
    assert!(error.to_string().len() < 200, "the message quotes a shortened key: {error}");
}

#[track_caller]
fn check_txn_shape(compares: Vec<Compare>, ops: Vec<TxnOp>, expect: Result<(), &str>) {
    let got = check_txn(&compares, &ops);
    match (got, expect) {
        (Ok(()), Ok(())) => {}
        (Err(error), Err(want)) => {
            let debug = format!("{error:?}");
            assert!(debug.contains(want), "{debug} lacks {want:?}");
            assert!(error.to_string().len() < 300, "the message stays short: {error}");
        }
        (got, want) => panic!("got {got:?}, want {want:?}"),
    }
}

#[test]
fn transactions_are_checked_before_any_backend() {
    let puts = |n: usize| (0..n).map(|idx| TxnOp::put(format!("/k/{idx}"), "v")).collect::<Vec<_>>();
    let absent = |n: usize| (0..n).map(|idx| Compare::absent(format!("/k/{idx}"))).collect::<Vec<_>>();
    check_txn_shape(vec![], vec![], Ok(()));
    check_txn_shape(absent(MAX_TXN_OPS), puts(MAX_TXN_OPS), Ok(()));
    check_txn_shape(vec![], puts(MAX_TXN_OPS + 1), Err("InvalidTxn { reason: \"129 ops"));
    check_txn_shape(absent(MAX_TXN_OPS + 1), vec![], Err("InvalidTxn { reason: \"129 compares"));
    // A key may be compared twice and both compared and written, but written once only.
    check_txn_shape(vec![Compare::absent("/a"), Compare::absent("/a")], vec![TxnOp::put("/a", "v")], Ok(()));
    check_txn_shape(vec![], vec![TxnOp::put("/a", "v"), TxnOp::delete("/a")], Err("InvalidTxn"));
    check_txn_shape(vec![], vec![TxnOp::delete("/a"), TxnOp::delete("/a")], Err("written by more than one op"));
    check_txn_shape(vec![Compare::unchanged("/a", -3)], vec![], Err("negative revision"));
    check_txn_shape(vec![Compare::unchanged("/a", 0)], vec![], Ok(()));
    check_txn_shape(vec![Compare::absent("")], vec![], Err("InvalidKey"));
    check_txn_shape(vec![], vec![TxnOp::delete("a\0b")], Err("InvalidKey"));
    check_txn_shape(vec![], vec![TxnOp::put("/a", vec![0; MAX_WRITE_BYTES])], Err("TooLarge { key: \"/a\""));
    // The size limit counts every key, compared or written, and every value.
    let half = MAX_WRITE_BYTES / 2;
    let exactly = vec![TxnOp::put("/a", vec![0; half - 2]), TxnOp::put("/b", vec![0; MAX_WRITE_BYTES - half - 2])];
    check_txn_shape(vec![], exactly.clone(), Ok(()));
    check_txn_shape(vec![Compare::absent("/c")], exactly, Err("TooLarge { key: \"/a\", size: 1572866"));
    let long_key = "k".repeat(MAX_WRITE_BYTES - 10);
    check_txn_shape(
        vec![Compare::absent(long_key.as_str())],
        vec![TxnOp::put("/a", vec![0; 20])],
        Err("TooLarge { key: \"/a\""),
    );
    check_txn_shape(vec![Compare::absent(long_key.as_str())], vec![], Ok(()));
}

#[tokio::test(start_paused = true)]
async fn compaction_keeps_the_window_and_the_last_revisions() {
    let policy =
        CompactionPolicy { interval: Duration::from_secs(60), keep_for: Duration::from_secs(300), keep_revisions: 100 };
    let start = Instant::now();
    let at = |seconds: u64| start + Duration::from_secs(seconds);
    let mut samples = VecDeque::new();
    // Nothing is old enough during the first five minutes.
    for minute in 0..5u64 {
        samples.push_back((at(minute * 60), 1000 * minute as i64));
        assert_eq!(policy.target(&mut samples, at(minute * 60), 1000 * minute as i64), None);
    }
    // At 5:00 the sample from 0:00 (revision 0) is old enough, but there is nothing before it.
    samples.push_back((at(300), 5000));
    assert_eq!(policy.target(&mut samples, at(300), 5000), None);
    // At 6:00 the sample from 1:00 (revision 1000) is the newest old enough one.
    samples.push_back((at(360), 6000));
    assert_eq!(policy.target(&mut samples, at(360), 6000), Some(1000));
    assert_eq!(samples.front().map(|s| s.1), Some(1000), "older samples are dropped");
    // With few writes the revision floor wins over the time window.
    let mut quiet = VecDeque::from([(at(0), 150), (at(400), 160)]);
    assert_eq!(policy.target(&mut quiet, at(400), 160), Some(60));
    let mut idle = VecDeque::from([(at(0), 50)]);
    assert_eq!(policy.target(&mut idle, at(400), 50), None);
}

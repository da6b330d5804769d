use std::cmp::Ordering;

use jiff::Timestamp;

use super::{DeletionCandidate, deletion_order, slow_start_batches};

fn candidate(scheduled: bool, phase: &str, ready_at: Option<i64>, restarts: i32, created: i64) -> DeletionCandidate {
    DeletionCandidate {
        scheduled,
        phase: phase.to_owned(),
        ready_since: ready_at.map(|s| Timestamp::from_second(s).expect("a time")),
        colocated: 1,
        restarts,
        created: Some(Timestamp::from_second(created).expect("a time")),
    }
}

fn check(first: DeletionCandidate, second: DeletionCandidate) {
    assert_eq!(deletion_order(&first, &second), Ordering::Less, "{first:?} goes before {second:?}");
    assert_eq!(deletion_order(&second, &first), Ordering::Greater);
}

#[test]
fn deletion_ranks_cheap_pods_first() {
    check(candidate(false, "Running", Some(1), 0, 1), candidate(true, "Pending", None, 0, 1));
    check(candidate(true, "Pending", None, 0, 1), candidate(true, "Unknown", None, 0, 1));
    check(candidate(true, "Unknown", None, 0, 1), candidate(true, "Running", None, 0, 1));
    check(candidate(true, "Running", None, 0, 1), candidate(true, "Running", Some(1), 0, 1));
    check(candidate(true, "Running", Some(20), 0, 1), candidate(true, "Running", Some(10), 0, 1));
    check(candidate(true, "Running", Some(10), 5, 1), candidate(true, "Running", Some(10), 1, 1));
    check(candidate(true, "Running", Some(10), 0, 9), candidate(true, "Running", Some(10), 0, 3));
    let mut crowded = candidate(true, "Running", Some(10), 0, 1);
    crowded.colocated = 3;
    check(crowded, candidate(true, "Running", Some(10), 0, 1));
}

#[test]
fn creations_start_slow_and_double() {
    assert_eq!(slow_start_batches(0), Vec::<usize>::new());
    assert_eq!(slow_start_batches(1), [1]);
    assert_eq!(slow_start_batches(10), [1, 2, 4, 3]);
    assert_eq!(slow_start_batches(15), [1, 2, 4, 8]);
}

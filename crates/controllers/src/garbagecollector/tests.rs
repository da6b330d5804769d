use super::OwnerState::{Absent, Solid, WaitingForDependents};
use super::{OwnerState, Step, plan_dependent};

fn check(owners: &[OwnerState], finalizers: &[&str], has_dependents: bool, expect: Option<Step>) {
    let owners: Vec<(String, OwnerState)> =
        owners.iter().enumerate().map(|(index, state)| (format!("uid-{index}"), *state)).collect();
    let finalizers: Vec<String> = finalizers.iter().map(|f| (*f).to_owned()).collect();
    assert_eq!(plan_dependent(&owners, false, &finalizers, has_dependents), expect, "{owners:?}");
}

#[test]
fn dependents_go_with_their_last_owner() {
    check(&[], &[], false, None);
    check(&[Solid], &[], false, None);
    check(&[Absent], &[], false, Some(Step::Delete("Background")));
    check(&[Absent, Absent], &[], true, Some(Step::Delete("Background")));
    check(&[Absent], &["orphan"], false, Some(Step::Delete("Orphan")));
    check(&[Absent], &["foregroundDeletion"], false, Some(Step::Delete("Foreground")));
    check(&[Solid, Absent], &[], false, Some(Step::RemoveOwners(vec!["uid-1".into()])));
    check(&[WaitingForDependents, Solid], &[], false, Some(Step::RemoveOwners(vec!["uid-0".into()])));
    check(&[WaitingForDependents], &[], false, Some(Step::Delete("Background")));
    check(&[WaitingForDependents, Absent], &[], true, Some(Step::Delete("Foreground")));
    assert_eq!(plan_dependent(&[("a".into(), Absent)], true, &[], false), None, "already being deleted");
}

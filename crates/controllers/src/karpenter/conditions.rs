//! Status conditions as Karpenter writes them (operatorpkg's `ConditionSet`): `type`, `status`, `reason`,
//! `message`, `lastTransitionTime` (kept while the status stays) and `observedGeneration`. A true condition's
//! reason is its type; the root `Ready` is True when every dependent is, False (`UnhealthyDependents`, the false
//! ones listed as `Type=False`) when one is, else Unknown (`ReconcilingDependents`).

use serde_json::{Value, json};

/// One condition to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub type_: String,
    pub status: &'static str,
    pub reason: String,
    pub message: String,
}

impl Condition {
    pub fn true_(type_: &str) -> Condition {
        Condition { type_: type_.to_owned(), status: "True", reason: type_.to_owned(), message: String::new() }
    }

    pub fn false_(type_: &str, reason: &str, message: &str) -> Condition {
        Condition { type_: type_.to_owned(), status: "False", reason: reason.to_owned(), message: message.to_owned() }
    }

    pub fn unknown(type_: &str, reason: &str, message: &str) -> Condition {
        Condition { type_: type_.to_owned(), status: "Unknown", reason: reason.to_owned(), message: message.to_owned() }
    }
}

/// The condition of `type_` in a status's `conditions`.
pub fn find<'a>(conditions: &'a Value, type_: &str) -> Option<&'a Value> {
    conditions.as_array()?.iter().find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
}

/// The status (`True`, `False`, `Unknown`) of `type_`, if present.
pub fn status_of<'a>(conditions: &'a Value, type_: &str) -> Option<&'a str> {
    find(conditions, type_)?.get("status")?.as_str()
}

/// Whether `type_` is True.
pub fn is_true(conditions: &Value, type_: &str) -> bool {
    status_of(conditions, type_) == Some("True")
}

/// When `type_` last changed, if present and readable.
pub fn since(conditions: &Value, type_: &str) -> Option<jiff::Timestamp> {
    find(conditions, type_)?.get("lastTransitionTime")?.as_str()?.parse().ok()
}

/// `conditions` with each of `set` written (a changed status gets `now` as its transition time), in type order.
pub fn apply(conditions: &Value, set: &[Condition], generation: i64, now: jiff::Timestamp) -> Value {
    let mut list: Vec<Value> = conditions.as_array().cloned().unwrap_or_default();
    for condition in set {
        let previous = list.iter().position(|c| c.get("type").and_then(Value::as_str) == Some(&condition.type_));
        let transition = previous
            .and_then(|i| {
                let old = &list[i];
                (old.get("status").and_then(Value::as_str) == Some(condition.status))
                    .then(|| old.get("lastTransitionTime").cloned())
                    .flatten()
            })
            .unwrap_or_else(|| json!(now.round(jiff::Unit::Second).unwrap_or(now).to_string()));
        let value = json!({
            "type": condition.type_, "status": condition.status, "reason": condition.reason,
            "message": condition.message, "lastTransitionTime": transition, "observedGeneration": generation,
        });
        match previous {
            Some(i) => list[i] = value,
            None => list.push(value),
        }
    }
    list.sort_by(|a, b| a["type"].as_str().cmp(&b["type"].as_str()));
    Value::Array(list)
}

/// `conditions` without `type_`.
pub fn clear(conditions: &Value, type_: &str) -> Value {
    let list: Vec<Value> = conditions
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c.get("type").and_then(Value::as_str) != Some(type_))
        .cloned()
        .collect();
    Value::Array(list)
}

/// The root `Ready` condition over `dependents`' statuses in `conditions`.
pub fn ready(conditions: &Value, dependents: &[&str]) -> Condition {
    let false_ones: Vec<String> =
        dependents.iter().filter(|d| status_of(conditions, d) == Some("False")).map(|d| format!("{d}=False")).collect();
    if !false_ones.is_empty() {
        return Condition::false_("Ready", "UnhealthyDependents", &false_ones.join(", "));
    }
    if dependents.iter().all(|d| is_true(conditions, d)) {
        return Condition::true_("Ready");
    }
    Condition::unknown("Ready", "ReconcilingDependents", "")
}

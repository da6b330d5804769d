//! The pure parts of the admission plugins kube-apiserver enables by default that change pods:
//! DefaultTolerationSeconds and Priority when no priority class is named.

use serde_json::{Map, Value, json};

/// How long pods tolerate a not-ready or unreachable node before eviction, as the plugin's flags default
/// (`--default-not-ready-toleration-seconds`, `--default-unreachable-toleration-seconds`).
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;

/// Adds the `node.kubernetes.io/not-ready` and `unreachable` NoExecute tolerations (300 s) a pod does not
/// already have, and `priority: 0` with `preemptionPolicy: PreemptLowerPriority` when the pod names no
/// priority class. A pod that names a class is left to the caller, which knows the classes.
pub fn admit_pod(pod: &mut Value) {
    admit_pod_with(pod, DEFAULT_TOLERATION_SECONDS);
}

/// [`admit_pod`] with the tolerations lasting `toleration_seconds` (the plugin's flags).
pub fn admit_pod_with(pod: &mut Value, toleration_seconds: i64) {
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    add_tolerations(spec, toleration_seconds);
    let names_class = spec.get("priorityClassName").and_then(Value::as_str).is_some_and(|name| !name.is_empty());
    if !names_class {
        spec.entry("priority").or_insert(json!(0));
        if spec.get("priority").is_some_and(Value::is_null) {
            spec.insert("priority".to_owned(), json!(0));
        }
        if matches!(spec.get("preemptionPolicy"), None | Some(Value::Null)) {
            spec.insert("preemptionPolicy".to_owned(), json!("PreemptLowerPriority"));
        }
    }
}

fn add_tolerations(spec: &mut Map<String, Value>, toleration_seconds: i64) {
    let entry = spec.entry("tolerations").or_insert(Value::Null);
    if entry.is_null() {
        *entry = json!([]);
    }
    let Some(tolerations) = entry.as_array_mut() else {
        return;
    };
    let tolerates = |tolerations: &[Value], taint: &str| {
        tolerations.iter().any(|toleration| {
            let key = toleration.get("key").and_then(Value::as_str).unwrap_or_default();
            let effect = toleration.get("effect").and_then(Value::as_str).unwrap_or_default();
            // Upstream treats any toleration without a key as covering the taint, whatever its operator.
            (key == taint || key.is_empty()) && (effect.is_empty() || effect == "NoExecute")
        })
    };
    for taint in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] {
        if !tolerates(tolerations, taint) {
            tolerations.push(json!({
                "key": taint,
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": toleration_seconds,
            }));
        }
    }
    if tolerations.is_empty() {
        spec.remove("tolerations");
    }
}

//! The pure parts of the admission plugins kube-apiserver enables by default that change pods:
//! DefaultTolerationSeconds and Priority (once the caller has looked up the priority class).

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

/// A priority class as the Priority admission plugin reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriorityClassRef<'a> {
    pub name: &'a str,
    pub value: i64,
    pub preemption_policy: Option<&'a str>,
}

/// The Priority admission plugin for a new pod. `class` is what the caller found: the class the pod names
/// (`None` when no class has that name), or, when the pod names none, the cluster's global default class (`None`
/// when there is none). Sets `priority`, `preemptionPolicy` and, from a default class, `priorityClassName`;
/// the error is the reason the pod is forbidden.
pub fn admit_priority(pod: &mut Value, class: Option<PriorityClassRef<'_>>) -> Result<(), String> {
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    let named = spec.get("priorityClassName").and_then(Value::as_str).filter(|name| !name.is_empty());
    let (priority, policy) = match (named, class) {
        (Some(name), None) => return Err(format!("no PriorityClass with name {name} was found")),
        (Some(_), Some(class)) => (class.value, class.preemption_policy.unwrap_or("PreemptLowerPriority")),
        (None, Some(class)) => {
            spec.insert("priorityClassName".to_owned(), json!(class.name));
            (class.value, class.preemption_policy.unwrap_or("PreemptLowerPriority"))
        }
        (None, None) => (0, "PreemptLowerPriority"),
    };
    let given = spec.get("priority").filter(|p| !p.is_null());
    if given.is_some_and(|given| given.as_i64().is_none()) {
        // Not a number: validation says so.
        return Ok(());
    }
    if let Some(given) = given
        && given.as_i64() != Some(priority)
    {
        return Err(format!(
            "the integer value of priority ({given}) must not be provided in pod spec; priority admission \
             controller computed {priority} from the given PriorityClass name"
        ));
    }
    if let Some(given) = spec.get("preemptionPolicy").and_then(Value::as_str)
        && given != policy
    {
        return Err(format!(
            "the string value of PreemptionPolicy ({given}) must not be provided in pod spec; priority admission \
             controller computed {policy} from the given PriorityClass name"
        ));
    }
    spec.insert("priority".to_owned(), json!(priority));
    spec.insert("preemptionPolicy".to_owned(), json!(policy));
    Ok(())
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

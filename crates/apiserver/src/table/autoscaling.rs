//! The printers of the `autoscaling` group's kinds: for each, kubectl's columns and the function that fills them, as
//! upstream's printers write them.

use serde_json::{Value, json};

use super::{AGE, NAME, Printer, array_at, i64_at, object_age, quantity_text, str_at};

/// `HorizontalPodAutoscaler`: kubectl's columns, and each object's cells.
pub(super) const HORIZONTAL_POD_AUTOSCALER: Printer = Printer {
    columns: &[
        NAME,
        ("Reference", "string", "", 0),
        ("Targets", "string", "", 0),
        ("MinPods", "string", "", 0),
        ("MaxPods", "string", "", 0),
        ("Replicas", "string", "", 0),
        AGE,
    ],
    cells: horizontal_pod_autoscaler,
};

fn horizontal_pod_autoscaler(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let target = format!(
        "{}/{}",
        str_at(object, &["spec", "scaleTargetRef", "kind"]),
        str_at(object, &["spec", "scaleTargetRef", "name"])
    );
    let min =
        object.pointer("/spec/minReplicas").and_then(Value::as_i64).map_or("<unset>".to_owned(), |min| min.to_string());
    vec![
        name,
        json!(target),
        json!(hpa_targets(object)),
        json!(min),
        json!(i64_at(object, &["spec", "maxReplicas"])),
        json!(i64_at(object, &["status", "currentReplicas"])),
        object_age(object),
    ]
}

/// An HPA's metrics as `current/target` pairs, as kubectl prints them (at most two, then how many more); reads
/// autoscaling/v2 (`spec.metrics`) and autoscaling/v1 (`targetCPUUtilizationPercentage`).
fn hpa_targets(hpa: &Value) -> String {
    if let Some(target) = hpa.pointer("/spec/targetCPUUtilizationPercentage").and_then(Value::as_i64) {
        let current = hpa
            .pointer("/status/currentCPUUtilizationPercentage")
            .and_then(Value::as_i64)
            .map_or("<unknown>".to_owned(), |current| format!("{current}%"));
        return format!("cpu: {current}/{target}%");
    }
    let metrics = array_at(hpa, &["spec", "metrics"]);
    if metrics.is_empty() {
        return "<none>".to_owned();
    }
    let statuses = array_at(hpa, &["status", "currentMetrics"]);
    let text = |value: Option<&Value>| value.map_or("<unknown>".to_owned(), |v| quantity_text(Some(v)));
    let pairs: Vec<String> = metrics
        .iter()
        .enumerate()
        .map(|(i, metric)| {
            let kind = str_at(metric, &["type"]);
            let field = match kind {
                "Resource" => "resource",
                "ContainerResource" => "containerResource",
                "Pods" => "pods",
                "Object" => "object",
                "External" => "external",
                _ => return "<unknown type>".to_owned(),
            };
            let spec = &metric[field];
            let current = statuses.get(i).and_then(|s| s.get(field)).map(|s| &s["current"]);
            let target = &spec["target"];
            match kind {
                "Resource" | "ContainerResource" => {
                    let resource = str_at(spec, &["name"]);
                    if let Some(average) = target.get("averageValue") {
                        let now = text(current.and_then(|c| c.get("averageValue")));
                        format!("{resource}: {now}/{}", quantity_text(Some(average)))
                    } else {
                        let percent = |v: Option<&Value>| v.and_then(Value::as_i64).map(|p| format!("{p}%"));
                        let now = percent(current.and_then(|c| c.get("averageUtilization")))
                            .unwrap_or_else(|| "<unknown>".to_owned());
                        let goal = percent(target.get("averageUtilization")).unwrap_or_else(|| "<auto>".to_owned());
                        format!("{resource}: {now}/{goal}")
                    }
                }
                "Pods" => format!(
                    "{}/{}",
                    text(current.and_then(|c| c.get("averageValue"))),
                    quantity_text(target.get("averageValue"))
                ),
                _ => match target.get("averageValue") {
                    Some(average) => format!(
                        "{}/{} (avg)",
                        text(current.and_then(|c| c.get("averageValue"))),
                        quantity_text(Some(average))
                    ),
                    None => {
                        format!("{}/{}", text(current.and_then(|c| c.get("value"))), quantity_text(target.get("value")))
                    }
                },
            }
        })
        .collect();
    match pairs.len() {
        0..=2 => pairs.join(", "),
        count => format!("{} + {} more...", pairs[..2].join(", "), count - 2),
    }
}

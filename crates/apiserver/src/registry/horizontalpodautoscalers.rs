//! HorizontalPodAutoscalers between `autoscaling/v2` (how they are stored) and `autoscaling/v1`, as
//! kube-apiserver converts them (`pkg/apis/autoscaling/v1/conversion.go` and v2's defaults).
//!
//! v1 has room for one metric only, `targetCPUUtilizationPercentage`. Everything else a v2 object says is kept
//! in v1's metadata as JSON annotations, in the shapes upstream writes them, so that a v1 client reading and
//! writing the object back loses nothing:
//!
//! - `autoscaling.alpha.kubernetes.io/metrics`: the spec's metrics other than a CPU utilization target, as v1
//!   `MetricSpec`s (the `targetAverageUtilization`/`targetAverageValue` shape);
//! - `autoscaling.alpha.kubernetes.io/behavior`: the spec's `behavior`, with Go's field names (upstream encodes
//!   its internal type, which has no JSON tags);
//! - `autoscaling.alpha.kubernetes.io/current-metrics`: every current metric, as v1 `MetricStatus`es;
//! - `autoscaling.alpha.kubernetes.io/conditions`: the status conditions.
//!
//! Going back to v2 these annotations are consumed (they never appear in v2's metadata); one that is not JSON,
//! has the wrong shape or is too large is ignored, as upstream ignores what it cannot decode. A v1 object without
//! a CPU target or other metrics gets v2's default, a CPU utilization target of 80%, and every object converted
//! to v2 gets v2's defaults, as upstream's decoding of the stored object applies them.

use serde_json::{Map, Value, json};

use super::Conversion;

/// The conversion of `horizontalpodautoscalers.autoscaling`, stored as `autoscaling/v2`.
pub static CONVERSION: Conversion =
    Conversion { storage_version: V2, convert, status_annotations: &[CURRENT_METRICS, CONDITIONS] };

const V1: &str = "autoscaling/v1";
const V2: &str = "autoscaling/v2";

/// v2's metrics other than a CPU utilization target, as v1 `MetricSpec`s.
pub const METRICS: &str = "autoscaling.alpha.kubernetes.io/metrics";
/// v2's current metrics, as v1 `MetricStatus`es.
pub const CURRENT_METRICS: &str = "autoscaling.alpha.kubernetes.io/current-metrics";
/// v2's `spec.behavior`.
pub const BEHAVIOR: &str = "autoscaling.alpha.kubernetes.io/behavior";
/// v2's `status.conditions`.
pub const CONDITIONS: &str = "autoscaling.alpha.kubernetes.io/conditions";

/// Annotations longer than this are not decoded (the whole of an object's annotations may not exceed it).
const MAX_ANNOTATION_BYTES: usize = 256 * 1024;

/// The target utilization v2 defaults to when an autoscaler names no metric.
const DEFAULT_CPU_UTILIZATION: i64 = 80;

/// Converts an autoscaler to `to` (`autoscaling/v1` or `autoscaling/v2`) from the version its own `apiVersion`
/// names; an object of another version, or not an object, is left alone.
fn convert(object: &mut Value, to: &str) {
    let from = object.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    match (from, to) {
        (V2, V2) => {
            // v2 round-trips without annotations: any a client copied from a v1 object are dropped.
            if let Some(map) = object.as_object_mut() {
                drop_round_trip_annotations(map);
            }
        }
        (V2, V1) => to_v1(object),
        (V1, V2) => to_v2(object),
        _ => {}
    }
}

/// Removes the annotations v1 keeps v2's fields in, and `annotations` itself when nothing else is left; returns
/// the removed ones.
fn drop_round_trip_annotations(object: &mut Map<String, Value>) -> Map<String, Value> {
    let mut removed = Map::new();
    let Some(Value::Object(annotations)) = object.get_mut("metadata").and_then(|m| m.get_mut("annotations")) else {
        return removed;
    };
    for name in [METRICS, CURRENT_METRICS, BEHAVIOR, CONDITIONS] {
        if let Some(value) = annotations.remove(name) {
            removed.insert(name.to_owned(), value);
        }
    }
    if annotations.is_empty()
        && let Some(Value::Object(metadata)) = object.get_mut("metadata")
    {
        metadata.remove("annotations");
    }
    removed
}

/// The list of objects an annotation holds, or `None` when it holds anything else (what Go would not decode into
/// a list of structs).
fn decode_list(removed: &Map<String, Value>, name: &str) -> Option<Vec<Value>> {
    match decode_annotation(removed, name)? {
        Value::Array(items) if items.iter().all(Value::is_object) => Some(items),
        _ => None,
    }
}

fn set_annotation(object: &mut Map<String, Value>, name: &str, value: &Value) {
    let metadata = object.entry("metadata").or_insert_with(|| json!({}));
    if !metadata.is_object() {
        *metadata = json!({});
    }
    let annotations = metadata.as_object_mut().expect("an object").entry("annotations").or_insert_with(|| json!({}));
    if !annotations.is_object() {
        *annotations = json!({});
    }
    let text = serde_json::to_string(value).expect("JSON values serialize");
    annotations.as_object_mut().expect("an object").insert(name.to_owned(), Value::String(text));
}

/// The JSON an annotation holds, or `None` when it is missing, not a string, too large or not JSON.
fn decode_annotation(removed: &Map<String, Value>, name: &str) -> Option<Value> {
    let text = removed.get(name)?.as_str()?;
    if text.len() > MAX_ANNOTATION_BYTES {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// A copy of `from`'s members named in `fields` (those present and not null).
fn pick(from: &Value, fields: &[&str]) -> Map<String, Value> {
    fields
        .iter()
        .filter_map(|field| from.get(*field).filter(|v| !v.is_null()).map(|v| ((*field).to_owned(), v.clone())))
        .collect()
}

fn insert_some(map: &mut Map<String, Value>, name: &str, value: Option<&Value>) {
    if let Some(value) = value.filter(|v| !v.is_null()) {
        map.insert(name.to_owned(), value.clone());
    }
}

/// A quantity v1 always encodes: the value, or `"0"`.
fn quantity(value: Option<&Value>) -> Value {
    value.filter(|v| !v.is_null()).cloned().unwrap_or_else(|| json!("0"))
}

fn is_cpu_resource(metric: &Value) -> bool {
    metric.get("type").and_then(Value::as_str) == Some("Resource")
        && metric.pointer("/resource/name").and_then(Value::as_str) == Some("cpu")
}

// v2 -> v1.

fn to_v1(object: &mut Value) {
    let Some(map) = object.as_object_mut() else { return };
    map.insert("apiVersion".into(), json!(V1));
    // Only annotations this conversion writes survive: stale ones a client left are replaced.
    drop_round_trip_annotations(map);
    let spec = map.remove("spec").unwrap_or_else(|| json!({}));
    let status = map.remove("status").unwrap_or_else(|| json!({}));

    let metrics: &[Value] = spec.get("metrics").and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let mut v1_spec = pick(&spec, &["scaleTargetRef", "minReplicas", "maxReplicas"]);
    // The first CPU resource metric says the target, if it is a utilization.
    if let Some(cpu) = metrics.iter().find(|metric| is_cpu_resource(metric)) {
        insert_some(&mut v1_spec, "targetCPUUtilizationPercentage", cpu.pointer("/resource/target/averageUtilization"));
    }
    let others: Vec<Value> = metrics
        .iter()
        .filter(|metric| !(is_cpu_resource(metric) && metric.pointer("/resource/target/averageUtilization").is_some()))
        .map(metric_spec_to_v1)
        .collect();

    let current: &[Value] = status.get("currentMetrics").and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let mut v1_status = pick(&status, &["observedGeneration", "lastScaleTime"]);
    v1_status.insert("currentReplicas".into(), status.get("currentReplicas").cloned().unwrap_or(json!(0)));
    v1_status.insert("desiredReplicas".into(), status.get("desiredReplicas").cloned().unwrap_or(json!(0)));
    if let Some(cpu) = current.iter().find(|metric| is_cpu_resource(metric)) {
        insert_some(
            &mut v1_status,
            "currentCPUUtilizationPercentage",
            cpu.pointer("/resource/current/averageUtilization"),
        );
    }

    if !others.is_empty() {
        set_annotation(map, METRICS, &Value::Array(others));
    }
    // Kept even when it is only the CPU utilization, for the raw value.
    if !current.is_empty() {
        let statuses: Vec<Value> = current.iter().map(metric_status_to_v1).collect();
        set_annotation(map, CURRENT_METRICS, &Value::Array(statuses));
    }
    if let Some(behavior) = spec.get("behavior").filter(|b| b.is_object()) {
        set_annotation(map, BEHAVIOR, &behavior_to_go(behavior));
    }
    if let Some(conditions) = status.get("conditions").and_then(Value::as_array).filter(|c| !c.is_empty()) {
        set_annotation(map, CONDITIONS, &Value::Array(conditions.clone()));
    }
    map.insert("spec".into(), Value::Object(v1_spec));
    map.insert("status".into(), Value::Object(v1_status));
}

/// A v2 `MetricSpec` as v1 writes it.
fn metric_spec_to_v1(metric: &Value) -> Value {
    let kind = metric.get("type").and_then(Value::as_str).unwrap_or_default();
    let mut out = Map::new();
    out.insert("type".into(), json!(kind));
    let target = |source: &Value| source.get("target").cloned().unwrap_or_default();
    if let Some(source) = metric.get("object").filter(|s| s.is_object()) {
        let target = target(source);
        let mut v1 = Map::new();
        insert_some(&mut v1, "target", source.get("describedObject"));
        insert_some(&mut v1, "metricName", source.pointer("/metric/name"));
        v1.insert("targetValue".into(), quantity(target.get("value")));
        insert_some(&mut v1, "selector", source.pointer("/metric/selector"));
        insert_some(&mut v1, "averageValue", target.get("averageValue"));
        out.insert("object".into(), Value::Object(v1));
    }
    if let Some(source) = metric.get("pods").filter(|s| s.is_object()) {
        let target = target(source);
        let mut v1 = Map::new();
        insert_some(&mut v1, "metricName", source.pointer("/metric/name"));
        v1.insert("targetAverageValue".into(), quantity(target.get("averageValue")));
        insert_some(&mut v1, "selector", source.pointer("/metric/selector"));
        out.insert("pods".into(), Value::Object(v1));
    }
    for (field, with_container) in [("resource", false), ("containerResource", true)] {
        if let Some(source) = metric.get(field).filter(|s| s.is_object()) {
            let target = target(source);
            let mut v1 = Map::new();
            insert_some(&mut v1, "name", source.get("name"));
            insert_some(&mut v1, "targetAverageUtilization", target.get("averageUtilization"));
            insert_some(&mut v1, "targetAverageValue", target.get("averageValue"));
            if with_container {
                insert_some(&mut v1, "container", source.get("container"));
            }
            out.insert(field.into(), Value::Object(v1));
        }
    }
    if let Some(source) = metric.get("external").filter(|s| s.is_object()) {
        let target = target(source);
        let mut v1 = Map::new();
        insert_some(&mut v1, "metricName", source.pointer("/metric/name"));
        insert_some(&mut v1, "metricSelector", source.pointer("/metric/selector"));
        insert_some(&mut v1, "targetValue", target.get("value"));
        insert_some(&mut v1, "targetAverageValue", target.get("averageValue"));
        out.insert("external".into(), Value::Object(v1));
    }
    Value::Object(out)
}

/// A v2 `MetricStatus` as v1 writes it.
fn metric_status_to_v1(metric: &Value) -> Value {
    let kind = metric.get("type").and_then(Value::as_str).unwrap_or_default();
    let mut out = Map::new();
    out.insert("type".into(), json!(kind));
    let current = |source: &Value| source.get("current").cloned().unwrap_or_default();
    if let Some(source) = metric.get("object").filter(|s| s.is_object()) {
        let current = current(source);
        let mut v1 = Map::new();
        insert_some(&mut v1, "target", source.get("describedObject"));
        insert_some(&mut v1, "metricName", source.pointer("/metric/name"));
        v1.insert("currentValue".into(), quantity(current.get("value")));
        insert_some(&mut v1, "selector", source.pointer("/metric/selector"));
        insert_some(&mut v1, "averageValue", current.get("averageValue"));
        out.insert("object".into(), Value::Object(v1));
    }
    if let Some(source) = metric.get("pods").filter(|s| s.is_object()) {
        let current = current(source);
        let mut v1 = Map::new();
        insert_some(&mut v1, "metricName", source.pointer("/metric/name"));
        v1.insert("currentAverageValue".into(), quantity(current.get("averageValue")));
        insert_some(&mut v1, "selector", source.pointer("/metric/selector"));
        out.insert("pods".into(), Value::Object(v1));
    }
    for (field, with_container) in [("resource", false), ("containerResource", true)] {
        if let Some(source) = metric.get(field).filter(|s| s.is_object()) {
            let current = current(source);
            let mut v1 = Map::new();
            insert_some(&mut v1, "name", source.get("name"));
            insert_some(&mut v1, "currentAverageUtilization", current.get("averageUtilization"));
            v1.insert("currentAverageValue".into(), quantity(current.get("averageValue")));
            if with_container {
                insert_some(&mut v1, "container", source.get("container"));
            }
            out.insert(field.into(), Value::Object(v1));
        }
    }
    if let Some(source) = metric.get("external").filter(|s| s.is_object()) {
        let current = current(source);
        let mut v1 = Map::new();
        insert_some(&mut v1, "metricName", source.pointer("/metric/name"));
        insert_some(&mut v1, "metricSelector", source.pointer("/metric/selector"));
        v1.insert("currentValue".into(), quantity(current.get("value")));
        insert_some(&mut v1, "currentAverageValue", current.get("averageValue"));
        out.insert("external".into(), Value::Object(v1));
    }
    Value::Object(out)
}

/// The fields of `behavior`, of its scaling rules and of their policies: v2's JSON name and the Go name
/// upstream's annotation uses.
const BEHAVIOR_FIELDS: &[(&str, &str)] = &[("scaleUp", "ScaleUp"), ("scaleDown", "ScaleDown")];
const RULES_FIELDS: &[(&str, &str)] = &[
    ("stabilizationWindowSeconds", "StabilizationWindowSeconds"),
    ("selectPolicy", "SelectPolicy"),
    ("policies", "Policies"),
    ("tolerance", "Tolerance"),
];
const POLICY_FIELDS: &[(&str, &str)] = &[("type", "Type"), ("value", "Value"), ("periodSeconds", "PeriodSeconds")];

/// Which names of a behavior's fields to write.
#[derive(Clone, Copy)]
enum Names {
    /// Go's (`ScaleUp`), as upstream's annotation holds them.
    Go,
    /// v2's JSON names (`scaleUp`), from the annotation's names in any case, as Go's decoder matches them.
    Json,
}

/// v2's `behavior` with Go's field names.
fn behavior_to_go(behavior: &Value) -> Value {
    rename_behavior(behavior, Names::Go)
}

/// The annotation's behavior with v2's field names.
fn behavior_from_go(behavior: &Value) -> Value {
    rename_behavior(behavior, Names::Json)
}

fn rename_behavior(behavior: &Value, names: Names) -> Value {
    rename(behavior, BEHAVIOR_FIELDS, names, |rules| {
        rename(rules, RULES_FIELDS, names, |policies| match policies {
            Value::Array(items) => {
                Value::Array(items.iter().map(|policy| rename(policy, POLICY_FIELDS, names, Value::clone)).collect())
            }
            other => other.clone(),
        })
    })
}

/// The members of `value` named in `fields` (under the other name), each through `inner`; members it does not
/// know are dropped, as Go drops unknown fields, and so are nulls, which Go leaves unset.
fn rename(value: &Value, fields: &[(&str, &str)], names: Names, inner: impl Fn(&Value) -> Value) -> Value {
    let Some(map) = value.as_object() else { return Value::Null };
    let renamed = map
        .iter()
        .filter(|(_, value)| !value.is_null())
        .filter_map(|(name, value)| {
            let (json, go) = fields.iter().find(|(json, go)| match names {
                Names::Go => json == name,
                Names::Json => go.eq_ignore_ascii_case(name),
            })?;
            let name = match names {
                Names::Go => go,
                Names::Json => json,
            };
            Some(((*name).to_owned(), inner(value)))
        })
        .collect();
    Value::Object(renamed)
}

// v1 -> v2.

fn to_v2(object: &mut Value) {
    let Some(map) = object.as_object_mut() else { return };
    map.insert("apiVersion".into(), json!(V2));
    let kept = drop_round_trip_annotations(map);
    let spec = map.remove("spec").unwrap_or_else(|| json!({}));
    let status = map.remove("status");

    let mut v2_spec = pick(&spec, &["scaleTargetRef", "minReplicas", "maxReplicas"]);
    let mut metrics: Vec<Value> =
        decode_list(&kept, METRICS).map(|specs| specs.iter().map(metric_spec_to_v2).collect()).unwrap_or_default();
    if let Some(cpu) = spec.get("targetCPUUtilizationPercentage").filter(|v| !v.is_null()) {
        metrics.push(cpu_utilization(cpu.clone()));
    }
    if metrics.is_empty() {
        metrics.push(cpu_utilization(json!(DEFAULT_CPU_UTILIZATION)));
    }
    v2_spec.insert("metrics".into(), Value::Array(metrics));
    if let Some(behavior) = decode_annotation(&kept, BEHAVIOR).filter(Value::is_object).map(|b| behavior_from_go(&b))
        && behavior.as_object().is_some_and(|b| !b.is_empty())
    {
        v2_spec.insert("behavior".into(), behavior);
    }
    map.insert("spec".into(), Value::Object(v2_spec));

    let status = status.unwrap_or_else(|| json!({}));
    let mut v2_status = pick(&status, &["observedGeneration", "lastScaleTime"]);
    // v2 leaves a zero currentReplicas out; desiredReplicas it always has.
    insert_some(&mut v2_status, "currentReplicas", status.get("currentReplicas").filter(|n| n.as_i64() != Some(0)));
    v2_status.insert("desiredReplicas".into(), status.get("desiredReplicas").cloned().unwrap_or(json!(0)));
    // The annotation has more than the CPU utilization: it wins when it can be read.
    let current = match decode_list(&kept, CURRENT_METRICS) {
        Some(statuses) => statuses.iter().map(metric_status_to_v2).collect(),
        None => match status.get("currentCPUUtilizationPercentage").filter(|v| !v.is_null()) {
            Some(cpu) => vec![json!({
                "type": "Resource",
                "resource": { "name": "cpu", "current": { "averageUtilization": cpu } },
            })],
            None => Vec::new(),
        },
    };
    if !current.is_empty() {
        v2_status.insert("currentMetrics".into(), Value::Array(current));
    }
    if let Some(conditions) = decode_list(&kept, CONDITIONS).filter(|conditions| !conditions.is_empty()) {
        v2_status.insert("conditions".into(), Value::Array(conditions));
    }
    map.insert("status".into(), Value::Object(v2_status));
    // kube-apiserver applies v2's defaults when it decodes the stored object (minReplicas, behavior's rules).
    k8s_model::default_object(object);
}

fn cpu_utilization(percent: Value) -> Value {
    json!({
        "type": "Resource",
        "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": percent } },
    })
}

/// A v1 `MetricSpec` (from the annotation) as v2 has it.
fn metric_spec_to_v2(metric: &Value) -> Value {
    let kind = metric.get("type").and_then(Value::as_str).unwrap_or_default();
    let mut out = Map::new();
    out.insert("type".into(), json!(kind));
    if let Some(source) = metric.get("object").filter(|s| s.is_object()) {
        let average = source.get("averageValue").filter(|v| !v.is_null());
        let mut target = Map::new();
        target.insert("type".into(), json!(if average.is_some() { "AverageValue" } else { "Value" }));
        target.insert("value".into(), quantity(source.get("targetValue")));
        insert_some(&mut target, "averageValue", average);
        let mut v2 = Map::new();
        insert_some(&mut v2, "describedObject", source.get("target"));
        v2.insert("target".into(), Value::Object(target));
        v2.insert("metric".into(), metric_identifier(source, "metricName", "selector"));
        out.insert("object".into(), Value::Object(v2));
    }
    if let Some(source) = metric.get("pods").filter(|s| s.is_object()) {
        let target = json!({ "type": "AverageValue", "averageValue": quantity(source.get("targetAverageValue")) });
        let metric = metric_identifier(source, "metricName", "selector");
        out.insert("pods".into(), json!({ "metric": metric, "target": target }));
    }
    for (field, with_container) in [("resource", false), ("containerResource", true)] {
        if let Some(source) = metric.get(field).filter(|s| s.is_object()) {
            let utilization = source.get("targetAverageUtilization").filter(|v| !v.is_null());
            let mut target = Map::new();
            target.insert("type".into(), json!(if utilization.is_some() { "Utilization" } else { "AverageValue" }));
            insert_some(&mut target, "averageUtilization", utilization);
            insert_some(&mut target, "averageValue", source.get("targetAverageValue"));
            let mut v2 = Map::new();
            insert_some(&mut v2, "name", source.get("name"));
            if with_container {
                insert_some(&mut v2, "container", source.get("container"));
            }
            v2.insert("target".into(), Value::Object(target));
            out.insert(field.into(), Value::Object(v2));
        }
    }
    if let Some(source) = metric.get("external").filter(|s| s.is_object()) {
        let value = source.get("targetValue").filter(|v| !v.is_null());
        let mut target = Map::new();
        target.insert("type".into(), json!(if value.is_some() { "Value" } else { "AverageValue" }));
        insert_some(&mut target, "value", value);
        insert_some(&mut target, "averageValue", source.get("targetAverageValue"));
        let metric = metric_identifier(source, "metricName", "metricSelector");
        out.insert("external".into(), json!({ "metric": metric, "target": target }));
    }
    Value::Object(out)
}

/// A v1 `MetricStatus` (from the annotation) as v2 has it.
fn metric_status_to_v2(metric: &Value) -> Value {
    let kind = metric.get("type").and_then(Value::as_str).unwrap_or_default();
    let mut out = Map::new();
    out.insert("type".into(), json!(kind));
    if let Some(source) = metric.get("object").filter(|s| s.is_object()) {
        let mut current = Map::new();
        current.insert("value".into(), quantity(source.get("currentValue")));
        insert_some(&mut current, "averageValue", source.get("averageValue"));
        let mut v2 = Map::new();
        insert_some(&mut v2, "describedObject", source.get("target"));
        v2.insert("current".into(), Value::Object(current));
        v2.insert("metric".into(), metric_identifier(source, "metricName", "selector"));
        out.insert("object".into(), Value::Object(v2));
    }
    if let Some(source) = metric.get("pods").filter(|s| s.is_object()) {
        let current = json!({ "averageValue": quantity(source.get("currentAverageValue")) });
        let metric = metric_identifier(source, "metricName", "selector");
        out.insert("pods".into(), json!({ "metric": metric, "current": current }));
    }
    for (field, with_container) in [("resource", false), ("containerResource", true)] {
        if let Some(source) = metric.get(field).filter(|s| s.is_object()) {
            let mut current = Map::new();
            insert_some(&mut current, "averageUtilization", source.get("currentAverageUtilization"));
            current.insert("averageValue".into(), quantity(source.get("currentAverageValue")));
            let mut v2 = Map::new();
            insert_some(&mut v2, "name", source.get("name"));
            if with_container {
                insert_some(&mut v2, "container", source.get("container"));
            }
            v2.insert("current".into(), Value::Object(current));
            out.insert(field.into(), Value::Object(v2));
        }
    }
    if let Some(source) = metric.get("external").filter(|s| s.is_object()) {
        let mut current = Map::new();
        current.insert("value".into(), quantity(source.get("currentValue")));
        insert_some(&mut current, "averageValue", source.get("currentAverageValue"));
        let metric = metric_identifier(source, "metricName", "metricSelector");
        out.insert("external".into(), json!({ "metric": metric, "current": current }));
    }
    Value::Object(out)
}

/// v2's `MetricIdentifier` from a v1 source's name and selector fields.
fn metric_identifier(source: &Value, name: &str, selector: &str) -> Value {
    let mut identifier = Map::new();
    identifier.insert("name".into(), source.get(name).cloned().unwrap_or_else(|| json!("")));
    insert_some(&mut identifier, "selector", source.get(selector));
    Value::Object(identifier)
}

#[cfg(test)]
mod tests;

//! Validation of the controllers that own pod templates: Deployment, ReplicaSet, StatefulSet, DaemonSet,
//! ReplicationController (`pkg/apis/apps/validation`, core), Job and CronJob (`pkg/apis/batch/validation`), with
//! label selectors and the cron schedule syntax.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Kind;
use crate::field::{Errors, child, go_string_map};
use crate::meta::validate_labels;
use crate::names::{percent, qualified_name};
use crate::pod::{validate_pod_template, validate_pod_template_with_claims};

const SELECTOR_MISMATCH: &str = "`selector` does not match template `labels`";

pub(crate) fn validate(kind: Kind, object: &Value, old: Option<&Value>, errors: &mut Errors) {
    let Some(spec) = errors.obj(object, "spec", "") else {
        errors.required("spec", "");
        return;
    };
    match kind {
        Kind::Deployment => validate_apps(spec, "deployment", errors),
        Kind::ReplicaSet => validate_apps(spec, "deployment", errors),
        Kind::DaemonSet => validate_apps(spec, "daemonset", errors),
        Kind::StatefulSet => validate_apps(spec, "statefulset", errors),
        Kind::ReplicationController => validate_replication_controller(spec, errors),
        Kind::Job => {
            validate_job_spec(spec, "spec", true, errors);
            validate_generated_selector(object, spec, errors);
        }
        Kind::CronJob => validate_cron_job(object, spec, old, errors),
        _ => {}
    }
    if kind == Kind::Deployment {
        validate_deployment_strategy(spec, errors);
    }
    if kind == Kind::DaemonSet
        && let Some(strategy) = errors.obj(spec, "updateStrategy", "spec")
    {
        if let Some(kind) = errors.str(strategy, "type", "spec.updateStrategy")
            && !matches!(kind, "OnDelete" | "RollingUpdate")
        {
            errors.not_supported("spec.updateStrategy.type", kind, &["OnDelete", "RollingUpdate"]);
        }
        if let Some(rolling) = errors.obj(strategy, "rollingUpdate", "spec.updateStrategy") {
            let path = "spec.updateStrategy.rollingUpdate";
            let unavailable = int_or_percent(rolling, "maxUnavailable", path, errors);
            let surge = int_or_percent(rolling, "maxSurge", path, errors);
            if unavailable == Some(0) && surge == Some(0) {
                errors.invalid(
                    &child(path, "maxUnavailable"),
                    rolling.get("maxUnavailable").cloned().unwrap_or_default(),
                    "may not be 0 when `maxSurge` is 0",
                );
            }
        }
    }
    if kind == Kind::StatefulSet {
        validate_stateful_set(spec, errors);
    }
    let Some(old_spec) = old.and_then(|old| old.get("spec")) else {
        return;
    };
    match kind {
        Kind::Deployment | Kind::ReplicaSet | Kind::DaemonSet | Kind::StatefulSet | Kind::Job
            if spec.get("selector") != old_spec.get("selector") =>
        {
            let shown = spec.get("selector").map_or_else(|| "nil".to_owned(), show_label_selector);
            errors.invalid_shown("spec.selector", shown, "field is immutable");
        }
        _ => {}
    }
    if kind == Kind::StatefulSet {
        let mutable = [
            "replicas",
            "ordinals",
            "template",
            "updateStrategy",
            "revisionHistoryLimit",
            "persistentVolumeClaimRetentionPolicy",
            "minReadySeconds",
        ];
        let strip = |spec: &Value| {
            let mut spec = spec.clone();
            if let Some(map) = spec.as_object_mut() {
                map.retain(|name, _| !mutable.contains(&name.as_str()) && name != "selector");
            }
            spec
        };
        if strip(spec) != strip(old_spec) {
            errors.forbidden(
                "spec",
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            );
        }
    }
    if kind == Kind::Job {
        if spec.get("template") != old_spec.get("template") {
            let shown = spec.get("template").map_or_else(|| "null".to_owned(), Value::to_string);
            errors.invalid_shown("spec.template", shown, "field is immutable");
        }
        for immutable in ["completionMode", "podFailurePolicy", "backoffLimitPerIndex"] {
            if spec.get(immutable) != old_spec.get(immutable) {
                errors.invalid(
                    &child("spec", immutable),
                    spec.get(immutable).cloned().unwrap_or_default(),
                    "field is immutable",
                );
            }
        }
        let non_indexed = spec.get("completionMode").and_then(Value::as_str) != Some("Indexed");
        if non_indexed && spec.get("completions") != old_spec.get("completions") {
            errors.invalid(
                "spec.completions",
                spec.get("completions").cloned().unwrap_or_default(),
                "field is immutable",
            );
        }
    }
}

/// A label selector as upstream prints a `*metav1.LabelSelector` (its generated `String`).
fn show_label_selector(selector: &Value) -> String {
    if selector.is_null() {
        return "nil".to_owned();
    }
    let mut labels: Vec<(String, String)> = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .map(|map| map.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default();
    labels.sort();
    let labels: String = labels.iter().map(|(k, v)| format!("{k}: {v},")).collect();
    let expressions: String = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    let text = |name: &str| item.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
                    let values: Vec<&str> = item
                        .get("values")
                        .and_then(Value::as_array)
                        .map(|values| values.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    format!(
                        "LabelSelectorRequirement{{Key:{},Operator:{},Values:[{}],}},",
                        text("key"),
                        text("operator"),
                        values.join(" ")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    format!(
        "&LabelSelector{{MatchLabels:map[string]string{{{labels}}},MatchExpressions:[]LabelSelectorRequirement{{{expressions}}},}}"
    )
}

/// A `metav1.LabelSelector`; returns whether it is usable for matching.
pub(crate) fn validate_label_selector(selector: &Value, path: &str, errors: &mut Errors) -> bool {
    let before = errors.list.len();
    let labels = errors.str_map(selector, "matchLabels", path);
    validate_labels(&labels, &child(path, "matchLabels"), errors);
    for (_, requirement, requirement_path) in errors.obj_list(selector, "matchExpressions", path) {
        let operator = errors.str(requirement, "operator", &requirement_path).unwrap_or_default();
        let values = errors.str_list(requirement, "values", &requirement_path);
        match operator {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errors.required(
                        &child(&requirement_path, "values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    );
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errors.forbidden(
                        &child(&requirement_path, "values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    );
                }
            }
            other => errors.invalid(&child(&requirement_path, "operator"), other, "not a valid selector operator"),
        }
        let requirement_key = errors.str(requirement, "key", &requirement_path).unwrap_or_default();
        errors.invalid_each(&child(&requirement_path, "key"), requirement_key, qualified_name(requirement_key));
    }
    errors.list.len() == before
}

fn selector_is_empty(selector: &Value) -> bool {
    let count = |name: &str| {
        selector.get(name).map_or(0, |value| match value {
            Value::Object(map) => map.len(),
            Value::Array(items) => items.len(),
            _ => 0,
        })
    };
    count("matchLabels") + count("matchExpressions") == 0
}

/// A template's labels (their types are checked where the template's metadata is validated).
fn template_labels(template: &Value) -> BTreeMap<String, String> {
    template
        .get("metadata")
        .and_then(|meta| meta.get("labels"))
        .and_then(Value::as_object)
        .map(|map| map.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
        .unwrap_or_default()
}

/// Labels as upstream prints a `map[string]string` in an error.
fn shown_labels(labels: &BTreeMap<String, String>) -> String {
    let pairs: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    go_string_map(&pairs)
}

fn nonnegative(spec: &Value, name: &str, path: &str, errors: &mut Errors) {
    if let Some(value) = errors.int(spec, name, path)
        && value < 0
    {
        errors.invalid(&child(path, name), value, "must be greater than or equal to 0");
    }
}

/// The spec shared by Deployment, ReplicaSet, DaemonSet and StatefulSet: replicas, selector, template.
fn validate_apps(spec: &Value, noun: &str, errors: &mut Errors) {
    nonnegative(spec, "replicas", "spec", errors);
    nonnegative(spec, "minReadySeconds", "spec", errors);
    nonnegative(spec, "revisionHistoryLimit", "spec", errors);
    let selector = errors.obj(spec, "selector", "spec");
    let mut usable = false;
    match selector {
        None => errors.required("spec.selector", ""),
        Some(selector) => {
            usable = validate_label_selector(selector, "spec.selector", errors);
            if selector_is_empty(selector) {
                errors.invalid_shown(
                    "spec.selector",
                    show_label_selector(selector),
                    format!("empty selector is invalid for {noun}"),
                );
                usable = false;
            }
        }
    }
    let Some(template) = errors.obj(spec, "template", "spec") else {
        errors.required("spec.template", "");
        return;
    };
    let labels = template_labels(template);
    if usable
        && let Some(selector) = selector
        && !errors.selector_selects(selector, &labels)
    {
        errors.invalid_shown("spec.template.metadata.labels", shown_labels(&labels), SELECTOR_MISMATCH);
    }
    let claims: Vec<String> = spec
        .get("volumeClaimTemplates")
        .and_then(Value::as_array)
        .map(|claims| {
            claims.iter().filter_map(|claim| claim.get("metadata")?.get("name")?.as_str().map(str::to_owned)).collect()
        })
        .unwrap_or_default();
    validate_pod_template_with_claims(template, "spec.template", &claims, errors);
    validate_template_restart_policy(template, &["Always"], errors, "spec.template");
    if template.get("spec").and_then(|spec| spec.get("activeDeadlineSeconds")).is_some_and(|v| !v.is_null()) {
        let owner = if noun == "deployment" { "ReplicaSet" } else { "DaemonSet" };
        errors.forbidden(
            "spec.template.spec.activeDeadlineSeconds",
            format!("activeDeadlineSeconds in {owner} is not Supported"),
        );
    }
}

fn validate_template_restart_policy(template: &Value, allowed: &[&str], errors: &mut Errors, path: &str) {
    let policy = template.get("spec").and_then(|spec| spec.get("restartPolicy")).and_then(Value::as_str);
    if let Some(policy) = policy
        && !allowed.contains(&policy)
        && crate::pod::RESTART_POLICIES.contains(&policy)
    {
        errors.not_supported(&format!("{path}.spec.restartPolicy"), policy, allowed);
    }
}

fn validate_deployment_strategy(spec: &Value, errors: &mut Errors) {
    errors.bool(spec, "paused", "spec");
    if let Some(seconds) = errors.int(spec, "progressDeadlineSeconds", "spec") {
        nonnegative(spec, "progressDeadlineSeconds", "spec", errors);
        let min_ready = spec.get("minReadySeconds").and_then(Value::as_i64).unwrap_or(0);
        if seconds <= min_ready {
            errors.invalid("spec.progressDeadlineSeconds", seconds, "must be greater than minReadySeconds");
        }
    }
    let Some(strategy) = errors.obj(spec, "strategy", "spec") else {
        return;
    };
    let kind = errors.str(strategy, "type", "spec.strategy").unwrap_or_default();
    let rolling = errors.obj(strategy, "rollingUpdate", "spec.strategy");
    match kind {
        "Recreate" => {
            if rolling.is_some() {
                errors.forbidden(
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                );
            }
        }
        "RollingUpdate" => {
            if let Some(rolling) = rolling {
                let path = "spec.strategy.rollingUpdate";
                let unavailable = int_or_percent(rolling, "maxUnavailable", path, errors);
                let surge = int_or_percent(rolling, "maxSurge", path, errors);
                if unavailable == Some(0) && surge == Some(0) {
                    errors.invalid(
                        &child(path, "maxUnavailable"),
                        rolling.get("maxUnavailable").cloned().unwrap_or_default(),
                        "may not be 0 when `maxSurge` is 0",
                    );
                }
                if let Some(value) = rolling.get("maxUnavailable").and_then(Value::as_str)
                    && value.trim_end_matches('%').parse::<i64>().is_ok_and(|p| p > 100)
                {
                    errors.invalid(&child(path, "maxUnavailable"), value, "must not be greater than 100%");
                }
            }
        }
        "" => errors.required("spec.strategy.type", ""),
        other => errors.not_supported("spec.strategy.type", other, &["Recreate", "RollingUpdate"]),
    }
}

/// An int-or-string that is a count or a percentage; returns the amount when it is valid.
fn int_or_percent(owner: &Value, name: &str, path: &str, errors: &mut Errors) -> Option<i64> {
    let field = child(path, name);
    match owner.get(name)? {
        Value::Number(number) => {
            let value = number.as_i64()?;
            if value < 0 {
                errors.invalid(&field, value, "must be greater than or equal to 0");
            }
            Some(value)
        }
        Value::String(text) => {
            let problems = percent(text);
            if problems.is_empty() {
                text.trim_end_matches('%').parse().ok()
            } else {
                errors.invalid_each(&field, text, problems);
                None
            }
        }
        Value::Null => None,
        other => {
            errors.invalid(&field, other.clone(), "must be an integer or percentage (e.g '5%')");
            None
        }
    }
}

fn validate_stateful_set(spec: &Value, errors: &mut Errors) {
    if let Some(policy) = errors.str(spec, "podManagementPolicy", "spec")
        && !matches!(policy, "OrderedReady" | "Parallel")
    {
        errors.invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'");
    }
    if let Some(strategy) = errors.obj(spec, "updateStrategy", "spec") {
        if let Some(kind) = errors.str(strategy, "type", "spec.updateStrategy")
            && !matches!(kind, "RollingUpdate" | "OnDelete")
        {
            errors.invalid("spec.updateStrategy", strategy.clone(), "must be 'RollingUpdate' or 'OnDelete'");
        }
        if let Some(rolling) = errors.obj(strategy, "rollingUpdate", "spec.updateStrategy") {
            nonnegative(rolling, "partition", "spec.updateStrategy.rollingUpdate", errors);
        }
    }
    if let Some(policy) = errors.obj(spec, "persistentVolumeClaimRetentionPolicy", "spec") {
        let path = "spec.persistentVolumeClaimRetentionPolicy";
        for name in ["whenDeleted", "whenScaled"] {
            if let Some(value) = errors.str(policy, name, path)
                && !matches!(value, "Retain" | "Delete")
            {
                errors.not_supported(&child(path, name), value, &["Retain", "Delete"]);
            }
        }
    }
    for (_, template, path) in errors.obj_list(spec, "volumeClaimTemplates", "spec") {
        let name = template.get("metadata").and_then(|meta| meta.get("name")).and_then(Value::as_str);
        if name.is_none_or(str::is_empty) {
            errors.required(&child(&path, "metadata.name"), "name or generateName is required");
        }
        let spec_path = child(&path, "spec");
        let claim_spec = errors.obj(template, "spec", &path).unwrap_or(&Value::Null);
        crate::misc::validate_claim_spec(claim_spec, &spec_path, errors);
    }
}

fn validate_replication_controller(spec: &Value, errors: &mut Errors) {
    nonnegative(spec, "replicas", "spec", errors);
    nonnegative(spec, "minReadySeconds", "spec", errors);
    let selector = errors.str_map(spec, "selector", "spec");
    if selector.is_empty() {
        errors.required("spec.selector", "");
    }
    validate_labels(&selector, "spec.selector", errors);
    let Some(template) = errors.obj(spec, "template", "spec") else {
        errors.required("spec.template", "");
        return;
    };
    let labels = template_labels(template);
    let match_labels: serde_json::Map<String, Value> =
        selector.iter().map(|(key, value)| ((*key).to_owned(), Value::from(*value))).collect();
    let as_label_selector = serde_json::json!({ "matchLabels": match_labels });
    if !selector.is_empty() && !errors.selector_selects(&as_label_selector, &labels) {
        errors.invalid_shown("spec.template.metadata.labels", shown_labels(&labels), SELECTOR_MISMATCH);
    }
    validate_pod_template(template, "spec.template", errors);
    validate_template_restart_policy(template, &["Always"], errors, "spec.template");
    if template.get("spec").and_then(|spec| spec.get("activeDeadlineSeconds")).is_some_and(|v| !v.is_null()) {
        errors.forbidden(
            "spec.template.spec.activeDeadlineSeconds",
            "activeDeadlineSeconds in ReplicationController is not Supported",
        );
    }
}

/// A job spec at `path`; `needs_selector` for Job objects (a CronJob's job template has none).
fn validate_job_spec(spec: &Value, path: &str, needs_selector: bool, errors: &mut Errors) {
    for name in ["parallelism", "completions", "backoffLimit", "ttlSecondsAfterFinished"] {
        nonnegative(spec, name, path, errors);
    }
    if let Some(seconds) = errors.int(spec, "activeDeadlineSeconds", path)
        && seconds <= 0
    {
        errors.invalid(&child(path, "activeDeadlineSeconds"), seconds, "must be greater than or equal to 0");
    }
    let mode = errors.str(spec, "completionMode", path).unwrap_or("NonIndexed");
    match mode {
        "NonIndexed" => {}
        "Indexed" => {
            if spec.get("completions").is_none_or(Value::is_null) {
                errors.required(&child(path, "completions"), "when completion mode is Indexed");
            }
        }
        other => errors.not_supported(&child(path, "completionMode"), other, &["NonIndexed", "Indexed"]),
    }
    errors.bool(spec, "suspend", path);
    if let Some(policy) = errors.str(spec, "podReplacementPolicy", path)
        && !matches!(policy, "TerminatingOrFailed" | "Failed")
    {
        errors.not_supported(&child(path, "podReplacementPolicy"), policy, &["Failed", "TerminatingOrFailed"]);
    }
    let manual = errors.bool(spec, "manualSelector", path);
    let selector = errors.obj(spec, "selector", path);
    let template = errors.obj(spec, "template", path);
    if needs_selector {
        match selector {
            None => errors.required(&child(path, "selector"), ""),
            Some(selector) => {
                if validate_label_selector(selector, &child(path, "selector"), errors)
                    && let Some(template) = template
                {
                    let labels = template_labels(template);
                    if !errors.selector_selects(selector, &labels) || selector_is_empty(selector) {
                        errors.invalid_shown(
                            &child(path, "template.metadata.labels"),
                            shown_labels(&labels),
                            SELECTOR_MISMATCH,
                        );
                    }
                }
            }
        }
    } else if manual == Some(true) {
        errors.not_supported(&child(path, "manualSelector"), true, &["nil", "false"]);
    }
    let template_path = child(path, "template");
    match template {
        None => errors.required(&template_path, ""),
        Some(template) => {
            validate_pod_template(template, &template_path, errors);
            let policy = template.get("spec").and_then(|spec| spec.get("restartPolicy")).and_then(Value::as_str);
            if let Some(policy) = policy
                && !matches!(policy, "OnFailure" | "Never")
            {
                errors.not_supported(&format!("{template_path}.spec.restartPolicy"), policy, &["OnFailure", "Never"]);
            }
        }
    }
}

/// Unless the selector is manual, it must select the job's own uid, as the generated one does.
fn validate_generated_selector(job: &Value, spec: &Value, errors: &mut Errors) {
    if spec.get("manualSelector").and_then(Value::as_bool) == Some(true) {
        return;
    }
    let has_labels = spec
        .get("template")
        .and_then(|template| template.get("metadata"))
        .and_then(|meta| meta.get("labels"))
        .is_some_and(Value::is_object);
    if !has_labels {
        return;
    }
    let uid = job.get("metadata").and_then(|meta| meta.get("uid")).and_then(Value::as_str).unwrap_or_default();
    if uid.is_empty() {
        errors.required("metadata.uid", "");
    }
    let expected: BTreeMap<String, String> =
        ["batch.kubernetes.io/controller-uid", "controller-uid"].map(|key| (key.to_owned(), uid.to_owned())).into();
    let selector = spec.get("selector").filter(|selector| selector.is_object());
    if selector.is_some_and(|selector| !errors.selector_selects(selector, &expected)) {
        let shown = selector.map_or_else(|| "nil".to_owned(), show_label_selector);
        errors.invalid_shown("spec.selector", shown, "`selector` not auto-generated");
    }
}

fn validate_cron_job(object: &Value, spec: &Value, old: Option<&Value>, errors: &mut Errors) {
    if let Some(name) = object.get("metadata").and_then(|meta| meta.get("name")).and_then(Value::as_str)
        && name.len() > 52
    {
        errors.invalid("metadata.name", name, "must be no more than 52 characters");
    }
    let old_has_tz = old
        .and_then(|old| old.get("spec"))
        .and_then(|spec| spec.get("schedule"))
        .and_then(Value::as_str)
        .is_some_and(|schedule| schedule.contains("TZ"));
    let time_zone = errors.str(spec, "timeZone", "spec");
    match errors.str(spec, "schedule", "spec") {
        None | Some("") => errors.required("spec.schedule", ""),
        Some(schedule) => {
            if let Err(message) = crate::cron::parse_schedule(schedule) {
                errors.invalid("spec.schedule", schedule, message);
            }
            if old_has_tz && schedule.contains("TZ") && time_zone.is_some() {
                errors.invalid(
                    "spec.schedule",
                    schedule,
                    "cannot use both timeZone field and TZ or CRON_TZ in schedule",
                );
            } else if !old_has_tz && schedule.contains("TZ") {
                errors.invalid(
                    "spec.schedule",
                    schedule,
                    "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
                );
            }
        }
    }
    if let Some(zone) = time_zone
        && (zone.is_empty() || zone.contains(' ') || zone.starts_with('/') || zone.contains(".."))
    {
        errors.invalid("spec.timeZone", zone, "unknown time zone ".to_owned() + zone);
    }
    match errors.str(spec, "concurrencyPolicy", "spec") {
        None | Some("") => errors.required("spec.concurrencyPolicy", ""),
        Some("Allow" | "Forbid" | "Replace") => {}
        Some(other) => errors.not_supported("spec.concurrencyPolicy", other, &["Allow", "Forbid", "Replace"]),
    }
    for name in ["startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"] {
        nonnegative(spec, name, "spec", errors);
    }
    errors.bool(spec, "suspend", "spec");
    match errors.obj(spec, "jobTemplate", "spec") {
        None => errors.required("spec.jobTemplate", ""),
        Some(template) => {
            crate::meta::validate_template_meta(template, "spec.jobTemplate", errors);
            match errors.obj(template, "spec", "spec.jobTemplate") {
                Some(job_spec) => validate_job_spec(job_spec, "spec.jobTemplate.spec", false, errors),
                None => errors.required("spec.jobTemplate.spec.template", ""),
            }
        }
    }
}

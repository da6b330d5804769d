//! The printers of the `batch` group's kinds: for each, kubectl's columns and the function that fills them, as
//! upstream's printers write them.

use serde_json::{Value, json};

use super::{
    AGE, CONTAINERS, IMAGES, NAME, Printer, SELECTOR, age, array_at, containers_and_images, human_duration, i64_at,
    none_if_empty, object_age, selector_text, str_at,
};

/// `Job`: kubectl's columns, and each object's cells.
pub(super) const JOB: Printer = Printer {
    columns: &[
        NAME,
        ("Status", "string", "", 0),
        ("Completions", "string", "", 0),
        ("Duration", "string", "", 0),
        AGE,
        CONTAINERS,
        IMAGES,
        SELECTOR,
    ],
    cells: job,
};

fn job(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let (containers, images) = containers_and_images(object, &["spec", "template", "spec"]);
    let completions = object.pointer("/spec/completions").and_then(Value::as_i64);
    let succeeded = i64_at(object, &["status", "succeeded"]);
    let completions = match completions {
        Some(total) => format!("{succeeded}/{total}"),
        None => {
            format!("{succeeded}/1 of {}", object.pointer("/spec/parallelism").and_then(Value::as_i64).unwrap_or(1))
        }
    };
    let conditions = array_at(object, &["status", "conditions"]);
    let has = |kind: &str| conditions.iter().any(|c| str_at(c, &["type"]) == kind && str_at(c, &["status"]) == "True");
    let status = if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if object.pointer("/metadata/deletionTimestamp").is_some() {
        "Terminating"
    } else if has("Suspended") {
        "Suspended"
    } else {
        "Running"
    };
    let start = str_at(object, &["status", "startTime"]);
    let end = str_at(object, &["status", "completionTime"]);
    let duration = match (parse_time(start), parse_time(end)) {
        (Some(start), Some(end)) => human_duration((end - start).whole_seconds()),
        (Some(start), None) => human_duration((time::OffsetDateTime::now_utc() - start).whole_seconds()),
        _ => String::new(),
    };
    vec![
        name,
        json!(status),
        json!(completions),
        json!(duration),
        object_age(object),
        containers,
        images,
        json!(selector_text(object.get("spec").and_then(|s| s.get("selector")).unwrap_or(&Value::Null))),
    ]
}

/// `CronJob`: kubectl's columns, and each object's cells.
pub(super) const CRON_JOB: Printer = Printer {
    columns: &[
        NAME,
        ("Schedule", "string", "", 0),
        ("Timezone", "string", "", 0),
        ("Suspend", "boolean", "", 0),
        ("Active", "integer", "", 0),
        ("Last Schedule", "string", "", 0),
        AGE,
        CONTAINERS,
        IMAGES,
        SELECTOR,
    ],
    cells: cron_job,
};

fn cron_job(object: &Value) -> Vec<Value> {
    let name = json!(str_at(object, &["metadata", "name"]));
    let (containers, images) = containers_and_images(object, &["spec", "jobTemplate", "spec", "template", "spec"]);
    let last = str_at(object, &["status", "lastScheduleTime"]);
    vec![
        name,
        json!(str_at(object, &["spec", "schedule"])),
        json!(none_if_empty(str_at(object, &["spec", "timeZone"]).to_owned())),
        json!(object.pointer("/spec/suspend").and_then(Value::as_bool).unwrap_or(false)),
        json!(array_at(object, &["status", "active"]).len()),
        json!(if last.is_empty() { "<none>".to_owned() } else { age(last) }),
        object_age(object),
        containers,
        images,
        json!(selector_text(object.pointer("/spec/jobTemplate/spec/selector").unwrap_or(&Value::Null))),
    ]
}

fn parse_time(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

//! Label and field selectors, with the syntax and error messages of kube-apiserver.
//!
//! Labels: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, joined by commas.
//! Fields: `path=value`, `path==value`, `path!=value` for the fields a resource allows.

use std::collections::{BTreeMap, BTreeSet};

use kube_core::{Expression, Selector, SelectorExt};
use serde_json::{Map, Value};

use crate::status::ApiError;

/// A parsed label selector; the empty selector matches everything. Matching is kube-core's `Selector`, the
/// workspace's one label selector implementation; this module only parses kube-apiserver's string syntax.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    selector: Selector,
    /// The label keys the selector reads: matching copies just these out of an object's labels.
    keys: Vec<String>,
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<LabelSelector, ApiError> {
        let invalid = |why: String| ApiError::bad_request(format!("unable to parse requirement: {why}"));
        let mut expressions = Vec::new();
        if text.trim().is_empty() {
            return Ok(LabelSelector::default());
        }
        for term in split_terms(text) {
            let term = term.trim();
            if term.is_empty() {
                // `a,,b` and `a,`: a comma must be followed by a requirement.
                return Err(invalid("found ',', expected: !, identifier, or 'end of string'".into()));
            }
            let expression = if let Some(key) = term.strip_prefix('!') {
                Expression::DoesNotExist(label_key(key.trim()).map_err(invalid)?)
            } else if let Some((key, values)) = split_set(term, " notin ") {
                Expression::NotIn(label_key(key).map_err(invalid)?, set_values(values).map_err(invalid)?)
            } else if let Some((key, values)) = split_set(term, " in ") {
                Expression::In(label_key(key).map_err(invalid)?, set_values(values).map_err(invalid)?)
            } else if let Some((key, value)) = term.split_once("!=") {
                Expression::NotEqual(
                    label_key(key.trim()).map_err(invalid)?,
                    label_value(value.trim()).map_err(invalid)?,
                )
            } else if let Some((key, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
                Expression::Equal(label_key(key.trim()).map_err(invalid)?, label_value(value.trim()).map_err(invalid)?)
            } else {
                Expression::Exists(label_key(term).map_err(invalid)?)
            };
            expressions.push(expression);
        }
        let keys = expressions.iter().map(|expression| expression_key(expression).to_owned()).collect();
        Ok(LabelSelector { selector: expressions.into_iter().collect(), keys })
    }

    /// A `metav1.LabelSelector` object (`matchLabels`, `matchExpressions`); `None` if it is not one.
    pub fn from_object(selector: &Value) -> Option<LabelSelector> {
        let typed: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector =
            serde_json::from_value(selector.clone()).ok()?;
        let mut keys: Vec<String> = typed.match_labels.iter().flatten().map(|(key, _)| key.clone()).collect();
        keys.extend(typed.match_expressions.iter().flatten().map(|requirement| requirement.key.clone()));
        Some(LabelSelector { selector: Selector::try_from(typed).ok()?, keys })
    }

    pub fn is_empty(&self) -> bool {
        self.selector.selects_all()
    }

    /// kube-core's matcher of the selector.
    pub fn into_selector(self) -> Selector {
        self.selector
    }

    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        if self.is_empty() {
            return true;
        }
        let read: BTreeMap<String, String> =
            self.keys.iter().filter_map(|key| Some((key.clone(), labels?.get(key)?.as_str()?.to_owned()))).collect();
        self.selector.matches(&read)
    }
}

/// Whether a `metav1.LabelSelector` object selects a set of labels (what validation asks of a workload's selector
/// and its template); a selector that is not one selects nothing.
pub fn selects_labels(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    LabelSelector::from_object(selector).is_some_and(|parsed| parsed.selector.matches(labels))
}

fn expression_key(expression: &Expression) -> &str {
    match expression {
        Expression::In(key, _)
        | Expression::NotIn(key, _)
        | Expression::Equal(key, _)
        | Expression::NotEqual(key, _)
        | Expression::Exists(key)
        | Expression::DoesNotExist(key) => key,
    }
}

/// Splits on commas that are not inside parentheses.
fn split_terms(text: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (idx, ch) in text.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&text[start..idx]);
                start = idx + 1;
            }
            _ => {}
        }
    }
    terms.push(&text[start..]);
    terms
}

fn split_set<'a>(term: &'a str, operator: &str) -> Option<(&'a str, &'a str)> {
    let (key, values) = term.split_once(operator)?;
    Some((key.trim(), values.trim()))
}

fn set_values(text: &str) -> Result<BTreeSet<String>, String> {
    let inner = text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| format!("found '{text}', expected: '('"))?;
    if inner.trim().is_empty() {
        return Err("for 'in', 'notin' operators, values set can't be empty".into());
    }
    inner.split(',').map(|value| label_value(value.trim())).collect()
}

fn label_key(key: &str) -> Result<String, String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
    let prefix_ok = prefix.is_none_or(|p| k8s_model::dns1123_subdomain(p).is_empty());
    if name_ok && prefix_ok {
        Ok(key.to_owned())
    } else {
        Err(format!(
            "invalid label key \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        ))
    }
}

fn label_value(value: &str) -> Result<String, String> {
    let ok = value.is_empty()
        || (value.len() <= 63
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && value.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && value.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric()));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "invalid label value: \"{value}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        ))
    }
}

/// A parsed field selector over the fields a resource supports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    /// (JSON path, value, wanted equal).
    requirements: Vec<(String, String, bool)>,
}

/// Fields every resource can be selected by.
const COMMON_FIELDS: &[&str] = &["metadata.name", "metadata.namespace"];

/// Further fields some resources allow, as kube-apiserver registers them.
fn resource_fields(group: &str, plural: &str) -> &'static [&'static str] {
    match (group, plural) {
        ("", "pods") => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        ("", "events") | ("events.k8s.io", "events") => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        ("", "secrets") => &["type"],
        ("", "namespaces") => &["status.phase"],
        ("", "nodes") => &["spec.unschedulable"],
        ("", "replicationcontrollers") => &["status.replicas"],
        ("apps", "replicasets") => &["status.replicas"],
        ("batch", "jobs") => &["status.successful"],
        ("certificates.k8s.io", "certificatesigningrequests") => &["spec.signerName"],
        _ => &[],
    }
}

impl FieldSelector {
    pub fn parse(text: &str, group: &str, plural: &str) -> Result<FieldSelector, ApiError> {
        let mut requirements = Vec::new();
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (path, value, equal) = if let Some((path, value)) = term.split_once("!=") {
                (path, value, false)
            } else if let Some((path, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
                (path, value, true)
            } else {
                return Err(ApiError::bad_request(format!("invalid selector: '{text}'; can't understand '{term}'")));
            };
            let path = path.trim();
            if !COMMON_FIELDS.contains(&path) && !resource_fields(group, plural).contains(&path) {
                return Err(ApiError::bad_request(format!("field label not supported: {path}")));
            }
            requirements.push((path.to_owned(), value.trim().to_owned(), equal));
        }
        Ok(FieldSelector { requirements })
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches(&self, object: &Value) -> bool {
        self.requirements.iter().all(|(path, wanted, equal)| {
            let actual = path.split('.').try_fold(object, |node, part| node.get(part));
            let actual = match actual {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Bool(b)) => b.to_string(),
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::Null) | None => {
                    if path == "spec.unschedulable" || path == "spec.hostNetwork" {
                        "false".to_owned()
                    } else {
                        String::new()
                    }
                }
                Some(other) => other.to_string(),
            };
            (actual == *wanted) == *equal
        })
    }
}

/// A selector as kube-apiserver formats it into a string (`app=web,tier in (a,b)`): a `LabelSelector`
/// (`matchLabels`, `matchExpressions`) or a plain map of labels (ReplicationControllers).
pub fn format_selector(selector: &Value) -> String {
    let Some(map) = selector.as_object() else { return String::new() };
    if !map.contains_key("matchLabels") && !map.contains_key("matchExpressions") {
        return map
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(",");
    }
    let mut parts: Vec<String> = map
        .get("matchLabels")
        .and_then(Value::as_object)
        .map(|labels| labels.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect())
        .unwrap_or_default();
    for expression in map.get("matchExpressions").and_then(Value::as_array).into_iter().flatten() {
        let key = expression.get("key").and_then(Value::as_str).unwrap_or_default();
        let mut values: Vec<&str> = expression
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        values.sort_unstable();
        parts.push(match expression.get("operator").and_then(Value::as_str).unwrap_or_default() {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_owned(),
            "DoesNotExist" => format!("!{key}"),
            other => format!("{key} {other}"),
        });
    }
    parts.join(",")
}

//! What an instance's user data tells its kubelet: the EKS cluster it joins, and the labels and taints it
//! registers with, as the EKS optimized AMIs read it.
//!
//! Three forms are understood, alone or as a part of a MIME multipart document (the form launch templates and
//! managed node groups use):
//! - Amazon Linux 2023's nodeadm `NodeConfig` (`apiVersion: node.eks.aws/v1alpha1`, `kind: NodeConfig`): the
//!   cluster is `spec.cluster.name`; `spec.kubelet.flags` may carry `--node-labels=` and `--register-with-taints=`.
//! - Amazon Linux 2's `/etc/eks/bootstrap.sh <cluster> [options]` line in a shell script, with `--kubelet-extra-args
//!   '--node-labels=... --register-with-taints=...'`; `$NAME` and `${NAME}` are expanded from plain `NAME=value`
//!   assignments earlier in the script.
//! - Bottlerocket's TOML settings: `cluster-name` under `[settings.kubernetes]`, labels under
//!   `[settings.kubernetes.node-labels]` and taints (`"value:Effect"`) under `[settings.kubernetes.node-taints]`.
//!
//! [`read_user_data`] is the whole decision (no IO); user data naming no cluster joins none.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::eks::nodegroups::Taint;

/// The cluster an instance's kubelet joins and what it registers its node with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bootstrap {
    /// The EKS cluster's name.
    pub cluster: String,
    /// `--node-labels`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `--register-with-taints`, effects as EKS spells them (`NO_SCHEDULE`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
}

/// The bootstrap that base64 user data carries; `None` when it does not decode or names no cluster.
pub fn read_user_data(base64: &str) -> Option<Bootstrap> {
    let bytes = crate::ids::unbase64(base64.trim())?;
    let text = String::from_utf8(bytes).ok()?;
    read_document(&text)
}

/// The bootstrap of a decoded user data document (a MIME multipart's parts are read in order; the last part that
/// names a cluster wins, as nodeadm merges later configuration over earlier).
pub fn read_document(text: &str) -> Option<Bootstrap> {
    if let Some(parts) = multipart(text) {
        return parts.into_iter().rev().find_map(|(content_type, body)| read_part(&content_type, &body));
    }
    read_part("", text)
}

/// One document, by its content type when it has one, else by its look.
fn read_part(content_type: &str, body: &str) -> Option<Bootstrap> {
    let content_type = content_type.to_ascii_lowercase();
    if content_type.contains("node.eks.aws") {
        return node_config(body);
    }
    if content_type.contains("shellscript") || body.trim_start().starts_with("#!") {
        return bootstrap_script(body);
    }
    if content_type.contains("toml") || body.contains("[settings.kubernetes") {
        return bottlerocket(body);
    }
    node_config(body).or_else(|| bootstrap_script(body)).or_else(|| bottlerocket(body))
}

/// The parts of a MIME multipart document, each with its content type; `None` when it is not one.
fn multipart(text: &str) -> Option<Vec<(String, String)>> {
    let (head, body) = split_headers(text)?;
    let content_type = header(&head, "content-type")?;
    if !content_type.to_ascii_lowercase().starts_with("multipart/") {
        return None;
    }
    let boundary = content_type.split(';').find_map(|param| {
        let (name, value) = param.trim().split_once('=')?;
        name.trim().eq_ignore_ascii_case("boundary").then(|| value.trim().trim_matches('"').to_owned())
    })?;
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    for chunk in body.split(&delimiter).skip(1) {
        if chunk.starts_with("--") {
            break;
        }
        let chunk = chunk.strip_prefix("\r\n").or_else(|| chunk.strip_prefix('\n')).unwrap_or(chunk);
        let (part_head, part_body) = split_headers(chunk).unwrap_or_default();
        parts.push((header(&part_head, "content-type").unwrap_or_default(), part_body));
    }
    Some(parts)
}

/// A document's headers (up to the first empty line) and its body.
fn split_headers(text: &str) -> Option<(String, String)> {
    let normalized = text.replace("\r\n", "\n");
    let (head, body) = normalized.split_once("\n\n")?;
    Some((head.to_owned(), body.to_owned()))
}

/// A header's value, folded lines joined.
fn header(head: &str, name: &str) -> Option<String> {
    let mut value: Option<String> = None;
    for line in head.lines() {
        if let Some(found) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                found.push(' ');
                found.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((key, rest)) = line.split_once(':')
            && key.trim().eq_ignore_ascii_case(name)
        {
            value = Some(rest.trim().to_owned());
        }
    }
    value
}

/// nodeadm's `NodeConfig`.
fn node_config(body: &str) -> Option<Bootstrap> {
    let value: Value = serde_norway::from_str(body).ok()?;
    if value.get("kind").and_then(Value::as_str) != Some("NodeConfig") {
        return None;
    }
    let spec = value.get("spec")?;
    let cluster = spec.get("cluster")?.get("name")?.as_str().filter(|name| !name.is_empty())?.to_owned();
    let mut bootstrap = Bootstrap { cluster, ..Bootstrap::default() };
    let flags = spec.get("kubelet").and_then(|kubelet| kubelet.get("flags")).and_then(Value::as_array);
    for flag in flags.into_iter().flatten().filter_map(Value::as_str) {
        kubelet_flag(&mut bootstrap, flag);
    }
    Some(bootstrap)
}

/// Reads `--node-labels=...` and `--register-with-taints=...` into a bootstrap.
fn kubelet_flag(bootstrap: &mut Bootstrap, flag: &str) {
    if let Some(labels) = flag.strip_prefix("--node-labels=") {
        for pair in labels.split(',').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            bootstrap.labels.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    } else if let Some(taints) = flag.strip_prefix("--register-with-taints=") {
        bootstrap.taints.extend(taints.split(',').filter_map(kubelet_taint));
    }
}

/// `key=value:Effect` or `key:Effect`, as kubelet reads a taint.
fn kubelet_taint(text: &str) -> Option<Taint> {
    let (key_value, effect) = text.trim().rsplit_once(':')?;
    let (key, value) = match key_value.split_once('=') {
        Some((key, value)) => (key, Some(value.to_owned())),
        None => (key_value, None),
    };
    let effect = match effect {
        "NoSchedule" => "NO_SCHEDULE",
        "NoExecute" => "NO_EXECUTE",
        "PreferNoSchedule" => "PREFER_NO_SCHEDULE",
        _ => return None,
    };
    (!key.is_empty()).then(|| Taint { key: key.to_owned(), value, effect: effect.to_owned() })
}

/// The options of Amazon Linux 2's `bootstrap.sh` that take no value.
const BOOTSTRAP_SWITCHES: &[&str] = &["--help", "-h"];

/// Amazon Linux 2's `/etc/eks/bootstrap.sh` line.
fn bootstrap_script(body: &str) -> Option<Bootstrap> {
    let mut variables: BTreeMap<String, String> = BTreeMap::new();
    for line in body.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some(at) = line.find("/etc/eks/bootstrap.sh") {
            let words = shell_words(&line[at + "/etc/eks/bootstrap.sh".len()..], &variables);
            return bootstrap_arguments(&words);
        }
        let assignment = line.strip_prefix("export ").unwrap_or(line);
        if let Some((name, value)) = assignment.split_once('=')
            && !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            let value = shell_words(value, &variables).into_iter().next().unwrap_or_default();
            variables.insert(name.to_owned(), value);
        }
    }
    None
}

/// The cluster (the one positional argument) and the kubelet's extra arguments of a `bootstrap.sh` call.
fn bootstrap_arguments(words: &[String]) -> Option<Bootstrap> {
    let mut cluster = None;
    let mut extra = Vec::new();
    let mut index = 0;
    while index < words.len() {
        let word = &words[index];
        if matches!(word.as_str(), ";" | "&&" | "||" | "|") {
            break;
        }
        if word.starts_with('-') {
            let (name, inline) = match word.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (word.as_str(), None),
            };
            let value = if inline.is_some() || BOOTSTRAP_SWITCHES.contains(&name) {
                inline
            } else {
                index += 1;
                words.get(index).cloned()
            };
            if name == "--kubelet-extra-args"
                && let Some(value) = value
            {
                extra.extend(shell_words(&value, &BTreeMap::new()));
            }
        } else if cluster.is_none() {
            cluster = Some(word.clone());
        }
        index += 1;
    }
    let cluster = cluster.filter(|name| !name.is_empty() && !name.contains('$'))?;
    let mut bootstrap = Bootstrap { cluster, ..Bootstrap::default() };
    for (index, flag) in extra.iter().enumerate() {
        // Both `--node-labels=a=b` and `--node-labels a=b`.
        match (flag.as_str(), extra.get(index + 1)) {
            ("--node-labels" | "--register-with-taints", Some(value)) => {
                kubelet_flag(&mut bootstrap, &format!("{flag}={value}"));
            }
            _ => kubelet_flag(&mut bootstrap, flag),
        }
    }
    Some(bootstrap)
}

/// Splits a line as a POSIX shell does for simple words: single and double quotes, backslashes, `$NAME` and
/// `${NAME}` from `variables` (unknown ones are kept as written). `;`, `&&`, `||` and `|` are words of their own.
fn shell_words(line: &str, variables: &BTreeMap<String, String>) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('\''), c) => word.push(c),
            (_, '$') if quote != Some('\'') => {
                in_word = true;
                let braced = chars.peek() == Some(&'{');
                if braced {
                    chars.next();
                }
                let mut name = String::new();
                while let Some(&next) = chars.peek() {
                    if next.is_ascii_alphanumeric() || next == '_' {
                        name.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if braced && chars.peek() == Some(&'}') {
                    chars.next();
                }
                match variables.get(&name) {
                    Some(value) => word.push_str(value),
                    None => {
                        word.push('$');
                        word.push_str(&name);
                    }
                }
            }
            (_, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                    in_word = true;
                }
            }
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, ';' | '|' | '&') => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
                let mut operator = c.to_string();
                if matches!(c, '|' | '&') && chars.peek() == Some(&c) {
                    chars.next();
                    operator.push(c);
                }
                words.push(operator);
            }
            (None, '#') if !in_word => break,
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Bottlerocket's TOML settings, read line by line: `[table]` headers and `key = "value"` pairs.
fn bottlerocket(body: &str) -> Option<Bootstrap> {
    let mut table = String::new();
    let mut bootstrap = Bootstrap::default();
    for line in body.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
            table = name.trim().replace(['"', ' '], "");
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        let key = key.trim();
        // A quoted key (`"karpenter.sh/nodepool"`) is one name, dots and all.
        let quoted = key.starts_with('"') && key.ends_with('"') && key.len() >= 2;
        let key = key.trim_matches('"');
        let value = value.trim().trim_matches('"');
        let (table, key) = match key.rsplit_once('.').filter(|_| !quoted) {
            Some((prefix, key)) => (format!("{table}.{prefix}").trim_start_matches('.').to_owned(), key),
            None => (table.clone(), key),
        };
        match table.as_str() {
            "settings.kubernetes" if key == "cluster-name" => bootstrap.cluster = value.to_owned(),
            "settings.kubernetes.node-labels" => {
                bootstrap.labels.insert(key.to_owned(), value.to_owned());
            }
            "settings.kubernetes.node-taints" => {
                bootstrap.taints.extend(value.split(',').filter_map(|taint| kubelet_taint(&format!("{key}={taint}"))));
            }
            _ => {}
        }
    }
    (!bootstrap.cluster.is_empty()).then_some(bootstrap)
}

#[cfg(test)]
mod tests;

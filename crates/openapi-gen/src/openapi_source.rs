//! Reads the source of one Kubernetes version module of `k8s-openapi` (e.g. `src/v1_34`): every type that
//! implements `Resource` with its group, version and kind, and for every type with a schema its
//! schema name and the JSON names of its fields.
//!
//! `k8s-openapi`'s files are generated and regular, one type per file, so plain text scanning is enough: the
//! `impl crate::Resource for X` block, the `schema_name()` literal and the deserializer's `"json" => Field::Key_x`
//! arms.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};

/// A `k8s-openapi` type that implements `Resource`.
#[derive(Debug, Clone)]
pub struct Kind {
    pub group: String,
    pub version: String,
    pub kind: String,
    /// Whether the type implements `ListableResource`, so a `<Kind>List` exists.
    pub listable: bool,
    /// The Rust path, e.g. `k8s_openapi::api::apps::v1::Deployment`.
    pub rust_path: String,
    pub schema: String,
}

/// What the generator needs from `k8s-openapi`.
#[derive(Debug, Default)]
pub struct OpenApiTypes {
    pub kinds: Vec<Kind>,
    /// Schema name to the JSON names of its fields.
    pub properties: BTreeMap<String, Vec<String>>,
}

pub fn read(root: &Path) -> anyhow::Result<OpenApiTypes> {
    let mut types = OpenApiTypes::default();
    let mut files = Vec::new();
    collect_rust_files(root, &mut files)?;
    files.sort();
    for file in files {
        let relative = file.strip_prefix(root)?;
        if relative.file_name().is_some_and(|n| n == "mod.rs" || n == "list.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).with_context(|| format!("read {}", file.display()))?;
        let Some(schema) = schema_name(&text) else { continue };
        let properties = text
            .lines()
            .filter_map(|line| {
                let (json, rest) = line.trim().strip_prefix('"')?.split_once('"')?;
                rest.trim_start().strip_prefix("=> Field::Key_").map(|_| json.to_owned())
            })
            .collect::<Vec<_>>();
        if let Some(kind) = resource(&text, relative, &schema)? {
            types.kinds.push(kind);
        }
        if types.properties.insert(schema.clone(), properties).is_some() {
            bail!("two files define schema {schema}");
        }
    }
    types.kinds.sort_by(|a, b| (&a.group, &a.version, &a.kind).cmp(&(&b.group, &b.version, &b.kind)));
    Ok(types)
}

fn collect_rust_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect_rust_files(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    Ok(())
}

/// The literal `schema_name()` returns, e.g. `io.k8s.api.apps.v1.Deployment`.
fn schema_name(text: &str) -> Option<String> {
    let after = &text[text.find("fn schema_name()")?..];
    let start = after.find('"')? + 1;
    let end = start + after[start..].find('"')?;
    Some(after[start..end].to_owned())
}

/// The `Resource` implementation of the file's type, if it has one.
fn resource(text: &str, relative: &Path, schema: &str) -> anyhow::Result<Option<Kind>> {
    let Some(start) = text.find("impl crate::Resource for ") else { return Ok(None) };
    let block = &text[start..];
    let block = &block[..block.find("\n}").unwrap_or(block.len())];
    let name = block["impl crate::Resource for ".len()..].split_whitespace().next().unwrap_or_default();
    let constant = |key: &str| -> anyhow::Result<String> {
        let prefix = format!("const {key}: &'static str = \"");
        let at = block.find(&prefix).with_context(|| format!("{name}: no {key}"))? + prefix.len();
        let end = block[at..].find('"').context("unterminated literal")?;
        Ok(block[at..at + end].to_owned())
    };
    let mut module = relative
        .parent()
        .context("file without directory")?
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    module.insert(0, "k8s_openapi".to_owned());
    module.push(name.to_owned());
    Ok(Some(Kind {
        group: constant("GROUP")?,
        version: constant("VERSION")?,
        kind: constant("KIND")?,
        listable: text.contains(&format!("impl crate::ListableResource for {name} ")),
        rust_path: module.join("::"),
        schema: schema.to_owned(),
    }))
}

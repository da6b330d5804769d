//! Reads JSON field names, required fields and kinds from the generated sources of the `k8s-openapi` crate.
//!
//! Every Kubernetes version folder (`v1_33`, `v1_34`, ...) is read, newest first, so fields and kinds of any
//! supported version are known; a name found in a newer folder wins.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};

/// The JSON side of one field.
#[derive(Debug, Clone)]
pub struct JsonField {
    /// The exact JSON name (`hostIPC`, `$ref`, `x-kubernetes-list-type`).
    pub json: String,
    /// Whether k8s-openapi treats the field as required, that is the Go field has no `omitempty`.
    pub required: bool,
}

/// One type of k8s-openapi.
#[derive(Debug, Clone, Default)]
pub struct Type {
    /// The definition name (`CSIPersistentVolumeSource`).
    pub name: String,
    /// Fields keyed by normalized name (see [`normalize`]).
    pub fields: BTreeMap<String, JsonField>,
    /// `(apiVersion, kind)` when the type is a resource, and its list kind.
    pub resource: Option<(String, String)>,
    pub list_kind: Option<String>,
}

/// All types keyed by `module::lowercase name` (`api::core::v1::configmap`).
pub type Types = BTreeMap<String, Type>;

/// The join key of a field name: lowercase letters and digits only, so `host_ipc`, `hostIPC` and `$ref` meet.
pub fn normalize(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Loads every type of every version folder under `src`.
pub fn load(src: &Path) -> Result<Types> {
    let mut versions: Vec<(u32, u32, std::path::PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(src).with_context(|| format!("reading {}", src.display()))? {
        let path = entry?.path();
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some((major, minor)) = name.strip_prefix('v').and_then(|rest| rest.split_once('_'))
            && let (Ok(major), Ok(minor)) = (major.parse(), minor.parse())
            && path.is_dir()
        {
            versions.push((major, minor, path));
        }
    }
    versions.sort();
    let mut types = Types::new();
    for (_, _, dir) in versions.iter().rev() {
        load_version(dir, dir, &mut types)?;
    }
    Ok(types)
}

fn load_version(root: &Path, dir: &Path, types: &mut Types) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<std::io::Result<Vec<_>>>()?;
    entries.sort_by_key(|entry| entry.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            load_version(root, &path, types)?;
            continue;
        }
        if path.extension().is_none_or(|ext| ext != "rs") || path.file_name().is_some_and(|name| name == "mod.rs") {
            continue;
        }
        let relative = path.parent().and_then(|parent| parent.strip_prefix(root).ok()).context("outside root")?;
        let module: Vec<String> =
            relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect();
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        if let Some(parsed) = parse_file(&text).with_context(|| format!("parsing {}", path.display()))? {
            let key = format!("{}::{}", module.join("::"), parsed.name.to_lowercase());
            let entry = types.entry(key).or_default();
            if entry.name.is_empty() {
                entry.name = parsed.name.clone();
            }
            for (normalized, field) in parsed.fields {
                entry.fields.entry(normalized).or_insert(field);
            }
            if entry.resource.is_none() {
                entry.resource = parsed.resource;
            }
            if entry.list_kind.is_none() {
                entry.list_kind = parsed.list_kind;
            }
        }
    }
    Ok(())
}

/// Parses one generated file, which holds one type.
fn parse_file(text: &str) -> Result<Option<Type>> {
    let syntax = syn::parse_file(text)?;
    let mut parsed = Type::default();
    let mut optional_fields: BTreeMap<String, bool> = BTreeMap::new();
    let mut api_version = None;
    let mut kind = None;
    for item in &syntax.items {
        match item {
            syn::Item::Struct(item) => {
                parsed.name = item.ident.to_string();
                for field in &item.fields {
                    let Some(ident) = &field.ident else { continue };
                    let is_option = matches!(&field.ty, syn::Type::Path(path)
                        if path.path.segments.last().is_some_and(|segment| segment.ident == "Option"));
                    optional_fields.insert(ident.to_string().trim_start_matches("r#").to_owned(), is_option);
                }
            }
            syn::Item::Impl(item) => {
                let Some((_, trait_path, _)) = &item.trait_ else { continue };
                let Some(trait_name) = trait_path.segments.last().map(|segment| segment.ident.to_string()) else {
                    continue;
                };
                for impl_item in &item.items {
                    let syn::ImplItem::Const(constant) = impl_item else { continue };
                    let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(value), .. }) = &constant.expr else {
                        continue;
                    };
                    match (trait_name.as_str(), constant.ident.to_string().as_str()) {
                        ("Resource", "API_VERSION") => api_version = Some(value.value()),
                        ("Resource", "KIND") => kind = Some(value.value()),
                        ("ListableResource", "LIST_KIND") => parsed.list_kind = Some(value.value()),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if parsed.name.is_empty() {
        return Ok(None);
    }
    if let (Some(api_version), Some(kind)) = (api_version, kind) {
        parsed.resource = Some((api_version, kind));
    }
    // The deserializer maps each JSON name to a field key: `"hostIPC" => Field::Key_host_ipc,`.
    let marker = "\" => Field::Key_";
    let mut rest = text;
    while let Some(position) = rest.find(marker) {
        let before = &rest[..position];
        let json_start = before.rfind('"').context("unterminated JSON name")? + 1;
        let json = before[json_start..].to_owned();
        let after = &rest[position + marker.len()..];
        let rust_len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
        let rust = &after[..rust_len];
        if let Some(is_option) = optional_fields.get(rust) {
            parsed.fields.insert(normalize(&json), JsonField { json, required: !is_option });
        }
        rest = &after[rust_len..];
    }
    Ok(Some(parsed))
}

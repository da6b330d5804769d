//! Reads the protobuf message types of `k8s-pb` (`src/**/mod.rs`, written by prost-build from upstream's
//! `generated.proto` files) with their doc comments, which keep the Go markers of the API types:
//! `+patchMergeKey`, `+patchStrategy`, `+listType`, `+listMapKey`, `+mapType` and `+structType`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// One message type.
#[derive(Debug, Clone)]
pub struct PbType {
    /// The doc comment, one entry per line, without the leading space.
    pub docs: Vec<String>,
    pub fields: Vec<PbField>,
}

/// One field of a message type.
#[derive(Debug, Clone)]
pub struct PbField {
    /// The prost (snake case) name, e.g. `host_ipc`.
    pub name: String,
    pub docs: Vec<String>,
    /// The schema name of the field's message type, when it is one, e.g. `io.k8s.api.core.v1.VolumeSource`.
    pub message: Option<String>,
}

/// Message types by schema name, e.g. `io.k8s.api.core.v1.PodSpec`.
pub type PbTypes = BTreeMap<String, PbType>;

pub fn read(root: &Path) -> anyhow::Result<PbTypes> {
    let mut files = Vec::new();
    collect_modules(root, &mut files)?;
    files.sort();
    let mut types = PbTypes::new();
    for file in files {
        let module = file
            .strip_prefix(root)?
            .parent()
            .context("module without directory")?
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>();
        if module.is_empty() {
            continue;
        }
        let text = std::fs::read_to_string(&file).with_context(|| format!("read {}", file.display()))?;
        let syntax = syn::parse_file(&text).with_context(|| format!("parse {}", file.display()))?;
        for item in syntax.items {
            let syn::Item::Struct(item) = item else { continue };
            let syn::Fields::Named(named) = &item.fields else { continue };
            let fields = named
                .named
                .iter()
                .filter_map(|field| {
                    let name = field.ident.as_ref()?.to_string();
                    Some(PbField {
                        name: name.trim_start_matches("r#").to_owned(),
                        docs: docs(&field.attrs),
                        message: message_type(&module, &field.ty),
                    })
                })
                .collect();
            types.insert(schema_name(&module, &item.ident.to_string()), PbType { docs: docs(&item.attrs), fields });
        }
    }
    Ok(types)
}

fn collect_modules(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect_modules(&path, files)?;
        } else if path.file_name().is_some_and(|n| n == "mod.rs") {
            files.push(path);
        }
    }
    Ok(())
}

/// `["api", "core", "v1"]` and `Pod` give `io.k8s.api.core.v1.Pod`; module names with underscores are upstream's
/// hyphenated Go module names (`apiextensions_apiserver` is `io.k8s.apiextensions-apiserver`).
fn schema_name(module: &[String], name: &str) -> String {
    let mut parts = vec!["io".to_owned(), "k8s".to_owned()];
    parts.extend(module.iter().map(|m| m.replace('_', "-")));
    parts.push(name.to_owned());
    parts.join(".")
}

/// The doc comment lines of an item.
fn docs(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value: syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }),
                ..
            }) => {
                let line = text.value();
                Some(line.strip_prefix(' ').unwrap_or(&line).to_owned())
            }
            _ => None,
        })
        .collect()
}

/// The schema name of a field's message type: the `T` in `T`, `Option<T>` or `Vec<T>` when `T` is a path of
/// this crate (`VolumeSource`, `super::super::...::ObjectMeta`) rather than of `prost` or `core`.
fn message_type(module: &[String], ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if path.path.leading_colon.is_some() {
        // `::core::option::Option<T>` or `::prost::alloc::vec::Vec<T>`: look inside.
        let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else { return None };
        if arguments.args.len() != 1 {
            return None;
        }
        let syn::GenericArgument::Type(inner) = arguments.args.first()? else { return None };
        return message_type(module, inner);
    }
    let mut resolved = module.to_vec();
    let segments = path.path.segments.iter().collect::<Vec<_>>();
    let (name, prefix) = segments.split_last()?;
    // Message types are upper camel case; scalars (`i32`, `bool`) are not.
    if !name.ident.to_string().starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    for segment in prefix {
        if segment.ident == "super" {
            resolved.pop()?;
        } else {
            resolved.push(segment.ident.to_string());
        }
    }
    Some(schema_name(&resolved, &name.ident.to_string()))
}

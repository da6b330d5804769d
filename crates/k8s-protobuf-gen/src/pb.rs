//! Reads the wire layout of every Kubernetes message from the prost structs of the `k8s-pb` crate.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// A protobuf scalar type as prost names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    String,
    Bytes,
    Bool,
    Int32,
    Int64,
    Double,
}

/// What one field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Scalar(Scalar),
    /// A message, by its full path (`api::core::v1::Container`).
    Message(String),
}

/// How many values one field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Optional,
    Repeated,
    /// A `map<string, V>`; the field's kind is the value's kind.
    Map,
}

/// One field of a prost struct.
#[derive(Debug, Clone)]
pub struct Field {
    /// The Rust name without `r#`, in snake case.
    pub name: String,
    pub number: u32,
    pub kind: Kind,
    pub label: Label,
}

/// One prost struct, that is one protobuf message.
#[derive(Debug, Clone)]
pub struct Message {
    /// The Rust module path inside the crate (`api::core::v1`).
    pub module: String,
    /// The struct name as prost spelled it (`JsonSchemaProps`).
    pub name: String,
    pub fields: Vec<Field>,
}

impl Message {
    /// The full path that field kinds refer to.
    pub fn path(&self) -> String {
        format!("{}::{}", self.module, self.name)
    }
}

/// Loads every message of the crate whose `src` folder is `src`, keyed by full path.
pub fn load(src: &Path) -> Result<BTreeMap<String, Message>> {
    let mut messages = BTreeMap::new();
    let mut files = Vec::new();
    collect_mod_files(src, &mut files)?;
    for file in files {
        let relative = file.parent().and_then(|dir| dir.strip_prefix(src).ok()).context("file outside src")?;
        let module: Vec<String> =
            relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect();
        let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        let syntax = syn::parse_file(&text).with_context(|| format!("parsing {}", file.display()))?;
        for item in syntax.items {
            let syn::Item::Struct(item) = item else { continue };
            if let Some(message) =
                parse_struct(&module, &item).with_context(|| format!("{}::{}", module.join("::"), item.ident))?
            {
                messages.insert(message.path(), message);
            }
        }
    }
    Ok(messages)
}

fn collect_mod_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .collect::<std::io::Result<Vec<_>>>()?;
    entries.sort_by_key(|entry| entry.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            collect_mod_files(&path, files)?;
        } else if path.file_name().is_some_and(|name| name == "mod.rs") {
            files.push(path);
        }
    }
    Ok(())
}

/// Turns a struct deriving `prost::Message` into a message; other structs give `None`.
fn parse_struct(module: &[String], item: &syn::ItemStruct) -> Result<Option<Message>> {
    let derives_message = item
        .attrs
        .iter()
        .any(|attr| attr.path().is_ident("derive") && quote_tokens(attr).replace(' ', "").contains("::prost::Message"));
    if !derives_message {
        return Ok(None);
    }
    let mut fields = Vec::new();
    for field in &item.fields {
        let ident = field.ident.as_ref().context("tuple struct")?;
        let name = ident.to_string().trim_start_matches("r#").to_owned();
        let attr = field.attrs.iter().find(|attr| attr.path().is_ident("prost")).context("field without #[prost]")?;
        let mut flags = Vec::new();
        let mut values = BTreeMap::new();
        attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
            if meta.input.peek(syn::Token![=]) {
                let value: syn::LitStr = meta.value()?.parse()?;
                values.insert(key, value.value());
            } else {
                flags.push(key);
            }
            Ok(())
        })?;
        let number: u32 = values.get("tag").context("field without tag")?.parse()?;
        let (kind_name, label) = if let Some(map) = values.get("btree_map") {
            let (key, value) = map.split_once(',').context("btree_map without value type")?;
            if key.trim() != "string" {
                bail!("map key {key} is not a string");
            }
            (value.trim().to_owned(), Label::Map)
        } else if values.contains_key("bytes") {
            let label = if flags.iter().any(|flag| flag == "repeated") { Label::Repeated } else { Label::Optional };
            ("bytes".to_owned(), label)
        } else {
            let kind_name = flags.first().context("field without type")?.clone();
            let label = if flags.iter().any(|flag| flag == "repeated") { Label::Repeated } else { Label::Optional };
            (kind_name, label)
        };
        let kind = match kind_name.as_str() {
            "string" => Kind::Scalar(Scalar::String),
            "bytes" => Kind::Scalar(Scalar::Bytes),
            "bool" => Kind::Scalar(Scalar::Bool),
            "int32" => Kind::Scalar(Scalar::Int32),
            "int64" => Kind::Scalar(Scalar::Int64),
            "double" => Kind::Scalar(Scalar::Double),
            "message" => Kind::Message(resolve_type(module, &field.ty)?),
            other => bail!("field {name} has unsupported type {other}"),
        };
        fields.push(Field { name, number, kind, label });
    }
    fields.sort_by_key(|field| field.number);
    Ok(Some(Message { module: module.join("::"), name: item.ident.to_string(), fields }))
}

/// Resolves the message type of a field (`Option<Box<super::X>>`, `Vec<X>`, `BTreeMap<String, X>`) to a path.
fn resolve_type(module: &[String], ty: &syn::Type) -> Result<String> {
    let syn::Type::Path(type_path) = ty else { bail!("field type is not a path") };
    let last = type_path.path.segments.last().context("empty type path")?;
    if let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.last()
    {
        return resolve_type(module, inner);
    }
    let mut path: Vec<String> = module.to_vec();
    let segments: Vec<String> = type_path.path.segments.iter().map(|segment| segment.ident.to_string()).collect();
    let (name, parents) = segments.split_last().context("empty type path")?;
    for segment in parents {
        match segment.as_str() {
            "super" => {
                path.pop().context("super above the crate root")?;
            }
            "crate" => path.clear(),
            other => path.push(other.to_owned()),
        }
    }
    path.push(name.clone());
    Ok(path.join("::"))
}

fn quote_tokens(attr: &syn::Attribute) -> String {
    match &attr.meta {
        syn::Meta::List(list) => list.tokens.to_string(),
        _ => String::new(),
    }
}

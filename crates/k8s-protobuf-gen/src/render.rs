//! Joins the k8s-pb messages with the k8s-openapi types and renders the static table of `schema.rs`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

use anyhow::{Context, Result, bail};

use crate::openapi::{self, Types, normalize};
use crate::pb::{self, Kind, Label, Scalar};
use crate::policy;

/// How the runtime reads a message that does not map field by field to a JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    Plain,
    Time,
    MicroTime,
    Duration,
    Quantity,
    IntOrString,
    RawJson,
    RawExtension,
    StringList,
    SchemaOrArray,
    SchemaOrBool,
    SchemaOrStringArray,
}

/// The wire layout the runtime expects of a special message: `(number, type, label)` per field.
fn expected_layout(special: Special) -> &'static [(u32, &'static str, Label)] {
    use Label::{Optional, Repeated};
    match special {
        Special::Plain => &[],
        Special::Time | Special::MicroTime => &[(1, "int64", Optional), (2, "int32", Optional)],
        Special::Duration => &[(1, "int64", Optional)],
        Special::Quantity => &[(1, "string", Optional)],
        Special::IntOrString => &[(1, "int64", Optional), (2, "int32", Optional), (3, "string", Optional)],
        Special::RawJson | Special::RawExtension => &[(1, "bytes", Optional)],
        Special::StringList => &[(1, "string", Repeated)],
        Special::SchemaOrArray => &[(1, "message", Optional), (2, "message", Repeated)],
        Special::SchemaOrBool => &[(1, "bool", Optional), (2, "message", Optional)],
        Special::SchemaOrStringArray => &[(1, "message", Optional), (2, "string", Repeated)],
    }
}

fn special_of(name: &str, message: &pb::Message) -> Special {
    match name.to_lowercase().as_str() {
        "meta.v1.time" => Special::Time,
        "meta.v1.microtime" => Special::MicroTime,
        "meta.v1.duration" => Special::Duration,
        "meta.v1.fieldsv1" | "apiextensions.v1.json" => Special::RawJson,
        "runtime.rawextension" => Special::RawExtension,
        "api.resource.quantity" | "api.resource.quantityvalue" => Special::Quantity,
        "util.intstr.intorstring" => Special::IntOrString,
        "apiextensions.v1.jsonschemapropsorarray" => Special::SchemaOrArray,
        "apiextensions.v1.jsonschemapropsorbool" => Special::SchemaOrBool,
        "apiextensions.v1.jsonschemapropsorstringarray" => Special::SchemaOrStringArray,
        // Go's named string slices (`metav1.Verbs`, `ExtraValue`) travel as a message with one repeated field.
        _ if message.fields.len() == 1
            && message.fields[0].name == "items"
            && message.fields[0].kind == Kind::Scalar(Scalar::String) =>
        {
            Special::StringList
        }
        _ => Special::Plain,
    }
}

/// How a field's values map to JSON; mirrors `Card` in the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Card {
    Keep,
    Omit,
    List,
    Map,
    Inline,
}

#[derive(Debug)]
struct Field {
    number: u32,
    json: String,
    ty: String,
    card: Card,
}

#[derive(Debug)]
struct Message {
    name: String,
    ident: String,
    special: Special,
    fields: Vec<Field>,
}

/// The joined table, ready to render.
#[derive(Debug)]
pub struct Table {
    messages: Vec<Message>,
    kinds: Vec<(String, String, String)>,
}

impl Table {
    /// Joins the two crates; guesses (names not found in k8s-openapi) are pushed to `warnings`.
    pub fn build(messages: &BTreeMap<String, pb::Message>, types: &Types, warnings: &mut Vec<String>) -> Result<Self> {
        // Lowercase lookup, since prost and the API spell acronyms differently (`Csi...` and `CSI...`).
        let by_lowercase: BTreeMap<String, &pb::Message> = messages
            .values()
            .map(|message| (format!("{}::{}", message.module, message.name.to_lowercase()), message))
            .collect();
        let own_type =
            |message: &pb::Message| types.get(&format!("{}::{}", message.module, message.name.to_lowercase()));
        // Messages that exist only to be embedded with `json:",inline"` (`VolumeSource`, `ProbeHandler`) have no
        // k8s-openapi type of their own; their JSON names are those of the type they are embedded in.
        let mut inline_parent: BTreeMap<String, &openapi::Type> = BTreeMap::new();
        for message in messages.values() {
            if let Some(ty) = own_type(message) {
                collect_inline(message, ty, messages, &mut inline_parent, 0);
            }
        }
        let type_of = |message: &pb::Message| own_type(message).or_else(|| inline_parent.get(&message.path()).copied());

        // The kinds: resources and their lists from k8s-openapi, and the metav1 kinds.
        let mut kinds: Vec<(String, String, String)> = Vec::new();
        for (key, ty) in types {
            let Some((module, _)) = key.rsplit_once("::") else { continue };
            if !policy::MODULES.contains(&module) {
                continue;
            }
            let Some((api_version, kind)) = &ty.resource else { continue };
            let Some(message) = by_lowercase.get(key) else {
                warnings.push(format!("kind {api_version} {kind} has no protobuf message"));
                continue;
            };
            kinds.push((api_version.clone(), kind.clone(), message.path()));
            if let Some(list_kind) = &ty.list_kind {
                match by_lowercase.get(&format!("{module}::{}", list_kind.to_lowercase())) {
                    Some(list) => kinds.push((api_version.clone(), list_kind.clone(), list.path())),
                    None => warnings.push(format!("kind {api_version} {list_kind} has no protobuf message")),
                }
            }
        }
        for kind in policy::META_KINDS {
            let path = format!("apimachinery::pkg::apis::meta::v1::{kind}");
            if !messages.contains_key(&path) {
                bail!("metav1 kind {kind} has no protobuf message");
            }
            kinds.push((policy::META_API_VERSION.to_owned(), (*kind).to_owned(), path));
        }
        kinds.sort();
        for pair in kinds.windows(2) {
            if pair[0].0 == pair[1].0 && pair[0].1 == pair[1].1 {
                bail!("kind {} {} appears twice", pair[0].0, pair[0].1);
            }
        }

        // The messages reachable from the kinds.
        let mut reachable = BTreeSet::new();
        let mut queue: VecDeque<String> = kinds.iter().map(|(_, _, path)| path.clone()).collect();
        while let Some(path) = queue.pop_front() {
            if !reachable.insert(path.clone()) {
                continue;
            }
            let message = messages.get(&path).with_context(|| format!("message {path} is referenced but missing"))?;
            for field in &message.fields {
                if let Kind::Message(target) = &field.kind {
                    queue.push_back(target.clone());
                }
            }
        }

        // Names and identifiers.
        let mut names: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut idents = BTreeSet::new();
        for path in &reachable {
            let message = &messages[path];
            let type_name = own_type(message).map_or(message.name.as_str(), |ty| ty.name.as_str());
            let name = format!("{}.{}", short_module(&message.module), type_name);
            let ident =
                format!("{}_{}", screaming(&short_module(&message.module).replace('.', "_")), screaming(type_name));
            if !idents.insert(ident.clone()) {
                bail!("two messages would be named {ident}");
            }
            names.insert(path.clone(), (name, ident));
        }

        let mut used_policy = BTreeSet::new();
        let mut table = Vec::new();
        for path in &reachable {
            let message = &messages[path];
            let (name, ident) = names[path].clone();
            let special = special_of(&name, message);
            if special != Special::Plain {
                check_layout(&name, special, message)?;
            }
            let ty = type_of(message);
            let mut fields = Vec::new();
            for field in &message.fields {
                let matched = ty.and_then(|ty| ty.fields.get(&normalize(&field.name)));
                let inline = matched.is_none() && ty.is_some_and(|ty| is_inline(field, messages, ty, 0));
                let (json, required) = match (matched, inline) {
                    (Some(json_field), _) => (json_field.json.clone(), json_field.required),
                    (None, true) => {
                        warnings.push(format!("{name}.{} is inlined into its parent's JSON", field.name));
                        (String::new(), false)
                    }
                    (None, false) => {
                        let guess = lower_camel(&field.name);
                        let list_field =
                            message.name.ends_with("List") && ["metadata", "items"].contains(&guess.as_str());
                        if special == Special::Plain && !list_field {
                            warnings.push(format!("{name}.{}: no JSON name in k8s-openapi, using {guess}", field.name));
                        }
                        (guess, false)
                    }
                };
                let ty_text = match &field.kind {
                    Kind::Scalar(Scalar::String) => "Str".to_owned(),
                    Kind::Scalar(Scalar::Bytes) => "Bytes".to_owned(),
                    Kind::Scalar(Scalar::Bool) => "Bool".to_owned(),
                    Kind::Scalar(Scalar::Int32) => "I32".to_owned(),
                    Kind::Scalar(Scalar::Int64) => "I64".to_owned(),
                    Kind::Scalar(Scalar::Double) => "F64".to_owned(),
                    Kind::Message(target) => format!("Msg(&{})", names[target].1),
                };
                let key = (name.clone(), json.clone());
                let card = match field.label {
                    Label::Repeated => Card::List,
                    Label::Map => Card::Map,
                    Label::Optional if inline => Card::Inline,
                    Label::Optional => match &field.kind {
                        _ if required => Card::Keep,
                        Kind::Message(_) => Card::Keep,
                        Kind::Scalar(Scalar::String) => {
                            if policy::KEEP_EMPTY_STRING
                                .iter()
                                .any(|(m, j)| (*m, *j) == (key.0.as_str(), key.1.as_str()))
                            {
                                used_policy.insert(key.clone());
                                Card::Keep
                            } else {
                                Card::Omit
                            }
                        }
                        Kind::Scalar(Scalar::Bytes) => Card::Omit,
                        Kind::Scalar(_) => {
                            if policy::OMIT_ZERO.iter().any(|(m, j)| (*m, *j) == (key.0.as_str(), key.1.as_str())) {
                                used_policy.insert(key.clone());
                                Card::Omit
                            } else if policy::OMIT_ZERO_ANYWHERE.contains(&json.as_str()) {
                                Card::Omit
                            } else {
                                Card::Keep
                            }
                        }
                    },
                };
                fields.push(Field { number: field.number, json, ty: ty_text, card });
            }
            table.push(Message { name, ident, special, fields });
        }
        for (message, json) in policy::KEEP_EMPTY_STRING.iter().chain(policy::OMIT_ZERO) {
            if !used_policy.contains(&((*message).to_owned(), (*json).to_owned())) {
                bail!("policy names {message}.{json}, which is not an optional scalar field of the table");
            }
        }
        table.sort_by(|a, b| a.ident.cmp(&b.ident));
        let kinds =
            kinds.into_iter().map(|(api_version, kind, path)| (api_version, kind, names[&path].1.clone())).collect();
        Ok(Table { messages: table, kinds })
    }

    /// Renders `schema.rs`; `sources` names the crate versions for the header.
    pub fn render(&self, sources: &str) -> String {
        let n_fields: usize = self.messages.iter().map(|message| message.fields.len()).sum();
        let mut out = String::new();
        let _ = write!(
            out,
            "//! The Kubernetes protobuf schema: {} messages, {} fields and {} kinds.\n\
             //!\n\
             //! Generated from {sources} by `cargo run -p k8s-protobuf-gen`;\n\
             //! do not edit by hand, regenerate.\n\
             //! Each message lists its fields as `Field(number, JSON name, type, card)`, ordered by number.\n\
             \n\
             use crate::model::Card::*;\n\
             use crate::model::Special::*;\n\
             use crate::model::Ty::*;\n\
             use crate::model::{{Field, Kind, Message}};\n\
             \n\
             /// Every kind, sorted by apiVersion and kind.\n\
             pub(crate) static KINDS: [Kind; {}] = [\n",
            self.messages.len(),
            n_fields,
            self.kinds.len(),
            self.kinds.len(),
        );
        for (api_version, kind, ident) in &self.kinds {
            let _ = writeln!(out, "    Kind({api_version:?}, {kind:?}, &{ident}),");
        }
        out.push_str("];\n");
        for message in &self.messages {
            let _ = write!(
                out,
                "\npub(crate) static {}: Message = Message {{ name: {:?}, special: {:?}, fields: &[",
                message.ident, message.name, message.special
            );
            if message.fields.is_empty() {
                out.push_str("] };\n");
                continue;
            }
            out.push('\n');
            let mut line = String::new();
            for field in &message.fields {
                let item = format!("Field({}, {:?}, {}, {:?}),", field.number, field.json, field.ty, field.card);
                if !line.is_empty() && 4 + line.len() + 1 + item.len() > 120 {
                    let _ = writeln!(out, "    {line}");
                    line.clear();
                }
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(&item);
            }
            let _ = writeln!(out, "    {line}");
            out.push_str("] };\n");
        }
        out
    }
}

/// Whether a field with no JSON name of its own is a Go struct embedded with `json:",inline"`
/// (`Volume.volumeSource`, `Probe.handler`): every field of the embedded message is a JSON field of the parent,
/// or is itself embedded.
fn is_inline(field: &pb::Field, messages: &BTreeMap<String, pb::Message>, parent: &openapi::Type, depth: u32) -> bool {
    let Kind::Message(target) = &field.kind else { return false };
    let Some(target) = messages.get(target) else { return false };
    field.label == Label::Optional
        && depth < 4
        && !target.fields.is_empty()
        && target.fields.iter().all(|inner| {
            parent.fields.contains_key(&normalize(&inner.name)) || is_inline(inner, messages, parent, depth + 1)
        })
}

/// Records, for every message embedded inline in `message` (whose JSON type is `ty`), the type it is read as.
fn collect_inline<'a>(
    message: &pb::Message,
    ty: &'a openapi::Type,
    messages: &BTreeMap<String, pb::Message>,
    inline_parent: &mut BTreeMap<String, &'a openapi::Type>,
    depth: u32,
) {
    for field in &message.fields {
        if ty.fields.contains_key(&normalize(&field.name)) || !is_inline(field, messages, ty, 0) {
            continue;
        }
        let Kind::Message(target) = &field.kind else { continue };
        if let Some(target) = messages.get(target) {
            inline_parent.entry(target.path()).or_insert(ty);
            if depth < 4 {
                collect_inline(target, ty, messages, inline_parent, depth + 1);
            }
        }
    }
}

fn check_layout(name: &str, special: Special, message: &pb::Message) -> Result<()> {
    let expected = expected_layout(special);
    let actual: Vec<(u32, &str, Label)> = message
        .fields
        .iter()
        .map(|field| {
            let ty = match &field.kind {
                Kind::Scalar(Scalar::String) => "string",
                Kind::Scalar(Scalar::Bytes) => "bytes",
                Kind::Scalar(Scalar::Bool) => "bool",
                Kind::Scalar(Scalar::Int32) => "int32",
                Kind::Scalar(Scalar::Int64) => "int64",
                Kind::Scalar(Scalar::Double) => "double",
                Kind::Message(_) => "message",
            };
            (field.number, ty, field.label)
        })
        .collect();
    if actual != expected {
        bail!("{name} has layout {actual:?}, but the runtime reads it as {special:?} with layout {expected:?}");
    }
    Ok(())
}

/// The short module prefix of message names: `api::core::v1` gives `core.v1`.
fn short_module(module: &str) -> String {
    let trimmed = ["apiextensions_apiserver::pkg::apis::", "apimachinery::pkg::apis::", "apimachinery::pkg::", "api::"]
        .iter()
        .find_map(|prefix| module.strip_prefix(prefix))
        .unwrap_or(module);
    trimmed.replace("::", ".")
}

/// `JSONSchemaPropsOrArray` gives `JSON_SCHEMA_PROPS_OR_ARRAY`, `PodIP` gives `POD_IP`.
fn screaming(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if prev.is_ascii_lowercase() || prev.is_ascii_digit() || (prev.is_ascii_uppercase() && next_lower) {
                out.push('_');
            }
        }
        if c != '_' || !out.ends_with('_') {
            out.push(c.to_ascii_uppercase());
        }
    }
    out
}

/// `allow_watch_bookmarks` gives `allowWatchBookmarks`: the guess for names k8s-openapi does not know.
fn lower_camel(name: &str) -> String {
    let mut out = String::new();
    for (i, part) in name.split('_').enumerate() {
        let mut chars = part.chars();
        match chars.next() {
            Some(first) if i > 0 => {
                out.push(first.to_ascii_uppercase());
                out.extend(chars);
            }
            Some(first) => {
                out.push(first);
                out.extend(chars);
            }
            None => {}
        }
    }
    out
}

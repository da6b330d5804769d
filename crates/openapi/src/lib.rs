//! OpenAPI v3 documents for the built-in Kubernetes kinds an API server serves, shaped as kube-apiserver's
//! `/openapi/v3` and `/openapi/v3/<group version path>`: what kubectl needs for `apply` (field validation
//! support, strategic merge patch metadata) and `explain` (schemas with descriptions by group, version and kind).
//!
//! Schemas come from `k8s-openapi`'s `schemars` implementations; the list and map extensions upstream's Go
//! markers add (`x-kubernetes-patch-strategy`, `x-kubernetes-list-type`, ...) come from the generated tables in
//! `generated.rs` (see `crates/openapi-gen`). [`OpenApi::new`] builds every document once; serving is a lookup.

mod catalog;
mod generated;
mod gnostic;
mod paths;
mod schemas;
mod v2;

pub use v2::{OpenApiV2, PROTOBUF_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE_DOTTED};

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// One resource the API server serves, as its registry knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServedResource {
    /// The API group, empty for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// The URL path segment, e.g. `deployments`.
    pub plural: &'static str,
    pub namespaced: bool,
    /// Subresources served for every object. Documented: `status`, `scale`, `eviction`, `binding` and `token`;
    /// others are left out of the documents.
    pub subresources: &'static [&'static str],
    /// Kubernetes verbs: `create`, `delete`, `deletecollection`, `get`, `list`, `patch`, `update`, `watch`.
    pub verbs: &'static [&'static str],
}

impl ServedResource {
    /// The document path of the resource's group version: `api/v1` or `apis/apps/v1`.
    pub fn document_path(&self) -> String {
        document_path(self.group, self.version)
    }
}

/// The document path of a group version: `api/v1` for the core group, `apis/<group>/<version>` for the others.
pub fn document_path(group: &str, version: &str) -> String {
    if group.is_empty() { format!("api/{version}") } else { format!("apis/{group}/{version}") }
}

/// The `Content-Type` of every document this crate produces, as kube-apiserver serves them.
pub const CONTENT_TYPE: &str = "application/json";

/// Every OpenAPI v3 document of an API server, serialized once.
#[derive(Debug)]
pub struct OpenApi {
    root: Vec<u8>,
    documents: BTreeMap<String, Document>,
    unknown: Vec<String>,
}

/// One group version's document.
#[derive(Debug)]
struct Document {
    json: Vec<u8>,
    /// Upper-case hex SHA-512 of `json`, as in upstream's `?hash=` query parameter.
    hash: String,
}

impl OpenApi {
    /// Builds the root and every group version document for `resources`. Resources whose kind `k8s-openapi` has
    /// no type for are left out (see [`OpenApi::unknown_kinds`]).
    pub fn new(resources: &[ServedResource]) -> OpenApi {
        let built = build(resources);
        let documents = built
            .documents
            .into_iter()
            .map(|(path, document)| {
                let json = serde_json::to_vec(&document).unwrap_or_default();
                let hash = sha512_hex(&json);
                (path, Document { json, hash })
            })
            .collect::<BTreeMap<_, _>>();
        let root = root_document(documents.iter().map(|(path, document)| (path.as_str(), document.hash.as_str())));
        OpenApi { root: serde_json::to_vec(&root).unwrap_or_default(), documents, unknown: built.unknown }
    }

    /// The body of `GET /openapi/v3`.
    pub fn root(&self) -> &[u8] {
        &self.root
    }

    /// The body and hash of `GET /openapi/v3/<path>`, where `path` is `api/v1` or `apis/<group>/<version>` (a
    /// leading `/` is ignored). `None` for a group version that serves nothing.
    pub fn document(&self, path: &str) -> Option<(&[u8], &str)> {
        let document = self.documents.get(path.trim_start_matches('/'))?;
        Some((&document.json, &document.hash))
    }

    /// The group version documents' JSON, in document path order: what [`OpenApiV2::from_v3`] merges.
    pub fn documents(&self) -> impl Iterator<Item = &[u8]> {
        self.documents.values().map(|document| document.json.as_slice())
    }

    /// The document paths, sorted: `api/v1`, `apis/apps/v1`, ...
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.documents.keys().map(String::as_str)
    }

    /// The `group/version/kind` of every resource left out because `k8s-openapi` has no type for its kind.
    pub fn unknown_kinds(&self) -> &[String] {
        &self.unknown
    }
}

/// The `/openapi/v3` document for `resources`: `{"paths": {"apis/apps/v1": {"serverRelativeURL": ...}}}`.
pub fn root(resources: &[ServedResource]) -> Value {
    let built = build(resources);
    let hashes = built
        .documents
        .iter()
        .map(|(path, document)| (path.clone(), sha512_hex(&serde_json::to_vec(document).unwrap_or_default())))
        .collect::<Vec<_>>();
    root_document(hashes.iter().map(|(path, hash)| (path.as_str(), hash.as_str())))
}

/// The OpenAPI v3 document of one group version of `resources`, `None` when `resources` has none of it. It is the
/// document [`OpenApi::new`] builds (some schemas list every served group version), so prefer that to calling
/// this for each group version.
pub fn group_version(resources: &[ServedResource], group: &str, version: &str) -> Option<Value> {
    build(resources).documents.remove(&document_path(group, version))
}

/// The documents of `resources` as values, by document path.
struct Built {
    documents: BTreeMap<String, Value>,
    unknown: Vec<String>,
}

fn build(resources: &[ServedResource]) -> Built {
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for resource in resources {
        match catalog::kind(resource.group, resource.version, resource.kind) {
            Some(kind) => known.push((resource, kind)),
            None => unknown.push(format!("{}/{}/{}", resource.group, resource.version, resource.kind)),
        }
    }
    let mut by_path: BTreeMap<String, Vec<(&ServedResource, &'static catalog::Kind)>> = BTreeMap::new();
    for (resource, kind) in &known {
        by_path.entry(resource.document_path()).or_default().push((resource, kind));
    }
    let group_versions = known.iter().map(|(r, _)| (r.group, r.version)).collect::<Vec<_>>();
    let schemas = schemas::Schemas::build(&known, &group_versions);

    let documents = by_path
        .into_iter()
        .map(|(path, resources)| {
            let paths = paths::paths(&resources);
            let components = schemas.reachable(&paths);
            let document = json!({
                "openapi": "3.0.0",
                "info": {"title": "Kubernetes", "version": "unversioned"},
                "paths": paths,
                "components": {
                    "schemas": components,
                    "securitySchemes": {
                        "BearerToken": {
                            "description": "A bearer token in the authorization header.",
                            "in": "header",
                            "name": "authorization",
                            "type": "apiKey",
                        },
                    },
                },
                "security": [{"BearerToken": []}],
            });
            (path, document)
        })
        .collect();
    Built { documents, unknown }
}

fn root_document<'a>(documents: impl Iterator<Item = (&'a str, &'a str)>) -> Value {
    let paths = documents
        .map(|(path, hash)| (path.to_owned(), json!({"serverRelativeURL": format!("/openapi/v3/{path}?hash={hash}")})))
        .collect::<Map<_, _>>();
    json!({ "paths": paths })
}

/// Upper-case hex SHA-512, the form of kube-apiserver's document hashes.
pub fn sha512_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = ring::digest::digest(&ring::digest::SHA512, bytes);
    digest.as_ref().iter().fold(String::with_capacity(128), |mut hex, byte| {
        let _ = write!(hex, "{byte:02X}");
        hex
    })
}

#[cfg(test)]
mod tests;

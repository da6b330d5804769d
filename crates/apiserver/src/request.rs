//! Turns a request's method and path into what it asks for, as kube-apiserver's request-info parsing does:
//! `/api/v1/namespaces/default/pods/web/status` is the `status` subresource of pod `web` in `default`.

use axum::http::Method;

/// What a resource request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRequest {
    pub verb: Verb,
    pub group: String,
    pub version: String,
    pub namespace: Option<String>,
    pub resource: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
    DeleteCollection,
}

/// What a path under `/api` or `/apis` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiPath {
    /// `/api` or `/apis`: the list of groups.
    Root {
        legacy: bool,
    },
    /// `/apis/<group>`: one group and its versions.
    Group {
        group: String,
    },
    /// `/api/v1`, `/apis/<group>/<version>`: the resources of a group version.
    GroupVersion {
        group: String,
        version: String,
    },
    Resource(ResourceRequest),
}

/// Subresources of namespaces, which `/api/v1/namespaces/<name>/<segment>` names instead of a resource.
const NAMESPACE_SUBRESOURCES: &[&str] = &["status", "finalize"];

/// Parses `path` (without the query); `None` when it is not under `/api` or `/apis`, or is malformed.
pub fn parse(method: &Method, path: &str, watch: bool) -> Option<ApiPath> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let (group, version, rest) = match parts.as_slice() {
        ["api"] => return Some(ApiPath::Root { legacy: true }),
        ["apis"] => return Some(ApiPath::Root { legacy: false }),
        ["apis", group] => return Some(ApiPath::Group { group: (*group).to_owned() }),
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return None,
    };
    if rest.is_empty() {
        return Some(ApiPath::GroupVersion { group: group.to_owned(), version: version.to_owned() });
    }
    let (namespace, rest): (Option<&str>, &[&str]) = match rest {
        ["namespaces", namespace, second, ..] if !NAMESPACE_SUBRESOURCES.contains(second) => {
            (Some(*namespace), &rest[2..])
        }
        _ => (None, rest),
    };
    let (resource, name, subresource) = match rest {
        [resource] => (*resource, None, None),
        [resource, name] => (*resource, Some(*name), None),
        [resource, name, subresource] => (*resource, Some(*name), Some(*subresource)),
        _ => return None,
    };
    let verb = match (method.as_str(), name.is_some()) {
        ("GET" | "HEAD", true) => Verb::Get,
        ("GET" | "HEAD", false) if watch => Verb::Watch,
        ("GET" | "HEAD", false) => Verb::List,
        ("POST", _) => Verb::Create,
        ("PUT", true) => Verb::Update,
        ("PATCH", true) => Verb::Patch,
        ("DELETE", true) => Verb::Delete,
        ("DELETE", false) => Verb::DeleteCollection,
        _ => return None,
    };
    Some(ApiPath::Resource(ResourceRequest {
        verb,
        group: group.to_owned(),
        version: version.to_owned(),
        namespace: namespace.map(str::to_owned),
        resource: resource.to_owned(),
        name: name.map(str::to_owned),
        subresource: subresource.map(str::to_owned),
    }))
}

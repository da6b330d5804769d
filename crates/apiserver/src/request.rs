//! Turns a request's method and path into what it asks for, as kube-apiserver's request-info parsing does:
//! `/api/v1/namespaces/default/pods/web/status` is the `status` subresource of pod `web` in `default`. The connect
//! subresources (`pods/<name>/proxy/<any path>`, `services/<name>/proxy/...`, `pods/<name>/portforward`) have a
//! parser of their own, [`parse_connect`], as their paths go on past the subresource.

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

/// A request to a connect subresource of a pod or a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectRequest {
    pub namespace: String,
    /// `pods` or `services`.
    pub resource: &'static str,
    /// The name as the path gives it: for a proxy, `[scheme:]name[:port]`.
    pub name: String,
    /// `proxy` or `portforward`.
    pub subresource: &'static str,
    /// What follows `proxy` in the path: empty, or starting with `/`. Always empty for `portforward`.
    pub rest: String,
}

/// Parses `/api/v1/namespaces/<namespace>/<pods|services>/<name>/<proxy|portforward>[/...]`; `None` for any other
/// path (which [`parse`] then reads).
pub fn parse_connect(path: &str) -> Option<ConnectRequest> {
    let rest = path.strip_prefix("/api/v1/namespaces/")?;
    let mut parts = rest.splitn(4, '/');
    let (namespace, resource, name, tail) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let (subresource, rest) = match tail.split_once('/') {
        Some((subresource, rest)) => (subresource, format!("/{rest}")),
        None => (tail, String::new()),
    };
    let (resource, subresource) = match (resource, subresource) {
        ("pods", "proxy") => ("pods", "proxy"),
        ("services", "proxy") => ("services", "proxy"),
        ("pods", "portforward") if rest.is_empty() || rest == "/" => ("pods", "portforward"),
        _ => return None,
    };
    if namespace.is_empty() || name.is_empty() {
        return None;
    }
    let rest = if subresource == "portforward" { String::new() } else { rest };
    Some(ConnectRequest { namespace: namespace.to_owned(), resource, name: name.to_owned(), subresource, rest })
}

/// Splits a proxy's `[scheme:]name[:port]` as kube-apiserver's `SplitSchemeNamePort` does: the scheme is empty,
/// `http` or `https`, the name is not empty; `None` when it is not of that form.
pub fn split_scheme_name_port(id: &str) -> Option<(&str, &str, &str)> {
    let parts: Vec<&str> = id.split(':').collect();
    let (scheme, name, port) = match parts.as_slice() {
        [name] => ("", *name, ""),
        [name, port] => ("", *name, *port),
        [scheme, name, port] => (*scheme, *name, *port),
        _ => return None,
    };
    (!name.is_empty() && matches!(scheme, "" | "http" | "https")).then_some((scheme, name, port))
}

#[cfg(test)]
mod tests;

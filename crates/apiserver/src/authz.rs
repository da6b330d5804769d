//! Authorization as kube-apiserver's RBAC authorizer decides it: a request is allowed when a ClusterRoleBinding,
//! or a RoleBinding in the request's namespace, binds the user (by name, group or service account) to a role
//! with a rule that covers the request. Members of `system:masters` are allowed everything, as the bootstrap
//! `cluster-admin` binding allows them, without reading any binding. The cluster starts with upstream's default
//! roles and bindings ([`default_policy`]); aggregated ClusterRoles take the rules of the roles their selectors
//! match. After RBAC come the grants an authenticator attached to the user ([`AccessGrant`]: a ClusterRole's rules,
//! everywhere or in matching namespaces, which is how EKS access policies authorize): a request is allowed when
//! RBAC or a grant in scope allows it, and refused with RBAC's message otherwise. Also the answers of the access
//! reviews (`kubectl auth can-i`, `--list`, `kubectl auth whoami`).

use serde_json::{Value, json};
use store::ListOptions;

use crate::api::ClusterApi;
use crate::identity::{AccessGrant, Identity};
use crate::status::ApiError;

/// A user as the authorizer sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
    pub extra: std::collections::BTreeMap<String, Vec<String>>,
    /// Permissions the authenticator granted beside RBAC.
    pub grants: Vec<AccessGrant>,
}

impl UserInfo {
    pub fn of(identity: &Identity) -> UserInfo {
        match identity {
            Identity::Anonymous => UserInfo {
                name: "system:anonymous".into(),
                uid: String::new(),
                groups: vec!["system:unauthenticated".into()],
                extra: Default::default(),
                grants: Vec::new(),
            },
            Identity::Certificate { user, groups } => {
                let mut groups = groups.clone();
                groups.push("system:authenticated".into());
                UserInfo {
                    name: user.clone(),
                    uid: String::new(),
                    groups,
                    extra: Default::default(),
                    grants: Vec::new(),
                }
            }
            Identity::Token(user) => {
                let mut groups = user.groups.clone();
                if !groups.iter().any(|g| g == "system:authenticated") {
                    groups.push("system:authenticated".into());
                }
                UserInfo {
                    name: user.username.clone(),
                    uid: user.uid.clone(),
                    groups,
                    extra: user.extra.clone(),
                    grants: user.grants.clone(),
                }
            }
        }
    }

    pub fn is_master(&self) -> bool {
        self.groups.iter().any(|g| g == "system:masters")
    }
}

/// What a request asks to do, as RBAC rules name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attributes {
    Resource {
        verb: String,
        group: String,
        resource: String,
        subresource: Option<String>,
        namespace: Option<String>,
        name: Option<String>,
    },
    NonResource {
        verb: String,
        path: String,
    },
}

fn strings(value: &Value, field: &str) -> Vec<String> {
    value
        .get(field)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn covers(list: &[String], wanted: &str) -> bool {
    list.iter().any(|item| item == "*" || item == wanted)
}

/// Whether one policy rule covers the request.
pub fn rule_allows(rule: &Value, attributes: &Attributes) -> bool {
    match attributes {
        Attributes::Resource { verb, group, resource, subresource, name, .. } => {
            if !covers(&strings(rule, "verbs"), verb) || !covers(&strings(rule, "apiGroups"), group) {
                return false;
            }
            let resources = strings(rule, "resources");
            let combined = match subresource {
                Some(sub) => format!("{resource}/{sub}"),
                None => resource.clone(),
            };
            let resource_ok = resources.iter().any(|r| {
                r == "*" || *r == combined || (subresource.is_some() && r.strip_prefix("*/") == subresource.as_deref())
            });
            if !resource_ok {
                return false;
            }
            let names = strings(rule, "resourceNames");
            names.is_empty() || name.as_ref().is_some_and(|name| names.contains(name))
        }
        Attributes::NonResource { verb, path } => {
            if !covers(&strings(rule, "verbs"), verb) {
                return false;
            }
            strings(rule, "nonResourceURLs").iter().any(|url| match url.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => url == path,
            })
        }
    }
}

fn subject_matches(subject: &Value, user: &UserInfo, binding_namespace: Option<&str>) -> bool {
    let name = subject.get("name").and_then(Value::as_str).unwrap_or_default();
    match subject.get("kind").and_then(Value::as_str) {
        Some("User") => name == user.name,
        Some("Group") => user.groups.iter().any(|g| g == name),
        Some("ServiceAccount") => {
            let namespace = subject.get("namespace").and_then(Value::as_str).or(binding_namespace).unwrap_or_default();
            user.name == format!("system:serviceaccount:{namespace}:{name}")
        }
        _ => false,
    }
}

impl ClusterApi {
    async fn objects(&self, plural: &str, namespace: Option<&str>) -> Result<Vec<Value>, ApiError> {
        let resource = self.registry.find("rbac.authorization.k8s.io", "v1", plural).expect("RBAC is registered");
        let page = self.store.list(&self.collection_prefix(resource, namespace), ListOptions::default()).await?;
        Ok(page.items.iter().filter_map(|kv| serde_json::from_slice(&kv.value).ok()).collect())
    }

    /// The rules of a ClusterRole, with those of the ClusterRoles its aggregation rule selects, and theirs in
    /// turn (`edit` aggregates `view`, whose own rules are aggregated), as the aggregation controller fills them.
    fn cluster_role_rules(roles: &[Value], name: &str) -> Vec<Value> {
        let mut rules = Vec::new();
        let mut seen = Vec::new();
        Self::collect_role_rules(roles, name, &mut seen, &mut rules);
        rules
    }

    fn collect_role_rules<'a>(roles: &'a [Value], name: &'a str, seen: &mut Vec<&'a str>, rules: &mut Vec<Value>) {
        if seen.contains(&name) {
            return;
        }
        seen.push(name);
        let Some(role) = roles.iter().find(|r| r.pointer("/metadata/name").and_then(Value::as_str) == Some(name))
        else {
            return;
        };
        rules.extend(role.get("rules").and_then(Value::as_array).cloned().unwrap_or_default());
        for selector in
            role.pointer("/aggregationRule/clusterRoleSelectors").and_then(Value::as_array).into_iter().flatten()
        {
            let wanted = selector.get("matchLabels").and_then(Value::as_object).cloned().unwrap_or_default();
            for other in roles {
                let labels = other.pointer("/metadata/labels").and_then(Value::as_object);
                let selected =
                    !wanted.is_empty() && wanted.iter().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v));
                if let Some(other_name) = other.pointer("/metadata/name").and_then(Value::as_str)
                    && selected
                {
                    Self::collect_role_rules(roles, other_name, seen, rules);
                }
            }
        }
    }

    /// Every rule that applies to the user in `namespace` (cluster-wide ones too): those RBAC binds, then those
    /// of the user's grants whose scope takes in `namespace` (`None`: cluster-scoped requests).
    pub(crate) async fn rules_for(&self, user: &UserInfo, namespace: Option<&str>) -> Result<Vec<Value>, ApiError> {
        let cluster_roles = self.objects("clusterroles", None).await?;
        let mut rules = Vec::new();
        for binding in self.objects("clusterrolebindings", None).await? {
            let bound = binding
                .get("subjects")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|s| subject_matches(s, user, None));
            if bound && binding.pointer("/roleRef/kind").and_then(Value::as_str) == Some("ClusterRole") {
                let name = binding.pointer("/roleRef/name").and_then(Value::as_str).unwrap_or_default();
                rules.extend(Self::cluster_role_rules(&cluster_roles, name));
            }
        }
        if let Some(namespace) = namespace {
            let roles = self.objects("roles", Some(namespace)).await?;
            for binding in self.objects("rolebindings", Some(namespace)).await? {
                let bound = binding
                    .get("subjects")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|s| subject_matches(s, user, Some(namespace)));
                if !bound {
                    continue;
                }
                let name = binding.pointer("/roleRef/name").and_then(Value::as_str).unwrap_or_default();
                match binding.pointer("/roleRef/kind").and_then(Value::as_str) {
                    Some("ClusterRole") => rules.extend(Self::cluster_role_rules(&cluster_roles, name)),
                    Some("Role") => {
                        if let Some(role) =
                            roles.iter().find(|r| r.pointer("/metadata/name").and_then(Value::as_str) == Some(name))
                        {
                            rules.extend(role.get("rules").and_then(Value::as_array).cloned().unwrap_or_default());
                        }
                    }
                    _ => {}
                }
            }
        }
        for grant in user.grants.iter().filter(|grant| grant_applies(grant, namespace)) {
            rules.extend(Self::cluster_role_rules(&cluster_roles, &grant.cluster_role));
        }
        Ok(rules)
    }

    /// Whether RBAC allows the request.
    pub(crate) async fn allowed(&self, user: &UserInfo, attributes: &Attributes) -> Result<bool, ApiError> {
        if user.is_master() {
            return Ok(true);
        }
        let namespace = match attributes {
            Attributes::Resource { namespace, .. } => namespace.as_deref(),
            Attributes::NonResource { .. } => None,
        };
        Ok(self.rules_for(user, namespace).await?.iter().any(|rule| rule_allows(rule, attributes)))
    }

    /// Refuses the request with kube-apiserver's `Forbidden` status unless RBAC allows it.
    pub(crate) async fn authorize(&self, user: &UserInfo, attributes: &Attributes) -> Result<(), ApiError> {
        if self.allowed(user, attributes).await? {
            return Ok(());
        }
        Err(forbidden(user, attributes))
    }
}

/// Whether a grant applies to requests in `namespace` (`None`: a cluster-scoped or non-resource request, which
/// only cluster-wide grants take in).
pub fn grant_applies(grant: &AccessGrant, namespace: Option<&str>) -> bool {
    match (&grant.namespaces, namespace) {
        (None, _) => true,
        (Some(patterns), Some(namespace)) => patterns.iter().any(|pattern| wildcard_match(pattern, namespace)),
        (Some(_), None) => false,
    }
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let Some((first, rest)) = pattern.split_once('*') else { return pattern == text };
    let Some(mut remaining) = text.strip_prefix(first) else { return false };
    let mut parts: Vec<&str> = rest.split('*').collect();
    let last = parts.pop().unwrap_or_default();
    for part in parts {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

/// The `Forbidden` status kube-apiserver answers a denied request with.
pub fn forbidden(user: &UserInfo, attributes: &Attributes) -> ApiError {
    match attributes {
        Attributes::Resource { verb, group, resource, subresource, namespace, name } => {
            let qualified = if group.is_empty() { resource.clone() } else { format!("{resource}.{group}") };
            let shown_resource = match subresource {
                Some(sub) => format!("{resource}/{sub}"),
                None => resource.clone(),
            };
            let scope = match namespace {
                Some(namespace) => format!("in the namespace \"{namespace}\""),
                None => "at the cluster scope".to_owned(),
            };
            let subject = match name {
                Some(name) => format!("{qualified} \"{name}\" is forbidden"),
                None => format!("{qualified} is forbidden"),
            };
            let message = format!(
                "{subject}: User \"{}\" cannot {verb} resource \"{shown_resource}\" in API group \"{group}\" {scope}",
                user.name
            );
            ApiError::new(403, "Forbidden", message).with_details(json!({
                "name": name.clone().unwrap_or_default(),
                "group": group,
                "kind": resource,
            }))
        }
        Attributes::NonResource { verb, path } => {
            ApiError::new(403, "Forbidden", format!("forbidden: User \"{}\" cannot {verb} path \"{path}\"", user.name))
                .with_details(json!({}))
        }
    }
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Value {
    json!({ "apiGroups": groups, "resources": resources, "verbs": verbs })
}

fn url_rule(urls: &[&str], verbs: &[&str]) -> Value {
    json!({ "nonResourceURLs": urls, "verbs": verbs })
}

const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];

/// Upstream's bootstrap ClusterRoles and ClusterRoleBindings that clients rely on, as (kind, object) pairs.
pub fn default_policy() -> Vec<(&'static str, Value)> {
    let labels = json!({ "kubernetes.io/bootstrapping": "rbac-defaults" });
    let annotations = json!({ "rbac.authorization.kubernetes.io/autoupdate": "true" });
    let role = |name: &str, rules: Vec<Value>, extra_labels: Value| {
        let mut all_labels = labels.clone();
        for (k, v) in extra_labels.as_object().into_iter().flatten() {
            all_labels[k] = v.clone();
        }
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": { "name": name, "labels": all_labels, "annotations": annotations },
            "rules": rules,
        })
    };
    let aggregated = |name: &str, selector_label: &str, extra_labels: Value| {
        let mut object = role(name, Vec::new(), extra_labels);
        object["aggregationRule"] = json!({ "clusterRoleSelectors": [{ "matchLabels": { selector_label: "true" } }] });
        object
    };
    let binding = |name: &str, role: &str, subjects: Value| {
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": { "name": name, "labels": labels, "annotations": annotations },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role },
            "subjects": subjects,
        })
    };
    let group = |name: &str| json!({ "apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name });
    let workloads_read = vec![
        rule(
            &[""],
            &[
                "pods",
                "pods/log",
                "pods/status",
                "services",
                "services/status",
                "endpoints",
                "configmaps",
                "persistentvolumeclaims",
                "persistentvolumeclaims/status",
                "serviceaccounts",
                "replicationcontrollers",
                "replicationcontrollers/scale",
                "replicationcontrollers/status",
                "limitranges",
                "resourcequotas",
                "resourcequotas/status",
                "events",
                "namespaces",
                "namespaces/status",
                "bindings",
            ],
            READ,
        ),
        rule(
            &["apps"],
            &[
                "deployments",
                "deployments/scale",
                "deployments/status",
                "replicasets",
                "replicasets/scale",
                "replicasets/status",
                "statefulsets",
                "statefulsets/scale",
                "statefulsets/status",
                "daemonsets",
                "daemonsets/status",
                "controllerrevisions",
            ],
            READ,
        ),
        rule(&["batch"], &["jobs", "jobs/status", "cronjobs", "cronjobs/status"], READ),
        rule(&["autoscaling"], &["horizontalpodautoscalers", "horizontalpodautoscalers/status"], READ),
        rule(&["networking.k8s.io"], &["ingresses", "ingresses/status", "networkpolicies"], READ),
        rule(&["policy"], &["poddisruptionbudgets", "poddisruptionbudgets/status"], READ),
        rule(&["discovery.k8s.io"], &["endpointslices"], READ),
        rule(&["events.k8s.io"], &["events"], READ),
    ];
    let workloads_write = vec![
        rule(
            &[""],
            &[
                "pods",
                "pods/attach",
                "pods/exec",
                "pods/portforward",
                "pods/proxy",
                "pods/eviction",
                "services",
                "services/proxy",
                "endpoints",
                "configmaps",
                "secrets",
                "persistentvolumeclaims",
                "serviceaccounts",
                "serviceaccounts/token",
                "replicationcontrollers",
                "replicationcontrollers/scale",
            ],
            WRITE,
        ),
        rule(&[""], &["secrets", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "services/proxy"], READ),
        rule(
            &["apps"],
            &[
                "deployments",
                "deployments/scale",
                "deployments/rollback",
                "replicasets",
                "replicasets/scale",
                "statefulsets",
                "statefulsets/scale",
                "daemonsets",
            ],
            WRITE,
        ),
        rule(&["batch"], &["jobs", "cronjobs"], WRITE),
        rule(&["autoscaling"], &["horizontalpodautoscalers"], WRITE),
        rule(&["networking.k8s.io"], &["ingresses", "networkpolicies"], WRITE),
        rule(&["policy"], &["poddisruptionbudgets"], WRITE),
        rule(
            &["coordination.k8s.io"],
            &["leases"],
            &["get", "list", "watch", "create", "delete", "deletecollection", "patch", "update"],
        ),
    ];
    let admin_only = vec![
        rule(
            &["rbac.authorization.k8s.io"],
            &["roles", "rolebindings"],
            &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        ),
        rule(&["authorization.k8s.io"], &["localsubjectaccessreviews"], &["create"]),
    ];
    vec![
        ("ClusterRole", role("cluster-admin", vec![rule(&["*"], &["*"], &["*"]), url_rule(&["*"], &["*"])], json!({}))),
        ("ClusterRole", aggregated("admin", "rbac.authorization.k8s.io/aggregate-to-admin", json!({}))),
        (
            "ClusterRole",
            aggregated(
                "edit",
                "rbac.authorization.k8s.io/aggregate-to-edit",
                json!({ "rbac.authorization.k8s.io/aggregate-to-admin": "true" }),
            ),
        ),
        (
            "ClusterRole",
            aggregated(
                "view",
                "rbac.authorization.k8s.io/aggregate-to-view",
                json!({ "rbac.authorization.k8s.io/aggregate-to-edit": "true" }),
            ),
        ),
        (
            "ClusterRole",
            role(
                "system:aggregate-to-admin",
                admin_only,
                json!({ "rbac.authorization.k8s.io/aggregate-to-admin": "true" }),
            ),
        ),
        (
            "ClusterRole",
            role(
                "system:aggregate-to-edit",
                workloads_write,
                json!({ "rbac.authorization.k8s.io/aggregate-to-edit": "true" }),
            ),
        ),
        (
            "ClusterRole",
            role(
                "system:aggregate-to-view",
                workloads_read,
                json!({ "rbac.authorization.k8s.io/aggregate-to-view": "true" }),
            ),
        ),
        (
            "ClusterRole",
            role(
                "system:basic-user",
                vec![
                    rule(
                        &["authorization.k8s.io"],
                        &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                        &["create"],
                    ),
                    rule(&["authentication.k8s.io"], &["selfsubjectreviews"], &["create"]),
                ],
                json!({}),
            ),
        ),
        (
            "ClusterRole",
            role(
                "system:discovery",
                vec![url_rule(
                    &[
                        "/api",
                        "/api/*",
                        "/apis",
                        "/apis/*",
                        "/healthz",
                        "/livez",
                        "/openapi",
                        "/openapi/*",
                        "/readyz",
                        "/version",
                        "/version/",
                    ],
                    &["get"],
                )],
                json!({}),
            ),
        ),
        (
            "ClusterRole",
            role(
                "system:public-info-viewer",
                vec![url_rule(&["/healthz", "/livez", "/readyz", "/version", "/version/"], &["get"])],
                json!({}),
            ),
        ),
        (
            "ClusterRole",
            role(
                "system:service-account-issuer-discovery",
                vec![url_rule(
                    &[
                        "/.well-known/openid-configuration",
                        "/.well-known/openid-configuration/",
                        "/openid/v1/jwks",
                        "/openid/v1/jwks/",
                    ],
                    &["get"],
                )],
                json!({}),
            ),
        ),
        ("ClusterRoleBinding", binding("cluster-admin", "cluster-admin", json!([group("system:masters")]))),
        (
            "ClusterRoleBinding",
            binding("system:basic-user", "system:basic-user", json!([group("system:authenticated")])),
        ),
        ("ClusterRoleBinding", binding("system:discovery", "system:discovery", json!([group("system:authenticated")]))),
        (
            "ClusterRoleBinding",
            binding(
                "system:public-info-viewer",
                "system:public-info-viewer",
                json!([group("system:authenticated"), group("system:unauthenticated")]),
            ),
        ),
        (
            "ClusterRoleBinding",
            binding(
                "system:service-account-issuer-discovery",
                "system:service-account-issuer-discovery",
                json!([group("system:serviceaccounts")]),
            ),
        ),
    ]
}

/// `status` of a SelfSubjectRulesReview: the user's rules in a namespace, as `kubectl auth can-i --list` shows them.
pub fn rules_review_status(rules: &[Value], master: bool) -> Value {
    let all = if master { vec![rule(&["*"], &["*"], &["*"]), url_rule(&["*"], &["*"])] } else { rules.to_vec() };
    let resource_rules: Vec<Value> = all.iter().filter(|r| r.get("nonResourceURLs").is_none()).cloned().collect();
    let non_resource_rules: Vec<Value> = all
        .iter()
        .filter(|r| r.get("nonResourceURLs").is_some())
        .map(|r| json!({ "verbs": r["verbs"], "nonResourceURLs": r["nonResourceURLs"] }))
        .collect();
    json!({ "resourceRules": resource_rules, "nonResourceRules": non_resource_rules, "incomplete": false })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(verb: &str, group: &str, resource: &str, sub: Option<&str>, name: Option<&str>) -> Attributes {
        Attributes::Resource {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            subresource: sub.map(Into::into),
            namespace: Some("default".into()),
            name: name.map(Into::into),
        }
    }

    #[test]
    fn rules_match_verbs_groups_resources_subresources_and_names() {
        let pods = rule(&[""], &["pods", "pods/log"], &["get", "list"]);
        assert!(rule_allows(&pods, &resource("get", "", "pods", None, Some("p"))));
        assert!(rule_allows(&pods, &resource("get", "", "pods", Some("log"), Some("p"))));
        assert!(!rule_allows(&pods, &resource("get", "", "pods", Some("exec"), Some("p"))));
        assert!(!rule_allows(&pods, &resource("delete", "", "pods", None, Some("p"))));
        assert!(!rule_allows(&pods, &resource("get", "apps", "pods", None, None)));
        let star_sub = rule(&["*"], &["*/scale"], &["*"]);
        assert!(rule_allows(&star_sub, &resource("update", "apps", "deployments", Some("scale"), None)));
        assert!(!rule_allows(&star_sub, &resource("update", "apps", "deployments", None, None)));
        let named =
            json!({ "apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"], "resourceNames": ["one"] });
        assert!(rule_allows(&named, &resource("get", "", "configmaps", None, Some("one"))));
        assert!(!rule_allows(&named, &resource("get", "", "configmaps", None, Some("two"))));
        assert!(!rule_allows(&named, &resource("get", "", "configmaps", None, None)));
        let urls = url_rule(&["/apis/*", "/version"], &["get"]);
        let path = |p: &str| Attributes::NonResource { verb: "get".into(), path: p.into() };
        assert!(rule_allows(&urls, &path("/apis/apps/v1")) && rule_allows(&urls, &path("/version")));
        assert!(!rule_allows(&urls, &path("/version/x")) && !rule_allows(&urls, &path("/api")));
        assert!(!rule_allows(&json!({ "verbs": 3 }), &path("/api")), "garbage rules allow nothing");
    }

    fn check_scope(patterns: Option<&[&str]>, namespace: Option<&str>, expect: bool) {
        let grant = AccessGrant {
            cluster_role: "view".into(),
            namespaces: patterns.map(|p| p.iter().map(|n| (*n).to_owned()).collect()),
        };
        assert_eq!(grant_applies(&grant, namespace), expect, "{patterns:?} {namespace:?}");
    }

    #[test]
    fn grants_apply_in_their_scope_with_wildcards() {
        check_scope(None, None, true);
        check_scope(None, Some("default"), true);
        check_scope(Some(&["team-a"]), Some("team-a"), true);
        check_scope(Some(&["team-a"]), Some("team-ab"), false);
        check_scope(Some(&["team-a"]), None, false);
        check_scope(Some(&["*"]), None, false);
        check_scope(Some(&["*"]), Some("kube-system"), true);
        check_scope(Some(&["dev", "team-*"]), Some("team-"), true);
        check_scope(Some(&["dev", "team-*"]), Some("team-b"), true);
        check_scope(Some(&["dev", "team-*"]), Some("teams"), false);
        check_scope(Some(&["*-prod"]), Some("web-prod"), true);
        check_scope(Some(&["*-prod"]), Some("web-prod-2"), false);
        check_scope(Some(&["a*b*c"]), Some("aXbYbZc"), true);
        check_scope(Some(&["a*b*c"]), Some("abc"), true);
        check_scope(Some(&["a*bc*c"]), Some("abc"), false);
        check_scope(Some(&[]), Some("default"), false);
        check_scope(Some(&["", "**"]), Some(""), true);
    }

    /// A cluster API over a memory store holding upstream's default roles.
    async fn cluster_api() -> ClusterApi {
        let record = crate::record::ClusterRecord {
            name: "demo".into(),
            uid: "uid".into(),
            version: "1.34".into(),
            created: String::new(),
            port: 0,
            pki: crate::pki::ClusterPki::generate("demo").unwrap(),
            service_cidr: None,
            oidc_issuer: None,
            oidc_issuer_id: None,
        };
        let store: store::DynStore = std::sync::Arc::new(store::MemoryStore::new());
        let api = ClusterApi::new(&record, store, std::sync::Arc::new(crate::registry::Registry::builtin()));
        for (kind, object) in default_policy() {
            let plural = if kind == "ClusterRole" { "clusterroles" } else { "clusterrolebindings" };
            let resource = api.registry.find("rbac.authorization.k8s.io", "v1", plural).unwrap();
            let key = api.key(resource, None, object["metadata"]["name"].as_str().unwrap());
            api.store.create(&key, serde_json::to_vec(&object).unwrap().into()).await.unwrap();
        }
        api
    }

    fn in_namespace(verb: &str, resource: &str, namespace: Option<&str>) -> Attributes {
        Attributes::Resource {
            verb: verb.into(),
            group: "".into(),
            resource: resource.into(),
            subresource: None,
            namespace: namespace.map(Into::into),
            name: None,
        }
    }

    #[tokio::test]
    async fn grants_allow_what_their_cluster_role_allows_within_their_scope() {
        let api = cluster_api().await;
        let user = |grants: Vec<(&str, Option<&[&str]>)>| UserInfo {
            name: "bob".into(),
            uid: String::new(),
            groups: vec!["system:authenticated".into()],
            extra: Default::default(),
            grants: grants
                .into_iter()
                .map(|(role, namespaces)| AccessGrant {
                    cluster_role: role.into(),
                    namespaces: namespaces.map(|n| n.iter().map(|s| (*s).to_owned()).collect()),
                })
                .collect(),
        };
        let viewer = user(vec![("view", Some(&["team-*"]))]);
        let allowed = async |user: &UserInfo, attributes: Attributes| api.allowed(user, &attributes).await.unwrap();
        assert!(allowed(&viewer, in_namespace("list", "pods", Some("team-a"))).await);
        assert!(allowed(&viewer, in_namespace("get", "configmaps", Some("team-b"))).await);
        assert!(!allowed(&viewer, in_namespace("list", "pods", Some("default"))).await);
        assert!(!allowed(&viewer, in_namespace("create", "configmaps", Some("team-a"))).await);
        assert!(!allowed(&viewer, in_namespace("get", "secrets", Some("team-a"))).await, "view reads no secrets");
        assert!(!allowed(&viewer, in_namespace("list", "nodes", None)).await, "cluster scope is outside the grant");
        assert!(!allowed(&viewer, in_namespace("list", "pods", None)).await, "so are lists across namespaces");
        assert!(!allowed(&user(vec![]), in_namespace("list", "pods", Some("team-a"))).await);

        let editor = user(vec![("edit", None), ("no-such-role", None)]);
        assert!(allowed(&editor, in_namespace("create", "configmaps", Some("default"))).await);
        assert!(allowed(&editor, in_namespace("list", "pods", None)).await);
        assert!(!allowed(&editor, in_namespace("list", "nodes", None)).await);
        let admin = user(vec![("cluster-admin", None)]);
        assert!(allowed(&admin, in_namespace("list", "nodes", None)).await);
        let path = Attributes::NonResource { verb: "get".into(), path: "/metrics".into() };
        assert!(allowed(&admin, path.clone()).await);
        assert!(!allowed(&user(vec![("cluster-admin", Some(&["default"]))]), path).await);

        let rules = api.rules_for(&viewer, Some("team-a")).await.unwrap();
        assert!(rules.iter().any(|rule| rule_allows(rule, &in_namespace("watch", "services", Some("team-a")))));
        assert!(
            api.rules_for(&viewer, Some("default"))
                .await
                .unwrap()
                .iter()
                .all(|rule| { !rule_allows(rule, &in_namespace("watch", "services", Some("default"))) })
        );
    }

    #[test]
    fn forbidden_messages_are_upstreams() {
        let user = UserInfo {
            name: "bob".into(),
            uid: String::new(),
            groups: vec![],
            extra: Default::default(),
            grants: Vec::new(),
        };
        let message = |attributes: Attributes| forbidden(&user, &attributes).message;
        assert_eq!(
            message(resource("list", "apps", "deployments", None, None)),
            "deployments.apps is forbidden: User \"bob\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"default\""
        );
        assert_eq!(
            message(resource("get", "", "pods", Some("log"), Some("web"))),
            "pods \"web\" is forbidden: User \"bob\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"default\""
        );
        let nodes = Attributes::Resource {
            verb: "list".into(),
            group: "".into(),
            resource: "nodes".into(),
            subresource: None,
            namespace: None,
            name: None,
        };
        assert_eq!(
            message(nodes),
            "nodes is forbidden: User \"bob\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"
        );
    }
}

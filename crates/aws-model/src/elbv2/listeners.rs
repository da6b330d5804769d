//! ELBv2 listeners and their rules: a listener's protocol and port (unique per load balancer), certificates,
//! SSL policy and default actions, and the rules that route before them (priorities unique per listener,
//! conditions, actions). A listener's default rule is a record of its own (`IsDefault`, priority `default`), made
//! and deleted with it, so that it carries tags as other rules do.

use serde::{Deserialize, Serialize};
use store::{Compare, TxnOp};

use super::{
    Elbv2, Elbv2Error, LoadBalancer, LoadBalancerType, Tags, TargetGroup, arn_parts, check_tags, contended, invalid,
};
use crate::eks::Caller;
use crate::records::RecordError;

/// The SSL policy a secure listener gets when none is named.
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-2016-08";
/// The predefined SSL policies DescribeSSLPolicies lists, with their protocols.
pub const SSL_POLICIES: &[(&str, &[&str])] = &[
    ("ELBSecurityPolicy-2016-08", &["TLSv1", "TLSv1.1", "TLSv1.2"]),
    ("ELBSecurityPolicy-TLS13-1-2-2021-06", &["TLSv1.2", "TLSv1.3"]),
    ("ELBSecurityPolicy-TLS13-1-2-Res-2021-06", &["TLSv1.2", "TLSv1.3"]),
    ("ELBSecurityPolicy-TLS13-1-3-2021-06", &["TLSv1.3"]),
    ("ELBSecurityPolicy-TLS-1-2-2017-01", &["TLSv1.2"]),
    ("ELBSecurityPolicy-TLS-1-2-Ext-2018-06", &["TLSv1.2"]),
    ("ELBSecurityPolicy-FS-1-2-Res-2020-10", &["TLSv1.2"]),
];
/// The most rules a listener has, its default rule aside.
pub const MAX_RULES: usize = 100;

/// A listener's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub arn: String,
    /// The listener's default certificate (the one CreateListener or ModifyListener named).
    pub is_default: bool,
}

/// One target group of a forward action, with its weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightedTargetGroup {
    pub arn: String,
    pub weight: Option<i64>,
}

/// A redirect action's settings, each `#{...}` placeholder kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Redirect {
    pub protocol: Option<String>,
    pub port: Option<String>,
    pub host: Option<String>,
    pub path: Option<String>,
    pub query: Option<String>,
    pub status_code: String,
}

/// An action of a listener or a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Action {
    /// `forward`, `redirect`, `fixed-response`, `authenticate-oidc`, `authenticate-cognito`.
    pub kind: String,
    pub order: Option<i64>,
    /// A forward to one group (`TargetGroupArn`).
    pub target_group_arn: Option<String>,
    /// A forward to weighted groups (`ForwardConfig.TargetGroups`).
    pub forward: Vec<WeightedTargetGroup>,
    /// `ForwardConfig.TargetGroupStickinessConfig`: enabled and duration.
    pub stickiness: Option<(bool, Option<i64>)>,
    pub redirect: Option<Redirect>,
    /// `FixedResponseConfig`: status code, content type, message body.
    pub fixed_response: Option<(String, Option<String>, Option<String>)>,
    /// The scalar members of an `AuthenticateOidcConfig` or `AuthenticateCognitoConfig`, as given.
    pub authenticate: Vec<(String, String)>,
}

impl Action {
    /// The ARNs of the target groups the action forwards to.
    pub fn target_groups(&self) -> impl Iterator<Item = &str> {
        self.target_group_arn.as_deref().into_iter().chain(self.forward.iter().map(|group| group.arn.as_str()))
    }
}

/// A rule's condition: its field with its values, and the header name or query pairs of those fields that take
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Condition {
    /// `path-pattern`, `host-header`, `http-header`, `query-string`, `source-ip`, `http-request-method`.
    pub field: String,
    pub values: Vec<String>,
    /// `HttpHeaderConfig.HttpHeaderName`.
    pub http_header_name: Option<String>,
    /// `QueryStringConfig.Values`: key (optional) and value.
    pub query_pairs: Vec<(Option<String>, String)>,
}

/// A listener as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listener {
    pub arn: String,
    pub id: String,
    pub load_balancer_arn: String,
    pub port: Option<u16>,
    pub protocol: Option<String>,
    pub certificates: Vec<Certificate>,
    pub ssl_policy: Option<String>,
    pub alpn_policy: Vec<String>,
    pub default_actions: Vec<Action>,
    pub tags: Tags,
    /// The attributes set, by key; the others read their defaults ([`Listener::attributes`]).
    #[serde(default)]
    pub attributes: std::collections::BTreeMap<String, String>,
}

impl Listener {
    /// Every attribute with its value: the defaults of its protocol, overridden by those set.
    pub fn attributes(&self) -> Vec<(String, String)> {
        let mut all: std::collections::BTreeMap<String, String> = listener_attribute_defaults(self.protocol.as_deref())
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        all.extend(self.attributes.clone());
        all.into_iter().collect()
    }
}

/// A listener protocol's attributes and their defaults.
fn listener_attribute_defaults(protocol: Option<&str>) -> &'static [(&'static str, &'static str)] {
    match protocol {
        Some("HTTP" | "HTTPS") => &[
            ("routing.http.response.server.enabled", "true"),
            ("routing.http.response.strict_transport_security.header_value", ""),
            ("routing.http.response.access_control_allow_origin.header_value", ""),
            ("routing.http.response.x_frame_options.header_value", ""),
        ],
        Some("TCP") => &[("tcp.idle_timeout.seconds", "350")],
        _ => &[],
    }
}

/// A rule as stored; a listener's default rule has priority `default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub arn: String,
    pub id: String,
    pub listener_arn: String,
    pub priority: String,
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
    pub is_default: bool,
    pub tags: Tags,
}

/// The input of CreateListener.
#[derive(Debug, Clone, Default)]
pub struct CreateListener {
    pub load_balancer_arn: String,
    pub protocol: Option<String>,
    pub port: Option<i64>,
    pub certificates: Vec<String>,
    pub ssl_policy: Option<String>,
    pub alpn_policy: Vec<String>,
    pub default_actions: Vec<Action>,
    pub tags: Tags,
}

/// The members of ModifyListener; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct ModifyListener {
    pub protocol: Option<String>,
    pub port: Option<i64>,
    pub certificates: Option<Vec<String>>,
    pub ssl_policy: Option<String>,
    pub alpn_policy: Option<Vec<String>>,
    pub default_actions: Option<Vec<Action>>,
}

/// The input of CreateRule.
#[derive(Debug, Clone, Default)]
pub struct CreateRule {
    pub listener_arn: String,
    pub priority: i64,
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
    pub tags: Tags,
}

/// The listener id in a listener ARN (`listener/app/<lb name>/<lb id>/<id>`), with the load balancer's name.
fn listener_parts(caller: &Caller, arn: &str) -> Result<(String, String), Elbv2Error> {
    match arn_parts(arn, caller) {
        Some(("listener", parts)) if parts.len() == 4 => Ok((parts[1].to_owned(), parts[3].to_owned())),
        _ => Err(invalid(format!("'{arn}' is not a valid listener ARN"))),
    }
}

/// The listener id and rule id in a rule ARN.
fn rule_parts(caller: &Caller, arn: &str) -> Result<(String, String), Elbv2Error> {
    match arn_parts(arn, caller) {
        Some(("listener-rule", parts)) if parts.len() == 5 => Ok((parts[3].to_owned(), parts[4].to_owned())),
        _ => Err(invalid(format!("'{arn}' is not a valid listener rule ARN"))),
    }
}

/// The protocols a load balancer type's listeners take.
fn listener_protocols(kind: LoadBalancerType) -> &'static [&'static str] {
    match kind {
        LoadBalancerType::Application => &["HTTP", "HTTPS"],
        LoadBalancerType::Network => &["TCP", "TLS", "UDP", "TCP_UDP"],
        LoadBalancerType::Gateway => &["GENEVE"],
    }
}

/// Checks a rule's conditions as ELBv2 does.
fn check_conditions(conditions: &[Condition]) -> Result<(), Elbv2Error> {
    if conditions.is_empty() {
        return Err(invalid("A rule must have at least one condition"));
    }
    for condition in conditions {
        let known = ["path-pattern", "host-header", "http-header", "query-string", "source-ip", "http-request-method"];
        if !known.contains(&condition.field.as_str()) {
            return Err(invalid(format!("Condition field '{}' must be one of {known:?}", condition.field)));
        }
        if condition.values.is_empty() && condition.query_pairs.is_empty() {
            return Err(invalid(format!("A condition value must be specified for field '{}'", condition.field)));
        }
        if condition.field == "http-header" && condition.http_header_name.as_deref().is_none_or(str::is_empty) {
            return Err(invalid("An HTTP header name must be specified for field 'http-header'"));
        }
        if condition.values.iter().any(|value| value.len() > 128 || value.contains('\0')) {
            return Err(invalid("A condition value can be at most 128 characters"));
        }
    }
    let values: usize = conditions.iter().map(|c| c.values.len() + c.query_pairs.len()).sum();
    if values > 5 {
        return Err(invalid("A rule can have at most '5' condition values"));
    }
    Ok(())
}

impl Elbv2 {
    /// Every listener of the caller's region.
    pub(super) async fn all_listeners(&self, caller: &Caller) -> Result<Vec<Listener>, Elbv2Error> {
        let prefix = Self::key(caller, "listener", "");
        Ok(self.records.list::<Listener>(&prefix).await?.into_iter().map(|stored| stored.value).collect())
    }

    /// Every rule of the caller's region.
    pub(super) async fn all_rules(&self, caller: &Caller) -> Result<Vec<Rule>, Elbv2Error> {
        let prefix = Self::key(caller, "rule", "");
        Ok(self.records.list::<Rule>(&prefix).await?.into_iter().map(|stored| stored.value).collect())
    }

    /// A load balancer's listeners, with their keys and revisions.
    pub(super) async fn listener_records_of(
        &self,
        caller: &Caller,
        lb: &LoadBalancer,
    ) -> Result<Vec<(String, (Listener, store::Revision))>, Elbv2Error> {
        let prefix = Self::key(caller, "listener", &format!("{}/", lb.name));
        Ok(self
            .records
            .list::<Listener>(&prefix)
            .await?
            .into_iter()
            .filter(|stored| stored.value.load_balancer_arn == lb.arn)
            .map(|stored| (stored.key, (stored.value, stored.revision)))
            .collect())
    }

    /// The keys and revisions of a listener's rules, its default rule included.
    pub(super) async fn rule_keys_of(
        &self,
        caller: &Caller,
        listener_id: &str,
    ) -> Result<Vec<(String, store::Revision)>, Elbv2Error> {
        let prefix = Self::key(caller, "rule", &format!("{listener_id}/"));
        Ok(self.records.list::<Rule>(&prefix).await?.into_iter().map(|s| (s.key, s.revision)).collect())
    }

    async fn listener_record(&self, caller: &Caller, arn: &str) -> Result<(Listener, store::Revision), Elbv2Error> {
        let (lb_name, id) = listener_parts(caller, arn)?;
        let key = Self::key(caller, "listener", &format!("{lb_name}/{id}"));
        match self.records.get::<Listener>(&key).await? {
            Some(stored) if stored.value.arn == arn => Ok((stored.value, stored.revision)),
            _ => Err(Elbv2Error::ListenerNotFound(format!("Listener '{arn}' not found"))),
        }
    }

    /// A listener by ARN, or `ListenerNotFound`.
    pub async fn listener(&self, caller: &Caller, arn: &str) -> Result<Listener, Elbv2Error> {
        Ok(self.listener_record(caller, arn).await?.0)
    }

    async fn rule_record(&self, caller: &Caller, arn: &str) -> Result<(Rule, store::Revision), Elbv2Error> {
        let (listener_id, id) = rule_parts(caller, arn)?;
        let key = Self::key(caller, "rule", &format!("{listener_id}/{id}"));
        match self.records.get::<Rule>(&key).await? {
            Some(stored) if stored.value.arn == arn => Ok((stored.value, stored.revision)),
            _ => Err(Elbv2Error::RuleNotFound(format!("One or more rules not found: '{arn}'"))),
        }
    }

    /// A rule by ARN, or `RuleNotFound`.
    pub async fn rule(&self, caller: &Caller, arn: &str) -> Result<Rule, Elbv2Error> {
        Ok(self.rule_record(caller, arn).await?.0)
    }

    /// Changes a listener with `change`, compare-and-swap guarded; returns it as stored.
    pub(super) async fn update_listener(
        &self,
        caller: &Caller,
        arn: &str,
        mut change: impl FnMut(&mut Listener) -> Result<(), Elbv2Error>,
    ) -> Result<Listener, Elbv2Error> {
        let (lb_name, id) = listener_parts(caller, arn)?;
        let key = Self::key(caller, "listener", &format!("{lb_name}/{id}"));
        for _ in 0..super::ATTEMPTS {
            let (mut listener, revision) = self.listener_record(caller, arn).await?;
            change(&mut listener)?;
            match self.records.update(&key, &listener, revision).await {
                Ok(_) => return Ok(listener),
                Err(RecordError::Conflict(_) | RecordError::NotFound(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(contended())
    }

    /// Changes a rule with `change`, compare-and-swap guarded; returns it as stored.
    pub(super) async fn update_rule(
        &self,
        caller: &Caller,
        arn: &str,
        mut change: impl FnMut(&mut Rule) -> Result<(), Elbv2Error>,
    ) -> Result<Rule, Elbv2Error> {
        let (listener_id, id) = rule_parts(caller, arn)?;
        let key = Self::key(caller, "rule", &format!("{listener_id}/{id}"));
        for _ in 0..super::ATTEMPTS {
            let (mut rule, revision) = self.rule_record(caller, arn).await?;
            change(&mut rule)?;
            match self.records.update(&key, &rule, revision).await {
                Ok(_) => return Ok(rule),
                Err(RecordError::Conflict(_) | RecordError::NotFound(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(contended())
    }

    /// Checks actions for a listener or rule of `lb`: one terminal action last, target groups that exist, in the
    /// load balancer's VPC, of a protocol its type forwards to, and used by no other load balancer.
    async fn check_actions(&self, caller: &Caller, lb: &LoadBalancer, actions: &[Action]) -> Result<(), Elbv2Error> {
        if actions.is_empty() {
            return Err(invalid("At least one action must be specified"));
        }
        let users = self.target_group_users(caller).await?;
        for action in actions {
            let kinds = ["forward", "redirect", "fixed-response", "authenticate-oidc", "authenticate-cognito"];
            if !kinds.contains(&action.kind.as_str()) {
                return Err(invalid(format!(
                    "1 validation error detected: Value '{}' at 'actions.member.type' failed to satisfy constraint: Member must satisfy enum value set: {kinds:?}",
                    action.kind
                )));
            }
            match action.kind.as_str() {
                "forward" if action.target_groups().next().is_none() => {
                    return Err(invalid("A target group ARN must be specified for a forward action"));
                }
                "redirect" if action.redirect.is_none() => {
                    return Err(invalid("A redirect configuration must be specified for a redirect action"));
                }
                "redirect" if lb.kind != LoadBalancerType::Application => {
                    return Err(Elbv2Error::InvalidConfiguration(
                        "Redirect actions are only supported by Application Load Balancers".into(),
                    ));
                }
                "fixed-response" if action.fixed_response.is_none() => {
                    return Err(invalid(
                        "A fixed response configuration must be specified for a fixed-response action",
                    ));
                }
                _ => {}
            }
            if let Some(redirect) = &action.redirect
                && redirect.status_code != "HTTP_301"
                && redirect.status_code != "HTTP_302"
            {
                return Err(invalid(format!(
                    "1 validation error detected: Value '{}' at 'redirectConfig.statusCode' failed to satisfy constraint: Member must satisfy enum value set: [HTTP_301, HTTP_302]",
                    redirect.status_code
                )));
            }
            if let Some((status, _, body)) = &action.fixed_response {
                let code_ok = status.len() == 3
                    && (status.starts_with('2') || status.starts_with('4') || status.starts_with('5'))
                    && status.bytes().all(|b| b.is_ascii_digit());
                if !code_ok {
                    return Err(invalid(format!("Fixed response status code '{status}' must be 2XX, 4XX or 5XX")));
                }
                if body.as_ref().is_some_and(|body| body.len() > 1024) {
                    return Err(invalid("A fixed response message body can be at most 1024 characters"));
                }
            }
            for group_arn in action.target_groups() {
                let group: TargetGroup = self.target_group(caller, group_arn).await?;
                if group.target_type != "lambda" && group.vpc_id.as_deref() != Some(lb.vpc_id.as_str()) {
                    return Err(Elbv2Error::InvalidConfiguration(format!(
                        "The target group '{group_arn}' is not in the VPC '{}' of the load balancer",
                        lb.vpc_id
                    )));
                }
                let compatible = match lb.kind {
                    LoadBalancerType::Application => {
                        group.target_type == "lambda" || matches!(group.protocol.as_deref(), Some("HTTP" | "HTTPS"))
                    }
                    LoadBalancerType::Network => {
                        matches!(group.protocol.as_deref(), Some("TCP" | "TLS" | "UDP" | "TCP_UDP"))
                    }
                    LoadBalancerType::Gateway => group.protocol.as_deref() == Some("GENEVE"),
                };
                if !compatible {
                    return Err(Elbv2Error::IncompatibleProtocols(format!(
                        "The protocol of target group '{group_arn}' is not supported by a load balancer of type '{}'",
                        lb.kind.as_str()
                    )));
                }
                if users.get(group_arn).is_some_and(|lbs| lbs.iter().any(|other| *other != lb.arn)) {
                    return Err(Elbv2Error::TargetGroupAssociationLimit(format!(
                        "The following target groups cannot be associated with more than one load balancer: {group_arn}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// CreateListener: one per port of a load balancer (the same settings again answer the existing one), with a
    /// default certificate for HTTPS and TLS, and its default rule.
    pub async fn create_listener(&self, caller: &Caller, input: CreateListener) -> Result<Listener, Elbv2Error> {
        let lb = self.load_balancer(caller, &input.load_balancer_arn).await?;
        let protocols = listener_protocols(lb.kind);
        let protocol = match (&input.protocol, lb.kind) {
            (None, LoadBalancerType::Gateway) => None,
            (None, _) => return Err(invalid("A listener protocol must be specified")),
            (Some(protocol), _) if protocols.contains(&protocol.as_str()) => Some(protocol.clone()),
            (Some(protocol), _) => {
                return Err(Elbv2Error::UnsupportedProtocol(format!(
                    "Protocol '{protocol}' is not supported for load balancers of type '{}'",
                    lb.kind.as_str()
                )));
            }
        };
        let port = match (input.port, lb.kind) {
            (None, LoadBalancerType::Gateway) => None,
            (Some(_), LoadBalancerType::Gateway) => {
                return Err(invalid("A port cannot be specified for listeners of a Gateway Load Balancer"));
            }
            (None, _) => return Err(invalid("A listener port must be specified")),
            (Some(port @ 1..=65535), _) => Some(port as u16),
            (Some(port), _) => {
                return Err(invalid(format!(
                    "1 validation error detected: Value '{port}' at 'port' failed to satisfy constraint: Member must have value between 1 and 65535"
                )));
            }
        };
        let secure = matches!(protocol.as_deref(), Some("HTTPS" | "TLS"));
        if secure && input.certificates.is_empty() {
            return Err(invalid(format!(
                "A certificate must be specified for {} listeners",
                protocol.as_deref().unwrap_or_default()
            )));
        }
        if input.certificates.len() > 1 {
            return Err(invalid("You must provide exactly one certificate"));
        }
        let ssl_policy = match (&input.ssl_policy, secure) {
            (Some(policy), true) if SSL_POLICIES.iter().any(|(name, _)| name == policy) => Some(policy.clone()),
            (Some(policy), true) => {
                return Err(Elbv2Error::SslPolicyNotFound(format!("SSL policy '{policy}' not found")));
            }
            (Some(_), false) => return Err(invalid("An SSL policy can only be specified for HTTPS and TLS listeners")),
            (None, true) => Some(DEFAULT_SSL_POLICY.to_owned()),
            (None, false) => None,
        };
        check_tags(&input.tags, &Vec::new())?;
        self.check_actions(caller, &lb, &input.default_actions).await?;
        let existing = self.listener_records_of(caller, &lb).await?;
        if let Some((_, (found, _))) = existing.iter().find(|(_, (l, _))| l.port == port) {
            let same = found.protocol == protocol && found.default_actions == input.default_actions;
            return if same {
                Ok(found.clone())
            } else {
                Err(Elbv2Error::DuplicateListener(
                    "A listener already exists on this port for this load balancer".into(),
                ))
            };
        }
        let id = crate::ids::hex_lower(8);
        let lb_path = format!("{}/{}/{}", lb.kind.arn_part(), lb.name, lb.id);
        let listener = Listener {
            arn: Self::arn(caller, &format!("listener/{lb_path}/{id}")),
            id: id.clone(),
            load_balancer_arn: lb.arn.clone(),
            port,
            protocol,
            certificates: input
                .certificates
                .iter()
                .map(|arn| Certificate { arn: arn.clone(), is_default: true })
                .collect(),
            ssl_policy,
            alpn_policy: input.alpn_policy.clone(),
            default_actions: input.default_actions.clone(),
            tags: input.tags.clone(),
            attributes: std::collections::BTreeMap::new(),
        };
        let rule_id = crate::ids::hex_lower(8);
        let default_rule = Rule {
            arn: Self::arn(caller, &format!("listener-rule/{lb_path}/{id}/{rule_id}")),
            id: rule_id.clone(),
            listener_arn: listener.arn.clone(),
            priority: "default".into(),
            conditions: Vec::new(),
            actions: listener.default_actions.clone(),
            is_default: true,
            tags: Vec::new(),
        };
        let lb_key = Self::key(caller, "loadbalancer", &lb.name);
        let Some((_, lb_revision)) = self.load_balancer_record(caller, &lb.name).await? else {
            return Err(Elbv2Error::LoadBalancerNotFound(format!("Load balancer '{}' not found", lb.arn)));
        };
        let listener_key = Self::key(caller, "listener", &format!("{}/{id}", lb.name));
        let rule_key = Self::key(caller, "rule", &format!("{id}/{rule_id}"));
        let mut compares = vec![Compare::unchanged(lb_key, lb_revision), Compare::absent(listener_key.clone())];
        // A listener on the same port written meanwhile makes this one run again through the caller's retry.
        for (key, (_, revision)) in &existing {
            compares.push(Compare::unchanged(key.clone(), *revision));
        }
        let ops = vec![
            TxnOp::put(listener_key, super::encode(&listener)),
            TxnOp::put(rule_key, super::encode(&default_rule)),
        ];
        match self.records.txn(compares, ops).await {
            Ok(_) => Ok(listener),
            Err(RecordError::Conflict(_)) => Err(contended()),
            Err(error) => Err(error.into()),
        }
    }

    /// DescribeListeners: of a load balancer, or by ARNs.
    pub async fn describe_listeners(
        &self,
        caller: &Caller,
        load_balancer_arn: Option<&str>,
        arns: &[String],
    ) -> Result<Vec<Listener>, Elbv2Error> {
        match (load_balancer_arn, arns.is_empty()) {
            (Some(_), false) => {
                Err(invalid("Listener ARNs and a load balancer ARN cannot be specified at the same time"))
            }
            (Some(lb_arn), true) => {
                let lb = self.load_balancer(caller, lb_arn).await?;
                let mut listeners: Vec<Listener> =
                    self.listener_records_of(caller, &lb).await?.into_iter().map(|(_, (l, _))| l).collect();
                listeners.sort_by_key(|l| l.port);
                Ok(listeners)
            }
            (None, false) => {
                let mut found = Vec::new();
                for arn in arns {
                    found.push(self.listener(caller, arn).await?);
                }
                Ok(found)
            }
            (None, true) => Err(invalid("You must specify either listener ARNs or a load balancer ARN")),
        }
    }

    /// ModifyListener: the settings given; the default rule follows the default actions.
    pub async fn modify_listener(
        &self,
        caller: &Caller,
        arn: &str,
        input: ModifyListener,
    ) -> Result<Listener, Elbv2Error> {
        let current = self.listener(caller, arn).await?;
        let lb = self.load_balancer(caller, &current.load_balancer_arn).await?;
        if let Some(actions) = &input.default_actions {
            self.check_actions(caller, &lb, actions).await?;
        }
        if let Some(protocol) = &input.protocol
            && !listener_protocols(lb.kind).contains(&protocol.as_str())
        {
            return Err(Elbv2Error::UnsupportedProtocol(format!(
                "Protocol '{protocol}' is not supported for load balancers of type '{}'",
                lb.kind.as_str()
            )));
        }
        let others = self.listener_records_of(caller, &lb).await?;
        let listener = self
            .update_listener(caller, arn, |listener| {
                if let Some(port) = input.port {
                    let port = u16::try_from(port).ok().filter(|p| *p >= 1).ok_or_else(|| {
                        invalid(format!(
                            "1 validation error detected: Value '{port}' at 'port' failed to satisfy constraint: Member must have value between 1 and 65535"
                        ))
                    })?;
                    if others.iter().any(|(_, (other, _))| other.arn != listener.arn && other.port == Some(port)) {
                        return Err(Elbv2Error::DuplicateListener(
                            "A listener already exists on this port for this load balancer".into(),
                        ));
                    }
                    listener.port = Some(port);
                }
                if let Some(protocol) = &input.protocol {
                    listener.protocol = Some(protocol.clone());
                }
                if let Some(certificates) = &input.certificates {
                    listener.certificates.retain(|c| !c.is_default);
                    for arn in certificates {
                        listener.certificates.insert(0, Certificate { arn: arn.clone(), is_default: true });
                    }
                }
                let secure = matches!(listener.protocol.as_deref(), Some("HTTPS" | "TLS"));
                if secure && !listener.certificates.iter().any(|c| c.is_default) {
                    return Err(invalid("A certificate must be specified for HTTPS and TLS listeners"));
                }
                if let Some(policy) = &input.ssl_policy {
                    if !SSL_POLICIES.iter().any(|(name, _)| name == policy) {
                        return Err(Elbv2Error::SslPolicyNotFound(format!("SSL policy '{policy}' not found")));
                    }
                    listener.ssl_policy = Some(policy.clone());
                }
                if secure && listener.ssl_policy.is_none() {
                    listener.ssl_policy = Some(DEFAULT_SSL_POLICY.into());
                }
                if !secure {
                    listener.ssl_policy = None;
                    listener.certificates.clear();
                }
                if let Some(alpn) = &input.alpn_policy {
                    listener.alpn_policy = alpn.clone();
                }
                if let Some(actions) = &input.default_actions {
                    listener.default_actions = actions.clone();
                }
                Ok(())
            })
            .await?;
        if let Some(actions) = input.default_actions {
            let rules = self.describe_rules(caller, Some(arn), &[]).await?;
            if let Some(default) = rules.into_iter().find(|rule| rule.is_default) {
                self.update_rule(caller, &default.arn, |rule| {
                    rule.actions = actions.clone();
                    Ok(())
                })
                .await?;
            }
        }
        Ok(listener)
    }

    /// DeleteListener: with its rules.
    pub async fn delete_listener(&self, caller: &Caller, arn: &str) -> Result<(), Elbv2Error> {
        let (lb_name, id) = listener_parts(caller, arn)?;
        let key = Self::key(caller, "listener", &format!("{lb_name}/{id}"));
        for _ in 0..super::ATTEMPTS {
            let (_, revision) = self.listener_record(caller, arn).await?;
            let mut compares = vec![Compare::unchanged(key.clone(), revision)];
            let mut ops = vec![TxnOp::delete(key.clone())];
            for (rule_key, rule_revision) in self.rule_keys_of(caller, &id).await? {
                compares.push(Compare::unchanged(rule_key.clone(), rule_revision));
                ops.push(TxnOp::delete(rule_key));
            }
            match self.records.txn(compares, ops).await {
                Ok(_) => return Ok(()),
                Err(RecordError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(contended())
    }

    /// ModifyListenerAttributes: every key must be one of the listener's protocol; returns all of them.
    pub async fn modify_listener_attributes(
        &self,
        caller: &Caller,
        arn: &str,
        attributes: &[(String, String)],
    ) -> Result<Vec<(String, String)>, Elbv2Error> {
        let listener = self
            .update_listener(caller, arn, |listener| {
                let known = listener_attribute_defaults(listener.protocol.as_deref());
                for (key, value) in attributes {
                    if !known.iter().any(|(k, _)| k == key) {
                        return Err(invalid(format!("Listener attribute key '{key}' is not recognized")));
                    }
                    super::check_attribute(key, value, "Listener")?;
                    listener.attributes.insert(key.clone(), value.clone());
                }
                Ok(())
            })
            .await?;
        Ok(listener.attributes())
    }

    /// Adds certificates (not default ones) to a secure listener; returns its certificates.
    pub async fn add_listener_certificates(
        &self,
        caller: &Caller,
        arn: &str,
        certificates: &[String],
    ) -> Result<Vec<Certificate>, Elbv2Error> {
        if certificates.is_empty() {
            return Err(invalid("At least one certificate must be specified"));
        }
        let listener = self
            .update_listener(caller, arn, |listener| {
                if !matches!(listener.protocol.as_deref(), Some("HTTPS" | "TLS")) {
                    return Err(invalid("Certificates can only be added to HTTPS and TLS listeners"));
                }
                for cert in certificates {
                    if !listener.certificates.iter().any(|c| c.arn == *cert) {
                        listener.certificates.push(Certificate { arn: cert.clone(), is_default: false });
                    }
                }
                Ok(())
            })
            .await?;
        Ok(listener.certificates.into_iter().filter(|c| !c.is_default).collect())
    }

    /// Removes certificates other than the default one from a listener.
    pub async fn remove_listener_certificates(
        &self,
        caller: &Caller,
        arn: &str,
        certificates: &[String],
    ) -> Result<(), Elbv2Error> {
        self.update_listener(caller, arn, |listener| {
            if listener.certificates.iter().any(|c| c.is_default && certificates.contains(&c.arn)) {
                return Err(Elbv2Error::OperationNotPermitted("The default certificate cannot be removed".into()));
            }
            listener.certificates.retain(|c| !certificates.contains(&c.arn));
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// CreateRule: at a priority (1 to 50,000) no other rule of the listener has.
    pub async fn create_rule(&self, caller: &Caller, input: CreateRule) -> Result<Rule, Elbv2Error> {
        if !(1..=50_000).contains(&input.priority) {
            return Err(invalid(format!(
                "1 validation error detected: Value '{}' at 'priority' failed to satisfy constraint: Member must have value between 1 and 50000",
                input.priority
            )));
        }
        check_conditions(&input.conditions)?;
        check_tags(&input.tags, &Vec::new())?;
        let (listener, listener_revision) = self.listener_record(caller, &input.listener_arn).await?;
        let lb = self.load_balancer(caller, &listener.load_balancer_arn).await?;
        if lb.kind != LoadBalancerType::Application {
            return Err(Elbv2Error::InvalidConfiguration(
                "Rules are only supported by Application Load Balancers".into(),
            ));
        }
        self.check_actions(caller, &lb, &input.actions).await?;
        let prefix = Self::key(caller, "rule", &format!("{}/", listener.id));
        let existing = self.records.list::<Rule>(&prefix).await?;
        let priority = input.priority.to_string();
        if existing.iter().any(|stored| stored.value.priority == priority) {
            return Err(Elbv2Error::PriorityInUse(format!("Priority '{priority}' is currently in use")));
        }
        if existing.len() > MAX_RULES {
            return Err(Elbv2Error::InvalidConfiguration(format!("A listener can have at most {MAX_RULES} rules")));
        }
        let id = crate::ids::hex_lower(8);
        let lb_path = format!("{}/{}/{}", lb.kind.arn_part(), lb.name, lb.id);
        let rule = Rule {
            arn: Self::arn(caller, &format!("listener-rule/{lb_path}/{}/{id}", listener.id)),
            id: id.clone(),
            listener_arn: listener.arn.clone(),
            priority,
            conditions: input.conditions,
            actions: input.actions,
            is_default: false,
            tags: input.tags,
        };
        let listener_key = Self::key(caller, "listener", &format!("{}/{}", lb.name, listener.id));
        let key = Self::key(caller, "rule", &format!("{}/{id}", listener.id));
        let mut compares = vec![Compare::unchanged(listener_key, listener_revision), Compare::absent(key.clone())];
        compares.extend(existing.iter().map(|stored| Compare::unchanged(stored.key.clone(), stored.revision)));
        match self.records.txn(compares, vec![TxnOp::put(key, super::encode(&rule))]).await {
            Ok(_) => Ok(rule),
            Err(RecordError::Conflict(_)) => Err(contended()),
            Err(error) => Err(error.into()),
        }
    }

    /// DescribeRules: of a listener (its default rule last), or by ARNs.
    pub async fn describe_rules(
        &self,
        caller: &Caller,
        listener_arn: Option<&str>,
        arns: &[String],
    ) -> Result<Vec<Rule>, Elbv2Error> {
        match (listener_arn, arns.is_empty()) {
            (Some(_), false) => Err(invalid("Rule ARNs and a listener ARN cannot be specified at the same time")),
            (Some(arn), true) => {
                let listener = self.listener(caller, arn).await?;
                let prefix = Self::key(caller, "rule", &format!("{}/", listener.id));
                let mut rules: Vec<Rule> =
                    self.records.list::<Rule>(&prefix).await?.into_iter().map(|stored| stored.value).collect();
                rules.sort_by_key(|rule| rule.priority.parse::<u32>().unwrap_or(u32::MAX));
                Ok(rules)
            }
            (None, false) => {
                let mut found = Vec::new();
                for arn in arns {
                    found.push(self.rule(caller, arn).await?);
                }
                Ok(found)
            }
            (None, true) => Err(invalid("You must specify either listener rule ARNs or a listener ARN")),
        }
    }

    /// ModifyRule: its conditions and actions (a default rule takes actions only).
    pub async fn modify_rule(
        &self,
        caller: &Caller,
        arn: &str,
        conditions: Option<Vec<Condition>>,
        actions: Option<Vec<Action>>,
    ) -> Result<Rule, Elbv2Error> {
        let rule = self.rule(caller, arn).await?;
        if let Some(conditions) = &conditions {
            if rule.is_default {
                return Err(Elbv2Error::OperationNotPermitted(
                    "The conditions of a default rule cannot be modified".into(),
                ));
            }
            check_conditions(conditions)?;
        }
        if let Some(actions) = &actions {
            let listener = self.listener(caller, &rule.listener_arn).await?;
            let lb = self.load_balancer(caller, &listener.load_balancer_arn).await?;
            self.check_actions(caller, &lb, actions).await?;
        }
        let updated = self
            .update_rule(caller, arn, |rule| {
                if let Some(conditions) = &conditions {
                    rule.conditions = conditions.clone();
                }
                if let Some(actions) = &actions {
                    rule.actions = actions.clone();
                }
                Ok(())
            })
            .await?;
        if updated.is_default
            && let Some(actions) = actions
        {
            self.update_listener(caller, &updated.listener_arn, |listener| {
                listener.default_actions = actions.clone();
                Ok(())
            })
            .await?;
        }
        Ok(updated)
    }

    /// DeleteRule: a default rule goes only with its listener.
    pub async fn delete_rule(&self, caller: &Caller, arn: &str) -> Result<(), Elbv2Error> {
        let (listener_id, id) = rule_parts(caller, arn)?;
        let (rule, revision) = self.rule_record(caller, arn).await?;
        if rule.is_default {
            return Err(Elbv2Error::OperationNotPermitted("A default rule cannot be deleted".into()));
        }
        let key = Self::key(caller, "rule", &format!("{listener_id}/{id}"));
        match self.records.delete(&key, Some(revision)).await {
            Ok(()) => Ok(()),
            Err(RecordError::NotFound(_)) => {
                Err(Elbv2Error::RuleNotFound(format!("One or more rules not found: '{arn}'")))
            }
            Err(RecordError::Conflict(_)) => Err(contended()),
            Err(error) => Err(error.into()),
        }
    }

    /// SetRulePriorities: every rule named gets its new priority, which no other rule of its listener keeps.
    pub async fn set_rule_priorities(
        &self,
        caller: &Caller,
        priorities: &[(String, i64)],
    ) -> Result<Vec<Rule>, Elbv2Error> {
        let mut rules = Vec::new();
        for (arn, priority) in priorities {
            if !(1..=50_000).contains(priority) {
                return Err(invalid(format!("Priority '{priority}' must be between 1 and 50000")));
            }
            let rule = self.rule(caller, arn).await?;
            if rule.is_default {
                return Err(Elbv2Error::OperationNotPermitted("The priority of a default rule cannot be set".into()));
            }
            rules.push((rule, priority.to_string()));
        }
        for (rule, priority) in &rules {
            let siblings = self.describe_rules(caller, Some(&rule.listener_arn), &[]).await?;
            let taken = siblings.iter().any(|other| {
                other.priority == *priority
                    && other.arn != rule.arn
                    && !rules.iter().any(|(moved, new)| moved.arn == other.arn && new != priority)
            });
            if taken
                || rules.iter().filter(|(other, p)| p == priority && other.listener_arn == rule.listener_arn).count()
                    > 1
            {
                return Err(Elbv2Error::PriorityInUse(format!("Priority '{priority}' is currently in use")));
            }
        }
        let mut updated = Vec::new();
        for (rule, priority) in rules {
            updated.push(
                self.update_rule(caller, &rule.arn, |stored| {
                    stored.priority = priority.clone();
                    Ok(())
                })
                .await?,
            );
        }
        Ok(updated)
    }
}

//! Security groups over a [`Network`]: names unique per VPC, rules as one peer each (EC2's `IpPermissions`
//! are grouped back from them by the wire layer), duplicates refused as EC2 refuses them. Rules by id
//! (`sgr-...`) are `group_rules.rs`'.

use super::cidr::Cidr;
use super::group_rules::check_rule_description;
use super::network::{allow_all_egress, check_filters, passes};
use super::*;

/// Which rules of a group: inbound or outbound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

/// What CreateSecurityGroup asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateSecurityGroup {
    pub name: Option<String>,
    pub description: Option<String>,
    /// The default VPC when absent.
    pub vpc_id: Option<String>,
    pub tags: Tags,
}

/// The protocol as EC2 stores it: names for tcp, udp and icmp (also given as 6, 17 and 1), `-1` for all.
fn protocol(text: &str) -> Result<String, Ec2Error> {
    let lower = text.to_ascii_lowercase();
    Ok(match lower.as_str() {
        "tcp" | "6" => "tcp".into(),
        "udp" | "17" => "udp".into(),
        "icmp" | "1" => "icmp".into(),
        "-1" | "all" => "-1".into(),
        number if number.parse::<u8>().is_ok() => number.to_owned(),
        _ => {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "Invalid value '{text}' for IP protocol. Unknown protocol."
            )));
        }
    })
}

/// How EC2 describes a rule in its duplicate message.
pub(crate) fn describe_rule(rule: &Rule) -> String {
    let peer = match &rule.peer {
        Peer::Cidr(cidr) => cidr.clone(),
        Peer::Group { group_id, .. } => group_id.clone(),
    };
    match (rule.protocol.as_str(), rule.from_port, rule.to_port) {
        ("-1", _, _) => format!("peer: {peer}, ALL, ALLOW"),
        (protocol, Some(from), Some(to)) => {
            format!("peer: {peer}, {}, from port: {from}, to port: {to}, ALLOW", protocol.to_ascii_uppercase())
        }
        (protocol, _, _) => format!("peer: {peer}, {}, ALLOW", protocol.to_ascii_uppercase()),
    }
}

/// The most rules a group has in one direction (EC2's default quota, counting each address block and each
/// group a permission names as one rule).
pub const RULES_PER_DIRECTION: usize = 60;

impl Network {
    fn group_ref(&self, id: &str) -> Result<&SecurityGroup, Ec2Error> {
        self.security_groups
            .get(id)
            .ok_or_else(|| Ec2Error::GroupNotFound(format!("The security group '{id}' does not exist")))
    }

    /// The group a request names by id, or by name in the default VPC.
    pub fn find_group(&self, group_id: Option<&str>, group_name: Option<&str>) -> Result<String, Ec2Error> {
        match (group_id, group_name) {
            (Some(id), _) => Ok(self.group_ref(id)?.id.clone()),
            (None, Some(name)) => {
                let vpc = self.default_vpc().map(|vpc| vpc.id.clone()).unwrap_or_default();
                self.security_groups
                    .values()
                    .find(|group| group.name == name && group.vpc_id == vpc)
                    .map(|group| group.id.clone())
                    .ok_or_else(|| {
                        Ec2Error::GroupNotFound(format!(
                            "The security group '{name}' does not exist in default VPC '{vpc}'"
                        ))
                    })
            }
            (None, None) => {
                Err(Ec2Error::MissingParameter("The request must contain the parameter groupName or groupId".into()))
            }
        }
    }

    /// CreateSecurityGroup: a name unique in its VPC, a description, and the allow-all egress rule.
    pub fn create_security_group(
        &mut self,
        ids: &mut IdSource,
        input: &CreateSecurityGroup,
    ) -> Result<SecurityGroup, Ec2Error> {
        let name = input
            .name
            .as_deref()
            .ok_or_else(|| Ec2Error::MissingParameter("The request must contain the parameter groupName".into()))?;
        let description = input.description.as_deref().ok_or_else(|| {
            Ec2Error::MissingParameter("The request must contain the parameter groupDescription".into())
        })?;
        if name.is_empty() || name.len() > 255 {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "Value ({name}) for parameter groupName is invalid. Length must be between 1 and 255 characters"
            )));
        }
        if name.starts_with("sg-") {
            return Err(Ec2Error::InvalidParameterValue("Group names may not be in the format sg-*".into()));
        }
        if name == "default" {
            return Err(Ec2Error::InvalidParameterValue("Cannot use reserved security group name: default".into()));
        }
        if description.len() > 255 {
            return Err(Ec2Error::InvalidParameterValue(
                "Value for parameter groupDescription is invalid. Length must be between 0 and 255 characters".into(),
            ));
        }
        let vpc_id = match &input.vpc_id {
            Some(id) => self.vpcs.get(id).ok_or_else(|| Ec2Error::VpcNotFound(id.clone()))?.id.clone(),
            None => self
                .default_vpc()
                .map(|vpc| vpc.id.clone())
                .ok_or_else(|| Ec2Error::MissingParameter("No default VPC for this user".into()))?,
        };
        if self.security_groups.values().any(|group| group.vpc_id == vpc_id && group.name == name) {
            return Err(Ec2Error::GroupDuplicate { name: name.to_owned(), vpc_id });
        }
        let mut group = SecurityGroup {
            id: ids.id("sg"),
            name: name.to_owned(),
            description: description.to_owned(),
            vpc_id,
            ingress: Vec::new(),
            egress: vec![allow_all_egress()],
            rules_added: 0,
        };
        group.settle_rule_ids();
        self.security_groups.insert(group.id.clone(), group.clone());
        if !input.tags.is_empty() {
            self.tags.entry(group.id.clone()).or_default().extend(input.tags.clone());
        }
        Ok(group)
    }

    /// DescribeSecurityGroups.
    pub fn describe_security_groups(
        &self,
        group_ids: &[String],
        group_names: &[String],
        filters: &[Filter],
    ) -> Result<Vec<&SecurityGroup>, Ec2Error> {
        check_filters(filters, &["group-name", "group-id", "vpc-id", "description", "owner-id"])?;
        for id in group_ids {
            self.group_ref(id)?;
        }
        for name in group_names {
            self.find_group(None, Some(name))?;
        }
        let default_vpc = self.default_vpc().map(|vpc| vpc.id.as_str());
        Ok(self
            .security_groups
            .values()
            .filter(|group| group_ids.is_empty() || group_ids.contains(&group.id))
            .filter(|group| {
                group_names.is_empty()
                    || (group_names.contains(&group.name) && Some(group.vpc_id.as_str()) == default_vpc)
            })
            .filter(|group| {
                passes(filters, self.tags.get(&group.id), |name| match name {
                    "group-name" => vec![group.name.clone()],
                    "group-id" => vec![group.id.clone()],
                    "vpc-id" => vec![group.vpc_id.clone()],
                    "description" => vec![group.description.clone()],
                    "owner-id" => vec![self.account.clone()],
                    _ => Vec::new(),
                })
            })
            .collect())
    }

    /// DeleteSecurityGroup: not a VPC's default group, and not while a network interface (an instance's, a load
    /// balancer's, a VPC endpoint's, anyone's) uses it or another group's rules name it; EC2 answers both with the
    /// same `DependencyViolation`.
    pub fn delete_security_group(&mut self, group_id: &str) -> Result<(), Ec2Error> {
        let group = self.group_ref(group_id)?;
        if group.name == "default" {
            return Err(Ec2Error::CannotDelete(format!(
                "the specified group: \"{group_id}\" name: \"default\" cannot be deleted by a user"
            )));
        }
        let referenced = self.security_groups.values().filter(|other| other.id != group_id).any(|other| {
            other
                .ingress
                .iter()
                .chain(&other.egress)
                .any(|rule| matches!(&rule.peer, Peer::Group { group_id: peer, .. } if peer == group_id))
        });
        let in_use = self.network_interfaces.values().any(|eni| eni.security_groups.iter().any(|id| id == group_id));
        if referenced || in_use {
            return Err(Ec2Error::DependencyViolation(format!("resource {group_id} has a dependent object")));
        }
        if let Some(group) = self.security_groups.remove(group_id) {
            for rule in group.ingress.iter().chain(&group.egress) {
                self.untag(&rule.id);
            }
        }
        self.tags.remove(group_id);
        Ok(())
    }

    /// Checks a rule of a request and puts it in EC2's stored form.
    pub fn normalize_rule(&self, rule: &Rule) -> Result<Rule, Ec2Error> {
        let protocol = protocol(&rule.protocol)?;
        let (from_port, to_port) = match protocol.as_str() {
            "tcp" | "udp" => match (rule.from_port, rule.to_port) {
                (Some(from), Some(to)) if (0..=65535).contains(&from) && (from..=65535).contains(&to) => {
                    (Some(from), Some(to))
                }
                (Some(from), Some(to)) => {
                    return Err(Ec2Error::InvalidParameterValue(format!(
                        "Invalid port range: from port {from} must be less than or equal to to port {to}, \
                         and both must be between 0 and 65535"
                    )));
                }
                _ => {
                    return Err(Ec2Error::InvalidParameterValue(
                        "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange".into(),
                    ));
                }
            },
            "icmp" => (Some(rule.from_port.unwrap_or(-1)), Some(rule.to_port.unwrap_or(-1))),
            "-1" => (None, None),
            _ => (rule.from_port, rule.to_port),
        };
        let peer = match &rule.peer {
            Peer::Cidr(text) => {
                let cidr = Cidr::parse(text)
                    .ok_or_else(|| Ec2Error::InvalidParameterValue(format!("CIDR block {text} is malformed")))?;
                Peer::Cidr(cidr.to_string())
            }
            Peer::Group { group_id, .. } => {
                self.group_ref(group_id)?;
                Peer::Group { group_id: group_id.clone(), user_id: self.account.clone() }
            }
        };
        if let Some(description) = &rule.description {
            check_rule_description(description)?;
        }
        Ok(Rule { protocol, from_port, to_port, peer, description: rule.description.clone(), ..rule.clone() })
    }

    /// AuthorizeSecurityGroupIngress / Egress: every rule new, or none is added. The rules added, with their ids.
    pub fn authorize(&mut self, group_id: &str, direction: Direction, rules: &[Rule]) -> Result<Vec<Rule>, Ec2Error> {
        self.authorize_tagged(group_id, direction, rules, &Tags::new())
    }

    /// [`Network::authorize`] with tags for each rule added (its `TagSpecifications`).
    pub fn authorize_tagged(
        &mut self,
        group_id: &str,
        direction: Direction,
        rules: &[Rule],
        tags: &Tags,
    ) -> Result<Vec<Rule>, Ec2Error> {
        self.group_ref(group_id)?;
        check_tags(tags)?;
        if rules.is_empty() {
            return Err(Ec2Error::MissingParameter("No IP permissions specified".into()));
        }
        let rules = rules
            .iter()
            .map(|rule| self.normalize_rule(&Rule { id: String::new(), tags: Tags::new(), ..rule.clone() }))
            .collect::<Result<Vec<_>, _>>()?;
        let group = self.security_groups.get_mut(group_id).expect("checked above");
        let list = match direction {
            Direction::Ingress => &mut group.ingress,
            Direction::Egress => &mut group.egress,
        };
        let mut added: Vec<Rule> = Vec::new();
        for rule in rules {
            if list.iter().chain(&added).any(|existing| existing.same_traffic(&rule)) {
                return Err(Ec2Error::PermissionDuplicate(describe_rule(&rule)));
            }
            added.push(rule);
        }
        if list.len() + added.len() > RULES_PER_DIRECTION {
            return Err(Ec2Error::RulesPerGroupExceeded);
        }
        if added.iter().any(|rule| matches!(rule.peer, Peer::Group { .. })) {
            // A group may be deleted only while no rule names it: whoever deletes one must see this rule.
            self.moved.insert(super::Kind::SecurityGroup);
        }
        let first = list.len();
        list.extend(added);
        group.settle_rule_ids();
        let list = match direction {
            Direction::Ingress => &group.ingress,
            Direction::Egress => &group.egress,
        };
        let added = list[first..].to_vec();
        for rule in &added {
            self.tag(&rule.id, tags);
        }
        Ok(added)
    }

    /// RevokeSecurityGroupIngress / Egress: every rule must exist, or none is removed. The rules removed.
    pub fn revoke(&mut self, group_id: &str, direction: Direction, rules: &[Rule]) -> Result<Vec<Rule>, Ec2Error> {
        self.group_ref(group_id)?;
        let rules = rules.iter().map(|rule| self.normalize_rule(rule)).collect::<Result<Vec<_>, _>>()?;
        let group = self.security_groups.get_mut(group_id).expect("checked above");
        let list = match direction {
            Direction::Ingress => &mut group.ingress,
            Direction::Egress => &mut group.egress,
        };
        if rules.is_empty() || !rules.iter().all(|rule| list.iter().any(|existing| existing.same_traffic(rule))) {
            return Err(Ec2Error::PermissionNotFound);
        }
        let (removed, kept): (Vec<Rule>, Vec<Rule>) =
            list.drain(..).partition(|existing| rules.iter().any(|rule| rule.same_traffic(existing)));
        *list = kept;
        for rule in &removed {
            self.untag(&rule.id);
        }
        Ok(removed)
    }
}

//! Security group rules by id: every rule has an `sgr-` id, found by DescribeSecurityGroupRules, changed by
//! ModifySecurityGroupRules and UpdateSecurityGroupRuleDescriptionsIngress/Egress, revoked by
//! `SecurityGroupRuleIds`, and tagged like any resource (its tags live in its group's record). A rule's id is
//! derived from its group, direction and traffic and the count of ids its group has given, when it is added, so
//! that a rule revoked and added again gets a new id, as in EC2; records written before rules had ids get the
//! derivation of those versions (without the count) when they are read, so an id never changes once a rule has
//! one.

use ring::digest;

use super::groups::Direction;
use super::network::{check_filters, passes};
use super::{Ec2Error, Filter, Network, Peer, Rule, SecurityGroup};

/// The first salt of the ids given to rules as they are added: above the few salts that the ids derived for
/// records older than ids use, so that those keep the ids earlier versions showed.
const ADDED_RULE_SALTS: u32 = 1 << 16;

/// The id a rule gets in `group_id`: `sgr-` and 17 hex digits of a SHA-256 of what the rule allows; `salt`
/// tells apart a rule whose traffic was modified since its id was given from a new rule allowing that traffic.
fn rule_id(group_id: &str, direction: Direction, rule: &Rule, salt: u32) -> String {
    let text = format!(
        "{group_id}/{direction:?}/{}/{:?}/{:?}/{:?}/{salt}",
        rule.protocol, rule.from_port, rule.to_port, rule.peer
    );
    let hash = digest::digest(&digest::SHA256, text.as_bytes());
    let hex: String = hash.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sgr-{}", &hex[..17])
}

impl SecurityGroup {
    /// Gives every rule without an id its id (see [`rule_id`]), with salts from `first_salt` up; returns the
    /// salt after the last one used.
    fn give_rule_ids(&mut self, first_salt: u32) -> u32 {
        let mut taken: std::collections::BTreeSet<String> =
            self.ingress.iter().chain(&self.egress).map(|rule| rule.id.clone()).filter(|id| !id.is_empty()).collect();
        let mut next = first_salt;
        for (direction, rules) in [(Direction::Ingress, &mut self.ingress), (Direction::Egress, &mut self.egress)] {
            for rule in rules.iter_mut().filter(|rule| rule.id.is_empty()) {
                let (salt, id) = (next..)
                    .map(|salt| (salt, rule_id(&self.id, direction, rule, salt)))
                    .find(|(_, id)| !taken.contains(id))
                    .expect("some salt gives a free id");
                rule.id = id;
                taken.insert(rule.id.clone());
                next = salt.saturating_add(1);
            }
        }
        next
    }

    /// Gives the rules just added their ids, each from the count of ids the group has given, and counts them.
    pub fn settle_rule_ids(&mut self) {
        let next = self.give_rule_ids(ADDED_RULE_SALTS.saturating_add(self.rules_added));
        self.rules_added = next.saturating_sub(ADDED_RULE_SALTS).max(self.rules_added);
    }

    /// Gives the rules of a record written before rules had ids the ids earlier versions derived for them: from
    /// the group and the traffic alone, the same at every read.
    fn settle_legacy_rule_ids(&mut self) {
        let mut taken: std::collections::BTreeSet<String> =
            self.ingress.iter().chain(&self.egress).map(|rule| rule.id.clone()).filter(|id| !id.is_empty()).collect();
        for (direction, rules) in [(Direction::Ingress, &mut self.ingress), (Direction::Egress, &mut self.egress)] {
            for rule in rules.iter_mut().filter(|rule| rule.id.is_empty()) {
                let id = (0..).map(|salt| rule_id(&self.id, direction, rule, salt)).find(|id| !taken.contains(id));
                rule.id = id.expect("some salt gives a free id");
                taken.insert(rule.id.clone());
            }
        }
    }

    /// The rules of one direction.
    pub fn rules(&self, direction: Direction) -> &[Rule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    fn rules_mut(&mut self, direction: Direction) -> &mut Vec<Rule> {
        match direction {
            Direction::Ingress => &mut self.ingress,
            Direction::Egress => &mut self.egress,
        }
    }
}

/// A rule with the group and direction it belongs to: what DescribeSecurityGroupRules answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupRule<'a> {
    pub group_id: &'a str,
    pub direction: Direction,
    pub rule: &'a Rule,
}

/// Rule descriptions: up to 255 characters of EC2's set.
pub(crate) fn check_rule_description(description: &str) -> Result<(), Ec2Error> {
    const ALLOWED: &str = ". _-:/()#,@[]+=&;{}!$*";
    let valid = description.chars().count() <= 255
        && description.chars().all(|c| c.is_ascii_alphanumeric() || ALLOWED.contains(c));
    if valid {
        Ok(())
    } else {
        Err(Ec2Error::InvalidParameterValue(
            "Invalid rule description. Valid descriptions are strings less than 256 characters from the following \
             set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*"
                .into(),
        ))
    }
}

/// Refuses an id that is not `sgr-...`.
fn check_rule_id(id: &str) -> Result<(), Ec2Error> {
    let digits = id.strip_prefix("sgr-").unwrap_or("");
    if digits.is_empty() || digits.len() > 17 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Ec2Error::SecurityGroupRuleIdMalformed(id.escape_debug().to_string()));
    }
    Ok(())
}

/// What ModifySecurityGroupRules sets for one rule: the whole rule (protocol, ports, one peer, description).
pub type RuleChange = (String, Rule);

/// The filters DescribeSecurityGroupRules takes, besides the tag filters.
const RULE_FILTERS: &[&str] = &["group-id", "security-group-rule-id"];

impl Network {
    /// Every rule of every loaded group.
    pub fn group_rules(&self) -> impl Iterator<Item = GroupRule<'_>> {
        self.security_groups.values().flat_map(|group| {
            [Direction::Ingress, Direction::Egress].into_iter().flat_map(move |direction| {
                group.rules(direction).iter().map(move |rule| GroupRule { group_id: &group.id, direction, rule })
            })
        })
    }

    /// A rule by id.
    pub fn group_rule(&self, id: &str) -> Result<GroupRule<'_>, Ec2Error> {
        check_rule_id(id)?;
        self.group_rules()
            .find(|found| found.rule.id == id)
            .ok_or_else(|| Ec2Error::SecurityGroupRuleNotFound(id.to_owned()))
    }

    /// DescribeSecurityGroupRules: every id asked for must exist; sorted by id (the order pages follow).
    pub fn describe_security_group_rules(
        &self,
        rule_ids: &[String],
        filters: &[Filter],
    ) -> Result<Vec<GroupRule<'_>>, Ec2Error> {
        check_filters(filters, RULE_FILTERS)?;
        for id in rule_ids {
            self.group_rule(id)?;
        }
        let mut found: Vec<GroupRule<'_>> = self
            .group_rules()
            .filter(|found| rule_ids.is_empty() || rule_ids.contains(&found.rule.id))
            .filter(|found| {
                passes(filters, self.tags.get(&found.rule.id), |name| match name {
                    "group-id" => vec![found.group_id.to_owned()],
                    "security-group-rule-id" => vec![found.rule.id.clone()],
                    _ => Vec::new(),
                })
            })
            .collect();
        found.sort_by(|a, b| a.rule.id.cmp(&b.rule.id));
        Ok(found)
    }

    /// The direction of a rule of `group_id`, or `InvalidSecurityGroupRuleId.NotFound` when it is not one of its.
    fn rule_of_group(&self, group_id: &str, rule_id: &str) -> Result<Direction, Ec2Error> {
        let found = self.group_rule(rule_id)?;
        if found.group_id != group_id {
            return Err(Ec2Error::SecurityGroupRuleNotFound(rule_id.to_owned()));
        }
        Ok(found.direction)
    }

    /// ModifySecurityGroupRules: each rule (of `group_id`) replaced by its change, keeping its id and tags; the
    /// rules after the change must still be distinct. All or nothing.
    pub fn modify_security_group_rules(&mut self, group_id: &str, changes: &[RuleChange]) -> Result<(), Ec2Error> {
        self.find_group(Some(group_id), None)?;
        if changes.is_empty() {
            return Err(Ec2Error::MissingParameter("The request must contain the parameter SecurityGroupRule".into()));
        }
        let mut group = self.security_groups[group_id].clone();
        for (rule_id, change) in changes {
            let direction = self.rule_of_group(group_id, rule_id)?;
            let normalized = self.normalize_rule(change)?;
            let rules = group.rules_mut(direction);
            if rules.iter().any(|other| other.id != *rule_id && other.same_traffic(&normalized)) {
                return Err(Ec2Error::PermissionDuplicate(super::groups::describe_rule(&normalized)));
            }
            let rule = rules.iter_mut().find(|rule| rule.id == *rule_id).expect("found above");
            *rule = Rule { id: rule.id.clone(), tags: rule.tags.clone(), ..normalized };
        }
        if group.ingress.iter().chain(&group.egress).any(|rule| matches!(rule.peer, Peer::Group { .. })) {
            // A group may be deleted only while no rule names it: whoever deletes one must see this change.
            self.moved.insert(super::Kind::SecurityGroup);
        }
        self.security_groups.insert(group_id.to_owned(), group);
        Ok(())
    }

    /// RevokeSecurityGroupIngress / Egress by `SecurityGroupRuleIds`: each a rule of the group in that direction,
    /// or none is removed. The rules removed.
    pub fn revoke_rule_ids(
        &mut self,
        group_id: &str,
        direction: Direction,
        rule_ids: &[String],
    ) -> Result<Vec<Rule>, Ec2Error> {
        self.find_group(Some(group_id), None)?;
        for id in rule_ids {
            if self.rule_of_group(group_id, id)? != direction {
                return Err(Ec2Error::SecurityGroupRuleNotFound(id.clone()));
            }
        }
        let group = self.security_groups.get_mut(group_id).expect("found above");
        let rules = group.rules_mut(direction);
        let (removed, kept): (Vec<Rule>, Vec<Rule>) = rules.drain(..).partition(|rule| rule_ids.contains(&rule.id));
        *rules = kept;
        for rule in &removed {
            self.untag(&rule.id);
        }
        Ok(removed)
    }

    /// UpdateSecurityGroupRuleDescriptionsIngress / Egress: new descriptions for rules named by their traffic
    /// (`IpPermissions`, whose descriptions are set, or removed when absent) or by id. Every rule must exist.
    pub fn update_rule_descriptions(
        &mut self,
        group_id: &str,
        direction: Direction,
        by_traffic: &[Rule],
        by_id: &[(String, Option<String>)],
    ) -> Result<(), Ec2Error> {
        self.find_group(Some(group_id), None)?;
        if by_traffic.is_empty() == by_id.is_empty() {
            return Err(Ec2Error::InvalidParameterCombination(
                "Either IpPermissions or SecurityGroupRuleDescriptions must be specified, but not both".into(),
            ));
        }
        let mut updates: Vec<(String, Option<String>)> = Vec::new();
        for rule in by_traffic {
            let normalized = self.normalize_rule(rule)?;
            let found = self.security_groups[group_id]
                .rules(direction)
                .iter()
                .find(|existing| existing.same_traffic(&normalized))
                .ok_or(Ec2Error::PermissionNotFound)?;
            updates.push((found.id.clone(), normalized.description));
        }
        for (id, description) in by_id {
            if self.rule_of_group(group_id, id)? != direction {
                return Err(Ec2Error::SecurityGroupRuleNotFound(id.clone()));
            }
            if let Some(description) = description {
                check_rule_description(description)?;
            }
            updates.push((id.clone(), description.clone()));
        }
        let group = self.security_groups.get_mut(group_id).expect("found above");
        for (id, description) in updates {
            if let Some(rule) = group.rules_mut(direction).iter_mut().find(|rule| rule.id == id) {
                rule.description = description.filter(|text| !text.is_empty());
            }
        }
        Ok(())
    }

    /// A group as its record stores it: its rules' tags inside.
    pub(crate) fn group_to_store(&self, group: &SecurityGroup) -> SecurityGroup {
        let mut stored = group.clone();
        for rule in stored.ingress.iter_mut().chain(stored.egress.iter_mut()) {
            rule.tags = self.tags.get(&rule.id).cloned().unwrap_or_default();
        }
        stored
    }
}

/// A group read from its record: ids for rules written before rules had them, and the rules' tags moved into
/// `tags` (a [`Network`]'s tags by resource id).
pub(crate) fn settle_read_group(tags: &mut std::collections::BTreeMap<String, super::Tags>, group: &mut SecurityGroup) {
    group.settle_legacy_rule_ids();
    for rule in group.ingress.iter_mut().chain(group.egress.iter_mut()) {
        let rule_tags = std::mem::take(&mut rule.tags);
        if !rule_tags.is_empty() {
            tags.insert(rule.id.clone(), rule_tags);
        }
    }
}

#[cfg(test)]
mod tests;

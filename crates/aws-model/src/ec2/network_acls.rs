//! Network ACLs over a [`Network`]: every VPC's default ACL (made and deleted with the VPC: rule 100 allows all
//! traffic and the `*` rule, 32767, denies it, in each direction), ACLs made with CreateNetworkAcl (only the `*`
//! rules), their entries (at most [`ENTRIES_PER_DIRECTION`] rules a direction, EC2's default quota, so a record
//! stays small), and the association of each subnet with exactly one ACL of its VPC.
//!
//! An association is kept on its subnet, not on the ACL (so no ACL record grows with the subnets of its VPC): a
//! subnet carries none while it keeps the association with its VPC's default ACL that it was created with, whose
//! id is derived from the subnet's, and carries the new one once ReplaceNetworkAclAssociation moved it. Whoever
//! replaces an association moves the generation of subnets, so that DeleteNetworkAcl, which reads every subnet
//! to refuse an ACL still associated, sees it.

use serde::{Deserialize, Serialize};

use super::cidr::Cidr;
use super::network::{check_filters, passes};
use super::{Ec2Error, Filter, IdSource, Kind, Network, Subnet, Tags};

/// The most rules an ACL has in one direction, besides the `*` rule (EC2's default quota).
pub const ENTRIES_PER_DIRECTION: usize = 20;
/// The number of the `*` rule, which denies whatever no other rule decided.
pub const LAST_RULE: u32 = 32767;

/// One rule of a network ACL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclEntry {
    pub rule_number: u32,
    /// Whether it governs traffic leaving the subnet.
    pub egress: bool,
    /// A protocol number, or `-1` for all.
    pub protocol: String,
    /// `allow` or `deny`.
    pub action: String,
    pub cidr_block: String,
    /// The port range of a TCP or UDP rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_range: Option<(i64, i64)>,
    /// The ICMP type and code of an ICMP rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmp: Option<(i64, i64)>,
}

/// A network ACL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkAcl {
    pub id: String,
    pub vpc_id: String,
    pub is_default: bool,
    /// Its rules, ingress and egress, by number.
    pub entries: Vec<AclEntry>,
}

/// A subnet's association with a network ACL once it was replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclAssociation {
    /// `aclassoc-...`.
    pub id: String,
    pub network_acl_id: String,
}

/// What CreateNetworkAclEntry and ReplaceNetworkAclEntry ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AclEntryRequest {
    pub rule_number: Option<i64>,
    pub egress: Option<bool>,
    pub protocol: Option<String>,
    pub action: Option<String>,
    pub cidr_block: Option<String>,
    pub port_range: (Option<i64>, Option<i64>),
    pub icmp: (Option<i64>, Option<i64>),
}

/// A rule that allows or denies all traffic to and from anywhere.
fn everything(rule_number: u32, egress: bool, action: &str) -> AclEntry {
    AclEntry {
        rule_number,
        egress,
        protocol: "-1".into(),
        action: action.into(),
        cidr_block: "0.0.0.0/0".into(),
        port_range: None,
        icmp: None,
    }
}

/// The rules of a new ACL: a default one allows everything before its `*` rules.
fn initial_entries(is_default: bool) -> Vec<AclEntry> {
    let mut entries = Vec::new();
    for egress in [false, true] {
        if is_default {
            entries.push(everything(100, egress, "allow"));
        }
        entries.push(everything(LAST_RULE, egress, "deny"));
    }
    entries
}

/// Whether `id` looks like a network ACL id.
pub fn is_acl_id(id: &str) -> bool {
    id.strip_prefix("acl-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

impl Subnet {
    /// The id of the association with its VPC's default ACL that a subnet is created with.
    pub fn default_acl_association_id(&self) -> String {
        format!("aclassoc-{}", self.id.rsplit('-').next().unwrap_or_default())
    }
}

/// The protocol of a rule as EC2 stores it: a number from 0 to 255, or `-1`; `tcp`, `udp`, `icmp` and `all` are
/// taken too.
fn acl_protocol(text: &str) -> Result<String, Ec2Error> {
    let number = match text.to_ascii_lowercase().as_str() {
        "tcp" => "6".to_owned(),
        "udp" => "17".to_owned(),
        "icmp" => "1".to_owned(),
        "all" | "-1" => "-1".to_owned(),
        other => match other.parse::<u8>() {
            Ok(number) => number.to_string(),
            Err(_) => {
                return Err(Ec2Error::InvalidParameterValue(format!(
                    "Invalid value '{text}' for protocol. Must be a protocol number between -1 and 255."
                )));
            }
        },
    };
    Ok(number)
}

impl Network {
    /// An ACL by id, with EC2's errors for malformed and unknown ids.
    pub fn network_acl(&self, id: &str) -> Result<&NetworkAcl, Ec2Error> {
        if !is_acl_id(id) {
            return Err(Ec2Error::NetworkAclIdMalformed(id.to_owned()));
        }
        self.network_acls.get(id).ok_or_else(|| Ec2Error::NetworkAclNotFound(id.to_owned()))
    }

    /// The default ACL of a VPC. Reads every ACL.
    pub fn default_acl(&self, vpc_id: &str) -> Option<&NetworkAcl> {
        self.network_acls.values().find(|acl| acl.vpc_id == vpc_id && acl.is_default)
    }

    /// Makes the default ACL of a new VPC.
    pub(crate) fn add_default_acl(&mut self, ids: &mut IdSource, vpc_id: &str) -> String {
        self.add_default_acl_with_id(ids.id("acl"), vpc_id)
    }

    /// Makes the default ACL of a VPC under a given id (the upgrade of a VPC made before ACLs had records).
    pub(crate) fn add_default_acl_with_id(&mut self, id: String, vpc_id: &str) -> String {
        let acl =
            NetworkAcl { id: id.clone(), vpc_id: vpc_id.to_owned(), is_default: true, entries: initial_entries(true) };
        self.network_acls.insert(id.clone(), acl);
        id
    }

    /// A subnet's ACL and association ids: its replaced association, else its VPC's default ACL. Reads every ACL
    /// when the subnet kept its first association.
    pub fn acl_association_of(&self, subnet: &Subnet) -> Option<(String, String)> {
        match &subnet.network_acl {
            Some(association) => Some((association.network_acl_id.clone(), association.id.clone())),
            None => self.default_acl(&subnet.vpc_id).map(|acl| (acl.id.clone(), subnet.default_acl_association_id())),
        }
    }

    /// The associations of an ACL: subnet and association ids. Reads every subnet and ACL.
    pub fn acl_associations(&self, acl: &NetworkAcl) -> Vec<(String, String)> {
        self.subnets
            .values()
            .filter(|subnet| subnet.vpc_id == acl.vpc_id)
            .filter_map(|subnet| {
                let (acl_id, association) = self.acl_association_of(subnet)?;
                (acl_id == acl.id).then(|| (subnet.id.clone(), association))
            })
            .collect()
    }

    /// CreateNetworkAcl: an ACL of the VPC with only its `*` rules. The change reads the VPC.
    pub fn create_network_acl(
        &mut self,
        ids: &mut IdSource,
        vpc_id: &str,
        tags: &Tags,
    ) -> Result<NetworkAcl, Ec2Error> {
        self.vpc(vpc_id)?;
        let acl = NetworkAcl {
            id: ids.id("acl"),
            vpc_id: vpc_id.to_owned(),
            is_default: false,
            entries: initial_entries(false),
        };
        self.network_acls.insert(acl.id.clone(), acl.clone());
        self.tag(&acl.id, tags);
        Ok(acl)
    }

    /// DeleteNetworkAcl: not a default ACL, nor one a subnet is associated with. The change reads the ACL and
    /// every subnet.
    pub fn delete_network_acl(&mut self, id: &str) -> Result<(), Ec2Error> {
        let acl = self.network_acl(id)?;
        if acl.is_default {
            return Err(Ec2Error::InvalidParameterValue(format!("cannot delete default network ACL {id}")));
        }
        let associated = self
            .subnets
            .values()
            .any(|subnet| subnet.network_acl.as_ref().is_some_and(|association| association.network_acl_id == id));
        if associated {
            return Err(Ec2Error::DependencyViolation(format!(
                "The networkAcl '{id}' has dependencies and cannot be deleted."
            )));
        }
        self.network_acls.remove(id);
        self.untag(id);
        Ok(())
    }

    /// Checks a rule of CreateNetworkAclEntry or ReplaceNetworkAclEntry and puts it in EC2's stored form.
    fn acl_entry(request: &AclEntryRequest) -> Result<AclEntry, Ec2Error> {
        let missing = |name: &str| Ec2Error::MissingParameter(format!("The request must contain the parameter {name}"));
        let number = request.rule_number.ok_or_else(|| missing("ruleNumber"))?;
        let rule_number = u32::try_from(number).ok().filter(|n| (1..LAST_RULE).contains(n)).ok_or_else(|| {
            Ec2Error::InvalidParameterValue(format!(
                "Value ({number}) for parameter ruleNumber is invalid. The rule number must be between 1 and 32766."
            ))
        })?;
        let egress = request.egress.ok_or_else(|| missing("egress"))?;
        let protocol = acl_protocol(request.protocol.as_deref().ok_or_else(|| missing("protocol"))?)?;
        let action = request.action.as_deref().ok_or_else(|| missing("ruleAction"))?.to_ascii_lowercase();
        if action != "allow" && action != "deny" {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "Value ({action}) for parameter ruleAction is invalid. Must be allow or deny."
            )));
        }
        let text = request.cidr_block.as_deref().ok_or_else(|| missing("cidrBlock"))?;
        let cidr = Cidr::parse(text).ok_or_else(|| {
            Ec2Error::InvalidParameterValue(format!(
                "Value ({text}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
            ))
        })?;
        let (port_range, icmp) = match protocol.as_str() {
            "6" | "17" => match request.port_range {
                (Some(from), Some(to)) if (0..=65535).contains(&from) && (from..=65535).contains(&to) => {
                    (Some((from, to)), None)
                }
                (Some(from), Some(to)) => {
                    return Err(Ec2Error::InvalidParameterValue(format!(
                        "Invalid port range: from port {from} to port {to}; ports must be between 0 and 65535."
                    )));
                }
                _ => return Err(missing("portRange")),
            },
            "1" => (None, Some((request.icmp.0.unwrap_or(-1), request.icmp.1.unwrap_or(-1)))),
            _ => (None, None),
        };
        Ok(AclEntry { rule_number, egress, protocol, action, cidr_block: cidr.to_string(), port_range, icmp })
    }

    /// CreateNetworkAclEntry: a new rule number in its direction, within the quota. The change reads the ACL.
    pub fn create_network_acl_entry(&mut self, id: &str, request: &AclEntryRequest) -> Result<(), Ec2Error> {
        let acl = self.network_acl(id)?;
        let entry = Self::acl_entry(request)?;
        let same_direction = acl.entries.iter().filter(|e| e.egress == entry.egress && e.rule_number != LAST_RULE);
        if acl.entries.iter().any(|e| e.egress == entry.egress && e.rule_number == entry.rule_number) {
            return Err(Ec2Error::NetworkAclEntryExists(entry.rule_number));
        }
        if same_direction.count() >= ENTRIES_PER_DIRECTION {
            return Err(Ec2Error::NetworkAclEntryLimitExceeded);
        }
        let acl = self.network_acls.get_mut(id).expect("checked above");
        acl.entries.push(entry);
        acl.entries.sort_by_key(|e| (e.egress, e.rule_number));
        Ok(())
    }

    /// ReplaceNetworkAclEntry: an existing rule, by number and direction. The change reads the ACL.
    pub fn replace_network_acl_entry(&mut self, id: &str, request: &AclEntryRequest) -> Result<(), Ec2Error> {
        let acl = self.network_acl(id)?;
        let entry = Self::acl_entry(request)?;
        let index = acl
            .entries
            .iter()
            .position(|e| e.egress == entry.egress && e.rule_number == entry.rule_number)
            .ok_or(Ec2Error::NetworkAclEntryNotFound(entry.rule_number))?;
        self.network_acls.get_mut(id).expect("checked above").entries[index] = entry;
        Ok(())
    }

    /// DeleteNetworkAclEntry: any rule but the `*` ones. The change reads the ACL.
    pub fn delete_network_acl_entry(
        &mut self,
        id: &str,
        rule_number: Option<i64>,
        egress: Option<bool>,
    ) -> Result<(), Ec2Error> {
        let acl = self.network_acl(id)?;
        let missing = |name: &str| Ec2Error::MissingParameter(format!("The request must contain the parameter {name}"));
        let number = rule_number.ok_or_else(|| missing("ruleNumber"))?;
        let egress = egress.ok_or_else(|| missing("egress"))?;
        let rule_number = u32::try_from(number).ok().filter(|n| (1..LAST_RULE).contains(n)).ok_or_else(|| {
            Ec2Error::InvalidParameterValue(format!(
                "Value ({number}) for parameter ruleNumber is invalid. The rule number must be between 1 and 32766."
            ))
        })?;
        let index = acl
            .entries
            .iter()
            .position(|e| e.egress == egress && e.rule_number == rule_number)
            .ok_or(Ec2Error::NetworkAclEntryNotFound(rule_number))?;
        self.network_acls.get_mut(id).expect("checked above").entries.remove(index);
        Ok(())
    }

    /// The subnet holding an association id (replaced or first). Reads every subnet.
    pub fn subnet_of_acl_association(&self, association_id: &str) -> Option<&Subnet> {
        self.subnets.values().find(|subnet| match &subnet.network_acl {
            Some(association) => association.id == association_id,
            None => subnet.default_acl_association_id() == association_id,
        })
    }

    /// ReplaceNetworkAclAssociation: moves the subnet holding the association to another ACL of its VPC and
    /// returns the new association's id. The change reads every subnet and the ACL by id.
    pub fn replace_network_acl_association(
        &mut self,
        ids: &mut IdSource,
        association_id: &str,
        acl_id: &str,
    ) -> Result<String, Ec2Error> {
        let acl = self.network_acl(acl_id)?.clone();
        let subnet = self
            .subnet_of_acl_association(association_id)
            .ok_or_else(|| Ec2Error::AssociationNotFound(association_id.to_owned()))?;
        if subnet.vpc_id != acl.vpc_id {
            return Err(Ec2Error::InvalidParameterValue(format!(
                "Network ACL {acl_id} and subnet {} belong to different networks",
                subnet.id
            )));
        }
        let subnet_id = subnet.id.clone();
        let new_id = ids.id("aclassoc");
        self.subnets.get_mut(&subnet_id).expect("found above").network_acl =
            Some(AclAssociation { id: new_id.clone(), network_acl_id: acl_id.to_owned() });
        // DeleteNetworkAcl reads every subnet for their associations, a field that changes: it must see this.
        self.moved.insert(Kind::Subnet);
        Ok(new_id)
    }

    /// DescribeNetworkAcls. Reads every ACL and every subnet.
    pub fn describe_network_acls(&self, acl_ids: &[String], filters: &[Filter]) -> Result<Vec<&NetworkAcl>, Ec2Error> {
        check_filters(
            filters,
            &[
                "network-acl-id",
                "vpc-id",
                "default",
                "association.subnet-id",
                "association.association-id",
                "association.network-acl-id",
                "entry.rule-number",
                "entry.protocol",
                "entry.rule-action",
                "entry.egress",
                "entry.cidr",
                "owner-id",
            ],
        )?;
        for id in acl_ids {
            self.network_acl(id)?;
        }
        Ok(self
            .network_acls
            .values()
            .filter(|acl| acl_ids.is_empty() || acl_ids.contains(&acl.id))
            .filter(|acl| {
                let associations = self.acl_associations(acl);
                let entries = |field: fn(&AclEntry) -> String| acl.entries.iter().map(field).collect();
                passes(filters, self.tags.get(&acl.id), |name| match name {
                    "network-acl-id" => vec![acl.id.clone()],
                    "association.network-acl-id" => associations.iter().map(|_| acl.id.clone()).take(1).collect(),
                    "vpc-id" => vec![acl.vpc_id.clone()],
                    "default" => vec![acl.is_default.to_string()],
                    "association.subnet-id" => associations.iter().map(|(subnet, _)| subnet.clone()).collect(),
                    "association.association-id" => associations.iter().map(|(_, id)| id.clone()).collect(),
                    "entry.rule-number" => entries(|e| e.rule_number.to_string()),
                    "entry.protocol" => entries(|e| e.protocol.clone()),
                    "entry.rule-action" => entries(|e| e.action.clone()),
                    "entry.egress" => entries(|e| e.egress.to_string()),
                    "entry.cidr" => entries(|e| e.cidr_block.clone()),
                    "owner-id" => vec![self.account.clone()],
                    _ => Vec::new(),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests;

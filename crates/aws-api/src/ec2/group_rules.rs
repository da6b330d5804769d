//! Security group rules over the `ec2` protocol: AuthorizeSecurityGroupIngress/Egress (answering the rules
//! added, `SecurityGroupRules`), RevokeSecurityGroupIngress/Egress (by `IpPermissions` or `SecurityGroupRuleIds`),
//! DescribeSecurityGroupRules, ModifySecurityGroupRules and UpdateSecurityGroupRuleDescriptionsIngress/Egress:
//! what Terraform's `aws_vpc_security_group_ingress_rule` and `aws_vpc_security_group_egress_rule` use. The rules
//! are `aws_model::ec2::group_rules`'. Authorize, revoke and modify honour `DryRun`: the change is checked and
//! nothing is stored.

use aws_model::ec2::group_rules::{GroupRule, RuleChange};
use aws_model::ec2::{Direction, Network, Peer, Rule, Scope, scopes};
use aws_protocol::AwsError;
use aws_protocol::xml::XmlWriter;

use super::paging::page;
use super::{Input, bad_params, change_unless_dry_run, returns_true, start, tag_set};
use crate::registry::{Outcome, wire};
use crate::{AwsApi, Call};

fn direction_of(operation: &str) -> Direction {
    if operation.ends_with("Ingress") { Direction::Ingress } else { Direction::Egress }
}

/// A `SecurityGroupRule`.
fn rule_xml(xml: &mut XmlWriter, network: &Network, found: GroupRule<'_>) {
    let rule = found.rule;
    xml.text("securityGroupRuleId", &rule.id)
        .text("groupId", found.group_id)
        .text("groupOwnerId", &network.account)
        .value("isEgress", found.direction == Direction::Egress)
        .text("ipProtocol", &rule.protocol)
        .value("fromPort", rule.from_port.unwrap_or(-1))
        .value("toPort", rule.to_port.unwrap_or(-1));
    match &rule.peer {
        Peer::Cidr(cidr) => {
            xml.text("cidrIpv4", cidr);
        }
        Peer::Group { group_id, user_id } => {
            xml.element("referencedGroupInfo", |xml| {
                xml.text("groupId", group_id).text("userId", user_id);
            });
        }
    }
    xml.optional("description", rule.description.as_deref());
    tag_set(xml, network.tags.get(&rule.id));
    xml.text(
        "securityGroupRuleArn",
        &format!("arn:aws:ec2:{}:{}:security-group-rule/{}", network.region, network.account, rule.id),
    );
}

/// AuthorizeSecurityGroupIngress / Egress.
pub(super) async fn authorize(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let direction = direction_of(call.operation.name);
    let (id, name) = (input.get("GroupId"), input.get("GroupName"));
    let rules = input.permissions()?;
    let tags = input.tag_specifications("security-group-rule")?;
    let (group_id, added, network) = change_unless_dry_run(
        ec2,
        caller,
        &input,
        &scopes::security_groups(),
        |_| Scope::new(),
        |network, _| {
            let id = network.find_group(id.as_deref(), name.as_deref())?;
            let added = network.authorize_tagged(&id, direction, &rules, &tags)?;
            Ok((id, added, network.clone()))
        },
    )
    .await?;
    call.xml(move |xml| {
        xml.text("return", "true").list("securityGroupRuleSet", "item", &added, |xml, rule| {
            rule_xml(xml, &network, GroupRule { group_id: &group_id, direction, rule });
        });
    })
}

/// RevokeSecurityGroupIngress / Egress: by `IpPermissions` or by `SecurityGroupRuleIds` (with `GroupId`).
pub(super) async fn revoke(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let direction = direction_of(call.operation.name);
    let (id, name) = (input.get("GroupId"), input.get("GroupName"));
    let rule_ids = input.strings("SecurityGroupRuleId")?;
    let rules = input.permissions()?;
    if !rule_ids.is_empty() && !rules.is_empty() {
        return Err(AwsError::bad_request(
            "InvalidParameterCombination",
            "The parameter SecurityGroupRuleIds cannot be used with the parameter IpPermissions",
        ));
    }
    let (group_id, removed) = change_unless_dry_run(
        ec2,
        caller,
        &input,
        &scopes::security_groups(),
        |_| Scope::new(),
        |network, _| {
            let id = network.find_group(id.as_deref(), name.as_deref())?;
            let removed = if rule_ids.is_empty() {
                network.revoke(&id, direction, &rules)?
            } else {
                network.revoke_rule_ids(&id, direction, &rule_ids)?
            };
            Ok((id, removed))
        },
    )
    .await?;
    call.xml(move |xml| {
        xml.text("return", "true").list("revokedSecurityGroupRuleSet", "item", &removed, |xml, rule| {
            xml.text("securityGroupRuleId", &rule.id)
                .text("groupId", &group_id)
                .value("isEgress", direction == Direction::Egress)
                .text("ipProtocol", &rule.protocol)
                .value("fromPort", rule.from_port.unwrap_or(-1))
                .value("toPort", rule.to_port.unwrap_or(-1));
            match &rule.peer {
                Peer::Cidr(cidr) => xml.text("cidrIpv4", cidr),
                Peer::Group { group_id, .. } => xml.text("referencedSecurityGroupId", group_id),
            };
            xml.optional("description", rule.description.as_deref());
        });
    })
}

/// DescribeSecurityGroupRules.
pub(super) async fn describe_security_group_rules(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let ids = input.strings("SecurityGroupRuleId")?;
    let filters = input.filters()?;
    let max = input.params.int("MaxResults").map_err(bad_params)?;
    let network = ec2.view(caller, &scopes::security_groups(), Clone::clone).await.map_err(wire)?;
    let found: Vec<(String, Direction, Rule)> = network
        .describe_security_group_rules(&ids, &filters)
        .map_err(wire)?
        .into_iter()
        .map(|found| (found.group_id.to_owned(), found.direction, found.rule.clone()))
        .collect();
    let (page, token) = page(found, |(_, _, rule)| rule.id.clone(), max, input.get("NextToken").as_deref(), (5, 1000))?;
    call.xml(move |xml| {
        xml.list("securityGroupRuleSet", "item", &page, |xml, (group_id, direction, rule)| {
            rule_xml(xml, &network, GroupRule { group_id, direction: *direction, rule });
        });
        xml.optional("nextToken", token.as_deref());
    })
}

impl Input<'_> {
    /// A `SecurityGroupRuleRequest`: one peer, an IPv4 block or a group.
    fn rule_request(scope: &aws_protocol::query::Scope<'_>) -> Result<Rule, AwsError> {
        let protocol = scope.required("IpProtocol").map_err(bad_params)?;
        let unsupported = |what: &str| {
            AwsError::bad_request(
                "UnsupportedOperation",
                format!("Security group rules with {what} are not supported."),
            )
        };
        if scope.has("CidrIpv6") {
            return Err(unsupported("IPv6 blocks"));
        }
        if scope.has("PrefixListId") {
            return Err(unsupported("prefix lists"));
        }
        let peer = match (scope.get("CidrIpv4"), scope.get("ReferencedGroupId")) {
            (Some(cidr), None) => Peer::Cidr(cidr.to_owned()),
            (None, Some(group_id)) => Peer::Group { group_id: group_id.to_owned(), user_id: String::new() },
            _ => {
                return Err(AwsError::bad_request(
                    "InvalidParameterCombination",
                    "Exactly one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId must be specified.",
                ));
            }
        };
        let mut rule = Rule::new(
            protocol,
            scope.int("FromPort").map_err(bad_params)?,
            scope.int("ToPort").map_err(bad_params)?,
            peer,
        );
        rule.description = scope.get("Description").map(str::to_owned);
        Ok(rule)
    }
}

/// ModifySecurityGroupRules.
pub(super) async fn modify_security_group_rules(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let group_id = input.required("GroupId")?;
    let changes: Vec<RuleChange> = input
        .params
        .ec2_list("SecurityGroupRule")
        .map_err(bad_params)?
        .into_iter()
        .map(|item| {
            let id = item.required("SecurityGroupRuleId").map_err(bad_params)?.to_owned();
            Ok((id, Input::rule_request(&item.child("SecurityGroupRule"))?))
        })
        .collect::<Result<_, AwsError>>()?;
    change_unless_dry_run(
        ec2,
        caller,
        &input,
        &scopes::security_groups(),
        |_| Scope::new(),
        |network, _| network.modify_security_group_rules(&group_id, &changes),
    )
    .await?;
    returns_true(call)
}

/// UpdateSecurityGroupRuleDescriptionsIngress / Egress.
pub(super) async fn update_descriptions(api: &AwsApi, call: &Call<'_>) -> Outcome {
    let (ec2, input, caller) = start(api, call)?;
    let direction = direction_of(call.operation.name);
    let (id, name) = (input.get("GroupId"), input.get("GroupName"));
    let by_traffic = input.permissions()?;
    let by_id: Vec<(String, Option<String>)> = input
        .params
        .ec2_list("SecurityGroupRuleDescription")
        .map_err(bad_params)?
        .into_iter()
        .map(|item| {
            let id = item.required("SecurityGroupRuleId").map_err(bad_params)?.to_owned();
            Ok((id, item.get("Description").map(str::to_owned)))
        })
        .collect::<Result<_, AwsError>>()?;
    ec2.change(caller, &scopes::security_groups(), |network, _| {
        let id = network.find_group(id.as_deref(), name.as_deref())?;
        network.update_rule_descriptions(&id, direction, &by_traffic, &by_id)
    })
    .await
    .map_err(wire)?;
    returns_true(call)
}

#[cfg(test)]
mod tests;
